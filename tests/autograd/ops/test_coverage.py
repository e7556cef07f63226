"""The meta-test: every Function subclass the package defines is in some derivative table.

A table is the ``OPS`` list of a ``tests/autograd/ops/test_*.py`` file; a row's second item is
the primitive (or a tuple of the primitives) it covers.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import autograd
import autograd.ops
from autograd import Function
from tests.autograd.ops._table import NOT_TABLES

HERE = Path(__file__).resolve().parent


def subclasses(cls: type) -> set[type]:
    """Every subclass of ``cls``, recursively."""
    found: set[type] = set()
    stack = list(cls.__subclasses__())
    while stack:
        sub = stack.pop()
        if sub not in found:
            found.add(sub)
            stack.extend(sub.__subclasses__())
    return found


def primitives() -> set[type]:
    """The Function subclasses defined by the autograd package (after importing every module
    of autograd.ops); subclasses defined by tests or users are not primitives."""
    for info in pkgutil.iter_modules(autograd.ops.__path__):
        importlib.import_module(f"autograd.ops.{info.name}")
    return {c for c in subclasses(Function) if c.__module__.split(".")[0] == "autograd"}


def table_modules() -> list[ModuleType]:
    modules = []
    for path in sorted(HERE.glob("test_*.py")):
        if path.name in NOT_TABLES:  # this file, and the ones that hold no table
            continue
        spec = importlib.util.spec_from_file_location(f"_coverage_of_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


def covered(rows: list[Any]) -> set[type]:
    out: set[type] = set()
    for row in rows:
        ops = row[1]
        out.update(ops if isinstance(ops, (tuple, list, set)) else (ops,))
    return out


@pytest.fixture(scope="module")
def tables() -> dict[str, list[Any]]:
    return {m.__file__ or m.__name__: m.OPS for m in table_modules() if hasattr(m, "OPS")}


def test_every_primitive_is_in_a_derivative_table(tables: dict[str, list[Any]]) -> None:
    in_tables = set().union(*(covered(rows) for rows in tables.values()))
    missing = sorted(f"{c.__module__}.{c.__qualname__}" for c in primitives() - in_tables)
    assert not missing, f"Function subclasses in no derivative table: {missing}"


def test_every_family_file_has_a_table(tables: dict[str, list[Any]]) -> None:
    names = {Path(f).name for f in tables}
    for family in ("elementwise", "reduce", "shape", "index", "linalg"):
        assert f"test_{family}.py" in names


def test_table_rows_name_primitives(tables: dict[str, list[Any]]) -> None:
    known = primitives()
    for file, rows in tables.items():
        assert rows, f"{file}: an empty table"
        for row in rows:
            ops = covered([row])
            assert ops, f"{file}: row {row[0]!r} names no primitive"
            assert ops <= known, f"{file}: row {row[0]!r} names {ops - known}"


def test_the_collector_finds_primitives_and_skips_local_functions() -> None:
    class Twice(Function):  # a user's op: not a primitive of the package
        @staticmethod
        def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
            return 2 * x

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            return 2 * grad

    found = primitives()
    assert Twice not in found
    names = {c.__name__ for c in found}
    assert {"Add", "Amin", "SumTo", "IndexAdd", "SetItem", "Einsum", "Copy"} <= names
    assert len(found) >= 45
    x = autograd.tensor(np.ones(2), requires_grad=True)
    assert Twice.apply(x).tolist() == [2.0, 2.0]
