"""Adagrad: per-coordinate step sizes from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd
from autograd import Tensor

from .optimizer import Optimizer, advance_step, check_non_negative, effective_grad, new_step

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``: ``h += g * g``, ``theta -= clr * g / (sqrt(h) + eps)``
    with ``clr = lr / (1 + (step - 1) * lr_decay)``.

    Its state (``step`` and ``sum``) is created for every parameter up front, as PyTorch does.

    Args:
        params: Tensors or parameter groups to optimize.
        lr: Learning rate.
        lr_decay: Learning-rate decay per step.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: Starting value of the sum of squares ``h``.
        eps: Added to ``sqrt(h)`` for numerical stability.
        maximize: Maximize the objective instead of minimizing it.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0, 1.0], requires_grad=True)
        >>> opt = optim.Adagrad([w], lr=0.5)
        >>> (w * autograd.tensor([1.0, 10.0])).sum().backward(); opt.step()
        >>> w  # the first step moves every coordinate by lr, whatever its gradient's scale
        tensor([0.5, 0.5], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self.init_state(p, group)

    def _validate(self, group: dict[str, Any]) -> None:
        check_non_negative(group, "lr", "learning rate")
        check_non_negative(group, "lr_decay", "lr_decay value")
        check_non_negative(group, "weight_decay", "weight_decay value")
        check_non_negative(group, "initial_accumulator_value", "initial_accumulator_value value")
        check_non_negative(group, "eps", "epsilon value")

    def init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        # As PyTorch: every sum starts at the constructor's value, whatever a group says.
        h0 = self.defaults["initial_accumulator_value"]
        return {"step": new_step(), "sum": autograd.full_like(param.detach(), h0)}

    def update_one(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        step = advance_step(state)
        g = effective_grad(param, grad, group["maximize"], group["weight_decay"])
        clr = float(group["lr"]) / (1 + (step - 1) * float(group["lr_decay"]))
        h = state["sum"].data
        h += g * g
        std = np.sqrt(h)
        std += float(group["eps"])
        param += -clr * g / std
