"""no_grad / enable_grad / set_grad_enabled and anomaly detection."""

from __future__ import annotations

import numpy as np
import pytest

import autograd


def test_no_grad_context_records_nothing():
    x = autograd.tensor([1.0], requires_grad=True)
    with autograd.no_grad():
        assert not autograd.is_grad_enabled()
        y = x * 2
        with autograd.enable_grad():
            z = x * 2
    assert autograd.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_no_grad_and_enable_grad_as_decorators():
    x = autograd.tensor([1.0], requires_grad=True)

    @autograd.no_grad()
    def f():
        return x * 2

    @autograd.no_grad
    def g():
        return x * 2

    @autograd.enable_grad()
    def h():
        return x * 2

    assert not f().requires_grad and not g().requires_grad
    with autograd.no_grad():
        assert h().requires_grad
    assert f.__name__ == "f"


def test_set_grad_enabled_both_ways():
    autograd.set_grad_enabled(False)
    try:
        assert not autograd.is_grad_enabled()
    finally:
        autograd.set_grad_enabled(True)
    with autograd.set_grad_enabled(False):
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()


def test_no_grad_restores_after_exception():
    with pytest.raises(ValueError):
        with autograd.no_grad():
            raise ValueError
    assert autograd.is_grad_enabled()


def test_anomaly_names_op_and_forward_line():
    x = autograd.tensor([0.0, 1.0], requires_grad=True)
    with autograd.detect_anomaly():
        y = x.sqrt().sum()  # the line the error points at
        with pytest.raises(RuntimeError) as info:
            y.backward()
    msg = str(info.value)
    assert "Sqrt" in msg and "inf" in msg
    assert "test_grad_mode.py" in msg and "x.sqrt().sum()" in msg


def test_anomaly_catches_nan():
    x = autograd.tensor([-1.0], requires_grad=True)

    @autograd.detect_anomaly()
    def run():
        x.sqrt().sum().backward()  # sqrt(-1) is nan, and so is its backward

    with pytest.raises(RuntimeError, match="'SqrtBackward' returned nan"):
        run()


def test_without_anomaly_nan_passes_silently():
    x = autograd.tensor([0.0], requires_grad=True)
    x.sqrt().sum().backward()
    assert np.isinf(x.grad.data).all()
    assert not autograd.is_anomaly_enabled()


def test_decorated_generators_run_each_step_in_the_mode_as_pytorch():
    @autograd.no_grad()
    def steps():
        yield autograd.is_grad_enabled()
        sent = yield "ready"
        yield sent, autograd.is_grad_enabled()

    g = steps()
    assert next(g) is False and autograd.is_grad_enabled()  # the caller keeps its mode
    assert next(g) == "ready" and g.send(7) == (7, False)

    @autograd.set_grad_enabled(False)
    def plain():
        return autograd.is_grad_enabled()

    assert autograd.is_grad_enabled() and plain() is False and autograd.is_grad_enabled()

    @autograd.enable_grad()
    def inner():
        yield autograd.is_grad_enabled()

    with autograd.no_grad():
        assert list(inner()) == [True]


def test_detect_anomaly_without_nan_check_keeps_traces_and_skips_the_check():
    x = autograd.tensor([0.0], requires_grad=True)
    with autograd.detect_anomaly(check_nan=False):
        assert autograd.is_anomaly_enabled()
        (x.sqrt() * 0.0).sum().backward()  # inf * 0: NaN, not checked (as PyTorch)
    assert np.isnan(x.grad.data).all()
