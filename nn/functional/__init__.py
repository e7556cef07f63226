"""Functional forms of the layers and losses (``import nn.functional as F``).

Written with autograd ops; only true primitives (conv's unfold, fused batch_norm and
cross_entropy) have a backward of their own, in autograd/ops.
"""

from __future__ import annotations

# One import line per family file of nn/functional:
