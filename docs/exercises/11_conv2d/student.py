"""Exercise 11: a convolution by im2col, with im2col's vjp (col2im) written by you.

Statement: docs/exercises/11_conv2d.md.  Tests: python -m pytest docs/exercises/11_conv2d
"""
from minigrad.autograd import apply  # noqa: F401  (you will need it)


def im2col(x, k, stride=1):
    """Every k x k receptive field of the images x (N, C, H, W), as one primitive named "im2col":

        cols[c, i, j, n, y, x'] = x[n, c, y stride + i, x' stride + j]      shape (C, k, k, N, OH, OW)

    with OH = (H - k) // stride + 1 (no padding), OW likewise. Fill an array made with
    ``x.xp`` (one strided slice per tap (i, j)), then ``apply("im2col", cols, (x, vjp))``
    with vjp = col2im of the cotangent.
    """
    raise NotImplementedError("exercise 11: im2col")


def col2im(cols, image_shape, stride=1):
    """The adjoint of im2col, as one primitive named "col2im": images of ``image_shape`` (N, C, H, W) with

        images[n, c, y stride + i, x' stride + j] += cols[c, i, j, n, y, x']   for every (c, i, j, n, y, x')

    Its vjp is im2col of the cotangent.
    """
    raise NotImplementedError("exercise 11: col2im")


def conv2d(x, weight, bias=None, stride=1):
    """PyTorch's conv2d without padding: x (N, C, H, W), weight (O, C, k, k), bias (O,) or None -> (N, O, OH, OW).

        out[n, o, y, x'] = bias[o] + sum over c, i, j of weight[o, c, i, j] x[n, c, y stride + i, x' stride + j]

    One matrix product of the weight, reshaped to (O, C k k), with your im2col's columns,
    reshaped to (C k k, N OH OW); then reshape and transpose back to (N, O, OH, OW).
    """
    raise NotImplementedError("exercise 11: conv2d")
