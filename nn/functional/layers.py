"""Layer functions: linear, batch_norm, layer_norm, dropout, embedding, one_hot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import OpError
from autograd.ops.linalg import Linear
from autograd.ops.norm import BatchNorm, batch_stats
from autograd.random import Generator, get_rng

__all__ = ["batch_norm", "dropout", "embedding", "layer_norm", "linear", "one_hot"]


def same_dtype(op: str, input: Tensor, **tensors: Tensor | None) -> None:
    """A layer's input and its parameters (or buffers) must share one dtype, as in PyTorch:
    promoting instead would silently run a float32 layer in float64 (or the other way round)."""
    for name, t in tensors.items():
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(
                f"{op}: input ({input.dtype}) and {name} ({t.dtype}) must have the same dtype"
            )


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b over the last dim of ``input`` (weight shaped (out_features, in_features)).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.linear(autograd.ones(2, 3), autograd.ones(4, 3), autograd.zeros(4)).shape
        (2, 4)
    """
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise OpError(
            f"linear: the input's last dim must equal the weight's in_features "
            f"({weight.shape[-1]}); got input {tuple(input.shape)}, weight {tuple(weight.shape)}"
        )
    same_dtype("linear", input, weight=weight, bias=bias)
    if weight.ndim == 2 and (bias is None or bias.shape == weight.shape[:1]):
        # one primitive: the bias is added into the product, and the backward gives the
        # weight's gradient as grad^T @ x directly (not through a transpose and a broadcast)
        return Linear.apply(input, weight, bias, False)
    out = input @ (weight.T if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) of ``input`` (N, C, *) and scale by weight, shift by bias.

    In training the batch's mean and biased variance normalize, and the running statistics
    (when given) are updated in place: ``running = (1 - momentum) * running + momentum * batch``
    with the *unbiased* batch variance, as PyTorch does. Otherwise the running statistics are
    used. Training mode runs one fused primitive (``autograd.ops.norm.BatchNorm``). An empty
    batch gives an empty output and leaves the running statistics alone, as in PyTorch.

    Example:
        >>> import autograd, nn.functional as F
        >>> x = autograd.tensor([[1.0], [3.0]])
        >>> rm, rv = autograd.zeros(1), autograd.ones(1)
        >>> F.batch_norm(x, rm, rv, training=True, eps=0.0)
        tensor([[-1.],
                [ 1.]])
        >>> rm, rv
        (tensor([0.2]), tensor([1.1]))
    """
    if input.ndim < 2:
        raise OpError(f"batch_norm: expected input of shape (N, C, *), got {tuple(input.shape)}")
    channels = input.shape[1]
    given = dict(running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    for name, t in given.items():
        if t is not None and t.numel() != channels:
            raise OpError(
                f"batch_norm: {name} should contain {channels} elements (the input's channels, "
                f"dim 1 of {tuple(input.shape)}), not {t.numel()}"
            )
    same_dtype("batch_norm", input, **given)
    shape = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // channels if channels else 0
        if count == 1:
            raise OpError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {tuple(input.shape)}"
            )
        if count:
            mean, var = batch_stats(input.data)
            with autograd.no_grad():
                if running_mean is not None:
                    _blend(running_mean, mean, momentum, "batch_norm")
                if running_var is not None:
                    _blend(running_var, var * (count / (count - 1)), momentum, "batch_norm")
            return BatchNorm.apply(input, mean, var, weight, bias, float(eps))
        # an empty batch has no statistics: as in PyTorch, the output is empty, weight and bias
        # get zero gradients and the running statistics are left as they are
        out = input
    elif running_mean is None or running_var is None:
        raise OpError("batch_norm: running_mean and running_var must be given when not training")
    else:
        invstd = (running_var.reshape(shape) + float(eps)).rsqrt()
        out = (input - running_mean.reshape(shape)) * invstd
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _blend(running: Tensor, batch: np.ndarray, momentum: float, op: str) -> None:
    """running <- (1 - momentum) running + momentum batch, in place, keeping running's dtype."""
    data = running.data
    blended = data * (1.0 - momentum) + batch.reshape(data.shape) * momentum
    np.copyto(data, blended, casting="unsafe")
    running._bump(op)


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims (mean and biased variance of each
    sample), then scale by weight and shift by bias (both shaped ``normalized_shape``).

    Written from autograd ops (no fused primitive: it costs one small reduction more than the
    fused form would, and keeps every derivative order for free).

    Example:
        >>> import autograd, nn.functional as F
        >>> F.layer_norm(autograd.tensor([[1.0, 3.0]]), 2)
        tensor([[-1.,  1.]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise OpError(
            f"layer_norm: given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}"
        )
    same_dtype("layer_norm", input, weight=weight, bias=bias)
    dims = tuple(range(input.ndim - k, input.ndim))
    centered = input - input.mean(dims, keepdim=True)
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered * (var + float(eps)).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def dropout_probability(p: Any) -> float:
    """``p`` as a float in [0, 1]: a Python or NumPy number or a 0-d tensor, as PyTorch takes
    it (but not a bool, which PyTorch takes as 0 or 1)."""
    if isinstance(p, Tensor) and p.ndim == 0:
        if p.requires_grad:
            # PyTorch refuses it too: p is not differentiable, its gradient would be lost
            raise TypeError("dropout: p must not require grad (dropout is not differentiable in p)")
        p = p.item()
    number = isinstance(p, (int, float, np.integer, np.floating)) and not isinstance(p, bool)
    if not number or not 0.0 <= p <= 1.0:
        raise OpError(f"dropout probability has to be between 0 and 1, but got p={p}")
    return float(p)


def dropout(
    input: Tensor,
    p: float | Tensor = 0.5,
    training: bool = True,
    inplace: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) (inverted
    dropout: nothing to undo at eval time). Off (the input itself) when not training.

    Example:
        >>> import autograd, nn.functional as F
        >>> _ = autograd.manual_seed(0)
        >>> y = F.dropout(autograd.ones(1000), p=0.5)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    p = dropout_probability(p)
    if not training or p == 0:
        return input
    if p == 1:
        mask = np.zeros(input.shape, dtype=input.dtype)
    else:
        keep = get_rng(generator).random(input.shape) >= p
        mask = keep.astype(input.dtype) * np.asarray(1.0 / (1.0 - p), dtype=input.dtype)
    if inplace:
        return input.mul_(Tensor._make(mask))
    return input * Tensor._make(mask)


def embedding(
    input: Tensor | Any,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``: shape ``input.shape + (dim,)``.

    Repeated indices accumulate their gradients; the row ``padding_idx`` gets none. With
    ``max_norm``, each looked-up row whose ``norm_type``-norm exceeds it is rescaled in place
    first, as PyTorch does.

    Example:
        >>> import autograd, nn.functional as F
        >>> w = autograd.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
        >>> F.embedding(autograd.tensor([2, 1]), w)
        tensor([[3., 4.],
                [1., 2.]])
    """
    idx = np.asarray(input.data if isinstance(input, Tensor) else input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got dtype {idx.dtype}")
    if weight.ndim != 2:
        raise OpError(f"embedding: weight must be 2-D, got shape {tuple(weight.shape)}")
    size = weight.shape[0]
    if idx.size:
        bad = idx[(idx < 0) | (idx >= size)]
        if bad.size:
            raise IndexError(
                f"embedding: index {int(bad.flat[0])} is out of range for an embedding of size "
                f"{size} (valid indices are 0..{size - 1})"
            )
    if max_norm is not None:
        with autograd.no_grad():
            rows = np.unique(idx)
            norms = np.linalg.norm(weight.data[rows], ord=norm_type, axis=1)
            over = norms > max_norm
            if over.any():
                scale = max_norm / (norms[over] + 1e-7)
                weight.data[rows[over]] *= scale[:, None].astype(weight.dtype)
                weight._bump("embedding_renorm_")
    out = weight[idx]
    if padding_idx is not None:
        pad = padding_idx + size if padding_idx < 0 else padding_idx
        hit = idx == pad
        if hit.any():
            # same values either way; only the detached branch cuts the padding row's gradient
            out = autograd.where(hit[..., None], out.detach(), out)
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices to one-hot rows (int64), shape ``tensor.shape + (num_classes,)``;
    ``num_classes=-1`` means max + 1.

    Example:
        >>> import autograd, nn.functional as F
        >>> F.one_hot(autograd.tensor([0, 2]), 3).tolist()
        [[1, 0, 0], [0, 0, 1]]
    """
    idx = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot is only applicable to index tensor (an integer dtype), got {idx.dtype}"
        )
    if num_classes == -1:
        if idx.size == 0:
            raise OpError("one_hot: can not infer total number of classes from empty tensor")
        num_classes = int(idx.max()) + 1
    if idx.size:
        if idx.min() < 0:
            raise OpError(f"one_hot: class values must be non-negative, got {int(idx.min())}")
        if idx.max() >= num_classes:
            raise OpError(
                f"one_hot: class values must be smaller than num_classes ({num_classes}), "
                f"got {int(idx.max())}"
            )
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return Tensor._make(out)
