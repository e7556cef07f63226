"""Every table row run unrecorded (no_grad, and inputs not requiring grad) gives the values
it gives when recorded: the ops' fast path with a shared do-nothing ctx is covered too."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor

HERE = Path(__file__).resolve().parent


def _rows() -> list[Any]:
    rows = []
    for path in sorted(HERE.glob("test_*.py")):
        if path.name in (Path(__file__).name, "test_coverage.py"):
            continue
        spec = importlib.util.spec_from_file_location(f"_unrecorded_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rows.extend(getattr(module, "OPS", []))
    return rows


ROWS = _rows()


def _values(out: Any) -> list[np.ndarray]:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o.data.copy() for o in outs if isinstance(o, Tensor)]


def _detached(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(x.detach() if isinstance(x, Tensor) else x for x in inputs)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_unrecorded_values_equal_recorded(row: Any, data: Any) -> None:
    fn, inputs = row.case(data.draw)
    recorded = _values(fn(*inputs))
    with autograd.no_grad():
        unrecorded = _values(fn(*inputs))
    plain = _values(fn(*_detached(inputs)))
    assert len(recorded) == len(unrecorded) == len(plain)
    for r, u, p in zip(recorded, unrecorded, plain):
        np.testing.assert_array_equal(r, u)
        np.testing.assert_array_equal(r, p)
