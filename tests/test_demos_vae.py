"""The VAE demos run end to end with tiny settings, write every file, and resume exactly."""
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


def test_pitfalls_demo_writes_its_pictures(tmp_path, saved_figures):
    pitfalls = load_demo("vae_pitfalls")
    summary = pitfalls.main(["--epochs", "2", "--n-bars", "100", "--n-ring", "200", "--out", str(tmp_path)])
    for name in ("variance.png", "collapse.png", "summary.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert all(elbo <= 0 for elbo in summary["variance"]["Bernoulli"]["elbo"])   # a log-probability
    for name in ("variance.png", "collapse.png"):   # as a student sees them: titled, labelled, legends off the data
        fig = saved_figures[name]
        assert fig._suptitle is not None and "2 epochs" in fig._suptitle.get_text(), name
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel(), (name, ax.get_title())
        assert data_under_legends(fig) == [], name


@pytest.mark.slow
def test_pitfalls_demo_shows_what_it_claims(tmp_path):
    pitfalls = load_demo("vae_pitfalls")
    summary = pitfalls.main(["--out", str(tmp_path)])
    variance, collapse = summary["variance"], summary["collapse"]
    # a learned Gaussian std on binary data: the "ELBO" passes 0, the std heads for 0 unless floored
    assert variance["Gaussian, learned std"]["elbo"][-1] > 10
    assert min(variance["Gaussian, learned std"]["watch"]) < 0.01
    assert min(variance["Gaussian, learned std >= 0.1"]["watch"]) >= 0.1
    assert max(variance["Bernoulli"]["elbo"]) <= 0
    # large decoder noise: the code is dropped (KL ~ 0), with or without warm-up; small noise keeps it
    assert collapse["std 1.0"]["active_units"] == 0 and collapse["std 1.0"]["kl"][-1] < 0.05
    assert max(collapse["std 1.0, KL warm-up"]["kl"]) > 0.5 and collapse["std 1.0, KL warm-up"]["kl"][-1] < 0.05
    assert collapse["std 0.1"]["active_units"] == 2 and collapse["learned std >= 0.01"]["active_units"] >= 1


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
