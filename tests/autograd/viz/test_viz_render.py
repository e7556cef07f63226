"""Rendering routes: Graphviz's dot program, pygraphviz in-process, and the error without both."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import graphviz
import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.viz import (
    Graph,
    RendererNotFoundError,
    backprop_steps,
    draw_graph,
    render_source,
    renderer,
    save_backprop_animation,
)


def graph() -> Tensor:
    x = autograd.tensor(np.array([1.0, -2.0]), requires_grad=True)
    x.name = "x"
    y = (x * x).sum()
    y.name = "y"
    return y


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Hide Graphviz's dot program: an empty PATH, so shutil.which finds nothing."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None


@pytest.fixture
def no_pygraphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # import now raises ImportError


def test_dot_route_renders_svg(tmp_path: Path) -> None:
    assert shutil.which("dot") is not None, "the system's Graphviz (apt-get install graphviz)"
    assert renderer() == "dot"
    dot = draw_graph(graph())
    svg = dot.pipe(format="svg", encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert ">Mul<" in svg and ">x<" in svg and ">y<" in svg
    out = dot.render(tmp_path / "g", format="svg")
    assert Path(out).read_text(encoding="utf-8").count("<svg") == 1
    bundle = dot._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_pygraphviz_route_without_dot(no_dot: None, tmp_path: Path) -> None:
    assert renderer() == "pygraphviz"
    with pytest.raises(graphviz.ExecutableNotFound):  # plain graphviz would fail here...
        graphviz.Digraph(body=["\ta -> b\n"]).pipe(format="svg")
    dot = draw_graph(graph(), show_local_grads=True)  # ...ours renders in-process
    svg = dot.pipe(format="svg", encoding="utf-8")
    assert "<svg" in svg and ">Mul<" in svg and "∂" in svg
    assert dot.pipe(format="png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert dot.pipe(format="pdf")[:5] == b"%PDF-"
    # Jupyter's inline view goes through the same route.
    assert "<svg" in dot._repr_mimebundle_()["image/svg+xml"]
    assert dot._repr_mimebundle_(include=["image/png"])["image/png"][:4] == b"\x89PNG"
    # render() writes files as Digraph.render does: <name>.<format>, or outfile.
    out = Path(dot.render(tmp_path / "graph", format="png"))
    assert out.name == "graph.png" and out.read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "graph").exists()  # the DOT source beside it
    out2 = Path(dot.render(outfile=tmp_path / "pic.svg", cleanup=True))
    assert out2 == tmp_path / "pic.svg" and "<svg" in out2.read_text(encoding="utf-8")
    assert not (tmp_path / "pic.gv").exists()


def test_pygraphviz_route_for_animations(no_dot: None, tmp_path: Path) -> None:
    y = graph()
    save_backprop_animation(y, tmp_path / "a.html")
    save_backprop_animation(y, tmp_path / "a.gif")
    assert (tmp_path / "a.html").read_text(encoding="utf-8").count("<svg") == len(backprop_steps(y))
    assert (tmp_path / "a.gif").read_bytes()[:6] == b"GIF89a"


def test_both_routes_draw_the_same_picture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dot = draw_graph(graph())
    via_dot = dot.pipe(format="plain", encoding="utf-8")
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    via_pygraphviz = dot.pipe(format="plain", encoding="utf-8")

    def names(plain: str) -> list[str]:
        return sorted(line.split()[1] for line in plain.splitlines() if line.startswith("node"))

    assert names(via_dot) == names(via_pygraphviz) == ["op0", "op1", "t0", "t1", "t2"]


def test_clear_error_without_any_renderer(no_dot: None, no_pygraphviz: None) -> None:
    with pytest.raises(RendererNotFoundError) as info:
        renderer()
    message = str(info.value)
    assert "pip install pygraphviz" in message and "apt-get install graphviz" in message
    dot = draw_graph(graph())
    assert "Mul" in dot.source  # building the DOT source needs no renderer
    with pytest.raises(RendererNotFoundError, match="pip install pygraphviz"):
        dot.pipe(format="svg")
    with pytest.raises(RendererNotFoundError):
        dot._repr_mimebundle_()
    with pytest.raises(RendererNotFoundError):
        render_source("digraph { a }")


def test_graph_is_a_digraph_and_copies() -> None:
    dot = draw_graph(graph())
    assert isinstance(dot, graphviz.Digraph)
    twin = dot.copy()
    assert isinstance(twin, Graph) and twin.source == dot.source
