"""Activation layers: ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softplus, Softmax, Heaviside, ..."""

from __future__ import annotations

from autograd import Tensor

from .. import functional as F
from .module import Module

__all__ = [
    "GELU",
    "Heaviside",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Step",
    "Tanh",
]


class ReLU(Module):
    """max(x, 0) elementwise.

    Example:
        >>> import autograd, nn
        >>> nn.ReLU()(autograd.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, else negative_slope * x.

    Example:
        >>> import autograd, nn
        >>> nn.LeakyReLU(0.1)
        LeakyReLU(negative_slope=0.1)
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise.

    Example:
        >>> import autograd, nn
        >>> nn.Sigmoid()(autograd.tensor([0.0]))
        tensor([0.5])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x) elementwise.

    Example:
        >>> import autograd, nn
        >>> nn.Tanh()(autograd.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class GELU(Module):
    """x * Phi(x), exact (erf) or with ``approximate='tanh'``.

    Example:
        >>> import autograd, nn
        >>> nn.GELU(approximate="tanh")
        GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + exp(beta x)) / beta (x itself above ``threshold``), a smooth ReLU.

    Example:
        >>> import autograd, nn
        >>> nn.Softplus()
        Softplus(beta=1.0, threshold=20.0)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``.

    Example:
        >>> import autograd, nn
        >>> nn.Softmax(dim=1)(autograd.zeros(1, 4))
        tensor([[0.25, 0.25, 0.25, 0.25]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably.

    Example:
        >>> import autograd, nn
        >>> nn.LogSoftmax(dim=1)
        LogSoftmax(dim=1)
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Heaviside(Module):
    """The perceptron's step: 1 where x > threshold, else 0 (``value`` exactly at it), with a
    zero gradient. ``Step`` is another name for it.

    Example:
        >>> import autograd, nn
        >>> nn.Heaviside()(autograd.tensor([-0.2, 0.0, 0.3]))
        tensor([0., 0., 1.])
    """

    def __init__(self, threshold: float = 0.0, value: float = 0.0) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        x = input - float(self.threshold) if self.threshold else input
        return F.heaviside(x, self.value)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}"


Step = Heaviside
