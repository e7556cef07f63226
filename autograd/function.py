"""Function: the base of every primitive op and of users' custom ops (forward + backward); Node:
a recorded call of one, the graph's node and the ops' ctx."""

from __future__ import annotations

import gc
import itertools
import os
import traceback
from typing import Any

import numpy as np

from .errors import OpError
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
# Counts in-place changes to any tensor (Tensor._bump). A node records it when it saves
# tensors: while it is unchanged nothing saved can have been modified, and a raw backward
# takes its saved arrays without checking each one's version.
EPOCH = [0]


class _GraphGC:
    """The plan for CPython's cyclic GC while graphs are built.

    Recorded graphs hold no reference cycles (saved outputs are rebuilt on unpack), so a
    full collection finds nothing in them, yet each one walks every live object: on a graph
    of 10^5 ops, full collections double the time of the forward pass (more when big
    libraries are loaded). Once ``relax_at`` nodes have been recorded since the last
    backward, the oldest generation's threshold is raised (young generations are collected
    as before, and full collections still happen, just far less often). It stays raised
    while backward passes keep running over big graphs (restoring it after each would only
    defer the same full collection to the start of the next graph) and is restored by the
    first backward over a small one.
    """

    relax_at = 1_000
    saved_threshold: int | None = None
    relaxed_threshold = 1_000

    @classmethod
    def relax(cls) -> None:
        t0, t1, t2 = gc.get_threshold()
        if t2 < cls.relaxed_threshold:
            cls.saved_threshold = t2
            gc.set_threshold(t0, t1, cls.relaxed_threshold)

    @classmethod
    def backward_done(cls) -> None:
        """Called at the end of every backward pass."""
        n = next(SEQ)
        big = n >= RELAX_SEQ[0]
        RELAX_SEQ[0] = n + cls.relax_at
        if not big and cls.saved_threshold is not None:
            cls.restore()

    @classmethod
    def restore(cls) -> None:
        if cls.saved_threshold is not None:
            t0, t1, t2 = gc.get_threshold()
            if t2 == cls.relaxed_threshold:  # unless someone set their own since
                gc.set_threshold(t0, t1, cls.saved_threshold)
            cls.saved_threshold = None


# Numbers recorded nodes in order: a node's is above that of every node it takes an input
# from, which gives the engine its order, and the count since the last backward drives the
# GC plan. (``next`` on a count is atomic: no two nodes share a number, even across threads.)
SEQ = itertools.count(1)
# The sequence number ``_GraphGC.relax_at`` past the last backward's, where recording relaxes
# the GC plan. (A list, not a class attribute: _new_node reads it at every op, and a write
# to a class attribute at every backward would reset the class's attribute caches.)
RELAX_SEQ = [_GraphGC.relax_at]
_NO_NR: tuple[int, ...] = ()
_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


class SavedOutput:
    """Stands in ``Node._saved`` for the node's own output ``nr``, saved for backward (its array
    is at the same place in ``_saved_raw``).

    The node holds no reference to the output Tensor (that would be a cycle) and no version
    counter for it: most outputs never get one. The first in-place change, view or detach of
    that output asks its node for the counter (``Node._output_box``), so the change is still
    caught when backward unpacks the output. One instance per output number (``_saved_output``).
    """

    __slots__ = ("nr",)

    def __init__(self, nr: int) -> None:
        self.nr = nr

    def __repr__(self) -> str:
        return f"<saved output {self.nr}>"


_SAVED_OUTPUTS: dict[int, SavedOutput] = {}


def _saved_output(nr: int) -> SavedOutput:
    marker = _SAVED_OUTPUTS.get(nr)
    return marker if marker is not None else _SAVED_OUTPUTS.setdefault(nr, SavedOutput(nr))


_SAVED_OUT0 = (_saved_output(0),)  # what a one-output op saving only its output keeps


def _version_of(t: Tensor) -> int:
    box = t._version
    return 0 if box is None else box[0]


def _modified_error(
    fn: Node, what: str, shape: tuple[int, ...], dtype: Any, box: list[Any], expected: int
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
    gradient per forward argument (``None`` where there is none). ``ctx`` is the call's
    ``Node`` (the outputs' ``grad_fn``). Writing backward with Tensor ops makes gradients of
    gradients work. (Our own ops also set ``_raw_backward``: their formulas work on arrays
    too, so a backward without ``create_graph`` runs them on NumPy arrays, with no Tensor per
    intermediate.)

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

    __slots__ = ()  # never instantiated: each call is recorded as a Node (below)

    # Ops whose output may share memory with their first input (reshape, slicing, ...). The
    # output takes its input's version counter, so such an op must not save its output.
    _view = False
    # Ops declaring __slots__ (ours: the names of what forward keeps on ctx) run unrecorded
    # with a shared do-nothing ctx.
    _fast_ctx = False
    # An op whose backward formula works on NumPy arrays as well as on Tensors (only
    # operators, and other ops through ``Function._fwd``). When no graph of the
    # backward is wanted (create_graph=False), the engine runs it on arrays: no Tensor per
    # intermediate, the way hand-written NumPy would.
    _raw_backward = False
    # A raw backward that may write its result into the gradient array it is given, when the
    # engine says nothing else holds that array (``state.grad_owned``): one full-size array
    # less per call (ReLU's backward on a conv activation).
    _grad_inplace = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fast_ctx = "__slots__" in cls.__dict__

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

    @classmethod
    def _fwd(cls, *args: Any) -> Any:
        """The op inside a backward formula: on arrays (a raw backward) its forward alone,
        on Tensors ``apply`` (recorded when the backward is)."""
        for a in args:
            if isinstance(a, Tensor):
                return cls.apply(*args)
        return cls.forward(_NO_RECORD, *args)

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
            ctx = _new_node(cls)
            ctx.next_functions = tuple(nexts)
        elif cls._fast_ctx:
            record = False
            ctx = _NO_RECORD
        else:  # a user's Function gets a real ctx, with one needs_input_grad flag per input
            record = False
            ctx = _new(Node)
            ctx.op = cls
            ctx._saved = None
            ctx._extra = None
            ctx.next_functions = (None,) * len(args)
        token = _set_errstate(_IGNORE)
        user_mode = None  # our ops' forwards record nothing: grad mode is left alone for them
        if not cls._fast_ctx:  # a user's forward runs with grad mode off, as in PyTorch
            user_mode, state.grad_enabled = state.grad_enabled, False
        try:
            out = cls.forward(ctx, *arrays)
        except ValueError as e:
            raise OpError(_shape_message(cls, e, arrays)) from None
        finally:
            if user_mode is not None:
                state.grad_enabled = user_mode
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
            cls._record(ctx, args, arrays, (out,), (raw,))
        if cls._view:
            t._share_version(args[0], out)
            if record:
                _watch_base(ctx, args[0], t)
        return t

    @classmethod
    def _apply1(cls, x: Tensor, *rest: Any) -> Tensor:
        """``apply`` for one Tensor argument followed by constants (the unary math methods,
        reductions, reshapes): the same steps, with the loops over arguments unrolled."""
        if x.requires_grad and state.grad_enabled:
            ctx = _new_node(cls)
            fn = x.grad_fn
            ctx.next_functions = (x if fn is None else fn,) + (None,) * len(rest)
        elif cls._fast_ctx:
            ctx = _NO_RECORD
        else:
            return cls.apply(x, *rest)
        xd = x.data
        token = _set_errstate(_IGNORE)
        try:
            out = raw = cls.forward(ctx, xd, *rest)
        except ValueError as e:
            raise OpError(_shape_message(cls, e, [xd])) from None
        finally:
            _reset_errstate(token)
        if type(out) is not np.ndarray:
            out = out.data if isinstance(out, Tensor) else np.asarray(out)
        if ctx is _NO_RECORD or out.dtype.kind not in "fc":
            t = _make(out)
        else:
            t = _make(out, ctx)
            ctx._next_nr = (x._output_nr,) + (0,) * len(rest) if x._output_nr else _NO_NR
            ctx._in_shapes = None if xd.shape == out.shape else (xd.shape,)
            saved = ctx._saved
            if saved:
                s = saved[0]
                if len(saved) != 1:
                    _pack_saved2(ctx, x, xd, None, _ABSENT, out, raw)
                elif s is xd:  # _pack_saved2 unrolled for the two common cases
                    ctx._saved_raw = saved
                    ctx._epoch = EPOCH[0]
                    ctx._saved = (x,)
                    box = x._version
                    if box is not None and box[0]:
                        ctx._saved_ver = (box[0],)
                elif s is out or s is raw:
                    ctx._saved_raw = saved
                    ctx._epoch = EPOCH[0]
                    ctx._saved = _SAVED_OUT0
                else:
                    _pack_saved2(ctx, x, xd, None, _ABSENT, out, raw)
            if state.anomaly:
                _trace(ctx)
        if cls._view:
            t._share_version(x, out)
            if ctx is not _NO_RECORD:
                _watch_base(ctx, x, t)
        return t

    @classmethod
    def _apply2(cls, a: Any, b: Any) -> Tensor:
        """``apply`` for the binary operators (one or both arguments Tensors, the other a
        number or an array, both already of the result dtype), with the loops over arguments
        unrolled."""
        ta = isinstance(a, Tensor)
        tb = isinstance(b, Tensor)
        ad = a.data if ta else a
        bd = b.data if tb else b
        ra = ta and a.requires_grad
        rb = tb and b.requires_grad
        if not ((ra or rb) and state.grad_enabled):
            if not cls._fast_ctx:
                return cls.apply(a, b)
            token = _set_errstate(_IGNORE)
            try:
                out = cls.forward(_NO_RECORD, ad, bd)
            except ValueError as e:
                raise OpError(_shape_message(cls, e, [ad, bd])) from None
            finally:
                _reset_errstate(token)
            return _make(out if type(out) is np.ndarray else np.asarray(out))
        ctx = _new_node(cls)
        na = nb = None
        if ra:
            fn = a.grad_fn
            na = a if fn is None else fn
        if rb:
            fn = b.grad_fn
            nb = b if fn is None else fn
        ctx.next_functions = (na, nb)
        token = _set_errstate(_IGNORE)
        try:
            out = raw = cls.forward(ctx, ad, bd)
        except ValueError as e:
            raise OpError(_shape_message(cls, e, [ad, bd])) from None
        finally:
            _reset_errstate(token)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        # A floating output: an input that requires grad is floating, the other has its dtype.
        t = _make(out, ctx)
        nra = a._output_nr if ra else 0
        nrb = b._output_nr if rb else 0
        ctx._next_nr = (nra, nrb) if nra or nrb else _NO_NR
        shape = out.shape
        if ta and ad.shape != shape or tb and bd.shape != shape:
            ctx._in_shapes = (
                ad.shape if type(ad) is np.ndarray else None,
                bd.shape if type(bd) is np.ndarray else None,
            )
        else:
            ctx._in_shapes = None
        saved = ctx._saved
        if saved:
            s0 = saved[0]
            s1 = saved[1] if len(saved) == 2 else _ABSENT
            if (
                (s0 is ad or s0 is None)
                and (s1 is bd or s1 is None)
                and (not ta or a._version is None or not a._version[0])
                and (not tb or b._version is None or not b._version[0])
            ):  # operands or None, as Mul and Div save, from tensors never changed in place
                ctx._saved_raw = saved
                ctx._epoch = EPOCH[0]
                if ta and s0 is not None or tb and s1 is not None:  # Tensors in their place
                    ctx._saved = (
                        a if ta and s0 is not None else s0,
                        b if tb and s1 is not None else s1,
                    )
            else:
                _pack_saved2(ctx, a, ad, b, bd, out, raw)
        if state.anomaly:
            _trace(ctx)
        return t

    @classmethod
    def _wrap_many(
        cls, ctx: Node, args: Any, arrays: list[Any], outs: tuple[Any, ...], record: bool
    ) -> tuple[Tensor, ...]:
        raws = outs
        outs = tuple(o.data if isinstance(o, Tensor) else np.asarray(o) for o in outs)
        non_diff = ctx._extra.get("non_diff", ()) if record and ctx._extra else ()
        if record:
            cls._record(ctx, args, arrays, outs, raws)
            ctx._extra = dict(
                ctx._extra or {}, n_out=len(outs), out_meta=[(o.shape, o.dtype) for o in outs]
            )
        result = []
        for i, o in enumerate(outs):
            if record and o.dtype.kind in "fc" and id(raws[i]) not in non_diff:
                t = Tensor._make(o, ctx, i)
            else:
                t = Tensor._make(o)
            result.append(t)
        return tuple(result)

    @classmethod
    def _record(
        cls,
        ctx: Node,
        args: Any,
        arrays: list[Any],
        outs: tuple[np.ndarray, ...],
        raws: tuple[Any, ...],
    ) -> None:
        """Finish recording a node: output numbers, input shapes, saved tensors, anomaly trace."""
        nrs = None
        shapes = None
        out_shape = outs[0].shape
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                if a._output_nr and a.requires_grad:
                    nrs = nrs or [0] * len(args)
                    nrs[i] = a._output_nr
                if shapes is None and arrays[i].shape != out_shape:
                    shapes = tuple([x.shape if isinstance(x, np.ndarray) else None for x in arrays])
        ctx._next_nr = _NO_NR if nrs is None else tuple(nrs)
        ctx._in_shapes = shapes
        if ctx._saved:
            if len(outs) == 1:
                _pack_saved(ctx, args, arrays, outs[0], raws[0])
            else:
                _pack_saved(ctx, args, arrays, outs[0], raws[0], outs, raws)
        if state.anomaly:
            _trace(ctx)


class Node:
    """A recorded call of an op: the ``grad_fn`` of its outputs, and the ``ctx`` that the op's
    ``forward`` and ``backward`` receive (``save_for_backward``, ``saved_tensors``,
    ``needs_input_grad``, ...). ``op`` is the Function subclass; what a forward keeps on ctx
    (a Sum's dims) goes to the instance's dict.

    One class for every op, as PyTorch's nodes are one C++ type: the attribute sites of the
    recorder and the engine then always see one type, which Python's adaptive interpreter
    specializes. With each op its own class they took the generic lookup (10% of the 10-op
    chain). (So no ``__getattr__`` here, even for a friendlier error: defining one turns that
    specialization off for every attribute, 4 us of the chain.)
    """

    __slots__ = (
        "op",
        "next_functions",
        "_next_nr",
        "_saved",
        "_saved_raw",
        "_epoch",
        "_saved_ver",
        "_in_shapes",
        "_extra",
        "_seq",
        "__weakref__",
        "__dict__",
    )

    op: type[Function]
    next_functions: tuple[Any, ...]
    _next_nr: tuple[int, ...]
    _saved: Any
    _saved_raw: tuple[Any, ...]
    _epoch: int
    _saved_ver: tuple[int, ...] | None
    _in_shapes: tuple[Any, ...] | None
    _extra: dict[str, Any] | None
    _seq: int

    def name(self) -> str:
        """The op's name as shown in errors and graphs."""
        return self.op.name()

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
        if state.raw and self.op._raw_backward:
            if self._epoch == EPOCH[0]:
                return self._saved_raw
            return self._saved_arrays(saved)
        out: list[Any] = []
        for i, s in enumerate(saved):
            kind = type(s)
            if kind is SavedOutput:
                s = Tensor._make(np.asarray(self._saved_output_array(i, s.nr)), self, s.nr)
            elif kind is np.ndarray:
                s = Tensor._make(s)
            elif isinstance(s, Tensor):
                self._check_saved_input(i, s)
            out.append(s)
        return tuple(out)

    def _saved_arrays(self, saved: tuple[Any, ...]) -> tuple[Any, ...]:
        """The saved items as arrays (a raw backward), after the same version checks."""
        out: list[Any] = []
        i = -1
        for s in saved:
            i += 1
            kind = type(s)
            if kind is SavedOutput:
                s = self._saved_output_array(i, s.nr)
            elif kind is Tensor or kind is not np.ndarray and isinstance(s, Tensor):
                self._check_saved_input(i, s)
                s = s.data
            out.append(s)
        return tuple(out)

    def _check_saved_input(self, i: int, s: Tensor) -> None:
        """Raise if the Tensor saved as item ``i`` changed in place since it was saved."""
        vers = self._saved_ver
        expected = vers[i] if vers else 0
        box = s._version
        if box is not None and box[0] != expected:
            raise _modified_error(self, f"input {i}", s.shape, s.dtype, box, expected)

    def _saved_output_array(self, i: int, nr: int) -> Any:
        """Item ``i`` of what forward saved, this node's output ``nr``: raises if that output
        was changed in place since."""
        arr = self._saved_raw[i]
        box = self._kept_box(nr)
        if box is not None and box[0]:
            a = np.asarray(arr)
            raise _modified_error(self, f"output {nr}", a.shape, a.dtype, box, 0)
        return arr

    def _output_box(self, nr: int) -> list[Any]:
        """The version counter of output ``nr``, made when a Tensor standing for that output
        first needs one (an in-place change, a view, a detach: ``Tensor._ensure_version``).

        When this node saved that output, the counter is kept here: every Tensor for the
        output shares it, and unpacking the output checks it.
        """
        box = self._kept_box(nr)
        if box is None:
            box = [0, "", 0]  # version, last in-place op, recorded in-place ops
            saved = self._saved
            if (
                saved
                and saved is not RELEASED
                and any(type(s) is SavedOutput and s.nr == nr for s in saved)
            ):
                self._extras().setdefault("out_boxes", {})[nr] = box
        return box

    def _extras(self) -> dict[str, Any]:
        """The node's ``_extra`` dict (hooks, retain_grad, several outputs, anomaly trace,
        output version counters), made on first use; the engine's short path runs the nodes
        that have none."""
        extra = self._extra
        if extra is None:
            extra = self._extra = {}
        return extra

    def _kept_box(self, nr: int) -> list[Any] | None:
        extra = self._extra
        boxes = extra.get("out_boxes") if extra else None
        return boxes.get(nr) if boxes else None

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """One flag per forward argument: does it need a gradient?"""
        return tuple(n is not None for n in self.next_functions)

    def mark_non_differentiable(self, *arrays: Any) -> None:
        """Outputs listed here get no gradient (like indices returned beside values)."""
        self._extras()["non_diff"] = [id(a) for a in arrays]

    def _released_message(self) -> str:
        return (
            f"Trying to backward through the graph a second time (or to use the saved tensors "
            f"of {self.name()} after they were freed). Saved intermediate values of the graph "
            f"are freed when you call .backward() or autograd.grad(). Specify "
            f"retain_graph=True if you need to backward through the graph a second time."
        )

    def __repr__(self) -> str:
        return f"<{self.name()}Backward>"


# CPython gives each new instance of a class with a __dict__ an array of values sized for the
# attribute names the class took while young (its "shared keys"), so every node would carry
# a slot for each name the first few forwards kept on ctx: a Mul node 63 bytes more after a
# batch norm ran first. Instances made now close that set before any forward runs: a forward
# that keeps attributes gets its own small dict, and the other nodes carry nothing for it.
for _ in range(64):
    object.__new__(Node)


def _pack_saved(
    ctx: Node,
    args: Any,
    arrays: Any,
    out: np.ndarray,
    raw: Any,
    outs: tuple[np.ndarray, ...] | None = None,
    raws: tuple[Any, ...] | None = None,
) -> None:
    """Replace what forward saved: an output by its ``SavedOutput`` marker (no reference
    cycle, no version counter until one is needed), an input array by its Tensor (with its
    version, checked when backward unpacks it). ``out``/``raw`` is output 0 (as an array, and
    as forward returned it); ``outs``/``raws`` are all of them when there are several.
    """
    saved = ctx._saved
    ctx._saved_raw = saved
    ctx._epoch = EPOCH[0]
    packed: list[Any] = []
    vers: list[int] | None = None
    k = -1
    for s in saved:
        k += 1
        if type(s) is np.ndarray or isinstance(s, np.generic):
            if s is out or s is raw:
                packed.append(_SAVED_OUT0[0])
                continue
            if outs is not None and raws is not None:
                j = next((j for j in range(1, len(outs)) if s is outs[j] or s is raws[j]), 0)
                if j:
                    packed.append(_saved_output(j))
                    continue
            i = 0
            for arr in arrays:
                if s is arr:
                    s = args[i]
                    break
                i += 1
        if isinstance(s, Tensor):
            v = s._version
            if v is not None and v[0]:
                vers = vers or [0] * len(saved)
                vers[k] = v[0]
        packed.append(s)
    ctx._saved = tuple(packed)
    ctx._saved_ver = None if vers is None else tuple(vers)


_ABSENT = object()


def _pack_saved2(ctx: Node, a: Any, ad: Any, b: Any, bd: Any, out: np.ndarray, raw: Any) -> None:
    """``_pack_saved`` for one or two arguments (``_apply1``, ``_apply2``), unrolled."""
    saved = ctx._saved
    ctx._saved_raw = saved
    ctx._epoch = EPOCH[0]
    vers: list[int] | None = None
    packed: list[Any] = []
    k = -1
    for s in saved:
        k += 1
        if s is ad:
            s = a
        elif s is bd:
            s = b
        elif s is out or s is raw:
            packed.append(_SAVED_OUT0[0])
            continue
        if isinstance(s, Tensor) and s._version is not None and s._version[0]:
            vers = vers or [0] * len(saved)
            vers[k] = s._version[0]
        packed.append(s)
    ctx._saved = tuple(packed)
    ctx._saved_ver = None if vers is None else tuple(vers)


def _watch_base(ctx: Node, base: Any, view: Tensor) -> None:
    """A view of an op's output (a non-leaf) keeps that op's node as its input; a recorded
    in-place op on the base later gives the base a new node, which the view's gradient would
    miss. So the view's node notes how many recorded in-place ops the shared version counter
    has seen, and backward refuses to run it once that has moved (``_check_view``): a clear
    error, not a wrong gradient. (PyTorch rebases the view's node instead. Changes under
    no_grad leave the graph, and so the views' gradients, as they were; a leaf is only
    changed in place under no_grad, so its views are not watched.)"""
    box = view._version
    if box is not None and isinstance(base, Tensor) and base.grad_fn is not None:
        ctx._extras()["view_of"] = (box, box[2])


def _check_view(fn: Node, watched: tuple[list[Any], int]) -> None:
    box, recorded = watched
    if box[2] != recorded:  # a recorded in-place op gave the base a new node since
        raise RuntimeError(
            f"{fn.name()}: this view was taken of a tensor that {box[1] or 'an in-place op'} "
            f"then changed in place, so its gradient would skip that change (PyTorch "
            f"updates the view's graph; this engine does not). Take the view after the "
            f"in-place op, or take it of a .clone()."
        )


def _trace(ctx: Node) -> None:
    ctx._extras()["trace"] = _user_frame()


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


def _new_node(cls: type[Function]) -> Any:
    """A node of ``cls`` being recorded, counted for the GC plan (see _GraphGC)."""
    n = next(SEQ)
    if n == RELAX_SEQ[0]:
        _GraphGC.relax()
    ctx = _new(Node)
    ctx.op = cls
    ctx._seq = n
    ctx._saved = None
    ctx._saved_ver = None
    ctx._extra = None
    return ctx


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

_make = Tensor._make
