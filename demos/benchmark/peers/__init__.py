"""The implementations timed, in the order of the tables: the yardstick, then one file per framework.

Each file writes the same VAE step (model.py) with its framework and gives the harness:

    build(setup) -> Runner        the step, ready to time; raises Skip (with the reason) where it cannot run
    loss(params, x, eps) -> float the loss at these weights, batch and noise, on the CPU: must equal model.loss
    chain(x0, n)                  the chain preset with its own ops: (forward seconds, backward seconds)

No file imports its framework until it is built, so a framework that is not installed is a
skipped row, not an error.

The cnn preset (cnn.py) times another step, a small convolutional classifier, in the frameworks
that have convolutions: ``<name>_cnn.py`` gives ``build(setup)`` and ``loss(params, x, y)`` for it.
"""
import dataclasses

from .. import model
from ..chain import chain_numpy
from . import (autograd_step, dezero_cnn, dezero_step, jax_step, minigrad_cnn, minigrad_ops_step, minigrad_step,
               mygrad_step, torch_cnn, torch_step)


@dataclasses.dataclass(frozen=True)
class Implementation:
    build: object
    loss: object
    chain: object      # None: a variant of a training step (fused Adam, jit of the step), not in the chain preset
    about: str


IMPLEMENTATIONS = {
    "numpy": Implementation(model.build, model.loss, chain_numpy,
                            "hand-written forward and backward, in-place Adam: no tape (the limit)"),
    "minigrad": Implementation(minigrad_step.build, minigrad_step.loss, minigrad_step.chain,
                               "mg.models.VAE + mg.optim.Adam"),
    "minigrad-ops": Implementation(minigrad_ops_step.build, minigrad_ops_step.loss, None,
                                   "the same model in raw mg ops + mg.optim.Adam"),
    "torch": Implementation(torch_step.build_eager, torch_step.loss, torch_step.chain,
                            "PyTorch eager, torch.optim.Adam (default: a loop over parameters on the CPU)"),
    "torch-fused": Implementation(torch_step.build_fused, torch_step.loss, None,
                                  "PyTorch eager, torch.optim.Adam(fused=True)"),
    "jax-jit": Implementation(jax_step.build_jit, jax_step.loss, None, "JAX, loss + grad + Adam in one jax.jit"),
    "jax-eager": Implementation(jax_step.build_eager, jax_step.loss, jax_step.chain,
                                "JAX, no jit: op-by-op dispatch"),
    "autograd": Implementation(autograd_step.build, autograd_step.loss, autograd_step.chain,
                               "HIPS autograd value_and_grad + in-place NumPy Adam"),
    "mygrad": Implementation(mygrad_step.build, mygrad_step.loss, mygrad_step.chain,
                             "MyGrad backward + in-place NumPy Adam"),
    "dezero": Implementation(dezero_step.build, dezero_step.loss, dezero_step.chain,
                             "DeZero (Deep Learning from Scratch 3): dezero.Model + dezero.optimizers.Adam"),
}


@dataclasses.dataclass(frozen=True)
class CNNImplementation:
    build: object
    loss: object       # loss(params, x, y) -> float: the cross-entropy at these weights, images and labels
    about: str


CNN_IMPLEMENTATIONS = {   # the cnn preset: conv-pool-conv-pool-linear on 128 digits (cnn.py)
    "minigrad": CNNImplementation(minigrad_cnn.build, minigrad_cnn.loss,
                                  "mg.nn Conv2d/MaxPool2d/Linear (im2col + matmul), F.cross_entropy, mg.optim.Adam"),
    "torch": CNNImplementation(torch_cnn.build, torch_cnn.loss, "PyTorch eager torch.nn, torch.optim.Adam"),
    "dezero": CNNImplementation(dezero_cnn.build, dezero_cnn.loss,
                                "DeZero L.Conv2d (im2col) + F.pooling, dezero.optimizers.Adam"),
}
