"""The digits example's training time per epoch, timed as a subprocess of the real script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._timing import Config, Row

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "train_digits.py"
# "time:          3.2 s (2.9 s data, training and testing)"
TIME_RE = re.compile(r"time:\s+([\d.]+) s \(([\d.]+) s data, training and testing\)")


def run_epochs(epochs: int, threads: int) -> tuple[float, float]:
    """(the script's own data+train+test seconds, wall seconds) for ``epochs`` epochs."""
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, str(SCRIPT), "--epochs", str(epochs), "--no-progress"]
        cmd += ["--no-graph", "--out", out]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{SCRIPT.name} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    match = TIME_RE.search(proc.stdout)
    if match is None:
        raise RuntimeError(f"no timing line in {SCRIPT.name}'s output:\n{proc.stdout[-2000:]}")
    return float(match.group(2)), wall


def bench(cfg: Config) -> list[Row]:
    """Seconds per epoch: the difference between a 1-epoch and a 3-epoch run, halved, so that
    data loading, the final test pass and start-up cancel out (quick mode: one 1-epoch run)."""
    if cfg.quick:
        one, wall = run_epochs(1, cfg.threads)
        return [Row("digits example, 1 epoch (incl. data+test)", "s", one, extra={"wall_s": wall})]
    ones, threes = [], []
    for _ in range(cfg.rounds(3)):
        time.sleep(cfg.pause)
        ones.append(run_epochs(1, cfg.threads)[0])
        time.sleep(cfg.pause)
        threes.append(run_epochs(3, cfg.threads)[0])
    ones.sort()
    threes.sort()
    one, three = ones[len(ones) // 2], threes[len(threes) // 2]
    per_epoch = (three - one) / 2
    return [
        Row(
            "digits example, s per epoch",
            "s",
            per_epoch,
            extra={"one_epoch_run_s": one, "three_epoch_run_s": three},
        )
    ]
