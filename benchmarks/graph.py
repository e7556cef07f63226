"""Drawing the graph of a 4,000-op chain: build time of ``draw_graph(...).source``."""

from __future__ import annotations

import numpy as np

import autograd
from autograd.viz import draw_graph

from ._timing import Config, Row, median_time

OPS = 4_000


def build_chain(n: int) -> autograd.Tensor:
    x = autograd.tensor(np.ones(4, np.float32), requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0000001
    return y.sum()


def bench(cfg: Config) -> list[Row]:
    n = 200 if cfg.quick else OPS
    root = build_chain(n)
    source = draw_graph(root, max_nodes=None).source
    assert source.count("->") >= n, "draw_graph did not draw every op"

    def draw() -> str:
        return draw_graph(root, max_nodes=None).source

    seconds = median_time(draw, cfg, cfg.rounds(5, 1), cfg.warmup(1))
    return [Row(f"draw_graph of a {n:,}-op chain", "s", seconds, extra={"dot_chars": len(source)})]
