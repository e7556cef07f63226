"""Indexing primitives: the derivative table over every kind of index, exact accumulation
counts, setitem on a non-leaf, and dtypes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
from autograd.ops.elementwise import Mul
from autograd.ops.index import Index, IndexAdd, SetItem, normalize_index
from autograd.testing import gradcheck, gradgradcheck
from tests.autograd.ops._table import Row, check, exact_grads, ids, leaf, shapes

MAX_OUT = 48  # elements an index may select (int arrays and None can grow the output)


def _result_shape(shape: tuple[int, ...], idx: Any) -> tuple[int, ...]:
    return np.empty(shape)[idx].shape


def _small(shape: tuple[int, ...], idx: Any) -> Any:
    assume(math.prod(_result_shape(shape, idx)) <= MAX_OUT)
    return idx


def _int_arrays(draw: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """One integer array per dim (or fewer), with negatives and repeats, broadcast together."""
    idx = draw(
        hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)
        )
    )
    return idx[: draw(st.integers(1, len(idx)))]


def _mixed_index(draw: Any, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """Slices (any step), ints, integer arrays (broadcast together), None and an Ellipsis."""
    arrays_shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    parts: list[Any] = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "int", "array"]))
        if kind == "slice":
            parts.append(draw(st.slices(n)))
        elif kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        else:
            # each array broadcasts *to* arrays_shape (dims of 1 or equal), so all arrays
            # broadcast together; a mere broadcast-compatible shape could grow a 1 differently
            lead = draw(st.integers(0, len(arrays_shape)))
            bshape = tuple(draw(st.sampled_from([1, d])) for d in arrays_shape[lead:])
            parts.append(draw(hnp.arrays(np.int64, bshape, elements=st.integers(-n, n - 1))))
    if draw(st.booleans()):  # an Ellipsis standing for a run of dims (maybe none)
        at = draw(st.integers(0, len(parts)))
        parts[at : draw(st.integers(at, len(parts)))] = [Ellipsis]
    else:
        parts = parts[: draw(st.integers(0, len(parts)))]  # trailing dims left out
    for _ in range(draw(st.integers(0, 2))):
        parts.insert(draw(st.integers(0, len(parts))), None)
    return tuple(parts)


def _mask_index(draw: Any, shape: tuple[int, ...]) -> Any:
    """A boolean mask over the leading dims, maybe followed by a slice or int, maybe a Tensor."""
    k = draw(st.integers(1, len(shape)))
    mask = draw(hnp.arrays(np.bool_, shape[:k]))
    m: Any = autograd.tensor(mask) if draw(st.booleans()) else mask
    rest = []
    if k < len(shape) and draw(st.booleans()):
        rest.append(draw(st.one_of(st.slices(shape[k]), st.integers(-shape[k], shape[k] - 1))))
    return (m, *rest) if rest or draw(st.booleans()) else m


def _index_case(kind: str) -> Any:
    def case(draw: Any) -> Any:
        shape = draw(shapes(min_dims=0 if kind == "basic" else 1))
        x = leaf(draw, shape)
        if kind == "basic":
            idx = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
        elif kind == "arrays":
            idx = _int_arrays(draw, shape)
            if len(idx) == 1 and draw(st.booleans()):  # a plain list or an int Tensor
                idx = idx[0].tolist() if draw(st.booleans()) else autograd.tensor(idx[0])
        elif kind == "mixed":
            idx = _mixed_index(draw, shape)
        else:
            idx = _mask_index(draw, shape)
        _small(shape, np.asarray(idx.data) if isinstance(idx, autograd.Tensor) else _np(idx))
        return (lambda x: x[idx]), (x,)

    return case


def _np(idx: Any) -> Any:
    """An index with Tensors replaced by arrays (to compute its result shape with NumPy)."""
    if isinstance(idx, tuple):
        return tuple(_np(i) for i in idx)
    return idx.numpy() if isinstance(idx, autograd.Tensor) else idx


def _index_add(draw: Any) -> Any:
    shape = draw(shapes(min_dims=1))
    idx, basic = normalize_index(_small(shape, _int_arrays(draw, shape)), shape)
    g = leaf(draw, _result_shape(shape, idx))
    return (lambda g: IndexAdd.apply(g, shape, idx, basic)), (g,)


def _unique_positions(shape: tuple[int, ...], idx: Any) -> bool:
    picked = np.arange(math.prod(shape)).reshape(shape)[idx]
    return len(np.unique(picked)) == picked.size


def _setitem(draw: Any) -> Any:
    shape = draw(shapes(min_dims=1))
    kind = draw(st.sampled_from(["basic", "arrays", "mixed", "mask"]))
    if kind == "basic":
        idx: Any = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    elif kind == "arrays":
        idx = _int_arrays(draw, shape)
    elif kind == "mixed":
        idx = _mixed_index(draw, shape)
    else:
        idx = _mask_index(draw, shape)
    # x[idx] = v with a repeated position keeps one of the writes: no gradient is defined
    assume(_unique_positions(shape, _np(idx)))
    target = _result_shape(shape, _np(idx))
    x = leaf(draw, shape)
    if draw(st.integers(0, 4)) == 0:  # a Python number: x alone gets a gradient
        value = draw(st.floats(-2, 2))

        def write_number(x: Any) -> Any:
            y = x * 1.0
            y[idx] = value
            return y

        return write_number, (x,)
    lead = draw(st.integers(0, len(target)))  # v broadcasts to x[idx]: fewer dims, ones
    vshape = tuple(1 if draw(st.booleans()) else n for n in target[lead:])
    v = leaf(draw, vshape)

    def write(x: Any, v: Any) -> Any:
        y = x * 1.0  # a non-leaf: setitem on a leaf that requires grad is an error
        y[idx] = v
        return y * y  # y's new values are used after the write

    return write, (x, v)


OPS: list[Row] = [
    Row("basic: slices (any step), ints, None, Ellipsis", (Index, IndexAdd), _index_case("basic")),
    Row("integer arrays (negative, repeated)", (Index, IndexAdd), _index_case("arrays")),
    Row("mixed: arrays + slices + ints + None + Ellipsis", (Index, IndexAdd), _index_case("mixed")),
    Row("boolean masks", (Index, IndexAdd), _index_case("mask")),
    Row("index_add (the adjoint, direct)", (IndexAdd, Index), _index_add),
    Row("setitem on a non-leaf", (SetItem, Mul), _setitem),
]


@pytest.mark.parametrize("row", OPS, ids=ids(OPS))
@given(data=st.data())
def test_derivatives(row: Row, data: Any) -> None:
    check(row, data.draw)


# -- exact values -------------------------------------------------------------------------------


def test_repeated_integer_indices_accumulate_exact_counts() -> None:
    (g,) = exact_grads(lambda x: x[[0, 0, 2, 0]], [1.0, 2.0, 3.0])
    assert g.tolist() == [3.0, 0.0, 1.0]
    (g,) = exact_grads(lambda x: x[[2, -1, -3]], [1.0, 2.0, 3.0])  # -1 is 2: counted twice
    assert g.tolist() == [1.0, 0.0, 2.0]
    (g,) = exact_grads(lambda x: x[autograd.tensor([[0, 1], [1, 1]])], [1.0, 2.0])
    assert g.tolist() == [1.0, 3.0]
    (g,) = exact_grads(lambda x: x[[0, 0, 1], [2, 2, 0]], np.zeros((2, 3)))
    assert g.tolist() == [[0, 0, 2], [1, 0, 0]]
    (g,) = exact_grads(lambda x: x[:, [1, 1, 1]], np.zeros((2, 3)))
    assert g.tolist() == [[0, 3, 0], [0, 3, 0]]
    # weights: each occurrence carries its own upstream gradient
    x = autograd.tensor(np.zeros(3), requires_grad=True)
    (x[[1, 1, 2]] * autograd.tensor(np.array([10.0, 20.0, 5.0]))).sum().backward()
    assert x.grad is not None and x.grad.tolist() == [0.0, 30.0, 5.0]


def test_second_derivative_through_repeated_indices() -> None:
    x = autograd.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (g,) = autograd.grad((x[[0, 0, 1]] ** 2).sum(), x, create_graph=True)
    assert g.tolist() == [4.0, 4.0]  # 2 * 2 * x0, 2 * x1
    (h,) = autograd.grad(g.sum(), x)
    assert h.tolist() == [4.0, 2.0]


def test_boolean_masks_slices_none_and_ellipsis() -> None:
    data = np.arange(12.0).reshape(3, 4)
    (g,) = exact_grads(lambda x: x[x > 4], data)
    assert g.tolist() == (data > 4).astype(float).tolist()
    mask = np.array([True, False, True])
    (g,) = exact_grads(lambda x: x[autograd.tensor(mask), 1:], data)
    assert g.tolist() == [[0, 1, 1, 1], [0, 0, 0, 0], [0, 1, 1, 1]]
    (g,) = exact_grads(lambda x: x[::-2], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert g.tolist() == [1, 0, 1, 0, 1]
    (g,) = exact_grads(lambda x: x[3:0:-1], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert g.tolist() == [0, 1, 1, 1, 0]
    (g,) = exact_grads(lambda x: x[..., -1, None], data)
    assert g.tolist() == [[0, 0, 0, 1]] * 3
    x = autograd.tensor(np.arange(24.0).reshape(2, 3, 4))
    for idx in [
        (None, ..., 1),
        (1, None, slice(None, None, -1)),
        ([0, 1], slice(None), [2, 3]),  # advanced dims split by a slice move to the front
        (slice(None), [[0], [2]], [1, 3]),
        (..., [0, 0]),
        (np.array([True, False]), ..., None),
        (0, [2, 1], None, slice(1, None, 2)),
        (),
    ]:
        got = x[idx]
        assert np.array_equal(got.numpy(), x.numpy()[idx]), idx


def test_a_zero_dim_boolean_index_adds_a_dim() -> None:
    x = autograd.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert x[True].shape == (1, 2) and x[False].shape == (0, 2)
    (g,) = autograd.grad(x[np.True_].sum(), x)
    assert g.tolist() == [1.0, 1.0]


def test_setitem_is_differentiable_in_both() -> None:
    x = autograd.tensor(np.ones((2, 3)), requires_grad=True)
    v = autograd.tensor(np.array(5.0), requires_grad=True)
    w = autograd.tensor(np.arange(6.0).reshape(2, 3))
    y = x * 2.0
    y[1, ::2] = v
    assert y.tolist() == [[2, 2, 2], [5, 2, 5]]
    (y * w).sum().backward()
    assert x.grad is not None and x.grad.tolist() == [[0, 2, 4], [0, 8, 0]]
    assert v.grad is not None and v.grad.item() == 3.0 + 5.0
    x.grad = None
    y = x * 1.0
    y[[1, 0]] = autograd.tensor(np.array([[7.0, 8.0, 9.0], [1.0, 1.0, 1.0]]))
    assert y.tolist() == [[1, 1, 1], [7, 8, 9]]
    y = x * 1.0
    y[y > 5] = 0.0
    y.sum().backward()
    assert x.grad.tolist() == [[1.0] * 3] * 2


def test_setitem_on_a_leaf_that_requires_grad_is_an_error() -> None:
    x = autograd.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError):
        x[0] = 2.0
    with autograd.no_grad():
        x[0] = 2.0
    assert x.tolist() == [2.0, 1.0, 1.0]


# -- dtypes -------------------------------------------------------------------------------------


def test_indexing_and_setitem_keep_float32() -> None:
    x = autograd.tensor([[0.5, -1.0, 2.0], [1.5, 3.0, -0.25]], requires_grad=True)
    for f in (
        lambda x: x[0],
        lambda x: x[:, ::-1],
        lambda x: x[[0, 0]],
        lambda x: x[x > 0],
        lambda x: x[None, ..., 1],
    ):
        out = f(x)
        assert out.dtype == np.float32
        out.sum().backward()
        assert x.grad is not None and x.grad.dtype == np.float32
        x.grad = None
    y = x * 1.0
    y[0] = autograd.tensor(np.array([1.0, 2.0, 3.0]))  # float64 value into float32
    y[1, 0] = np.float64(4.0)
    assert y.dtype == np.float32


def test_integers_beside_tensor_indices_select_first_as_pytorch() -> None:
    # PyTorch applies integers as selects before tensor indices; NumPy would count them as
    # advanced indices and put the broadcast dims first: (2, 3) and (2, 1, 4) here.
    data = np.arange(24.0).reshape(2, 3, 4)
    x = autograd.tensor(data, requires_grad=True)
    y = x[0, :, [0, 1]]
    assert y.shape == (3, 2)
    np.testing.assert_array_equal(y.data, data[0][:, [0, 1]])
    assert x[0, None, [0, 1]].shape == (1, 2, 4)
    assert x[:, [0, 1], 0, None].shape == (2, 2, 1)  # no int beside them: NumPy's rule holds
    assert x[[1, 0], 2, [3, 3]].tolist() == [data[1, 2, 3], data[0, 2, 3]]  # adjacent: same
    assert x[autograd.tensor(0), :, [0, 1]].shape == (3, 2)  # a 0-d integer tensor is an int
    assert x[:, autograd.tensor(1), [0, 1]].shape == (2, 2)
    (y * autograd.tensor([1.0, 10.0])).sum().backward()
    expected = np.zeros((2, 3, 4))
    expected[0][:, 0], expected[0][:, 1] = 1.0, 10.0
    np.testing.assert_array_equal(x.grad.data, expected)
    z = autograd.zeros(2, 3, 4, dtype=np.float64)
    z[0, :, [0, 2]] = autograd.tensor([1.0, 2.0], dtype=np.float64)
    np.testing.assert_array_equal(z.data[0], [[1, 0, 2, 0]] * 3)
    assert not z.data[1].any()


def test_integers_beside_tensor_indices_differentiate_twice() -> None:
    x = autograd.tensor(np.linspace(0.5, 2.0, 24).reshape(2, 3, 4), requires_grad=True)
    assert gradcheck(lambda t: t[1, :, [0, 0, 3]] ** 2, (x,))
    assert gradgradcheck(lambda t: t[1, :, [0, 0, 3]] ** 2, (x,))


def test_a_mask_must_match_the_dims_it_covers() -> None:
    t = autograd.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    for mask in ([True, False], [True, False, False, False]):
        with pytest.raises(IndexError, match=r"shape of the mask \[\d\] at index 0 does not"):
            t[autograd.tensor(mask)]
    with pytest.raises(IndexError, match=r"mask \[3\] at index 1"):
        t[:, autograd.tensor([True, False, True])]
    with pytest.raises(IndexError, match="mask"):
        t[autograd.tensor([True, False])] = 0.0
    assert t[..., autograd.tensor([False, True])].tolist() == [[2.0], [4.0], [6.0]]
    assert t[autograd.tensor([[True, False], [False, True], [True, True]])].tolist() == [
        1.0,
        4.0,
        5.0,
        6.0,
    ]
