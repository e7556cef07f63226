"""Engine overhead: a 10-op chain on a (4,) float32 tensor and a 100,000-op chain.

Each implementation runs in its own block (warm-up, then rounds), with a pause between blocks
so that OpenBLAS threads spinning after one block do not steal time from the next. Before
timing, each benchmark checks that our numbers equal the reference's.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd

try:
    import torch
except ImportError:  # PyTorch is an optional peer
    torch = None

X0 = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)


def chain10_autograd() -> np.ndarray:
    x = autograd.tensor(X0, requires_grad=True)
    y = x * 1.5
    y = y + 0.5
    y = y.sin()
    y = y * y
    y = y - 0.1
    y = y.exp()
    y = y / 2.0
    y = y.tanh()
    y = y * x
    y.sum().backward()
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
    y = x * 1.5
    y = y + 0.5
    y = y.sin()
    y = y * y
    y = y - 0.1
    y = y.exp()
    y = y / 2.0
    y = y.tanh()
    y = y * x
    y.sum().backward()
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


def median_us(fn: Callable[[], Any], rounds: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def bytes_per_op(n: int) -> float:
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


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round (a smoke test)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    rounds, warmup, n_long = (20, 5, 2_000) if args.quick else (3000, 300, 100_000)
    pause = 0.0 if args.quick else 0.5

    ours = chain10_autograd()
    np.testing.assert_allclose(ours, chain10_numpy(), rtol=1e-5)
    if torch is not None:
        np.testing.assert_allclose(ours, chain10_torch(), rtol=1e-5)
    rows: dict[str, Any] = {}
    rows["chain10_autograd_us"] = median_us(chain10_autograd, rounds, warmup)
    time.sleep(pause)
    rows["chain10_numpy_us"] = median_us(chain10_numpy, rounds, warmup)
    if torch is not None:
        time.sleep(pause)
        rows["chain10_torch_us"] = median_us(chain10_torch, rounds, warmup)

    t_ours, g_ours = long_chain_autograd(n_long)
    rows["chain100k_autograd_s"] = t_ours
    gc.disable()
    rows["chain100k_autograd_nogc_s"] = long_chain_autograd(n_long)[0]
    gc.enable()
    if torch is not None:
        time.sleep(pause)
        t_torch, g_torch = long_chain_torch(n_long)
        np.testing.assert_allclose(g_ours, g_torch, rtol=1e-3)
        rows["chain100k_torch_s"] = t_torch
    rows["bytes_per_op"] = bytes_per_op(n_long)
    gc.collect()
    rows["rss_after_release_mb"] = rss_mb()
    rows["ops_in_long_chain"] = n_long
    rows["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus"
    rows["versions"] = (
        f"python {sys.version.split()[0]}, numpy {np.__version__}, "
        f"torch {torch.__version__ if torch is not None else 'not installed'}"
    )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _table(rows)
    return rows


def _table(r: dict[str, Any]) -> None:
    print(f"machine: {r['machine']}; {r['versions']}")
    print(f"{'benchmark':<34}{'ours':>12}{'numpy':>12}{'torch':>12}{'ours/torch':>12}")
    torch_us = r.get("chain10_torch_us")
    ratio = f"{r['chain10_autograd_us'] / torch_us:.2f}x" if torch_us else "-"
    print(
        f"{'10-op chain fwd+bwd (us)':<34}{r['chain10_autograd_us']:>12.1f}"
        f"{r['chain10_numpy_us']:>12.1f}{torch_us or float('nan'):>12.1f}{ratio:>12}"
    )
    t = r.get("chain100k_torch_s")
    ratio = f"{r['chain100k_autograd_s'] / t:.2f}x" if t else "-"
    label = f"{r['ops_in_long_chain']:,}-op chain fwd+bwd (s)"
    print(f"{label:<34}", end="")
    print(f"{r['chain100k_autograd_s']:>12.3f}{'':>12}{t or float('nan'):>12.3f}{ratio:>12}")
    print(f"{'  same, cyclic GC off (s)':<34}{r['chain100k_autograd_nogc_s']:>12.3f}")
    print(f"{'bytes per recorded op':<34}{r['bytes_per_op']:>12.0f}")
    print(f"{'RSS after release (MB)':<34}{r['rss_after_release_mb']:>12.1f}")


if __name__ == "__main__":
    main()
