"""float32 in, float32 out, for every op: the dtype rule the project's speed depends on.

Every row of every derivative table runs again with its float64 leaves made float32: each
floating output must be float32, and so must each input's gradient, from the fast backward
(``create_graph=False``), the recorded one (``create_graph=True``) and the second order.
Gradients come from ``autograd.grad``, which (unlike ``.backward()``, whose leaves cast what
they accumulate) hands back what the ops computed, so an op whose backward upcasts is caught.

Then PyTorch's promotion rules for what a float32 tensor meets (a Python number, an integer
tensor, a 0-d float64 tensor or NumPy float64 scalar: none of them upcasts it; a float64 tensor
with dims does), ``nn.functional``'s layers, activations and losses in float32, and a small
float32 network end to end.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F
from autograd import Tensor
from tests.autograd.ops._table import all_rows
from tests.autograd.ops.test_elementwise import BINARY

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)


# -- every table row, in float32 ---------------------------------------------------------------


ROWS = all_rows("_float32_")

# rows whose output dtype is not the input's by design
OUTPUT_DTYPE = {"cast float32->float64": F64}


def _as_float32(x: Any) -> Any:
    """A float64 tensor as a float32 leaf (requires_grad kept); anything else as it is."""
    if isinstance(x, Tensor) and x.dtype == F64:
        return autograd.tensor(x.data.astype(np.float32), requires_grad=x.requires_grad)
    return x


def _floating(out: Any) -> list[Tensor]:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _assert_grad_dtypes(grads: Sequence[Tensor | None], wrt: Sequence[Tensor], what: str) -> None:
    """Every gradient (None for an unused input) has its input's dtype."""
    got = [None if g is None else g.dtype for g in grads]
    want = [None if g is None else x.dtype for g, x in zip(grads, wrt)]
    assert got == want, f"{what} gave gradients of {got} for inputs of {[x.dtype for x in wrt]}"


def check_float32(
    fn: Callable[..., Any], inputs: Sequence[Any], out_dtype: np.dtype = F32, name: str = ""
) -> None:
    """fn on float32 inputs: float32 outputs, and gradients of the first order (unrecorded and
    recorded backward) and of the second order in each input's dtype."""
    outs = _floating(fn(*inputs))
    assert outs, f"{name}: no floating output"
    assert [o.dtype for o in outs] == [out_dtype] * len(outs), f"{name}: outputs"
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    outs = [o for o in outs if o.requires_grad]
    if not wrt or not outs:
        return
    seeds = [autograd.ones_like(o) for o in outs]
    fast = autograd.grad(outs, wrt, seeds, retain_graph=True, allow_unused=True)
    _assert_grad_dtypes(fast, wrt, f"{name}: backward")
    recorded = autograd.grad(outs, wrt, seeds, create_graph=True, allow_unused=True)
    _assert_grad_dtypes(recorded, wrt, f"{name}: backward with create_graph=True")
    again = [g for g in recorded if g is not None and g.requires_grad]
    if again:
        second = autograd.grad(sum((g * g).sum() for g in again), wrt, allow_unused=True)
        _assert_grad_dtypes(second, wrt, f"{name}: second derivatives")


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_table_row_keeps_float32(row: Any, data: Any) -> None:
    fn, inputs = row.case(data.draw)
    inputs = tuple(_as_float32(x) for x in inputs)
    assert not any(isinstance(x, Tensor) and x.dtype == F64 for x in inputs)
    check_float32(fn, inputs, OUTPUT_DTYPE.get(row.name, F32), row.name)


def test_the_tables_were_found() -> None:
    assert len(ROWS) > 50
    assert {n for n in OUTPUT_DTYPE} <= {r.name for r in ROWS}


# -- what a float32 tensor meets: PyTorch's promotion rules ------------------------------------


def _x() -> Tensor:
    return autograd.tensor([0.5, 1.25, 2.0], requires_grad=True)  # float32, 1-D


# Operands that never upcast a float32 tensor with dims: a Python number (its category is not
# higher), an integer tensor (a lower category), and a 0-d tensor or NumPy scalar of the same
# category (0-d tensors count only when of a higher category: PyTorch's rule).
OTHERS: list[tuple[str, Callable[[], Any]]] = [
    ("python float", lambda: 1.5),
    ("python int", lambda: 2),
    ("python bool", lambda: True),
    ("int64 tensor", lambda: autograd.tensor([1, 2, 3])),
    ("0-d int64 tensor", lambda: autograd.tensor(2)),
    ("0-d float64 tensor", lambda: autograd.tensor(np.float64(1.5))),
    (
        "0-d float64 tensor requiring grad",
        lambda: autograd.tensor(np.float64(1.5), requires_grad=True),
    ),
    ("numpy float64 scalar", lambda: np.float64(1.5)),
    ("numpy int64 scalar", lambda: np.int64(2)),
]

ARITHMETIC: list[tuple[str, Callable[[Any, Any], Any]]] = [
    *BINARY,  # + - * / ** maximum minimum, as the elementwise table's dtype tests use them
    ("where(x > 1, x, other)", lambda a, b: autograd.where(_gt1(a, b), a, b)),
    ("clamp(min=other)", lambda a, b: _clamp(a, b, "min")),
    ("clamp(max=other)", lambda a, b: _clamp(a, b, "max")),
]


def _gt1(a: Any, b: Any) -> Any:
    t = a if isinstance(a, Tensor) and a.ndim else b
    return t.detach() > 1


def _clamp(a: Any, b: Any, which: str) -> Any:
    x, other = (a, b) if isinstance(a, Tensor) and a.ndim else (b, a)
    if isinstance(other, (bool, np.bool_)):
        other = int(other)
    return x.clamp(**{which: other})


def _grads_keep_their_dtypes(out: Tensor, x: Tensor, other: Any, what: str) -> None:
    """Each input's gradient has that input's dtype (float64 for a 0-d float64 tensor that
    requires grad), from autograd.grad and from .backward() alike."""
    wrt = [x] + ([other] if isinstance(other, Tensor) and other.requires_grad else [])
    total = out.sum()
    grads = autograd.grad(total, wrt, retain_graph=True)
    assert [g.dtype for g in grads] == [t.dtype for t in wrt], what
    total.backward()
    assert [t.grad.dtype if t.grad is not None else None for t in wrt] == [t.dtype for t in wrt], (
        what
    )


@pytest.mark.parametrize("other_name, other", OTHERS, ids=[n for n, _ in OTHERS])
@pytest.mark.parametrize("op_name, op", ARITHMETIC, ids=[n for n, _ in ARITHMETIC])
def test_a_float32_tensor_is_not_upcast_by_what_it_meets(
    op_name: str, op: Callable[[Any, Any], Any], other_name: str, other: Callable[[], Any]
) -> None:
    # the other operand on either side (clamp's bound is only ever the second)
    for side in ("right",) if op_name.startswith("clamp") else ("left", "right"):
        x, o = _x(), other()
        out = op(o, x) if side == "left" else op(x, o)
        what = f"{other_name} {op_name} float32 ({side})"
        assert out.dtype == F32, what
        _grads_keep_their_dtypes(out, x, o, what)


COMPARISONS: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("<", lambda a, b: a < b),
    ("<=", lambda a, b: a <= b),
    (">", lambda a, b: a > b),
    (">=", lambda a, b: a >= b),
    ("==", lambda a, b: a == b),
    ("!=", lambda a, b: a != b),
]


@pytest.mark.parametrize("other_name, other", OTHERS, ids=[n for n, _ in OTHERS])
@pytest.mark.parametrize("op_name, op", COMPARISONS, ids=[n for n, _ in COMPARISONS])
def test_comparisons_give_bool_masks_that_keep_where_float32(
    op_name: str, op: Callable[[Any, Any], Any], other_name: str, other: Callable[[], Any]
) -> None:
    x = _x()
    for mask in (op(x, other()), op(other(), x)):
        assert mask.dtype == np.bool_ and not mask.requires_grad, (op_name, other_name)
        out = autograd.where(mask, x, other())
        assert out.dtype == F32, (op_name, other_name)
        (g,) = autograd.grad(out.sum(), x)
        assert g.dtype == F32


@pytest.mark.parametrize("other_name, other", OTHERS, ids=[n for n, _ in OTHERS])
def test_in_place_ops_keep_float32(other_name: str, other: Callable[[], Any]) -> None:
    for name in ("add_", "sub_", "mul_", "div_", "clamp_"):
        x, o = _x(), other()
        if name == "clamp_" and isinstance(o, bool):
            o = int(o)
        y = x * 1.0
        assert getattr(y, name)(o) is y and y.dtype == F32, (name, other_name)
        _grads_keep_their_dtypes(y, x, o, f"{name}({other_name})")
    if not (isinstance(o, Tensor) and o.ndim):
        y = x * 1.0
        assert y.fill_(o).dtype == F32


def test_float64_with_dims_does_promote_and_float32_scalars_do_not_demote() -> None:
    # the other side of the rule: a float64 tensor with dims wins, as in PyTorch
    x = _x()
    assert (x + autograd.tensor(np.ones(3))).dtype == F64
    assert (x * np.ones(3)).dtype == F64
    # two 0-d tensors: plain promotion
    s32, s64 = autograd.tensor(1.0), autograd.tensor(np.float64(2.0))
    assert (s32 + s64).dtype == F64
    # float64 with dims meets a 0-d float32 tensor: stays float64
    assert (autograd.tensor(np.ones(3)) * s32).dtype == F64
    # int64 tensors with a Python float give the default float dtype, float32
    i = autograd.tensor([1, 2, 3])
    assert (i * 0.5).dtype == F32 and (i / 2).dtype == F32 and (i / i).dtype == F32
    assert autograd.result_type(i, 0.5) == F32


NUMBER_OPS: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("+", lambda a, b: a + b),
    ("-", lambda a, b: a - b),
    ("*", lambda a, b: a * b),
    ("/", lambda a, b: a / b),
]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(width=16), min_size=1, max_size=4),
    number=st.floats() | st.integers(-(2**70), 2**70) | st.sampled_from([0.0, -0.0, 1e300]),
)
def test_a_python_number_gives_numpys_own_result(
    dtype: Any, values: list[float], number: float
) -> None:
    """Beside a floating tensor a Python number is taken as a cached 0-d array of the tensor's
    dtype (NumPy converts a number on every call); the results are NumPy's with the number
    itself, bit for bit: signed zeros, overflow to inf, NaN, and no warning."""
    a = np.array(values, dtype=dtype)
    x = autograd.tensor(a)
    for name, op in NUMBER_OPS:
        with np.errstate(all="ignore"):
            wants = (np.asarray(op(a, number)), np.asarray(op(number, a)))
        for got, want in zip((op(x, number), op(number, x)), wants):
            assert got.dtype == want.dtype == dtype, name
            np.testing.assert_array_equal(got.data, want, err_msg=f"{name} {number!r}")
            numbers = ~np.isnan(want)
            assert (np.signbit(got.data) == np.signbit(want))[numbers].all(), (name, number)


def test_the_number_cache_is_bounded_and_read_only() -> None:
    from autograd.tensor import _CONSTS

    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    for i in range(1, 600):
        y = x * (i + 0.5)
    assert 0 < len(_CONSTS[x.dtype]) <= 256
    cached = next(iter(_CONSTS[x.dtype].values()))
    assert cached.ndim == 0 and not cached.flags.writeable
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [599.5, 599.5])
    # an int too large for a float is refused, as NumPy refuses it
    with pytest.raises(OverflowError):
        x * 10**400


def test_tensor_creation_defaults_to_float32() -> None:
    assert autograd.tensor(1.5).dtype == F32
    assert autograd.tensor([1.5, 2]).dtype == F32
    for t in (
        autograd.zeros(2),
        autograd.ones(2),
        autograd.full((2,), 1.5),
        autograd.rand(2),
        autograd.randn(2),
        autograd.linspace(0, 1, 3),
        autograd.arange(0.0, 1.0, 0.5),
        autograd.eye(2),
        autograd.zeros_like(_x()),
        autograd.ones_like(_x()),
        autograd.randn_like(_x()),
    ):
        assert t.dtype == F32


# -- nn.functional in float32 ------------------------------------------------------------------


def _t(*shape: int, lo: float = -2.0, hi: float = 2.0, grad: bool = True) -> Tensor:
    """A float32 tensor of values in [lo, hi) (the same for the same shape)."""
    data = np.random.default_rng(sum(shape)).uniform(lo, hi, shape).astype(np.float32)
    return autograd.tensor(data, requires_grad=grad)


def _ce_target(*shape: int, classes: int = 3) -> Tensor:
    return autograd.tensor(np.arange(math.prod(shape)).reshape(shape) % classes)


FunctionalCase = Callable[[], tuple[Callable[..., Any], tuple[Tensor, ...]]]


def _bn_train() -> tuple[Callable[..., Any], tuple[Tensor, ...]]:
    rm, rv = autograd.zeros(3), autograd.ones(3)

    def f(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        out = F.batch_norm(x, rm, rv, w, b, training=True)
        assert rm.dtype == F32 and rv.dtype == F32  # running statistics stay float32
        return out

    return f, (_t(4, 3, 2, 2), _t(3, lo=0.5), _t(3))


FUNCTIONAL: list[tuple[str, FunctionalCase]] = [
    # activations
    ("relu", lambda: (F.relu, (_t(2, 3),))),
    ("relu inplace", lambda: (lambda x: F.relu(x * 1.0, inplace=True), (_t(2, 3),))),
    ("leaky_relu", lambda: (lambda x: F.leaky_relu(x, 0.1), (_t(2, 3),))),
    ("leaky_relu inplace", lambda: (lambda x: F.leaky_relu(x * 1.0, 0.1, True), (_t(2, 3),))),
    ("sigmoid", lambda: (F.sigmoid, (_t(2, 3),))),
    ("tanh", lambda: (F.tanh, (_t(2, 3),))),
    ("gelu", lambda: (F.gelu, (_t(2, 3),))),
    ("gelu tanh", lambda: (lambda x: F.gelu(x, approximate="tanh"), (_t(2, 3),))),
    ("softplus", lambda: (F.softplus, (_t(2, 3),))),
    ("softplus beta", lambda: (lambda x: F.softplus(x * 20.0, beta=2.0), (_t(2, 3),))),
    ("softmax", lambda: (lambda x: F.softmax(x, dim=1), (_t(2, 3),))),
    ("log_softmax", lambda: (lambda x: F.log_softmax(x, dim=-1), (_t(2, 3),))),
    ("heaviside float", lambda: (lambda x: F.heaviside(x, 0.5), (_t(2, 3),))),
    (
        "heaviside 0-d float64 values",
        lambda: (lambda x: F.heaviside(x, autograd.tensor(np.float64(0.5))), (_t(2, 3),)),
    ),
    ("step", lambda: (lambda x: F.step(x, 0.25), (_t(2, 3),))),
    # layers
    ("linear", lambda: (F.linear, (_t(4, 3), _t(2, 3), _t(2)))),
    ("linear 1-D, no bias", lambda: (F.linear, (_t(3), _t(2, 3)))),
    ("conv2d", lambda: (F.conv2d, (_t(2, 3, 5, 5), _t(4, 3, 3, 3), _t(4)))),
    (
        "conv2d stride, padding, dilation, groups",
        lambda: (
            lambda x, w: F.conv2d(x, w, None, stride=2, padding=1, dilation=2, groups=2),
            (_t(1, 4, 6, 6), _t(2, 2, 2, 2)),
        ),
    ),
    (
        "conv2d padding='same', unbatched",
        lambda: (lambda x, w: F.conv2d(x, w, padding="same"), (_t(2, 4, 4), _t(3, 2, 3, 3))),
    ),
    ("unfold", lambda: (lambda x: F.unfold(x, 2, padding=1), (_t(1, 2, 3, 3),))),
    ("fold", lambda: (lambda y: F.fold(y, (3, 3), 2), (_t(1, 8, 4),))),
    ("max_pool2d", lambda: (lambda x: F.max_pool2d(x, 2), (_t(2, 3, 4, 4),))),
    (
        "max_pool2d padding, ceil_mode, indices",
        lambda: (
            lambda x: F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True, return_indices=True),
            (_t(1, 2, 5, 5),),
        ),
    ),
    ("avg_pool2d", lambda: (lambda x: F.avg_pool2d(x, 2), (_t(2, 3, 4, 4),))),
    (
        "avg_pool2d padding, ceil_mode, count_include_pad=False",
        lambda: (
            lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
            (_t(1, 2, 5, 5),),
        ),
    ),
    (
        "avg_pool2d divisor_override",
        lambda: (lambda x: F.avg_pool2d(x, 2, divisor_override=3), (_t(1, 2, 4, 4),)),
    ),
    (
        "adaptive_avg_pool2d",
        lambda: (lambda x: F.adaptive_avg_pool2d(x, (2, 3)), (_t(1, 2, 5, 4),)),
    ),
    ("adaptive_avg_pool2d 1", lambda: (lambda x: F.adaptive_avg_pool2d(x, 1), (_t(1, 2, 3, 3),))),
    ("pad constant", lambda: (lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), (_t(1, 2, 3, 3),))),
    ("pad reflect", lambda: (lambda x: F.pad(x, (1, 1, 2, 0), mode="reflect"), (_t(1, 2, 3, 3),))),
    ("pad replicate", lambda: (lambda x: F.pad(x, (2, 1), mode="replicate"), (_t(1, 2, 3, 3),))),
    (
        "pad circular",
        lambda: (lambda x: F.pad(x, (1, 1, 1, 1), mode="circular"), (_t(1, 2, 3, 3),)),
    ),
    ("batch_norm training", _bn_train),
    (
        "batch_norm eval",
        lambda: (
            lambda x, w, b: F.batch_norm(x, autograd.zeros(3), autograd.ones(3), w, b),
            (_t(4, 3, 2), _t(3, lo=0.5), _t(3)),
        ),
    ),
    (
        "batch_norm training, no affine, no running stats",
        lambda: (lambda x: F.batch_norm(x, None, None, training=True), (_t(4, 3),)),
    ),
    ("layer_norm", lambda: (lambda x, w, b: F.layer_norm(x, 3, w, b), (_t(2, 3), _t(3), _t(3)))),
    ("layer_norm no affine", lambda: (lambda x: F.layer_norm(x, (2, 3)), (_t(2, 2, 3),))),
    ("dropout", lambda: (lambda x: F.dropout(x, 0.3), (_t(4, 5),))),
    ("dropout p=1", lambda: (lambda x: F.dropout(x, 1.0), (_t(4, 5),))),
    ("dropout inplace", lambda: (lambda x: F.dropout(x * 1.0, 0.5, inplace=True), (_t(4, 5),))),
    (
        "embedding",
        lambda: (lambda w: F.embedding(autograd.tensor([[0, 2], [2, 1]]), w), (_t(3, 4),)),
    ),
    (
        "embedding padding_idx, max_norm",
        lambda: (
            lambda w: F.embedding(autograd.tensor([0, 2, 1]), w, padding_idx=1, max_norm=1.0),
            (_t(3, 4),),
        ),
    ),
    # losses
    ("mse_loss", lambda: (F.mse_loss, (_t(2, 3), _t(2, 3)))),
    ("mse_loss sum, weight", lambda: (_mse_weighted, (_t(2, 3), _t(2, 3), _t(2, 3, lo=0.1)))),
    (
        "l1_loss none",
        lambda: (lambda x, y: F.l1_loss(x, y, reduction="none"), (_t(2, 3), _t(2, 3))),
    ),
    ("cross_entropy", lambda: (lambda x: F.cross_entropy(x, _ce_target(4)), (_t(4, 3),))),
    (
        "cross_entropy weight, ignore_index, smoothing, spatial",
        lambda: (lambda x, w: _ce_full(x, w.detach()), (_t(2, 3, 2, 2), _t(3, lo=0.1))),
    ),
    (
        "cross_entropy probabilities",
        lambda: (lambda x, p: F.cross_entropy(x, p.softmax(1)), (_t(4, 3), _t(4, 3))),
    ),
    (
        "nll_loss weight",
        lambda: (
            lambda x: F.nll_loss(x.log_softmax(1), _ce_target(4), weight=_t(3, lo=0.1, grad=False)),
            (_t(4, 3),),
        ),
    ),
    (
        "binary_cross_entropy weight",
        lambda: (
            lambda x, y: F.binary_cross_entropy(x.sigmoid(), y, weight=_t(3, lo=0.1, grad=False)),
            (_t(2, 3), _t(2, 3, lo=0.0, hi=1.0)),
        ),
    ),
    (
        "binary_cross_entropy_with_logits weight, pos_weight",
        lambda: (
            lambda x, y: F.binary_cross_entropy_with_logits(
                x, y, weight=_t(2, 3, grad=False), pos_weight=_t(3, lo=0.5, grad=False)
            ),
            (_t(2, 3), _t(2, 3, lo=0.0, hi=1.0)),
        ),
    ),
    (
        "multi_margin_loss",
        lambda: (lambda x: F.multi_margin_loss(x, _ce_target(4)), (_t(4, 3),)),
    ),
    (
        "multi_margin_loss p=2, weight",
        lambda: (
            lambda x: F.multi_margin_loss(
                x, _ce_target(4), p=2, margin=0.5, weight=_t(3, lo=0.1, grad=False)
            ),
            (_t(4, 3),),
        ),
    ),
]


def _mse_weighted(x: Tensor, y: Tensor, w: Tensor) -> Tensor:
    return F.mse_loss(x, y, reduction="sum", weight=w.detach())


def _ce_full(x: Tensor, w: Tensor) -> Tensor:
    target = _ce_target(2, 2, 2)
    return F.cross_entropy(x, target, weight=w, ignore_index=1, label_smoothing=0.2)


@pytest.mark.parametrize("name, case", FUNCTIONAL, ids=[n for n, _ in FUNCTIONAL])
def test_functional_keeps_float32(name: str, case: FunctionalCase) -> None:
    autograd.manual_seed(0)
    fn, inputs = case()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_float32(fn, inputs, F32, name)


def test_a_float32_network_trains_in_float32() -> None:
    autograd.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1, groups=2),
        nn.GELU(),
        nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(4, 8),
        nn.LayerNorm(8),
        nn.Tanh(),
        nn.Linear(8, 3),
    )
    for p in model.parameters():
        assert p.dtype == F32
    x = _t(5, 1, 4, 4, grad=False)
    out = model(x)
    assert out.dtype == F32
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(out, _ce_target(5))
    assert loss.dtype == F32
    named = list(model.named_parameters())
    grads = autograd.grad(loss, [p for _, p in named])  # as computed: no cast at the leaves
    for (name, _), g in zip(named, grads):
        assert g is not None and g.dtype == F32, name
    for b in model.buffers():
        assert b.dtype.kind != "f" or b.dtype == F32
