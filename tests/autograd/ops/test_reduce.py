"""Reduction primitives: the derivative table, ties and zeros as exact tests, stability, dtypes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
from autograd.ops.elementwise import Abs, Div, Pow, Sqrt
from autograd.ops.index import Index
from autograd.ops.reduce import (
    Amax,
    Amin,
    LogSoftmax,
    LogSumExp,
    Max,
    Min,
    Norm,
    Prod,
    Softmax,
    Sum,
    Var,
)
from tests.autograd.ops._table import (
    Row,
    away_from_zero,
    check,
    dims_of,
    exact_grads,
    ids,
    leaf,
    shapes,
    spread,
    uniform,
)

# -- the table ----------------------------------------------------------------------------------


def _reduce_call(draw: Any, name: str, ndim: int, allow_tuple: bool = True) -> Any:
    """``x.name(dims, keepdim)`` in one of its spellings: positional, the NumPy-style
    ``axis=``/``keepdims=`` aliases, or the ``autograd.name`` function."""
    dims = dims_of(draw, ndim, allow_tuple=allow_tuple)
    keepdim = draw(st.booleans())
    style = draw(st.sampled_from(["method", "alias", "function"]))
    if style == "method":
        return lambda x: getattr(x, name)(dims, keepdim)
    if style == "alias":
        return lambda x: getattr(x, name)(axis=dims, keepdims=keepdim)
    return lambda x: getattr(autograd, name)(x, dim=dims, keepdim=keepdim)


def _reduction(name: str, elements: Any = None, distinct: bool = False) -> Any:
    def case(draw: Any) -> Any:
        shape = draw(shapes())
        x = spread(draw, shape) if distinct else leaf(draw, shape, elements)
        return _reduce_call(draw, name, len(shape)), (x,)

    return case


def _variance(name: str) -> Any:
    def case(draw: Any) -> Any:
        shape = draw(shapes(min_dims=1))
        x = spread(draw, shape)  # distinct values: the variance stays away from 0
        dims = dims_of(draw, len(shape))
        count = math.prod(shape if dims is None else [shape[d] for d in np.atleast_1d(dims)])
        assume(count >= 2)  # the variance of one value is 0: std's pole
        correction = draw(st.sampled_from([c for c in (0, 1, 2) if c < count]))
        keepdim = draw(st.booleans())
        if draw(st.booleans()):
            return (lambda x: getattr(x, name)(dims, keepdim=keepdim, correction=correction)), (x,)
        return (
            lambda x: getattr(autograd, name)(x, axis=dims, keepdims=keepdim, correction=correction)
        ), (x,)

    return case


def _prod_with_zeros(draw: Any) -> Any:
    shape = draw(shapes(min_dims=1))
    data = np.array(spread(draw, shape, 0.5, 2.0).tolist())
    zeros = draw(st.lists(st.integers(0, data.size - 1), min_size=1, max_size=3))
    data.reshape(-1)[zeros] = 0.0
    x = autograd.tensor(data, requires_grad=True)
    return _reduce_call(draw, "prod", len(shape)), (x,)


def _extreme_dim(name: str) -> Any:
    def case(draw: Any) -> Any:
        shape = draw(shapes(min_dims=1))  # a 0-d max(dim) is a clone
        x = spread(draw, shape)
        dim = draw(st.integers(-len(shape), len(shape) - 1))
        keepdim = draw(st.booleans())
        if draw(st.booleans()):
            return (lambda x: getattr(x, name)(dim, keepdim).values), (x,)
        return (lambda x: getattr(autograd, name)(x, dim=dim, keepdim=keepdim)[0]), (x,)

    return case


def _extreme_all(name: str) -> Any:
    def case(draw: Any) -> Any:
        x = spread(draw, draw(shapes()))
        return (lambda x: getattr(x, name)()), (x,)

    return case


def _softmax(name: str) -> Any:
    def case(draw: Any) -> Any:
        shape = draw(shapes())
        x = leaf(draw, shape, uniform(-5.0, 5.0))
        dim = draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
        if draw(st.booleans()):
            return (lambda x: getattr(x, name)(dim)), (x,)
        return (lambda x: getattr(autograd, name)(x, dim=dim)), (x,)

    return case


def _norm(p: Any, distinct: bool = False) -> Any:
    def case(draw: Any) -> Any:
        shape = draw(shapes())
        x = spread(draw, shape) if distinct else leaf(draw, shape, away_from_zero(0.3, 3.0))
        dims = dims_of(draw, len(shape))
        keepdim = draw(st.booleans())
        if draw(st.booleans()):
            return (lambda x: x.norm(p, dims, keepdim)), (x,)
        return (lambda x: autograd.norm(x, p=p, dim=dims, keepdim=keepdim)), (x,)

    return case


OPS: list[Row] = [
    Row("sum", (Sum,), _reduction("sum")),
    Row("mean", (Sum, Div), _reduction("mean")),
    Row("var", (Var,), _variance("var")),
    Row("std", (Var, Sqrt), _variance("std")),
    # |x| <= 1.5: a product of 24 values stays below 2e4, where finite differences of the
    # second derivative are still accurate to atol (up to 2 ** 24 they drift by 3e-5)
    Row("prod", (Prod,), _reduction("prod", away_from_zero(0.5, 1.5))),
    Row("prod with zeros", (Prod,), _prod_with_zeros),
    Row("amax", (Amax,), _reduction("amax", distinct=True)),
    Row("amin", (Amin,), _reduction("amin", distinct=True)),
    Row("max()", (Max,), _extreme_all("max")),
    Row("min()", (Min,), _extreme_all("min")),
    Row("max(dim) values", (Index,), _extreme_dim("max")),
    Row("min(dim) values", (Index,), _extreme_dim("min")),
    Row("logsumexp", (LogSumExp,), _reduction("logsumexp", uniform(-5.0, 5.0))),
    Row("softmax", (Softmax,), _softmax("softmax")),
    Row("log_softmax", (LogSoftmax,), _softmax("log_softmax")),
    Row("norm p=2", (Norm,), _norm(2)),
    Row("norm p='fro'", (Norm,), _norm("fro")),
    Row("norm p=1", (Abs, Sum), _norm(1)),
    Row("norm p=inf", (Abs, Amax), _norm(math.inf, distinct=True)),
    Row("norm p=-inf", (Abs, Amin), _norm(-math.inf, distinct=True)),
    Row("norm p=3", (Abs, Pow, Sum), _norm(3)),
]


@pytest.mark.parametrize("row", OPS, ids=ids(OPS))
@given(data=st.data())
def test_derivatives(row: Row, data: Any) -> None:
    check(row, data.draw)


# -- exact values: ties, zeros, aliases --------------------------------------------------------


def test_amax_amin_and_full_max_min_share_ties_evenly() -> None:
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]
    assert exact_grads(lambda x: x.amax(), x)[0].tolist() == [[0, 0.5, 0.5], [0, 0, 0]]
    assert exact_grads(lambda x: x.max(), x)[0].tolist() == [[0, 0.5, 0.5], [0, 0, 0]]
    third = 1 / 3
    assert exact_grads(lambda x: x.amax(1), x)[0].tolist() == [[0, 0.5, 0.5], [third] * 3]
    assert exact_grads(lambda x: x.amin(-1, keepdim=True), x)[0].tolist() == [
        [1, 0, 0],
        [third] * 3,
    ]
    assert exact_grads(lambda x: x.min(), x)[0].tolist() == [[1, 0, 0], [0, 0, 0]]
    assert exact_grads(lambda x: x.amax((0, 1)), x)[0].tolist() == [[0, 0.5, 0.5], [0, 0, 0]]


def test_full_max_min_of_nan_share_the_gradient_among_the_nans_as_torch() -> None:
    # PyTorch's max()/min() (evenly_distribute_backward): a NaN result passes the gradient
    # to the NaNs; amax/amin (and max/min over a dim's values) give NaN, as PyTorch's do.
    nan = math.nan
    x = [1.0, nan, 3.0, nan, 3.0]
    for name in ("max", "min"):
        t = autograd.tensor(x, requires_grad=True)
        getattr(t, name)().backward(autograd.tensor(2.0))
        assert t.grad.tolist() == [0, 1, 0, 1, 0]
    t = autograd.tensor(x, requires_grad=True)
    t.amax().backward()
    assert np.isnan(t.grad.data).all()
    t = autograd.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)  # ties without NaN: as amax
    t.max().backward(autograd.tensor(3.0))
    assert t.grad.tolist() == [0, 1.5, 1.5, 0]


@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_return_values_and_indices_and_grad_the_index(keepdim: bool) -> None:
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x = autograd.tensor(data, requires_grad=True)
    values, indices = x.max(1, keepdim=keepdim)
    assert indices.dtype == np.int64 and indices.tolist() == (
        [[1], [0]] if keepdim else [1, 0]
    )  # the first of tied maxima, as torch.max(dim)
    assert values.tolist() == ([[3.0], [2.0]] if keepdim else [3.0, 2.0])
    (g,) = autograd.grad(values.sum(), x)
    assert g.tolist() == [[0, 1, 0], [1, 0, 0]]
    values, indices = autograd.min(x, dim=-1, keepdim=keepdim)
    assert indices.flatten().tolist() == [0, 2] and values.flatten().tolist() == [1.0, 0.0]
    (g,) = autograd.grad(values.sum(), x)
    assert g.tolist() == [[1, 0, 0], [0, 0, 1]]
    out = x.max(axis=0, keepdims=keepdim)
    assert out.indices.flatten().tolist() == [1, 0, 0]
    assert out.values.flatten().tolist() == [2.0, 3.0, 3.0]


def test_prod_with_one_zero_and_with_two_zeros_is_exact() -> None:
    assert exact_grads(lambda x: x.prod(), [2.0, 0.0, 3.0])[0].tolist() == [0, 6, 0]
    assert exact_grads(lambda x: x.prod(), [2.0, 0.0, 0.0])[0].tolist() == [0, 0, 0]
    g = exact_grads(lambda x: x.prod(1), [[2.0, 0.0, 3.0], [0.0, 4.0, 0.0], [1.0, 2.0, 3.0]])[0]
    assert g.tolist() == [[0, 6, 0], [0, 0, 0], [6, 3, 2]]
    g = exact_grads(lambda x: x.prod(0, keepdim=True), [[2.0, 0.0], [0.0, 0.0], [5.0, 1.0]])[0]
    assert g.tolist() == [[0, 0], [10, 0], [0, 0]]


def test_prod_second_derivative_with_two_zeros() -> None:
    # d2/(dx0 dx1) of x0 * x1 * x2 is x2, zeros or not
    x = autograd.tensor(np.array([0.0, 0.0, 5.0]), requires_grad=True)
    (g,) = autograd.grad(x.prod(), x, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0]
    (h0,) = autograd.grad(g[0], x)
    assert h0.tolist() == [0.0, 5.0, 0.0]


@pytest.mark.parametrize("p", [2, "fro", 1, math.inf, -math.inf, 3, 0.5])
def test_norm_at_zero_has_zero_gradient(p: Any) -> None:
    (g,) = exact_grads(lambda x: x.norm(p), [0.0, 0.0, 0.0])
    assert g.tolist() == [0.0, 0.0, 0.0]
    (g,) = exact_grads(lambda x: x.norm(p, dim=1), [[0.0, 0.0], [3.0, 4.0]])
    assert np.all(np.isfinite(g)) and g[0].tolist() == [0.0, 0.0]


def test_norm_values() -> None:
    x = autograd.tensor(np.array([[3.0, -4.0], [1.0, 2.0]]))
    assert x.norm().item() == pytest.approx(math.sqrt(30))
    assert x.norm(2, dim=1).tolist() == pytest.approx([5.0, math.sqrt(5)])
    assert x.norm(1, dim=0).tolist() == [4.0, 6.0]
    assert x.norm(math.inf).item() == 4.0 and x.norm(-math.inf, dim=1).tolist() == [3.0, 1.0]
    p3 = x.norm(3, dim=1, keepdim=True)
    assert p3.shape == (2, 1) and p3.numpy().ravel() == pytest.approx([91 ** (1 / 3), 9 ** (1 / 3)])


@pytest.mark.parametrize("correction", [0, 1, 2])
def test_var_std_with_correction(correction: int) -> None:
    data = [1.0, 2.0, 4.0, 7.0]
    m = sum(data) / 4
    ss = sum((v - m) ** 2 for v in data)
    x = autograd.tensor(np.array(data), requires_grad=True)
    assert x.var(correction=correction).item() == pytest.approx(ss / (4 - correction))
    assert x.std(correction=correction).item() == pytest.approx(math.sqrt(ss / (4 - correction)))
    (g,) = exact_grads(lambda x: x.var(correction=correction), data)
    assert g.tolist() == pytest.approx([2 * (v - m) / (4 - correction) for v in data])
    two_d = autograd.tensor(np.array([data, data[::-1]]))
    assert two_d.var(1, correction=correction).tolist() == pytest.approx(
        [ss / (4 - correction)] * 2
    )
    assert two_d.var(dim=0, unbiased=False).tolist() == pytest.approx(
        [((a - b) / 2) ** 2 for a, b in zip(data, data[::-1])]
    )


def test_axis_and_keepdims_aliases_match_dim_and_keepdim() -> None:
    x = autograd.tensor(np.arange(24.0).reshape(2, 3, 4) / 7)
    for name in ("sum", "mean", "prod", "amax", "amin", "logsumexp", "var", "std"):
        f = getattr(x, name)
        for dims in (None, 0, -1, (0, 2), (-1, 1)):
            for k in (False, True):
                a, b = f(dims, keepdim=k), f(axis=dims, keepdims=k)
                assert a.shape == b.shape and np.allclose(a.numpy(), b.numpy()), (name, dims, k)
                want = getattr(np, {"amax": "max", "amin": "min"}.get(name, name), None)
                if want is not None and name not in ("var", "std"):
                    assert np.allclose(a.numpy(), want(x.numpy(), axis=dims, keepdims=k))
        with pytest.raises(TypeError):
            f(0, axis=0)


# -- stability: huge values stay finite, no RuntimeWarning (an error in this suite) -------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_log_softmax_logsumexp_with_huge_values(dtype: Any) -> None:
    data = np.array([[1e4, 1e4, -1e4], [-1e4, 0.0, 1e4]], dtype=dtype)
    x = autograd.tensor(data, requires_grad=True)
    s, ls, lse = x.softmax(1), x.log_softmax(1), x.logsumexp(1)
    for t in (s, ls, lse):
        assert t.dtype == dtype and np.all(np.isfinite(t.numpy()))
    assert s.tolist() == [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
    assert ls.numpy()[0, :2] == pytest.approx([-math.log(2)] * 2)
    assert ls.numpy()[1, 2] == 0.0 and ls.numpy()[1, 0] == pytest.approx(-2e4)
    assert lse.numpy() == pytest.approx([1e4 + math.log(2), 1e4])
    assert x.logsumexp().item() == pytest.approx(1e4 + math.log(3), rel=1e-6)
    w = autograd.tensor(np.arange(6, dtype=dtype).reshape(2, 3))
    ((s * w).sum() + (ls * w).sum() + lse.sum()).backward()
    assert x.grad is not None and np.all(np.isfinite(x.grad.numpy()))
    neg = autograd.tensor(-data)
    assert np.all(np.isfinite(neg.logsumexp(1).numpy())) and np.all(
        np.isfinite(neg.softmax(0).numpy())
    )


def test_softmax_of_a_masked_row_with_minus_inf() -> None:
    x = autograd.tensor(
        np.array([[0.0, -math.inf, 1.0], [2.0, -math.inf, 2.0]]), requires_grad=True
    )
    s = x.softmax(-1)
    assert s.numpy()[:, 1].tolist() == [0.0, 0.0]
    assert s.numpy()[1].tolist() == [0.5, 0.0, 0.5]
    (s * autograd.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    assert x.grad is not None and np.all(np.isfinite(x.grad.numpy()))
    assert x.grad.numpy()[:, 1].tolist() == [0.0, 0.0]


# -- dtypes -------------------------------------------------------------------------------------

F32: list[tuple[str, Callable[[Any], Any]]] = [
    ("sum", lambda x: x.sum(1)),
    ("mean", lambda x: x.mean()),
    ("var", lambda x: x.var(0)),
    ("std", lambda x: x.std(correction=0)),
    ("prod", lambda x: x.prod(-1)),
    ("amax", lambda x: x.amax(0)),
    ("amin", lambda x: x.amin()),
    ("max()", lambda x: x.max()),
    ("max(dim)", lambda x: x.max(1).values),
    ("min(dim)", lambda x: x.min(0)[0]),
    ("logsumexp", lambda x: x.logsumexp(1)),
    ("softmax", lambda x: x.softmax(0)),
    ("log_softmax", lambda x: x.log_softmax(-1)),
    ("norm 2", lambda x: x.norm()),
    ("norm 1", lambda x: x.norm(1, dim=1)),
    ("norm inf", lambda x: x.norm(math.inf)),
    ("norm 3", lambda x: x.norm(3)),
]


@pytest.mark.parametrize("name, f", F32, ids=[n for n, _ in F32])
def test_reductions_keep_float32(name: str, f: Callable[[Any], Any]) -> None:
    x = autograd.tensor([[0.5, -1.0, 2.0], [1.5, 3.0, -0.25]], requires_grad=True)
    out = f(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32


def test_reductions_of_integers() -> None:
    i = autograd.tensor([[1, 2], [3, 4]])
    assert i.sum().dtype == np.int64 and i.sum().item() == 10
    assert i.prod(0).tolist() == [3, 8] and i.amax().item() == 4
    for out in (i.softmax(0), i.log_softmax(1), i.logsumexp(0), i.norm()):
        assert out.dtype == np.float32


def test_std_of_a_constant_has_gradient_zero_as_torch() -> None:
    """PyTorch masks std's gradient where std is 0 (not 0 * inf = NaN): a constant row, or a
    single value with correction 0. Other rows keep theirs; a NaN std stays NaN."""
    x = autograd.tensor(
        [[1.0, 2.0, 4.0], [3.0, 3.0, 3.0], [np.nan, 1.0, 1.0]], dtype=np.float64, requires_grad=True
    )
    s = x.std(1)
    np.testing.assert_allclose(s.data[:2], [np.std([1.0, 2.0, 4.0], ddof=1), 0.0])
    assert np.isnan(s.data[2])
    (g,) = autograd.grad(s[:2].sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data[1], [0.0, 0.0, 0.0])
    centered = np.array([1.0, 2.0, 4.0]) - 7 / 3
    np.testing.assert_allclose(g.data[0], centered / (2 * s.data[0]))
    (gg,) = autograd.grad(g.sum(), x)
    assert np.isfinite(gg.data[:2]).all()
    (g0,) = autograd.grad(x[1, :1].std(correction=0), x)
    np.testing.assert_array_equal(g0.data, np.zeros((3, 3)))


def test_prod_gradient_with_zeros_beside_inf_and_nan_as_pytorch() -> None:
    # torch 2.13: each element gets the exact product of the others (0 * inf is NaN there),
    # except a full product with two zeros or more (all 0) and a 0-d input (the gradient).
    def grad_of(values: list[float], dim: int | None = None) -> list[float]:
        x = autograd.tensor(np.array(values), requires_grad=True)
        (x.prod() if dim is None else x.prod(dim)).sum().backward()
        return x.grad.tolist()

    inf, nan = np.inf, np.nan
    np.testing.assert_array_equal(grad_of([inf, 0.0, 2.0]), [0.0, inf, nan])
    np.testing.assert_array_equal(grad_of([inf, 0.0, 2.0], 0), [0.0, inf, nan])
    np.testing.assert_array_equal(grad_of([nan, 0.0, 0.0, inf]), [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad_of([nan, 0.0, 0.0, inf], 0), [nan, nan, nan, nan])
    x = autograd.tensor(-inf, dtype=np.float64, requires_grad=True)
    x.prod().backward()
    assert x.grad.item() == 1.0


def test_reductions_over_empty_dims_as_pytorch() -> None:
    # torch 2.13's results; no NumPy warning may get out (the suite runs with -W error)
    x = autograd.zeros(3, 0, requires_grad=True)
    assert x.softmax(1).shape == (3, 0) and x.log_softmax(1).shape == (3, 0)
    lse = x.logsumexp(1)
    assert lse.tolist() == [-np.inf] * 3
    lse.sum().backward()
    assert x.grad.shape == (3, 0)
    y = autograd.zeros(0, 3, requires_grad=True)
    assert y.amax(1).shape == (0,) and y.amin(1).shape == (0,) and y.argmax(1).shape == (0,)
    with pytest.raises(IndexError, match="reduction dim 0 to have non-zero size"):
        y.amax(0)
    with pytest.raises(IndexError, match="reduction dim 0 to have non-zero size"):
        y.argmin(0)
    with pytest.raises(ValueError, match="cannot reduce an empty tensor"):
        y.amax()
    with pytest.warns(UserWarning, match="degrees of freedom"):
        v = y.var(0)
    assert np.isnan(v.data).all() and v.shape == (3,)
    v.sum().backward()
    assert y.grad.shape == (0, 3)
    z = autograd.zeros(0, requires_grad=True)
    e = autograd.einsum("i->", z)  # a letter of size 0 stays 0
    e.backward()
    assert e.item() == 0.0 and z.grad.shape == (0,)
    w = autograd.zeros(0, 3, requires_grad=True)
    autograd.einsum("ij->i", w).sum().backward()
    assert w.grad.shape == (0, 3)
