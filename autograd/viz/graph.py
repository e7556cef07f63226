"""draw_graph: the graph behind a tensor as Graphviz DOT, with values, gradients and modules."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..function import RELEASED, Function, Node, SavedOutput
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import style as S
from .modules import Cluster, ModuleTrace, clusters_from_trace, owner_clusters
from .observed import input_shapes, is_intact, run_backward, sum_to
from .render import Graph


class TNode:
    """A tensor in the picture: a leaf, or one output of an op."""

    __slots__ = (
        "idx",
        "kind",
        "fn",
        "nr",
        "tensor",
        "shape",
        "dtype",
        "name",
        "value",
        "grad",
        "grad_computed",
        "is_root",
        "cluster",
        "consumers",
    )

    def __init__(self, idx: int, kind: str, fn: Any, nr: int, tensor: Tensor | None) -> None:
        self.idx = idx
        self.kind = kind  # "param", "leaf" or "inter"
        self.fn = fn
        self.nr = nr
        self.tensor = tensor
        self.shape: tuple[int, ...] | None = None if tensor is None else tensor.shape
        self.dtype: np.dtype | None = None if tensor is None else tensor.dtype
        self.name = ""
        self.value: np.ndarray | None = None
        self.grad: np.ndarray | None = None
        self.grad_computed = False
        self.is_root = False
        self.cluster: int | None = None
        self.consumers: list[tuple[int, int]] = []  # (op idx, argument position)


class OpNode:
    """An op (a recorded Node) in the picture."""

    __slots__ = ("idx", "fn", "inputs", "cut", "outputs", "cluster", "local")

    def __init__(self, idx: int, fn: Node) -> None:
        self.idx = idx
        self.fn = fn
        self.inputs: list[tuple[int, int]] = []  # (argument position, tensor idx)
        self.cut: list[int] = []  # argument positions whose producer is not drawn (max_nodes)
        self.outputs: list[int] = []
        self.cluster: int | None = None
        self.local: dict[int, np.ndarray | None] = {}


class GraphModel:
    """Everything a picture needs, gathered once: ops in forward order, tensors, shapes,
    dtypes, values, gradients, local derivatives and module clusters."""

    def __init__(
        self,
        root: Tensor,
        *,
        max_nodes: int | None = None,
        params: Any = None,
        model: Any = None,
        tensors: Any = None,
        grads: bool | None = None,
        local: bool = False,
    ) -> None:
        if not isinstance(root, Tensor):
            raise TypeError(f"draw_graph needs a Tensor, not {type(root).__name__}")
        if not root.requires_grad:
            raise ValueError(
                "this tensor does not require grad, so no graph was recorded behind it; "
                "create its inputs with requires_grad=True"
            )
        if model is not None and not hasattr(model, "named_parameters"):
            raise TypeError(
                "model must have named_parameters() (an nn.Module) or be a trace from "
                "autograd.viz.trace_modules(model)"
            )
        self.root = root
        self.ops: list[OpNode] = []
        self.tensors: list[TNode] = []
        self.op_index: dict[int, int] = {}  # id(Node) -> op idx
        self.out_index: dict[tuple[int, int], int] = {}  # (id(Node), nr) -> tensor idx
        self.leaf_index: dict[int, int] = {}  # id(leaf Tensor) -> tensor idx
        self.hidden_ops = 0
        self.clusters: list[Cluster] = []
        self.intact = True
        self.computed_grads = False

        order, n_total = self._walk(root, max_nodes)
        self.hidden_ops = n_total - len(order)
        self._build(order)
        self.intact = is_intact(op.fn for op in self.ops)
        self._shapes()
        names = _param_names(params, model)
        self._find_tensors(tensors, names)
        self._dtypes()
        self._values()
        self._names(names, tensors)
        self._clusters(model, names)
        if grads is None:  # auto: on once a backward pass has filled some leaf's .grad
            grads = any(t.tensor is not None and t.tensor.grad is not None for t in self.tensors)
        self.grads_on = bool(grads)
        if self.grads_on:
            self._grads()
        if local and self.intact:
            self._local_grads()

    # -- structure --------------------------------------------------------------------------
    @staticmethod
    def _walk(root: Tensor, max_nodes: int | None) -> tuple[list[Node], int]:
        """The ops behind ``root``, producers before consumers (iterative DFS post-order)."""
        start = root.grad_fn
        if start is None:
            return [], 0
        keep: set[int] | None = None
        order: list[Node] = []
        seen = {id(start)}
        stack: list[tuple[Node, int]] = [(start, 0)]
        while stack:
            fn, i = stack[-1]
            nexts = fn.next_functions
            n = len(nexts)
            while i < n:
                nxt = nexts[i]
                i += 1
                if isinstance(nxt, Node) and id(nxt) not in seen:
                    seen.add(id(nxt))
                    stack[-1] = (fn, i)
                    stack.append((nxt, 0))
                    break
            else:
                stack.pop()
                order.append(fn)
        total = len(order)
        if max_nodes is not None and total > max_nodes:
            # Keep the ops nearest the output (breadth-first): the end of the computation is
            # where backprop starts and what a reader looks at first.
            keep = {id(start)}
            frontier = [start]
            while frontier and len(keep) < max_nodes:
                nxt_frontier = []
                for fn in frontier:
                    for p in fn.next_functions:
                        if isinstance(p, Node) and id(p) not in keep:
                            if len(keep) >= max_nodes:
                                break
                            keep.add(id(p))
                            nxt_frontier.append(p)
                frontier = nxt_frontier
            order = [fn for fn in order if id(fn) in keep]
        return order, total

    def _build(self, order: list[Node]) -> None:
        root = self.root
        used: dict[int, set[int]] = {}
        for fn in order:
            nrs = fn._next_nr
            for i, p in enumerate(fn.next_functions):
                if isinstance(p, Node):
                    used.setdefault(id(p), set()).add(nrs[i] if nrs else 0)
        if root.grad_fn is not None:
            used.setdefault(id(root.grad_fn), set()).add(root._output_nr)
        tensors = self.tensors
        for fn in order:
            op = OpNode(len(self.ops), fn)
            self.ops.append(op)
            self.op_index[id(fn)] = op.idx
            nrs = fn._next_nr
            for i, p in enumerate(fn.next_functions):
                if p is None:
                    continue
                if isinstance(p, Node):
                    j = self.out_index.get((id(p), nrs[i] if nrs else 0))
                    if j is None:
                        op.cut.append(i)
                        continue
                else:
                    j = self.leaf_index.get(id(p))
                    if j is None:
                        j = len(tensors)
                        kind = "param" if type(p).__name__ == "Parameter" else "leaf"
                        tensors.append(TNode(j, kind, None, 0, p))
                        self.leaf_index[id(p)] = j
                op.inputs.append((i, j))
                tensors[j].consumers.append((op.idx, i))
            for nr in sorted(used.get(id(fn), ())):
                j = len(tensors)
                tensors.append(TNode(j, "inter", fn, nr, None))
                self.out_index[(id(fn), nr)] = j
                op.outputs.append(j)
        if root.grad_fn is None:
            j = len(tensors)
            kind = "param" if type(root).__name__ == "Parameter" else "leaf"
            tensors.append(TNode(j, kind, None, 0, root))
            self.leaf_index[id(root)] = j
        else:
            j = self.out_index[(id(root.grad_fn), root._output_nr)]
            tensors[j].tensor = root
        tensors[j].is_root = True

    def _shapes(self) -> None:
        """Output shapes from the root down: each op recorded its inputs' shapes when they
        differed from its output's, which is exactly what the engine relies on too."""
        root_t = self.tensors[self._root_idx()]
        root_t.shape = self.root.shape
        for op in reversed(self.ops):
            fn = op.fn
            meta = fn._extra.get("out_meta") if fn._extra else None
            out0: tuple[int, ...] | None
            if meta:
                for j in op.outputs:
                    t = self.tensors[j]
                    t.shape, t.dtype = tuple(meta[t.nr][0]), np.dtype(meta[t.nr][1])
                out0 = tuple(meta[0][0])
            else:
                out0 = self.tensors[op.outputs[0]].shape if op.outputs else None
            shapes = input_shapes(fn, out0)
            for i, j in op.inputs:
                t = self.tensors[j]
                if t.shape is None and i < len(shapes):
                    t.shape = shapes[i]

    def _root_idx(self) -> int:
        r = self.root
        if r.grad_fn is None:
            return self.leaf_index[id(r)]
        return self.out_index[(id(r.grad_fn), r._output_nr)]

    def _find_tensors(self, tensors: Any, names: dict[int, str]) -> None:
        """Find the Tensor objects of intermediates, for their names, values and retained
        grads: ``retain_grad`` references, what ops saved, ``tensors=``, and (by default) the
        live tensors of the session (a scan of the garbage collector's objects)."""
        found: list[Tensor] = []
        for op in self.ops:
            fn = op.fn
            if fn._extra and "retain" in fn._extra:
                found.extend(t for t in (r() for r in fn._extra["retain"].values()) if t)
            saved = fn._saved
            if saved and saved is not RELEASED:
                found.extend(s for s in saved if isinstance(s, Tensor) and s.grad_fn is not None)
        if isinstance(tensors, Mapping):
            found.extend(t for t in tensors.values() if isinstance(t, Tensor))
        elif tensors is None:
            found.extend(_live_outputs(self.op_index))
        elif tensors is not False and isinstance(tensors, Iterable):
            found.extend(t for t in tensors if isinstance(t, Tensor))
        for t in found:
            if t.grad_fn is None:
                continue
            j = self.out_index.get((id(t.grad_fn), t._output_nr))
            if j is None:
                continue
            node = self.tensors[j]
            have = node.tensor
            # Several Tensor objects can stand for one output (saved_tensors unpacks new
            # ones); the one a person named wins.
            if have is None or (not have.name and t.name):
                if not node.is_root:
                    node.tensor = t

    def _dtypes(self) -> None:
        """dtypes in forward order: the result type of the inputs (our ops cast explicitly, so
        this holds), a Cast op's target, or the exact dtype when the tensor itself is known."""
        for op in self.ops:
            fn = op.fn
            ins = [self.tensors[j].dtype for _, j in op.inputs]
            cast = getattr(fn, "dtype", None) if fn.op.__name__ == "Cast" else None
            for j in op.outputs:
                t = self.tensors[j]
                if t.tensor is not None:
                    t.dtype = t.tensor.dtype
                elif t.dtype is not None:
                    continue
                elif cast is not None:
                    t.dtype = np.dtype(cast)
                else:
                    known = [d for d in ins if d is not None]
                    t.dtype = np.result_type(*known) if known else None

    def _values(self) -> None:
        for t in self.tensors:
            if t.tensor is not None:
                t.value = t.tensor.data
        for op in self.ops:
            saved = op.fn._saved
            if not saved or saved is RELEASED:
                continue
            for i, s in enumerate(saved):
                if type(s) is SavedOutput:
                    j = self.out_index.get((id(op.fn), s.nr))
                    if j is not None and self.tensors[j].value is None:
                        try:  # the values as saved, unless changed in place since
                            data = np.asarray(op.fn._saved_output_array(i, s.nr))
                        except RuntimeError:
                            continue
                        self.tensors[j].value = data
                        self.tensors[j].dtype = data.dtype

    def _names(self, names: dict[int, str], tensors: Any) -> None:
        given: dict[int, str] = {}
        if isinstance(tensors, Mapping):
            given = {id(t): str(k) for k, t in tensors.items() if isinstance(t, Tensor)}
        k = 0
        for t in self.tensors:
            obj = t.tensor
            name = ""
            if obj is not None:
                name = obj.name or names.get(id(obj), "") or given.get(id(obj), "")
                if id(obj) in names:
                    t.kind = "param" if t.fn is None else t.kind
            if not name:
                if t.is_root:
                    name = "out"
                else:
                    k += 1
                    name = f"t{k}"
            t.name = name

    def _clusters(self, model: Any, names: dict[int, str]) -> None:
        if model is None:
            return
        if isinstance(model, ModuleTrace):
            clusters, op_cl, leaf_cl = clusters_from_trace(model, self.op_index, self.leaf_index)
            self.clusters = clusters
            for j, c in op_cl.items():
                op = self.ops[j]
                op.cluster = c
                for o in op.outputs:
                    self.tensors[o].cluster = c
            for j, c in leaf_cl.items():
                self.tensors[j].cluster = c
            return
        types: dict[str, str] = {}
        if hasattr(model, "named_modules"):
            types = {n: type(m).__name__ for n, m in model.named_modules()}
        clusters, by_name = owner_clusters(names, types)
        self.clusters = clusters
        owner: dict[int, int] = {}  # tensor idx of a parameter -> cluster
        for t in self.tensors:
            if t.fn is None and t.tensor is not None and id(t.tensor) in names:
                pname = names[id(t.tensor)]
                if "." in pname:
                    c = by_name[pname.rsplit(".", 1)[0]]
                    owner[t.idx] = c
                    t.cluster = c
        # Without a trace, an op joins a module when it reads that module's parameters, or
        # the output of an op that read nothing but them (a weight's transpose, say).
        param_only: dict[int, bool] = {}
        for op in self.ops:
            cands: set[int] = set()
            only = not _has_constant(op.fn)
            for _, j in op.inputs:
                t = self.tensors[j]
                if j in owner:
                    cands.add(owner[j])
                elif t.fn is not None and param_only.get(self.op_index[id(t.fn)], False):
                    pc = self.ops[self.op_index[id(t.fn)]].cluster
                    if pc is not None:
                        cands.add(pc)
                else:
                    only = False
            if len(cands) == 1:
                c = cands.pop()
                op.cluster = c
                param_only[op.idx] = only
                for o in op.outputs:
                    self.tensors[o].cluster = c

    # -- numbers ----------------------------------------------------------------------------
    def _grads(self) -> None:
        for t in self.tensors:
            obj = t.tensor
            if obj is not None and obj.grad is not None:
                t.grad = obj.grad.data
        if not self.intact:
            return
        # Intermediates keep no .grad: watch the real engine run once more (retain_graph,
        # leaves' .grad untouched) to show what flows into each of them.
        try:
            steps = run_backward(self.root)
        except RuntimeError:  # e.g. anomaly mode stopping at a nan: draw without them
            return
        self.computed_grads = True
        for step in steps:
            if step.is_leaf:
                j = self.leaf_index.get(id(step.node))
                outs = {j: step.grads_out[0]} if j is not None else {}
            else:
                fn = step.node
                outs = {}
                for nr, g in enumerate(step.grads_out):
                    j = self.out_index.get((id(fn), nr))
                    if j is not None:
                        outs[j] = g
            for j, g in outs.items():
                t = self.tensors[j]
                if t.grad is None:
                    t.grad = g
                    t.grad_computed = True

    def _local_grads(self) -> None:
        """∂out/∂in of each edge: the op's own backward with an upstream gradient of ones
        (exact for scalars; for tensors the vector-Jacobian product with ones, which for an
        elementwise op is the elementwise derivative), reduced to the input's shape."""
        for op in self.ops:
            op.local = local_grads(op.fn, self._out_meta(op), self._in_shapes(op))

    def _out_meta(self, op: OpNode) -> list[tuple[tuple[int, ...], Any]]:
        fn = op.fn
        meta = fn._extra.get("out_meta") if fn._extra else None
        if meta:
            return [(tuple(s), d) for s, d in meta]
        t = self.tensors[op.outputs[0]] if op.outputs else None
        if t is None or t.shape is None:
            return []
        return [(t.shape, t.dtype if t.dtype is not None else np.float64)]

    def _in_shapes(self, op: OpNode) -> dict[int, tuple[int, ...] | None]:
        return {i: self.tensors[j].shape for i, j in op.inputs}


def local_grads(
    fn: Node,
    outs: list[tuple[tuple[int, ...], Any]],
    in_shapes: dict[int, tuple[int, ...] | None],
) -> dict[int, np.ndarray | None]:
    """Call ``fn``'s backward with ones for each output (under no_grad) and return the
    gradient it gives each input, summed to that input's shape; None where it failed."""
    if not outs or fn._saved is RELEASED:
        return {}
    ones = [Tensor(np.ones(s, dtype=_float(d))) for s, d in outs]
    try:
        with no_grad(), np.errstate(all="ignore"):
            res = fn.op.backward(fn, *ones)
    except Exception:  # a user's custom op may not cope; the picture just leaves it out
        return {}
    if not isinstance(res, (tuple, list)):
        res = (res,)
    out: dict[int, np.ndarray | None] = {}
    for i, shape in in_shapes.items():
        g = res[i] if i < len(res) else None
        if g is None:
            out[i] = None
            continue
        out[i] = sum_to(np.asarray(g.data if isinstance(g, Tensor) else g), shape)
    return out


def _has_constant(fn: Node) -> bool:
    """Did the op read a tensor that needs no grad (the x in x @ W.T)? Seen from the input
    shapes it recorded, or from a saved tensor outside the graph."""
    shapes = fn._in_shapes
    if shapes is not None:
        for p, s in zip(fn.next_functions, shapes):
            if p is None and s is not None:
                return True
    saved = fn._saved
    if saved and saved is not RELEASED:
        return any(isinstance(s, Tensor) and not s.requires_grad for s in saved)
    return False


def _float(dtype: Any) -> np.dtype:
    d = np.dtype(dtype)
    return d if d.kind in "fc" else np.dtype(np.float64)


def _param_names(params: Any, model: Any) -> dict[int, str]:
    """id(parameter) -> dotted name, from ``params`` (a dict, pairs, or anything with
    named_parameters()) and ``model``."""
    names: dict[int, str] = {}
    for source in (model, params):
        if source is None:
            continue
        if hasattr(source, "named_parameters"):
            items: Iterable[Any] = source.named_parameters()
        elif isinstance(source, Mapping):
            items = source.items()
        else:
            items = source
        for item in items:
            try:
                name, t = item
            except (TypeError, ValueError):
                raise TypeError(
                    "params must be a dict name -> Tensor, (name, Tensor) pairs such as "
                    "model.named_parameters(), or an object with named_parameters()"
                ) from None
            if isinstance(t, Tensor):
                names.setdefault(id(t), str(name))
    return names


def _live_outputs(op_index: dict[int, int]) -> list[Tensor]:
    """Live Tensor objects produced by the graph's ops (the ones a session still holds)."""
    if not op_index:
        return []
    out = []
    for obj in gc.get_objects():
        # type(), not isinstance: isinstance may ask a proxy object for its __class__, which
        # can run arbitrary code (lazy modules warn, for one).
        if issubclass(type(obj), Tensor):
            fn = obj.grad_fn
            if fn is not None and id(fn) in op_index:
                out.append(obj)
    return out


# -- DOT --------------------------------------------------------------------------------------
class Options:
    """What to show; one object shared by draw_graph and the backprop frames."""

    def __init__(
        self,
        values: bool = True,
        grads: bool = True,
        local: bool = False,
        saved: bool = False,
        shapes: bool = True,
        dtypes: bool = True,
        attrs: bool = True,
        rankdir: str = "TB",
        collapse: int | None = None,
        title: str | None = None,
    ) -> None:
        self.values = values
        self.grads = grads
        self.local = local
        self.saved = saved
        self.shapes = shapes
        self.dtypes = dtypes
        self.attrs = attrs
        self.rankdir = rankdir
        self.collapse = collapse
        self.title = title


class Frame:
    """Per-frame overrides for the backprop pictures (the default draws the static graph)."""

    back = False  # arrows point the way gradients flow
    caption: list[str] | None = None

    def op_style(self, op: int) -> tuple[str, str, float] | None:
        return None

    def tensor_grad(self, t: int) -> tuple[list[str], str] | None:
        return None

    def tensor_current(self, t: int) -> bool:
        return False

    def edge(self, op: int, arg: int) -> tuple[list[str], str, str, float] | None:
        return None


_STATIC = Frame()


def _mono(lines: list[str], color: str, size: int = 9) -> str:
    body = '<BR ALIGN="LEFT"/>'.join(S.esc(line).replace("\u00a0", "&#160;") for line in lines)
    return f'<FONT FACE="{S.MONO}" POINT-SIZE="{size}" COLOR="{color}">{body}</FONT>'


def _prefixed(head: str, lines: list[str]) -> list[str]:
    pad = " " * len(head)
    return [(head if k == 0 else pad) + line for k, line in enumerate(lines)]


def _row(content: str) -> str:
    return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{content}</TD></TR>'


def grad_lines(g: np.ndarray) -> list[str]:
    return _prefixed("grad ", S.array_lines(g))


def tensor_label(t: TNode, o: Options, frame: Frame, idx: int) -> str:
    if t.is_root:
        fill, border = S.ROOT
        tag = "output" if t.fn is not None else t.kind
    elif t.kind == "param":
        fill, border = S.PARAM
        tag = "param"
    elif t.kind == "leaf":
        fill, border = S.LEAF
        tag = "leaf"
    else:
        fill, border = S.INTER
        tag = ""
    if frame.tensor_current(idx):
        # Colour only: a thicker border would resize the node and move the layout.
        fill, border = S.CURRENT_TENSOR
    head = f"<B>{S.esc(t.name)}</B>"
    if tag:
        head += f' <FONT POINT-SIZE="8" COLOR="{S.MUTED}">{tag}</FONT>'
    rows = [_row(head)]
    bits = []
    if o.shapes:
        bits.append(S.shape_text(t.shape))
    if o.dtypes and t.dtype is not None:
        bits.append(_dtype_name(t.dtype))
    if bits:
        rows.append(_row(f'<FONT POINT-SIZE="8" COLOR="{S.MUTED}">{" · ".join(bits)}</FONT>'))
    if o.values and t.value is not None:
        rows.append(_row(_mono(_prefixed("data ", S.array_lines(t.value)), S.TEXT)))
    fg = frame.tensor_grad(idx)
    if fg is not None:
        lines, color = fg
        rows.append(_row(_mono(lines, fill if color == "hidden" else color)))
    elif o.grads and t.grad is not None:
        rows.append(_row(_mono(grad_lines(t.grad), S.GRAD)))
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" '
        f'STYLE="ROUNDED" BGCOLOR="{fill}" COLOR="{border}">{"".join(rows)}</TABLE>>'
    )


def _dtype_name(d: np.dtype) -> str:
    name = _DTYPES.get(d)
    if name is None:
        name = _DTYPES[d] = str(d)
    return name


_DTYPES: dict[np.dtype, str] = {}


def tensor_tooltip(t: TNode) -> str:
    dtype = _dtype_name(t.dtype) if t.dtype is not None else ""
    parts = [f"{t.name}: {S.shape_text(t.shape)} {dtype}"]
    if t.fn is not None:
        parts.append(f"output {t.nr} of {t.fn.name()}" if t.nr else f"made by {t.fn.name()}")
    else:
        parts.append("parameter" if t.kind == "param" else "leaf tensor (requires grad)")
    if t.value is not None:
        parts.append("data = " + _array_repr(t.value))
    if t.grad is not None:
        src = "computed by a watched backward pass" if t.grad_computed else ".grad"
        parts.append(f"grad ({src}) = " + _array_repr(t.grad))
    return "\n".join(parts)


def _array_repr(a: np.ndarray) -> str:
    a = np.asarray(a)
    if a.size <= 32:
        return np.array2string(a, precision=4, separator=", ")
    return "; ".join(S.stats_lines(a))  # array2string of big arrays is slow on 4,000 nodes


def op_attrs(fn: Node) -> list[tuple[str, Any]]:
    """An op's attributes (a conv's stride, a sum's dims): the __slots__ its class names, then
    what a custom Function stored on ctx."""
    names = _SLOTS.get(fn.op)
    if names is None:
        names = []
        for cls in fn.op.__mro__:
            slots = cls.__dict__.get("__slots__", ())
            for name in (slots,) if isinstance(slots, str) else slots:
                if not name.startswith("__") and name not in names:  # not __dict__, ...
                    names.append(name)
        _SLOTS[fn.op] = names
    out = [(name, getattr(fn, name, None)) for name in names]
    d = getattr(fn, "__dict__", None)
    if d:
        out.extend((k, v) for k, v in d.items() if not k.startswith("_") and k not in names)
    return out


_SLOTS: dict[type, list[str]] = {}


def op_rule(fn: Node) -> str:
    """The first line of the op's docstring: ours state the derivative (``y = exp(x);
    dx = grad * y``)."""
    doc = fn.op.__doc__
    if not doc or doc is Function.__doc__:
        return ""
    return doc.strip().splitlines()[0].strip()


def saved_lines(g: GraphModel, op: OpNode) -> list[str]:
    fn = op.fn
    saved = fn._saved
    if saved is RELEASED:
        return ["saved: freed by backward()"]
    lines = []
    for s in saved or ():
        if s is None:  # a slot left empty (Mul keeps an operand only for the other's gradient)
            continue
        if type(s) is SavedOutput:
            j = g.out_index.get((id(fn), s.nr))
            who = g.tensors[j].name if j is not None else f"output {s.nr}"
            lines.append(f"saved: {who} (its output)")
        elif isinstance(s, Tensor):
            if s.grad_fn is None:
                j = g.leaf_index.get(id(s))
            else:
                j = g.out_index.get((id(s.grad_fn), s._output_nr))
            who = g.tensors[j].name if j is not None else f"tensor {S.shape_text(s.shape)}"
            lines.append(f"saved: {who}")
        elif isinstance(s, np.ndarray) and s.ndim == 0:  # a number (tensor.py keeps it 0-d)
            lines.append(f"saved: {S.num(s.item())}")
        elif isinstance(s, np.ndarray):
            lines.append(f"saved: array {S.shape_text(s.shape)} {s.dtype}")
        else:
            lines.append(f"saved: {S.attr_text(s) or type(s).__name__}")
    for name, v in op_attrs(fn):
        if isinstance(v, np.ndarray):
            lines.append(f"saved: {name} {S.shape_text(v.shape)} {v.dtype}")
    return lines or ["saved: nothing"]


def op_label(g: GraphModel, op: OpNode, o: Options) -> str:
    fn = op.fn
    rows = [f"<TR><TD><B>{S.esc(fn.name())}</B></TD></TR>"]
    if o.attrs:
        texts = []
        for name, v in op_attrs(fn):
            text = S.attr_text(v)
            if text is not None:
                texts.append(f"{name}={text}")
        if texts:
            body = S.esc(", ".join(texts))
            rows.append(f'<TR><TD><FONT POINT-SIZE="8" COLOR="{S.MUTED}">{body}</FONT></TD></TR>')
    if o.saved:
        body = "<BR/>".join(S.esc(line) for line in saved_lines(g, op))
        rows.append(f'<TR><TD><FONT POINT-SIZE="8" COLOR="{S.MUTED}">{body}</FONT></TD></TR>')
    return _plain_table(rows)


def _plain_table(rows: list[str]) -> str:
    head = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
    return f"<{head}{''.join(rows)}</TABLE>>"


def op_tooltip(fn: Node) -> str:
    parts = [fn.name()]
    rule = op_rule(fn)
    if rule:
        parts.append(rule)
    if fn._extra and "trace" in fn._extra:
        parts.append("made at:\n" + fn._extra["trace"])
    return "\n".join(parts)


def local_text(g: GraphModel, op: OpNode, arg: int, j: int) -> str | None:
    if arg not in op.local:
        return None
    d = op.local[arg]
    outs = op.outputs
    out_name = g.tensors[outs[0]].name if len(outs) == 1 else op.fn.name()
    what = f"∂{out_name}/∂{g.tensors[j].name}"
    if d is None:
        return f"{what} = 0"
    if d.size == 1:
        return f"{what} = {S.num(d.reshape(-1)[0])}"
    return f"{what}: {S.short(d)}"


def _q(text: str) -> str:
    """A DOT double-quoted string (newlines as Graphviz's \\n escape)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def emit(g: GraphModel, o: Options, frame: Frame = _STATIC) -> tuple[dict[str, str], list[str]]:
    """The graph attributes and DOT body lines of one picture."""
    nodes: dict[int | None, list[str]] = {}  # cluster -> node lines
    edges: list[str] = []
    collapse = _collapse_map(g, o.collapse)
    hidden_t: set[int] = set()
    hidden_op: dict[int, int] = {}  # op idx -> collapsed cluster
    if collapse:
        for op in g.ops:
            c = collapse.get(op.cluster) if op.cluster is not None else None
            if c is not None:
                hidden_op[op.idx] = c
        for t in g.tensors:
            c = collapse.get(t.cluster) if t.cluster is not None else None
            if c is None:
                continue
            exits = t.is_root or any(hidden_op.get(k) != c for k, _ in t.consumers)
            if not exits or t.fn is None:
                hidden_t.add(t.idx)

    def place(cluster: int | None) -> int | None:
        """The cluster a visible node is drawn in: its own, unless that one is collapsed."""
        while cluster is not None and cluster in collapse:
            cluster = g.clusters[cluster].parent
        return cluster

    for t in g.tensors:
        if t.idx in hidden_t:
            continue
        line = (
            f"\tt{t.idx} [label={tensor_label(t, o, frame, t.idx)} "
            f"tooltip={_q(tensor_tooltip(t))}]\n"
        )
        nodes.setdefault(place(t.cluster), []).append(line)
    for op in g.ops:
        if op.idx in hidden_op:
            continue
        style = frame.op_style(op.idx)
        fill, border = S.OP
        width = 1.0
        if style is not None:
            fill, border, width = style
        line = (
            f"\top{op.idx} [label={op_label(g, op, o)} shape=box "
            f'style="rounded,filled" fillcolor="{fill}" color="{border}" '
            f"penwidth={width} tooltip={_q(op_tooltip(op.fn))}]\n"
        )
        nodes.setdefault(place(op.cluster), []).append(line)
    folded_ops: dict[int, list[OpNode]] = {}
    for op in g.ops:
        if op.idx in hidden_op:
            folded_ops.setdefault(hidden_op[op.idx], []).append(op)
    folded_params: dict[int, list[TNode]] = {}
    for j in hidden_t:
        t = g.tensors[j]
        if t.kind == "param" and t.fn is None:
            folded_params.setdefault(collapse[t.cluster], []).append(t)  # type: ignore[index]
    for c in sorted(set(collapse.values())):
        line = _module_node(g, o, c, folded_ops.get(c, []), folded_params.get(c, []))
        nodes.setdefault(place(g.clusters[c].parent), []).append(line)

    back = ' dir="back"' if frame.back else ""
    plain = " [dir=back]" if frame.back else ""
    seen_edges: set[tuple[str, str]] = set()
    for op in g.ops:
        dst = f"op{op.idx}" if op.idx not in hidden_op else f"m{hidden_op[op.idx]}"
        for arg, j in op.inputs:
            if j in hidden_t:
                src = f"m{collapse[g.tensors[j].cluster]}"  # type: ignore[index]
            else:
                src = f"t{j}"
            if op.idx in hidden_op or j in hidden_t:
                if src == dst or (src, dst) in seen_edges:
                    continue
                seen_edges.add((src, dst))
                edges.append(f"\t{src} -> {dst}{plain}\n")
                continue
            edge_attrs = _input_edge(g, o, frame, op, arg, j)
            edges.append(f"\t{src} -> {dst} [{edge_attrs}{back}]\n")
        for j in op.outputs:
            if j in hidden_t:
                continue
            src = f"op{op.idx}" if op.idx not in hidden_op else f"m{hidden_op[op.idx]}"
            if (src, f"t{j}") in seen_edges:
                continue
            seen_edges.add((src, f"t{j}"))
            edges.append(f"\t{src} -> t{j}{plain}\n")
    if g.hidden_ops:
        cut_ops = [op for op in g.ops if op.cut]
        more = (
            f'\tmore [label="⋯ {g.hidden_ops:,} more ops not drawn (max_nodes)" shape=note '
            f'style="dashed" color="{S.MUTED}" fontcolor="{S.MUTED}"]\n'
        )
        nodes.setdefault(None, []).append(more)
        for op in cut_ops:
            dst = f"op{op.idx}" if op.idx not in hidden_op else f"m{hidden_op[op.idx]}"
            if ("more", dst) not in seen_edges:
                seen_edges.add(("more", dst))
                edges.append(f'\tmore -> {dst} [style=dashed color="{S.MUTED}"{back}]\n')

    body = _cluster_lines(g, nodes, collapse) + edges
    attrs = {
        "rankdir": o.rankdir,
        "bgcolor": "white",
        "fontname": S.FONT,
        "nodesep": "0.3",
        "ranksep": "0.35",
        "newrank": "true",
    }
    caption = frame.caption
    if caption is not None:
        attrs["labelloc"] = "t"
        attrs["labeljust"] = "l"
        attrs["label"] = "<" + _mono(caption, S.TEXT, 11) + ">"
    elif o.title:
        attrs["labelloc"] = "t"
        attrs["label"] = o.title
    return attrs, body


def _input_edge(g: GraphModel, o: Options, frame: Frame, op: OpNode, arg: int, j: int) -> str:
    color, width = S.EDGE, 1.0
    parts: list[str] = []
    if o.local:
        text = local_text(g, op, arg, j)
        if text is not None:
            parts.append(f'<FONT COLOR="{S.LOCAL}">{S.esc(text)}</FONT>')
    extra = frame.edge(op.idx, arg)
    if extra is not None:
        lines, text_color, color, width = extra
        parts.append(_mono(lines, "white" if text_color == "hidden" else text_color))
    attrs = f'color="{color}" penwidth={width}'
    if parts:
        attrs += f" label=<{'<BR/>'.join(parts)}>"
    tip = f"argument {arg} of {op.fn.name()}"
    return attrs + f" tooltip={_q(tip)} labeltooltip={_q(tip)}"


def _collapse_map(g: GraphModel, depth: int | None) -> dict[int, int]:
    """cluster -> the cluster it is folded into: the outermost one ``depth`` levels down, or a
    module with no sub-modules above that level (it cannot be unfolded any further)."""
    if depth is None or not g.clusters:
        return {}
    parents = {c.parent for c in g.clusters}
    out: dict[int, int] = {}
    for c in g.clusters:  # parents come before children
        if c.parent is not None and c.parent in out:
            out[c.idx] = out[c.parent]
        elif c.depth >= depth or (c.depth >= 1 and c.idx not in parents):
            out[c.idx] = c.idx
    return out


def _module_node(g: GraphModel, o: Options, c: int, ops: list[OpNode], params: list[TNode]) -> str:
    cl = g.clusters[c]
    kinds: list[str] = []
    for op in ops:
        n = op.fn.name()
        if n not in kinds:
            kinds.append(n)
    rows = [f"<TR><TD><B>{S.esc(cl.title)}</B></TD></TR>"]
    summary = f"{len(ops)} op{'s' if len(ops) != 1 else ''}"
    if kinds:
        summary += ": " + ", ".join(kinds[:4]) + (", …" if len(kinds) > 4 else "")
    rows.append(f'<TR><TD><FONT POINT-SIZE="8" COLOR="{S.MUTED}">{S.esc(summary)}</FONT></TD></TR>')
    for t in sorted(params, key=lambda t: t.idx):
        text = f"{t.name} {S.shape_text(t.shape)}"
        rows.append(f'<TR><TD ALIGN="LEFT">{_mono([text], S.PARAM[1], 8)}</TD></TR>')
        if o.grads and t.grad is not None:
            with np.errstate(all="ignore"):
                norm = float(np.sqrt(np.sum(np.abs(t.grad) ** 2)))
            text = _mono([f"  ‖grad‖ {S.num(norm)}"], S.GRAD, 8)
            rows.append(f'<TR><TD ALIGN="LEFT">{text}</TD></TR>')
    fill, border = S.MODULE_NODE
    label = _plain_table(rows)
    return (
        f'\tm{c} [label={label} shape=box style="rounded,filled,bold" fillcolor="{fill}" '
        f'color="{border}" tooltip={_q(cl.title)}]\n'
    )


def _cluster_lines(
    g: GraphModel, nodes: dict[int | None, list[str]], collapse: dict[int, int]
) -> list[str]:
    lines = list(nodes.get(None, []))
    if not g.clusters:
        return lines
    children: dict[int | None, list[int]] = {}
    for cl in g.clusters:
        if cl.idx not in collapse:
            children.setdefault(cl.parent if cl.parent not in collapse else None, []).append(cl.idx)
    # Which clusters hold anything (themselves or below): empty boxes are left out.
    count = {cl.idx: len(nodes.get(cl.idx, ())) for cl in g.clusters}
    for cl in reversed(g.clusters):
        if cl.parent is not None:
            count[cl.parent] += count[cl.idx]
    fill, border = S.MODULE
    stack: list[tuple[int, bool]] = [(c, True) for c in reversed(children.get(None, []))]
    while stack:
        c, opening = stack.pop()
        if not opening:
            lines.append("\t}\n")
            continue
        if not count[c]:
            continue
        cl = g.clusters[c]
        lines.append(
            f'\tsubgraph cluster_m{c} {{\n\t\tlabel={_q(cl.title)} style="rounded,filled,dashed" '
            f'fillcolor="{fill}" color="{border}" fontcolor="{S.MUTED}" fontsize=10\n'
        )
        lines.extend(nodes.get(c, []))
        stack.append((c, False))
        stack.extend((k, True) for k in reversed(children.get(c, [])))
    return lines


def make_graph(attrs: dict[str, str], body: list[str], name: str = "npgrad") -> Graph:
    return Graph(
        name=name,
        graph_attr=attrs,
        node_attr={"fontname": S.FONT, "fontsize": "10", "shape": "plain"},
        edge_attr={
            "fontname": S.FONT,
            "fontsize": "9",
            "color": S.EDGE,
            "arrowsize": "0.7",
        },
        body=body,
    )


def draw_graph(
    root: Tensor,
    *,
    show_values: bool = True,
    show_grads: bool | None = None,
    show_local_grads: bool = False,
    show_saved: bool = False,
    show_shapes: bool = True,
    show_dtypes: bool = True,
    show_attrs: bool = True,
    rankdir: str = "TB",
    max_nodes: int | None = 500,
    params: Any = None,
    model: Any = None,
    collapse_modules: bool | int = False,
    tensors: Any = None,
    title: str | None = None,
) -> Graph:
    """Draw the graph that made ``root``: ops, tensors, values, gradients, local derivatives.

    Tensors are boxes (blue: leaves that require grad, green: parameters, white:
    intermediates, violet: the output), ops are amber; gradients are red, local derivatives
    teal. A tensor is named by its ``.name``, its parameter name (``params``/``model``), its
    key in ``tensors``, or a short generated ``t1, t2, ...``.

    Args:
        root: the tensor whose graph to draw (it must require grad).
        show_values: each tensor's data: small ones in full, big ones as mean/std/min/max.
        show_grads: gradients: leaves' ``.grad`` and retained grads, plus, while the graph's
            saved tensors are still there (before backward, or after
            ``backward(retain_graph=True)``), the gradient every intermediate receives,
            found by watching the real engine run backward once more (``.grad`` is left
            untouched; tensor hooks do run). None (default): on once some leaf has a ``.grad``.
        show_local_grads: label each input edge with the local derivative ∂out/∂in: the number
            for scalars; for tensors a summary of the op's backward applied to an upstream
            gradient of ones (the elementwise derivative, for elementwise ops).
        show_saved: list what each op saved for backward.
        show_shapes / show_dtypes / show_attrs: shape and dtype rows, op attributes.
        rankdir: Graphviz direction: "TB" (inputs on top), "LR", "BT", "RL".
        max_nodes: draw at most this many ops (those nearest ``root``); None for all.
        params: names for parameters: a dict name -> Tensor, ``model.named_parameters()``,
            or any object with ``named_parameters()``.
        model: an ``nn.Module`` (parameter names, and a box per module around the ops that
            use its parameters) or, better, the trace from ``trace_modules(model)`` (a box per
            module call around exactly the ops it made).
        collapse_modules: fold each module box into one node, for big models: True folds the
            model's direct children (``encoder``, ``head``); an int k folds the modules k
            levels down (2: ``encoder.fc1``) and any module without sub-modules above that.
        tensors: intermediates to name: a dict name -> Tensor or a list of tensors. By default
            the session's live tensors are found, so a variable's ``.name`` shows up.
        title: a caption on top.

    Returns:
        A ``graphviz.Digraph`` subclass: ``.source`` is the DOT text, ``.render(...)`` writes
        SVG/PNG/PDF, and Jupyter shows it inline (via Graphviz's ``dot`` or pygraphviz).

    Example:
        >>> import numpy as np, autograd
        >>> from autograd.viz import draw_graph
        >>> a = autograd.tensor(np.float64(2.0), requires_grad=True); a.name = "a"
        >>> b = autograd.tensor(np.float64(3.0), requires_grad=True); b.name = "b"
        >>> L = a * b; L.name = "L"
        >>> L.backward(retain_graph=True)   # a plain backward() frees what ∂ labels need
        >>> dot = draw_graph(L, show_local_grads=True)
        >>> "Mul" in dot.source and "grad 3" in dot.source and "∂L/∂a = 3" in dot.source
        True
    """
    if collapse_modules is True:
        depth: int | None = 1
    elif collapse_modules is False or collapse_modules is None:
        depth = None
    else:
        depth = int(collapse_modules)
    if depth is not None and model is None:
        raise ValueError("collapse_modules needs model= (an nn.Module or a trace_modules trace)")
    g = GraphModel(
        root,
        max_nodes=max_nodes,
        params=params,
        model=model,
        tensors=tensors,
        grads=show_grads,
        local=show_local_grads,
    )
    o = Options(
        values=show_values,
        grads=g.grads_on,
        local=show_local_grads,
        saved=show_saved,
        shapes=show_shapes,
        dtypes=show_dtypes,
        attrs=show_attrs,
        rankdir=rankdir,
        collapse=depth,
        title=title,
    )
    attrs, body = emit(g, o)
    return make_graph(attrs, body)
