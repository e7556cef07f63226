"""The derivative tables' shared parts: the row type, value strategies, and the one check.

A family's test file is a table ``OPS`` of ``Row``s, each naming the primitive(s) it covers and a
``case`` that draws ``(fn, inputs)``. One parametrized property per family runs ``check`` on every
row: gradcheck, gradgradcheck, and that the named primitives really are in the graph.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
from autograd import Function, Tensor
from autograd.function import Node
from autograd.testing import gradcheck, gradgradcheck

Shape = tuple[int, ...]
Case = Callable[[Any], tuple[Callable[..., Any], tuple[Any, ...]]]


class Row(NamedTuple):
    """One line of a derivative table (``row[1]`` is what the coverage meta-test reads)."""

    name: str
    ops: tuple[type[Function], ...]
    case: Case
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3


def ids(table: Sequence[Row]) -> list[str]:
    return [row.name for row in table]


# The test files beside the tables that run over them rather than hold one.
NOT_TABLES = ("test_coverage.py", "test_unrecorded.py", "test_float32.py", "test_torch_parity.py")


def all_rows(prefix: str) -> list[Row]:
    """Every row of every derivative table beside this file, each table module loaded afresh
    under a name starting with ``prefix`` (so a property over all ops can reuse the rows)."""
    rows: list[Row] = []
    for path in sorted(Path(__file__).resolve().parent.glob("test_*.py")):
        if path.name in NOT_TABLES:
            continue
        spec = importlib.util.spec_from_file_location(f"{prefix}{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rows.extend(getattr(module, "OPS", []))
    return rows


# -- shapes and values ------------------------------------------------------------------------

MAX_NUMEL = 24  # keeps gradgradcheck's finite differences (2 * numel evaluations each) quick


def shapes(min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> st.SearchStrategy[Shape]:
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side
    ).filter(lambda s: math.prod(s) <= MAX_NUMEL)


def broadcast_shapes(n: int = 2, max_dims: int = 3, max_side: int = 3) -> st.SearchStrategy[Any]:
    """``n`` mutually broadcastable shapes (with leading dims missing and sides of 1)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side
    ).map(lambda b: tuple(tuple(s) for s in b.input_shapes))


def uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def away_from_zero(lo: float = 0.2, hi: float = 3.0) -> st.SearchStrategy[float]:
    return st.one_of(uniform(-hi, -lo), uniform(lo, hi))


def on_grid(offset: float, step: float = 1.0, span: int = 3, jitter: float = 0.05) -> Any:
    """Values ``k * step + offset`` (|k| <= span) plus a small jitter: two grids with different
    offsets never tie and stay ``step * gap - 2 * jitter`` apart, far from any kink."""
    return st.builds(
        lambda k, j: k * step + offset + j, st.integers(-span, span), uniform(-jitter, jitter)
    )


def array(draw: Any, shape: Shape, elements: Any, unique: bool = False) -> np.ndarray:
    return draw(hnp.arrays(np.float64, shape, elements=elements, unique=unique))


def leaf(draw: Any, shape: Shape, elements: Any = None, unique: bool = False) -> Tensor:
    """A float64 leaf requiring grad (values in [-3, 3] by default)."""
    elements = uniform(-3.0, 3.0) if elements is None else elements
    return autograd.tensor(array(draw, shape, elements, unique), requires_grad=True)


def spread(draw: Any, shape: Shape, lo: float = 0.3, hi: float = 3.0) -> Tensor:
    """A leaf of distinct values at least ``lo / 2`` apart in absolute value and away from zero
    (for amax/amin, inf-norms and other order statistics: no ties anywhere)."""
    n = math.prod(shape)
    mags = draw(st.permutations(np.linspace(lo, hi, max(n, 2)).tolist()))[:n]
    signs = draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n))
    data = np.array(mags) * np.array(signs)
    return autograd.tensor(data.reshape(shape), requires_grad=True)


def dims_of(draw: Any, ndim: int, allow_none: bool = True, allow_tuple: bool = True) -> Any:
    """A ``dim`` argument: None, an int (maybe negative) or a tuple of distinct ints."""
    options = ["int"] if ndim else []
    if allow_none or not ndim:
        options.append("none")
    if allow_tuple and ndim:
        options.append("tuple")
    kind = draw(st.sampled_from(options))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(d - ndim if draw(st.booleans()) else d for d in picked)


# -- the check ----------------------------------------------------------------------------------


def node_types(tensors: Sequence[Any]) -> set[type]:
    """The op classes of every node in the graphs that made ``tensors``."""
    seen: set[int] = set()
    found: set[type] = set()
    stack = [t.grad_fn for t in tensors if isinstance(t, Tensor) and t.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        found.add(fn.op)
        stack.extend(n for n in fn.next_functions if isinstance(n, Node))
    return found


def _outputs(out: Any) -> list[Tensor]:
    outs = out if isinstance(out, tuple) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def used_ops(fn: Callable[..., Any], inputs: Sequence[Any]) -> set[type]:
    """Primitives in the forward graph of ``fn`` and in its (recorded) backward graph."""
    outs = [o for o in _outputs(fn(*inputs)) if o.requires_grad]
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    grads = autograd.grad(
        outs,
        wrt,
        # grad_outputs that require grad: a linear op's backward is recorded too
        grad_outputs=[autograd.ones_like(o).requires_grad_() for o in outs],
        create_graph=True,
        allow_unused=True,
    )
    return node_types(outs) | node_types([g for g in grads if g is not None])


def check(row: Row, draw: Any) -> None:
    """Gradcheck and gradgradcheck one drawn case of ``row``, and that it uses ``row.ops``."""
    fn, inputs = row.case(draw)
    tol = {"eps": row.eps, "atol": row.atol, "rtol": row.rtol}
    assert gradcheck(fn, inputs, **tol)
    assert gradgradcheck(fn, inputs, **tol)
    missing = set(row.ops) - used_ops(fn, inputs)
    assert not missing, f"{row.name}: {sorted(c.__name__ for c in missing)} not in its graph"


def exact_grads(fn: Callable[..., Any], *values: Any) -> list[np.ndarray]:
    """d(sum fn(x...))/dx for float64 leaves made from ``values`` (None -> zeros)."""
    xs = [autograd.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    out = fn(*xs)
    gs = autograd.grad(out.sum(), xs, allow_unused=True)
    return [np.zeros(x.shape) if g is None else g.numpy() for x, g in zip(xs, gs)]
