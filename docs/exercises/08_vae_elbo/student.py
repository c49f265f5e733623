"""Exercise 08: the VAE's ELBO, one reparameterized draw per example, Bernoulli likelihood, analytic KL.

Statement: docs/exercises/08_vae_elbo.md.  Tests: python -m pytest docs/exercises/08_vae_elbo
"""
import minigrad as mg  # noqa: F401  (you will need it)


def elbo(encoder, decoder, x, latent):
    """The ELBO of each row of x: a tensor of shape (batch,), differentiable in both networks' weights.

    encoder  maps x (batch, x_dim) to (batch, 2 * latent): loc, then log scale^2 (the log-variance)
    decoder  maps z (batch, latent) to (batch, x_dim): the logits of independent Bernoulli pixels
    x        a (batch, x_dim) tensor of 0s and 1s

        q(z | x) = N(loc, diag(scale^2)),  z = loc + scale * eps  with eps drawn by ONE call of
                   mg.random.normal(size=loc.shape, dtype=loc.dtype, device=loc.device)
        ELBO     = log p(x | z) - KL(q(z | x) || N(0, I)),  each summed over its last axis.
    """
    raise NotImplementedError("exercise 08: elbo")
