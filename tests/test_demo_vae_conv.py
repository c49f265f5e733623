"""demos/vae.py --arch conv runs end to end with mg.models.ConvVAE (whose shapes, protocol and gradients
tests/test_models_conv_vae.py checks), and its checkpoint is refused by an MLP run."""
import json

import pytest

from demo_helpers import load_demo

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")


def test_vae_demo_runs_the_conv_architecture(tmp_path, saved_figures):
    vae = load_demo("vae")
    metrics = vae.main(["--arch", "conv", "--epochs", "1", "--latent", "2", "--train-size", "128",
                        "--test-size", "50", "--iwae-k", "2", "--no-progress", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["config"]["arch"] == "conv" and -800 < saved["test_elbo"] == metrics["test_elbo"] < 0
    for name in ("elbo.png", "reconstructions.png", "samples.png", "latent.png", "manifold.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert "conv VAE" in saved_figures["elbo.png"].axes[0].get_title()
    with pytest.raises(ValueError, match="arch"):   # an MLP cannot resume from the conv checkpoint
        vae.main(["--arch", "mlp", "--epochs", "2", "--latent", "2", "--train-size", "128", "--test-size", "50",
                  "--no-progress", "--no-pictures", "--resume", "--out", str(tmp_path)])
