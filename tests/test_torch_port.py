"""A model built from mg.nn layers and the same torch.nn model share their state dicts, both ways.

For each model the keys (in order), shapes and dtypes of the state dicts are PyTorch's, so
``torch_model.load_state_dict({k: torch.from_numpy(v) ...}, strict=True)`` loads minigrad's
weights and buffers, and the two models then compute the same outputs in float64, in
evaluation mode and in training mode (where BatchNorm uses the batch and updates its
running statistics and ``num_batches_tracked``). And the other way: torch's state dict,
as NumPy arrays, loads into minigrad. Runs only where torch is installed.
"""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

# Each builder takes the namespace (mg.nn or torch.nn) and the dtype, so one source builds both models.

def cnn(nn, dtype):
    """Conv2d, BatchNorm2d (cumulative averages: momentum=None), pooling, ConvTranspose2d, BatchNorm2d, Linear."""
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, dtype=dtype), nn.BatchNorm2d(4, momentum=None, dtype=dtype), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1, dtype=dtype),   # weight (4, 3, 3, 3)
        nn.BatchNorm2d(3, dtype=dtype), nn.Tanh(), nn.Flatten(), nn.Linear(3 * 8 * 8, 5, dtype=dtype))


def convolutions_only(nn, dtype):
    """No Linear: Conv2d, BatchNorm2d, ConvTranspose2d with a non-square kernel and without bias, nested Sequential."""
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 3, (3, 2), stride=2, dtype=dtype), nn.BatchNorm2d(3, dtype=dtype), nn.ReLU()),
        nn.ConvTranspose2d(3, 2, (2, 3), stride=2, bias=False, dtype=dtype), nn.AvgPool2d(2))


def tagger(nn, dtype):
    """Embedding, a ModuleList of a nested Sequential and a LayerNorm, a ModuleDict with BatchNorm1d."""

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 6, dtype=dtype)
            self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(6, 6, dtype=dtype), nn.GELU()),
                                         nn.LayerNorm(6, dtype=dtype)])
            self.heads = nn.ModuleDict({"norm": nn.BatchNorm1d(6, dtype=dtype), "tag": nn.Linear(6, 3, dtype=dtype)})

        def forward(self, indices):
            h = self.embed(indices)
            for block in self.blocks:
                h = block(h)
            return self.heads["tag"](self.heads["norm"](h.reshape((-1, 6))))

    return Tagger()


def images(rng, n=4):
    return rng.standard_normal((n, 1, 8, 8))


def tokens(rng, n=4):
    return rng.integers(0, 10, size=(n, 5))


MODELS = {"cnn": (cnn, images), "convolutions_only": (convolutions_only, images), "tagger": (tagger, tokens)}
CASES = list(MODELS)


def mg_input(x):
    return mg.tensor(x) if x.dtype.kind == "f" else mg.tensor(x, dtype=mg.int64)


def outputs_agree(mg_model, torch_model, x):
    with torch.no_grad():
        want = torch_model(torch.from_numpy(x)).numpy()
    got = mg_model(mg_input(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def state_dicts_agree(mg_state, torch_state):
    assert list(mg_state) == list(torch_state)
    for name, value in mg_state.items():
        assert torch.from_numpy(value).dtype == torch_state[name].dtype, name
        np.testing.assert_allclose(value, torch_state[name].numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", CASES)
def test_minigrads_state_dict_loads_into_the_same_torch_model_and_gives_the_same_outputs(name):
    build, inputs = MODELS[name]
    rng = np.random.default_rng(0)
    mg.random.seed(0)
    mg_model = build(mg.nn, mg.float64)
    for _ in range(3):                               # training mode: the running statistics move
        mg_model(mg_input(inputs(rng)))
    state = mg_model.state_dict()
    torch_model = build(torch.nn, torch.float64)
    assert list(state) == list(torch_model.state_dict())
    assert {k: v.shape for k, v in state.items()} == {k: tuple(v.shape) for k, v in torch_model.state_dict().items()}
    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    state_dicts_agree(state, torch_model.state_dict())

    x = inputs(rng)
    mg_model.eval(), torch_model.eval()
    outputs_agree(mg_model, torch_model, x)
    mg_model.train(), torch_model.train()            # the batch's statistics, and one more update of the running ones
    outputs_agree(mg_model, torch_model, x)
    state_dicts_agree(mg_model.state_dict(), torch_model.state_dict())


@pytest.mark.parametrize("name", CASES)
def test_torchs_state_dict_loads_into_the_same_minigrad_model_and_gives_the_same_outputs(name):
    build, inputs = MODELS[name]
    rng = np.random.default_rng(1)
    torch.manual_seed(1)
    torch_model = build(torch.nn, torch.float64)
    with torch.no_grad():
        for _ in range(2):
            torch_model(torch.from_numpy(inputs(rng)))
    mg_model = build(mg.nn, mg.float64)
    mg_model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()}, strict=True)
    state_dicts_agree(mg_model.state_dict(), torch_model.state_dict())
    x = inputs(rng)
    mg_model.eval(), torch_model.eval()
    outputs_agree(mg_model, torch_model, x)
    mg_model.train(), torch_model.train()
    outputs_agree(mg_model, torch_model, x)
    state_dicts_agree(mg_model.state_dict(), torch_model.state_dict())


def test_batchnorm_counts_its_batches_in_an_int64_scalar_as_pytorch_does():
    bn, reference = mg.nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2)
    assert bn.state_dict()["num_batches_tracked"].shape == () and bn.num_batches_tracked.dtype == mg.int64
    x = np.random.default_rng(2).standard_normal((5, 2)).astype(np.float32)
    for module, batch in ((bn, mg.tensor(x)), (reference, torch.from_numpy(x))):
        module(batch), module(batch)
        module.eval()
        module(batch)                                # evaluation counts nothing
    assert int(bn.state_dict()["num_batches_tracked"]) == int(reference.num_batches_tracked) == 2
