"""The model whose format-1 checkpoint tests/data holds: written by make_legacy_checkpoints.py
(run against the minigrad of that format) and loaded by tests/test_legacy_checkpoints.py today."""
import minigrad as mg

nn = mg.nn


class Net(nn.Module):
    """A nested Sequential, BatchNorm1d, a plain list attribute and a ModuleDict."""

    def __init__(self, dtype=mg.float64):
        self.body = nn.Sequential(nn.Linear(3, 3, dtype=dtype), nn.BatchNorm1d(3, dtype=dtype), nn.ReLU(),
                                  nn.Sequential(nn.Linear(3, 2, dtype=dtype)))
        self.blocks = [nn.Linear(2, 2, dtype=dtype)]       # a plain list attribute: named blocks.0 then and now
        self.heads = nn.ModuleDict({"out": nn.Linear(2, 1, dtype=dtype)})

    def forward(self, x):
        return self.heads["out"](self.blocks[0](self.body(x)))


def net_loss(model, x):
    return (model(x) ** 2).sum()


def vae_loss(model, x):
    out = model.encoder(x)
    return (model.decoder(out[:, :2]) ** 2).sum()
