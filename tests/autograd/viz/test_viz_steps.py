"""backprop_steps and save_backprop_animation: one frame per engine step, in the engine's order."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import autograd
from autograd import Tensor
from autograd.function import Node
from autograd.viz import GraphFreedError, backprop_steps, save_backprop_animation
from autograd.viz import style as S
from autograd.viz.graph import GraphModel


def scalar(v: float, name: str) -> Tensor:
    t = autograd.tensor(np.float64(v), requires_grad=True)
    t.name = name
    return t


def example() -> dict[str, Tensor]:
    """L = (a*b + c + a*b) * f: e = a*b feeds one Add twice, so its gradient has 2 parts."""
    a, b, c, f = scalar(2.0, "a"), scalar(-3.0, "b"), scalar(10.0, "c"), scalar(-2.0, "f")
    e = a * b
    e.name = "e"
    d = e + c + e
    d.name = "d"
    L = d * f
    L.name = "L"
    return dict(a=a, b=b, c=c, f=f, e=e, d=d, L=L)


def observed(root: Tensor) -> list[Any]:
    """What the engine itself reports, step by step, for a real backward()."""
    seen: list[Any] = []
    with autograd.engine.observe(lambda node, outs, ins: seen.append(node)):
        root.backward(retain_graph=True)
    return seen


def current(src: str) -> tuple[list[str], list[str]]:
    """The node ids a frame highlights: the current op, and the tensors whose gradient is in
    play (the op's output, or the leaf being given its grad)."""
    ops = re.findall(rf'^\t(op\d+) \[.*fillcolor="{S.OP_CURRENT[0]}"', src, re.M)
    hot = re.findall(rf'^\t(t\d+) \[label=<<TABLE[^>]*BGCOLOR="{S.CURRENT_TENSOR[0]}"', src, re.M)
    return ops, hot


def tensor_node(src: str, name: str) -> str:
    hits = re.findall(rf"^\tt\d+ \[(label=.*<B>{re.escape(name)}</B>.*)\]$", src, re.M)
    assert len(hits) == 1
    return hits[0]


def test_one_frame_per_engine_step_in_the_engine_order() -> None:
    v = example()
    L = v["L"]
    frames = backprop_steps(L)
    g = GraphModel(L)  # the same numbering of ops and tensors as the frames use
    engine_steps = observed(L)
    assert len(frames) == len(engine_steps) == 8  # 4 ops and 4 leaves
    for frame, node in zip(frames, engine_steps):
        ops, hot = current(frame.source)
        if isinstance(node, Node):
            op = g.ops[g.op_index[id(node)]]
            assert ops == [f"op{op.idx}"]
            assert hot == [f"t{j}" for j in op.outputs]  # where the upstream gradient sits
            assert f"backward of {node.name()}" in frame.source
        else:
            assert ops == []
            assert hot == [f"t{g.leaf_index[id(node)]}"]
            assert f"leaf {node.name} receives its gradient" in frame.source


def test_frames_show_upstream_local_and_passed_gradients() -> None:
    v = example()
    frames = backprop_steps(v["L"])
    first = frames[0].source  # backward of the last Mul: L = d * f, upstream grad 1
    assert "Step 1/8: backward of Mul" in first
    assert "z = a * b;  da = grad * b, db = grad * a" in first  # the op's derivative rule
    assert "upstream grad of L: 1" in first
    assert "→ d: upstream 1 × local -2 = -2" in first
    assert "→ f: upstream 1 × local -2 = -2" in first  # d = -6 + 10 - 6 = -2
    # The edges into the current op carry the gradient they pass, in the gradient colour.
    hot = re.findall(rf'color="{S.GRAD_EDGE}" penwidth=2.5 label=<(.*?)> tooltip', first)
    assert len(hot) == 2 and all("grad -2" in h and "∂L/∂" in h for h in hot)
    # Arrows point the way gradients flow.
    assert "dir=back" in first or 'dir="back"' in first


def test_gradients_appear_as_they_are_computed_with_partial_sums() -> None:
    v = example()
    frames = backprop_steps(v["L"])
    a_first = tensor_node(frames[0].source, "a")
    # Not yet computed: the text is there (so the layout never moves) but drawn invisibly.
    assert f'COLOR="{S.LEAF[0]}">grad 12' in a_first
    texts = [tensor_node(f.source, "e") for f in frames]
    partial = [t for t in texts if "(1 of 2 parts so far)" in t]
    assert len(partial) == 1 and "grad -2" in partial[0]  # from the first use of e
    final = tensor_node(frames[-1].source, "e")
    assert f'COLOR="{S.GRAD}">grad -4' in final  # both parts: -2 + -2
    last = frames[-1].source
    for name, grad in dict(a=12, b=-8, c=-2, f=-2).items():
        assert f'COLOR="{S.GRAD}">grad {grad}' in tensor_node(last, name), name


def test_steps_leave_grads_and_graph_alone() -> None:
    v = example()
    v["d"].retain_grad()
    backprop_steps(v["L"])
    assert v["a"].grad is None and v["d"].grad is None
    v["L"].backward()
    assert v["a"].grad.item() == 12.0 and v["d"].grad.item() == -2.0  # type: ignore[union-attr]


def test_a_freed_graph_is_a_clear_error() -> None:
    v = example()
    v["L"].backward()
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        backprop_steps(v["L"])


def test_create_graph_steps() -> None:
    x = scalar(2.0, "x")
    (dx,) = autograd.grad(x**3, x, create_graph=True)
    dx.name = "dx"
    frames = backprop_steps(dx)
    assert len(frames) == len(observed(dx))
    assert "leaf x receives its gradient" in frames[-1].source


def test_every_frame_has_the_same_layout() -> None:
    v = example()
    frames = backprop_steps(v["L"])

    def positions(frame: Any) -> list[list[str]]:
        plain = frame.pipe(format="plain", encoding="utf-8")
        return [line.split()[:6] for line in plain.splitlines() if line.startswith("node")]

    first = positions(frames[0])
    assert len(first) == 12  # 8 tensors (a, b, c, f, e, e + c, d, L) and 4 ops
    for frame in frames[1:]:
        assert positions(frame) == first


def test_html_animation(tmp_path: Path) -> None:
    v = example()
    path = tmp_path / "backprop.html"
    assert save_backprop_animation(v["L"], path) == str(path)
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count('<div class="frame"') == 8
    assert len(re.findall(r"<svg\b", html)) == 8  # every frame's SVG, inline
    assert '<input type="range" id="slider" min="1" max="8"' in html
    for button in ('id="prev"', 'id="next"', 'id="play"'):
        assert button in html
    assert "Step 1/8: backward of Mul" in html and "leaf a receives its gradient" in html
    # Self-contained: no external scripts, styles, images or fetches.
    assert not re.search(r"<script[^>]+src=|<link\b|@import|url\(http|fetch\(|<img\b", html)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # frame SVG ids made unique


def test_gif_animation(tmp_path: Path) -> None:
    x = scalar(0.5, "x")
    y = (x * x).tanh()
    path = tmp_path / "backprop.gif"
    save_backprop_animation(y, path, seconds_per_step=0.5)
    with Image.open(path) as im:
        assert im.format == "GIF"
        assert im.n_frames == 3  # Tanh, Mul, the leaf x
        assert im.info.get("loop") == 0


def test_svg_animation(tmp_path: Path) -> None:
    x = scalar(0.5, "x")
    y = (x * x).tanh()
    path = tmp_path / "backprop.svg"
    save_backprop_animation(y, path)
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text.split("?>", 1)[1])  # well-formed XML
    assert root.tag.endswith("svg")
    assert text.count("<animate ") == 3
    assert "backward of Tanh" in text


def test_unknown_animation_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=".html, .gif or .svg"):
        save_backprop_animation(scalar(1.0, "x") * 2.0, tmp_path / "a.mp4")
