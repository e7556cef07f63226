"""DataLoader: batches of a dataset, shuffled reproducibly, collated into tensors."""

from __future__ import annotations

import collections.abc
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any

import numpy as np

from ..functional import stack
from ..random import Generator, get_rng
from ..tensor import Tensor, tensor
from .dataset import Dataset, Subset, TensorDataset


class Sampler:
    """Base of the index orders a DataLoader can draw from: iterable, with a length."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1``.

    Example:
        >>> from autograd.data import SequentialSampler
        >>> list(SequentialSampler(range(3)))
        [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation each pass, drawn from ``generator`` or the default one.

    Example:
        >>> import autograd
        >>> from autograd.data import RandomSampler
        >>> sorted(RandomSampler(range(4), generator=autograd.Generator(0)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source: Sized, generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        return iter(get_rng(self.generator).permutation(len(self.data_source)).tolist())

    def __len__(self) -> int:
        return len(self.data_source)


def default_collate(batch: list[Any]) -> Any:
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors are stacked (``autograd.stack``), NumPy arrays and NumPy scalars become one tensor
    of their dtype (NumPy scalars promoted as in a tensor() of them), Python ints an int64
    tensor, floats a float64 tensor (as PyTorch: float32 for ints mixed with floats after an
    int), bools a bool tensor;
    strings stay a list; dicts collate per key; tuples and lists collate per position (a tuple
    becomes a list, as in PyTorch; a named tuple keeps its type).

    Example:
        >>> from autograd.data import default_collate
        >>> b = default_collate([(1.0, {"y": 0}), (2.0, {"y": 1})])
        >>> b[0], b[1]["y"]
        (tensor([1., 2.], dtype=float64), tensor([0, 1]))
    """
    if not isinstance(batch, (list, tuple)) or len(batch) == 0:
        raise ValueError("default_collate: expected a non-empty list of samples")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return tensor(batch)  # PyTorch's as_tensor(batch): NumPy scalars keep their dtypes
    if isinstance(elem, np.ndarray):
        arrays = [np.asarray(b) for b in batch]
        if arrays[0].dtype.kind not in "biufc":
            raise TypeError(
                f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                f"lists; found an array of dtype {arrays[0].dtype}"
            )
        return Tensor._make(_np_stack(arrays))
    if isinstance(elem, (int, float)):  # bools too
        if not all(isinstance(b, (int, float)) for b in batch):
            raise TypeError("default_collate: every sample in the batch must be a number")
        if isinstance(elem, float):  # PyTorch: a batch led by a Python float is float64
            return Tensor._make(np.array(batch, dtype=np.float64))
        return tensor(batch)  # PyTorch's tensor(batch): bools, int64, or float32 if mixed
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        keys = list(elem.keys())  # the first sample's keys, as PyTorch (others may have more)
        for i, b in enumerate(batch):
            if not isinstance(b, collections.abc.Mapping):
                raise TypeError(f"default_collate: sample 0 is a dict, sample {i} is {b!r}")
            missing = [k for k in keys if k not in b]
            if missing:
                raise KeyError(
                    f"default_collate: sample {i} has no key {missing[0]!r} (sample 0 has "
                    f"{sorted(map(str, keys))})"
                )
        collated = {k: default_collate([b[k] for b in batch]) for k in keys}
        try:
            return type(elem)(collated)  # type: ignore[call-arg]
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        for i, b in enumerate(batch):
            if len(b) != size:
                raise ValueError(
                    f"default_collate: each element in list of batch should be of equal size; "
                    f"sample 0 has {size} fields, sample {i} has {len(b)}"
                )
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


def _np_stack(arrays: list[np.ndarray]) -> np.ndarray:
    for i, a in enumerate(arrays):
        if a.shape != arrays[0].shape:
            raise ValueError(
                f"default_collate: expected each sample to have the same shape, but got "
                f"{arrays[0].shape} at entry 0 and {a.shape} at entry {i}"
            )
    return np.stack(arrays)


def _stack_tensors(batch: list[Any]) -> Tensor:
    if not all(isinstance(b, Tensor) for b in batch):
        raise TypeError("default_collate: every sample in the batch must be a Tensor")
    if any(b.requires_grad for b in batch):
        return stack(batch)  # keep the graph, as torch.stack would
    return Tensor._make(_np_stack([b.data for b in batch]))


def _tensor_source(dataset: Any) -> tuple[tuple[Tensor, ...], np.ndarray | None] | None:
    """The tensors behind a TensorDataset (possibly inside Subsets) and the index map, if any."""
    if type(dataset) is TensorDataset:
        return dataset.tensors, None
    if type(dataset) is Subset:
        inner = _tensor_source(dataset.dataset)
        if inner is None:
            return None
        idx = np.asarray(dataset.indices, dtype=np.int64)
        tensors, outer = inner
        return tensors, idx if outer is None else outer[idx]
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader`` does.

    Each pass (epoch) with ``shuffle=True`` draws a new permutation from ``generator`` or the
    default generator, so ``autograd.manual_seed`` makes the order reproducible. Batches are
    merged by ``collate_fn`` (``default_collate`` when None). For a ``TensorDataset`` (or a
    ``Subset`` of one, as ``random_split`` makes) and no ``collate_fn``, each batch is one fancy
    index per tensor, not a stack of samples. Loading runs in this process: ``num_workers`` other
    than 0 is an error.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch, a positive int.
        shuffle: draw a new random order every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: merges a list of samples into a batch.
        generator: an ``autograd.Generator`` for the shuffling.
        sampler: an iterable of indices with a length (excludes ``shuffle``).

    Example:
        >>> import autograd
        >>> from autograd.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(autograd.arange(10).reshape(5, 2), autograd.arange(5))
        >>> loader = DataLoader(ds, batch_size=2)
        >>> len(loader), [y.tolist() for _, y in loader]
        (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(
        self,
        dataset: Dataset[Any] | Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        generator: Generator | None = None,
        sampler: Iterable[int] | None = None,
        *,
        num_workers: int = 0,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer value, but got "
                f"batch_size={batch_size!r}"
            )
        if batch_size <= 0:
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer value, but got "
                f"batch_size={batch_size}"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if num_workers != 0:
            raise ValueError(
                f"DataLoader: num_workers={num_workers} is not supported; npgrad loads batches "
                f"in the main process (num_workers=0)"
            )
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(
                f"DataLoader: generator must be an autograd.Generator, not "
                f"{type(generator).__name__}"
            )
        try:
            n = len(dataset)
        except TypeError:
            raise TypeError(
                f"DataLoader: the dataset must have __len__ and __getitem__ (map-style); "
                f"got {type(dataset).__name__}"
            ) from None
        if n == 0 and shuffle:  # an empty dataset gives no batches; PyTorch's sampler refuses
            raise ValueError(
                "DataLoader: num_samples should be a positive integer value, but got num_samples=0"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator
        self.num_workers = 0
        if sampler is None:
            sampler = RandomSampler(dataset, generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        # The epoch's order is drawn here, when the epoch starts, not at the first next(); the
        # tensors behind a TensorDataset are read here too (the dataset may have changed).
        source = _tensor_source(self.dataset) if self.collate_fn is None else None
        return self._batches(iter(self.sampler), source)

    def _batches(self, order: Iterator[int], source: Any) -> Iterator[Any]:
        batch: list[int] = []
        for i in order:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield self._fetch(batch, source)
                batch = []
        if batch and not self.drop_last:
            yield self._fetch(batch, source)

    def _fetch(self, indices: list[int], source: Any) -> Any:
        if source is not None:
            tensors, index_map = source
            idx = np.asarray(indices, dtype=np.int64)
            if index_map is not None:
                idx = index_map[idx]
            return [t[idx] if t.requires_grad else Tensor._make(t.data[idx]) for t in tensors]
        samples = [self.dataset[i] for i in indices]
        collate = self.collate_fn or default_collate
        return collate(samples)

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
