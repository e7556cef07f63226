"""Loss primitives: fused CrossEntropy against its composite; BinaryCrossEntropy at its edges."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from autograd.ops.loss import BinaryCrossEntropy, CrossEntropy
from tests.autograd.ops._table import Row, array, check, ids, leaf, uniform

# -- drawn cross-entropy cases ------------------------------------------------------------------


@st.composite
def ce_args(draw: Any) -> dict[str, Any]:
    """Logits (N, C, *) with class-index targets, some ignored, a weight or None, a smoothing."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    spatial = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    shape = (n, c) + spatial
    tshape = (n,) + spatial
    ignore_index = draw(st.sampled_from([-100, -1, 0, c - 1]))
    target = draw(
        st.lists(
            st.integers(0, c - 1), min_size=int(np.prod(tshape)), max_size=int(np.prod(tshape))
        )
    )
    t = np.array(target, dtype=np.int64).reshape(tshape)
    # some targets become ignore_index (when it is a class, some already are)
    drop = np.array(draw(st.lists(st.booleans(), min_size=t.size, max_size=t.size)), bool)
    t = np.where(drop.reshape(tshape), ignore_index, t)
    weighted = draw(st.booleans())
    weight = array(draw, (c,), uniform(0.1, 2.0)) if weighted else None
    smoothing = draw(st.sampled_from([0.0, 0.0, 1.0]) | uniform(0.0, 1.0))
    return {
        "x": leaf(draw, shape),
        "target": t,
        "weight": weight,
        "ignore_index": ignore_index,
        "smoothing": smoothing,
    }


def fused(
    x: Tensor, target: np.ndarray, weight: Any, ignore_index: int, smoothing: float
) -> Tensor:
    return CrossEntropy.apply(x, target, weight, ignore_index, smoothing, None)


def composite(
    x: Tensor, target: np.ndarray, weight: Any, ignore_index: int, smoothing: float
) -> Tensor:
    """The same per-sample loss from log_softmax, a gather and the weighting: what the fused op
    must equal."""
    c = x.shape[1]
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    logp = x.log_softmax(1)
    nll = -autograd.take_along_dim(logp, np.expand_dims(safe, 1), 1).squeeze(1)
    wshape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        nll = nll * weight[safe]
        smooth = -(logp * weight.reshape(wshape)).sum(1)
    else:
        smooth = -logp.sum(1)
    loss = nll * (1.0 - smoothing) + smooth * (smoothing / c)
    return autograd.where(valid, loss, 0.0)


def _cross_entropy(draw: Any) -> tuple[Any, tuple[Any, ...]]:
    a = draw(ce_args())
    return (
        lambda x: fused(x, a["target"], a["weight"], a["ignore_index"], a["smoothing"]),
        (a["x"],),
    )


def _cross_entropy_mean(draw: Any) -> tuple[Any, tuple[Any, ...]]:
    """The fused op under a weighted mean, as F.cross_entropy uses it (grad is a broadcast)."""
    a = draw(ce_args())
    t, w, ii = a["target"], a["weight"], a["ignore_index"]
    valid = t != ii
    total = float(np.sum(w[t[valid]])) if w is not None else float(valid.sum())
    total = total or 1.0  # all ignored: 0 / 0 is nan, not differentiable
    return lambda x: fused(x, t, w, ii, a["smoothing"]).sum() / total, (a["x"],)


def _cross_entropy_reduced(draw: Any) -> tuple[Any, tuple[Any, ...]]:
    """The reduction inside the node (a divisor): what F.cross_entropy records."""
    a = draw(ce_args())
    t, w, ii, s = a["target"], a["weight"], a["ignore_index"], a["smoothing"]
    divisor = draw(st.sampled_from([1.0, 3.0, float(t.size)]))
    return lambda x: CrossEntropy.apply(x, t, w, ii, s, divisor), (a["x"],)


def _bce(draw: Any) -> tuple[Any, tuple[Any, ...]]:
    shape = draw(st.sampled_from([(), (3,), (2, 3), (4, 1, 2)]))
    x = leaf(draw, shape, uniform(0.05, 0.95))
    t = leaf(draw, shape, uniform(0.0, 1.0))
    return BinaryCrossEntropy.apply, (x, t)


def _bce_input_only(draw: Any) -> tuple[Any, tuple[Any, ...]]:
    shape = draw(st.sampled_from([(3,), (2, 2)]))
    x = leaf(draw, shape, uniform(0.05, 0.95))
    t = autograd.tensor(array(draw, shape, st.sampled_from([0.0, 1.0])))
    return BinaryCrossEntropy.apply, (x, t)


# The table of this family: one row per case, each gradchecked and gradgradchecked by `check`.
OPS: list[Row] = [
    Row("cross_entropy (fused, per sample)", (CrossEntropy,), _cross_entropy),
    Row("cross_entropy (fused, weighted mean)", (CrossEntropy,), _cross_entropy_mean),
    Row("cross_entropy (reduced in the node)", (CrossEntropy,), _cross_entropy_reduced),
    Row("binary_cross_entropy wrt input and target", (BinaryCrossEntropy,), _bce),
    Row("binary_cross_entropy wrt input, 0/1 targets", (BinaryCrossEntropy,), _bce_input_only),
]


@pytest.mark.parametrize("row", OPS, ids=ids(OPS))
@given(data=st.data())
def test_derivatives(row: Row, data: Any) -> None:
    check(row, data.draw)


# -- the fused op equals the composite ---------------------------------------------------------


@given(a=ce_args(), seed=st.integers(0, 2**16))
def test_fused_equals_composite_in_value_and_gradients(a, seed):
    x = a["x"]
    args = (a["target"], a["weight"], a["ignore_index"], a["smoothing"])
    rng = np.random.default_rng(seed)
    g = autograd.tensor(rng.standard_normal(a["target"].shape))
    results = []
    for f in (fused, composite):
        y = f(x, *args)
        (first,) = autograd.grad(y, x, g, create_graph=True)
        # a second-order quantity: d/dx of sum(first-order gradient ** 2)
        (second,) = autograd.grad((first * first).sum(), x)
        results.append((y.numpy(), first.numpy(), second.numpy()))
    for got, want in zip(*results, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@given(a=ce_args(), seed=st.integers(0, 2**16))
def test_unrecorded_backward_equals_composite(a, seed):
    """The backward that runs on arrays (no create_graph): its plain (no weight, no smoothing)
    and general forms, 2-D and (N, C, *) inputs, with and without ignored targets."""
    x = a["x"]
    args = (a["target"], a["weight"], a["ignore_index"], a["smoothing"])
    g = autograd.tensor(np.random.default_rng(seed).standard_normal(a["target"].shape))
    (got,) = autograd.grad(fused(x, *args), x, g)
    (want,) = autograd.grad(composite(x, *args), x, g)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-10)


@given(a=ce_args(), divisor=st.sampled_from([1.0, 3.0, 0.0]))
@pytest.mark.parametrize("create_graph", [False, True])
def test_reduced_in_the_node_equals_sum_over_divisor(a, divisor, create_graph):
    """Value and gradient bit for bit those of fused(...).sum() / divisor (0 / 0 is nan)."""
    x = a["x"]
    args = (a["target"], a["weight"], a["ignore_index"], a["smoothing"])
    got = CrossEntropy.apply(x, *args, divisor)
    want = fused(x, *args).sum() / divisor
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    (g1,) = autograd.grad(got, x, create_graph=create_graph)
    (g2,) = autograd.grad(want, x, create_graph=create_graph)
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())


def _ce_numpy(x: np.ndarray, t: np.ndarray, w: Any, ii: int, s: float) -> np.ndarray:
    """The per-sample loss by its textbook formula, in float64 NumPy."""
    c = x.shape[1]
    m = x.max(axis=1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))
    w = np.ones(c) if w is None else w
    out = np.zeros(t.shape)
    for pos in np.ndindex(t.shape):
        if t[pos] == ii:
            continue
        lp = logp[(pos[0], slice(None)) + pos[1:]]
        out[pos] = (1 - s) * w[t[pos]] * -lp[t[pos]] + s / c * np.sum(w * -lp)
    return out


@given(a=ce_args())
def test_fused_equals_the_formula(a):
    got = fused(a["x"], a["target"], a["weight"], a["ignore_index"], a["smoothing"])
    want = _ce_numpy(a["x"].numpy(), a["target"], a["weight"], a["ignore_index"], a["smoothing"])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


# -- stability, dtypes, ignored samples ---------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_logits_of_1e4_stay_finite(dtype, smoothing):
    x = autograd.tensor(
        np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]], dtype=dtype), requires_grad=True
    )
    t = np.array([1, 1])
    y = fused(x, t, None, -100, smoothing)
    assert y.dtype == dtype
    # -log p is [0, 2e4, 1e4] in row 0 (the target 2e4 below the max), [2e4, 0, 1e4 - 3] in row 1
    want = [(1 - smoothing) * 2e4 + smoothing / 3 * 3e4, smoothing / 3 * (3e4 - 3)]
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6)
    (gx,) = autograd.grad(y.sum(), x, create_graph=True)
    assert gx.dtype == dtype and np.all(np.isfinite(gx.numpy()))
    (gxx,) = autograd.grad((gx * gx).sum(), x)
    assert np.all(np.isfinite(gxx.numpy()))
    # softmax is one-hot here: the gradient is onehot(argmax) - q
    q = np.array([[0, 1 - smoothing, 0], [0, 1 - smoothing, 0]]) + smoothing / 3
    np.testing.assert_allclose(gx.numpy(), np.array([[1.0, 0, 0], [0, 1.0, 0]]) - q, atol=1e-6)


def test_float32_matches_float64():
    rng = np.random.default_rng(3)
    x64 = rng.standard_normal((16, 10)) * 4
    t = rng.integers(0, 10, 16)
    w = rng.random(10) + 0.5
    outs = []
    for dt in (np.float32, np.float64):
        x = autograd.tensor(x64.astype(dt), requires_grad=True)
        y = fused(x, t, w.astype(dt), -100, 0.1)
        y.sum().backward()
        assert y.dtype == dt and x.grad is not None and x.grad.dtype == dt
        outs.append((y.numpy(), x.grad.numpy()))
    for a, b in zip(*outs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("create_graph", [False, True])
def test_ignored_samples_get_zero_gradient_even_from_nan(create_graph):
    # a mean over nothing but ignored targets is 0 / 0: the loss is nan, the gradient 0
    x = autograd.tensor(np.ones((2, 3)), requires_grad=True)
    y = fused(x, np.array([-100, -100]), None, -100, 0.3)
    assert y.tolist() == [0.0, 0.0]
    g = autograd.tensor(np.array([np.nan, np.inf]))
    (gx,) = autograd.grad(y, x, g, create_graph=create_graph)
    assert np.array_equal(gx.numpy(), np.zeros((2, 3)))


def test_ignore_index_may_be_a_class():
    x = autograd.tensor(np.array([[1.0, 2.0], [3.0, 0.5]]), requires_grad=True)
    y = fused(x, np.array([0, 1]), None, 0, 0.0)
    assert y[0].item() == 0.0 and y[1].item() == pytest.approx(np.log1p(np.exp(2.5)))
    y.sum().backward()
    assert x.grad is not None and np.all(x.grad.numpy()[0] == 0)


def test_cross_entropy_matches_torch_in_double_backward():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    xa, t, w = rng.standard_normal((4, 3, 2)), rng.integers(0, 3, (4, 2)), rng.random(3)
    t[1, 0] = -100
    x = autograd.tensor(xa, requires_grad=True)
    (g,) = autograd.grad(fused(x, t, w, -100, 0.2).sum(), x, create_graph=True)
    (gg,) = autograd.grad((g * g).sum(), x)
    xt = torch.tensor(xa, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(
        xt, torch.tensor(t), torch.tensor(w), reduction="sum", label_smoothing=0.2
    )
    (gt,) = torch.autograd.grad(lt, xt, create_graph=True)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(g.numpy(), gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gg.numpy(), ggt.numpy(), rtol=1e-10, atol=1e-12)


# -- binary cross-entropy at the edges (PyTorch's clamps) --------------------------------------


def test_bce_at_exactly_0_and_1_matches_pytorchs_clamps():
    x = autograd.tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    t = autograd.tensor(np.array([0.0, 0.0, 1.0, 1.0]), requires_grad=True)
    y = BinaryCrossEntropy.apply(x, t)
    assert y.tolist() == [0.0, 100.0, 100.0, 0.0]  # log clamped at -100
    y.sum().backward()
    assert x.grad is not None and t.grad is not None
    # dx = (x - t) / max(x (1 - x), 1e-12): finite, and pushing x towards t
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1e12, -1e12, 0.0])
    # dt = log(1 - x) - log(x) = -logit(x): infinite at the edges, as in PyTorch
    assert t.grad.tolist() == [np.inf, -np.inf, np.inf, -np.inf]


def test_bce_equals_the_formula_inside():
    rng = np.random.default_rng(0)
    xa, ta = rng.uniform(0.01, 0.99, 50), rng.uniform(0, 1, 50)
    y = BinaryCrossEntropy.apply(autograd.tensor(xa), autograd.tensor(ta))
    np.testing.assert_allclose(
        y.numpy(), -(ta * np.log(xa) + (1 - ta) * np.log(1 - xa)), rtol=1e-12
    )
