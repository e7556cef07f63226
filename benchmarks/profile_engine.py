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

from .engine import X0, chain10_autograd, chain10_forward


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


def median_us(fn: Callable[[], Any], calls: int) -> float:
    """Median time per call over ``calls`` calls (the first tenth dropped as warm-up)."""
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times[calls // 10 :]) * 1e6


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


class _Bare:
    """The floor: a reverse-mode engine with none of the features (no dtype rules, checks,
    saved-tensor versions, hooks, grad mode, error state or GC plan), just enough of it for
    the 10-op chain. What ours costs beyond it is what those features cost."""

    __slots__ = ("data", "grad", "node")

    def __init__(self, data: Any, node: Any = None) -> None:
        self.data, self.node, self.grad = data, node, None

    def __mul__(self, other: Any) -> _Bare:
        if isinstance(other, _Bare):
            return _Bare(self.data * other.data, (_bare_mul, (self, other), other.data, self.data))
        c = np.float32(other)
        return _Bare(self.data * c, (_bare_scale, (self,), c))

    def __add__(self, other: Any) -> _Bare:
        return _Bare(self.data + np.float32(other), (_bare_same, (self,), None))

    def __sub__(self, other: Any) -> _Bare:
        return _Bare(self.data - np.float32(other), (_bare_same, (self,), None))

    def __truediv__(self, other: Any) -> _Bare:
        c = np.float32(1.0 / other)
        return _Bare(self.data * c, (_bare_scale, (self,), c))

    def sin(self) -> _Bare:
        return _Bare(np.sin(self.data), (_bare_sin, (self,), self.data))

    def exp(self) -> _Bare:
        out = np.exp(self.data)
        return _Bare(out, (_bare_scale, (self,), out))

    def tanh(self) -> _Bare:
        out = np.tanh(self.data)
        return _Bare(out, (_bare_tanh, (self,), out))

    def sum(self) -> _Bare:
        return _Bare(self.data.sum(), (_bare_sum, (self,), self.data.shape))

    def backward(self) -> None:
        order, seen, stack = [], set(), [(self, False)]  # post-order DFS: inputs first
        while stack:
            t, done = stack.pop()
            if done:
                order.append(t)
            elif t.node is not None and id(t) not in seen:
                seen.add(id(t))
                stack.append((t, True))
                stack.extend((x, False) for x in t.node[1])
        grads = {id(self): np.ones((), self.data.dtype)}
        for t in reversed(order):
            fn, inputs, *saved = t.node
            for x, g in zip(inputs, fn(grads.pop(id(t)), *saved)):
                if x.node is None:
                    x.grad = g if x.grad is None else x.grad + g
                else:
                    k = id(x)
                    grads[k] = g if k not in grads else grads[k] + g


def _bare_mul(g: Any, b: Any, a: Any) -> tuple[Any, Any]:
    return g * b, g * a


def _bare_scale(g: Any, c: Any) -> tuple[Any]:
    return (g * c,)


def _bare_same(g: Any, _: Any) -> tuple[Any]:
    return (g,)


def _bare_sin(g: Any, x: Any) -> tuple[Any]:
    return (g * np.cos(x),)


def _bare_tanh(g: Any, out: Any) -> tuple[Any]:
    return (g * (1 - out * out),)


def _bare_sum(g: Any, shape: tuple[int, ...]) -> tuple[Any]:
    return (np.broadcast_to(g, shape),)


def bare_chain10() -> np.ndarray:
    """The 10-op chain of ``benchmarks.engine`` on the featureless engine."""
    x = _Bare(X0)
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
    return x.grad


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
    g = np.ones(4, np.float32)
    graphs = [x * 1.0 for _ in range(20 if quick else 20_000)]
    t0 = time.perf_counter()
    for z in graphs:
        z.backward(g)
    out.append(
        ("backward() of one Mul node, fixed costs", (time.perf_counter() - t0) / len(graphs) * 1e6)
    )
    fwd, bwd = chain10_split_us(20 if quick else 5000)
    out += [("10-op chain median: forward", fwd), ("10-op chain median: backward", bwd)]
    np.testing.assert_allclose(bare_chain10(), chain10_autograd(), rtol=1e-5)
    calls = 20 if quick else 5000
    out.append(
        ("10-op chain, featureless engine (the floor), median", median_us(bare_chain10, calls))
    )
    out.append(("10-op chain, ours, median", median_us(chain10_autograd, calls)))
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
