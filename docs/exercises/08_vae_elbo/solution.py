"""Exercise 08, reference solution: a single-sample, reparameterized ELBO (Kingma & Welling 2014).

    log p(x) >= E_q[log p(x | z)] - KL(q(z | x) || p(z))

The expectation is estimated with one draw z = loc + scale * eps, so that its gradient
reaches the encoder through z (pathwise); the KL between two Gaussians is exact
(appendix B). log p(x | z) for Bernoulli pixels with logits l is x l - softplus(l),
finite for any l (log sigmoid(l) would round to log 0 for l below about -100).
"""
import minigrad as mg


def elbo(encoder, decoder, x, latent):
    """reconstruction - KL for each row of x: shape (batch,)."""
    out = encoder(x)
    loc, log_var = out[..., :latent], out[..., latent:]
    scale = mg.exp(0.5 * log_var)
    eps = mg.random.normal(size=loc.shape, dtype=loc.dtype, device=loc.device)
    z = loc + scale * eps                                             # reparameterized: z is a node of the tape
    logits = decoder(z)
    reconstruction = (x * logits - mg.softplus(logits)).sum(-1)      # log p(x | z), Bernoulli
    kl = (0.5 * (scale * scale + loc * loc - 1.0) - 0.5 * log_var).sum(-1)   # KL(N(loc, scale^2) || N(0, 1))
    return reconstruction - kl
