"""Determinism and memory: the same seed trains bitwise the same; long training leaks nothing."""
import gc
import os

import numpy as np
import pytest

import minigrad as mg


def train_tiny_vae(seed, steps, device="cpu"):
    """A small VAE trained with Adam on random binary data; returns the losses and the parameters."""
    mg.random.seed(seed)
    model = mg.models.VAE(16, hidden=8, latent=2, device=device)
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-2)
    data = mg.random.bernoulli(0.3, (32, 16), device=device)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = -model.elbo(data).elbo.mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, [p.numpy() for p in model.parameters()]


def test_the_same_seed_gives_bitwise_identical_training():
    losses_a, params_a = train_tiny_vae(seed=7, steps=30)
    losses_b, params_b = train_tiny_vae(seed=7, steps=30)
    assert losses_a == losses_b
    for a, b in zip(params_a, params_b):
        np.testing.assert_array_equal(a, b)
    losses_c, _ = train_tiny_vae(seed=8, steps=30)
    assert losses_c != losses_a


def test_a_checkpointed_and_resumed_run_equals_an_uninterrupted_one(tmp_path):
    def make(seed):
        mg.random.seed(seed)
        model = mg.models.VAE(16, hidden=8, latent=2)
        return model, mg.optim.Adam(model.parameters(), lr=1e-2)

    def train(model, optimizer, data, steps):
        for _ in range(steps):
            optimizer.zero_grad()
            (-model.elbo(data).elbo.mean()).backward()
            optimizer.step()

    data = mg.tensor(np.random.default_rng(0).random((32, 16)) < 0.3, dtype=mg.float32)
    model, optimizer = make(1)
    train(model, optimizer, data, 20)
    mg.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": mg.random.get_state()},
            tmp_path / "ckpt.npz")
    train(model, optimizer, data, 20)
    uninterrupted = [p.numpy() for p in model.parameters()]

    model, optimizer = make(2)                       # a different start, then overwritten from the file
    checkpoint = mg.load(tmp_path / "ckpt.npz")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    mg.random.set_state(checkpoint["rng"])
    train(model, optimizer, data, 20)
    for a, b in zip(uninterrupted, [p.numpy() for p in model.parameters()]):
        np.testing.assert_array_equal(a, b)


def live_tensors():
    gc.collect()
    return sum(issubclass(type(o), mg.Tensor) for o in gc.get_objects())   # type(): no attribute lookups


def resident_bytes():
    """The resident set size: /proc/self/statm counts pages, of the size this machine uses."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the resident set size from Linux's /proc")
def test_ten_thousand_steps_leave_no_live_tensors_or_memory_behind():
    mg.random.seed(0)
    model = mg.models.VAE(16, hidden=8, latent=2)
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-3)
    data = mg.random.bernoulli(0.3, (32, 16))

    def step():
        optimizer.zero_grad()
        (-model.elbo(data).elbo.mean()).backward()
        optimizer.step()

    for _ in range(200):
        step()
    tensors, memory = live_tensors(), resident_bytes()
    for _ in range(10_000):
        step()
    assert live_tensors() <= tensors
    assert resident_bytes() - memory < 2 * 2**20        # less than 2 MiB of growth over 10,000 steps
