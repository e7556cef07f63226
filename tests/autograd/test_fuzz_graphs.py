"""Random expression graphs: autograd's gradients equal finite differences."""

from __future__ import annotations

import numpy as np
from hypothesis import given

from autograd.testing import gradcheck, numerical_grad
from autograd.testing.strategies import ExpressionGraph, expressions


@given(graph=expressions())
def test_random_graph_gradients_match_finite_differences(graph: ExpressionGraph) -> None:
    # autograd.grad, one vector-Jacobian product per output element:
    assert gradcheck(graph.fn, graph.inputs)
    # .backward(), accumulating into .grad of every leaf:
    graph.fn(*graph.inputs).backward()
    expected = numerical_grad(graph.fn, graph.inputs)
    for k, (x, g) in enumerate(zip(graph.inputs, expected, strict=True)):
        got = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        assert got.shape == x.shape, f"input {k}: grad shape {got.shape}, input shape {x.shape}"
        np.testing.assert_allclose(got, g, rtol=1e-3, atol=1e-5, err_msg=f"input {k}")
