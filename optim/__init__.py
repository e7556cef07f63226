"""Optimizers and learning-rate schedulers for autograd tensors; coming soon."""
