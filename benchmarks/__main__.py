"""Run the benchmark suite: ``python -m benchmarks [--quick] [--json] [--only NAME,...]``."""

from __future__ import annotations

import argparse
import os
import sys

# The thread count must be in the environment before NumPy (and OpenBLAS) is first imported,
# so it is read here, ahead of every other import of the suite.
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--threads", type=int, default=2)
_pre.add_argument("--malloc-keep", action="store_true")
_early = _pre.parse_known_args(sys.argv[1:])[0]
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(_early.threads)

from ._timing import keep_freed_memory  # noqa: E402

if _early.malloc_keep:
    keep_freed_memory()

from .suite import main  # noqa: E402

sys.exit(main())
