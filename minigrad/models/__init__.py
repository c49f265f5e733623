"""Models built from minigrad's layers and distributions.

- :class:`VAE`: the variational autoencoder of Kingma & Welling (2014), with the ELBO,
  the importance-weighted bound and a choice of encoder gradient (pathwise or score).
- :class:`M2`: the semi-supervised VAE of Kingma, Rezende, Mohamed & Welling (2014), with the
  labelled bound L(x, y), the unlabelled bound U(x) and the objective J^alpha.
"""
from .m2 import M2
from .vae import ELBO, VAE

__all__ = ["ELBO", "VAE"]
__all__ += ["M2"]
