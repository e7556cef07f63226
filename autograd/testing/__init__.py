"""Tools for testing gradients: finite differences, gradcheck, and Hypothesis strategies.

``autograd.testing.strategies`` needs Hypothesis (``pip install npgrad[dev]``) and is imported
on its own: ``from autograd.testing import strategies``.
"""

from __future__ import annotations

from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad"]
