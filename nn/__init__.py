"""Neural-network layers, losses and containers, PyTorch-style, built on autograd.

Example:
    >>> import autograd, nn
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> model(autograd.randn(5, 3)).shape
    (5, 2)
"""

from __future__ import annotations

from . import functional, init, utils
from .modules.activation import (
    GELU,
    Heaviside,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Step,
    Tanh,
)
from .modules.container import ModuleDict, ModuleList, Sequential
from .modules.conv import Conv2d
from .modules.dropout import (
    Dropout,
)
from .modules.embedding import (
    Embedding,
)
from .modules.linear import (
    Flatten,
    Identity,
    Linear,
)
from .modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
)
from .modules.module import Module, Parameter
from .modules.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    LayerNorm,
)
from .modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
