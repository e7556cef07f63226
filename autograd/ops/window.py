"""Window primitives: unfold (im2col), fold (col2im), max pooling (with the scatter and gather
at the argmax that make its backward) and constant padding."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import OpError
from ..function import Function
from ..tensor import Tensor
from .elementwise import all_finite

Pair = tuple[int, int]
Pads = tuple[int, int, int, int]  # (top, bottom, left, right), as the image is drawn


def window_count(size: int, k: int, d: int, pad: int, s: int) -> int:
    """How many windows of ``k`` taps ``d`` apart fit in ``size + pad`` at stride ``s``.

    Example:
        >>> window_count(5, 3, 1, 2, 2)
        3
    """
    return (size + pad - d * (k - 1) - 1) // s + 1


def _out_hw(
    op: str, hw: tuple[int, ...], kernel: Pair, dilation: Pair, padding: Pads, stride: Pair
) -> Pair:
    """The number of windows along H and W, checked to be at least one."""
    for name, v in (("kernel_size", kernel), ("dilation", dilation), ("stride", stride)):
        if min(v) < 1:
            raise OpError(f"{op}: {name} must be positive, got {tuple(v)}")
    if min(padding) < 0:
        raise OpError(f"{op}: padding must be non-negative, got {tuple(padding)}")
    oh = window_count(hw[0], kernel[0], dilation[0], padding[0] + padding[1], stride[0])
    ow = window_count(hw[1], kernel[1], dilation[1], padding[2] + padding[3], stride[1])
    if oh < 1 or ow < 1:
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        padded = (hw[0] + padding[0] + padding[1], hw[1] + padding[2] + padding[3])
        raise OpError(
            f"{op}: the kernel (spanning {span[0]} x {span[1]} with dilation) is larger than the "
            f"padded input ({padded[0]} x {padded[1]})"
        )
    return oh, ow


def pad_array(x: np.ndarray, padding: Pads, value: Any) -> np.ndarray:
    """``x`` (..., H, W) with ``value`` around it; ``x`` itself when there is nothing to add."""
    if not any(padding):
        return x
    t, b, l, r = padding
    h, w = x.shape[-2:]
    out = np.full(x.shape[:-2] + (h + t + b, w + l + r), value, dtype=x.dtype)
    out[..., t : t + h, l : l + w] = x
    return out


def windows(x: np.ndarray, kernel: Pair, dilation: Pair, stride: Pair, out: Pair) -> np.ndarray:
    """A read-only view (N, C, kh, kw, OH, OW) of the windows of a padded x (N, C, H, W):
    ``[n, c, i, j, oh, ow] = x[n, c, i*dh + oh*sh, j*dw + ow*sw]``.

    The view slides a block the size of the *output* over the kernel offsets, so the axes come
    out in im2col order and one contiguous copy makes the columns (no transpose pass).
    """
    span = ((out[0] - 1) * stride[0] + 1, (out[1] - 1) * stride[1] + 1)
    v = sliding_window_view(x, span, axis=(2, 3))
    return v[
        :,
        :,
        : (kernel[0] - 1) * dilation[0] + 1 : dilation[0],
        : (kernel[1] - 1) * dilation[1] + 1 : dilation[1],
        :: stride[0],
        :: stride[1],
    ]


def _check_dims(op: str, x: np.ndarray, layout: str = "(N, C, H, W)") -> None:
    ndim = layout.count(",") + 1
    if x.ndim != ndim:
        raise OpError(f"{op}: expected a {ndim}-D input {layout}, got shape {x.shape}")


class Unfold(Function):
    """cols[n, (c, i, j), (oh, ow)] = xpad[n, c, i*dh + oh*sh, j*dw + ow*sw];  dx = fold(grad)"""

    __slots__ = ("hw", "kernel", "dilation", "padding", "stride")
    _raw_backward = True

    @staticmethod
    def forward(
        ctx: Any,
        x: np.ndarray,
        kernel: Pair,
        dilation: Pair,
        padding: Pads,
        stride: Pair,
    ) -> np.ndarray:
        _check_dims("Unfold", x)
        n, c, h, w = x.shape
        oh, ow = _out_hw("Unfold", (h, w), kernel, dilation, padding, stride)
        ctx.hw, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride = (
            (h, w),
            kernel,
            dilation,
            padding,
            stride,
        )
        view = windows(pad_array(x, padding, 0), kernel, dilation, stride, (oh, ow))
        # (N, C*kh*kw, OH*OW): conv is then weight (O, C*kh*kw) @ cols, already in NCHW order
        return np.ascontiguousarray(view).reshape(n, c * kernel[0] * kernel[1], oh * ow)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        g = Fold._fwd(grad, ctx.hw, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride)
        return g, None, None, None, None


class Fold(Function):
    """y = zeros, y_padded[n, c, i*dh + oh*sh, j*dw + ow*sw] += cols[n, (c, i, j), (oh, ow)],
    then cropped;  dcols = unfold(grad)"""

    __slots__ = ("kernel", "dilation", "padding", "stride")
    _raw_backward = True

    @staticmethod
    def forward(
        ctx: Any,
        cols: np.ndarray,
        output_size: Pair,
        kernel: Pair,
        dilation: Pair,
        padding: Pads,
        stride: Pair,
    ) -> np.ndarray:
        _check_dims("Fold", cols, "(N, C*kh*kw, L)")
        n, ck, length = cols.shape
        kh, kw = kernel
        oh, ow = _out_hw("Fold", output_size, kernel, dilation, padding, stride)
        if ck % (kh * kw):
            raise OpError(
                f"Fold: the input's dim 1 ({ck}) must be divisible by the kernel's size "
                f"{kh} x {kw} = {kh * kw}"
            )
        if length != oh * ow:
            raise OpError(
                f"Fold: output_size {tuple(output_size)} with kernel_size {tuple(kernel)}, "
                f"dilation {tuple(dilation)}, padding {tuple(padding)} and stride {tuple(stride)} "
                f"has {oh} * {ow} = {oh * ow} blocks, but the input has {length} (dim 2)"
            )
        ctx.kernel, ctx.dilation, ctx.padding, ctx.stride = kernel, dilation, padding, stride
        c = ck // (kh * kw)
        h, w = output_size
        if tuple(stride) == (1, 1) and ow == w:  # rows as long as the image's: conv's usual case
            return _fold_rows(cols, (h, w), kernel, dilation, padding, oh)
        t, b, l, r = padding
        (dh, dw), (sh, sw) = dilation, stride
        blocks = cols.reshape(n, c, kh, kw, oh, ow)
        out = np.zeros((n, c, h + t + b, w + l + r), dtype=cols.dtype)
        # One strided add per kernel offset: within an offset no two blocks overlap, so each is
        # a plain vectorized +=, and overlaps across offsets add up (no np.add.at needed).
        for i in range(kh):
            for j in range(kw):
                out[
                    :,
                    :,
                    i * dh : i * dh + (oh - 1) * sh + 1 : sh,
                    j * dw : j * dw + (ow - 1) * sw + 1 : sw,
                ] += blocks[:, :, i, j]
        return out[:, :, t : t + h, l : l + w]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        g = Unfold._fwd(grad, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride)
        return g, None, None, None, None, None


def _fold_rows(
    cols: np.ndarray, hw: Pair, kernel: Pair, dilation: Pair, padding: Pads, oh: int
) -> np.ndarray:
    """Fold for stride 1 when each row of windows is as long as an image row (W windows).

    Tap (i, j) of window (y, x) reads pixel (y + dy, x + dx), which in a flattened image is
    y * W + x + s with s = dy * W + dx: one shift for the whole tap, so its columns go back in
    one contiguous add of ~H * W values per (n, c) (the strided add runs in rows of W). The
    windows whose pixel lies left or right of the image land, shifted, in the |dx| columns
    at the other edge, which this tap reaches with nothing else: they are kept aside and put
    back. Exact, and the same order of additions as the strided loop.
    """
    n, ck, _ = cols.shape
    kh, kw = kernel
    c = ck // (kh * kw)
    h, w = hw
    t, l = padding[0], padding[2]
    src = cols.reshape(n, c, kh, kw, oh * w)
    out = np.zeros((n, c, h * w), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            dy, dx = i * dilation[0] - t, j * dilation[1] - l
            if abs(dx) >= w:  # every pixel of this tap is padding
                continue
            s = dy * w + dx
            a, b = max(0, -s), min(oh * w, h * w - s)
            if a >= b:
                continue
            # a window row that starts in the row above (below) is cut off only at the
            # image's edge, where the shifted add wraps it into columns w + dx.. (0..dx)
            edge = range(w + dx, w) if dx < 0 else range(dx)
            kept = [out[:, :, k::w].copy() for k in edge]
            out[:, :, a + s : b + s] += src[:, :, i, j, a:b]
            for k, v in zip(edge, kept):
                out[:, :, k::w] = v
    return out.reshape(n, c, h, w)


def max_windows(
    x: np.ndarray, kernel: Pair, dilation: Pair, padding: Pads, stride: Pair
) -> tuple[np.ndarray, np.ndarray]:
    """The max of each window of x (N, C, H, W) (padding is -inf) and which tap holds it:
    ``(out, argmax)``, both (N, C, OH, OW), argmax numbering the taps i * kw + j.

    Ties go to the first tap and a NaN is always the max, as in PyTorch.

    Example:
        >>> import numpy as np
        >>> x = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])
        >>> out, arg = max_windows(x, (2, 2), (1, 1), (0, 0, 0, 0), (2, 2))
        >>> out.item(), arg.item()
        (3.0, 1)
    """
    _check_dims("MaxPool2d", x)
    n, c, h, w = x.shape
    oh, ow = _out_hw("MaxPool2d", (h, w), kernel, dilation, padding, stride)
    floating = x.dtype.kind == "f"
    low = -np.inf if floating else np.iinfo(x.dtype).min
    view = windows(pad_array(x, padding, low), kernel, dilation, stride, (oh, ow))
    kh, kw = kernel
    out, argmax = _max_taps(view, kh * kw, nan=False)
    # np.maximum propagates NaN, so a window holding one has a NaN max: only then run the
    # passes that point argmax at it (torch's `val > max || isnan(val)`)
    if floating and np.isnan(out).any():
        out, argmax = _max_taps(view, kh * kw, nan=True)
    if any(padding) and (out == low).any():
        # The window's real values all equal the padding's -inf: torch points at the first
        # real tap, not at the padding, so the gradient and the indices stay inside x.
        inside = _inside_taps((h, w), kernel, dilation, padding, stride, (oh, ow))
        first = np.argmax(inside.reshape(kh * kw, oh, ow), axis=0).astype(argmax.dtype)
        stuck = (out == low) & ~np.take_along_axis(
            inside.reshape(1, 1, kh * kw, oh, ow), argmax[:, :, None].astype(np.intp), axis=2
        )[:, :, 0]
        np.copyto(argmax, np.broadcast_to(first, argmax.shape), where=stuck)
    return out, argmax


def _max_taps(view: np.ndarray, taps: int, nan: bool) -> tuple[np.ndarray, np.ndarray]:
    """The max over the taps of ``windows(...)`` and the first tap that holds it: one pass
    per tap over strided views, no Python loop over pixels."""
    kw = view.shape[3]
    out = view[:, :, 0, 0].copy()
    kind = np.uint8 if taps <= 256 else np.int64
    argmax = np.zeros(out.shape, dtype=kind)
    better = np.empty(out.shape, dtype=bool)
    for k in range(1, taps):
        tap = view[:, :, k // kw, k % kw]
        np.greater(tap, out, out=better)  # strictly greater: the first max wins a tie
        if nan:
            better |= tap != tap
            np.copyto(out, tap, where=better)
        else:
            np.maximum(out, tap, out=out)
        # Taps come in increasing order, so max(argmax, k * better) sets k exactly where
        # this tap is better: two cheap passes (a masked copy is ~5x slower on random masks).
        np.maximum(argmax, np.multiply(better, kind(k), dtype=kind), out=argmax)
    return out, argmax


def _inside_taps(
    hw: Pair, kernel: Pair, dilation: Pair, padding: Pads, stride: Pair, out: Pair
) -> np.ndarray:
    """(kh, kw, OH, OW): does tap (i, j) of window (oh, ow) fall inside the unpadded input?"""
    rows = np.arange(out[0]) * stride[0] - padding[0] + np.arange(kernel[0])[:, None] * dilation[0]
    cols = np.arange(out[1]) * stride[1] - padding[2] + np.arange(kernel[1])[:, None] * dilation[1]
    in_r = (rows >= 0) & (rows < hw[0])  # (kh, OH)
    in_c = (cols >= 0) & (cols < hw[1])  # (kw, OW)
    return in_r[:, None, :, None] & in_c[None, :, None, :]


def argmax_to_indices(
    argmax: np.ndarray, hw: Pair, kernel: Pair, dilation: Pair, padding: Pads, stride: Pair
) -> np.ndarray:
    """Flat indices into each H x W plane (PyTorch's ``return_indices``) of the taps ``argmax``
    picks.

    A window lying wholly in the padding (dilation with padding can make one) has no real tap:
    its argmax is a padding tap, so its gradient falls in the padding and is dropped, and its
    index is that of the real element nearest to the tap, so that every index is valid.
    PyTorch's index there is not defined: it points outside the window, even outside the plane
    (and its backward then writes out of bounds).
    """
    oh, ow = argmax.shape[-2:]
    i, j = np.divmod(argmax.astype(np.int64), kernel[1])
    rows = np.arange(oh).reshape(oh, 1) * stride[0] - padding[0] + i * dilation[0]
    cols = np.arange(ow) * stride[1] - padding[2] + j * dilation[1]
    return np.clip(rows, 0, hw[0] - 1) * hw[1] + np.clip(cols, 0, hw[1] - 1)


class MaxPool2d(Function):
    """y = max of each window (padding is -inf);  dx = scatter_argmax(grad): each window's
    grad goes to its first max (PyTorch's tie rule; a NaN counts as the max)"""

    __slots__ = ("hw", "kernel", "dilation", "padding", "stride", "argmax")
    _raw_backward = True

    @staticmethod
    def forward(
        ctx: Any, x: np.ndarray, kernel: Pair, dilation: Pair, padding: Pads, stride: Pair
    ) -> np.ndarray:
        out, argmax = max_windows(x, kernel, dilation, padding, stride)
        ctx.hw, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride = (
            x.shape[2:],
            kernel,
            dilation,
            padding,
            stride,
        )
        ctx.argmax = argmax
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        g = ScatterArgmax._fwd(
            grad, ctx.argmax, ctx.hw, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride
        )
        return g, None, None, None, None


def _tap_slices(k: int, kernel: Pair, dilation: Pair, stride: Pair, out: Pair) -> Any:
    """The strided slice of the padded image that tap ``k`` of every window reads."""
    i, j = divmod(k, kernel[1])
    r, c = i * dilation[0], j * dilation[1]
    return (
        slice(None),
        slice(None),
        slice(r, r + (out[0] - 1) * stride[0] + 1, stride[0]),
        slice(c, c + (out[1] - 1) * stride[1] + 1, stride[1]),
    )


class ScatterArgmax(Function):
    """y = zeros (N, C, H, W) with each window's grad added at its argmax tap (max pooling's
    backward);  dgrad = gather_argmax(grad)"""

    __slots__ = ("argmax", "kernel", "dilation", "padding", "stride")
    _raw_backward = True

    @staticmethod
    def forward(
        ctx: Any,
        g: np.ndarray,
        argmax: np.ndarray,
        hw: Pair,
        kernel: Pair,
        dilation: Pair,
        padding: Pads,
        stride: Pair,
    ) -> np.ndarray:
        ctx.argmax, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride = (
            argmax,
            kernel,
            dilation,
            padding,
            stride,
        )
        n, c, oh, ow = g.shape
        t, b, l, r = padding
        h, w = hw
        shape = (n, c, h + t + b, w + l + r)
        spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        overlap = stride[0] < spans[0] or stride[1] < spans[1]
        # Windows that tile the padded image (the usual 2x2, stride 2) write every pixel once:
        # no zero fill needed.
        tiled = (
            tuple(dilation) == (1, 1)
            and tuple(stride) == tuple(kernel)
            and (oh * stride[0], ow * stride[1]) == shape[2:]
        )
        out = np.empty(shape, dtype=g.dtype) if tiled else np.zeros(shape, dtype=g.dtype)
        # One pass per tap: within a tap no two windows share a pixel, so a strided write is
        # exact; windows that overlap add up across taps. g * mask goes straight into the
        # strided slice (3x faster than np.where), but inf * 0 and nan * 0 are nan, so a
        # non-finite g takes np.where and the other taps still get exact zeros.
        finite = all_finite(g)
        zero = np.zeros((), dtype=g.dtype)
        for k in range(kernel[0] * kernel[1]):
            sl = _tap_slices(k, kernel, dilation, stride, (oh, ow))
            hit = argmax == k
            if not finite:
                if tiled:
                    out[sl] = np.where(hit, g, zero)
                else:
                    out[sl] += np.where(hit, g, zero)
            elif overlap:
                out[sl] += g * hit
            else:
                np.multiply(g, hit, out=out[sl])
        return out[:, :, t : t + h, l : l + w] if any(padding) else out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        gg = GatherArgmax._fwd(grad, ctx.argmax, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride)
        return gg, None, None, None, None, None, None


class GatherArgmax(Function):
    """y[n, c, oh, ow] = x_padded at window (oh, ow)'s argmax tap;  dx = scatter_argmax(grad)"""

    __slots__ = ("hw", "argmax", "kernel", "dilation", "padding", "stride")
    _raw_backward = True

    @staticmethod
    def forward(
        ctx: Any,
        x: np.ndarray,
        argmax: np.ndarray,
        kernel: Pair,
        dilation: Pair,
        padding: Pads,
        stride: Pair,
    ) -> np.ndarray:
        ctx.hw, ctx.argmax, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride = (
            x.shape[2:],
            argmax,
            kernel,
            dilation,
            padding,
            stride,
        )
        xp = pad_array(x, padding, 0)
        out_hw = argmax.shape[2:]
        out = np.zeros(argmax.shape, dtype=x.dtype)
        for k in range(kernel[0] * kernel[1]):
            tap = xp[_tap_slices(k, kernel, dilation, stride, out_hw)]
            np.copyto(out, tap, where=argmax == k)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        g = ScatterArgmax._fwd(
            grad, ctx.argmax, ctx.hw, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride
        )
        return g, None, None, None, None, None


class Pad(Function):
    """y = x with constant borders (``pads``: (before, after) for each trailing dim);
    dx = grad with the borders cut off"""

    __slots__ = ("index",)
    _raw_backward = True

    @staticmethod
    def forward(
        ctx: Any, x: np.ndarray, pads: tuple[tuple[int, int], ...], value: Any = 0
    ) -> np.ndarray:
        lead = x.ndim - len(pads)
        if lead < 0:
            raise OpError(f"Pad: {len(pads)} dims to pad, but the input has {x.ndim}")
        if any(a < 0 or b < 0 for a, b in pads):
            raise OpError(f"Pad: pads must be non-negative, got {pads}")
        shape = x.shape[:lead] + tuple(n + a + b for n, (a, b) in zip(x.shape[lead:], pads))
        index = (slice(None),) * lead + tuple(
            slice(a, a + n) for n, (a, _) in zip(x.shape[lead:], pads)
        )
        out = np.full(shape, value, dtype=x.dtype)
        out[index] = x
        ctx.index = index
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return grad[ctx.index], None, None
