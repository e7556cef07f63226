"""Tensor: an n-dimensional array that records the ops made from it, for reverse-mode autodiff."""

from __future__ import annotations

import math
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import dtypes
from .errors import OpError
from .grad_mode import state

Real = float  # a Python number; inside Tensor, `float` names the method


class Tensor:
    """A NumPy array with a gradient: ops on it are recorded so ``backward()`` can run.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "grad_fn",
        "name",
        "_output_nr",
        "_version",
        "_base",
        "_hooks",
        "__weakref__",
    )
    __array_ufunc__ = None  # NumPy defers to our reflected operators: array * tensor -> Tensor
    __hash__ = object.__hash__  # == is elementwise; identity is the hash, as in PyTorch

    data: np.ndarray
    grad: Tensor | None
    requires_grad: bool
    grad_fn: Any
    name: str | None
    _output_nr: int
    _version: list[Any] | None
    _base: Tensor | None
    _hooks: list[Callable[[Tensor], Any]] | None

    def __init__(
        self, data: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None
    ) -> None:
        self.data = _to_array(data, dtype)
        self.grad = None
        self.requires_grad = False
        self.grad_fn = None
        self.name = name
        self._output_nr = 0
        self._version = None
        self._base = None
        self._hooks = None
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data: np.ndarray, grad_fn: Any = None, nr: int = 0) -> Tensor:
        """Wrap an array without checks or copies (the ops' fast path)."""
        t = _new(Tensor)
        t.data = data
        t.grad = None
        t.requires_grad = grad_fn is not None
        t.grad_fn = grad_fn
        t.name = None
        t._output_nr = nr
        t._version = None
        t._base = None
        t._hooks = None
        return t

    # -- attributes ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_leaf(self) -> bool:
        """True for tensors no recorded op made (user-created, or not requiring grad)."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of one dim."""
        if dim is None:
            return self.shape
        return self.shape[_dim(dim, self.ndim, "size")]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise OpError(
                f"item(): a Tensor with {self.data.size} elements cannot be converted to a "
                f"Python number"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    # -- graph ----------------------------------------------------------------------------------
    def detach(self) -> Tensor:
        """A tensor sharing this data (and version counter), cut from the graph."""
        t = Tensor._make(self.data)
        t._version = self._ensure_version()
        t.name = self.name
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording ops on this leaf tensor."""
        if requires_grad and not dtypes.is_floating(self.data.dtype):
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, not {self.data.dtype}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf tensors; use .detach()"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        self.grad_fn._extras().setdefault("retain", {})[self._output_nr] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return bool(fn is not None and fn._extra and self._output_nr in fn._extra.get("retain", {}))

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            hooks = self.grad_fn._extras().setdefault("hooks", {}).setdefault(self._output_nr, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad."""
        _engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def _clear_grad(self, set_to_none: bool) -> None:
        """``zero_grad`` for one tensor (Module's and Optimizer's): drop ``.grad``, or zero it
        in place as PyTorch does (whoever holds the gradient Tensor sees the zeros)."""
        g = self.grad
        if g is None:
            return
        if set_to_none:
            self.grad = None
            return
        if g.grad_fn is not None:  # a create_graph gradient: cut it loose
            g.detach_()
        else:
            g.requires_grad_(False)
        g.zero_()

    def _ensure_version(self) -> list[Any]:
        box = self._version
        if box is None:
            # Made once per tensor, under a lock: two threads taking the first views of one
            # tensor must get the same counter (the node's lookup is a call, where the
            # interpreter can switch threads).
            with _VERSION_LOCK:
                box = self._version
                if box is None:  # an op's output: its node makes it (and checks it if saved)
                    fn = self.grad_fn
                    nr = self._output_nr
                    box = self._version = [0, "", 0] if fn is None else fn._output_box(nr)
        return box

    def _share_version(self, src: Any, out: np.ndarray) -> None:
        """Make this output of a view op share ``src``'s version counter (if memory is shared)."""
        if isinstance(src, Tensor) and np.may_share_memory(out, src.data):
            self._version = src._ensure_version()
            self._base = src._base if src._base is not None else src

    def _bump(self, op: str) -> None:
        box = self._ensure_version()
        box[0] += 1
        box[1] = op
        _function.EPOCH[0] += 1  # some tensor changed in place: saved tensors get checked

    @property
    def _version_count(self) -> int:
        return 0 if self._version is None else self._version[0]

    # -- printing and Python protocols --------------------------------------------------------
    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype not in _DEFAULT_DTYPES:
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __format__(self, spec: str) -> str:
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return repr(self) if not spec else format(self.data, spec)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self.data.size} values is ambiguous; "
                f"use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> Real:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self.data.item())

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        return self.data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.data.__dlpack_device__()

    # -- arithmetic operators -------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return Add._apply2(*_operands(self, other))

    def __radd__(self, other: Any) -> Tensor:
        return Add._apply2(*_operands(other, self))

    def __sub__(self, other: Any) -> Tensor:
        return Sub._apply2(*_operands(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        return Sub._apply2(*_operands(other, self))

    def __mul__(self, other: Any) -> Tensor:
        return Mul._apply2(*_operands(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return Mul._apply2(*_operands(other, self))

    def __truediv__(self, other: Any) -> Tensor:
        return Div._apply2(*_operands(self, other, floating=True))

    def __rtruediv__(self, other: Any) -> Tensor:
        return Div._apply2(*_operands(other, self, floating=True))

    def __pow__(self, other: Any) -> Tensor:
        return Pow._apply2(*_operands(self, other, numbers=False))

    def __rpow__(self, other: Any) -> Tensor:
        return Pow._apply2(*_operands(other, self, numbers=False))

    def __matmul__(self, other: Any) -> Tensor:
        return MatMul.apply(*_operands(*_same_dtype_matmul(self, other)))

    def __rmatmul__(self, other: Any) -> Tensor:
        return MatMul.apply(*_operands(*_same_dtype_matmul(other, self)))

    def __neg__(self) -> Tensor:
        return Neg._apply1(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return Abs._apply1(self)

    # -- comparisons and logic (no gradient) ----------------------------------------------------
    def __lt__(self, other: Any) -> Tensor:
        return _compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _compare(np.greater_equal, self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        if not isinstance(other, _COMPARABLE):  # a str, None, a list: False, as in PyTorch
            return NotImplemented
        return _compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        if not isinstance(other, _COMPARABLE):
            return NotImplemented
        return _compare(np.not_equal, self, other)

    def __and__(self, other: Any) -> Tensor:
        return _logical(np.bitwise_and, self, other)

    __rand__ = __and__

    def __or__(self, other: Any) -> Tensor:
        return _logical(np.bitwise_or, self, other)

    __ror__ = __or__

    def __xor__(self, other: Any) -> Tensor:
        return _logical(np.bitwise_xor, self, other)

    __rxor__ = __xor__

    def __invert__(self) -> Tensor:
        if self.data.dtype.kind not in "biu":
            raise TypeError(f"~ is only defined for bool and integer tensors, not {self.dtype}")
        return Tensor._make(np.invert(self.data))

    def lt(self, other: Any) -> Tensor:
        return self < other

    def le(self, other: Any) -> Tensor:
        return self <= other

    def gt(self, other: Any) -> Tensor:
        return self > other

    def ge(self, other: Any) -> Tensor:
        return self >= other

    def eq(self, other: Any) -> Tensor:
        return self == other

    def ne(self, other: Any) -> Tensor:
        return self != other

    def equal(self, other: Tensor) -> bool:
        """True if both tensors have the same shape and elements."""
        return self.shape == other.shape and bool(np.array_equal(self.data, other.data))

    def allclose(self, other: Any, rtol: Real = 1e-5, atol: Real = 1e-8) -> bool:
        return bool(np.allclose(self.data, _data(other), rtol=rtol, atol=atol))

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return Tensor._make(
            np.asarray(np.any(self.data, axis=self._dims(dim, "any"), keepdims=keepdim))
        )

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return Tensor._make(
            np.asarray(np.all(self.data, axis=self._dims(dim, "all"), keepdims=keepdim))
        )

    def isnan(self) -> Tensor:
        return Tensor._make(np.isnan(self.data))

    def isfinite(self) -> Tensor:
        return Tensor._make(np.isfinite(self.data))

    # -- elementwise math -----------------------------------------------------------------------
    def add(self, other: Any, alpha: Real = 1) -> Tensor:
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: Real = 1) -> Tensor:
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any) -> Tensor:
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def matmul(self, other: Any) -> Tensor:
        return self @ other

    def neg(self) -> Tensor:
        return Neg._apply1(self)

    def exp(self) -> Tensor:
        return Exp._apply1(self)

    def log(self) -> Tensor:
        return Log._apply1(self)

    def log1p(self) -> Tensor:
        return Log1p._apply1(self)

    def sqrt(self) -> Tensor:
        return Sqrt._apply1(self)

    def rsqrt(self) -> Tensor:
        return Rsqrt._apply1(self)

    def sin(self) -> Tensor:
        return Sin._apply1(self)

    def cos(self) -> Tensor:
        return Cos._apply1(self)

    def tan(self) -> Tensor:
        return Tan._apply1(self)

    def tanh(self) -> Tensor:
        return Tanh._apply1(self)

    def sigmoid(self) -> Tensor:
        return Sigmoid._apply1(self)

    def erf(self) -> Tensor:
        return Erf._apply1(self)

    def heaviside(self, values: Any) -> Tensor:
        """The step function: 0 below zero, ``values`` at zero, 1 above; zero gradient."""
        return Heaviside.apply(*_operands(self, values))

    def relu(self) -> Tensor:
        """max(x, 0), with gradient 0 at x == 0 (PyTorch's choice)."""
        return Relu._apply1(self)

    def abs(self) -> Tensor:
        return Abs._apply1(self)

    def sign(self) -> Tensor:
        return Sign._apply1(self)

    def reciprocal(self) -> Tensor:
        return Reciprocal._apply1(self)

    def square(self) -> Tensor:
        return self * self

    def maximum(self, other: Any) -> Tensor:
        return Maximum.apply(*_operands(self, other))

    def minimum(self, other: Any) -> Tensor:
        return Minimum.apply(*_operands(self, other))

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit values to [min, max]; the gradient passes where min <= x <= max."""
        if min is None and max is None:
            raise OpError("clamp: at least one of 'min' and 'max' must be given")
        # PyTorch's result dtype: an integer tensor clamped to float bounds gives float32
        dt = dtypes.result_type(self, *(b for b in (min, max) if b is not None))
        x = self if dt == self.data.dtype else self.astype(dt)
        return Clamp.apply(x, _bound(min, x), _bound(max, x))

    clip = clamp

    # -- reductions -------------------------------------------------------------------------------
    def _dims(self, dim: Any, op: str, axis: Any = None) -> tuple[int, ...] | None:
        if axis is not None:
            if dim is not None:
                raise TypeError(f"{op}(): give either 'dim' or 'axis', not both")
            dim = axis
        return _dims(dim, self.data.ndim, op)

    def sum(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
        dtype: Any = None,
    ) -> Tensor:
        x = self if dtype is None else self.astype(dtype)
        return Sum._apply1(x, self._dims(dim, "sum", axis), _kd(keepdim, keepdims))

    def mean(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
        dtype: Any = None,
    ) -> Tensor:
        x = _floating_input(self if dtype is None else self.astype(dtype), "mean")
        dims = self._dims(dim, "mean", axis)
        return x.sum(dims, _kd(keepdim, keepdims)) / _count(self.shape, dims)

    def var(
        self,
        dim: Any = None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: Real | None = None,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Variance over dims with Bessel's ``correction`` (1 by default, as PyTorch)."""
        if isinstance(dim, bool):  # var(False): PyTorch's overload var(unbiased)
            dim, unbiased = None, dim
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        dims = self._dims(dim, "var", axis)
        if _count(self.shape, dims) - correction <= 0:
            warnings.warn("var(): degrees of freedom is <= 0", UserWarning, stacklevel=2)
        return Var.apply(_floating_input(self, "var"), dims, correction, _kd(keepdim, keepdims))

    def std(
        self,
        dim: Any = None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: Real | None = None,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Standard deviation: the square root of ``var`` with the same arguments. Where it is
        0 its gradient is 0, as in PyTorch (not 0 * inf = NaN)."""
        v = self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)
        nonzero = np.asarray(v.data != 0)
        if nonzero.all():
            return v.sqrt()
        return where(nonzero, where(nonzero, v, 1.0).sqrt(), 0.0)

    def prod(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return Prod.apply(self, self._dims(dim, "prod", axis), _kd(keepdim, keepdims))

    def amax(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return Amax.apply(self, self._dims(dim, "amax", axis), _kd(keepdim, keepdims))

    def amin(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return Amin.apply(self, self._dims(dim, "amin", axis), _kd(keepdim, keepdims))

    def max(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Any:
        """The largest value; with ``dim``, a ``(values, indices)`` pair; with a Tensor,
        the elementwise maximum."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._extreme(dim, keepdim, axis, keepdims, "max")

    def min(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Any:
        """The smallest value; with ``dim``, a ``(values, indices)`` pair; with a Tensor,
        the elementwise minimum."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._extreme(dim, keepdim, axis, keepdims, "min")

    def _extreme(self, dim: Any, keepdim: bool, axis: Any, keepdims: bool | None, op: str) -> Any:
        if axis is not None:
            dim = axis
        keep = _kd(keepdim, keepdims)
        if dim is None:
            return Max.apply(self, None, False) if op == "max" else Min.apply(self, None, False)
        if not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{op}(): 'dim' must be an int, not {type(dim).__name__}")
        d = _dim(dim, self.ndim, op)
        if self.shape and self.shape[d] == 0:
            raise OpError(f"{op}(): cannot reduce over an empty dim {d} of shape {self.shape}")
        find = np.argmax if op == "max" else np.argmin
        idx = np.expand_dims(find(self.data, axis=d), d) if self.ndim else np.zeros((), np.int64)
        values = take_along_dim(self, idx, d) if self.ndim else self.clone()
        if self.ndim and not keep:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return MinMax(values, Tensor._make(idx.astype(np.int64, copy=False)))

    def argmax(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return self._arg(np.argmax, dim if axis is None else axis, _kd(keepdim, keepdims), "argmax")

    def argmin(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return self._arg(np.argmin, dim if axis is None else axis, _kd(keepdim, keepdims), "argmin")

    def _arg(self, find: Any, dim: Any, keepdim: bool, op: str) -> Tensor:
        if dim is None:
            _check_choosable(self.shape, None, f"{op}()")
            out = np.asarray(find(self.data))
            if keepdim:
                out = out.reshape((1,) * self.ndim)
        else:
            d = _dim(dim, self.ndim, op)
            if self.ndim:
                _check_choosable(self.shape, (d,), f"{op}()")
            out = (
                np.asarray(find(self.data, axis=d, keepdims=keepdim))
                if self.ndim
                else np.zeros((), np.int64)
            )
        return Tensor._make(out.astype(np.int64, copy=False))

    def logsumexp(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return LogSumExp.apply(self, self._dims(dim, "logsumexp", axis), _kd(keepdim, keepdims))

    def softmax(self, dim: int = -1) -> Tensor:
        return Softmax.apply(_float(self), _dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: int = -1) -> Tensor:
        return LogSoftmax.apply(_float(self), _dim(dim, self.ndim, "log_softmax"))

    def norm(
        self, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None
    ) -> Tensor:
        """The p-norm over dims (all by default): 'fro'/2, 1, inf, -inf, 0 or any p > 0."""
        x = _float(self if dtype is None else self.astype(dtype))
        dims = self._dims(dim, "norm")
        if p in ("fro", 2, 2.0):
            return Norm.apply(x, dims, keepdim)
        if p == 1:
            return x.abs().sum(dims, keepdim)
        if p == math.inf:
            return x.abs().amax(dims, keepdim)
        if p == -math.inf:
            return x.abs().amin(dims, keepdim)
        if p == 0:
            return (x != 0).sum(dims, keepdim).astype(x.dtype)
        if isinstance(p, (int, float)):
            # Zeros are masked in both powers: |x|**p and s**(1/p) have infinite slopes at 0,
            # and PyTorch's gradient there is 0, not inf * 0 = nan.
            a = x.abs()
            zero = a.data == 0
            powered = where(zero, 0.0, where(zero, 1.0, a) ** p)
            total = powered.sum(dims, keepdim)
            empty = total.data == 0
            return where(empty, 0.0, where(empty, 1.0, total) ** (1.0 / p))
        raise OpError(f"norm(): unsupported p={p!r} (use 'fro', a number, inf or -inf)")

    # -- shape ------------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        return Reshape._apply1(self, _shape_arg(shape, "reshape"))

    def view(self, *shape: Any) -> Tensor:
        return Reshape._apply1(self, _shape_arg(shape, "view"))

    def view_as(self, other: Tensor) -> Tensor:
        return Reshape._apply1(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return Reshape._apply1(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _dim(start_dim, self.ndim, "flatten"), _dim(end_dim, self.ndim, "flatten")
        if s > e:
            raise OpError("flatten(): start_dim cannot come after end_dim")
        shape = self.shape
        return self.reshape(shape[:s] + (int(np.prod(shape[s : e + 1])),) + shape[e + 1 :])

    def squeeze(self, dim: Any = None) -> Tensor:
        dims = self._dims(dim, "squeeze")
        shape = tuple(
            n for i, n in enumerate(self.shape) if not (n == 1 and (dims is None or i in dims))
        )
        return self.reshape(shape)

    def unsqueeze(self, dim: int) -> Tensor:
        n = self.ndim + 1
        if not isinstance(dim, bool) and isinstance(dim, (int, np.integer)) and not -n <= dim < n:
            raise IndexError(
                f"unsqueeze(): dim {dim} is out of range for a tensor with {self.ndim} dims "
                f"(expected a value in [{-n}, {n - 1}])"
            )
        d = _dim(dim, n, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        order = list(range(self.ndim))
        a, b = _dim(dim0, self.ndim, "transpose"), _dim(dim1, self.ndim, "transpose")
        order[a], order[b] = order[b], order[a]
        return Permute._apply1(self, tuple(order))

    swapaxes = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise OpError(f"t(): expects a tensor with <= 2 dims, got {self.ndim}")
        return self.T

    def permute(self, *dims: Any) -> Tensor:
        order = tuple(_dim(d, self.ndim, "permute") for d in _shape_arg(dims, "permute"))
        if sorted(order) != list(range(self.ndim)):
            raise OpError(
                f"permute(): dims {tuple(dims)} are not a permutation of the {self.ndim} dims"
            )
        return Permute._apply1(self, order)

    def expand(self, *sizes: Any) -> Tensor:
        size = _shape_arg(sizes, "expand")
        lead = len(size) - self.ndim
        if lead < 0:
            raise OpError(f"expand(): the size {size} has fewer dims than the tensor {self.shape}")
        target = []
        for i, n in enumerate(size):
            old = self.shape[i - lead] if i >= lead else 1
            if n == -1:
                if i < lead:
                    raise OpError("expand(): -1 is not allowed for a new leading dim")
                n = old
            elif old != 1 and n != old:
                raise OpError(
                    f"expand(): the expanded size ({n}) must match the existing size ({old}) "
                    f"at non-singleton dim {i}; target {size}, tensor {self.shape}"
                )
            target.append(n)
        return BroadcastTo._apply1(self, tuple(target))

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def broadcast_to(self, *shape: Any) -> Tensor:
        return BroadcastTo._apply1(self, _shape_arg(shape, "broadcast_to"))

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor ``sizes`` times along each dim (PyTorch's repeat, NumPy's tile)."""
        reps = _shape_arg(sizes, "repeat")
        if len(reps) < self.ndim:
            raise OpError(
                f"repeat(): {len(reps)} repeat counts given for a tensor with {self.ndim} dims"
            )
        shape = (1,) * (len(reps) - self.ndim) + self.shape
        x = self.reshape(tuple(v for n in shape for v in (1, n)))
        x = x.expand(tuple(v for r, n in zip(reps, shape) for v in (r, n)))
        return x.reshape(tuple(r * n for r, n in zip(reps, shape)))

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        d = _dim(dim, self.ndim, "unbind")
        lead = (slice(None),) * d
        return tuple(self[lead + (i,)] for i in range(self.shape[d]))

    def __getitem__(self, idx: Any) -> Tensor:
        index, basic = normalize_index(idx, self.shape)
        return Index.apply(self, index, basic)

    def __setitem__(self, idx: Any, value: Any) -> None:
        index, basic = normalize_index(idx, self.shape)
        if isinstance(value, Tensor) and value.dtype != self.dtype:
            value = value.astype(self.dtype)
        elif not isinstance(value, Tensor):
            value = np.asarray(_data(value), dtype=self.dtype)
        self._inplace(SetItem, value, index, basic, op="__setitem__")

    # -- dtype and copies ---------------------------------------------------------------------
    def astype(self, dtype: Any) -> Tensor:
        """This tensor converted to ``dtype`` (itself when it already has it)."""
        dt = dtypes.as_dtype(dtype)
        return self if dt == self.data.dtype else Cast.apply(self, dt)

    def to(self, dtype: Any) -> Tensor:
        if isinstance(dtype, str) and dtype in ("cpu", "cpu:0"):
            return self
        return self.astype(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.astype(other.dtype)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def half(self) -> Tensor:
        return self.astype(np.float16)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def int(self) -> Tensor:
        return self.astype(np.int32)

    def bool(self) -> Tensor:
        return self.astype(np.bool_)

    def clone(self) -> Tensor:
        """A copy with its own memory; the gradient flows back to this tensor."""
        return Clone._apply1(self)

    def contiguous(self) -> Tensor:
        return self

    def cpu(self) -> Tensor:
        return self

    # -- in-place -------------------------------------------------------------------------------
    def _inplace(self, fn: Any, *args: Any, op: str, ufunc: Any = None) -> Tensor:
        """Run an op and write the result into this tensor's memory, bumping its version.

        On a tensor that is part of a graph the op is recorded: the tensor becomes the op's
        output, so ``y += x`` on a non-leaf differentiates like ``y = y + x``.
        """
        grad_on = state.grad_enabled
        record = grad_on and (self.requires_grad or _any_requires_grad(args))
        if grad_on:
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError(
                    f"{op}: a leaf tensor that requires grad is being used in an in-place "
                    f"operation; do the update inside `with autograd.no_grad():` or use an "
                    f"out-of-place op"
                )
            base = self._base
            if base is not None and (record or base.requires_grad):
                raise RuntimeError(
                    f"{op}: in-place operations on a view of a tensor that requires grad are "
                    f"not supported; use an out-of-place op or .clone() the view first"
                )
        if not self.data.flags.writeable:
            raise RuntimeError(
                f"{op}: this tensor is a read-only (expanded or broadcast) view and cannot be "
                f"written in place; .clone() it first"
            )
        if record:
            # while grad_fn is still the node that made these values; the third item counts
            # recorded changes, which leave earlier views' nodes behind (_check_view)
            self._ensure_version()[2] += 1
            old = Tensor._make(self.data, self.grad_fn, self._output_nr)
            old.requires_grad = self.requires_grad
            if ufunc is not None:  # arithmetic: PyTorch's result dtype, as out of place
                result = fn.apply(*_operands(old, args[0], floating=fn is Div))
            else:
                result = fn.apply(old, *args)
            self._check_inplace(result.data, op)
            node = result.grad_fn
            if node._saved and any(s is old for s in node._saved):
                kept = old.data
                old.data = kept.copy()  # the op keeps the old values; we overwrite ours
                node._saved_raw = tuple(old.data if r is kept else r for r in node._saved_raw)
            np.copyto(self.data, result.data, casting="unsafe")
            self.grad_fn = node
            self.requires_grad = True
            self._output_nr = 0
        elif ufunc is not None:
            token = _set_errstate(_IGNORE)
            try:
                ufunc(self.data, _data(args[0]), out=self.data, casting="same_kind")
            except TypeError:
                other = np.result_type(self.data, _data(args[0]))
                raise RuntimeError(
                    f"{op}: result type {other} can't be cast to the desired output type "
                    f"{self.data.dtype}"
                ) from None
            except ValueError:
                raise RuntimeError(
                    f"{op}: output with shape {self.shape} doesn't match the broadcast shape "
                    f"of the operands {self.shape} and {np.shape(_data(args[0]))}"
                ) from None
            finally:
                _reset_errstate(token)
        else:
            result = fn.apply(self, *args)
            self._check_inplace(result.data, op)
            np.copyto(self.data, result.data, casting="unsafe")
        self._bump(op)
        return self

    def _check_inplace(self, result: np.ndarray, op: str) -> None:
        if result.shape != self.data.shape:
            raise RuntimeError(
                f"{op}: output with shape {self.shape} doesn't match the broadcast shape "
                f"{result.shape}"
            )
        if not np.can_cast(result.dtype, self.data.dtype, "same_kind"):
            raise RuntimeError(
                f"{op}: result type {result.dtype} can't be cast to the desired output type "
                f"{self.data.dtype}"
            )

    def add_(self, other: Any, alpha: Real = 1) -> Tensor:
        other = other if alpha == 1 else _scaled(other, alpha)
        return self._inplace(Add, other, op="add_", ufunc=np.add)

    def sub_(self, other: Any, alpha: Real = 1) -> Tensor:
        other = other if alpha == 1 else _scaled(other, alpha)
        return self._inplace(Sub, other, op="sub_", ufunc=np.subtract)

    def mul_(self, other: Any) -> Tensor:
        return self._inplace(Mul, other, op="mul_", ufunc=np.multiply)

    def div_(self, other: Any) -> Tensor:
        return self._inplace(Div, other, op="div_", ufunc=np.true_divide)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        if min is None and max is None:
            raise OpError("clamp_: at least one of 'min' and 'max' must be given")
        return self._inplace(Clamp, _bound(min, self), _bound(max, self), op="clamp_")

    def fill_(self, value: Any) -> Tensor:
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(
                    f"fill_ only supports a 0-dimension value tensor, but got one with "
                    f"{value.ndim} dimensions (shape {value.shape})"
                )
            if value.requires_grad:  # its gradient is the sum of ours, as copy_'s is
                return self._copy_from(value, "fill_")
        return self._inplace(Fill, _data(value), op="fill_")

    def zero_(self) -> Tensor:
        return self._inplace(Fill, 0, op="zero_")

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (broadcast) into this tensor's memory."""
        return self._copy_from(src if isinstance(src, Tensor) else Tensor(np.asarray(src)), "copy_")

    def _copy_from(self, src: Tensor, op: str) -> Tensor:
        if src.dtype != self.dtype:
            src = src.astype(self.dtype)
        return self._inplace(Copy, src, op=op)

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)


_new = object.__new__
# What == and != compare elementwise; anything else (a str, None, a list) is not equal, as in
# PyTorch (Python's fallback: identity)
_COMPARABLE = (Tensor, int, float, complex, np.ndarray, np.generic)
_VERSION_LOCK = threading.Lock()
_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))
builtins_max = max


class MinMax(NamedTuple):
    """What ``max(dim)`` and ``min(dim)`` return: the values and where they are."""

    values: Tensor
    indices: Tensor


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._ref = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._ref:
            self._ref.remove(self._hook)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:  # ``with t.register_hook(f):``, as PyTorch's
        self.remove()


# -- conversions and argument checks ------------------------------------------------------------
def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """The array for a new tensor, with the dtype rules of API.md."""
    if isinstance(data, Tensor):
        arr = data.data.copy()
    elif isinstance(data, np.ndarray):
        arr = data.copy()
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        kinds = _leaf_types(data) if isinstance(data, (list, tuple)) else set()
        if any(issubclass(k, Tensor) for k in kinds):
            data = _untensor(data)
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"tensor(): cannot make a tensor from this data: {e}") from None
        numeric = arr.dtype.kind in "biufc"
        scalars = _numpy_scalars_dtype(kinds) if dtype is None and numeric else None
        if scalars is not None:
            arr = arr.astype(scalars, copy=False)
        elif arr.dtype.kind == "f" and dtype is None:
            arr = arr.astype(np.float32)
        elif arr.dtype.kind in "iu" and dtype is None:
            arr = arr.astype(np.int64, copy=False)
        elif arr.dtype.kind not in "biufc":
            raise TypeError(
                f"tensor(): cannot make a tensor from {type(data).__name__} "
                f"(got a NumPy array of dtype {arr.dtype})"
            )
    if dtype is not None:
        arr = arr.astype(dtypes.as_dtype(dtype), copy=False)
    return arr


def _numpy_scalars_dtype(kinds: set[Any]) -> np.dtype | None:
    """For a list whose items are of types ``kinds`` and include NumPy scalars, PyTorch's
    dtype: each item's own (a Python number its default: int64, float32), promoted; None when
    there is no NumPy scalar (then the list rule applies). ``[np.float64(1), 2.0]`` is float64,
    ``[np.int32(1), 2]`` int64."""
    if not any(issubclass(k, np.generic) for k in kinds):
        return None
    result: np.dtype | None = None
    for k in kinds:  # a Python number's type stands for its category's default dtype
        dt = np.dtype(k) if issubclass(k, np.generic) else dtypes.result_type(k(0))
        result = dt if result is None else dtypes.promote(result, dt)
    return result


def _leaf_types(seq: Any) -> set[type]:
    """The types of the items of a nested list (``map(type, ...)`` per row: C speed)."""
    kinds = set(map(type, seq))
    for k in [k for k in kinds if issubclass(k, (list, tuple))]:
        kinds.discard(k)
        for row in seq:
            if type(row) is k:
                kinds |= _leaf_types(row)
    return kinds


def _untensor(seq: Any) -> Any:
    return [
        x.data if isinstance(x, Tensor) else _untensor(x) if isinstance(x, (list, tuple)) else x
        for x in seq
    ]


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _same_dtype_matmul(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """matmul's operands, refusing two floating tensors of different dtypes as PyTorch does
    (float32 @ float64 is an error there, not a silent float64 result). An integer tensor
    beside a floating one takes its dtype, as every op here does (PyTorch refuses that too)."""
    if (
        isinstance(a, Tensor)
        and isinstance(b, Tensor)
        and a.data.dtype != b.data.dtype
        and a.data.dtype.kind in "fc"
        and b.data.dtype.kind in "fc"
    ):
        raise OpError(
            f"matmul: expected both operands to have the same dtype, but got {a.data.dtype} "
            f"and {b.data.dtype} (shapes {a.shape} and {b.shape})"
        )
    return _as_tensor(a), _as_tensor(b)


def _any_requires_grad(args: Sequence[Any]) -> bool:
    return any(isinstance(a, Tensor) and a.requires_grad for a in args)


def _float(x: Tensor) -> Tensor:
    return x if x.data.dtype.kind in "fc" else x.astype(np.float32)


def _scaled(other: Any, alpha: Real) -> Any:
    return other * alpha if isinstance(other, Tensor) else np.multiply(_data(other), alpha)


def _bound(b: Any, like: Tensor) -> Any:
    """A clamp bound: None, a Python number, or a Tensor in the input's dtype."""
    if b is None or isinstance(b, (int, float)) and not isinstance(b, np.generic):
        return b
    b = _as_tensor(b)
    return b.astype(like.dtype) if b.dtype != like.dtype else b


def _kd(keepdim: bool, keepdims: bool | None) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


def _dim(d: Any, ndim: int, op: str) -> int:
    """A dim checked against the tensor's dims and made non-negative."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'dim' must be an int, not {type(d).__name__}")
    n = builtins_max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(
            f"{op}(): dim {d} is out of range for a tensor with {ndim} dims "
            f"(expected a value in [{-n}, {n - 1}])"
        )
    return int(d) % n


def _dims(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """``dim`` (None, an int, or a tuple or list of ints) as a tuple of non-negative dims."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        dims = tuple(_dim(d, ndim, op) for d in dim)
        if len(set(dims)) != len(dims):
            raise OpError(f"{op}(): dim {tuple(dim)} names a dim more than once")
    else:
        dims = (_dim(dim, ndim, op),)
    return None if ndim == 0 else dims


def _floating_input(x: Tensor, op: str) -> Tensor:
    """``x``, if floating point; an integer tensor has no mean (as in PyTorch)."""
    if not dtypes.is_floating(x.dtype):
        raise TypeError(
            f"{op}(): the input must be floating point, not {x.dtype}; use .float() first"
        )
    return x


def _check_choosable(shape: tuple[int, ...], dims: tuple[int, ...] | None, op: str) -> None:
    """Raise, as PyTorch, when a max/min/argmax reduction has nothing to choose from: a
    reduced dim of size 0, or a whole empty tensor (other dims may be 0: an empty result)."""
    if dims is None:
        if math.prod(shape) == 0:
            raise OpError(f"{op}: cannot reduce an empty tensor of shape {shape}; give a dim")
        return
    for d in dims:
        if shape[d] == 0:
            raise IndexError(
                f"{op}: expected reduction dim {d} to have non-zero size (shape {shape})"
            )


def _count(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> int:
    if dims is None:
        return int(np.prod(shape))
    return int(np.prod([shape[d] for d in dims]))


def _shape_arg(args: tuple[Any, ...], op: str) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Tensor, np.ndarray)):
        args = tuple(args[0].tolist() if hasattr(args[0], "tolist") else args[0])
    out = []
    for a in args:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}(): sizes must be ints, got {a!r} ({type(a).__name__})")
        out.append(int(a))
    return tuple(out)


def _operands(a: Any, b: Any, floating: bool = False, numbers: bool = True) -> tuple[Any, Any]:
    """``a`` and ``b`` ready for an elementwise op: PyTorch's result dtype, no silent upcast.

    A Python number beside a floating tensor becomes a 0-d array of the tensor's dtype (see
    ``_const``) unless ``numbers`` says to keep it (Pow's formulas look at the exponent).
    """
    n: Any
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            dt = a.data.dtype
            if dt == b.data.dtype and (dt.kind in "fc" or not floating):
                return a, b
            t = n = None
        else:
            t, n = a, b
    elif isinstance(b, Tensor):
        t, n = b, a
    else:
        t = n = None
    if t is not None:
        dt = t.data.dtype
        kn = type(n)
        if (kn is float or kn is int) and numbers:  # a number met before: one lookup
            consts = _CONSTS.get(dt)
            c = consts.get(n) if consts is not None else None
            if c is not None:
                return (t, c) if t is a else (c, t)
        k = dt.kind
        if kn is float and k in "fc" or kn is int and (k in "fc" or k in "iu" and not floating):
            if numbers and k in "fc":  # not met before (the lookup above missed)
                n = _const(n, dt)
            return (t, n) if t is a else (n, t)
        if kn is np.ndarray and n.dtype == dt and (k in "fc" or not floating):
            return a, b  # an array of the tensor's dtype (a constant a backward formula saved)
    if a is None or b is None:
        raise TypeError("unsupported operand: None")
    dt = dtypes.result_type(a, b)
    if floating and dt.kind not in "fc":
        dt = np.dtype(np.float32)
    return _cast(a, dt), _cast(b, dt)


# Python numbers used beside floating tensors, as read-only 0-d arrays, per dtype. NumPy 2
# converts a Python number on every call (about 0.25 us, half the time of a small op); an
# array of the operand's dtype it takes as is, with the same result.
_CONSTS: dict[np.dtype, dict[float, np.ndarray]] = {}


def _const(x: float, dt: np.dtype) -> Any:
    """``x`` as a cached 0-d array of ``dt``. Zeros stay numbers (-0.0 == 0.0 as a key)."""
    if not x:
        return x
    consts = _CONSTS.setdefault(dt, {})
    if len(consts) >= 256:  # a bounded cache: many distinct numbers start it over
        consts.clear()
    try:
        with np.errstate(all="ignore"):  # 1e300 in float32 is inf, as NumPy's own cast gives
            c = np.array(x, dt)
    except OverflowError:  # an int too large for a float: the op itself says so
        return x
    c.flags.writeable = False
    consts[x] = c
    return c


def _cast(x: Any, dt: np.dtype) -> Any:
    if isinstance(x, Tensor):
        return x if x.data.dtype == dt else Cast.apply(x, dt)
    try:
        return np.asarray(x, dtype=dt)
    except (TypeError, ValueError):
        raise TypeError(f"unsupported operand of type {type(x).__name__}") from None


def _compare(ufunc: Any, a: Tensor, b: Any) -> Any:
    if b is None:
        return ufunc is np.not_equal
    x, y = _operands(a, b)
    return Tensor._make(np.asarray(ufunc(_data(x), _data(y))))


def _logical(ufunc: Any, a: Tensor, b: Any) -> Tensor:
    x, y = _data(a), _data(b)
    if np.asarray(x).dtype.kind not in "biu" or np.asarray(y).dtype.kind not in "biu":
        raise TypeError(f"{ufunc.__name__} is only defined for bool and integer tensors")
    return Tensor._make(np.asarray(ufunc(x, y)))


# -- functions the ops' backward formulas use (the rest live in autograd.functional) -----------
def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Make a tensor: Python floats and lists become float32, ints int64, and NumPy arrays and
    scalars keep their dtype.

    Example:
        >>> import autograd
        >>> autograd.tensor([1, 2]).dtype, autograd.tensor([1.5]).dtype
        (dtype('int64'), dtype('float32'))
    """
    return Tensor(data, dtype, requires_grad)  # positional: keywords cost a dict per call


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (broadcast); the gradient follows.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([-1.0, 2.0])
        >>> autograd.where(x > 0, x, 0.0)
        tensor([0., 2.])
    """
    cond = np.asarray(_data(condition))
    if cond.dtype != np.bool_:
        raise TypeError(f"where(): the condition must be a bool tensor, not {cond.dtype}")
    a, b = _operands(input, other)
    return Where.apply(cond, a, b)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as ``numpy.einsum`` (with '...'), differentiable in every operand.

    Example:
        >>> import autograd
        >>> a = autograd.ones(2, 3)
        >>> autograd.einsum("ij,kj->ik", a, a)
        tensor([[3., 3.],
                [3., 3.]])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [_as_tensor(o) for o in operands]
    dt = dtypes.result_type(*ts)
    return Einsum.apply(equation, *(_cast(t, dt) for t in ts))


def take_along_dim(input: Tensor, indices: Any, dim: int) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (as torch.take_along_dim)."""
    idx = np.asarray(_data(indices))
    d = _dim(dim, input.ndim, "take_along_dim")
    if idx.ndim != input.ndim:
        raise OpError(f"take_along_dim(): indices have {idx.ndim} dims, the input has {input.ndim}")
    shape = np.broadcast_shapes(
        tuple(1 if i == d else n for i, n in enumerate(input.shape)),
        tuple(1 if i == d else n for i, n in enumerate(idx.shape)),
    )
    grids: list[Any] = list(np.ogrid[tuple(slice(n) for n in shape)])
    grids[d] = idx
    return input[tuple(grids)]


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of given sizes."""
    _at_least_1d(tensor, "split")
    d = _dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise OpError(f"split(): split_size must be positive, got {size}")
        sizes = [builtins_min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise OpError(
                f"split(): sections {sizes} add up to {sum(sizes)}, but dim {d} has size {n}"
            )
    lead = (slice(None),) * d
    out, start = [], 0
    for s in sizes:
        out.append(tensor[lead + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(tensor: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` nearly equal pieces along ``dim`` (as torch.chunk: maybe fewer)."""
    _at_least_1d(tensor, "chunk")
    if chunks <= 0:
        raise OpError(f"chunk(): chunks must be positive, got {chunks}")
    n = tensor.shape[_dim(dim, tensor.ndim, "chunk")]
    return split(tensor, builtins_max(-(-n // chunks), 1), dim)


def _at_least_1d(tensor: Tensor, op: str) -> None:
    if tensor.ndim == 0:
        raise RuntimeError(f"{op}(): expects at least a 1-dimensional tensor, got a 0-d one")


builtins_min = min

from . import engine as _engine  # noqa: E402  (engine.py imports this module)
from . import function as _function  # noqa: E402
from .function import _IGNORE, _reset_errstate, _set_errstate  # noqa: E402
from .ops.elementwise import (  # noqa: E402
    Abs,
    Add,
    Cast,
    Clamp,
    Clone,
    Copy,
    Cos,
    Div,
    Exp,
    Fill,
    Log,
    Log1p,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Reciprocal,
    Rsqrt,
    Sigmoid,
    Sign,
    Sin,
    Sqrt,
    Sub,
    Tan,
    Tanh,
    Where,
)
from .ops.index import Index, SetItem, normalize_index  # noqa: E402
from .ops.linalg import Einsum, MatMul  # noqa: E402
from .ops.reduce import (  # noqa: E402
    Amax,
    Amin,
    LogSoftmax,
    LogSumExp,
    Max,
    Min,
    Norm,
    Prod,
    Softmax,
    Sum,
    Var,
)
from .ops.shape import BroadcastTo, Permute, Reshape  # noqa: E402
from .ops.special import Erf, Heaviside, Relu  # noqa: E402
