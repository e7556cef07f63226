"""Window primitives: the derivative table, naive-loop references, adjointness, ties, errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
from autograd.ops.window import (
    Fold,
    GatherArgmax,
    MaxPool2d,
    Pad,
    ScatterArgmax,
    Unfold,
    _inside_taps,
    argmax_to_indices,
    max_windows,
    window_count,
)
from tests.autograd.ops._table import Row, check, ids, leaf, uniform

Geometry = tuple[Any, ...]  # (n, c, h, w, kernel, dilation, pads, stride)

# -- naive references: plain loops over every pixel ---------------------------------------------


def naive_unfold(x: np.ndarray, kernel: Any, dilation: Any, pads: Any, stride: Any) -> np.ndarray:
    n, c, h, w = x.shape
    t, b, l, r = pads
    xp = np.zeros((n, c, h + t + b, w + l + r), x.dtype)
    xp[:, :, t : t + h, l : l + w] = x
    oh = window_count(h, kernel[0], dilation[0], t + b, stride[0])
    ow = window_count(w, kernel[1], dilation[1], l + r, stride[1])
    out = np.zeros((n, c * kernel[0] * kernel[1], oh * ow), x.dtype)
    for ci in range(c):
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                row = (ci * kernel[0] + i) * kernel[1] + j
                for p in range(oh):
                    for q in range(ow):
                        y = p * stride[0] + i * dilation[0]
                        z = q * stride[1] + j * dilation[1]
                        out[:, row, p * ow + q] = xp[:, ci, y, z]
    return out


def naive_fold(
    cols: np.ndarray, hw: Any, kernel: Any, dilation: Any, pads: Any, stride: Any
) -> np.ndarray:
    """Each column value added at its pixel, tap by tap in order (the sum order Fold keeps)."""
    n, ck, _ = cols.shape
    h, w = hw
    t, b, l, r = pads
    c = ck // (kernel[0] * kernel[1])
    oh = window_count(h, kernel[0], dilation[0], t + b, stride[0])
    ow = window_count(w, kernel[1], dilation[1], l + r, stride[1])
    out = np.zeros((n, c, h + t + b, w + l + r), cols.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            for ci in range(c):
                row = (ci * kernel[0] + i) * kernel[1] + j
                for p in range(oh):
                    for q in range(ow):
                        y = p * stride[0] + i * dilation[0]
                        z = q * stride[1] + j * dilation[1]
                        out[:, ci, y, z] += cols[:, row, p * ow + q]
    return out[:, :, t : t + h, l : l + w]


def naive_max_pool(
    x: np.ndarray, kernel: Any, dilation: Any, pads: Any, stride: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Values and flat H*W indices, PyTorch's loop: the taps inside x, in order; a tap wins
    when it is greater than the best so far or NaN."""
    n, c, h, w = x.shape
    oh = window_count(h, kernel[0], dilation[0], pads[0] + pads[1], stride[0])
    ow = window_count(w, kernel[1], dilation[1], pads[2] + pads[3], stride[1])
    out = np.full((n, c, oh, ow), -np.inf)
    idx = np.zeros((n, c, oh, ow), np.int64)
    for a in range(n):
        for ch in range(c):
            for p in range(oh):
                for q in range(ow):
                    best, where = -np.inf, None
                    for i in range(kernel[0]):
                        for j in range(kernel[1]):
                            y = p * stride[0] - pads[0] + i * dilation[0]
                            z = q * stride[1] - pads[2] + j * dilation[1]
                            if 0 <= y < h and 0 <= z < w:
                                v = x[a, ch, y, z]
                                if where is None or v > best or np.isnan(v):
                                    best, where = v, y * w + z
                    out[a, ch, p, q] = best
                    idx[a, ch, p, q] = where
    return out, idx


# -- geometry strategies --------------------------------------------------------------------------


@st.composite
def geometries(
    draw: Any,
    max_in: int = 36,
    max_out: int = 96,
    max_pad: int = 2,
    covered: bool = False,
) -> Geometry:
    """(n, c, h, w, kernel, dilation, pads, stride) with at least one window, small sizes.

    ``covered``: every window holds a tap inside the image (max pooling needs one)."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = tuple(draw(st.integers(0, max_pad)) for _ in range(4))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    h = draw(st.integers(max(1, spans[0] - pads[0] - pads[1]), spans[0] + 2))
    w = draw(st.integers(max(1, spans[1] - pads[2] - pads[3]), spans[1] + 2))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    oh = window_count(h, kernel[0], dilation[0], pads[0] + pads[1], stride[0])
    ow = window_count(w, kernel[1], dilation[1], pads[2] + pads[3], stride[1])
    assume(n * c * h * w <= max_in and n * c * kernel[0] * kernel[1] * oh * ow <= max_out)
    if covered:
        inside = _inside_taps((h, w), kernel, dilation, pads, stride, (oh, ow))
        assume(bool(inside.any(axis=(0, 1)).all()))
    return n, c, h, w, kernel, dilation, pads, stride


def _out_hw(g: Geometry) -> tuple[int, int]:
    _, _, h, w, kernel, dilation, pads, stride = g
    return (
        window_count(h, kernel[0], dilation[0], pads[0] + pads[1], stride[0]),
        window_count(w, kernel[1], dilation[1], pads[2] + pads[3], stride[1]),
    )


def _distinct(draw: Any, shape: tuple[int, ...]) -> autograd.Tensor:
    """Distinct values 0.1 apart (no ties, so max pooling is differentiable at the draw)."""
    n = math.prod(shape)
    values = np.array(draw(st.permutations(range(n)))) * 0.1 - 0.05 * n
    return autograd.tensor(values.reshape(shape), requires_grad=True)


def _argmax(draw: Any, g: Geometry) -> np.ndarray:
    n, c, _, _, kernel, *_ = g
    oh, ow = _out_hw(g)
    taps = kernel[0] * kernel[1]
    flat = draw(
        st.lists(st.integers(0, taps - 1), min_size=n * c * oh * ow, max_size=n * c * oh * ow)
    )
    return np.array(flat, dtype=np.uint8).reshape(n, c, oh, ow)


# -- the table ----------------------------------------------------------------------------------

Case = tuple[Callable[..., Any], tuple[Any, ...]]


def _unfold(draw: Any) -> Case:
    n, c, h, w, kernel, dilation, pads, stride = draw(geometries())
    x = leaf(draw, (n, c, h, w))
    return (lambda x: Unfold.apply(x, kernel, dilation, pads, stride)), (x,)


def _fold(draw: Any) -> Case:
    n, c, h, w, kernel, dilation, pads, stride = g = draw(geometries())
    oh, ow = _out_hw(g)
    cols = leaf(draw, (n, c * kernel[0] * kernel[1], oh * ow))
    return (lambda y: Fold.apply(y, (h, w), kernel, dilation, pads, stride)), (cols,)


def _max_pool(draw: Any) -> Case:
    n, c, h, w, kernel, dilation, pads, stride = draw(geometries(covered=True))
    x = _distinct(draw, (n, c, h, w))
    return (lambda x: MaxPool2d.apply(x, kernel, dilation, pads, stride)), (x,)


def _scatter(draw: Any) -> Case:
    g = draw(geometries())
    n, c, h, w, kernel, dilation, pads, stride = g
    arg = _argmax(draw, g)
    grad = leaf(draw, arg.shape)
    return (lambda y: ScatterArgmax.apply(y, arg, (h, w), kernel, dilation, pads, stride)), (grad,)


def _gather(draw: Any) -> Case:
    g = draw(geometries())
    n, c, h, w, kernel, dilation, pads, stride = g
    arg = _argmax(draw, g)
    x = leaf(draw, (n, c, h, w))
    return (lambda x: GatherArgmax.apply(x, arg, kernel, dilation, pads, stride)), (x,)


def _pad(draw: Any) -> Case:
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    k = draw(st.integers(1, ndim))
    pads = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(k))
    value = draw(uniform(-2.0, 2.0))
    return (lambda x: Pad.apply(x, pads, value)), (leaf(draw, shape),)


OPS: list[Row] = [
    Row("unfold", (Unfold,), _unfold),
    Row("fold", (Fold,), _fold),
    Row("max_pool2d", (MaxPool2d,), _max_pool),
    Row("scatter at argmax", (ScatterArgmax,), _scatter),
    Row("gather at argmax", (GatherArgmax,), _gather),
    Row("pad (constant)", (Pad,), _pad),
]


@pytest.mark.parametrize("row", OPS, ids=ids(OPS))
@given(data=st.data())
def test_derivatives(row: Row, data: Any) -> None:
    check(row, data.draw)


# -- values against naive loops -------------------------------------------------------------------


@given(geometries(max_in=64, max_out=400), st.integers(0, 2**32 - 1))
def test_unfold_matches_naive_loops(g: Geometry, seed: int) -> None:
    n, c, h, w, kernel, dilation, pads, stride = g
    x = np.random.default_rng(seed).standard_normal((n, c, h, w))
    got = Unfold.apply(autograd.tensor(x), kernel, dilation, pads, stride).numpy()
    np.testing.assert_array_equal(got, naive_unfold(x, kernel, dilation, pads, stride))


@given(geometries(max_in=64, max_out=400), st.integers(0, 2**32 - 1))
def test_fold_is_the_adjoint_of_unfold(g: Geometry, seed: int) -> None:
    # <unfold(x), y> == <x, fold(y)> for every x, y: fold is unfold's transpose
    n, c, h, w, kernel, dilation, pads, stride = g
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    cols = Unfold.apply(autograd.tensor(x), kernel, dilation, pads, stride).numpy()
    y = rng.standard_normal(cols.shape)
    back = Fold.apply(autograd.tensor(y), (h, w), kernel, dilation, pads, stride).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * y), np.sum(x * back), rtol=1e-12, atol=1e-12)


# stride 1 with windows rows as long as the image's: Fold's one-shift-per-tap path
ROW_GEOMETRIES = [
    ((2, 3, 5, 6), (3, 3), (1, 1), (1, 1, 1, 1)),  # conv's 3x3, padding 1
    ((1, 2, 6, 7), (5, 5), (1, 1), (2, 2, 2, 2)),
    ((2, 1, 7, 6), (3, 3), (2, 2), (2, 2, 2, 2)),  # dilation 2
    ((1, 2, 4, 5), (2, 3), (1, 1), (0, 1, 0, 2)),  # asymmetric, fewer window rows than H
    ((2, 2, 5, 4), (3, 2), (1, 1), (2, 0, 1, 0)),
    ((1, 1, 3, 2), (3, 5), (1, 1), (1, 1, 2, 2)),  # taps wholly in the side padding
    ((1, 1, 4, 3), (1, 1), (1, 1), (0, 0, 0, 0)),
]


@pytest.mark.parametrize("shape, kernel, dilation, pads", ROW_GEOMETRIES)
def test_fold_with_whole_rows_equals_the_naive_loop_exactly(
    shape: Any, kernel: Any, dilation: Any, pads: Any
) -> None:
    n, c, h, w = shape
    oh = window_count(h, kernel[0], dilation[0], pads[0] + pads[1], 1)
    assert window_count(w, kernel[1], dilation[1], pads[2] + pads[3], 1) == w
    cols = np.random.default_rng(0).standard_normal((n, c * kernel[0] * kernel[1], oh * w))
    got = Fold.apply(autograd.tensor(cols), (h, w), kernel, dilation, pads, (1, 1)).numpy()
    np.testing.assert_array_equal(got, naive_fold(cols, (h, w), kernel, dilation, pads, (1, 1)))


@given(geometries(max_in=64, max_out=400), st.integers(0, 2**32 - 1))
def test_fold_matches_naive_loops(g: Geometry, seed: int) -> None:
    n, c, h, w, kernel, dilation, pads, stride = g
    oh, ow = _out_hw(g)
    cols = np.random.default_rng(seed).standard_normal((n, c * kernel[0] * kernel[1], oh * ow))
    got = Fold.apply(autograd.tensor(cols), (h, w), kernel, dilation, pads, stride).numpy()
    np.testing.assert_array_equal(got, naive_fold(cols, (h, w), kernel, dilation, pads, stride))


@given(geometries(max_in=64, max_out=400, covered=True), st.integers(0, 2**32 - 1), st.booleans())
def test_max_pool_matches_naive_loops(g: Geometry, seed: int, ties: bool) -> None:
    n, c, h, w, kernel, dilation, pads, stride = g
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    if ties:  # few distinct values: the first max in window order must win
        x = np.round(x)
    out, arg = max_windows(x, kernel, dilation, pads, stride)
    want, want_idx = naive_max_pool(x, kernel, dilation, pads, stride)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(
        argmax_to_indices(arg, (h, w), kernel, dilation, pads, stride), want_idx
    )
    y = MaxPool2d.apply(autograd.tensor(x, requires_grad=True), kernel, dilation, pads, stride)
    np.testing.assert_array_equal(y.numpy(), want)


def test_max_pool_gradient_goes_to_the_first_max_on_ties() -> None:
    x = autograd.tensor(np.array([[[[2.0, 2.0], [2.0, 1.0]]]]), requires_grad=True)
    MaxPool2d.apply(x, (2, 2), (1, 1), (0, 0, 0, 0), (2, 2)).sum().backward()
    assert x.grad is not None
    assert x.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]


def test_overlapping_windows_add_their_gradients() -> None:
    # 3 windows of width 2 at stride 1 over [0, 5, 1, 0]: 5 is the max of two of them
    x = autograd.tensor(np.array([[[[0.0, 5.0, 1.0, 0.0]]]]), requires_grad=True)
    y = MaxPool2d.apply(x, (1, 2), (1, 1), (0, 0, 0, 0), (1, 1))
    assert y.tolist() == [[[[5.0, 5.0, 1.0]]]]
    y.backward(autograd.tensor(np.array([[[[1.0, 10.0, 100.0]]]])))
    assert x.grad is not None and x.grad.tolist() == [[[[0.0, 11.0, 100.0, 0.0]]]]


@pytest.mark.parametrize("stride", [(2, 2), (1, 1)])  # without and with overlapping windows
def test_an_infinite_gradient_reaches_only_the_max(stride: Any) -> None:
    x = autograd.tensor(np.array([[[[1.0, 2.0], [4.0, 3.0]]]]), requires_grad=True)
    y = MaxPool2d.apply(x, (2, 2), (1, 1), (0, 0, 0, 0), stride)
    y.backward(autograd.tensor(np.full(y.shape, np.inf)))
    assert x.grad is not None and x.grad.tolist() == [[[[0.0, 0.0], [np.inf, 0.0]]]]


def test_max_pool_propagates_nan() -> None:
    x = np.array([[[[1.0, np.nan], [3.0, 2.0]]]])
    out, arg = max_windows(x, (2, 2), (1, 1), (0, 0, 0, 0), (2, 2))
    assert np.isnan(out).all() and arg.item() == 1


@pytest.mark.parametrize(
    "kernel, pads, stride", [((2, 2), (0, 0, 0, 0), (2, 2)), ((3, 3), (1, 1, 1, 1), (1, 1))]
)
def test_max_pool_with_some_nan_windows_matches_naive_loops(
    kernel: Any, pads: Any, stride: Any
) -> None:
    # the plain pass finds the NaN windows; the NaN-aware pass then points at the last NaN
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 6))
    x[rng.random(x.shape) < 0.1] = np.nan
    out, arg = max_windows(x, kernel, (1, 1), pads, stride)
    want, want_idx = naive_max_pool(x, kernel, (1, 1), pads, stride)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(
        argmax_to_indices(arg, (6, 6), kernel, (1, 1), pads, stride), want_idx
    )


def test_max_pool_of_minus_inf_keeps_the_gradient_inside_the_image() -> None:
    # every real value ties the -inf padding: the first real tap wins, as in PyTorch
    x = autograd.tensor(np.full((1, 1, 2, 2), -np.inf), requires_grad=True)
    y = MaxPool2d.apply(x, (2, 2), (1, 1), (1, 1, 1, 1), (2, 2))
    assert y.shape == (1, 1, 2, 2)
    y.sum().backward()
    assert x.grad is not None and x.grad.numpy().sum() == 4.0


def test_pad_values() -> None:
    x = autograd.tensor(np.array([[1.0, 2.0]]))
    y = Pad.apply(x, ((1, 0), (0, 2)), 7.0)
    assert y.tolist() == [[7.0, 7.0, 7.0, 7.0], [1.0, 2.0, 7.0, 7.0]]


# -- dtypes, second derivatives, errors ---------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_stays_float32(dtype: Any) -> None:
    x = autograd.tensor(np.ones((1, 2, 4, 4), dtype=dtype), requires_grad=True)
    cols = Unfold.apply(x, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    pooled = MaxPool2d.apply(x, (2, 2), (1, 1), (0, 0, 0, 0), (2, 2))
    assert cols.dtype == dtype and pooled.dtype == dtype
    (cols.sum() + pooled.sum()).backward()
    assert x.grad is not None and x.grad.dtype == dtype


def test_unfold_backward_is_fold_and_fold_backward_is_unfold() -> None:
    x = autograd.tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    cols = Unfold.apply(x, (2, 2), (1, 1), (0, 0, 0, 0), (1, 1))
    v = autograd.ones_like(cols).requires_grad_()  # so the recorded backward has a node
    (g,) = autograd.grad(cols, x, v, create_graph=True)
    assert g.grad_fn.name() == "Fold"
    # how many windows cover each pixel
    assert g.tolist() == [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    y = Fold.apply(x.reshape(1, 9, 1), (3, 3), (3, 3), (1, 1), (0, 0, 0, 0), (1, 1))
    (h,) = autograd.grad(y, x, autograd.ones_like(y).requires_grad_(), create_graph=True)
    assert "Unfold" in {f.name() for f in _walk(h.grad_fn)}


def _walk(fn: Any) -> list[Any]:
    seen, stack = [], [fn]
    while stack:
        f = stack.pop()
        if f is None or not hasattr(f, "next_functions"):
            continue
        seen.append(f)
        stack.extend(f.next_functions)
    return seen


def test_unfold_kernel_larger_than_padded_input() -> None:
    x = autograd.tensor(np.ones((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"kernel .* larger than the padded input \(2 x 2\)"):
        Unfold.apply(x, (3, 3), (1, 1), (0, 0, 0, 0), (1, 1))


def test_fold_checks_the_number_of_blocks() -> None:
    with pytest.raises(ValueError, match="has 3 \\* 3 = 9 blocks, but the input has 8"):
        Fold.apply(autograd.tensor(np.ones((1, 9, 8))), (5, 5), (3, 3), (1, 1), (0,) * 4, (1, 1))
    with pytest.raises(ValueError, match="divisible by the kernel's size"):
        Fold.apply(autograd.tensor(np.ones((1, 8, 9))), (5, 5), (3, 3), (1, 1), (0,) * 4, (1, 1))


def test_window_ops_check_dims_and_arguments() -> None:
    with pytest.raises(
        ValueError, match=r"expected a 4-D input \(N, C, H, W\), got shape \(2, 2\)"
    ):
        Unfold.apply(autograd.tensor(np.ones((2, 2))), (1, 1), (1, 1), (0,) * 4, (1, 1))
    with pytest.raises(ValueError, match="stride must be positive"):
        Unfold.apply(autograd.tensor(np.ones((1, 1, 2, 2))), (1, 1), (1, 1), (0,) * 4, (0, 1))
    with pytest.raises(ValueError, match="pads must be non-negative"):
        Pad.apply(autograd.tensor(np.ones(2)), ((-1, 0),), 0.0)


def test_window_ops_match_torch_when_available() -> None:
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    cols = Unfold.apply(autograd.tensor(x), (3, 2), (2, 1), (1, 1, 0, 0), (2, 1)).numpy()
    want = tf.unfold(torch.tensor(x), (3, 2), (2, 1), (1, 0), (2, 1)).numpy()
    np.testing.assert_allclose(cols, want)
    back = Fold.apply(autograd.tensor(want), (7, 6), (3, 2), (2, 1), (1, 1, 0, 0), (2, 1))
    np.testing.assert_allclose(
        back.numpy(), tf.fold(torch.tensor(want), (7, 6), (3, 2), (2, 1), (1, 0), (2, 1)).numpy()
    )
    out = MaxPool2d.apply(autograd.tensor(x), (3, 3), (1, 1), (1, 1, 1, 1), (2, 2)).numpy()
    np.testing.assert_allclose(out, tf.max_pool2d(torch.tensor(x), 3, 2, 1).numpy())
