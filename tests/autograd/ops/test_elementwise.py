"""Elementwise primitives: the derivative table, PyTorch's kink choices, and dtype rules."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd.ops.elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    Clone,
    Copy,
    Cos,
    Div,
    Exp,
    Fill,
    Log,
    Log1p,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Reciprocal,
    Rsqrt,
    Sigmoid,
    Sign,
    Sin,
    Sqrt,
    Sub,
    Tan,
    Tanh,
    Where,
)
from tests.autograd.ops._table import (
    Row,
    away_from_zero,
    broadcast_shapes,
    check,
    exact_grads,
    ids,
    leaf,
    on_grid,
    shapes,
    uniform,
)

# -- the table ----------------------------------------------------------------------------------

ANY = uniform(-3.0, 3.0)
POSITIVE = uniform(0.2, 3.0)
NONZERO = away_from_zero(0.2, 3.0)
# Python operands: floats and ints, on either side of the operator
PY_ANY = st.one_of(uniform(-3.0, 3.0), st.integers(-3, 3))
PY_NONZERO = st.one_of(away_from_zero(0.2, 3.0), st.sampled_from([-2, -1, 1, 3]))


def _binary_rows(
    name: str,
    op: type,
    f: Callable[[Any, Any], Any],
    lhs: Any,
    rhs: Any,
    py_lhs: Any,
    py_rhs: Any,
) -> list[Row]:
    """Three rows for a binary op: two broadcast tensors, tensor with a Python number on the
    right, and a Python number on the left."""

    def tensors(draw: Any) -> Any:
        sa, sb = draw(broadcast_shapes(2))
        return f, (leaf(draw, sa, lhs), leaf(draw, sb, rhs))

    def scalar_right(draw: Any) -> Any:
        s = draw(py_rhs)
        return (lambda a: f(a, s)), (leaf(draw, draw(shapes()), lhs),)

    def scalar_left(draw: Any) -> Any:
        s = draw(py_lhs)
        return (lambda b: f(s, b)), (leaf(draw, draw(shapes()), rhs),)

    return [
        Row(f"{name} broadcast", (op,), tensors),
        Row(f"{name} tensor-scalar", (op,), scalar_right),
        Row(f"{name} scalar-tensor", (op,), scalar_left),
    ]


def _unary(name: str, op: type, f: Callable[[Any], Any], elements: Any) -> Row:
    return Row(name, (op,), lambda draw: (f, (leaf(draw, draw(shapes()), elements),)))


def _pow_negative_base(draw: Any) -> Any:
    e = draw(st.sampled_from([-2, -1, 2, 3, 2.0, 3.0]))  # integral: real for any sign of base
    return (lambda x: x**e), (leaf(draw, draw(shapes()), NONZERO),)


# Maximum/minimum: the two operands on interleaved grids never tie
A_GRID, B_GRID = on_grid(0.0), on_grid(0.5)


def _extremum_tensors(f: Callable[[Any, Any], Any]) -> Any:
    def case(draw: Any) -> Any:
        sa, sb = draw(broadcast_shapes(2))
        return f, (leaf(draw, sa, A_GRID), leaf(draw, sb, B_GRID))

    return case


def _extremum_scalar(f: Callable[[Any, Any], Any]) -> Any:
    def case(draw: Any) -> Any:
        s = draw(B_GRID)
        return (lambda a: f(a, s)), (leaf(draw, draw(shapes()), A_GRID),)

    return case


def _where(draw: Any) -> Any:
    sc, sa, sb = draw(broadcast_shapes(3))
    cond = autograd.tensor(
        draw(st.lists(st.booleans(), min_size=math.prod(sc), max_size=math.prod(sc)))
    )
    cond = cond.reshape(sc)
    return (lambda a, b: autograd.where(cond, a, b)), (leaf(draw, sa), leaf(draw, sb))


def _where_scalar(draw: Any) -> Any:
    x = leaf(draw, draw(shapes()))
    cond = x.detach() > 0
    s = draw(PY_ANY)
    if draw(st.booleans()):
        return (lambda x: autograd.where(cond, x, s)), (x,)
    return (lambda x: autograd.where(cond, s, x)), (x,)


# Clamp: x, min and max on three interleaved grids, so nothing ties; min > max is allowed
X_GRID, LO_GRID, HI_GRID = on_grid(0.0), on_grid(1 / 3), on_grid(2 / 3)


def _clamp_scalar(draw: Any) -> Any:
    lo = draw(st.one_of(st.none(), LO_GRID))
    hi = draw(LO_GRID if lo is None else st.one_of(st.none(), HI_GRID))
    if lo is None and draw(st.booleans()):
        lo, hi = hi, None
    x = leaf(draw, draw(shapes()), X_GRID)
    return (lambda x: x.clamp(lo, hi)), (x,)


def _clamp_tensor(draw: Any) -> Any:
    sx, slo, shi = draw(broadcast_shapes(3))
    x, lo, hi = leaf(draw, sx, X_GRID), leaf(draw, slo, LO_GRID), leaf(draw, shi, HI_GRID)
    which = draw(st.sampled_from(["both", "min", "max"]))
    if which == "min":
        return (lambda x, lo: autograd.clamp(x, min=lo)), (x, lo)
    if which == "max":
        return (lambda x, hi: autograd.clamp(x, max=hi)), (x, hi)
    return (lambda x, lo, hi: x.clamp(lo, hi)), (x, lo, hi)


def _cast(draw: Any) -> Any:
    return (lambda x: x.astype(np.float32)), (leaf(draw, draw(shapes())),)


def _cast_up(draw: Any) -> Any:
    x = leaf(draw, draw(shapes())).astype(np.float32).detach().requires_grad_()
    return (lambda x: Cast.apply(x, np.dtype(np.float64))), (x,)


def _fill(draw: Any) -> Any:
    v = draw(PY_ANY)
    if draw(st.booleans()):
        return (lambda x: x.clone().fill_(v) * x), (leaf(draw, draw(shapes())),)
    return (lambda x: x.clone().zero_() + x), (leaf(draw, draw(shapes())),)


def _copy(draw: Any) -> Any:
    sx, ssrc = draw(broadcast_shapes(2))
    sx = np.broadcast_shapes(sx, ssrc)  # src must broadcast to x's shape
    return (lambda x, src: x.clone().copy_(src) * x), (leaf(draw, sx), leaf(draw, ssrc))


OPS: list[Row] = [
    *_binary_rows("add", Add, lambda a, b: a + b, ANY, ANY, PY_ANY, PY_ANY),
    *_binary_rows("sub", Sub, lambda a, b: a - b, ANY, ANY, PY_ANY, PY_ANY),
    *_binary_rows("mul", Mul, lambda a, b: a * b, ANY, ANY, PY_ANY, PY_ANY),
    *_binary_rows("div", Div, lambda a, b: a / b, ANY, NONZERO, PY_ANY, PY_NONZERO),
    *_binary_rows(
        "pow",
        Pow,
        lambda a, b: a**b,
        POSITIVE,
        # exponent 0 is masked to a zero base gradient (PyTorch's 0 ** 0 rule), which is
        # right to first order only: keep away from it
        away_from_zero(0.1, 2.0),
        st.sampled_from([0.5, 2.0, math.e, 3]),
        st.sampled_from([-1.5, -1, 0.5, 2, 2.5, 3]),
    ),
    Row("pow negative base, integral exponent", (Pow,), _pow_negative_base),
    _unary("neg", Neg, lambda x: -x, ANY),
    _unary("exp", Exp, lambda x: x.exp(), ANY),
    _unary("log", Log, lambda x: x.log(), POSITIVE),
    _unary("log1p", Log1p, lambda x: x.log1p(), uniform(-0.8, 3.0)),
    _unary("sqrt", Sqrt, lambda x: x.sqrt(), POSITIVE),
    _unary("rsqrt", Rsqrt, lambda x: x.rsqrt(), POSITIVE),
    _unary("sin", Sin, lambda x: x.sin(), ANY),
    _unary("cos", Cos, lambda x: x.cos(), ANY),
    _unary("tan", Tan, lambda x: x.tan(), uniform(-1.2, 1.2)),
    _unary("tanh", Tanh, lambda x: x.tanh(), ANY),
    _unary("sigmoid", Sigmoid, lambda x: x.sigmoid(), uniform(-6.0, 6.0)),
    _unary("abs", Abs, lambda x: abs(x), NONZERO),
    _unary("sign", Sign, lambda x: x.sign() * x, NONZERO),
    _unary("reciprocal", Reciprocal, lambda x: x.reciprocal(), NONZERO),
    Row("maximum broadcast", (Maximum,), _extremum_tensors(lambda a, b: a.maximum(b))),
    Row("maximum scalar", (Maximum,), _extremum_scalar(lambda a, s: autograd.maximum(a, s))),
    Row("minimum broadcast", (Minimum,), _extremum_tensors(lambda a, b: autograd.minimum(a, b))),
    Row("minimum scalar", (Minimum,), _extremum_scalar(lambda a, s: a.minimum(s))),
    Row("where broadcast", (Where,), _where),
    Row("where scalar branch", (Where,), _where_scalar),
    Row("clamp scalar bounds", (Clamp,), _clamp_scalar),
    Row("clamp tensor bounds", (Clamp,), _clamp_tensor),
    # Cast is linear: a large step is exact, and float32 rounding needs one
    Row("cast float64->float32", (Cast,), _cast, eps=1e-2, atol=1e-4),
    Row("cast float32->float64", (Cast,), _cast_up, eps=1e-2, atol=1e-4),
    _unary("clone", Clone, lambda x: x.clone(), ANY),
    Row("fill_ / zero_ on a clone", (Fill, Clone), _fill),
    Row("copy_ (broadcast src)", (Copy, Clone), _copy),
]


@pytest.mark.parametrize("row", OPS, ids=ids(OPS))
@given(data=st.data())
def test_derivatives(row: Row, data: Any) -> None:
    check(row, data.draw)


# -- PyTorch's choices at kinks and poles, as exact numbers --------------------------------------


def test_relu_abs_sign_have_zero_gradient_at_zero() -> None:
    (g,) = exact_grads(lambda x: x.relu(), [0.0, -1.0, 2.0])
    assert g.tolist() == [0.0, 0.0, 1.0]
    (g,) = exact_grads(lambda x: x.abs(), [0.0, -1.0, 2.0])
    assert g.tolist() == [0.0, -1.0, 1.0]
    (g,) = exact_grads(lambda x: x.sign(), [0.0, -1.0, 2.0])
    assert g.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_a_tie_splits_the_gradient_in_halves(name: str) -> None:
    f = lambda a, b: getattr(a, name)(b)
    ga, gb = exact_grads(f, [1.0, 2.0, 3.0], [1.0, 0.0, 5.0])
    if name == "maximum":
        assert ga.tolist() == [0.5, 1.0, 0.0] and gb.tolist() == [0.5, 0.0, 1.0]
    else:
        assert ga.tolist() == [0.5, 0.0, 1.0] and gb.tolist() == [0.5, 1.0, 0.0]
    # a broadcast operand collects the halves of every tie it takes part in
    ga, gb = exact_grads(f, [2.0, 2.0, 2.0], 2.0)
    assert ga.tolist() == [0.5, 0.5, 0.5] and gb.tolist() == 1.5


def test_clamp_passes_the_gradient_at_its_bounds() -> None:
    (g,) = exact_grads(lambda x: x.clamp(0.0, 1.0), [-1.0, 0.0, 0.5, 1.0, 2.0])
    assert g.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    (g,) = exact_grads(lambda x: x.clamp(min=0.0), [-1.0, 0.0, 2.0])
    assert g.tolist() == [0.0, 1.0, 1.0]
    (g,) = exact_grads(lambda x: x.clamp(max=0.0), [-1.0, 0.0, 2.0])
    assert g.tolist() == [1.0, 1.0, 0.0]
    # tensor bounds: at a tie x gets the gradient, the bound does not (PyTorch)
    gx, glo, ghi = exact_grads(
        lambda x, lo, hi: x.clamp(lo, hi), [-1.0, 0.0, 0.5, 1.0, 2.0], [0.0] * 5, [1.0] * 5
    )
    assert gx.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert glo.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert ghi.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]


def test_clamp_with_min_above_max_gives_max_and_only_max_the_gradient() -> None:
    f = lambda x, lo, hi: x.clamp(lo, hi)
    x, lo, hi = [-1.0, 1.5, 3.0], [2.0, 2.0, 2.0], [1.0, 1.0, 1.0]
    out = f(*(autograd.tensor(np.array(v)) for v in (x, lo, hi)))
    assert out.tolist() == [1.0, 1.0, 1.0]  # torch.clamp: min(max(x, lo), hi)
    gx, glo, ghi = exact_grads(f, x, lo, hi)
    assert gx.tolist() == [0.0, 0.0, 0.0]
    assert glo.tolist() == [0.0, 0.0, 0.0]
    assert ghi.tolist() == [1.0, 1.0, 1.0]


def test_sqrt_and_pow_edge_cases_match_pytorch() -> None:
    inf = math.inf
    assert exact_grads(lambda x: x.sqrt(), [0.0, 4.0])[0].tolist() == [inf, 0.25]
    assert exact_grads(lambda x: x.rsqrt(), [4.0])[0].tolist() == [-1 / 16]
    assert exact_grads(lambda x: x**0, [0.0, 2.0])[0].tolist() == [0.0, 0.0]
    assert exact_grads(lambda x: x**0.0, [0.0, -2.0])[0].tolist() == [0.0, 0.0]
    assert exact_grads(lambda x: x**2, [0.0, -3.0])[0].tolist() == [0.0, -6.0]
    assert exact_grads(lambda x: x**1, [0.0])[0].tolist() == [1.0]
    assert exact_grads(lambda x: x**0.5, [0.0])[0].tolist() == [inf]
    assert exact_grads(lambda x: x**-1, [0.0])[0].tolist() == [-inf]
    assert exact_grads(lambda x: x**3, [-2.0])[0].tolist() == [12.0]
    # tensor exponent: zero exponent -> 0 for the base; base 0 with exponent >= 0 -> 0 for
    # the exponent (not 0 * log 0); base 0 with exponent < 0 -> inf * log 0 = -inf
    gx, gy = exact_grads(lambda x, y: x**y, [0.0, 0.0, 0.0, 2.0], [0.0, 2.0, -1.0, 0.0])
    assert gx.tolist() == [0.0, 0.0, -inf, 0.0]
    assert gy.tolist() == [0.0, 0.0, -inf, math.log(2.0)]
    # a Python base: the same rules for the exponent
    (gy,) = exact_grads(lambda y: 0.0**y, [0.0, 2.0, -1.0])
    assert gy.tolist() == [0.0, 0.0, -inf]
    (gy,) = exact_grads(lambda y: 2.0**y, [3.0])
    assert gy.tolist() == [8.0 * math.log(2.0)]
    (gy,) = exact_grads(lambda y: (-2.0) ** y, [2.0])
    assert math.isnan(gy[0])  # log of a negative base


def test_second_derivatives_at_a_kink_follow_the_first() -> None:
    x = autograd.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    (g,) = autograd.grad(x.relu().sum(), x, create_graph=True)
    (gg,) = autograd.grad((g * x).sum(), x)
    assert g.tolist() == [0.0, 0.0, 1.0] and gg.tolist() == [0.0, 0.0, 1.0]


# -- dtypes: float32 stays float32 --------------------------------------------------------------

UNARY_F32: list[tuple[str, Callable[[Any], Any]]] = [
    ("neg", lambda x: -x),
    ("exp", lambda x: x.exp()),
    ("log", lambda x: x.log()),
    ("log1p", lambda x: x.log1p()),
    ("sqrt", lambda x: x.sqrt()),
    ("rsqrt", lambda x: x.rsqrt()),
    ("sin", lambda x: x.sin()),
    ("cos", lambda x: x.cos()),
    ("tan", lambda x: x.tan()),
    ("tanh", lambda x: x.tanh()),
    ("sigmoid", lambda x: x.sigmoid()),
    ("relu", lambda x: x.relu()),
    ("abs", lambda x: x.abs()),
    ("sign", lambda x: x.sign()),
    ("reciprocal", lambda x: x.reciprocal()),
    ("square", lambda x: x.square()),
    ("clamp scalars", lambda x: x.clamp(0.5, 1.5)),
    ("clamp f64 numpy scalars", lambda x: x.clamp(np.float64(0.5), np.float64(1.5))),
    ("clone", lambda x: x.clone()),
    ("fill_", lambda x: x.clone().fill_(np.float64(2.0))),
    ("copy_ f64 array", lambda x: x.clone().copy_(np.ones(3))),
    ("where scalar", lambda x: autograd.where(x > 1, x, 0.0)),
    ("where f64 numpy scalar", lambda x: autograd.where(x > 1, np.float64(2.0), x)),
]

BINARY: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("+", lambda a, b: a + b),
    ("-", lambda a, b: a - b),
    ("*", lambda a, b: a * b),
    ("/", lambda a, b: a / b),
    ("**", lambda a, b: a**b),
    ("maximum", lambda a, b: autograd.maximum(a, b)),
    ("minimum", lambda a, b: autograd.minimum(a, b)),
]

OTHERS: list[tuple[str, Callable[[], Any]]] = [
    ("python float", lambda: 2.5),
    ("python int", lambda: 2),
    ("int64 tensor", lambda: autograd.tensor([1, 2, 3])),
    ("0-d int64 tensor", lambda: autograd.tensor(2)),
    ("numpy float64 scalar", lambda: np.float64(2.0)),
    ("0-d float64 tensor", lambda: autograd.tensor(np.float64(2.0))),
]


def _f32() -> autograd.Tensor:
    return autograd.tensor([0.5, 1.0, 2.0], requires_grad=True)


@pytest.mark.parametrize("name, f", UNARY_F32, ids=[n for n, _ in UNARY_F32])
def test_unary_ops_keep_float32(name: str, f: Callable[[Any], Any]) -> None:
    x = _f32()
    out = f(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32


@pytest.mark.parametrize("other_name, other", OTHERS, ids=[n for n, _ in OTHERS])
@pytest.mark.parametrize("op_name, op", BINARY, ids=[n for n, _ in BINARY])
def test_binary_ops_keep_float32(
    op_name: str, op: Callable[[Any, Any], Any], other_name: str, other: Callable[[], Any]
) -> None:
    for f in (lambda x: op(x, other()), lambda x: op(other(), x)):
        x = _f32()
        out = f(x)
        assert out.dtype == np.float32, (op_name, other_name)
        out.sum().backward()
        assert x.grad is not None and x.grad.dtype == np.float32


def test_integer_tensors_promote_to_float32() -> None:
    i = autograd.tensor([1, 2, 3])
    assert i.dtype == np.int64
    for out in (i + 1.5, 1.5 + i, i * 0.5, i - 0.5, 2.5 / i, i**0.5):
        assert out.dtype == np.float32
    for out in (i / i, i / 2, 3 / i, i.exp(), i.sqrt(), i.log(), i.sigmoid()):
        assert out.dtype == np.float32
    assert (i / i).tolist() == [1.0, 1.0, 1.0]
    assert (i + i).dtype == np.int64 and (i * 2).dtype == np.int64 and (i**2).dtype == np.int64


def test_float64_stays_float64() -> None:
    x = autograd.tensor(np.array([1.0, 2.0]), requires_grad=True)
    for out in (x + 1.5, x * autograd.tensor([1.0, 2.0]), x / autograd.tensor([1, 2]), x.exp()):
        assert out.dtype == np.float64


MASKING = [
    ("relu", lambda t: t.relu()),
    ("maximum", lambda t: autograd.maximum(t, autograd.zeros(4, dtype=t.dtype))),
    ("minimum", lambda t: autograd.minimum(t, autograd.zeros(4, dtype=t.dtype))),
]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name, op", MASKING, ids=[n for n, _ in MASKING])
def test_masked_positions_get_exact_zeros_from_non_finite_gradients(
    name: str, op: Callable[[Any], Any], create_graph: bool
) -> None:
    """PyTorch masks these gradients (masked_fill), so inf or NaN coming from above gives 0
    where the input lost, not inf * 0 = NaN: sqrt(relu(x)) has gradient 0 at x <= 0. Ties
    still split in halves; where the input won, the value passes through, NaN included."""
    x = autograd.tensor([-1.0, -2.0, 3.0, 0.0], dtype=np.float64, requires_grad=True)
    g = autograd.tensor([np.nan, np.inf, 1.0, -np.inf], dtype=np.float64)
    (got,) = autograd.grad(op(x), x, g, create_graph=create_graph)
    lost = {"relu": [0, 1, 3], "maximum": [0, 1], "minimum": [2]}[name]
    won = [i for i in range(4) if i not in lost]
    assert (got.data[lost] == 0).all(), got
    expected = g.data if name == "relu" else np.where(x.data == 0, g.data / 2, g.data)
    np.testing.assert_array_equal(got.data[won], expected[won])
    (s,) = autograd.grad(x.relu().sqrt().sum(), x, create_graph=create_graph)
    np.testing.assert_array_equal(s.data, [0.0, 0.0, 0.5 / np.sqrt(3.0), 0.0])


def test_sign_abs_and_relu_follow_pytorch_at_nan_and_signed_zero() -> None:
    """sign is (x > 0) - (x < 0): 0 for NaN and +0 for -0.0, so |x|'s gradient at NaN is 0;
    sign's own gradient is exact zeros even from an inf gradient; relu(NaN) passes its
    gradient (PyTorch masks only where the output is <= 0)."""
    x = autograd.tensor([np.nan, -0.0, 0.0, 2.0, -3.0], dtype=np.float64, requires_grad=True)
    s = x.sign()
    np.testing.assert_array_equal(s.data, [0.0, 0.0, 0.0, 1.0, -1.0])
    assert not np.signbit(s.data[:3]).any()
    np.testing.assert_array_equal(autograd.tensor([3, -2, 0]).sign().data, [1, -1, 0])
    (g,) = autograd.grad(x.abs().sum(), x)
    np.testing.assert_array_equal(g.data, [0.0, 0.0, 0.0, 1.0, -1.0])
    (g,) = autograd.grad(s, x, autograd.tensor(np.full(5, np.inf)))
    np.testing.assert_array_equal(g.data, np.zeros(5))
    (g,) = autograd.grad(x.relu(), x, autograd.tensor(np.full(5, 2.0)))
    np.testing.assert_array_equal(g.data, [2.0, 0.0, 0.0, 2.0, 0.0])


@pytest.mark.parametrize("op", [autograd.maximum, autograd.minimum])
def test_max_and_min_with_a_nan_give_both_inputs_the_gradient(op: Any) -> None:
    """PyTorch zeroes an input's gradient only where it strictly loses; a NaN on either side
    loses nowhere, so both get it (torch 2.13: maximum(tensor(1.), tensor(nan)) -> grads 1, 1).
    With only one input requiring grad, only its mask is kept."""
    a = autograd.tensor([1.0, np.nan, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    b = autograd.tensor([np.nan, 5.0, 2.0, 0.0], dtype=np.float64, requires_grad=True)
    ga, gb = autograd.grad(op(a, b).sum(), (a, b))
    wins_a = 1.0 if op is autograd.maximum else 0.0
    np.testing.assert_array_equal(ga.data, [1.0, 1.0, 0.5, wins_a])
    np.testing.assert_array_equal(gb.data, [1.0, 1.0, 0.5, 1.0 - wins_a])
    y = op(a, b.detach())
    assert y.grad_fn._saved_raw[1] is None


ZERO_GRADIENT = [
    ("sign", lambda t: t.sign()),
    ("x ** 0", lambda t: t**0),
    ("heaviside", lambda t: t.heaviside(autograd.tensor(0.5, dtype=np.float64))),
    ("fill_", lambda t: (t * 1.0).fill_(3.0)),
    ("copy_", lambda t: (t * 1.0).copy_(autograd.tensor([1.0, 2.0, 3.0], dtype=np.float64))),
]


@pytest.mark.parametrize("name, op", ZERO_GRADIENT, ids=[n for n, _ in ZERO_GRADIENT])
def test_a_zero_gradient_is_exact_zeros_whatever_comes_from_above(
    name: str, op: Callable[[Any], Any]
) -> None:
    """PyTorch returns zeros_like for these, not grad * 0: an inf gradient gives 0, not NaN,
    and a negative one +0.0, not -0.0."""
    x = autograd.tensor([-1.0, 0.0, 2.0], dtype=np.float64, requires_grad=True)
    (g,) = autograd.grad(op(x), x, autograd.tensor([np.inf, -np.inf, -1.0]), allow_unused=True)
    assert g is not None and (g.data == 0).all() and not np.signbit(g.data).any(), g
