"""Probability distributions with sampling, log-densities and KL divergences (as torch.distributions).

    q = mg.distributions.Normal(loc, scale)
    z = q.rsample()                      # differentiable in loc and scale (reparameterization)
    kl = mg.distributions.kl_divergence(q, mg.distributions.Normal(0.0, 1.0))

One file per family; the base class and the shape conventions are in distribution.py.
"""
from .bernoulli import Bernoulli
from .distribution import Distribution
from .kl import kl_divergence
from .normal import Normal
