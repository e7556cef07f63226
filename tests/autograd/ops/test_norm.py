"""The fused BatchNorm primitive: gradients of every order, and agreement with the composite."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from autograd.ops.norm import BatchNorm, batch_stats
from autograd.testing.strategies import tensors
from tests.autograd.ops._table import Row, check, ids


def fused(x: Tensor, w: Tensor | None, b: Tensor | None, eps: float = 1e-5) -> Tensor:
    return BatchNorm.apply(x, *batch_stats(x.data), w, b, eps)


def composite(x: Tensor, w: Tensor | None, b: Tensor | None, eps: float = 1e-5) -> Tensor:
    """Batch norm from primitive ops only: what the fused op must equal."""
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    centered = x - x.mean(dims, keepdim=True)
    out = centered * ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
    if w is not None:
        out = out * w.reshape(shape)
    if b is not None:
        out = out + b.reshape(shape)
    return out


@st.composite
def bn_inputs(draw: Any, requires_grad: bool = True) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """An (N, C, *) input with N * spatial >= 2, and weight/bias (each maybe None)."""
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    if n * int(np.prod(spatial)) < 2:
        n = 2
    shape = (n, c) + spatial
    x = draw(tensors(shape, min_value=-3, max_value=3, requires_grad=requires_grad))
    # a channel of (nearly) equal values has var ~ 0: the derivative is then ~ 1/sqrt(eps),
    # far too steep for finite differences; real batches are not like that
    _, var = batch_stats(x.data)
    if np.any(var < 0.05):
        x = Tensor(x.data + np.arange(x.data.size).reshape(shape) % 3, requires_grad=requires_grad)
        assume(np.all(batch_stats(x.data)[1] > 0.05))  # the ramp may cancel a drawn pattern
    affine = draw(st.booleans())
    w = draw(tensors((c,), min_value=0.5, max_value=2, requires_grad=True)) if affine else None
    b = draw(tensors((c,), min_value=-1, max_value=1, requires_grad=True)) if affine else None
    return x, w, b


def _args(x: Tensor, w: Tensor | None, b: Tensor | None) -> tuple[Any, ...]:
    return tuple(t for t in (x, w, b) if t is not None)


def _call(f: Any, has_affine: bool) -> Any:
    return (lambda x, w, b: f(x, w, b)) if has_affine else (lambda x: f(x, None, None))


def _batch_norm(draw: Any) -> tuple[Any, tuple[Tensor, ...]]:
    x, w, b = draw(bn_inputs())
    return _call(fused, w is not None), _args(x, w, b)


# The table of this family: one row per case, each gradchecked and gradgradchecked by `check`.
OPS: list[Row] = [Row("batch_norm (fused, training)", (BatchNorm,), _batch_norm)]


@pytest.mark.parametrize("row", OPS, ids=ids(OPS))
@given(data=st.data())
def test_derivatives(row: Row, data: Any) -> None:
    check(row, data.draw)


@given(inputs=bn_inputs(), seed=st.integers(0, 2**16))
def test_fused_equals_composite_in_value_and_gradients(inputs, seed):
    x, w, b = inputs
    args = _args(x, w, b)
    g = autograd.tensor(np.random.default_rng(seed).standard_normal(x.shape))
    outs, grads = [], []
    for f in (fused, composite):
        y = _call(f, w is not None)(*args)
        outs.append(y.numpy())
        first = autograd.grad(y, args, g, create_graph=True)
        # a second-order quantity too: d/d(args) of sum(first-order grads ** 2)
        second = autograd.grad(sum((t * t).sum() for t in first), args, allow_unused=True)
        second_arrays = [np.zeros(1) if t is None else t.numpy() for t in second]
        grads.append([t.numpy() for t in first] + second_arrays)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-10, atol=1e-10)
    for a, c in zip(*grads, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-7, atol=1e-7)


def test_fused_matches_composite_in_float32_and_keeps_dtype():
    rng = np.random.default_rng(0)
    xa = (rng.standard_normal((16, 4, 5, 5)) * 3 + 2).astype(np.float32)
    ga = rng.standard_normal(xa.shape).astype(np.float32)
    res = []
    for f in (fused, composite):
        x = autograd.tensor(xa, requires_grad=True)
        w = autograd.tensor(np.array([1.0, 2.0, 0.5, -1.0], np.float32), requires_grad=True)
        b = autograd.zeros(4, requires_grad=True)
        y = f(x, w, b)
        y.backward(autograd.tensor(ga))
        assert y.dtype == np.float32 and x.grad is not None and x.grad.dtype == np.float32
        res.append((y.numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()))
    for a, c in zip(*res, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-4)


def test_output_is_normalized_per_channel():
    rng = np.random.default_rng(1)
    x = autograd.tensor(rng.standard_normal((8, 3, 4, 4)) * 5 + 7)
    y = fused(x, None, None, eps=0.0).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-12)


def test_modifying_the_input_after_forward_is_caught():
    x = autograd.tensor(np.random.default_rng(2).standard_normal((4, 2)), requires_grad=True)
    h = x * 1.0
    y = fused(h, None, None)
    with autograd.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified"):
        y.sum().backward()


def test_batch_stats_are_mean_and_biased_variance():
    x = np.random.default_rng(3).standard_normal((5, 3, 2))
    mean, var = batch_stats(x)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2)))
    np.testing.assert_allclose(var, x.var(axis=(0, 2)))
    with pytest.raises(ValueError, match=r"\(N, C, \*\)"):
        batch_stats(np.ones(3))
