"""In-place ops: the leaf rule, version counters, recorded in-place on non-leaves."""

from __future__ import annotations

import threading
import weakref

import numpy as np
import pytest

import autograd


def leaf(x):
    return autograd.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize(
    "op",
    [
        lambda t: t.add_(1.0),
        lambda t: t.sub_(1.0),
        lambda t: t.mul_(2.0),
        lambda t: t.div_(2.0),
        lambda t: t.zero_(),
        lambda t: t.fill_(3.0),
        lambda t: t.clamp_(0.0, 1.0),
        lambda t: t.__iadd__(1.0),
    ],
)
def test_inplace_on_leaf_requiring_grad_is_an_error(op):
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        op(x)
    with autograd.no_grad():
        op(x)  # allowed: the optimizer's update


def test_inplace_values_and_alpha():
    x = autograd.tensor([1.0, 2.0])
    x.add_(autograd.tensor([1.0, 1.0]), alpha=2)
    assert x.tolist() == [3.0, 4.0]
    x.sub_(1.0).mul_(2.0).div_(4.0)
    assert x.tolist() == [1.0, 1.5]
    x.clamp_(max=1.2)
    assert x.tolist() == pytest.approx([1.0, 1.2])
    x.fill_(7.0)
    assert x.tolist() == [7.0, 7.0]
    x.zero_()
    assert x.tolist() == [0.0, 0.0]
    x += 2
    x *= 3
    x -= 1
    x /= 5
    assert x.tolist() == [1.0, 1.0]
    x.copy_(autograd.tensor([4.0, 5.0]))
    assert x.tolist() == [4.0, 5.0]


def test_inplace_dtype_and_shape_errors():
    i = autograd.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i /= 2
    with pytest.raises(RuntimeError, match="broadcast shape"):
        autograd.ones(3).add_(autograd.ones(2, 3))


def test_version_counter_counts_inplace_ops():
    x = autograd.ones(2)
    assert x._version_count == 0
    x.add_(1)
    x.mul_(2)
    assert x._version_count == 2


def test_modifying_a_saved_input_makes_backward_raise_naming_the_op():
    w = leaf([1.0, 2.0])
    x = autograd.tensor([3.0, 4.0], dtype=np.float64)
    y = (w * x).sum()  # Mul saved x
    x.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*Mul saved"):
        y.backward()


def test_mul_and_div_keep_an_operand_only_for_the_others_gradient():
    """As PyTorch: y * 2.0 and y / 2.0 keep 2.0, not y, so changing y afterwards is fine and
    y is freed as soon as nothing else holds it; y * w with w requiring grad keeps y."""
    x = leaf([1.0, 2.0])
    for op in (lambda y: y * 2.0, lambda y: 2.0 * y, lambda y: y / 0.5):
        y = x * 1.0
        z = op(y)
        y.add_(10.0)  # not saved: no error, and the gradient is still 2
        (g,) = autograd.grad(z.sum(), x)
        np.testing.assert_array_equal(g.data, [2.0, 2.0])
    y = x * 1.0
    alive = weakref.ref(y)
    z = y * 3.0
    del y
    assert alive() is None  # the node holds 3.0, not the tensor
    w = leaf([5.0, 6.0])
    for op in (lambda y: y * w, lambda y: y / w):
        y = x * 1.0
        z = op(y)
        y.add_(1.0)  # y is needed for w's gradient
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_modifying_a_saved_output_makes_backward_raise():
    w = leaf([1.0, 2.0])
    e = w.exp()
    y = e.sum()
    e.add_(1.0)
    with pytest.raises(RuntimeError, match=r"Exp saved for backward.*last changed by add_"):
        y.backward()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda e: e.detach().add_(1.0), id="through-detach"),
        pytest.param(lambda e: e[1:].detach().mul_(2.0), id="through-a-view"),
        pytest.param(lambda e: e.reshape(2, 1).detach().zero_(), id="through-reshape"),
    ],
)
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_saved_output_changed_through_another_tensor_is_caught(change, create_graph):
    # The output's version counter is made when first needed, by any Tensor sharing its
    # memory; the node that saved the output must see it.
    w = leaf([1.0, 2.0])
    for op, name in ((lambda t: t.exp(), "Exp"), (lambda t: t.tanh(), "Tanh")):
        e = op(w)
        y = e.sum() if create_graph else (e * 2.0).sum()
        change(e)
        with pytest.raises(RuntimeError, match=rf"output 0 .* that {name} saved for backward"):
            autograd.grad(y, w, create_graph=create_graph)


def test_several_saved_outputs_are_checked_each_with_its_own_number():
    class TwoOuts(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            a, b = np.exp(x), np.exp(2 * x)
            ctx.save_for_backward(a, b)
            return a, b

        @staticmethod
        def backward(ctx, ga, gb):
            a, b = ctx.saved_tensors
            return ga * a + gb * 2 * b

    x = leaf([0.5, 1.0])
    a, b = TwoOuts.apply(x)
    (a.sum() + b.sum()).backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.data, np.exp([0.5, 1.0]) + 2 * np.exp([1.0, 2.0]))
    b.detach().add_(1.0)
    with pytest.raises(RuntimeError, match=r"the output 1 of shape \(2,\).*TwoOuts"):
        (a.sum() + b.sum()).backward()


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_operand_whose_version_counter_is_still_zero_is_checked_when_changed(create_graph):
    # e has no version counter until it changes (Exp saved it as its output, and makes one
    # only when asked); Mul keeps e for w's gradient without packing it, as for a tensor never
    # changed, and must still see a later change. Mul runs first in backward, so it is the op
    # named.
    x, w = leaf([0.5, 1.0]), leaf([2.0, 3.0])
    e = x.exp()
    z = (e * w).sum()
    e.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"Mul saved for backward.*last changed by mul_"):
        autograd.grad(z, [x, w], create_graph=create_graph)
    e2 = x.exp()
    z2 = (e2 * w).sum()  # unchanged: the gradients are right
    gx, gw = autograd.grad(z2, [x, w], create_graph=create_graph)
    np.testing.assert_allclose(gx.data, np.exp([0.5, 1.0]) * [2.0, 3.0])
    np.testing.assert_allclose(gw.data, np.exp([0.5, 1.0]))


def test_modifying_a_parameter_under_no_grad_is_caught():
    w = leaf([1.0, 2.0])
    y = (w * w).sum()
    with autograd.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_residual_add_on_non_leaf_is_recorded():
    x = leaf([1.0, 2.0])
    y = x * 3
    y += x
    assert y.grad_fn.name() == "Add"
    (y * y).sum().backward()
    # y = 4x, d(sum y^2)/dx = 2 * 4x * 4
    np.testing.assert_allclose(x.grad.data, 32 * np.array([1.0, 2.0]))


def test_inplace_mul_on_non_leaf_with_grad_operand():
    x, w = leaf([1.0, 2.0]), leaf([5.0, 7.0])
    y = x * 1
    y.mul_(w)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [5.0, 7.0])
    np.testing.assert_allclose(w.grad.data, [1.0, 2.0])


def test_inplace_exp_chain_of_nonleaf_keeps_grads_right():
    x = leaf([0.5, 1.0])
    y = x * 2
    y.clamp_(0.0, 1.5)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 0.0])


def test_inplace_on_view_of_grad_tensor_is_a_clear_error():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 1
    v = y[:2]
    with pytest.raises(RuntimeError, match="view"):
        v.mul_(2.0)


def test_views_share_the_version_counter():
    x = autograd.ones(4, dtype=np.float64)
    v = x.reshape(2, 2)
    v.add_(1)
    assert x._version_count == 1 and x.tolist() == [2.0] * 4
    w = leaf([1.0, 2.0])
    y = (w * x[:2]).sum()  # saves the view x[:2]
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("saved", [True, False], ids=["saved-output", "unsaved-output"])
def test_two_threads_detaching_one_output_share_one_counter(monkeypatch, saved):
    # Thread A is held inside the node's counter lookup (it found no counter kept) while
    # thread B detaches the same tensor; B must not make a second counter, or an in-place
    # change through A's tensor goes unseen by a node that saved the output (or B's tensor).
    x = leaf([1.0, 2.0, 3.0])
    y = x.exp() if saved else x * 2.0  # Exp saves its output, Mul by a number does not
    node = type(y.grad_fn)
    lookup = node._kept_box
    a_inside, b_done = threading.Event(), threading.Event()

    def held(self, nr):
        box = lookup(self, nr)
        if threading.current_thread().name == "A":
            a_inside.set()
            b_done.wait(0.2)  # with the lock B waits for A instead, and this times out
        return box

    monkeypatch.setattr(node, "_kept_box", held)
    detached = {}

    def take(name):
        if name == "B":
            a_inside.wait(5)
        detached[name] = y.detach()
        if name == "B":
            b_done.set()

    threads = [threading.Thread(target=take, args=(n,), name=n) for n in "AB"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = detached["A"], detached["B"]
    assert a._version is b._version is y._version
    w = leaf([1.0, 1.0, 1.0])
    z = y.sum() if saved else (w * b).sum()  # Exp saved y; Mul saves b for w's gradient
    a.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_setitem_without_and_with_grad():
    x = autograd.zeros(3)
    x[1] = 5.0
    x[autograd.tensor([True, False, True])] = 2.0
    assert x.tolist() == [2.0, 5.0, 2.0]
    a = leaf([1.0, 2.0, 3.0])
    v = leaf(10.0)
    y = a * 2
    y[1] = v * 3
    y.sum().backward()
    np.testing.assert_allclose(a.grad.data, [2.0, 0.0, 2.0])
    assert v.grad.item() == 3.0


def test_expanded_views_cannot_be_written():
    x = autograd.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="read-only"):
        x.add_(1)


def test_fill_with_a_0d_tensor_passes_it_the_gradient_as_pytorch():
    # torch 2.13: v.grad is 8 (each of the two filled elements gives 2 * 2)
    x = leaf([1.0, 1.0])
    v = autograd.tensor(2.0, dtype=np.float64, requires_grad=True)
    y = x * 1.0
    y.fill_(v)
    (y * y).sum().backward()
    assert v.grad.item() == 8.0 and x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="fill_ only supports a 0-dimension value tensor"):
        autograd.ones(2, 3).fill_(autograd.tensor([1.0, 2.0, 3.0]))
    z = autograd.ones(2)
    z.fill_(autograd.tensor(3.0))
    assert z.tolist() == [3.0, 3.0] and z.grad_fn is None


@pytest.mark.parametrize(
    "change",
    [lambda y, x: y.mul_(2.0), lambda y, x: y.add_(x), lambda y, x: y.zero_()],
    ids=["mul_", "add_", "zero_"],
)
@pytest.mark.parametrize(
    "view",
    [lambda y: y[0:1], lambda y: y.view(2), lambda y: y.reshape(1, 2)],
    ids=["slice", "view", "reshape"],
)
def test_a_view_taken_before_a_recorded_inplace_change_of_its_base_is_an_error(change, view):
    # PyTorch rebases such a view's graph; ours would give the gradient without the change
    # (x.grad [2, 0] for y = x * 2; v = y[0:1]; y.mul_(2), where PyTorch gives [4, 0]), so
    # backward refuses, naming the op that changed the base
    x = leaf([1.0, 2.0])
    y = x * 2.0
    v = view(y)
    change(y, x)
    with pytest.raises(RuntimeError, match="view was taken of a tensor that .* changed in place"):
        v.sum().backward()


def test_views_taken_after_the_change_or_of_leaves_are_fine():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    y.mul_(2.0)
    y[0:1].sum().backward()
    assert x.grad.tolist() == [4.0, 0.0]
    w = leaf([1.0, 2.0])
    v = w.view(2)
    with autograd.no_grad():
        w.add_(1.0)  # a parameter update: its views' gradients are unchanged
    (v * 3.0).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
    z = leaf([1.0, 2.0])
    y = z * 2.0
    u = y[0:1]
    with autograd.no_grad():
        y.add_(1.0)  # not recorded: the graph, and u's gradient, stay as they were (torch too)
    u.sum().backward()
    assert z.grad.tolist() == [2.0, 0.0]
