"""minigrad as a user writes it: mg.models.VAE, trained with mg.optim.Adam."""
import time

import minigrad as mg

from ..chain import chain as op_chain
from ..presets import LR, SEED, sizes_of
from ..runner import Runner, Skip, cupy_peak, synchronize_cupy, tracemalloc_peak


def device_tools(setup):
    """(sync, peak probe) for minigrad on the setup's device, or Skip where minigrad has no such device."""
    if setup.device not in mg.devices():
        raise Skip(f"minigrad has no device {setup.device!r} here (devices: {mg.devices()})")
    return (synchronize_cupy, cupy_peak) if setup.device == "cuda" else (lambda: None, tracemalloc_peak)


def vae(params, device="cpu"):
    """mg.models.VAE holding these weights (a dict of NumPy arrays)."""
    D, H, Z = sizes_of(params)
    model = mg.models.VAE(D, H, Z, dtype=mg.float32, device=device)
    model.load_state_dict(params)
    return model


def build(setup):
    sync, peak = device_tools(setup)
    mg.random.seed(SEED)
    model = vae(setup.params, setup.device)
    optimizer = mg.optim.Adam(model.parameters(), lr=LR)
    x = mg.tensor(setup.x, device=setup.device)

    def step():
        loss = -model.elbo(x).elbo.mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.data
    return Runner(step, sync, peak(step))


def loss(params, x, eps):
    """The model's loss for the noise eps. model.elbo draws its own noise (q.rsample), so the
    reparameterization is written out here with the model's own parts: z = loc + scale eps."""
    model = vae(params)
    x = mg.tensor(x)
    q = model.encode(x)
    z = q.loc + q.scale * mg.tensor(eps)
    return (model.kl_to_prior(q) - model.log_likelihood(x, z)).mean().item()


def chain(x0, n):
    x = mg.tensor(x0, requires_grad=True)
    start = time.perf_counter()
    y = op_chain(x, mg.exp, mg.log, n).sum()
    middle = time.perf_counter()
    y.backward()
    return middle - start, time.perf_counter() - middle
