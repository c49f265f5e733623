"""demos/vae_pitfalls.py: two ways a VAE fails quietly (a learned Gaussian variance on binary data, and
posterior collapse under large decoder noise), run with tiny settings and (slow) with its defaults."""
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skips: it needs matplotlib)


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
