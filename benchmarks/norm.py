"""Batch norm on (64, 16, 28, 28) float32: the fused primitive against the composite of ops.

Run with ``python -m benchmarks.norm``. Both versions are checked to give the same numbers
before they are timed (forward, then backward with a random upstream gradient).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

import autograd
import nn.functional as F
from autograd import Tensor

SHAPE = (64, 16, 28, 28)


def composite(x: Tensor, w: Tensor, b: Tensor, eps: float = 1e-5) -> Tensor:
    """Training-mode batch norm from primitive ops only (what F.batch_norm replaces)."""
    dims = (0, 2, 3)
    centered = x - x.mean(dims, keepdim=True)
    out = centered * ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
    return out * w.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)


def fused(x: Tensor, w: Tensor, b: Tensor, eps: float = 1e-5) -> Tensor:
    return F.batch_norm(x, None, None, w, b, training=True, eps=eps)


def layer_norm(x: Tensor, w: Tensor, b: Tensor, eps: float = 1e-5) -> Tensor:
    return F.layer_norm(x, x.shape[-1], w, b, eps)


def run(
    fn: Callable[..., Tensor], xa: np.ndarray, ga: np.ndarray, rounds: int
) -> tuple[float, float, list[np.ndarray]]:
    """Median forward and backward seconds, and the outputs and gradients of the last round."""
    channels = xa.shape[1] if fn is not layer_norm else xa.shape[-1]
    fwd, bwd = [], []
    for _ in range(rounds):
        x = autograd.tensor(xa, requires_grad=True)
        w = autograd.tensor(np.linspace(0.5, 2, channels, dtype=np.float32), requires_grad=True)
        b = autograd.zeros(channels, requires_grad=True)
        t0 = time.perf_counter()
        y = fn(x, w, b)
        t1 = time.perf_counter()
        y.backward(autograd.tensor(ga))
        t2 = time.perf_counter()
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)
    grads = [t.grad.numpy() for t in (x, w, b) if t.grad is not None]
    return statistics.median(fwd), statistics.median(bwd), [y.numpy(), *grads]


def main(rounds: int = 15) -> None:
    rng = np.random.default_rng(0)
    xa = (rng.standard_normal(SHAPE) * 3 + 1).astype(np.float32)
    ga = rng.standard_normal(SHAPE).astype(np.float32)
    results = {
        name: run(fn, xa, ga, rounds) for name, fn in (("fused", fused), ("composite", composite))
    }
    for a, c in zip(results["fused"][2], results["composite"][2], strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-3, atol=1e-3)
    print(f"batch_norm, training, {SHAPE} float32 (median of {rounds}):")
    for name, (f, b, _) in results.items():
        print(
            f"  {name:9s}  forward {f * 1e3:6.2f} ms  backward {b * 1e3:6.2f} ms  "
            f"total {(f + b) * 1e3:6.2f} ms"
        )
    ln_shape = (64, 128, 256)
    f, b, _ = run(
        layer_norm,
        rng.standard_normal(ln_shape).astype(np.float32),
        rng.standard_normal(ln_shape).astype(np.float32),
        rounds,
    )
    print(
        f"layer_norm (composite), {ln_shape} float32: forward {f * 1e3:.2f} ms  "
        f"backward {b * 1e3:.2f} ms"
    )


if __name__ == "__main__":
    main()
