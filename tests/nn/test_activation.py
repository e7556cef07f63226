"""Activations (functional and modules): gradient table of two orders, values, stability, reprs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F
from autograd import Tensor
from autograd.testing import gradcheck, gradgradcheck
from autograd.testing.strategies import shapes, tensors

# Values kept at least 0.05 from a kink (relu's, leaky_relu's, the step's), so that finite
# differences with eps=1e-6 never straddle it.
AWAY_FROM_ZERO = st.one_of(st.floats(-4.0, -0.05), st.floats(0.05, 4.0))
SMOOTH = st.floats(-4.0, 4.0)


def _x(draw: Any, elements: Any = SMOOTH, min_dims: int = 0) -> Tensor:
    return draw(tensors(shapes(min_dims, 3, 1, 3), elements=elements, requires_grad=True))


def _softplus(draw: Any) -> tuple[Callable[..., Tensor], Tensor]:
    beta = draw(st.sampled_from([0.5, 1.0, 2.0]))
    threshold = draw(st.sampled_from([1.0, 5.0, 20.0]))
    x = _x(draw)
    # at beta x == threshold softplus switches to x: a jump of about exp(-threshold) / beta
    assume(np.all(np.abs(x.numpy() * beta - threshold) > 0.05))
    return (lambda x: F.softplus(x, beta, threshold)), x


def _along_a_dim(f: Callable[[Tensor, int], Tensor]) -> Callable[[Any], Any]:
    def case(draw: Any) -> tuple[Callable[..., Tensor], Tensor]:
        x = _x(draw, min_dims=1)
        dim = draw(st.integers(-x.ndim, x.ndim - 1))
        return (lambda x: f(x, dim)), x

    return case


def _leaky(draw: Any) -> tuple[Callable[..., Tensor], Tensor]:
    slope = draw(st.sampled_from([0.01, 0.2, 1.5]))
    return (lambda x: F.leaky_relu(x, slope)), _x(draw, AWAY_FROM_ZERO)


def _kinked(fn: Callable[..., Tensor]) -> Callable[[Any], Any]:
    return lambda draw: (fn, _x(draw, AWAY_FROM_ZERO))


def _smooth(fn: Callable[..., Tensor], min_dims: int = 0) -> Callable[[Any], Any]:
    return lambda draw: (fn, _x(draw, min_dims=min_dims))


# One row per activation: (name, draw -> (fn, x)). Both properties below run every row; the
# in-place forms run on a non-leaf copy (in place on a leaf that requires grad is an error).
CASES: list[tuple[str, Callable[[Any], tuple[Callable[..., Tensor], Tensor]]]] = [
    ("relu", _kinked(F.relu)),
    ("relu inplace", _kinked(lambda x: F.relu(x * 1.0, inplace=True))),
    ("leaky_relu", _leaky),
    ("leaky_relu inplace", _kinked(lambda x: F.leaky_relu(x * 1.0, 0.3, inplace=True))),
    ("sigmoid", _smooth(F.sigmoid)),
    ("tanh", _smooth(F.tanh)),
    ("gelu", _smooth(F.gelu)),
    ("gelu tanh", _smooth(lambda x: F.gelu(x, approximate="tanh"))),
    ("softplus", _softplus),
    ("softmax", _along_a_dim(F.softmax)),
    ("log_softmax", _along_a_dim(F.log_softmax)),
    ("heaviside", _kinked(lambda x: F.heaviside(x, 0.5))),
    ("step", _kinked(F.step)),
    ("ReLU", _kinked(nn.ReLU())),
    ("LeakyReLU", _kinked(nn.LeakyReLU(0.1))),
    ("Sigmoid", _smooth(nn.Sigmoid())),
    ("Tanh", _smooth(nn.Tanh())),
    ("GELU", _smooth(nn.GELU())),
    ("GELU tanh", _smooth(nn.GELU("tanh"))),
    ("Softplus", _smooth(nn.Softplus(beta=0.5, threshold=30.0))),
    ("Softmax", _smooth(nn.Softmax(dim=-1), min_dims=1)),
    ("LogSoftmax", _smooth(nn.LogSoftmax(dim=0), min_dims=1)),
    ("Heaviside", _kinked(nn.Heaviside())),
]
IDS = [name for name, _ in CASES]


@pytest.mark.parametrize("name, case", CASES, ids=IDS)
@given(data=st.data())
def test_gradcheck_and_gradgradcheck(name, case, data):
    fn, x = case(data.draw)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# -- values -----------------------------------------------------------------------------------


def test_gelu_exact_is_x_times_the_normal_cdf():
    xs = np.linspace(-8, 8, 161)
    want = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in xs]
    np.testing.assert_allclose(F.gelu(autograd.tensor(xs)).numpy(), want, rtol=1e-14, atol=1e-15)


def test_gelu_tanh_formula_and_bad_approximate():
    xs = np.linspace(-5, 5, 41)
    want = 0.5 * xs * (1 + np.tanh(math.sqrt(2 / math.pi) * (xs + 0.044715 * xs**3)))
    np.testing.assert_allclose(F.gelu(autograd.tensor(xs), "tanh").numpy(), want, rtol=1e-14)
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        F.gelu(autograd.tensor(xs), "erf")
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU("fast")


def test_activations_match_torch_when_available():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.random.default_rng(0).standard_normal((3, 4, 5)) * 4
    pairs = [
        (F.gelu, tf.gelu),
        (lambda v: F.gelu(v, "tanh"), lambda v: tf.gelu(v, approximate="tanh")),
        (lambda v: F.softplus(v, 2.0, 3.0), lambda v: tf.softplus(v, 2.0, 3.0)),
        (lambda v: F.leaky_relu(v, 0.2), lambda v: tf.leaky_relu(v, 0.2)),
        (lambda v: F.softmax(v, 1), lambda v: tf.softmax(v, 1)),
        (lambda v: F.log_softmax(v, -1), lambda v: tf.log_softmax(v, -1)),
    ]
    g = np.random.default_rng(1).standard_normal(x.shape)
    for ours, theirs in pairs:
        xa, xt = autograd.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ya, yt = ours(xa), theirs(xt)
        np.testing.assert_allclose(ya.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
        ya.backward(autograd.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_softplus_is_finite_for_huge_inputs():
    x = autograd.tensor(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]), requires_grad=True)
    y = F.softplus(x)
    np.testing.assert_allclose(y.numpy(), [0.0, math.log1p(math.exp(-30)), math.log(2), 30, 1000])
    y.sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1 / (1 + math.exp(30)), 0.5, 1.0, 1.0])


def test_gradients_at_the_kink_follow_pytorch():
    x = autograd.tensor(np.zeros(1), requires_grad=True)
    F.relu(x).sum().backward()
    assert x.grad is not None and x.grad.item() == 0.0
    x.grad = None
    F.leaky_relu(x, 0.2).sum().backward()
    assert x.grad is not None and x.grad.item() == pytest.approx(0.2)


def test_inplace_relu_writes_into_the_input():
    x = autograd.tensor([-1.0, 2.0, -3.0])
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0, 0.0]
    assert nn.LeakyReLU(0.5, inplace=True)(autograd.tensor([-2.0])).tolist() == [-1.0]


def test_softmax_without_dim_warns_and_uses_pytorchs_legacy_choice():
    x = autograd.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy().sum(axis=1), 1.0, rtol=1e-6)


def test_softmax_dtype_argument():
    assert F.softmax(autograd.randn(2, 3), 1, dtype="float64").dtype == np.float64


def test_heaviside_and_step_values():
    x = autograd.tensor([-1.0, 0.0, 0.5])
    assert F.heaviside(x, 0.5).tolist() == [0.0, 0.5, 1.0]
    assert F.heaviside(x, autograd.tensor([7.0, 8.0, 9.0])).tolist() == [0.0, 8.0, 1.0]
    assert F.step(x, 0.2).tolist() == [0.0, 0.0, 1.0]
    assert nn.Heaviside(threshold=0.5, value=1.0)(x).tolist() == [0.0, 0.0, 1.0]
    assert nn.Step is nn.Heaviside


def test_step_has_zero_gradient_not_none():
    x = autograd.tensor([-1.0, 2.0], requires_grad=True)
    F.step(x).sum().backward()
    assert x.grad is not None and x.grad.tolist() == [0.0, 0.0]


def _gate(w1: float, w2: float, b: float) -> nn.Module:
    layer = nn.Linear(2, 1)
    layer.weight.data[...] = [[w1, w2]]
    layer.bias.data[...] = [b]
    return nn.Sequential(layer, nn.Step())


INPUTS = autograd.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def test_perceptron_gates_of_the_seeds():
    AND, NAND, OR = _gate(0.5, 0.5, -0.7), _gate(-0.5, -0.5, 0.7), _gate(0.5, 0.5, -0.2)
    assert AND(INPUTS).flatten().tolist() == [0, 0, 0, 1]
    assert NAND(INPUTS).flatten().tolist() == [1, 1, 1, 0]
    assert OR(INPUTS).flatten().tolist() == [0, 1, 1, 1]
    hidden = autograd.cat([NAND(INPUTS), OR(INPUTS)], dim=1)
    assert AND(hidden).flatten().tolist() == [0, 1, 1, 0]  # XOR: two layers of perceptrons


def test_reprs():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.LeakyReLU(0.2, True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.Sigmoid()) == "Sigmoid()" and repr(nn.Tanh()) == "Tanh()"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Softplus(2, 10)) == "Softplus(beta=2, threshold=10)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LogSoftmax(dim=-1)) == "LogSoftmax(dim=-1)"
    assert repr(nn.Heaviside()) == "Heaviside(threshold=0.0, value=0.0)"
