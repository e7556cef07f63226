"""max_pool2d, avg_pool2d, adaptive_avg_pool2d and their layers: naive-loop references over
kernel/stride/padding/dilation/ceil_mode/count_include_pad, gradients of two orders, the 2x2 max
pool worked example, reprs, errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F
from autograd.testing import gradcheck, gradgradcheck

# -- naive references ---------------------------------------------------------------------------


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """PyTorch's pooling_output_shape, written out."""
    span = d * (k - 1) + 1
    if ceil:
        o = math.ceil((size + 2 * p - span) / s) + 1
        if (o - 1) * s >= size + p:
            o -= 1
        return o
    return (size + 2 * p - span) // s + 1


def naive_max_pool(x: np.ndarray, k: Any, s: Any, p: Any, d: Any, ceil: bool) -> Any:
    n, c, h, w = x.shape
    oh, ow = _out_size(h, k[0], s[0], p[0], d[0], ceil), _out_size(w, k[1], s[1], p[1], d[1], ceil)
    out, idx = np.zeros((n, c, oh, ow)), np.zeros((n, c, oh, ow), np.int64)
    for a in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    y0, z0 = i * s[0] - p[0], j * s[1] - p[1]
                    # a window wholly in the padding: -inf, at the real pixel nearest its first
                    # tap (PyTorch's index there is undefined)
                    best, at = -np.inf, min(max(y0, 0), h - 1) * w + min(max(z0, 0), w - 1)
                    found = False
                    for u in range(k[0]):
                        for v in range(k[1]):
                            y, z = y0 + u * d[0], z0 + v * d[1]
                            inside = 0 <= y < h and 0 <= z < w
                            if inside and (not found or x[a, ch, y, z] > best):
                                best, at, found = x[a, ch, y, z], y * w + z, True
                    out[a, ch, i, j], idx[a, ch, i, j] = best, at
    return out, idx


def naive_avg_pool(
    x: np.ndarray, k: Any, s: Any, p: Any, ceil: bool, include_pad: bool, divisor: Any
) -> np.ndarray:
    """PyTorch's avg_pool2d loop: the window is clipped to the padded input for the
    count_include_pad divisor and to the input for the sum and the other divisor."""
    n, c, h, w = x.shape
    oh, ow = _out_size(h, k[0], s[0], p[0], 1, ceil), _out_size(w, k[1], s[1], p[1], 1, ceil)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y0, z0 = i * s[0] - p[0], j * s[1] - p[1]
            y1, z1 = min(y0 + k[0], h + p[0]), min(z0 + k[1], w + p[1])
            pool = (y1 - y0) * (z1 - z0)
            y0, z0, y1, z1 = max(y0, 0), max(z0, 0), min(y1, h), min(z1, w)
            total = x[:, :, y0:y1, z0:z1].sum(axis=(2, 3))
            div = divisor or (pool if include_pad else (y1 - y0) * (z1 - z0))
            out[:, :, i, j] = total / div
    return out


def naive_adaptive_avg_pool(x: np.ndarray, oh: int, ow: int) -> np.ndarray:
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y0, y1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            z0, z1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            out[:, :, i, j] = x[:, :, y0:y1, z0:z1].mean(axis=(2, 3))
    return out


# -- settings -----------------------------------------------------------------------------------


@st.composite
def pool_settings(draw: Any, dilation: bool = True, max_side: int = 6) -> dict[str, Any]:
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    ceil = draw(st.booleans())
    lo = [max(1, dd * (kk - 1) + 1 - 2 * pp) for kk, dd, pp in zip(k, d, p)]
    h = draw(st.integers(lo[0], max(lo[0], max_side)))
    w = draw(st.integers(lo[1], max(lo[1], max_side)))
    assume(
        min(_out_size(h, k[0], s[0], p[0], d[0], ceil), _out_size(w, k[1], s[1], p[1], d[1], ceil))
        >= 1
    )
    batched = draw(st.booleans())
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w)
    return dict(shape=shape if batched else shape[1:], k=k, s=s, p=p, d=d, ceil=ceil)


def _covered(st_: dict[str, Any]) -> bool:
    """Every max-pool window holds a pixel of the input (dilation can skip over all of them;
    PyTorch then returns -inf with a meaningless index)."""
    h, w = st_["shape"][-2:]
    for size, k, s, p, d, ceil in zip(
        (h, w), st_["k"], st_["s"], st_["p"], st_["d"], [st_["ceil"]] * 2
    ):
        for o in range(_out_size(size, k, s, p, d, ceil)):
            if not any(0 <= o * s - p + u * d < size for u in range(k)):
                return False
    return True


def _as4(x: np.ndarray) -> np.ndarray:
    return x if x.ndim == 4 else x[None]


def _distinct(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values 0.1 apart: no ties, so max pooling is differentiable at them."""
    n = math.prod(shape)
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.1 - 0.05 * n


# -- max_pool2d ---------------------------------------------------------------------------------


@given(pool_settings(), st.integers(0, 2**32 - 1), st.booleans())
def test_max_pool2d_matches_naive_loops(s: dict[str, Any], seed: int, ties: bool) -> None:
    x = np.random.default_rng(seed).standard_normal(s["shape"])
    if ties:
        x = np.round(x)
    out, idx = F.max_pool2d(
        autograd.tensor(x), s["k"], s["s"], s["p"], s["d"], s["ceil"], return_indices=True
    )
    want, want_idx = naive_max_pool(_as4(x), s["k"], s["s"], s["p"], s["d"], s["ceil"])
    np.testing.assert_array_equal(_as4(out.numpy()), want)
    np.testing.assert_array_equal(_as4(idx.numpy()), want_idx)
    assert idx.dtype == np.int64


@given(pool_settings(max_side=4), st.integers(0, 2**32 - 1))
def test_max_pool2d_gradients(s: dict[str, Any], seed: int) -> None:
    assume(_covered(s))
    x = autograd.tensor(_distinct(s["shape"], seed), requires_grad=True)

    def fn(x: Any) -> Any:
        return F.max_pool2d(x, s["k"], s["s"], s["p"], s["d"], s["ceil"])

    assert gradcheck(fn, x) and gradgradcheck(fn, x)


def test_max_pool_worked_example_gradient_goes_to_the_max() -> None:
    # the 2x2 max pool at stride 2 of a 4x4 map; each window's gradient lands on its max only
    x = autograd.tensor(
        [
            [
                [
                    [1.0, 1.0, 2.0, 4.0],
                    [5.0, 6.0, 7.0, 8.0],
                    [3.0, 2.0, 1.0, 0.0],
                    [1.0, 2.0, 3.0, 4.0],
                ]
            ]
        ],
        requires_grad=True,
    )
    y = nn.MaxPool2d(2)(x)
    assert y.tolist() == [[[[6.0, 8.0], [3.0, 4.0]]]]
    y.backward(autograd.tensor([[[[0.1, 0.2], [0.3, 0.4]]]]))
    assert x.grad is not None
    np.testing.assert_allclose(
        x.grad.numpy()[0, 0],
        [[0, 0, 0, 0], [0, 0.1, 0, 0.2], [0.3, 0, 0, 0], [0, 0, 0, 0.4]],
    )


@pytest.mark.parametrize(
    ("shape", "dilation", "want_idx"),
    [((1, 1, 3, 1), 2, [0, 1]), ((1, 1, 2, 2), 3, [0])],
)
def test_max_pool_window_wholly_in_the_padding(shape, dilation, want_idx) -> None:
    # -inf as in PyTorch, but a valid index and no gradient: PyTorch 2.13's indices point
    # outside the window ([2, 2] for the first case, 6 of 4 pixels for the second) and its
    # backward puts the gradient there (or writes out of bounds)
    x = autograd.tensor(np.arange(1.0, 1.0 + math.prod(shape)).reshape(shape), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, padding=1, dilation=dilation, ceil_mode=True, return_indices=True)
    assert np.all(y.numpy() == -np.inf)
    assert idx.numpy().ravel().tolist() == want_idx
    y.sum().backward()
    assert x.grad is not None and not x.grad.numpy().any()


def test_max_pool_ties_go_to_the_first_max_and_nan_propagates() -> None:
    x = autograd.tensor([[[[3.0, 3.0], [3.0, 3.0]]]], requires_grad=True)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    y.backward()
    assert idx.item() == 0 and x.grad is not None
    assert x.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]
    z = F.max_pool2d(autograd.tensor([[[[1.0, float("nan")], [3.0, 2.0]]]]), 2)
    assert np.isnan(z.item())


def test_max_pool_module_return_indices_and_unbatched_input() -> None:
    pool = nn.MaxPool2d(2, return_indices=True)
    out, idx = pool(autograd.arange(16.0).reshape(1, 4, 4))
    assert out.tolist() == [[[5.0, 7.0], [13.0, 15.0]]]
    assert idx.tolist() == [[[5, 7], [13, 15]]]


def test_max_pool2d_keeps_float32() -> None:
    x = autograd.randn(2, 3, 8, 8, requires_grad=True)
    y = F.max_pool2d(x, 2)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32


# -- avg_pool2d ---------------------------------------------------------------------------------


@given(
    pool_settings(dilation=False),
    st.booleans(),
    st.sampled_from([None, None, 3]),
    st.integers(0, 2**32 - 1),
)
def test_avg_pool2d_matches_naive_loops(
    s: dict[str, Any], include_pad: bool, divisor: Any, seed: int
) -> None:
    x = np.random.default_rng(seed).standard_normal(s["shape"])
    out = F.avg_pool2d(autograd.tensor(x), s["k"], s["s"], s["p"], s["ceil"], include_pad, divisor)
    want = naive_avg_pool(_as4(x), s["k"], s["s"], s["p"], s["ceil"], include_pad, divisor)
    np.testing.assert_allclose(_as4(out.numpy()), want, rtol=1e-12, atol=1e-12)


@given(pool_settings(dilation=False, max_side=4), st.booleans(), st.integers(0, 2**32 - 1))
def test_avg_pool2d_gradients(s: dict[str, Any], include_pad: bool, seed: int) -> None:
    x = autograd.tensor(np.random.default_rng(seed).standard_normal(s["shape"]), requires_grad=True)

    def fn(x: Any) -> Any:
        return F.avg_pool2d(x, s["k"], s["s"], s["p"], s["ceil"], include_pad)

    assert gradcheck(fn, x) and gradgradcheck(fn, x)


def test_avg_pool_worked_examples() -> None:
    x = autograd.tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]])
    assert F.avg_pool2d(x, 2, stride=1).tolist() == [[[[3.0, 4.0], [6.0, 7.0]]]]
    # zero padding counts in the mean unless count_include_pad=False
    assert F.avg_pool2d(x, 2, padding=1).tolist() == [[[[0.25, 1.25], [2.75, 7.0]]]]
    assert F.avg_pool2d(x, 2, padding=1, count_include_pad=False).tolist() == [
        [[[1.0, 2.5], [5.5, 7.0]]]
    ]
    # ceil_mode keeps the partial last window; its divisor is clipped to the input
    assert F.avg_pool2d(x, 2, ceil_mode=True).tolist() == [[[[3.0, 4.5], [7.5, 9.0]]]]
    assert F.avg_pool2d(x, 3, divisor_override=2).tolist() == [[[[22.5]]]]


# -- adaptive_avg_pool2d ------------------------------------------------------------------------


@given(
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(1, 4),
    st.one_of(st.none(), st.integers(1, 4)),
    st.integers(0, 2**32 - 1),
)
def test_adaptive_avg_pool2d_matches_naive_loops(
    h: int, w: int, oh: int, ow: Any, seed: int
) -> None:
    x = np.random.default_rng(seed).standard_normal((2, 3, h, w))
    out = F.adaptive_avg_pool2d(autograd.tensor(x), (oh, ow))
    want = naive_adaptive_avg_pool(x, oh, w if ow is None else ow)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("size, out", [((4, 6), (2, 3)), ((5, 3), (3, 2)), ((3, 4), 1)])
def test_adaptive_avg_pool2d_gradients(size: tuple[int, int], out: Any) -> None:
    x = autograd.tensor(np.random.default_rng(0).standard_normal((2,) + size), requires_grad=True)

    def fn(x: Any) -> Any:
        return F.adaptive_avg_pool2d(x, out)

    assert gradcheck(fn, x) and gradgradcheck(fn, x)


def test_adaptive_avg_pool2d_module() -> None:
    pool = nn.AdaptiveAvgPool2d((1, None))
    assert repr(pool) == "AdaptiveAvgPool2d(output_size=(1, None))"
    y = pool(autograd.arange(6.0).reshape(1, 1, 2, 3))
    assert y.tolist() == [[[[1.5, 2.5, 3.5]]]]
    assert nn.AdaptiveAvgPool2d(1)(autograd.ones(2, 5, 7, 7)).shape == (2, 5, 1, 1)


# -- modules, torch, errors ---------------------------------------------------------------------


def test_pool_reprs_are_pytorchs() -> None:
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.MaxPool2d((2, 3), stride=1, padding=1, ceil_mode=True)) == (
        "MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=1, ceil_mode=True)"
    )
    assert repr(nn.AvgPool2d(3, 2, 1)) == "AvgPool2d(kernel_size=3, stride=2, padding=1)"


def test_pools_match_torch_when_available() -> None:
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 7))
    t = torch.tensor(x)
    np.testing.assert_allclose(
        F.max_pool2d(autograd.tensor(x), (3, 2), (2, 1), 1, (1, 2), True).numpy(),
        tf.max_pool2d(t, (3, 2), (2, 1), 1, (1, 2), True).numpy(),
    )
    np.testing.assert_allclose(
        F.avg_pool2d(autograd.tensor(x), 3, 2, 1, True, False).numpy(),
        tf.avg_pool2d(t, 3, 2, 1, True, False).numpy(),
    )
    np.testing.assert_allclose(
        F.adaptive_avg_pool2d(autograd.tensor(x), (4, 3)).numpy(),
        tf.adaptive_avg_pool2d(t, (4, 3)).numpy(),
    )


def test_pooling_errors() -> None:
    x = autograd.ones(1, 1, 4, 4)
    with pytest.raises(ValueError, match="pad should be at most half of kernel size"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="pad should be at most half of kernel size"):
        nn.AvgPool2d(3, padding=2)(x)
    with pytest.raises(ValueError, match=r"output size \(0 x 0\) is too small"):
        F.max_pool2d(autograd.ones(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="divisor_override must be non-zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(ValueError, match="3-D \\(C, H, W\\) or 4-D"):
        F.max_pool2d(autograd.ones(4, 4), 2)
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        F.avg_pool2d(x, 0)
    with pytest.raises(TypeError, match="output_size must be an int or a pair"):
        F.adaptive_avg_pool2d(x, (1, 2, 3))
