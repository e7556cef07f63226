"""Learning-rate schedulers: lr sequences against closed forms (and PyTorch), state, plateaus."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import autograd
import optim
from optim import lr_scheduler

EPOCHS = 40


def make_opt(lrs: tuple[float, ...] = (0.1,)) -> optim.SGD:
    groups = [{"params": [autograd.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=lrs[0])


def lr_sequence(sched: lr_scheduler.LRScheduler, epochs: int = EPOCHS) -> list[list[float]]:
    """get_last_lr() at epochs 0..epochs-1, stepping optimizer then scheduler as PyTorch asks."""
    out = []
    for _ in range(epochs):
        out.append(sched.get_last_lr())
        sched.optimizer.step()
        sched.step()
    return out


# name -> (make scheduler, closed form lr(base, epoch))
SCHEDULES: dict[str, tuple[Callable[[Any], Any], Callable[[float, int], float]]] = {
    "step": (
        lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
        lambda base, t: base * 0.5 ** (t // 3),
    ),
    "multistep": (
        lambda o: lr_scheduler.MultiStepLR(o, milestones=[20, 5, 12, 12], gamma=0.3),
        lambda base, t: base * 0.3 ** sum(m <= t for m in [5, 12, 12, 20]),
    ),
    "exponential": (
        lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
        lambda base, t: base * 0.9**t,
    ),
    "cosine": (
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
        lambda base, t: 0.001 + (base - 0.001) * (1 + math.cos(math.pi * t / 10)) / 2,
    ),
    "lambda": (
        lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 1 / (1 + epoch) ** 0.5),
        lambda base, t: base / (1 + t) ** 0.5,
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_sequence_matches_the_closed_form(name: str) -> None:
    make, closed = SCHEDULES[name]
    lrs = (0.1, 0.04)
    got = lr_sequence(make(make_opt(lrs)))
    for t, row in enumerate(got):
        for base, lr in zip(lrs, row):
            assert lr == pytest.approx(closed(base, t), rel=1e-12, abs=1e-15), (t, base)
    assert len({round(row[0], 12) for row in got}) > 3  # the schedule did change the lr


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_sequence_is_pytorchs_exactly(name: str) -> None:
    torch = pytest.importorskip("torch")
    make, _ = SCHEDULES[name]
    ours = lr_sequence(make(make_opt((0.1, 0.04))))
    params = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in (0.1, 0.04)]
    topt = torch.optim.SGD(params, lr=0.1)
    tsched = _torch_twin(torch, name, topt)
    theirs = []
    for _ in range(EPOCHS):
        theirs.append(tsched.get_last_lr())
        topt.step()
        tsched.step()
    assert ours == theirs  # the same float arithmetic in the same order: equal, not close


def _torch_twin(torch: Any, name: str, opt: Any) -> Any:
    s = torch.optim.lr_scheduler
    return {
        "step": lambda: s.StepLR(opt, step_size=3, gamma=0.5),
        "multistep": lambda: s.MultiStepLR(opt, milestones=[20, 5, 12, 12], gamma=0.3),
        "exponential": lambda: s.ExponentialLR(opt, gamma=0.9),
        "cosine": lambda: s.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
        "lambda": lambda: s.LambdaLR(opt, lambda epoch: 1 / (1 + epoch) ** 0.5),
    }[name]()


def test_cosine_follows_the_lr_recursively_as_pytorch() -> None:
    opt = make_opt((1.0,))
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    opt.step()
    sched.step()
    assert sched.get_last_lr()[0] == pytest.approx((1 + math.cos(math.pi / 4)) / 2)
    opt.param_groups[0]["lr"] = 0.1  # a change in between is carried along, not overwritten
    opt.step()
    sched.step()
    ratio = (1 + math.cos(math.pi * 2 / 4)) / (1 + math.cos(math.pi / 4))
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * ratio)


def test_construction_sets_initial_lr_base_lrs_and_epoch_0() -> None:
    opt = make_opt((0.1, 0.02))
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02]
    assert sched.base_lrs == [0.1, 0.02] and sched.last_epoch == 0
    assert sched.get_last_lr() == [0.1, 0.02]
    sched.get_last_lr().append(1.0)  # a copy: the scheduler's own list is safe
    assert sched.get_last_lr() == [0.1, 0.02]
    opt.step()
    sched.step()
    assert sched.last_epoch == 1 and [g["lr"] for g in opt.param_groups] == [0.05, 0.01]
    assert opt.state_dict()["param_groups"][0]["initial_lr"] == 0.1


def test_a_second_scheduler_keeps_the_first_initial_lr() -> None:
    opt = make_opt((0.1,))
    first = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    first.step()
    second = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    assert second.base_lrs == [0.1] and opt.param_groups[0]["lr"] == 0.05


def test_resuming_needs_initial_lr() -> None:
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_opt(), step_size=2, last_epoch=5)


def test_scheduler_errors() -> None:
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="step_size must be a positive integer, got 0"):
        lr_scheduler.StepLR(make_opt(), step_size=0)
    with pytest.raises(ValueError, match="T_max must be a positive"):
        lr_scheduler.CosineAnnealingLR(make_opt(), T_max=0)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(make_opt((0.1, 0.2)), [lambda e: 1.0])


def test_step_with_an_epoch_jumps_by_the_closed_form_with_a_warning() -> None:
    opt = make_opt((1.0,))
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(7)
    assert sched.last_epoch == 7 and sched.get_last_lr() == [0.125]


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_state_dict_round_trip_resumes_the_sequence(name: str, tmp_path: Any) -> None:
    make, _ = SCHEDULES[name]
    opt = make_opt((0.1, 0.04))
    sched = make(opt)
    straight = lr_sequence(sched, 25)
    path = tmp_path / "sched.npz"

    opt = make_opt((0.1, 0.04))
    sched = make(opt)
    first = lr_sequence(sched, 9)
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 9 and sd["base_lrs"] == [0.1, 0.04]
    autograd.save({"optim": opt.state_dict(), "sched": sd}, path)

    ckpt = autograd.load(path)
    opt2 = make_opt((0.5, 0.5))  # a fresh run, with other lrs until the checkpoint loads
    sched2 = make(opt2)
    opt2.load_state_dict(ckpt["optim"])
    sched2.load_state_dict(ckpt["sched"])
    assert first + lr_sequence(sched2, 16) == straight
    if name == "multistep":  # autograd.load returns a Counter as a dict: restored as a Counter
        assert isinstance(sched2.milestones, Counter) and sched2.milestones[12] == 2


def test_lambda_lr_state_dict_stores_callable_objects_not_functions() -> None:
    class Warmup:
        def __init__(self, epochs: int) -> None:
            self.epochs = epochs

        def __call__(self, epoch: int) -> float:
            return min(1.0, (epoch + 1) / self.epochs)

    opt = make_opt((0.1, 0.2))
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 0.5**e, Warmup(4)])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"epochs": 4}] and "optimizer" not in sd
    other = lr_scheduler.LambdaLR(make_opt((0.1, 0.2)), [lambda e: 1.0, Warmup(10)])
    other.load_state_dict(sd)
    assert other.lr_lambdas[1].epochs == 4 and other.last_epoch == 0
    assert sd["lr_lambdas"] == [None, {"epochs": 4}]  # loading leaves the dict whole


# -- ReduceLROnPlateau -----------------------------------------------------------------------------
def plateau_lrs(losses: list[float], **kwargs: Any) -> list[float]:
    opt = make_opt((1.0,))
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for loss in losses:
        sched.step(loss)
        out.append(sched.get_last_lr()[0])
    return out


def test_plateau_waits_patience_bad_epochs() -> None:
    # best at epoch 1, then bad epochs 2, 3, 4: the third bad one (> patience=2) reduces
    assert plateau_lrs([5, 4, 4, 4, 4, 4, 4, 4], patience=2, factor=0.5) == [
        1,
        1,
        1,
        1,
        0.5,
        0.5,
        0.5,
        0.25,
    ]


def test_plateau_cooldown_ignores_bad_epochs() -> None:
    got = plateau_lrs([1, 1, 1, 1, 1, 1, 1, 1], patience=0, cooldown=2, factor=0.5)
    assert got == [1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_plateau_threshold_rel_and_abs() -> None:
    # a 0.5% improvement is none with threshold 1% (rel); a 0.02 one is, with threshold 0.01 (abs)
    losses = [1.0, 0.995, 0.990025]
    assert plateau_lrs(losses, patience=1, threshold=0.01) == [1, 1, 0.1]
    assert plateau_lrs(losses, patience=1, threshold=0.001) == [1, 1, 1]
    assert plateau_lrs([1.0, 0.98, 0.96], patience=0, threshold=0.01, threshold_mode="abs") == [
        1,
        1,
        1,
    ]
    assert plateau_lrs([1.0, 0.995], patience=0, threshold=0.01, threshold_mode="abs")[1] == 0.1


def test_plateau_max_mode_min_lr_and_eps() -> None:
    assert plateau_lrs([0.5, 0.6, 0.6], mode="max", patience=0) == [1, 1, 0.1]
    assert plateau_lrs([1, 1, 1, 1], patience=0, min_lr=0.05)[-1] == 0.05
    assert plateau_lrs([1, 1, 1], patience=0, factor=0.5, eps=0.6) == [1, 1, 1]  # 0.5 <= eps


def test_plateau_accepts_a_one_element_tensor_and_per_group_min_lrs() -> None:
    opt = make_opt((1.0, 1.0))
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.5, 0.0])
    for _ in range(3):
        sched.step(autograd.tensor(2.0))
    assert sched.get_last_lr() == pytest.approx([0.5, 0.01])
    assert sched.last_epoch == 3


def test_plateau_state_dict_round_trip(tmp_path: Any) -> None:
    opt = make_opt((1.0,))
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    path = tmp_path / "plateau.npz"
    autograd.save(sched.state_dict(), path)  # best is still inf
    losses = [3.0, 2.0, 2.5, 2.5, 2.5, 2.5, 1.0, 1.5, 1.5, 1.5]
    straight = [(sched.step(x), sched.get_last_lr()[0])[1] for x in losses]

    again = lr_scheduler.ReduceLROnPlateau(make_opt((1.0,)))
    again.load_state_dict(autograd.load(path))
    assert again.best == math.inf and again.patience == 1 and again.cooldown == 1
    resumed = [(again.step(x), again.get_last_lr()[0])[1] for x in losses]
    assert resumed == straight and min(straight) < 1.0
    assert set(sched.state_dict()) >= {"best", "num_bad_epochs", "cooldown_counter", "_last_lr"}


def test_plateau_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    losses = [3, 2, 2.5, 2.5, 2.5, 1.99, 2, 2, 2, 2, 1, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5]
    ours = plateau_lrs(losses, patience=2, cooldown=1, factor=0.3, threshold=0.01, min_lr=0.02)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        topt, patience=2, cooldown=1, factor=0.3, threshold=0.01, min_lr=0.02
    )
    theirs = []
    for loss in losses:
        tsched.step(loss)
        theirs.append(tsched.get_last_lr()[0])
    assert ours == theirs


def test_plateau_errors() -> None:
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(make_opt(), factor=1.0)
    with pytest.raises(ValueError, match="mode maxi is unknown"):
        lr_scheduler.ReduceLROnPlateau(make_opt(), mode="maxi")
    with pytest.raises(ValueError, match="threshold mode relative is unknown"):
        lr_scheduler.ReduceLROnPlateau(make_opt(), threshold_mode="relative")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        lr_scheduler.ReduceLROnPlateau(make_opt((0.1, 0.2)), min_lr=[0.0])
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.ReduceLROnPlateau(object())  # type: ignore[arg-type]


def test_a_group_added_after_the_scheduler_is_an_error_where_pytorch_raises() -> None:
    # PyTorch pairs rates and groups with a strict zip: LambdaLR raises at its first step,
    # CosineAnnealingLR at its trough (T_max=2: the third step); StepLR scales every group.
    opt = make_opt()
    sched: lr_scheduler.LRScheduler = lr_scheduler.LambdaLR(opt, lambda e: 0.5**e)
    opt.add_param_group({"params": [autograd.zeros(1, requires_grad=True)], "lr": 0.3})
    with pytest.raises(ValueError, match="LambdaLR.step: the optimizer has 2 parameter groups"):
        sched.step()
    opt = make_opt((1.0,))
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=2)
    opt.add_param_group({"params": [autograd.zeros(1, requires_grad=True)], "lr": 0.3})
    sched.step()
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.0, 0.0])
    with pytest.raises(ValueError, match="gave 1 learning rates"):
        sched.step()
    opt = make_opt((1.0,))
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.add_param_group({"params": [autograd.zeros(1, requires_grad=True)], "lr": 0.3})
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.5, 0.15])
