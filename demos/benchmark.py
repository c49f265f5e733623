"""How fast is minigrad? One VAE training step timed against the frameworks people would use instead.

Every implementation does the same work, in float32, from the same initial weights on the
same batch: one training step of a variational autoencoder (Kingma & Welling 2014) - the
forward pass, the backward pass and an Adam update (lr 1e-3, bias-corrected). The model
is the one ``mg.models.VAE`` builds, written out (B examples, weights stored (in, out) as
in ``mg.nn.Linear``, so a layer is x W + b):

    h1 = relu(x W1 + b1)                              encoder, D -> H
    loc, log_var = split(h1 W2 + b2)                  one H -> 2Z layer, split in two halves
    z = loc + exp(log_var / 2) * eps, eps ~ N(0, I)   the reparameterization trick
    logits = relu(z W3 + b3) W4 + b4                  decoder, Z -> H -> D
    log p(x | z) = sum_d x logits - softplus(logits)  Bernoulli log-likelihood, stable for any logit
    KL = sum_j (scale^2 + loc^2 - 1 - log_var) / 2    KL(q(z | x) || N(0, I)), Kingma & Welling, appendix B
    loss = mean over the batch of (KL - log p(x | z))

Implementations (``--impls``; a peer that is not installed is skipped with a note):

    numpy        the forward pass and a hand-derived backward pass in NumPy, with an in-place
                 Adam: no tape at all, so no NumPy engine can be faster (the "limit")
    minigrad     mg.models.VAE + mg.optim.Adam: loss = -model.elbo(x).elbo.mean(); backward; step
    minigrad-ops the same model written with raw mg ops (no Module, no distributions)
    torch        PyTorch eager, torch.optim.Adam as it comes (on the CPU: a loop over the parameters)
    torch-fused  PyTorch eager, torch.optim.Adam(fused=True): one kernel updates all parameters
    jax-jit      JAX, the whole step (loss, gradient, Adam) compiled by one jax.jit
    jax-eager    JAX without jit: every op dispatched one at a time
    autograd     HIPS autograd's value_and_grad, then the in-place NumPy Adam
    mygrad       MyGrad, then the in-place NumPy Adam

How it is timed. ``--threads 1`` (the default) gives NumPy's BLAS and PyTorch one thread and
runs the process on one CPU core (the only way to hold JAX to one: see _pin_threads). Each
implementation runs warm-up steps; then the timed steps are split into rounds, and every
round times a block of steps of each implementation in turn, so that load from elsewhere on
the machine hits all of them alike. The table gives the median time of a step, its
interquartile range (IQR), the fastest step (what the machine can do when nothing else runs;
a wide IQR says the clock was shared), and ratios of medians to the NumPy limit and to
PyTorch from the same run. On ``--device cuda`` (minigrad on CuPy, the hand-written version
on CuPy, PyTorch CUDA) the device is synchronized before each clock is read.

Presets (``--presets``): default (784-400-20, batch 128), tiny (64-32-4, batch 16: the cost
per op dominates), sweep (hidden 128/512/2048 at batch 128; batch 32/512 at hidden 400), gpu
(784-2048-20, batch 1024, for --device cuda) and chain (10,000 small elementwise ops on a
small tensor: microseconds per recorded op, forward and backward).

    python demos/benchmark.py                               # the default preset
    python demos/benchmark.py --presets tiny --steps 2000
    python demos/benchmark.py --presets chain
    python demos/benchmark.py --memory-steps 10000          # does resident memory grow?
"""
import os
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _threads_in(argv):
    """The N of ``--threads N`` in argv (1 when absent), read by hand: see below."""
    for i, arg in enumerate(argv):
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
    return "1"


if __name__ == "__main__":
    # BLAS libraries read their thread count once, when NumPy is imported, so it is set
    # here, before `import numpy`. (Called from Python, main() can only warn; see _pin_threads.)
    for _variable in THREAD_VARIABLES:
        os.environ[_variable] = _threads_in(sys.argv[1:])

import argparse
import ctypes
import ctypes.util
import dataclasses
import datetime
import gc
import json
import math
import platform
import time
import tracemalloc

import numpy

import minigrad as mg

LR = 1e-3
SEED = 0


# ====================================================================== sizes and presets

@dataclasses.dataclass(frozen=True)
class Config:
    x_dim: int     # D, pixels of an image
    hidden: int    # H
    latent: int    # Z
    batch: int     # B

    def __str__(self):
        return f"{self.x_dim}-{self.hidden}-{self.latent}, batch {self.batch}"


PRESETS = {   # name -> (sizes, timed steps when --steps is not given)
    "default": ([Config(784, 400, 20, 128)], 100),
    "tiny": ([Config(64, 32, 4, 16)], 500),
    "sweep": ([Config(784, 128, 20, 128), Config(784, 512, 20, 128), Config(784, 2048, 20, 128),
               Config(784, 400, 20, 32), Config(784, 400, 20, 512)], 50),
    "gpu": ([Config(784, 2048, 20, 1024)], 100),
    "chain": (None, 5),   # not a VAE: see run_chain(); its steps are repeats of the whole chain
}

# The parameters in one order for every implementation: mg.models.VAE's names, so that
# minigrad loads them with load_state_dict. Weights are (in, out).
PARAMETER_NAMES = ("encoder.layers.0.weight", "encoder.layers.0.bias", "encoder.layers.2.weight",
                   "encoder.layers.2.bias", "decoder.layers.0.weight", "decoder.layers.0.bias",
                   "decoder.layers.2.weight", "decoder.layers.2.bias")


def initial_parameters(config, seed=SEED, dtype=numpy.float32):
    """W1, b1, W2, b2, W3, b3, W4, b4 drawn as mg.nn.Linear draws them: U(-1/sqrt(in), 1/sqrt(in))."""
    rng = numpy.random.default_rng(seed)
    D, H, Z = config.x_dim, config.hidden, config.latent
    params = {}
    for name, (n_in, n_out) in zip(PARAMETER_NAMES[::2], [(D, H), (H, 2 * Z), (Z, H), (H, D)]):
        bound = 1.0 / math.sqrt(n_in)
        params[name] = rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype)
        params[name.replace("weight", "bias")] = rng.uniform(-bound, bound, n_out).astype(dtype)
    return params


def binary_batch(config, seed=SEED, dtype=numpy.float32):
    """A batch of random 0/1 images (the values do not change the work, only the numbers)."""
    rng = numpy.random.default_rng(seed + 1)
    return (rng.random((config.batch, config.x_dim)) < 0.5).astype(dtype)


@dataclasses.dataclass
class Setup:
    """What every implementation is built from: the same sizes, weights and batch."""
    config: Config
    device: str                # "cpu" or "cuda"
    threads: int
    params: dict               # name -> NumPy array (each implementation copies them)
    x: numpy.ndarray


@dataclasses.dataclass
class Runner:
    """One implementation, built and ready: ``step()`` trains once and returns the loss (any array type)."""
    step: object
    sync: object = lambda: None   # waits for the device (CUDA, or JAX's asynchronous dispatch)
    peak_bytes: object = None     # runs one step and returns (bytes, how measured), or None: not measurable


class Skip(Exception):
    """An implementation that cannot run here (not installed, no GPU): reported, never faked."""


def _require(module_name):
    try:
        return __import__(module_name)
    except ImportError as e:
        raise Skip(f"{module_name} is not installed ({e})") from None


def _cpu_only(setup, name):
    if setup.device != "cpu":
        raise Skip(f"{name} runs on the CPU only in this benchmark")


# ====================================================================== the limit: no tape

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
        self.latent = self.params[2].shape[1] // 2
        self.rng = xp.random.default_rng(seed)
        self.optimizer = ArrayAdam(self.params, xp)

    def loss_and_grads(self, x, eps):
        """The loss for noise ``eps`` (shape (B, Z)) and its gradient for each parameter."""
        xp, Z = self.xp, self.latent
        W1, b1, W2, b2, W3, b3, W4, b4 = self.params
        c = 1.0 / x.shape[0]                  # the loss is a mean over the batch

        # forward
        a1 = x @ W1
        a1 += b1
        h1 = xp.maximum(a1, 0)
        e = h1 @ W2
        e += b2
        loc, log_var = e[:, :Z], e[:, Z:]
        scale = xp.exp(0.5 * log_var)
        z = loc + scale * eps
        a3 = z @ W3
        a3 += b3
        h3 = xp.maximum(a3, 0)
        logits = h3 @ W4
        logits += b4
        softplus = xp.maximum(logits, 0) + xp.log1p(xp.exp(-xp.abs(logits)))   # log(1 + e^l), finite for any l
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
        g_W4 = h3.T @ g_logits                # logits = h3 W4 + b4
        g_b4 = g_logits.sum(axis=0)
        g_a3 = g_logits @ W4.T
        g_a3 *= a3 > 0                        # h3 = relu(a3): the gradient passes where a3 > 0
        g_W3 = z.T @ g_a3                     # a3 = z W3 + b3
        g_b3 = g_a3.sum(axis=0)
        g_z = g_a3 @ W3.T
        g_e = xp.empty_like(e)                # e = [loc, log_var]; z = loc + scale eps, scale = e^(log_var / 2):
        g_e[:, :Z] = g_z + c * loc            #   dz/dloc = 1;  dKL/dloc = loc
        g_e[:, Z:] = 0.5 * (g_z * eps * scale + c * (scale * scale - 1.0))   # dz/dlog_var = eps scale / 2;
        g_W2 = h1.T @ g_e                     #   dKL/dlog_var = (scale^2 - 1) / 2
        g_b2 = g_e.sum(axis=0)
        g_a1 = g_e @ W2.T
        g_a1 *= a1 > 0
        g_W1 = x.T @ g_a1                     # a1 = x W1 + b1 (x needs no gradient)
        g_b1 = g_a1.sum(axis=0)
        return loss, [g_W1, g_b1, g_W2, g_b2, g_W3, g_b3, g_W4, g_b4]

    def step(self, x):
        eps = self.rng.standard_normal((x.shape[0], self.latent), dtype=x.dtype)
        loss, grads = self.loss_and_grads(x, eps)
        self.optimizer.step(grads)
        return loss


def _synchronize_cupy():
    import cupy
    cupy.cuda.get_current_stream().synchronize()


def _cupy_peak(step):
    """Growth of CuPy's memory pool during one step: the most device memory the step held at once."""
    def measure():
        import cupy
        pool = cupy.get_default_memory_pool()
        pool.free_all_blocks()
        before = pool.used_bytes()
        step()
        _synchronize_cupy()
        return pool.total_bytes() - before, "CuPy pool"
    return measure


def _tracemalloc_peak(step):
    """Peak of the memory allocated during one step beyond what was allocated before it.

    tracemalloc sees Python objects and NumPy arrays (NumPy reports its buffers to it), not
    memory that PyTorch or XLA allocate themselves.
    """
    def measure():
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        step()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak - before, "tracemalloc"
    return measure


def numpy_runner(setup):
    if setup.device == "cuda":
        xp = _require("cupy")
        sync = _synchronize_cupy
    else:
        xp, sync = numpy, lambda: None
    model = HandWrittenVAE([xp.asarray(setup.params[name]).copy() for name in PARAMETER_NAMES], xp)
    x = xp.asarray(setup.x)
    step = lambda: model.step(x)
    peak = _cupy_peak(step) if setup.device == "cuda" else _tracemalloc_peak(step)
    return Runner(step, sync, peak)


# ====================================================================== minigrad

def _minigrad_device(setup):
    if setup.device not in mg.devices():
        raise Skip(f"minigrad has no device {setup.device!r} here (devices: {mg.devices()})")
    return (_synchronize_cupy, _cupy_peak) if setup.device == "cuda" else (lambda: None, _tracemalloc_peak)


def minigrad_runner(setup):
    """What a user writes: the model from mg.models, trained with mg.optim.Adam."""
    sync, peak = _minigrad_device(setup)
    c = setup.config
    mg.random.seed(SEED)
    model = mg.models.VAE(c.x_dim, c.hidden, c.latent, dtype=mg.float32, device=setup.device)
    model.load_state_dict(setup.params)
    optimizer = mg.optim.Adam(model.parameters(), lr=LR)
    x = mg.tensor(setup.x, device=setup.device)

    def step():
        loss = -model.elbo(x).elbo.mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.data
    return Runner(step, sync, peak(step))


def minigrad_ops_loss(params, x, latent):
    """The loss of the module docstring in raw mg ops: minigrad without mg.nn or mg.distributions."""
    W1, b1, W2, b2, W3, b3, W4, b4 = params
    h1 = mg.relu(x @ W1 + b1)
    e = h1 @ W2 + b2
    loc, log_var = e[:, :latent], e[:, latent:]
    scale = mg.exp(0.5 * log_var)
    z = loc + scale * mg.random.normal(loc.shape, dtype=loc.dtype, device=loc.device)
    logits = mg.relu(z @ W3 + b3) @ W4 + b4
    log_px = (x * logits - mg.softplus(logits)).sum(axis=1)
    kl = 0.5 * (scale * scale + loc * loc - 1.0 - log_var).sum(axis=1)
    return (kl - log_px).mean()


def minigrad_ops_runner(setup):
    sync, peak = _minigrad_device(setup)
    mg.random.seed(SEED)
    params = [mg.tensor(setup.params[name], device=setup.device, requires_grad=True) for name in PARAMETER_NAMES]
    optimizer = mg.optim.Adam(params, lr=LR)
    x = mg.tensor(setup.x, device=setup.device)

    def step():
        loss = minigrad_ops_loss(params, x, setup.config.latent)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.data
    return Runner(step, sync, peak(step))


# ====================================================================== PyTorch

def _torch_runner(setup, fused):
    torch = _require("torch")
    F = torch.nn.functional
    torch.set_num_threads(setup.threads)
    torch.manual_seed(SEED)
    device = torch.device(setup.device)
    if setup.device == "cuda" and not torch.cuda.is_available():
        raise Skip(f"this PyTorch ({torch.__version__}) sees no CUDA device")
    c = setup.config

    class VAE(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Sequential(torch.nn.Linear(c.x_dim, c.hidden), torch.nn.ReLU(),
                                               torch.nn.Linear(c.hidden, 2 * c.latent))
            self.decoder = torch.nn.Sequential(torch.nn.Linear(c.latent, c.hidden), torch.nn.ReLU(),
                                               torch.nn.Linear(c.hidden, c.x_dim))

        def forward(self, x):
            loc, log_var = self.encoder(x).chunk(2, dim=-1)
            scale = torch.exp(0.5 * log_var)
            z = loc + scale * torch.randn_like(scale)
            logits = self.decoder(z)
            log_px = (x * logits - F.softplus(logits)).sum(-1)
            kl = 0.5 * (scale * scale + loc * loc - 1.0 - log_var).sum(-1)
            return (kl - log_px).mean()

    model = VAE().to(device)
    with torch.no_grad():   # PyTorch stores a weight as (out, in): the transpose of ours
        for name, p in zip(PARAMETER_NAMES, model.parameters()):
            value = torch.from_numpy(setup.params[name])
            p.copy_(value.T if value.ndim == 2 else value)
    try:
        optimizer = torch.optim.Adam(model.parameters(), lr=LR, fused=fused or None)
    except (RuntimeError, ValueError) as e:
        raise Skip(f"Adam(fused=True) is not supported here: {e}") from None
    x = torch.from_numpy(setup.x).to(device)

    def step():
        loss = model(x)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.detach()

    if setup.device == "cuda":
        def peak():
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            before = torch.cuda.memory_allocated()
            step()
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated() - before, "torch.cuda"
        return Runner(step, torch.cuda.synchronize, peak)
    return Runner(step)   # PyTorch's CPU allocations are invisible to tracemalloc


def torch_runner(setup):
    return _torch_runner(setup, fused=False)


def torch_fused_runner(setup):
    return _torch_runner(setup, fused=True)


# ====================================================================== JAX

def _jax_runner(setup, jit):
    _cpu_only(setup, "JAX")
    jax = _require("jax")
    jnp = jax.numpy

    def loss_fn(params, x, key):
        W1, b1, W2, b2, W3, b3, W4, b4 = params
        h1 = jax.nn.relu(x @ W1 + b1)
        loc, log_var = jnp.split(h1 @ W2 + b2, 2, axis=-1)
        scale = jnp.exp(0.5 * log_var)
        z = loc + scale * jax.random.normal(key, loc.shape, loc.dtype)
        logits = jax.nn.relu(z @ W3 + b3) @ W4 + b4
        log_px = jnp.sum(x * logits - jax.nn.softplus(logits), axis=-1)
        kl = 0.5 * jnp.sum(scale * scale + loc * loc - 1.0 - log_var, axis=-1)
        return jnp.mean(kl - log_px)

    def train_step(params, m, v, t, key, x, beta1=0.9, beta2=0.999, eps=1e-8):
        key, noise_key = jax.random.split(key)
        loss, grads = jax.value_and_grad(loss_fn)(params, x, noise_key)
        m = [beta1 * mi + (1.0 - beta1) * g for mi, g in zip(m, grads)]       # Adam, as ArrayAdam
        v = [beta2 * vi + (1.0 - beta2) * g * g for vi, g in zip(v, grads)]
        correction1, correction2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
        step_size = LR * jnp.sqrt(correction2) / correction1
        params = [p - step_size * mi / (jnp.sqrt(vi) + eps * jnp.sqrt(correction2))
                  for p, mi, vi in zip(params, m, v)]
        return params, m, v, key, loss

    if jit:   # donating the old parameters and moments lets XLA update them in place
        train_step = jax.jit(train_step, donate_argnums=(0, 1, 2))
    params = [jnp.asarray(setup.params[name]) for name in PARAMETER_NAMES]
    state = {"params": params, "m": [jnp.zeros_like(p) for p in params], "v": [jnp.zeros_like(p) for p in params],
             "t": 0, "key": jax.random.PRNGKey(SEED), "loss": None}
    x = jnp.asarray(setup.x)

    def step():
        state["t"] += 1
        state["params"], state["m"], state["v"], state["key"], state["loss"] = train_step(
            state["params"], state["m"], state["v"], jnp.float32(state["t"]), state["key"], x)
        return state["loss"]

    def sync():   # JAX returns before it has computed: wait for the new parameters
        jax.block_until_ready((state["params"], state["loss"]))
    return Runner(step, sync)   # XLA's buffers are invisible to tracemalloc


def jax_jit_runner(setup):
    return _jax_runner(setup, jit=True)


def jax_eager_runner(setup):
    return _jax_runner(setup, jit=False)


# ====================================================================== HIPS autograd and MyGrad

def stable_softplus(np_module, l):
    """log(1 + e^l) = max(l, 0) + log(1 + e^-|l|), for libraries without a softplus of their own."""
    return np_module.maximum(l, 0) + np_module.log1p(np_module.exp(-np_module.abs(l)))


def autograd_runner(setup):
    _cpu_only(setup, "HIPS autograd")
    _require("autograd")
    import autograd
    import autograd.numpy as anp
    Z = setup.config.latent

    def loss_fn(params, x, eps):
        W1, b1, W2, b2, W3, b3, W4, b4 = params
        h1 = anp.maximum(anp.dot(x, W1) + b1, 0)
        e = anp.dot(h1, W2) + b2
        loc, log_var = e[:, :Z], e[:, Z:]
        scale = anp.exp(0.5 * log_var)
        z = loc + scale * eps
        logits = anp.dot(anp.maximum(anp.dot(z, W3) + b3, 0), W4) + b4
        log_px = anp.sum(x * logits - stable_softplus(anp, logits), axis=1)
        kl = 0.5 * anp.sum(scale * scale + loc * loc - 1.0 - log_var, axis=1)
        return anp.mean(kl - log_px)

    value_and_grad = autograd.value_and_grad(loss_fn)
    params = [setup.params[name].copy() for name in PARAMETER_NAMES]
    optimizer = ArrayAdam(params)   # autograd ships no Adam that takes one step at a time
    rng = numpy.random.default_rng(SEED)
    x = setup.x

    def step():
        eps = rng.standard_normal((x.shape[0], Z), dtype=numpy.float32)
        loss, grads = value_and_grad(params, x, eps)
        optimizer.step(grads)
        return loss
    return Runner(step, peak_bytes=_tracemalloc_peak(step))


def mygrad_runner(setup):
    _cpu_only(setup, "MyGrad")
    mygrad = _require("mygrad")
    from mygrad.nnet import relu
    Z = setup.config.latent
    params = [mygrad.tensor(setup.params[name].copy()) for name in PARAMETER_NAMES]
    optimizer = ArrayAdam([p.data for p in params])   # MyGrad has no optimizers; .data is updated in place
    rng = numpy.random.default_rng(SEED)
    x = setup.x

    def step():
        W1, b1, W2, b2, W3, b3, W4, b4 = params
        eps = rng.standard_normal((x.shape[0], Z), dtype=numpy.float32)
        h1 = relu(mygrad.matmul(x, W1) + b1)
        e = mygrad.matmul(h1, W2) + b2
        loc, log_var = e[:, :Z], e[:, Z:]
        scale = mygrad.exp(0.5 * log_var)
        z = loc + scale * eps
        logits = mygrad.matmul(relu(mygrad.matmul(z, W3) + b3), W4) + b4
        log_px = mygrad.sum(x * logits - stable_softplus(mygrad, logits), axis=1)
        kl = 0.5 * mygrad.sum(scale * scale + loc * loc - 1.0 - log_var, axis=1)
        loss = mygrad.mean(kl - log_px)
        loss.backward()            # MyGrad clears a gradient when its tensor is next used: no zero_grad
        optimizer.step([p.grad for p in params])
        return loss.data
    return Runner(step, peak_bytes=_tracemalloc_peak(step))


IMPLEMENTATIONS = {   # name -> (builder, what it is)
    "numpy": (numpy_runner, "hand-written forward and backward, in-place Adam: no tape (the limit)"),
    "minigrad": (minigrad_runner, "mg.models.VAE + mg.optim.Adam"),
    "minigrad-ops": (minigrad_ops_runner, "the same model in raw mg ops + mg.optim.Adam"),
    "torch": (torch_runner, "PyTorch eager, torch.optim.Adam (default: a loop over parameters on the CPU)"),
    "torch-fused": (torch_fused_runner, "PyTorch eager, torch.optim.Adam(fused=True)"),
    "jax-jit": (jax_jit_runner, "JAX, loss + grad + Adam in one jax.jit"),
    "jax-eager": (jax_eager_runner, "JAX, no jit: op-by-op dispatch"),
    "autograd": (autograd_runner, "HIPS autograd value_and_grad + in-place NumPy Adam"),
    "mygrad": (mygrad_runner, "MyGrad backward + in-place NumPy Adam"),
}


# ====================================================================== timing the step

def _quartiles(samples):
    q1, median, q3 = numpy.percentile(numpy.asarray(samples), [25, 50, 75])
    return float(q1), float(median), float(q3)


def _to_float(loss):
    return float(numpy.asarray(loss.get() if hasattr(loss, "get") else loss))   # .get(): CuPy -> host


def time_steps(runners, steps, warmup, rounds):
    """{name: [seconds of each timed step]}, timed in rounds that take turns over the implementations."""
    for runner in runners.values():
        for _ in range(warmup):
            runner.step()
        runner.sync()
    times = {name: [] for name in runners}
    per_round = [steps // rounds + (i < steps % rounds) for i in range(rounds)]
    for block in per_round:
        for name, runner in runners.items():
            runner.step()   # untimed: bring this implementation's arrays back into the caches
            runner.sync()
            gc.collect()
            for _ in range(block):
                start = time.perf_counter()
                runner.step()
                runner.sync()
                times[name].append(time.perf_counter() - start)
    return times


def build_runners(setup, impls):
    """The runners that can run here and, for the others, why not."""
    runners, skipped = {}, {}
    for name in impls:
        builder = IMPLEMENTATIONS[name][0]
        try:
            runners[name] = builder(setup)
        except Skip as e:
            skipped[name] = str(e)
    return runners, skipped


def run_config(config, args):
    """Time every implementation on one size; a list of result rows and the skipped ones."""
    setup = Setup(config, args.device, args.threads, initial_parameters(config), binary_batch(config))
    runners, skipped = build_runners(setup, args.impls)
    times = time_steps(runners, args.steps, args.warmup, args.rounds)
    rows = []
    for name, runner in runners.items():
        q1, median, q3 = _quartiles(times[name])
        loss = runner.step()
        runner.sync()
        peak, how = runner.peak_bytes() if runner.peak_bytes is not None else (None, None)
        rows.append({"impl": name, "median_ms": 1e3 * median, "q1_ms": 1e3 * q1, "q3_ms": 1e3 * q3,
                     "iqr_ms": 1e3 * (q3 - q1), "min_ms": 1e3 * min(times[name]), "steps": len(times[name]),
                     "loss_after": _to_float(loss),
                     "peak_bytes": peak, "peak_measured_with": how})
    for reference, key in (("numpy", "x_numpy"), ("torch", "x_torch")):
        base = next((r["median_ms"] for r in rows if r["impl"] == reference), None)
        for row in rows:
            row[key] = row["median_ms"] / base if base else None
    return rows, skipped


# ====================================================================== the chain: cost per recorded op

def chain(y, exp, log, n):
    """n elementwise ops: y*2, exp, log, y*0.5, repeated. The value and its derivative come back
    to themselves every four ops, so nothing overflows or underflows however long the chain."""
    for i in range(n):
        k = i % 4
        y = y * 2.0 if k == 0 else exp(y) if k == 1 else log(y) if k == 2 else y * 0.5
    return y


def _chain_numpy(x0, n):
    """The floor: the same ops in NumPy, and their backward written out, with no tape."""
    start = time.perf_counter()
    y, saved = x0, []
    for i in range(n):
        k = i % 4
        if k == 0:
            y = y * 2.0
        elif k == 1:
            y = numpy.exp(y)
            saved.append(y)            # d exp(y)/dy = exp(y): keep the output
        elif k == 2:
            saved.append(y)            # d log(y)/dy = 1/y: keep the input
            y = numpy.log(y)
        else:
            y = y * 0.5
    middle = time.perf_counter()
    g = numpy.ones_like(y)
    for i in reversed(range(n)):
        k = i % 4
        g = g * 2.0 if k == 0 else g * saved.pop() if k == 1 else g / saved.pop() if k == 2 else g * 0.5
    end = time.perf_counter()
    return middle - start, end - middle


def _chain_minigrad(x0, n):
    x = mg.tensor(x0, requires_grad=True)
    start = time.perf_counter()
    y = chain(x, mg.exp, mg.log, n).sum()
    middle = time.perf_counter()
    y.backward()
    return middle - start, time.perf_counter() - middle


def _chain_torch(x0, n):
    torch = _require("torch")
    x = torch.tensor(x0, requires_grad=True)
    start = time.perf_counter()
    y = chain(x, torch.exp, torch.log, n).sum()
    middle = time.perf_counter()
    y.backward()
    return middle - start, time.perf_counter() - middle


def _chain_jax_eager(x0, n):
    jax = _require("jax")
    jnp = jax.numpy
    x = jnp.asarray(x0)
    start = time.perf_counter()
    y, vjp = jax.vjp(lambda x: jnp.sum(chain(x, jnp.exp, jnp.log, n)), x)   # forward, recording
    jax.block_until_ready(y)
    middle = time.perf_counter()
    jax.block_until_ready(vjp(jnp.ones_like(y)))
    return middle - start, time.perf_counter() - middle


def _chain_autograd(x0, n):
    _require("autograd")
    import autograd
    import autograd.numpy as anp
    start = time.perf_counter()
    vjp, y = autograd.make_vjp(lambda x: anp.sum(chain(x, anp.exp, anp.log, n)))(x0)
    middle = time.perf_counter()
    vjp(numpy.ones_like(y))
    return middle - start, time.perf_counter() - middle


def _chain_mygrad(x0, n):
    mygrad = _require("mygrad")
    x = mygrad.tensor(x0)
    start = time.perf_counter()
    y = mygrad.sum(chain(x, mygrad.exp, mygrad.log, n))
    middle = time.perf_counter()
    y.backward()
    return middle - start, time.perf_counter() - middle


CHAIN_IMPLEMENTATIONS = {"numpy": _chain_numpy, "minigrad": _chain_minigrad, "torch": _chain_torch,
                         "jax-eager": _chain_jax_eager, "autograd": _chain_autograd, "mygrad": _chain_mygrad}


def run_chain(args):
    """Microseconds per recorded op, forward and backward: the median over ``args.steps`` chains."""
    if args.device != "cpu":
        return [], {"chain": "the chain preset runs on the CPU only"}
    x0 = numpy.random.default_rng(SEED).uniform(0.5, 1.5, args.chain_size).astype(numpy.float32)
    n = args.chain_ops
    rows, skipped = [], {}
    for name in args.impls:
        if name not in CHAIN_IMPLEMENTATIONS:   # variants of a training step (fused Adam, jit of the step)
            continue
        try:
            CHAIN_IMPLEMENTATIONS[name](x0, min(n, 100))   # warm-up
            runs = []
            for _ in range(args.steps):
                gc.collect()
                runs.append(CHAIN_IMPLEMENTATIONS[name](x0, n))
        except Skip as e:
            skipped[name] = str(e)
            continue
        except RecursionError as e:   # an engine whose backward recurses: a real limit, shown as such
            skipped[name] = f"failed on a chain of {n} ops: RecursionError ({e})"
            continue
        forward = float(numpy.median([f for f, _ in runs])) / n * 1e6
        backward = float(numpy.median([b for _, b in runs])) / n * 1e6
        rows.append({"impl": name, "forward_us_per_op": forward, "backward_us_per_op": backward,
                     "total_us_per_op": forward + backward, "repeats": len(runs)})
    base = next((r["total_us_per_op"] for r in rows if r["impl"] == "numpy"), None)
    for row in rows:
        row["x_numpy"] = row["total_us_per_op"] / base if base else None
    return rows, skipped


# ====================================================================== memory over many steps

def resident_bytes():
    """Resident set size of this process now, from /proc/self/statm (its second field, in pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_memory(config, args, impls):
    """Run ``args.memory_steps`` steps of each implementation; resident memory at the start and after."""
    setup = Setup(config, args.device, args.threads, initial_parameters(config), binary_batch(config))
    runners, skipped = build_runners(setup, impls)
    results = []
    for name, runner in runners.items():
        for _ in range(args.warmup):
            runner.step()
        runner.sync()
        gc.collect()
        samples = [(0, resident_bytes())]
        every = max(1, args.memory_steps // 10)
        for i in range(1, args.memory_steps + 1):
            runner.step()
            if i % every == 0 or i == args.memory_steps:
                runner.sync()
                samples.append((i, resident_bytes()))
        halfway = next(rss for i, rss in samples if i >= args.memory_steps // 2)
        results.append({"impl": name, "steps": args.memory_steps, "rss_start_bytes": samples[0][1],
                        "rss_end_bytes": samples[-1][1], "growth_bytes": samples[-1][1] - samples[0][1],
                        "second_half_growth_bytes": samples[-1][1] - halfway, "samples": samples})
    return results, skipped


# ====================================================================== printing

def _table(headers, rows):
    """Columns padded to their widest cell: the first left-aligned, the others right-aligned."""
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for r in cells:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _number(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def _mib(value):
    return "-" if value is None else f"{value / 2**20:.1f}"


def print_step_table(preset, config, rows, skipped, args):
    print(f"\n[{preset}] VAE {config}: one training step (forward, backward, Adam), float32, {args.device}, "
          f"{args.threads} thread(s); median of {args.steps} steps after {args.warmup} warm-up")
    if args.device == "cuda":
        print("(numpy: the hand-written version run on CuPy; minigrad on CuPy; PyTorch on CUDA)")
    body = [[r["impl"], _number(r["median_ms"], 3), _number(r["iqr_ms"], 3), _number(r["min_ms"], 3),
             _number(r["x_numpy"]), _number(r["x_torch"]), _mib(r["peak_bytes"]), _number(r["loss_after"], 1)]
            for r in rows]
    print(_table(["impl", "median ms", "IQR ms", "min ms", "x numpy", "x torch", "peak MiB", "loss"], body))
    _print_skipped(skipped)


def _print_skipped(skipped):
    for name, reason in skipped.items():
        print(f"  skipped {name}: {reason}")


def print_chain_table(rows, skipped, args):
    print(f"\n[chain] {args.chain_ops} elementwise ops (x2, exp, log, x0.5, ...) on {args.chain_size} float32 "
          f"numbers, then backward; median of {args.steps} chains")
    body = [[r["impl"], _number(r["forward_us_per_op"]), _number(r["backward_us_per_op"]),
             _number(r["total_us_per_op"]), _number(r["x_numpy"], 1)] for r in rows]
    print(_table(["impl", "forward us/op", "backward us/op", "total us/op", "x numpy"], body))
    _print_skipped(skipped)


def print_memory_table(config, results, skipped):
    print(f"\n[memory] VAE {config}: resident memory (/proc/self/statm) after the warm-up and after the steps;"
          " a leak keeps growing in the second half, allocators settling do not")
    body = [[r["impl"], r["steps"], _mib(r["rss_start_bytes"]), _mib(r["rss_end_bytes"]),
             f"{r['growth_bytes'] / 2**20:+.2f}", f"{r['second_half_growth_bytes'] / 2**20:+.2f}"] for r in results]
    print(_table(["impl", "steps", "start MiB", "end MiB", "growth MiB", "2nd half MiB"], body))
    _print_skipped(skipped)


# ====================================================================== the command line

def versions():
    """Versions of Python, NumPy, minigrad and each peer installed (read from the package metadata:
    importing PyTorch or JAX just to ask would take seconds)."""
    from importlib import metadata
    found = {"python": platform.python_version(), "numpy": numpy.__version__, "minigrad": mg.__version__}
    for name, distributions in (("torch", ["torch"]), ("jax", ["jax"]), ("jaxlib", ["jaxlib"]),
                                ("autograd", ["autograd"]), ("mygrad", ["mygrad"]),
                                ("cupy", ["cupy", "cupy-cuda12x", "cupy-cuda13x", "cupy-cuda11x"])):
        for distribution in distributions:
            try:
                found[name] = metadata.version(distribution)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


def _pin_threads(threads):
    """Hold every library to ``threads`` threads. Returns the CPU cores this process could use
    before (for main() to give back), or None when it was not pinned to one core.

    NumPy's BLAS reads OPENBLAS_NUM_THREADS (and friends) when NumPy is imported, so that is
    done at the top of this file when it runs as a script; PyTorch is told with
    torch.set_num_threads. XLA, JAX's compiler, ignores every thread setting on the CPU
    (XLA_FLAGS such as --xla_cpu_multi_thread_eigen=false included: measured, it still keeps
    two cores busy) and sizes its thread pool from the cores the process may run on. So for
    one thread the process is pinned to one core, which holds every library to it alike.
    """
    wanted = str(threads)
    if any(os.environ.get(v) != wanted for v in THREAD_VARIABLES):
        print(f"note: NumPy was imported before main() could set {'/'.join(THREAD_VARIABLES)}={wanted}; "
              "its BLAS keeps the thread count it started with (run this file as a script to set it)")
    for variable in THREAD_VARIABLES:
        os.environ[variable] = wanted
    if threads != 1 or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {max(allowed)})
    return allowed


def _keep_freed_memory():
    """Ask glibc's malloc to keep freed memory for the next step instead of giving it back to the kernel.

    By default glibc returns large freed blocks to the system (munmap, or trimming the top of
    the heap), and the next step's arrays then fault every page in again: thousands of page
    faults per step, charged to whichever implementation's pattern of allocations happens to
    set it off. Measured at batch 512: the hand-written NumPy step 32.7 ms with the faults,
    26.5 ms without; at hidden 128 it even made minigrad look faster than the limit. Fixed
    thresholds time the arithmetic, not the kernel. Returns False where malloc is not glibc's.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3      # from glibc's malloc.h
    keep = 1 << 30                                   # never trim the heap; never mmap a block below 1 GiB
    return bool(mallopt(M_MMAP_THRESHOLD, keep)) and bool(mallopt(M_TRIM_THRESHOLD, keep))


def _names(values, known, what):
    names = [n for v in values for n in v.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what} {unknown}; choose from {list(known)}")
    return names


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["default"],
                        help=f"one or more of {list(PRESETS)} (space or comma separated)")
    parser.add_argument("--impls", nargs="+", default=list(IMPLEMENTATIONS),
                        help=f"implementations to time (default: all): {list(IMPLEMENTATIONS)}")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per implementation (default: per preset, e.g. 100; chain: repeats)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first (JAX compiles here)")
    parser.add_argument("--rounds", type=int, default=5, help="the timed steps are split into this many rounds")
    parser.add_argument("--threads", type=int, default=1, help="threads for BLAS, PyTorch and XLA")
    parser.add_argument("--chain-ops", type=int, default=10_000, help="length of the chain preset's chain")
    parser.add_argument("--chain-size", type=int, default=16, help="elements of the chain preset's tensor")
    parser.add_argument("--memory-steps", type=int, default=0,
                        help="instead of timing: run this many steps (of the first preset's first size) and "
                             "print resident memory at the start and the end; implementations from --impls "
                             "if given, else minigrad")
    parser.add_argument("--malloc-default", action="store_true",
                        help="leave glibc's malloc as it is (by default it is told to keep freed memory, so that "
                             "page faults do not land on one implementation or another)")
    parser.add_argument("--json", metavar="PATH", help="also write every number to this JSON file")
    args = parser.parse_args(argv)
    args.presets = _names(args.presets, PRESETS, "preset")
    impls_given = args.impls is not parser.get_default("impls")
    args.impls = _names(args.impls, IMPLEMENTATIONS, "implementation")
    if args.memory_steps and not impls_given:
        args.impls = ["minigrad"]
    if min(args.warmup, args.threads, args.chain_ops, args.chain_size) < 0 or args.rounds < 1:
        parser.error("--warmup, --threads, --chain-ops and --chain-size must be >= 0 and --rounds >= 1")
    return args


def _require_device(device):
    """Stop, with a message that says what to do, when minigrad has no such device here.

    Without this, ``--device cuda`` on a machine without CuPy (or without a GPU) skipped every
    implementation and printed an empty table with exit status 0, which reads like a result.
    """
    if device in mg.devices():
        return
    import importlib.util
    if importlib.util.find_spec("cupy") is None:
        why = ("CuPy is not installed. On a machine with an NVIDIA GPU: pip install -e \".[cuda12]\" "
               "(or \".[cuda13]\": the CUDA version nvidia-smi shows)")
    else:
        why = ("CuPy is installed but finds no GPU; see its error with\n"
               "    python -c \"import cupy; print(cupy.cuda.runtime.getDeviceCount())\"")
    raise SystemExit(f"benchmark.py: --device {device} was asked for, but minigrad has only the devices "
                     f"{mg.devices()} here.\n{why}\n(docs/gpu.md, section 4). "
                     "Without a GPU, leave out --device: the benchmark runs on the CPU.")


def main(argv=None):
    args = parse_args(argv)
    _require_device(args.device)
    allowed_cores = _pin_threads(args.threads)
    try:
        return run(args, list(sys.argv[1:] if argv is None else argv))
    finally:
        if allowed_cores is not None:   # called from Python (a test, a notebook): give the cores back
            os.sched_setaffinity(0, allowed_cores)


def run(args, argv):
    """Everything main() does once the arguments are parsed and the threads are set: the report."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    report = {"command": ["demos/benchmark.py"] + argv, "device": args.device, "threads": args.threads,
              "date": datetime.datetime.now().isoformat(timespec="seconds"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, running on cores {cores}",
              "versions": versions(), "presets": {}, "memory": None}
    print("versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()))
    print(f"threads: {args.threads}" + (f" (the process is pinned to CPU core {cores[0]})" if args.threads == 1
                                        and cores and len(cores) == 1 else ""))
    report["malloc"] = "default" if args.malloc_default or not _keep_freed_memory() else "keeps freed memory"
    print(f"malloc: {report['malloc']}")

    if args.memory_steps:
        preset = args.presets[0]
        config = (PRESETS[preset][0] or PRESETS["default"][0])[0]
        results, skipped = run_memory(config, args, args.impls)
        print_memory_table(config, results, skipped)
        report["memory"] = {"config": dataclasses.asdict(config), "results": results, "skipped": skipped}
    else:
        steps_given = args.steps
        for preset in args.presets:
            configs, default_steps = PRESETS[preset]
            args.steps = steps_given or default_steps
            if preset == "chain":
                rows, skipped = run_chain(args)
                print_chain_table(rows, skipped, args)
                report["presets"]["chain"] = {"ops": args.chain_ops, "size": args.chain_size, "repeats": args.steps,
                                              "results": rows, "skipped": skipped}
                continue
            entries = []
            for config in configs:
                rows, skipped = run_config(config, args)
                print_step_table(preset, config, rows, skipped, args)
                entries.append({"config": dataclasses.asdict(config), "steps": args.steps, "warmup": args.warmup,
                                "results": rows, "skipped": skipped})
            report["presets"][preset] = entries
        if any(preset != "chain" for preset in args.presets):
            print("\npeak MiB: the most memory one step held beyond what was held before it (activations, "
                  "gradients, temporaries), by tracemalloc on the CPU (it sees NumPy arrays, not PyTorch's or "
                  "XLA's: '-') and by the allocator on CUDA. loss: after the last step, the same model from the "
                  "same start in every implementation (the noise differs). Compare ratios within one run: the "
                  "clock depends on the load.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return report

if __name__ == "__main__":
    main()
