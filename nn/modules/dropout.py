"""Dropout: zero random elements while training, scaling the rest by 1 / (1 - p)."""

from __future__ import annotations

from autograd import Tensor
from autograd.random import Generator

from .. import functional as F
from ..functional.layers import dropout_probability
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability ``p`` in training (scaling the kept ones by
    1 / (1 - p)); the identity in eval mode.

    Example:
        >>> import autograd, nn
        >>> drop = nn.Dropout(0.5)
        >>> drop
        Dropout(p=0.5, inplace=False)
        >>> drop.eval()(autograd.ones(3))
        tensor([1., 1., 1.])
    """

    def __init__(self, p: float | Tensor = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = dropout_probability(p)
        self.inplace = inplace

    def forward(self, input: Tensor, generator: Generator | None = None) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace, generator=generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
