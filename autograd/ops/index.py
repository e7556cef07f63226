"""Indexing primitives: x[idx] and its adjoint (scatter-add), and x[idx] = v."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor
from .shape import SumTo

_BASIC = (int, slice, type(None), type(Ellipsis))


def normalize_index(idx: Any) -> tuple[tuple[Any, ...], bool]:
    """An index as a tuple NumPy takes (Tensors and lists made arrays, masks made integer
    arrays), and whether it is basic (a view: no index may repeat)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out: list[Any] = []
    basic = True
    for i in idx:
        if isinstance(i, Tensor):
            i = i.data
        elif isinstance(i, (list, range)):
            i = np.asarray(i)
        elif isinstance(i, np.integer):
            i = int(i)
        if isinstance(i, (bool, np.bool_)):
            i = np.asarray(i)
        if isinstance(i, np.ndarray):
            basic = False
            if i.dtype == bool and i.ndim == 0:  # x[True] adds a dim of 1, x[False] of 0
                out.append(i)
                continue
            if i.dtype == bool:
                out.extend(np.nonzero(i))
                continue
            if i.dtype.kind not in "iu":
                raise IndexError(
                    f"tensors used as indices must be integer or boolean, not {i.dtype}"
                )
        elif not isinstance(i, _BASIC):
            raise IndexError(f"unsupported index {i!r} of type {type(i).__name__}")
        out.append(i)
    return tuple(out), basic


class Index(Function):
    """y = x[idx];  dx = zeros with grad added at idx (repeated indices accumulate)"""

    __slots__ = ("shape", "idx", "basic")
    _raw_backward = True
    _view = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, idx: tuple[Any, ...], basic: bool) -> np.ndarray:
        ctx.shape, ctx.idx, ctx.basic = x.shape, idx, basic
        return np.asarray(x[idx])

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return IndexAdd._fwd(grad, ctx.shape, ctx.idx, ctx.basic), None, None


class IndexAdd(Function):
    """y = zeros(shape) with g added at idx;  dg = grad[idx]"""

    __slots__ = ("idx", "basic")
    _raw_backward = True

    @staticmethod
    def forward(
        ctx: Any, g: np.ndarray, shape: tuple[int, ...], idx: tuple[Any, ...], basic: bool
    ) -> np.ndarray:
        ctx.idx, ctx.basic = idx, basic
        out = np.zeros(shape, dtype=g.dtype)
        if basic:
            out[idx] = g
        else:
            np.add.at(out, idx, g)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return Index._fwd(grad, ctx.idx, ctx.basic), None, None, None


class SetItem(Function):
    """y = x with y[idx] = v;  dx = grad with zeros at idx, dv = grad[idx] summed to v's shape"""

    __slots__ = ("idx", "basic", "vshape")
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, v: Any, idx: tuple[Any, ...], basic: bool) -> np.ndarray:
        ctx.idx, ctx.basic = idx, basic
        ctx.vshape = np.shape(v)
        out = x.copy()
        out[idx] = v
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        nx, nv = ctx.next_functions[:2]
        gx = SetItem._fwd(grad, 0.0, ctx.idx, ctx.basic) if nx is not None else None
        gv = None
        if nv is not None:
            gv = Index._fwd(grad, ctx.idx, ctx.basic)
            target = ctx.vshape
            if gv.ndim < len(target):
                gv = gv.reshape((1,) * (len(target) - gv.ndim) + gv.shape)
            if gv.shape != target:
                gv = SumTo._fwd(gv, target)
        return gx, gv, None, None
