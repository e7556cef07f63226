"""CNN on 1x28x28, batch 64 (conv-relu-pool twice, linear, cross-entropy): one SGD step."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import autograd
import nn
import nn.functional as F
import optim

from ._reference import LR, NumPyStep, TorchStep, step_row
from ._timing import Config, Row, to_numpy, torch

BATCH = 64


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, BATCH)


class Ours:
    """nn.Conv2d / nn.ReLU / nn.MaxPool2d / nn.Flatten / nn.Linear + F.cross_entropy + SGD."""

    def __init__(self, x: np.ndarray, t: np.ndarray) -> None:
        autograd.manual_seed(0)
        self.model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 10),
        )
        self.params = list(self.model.parameters())
        self.opt = optim.SGD(self.params, lr=LR)
        self.x, self.t = autograd.tensor(x), t

    def weights(self) -> list[np.ndarray]:
        return [to_numpy(p) for p in self.params]

    def step(self) -> float:
        loss = F.cross_entropy(self.model(self.x), self.t)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


def _im2col(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, C*9, H*W) columns of the 3x3, pad-1 windows."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = sliding_window_view(xp, (3, 3), axis=(2, 3))  # (N, C, H, W, 3, 3)
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * 9, h * w)


def _col2im(gcols: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Adjoint of _im2col: each kernel offset's columns added back into the flattened image
    with one shift, s = (i - 1) * W + (j - 1), as one contiguous add (a strided add into the
    padded image runs in rows of W and takes ~2x as long). The shift wraps the windows at the
    left/right edge into column W - 1 (j = 0) or 0 (j = 2), which that offset reaches with
    nothing else: it is kept aside and put back. Same sums, in the same order."""
    n, c, h, w = shape
    g = gcols.reshape(n, c, 9, h * w)
    gx = np.zeros((n, c, h * w), gcols.dtype)
    for k in range(9):
        i, j = divmod(k, 3)
        s = (i - 1) * w + (j - 1)
        lo, hi = max(0, -s), min(h * w, h * w - s)
        edge = (w - 1, None, 0)[j]
        kept = gx[:, :, edge::w].copy() if edge is not None else None
        gx[:, :, lo + s : hi + s] += g[:, :, k, lo:hi]
        if edge is not None:
            gx[:, :, edge::w] = kept
    return gx.reshape(n, c, h, w)


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, _, h, wd = x.shape
    cols = _im2col(x)
    out = w.reshape(w.shape[0], -1) @ cols  # (N, O, H*W): already NCHW
    out += b[:, None]
    return out.reshape(n, w.shape[0], h, wd), cols


def _conv_back(
    g: np.ndarray, cols: np.ndarray, w: np.ndarray, need_gx: bool
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    n, o, h, wd = g.shape
    g2 = g.reshape(n, o, h * wd)
    gw = (g2 @ cols.transpose(0, 2, 1)).sum(0).reshape(w.shape)
    gb = g2.sum((0, 2))
    gx = None
    if need_gx:
        gx = _col2im(w.reshape(o, -1).T @ g2, (n, w.shape[1], h, wd))
    return gx, gw, gb


OFFSETS = ((0, 0), (0, 1), (1, 0), (1, 1))


def _relu_pool(h: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """ReLU then 2x2 max pool from four strided views; returns the output and, per window
    offset, the mask routing the gradient back (the first maximum wins, ReLU folded in).

    max(relu(v)) == relu(max(v)), so the ReLU runs on the pooled quarter: the same output and
    masks (a window whose max is <= 0 gets no gradient) without a full-size pass."""
    views = [h[:, :, i::2, j::2] for i, j in OFFSETS]
    y = np.maximum(np.maximum(views[0], views[1]), np.maximum(views[2], views[3]))
    masks, taken = [], y <= 0  # positions at 0 after the ReLU get no gradient
    for v in views:
        m = v == y
        m &= ~taken
        taken |= m
        masks.append(m)
    np.maximum(y, 0, out=y)
    return y, masks


def _relu_pool_back(g: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    n, c, hh, ww = g.shape
    gx = np.empty((n, c, hh * 2, ww * 2), g.dtype)
    for (i, j), m in zip(OFFSETS, masks, strict=True):
        np.multiply(g, m, out=gx[:, :, i::2, j::2])
    return gx


class NumPyCNN(NumPyStep):
    """The same step by hand: im2col via sliding_window_view + matmul, pooling by reshape/max
    with masks, col2im by one shifted add per kernel offset, in-place SGD update."""

    def __init__(self, weights: list[np.ndarray], x: np.ndarray, t: np.ndarray) -> None:
        super().__init__(weights, x, t, 10)

    def step(self) -> float:
        w1, b1, w2, b2, w3, b3 = self.params
        h1, cols1 = _conv(self.x, w1, b1)
        p1, m1 = _relu_pool(h1)
        h2, cols2 = _conv(p1, w2, b2)
        p2, m2 = _relu_pool(h2)
        flat = p2.reshape(BATCH, -1)
        z = flat @ w3.T
        z += b3
        loss, gz = self.cross_entropy(z)
        gw3, gb3 = gz.T @ flat, gz.sum(0)
        gp2 = (gz @ w3).reshape(p2.shape)
        gp1, gw2, gb2 = _conv_back(_relu_pool_back(gp2, m2), cols2, w2, True)
        _, gw1, gb1 = _conv_back(_relu_pool_back(gp1, m1), cols1, w1, False)
        self.sgd([gw1, gb1, gw2, gb2, gw3, gb3])
        return loss


class TorchCNN(TorchStep):
    def logits(self) -> Any:
        w1, b1, w2, b2, w3, b3 = self.params
        tf = torch.nn.functional
        h = tf.max_pool2d(tf.relu(tf.conv2d(self.x, w1, b1, padding=1)), 2)
        h = tf.max_pool2d(tf.relu(tf.conv2d(h, w2, b2, padding=1)), 2)
        return tf.linear(h.flatten(1), w3, b3)


def bench(cfg: Config) -> list[Row]:
    x, t = make_data()
    row = Row("CNN step (1x28x28, b64)", "ms", None, goal="<= 1.0x numpy, <= 2.5x torch")
    step_row(row, cfg, cfg.rounds(60, 2), cfg.warmup(5), Ours, NumPyCNN, TorchCNN, x, t)
    if row.vs_numpy is not None:
        row.holds = row.vs_numpy <= 1.0 and (row.vs_torch is None or row.vs_torch <= 2.5)
    return [row]
