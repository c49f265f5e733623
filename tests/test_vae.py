"""The VAE: its bounds against hand computations, the two encoder gradients, and learning."""
import pathlib
import re
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import autograd
from minigrad.models import VAE

from strategies import arrays, floats, shapes


@pytest.fixture(scope="module")
def mnist():
    return mg.data.load_mnist()


def tiny_vae(device, estimator="pathwise", seed=0, likelihood="bernoulli"):
    mg.random.seed(seed)
    return VAE(x_dim=6, hidden=5, latent=3, likelihood=likelihood, estimator=estimator, dtype=mg.float64,
               device=device)


def binary_rows(n, d=6, seed=0):
    return (np.random.default_rng(seed).random((n, d)) < 0.5).astype(np.float64)


def softplus(a):
    return np.logaddexp(0.0, a)


def normal_log_density(z, loc, scale):
    return -0.5 * ((z - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)


@pytest.mark.parametrize("kl", ["analytic", "mc"])
def test_elbo_equals_a_hand_computation(device, kl):
    model = tiny_vae(device)
    x = binary_rows(4)
    k = 3
    mg.random.seed(7)
    result = model.elbo(mg.tensor(x, device=device), k=k, kl=kl)

    # the same computation in NumPy, with the same draws of eps (the generator is seeded the same);
    # a Linear layer's weight is (out, in), as PyTorch's: x W^T + b
    w = model.state_dict()
    mg.random.seed(7)
    eps = mg.random.normal(size=(k, 4, 3), dtype=mg.float64, device=device).numpy()
    h = np.maximum(x @ w["encoder.0.weight"].T + w["encoder.0.bias"], 0)
    out = h @ w["encoder.2.weight"].T + w["encoder.2.bias"]
    loc, scale = out[:, :3], np.exp(0.5 * out[:, 3:])
    z = loc + scale * eps                                                   # (k, 4, 3)
    h = np.maximum(z @ w["decoder.0.weight"].T + w["decoder.0.bias"], 0)
    logits = h @ w["decoder.2.weight"].T + w["decoder.2.bias"]
    reconstruction = (x * logits - softplus(logits)).sum(-1).mean(0)      # E_q log p(x|z), Bernoulli
    if kl == "analytic":   # Kingma & Welling, appendix B: -1/2 sum(1 + log s^2 - m^2 - s^2)
        kl_value = -0.5 * (1 + np.log(scale ** 2) - loc ** 2 - scale ** 2).sum(-1)
    else:
        kl_value = (normal_log_density(z, loc, scale) - normal_log_density(z, 0.0, 1.0)).sum(-1).mean(0)

    np.testing.assert_allclose(result.reconstruction.numpy(), reconstruction, rtol=1e-10)
    np.testing.assert_allclose(result.kl.numpy(), kl_value, rtol=1e-10)
    np.testing.assert_allclose(result.elbo.numpy(), reconstruction - kl_value, rtol=1e-10)
    assert result.elbo.shape == (4,)


def test_kl_to_prior_is_kl_divergence_to_a_standard_normal(device):
    """The VAE's closed form and the general Normal-Normal formula: same values, same gradients."""
    model = tiny_vae(device)
    x = mg.tensor(binary_rows(4), device=device)
    q = model.encode(x)
    params = model.encoder.parameters()
    own = model.kl_to_prior(q)
    general = mg.distributions.kl_divergence(q, model.prior(x)).sum(-1)
    np.testing.assert_allclose(own.numpy(), general.numpy(), rtol=1e-12)
    own_grads = mg.autograd.grad(own.sum(), params, retain_graph=True)   # the two share the encoder graph
    for a, b in zip(own_grads, mg.autograd.grad(general.sum(), params)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-14)


@given(data=st.data(), shape=shapes())
def test_kl_to_prior_primitive_matches_the_formula_and_finite_differences(data, shape):
    """kl_to_prior is a primitive with a hand-written vjp, then a sum: check value, first and second derivatives."""
    loc = data.draw(arrays(shape))
    scale = data.draw(arrays(shape, elements=floats(0.2, 3.0)))
    q = mg.distributions.Normal(mg.tensor(loc, requires_grad=True), mg.tensor(scale, requires_grad=True))
    model = tiny_vae("cpu")
    kl = model.kl_to_prior(q)
    expected = (0.5 * (scale ** 2 + loc ** 2 - 1.0) - np.log(scale)).sum(-1)
    np.testing.assert_allclose(kl.numpy(), expected, rtol=1e-12, atol=1e-12)
    kl_of = lambda m, s: model.kl_to_prior(mg.distributions.Normal(m, s, validate_args=False))
    assert mg.gradcheck(kl_of, [q.loc, q.scale])
    assert mg.gradgradcheck(kl_of, [q.loc, q.scale])


def test_monte_carlo_kl_averages_to_the_analytic_kl():
    model = tiny_vae("cpu")
    x = mg.tensor(binary_rows(3))
    analytic = model.elbo(x, kl="analytic").kl.numpy()
    mc = model.elbo(x, k=20000, kl="mc").kl.numpy()
    np.testing.assert_allclose(mc, analytic, atol=0.02)


def test_pathwise_gradient_matches_finite_differences():
    """d ELBO / d (an encoder weight) with the draws held fixed (same seed), in float64."""
    model = tiny_vae("cpu")
    x = mg.tensor(binary_rows(4))
    w = model.encoder[2].weight           # its columns 3.. give log scale^2: z depends on it through eps

    def elbo_sum():
        mg.random.seed(3)
        return model.elbo(x, k=2).elbo.sum()

    elbo_sum().backward()
    for index in [(0, 1), (2, 4)]:
        base = w.numpy()
        values = []
        for sign in (1, -1):
            shifted = base.copy()
            shifted[index] += sign * 1e-6
            w.data = mg.tensor(shifted).data
            with mg.no_grad():
                values.append(elbo_sum().item())
        w.data = mg.tensor(base).data
        assert w.grad.numpy()[index] == pytest.approx((values[0] - values[1]) / 2e-6, rel=1e-5, abs=1e-8)


def test_iwae_with_one_draw_is_the_monte_carlo_elbo(device):
    model = tiny_vae(device)
    x = mg.tensor(binary_rows(5), device=device)
    mg.random.seed(1)
    iwae = model.iwae_bound(x, k=1).numpy()
    mg.random.seed(1)
    elbo = model.elbo(x, k=1, kl="mc").elbo.numpy()
    np.testing.assert_allclose(iwae, elbo, rtol=1e-12)


def test_iwae_is_above_the_elbo_of_the_same_draws(device):
    # Jensen: log (1/k) sum w_i >= (1/k) sum log w_i for every example and every set of draws, with equality
    # only where all the w_i are equal; and the bound is that formula of the log weights, computed here apart
    model = tiny_vae(device)
    x = mg.tensor(binary_rows(5), device=device)
    for k in (2, 10, 50):
        mg.random.seed(k)
        iwae = model.iwae_bound(x, k).numpy()
        mg.random.seed(k)
        elbo = model.elbo(x, k=k, kl="mc").elbo.numpy()
        mg.random.seed(k)
        log_w = model.log_weights(x, k).numpy()                              # (k, batch), the same draws
        np.testing.assert_allclose(elbo, log_w.mean(0), rtol=1e-12)          # the MC ELBO is their mean
        spread = log_w.max(0) - log_w.min(0)
        assert (spread > 1e-3).all()                                         # the draws differ...
        assert (iwae > elbo + 1e-6 * spread).all()                           # ...so the gap is strict
        top = log_w.max(0)
        np.testing.assert_allclose(iwae, top + np.log(np.exp(log_w - top).sum(0)) - np.log(k), rtol=1e-12)


def test_iwae_rises_with_k_on_average(mnist):
    mg.random.seed(0)
    model = VAE(x_dim=784, hidden=50, latent=5)
    x = mg.tensor(mnist.test_images[:100])
    elbo = model.elbo(x, kl="analytic").elbo.numpy().mean()
    bounds = [model.iwae_bound(x, k).numpy().mean() for k in (1, 10, 50)]   # about -551, -548, -547
    assert abs(bounds[0] - elbo) < 1.0                       # k = 1 is an ELBO estimate
    assert bounds[0] + 1.0 < bounds[1] < bounds[2] - 0.1, bounds


def test_score_and_pathwise_give_the_same_elbo_and_decoder_gradient(device):
    x = mg.tensor(binary_rows(4), device=device)
    grads = {}
    for estimator in ("pathwise", "score"):
        model = tiny_vae(device, estimator)
        mg.random.seed(5)
        result = model.elbo(x, k=3)
        result.elbo.sum().backward()
        grads[estimator] = (result.elbo.numpy(), {n: p.grad.numpy() for n, p in model.named_parameters()})
    np.testing.assert_allclose(grads["score"][0], grads["pathwise"][0], rtol=1e-12)   # the same value
    for name in grads["score"][1]:
        if name.startswith("decoder"):
            np.testing.assert_allclose(grads["score"][1][name], grads["pathwise"][1][name], rtol=1e-10)
    assert not np.allclose(grads["score"][1]["encoder.0.weight"],
                           grads["pathwise"][1]["encoder.0.weight"])


@pytest.mark.parametrize("kl", ["analytic", "mc"])
def test_score_and_pathwise_encoder_gradients_agree_on_average(kl):
    """Both are unbiased: averaged over many draws they estimate the same gradient."""
    x = mg.tensor(binary_rows(2))
    estimates = {}
    for estimator in ("pathwise", "score"):
        model = tiny_vae("cpu", estimator)
        mg.random.seed(11)
        model.elbo(x, k=20000, kl=kl).elbo.sum().backward()
        estimates[estimator] = np.concatenate([p.grad.numpy().ravel() for p in model.encoder.parameters()])
    error = np.abs(estimates["score"] - estimates["pathwise"]).max()
    assert error < 0.05 * np.abs(estimates["pathwise"]).max()


def test_score_baseline_is_the_other_draws_signal():
    """At k = 2 the baseline of each draw is exactly the other draw's signal, never its own;
    with k = 1 it is the mean of the other examples' signals."""
    from minigrad.models.vae import _baseline
    f = mg.tensor([[1.0, -4.0, 2.5], [7.0, 0.5, -1.0]])          # (k = 2, batch = 3)
    np.testing.assert_array_equal(_baseline(f).numpy(), [[7.0, 0.5, -1.0], [1.0, -4.0, 2.5]])
    np.testing.assert_allclose(_baseline(f[:1]).numpy(), [[-0.75, 1.75, -1.5]])


def encoder_bias_derivatives(estimator, kl="analytic", passes=40, rows=1000, k=2):
    """(gradients, Hessian rows): per pass, d ELBO / d b and d2 ELBO / (d b_0 d b) for b the encoder's last bias.

    A smooth (tanh) tiny VAE, so that the pathwise estimator is exact at second order too (a relu
    network's kinks would add terms pathwise misses). The batch is one binary row repeated, and
    the ELBO is averaged over it: each pass is one estimate, ``passes`` of them give a standard error.
    """
    mg.random.seed(0)
    model = VAE(x_dim=6, hidden=5, latent=3, activation="tanh", estimator=estimator, dtype=mg.float64)
    bias = model.encoder.parameters()[-1]                        # loc (3) and log-variance (3) of q
    x = mg.tensor(np.tile(binary_rows(1)[0], (rows, 1)))
    mg.random.seed(1)
    gradients, hessian_rows = [], []
    for _ in range(passes):
        g, = mg.autograd.grad(model.elbo(x, k=k, kl=kl).elbo.mean(), bias, create_graph=True)
        h, = mg.autograd.grad(g[0], bias)
        gradients.append(g.numpy())
        hessian_rows.append(h.numpy())
    return np.array(gradients), np.array(hessian_rows)


def assert_same_mean(a, b, what):
    """Two sets of i.i.d. estimates (first axis) have the same mean, within five standard errors of the difference."""
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    assert np.all(np.abs(a.mean(0) - b.mean(0)) < 5 * se), f"{what}: {a.mean(0)} vs {b.mean(0)} (se {se})"


@pytest.mark.parametrize("kl", ["analytic", "mc"])
def test_score_encoder_gradient_is_unbiased_at_k_2(kl):
    """At k = 2 a baseline that contained the draw's own signal (the mean of both draws) would halve the
    score-function gradient: f_1 - (f_1 + f_2) / 2 = (f_1 - f_2) / 2. The leave-one-out one keeps it unbiased."""
    score, _ = encoder_bias_derivatives("score", kl)
    pathwise, _ = encoder_bias_derivatives("pathwise", kl)
    assert_same_mean(score, pathwise, "d ELBO / d encoder bias")


@pytest.mark.parametrize("kl", ["analytic", "mc"])
def test_score_elbo_has_the_right_second_derivatives(kl):
    """The score path (DiCE's surrogate) differentiated twice agrees on average with pathwise, exact for a
    smooth model; the first-order surrogate f + (f - b)(log q - log q.detach()) gave the KL's part only."""
    _, score = encoder_bias_derivatives("score", kl)
    _, pathwise = encoder_bias_derivatives("pathwise", kl)
    assert_same_mean(score, pathwise, "d2 ELBO / (d b_0 d encoder bias)")


def test_a_short_run_raises_the_elbo(device, mnist):
    short_run_raises_the_elbo(mnist, device, "pathwise")


def test_a_short_run_with_the_score_estimator_raises_the_elbo(mnist):
    short_run_raises_the_elbo(mnist, "cpu", "score")


def short_run_raises_the_elbo(mnist, device, estimator):
    x = mg.data.binarize(mnist.train_images[:256], mg.backend.host_generator(0))
    mg.random.seed(0)
    model = VAE(hidden=32, latent=4, estimator=estimator, device=device)
    optimizer = mg.optim.Adam(model.parameters(), lr=3e-3)

    def mean_elbo():
        mg.random.seed(123)
        with mg.no_grad():
            return model.elbo(mg.tensor(x, device=device)).elbo.numpy().mean()

    before = mean_elbo()
    rng = mg.backend.host_generator(1)
    for _ in range(3):
        for xb in mg.data.BatchIterator(x, batch_size=32, shuffle=True, rng=rng, device=device):
            optimizer.zero_grad()
            (-model.elbo(xb).elbo.mean()).backward()
            optimizer.step()
    after = mean_elbo()
    assert after > before + 100, (before, after)   # from about -550 nats (untrained) to about -280


@pytest.mark.parametrize("likelihood", ["gaussian", "gaussian-learned"])
def test_gaussian_likelihoods(likelihood):
    mg.random.seed(0)
    model = VAE(x_dim=6, hidden=5, latent=2, likelihood=likelihood, obs_scale=0.5, min_scale=0.1)
    x = mg.tensor(np.random.default_rng(0).random((4, 6)), dtype=mg.float32)   # the model's dtype
    result = model.elbo(x)
    result.elbo.sum().backward()
    assert result.elbo.shape == (4,) and np.isfinite(result.elbo.numpy()).all()
    p_x = model.decode(model.encode(x).loc)
    if likelihood == "gaussian":
        np.testing.assert_allclose(p_x.scale.numpy(), 0.5)
    else:
        last = model.decoder[-1]          # drive every log std to -30: the floor must hold
        with mg.no_grad():
            last.weight[...] = 0.0
            last.bias[6:] = -30.0
        p_x = model.decode(model.encode(x).loc)
        np.testing.assert_allclose(p_x.scale.numpy(), 0.1, rtol=1e-6)


def test_sample_and_reconstruct(device, mnist):
    mg.random.seed(0)
    model = VAE(hidden=16, latent=2, device=device)
    images = model.sample(7)
    assert images.shape == (7, 784) and images.device == device and not images.requires_grad
    assert ((images.numpy() > 0) & (images.numpy() < 1)).all()             # pixel probabilities
    draws = model.sample(3, mean=False).numpy()
    assert set(np.unique(draws)) <= {0.0, 1.0}
    x = mg.tensor(mnist.test_images[:5], device=device)
    assert model.reconstruct(x).shape == (5, 784)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="likelihood"):
        VAE(likelihood="poisson")
    with pytest.raises(ValueError, match="estimator"):
        VAE(estimator="magic")
    with pytest.raises(ValueError, match="kl"):
        tiny_vae("cpu").elbo(mg.tensor(binary_rows(2)), kl="exact")


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian", "gaussian-learned"])
def test_log_likelihood_is_the_decoders_log_prob(likelihood):
    model = tiny_vae("cpu", likelihood=likelihood)
    x = mg.tensor(binary_rows(4))
    z = mg.random.normal(size=(2, 4, 3), dtype=mg.float64)
    np.testing.assert_allclose(model.log_likelihood(x, z).numpy(), model.decode(z).log_prob(x).sum(-1).numpy(),
                               rtol=1e-12)


# ---------------------------------------------------------------- any two networks: VAE(encoder=, decoder=)

def test_a_vae_of_two_given_networks_is_the_vae_of_the_same_mlps(device):
    """VAE(6, 5, 3) builds MLP([6, 5, 6]) and MLP([3, 5, 6]) in that order; given the same two networks
    (drawn from the same seed) the model has the same state and the same ELBO, draw for draw."""
    mg.random.seed(0)
    built = VAE(6, 5, 3, dtype=mg.float64, device=device)
    mg.random.seed(0)
    encoder = mg.nn.MLP([6, 5, 6], dtype=mg.float64, device=device)
    decoder = mg.nn.MLP([3, 5, 6], dtype=mg.float64, device=device)
    given = VAE(6, latent=3, encoder=encoder, decoder=decoder)
    assert given.encoder is encoder and given.decoder is decoder
    assert list(given.state_dict()) == list(built.state_dict())
    for key, value in built.state_dict().items():
        np.testing.assert_array_equal(given.state_dict()[key], value)
    x = mg.tensor(binary_rows(4), device=device)
    mg.random.seed(5)
    expected = built.elbo(x, k=2).elbo.numpy()
    mg.random.seed(5)
    np.testing.assert_array_equal(given.elbo(x, k=2).elbo.numpy(), expected)


def test_any_module_that_keeps_the_protocol_serves_as_a_network():
    """The protocol: encoder (..., x_dim) -> (..., 2 latent), decoder (n, latent) -> (n, x_dim)."""
    class Affine(mg.nn.Module):   # not an MLP: one Linear and a fixed shift
        def __init__(self, n_in, n_out):
            self.linear = mg.nn.Linear(n_in, n_out, dtype=mg.float64)

        def forward(self, x):
            return self.linear(x) + 1.0

    mg.random.seed(0)
    model = VAE(6, latent=2, likelihood="gaussian-learned", encoder=Affine(6, 4), decoder=Affine(2, 12))
    x = mg.tensor(binary_rows(3))
    result = model.elbo(x, k=2)
    (-result.elbo.sum()).backward()
    assert result.elbo.shape == (3,)
    assert all(p.grad is not None for p in model.parameters())
    assert model.sample(2).shape == (2, 6)


def test_networks_that_break_the_protocol_are_refused_with_the_shapes():
    mg.random.seed(0)
    x = mg.tensor(binary_rows(3))
    wrong_encoder = VAE(6, latent=3, encoder=mg.nn.Linear(6, 5, dtype=mg.float64),
                        decoder=mg.nn.Linear(3, 6, dtype=mg.float64))
    with pytest.raises(ValueError, match=r"VAE.encode.*\(3, 5\).*latent=3.*6"):
        wrong_encoder.elbo(x)
    wrong_decoder = VAE(6, latent=3, likelihood="gaussian-learned", encoder=mg.nn.Linear(6, 6, dtype=mg.float64),
                        decoder=mg.nn.Linear(3, 6, dtype=mg.float64))
    with pytest.raises(ValueError, match=r"VAE.decode.*\(3, 6\).*gaussian-learned.*12"):
        wrong_decoder.elbo(x)


def test_options_of_the_mlps_are_refused_beside_given_networks():
    encoder, decoder = mg.nn.Linear(6, 4), mg.nn.Linear(2, 6)
    with pytest.raises(ValueError, match="both encoder= and decoder=.*only the encoder"):
        VAE(6, latent=2, encoder=encoder)
    with pytest.raises(ValueError, match="only the decoder"):
        VAE(6, latent=2, decoder=decoder)
    for option in ({"hidden": 8}, {"activation": "tanh"}, {"dtype": mg.float64}, {"device": "cpu"}):
        with pytest.raises(ValueError, match=f"VAE: {next(iter(option))}"):
            VAE(6, latent=2, encoder=encoder, decoder=decoder, **option)
    with pytest.raises(TypeError, match="encoder must be an mg.nn.Module.*function"):
        VAE(6, latent=2, encoder=lambda x: x, decoder=decoder)


def test_a_vae_step_records_and_runs_as_many_ops_as_the_autodiff_chapter_says():
    # docs/autodiff.md section 9 counts the ops of a VAE step: every call of autograd.apply, forward and in backward
    text = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "autodiff.md").read_text()
    forward, vjps = map(int, re.search(r"A VAE step records (\d+) ops and runs (\d+) ops in their vjps",
                                       " ".join(text.split())).groups())
    model = VAE(8, 6, 2, dtype=mg.float32)
    x = mg.tensor((np.random.default_rng(0).random((4, 8)) < 0.5).astype(np.float32))
    calls = []

    def count(frame, event, arg):
        if event == "call" and frame.f_code is autograd.apply.__code__:
            calls.append(frame.f_locals["op"])
    sys.setprofile(count)
    try:
        loss = -model.elbo(x).elbo.mean()
        recorded = len(calls)
        loss.backward()
    finally:
        sys.setprofile(None)
    assert (recorded, len(calls) - recorded) == (forward, vjps), calls
