"""The backward engine: accumulation, graph reuse, hooks, autograd.grad, higher order."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import autograd
from autograd import Tensor


def t64(x, requires_grad=True):
    return autograd.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


def test_purchase_example_exact():
    apple, n_apple = t64(100.0), t64(2.0)
    orange, n_orange = t64(150.0), t64(3.0)
    tax = t64(1.1)
    total = (apple * n_apple + orange * n_orange) * tax
    total.backward()
    assert total.item() == pytest.approx(715.0)
    assert apple.grad.item() == pytest.approx(2.2)
    assert n_apple.grad.item() == pytest.approx(110.0)
    assert orange.grad.item() == pytest.approx(3.3)
    assert n_orange.grad.item() == pytest.approx(165.0)
    assert tax.grad.item() == pytest.approx(650.0)


def test_gradients_accumulate_in_leaves():
    x = t64([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3 + 2, 3 + 4])


def test_diamond_graph_sums_both_paths():
    x = t64(2.0)
    a = x * 3
    y = a * a + a.exp()
    y.backward()
    assert x.grad.item() == pytest.approx(2 * 6 * 3 + np.exp(6) * 3)


def test_same_input_twice():
    x = t64([1.0, -2.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, -4.0])


def test_broadcast_is_reduced_to_each_input_shape():
    a = t64(np.ones((2, 3)))
    b = t64(np.ones(3))
    c = t64(np.ones((2, 1)))
    s = t64(2.0)
    ((a + b) * c * s).sum().backward()
    assert a.grad.shape == (2, 3) and b.grad.shape == (3,) and c.grad.shape == (2, 1)
    assert s.grad.shape == ()
    np.testing.assert_allclose(b.grad.data, [4.0, 4.0, 4.0])
    np.testing.assert_allclose(c.grad.data, [[12.0], [12.0]])
    assert s.grad.item() == pytest.approx(12.0)


def test_non_scalar_backward_needs_gradient():
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(autograd.tensor([1.0, 10.0], dtype=np.float64))
    np.testing.assert_allclose(x.grad.data, [2.0, 20.0])


def test_gradient_shape_mismatch_is_clear():
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape"):
        (x * 2).backward(autograd.ones(3, dtype=np.float64))


def test_backward_on_tensor_without_grad_fails():
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.ones(2).sum().backward()


def test_second_backward_without_retain_graph_raises():
    x = t64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    # API.md: any graph, even one whose nodes saved nothing (PyTorch would run this one again)
    z = (x + 1.0).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        z.backward()


def test_retain_graph_allows_second_backward():
    x = t64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.data.copy()
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * first)


def test_backward_on_leaf():
    x = t64([1.0, 2.0])
    x.backward(autograd.tensor([3.0, 4.0], dtype=np.float64))
    np.testing.assert_allclose(x.grad.data, [3.0, 4.0])


def test_leaf_grad_owns_its_memory():
    a, b = t64(np.ones(3)), t64(np.ones(3))
    (a + b).sum().backward()
    assert a.grad is not b.grad
    assert a.grad.data.flags.writeable and a.grad.data.base is None
    a.grad.mul_(5.0)
    np.testing.assert_allclose(b.grad.data, np.ones(3))
    g = autograd.tensor(np.full(3, 2.0))
    c = t64(np.ones(3))
    c.backward(g)
    c.grad.zero_()
    np.testing.assert_allclose(g.data, 2.0)


def test_grad_returns_tuple_and_leaves_grad_alone():
    x, y = t64(2.0), t64(3.0)
    z = x * x * y
    gx, gy = autograd.grad(z, (x, y))
    assert gx.item() == pytest.approx(12.0) and gy.item() == pytest.approx(4.0)
    assert x.grad is None and y.grad is None


def test_grad_of_non_leaf_input():
    x = t64([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = autograd.grad(y, h)
    np.testing.assert_allclose(gh.data, 2 * h.data)


def test_grad_allow_unused():
    x, y = t64(1.0), t64(2.0)
    z = x * 2
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        autograd.grad(z, (x, y), retain_graph=True)
    gx, gy = autograd.grad(z, (x, y), allow_unused=True)
    assert gx.item() == 2.0 and gy is None


def test_grad_prunes_branches_that_do_not_lead_to_inputs():
    x, w = t64(1.0), t64(2.0)
    branch = w.exp()
    branch.sum().backward()  # frees the branch's saved tensors
    y = x * 3 + branch  # reusing the freed branch is fine: grad() does not need it
    (gx,) = autograd.grad(y, x)
    assert gx.item() == 3.0


def test_grad_outputs_and_multiple_outputs():
    x = t64([1.0, 2.0])
    y1, y2 = x * 2, x * x
    (g,) = autograd.grad([y1, y2], x, grad_outputs=[t64([1.0, 1.0], False), t64([1.0, 0.0], False)])
    np.testing.assert_allclose(g.data, [2 + 2, 2])


def test_create_graph_second_and_third_derivatives():
    x = t64(1.5)
    y = x**4
    (d1,) = autograd.grad(y, x, create_graph=True)
    (d2,) = autograd.grad(d1, x, create_graph=True)
    (d3,) = autograd.grad(d2, x)
    assert d1.item() == pytest.approx(4 * 1.5**3)
    assert d2.item() == pytest.approx(12 * 1.5**2)
    assert d3.item() == pytest.approx(24 * 1.5)


def test_backward_create_graph_gives_differentiable_grad():
    x = t64([1.0, 2.0])
    (x.sin() * x).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    (gg,) = autograd.grad(g.sum(), x)
    xs = np.array([1.0, 2.0])
    np.testing.assert_allclose(gg.data, 2 * np.cos(xs) - xs * np.sin(xs))


def test_hooks_on_leaf_and_non_leaf_and_remove():
    x = t64([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: g * 10)
    h = x * 2
    h.register_hook(lambda g: seen.append(g.data.copy()))
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, [20.0, 20.0])
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_hook_on_tensor_without_grad_fails():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        autograd.ones(2).register_hook(lambda g: g)


def test_retain_grad():
    x = t64([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    k = x * 3
    (h * h + k).sum().backward()
    np.testing.assert_allclose(h.grad.data, 2 * h.data)
    assert k.grad is None


def test_deep_chain_is_iterative():
    x = autograd.tensor(np.ones(2, np.float32), requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])


def test_graph_has_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = t64([1.0, 2.0])
        y = ((x * 2).exp() * x).sum()
        node = y.grad_fn
        import weakref

        ref = weakref.ref(node)
        y.backward()
        del y, node
        assert ref() is None  # freed by reference counting alone
    finally:
        gc.enable()


_BYTES_PER_MUL = """
import gc, sys, tracemalloc
import autograd, nn
if sys.argv[1] == "bn":
    x = autograd.randn(4, 3, 5, 5, requires_grad=True)
    (nn.BatchNorm2d(3)(x).sum(dim=(0, 1)).amax(-1).var() + x.norm()).backward()
y = autograd.tensor([1.0, 2.0], requires_grad=True) * 1.5
gc.collect()
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
for _ in range(2000):
    y = y * 1.5
print((tracemalloc.get_traced_memory()[0] - before) / 2000)
"""


def test_an_elementwise_node_costs_the_same_after_ops_that_keep_attributes_on_ctx():
    # Nodes are one class with a __dict__ for what forwards keep on ctx. CPython sizes each
    # new instance's values for the attribute names its class took while young; Node closes
    # that set at import, so a Mul node is as small after a batch norm (8 names, run first
    # thing in a fresh process) as without one.
    import subprocess
    import sys

    def bytes_per_mul(first: str) -> float:
        run = [sys.executable, "-c", _BYTES_PER_MUL, first]
        return float(subprocess.run(run, capture_output=True, text=True, check=True).stdout)

    assert bytes_per_mul("bn") <= bytes_per_mul("plain") + 1


def test_custom_function_backward_returning_wrong_shape_is_named():
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return autograd.ones(5)

    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Bad.backward returned a gradient of shape"):
        Bad.apply(x).sum().backward()


def test_tensor_is_hashable_by_identity():
    a, b = autograd.ones(2), autograd.ones(2)
    assert len({a, b}) == 2 and isinstance(a, Tensor)


def test_observe_sees_each_step_in_engine_order():
    x = t64(2.0)
    steps = []
    with autograd.engine.observe(lambda node, out, inp: steps.append((node, out, inp))):
        (x * x * 3).backward()
    names = [s[0].name() if s[2] is not None else "leaf" for s in steps]
    assert names == ["Mul", "Mul", "leaf"]
    assert steps[0][1][0].item() == 1.0 and steps[0][2][0].item() == 3.0
    assert [g.item() for g in steps[1][2]] == [6.0, 6.0]
    assert steps[2][0] is x and steps[2][1][0].item() == 12.0
    (x * 2).backward()  # no observer any more
    assert len(steps) == 3


def test_second_backward_accumulates_into_the_same_grad_in_place():
    # As PyTorch without create_graph: the existing .grad tensor is added to, not replaced.
    x = t64([1.0, 2.0])
    (x * 3.0).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    assert x.grad is first
    np.testing.assert_allclose(first.data, [5.0, 7.0])


def test_in_place_accumulation_bumps_the_version_of_a_saved_grad():
    # A graph that saved x.grad sees the accumulation as an in-place change.
    x = t64([1.0, 2.0])
    (x * x).sum().backward(create_graph=True)
    w = t64([1.0, 1.0])
    y = (w * x.grad).sum()  # saves x.grad
    (x * 2.0).sum().backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_leaf_never_takes_a_gradient_that_something_else_holds():
    # Saved by a custom Function and returned as the gradient: the leaf gets a copy, so a
    # later accumulation cannot change what the retained graph saved.
    class Echo(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(np.full_like(x, 2.0))
            return x.copy()

        @staticmethod
        def backward(ctx, grad):
            (two,) = ctx.saved_tensors
            return two

    x = t64([1.0, 1.0])
    y = Echo.apply(x).sum()
    for _ in range(3):
        y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.data, [6.0, 6.0])  # 8 if x.grad were the saved array


def test_gradients_flow_as_arrays_without_create_graph_and_as_tensors_with_it():
    seen = []

    class Spy(autograd.Function):
        _raw_backward = True  # its formula works on arrays as well as Tensors

        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, grad):
            seen.append(type(grad))
            return grad * 2.0

    x = t64([1.0, 2.0])
    Spy.apply(x).sum().backward()
    (g,) = autograd.grad(Spy.apply(x).sum(), x, create_graph=True)
    assert seen == [np.ndarray, Tensor]
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])
    np.testing.assert_allclose(g.data, [2.0, 2.0])


def test_gc_threshold_is_relaxed_while_big_graphs_are_built_and_restored_after_a_small_one():
    from autograd.function import _GraphGC

    before = gc.get_threshold()

    def chain(n):
        x = t64([1.0])
        y = x
        for _ in range(n):
            y = y * 1.0
        return x, y.sum()

    x, loss = chain(_GraphGC.relax_at + 10)
    relaxed = gc.get_threshold()
    assert relaxed[2] == max(before[2], _GraphGC.relaxed_threshold)
    assert relaxed[:2] == before[:2]  # young generations are collected as before
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [1.0])
    assert gc.get_threshold() == relaxed  # big graphs keep coming: stays relaxed
    x, loss = chain(10)
    loss.backward()
    assert gc.get_threshold() == before  # a small graph's backward restores it


def test_gc_threshold_a_user_set_meanwhile_is_kept():
    from autograd.function import _GraphGC

    before = gc.get_threshold()
    try:
        x = t64([1.0])
        y = x
        for _ in range(_GraphGC.relax_at + 10):
            y = y * 1.0
        gc.set_threshold(before[0], before[1], 50)
        y.sum().backward()
        (x * 1.0).sum().backward()  # a small graph: the plan would restore now
        assert gc.get_threshold()[2] == 50
    finally:
        gc.set_threshold(*before)


def _owned_spy():
    """A raw op that records whether the engine handed it a gradient buffer of its own."""
    from autograd.grad_mode import state

    seen = []

    class Spy(autograd.Function):
        _raw_backward = True
        _grad_inplace = True

        @staticmethod
        def forward(ctx, x):
            return x.copy()

        @staticmethod
        def backward(ctx, grad):
            seen.append(state.grad_owned)
            if state.grad_owned:
                grad *= 10.0  # allowed: nothing else holds it
                return grad
            return grad * 10.0

    return Spy, seen


def test_a_gradient_buffer_is_handed_over_only_when_nothing_else_holds_it():
    Spy, seen = _owned_spy()
    x = t64([1.0, 2.0])
    (Spy.apply(x * 3.0) * 2.0).sum().backward()  # Mul's backward makes a fresh array
    assert seen == [True]
    np.testing.assert_allclose(x.grad.data, [60.0, 60.0])

    seen.clear()
    a, b = t64([1.0]), t64([2.0])
    # Mul makes a fresh array; Add gives both Spies that same array
    ((Spy.apply(a * 1.0) + Spy.apply(b * 1.0)) * 1.0).sum().backward()
    assert seen == [False, True]  # the first sees the other's reference, the second not
    np.testing.assert_allclose(a.grad.data, [10.0])
    np.testing.assert_allclose(b.grad.data, [10.0])

    seen.clear()
    g = np.ones(2)
    x = t64([1.0, 2.0])
    Spy.apply(x * 1.0).backward(autograd.tensor(g))  # the caller's gradient
    assert seen == [False]
    np.testing.assert_allclose(g, [1.0, 1.0])


def test_relu_backward_in_place_gives_the_same_gradients():
    x1 = t64([-1.0, 0.5, 2.0])
    x2 = t64([3.0, -2.0, 0.0])
    (x1.relu() * 2.0 + x2.relu() * 3.0).relu().sum().backward()
    np.testing.assert_allclose(x1.grad.data, [0.0, 2.0, 2.0])
    np.testing.assert_allclose(x2.grad.data, [3.0, 0.0, 0.0])


def test_a_node_runs_only_after_every_node_that_passes_it_a_gradient():
    # y feeds a one-op branch and a 50-op branch; the short branch's node is recorded
    # last, so y's node would run too early if the engine went by arrival alone.
    x = t64([0.5, -1.0])
    y = x * 2.0
    long = y
    for _ in range(50):
        long = long * 1.0
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()))  # y's whole gradient, once
    (long + y.exp()).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2.0 * (1.0 + np.exp(2.0 * x.data)))
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], 1.0 + np.exp(y.data))


def test_a_node_with_several_outputs_runs_once_with_all_of_their_gradients():
    class Halves(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:2] * 1.0, x[2:] * 1.0

        @staticmethod
        def backward(ctx, ga, gb):
            calls.append((ga.data.copy(), gb.data.copy()))
            return autograd.cat([ga, gb])

    calls = []
    x = t64([1.0, 2.0, 3.0, 4.0])
    a, b = Halves.apply(x * 1.0)
    (a.sum() * 2.0 + (b * 3.0).sum()).backward()  # two outputs reach it at different times
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0, 3.0, 3.0])
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0][0], [2.0, 2.0])
    np.testing.assert_allclose(calls[0][1], [3.0, 3.0])


def test_leaves_get_their_gradients_after_every_node_has_run():
    x, w = t64([1.0, 2.0]), t64([3.0, 4.0])
    order = []
    w.register_hook(lambda g: order.append("w"))
    x.register_hook(lambda g: order.append("x"))

    def step(node, out, inp):
        order.append("Tensor" if isinstance(node, autograd.Tensor) else node.name())

    with autograd.engine.observe(step):
        ((x * w).exp().sum()).backward()
    assert order == ["Sum", "Exp", "Mul", "x", "Tensor", "w", "Tensor"]


def test_nodes_recorded_after_a_backward_or_in_other_threads_keep_the_order():
    import threading

    x = t64([0.3, 0.7])
    (dx,) = autograd.grad((x**3).sum(), x, create_graph=True)  # recorded during a backward
    (dx * x).sum().backward()  # d/dx (3x^2 * x) = 9x^2
    np.testing.assert_allclose(x.grad.data, 9 * x.data**2)

    results = {}

    def worker(k):
        v = t64([float(k), 1.0])
        y = v
        for _ in range(300):
            y = y * 1.0 + 0.0
        (y * y).sum().backward()
        results[k] = v.grad.data.copy()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        np.testing.assert_allclose(results[k], [2.0 * k, 2.0])


def test_grad_with_respect_to_an_intermediate_runs_and_frees_only_the_nodes_above_it():
    # As PyTorch: y's own node is not run, so it keeps what it saved for a later backward.
    x = t64([1.0, 2.0])
    y = x.exp()
    z = (y * 3.0).sum()
    (gy,) = autograd.grad(z, y)
    np.testing.assert_allclose(gy.data, [3.0, 3.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp(x.data))
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        z.backward()  # the nodes above y were run and freed


@pytest.mark.parametrize("op", ["relu", "abs"])
def test_create_graph_gradients_of_kinked_ops_require_grad_as_pytorch(op):
    # PyTorch's formulas depend on the input (threshold_backward, sign) with derivative 0, so
    # the gradient requires grad and differentiates to zeros (it was a constant here).
    x = autograd.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    (g,) = autograd.grad(getattr(x, op)().sum(), x, create_graph=True)
    assert g.requires_grad
    assert g.tolist() == ([0.0, 0.0, 1.0] if op == "relu" else [-1.0, 0.0, 1.0])
    (gg,) = autograd.grad(g.sum(), x)
    assert gg.tolist() == [0.0, 0.0, 0.0]


def test_backward_inputs_fill_a_non_leafs_grad_and_cannot_be_empty():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    w = x * 2.0
    (w * w).sum().backward(inputs=[w, x])
    assert w.grad.tolist() == [4.0, 8.0] and x.grad.tolist() == [8.0, 16.0]  # torch 2.13
    with pytest.raises(RuntimeError, match="'inputs' argument cannot be empty"):
        (x * x).sum().backward(inputs=[])


def test_an_assigned_grad_must_be_a_tensor_of_the_leafs_shape():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    x.grad = np.array([1.0, 2.0], np.float32)  # PyTorch refuses this at the assignment
    with pytest.raises(TypeError, match=r"\.grad must be a Tensor or None, not ndarray"):
        (x * x).sum().backward()
    x.grad = autograd.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match=r"\.grad has shape \(2, 2\), but the tensor has"):
        (x * x).sum().backward()
    x.grad = autograd.tensor([1.0, 1.0])
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0, 5.0]
