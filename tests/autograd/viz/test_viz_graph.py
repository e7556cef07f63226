"""draw_graph: the DOT it writes (ops, tensors, shapes, values, gradients, edge labels)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import autograd
import nn
from autograd import Function, Tensor
from autograd.viz import Graph, draw_graph
from autograd.viz import style as S


def scalar(v: float, name: str) -> Tensor:
    t = autograd.tensor(np.float64(v), requires_grad=True)
    t.name = name
    return t


def micrograd() -> dict[str, Tensor]:
    """Karpathy's example: L = (a*b + c) * f."""
    a, b, c, f = scalar(2.0, "a"), scalar(-3.0, "b"), scalar(10.0, "c"), scalar(-2.0, "f")
    e = a * b
    e.name = "e"
    d = e + c
    d.name = "d"
    L = d * f
    L.name = "L"
    return dict(a=a, b=b, c=c, f=f, e=e, d=d, L=L)


def nodes(src: str) -> dict[str, str]:
    """DOT node id -> its whole attribute text."""
    return dict(re.findall(r"^\t(\w+) \[(label=.*)\]$", src, re.M))


def tensor_node(src: str, name: str) -> str:
    """The attribute text of the tensor node titled ``name``."""
    hits = [v for k, v in nodes(src).items() if k.startswith("t") and f"<B>{name}</B>" in v]
    assert len(hits) == 1, f"{len(hits)} tensor nodes named {name!r}"
    return hits[0]


def op_nodes(src: str) -> dict[str, str]:
    return {k: v for k, v in nodes(src).items() if k.startswith("op")}


def edges(src: str) -> list[tuple[str, str, str]]:
    return re.findall(r"^\t(\w+) -> (\w+)(.*)$", src, re.M)


def test_returns_a_digraph_with_ops_and_named_tensors() -> None:
    v = micrograd()
    dot = draw_graph(v["L"])
    assert isinstance(dot, Graph)
    src = dot.source
    ops = [re.search(r"<B>(\w+)</B>", x).group(1) for x in op_nodes(src).values()]  # type: ignore[union-attr]
    assert sorted(ops) == ["Add", "Mul", "Mul"]
    for name in "abcdefL":
        tensor_node(src, name)
    # Data flows a, b -> Mul -> e -> Add -> d -> Mul -> L.
    ids = {
        name: next(k for k, val in nodes(src).items() if f"<B>{name}</B>" in val)
        for name in "abcdefL"
    }
    pairs = {(s, d) for s, d, _ in edges(src)}
    mul1 = next(d for s, d in pairs if s == ids["a"])
    assert (ids["b"], mul1) in pairs and (mul1, ids["e"]) in pairs
    add = next(d for s, d in pairs if s == ids["e"])
    assert (ids["c"], add) in pairs and (add, ids["d"]) in pairs
    assert "Add" in op_nodes(src)[add]


def test_values_shapes_and_dtypes() -> None:
    v = micrograd()
    src = draw_graph(v["L"]).source
    assert "data 2<" in tensor_node(src, "a")
    assert "data -6<" in tensor_node(src, "e")  # an intermediate's value
    assert "data -8<" in tensor_node(src, "L")
    assert "scalar · float64" in tensor_node(src, "a")
    x = autograd.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    x.name = "x"
    src = draw_graph((x * 2.0).sum()).source
    label = tensor_node(src, "x")
    assert "2×3 · float32" in label
    assert "[0, 1, 2]" in label and "[3, 4, 5]" in label  # small: in full, a row per line


def test_big_tensors_are_summarised_with_4_significant_digits() -> None:
    x = autograd.tensor(np.linspace(0.0, 1.0, 101), requires_grad=True)
    x.name = "x"
    src = draw_graph((x * x).sum(), show_grads=True).source
    label = tensor_node(src, "x")
    assert "mean 0.5 std 0.2915" in label
    assert "min 0 max 1" in label
    assert "grad mean 1 std 0.583" in label  # d/dx sum(x^2) = 2x
    assert S.num(2.2000000000000002) == "2.2" and S.num(1 / 3) == "0.3333"
    assert S.num(-0.0) == "0" and S.num(123456.0) == "1.235e+05"


def test_gradients_after_backward() -> None:
    v = micrograd()
    src = draw_graph(v["L"]).source
    assert ">grad " not in src  # before backward: no gradients yet (show_grads=None is auto)
    v["L"].backward(retain_graph=True)
    src = draw_graph(v["L"]).source
    expected = dict(a=6, b=-4, c=-2, f=4, e=-2, d=-2, L=1)
    for name, g in expected.items():
        assert f"grad {g}<" in tensor_node(src, name), name
    # The leaves' numbers are their .grad
    assert v["a"].grad.item() == 6.0  # type: ignore[union-attr]


def test_after_a_plain_backward_leaves_still_show_their_grad() -> None:
    v = micrograd()
    v["L"].backward()  # frees the saved tensors: intermediates' gradients cannot be re-run
    src = draw_graph(v["L"]).source
    assert "grad 6<" in tensor_node(src, "a")
    assert ">grad " not in tensor_node(src, "e")
    assert ">grad " not in draw_graph(v["L"], show_grads=False).source


def test_drawing_leaves_grads_and_graph_untouched() -> None:
    v = micrograd()
    v["e"].retain_grad()
    src = draw_graph(v["L"], show_grads=True, show_local_grads=True).source
    assert "grad 6<" in tensor_node(src, "a")  # computed by a watched backward pass...
    assert v["a"].grad is None and v["e"].grad is None  # ...that left .grad alone
    v["L"].backward()  # and the graph was not freed
    assert v["a"].grad.item() == 6.0 and v["e"].grad.item() == -2.0  # type: ignore[union-attr]
    assert v["b"].grad.item() == -4.0  # type: ignore[union-attr]


def test_local_derivatives_on_edges() -> None:
    v = micrograd()
    src = draw_graph(v["L"], show_local_grads=True).source
    labels = [attrs for _, _, attrs in edges(src)]
    for text in ("∂e/∂a = -3", "∂e/∂b = 2", "∂d/∂e = 1", "∂d/∂c = 1", "∂L/∂d = -2", "∂L/∂f = 4"):
        assert sum(text in a for a in labels) == 1, text
    assert "∂" not in draw_graph(v["L"]).source


def test_local_derivative_of_tensors_is_summarised_and_reduced_to_the_input_shape() -> None:
    x = autograd.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x.name = "x"
    b = autograd.tensor(np.float64(0.5), requires_grad=True)
    b.name = "b"
    y = x * x + b  # b is broadcast: its local derivative sums over x's 3 elements
    y.name = "y"
    src = draw_graph(y.sum(), show_local_grads=True).source
    assert "∂y/∂b = 3" in src
    assert src.count("∂t1/∂x: [1, 2, 3]") == 2  # each edge of Mul(x, x) carries the other x


def test_op_attributes_slots_and_custom_ctx() -> None:
    class Shift(Function):
        """y = x shifted by stride with padding;  dx = grad (a test op)"""

        __slots__ = ("stride", "padding")

        @staticmethod
        def forward(ctx: Any, x: np.ndarray, stride: int, padding: tuple[int, int]) -> Any:
            ctx.stride, ctx.padding = stride, padding
            return x + stride

        @staticmethod
        def backward(ctx: Any, grad: Tensor) -> Any:
            return grad, None, None

    class Scale(Function):
        @staticmethod
        def forward(ctx: Any, x: np.ndarray) -> Any:
            ctx.alpha = 0.5
            return x * 0.5

        @staticmethod
        def backward(ctx: Any, grad: Tensor) -> Any:
            return grad * ctx.alpha

    x = autograd.tensor(np.ones((2, 3)), requires_grad=True)
    y = Scale.apply(Shift.apply(x, 2, (1, 1))).sum(dim=1)
    src = draw_graph(y).source
    ops = " ".join(op_nodes(src).values())
    assert "stride=2, padding=(1, 1)" in ops
    assert "alpha=0.5" in ops
    assert "dims=(1,), keepdim=False" in ops
    assert "dx = grad (a test op)" in src  # the op's docstring: its derivative, in the tooltip


def test_show_saved() -> None:
    v = micrograd()
    y = v["L"].exp()
    y.name = "y"
    src = draw_graph(y, show_saved=True).source
    ops = op_nodes(src)
    assert any("saved: a<BR/>saved: b" in o for o in ops.values())
    assert any("Add" in o and "saved: nothing" in o for o in ops.values())
    assert any("Exp" in o and "saved: y (its output)" in o for o in ops.values())
    scaled = y * 2.5  # a Python number is saved as itself, not as a 0-d array
    assert any(
        "Mul" in o and "saved: 2.5" in o
        for o in op_nodes(draw_graph(scaled, show_saved=True).source).values()
    )
    y.backward()
    assert "saved: freed by backward()" in draw_graph(y, show_saved=True).source


def test_leaves_parameters_intermediates_and_output_are_styled_apart() -> None:
    w = nn.Parameter(autograd.tensor(np.ones(3)))
    x = autograd.tensor(np.ones(3), requires_grad=True)
    x.name = "x"
    h = w * x
    out = h.sum()
    src = draw_graph(out, params={"layer.weight": w}).source
    assert f'BGCOLOR="{S.PARAM[0]}"' in tensor_node(src, "layer.weight")
    assert f'BGCOLOR="{S.LEAF[0]}"' in tensor_node(src, "x")
    assert f'BGCOLOR="{S.INTER[0]}"' in tensor_node(src, "t1")
    assert f'BGCOLOR="{S.ROOT[0]}"' in tensor_node(src, "out")
    assert "param" in tensor_node(src, "layer.weight") and "leaf" in tensor_node(src, "x")
    assert f'fillcolor="{S.OP[0]}"' in " ".join(op_nodes(src).values())


def test_parameter_names_from_named_parameters_or_a_model() -> None:
    class Affine(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(autograd.tensor(np.full(2, 2.0)))
            self.bias = nn.Parameter(autograd.tensor(np.zeros(2)))

        def forward(self, x: Tensor) -> Tensor:
            return x * self.weight + self.bias

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = Affine()

        def forward(self, x: Tensor) -> Tensor:
            return self.layer(x)

    net = Net()
    y = net(autograd.tensor(np.ones(2))).sum()
    for src in (
        draw_graph(y, params=net.named_parameters()).source,
        draw_graph(y, params=net).source,
        draw_graph(y, params=dict(net.named_parameters())).source,
    ):
        tensor_node(src, "layer.weight")
        tensor_node(src, "layer.bias")
    with pytest.raises(TypeError, match="params must be"):
        draw_graph(y, params=[1, 2])


def test_generated_names_and_the_tensors_argument() -> None:
    x = autograd.tensor(np.float64(1.5), requires_grad=True)
    h = x.exp()
    y = (h * h).sin()
    src = draw_graph(y, tensors=False).source  # no search for live tensors
    for name in ("t1", "t2", "t3", "out"):
        tensor_node(src, name)
    src = draw_graph(y, tensors={"hidden": h}).source
    tensor_node(src, "hidden")
    h.name = "h"
    tensor_node(draw_graph(y).source, "h")  # found among the session's live tensors


def test_multi_output_custom_function() -> None:
    class Halves(Function):
        @staticmethod
        def forward(ctx: Any, x: np.ndarray) -> Any:
            return x[:2] * 1.0, x[2:] * 3.0

        @staticmethod
        def backward(ctx: Any, ga: Tensor, gb: Tensor) -> Any:
            return autograd.cat([ga, gb * 3.0])

    x = autograd.tensor(np.arange(5.0), requires_grad=True)
    x.name = "x"
    lo, hi = Halves.apply(x)
    lo.name, hi.name = "lo", "hi"
    y = lo.sum() * hi.sum()
    y.backward(retain_graph=True)
    src = draw_graph(y, show_local_grads=True).source
    assert "2 · float64" in tensor_node(src, "lo") and "3 · float64" in tensor_node(src, "hi")
    assert "grad [1, 1, 1]" in tensor_node(src, "hi")  # d y / d hi = sum(lo) = 0 + 1
    assert "grad [27, 27]" in tensor_node(src, "lo")  # d y / d lo = sum(hi) = 6 + 9 + 12
    halves = next(k for k, v in op_nodes(src).items() if "Halves" in v)
    outs = [d for s, d, _ in edges(src) if s == halves]
    assert len(outs) == 2
    assert "grad [27, 27, 3, 3, 3]" in tensor_node(src, "x")
    assert "∂Halves/∂x: mean 2.2 in [1, 3]" in src  # ones through backward: [1, 1, 3, 3, 3]


def test_graphs_made_with_create_graph_draw_too() -> None:
    x = scalar(2.0, "x")
    y = x**3
    y.name = "y"
    (dx,) = autograd.grad(y, x, create_graph=True)
    dx.name = "dy_dx"
    src = draw_graph(dx, show_local_grads=True, show_grads=True).source
    assert "data 12<" in tensor_node(src, "dy_dx")  # 3 x^2
    assert "grad 12<" in tensor_node(src, "x")  # d(3x^2)/dx = 6x
    assert len(op_nodes(src)) >= 2
    (d2,) = autograd.grad(dx, x, create_graph=True)
    assert "data 12<" in tensor_node(draw_graph(d2, tensors={"d2": d2}).source, "d2")


def test_max_nodes_keeps_the_ops_nearest_the_output() -> None:
    x = scalar(0.5, "x")
    y = x
    for _ in range(50):
        y = y.sin()
    y.name = "y"
    src = draw_graph(y, max_nodes=10).source
    assert len(op_nodes(src)) == 10
    assert "40 more ops not drawn" in src
    tensor_node(src, "y")
    assert "<B>x</B>" not in src
    assert len(op_nodes(draw_graph(y, max_nodes=None).source)) == 50


def test_a_4000_op_graph() -> None:
    x, w, b = scalar(0.5, "x"), scalar(0.999, "w"), scalar(0.001, "b")
    y = x
    for _ in range(2000):
        y = y * w + b
    y.name = "y"
    src = draw_graph(y, max_nodes=None, show_local_grads=True, show_grads=True).source
    ns = nodes(src)
    assert sum(k.startswith("op") for k in ns) == 4000
    assert sum(k.startswith("t") for k in ns) == 4003  # 4000 op outputs and x, w, b
    es = edges(src)
    assert len(es) == 4000 * 2 + 4000  # two inputs per op, one output each
    assert sum("Mul" in v for k, v in ns.items() if k.startswith("op")) == 2000
    grad_b = sum(0.999**k for k in range(2000))  # dy/db = sum of w^k for k < 2000
    assert f"grad {S.num(grad_b)}<" in tensor_node(src, "b")


def test_clear_errors() -> None:
    with pytest.raises(ValueError, match="does not require grad"):
        draw_graph(autograd.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="needs a Tensor"):
        draw_graph(np.ones(2))  # type: ignore[arg-type]
    x = scalar(1.0, "x")
    with pytest.raises(ValueError, match="collapse_modules needs model"):
        draw_graph(x * 2.0, collapse_modules=True)


def test_a_leaf_root_and_rankdir() -> None:
    x = scalar(3.0, "x")
    src = draw_graph(x, rankdir="LR", title="just x").source
    assert "rankdir=LR" in src and "just x" in src
    assert list(op_nodes(src)) == []
    tensor_node(src, "x")


def test_anomaly_mode_shows_where_each_op_was_made() -> None:
    with autograd.detect_anomaly():
        x = scalar(1.0, "x")
        y = x.exp()
    src = draw_graph(y).source
    assert "made at:" in src and "test_viz_graph.py" in src and "y = x.exp()" in src


def test_non_finite_numbers_are_reported_not_averaged() -> None:
    x = autograd.tensor(np.arange(13.0), requires_grad=True)
    x.name = "x"
    y = x.log()  # log(0) = -inf, and its derivative 1/0 = inf
    y.name = "y"
    src = draw_graph(y.sum(), show_local_grads=True, show_grads=True).source
    assert "data 1 non-finite" in tensor_node(src, "y")
    assert "grad 1 non-finite" in tensor_node(src, "x")
    assert "∂y/∂x: 13×1" not in src and "has nan/inf" in src


def test_rows_can_be_turned_off() -> None:
    v = micrograd()
    v["L"].backward(retain_graph=True)
    src = draw_graph(
        v["L"], show_values=False, show_grads=False, show_shapes=False, show_dtypes=False
    ).source
    label = tensor_node(src, "a")
    assert "data " not in label.split("tooltip=")[0] and ">grad " not in label
    assert (
        "scalar" not in label.split("tooltip=")[0] and "float64" not in label.split("tooltip=")[0]
    )
    x = autograd.tensor(np.ones((2, 3)), requires_grad=True)
    assert "dims=" not in draw_graph(x.sum(dim=0), show_attrs=False).source
