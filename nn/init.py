"""Weight initialisation in place, with torch.nn.init's names and formulas (``nn.init``)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from autograd.random import Generator, get_rng

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)) with slope
    ``param`` (default 0.01), selu 3/4.

    Example:
        >>> import nn
        >>> round(nn.init.calculate_gain("relu"), 6)
        1.414214
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel): in * k and out * k.

    Example:
        >>> import autograd, nn
        >>> nn.init._calculate_fan_in_and_fan_out(autograd.zeros(8, 3, 5, 5))
        (75, 200)
    """
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: Any, op: str) -> Tensor:
    """Write ``values`` into ``tensor`` in place, keeping its dtype, and bump its version."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{op}: expected a Tensor, got {type(tensor).__name__}")
    with autograd.no_grad():
        # casting="unsafe": float64 draws go into float32 (or float16) weights, as torch does
        np.copyto(tensor.data, values, casting="unsafe")
        tensor._bump(op)
    return tensor


def _no_op_if_empty(tensor: Tensor) -> bool:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with values drawn from U(a, b).

    Example:
        >>> import autograd, nn
        >>> w = nn.init.uniform_(autograd.empty(3, 5), -0.1, 0.1)
        >>> bool((w.abs() <= 0.1).all())
        True
    """
    return _fill(tensor, get_rng(generator).uniform(a, b, tensor.shape), "uniform_")


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with values drawn from N(mean, std^2).

    Example:
        >>> import autograd, nn
        >>> nn.init.normal_(autograd.empty(2, 3), std=0.02).shape
        (2, 3)
    """
    return _fill(tensor, get_rng(generator).normal(mean, std, tensor.shape), "normal_")


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill with N(mean, std^2) values redrawn until they fall in [a, b].

    Rejection sampling (PyTorch inverts the CDF instead: same distribution, other numbers);
    ``[a, b]`` should hold a fair share of the mass, as PyTorch also warns.

    Example:
        >>> import autograd, nn
        >>> w = nn.init.trunc_normal_(autograd.empty(100), std=1.0, a=-0.5, b=0.5)
        >>> bool((w.abs() <= 0.5).all())
        True
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: a ({a}) must be less than b ({b})")
    rng = get_rng(generator)
    values = rng.normal(mean, std, tensor.shape)
    bad = (values < a) | (values > b)
    for _ in range(10_000):
        n = int(bad.sum())
        if n == 0:
            break
        values[bad] = rng.normal(mean, std, n)
        bad = (values < a) | (values > b)
    else:
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds too little of N({mean}, {std}^2) to sample"
        )
    return _fill(tensor, values, "trunc_normal_")


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    Example:
        >>> import autograd, nn
        >>> nn.init.constant_(autograd.empty(2), 0.5)
        tensor([0.5, 0.5])
    """
    return _fill(tensor, val, "constant_")


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones.

    Example:
        >>> import autograd, nn
        >>> nn.init.ones_(autograd.empty(2))
        tensor([1., 1.])
    """
    return _fill(tensor, 1, "ones_")


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros.

    Example:
        >>> import autograd, nn
        >>> nn.init.zeros_(autograd.ones(2))
        tensor([0., 0.])
    """
    return _fill(tensor, 0, "zeros_")


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix.

    Example:
        >>> import autograd, nn
        >>> nn.init.eye_(autograd.empty(2, 3)).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    return _fill(tensor, np.eye(rows, cols), "eye_")


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Example:
        >>> import autograd, nn, math
        >>> w = nn.init.xavier_uniform_(autograd.empty(30, 20))
        >>> bool((w.abs() <= math.sqrt(6 / 50)).all())
        True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _fill(tensor, get_rng(generator).uniform(-bound, bound, tensor.shape), "xavier_uniform_")


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Example:
        >>> import autograd, nn
        >>> nn.init.xavier_normal_(autograd.empty(30, 20)).shape
        (30, 20)
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _fill(tensor, get_rng(generator).normal(0.0, std, tensor.shape), "xavier_normal_")


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan), gain from
    ``calculate_gain(nonlinearity, a)`` and fan by ``mode`` ('fan_in' or 'fan_out').

    Example:
        >>> import autograd, nn, math
        >>> w = nn.init.kaiming_uniform_(autograd.empty(4, 3), a=math.sqrt(5))
        >>> bool((w.abs() <= 1 / math.sqrt(3)).all())
        True
    """
    if _no_op_if_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return _fill(
        tensor, get_rng(generator).uniform(-bound, bound, tensor.shape), "kaiming_uniform_"
    )


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan).

    Example:
        >>> import autograd, nn
        >>> nn.init.kaiming_normal_(autograd.empty(4, 3), mode="fan_out", nonlinearity="relu").shape
        (4, 3)
    """
    if _no_op_if_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return _fill(tensor, get_rng(generator).normal(0.0, std, tensor.shape), "kaiming_normal_")


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix (QR of a Gaussian matrix, signs fixed), times gain.

    Example:
        >>> import autograd, nn, numpy as np
        >>> w = nn.init.orthogonal_(autograd.empty(3, 3)).numpy()
        >>> bool(np.allclose(w @ w.T, np.eye(3), atol=1e-5))
        True
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = get_rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape), "orthogonal_")


def default_layer_init_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default init of Linear and Conv layers, in place.

    The weight is ``kaiming_uniform_(a=sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    and the bias is drawn from the same range.

    Example:
        >>> import autograd, nn
        >>> w, b = autograd.empty(3, 4), autograd.empty(3)
        >>> nn.init.default_layer_init_(w, b)
        >>> bool((w.abs() <= 0.5).all()) and bool((b.abs() <= 0.5).all())
        True
    """
    # a = sqrt(5) makes the bound gain * sqrt(3 / fan_in) equal 1 / sqrt(fan_in)
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
