"""save_backprop_animation: the backprop frames as one HTML page, animated GIF or animated SVG."""

from __future__ import annotations

import io
import json
import os
import re
from typing import Any

from ..tensor import Tensor
from . import style as S
from .render import render_source
from .steps import _frames

_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)
_ID = re.compile(r'\b(id|xlink:href|href)="(#?)([^"]+)"')
_SIZE = re.compile(r'<svg\b[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"')


def save_backprop_animation(
    root: Tensor,
    path: str | os.PathLike[str],
    *,
    seconds_per_step: float = 1.5,
    **options: Any,
) -> str:
    """Write the backward pass of ``root`` as one file a person can step through.

    The format follows the extension: ``.html`` is a self-contained page (every frame's SVG
    inline, previous/next/play buttons, a slider and the arrow keys; no network, no external
    scripts or styles); ``.gif`` an animated GIF (frames rendered to PNG, assembled with
    Pillow); ``.svg`` an animated SVG (SMIL, plays in browsers). Other keyword arguments go
    to ``backprop_steps`` (``show_values``, ``params``, ``model``, ...).

    Returns:
        The path written.

    Example:
        >>> import numpy as np, autograd, tempfile, os
        >>> from autograd.viz import save_backprop_animation
        >>> x = autograd.tensor(np.float64(2.0), requires_grad=True); x.name = "x"
        >>> path = os.path.join(tempfile.mkdtemp(), "backprop.html")
        >>> save_backprop_animation(x * x + x, path) == path
        True
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".html", ".htm", ".gif", ".svg"):
        raise ValueError(f"save_backprop_animation writes .html, .gif or .svg files, not {ext!r}")
    frames, captions = _frames(root, **options)
    if ext == ".gif":
        data = _gif([render_source(f.source, "png") for f in frames], seconds_per_step)
        with open(path, "wb") as fh:
            fh.write(data)
        return path
    svgs = [render_source(f.source, "svg").decode("utf-8") for f in frames]
    if ext == ".svg":
        text = _svg(svgs, seconds_per_step)
    else:
        text = _html(svgs, captions, seconds_per_step)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


_SCRIPT = """
const frames = document.querySelectorAll('.frame');
const titles = @TITLES@;
const slider = document.getElementById('slider');
const count = document.getElementById('count');
const title = document.getElementById('title');
const play = document.getElementById('play');
let current = 0, timer = null;
function show(k) {
  current = Math.max(0, Math.min(frames.length - 1, k));
  frames.forEach((f, i) => { f.hidden = i !== current; });
  slider.value = current + 1;
  count.textContent = (current + 1) + ' / ' + frames.length;
  title.textContent = titles[current];
}
function stop() { clearInterval(timer); timer = null; play.textContent = '\\u25B6 Play'; }
document.getElementById('prev').onclick = () => { stop(); show(current - 1); };
document.getElementById('next').onclick = () => { stop(); show(current + 1); };
document.getElementById('first').onclick = () => { stop(); show(0); };
document.getElementById('last').onclick = () => { stop(); show(frames.length - 1); };
slider.oninput = () => { stop(); show(parseInt(slider.value, 10) - 1); };
play.onclick = () => {
  if (timer) { stop(); return; }
  if (current === frames.length - 1) show(0);
  play.textContent = '\\u23F8 Pause';
  timer = setInterval(() => {
    if (current >= frames.length - 1) { stop(); return; }
    show(current + 1);
  }, @MS@);
};
document.addEventListener('keydown', (e) => {
  if (e.key === 'ArrowLeft') { stop(); show(current - 1); }
  if (e.key === 'ArrowRight') { stop(); show(current + 1); }
  if (e.key === ' ') { e.preventDefault(); play.onclick(); }
});
show(0);
"""


def _inline(svg: str, k: int) -> str:
    """An SVG document ready to sit inside another: no XML prolog, ids unique per frame."""
    svg = _PROLOG.sub("", svg, count=1)
    return _ID.sub(lambda m: f'{m.group(1)}="{m.group(2)}f{k}_{m.group(3)}"', svg)


def _html(svgs: list[str], captions: list[list[str]], seconds: float) -> str:
    n = len(svgs)
    frames = "\n".join(
        f'<div class="frame" id="frame{k}"{"" if k == 0 else " hidden"}>{_inline(s, k)}</div>'
        for k, s in enumerate(svgs)
    )
    titles = [S.esc(c[0]) if c else "" for c in captions]
    legend = "".join(
        f'<span><i style="background:{fill};border-color:{border}"></i>{what}</span>'
        for what, (fill, border) in (
            ("leaf input", S.LEAF),
            ("parameter", S.PARAM),
            ("intermediate", S.INTER),
            ("output", S.ROOT),
            ("op", S.OP),
            ("current op", S.OP_CURRENT),
            ("op done", S.OP_DONE),
        )
    )
    legend += (
        f'<span style="color:{S.GRAD}">red: gradient</span>'
        f'<span style="color:{S.LOCAL}">teal: local derivative ∂out/∂in</span>'
    )
    script = _SCRIPT.replace("@TITLES@", _js_list(titles)).replace("@MS@", str(int(seconds * 1000)))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Backpropagation, step by step</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: {S.TEXT}; }}
h1 {{ font-size: 1.3em; margin: 0 0 .4em; }}
.controls {{ display: flex; gap: .5em; align-items: center; flex-wrap: wrap;
  position: sticky; top: 0; background: white; padding: .5em 0; z-index: 1; }}
.controls button {{ font-size: 1em; padding: .3em .8em; cursor: pointer; }}
#slider {{ flex: 1; min-width: 12em; }}
#count {{ font-variant-numeric: tabular-nums; min-width: 5em; }}
#title {{ font-weight: bold; margin: .3em 0; min-height: 1.3em; }}
.legend {{ display: flex; gap: 1em; flex-wrap: wrap; font-size: .85em; margin: .3em 0 1em; }}
.legend i {{ display: inline-block; width: 1em; height: .8em; border: 1.5px solid;
  border-radius: 3px; margin-right: .3em; vertical-align: middle; }}
.frame svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>Backpropagation, step by step</h1>
<div class="legend">{legend}</div>
<div class="controls">
<button id="first" title="first step">⏮</button>
<button id="prev" title="previous step (←)">◀ Prev</button>
<button id="play" title="play / pause (space)">▶ Play</button>
<button id="next" title="next step (→)">Next ▶</button>
<button id="last" title="last step">⏭</button>
<input type="range" id="slider" min="1" max="{n}" value="1" aria-label="step">
<span id="count">1 / {n}</span>
</div>
<div id="title"></div>
{frames}
<script>{script}</script>
</body>
</html>
"""


def _js_list(items: list[str]) -> str:
    # json.dumps escapes quotes and backslashes; "</" is split so no caption can end the script.
    return json.dumps(items).replace("</", "<\\/")


def _svg(svgs: list[str], seconds: float) -> str:
    n = len(svgs)
    sizes = [_SIZE.search(s) for s in svgs]
    width = max((float(m.group(1)) for m in sizes if m), default=100.0)
    height = max((float(m.group(2)) for m in sizes if m), default=100.0)
    total = n * seconds
    parts = []
    for k, s in enumerate(svgs):
        a, b = k / n, (k + 1) / n
        if n == 1:
            anim = ""
        elif k == 0:
            anim = f'keyTimes="0;{b:.6f}" values="visible;hidden"'
        elif k == n - 1:
            anim = f'keyTimes="0;{a:.6f}" values="hidden;visible"'
        else:
            anim = f'keyTimes="0;{a:.6f};{b:.6f}" values="hidden;visible;hidden"'
        animate = (
            f'<animate attributeName="visibility" dur="{total:.3f}s" calcMode="discrete" '
            f'repeatCount="indefinite" {anim}/>'
            if anim
            else ""
        )
        start = "visible" if k == 0 else "hidden"
        parts.append(f'<g visibility="{start}">{animate}{_inline(s, k)}</g>')
    body = "\n".join(parts)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width:.0f}pt" height="{height:.0f}pt" viewBox="0 0 {width:.2f} {height:.2f}">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n'
    )


def _gif(pngs: list[bytes], seconds: float) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        raise RuntimeError(
            "writing an animated GIF needs Pillow: `pip install pillow` (or save as .html)"
        ) from None
    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    # Frames share one layout, so one size; pad on white should a renderer differ by a pixel.
    w = max(im.width for im in images)
    h = max(im.height for im in images)
    frames = []
    for im in images:
        if im.size != (w, h):
            canvas = Image.new("RGB", (w, h), "white")
            canvas.paste(im, (0, 0))
            im = canvas
        frames.append(im.quantize(colors=255, method=Image.Quantize.MEDIANCUT))
    out = io.BytesIO()
    durations = [int(seconds * 1000)] * len(frames)
    durations[-1] = int(seconds * 3000)  # linger on the finished picture
    frames[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        disposal=1,
    )
    return out.getvalue()
