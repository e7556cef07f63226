"""Embedding, F.embedding and F.one_hot: lookups, accumulated and padded gradients, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
import nn
import nn.functional as F
from autograd.testing import gradcheck, gradgradcheck
from autograd.testing.strategies import shapes, tensors


@st.composite
def embedding_case(draw: Any) -> tuple[Any, ...]:
    num, dim = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    # small tables and several indices: repeated indices are common, and must accumulate
    idx = draw(hnp.arrays(np.int64, shapes(0, 2, 1, 4), elements=st.integers(0, num - 1)))
    weight = draw(tensors((num, dim), min_value=-2, max_value=2, requires_grad=True))
    padding_idx = draw(st.one_of(st.none(), st.integers(-num, num - 1)))
    return autograd.tensor(idx), weight, padding_idx


@given(case=embedding_case())
def test_embedding_gradcheck_and_gradgradcheck(case):
    idx, weight, _ = case
    # no padding_idx here: its row's gradient is zero by definition, not by differentiation
    # (test_embedding_values_and_gradient_counts checks it)
    fn = lambda w: F.embedding(idx, w)
    assert gradcheck(fn, (weight,)) and gradgradcheck(fn, (weight,))


@given(case=embedding_case())
def test_embedding_values_and_gradient_counts(case):
    idx, weight, padding_idx = case
    out = F.embedding(idx, weight, padding_idx)
    np.testing.assert_array_equal(out.numpy(), weight.numpy()[idx.numpy()])
    out.sum().backward()
    counts = np.bincount(idx.numpy().ravel(), minlength=weight.shape[0]).astype(np.float64)
    if padding_idx is not None:
        counts[padding_idx % weight.shape[0]] = 0.0
    assert weight.grad is not None
    np.testing.assert_array_equal(
        weight.grad.numpy(), np.repeat(counts[:, None], weight.shape[1], 1)
    )


def test_module_init_padding_and_repr():
    _ = autograd.manual_seed(0)
    emb = nn.Embedding(1000, 64, padding_idx=3)
    w = emb.weight.numpy()
    assert w.shape == (1000, 64) and w.dtype == np.float32
    assert not w[3].any()
    assert np.delete(w, 3, axis=0).std() == pytest.approx(1.0, rel=0.02)  # N(0, 1)
    assert repr(emb) == "Embedding(1000, 64, padding_idx=3)"
    assert repr(nn.Embedding(5, 2)) == "Embedding(5, 2)"
    assert nn.Embedding(5, 2, padding_idx=-1).padding_idx == 4


def test_padding_row_gets_no_gradient_even_when_nonzero():
    emb = nn.Embedding(4, 2, padding_idx=0)
    with autograd.no_grad():
        emb.weight.data[0] = 5.0
    out = emb(autograd.tensor([[0, 1], [1, 0]]))
    assert out.numpy()[0, 0].tolist() == [5.0, 5.0]  # the looked-up value is the row itself
    out.sum().backward()
    assert emb.weight.grad is not None
    assert emb.weight.grad.tolist() == [[0.0, 0.0], [2.0, 2.0], [0.0, 0.0], [0.0, 0.0]]


def test_index_errors_name_index_and_size():
    emb = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"index 10 is out of range for an embedding of size 10"):
        emb(autograd.tensor([1, 10]))
    with pytest.raises(IndexError, match=r"index -1 is out of range.*size 10"):
        emb(autograd.tensor([-1]))
    with pytest.raises(TypeError, match="integer"):
        emb(autograd.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)


def test_max_norm_renormalizes_looked_up_rows_in_place():
    emb = nn.Embedding(3, 2, max_norm=1.0).double()
    with autograd.no_grad():
        emb.weight.data[...] = [[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]
    out = emb(autograd.tensor([0, 1]))
    np.testing.assert_allclose(np.linalg.norm(out.numpy(), axis=1), [1.0, 0.5], rtol=1e-6)
    assert emb.weight.numpy()[2].tolist() == [6.0, 8.0]  # not looked up, not touched


def test_from_pretrained():
    table = autograd.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and emb(autograd.tensor([1])).tolist() == [[3.0, 4.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_embedding_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(0).standard_normal((6, 3))
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    wa, wt = autograd.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    g = np.random.default_rng(1).standard_normal((2, 3, 3))
    F.embedding(autograd.tensor(idx), wa, padding_idx=2).backward(autograd.tensor(g))
    torch.nn.functional.embedding(torch.tensor(idx), wt, padding_idx=2).backward(torch.tensor(g))
    np.testing.assert_allclose(wa.grad.numpy(), wt.grad.numpy(), rtol=1e-12)


# -- one_hot ------------------------------------------------------------------------------------


def test_one_hot_values_and_dtype():
    out = F.one_hot(autograd.tensor([[0, 2], [1, 0]]), 4)
    assert out.dtype == np.int64 and out.shape == (2, 2, 4)
    assert out.tolist() == [[[1, 0, 0, 0], [0, 0, 1, 0]], [[0, 1, 0, 0], [1, 0, 0, 0]]]
    assert F.one_hot(autograd.tensor([3, 1])).shape == (2, 4)  # num_classes = max + 1
    assert F.one_hot(autograd.tensor(2), 3).tolist() == [0, 0, 1]


def test_one_hot_errors():
    with pytest.raises(ValueError, match="smaller than num_classes"):
        F.one_hot(autograd.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(autograd.tensor([-1, 0]), 3)
    with pytest.raises(TypeError, match="index tensor"):
        F.one_hot(autograd.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="empty tensor"):
        F.one_hot(autograd.tensor(np.zeros(0, np.int64)))
