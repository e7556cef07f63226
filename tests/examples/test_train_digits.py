"""The README's main command, examples/train_digits.py, run end to end on a small subset.

One short epoch in a temporary folder must write the checkpoint, the graph SVG and the curves
PNG; ``--resume`` must continue from the checkpoint (and land exactly where an uninterrupted
run lands); a missing ``--resume`` file must be a clear error.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import autograd

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "train_digits.py"
# A small, quick run: 300 of the 1797 digits (210 train, 30 validation, 60 test).
QUICK = ["--limit", "300", "--batch-size", "32", "--no-progress"]

# The dev extra installs the examples' packages; without them this fails rather than skips.
for needed in ("sklearn", "matplotlib", "tqdm"):
    importlib.import_module(needed)


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )


def test_one_epoch_writes_checkpoint_svg_and_png_then_resume_continues(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = run("--epochs", "1", "--out", out, *QUICK, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "epoch  1/1" in first.stdout
    assert "test accuracy:" in first.stdout

    checkpoint = out / "checkpoint.npz"
    svg = out / "graph.svg"
    png = out / "curves.png"
    for path in (checkpoint, svg, png):
        assert path.is_file(), f"{path.name} not written; stdout:\n{first.stdout}"
        assert f"wrote          {path}" in first.stdout
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "Conv2d" in text and "BatchNorm2d" in text and "Linear" in text  # module boxes
    assert 'class="cluster"' in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    state = autograd.load(checkpoint)
    assert set(state) >= {"model", "optimizer", "scheduler", "epoch", "seed", "history"}
    assert state["epoch"] == 1
    assert len(state["history"]["val_acc"]) == 1
    assert state["scheduler"]["last_epoch"] == 1

    second = run("--epochs", "2", "--out", out, "--resume", checkpoint, *QUICK, cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"resumed from {checkpoint} after epoch 1" in second.stdout
    assert "epoch  2/2" in second.stdout
    assert "epoch  1/" not in second.stdout  # epoch 1 was not trained again
    resumed = autograd.load(checkpoint)
    assert resumed["epoch"] == 2
    assert resumed["history"]["val_acc"][0] == state["history"]["val_acc"][0]
    assert len(resumed["history"]["val_acc"]) == 2
    assert resumed["scheduler"]["last_epoch"] == 2
    weights_moved = [
        not np.array_equal(np.asarray(resumed["model"][k]), np.asarray(state["model"][k]))
        for k in state["model"]
        if k.endswith("weight")
    ]
    assert any(weights_moved), "the resumed epoch did not change the model"

    # Seeding per epoch: 1 epoch + resume for 1 more == 2 epochs straight, to the bit.
    straight_out = tmp_path / "straight"
    straight = run("--epochs", "2", "--out", straight_out, "--no-graph", *QUICK, cwd=tmp_path)
    assert straight.returncode == 0, straight.stdout + straight.stderr
    uninterrupted = autograd.load(straight_out / "checkpoint.npz")
    for key, value in uninterrupted["model"].items():
        np.testing.assert_array_equal(np.asarray(resumed["model"][key]), np.asarray(value))
    assert uninterrupted["history"] == resumed["history"]


def test_missing_resume_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.npz"
    proc = run("--resume", missing, "--out", tmp_path / "run", *QUICK, cwd=tmp_path)
    assert proc.returncode == 2
    assert "checkpoint file not found" in proc.stderr and str(missing) in proc.stderr
    assert not (tmp_path / "run").exists()  # failed before writing anything


def test_corrupt_or_foreign_resume_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a checkpoint")
    foreign = tmp_path / "foreign.npz"
    autograd.save({"w": autograd.ones(2)}, foreign)  # a valid file, but not a checkpoint
    for path, message in [(bad, "error: --resume"), (foreign, "is not a checkpoint")]:
        proc = run("--resume", path, "--out", tmp_path / "run", *QUICK, cwd=tmp_path)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert message in proc.stderr and str(path) in proc.stderr
        assert "Traceback" not in proc.stderr
