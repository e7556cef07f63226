"""Worked examples from the seeds with their published numbers: built from nn and optim."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
import optim
from autograd import Tensor


def assert_digits(value: float, published: str) -> None:
    """``value`` rounds to ``published`` at the number of decimals it was published with."""
    decimals = len(published.split(".")[1])
    assert abs(value - float(published)) <= 0.5 * 10.0**-decimals, (value, published)


# -- the 2-2-2 sigmoid network (Mazur's step-by-step backpropagation) ------------------------------
def two_two_two(dtype: type = np.float64) -> nn.Sequential:
    """Inputs i1, i2 -> hidden h1, h2 -> outputs o1, o2; w1..w8 as in the example.

    ``h1 = sigmoid(w1 i1 + w2 i2 + b1)``, ``h2 = sigmoid(w3 i1 + w4 i2 + b1)``, and the same for
    the outputs with w5..w8 and b2, so nn.Linear's (out, in) weights are [[w1, w2], [w3, w4]].
    """
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid()).to(dtype)
    with autograd.no_grad():
        net[0].weight.copy_(autograd.tensor(np.array([[0.15, 0.20], [0.25, 0.30]])))
        net[0].bias.fill_(0.35)
        net[2].weight.copy_(autograd.tensor(np.array([[0.40, 0.45], [0.50, 0.55]])))
        net[2].bias.fill_(0.60)
    return net


INPUTS = np.array([0.05, 0.10])
TARGETS = np.array([0.01, 0.99])


def e_total(out: Tensor, target: Tensor) -> Tensor:
    """E_total = sum over outputs of 1/2 (target - out)^2."""
    return (0.5 * (target - out) ** 2).sum()


def test_two_two_two_forward_pass() -> None:
    net = two_two_two()
    x = autograd.tensor(INPUTS)
    hidden = net[1](net[0](x))
    out = net[3](net[2](hidden))
    assert_digits(hidden.data[0], "0.593269992")
    assert_digits(hidden.data[1], "0.596884378")
    assert_digits(out.data[0], "0.75136507")
    assert_digits(out.data[1], "0.772928465")
    assert_digits(e_total(out, autograd.tensor(TARGETS)).item(), "0.298371109")
    assert out.dtype == np.float64


def test_two_two_two_gradient_and_one_sgd_step() -> None:
    net = two_two_two()
    opt = optim.SGD(net.parameters(), lr=0.5)
    loss = e_total(net(autograd.tensor(INPUTS)), autograd.tensor(TARGETS))
    opt.zero_grad()
    loss.backward()
    assert_digits(net[2].weight.grad.data[0, 0], "0.082167041")  # dE/dw5
    opt.step()
    w5_to_w8 = net[2].weight.data.ravel()
    w1_to_w4 = net[0].weight.data.ravel()
    for value, published in zip(
        w5_to_w8, ["0.35891648", "0.408666186", "0.511301270", "0.561370121"]
    ):
        assert_digits(value, published)
    for value, published in zip(
        w1_to_w4, ["0.149780716", "0.19956143", "0.24975114", "0.29950229"]
    ):
        assert_digits(value, published)
    # the step is theta -= lr * grad for every parameter, the biases included
    after = e_total(net(autograd.tensor(INPUTS)), autograd.tensor(TARGETS)).item()
    assert after < 0.298371109


def test_two_two_two_in_float32_is_close() -> None:
    net = two_two_two(np.float32)
    opt = optim.SGD(net.parameters(), lr=0.5)
    x, t = (autograd.tensor(a.astype(np.float32)) for a in (INPUTS, TARGETS))
    e_total(net(x), t).backward()
    opt.step()
    assert net[2].weight.dtype == np.float32
    np.testing.assert_allclose(net[2].weight.data[0, 0], 0.35891648, atol=1e-6)
    np.testing.assert_allclose(net[0].weight.data[0, 0], 0.149780716, atol=1e-6)


# -- perceptron gates --------------------------------------------------------------------------
X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)


def gate(w1: float, w2: float, b: float) -> nn.Sequential:
    """A perceptron: y = 1 if w1 x1 + w2 x2 + b > 0 else 0."""
    layer = nn.Linear(2, 1)
    with autograd.no_grad():
        layer.weight.copy_(autograd.tensor([[w1, w2]]))
        layer.bias.fill_(b)
    return nn.Sequential(layer, nn.Heaviside())


AND = gate(0.5, 0.5, -0.7)
NAND = gate(-0.5, -0.5, 0.7)
OR = gate(0.5, 0.5, -0.2)


@pytest.mark.parametrize(
    "name, perceptron, truth",
    [("AND", AND, [0, 0, 0, 1]), ("NAND", NAND, [1, 1, 1, 0]), ("OR", OR, [0, 1, 1, 1])],
)
def test_perceptron_gates(name: str, perceptron: nn.Module, truth: list[int]) -> None:
    assert perceptron(autograd.tensor(X)).data.ravel().tolist() == truth, name


def test_xor_is_and_of_nand_and_or() -> None:
    x = autograd.tensor(X)
    s1, s2 = NAND(x), OR(x)
    y = AND(autograd.cat([s1, s2], dim=1))
    assert y.data.ravel().tolist() == [0, 1, 1, 0]
    # the same as one two-layer network: a single perceptron cannot draw XOR's boundary
    layer1 = nn.Linear(2, 2)
    with autograd.no_grad():
        layer1.weight.copy_(autograd.tensor([[-0.5, -0.5], [0.5, 0.5]]))
        layer1.bias.copy_(autograd.tensor([0.7, -0.2]))
    two_layers = nn.Sequential(layer1, nn.Heaviside(), AND)
    assert two_layers(x).data.ravel().tolist() == [0, 1, 1, 0]


# -- an MLP that learns XOR ----------------------------------------------------------------------
def test_mlp_learns_xor() -> None:
    autograd.manual_seed(0)
    x = autograd.tensor(X)
    y = autograd.tensor([[0.0], [1.0], [1.0], [0.0]])
    net = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    opt = optim.Adam(net.parameters(), lr=0.1)
    first = None
    for _ in range(200):
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    out = net(x).data.ravel()
    assert ((out > 0.5) == np.array([False, True, True, False])).all(), out
    assert loss.item() < 0.01 < first
