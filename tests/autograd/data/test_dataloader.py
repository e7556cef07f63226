"""autograd.data: Dataset, TensorDataset, Subset, random_split and DataLoader, as PyTorch's."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import pytest

import autograd
import autograd.data
from autograd import Tensor
from autograd.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


class ListDataset(Dataset[Any]):
    """Samples straight from a list (exercises the general, per-sample path)."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __getitem__(self, index: int) -> Any:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)


def tensor_ds(n: int = 10) -> TensorDataset:
    X = autograd.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = autograd.tensor(np.arange(n, dtype=np.int64))
    return TensorDataset(X, y)


def labels(loader: DataLoader) -> list[list[int]]:
    return [batch[1].tolist() for batch in loader]


# -- datasets ---------------------------------------------------------------------------------
def test_dataset_base_requires_getitem_and_has_no_len() -> None:
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(TypeError):  # as PyTorch's Dataset: no __len__ to inherit
        len(Dataset())


def test_tensor_dataset_samples_and_len() -> None:
    ds = tensor_ds(4)
    assert len(ds) == 4
    x, y = ds[2]
    assert isinstance(x, Tensor) and x.tolist() == [6.0, 7.0, 8.0]
    assert y.item() == 2 and y.dtype == np.int64


def test_tensor_dataset_size_mismatch_names_sizes() -> None:
    with pytest.raises(ValueError, match=r"size mismatch.*tensor 0: 4.*tensor 1: 3"):
        TensorDataset(autograd.zeros(4, 2), autograd.zeros(3))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-dimensional"):
        TensorDataset(autograd.tensor(1.0))


def test_subset_maps_indices_in_order() -> None:
    s = Subset(tensor_ds(5), [4, 0, 2])
    assert len(s) == 3
    assert [s[i][1].item() for i in range(3)] == [4, 0, 2]
    assert Subset(ListDataset(list("abcd")), [3, 1])[-1] == "b"


def test_concat_dataset_and_add() -> None:
    c = ListDataset([1, 2]) + ListDataset([3, 4, 5])
    assert isinstance(c, ConcatDataset)
    assert len(c) == 5 and [c[i] for i in range(5)] == [1, 2, 3, 4, 5] and c[-1] == 5
    with pytest.raises(IndexError):
        c[5]


# -- random_split ----------------------------------------------------------------------------
def test_random_split_int_lengths_are_disjoint_and_cover() -> None:
    parts = random_split(ListDataset(list(range(10))), [3, 7])
    assert [len(p) for p in parts] == [3, 7]
    seen = [p[i] for p in parts for i in range(len(p))]
    assert sorted(seen) == list(range(10))
    assert set(parts[0].indices).isdisjoint(parts[1].indices)


def test_random_split_fractions_distribute_remainder_like_pytorch() -> None:
    assert [len(p) for p in random_split(range(10), [0.8, 0.2])] == [8, 2]
    # floor(11 * 0.5) = 5 each; the remaining one goes to the first split.
    assert [len(p) for p in random_split(range(11), [0.5, 0.5])] == [6, 5]
    assert [len(p) for p in random_split(range(10), [0.34, 0.33, 0.33])] == [4, 3, 3]


def test_random_split_follows_manual_seed_and_generator() -> None:
    autograd.manual_seed(3)
    a = random_split(range(20), [10, 10])
    autograd.manual_seed(3)
    b = random_split(range(20), [10, 10])
    assert list(a[0].indices) == list(b[0].indices)
    g1 = random_split(range(20), [10, 10], generator=autograd.Generator(7))
    g2 = random_split(range(20), [10, 10], generator=autograd.Generator(7))
    assert list(g1[1].indices) == list(g2[1].indices)
    assert list(g1[0].indices) != list(range(10))  # actually shuffled


def test_random_split_errors() -> None:
    with pytest.raises(ValueError, match=r"sum of input lengths \(9\).*\(10\)"):
        random_split(range(10), [4, 5])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(range(10), [12, -2])
    with pytest.raises(ValueError, match="fractions summing"):
        random_split(range(10), [0.5, 0.6])


# -- DataLoader: order, shuffling, lengths --------------------------------------------------
def test_order_without_shuffle_and_len() -> None:
    loader = DataLoader(tensor_ds(10), batch_size=4)
    assert len(loader) == 3
    assert labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    xb, yb = next(iter(loader))
    assert xb.shape == (4, 3) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert xb.tolist()[1] == [3.0, 4.0, 5.0]


def test_default_batch_size_is_one() -> None:
    loader = DataLoader(tensor_ds(3))
    assert len(loader) == 3 and labels(loader) == [[0], [1], [2]]


def test_drop_last() -> None:
    loader = DataLoader(tensor_ds(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(tensor_ds(8), batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(tensor_ds(3), batch_size=4, drop_last=True)) == 0
    assert len(DataLoader(tensor_ds(3), batch_size=4)) == 1


def test_shuffle_follows_manual_seed() -> None:
    autograd.manual_seed(0)
    a = labels(DataLoader(tensor_ds(20), batch_size=5, shuffle=True))
    autograd.manual_seed(0)
    b = labels(DataLoader(tensor_ds(20), batch_size=5, shuffle=True))
    assert a == b
    flat = [i for batch in a for i in batch]
    assert sorted(flat) == list(range(20)) and flat != list(range(20))


def test_shuffle_with_generator_is_reproducible_and_independent_of_default() -> None:
    def run(seed: int) -> list[list[int]]:
        autograd.manual_seed(seed)  # must not matter when a generator is given
        g = autograd.Generator().manual_seed(42)
        return labels(DataLoader(tensor_ds(20), batch_size=5, shuffle=True, generator=g))

    assert run(0) == run(1)


def test_shuffle_gives_a_new_order_each_epoch() -> None:
    autograd.manual_seed(0)
    loader = DataLoader(tensor_ds(30), batch_size=30, shuffle=True)
    e1, e2 = labels(loader), labels(loader)
    assert e1 != e2 and sorted(e1[0]) == sorted(e2[0]) == list(range(30))


def test_permutation_is_drawn_when_the_epoch_starts() -> None:
    loader = DataLoader(tensor_ds(30), batch_size=30, shuffle=True)
    autograd.manual_seed(5)
    it = iter(loader)
    autograd.manual_seed(99)
    first = next(it)[1].tolist()
    autograd.manual_seed(5)
    assert labels(loader) == [first]


def test_fast_path_matches_general_path() -> None:
    ds = tensor_ds(13)
    general = ListDataset([ds[i] for i in range(13)])
    for shuffle in (False, True):
        autograd.manual_seed(1)
        fast = list(DataLoader(ds, batch_size=4, shuffle=shuffle))
        autograd.manual_seed(1)
        slow = list(DataLoader(general, batch_size=4, shuffle=shuffle))
        assert len(fast) == len(slow) == 4
        for (fx, fy), (sx, sy) in zip(fast, slow):
            assert fx.dtype == sx.dtype and fy.dtype == sy.dtype
            np.testing.assert_array_equal(fx.numpy(), sx.numpy())
            np.testing.assert_array_equal(fy.numpy(), sy.numpy())


def test_fast_path_indexes_each_tensor_once_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = tensor_ds(10)
    monkeypatch.setattr(TensorDataset, "__getitem__", lambda self, i: pytest.fail("per-sample"))
    assert labels(DataLoader(ds, batch_size=4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_fast_path_through_random_split_subsets(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = tensor_ds(10)
    autograd.manual_seed(0)
    train, val = random_split(ds, [7, 3])
    monkeypatch.setattr(TensorDataset, "__getitem__", lambda self, i: pytest.fail("per-sample"))
    got = [i for batch in labels(DataLoader(val, batch_size=2)) for i in batch]
    assert got == list(val.indices)
    got = [i for batch in labels(DataLoader(Subset(train, [6, 0]), batch_size=2)) for i in batch]
    assert got == [train.indices[6], train.indices[0]]


def test_batches_of_a_tensor_that_requires_grad_keep_the_graph() -> None:
    w = autograd.ones(4, 2, requires_grad=True)
    xb, _ = next(iter(DataLoader(TensorDataset(w, autograd.arange(4)), batch_size=3)))
    xb.sum().backward()
    assert w.grad is not None and w.grad.tolist() == [[1, 1], [1, 1], [1, 1], [0, 0]]


def test_sampler() -> None:
    loader = DataLoader(tensor_ds(6), batch_size=2, sampler=[5, 3, 1])
    assert len(loader) == 2 and labels(loader) == [[5, 3], [1]]
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    assert sorted(RandomSampler(range(5), generator=autograd.Generator(0))) == list(range(5))
    g = autograd.Generator(4)
    loader = DataLoader(tensor_ds(6), batch_size=6, sampler=RandomSampler(range(6), generator=g))
    assert sorted(labels(loader)[0]) == list(range(6))


# -- collation ------------------------------------------------------------------------------
def first_batch(items: list[Any], batch_size: int = 3, **kw: Any) -> Any:
    return next(iter(DataLoader(ListDataset(items), batch_size=batch_size, **kw)))


def test_collate_tensors_stacks() -> None:
    b = first_batch([autograd.tensor([float(i), 0.0]) for i in range(3)])
    assert isinstance(b, Tensor) and b.shape == (3, 2) and b.dtype == np.float32
    assert b.tolist() == [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]


def test_collate_arrays_keep_dtype() -> None:
    b = first_batch([np.full((2, 2), i, dtype=np.float64) for i in range(3)])
    assert isinstance(b, Tensor) and b.shape == (3, 2, 2) and b.dtype == np.float64
    b = first_batch([np.uint8(i) for i in range(3)])
    assert b.dtype == np.uint8 and b.tolist() == [0, 1, 2]


def test_collate_python_numbers() -> None:
    b = first_batch([1, 2, 3])
    assert isinstance(b, Tensor) and b.dtype == np.int64 and b.tolist() == [1, 2, 3]
    # as PyTorch's default_collate: a batch led by a Python float is float64; one led by an
    # int is tensor(batch) (int64, or float32 with floats in it); bools stay bools
    b = first_batch([0.5, 1.5, 2.5])
    assert b.dtype == np.float64 and b.tolist() == [0.5, 1.5, 2.5]
    assert first_batch([1.0, 2, 3]).dtype == np.float64
    assert first_batch([1, 2.5, 3]).dtype == np.float32
    assert first_batch([True, False, True]).dtype == np.bool_
    assert default_collate([True, 2]).tolist() == [1, 2]
    assert default_collate([np.float32(1), 2.0]).dtype == np.float32


def test_collate_tuples_lists_and_strings() -> None:
    xb, yb, names = first_batch([(np.ones(2, np.float32) * i, i, f"s{i}") for i in range(3)])
    assert xb.shape == (3, 2) and yb.tolist() == [0, 1, 2] and names == ["s0", "s1", "s2"]
    b = first_batch([[i, float(i)] for i in range(3)])
    assert isinstance(b, list) and b[0].dtype == np.int64 and b[1].dtype == np.float64


def test_collate_dicts_and_nesting() -> None:
    items = [{"x": autograd.ones(2) * i, "meta": {"id": i, "pair": (i, 2.0 * i)}} for i in range(3)]
    b = first_batch(items)
    assert set(b) == {"x", "meta"}
    assert b["x"].shape == (3, 2) and b["x"].tolist()[2] == [2.0, 2.0]
    assert b["meta"]["id"].tolist() == [0, 1, 2]
    assert b["meta"]["pair"][1].tolist() == [0.0, 2.0, 4.0]


def test_collate_named_tuple_keeps_type() -> None:
    Point = namedtuple("Point", ["x", "y"])
    b = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(b, Point) and b.x.tolist() == [1, 3] and b.y.dtype == np.float64


def test_collate_errors() -> None:
    with pytest.raises(ValueError, match=r"same shape.*\(2,\) at entry 0 and \(3,\) at entry 1"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(KeyError, match="sample 1 has no key 'a'"):
        default_collate([{"a": 1}, {"b": 2}])
    assert default_collate([{"a": 1}, {"a": 2, "b": 3}])["a"].tolist() == [1, 2]  # as PyTorch
    with pytest.raises(ValueError, match="equal size"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


def test_custom_collate_fn_gets_the_list_of_samples() -> None:
    seen: list[list[Any]] = []

    def collate(samples: list[Any]) -> int:
        seen.append(samples)
        return len(samples)

    loader = DataLoader(tensor_ds(5), batch_size=2, collate_fn=collate)
    assert list(loader) == [2, 2, 1]
    assert len(seen[0]) == 2 and seen[0][1][1].item() == 1  # (x, y) samples from __getitem__


# -- errors -----------------------------------------------------------------------------------
def test_empty_dataset_gives_no_batches_as_pytorch() -> None:
    loader = DataLoader(ListDataset([]))
    assert len(loader) == 0 and list(loader) == []
    with pytest.raises(ValueError, match="num_samples=0"):
        DataLoader(ListDataset([]), shuffle=True)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "4", None, True])
def test_bad_batch_size_is_an_error(bad: Any) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(tensor_ds(4), batch_size=bad)


def test_shuffle_with_sampler_is_an_error() -> None:
    with pytest.raises(ValueError, match="sampler.*shuffle"):
        DataLoader(tensor_ds(4), shuffle=True, sampler=[0, 1])


def test_other_errors() -> None:
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(tensor_ds(4), num_workers=2)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(tensor_ds(4), shuffle=True, generator=0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="map-style"):
        DataLoader(iter([1, 2]))


def test_exported_from_autograd_data() -> None:
    for name in ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "datasets"]:
        assert hasattr(autograd.data, name)


def test_a_dataset_without_len_iterates_as_pytorch() -> None:
    class Three(Dataset):
        def __getitem__(self, i: int) -> int:
            if i >= 3:
                raise IndexError(i)
            return i

    assert list(Three()) == [0, 1, 2]
    with pytest.raises(TypeError):
        len(Three())


def test_the_loader_reads_a_tensor_dataset_each_epoch() -> None:
    # PyTorch indexes the dataset when it loads; a Subset's indices changed after the loader
    # was made are seen (they were read once, at construction)
    ds = TensorDataset(autograd.arange(5) * 10)
    sub = Subset(ds, [4, 2, 0])
    loader = DataLoader(sub, batch_size=3)
    assert next(iter(loader))[0].tolist() == [40, 20, 0]
    sub.indices[0] = 1
    assert next(iter(loader))[0].tolist() == [10, 20, 0]
