"""Function forms of the tensor ops (``autograd.exp(x)`` is ``x.exp()``), and cat/stack."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import dtypes
from .errors import OpError
from .ops.shape import Cat
from .tensor import Tensor, _as_tensor, _cast, _dim, chunk, einsum, split, take_along_dim, where

__all__ = [
    "abs",
    "add",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "broadcast_to",
    "cat",
    "chunk",
    "clamp",
    "clip",
    "concat",
    "cos",
    "div",
    "einsum",
    "erf",
    "exp",
    "flatten",
    "heaviside",
    "log",
    "log1p",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mul",
    "neg",
    "norm",
    "permute",
    "pow",
    "prod",
    "reciprocal",
    "relu",
    "reshape",
    "rsqrt",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sub",
    "sum",
    "take_along_dim",
    "tan",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
    "where",
]


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim (dtypes promoted as PyTorch does).

    Example:
        >>> import autograd
        >>> autograd.cat([autograd.ones(1, 2), autograd.zeros(1, 2)]).shape
        (2, 2)
    """
    ts = _joinable(tensors, "cat")
    for i, t in enumerate(ts):
        if t.ndim == 0:
            raise RuntimeError(f"cat(): zero-dimensional tensor (at position {i}) cannot be joined")
    d = _dim(dim, ts[0].ndim, "cat")
    for i, t in enumerate(ts):
        if t.ndim != ts[0].ndim or any(
            a != b for k, (a, b) in enumerate(zip(t.shape, ts[0].shape)) if k != d
        ):
            raise OpError(
                f"cat(): sizes of tensors must match except in dim {d}: tensor 0 has shape "
                f"{ts[0].shape}, tensor {i} has shape {t.shape}"
            )
    return Cat.apply(d, *ts)


concat = cat


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dim.

    Example:
        >>> import autograd
        >>> autograd.stack([autograd.ones(2), autograd.zeros(2)], dim=1).shape
        (2, 2)
    """
    ts = _joinable(tensors, "stack")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise OpError(
                f"stack(): expects each tensor to be of equal shape, but got {ts[0].shape} at "
                f"entry 0 and {t.shape} at entry {i}"
            )
    d = _dim(dim, ts[0].ndim + 1, "stack")
    return Cat.apply(d, *(t.unsqueeze(d) for t in ts))


def _joinable(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): expected a list or tuple of tensors")
    if not tensors:
        raise OpError(f"{op}(): expected a non-empty list of tensors")
    ts = [_as_tensor(t) for t in tensors]
    dt = dtypes.result_type(*ts)
    return [_cast(t, dt) for t in ts]


def add(input: Any, other: Any, alpha: float = 1) -> Tensor:
    return _as_tensor(input).add(other, alpha)


def sub(input: Any, other: Any, alpha: float = 1) -> Tensor:
    return _as_tensor(input).sub(other, alpha)


def mul(input: Any, other: Any) -> Tensor:
    return _as_tensor(input) * other


def div(input: Any, other: Any) -> Tensor:
    return _as_tensor(input) / other


def pow(input: Any, exponent: Any) -> Tensor:
    return input**exponent if isinstance(input, Tensor) else _as_tensor(exponent).__rpow__(input)


def matmul(input: Any, other: Any) -> Tensor:
    return _as_tensor(input) @ other


def neg(input: Tensor) -> Tensor:
    return -_as_tensor(input)


def exp(input: Tensor) -> Tensor:
    return _as_tensor(input).exp()


def log(input: Tensor) -> Tensor:
    return _as_tensor(input).log()


def log1p(input: Tensor) -> Tensor:
    return _as_tensor(input).log1p()


def sqrt(input: Tensor) -> Tensor:
    return _as_tensor(input).sqrt()


def rsqrt(input: Tensor) -> Tensor:
    return _as_tensor(input).rsqrt()


def sin(input: Tensor) -> Tensor:
    return _as_tensor(input).sin()


def cos(input: Tensor) -> Tensor:
    return _as_tensor(input).cos()


def tan(input: Tensor) -> Tensor:
    return _as_tensor(input).tan()


def tanh(input: Tensor) -> Tensor:
    return _as_tensor(input).tanh()


def sigmoid(input: Tensor) -> Tensor:
    return _as_tensor(input).sigmoid()


def erf(input: Tensor) -> Tensor:
    return _as_tensor(input).erf()


def heaviside(input: Tensor, values: Any) -> Tensor:
    return _as_tensor(input).heaviside(values)


def relu(input: Tensor) -> Tensor:
    return _as_tensor(input).relu()


def abs(input: Tensor) -> Tensor:
    return _as_tensor(input).abs()


def sign(input: Tensor) -> Tensor:
    return _as_tensor(input).sign()


def reciprocal(input: Tensor) -> Tensor:
    return _as_tensor(input).reciprocal()


def maximum(input: Any, other: Any) -> Tensor:
    return _as_tensor(input).maximum(other)


def minimum(input: Any, other: Any) -> Tensor:
    return _as_tensor(input).minimum(other)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    return _as_tensor(input).clamp(min, max)


clip = clamp


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _as_tensor(input).sum(dim, keepdim, **kw)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _as_tensor(input).mean(dim, keepdim, **kw)


def var(input: Tensor, dim: Any = None, *args: Any, **kw: Any) -> Tensor:
    return _as_tensor(input).var(dim, *args, **kw)


def std(input: Tensor, dim: Any = None, *args: Any, **kw: Any) -> Tensor:
    return _as_tensor(input).std(dim, *args, **kw)


def prod(input: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _as_tensor(input).prod(dim, keepdim, **kw)


def amax(input: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _as_tensor(input).amax(dim, keepdim, **kw)


def amin(input: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _as_tensor(input).amin(dim, keepdim, **kw)


def max(input: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:
    return _as_tensor(input).max(dim, keepdim, **kw)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:
    return _as_tensor(input).min(dim, keepdim, **kw)


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _as_tensor(input).argmax(dim, keepdim, **kw)


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _as_tensor(input).argmin(dim, keepdim, **kw)


def logsumexp(input: Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return _as_tensor(input).logsumexp(dim, keepdim, **kw)


def norm(
    input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Tensor:
    return _as_tensor(input).norm(p, dim, keepdim, dtype)


def softmax(input: Tensor, dim: int = -1) -> Tensor:
    return _as_tensor(input).softmax(dim)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:
    return _as_tensor(input).log_softmax(dim)


def reshape(input: Tensor, shape: Any) -> Tensor:
    return _as_tensor(input).reshape(shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _as_tensor(input).flatten(start_dim, end_dim)


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    return _as_tensor(input).squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    return _as_tensor(input).unsqueeze(dim)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return _as_tensor(input).transpose(dim0, dim1)


def permute(input: Tensor, dims: Any) -> Tensor:
    return _as_tensor(input).permute(dims)


def broadcast_to(input: Tensor, shape: Any) -> Tensor:
    return _as_tensor(input).broadcast_to(shape)


_ = (chunk, einsum, split, take_along_dim, where)
