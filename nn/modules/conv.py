"""Convolution layers: Conv2d."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import OpError

from .. import functional as F
from .. import init
from .module import Module, Parameter

__all__ = ["Conv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _pair(value: Any, name: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if (
        isinstance(value, (tuple, list))
        and len(value) in (1, 2)
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        return int(value[0]), int(value[-1])
    raise TypeError(f"Conv2d: {name} must be an int or a pair of ints, got {value!r}")


class Conv2d(Module):
    """2-D convolution over (N, C, H, W) or (C, H, W) inputs, with PyTorch's arguments and
    initialisation: weight (out_channels, in_channels / groups, kH, kW) from
    kaiming_uniform_(a=sqrt(5)), bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    ``padding`` is an int, a pair, 'valid' or 'same' (stride 1 only); ``padding_mode`` is
    'zeros', 'reflect', 'replicate' or 'circular'.

    Example:
        >>> import autograd, nn
        >>> conv = nn.Conv2d(1, 16, 3, padding=1)
        >>> conv
        Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
        >>> conv(autograd.randn(8, 1, 28, 28)).shape
        (8, 16, 28, 28)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] | str = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
            raise ValueError(f"Conv2d: groups must be a positive integer, got {groups!r}")
        for name, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Conv2d: {name} must be a positive integer, got {n!r}")
            if n % groups:
                raise ValueError(
                    f"Conv2d: {name} must be divisible by groups, got {name}={n} and "
                    f"groups={groups}"
                )
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.dilation = _pair(dilation, "dilation")
        for name, v in (("kernel_size", self.kernel_size), ("stride", self.stride),
                        ("dilation", self.dilation)):  # fmt: skip
            if min(v) < 1:
                raise ValueError(f"Conv2d: {name} must be positive, got {v}")
        self.padding: tuple[int, int] | str
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"Conv2d: invalid padding string {padding!r}, should be one of 'valid', 'same'"
                )
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("Conv2d: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _pair(padding, "padding")
            if min(self.padding) < 0:
                raise ValueError(f"Conv2d: padding must be non-negative, got {self.padding}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"Conv2d: padding_mode must be one of {', '.join(map(repr, _PADDING_MODES))}, "
                f"got {padding_mode!r}"
            )
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.groups = int(groups)
        self.padding_mode = padding_mode
        self.weight = Parameter(
            autograd.empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype)
        )
        if bias:
            self.bias = Parameter(autograd.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight and bias again (from the seeded default generator)."""
        init.default_layer_init_(self.weight, self.bias)

    def _pads(self) -> tuple[int, int, int, int]:
        """F.pad's (left, right, top, bottom) for the non-zero padding modes."""
        if self.padding == "valid":
            return 0, 0, 0, 0
        if self.padding == "same":
            th, tw = (d * (k - 1) for k, d in zip(self.kernel_size, self.dilation))
            return tw // 2, tw - tw // 2, th // 2, th - th // 2
        assert not isinstance(self.padding, str)  # "valid" and "same" returned above
        ph, pw = self.padding
        return pw, pw, ph, ph

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise OpError(
                f"Conv2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
                f"{tuple(input.shape)}"
            )
        if input.shape[-3] != self.in_channels:
            raise OpError(
                f"Conv2d: expected input with {self.in_channels} channels, got input of shape "
                f"{tuple(input.shape)}"
            )
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._pads(), mode=self.padding_mode)
            return F.conv2d(
                padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups
            )
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
