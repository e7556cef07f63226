"""Dropout and F.dropout: keep rate, inverted scaling, eval mode, p checks, seeded gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F
from autograd.testing import gradcheck, gradgradcheck
from autograd.testing.strategies import shapes, tensors


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_keep_rate_and_scaling(p):
    _ = autograd.manual_seed(0)
    n = 200_000
    y = F.dropout(autograd.ones(n, dtype="float64"), p=p).numpy()
    kept = y != 0
    # the kept count is Binomial(n, 1 - p): 6 standard deviations is far beyond any seed's
    # luck, yet a wrong rate (keeping p instead of 1 - p, say) is thousands of sigmas away
    sigma = math.sqrt(n * p * (1 - p))
    assert abs(kept.sum() - n * (1 - p)) < 6 * sigma
    np.testing.assert_array_equal(y[kept], 1.0 / (1.0 - p))
    assert y.mean() == pytest.approx(1.0, abs=6 * sigma / n / (1 - p))


def test_float32_keeps_dtype_and_exact_scale():
    y = F.dropout(autograd.full((1000,), 3.0), p=0.2)
    assert y.dtype == np.float32
    assert set(np.unique(y.numpy()).tolist()) == {0.0, np.float32(3.0) / np.float32(0.8)}


def test_eval_and_p_zero_return_the_input():
    x = autograd.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    drop = nn.Dropout(0.5).eval()
    assert drop(x) is x


def test_p_one_drops_everything_with_zero_gradient():
    x = autograd.randn(3, 4, requires_grad=True)
    y = F.dropout(x, 1.0)
    assert not y.numpy().any()
    y.sum().backward()
    assert x.grad is not None and not x.grad.numpy().any()


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "0.5", True])
def test_bad_p_is_a_value_error_naming_p(p):
    with pytest.raises(ValueError, match=r"between 0 and 1, but got p="):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"between 0 and 1, but got p="):
        F.dropout(autograd.ones(2), p)


@pytest.mark.parametrize(
    "p",
    [np.float32(0.25), np.float64(0.25), np.int64(0), autograd.tensor(0.25), autograd.tensor(1)],
)
def test_numpy_scalars_and_0d_tensors_are_probabilities_too(p):
    # as in PyTorch; the value is kept as a Python float
    want = float(p.item()) if isinstance(p, autograd.Tensor) else float(p)
    drop = nn.Dropout(p)
    assert type(drop.p) is float and drop.p == want
    assert repr(drop) == f"Dropout(p={want}, inplace=False)"
    x = autograd.ones(2000, dtype="float64")
    a = F.dropout(x, p, generator=autograd.Generator(5)).numpy()
    b = drop(x, generator=autograd.Generator(5)).numpy()
    c = F.dropout(x, want, generator=autograd.Generator(5)).numpy()
    assert np.array_equal(a, c) and np.array_equal(b, c)


@pytest.mark.parametrize(
    "p", [np.float32(1.5), autograd.tensor(-0.5), autograd.tensor([0.5]), np.bool_(True)]
)
def test_bad_numpy_and_tensor_p_is_a_value_error(p):
    with pytest.raises(ValueError, match=r"between 0 and 1, but got p="):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"between 0 and 1, but got p="):
        F.dropout(autograd.ones(2), p)


def test_p_requiring_grad_is_a_type_error():
    p = autograd.tensor(0.5, requires_grad=True)
    with pytest.raises(TypeError, match="dropout: p must not require grad"):
        F.dropout(autograd.ones(2), p)


def test_manual_seed_reproduces_the_mask_and_generators_are_independent():
    x = autograd.ones(1000)
    _ = autograd.manual_seed(3)
    a = F.dropout(x, 0.5).numpy()
    _ = autograd.manual_seed(3)
    b = nn.Dropout(0.5)(x).numpy()
    assert np.array_equal(a, b)
    c = F.dropout(x, 0.5, generator=autograd.Generator(9)).numpy()
    d = nn.Dropout(0.5)(x, generator=autograd.Generator(9)).numpy()
    assert np.array_equal(c, d) and not np.array_equal(a, c)


def test_gradient_is_the_mask_times_the_scale():
    x = autograd.ones(500, requires_grad=True)
    y = F.dropout(x, 0.25)
    y.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # x is ones: y is the mask * 4/3


@given(
    x=tensors(shapes(1, 3, 1, 5), requires_grad=True),
    p=st.sampled_from([0.2, 0.5, 0.9]),
    seed=st.integers(0, 1000),
)
def test_dropout_gradcheck_and_gradgradcheck(x, p, seed):
    # one fixed mask per check: the generator is re-seeded on every call
    fn = lambda x: F.dropout(x, p, generator=autograd.Generator(seed))
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


def test_inplace():
    x = autograd.ones(100)
    data = x.data
    drop = nn.Dropout(0.5, inplace=True)
    assert repr(drop) == "Dropout(p=0.5, inplace=True)"
    y = drop(x)
    assert y is x and x.data is data and set(np.unique(data).tolist()) <= {0.0, 2.0}
    w = autograd.ones(10, requires_grad=True)
    h = w * 1.0  # a non-leaf: in place is recorded
    out = F.dropout(h, 0.5, inplace=True, generator=autograd.Generator(0))
    assert out is h
    out.sum().backward()
    assert w.grad is not None and np.array_equal(w.grad.numpy(), h.numpy())
    leaf = autograd.ones(10, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.dropout(leaf, 0.5, inplace=True)


def test_repr():
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
