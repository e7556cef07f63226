"""Datasets as PyTorch's torch.utils.data has them: Dataset, TensorDataset, Subset, random_split."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from ..random import Generator, get_rng
from ..tensor import Tensor

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``.

    Example:
        >>> from autograd.data import Dataset
        >>> class Squares(Dataset):
        ...     def __getitem__(self, i): return i * i
        ...     def __len__(self): return 4
        >>> [Squares()[i] for i in range(4)], len(Squares() + Squares())
        ([0, 1, 4, 9], 8)
    """

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    # No __len__ at run time, as in PyTorch: a subclass without one is still iterable
    # (list(ds) stops at its IndexError), and len() of it is a TypeError. Type checkers see
    # one, as every dataset a DataLoader takes has one.
    if TYPE_CHECKING:

        def __len__(self) -> int: ...

    def __add__(self, other: Dataset[Any]) -> ConcatDataset[Any]:
        return ConcatDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are ``(t[i] for t in tensors)``; every tensor has the same first dim.

    Example:
        >>> import autograd
        >>> from autograd.data import TensorDataset
        >>> ds = TensorDataset(autograd.zeros(5, 3), autograd.arange(5))
        >>> len(ds), ds[2][0].shape, ds[2][1].item()
        (5, (3,), 2)
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        ts = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t)) for t in tensors)
        for i, t in enumerate(ts):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-dimensional; it has no samples")
        sizes = [t.shape[0] for t in ts]
        if any(s != sizes[0] for s in sizes):
            listed = ", ".join(f"tensor {i}: {s}" for i, s in enumerate(sizes))
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: every tensor needs the same "
                f"first dim (the number of samples), got {listed}"
            )
        self.tensors: tuple[Tensor, ...] = ts

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order.

    Example:
        >>> from autograd.data import Subset
        >>> s = Subset([10, 11, 12, 13], [3, 1])
        >>> len(s), s[0], s[1]
        (2, 13, 11)
    """

    def __init__(self, dataset: Dataset[T_co] | Sequence[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        data: Any = self.dataset
        if isinstance(index, list):
            return data[[self.indices[i] for i in index]]
        return data[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset[T_co]):
    """Several datasets one after another (what ``a + b`` makes).

    Example:
        >>> from autograd.data import ConcatDataset
        >>> c = ConcatDataset([[1, 2], [3]])
        >>> len(c), c[2], c[-1]
        (3, 3, 3)
    """

    def __init__(self, datasets: Sequence[Dataset[Any] | Sequence[Any]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset")
        self.cumulative_sizes = [int(s) for s in np.cumsum([len(d) for d in self.datasets])]

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"ConcatDataset: index out of range for length {n}")
        d = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][index - start]


def random_split(
    dataset: Dataset[T_co] | Sequence[T_co],
    lengths: Sequence[int | float],
    generator: Generator | None = None,
) -> list[Subset[T_co]]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)`` or fractions summing to 1 (then each gets
    ``floor(frac * n)`` and the remainder goes one by one to the first subsets, like PyTorch).
    The permutation comes from ``generator`` or the default one, so ``manual_seed`` fixes it.

    Example:
        >>> import autograd
        >>> from autograd.data import random_split
        >>> _ = autograd.manual_seed(0)
        >>> train, val = random_split(range(10), [0.8, 0.2])
        >>> len(train), len(val), sorted(list(train.indices) + list(val.indices)) == list(range(10))
        (8, 2, True)
    """
    n = len(dataset)
    lens = list(lengths)
    if any(isinstance(x, bool) or not isinstance(x, (int, float, np.number)) for x in lens):
        raise TypeError(f"random_split(): lengths must be ints or floats, got {lens}")
    total = float(sum(lens))
    if any(x < 0 for x in lens):
        raise ValueError(f"random_split(): lengths must be non-negative, got {lens}")
    if math.isclose(total, 1.0) and total <= 1:
        counts = [math.floor(n * float(f)) for f in lens]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(
                    f"random_split(): length of split at index {i} is 0; "
                    f"this leads to an empty Subset",
                    UserWarning,
                    stacklevel=2,
                )
    elif all(float(x).is_integer() for x in lens):
        counts = [int(x) for x in lens]
    else:
        raise ValueError(
            f"random_split(): lengths must be ints summing to len(dataset) or fractions summing "
            f"to 1, got {lens}"
        )
    if sum(counts) != n:
        raise ValueError(
            f"random_split(): sum of input lengths ({sum(counts)}) does not equal the length of "
            f"the input dataset ({n})"
        )
    perm = get_rng(generator).permutation(n).tolist()
    out: list[Subset[T_co]] = []
    start = 0
    for c in counts:
        out.append(Subset(dataset, perm[start : start + c]))
        start += c
    return out
