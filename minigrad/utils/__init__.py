"""PyTorch's module paths, for imports written as for torch: ``minigrad.utils.data`` is :mod:`minigrad.data`.

    from minigrad.utils.data import DataLoader, TensorDataset   # as from torch.utils.data
"""
from . import data

__all__ = ["data"]
