"""Dtypes and PyTorch's type-promotion rules (float32 is never upcast by ints or scalars)."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

float16 = np.float16
float32 = np.float32
float64 = np.float64
int8 = np.int8
int16 = np.int16
int32 = np.int32
int64 = np.int64
uint8 = np.uint8
bool_ = np.bool_
half, double = float16, float64
short, long = int16, int64

_DEFAULT = {
    0: np.dtype(np.bool_),
    1: np.dtype(np.int64),
    2: np.dtype(np.float32),
    3: np.dtype(np.complex64),
}


def as_dtype(dtype: Any) -> np.dtype:
    """A NumPy dtype from a dtype, a type (``autograd.float32``) or a name ('float32')."""
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a NumPy dtype, a type or a name, not {dtype!r}") from None


def category(dtype: np.dtype) -> int:
    """0 bool, 1 integer, 2 floating, 3 complex: promotion never goes down a category."""
    kind = dtype.kind
    if kind == "b":
        return 0
    if kind in "iu":
        return 1
    if kind == "f":
        return 2
    if kind == "c":
        return 3
    raise TypeError(f"unsupported dtype {dtype}")


def is_floating(dtype: np.dtype) -> bool:
    """Whether a dtype is a floating-point (or complex) type, i.e. may require grad."""
    return dtype.kind in "fc"


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promotion of two tensor dtypes: int64 with float32 gives float32."""
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def result_type(*operands: Any) -> np.dtype:
    """The dtype of an op on these operands, as PyTorch computes it.

    Tensors with dims decide; a 0-dim tensor counts only if it is of a higher category; a
    Python or NumPy scalar only if higher still, and then gives that category's default
    (float32 for a float: PyTorch wraps NumPy scalars as it wraps Python numbers).
    """
    dim: np.dtype | None = None
    zero: np.dtype | None = None
    wrapped = -1
    for o in operands:
        if isinstance(o, np.generic):  # before float: np.float64 subclasses float
            wrapped = max(wrapped, category(o.dtype))
            continue
        if isinstance(o, builtins.bool):
            wrapped = max(wrapped, 0)
            continue
        elif isinstance(o, builtins.int):
            wrapped = max(wrapped, 1)
            continue
        elif isinstance(o, builtins.float):
            wrapped = max(wrapped, 2)
            continue
        elif isinstance(o, builtins.complex):
            wrapped = max(wrapped, 3)
            continue
        else:
            data: Any = getattr(o, "data", o)
            if not isinstance(data, np.ndarray):
                data = np.asarray(data)
            if data.dtype.kind not in "biufc":
                raise TypeError(f"unsupported operand of type {type(o).__name__}")
        if data.ndim:
            dim = data.dtype if dim is None else promote(dim, data.dtype)
        else:
            zero = data.dtype if zero is None else promote(zero, data.dtype)
    result = dim
    if zero is not None and (result is None or category(zero) > category(result)):
        result = zero
    if wrapped >= 0 and (result is None or wrapped > category(result)):
        result = _DEFAULT[wrapped]
    if result is None:
        raise TypeError("result_type() needs at least one operand")
    return result
