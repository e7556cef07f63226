"""Colours, fonts and number formatting shared by every autograd.viz picture."""

from __future__ import annotations

from typing import Any

import numpy as np

# One colour per role, so a reader learns the legend once: blue inputs, green parameters,
# white intermediates, violet output, amber ops; red is always a gradient, teal a local
# derivative.
LEAF = ("#dbeafe", "#2563eb")  # (fill, border)
PARAM = ("#dcfce7", "#15803d")
INTER = ("#ffffff", "#94a3b8")
ROOT = ("#ede9fe", "#6d28d9")
OP = ("#fef3c7", "#b45309")
OP_DONE = ("#f1f5f9", "#94a3b8")
OP_CURRENT = ("#fdba74", "#c2410c")
CURRENT_TENSOR = ("#ffedd5", "#c2410c")
MODULE = ("#f8fafc", "#94a3b8")
MODULE_NODE = ("#e0f2fe", "#0369a1")
GRAD = "#dc2626"
GRAD_EDGE = "#ef4444"
LOCAL = "#0e7490"
MUTED = "#64748b"
TEXT = "#0f172a"
EDGE = "#94a3b8"

FONT = "Helvetica"
MONO = "Courier"  # numbers line up, and padded cells keep one width from frame to frame

# Arrays up to this many elements are printed in full; bigger ones as statistics.
FULL_MAX = 12


def esc(text: str) -> str:
    """Escape text for a Graphviz HTML-like label."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;")


def num(x: Any) -> str:
    """A number with 4 significant digits: ``num(2.2000000000000002) == '2.2'``."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (complex, np.complexfloating)):
        return f"{num(x.real)}{'+' if x.imag >= 0 else '-'}{num(abs(x.imag))}j"
    x = float(x)
    if x == 0:
        return "0"  # also for -0.0: the sign of a zero only distracts here
    return f"{x:.4g}"


def shape_text(shape: tuple[int, ...] | None) -> str:
    """``(2, 3)`` as ``2×3``, ``()`` as ``scalar``."""
    if shape is None:
        return "?"
    if len(shape) == 0:
        return "scalar"
    return "×".join(str(s) for s in shape)


def array_lines(a: np.ndarray, full_max: int = FULL_MAX) -> list[str]:
    """Small arrays in full (a row per line), big ones as mean/std and min/max."""
    a = np.asarray(a)
    if a.size == 0:
        return ["[]"]
    if a.ndim == 0 or a.size == 1:
        return [num(a.reshape(-1)[0])]
    if a.size <= full_max and a.ndim <= 2:
        if a.ndim == 1:
            return ["[" + ", ".join(num(v) for v in a) + "]"]
        return ["[" + ", ".join(num(v) for v in row) + "]" for row in a]
    return stats_lines(a)


def stats_lines(a: np.ndarray) -> list[str]:
    """``['mean 0.1 std 1', 'min -2 max 2']`` (NaN and inf are reported, not averaged in)."""
    if a.dtype.kind not in "fciub":
        return [f"{a.dtype} array"]
    if a.dtype.kind == "c":
        a = np.abs(a)
    with np.errstate(all="ignore"):
        finite = np.isfinite(a)
        if not finite.all():
            n_bad = int(a.size - finite.sum())
            good = a[finite]
            head = f"{n_bad} non-finite"
            if good.size == 0:
                return [head]
            return [head, f"min {num(good.min())} max {num(good.max())}"]
        x = a.astype(np.float64, copy=False)
        return [
            f"mean {num(x.mean())} std {num(x.std())}",
            f"min {num(x.min())} max {num(x.max())}",
        ]


def short(a: np.ndarray) -> str:
    """One line: the number for scalars, up to 4 values in full, else mean and range."""
    a = np.asarray(a)
    if a.size == 1:
        return num(a.reshape(-1)[0])
    if a.size == 0:
        return "[]"
    if a.size <= 4 and a.ndim == 1:
        return "[" + ", ".join(num(v) for v in a) + "]"
    if a.dtype.kind not in "fiub":
        return f"{shape_text(a.shape)} array"
    with np.errstate(all="ignore"):
        x = a.astype(np.float64, copy=False)
        if not np.isfinite(x).all():
            return f"{shape_text(a.shape)}, has nan/inf"
        return f"mean {num(x.mean())} in [{num(x.min())}, {num(x.max())}]"


def attr_text(value: Any, limit: int = 40) -> str | None:
    """A short text for an op attribute (a conv's stride, a sum's dims); None to leave it out."""
    if value is None or isinstance(value, np.ndarray):
        return None
    if isinstance(value, slice):
        parts = [
            "" if value.start is None else str(value.start),
            "" if value.stop is None else str(value.stop),
        ]
        if value.step is not None:
            parts.append(str(value.step))
        return ":".join(parts)
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return num(value)
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, (tuple, list)):
        shown = []
        for v in value:
            t = attr_text(v, limit)
            if t is None:
                t = f"array({shape_text(np.shape(v))})" if isinstance(v, np.ndarray) else "…"
            shown.append(t)
        text = "(" + ", ".join(shown) + ("," if len(shown) == 1 else "") + ")"
    elif value is Ellipsis:
        text = "..."
    else:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"
