"""Checkpoints of earlier minigrad (format minigrad-checkpoint-1) still load, into today's names and layouts.

The files in tests/data were written by the minigrad of that format (commit dde47eb, with
tests/data/make_legacy_checkpoints.py), together with what that code computed next: the
outputs for a fixed input and the weights after one more Adam step. Loaded today, the
same step must give the same weights. Format 1 named a Sequential's layers ``layers.N``
and stored Linear weights as (in_features, out_features); both are converted because the
file says it is of format 1, not because of the shapes (a square weight looks the same).
"""
import os
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.module import upgrade_legacy_optimizer_state, upgrade_legacy_state_dict
from minigrad.serialization import LEGACY_FORMAT, LegacyDict

nn = mg.nn
DATA = os.path.join(os.path.dirname(__file__), "data")
sys.path.insert(0, DATA)
from legacy_models import Net, net_loss, vae_loss  # noqa: E402


def expected(name):
    """(input, output before the step, {format-1 name: weight after one more step}) written beside a checkpoint."""
    with np.load(os.path.join(DATA, name)) as f:
        arrays = dict(f)
    x, out = arrays.pop("x"), arrays.pop("eval_out" if "eval_out" in arrays else "encoded")
    return x, out, {k.removeprefix("after_step."): v for k, v in arrays.items()}


def test_a_format_1_file_loads_as_dicts_that_remember_their_format_and_save_writes_format_2(tmp_path):
    state = mg.load(os.path.join(DATA, "checkpoint_v1_net.npz"))
    assert isinstance(state, LegacyDict) and isinstance(state["model"], LegacyDict)
    assert state["model"].format == LEGACY_FORMAT == "minigrad-checkpoint-1"
    assert "body.layers.3.layers.0.weight" in state["model"]
    mg.save({"model": Net().state_dict()}, tmp_path / "new.npz")
    again = mg.load(tmp_path / "new.npz")
    assert type(again) is dict and type(again["model"]) is dict       # today's format: nothing to convert
    assert "body.3.0.weight" in again["model"]


def test_format_1_names_are_renamed_by_the_models_structure():
    # Sequential children lose their "layers."; a plain list attribute (blocks.0) and a ModuleDict keep their names
    old = mg.load(os.path.join(DATA, "checkpoint_v1_net.npz"))["model"]
    net = Net()
    new = upgrade_legacy_state_dict(net, old)
    assert list(new) == list(net.state_dict())
    assert list(new)[:9] == ["body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "body.1.running_mean",
                             "body.1.running_var", "body.1.num_batches_tracked", "body.3.0.weight", "body.3.0.bias"]
    for name in ("body.1.running_mean", "body.1.running_var", "body.1.num_batches_tracked", "blocks.0.bias"):
        old_name = name.replace("body.", "body.layers.")
        np.testing.assert_array_equal(new[name], old[old_name])
    assert new["body.1.num_batches_tracked"] == 2
    for name in ("body.0.weight", "body.3.0.weight", "blocks.0.weight", "heads.out.weight"):   # every Linear weight
        np.testing.assert_array_equal(new[name], old[name.replace("body.", "body.layers.").replace(
            "3.0.", "3.layers.0.")].T)
    square = old["body.layers.0.weight"]
    assert square.shape == (3, 3) and not np.allclose(square, square.T)   # only the format says: transpose


def test_a_format_1_net_and_its_adam_state_load_and_train_on_as_before():
    x, out, after_step = expected("checkpoint_v1_net_expected.npz")
    state = mg.load(os.path.join(DATA, "checkpoint_v1_net.npz"))
    net = Net()
    net.load_state_dict(state["model"])                 # converted because it is marked as format 1
    optimizer = mg.optim.Adam(net.parameters(), lr=0.05)
    with pytest.raises(ValueError, match="upgrade_legacy_optimizer_state"):
        optimizer.load_state_dict(state["optimizer"])   # an optimizer alone cannot tell which buffers to transpose
    optimizer.load_state_dict(upgrade_legacy_optimizer_state(net, optimizer, state["optimizer"]))
    net.eval()
    np.testing.assert_allclose(net(mg.tensor(x)).numpy(), out, rtol=1e-12)
    net.train()
    optimizer.zero_grad()
    net_loss(net, mg.tensor(x)).backward()
    optimizer.step()                                    # with moments in the old layout this step goes elsewhere
    want = upgrade_legacy_state_dict(net, after_step)
    for name, value in net.state_dict().items():
        np.testing.assert_allclose(value, want[name], rtol=1e-10, atol=1e-14, err_msg=name)


def test_the_vae_demos_format_1_checkpoint_resumes_with_its_adam_moments_transposed():
    pytest.importorskip("matplotlib")
    from demo_helpers import load_demo
    vae_demo = load_demo("vae")
    x, encoded, after_step = expected("checkpoint_v1_vae_expected.npz")
    model = mg.models.VAE(x_dim=4, hidden=4, latent=2, dtype=mg.float64)   # square 4x4 weights, and 2->4
    optimizer = mg.optim.Adam(model.parameters(), lr=0.05)
    epoch, history = vae_demo.load_checkpoint(os.path.join(DATA, "checkpoint_v1_vae.npz"), model, optimizer,
                                              {"arch": "mlp", "latent": 2, "hidden": 4})
    assert epoch == 2 and history == {"train_elbo": [-1.0, -0.5]}
    np.testing.assert_allclose(model.encoder(mg.tensor(x)).numpy(), encoded, rtol=1e-12)
    optimizer.zero_grad()
    vae_loss(model, mg.tensor(x)).backward()
    optimizer.step()
    want = upgrade_legacy_state_dict(model, after_step)
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, want[name], rtol=1e-10, atol=1e-14, err_msg=name)
