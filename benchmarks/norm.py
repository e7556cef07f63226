"""Batch norm on (64, 16, 28, 28) float32: fused ours vs tuned NumPy, PyTorch and the composite."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

import autograd
import nn.functional as F
from autograd import Tensor

from ._timing import Config, Row, check_close, median_time, torch

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


AXES = (0, 2, 3)
EPS = 1e-5


def numpy_bn(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tuned hand-written batch norm, training mode: forward, then backward of upstream ``g``."""
    m = x.size // x.shape[1]
    mean = x.mean(AXES, keepdims=True)
    xc = x - mean
    var = np.einsum("nchw,nchw->c", xc, xc, optimize=True).reshape(mean.shape) / np.float32(m)
    invstd = 1 / np.sqrt(var + np.float32(EPS))
    xhat = xc
    xhat *= invstd
    y = xhat * w.reshape(mean.shape)
    y += b.reshape(mean.shape)
    gb = g.sum(AXES)
    gw = np.einsum("nchw,nchw->c", g, xhat, optimize=True)
    # dx = w * invstd / m * (m * g - gb - xhat * gw)
    gx = xhat * gw.reshape(mean.shape)
    gx += gb.reshape(mean.shape)
    gx *= np.float32(-1 / m)
    gx += g
    gx *= (w.reshape(mean.shape) * invstd).astype(np.float32)
    return y, gx, gw, gb


def _inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    xa = (rng.standard_normal(SHAPE) * 3 + 1).astype(np.float32)
    ga = rng.standard_normal(SHAPE).astype(np.float32)
    w = np.linspace(0.5, 2, SHAPE[1], dtype=np.float32)
    return xa, ga, w, np.zeros(SHAPE[1], np.float32)


def bench(cfg: Config) -> list[Row]:
    xa, ga, wa, ba = _inputs()

    # Leaves are made once (ours and torch copy the input; NumPy does not), grads reset per call.
    leaves = [autograd.tensor(a, requires_grad=True) for a in (xa, wa, ba)]
    upstream = autograd.tensor(ga)

    def ours() -> list[np.ndarray]:
        x, w, b = leaves
        for t in leaves:
            t.grad = None
        y = fused(x, w, b, EPS)
        y.backward(upstream)
        return [y.numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]

    def ref_numpy() -> list[np.ndarray]:
        return list(numpy_bn(xa, wa, ba, ga))

    if torch is not None:
        t_leaves = [torch.tensor(a, requires_grad=True) for a in (xa, wa, ba)]
        t_upstream = torch.from_numpy(ga)

    def ref_torch() -> list[np.ndarray]:
        x, w, b = t_leaves
        for t in t_leaves:
            t.grad = None
        y = torch.nn.functional.batch_norm(x, None, None, w, b, training=True, eps=EPS)
        y.backward(t_upstream)
        return [y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]

    got = [a.copy() for a in ours()]
    check_close(got, ref_numpy(), "batch_norm vs numpy", rtol=1e-3, atol=1e-3)
    if torch is not None:
        check_close(got, ref_torch(), "batch_norm vs torch", rtol=1e-3, atol=1e-3)
    rounds, warmup = cfg.rounds(40, 2), cfg.warmup(3)
    row = Row("BatchNorm2d fwd+bwd (64,16,28,28)", "ms", None, goal="<= 1.1x numpy")
    row.ours = median_time(ours, cfg, rounds, warmup) * 1e3
    row.numpy = median_time(ref_numpy, cfg, rounds, warmup) * 1e3
    if torch is not None:
        row.torch = median_time(ref_torch, cfg, rounds, warmup) * 1e3
    row.holds = row.vs_numpy <= 1.1 if row.vs_numpy is not None else None
    return [row]


if __name__ == "__main__":
    main()
