"""Module clusters: a box per module call (trace_modules) or per parameter owner, and collapsing."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from autograd.viz import backprop_steps, draw_graph, trace_modules


class Dense(nn.Module):
    """A Linear built from Module + Parameter only (nn.Linear may still be in the works)."""

    def __init__(self, n_in: int, n_out: int, seed: int) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weight = nn.Parameter(autograd.tensor(rng.normal(size=(n_out, n_in))))
        self.bias = nn.Parameter(autograd.tensor(np.zeros(n_out)))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T + self.bias


class Act(nn.Module):
    """No parameters: only a trace can tell which ops are its own."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = Dense(3, 3, 0)
        self.act = Act()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.fc(x)) + x


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.head = Dense(3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.block(x))


def run(model: nn.Module, trace: bool = True) -> tuple[Tensor, object]:
    x = autograd.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
    if trace:
        with trace_modules(model) as tr:
            loss = (model(x) ** 2).mean()
    else:
        tr, loss = model, (model(x) ** 2).mean()
    loss.name = "loss"
    return loss, tr


def membership(src: str) -> dict[str, list[str]]:
    """DOT node id -> the titles of the clusters around it, outermost first."""
    out: dict[str, list[str]] = {}
    stack: list[str] = []
    pending = False
    for line in src.splitlines():
        s = line.strip()
        if s.startswith("subgraph cluster_"):
            stack.append("?")
            pending = True
        elif pending and s.startswith("label="):
            stack[-1] = re.match(r'label="([^"]*)"', s).group(1)  # type: ignore[union-attr]
            pending = False
        elif s == "}" and stack:
            stack.pop()
        else:
            m = re.match(r"(\w+) \[label=", s)
            if m:
                out[m.group(1)] = list(stack)
    return out


def op_ids(src: str, name: str) -> list[str]:
    return re.findall(rf"^\s*(op\d+) \[label=<<TABLE[^>]*><TR><TD><B>{name}</B>", src, re.M)


def tensor_id(src: str, name: str) -> str:
    (k,) = re.findall(
        rf"^\s*(t\d+) \[label=<<TABLE[^>]*><TR><TD[^>]*><B>{re.escape(name)}</B>", src, re.M
    )
    return k


def test_trace_gives_a_box_per_module_call_around_exactly_its_ops() -> None:
    model = Net()
    loss, tr = run(model)
    src = draw_graph(loss, model=tr).source
    where = membership(src)
    (tanh,) = op_ids(src, "Tanh")
    assert where[tanh] == ["model · Net", "block · Block", "block.act · Act"]
    matmuls = op_ids(src, "MatMul")
    assert sorted(where[k][-1] for k in matmuls) == ["block.fc · Dense", "head · Dense"]
    adds = op_ids(src, "Add")  # two bias adds and the residual add of Block
    assert sorted(where[k][-1] for k in adds) == [
        "block · Block",
        "block.fc · Dense",
        "head · Dense",
    ]
    (pow_,) = op_ids(src, "Pow")  # the loss is computed outside the model
    assert where[pow_] == []
    assert where[tensor_id(src, "block.fc.weight")][-1] == "block.fc · Dense"
    assert where[tensor_id(src, "head.bias")][-1] == "head · Dense"
    assert where[tensor_id(src, "loss")] == []


def test_trace_removes_its_hooks() -> None:
    model = Net()
    run(model)
    for _, m in model.named_modules():
        assert not m._forward_hooks and not m._forward_pre_hooks


def test_without_a_trace_modules_are_found_by_their_parameters() -> None:
    model = Net()
    loss, _ = run(model, trace=False)
    src = draw_graph(loss, model=model).source
    where = membership(src)
    assert sorted(where[k][-1] for k in op_ids(src, "MatMul")) == [
        "block.fc · Dense",
        "head · Dense",
    ]
    (tanh,) = op_ids(src, "Tanh")
    assert where[tanh] == []  # a parameter-free module cannot be told apart without a trace
    assert where[tensor_id(src, "block.fc.bias")] == ["block · Block", "block.fc · Dense"]


def test_collapse_modules_folds_each_module_into_one_node() -> None:
    model = Net()
    loss, tr = run(model)
    loss.backward()
    src = draw_graph(loss, model=tr, collapse_modules=True).source
    assert op_ids(src, "MatMul") == [] and op_ids(src, "Tanh") == []
    blocks = re.findall(r"^\s*(m\d+) \[label=(.*)\]$", src, re.M)
    titles = {k: re.search(r"<B>([^<]*)</B>", v).group(1) for k, v in blocks}  # type: ignore[union-attr]
    assert sorted(titles.values()) == ["block · Block", "head · Dense"]
    block = next(k for k, t in titles.items() if t.startswith("block"))
    label = dict(blocks)[block]
    assert (
        "5 ops: Permute, MatMul, Add, Tanh" in label
        and "block.fc.weight 3×3" in label
        and "‖grad‖" in label
    )
    # The block's output flows into the head's node through a visible tensor.
    head = next(k for k, t in titles.items() if t.startswith("head"))
    (between,) = [d for s, d in re.findall(r"^\s*(\w+) -> (\w+)", src, re.M) if s == block]
    assert (between, head) in re.findall(r"^\s*(\w+) -> (\w+)", src, re.M)
    assert op_ids(src, "Pow")  # ops outside the model stay as they are
    deeper = draw_graph(loss, model=tr, collapse_modules=2).source
    assert len(op_ids(deeper, "Add")) == 1  # Block's residual add; its children are folded
    folded = re.findall(r"^\s*m\d+ \[label=<.*?<B>([^<]*)</B>", deeper, re.M)
    assert sorted(folded) == ["block.act · Act", "block.fc · Dense", "head · Dense"]


def test_a_module_called_twice_gets_two_boxes() -> None:
    act = Act()

    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.act = act

        def forward(self, x: Tensor) -> Tensor:
            return self.act(self.act(x))

    model = Twice()
    x = autograd.tensor(np.ones(2), requires_grad=True)
    with trace_modules(model) as tr:
        y = model(x).sum()
    src = draw_graph(y, model=tr).source
    assert "act · Act (call 2)" in src
    tanhs = op_ids(src, "Tanh")
    assert sorted(membership(src)[k][-1] for k in tanhs) == ["act · Act", "act · Act (call 2)"]


def test_backprop_steps_show_module_boxes() -> None:
    model = Net()
    loss, tr = run(model)
    frames = backprop_steps(loss, model=tr)
    assert len(frames) == len({id(f) for f in frames})
    assert all("subgraph cluster_" in f.source for f in frames)


def test_model_must_look_like_a_module() -> None:
    x = autograd.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="named_parameters"):
        draw_graph(x.sum(), model=object())
