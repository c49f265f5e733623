"""The sizes timed, and the weights, batch and noise every implementation starts from.

Every implementation gets the same float32 weights and the same batch, so that they all do
the same work; the loss at the start, for the same noise, is checked to agree (see
measure.run_config).
"""
import dataclasses
import math

import numpy

LR = 1e-3     # Adam's step size, in every implementation
SEED = 0


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
    "chain": (None, 5),   # not a VAE: see measure.run_chain; its steps are repeats of the whole chain
    "layers": (None, 30),  # what each layer of one op call costs, see layers.py; its steps are blocks of calls
    "fused": ([Config(784, 400, 20, 128)], 200),   # minigrad's fused ops against their composites: see fused.py
    "cnn": (None, 50),    # not a VAE: a small CNN classifier's step on 128 digits, see cnn.py
    "memory": (None, 20),  # peak resident memory of the default VAE step and the CNN step, a process each: peak.py
}

# The parameters in one order for every implementation: mg.models.VAE's names, so that
# minigrad loads them with load_state_dict. Weights are (out, in), mg.nn.Linear's and PyTorch's
# layout, so a layer is x W^T + b.
PARAMETER_NAMES = ("encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias",
                   "decoder.0.weight", "decoder.0.bias", "decoder.2.weight", "decoder.2.bias")


def sizes_of(params):
    """(D, H, Z) of a dict of parameters."""
    H, D = params["encoder.0.weight"].shape
    return D, H, params["decoder.0.weight"].shape[1]


def initial_parameters(config, seed=SEED, dtype=numpy.float32):
    """W1, b1, W2, b2, W3, b3, W4, b4 drawn as mg.nn.Linear draws them: U(-1/sqrt(in), 1/sqrt(in)), W (out, in)."""
    rng = numpy.random.default_rng(seed)
    D, H, Z = config.x_dim, config.hidden, config.latent
    params = {}
    for name, (n_in, n_out) in zip(PARAMETER_NAMES[::2], [(D, H), (H, 2 * Z), (Z, H), (H, D)]):
        bound = 1.0 / math.sqrt(n_in)
        params[name] = rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype)
        params[name.replace("weight", "bias")] = rng.uniform(-bound, bound, n_out).astype(dtype)
    return params


def binary_batch(config, seed=SEED, dtype=numpy.float32):
    """A batch of random 0/1 images (the values do not change the work, only the numbers)."""
    rng = numpy.random.default_rng(seed + 1)
    return (rng.random((config.batch, config.x_dim)) < 0.5).astype(dtype)


def noise(config, seed=SEED, dtype=numpy.float32):
    """eps ~ N(0, I) of shape (B, Z): the noise the loss-agreement check hands every implementation."""
    return numpy.random.default_rng(seed + 2).standard_normal((config.batch, config.latent)).astype(dtype)
