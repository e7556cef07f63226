"""Losses: every loss and reduction gradchecked and against NumPy formulas, modules, errors."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
import nn
import nn.functional as F
from autograd import Tensor
from autograd.ops.loss import CrossEntropy
from autograd.testing import gradcheck, gradgradcheck

REDUCTIONS = ["none", "mean", "sum"]
Case = tuple[Callable[..., Tensor], tuple[Tensor, ...], np.ndarray]

# -- the formulas, in NumPy ---------------------------------------------------------------------


def reduce_np(loss: np.ndarray, reduction: str, total: float | None = None) -> np.ndarray:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.asarray(loss.sum())
    return np.asarray(loss.sum() / (loss.size if total is None else total))


def log_softmax_np(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


def ce_indices_np(x, t, w, ii, s, reduction):
    """PyTorch's formula: (1 - s) w[y] (-log p_y) + s / C sum_c w_c (-log p_c), weighted mean."""
    unbatched = x.ndim == 1
    x, t = (x[None], t[None]) if unbatched else (x, t)
    c = x.shape[1]
    logp = log_softmax_np(x)
    w = np.ones(c) if w is None else w
    loss, total = np.zeros(t.shape), 0.0
    for pos in np.ndindex(t.shape):
        if t[pos] == ii:
            continue
        lp = logp[(pos[0], slice(None)) + pos[1:]]
        loss[pos] = (1 - s) * w[t[pos]] * -lp[t[pos]] + s / c * np.sum(w * -lp)
        total += w[t[pos]]
    return reduce_np(loss[0] if unbatched else loss, reduction, total)


def ce_probs_np(x, p, w, s, reduction):
    x2, p2 = (x[None], p[None]) if x.ndim == 1 else (x, p)
    c = x2.shape[1]
    q = p2 * (1 - s) + s / c
    wb = (np.ones(c) if w is None else w).reshape((1, c) + (1,) * (x2.ndim - 2))
    loss = -(log_softmax_np(x2) * q * wb).sum(axis=1)
    return reduce_np(loss[0] if x.ndim == 1 else loss, reduction)


def nll_np(x, t, w, ii, reduction):
    unbatched = x.ndim == 1
    x, t = (x[None], t[None]) if unbatched else (x, t)
    w = np.ones(x.shape[1]) if w is None else w
    loss, total = np.zeros(t.shape), 0.0
    for pos in np.ndindex(t.shape):
        if t[pos] != ii:
            loss[pos] = -w[t[pos]] * x[(pos[0], t[pos]) + pos[1:]]
            total += w[t[pos]]
    return reduce_np(loss[0] if unbatched else loss, reduction, total)


def bce_np(x, t, w, reduction):
    loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return reduce_np(loss * (1 if w is None else w), reduction)


def bce_logits_np(x, t, w, pw, reduction):
    log_sig, log_one_minus_sig = -np.logaddexp(0, -x), -np.logaddexp(0, x)
    pw = 1 if pw is None else pw
    loss = -(pw * t * log_sig + (1 - t) * log_one_minus_sig)
    return reduce_np(loss * (1 if w is None else w), reduction)


def multi_margin_np(x, t, p, margin, w, reduction):
    x2, t2 = (x[None], np.reshape(t, 1)) if x.ndim == 1 else (x, t)
    n, c = x2.shape
    loss = np.zeros(n)
    for i in range(n):
        y = t2[i]
        for j in range(c):
            if j != y:
                h = max(0.0, margin - x2[i, y] + x2[i, j]) ** p
                loss[i] += (1 if w is None else w[y]) * h / c
    return reduce_np(loss.reshape(np.shape(t)) if x.ndim == 1 else loss, reduction)


# -- drawn cases: (fn, inputs, expected value) ------------------------------------------------


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def arr(draw: Any, shape: tuple[int, ...], lo: float = -3.0, hi: float = 3.0) -> np.ndarray:
    return draw(hnp.arrays(np.float64, shape, elements=floats(lo, hi)))


def leaf(a: np.ndarray) -> Tensor:
    return autograd.tensor(a, requires_grad=True)


def small_shape(draw: Any, min_dims: int = 1) -> tuple[int, ...]:
    # at most 8 elements: gradgradcheck's finite differences cost 2 evaluations per element
    shapes = hnp.array_shapes(min_dims=min_dims, max_dims=3, max_side=3)
    return draw(shapes.filter(lambda s: int(np.prod(s)) <= 8))


def class_shapes(draw: Any, unbatched: bool = True) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """An input shape (C,), (N, C) or (N, C, d) and the matching class-index target shape."""
    kind = draw(st.sampled_from(["unbatched", "batched", "spatial"] if unbatched else ["batched"]))
    c = draw(st.integers(1, 4))
    if kind == "unbatched":
        return (c,), ()
    n = draw(st.integers(1, 3))
    if kind == "batched":
        return (n, c), (n,)
    n, d = min(n, 2), draw(st.integers(1, 2))
    return (n, c, d), (n, d)


def class_targets(draw: Any, c: int, shape: tuple[int, ...], ii: int, reduction: str) -> Any:
    t = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, c - 1)))
    drop = draw(hnp.arrays(np.bool_, shape))
    t = np.where(drop, ii, t)
    if reduction == "mean" and np.all(t == ii):
        # a mean over nothing but ignored targets is nan (see test_all_ignored_*)
        t = np.full(shape, next(k for k in range(c + 1) if k != ii))
        if np.any(t >= c):
            return None
    return t


def _pointwise(draw: Any, reduction: str, name: str) -> Case:
    shape = small_shape(draw, 0)
    y = arr(draw, shape)
    if name == "mse_loss":
        x = arr(draw, shape)
    else:  # |x - y| has a kink at x == y: keep the difference away from it
        x = y + draw(hnp.arrays(np.float64, shape, elements=floats(0.1, 2) | floats(-2, -0.1)))
    loss = (x - y) ** 2 if name == "mse_loss" else np.abs(x - y)
    f = getattr(F, name)
    if not draw(st.booleans()):
        want = reduce_np(loss, reduction)
        return lambda a, b: f(a, b, reduction=reduction), (leaf(x), leaf(y)), want
    # weighted (PyTorch 2.6+): a weight of the input's shape, 'mean' divides by its sum
    w = arr(draw, shape, 0.1, 2.0)
    want = reduce_np(loss * w, reduction, float(w.sum()))
    return lambda a, b, c: f(a, b, reduction=reduction, weight=c), (leaf(x), leaf(y), leaf(w)), want


def _mse(draw: Any, reduction: str) -> Case:
    return _pointwise(draw, reduction, "mse_loss")


def _l1(draw: Any, reduction: str) -> Case:
    return _pointwise(draw, reduction, "l1_loss")


def _ce_indices(draw: Any, reduction: str) -> Case:
    shape, tshape = class_shapes(draw)
    c = shape[0] if len(shape) == 1 else shape[1]
    ii = draw(st.sampled_from([-100, -1] + ([c - 1] if c > 1 else [])))
    t = class_targets(draw, c, tshape, ii, reduction)
    if t is None:
        ii, t = -100, np.zeros(tshape, np.int64)
    w = arr(draw, (c,), 0.1, 2.0) if draw(st.booleans()) else None
    s = draw(st.sampled_from([0.0, 1.0]) | floats(0.0, 1.0))
    x = arr(draw, shape)
    want = ce_indices_np(x, t, w, ii, s, reduction)
    wt = None if w is None else autograd.tensor(w)

    def fn(a: Tensor) -> Tensor:
        return F.cross_entropy(
            a, autograd.tensor(t), wt, ignore_index=ii, reduction=reduction, label_smoothing=s
        )

    return fn, (leaf(x),), want


def _ce_probs(draw: Any, reduction: str) -> Case:
    shape, _ = class_shapes(draw)
    c = shape[0] if len(shape) == 1 else shape[1]
    x, p = arr(draw, shape), arr(draw, shape, 0.0, 1.0)
    w = arr(draw, (c,), 0.1, 2.0) if draw(st.booleans()) else None
    s = draw(st.sampled_from([0.0, 1.0]) | floats(0.0, 1.0))
    want = ce_probs_np(x, p, w, s, reduction)

    def fn(a: Tensor, b: Tensor, *weight: Tensor) -> Tensor:
        wt = weight[0] if weight else None
        return F.cross_entropy(a, b, wt, reduction=reduction, label_smoothing=s)

    # the target and (for probabilities, as in PyTorch) the weight are differentiable too
    inputs = (leaf(x), leaf(p)) + (() if w is None else (leaf(w),))
    return fn, inputs, want


def _nll(draw: Any, reduction: str) -> Case:
    shape, tshape = class_shapes(draw)
    c = shape[0] if len(shape) == 1 else shape[1]
    ii = draw(st.sampled_from([-100] + ([0] if c > 1 else [])))
    t = class_targets(draw, c, tshape, ii, reduction)
    if t is None:
        ii, t = -100, np.zeros(tshape, np.int64)
    w = arr(draw, (c,), 0.1, 2.0) if draw(st.booleans()) else None
    x = arr(draw, shape)
    want = nll_np(x, t, w, ii, reduction)
    wt = None if w is None else autograd.tensor(w)

    def fn(a: Tensor) -> Tensor:
        return F.nll_loss(a, autograd.tensor(t), wt, ignore_index=ii, reduction=reduction)

    return fn, (leaf(x),), want


def _bce(draw: Any, reduction: str) -> Case:
    shape = small_shape(draw, 0)
    # targets inside (0, 1) too: finite differences must not step out of the allowed range
    x, t = arr(draw, shape, 0.05, 0.95), arr(draw, shape, 0.01, 0.99)
    w = arr(draw, shape[-1:], 0.1, 2.0) if draw(st.booleans()) else None
    want = bce_np(x, t, w, reduction)
    wt = None if w is None else autograd.tensor(w)  # not differentiable (as in PyTorch)

    def fn(a: Tensor, b: Tensor) -> Tensor:
        return F.binary_cross_entropy(a, b, wt, reduction=reduction)

    return fn, (leaf(x), leaf(t)), want


def _bce_logits(draw: Any, reduction: str) -> Case:
    shape = small_shape(draw, 0)
    # 0 itself is drawn often: the loss is smooth there (no |x| kink in the formula)
    x = arr(draw, shape, -5.0, 5.0)
    t = arr(draw, shape, 0.0, 1.0)
    w = arr(draw, shape[-1:], 0.1, 2.0) if draw(st.booleans()) else None
    pw = arr(draw, shape[-1:], 0.1, 3.0) if draw(st.booleans()) else None
    want = bce_logits_np(x, t, w, pw, reduction)
    # neither weight is differentiable (as in PyTorch)
    wt, pwt = (None if v is None else autograd.tensor(v) for v in (w, pw))

    def fn(a: Tensor, b: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(a, b, wt, reduction=reduction, pos_weight=pwt)

    return fn, (leaf(x), leaf(t)), want


def _multi_margin(draw: Any, reduction: str) -> Case:
    shape, tshape = class_shapes(draw)
    c = shape[-1] if len(shape) == 1 else shape[1]
    if len(shape) == 3:
        shape, tshape = shape[:2], tshape[:1]
    # logits on an integer grid (plus a little jitter) and a margin half-way between: the hinge
    # margin - x[y] + x[j] stays >= 0.4 away from its kink at 0
    x = np.round(arr(draw, shape)) + arr(draw, shape, -0.05, 0.05)
    margin = draw(st.sampled_from([0.5, 1.5, -0.5]))
    t = draw(hnp.arrays(np.int64, tshape, elements=st.integers(0, c - 1)))
    p = draw(st.sampled_from([1, 2]))
    w = arr(draw, (c,), 0.1, 2.0) if draw(st.booleans()) else None
    want = multi_margin_np(x, t, p, margin, w, reduction)
    wt = None if w is None else autograd.tensor(w)

    def fn(a: Tensor) -> Tensor:
        return F.multi_margin_loss(a, autograd.tensor(t), p, margin, wt, reduction=reduction)

    return fn, (leaf(x),), want


LOSSES: dict[str, Callable[[Any, str], Case]] = {
    "mse_loss": _mse,
    "l1_loss": _l1,
    "cross_entropy indices": _ce_indices,
    "cross_entropy probabilities": _ce_probs,
    "nll_loss": _nll,
    "binary_cross_entropy": _bce,
    "binary_cross_entropy_with_logits": _bce_logits,
    "multi_margin_loss": _multi_margin,
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(LOSSES))
@given(data=st.data())
def test_loss_values_and_gradients(name: str, reduction: str, data: Any) -> None:
    fn, inputs, want = LOSSES[name](data.draw, reduction)
    got = fn(*inputs)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


# -- the fused cross-entropy is used (and is the faster path) -----------------------------------


def _node_types(t: Tensor) -> set[type]:
    seen, stack, found = set(), [t.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen or not hasattr(fn, "next_functions"):
            continue
        seen.add(id(fn))
        found.add(fn.op)
        stack.extend(fn.next_functions)
    return found


def test_cross_entropy_with_indices_runs_the_fused_op():
    x = autograd.randn(4, 3, requires_grad=True)
    assert CrossEntropy in _node_types(F.cross_entropy(x, autograd.tensor([0, 1, 2, 0])))
    assert CrossEntropy in _node_types(nn.CrossEntropyLoss()(x, autograd.tensor([0, 1, 2, 0])))


# -- special values -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logits_of_1e4_give_finite_losses_and_gradients(dtype):
    x = autograd.tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], dtype=dtype))
    x.requires_grad_()
    probs = autograd.tensor(np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], dtype=dtype))
    ones = autograd.tensor(np.ones((2, 3), dtype))
    # -log softmax is [0, 2e4, 1e4] in row 0 and [2e4, 0, 1e4] in row 1
    cases = [
        (F.cross_entropy(x, autograd.tensor([1, 1]), label_smoothing=0.1), (19000 + 1000) / 2),
        (F.cross_entropy(x, probs), (2e4 + 1e4) / 2),
        # softplus(-x) is [0, 1e4, log 2] and [1e4, 0, log 2]
        (F.binary_cross_entropy_with_logits(x, ones), (2e4 + 2 * np.log(2)) / 6),
    ]
    for loss, want in cases:
        assert loss.dtype == dtype
        assert loss.item() == pytest.approx(want, rel=1e-6)
        (g,) = autograd.grad(loss, x, create_graph=True)
        (gg,) = autograd.grad((g * g).sum(), x)
        assert np.all(np.isfinite(g.numpy())) and np.all(np.isfinite(gg.numpy()))


def test_binary_cross_entropy_with_logits_gradient_at_zero_is_sigmoid_minus_target():
    x = autograd.tensor(np.zeros(3), requires_grad=True)
    t = autograd.tensor(np.array([0.0, 0.5, 1.0]))
    F.binary_cross_entropy_with_logits(x, t, reduction="sum").backward()
    assert x.grad is not None and x.grad.tolist() == [0.5, 0.0, -0.5]


@pytest.mark.parametrize("smoothing", [0.0, 0.4])
def test_all_ignored_targets_give_nan_mean_and_zero_gradient(smoothing):
    # PyTorch's numbers: 0 / 0 for the loss, but no gradient reaches the input
    x = autograd.tensor(np.ones((3, 4)), requires_grad=True)
    t = autograd.tensor([-100, -100, -100])
    for loss in (F.cross_entropy(x, t, label_smoothing=smoothing), F.nll_loss(x, t)):
        assert np.isnan(loss.item())
        (g,) = autograd.grad(loss, x)
        assert np.array_equal(g.numpy(), np.zeros((3, 4)))
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0


def test_empty_batch_mean_is_nan_and_sum_is_zero():
    x = autograd.zeros(0, 3)
    assert np.isnan(F.cross_entropy(x, autograd.zeros(0, dtype=np.int64)).item())
    assert F.cross_entropy(x, autograd.zeros(0, dtype=np.int64), reduction="sum").item() == 0.0
    assert np.isnan(F.mse_loss(autograd.zeros(0), autograd.zeros(0)).item())


def test_binary_cross_entropy_at_0_and_1_is_clamped_like_pytorch():
    x = autograd.tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    t = autograd.tensor(np.array([0.0, 0.0, 1.0, 1.0]))
    loss = F.binary_cross_entropy(x, t, reduction="none")
    assert loss.tolist() == [0.0, 100.0, 100.0, 0.0]
    loss.sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1e12, -1e12, 0.0])


def test_float32_inputs_keep_their_dtype():
    x = autograd.randn(4, 3, requires_grad=True)
    t = autograd.tensor([0, 2, 1, 0])
    for loss in (
        F.cross_entropy(x, t, weight=autograd.ones(3, dtype=np.float64)),
        F.nll_loss(x, t),
        F.mse_loss(x, autograd.zeros(4, 3)),
        F.binary_cross_entropy_with_logits(x, autograd.zeros(4, 3)),
        F.multi_margin_loss(x, t),
    ):
        assert loss.dtype == np.float32
        (g,) = autograd.grad(loss, x)
        assert g.dtype == np.float32


# PyTorch 2.13's (loss, input gradient, target gradient) for a float32 input and a float64
# target: type promotion gives a float64 loss, and each gradient has its own tensor's dtype
MIXED_X = [[0.1, -0.7], [1.3, 0.2]]
MIXED_T = [[0.3, 0.6], [0.9, 0.15]]
MIXED = {
    "mse_loss": (
        0.4731249826401479,
        [[-0.10000000149011612, -0.6499999761581421], [0.19999997317790985, 0.02500000223517418]],
        [[0.09999999925494193, 0.6499999940395356], [-0.19999997615814208, -0.025000001490116122]],
    ),
    "l1_loss": (
        0.48749998547136786,
        [[-0.25, -0.25], [0.25, 0.25]],
        [[0.25, 0.25], [-0.25, -0.25]],
    ),
    "binary_cross_entropy_with_logits": (
        0.6691825017333031,
        [[0.05624479427933693, -0.06704694032669067], [-0.028541242703795433, 0.09995848685503006]],
        [[-0.02500000037252903, 0.17499999701976776], [-0.32499998807907104, -0.05000000074505806]],
    ),
    "cross_entropy": (
        0.6403463289141655,
        [[0.1604885309934616, -0.16048851609230042], [-0.05611344426870346, 0.05611344054341316]],
        [[0.18555031716823578, 0.5855503082275391], [0.14366766810417175, 0.6936676502227783]],
    ),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_float32_input_and_float64_target_promote_as_pytorch(name):
    x = autograd.tensor(np.array(MIXED_X, np.float32), requires_grad=True)
    t = autograd.tensor(np.array(MIXED_T), requires_grad=True)
    loss = getattr(F, name)(x, t)
    want, want_gx, want_gt = MIXED[name]
    assert loss.dtype == np.float64
    # float32 accuracy: which steps run in float32 before the promotion is each library's own
    # (binary_cross_entropy_with_logits' softplus, here and in PyTorch)
    np.testing.assert_allclose(loss.item(), want, rtol=1e-7)
    loss.backward()
    assert x.grad is not None and t.grad is not None
    assert x.grad.dtype == np.float32 and t.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), want_gx, rtol=1e-6)
    np.testing.assert_allclose(t.grad.numpy(), want_gt, rtol=1e-14)
    # the other way round promotes too
    assert getattr(F, name)(t.detach(), x.detach()).dtype == np.float64


def test_binary_cross_entropy_of_two_float_dtypes_is_an_error():
    # as in PyTorch ("Found dtype Double but expected Float"): no promotion there
    x, t = autograd.full((2,), 0.5), autograd.full((2,), 0.5, dtype=np.float64)
    with pytest.raises(RuntimeError, match=re.escape("input (float32) and target (float64)")):
        F.binary_cross_entropy(x, t)
    # an integer target takes the input's dtype, as before
    assert F.binary_cross_entropy(x, autograd.tensor([1, 0])).dtype == np.float32


def test_worked_examples():
    # log(1 + e^-2) for both samples
    logits = autograd.tensor([[2.0, 0.0], [0.0, 2.0]])
    assert F.cross_entropy(logits, autograd.tensor([0, 1])).item() == pytest.approx(
        np.log1p(np.exp(-2.0))
    )
    # the hinge of the seeds: (1 - 0.8 + 0.1) + (1 - 0.8 + 0.2) + (1 - 0.8 + 0.4), over 4
    x = autograd.tensor([[0.1, 0.2, 0.4, 0.8]])
    assert F.multi_margin_loss(x, autograd.tensor([3])).item() == pytest.approx(0.325)
    assert F.mse_loss(autograd.tensor([1.0, 2.0]), autograd.zeros(2)).item() == 2.5


# -- PyTorch as an oracle (an optional extra: skipped when torch is not installed) --------------


def _torch_cases(rng: np.random.Generator) -> list[tuple[str, dict[str, Any], list[str]]]:
    """(function name, keyword arrays, names of the differentiable ones)."""
    x3 = rng.standard_normal((4, 3, 2))
    t3 = rng.integers(0, 3, (4, 2))
    t3[0, 0] = -100
    p = rng.random((3, 4))
    q = rng.random((3, 4))
    q[0, 0], q[0, 1] = 0.0, 1.0
    return [
        ("mse_loss", {"input": rng.standard_normal((3, 4)), "target": p}, ["input", "target"]),
        ("l1_loss", {"input": rng.standard_normal((3, 4)), "target": p}, ["input", "target"]),
        (
            "cross_entropy",
            {"input": x3, "target": t3, "weight": rng.random(3), "label_smoothing": 0.3},
            ["input"],
        ),
        ("cross_entropy", {"input": x3, "target": rng.random((4, 3, 2))}, ["input", "target"]),
        ("nll_loss", {"input": x3, "target": t3, "weight": rng.random(3)}, ["input"]),
        ("binary_cross_entropy", {"input": q, "target": p, "weight": rng.random(4)}, ["input"]),
        (
            "binary_cross_entropy_with_logits",
            {
                "input": rng.standard_normal((3, 4)) * 5,
                "target": p,
                "weight": rng.random(4),
                "pos_weight": rng.random(4) * 3,
            },
            ["input", "target"],
        ),
        (
            "multi_margin_loss",
            {"input": rng.standard_normal((5, 4)), "target": rng.integers(0, 4, 5), "p": 2},
            ["input"],
        ),
    ]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for name, kwargs, diff in _torch_cases(rng):
        ours = {
            k: (autograd.tensor(v, requires_grad=k in diff) if isinstance(v, np.ndarray) else v)
            for k, v in kwargs.items()
        }
        theirs = {
            k: (torch.tensor(v, requires_grad=k in diff) if isinstance(v, np.ndarray) else v)
            for k, v in kwargs.items()
        }
        got = getattr(F, name)(reduction=reduction, **ours)
        want = getattr(torch.nn.functional, name)(reduction=reduction, **theirs)
        np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-10, err_msg=name)
        g = rng.standard_normal(got.shape)
        grads = autograd.grad(got, [ours[k] for k in diff], autograd.tensor(g))
        tgrads = torch.autograd.grad(want, [theirs[k] for k in diff], torch.tensor(g))
        for k, a, b in zip(diff, grads, tgrads, strict=True):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, err_msg=f"{name} d{k}")


# -- modules ------------------------------------------------------------------------------------


def test_modules_compute_their_functional_form():
    rng = np.random.default_rng(0)
    x = autograd.tensor(rng.standard_normal((4, 3)))
    t = autograd.tensor([0, 2, 1, 2])
    pr = autograd.tensor(rng.random((4, 3)))
    w = autograd.tensor(rng.random(3))
    pairs = [
        (nn.MSELoss(reduction="sum")(x, pr), F.mse_loss(x, pr, reduction="sum")),
        (nn.L1Loss()(x, pr), F.l1_loss(x, pr)),
        (
            nn.CrossEntropyLoss(w, ignore_index=1, label_smoothing=0.2)(x, t),
            F.cross_entropy(x, t, w, ignore_index=1, label_smoothing=0.2),
        ),
        (nn.NLLLoss(w, reduction="none")(x, t), F.nll_loss(x, t, w, reduction="none")),
        (nn.BCELoss(w)(pr, pr), F.binary_cross_entropy(pr, pr, w)),
        (
            nn.BCEWithLogitsLoss(w, pos_weight=w)(x, pr),
            F.binary_cross_entropy_with_logits(x, pr, w, pos_weight=w),
        ),
        (nn.MultiMarginLoss(2, 0.5, w)(x, t), F.multi_margin_loss(x, t, 2, 0.5, w)),
    ]
    for got, want in pairs:
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_weights_are_buffers_in_the_state_dict():
    w = autograd.ones(3)
    for module in (
        nn.CrossEntropyLoss(w),
        nn.NLLLoss(w),
        nn.BCELoss(w),
        nn.MultiMarginLoss(weight=w),
    ):
        assert module.weight is w
        assert list(module.state_dict()) == ["weight"]
        assert [b for b in module.buffers()] == [w]
        assert list(module.parameters()) == []
    m = nn.BCEWithLogitsLoss(pos_weight=w)
    assert list(m.state_dict()) == ["pos_weight"] and m.weight is None
    assert nn.CrossEntropyLoss().state_dict() == {}
    m = nn.CrossEntropyLoss(autograd.ones(3)).double()
    assert m.weight is not None and m.weight.dtype == np.float64


def test_module_attributes_and_reprs():
    m = nn.CrossEntropyLoss(ignore_index=3, label_smoothing=0.1)
    assert (m.ignore_index, m.label_smoothing, m.reduction) == (3, 0.1, "mean")
    m2 = nn.MultiMarginLoss(p=2, margin=0.5)
    assert (m2.p, m2.margin) == (2, 0.5)
    for cls in (nn.MSELoss, nn.L1Loss, nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss):
        assert repr(cls()) == f"{cls.__name__}()"
    assert repr(nn.BCEWithLogitsLoss(pos_weight=autograd.ones(2))) == "BCEWithLogitsLoss()"
    assert repr(nn.Sequential(nn.Linear(2, 2), nn.MSELoss())).endswith("(1): MSELoss()\n)")


@pytest.mark.parametrize(
    ("size_average", "reduce", "want"),
    [(True, True, "mean"), (False, None, "sum"), (True, False, "none"), (None, False, "none")],
)
def test_deprecated_size_average_and_reduce(size_average, reduce, want):
    with pytest.warns(UserWarning, match=f"reduction='{want}'"):
        assert nn.MSELoss(size_average, reduce).reduction == want
    with pytest.warns(UserWarning, match="deprecated"):
        loss = F.l1_loss(autograd.ones(2), autograd.zeros(2), size_average, reduce)
    assert loss.shape == ((2,) if want == "none" else ())


# -- errors -------------------------------------------------------------------------------------

X = autograd.tensor(np.zeros((3, 5)))
T = autograd.tensor([0, 1, 2])

ERRORS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    (
        "target out of range",
        lambda: F.cross_entropy(X, autograd.tensor([0, 7, 1])),
        IndexError,
        "cross_entropy: target 7 is out of range for 5 classes",
    ),
    (
        "negative target that is not ignore_index",
        lambda: F.nll_loss(X, autograd.tensor([0, -1, 1])),
        IndexError,
        "nll_loss: target -1 is out of range for 5 classes",
    ),
    (
        "hinge target out of range",
        lambda: F.multi_margin_loss(X, autograd.tensor([0, 5, 1])),
        IndexError,
        "multi_margin_loss: target 5 is out of range for 5 classes",
    ),
    (
        "float targets for indices",
        lambda: F.cross_entropy(X, autograd.tensor([0.0, 1.0, 2.0])),
        TypeError,
        "cross_entropy: target must hold class indices (an integer tensor), got float32",
    ),
    (
        "float targets for nll",
        lambda: F.nll_loss(X, autograd.tensor([0.0, 1.0, 2.0])),
        TypeError,
        "nll_loss: target must hold class indices",
    ),
    (
        "float targets for the hinge",
        lambda: F.multi_margin_loss(X, autograd.tensor([0.0, 1.0, 2.0])),
        TypeError,
        "multi_margin_loss: target must hold class indices",
    ),
    (
        "integer probabilities",
        lambda: F.cross_entropy(X, autograd.zeros(3, 5, dtype=np.int64)),
        TypeError,
        "cross_entropy: a target of the input's shape (3, 5) holds class probabilities",
    ),
    (
        "target batch size",
        lambda: F.cross_entropy(X, autograd.tensor([0, 1])),
        ValueError,
        "cross_entropy: expected target of shape (3,) for input of shape (3, 5)",
    ),
    (
        "spatial target shape",
        lambda: F.nll_loss(autograd.zeros(2, 3, 4), autograd.zeros(2, 5, dtype=np.int64)),
        ValueError,
        "nll_loss: expected target of shape (2, 4) for input of shape (2, 3, 4)",
    ),
    (
        "ignore_index with probabilities",
        lambda: F.cross_entropy(X, autograd.zeros(3, 5), ignore_index=1),
        ValueError,
        "cross_entropy: ignore_index (1) is not supported for class-probability targets",
    ),
    (
        "label smoothing",
        lambda: F.cross_entropy(X, T, label_smoothing=1.5),
        ValueError,
        "cross_entropy: label_smoothing must be between 0.0 and 1.0, got 1.5",
    ),
    (
        "weight shape",
        lambda: F.cross_entropy(X, T, weight=autograd.ones(4)),
        ValueError,
        "cross_entropy: weight must be a 1-D tensor with one entry per class (5), got shape (4,)",
    ),
    (
        "weight requiring grad",
        lambda: F.cross_entropy(X, T, weight=autograd.ones(5, requires_grad=True)),
        RuntimeError,
        "cross_entropy: the loss is not differentiable with respect to 'weight'",
    ),
    (
        "BCE weight requiring grad",
        lambda: F.binary_cross_entropy(
            X.sigmoid(), X.sigmoid(), autograd.ones(5, requires_grad=True)
        ),
        RuntimeError,
        "binary_cross_entropy: the loss is not differentiable with respect to 'weight'",
    ),
    (
        "BCE with logits weight requiring grad",
        lambda: F.binary_cross_entropy_with_logits(X, X, autograd.ones(5, requires_grad=True)),
        RuntimeError,
        "binary_cross_entropy_with_logits: the loss is not differentiable with respect to 'weight'",
    ),
    (
        "pos_weight requiring grad",
        lambda: F.binary_cross_entropy_with_logits(
            X, X, pos_weight=autograd.ones(5, requires_grad=True)
        ),
        RuntimeError,
        "binary_cross_entropy_with_logits: the loss is not differentiable with respect to "
        "'pos_weight'",
    ),
    (
        "hinge weight requiring grad",
        lambda: F.multi_margin_loss(X, T, weight=autograd.ones(5, requires_grad=True)),
        RuntimeError,
        "multi_margin_loss: the loss is not differentiable with respect to 'weight'",
    ),
    (
        "0-d input",
        lambda: F.cross_entropy(autograd.tensor(1.0), autograd.tensor(0)),
        ValueError,
        "cross_entropy: input must have shape (C,) or (N, C, ...), got a 0-d tensor",
    ),
    (
        "integer input",
        lambda: F.cross_entropy(T, T),
        TypeError,
        "cross_entropy: input must be floating point, got int64",
    ),
    (
        "shapes that do not broadcast",
        lambda: F.mse_loss(autograd.zeros(2, 3), autograd.zeros(4)),
        ValueError,
        "mse_loss: target of shape (4,) cannot be broadcast with input of shape (2, 3)",
    ),
    (
        "BCE input above 1",
        lambda: F.binary_cross_entropy(autograd.tensor([0.5, 1.5]), autograd.tensor([1.0, 0.0])),
        ValueError,
        "binary_cross_entropy: all elements of input should be between 0 and 1, found 1.5",
    ),
    (
        "BCE negative input",
        lambda: F.binary_cross_entropy(autograd.tensor([-0.5]), autograd.tensor([1.0])),
        ValueError,
        "binary_cross_entropy: all elements of input should be between 0 and 1, found -0.5",
    ),
    (
        "BCE nan input",
        lambda: F.binary_cross_entropy(autograd.tensor([float("nan")]), autograd.tensor([1.0])),
        ValueError,
        "binary_cross_entropy: all elements of input should be between 0 and 1, found nan",
    ),
    (
        "BCE target outside [0, 1]",
        lambda: F.binary_cross_entropy(autograd.tensor([0.5]), autograd.tensor([2.0])),
        ValueError,
        "binary_cross_entropy: all elements of target should be between 0 and 1, found 2.0",
    ),
    (
        "BCE shapes",
        lambda: F.binary_cross_entropy(autograd.tensor([0.5, 0.2]), autograd.tensor([1.0])),
        ValueError,
        "binary_cross_entropy: target of shape (1,) must have the input's shape (2,)",
    ),
    (
        "BCE with logits shapes",
        lambda: F.binary_cross_entropy_with_logits(autograd.zeros(2), autograd.zeros(2, 1)),
        ValueError,
        "binary_cross_entropy_with_logits: target of shape (2, 1) must have the input's shape",
    ),
    (
        "pos_weight shape",
        lambda: F.binary_cross_entropy_with_logits(
            autograd.zeros(2, 3), autograd.zeros(2, 3), pos_weight=autograd.ones(2)
        ),
        ValueError,
        "binary_cross_entropy_with_logits: pos_weight of shape (2,) cannot be broadcast to the "
        "input's shape (2, 3)",
    ),
    (
        "hinge p",
        lambda: F.multi_margin_loss(X, T, p=3),
        ValueError,
        "multi_margin_loss: only p == 1 and p == 2 supported, got p=3",
    ),
    (
        "hinge input dims",
        lambda: F.multi_margin_loss(autograd.zeros(2, 3, 4), T),
        ValueError,
        "multi_margin_loss: input must be a non-empty vector (C,) or a matrix (N, C)",
    ),
    (
        "MultiMarginLoss p",
        lambda: nn.MultiMarginLoss(p=3),
        ValueError,
        "MultiMarginLoss: only p == 1 and p == 2 supported, got p=3",
    ),
    (
        "mse weight shape",
        lambda: F.mse_loss(autograd.zeros(2, 3), autograd.zeros(2, 3), weight=autograd.ones(3)),
        ValueError,
        "mse_loss: weight of shape (3,) must have the input's shape (2, 3)",
    ),
]
ERRORS += [
    (
        f"bad reduction for {name}",
        (lambda f=f: f(reduction="avg")),
        ValueError,
        f"{name}: reduction must be 'none', 'mean' or 'sum', got 'avg'",
    )
    for name, f in [
        ("mse_loss", lambda **kw: F.mse_loss(X, X, **kw)),
        ("l1_loss", lambda **kw: F.l1_loss(X, X, **kw)),
        ("cross_entropy", lambda **kw: F.cross_entropy(X, T, **kw)),
        ("nll_loss", lambda **kw: F.nll_loss(X, T, **kw)),
        ("binary_cross_entropy", lambda **kw: F.binary_cross_entropy(X, X, **kw)),
        (
            "binary_cross_entropy_with_logits",
            lambda **kw: F.binary_cross_entropy_with_logits(X, X, **kw),
        ),
        ("multi_margin_loss", lambda **kw: F.multi_margin_loss(X, T, **kw)),
        ("cross_entropy", lambda **kw: nn.CrossEntropyLoss(**kw)(X, T)),
    ]
]


@pytest.mark.parametrize(("case", "fn", "error", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(case, fn, error, message):
    with pytest.raises(error, match=re.escape(message)):
        fn()


def test_mse_loss_broadcasts_a_target_of_another_shape_with_a_warning():
    x = autograd.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.warns(UserWarning, match=re.escape("mse_loss: using a target size ((3,))")):
        loss = F.mse_loss(x, autograd.tensor([0.0, 1.0, 2.0]))
    assert loss.item() == pytest.approx(np.mean((np.arange(6.0).reshape(2, 3) - [0, 1, 2]) ** 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(x, autograd.zeros(2, 3))  # same shapes: silent


def test_weight_may_require_grad_outside_grad_mode_and_for_probabilities():
    w = autograd.ones(5, requires_grad=True)
    with autograd.no_grad():
        F.cross_entropy(X, T, weight=w)
        F.binary_cross_entropy(X.sigmoid(), X.sigmoid(), w)
        F.binary_cross_entropy_with_logits(X, X, w, pos_weight=w)
        assert F.multi_margin_loss(X, T, weight=w).item() == F.multi_margin_loss(X, T).item()
    loss = F.cross_entropy(X, autograd.ones(3, 5) / 5, weight=w)
    (gw,) = autograd.grad(loss, w)
    np.testing.assert_allclose(gw.numpy(), np.full(5, np.log(5) / 5))


def test_other_integer_dtypes_are_indices_too():
    x = autograd.tensor(np.random.default_rng(0).standard_normal((3, 4)))
    want = F.cross_entropy(x, autograd.tensor(np.array([0, 3, 1]))).item()
    for dt in (np.int32, np.uint8, np.int16):
        assert F.cross_entropy(x, autograd.tensor(np.array([0, 3, 1], dt))).item() == want
    assert F.cross_entropy(x, np.array([0, 3, 1])).item() == want  # arrays work as targets
