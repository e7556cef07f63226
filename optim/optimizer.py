"""Optimizer base: parameter groups, per-parameter state, state_dict, and the step loop."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autograd
from autograd import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    """Marks a hyper-parameter that every parameter group must set (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required: Any = _Required()

# State entries that always have their parameter's shape: checked by load_state_dict.
_PARAM_SHAPED = frozenset(
    {"momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "sum", "square_avg", "grad_avg"}
)
_SET_ERROR = (
    "optimizer parameters need to be organized in ordered collections, but the ordering of "
    "tensors in sets will change between runs. Please use a list instead."
)


class Optimizer:
    """Base class of the optimizers: keeps ``param_groups``, ``defaults`` and per-parameter
    ``state``, and runs ``step()`` by calling the subclass's rule once per parameter.

    A subclass passes its hyper-parameters as ``defaults``, checks them in ``_validate`` and
    writes its update rule in ``update_one`` (DeZero's ``Optimizer.update_one``); the base loops
    over the groups under ``no_grad()``, skips parameters without a gradient, creates state
    lazily with ``init_state`` and bumps each updated parameter's version counter.

    Args:
        params: An iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
            groups, each with a ``"params"`` entry and its own options).
        defaults: The options a group gets when it does not set them.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8, -1.6], requires_grad=True)
    """

    defaults: dict[str, Any]
    state: defaultdict[Any, dict[str, Any]]
    param_groups: list[dict[str, Any]]

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._validate(defaults)
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        if isinstance(params, set):  # PyTorch lets a top-level set through; its order varies
            raise TypeError(_SET_ERROR)
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- what a subclass writes ----------------------------------------------------------------
    def _validate(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError`` naming any invalid option in ``group`` (or in ``defaults``)."""

    def init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        """The state of a parameter before its first update (empty unless overridden)."""
        return {}

    def update_one(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Update ``param`` (its array, in place) from ``grad`` with this optimizer's rule."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_one()")

    # -- the loop ----------------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s value if given.

        Args:
            closure: Re-evaluates the model and returns the loss (run with gradients enabled).
        """
        loss = None
        if closure is not None:
            with autograd.enable_grad():
                loss = closure()
        label = f"{type(self).__name__}.step"
        # inf or NaN gradients give inf or NaN parameters silently, as in PyTorch
        with autograd.no_grad(), np.errstate(all="ignore"):
            for group in self.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    grad = g.data
                    if grad.shape != p.shape:
                        raise RuntimeError(
                            f"{type(self).__name__}.step: a parameter of shape {p.shape} has a "
                            f"gradient of shape {grad.shape}"
                        )
                    if grad.dtype != p.dtype:
                        grad = grad.astype(p.dtype)
                    state = self.state.get(p)
                    if not state:  # lazy, as PyTorch: state appears at a parameter's first step
                        state = self.init_state(p, group)
                    self.update_one(p.data, grad, state, group)
                    if state:  # SGD without momentum keeps no state, and shows none
                        self.state[p] = state
                    p._bump(label)
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every optimized tensor (set to None, or fill with zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                p._clear_grad(set_to_none)

    # -- groups ----------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (the rest come from ``defaults``).

        Example:
            >>> import autograd, optim
            >>> a = autograd.zeros(2, requires_grad=True)
            >>> b = autograd.zeros(3, requires_grad=True)
            >>> opt = optim.SGD([a], lr=0.1)
            >>> opt.add_param_group({"params": [b], "lr": 0.01})
            >>> [g["lr"] for g in opt.param_groups]
            [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)  # the caller's dict is left as it was
        if "params" not in group:
            raise ValueError("param_group must have a 'params' entry")
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(_SET_ERROR)
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter "
                    f"{name}"
                )
            group.setdefault(name, default)
        self._validate(group)
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            # PyTorch only warns; a duplicate would be updated twice per step.
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if not taken.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        for g in self.param_groups:
            if ("param_names" in g) != ("param_names" in group):
                with_names = "with names" if "param_names" in group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add param "
                    f"group {with_names} to the optimizer"
                )
        self.param_groups.append(group)

    # -- saving and resuming ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout, parameters replaced by their indices.

        ``{"state": {index: {"step": ..., "exp_avg": ...}}, "param_groups": [{"lr": ...,
        "params": [indices]}]}``. The state tensors are shared, not copied (as in
        ``Module.state_dict``); save the dict with ``autograd.save`` or copy it to keep a snapshot.

        Example:
            >>> import autograd, optim
            >>> w = autograd.ones(2, requires_grad=True)
            >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
            >>> w.sum().backward(); opt.step()
            >>> sd = opt.state_dict()
            >>> list(sd["state"][0]), sd["param_groups"][0]["params"]
            (['momentum_buffer'], [0])
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: dict(s)
            for p, s in self.state.items()
            if isinstance(p, Tensor) and id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the options and state saved by ``state_dict`` (also after ``autograd.load``).

        The groups must match this optimizer's in number and size. State tensors are copied and
        cast to their parameter's dtype (``step`` keeps its own), so training resumes exactly
        where it stopped.

        Raises:
            ValueError: The dict is not an optimizer state_dict, or its groups, indices or state
                shapes do not fit this optimizer's parameters.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(
                "expected an optimizer state_dict: a dict with 'state' and 'param_groups' entries"
            )
        groups = self.param_groups
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups: "
                f"{len(saved_groups)} saved, {len(groups)} in this optimizer"
            )
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group: group {i} has {len(s['params'])} parameters saved, "
                    f"{len(g['params'])} in this optimizer"
                )
        id_map = {
            idx: p for g, s in zip(groups, saved_groups) for idx, p in zip(s["params"], g["params"])
        }
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for idx, saved in state_dict["state"].items():
            if idx not in id_map:
                raise ValueError(
                    f"loaded state dict has state for parameter index {idx!r}, which no saved "
                    f"parameter group lists (indices {sorted(id_map)})"
                )
            p = id_map[idx]
            state[p] = {key: _cast(p, value, key, idx) for key, value in saved.items()}
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            for name, default in self.defaults.items():  # options newer than the checkpoint
                s.setdefault(name, default)
            self._validate(s)
            new_groups.append(s)
        self.state = state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"


def _cast(param: Tensor, value: Any, key: Any, idx: Any) -> Any:
    """A copy of a loaded state value: tensors cast to the parameter's dtype (``step`` kept)."""
    if key == "step" and not isinstance(value, Tensor | np.ndarray):
        value = np.asarray(value, dtype=np.float32)  # a plain number: PyTorch's old format
    if isinstance(value, Tensor | np.ndarray):
        arr = np.asarray(value.data if isinstance(value, Tensor) else value)
        if key != "step" and param.dtype.kind == "f":
            arr = arr.astype(param.dtype)
        if key in _PARAM_SHAPED and arr.shape != param.shape:
            raise ValueError(
                f"loaded state dict has {key!r} of shape {arr.shape} for parameter {idx}, whose "
                f"shape is {param.shape}"
            )
        return autograd.from_numpy(arr.copy())  # never alias the loaded dict's arrays
    if isinstance(value, dict):
        return {k: _cast(param, v, k, idx) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cast(param, v, None, idx) for v in value)
    return value


def check_non_negative(group: dict[str, Any], key: str, label: str) -> None:
    """Raise PyTorch's ``ValueError("Invalid <label>: <value>")`` if ``group[key]`` < 0 (or NaN)."""
    value = group.get(key, required)
    if value is required:
        return
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label}: {value} ({key} must be >= 0)")


def effective_grad(
    param: np.ndarray, grad: np.ndarray, maximize: bool, weight_decay: float
) -> np.ndarray:
    """The gradient a rule follows: negated to maximize, plus L2 decay ``weight_decay * param``.

    Never writes into ``grad`` (it may be the parameter's own ``.grad``).
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + float(weight_decay) * param
    return g


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start += weight * (end - start)`` in place, rounded the way ``torch.lerp_`` rounds."""
    w = start.dtype.type(weight)
    if abs(w) < 0.5:
        start += w * (end - start)
    else:  # the form PyTorch uses for large weights: exact at weight == 1
        np.subtract(end, (end - start) * (1 - w), out=start)


def advance_step(state: dict[str, Any]) -> float:
    """Add one to ``state["step"]`` (a 0-d float32 tensor, as PyTorch keeps it) and return it."""
    step = state["step"].data
    step += 1
    return float(step)


def new_step() -> Tensor:
    """A fresh step counter: ``tensor(0.)`` in float32, as PyTorch's optimizers store it."""
    return autograd.from_numpy(np.zeros((), dtype=np.float32))
