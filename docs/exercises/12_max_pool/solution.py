"""Exercise 12, reference solution: max-pooling over k x k windows side by side, and its backward pass.

With stride = k the windows do not overlap: the images, cropped to whole windows, reshape
to (N, C, OH, k, OW, k), and the maximum is over axes 3 and 5. The gradient of a maximum
goes to the element that is the maximum; on a tie, to the first in reading order (as in
PyTorch). The vjp is written with minigrad ops (where, reshape, pad), so it can itself be
differentiated: its own derivative sends a cotangent back through the same winners.
"""
import minigrad as mg
from minigrad.autograd import apply


def max_pool2d(x, k):
    n, c, h, w = x.shape
    oh, ow = h // k, w // k
    windows = x.data[:, :, :oh * k, :ow * k].reshape(n, c, oh, k, ow, k)
    best = windows.max(axis=(3, 5))
    # the winner of each window: the first element (in row-major order of the k x k window) equal to the maximum
    flat = windows.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, k * k)
    first = flat.argmax(axis=-1)
    winner = x.xp.arange(k * k) == first[..., None]                                   # (N, C, OH, OW, k k)
    winner = winner.reshape(n, c, oh, ow, k, k).transpose(0, 1, 2, 4, 3, 5)          # (N, C, OH, k, OW, k)

    def vjp(g, out):
        spread = mg.where(mg.tensor(winner), g.reshape((n, c, oh, 1, ow, 1)), 0.0)   # g at the winner, 0 elsewhere
        cropped = spread.reshape((n, c, oh * k, ow * k))
        return mg.pad(cropped, ((0, 0), (0, 0), (0, h - oh * k), (0, w - ow * k)))   # rows/columns no window saw: 0

    return apply("max_pool2d", best, (x, vjp))
