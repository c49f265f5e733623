"""Ops that move values without changing them: reshapes, flips, broadcasting, joining and splitting, indexing
(take_along_axis, gather), padding, copies, creation, astype.

Their vjps move the cotangent back to where each value came from. They are linear, so
their second derivatives are zero; gradgradcheck still checks that the vjps themselves
are recorded correctly (the vjp of reshape is a reshape, of getitem a scatter-add, ...).
The ops a classifier adds are checked with ``mg.testing.check_op``, which does all three
(forward against NumPy, first and second derivatives), over hypothesis-drawn inputs.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.testing as mgt

from strategies import arrays, arrays_and_axes, arrays_and_one_axis, float_dtypes, shapes


def tensor(array, device, requires_grad=True):
    return mg.tensor(array, requires_grad=requires_grad, device=device)


def assert_gradient_like_input(f, x):
    """The float32 gradient of f at x has x's shape, dtype and device."""
    y = f(x)
    (gx,) = mg.autograd.grad(y, x, grad_outputs=mg.ones_like(y))
    assert gx.shape == x.shape and gx.dtype == x.dtype and gx.device == x.device


# ---------------------------------------------------------------- reshape, transpose, expand_dims, squeeze

@st.composite
def arrays_and_new_shapes(draw):
    """An array and a shape with the same number of elements (one entry may be -1)."""
    x = draw(arrays(shapes()))
    scalar_shapes = [()] if x.size == 1 else []
    return x, draw(st.sampled_from([(-1,), x.shape[::-1], (1,) + x.shape, (x.size, 1), (-1, 1)] + scalar_shapes))


@given(x_shape=arrays_and_new_shapes(), dtype=float_dtypes)
def test_reshape(device, x_shape, dtype):
    x, new_shape = x_shape
    x = tensor(x.astype(dtype), device)
    y = mg.reshape(x, new_shape)
    np.testing.assert_array_equal(y.numpy(), x.numpy().reshape(new_shape))
    assert y.dtype == dtype
    assert mg.gradcheck(lambda v: mg.reshape(v, new_shape), [tensor(x.numpy(), device)])
    assert mg.gradgradcheck(lambda v: mg.reshape(v, new_shape), [tensor(x.numpy(), device)])
    assert_gradient_like_input(lambda v: mg.reshape(v, new_shape), x)


@st.composite
def arrays_and_permutations(draw):
    """An array and a permutation of its axes, written with negative numbers half of the time."""
    x = draw(arrays(shapes()))
    perm = draw(st.permutations(range(x.ndim)))
    return x, tuple(a - x.ndim if draw(st.booleans()) else a for a in perm)


@given(x_perm=arrays_and_permutations(), dtype=float_dtypes)
def test_transpose(device, x_perm, dtype):
    x, perm = x_perm
    x = tensor(x.astype(dtype), device)
    np.testing.assert_array_equal(mg.transpose(x, perm).numpy(), np.transpose(x.numpy(), perm))
    np.testing.assert_array_equal(mg.transpose(x).numpy(), np.transpose(x.numpy()))   # reversed axes
    x64 = tensor(x.numpy(), device)
    assert mg.gradcheck(lambda v: mg.transpose(v, perm), [x64])
    assert mg.gradgradcheck(lambda v: mg.transpose(v, perm), [x64])
    assert mg.gradcheck(lambda v: v.T, [x64])
    assert_gradient_like_input(lambda v: mg.transpose(v, perm), x)


@given(x=arrays(shapes()), data=st.data())
def test_expand_dims(device, x, data):
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim))
    x = tensor(x, device)
    np.testing.assert_array_equal(mg.expand_dims(x, axis).numpy(), np.expand_dims(x.numpy(), axis))
    assert mg.gradcheck(lambda v: mg.expand_dims(v, axis), [x])
    assert_gradient_like_input(lambda v: mg.expand_dims(v, axis), x.astype(mg.float32).detach().requires_grad_())


@given(x=arrays(shapes(max_dims=4, max_side=2)), data=st.data())   # side <= 2: many axes of length 1
def test_squeeze(device, x, data):
    ones = [a for a, n in enumerate(x.shape) if n == 1]
    some_ones = st.lists(st.sampled_from(ones), unique=True).map(tuple) if ones else st.just(())
    axis = data.draw(st.none() | some_ones)
    x = tensor(x, device)
    np.testing.assert_array_equal(mg.squeeze(x, axis).numpy(), np.squeeze(x.numpy(), axis))
    assert mg.gradcheck(lambda v: mg.squeeze(v, axis), [x])


def test_squeezing_an_axis_longer_than_1_is_refused(device):
    with pytest.raises(ValueError, match="not 1"):
        mg.squeeze(tensor(np.ones((1, 3)), device), 1)


# ---------------------------------------------------------------- flip and permute

@given(x_axis_keepdims=arrays_and_axes(), dtype=float_dtypes)
def test_flip(device, x_axis_keepdims, dtype):
    x, axis, _ = x_axis_keepdims
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: mg.flip(v, axis), lambda a: np.flip(a, axis), t)
    np.testing.assert_array_equal(t.flip(axis).numpy(), np.flip(t.numpy(), axis))


@given(x=arrays(shapes()), data=st.data())
def test_permute_is_transpose(device, x, data):
    axes = tuple(data.draw(st.permutations(range(x.ndim))))
    t = tensor(x, device)
    np.testing.assert_array_equal(t.permute(*axes).numpy(), np.transpose(x, axes))
    np.testing.assert_array_equal(t.permute(axes).numpy(), np.transpose(x, axes))
    mgt.check_op(lambda v: v.permute(*axes), lambda a: np.transpose(a, axes), t)


# ---------------------------------------------------------------- broadcast_to and its adjoint sum_to

@st.composite
def shapes_and_broadcast_shapes(draw):
    """A shape and a shape it broadcasts to."""
    drawn = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
    return drawn.input_shapes[0], drawn.result_shape


@given(shapes_=shapes_and_broadcast_shapes(), data=st.data())
def test_broadcast_to(device, shapes_, data):
    shape, target = shapes_
    x = tensor(data.draw(arrays(shape)), device)
    np.testing.assert_array_equal(mg.broadcast_to(x, target).numpy(), np.broadcast_to(x.numpy(), target))
    assert mg.gradcheck(lambda v: mg.broadcast_to(v, target), [x])
    assert mg.gradgradcheck(lambda v: v.broadcast_to(target), [x])


@given(shapes_=shapes_and_broadcast_shapes(), data=st.data(), step=st.sampled_from([1, 2]),
       kind=st.sampled_from(["C", "F"]))
def test_the_backends_broadcast_view_is_numpys(shapes_, data, step, kind):
    # backend.broadcast_to makes the strided view itself for C-contiguous arrays and hands
    # the others (strided slices, Fortran order, empty) to numpy.broadcast_to: same values,
    # shape and dtype either way, read-only, and sharing the array's memory
    from minigrad import backend
    shape, target = shapes_
    big = data.draw(arrays(tuple(n * step for n in shape)))
    x = big[(Ellipsis,) + tuple(slice(None, None, step) for _ in shape)]   # a view, also of a 0-d array
    x = np.asarray(x, order=kind) if step == 1 else x
    view, expected = backend.broadcast_to(x, target), np.broadcast_to(x, target)
    assert view.shape == expected.shape and view.dtype == expected.dtype
    np.testing.assert_array_equal(view, expected)
    assert not view.flags.writeable
    assert x.size == 0 or np.shares_memory(view, x)


@pytest.mark.parametrize("shape, target", [((3, 1), (3, 4)), ((1,), (2, 3)), ((), (2,)), ((1, 3), (2, 1, 3)),
                                           ((2, 3), (2, 3))])
def test_the_backends_broadcast_view_stretches_each_kind_of_axis(shape, target):
    # every case of the strides: a length-1 axis stretched, new leading axes, a 0-d array, none broadcast
    from minigrad import backend
    x = np.arange(1.0, 1.0 + int(np.prod(shape)), dtype=np.float32).reshape(shape)
    np.testing.assert_array_equal(backend.broadcast_to(x, target), np.broadcast_to(x, target))


def test_the_backends_broadcast_view_refuses_what_numpy_refuses():
    from minigrad import backend
    for shape, target in [((3,), (4,)), ((2, 3), (3,)), ((2, 1), (3, 4))]:
        with pytest.raises(ValueError):
            backend.broadcast_to(np.ones(shape, np.float32), target)


@given(shapes_=shapes_and_broadcast_shapes(), data=st.data())
def test_sum_to_is_the_adjoint_of_broadcast_to(device, shapes_, data):
    # <broadcast_to(u), v> == <u, sum_to(v)> for every u of the small shape and v of the big one
    shape, target = shapes_
    u = tensor(data.draw(arrays(shape)), device)
    v = tensor(data.draw(arrays(target)), device)
    summed = mg.sum_to(v, shape)
    assert summed.shape == shape
    left = (mg.broadcast_to(u, target).numpy() * v.numpy()).sum()
    right = (u.numpy() * summed.numpy()).sum()
    np.testing.assert_allclose(left, right, rtol=1e-10, atol=1e-10)
    assert mg.gradcheck(lambda w: mg.sum_to(w, shape), [v])
    assert mg.gradgradcheck(lambda w: mg.sum_to(w, shape), [v])


def test_broadcasting_to_an_incompatible_shape_names_both(device):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)|\(4,\).*\(2, 3\)"):
        mg.broadcast_to(tensor(np.ones((2, 3)), device), (4,))


# ---------------------------------------------------------------- concatenate and stack

@st.composite
def pieces_to_concatenate(draw):
    """1 to 3 arrays that agree on every axis but ``axis``, and that axis (maybe negative)."""
    shape = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    lengths = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    pieces = []
    for n in lengths:
        piece_shape = list(shape)
        piece_shape[axis] = n
        pieces.append(draw(arrays(tuple(piece_shape))))
    return pieces, axis


@given(pieces_axis=pieces_to_concatenate(), dtype=float_dtypes)
def test_concatenate(device, pieces_axis, dtype):
    pieces, axis = pieces_axis
    xs = [tensor(p.astype(dtype), device) for p in pieces]
    y = mg.concatenate(xs, axis=axis)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), np.concatenate([x.numpy() for x in xs], axis=axis))
    xs64 = [tensor(p, device) for p in pieces]
    assert mg.gradcheck(lambda *vs: mg.concatenate(vs, axis=axis), xs64)
    assert mg.gradgradcheck(lambda *vs: mg.concatenate(vs, axis=axis), xs64)


@st.composite
def pieces_to_stack(draw):
    """1 to 3 arrays of one shape, and a new axis for them (maybe negative)."""
    shape = draw(shapes())
    pieces = draw(st.lists(arrays(shape), min_size=1, max_size=3))
    return pieces, draw(st.integers(-len(shape) - 1, len(shape)))


@given(pieces_axis=pieces_to_stack())
def test_stack(device, pieces_axis):
    pieces, axis = pieces_axis
    xs = [tensor(p, device) for p in pieces]
    np.testing.assert_array_equal(mg.stack(xs, axis=axis).numpy(), np.stack(pieces, axis=axis))
    assert mg.gradcheck(lambda *vs: mg.stack(vs, axis=axis), xs)


def test_concatenate_float32_gradients_are_the_slices_of_g(device):
    a, b = tensor(np.ones((2, 1), np.float32), device), tensor(np.ones((2, 2), np.float32), device)
    g = mg.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3), device=device)
    ga, gb = mg.autograd.grad(mg.concatenate([a, b], axis=-1), [a, b], grad_outputs=g)
    np.testing.assert_array_equal(ga.numpy(), [[0.0], [3.0]])
    np.testing.assert_array_equal(gb.numpy(), [[1.0, 2.0], [4.0, 5.0]])
    assert ga.dtype == gb.dtype == mg.float32


# ---------------------------------------------------------------- split

@st.composite
def arrays_and_splits(draw):
    """An array, an axis, and NumPy's indices_or_sections: a divisor of the axis length, or cut points
    (unsorted, negative and out of range included)."""
    x, axis = draw(arrays_and_one_axis())
    n = x.shape[axis]
    sections = st.sampled_from([k for k in range(1, n + 1) if n % k == 0])
    cuts = st.lists(st.integers(-n - 1, n + 1), max_size=3)
    return x, axis, draw(sections | cuts)


@given(x_axis_sections=arrays_and_splits(), dtype=float_dtypes)
def test_split(device, x_axis_sections, dtype):
    x, axis, sections = x_axis_sections
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: tuple(mg.split(v, sections, axis)), lambda a: tuple(np.split(a, sections, axis)), t)
    with pytest.raises(TypeError, match=r"PyTorch's x.split\(k\) cuts pieces of length k.*mg.split"):
        t.split(sections, axis)   # one name, two meanings: the method refuses and names the function


def test_split_examples(device):
    x = tensor(np.arange(6.0), device)
    assert [p.tolist() for p in mg.split(x, 3)] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]    # 3 pieces
    assert [p.tolist() for p in mg.split(x, [1, 4])] == [[0.0], [1.0, 2.0, 3.0], [4.0, 5.0]]   # cut points
    assert [p.tolist() for p in mg.split(x, [4, 9])] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0], []]
    with pytest.raises(ValueError, match="equal pieces"):
        mg.split(x, 4)
    g = mg.tensor(np.ones(2), device=device)
    pieces = mg.split(x, 3)
    (gx,) = mg.autograd.grad([pieces[0], pieces[2]], x, grad_outputs=[g, 2 * g])   # the middle piece unused
    np.testing.assert_array_equal(gx.numpy(), [1.0, 1.0, 0.0, 0.0, 2.0, 2.0])


# ---------------------------------------------------------------- indexing

@st.composite
def arrays_and_basic_indices(draw):
    """An array and a NumPy basic index: ints (negative too), slices with any step, None, Ellipsis."""
    x = draw(arrays(shapes()))
    return x, draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))


@given(x_index=arrays_and_basic_indices())
def test_basic_indexing(device, x_index):
    x, index = x_index
    x = tensor(x, device)
    np.testing.assert_array_equal(x[index].numpy(), x.numpy()[index])
    assert mg.gradcheck(lambda v: v[index], [x])
    assert mg.gradgradcheck(lambda v: v[index], [x])
    assert_gradient_like_input(lambda v: v[index], x.astype(mg.float32).detach().requires_grad_())


@st.composite
def arrays_and_integer_array_indices(draw):
    """An array and a tuple of integer arrays (negative indices and repeats included)."""
    x = draw(arrays(shapes(min_dims=1)))
    return x, draw(hnp.integer_array_indices(x.shape, result_shape=shapes(min_dims=0, max_dims=2)))


@given(x_index=arrays_and_integer_array_indices())
def test_integer_array_indexing(device, x_index):
    x, index = x_index
    x = tensor(x, device)
    on_device = tuple(mg.tensor(i, device=device) for i in index)   # index arrays live where x lives
    np.testing.assert_array_equal(x[on_device].numpy(), x.numpy()[index])
    # the vjp scatters with add: an element picked k times gets k times g
    (gx,) = mg.autograd.grad(x[on_device].sum(), x)
    picked = np.zeros(x.shape)
    np.add.at(picked, index, 1.0)
    np.testing.assert_array_equal(gx.numpy(), picked)
    assert mg.gradcheck(lambda v: v[on_device], [x])
    assert mg.gradgradcheck(lambda v: v[on_device], [x])


def test_repeated_indices_accumulate_in_the_gradient(device):
    x = tensor(np.array([10.0, 20.0, 30.0]), device)
    (gx,) = mg.autograd.grad(x[[0, 0, 2, 0]].sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [3.0, 0.0, 1.0])
    m = tensor(np.arange(6.0).reshape(2, 3), device)
    columns = mg.tensor(np.array([2, 2, -1]), device=device)
    (gm,) = mg.autograd.grad(m[:, columns].sum(), m)   # a slice and an integer array together
    np.testing.assert_array_equal(gm.numpy(), [[0.0, 0.0, 3.0], [0.0, 0.0, 3.0]])


@st.composite
def arrays_and_masks(draw):
    """An array and a boolean mask over its leading axes (all of them, or fewer)."""
    x = draw(arrays(shapes(min_dims=1)))
    k = draw(st.integers(1, x.ndim))
    return x, draw(hnp.arrays(np.bool_, x.shape[:k]))


@given(x_mask=arrays_and_masks(), dtype=float_dtypes)
def test_boolean_mask_indexing(device, x_mask, dtype):
    x, mask = x_mask
    x = tensor(x.astype(dtype), device)
    on_device = mg.tensor(mask, device=device)
    np.testing.assert_array_equal(x[on_device].numpy(), x.numpy()[mask])
    (gx,) = mg.autograd.grad(x[on_device].sum(), x)   # 1 where selected, 0 elsewhere
    assert gx.shape == x.shape and gx.dtype == dtype
    selected = mask.reshape(mask.shape + (1,) * (x.ndim - mask.ndim))
    np.testing.assert_array_equal(gx.numpy(), np.broadcast_to(selected, x.shape))
    x64 = tensor(x.numpy().astype(np.float64), device)
    assert mg.gradcheck(lambda v: v[on_device], [x64])
    positive = x64 > 0                                     # a mask made by a comparison
    assert mg.gradgradcheck(lambda v: v[positive], [x64])


# ---------------------------------------------------------------- take_along_axis and gather

@st.composite
def arrays_axes_and_indices(draw):
    """An array, an axis, and integer indices along it (negative and repeated included), of x's number of axes,
    with lengths on the other axes that broadcast against x's (equal or 1)."""
    x, axis = draw(arrays_and_one_axis())
    n = x.shape[axis]
    shape = [draw(st.sampled_from([m, 1])) for m in x.shape]
    shape[axis] = draw(st.integers(0, 4))
    indices = draw(arrays(tuple(shape), st.integers(-n, n - 1), dtype=np.int64))
    return x, axis, indices


@given(x_axis_indices=arrays_axes_and_indices(), dtype=float_dtypes)
def test_take_along_axis(device, x_axis_indices, dtype):
    x, axis, indices = x_axis_indices
    t = tensor(x.astype(dtype), device)
    i = mg.tensor(indices, device=device)
    mgt.check_op(lambda v: mg.take_along_axis(v, i, axis), lambda a: np.take_along_axis(a, indices, axis), t)
    np.testing.assert_array_equal(t.take_along_axis(i, axis).numpy(), np.take_along_axis(t.numpy(), indices, axis))


def test_take_along_axis_picks_each_rows_label_and_adds_repeats_in_the_gradient(device):
    log_p = tensor(np.log(np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])), device)
    labels = mg.tensor(np.array([1, 0, 1]), device=device)
    picked = mg.take_along_axis(log_p, labels.reshape(-1, 1), 1)
    np.testing.assert_allclose(picked.numpy().ravel(), np.log([0.8, 0.6, 0.5]))
    x = tensor(np.arange(3.0), device)
    (gx,) = mg.autograd.grad(mg.take_along_axis(x, [0, 0, 2, -3], None).sum(), x)   # axis None: flattened
    np.testing.assert_array_equal(gx.numpy(), [3.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="as many"):
        mg.take_along_axis(log_p, labels, 1)   # indices need x's number of axes


def torch_gather(x, axis, index):
    """torch.gather's definition: out[i][j] = x[i][index[i][j]] (axis 1), over index's own shape."""
    out = np.empty(index.shape, x.dtype)
    for position in np.ndindex(*index.shape):
        source = list(position)
        source[axis] = index[position]
        out[position] = x[tuple(source)]
    return out


@given(data=st.data())
def test_gather_method_is_pytorchs_gather(device, data):
    x, axis = data.draw(arrays_and_one_axis())
    shape = [data.draw(st.integers(1, m)) for m in x.shape]   # no longer than x: PyTorch reads x's leading part
    shape[axis] = data.draw(st.integers(1, 4))
    index = data.draw(arrays(tuple(shape), st.integers(0, x.shape[axis] - 1), dtype=np.int64))
    t = tensor(x, device)
    i = mg.tensor(index, device=device)
    mgt.check_op(lambda v: v.gather(axis, i), lambda a: torch_gather(a, axis % a.ndim, index), t)


def test_gather_refuses_indices_that_do_not_fit(device):
    x = tensor(np.ones((2, 3)), device)
    with pytest.raises(ValueError, match="longer than x"):
        x.gather(1, mg.tensor(np.zeros((3, 1), np.int64), device=device))
    with pytest.raises(ValueError, match="x's axes"):
        x.gather(1, mg.tensor(np.zeros(2, np.int64), device=device))


# ---------------------------------------------------------------- pad

@st.composite
def arrays_and_pad_widths(draw):
    """An array and a pad_width in each of NumPy's forms: one int, one (before, after), or one pair per axis."""
    x = draw(arrays(shapes(min_dims=0)))
    width = st.integers(0, 3)
    form = draw(st.sampled_from(["int", "pair", "per axis"] if x.ndim else ["int", "pair"]))
    if form == "int":
        return x, draw(width)
    if form == "pair":
        return x, (draw(width), draw(width))
    return x, tuple((draw(width), draw(width)) for _ in range(x.ndim))


@given(x_widths=arrays_and_pad_widths(), value=st.sampled_from([0, 0.0, -1.5]), dtype=float_dtypes)
def test_pad_constant(device, x_widths, value, dtype):
    x, widths = x_widths
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: mg.pad(v, widths, constant_values=value),
                 lambda a: np.pad(a, widths, constant_values=value), t)


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric", "wrap"])
@given(x_widths=arrays_and_pad_widths())
def test_pad_modes_that_repeat_values(device, mode, x_widths):
    x, widths = x_widths
    t = tensor(x, device)
    mgt.check_op(lambda v: mg.pad(v, widths, mode), lambda a: np.pad(a, widths, mode), t)


def test_pad_example_and_errors(device):
    x = tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), device)
    y = mg.pad(x, ((0, 1), (2, 0)), constant_values=9.0)
    np.testing.assert_array_equal(y.numpy(), [[9.0, 9.0, 1.0, 2.0], [9.0, 9.0, 3.0, 4.0], [9.0, 9.0, 9.0, 9.0]])
    (gx,) = mg.autograd.grad(mg.pad(x, 1, "edge").sum(), x)   # each corner is repeated into 4 places
    np.testing.assert_array_equal(gx.numpy(), [[4.0, 4.0], [4.0, 4.0]])
    with pytest.raises(ValueError, match="negative"):
        mg.pad(x, -1)
    with pytest.raises(ValueError, match="does not fit"):
        mg.pad(x, ((1, 1), (1, 1), (1, 1)))
    with pytest.raises(TypeError, match="integers"):
        mg.pad(x, 1.5)
    with pytest.raises(ValueError, match="'edge'"):
        mg.pad(x, 1, mode="replicate")   # PyTorch's name


# ---------------------------------------------------------------- copy

def test_copy_and_clone_are_differentiable_copies_and_numel_counts(device):
    x = tensor(np.array([1.0, 2.0, 3.0]), device)
    for y in (mg.copy(x), x.copy(), x.clone()):
        with mg.no_grad():
            x[0] = 10.0   # x changes; the copy does not
        assert y.tolist() == [1.0, 2.0, 3.0]
        with mg.no_grad():
            x[0] = 1.0
    mgt.check_op(mg.copy, np.copy, x)
    assert x.numel() == 3 and tensor(np.ones((2, 0, 3)), device).numel() == 0


# ---------------------------------------------------------------- astype

@given(x=arrays(shapes()), pair=st.sampled_from([(np.float32, np.float64), (np.float64, np.float32),
                                                  (np.float32, np.float32)]))
def test_astype_converts_and_its_gradient_comes_back_in_the_input_dtype(device, x, pair):
    source, target = pair
    x = tensor(x.astype(source), device)
    y = mg.astype(x, target)
    assert y.dtype == target and x.astype(target).dtype == target
    np.testing.assert_array_equal(y.numpy(), x.numpy().astype(target))
    g = mg.tensor(np.full(x.shape, 0.5, dtype=target), device=device)
    (gx,) = mg.autograd.grad(y, x, grad_outputs=g)
    assert gx.dtype == source and gx.shape == x.shape
    np.testing.assert_array_equal(gx.numpy(), np.full(x.shape, 0.5))


def test_astype_to_an_integer_type_truncates_like_numpy(device):
    x = tensor(np.array([1.7, -2.5, 3.0]), device, requires_grad=False)
    np.testing.assert_array_equal(x.astype(mg.int64).numpy(), [1, -2, 3])
    assert x.astype(mg.int64).dtype == mg.int64


# ---------------------------------------------------------------- creation

@given(shape=shapes(), dtype=st.sampled_from([None, np.float32, np.float64, np.int64]))
def test_zeros_ones_full_and_their_likes(device, shape, dtype):
    expected_dtype = dtype or mg.get_default_dtype()   # float32 unless set
    for made, expected in [(mg.zeros(shape, dtype, device), np.zeros(shape)),
                           (mg.ones(shape, dtype, device), np.ones(shape)),
                           (mg.full(shape, 2.5, dtype, device), np.full(shape, 2.5))]:
        assert made.shape == shape and made.dtype == expected_dtype and made.device == device
        assert not made.requires_grad and made.is_leaf
        np.testing.assert_array_equal(made.numpy(), expected.astype(expected_dtype))
    like = mg.tensor(np.full(shape, 7.0, dtype=np.float64), device=device)
    for made, expected in [(mg.zeros_like(like), np.zeros(shape)), (mg.ones_like(like), np.ones(shape)),
                           (mg.full_like(like, -1.0), np.full(shape, -1.0))]:
        assert made.shape == shape and made.dtype == mg.float64 and made.device == device
        np.testing.assert_array_equal(made.numpy(), expected)


def test_full_takes_its_dtype_from_the_fill_value(device):
    assert mg.full((2,), 3, device=device).dtype == mg.int64
    assert mg.full((2,), True, device=device).dtype == mg.bool_
    assert mg.full((2,), 3.0, device=device).dtype == mg.float32
    assert mg.zeros(3, device=device, requires_grad=True).requires_grad


@given(start=st.integers(-5, 5), length=st.integers(0, 6), step=st.sampled_from([1, 2, -1, 0.5, -0.25]))
def test_arange(device, start, length, step):
    stop = start + length * step
    made = mg.arange(start, stop, step, device=device)
    expected_dtype = np.int64 if isinstance(step, int) else mg.get_default_dtype()   # as in NumPy
    assert made.dtype == expected_dtype and made.device == device
    np.testing.assert_array_equal(made.numpy(), np.arange(start, stop, step, dtype=expected_dtype))
    np.testing.assert_array_equal(mg.arange(length, device=device).numpy(), np.arange(length))


@given(n=st.integers(0, 4), m=st.none() | st.integers(0, 4), dtype=st.sampled_from([None, np.float64, np.int64]))
def test_eye(device, n, m, dtype):
    made = mg.eye(n, m, dtype=dtype, device=device)
    assert made.dtype == (dtype or mg.get_default_dtype()) and made.device == device
    np.testing.assert_array_equal(made.numpy(), np.eye(n, m))


# ---------------------------------------------------------------- methods

def test_shape_methods_call_the_ops(device):
    x = tensor(np.arange(6.0).reshape(2, 3), device)
    pairs = [(x.reshape(3, 2), mg.reshape(x, (3, 2))), (x.reshape((3, 2)), mg.reshape(x, (3, 2))),
             (x.reshape(-1), mg.reshape(x, (6,))), (x.flatten(), mg.reshape(x, (6,))),
             (x.T, mg.transpose(x)), (x.transpose(1, 0), mg.transpose(x, (1, 0))),
             (x.transpose((1, 0)), mg.transpose(x, (1, 0))),
             (x.expand_dims(0), mg.expand_dims(x, 0)), (x.unsqueeze(-1), mg.expand_dims(x, -1)),
             (x.expand_dims(0).squeeze(), x), (x.expand_dims(1).squeeze(1), x),
             (x.broadcast_to((4, 2, 3)), mg.broadcast_to(x, (4, 2, 3))),
             (x[1, ::-1], mg.getitem(x, (1, slice(None, None, -1))))]
    for by_method, by_function in pairs:
        assert by_method.shape == by_function.shape
        np.testing.assert_array_equal(by_method.numpy(), by_function.numpy())
