"""Checkpoints: model and optimizer state through autograd.save/load; resume == no break."""

from __future__ import annotations

import numpy as np

import autograd
import nn
import optim


def make_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(3 * 5 * 5, 4),
    )


def data(step: int) -> tuple[autograd.Tensor, autograd.Tensor]:
    rng = np.random.default_rng(step)
    x = autograd.tensor(rng.standard_normal((6, 1, 5, 5)).astype(np.float32))
    y = autograd.tensor(rng.integers(0, 4, 6))
    return x, y


def train(model, opt, sched, steps: range) -> list[float]:
    losses = []
    for step in steps:
        autograd.manual_seed(1000 + step)  # dropout masks depend on the step only
        x, y = data(step)
        loss = ((model(x).log_softmax(1)[autograd.arange(6), y]) * -1.0).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


def fresh():
    autograd.manual_seed(0)
    model = make_model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def test_model_state_dict_round_trip(tmp_path):
    model, _, _ = fresh()
    path = tmp_path / "model.npz"
    autograd.save(model.state_dict(), path)
    loaded = autograd.load(path)
    assert list(loaded) == list(model.state_dict())
    assert loaded["1.num_batches_tracked"].dtype == np.int64
    autograd.manual_seed(99)
    other = make_model()
    other.load_state_dict(loaded)
    for (k, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        assert a.dtype == b.dtype and np.array_equal(a.data, b.data), k
    model.eval()
    other.eval()
    x, _ = data(0)
    assert np.array_equal(model(x).data, other(x).data)


def test_resumed_training_equals_uninterrupted(tmp_path):
    model, opt, sched = fresh()
    straight = train(model, opt, sched, range(6))
    final = {k: v.data.copy() for k, v in model.state_dict().items()}

    model, opt, sched = fresh()
    first = train(model, opt, sched, range(3))
    path = tmp_path / "ckpt.npz"
    autograd.save(
        {"model": model.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict()},
        path,
    )
    ckpt = autograd.load(path)
    model, opt, sched = fresh()  # a new process would start here
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optim"])
    sched.load_state_dict(ckpt["sched"])
    second = train(model, opt, sched, range(3, 6))

    assert first + second == straight
    for k, v in model.state_dict().items():
        assert np.array_equal(v.data, final[k]), k
    assert sched.get_last_lr() == [0.1 * 0.5**3]
