"""The benchmark suite runs end to end in quick mode (a smoke test: no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {"chain10", "mlp", "cnn", "batchnorm", "chain100k", "digits", "graph"}


def _run_module(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python -m <args>`` from the project root; fails the test on a non-zero exit."""
    proc = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_quick_suite_runs_and_reports_every_benchmark() -> None:
    proc = _run_module("benchmarks", "--quick", "--json", timeout=300)
    result = json.loads(proc.stdout)
    assert set(result["benchmarks"]) == EXPECTED
    for name, rows in result["benchmarks"].items():
        assert rows, f"{name} produced no rows"
        for row in rows:
            numbers = [row[k] for k in ("ours", "numpy", "torch") if row[k] is not None]
            assert numbers, f"{name}: {row['name']} has no numbers"
            assert all(isinstance(v, int | float) for v in numbers), row
    assert result["environment"]["threads"] == 2


def test_engine_profile_runs() -> None:
    proc = _run_module("benchmarks.profile_engine", "--quick", timeout=120)
    lines = [
        line for line in proc.stdout.splitlines() if line.startswith("| ") and "---" not in line
    ]
    assert len(lines) == 1 + 13  # the header and every figure
    assert all(float(line.split("|")[2]) > 0 for line in lines[1:])


def test_floor_runs() -> None:
    proc = _run_module("benchmarks.floor", "--quick", timeout=120)
    lines = [
        line for line in proc.stdout.splitlines() if line.startswith("| ") and "---" not in line
    ]
    assert len(lines) >= 1 + 4  # the header, NumPy, the two reference engines, ours
    assert all(float(line.split("|")[2]) > 0 for line in lines[1:])
