"""Convolution and pooling: conv2d, unfold, fold, pad, max_pool2d, avg_pool2d,
adaptive_avg_pool2d."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import OpError
from autograd.ops.linalg import Linear
from autograd.ops.window import (
    Fold,
    MaxPool2d,
    Pad,
    Unfold,
    argmax_to_indices,
    max_windows,
    window_count,
)

from .layers import same_dtype

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "conv2d",
    "fold",
    "max_pool2d",
    "pad",
    "unfold",
]

Pair = tuple[int, int]
Pads = tuple[int, int, int, int]  # (top, bottom, left, right)
IntOrPair = int | Sequence[int]


# -- argument checks ----------------------------------------------------------------------------


def _pair(value: Any, name: str, op: str) -> Pair:
    """An int or a 1- or 2-sequence of ints as (height, width)."""
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) in (1, 2):
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
            return int(value[0]), int(value[-1])
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def _positive(value: Any, name: str, op: str) -> Pair:
    pair = _pair(value, name, op)
    if min(pair) < 1:
        raise OpError(f"{op}: {name} must be positive, got {value!r}")
    return pair


def _non_negative(value: Any, name: str, op: str) -> Pair:
    pair = _pair(value, name, op)
    if min(pair) < 0:
        raise OpError(f"{op}: {name} must be non-negative, got {value!r}")
    return pair


def _batched(input: Tensor, op: str) -> tuple[Tensor, bool]:
    """A 4-D (N, C, H, W) view of ``input``, and whether it was batched (3-D inputs are one
    image, as in PyTorch)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, not {type(input).__name__}")
    if input.ndim == 4:
        return input, True
    if input.ndim == 3:
        return input.unsqueeze(0), False
    raise OpError(
        f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {tuple(input.shape)}"
    )


def _hw(x: Tensor) -> Pair:
    """The (H, W) of an (N, C, H, W) tensor."""
    h, w = x.shape[2:]
    return h, w


def _unbatched(out: Tensor, batched: bool) -> Tensor:
    return out if batched else out.squeeze(0)


def _conv_pads(padding: Any, kernel: Pair, dilation: Pair, stride: Pair, op: str) -> Pads:
    """(top, bottom, left, right) from an int, a pair, 'valid' or 'same' (the odd one extra
    goes at the bottom/right, as in PyTorch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding == "same":
            if stride != (1, 1):
                raise OpError(
                    f"{op}: padding='same' is not supported for strided convolutions "
                    f"(stride={stride})"
                )
            th, tw = (d * (k - 1) for k, d in zip(kernel, dilation))
            return th // 2, th - th // 2, tw // 2, tw - tw // 2
        raise OpError(f"{op}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    ph, pw = _non_negative(padding, "padding", op)
    return ph, ph, pw, pw


def _check_fits(hw: Pair, kernel: Pair, dilation: Pair, pads: Pads, op: str) -> None:
    padded = (hw[0] + pads[0] + pads[1], hw[1] + pads[2] + pads[3])
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if span[0] > padded[0] or span[1] > padded[1]:
        raise OpError(
            f"{op}: the kernel size ({kernel[0]} x {kernel[1]}, spanning {span[0]} x {span[1]} "
            f"with dilation {dilation}) can't be greater than the padded input size "
            f"({padded[0]} x {padded[1]})"
        )


# -- convolution --------------------------------------------------------------------------------


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOrPair = 1,
    padding: IntOrPair | str = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch) of ``input`` (N, C, H, W) or (C, H, W)
    with ``weight`` (out_channels, C / groups, kH, kW), plus ``bias`` (out_channels,).

    One unfold (im2col) and one matmul: the columns (N, C*kH*kW, H_out*W_out) are multiplied by
    the weight reshaped to (out_channels, C*kH*kW), which gives NCHW output with no transpose.
    ``padding`` is an int, a pair, 'valid' (none) or 'same' (stride 1 only; an odd total pads
    one more at the bottom/right, as PyTorch).

    Example:
        >>> import autograd, nn.functional as F
        >>> x = autograd.tensor([[[[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]]])
        >>> F.conv2d(x, autograd.ones(1, 1, 2, 2))
        tensor([[[[4., 6.],
                  [3., 5.]]]])
    """
    x, batched = _batched(input, "conv2d")
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise OpError(
            f"conv2d: weight must be a 4-D Tensor (out_channels, in_channels / groups, kH, kW), "
            f"got shape {tuple(getattr(weight, 'shape', ()))}"
        )
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise OpError(f"conv2d: groups must be a positive integer, got {groups!r}")
    out_ch, group_ch, kh, kw = weight.shape
    n, c, h, w = x.shape
    if out_ch % groups:
        raise OpError(
            f"conv2d: out_channels ({out_ch}, dim 0 of the weight) must be divisible by "
            f"groups ({groups})"
        )
    if c != group_ch * groups:
        raise OpError(
            f"conv2d: expected input with {group_ch * groups} channels (weight of shape "
            f"{tuple(weight.shape)}, groups={groups}), got input of shape {tuple(input.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (out_ch,):
        raise OpError(
            f"conv2d: bias must have shape ({out_ch},) (one per output channel), got "
            f"{tuple(bias.shape)}"
        )
    same_dtype("conv2d", x, weight=weight, bias=bias)
    kernel = (kh, kw)
    s = _positive(stride, "stride", "conv2d")
    d = _positive(dilation, "dilation", "conv2d")
    pads = _conv_pads(padding, kernel, d, s, "conv2d")
    _check_fits((h, w), kernel, d, pads, "conv2d")
    oh = window_count(h, kh, d[0], pads[0] + pads[1], s[0])
    ow = window_count(w, kw, d[1], pads[2] + pads[3], s[1])
    if kernel == (1, 1) and s == (1, 1) and not any(pads):
        cols = x.reshape(n, c, h * w)  # a 1x1 convolution needs no unfolding
    else:
        cols = Unfold.apply(x, kernel, d, pads, s)
    k = group_ch * kh * kw
    if groups == 1:  # weight @ columns + bias as one primitive: the bias is added in place
        out = Linear.apply(cols, weight.reshape(out_ch, k), bias, True)
        return _unbatched(out.reshape(n, out_ch, oh, ow), batched)
    # one batched matmul over the groups: (G, O/G, k) @ (N, G, k, L)
    out = weight.reshape(groups, out_ch // groups, k) @ cols.reshape(n, groups, k, oh * ow)
    out = out.reshape(n, out_ch, oh, ow)
    if bias is not None:
        out = out + bias.reshape(out_ch, 1, 1)
    return _unbatched(out, batched)


def unfold(
    input: Tensor,
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> Tensor:
    """The sliding blocks of ``input`` (N, C, H, W) as columns (N, C*kH*kW, L), L the number of
    blocks (im2col, as ``torch.nn.functional.unfold``); a 3-D input gives (C*kH*kW, L).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.unfold(autograd.arange(9.0).reshape(1, 1, 3, 3), 2)
        tensor([[[0., 1., 3., 4.],
                 [1., 2., 4., 5.],
                 [3., 4., 6., 7.],
                 [4., 5., 7., 8.]]])
    """
    x, batched = _batched(input, "unfold")
    kernel = _positive(kernel_size, "kernel_size", "unfold")
    d = _positive(dilation, "dilation", "unfold")
    ph, pw = _non_negative(padding, "padding", "unfold")
    s = _positive(stride, "stride", "unfold")
    pads = (ph, ph, pw, pw)
    _check_fits(_hw(x), kernel, d, pads, "unfold")
    return _unbatched(Unfold.apply(x, kernel, d, pads, s), batched)


def fold(
    input: Tensor,
    output_size: IntOrPair,
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> Tensor:
    """Sum columns (N, C*kH*kW, L) back into an image (N, C, H, W) of ``output_size``, adding
    where blocks overlap (col2im, as ``torch.nn.functional.fold``); 2-D input gives (C, H, W).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.fold(autograd.ones(1, 4, 4), (3, 3), 2)
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise OpError(
            f"fold: expected a 2-D (C*kH*kW, L) or 3-D (N, C*kH*kW, L) input, got shape "
            f"{tuple(getattr(input, 'shape', ()))}"
        )
    batched = input.ndim == 3
    cols = input if batched else input.unsqueeze(0)
    size = _positive(output_size, "output_size", "fold")
    kernel = _positive(kernel_size, "kernel_size", "fold")
    d = _positive(dilation, "dilation", "fold")
    ph, pw = _non_negative(padding, "padding", "fold")
    s = _positive(stride, "stride", "fold")
    return _unbatched(Fold.apply(cols, size, kernel, d, (ph, ph, pw, pw), s), batched)


# -- padding ------------------------------------------------------------------------------------

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)`` starts
    with the last dim, as ``torch.nn.functional.pad``. Negative amounts crop (constant mode).

    ``mode`` is 'constant' (``value``, default 0), 'reflect' (mirror without repeating the
    edge), 'replicate' (repeat the edge) or 'circular' (wrap around).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.pad(autograd.tensor([[1.0, 2.0]]), (1, 2), value=9.0)
        tensor([[9., 1., 2., 9., 9.]])
        >>> F.pad(autograd.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    amounts = [int(p) for p in pad]
    if len(amounts) % 2:
        raise OpError(f"pad: the padding length must be even, got {len(amounts)} ({pad})")
    if len(amounts) // 2 > input.ndim:
        raise OpError(
            f"pad: {len(amounts)} padding values pad {len(amounts) // 2} dims, but the input has "
            f"only {input.ndim} (shape {tuple(input.shape)})"
        )
    if mode not in _PAD_MODES:
        raise OpError(f"pad: unsupported mode {mode!r}; use one of {', '.join(_PAD_MODES)}")
    # (before, after) per dim, for the trailing dims in order
    pairs = [(amounts[i], amounts[i + 1]) for i in range(0, len(amounts), 2)][::-1]
    first = input.ndim - len(pairs)
    if mode == "constant":
        crop = tuple(
            slice(max(-a, 0), n - max(-b, 0)) for n, (a, b) in zip(input.shape[first:], pairs)
        )
        x = input[(slice(None),) * first + crop] if any(a < 0 or b < 0 for a, b in pairs) else input
        grow = tuple((max(a, 0), max(b, 0)) for a, b in pairs)
        return Pad.apply(x, grow, 0 if value is None else value)
    if value is not None and value != 0:
        raise OpError(f"pad: mode {mode!r} doesn't take a value argument")
    x = input
    for dim, (a, b) in enumerate(pairs, start=first):
        x = _pad_dim(x, dim, a, b, mode)
    return x


def _pad_dim(x: Tensor, dim: int, before: int, after: int, mode: str) -> Tensor:
    """``x`` padded along one dim by copies of its own slices (reflect, replicate, circular)."""
    n = x.shape[dim]
    if before < 0 or after < 0:
        raise OpError(f"pad: negative padding is only supported in constant mode (dim {dim})")
    if not before and not after:
        return x
    limit = {"reflect": n - 1, "circular": n}.get(mode, before + after)  # replicate: any
    if max(before, after) > limit or n == 0:
        raise OpError(
            f"pad: {mode} padding of ({before}, {after}) must be at most {limit} for dim {dim} "
            f"of size {n} (input shape {tuple(x.shape)})"
        )
    lead = (slice(None),) * dim

    def part(sl: slice) -> Tensor:
        return x[lead + (sl,)]

    if mode == "reflect":
        left = part(slice(before, 0, -1))
        right = part(slice(n - 2, n - 2 - after if n - 2 - after >= 0 else None, -1))
    elif mode == "replicate":
        shape = list(x.shape)
        left = part(slice(0, 1)).expand(shape[:dim] + [before] + shape[dim + 1 :])
        right = part(slice(n - 1, n)).expand(shape[:dim] + [after] + shape[dim + 1 :])
    else:  # circular
        left = part(slice(n - before, n))
        right = part(slice(0, after))
    pieces = ([left] if before else []) + [x] + ([right] if after else [])
    return autograd.cat(pieces, dim=dim)


# -- pooling ------------------------------------------------------------------------------------


def _pool_geometry(
    hw: Pair, kernel: Pair, dilation: Pair, pad: Pair, stride: Pair, ceil_mode: bool, op: str
) -> tuple[Pair, Pads]:
    """Output size (PyTorch's pooling_output_shape) and the (top, bottom, left, right) padding
    that makes exactly those windows: ceil_mode's last window may reach past the padding."""
    for p, k, what in ((pad[0], kernel[0], "height"), (pad[1], kernel[1], "width")):
        if p > k // 2:
            raise OpError(
                f"{op}: pad should be at most half of kernel size, got padding {pad} and "
                f"kernel_size {kernel} (the {what})"
            )
    out = []
    extra = []
    for size, k, d, p, s in zip(hw, kernel, dilation, pad, stride):
        span = d * (k - 1) + 1
        room = size + 2 * p - span
        o = (-(-room // s) if ceil_mode else room // s) + 1
        if ceil_mode and (o - 1) * s >= size + p:
            o -= 1  # the last window must start inside the input or the left padding
        out.append(o)
        extra.append(max(0, (o - 1) * s + span - (size + 2 * p)))
    if min(out) < 1:
        raise OpError(
            f"{op}: given input size ({hw[0]} x {hw[1]}), the output size ({out[0]} x {out[1]}) "
            f"is too small (kernel_size {kernel}, stride {stride}, padding {pad}, "
            f"dilation {dilation})"
        )
    return (out[0], out[1]), (pad[0], pad[0] + extra[0], pad[1], pad[1] + extra[1])


def _pool_args(
    kernel_size: Any, stride: Any, padding: Any, dilation: Any, op: str
) -> tuple[Pair, Pair, Pair, Pair]:
    kernel = _positive(kernel_size, "kernel_size", op)
    no_stride = stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
    s = kernel if no_stride else _positive(stride, "stride", op)
    return kernel, s, _non_negative(padding, "padding", op), _positive(dilation, "dilation", op)


def max_pool2d(
    input: Tensor,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The max of each window of ``input`` (N, C, H, W) or (C, H, W); ``stride`` defaults to
    ``kernel_size`` and padding is -inf. The gradient goes to the window's max (the first one
    on ties, as PyTorch). With ``return_indices``, also the flat index of each max in its H x W
    plane (computed by a second pass over the windows). A window lying wholly in the padding
    gives -inf, no gradient and the index of the real element nearest to it (PyTorch's index
    there is undefined).

    Example:
        >>> import autograd, nn.functional as F
        >>> x = autograd.tensor([[[[1.0, 5.0], [3.0, 2.0]]]], requires_grad=True)
        >>> y = F.max_pool2d(x, 2)
        >>> y.backward(autograd.ones_like(y))
        >>> y, x.grad
        (tensor([[[[5.]]]], grad_fn=<MaxPool2dBackward>), tensor([[[[0., 1.],
                  [0., 0.]]]]))
    """
    x, batched = _batched(input, "max_pool2d")
    kernel, s, p, d = _pool_args(kernel_size, stride, padding, dilation, "max_pool2d")
    _, pads = _pool_geometry(_hw(x), kernel, d, p, s, ceil_mode, "max_pool2d")
    out = _unbatched(MaxPool2d.apply(x, kernel, d, pads, s), batched)
    if not return_indices:
        return out
    # A second pass: a primitive with two outputs would not survive no_grad's shared ctx
    _, argmax = max_windows(x.data, kernel, d, pads, s)
    idx = argmax_to_indices(argmax, _hw(x), kernel, d, pads, s)
    return out, _unbatched(autograd.tensor(idx), batched)


def avg_pool2d(
    input: Tensor,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each window of ``input`` (N, C, H, W) or (C, H, W); ``stride`` defaults to
    ``kernel_size``. Zero padding counts in the mean when ``count_include_pad`` (the part of a
    ceil_mode window past the padding never does); ``divisor_override`` replaces the divisor.

    Example:
        >>> import autograd, nn.functional as F
        >>> F.avg_pool2d(autograd.tensor([[[[1.0, 2.0], [3.0, 6.0]]]]), 2)
        tensor([[[[3.]]]])
    """
    x, batched = _batched(input, "avg_pool2d")
    kernel, s, p, _ = _pool_args(kernel_size, stride, padding, 1, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise OpError("avg_pool2d: divisor_override must be non-zero")
    (oh, ow), pads = _pool_geometry(_hw(x), kernel, (1, 1), p, s, ceil_mode, "avg_pool2d")
    n, c = x.shape[:2]
    cols = Unfold.apply(x, kernel, (1, 1), pads, s)  # (N, C*kH*kW, L)
    total = cols.reshape(n, c, kernel[0] * kernel[1], oh * ow).sum(2).reshape(n, c, oh, ow)
    if divisor_override is not None:
        return _unbatched(total / float(divisor_override), batched)
    rows = _avg_counts(x.shape[2], kernel[0], p[0], s[0], oh, count_include_pad)
    cols_ = _avg_counts(x.shape[3], kernel[1], p[1], s[1], ow, count_include_pad)
    divisor = np.outer(rows, cols_).astype(x.dtype)
    return _unbatched(total / autograd.tensor(divisor), batched)


def _avg_counts(size: int, k: int, p: int, s: int, out: int, include_pad: bool) -> np.ndarray:
    """Per output position along one dim, how many taps the mean divides by (PyTorch's rule)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed ``output_size`` (int, or a pair whose None keeps that size):
    output cell i covers input rows floor(i*H/OH) to ceil((i+1)*H/OH), as PyTorch.

    Example:
        >>> import autograd, nn.functional as F
        >>> F.adaptive_avg_pool2d(autograd.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5,  4.5],
                  [10.5, 12.5]]]])
    """
    x, batched = _batched(input, "adaptive_avg_pool2d")
    n, c, h, w = x.shape
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        sizes: list[Any] = [int(output_size)] * 2
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        sizes = list(output_size)
    else:
        raise TypeError(
            f"adaptive_avg_pool2d: output_size must be an int or a pair (None keeps a size), got "
            f"{output_size!r}"
        )
    oh, ow = (size if o is None else o for o, size in zip(sizes, (h, w)))
    if not isinstance(oh, (int, np.integer)) or not isinstance(ow, (int, np.integer)):
        raise TypeError(f"adaptive_avg_pool2d: output_size must hold ints, got {output_size!r}")
    if oh < 0 or ow < 0:
        raise OpError(f"adaptive_avg_pool2d: output_size must be non-negative, got {(oh, ow)}")
    if oh and ow and h % oh == 0 and w % ow == 0:  # equal windows: a reshape and a mean
        out = x.reshape(n, c, oh, h // oh, ow, w // ow).mean((3, 5))
    else:  # uneven windows: averaging matrices on both sides, (OH, H) @ x @ (W, OW)
        rows = autograd.tensor(_adaptive_matrix(h, int(oh), x.dtype))
        cols = autograd.tensor(_adaptive_matrix(w, int(ow), x.dtype).T)
        out = rows @ x @ cols
    return _unbatched(out, batched)


def _adaptive_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
    """(out, size): row i averages inputs floor(i*size/out) .. ceil((i+1)*size/out) - 1."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    j = np.arange(size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)
