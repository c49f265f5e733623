"""Data: MNIST digits, binarization and a batch iterator.

    data = mg.data.load_mnist()                  # the 10,000 digits shipped with minigrad
    rng = mg.backend.host_generator(0)
    x = mg.data.binarize(data.train_images, rng)  # a fresh 0/1 version of the training digits
    for batch in mg.data.BatchIterator(x, batch_size=128, shuffle=True, rng=rng, device="cpu"):
        ...

Arrays stay NumPy arrays on the host until the batch iterator turns each batch into a
tensor on the model's device. Randomness comes from a NumPy Generator that the caller
passes in (``mg.backend.host_generator(seed)``), so a seeded program shuffles and
binarizes the same way on every run.

Binarized MNIST. The VAE models each pixel as a coin (Bernoulli), so pixels must be 0 or
1. Following Salakhutdinov & Murray (2008), a pixel of grey level v in [0, 1] becomes 1
with probability v; the training images are binarized afresh every epoch (a little data
augmentation), the test images once, with a fixed seed, so that test numbers compare.
"""
import gzip
import os
from typing import NamedTuple

import numpy

from .. import backend
from ..tensor import tensor

HERE = os.path.dirname(os.path.abspath(__file__))
EMBEDDED = os.path.join(HERE, "mnist10k.npz")   # credit and licence: ATTRIBUTION.md beside it

__all__ = ["EMBEDDED", "MNIST", "load_mnist", "binarize", "read_idx", "BatchIterator"]


class MNIST(NamedTuple):
    """Images flattened to 784 values, labels as int64."""
    train_images: numpy.ndarray   # (n_train, 784) float32 grey levels in [0, 1]
    train_labels: numpy.ndarray   # (n_train,) int64 digits 0..9
    test_images: numpy.ndarray    # (n_test, 784) float32, binarized once: each value 0.0 or 1.0
    test_labels: numpy.ndarray    # (n_test,) int64


def load_mnist(path=None):
    """MNIST as an :class:`MNIST` tuple: grey training images and binarized test images.

    Without ``path``: the 10,000 digits shipped with minigrad, split so that numbers are
    comparable between implementations:

        perm = numpy.random.default_rng(0).permutation(10000)
        train = perm[:8000], test = perm[8000:]

    With ``path``: the official MNIST files in that folder (``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``,
    each possibly gzipped as ``.gz``): the 60,000 training and 10,000 test digits.

    Either way the test images are binarized once: pixel = (u < grey level / 255) with u
    drawn by ``numpy.random.default_rng(1).random(test_images.shape)`` (float64, in the
    order of the (n_test, 784) array).
    """
    if path is None:
        with numpy.load(EMBEDDED, allow_pickle=False) as f:
            images, labels = f["images"], f["labels"]
        perm = backend.host_generator(0).permutation(len(images))
        train, test = perm[:8000], perm[8000:]
        train_images, train_labels = images[train], labels[train]
        test_images, test_labels = images[test], labels[test]
    else:
        train_images = read_idx(_find(path, "train-images", "idx3"))
        train_labels = read_idx(_find(path, "train-labels", "idx1"))
        test_images = read_idx(_find(path, "t10k-images", "idx3"))
        test_labels = read_idx(_find(path, "t10k-labels", "idx1"))
        for name, x, y in (("train", train_images, train_labels), ("t10k", test_images, test_labels)):
            if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
                raise ValueError(f"load_mnist: the {name} files do not match: images of shape {x.shape}, "
                                 f"labels of shape {y.shape} (expected (n, rows, cols) and (n,))")
    n_test = len(test_images)
    test_grey = test_images.reshape(n_test, -1) / 255.0
    test_binary = backend.host_generator(1).random(test_grey.shape) < test_grey
    return MNIST(train_images=(train_images.reshape(len(train_images), -1) / numpy.float32(255)).astype(numpy.float32),
                 train_labels=train_labels.astype(numpy.int64),
                 test_images=test_binary.astype(numpy.float32),
                 test_labels=test_labels.astype(numpy.int64))


def binarize(images, rng):
    """1.0 where a uniform draw from ``rng`` is below the grey level, else 0.0 (same shape and dtype)."""
    return (rng.random(images.shape, dtype=images.dtype) < images).astype(images.dtype)


# ---------------------------------------------------------------- the IDX format

_IDX_DTYPES = {0x08: numpy.uint8, 0x09: numpy.int8, 0x0B: numpy.dtype(">i2"), 0x0C: numpy.dtype(">i4"),
               0x0D: numpy.dtype(">f4"), 0x0E: numpy.dtype(">f8")}


def _find(folder, stem, kind):
    """The path of an MNIST file in ``folder``: ``train-images-idx3-ubyte`` or a variant of it."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"load_mnist: {folder!r} is not a folder; pass the folder that holds the "
                                "four MNIST IDX files (train-images-idx3-ubyte.gz, ...)")
    names = [f"{stem}-{kind}-ubyte", f"{stem}.{kind}-ubyte"]
    for name in names:
        for candidate in (name, name + ".gz"):
            full = os.path.join(folder, candidate)
            if os.path.isfile(full):
                return full
    raise FileNotFoundError(f"load_mnist: no {names[0]} (or {names[0]}.gz) in {folder!r}; the folder must hold "
                            "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
                            "t10k-labels-idx1-ubyte, each gzipped or not")


def read_idx(filename):
    """The array stored in an IDX file (the format of the MNIST files), gzipped or not.

    The format: two zero bytes, a byte naming the element type (0x08 = uint8), a byte
    giving the number of dimensions d, then d big-endian 32-bit sizes, then the values
    in C order.
    """
    opener = gzip.open if filename.endswith(".gz") else open
    try:
        with opener(filename, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:   # gzip.BadGzipFile is an OSError
        raise ValueError(f"read_idx: cannot read {filename!r}: {e}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"read_idx: {filename!r} is not an IDX file (it must start with two zero bytes and a "
                         f"type code; it starts with {raw[:4]!r})")
    dtype, ndim = numpy.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {filename!r} ends inside its header ({len(raw)} bytes, {ndim} dimensions)")
    shape = tuple(int(n) for n in numpy.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header + int(numpy.prod(shape, dtype=numpy.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"read_idx: {filename!r} has {len(raw)} bytes, but its header (shape {shape}, {dtype}) "
                         f"promises {expected}; the file is truncated or corrupt")
    return numpy.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


# ---------------------------------------------------------------- batches

class BatchIterator:
    """Minibatches of one or more arrays, as tensors on ``device``; each pass over it is an epoch.

        for x, y in BatchIterator(images, labels, batch_size=128, shuffle=True, rng=rng, device="cuda"):

    ``shuffle`` draws a new order from ``rng`` (a NumPy Generator) at the start of every
    epoch; ``drop_last`` leaves out a last batch smaller than ``batch_size``. With one
    array the batches are single tensors, not 1-tuples.
    """

    def __init__(self, *arrays, batch_size=128, shuffle=False, drop_last=False, rng=None, device=None):
        if not arrays:
            raise ValueError("BatchIterator: give at least one array")
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError(f"BatchIterator: the arrays have different lengths {[len(a) for a in arrays]}")
        if batch_size < 1:
            raise ValueError(f"BatchIterator: batch_size must be >= 1, got {batch_size}")
        self.arrays, self.n, self.batch_size = arrays, n, batch_size
        self.shuffle, self.drop_last, self.device = shuffle, drop_last, device
        self.rng = rng if rng is not None else backend.host_generator(None)

    def __len__(self):
        return self.n // self.batch_size if self.drop_last else -(-self.n // self.batch_size)

    def __iter__(self):
        order = self.rng.permutation(self.n) if self.shuffle else numpy.arange(self.n)
        for b in range(len(self)):
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            batch = tuple(tensor(a[index], device=self.device) for a in self.arrays)
            yield batch[0] if len(batch) == 1 else batch
