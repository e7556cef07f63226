"""Cross-entropy on float32 logits: the fused primitive against log_softmax + gather (composite).

Run with ``python -m benchmarks.loss``. Both versions are checked to give the same loss and
gradient before they are timed (forward plus backward of the mean loss).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd
import nn.functional as F
from autograd import Tensor

SIZES = [(64, 10), (512, 10), (4096, 100), (256, 1000)]


def composite(x: Tensor, t: np.ndarray) -> Tensor:
    """The mean cross-entropy from the log_softmax primitive and a gather (no fused op)."""
    picked = autograd.take_along_dim(x.log_softmax(1), t[:, None], 1)
    return -picked.sum() / t.shape[0]


def fused(x: Tensor, t: np.ndarray) -> Tensor:
    return F.cross_entropy(x, t)


def run(fn: Callable[..., Tensor], xa: np.ndarray, t: np.ndarray, rounds: int) -> Any:
    """Median seconds of forward + backward, and the loss and gradient of the last round."""
    times = []
    for _ in range(rounds):
        x = autograd.tensor(xa, requires_grad=True)
        t0 = time.perf_counter()
        loss = fn(x, t)
        loss.backward()
        times.append(time.perf_counter() - t0)
    assert x.grad is not None
    return statistics.median(times), loss.item(), x.grad.numpy()


def main(rounds: int = 30) -> None:
    rng = np.random.default_rng(0)
    print(f"cross_entropy forward + backward, float32 (median of {rounds}):")
    for n, c in SIZES:
        xa = rng.standard_normal((n, c)).astype(np.float32) * 3
        t = rng.integers(0, c, n)
        tf, lf, gf = run(fused, xa, t, rounds)
        tc, lc, gc = run(composite, xa, t, rounds)
        np.testing.assert_allclose(lf, lc, rtol=1e-5)
        np.testing.assert_allclose(gf, gc, rtol=1e-4, atol=1e-7)
        print(
            f"  N={n:5d} C={c:5d}  fused {tf * 1e3:7.3f} ms  composite {tc * 1e3:7.3f} ms  "
            f"({tc / tf:.1f}x)"
        )


if __name__ == "__main__":
    main()
