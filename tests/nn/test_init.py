"""nn.init: PyTorch's formulas (gains, fans, bounds, stds), in place, seeded and reproducible."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from nn import init


@pytest.mark.parametrize(
    "name, param, gain",
    [
        ("linear", None, 1.0),
        ("conv2d", None, 1.0),
        ("conv_transpose3d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5.0 / 3),
        ("relu", None, math.sqrt(2.0)),
        ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2.0 / (1 + 0.2**2))),
        ("leaky_relu", math.sqrt(5), math.sqrt(2.0 / 6)),
        ("leaky_relu", 0, math.sqrt(2.0)),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity softsign"):
        init.calculate_gain("softsign")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))


@pytest.mark.parametrize(
    "shape, fans",
    [((4, 3), (3, 4)), ((8, 3, 5, 5), (75, 200)), ((2, 6, 3), (18, 6)), ((5, 1, 1, 1), (1, 5))],
)
def test_fan_in_and_fan_out(shape, fans):
    assert init._calculate_fan_in_and_fan_out(autograd.empty(*shape)) == fans


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(autograd.empty(5))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(autograd.empty(5))


def _spans(w: np.ndarray, bound: float) -> None:
    """All of w inside [-bound, bound], and (on a large tensor) reaching close to both ends."""
    assert np.abs(w).max() <= bound
    assert w.max() > 0.99 * bound and w.min() < -0.99 * bound
    assert abs(w.mean()) < 0.02 * bound


def test_xavier_uniform_bound_is_the_formula():
    w = init.xavier_uniform_(autograd.empty(300, 200), gain=2.0)
    _spans(w.numpy(), 2.0 * math.sqrt(6.0 / (200 + 300)))


def test_kaiming_uniform_bound_is_the_formula():
    _ = autograd.manual_seed(0)
    w = init.kaiming_uniform_(autograd.empty(64, 16, 3, 3), a=0.1, nonlinearity="leaky_relu")
    gain = math.sqrt(2.0 / (1 + 0.1**2))
    _spans(w.numpy(), gain * math.sqrt(3.0 / (16 * 9)))
    w = init.kaiming_uniform_(autograd.empty(64, 16, 3, 3), mode="fan_out", nonlinearity="relu")
    _spans(w.numpy(), math.sqrt(2.0) * math.sqrt(3.0 / (64 * 9)))


@pytest.mark.parametrize(
    "fill, std",
    [
        (lambda t: init.normal_(t, mean=0.0, std=0.02), 0.02),
        (lambda t: init.xavier_normal_(t, gain=1.5), 1.5 * math.sqrt(2.0 / (500 + 400))),
        (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2.0 / 400)),
        (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh"), 5 / 3 / 500**0.5),
    ],
)
def test_normal_fills_have_the_formula_std(fill, std):
    _ = autograd.manual_seed(1)
    w = fill(autograd.empty(500, 400)).numpy().astype(np.float64)
    # 200_000 draws: the sample std is within 0.2% of the true one with overwhelming odds
    assert w.std() == pytest.approx(std, rel=0.02)
    assert abs(w.mean()) < 0.02 * std


def test_normal_mean_and_uniform_range():
    _ = autograd.manual_seed(2)
    w = init.normal_(autograd.empty(100_000, dtype="float64"), mean=3.0, std=0.5).numpy()
    assert w.mean() == pytest.approx(3.0, abs=0.01) and w.std() == pytest.approx(0.5, rel=0.02)
    u = init.uniform_(autograd.empty(100_000, dtype="float64"), -2.0, 5.0).numpy()
    assert u.min() >= -2.0 and u.max() < 5.0 and u.mean() == pytest.approx(1.5, abs=0.05)


def test_constant_fills():
    assert init.zeros_(autograd.ones(2, 3)).tolist() == [[0.0] * 3] * 2
    assert init.ones_(autograd.zeros(3)).tolist() == [1.0] * 3
    assert init.constant_(autograd.zeros(2), 0.25).tolist() == [0.25, 0.25]
    assert init.eye_(autograd.zeros(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize(
    "fill",
    [
        init.uniform_,
        init.normal_,
        init.xavier_uniform_,
        init.xavier_normal_,
        init.kaiming_uniform_,
        init.kaiming_normal_,
        init.zeros_,
        init.ones_,
        init.trunc_normal_,
        init.orthogonal_,
        lambda t: init.constant_(t, 0.5),
    ],
)
def test_in_place_keeps_dtype_bumps_version_and_returns_the_tensor(fill, dtype):
    t = autograd.zeros(6, 5, dtype=dtype)
    data = t.data
    before = t._version_count
    out = fill(t)
    assert out is t and t.data is data and t.dtype == dtype
    assert t._version_count == before + 1


def test_init_of_a_parameter_that_requires_grad_is_not_recorded():
    p = nn.Parameter(autograd.zeros(4, 3))
    init.kaiming_uniform_(p)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None


def test_init_after_use_makes_the_old_graph_stale():
    p = nn.Parameter(autograd.ones(2, 2))
    y = (p * p).sum()
    init.normal_(p)
    with pytest.raises(RuntimeError, match="modified"):
        y.backward()


def test_manual_seed_and_generator_reproduce_draws():
    _ = autograd.manual_seed(123)
    a = init.kaiming_uniform_(autograd.empty(5, 4)).numpy().copy()
    _ = autograd.manual_seed(123)
    b = init.kaiming_uniform_(autograd.empty(5, 4)).numpy().copy()
    assert np.array_equal(a, b)
    g1, g2 = autograd.Generator(7), autograd.Generator(7)
    c = init.normal_(autograd.empty(10), generator=g1).numpy()
    _ = init.normal_(autograd.empty(3))  # the default generator moving on does not matter
    d = init.normal_(autograd.empty(10), generator=g2).numpy()
    assert np.array_equal(c, d) and not np.array_equal(c[:5], a.ravel()[:5])


def test_bad_mode_and_zero_element_warning():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(autograd.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_normal_(autograd.empty(0, 3))


def test_trunc_normal_stays_in_bounds():
    _ = autograd.manual_seed(3)
    w = init.trunc_normal_(autograd.empty(50_000, dtype="float64"), 1.0, 2.0, a=0.0, b=1.5).numpy()
    assert w.min() >= 0.0 and w.max() <= 1.5
    assert w.min() < 0.01 and w.max() > 1.49
    with pytest.raises(ValueError, match="must be less than"):
        init.trunc_normal_(autograd.empty(3), a=1.0, b=0.0)


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (6, 2), (4, 2, 3)])
def test_orthogonal(shape):
    w = init.orthogonal_(autograd.empty(*shape, dtype="float64"), gain=2.0).numpy()
    flat = w.reshape(shape[0], -1)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-12)


@pytest.mark.parametrize(
    "make, fan_in",
    [
        (lambda: nn.Linear(300, 200), 300),
        (lambda: nn.Conv2d(16, 64, 3), 16 * 9),
        (lambda: nn.Conv2d(16, 64, (3, 5), groups=4), 4 * 15),
    ],
)
def test_default_init_of_linear_and_conv_is_pytorchs(make, fan_in):
    _ = autograd.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives gain sqrt(1/3): 1/sqrt(fan)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert init._calculate_fan_in_and_fan_out(layer.weight)[0] == fan_in
    _spans(w, bound)
    assert np.abs(b).max() <= bound and b.max() > 0.5 * bound and b.min() < -0.5 * bound
