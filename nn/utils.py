"""Gradient clipping and parameter/vector conversion: clip_grad_norm_, clip_grad_value_, ..."""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd
from autograd import Tensor

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]

TensorOrTensors = Tensor | Iterable[Tensor]


def _as_list(tensors: TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(x: np.ndarray, p: float) -> np.ndarray:
    """torch.linalg.vector_norm of a flattened array, in its dtype."""
    a = np.abs(x.reshape(-1))
    if p == math.inf:
        out = a.max() if a.size else np.zeros((), a.dtype)
    elif p == -math.inf:
        out = a.min() if a.size else np.full((), np.inf, a.dtype)
    elif p == 0:
        out = np.count_nonzero(a)
    elif p == 1:
        out = a.sum()
    elif p == 2:
        out = np.sqrt(np.dot(a, a))
    else:
        out = np.sum(a**p) ** (1.0 / p)
    return np.asarray(out, dtype=x.dtype)


def get_total_norm(
    tensors: TensorOrTensors,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` seen as one vector (the norm of their norms).

    Example:
        >>> import autograd, nn
        >>> nn.utils.get_total_norm([autograd.tensor([3.0]), autograd.tensor([4.0])])
        tensor(5.)
    """
    ts = _as_list(tensors)
    p = float(norm_type)  # accepts 'inf', as PyTorch
    if not ts:
        return autograd.tensor(0.0)
    with np.errstate(all="ignore"):  # inf or nan gradients give an inf or nan norm, silently
        norms = [_vector_norm(t.data, p) for t in ts]
        dtype = np.result_type(*norms)
        total = _vector_norm(np.stack([n.astype(dtype) for n in norms]), p)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            f"cannot be clipped. To disable this error and scale the gradients by the "
            f"non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._make(total)


def clip_grads_with_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale every ``p.grad`` by min(max_norm / (total_norm + 1e-6), 1).

    Each ``p.grad`` is replaced by a new tensor (PyTorch scales it in place): a gradient may be
    a read-only broadcast view or shared by several parameters, so writing into it is unsafe.

    Example:
        >>> import autograd, nn
        >>> p = autograd.tensor([1.0], requires_grad=True)
        >>> p.grad = autograd.tensor([10.0])
        >>> nn.utils.clip_grads_with_norm_([p], 1.0, autograd.tensor(10.0))
        >>> round(p.grad.item(), 4)
        1.0
    """
    params = [p for p in _as_list(parameters) if p.grad is not None]
    if not params:
        return
    total = total_norm.data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    with np.errstate(all="ignore"):  # a non-finite norm scales by nan/0, as PyTorch
        coef = np.minimum(float(max_norm) / (total + 1e-6), 1.0)
        for p in params:
            g = p.grad
            assert g is not None
            p.grad = Tensor._make((g.data * coef).astype(g.dtype, copy=False))


def clip_grad_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients of ``parameters`` so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of the gradients' norms (for p != 0 that is the
    norm of all gradients seen as one vector; for p == 0, as in PyTorch, the number of non-zero
    gradients); each gradient is multiplied by min(max_norm / (total + 1e-6), 1), as in
    PyTorch. Returns the total norm before clipping.
    ``foreach`` is accepted for PyTorch compatibility and ignored. Gradients are replaced by
    new tensors rather than changed in place (see ``clip_grads_with_norm_``).

    Example:
        >>> import autograd, nn
        >>> p = autograd.tensor([3.0, 4.0], requires_grad=True)
        >>> (p * p).sum().backward()
        >>> nn.utils.clip_grad_norm_([p], max_norm=1.0)
        tensor(10.)
        >>> round(float(p.grad.norm()), 4)
        1.0
    """
    is_generator = isinstance(parameters, types.GeneratorType)
    params = _as_list(parameters)
    if is_generator and not params:
        warnings.warn(
            "`parameters` is an empty generator, no gradient clipping will occur.",
            UserWarning,
            stacklevel=2,
        )
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_value_(
    parameters: TensorOrTensors, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient of ``parameters`` to [-clip_value, clip_value].

    Gradients are replaced by new tensors (see ``clip_grads_with_norm_``).

    Example:
        >>> import autograd, nn
        >>> p = autograd.tensor([1.0, 1.0], requires_grad=True)
        >>> p.grad = autograd.tensor([-5.0, 0.5])
        >>> nn.utils.clip_grad_value_([p], 1.0)
        >>> p.grad
        tensor([-1. ,  0.5])
    """
    c = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is not None:
            p.grad = Tensor._make(np.clip(g.data, -c, c).astype(g.dtype, copy=False))


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All ``parameters`` flattened and joined into one 1-D tensor (differentiable).

    Example:
        >>> import autograd, nn
        >>> nn.utils.parameters_to_vector([autograd.ones(2, 2), autograd.zeros(1)])
        tensor([1., 1., 1., 1., 0.])
    """
    params = _as_list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(
                f"parameters_to_vector: expected Tensors, item {i} is {type(p).__name__}"
            )
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    return autograd.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (the inverse of
    ``parameters_to_vector``).

    As in PyTorch, each parameter's ``.data`` becomes a view of ``vec``'s memory; unlike
    PyTorch, a ``vec`` whose size differs from the parameters' total is an error, not a
    silent partial copy.

    Example:
        >>> import autograd, nn
        >>> p = nn.Parameter(autograd.zeros(2, 2))
        >>> nn.utils.vector_to_parameters(autograd.arange(4.0), [p])
        >>> p.tolist()
        [[0.0, 1.0], [2.0, 3.0]]
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    params = _as_list(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.numel():
        raise ValueError(
            f"vector_to_parameters: vec has {vec.numel()} elements but the parameters have "
            f"{total} ({', '.join(str(p.shape) for p in params) or 'none'})"
        )
    data: Any = vec.data
    pointer = 0
    for p in params:
        n = p.numel()
        p.data = data[pointer : pointer + n].reshape(p.shape)
        pointer += n
