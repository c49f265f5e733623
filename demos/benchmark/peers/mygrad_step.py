"""MyGrad: the loss on mygrad tensors, backward, then the in-place NumPy Adam (MyGrad has no optimizers)."""
import time

import numpy

from ..chain import chain as op_chain
from ..model import ArrayAdam, stable_softplus
from ..presets import PARAMETER_NAMES, SEED
from ..runner import Runner, cpu_only, require, tracemalloc_peak


def vae_loss(mygrad, params, x, eps):
    """The loss of the model (see model.py) in mygrad; params = [W1, b1, ..., W4, b4]."""
    from mygrad.nnet import relu
    W1, b1, W2, b2, W3, b3, W4, b4 = params
    Z = eps.shape[-1]
    h1 = relu(mygrad.matmul(x, W1.T) + b1)     # weights (out, in), as mg.nn.Linear's: x W^T + b
    e = mygrad.matmul(h1, W2.T) + b2
    loc, log_var = e[:, :Z], e[:, Z:]
    scale = mygrad.exp(0.5 * log_var)
    z = loc + scale * eps
    logits = mygrad.matmul(relu(mygrad.matmul(z, W3.T) + b3), W4.T) + b4
    log_px = mygrad.sum(x * logits - stable_softplus(mygrad, logits), axis=1)
    kl = 0.5 * mygrad.sum(scale * scale + loc * loc - 1.0 - log_var, axis=1)
    return mygrad.mean(kl - log_px)


def build(setup):
    cpu_only(setup, "MyGrad")
    mygrad = require("mygrad")
    params = [mygrad.tensor(setup.params[name].copy()) for name in PARAMETER_NAMES]
    optimizer = ArrayAdam([p.data for p in params])   # .data is updated in place
    rng = numpy.random.default_rng(SEED)
    x, noise_shape = setup.x, (setup.config.batch, setup.config.latent)

    def step():
        eps = rng.standard_normal(noise_shape, dtype=numpy.float32)
        loss = vae_loss(mygrad, params, x, eps)
        loss.backward()            # MyGrad clears a gradient when its tensor is next used: no zero_grad
        optimizer.step([p.grad for p in params])
        return loss.data
    return Runner(step, peak_bytes=tracemalloc_peak(step))


def loss(params, x, eps):
    mygrad = require("mygrad")
    return vae_loss(mygrad, [mygrad.tensor(params[name]) for name in PARAMETER_NAMES], x, eps).item()


def chain(x0, n):
    mygrad = require("mygrad")
    x = mygrad.tensor(x0)
    start = time.perf_counter()
    y = mygrad.sum(op_chain(x, mygrad.exp, mygrad.log, n))
    middle = time.perf_counter()
    y.backward()
    return middle - start, time.perf_counter() - middle
