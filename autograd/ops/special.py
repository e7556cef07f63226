"""Special-function primitives: the error function (NumPy has none), the Heaviside step and
ReLU."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..function import Function
from ..grad_mode import state
from ..tensor import Tensor
from .elementwise import Exp, Sign, Where, _masked, all_finite, zeros_of

# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
# as in his CALERF (Netlib specfun): max relative error near 1e-16 in float64 on each interval.
_THRESH = 0.46875
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)  # fmt: skip
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)  # fmt: skip
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)  # fmt: skip
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)  # fmt: skip
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)  # fmt: skip
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)  # fmt: skip
_INV_SQRT_PI = 5.6418958354775628695e-1
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _exp_neg_square(y: np.ndarray) -> np.ndarray:
    """exp(-y*y) with y*y split into an exact part and a small rest, as Cody does, so the
    rounding of y*y does not cost relative accuracy in erfc for large y."""
    ysq = np.trunc(y * 16.0) / 16.0
    rest = (y - ysq) * (y + ysq)
    return np.exp(-ysq * ysq) * np.exp(-rest)


def erfc_array(x: np.ndarray) -> np.ndarray:
    """erfc of a float64 array, accurate in relative terms even where erf(x) rounds to 1."""
    return _erf_erfc(x)[1]


def erf_array(x: np.ndarray) -> np.ndarray:
    """erf of a float64 array, to about 1e-16 relative error (Cody's rational approximations).

    Example:
        >>> import numpy as np, math
        >>> from autograd.ops.special import erf_array
        >>> bool(abs(erf_array(np.array([0.5]))[0] - math.erf(0.5)) < 1e-16)
        True
    """
    return _erf_erfc(x)[0]


def _erf_erfc(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    erf = np.empty_like(x)
    erfc = np.empty_like(x)
    with np.errstate(all="ignore"):
        small = y <= _THRESH
        if small.any():
            xs = x[small]
            z = xs * xs
            num = _A[4] * z
            den = z
            for i in range(3):
                num = (num + _A[i]) * z
                den = (den + _B[i]) * z
            e = xs * (num + _A[3]) / (den + _B[3])
            erf[small] = e
            erfc[small] = 1.0 - e
        mid = (y > _THRESH) & (y <= 4.0)
        if mid.any():
            ym = y[mid]
            num = _C[8] * ym
            den = ym
            for i in range(7):
                num = (num + _C[i]) * ym
                den = (den + _D[i]) * ym
            c = _exp_neg_square(ym) * (num + _C[7]) / (den + _D[7])
            _store(x[mid], c, mid, erf, erfc)
        big = ~(small | mid)  # |x| > 4, and NaN (which propagates)
        if big.any():
            # erfc underflows to 0 past 27; clipping keeps inf from making inf - inf = NaN
            yb = np.minimum(y[big], 27.0)
            z = 1.0 / (yb * yb)
            num = _P[5] * z
            den = z
            for i in range(4):
                num = (num + _P[i]) * z
                den = (den + _Q[i]) * z
            r = z * (num + _P[4]) / (den + _Q[4])
            c = _exp_neg_square(yb) * ((_INV_SQRT_PI - r) / yb)
            _store(x[big], c, big, erf, erfc)
    return erf, erfc


def _store(
    x: np.ndarray, c: np.ndarray, mask: np.ndarray, erf: np.ndarray, erfc: np.ndarray
) -> None:
    """From c = erfc(|x|): erf(x) = sign(x) (1 - c), erfc(x) = c or 2 - c."""
    neg = x < 0
    erf[mask] = np.where(neg, c - 1.0, 1.0 - c)
    erfc[mask] = np.where(neg, 2.0 - c, c)


class Erf(Function):
    """y = erf(x);  dx = grad * 2 / sqrt(pi) * exp(-x**2)"""

    __slots__ = ()
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
        return erf_array(x).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        return grad * Exp._fwd(-(x * x)) * _TWO_OVER_SQRT_PI


class Heaviside(Function):
    """y = 0 for x < 0, values for x == 0, 1 for x > 0;  dx = 0, dvalues = grad where x == 0"""

    __slots__ = ("at_zero",)
    _raw_backward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, values: Any) -> np.ndarray:
        ctx.at_zero = x == 0
        return np.heaviside(x, values)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        nx, nv = ctx.next_functions
        # The step is flat almost everywhere: a zero gradient (not None) keeps the input in
        # the graph, so a perceptron built on it trains nothing rather than failing.
        gx = zeros_of(grad) if nx is not None else None
        gv = Where._fwd(ctx.at_zero, grad, 0.0) if nv is not None else None
        return gx, gv


class Relu(Function):
    """y = max(x, 0);  dx = grad where y != 0 (0 at x <= 0 as PyTorch; NaN passes both ways)"""

    __slots__ = ()
    _raw_backward = True  # an operator and a comparison: the same on arrays and Tensors
    _grad_inplace = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        # One pass, where a composite (where(x > 0, x, 0)) takes two and np.where's masked
        # select is ~10x slower than np.maximum on a random sign pattern.
        out = np.maximum(x, x.dtype.type(0))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        keep = out != 0  # out >= 0, or NaN: a NaN input passes its gradient, as in PyTorch
        if state.grad_owned and all_finite(grad):  # the engine's own buffer: the product there
            return np.multiply(grad, keep, out=grad)
        if isinstance(out, Tensor):  # create_graph: the result depends on out with derivative
            # 0, as PyTorch's threshold_backward does (so it requires grad when out does)
            return _masked(grad, keep) + Sign._fwd(out) * 0.0
        return _masked(grad, keep)  # exact zeros where out <= 0, even from an inf gradient
