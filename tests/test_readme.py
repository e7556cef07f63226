"""The README's self-contained Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
# Blocks that build everything they use (the viz block continues the purchase example).
RUNNABLE = [b for b in BLOCKS if b.lstrip().startswith("import")]


def test_readme_has_the_examples():
    assert len(RUNNABLE) >= 2
    assert any("loss.backward()" in b and "opt.step()" in b for b in RUNNABLE)


@pytest.mark.parametrize("block", RUNNABLE, ids=[f"block{i}" for i in range(len(RUNNABLE))])
def test_readme_block_runs(block, capsys):
    exec(compile(block, str(README), "exec"), {"__name__": "readme"})
