"""DeZero, the framework of the book "Deep Learning from Scratch 3" (Koki Saitoh, 2020): the closest
peer to minigrad (NumPy or CuPy; a tape whose backward can itself be recorded, for higher-order
gradients). The VAE as a dezero.Model of two dezero.models.MLP (L.Linear layers, F.linear
underneath), trained with dezero.optimizers.Adam.

Two things differ from the other peers, both DeZero's own and kept as they are: its Adam adds eps
to sqrt(v) before the bias correction is applied (the paper's "eps hat"; mg.optim.Adam adds it
after), which changes nothing at these sizes; and the backward pass of ``e[:, :Z]`` scatters with
``numpy.add.at``, and that of a layer computes a gradient for the input batch too.
"""
import time

import numpy

from ..chain import chain as op_chain
from ..presets import LR, PARAMETER_NAMES, SEED, sizes_of
from ..runner import Runner, cpu_only, require, tracemalloc_peak

# DeZero turns a Python float into a 0-d float64 array (as_array). NumPy 2 promotes (NEP 50) a
# float32 array with a 0-d float64 array to float64, so `0.5 * log_var` would leave float32 for
# the rest of the step. Constants of the arrays' own type keep the whole step in float32.
HALF, ONE, TWO = numpy.float32(0.5), numpy.float32(1.0), numpy.float32(2.0)


def import_dezero():
    """import dezero. Its last release (0.0.13, 2020) names numpy.int in a default argument, read
    on import (dezero/transforms.py); NumPy 1.24 removed that alias of the builtin int. It is put
    back for the import only, and taken away after, so NumPy is left as it was."""
    if hasattr(numpy, "int"):
        return require("dezero")
    numpy.int = int
    try:
        return require("dezero")
    finally:
        del numpy.int


def softplus(F, l):
    """log(1 + e^l) = max(l, 0) + log(1 + e^-|l|) from DeZero's functions (it has no softplus, abs
    or log1p): max(l, 0) = relu(l), and -|l| = l - 2 relu(l)."""
    r = F.relu(l)
    return r + F.log(ONE + F.exp(l - TWO * r))


def vae(dezero, params):
    """A dezero.Model VAE holding these weights (a dict of NumPy arrays); model(x, eps) is the loss."""
    F = dezero.functions
    D, H, Z = sizes_of(params)

    class VAE(dezero.Model):
        def __init__(self):
            super().__init__()
            self.encoder = dezero.models.MLP((H, 2 * Z), activation=F.relu)
            self.decoder = dezero.models.MLP((H, D), activation=F.relu)

        def forward(self, x, eps):
            e = self.encoder(x)
            loc, log_var = e[:, :Z], e[:, Z:]
            scale = F.exp(HALF * log_var)
            z = loc + scale * eps
            logits = self.decoder(z)
            log_px = F.sum(x * logits - softplus(F, logits), axis=1)
            kl = HALF * F.sum(scale * scale + loc * loc - ONE - log_var, axis=1)
            return F.sum(kl - log_px) / numpy.float32(x.shape[0])   # DeZero has no mean

    model = VAE()
    layers = model.encoder.layers + model.decoder.layers   # L.Linear stores W as (in, out): the transpose of ours
    for layer, weight, bias in zip(layers, PARAMETER_NAMES[::2], PARAMETER_NAMES[1::2]):
        layer.W.data, layer.b.data = params[weight].T.copy(), params[bias].copy()
    return model


def build(setup):
    cpu_only(setup, "DeZero")
    dezero = import_dezero()
    model = vae(dezero, setup.params)
    optimizer = dezero.optimizers.Adam(alpha=LR).setup(model)
    rng = numpy.random.default_rng(SEED)
    x, noise_shape = setup.x, (setup.config.batch, setup.config.latent)

    def step():
        loss = model(x, rng.standard_normal(noise_shape, dtype=numpy.float32))
        model.cleargrads()         # DeZero adds to a gradient that is there: clear before backward
        loss.backward()
        optimizer.update()
        return loss.data
    return Runner(step, peak_bytes=tracemalloc_peak(step))


def loss(params, x, eps):
    dezero = import_dezero()
    with dezero.no_grad():
        return float(vae(dezero, params)(x, eps).data)


def chain(x0, n):
    dezero = import_dezero()
    F = dezero.functions
    x = dezero.Variable(x0)
    start = time.perf_counter()
    y = F.sum(op_chain(x, F.exp, F.log, n, two=TWO, half=HALF))
    middle = time.perf_counter()
    y.backward()
    return middle - start, time.perf_counter() - middle
