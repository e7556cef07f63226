"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (torch.optim.SGD)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd

from .optimizer import Optimizer, check_non_negative, effective_grad

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    With momentum ``mu`` PyTorch's form is ``b = mu * b + (1 - dampening) * g`` (``b = g`` at the
    first step) and ``theta -= lr * b``. The textbook form ``v = mu * v + lr * g``,
    ``theta -= v`` is the same trajectory while ``lr`` is constant (``v = lr * b``).

    Args:
        params: Tensors or parameter groups to optimize.
        lr: Learning rate.
        momentum: Momentum factor ``mu`` (0 disables momentum and keeps no state).
        dampening: Dampening of the gradient's share in the momentum buffer.
        weight_decay: L2 penalty added to the gradient (``g + weight_decay * theta``).
        nesterov: Use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: Maximize the objective instead of minimizing it.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> round(w.item(), 4)  # 1 - 0.2 = 0.8, then 0.8 - 0.1 * (0.9 * 2 + 1.6)
        0.46
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_non_negative(group, "lr", "learning rate")
        check_non_negative(group, "momentum", "momentum value")
        check_non_negative(group, "weight_decay", "weight_decay value")
        if group.get("nesterov") and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def update_one(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, momentum = float(group["lr"]), float(group["momentum"])
        g = effective_grad(param, grad, group["maximize"], group["weight_decay"])
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # the first step starts the buffer at the gradient, undamped
                state["momentum_buffer"] = autograd.from_numpy(np.array(g))  # a copy, 0-d too
                b = state["momentum_buffer"].data
            else:
                b = buf.data
                b *= momentum
                b += (1 - float(group["dampening"])) * g
            g = g + momentum * b if group["nesterov"] else b
        param += -lr * g
