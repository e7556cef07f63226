"""BatchNorm1d/2d, LayerNorm and their functional forms: gradients, running statistics, modes."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F
from autograd import Tensor
from autograd.testing import gradcheck, gradgradcheck
from autograd.testing.strategies import tensors

# -- batch_norm: gradients ------------------------------------------------------------------------


def _spread(x: Tensor, dims: tuple[int, ...]) -> Tensor:
    """x with every normalized group's variance well above 0: a (nearly) constant group makes
    the derivative ~ 1/sqrt(eps), too steep for finite differences (and not a real batch)."""
    if np.all(x.numpy().var(axis=dims) > 0.05):
        return x
    ramp = np.arange(x.numel()).reshape(x.shape) % 3
    x = autograd.tensor(x.numpy() + ramp, requires_grad=x.requires_grad)
    assume(np.all(x.numpy().var(axis=dims) > 0.05))  # the ramp may cancel a drawn pattern
    return x


@st.composite
def batch_norm_case(draw: Any) -> tuple[Any, tuple[Tensor, ...]]:
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    if n * int(np.prod(spatial)) < 2:
        n = 2
    x = draw(tensors((n, c) + spatial, min_value=-3, max_value=3, requires_grad=True))
    training = draw(st.booleans())
    if training:
        x = _spread(x, (0,) + tuple(range(2, x.ndim)))
    rm = draw(tensors((c,), min_value=-1, max_value=1))
    rv = draw(tensors((c,), min_value=0.5, max_value=2))
    momentum = draw(st.sampled_from([0.1, 0.5, 1.0]))
    affine = draw(st.booleans())
    w = draw(tensors((c,), min_value=0.5, max_value=2, requires_grad=True))
    b = draw(tensors((c,), min_value=-1, max_value=1, requires_grad=True))

    def fn(x: Tensor, *wb: Tensor) -> Tensor:
        # fresh copies: the running stats are updated in place on every call
        stats = (Tensor(rm.numpy()), Tensor(rv.numpy()))
        return F.batch_norm(x, *stats, *wb, training=training, momentum=momentum)

    return fn, ((x, w, b) if affine else (x,))


@given(case=batch_norm_case())
def test_batch_norm_gradcheck(case):
    fn, inputs = case
    assert gradcheck(fn, inputs)


@given(case=batch_norm_case())
def test_batch_norm_gradgradcheck(case):
    fn, inputs = case
    assert gradgradcheck(fn, inputs)


# -- batch_norm: running statistics ---------------------------------------------------------------


def test_running_stats_follow_the_formula_with_unbiased_variance():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm2d(3, momentum=0.3).double()
    rm, rv = np.zeros(3), np.ones(3)
    for step in range(1, 5):
        x = rng.standard_normal((4, 3, 2, 5)) * [[[[1.0]], [[2.0]], [[0.5]]]] + step
        y = bn(autograd.tensor(x)).numpy()
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        unbiased = x.var(axis=(0, 2, 3), ddof=1)
        rm, rv = 0.7 * rm + 0.3 * mean, 0.7 * rv + 0.3 * unbiased
        np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), rv, rtol=1e-12)
        assert bn.num_batches_tracked.item() == step
        assert bn.num_batches_tracked.dtype == np.int64
        # training normalizes with the batch's own mean and *biased* variance
        want = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
        np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-12)


def test_momentum_none_is_a_cumulative_average():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm1d(2, momentum=None).double()
    xs = [rng.standard_normal((6, 2)) + i for i in range(4)]
    for x in xs:
        bn(autograd.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0))
    # the initial running_var of 1 is replaced by the first batch (factor 1/1)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in xs], 0))


def test_eval_uses_running_stats_and_does_not_update_them():
    bn = nn.BatchNorm1d(2, eps=0.0).double()
    bn.running_mean.data[:] = [1.0, -2.0]
    bn.running_var.data[:] = [4.0, 0.25]
    bn.weight.data[:] = [2.0, 1.0]
    bn.bias.data[:] = [0.0, 1.0]
    bn.eval()
    x = np.array([[3.0, -1.0], [1.0, -2.5], [5.0, 0.0]])
    y = bn(autograd.tensor(x)).numpy()
    np.testing.assert_allclose(y, [[2.0, 3.0], [0.0, 0.0], [4.0, 5.0]])
    assert bn.num_batches_tracked.item() == 0
    assert bn.running_mean.tolist() == [1.0, -2.0] and bn.running_var.tolist() == [4.0, 0.25]
    # one sample per channel is fine in eval
    assert bn(autograd.tensor(x[:1])).shape == (1, 2)


def test_eval_mode_gradients():
    bn = nn.BatchNorm1d(3).double().eval()
    bn.running_var.data[:] = [0.5, 1.0, 2.0]
    x = autograd.tensor(np.random.default_rng(2).standard_normal((2, 3, 2)), requires_grad=True)
    assert gradcheck(bn, (x,)) and gradgradcheck(bn, (x,))


def test_without_tracking_batch_stats_are_used_in_eval_too():
    bn = nn.BatchNorm2d(2, track_running_stats=False).double()
    assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == ["weight", "bias"]
    x = autograd.tensor(np.random.default_rng(3).standard_normal((3, 2, 2, 2)) * 4 + 1)
    train_out = bn(x).numpy()
    eval_out = bn.eval()(x).numpy()
    np.testing.assert_allclose(train_out, eval_out)
    np.testing.assert_allclose(eval_out.mean(axis=(0, 2, 3)), 0, atol=1e-12)


def test_affine_false_has_no_parameters():
    bn = nn.BatchNorm1d(4, affine=False)
    assert list(bn.parameters()) == [] and bn.weight is None and bn.bias is None
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]


def test_state_dict_names_and_defaults():
    bn = nn.BatchNorm2d(5)
    sd = bn.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert sd["weight"].tolist() == [1.0] * 5 and sd["bias"].tolist() == [0.0] * 5
    assert sd["running_mean"].tolist() == [0.0] * 5 and sd["running_var"].tolist() == [1.0] * 5
    assert sd["num_batches_tracked"].shape == () and sd["num_batches_tracked"].item() == 0
    bn(autograd.randn(2, 5, 3, 3))
    bn.reset_running_stats()
    assert bn.num_batches_tracked.item() == 0 and bn.running_var.tolist() == [1.0] * 5


def test_a_state_dict_without_num_batches_tracked_loads_and_keeps_the_counter():
    # PyTorch loads such old checkpoints with strict=True, leaving the counter as it was
    src = nn.BatchNorm1d(2)
    src.running_mean.fill_(3.0)
    old = {k: v for k, v in src.state_dict().items() if k != "num_batches_tracked"}
    net = nn.Sequential(nn.BatchNorm1d(2))
    net(autograd.randn(4, 2))
    net(autograd.randn(4, 2))
    result = net[0].load_state_dict(old)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert net[0].num_batches_tracked.item() == 2 and net[0].running_mean.tolist() == [3.0, 3.0]
    assert "num_batches_tracked" not in old  # the caller's dict is not changed
    nested = {"0." + k: v for k, v in old.items()}
    assert net.load_state_dict(nested, strict=False).missing_keys == []
    assert net[0].num_batches_tracked.item() == 2
    with pytest.raises(RuntimeError, match='Missing key.*"0.running_var"'):
        net.load_state_dict({k: v for k, v in nested.items() if k != "0.running_var"})


def test_batch_norm_reprs():
    assert repr(nn.BatchNorm2d(16)) == (
        "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=True)"
    )


def test_batch_norm_input_errors_name_expected_and_got():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected input with 16 channels.*got 3"):
        nn.BatchNorm2d(16)(autograd.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input.*got 3D input"):
        nn.BatchNorm2d(3)(autograd.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input.*got 4D"):
        nn.BatchNorm1d(3)(autograd.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(autograd.zeros(1, 3))
    with pytest.raises(ValueError, match="running_mean should contain 4 elements"):
        F.batch_norm(autograd.zeros(2, 4), autograd.zeros(3), autograd.ones(3))
    with pytest.raises(ValueError, match="must be given when not training"):
        F.batch_norm(autograd.zeros(2, 4), None, None)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no mean of an empty slice
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape", [(0, 2), (0, 2, 3), (0, 2, 4, 4), (2, 2, 0, 4)])
def test_an_empty_batch_in_training_is_empty_and_leaves_the_running_stats(shape, momentum):
    # PyTorch 2.13's numbers: an empty output, zero gradients for weight and bias, the running
    # statistics unchanged, and the batch counted in num_batches_tracked
    bn = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(2, momentum=momentum)
    bn.running_mean.fill_(0.5)
    bn.running_var.fill_(2.0)
    x = autograd.zeros(*shape, requires_grad=True)
    y = bn(x)
    assert y.shape == shape and y.dtype == np.float32
    assert bn.running_mean.tolist() == [0.5, 0.5] and bn.running_var.tolist() == [2.0, 2.0]
    assert bn.num_batches_tracked.item() == 1
    y.sum().backward()
    assert x.grad is not None and x.grad.shape == shape
    assert bn.weight.grad.tolist() == [0.0, 0.0] and bn.bias.grad.tolist() == [0.0, 0.0]
    assert F.batch_norm(autograd.zeros(0, 2), None, None, training=True).shape == (0, 2)


def test_an_input_of_another_float_dtype_is_an_error_naming_both():
    # as in PyTorch ("mixed dtype (CPU): all inputs must share same datatype"); it was
    # silently promoted to a float64 output
    x64, x32 = autograd.ones(4, 3, dtype=autograd.float64), autograd.ones(4, 3)
    cases = [
        (lambda: nn.BatchNorm1d(3)(x64), "BatchNorm1d", "float64", "running_mean (float32)"),
        (lambda: nn.BatchNorm1d(3).eval()(x64), "BatchNorm1d", "float64", "running_mean"),
        (lambda: nn.BatchNorm1d(3).double()(x32), "BatchNorm1d", "float32", "(float64)"),
        (lambda: nn.BatchNorm1d(3, affine=False)(x64), "BatchNorm1d", "float64", "running_mean"),
        (
            lambda: nn.BatchNorm2d(3)(autograd.ones(2, 3, 2, 2, dtype=autograd.float64)),
            "BatchNorm2d",
            "float64",
            "running_mean (float32)",
        ),
        (lambda: nn.LayerNorm(3)(x64), "LayerNorm", "float64", "weight (float32)"),
        (lambda: nn.LayerNorm(3).double()(x32), "LayerNorm", "float32", "weight (float64)"),
        (lambda: F.layer_norm(x64, 3, autograd.ones(3)), "layer_norm", "float64", "weight"),
        (
            lambda: F.batch_norm(x64, None, None, autograd.ones(3), training=True),
            "batch_norm",
            "float64",
            "weight (float32)",
        ),
    ]
    for fn, op, dtype, other in cases:
        with pytest.raises(RuntimeError, match=re.escape(f"{op}: input ({dtype}) and ")) as err:
            fn()
        assert other in str(err.value) and "must have the same dtype" in str(err.value)
    # nothing of another dtype to mix with: float64 in, float64 out, as in PyTorch
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert bn(x64).dtype == np.float64
    assert nn.LayerNorm(3, elementwise_affine=False)(x64).dtype == np.float64


def test_float32_module_keeps_float32():
    bn = nn.BatchNorm2d(3)
    y = bn(autograd.randn(4, 3, 2, 2))
    assert y.dtype == np.float32 and bn.running_var.dtype == np.float32


def test_batch_norm_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    ours, theirs = nn.BatchNorm2d(3, momentum=0.2).double(), torch.nn.BatchNorm2d(3, momentum=0.2)
    theirs = theirs.double()
    for _ in range(3):
        x = rng.standard_normal((4, 3, 3, 3)) * 2 + 1
        g = rng.standard_normal(x.shape)
        xa, xt = autograd.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ya, yt = ours(xa), theirs(xt)
        ya.backward(autograd.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(ya.numpy(), yt.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), atol=1e-10)
    for name in ("running_mean", "running_var", "weight", "bias"):
        a, t = getattr(ours, name), getattr(theirs, name)
        np.testing.assert_allclose(a.numpy(), t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-10)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 3, 3))
    np.testing.assert_allclose(
        ours(autograd.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-12
    )


# -- layer_norm -----------------------------------------------------------------------------------


@st.composite
def layer_norm_case(draw: Any) -> tuple[Any, tuple[Tensor, ...]]:
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    k = draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - k :]
    if int(np.prod(normalized)) < 2:
        shape, normalized = shape[:-1] + (2,), normalized[:-1] + (2,)
    x = _spread(
        draw(tensors(shape, min_value=-3, max_value=3, requires_grad=True)),
        tuple(range(len(shape) - k, len(shape))),
    )
    w = draw(tensors(normalized, min_value=0.5, max_value=2, requires_grad=True))
    b = draw(tensors(normalized, min_value=-1, max_value=1, requires_grad=True))
    which = draw(st.sampled_from(["none", "weight", "both"]))
    if which == "none":
        return (lambda x: F.layer_norm(x, normalized)), (x,)
    if which == "weight":
        return (lambda x, w: F.layer_norm(x, normalized, w)), (x, w)
    return (lambda x, w, b: F.layer_norm(x, normalized, w, b)), (x, w, b)


@given(case=layer_norm_case())
def test_layer_norm_gradcheck(case):
    fn, inputs = case
    assert gradcheck(fn, inputs)


@given(case=layer_norm_case())
def test_layer_norm_gradgradcheck(case):
    fn, inputs = case
    assert gradgradcheck(fn, inputs)


def test_layer_norm_values_are_the_formula():
    x = np.random.default_rng(5).standard_normal((2, 3, 4)) * 3 + 1
    ln = nn.LayerNorm((3, 4), eps=1e-3).double()
    ln.weight.data[...] = 2.0
    ln.bias.data[...] = 0.5
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    want = (x - mean) / np.sqrt(var + 1e-3) * 2.0 + 0.5
    np.testing.assert_allclose(ln(autograd.tensor(x)).numpy(), want, rtol=1e-12)


def test_layer_norm_module_options_and_repr():
    ln = nn.LayerNorm(4)
    assert repr(ln) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert ln.weight.tolist() == [1.0] * 4 and ln.bias.tolist() == [0.0] * 4
    assert [n for n, _ in nn.LayerNorm(4, bias=False).named_parameters()] == ["weight"]
    plain = nn.LayerNorm([2, 3], elementwise_affine=False)
    assert list(plain.parameters()) == [] and plain.normalized_shape == (2, 3)


def test_layer_norm_shape_error():
    with pytest.raises(ValueError, match=r"normalized_shape=\[4\].*\[\*, 4\].*\[2, 3\]"):
        nn.LayerNorm(4)(autograd.zeros(2, 3))


def test_layer_norm_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).standard_normal((3, 5, 4))
    g = np.random.default_rng(7).standard_normal(x.shape)
    xa, xt = autograd.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.layer_norm(xa, 4).backward(autograd.tensor(g))
    torch.nn.functional.layer_norm(xt, (4,)).backward(torch.tensor(g))
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), atol=1e-10)


def test_batchnorm_without_bias_as_torch_2():
    bn = nn.BatchNorm1d(3, bias=False, dtype=autograd.float64)
    assert [n for n, _ in bn.named_parameters()] == ["weight"]
    assert "bias=False" in repr(bn)
    out = bn(autograd.randn(5, 3, dtype=autograd.float64))
    np.testing.assert_allclose(out.data.mean(axis=0), 0.0, atol=1e-12)
