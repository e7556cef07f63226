"""examples/perceptron_gates.py and examples/backprop_worked_example.py: they run, exit 0, print
the key numbers and (the backprop one) write the HTML animation; and a wrong number makes them
exit 1, so the scripts' own checks can fail."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run(name: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=120,
        check=False,
    )


def load_script(name: str) -> ModuleType:
    """Import an example as a fresh module (its failure list starts empty)."""
    spec = importlib.util.spec_from_file_location(f"example_{Path(name).stem}", EXAMPLES / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_perceptron_gates_prints_truth_tables_and_exits_0(tmp_path: Path) -> None:
    proc = run("perceptron_gates.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for text in [
        "AND: w = (0.5, 0.5), b = -0.7",
        "NAND: w = (-0.5, -0.5), b = 0.7",
        "OR: w = (0.5, 0.5), b = -0.2",
        "tried 9261 (w1, w2, b) on a grid over [-1, 1]: 0 compute XOR",
        "XOR(x) = AND(NAND(x), OR(x))",
        "the trained MLP",
        "All gates agree with their truth tables.",
    ]:
        assert text in out, f"{text!r} missing from:\n{out}"
    assert "MISMATCH" not in out
    # The two-layer XOR table: x1 x2 s1=NAND s2=OR out expected.
    for row in ["0   0         1       0       0         0", "1   1         0       1       0"]:
        assert row in out, f"{row!r} missing from:\n{out}"
    # 4 rows per table: 3 hand-set gates, the two-layer XOR and the trained XOR.
    assert out.count("expected") == 5


def test_perceptron_gates_exits_1_on_a_wrong_gate(capsys: pytest.CaptureFixture[str]) -> None:
    module = load_script("perceptron_gates.py")
    module.GATE_WEIGHTS["AND"] = module.GATE_WEIGHTS["OR"]  # an OR is a wrong AND
    assert module.main() == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out and "FAILED" in out


def test_backprop_worked_example_prints_numbers_and_writes_html(tmp_path: Path) -> None:
    out_dir = tmp_path / "bp"
    proc = run("backprop_worked_example.py", "--out", out_dir, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for number in [
        "0.593269992",  # h1
        "0.596884378",  # h2
        "0.751365070",  # o1
        "0.772928465",  # o2
        "0.298371109",  # E_total
        "0.082167041",  # dE/dw5
        "0.358916480",  # w5 after one step
        "0.408666186",  # w6
        "0.511301270",  # w7
        "0.561370121",  # w8
        "0.149780716",  # w1
    ]:
        assert f"engine {number:>13}" in out, f"engine's {number} missing from:\n{out}"
    assert "MISMATCH" not in out
    assert "All numbers agree" in out
    html = out_dir / "backprop.html"
    assert html.is_file()
    text = html.read_text(encoding="utf-8")
    assert "<html" in text.lower() and text.count("<svg") > 10  # one frame per backward step
    assert "w5" in text and "E_total" in text  # the tensors' names label the graph


def test_backprop_worked_example_exits_1_on_disagreement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = load_script("backprop_worked_example.py")
    module.HAND_GRADS[4] += 1e-4  # a hand-derived dE/dw5 that is off
    assert module.main(["--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out and "dE_total/dw5" in out and "FAILED" in out
