"""Activation functions: relu, leaky_relu, sigmoid, tanh, gelu, softplus, softmax, heaviside."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import OpError
from autograd.ops.special import Erf

__all__ = [
    "gelu",
    "heaviside",
    "leaky_relu",
    "log_softmax",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "step",
    "tanh",
]

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), with gradient 0 at x == 0 (PyTorch's choice).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.relu(autograd.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    if inplace:
        # multiplying by the 0/1 mask gives exactly relu's gradient, recorded in place
        return input.mul_(Tensor._make((input.data > 0).astype(input.dtype)))
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, else negative_slope * x.

    Example:
        >>> import autograd, nn.functional as F
        >>> F.leaky_relu(autograd.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2,  3. ])
    """
    positive = input.data > 0
    if inplace:
        factor = np.where(positive, 1.0, negative_slope).astype(input.dtype)
        return input.mul_(Tensor._make(factor))
    return autograd.where(positive, input, input * float(negative_slope))


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), computed without overflow.

    Example:
        >>> import autograd, nn.functional as F
        >>> F.sigmoid(autograd.tensor([0.0]))
        tensor([0.5])
    """
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """The hyperbolic tangent.

    Example:
        >>> import autograd, nn.functional as F
        >>> F.tanh(autograd.tensor([0.0]))
        tensor([0.])
    """
    return input.tanh()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x): exactly 0.5 x (1 + erf(x / sqrt 2)), or with ``approximate='tanh'``
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).

    Example:
        >>> import autograd, nn.functional as F
        >>> round(F.gelu(autograd.tensor([1.0], dtype="float64")).item(), 6)
        0.841345
    """
    if approximate == "none":
        return input * (Erf.apply(input * _SQRT1_2) + 1.0) * 0.5
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
        return input * (inner.tanh() + 1.0) * 0.5
    raise OpError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (for stability).

    Example:
        >>> import autograd, nn.functional as F
        >>> round(F.softplus(autograd.tensor([0.0])).item(), 4)
        0.6931
    """
    scaled = input * float(beta) if beta != 1 else input
    linear = scaled.data > threshold
    # exp only sees values <= threshold: the unused branch must not overflow, or its zero
    # gradient would meet an infinite local derivative and give NaN
    safe = autograd.where(linear, 0.0, scaled)
    soft = safe.exp().log1p()
    if beta != 1:
        soft = soft / float(beta)
    return autograd.where(linear, input, soft)


def _softmax_dim(input: Tensor, dim: int | None, name: str) -> int:
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to "
            f"include dim=X as an argument.",
            UserWarning,
            stacklevel=3,
        )
        return 0 if input.ndim in (0, 1, 3) else 1
    return dim


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (shifted by the max, so it never overflows).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.softmax(autograd.tensor([0.0, 0.0]), dim=0)
        tensor([0.5, 0.5])
    """
    x = input if dtype is None else input.astype(dtype)
    return x.softmax(_softmax_dim(input, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``: finite even where softmax underflows to 0.

    Example:
        >>> import autograd, nn.functional as F
        >>> F.log_softmax(autograd.tensor([0.0, 1000.0]), dim=0)
        tensor([-1000.,     0.])
    """
    x = input if dtype is None else input.astype(dtype)
    return x.log_softmax(_softmax_dim(input, dim, "log_softmax"))


def heaviside(input: Tensor, values: Tensor | float) -> Tensor:
    """The step function: 0 for x < 0, ``values`` at x == 0, 1 for x > 0.

    Its gradient with respect to ``input`` is zero (not missing), so a perceptron built on it
    stays in the graph; ``values`` gets the gradient where x == 0.

    Example:
        >>> import autograd, nn.functional as F
        >>> F.heaviside(autograd.tensor([-1.0, 0.0, 2.0]), 0.5)
        tensor([0. , 0.5, 1. ])
    """
    if not isinstance(values, Tensor):
        values = Tensor._make(np.asarray(values, dtype=input.dtype))
    # through Tensor.heaviside, which promotes by autograd's rules: a 0-d float64 ``values``
    # leaves a float32 input float32 (PyTorch raises for mixed dtypes here)
    return input.heaviside(values)


def step(input: Tensor, threshold: float = 0.0) -> Tensor:
    """The perceptron's step: 1 where x > threshold, else 0, with zero gradient.

    Example:
        >>> import autograd, nn.functional as F
        >>> F.step(autograd.tensor([-0.2, 0.0, 0.3]))
        tensor([0., 0., 1.])
    """
    x = input - float(threshold) if threshold else input
    return heaviside(x, 0.0)
