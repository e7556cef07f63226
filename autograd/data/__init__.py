"""Data loading as torch.utils.data: datasets, samplers, DataLoader, and ready-made datasets."""

from __future__ import annotations

from . import datasets
from .dataloader import DataLoader, RandomSampler, Sampler, SequentialSampler, default_collate
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "TensorDataset",
    "datasets",
    "default_collate",
    "random_split",
]
