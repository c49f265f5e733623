"""demos/discrete_vae.py: it runs end to end, scores every model on hard draws, and its score-function
estimators are unbiased for the gradient of the discrete ELBO, which a tiny model lets us compute exactly."""
import itertools
import json

import numpy
import pytest

import minigrad as mg
from minigrad.estimators import NVILBaseline, bias_and_variance

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skips: it needs matplotlib)

TINY = ["--epochs", "2", "--train-size", "200", "--test-size", "50", "--hidden", "32", "--batch-size", "50",
        "--study-digits", "2", "--study-repeats", "10", "--study-reference", "40",
        "--study-temperatures", "0.5", "1", "--no-progress"]




def tiny_model(demo, seed=1):
    """2 categorical variables of 3 classes (9 codes) over 6 pixels, in float64. The weights are scaled up
    so that q is far from uniform and the decoder far from linear in z: otherwise every estimator's bias
    would be too small to see."""
    mg.random.seed(seed)
    model = demo.DiscreteVAE(x_dim=6, hidden=[8], n_vars=2, n_classes=3, dtype=mg.float64)
    for p in model.encoder.parameters():
        p.data *= 3.0
    for p in model.decoder.parameters():
        p.data *= 4.0
    return model


X = numpy.array([[1, 0, 1, 1, 0, 0], [0, 1, 1, 0, 1, 0]], dtype=numpy.float64)   # two 6-pixel "images"


def elbo_by_enumeration(model, x, logits):
    """The ELBO of each row of x written out for 2 variables of 3 classes: the 9 codes one by one,
    sum_z q(z | x) log p(x | z) - KL(q || uniform): its gradient is the exact gradient."""
    log_q = logits.log_softmax(-1)                                    # (batch, 2, 3)
    expected = 0.0
    for a, b in itertools.product(range(3), repeat=2):
        code = numpy.zeros((2, 3))
        code[0, a] = code[1, b] = 1.0
        q_code = (log_q[:, 0, a] + log_q[:, 1, b]).exp()              # q(z = (a, b) | x)
        expected = expected + q_code * model.log_likelihood(x, mg.tensor(code))
    q = log_q.exp()
    return expected - (q * (log_q + numpy.log(3.0))).sum(-1).sum(-1)


# ---------------------------------------------------------------- end to end


def test_tiny_run_writes_metrics_and_pictures_and_starts_every_model_at_one_number(tmp_path, saved_figures):
    demo = load_demo("discrete_vae")
    metrics = demo.main([*TINY, "--out", str(tmp_path)])
    for name in ("metrics.json", "elbo.png", "temperature.png", "gradients.png", "reconstructions.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert list(saved["estimators"]) == ["reinforce-nvil", "rloo", "gumbel-softmax", "straight-through", "rebar",
                                         "relax"]
    for name, result in saved["estimators"].items():
        curve = result["curve"]
        assert len(curve["test_elbo"]) == 3 and curve["step"] == [0, 4, 8], name   # 200 digits / 50 = 4 steps
        assert result["final_test_elbo"] == curve["test_elbo"][-1] == metrics["estimators"][name]["final_test_elbo"]
        assert -1000 < result["final_test_elbo"] < 0, name
        assert curve["seconds"][-1] > 0
    # same initial weights, same test digits, same hard draws: before training, one number for all six
    assert len({result["curve"]["test_elbo"][0] for result in saved["estimators"].values()}) == 1
    study = saved["gradient_study"]["estimators"]
    assert study["gumbel-softmax"]["temperature"] == [0.5, 1.0] and study["rloo"]["temperature"] == [None]
    assert all(v > 0 for rows in study.values() for v in rows["variance"]) and study["relax"]["temperature"] == [None]
    for name in ("rebar", "relax"):   # the control was tuned: tau and eta moved from the papers' start, 0.5 and 1
        curve = saved["estimators"][name]["curve"]
        assert len(curve["eta"]) == 2 and curve["eta"][-1] != 1.0 and curve["tau"][-1] != 0.5, name
    # as a student sees the pictures: titled with the run, labelled axes, legends off the data
    assert "2 epochs on 200 digits" in saved_figures["elbo.png"]._suptitle.get_text()
    for name in ("elbo.png", "temperature.png", "gradients.png"):
        fig = saved_figures[name]
        assert all(ax.get_xlabel() for ax in fig.axes) and fig.axes[0].get_ylabel(), name   # elbo.png shares y
        assert data_under_legends(fig) == [], name
    assert "RLOO (k=4)" in [t.get_text() for t in saved_figures["reconstructions.png"].axes[0].get_yticklabels()]


# ---------------------------------------------------------------- the evaluation uses hard draws


def test_the_discrete_elbo_feeds_the_decoder_one_hot_codes_and_matches_the_exact_bound():
    demo = load_demo("discrete_vae")
    model = tiny_model(demo, seed=0)   # weights where a relaxed evaluation is far from the exact bound (asserted below)
    seen = []
    log_likelihood = model.log_likelihood

    def recording(x, z):
        seen.append(z.numpy())
        return log_likelihood(x, z)
    model.log_likelihood = recording
    estimate = demo.evaluate(model, X, draws=20000)
    for z in seen:   # every code the decoder saw: 0s and 1s, one 1 per variable
        assert set(numpy.unique(z)) <= {0.0, 1.0} and (z.sum(-1) == 1).all()
    model.log_likelihood = log_likelihood
    with mg.no_grad():
        exact = elbo_by_enumeration(model, mg.tensor(X), model.encode(mg.tensor(X))).numpy().mean()
        soft = demo.evaluate(model, numpy.tile(X, (10000, 1)), tau=1.0)   # what a relaxed evaluation gives
    assert abs(estimate - exact) < 0.05           # 40,000 hard draws: standard error about 0.01
    assert abs(soft - exact) > 0.15               # so the check above would catch a soft evaluation


# ---------------------------------------------------------------- unbiasedness, against enumeration


def estimates_and_exact(demo, model, name, rows=20000, chunks=50, **options):
    """Per-row estimates of d ELBO / d logits (rows, 2 images, 2, 3), per-chunk estimates of the decoder's
    gradient (chunks, n parameters), and the exact values of both, from the 9-term enumeration.

    The logits are a leaf repeated row by row, so row r's gradient is one independent estimate."""
    logits = numpy.random.default_rng(0).normal(size=(2, 2, 3))
    decoder = model.decoder.parameters()
    per_row, per_chunk = [], []
    for _ in range(chunks):
        n = rows // chunks
        leaf = mg.tensor(numpy.tile(logits, (n, 1, 1)), requires_grad=True)
        model.zero_grad()
        demo.estimate(model, mg.tensor(numpy.tile(X, (n, 1))), leaf, name, **options).objective.sum().backward()
        per_row.append(leaf.grad.numpy().reshape(n, 2, 2, 3))
        per_chunk.append(numpy.concatenate([p.grad.numpy().ravel() for p in decoder]) / n)
    leaf = mg.tensor(logits, requires_grad=True)
    model.zero_grad()
    elbo_by_enumeration(model, mg.tensor(X), leaf).sum().backward()
    exact_decoder = numpy.concatenate([p.grad.numpy().ravel() for p in decoder])
    model.zero_grad()
    return numpy.concatenate(per_row), numpy.array(per_chunk), leaf.grad.numpy(), exact_decoder


def largest_z_score(samples, exact):
    """max over components of |mean - exact| / standard error of the mean. A component that never
    varies (the weights of a ReLU unit that is off for every code) must equal the exact value."""
    standard_error = samples.std(0, ddof=1) / numpy.sqrt(len(samples))
    error = numpy.abs(samples.mean(0) - exact)
    constant = standard_error == 0
    assert numpy.all(error[constant] < 1e-12)
    return float(numpy.max(error[~constant] / standard_error[~constant]))


@pytest.mark.parametrize("name", ["reinforce", "reinforce-nvil", "rloo", "rebar", "relax"])
def test_score_function_estimators_are_unbiased_for_the_exact_gradient(name):
    """20,000 estimates of the encoder's logit gradient (12 numbers) and 20 averages of the decoder's
    gradient (110 numbers) each lie within 4.5 and 5 standard errors of the gradient of the 9-term sum. Any
    baseline that ignores the draw keeps REINFORCE unbiased: here an untrained NVIL net plus c = -3; so does
    REBAR's and RELAX's control of the relaxed draws z and z~ (mg.estimators.rebar, relax on a code of 2 variables)."""
    demo = load_demo("discrete_vae")
    model = tiny_model(demo)
    baseline = NVILBaseline(mg.nn.MLP([6, 4, 1], dtype=mg.float64))   # the library's, as the demo uses it
    baseline.mean = -3.0
    if name in ("rebar", "relax"):   # their control, at the papers' start (tau 0.5, eta 1) and a random network r
        baseline = demo.Control(model, network=name == "relax", hidden=4)
    logit_rows, decoder_chunks, exact_logits, exact_decoder = estimates_and_exact(
        demo, model, name, k=3, baseline=baseline)
    assert largest_z_score(logit_rows, exact_logits) < 4.5
    assert largest_z_score(decoder_chunks, exact_decoder) < 5   # 50 chunks: a t-distribution, wider tails
    assert numpy.abs(exact_logits).max() > 0.05   # a gradient worth estimating


@pytest.mark.parametrize("name", ["gumbel-softmax", "straight-through"])
def test_the_same_check_rejects_the_relaxed_estimators(name):
    """The test above has the power to see a bias: at tau = 1 both relaxations miss by many standard errors."""
    demo = load_demo("discrete_vae")
    logit_rows, _, exact_logits, _ = estimates_and_exact(demo, tiny_model(demo), name, temperature=1.0)
    assert largest_z_score(logit_rows, exact_logits) > 20


def test_the_gumbel_softmax_bias_shrinks_as_the_temperature_falls_while_its_variance_grows():
    demo = load_demo("discrete_vae")
    model = tiny_model(demo)
    bias2, variance = [], []
    for tau in (2.0, 1.0, 0.5, 0.2):
        logit_rows, _, exact_logits, _ = estimates_and_exact(demo, model, "gumbel-softmax", chunks=4, temperature=tau)
        b, v = bias_and_variance(logit_rows.reshape(len(logit_rows), -1), exact_logits.ravel())
        bias2.append(b)
        variance.append(v)
    assert all(a > 2 * b for a, b in zip(bias2, bias2[1:])), bias2
    assert all(a < b for a, b in zip(variance, variance[1:])), variance


def test_the_study_measures_no_bias_for_rloo_and_some_for_gumbel_softmax():
    """gradient_study with the exact reference: the unbiased estimator's bias^2 is noise around 0, the
    relaxed one's is clearly positive; each variance is positive."""
    demo = load_demo("discrete_vae")
    model = tiny_model(demo)
    x = mg.tensor(X)
    leaf = model.encode(x).detach().requires_grad_()
    elbo_by_enumeration(model, x, leaf).sum().backward()
    args = demo.parse_args(["--study-repeats", "5000", "--study-temperatures", "1.0", "--k", "3"])
    study = demo.gradient_study(model, None, x, args, ["rloo", "gumbel-softmax"], reference=leaf.grad.numpy())
    rloo, relaxed = study["estimators"]["rloo"], study["estimators"]["gumbel-softmax"]
    assert abs(rloo["bias2"][0]) < 3 * rloo["variance"][0] / 5000
    assert relaxed["bias2"][0] > 30 * relaxed["variance"][0] / 5000
    assert study["reference_noise"] == 0.0
