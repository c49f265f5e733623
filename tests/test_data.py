"""MNIST loading (embedded and from IDX files; test images binarized or grey), binarization and batches."""
import gzip
import os
import struct

import numpy as np
import pytest

import minigrad as mg
from minigrad import data


def test_embedded_mnist_is_a_seeded_split_into_8000_train_and_2000_binarized_test_images():
    mnist = data.load_mnist()
    assert mnist.train_images.shape == (8000, 784) and mnist.test_images.shape == (2000, 784)
    assert mnist.train_images.dtype == np.float32 and mnist.train_labels.dtype == np.int64

    with np.load(data.EMBEDDED, allow_pickle=False) as f:
        images, labels = f["images"], f["labels"]
    perm = np.random.default_rng(0).permutation(10000)
    np.testing.assert_array_equal(mnist.train_labels, labels[perm[:8000]])
    np.testing.assert_array_equal(mnist.test_labels, labels[perm[8000:]])
    np.testing.assert_allclose(mnist.train_images, images[perm[:8000]].reshape(8000, 784) / 255.0, rtol=1e-6)
    # test pixels: binarized once with default_rng(1), pixel = uniform < intensity / 255
    expected = np.random.default_rng(1).random((2000, 784)) < images[perm[8000:]].reshape(2000, 784) / 255.0
    np.testing.assert_array_equal(mnist.test_images, expected.astype(np.float32))


def test_the_attribution_ships_with_the_data():
    text = open(os.path.join(os.path.dirname(data.EMBEDDED), "ATTRIBUTION.md")).read()
    assert "LeCun" in text and "CC BY-SA 3.0" in text and "training" in text


def test_binarize_draws_each_pixel_with_its_grey_level():
    grey = np.full((200, 500), 0.3, dtype=np.float32)
    grey[:, :100] = 0.0
    grey[:, 100:200] = 1.0
    x = data.binarize(grey, mg.backend.host_generator(0))
    assert x.dtype == np.float32 and set(np.unique(x)) <= {0.0, 1.0}
    assert not x[:, :100].any() and x[:, 100:200].all()
    assert x[:, 200:].mean() == pytest.approx(0.3, abs=0.005)
    np.testing.assert_array_equal(x, data.binarize(grey, mg.backend.host_generator(0)))   # seeded: repeatable


# ---------------------------------------------------------------- IDX files

def idx_bytes(array):
    """The IDX encoding of a uint8 array: 0, 0, type 0x08, ndim, big-endian sizes, values."""
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_mnist_folder(folder, compress, n_train=7, n_test=3):
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8)}
    for name, array in arrays.items():
        if compress:
            with gzip.open(os.path.join(folder, name + ".gz"), "wb") as f:
                f.write(idx_bytes(array))
        else:
            with open(os.path.join(folder, name), "wb") as f:
                f.write(idx_bytes(array))
    return arrays


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_reads_official_idx_files(tmp_path, compress):
    arrays = write_mnist_folder(tmp_path, compress)
    mnist = data.load_mnist(str(tmp_path))
    np.testing.assert_allclose(mnist.train_images, arrays["train-images-idx3-ubyte"].reshape(7, 784) / 255.0,
                               rtol=1e-6)
    np.testing.assert_array_equal(mnist.train_labels, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(mnist.test_labels, arrays["t10k-labels-idx1-ubyte"])
    grey = arrays["t10k-images-idx3-ubyte"].reshape(3, 784) / 255.0
    np.testing.assert_array_equal(mnist.test_images, np.random.default_rng(1).random((3, 784)) < grey)


def test_read_idx_of_other_types_and_shapes(tmp_path):
    values = np.arange(6, dtype=">i4").reshape(2, 3)
    path = tmp_path / "ints-idx2"
    path.write_bytes(bytes([0, 0, 0x0C, 2]) + struct.pack(">2I", 2, 3) + values.tobytes())
    np.testing.assert_array_equal(data.read_idx(str(path)), np.arange(6).reshape(2, 3))


def test_missing_folder_or_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        data.load_mnist(str(tmp_path / "nowhere"))
    write_mnist_folder(tmp_path, compress=False)
    os.remove(tmp_path / "t10k-labels-idx1-ubyte")
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        data.load_mnist(str(tmp_path))


def test_malformed_files_are_refused_clearly(tmp_path):
    bad_magic = tmp_path / "bad-magic"
    bad_magic.write_bytes(b"PK\x03\x04 this is a zip, not IDX")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(str(bad_magic))

    truncated = tmp_path / "truncated"
    truncated.write_bytes(idx_bytes(np.zeros((4, 28, 28), np.uint8))[:-10])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(str(truncated))

    not_gzip = tmp_path / "fake.gz"
    not_gzip.write_bytes(idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(ValueError, match="cannot read"):
        data.read_idx(str(not_gzip))


def test_images_and_labels_of_different_lengths_are_refused(tmp_path):
    arrays = write_mnist_folder(tmp_path, compress=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(arrays["train-labels-idx1-ubyte"][:5]))
    with pytest.raises(ValueError, match="do not match"):
        data.load_mnist(str(tmp_path))


# ---------------------------------------------------------------- batches

def test_batches_cover_every_row_once_per_epoch(device):
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10)
    batches = data.BatchIterator(x, y, batch_size=4, shuffle=True, rng=mg.backend.host_generator(0), device=device)
    assert len(batches) == 3
    for _ in range(2):   # two epochs, two orders
        seen = [(xb.numpy()[:, 0], yb.numpy()) for xb, yb in batches]
        assert [len(b) for b, _ in seen] == [4, 4, 2]
        assert all(xb.device == device for xb, _ in batches)
        np.testing.assert_array_equal(np.concatenate([b for b, _ in seen]), np.concatenate([c for _, c in seen]))
        assert sorted(np.concatenate([c for _, c in seen])) == list(range(10))


def test_batches_in_order_and_drop_last():
    x = np.arange(10, dtype=np.float32)
    batches = data.BatchIterator(x, batch_size=4, drop_last=True)
    assert len(batches) == 2
    np.testing.assert_array_equal(np.concatenate([b.numpy() for b in batches]), np.arange(8))


def test_batches_refuse_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="different lengths"):
        data.BatchIterator(np.zeros(3), np.zeros(4))


# ---------------------------------------------------------------- MNIST for a classifier

def test_grey_test_images_are_the_grey_originals():
    grey, binary = data.load_mnist(binarize_test=False), data.load_mnist()
    with np.load(data.EMBEDDED, allow_pickle=False) as f:
        images = f["images"]
    test = np.random.default_rng(0).permutation(10000)[8000:]
    assert grey.test_images.shape == (2000, 784) and grey.test_images.dtype == np.float32
    np.testing.assert_allclose(grey.test_images, images[test].reshape(2000, 784) / 255.0, rtol=1e-6)
    assert grey.test_images.min() >= 0.0 and grey.test_images.max() <= 1.0
    assert len(np.unique(grey.test_images)) > 2                              # grey levels, not only 0 and 1
    assert set(np.unique(binary.test_images)) == {0.0, 1.0}                  # the default: binarized, for the VAE
    for field in ("train_images", "train_labels", "test_labels"):
        np.testing.assert_array_equal(getattr(grey, field), getattr(binary, field))


def test_grey_test_images_from_idx_files(tmp_path):
    arrays = write_mnist_folder(tmp_path, compress=True)
    grey = data.load_mnist(str(tmp_path), binarize_test=False)
    np.testing.assert_allclose(grey.test_images, arrays["t10k-images-idx3-ubyte"].reshape(3, 784) / 255.0, rtol=1e-6)
