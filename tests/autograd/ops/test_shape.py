"""Shape primitives: the derivative table (reshape, permute, broadcast, sum_to, cat and the ops
built on them), exact routing of gradients, and dtypes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
from autograd.ops.index import Index
from autograd.ops.shape import BroadcastTo, Cat, Permute, Reshape, SumTo
from tests.autograd.ops._table import MAX_NUMEL, Row, check, exact_grads, ids, leaf, shapes

# -- the table ----------------------------------------------------------------------------------


def _factor(draw: Any, n: int) -> tuple[int, ...]:
    """A random shape with ``n`` elements (maybe with a dim of 1)."""
    out: list[int] = []
    while n > 1 and len(out) < 3:
        d = draw(st.sampled_from([k for k in range(2, n + 1) if n % k == 0]))
        out.append(d)
        n //= d
    if n > 1:
        out.append(n)
    out += [1] * draw(st.integers(0, 1))
    return tuple(draw(st.permutations(out)))


def _reshape(draw: Any) -> Any:
    shape = draw(shapes())
    target = _factor(draw, math.prod(shape))
    style = draw(st.sampled_from(["reshape", "tuple", "view", "minus one", "function"]))
    if style == "reshape":
        return (lambda x: x.reshape(*target)), (leaf(draw, shape),)
    if style == "tuple":
        return (lambda x: x.reshape(target)), (leaf(draw, shape),)
    if style == "view":
        return (lambda x: x.view(target)), (leaf(draw, shape),)
    if style == "minus one" and target:
        i = draw(st.integers(0, len(target) - 1))
        minus = target[:i] + (-1,) + target[i + 1 :]
        return (lambda x: x.reshape(minus)), (leaf(draw, shape),)
    return (lambda x: autograd.reshape(x, target)), (leaf(draw, shape),)


def _squeeze_family(draw: Any) -> Any:
    shape = draw(shapes(min_dims=1, max_side=2))
    nd = len(shape)
    x = leaf(draw, shape)
    kind = draw(st.sampled_from(["flatten", "squeeze", "squeeze dim", "unsqueeze", "view_as"]))
    if kind == "flatten":
        s = draw(st.integers(-nd, nd - 1))
        e = draw(st.integers(s % nd, nd - 1))
        return (lambda x: x.flatten(s, e)), (x,)
    if kind == "squeeze":
        return (lambda x: x.squeeze()), (x,)
    if kind == "squeeze dim":
        d = draw(st.integers(-nd, nd - 1))
        return (lambda x: autograd.squeeze(x, d)), (x,)
    if kind == "unsqueeze":
        d = draw(st.integers(-nd - 1, nd))
        return (lambda x: x.unsqueeze(d)), (x,)
    other = autograd.zeros(*_factor(draw, math.prod(shape)))
    return (lambda x: x.view_as(other)), (x,)


def _permute(draw: Any) -> Any:
    shape = draw(shapes(min_dims=1))
    nd = len(shape)
    x = leaf(draw, shape)
    kind = draw(st.sampled_from(["permute", "tuple", "transpose", "T", "mT", "function"]))
    order = draw(st.permutations(range(nd)))
    order = [d - nd if draw(st.booleans()) else d for d in order]
    if kind == "permute":
        return (lambda x: x.permute(*order)), (x,)
    if kind == "tuple":
        return (lambda x: x.permute(tuple(order))), (x,)
    if kind == "transpose":
        a, b = draw(st.integers(-nd, nd - 1)), draw(st.integers(-nd, nd - 1))
        if a % nd == b % nd:
            b = (a + 1) % nd if nd > 1 else b
        return (lambda x: x.transpose(a, b)), (x,)
    if kind == "T" and nd > 1:
        return (lambda x: x.T), (x,)
    if kind == "mT" and nd > 1:
        return (lambda x: x.mT), (x,)
    return (lambda x: autograd.permute(x, order)), (x,)


def _broadcast(draw: Any) -> Any:
    shape = draw(shapes(max_side=3))
    target = draw(
        hnp.broadcastable_shapes(shape, min_dims=len(shape), max_dims=4, max_side=3).filter(
            lambda s: math.prod(np.broadcast_shapes(s, shape)) <= 2 * MAX_NUMEL
        )
    )
    target = np.broadcast_shapes(target, shape)
    x = leaf(draw, shape)
    kind = draw(st.sampled_from(["broadcast_to", "expand", "expand -1", "function"]))
    if kind == "broadcast_to":
        return (lambda x: x.broadcast_to(target)), (x,)
    if kind == "expand":
        return (lambda x: x.expand(*target)), (x,)
    if kind == "expand -1":
        lead = len(target) - len(shape)
        minus = tuple(-1 if i >= lead and n == shape[i - lead] else n for i, n in enumerate(target))
        return (lambda x: x.expand(minus)), (x,)
    return (lambda x: autograd.broadcast_to(x, target)), (x,)


def _repeat(draw: Any) -> Any:
    shape = draw(shapes(max_side=3).filter(lambda s: math.prod(s) <= 8))
    extra = draw(st.integers(0, 1))
    reps = tuple(
        draw(st.lists(st.integers(1, 2), min_size=len(shape) + extra, max_size=len(shape) + extra))
    )
    return (lambda x: x.repeat(*reps)), (leaf(draw, shape),)


def _sum_to(draw: Any) -> Any:
    shape = draw(shapes(min_dims=0))
    lead = draw(st.integers(0, len(shape)))
    target = tuple(1 if draw(st.booleans()) else n for n in shape[lead:])
    return (lambda x: SumTo.apply(x, target)), (leaf(draw, shape),)


def _joined(draw: Any, n_max: int = 3) -> tuple[list[tuple[int, ...]], int]:
    shape = draw(shapes(min_dims=1, max_side=3))
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=n_max))
    return [shape[: dim % nd] + (k,) + shape[dim % nd + 1 :] for k in sizes], dim


def _cat(draw: Any) -> Any:
    shape_list, dim = _joined(draw)
    xs = tuple(leaf(draw, s) for s in shape_list)
    if draw(st.booleans()):
        return (lambda *xs: autograd.cat(list(xs), dim)), xs
    return (lambda *xs: autograd.concat(xs, dim=dim)), xs


def _stack(draw: Any) -> Any:
    shape = draw(shapes(max_side=3).filter(lambda s: math.prod(s) <= 8))
    n = draw(st.integers(1, 3))
    dim = draw(st.integers(-len(shape) - 1, len(shape)))
    xs = tuple(leaf(draw, shape) for _ in range(n))
    return (lambda *xs: autograd.stack(list(xs), dim=dim)), xs


def _split(draw: Any) -> Any:
    shape = draw(shapes(min_dims=1))
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1))
    n = shape[dim]
    kind = draw(st.sampled_from(["size", "sections", "chunk", "unbind"]))
    x = leaf(draw, shape)
    if kind == "size":
        size = draw(st.integers(1, n + 1))
        return (lambda x: x.split(size, dim)), (x,)
    if kind == "sections":
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
        sections = [b - a for a, b in zip([0, *cuts], [*cuts, n])]
        return (lambda x: autograd.split(x, sections, dim=dim)), (x,)
    if kind == "chunk":
        chunks = draw(st.integers(1, n + 1))
        return (lambda x: autograd.chunk(x, chunks, dim)), (x,)
    return (lambda x: x.unbind(dim)), (x,)


OPS: list[Row] = [
    Row("reshape / view", (Reshape,), _reshape),
    Row("flatten / squeeze / unsqueeze / view_as", (Reshape,), _squeeze_family),
    Row("permute / transpose / T / mT", (Permute,), _permute),
    Row("broadcast_to / expand", (BroadcastTo, SumTo), _broadcast),
    Row("repeat", (Reshape, BroadcastTo), _repeat),
    Row("sum_to", (SumTo, BroadcastTo), _sum_to),
    Row("cat", (Cat, Index), _cat),
    Row("stack", (Cat, Reshape), _stack),
    Row("split / chunk / unbind", (Index,), _split),
]


@pytest.mark.parametrize("row", OPS, ids=ids(OPS))
@given(data=st.data())
def test_derivatives(row: Row, data: Any) -> None:
    check(row, data.draw)


# -- exact values -------------------------------------------------------------------------------


def test_broadcast_gradients_count_the_copies() -> None:
    (g,) = exact_grads(lambda x: x.expand(4, 2, 3), [[1.0, 2.0, 3.0]])
    assert g.tolist() == [[8.0, 8.0, 8.0]]
    (g,) = exact_grads(lambda x: x.expand(-1, 5), [[1.0], [2.0]])
    assert g.tolist() == [[5.0], [5.0]]
    (g,) = exact_grads(lambda x: x.repeat(2, 3), [[1.0, 2.0]])
    assert g.tolist() == [[6.0, 6.0]]
    x = autograd.tensor(np.arange(6.0).reshape(2, 3))
    assert np.array_equal(x.repeat(2, 1, 2).numpy(), np.tile(x.numpy(), (2, 1, 2)))


def test_sum_to_reduces_leading_and_unit_dims() -> None:
    x = autograd.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    out = SumTo.apply(x, (3, 1))
    assert out.shape == (3, 1)
    assert np.array_equal(out.numpy(), x.numpy().sum(axis=(0, 2), keepdims=True)[0])
    (g,) = autograd.grad(out.sum(), x)
    assert g.tolist() == np.ones((2, 3, 4)).tolist()
    with pytest.raises(ValueError):
        SumTo.apply(x, (2, 4))


def test_cat_and_stack_route_each_slice_back() -> None:
    a = autograd.tensor(np.ones((2, 1)), requires_grad=True)
    b = autograd.tensor(np.ones((2, 2)), requires_grad=True)
    w = autograd.tensor(np.arange(6.0).reshape(2, 3))
    (autograd.cat([a, b], dim=-1) * w).sum().backward()
    assert a.grad is not None and b.grad is not None
    assert a.grad.tolist() == [[0.0], [3.0]] and b.grad.tolist() == [[1.0, 2.0], [4.0, 5.0]]
    c = autograd.tensor(np.ones(3), requires_grad=True)
    d = autograd.tensor(np.ones(3), requires_grad=True)
    s = autograd.stack([c, d], dim=1)
    assert s.shape == (3, 2)
    (s * w.T).sum().backward()
    assert c.grad is not None and d.grad is not None
    assert c.grad.tolist() == [0.0, 1.0, 2.0] and d.grad.tolist() == [3.0, 4.0, 5.0]


def test_cat_promotes_dtypes_and_keeps_float32() -> None:
    f32 = autograd.tensor([1.0, 2.0])
    assert autograd.cat([f32, f32]).dtype == np.float32
    assert autograd.cat([f32, autograd.tensor([1, 2])]).dtype == np.float32
    assert autograd.cat([f32, autograd.tensor(np.array([1.0]))]).dtype == np.float64
    assert autograd.stack([f32, autograd.tensor([3, 4])]).dtype == np.float32


def test_split_and_chunk_sizes_match_pytorch() -> None:
    x = autograd.tensor(np.arange(10.0))
    sizes = lambda parts: [p.shape[0] for p in parts]
    assert sizes(x.split(3)) == [3, 3, 3, 1]
    assert sizes(x.split([2, 0, 8])) == [2, 0, 8]
    assert sizes(x.chunk(3)) == [4, 4, 2]
    assert sizes(x.chunk(4)) == [3, 3, 3, 1]
    assert sizes(autograd.tensor(np.arange(6.0)).chunk(4)) == [2, 2, 2]  # fewer, as torch
    assert sizes(x.chunk(20)) == [1] * 10
    with pytest.raises(ValueError):
        x.split([3, 3])


def test_split_pieces_get_their_own_gradients() -> None:
    x = autograd.tensor(np.zeros((2, 5)), requires_grad=True)
    a, b = x.split([2, 3], dim=1)
    (a.sum() * 2 + b.sum() * 3).backward()
    assert x.grad is not None and x.grad.tolist() == [[2, 2, 3, 3, 3]] * 2


# -- dtypes -------------------------------------------------------------------------------------

F32 = [
    ("reshape", lambda x: x.reshape(3, 2)),
    ("flatten", lambda x: x.flatten()),
    ("unsqueeze", lambda x: x.unsqueeze(0)),
    ("squeeze", lambda x: x.unsqueeze(1).squeeze(1)),
    ("permute", lambda x: x.permute(1, 0)),
    ("T", lambda x: x.T),
    ("expand", lambda x: x.expand(2, 2, 3)),
    ("repeat", lambda x: x.repeat(2, 1)),
    ("cat", lambda x: autograd.cat([x, x], 1)),
    ("stack", lambda x: autograd.stack([x, x])),
    ("split", lambda x: x.split(1, 1)[2]),
    ("chunk", lambda x: x.chunk(2)[0]),
    ("sum_to", lambda x: SumTo.apply(x, (1, 3))),
]


@pytest.mark.parametrize("name, f", F32, ids=[n for n, _ in F32])
def test_shape_ops_keep_float32(name: str, f: Any) -> None:
    x = autograd.tensor([[0.5, -1.0, 2.0], [1.5, 3.0, -0.25]], requires_grad=True)
    out = f(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32
