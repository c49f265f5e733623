"""Exercise 20, reference solution: softplus as a primitive that runs wherever its input lives.

    softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|)         d/dx softplus(x) = sigmoid(x)

The array module comes from the tensor (x.xp: NumPy, CuPy, or the tests' strict device), so
the same line runs on every backend; numpy itself is never imported. The second form never
exponentiates a positive number, so it neither overflows (x = 1000) nor loses the small
values (x = -40: e^-40 survives, log(1 + e^-40) rounds it away). The vjp is written with a
minigrad op (sigmoid), so it too runs on every device and can be differentiated.
"""
import minigrad as mg
from minigrad.autograd import apply


def softplus(x):
    xp = x.xp
    data = xp.maximum(x.data, 0) + xp.log1p(xp.exp(-xp.abs(x.data)))
    return apply("softplus", data, (x, lambda g, out: g * mg.sigmoid(x)))
