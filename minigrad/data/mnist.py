"""MNIST: the 10,000 digits shipped with minigrad or the official files, the IDX format, binarization.

Binarized MNIST. The VAE models each pixel as a coin (Bernoulli), so pixels must be 0 or
1. Following Salakhutdinov & Murray (2008), a pixel of grey level v in [0, 1] becomes 1
with probability v; the training images are binarized afresh every epoch (a little data
augmentation), the test images once, with a fixed seed, so that test numbers compare.
A classifier wants the grey levels of both: ``load_mnist(binarize_test=False)``.
"""
import gzip
import os
from typing import NamedTuple

import numpy

from .. import backend

HERE = os.path.dirname(os.path.abspath(__file__))
EMBEDDED = os.path.join(HERE, "mnist10k.npz")   # credit and licence: ATTRIBUTION.md beside it


class MNIST(NamedTuple):
    """Images flattened to 784 float32 values, labels as int64."""
    train_images: numpy.ndarray   # (n_train, 784) grey levels in [0, 1]
    train_labels: numpy.ndarray   # (n_train,) digits 0..9
    test_images: numpy.ndarray    # (n_test, 784) binarized once, each value 0.0 or 1.0 (the default),
                                  # or grey levels in [0, 1] with load_mnist(binarize_test=False)
    test_labels: numpy.ndarray    # (n_test,)


def load_mnist(path=None, binarize_test=True):
    """MNIST as an :class:`MNIST` tuple: grey training images, and test images binarized or grey.

    Which to use when:

    - a VAE (or any model of binary pixels): ``load_mnist()``. The test images are binarized
      once, with a fixed seed, so that test log-likelihoods compare between runs and papers;
      binarize the training images afresh each epoch with :func:`binarize`.
    - a classifier: ``load_mnist(binarize_test=False)``. The test images are then grey levels
      in [0, 1], like the training images; a classifier trained on grey digits and tested
      on binarized ones would be tested on a different distribution.

    Without ``path``: the 10,000 digits shipped with minigrad, split so that numbers are
    comparable between implementations:

        perm = numpy.random.default_rng(0).permutation(10000)
        train = perm[:8000], test = perm[8000:]

    With ``path``: the official MNIST files in that folder (``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``,
    each possibly gzipped as ``.gz``): the 60,000 training and 10,000 test digits.

    Either way, binarized test images are drawn once: pixel = (u < grey level / 255) with u
    drawn by ``numpy.random.default_rng(1).random(test_images.shape)`` (float64, in the
    order of the (n_test, 784) array). Grey images are the grey levels / 255 as float32.
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
    if binarize_test:
        test_grey = test_images.reshape(len(test_images), -1) / 255.0
        test_images = (backend.host_generator(1).random(test_grey.shape) < test_grey).astype(numpy.float32)
    else:
        test_images = _grey(test_images)
    return MNIST(train_images=_grey(train_images), train_labels=train_labels.astype(numpy.int64),
                 test_images=test_images, test_labels=test_labels.astype(numpy.int64))


def _grey(images):
    """uint8 images (n, 28, 28) as float32 rows (n, 784) of grey levels in [0, 1]."""
    return (images.reshape(len(images), -1) / numpy.float32(255)).astype(numpy.float32)


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
