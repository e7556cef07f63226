"""Loss primitives: cross-entropy fused with log-softmax, and binary cross-entropy."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor, where
from .elementwise import Clamp, Log, Log1p
from .reduce import _shift


def _class_shape(x: np.ndarray) -> tuple[int, ...]:
    """(1, C, 1, ...): a per-class array shaped to broadcast against x (N, C, *)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


class CrossEntropy(Function):
    """l = sum_c q_c * (logsumexp(x) - x_c) along dim 1, per sample; q_c = w_c * ((1 - s) *
    [c == target] + s / C), 0 where target == ignore_index;  dx = grad * (sum(q) * softmax(x) - q)

    ``x`` is (N, C, *), ``target`` (N, *) integer class indices, ``weight`` a (C,) array or None
    (a constant: PyTorch does not differentiate it either), ``s`` the label smoothing. The
    output is the unreduced loss (N, *), or with a ``divisor`` the scalar sum(l) / divisor
    (the reduced losses in one node; each sample's grad is then grad / divisor). Computed from
    the shifted logits, so logits of +-1e4 give finite losses and gradients.
    """

    __slots__ = ("target", "weight", "smoothing", "valid", "exp", "exp_sum", "divisor")
    _raw_backward = True  # the unrecorded formula is on arrays; the recorded one on Tensors

    @staticmethod
    def forward(
        ctx: Any,
        x: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray | None,
        ignore_index: int,
        label_smoothing: float,
        divisor: float | None,
    ) -> np.ndarray:
        valid = target != ignore_index
        every = bool(valid.all())
        # ignored positions read class 0 (any class would do) and are zeroed below
        safe = target if every else np.where(valid, target, 0)
        shifted = _shift(x, 1)
        exp = np.exp(shifted)
        exp_sum = exp.sum(axis=1, keepdims=True)
        lse = np.log(exp_sum)
        # -log p[target] = lse - shifted[target]
        if x.ndim == 2:  # plain indexing: take_along_axis's set-up costs more than the math
            loss = lse[:, 0] - shifted[np.arange(x.shape[0]), safe]
        else:
            loss = (lse - np.take_along_axis(shifted, np.expand_dims(safe, 1), 1)).squeeze(1)
        if weight is not None:
            loss *= weight[safe]
        s = float(label_smoothing)
        if s:
            logp = shifted - lse
            wlogp = logp if weight is None else logp * weight.reshape(_class_shape(x))
            loss = (1.0 - s) * loss - (s / x.shape[1]) * np.sum(wlogp, axis=1)
        if not every:
            loss = np.where(valid, loss, 0)
        ctx.target, ctx.weight, ctx.smoothing = safe, weight, s
        ctx.valid = None if every else valid
        ctx.exp, ctx.exp_sum, ctx.divisor = exp, exp_sum, divisor
        ctx.save_for_backward(x)
        loss = loss.astype(x.dtype, copy=False)
        return loss if divisor is None else np.asarray(loss.sum() / divisor)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        target, weight, s, valid = ctx.target, ctx.weight, ctx.smoothing, ctx.valid
        n_classes = ctx.exp.shape[1]
        if is_grad_enabled():
            if ctx.divisor is not None:
                grad = (grad / ctx.divisor).expand(target.shape)
            return CrossEntropy._recorded_backward(ctx, grad), None, None, None, None, None
        g = grad.data if isinstance(grad, Tensor) else grad
        if ctx.divisor is not None:
            g = np.broadcast_to(g / ctx.divisor, target.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            if valid is not None:  # where, not a product: see _recorded_backward
                g = np.where(valid, g, 0)
            gx = ctx.exp / ctx.exp_sum  # softmax(x)
            if weight is None and not s:  # dx = grad * (softmax - onehot)
                if gx.ndim == 2:
                    gx *= g[:, None]
                    gx[np.arange(gx.shape[0]), target] -= g
                else:
                    gx *= np.expand_dims(g, 1)
                    idx = np.expand_dims(target, 1)
                    at = np.take_along_axis(gx, idx, 1) - np.expand_dims(g, 1)
                    np.put_along_axis(gx, idx, at, 1)
                return gx, None, None, None, None, None
            kept = 1.0 if valid is None else valid.astype(gx.dtype)
            w_target, total, w_all = _ce_weights(target, weight, s, n_classes, kept)
            gx *= np.expand_dims(g * total, 1)
            idx = np.expand_dims(target, 1)
            at_target = np.take_along_axis(gx, idx, 1) - np.expand_dims(g * w_target, 1)
            np.put_along_axis(gx, idx, at_target, 1)
            if s:
                gx -= (s / n_classes) * w_all * np.expand_dims(g, 1)
        return gx.astype(ctx.exp.dtype, copy=False), None, None, None, None, None

    @staticmethod
    def _recorded_backward(ctx: Any, grad: Tensor) -> Tensor:
        """create_graph: the gradient as Tensor ops on x and grad (q is a constant), so that it
        can itself be differentiated; q is built densely only here."""
        (x,) = ctx.saved_tensors
        target, weight, s = ctx.target, ctx.weight, ctx.smoothing
        valid = ctx.valid if ctx.valid is not None else np.ones(target.shape, dtype=bool)
        n_classes = x.shape[1]
        kept = valid.astype(x.dtype)
        w_target, total, w_all = _ce_weights(target, weight, s, n_classes, kept)
        q = np.zeros(x.shape, dtype=x.dtype)
        np.put_along_axis(q, np.expand_dims(target, 1), np.expand_dims(w_target, 1), 1)
        if s:
            q += (s / n_classes) * w_all * np.expand_dims(kept, 1)
        # where, not a product: an ignored sample's gradient is 0 even if grad is inf or nan
        # (the 0 / 0 of a mean over nothing but ignored targets), as in PyTorch
        gt = where(valid, grad, 0.0).unsqueeze(1)
        p = x.softmax(1)
        # in x's dtype, as the forward and the unrecorded backward: a float64 weight does
        # not make a float32 gradient float64
        factor = np.expand_dims(total, 1).astype(x.dtype, copy=False)
        return gt * (p * factor - q)


def _ce_weights(
    target: np.ndarray, weight: np.ndarray | None, s: float, n_classes: int, kept: Any
) -> tuple[Any, Any, Any]:
    """Per sample, the target's share of q ((1 - s) * w[target], 0 where ignored) and
    sum_c q_c (the factor of softmax(x) in the gradient); and w as a per-class array."""
    w_target = (1.0 - s) * (weight[target] if weight is not None else 1.0) * kept
    w_all = 1.0 if weight is None else weight.reshape((1, n_classes) + (1,) * (target.ndim - 1))
    w_sum = n_classes if weight is None else float(np.sum(weight))
    return w_target, w_target + (s / n_classes * w_sum) * kept, w_all


class BinaryCrossEntropy(Function):
    """l = -(t * max(log x, -100) + (1 - t) * max(log(1 - x), -100));
    dx = grad * (x - t) / max(x * (1 - x), 1e-12), dt = grad * (log(1 - x) - log(x))

    PyTorch's numbers: the logs are clamped at -100 so that x of exactly 0 or 1 gives a finite
    loss, and the denominator of dx at 1e-12 so that the gradient there is finite too (a
    composite of clamped logs would give 0 there, stopping training when a sigmoid saturates).
    """

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x, t)
        log_x = np.maximum(np.log(x), -100)
        log_1mx = np.maximum(np.log1p(-x), -100)
        return np.asarray((t - 1) * log_1mx - t * log_x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        x, t = ctx.saved_tensors
        nx, nt = ctx.next_functions[:2]
        gx = grad * (x - t) / Clamp._fwd(x * (1 - x), 1e-12, None) if nx is not None else None
        gt = grad * (Log1p._fwd(-x) - Log._fwd(x)) if nt is not None else None
        return gx, gt
