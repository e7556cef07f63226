"""Rendering DOT to SVG/PNG/PDF: Graphviz's ``dot`` if on PATH, else pygraphviz in-process."""

from __future__ import annotations

import importlib
import os
import pathlib
import shutil

import graphviz

INSTALL_HINT = (
    "Rendering a graph needs Graphviz, and neither the `dot` program (on PATH) nor the "
    "pygraphviz package (which bundles Graphviz in its wheels since 2.0.4) was found. "
    "Install one of them: `pip install pygraphviz` or `apt-get install graphviz` "
    "(`brew install graphviz`, `conda install graphviz`). "
    "The DOT source (`.source`) needs neither."
)


class RendererNotFoundError(RuntimeError):
    """Raised when no Graphviz renderer is installed; the message says what to install."""


def renderer() -> str:
    """The route rendering takes now: ``'dot'`` (the Graphviz program on PATH) or
    ``'pygraphviz'`` (in-process); raises RendererNotFoundError when neither is there.

    Example:
        >>> from autograd.viz import renderer
        >>> renderer() in ("dot", "pygraphviz")
        True
    """
    # Checked on every call, not cached: installing Graphviz mid-session should just work.
    if shutil.which("dot") is not None:
        return "dot"
    try:
        importlib.import_module("pygraphviz")
    except ImportError:
        raise RendererNotFoundError(INSTALL_HINT) from None
    return "pygraphviz"


def render_source(source: str, format: str = "svg", engine: str = "dot") -> bytes:
    """Lay out and render DOT source through the available route.

    Example:
        >>> from autograd.viz.render import render_source
        >>> render_source("digraph { a -> b }")[:5]
        b'<?xml'
    """
    if renderer() == "dot":
        return graphviz.pipe(engine, format, source.encode("utf-8"))
    # Imported by name: the package has no type information, and may be absent.
    pygraphviz = importlib.import_module("pygraphviz")
    try:
        graph = pygraphviz.AGraph(string=source)
        return graph.draw(format=format, prog=engine)
    except (ValueError, TypeError) as e:
        raise RuntimeError(f"pygraphviz could not render this graph as {format!r}: {e}") from e


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders without the ``dot`` program when pygraphviz is
    installed: ``pipe``, ``render`` and the Jupyter view take whichever route is available.

    Example:
        >>> from autograd.viz import Graph
        >>> g = Graph(body=["\\ta -> b\\n"])
        >>> g.pipe(format="svg")[:5]
        b'<?xml'
    """

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The rendered graph as bytes (or text, given ``encoding``), as ``Digraph.pipe``."""
        if _route() == "dot":
            return super().pipe(
                format,
                renderer=renderer,
                formatter=formatter,
                neato_no_op=neato_no_op,
                quiet=quiet,
                engine=engine,
                encoding=encoding,
            )
        data = render_source(self.source, format or self.format, engine or self.engine)
        return data.decode(encoding) if encoding is not None else data

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Save the source and render it to a file, as ``Digraph.render``; returns the path."""
        if _route() == "dot":
            return super().render(
                filename,
                directory=directory,
                view=view,
                cleanup=cleanup,
                format=format,
                renderer=renderer,
                formatter=formatter,
                neato_no_op=neato_no_op,
                quiet=quiet,
                quiet_view=quiet_view,
                outfile=outfile,
                engine=engine,
                raise_if_result_exists=raise_if_result_exists,
                overwrite_source=overwrite_source,
            )
        out: pathlib.Path | None = None
        if outfile is not None:
            out = pathlib.Path(outfile)
            if directory is None:
                out = pathlib.Path(self.directory, out)
            fmt = format or out.suffix.lstrip(".") or self.format
            if filename is None:
                filename = out.with_suffix(".gv").name
                directory = directory if directory is not None else out.parent
        else:
            fmt = format or self.format
        source_path = pathlib.Path(self.save(filename, directory=directory))
        if out is None:
            out = source_path.with_name(f"{source_path.name}.{fmt}")
        if raise_if_result_exists and out.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(out)!r}")
        out.write_bytes(render_source(self.source, fmt, engine or self.engine))
        if cleanup:
            source_path.unlink()
        if view or quiet_view:
            self._view(os.fspath(out), format=fmt, quiet=quiet_view)
        return os.fspath(out)


def _route() -> str:
    return renderer()
