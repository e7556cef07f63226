"""Watching the real backward engine run (autograd.engine.observe) without touching .grad."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import engine
from ..function import RELEASED, Node
from ..tensor import Tensor


class Step:
    """One step of the backward pass as the engine ran it.

    ``node`` is a Node (``grads_in``: what its backward returned, one entry per input,
    reduced to each input's shape; None where an input gets no gradient) or a leaf Tensor
    (``grads_in`` is None) receiving ``grads_out[0]``.
    """

    __slots__ = ("node", "grads_out", "grads_in", "raw_in")

    def __init__(
        self,
        node: Any,
        grads_out: list[np.ndarray],
        grads_in: list[np.ndarray | None] | None,
        raw_in: tuple[Any, ...] | None,
    ) -> None:
        self.node = node
        self.grads_out = grads_out
        self.grads_in = grads_in
        self.raw_in = raw_in

    @property
    def is_leaf(self) -> bool:
        return not isinstance(self.node, Node)

    def __repr__(self) -> str:
        what = "leaf" if self.is_leaf else self.node.name()
        return f"<Step {what}>"


class GraphFreedError(RuntimeError):
    """The graph's saved tensors were released by a backward() without retain_graph=True."""


FREED_HINT = (
    "the graph's saved tensors were freed by a backward() without retain_graph=True, so the "
    "backward pass cannot be run again to watch it. Draw before calling backward(), or call "
    "backward(retain_graph=True)."
)


def is_intact(nodes: Iterable[Any]) -> bool:
    """True while no node of the graph had its saved tensors released."""
    return not any(isinstance(n, Node) and n._saved is RELEASED for n in nodes)


def sum_to(a: np.ndarray, shape: tuple[int, ...] | None) -> np.ndarray:
    """Sum a broadcast gradient back to an input's shape, as the engine does on each edge."""
    if shape is None or a.shape == tuple(shape):
        return a
    lead = a.ndim - len(shape)
    if lead < 0:
        return a
    with np.errstate(all="ignore"):  # inf + -inf is nan here, as in the engine
        if lead:
            a = a.sum(axis=tuple(range(lead)))
        axes = tuple(i for i, s in enumerate(shape) if s == 1 and a.shape[i] != 1)
        if axes:
            a = a.sum(axis=axes, keepdims=True)
    return a


def input_shapes(fn: Node, out0: tuple[int, ...] | None) -> list[tuple[int, ...] | None]:
    """Each forward input's shape: recorded when it differed from the output's, else the
    output's shape (the engine's own rule for reducing gradients)."""
    shapes = fn._in_shapes
    if shapes is not None:
        return list(shapes)
    return [out0] * len(fn.next_functions)


def run_backward(root: Tensor) -> list[Step]:
    """Run the engine's backward pass from ``root`` (seed: ones) under ``engine.observe`` and
    return its steps in the engine's order.

    The graph is retained (saved tensors stay), leaves' ``.grad`` are untouched (the pass runs
    as ``autograd.grad`` over every leaf) and retained intermediates' ``.grad`` are restored.
    Tensor hooks do run, as in any backward pass.
    """
    nodes = _nodes(root)
    if not is_intact(nodes):
        raise GraphFreedError(FREED_HINT)
    leaves = [n for n in nodes if isinstance(n, Tensor)]
    retained = _retained(nodes)
    steps: list[Step] = []

    def record(node: Any, grads_out: list[Tensor], grads_in: Any) -> None:
        outs = [np.asarray(g.data) for g in grads_out]
        if grads_in is None:
            steps.append(Step(node, outs, None, None))
            return
        raw = tuple(grads_in)
        ins: list[np.ndarray | None] = []
        shapes = input_shapes(node, outs[0].shape if outs else None)
        for i, gi in enumerate(raw):
            if gi is None or node.next_functions[i] is None:
                ins.append(None)
                continue
            arr = np.asarray(gi.data if isinstance(gi, Tensor) else gi)
            ins.append(sum_to(arr, shapes[i] if i < len(shapes) else None))
        steps.append(Step(node, outs, ins, raw))

    seed = Tensor(np.ones(root.shape, dtype=root.dtype))
    try:
        with engine.observe(record):
            engine.grad(root, leaves, grad_outputs=seed, retain_graph=True, allow_unused=True)
    finally:
        for t, g in retained:
            t.grad = g
    return steps


def _nodes(root: Tensor) -> list[Any]:
    out: list[Any] = []
    start = root.grad_fn if root.grad_fn is not None else root
    seen = {id(start)}
    stack = [start]
    while stack:
        n = stack.pop()
        out.append(n)
        if isinstance(n, Node):
            for nxt in n.next_functions:
                if nxt is not None and id(nxt) not in seen:
                    seen.add(id(nxt))
                    stack.append(nxt)
    return out


def _retained(nodes: list[Any]) -> list[tuple[Tensor, Tensor | None]]:
    """Intermediates with retain_grad(): the engine writes their .grad, so it is put back."""
    out = []
    for n in nodes:
        extra = n._extra if isinstance(n, Node) else None
        if extra and "retain" in extra:
            for ref in extra["retain"].values():
                t = ref()
                if t is not None:
                    out.append((t, t.grad))
    return out
