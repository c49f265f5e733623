"""mg.models.ConvVAE: the convolutional encoder and decoder have the shapes they claim, follow VAE's
encoder/decoder protocol, and the ELBO's gradient through them matches finite differences."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.models import ConvDecoder, ConvEncoder, ConvVAE


def binary_images(n, seed=0):
    return (np.random.default_rng(seed).random((n, 784)) < 0.3).astype(np.float64)


def test_encoder_halves_the_image_twice_and_gives_loc_and_log_variance(device):
    mg.random.seed(0)
    encoder = ConvEncoder(latent=3, device=device)
    x = mg.random.uniform(size=(4, 784), device=device)
    h = mg.relu(encoder.conv1(x.reshape(4, 1, 28, 28)))
    assert h.shape == (4, 32, 14, 14)
    assert encoder.conv2(h).shape == (4, 64, 7, 7)
    assert encoder(x).shape == (4, 6)                                   # loc and log-variance of a 3-D code
    assert encoder(x.reshape(2, 2, 784)).shape == (2, 2, 6)             # leading axes are kept
    with pytest.raises(ValueError, match="ConvEncoder.*784.*\\(4, 28, 28\\)"):
        encoder(x.reshape(4, 28, 28))


@pytest.mark.parametrize("channels", [1, 2])
def test_decoder_doubles_the_image_twice_channel_by_channel(channels, device):
    mg.random.seed(0)
    decoder = ConvDecoder(latent=3, channels=channels, device=device)
    z = mg.random.normal(size=(5, 3), device=device)
    h = mg.relu(decoder.deconv1(mg.relu(decoder.linear(z)).reshape(5, 64, 7, 7)))
    assert h.shape == (5, 32, 14, 14)
    images = decoder.deconv2(h)
    assert images.shape == (5, channels, 28, 28)
    out = decoder(z)
    assert out.shape == (5, channels * 784)
    np.testing.assert_array_equal(out.numpy(), images.reshape(5, -1).numpy())   # channel 0's 784, then channel 1's


def test_conv_vae_is_a_vae_with_the_two_conv_networks():
    mg.random.seed(0)
    model = ConvVAE(latent=3)
    assert isinstance(model, mg.models.VAE)
    assert isinstance(model.encoder, ConvEncoder) and isinstance(model.decoder, ConvDecoder)
    assert (model.x_dim, model.latent) == (784, 3)
    assert model.decoder.deconv2.out_channels == 1
    assert ConvVAE(latent=3, likelihood="gaussian-learned").decoder.deconv2.out_channels == 2
    # the same numbers as VAE built from the same networks: ConvVAE adds nothing but the networks
    mg.random.seed(0)
    same = mg.models.VAE(784, latent=3, encoder=ConvEncoder(3), decoder=ConvDecoder(3))
    x = mg.tensor(binary_images(2), dtype=mg.float32)
    mg.random.seed(1)
    a = model.elbo(x, k=2).elbo.numpy()
    mg.random.seed(1)
    np.testing.assert_array_equal(a, same.elbo(x, k=2).elbo.numpy())
    with pytest.raises(ValueError, match="likelihood"):
        ConvVAE(likelihood="poisson")


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian-learned"])
def test_every_method_of_vae_runs_on_the_conv_networks(likelihood, device):
    mg.random.seed(0)
    model = ConvVAE(latent=2, likelihood=likelihood, min_scale=0.05, device=device)
    x = mg.tensor(binary_images(3), dtype=mg.float32, device=device)
    result = model.elbo(x, k=2)
    assert result.elbo.shape == result.kl.shape == (3,)
    assert model.iwae_bound(x, 3).shape == (3,)
    assert model.sample(4).shape == (4, 784) and model.reconstruct(x).shape == (3, 784)


def test_elbo_gradient_matches_finite_differences_along_a_random_direction():
    """d ELBO along a random direction v of all the weights, the draws held fixed (same seed), in float64:
    sum(grad . v) against (ELBO(w + h v) - ELBO(w - h v)) / 2h. A wrong vjp in any conv, transposed conv
    or reshape of either network would show."""
    mg.random.seed(0)
    model = ConvVAE(latent=2, dtype=mg.float64)
    x = mg.tensor(binary_images(2), dtype=mg.float64)

    def elbo_sum():
        mg.random.seed(3)
        return model.elbo(x, k=2).elbo.sum()

    elbo_sum().backward()
    params = model.parameters()
    rng = np.random.default_rng(0)
    directions = [rng.standard_normal(p.shape) for p in params]
    analytic = sum(float((p.grad.numpy() * v).sum()) for p, v in zip(params, directions))
    assert all(float(abs(p.grad.numpy()).sum()) > 0 for p in params)   # the gradient reaches every weight
    base = [p.numpy().copy() for p in params]
    h = 1e-6
    values = []
    for sign in (1, -1):
        for p, w, v in zip(params, base, directions):
            p.data = mg.tensor(w + sign * h * v, dtype=mg.float64).data
        with mg.no_grad():
            values.append(elbo_sum().item())
    for p, w in zip(params, base):
        p.data = mg.tensor(w, dtype=mg.float64).data
    assert analytic == pytest.approx((values[0] - values[1]) / (2 * h), rel=1e-6)
