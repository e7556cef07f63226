"""Special-function primitives: erf's accuracy against math.erf, and Erf/Heaviside/Relu
gradients."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd.ops.special import Erf, Heaviside, Relu, erf_array, erfc_array
from tests.autograd.ops._table import (
    Row,
    array,
    away_from_zero,
    check,
    ids,
    leaf,
    shapes,
    uniform,
)

# -- erf's values -----------------------------------------------------------------------------

GRID = np.concatenate(
    [
        np.linspace(-30.0, 30.0, 60_001),
        np.linspace(-0.5, 0.5, 10_001),  # around the first switch of formula, 0.46875
        np.linspace(3.9, 4.1, 2_001),  # around the second, 4
        np.geomspace(1e-300, 1.0, 1_000),
        -np.geomspace(1e-300, 1.0, 1_000),
    ]
)


def test_erf_matches_math_erf_to_a_few_ulps():
    got = erf_array(GRID)
    want = np.array([math.erf(v) for v in GRID])
    assert np.max(np.abs(got - want)) < 1e-15
    nonzero = want != 0
    assert np.max(np.abs(got - want)[nonzero] / np.abs(want[nonzero])) < 2e-15


def test_erfc_keeps_relative_accuracy_in_the_tail():
    got = erfc_array(GRID)
    want = np.array([math.erfc(v) for v in GRID])
    normal = want > 1e-300  # math.erfc flushes to 0 (or a subnormal) a little before we do
    assert np.max(np.abs(got - want)[normal] / want[normal]) < 5e-15


def test_erf_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-320])
    out = erf_array(x)
    assert out[0] == 0 and not np.signbit(out[0])
    assert out[1] == 0 and np.signbit(out[1])
    assert out[2] == 1.0 and out[3] == -1.0 and np.isnan(out[4])
    assert out[5] == pytest.approx(2 / math.sqrt(math.pi) * 1e-320, rel=1e-3)


def test_erf_is_odd_and_bounded():
    x = np.linspace(0, 8, 1001)
    assert np.array_equal(erf_array(-x), -erf_array(x))
    assert np.all(np.abs(erf_array(np.linspace(-50, 50, 1001))) <= 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_op_keeps_dtype(dtype):
    x = autograd.tensor(np.array([-1.0, 0.25, 2.0], dtype=dtype))
    y = Erf.apply(x)
    assert y.dtype == dtype
    np.testing.assert_allclose(y.numpy(), [math.erf(v) for v in (-1.0, 0.25, 2.0)], rtol=1e-6)


def test_erf_op_on_integers_gives_float32():
    assert Erf.apply(autograd.tensor([0, 1])).dtype == np.float32


def test_erf_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    x = np.linspace(-7, 7, 10_001)
    np.testing.assert_allclose(erf_array(x), torch.special.erf(torch.tensor(x)).numpy(), atol=1e-15)


# -- Heaviside's values -----------------------------------------------------------------------


def test_heaviside_values_and_zero_gradient():
    x = autograd.tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    v = autograd.tensor(np.array(0.5), requires_grad=True)
    y = Heaviside.apply(x, v)
    assert y.tolist() == [0.0, 0.5, 1.0]
    y.backward(autograd.tensor(np.array([1.0, 2.0, 3.0])))
    assert x.grad is not None and x.grad.tolist() == [0.0, 0.0, 0.0]
    assert v.grad is not None and v.grad.item() == 2.0  # only where x == 0


# -- ReLU's values -------------------------------------------------------------------------------


def test_relu_matches_the_composite_and_its_gradient():
    data = np.array([[-2.0, -0.0, 0.0, 0.5], [3.0, -1e-30, 1e-30, -7.0]])
    x = autograd.tensor(data, requires_grad=True)
    y = x.relu()
    assert y.grad_fn.op is Relu
    assert np.array_equal(y.numpy(), np.where(data > 0, data, 0.0))
    y.backward(autograd.tensor(np.arange(8.0).reshape(2, 4)))
    assert x.grad is not None
    assert x.grad.tolist() == [[0.0, 0.0, 0.0, 3.0], [4.0, 0.0, 6.0, 0.0]]  # 0 at x == 0


def test_relu_propagates_nan_and_passes_its_gradient_as_torch():
    # PyTorch masks the gradient where the output is <= 0; NaN <= 0 is false (torch 2.13:
    # relu(tensor([nan, 1.])).sum().backward() gives grad [1., 1.])
    x = autograd.tensor([float("nan"), 1.0], requires_grad=True)
    y = x.relu()
    assert math.isnan(y.tolist()[0])
    y.sum().backward()
    assert x.grad is not None and x.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_relu_keeps_dtype(dtype):
    y = autograd.tensor(np.array([-1, 0, 2], dtype=dtype)).relu()
    assert y.dtype == dtype and y.tolist() == [0, 0, 2]


# -- the table: one row per case, each gradchecked and gradgradchecked by `check` -----------------

AWAY_FROM_ZERO = away_from_zero(0.1, 3.0)
ON_THE_STEP = st.sampled_from([-1.5, -0.5, 0.0, 0.5, 1.5])


def _erf(draw: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    return Erf.apply, (leaf(draw, draw(shapes())),)


def _heaviside_x(draw: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    values = autograd.tensor(np.array(draw(uniform(-1.0, 1.0))), requires_grad=True)
    return Heaviside.apply, (leaf(draw, draw(shapes()), AWAY_FROM_ZERO), values)


def _heaviside_values(draw: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    # x hits the step exactly (and does not require grad: the step is not differentiable there)
    shape = draw(shapes(min_dims=1))
    x = autograd.tensor(array(draw, shape, ON_THE_STEP))
    return Heaviside.apply, (x, leaf(draw, shape, uniform(-1.0, 1.0)))


def _relu(draw: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    return (lambda x: x.relu()), (leaf(draw, draw(shapes()), AWAY_FROM_ZERO),)


OPS: list[Row] = [
    Row("erf", (Erf,), _erf),
    Row("heaviside wrt x (zero)", (Heaviside,), _heaviside_x),
    Row("heaviside wrt values", (Heaviside,), _heaviside_values),
    Row("relu", (Relu,), _relu),
]


@pytest.mark.parametrize("row", OPS, ids=ids(OPS))
@given(data=st.data())
def test_derivatives(row: Row, data: Any) -> None:
    check(row, data.draw)
