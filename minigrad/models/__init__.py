"""Models built from minigrad's layers and distributions.

- :class:`VAE`: the variational autoencoder of Kingma & Welling (2014), with the ELBO,
  the importance-weighted bound and a choice of encoder gradient (pathwise or score).
- :class:`BayesianLogisticRegression`: a Gaussian prior and a Bernoulli likelihood, with the
  ELBO of any Gaussian by quadrature and the Laplace approximation at the MAP.
"""
from .logistic_regression import BayesianLogisticRegression
from .vae import ELBO, VAE

__all__ = ["BayesianLogisticRegression", "ELBO", "VAE"]
