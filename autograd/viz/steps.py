"""backprop_steps: one picture per step of the real backward pass, in the engine's order."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import style as S
from .graph import Frame, GraphModel, Options, emit, grad_lines, make_graph, op_rule
from .observed import Step, run_backward
from .render import Graph

NBSP = "\u00a0"
PARTIAL = "#ea580c"  # a gradient still being summed from several consumers
DONE_EDGE = "#fca5a5"


class _Plan:
    """What every frame shows, worked out once from the observed steps."""

    def __init__(self, g: GraphModel, steps: list[Step]) -> None:
        self.g = g
        self.steps = steps
        self.op_step: dict[int, int] = {}
        self.contrib: dict[int, list[tuple[int, np.ndarray]]] = {}
        self.final: dict[int, tuple[int, np.ndarray]] = {}
        self.edge_grad: dict[tuple[int, int], tuple[int, np.ndarray]] = {}
        self.current_t: list[set[int]] = []
        for k, s in enumerate(steps):
            cur: set[int] = set()
            if s.is_leaf:
                j = g.leaf_index.get(id(s.node))
                if j is not None:
                    self.final[j] = (k, s.grads_out[0])
                    cur.add(j)
            else:
                fn = s.node
                oi = g.op_index.get(id(fn))
                if oi is not None:
                    self.op_step[oi] = k
                    for nr, go in enumerate(s.grads_out):
                        j = g.out_index.get((id(fn), nr))
                        if j is not None:
                            self.final[j] = (k, go)
                            cur.add(j)
                    for arg, j in g.ops[oi].inputs:
                        gi = s.grads_in[arg] if s.grads_in is not None else None
                        if gi is not None:
                            self.contrib.setdefault(j, []).append((k, gi))
                            self.edge_grad[(oi, arg)] = (k, gi)
            self.current_t.append(cur)
        root = g.root
        self.root_idx = (
            g.leaf_index[id(root)]
            if root.grad_fn is None
            else g.out_index[(id(root.grad_fn), root._output_nr)]
        )
        self.seed = np.ones(root.shape, dtype=root.dtype)
        # Every cell whose text changes from frame to frame is padded to its longest version
        # (a monospace font), so Graphviz lays out every frame identically: nothing jumps.
        n = len(steps)
        self.t_lines: dict[int, list[tuple[list[str], str]]] = {}
        for t in g.tensors:
            seq = [self._tensor_text(t.idx, k) for k in range(n)]
            self.t_lines[t.idx] = _pad_all(seq)
        self.captions = [lines for lines, _ in _pad_all([(self._caption(k), "") for k in range(n)])]

    def _tensor_text(self, j: int, k: int) -> tuple[list[str], str]:
        if j == self.root_idx:
            return grad_lines(self.final.get(j, (0, self.seed))[1]), S.GRAD
        parts = self.contrib.get(j, [])
        total = len(parts)
        got = [a for kk, a in parts if kk <= k]
        fin = self.final.get(j)
        if fin is not None and fin[0] <= k:
            return grad_lines(fin[1]), S.GRAD
        if total and len(got) == total:
            return grad_lines(_sum(got)), S.GRAD
        if got:
            return grad_lines(_sum(got)) + [f"({len(got)} of {total} parts so far)"], PARTIAL
        # Hidden: the text it will have, drawn in the background colour (same size).
        if fin is not None:
            return grad_lines(fin[1]), "hidden"
        if parts:
            return grad_lines(_sum([a for _, a in parts])), "hidden"
        return ["grad"], "hidden"

    def _caption(self, k: int) -> list[str]:
        g = self.g
        s = self.steps[k]
        n = len(self.steps)
        if s.is_leaf:
            j = g.leaf_index.get(id(s.node))
            name = g.tensors[j].name if j is not None else "leaf"
            total = len(self.contrib.get(j, [])) if j is not None else 0
            how = f" (the sum of {total} parts)" if total > 1 else ""
            return [
                f"Step {k + 1}/{n}: leaf {name} receives its gradient{how}",
                f"{name}.grad += {S.short(s.grads_out[0])}   (backward() accumulates into .grad)",
            ]
        fn = s.node
        oi = g.op_index.get(id(fn))
        lines = [f"Step {k + 1}/{n}: backward of {fn.name()}"]
        rule = op_rule(fn)
        if rule:
            lines.append("  " + rule)
        if oi is None:
            return lines
        op = g.ops[oi]
        ups = {}
        for nr, go in enumerate(s.grads_out):
            j = g.out_index.get((id(fn), nr))
            if j is not None:
                ups[j] = go
        for j, go in ups.items():
            lines.append(f"  upstream grad of {g.tensors[j].name}: {S.short(go)}")
        for arg, j in op.inputs:
            gi = s.grads_in[arg] if s.grads_in is not None else None
            name = g.tensors[j].name
            if gi is None:
                lines.append(f"  → {name}: no gradient")
                continue
            local = op.local.get(arg)
            up = next(iter(ups.values())) if len(ups) == 1 else None
            if local is not None and up is not None and up.size == 1 and gi.size == 1:
                lines.append(
                    f"  → {name}: upstream {S.num(up.reshape(-1)[0])} × local "
                    f"{S.num(local.reshape(-1)[0])} = {S.num(gi.reshape(-1)[0])}"
                )
            else:
                lines.append(f"  → {name}: grad {S.short(gi)}")
        return lines


def _sum(arrays: list[np.ndarray]) -> np.ndarray:
    out = arrays[0]
    with np.errstate(all="ignore"):
        for a in arrays[1:]:
            out = out + a
    return out


def _pad_all(seq: list[tuple[list[str], str]]) -> list[tuple[list[str], str]]:
    """Pad every version of a cell to the same number of lines and the same line width."""
    rows = max((len(lines) for lines, _ in seq), default=0)
    width = max((len(line) for lines, _ in seq for line in lines), default=0)
    out = []
    for lines, color in seq:
        full = list(lines) + [""] * (rows - len(lines))
        out.append(([line + NBSP * (width - len(line)) for line in full], color))
    return out


class _StepFrame(Frame):
    back = True

    def __init__(self, plan: _Plan, k: int) -> None:
        self.plan = plan
        self.k = k
        self.caption = plan.captions[k]

    def op_style(self, op: int) -> tuple[str, str, float] | None:
        at = self.plan.op_step.get(op)
        if at is None or at > self.k:
            return None
        if at == self.k:
            return S.OP_CURRENT[0], S.OP_CURRENT[1], 3.0
        return S.OP_DONE[0], S.OP_DONE[1], 1.0

    def tensor_grad(self, t: int) -> tuple[list[str], str] | None:
        return self.plan.t_lines[t][self.k]

    def tensor_current(self, t: int) -> bool:
        return t in self.plan.current_t[self.k]

    def edge(self, op: int, arg: int) -> tuple[list[str], str, str, float] | None:
        got = self.plan.edge_grad.get((op, arg))
        if got is None:
            return None
        at, gi = got
        text = [f"grad {S.short(gi)}"]
        if at > self.k:
            return text, "hidden", S.EDGE, 1.0
        if at == self.k:
            return text, S.GRAD, S.GRAD_EDGE, 2.5
        return text, S.GRAD, DONE_EDGE, 1.5


def backprop_steps(
    root: Tensor,
    *,
    show_values: bool = True,
    show_local_grads: bool = True,
    show_shapes: bool = True,
    show_dtypes: bool = True,
    show_attrs: bool = True,
    rankdir: str = "TB",
    params: Any = None,
    model: Any = None,
    tensors: Any = None,
) -> list[Graph]:
    """One picture per step of the backward pass from ``root``, in the engine's own order.

    The real engine runs (``autograd.engine.observe`` watches it; ``retain_graph=True``, and
    leaves' ``.grad`` are left as they were). Each picture highlights the current op (orange)
    and its upstream gradient, labels the edges to its inputs with the local derivative (teal)
    and the gradient sent down each (red), and shows every gradient found so far, including
    partial sums where a tensor feeds several ops. Arrows point the way gradients flow. A leaf
    step shows a leaf receiving its gradient. Every frame has the same layout.

    Call it before ``backward()``, or after ``backward(retain_graph=True)``: a plain backward
    frees the saved tensors the pass needs (then a clear error says so).

    Example:
        >>> import numpy as np, autograd
        >>> from autograd.viz import backprop_steps
        >>> x = autograd.tensor(np.float64(3.0), requires_grad=True); x.name = "x"
        >>> y = (x * x).exp()
        >>> frames = backprop_steps(y)
        >>> len(frames), "backward of Exp" in frames[0].source
        (3, True)
    """
    frames, _ = _frames(
        root,
        show_values=show_values,
        show_local_grads=show_local_grads,
        show_shapes=show_shapes,
        show_dtypes=show_dtypes,
        show_attrs=show_attrs,
        rankdir=rankdir,
        params=params,
        model=model,
        tensors=tensors,
    )
    return frames


def _frames(
    root: Tensor,
    *,
    show_values: bool = True,
    show_local_grads: bool = True,
    show_shapes: bool = True,
    show_dtypes: bool = True,
    show_attrs: bool = True,
    rankdir: str = "TB",
    params: Any = None,
    model: Any = None,
    tensors: Any = None,
) -> tuple[list[Graph], list[list[str]]]:
    g = GraphModel(
        root,
        max_nodes=None,
        params=params,
        model=model,
        tensors=tensors,
        grads=False,
        local=True,  # the captions use them even when the edges do not show them
    )
    steps = run_backward(root)
    plan = _Plan(g, steps)
    o = Options(
        values=show_values,
        grads=False,
        local=show_local_grads,
        shapes=show_shapes,
        dtypes=show_dtypes,
        attrs=show_attrs,
        rankdir=rankdir,
    )
    frames = []
    for k in range(len(steps)):
        attrs, body = emit(g, o, _StepFrame(plan, k))
        frames.append(make_graph(attrs, body, name=f"step{k + 1}"))
    captions = [[line.rstrip(NBSP) for line in c] for c in plan.captions]
    return frames, captions
