"""Run the benchmarks: ``python -m benchmarks [--quick] [--json]``."""

from __future__ import annotations

from .engine import main

main()
