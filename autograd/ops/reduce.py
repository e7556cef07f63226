"""Reduction primitives: sum, prod, amax/amin, logsumexp, softmax, log_softmax, 2-norm."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..function import Function
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor, _check_choosable, _count, _dims, where
from .elementwise import Exp, Where, zeros_of
from .shape import BroadcastTo, Reshape


def kept_shape(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[int, ...]:
    """``shape`` with each reduced dim set to 1 (what keepdim=True gives)."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def _keep(t: Tensor, shape: tuple[int, ...], dims: tuple[int, ...] | None, keepdim: bool) -> Tensor:
    """A reduced result (or its gradient) reshaped so that it broadcasts against the input."""
    return t if keepdim else Reshape._fwd(t, kept_shape(shape, dims))


def _sum_kept(t: Any, dim: int) -> Any:
    """``t`` summed over one dim, kept (a Tensor or, in a raw backward, an array)."""
    return Sum._fwd(t, _dims(dim, np.ndim(t), "sum"), True)


class Sum(Function):
    """y = sum of x over dims;  dx = grad broadcast back"""

    __slots__ = ("shape", "dims", "keepdim")
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return np.asarray(x.sum(axis=dims, keepdims=keepdim))  # the method: np.sum adds 1 us

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        # a full reduction's gradient (0-d, or all ones) broadcasts back as it is
        g = grad if ctx.dims is None else _keep(grad, ctx.shape, ctx.dims, ctx.keepdim)
        return BroadcastTo._fwd(g, ctx.shape), None, None


class Var(Function):
    """y = sum((x - mean)^2) / (n - correction) over dims;  dx = 2 grad (x - mean) / (n -
    correction), PyTorch's formula (no mean of the gradient to subtract: it is 0 exactly)"""

    __slots__ = ("dims", "keepdim", "dof")
    _raw_backward = True  # operators and .mean(axis=, keepdims=): the same on both

    @staticmethod
    def forward(
        ctx: Any, x: np.ndarray, dims: tuple[int, ...] | None, correction: float, keepdim: bool
    ) -> np.ndarray:
        dof = max(_count(x.shape, dims) - correction, 0)
        ctx.dims, ctx.keepdim, ctx.dof = dims, keepdim, dof
        centered = x - _mean_kept(x, dims)
        out = np.asarray(np.sum(centered * centered, axis=dims, keepdims=keepdim) / dof)
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        scale = 2.0 / ctx.dof if ctx.dof else math.inf  # no degrees of freedom: inf, as torch
        g = _keep(grad, x.shape, ctx.dims, ctx.keepdim)
        return g * (x - _mean_kept(x, ctx.dims)) * scale, None, None, None


def _mean_kept(x: Any, dims: tuple[int, ...] | None) -> Any:
    """Mean over dims, kept (an array or a Tensor); over an empty dim NaN, as PyTorch, where
    NumPy's mean would also warn ("Mean of empty slice") through the warnings module."""
    n = _count(x.shape, dims)
    if n:
        return x.mean(axis=dims, keepdims=True)
    return x.sum(axis=dims, keepdims=True) * math.nan


class Prod(Function):
    """y = product of x over dims;  dx = grad * (product of the others), exact with zeros"""

    __slots__ = ("dims", "keepdim")
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        ctx.dims, ctx.keepdim = dims, keepdim
        out = np.asarray(np.prod(x, axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        x, out = ctx.saved_tensors
        dims, keepdim = ctx.dims, ctx.keepdim
        g = _keep(grad, x.shape, dims, keepdim)
        out = _keep(out, x.shape, dims, keepdim)
        if x.ndim == 0:  # the product of no others: 1, as PyTorch (not out / x: inf / inf)
            return g, None, None
        zeros = int(np.count_nonzero(np.asarray(x) == 0))
        if not zeros:
            return g * (out / x), None, None
        if is_grad_enabled():  # create_graph: the masks below are constants in x
            return g * _prod_of_others(x, dims), None, None
        if dims is None and zeros > 1:
            return zeros_of(x), None, None  # every product of others has a zero (PyTorch's)
        # With zeros, out / x is 0/0: each element's product of the others, from the
        # products before and after it (no division, so an inf beside a zero gives 0 or NaN
        # exactly as the product does, as PyTorch's prod_safe_zeros_backward).
        return g * _prod_of_others_raw(x, dims), None, None


def _reduced_dims_last(nd: int, dims: tuple[int, ...] | None) -> tuple[tuple[int, ...], int]:
    """The permutation that puts the reduced ``dims`` last, and how many dims stay in front."""
    red = tuple(range(nd)) if dims is None else dims
    return tuple(d for d in range(nd) if d not in red) + red, nd - len(red)


def _prod_of_others_raw(x: np.ndarray, dims: tuple[int, ...] | None) -> np.ndarray:
    """For each element of the array ``x``, the product of the others in its slice over
    ``dims``: exclusive cumulative products from the left and from the right, O(n)."""
    perm, kept = _reduced_dims_last(x.ndim, dims)
    xp = np.transpose(x, perm)
    lead = xp.shape[:kept]
    flat = xp.reshape(lead + (-1,))
    ones = np.ones(lead + (1,), x.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
    return np.transpose((before * after).reshape(xp.shape), np.argsort(perm))


def _prod_of_others(x: Tensor, dims: tuple[int, ...] | None) -> Tensor:
    """For each element, the product of the others in its slice, as a differentiable function
    of x even where x has zeros (so that second derivatives are right: d2/dx0dx1 of x0*x1*x2
    is x2). Each slice of n elements becomes n rows of itself with a 1 on the diagonal: O(n^2),
    used only when the backward pass is itself recorded."""
    nd = x.ndim
    perm, kept = _reduced_dims_last(nd, dims)
    xp = x.permute(*perm) if nd else x
    lead = xp.shape[:kept]
    n = int(np.prod(xp.shape[kept:]))
    rows = where(np.eye(n, dtype=bool), 1.0, xp.reshape(lead + (1, n)))
    others = rows.prod(-1).reshape(xp.shape)
    return others.permute(*np.argsort(perm).tolist()) if nd else others


class Amax(Function):
    """y = max of x over dims;  ties share grad evenly (PyTorch's amax)"""

    __slots__ = ("dims", "keepdim")
    _raw_backward = True
    _ufunc = np.max
    _nan_shares = False  # a NaN result: NaN gradients (amax), or shared among the NaNs (max)

    @classmethod
    def forward(
        cls, ctx: Any, x: np.ndarray, dims: tuple[int, ...] | None, keepdim: bool
    ) -> np.ndarray:
        _check_choosable(x.shape, dims, cls.name())
        ctx.dims, ctx.keepdim = dims, keepdim
        out = np.asarray(cls._ufunc(x, axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        x, out = ctx.saved_tensors
        xa = np.asarray(x)
        kept = np.asarray(_keep(out, x.shape, ctx.dims, ctx.keepdim))
        hit = xa == kept
        if ctx.op._nan_shares:
            hit = np.where(np.isnan(kept), np.isnan(xa), hit)
        hit = hit.astype(x.dtype)
        share = hit / np.sum(hit, axis=ctx.dims, keepdims=True)
        return _keep(grad, x.shape, ctx.dims, ctx.keepdim) * share, None, None


class Amin(Amax):
    """y = min of x over dims;  ties share grad evenly (PyTorch's amin)"""

    __slots__ = ()
    _raw_backward = True
    _ufunc = np.min


class Max(Amax):
    """y = max of all of x (``x.max()``);  ties share grad evenly, and a NaN result shares it
    among the NaNs (PyTorch's max, where amax gives NaN gradients)"""

    __slots__ = ()
    _raw_backward = True
    _nan_shares = True


class Min(Amin):
    """y = min of all of x (``x.min()``);  as Max"""

    __slots__ = ()
    _raw_backward = True
    _nan_shares = True


def _stable_max(x: np.ndarray, dims: Any) -> np.ndarray:
    """Max over dims (kept), 0 where it is not finite, for a shift that never overflows:
    logsumexp's, where an inf stays inf (PyTorch's rule)."""
    m = _max_kept(x, dims)
    return np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)


def _max_kept(x: np.ndarray, dims: Any) -> np.ndarray:
    """Max over dims, kept; -inf over an empty dim (nothing to shift: the sum of exps is 0)."""
    if x.size == 0:
        return np.max(x, axis=dims, keepdims=True, initial=-np.inf)
    return np.max(x, axis=dims, keepdims=True)


def _shift(x: np.ndarray, dim: Any) -> np.ndarray:
    """``x`` minus its max over ``dim``, as softmax and cross-entropy shift it (PyTorch's
    rule: a +inf makes its row NaN, as does a row of -inf)."""
    return x - _max_kept(x, dim)


class LogSumExp(Function):
    """y = log(sum(exp(x))) over dims, shifted by the max;  dx = grad * exp(x - y)"""

    __slots__ = ("dims", "keepdim")
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        ctx.dims, ctx.keepdim = dims, keepdim
        if x.dtype.kind not in "fc":
            x = x.astype(np.float32)
        m = _stable_max(x, dims)
        out = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
        if not keepdim:
            out = out.reshape(np.sum(m, axis=dims).shape)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        x, out = ctx.saved_tensors
        out = _keep(out, x.shape, ctx.dims, ctx.keepdim)
        return _keep(grad, x.shape, ctx.dims, ctx.keepdim) * Exp._fwd(x - out), None, None


class Softmax(Function):
    """y = exp(x) / sum(exp(x)) along dim;  dx = y * (grad - sum(grad * y))"""

    __slots__ = ("dim",)
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim = dim
        e = np.exp(_shift(x, dim))
        out = e / np.sum(e, axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (out,) = ctx.saved_tensors
        return out * (grad - _sum_kept(grad * out, ctx.dim)), None


class LogSoftmax(Function):
    """y = x - logsumexp(x) along dim;  dx = grad - exp(y) * sum(grad)"""

    __slots__ = ("dim",)
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim = dim
        shifted = _shift(x, dim)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (out,) = ctx.saved_tensors
        return grad - Exp._fwd(out) * _sum_kept(grad, ctx.dim), None


class Norm(Function):
    """y = sqrt(sum(x**2)) over dims;  dx = grad * x / y (0 where y == 0, as PyTorch)"""

    __slots__ = ("dims", "keepdim")
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        ctx.dims, ctx.keepdim = dims, keepdim
        out = np.sqrt(np.sum(x * x, axis=dims, keepdims=keepdim))
        out = np.asarray(out)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        x, out = ctx.saved_tensors
        out = _keep(out, x.shape, ctx.dims, ctx.keepdim)
        safe = Where._fwd(np.asarray(out) == 0, 1.0, out)
        return _keep(grad, x.shape, ctx.dims, ctx.keepdim) * (x / safe), None, None
