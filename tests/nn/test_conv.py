"""conv2d, unfold, fold, pad and Conv2d: naive-loop references, gradients of two orders, worked
examples, PyTorch's init and repr, errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F
from autograd.testing import gradcheck, gradgradcheck

# -- a direct-loop convolution: the definition, one output pixel at a time ----------------------


def naive_conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: tuple[int, int],
    pads: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
) -> np.ndarray:
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    t, bt, l, r = pads
    xp = np.zeros((n, c, h + t + bt, wd + l + r))
    xp[:, :, t : t + h, l : l + wd] = x
    oh = (h + t + bt - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + l + r - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    per_group = o // groups
    for a in range(n):
        for oc in range(o):
            g = oc // per_group
            for p in range(oh):
                for q in range(ow):
                    acc = 0.0 if b is None else b[oc]
                    for ci in range(cg):
                        for i in range(kh):
                            for j in range(kw):
                                y = p * stride[0] + i * dilation[0]
                                z = q * stride[1] + j * dilation[1]
                                acc += w[oc, ci, i, j] * xp[a, g * cg + ci, y, z]
                    out[a, oc, p, q] = acc
    return out


def _pads_of(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, ...]:
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        th, tw = (d * (k - 1) for k, d in zip(kernel, dilation))
        return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return (ph, ph, pw, pw)


@st.composite
def conv_settings(draw: Any, max_side: int = 5) -> dict[str, Any]:
    """A small convolution: shapes, stride, padding (int, pair, 'same', 'valid'), dilation,
    groups, with or without bias, batched or not."""
    groups = draw(st.integers(1, 2))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(
        st.one_of(
            st.integers(0, 2),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            st.sampled_from(["same", "valid"]),
        )
    )
    stride = (1, 1) if padding == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = _pads_of(padding, kernel, dilation)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    lo = [max(1, span - a - b) for span, a, b in zip(spans, pads[::2], pads[1::2])]
    h = draw(st.integers(lo[0], max(lo[0], max_side)))
    w = draw(st.integers(lo[1], max(lo[1], max_side)))
    batched = draw(st.booleans())
    n = draw(st.integers(1, 2)) if batched else 1
    return dict(
        x_shape=(n, groups * cg, h, w) if batched else (groups * cg, h, w),
        w_shape=(groups * og, cg) + kernel,
        bias=draw(st.booleans()),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        pads=pads,
    )


def _conv_inputs(s: dict[str, Any], seed: int) -> tuple[autograd.Tensor, ...]:
    rng = np.random.default_rng(seed)
    x = autograd.tensor(rng.uniform(-2, 2, s["x_shape"]), requires_grad=True)
    w = autograd.tensor(rng.uniform(-2, 2, s["w_shape"]), requires_grad=True)
    if not s["bias"]:
        return x, w
    return x, w, autograd.tensor(rng.uniform(-2, 2, s["w_shape"][0]), requires_grad=True)


def _conv_fn(s: dict[str, Any]) -> Any:
    def fn(x: Any, w: Any, b: Any = None) -> Any:
        return F.conv2d(x, w, b, s["stride"], s["padding"], s["dilation"], s["groups"])

    return fn


@given(conv_settings(max_side=6), st.integers(0, 2**32 - 1))
def test_conv2d_matches_direct_loops(s: dict[str, Any], seed: int) -> None:
    inputs = _conv_inputs(s, seed)
    got = _conv_fn(s)(*inputs).numpy()
    x = inputs[0].numpy()
    x4 = x if x.ndim == 4 else x[None]
    b = inputs[2].numpy() if len(inputs) == 3 else None
    want = naive_conv2d(
        x4, inputs[1].numpy(), b, s["stride"], s["pads"], s["dilation"], s["groups"]
    )
    np.testing.assert_allclose(got, want if x.ndim == 4 else want[0], rtol=1e-12, atol=1e-12)


@given(conv_settings(max_side=4), st.integers(0, 2**32 - 1))
def test_conv2d_gradcheck(s: dict[str, Any], seed: int) -> None:
    assert gradcheck(_conv_fn(s), _conv_inputs(s, seed))


@given(conv_settings(max_side=4), st.integers(0, 2**32 - 1))
def test_conv2d_gradgradcheck(s: dict[str, Any], seed: int) -> None:
    assert gradgradcheck(_conv_fn(s), _conv_inputs(s, seed))


def test_a_1x1_convolution_mixes_channels_per_pixel() -> None:
    rng = np.random.default_rng(0)
    x = autograd.tensor(rng.standard_normal((2, 3, 4, 5)), requires_grad=True)
    w = autograd.tensor(rng.standard_normal((6, 3, 1, 1)), requires_grad=True)
    y = F.conv2d(x, w)
    want = np.einsum("oc,nchw->nohw", w.numpy()[:, :, 0, 0], x.numpy())
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)
    assert gradcheck(lambda x, w: F.conv2d(x, w), (x, w))


def test_conv2d_keeps_float32() -> None:
    x = autograd.randn(2, 3, 6, 6, requires_grad=True)
    w = autograd.randn(4, 3, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, autograd.zeros(4), padding=1)
    assert y.dtype == np.float32 and y.shape == (2, 4, 6, 6)
    y.sum().backward()
    assert x.grad is not None and w.grad is not None
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")  # torch's own note
def test_conv2d_matches_torch_when_available() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 4, 7, 8)), rng.standard_normal((6, 2, 3, 2)), np.ones(6)
    for kwargs in [
        dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
        dict(padding="same", dilation=(2, 1), groups=2),
    ]:
        got = F.conv2d(autograd.tensor(x), autograd.tensor(w), autograd.tensor(b), **kwargs)
        want = torch.nn.functional.conv2d(
            torch.tensor(x), torch.tensor(w), torch.tensor(b), **kwargs
        )
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-10)


# -- worked examples (CS231n-style, exact numbers) ----------------------------------------------

IMAGE = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


def test_worked_example_feature_map_at_stride_1_and_2() -> None:
    x = autograd.tensor(np.array(IMAGE, dtype=np.float32)[None, None])
    k = autograd.tensor(np.array(KERNEL, dtype=np.float32)[None, None])
    assert F.conv2d(x, k).tolist() == [[[[4, 3, 4], [2, 4, 3], [2, 3, 4]]]]
    assert F.conv2d(x, k, stride=2).tolist() == [[[[4, 4], [2, 4]]]]


def test_worked_example_two_filters_on_a_padded_rgb_image() -> None:
    # a 5x5x3 input, zero-padded by 1, two 3x3x3 filters at stride 2 -> a 3x3x2 volume
    layer = nn.Conv2d(3, 2, 3, stride=2, padding=1)
    assert sum(p.numel() for p in layer.parameters()) == (3 * 3 * 3 + 1) * 2 == 56
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, (3, 5, 5)).astype(np.float32)  # the demo draws pixels from {0, 1, 2}
    w = rng.integers(-1, 2, (2, 3, 3, 3)).astype(np.float32)  # and weights from {-1, 0, 1}
    b = np.array([1.0, 0.0], dtype=np.float32)
    with autograd.no_grad():
        layer.weight.copy_(autograd.tensor(w))
        layer.bias.copy_(autograd.tensor(b))
    out = layer(autograd.tensor(x))
    assert out.shape == (2, 3, 3)  # channels first: the 3x3x2 volume
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    for o in range(2):
        for i in range(3):
            for j in range(3):
                want = np.sum(xp[:, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3] * w[o]) + b[o]
                assert out.numpy()[o, i, j] == want  # small integers: exact in float32


# -- unfold and fold ----------------------------------------------------------------------------


@given(
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(0, 1),
    st.integers(1, 2),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_functional_fold_is_unfold_adjoint(
    k: int, d: int, p: int, s: int, seed: int, batched: bool
) -> None:
    rng = np.random.default_rng(seed)
    shape = (2, 2, 5, 6) if batched else (2, 5, 6)
    x = rng.standard_normal(shape)
    cols = F.unfold(autograd.tensor(x), k, dilation=d, padding=p, stride=s)
    assert cols.ndim == (3 if batched else 2)
    y = rng.standard_normal(cols.shape)
    back = F.fold(autograd.tensor(y), (5, 6), k, dilation=d, padding=p, stride=s)
    assert back.shape == shape
    np.testing.assert_allclose(np.sum(cols.numpy() * y), np.sum(x * back.numpy()), rtol=1e-12)


def test_unfold_layout_is_torchs() -> None:
    x = autograd.arange(16.0).reshape(1, 1, 4, 4)
    cols = F.unfold(x, 2, stride=2)
    assert cols.tolist() == [[[0, 2, 8, 10], [1, 3, 9, 11], [4, 6, 12, 14], [5, 7, 13, 15]]]


@given(st.integers(1, 3), st.integers(0, 1), st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_unfold_and_fold_gradients(k: int, p: int, s: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = autograd.tensor(rng.standard_normal((1, 2, 4, 3)), requires_grad=True)
    assert gradcheck(lambda x: F.unfold(x, k, padding=p, stride=s), x)
    cols = F.unfold(x, k, padding=p, stride=s)
    y = autograd.tensor(rng.standard_normal(cols.shape), requires_grad=True)
    assert gradgradcheck(lambda y: F.fold(y, (4, 3), k, padding=p, stride=s), y)


def test_unfold_and_fold_match_torch_when_available() -> None:
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 5))
    kw = dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 0), stride=(1, 2))
    cols = F.unfold(autograd.tensor(x), **kw).numpy()
    np.testing.assert_allclose(cols, torch.nn.functional.unfold(torch.tensor(x), **kw).numpy())
    back = F.fold(autograd.tensor(cols), (6, 5), **kw).numpy()
    want = torch.nn.functional.fold(torch.tensor(cols), (6, 5), **kw).numpy()
    np.testing.assert_allclose(back, want)


# -- pad ----------------------------------------------------------------------------------------

_NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@given(
    st.lists(st.integers(3, 4), min_size=1, max_size=3),
    st.sampled_from(["constant", "reflect", "replicate", "circular"]),
    st.data(),
)
def test_pad_matches_numpy(shape: list[int], mode: str, data: Any) -> None:
    k = data.draw(st.integers(1, len(shape)))
    low = -1 if mode == "constant" else 0
    amounts = data.draw(st.lists(st.integers(low, 2), min_size=2 * k, max_size=2 * k))
    x = np.random.default_rng(0).standard_normal(shape)
    got = F.pad(autograd.tensor(x), amounts, mode=mode, value=2.5 if mode == "constant" else None)
    # F.pad's pairs start at the last dim; np.pad wants one pair per dim from the first
    pairs = [(0, 0)] * (len(shape) - k) + [
        (amounts[2 * i], amounts[2 * i + 1]) for i in reversed(range(k))
    ]
    want = x
    crop = tuple(slice(max(-a, 0), n - max(-b, 0)) for n, (a, b) in zip(shape, pairs))
    want = want[crop]
    grow = [(max(a, 0), max(b, 0)) for a, b in pairs]
    if mode == "constant":
        want = np.pad(want, grow, constant_values=2.5)
    else:
        want = np.pad(want, grow, mode=_NUMPY_MODE[mode])
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradients(mode: str) -> None:
    x = autograd.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    pads = (2, 1, 0, 2) if mode != "constant" else (2, -1, 1, 0)

    def fn(x: Any) -> Any:
        return F.pad(x, pads, mode=mode)

    assert gradcheck(fn, x) and gradgradcheck(fn, x)


def test_pad_errors_say_what_is_supported() -> None:
    x = autograd.ones(1, 2, 3)
    with pytest.raises(ValueError, match="use one of constant, reflect, replicate, circular"):
        F.pad(x, (1, 1), mode="symmetric")
    with pytest.raises(ValueError, match="must be even"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match="reflect padding of \\(3, 3\\) must be at most 2"):
        F.pad(x, (3, 3), mode="reflect")
    with pytest.raises(ValueError, match="doesn't take a value"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(ValueError, match="pad 4 dims, but the input has only 3"):
        F.pad(x, (1,) * 8)


# -- Conv2d: init, repr, padding modes, errors --------------------------------------------------


def test_conv2d_layer_shapes_and_pytorch_init() -> None:
    autograd.manual_seed(0)
    layer = nn.Conv2d(4, 8, (3, 5), groups=2)
    assert layer.weight.shape == (8, 2, 3, 5) and layer.bias is not None
    assert layer.bias.shape == (8,)
    bound = 1 / math.sqrt(2 * 3 * 5)  # kaiming_uniform_(a=sqrt(5)) gives 1/sqrt(fan_in)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.8 * bound  # drawn from the whole range, not a narrow one
    assert w.dtype == np.float32 and w.std() > 0.4 * bound
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(1, 1, 1, bias=False).bias is None


def test_conv2d_reprs_are_pytorchs() -> None:
    assert repr(nn.Conv2d(1, 16, 3, padding=1)) == (
        "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    )
    assert repr(nn.Conv2d(2, 4, (3, 5), stride=2, groups=2, bias=False)) == (
        "Conv2d(2, 4, kernel_size=(3, 5), stride=(2, 2), groups=2, bias=False)"
    )
    assert repr(nn.Conv2d(1, 2, 3, padding="same", dilation=2, padding_mode="reflect")) == (
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=same, dilation=(2, 2), "
        "padding_mode=reflect)"
    )


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_padding_modes(mode: str, padding: Any) -> None:
    layer = nn.Conv2d(2, 3, (3, 2), padding=padding, padding_mode=mode).to(np.float64)
    x = autograd.tensor(np.random.default_rng(0).standard_normal((1, 2, 5, 6)))
    ph, pb, pl, pr = _pads_of(padding, (3, 2), (1, 1))
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (ph, pb), (pl, pr)), mode=_NUMPY_MODE[mode])
    assert layer.bias is not None
    want = naive_conv2d(
        padded, layer.weight.numpy(), layer.bias.numpy(), (1, 1), (0, 0, 0, 0), (1, 1), 1
    )
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-12, atol=1e-12)


def test_conv2d_layer_gradients_reach_weight_and_bias() -> None:
    layer = nn.Conv2d(2, 3, 3, padding=1).to(np.float64)
    x = autograd.tensor(np.random.default_rng(0).standard_normal((2, 2, 4, 4)))
    layer(x).sum().backward()
    assert layer.weight.grad is not None and layer.bias.grad is not None
    np.testing.assert_allclose(layer.bias.grad.numpy(), np.full(3, 2 * 4 * 4))


def test_wrong_input_channels_name_expected_and_got() -> None:
    layer = nn.Conv2d(3, 16, 3)
    with pytest.raises(ValueError, match=r"expected input with 3 channels, got input of shape "
                       r"\(2, 4, 5, 5\)"):  # fmt: skip
        layer(autograd.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"conv2d: expected input with 6 channels .*groups=2"):
        F.conv2d(autograd.zeros(1, 3, 5, 5), autograd.zeros(4, 3, 3, 3), groups=2)
    with pytest.raises(ValueError, match="3-D \\(C, H, W\\) or 4-D"):
        layer(autograd.zeros(5, 5))


def test_kernel_larger_than_padded_input() -> None:
    with pytest.raises(ValueError, match=r"kernel size \(3 x 3.*padded input size \(2 x 2\)"):
        F.conv2d(autograd.zeros(1, 1, 2, 2), autograd.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"padded input size \(4 x 4\)"):
        F.conv2d(autograd.zeros(1, 1, 2, 2), autograd.zeros(1, 1, 3, 3), dilation=2, padding=1)


def test_bad_groups_and_settings() -> None:
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="out_channels .* must be divisible by groups"):
        F.conv2d(autograd.zeros(1, 4, 3, 3), autograd.zeros(3, 2, 1, 1), groups=2)
    with pytest.raises(ValueError, match="not supported for strided convolutions"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="not supported for strided convolutions"):
        F.conv2d(autograd.zeros(1, 1, 3, 3), autograd.zeros(1, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="invalid padding string 'full'"):
        F.conv2d(autograd.zeros(1, 1, 3, 3), autograd.zeros(1, 1, 3, 3), padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="stride must be positive"):
        F.conv2d(autograd.zeros(1, 1, 3, 3), autograd.zeros(1, 1, 3, 3), stride=0)
    with pytest.raises(ValueError, match=r"bias must have shape \(1,\)"):
        F.conv2d(autograd.zeros(1, 1, 3, 3), autograd.zeros(1, 1, 3, 3), autograd.zeros(2))
    with pytest.raises(RuntimeError, match="must have the same dtype"):
        F.conv2d(autograd.zeros(1, 1, 3, 3), autograd.zeros(1, 1, 3, 3, dtype=np.float64))
