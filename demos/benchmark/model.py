"""The model, written once: one VAE training step in NumPy with its backward pass derived by hand.

Every implementation does this work, in float32, from the same weights on the same batch:
one training step of a variational autoencoder (Kingma & Welling 2014), the forward pass,
the backward pass and an Adam update (lr 1e-3, bias-corrected). The model is the one
``mg.models.VAE`` builds (B examples, weights stored (out, in) as in ``mg.nn.Linear`` and PyTorch):

    h1 = relu(x W1^T + b1)                            encoder, D -> H
    loc, log_var = split(h1 W2^T + b2)                one H -> 2Z layer, split in two halves
    z = loc + exp(log_var / 2) * eps, eps ~ N(0, I)   the reparameterization trick
    logits = relu(z W3^T + b3) W4^T + b4              decoder, Z -> H -> D
    log p(x | z) = sum_d x logits - softplus(logits)  Bernoulli log-likelihood, stable for any logit
    KL = sum_j (scale^2 + loc^2 - 1 - log_var) / 2    KL(q(z | x) || N(0, I)), Kingma & Welling, appendix B
    loss = mean over the batch of (KL - log p(x | z))

Written here with no tape, no graph and an in-place Adam, it is the yardstick ("numpy" in
the tables): no engine on NumPy can do the same arrays faster. A test checks that its loss
and gradients are minigrad's.
"""
import math

import numpy

from .presets import LR, PARAMETER_NAMES, SEED
from .runner import Runner, cupy_peak, require, synchronize_cupy, tracemalloc_peak


def stable_softplus(xp, l):
    """log(1 + e^l) = max(l, 0) + log(1 + e^-|l|): finite for any l. ``xp``: any NumPy-like module."""
    return xp.maximum(l, 0) + xp.log1p(xp.exp(-xp.abs(l)))


class ArrayAdam:
    """Adam on plain arrays (NumPy or CuPy), in place, allocating nothing per step.

    The update of mg.optim.Adam (Kingma & Ba 2015, Algorithm 1), with the bias corrections
    folded into the step size as the paper suggests at the end of its section 2:

        m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g^2
        p <- p - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps sqrt(1 - beta2^t))
    """

    def __init__(self, params, xp=numpy, lr=LR, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.xp, self.lr, self.eps = list(params), xp, lr, eps
        self.beta1, self.beta2 = betas
        self.m = [xp.zeros_like(p) for p in self.params]
        self.v = [xp.zeros_like(p) for p in self.params]
        self.buffers = [xp.empty_like(p) for p in self.params]   # scratch, reused every step
        self.t = 0

    def step(self, grads):
        self.t += 1
        xp, beta1, beta2 = self.xp, self.beta1, self.beta2
        correction1, correction2 = 1.0 - beta1 ** self.t, 1.0 - beta2 ** self.t
        step_size = self.lr * math.sqrt(correction2) / correction1
        eps = self.eps * math.sqrt(correction2)
        for p, g, m, v, buf in zip(self.params, grads, self.m, self.v, self.buffers):
            m *= beta1                                  # m <- beta1 m + (1 - beta1) g
            xp.multiply(g, 1.0 - beta1, out=buf)
            m += buf
            v *= beta2                                  # v <- beta2 v + (1 - beta2) g^2
            xp.multiply(g, g, out=buf)
            buf *= 1.0 - beta2
            v += buf
            xp.sqrt(v, out=buf)                         # p <- p - step_size m / (sqrt(v) + eps)
            buf += eps
            xp.divide(m, buf, out=buf)
            buf *= step_size
            p -= buf


class HandWrittenVAE:
    """The VAE above with its backward pass derived by hand: no tape, no graph, no engine.

    ``params`` = [W1, b1, W2, b2, W3, b3, W4, b4] (arrays of ``xp``, NumPy or CuPy) are
    updated in place by ``step``. ``loss_and_grads`` is the part a test compares with
    minigrad's gradients.
    """

    def __init__(self, params, xp=numpy, seed=SEED):
        self.params, self.xp = list(params), xp
        self.latent = self.params[2].shape[0] // 2   # W2 is (2Z, H)
        self.rng = xp.random.default_rng(seed)
        self.optimizer = ArrayAdam(self.params, xp)

    def loss_and_grads(self, x, eps):
        """The loss for noise ``eps`` (shape (B, Z)) and its gradient for each parameter."""
        xp, Z = self.xp, self.latent
        W1, b1, W2, b2, W3, b3, W4, b4 = self.params
        c = 1.0 / x.shape[0]                  # the loss is a mean over the batch

        # forward
        a1 = x @ W1.T                         # W.T is a view: BLAS reads it transposed, nothing is copied
        a1 += b1
        h1 = xp.maximum(a1, 0)
        e = h1 @ W2.T
        e += b2
        loc, log_var = e[:, :Z], e[:, Z:]
        scale = xp.exp(0.5 * log_var)
        z = loc + scale * eps
        a3 = z @ W3.T
        a3 += b3
        h3 = xp.maximum(a3, 0)
        logits = h3 @ W4.T
        logits += b4
        softplus = stable_softplus(xp, logits)
        log_px = (x * logits).sum() - softplus.sum()
        kl = 0.5 * (scale * scale + loc * loc - 1.0 - log_var).sum()
        loss = c * (kl - log_px)

        # backward: the chain rule for each line above, bottom up; g_v = d loss / d v
        # loss = c sum(softplus(l) - x l + KL):  d/dl = c (sigmoid(l) - x), with sigmoid(l) =
        # e^l / (1 + e^l) = exp(l - softplus(l)): the exponent is <= 0, so it never overflows.
        # (Two passes. Reusing e^-|l| instead, as where(l >= 0, 1, e^-|l|) / (1 + e^-|l|), skips
        # the exp but is 4x slower here: NumPy's where branches on every element, and the signs
        # of the logits are a coin toss, so the branch is mispredicted half the time.)
        g_logits = logits - softplus
        xp.exp(g_logits, out=g_logits)
        g_logits -= x
        g_logits *= c
        g_W4 = g_logits.T @ h3                # logits = h3 W4^T + b4
        g_b4 = g_logits.sum(axis=0)
        g_a3 = g_logits @ W4
        g_a3 *= a3 > 0                        # h3 = relu(a3): the gradient passes where a3 > 0
        g_W3 = g_a3.T @ z                     # a3 = z W3^T + b3
        g_b3 = g_a3.sum(axis=0)
        g_z = g_a3 @ W3
        g_e = xp.empty_like(e)                # e = [loc, log_var]; z = loc + scale eps, scale = e^(log_var / 2):
        g_e[:, :Z] = g_z + c * loc            #   dz/dloc = 1;  dKL/dloc = loc
        g_e[:, Z:] = 0.5 * (g_z * eps * scale + c * (scale * scale - 1.0))   # dz/dlog_var = eps scale / 2;
        g_W2 = g_e.T @ h1                     #   dKL/dlog_var = (scale^2 - 1) / 2
        g_b2 = g_e.sum(axis=0)
        g_a1 = g_e @ W2
        g_a1 *= a1 > 0
        g_W1 = g_a1.T @ x                     # a1 = x W1^T + b1 (x needs no gradient)
        g_b1 = g_a1.sum(axis=0)
        return loss, [g_W1, g_b1, g_W2, g_b2, g_W3, g_b3, g_W4, g_b4]

    def step(self, x):
        eps = self.rng.standard_normal((x.shape[0], self.latent), dtype=x.dtype)
        loss, grads = self.loss_and_grads(x, eps)
        self.optimizer.step(grads)
        return loss


def build(setup):
    """The "numpy" implementation: HandWrittenVAE on NumPy, or on CuPy for --device cuda."""
    if setup.device == "cuda":
        xp, sync = require("cupy"), synchronize_cupy
    else:
        xp, sync = numpy, lambda: None
    model = HandWrittenVAE([xp.asarray(setup.params[name]).copy() for name in PARAMETER_NAMES], xp)
    x = xp.asarray(setup.x)
    step = lambda: model.step(x)
    peak = cupy_peak(step) if setup.device == "cuda" else tracemalloc_peak(step)
    return Runner(step, sync, peak)


def loss(params, x, eps):
    """The loss for these weights, batch and noise (NumPy arrays): what every peer must agree with."""
    return float(HandWrittenVAE([params[name] for name in PARAMETER_NAMES]).loss_and_grads(x, eps)[0])
