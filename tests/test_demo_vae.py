"""demos/vae.py runs end to end with tiny settings, writes every file, resumes exactly, and says in its pictures
what was run; with --arch conv it trains mg.models.ConvVAE (whose shapes, protocol and gradients
tests/test_models_conv_vae.py checks), whose checkpoint an MLP run refuses."""
import json

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skips: it needs matplotlib)

TINY = ["--train-size", "256", "--test-size", "100", "--iwae-k", "3", "--hidden", "32", "--no-progress"]


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


def test_resumed_run_gives_the_numbers_of_an_uninterrupted_one(tmp_path, device):
    vae = load_demo("vae")
    tiny = [*TINY, "--latent", "3", "--no-pictures", "--device", device]
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


def test_the_pictures_say_which_estimator_trained_the_model(tmp_path, saved_figures):
    """elbo.png of a REINFORCE run must say so (and the settings that matter), or it reads like the
    pathwise default; every picture's legend keeps off the data and every plot has labelled axes."""
    vae = load_demo("vae")
    vae.main(["--epochs", "2", "--latent", "3", "--estimator", "score", "--kl", "mc", "--out", str(tmp_path), *TINY])
    title = saved_figures["elbo.png"].axes[0].get_title()
    for words in ("score-function (REINFORCE)", "784-32-3", "bernoulli", "mc KL", "2 epochs", "256 digits",
                  "batch 128", "lr 0.001", "seed 0"):
        assert words in title, (words, title)
    for name in ("reconstructions.png", "samples.png", "latent.png"):
        assert "REINFORCE" in saved_figures[name].axes[0].get_title(), name
    for name in ("elbo.png", "latent.png"):
        ax = saved_figures[name].axes[0]
        assert ax.get_xlabel() and ax.get_ylabel(), name
        assert data_under_legends(saved_figures[name]) == [], name


def test_vae_demo_runs_the_conv_architecture(tmp_path, saved_figures):
    vae = load_demo("vae")
    metrics = vae.main(["--arch", "conv", "--epochs", "1", "--latent", "2", "--train-size", "128",
                        "--test-size", "50", "--iwae-k", "2", "--no-progress", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["config"]["arch"] == "conv" and -800 < saved["test_elbo"] == metrics["test_elbo"] < 0
    conv = (1 * 32 + 32 * 64) * 4 * 4 + 32 + 64   # the encoder's two 4x4 convolutions ...
    conv_t = (64 * 32 + 32 * 1) * 4 * 4 + 32 + 1   # ... and the decoder's two transposed ones
    assert saved["parameters"] == conv + (64 * 7 * 7 * 2 * 2 + 2 * 2) + (2 * 64 * 7 * 7 + 64 * 7 * 7) + conv_t
    for name in ("elbo.png", "reconstructions.png", "samples.png", "latent.png", "manifold.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert "conv VAE" in saved_figures["elbo.png"].axes[0].get_title()
    with pytest.raises(ValueError, match="arch"):   # an MLP cannot resume from the conv checkpoint
        vae.main(["--arch", "mlp", "--epochs", "2", "--latent", "2", "--train-size", "128", "--test-size", "50",
                  "--no-progress", "--no-pictures", "--resume", "--out", str(tmp_path)])


def test_the_progress_bar_stays_off_when_stderr_is_not_a_terminal(tmp_path):
    """Written to a log file, a bar would add one line per update (thousands in a long run): tqdm's
    ``disable=None`` turns it off when stderr is not a terminal, without ``--no-progress``."""
    import contextlib
    import io
    vae = load_demo("vae")
    log = io.StringIO()                  # not a terminal: isatty() is False, as for a file
    with contextlib.redirect_stderr(log):
        vae.main(["--epochs", "1", "--out", str(tmp_path), "--no-pictures",
                  *[a for a in TINY if a != "--no-progress"]])
    assert "epoch 1/1" not in log.getvalue(), log.getvalue()[:300]
