"""Engine overhead: a 10-op chain on a (4,) float32 tensor and a 100,000-op chain."""

from __future__ import annotations

import gc
import time
import tracemalloc
from typing import Any

import numpy as np

import autograd

from ._timing import Config, Row, check_close, median_time, rss_mb, torch

X0 = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)


def chain10(x: Any) -> Any:
    """The chain's ten ops on ``x`` (ours, PyTorch's, or any tensor type with these operators
    and methods), summed."""
    y = x * 1.5
    y = y + 0.5
    y = y.sin()
    y = y * y
    y = y - 0.1
    y = y.exp()
    y = y / 2.0
    y = y.tanh()
    y = y * x
    return y.sum()


def chain10_forward() -> tuple[autograd.Tensor, autograd.Tensor]:
    """The chain's forward pass: the leaf and the summed output."""
    x = autograd.tensor(X0, requires_grad=True)
    return x, chain10(x)


def chain10_autograd() -> np.ndarray:
    x, loss = chain10_forward()
    loss.backward()
    return x.grad.data


def chain10_numpy() -> np.ndarray:
    """The same arithmetic by hand: forward keeping what backward needs, then backward."""
    x = X0
    a = x * np.float32(1.5)
    b = a + np.float32(0.5)
    c = np.sin(b)
    d = c * c
    e = d - np.float32(0.1)
    f = np.exp(e)
    g = f / np.float32(2.0)
    h = np.tanh(g)
    y = h * x
    gy = np.ones_like(y)
    gh = gy * x
    gx = gy * h
    gg = gh * (1 - h * h)
    gf = gg / np.float32(2.0)
    ge = gf * f
    gc_ = ge * 2 * c
    gb = gc_ * np.cos(b)
    gx = gx + gb * np.float32(1.5)
    _ = y.sum()
    return gx


def chain10_torch() -> np.ndarray:
    x = torch.tensor(X0, requires_grad=True)
    chain10(x).backward()
    return x.grad.numpy()


def long_chain_autograd(n: int) -> tuple[float, np.ndarray]:
    x = autograd.tensor(np.ones(4, np.float32), requires_grad=True)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * 1.0000001
    y.sum().backward()
    return time.perf_counter() - t0, x.grad.data


def long_chain_torch(n: int) -> tuple[float, np.ndarray]:
    x = torch.ones(4, requires_grad=True)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * 1.0000001
    y.sum().backward()
    return time.perf_counter() - t0, x.grad.numpy()


def bytes_per_op(n: int) -> float:
    """tracemalloc bytes held per recorded op while an ``n``-op chain is alive."""
    x = autograd.tensor(np.ones(4, np.float32), requires_grad=True)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    y = x
    for _ in range(n):
        y = y * 1.0000001
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del y
    return (after - before) / n


def rss_profile(n: int) -> tuple[float, float, float]:
    """RSS (MiB) before building an ``n``-op chain, after building it, after backward+release."""
    gc.collect()
    before = rss_mb()
    x = autograd.tensor(np.ones(4, np.float32), requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0000001
    built = rss_mb()
    y.sum().backward()
    del y, x
    gc.collect()
    return before, built, rss_mb()


def bench_chain10(cfg: Config) -> list[Row]:
    ours = chain10_autograd()
    check_close(ours, chain10_numpy(), "chain10 grad vs numpy", rtol=1e-5, atol=0)
    if torch is not None:
        check_close(ours, chain10_torch(), "chain10 grad vs torch", rtol=1e-5, atol=0)
    rounds, warmup = cfg.rounds(3000, 20), cfg.warmup(300, 5)
    row = Row("10-op chain fwd+bwd", "us", median_time(chain10_autograd, cfg, rounds, warmup) * 1e6)
    row.numpy = median_time(chain10_numpy, cfg, rounds, warmup) * 1e6
    if torch is not None:
        row.torch = median_time(chain10_torch, cfg, rounds, warmup) * 1e6
    row.goal = "<= 0.5x torch"
    row.holds = row.vs_torch <= 0.5 if row.vs_torch is not None else None
    return [row]


def bench_chain100k(cfg: Config) -> list[Row]:
    n = 2_000 if cfg.quick else 100_000
    rounds = 1 if cfg.quick else cfg.rounds(3)
    label = f"{n:,}-op chain fwd+bwd"
    check_close(long_chain_autograd(100)[1], 1.0000001**100 * np.ones(4), label, rtol=1e-5)
    if not cfg.quick:
        time.sleep(cfg.pause)
    ours_times, grad = [], None
    for _ in range(rounds):
        t, grad = long_chain_autograd(n)
        ours_times.append(t)
    gc.disable()
    try:
        nogc = min(long_chain_autograd(n)[0] for _ in range(rounds))
    finally:
        gc.enable()
    row = Row(label, "s", sorted(ours_times)[len(ours_times) // 2])
    if torch is not None:
        if not cfg.quick:
            time.sleep(cfg.pause)
        torch_times = []
        for _ in range(rounds):
            t, g_torch = long_chain_torch(n)
            torch_times.append(t)
        check_close(grad, g_torch, f"{label} grad vs torch", rtol=1e-3, atol=0)
        row.torch = sorted(torch_times)[len(torch_times) // 2]
    row.goal = "<= 0.5x torch"
    row.holds = row.vs_torch <= 0.5 if row.vs_torch is not None else None
    row.extra["cyclic_gc_off_s"] = nogc
    bpo = bytes_per_op(n)
    mem = Row(f"bytes per recorded op ({n:,} ops)", "B", bpo, goal="<= 600", holds=bpo <= 600)
    # The median of three build/release cycles: whether glibc and pymalloc can hand a freed
    # block back depends on what else sits in the heap, so one cycle alone can keep a few MB
    # that the next gives back; a leak would keep memory in every cycle.
    cycles = [rss_profile(n) for _ in range(1 if cfg.quick else 3)]
    shares = sorted(
        (built - after) / (built - before) if built > before else float("nan")
        for before, built, after in cycles
    )
    returned = shares[len(shares) // 2]
    rss = Row(
        "RSS returned after bwd+release",
        "%",
        returned * 100,
        goal=">= 90% returned",
        holds=bool(returned >= 0.9) if returned == returned else None,
        extra={
            "cycles_mb_before_built_after": "; ".join(
                f"{b:.1f}/{m:.1f}/{a:.1f}" for b, m, a in cycles
            )
        },
    )
    return [row, mem, rss]
