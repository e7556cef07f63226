"""numerical_grad, gradcheck and gradgradcheck: pass on correct gradients, fail clearly on wrong."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import autograd
from autograd.testing import GradcheckError, gradcheck, gradgradcheck, numerical_grad


def f64(data: Any, requires_grad: bool = True) -> autograd.Tensor:
    return autograd.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


class WrongCube(autograd.Function):
    """y = x**3 with a planted bug: dx = grad * 2 * x**2 (should be 3 * x**2)."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx: Any, grad: autograd.Tensor) -> autograd.Tensor:
        (x,) = ctx.saved_tensors
        return grad * 2 * x**2


class WrongSecondArg(autograd.Function):
    """z = a * b with a planted bug in b's gradient only: db = grad * a * 1.5."""

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Any, grad: autograd.Tensor) -> tuple[autograd.Tensor, autograd.Tensor]:
        a, b = ctx.saved_tensors
        return grad * b, grad * a * 1.5


class CubeFirstOrderOnly(autograd.Function):
    """y = x**3 whose backward is right but built from raw arrays: no second derivative."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx: Any, grad: autograd.Tensor) -> autograd.Tensor:
        (x,) = ctx.saved_tensors
        return grad * autograd.tensor(3 * x.numpy() ** 2)  # a constant: d/dx of it is lost


class QuarticViaWrongCube(autograd.Function):
    """y = x**4 / 4; dx = grad * x**3 computed with WrongCube: right value, wrong derivative."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x**4 / 4

    @staticmethod
    def backward(ctx: Any, grad: autograd.Tensor) -> autograd.Tensor:
        (x,) = ctx.saved_tensors
        return grad * WrongCube.apply(x)


# -- numerical_grad -----------------------------------------------------------------------------


def test_numerical_grad_of_sum_of_squares_is_2x() -> None:
    x = f64([[1.0, -2.0, 0.5], [3.0, 0.0, -0.25]])
    (g,) = numerical_grad(lambda x: (x**2).sum(), x)
    assert g.dtype == np.float64 and g.shape == (2, 3)
    np.testing.assert_allclose(g, 2 * x.numpy(), atol=1e-8)


def test_numerical_grad_of_product_wrt_each_input() -> None:
    a, b = f64([1.0, 2.0]), f64([3.0, -4.0])
    ga, gb = numerical_grad(lambda a, b: (a * b).sum(), [a, b])
    np.testing.assert_allclose(ga, b.numpy(), atol=1e-8)
    np.testing.assert_allclose(gb, a.numpy(), atol=1e-8)


def test_numerical_grad_non_scalar_output_uses_grad_outputs() -> None:
    x = f64([1.0, 2.0, 3.0])
    (g,) = numerical_grad(lambda x: x * x, x)  # default grad_outputs: ones
    np.testing.assert_allclose(g, [2.0, 4.0, 6.0], atol=1e-8)
    v = np.array([1.0, 0.0, -2.0])
    (g,) = numerical_grad(lambda x: x * x, x, grad_outputs=v)
    np.testing.assert_allclose(g, [2.0, 0.0, -12.0], atol=1e-8)


def test_numerical_grad_works_in_float64_for_float32_inputs() -> None:
    x = autograd.tensor(np.array([0.3, 0.7], dtype=np.float32))
    (g,) = numerical_grad(lambda x: x.exp().sum(), x, eps=1e-6)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.exp(np.array([0.3, 0.7], dtype=np.float32)), rtol=1e-6)


def test_numerical_grad_leaves_inputs_untouched() -> None:
    x = f64([1.0, 2.0])
    numerical_grad(lambda x: (x**3).sum(), x)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    assert x.grad is None


def test_numerical_grad_rejects_non_float_inputs() -> None:
    with pytest.raises(TypeError, match="input 0"):
        numerical_grad(lambda x: x.sum(), autograd.tensor(np.array([1, 2])))


# -- gradcheck: passing -------------------------------------------------------------------------


def test_gradcheck_passes_on_exp() -> None:
    assert gradcheck(lambda x: x.exp(), f64([[0.1, -0.5, 1.2]]))


def test_gradcheck_passes_on_broadcast_product() -> None:
    x, y = f64(np.linspace(-1, 1, 6).reshape(2, 3)), f64([0.5, -1.5, 2.0])
    assert gradcheck(lambda x, y: x * y, (x, y))


def test_gradcheck_handles_multiple_outputs_and_skips_non_tensors() -> None:
    x, y = f64([0.3, 0.9]), f64([[1.0], [2.0]])
    assert gradcheck(lambda x, y: (x * y, x.sin(), 3, x.argmax()), (x, y))


def test_gradcheck_passes_inputs_not_requiring_grad_through() -> None:
    x, c = f64([0.3, 0.9]), f64([2.0, 3.0], requires_grad=False)
    assert gradcheck(lambda x, c, k: x * c * k, (x, c, 2.5))


def test_gradcheck_unused_input_has_zero_jacobian() -> None:
    x, unused = f64([0.3, 0.9]), f64([1.0])
    assert gradcheck(lambda x, u: x.tanh(), (x, unused))


def test_gradcheck_needs_an_input_requiring_grad() -> None:
    with pytest.raises(ValueError, match="require"):
        gradcheck(lambda x: x.exp(), f64([1.0], requires_grad=False))


def test_gradcheck_does_not_touch_inputs_or_their_grads() -> None:
    x = f64([0.5, 1.5])
    gradcheck(lambda x: x.exp(), x)
    np.testing.assert_array_equal(x.numpy(), [0.5, 1.5])
    assert x.grad is None


# -- gradcheck: failing -------------------------------------------------------------------------


def _number(label: str, msg: str) -> float:
    m = re.search(rf"{label}:\s*([-+0-9.eE]+|inf|nan)", msg)
    assert m, f"no '{label}:' in message:\n{msg}"
    return float(m.group(1))


def test_gradcheck_reports_the_worst_element_of_a_wrong_backward() -> None:
    x = f64([[0.5, -1.0], [2.0, 0.25]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: WrongCube.apply(x), x)
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert "input 0" in msg and "output 0" in msg
    assert "shape (2, 2)" in msg
    # The error 3x^2 - 2x^2 = x^2 is largest at x = 2.0, index (1, 0) of input and output.
    assert "input index (1, 0)" in msg and "output index (1, 0)" in msg
    assert _number("analytical", msg) == pytest.approx(2 * 2.0**2)
    assert _number("numerical", msg) == pytest.approx(3 * 2.0**2, rel=1e-6)
    assert _number("max abs error", msg) == pytest.approx(4.0, rel=1e-6)
    assert _number("max rel error", msg) == pytest.approx(1 / 3, rel=1e-5)


def test_gradcheck_names_the_input_whose_gradient_is_wrong() -> None:
    a, b = f64([1.0, -3.0, 2.0]), f64([0.5, 4.0, 1.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: WrongSecondArg.apply(a, b).sum(), (a, b))
    msg = str(info.value)
    assert "with respect to input 1" in msg
    assert "input index (1,)" in msg  # |a| is largest at index 1: error 0.5 * 3
    assert "output index ()" in msg
    assert _number("analytical", msg) == pytest.approx(-4.5)
    assert _number("numerical", msg) == pytest.approx(-3.0, rel=1e-6)
    assert "also mismatched" not in msg  # input 0's gradient is right


def test_gradcheck_returns_false_without_raise_exception() -> None:
    assert gradcheck(lambda x: WrongCube.apply(x), f64([1.0, 2.0]), raise_exception=False) is False


def test_gradcheck_tolerances_decide() -> None:
    x = f64([1.0])  # analytical 2, numerical 3: relative error 1/3
    assert not gradcheck(lambda x: WrongCube.apply(x), x, raise_exception=False)
    assert gradcheck(lambda x: WrongCube.apply(x), x, atol=0.0, rtol=0.5)


# -- gradgradcheck ------------------------------------------------------------------------------


def test_gradgradcheck_passes_on_correct_functions() -> None:
    x, y = f64([[0.2, -0.7, 1.1]]), f64([[0.5], [-1.5]])
    assert gradgradcheck(lambda x: (x**3).sum(), x)
    assert gradgradcheck(lambda x, y: (x * y).sigmoid(), (x, y))
    assert gradgradcheck(lambda x: x.exp(), x, grad_outputs=[np.array([[1.0, 2.0, 3.0]])])


def test_gradgradcheck_is_deterministic() -> None:
    x = f64([0.2, 0.4])
    assert gradgradcheck(lambda x: x.sin() * x, x)
    assert gradgradcheck(lambda x: x.sin() * x, x)


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable() -> None:
    x = f64([0.5, 2.0])
    assert gradcheck(lambda x: CubeFirstOrderOnly.apply(x), x)  # first order is right
    with pytest.raises(GradcheckError, match="input 0"):
        gradgradcheck(lambda x: CubeFirstOrderOnly.apply(x), x)


def test_gradgradcheck_catches_a_wrong_second_derivative() -> None:
    x = f64([0.5, 2.0])
    assert gradcheck(lambda x: QuarticViaWrongCube.apply(x).sum(), x)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda x: QuarticViaWrongCube.apply(x).sum(), x)
    msg = str(info.value)
    # d2/dx2 of x^4/4 is 3x^2 (numerical); the planted one is 2x^2 (analytical).
    assert "input 0" in msg and "input index (1,)" in msg
    assert "analytical" in msg and "numerical" in msg
