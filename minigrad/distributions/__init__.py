"""Probability distributions with sampling, log-densities and KL divergences (as torch.distributions).

    q = mg.distributions.Normal(loc, scale)
    z = q.rsample()                      # differentiable in loc and scale (reparameterization)
    kl = mg.distributions.kl_divergence(q, mg.distributions.Normal(mg.zeros_like(loc), mg.ones_like(scale)))

One file per family; the base class and the shape conventions are in distribution.py,
the closed-form KL divergences in kl.py.

  reparameterizable (rsample):  Normal, MultivariateNormal, Laplace, Logistic, Uniform,
                                RelaxedBernoulli, RelaxedOneHotCategorical
  discrete (sample only):       Bernoulli, Categorical
"""
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution, LocationScale
from .kl import kl_divergence
from .laplace import Laplace
from .logistic import Logistic
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical, straight_through
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "LocationScale", "kl_divergence", "Laplace", "Logistic",
           "MultivariateNormal", "Normal", "RelaxedBernoulli", "RelaxedOneHotCategorical", "straight_through",
           "Uniform"]
