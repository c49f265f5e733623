"""Windows over images: im2col and its adjoint col2im, conv2d / conv_transpose2d built on them, and pooling.

A 2-D convolution slides a small kernel over an image and takes, at each position, the
dot product of the kernel with the patch under it (that output pixel's receptive field).
``im2col`` ("image to columns") copies every receptive field into a column of one
matrix; the convolution is then a single product of the flattened kernels with that
matrix, the operation BLAS and GPUs do fastest (Chellapilla, Puri & Simard 2006,
"High Performance Convolutional Neural Networks for Document Processing",
https://hal.inria.fr/inria-00112631; the layout is Caffe's, Jia et al. 2014,
https://arxiv.org/abs/1408.5093).

Shapes are PyTorch's: images (N, C, H, W), conv2d weights (out, in, kh, kw),
conv_transpose2d weights (in, out, kh, kw). ``stride``, ``padding`` and ``dilation``
are an int or a pair (rows, columns). Along one axis (Dumoulin & Visin 2016, "A guide
to convolution arithmetic for deep learning", https://arxiv.org/abs/1603.07285):

    output length  = (H + 2 padding - dilation (k - 1) - 1) // stride + 1      (conv2d)
    output length  = (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1   (transposed)

im2col only copies values, so it is linear, and its adjoint - its vjp - is ``col2im``:
add every column back onto the image where it came from (where receptive fields
overlap, their cotangents add up). col2im's vjp is im2col. Two primitives, each the
other's vjp, and matmul: conv2d and conv_transpose2d are composites of them, so they
have derivatives of every order. (conv2d with a bias uses a third, im2col's columns with
a row of ones below them, so that the product adds the bias; its vjp is col2im too.)
Pooling reads the same windows: avg_pool2d is the mean of im2col's columns, max_pool2d a
primitive that takes the maximum of the strided views directly (it copies no window) and
sends g to each window's winner; where the windows tile the image (the usual 2 x 2 pool) a
second primitive does it in fewer passes, row by row.
"""
import math

from ..autograd import apply
from ..tensor import Tensor
from .elementwise import where
from .operands import as_float, as_tensor, operands
from .reductions import sum
from .shape import concatenate, expand_dims, getitem, pad, reshape, squeeze, transpose

# ---------------------------------------------------------------- the arguments

def as_pair(value, name, op, low):
    """An int or a pair of ints (>= low) as a pair: the same number for rows and columns by default."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(not isinstance(v, int) or isinstance(v, bool) or v < low for v in pair):
        raise ValueError(f"{op}: {name} must be an int >= {low} or a pair of them, got {value!r}")
    return pair


def _padding(padding, op):
    """padding as ((top, bottom), (left, right)): from an int, a pair (rows, columns), or the pairs themselves.

    (The last form is NumPy's ``pad_width`` for the two image axes: "same" padding of an
    even kernel needs one more row at the bottom than at the top, as PyTorch pads it.)
    """
    if isinstance(padding, (tuple, list)) and len(padding) == 2 and all(isinstance(p, (tuple, list))
                                                                          for p in padding):
        return tuple(as_pair(tuple(p), "padding", op, 0) for p in padding)
    ph, pw = as_pair(padding, "padding", op, 0)
    return (ph, ph), (pw, pw)


def output_length(size, kernel, stride, padding, dilation):
    """How many positions a kernel of ``kernel`` taps, ``dilation`` apart, takes along an axis of ``size``
    padded by ``padding`` = (before, after), moving ``stride`` at a time (0 if it does not fit)."""
    span = dilation * (kernel - 1) + 1          # the extent of one dilated kernel
    room = size + padding[0] + padding[1] - span
    return room // stride + 1 if room >= 0 else 0


def _taps(kernel, stride, dilation, output_size):
    """(i, j, rows, columns) for each tap (i, j) of the kernel: the strided slices of the padded images
    that the tap sees at every output position, rows i dh, i dh + sh, ..., columns j dw, j dw + sw, ..."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, output_size
    for i in range(kh):
        for j in range(kw):
            yield i, j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


def _check_images(x, op):
    if x.ndim != 4:
        raise ValueError(f"{op}: expected images of shape (N, C, H, W), got shape {x.shape}")


# ---------------------------------------------------------------- the two primitives

def im2col(x, kernel_size, stride=1, padding=0, dilation=1, output_size=None):
    """Every receptive field of the images ``x`` (N, C, H, W), as an array of shape (C, kh, kw, N, OH, OW):

        cols[c, i, j, n, y, x] = x_padded[n, c, y sh + i dh, x sw + j dw]

    with x_padded = x with ``padding`` zeros around each image. Reshaped to the matrix
    (C kh kw, N OH OW), column m is the receptive field of output pixel m. ``output_size``
    (OH, OW) keeps the first positions only (default: every position where the kernel fits;
    ``conv_transpose2d`` can need fewer).

    The loop runs over the kh kw kernel taps, not over pixels: tap (i, j) sees the strided
    slice of the padded images starting at (i dh, j dw), copied in one go. Where the stride
    is 1 and the output rows are as wide as the image's (OW = W: the 3 x 3 convolution with
    padding 1), each tap is the images shifted by whole rows and columns, and
    ``_im2col_whole_rows`` copies it in long contiguous runs instead (the same values).

    Linear in x, so   vjp: col2im(g, x.shape, stride, padding, dilation).
    """
    x = as_float(as_tensor(x))
    kernel, stride, pads, dilation, (oh, ow) = _geometry(x, kernel_size, stride, padding, dilation, output_size,
                                                         "im2col")
    n, c = x.shape[:2]
    cols = _fill_columns(x.xp, x.xp.empty((c, *kernel, n, oh, ow), x.dtype), x.data, kernel, stride, pads, dilation)
    return apply("im2col", cols, (x, lambda g, out: col2im(g, x.shape, stride, pads, dilation)))


def _im2col_with_ones(x, kernel_size, stride=1, padding=0, dilation=1):
    """im2col's columns as one matrix (C kh kw + 1, N OH OW) with a row of ones below them: conv2d's input when it
    has a bias.

    A bias is the weight of an input that is always 1: [W | b] @ [cols; 1] = W @ cols + b. So
    the bias is added inside the matrix product, and its gradient, the sum of g over the
    output pixels, comes out of the weights' product g @ [cols; 1]^T as its last column:
    no pass over the output to add b, none over g to sum it. The columns are written
    straight into the matrix, above the ones (no copy of them).

        vjp: col2im of g without its last row (the ones are constants)
    """
    x = as_float(x)   # integer images give float columns, as im2col's do
    kernel, stride, pads, dilation, (oh, ow) = _geometry(x, kernel_size, stride, padding, dilation, None, "conv2d")
    (n, c), k = x.shape[:2], x.shape[1] * kernel[0] * kernel[1]
    matrix = x.xp.empty((k + 1, n * oh * ow), x.dtype)
    matrix[k] = 1
    _fill_columns(x.xp, matrix[:k].reshape(c, *kernel, n, oh, ow), x.data, kernel, stride, pads, dilation)
    return apply("im2col_with_ones", matrix,
                 (x, lambda g, out: col2im(reshape(g[:k], (c, *kernel, n, oh, ow)), x.shape, stride, pads, dilation)))


def _geometry(x, kernel_size, stride, padding, dilation, output_size, op):
    """im2col's arguments as pairs, checked against the images x: kernel, stride, pads, dilation, (OH, OW)."""
    _check_images(x, op)
    (kh, kw), (sh, sw), (dh, dw) = (as_pair(kernel_size, "kernel_size", op, 1), as_pair(stride, "stride", op, 1),
                                    as_pair(dilation, "dilation", op, 1))
    pads = _padding(padding, op)
    h, w = x.shape[2:]
    fit = (output_length(h, kh, sh, pads[0], dh), output_length(w, kw, sw, pads[1], dw))
    oh, ow = fit if output_size is None else as_pair(output_size, "output_size", op, 0)
    if oh > fit[0] or ow > fit[1] or fit[0] * fit[1] == 0:
        raise ValueError(f"{op}: a kernel of {(kh, kw)} with stride {(sh, sw)}, padding {pads} and dilation "
                         f"{(dh, dw)} fits {fit} positions in images of {(h, w)}, not {(oh, ow)}")
    return (kh, kw), (sh, sw), pads, (dh, dw), (oh, ow)


def _fill_columns(xp, cols, images, kernel, stride, pads, dilation):
    """Write im2col's columns of the ``images`` (N, C, H, W) into ``cols`` (C, kh, kw, N, OH, OW); return cols."""
    images = images.transpose(1, 0, 2, 3)   # channels first, as the columns
    if stride == (1, 1) and cols.shape[5] == images.shape[3]:
        _im2col_whole_rows(xp, cols, images, kernel, dilation, (pads[0][0], pads[1][0]))
    else:
        _im2col_taps(xp, cols, images, kernel, stride, dilation, pads)
    return cols


def _im2col_taps(xp, cols, images, kernel, stride, dilation, pads):
    """Fill ``cols`` (C, kh, kw, N, OH, OW) from ``images`` stored channels first (C, N, H, W), for any geometry:
    tap by tap."""
    (c, n, h, w), ((top, bottom), (left, right)) = images.shape, pads
    padded = images
    if top or bottom or left or right:
        padded = xp.zeros((c, n, h + top + bottom, w + left + right), images.dtype)
        padded[:, :, top:top + h, left:left + w] = images
    for i, j, rows, columns in _taps(kernel, stride, dilation, cols.shape[4:]):
        cols[:, i, j] = padded[:, :, rows, columns]


def col2im(cols, image_shape, stride=1, padding=0, dilation=1):
    """The adjoint of im2col: every column added back onto the image it was cut from.

    ``cols`` has im2col's shape (C, kh, kw, N, OH, OW); the result has ``image_shape``
    (N, C, H, W):

        image[n, c, y', x'] = sum of cols[c, i, j, n, y, x] over y sh + i dh = y' + top, x sw + j dw = x' + left

    Where receptive fields overlap, their values add up; what lands on the padding is
    dropped. As in im2col the loop runs over the kernel taps, each adding a strided slice
    (or, for stride 1 and OW = W, ``_col2im_whole_rows`` adds long contiguous runs).

    Linear in cols, so   vjp: im2col(g, (kh, kw), stride, padding, dilation, output_size=(OH, OW)).
    """
    cols = as_float(as_tensor(cols))
    if cols.ndim != 6:
        raise ValueError(f"col2im: expected columns of shape (C, kh, kw, N, OH, OW), got shape {cols.shape}")
    c, kh, kw, n, oh, ow = cols.shape
    (sh, sw), (dh, dw) = as_pair(stride, "stride", "col2im", 1), as_pair(dilation, "dilation", "col2im", 1)
    (top, bottom), (left, right) = pads = _padding(padding, "col2im")
    image_shape = tuple(image_shape)
    h, w = image_shape[2:]
    if (len(image_shape) != 4 or image_shape[:2] != (n, c) or oh > output_length(h, kh, sh, pads[0], dh)
            or ow > output_length(w, kw, sw, pads[1], dw)):
        raise ValueError(f"col2im: columns of shape {cols.shape} do not come from images of shape {image_shape} "
                         f"with stride {(sh, sw)}, padding {pads} and dilation {(dh, dw)}")
    fast = (sh, sw) == (1, 1) and ow == w
    data = (_col2im_whole_rows(cols.xp, cols.data, (h, w), (dh, dw), (top, left)) if fast
            else _col2im_taps(cols.xp, cols.data, (h, w), (sh, sw), (dh, dw), pads)).transpose(1, 0, 2, 3)
    return apply("col2im", data,
                 (cols, lambda g, out: im2col(g, (kh, kw), (sh, sw), pads, (dh, dw), output_size=(oh, ow))))


def _col2im_taps(xp, cols, size, stride, dilation, pads):
    """col2im of ``cols`` (C, kh, kw, N, OH, OW) for any geometry, tap by tap: the images (C, N, H, W) of ``size``."""
    (c, kh, kw, n, oh, ow), (h, w), ((top, bottom), (left, right)) = cols.shape, size, pads
    padded = xp.zeros((c, n, h + top + bottom, w + left + right), cols.dtype)
    for i, j, rows, columns in _taps((kh, kw), stride, dilation, (oh, ow)):
        padded[:, :, rows, columns] += cols[:, i, j]
    return padded[:, :, top:top + h, left:left + w]


# ---------------------------------------------------------------- stride 1, output rows as wide as the image's

def _im2col_whole_rows(xp, cols, images, kernel, dilation, corner):
    """Fill ``cols`` (C, kh, kw, N, OH, OW) with im2col's columns, for stride 1 and output rows as wide as the image
    rows (OW = W, as in a 3 x 3 'same' convolution), from ``images`` stored channels first (C, N, H, W); ``corner``
    is the padding (top, left).

    Tap (i, j) sees the image shifted by whole rows and columns: cols[c, i, j, n, y, x] =
    image[n, c, y + i dh - top, x + j dw - left] (0 outside). So the columns come from kw
    copies of the images, each shifted by j dw - left columns (``_shift_columns``; the
    one that is not shifted is the images themselves), and tap (i, j) is its copy moved by
    i dh - top rows: with rows as wide as the image's, that is one contiguous run of each
    flattened (H W) image plane, copied in one go, instead of one row at a time. The
    same values as the tap loop of im2col, which serves every other geometry.
    """
    c, n, h, w = images.shape
    (kh, kw), (dh, dw), (top, left), oh = kernel, dilation, corner, cols.shape[4]
    cols = cols.reshape(c, kh, kw, n, oh * w)   # a view: cols is contiguous
    for j in range(kw):
        shifted = _shift_columns(xp, images, j * dw - left).reshape(c, n, h * w)
        for i in range(kh):
            y0, y1, rows = _rows_inside(i * dh - top, h, oh)
            cols[:, i, j, :, :y0 * w] = 0   # rows of padding above and below the images
            cols[:, i, j, :, y1 * w:] = 0
            cols[:, i, j, :, y0 * w:y1 * w] = shifted[:, :, rows.start * w:rows.stop * w]


def _col2im_whole_rows(xp, cols, size, dilation, corner):
    """col2im of ``cols`` (C, kh, kw, N, OH, W) for stride 1 and output rows as wide as the image rows: the images
    (C, N, H, W) of ``size`` (H, W), channels first; ``corner`` is the padding (top, left).

    The adjoint of ``_im2col_whole_rows``, step by step in reverse: for each kernel column
    j, the kh taps are added, each moved back by its rows (one contiguous run of each
    image plane), into the cotangent of the copy shifted by j dw - left columns; that is
    then added onto the images shifted back (one flat add, after zeroing the columns that
    came from outside the image). kw short adds become long ones and kh kw become kw. The
    sums are the tap loop's, added in another order (rows first, then columns): equal up
    to rounding.
    """
    c, kh, kw, n, oh, w = cols.shape
    (h, _), (dh, dw), (top, left) = size, dilation, corner
    cols = cols.reshape(c, kh, kw, n, oh * w)
    images = xp.zeros((c, n, h * w), cols.dtype)
    for j in range(kw):
        shift = j * dw - left
        if abs(shift) >= w:   # every pixel of this kernel column sees the padding
            continue
        taps = images if shift == 0 else xp.zeros((c, n, h * w), cols.dtype)
        for i in range(kh):
            y0, y1, rows = _rows_inside(i * dh - top, h, oh)
            taps[:, :, rows.start * w:rows.stop * w] += cols[:, i, j, :, y0 * w:y1 * w]
        if shift > 0:   # taps[..., x] belongs to image column x + shift: drop what lies beyond the right edge
            taps.reshape(c, n, h, w)[..., w - shift:] = 0
            images[:, :, shift:] += taps[:, :, :h * w - shift]
        elif shift < 0:
            taps.reshape(c, n, h, w)[..., :-shift] = 0
            images[:, :, :shift] += taps[:, :, -shift:]
    return images.reshape(c, n, h, w)


def _rows_inside(offset, h, oh):
    """The output rows y0 <= y < y1 whose image row y + offset lies inside the image (0 <= row < h), and those
    image rows as a slice (empty where the tap sees padding only)."""
    y0 = min(max(0, -offset), oh)
    y1 = max(y0, min(oh, h - offset))
    return y0, y1, slice(y0 + offset, y1 + offset)


def _shift_columns(xp, images, shift):
    """images[..., x + shift] at column x, 0 where x + shift lies outside the image: one flat copy of each image
    plane (a row's end runs on into the next row), then those columns zeroed. ``images`` if shift is 0."""
    if shift == 0:
        return images
    c, n, h, w = images.shape
    if abs(shift) >= w:   # every column comes from outside the image
        return xp.zeros((c, n, h, w), images.dtype)
    out = xp.empty((c, n, h, w), images.dtype)
    flat, into = images.reshape(c, n, h * w), out.reshape(c, n, h * w)
    if shift > 0:
        into[:, :, :h * w - shift] = flat[:, :, shift:]
        out[..., w - shift:] = 0
    else:
        into[:, :, -shift:] = flat[:, :, :h * w + shift]
        out[..., :-shift] = 0
    return out


# ---------------------------------------------------------------- convolution and its adjoint

def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """The 2-D convolution of PyTorch (a cross-correlation: the kernel is not flipped), as one matrix product.

        out[n, o, y, x] = bias[o] + sum over c, i, j of weight[o, c, i, j] x_padded[n, c, y sh + i dh, x sw + j dw]

    x: (N, C, H, W) or one image (C, H, W); weight: (O, C, kh, kw); bias: (O,) or None.
    ``padding`` is an int, a pair, ``"valid"`` (0) or ``"same"`` (stride 1: the output has
    the input's size; an even kernel gets the extra row at the bottom, as in PyTorch).
    Only ``groups=1``.

    The composite: W (O, C kh kw) @ im2col(x) (C kh kw, N OH OW) -> (O, N OH OW), then
    the axes put back in NCHW order (a transpose, no copy). With a bias, the product is
    [W | b] @ [im2col(x); 1]: the bias is the weight of an input that is always 1
    (``_im2col_with_ones``), so it is added inside the product. Its derivatives come from
    im2col's (col2im), concatenate's and matmul's.
    """
    x, weight = operands(x, weight, "conv2d", broadcast=False)
    if groups != 1:
        raise ValueError(f"conv2d: only groups=1 is supported, got groups={groups!r}; a grouped convolution is "
                         "conv2d of each group of channels, concatenated (mg.concatenate)")
    if x.ndim == 3:   # one image: a batch of one
        return squeeze(conv2d(expand_dims(x, 0), weight, bias, stride, padding, dilation), 0)
    _check_images(x, "conv2d")
    if weight.ndim != 4 or weight.shape[1] != x.shape[1]:
        raise ValueError(f"conv2d: weight of shape {weight.shape} does not fit images of shape {x.shape}: it must "
                         f"be (out_channels, {x.shape[1]}, kh, kw)")
    o, c, kh, kw = weight.shape
    padding = _same_padding(padding, (kh, kw), stride, dilation)
    kernel, stride, pads, dilation, (oh, ow) = _geometry(x, (kh, kw), stride, padding, dilation, None, "conv2d")
    weights = reshape(weight, (o, c * kh * kw))
    if bias is None:
        matrix = reshape(im2col(x, kernel, stride, pads, dilation), (c * kh * kw, -1))   # (C kh kw, N OH OW)
    else:   # the bias as the weight of an input that is always 1: [W | b] @ [cols; 1]
        weights = concatenate([weights, reshape(_bias(x, bias, o, "conv2d"), (o, 1))], axis=1)
        matrix = _im2col_with_ones(x, kernel, stride, pads, dilation)                 # (C kh kw + 1, N OH OW)
    out = weights @ matrix
    n = x.shape[0]
    return transpose(reshape(out, (o, n, oh, ow)), (1, 0, 2, 3))


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The transposed convolution of PyTorch: the adjoint of conv2d with respect to its input.

    Each input pixel stamps the kernel, scaled by its value, onto the output, ``stride``
    apart; ``padding`` crops that many rows and columns from each side of the result, and
    ``output_padding`` adds rows/columns at the bottom/right (it picks among the sizes
    that conv2d maps to the same size; it must be smaller than stride or dilation).
    x: (N, C_in, H, W) or (C_in, H, W); weight: (C_in, C_out, kh, kw); bias: (C_out,).
    Arguments in PyTorch's order. Only ``groups=1``.

    The composite, conv2d read backwards: W^T (C_out kh kw, C_in) @ x (C_in, N H W) gives
    the stamps as columns, and col2im adds them up onto the output. With the same
    weight, stride, padding and dilation, <conv2d(y), x> = <y, conv_transpose2d(x)>.
    """
    x, weight = operands(x, weight, "conv_transpose2d", broadcast=False)
    if groups != 1:
        raise ValueError(f"conv_transpose2d: only groups=1 is supported, got groups={groups!r}")
    if x.ndim == 3:
        return squeeze(conv_transpose2d(expand_dims(x, 0), weight, bias, stride, padding, output_padding, 1,
                                        dilation), 0)
    _check_images(x, "conv_transpose2d")
    if weight.ndim != 4 or weight.shape[0] != x.shape[1]:
        raise ValueError(f"conv_transpose2d: weight of shape {weight.shape} does not fit images of shape {x.shape}: "
                         f"it must be ({x.shape[1]}, out_channels, kh, kw)")
    c_in, c_out, kh, kw = weight.shape
    n, _, h, w = x.shape
    stride, dilation = as_pair(stride, "stride", "conv_transpose2d", 1), as_pair(dilation, "dilation",
                                                                           "conv_transpose2d", 1)
    pads = _padding(padding, "conv_transpose2d")
    extra = as_pair(output_padding, "output_padding", "conv_transpose2d", 0)
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than stride {stride} or "
                         f"dilation {dilation}")
    size = tuple((m - 1) * s - p[0] - p[1] + d * (k - 1) + e + 1
                 for m, s, p, d, k, e in zip((h, w), stride, pads, dilation, (kh, kw), extra))
    if min(size) <= 0:
        raise ValueError(f"conv_transpose2d: the output would have size {size}: padding {pads} crops more than "
                         "there is")
    rows = reshape(transpose(x, (1, 0, 2, 3)), (c_in, n * h * w))
    cols = transpose(reshape(weight, (c_in, c_out * kh * kw))) @ rows          # (C_out kh kw, N H W)
    out = col2im(reshape(cols, (c_out, kh, kw, n, h, w)), (n, c_out) + size, stride, pads, dilation)
    if bias is not None:
        out = out + reshape(_bias(x, bias, c_out, "conv_transpose2d"), (1, c_out, 1, 1))
    return out


def _bias(x, bias, channels, op):
    _, bias = operands(x, bias, op, broadcast=False)
    if bias.shape != (channels,):
        raise ValueError(f"{op}: bias has shape {bias.shape}, expected ({channels},)")
    return bias


def _same_padding(padding, kernel, stride, dilation):
    """PyTorch's padding strings as numbers: "valid" is 0; "same" pads d (k - 1) in all, the odd one at the end."""
    if not isinstance(padding, str):
        return padding
    if padding == "valid":
        return 0
    if padding != "same":
        raise ValueError(f"conv2d: padding must be a number, a pair, 'valid' or 'same', got {padding!r}")
    if as_pair(stride, "stride", "conv2d", 1) != (1, 1):
        raise ValueError(f"conv2d: padding='same' needs stride 1 (as in PyTorch), got stride {stride!r}")
    totals = [d * (k - 1) for k, d in zip(kernel, as_pair(dilation, "dilation", "conv2d", 1))]
    return tuple((t // 2, t - t // 2) for t in totals)


# ---------------------------------------------------------------- pooling

def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The largest value in each kh x kw window of every channel of the images x (N, C, H, W) or (C, H, W).

    ``stride`` defaults to the kernel size (windows side by side), as in PyTorch. The
    padding is -inf, so it is never larger than a pixel; where a window's pixels are all
    -inf too, the tie goes to a pixel, never to the padding (which has no gradient to
    take). The padding may be at most half the kernel, so every window holds a pixel.

    The gradient of a maximum goes to the element that is it:

        vjp: g at the winner of each window, 0 elsewhere

    A tie goes to the first of the tied pixels, reading row by row, as in PyTorch. A NaN
    in a window makes its maximum NaN, and the gradient goes to the first NaN (PyTorch:
    the last). ``ceil_mode`` and ``return_indices`` are not supported.

    Two primitives compute it. ``_max_pool2d_taps`` serves every geometry: a running
    maximum over the kh kw taps, each a strided view of the images (the slices im2col
    would copy). ``_max_pool2d_tiles`` serves the usual pool, windows that tile the image
    (stride = kernel, no padding, no dilation), with fewer passes over the images; the
    tests check that the two agree, derivatives included.
    """
    x = as_float(as_tensor(x))
    if x.ndim == 3:
        return squeeze(max_pool2d(expand_dims(x, 0), kernel_size, stride, padding, dilation, ceil_mode,
                                  return_indices), 0)
    kernel, stride, pads, dilation, size = _pool_arguments("max_pool2d", x, kernel_size, stride, padding, dilation,
                                                           ceil_mode, return_indices)
    if stride == kernel and pads == ((0, 0), (0, 0)) and dilation == (1, 1):
        return _max_pool2d_tiles(x, kernel, size)
    return _max_pool2d_taps(x, kernel, stride, pads, dilation, size)


def _max_pool2d_taps(x, kernel, stride, pads, dilation, size):
    """max_pool2d for any window geometry (arguments as pairs, checked): a running maximum over the taps.

    The forward takes, tap by tap, the maximum with the tap's strided view of the padded
    images, so no window is copied. The vjp finds, tap by tap, the first element of each
    window equal to the maximum, and ``_max_unpool2d`` adds g there (what col2im does with
    the columns, for the one winning tap of each window).
    """
    (top, _), (left, _) = pads
    xp, (n, c, h, w) = x.xp, x.shape
    padded = x.data
    if top or left:
        padded = xp.full((n, c, h + 2 * top, w + 2 * left), -math.inf, dtype=x.dtype)
        padded[:, :, top:top + h, left:left + w] = x.data
    taps = [(slice(None), slice(None), rows, columns) for _, _, rows, columns in _taps(kernel, stride, dilation,
                                                                                          size)]
    best = padded[taps[0]].copy(order="K")     # (order K: in x's memory layout, as ufuncs' results are)
    for tap in taps[1:]:
        xp.maximum(best, padded[tap], out=best)   # NaN propagates

    real = None   # where the padded images hold a pixel of x: the padding may equal a -inf maximum, never win it
    if top or left:
        real = xp.zeros(padded.shape[2:], dtype=bool)
        real[top:top + h, left:left + w] = True

    def winners():   # per tap, the windows it wins: the first pixel of x equal to the maximum (or NaN)
        nan = bool(xp.isnan(best).any())   # a window without NaN has a maximum without NaN: skip the test
        free, wins = xp.ones(best.shape, dtype=bool), []   # the windows no earlier tap has won
        for tap in taps:
            first = padded[tap] == best
            if nan:
                first |= xp.isnan(padded[tap])
            if real is not None:
                first &= real[tap[2:]]
            first &= free
            free ^= first   # (first lies inside free: the exclusive or takes it out)
            wins.append(first)
        return wins

    disjoint = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))   # no pixel in two windows
    return apply("max_pool2d", best,
                 (x, lambda g, out: _max_unpool2d(g, winners(), taps, padded, top, left, disjoint)))


def _max_pool2d_tiles(x, kernel, size):
    """max_pool2d for windows that tile the images (stride = kernel, no padding, no dilation), row by row.

    The maximum of a window is the maximum of its rows' maxima. So the forward first
    takes, for every image row, the maximum of each run of kw pixels (``row_max``,
    (N, C, OH kh, OW)), then of each kh rows of those. The first winner of a window in
    reading order lies in the first row whose maximum is the window's, at that row's first
    pixel equal to its maximum; ``_max_unpool2d_tiles`` sends g there in two steps, rows
    then columns, each a few whole-array passes: no search tap by tap.

    ``row_max`` is kept for the vjp: half of x's size for 2 x 2 windows, the memory
    PyTorch spends on its int64 indices of the winners. Rows and columns left over at
    the bottom and right (H not a multiple of kh) are in no window.
    """
    xp, (kh, kw), (oh, ow) = x.xp, kernel, size
    tiles = x.data[:, :, :oh * kh, :ow * kw]
    row_max = _maximum(xp, [tiles[:, :, :, j::kw] for j in range(kw)])
    best = _maximum(xp, [row_max[:, :, i::kh] for i in range(kh)])
    return apply("max_pool2d", best, (x, lambda g, out: _max_unpool2d_tiles(g, x.data, row_max, best, kernel)))


def _max_unpool2d(g, winners, taps, padded, top, left, disjoint=False):
    """g (N, C, OH, OW) added at the winner of each window of the ``padded`` images: max_pool2d's vjp.

    ``taps`` are the index tuples of the taps' strided views of the padded images, and
    ``winners`` a boolean mask of the windows each tap wins. The views overlap where
    windows do, so their contributions add up; what lands on the padding is dropped.
    Where no pixel lies in two windows (``disjoint``: the stride at least the dilated
    kernel, as in the usual pool with stride = kernel), no two taps' views share a pixel
    either, so each tap's part is written into its view rather than added (half the array
    passes; the same values). Linear in g; its vjp reads back each window's winner:

        vjp: h -> sum over taps of where(wins, h_padded[tap], 0)
    """
    xp = g.xp
    data = xp.zeros_like(padded, dtype=g.dtype)   # (in padded's memory layout, as x's gradient will be used)
    for tap, wins in zip(taps, winners):
        if disjoint:
            xp.multiply(g.data, wins, out=data[tap])
        else:
            data[tap] += g.data * wins
    data = data[:, :, top:data.shape[2] - top, left:data.shape[3] - left]

    def vjp(hh, out):
        hh = pad(hh, ((0, 0), (0, 0), (top, top), (left, left))) if top or left else hh
        picks = [where(Tensor(wins), getitem(hh, tap), 0.0) for tap, wins in zip(taps, winners)]
        total = picks[0]
        for pick in picks[1:]:
            total = total + pick
        return total

    return apply("max_unpool2d", data, (g, vjp))


def _maximum(xp, views):
    """The elementwise maximum of the arrays ``views`` (NaN propagates), a new array in their memory layout."""
    if len(views) == 1:
        return views[0].copy(order="K")   # (order K: in x's memory layout, as ufuncs' results are)
    best = xp.maximum(views[0], views[1])
    for view in views[2:]:
        xp.maximum(best, view, out=best)
    return best


def _max_unpool2d_tiles(g, images, row_max, best, kernel):
    """g (N, C, OH, OW) written at the first winner of each window that tiles ``images``: _max_pool2d_tiles' vjp.

    Two steps, each over the kh (then kw) strided views of one axis:

    1. rows: each window's g goes to the first of its kh rows whose maximum ``row_max``
       is the window's maximum ``best`` (0 to the other rows): ``spread`` (N, C, OH kh, OW);
    2. columns: each row's value in ``spread`` goes to the first of its kw pixels equal
       to the row's maximum (0 to the others).

    Windows do not overlap, so every pixel is written once: no zeros to add onto, except
    in the rows and columns left over, which no window covers. Where a maximum is NaN,
    "equal" reads "NaN" (the first NaN wins, as in ``_max_pool2d_taps``). Linear in g;
    its vjp reads back each window's winner, where the unpool of ones puts a 1:

        vjp: h -> sum over each window of where(winner, h, 0)
    """
    xp, (kh, kw) = g.xp, kernel
    nan = bool(xp.isnan(best).any())   # a window without NaN has a maximum without NaN: skip the test
    oh, ow = best.shape[2:]

    def unpool(g):   # the two steps, on arrays
        if g.strides != best.strides:   # g in the windows' memory layout first: the passes below then run in step
            g, given = xp.empty_like(best, dtype=g.dtype), g
            g[...] = given
        spread = xp.empty_like(row_max, dtype=g.dtype)
        for i, wins in enumerate(_first_equal([row_max[:, :, i::kh] for i in range(kh)], best, nan)):
            xp.multiply(g, wins, out=spread[:, :, i::kh])
        tiled = images.shape[2:] == (oh * kh, ow * kw)
        data = (xp.empty_like if tiled else xp.zeros_like)(images, dtype=g.dtype)   # (in x's memory layout)
        columns = [images[:, :, :oh * kh, j:ow * kw:kw] for j in range(kw)]
        for j, wins in enumerate(_first_equal(columns, row_max, nan)):
            xp.multiply(spread, wins, out=data[:, :, :oh * kh, j:ow * kw:kw])
        return data

    def vjp(hh, out):
        winner = Tensor(unpool(xp.ones_like(g.data)) != 0)[:, :, :oh * kh, :ow * kw]
        picks = where(winner, getitem(hh, (slice(None), slice(None), slice(0, oh * kh), slice(0, ow * kw))), 0.0)
        return sum(reshape(picks, (*hh.shape[:2], oh, kh, ow, kw)), axis=(3, 5))

    return apply("max_unpool2d", unpool(g.data), (g, vjp))


def _first_equal(views, maximum, nan):
    """For each of the ``views`` in turn (arrays of ``maximum``'s shape), where it holds the first value equal to
    ``maximum`` (or NaN, if ``nan``): a boolean mask each, one True across them at every position. The maximum is
    one of the values, so where no view before the last has won, the last wins: it needs no comparison."""
    free = None   # where no view has won yet
    for view in views[:-1]:
        wins = view == maximum
        if nan:
            wins |= view != view
        if free is None:
            free = ~wins
        else:
            wins &= free
            free ^= wins   # (wins lies inside free: the exclusive or takes it out)
        yield wins
    yield free if free is not None else True


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """The mean of each kh x kw window of every channel of the images x (N, C, H, W) or (C, H, W).

    A composite: the sum of im2col's columns over the kernel taps, divided by kh kw (the
    zero padding counted, PyTorch's default), by the number of image pixels in the window
    (``count_include_pad=False``), or by ``divisor_override``. ``stride`` defaults to the
    kernel size, as in PyTorch. ``ceil_mode`` is not supported.
    """
    x = as_float(as_tensor(x))
    if x.ndim == 3:
        return squeeze(avg_pool2d(expand_dims(x, 0), kernel_size, stride, padding, ceil_mode, count_include_pad,
                                  divisor_override), 0)
    kernel, stride, pads, _, _ = _pool_arguments("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode, False)
    if divisor_override is not None and (isinstance(divisor_override, bool) or not isinstance(divisor_override, int)
                                         or divisor_override <= 0):
        raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got {divisor_override!r}")
    totals = sum(im2col(x, kernel, stride, pads), axis=(1, 2))                # (C, N, OH, OW)
    if divisor_override is not None:
        divisor = float(divisor_override)
    elif count_include_pad:
        divisor = float(kernel[0] * kernel[1])
    else:   # how many image pixels each window holds: the windows' sums over an image of ones
        ones = Tensor(x.xp.ones((1, 1) + x.shape[2:], dtype=x.dtype))
        divisor = Tensor(im2col(ones, kernel, stride, pads).data.sum(axis=(1, 2)))
    return transpose(totals / divisor, (1, 0, 2, 3))


def _pool_arguments(op, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    """The pools' arguments as pairs, checked as PyTorch checks them, and the output size."""
    if x.ndim != 4:
        raise ValueError(f"{op}: expected images of shape (N, C, H, W) or (C, H, W), got shape {x.shape}")
    if ceil_mode or return_indices:
        raise ValueError(f"{op}: ceil_mode=True and return_indices=True are not supported")
    kernel = as_pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None else as_pair(stride, "stride", op, 1)
    padding, dilation = as_pair(padding, "padding", op, 0), as_pair(dilation, "dilation", op, 1)
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half of the kernel {kernel} (as in PyTorch): "
                         "a wider one would make windows of padding only")
    pads = tuple((p, p) for p in padding)
    size = tuple(output_length(m, k, s, p, d) for m, k, s, p, d in zip(x.shape[2:], kernel, stride, pads, dilation))
    if 0 in size:
        raise ValueError(f"{op}: a kernel of {kernel} (dilation {dilation}) does not fit in images of {x.shape[2:]} "
                         f"with padding {padding}")
    return kernel, stride, pads, dilation, size
