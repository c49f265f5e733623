"""JAX: loss, gradient and Adam as one function of arrays, compiled whole by jax.jit ("jax-jit")
or dispatched op by op ("jax-eager")."""
import time

from ..chain import chain as op_chain
from ..presets import LR, PARAMETER_NAMES, SEED
from ..runner import Runner, cpu_only, require


def vae_loss(jax, params, x, eps):
    """The loss of the model (see model.py) in jax.numpy; params = [W1, b1, ..., W4, b4]."""
    jnp = jax.numpy
    W1, b1, W2, b2, W3, b3, W4, b4 = params
    h1 = jax.nn.relu(x @ W1.T + b1)           # weights (out, in), as mg.nn.Linear's: x W^T + b
    loc, log_var = jnp.split(h1 @ W2.T + b2, 2, axis=-1)
    scale = jnp.exp(0.5 * log_var)
    z = loc + scale * eps
    logits = jax.nn.relu(z @ W3.T + b3) @ W4.T + b4
    log_px = jnp.sum(x * logits - jax.nn.softplus(logits), axis=-1)
    kl = 0.5 * jnp.sum(scale * scale + loc * loc - 1.0 - log_var, axis=-1)
    return jnp.mean(kl - log_px)


def _build(setup, jit):
    cpu_only(setup, "JAX")
    jax = require("jax")
    jnp = jax.numpy
    noise_shape = (setup.config.batch, setup.config.latent)

    def train_step(params, m, v, t, key, x, beta1=0.9, beta2=0.999, eps=1e-8):
        key, noise_key = jax.random.split(key)
        noise = jax.random.normal(noise_key, noise_shape, x.dtype)
        loss, grads = jax.value_and_grad(lambda p: vae_loss(jax, p, x, noise))(params)
        m = [beta1 * mi + (1.0 - beta1) * g for mi, g in zip(m, grads)]       # Adam, as model.ArrayAdam
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


def build_jit(setup):
    return _build(setup, jit=True)


def build_eager(setup):
    return _build(setup, jit=False)


def loss(params, x, eps):
    jax = require("jax")
    return float(vae_loss(jax, [jax.numpy.asarray(params[name]) for name in PARAMETER_NAMES], x, eps))


def chain(x0, n):
    jax = require("jax")
    jnp = jax.numpy
    x = jnp.asarray(x0)
    start = time.perf_counter()
    y, vjp = jax.vjp(lambda x: jnp.sum(op_chain(x, jnp.exp, jnp.log, n)), x)   # forward, recording
    jax.block_until_ready(y)
    middle = time.perf_counter()
    jax.block_until_ready(vjp(jnp.ones_like(y)))
    return middle - start, time.perf_counter() - middle
