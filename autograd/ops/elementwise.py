"""Elementwise primitives: arithmetic, unary math, maximum/minimum, where, clamp, casts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor

# next_functions of an unrecorded call (the ctx that saves nothing): no input needs a gradient
_NO_INPUTS = (None, None)


def zeros_of(grad: Any) -> np.ndarray:
    """A zero gradient of ``grad``'s shape and dtype: exact zeros, as PyTorch's zeros_like,
    where ``grad * 0.0`` would give NaN for an inf gradient and -0.0 for a negative one."""
    return np.zeros(grad.shape, grad.dtype)


def _floating(x: np.ndarray) -> np.ndarray:
    """Math on integers gives float32 (as in PyTorch), not NumPy's float64."""
    return x if x.dtype.kind in "fc" else x.astype(np.float32)


class Add(Function):
    """z = a + b;  da = grad, db = grad"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> np.ndarray:
        return np.add(a, b)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return grad, grad


class Sub(Function):
    """z = a - b;  da = grad, db = -grad"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> np.ndarray:
        return np.subtract(a, b)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return grad, (-grad if ctx.next_functions[1] is not None else None)


class Mul(Function):
    """z = a * b;  da = grad * b, db = grad * a"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> np.ndarray:
        # Each operand is kept only for the other's gradient, as PyTorch does: y * 2.0
        # keeps 2.0, not y, and y is freed as soon as nothing else holds it.
        na, nb = ctx.next_functions or _NO_INPUTS
        ctx.save_for_backward(a if nb is not None else None, b if na is not None else None)
        return np.multiply(a, b)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        a, b = ctx.saved_tensors
        na, nb = ctx.next_functions
        return (grad * b if na is not None else None), (grad * a if nb is not None else None)


def _integral(x: Any) -> bool:
    return np.asarray(x).dtype.kind in "biu"


def _int_power(a: Any, b: Any) -> np.ndarray:
    """Integer powers as PyTorch's: a negative exponent in a tensor gives 1 ** b = 1,
    (-1) ** b = +-1 and 0 for every other base (NumPy raises); a negative number as the
    exponent is an error, as there."""
    if not isinstance(b, np.ndarray) and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    neg = np.asarray(b) < 0
    if not neg.any():
        return np.power(a, b)
    out = np.power(a, np.where(neg, 0, b))
    small = np.where(a == -1, np.where(np.asarray(b) % 2 == 0, 1, -1), np.asarray(a) == 1)
    return np.where(neg, small.astype(out.dtype), out)


class Div(Function):
    """z = a / b;  da = grad / b, db = -grad * a / b**2"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> np.ndarray:
        nb = (ctx.next_functions or _NO_INPUTS)[1]
        ctx.save_for_backward(a if nb is not None else None, b)  # a only for b's gradient
        return np.true_divide(a, b)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        a, b = ctx.saved_tensors
        na, nb = ctx.next_functions
        ga = grad / b if na is not None else None
        gb = -grad * a / (b * b) if nb is not None else None
        return ga, gb


class Pow(Function):
    """z = a ** b;  da = grad * b * a**(b-1) (0 where b == 0), db = grad * z * log(a)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> np.ndarray:
        out = _int_power(a, b) if _integral(a) and _integral(b) else np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        a, b, out = ctx.saved_tensors
        na, nb = ctx.next_functions
        ga = gb = None
        if na is not None:
            if isinstance(b, (int, float)):
                ga = zeros_of(grad) if b == 0 else grad * b * a ** (b - 1)
            else:
                ga = Where._fwd(np.asarray(b) == 0, 0.0, grad * b * a ** (b - 1))
        if nb is not None:
            if isinstance(a, (int, float)):
                log_a = math.log(a) if a > 0 else (-math.inf if a == 0 else math.nan)
                gb = grad * out * log_a
                if a == 0:  # the same rule for a Python base 0 as for a tensor one
                    gb = Where._fwd(np.asarray(b) >= 0, 0.0, gb)
            else:
                # 0 ** b for b >= 0 has zero slope in b (PyTorch's choice), not 0 * log(0)
                zero = (np.asarray(a) == 0) & (np.asarray(b) >= 0)
                safe_a = Where._fwd(zero, 1.0, a)
                gb = Where._fwd(zero, 0.0, grad * out * Log._fwd(safe_a))
        return ga, gb


class Neg(Function):
    """y = -x;  dx = -grad"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return np.negative(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return -grad


class Exp(Function):
    """y = exp(x);  dx = grad * y"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = np.exp(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    """y = log(x);  dx = grad / x"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log(_floating(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        return grad / x


class Log1p(Function):
    """y = log(1 + x);  dx = grad / (1 + x)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log1p(_floating(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        return grad / (x + 1.0)


class Sqrt(Function):
    """y = sqrt(x);  dx = grad / (2 y)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = np.sqrt(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (out,) = ctx.saved_tensors
        return grad / (out * 2.0)


class Rsqrt(Function):
    """y = 1 / sqrt(x);  dx = -grad * y**3 / 2"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = 1.0 / np.sqrt(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (out,) = ctx.saved_tensors
        return grad * out * out * out * -0.5


class Sin(Function):
    """y = sin(x);  dx = grad * cos(x)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.sin(_floating(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        return grad * Cos._fwd(x)


class Cos(Function):
    """y = cos(x);  dx = -grad * sin(x)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.cos(_floating(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        return -grad * Sin._fwd(x)


class Tan(Function):
    """y = tan(x);  dx = grad * (1 + y**2)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = np.tan(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (out,) = ctx.saved_tensors
        return grad * (out * out + 1.0)


class Tanh(Function):
    """y = tanh(x);  dx = grad * (1 - y**2)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = np.tanh(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (out,) = ctx.saved_tensors
        return grad * (1.0 - out * out)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)), computed without overflow;  dx = grad * y * (1 - y)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (out,) = ctx.saved_tensors
        return grad * out * (1.0 - out)


class Abs(Function):
    """y = |x|;  dx = grad * sign(x) (0 at x == 0, as PyTorch)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        return grad * Sign._fwd(x)  # recorded under create_graph: zero second derivative


class Sign(Function):
    """y = sign(x);  dx = 0"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return _sign(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return zeros_of(grad)


def _sign(x: np.ndarray) -> np.ndarray:
    """PyTorch's sign: (x > 0) - (x < 0), so 0 for NaN and for -0.0 (NumPy's gives NaN and
    keeps the zero's sign); complex numbers keep NumPy's z / |z|."""
    if x.dtype.kind == "c":
        return np.sign(x)
    return np.subtract(x > 0, x < 0, dtype=x.dtype)


class Reciprocal(Function):
    """y = 1 / x;  dx = -grad * y**2"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        out = np.reciprocal(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (out,) = ctx.saved_tensors
        return -grad * out * out


class Maximum(Function):
    """z = max(a, b);  the larger input gets grad; a tie splits it in halves (PyTorch)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> np.ndarray:
        out = np.maximum(a, b)
        _save_keep_masks(ctx, a, b, out.dtype, np.less, np.greater)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return _masked_pair(ctx, grad)


class Minimum(Function):
    """z = min(a, b);  the smaller input gets grad; a tie splits it in halves (PyTorch)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> np.ndarray:
        out = np.minimum(a, b)
        _save_keep_masks(ctx, a, b, out.dtype, np.greater, np.less)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return _masked_pair(ctx, grad)


def all_finite(grad: Any) -> bool:
    """Is every value of a gradient (an array, or a Tensor in a recorded backward) finite?"""
    return bool(np.isfinite(grad.data if isinstance(grad, Tensor) else grad).all())


def _masked(grad: Any, mask: Any) -> Any:
    """``grad * mask`` with exact zeros where ``mask`` is 0, as PyTorch's masked_fill gives:
    an inf or NaN gradient there becomes 0, not NaN. The product is 10x faster than a masked
    select on a random pattern, so the select only runs for a gradient that has a non-finite
    value in it."""
    if all_finite(grad):
        return grad * mask
    return Where._fwd(np.asarray(mask != 0), grad * mask, 0.0)


def _save_keep_masks(ctx: Any, a: Any, b: Any, dtype: np.dtype, a_loses: Any, b_loses: Any) -> None:
    """For max/min: each input's gradient mask, 1 where it is taken, 0.5 on a tie and 0
    where it strictly loses (as PyTorch's masked_fill, so a NaN on either side gives both
    inputs the gradient), saved only for the inputs that need a gradient."""
    na, nb = ctx.next_functions or _NO_INPUTS
    tie = np.equal(a, b) * np.asarray(0.5, dtype)
    ctx.save_for_backward(
        np.logical_not(a_loses(a, b)).astype(dtype) - tie if na is not None else None,
        np.logical_not(b_loses(a, b)).astype(dtype) - tie if nb is not None else None,
    )


def _masked_pair(ctx: Any, grad: Any) -> tuple[Any, Any]:
    ma, mb = ctx.saved_tensors
    return (
        _masked(grad, ma) if ma is not None else None,
        _masked(grad, mb) if mb is not None else None,
    )


class Where(Function):
    """z = a where cond else b;  da = grad where cond, db = grad elsewhere"""

    __slots__ = ("cond",)
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
        ctx.cond = cond
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        _, na, nb = ctx.next_functions
        ga = Where._fwd(ctx.cond, grad, 0.0) if na is not None else None
        gb = Where._fwd(ctx.cond, 0.0, grad) if nb is not None else None
        return None, ga, gb


class Clamp(Function):
    """y = min(max(x, lo), hi);  dx = grad where lo <= x <= hi (bounds included, as PyTorch)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
        ctx.save_for_backward(x, lo, hi)
        out = x
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not x else x.copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        x, lo, hi = ctx.saved_tensors
        xd = np.asarray(x)
        lod = None if lo is None else np.asarray(lo)
        hid = None if hi is None else np.asarray(hi)
        # Masks broadcast (a bound may be larger than x). Where min > max the output is max:
        # only max gets the gradient there (PyTorch's clamp_backward_min_max).
        inside: Any = True
        glo = ghi = None
        if lod is not None:
            inside = inside & (xd >= lod)
            if ctx.next_functions[1] is not None:
                below = xd < lod if hid is None else (xd < lod) & (lod < hid)
                glo = Where._fwd(below, grad, 0.0)
        if hid is not None:
            inside = inside & (xd <= hid)
            if ctx.next_functions[2] is not None:
                above = xd > hid if lod is None else (xd > hid) | (hid < lod)
                ghi = Where._fwd(above, grad, 0.0)
        return Where._fwd(np.asarray(inside), grad, 0.0), glo, ghi


class Cast(Function):
    """y = x as another dtype;  dx = grad cast back"""

    __slots__ = ("dtype",)
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return Cast._fwd(grad, ctx.dtype), None


class Clone(Function):
    """y = a copy of x;  dx = grad"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return grad


class Fill(Function):
    """y = value everywhere (x's shape);  dx = 0"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, value: Any) -> np.ndarray:
        return np.full_like(x, value)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return zeros_of(grad), None


class Copy(Function):
    """y = src broadcast to x's shape (x.copy_(src));  dx = 0, dsrc = grad"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, src: np.ndarray) -> np.ndarray:
        return np.broadcast_to(src, x.shape).copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return zeros_of(grad), grad
