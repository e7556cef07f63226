"""nn.utils: gradient clipping by norm and by value, and parameters <-> one vector."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
import nn
from autograd import Tensor

NORM_TYPES = [2.0, 1.0, 3.0, 0.5, math.inf, -math.inf, 0.0]


def params_with_grads(grads: list[np.ndarray]) -> list[nn.Parameter]:
    params = []
    for g in grads:
        p = nn.Parameter(autograd.tensor(np.zeros_like(g)))
        p.grad = autograd.tensor(g.copy())
        params.append(p)
    return params


def norm_np(v: np.ndarray, p: float) -> float:
    a = np.abs(v.ravel())
    if p == math.inf:
        return float(a.max())
    if p == -math.inf:
        return float(a.min())
    if p == 0:
        return float(np.count_nonzero(a))
    return float(np.sum(a**p) ** (1 / p))


def total_norm_np(grads: list[np.ndarray], p: float) -> float:
    """PyTorch's total norm, written out: the p-norm of the gradients' p-norms (for p != 0 the
    norm of all gradients seen as one vector; for p == 0 the number of non-zero gradients)."""
    return norm_np(np.array([norm_np(g, p) for g in grads]), p)


grad_lists = st.lists(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
        elements=st.floats(-10, 10, allow_subnormal=False),
    ),
    min_size=1,
    max_size=4,
)


@given(grads=grad_lists, max_norm=st.floats(0.01, 50), p=st.sampled_from(NORM_TYPES))
def test_clip_grad_norm_scales_by_pytorchs_coefficient(grads, max_norm, p):
    params = params_with_grads(grads)
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type=p)
    want = total_norm_np(grads, p)
    assert isinstance(total, Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), want, rtol=1e-12)
    coef = min(max_norm / (want + 1e-6), 1.0)
    for param, g in zip(params, grads, strict=True):
        assert param.grad is not None and param.grad.dtype == np.float64
        np.testing.assert_allclose(param.grad.numpy(), g * coef, rtol=1e-12, atol=0)
    if p == 2.0:
        # after clipping the norm is at most max_norm
        assert total_norm_np([q.grad.numpy() for q in params], 2.0) <= max_norm + 1e-9


def test_clip_grad_norm_worked_example():
    p = autograd.tensor([3.0, 4.0], requires_grad=True)
    (p * p).sum().backward()  # grad [6, 8], norm 10
    total = nn.utils.clip_grad_norm_(p, max_norm=1.0)
    assert total.item() == 10.0 and total.dtype == np.float32
    assert p.grad is not None
    np.testing.assert_allclose(p.grad.numpy(), np.array([6.0, 8.0]) / (10 + 1e-6), rtol=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone_and_skips_params_without_grad():
    a = nn.Parameter(autograd.zeros(2))
    b = nn.Parameter(autograd.zeros(2))
    a.grad = autograd.tensor([0.3, 0.4])
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(0.5)
    assert a.grad is not None and a.grad.tolist() == pytest.approx([0.3, 0.4])
    assert b.grad is None


def test_clip_grad_norm_with_no_gradients_returns_zero():
    assert nn.utils.clip_grad_norm_([nn.Parameter(autograd.zeros(2))], 1.0).item() == 0.0
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_warns_on_an_empty_generator():
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_accepts_inf_as_a_string_and_a_module_s_parameters():
    model = nn.Linear(3, 2)
    model(autograd.ones(4, 3)).sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters() if p.grad is not None]
    total = nn.utils.clip_grad_norm_(model.parameters(), 0.5, norm_type="inf")
    assert total.item() == pytest.approx(max(np.abs(g).max() for g in grads))


def test_clip_grad_norm_nonfinite():
    p = nn.Parameter(autograd.zeros(2))
    p.grad = autograd.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    # without the flag: scaled by max_norm / inf = 0 (inf * 0 is nan), silently as PyTorch
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert total.item() == np.inf
    assert p.grad is not None and np.isnan(p.grad.numpy()[0]) and p.grad.numpy()[1] == 0.0


def test_clip_grad_norm_mixed_dtypes_keep_each_gradient_s_dtype():
    a, b = nn.Parameter(autograd.zeros(2)), nn.Parameter(autograd.zeros(1).double())
    a.grad = autograd.tensor([3.0, 0.0])
    b.grad = autograd.tensor(np.array([4.0]))
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(5.0) and total.dtype == np.float64
    assert a.grad is not None and a.grad.dtype == np.float32
    assert b.grad is not None and b.grad.dtype == np.float64


def test_clipping_replaces_gradients_that_are_shared_or_read_only():
    # one gradient tensor shared by two parameters, and a read-only broadcast view: each
    # parameter is clipped once, and nothing is written into memory clipping does not own
    shared = autograd.tensor([6.0, 8.0])
    a, b = nn.Parameter(autograd.zeros(2)), nn.Parameter(autograd.zeros(2))
    a.grad = b.grad = shared
    view = np.broadcast_to(np.array([1.0], np.float32), (2,))
    c = nn.Parameter(autograd.zeros(2))
    c.grad = Tensor._make(view)
    nn.utils.clip_grad_norm_([a, b, c], 1.0)
    assert shared.tolist() == [6.0, 8.0] and view.tolist() == [1.0, 1.0]
    assert a.grad is not None and b.grad is not None and a.grad.tolist() == b.grad.tolist()
    c.grad = Tensor._make(view)
    nn.utils.clip_grad_value_([c], 0.5)
    assert c.grad is not None and c.grad.tolist() == [0.5, 0.5] and view.tolist() == [1.0, 1.0]


def test_clipped_gradients_drive_an_optimizer_step():
    model = nn.Linear(2, 1)
    before = [p.numpy().copy() for p in model.parameters()]
    (model(autograd.ones(1, 2) * 100).sum() ** 2).backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    with autograd.no_grad():
        for p in model.parameters():
            assert p.grad is not None
            p -= 0.1 * p.grad
    step = np.sqrt(sum(((p.numpy() - b) ** 2).sum() for p, b in zip(model.parameters(), before)))
    assert step == pytest.approx(0.1, rel=1e-4)


@given(
    grads=grad_lists,
    clip=st.floats(0.0, 5.0, allow_subnormal=False),
)
def test_clip_grad_value_clamps_every_gradient(grads, clip):
    params = params_with_grads(grads)
    assert nn.utils.clip_grad_value_(params, clip) is None
    for p, g in zip(params, grads, strict=True):
        assert p.grad is not None
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -clip, clip))


def test_clip_grad_value_on_one_tensor():
    p = autograd.tensor([1.0, 1.0, 1.0], requires_grad=True)
    p.grad = autograd.tensor([-5.0, 0.5, 2.0])
    nn.utils.clip_grad_value_(p, 1.0)
    assert p.grad is not None and p.grad.tolist() == [-1.0, 0.5, 1.0]
    assert p.grad.dtype == np.float32


# -- parameters <-> vector ---------------------------------------------------------------------


def test_parameters_to_vector_and_back_round_trip():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    want = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    np.testing.assert_array_equal(vec.numpy(), want)
    new = autograd.tensor(np.arange(vec.numel(), dtype=np.float32))
    nn.utils.vector_to_parameters(new, model.parameters())
    shapes = [p.shape for p in model.parameters()]
    assert shapes == [(4, 3), (4,), (2, 4), (2,)]
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(model.parameters()).numpy(), new)
    assert model[0].weight.numpy()[1, 0] == 3.0
    # the parameters stay trainable
    model(autograd.ones(1, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_parameters_to_vector_is_differentiable():
    a = autograd.tensor(np.ones((2, 2)), requires_grad=True)
    b = autograd.tensor(np.ones(3), requires_grad=True)
    vec = nn.utils.parameters_to_vector([a, b])
    (vec * autograd.tensor(np.arange(7.0))).sum().backward()
    assert a.grad is not None and a.grad.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert b.grad is not None and b.grad.tolist() == [4.0, 5.0, 6.0]


@pytest.mark.parametrize(
    ("vec", "error", "message"),
    [
        (
            autograd.zeros(5),
            ValueError,
            "vector_to_parameters: vec has 5 elements but the parameters have 6 ((2, 2), (2,))",
        ),
        (
            autograd.zeros(7),
            ValueError,
            "vector_to_parameters: vec has 7 elements but the parameters have 6",
        ),
        (
            autograd.zeros(2, 3),
            ValueError,
            "vector_to_parameters: vec must be 1-D, got shape (2, 3)",
        ),
        (np.zeros(6), TypeError, "vector_to_parameters: expected a Tensor, but got ndarray"),
    ],
)
def test_vector_to_parameters_errors(vec, error, message):
    params = [nn.Parameter(autograd.ones(2, 2)), nn.Parameter(autograd.ones(2))]
    with pytest.raises(error, match=re.escape(message)):
        nn.utils.vector_to_parameters(vec, params)
    assert all(np.all(p.numpy() == 1) for p in params)  # untouched


def test_parameters_to_vector_errors():
    with pytest.raises(ValueError, match="no parameters"):
        nn.utils.parameters_to_vector([])
    with pytest.raises(TypeError, match="item 1 is ndarray"):
        nn.utils.parameters_to_vector([autograd.ones(2), np.ones(2)])


# -- PyTorch as an oracle (optional) --------------------------------------------------------------


@pytest.mark.parametrize("p", NORM_TYPES)
def test_clip_grad_norm_matches_torch(p):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s) for s in [(3, 4), (4,), (2, 2, 2)]]
    ours = params_with_grads(grads)
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads, strict=True):
        t.grad = torch.tensor(g)
    a = nn.utils.clip_grad_norm_(ours, 0.7, norm_type=p)
    b = torch.nn.utils.clip_grad_norm_(theirs, 0.7, norm_type=p)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-12)
    for o, t in zip(ours, theirs, strict=True):
        assert o.grad is not None
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)
