"""Normalization layers: BatchNorm1d, BatchNorm2d and LayerNorm."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import OpError

from .. import functional as F
from .. import init
from ..functional.layers import same_dtype
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _BatchNorm(Module):
    """Shared body of BatchNorm1d/2d: parameters, running statistics, train/eval behaviour."""

    _dims: tuple[int, ...] = ()
    _layout = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(autograd.ones(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(autograd.zeros(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", autograd.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", autograd.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", autograd.tensor(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _upgrade_state_dict(self, state_dict: dict[str, Any], prefix: str) -> None:
        # num_batches_tracked came later (PyTorch 0.4.1): an older checkpoint loads with strict
        # and keeps the counter's current value, as in PyTorch (for a dict without its version
        # metadata, which is every dict here)
        key = prefix + "num_batches_tracked"
        if self.num_batches_tracked is not None and key not in state_dict:
            state_dict[key] = self.num_batches_tracked

    def _check_input(self, input: Tensor) -> None:
        name = type(self).__name__
        if input.ndim not in self._dims:
            want = " or ".join(f"{d}D" for d in self._dims)
            raise OpError(
                f"{name}: expected {want} input {self._layout}, got {input.ndim}D input of "
                f"shape {tuple(input.shape)}"
            )
        if input.shape[1] != self.num_features:
            raise OpError(
                f"{name}: expected input with {self.num_features} channels (dim 1), got "
                f"{input.shape[1]} (input shape {tuple(input.shape)})"
            )
        same_dtype(
            name,
            input,
            running_mean=self.running_mean,
            running_var=self.running_var,
            weight=self.weight,
            bias=self.bias,
        )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with autograd.no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average: every batch weighs the same
                factor = 1.0 / float(self.num_batches_tracked.item())
        # batch statistics in training, and also in eval when there are no running ones
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input over N (and L), per channel C.

    Training normalizes with the batch's mean and biased variance and updates ``running_mean``
    and ``running_var`` (unbiased) with ``momentum`` (``None``: a cumulative average); eval
    normalizes with the running statistics. Buffers: ``running_mean``, ``running_var``,
    ``num_batches_tracked``.

    Example:
        >>> import autograd, nn
        >>> bn = nn.BatchNorm1d(3)
        >>> bn
        BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
        >>> bn(autograd.randn(8, 3)).shape
        (8, 3)
    """

    _dims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input over N, H and W, per channel C.

    Example:
        >>> import autograd, nn
        >>> bn = nn.BatchNorm2d(16)
        >>> bn(autograd.randn(4, 16, 5, 5)).shape
        (4, 16, 5, 5)
        >>> int(bn.num_batches_tracked)
        1
    """

    _dims = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalizes each sample over its trailing ``normalized_shape`` dims, then applies a
    learnable per-element scale (ones) and shift (zeros).

    Example:
        >>> import autograd, nn
        >>> ln = nn.LayerNorm(4)
        >>> ln
        LayerNorm((4,), eps=1e-05, elementwise_affine=True)
        >>> ln(autograd.randn(2, 3, 4)).shape
        (2, 3, 4)
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(autograd.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(autograd.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        same_dtype("LayerNorm", input, weight=self.weight, bias=self.bias)
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )
