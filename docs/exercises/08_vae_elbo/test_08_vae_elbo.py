"""Exercise 08: the ELBO against mg.models.VAE.elbo, gradients to the encoder, and the bound below log p(x)."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.models import VAE

X_DIM, LATENT, BATCH = 10, 3, 6


def model_and_data(seed):
    """A small float64 VAE (10-8-3) and a batch of binary rows, both from ``seed``."""
    mg.random.seed(seed)
    model = VAE(x_dim=X_DIM, hidden=8, latent=LATENT, likelihood="bernoulli", dtype=mg.float64)
    x = mg.tensor((np.random.default_rng(seed).random((BATCH, X_DIM)) < 0.4).astype(np.float64))
    return model, x


@given(seed=st.integers(0, 2**16))
def test_matches_the_vae_with_the_same_weights_and_seed(impl, seed):
    model, x = model_and_data(seed)
    mg.random.seed(seed + 1)
    expected = model.elbo(x).elbo
    mg.random.seed(seed + 1)
    mine = impl.elbo(model.encoder, model.decoder, x, LATENT)
    assert mine.shape == (BATCH,)
    np.testing.assert_allclose(mine.numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)


@given(seed=st.integers(0, 2**16))
def test_gradients_match_the_vae_for_every_weight(impl, seed):
    """Encoder and decoder weights: the gradient of the mean ELBO equals the VAE's, weight by weight."""
    model, x = model_and_data(seed)
    grads = []
    for compute in (lambda: model.elbo(x).elbo, lambda: impl.elbo(model.encoder, model.decoder, x, LATENT)):
        mg.random.seed(seed + 1)
        grads.append(mg.autograd.grad(compute().mean(), model.parameters()))
    for (name, _), mine, expected in zip(model.named_parameters(), grads[1], grads[0]):
        np.testing.assert_allclose(mine.numpy(), expected.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_the_reconstruction_term_sends_gradient_to_every_encoder_weight(impl):
    """z = loc + scale * eps carries the gradient of log p(x | z) back into the encoder.

    A z drawn without a graph (sample() instead of rsample(), or eps times a detached scale)
    would leave the encoder the gradient of -KL alone; here the two must differ for every weight.
    """
    model, x = model_and_data(0)
    weights = model.encoder.parameters()
    mg.random.seed(1)
    elbo_grads = mg.autograd.grad(impl.elbo(model.encoder, model.decoder, x, LATENT).sum(), weights)
    out = model.encoder(x)
    loc, log_var = out[:, :LATENT], out[:, LATENT:]
    kl_grads = mg.autograd.grad((0.5 * (log_var.exp() + loc * loc - 1.0 - log_var)).sum(), weights)
    for (name, _), from_elbo, from_kl in zip(model.encoder.named_parameters(), elbo_grads, kl_grads):
        assert np.abs(from_elbo.numpy() + from_kl.numpy()).max() > 1e-6, \
            f"encoder.{name} gets the gradient of -KL only: z carries no gradient (write z = loc + scale * eps)"


def test_gradient_in_the_weights_matches_finite_differences(impl):
    """With the noise fixed (the seed set before every call), the ELBO is a smooth function of the weights."""
    rng = np.random.default_rng(0)
    x = mg.tensor((rng.random((4, 5)) < 0.5).astype(np.float64))
    w_enc = mg.tensor(rng.normal(size=(5, 4)) * 0.5, requires_grad=True)
    w_dec = mg.tensor(rng.normal(size=(2, 5)) * 0.5, requires_grad=True)

    def seeded_elbo(w_enc, w_dec):
        mg.random.seed(7)
        return impl.elbo(lambda x: (x @ w_enc).tanh(), lambda z: z @ w_dec, x, 2)

    mg.gradcheck(seeded_elbo, [w_enc, w_dec])


def test_expectation_is_log_p_x_minus_the_kl_to_the_true_posterior(impl):
    """log p(x) = E_q[ELBO] + KL(q(z | x) || p(z | x)): the ELBO is below log p(x) by exactly that gap.

    With a 1-d latent everything on the right is an integral over z that a grid computes:
    log p(x) = log integral N(z; 0, 1) p(x | z) dz, and the KL from q to the posterior
    p(z | x) = N(z; 0, 1) p(x | z) / p(x). The mean ELBO of 20,000 independent draws must lie
    within 4 standard errors of log p(x) - KL (a KL added instead of subtracted lands above log p(x)).
    """
    x_row = np.array([1.0, 0.0, 1.0, 1.0])
    w_dec, b_dec = np.array([[2.0, -1.0, 0.5, 1.5]]), np.array([0.3, -0.2, 0.1, 0.5])
    q_loc, q_log_var = 0.4, -1.0

    def encoder(x):   # the same q for every row
        return mg.tensor(np.tile([q_loc, q_log_var], (x.shape[0], 1)))

    def decoder(z):
        return z @ mg.tensor(w_dec) + mg.tensor(b_dec)

    copies = 20_000
    mg.random.seed(3)
    elbos = impl.elbo(encoder, decoder, mg.tensor(np.tile(x_row, (copies, 1))), 1).numpy()

    z = np.linspace(-10.0, 10.0, 40_001)
    logits = z[:, None] * w_dec + b_dec
    log_joint = (x_row * logits - np.logaddexp(0.0, logits)).sum(-1) - 0.5 * z**2 - 0.5 * math.log(2 * math.pi)
    log_px = math.log(np.trapezoid(np.exp(log_joint), z))
    log_q = -0.5 * (z - q_loc) ** 2 / math.exp(q_log_var) - 0.5 * q_log_var - 0.5 * math.log(2 * math.pi)
    kl_to_posterior = np.trapezoid(np.exp(log_q) * (log_q - (log_joint - log_px)), z)
    standard_error = elbos.std() / math.sqrt(copies)
    assert abs(elbos.mean() - (log_px - kl_to_posterior)) < 4 * standard_error, \
        (elbos.mean(), log_px, kl_to_posterior, standard_error)
    assert elbos.mean() < log_px, (elbos.mean(), log_px)


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_keeps_the_dtype(impl, dtype):
    model, x = model_and_data(0)
    if dtype == mg.float32:
        model = VAE(x_dim=X_DIM, hidden=8, latent=LATENT, dtype=mg.float32)
        x = x.astype(mg.float32)
    assert impl.elbo(model.encoder, model.decoder, x, LATENT).dtype == dtype
