"""TensorDataset and DataLoader: every example once per epoch, seeded orders, devices and dtypes."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import data


def ids_per_batch(loader):
    """The example ids of each batch of one epoch (the first field holds the ids)."""
    return [batch[0].numpy().tolist() for batch in loader]


@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans(), shuffle=st.booleans(),
       seed=st.integers(0, 2 ** 32 - 1))
def test_every_example_is_seen_exactly_once_per_epoch(device, n, batch_size, drop_last, shuffle, seed):
    ids = np.arange(n)
    loader = data.DataLoader(data.TensorDataset(ids, -ids), batch_size, shuffle, drop_last=drop_last, seed=seed,
                             device=device)
    for _epoch in range(2):
        batches = list(loader)
        assert len(batches) == len(loader) == (n // batch_size if drop_last else -(-n // batch_size))
        seen = [i for x, _ in batches for i in x.numpy().tolist()]
        assert len(seen) == len(set(seen))                                   # nothing twice
        if drop_last:
            assert all(len(x) == batch_size for x, _ in batches) and len(seen) == n - n % batch_size
        else:
            assert sorted(seen) == list(range(n))                            # everything
        if not shuffle:
            assert seen == list(range(len(seen)))
        for x, y in batches:                                                 # fields stay paired
            np.testing.assert_array_equal(y.numpy(), -x.numpy())


def test_same_seed_same_orders_and_every_epoch_a_new_order():
    dataset = data.TensorDataset(np.arange(50))
    a = data.DataLoader(dataset, batch_size=10, shuffle=True, seed=7)
    b = data.DataLoader(dataset, batch_size=10, shuffle=True, seed=7)
    epochs_a, epochs_b = [ids_per_batch(a) for _ in range(3)], [ids_per_batch(b) for _ in range(3)]
    assert epochs_a == epochs_b                                              # the same sequence of orders
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]                        # a new order every epoch
    assert ids_per_batch(data.DataLoader(dataset, batch_size=10, shuffle=True, seed=8)) != epochs_a[0]
    rng_loader = data.DataLoader(dataset, batch_size=10, shuffle=True, rng=mg.backend.host_generator(7))
    assert ids_per_batch(rng_loader) == epochs_a[0]                          # seed=s is rng=host_generator(s)


def test_without_seed_the_order_follows_mg_random_seed():
    dataset = data.TensorDataset(np.arange(50))
    mg.random.seed(3)
    first = ids_per_batch(data.DataLoader(dataset, batch_size=10, shuffle=True))
    mg.random.seed(3)
    assert ids_per_batch(data.DataLoader(dataset, batch_size=10, shuffle=True)) == first
    mg.random.seed(4)
    assert ids_per_batch(data.DataLoader(dataset, batch_size=10, shuffle=True)) != first


@pytest.mark.parametrize("as_tensors", [False, True])
def test_batches_land_on_the_device_with_their_dtypes(device, as_tensors):
    x = np.random.default_rng(0).random((10, 4)).astype(np.float32)
    x[:, 0] = np.arange(10)                                                  # row ids
    y = np.arange(10, dtype=np.int64) % 3
    arrays = (mg.tensor(x, device=device), mg.tensor(y, device=device)) if as_tensors else (x, y)
    loader = data.DataLoader(data.TensorDataset(*arrays), batch_size=4, shuffle=True, seed=0, device=device)
    for xb, yb in loader:
        assert (xb.device, yb.device) == (device, device)
        assert (xb.dtype, yb.dtype) == (np.float32, np.int64)
        assert not xb.requires_grad
        ids = xb.numpy()[:, 0].astype(int)
        np.testing.assert_array_equal(xb.numpy(), x[ids])
        np.testing.assert_array_equal(yb.numpy(), y[ids])


def test_a_batch_is_a_copy_not_a_view_of_the_data():
    x = np.zeros((4, 2), dtype=np.float32)
    (xb,) = next(iter(data.DataLoader(data.TensorDataset(x), batch_size=4)))
    with mg.no_grad():
        xb += 1.0
    assert not x.any()


class Squares:
    """A map-style dataset of (array, int, float) items, as a user would write one."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float32), i, float(i * i)


def test_any_dataset_with_len_and_getitem_is_batched_by_stacking_its_items(device):
    loader = data.DataLoader(Squares(), batch_size=3, device=device)
    batches = list(loader)
    assert len(batches) == len(loader) == 3
    x, label, square = batches[0]
    np.testing.assert_array_equal(x.numpy(), [[0, 0, 0], [1, 1, 1], [2, 2, 2]])
    assert (x.dtype, label.dtype, square.dtype) == (np.float32, np.int64, mg.get_default_dtype())
    assert label.numpy().tolist() == [0, 1, 2] and square.numpy().tolist() == [0.0, 1.0, 4.0]
    assert {t.device for t in batches[0]} == {device}
    assert [len(b[0]) for b in batches] == [3, 3, 1]


def test_a_tensor_dataset_reads_like_pytorchs():
    x, y = np.arange(6.0).reshape(3, 2), np.array([0, 1, 2])
    dataset = data.TensorDataset(x, y)
    assert len(dataset) == 3 and len(dataset.tensors) == 2
    row, label = dataset[1]
    assert row.numpy().tolist() == [2.0, 3.0] and label.item() == 1
    (single,) = next(iter(data.DataLoader(data.TensorDataset(x), batch_size=2)))   # a 1-tuple, as PyTorch
    assert single.shape == (2, 2)


def test_bad_loaders_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="different lengths"):
        data.TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="first axis"):
        data.TensorDataset(np.float32(1.0))
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(data.TensorDataset(np.zeros(3)), batch_size=0)
    with pytest.raises(ValueError, match="seed or rng, not both"):
        data.DataLoader(data.TensorDataset(np.zeros(3)), seed=0, rng=mg.backend.host_generator(0))
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        data.DataLoader(iter(range(3)))
    with pytest.raises(ValueError, match="unknown device"):
        data.DataLoader(data.TensorDataset(np.zeros(3)), device="tpu")


def test_batch_iterator_is_the_loader_with_single_tensors_for_one_array(device):
    x = np.arange(10, dtype=np.float32)
    rng_a, rng_b = mg.backend.host_generator(0), mg.backend.host_generator(0)
    old = list(data.BatchIterator(x, batch_size=4, shuffle=True, rng=rng_a, device=device))
    new = list(data.DataLoader(data.TensorDataset(x), batch_size=4, shuffle=True, rng=rng_b, device=device))
    assert isinstance(old[0], mg.Tensor) and isinstance(new[0], tuple)
    assert [b.numpy().tolist() for b in old] == [b.numpy().tolist() for (b,) in new]
