"""The VAE demos run end to end with tiny settings, write every file, and resume exactly."""
import importlib.util
import json
import os

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

DEMOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demos")
TINY = ["--train-size", "256", "--test-size", "100", "--iwae-k", "3", "--hidden", "32", "--no-progress"]


def load_demo(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(DEMOS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vae_demo_writes_every_file(tmp_path):
    vae = load_demo("vae")
    metrics = vae.main(["--epochs", "1", "--latent", "2", "--out", str(tmp_path), *TINY])
    for name in ("metrics.json", "elbo.png", "reconstructions.png", "samples.png", "latent.png", "manifold.png",
                 "checkpoint.npz"):
        assert (tmp_path / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["epochs"] == 1 and saved["config"]["latent"] == 2
    assert saved["test_elbo"] == metrics["test_elbo"] and -600 < saved["test_elbo"] < 0
    assert saved["test_iwae_3"] >= saved["test_elbo"] - 5   # a tighter bound, up to noise
    assert saved["seconds"] > 0


def test_resumed_run_gives_the_numbers_of_an_uninterrupted_one(tmp_path):
    vae = load_demo("vae")
    tiny = [*TINY, "--latent", "3", "--no-pictures"]
    straight = vae.main(["--epochs", "2", "--out", str(tmp_path / "a"), *tiny])
    vae.main(["--epochs", "1", "--out", str(tmp_path / "b"), *tiny])
    resumed = vae.main(["--epochs", "2", "--out", str(tmp_path / "b"), "--resume", *tiny])
    assert resumed["history"]["train_elbo"] == straight["history"]["train_elbo"]
    assert resumed["history"]["test_elbo"] == straight["history"]["test_elbo"]
    assert resumed["test_iwae_3"] == straight["test_iwae_3"]


def test_resume_refuses_a_checkpoint_of_another_model(tmp_path):
    vae = load_demo("vae")
    vae.main(["--epochs", "1", "--latent", "3", "--out", str(tmp_path), "--no-pictures", *TINY])
    with pytest.raises(ValueError, match="latent"):
        vae.main(["--epochs", "2", "--latent", "4", "--out", str(tmp_path), "--resume", "--no-pictures", *TINY])
