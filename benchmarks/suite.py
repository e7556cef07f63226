"""The suite's entry point: run the chosen benchmarks, then print one table (or JSON)."""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import cnn, digits, engine, graph, mlp, norm
from ._timing import Config, Row, malloc_mode, torch

BENCHMARKS: dict[str, Callable[[Config], list[Row]]] = {
    "chain10": engine.bench_chain10,
    "mlp": mlp.bench,
    "cnn": cnn.bench,
    "batchnorm": norm.bench,
    "chain100k": engine.bench_chain100k,
    "digits": digits.bench,
    "graph": graph.bench,
}


def environment(threads: int) -> dict[str, Any]:
    return {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "threads": threads,
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "malloc": malloc_mode(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few rounds, no pauses (smoke test)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="BLAS/OpenMP/torch threads (default 2)"
    )
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between blocks")
    parser.add_argument(
        "--malloc-keep",
        action="store_true",
        help="keep freed memory in glibc's heap (no page faults on every step; RSS stays high)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
        # Only __main__ can set this before NumPy is imported; say so rather than mislead.
        print(f"warning: OPENBLAS_NUM_THREADS is not {args.threads}", file=sys.stderr)
    if torch is not None:
        torch.set_num_threads(args.threads)
    cfg = Config(quick=args.quick, threads=args.threads, pause=args.pause)
    by_name: dict[str, list[Row]] = {}
    seconds: dict[str, float] = {}
    for name in names:
        t0 = time.perf_counter()
        by_name[name] = BENCHMARKS[name](cfg)
        seconds[name] = time.perf_counter() - t0
        if not args.json:
            print(f"  ran {name} in {seconds[name]:.1f} s", file=sys.stderr)
    rows = [r for name in names for r in by_name[name]]
    env = environment(args.threads)
    if args.json:
        result = {
            "environment": env,
            "quick": args.quick,
            "benchmarks": {name: [r.as_dict() for r in by_name[name]] for name in names},
            "wall_seconds": seconds,
        }
        print(json.dumps(result, indent=2, default=_json_default))
    else:
        print(table(rows, env, args.quick))
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))


def _num(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit in ("B", "%"):
        return f"{value:.0f}"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _holds(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def table(rows: list[Row], env: dict[str, Any], quick: bool) -> str:
    """A Markdown table: medians, ratios, the goal and whether it holds."""
    lines = [
        f"machine: {env['machine']}; python {env['python']}, numpy {env['numpy']}, "
        f"torch {env['torch'] or 'not installed'}; {env['threads']} threads; {env['date']}"
        + ("; malloc keep (--malloc-keep)" if env.get("malloc") == "keep" else "")
        + ("; QUICK MODE (smoke test, not a measurement)" if quick else ""),
        "",
        "| benchmark | unit | ours | numpy | torch | ours/numpy | ours/torch | goal | holds |",
        "|---|---|--:|--:|--:|--:|--:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.unit} | {_num(r.ours, r.unit)} | {_num(r.numpy, r.unit)} | "
            f"{_num(r.torch, r.unit)} | {_ratio(r.vs_numpy)} | {_ratio(r.vs_torch)} | "
            f"{r.goal} | {_holds(r.holds)} |"
        )
    notes = [(r.name, k, v) for r in rows for k, v in r.extra.items()]
    if notes:
        lines.append("")
        for name, key, value in notes:
            shown = f"{value:.4g}" if isinstance(value, float) else value
            lines.append(f"- {name}: {key} = {shown}")
    return "\n".join(lines)
