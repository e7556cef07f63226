"""The backward engine: iterative topological order, gradient accumulation, broadcast
reduction, hooks, retain/create graph and anomaly checks."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from .errors import OpError
from .function import (
    _IGNORE,
    RELEASED,
    Node,
    _check_view,
    _GraphGC,
    _reset_errstate,
    _set_errstate,
)
from .grad_mode import state
from .ops.shape import SumTo
from .tensor import Tensor

# Callbacks that watch the engine run (autograd.viz's backprop_steps): see ``observe``.
_observers: list[Callable[[Any, list[Tensor], Sequence[Any] | None], None]] = []


@contextlib.contextmanager
def observe(
    callback: Callable[[Any, list[Tensor], Sequence[Any] | None], None],
) -> Iterator[None]:
    """Within the block, call ``callback(node, grads_out, grads_in)`` at each step of every
    backward pass, in the engine's own order.

    ``node`` is a Node (``grads_in``: what its backward returned, one per input, before
    the engine sums broadcast axes) or a leaf Tensor (``grads_in`` is None) about to receive
    ``grads_out[0]``.

    Example:
        >>> import autograd
        >>> x = autograd.tensor(2.0, requires_grad=True)
        >>> steps = []
        >>> with autograd.engine.observe(lambda node, out, inp: steps.append(node)):
        ...     (x * x).backward()
        >>> [getattr(s, "name", lambda: "leaf")() for s in steps]
        ['Mul', 'leaf']
    """
    _observers.append(callback)
    try:
        yield
    finally:
        _observers.remove(callback)


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate the gradients of ``tensors`` into ``.grad`` of the leaves that made them.

    Example:
        >>> import autograd
        >>> x = autograd.tensor(3.0, requires_grad=True)
        >>> autograd.backward(x * x)
        >>> x.grad
        tensor(6.)
    """
    if grad_tensors is None and type(tensors) is Tensor:  # loss.backward(), the common call
        user: set[int] = set()
        root, g0 = _root(0, tensors, None, user)
        roots, grads = [root], [g0]
    else:
        roots, grads, user = _roots(_as_list(tensors), grad_tensors)
    targets = None
    ins: list[Tensor] = []
    if inputs is not None:
        ins = _check_inputs(_as_list(inputs))
        if not ins:
            raise RuntimeError("backward(): the 'inputs' argument cannot be empty")
        targets = {_key_of(t): i for i, t in enumerate(ins)}
    captured = _execute(
        roots,
        grads,
        user,
        create_graph if retain_graph is None else retain_graph,
        create_graph,
        targets,
        accumulate=True,
    )
    for t in ins:  # a non-leaf among the inputs gets its .grad too, as in PyTorch
        g = captured.get(_key_of(t)) if t.grad_fn is not None else None
        if g is not None:
            g = g if create_graph else Tensor._make(g.data.copy())
            t.grad = g if t.grad is None else t.grad + g


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple (``.grad`` is left
    alone). With ``create_graph=True`` they are recorded, so they can be differentiated again.

    Example:
        >>> import autograd
        >>> x = autograd.tensor(2.0, requires_grad=True)
        >>> (dx,) = autograd.grad(x ** 3, x, create_graph=True)
        >>> dx, autograd.grad(dx, x)[0]
        (tensor(12., grad_fn=<MulBackward>), tensor(12.))
    """
    ins = _check_inputs(_as_list(inputs))
    roots, grads, user = _roots(_as_list(outputs), grad_outputs)
    targets = {_key_of(t): i for i, t in enumerate(ins)}
    captured = _execute(
        roots,
        grads,
        user,
        create_graph if retain_graph is None else retain_graph,
        create_graph,
        targets,
        accumulate=False,
    )
    result: list[Tensor | None] = []
    for i, t in enumerate(ins):
        g = captured.get(_key_of(t))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"input {i} (shape {t.shape}) was not used to compute the outputs; pass "
                f"allow_unused=True to get None for it"
            )
        result.append(g)
    return tuple(result)


def _as_list(x: Any) -> list[Any]:
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return list(x)
    raise TypeError(f"expected a Tensor or a sequence of Tensors, got {type(x).__name__}")


def _check_inputs(inputs: list[Any]) -> list[Tensor]:
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs[{i}] must be a Tensor, not {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"inputs[{i}] (shape {t.shape}) does not require grad")
    return inputs


def _key(fn: Any, nr: int) -> Any:
    """The key of a node's output (or of a leaf) in the engine's dicts: the object itself
    (hashed by identity; no id() calls), with the output number when it is not 0."""
    return fn if nr == 0 else (fn, nr)


def _key_of(t: Tensor) -> Any:
    return t if t.grad_fn is None else _key(t.grad_fn, t._output_nr)


def _roots(outputs: list[Any], grads: Any) -> tuple[list[Any], list[Any], set[int]]:
    """The root nodes, their starting gradients (the caller's as Tensors, the implicit ones as
    arrays), and the ids of gradients the caller owns."""
    if grads is None:
        grads = [None] * len(outputs)
    elif isinstance(grads, (Tensor, np.ndarray, int, float)):
        grads = [grads]
    grads = list(grads)
    if len(grads) != len(outputs):
        raise OpError(f"got {len(grads)} gradients for {len(outputs)} outputs")
    roots, start, user = [], [], set[int]()
    for i, (t, g) in enumerate(zip(outputs, grads)):
        root, g = _root(i, t, g, user)
        roots.append(root)
        start.append(g)
    return roots, start, user


def _root(i: int, t: Any, g: Any, user: set[int]) -> tuple[tuple[Any, int], Any]:
    """Output ``i``'s node (with its output number) and starting gradient, checked; the id of
    a gradient the caller gave goes to ``user``."""
    if not isinstance(t, Tensor):
        raise TypeError(f"outputs[{i}] must be a Tensor, not {type(t).__name__}")
    if not t.requires_grad:
        raise RuntimeError(
            f"element {i} of tensors does not require grad and does not have a grad_fn"
        )
    if g is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; output {i} has "
                f"shape {t.shape}, so pass a gradient of that shape"
            )
        shape, dtype = t.data.shape, t.data.dtype  # np.array(1) is 4x faster than np.ones
        g = np.ones(shape, dtype) if shape else np.array(1, dtype)  # _execute wraps it
    else:
        g = g if isinstance(g, Tensor) else Tensor(np.asarray(g))
        if g.shape != t.shape:
            raise RuntimeError(
                f"mismatch in shape: gradient {i} has shape {g.shape} and output {i} has "
                f"shape {t.shape}"
            )
        if g.dtype != t.dtype:
            g = g.astype(t.dtype)
        user.add(id(g.data))
    return (t if t.grad_fn is None else t.grad_fn, t._output_nr), g


def _execute(
    roots: list[Any],
    grads: list[Any],
    stored: set[int],
    retain_graph: bool,
    create_graph: bool,
    targets: dict[Any, int] | None,
    accumulate: bool,
) -> dict[Any, Tensor]:
    """Run each node that holds a gradient once, the most recently recorded first; then hand
    the leaves their gradients.

    A node is recorded after every node it takes an input from, so when the latest node still
    holding a gradient runs, every node that passes it a gradient has run: its gradient is
    whole. A max-heap on the nodes' sequence numbers gives that order (as PyTorch's ready
    queue), with no pass to count edges first and no recursion.

    ``stored`` holds the ids of arrays a leaf's ``.grad`` must not take as they are: the
    caller's gradients, then each one stored during this pass.
    """
    needed = _needed(roots, targets) if targets is not None else None
    anomaly = state.anomaly
    check_nan = anomaly and state.anomaly_check_nan
    observers = tuple(_observers) if _observers else ()
    # Without create_graph nothing of the backward pass is recorded, so gradients flow as
    # plain arrays: ops with a raw backward (``Function._raw_backward``) run on them directly.
    raw = not create_graph and not observers

    buffers: dict[Any, Any] = {}  # node or (node, output number) or leaf -> its gradient
    heap: list[int] = []  # minus the sequence numbers of the nodes holding a gradient
    nodes: dict[int, Node] = {}  # minus sequence number -> node
    leaves: list[Tensor] = []  # leaves holding a gradient, in order of arrival
    for (fn, nr), g0 in zip(roots, grads):
        if isinstance(g0, Tensor):
            g0 = g0.data if raw else g0
        elif not raw:
            g0 = Tensor._make(g0)
        _deliver(fn, _key(fn, nr), g0, buffers, heap, nodes, leaves)
    captured: dict[Any, Tensor] = {}
    # Nothing to watch, filter or check: our ops' nodes with nothing extra run inline.
    raw_fast = raw and needed is None and not anomaly
    prev_mode, prev_raw = state.grad_enabled, state.raw
    state.grad_enabled = create_graph
    state.raw = raw
    token = _set_errstate(_IGNORE) if raw else None  # as each op's forward would
    # The graph has no reference cycles, so the cyclic GC finds nothing here; on a big graph
    # its passes over every node would double the time of backward.
    gc_was_on = gc.isenabled()
    gc.disable()
    g: Any
    gi: Any
    grads_in: Any
    try:
        while heap:
            fn = nodes.pop(heappop(heap), None)
            if fn is None:  # a node with several outputs, scheduled once per output
                continue
            op = fn.op
            # Our ops' formulas give each input its own shape; a user's are checked.
            trusted = op._raw_backward
            simple = raw_fast and trusted and fn._extra is None
            if simple:  # the common case, inline: one of our ops, on arrays
                if fn._saved is RELEASED:
                    raise RuntimeError(fn._released_message())
                g = buffers.pop(fn)
                if op._grad_inplace:
                    state.grad_owned = _owned(g)
                    try:
                        grads_in = op.backward(fn, g)
                    finally:
                        state.grad_owned = False
                else:
                    grads_in = op.backward(fn, g)
                if type(grads_in) is not tuple:
                    grads_in = _as_tuple(grads_in)
            else:
                gs = _node_grads(fn, buffers, targets, captured, accumulate, raw)
                gshape = gs[0].shape
                nexts = fn.next_functions
                if needed is not None and not any(n is not None and needed.get(n) for n in nexts):
                    continue  # a target itself, with nothing needed beyond it
                if fn._saved is RELEASED:
                    raise RuntimeError(fn._released_message())
                watched = fn._extra.get("view_of") if fn._extra else None
                if watched is not None:
                    _check_view(fn, watched)
                grads_in = _call_backward(fn, gs, anomaly, raw)
                for observe in observers:
                    observe(fn, gs, grads_in)
                if not trusted and len(grads_in) != len(nexts):
                    _bad_count(fn, len(grads_in))
            shapes = fn._in_shapes
            nrs = fn._next_nr
            i = -1
            for nxt, gi in zip(fn.next_functions, grads_in):
                i += 1
                if gi is None or nxt is None:
                    continue
                if simple:  # _edge_grad's steps that apply, inline
                    if type(gi) is not np.ndarray:  # a Tensor, a NumPy scalar, a number
                        gi = gi.data if isinstance(gi, Tensor) else np.asarray(gi)
                    if shapes is not None and gi.shape != shapes[i]:
                        gi = _sum_to(fn, i, gi, shapes[i])
                elif needed is not None and not needed.get(nxt):
                    continue
                else:
                    gi = _edge_grad(fn, i, gi, gshape, raw, check_nan)
                # _deliver, inline (a call per edge is 2% of the 10-op chain)
                key = (nxt, nrs[i]) if nrs and nrs[i] else nxt
                prev = buffers.get(key)
                if prev is not None:
                    buffers[key] = prev + gi
                else:
                    buffers[key] = gi
                    if type(nxt) is Node:
                        s = -nxt._seq
                        heappush(heap, s)
                        nodes[s] = nxt
                    else:
                        leaves.append(nxt)
            grads_in = gi = None  # hold no gradient beyond its buffer (see _accumulate_raw)
            if not retain_graph:
                fn._saved = RELEASED
                fn._saved_raw = ()
        for leaf in leaves:  # hooks, then store
            g = buffers.pop(leaf)
            if leaf._hooks:
                g = _run_hooks(leaf._hooks, g, raw)
            for observe in observers:
                observe(leaf, [g], None)
            if targets is None or leaf in targets:
                if not accumulate:
                    if g.dtype != leaf.data.dtype:  # as PyTorch: the input's dtype
                        g = g.astype(leaf.data.dtype)
                    captured[leaf] = Tensor._make(g) if raw else g
                elif raw:
                    _accumulate_raw(leaf, g, stored)
                else:
                    _accumulate(leaf, g, create_graph, stored)
    finally:
        state.grad_enabled = prev_mode
        state.raw = prev_raw
        if token is not None:
            _reset_errstate(token)
        if gc_was_on:
            gc.enable()
        _GraphGC.backward_done()
    return captured


def _deliver(
    fn: Any,
    key: Any,
    g: Any,
    buffers: dict[Any, Any],
    heap: list[int],
    nodes: dict[int, Node],
    leaves: list[Tensor],
) -> None:
    """Add ``g`` to the buffer of ``key`` (an output of node ``fn``, or the leaf ``fn``); on a
    first gradient, queue the node or note the leaf. (For the roots: _execute's loop has
    these lines inline.)"""
    prev = buffers.get(key)
    if prev is not None:
        buffers[key] = prev + g
        return
    buffers[key] = g
    if type(fn) is Node:
        s = -fn._seq
        heappush(heap, s)
        nodes[s] = fn
    else:
        leaves.append(fn)


def _edge_grad(
    fn: Node, i: int, g: Any, gshape: tuple[int, ...], raw: bool, check_nan: bool
) -> Any:
    """The gradient a node's backward gave input ``i``, ready to pass on: an array when
    ``raw``, else a Tensor; summed to the input's shape; checked (a user's op gives the
    output's shape; in anomaly mode, finite values)."""
    if raw:
        if type(g) is not np.ndarray:  # a Tensor, a NumPy scalar, a number
            g = g.data if isinstance(g, Tensor) else np.asarray(g)
    elif type(g) is not Tensor:  # an array, a number, or a Tensor subclass
        g = g if isinstance(g, Tensor) else Tensor._make(np.asarray(g))
    shapes = fn._in_shapes
    if shapes is not None:
        if g.shape != shapes[i]:
            g = _sum_to(fn, i, g, shapes[i])
    elif not fn.op._raw_backward and g.shape != gshape:
        g = _sum_to(fn, i, g, gshape)  # summed if it broadcasts to the input, as PyTorch
    if check_nan:
        _check_finite(fn, i, g)
    return g


def _needed(roots: list[Any], targets: dict[Any, int]) -> dict[int, bool]:
    """Which nodes lead to a target (post-order DFS, iterative): only those run."""
    target_nodes = {k[0] if type(k) is tuple else k for k in targets}
    memo: dict[Any, bool] = {}
    for root, _ in roots:
        if root in memo:
            continue
        stack = [(root, iter(_nexts(root)))]
        memo[root] = False
        while stack:
            fn, it = stack[-1]
            for nxt in it:
                if nxt is not None and nxt not in memo:
                    memo[nxt] = False
                    stack.append((nxt, iter(_nexts(nxt))))
                    break
            else:
                stack.pop()
                memo[fn] = fn in target_nodes or any(
                    memo.get(n, False) for n in _nexts(fn) if n is not None
                )
    return memo


def _nexts(fn: Any) -> tuple[Any, ...]:
    return fn.next_functions if type(fn) is Node else ()


def _node_grads(
    fn: Node,
    buffers: dict[Any, Any],
    targets: dict[Any, int] | None,
    captured: dict[Any, Tensor],
    accumulate: bool,
    raw: bool,
) -> list[Any]:
    """The gradient of each of the node's outputs (arrays when ``raw``), after tensor hooks
    and retain_grad. An output that got none has no hook call, no .grad and no captured
    gradient (as in PyTorch), and zeros for the node's backward."""
    extra = fn._extra
    if extra is None:
        gs = [buffers.pop(fn)]
        got = None
    else:
        n = extra.get("n_out", 1)
        gs = [buffers.pop(_key(fn, i), None) for i in range(n)]
        got = [g is not None for g in gs]
        hooks = extra.get("hooks", {})
        retain = extra.get("retain", {})
        for i in range(n):
            if not got[i]:
                continue
            gs[i] = _run_hooks(hooks.get(i), gs[i], raw)
            ref = retain.get(i)
            t = ref() if ref is not None else None
            if t is not None:
                if raw:  # its own copy: the array flows on through the graph
                    g = Tensor._make(gs[i].copy())
                else:
                    g = gs[i] if gs[i].grad_fn is not None else gs[i].detach()
                t.grad = g if t.grad is None else t.grad + g
    if targets is not None:
        for i, g in enumerate(gs):
            k = _key(fn, i)
            if k in targets and (got is None or got[i]):
                captured[k] = Tensor._make(g) if raw else g
    if got is not None and not all(got):
        meta = fn._extra["out_meta"]  # type: ignore[index]
        for i, g in enumerate(gs):
            if g is None:  # the backward still gets every output's gradient: zeros
                z = np.zeros(*meta[i])
                gs[i] = z if raw else Tensor._make(z)
    return gs


def _run_hooks(hooks: list[Any] | None, g: Any, raw: bool = False) -> Any:
    """``g`` after each hook (a hook sees a Tensor; ``raw`` gradients are arrays)."""
    if hooks:
        if raw:
            return _run_hooks(hooks, Tensor._make(g)).data
        for hook in list(hooks):
            new = hook(g)
            if new is not None:
                if not isinstance(new, Tensor):
                    raise TypeError(
                        f"a hook returned {type(new).__name__}; it must return None or a Tensor "
                        f"of shape {g.shape}"
                    )
                if new.shape != g.shape:
                    raise RuntimeError(
                        f"a hook returned {type(new).__name__} "
                        f"{getattr(new, 'shape', '')}; it must return None or a Tensor of "
                        f"shape {g.shape}"
                    )
                g = new
    return g


def _call_backward(fn: Node, gs: list[Any], anomaly: bool, raw: bool) -> Sequence[Any]:
    if raw and not fn.op._raw_backward:
        gs = [Tensor._make(g) for g in gs]
    try:
        out = fn.op.backward(fn, *gs)
    except Exception as e:
        if anomaly and fn._extra and "trace" in fn._extra and not getattr(e, "_traced", False):
            e.args = (
                f"{e.args[0] if e.args else e}\n\nThe forward call of {fn.name()} "
                f"was made here:\n{fn._extra['trace']}",
            ) + e.args[1:]
            e._traced = True  # type: ignore[attr-defined]
        raise
    return out if type(out) is tuple else _as_tuple(out)


def _as_tuple(out: Any) -> tuple[Any, ...]:
    """A backward's return as a tuple: one input's gradient, or a list of them."""
    return tuple(out) if isinstance(out, list) else (out,)


def _bad_count(fn: Node, n: int) -> None:
    raise RuntimeError(
        f"{fn.name()}.backward returned {n} gradients, but forward had "
        f"{len(fn.next_functions)} inputs"
    )


def _sum_to(fn: Node, i: int, g: Any, shape: tuple[int, ...]) -> Any:
    try:
        return SumTo._fwd(g, shape)
    except ValueError:
        _bad_shape(fn, i, g.shape, shape)
        raise


def _bad_shape(fn: Node, i: int, got: tuple[int, ...], expected: tuple[int, ...]) -> None:
    raise RuntimeError(
        f"{fn.name()}.backward returned a gradient of shape {got} for input {i}, which has "
        f"shape {expected}"
    )


def _check_finite(fn: Node, i: int, g: Any) -> None:
    data = g.data if isinstance(g, Tensor) else g
    if data.dtype.kind in "fc" and not np.isfinite(data).all():
        what = "nan" if np.isnan(data).any() else "inf"
        where = (fn._extra or {}).get("trace", "  (made before anomaly detection was on)")
        raise RuntimeError(
            f"Function '{fn.name()}Backward' returned {what} values in its {i}th output.\n"
            f"The forward call of {fn.name()} that made it was:\n{where}"
        )


def _accumulate(leaf: Tensor, g: Tensor, create_graph: bool, stored: set[int]) -> None:
    """Add ``g`` into ``leaf.grad``; a stored gradient owns its memory (never a view or a
    buffer another leaf or the caller holds)."""
    if g.dtype != leaf.dtype:
        g = g.astype(leaf.dtype)
    if leaf.grad is not None:
        _check_assigned_grad(leaf)
        leaf.grad = leaf.grad + g if create_graph else Tensor._make(leaf.grad.data + g.data)
        return
    if not create_graph:
        data = g.data
        if data.base is not None or not data.flags.writeable or id(data) in stored:
            g = Tensor._make(data.copy())
        elif g.requires_grad:
            g = g.detach()
        stored.add(id(g.data))
    leaf.grad = g


def _accumulate_raw(leaf: Tensor, g: np.ndarray, stored: set[int]) -> None:
    """Add the array ``g`` into ``leaf.grad``: in place when a gradient is already there (as
    PyTorch does without create_graph), else by taking ``g`` itself when nothing else holds
    it (a fresh result of a backward formula), else a copy."""
    if g.dtype != leaf.data.dtype:
        g = g.astype(leaf.data.dtype)
    old = leaf.grad
    if old is not None:
        _check_assigned_grad(leaf)
        od = old.data
        if od.shape == g.shape and od.dtype == g.dtype and od.flags.writeable:
            np.add(od, g, out=od)
            old._bump("AccumulateGrad")  # a graph that saved this grad tensor will notice
        else:
            leaf.grad = Tensor._make(od + g)
        return
    if id(g) in stored or not _owned(g, frames=2):
        g = g.copy()
    stored.add(id(g))
    leaf.grad = Tensor._make(g)


def _check_assigned_grad(leaf: Tensor) -> None:
    """A ``.grad`` the user assigned must be a Tensor of the leaf's shape (PyTorch checks at
    the assignment; ``grad`` is a plain slot here, so the check is at the next backward)."""
    old = leaf.grad
    if not isinstance(old, Tensor):
        raise TypeError(f"a tensor's .grad must be a Tensor or None, not {type(old).__name__}")
    if old.shape != leaf.shape:
        raise RuntimeError(
            f"a tensor's .grad has shape {old.shape}, but the tensor has shape {leaf.shape}"
        )


def _owned(g: Any, frames: int = 1) -> bool:
    """Is ``g`` an array that only the engine holds: a local of _execute's, passed down
    through ``frames`` calls (this one included), and no one else's?"""
    return (
        type(g) is np.ndarray
        and g.base is None
        and g.flags.writeable
        and sys.getrefcount(g) <= _OWN_REFS + frames - 1
    )


def _own_refs() -> int:
    """The references to an array that only the engine holds, as _owned sees it when called
    from _execute (a local of _execute's, _owned's parameter, getrefcount's argument):
    measured on this interpreter rather than assumed."""
    probe = {0: np.zeros(1)}
    seen: list[int] = []

    def count(g: np.ndarray) -> None:
        seen.append(sys.getrefcount(g))

    g = probe.pop(0)
    count(g)
    return seen[0]


_OWN_REFS = _own_refs()
