"""Optimizers: trajectories against the update formulas in NumPy, groups, errors, and resuming."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
import optim
from autograd import Tensor
from optim.optimizer import required

STEPS = 30
START = (-7.0, 2.0)  # the seeds' starting point on f(x, y) = x^2 / 20 + y^2
SCALE = np.array([1 / 20, 1.0])


def f_grad(theta: np.ndarray) -> np.ndarray:
    """The gradient of f(x, y) = x^2 / 20 + y^2: (x / 10, 2 y)."""
    return np.array([theta[0] / 10, 2 * theta[1]])


def run_ours(make: Callable[[list[Tensor]], optim.Optimizer], steps: int = STEPS) -> np.ndarray:
    """Minimize f with x and y as two 0-d float64 parameters; the path, shape (steps + 1, 2)."""
    x = autograd.tensor(np.float64(START[0]), requires_grad=True)
    y = autograd.tensor(np.float64(START[1]), requires_grad=True)
    opt = make([x, y])
    path = [(x.item(), y.item())]
    for _ in range(steps):
        opt.zero_grad()
        (x**2 / 20 + y**2).backward()
        opt.step()
        path.append((x.item(), y.item()))
    return np.array(path)


def run_reference(update: Callable[[np.ndarray, np.ndarray, int], None]) -> np.ndarray:
    """The same walk with ``update(theta, grad, t)`` written out in NumPy."""
    theta = np.array(START)
    path = [theta.copy()]
    for t in range(1, STEPS + 1):
        update(theta, f_grad(theta), t)
        path.append(theta.copy())
    return np.array(path)


def assert_same_path(ours: np.ndarray, ref: np.ndarray) -> None:
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)
    assert not np.allclose(ours[-1], ours[0])  # it moved


# -- the seeds' formulas ---------------------------------------------------------------------------
def test_sgd_is_theta_minus_lr_grad() -> None:
    def update(theta, g, t):
        theta -= 0.95 * g

    assert_same_path(run_ours(lambda p: optim.SGD(p, lr=0.95)), run_reference(update))


def test_momentum_seed_form_equals_pytorch_form_with_constant_lr() -> None:
    lr, gamma = 0.1, 0.9
    v = np.zeros(2)

    def seed(theta, g, t):  # v = gamma v + lr grad; theta -= v
        v[:] = gamma * v + lr * g
        theta -= v

    b = np.zeros(2)

    def pytorch(theta, g, t):  # b = gamma b + grad (b = grad at first); theta -= lr b
        b[:] = g if t == 1 else gamma * b + g
        theta -= lr * b

    ours = run_ours(lambda p: optim.SGD(p, lr=lr, momentum=gamma))
    assert_same_path(ours, run_reference(seed))
    assert_same_path(ours, run_reference(pytorch))


def test_momentum_with_dampening_weight_decay_and_maximize() -> None:
    lr, mu, damp, wd = 0.05, 0.8, 0.3, 0.07
    b = np.zeros(2)

    def update(theta, g, t):  # maximize -f: ascend on f's negative, decay pulls towards 0
        g = -g + wd * theta
        b[:] = g if t == 1 else mu * b + (1 - damp) * g
        theta -= lr * b

    ours = run_ours(
        lambda p: optim.SGD(p, lr=lr, momentum=mu, dampening=damp, weight_decay=wd, maximize=True)
    )
    assert_same_path(ours, run_reference(update))


def test_nesterov() -> None:
    lr, mu = 0.1, 0.9
    b = np.zeros(2)

    def update(theta, g, t):
        b[:] = g if t == 1 else mu * b + g
        theta -= lr * (g + mu * b)

    assert_same_path(
        run_ours(lambda p: optim.SGD(p, lr=lr, momentum=mu, nesterov=True)), run_reference(update)
    )


def test_adagrad_seed_form() -> None:
    lr, eps = 1.5, 1e-10
    h = np.zeros(2)

    def update(theta, g, t):  # h += g * g; theta -= lr g / (sqrt(h) + eps)
        h[:] += g * g
        theta -= lr * g / (np.sqrt(h) + eps)

    assert_same_path(run_ours(lambda p: optim.Adagrad(p, lr=lr)), run_reference(update))


def test_adagrad_lr_decay_initial_accumulator_and_weight_decay() -> None:
    lr, decay, h0, wd, eps = 0.5, 0.1, 0.3, 0.05, 1e-6
    h = np.full(2, h0)

    def update(theta, g, t):
        g = g + wd * theta
        h[:] += g * g
        theta -= lr / (1 + (t - 1) * decay) * g / (np.sqrt(h) + eps)

    ours = run_ours(
        lambda p: optim.Adagrad(
            p, lr=lr, lr_decay=decay, weight_decay=wd, initial_accumulator_value=h0, eps=eps
        )
    )
    assert_same_path(ours, run_reference(update))


def adam_reference(
    lr: float,
    b1: float,
    b2: float,
    eps: float = 1e-8,
    wd: float = 0.0,
    amsgrad: bool = False,
    decoupled: bool = False,
    maximize: bool = False,
) -> np.ndarray:
    """Kingma and Ba's Algorithm 1 with bias correction (plus AMSGrad and the two decays)."""
    m, v, v_max = np.zeros(2), np.zeros(2), np.zeros(2)

    def update(theta, g, t):
        g = -g if maximize else g
        if decoupled:
            theta *= 1 - lr * wd
        else:
            g = g + wd * theta
        m[:] = b1 * m + (1 - b1) * g
        v[:] = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_max[:] = np.maximum(v_max, v)
        v_hat = (v_max if amsgrad else v) / (1 - b2**t)
        theta -= lr * m_hat / (np.sqrt(v_hat) + eps)

    return run_reference(update)


def test_adam_with_bias_correction() -> None:
    ours = run_ours(lambda p: optim.Adam(p, lr=0.3))
    assert_same_path(ours, adam_reference(0.3, 0.9, 0.999))
    # the first step is lr * sign(grad): the bias correction undoes the zero start
    np.testing.assert_allclose(ours[1], np.array(START) - 0.3 * np.sign(START), rtol=1e-9)


def test_adam_amsgrad_weight_decay_maximize() -> None:
    ours = run_ours(
        lambda p: optim.Adam(
            p, lr=0.2, betas=(0.8, 0.95), weight_decay=0.07, amsgrad=True, maximize=True
        )
    )
    ref = adam_reference(0.2, 0.8, 0.95, wd=0.07, amsgrad=True, maximize=True)
    assert_same_path(ours, ref)


def test_amsgrad_changes_the_path() -> None:
    plain = run_ours(lambda p: optim.Adam(p, lr=0.3, betas=(0.5, 0.5)))
    ams = run_ours(lambda p: optim.Adam(p, lr=0.3, betas=(0.5, 0.5), amsgrad=True))
    assert_same_path(ams, adam_reference(0.3, 0.5, 0.5, amsgrad=True))
    assert not np.allclose(plain, ams)


def test_adamw_decays_the_weights_directly() -> None:
    ours = run_ours(lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.5))
    assert_same_path(ours, adam_reference(0.1, 0.9, 0.999, wd=0.5, decoupled=True))
    coupled = run_ours(lambda p: optim.Adam(p, lr=0.1, weight_decay=0.5))
    assert not np.allclose(ours, coupled)
    same = run_ours(lambda p: optim.Adam(p, lr=0.1, weight_decay=0.5, decoupled_weight_decay=True))
    np.testing.assert_array_equal(ours, same)
    assert optim.AdamW([autograd.zeros(1, requires_grad=True)]).defaults["weight_decay"] == 1e-2


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop(centered: bool, momentum: float) -> None:
    lr, alpha, eps, wd = 0.05, 0.9, 1e-8, 0.01
    sq, avg, buf = np.zeros(2), np.zeros(2), np.zeros(2)

    def update(theta, g, t):
        g = g + wd * theta
        sq[:] = alpha * sq + (1 - alpha) * g * g
        if centered:  # normalize by the running variance instead of the second moment
            avg[:] = alpha * avg + (1 - alpha) * g
            scale = np.sqrt(sq - avg * avg) + eps
        else:
            scale = np.sqrt(sq) + eps
        if momentum:
            buf[:] = momentum * buf + g / scale
            theta -= lr * buf
        else:
            theta -= lr * g / scale

    ours = run_ours(
        lambda p: optim.RMSprop(
            p, lr=lr, alpha=alpha, eps=eps, weight_decay=wd, momentum=momentum, centered=centered
        )
    )
    assert_same_path(ours, run_reference(update))


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW])
def test_maximize_f_is_minimize_minus_f(cls: type) -> None:
    paths = []
    for sign, maximize in ((1.0, True), (-1.0, False)):
        w = autograd.tensor(np.array(START), requires_grad=True)
        opt = cls([w], lr=0.01, maximize=maximize)
        for _ in range(10):
            opt.zero_grad()
            (sign * (w * w * autograd.tensor(SCALE)).sum()).backward()
            opt.step()
        paths.append(w.data)
    np.testing.assert_array_equal(paths[0], paths[1])
    assert abs(paths[0][1]) > abs(START[1])  # uphill: away from the minimum at 0


def test_every_optimizer_descends_f() -> None:
    f = lambda path: path[:, 0] ** 2 / 20 + path[:, 1] ** 2
    for make in ALL.values():
        path = run_ours(make, steps=100)
        assert f(path)[-1] < 0.1 * f(path)[0], make


# -- the optimizers, as a table --------------------------------------------------------------------
ALL: dict[str, Callable[[Any], optim.Optimizer]] = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
    "nesterov": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.5, lr_decay=0.01),
    "rmsprop": lambda p: optim.RMSprop(p, lr=0.02, momentum=0.5, centered=True),
    "adam": lambda p: optim.Adam(p, lr=0.1),
    "amsgrad": lambda p: optim.Adam(p, lr=0.1, amsgrad=True, weight_decay=0.01),
    "adamw": lambda p: optim.AdamW(p, lr=0.1),
}


def problem(dtype: Any = np.float32, seed: int = 0) -> tuple[list[Tensor], Callable[[], Tensor]]:
    """Two parameters and a non-quadratic loss of them (each step's gradient differs)."""
    rng = np.random.default_rng(seed)
    w = autograd.tensor(rng.standard_normal((3, 4)).astype(dtype), requires_grad=True)
    b = autograd.tensor(rng.standard_normal(4).astype(dtype), requires_grad=True)
    x = autograd.tensor(rng.standard_normal((5, 3)).astype(dtype))
    target = autograd.tensor(rng.standard_normal((5, 4)).astype(dtype))
    return [w, b], lambda: (((x @ w + b).tanh() - target) ** 2).sum()


def train(opt: optim.Optimizer, loss_fn: Callable[[], Tensor], steps: int) -> None:
    for _ in range(steps):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()


@pytest.mark.parametrize("name", list(ALL))
def test_float32_stays_float32(name: str) -> None:
    params, loss_fn = problem(np.float32)
    opt = ALL[name](params)
    train(opt, loss_fn, 3)
    for p in params:
        assert p.dtype == np.float32
        for key, value in opt.state[p].items():
            assert isinstance(value, Tensor), key
            assert value.dtype == np.float32, key  # 'step' too, as PyTorch's tensor(3.)


@pytest.mark.parametrize("name", list(ALL))
def test_float32_follows_the_float64_path(name: str) -> None:
    ends = []
    for dtype in (np.float32, np.float64):
        params, loss_fn = problem(dtype)
        train(ALL[name](params), loss_fn, 10)
        ends.append(params[0].data.astype(np.float64))
    np.testing.assert_allclose(ends[0], ends[1], rtol=1e-4, atol=1e-5)


def test_step_counters_and_state_keys_as_pytorch() -> None:
    keys = {
        "sgd": set(),  # no momentum: no state at all
        "momentum": {"momentum_buffer"},
        "adagrad": {"step", "sum"},
        "rmsprop": {"step", "square_avg", "momentum_buffer", "grad_avg"},
        "adam": {"step", "exp_avg", "exp_avg_sq"},
        "amsgrad": {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    }
    for name, expected in keys.items():
        params, loss_fn = problem()
        opt = ALL[name](params)
        train(opt, loss_fn, 4)
        state = opt.state_dict()["state"]
        if not expected:
            assert state == {}
            continue
        assert set(state) == {0, 1}
        assert set(state[0]) == expected, name
        if "step" in expected:
            assert state[0]["step"].shape == () and state[0]["step"].item() == 4.0


def test_adagrad_creates_its_state_up_front() -> None:
    params, _ = problem()
    opt = optim.Adagrad(params, initial_accumulator_value=0.25)
    assert opt.state[params[0]]["step"].item() == 0.0
    np.testing.assert_array_equal(opt.state[params[1]]["sum"].data, np.full(4, 0.25, np.float32))


def test_parameters_without_grad_are_skipped() -> None:
    a = autograd.ones(2, requires_grad=True)
    b = autograd.ones(2, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * 3).sum().backward()
    version = b._version_count
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2, np.float32))
    assert b._version_count == version and b not in opt.state
    assert not np.array_equal(a.data, np.ones(2, np.float32)) and a in opt.state


def test_step_is_in_place_and_bumps_the_version() -> None:
    w = autograd.tensor([1.0, 2.0], requires_grad=True)
    data = w.data
    opt = optim.SGD([w], lr=0.1)
    y = (w * w).sum()  # saves w for backward
    y.backward(retain_graph=True)
    version = w._version_count
    opt.step()
    assert w.data is data and w._version_count == version + 1
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    with pytest.raises(RuntimeError, match="modified by an inplace operation|version"):
        y.backward()  # w changed since the forward pass: a stale gradient would be wrong


def test_step_runs_without_recording() -> None:
    params, loss_fn = problem()
    opt = optim.Adam(params)
    loss_fn().backward()
    opt.step()
    assert all(p.grad_fn is None and p.is_leaf for p in params)
    assert all(s.grad_fn is None for s in opt.state[params[0]].values())


def test_step_with_closure_returns_the_loss_and_records_it() -> None:
    params, loss_fn = problem()
    opt = optim.SGD(params, lr=0.1)
    seen = []

    def closure() -> Tensor:
        opt.zero_grad()
        loss = loss_fn()
        seen.append(autograd.is_grad_enabled())
        loss.backward()
        return loss

    with autograd.no_grad():  # the closure gets gradients even so, as in PyTorch
        first = opt.step(closure)
    second = opt.step(closure)
    assert seen == [True, True]
    assert isinstance(first, Tensor) and second.item() < first.item()
    assert opt.step() is None


def test_a_gradient_of_the_wrong_shape_is_named() -> None:
    w = autograd.ones(3, requires_grad=True)
    opt = optim.Adam([w])
    w.grad = autograd.ones(2)
    with pytest.raises(
        RuntimeError, match=r"Adam.step: a parameter of shape \(3,\) has a gradient of shape \(2,\)"
    ):
        opt.step()


def test_zero_grad() -> None:
    w = autograd.ones(3, requires_grad=True)
    opt = optim.SGD([w])
    (w * 2).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and np.array_equal(w.grad.data, np.zeros(3, np.float32))
    opt.zero_grad()
    assert w.grad is None
    opt.zero_grad()  # no gradients: nothing to do


def test_zero_grad_of_a_create_graph_gradient_detaches_it() -> None:
    w = autograd.ones(2, requires_grad=True)
    opt = optim.SGD([w])
    (w**3).sum().backward(create_graph=True)
    assert w.grad.requires_grad
    opt.zero_grad(set_to_none=False)
    assert w.grad.grad_fn is None and not w.grad.requires_grad
    np.testing.assert_array_equal(w.grad.data, np.zeros(2, np.float32))


# -- parameter groups ------------------------------------------------------------------------------
def test_param_groups_have_their_own_options() -> None:
    a = autograd.ones(2, requires_grad=True)
    b = autograd.ones(2, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"][0] is b  # a lone tensor becomes a list
    assert set(opt.defaults) == {
        "lr",
        "momentum",
        "dampening",
        "weight_decay",
        "nesterov",
        "maximize",
    }
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_allclose(a.data, [0.9, 0.9])
    np.testing.assert_allclose(b.data, [0.5, 0.5])
    assert set(opt.state) == {b}  # only b's group has momentum


def test_adagrad_sums_start_at_the_constructors_value_as_pytorch() -> None:
    # PyTorch fills every parameter's sum from the constructor's initial_accumulator_value,
    # for its own groups and for groups added later, whatever the group says (torch 2.13:
    # both sums 1.7 after one step with a gradient of 1, both parameters 0.9233035011211453).
    p = autograd.tensor(np.array([1.0]), requires_grad=True)
    q = autograd.tensor(np.array([1.0]), requires_grad=True)
    groups = [{"params": [p], "initial_accumulator_value": 5.0}]
    opt = optim.Adagrad(groups, lr=0.1, initial_accumulator_value=0.7)
    opt.add_param_group({"params": [q], "initial_accumulator_value": 2.0})
    p.grad = autograd.tensor(np.array([1.0]))
    q.grad = autograd.tensor(np.array([1.0]))
    opt.step()
    for t in (p, q):
        np.testing.assert_allclose(opt.state[t]["sum"].data, [1.7], rtol=1e-15)
        np.testing.assert_allclose(t.data, [0.9233035011211453], rtol=1e-15)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop"])
def test_inf_gradients_give_nan_silently_as_pytorch(name: str) -> None:
    # torch 2.13, float32, lr=0.1, gradients (inf, 1): SGD (weight_decay=0.1) -inf; the others
    # NaN for the first element and their usual step for the second.
    second = {"SGD": 1.88, "Adam": 1.9, "AdamW": 1.898, "Adagrad": 1.9, "RMSprop": 1.0}
    w = autograd.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    kwargs = {"weight_decay": 0.1} if name == "SGD" else {}
    opt = getattr(optim, name)([w], lr=0.1, **kwargs)
    w.grad = autograd.tensor(np.array([np.inf, 1.0], np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning gets out
        opt.step()
    first = -np.inf if name == "SGD" else np.nan
    np.testing.assert_allclose(w.data, [first, second[name]], rtol=1e-6)


def test_zero_gradient_with_eps_0_gives_nan_silently_as_pytorch() -> None:
    w = autograd.tensor(np.array([1.0]), requires_grad=True)
    opt = optim.Adam([w], lr=0.1, eps=0.0)
    w.grad = autograd.tensor(np.array([0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    assert np.isnan(w.data).all()


def test_add_param_group() -> None:
    a = autograd.ones(1, requires_grad=True)
    c = autograd.ones(1, requires_grad=True)
    opt = optim.Adam([a], lr=0.1)
    group = {"params": [c], "betas": (0.5, 0.6)}
    opt.add_param_group(group)
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.5, 0.6)
    assert "lr" not in group  # the caller's dict is left alone
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        opt.add_param_group({"params": [autograd.ones(1, requires_grad=True)], "lr": -1})
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([c])  # type: ignore[arg-type]
    assert len(opt.param_groups) == 2


def test_named_parameters_are_accepted() -> None:
    a = autograd.ones(1, requires_grad=True)
    opt = optim.SGD([("a", a)], lr=0.1)
    assert opt.param_groups[0]["params"] == [a] and opt.param_groups[0]["param_names"] == ["a"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["a"]


class NeedsLr(optim.Optimizer):
    """An optimizer whose lr has no default."""

    def __init__(self, params: Any, lr: Any = required) -> None:
        super().__init__(params, {"lr": lr})

    def update_one(self, param, grad, state, group) -> None:
        param -= group["lr"] * grad


def test_a_required_option_must_be_set() -> None:
    w = autograd.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="required optimization parameter lr"):
        NeedsLr([w])
    opt = NeedsLr([{"params": [w], "lr": 0.5}])
    w.sum().backward()
    opt.step()
    assert w.item() == 0.5


def test_a_custom_rule_is_one_method() -> None:
    w = autograd.ones(1, requires_grad=True)
    opt = NeedsLr([w], lr=0.25)
    (w * 2).sum().backward()
    opt.step()
    assert w.item() == 0.5
    assert "NeedsLr (" in repr(opt) and "lr: 0.25" in repr(opt)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ([], ValueError, "optimizer got an empty parameter list"),
        (iter([]), ValueError, "optimizer got an empty parameter list"),
        (autograd.ones(2, requires_grad=True), TypeError, "iterable of Tensors or dicts"),
        ({autograd.ones(2, requires_grad=True)}, TypeError, "ordered collections"),
        ([np.ones(2)], TypeError, "can only optimize Tensors, but one of the params is ndarray"),
        ([autograd.ones(2, requires_grad=True) * 2], ValueError, "non-leaf"),
        ([{"lr": 0.1}], ValueError, "'params'"),
    ],
    ids=["empty", "empty-iterator", "tensor", "set", "array", "non-leaf", "no-params"],
)
def test_bad_params(params: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        optim.SGD(params, lr=0.1)


def test_a_parameter_twice_is_an_error() -> None:
    w = autograd.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="duplicate parameters"):
        optim.SGD([w, w])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda p: optim.SGD(p, momentum=-1), "Invalid momentum value: -1"),
        (lambda p: optim.SGD(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum"),
        (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
        (lambda p: optim.SGD(p, lr=float("nan")), "Invalid learning rate: nan"),
        (lambda p: optim.Adagrad(p, lr=-1), "Invalid learning rate: -1"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
        (lambda p: optim.Adagrad(p, eps=-1), "Invalid epsilon value: -1"),
        (lambda p: optim.Adagrad(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (
            lambda p: optim.Adagrad(p, initial_accumulator_value=-1),
            "Invalid initial_accumulator_value value: -1",
        ),
        (lambda p: optim.RMSprop(p, lr=-1), "Invalid learning rate: -1"),
        (lambda p: optim.RMSprop(p, alpha=-1), "Invalid alpha value: -1"),
        (lambda p: optim.RMSprop(p, eps=-1), "Invalid epsilon value: -1"),
        (lambda p: optim.RMSprop(p, momentum=-1), "Invalid momentum value: -1"),
        (lambda p: optim.RMSprop(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda p: optim.Adam(p, lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda p: optim.Adam(p, betas=(1.5, 0.999)), "Invalid beta parameter at index 0: 1.5"),
        (lambda p: optim.Adam(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
        (lambda p: optim.Adam(p, betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
        (lambda p: optim.Adam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
        (lambda p: optim.Adam(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda p: optim.AdamW(p, betas=(0.9, 2.0)), "Invalid beta parameter at index 1: 2.0"),
        (lambda p: optim.AdamW(p, weight_decay=-0.5), "Invalid weight_decay value: -0.5"),
    ],
)
def test_invalid_hyper_parameters_are_named(make: Callable[[Any], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make([autograd.ones(1, requires_grad=True)])


def test_an_invalid_group_option_is_caught_too() -> None:
    w = autograd.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid momentum value: -0.5"):
        optim.SGD([{"params": [w], "momentum": -0.5}], lr=0.1)


# -- state_dict and resuming -----------------------------------------------------------------------
def test_state_dict_layout_is_pytorchs() -> None:
    params, loss_fn = problem()
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], lr=0.1)
    train(opt, loss_fn, 2)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"]) == {0, 1}
    assert sd["state"][1]["exp_avg"].shape == (4,)
    assert all(isinstance(v, Tensor) for s in sd["state"].values() for v in s.values())
    assert all(isinstance(k, int) for k in sd["state"])
    assert "params" in opt.param_groups[0] and opt.param_groups[0]["params"][0] is params[0]


def snapshot(params: list[Tensor], opt: optim.Optimizer, path: Any) -> None:
    autograd.save({"params": [p.detach() for p in params], "optim": opt.state_dict()}, path)


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resume_through_save_and_load_is_bit_for_bit(name: str, dtype: Any, tmp_path: Any) -> None:
    params, loss_fn = problem(dtype)
    straight = ALL[name](params)
    train(straight, loss_fn, 4)
    path = tmp_path / "ckpt.npz"
    snapshot(params, straight, path)
    train(straight, loss_fn, 6)  # uninterrupted: 10 steps

    ckpt = autograd.load(path)
    params2, loss_fn2 = problem(dtype)  # a fresh process would rebuild model and optimizer
    for p, saved in zip(params2, ckpt["params"]):
        with autograd.no_grad():
            p.copy_(saved)
    resumed = ALL[name](params2)
    resumed.load_state_dict(ckpt["optim"])
    train(resumed, loss_fn2, 6)
    for p, q in zip(params, params2):
        assert p.dtype == q.dtype == dtype
        np.testing.assert_array_equal(p.data, q.data)
    for key, value in straight.state[params[0]].items():
        np.testing.assert_array_equal(value.data, resumed.state[params2[0]][key].data)


def test_resume_restores_the_options_too() -> None:
    params, loss_fn = problem()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    train(opt, loss_fn, 1)
    opt.param_groups[0]["lr"] = 0.01
    params2, _ = problem()
    other = optim.SGD(params2, lr=0.5)
    other.load_state_dict(opt.state_dict())
    assert other.param_groups[0]["lr"] == 0.01 and other.param_groups[0]["momentum"] == 0.9
    assert other.param_groups[0]["params"][0] is params2[0]


def test_loaded_state_is_cast_to_the_parameters_dtype() -> None:
    params64, loss_fn = problem(np.float64)
    opt64 = optim.Adam(params64)
    train(opt64, loss_fn, 2)
    sd = opt64.state_dict()
    params32, _ = problem(np.float32)
    opt32 = optim.Adam(params32)
    opt32.load_state_dict(sd)
    state = opt32.state[params32[0]]
    assert state["exp_avg"].dtype == np.float32 and state["step"].dtype == np.float32
    np.testing.assert_allclose(state["exp_avg"].data, sd["state"][0]["exp_avg"].data, rtol=1e-6)
    assert state["step"].item() == 2.0


def test_loaded_state_is_a_copy() -> None:
    params, loss_fn = problem()
    opt = optim.Adam(params)
    train(opt, loss_fn, 2)
    sd = opt.state_dict()
    one, two = optim.Adam(problem()[0]), optim.Adam(problem()[0])
    one.load_state_dict(sd)
    two.load_state_dict(sd)  # two optimizers from one checkpoint must not share buffers
    for key in ("step", "exp_avg", "exp_avg_sq"):
        ours = one.state[one.param_groups[0]["params"][0]][key].data
        assert not np.shares_memory(ours, sd["state"][0][key].data), key
        assert not np.shares_memory(ours, two.state[two.param_groups[0]["params"][0]][key].data)


def test_a_plain_number_step_is_accepted() -> None:
    params, loss_fn = problem()
    opt = optim.Adam(params)
    train(opt, loss_fn, 3)
    sd = opt.state_dict()
    for s in sd["state"].values():
        s["step"] = 3  # PyTorch's old format
    opt2 = optim.Adam(problem()[0])
    opt2.load_state_dict(sd)
    step = opt2.state[opt2.param_groups[0]["params"][0]]["step"]
    assert isinstance(step, Tensor) and step.dtype == np.float32 and step.item() == 3.0


def test_adam_state_loads_into_adamw_as_adamw() -> None:
    params, loss_fn = problem()
    adam = optim.Adam(params, weight_decay=0.1)
    train(adam, loss_fn, 1)
    adamw = optim.AdamW(problem()[0])
    adamw.load_state_dict(adam.state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])),
            "number of parameter groups: 2 saved, 1",
        ),
        (lambda sd: sd["param_groups"][0]["params"].pop(), "group 0 has 1 parameters saved, 2"),
        (lambda sd: sd["state"].__setitem__(7, {}), "parameter index 7"),
        (
            lambda sd: sd["state"][0].__setitem__("exp_avg", autograd.zeros(2)),
            r"'exp_avg' of shape \(2,\)",
        ),
        (lambda sd: sd.pop("state"), "'state' and 'param_groups'"),
        (lambda sd: sd["param_groups"][0].__setitem__("lr", -2.0), "Invalid learning rate: -2.0"),
    ],
    ids=["groups", "group-size", "index", "shape", "not-a-state-dict", "bad-option"],
)
def test_load_state_dict_errors(edit: Callable[[dict[str, Any]], Any], message: str) -> None:
    params, loss_fn = problem()
    opt = optim.Adam(params)
    train(opt, loss_fn, 1)
    sd = opt.state_dict()
    edit(sd)
    fresh = optim.Adam(problem()[0])
    before = fresh.param_groups
    with pytest.raises(ValueError, match=message):
        fresh.load_state_dict(sd)
    assert fresh.param_groups is before and len(fresh.state) == 0  # nothing half-loaded


def test_optim_does_not_import_nn() -> None:
    code = "import sys, optim; assert 'nn' not in sys.modules, 'optim imported nn'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# -- PyTorch as an oracle (optional: only where torch is installed) -------------------------------
TORCH_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, maximize=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, betas=(0.8, 0.99))),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("name, kwargs", TORCH_CASES)
def test_matches_torch(name: str, kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    start = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(20)]
    ours = autograd.tensor(start, requires_grad=True)
    theirs = torch.tensor(start, requires_grad=True)
    opt = getattr(optim, name)([ours], **kwargs)
    ref = getattr(torch.optim, name)([theirs], foreach=False, **kwargs)
    for g in grads:
        ours.grad = autograd.tensor(g + 0.5 * ours.data)
        theirs.grad = torch.tensor(g) + 0.5 * theirs.detach()
        opt.step()
        ref.step()
    # float64 agrees to rounding (PyTorch fuses some multiply-adds, NumPy cannot)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    ours_sd, ref_sd = opt.state_dict(), ref.state_dict()
    assert set(ours_sd["state"][0]) == set(ref_sd["state"][0])
    for key, value in ref_sd["state"][0].items():
        np.testing.assert_allclose(ours_sd["state"][0][key].data, value.numpy(), rtol=1e-12)
    ref_options = set(ref_sd["param_groups"][0]) - {
        "foreach",
        "capturable",
        "differentiable",
        "fused",
    }
    assert set(ours_sd["param_groups"][0]) == ref_options
