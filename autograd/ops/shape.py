"""Shape primitives: reshape, permute, broadcast (expand) and its adjoint sum_to, cat."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import OpError
from ..function import Function
from ..tensor import Tensor


class Reshape(Function):
    """y = x reshaped;  dx = grad reshaped back"""

    __slots__ = ("shape",)
    _raw_backward = True
    _view = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise OpError(
                f"Reshape: shape {tuple(shape)} is invalid for input of shape {x.shape} "
                f"({x.size} elements)"
            ) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return Reshape._fwd(grad, ctx.shape), None


class Permute(Function):
    """y = x with its axes reordered;  dx = grad with the inverse order"""

    __slots__ = ("dims",)
    _raw_backward = True
    _view = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return Permute._fwd(grad, tuple(np.argsort(ctx.dims).tolist())), None


def _broadcast(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``x`` broadcast to ``shape``, a read-only view."""
    if x.size == 1 and len(shape) >= x.ndim and x.flags.c_contiguous and min(shape, default=0) >= 0:
        # One element (the gradient of a full reduction): the same read-only view with zero
        # strides, made directly (np.broadcast_to takes 2 us on its own)
        out = np.ndarray(shape, x.dtype, x, 0, (0,) * len(shape))
        out.flags.writeable = False
        return out
    try:
        return np.broadcast_to(x, shape)
    except ValueError:
        raise OpError(
            f"BroadcastTo: the shape {x.shape} cannot be broadcast to {tuple(shape)}"
        ) from None


class BroadcastTo(Function):
    """y = x broadcast to a shape (a read-only view);  dx = grad summed back to x's shape"""

    __slots__ = ("shape",)
    _raw_backward = True
    _view = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.shape = x.shape
        return _broadcast(x, shape)

    @classmethod
    def _fwd(cls, x: Any, shape: tuple[int, ...]) -> Any:
        # ``Function._fwd`` unrolled: it runs in every backward of a full sum or mean, where
        # the generic dispatch cost as much as the view.
        return cls.apply(x, shape) if isinstance(x, Tensor) else _broadcast(x, shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return SumTo._fwd(grad, ctx.shape), None


def sum_to_axes(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``shape`` to sum (keeping dims) so that it becomes ``target``."""
    lead = len(shape) - len(target)
    if lead < 0:
        raise OpError(f"cannot sum shape {shape} to the longer shape {target}")
    axes = list(range(lead))
    for i, n in enumerate(target):
        if n == 1 and shape[lead + i] != 1:
            axes.append(lead + i)
        elif n != shape[lead + i]:
            raise OpError(f"cannot sum shape {shape} to shape {target}")
    return tuple(axes)


class SumTo(Function):
    """y = x summed over broadcast axes down to a shape;  dx = grad broadcast back"""

    __slots__ = ("shape",)
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.shape = x.shape
        axes = sum_to_axes(x.shape, tuple(shape))
        out = np.sum(x, axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return BroadcastTo._fwd(grad, ctx.shape), None


class Cat(Function):
    """y = the inputs joined along dim;  each input gets its slice of grad"""

    __slots__ = ("dim", "sizes")
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, dim: int, *xs: np.ndarray) -> np.ndarray:
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        grads: list[Any] = [None]
        start = 0
        lead = (slice(None),) * ctx.dim
        for n, nxt in zip(ctx.sizes, ctx.next_functions[1:]):
            grads.append(grad[lead + (slice(start, start + n),)] if nxt is not None else None)
            start += n
        return tuple(grads)
