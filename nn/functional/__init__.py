"""Functional forms of the layers and losses (``import nn.functional as F``).

Written with autograd ops; only true primitives (conv's unfold, the fused linear layer that
linear and conv2d share, batch_norm, cross_entropy, relu) have a backward of their own, in
autograd/ops.
"""

from __future__ import annotations

from .activation import (
    gelu,
    heaviside,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    step,
    tanh,
)
from .conv import adaptive_avg_pool2d, avg_pool2d, conv2d, fold, max_pool2d, pad, unfold
from .layers import (
    batch_norm,
    dropout,
    embedding,
    layer_norm,
    linear,
    one_hot,
)
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
)
