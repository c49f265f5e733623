"""Exercise 15, reference solution: the Gumbel-softmax draw and its straight-through (hard) variant.

g = -log(-log u) with u ~ Uniform(0, 1) is Gumbel(0, 1) noise (the inverse of its CDF
exp(-exp(-g))); argmax(logits + g) is then a draw of Categorical(softmax(logits)) (the
Gumbel-max trick), and softmax((logits + g) / tau) is its smooth relaxation (Jang, Gu &
Poole 2017; Maddison, Mnih & Teh 2017). Straight-through returns the one-hot argmax in the
forward pass and the soft draw's gradient in the backward pass.
"""
from minigrad.autograd import apply


def gumbel_softmax(logits, temperature, u):
    g = -(-u.log()).log()
    return ((logits + g) / temperature).softmax(-1)


def straight_through(y):
    """One primitive: forward the exact one-hot of argmax(y); vjp to y the identity, g."""
    xp = y.xp
    index = y.data.argmax(axis=-1)
    hard = (xp.arange(y.shape[-1]) == index[..., None]).astype(y.dtype)
    return apply("straight_through", hard, (y, lambda g, out: g))
