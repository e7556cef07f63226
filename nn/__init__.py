"""Neural-network layers, losses and containers, PyTorch-style, built on autograd.

Example:
    >>> import autograd, nn
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> model(autograd.randn(5, 3)).shape
    (5, 2)
"""

from __future__ import annotations

from . import functional
from .modules.container import ModuleDict, ModuleList, Sequential
from .modules.module import Module, Parameter

# Layer families (one import line per nn/modules file):
