"""The worked examples run as scripts, exit 0, and print the hand-derived numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_example(name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_purchase_example_prints_every_number_and_exits_0() -> None:
    proc = run_example("purchase_example.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for number in [
        "715.000000000",  # total
        "2.200000000",  # d total / d apple price
        "110.000000000",  # d total / d apple count
        "3.300000000",  # d total / d orange price
        "165.000000000",  # d total / d orange count
        "650.000000000",  # d total / d tax
        "0.593269992",  # h1
        "0.751365070",  # o1
        "0.298371109",  # E_total
        "0.082167041",  # dE/dw5
        "0.358916480",  # w5 after one step
        "0.149780716",  # w1 after one step
    ]:
        assert number in out, f"{number} missing from:\n{out}"
    assert "MISMATCH" not in out
    assert "All numbers agree" in out
