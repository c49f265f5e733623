"""demos/vae.py --arch conv: the convolutional encoder and decoder have the claimed shapes, plug into
mg.models.VAE's bound, and the demo runs end to end with them."""
import json

import pytest

import minigrad as mg

from demo_helpers import load_demo

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")





def test_conv_encoder_and_decoder_halve_and_double_the_image():
    vae = load_demo("vae")
    mg.random.seed(0)
    model = vae.ConvVAE(latent=3)
    x = mg.random.uniform(size=(4, 784))
    h = mg.relu(model.encoder.conv1(x.reshape(4, 1, 28, 28)))
    assert h.shape == (4, 32, 14, 14)
    assert model.encoder.conv2(h).shape == (4, 64, 7, 7)
    assert model.encoder(x).shape == (4, 6)                      # loc and log-variance of a 3-D code
    assert model.decoder(mg.random.normal(size=(5, 3))).shape == (5, 784)
    assert model.elbo(x, k=2).elbo.shape == (4,)                  # VAE's bound, with k draws decoded at once
    learned = vae.ConvVAE(latent=3, likelihood="gaussian-learned")
    assert learned.decoder(mg.random.normal(size=(5, 3))).shape == (5, 1568)


def test_conv_elbo_gradient_reaches_every_weight():
    vae = load_demo("vae")
    mg.random.seed(1)
    model = vae.ConvVAE(latent=2)
    x = (mg.random.uniform(size=(3, 784)) < 0.5).astype(mg.float32)
    (-model.elbo(x).elbo.mean()).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape and float(abs(p.grad).sum().item()) > 0, name


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
