"""The PyTorch spellings a student types on day one: each either does what PyTorch does (where it
means the same thing) or raises an error that names minigrad's word; never a bare AttributeError
or "'int' object is not callable". docs/names.md lists each choice."""
import numpy as np
import pytest

import minigrad as mg

# ---------------------------------------------------------------- shapes as separate integers


@pytest.mark.parametrize("make", [mg.zeros, mg.ones])
def test_a_shape_given_as_separate_integers_is_accepted(device, make):
    # PyTorch's torch.zeros(8, 28, 28); NumPy cannot read it (a second integer would be its dtype)
    x = make(8, 28, 28, device=device)
    assert x.shape == (8, 28, 28) and x.device == device and x.dtype == mg.get_default_dtype()
    assert make(4, 3, dtype=mg.float64, device=device, requires_grad=True).requires_grad
    assert make(4, 3, dtype=mg.int64).dtype == np.int64
    np.testing.assert_array_equal(make(4, 3).numpy(), make((4, 3)).numpy())


@pytest.mark.parametrize("make", [mg.zeros, mg.ones])
def test_numpys_spellings_of_the_shape_and_dtype_still_work(make):
    assert make((2, 3)).shape == (2, 3) and make([2, 3]).shape == (2, 3) and make(5).shape == (5,)
    assert make(()).shape == ()
    assert make((2, 3), mg.float64).dtype == np.float64        # numpy.zeros((2, 3), numpy.float64)
    assert make(3, mg.float64).dtype == np.float64


def test_a_shape_that_is_not_integers_says_how_to_write_it():
    with pytest.raises(TypeError, match=r"zeros: the shape is made of integers, got 28.0 after \(8,\)"):
        mg.zeros(8, 28.0)
    with pytest.raises(TypeError, match=r"ones: 'cpu' is not a dtype; give the dtype and the device by keyword"):
        mg.ones((2, 3), "cpu")
    with pytest.raises(TypeError, match=r"zeros: got dtype twice"):
        mg.zeros((2, 3), mg.float32, dtype=mg.float64)
    with pytest.raises(TypeError, match=r"zeros: missing the shape: write mg.zeros\(\(2, 3\)\) or mg.zeros\(2, 3\)"):
        mg.zeros()


# ---------------------------------------------------------------- functions under PyTorch's names

def test_cat_is_concatenate_and_refuses_dim_naming_axis(device):
    a = mg.tensor([[1.0, 2.0]], device=device, requires_grad=True)
    b = mg.tensor([[3.0, 4.0], [5.0, 6.0]], device=device)
    np.testing.assert_array_equal(mg.cat([a, b]).numpy(), mg.concatenate([a, b]).numpy())
    np.testing.assert_array_equal(mg.cat([a, a], axis=1).numpy(), [[1.0, 2.0, 1.0, 2.0]])
    mg.cat([a, b], 0).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1.0, 1.0]])
    with pytest.raises(TypeError, match=r"cat: minigrad uses NumPy's argument names; write axis= instead of "
                                        r"PyTorch's dim="):
        mg.cat([a, a], dim=1)


def test_from_numpy_shares_memory_and_keeps_the_dtype():
    array = np.arange(6, dtype=np.float64).reshape(2, 3)
    x = mg.from_numpy(array)
    assert x.dtype == np.float64 and x.shape == (2, 3) and x.device == "cpu" and not x.requires_grad
    array[0, 0] = 100.0                       # as torch.from_numpy: one memory, seen by both
    assert x.numpy()[0, 0] == 100.0
    assert mg.from_numpy(np.arange(3)).dtype == np.int64
    with pytest.raises(TypeError, match=r"from_numpy: expected a numpy.ndarray, got list; mg.tensor\(data\)"):
        mg.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError, match="from_numpy: arrays of dtype object cannot be tensors"):
        mg.from_numpy(np.array([None]))


# ---------------------------------------------------------------- Tensor methods

def test_view_is_reshape_and_shares_memory_where_the_layout_allows(device):
    x = mg.tensor(np.arange(12.0), device=device, requires_grad=True)
    v = x.view(-1, 4)
    assert v.shape == (3, 4) and x.view((2, 6)).shape == (2, 6) and x.view(3, 2, 2).shape == (3, 2, 2)
    np.testing.assert_array_equal(v.numpy(), x.reshape(3, 4).numpy())
    (v * v).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.arange(12.0))
    with mg.no_grad():
        x.view(3, 4)[0, 0] = -1.0             # as PyTorch's view, the same memory
    assert x.numpy()[0] == -1.0
    with pytest.raises(TypeError, match=r"view takes a shape only.*write x.astype\("):
        x.view(mg.float32)


def test_view_after_a_transpose_copies_where_pytorch_would_raise():
    x = mg.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.T.view(-1).numpy(), np.arange(6.0).reshape(2, 3).T.reshape(-1))


@pytest.mark.parametrize("method, dtype", [("float", np.float32), ("double", np.float64), ("half", np.float16),
                                           ("long", np.int64), ("int", np.int32), ("bool", np.bool_)])
def test_pytorchs_casts_give_pytorchs_dtypes(device, method, dtype):
    mg.set_default_dtype(mg.float64)          # x.float() is float32 whatever the default, as in PyTorch
    x = mg.tensor([1.7, 0.0, -2.0], device=device)
    y = getattr(x, method)()
    assert y.dtype == dtype and y.device == device
    np.testing.assert_array_equal(y.numpy(), x.numpy().astype(dtype))


def test_float_stays_on_the_tape():
    x = mg.tensor([1.5], dtype=mg.float64, requires_grad=True)
    (x.float() * 2.0).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.numpy()[0] == 2.0


def test_size_is_numpys_element_count_and_calling_it_names_shape(device):
    x = mg.zeros((3, 4), device=device)
    assert x.size == 12 and isinstance(x.size, int) and x.size + 1 == 13 and x.numel() == 12
    assert np.zeros(x.size).shape == (12,)
    with pytest.raises(TypeError, match=r"Tensor.size is NumPy's number of elements \(12\), an int, not PyTorch's "
                                        r"method size\(\); for the shape write x.shape\[0\] \(here 3\)"):
        x.size(0)
    with pytest.raises(TypeError, match=r"write x.shape\[-1\] \(here 4\)"):
        x.size(-1)
    with pytest.raises(TypeError, match=r"for the shape write x.shape \(here \(3, 4\)\)"):
        x.size()


def test_max_over_an_axis_returns_the_values_only_as_numpy():
    t = mg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values = t.max(1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    a, b = t.max(1)                           # unpacks the two values, not (values, indices)
    assert (a.item(), b.item()) == (5.0, 7.0)
    values, indices = t.max(1, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), [1, 0])


# ---------------------------------------------------------------- optimizer.zero_grad

def step_once(optimizer, p):
    (p * p).sum().backward()
    optimizer.step()


@pytest.mark.parametrize("make", [lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: mg.optim.Adam(ps, lr=0.1)], ids=["SGD", "Adam"])
def test_zero_grad_sets_the_gradients_to_none_by_default_as_pytorch(make):
    p = mg.nn.Parameter(mg.ones(3, dtype=mg.float64))
    optimizer = make([p])
    step_once(optimizer, p)
    optimizer.zero_grad()
    assert p.grad is None
    step_once(optimizer, p)
    optimizer.zero_grad(set_to_none=True)
    assert p.grad is None


def test_zero_grad_set_to_none_false_leaves_zeros_that_the_next_backward_adds_to():
    p = mg.nn.Parameter(mg.tensor([1.0, 2.0], dtype=mg.float64))
    optimizer = mg.optim.SGD([p], lr=0.1)
    p.sum().backward()                        # a gradient that is a read-only broadcast of the cotangent
    optimizer.zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.dtype == np.float64
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [2.0, 4.0])
    q = mg.nn.Parameter(mg.ones(2))
    mg.optim.SGD([q], lr=0.1).zero_grad(set_to_none=False)   # a parameter without a gradient keeps None
    assert q.grad is None


def test_a_modules_zero_grad_takes_pytorchs_set_to_none():
    model = mg.nn.Linear(2, 1, dtype=mg.float64)
    model(mg.ones((3, 2), dtype=mg.float64)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_zero_grad_set_to_none_false_cuts_a_gradient_from_its_graph():
    p = mg.nn.Parameter(mg.tensor([1.0, 2.0], dtype=mg.float64))
    (p * p * p).sum().backward(create_graph=True)
    assert p.grad.requires_grad
    mg.optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert not p.grad.requires_grad and p.grad.is_leaf


# ---------------------------------------------------------------- torch.utils.data's path

def test_minigrad_utils_data_is_torch_utils_datas_path_to_mg_data():
    from minigrad.utils.data import DataLoader, Dataset, TensorDataset
    assert (DataLoader, Dataset, TensorDataset) == (mg.data.DataLoader, mg.data.Dataset, mg.data.TensorDataset)
    assert mg.utils.data.DataLoader is mg.data.DataLoader

    class Squares(Dataset):                   # a map-style dataset, written as for PyTorch
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.float64(i), np.float64(i * i)

    batches = list(DataLoader(Squares(), batch_size=2))
    np.testing.assert_array_equal(batches[1][1].numpy(), [4.0, 9.0])
    assert len(batches) == 3 and isinstance(TensorDataset(np.zeros(3)), Dataset)
    with pytest.raises(NotImplementedError, match="Dataset subclass must define __getitem__"):
        Dataset()[0]


# ---------------------------------------------------------------- keywords and a constructor refused, naming ours

@pytest.mark.parametrize("call, ours", [
    (lambda x: x.sum(dim=0), "axis="), (lambda x: mg.sum(x, dim=0), "axis="),
    (lambda x: x.mean(axis=0, keepdim=True), "keepdims="), (lambda x: mg.max(x, keepdim=True), "keepdims="),
    (lambda x: x.softmax(dim=-1), "axis="), (lambda x: mg.log_softmax(x, dim=-1), "axis="),
    (lambda x: x.var(unbiased=False), "ddof="), (lambda x: mg.concatenate([x, x], dim=0), "axis="),
    (lambda x: x.unsqueeze(dim=0), "axis="), (lambda x: mg.stack([x, x], dim=1), "axis=")])
def test_pytorch_keyword_names_get_an_error_naming_numpys(device, call, ours):
    x = mg.ones((2, 3), device=device)
    with pytest.raises(TypeError, match=f"write {ours}"):
        call(x)


def test_the_tensor_class_called_with_a_list_points_to_mg_tensor():
    with pytest.raises(TypeError, match=r"mg.tensor\(data\)"):
        mg.Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"mg.tensor\(data\)"):
        mg.Tensor(3.0)


def test_pytorch_dim_keywords_are_refused_with_numpys_names(device):
    x = mg.tensor(np.ones((2, 3)), requires_grad=True, device=device)
    for call in (lambda: x.cumsum(dim=0), lambda: x.prod(dim=1), lambda: x.std(dim=0), lambda: x.flip(dim=0),
                 lambda: x.norm(dim=1), lambda: x.any(dim=0), lambda: mg.split(x, 1, dim=0),
                 lambda: x.gather(dim=1, indices=mg.tensor(np.zeros((2, 1), np.int64), device=device))):
        with pytest.raises(TypeError, match="axis="):
            call()


@pytest.mark.parametrize("method", ["sum", "mean", "var", "std", "prod", "norm", "max", "min", "argmax", "argmin",
                                    "any", "all", "cumsum", "logsumexp", "softmax", "log_softmax", "squeeze",
                                    "expand_dims", "flip"])
def test_every_tensor_method_with_an_axis_refuses_dim_naming_axis(method):
    # the methods hand dim= on to the op, whose decorator refuses it (expand_dims refuses it itself)
    x = mg.tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=f"{method}: minigrad uses NumPy's argument names; write axis="):
        getattr(x, method)(dim=0)
