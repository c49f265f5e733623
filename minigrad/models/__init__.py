"""Models built from minigrad's layers and distributions.

- :class:`VAE`: the variational autoencoder of Kingma & Welling (2014), with the ELBO,
  the importance-weighted bound and a choice of encoder gradient (pathwise or score); its
  encoder and decoder are MLPs, or any two networks given as ``encoder=`` and ``decoder=``.
- :class:`ConvVAE`: the VAE with the convolutional :class:`ConvEncoder` and :class:`ConvDecoder`
  (DCGAN's layout) for 28x28 images.
- :class:`M2`: the semi-supervised VAE of Kingma, Rezende, Mohamed & Welling (2014), with the
  labelled bound L(x, y), the unlabelled bound U(x) and the objective J^alpha.
- :class:`BayesianLogisticRegression`: a Gaussian prior and a Bernoulli likelihood, with the
  ELBO of any Gaussian by quadrature and the Laplace approximation at the MAP.
"""
from .conv_vae import ConvDecoder, ConvEncoder, ConvVAE
from .logistic_regression import BayesianLogisticRegression
from .m2 import M2
from .vae import ELBO, VAE

__all__ = ["ELBO", "VAE", "ConvEncoder", "ConvDecoder", "ConvVAE", "BayesianLogisticRegression", "M2"]
