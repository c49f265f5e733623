"""A convolutional VAE for 28x28 images: :class:`VAE` with convolutional encoder and decoder.

An MLP sees an image as 784 unrelated numbers; a convolution reads it as a picture, with the
same small filter slid over every place. The layout is that of the DCGAN generator and
discriminator (Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks", ICLR 2016), without batch normalization:

    encoder  Conv2d(1, 32, 4, stride=2, padding=1)   28x28 -> 14x14, ReLU
             Conv2d(32, 64, 4, stride=2, padding=1)  14x14 -> 7x7, ReLU
             Linear(64 * 7 * 7, 2 latent)            loc and log-variance of q(z | x)
    decoder  Linear(latent, 64 * 7 * 7), ReLU
             ConvTranspose2d(64, 32, 4, stride=2, padding=1)        7x7 -> 14x14, ReLU
             ConvTranspose2d(32, channels, 4, stride=2, padding=1)  14x14 -> 28x28

A transposed convolution is the adjoint of a convolution: where the stride-2 convolution
halves the height and width, the transposed one doubles them. Both networks take and give
images as rows of 784 values, as the MLPs do (VAE's encoder/decoder protocol), so the bound,
the estimators and the evaluation are VAE's own.
"""
from .. import ops
from ..nn import Conv2d, ConvTranspose2d, Linear, Module
from .vae import LIKELIHOODS, VAE


class ConvEncoder(Module):
    """Images as rows (..., 784) -> (..., 2 latent): conv 32 (4x4, stride 2) - conv 64 (4x4, stride 2) - linear."""

    def __init__(self, latent, dtype=None, device=None):
        self.conv1 = Conv2d(1, 32, 4, stride=2, padding=1, dtype=dtype, device=device)    # 28x28 -> 14x14
        self.conv2 = Conv2d(32, 64, 4, stride=2, padding=1, dtype=dtype, device=device)   # 14x14 -> 7x7
        self.linear = Linear(64 * 7 * 7, 2 * latent, dtype=dtype, device=device)

    def forward(self, x):
        if x.shape[-1] != 784:
            raise ValueError(f"ConvEncoder: expects 28x28 images as rows of 784 values, got shape {tuple(x.shape)}")
        batch = x.shape[:-1]
        h = ops.relu(self.conv1(x.reshape(-1, 1, 28, 28)))
        h = ops.relu(self.conv2(h))
        return self.linear(h.reshape(h.shape[0], -1)).reshape(*batch, -1)


class ConvDecoder(Module):
    """Codes (n, latent) -> pixel parameters as rows (n, channels 784): linear - convT 32 - convT ``channels``.

    With ``channels=2`` (the "gaussian-learned" likelihood) the row holds the 784 means, then
    the 784 log standard deviations, as VAE's protocol asks.
    """

    def __init__(self, latent, channels=1, dtype=None, device=None):
        self.linear = Linear(latent, 64 * 7 * 7, dtype=dtype, device=device)
        self.deconv1 = ConvTranspose2d(64, 32, 4, stride=2, padding=1, dtype=dtype, device=device)        # -> 14x14
        self.deconv2 = ConvTranspose2d(32, channels, 4, stride=2, padding=1, dtype=dtype, device=device)  # -> 28x28

    def forward(self, z):
        h = ops.relu(self.linear(z)).reshape(-1, 64, 7, 7)
        h = ops.relu(self.deconv1(h))
        return self.deconv2(h).reshape(z.shape[0], -1)   # channel by channel: (mean, log std) for gaussian-learned


class ConvVAE(VAE):
    """:class:`VAE` with a :class:`ConvEncoder` and a :class:`ConvDecoder`, for 28x28 images (x_dim = 784).

    The options are VAE's; the decoder has two output channels for the "gaussian-learned" likelihood.
    """

    def __init__(self, latent=20, likelihood="bernoulli", estimator="pathwise", obs_scale=1.0, min_scale=0.0,
                 dtype=None, device=None):
        if likelihood not in LIKELIHOODS:   # before drawing any weight
            raise ValueError(f"ConvVAE: likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        channels = 2 if likelihood == "gaussian-learned" else 1
        super().__init__(784, latent=latent, likelihood=likelihood, estimator=estimator, obs_scale=obs_scale,
                         min_scale=min_scale, encoder=ConvEncoder(latent, dtype, device),
                         decoder=ConvDecoder(latent, channels, dtype, device))
