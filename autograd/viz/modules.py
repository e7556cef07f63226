"""Module clusters: which ops each module call made (forward hooks), or uses (its parameters)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..function import Node
from ..tensor import Tensor


class ModuleCall:
    """One call of one module, as ``trace_modules`` saw it."""

    __slots__ = (
        "name",
        "type_name",
        "module_id",
        "inputs",
        "outputs",
        "start",
        "end",
        "parent",
        "index",
    )

    def __init__(self, name: str, module: Any, start: int, parent: int | None, index: int) -> None:
        self.name = name
        self.type_name = type(module).__name__
        self.module_id = id(module)
        self.inputs: list[Any] = []
        self.outputs: list[Any] = []
        self.start = start
        self.end: int | None = None
        self.parent = parent
        self.index = index

    def __repr__(self) -> str:
        return f"<ModuleCall {self.name or '(model)'}: {self.type_name}>"


class ModuleTrace:
    """What ``trace_modules`` recorded: the model and every module call, in call order.

    Pass it to ``draw_graph(..., model=trace)`` to group the graph's ops by module.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.calls: list[ModuleCall] = []

    def named_parameters(self) -> Iterator[tuple[str, Any]]:
        """The traced model's named parameters (so a trace can stand in for the model)."""
        return iter(self.model.named_parameters())

    def named_modules(self) -> Iterator[tuple[str, Any]]:
        return iter(self.model.named_modules())

    def __repr__(self) -> str:
        return f"<ModuleTrace of {type(self.model).__name__}: {len(self.calls)} calls>"


@contextlib.contextmanager
def trace_modules(model: Any) -> Iterator[ModuleTrace]:
    """Record which module made which ops while a forward pass runs inside the block.

    It registers a forward pre-hook and a forward hook on every module of ``model`` (any
    object with ``named_modules()`` whose modules have ``register_forward_pre_hook`` and
    ``register_forward_hook``) and removes them on exit. An op belongs to the innermost module
    call that produced it: everything between that call's inputs and its outputs, so modules
    without parameters (ReLU, Flatten) get their ops too.

    Example:
        >>> import autograd, nn
        >>> from autograd.viz import trace_modules, draw_graph
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> with trace_modules(model) as trace:
        ...     y = model(autograd.randn(4, 2)).sum()
        >>> "cluster" in draw_graph(y, model=trace).source
        True
    """
    trace = ModuleTrace(model)
    stack: list[ModuleCall] = []
    seq = [0]
    handles = []

    def make_hooks(name: str) -> tuple[Any, Any]:
        def pre(module: Any, args: Any) -> None:
            parent = stack[-1].index if stack else None
            call = ModuleCall(name, module, seq[0], parent, len(trace.calls))
            seq[0] += 1
            call.inputs = _graph_refs(args)
            stack.append(call)
            trace.calls.append(call)

        def post(module: Any, args: Any, output: Any) -> None:
            # A forward that raised never reached its hook: drop such calls from the stack.
            while stack:
                call = stack.pop()
                if call.module_id == id(module):
                    call.outputs = _graph_refs(output)
                    call.end = seq[0]
                    seq[0] += 1
                    break

        return pre, post

    try:
        for name, module in model.named_modules():
            pre, post = make_hooks(name)
            handles.append(module.register_forward_pre_hook(pre))
            handles.append(module.register_forward_hook(post))
        yield trace
    finally:
        for h in handles:
            h.remove()


def _graph_refs(obj: Any) -> list[Any]:
    """The graph nodes (producing Node, or the leaf itself) of every tensor in ``obj``."""
    out: list[Any] = []
    stack = [(obj, 0)]
    while stack:
        x, depth = stack.pop()
        if isinstance(x, Tensor):
            if x.requires_grad:
                out.append(x.grad_fn if x.grad_fn is not None else x)
        elif depth < 4 and isinstance(x, (tuple, list)):
            stack.extend((v, depth + 1) for v in x)
        elif depth < 4 and isinstance(x, dict):
            stack.extend((v, depth + 1) for v in x.values())
    return out


class Cluster:
    """A box in the picture: one module call (or, without a trace, one module)."""

    __slots__ = ("idx", "name", "type_name", "parent", "depth", "call_no")

    def __init__(
        self, idx: int, name: str, type_name: str, parent: int | None, call_no: int = 1
    ) -> None:
        self.idx = idx
        self.name = name
        self.type_name = type_name
        self.parent = parent
        self.depth = 0 if name == "" else name.count(".") + 1
        self.call_no = call_no

    @property
    def title(self) -> str:
        head = self.name or "model"
        text = f"{head} · {self.type_name}" if self.type_name else head
        return text + (f" (call {self.call_no})" if self.call_no > 1 else "")


def clusters_from_trace(
    trace: ModuleTrace, op_index: dict[int, int], leaf_index: dict[int, int]
) -> tuple[list[Cluster], dict[int, int], dict[int, int]]:
    """Clusters from recorded module calls: (clusters, op idx -> cluster, leaf idx -> cluster).

    A call's ops are those reachable backwards from its outputs without crossing its inputs
    or the outputs of calls that had finished before it started; each op goes to the innermost
    (earliest finished) call that reaches it.
    """
    calls = [c for c in trace.calls if c.end is not None]
    ends = [int(c.end or 0) for c in calls]
    index_of = {id(c): i for i, c in enumerate(calls)}
    counts: dict[int, int] = {}
    clusters: list[Cluster] = []
    for i, c in enumerate(calls):
        counts[c.module_id] = counts.get(c.module_id, 0) + 1
        parent = None
        p = c.parent
        while p is not None:  # the nearest enclosing call that finished
            pc = trace.calls[p]
            if id(pc) in index_of:
                parent = index_of[id(pc)]
                break
            p = pc.parent
        clusters.append(Cluster(i, c.name, c.type_name, parent, counts[c.module_id]))
    # When each node was first returned by a call: it existed before any later call started.
    out_end: dict[int, int] = {}
    for c, end in zip(calls, ends):
        for n in c.outputs:
            e = out_end.get(id(n))
            if e is None or end < e:
                out_end[id(n)] = end
    op_cluster: dict[int, int] = {}
    leaf_cluster: dict[int, int] = {}
    for ci in sorted(range(len(calls)), key=ends.__getitem__):
        c = calls[ci]
        inputs = {id(n) for n in c.inputs}
        seen: set[int] = set()
        stack = list(c.outputs)
        while stack:
            n = stack.pop()
            k = id(n)
            if k in seen or k in inputs or out_end.get(k, c.start) < c.start:
                continue
            seen.add(k)
            if isinstance(n, Node):
                j = op_index.get(k)
                if j is not None and j not in op_cluster:
                    op_cluster[j] = ci
                stack.extend(x for x in n.next_functions if x is not None)
            else:
                j = leaf_index.get(k)
                if j is not None and j not in leaf_cluster:
                    leaf_cluster[j] = ci
    return clusters, op_cluster, leaf_cluster


def owner_clusters(
    param_names: dict[int, str], module_types: dict[str, str]
) -> tuple[list[Cluster], dict[str, int]]:
    """Clusters for the modules owning the named parameters (and their ancestors), by name."""
    clusters: list[Cluster] = []
    by_name: dict[str, int] = {}

    def get(name: str) -> int:
        idx = by_name.get(name)
        if idx is not None:
            return idx
        parent = None
        if "." in name:
            parent = get(name.rsplit(".", 1)[0])
        idx = len(clusters)
        clusters.append(Cluster(idx, name, module_types.get(name, ""), parent))
        by_name[name] = idx
        return idx

    for pname in param_names.values():
        if "." in pname:
            get(pname.rsplit(".", 1)[0])
    return clusters, by_name
