"""Convolution and pooling (minigrad/ops/convolution.py) against their definitions, written as plain loops.

For hypothesis-drawn shapes, strides, paddings and dilations (small, so the loops and
finite differences stay quick):

- im2col is its definition, and col2im is its adjoint: <im2col(x), c> = <x, col2im(c)>;
- conv2d is the sum over the kernel of weight times the padded image, element by element;
- conv_transpose2d stamps the kernel scaled by each input pixel; it is the adjoint of
  conv2d, <conv2d(x), y> = <x, conv_transpose2d(y)>, and so equals conv2d's vjp for x;
- max_pool2d and avg_pool2d are the max and mean of each window;
- all have the derivatives of finite differences, first and second (mg.gradcheck,
  mg.gradgradcheck; max_pool2d away from ties, where it has a kink).
"""
import unittest.mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.testing as mgt
from minigrad.ops.convolution import col2im, conv2d, conv_transpose2d, im2col, max_pool2d

from strategies import arrays, floats, shapes

F = mg.nn.functional


# ---------------------------------------------------------------- the definitions, one element at a time

def output_length(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def padded(x, padding, value=0.0):
    (ph, pw) = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def conv2d_loops(x, w, b, stride, padding, dilation):
    """out[n, o, y, x] = b[o] + sum over c, i, j of w[o, c, i, j] x_padded[n, c, y sh + i dh, x sw + j dw]."""
    (sh, sw), (dh, dw) = stride, dilation
    n, c, h, width = x.shape
    o, _, kh, kw = w.shape
    xp = padded(x, padding)
    oh, ow = (output_length(m, k, s, p, d) for m, k, s, p, d in zip((h, width), (kh, kw), stride, padding, dilation))
    out = np.zeros((n, o, oh, ow))
    for i in range(n):
        for k in range(o):
            for y in range(oh):
                for z in range(ow):
                    total = 0.0 if b is None else b[k]
                    for ci in range(c):
                        for a in range(kh):
                            for e in range(kw):
                                total += w[k, ci, a, e] * xp[i, ci, y * sh + a * dh, z * sw + e * dw]
                    out[i, k, y, z] = total
    return out


def conv_transpose2d_loops(x, w, b, stride, padding, output_padding, dilation):
    """Each input pixel x[n, c, y, z] adds x w[c] at (y sh + i dh, z sw + j dw); crop padding from each side."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, h, width = x.shape
    _, o, kh, kw = w.shape
    full = np.zeros((n, o, (h - 1) * sh + dh * (kh - 1) + 1 + output_padding[0],
                     (width - 1) * sw + dw * (kw - 1) + 1 + output_padding[1]))
    for i in range(n):
        for ci in range(c):
            for y in range(h):
                for z in range(width):
                    for a in range(kh):
                        for e in range(kw):
                            full[i, :, y * sh + a * dh, z * sw + e * dw] += x[i, ci, y, z] * w[ci, :, a, e]
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def windows_loops(x, kernel, stride, padding, dilation, value):
    """windows[n, c, y, z] = the kh kw values of the padded image under the kernel at (y, z)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    xp = padded(x, padding, value)
    oh, ow = (output_length(m, k, s, p, d) for m, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation))
    out = np.zeros(x.shape[:2] + (oh, ow, kh * kw))
    for y in range(oh):
        for z in range(ow):
            for a in range(kh):
                for e in range(kw):
                    out[:, :, y, z, a * kw + e] = xp[:, :, y * sh + a * dh, z * sw + e * dw]
    return out


# ---------------------------------------------------------------- drawn geometry

@st.composite
def geometries(draw, max_kernel=3, max_stride=3, max_dilation=2, max_padding=2, extra=3):
    """kernel, stride, padding, dilation (pairs) and an image size (H, W) that fits at least one window."""
    pairs = {name: tuple(draw(st.integers(low, high)) for _ in range(2))
             for name, low, high in (("kernel", 1, max_kernel), ("stride", 1, max_stride),
                                     ("dilation", 1, max_dilation), ("padding", 0, max_padding))}
    size = tuple(draw(st.integers(smallest, smallest + extra))
                 for smallest in (max(1, d * (k - 1) + 1 - 2 * p)
                                  for k, d, p in zip(pairs["kernel"], pairs["dilation"], pairs["padding"])))
    return pairs["kernel"], pairs["stride"], pairs["padding"], pairs["dilation"], size


def tensor(array, device, requires_grad=True):
    return mg.tensor(array, device=device, requires_grad=requires_grad)


# ---------------------------------------------------------------- im2col and col2im

@given(geometry=geometries(), batch=st.integers(1, 2), channels=st.integers(1, 3), data=st.data())
def test_im2col_copies_every_receptive_field(device, geometry, batch, channels, data):
    kernel, stride, padding, dilation, size = geometry
    x = data.draw(arrays((batch, channels) + size))
    cols = im2col(tensor(x, device), kernel, stride, padding, dilation).numpy()
    windows = windows_loops(x, kernel, stride, padding, dilation, 0.0)       # (N, C, OH, OW, kh kw)
    expected = windows.reshape(windows.shape[:4] + kernel).transpose(1, 4, 5, 0, 2, 3)
    np.testing.assert_array_equal(cols, expected)                           # (C, kh, kw, N, OH, OW)


@given(geometry=geometries(), batch=st.integers(1, 2), channels=st.integers(1, 3), data=st.data())
def test_col2im_is_the_adjoint_of_im2col(device, geometry, batch, channels, data):
    kernel, stride, padding, dilation, size = geometry
    x = tensor(data.draw(arrays((batch, channels) + size)), device)
    cols = im2col(x, kernel, stride, padding, dilation)
    c = tensor(data.draw(arrays(cols.shape)), device)
    back = col2im(c, x.shape, stride, padding, dilation)
    assert back.shape == x.shape and back.device == device
    # <im2col(x), c> = <x, col2im(c)>: each is the other's transpose
    assert (cols.numpy() * c.numpy()).sum() == pytest.approx((x.numpy() * back.numpy()).sum(), rel=1e-10, abs=1e-10)


@settings(max_examples=10)
@given(geometry=geometries(max_padding=1, extra=2), data=st.data())
def test_im2col_and_col2im_have_first_and_second_derivatives(device, geometry, data):
    kernel, stride, padding, dilation, size = geometry
    x = tensor(data.draw(arrays((1, 2) + size)), device)
    mgt.check_op(lambda t: im2col(t, kernel, stride, padding, dilation),
                 lambda a: im2col(mg.tensor(a), kernel, stride, padding, dilation).numpy(), x)
    cols = tensor(data.draw(arrays(im2col(x, kernel, stride, padding, dilation).shape)), device)
    mgt.check_op(lambda t: col2im(t, x.shape, stride, padding, dilation),
                 lambda a: col2im(mg.tensor(a), x.shape, stride, padding, dilation).numpy(), cols)


@st.composite
def whole_row_geometries(draw):
    """kernel, dilation, padding ((top, bottom), (left, right)) and an image size (H, W) for stride 1 with output
    rows as wide as the image's: left + right = dw (kw - 1), split either way (an even kernel's 'same' padding)."""
    kernel, dilation = (tuple(draw(st.integers(1, high)) for _ in range(2)) for high in (3, 2))
    span = dilation[1] * (kernel[1] - 1)
    left = draw(st.integers(0, span))
    rows = tuple(draw(st.integers(0, 2)) for _ in range(2))
    size = (draw(st.integers(max(1, dilation[0] * (kernel[0] - 1) + 1 - sum(rows)), 5)), draw(st.integers(1, 5)))
    return kernel, dilation, (rows, (left, span - left)), size


@given(geometry=whole_row_geometries(), batch=st.integers(1, 3), channels=st.integers(1, 3),
       channels_first=st.booleans(), data=st.data())
def test_im2col_and_col2im_over_whole_rows_agree_with_the_taps(device, geometry, batch, channels, channels_first,
                                                                data):
    # stride 1, OW = W: im2col copies each tap in runs of whole rows; the same columns as the tap loop, exactly.
    # col2im adds the taps rows first, then columns: the tap loop's sums in another order, so equal up to rounding
    from minigrad.ops import convolution
    kernel, dilation, padding, size = geometry
    x = data.draw(arrays((channels, batch) + size if channels_first else (batch, channels) + size))
    images = tensor(x, device).data   # the images channels first, (C, N, H, W): stored so, or a transposed view
    images = images if channels_first else images.transpose(1, 0, 2, 3)
    xp, oh = tensor(x, device).xp, convolution.output_length(size[0], kernel[0], 1, padding[0], dilation[0])
    shape = (channels, *kernel, batch, oh, size[1])
    fast, taps = xp.full(shape, np.nan, images.dtype), xp.full(shape, np.nan, images.dtype)   # each must fill all
    convolution._im2col_whole_rows(xp, fast, images, kernel, dilation, (padding[0][0], padding[1][0]))
    convolution._im2col_taps(xp, taps, images, kernel, (1, 1), dilation, padding)
    np.testing.assert_array_equal(mg.tensor(fast).numpy(), mg.tensor(taps).numpy())
    assert not np.isnan(mg.tensor(fast).numpy()).any()
    cols = tensor(data.draw(arrays(taps.shape)), device).data
    fast = convolution._col2im_whole_rows(xp, cols, size, dilation, (padding[0][0], padding[1][0]))
    taps = convolution._col2im_taps(xp, cols, size, (1, 1), dilation, padding)
    np.testing.assert_allclose(mg.tensor(fast).numpy(), mg.tensor(taps).numpy(), rtol=1e-13, atol=1e-13)


# ---------------------------------------------------------------- conv2d and conv_transpose2d

@given(geometry=geometries(), shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3)),
       has_bias=st.booleans(), data=st.data())
def test_conv2d_is_its_definition(device, geometry, shape, has_bias, data):
    kernel, stride, padding, dilation, size = geometry
    batch, c_in, c_out = shape
    x, w = data.draw(arrays((batch, c_in) + size)), data.draw(arrays((c_out, c_in) + kernel))
    b = data.draw(arrays((c_out,))) if has_bias else None
    out = conv2d(tensor(x, device), tensor(w, device), None if b is None else tensor(b, device), stride, padding,
                 dilation)
    assert out.device == device
    np.testing.assert_allclose(out.numpy(), conv2d_loops(x, w, b, stride, padding, dilation), rtol=1e-10,
                               atol=1e-12)


def test_conv2d_of_integer_images_has_the_weights_dtype_with_or_without_a_bias(device):
    # integer pixels become floats of the default dtype, as in im2col: the bias must not turn float32 into float64
    x = mg.tensor(np.arange(2 * 1 * 5 * 5).reshape(2, 1, 5, 5), device=device)
    w, b = tensor(np.ones((3, 1, 3, 3), np.float32), device), tensor(np.full(3, 0.5, np.float32), device)
    plain, biased = conv2d(x, w, None, 1, 1), conv2d(x, w, b, 1, 1)
    assert plain.dtype == biased.dtype == mg.float32
    np.testing.assert_allclose(biased.numpy(), plain.numpy() + 0.5)


def transposed_output_padding(size, kernel, stride, padding, dilation):
    """The output_padding that makes conv_transpose2d give back ``size``, the input size of the conv2d."""
    out = [output_length(m, k, s, p, d) for m, k, s, p, d in zip(size, kernel, stride, padding, dilation)]
    return tuple(m - ((o - 1) * s - 2 * p + d * (k - 1) + 1)
                 for m, o, k, s, p, d in zip(size, out, kernel, stride, padding, dilation))


@given(geometry=geometries(), shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3)),
       has_bias=st.booleans(), data=st.data())
def test_conv_transpose2d_is_its_definition(device, geometry, shape, has_bias, data):
    kernel, stride, padding, dilation, size = geometry
    batch, c_in, c_out = shape
    extra = tuple(data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    x, w = data.draw(arrays((batch, c_in) + size)), data.draw(arrays((c_in, c_out) + kernel))
    b = data.draw(arrays((c_out,))) if has_bias else None
    expected = conv_transpose2d_loops(x, w, b, stride, padding, extra, dilation)
    if min(expected.shape[2:]) <= 0:   # the padding crops everything: refused
        with pytest.raises(ValueError, match="crops more than there is"):
            conv_transpose2d(tensor(x, device), tensor(w, device), None, stride, padding, extra, 1, dilation)
        return
    out = conv_transpose2d(tensor(x, device), tensor(w, device), None if b is None else tensor(b, device), stride,
                           padding, extra, 1, dilation)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


@given(geometry=geometries(), shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3)),
       data=st.data())
def test_conv_transpose2d_is_the_adjoint_of_conv2d_and_its_vjp(device, geometry, shape, data):
    kernel, stride, padding, dilation, size = geometry
    batch, c_in, c_out = shape
    x = tensor(data.draw(arrays((batch, c_in) + size)), device)
    w = tensor(data.draw(arrays((c_out, c_in) + kernel)), device)
    out = conv2d(x, w, None, stride, padding, dilation)
    y = tensor(data.draw(arrays(out.shape)), device)
    extra = transposed_output_padding(size, kernel, stride, padding, dilation)
    back = conv_transpose2d(y, w, None, stride, padding, extra, 1, dilation)
    assert back.shape == x.shape
    # <conv2d(x), y> = <x, conv_transpose2d(y)>
    assert (out.numpy() * y.numpy()).sum() == pytest.approx((x.numpy() * back.numpy()).sum(), rel=1e-10, abs=1e-10)
    (vjp,) = mg.autograd.grad(out, [x], grad_outputs=y)
    np.testing.assert_allclose(vjp.numpy(), back.numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=8)
@given(geometry=geometries(max_kernel=2, max_padding=1, extra=2), has_bias=st.booleans(), data=st.data())
def test_conv2d_has_first_and_second_derivatives(device, geometry, has_bias, data):
    kernel, stride, padding, dilation, size = geometry
    inputs = [tensor(data.draw(arrays((1, 2) + size)), device), tensor(data.draw(arrays((2, 2) + kernel)), device)]
    if has_bias:
        inputs.append(tensor(data.draw(arrays((2,))), device))
    mgt.check_op(lambda x, w, *b: conv2d(x, w, *b, stride=stride, padding=padding, dilation=dilation),
                 lambda x, w, *b: conv2d_loops(x, w, b[0] if b else None, stride, padding, dilation), *inputs)


@given(geometry=geometries(), shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3)),
       data=st.data())
def test_conv2d_adds_its_bias_inside_the_product_as_the_composite_adds_it_after(device, geometry, shape, data):
    # [W | b] @ [im2col(x); 1] against W @ im2col(x) + b: the same values and the same gradients for x, W and b
    kernel, stride, padding, dilation, size = geometry
    batch, c_in, c_out = shape
    x, w, b = (tensor(data.draw(arrays(s)), device) for s in ((batch, c_in) + size, (c_out, c_in) + kernel, (c_out,)))
    y = tensor(data.draw(arrays(conv2d(x, w, None, stride, padding, dilation).shape)), device)
    fused = conv2d(x, w, b, stride, padding, dilation)
    composite = conv2d(x, w, None, stride, padding, dilation) + b.reshape(1, c_out, 1, 1)
    np.testing.assert_allclose(fused.numpy(), composite.numpy(), rtol=1e-10, atol=1e-12)
    for got, expected in zip(mg.autograd.grad(fused, [x, w, b], grad_outputs=y),
                             mg.autograd.grad(composite, [x, w, b], grad_outputs=y)):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=8)
@given(geometry=geometries(max_kernel=2, max_padding=1, extra=2), has_bias=st.booleans(), data=st.data())
def test_conv_transpose2d_has_first_and_second_derivatives(device, geometry, has_bias, data):
    kernel, stride, padding, dilation, size = geometry
    extra = tuple(data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    assume(min(conv_transpose2d_loops(np.zeros((1, 1) + size), np.zeros((1, 1) + kernel), None, stride, padding,
                                      extra, dilation).shape[2:]) > 0)   # else refused, as tested above
    inputs = [tensor(data.draw(arrays((1, 2) + size)), device), tensor(data.draw(arrays((2, 2) + kernel)), device)]
    if has_bias:
        inputs.append(tensor(data.draw(arrays((2,))), device))
    mgt.check_op(lambda x, w, *b: conv_transpose2d(x, w, *b, stride=stride, padding=padding, output_padding=extra,
                                                   dilation=dilation),
                 lambda x, w, *b: conv_transpose2d_loops(x, w, b[0] if b else None, stride, padding, extra, dilation),
                 *inputs)


def test_one_image_without_a_batch_axis(device):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    out = conv2d(tensor(x, device), tensor(w, device), padding=1)
    assert out.shape == (3, 5, 5)
    np.testing.assert_allclose(out.numpy(), conv2d_loops(x[None], w, None, (1, 1), (1, 1), (1, 1))[0], rtol=1e-10)
    back = conv_transpose2d(out, tensor(w, device), padding=1)
    assert back.shape == (2, 5, 5)
    assert F.max_pool2d(tensor(x, device), 2).shape == (2, 2, 2)
    assert F.avg_pool2d(tensor(x, device), 2).shape == (2, 2, 2)


@pytest.mark.parametrize("kernel", [(3, 3), (2, 4), (1, 2)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_same_padding_keeps_the_size_with_the_extra_row_at_the_end(device, kernel, dilation):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 6, 7)), rng.standard_normal((3, 2) + kernel)
    out = conv2d(tensor(x, device), tensor(w, device), padding="same", dilation=dilation)
    assert out.shape == (1, 3, 6, 7)
    totals = [dilation * (k - 1) for k in kernel]   # PyTorch: total // 2 before, the rest after
    xp = np.pad(x, ((0, 0), (0, 0), (totals[0] // 2, totals[0] - totals[0] // 2),
                    (totals[1] // 2, totals[1] - totals[1] // 2)))
    np.testing.assert_allclose(out.numpy(), conv2d_loops(xp, w, None, (1, 1), (0, 0), (dilation,) * 2), rtol=1e-10)
    valid = conv2d(tensor(x, device), tensor(w, device), padding="valid", dilation=dilation)
    np.testing.assert_allclose(valid.numpy(), conv2d(tensor(x, device), tensor(w, device), dilation=dilation).numpy())


def test_convolutions_refuse_what_they_do_not_do():
    x, w = mg.ones((1, 4, 5, 5)), mg.ones((2, 4, 3, 3))
    with pytest.raises(ValueError, match="only groups=1"):
        conv2d(x, mg.ones((2, 2, 3, 3)), groups=2)
    with pytest.raises(ValueError, match=r"must be \(out_channels, 4, kh, kw\)"):
        conv2d(x, mg.ones((2, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"images of shape \(N, C, H, W\)"):
        conv2d(mg.ones((4, 5)), w)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="output_padding .* must be smaller than stride"):
        conv_transpose2d(x, mg.ones((4, 2, 3, 3)), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="fits"):
        conv2d(x, mg.ones((2, 4, 7, 7)))
    with pytest.raises(ValueError, match="only groups=1"):
        mg.nn.Conv2d(4, 4, 3, groups=2)


# ---------------------------------------------------------------- pooling

@given(geometry=geometries(), stride_is_kernel=st.booleans(), data=st.data())
def test_max_pool2d_is_the_max_of_each_window(device, geometry, stride_is_kernel, data):
    kernel, stride, padding, dilation, size = geometry
    padding = tuple(min(p, k // 2) for p, k in zip(padding, kernel))   # PyTorch's limit: half the kernel
    assume(min(output_length(m, k, s, p, d) for m, k, s, p, d in zip(size, kernel, stride, padding, dilation)) > 0)
    x = data.draw(arrays((2, 2) + size))
    out = F.max_pool2d(tensor(x, device), kernel, None if stride_is_kernel else stride, padding, dilation)
    expected = windows_loops(x, kernel, kernel if stride_is_kernel else stride, padding, dilation, -np.inf).max(-1)
    np.testing.assert_array_equal(out.numpy(), expected)


@given(geometry=geometries(max_dilation=1), include_pad=st.booleans(), divisor=st.none() | st.integers(1, 5),
       data=st.data())
def test_avg_pool2d_is_the_mean_of_each_window(device, geometry, include_pad, divisor, data):
    kernel, stride, padding, _, size = geometry
    padding = tuple(min(p, k // 2) for p, k in zip(padding, kernel))
    assume(min(output_length(m, k, s, p, 1) for m, k, s, p in zip(size, kernel, stride, padding)) > 0)
    x = data.draw(arrays((2, 2) + size))
    out = F.avg_pool2d(tensor(x, device), kernel, stride, padding, count_include_pad=include_pad,
                       divisor_override=divisor)
    sums = windows_loops(x, kernel, stride, padding, (1, 1), 0.0).sum(-1)
    pixels = windows_loops(np.ones((1, 1) + size), kernel, stride, padding, (1, 1), 0.0).sum(-1)
    expected = sums / (divisor or (kernel[0] * kernel[1] if include_pad else pixels))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=10)
@given(geometry=geometries(max_padding=1, extra=2), data=st.data())
def test_pools_have_first_and_second_derivatives(device, geometry, data):
    kernel, stride, padding, dilation, size = geometry
    padding = tuple(min(p, k // 2) for p, k in zip(padding, kernel))
    assume(min(output_length(m, k, s, p, d) for m, k, s, p, d in zip(size, kernel, stride, padding, dilation)) > 0)
    # distinct values on a grid, 0.25 apart: no ties, so max is differentiable (finite differences use 1e-6)
    x = tensor(data.draw(arrays((1, 2) + size, mgt.grid(-20.0, 20.0), unique=True)), device)
    # a dilated window may see padding only: its max is -inf whatever x is (PyTorch's too), no derivative
    assume(np.isfinite(windows_loops(x.numpy(), kernel, stride, padding, dilation, -np.inf).max(-1)).all())
    mgt.check_op(lambda t: F.max_pool2d(t, kernel, stride, padding, dilation),
                 lambda a: windows_loops(a, kernel, stride, padding, dilation, -np.inf).max(-1), x)
    if dilation == (1, 1):
        mgt.check_op(lambda t: F.avg_pool2d(t, kernel, stride, padding),
                     lambda a: windows_loops(a, kernel, stride, padding, (1, 1), 0.0).mean(-1), x)


def test_max_pool2d_gives_a_tie_to_the_first_and_propagates_nan(device):
    x = tensor(np.array([[[[1.0, 3.0, 0.0, 0.0],
                           [3.0, 2.0, 0.0, 0.0]]]]), device)
    out = F.max_pool2d(x, 2)
    np.testing.assert_array_equal(out.numpy(), [[[[3.0, 0.0]]]])
    out.backward(mg.ones_like(out))
    # the first of the tied elements, reading row by row, gets the gradient, as in PyTorch's max_pool2d
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 1.0, 1.0, 0.0],
                                                     [0.0, 0.0, 0.0, 0.0]]]])
    y = tensor(np.array([[[[1.0, np.nan], [5.0, 2.0]]]]), device)
    out = F.max_pool2d(y, 2)
    assert np.isnan(out.numpy()).all()
    out.backward(mg.ones_like(out))
    np.testing.assert_array_equal(y.grad.numpy(), [[[[0.0, 1.0], [0.0, 0.0]]]])


def test_max_pool2d_never_gives_the_gradient_to_the_padding(device):
    # the padding is -inf: a window whose pixels are -inf ties with it, and the pixel must win (PyTorch: 4)
    x = tensor(np.array([[[[-np.inf]]]]), device)
    out = F.max_pool2d(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(out.numpy(), np.full((1, 1, 2, 2), -np.inf))
    out.backward(mg.ones_like(out))
    assert x.grad.numpy().tolist() == [[[[4.0]]]]


@settings(max_examples=50)
@given(geometry=geometries(max_dilation=1), stride_is_kernel=st.booleans(), data=st.data())
def test_max_pool2d_gives_pytorchs_values_and_gradients_with_ties_and_minus_infinity(device, geometry,
                                                                                     stride_is_kernel, data):
    torch = pytest.importorskip("torch")
    kernel, stride, padding, _, size = geometry
    stride = kernel if stride_is_kernel else stride
    padding = tuple(min(p, k // 2) for p, k in zip(padding, kernel))   # PyTorch's limit: half the kernel
    assume(min(output_length(m, k, s, p, 1) for m, k, s, p in zip(size, kernel, stride, padding)) > 0)
    x = data.draw(arrays((2, 2) + size, st.sampled_from([-np.inf, -1.0, 0.0, 1.0])))   # ties everywhere
    t = tensor(x, device)
    out = F.max_pool2d(t, kernel, stride, padding)
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(mg.tensor(g, device=device))
    reference = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.max_pool2d(reference, kernel, stride, padding)
    expected.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    np.testing.assert_allclose(t.grad.numpy(), reference.grad.numpy(), rtol=1e-12, atol=1e-12)   # sums' order


def max_pool_derivatives(pool, x, g, h, device, channels_first=False):
    """pool(x), its gradient for the cotangent g, and the gradient of <that gradient, h> with respect to g (the
    vjp of the vjp: second order). ``channels_first``: x is stored (C, N, H, W), as conv2d's output is."""
    t, gt = tensor(x, device, requires_grad=True), tensor(g, device, requires_grad=True)
    if channels_first:   # (tensor() copies into x's own order: store the transposed images, then view them back)
        t = mg.Tensor(tensor(x.transpose(1, 0, 2, 3), device).data.transpose(1, 0, 2, 3), requires_grad=True)
        assert t.data.strides[0] < t.data.strides[1]
    out = pool(t)
    (gx,) = mg.autograd.grad(out, t, gt, create_graph=True)
    (ggt,) = mg.autograd.grad((gx * tensor(h, device)).sum(), gt)
    return out.numpy(), gx.numpy(), ggt.numpy()


@settings(max_examples=30)
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)), extra=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       transposed=st.booleans(), data=st.data())
def test_max_pool2d_over_tiles_agrees_with_the_taps(device, kernel, extra, transposed, data):
    # windows that tile the images (stride = kernel, no padding): the row-by-row primitive gives the values, first
    # and second derivatives of the tap-by-tap one, with ties, NaN and -inf everywhere, rows/columns left over, and
    # images stored channels first (as conv2d's output is)
    from minigrad.ops import convolution
    size = tuple(2 * k + e for k, e in zip(kernel, extra))
    x = data.draw(arrays((2, 3) + size, st.sampled_from([-np.inf, -1.0, 0.0, 1.0, np.nan])))
    out_size = tuple(m // k for m, k in zip(size, kernel))
    g = np.random.default_rng(1).standard_normal((2, 3) + out_size)
    h = np.random.default_rng(2).standard_normal(x.shape)
    tiles = max_pool_derivatives(lambda t: convolution._max_pool2d_tiles(t, kernel, out_size), x, g, h, device,
                                 transposed)
    taps = max_pool_derivatives(lambda t: convolution._max_pool2d_taps(t, kernel, kernel, ((0, 0), (0, 0)), (1, 1),
                                                                       out_size), x, g, h, device, transposed)
    for a, b in zip(tiles, taps):
        np.testing.assert_array_equal(a, b)
    assert F.max_pool2d(tensor(x, device), kernel)._op == "max_pool2d"   # max_pool2d takes the tiles' path here


@settings(max_examples=20)
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)), extra=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       data=st.data())
def test_max_pool2d_writing_disjoint_windows_agrees_with_adding(device, kernel, extra, data):
    # padded windows side by side (stride = kernel): the taps' vjp writes g at each winner instead of adding it.
    # The same first and second derivatives as the adding path, with ties and NaN, and rows/columns left over
    from minigrad.ops import convolution
    padding = tuple(k // 2 for k in kernel)
    size = tuple(2 * k + e for k, e in zip(kernel, extra))
    x = data.draw(arrays((2, 3) + size, st.sampled_from([-1.0, 0.0, 1.0, np.nan])))
    g = np.random.default_rng(1).standard_normal((2, 3) + tuple(
        output_length(m, k, k, p, 1) for m, k, p in zip(size, kernel, padding)))
    h = np.random.default_rng(2).standard_normal(x.shape)

    def pool(t):
        return F.max_pool2d(t, kernel, None, padding)

    written = max_pool_derivatives(pool, x, g, h, device)
    adding = convolution._max_unpool2d
    with unittest.mock.patch.object(convolution, "_max_unpool2d", lambda *args: adding(*args[:6], disjoint=False)):
        added = max_pool_derivatives(pool, x, g, h, device)
    for a, b in zip(written, added):
        np.testing.assert_array_equal(a, b)


def test_max_pool2d_is_a_primitive_that_only_looks_at_strided_views(device):
    x = tensor(np.arange(16.0).reshape(1, 1, 4, 4), device)
    out = max_pool2d(x, 2)
    assert out._op == "max_pool2d"
    np.testing.assert_array_equal(out.numpy(), [[[[5.0, 7.0], [13.0, 15.0]]]])


def test_pools_refuse_what_they_do_not_do():
    x = mg.ones((1, 1, 6, 6))
    with pytest.raises(ValueError, match="at most half of the kernel"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match="ceil_mode=True"):
        F.max_pool2d(x, 2, ceil_mode=True)
    with pytest.raises(ValueError, match="return_indices=True"):
        mg.nn.MaxPool2d(2, return_indices=True)(x)
    with pytest.raises(ValueError, match="does not fit"):
        F.avg_pool2d(x, 7)
    with pytest.raises(ValueError, match="divisor_override"):
        F.avg_pool2d(x, 2, divisor_override=0)


# ---------------------------------------------------------------- pad (PyTorch's F.pad; mg.pad is NumPy's)

def test_f_pad_pads_the_last_axis_first_as_pytorch():
    x = mg.ones((2, 3))
    assert F.pad(x, (1, 2)).shape == (2, 6)                  # (left, right) of the last axis only
    assert F.pad(x, (1, 2, 0, 1)).shape == (3, 6)            # then (top, bottom) of the one before
    assert mg.pad(x, (1, 2)).shape == (5, 6)                 # NumPy's pad_width: every axis
    np.testing.assert_array_equal(F.pad(mg.tensor([[1.0, 2.0]]), (2, 0), value=7.0).numpy(), [[7.0, 7.0, 1.0, 2.0]])
    np.testing.assert_array_equal(F.pad(mg.tensor([1.0, 2.0, 3.0]), (-1, 1)).numpy(), [2.0, 3.0, 0.0])   # crops


@st.composite
def pytorch_pads(draw):
    """A tensor shape, a mode, and a flat pad tuple (last axis first) that PyTorch accepts for them."""
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    k = draw(st.integers(1, 3))
    if mode == "constant":
        shape = draw(shapes(min_dims=k, max_dims=4))
    else:   # PyTorch's non-constant modes pad the last k axes of a tensor with k + 1 or k + 2 of them
        shape = draw(shapes(min_dims=k + 1, max_dims=min(k + 2, 4)))
    pad = []
    for n in reversed(shape[len(shape) - k:]):               # last axis first
        low, high = {"constant": (-1 if n >= 2 else 0, 2), "reflect": (0, n - 1), "replicate": (0, 3),
                     "circular": (0, n)}[mode]   # PyTorch's limits (a crop of -1 at both ends needs n >= 2)
        pad += [draw(st.integers(low, high)), draw(st.integers(low, high))]
    return shape, mode, tuple(pad)


@given(shape_mode_pad=pytorch_pads(), value=floats(), data=st.data())
def test_f_pad_gives_pytorchs_values_and_gradients(device, shape_mode_pad, value, data):
    torch = pytest.importorskip("torch")
    shape, mode, pad = shape_mode_pad
    x = data.draw(arrays(shape))
    kwargs = {"value": value} if mode == "constant" else {}
    t = tensor(x, device)
    out = F.pad(t, pad, mode, **kwargs)
    reference = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.pad(reference, pad, mode, **kwargs)
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(mg.tensor(g, device=device))
    expected.backward(torch.from_numpy(g))
    np.testing.assert_allclose(t.grad.numpy(), reference.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_f_pad_is_twice_differentiable():
    x = mg.tensor(np.random.default_rng(1).standard_normal((1, 2, 3)), requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert mg.gradgradcheck(lambda v, mode=mode: F.pad(v, (1, 2, 1, 0), mode) ** 2, [x])


def test_f_pad_refuses_as_pytorch_with_its_messages():
    x = mg.ones((2, 3))
    with pytest.raises(ValueError, match="Padding length must be divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(ValueError, match="Padding length should be less than or equal to two times the input "
                                         "dimension but got padding length 6 and input of dimension 2"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(TypeError, match="use mg.pad"):
        F.pad(x, ((0, 0), (1, 1)))                           # NumPy's pad_width: that is mg.pad
    with pytest.raises(TypeError, match="flat tuple of ints"):
        F.pad(x, 1)
    with pytest.raises(ValueError, match="Padding size should be less than the corresponding input dimension"):
        F.pad(x, (3, 3), mode="reflect")
    with pytest.raises(ValueError, match="wrapping around more than once"):
        F.pad(x, (4, 0), mode="circular")
    with pytest.raises(ValueError, match="doesn't take in value argument"):
        F.pad(x, (1, 1), mode="replicate", value=2.0)
    with pytest.raises(ValueError, match="PyTorch's name: 'replicate'"):
        F.pad(x, (1, 1), mode="edge")
    with pytest.raises(ValueError, match="last 1 axes of a tensor with 2 or 3 dimensions"):
        F.pad(mg.ones((1, 1, 2, 3)), (1, 1), mode="replicate")
    with pytest.raises(ValueError, match="crops more than"):
        F.pad(x, (-3, -1))
