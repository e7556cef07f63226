"""Function: the base of every primitive op and of users' custom ops (forward + backward)."""

from __future__ import annotations

import os
import traceback
from typing import Any

import numpy as np

from .grad_mode import state

try:  # NumPy >= 2: set the error state through its context variable (0.1 us, not 1 us)
    from numpy._core._ufunc_config import (  # type: ignore[attr-defined]
        _extobj_contextvar,
        _make_extobj,
    )

    _IGNORE = _make_extobj(all="ignore")
    _set_errstate = _extobj_contextvar.set
    _reset_errstate = _extobj_contextvar.reset
except ImportError:  # pragma: no cover - NumPy 1.x
    import contextvars

    _fallback: contextvars.ContextVar[Any] = contextvars.ContextVar("_fallback")
    _IGNORE = None

    def _set_errstate(_: Any) -> Any:
        err = np.seterr(all="ignore")
        return _fallback.set(err)

    def _reset_errstate(token: Any) -> None:
        np.seterr(**token.var.get())
        token.var.reset(token)


class _Released:
    """Marks a node whose saved tensors were freed by a backward without retain_graph."""

    def __repr__(self) -> str:
        return "<released>"


RELEASED: Any = _Released()
_NO_NR: tuple[int, ...] = ()
_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


class SavedOutput:
    """A reference to a node's own output, saved for backward without a reference cycle."""

    __slots__ = ("data", "nr", "version")

    def __init__(self, data: np.ndarray, nr: int, version: list[Any]) -> None:
        self.data = data
        self.nr = nr
        self.version = version


def _version_of(t: Tensor) -> int:
    box = t._version
    return 0 if box is None else box[0]


def _modified_error(
    fn: Function, what: str, shape: tuple[int, ...], dtype: Any, box: list[Any], expected: int
) -> RuntimeError:
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: the {what} of shape {tuple(shape)} ({dtype}) that "
        f"{fn.name()} saved for backward is at version {box[0]} (last changed by "
        f"{box[1]}); expected version {expected} instead. Use an out-of-place op "
        f"(e.g. `y = y + x`) or .clone() before the in-place op."
    )


class Function:
    """Base class of an op: ``forward`` on arrays, ``backward`` on Tensors.

    Subclass it for a custom op. ``forward(ctx, *args)`` receives NumPy arrays for Tensor
    arguments (other arguments as given) and returns an array (or a tuple of arrays);
    ``backward(ctx, *grads)`` receives the gradient of each output as a Tensor and returns one
    gradient per forward argument (``None`` where there is none). Writing backward with Tensor
    ops makes gradients of gradients work.

    Example:
        >>> import numpy as np, autograd
        >>> class Cube(autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x ** 3
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return grad * 3 * x ** 2
        >>> x = autograd.tensor([2.0], requires_grad=True)
        >>> Cube.apply(x).sum().backward()
        >>> x.grad
        tensor([12.])
    """

    __slots__ = (
        "next_functions",
        "_next_nr",
        "_saved",
        "_saved_ver",
        "_in_shapes",
        "_extra",
        "__weakref__",
    )

    # Ops whose output may share memory with their first input (reshape, slicing, ...).
    _view = False
    # Ops declaring __slots__ (ours) run unrecorded with a shared do-nothing ctx.
    _fast_ctx = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fast_ctx = "__slots__" in cls.__dict__

    next_functions: tuple[Any, ...]
    _next_nr: tuple[int, ...]
    _saved: Any
    _saved_ver: tuple[int, ...] | None
    _in_shapes: tuple[Any, ...] | None
    _extra: dict[str, Any] | None

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads)")

    @classmethod
    def name(cls) -> str:
        """The op's name as shown in errors and graphs (the class name)."""
        return cls.__name__

    # -- ctx API used inside forward/backward -------------------------------------------------
    def save_for_backward(self, *items: Any) -> None:
        """Keep arrays (inputs, the output, or others) for backward; see ``saved_tensors``."""
        self._saved = items

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The saved items as Tensors: inputs keep their graph, the output points back here."""
        saved = self._saved
        if saved is RELEASED:
            raise RuntimeError(self._released_message())
        if not saved:
            return ()
        vers = self._saved_ver
        out: list[Any] = []
        for i, s in enumerate(saved):
            kind = type(s)
            if kind is SavedOutput:
                if s.version[0]:
                    raise _modified_error(
                        self, f"output {s.nr}", s.data.shape, s.data.dtype, s.version, 0
                    )
                s = Tensor._make(s.data, self, s.nr)
            elif kind is np.ndarray:
                s = Tensor._make(s)
            elif isinstance(s, Tensor):
                box = s._version
                if box is not None and box[0] != (vers[i] if vers else 0):
                    raise _modified_error(
                        self, f"input {i}", s.shape, s.dtype, box, vers[i] if vers else 0
                    )
            out.append(s)
        return tuple(out)

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """One flag per forward argument: does it need a gradient?"""
        return tuple(n is not None for n in self.next_functions)

    def mark_non_differentiable(self, *arrays: Any) -> None:
        """Outputs listed here get no gradient (like indices returned beside values)."""
        extra = self._extra if self._extra is not None else {}
        extra["non_diff"] = [id(a) for a in arrays]
        self._extra = extra

    def _released_message(self) -> str:
        return (
            f"Trying to backward through the graph a second time (or to use the saved tensors "
            f"of {self.name()} after they were freed). Saved intermediate values of the graph "
            f"are freed when you call .backward() or autograd.grad(). Specify "
            f"retain_graph=True if you need to backward through the graph a second time."
        )

    def __repr__(self) -> str:
        return f"<{self.name()}Backward>"

    # -- recording ----------------------------------------------------------------------------
    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run the op: compute forward and, when a Tensor input requires grad, record it."""
        arrays = []
        nexts: list[Any] = []
        record = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                if a.requires_grad:
                    record = True
                    fn = a.grad_fn
                    nexts.append(a if fn is None else fn)
                    continue
            else:
                arrays.append(a)
            nexts.append(None)
        if record and state.grad_enabled:
            ctx = _new(cls)
            ctx._saved = None
            ctx._extra = None
            ctx.next_functions = tuple(nexts)
        elif cls._fast_ctx:
            record = False
            ctx = _NO_RECORD
        else:  # a user's Function gets a real ctx, with one needs_input_grad flag per input
            record = False
            ctx = _new(cls)
            ctx._saved = None
            ctx._extra = None
            ctx.next_functions = (None,) * len(args)
        token = _set_errstate(_IGNORE)
        try:
            out = cls.forward(ctx, *arrays)
        except ValueError as e:
            raise ValueError(_shape_message(cls, e, arrays)) from None
        finally:
            _reset_errstate(token)
        if type(out) is tuple:
            return cls._wrap_many(ctx, args, arrays, out, record)
        raw = out
        if type(out) is not np.ndarray:  # a NumPy scalar (0-d math), a Tensor, a number
            out = out.data if isinstance(out, Tensor) else np.asarray(out)
        if not record or out.dtype.kind not in "fc":
            t = Tensor._make(out)
        else:
            t = Tensor._make(out, ctx)
            box = cls._record(ctx, args, arrays, (out,), (raw,))
            if box is not None:
                t._version = box
        if cls._view:
            t._share_version(args[0], out)
        return t

    @classmethod
    def _wrap_many(
        cls, ctx: Function, args: Any, arrays: list[Any], outs: tuple[Any, ...], record: bool
    ) -> tuple[Tensor, ...]:
        raws = outs
        outs = tuple(o.data if isinstance(o, Tensor) else np.asarray(o) for o in outs)
        box = None
        non_diff = ctx._extra.get("non_diff", ()) if record and ctx._extra else ()
        if record:
            box = cls._record(ctx, args, arrays, outs, raws)
            ctx._extra = dict(
                ctx._extra or {}, n_out=len(outs), out_meta=[(o.shape, o.dtype) for o in outs]
            )
        result = []
        for i, o in enumerate(outs):
            if record and o.dtype.kind in "fc" and id(raws[i]) not in non_diff:
                t = Tensor._make(o, ctx, i)
                if box is not None:
                    t._version = box
            else:
                t = Tensor._make(o)
            result.append(t)
        return tuple(result)

    @classmethod
    def _record(
        cls,
        ctx: Function,
        args: Any,
        arrays: list[Any],
        outs: tuple[np.ndarray, ...],
        raws: tuple[Any, ...],
    ) -> list[Any] | None:
        """Finish recording a node: output numbers, input shapes, saved tensors, anomaly trace.

        Returns the version counter to give the outputs when the node saved one of them.
        """
        nrs = None
        shapes = None
        out_shape = outs[0].shape
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                if a._output_nr and a.requires_grad:
                    nrs = nrs or [0] * len(args)
                    nrs[i] = a._output_nr
                if shapes is None and arrays[i].shape != out_shape:
                    shapes = tuple(x.shape if isinstance(x, np.ndarray) else None for x in arrays)
        ctx._next_nr = _NO_NR if nrs is None else tuple(nrs)
        ctx._in_shapes = shapes
        ctx._saved_ver = None
        box = None
        saved = ctx._saved
        if saved:
            packed: list[Any] = []
            vers: list[int] | None = None
            for k, s in enumerate(saved):
                if type(s) is np.ndarray or isinstance(s, np.generic):
                    for j, o in enumerate(outs):
                        if s is o or s is raws[j]:
                            if box is None:
                                box = [0, ""]
                            s = SavedOutput(o, j, box)
                            break
                    else:
                        for i, arr in enumerate(arrays):
                            if s is arr:
                                s = args[i]
                                break
                if isinstance(s, Tensor) and s._version is not None and s._version[0]:
                    vers = vers or [0] * len(saved)
                    vers[k] = s._version[0]
                packed.append(s)
            ctx._saved = tuple(packed)
            ctx._saved_ver = None if vers is None else tuple(vers)
        if state.anomaly:
            extra = ctx._extra if ctx._extra is not None else {}
            extra["trace"] = _user_frame()
            ctx._extra = extra
        return box


def _shape_message(cls: type[Function], e: ValueError, arrays: list[Any]) -> str:
    """A forward's ValueError, prefixed with the op and the input shapes."""
    msg = str(e)
    if msg.startswith(cls.name()):
        return msg
    shapes = [tuple(a.shape) for a in arrays if isinstance(a, np.ndarray)]
    if "broadcast" in msg:
        return f"{cls.name()}: shapes {' and '.join(map(str, shapes))} cannot be broadcast together"
    return f"{cls.name()}: {msg} (input shapes: {', '.join(map(str, shapes))})"


_new = object.__new__


class _NoRecord:
    """The ctx forward gets when nothing is recorded: saving is a no-op, attributes are
    accepted and dropped, and no input needs a gradient."""

    __slots__ = ()
    next_functions: tuple[Any, ...] = ()

    def save_for_backward(self, *items: Any) -> None:
        pass

    def mark_non_differentiable(self, *items: Any) -> None:
        pass

    def __setattr__(self, name: str, value: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"{name} is not kept when an op is not recorded")


_NO_RECORD: Any = _NoRecord()


def _user_frame() -> str:
    """The innermost stack frame outside this package: where the user called the op."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if not os.path.abspath(frame.filename).startswith(_PKG_DIR + os.sep):
            line = f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
            if frame.line:
                line += f"\n    {frame.line}"
            return line
    return "  (no frame outside autograd)"


from .tensor import Tensor  # noqa: E402  (tensor.py imports this module first)
