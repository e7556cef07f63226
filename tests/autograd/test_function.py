"""Custom autograd.Function: forward on arrays, backward on Tensors, saved tensors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd.testing import gradcheck, gradgradcheck


class Cube(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


class ScaledExp(autograd.Function):
    """y = exp(x) * k for a non-tensor k; saves its output."""

    @staticmethod
    def forward(ctx, x, k):
        out = np.exp(x) * k
        ctx.k = k
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out, None


class SplitTwo(autograd.Function):
    """Two outputs: x * 2 and x * 3."""

    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        return g1 * 2 + g2 * 3


def test_custom_function_first_and_second_order():
    x = autograd.tensor([2.0], dtype=np.float64, requires_grad=True)
    Cube.apply(x).sum().backward()
    assert x.grad.item() == pytest.approx(12.0)
    assert gradcheck(
        Cube.apply, (autograd.tensor([0.7, -1.2], dtype=np.float64, requires_grad=True),)
    )
    assert gradgradcheck(
        Cube.apply, (autograd.tensor([0.7, -1.2], dtype=np.float64, requires_grad=True),)
    )


def test_saved_output_and_ctx_attributes():
    x = autograd.tensor([0.1, 0.2], dtype=np.float64, requires_grad=True)
    assert gradcheck(lambda t: ScaledExp.apply(t, 3.0), (x,))
    assert gradgradcheck(lambda t: ScaledExp.apply(t, 3.0), (x,))


def test_every_recorded_call_is_one_node_type_holding_its_op():
    # As PyTorch: grad_fn is a graph node, not an instance of the op's class. One type for
    # all keeps the recorder's and the engine's attribute sites specialized (see Node).
    from autograd.function import Node
    from autograd.ops.elementwise import Mul
    from autograd.ops.reduce import Sum

    x = autograd.tensor([0.1, 0.2], dtype=np.float64, requires_grad=True)
    y = ScaledExp.apply(x * 2.0, 3.0)
    loss = y.sum(dim=0)
    nodes = [loss.grad_fn, y.grad_fn, y.grad_fn.next_functions[0]]
    assert all(type(n) is Node for n in nodes)
    assert [n.op for n in nodes] == [Sum, ScaledExp, Mul]
    assert [repr(n) for n in nodes] == ["<SumBackward>", "<ScaledExpBackward>", "<MulBackward>"]
    assert not isinstance(y.grad_fn, autograd.Function)
    assert y.grad_fn.k == 3.0  # what forward kept on ctx
    assert loss.grad_fn.dims == (0,) and loss.grad_fn.shape == (2,)
    assert y.grad_fn.needs_input_grad == (True, False)


def test_multiple_outputs():
    x = autograd.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    a, b = SplitTwo.apply(x)
    (a.sum() + b.sum() * 10).backward()
    np.testing.assert_allclose(x.grad.data, [32.0, 32.0])
    x.grad = None
    a, b = SplitTwo.apply(x)
    b.sum().backward()  # a's gradient is missing: zeros stand in
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_needs_input_grad_and_no_record():
    seen = []

    class Probe(autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            seen.append(ctx.needs_input_grad)
            return x + y

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    a = autograd.tensor([1.0], requires_grad=True)
    b = autograd.tensor([1.0])
    Probe.apply(a, b)
    with autograd.no_grad():
        out = Probe.apply(a, b)
    assert seen == [(True, False), (False, False)]
    assert not out.requires_grad


def test_wrong_number_of_gradients_is_a_clear_error():
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad

    a = autograd.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned 1 gradients, but forward had 2"):
        Bad.apply(a, a).sum().backward()


def test_a_custom_forward_runs_with_grad_mode_off_as_pytorch():
    seen = []

    class Double(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(autograd.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    Double.apply(x).sum().backward()
    assert seen == [False] and autograd.is_grad_enabled() and x.grad.tolist() == [2.0, 2.0]


def test_a_hook_handle_is_a_context_manager_as_pytorch():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    with x.register_hook(lambda g: calls.append(1)):
        (x * 1.0).sum().backward()
    (x * 1.0).sum().backward()
    assert calls == [1]


class _Two(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, ga, gb):  # an output with no gradient comes as zeros
        return ga * 2 + gb * 3


def test_an_output_that_gets_no_gradient_gets_no_hook_grad_or_capture_as_pytorch():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    a, b = _Two.apply(x)
    with pytest.raises(RuntimeError, match="not used"):
        autograd.grad(a.sum(), b, retain_graph=True)
    gb, gx = autograd.grad(a.sum(), [b, x], allow_unused=True, retain_graph=True)
    assert gb is None and gx.tolist() == [2.0, 2.0]
    calls = []
    b.retain_grad()
    b.register_hook(calls.append)
    a.sum().backward()
    assert b.grad is None and calls == [] and x.grad.tolist() == [2.0, 2.0]


def test_a_custom_backward_gradient_that_broadcasts_is_summed_as_pytorch():
    class Keep(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g.reshape(1, 2) * autograd.ones(3, 1)  # (3, 2) for a (2,) input: summed

    y = autograd.tensor([1.0, 2.0], requires_grad=True)
    Keep.apply(y).sum().backward()
    assert y.grad.tolist() == [3.0, 3.0]


def test_a_hook_returning_a_non_tensor_is_a_type_error_as_pytorch():
    z = autograd.tensor([1.0], requires_grad=True)
    z.register_hook(lambda g: 1.0)
    with pytest.raises(TypeError, match="a hook returned float"):
        (z * 1.0).sum().backward()
