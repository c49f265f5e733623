"""minigrad written with plain ops: the same model with no mg.nn and no mg.distributions."""
import minigrad as mg

from ..presets import LR, PARAMETER_NAMES, SEED
from ..runner import Runner
from .minigrad_step import device_tools


def vae_loss(params, x, eps):
    """The loss of the model (see model.py) in raw mg ops; params = [W1, b1, ..., W4, b4]."""
    W1, b1, W2, b2, W3, b3, W4, b4 = params
    latent = eps.shape[-1]
    h1 = mg.relu(x @ W1.transpose() + b1)     # weights (out, in), as mg.nn.Linear's: x W^T + b
    e = h1 @ W2.transpose() + b2
    loc, log_var = e[:, :latent], e[:, latent:]
    scale = mg.exp(0.5 * log_var)
    z = loc + scale * eps
    logits = mg.relu(z @ W3.transpose() + b3) @ W4.transpose() + b4
    log_px = (x * logits - mg.softplus(logits)).sum(axis=1)
    kl = 0.5 * (scale * scale + loc * loc - 1.0 - log_var).sum(axis=1)
    return (kl - log_px).mean()


def build(setup):
    sync, peak = device_tools(setup)
    mg.random.seed(SEED)
    params = [mg.tensor(setup.params[name], device=setup.device, requires_grad=True) for name in PARAMETER_NAMES]
    optimizer = mg.optim.Adam(params, lr=LR)
    x = mg.tensor(setup.x, device=setup.device)
    noise_shape = (setup.config.batch, setup.config.latent)

    def step():
        eps = mg.random.normal(size=noise_shape, dtype=x.dtype, device=x.device)
        loss = vae_loss(params, x, eps)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.data
    return Runner(step, sync, peak(step))


def loss(params, x, eps):
    return vae_loss([mg.tensor(params[name]) for name in PARAMETER_NAMES], mg.tensor(x), mg.tensor(eps)).item()
