"""Every table row run unrecorded (no_grad, and inputs not requiring grad) gives the values
it gives when recorded: the ops' fast path with a shared do-nothing ctx is covered too."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from tests.autograd.ops._table import all_rows

ROWS = all_rows("_unrecorded_")


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
