"""Models built from minigrad's layers and distributions.

- :class:`VAE`: the variational autoencoder of Kingma & Welling (2014), with the ELBO,
  the importance-weighted bound and a choice of encoder gradient (pathwise or score).
"""
from .vae import ELBO, VAE

__all__ = ["ELBO", "VAE"]
