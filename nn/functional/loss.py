"""Loss functions: mse, l1, cross-entropy, nll, binary cross-entropy (also on logits), hinge."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import OpError
from autograd.ops.loss import BinaryCrossEntropy, CrossEntropy

from .layers import same_dtype

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "l1_loss",
    "mse_loss",
    "multi_margin_loss",
    "nll_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


# -- argument checks shared by the losses ------------------------------------------------------


def legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """The ``reduction`` that PyTorch's deprecated ``size_average``/``reduce`` pair means."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
        UserWarning,
        stacklevel=3,
    )
    return ret


def _reduction(op: str, reduction: str, size_average: Any = None, reduce: Any = None) -> str:
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise OpError(f"{op}: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _floating_input(op: str, input: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got {input.dtype}")
    return input


def _as_float(op: str, name: str, t: Any, like: Tensor) -> Tensor:
    """``t`` (a Tensor or array-like) as a Tensor of ``like``'s floating dtype."""
    t = t if isinstance(t, Tensor) else autograd.tensor(np.asarray(t))
    if t.dtype.kind not in "biuf":
        raise TypeError(f"{op}: {name} must be numeric, got {t.dtype}")
    return t.astype(like.dtype)


def _target(op: str, target: Any, input: Tensor) -> Tensor:
    """``target`` as a Tensor to compare with ``input``. A floating Tensor keeps its dtype, so
    that the loss follows PyTorch's type promotion (a float32 input and a float64 target give
    a float64 loss, each gradient in its own tensor's dtype); integers, bools and array-likes
    (not tensors in PyTorch) take the input's dtype."""
    if isinstance(target, Tensor) and target.dtype.kind == "f":
        return target
    return _as_float(op, "target", target, input)


def _same_shape(op: str, input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        raise OpError(
            f"{op}: target of shape {target.shape} must have the input's shape {input.shape}"
        )


def _broadcast_target(op: str, input: Tensor, target: Tensor) -> None:
    """PyTorch's rule for mse/l1: a target of another shape broadcasts, with a warning."""
    if target.shape == input.shape:
        return
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise OpError(
            f"{op}: target of shape {target.shape} cannot be broadcast with input of shape "
            f"{input.shape}"
        ) from None
    warnings.warn(
        f"{op}: using a target size ({target.shape}) that is different to the input size "
        f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
        f"Please ensure they have the same size.",
        UserWarning,
        stacklevel=3,
    )


def _indices(op: str, target: Any, expected: tuple[int, ...], input: Tensor) -> np.ndarray:
    """``target`` as an integer array of shape ``expected`` (class indices), or a clear error."""
    arr = target.data if isinstance(target, Tensor) else np.asarray(target)
    if arr.dtype.kind not in "iu":
        hint = (
            f"; for class probabilities give target the input's shape {input.shape}"
            if op == "cross_entropy"
            else ""
        )
        raise TypeError(
            f"{op}: target must hold class indices (an integer tensor), got {arr.dtype} "
            f"values of shape {arr.shape} for input of shape {input.shape}{hint}"
        )
    if arr.shape != expected:
        raise OpError(
            f"{op}: expected target of shape {expected} for input of shape {input.shape} "
            f"(the input without its class dim), got {arr.shape}"
        )
    return arr.astype(np.int64, copy=False)


def _check_range(op: str, target: np.ndarray, n_classes: int, ignore_index: int | None) -> None:
    if target.size:
        lo, hi = target.min(), target.max()
        if 0 <= lo and hi < n_classes:  # the usual case: two reductions, no masks
            return
    bad = (target < 0) | (target >= n_classes)
    if ignore_index is not None:
        bad &= target != ignore_index
    if bad.any():
        value = int(target[bad].flat[0])
        raise IndexError(f"{op}: target {value} is out of range for {n_classes} classes")


def _constant_weight(op: str, name: str, weight: Any) -> None:
    """PyTorch's losses have no gradient for their weights (only the probability form of
    cross_entropy, a composite there too, has one): one that requires grad is an error while
    a graph is recorded, rather than a gradient silently left out."""
    if isinstance(weight, Tensor) and weight.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(
            f"{op}: the loss is not differentiable with respect to '{name}' (as in PyTorch); "
            f"pass {name}.detach()"
        )


def _class_weight(op: str, weight: Any, n_classes: int, like: Tensor) -> np.ndarray | None:
    """A (C,) per-class weight as a constant array in ``like``'s dtype."""
    if weight is None:
        return None
    _constant_weight(op, "weight", weight)
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w.shape != (n_classes,):
        raise OpError(
            f"{op}: weight must be a 1-D tensor with one entry per class ({n_classes}), "
            f"got shape {w.shape}"
        )
    return w.astype(like.dtype, copy=False)


def _class_layout(op: str, input: Tensor) -> tuple[Tensor, tuple[int, ...]]:
    """``input`` as (N, C, *) (an unbatched (C,) becomes (1, C)) and the target shape expected."""
    if input.ndim == 0:
        raise OpError(f"{op}: input must have shape (C,) or (N, C, ...), got a 0-d tensor")
    if input.ndim == 1:
        return input.reshape(1, input.shape[0]), ()
    return input, input.shape[:1] + input.shape[2:]


# -- regression -----------------------------------------------------------------------------


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error (x - y)^2, reduced by ``reduction``.

    As in PyTorch, a target of another shape is broadcast against the input with a
    ``UserWarning`` (it is almost always a bug); shapes that cannot broadcast are a ValueError.
    ``weight`` (the input's shape) gives the weighted mean sum(w * l) / sum(w).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.mse_loss(autograd.tensor([1.0, 2.0]), autograd.tensor([0.0, 0.0]))
        tensor(2.5)
    """
    return _pointwise("mse_loss", input, target, size_average, reduce, reduction, weight)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error |x - y| (gradient 0 where x == y), reduced by ``reduction``.

    Shapes are treated as in ``mse_loss`` (broadcast with a ``UserWarning``).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.l1_loss(autograd.tensor([1.0, -3.0]), autograd.tensor([0.0, 0.0]))
        tensor(2.)
    """
    return _pointwise("l1_loss", input, target, size_average, reduce, reduction, weight)


def _pointwise(
    op: str,
    input: Tensor,
    target: Any,
    size_average: Any,
    reduce: Any,
    reduction: str,
    weight: Any,
) -> Tensor:
    input = _floating_input(op, input)
    target = _target(op, target, input)
    _broadcast_target(op, input, target)
    reduction = _reduction(op, reduction, size_average, reduce)
    diff = input - target
    loss = diff * diff if op == "mse_loss" else diff.abs()
    if weight is None:
        return _reduce(loss, reduction)
    weight = _as_float(op, "weight", weight, input)
    if weight.shape != input.shape:
        raise OpError(
            f"{op}: weight of shape {weight.shape} must have the input's shape {input.shape}"
        )
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# -- classification ---------------------------------------------------------------------------


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits ``input`` (N, C, d1, ...) or (C,) against ``target``.

    ``target`` is either class indices, an integer tensor of shape (N, d1, ...) (or () for an
    unbatched input), or class probabilities with the input's shape. With indices, log-softmax
    and the negative log-likelihood run as one fused op (finite for logits of +-1e4), samples
    whose target is ``ignore_index`` count for nothing, and 'mean' is the weighted mean
    sum(w[y_i] * l_i) / sum(w[y_i]) over the others (nan when every target is ignored, as in
    PyTorch). ``label_smoothing`` s mixes the target with the uniform distribution: l_i =
    (1 - s) * nll_i + s / C * sum_c w_c * (-log p_ic). With probabilities, l_i = -sum_c w_c *
    t_ic * log p_ic and 'mean' divides by the number of samples. Any integer dtype is accepted
    for indices (PyTorch takes int64 and uint8); ``weight`` is not differentiated for indices.

    Example:
        >>> import autograd, nn.functional as F
        >>> logits = autograd.tensor([[2.0, 0.0], [0.0, 2.0]])
        >>> F.cross_entropy(logits, autograd.tensor([0, 1]))
        tensor(0.1269)
    """
    op = "cross_entropy"
    input = _floating_input(op, input)
    reduction = _reduction(op, reduction, size_average, reduce)
    s = float(label_smoothing)
    if not 0.0 <= s <= 1.0:
        raise OpError(f"{op}: label_smoothing must be between 0.0 and 1.0, got {s}")
    x, expected = _class_layout(op, input)
    n_classes = x.shape[1]
    target_shape = target.shape if isinstance(target, Tensor) else np.shape(target)
    if tuple(target_shape) == input.shape:
        return _cross_entropy_probs(input, x, target, weight, ignore_index, reduction, s)
    t = _indices(op, target, expected, input).reshape(x.shape[:1] + x.shape[2:])
    _check_range(op, t, n_classes, ignore_index)
    w = _class_weight(op, weight, n_classes, x)
    if reduction == "none":
        loss = CrossEntropy.apply(x, t, w, int(ignore_index), s, None)
        return loss.reshape(()) if input.ndim == 1 else loss
    # the reduction inside the fused node: sum(l) / divisor, as loss.sum() / divisor would be
    divisor = _weight_total(t, w, ignore_index) if reduction == "mean" else 1.0
    return CrossEntropy.apply(x, t, w, int(ignore_index), s, divisor)


def _cross_entropy_probs(
    input: Tensor, x: Tensor, target: Any, weight: Any, ignore_index: int, reduction: str, s: float
) -> Tensor:
    """Cross-entropy against class probabilities (a composite: the target is differentiable)."""
    op = "cross_entropy"
    dtype = target.dtype if isinstance(target, Tensor) else np.asarray(target).dtype
    if dtype.kind != "f":
        raise TypeError(
            f"{op}: a target of the input's shape {input.shape} holds class probabilities and "
            f"must be floating point, got {dtype} (class indices have shape "
            f"{input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()})"
        )
    if ignore_index >= 0:
        raise OpError(
            f"{op}: ignore_index ({ignore_index}) is not supported for class-probability targets"
        )
    n_classes = x.shape[1]
    t = _target(op, target, input).reshape(x.shape)
    if s:
        t = t * (1.0 - s) + s / n_classes
    logp = x.log_softmax(1)
    prod = logp * t
    if weight is not None:
        w = _as_float(op, "weight", weight, input)
        if w.shape != (n_classes,):
            raise OpError(
                f"{op}: weight must be a 1-D tensor with one entry per class ({n_classes}), "
                f"got shape {w.shape}"
            )
        prod = prod * w.reshape((1, n_classes) + (1,) * (x.ndim - 2))
    loss = -prod.sum(1)
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def _weight_total(t: np.ndarray, w: np.ndarray | None, ignore_index: int) -> float:
    """The denominator of a 'mean' over class indices: sum of w[target] over kept targets."""
    valid = t != ignore_index
    if w is None:
        return float(np.count_nonzero(valid))
    return float(np.sum(w[t[valid]], dtype=np.float64))


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood -w[y] * input[y] of log-probabilities ``input`` (N, C, d1, ...)
    or (C,) at class indices ``target`` (N, d1, ...) or ().

    'mean' is the weighted mean over targets that are not ``ignore_index`` (nan when all are,
    as in PyTorch); ``weight`` is not differentiated (as in PyTorch).

    Example:
        >>> import autograd, nn.functional as F
        >>> logp = autograd.tensor([[-0.5, -1.0], [-2.0, -0.1]])
        >>> F.nll_loss(logp, autograd.tensor([0, 1]))
        tensor(0.3)
    """
    op = "nll_loss"
    input = _floating_input(op, input)
    reduction = _reduction(op, reduction, size_average, reduce)
    x, expected = _class_layout(op, input)
    n_classes = x.shape[1]
    t = _indices(op, target, expected, input).reshape(x.shape[:1] + x.shape[2:])
    _check_range(op, t, n_classes, ignore_index)
    w = _class_weight(op, weight, n_classes, x)
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    picked = autograd.take_along_dim(x, np.expand_dims(safe, 1), 1).squeeze(1)
    if w is not None:
        picked = picked * w[safe]
    # where, not a product with the mask: an ignored sample's gradient stays 0 even when the
    # mean divides by a total weight of 0 (PyTorch's numbers)
    loss = autograd.where(valid, -picked, 0.0)
    if input.ndim == 1:
        loss = loss.reshape(())
    if reduction == "mean":
        return loss.sum() / _weight_total(t, w, ignore_index)
    return _reduce(loss, reduction)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy -w * (y log x + (1 - y) log(1 - x)) of probabilities ``input``.

    The logs are clamped to >= -100 and the gradient's denominator x(1 - x) to >= 1e-12, as in
    PyTorch, so inputs of exactly 0 or 1 give finite numbers. Input and target must have the
    same shape and floating dtype (no promotion, as in PyTorch) with values in [0, 1];
    ``weight`` broadcasts to the input's shape and is not differentiated (as in PyTorch).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.binary_cross_entropy(autograd.tensor([0.5]), autograd.tensor([1.0]))
        tensor(0.6931)
    """
    op = "binary_cross_entropy"
    input = _floating_input(op, input)
    target = _target(op, target, input)
    same_dtype(op, input, target=target)  # PyTorch has no promotion here either
    _same_shape(op, input, target)
    reduction = _reduction(op, reduction, size_average, reduce)
    for name, t in (("input", input), ("target", target)):
        inside = (t.data >= 0) & (t.data <= 1)
        if not inside.all():
            bad = t.data[~inside].flat[0]
            raise OpError(
                f"{op}: all elements of {name} should be between 0 and 1, found {bad}"
                + ("; apply sigmoid first or use binary_cross_entropy_with_logits" * (t is input))
            )
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * _elementwise_weight(op, "weight", weight, input)
    return _reduce(loss, reduction)


def _elementwise_weight(op: str, name: str, weight: Any, input: Tensor) -> Tensor:
    _constant_weight(op, name, weight)
    w = _as_float(op, name, weight, input)
    try:
        ok = np.broadcast_shapes(w.shape, input.shape) == input.shape
    except ValueError:
        ok = False
    if not ok:
        raise OpError(
            f"{op}: {name} of shape {w.shape} cannot be broadcast to the input's shape "
            f"{input.shape}"
        )
    return w


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of logits: -w * (p y log s(x) + (1 - y) log(1 - s(x))), s = sigmoid.

    Computed as (1 - y) x + (1 + (p - 1) y) * softplus(-x) with softplus(-x) = log1p(exp(-|x|))
    + max(-x, 0), so it is finite for any logit. ``pos_weight`` p (broadcast along the last
    dim, one per class) weighs the positive term; ``weight`` broadcasts to the input's shape.
    Neither weight is differentiated (as in PyTorch).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.binary_cross_entropy_with_logits(autograd.tensor([0.0]), autograd.tensor([1.0]))
        tensor(0.6931)
    """
    op = "binary_cross_entropy_with_logits"
    input = _floating_input(op, input)
    target = _target(op, target, input)
    _same_shape(op, input, target)
    reduction = _reduction(op, reduction, size_average, reduce)
    loss = _neg_log_sigmoid(input)
    if pos_weight is not None:
        pw = _elementwise_weight(op, "pos_weight", pos_weight, input)
        loss = loss * ((pw - 1.0) * target + 1.0)
    loss = loss + (1.0 - target) * input
    if weight is not None:
        loss = loss * _elementwise_weight(op, "weight", weight, input)
    return _reduce(loss, reduction)


def _neg_log_sigmoid(x: Tensor) -> Tensor:
    """-log(sigmoid(x)) = log1p(exp(-|x|)) + max(-x, 0), smooth at 0 (no |x| kink).

    Each side uses its own smooth formula (picked by ``where``), so the gradient at x == 0 is
    -1/2, not the 0 that differentiating ``abs`` and ``max`` there would give.
    """
    pos = x.data > 0
    return autograd.where(pos, -x, x).exp().log1p() + autograd.where(pos, 0.0, -x)


def multi_margin_loss(
    input: Tensor,
    target: Any,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: l_i = sum_{j != y} w[y] * max(0, margin - x[y] + x[j])^p / C.

    ``input`` is (N, C) or (C,), ``target`` class indices (N,) or (); p is 1 or 2. The gradient
    at the hinge (margin - x[y] + x[j] == 0) is 0, and ``weight`` is not differentiated, as in
    PyTorch.

    Example:
        >>> import autograd, nn.functional as F
        >>> x = autograd.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> F.multi_margin_loss(x, autograd.tensor([3]))
        tensor(0.325)
    """
    op = "multi_margin_loss"
    if p not in (1, 2):
        raise OpError(f"{op}: only p == 1 and p == 2 supported, got p={p}")
    input = _floating_input(op, input)
    reduction = _reduction(op, reduction, size_average, reduce)
    if input.ndim not in (1, 2) or input.numel() == 0 and input.ndim == 1:
        raise OpError(
            f"{op}: input must be a non-empty vector (C,) or a matrix (N, C), got shape "
            f"{input.shape}"
        )
    unbatched = input.ndim == 1
    x = input.reshape(1, input.shape[0]) if unbatched else input
    n_classes = x.shape[1]
    target_shape = tuple(target.shape if isinstance(target, Tensor) else np.shape(target))
    expected = target_shape if unbatched and target_shape in ((), (1,)) else x.shape[:1]
    t = _indices(op, target, expected, input).reshape(x.shape[0])
    _check_range(op, t, n_classes, None)
    idx = t[:, None]
    z = (float(margin) - autograd.take_along_dim(x, idx, 1)) + x
    active = (z.data > 0) & (np.arange(n_classes) != idx)
    h = autograd.where(active, z, 0.0)
    if p == 2:
        h = h * h
    w = _class_weight(op, weight, n_classes, x)
    if w is not None:
        h = h * w[t][:, None]
    loss = h.sum(1) / n_classes
    if unbatched:
        loss = loss.reshape(expected)
    return _reduce(loss, reduction)
