"""MLP 784-256-128-10 with ReLU and cross-entropy, batch 128: one SGD step."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd
import nn
import nn.functional as F
import optim

from ._reference import LR, NumPyStep, TorchStep, step_row
from ._timing import Config, Row, to_numpy, torch

SIZES = (784, 256, 128, 10)
BATCH = 128


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    return x, rng.integers(0, SIZES[-1], BATCH)


class Ours:
    """nn.Linear + F.relu + F.cross_entropy + optim.SGD."""

    def __init__(self, x: np.ndarray, t: np.ndarray) -> None:
        autograd.manual_seed(0)
        self.layers = [nn.Linear(a, b) for a, b in zip(SIZES[:-1], SIZES[1:], strict=True)]
        self.params = [p for layer in self.layers for p in (layer.weight, layer.bias)]
        self.opt = optim.SGD(self.params, lr=LR)
        self.x, self.t = autograd.tensor(x), t

    def weights(self) -> list[np.ndarray]:
        return [to_numpy(p) for p in self.params]

    def step(self) -> float:
        h = self.x
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = F.relu(h)
        loss = F.cross_entropy(h, self.t)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


class NumPyMLP(NumPyStep):
    """The same step by hand: forward, softmax cross-entropy, backward, in-place SGD update."""

    def __init__(self, weights: list[np.ndarray], x: np.ndarray, t: np.ndarray) -> None:
        super().__init__(weights, x, t, SIZES[-1])

    def step(self) -> float:
        w1, b1, w2, b2, w3, b3 = self.params
        x = self.x
        h1 = x @ w1.T
        h1 += b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w2.T
        h2 += b2
        a2 = np.maximum(h2, 0)
        z = a2 @ w3.T
        z += b3
        loss, gz = self.cross_entropy(z)
        gw3, gb3 = gz.T @ a2, gz.sum(0)
        ga2 = gz @ w3
        ga2 *= h2 > 0
        gw2, gb2 = ga2.T @ a1, ga2.sum(0)
        ga1 = ga2 @ w2
        ga1 *= h1 > 0
        gw1, gb1 = ga1.T @ x, ga1.sum(0)
        self.sgd([gw1, gb1, gw2, gb2, gw3, gb3])
        return loss


class TorchMLP(TorchStep):
    def logits(self) -> Any:
        w1, b1, w2, b2, w3, b3 = self.params
        tf = torch.nn.functional
        h = tf.relu(tf.linear(self.x, w1, b1))
        h = tf.relu(tf.linear(h, w2, b2))
        return tf.linear(h, w3, b3)


def bench(cfg: Config) -> list[Row]:
    x, t = make_data()
    row = Row("MLP step (784-256-128-10, b128)", "ms", None, goal="<= 1.05x numpy")
    step_row(row, cfg, cfg.rounds(200, 3), cfg.warmup(20), Ours, NumPyMLP, TorchMLP, x, t)
    row.holds = row.vs_numpy <= 1.05 if row.vs_numpy is not None else None
    return [row]
