"""Indexing primitives: x[idx] and its adjoint (scatter-add), and x[idx] = v."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..function import Function
from ..tensor import Tensor
from .shape import SumTo

_BASIC = (int, slice, type(None), type(Ellipsis))


class Split(NamedTuple):
    """An index applied in two steps, as PyTorch applies integers beside tensor indices: the
    integers first (``pre``: integers and full slices, a view), then the rest. (NumPy would
    count the integers as advanced indices too, which moves and reorders dimensions:
    ``x[0, :, [0, 1]]`` of a (2, 3, 4) tensor is (3, 2) in PyTorch and (2, 3) in NumPy.)"""

    pre: tuple[Any, ...]
    rest: tuple[Any, ...]


def normalize_index(idx: Any, shape: tuple[int, ...]) -> tuple[Any, bool]:
    """An index NumPy takes for a tensor of ``shape`` (Tensors and lists made arrays, masks
    checked against the dims they cover and made integer arrays; a ``Split`` where integers
    sit beside tensor indices), and whether it is basic (a view: no index may repeat)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    items: list[Any] = []
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
        elif isinstance(i, np.ndarray) and i.ndim == 0 and i.dtype.kind in "iu":
            i = int(i)  # a 0-d integer tensor indexes as an integer does, in PyTorch
        if isinstance(i, np.ndarray):
            basic = False
            if i.dtype != bool and i.dtype.kind not in "iu":
                raise IndexError(
                    f"tensors used as indices must be integer or boolean, not {i.dtype}"
                )
        elif not isinstance(i, _BASIC):
            raise IndexError(f"unsupported index {i!r} of type {type(i).__name__}")
        items.append(i)
    if basic:
        return tuple(items), True
    out = _masks_to_positions(items, shape)
    if any(type(i) is int for i in out):
        pre = tuple(
            i if type(i) is int or i is Ellipsis else slice(None)
            for i in out
            if i is Ellipsis or _dims_taken(i)  # not None, nor x[True]'s 0-d mask
        )
        return Split(pre, tuple(i for i in out if type(i) is not int)), False
    return tuple(out), False


def _dims_taken(i: Any) -> int:
    """How many of the tensor's dims one index item takes (None, ``...`` and x[True]: 0)."""
    if i is None or i is Ellipsis:
        return 0
    if type(i) is np.ndarray and i.dtype == bool:
        return i.ndim  # a mask covers as many dims as it has (x[True] adds one and takes none)
    return 1


def _masks_to_positions(items: list[Any], shape: tuple[int, ...]) -> list[Any]:
    """Each boolean mask (of one or more dims) checked against the dims it covers, as PyTorch
    does, and replaced by the integer positions of its True elements."""
    free = len(shape) - sum(_dims_taken(i) for i in items)  # what ``...`` stands for
    out: list[Any] = []
    d = 0
    for i in items:
        if type(i) is np.ndarray and i.dtype == bool and i.ndim:
            covered = shape[d : d + i.ndim]
            if i.shape != covered:
                raise IndexError(
                    f"the shape of the mask {list(i.shape)} at index {d} does not match the "
                    f"shape of the indexed tensor {list(shape)}"
                )
            out.extend(np.nonzero(i))
        else:
            out.append(i)
        d += max(free, 0) if i is Ellipsis else _dims_taken(i)
    return out


def _take(x: np.ndarray, idx: Any) -> Any:
    return x[idx.pre][idx.rest] if type(idx) is Split else x[idx]


def _target(out: np.ndarray, idx: Any) -> tuple[np.ndarray, Any]:
    """Where an index writes: ``out`` itself and the index, or the view a ``Split``'s integers
    select and the rest."""
    return (out[idx.pre], idx.rest) if type(idx) is Split else (out, idx)


class Index(Function):
    """y = x[idx];  dx = zeros with grad added at idx (repeated indices accumulate)"""

    __slots__ = ("shape", "idx", "basic")
    _raw_backward = True
    _view = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, idx: tuple[Any, ...], basic: bool) -> np.ndarray:
        ctx.shape, ctx.idx, ctx.basic = x.shape, idx, basic
        return np.asarray(_take(x, idx))

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
        target, where = _target(out, idx)
        if basic:
            target[where] = g
        else:
            np.add.at(target, where, g)
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
        target, where = _target(out, idx)
        target[where] = v
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
