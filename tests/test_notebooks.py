"""Every notebook in notebooks/ runs top to bottom without a cell error (their assert cells
check the numbers they teach). Executed with nbclient on the ``python3`` kernel, in the
notebooks folder, with matplotlib's non-interactive backend; nothing is written back."""

from __future__ import annotations

import os
import pathlib

# Not importorskip: a missing runner must fail loudly, never skip the notebooks silently.
# nbformat, nbclient and ipykernel (and what the notebooks import: matplotlib, scikit-learn)
# come with the dev extra.
import nbclient
import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

NOTEBOOKS_DIR = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell


def execute(path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a notebook in its own folder; raises CellExecutionError at the first failing cell."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # Small models on 2 cores: several BLAS threads fight each other and run 2-6x slower.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "1"))
    # The kernel must import this checkout's packages even when it is not pip-installed.
    root = str(NOTEBOOKS_DIR.parent)
    paths = [root, os.environ.get("PYTHONPATH")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()


def test_notebooks_exist() -> None:
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOKS_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    execute(path, monkeypatch)


def test_a_failing_cell_fails(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner really reports errors: a notebook whose assert fails must raise."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1 + 1"),
        nbformat.v4.new_code_cell("assert x == 3, 'planted failure'"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ]
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(CellExecutionError, match="planted failure"):
        execute(path, monkeypatch)
