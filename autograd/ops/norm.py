"""Normalization primitives: batch normalization fused into one op (training mode)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import OpError
from ..function import Function
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor


def batch_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The per-channel mean and biased variance of x (N, C, *) over every dim but 1."""
    if x.ndim < 2:
        raise OpError(f"BatchNorm: expected input of shape (N, C, *), got {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    mean = x.mean(axis=axes)
    centered = x - mean.reshape(_channel_shape(x))
    centered *= centered
    return mean, centered.mean(axis=axes)


def _channel_shape(x: Any) -> tuple[int, ...]:
    """(1, C, 1, ...): a per-channel array shaped to broadcast against x (N, C, *)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


class BatchNorm(Function):
    """Training-mode batch norm over every dim but 1, given that batch's mean and biased var.

    y = xhat * w + b with xhat = (x - mean) / sqrt(var + eps);
    dx = w / sqrt(var + eps) * (grad - mean(grad) - xhat * mean(grad * xhat)),
    dw = sum(grad * xhat), db = sum(grad). ``mean`` and ``var`` must be x's own batch statistics
    (``batch_stats`` computes them; the caller also needs them for running averages, so they
    are computed once): the gradient accounts for their dependence on x.
    """

    __slots__ = ("xhat", "invstd", "eps")
    _raw_backward = True  # arrays get their own in-place path below

    @staticmethod
    def forward(
        ctx: Any,
        x: np.ndarray,
        mean: np.ndarray,
        var: np.ndarray,
        weight: np.ndarray | None,
        bias: np.ndarray | None,
        eps: float,
    ) -> np.ndarray:
        shape = _channel_shape(x)
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False).reshape(shape)
        xhat = x - mean.reshape(shape)
        xhat *= invstd  # in place: each pass over x costs memory time
        # y gets its own memory: xhat is kept for backward and the output may be changed in place
        y = xhat * weight.reshape(shape) if weight is not None else xhat.copy()
        if bias is not None:
            y += bias.reshape(shape)
        ctx.xhat, ctx.invstd, ctx.eps = xhat, invstd, eps
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        x, weight = ctx.saved_tensors
        if not isinstance(grad, Tensor):  # a raw backward: arrays, one full-size temporary
            return _backward_arrays(ctx, grad, weight)
        axes = (0,) + tuple(range(2, x.ndim))
        shape = _channel_shape(x)
        n = x.data.size // x.shape[1]
        if is_grad_enabled():
            # create_graph: rebuild xhat and 1/std from x with Tensor ops, so that the
            # gradient below is itself differentiable in x
            xc = x - x.mean(axes, keepdim=True)
            invstd = ((xc * xc).mean(axes, keepdim=True) + ctx.eps).rsqrt()
            xhat = xc * invstd
        else:
            xhat, invstd = Tensor._make(ctx.xhat), Tensor._make(ctx.invstd)
        nx, _, _, nw, nb = ctx.next_functions[:5]
        gsum = grad.sum(axes, keepdim=True)
        gxsum = (grad * xhat).sum(axes, keepdim=True) if nx is not None or nw is not None else None
        gx = gw = gb = None
        if nx is not None:
            assert gxsum is not None
            scale = invstd if weight is None else invstd * weight.reshape(shape)
            gx = scale * (grad - gsum / n - xhat * (gxsum / n))
        if nw is not None:
            assert gxsum is not None
            gw = gxsum.reshape(x.shape[1])
        if nb is not None:
            gb = gsum.reshape(x.shape[1])
        return gx, None, None, gw, gb, None


def _backward_arrays(ctx: Any, grad: np.ndarray, weight: np.ndarray | None) -> tuple[Any, ...]:
    """BatchNorm's backward on arrays, from the saved xhat and 1/std: the same formula as
    the Tensor path, arranged as dx = w/std * (grad - (mean(grad) + xhat * mean(grad * xhat)))
    with the reductions as einsum and every full-size step in place."""
    xhat, invstd = ctx.xhat, ctx.invstd
    nx, _, _, nw, nb = ctx.next_functions[:5]
    shape = invstd.shape
    dims = list(range(grad.ndim))
    gb = grad.sum(axis=(0,) + tuple(range(2, grad.ndim)))
    gw = None
    if nx is not None or nw is not None:
        gw = np.einsum(grad, dims, xhat, dims, [1], optimize=True)
    gx = None
    if nx is not None:
        assert gw is not None
        gx = xhat * gw.reshape(shape)
        gx += gb.reshape(shape)
        gx *= grad.dtype.type(-shape[1] / grad.size)
        gx += grad
        gx *= invstd if weight is None else invstd * weight.reshape(shape)
    return gx, None, None, (gw if nw is not None else None), (gb if nb is not None else None), None
