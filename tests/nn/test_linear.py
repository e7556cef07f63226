"""Linear, Identity, Flatten and F.linear: values, gradients of two orders, PyTorch's init."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F
from autograd.testing import gradcheck, gradgradcheck
from autograd.testing.strategies import tensors


@st.composite
def linear_case(draw: Any) -> tuple[Any, ...]:
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    x = draw(tensors(batch + (n_in,), min_value=-2, max_value=2, requires_grad=True))
    w = draw(tensors((n_out, n_in), min_value=-2, max_value=2, requires_grad=True))
    if draw(st.booleans()):
        b = draw(tensors((n_out,), min_value=-2, max_value=2, requires_grad=True))
        return (lambda x, w, b: F.linear(x, w, b)), (x, w, b)
    return (lambda x, w: F.linear(x, w)), (x, w)


@given(case=linear_case())
def test_linear_gradcheck(case):
    fn, inputs = case
    assert gradcheck(fn, inputs)


@given(case=linear_case())
def test_linear_gradgradcheck(case):
    fn, inputs = case
    assert gradgradcheck(fn, inputs)


@given(case=linear_case())
def test_linear_value_is_x_wt_plus_b(case):
    fn, inputs = case
    x, w = inputs[0].numpy(), inputs[1].numpy()
    want = x @ w.T + (inputs[2].numpy() if len(inputs) == 3 else 0)
    np.testing.assert_allclose(fn(*inputs).numpy(), want, rtol=1e-12, atol=1e-12)


@given(
    x=tensors(
        st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)), requires_grad=True
    ),
    dims=st.sampled_from([(1, -1), (0, -1), (0, 1), (1, 2), (2, 2)]),
)
def test_flatten_module_gradients(x, dims):
    flat = nn.Flatten(*dims)
    assert gradcheck(flat, (x,)) and gradgradcheck(flat, (x,))
    assert flat(x).numpy().tolist() == x.numpy().reshape(_flat_shape(x.shape, *dims)).tolist()


def _flat_shape(shape: tuple[int, ...], s: int, e: int) -> tuple[int, ...]:
    e = e % len(shape)
    return shape[:s] + (int(np.prod(shape[s : e + 1])),) + shape[e + 1 :]


def test_linear_module_forward_and_gradient_names():
    layer = nn.Linear(3, 2).double()
    x = autograd.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = layer(x)
    np.testing.assert_allclose(
        y.numpy(), x.numpy() @ layer.weight.numpy().T + layer.bias.numpy(), rtol=1e-12
    )
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert gradcheck(lambda x: layer(x), (x,))


def test_linear_without_bias():
    layer = nn.Linear(4, 3, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=False)"


def test_linear_repr():
    assert repr(nn.Linear(3, 4)) == "Linear(in_features=3, out_features=4, bias=True)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Identity()) == "Identity()"


def test_linear_wrong_features_names_expected_and_got():
    with pytest.raises(ValueError) as err:
        nn.Linear(3, 4)(autograd.zeros(2, 4))
    assert str(err.value) == "Linear: expected input with 3 features (last dim), got shape (2, 4)"
    with pytest.raises(ValueError, match=r"in_features \(3\).*input \(5,\), weight \(2, 3\)"):
        F.linear(autograd.zeros(5), autograd.zeros(2, 3))


def test_an_input_of_another_float_dtype_is_an_error_naming_both():
    # as in PyTorch ("mat1 and mat2 must have the same dtype"); it was silently promoted
    x64 = autograd.ones(2, 3, dtype=autograd.float64)
    with pytest.raises(RuntimeError) as err:
        nn.Linear(3, 4)(x64)
    assert str(err.value) == "Linear: input (float64) and weight (float32) must have the same dtype"
    with pytest.raises(RuntimeError, match=r"Linear: input \(float32\) and weight \(float64\)"):
        nn.Linear(3, 4, bias=False).double()(autograd.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"linear: input \(float64\) and bias \(float32\)"):
        F.linear(x64, autograd.ones(4, 3, dtype=autograd.float64), autograd.ones(4))
    assert nn.Linear(3, 4).double()(x64).dtype == np.float64


def test_linear_default_init_bounds_are_pytorchs():
    _ = autograd.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) on fan_in 400, and the bias's bound
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(w).max() <= bound and w.max() > 0.99 * bound and w.min() < -0.99 * bound
    assert np.abs(b).max() <= bound and b.max() > 0.9 * bound and b.min() < -0.9 * bound
    # uniform on [-bound, bound] has std bound / sqrt(3)
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert w.dtype == np.float32 and b.dtype == np.float32


def test_linear_init_is_seeded():
    _ = autograd.manual_seed(5)
    a = nn.Linear(3, 4)
    _ = autograd.manual_seed(5)
    b = nn.Linear(3, 4)
    assert np.array_equal(a.weight.numpy(), b.weight.numpy())
    assert np.array_equal(a.bias.numpy(), b.bias.numpy())
    assert not np.array_equal(a.weight.numpy(), nn.Linear(3, 4).weight.numpy())


def test_linear_dtype_argument():
    layer = nn.Linear(2, 2, dtype="float64")
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64


def test_identity_passes_through_and_ignores_arguments():
    x = autograd.randn(2, 3, requires_grad=True)
    assert nn.Identity(54, unused="x")(x) is x


def test_linear_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    layer = nn.Linear(5, 3).double()
    t = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        t.weight.copy_(torch.tensor(layer.weight.numpy()))
        t.bias.copy_(torch.tensor(layer.bias.numpy()))
    x = np.random.default_rng(0).standard_normal((4, 2, 5))
    xa, xt = autograd.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    layer(xa).sum().backward()
    t(xt).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.numpy(), t.bias.grad.numpy(), rtol=1e-12)
