"""How fast could a per-op engine run the 10-op chain? Two reference engines, beside ours.

python -m benchmarks.floor           # medians of 3,000 calls each, as the suite's chain10 row
python -m benchmarks.floor --quick   # a smoke test (not a measurement)

- ``_Bare``, the floor: a reverse-mode engine with none of the features the issues ask for (no
  dtype rules, shape checks or broadcast reduction, no versions of saved tensors, hooks,
  retain_graph, grad mode, anomaly checks, error state or GC plan). A Tensor of three slots, a
  tuple per node, a post-order DFS and a dict of gradients.
- ``_Lean``: the floor plus the per-op costs that no design of those features avoids, each
  done the cheapest way we know: PyTorch's dtype rule for a Python number (a cached 0-d array),
  the thread-local grad mode, NumPy's error state set and reset around each op, a Tensor with
  all of ours' fields, a node object with its inputs, input shapes, sequence number and
  saves, the engine's heap order and release of saved tensors, one flag per node checked in
  backward, and a leaf taking its gradient without a copy when nothing else holds it. It
  still leaves out what would cost more: version counters for saved tensors, hooks on
  non-leaves, retain_grad, several outputs, custom Functions, create_graph and the errors.
  So its time is a lower bound for any engine doing what ours does, one Python call per op.
- ``_LeanCtx``: ``_Lean`` with each op written as ours are, a ``forward(ctx, ...)`` saving
  through ``ctx.save_for_backward``.

The chain is ``benchmarks.engine``'s: the same ops on the same (4,) float32 input, checked
against hand-written NumPy before timing.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.function import _IGNORE, SEQ, _reset_errstate, _set_errstate
from autograd.grad_mode import state

from ._timing import Config, median_time, torch
from .engine import X0, chain10, chain10_autograd, chain10_numpy, chain10_torch


# -- the floor -------------------------------------------------------------------------------
class _Bare:
    __slots__ = ("data", "grad", "node")

    def __init__(self, data: Any, node: Any = None) -> None:
        self.data, self.node, self.grad = data, node, None

    def __mul__(self, other: Any) -> _Bare:
        if isinstance(other, _Bare):
            return _Bare(self.data * other.data, (_two, (self, other), (other.data, self.data)))
        c = np.float32(other)
        return _Bare(self.data * c, (_scale, (self,), c))

    def __add__(self, other: Any) -> _Bare:
        return _Bare(self.data + np.float32(other), (_same, (self,), None))

    def __sub__(self, other: Any) -> _Bare:
        return _Bare(self.data - np.float32(other), (_same, (self,), None))

    def __truediv__(self, other: Any) -> _Bare:
        c = np.float32(1.0 / other)
        return _Bare(self.data * c, (_scale, (self,), c))

    def sin(self) -> _Bare:
        return _Bare(np.sin(self.data), (_sin, (self,), self.data))

    def exp(self) -> _Bare:
        out = np.exp(self.data)
        return _Bare(out, (_scale, (self,), out))

    def tanh(self) -> _Bare:
        out = np.tanh(self.data)
        return _Bare(out, (_tanh, (self,), out))

    def sum(self) -> _Bare:
        return _Bare(self.data.sum(), (_expand, (self,), self.data.shape))

    def backward(self) -> None:
        order, seen, stack = [], set(), [(self, False)]  # post-order DFS: inputs first
        while stack:
            t, done = stack.pop()
            if done:
                order.append(t)
            elif t.node is not None and id(t) not in seen:
                seen.add(id(t))
                stack.append((t, True))
                stack.extend((x, False) for x in t.node[1])
        grads = {id(self): np.ones((), self.data.dtype)}
        for t in reversed(order):
            formula, inputs, saved = t.node
            for x, g in zip(inputs, formula(grads.pop(id(t)), saved)):
                if x.node is None:
                    x.grad = g if x.grad is None else x.grad + g
                else:
                    k = id(x)
                    grads[k] = g if k not in grads else grads[k] + g


# Backward formulas of both reference engines: (gradient, what the op saved) -> input grads
def _two(g: Any, saved: Any) -> tuple[Any, Any]:
    b, a = saved
    return g * b, g * a


def _scale(g: Any, c: Any) -> tuple[Any]:
    return (g * c,)


def _same(g: Any, _: Any) -> tuple[Any]:
    return (g,)


def _sin(g: Any, x: Any) -> tuple[Any]:
    return (g * np.cos(x),)


def _tanh(g: Any, out: Any) -> tuple[Any]:
    return (g * (1 - out * out),)


def _expand(g: Any, shape: tuple[int, ...]) -> tuple[Any]:
    out = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
    out.flags.writeable = False
    return (out,)


def bare_chain10() -> Any:
    x = _Bare(X0)
    chain10(x).backward()
    return x.grad


# -- the floor plus the costs no design avoids -------------------------------------------------
_new = object.__new__
_CONSTS: dict[Any, dict[float, np.ndarray]] = {}
_RELEASED = object()


class _Node:
    __slots__ = ("formula", "next_functions", "in_shapes", "saved", "extra", "seq")
    formula: Any
    next_functions: tuple[Any, ...]
    in_shapes: tuple[tuple[int, ...], ...] | None
    saved: Any
    extra: Any
    seq: int

    def save_for_backward(self, *items: Any) -> None:
        """The ctx API of our ops (``_LeanCtx``): one item is kept as is, several as a tuple."""
        self.saved = items[0] if len(items) == 1 else items


class _Lean:
    __slots__ = Tensor.__slots__  # all of ours' fields
    data: np.ndarray
    grad: _Lean | None
    requires_grad: bool
    grad_fn: Any
    name: str | None
    _output_nr: int
    _version: Any
    _base: Any
    _hooks: Any

    def __mul__(self, other: Any) -> _Lean:
        if type(other) is type(self):
            return _op(_two, np.multiply, self, other, (other.data, self.data))
        c = _const(self, other)
        return _op(_scale, np.multiply, self, c, c)

    def __add__(self, other: Any) -> _Lean:
        return _op(_same, np.add, self, _const(self, other), None)

    def __sub__(self, other: Any) -> _Lean:
        return _op(_same, np.subtract, self, _const(self, other), None)

    def __truediv__(self, other: Any) -> _Lean:
        c = _const(self, 1.0 / other)
        return _op(_scale, np.multiply, self, c, c)

    def sin(self) -> _Lean:
        return _op(_sin, np.sin, self, None, self.data)

    def exp(self) -> _Lean:
        return _op(_scale, np.exp, self, None, _OUT)

    def tanh(self) -> _Lean:
        return _op(_tanh, np.tanh, self, None, _OUT)

    def sum(self) -> _Lean:
        return _op(_expand, np.ndarray.sum, self, None, self.data.shape)

    def backward(self) -> None:
        _lean_backward(self)


_OUT = object()  # "the op saves its output"


def _make(data: np.ndarray, node: Any = None, kind: type[_Lean] | None = None) -> _Lean:
    t = _new(kind or _Lean)
    t.data = data
    t.grad = None
    t.requires_grad = node is not None
    t.grad_fn = node
    t.name = None
    t._output_nr = 0
    t._version = None
    t._base = None
    t._hooks = None
    return t


def _const(t: _Lean, x: float) -> Any:
    """PyTorch's dtype rule for a Python number: a cached 0-d array of the tensor's dtype."""
    consts = _CONSTS.get(t.data.dtype)
    c = consts.get(x) if consts is not None else None
    if c is None:
        c = _CONSTS.setdefault(t.data.dtype, {})[x] = np.array(x, t.data.dtype)
    return c


def _op(formula: Any, fn: Any, a: _Lean, b: Any, saved: Any, with_ctx: bool = False) -> _Lean:
    """Compute under NumPy's error state and record: one Python frame per op (two with
    ``with_ctx``: ``fn`` is then a forward that takes the node as ctx and saves through it)."""
    node = _new(_Node)
    kind = type(a)
    tb = type(b) is kind
    bd = b.data if tb else b
    token = _set_errstate(_IGNORE)
    try:
        if with_ctx:
            out = fn(node, a.data) if b is None else fn(node, a.data, bd)
            saved = node.saved
        else:
            out = fn(a.data) if b is None else fn(a.data, bd)
    finally:
        _reset_errstate(token)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if not (a.requires_grad or tb and b.requires_grad) or not state.grad_enabled:
        return _make(out, None, kind)
    node.seq = next(SEQ)
    node.formula = formula
    na = a.grad_fn or a if a.requires_grad else None
    shapes: tuple[tuple[int, ...], ...]
    if tb:
        node.next_functions = (na, b.grad_fn or b if b.requires_grad else None)
        shapes = (a.data.shape, b.data.shape)
    else:
        node.next_functions = (na,)
        shapes = (a.data.shape,)
    node.in_shapes = None if all(s == out.shape for s in shapes) else shapes
    node.saved = out if saved is _OUT else saved
    node.extra = None
    if state.anomaly:
        raise NotImplementedError("anomaly mode: not part of the lower bound")
    return _make(out, node, kind)


class _LeanCtx(_Lean):
    """``_Lean`` with each op written as ours are: ``forward(ctx, ...)`` saving through
    ``ctx.save_for_backward``, one more Python frame (and call) per op."""

    __slots__ = ()

    def __mul__(self, other: Any) -> _Lean:
        if type(other) is type(self):
            return _op(_two, _fwd_mul, self, other, None, True)
        return _op(_scale, _fwd_scale, self, _const(self, other), None, True)

    def __add__(self, other: Any) -> _Lean:
        return _op(_same, _fwd_add, self, _const(self, other), None, True)

    def __sub__(self, other: Any) -> _Lean:
        return _op(_same, _fwd_sub, self, _const(self, other), None, True)

    def __truediv__(self, other: Any) -> _Lean:
        return _op(_scale, _fwd_scale, self, _const(self, 1.0 / other), None, True)

    def sin(self) -> _Lean:
        return _op(_sin, _fwd_sin, self, None, None, True)

    def exp(self) -> _Lean:
        return _op(_scale, _fwd_exp, self, None, None, True)

    def tanh(self) -> _Lean:
        return _op(_tanh, _fwd_tanh, self, None, None, True)

    def sum(self) -> _Lean:
        return _op(_expand, _fwd_sum, self, None, None, True)


def _fwd_mul(ctx: _Node, a: Any, b: Any) -> Any:
    ctx.save_for_backward(b, a)
    return np.multiply(a, b)


def _fwd_scale(ctx: _Node, a: Any, c: Any) -> Any:
    ctx.save_for_backward(c)
    return np.multiply(a, c)


def _fwd_add(ctx: _Node, a: Any, c: Any) -> Any:
    ctx.save_for_backward(None)
    return np.add(a, c)


def _fwd_sub(ctx: _Node, a: Any, c: Any) -> Any:
    ctx.save_for_backward(None)
    return np.subtract(a, c)


def _fwd_sin(ctx: _Node, x: Any) -> Any:
    ctx.save_for_backward(x)
    return np.sin(x)


def _fwd_exp(ctx: _Node, x: Any) -> Any:
    out = np.exp(x)
    ctx.save_for_backward(out)
    return out


def _fwd_tanh(ctx: _Node, x: Any) -> Any:
    out = np.tanh(x)
    ctx.save_for_backward(out)
    return out


def _fwd_sum(ctx: _Node, x: Any) -> Any:
    ctx.save_for_backward(x.shape)
    return x.sum()


def _lean_backward(root: _Lean) -> None:
    """The engine's heap order, release of saved tensors, and a leaf taking its gradient."""
    if root.data.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    first = root.grad_fn
    buffers: dict[Any, Any] = {first: np.array(1, root.data.dtype)}
    heap, nodes, leaves = [-first.seq], {-first.seq: first}, []
    prev_mode, state.grad_enabled = state.grad_enabled, False
    token = _set_errstate(_IGNORE)
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        while heap:
            fn = nodes.pop(heappop(heap))
            if fn.saved is _RELEASED:
                raise RuntimeError("Trying to backward through the graph a second time")
            if fn.extra is not None:  # the one flag a node's hooks, outputs, ... would set
                raise NotImplementedError("hooks on non-leaves: not part of the lower bound")
            grads = fn.formula(buffers.pop(fn), fn.saved)
            shapes = fn.in_shapes
            i = -1
            for nxt, g in zip(fn.next_functions, grads):
                i += 1
                if nxt is None or g is None:
                    continue
                if shapes is not None and g.shape != shapes[i]:
                    raise NotImplementedError("broadcast reduction: not part of the lower bound")
                prev = buffers.get(nxt)
                if prev is not None:
                    buffers[nxt] = prev + g
                elif isinstance(nxt, _Lean):
                    buffers[nxt] = g
                    leaves.append(nxt)
                else:
                    buffers[nxt] = g
                    s = -nxt.seq
                    heappush(heap, s)
                    nodes[s] = nxt
            grads = g = None
            fn.saved = _RELEASED
        for leaf in leaves:
            g = buffers.pop(leaf)
            if leaf._hooks:
                raise NotImplementedError("hooks: not part of the lower bound")
            if leaf.grad is not None:
                np.add(leaf.grad.data, g, out=leaf.grad.data)
            else:
                owned = g.base is None and g.flags.writeable and sys.getrefcount(g) <= 3
                leaf.grad = _make(g if owned else g.copy())
    finally:
        state.grad_enabled = prev_mode
        _reset_errstate(token)
        if gc_was_on:
            gc.enable()


def _lean_run(kind: type[_Lean]) -> Any:
    x = _make(X0, None, kind)
    x.requires_grad = True
    chain10(x).backward()
    return x.grad.data if x.grad is not None else None


def lean_chain10() -> Any:
    return _lean_run(_Lean)


def lean_ctx_chain10() -> Any:
    return _lean_run(_LeanCtx)


def rows(cfg: Config) -> list[tuple[str, float]]:
    """Median us per call of the 10-op chain: NumPy by hand, the floor, the lower bound, ours
    and PyTorch (when installed), each as its own block, timed as the suite's chain10 row."""
    expected = chain10_numpy()
    runs: list[tuple[str, Callable[[], Any]]] = [
        ("NumPy by hand", chain10_numpy),
        ("featureless engine (the floor)", bare_chain10),
        ("the floor + the costs no design avoids (a lower bound)", lean_chain10),
        ("the same, each op a forward(ctx, ...) as ours", lean_ctx_chain10),
        ("ours", chain10_autograd),
    ]
    if torch is not None:
        runs.append(("PyTorch", chain10_torch))
    out = []
    for name, fn in runs:
        np.testing.assert_allclose(np.asarray(fn()), expected, rtol=1e-5, err_msg=name)
        out.append((name, median_time(fn, cfg, cfg.rounds(3000, 20), cfg.warmup(300, 5)) * 1e6))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test, not a measurement")
    args = parser.parse_args(argv)
    print("| 10-op chain, forward + backward | us |\n|---|--:|")
    for name, us in rows(Config(quick=args.quick)):
        print(f"| {name} | {us:.1f} |")


if __name__ == "__main__":
    main()
