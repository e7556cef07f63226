"""Switches that decide whether ops are recorded: no_grad, enable_grad, set_grad_enabled."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    grad_enabled: bool = True
    anomaly: bool = False
    anomaly_check_nan: bool = True  # detect_anomaly(check_nan=False): traces, no NaN check
    # Set by the engine while a backward without create_graph runs: ops whose backward works
    # on NumPy arrays (``Function._raw_backward``) get arrays from ``saved_tensors``.
    raw: bool = False
    # Set by the engine around the backward of an op with ``Function._grad_inplace`` when the
    # gradient array it passes is the engine's own buffer, held by nothing else.
    grad_owned: bool = False


state = _State()


def is_grad_enabled() -> bool:
    """Whether new ops are recorded for backward (True unless inside ``no_grad()``)."""
    return state.grad_enabled


class _GradModeContext:
    """Base of the grad-mode switches: a context manager that also decorates functions."""

    _mode: bool

    def __new__(cls, func: Any = None) -> Any:
        self = super().__new__(cls)
        if callable(func):  # used bare, as ``@no_grad``
            return self(func)
        return self

    def __init__(self, func: Any = None) -> None:
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(state.grad_enabled)
        state.grad_enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self._prev.pop()

    def __call__(self, func: F) -> F:
        return _decorate(self.__class__, func)


def _decorate(context: Callable[[], Any], func: F) -> F:
    """``func`` run inside a fresh ``context()`` each call; for a generator function, each
    step of the generator (as PyTorch's decorators do: the body runs between steps)."""
    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def generator(*args: Any, **kwargs: Any) -> Any:
            gen = func(*args, **kwargs)
            try:
                with context():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with context():
                            gen.close()
                        raise
                    except BaseException as e:
                        with context():
                            response = gen.throw(e)
                    else:
                        with context():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return generator  # type: ignore[return-value]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with context():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):
    """Context manager and decorator: ops inside are not recorded.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([1.0], requires_grad=True)
        >>> with autograd.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    _mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator: ops inside are recorded, even within ``no_grad()``."""

    _mode = True


class set_grad_enabled:
    """Turn recording on or off: as a function call, or as a context manager.

    Example:
        >>> import autograd
        >>> with autograd.set_grad_enabled(False):
        ...     autograd.is_grad_enabled()
        False
    """

    def __init__(self, mode: bool) -> None:
        self._prev = state.grad_enabled
        self._mode = bool(mode)
        state.grad_enabled = self._mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self._prev

    def __call__(self, func: F) -> F:
        """As a decorator, ``@set_grad_enabled(False)``: the mode applies inside ``func``
        only (making this object switched it; that is undone here)."""
        state.grad_enabled = self._prev
        mode = self._mode
        return _decorate(lambda: set_grad_enabled(mode), func)


class detect_anomaly:
    """Context manager and decorator: backward raises at the first op whose gradient is NaN/inf.

    While on, every op records the file and line of the forward call that created it, and
    the error names that op and that place.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([0.0], requires_grad=True)
        >>> with autograd.detect_anomaly():
        ...     y = x.sqrt().sum()
        ...     y.backward()  # doctest: +SKIP
        Traceback (most recent call last):
        RuntimeError: Function 'Sqrt' returned inf values in its 0th output ...
    """

    def __init__(self, check_nan: bool = True) -> None:
        self._check = check_nan
        self._prev: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        self._prev.append((state.anomaly, state.anomaly_check_nan))
        state.anomaly = True  # forward traces are kept either way, as in PyTorch
        state.anomaly_check_nan = self._check

    def __exit__(self, *exc: object) -> None:
        state.anomaly, state.anomaly_check_nan = self._prev.pop()

    def __call__(self, func: F) -> F:
        check = self._check
        return _decorate(lambda: detect_anomaly(check), func)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return state.anomaly
