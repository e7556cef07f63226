"""Where the per-op time goes: the hot-loop figures behind benchmarks/README.md's profile.

python -m benchmarks.profile_engine            # the figures (about 30 s)
python -m benchmarks.profile_engine --quick    # a smoke test (not a measurement)
"""

from __future__ import annotations

import argparse
import statistics
import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd
from autograd import Tensor

from .engine import chain10_forward


def best_us(fn: Callable[[], Any], number: int, repeat: int) -> float:
    """Best of ``repeat`` timeit runs, in microseconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def backward_per_node_us(op: Callable[[Tensor], Tensor], n: int, rounds: int) -> float:
    """Backward time per node of an ``n``-node chain of ``op`` (first quartile of rounds)."""
    x = autograd.tensor(np.ones(4, np.float32), requires_grad=True)
    times = []
    for _ in range(rounds):
        z = x
        for _ in range(n):
            z = op(z)
        s = z.sum()
        t0 = time.perf_counter()
        s.backward()
        times.append(time.perf_counter() - t0)
        x.grad = None
    return sorted(times)[len(times) // 4] / (n + 1) * 1e6


def one_node_backward_us(graphs: list[Tensor], run: Callable[[Tensor], None]) -> float:
    """Mean time of ``run`` over one-node graphs built beforehand: a backward's fixed costs."""
    t0 = time.perf_counter()
    for z in graphs:
        run(z)
    return (time.perf_counter() - t0) / len(graphs) * 1e6


def chain10_split_us(calls: int) -> tuple[float, float]:
    """Median forward and backward time per call of the 10-op chain (cold, as in a loop)."""
    forward, backward = [], []
    for _ in range(calls):
        t0 = time.perf_counter()
        _, loss = chain10_forward()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        forward.append(t1 - t0)
        backward.append(t2 - t1)
    skip = calls // 10
    return statistics.median(forward[skip:]) * 1e6, statistics.median(backward[skip:]) * 1e6


def rows(quick: bool = False) -> list[tuple[str, float]]:
    number, repeat = (200, 2) if quick else (200_000, 7)
    a = np.ones(4, np.float32)
    x = autograd.tensor(a, requires_grad=True)
    y = x * 1.0
    out = [
        ("NumPy a * 1.5", best_us(lambda: a * 1.5, number, repeat)),
        ("NumPy np.exp(a)", best_us(lambda: np.exp(a), number, repeat)),
        ("NumPy a.sum()", best_us(lambda: a.sum(), number, repeat)),
        ("recorded y * 1.5", best_us(lambda: y * 1.5, number, repeat)),
        ("recorded y.exp()", best_us(lambda: y.exp(), number, repeat)),
        ("recorded y.sum()", best_us(lambda: y.sum(), number, repeat)),
    ]
    with autograd.no_grad():
        out.append(("no_grad y * 1.5", best_us(lambda: y * 1.5, number, repeat)))
    n, rounds = (20, 3) if quick else (200, 300)
    out.append(
        ("backward per node, clone chain", backward_per_node_us(lambda z: z.clone(), n, rounds))
    )
    out.append(("backward per node, mul chain", backward_per_node_us(lambda z: z * 1.5, n, rounds)))
    count = 20 if quick else 20_000
    g = np.ones(4, np.float32)
    out.append(
        (
            "backward(g) of one Mul node, fixed costs",
            one_node_backward_us([x * 1.0 for _ in range(count)], lambda z: z.backward(g)),
        )
    )
    out.append(
        (
            "loss.backward() of one Sum node, fixed costs",
            one_node_backward_us([x.sum() for _ in range(count)], lambda z: z.backward()),
        )
    )
    fwd, bwd = chain10_split_us(20 if quick else 5000)
    out += [("10-op chain median: forward", fwd), ("10-op chain median: backward", bwd)]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test, not a measurement")
    args = parser.parse_args(argv)
    print("| what | us |\n|---|--:|")
    for name, us in rows(args.quick):
        print(f"| {name} | {us:.2f} |")


if __name__ == "__main__":
    main()
