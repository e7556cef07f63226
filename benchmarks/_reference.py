"""What the MLP and CNN benchmarks share: the NumPy and PyTorch reference steps' common parts
and the check that a reference and ours give the same numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._timing import Config, Row, check_close, median_time, to_numpy, torch

LR = 0.01


class NumPyStep:
    """A hand-written training step's state: weights, data, one-hot targets, last gradients."""

    def __init__(self, weights: list[np.ndarray], x: np.ndarray, t: np.ndarray, classes: int):
        self.params = [w.copy() for w in weights]
        self.x, self.t = x, t
        self.onehot = np.zeros((len(t), classes), np.float32)
        self.onehot[np.arange(len(t)), t] = 1
        self.grads: list[np.ndarray] = []

    def cross_entropy(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean softmax cross-entropy of logits ``z`` (shifted in place) and its gradient."""
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        s = e.sum(1, keepdims=True)
        n = len(self.t)
        loss = float(np.log(s[:, 0]).mean() - z[np.arange(n), self.t].mean())
        gz = e / s
        gz -= self.onehot
        gz *= np.float32(1 / n)
        return loss, gz

    def sgd(self, grads: list[np.ndarray]) -> None:
        """Keep ``grads`` and take a plain SGD step in place."""
        self.grads = grads
        lr = np.float32(LR)
        for p, g in zip(self.params, grads, strict=True):
            p -= lr * g


class TorchStep:
    """PyTorch's step from the same weights; a subclass writes only ``logits``."""

    def __init__(self, weights: list[np.ndarray], x: np.ndarray, t: np.ndarray) -> None:
        self.params = [torch.tensor(w, requires_grad=True) for w in weights]
        self.opt = torch.optim.SGD(self.params, lr=LR)
        self.x, self.t = torch.from_numpy(x), torch.from_numpy(t)

    def logits(self) -> Any:
        raise NotImplementedError

    def step(self) -> float:
        loss = torch.nn.functional.cross_entropy(self.logits(), self.t)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return float(loss.item())


def check(ours: Any, ref: Any, what: str) -> None:
    """One step each from the same weights: same loss, same gradients, same new weights."""
    check_close(ours.step(), ref.step(), f"{what} loss")
    ref_grads = ref.grads if isinstance(ref, NumPyStep) else [to_numpy(p.grad) for p in ref.params]
    check_close([to_numpy(p.grad) for p in ours.params], ref_grads, f"{what} grads")
    check_close(ours.weights(), [to_numpy(p) for p in ref.params], f"{what} weights")


def step_row(
    row: Row,
    cfg: Config,
    rounds: int,
    warmup: int,
    ours: Any,
    numpy_step: Any,
    torch_step: Any,
    x: np.ndarray,
    t: np.ndarray,
) -> Row:
    """Check ours against the NumPy and PyTorch steps from the same weights, then time one
    training step of each into ``row`` (ms); ``ours(x, t)`` and ``numpy_step(w, x, t)`` make a
    fresh step object, as does ``torch_step(w, x, t)``."""
    first = ours(x, t)
    w0 = first.weights()
    check(first, numpy_step(w0, x, t), f"{row.name} vs numpy")
    if torch is not None:
        check(ours(x, t), torch_step(w0, x, t), f"{row.name} vs torch")
    row.ours = median_time(ours(x, t).step, cfg, rounds, warmup) * 1e3
    row.numpy = median_time(numpy_step(w0, x, t).step, cfg, rounds, warmup) * 1e3
    if torch is not None:
        row.torch = median_time(torch_step(w0, x, t).step, cfg, rounds, warmup) * 1e3
    return row
