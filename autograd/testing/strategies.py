"""Hypothesis strategies: shapes, broadcastable shapes, tensors, and random expression graphs."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd

if TYPE_CHECKING:
    from autograd import Tensor

__all__ = [
    "OPS",
    "ExpressionGraph",
    "broadcast_pairs",
    "broadcastable_shapes",
    "expressions",
    "graphs",
    "shapes",
    "tensors",
]

Shape = tuple[int, ...]


# -- shapes and tensors ---------------------------------------------------------------------------


def shapes(
    min_dims: int = 0, max_dims: int = 4, min_side: int = 1, max_side: int = 5
) -> st.SearchStrategy[Shape]:
    """Array shapes with ``min_dims..max_dims`` dimensions of ``min_side..max_side`` each.

    Example:
        >>> from hypothesis import given
        >>> from autograd.testing.strategies import shapes
        >>> @given(shapes(max_dims=2))
        ... def test(shape):
        ...     assert len(shape) <= 2
        >>> test()
    """
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(
    shape: Sequence[int],
    min_dims: int = 0,
    max_dims: int | None = None,
    min_side: int = 1,
    max_side: int = 5,
) -> st.SearchStrategy[Shape]:
    """Shapes that broadcast with ``shape`` (the result may be larger than ``shape``).

    Example:
        >>> import numpy as np
        >>> from hypothesis import given
        >>> from autograd.testing.strategies import broadcastable_shapes
        >>> @given(broadcastable_shapes((2, 3)))
        ... def test(other):
        ...     np.broadcast_shapes((2, 3), other)
        >>> test()
    """
    return hnp.broadcastable_shapes(
        tuple(shape), min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcast_pairs(
    min_dims: int = 0, max_dims: int = 4, min_side: int = 1, max_side: int = 5
) -> st.SearchStrategy[tuple[Shape, Shape]]:
    """Pairs of shapes that broadcast with each other, e.g. ``((3, 1), (2, 1, 4))``.

    Example:
        >>> import numpy as np
        >>> from hypothesis import given
        >>> from autograd.testing.strategies import broadcast_pairs
        >>> @given(broadcast_pairs())
        ... def test(pair):
        ...     np.broadcast_shapes(*pair)
        >>> test()
    """
    return hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda b: (tuple(b.input_shapes[0]), tuple(b.input_shapes[1])))


def _elements(dtype: np.dtype, min_value: float, max_value: float) -> st.SearchStrategy[Any]:
    if dtype.kind == "f":
        return st.floats(
            min_value=min_value,
            max_value=max_value,
            allow_nan=False,
            allow_infinity=False,
            allow_subnormal=False,
            width={2: 16, 4: 32}.get(dtype.itemsize, 64),  # type: ignore[arg-type]
        )
    if dtype.kind in "iu":
        return st.integers(math.ceil(min_value), math.floor(max_value))
    if dtype.kind == "b":
        return st.booleans()
    raise ValueError(f"tensors(): unsupported dtype {dtype}")


def tensors(
    shape: Sequence[int] | st.SearchStrategy[Shape] | None = None,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[Any] | None = None,
    min_value: float = -10,
    max_value: float = 10,
    requires_grad: bool = False,
    unique: bool = False,
) -> st.SearchStrategy[Tensor]:
    """``autograd.Tensor``s of a given (or drawn) shape with finite values, no subnormals.

    Args:
        shape: a shape, a strategy of shapes, or ``None`` for ``shapes()``.
        dtype: the NumPy dtype of the data.
        elements: a strategy for the values (overrides ``min_value``/``max_value``).
        min_value: smallest value drawn.
        max_value: largest value drawn.
        requires_grad: whether the drawn tensors require grad (floating dtypes only).
        unique: draw distinct values within each tensor.

    Example:
        >>> from hypothesis import given
        >>> from autograd.testing.strategies import tensors
        >>> @given(tensors(shape=(2, 3), min_value=0, max_value=1))
        ... def test(t):
        ...     assert t.shape == (2, 3) and (t.numpy() >= 0).all()
        >>> test()
    """
    dt = np.dtype(dtype)
    shape_st = shapes() if shape is None else shape
    if not isinstance(shape_st, st.SearchStrategy):
        shape_st = st.just(tuple(shape_st))
    elems = elements if elements is not None else _elements(dt, min_value, max_value)
    arrays = hnp.arrays(dt, shape_st, elements=elems, unique=unique)
    return arrays.map(lambda a: autograd.tensor(a, dtype=dt, requires_grad=requires_grad))


# -- random expression graphs ---------------------------------------------------------------------

# Kinks (abs, relu, maximum, clamp, amax, ...) and comparisons are only used where every value
# is at least this far from the kink, so finite differences with eps=1e-6 never straddle one.
MARGIN = 1e-2
# Values are kept below this size (by inserting a constant rescale) so that finite differences
# stay accurate and exp/softmax stay far from overflow.
_MAX_ABS = 10.0
_LEAF_ELEMENTS = st.floats(-2.0, 2.0, allow_nan=False, allow_subnormal=False)
_WEIGHTS = st.sampled_from([-1.0, -0.5, 0.5, 1.0, 1.5])


class _Node:
    __slots__ = ("apply", "args", "leaf", "name", "text")

    def __init__(
        self,
        name: str,
        text: str,
        args: tuple[int, ...],
        apply: Callable[..., Any] | None,
        leaf: int = -1,
    ) -> None:
        self.name = name
        self.text = text
        self.args = args
        self.apply = apply
        self.leaf = leaf


class ExpressionGraph:
    """A drawn expression: float64 leaf ``inputs`` and ``fn(*inputs)`` returning a scalar.

    ``fn`` rebuilds the whole graph from the given inputs on every call (so it can be
    gradchecked), ending in a weighted sum with fixed weights so no gradient is trivially
    uniform. ``repr`` prints the program line by line with the leaf values.
    """

    def __init__(
        self, nodes: list[_Node], leaves: list[np.ndarray], weights: np.ndarray, ops: list[str]
    ) -> None:
        self._nodes = nodes
        self._leaves = leaves
        self._weights = weights
        self.ops: tuple[str, ...] = tuple(ops)
        """The names of the ops drawn, in order."""
        self.inputs: tuple[Tensor, ...] = self.make_inputs()
        """Fresh float64 leaves requiring grad, one per input of ``fn``."""

    def make_inputs(self) -> tuple[Tensor, ...]:
        """A new set of float64 leaf tensors (requiring grad) with the drawn values."""
        return tuple(
            autograd.tensor(a.copy(), dtype=np.float64, requires_grad=True) for a in self._leaves
        )

    def fn(self, *inputs: Tensor) -> Tensor:
        """Build the expression from ``inputs`` and return the scalar output."""
        if len(inputs) != len(self._leaves):
            raise TypeError(f"expected {len(self._leaves)} inputs, got {len(inputs)}")
        vals: list[Any] = []
        for node in self._nodes:
            if node.apply is None:
                vals.append(inputs[node.leaf])
            else:
                vals.append(node.apply(*[vals[a] for a in node.args]))
        return (vals[-1] * autograd.tensor(self._weights.copy())).sum()

    __call__ = fn

    def __repr__(self) -> str:
        lines = []
        for node in self._nodes:
            if node.apply is None:
                arr = self._leaves[node.leaf]
                lines.append(f"  {node.name} = {arr.tolist()!r}  # shape {arr.shape}")
            else:
                lines.append(f"  {node.name} = {node.text}")
        w = self._weights
        lines.append(f"  out = ({self._nodes[-1].name} * w).sum()  # w = {w.tolist()!r}")
        return "ExpressionGraph(\n" + "\n".join(lines) + "\n)"


class _Builder:
    """Grows a graph one op at a time, evaluating each node so ops can respect its values."""

    def __init__(self, draw: Any, max_size: int, max_dims: int) -> None:
        self.draw = draw
        self.max_size = max_size
        self.max_dims = max_dims
        self.nodes: list[_Node] = []
        self.values: list[Tensor] = []
        self.leaves: list[np.ndarray] = []

    # -- bookkeeping ----------------------------------------------------------------------------
    def x(self, i: int) -> np.ndarray:
        return np.asarray(self.values[i].data)

    def name(self, i: int) -> str:
        return self.nodes[i].name

    def fits(self, shape: Shape) -> bool:
        return len(shape) <= self.max_dims and math.prod(shape) <= self.max_size

    def leaf(self, shape: Shape) -> int:
        arr = self.draw(hnp.arrays(np.float64, shape, elements=_LEAF_ELEMENTS, unique=True))
        arr = np.asarray(arr, dtype=np.float64)
        k = len(self.leaves)
        self.leaves.append(arr)
        self.nodes.append(_Node(f"x{k}", "", (), None, leaf=k))
        self.values.append(autograd.tensor(arr.copy(), dtype=np.float64))
        return len(self.nodes) - 1

    def add(self, text: str, args: Sequence[int], apply: Callable[..., Any]) -> int:
        with autograd.no_grad():
            out = apply(*[self.values[a] for a in args])
        val = np.asarray(out.data)
        if not np.all(np.isfinite(val)):
            raise ValueError(f"expression strategy: {text} gave non-finite values {val!r}")
        self.nodes.append(_Node(f"v{len(self.nodes)}", text, tuple(args), apply))
        self.values.append(out)
        i = len(self.nodes) - 1
        big = float(np.max(np.abs(val))) if val.size else 0.0
        if big > _MAX_ABS:
            c = 10.0 ** -math.ceil(math.log10(big))
            i = self.add(f"{self.name(i)} * {c:g}", [i], lambda t: t * c)
        return i

    # -- drawing helpers ------------------------------------------------------------------------
    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(list(options)))

    def dim(self, ndim: int) -> int:
        return int(self.draw(st.integers(-ndim, ndim - 1)))

    def positive(self, i: int) -> tuple[str, Callable[[Any], Any]]:
        """A strictly positive, smooth function of node ``i`` (for log, sqrt, pow, ...)."""
        x, n = self.x(i), self.name(i)
        opts: list[tuple[str, Callable[[Any], Any]]] = [
            (f"({n} * {n} + 0.5)", lambda t: t * t + 0.5)
        ]
        if x.size == 0 or float(np.min(np.abs(x))) > MARGIN:
            opts.append((f"({n}.abs() + 0.5)", lambda t: t.abs() + 0.5))
        if x.size == 0 or float(np.max(np.abs(x))) < 3:
            opts.append((f"{n}.exp()", lambda t: t.exp()))
        if x.size == 0 or float(np.min(x)) > 0.2:
            opts.append((n, lambda t: t))
        return self.pick(opts)

    def threshold(self, values: np.ndarray) -> float:
        """A constant at least MARGIN away from every value (inside the range if possible)."""
        v = np.unique(values.reshape(-1))
        if v.size == 0:
            return 0.0
        inner = [float(c) for c in np.round((v[:-1] + v[1:]) / 2, 4)]
        cands = [c for c in inner if float(np.min(np.abs(v - c))) > MARGIN]
        cands += [round(float(v[0]) - 0.5, 4), round(float(v[-1]) + 0.5, 4)]
        return float(self.pick(cands))

    def broadcast_partner(self, i: int) -> int:
        """An existing node or a new leaf whose shape broadcasts with node ``i``'s."""
        s = tuple(self.x(i).shape)
        existing = []
        for j in range(len(self.nodes)):
            try:
                r = np.broadcast_shapes(s, tuple(self.x(j).shape))
            except ValueError:
                continue
            if self.fits(r):
                existing.append(j)
        k = int(self.draw(st.integers(0, len(existing))))
        if k < len(existing):
            return existing[k]
        kinds = ["same", "scalar"]
        if s:
            kinds += ["ones", "suffix"]
        if len(s) < self.max_dims and 2 * math.prod(s) <= self.max_size:
            kinds.append("lead")
        if 1 in s:
            kinds.append("grow")
        kind = self.pick(kinds)
        if kind == "same":
            shape = s
        elif kind == "scalar":
            shape = ()
        elif kind == "ones":
            shape = tuple(1 if self.draw(st.booleans()) else d for d in s)
        elif kind == "suffix":
            shape = s[int(self.draw(st.integers(0, len(s)))) :]
        elif kind == "lead":
            shape = (2, *s)
        else:
            grown = tuple(self.draw(st.integers(1, 3)) if d == 1 else d for d in s)
            shape = grown if math.prod(grown) <= self.max_size else s
        return self.leaf(shape)

    def same_shape_partner(self, i: int, shape: Shape) -> int:
        existing = [j for j in range(len(self.nodes)) if tuple(self.x(j).shape) == shape]
        k = int(self.draw(st.integers(0, len(existing))))
        return existing[k] if k < len(existing) else self.leaf(shape)


# An op: (when(builder, i) -> applicable?, build(builder, i) -> new node index).
_When = Callable[[_Builder, int], bool]
_Build = Callable[[_Builder, int], int]
_REGISTRY: dict[str, tuple[_When, _Build]] = {}


def _op(name: str, when: _When = lambda b, i: True) -> Callable[[_Build], _Build]:
    def register(build: _Build) -> _Build:
        _REGISTRY[name] = (when, build)
        return build

    return register


def _far_from_zero(b: _Builder, i: int) -> bool:
    x = b.x(i)
    return x.size == 0 or float(np.min(np.abs(x))) > MARGIN


def _nd(lo: int, hi: int = 99) -> _When:
    return lambda b, i: lo <= b.x(i).ndim <= hi


def _unary(name: str, text: str, apply: Callable[[Any], Any], when: _When | None = None) -> None:
    def build(b: _Builder, i: int) -> int:
        return b.add(text.format(x=b.name(i)), [i], apply)

    _op(name, when or (lambda b, i: True))(build)


def _below(limit: float) -> _When:
    return lambda b, i: b.x(i).size == 0 or float(np.max(np.abs(b.x(i)))) < limit


_unary("neg", "-{x}", lambda t: -t)
_unary("sin", "{x}.sin()", lambda t: t.sin())
_unary("cos", "autograd.cos({x})", lambda t: autograd.cos(t))
_unary("tanh", "{x}.tanh()", lambda t: t.tanh())
_unary("sigmoid", "{x}.sigmoid()", lambda t: t.sigmoid())
_unary("square", "{x} ** 2", lambda t: t**2)
_unary("cube", "{x} ** 3", lambda t: t**3)
_unary("scale", "{x} * -1.5", lambda t: t * -1.5)
_unary("rsub", "1.0 - {x}", lambda t: 1.0 - t)
_unary("exp", "{x}.exp()", lambda t: t.exp(), _below(3.0))
_unary("rpow", "2.0 ** {x}", lambda t: 2.0**t, _below(3.0))


def _bounded_op(name: str, text: str, apply: Callable[[Any], Any], limit: float) -> None:
    """An op defined on (-limit, limit): used directly when the values fit, else on tanh(x)."""

    def build(b: _Builder, i: int) -> int:
        n = b.name(i)
        if _below(limit)(b, i) and b.draw(st.booleans()):
            return b.add(text.format(x=n), [i], apply)
        return b.add(
            text.format(x=f"({n}.tanh() * {limit / 2})"),
            [i],
            lambda t: apply(t.tanh() * (limit / 2)),
        )

    _op(name)(build)


_bounded_op("tan", "{x}.tan()", lambda t: t.tan(), 1.2)
_bounded_op("log1p", "{x}.log1p()", lambda t: t.log1p(), 0.9)
_unary("abs", "{x}.abs()", lambda t: t.abs(), _far_from_zero)
_unary("relu", "{x}.relu()", lambda t: t.relu(), _far_from_zero)
_unary("sign", "{x}.sign()", lambda t: t.sign(), _far_from_zero)


def _positive_op(name: str, text: str, apply: Callable[[Any], Any]) -> None:
    def build(b: _Builder, i: int) -> int:
        ptext, pos = b.positive(i)
        return b.add(text.format(p=ptext), [i], lambda t: apply(pos(t)))

    _op(name)(build)


_positive_op("log", "{p}.log()", lambda t: t.log())
_positive_op("sqrt", "{p}.sqrt()", lambda t: t.sqrt())
_positive_op("rsqrt", "{p}.rsqrt()", lambda t: t.rsqrt())
_positive_op("reciprocal", "{p}.reciprocal()", lambda t: t.reciprocal())
_positive_op("rdiv", "2.0 / {p}", lambda t: 2.0 / t)
_positive_op("pow_const", "{p} ** 1.5", lambda t: t**1.5)
_positive_op("pow_neg", "autograd.pow({p}, -0.5)", lambda t: autograd.pow(t, -0.5))


def _ordered(b: _Builder, i: int, j: int) -> tuple[int, int]:
    return (i, j) if b.draw(st.booleans()) else (j, i)


def _binary(name: str, sym: str, apply: Callable[[Any, Any], Any]) -> None:
    def build(b: _Builder, i: int) -> int:
        l, r = _ordered(b, i, b.broadcast_partner(i))
        return b.add(f"{b.name(l)} {sym} {b.name(r)}", [l, r], apply)

    _op(name)(build)


_binary("add", "+", lambda a, c: a + c)
_binary("sub", "-", lambda a, c: a - c)
_binary("mul", "*", lambda a, c: a * c)


@_op("div")
def _div(b: _Builder, i: int) -> int:
    l, r = _ordered(b, i, b.broadcast_partner(i))
    ptext, pos = b.positive(r)
    return b.add(f"{b.name(l)} / {ptext}", [l, r], lambda a, c: a / pos(c))


@_op("pow")
def _pow(b: _Builder, i: int) -> int:
    base, ex = _ordered(b, i, b.broadcast_partner(i))
    ptext, pos = b.positive(base)
    return b.add(f"{ptext} ** {b.name(ex)}", [base, ex], lambda a, c: pos(a) ** c)


def _extremum(name: str, fn: Callable[[Any, Any], Any]) -> None:
    def build(b: _Builder, i: int) -> int:
        l, r = _ordered(b, i, b.broadcast_partner(i))
        xl, xr = np.broadcast_arrays(b.x(l), b.x(r))
        c = 0.0
        if xl.size and float(np.min(np.abs(xl - xr))) <= MARGIN:
            c = b.threshold(xl - xr)  # shift the second operand off every tie
        if c == 0.0:
            return b.add(f"autograd.{name}({b.name(l)}, {b.name(r)})", [l, r], fn)
        return b.add(
            f"autograd.{name}({b.name(l)}, {b.name(r)} + {c!r})",
            [l, r],
            lambda a, d: fn(a, d + c),
        )

    _op(name)(build)


_extremum("maximum", lambda a, c: autograd.maximum(a, c))
_extremum("minimum", lambda a, c: a.minimum(c))


@_op("where")
def _where(b: _Builder, i: int) -> int:
    c = b.threshold(b.x(i))
    l, r = _ordered(b, i, b.broadcast_partner(i))
    n = b.name(i)
    return b.add(
        f"autograd.where({n} > {c!r}, {b.name(l)}, {b.name(r)})",
        [i, l, r],
        lambda x, p, q: autograd.where(x > c, p, q),
    )


@_op("clamp")
def _clamp(b: _Builder, i: int) -> int:
    x = b.x(i)
    lo = b.threshold(x) if b.draw(st.booleans()) else None
    hi = b.threshold(x) if lo is None or b.draw(st.booleans()) else None
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    if lo == hi:
        hi = None
    return b.add(f"{b.name(i)}.clamp(min={lo!r}, max={hi!r})", [i], lambda t: t.clamp(lo, hi))


# -- reductions -----------------------------------------------------------------------------------


def _kw(dim: Any, keepdim: bool = False) -> str:
    parts = [] if dim is None else [f"dim={dim!r}"]
    if keepdim:
        parts.append("keepdim=True")
    return ", ".join(parts)


def _reduced_count(shape: Shape, dim: Any) -> int:
    if dim is None:
        return math.prod(shape)
    dims = dim if isinstance(dim, tuple) else (dim,)
    return math.prod(shape[d] for d in dims)


def _dim_options(shape: Shape, allow_none: bool = True, allow_tuple: bool = False) -> list[Any]:
    nd = len(shape)
    opts: list[Any] = [None] if allow_none else []
    opts += list(range(-nd, nd))
    if allow_tuple and nd >= 2:
        opts.append((0, nd - 1))
    return opts


def _reduce(name: str, allow_tuple: bool = True) -> None:
    def build(b: _Builder, i: int) -> int:
        x = b.x(i)
        dim = b.pick(_dim_options(x.shape, allow_tuple=allow_tuple))
        keep = bool(b.draw(st.booleans()))
        return b.add(
            f"{b.name(i)}.{name}({_kw(dim, keep)})",
            [i],
            lambda t: getattr(t, name)(dim=dim, keepdim=keep),
        )

    _op(name)(build)


_reduce("sum")
_reduce("mean")


def _no_ties(x: np.ndarray, dim: Any) -> bool:
    """Whether the top two values of every slice reduced over ``dim`` differ by > MARGIN."""
    flat = x.reshape(1, -1) if dim is None else np.moveaxis(x, dim, -1).reshape(-1, x.shape[dim])
    if flat.shape[-1] < 2:
        return True
    s = np.sort(flat, axis=-1)
    return bool(np.all(s[:, -1] - s[:, -2] > MARGIN) and np.all(s[:, 1] - s[:, 0] > MARGIN))


def _tie_free_dims(b: _Builder, i: int) -> list[Any]:
    x = b.x(i)
    return [d for d in _dim_options(x.shape) if _no_ties(x, d)]


def _extreme_reduce(name: str) -> None:
    def build(b: _Builder, i: int) -> int:
        dim = b.pick(_tie_free_dims(b, i))
        keep = bool(b.draw(st.booleans()))
        n = b.name(i)
        if name in ("max", "min"):
            if dim is None:
                return b.add(f"{n}.{name}()", [i], lambda t: getattr(t, name)())
            return b.add(
                f"{n}.{name}({_kw(dim, keep)})[0]",
                [i],
                lambda t: getattr(t, name)(dim=dim, keepdim=keep)[0],
            )
        return b.add(
            f"{n}.{name}({_kw(dim, keep)})", [i], lambda t: getattr(t, name)(dim=dim, keepdim=keep)
        )

    _op(name, lambda b, i: bool(_tie_free_dims(b, i)))(build)


for _name in ("amax", "amin", "max", "min"):
    _extreme_reduce(_name)


@_op("logsumexp", lambda b, i: b.x(i).ndim >= 1 and _below(30.0)(b, i))
def _logsumexp(b: _Builder, i: int) -> int:
    dim = b.dim(b.x(i).ndim)
    keep = bool(b.draw(st.booleans()))
    return b.add(
        f"{b.name(i)}.logsumexp({_kw(dim, keep)})",
        [i],
        lambda t: t.logsumexp(dim=dim, keepdim=keep),
    )


def _var_dims(b: _Builder, i: int, std: bool) -> list[Any]:
    x = b.x(i)
    out = []
    for d in _dim_options(x.shape):
        if _reduced_count(x.shape, d) < 2:
            continue
        if std and not bool(np.all(np.var(x, axis=d) > MARGIN)):
            continue
        out.append(d)
    return out


def _variance(name: str) -> None:
    std = name == "std"

    def build(b: _Builder, i: int) -> int:
        dim = b.pick(_var_dims(b, i, std))
        keep = bool(b.draw(st.booleans()))
        corr = int(b.pick([1, 0]))
        kw = _kw(dim, keep)
        kw = f"{kw}, correction={corr}" if kw else f"correction={corr}"
        return b.add(
            f"{b.name(i)}.{name}({kw})",
            [i],
            lambda t: getattr(t, name)(dim=dim, keepdim=keep, correction=corr),
        )

    _op(name, lambda b, i: bool(_var_dims(b, i, std)))(build)


_variance("var")
_variance("std")


def _prod_dims(b: _Builder, i: int) -> list[Any]:
    x = b.x(i)
    if not _far_from_zero(b, i):
        return []  # prod's gradient is often computed as out / x
    return [d for d in _dim_options(x.shape) if _reduced_count(x.shape, d) <= 4]


@_op("prod", lambda b, i: bool(_prod_dims(b, i)))
def _prod(b: _Builder, i: int) -> int:
    dim = b.pick(_prod_dims(b, i))
    if dim is None:
        return b.add(f"{b.name(i)}.prod()", [i], lambda t: t.prod())
    keep = bool(b.draw(st.booleans()))
    return b.add(
        f"{b.name(i)}.prod({_kw(dim, keep)})", [i], lambda t: t.prod(dim=dim, keepdim=keep)
    )


def _norm_dims(b: _Builder, i: int) -> list[Any]:
    x = b.x(i)
    return [
        d
        for d in _dim_options(x.shape)
        if x.size and bool(np.all(np.sqrt(np.sum(x * x, axis=d)) > MARGIN))
    ]


@_op("norm", lambda b, i: bool(_norm_dims(b, i)))
def _norm(b: _Builder, i: int) -> int:
    dim = b.pick(_norm_dims(b, i))
    return b.add(f"{b.name(i)}.norm({_kw(dim)})", [i], lambda t: t.norm(dim=dim))


def _softmax(name: str) -> None:
    def build(b: _Builder, i: int) -> int:
        dim = b.dim(b.x(i).ndim)
        return b.add(f"{b.name(i)}.{name}(dim={dim})", [i], lambda t: getattr(t, name)(dim=dim))

    _op(name, lambda b, i: b.x(i).ndim >= 1 and _below(30.0)(b, i))(build)


_softmax("softmax")
_softmax("log_softmax")


# -- shape ops ------------------------------------------------------------------------------------


def _reshape_targets(b: _Builder, i: int) -> list[Shape]:
    s = tuple(b.x(i).shape)
    n = math.prod(s)
    out: list[Shape] = [(n,), (n, 1), (1, n), s[::-1]]
    out += [(a, n // a) for a in range(2, n) if n % a == 0]
    return [t for t in dict.fromkeys(out) if len(t) <= b.max_dims]


@_op("reshape")
def _reshape(b: _Builder, i: int) -> int:
    target = b.pick(_reshape_targets(b, i))
    if b.draw(st.booleans()):
        return b.add(f"{b.name(i)}.reshape{target}", [i], lambda t: t.reshape(*target))
    return b.add(f"{b.name(i)}.view({list(target)})", [i], lambda t: t.view(list(target)))


_unary("flatten", "{x}.flatten()", lambda t: t.flatten(), _nd(1))


@_op("transpose", _nd(2))
def _transpose(b: _Builder, i: int) -> int:
    nd = b.x(i).ndim
    d0 = b.dim(nd)
    d1 = b.pick([d for d in range(nd) if d != d0 % nd])
    return b.add(f"{b.name(i)}.transpose({d0}, {d1})", [i], lambda t: t.transpose(d0, d1))


@_op("permute", _nd(2))
def _permute(b: _Builder, i: int) -> int:
    perm = tuple(b.draw(st.permutations(range(b.x(i).ndim))))
    return b.add(f"{b.name(i)}.permute{perm}", [i], lambda t: t.permute(*perm))


@_op("unsqueeze", lambda b, i: b.x(i).ndim < b.max_dims)
def _unsqueeze(b: _Builder, i: int) -> int:
    nd = b.x(i).ndim
    d = int(b.draw(st.integers(-nd - 1, nd)))
    return b.add(f"{b.name(i)}.unsqueeze({d})", [i], lambda t: t.unsqueeze(d))


@_op("squeeze", lambda b, i: 1 in b.x(i).shape)
def _squeeze(b: _Builder, i: int) -> int:
    s = b.x(i).shape
    d = b.pick([None] + [k for k, n in enumerate(s) if n == 1])
    if d is None:
        return b.add(f"{b.name(i)}.squeeze()", [i], lambda t: t.squeeze())
    return b.add(f"{b.name(i)}.squeeze({d})", [i], lambda t: t.squeeze(d))


def _expand_target(b: _Builder, i: int) -> Shape:
    s = tuple(b.x(i).shape)
    target = tuple(int(b.draw(st.integers(1, 3))) if d == 1 else d for d in s)
    if len(s) < b.max_dims and b.draw(st.booleans()):
        target = (2, *target)
    return target if b.fits(target) else s


@_op("expand", lambda b, i: b.x(i).ndim < b.max_dims or 1 in b.x(i).shape)
def _expand(b: _Builder, i: int) -> int:
    target = _expand_target(b, i)
    if b.draw(st.booleans()):
        return b.add(f"{b.name(i)}.expand{target}", [i], lambda t: t.expand(*target))
    return b.add(f"{b.name(i)}.broadcast_to({target})", [i], lambda t: t.broadcast_to(target))


@_op("repeat", lambda b, i: b.x(i).ndim >= 1 and 2 * b.x(i).size <= b.max_size)
def _repeat(b: _Builder, i: int) -> int:
    x = b.x(i)
    reps = tuple(int(b.draw(st.integers(1, 2))) for _ in x.shape)
    if math.prod(reps) * x.size > b.max_size:
        reps = (2,) + (1,) * (x.ndim - 1)
    return b.add(f"{b.name(i)}.repeat{reps}", [i], lambda t: t.repeat(*reps))


# -- indexing -------------------------------------------------------------------------------------


def _slice_text(s: slice) -> str:
    start = "" if s.start in (None, 0) else str(s.start)
    stop = "" if s.stop is None else str(s.stop)
    step = "" if s.step in (None, 1) else f":{s.step}"
    return f"{start}:{stop}{step}"


@_op("slice", _nd(1))
def _slice(b: _Builder, i: int) -> int:
    s = b.x(i).shape
    k = int(b.draw(st.integers(1, len(s))))
    idx = []
    for n in s[:k]:
        start = int(b.draw(st.integers(0, n - 1)))
        stop = int(b.draw(st.integers(start + 1, n)))
        idx.append(slice(start, stop, int(b.pick([1, 2]))))
    key = tuple(idx)
    text = ", ".join(_slice_text(k) for k in key)
    return b.add(f"{b.name(i)}[{text}]", [i], lambda t: t[key])


@_op("int_index", _nd(1))
def _int_index(b: _Builder, i: int) -> int:
    n = b.x(i).shape[0]
    k = int(b.draw(st.integers(-n, n - 1)))
    return b.add(f"{b.name(i)}[{k}]", [i], lambda t: t[k])


@_op("take", lambda b, i: b.x(i).ndim >= 1 and 4 * b.x(i).size <= b.max_size * b.x(i).shape[0])
def _take(b: _Builder, i: int) -> int:
    n = b.x(i).shape[0]
    idx = [int(v) for v in b.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4))]
    arr = np.array(idx, dtype=np.int64)  # repeated indices must accumulate in backward
    return b.add(f"{b.name(i)}[{idx}]", [i], lambda t: t[arr])


@_op("mask", _nd(1))
def _mask(b: _Builder, i: int) -> int:
    s = b.x(i).shape
    flat = [
        bool(v)
        for v in b.draw(st.lists(st.booleans(), min_size=math.prod(s), max_size=math.prod(s)))
    ]
    if not any(flat):
        flat[0] = True
    mask = np.array(flat, dtype=bool).reshape(s)
    return b.add(f"{b.name(i)}[np.array({mask.tolist()})]", [i], lambda t: t[mask])


@_op("newaxis", lambda b, i: 1 <= b.x(i).ndim < b.max_dims)
def _newaxis(b: _Builder, i: int) -> int:
    if b.draw(st.booleans()):
        return b.add(f"{b.name(i)}[None]", [i], lambda t: t[None])
    return b.add(f"{b.name(i)}[:, None]", [i], lambda t: t[:, None])


# -- joining and splitting ------------------------------------------------------------------------


def _cat_room(b: _Builder, i: int) -> dict[int, int]:
    """For each dim: how many slices may be appended along it within ``max_size``."""
    s = tuple(b.x(i).shape)
    rooms = {d: (b.max_size - math.prod(s)) // (math.prod(s) // s[d]) for d in range(len(s))}
    return {d: r for d, r in rooms.items() if r >= 1}


@_op("cat", lambda b, i: bool(_cat_room(b, i)))
def _cat(b: _Builder, i: int) -> int:
    s = tuple(b.x(i).shape)
    rooms = _cat_room(b, i)
    d = int(b.pick(sorted(rooms)))
    size = int(b.draw(st.integers(1, min(3, rooms[d]))))
    other_shape = s[:d] + (size,) + s[d + 1 :]
    if b.draw(st.booleans()):
        d -= len(s)  # the same dim, counted from the end
    j = b.same_shape_partner(i, other_shape)
    l, r = _ordered(b, i, j)
    return b.add(
        f"autograd.cat([{b.name(l)}, {b.name(r)}], dim={d})",
        [l, r],
        lambda p, q: autograd.cat([p, q], dim=d),
    )


@_op("stack", lambda b, i: b.x(i).ndim < b.max_dims and 2 * b.x(i).size <= b.max_size)
def _stack(b: _Builder, i: int) -> int:
    s = tuple(b.x(i).shape)
    j = b.same_shape_partner(i, s)
    l, r = _ordered(b, i, j)
    d = int(b.draw(st.integers(0, len(s))))
    return b.add(
        f"autograd.stack([{b.name(l)}, {b.name(r)}], dim={d})",
        [l, r],
        lambda p, q: autograd.stack([p, q], dim=d),
    )


@_op("split", lambda b, i: any(n >= 2 for n in b.x(i).shape))
def _split(b: _Builder, i: int) -> int:
    s = b.x(i).shape
    d = b.pick([k for k, n in enumerate(s) if n >= 2])
    if b.draw(st.booleans()):
        chunks = int(b.draw(st.integers(2, 3)))
        n_out = len(autograd.chunk(b.values[i], chunks, dim=d))
        k = int(b.draw(st.integers(0, n_out - 1)))
        return b.add(
            f"autograd.chunk({b.name(i)}, {chunks}, dim={d})[{k}]",
            [i],
            lambda t: autograd.chunk(t, chunks, dim=d)[k],
        )
    size = int(b.draw(st.integers(1, s[d] - 1)))
    k = int(b.draw(st.integers(0, -(-s[d] // size) - 1)))
    return b.add(f"{b.name(i)}.split({size}, dim={d})[{k}]", [i], lambda t: t.split(size, d)[k])


# -- linear algebra -------------------------------------------------------------------------------


@_op("matmul", lambda b, i: b.x(i).ndim >= 1)
def _matmul(b: _Builder, i: int) -> int:
    s = tuple(b.x(i).shape)
    n = b.name(i)
    kinds = ["self", "right"] + (["left"] if len(s) <= 2 else [])
    kind = b.pick(kinds)
    if kind == "self":
        if len(s) == 1:
            return b.add(f"{n} @ {n}", [i], lambda t: t @ t)
        if math.prod(s[:-1]) * s[-2] <= b.max_size:
            return b.add(f"{n} @ {n}.transpose(-1, -2)", [i], lambda t: t @ t.transpose(-1, -2))
        return b.add(f"{n}.transpose(-1, -2) @ {n}", [i], lambda t: t.transpose(-1, -2) @ t)
    k = int(b.draw(st.integers(1, 3)))
    if kind == "right":
        rows = math.prod(s[:-1])
        shape = (s[-1],) if b.draw(st.booleans()) else (s[-1], k)
        if rows * k > b.max_size:
            shape = (s[-1],)
        j = b.leaf(shape)
        return b.add(f"{n} @ {b.name(j)}", [i, j], lambda p, q: p @ q)
    cols = s[-1] if len(s) == 2 else 1
    if k * cols > b.max_size:
        k = 1
    j = b.leaf((k, s[0]) if len(s) >= 1 else (k,))
    return b.add(f"autograd.matmul({b.name(j)}, {n})", [j, i], lambda p, q: autograd.matmul(p, q))


@_op("einsum", lambda b, i: 1 <= b.x(i).ndim <= 3)
def _einsum(b: _Builder, i: int) -> int:
    s = tuple(b.x(i).shape)
    letters = "abc"[: len(s)]
    if len(s) == 2 and b.draw(st.booleans()):
        k = min(int(b.draw(st.integers(1, 3))), max(1, b.max_size // s[0]))
        j = b.leaf((s[1], k))
        eq = "ab,bc->ac"
    else:
        j = b.same_shape_partner(i, s)
        eq = f"{letters},{letters}->{letters[:-1]}"
    return b.add(
        f"autograd.einsum({eq!r}, {b.name(i)}, {b.name(j)})",
        [i, j],
        lambda p, q: autograd.einsum(eq, p, q),
    )


# "mul" first: Hypothesis draws (and shrinks towards) the first op most often, and x0 * x0
# already tests gradient accumulation, unlike a plain negation.
OPS: tuple[str, ...] = ("mul", *(n for n in _REGISTRY if n != "mul"))
"""The names of every op ``expressions()`` may draw."""


@st.composite
def _expressions(
    draw: Any,
    min_ops: int,
    max_ops: int,
    max_size: int,
    max_dims: int,
    ops: tuple[str, ...],
    shape: Shape | None,
) -> ExpressionGraph:
    b = _Builder(draw, max_size, max_dims)
    if shape is None:
        shape = draw(
            hnp.array_shapes(min_dims=0, max_dims=min(3, max_dims), min_side=1, max_side=4).filter(
                b.fits
            )
        )
    cur = b.leaf(tuple(shape))
    n_ops = int(draw(st.integers(min_ops, max_ops)))
    drawn = []
    for _ in range(n_ops):
        available = [name for name in ops if _REGISTRY[name][0](b, cur)]
        if not available:
            break
        name = draw(st.sampled_from(available))
        drawn.append(name)
        cur = _REGISTRY[name][1](b, cur)
    weights = np.asarray(draw(hnp.arrays(np.float64, b.x(cur).shape, elements=_WEIGHTS)))
    return ExpressionGraph(b.nodes, b.leaves, weights, drawn)


def expressions(
    min_ops: int = 1,
    max_ops: int = 8,
    max_size: int = 64,
    max_dims: int = 4,
    ops: Collection[str] | None = None,
    shape: Sequence[int] | None = None,
) -> st.SearchStrategy[ExpressionGraph]:
    """Random, shape-consistent expression graphs over the primitive ops.

    Each draw starts from one float64 leaf and applies ``min_ops..max_ops`` ops (see ``OPS``):
    elementwise math (with log, sqrt, pow, ... fed smooth positive values), broadcasting binary
    ops, reductions, softmax, shape ops, indexing, cat/stack/split, matmul and einsum. New leaves
    are drawn as operands need them, and earlier nodes are reused, so gradients accumulate.
    Values are evaluated while drawing, so kinks (abs, relu, maximum, clamp, amax, where) are
    only placed where every value is at least ``MARGIN`` away from them.

    Args:
        min_ops: fewest ops drawn.
        max_ops: most ops drawn (plus automatic rescales ``v * 0.1`` when values grow).
        max_size: largest number of elements in any intermediate.
        max_dims: most dimensions of any intermediate.
        ops: restrict to these op names (a subset of ``OPS``).
        shape: the shape of the first leaf (drawn if ``None``).

    Returns:
        A strategy of ``ExpressionGraph``: ``.inputs`` and ``.fn(*inputs) -> scalar Tensor``.

    Example:
        >>> from hypothesis import given, settings
        >>> from autograd.testing import gradcheck
        >>> from autograd.testing.strategies import expressions
        >>> @settings(max_examples=5, deadline=None)
        ... @given(expressions(max_ops=4))
        ... def test(g):
        ...     assert gradcheck(g.fn, g.inputs)
        >>> test()
    """
    names = OPS if ops is None else tuple(ops)
    unknown = [n for n in names if n not in _REGISTRY]
    if unknown:
        raise ValueError(f"unknown op names {unknown}; choose from {list(OPS)}")
    if not 0 <= min_ops <= max_ops:
        raise ValueError("need 0 <= min_ops <= max_ops")
    return _expressions(
        min_ops, max_ops, max_size, max_dims, names, None if shape is None else tuple(shape)
    )


graphs = expressions
