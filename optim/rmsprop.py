"""RMSprop: steps scaled by a running average of squared gradients (centered, with momentum)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd
from autograd import Tensor

from .optimizer import (
    Optimizer,
    advance_step,
    check_non_negative,
    effective_grad,
    lerp_,
    new_step,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    ``v = alpha * v + (1 - alpha) * g * g``; centered, ``a`` is the running mean of ``g`` and
    the scale is ``sqrt(v - a * a) + eps``, else ``sqrt(v) + eps``; with momentum
    ``b = momentum * b + g / scale`` and ``theta -= lr * b``, else ``theta -= lr * g / scale``.

    Args:
        params: Tensors or parameter groups to optimize.
        lr: Learning rate.
        alpha: Smoothing constant of the running averages.
        eps: Added to the scale for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        momentum: Momentum factor.
        centered: Normalize by the running variance of the gradient instead of its second moment.
        maximize: Maximize the objective instead of minimizing it.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0], requires_grad=True)
        >>> opt = optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step()
        >>> round(w.item(), 4)  # 1 - 0.01 * 2 / sqrt(0.01 * 4): a step of lr / sqrt(1 - alpha)
        0.9
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_non_negative(group, "lr", "learning rate")
        check_non_negative(group, "eps", "epsilon value")
        check_non_negative(group, "momentum", "momentum value")
        check_non_negative(group, "weight_decay", "weight_decay value")
        check_non_negative(group, "alpha", "alpha value")

    def init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": new_step(), "square_avg": autograd.zeros_like(param.detach())}
        if group["momentum"] > 0:
            state["momentum_buffer"] = autograd.zeros_like(param.detach())
        if group["centered"]:
            state["grad_avg"] = autograd.zeros_like(param.detach())
        return state

    def update_one(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, alpha, momentum = float(group["lr"]), float(group["alpha"]), float(group["momentum"])
        g = effective_grad(param, grad, group["maximize"], group["weight_decay"])
        advance_step(state)
        v = state["square_avg"].data
        v *= alpha
        v += (1 - alpha) * g * g
        if group["centered"]:
            a = state["grad_avg"].data
            lerp_(a, g, 1 - alpha)
            scale = np.sqrt(v - a * a)
        else:
            scale = np.sqrt(v)
        scale += float(group["eps"])
        if momentum > 0:
            b = state["momentum_buffer"].data
            b *= momentum
            b += g / scale
            param += -lr * b
        else:
            param += -lr * g / scale
