"""HIPS autograd: value_and_grad of the loss written in autograd.numpy, then the in-place NumPy Adam
(autograd ships no Adam that takes one step at a time)."""
import time

import numpy

from ..chain import chain as op_chain
from ..model import ArrayAdam, stable_softplus
from ..presets import PARAMETER_NAMES, SEED
from ..runner import Runner, cpu_only, require, tracemalloc_peak


def _autograd():
    require("autograd")
    import autograd
    import autograd.numpy as anp
    return autograd, anp


def vae_loss(anp, params, x, eps):
    """The loss of the model (see model.py) in autograd.numpy; params = [W1, b1, ..., W4, b4]."""
    W1, b1, W2, b2, W3, b3, W4, b4 = params
    Z = eps.shape[-1]
    h1 = anp.maximum(anp.dot(x, W1.T) + b1, 0)     # weights (out, in), as mg.nn.Linear's: x W^T + b
    e = anp.dot(h1, W2.T) + b2
    loc, log_var = e[:, :Z], e[:, Z:]
    scale = anp.exp(0.5 * log_var)
    z = loc + scale * eps
    logits = anp.dot(anp.maximum(anp.dot(z, W3.T) + b3, 0), W4.T) + b4
    log_px = anp.sum(x * logits - stable_softplus(anp, logits), axis=1)
    kl = 0.5 * anp.sum(scale * scale + loc * loc - 1.0 - log_var, axis=1)
    return anp.mean(kl - log_px)


def build(setup):
    cpu_only(setup, "HIPS autograd")
    autograd, anp = _autograd()
    value_and_grad = autograd.value_and_grad(lambda params, x, eps: vae_loss(anp, params, x, eps))
    params = [setup.params[name].copy() for name in PARAMETER_NAMES]
    optimizer = ArrayAdam(params)
    rng = numpy.random.default_rng(SEED)
    x, noise_shape = setup.x, (setup.config.batch, setup.config.latent)

    def step():
        eps = rng.standard_normal(noise_shape, dtype=numpy.float32)
        loss, grads = value_and_grad(params, x, eps)
        optimizer.step(grads)
        return loss
    return Runner(step, peak_bytes=tracemalloc_peak(step))


def loss(params, x, eps):
    return float(vae_loss(_autograd()[1], [params[name] for name in PARAMETER_NAMES], x, eps))


def chain(x0, n):
    autograd, anp = _autograd()
    start = time.perf_counter()
    vjp, y = autograd.make_vjp(lambda x: anp.sum(op_chain(x, anp.exp, anp.log, n)))(x0)
    middle = time.perf_counter()
    vjp(numpy.ones_like(y))
    return middle - start, time.perf_counter() - middle
