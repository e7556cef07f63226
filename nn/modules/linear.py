"""Linear layers: Linear, Identity, Flatten."""

from __future__ import annotations

from typing import Any

import autograd
from autograd import Tensor
from autograd.errors import OpError

from .. import functional as F
from .. import init
from ..functional.layers import same_dtype
from .module import Module, Parameter

__all__ = ["Flatten", "Identity", "Linear"]


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored, as in PyTorch).

    Example:
        >>> import autograd, nn
        >>> nn.Identity()(autograd.ones(2)).shape
        (2,)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features) and PyTorch's initialisation:
    W from kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and b from the same
    bound.

    Example:
        >>> import autograd, nn
        >>> layer = nn.Linear(3, 4)
        >>> layer
        Linear(in_features=3, out_features=4, bias=True)
        >>> layer(autograd.randn(2, 3)).shape
        (2, 4)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(autograd.empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(autograd.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight and bias again (from the seeded default generator)."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise OpError(
                f"Linear: expected input with {self.in_features} features (last dim), "
                f"got shape {tuple(input.shape)}"
            )
        same_dtype("Linear", input, weight=self.weight, bias=self.bias)
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Flatten(Module):
    """Flattens dims ``start_dim..end_dim`` into one (by default all but the batch dim).

    Example:
        >>> import autograd, nn
        >>> nn.Flatten()(autograd.zeros(2, 3, 4, 5)).shape
        (2, 60)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
