"""Adam and AdamW: bias-corrected moment estimates, with L2 or decoupled weight decay."""

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

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``.

    ``m = beta1 * m + (1 - beta1) * g``, ``v = beta2 * v + (1 - beta2) * g * g``, then
    ``theta -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``; with
    ``amsgrad`` the running maximum of ``v`` replaces ``v``. ``weight_decay`` adds
    ``weight_decay * theta`` to the gradient, or with ``decoupled_weight_decay`` (AdamW)
    multiplies ``theta`` by ``1 - lr * weight_decay`` first.

    Args:
        params: Tensors or parameter groups to optimize.
        lr: Learning rate.
        betas: Decay rates ``(beta1, beta2)`` of the first and second moment estimates.
        eps: Added to the denominator for numerical stability.
        weight_decay: Weight decay (L2 penalty, or decoupled).
        amsgrad: Use the running maximum of the second moment (AMSGrad).
        maximize: Maximize the objective instead of minimizing it.
        decoupled_weight_decay: Decay the weights directly, as AdamW.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0, -3.0], requires_grad=True)
        >>> opt = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w  # the first step is lr * sign(g), whatever the gradient's size
        tensor([ 0.9, -2.9], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_non_negative(group, "lr", "learning rate")
        check_non_negative(group, "eps", "epsilon value")
        betas = group.get("betas", (0.9, 0.999))
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(
                    f"Invalid beta parameter at index {i}: {beta} (betas[{i}] must be in [0, 1))"
                )
        check_non_negative(group, "weight_decay", "weight_decay value")

    def init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        p = param.detach()
        state = {
            "step": new_step(),
            "exp_avg": autograd.zeros_like(p),
            "exp_avg_sq": autograd.zeros_like(p),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = autograd.zeros_like(p)
        return state

    def update_one(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        decoupled = group["decoupled_weight_decay"]
        step = advance_step(state)
        if wd != 0 and decoupled:
            param *= 1 - lr * wd
        g = effective_grad(param, grad, group["maximize"], 0 if decoupled else wd)
        m, v = state["exp_avg"].data, state["exp_avg_sq"].data
        lerp_(m, g, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            if "max_exp_avg_sq" not in state:  # amsgrad switched on after the first step
                state["max_exp_avg_sq"] = autograd.zeros_like(state["exp_avg_sq"])
            v_max = state["max_exp_avg_sq"].data
            np.maximum(v_max, v, out=v_max)
            v = v_max
        denom = np.sqrt(v) / bias_correction2_sqrt
        denom += eps
        param += -step_size * m / denom


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: Adam whose weight decay shrinks the weights directly
    (``theta *= 1 - lr * weight_decay``) instead of entering the moment estimates.

    Args:
        params: Tensors or parameter groups to optimize.
        lr: Learning rate.
        betas: Decay rates of the first and second moment estimates.
        eps: Added to the denominator for numerical stability.
        weight_decay: Decoupled weight decay coefficient.
        amsgrad: Use the running maximum of the second moment (AMSGrad).
        maximize: Maximize the objective instead of minimizing it.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0], requires_grad=True)
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward(); opt.step()
        >>> round(w.item(), 4)  # 1 * (1 - 0.1 * 0.5) - 0.1
        0.85
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # an Adam checkpoint still resumes as AdamW
            group["decoupled_weight_decay"] = True
