"""Linear-algebra primitives: matmul in every NumPy case, the fused linear layer and einsum's
equations, as a derivative table, exact values against NumPy and the composite, and dtypes."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn.functional as F
from autograd.ops.linalg import Einsum, Linear, MatMul
from autograd.testing import gradcheck, gradgradcheck
from tests.autograd.ops._table import Row, broadcast_shapes, check, ids, leaf

SIDE = st.integers(1, 3)

# -- the table ----------------------------------------------------------------------------------


def _matmul(style: str) -> Any:
    """style names the ranks: 1-1 (dot), 1-N, N-1, N-N (batched, broadcast batch dims)."""

    def case(draw: Any) -> Any:
        n, k, m = draw(SIDE), draw(SIDE), draw(SIDE)
        ba, bb = draw(broadcast_shapes(2, max_dims=2, max_side=2))
        sa = {"1-1": (k,), "1-N": (k,), "N-1": (*ba, n, k), "N-N": (*ba, n, k)}[style]
        sb = {"1-1": (k,), "1-N": (*bb, k, m), "N-1": (k,), "N-N": (*bb, k, m)}[style]
        f = draw(
            st.sampled_from(
                [lambda a, b: a @ b, lambda a, b: a.matmul(b), lambda a, b: autograd.matmul(a, b)]
            )
        )
        return f, (leaf(draw, sa), leaf(draw, sb))

    return case


def _linear(columns: bool, bias: bool, batch_dims: int) -> Any:
    """x (*batch, I) with w (O, I), or with ``columns`` x (*batch, K, L) with w (O, K)."""

    def case(draw: Any) -> Any:
        o, k, length = draw(SIDE), draw(SIDE), draw(SIDE)
        batch = tuple(draw(SIDE) for _ in range(batch_dims))
        x = leaf(draw, (*batch, k, length) if columns else (*batch, k))
        inputs = (x, leaf(draw, (o, k))) + ((leaf(draw, (o,)),) if bias else ())
        if bias:
            return (lambda x, w, b: Linear.apply(x, w, b, columns)), inputs
        return (lambda x, w: Linear.apply(x, w, None, columns)), inputs

    return case


def _einsum(eq: str, shapes: Any) -> Any:
    def case(draw: Any) -> Any:
        sizes = {c: draw(SIDE) for c in "ijkb"}
        batch = draw(broadcast_shapes(len(shapes), max_dims=2, max_side=2))
        xs = []
        for sub, ell in zip(shapes, batch):
            shape = tuple(sizes[c] for c in sub.replace(".", ""))
            xs.append(leaf(draw, (*ell, *shape) if sub.startswith("...") else shape))
        return (lambda *xs: autograd.einsum(eq, *xs)), tuple(xs)

    return case


OPS: list[Row] = [
    Row("matmul 1-D @ 1-D", (MatMul,), _matmul("1-1")),
    Row("matmul 1-D @ N-D", (MatMul,), _matmul("1-N")),
    Row("matmul N-D @ 1-D", (MatMul,), _matmul("N-1")),
    Row("matmul batched, broadcast batch dims", (MatMul,), _matmul("N-N")),
    Row("linear x @ w^T + b", (Linear,), _linear(False, True, 1)),
    Row("linear 1-D x, no bias", (Linear,), _linear(False, False, 0)),
    Row("linear batched (N, S, I)", (Linear,), _linear(False, True, 2)),
    Row("linear columns w @ x + b[:, None]", (Linear,), _linear(True, True, 1)),
    Row("linear columns unbatched, no bias", (Linear,), _linear(True, False, 0)),
    Row("einsum matrix product ij,jk->ik", (Einsum,), _einsum("ij,jk->ik", ["ij", "jk"])),
    Row("einsum implicit output ij,jk", (Einsum,), _einsum("ij,jk", ["ij", "jk"])),
    Row("einsum trace ii->", (Einsum,), _einsum("ii->", ["ii"])),
    Row("einsum diagonal ii->i", (Einsum,), _einsum("ii->i", ["ii"])),
    Row("einsum outer i,j->ij", (Einsum,), _einsum("i,j->ij", ["i", "j"])),
    Row("einsum batch bij,bjk->bik", (Einsum,), _einsum("bij,bjk->bik", ["bij", "bjk"])),
    Row(
        "einsum ellipsis ...ij,...jk->...ik",
        (Einsum,),
        _einsum("...ij,...jk->...ik", ["...ij", "...jk"]),
    ),
    Row("einsum sum ij->", (Einsum,), _einsum("ij->", ["ij"])),
    Row("einsum transpose ij->ji", (Einsum,), _einsum("ij->ji", ["ij"])),
    Row(
        "einsum three operands ij,jk,kb->ib", (Einsum,), _einsum("ij,jk,kb->ib", ["ij", "jk", "kb"])
    ),
    Row("einsum letter only in one operand ij,j->j", (Einsum,), _einsum("ij,j->j", ["ij", "j"])),
    Row(
        "einsum repeated letter with another iij,j->i", (Einsum,), _einsum("iij,j->i", ["iij", "j"])
    ),
]


@pytest.mark.parametrize("row", OPS, ids=ids(OPS))
@given(data=st.data())
def test_derivatives(row: Row, data: Any) -> None:
    check(row, data.draw)


# -- exact values against NumPy -----------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 2)),
    ((3,), (4, 3, 2)),
    ((2, 3), (3,)),
    ((4, 2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 1, 2, 3), (4, 3, 2)),
]


def _numpy_grads(f: Any, arrays: list[np.ndarray], g: np.ndarray) -> list[np.ndarray]:
    """d sum(g * f(arrays)) / d arrays by central differences on NumPy alone (f is linear in
    each array, so the differences are exact up to rounding)."""
    grads = []
    for k, a in enumerate(arrays):
        num = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            up, down = [b.copy() for b in arrays], [b.copy() for b in arrays]
            up[k][i] += 0.5
            down[k][i] -= 0.5
            num[i] = np.sum(g * f(*up)) - np.sum(g * f(*down))
        grads.append(num)
    return grads


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES)
def test_matmul_matches_numpy_in_value_and_gradient(sa: Any, sb: Any) -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(sa), rng.standard_normal(sb)]
    a, b = (autograd.tensor(x, requires_grad=True) for x in arrays)
    out = a @ b
    want = np.matmul(*arrays)
    assert out.shape == np.shape(want) and np.allclose(out.numpy(), want)
    g = np.asarray(rng.standard_normal(np.shape(want)))
    out.backward(autograd.tensor(g))
    ga, gb = _numpy_grads(np.matmul, arrays, g)
    assert a.grad is not None and np.allclose(a.grad.numpy(), ga)
    assert b.grad is not None and np.allclose(b.grad.numpy(), gb)


@pytest.mark.parametrize("columns", [False, True])
@pytest.mark.parametrize("batch", [(), (3,), (2, 3)])
def test_linear_matches_its_composite(columns: bool, batch: tuple[int, ...]) -> None:
    """Same values and gradients as the matmul + broadcast add it fuses."""
    rng = np.random.default_rng(1)
    shape = (*batch, 4, 5) if columns else (*batch, 4)
    arrays = [rng.standard_normal(shape), rng.standard_normal((3, 4)), rng.standard_normal(3)]
    fused = [autograd.tensor(a, requires_grad=True) for a in arrays]
    plain = [autograd.tensor(a, requires_grad=True) for a in arrays]
    out = Linear.apply(*fused, columns)
    x, w, b = plain
    want = w @ x + b.reshape(3, 1) if columns else x @ w.T + b
    assert out.grad_fn.op is Linear and out.shape == want.shape
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
    g = autograd.tensor(rng.standard_normal(want.shape))
    out.backward(g)
    want.backward(g)
    for f, p in zip(fused, plain):
        assert f.grad is not None and p.grad is not None and f.grad.shape == f.shape
        np.testing.assert_allclose(f.grad.numpy(), p.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES)
def test_matmul_with_one_operand_requiring_grad(sa: Any, sb: Any, which: int) -> None:
    """Only what the other operand's gradient needs is saved (as PyTorch does); first and
    second derivatives of each operand alone stay right in every 1-D and batched case."""
    rng = np.random.default_rng(2)
    a, b = (
        autograd.tensor(rng.standard_normal(s), requires_grad=i == which)
        for i, s in enumerate((sa, sb))
    )
    assert gradcheck(lambda a, b: a @ b, (a, b))
    assert gradgradcheck(lambda a, b: a @ b, (a, b))


@pytest.mark.parametrize("which", ["x", "w", "b"])
@pytest.mark.parametrize("columns", [False, True])
def test_linear_with_one_input_requiring_grad(columns: bool, which: str) -> None:
    rng = np.random.default_rng(3)
    shape = (2, 4, 5) if columns else (2, 4)
    x, w, b = (
        autograd.tensor(rng.standard_normal(s), requires_grad=name == which)
        for name, s in (("x", shape), ("w", (3, 4)), ("b", (3,)))
    )
    assert gradcheck(lambda x, w, b: Linear.apply(x, w, b, columns), (x, w, b))
    assert gradgradcheck(lambda x, w, b: Linear.apply(x, w, b, columns), (x, w, b))


@pytest.mark.parametrize(
    "layer",
    [lambda h, w: F.linear(h, w), lambda h, w: h @ w.T],
    ids=["linear", "matmul"],
)
def test_a_frozen_weight_does_not_keep_the_layers_input(layer: Any) -> None:
    """As in PyTorch: dx needs only the weight, so the input is not saved. It is freed once
    nothing else holds it, and changing it in place afterwards is fine; with a weight that
    requires grad it is saved, and that backward raises."""
    rng = np.random.default_rng(4)
    x = autograd.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    frozen = autograd.tensor(rng.standard_normal((4, 3)))
    h = x * 1.0
    alive = weakref.ref(h)
    y = layer(h, frozen)
    del h
    assert alive() is None
    h = x * 1.0
    y = layer(h, frozen)
    h.add_(1.0)
    (g,) = autograd.grad(y.sum(), x)
    np.testing.assert_allclose(g.numpy(), np.ones((2, 4)) @ frozen.numpy())
    trained = frozen.detach().requires_grad_()
    h = x * 1.0
    y = layer(h, trained)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_linear_keeps_float32() -> None:
    x = autograd.ones(2, 3, dtype="float32", requires_grad=True)
    w = autograd.ones(4, 3, dtype="float32", requires_grad=True)
    b = autograd.zeros(4, dtype="float32", requires_grad=True)
    out = Linear.apply(x, w, b, False)
    out.sum().backward()
    assert out.dtype == np.float32
    assert all(t.grad is not None and t.grad.dtype == np.float32 for t in (x, w, b))


def test_matmul_of_a_zero_dim_operand_is_an_error() -> None:
    with pytest.raises(ValueError, match="MatMul"):
        autograd.tensor(2.0) @ autograd.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="MatMul"):
        autograd.ones(2, 3) @ autograd.ones(2, 3)


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 3), (3, 3, 1)]),
    ("ij->", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("iij->ij", [(2, 2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
]


@pytest.mark.parametrize("eq, shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_matches_numpy_in_value_and_gradient(eq: str, shapes: Any) -> None:
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]
    xs = [autograd.tensor(a, requires_grad=True) for a in arrays]
    out = autograd.einsum(eq, *xs)
    want = np.einsum(eq, *arrays)
    assert out.shape == np.shape(want) and np.allclose(out.numpy(), want)
    g = np.asarray(rng.standard_normal(np.shape(want)))
    out.backward(autograd.tensor(g))
    for x, want_grad in zip(xs, _numpy_grads(lambda *a: np.einsum(eq, *a), arrays, g)):
        assert x.grad is not None and np.allclose(x.grad.numpy(), want_grad)


def test_einsum_trace_and_diagonal_gradients_are_the_identity() -> None:
    x = autograd.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    autograd.einsum("ii->", x).backward()
    assert x.grad is not None and x.grad.tolist() == np.eye(3).tolist()
    x.grad = None
    (autograd.einsum("ii->i", x) * autograd.tensor(np.array([1.0, 2.0, 3.0]))).sum().backward()
    assert x.grad is not None and x.grad.tolist() == np.diag([1.0, 2.0, 3.0]).tolist()


# -- dtypes -------------------------------------------------------------------------------------


def test_matmul_and_einsum_keep_float32() -> None:
    a = autograd.tensor([[0.5, -1.0], [2.0, 1.5]], requires_grad=True)
    for out in (
        a @ a,
        a @ autograd.tensor([1, 2]),
        autograd.tensor([[1, 2]]) @ a,
        a @ autograd.tensor([1.0, 2.0]),
        autograd.einsum("ij,jk->ik", a, a),
        autograd.einsum("ij,j->i", a, autograd.tensor([1, 2])),
        autograd.einsum("ii->", a),
    ):
        assert out.dtype == np.float32
        out.sum().backward()
        assert a.grad is not None and a.grad.dtype == np.float32
        a.grad = None


def test_matmul_of_two_float_dtypes_is_an_error_as_pytorch() -> None:
    a = autograd.ones(2, 2)
    b = autograd.ones(2, 2, dtype=np.float64)
    with pytest.raises(RuntimeError, match="same dtype, but got float32 and float64"):
        a @ b
    with pytest.raises(RuntimeError, match="same dtype, but got float64 and float32"):
        autograd.matmul(b, a)
    assert (a @ autograd.tensor([1, 2])).dtype == np.float32  # an int tensor takes a's dtype
