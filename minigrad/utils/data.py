"""``torch.utils.data``'s path to minigrad's dataset and loader: the same classes as :mod:`minigrad.data`.

    from minigrad.utils.data import DataLoader, Dataset, TensorDataset

    loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True)

``DataLoader`` and ``TensorDataset`` take PyTorch's arguments for what both libraries do (see
:class:`minigrad.data.DataLoader` for the differences); the MNIST loader and ``binarize`` are only in
``mg.data``.
"""
from ..data.dataloader import DataLoader, Dataset, TensorDataset

__all__ = ["Dataset", "DataLoader", "TensorDataset"]
