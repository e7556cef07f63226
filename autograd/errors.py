"""The exception for bad arguments to an op."""

from __future__ import annotations


class OpError(RuntimeError, ValueError):
    """Bad arguments to an op: shapes that do not match or broadcast, a dim named twice, an
    impossible size or step. A ``RuntimeError``, as PyTorch raises for these, and a
    ``ValueError``, as NumPy raises (and this project did): code catching either works."""
