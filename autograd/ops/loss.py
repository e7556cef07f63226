"""Loss primitives: cross-entropy fused with log-softmax, and binary cross-entropy."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor, where
from .reduce import _stable_max


def _class_shape(x: np.ndarray) -> tuple[int, ...]:
    """(1, C, 1, ...): a per-class array shaped to broadcast against x (N, C, *)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


class CrossEntropy(Function):
    """l = sum_c q_c * (logsumexp(x) - x_c) along dim 1, per sample; q_c = w_c * ((1 - s) *
    [c == target] + s / C), 0 where target == ignore_index;  dx = grad * (sum(q) * softmax(x) - q)

    ``x`` is (N, C, *), ``target`` (N, *) integer class indices, ``weight`` a (C,) array or None
    (a constant: PyTorch does not differentiate it either), ``s`` the label smoothing. The
    output is the unreduced loss (N, *). Computed from the shifted logits, so logits of +-1e4
    give finite losses and gradients.
    """

    __slots__ = ("target", "weight", "smoothing", "valid", "logp")

    @staticmethod
    def forward(
        ctx: Any,
        x: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray | None,
        ignore_index: int,
        label_smoothing: float,
    ) -> np.ndarray:
        valid = target != ignore_index
        # ignored positions read class 0 (any class would do) and are zeroed below
        safe = np.where(valid, target, 0)
        shifted = x - _stable_max(x, 1)
        logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        loss = -np.take_along_axis(logp, np.expand_dims(safe, 1), 1).squeeze(1)
        if weight is not None:
            loss *= weight[safe]
        s = float(label_smoothing)
        if s:
            wlogp = logp if weight is None else logp * weight.reshape(_class_shape(x))
            loss = (1.0 - s) * loss - (s / x.shape[1]) * np.sum(wlogp, axis=1)
        loss = np.where(valid, loss, 0).astype(x.dtype, copy=False)
        ctx.target, ctx.weight, ctx.smoothing, ctx.valid, ctx.logp = safe, weight, s, valid, logp
        ctx.save_for_backward(x)
        return loss

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        target, weight, s, valid = ctx.target, ctx.weight, ctx.smoothing, ctx.valid
        n_classes = x.shape[1]
        idx = np.expand_dims(target, 1)
        kept = valid.astype(x.dtype)
        # the target's share of q, per sample: (1 - s) * w[target]; ignored samples get 0
        w_target = (1.0 - s) * (weight[target] if weight is not None else 1.0) * kept
        w_all = 1.0 if weight is None else weight.reshape(_class_shape(x.data))
        # sum_c q_c: the factor of softmax(x) in the gradient
        w_sum = n_classes if weight is None else float(np.sum(weight))
        total = w_target + (s / n_classes * w_sum) * kept
        if is_grad_enabled():
            # create_graph: the gradient as Tensor ops on x and grad (q is a constant), so that it
            # can itself be differentiated; q is built densely only here
            q = np.zeros(x.shape, dtype=x.dtype)
            np.put_along_axis(q, idx, np.expand_dims(w_target, 1), 1)
            if s:
                q += (s / n_classes) * w_all * np.expand_dims(kept, 1)
            # where, not a product: an ignored sample's gradient is 0 even if grad is inf or nan
            # (the 0 / 0 of a mean over nothing but ignored targets), as in PyTorch
            gt = where(valid, grad, 0.0).unsqueeze(1)
            p = x.softmax(1)
            # in x's dtype, as the forward and the unrecorded backward: a float64 weight does
            # not make a float32 gradient float64
            factor = np.expand_dims(total, 1).astype(x.dtype, copy=False)
            return gt * (p * factor - q), None, None, None, None
        with np.errstate(invalid="ignore", over="ignore"):
            g = np.where(valid, grad.data, 0)
            gx = np.exp(ctx.logp) * np.expand_dims(g * total, 1)
            at_target = np.take_along_axis(gx, idx, 1) - np.expand_dims(g * w_target, 1)
            np.put_along_axis(gx, idx, at_target, 1)
            if s:
                gx -= (s / n_classes) * w_all * np.expand_dims(g, 1)
        return Tensor._make(gx.astype(x.dtype, copy=False)), None, None, None, None


class BinaryCrossEntropy(Function):
    """l = -(t * max(log x, -100) + (1 - t) * max(log(1 - x), -100));
    dx = grad * (x - t) / max(x * (1 - x), 1e-12), dt = grad * (log(1 - x) - log(x))

    PyTorch's numbers: the logs are clamped at -100 so that x of exactly 0 or 1 gives a finite
    loss, and the denominator of dx at 1e-12 so that the gradient there is finite too (a
    composite of clamped logs would give 0 there, stopping training when a sigmoid saturates).
    """

    __slots__ = ()

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
        gx = grad * (x - t) / (x * (1 - x)).clamp(min=1e-12) if nx is not None else None
        gt = grad * ((-x).log1p() - x.log()) if nt is not None else None
        return gx, gt
