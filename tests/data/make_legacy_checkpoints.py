"""Write the checkpoints of format minigrad-checkpoint-1 that tests/test_legacy_checkpoints.py loads.

They must be written by the minigrad of that format, so this script is run against a
checkout of commit dde47eb (the last one that wrote it), not against today's package:

    git archive dde47eb minigrad demos | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python tests/data/make_legacy_checkpoints.py tests/data

It writes, for two models trained two steps with Adam, the checkpoint and, beside it, what
the old code computed next: the outputs for a fixed input and the state dict after a third
Adam step. Loading the checkpoint today and taking the same step must give the same.

- ``checkpoint_v1_net.npz``: a model with a nested Sequential, BatchNorm1d, a plain list
  attribute and a ModuleDict, saved as ``{"model": ..., "optimizer": ...}``;
- ``checkpoint_v1_vae.npz``: the VAE demo's checkpoint (``demos/vae.py save_checkpoint``)
  of a VAE with square and non-square Linear weights.
"""
import importlib.util
import os
import sys

import numpy

import minigrad as mg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from legacy_models import Net, net_loss, vae_loss  # noqa: E402  (the model, shared with the test)


def train(model, loss, x, steps):
    optimizer = mg.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        loss(model, x).backward()
        optimizer.step()
    return optimizer


def main(out):
    root = os.path.dirname(os.path.dirname(os.path.abspath(mg.__file__)))
    spec = importlib.util.spec_from_file_location("demo_vae", os.path.join(root, "demos", "vae.py"))
    vae_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vae_demo)
    mg.random.seed(0)
    x = mg.tensor(numpy.random.default_rng(0).normal(size=(5, 4)), dtype=mg.float64)
    x_net = x[:, :3]

    net = Net()
    optimizer = train(net, net_loss, x_net, 2)
    mg.save({"model": net.state_dict(), "optimizer": optimizer.state_dict()},
            os.path.join(out, "checkpoint_v1_net.npz"))
    net.eval()
    eval_out = net(x_net).numpy()
    net.train()
    optimizer.zero_grad()
    net_loss(net, x_net).backward()
    optimizer.step()
    numpy.savez(os.path.join(out, "checkpoint_v1_net_expected.npz"), x=x_net.numpy(), eval_out=eval_out,
                **{"after_step." + k: v for k, v in net.state_dict().items()})

    model = mg.models.VAE(x_dim=4, hidden=4, latent=2, dtype=mg.float64)   # encoder 4->4->4, decoder 2->4->4
    optimizer = train(model, vae_loss, x, 2)
    config = {"arch": "mlp", "latent": 2, "hidden": 4}
    vae_demo.save_checkpoint(os.path.join(out, "checkpoint_v1_vae.npz"), model, optimizer, 2,
                             {"train_elbo": [-1.0, -0.5]}, config)
    encoded = model.encoder(x).numpy()
    optimizer.zero_grad()
    vae_loss(model, x).backward()
    optimizer.step()
    numpy.savez(os.path.join(out, "checkpoint_v1_vae_expected.npz"), x=x.numpy(), encoded=encoded,
                **{"after_step." + k: v for k, v in model.state_dict().items()})


if __name__ == "__main__":
    main(sys.argv[1])
