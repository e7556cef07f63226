"""The Hypothesis strategies draw what they promise: shapes, tensors and valid expression graphs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd.testing.strategies import (
    OPS,
    ExpressionGraph,
    broadcast_pairs,
    broadcastable_shapes,
    expressions,
    shapes,
    tensors,
)


@given(shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
def test_shapes_respect_bounds(shape: tuple[int, ...]) -> None:
    assert 1 <= len(shape) <= 3
    assert all(2 <= n <= 4 for n in shape)


@given(st.data())
def test_broadcastable_shapes_broadcast(data: st.DataObject) -> None:
    shape = data.draw(shapes(max_dims=3))
    other = data.draw(broadcastable_shapes(shape, max_dims=4))
    np.broadcast_shapes(shape, other)


@given(broadcast_pairs(max_dims=3))
def test_broadcast_pairs_broadcast(pair: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    a, b = pair
    assert len(a) <= 3 and len(b) <= 3
    np.broadcast_shapes(a, b)


@given(tensors(shape=(2, 3), min_value=-1, max_value=1, requires_grad=True))
def test_tensors_with_fixed_shape(t: autograd.Tensor) -> None:
    assert isinstance(t, autograd.Tensor)
    assert t.shape == (2, 3) and t.dtype == np.float64 and t.requires_grad
    assert np.all(np.abs(t.numpy()) <= 1)


@given(tensors(shape=shapes(max_dims=2), dtype=np.float32))
def test_tensors_are_finite_without_subnormals(t: autograd.Tensor) -> None:
    a = t.numpy()
    assert a.dtype == np.float32 and len(a.shape) <= 2
    assert np.all(np.isfinite(a)) and np.all(np.abs(a) <= 10)
    tiny = np.finfo(np.float32).tiny
    assert np.all((a == 0) | (np.abs(a) >= tiny))


@given(tensors(dtype=np.int64, min_value=0, max_value=3))
def test_tensors_of_integers(t: autograd.Tensor) -> None:
    assert t.dtype == np.int64 and not t.requires_grad
    assert np.all((t.numpy() >= 0) & (t.numpy() <= 3))


@given(tensors(shape=(3, 2), elements=st.sampled_from([1.0, 2.0])))
def test_tensors_custom_elements(t: autograd.Tensor) -> None:
    assert set(t.numpy().reshape(-1).tolist()) <= {1.0, 2.0}


@given(expressions())
def test_expressions_give_float64_leaves_and_a_scalar(graph: ExpressionGraph) -> None:
    assert graph.inputs and all(x.dtype == np.float64 and x.requires_grad for x in graph.inputs)
    assert all(x.is_leaf for x in graph.inputs)
    out = graph.fn(*graph.inputs)
    assert out.shape == () and out.requires_grad
    assert np.isfinite(out.item())
    assert 1 <= len(graph.ops) <= 8
    assert set(graph.ops) <= set(OPS)
    # fn rebuilds the graph: the same inputs give the same value, fresh inputs too.
    assert graph.fn(*graph.make_inputs()).item() == out.item()


@given(expressions(max_ops=3))
def test_expression_repr_lists_every_step(graph: ExpressionGraph) -> None:
    text = repr(graph)
    assert text.startswith("ExpressionGraph(")
    assert "x0 = " in text and "out = (" in text and ".sum()" in text
    for k in range(len(graph.inputs)):
        assert f"x{k} = " in text


@settings(max_examples=10)
@given(expressions(ops=["log", "sqrt", "rsqrt", "reciprocal", "pow_neg"], min_ops=3, max_ops=3))
def test_expressions_respect_domains(graph: ExpressionGraph) -> None:
    assert np.isfinite(graph.fn(*graph.inputs).item())
    assert set(graph.ops) <= {"log", "sqrt", "rsqrt", "reciprocal", "pow_neg"}


def test_expressions_reject_unknown_ops() -> None:
    with pytest.raises(ValueError, match="unknown op"):
        expressions(ops=["frobnicate"])


@pytest.mark.parametrize("name", OPS)
def test_every_op_can_be_drawn(name: str) -> None:
    seen: list[bool] = []

    @settings(max_examples=50, database=None, derandomize=True)
    @given(expressions(ops=[name, "add", "unsqueeze"], min_ops=4, max_ops=4, shape=(2, 3)))
    def draw(graph: ExpressionGraph) -> None:
        seen.append(name in graph.ops)
        np.isfinite(graph.fn(*graph.inputs).item())

    draw()
    assert any(seen), f"{name} was never drawn"
