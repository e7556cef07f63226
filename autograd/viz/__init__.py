"""autograd.viz: draw the graph behind a tensor, and the backward pass step by step.

Example:
    >>> import numpy as np, autograd
    >>> from autograd.viz import draw_graph, backprop_steps
    >>> w = autograd.tensor(np.float64(-3.0), requires_grad=True); w.name = "w"
    >>> x = autograd.tensor(np.float64(2.0), requires_grad=True); x.name = "x"
    >>> y = (w * x).tanh(); y.name = "y"
    >>> dot = draw_graph(y)                 # a graphviz.Digraph; Jupyter shows it inline
    >>> "Tanh" in dot.source
    True
    >>> len(backprop_steps(y))              # Tanh, Mul, then the two leaves
    4
"""

from __future__ import annotations

from .animation import save_backprop_animation
from .graph import draw_graph
from .modules import ModuleCall, ModuleTrace, trace_modules
from .observed import GraphFreedError
from .render import Graph, RendererNotFoundError, render_source, renderer
from .steps import backprop_steps

__all__ = [
    "Graph",
    "GraphFreedError",
    "ModuleCall",
    "ModuleTrace",
    "RendererNotFoundError",
    "backprop_steps",
    "draw_graph",
    "render_source",
    "renderer",
    "save_backprop_animation",
    "trace_modules",
]
