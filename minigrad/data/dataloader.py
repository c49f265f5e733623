"""Datasets and minibatches, as ``torch.utils.data``: Dataset, TensorDataset and DataLoader (and BatchIterator).

    dataset = mg.data.TensorDataset(images, labels)        # arrays or tensors of equal length
    loader = mg.data.DataLoader(dataset, batch_size=128, shuffle=True, seed=0, device="cuda")
    for epoch in range(epochs):
        for x, y in loader:                                 # a new order every epoch
            ...

The data stay where they are (NumPy arrays on the host, usually) until a batch is taken:
the loader picks the rows of the batch and makes tensors of them on ``device``. Batches
are plain data: they never require grad.
"""
import numpy

from .. import backend
from ..tensor import Tensor, tensor


class Dataset:
    """The base class of map-style datasets, as PyTorch's: a subclass writes ``__len__`` and ``__getitem__``.

    A :class:`DataLoader` needs only those two methods, so any object that has them is a
    dataset; subclassing this one says so, as ``class Digits(torch.utils.data.Dataset)`` does.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass must define __getitem__")


class TensorDataset(Dataset):
    """Rows of equally long arrays or tensors: ``dataset[i] == (a[i], b[i], ...)``, as PyTorch's.

    Arrays are wrapped as tensors on their own device, not copied (a NumPy array: on "cpu");
    ``dataset.tensors`` holds them. Labels keep their dtype (int64 stays int64).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: give at least one array or tensor")
        self.tensors = tuple(_as_tensor(t) for t in tensors)
        if any(t.ndim == 0 for t in self.tensors):
            raise ValueError(f"TensorDataset: each array needs a first axis of examples; got the shapes "
                             f"{[t.shape for t in self.tensors]}")
        lengths = [t.shape[0] for t in self.tensors]
        if len(set(lengths)) > 1:
            raise ValueError(f"TensorDataset: the arrays have different lengths {lengths}")

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)


def _as_tensor(value):
    """A tensor of ``value`` that shares its memory when it is an array of a device (a list is copied)."""
    if isinstance(value, Tensor):
        return value
    if backend.is_array(value):
        return Tensor(value)
    return tensor(value, device="cpu")


class DataLoader:
    """Minibatches of a dataset as tensors on ``device``; each pass over it is an epoch.

        for x, y in DataLoader(TensorDataset(images, labels), batch_size=128, shuffle=True, seed=0):

    ``dataset``: a :class:`TensorDataset`, or any object with ``__len__`` and ``__getitem__``
    (a map-style dataset) whose items are tuples ``(x, y, ...)`` or single values: arrays,
    tensors or numbers. A batch is a tuple of tensors, one per field of the items (a
    1-tuple for a TensorDataset of one array: ``for (x,) in loader``), or one tensor when
    the items are single values. A TensorDataset gives a whole batch in one indexing per
    array; another dataset is asked item by item, and the items are stacked along a new
    first axis (numbers as by ``mg.tensor``: ints become int64, floats the default dtype).

    ``batch_size`` examples per batch; the last batch is smaller when the size of the
    dataset is not a multiple of it, unless ``drop_last=True`` leaves it out. ``len(loader)``
    is the number of batches.

    ``shuffle=True`` draws a new order at the start of every epoch from the loader's
    generator: ``rng`` (a NumPy Generator, ``mg.backend.host_generator(0)``), else one seeded
    with ``seed``, else one seeded, when the loader is made, from mg.random's CPU generator,
    so that ``mg.random.seed(s)`` makes the orders repeat (as ``torch.manual_seed`` does for
    PyTorch's loader). The same seed gives the same sequence of orders, epoch after epoch.

    ``device``: where the batches go (default: where the data are, as for ``mg.tensor``).

    Unlike PyTorch: ``seed`` or ``rng`` in place of a ``generator``; ``device`` moves the
    batches (PyTorch's loader leaves them on the CPU and the loop calls ``x.to(device)``);
    no worker processes, samplers, ``collate_fn`` or ``pin_memory``.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, *, drop_last=False, seed=None, rng=None, device=None):
        name = type(self).__name__
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"{name}: the dataset must have __len__ and __getitem__ (a TensorDataset, for arrays: "
                            f"{name}(mg.data.TensorDataset(x, y), ...)); got {type(dataset).__name__}")
        if not (batch_size >= 1 and batch_size == int(batch_size)):
            raise ValueError(f"{name}: batch_size must be a whole number >= 1, got {batch_size}")
        if seed is not None and rng is not None:
            raise ValueError(f"{name}: give seed or rng, not both")
        if device is not None:
            backend.get_device(device)          # an unknown device fails here, not at the first batch
        if shuffle and rng is None:
            rng = backend.host_generator(seed if seed is not None else int(backend.rng("cpu").integers(2 ** 63)))
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, int(batch_size), shuffle, drop_last
        self.rng, self.device = rng, device

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else numpy.arange(n)
        for b in range(len(self)):
            yield self._batch(order[b * self.batch_size:(b + 1) * self.batch_size])

    def _batch(self, index):
        """The examples at ``index`` (a NumPy array of integers) as tensors on the loader's device."""
        if isinstance(self.dataset, TensorDataset):       # one indexing per array, on the array's device
            return tuple(Tensor(backend.to_device(t.data[backend.to_device(index, t.device)], self.device or t.device))
                         for t in self.dataset.tensors)
        items = [self.dataset[int(i)] for i in index]
        if isinstance(items[0], (tuple, list)):
            return tuple(self._stack([item[k] for item in items]) for k in range(len(items[0])))
        return self._stack(items)

    def _stack(self, values):
        """One field of the items of a batch, stacked along a new first axis, as a tensor."""
        first = values[0]
        if isinstance(first, dict):
            raise TypeError(f"{type(self).__name__}: items that are dicts cannot be batched here; return tuples "
                            "(x, y) from the dataset's __getitem__")
        if isinstance(first, Tensor) or backend.is_array(first):
            arrays = [v.data if isinstance(v, Tensor) else v for v in values]
            batch = backend.device_of(arrays[0]).xp.stack(arrays)
            return Tensor(batch if self.device is None else backend.to_device(batch, self.device))
        return tensor(values, device=self.device)


class BatchIterator(DataLoader):
    """Minibatches of arrays: ``DataLoader(TensorDataset(*arrays), ...)`` under minigrad's first name.

        for x in BatchIterator(images, batch_size=128, shuffle=True, rng=rng, device="cuda"):

    The same loader, with the arrays given directly, ``batch_size`` 128 unless given, and,
    with one array, batches that are single tensors rather than 1-tuples.
    """

    def __init__(self, *arrays, batch_size=128, shuffle=False, drop_last=False, rng=None, device=None):
        if not arrays:
            raise ValueError("BatchIterator: give at least one array")
        super().__init__(TensorDataset(*arrays), batch_size, shuffle, drop_last=drop_last, rng=rng, device=device)

    def __iter__(self):
        for batch in super().__iter__():
            yield batch[0] if len(batch) == 1 else batch
