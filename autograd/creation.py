"""Tensor creation: zeros, ones, full, arange, linspace, eye, random tensors, *_like, interop."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .errors import OpError
from .random import Generator, get_rng
from .tensor import Tensor, _shape_arg


def _dtype(dtype: Any, default: Any = np.float32) -> np.dtype:
    return dtypes.as_dtype(default if dtype is None else dtype)


def _size(size: tuple[Any, ...], op: str) -> tuple[int, ...]:
    shape = _shape_arg(size, op)
    if any(n < 0 for n in shape):
        raise OpError(f"{op}(): sizes must be non-negative, got {shape}")
    return shape


def _new(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(data)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype``): ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _new(np.zeros(_size(size, "zeros"), _dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 unless ``dtype``)."""
    return _new(np.ones(_size(size, "ones"), _dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor (filled with zeros here: NumPy gives no cheaper safe choice)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value (float -> float32)."""
    if dtype is None:
        dtype = dtypes.result_type(fill_value)
    shape = _size((size,), "full")
    return _new(np.full(shape, fill_value, _dtype(dtype)), requires_grad)


def arange(
    start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``: int64 for ints, else float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else np.float32
    if step == 0:
        raise OpError("arange(): step must be nonzero")
    return _new(np.arange(start, end, step).astype(_dtype(dtype)), requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    if steps < 0:
        raise OpError(f"linspace(): steps must be non-negative, got {steps}")
    return _new(np.linspace(start, end, steps).astype(_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (n x m)."""
    return _new(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def rand(
    *size: Any, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Uniform random values in [0, 1)."""
    data = get_rng(generator).random(_size(size, "rand"), dtype=np.float64)
    return _new(data.astype(_dtype(dtype)), requires_grad)


def randn(
    *size: Any, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal random values."""
    data = get_rng(generator).standard_normal(_size(size, "randn"))
    return _new(data.astype(_dtype(dtype)), requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Any = (),
    generator: Generator | None = None,
    dtype: Any = None,
) -> Tensor:
    """Random integers in [low, high) (int64): ``randint(10, (3,))`` or ``randint(0, 10, (3,))``."""
    if high is None:
        low, high = 0, low
    elif isinstance(high, (tuple, list)) and size == ():  # randint(high, size), as PyTorch
        low, high, size = 0, low, high
    if high <= low:
        raise OpError(f"randint(): high ({high}) must be greater than low ({low})")
    shape = _size((size,), "randint")
    data = get_rng(generator).integers(low, high, size=shape)
    return Tensor._make(data.astype(_dtype(dtype, np.int64)))


def randperm(n: int, generator: Generator | None = None) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    return Tensor._make(get_rng(generator).permutation(n).astype(np.int64))


def _like(t: Tensor, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    return t.shape, _dtype(dtype, t.dtype)


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(input, dtype)
    return _new(np.zeros(shape, dt), requires_grad)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(input, dtype)
    return _new(np.ones(shape, dt), requires_grad)


def full_like(
    input: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    shape, dt = _like(input, dtype)
    return _new(np.full(shape, fill_value, dt), requires_grad)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros_like(input, dtype, requires_grad)


def rand_like(
    input: Tensor,
    dtype: Any = None,
    requires_grad: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    shape, dt = _like(input, dtype)
    return rand(shape, generator=generator, dtype=dt, requires_grad=requires_grad)


def randn_like(
    input: Tensor,
    dtype: Any = None,
    requires_grad: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    shape, dt = _like(input, dtype)
    return randn(shape, generator=generator, dtype=dt, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (same dtype, no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy(): expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """``data`` as a tensor, without a copy when it already is one (or a matching array)."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.astype(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return Tensor._make(data)
    return Tensor(data, dtype=dtype)


def from_dlpack(obj: Any) -> Tensor:
    """A tensor sharing memory with any DLPack exporter (PyTorch, JAX, NumPy, a Tensor)."""
    return Tensor._make(np.from_dlpack(obj))
