"""Exercise 11, reference solution: im2col and col2im, each the other's vjp, and conv2d as one matrix product.

im2col copies values, so it is linear and its vjp is its adjoint, col2im (every column
added back where it was cut from); col2im is linear too, and its vjp is im2col. With the
two vjps written as calls of each other, conv2d = reshape(W) @ reshape(im2col(x)) has
derivatives of every order without a line of calculus of its own.
"""
from minigrad.autograd import apply


def output_size(size, k, stride):
    return (size - k) // stride + 1


def im2col(x, k, stride=1):
    """cols[c, i, j, n, y, x'] = x[n, c, y stride + i, x' stride + j]: shape (C, k, k, N, OH, OW)."""
    n, c, h, w = x.shape
    oh, ow = output_size(h, k, stride), output_size(w, k, stride)
    cols = x.xp.empty((c, k, k, n, oh, ow), dtype=x.dtype)
    images = x.data.transpose(1, 0, 2, 3)                      # (C, N, H, W): channels first, like the columns
    for i in range(k):                                         # one strided slice per kernel tap, not per pixel
        for j in range(k):
            cols[:, i, j] = images[:, :, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
    return apply("im2col", cols, (x, lambda g, out: col2im(g, x.shape, stride)))


def col2im(cols, image_shape, stride=1):
    """The adjoint of im2col: each column added back onto the pixels it was copied from (overlaps add up)."""
    c, k, _, n, oh, ow = cols.shape
    images = cols.xp.zeros((c, n) + tuple(image_shape[2:]), dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            images[:, :, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride] += cols.data[:, i, j]
    return apply("col2im", images.transpose(1, 0, 2, 3), (cols, lambda g, out: im2col(g, k, stride)))


def conv2d(x, weight, bias=None, stride=1):
    """out[n, o] = bias[o] + sum_{c,i,j} weight[o, c, i, j] x[n, c, y s + i, x s + j]: (O, C k k) @ (C k k, N OH OW)."""
    o, c, k, _ = weight.shape
    cols = im2col(x, k, stride)
    _, _, _, n, oh, ow = cols.shape
    out = weight.reshape((o, c * k * k)) @ cols.reshape((c * k * k, n * oh * ow))      # (O, N OH OW)
    if bias is not None:
        out = out + bias.reshape((o, 1))
    return out.reshape((o, n, oh, ow)).transpose((1, 0, 2, 3))
