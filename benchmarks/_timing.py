"""Shared benchmark helpers: run configuration, block timing, result rows and memory probes."""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

try:
    import torch
except ImportError:  # PyTorch is an optional peer
    torch = None

# float32 tolerances for "the same numbers" checks (loss, gradients, updated weights).
RTOL = 1e-4
ATOL = 1e-5


@dataclass
class Config:
    """How hard to run: rounds and warm-up per block, the pause between blocks, threads."""

    quick: bool = False
    threads: int = 2
    pause: float = 0.5
    scale: float = 1.0  # multiplies every benchmark's default round count

    def rounds(self, full: int, quick: int = 3) -> int:
        return quick if self.quick else max(3, int(full * self.scale))

    def warmup(self, full: int, quick: int = 1) -> int:
        return quick if self.quick else max(1, int(full * self.scale))


@dataclass
class Row:
    """One table row: medians in ``unit`` for ours, hand-written NumPy and PyTorch."""

    name: str
    unit: str
    ours: float | None
    numpy: float | None = None
    torch: float | None = None
    goal: str = "-"
    holds: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def vs_numpy(self) -> float | None:
        return self.ours / self.numpy if self.ours and self.numpy else None

    @property
    def vs_torch(self) -> float | None:
        return self.ours / self.torch if self.ours and self.torch else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "ours": self.ours,
            "numpy": self.numpy,
            "torch": self.torch,
            "ours_over_numpy": self.vs_numpy,
            "ours_over_torch": self.vs_torch,
            "goal": self.goal,
            "holds": self.holds,
            **self.extra,
        }


def median_time(
    fn: Callable[[], Any], cfg: Config, rounds: int, warmup: int, pause: bool = True
) -> float:
    """Median seconds of ``fn()`` over ``rounds`` calls after ``warmup`` calls, as one block.

    The block starts with a pause (skipped in quick mode) so that BLAS threads left spinning
    by the previous block do not steal time from this one.
    """
    if pause and not cfg.quick:
        time.sleep(cfg.pause)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def check_close(ours: Any, ref: Any, what: str, rtol: float = RTOL, atol: float = ATOL) -> None:
    """Assert that two lists of arrays (or scalars) agree to float32 tolerances."""
    ours_list = ours if isinstance(ours, list | tuple) else [ours]
    ref_list = ref if isinstance(ref, list | tuple) else [ref]
    assert len(ours_list) == len(ref_list), f"{what}: {len(ours_list)} vs {len(ref_list)} values"
    for i, (a, b) in enumerate(zip(ours_list, ref_list, strict=True)):
        np.testing.assert_allclose(
            np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, err_msg=f"{what} [{i}]"
        )


def to_numpy(t: Any) -> np.ndarray:
    """A copy of an npgrad or torch tensor (or array) as a NumPy array."""
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().numpy().copy()
    if hasattr(t, "numpy"):
        return np.array(t.numpy(), copy=True)
    return np.array(t, copy=True)


def rss_mb() -> float:
    """This process's resident set size in MiB (NaN where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


# glibc's malloc gives large freed blocks back to the OS (munmap, or trimming the heap top
# past M_TRIM_THRESHOLD), so a training step's ~20-50 MB of fresh arrays page-fault again on
# every step. These keep them in the heap: the step runs faster, but RSS stays at its peak.
MALLOC_KEEP = {"MALLOC_TRIM_THRESHOLD_": 256 * 2**20, "MALLOC_MMAP_THRESHOLD_": 32 * 2**20}


def keep_freed_memory() -> bool:
    """Opt in (``--malloc-keep``): keep freed blocks in glibc's heap, in this process (mallopt)
    and in the subprocesses it starts (the environment variables glibc reads at start-up).

    Returns False where the C library is not glibc (nothing changes there).
    """
    os.environ.update({k: str(v) for k, v in MALLOC_KEEP.items()})
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        trim, mmap = -1, -3  # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD in malloc.h
        ok = libc.mallopt(trim, MALLOC_KEEP["MALLOC_TRIM_THRESHOLD_"])
        ok &= libc.mallopt(mmap, MALLOC_KEEP["MALLOC_MMAP_THRESHOLD_"])
        return bool(ok)
    except (OSError, AttributeError):
        return False


def malloc_mode() -> str:
    """'keep' when keep_freed_memory() (or the same environment variables) is in effect."""
    keep = all(os.environ.get(k) == str(v) for k, v in MALLOC_KEEP.items())
    return "keep" if keep else "default"


def collect() -> None:
    gc.collect()
