"""Module, Parameter and the containers: registration, names, state_dict, hooks, repr."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn


class Affine(nn.Module):
    """A tiny layer made only of Module machinery (no nn layer needed)."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(autograd.ones(n_out, n_in))
        self.bias = nn.Parameter(autograd.zeros(n_out))

    def forward(self, x):
        return x @ self.weight.T + self.bias

    def extra_repr(self) -> str:
        return f"{self.weight.shape[1]}, {self.weight.shape[0]}"


class Norm(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.register_buffer("running_mean", autograd.zeros(n))
        self.register_buffer("num_batches_tracked", autograd.tensor(0))
        self.register_buffer("scratch", autograd.zeros(n), persistent=False)

    def forward(self, x):
        return x - self.running_mean


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(Affine(3, 4), Norm(4))
        self.head = Affine(4, 2)

    def forward(self, x):
        return self.head(self.features(x))


def test_registration_and_dotted_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["features.0.weight", "features.0.bias", "head.weight", "head.bias"]
    assert [n for n, _ in net.named_buffers()] == [
        "features.1.running_mean",
        "features.1.num_batches_tracked",
        "features.1.scratch",
    ]
    assert (
        list(net.state_dict())
        == names[:2]
        + [
            "features.1.running_mean",
            "features.1.num_batches_tracked",
        ]
        + names[2:]
    )
    assert [type(m).__name__ for m in net.children()] == ["Sequential", "Affine"]
    assert [n for n, _ in net.named_modules()] == [
        "",
        "features",
        "features.0",
        "features.1",
        "head",
    ]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())


def test_shared_parameters_are_listed_once():
    a = Affine(2, 2)
    seq = nn.Sequential(a, a)
    assert len(list(seq.parameters())) == 2


def test_assignment_rules():
    m = Affine(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = autograd.ones(2, 2)
    m.weight = None
    assert "weight" not in dict(m.named_parameters())
    m.plain = 3
    assert m.plain == 3
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = m.nope

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(autograd.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_forward_runs_and_backward_reaches_parameters():
    net = Net()
    out = net(autograd.ones(5, 3))
    assert out.shape == (5, 2)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_train_eval_requires_grad_apply_to():
    net = Net()
    assert net.training and net.features[0].training
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Affine"
    net.to(autograd.float64)
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.features[1].num_batches_tracked.dtype == np.int64


def test_hooks_can_replace_input_and_output():
    m = Affine(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    out = m(autograd.ones(1, 2))
    assert out.tolist() == [[1.0, 1.0]] and calls == [(1, 2)]
    h1.remove()
    h2.remove()
    assert m(autograd.ones(1, 2)).tolist() == [[2.0, 2.0]]


def test_state_dict_round_trip_and_sharing():
    net = Net()
    sd = net.state_dict()
    assert not sd["head.weight"].requires_grad
    assert np.shares_memory(sd["head.weight"].data, net.head.weight.data)
    other = Net()
    with autograd.no_grad():
        for p in other.parameters():
            p.fill_(0.5)
    result = net.load_state_dict(other.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert net.head.weight.tolist() == [[0.5] * 4] * 2


def test_load_state_dict_errors_name_every_key():
    net = Net()
    sd = net.state_dict()
    sd["head.extra"] = autograd.ones(1)
    del sd["features.0.bias"]
    sd["head.weight"] = autograd.ones(3, 3)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert 'Missing key(s) in state_dict: "features.0.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "head.extra"' in msg
    assert "size mismatch for head.weight" in msg and "(3, 3)" in msg and "(2, 4)" in msg
    del sd["head.weight"]
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["features.0.bias", "head.weight"]
    assert result.unexpected_keys == ["head.extra"]


def test_repr_like_pytorch():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (features): Sequential(\n"
        "    (0): Affine(3, 4)\n"
        "    (1): Norm()\n"
        "  )\n"
        "  (head): Affine(4, 2)\n"
        ")"
    )
    assert "Parameter containing" in repr(net.head.bias)


def test_sequential_indexing_slicing_len():
    a, b, c = Affine(2, 2), Affine(2, 2), Affine(2, 2)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is b
    assert [n for n, _ in sub.named_parameters()] == ["1.weight", "1.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    seq.append(Affine(2, 2))
    assert len(seq) == 4
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict(first=a, second=b))
    assert [n for n, _ in named.named_parameters()][0] == "first.weight"


def test_module_list_and_dict():
    layers = nn.ModuleList([Affine(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(Affine(2, 2))
    layers.insert(0, Affine(2, 2))
    assert len(layers) == 5 and [n for n, _ in layers.named_children()][-1] == "4"
    heads = nn.ModuleDict({"a": Affine(2, 1)})
    heads["b"] = Affine(2, 3)
    assert list(heads.keys()) == ["a", "b"] and "b" in heads and len(heads) == 2
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]


def test_parameter_shares_data_of_tensor():
    t = autograd.ones(3)
    p = nn.Parameter(t)
    assert np.shares_memory(p.data, t.data) and p.requires_grad and p.is_leaf
    q = nn.Parameter(autograd.ones(2), requires_grad=False)
    assert not q.requires_grad


def test_sequential_del_renumbers_as_pytorch():
    # PyTorch numbers a Sequential's modules again after a deletion: a later append takes
    # a fresh key, and state_dict keys stay 0, 1, ...
    a, b, c, d = (Affine(2, 2) for _ in range(4))
    seq = nn.Sequential(a, b, c)
    del seq[0]
    seq.append(d)
    assert list(seq) == [b, c, d] and list(seq._modules) == ["0", "1", "2"]
    del seq[:2]
    assert list(seq) == [d] and [k for k in seq.state_dict()] == ["0.weight", "0.bias"]


def test_registering_over_a_taken_name_is_a_key_error_as_pytorch():
    m = Affine(2, 2)
    m.note = 1.0
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", autograd.zeros(2))
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.add_module("weight", Affine(1, 1))
    with pytest.raises(KeyError, match="attribute 'note' already exists"):
        m.register_parameter("note", None)
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        m.register_buffer("forward", None)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    m.register_parameter("weight", nn.Parameter(autograd.zeros(2, 2)))  # same kind: replaced
    m.register_buffer("scale", autograd.ones(1))
    m.register_buffer("scale", autograd.zeros(1))
    assert m.weight.tolist() == [[0.0, 0.0], [0.0, 0.0]] and m.scale.tolist() == [0.0]


def test_module_dict_from_and_updated_with_a_module_dict():
    heads = nn.ModuleDict({"a": Affine(2, 1), "b": Affine(2, 3)})
    copy = nn.ModuleDict(heads)
    assert list(copy.keys()) == ["a", "b"] and copy["a"] is heads["a"]
    more = nn.ModuleDict({"c": Affine(1, 1)})
    more.update(heads)
    assert list(more.keys()) == ["c", "a", "b"]


def test_named_parameters_keeps_shared_modules_when_asked():
    lin = Affine(1, 1)
    seq = nn.Sequential(lin, lin)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    names = [n for n, _ in seq.named_parameters(remove_duplicate=False)]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias"]
    seq.register_buffer("s", autograd.ones(1))
    lin.register_buffer("t", autograd.ones(1))
    assert [n for n, _ in seq.named_buffers(remove_duplicate=False)] == ["s", "0.t", "1.t"]


def test_zero_grad_without_none_zeros_the_gradient_in_place():
    m = Affine(2, 2)
    m(autograd.ones(2)).sum().backward()
    g = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is g and g.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    m.zero_grad()
    assert m.weight.grad is None


@pytest.mark.parametrize(
    "bad",
    [
        lambda: nn.Linear(3, 2)(autograd.ones(4, 5)),
        lambda: nn.Conv2d(3, 4, 3)(autograd.ones(1, 2, 5, 5)),
        lambda: nn.Conv2d(1, 1, 5)(autograd.ones(1, 1, 3, 3)),
        lambda: nn.MaxPool2d(2, padding=2)(autograd.ones(1, 1, 4, 4)),
        lambda: nn.BatchNorm2d(3)(autograd.ones(2, 4, 2, 2)),
        lambda: nn.LayerNorm(3)(autograd.ones(2, 4)),
        lambda: nn.functional.cross_entropy(autograd.ones(2, 3), autograd.tensor([0, 1, 2])),
        lambda: nn.functional.cross_entropy(
            autograd.ones(2, 3), autograd.tensor([0, 1]), weight=autograd.ones(4)
        ),
    ],
    ids=[
        "linear",
        "conv-channels",
        "conv-kernel",
        "pool-padding",
        "batchnorm",
        "layernorm",
        "ce-target",
        "ce-weight",
    ],
)
def test_bad_layer_input_is_a_runtime_error_as_pytorch_and_a_value_error(bad):
    with pytest.raises(RuntimeError) as info:
        bad()
    assert isinstance(info.value, ValueError)
