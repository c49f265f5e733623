"""The variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014).

The model. A latent code z ~ p(z) = N(0, I) is decoded into the parameters of a
distribution over images, p(x | z): independent coins (Bernoulli, for binarized
digits) or independent Gaussians, one per pixel. The decoder is a network: an MLP by
default, or any module given as ``decoder=`` (the convolutional one of conv_vae.py).

The encoder. The posterior p(z | x) is intractable, so a network maps x to a diagonal
Gaussian q(z | x) = N(loc(x), diag(scale(x)^2)) that stands in for it (amortized
inference: one network serves every x, instead of a separate q per example).

The objective. For any q, log p(x) is at least the evidence lower bound (ELBO):

    log p(x) >= E_q[log p(x | z)] - KL(q(z | x) || p(z))
             =  reconstruction     - KL

with equality when q is the true posterior. Training maximizes the ELBO over encoder and
decoder together. The reconstruction term is estimated with k draws z ~ q; the KL term
between two Gaussians has a closed form (Kingma & Welling, appendix B), or is estimated
from the same draws as E_q[log q(z | x) - log p(z)] (``kl="mc"``).

The encoder's gradient. The expectation is over q, which depends on the encoder's
weights phi, so its gradient needs one of two identities:

- pathwise (reparameterization): z = loc + scale * eps with eps ~ N(0, I), so
  grad_phi E_q[f(z)] = E_eps[grad_phi f(loc + scale * eps)]: backpropagate through z;
- score function (REINFORCE, Williams 1992): grad_phi E_q[f(z)] = E_q[f(z) grad_phi log q(z | x)];
  it needs no gradient of f, but its variance is far larger. Subtracting a baseline b
  that does not depend on z keeps it unbiased, because E_q[grad_phi log q] = 0, and
  lowers the variance: E_q[(f(z) - b) grad_phi log q(z | x)].

``VAE(estimator=...)`` picks one; both give the same ELBO *value*, so they can be compared
on one model, with one training loop.

The tighter bound (Burda, Grosse & Salakhutdinov, "Importance Weighted Autoencoders",
ICLR 2016): with k draws z_1..z_k ~ q and weights w_i = p(x, z_i) / q(z_i | x),

    log p(x) >= E[log (1/k) sum_i w_i]   (the IWAE bound, k = 1 gives the ELBO)

and the bound rises with k towards log p(x). With k = 100 it is the usual estimate of the
test log-likelihood.
"""
import math
from typing import NamedTuple

from .. import ops
from ..autograd import is_grad_enabled, no_grad
from ..distributions import Bernoulli, Normal
from ..estimators import dice_surrogate, leave_one_out
from ..nn import MLP, Module
from ..tensor import Tensor

LIKELIHOODS = ("bernoulli", "gaussian", "gaussian-learned")
ESTIMATORS = ("pathwise", "score")


def _baseline(signal):
    """The baseline of each draw's learning signal f, held constant (detached), for the score estimator.

    The baseline of a draw is the average signal of the *other* draws: of the same example
    when there are k > 1 draws, else of the other examples in the batch. It never depends
    on the draw it is subtracted from, so the estimate stays unbiased, and it removes most
    of f's size (f is about -100 nats for a digit), which is what makes REINFORCE so noisy.
    """
    f = signal.detach()
    k, batch = f.shape
    if k > 1:
        return leave_one_out(f)
    if batch > 1:
        return leave_one_out(f.T).T
    return 0.0


class ELBO(NamedTuple):
    """The ELBO of each example and its two parts (each a tensor of shape (batch,)): elbo = reconstruction - kl."""
    elbo: Tensor
    reconstruction: Tensor   # estimate of E_q[log p(x | z)], averaged over the k draws
    kl: Tensor               # KL(q(z | x) || p(z)): exact (kl="analytic") or estimated from the draws (kl="mc")


class VAE(Module):
    """A VAE: an encoder network, a decoder network, and the bounds and estimators built on them.

    Built two ways:

    - ``VAE(784, 400, 20)``: MLP encoder and decoder, x_dim-hidden-(2 latent) and
      latent-hidden-x_dim, ReLU between the layers (``hidden`` may be a list of widths; the
      decoder mirrors the encoder);
    - ``VAE(784, latent=20, encoder=e, decoder=d)``: any two modules, for example the
      convolutional ones of :class:`minigrad.models.ConvVAE`.

    The two networks follow one protocol, and every method below uses only it:

    - ``encoder(x)`` maps inputs of shape (..., x_dim) to (..., 2 latent): the loc of
      q(z | x) and then its log-variance;
    - ``decoder(z)`` maps codes of shape (n, latent) to (n, x_dim) pixel parameters (logits for
      "bernoulli", means for "gaussian"), or to (n, 2 x_dim) for "gaussian-learned": the means,
      then the log standard deviations.

    x_dim      size of a flattened input (784 for MNIST)
    hidden     width of the MLPs' hidden layer, or a list of widths (400 when no networks are given)
    latent     size of z
    likelihood "bernoulli" (decoder gives logits; for 0/1 data),
               "gaussian" (decoder gives the mean, the standard deviation is ``obs_scale``), or
               "gaussian-learned" (decoder gives mean and log standard deviation of every pixel;
               the standard deviation is min_scale + exp(log std): ``min_scale`` is a floor)
    activation the MLPs' activation ("relu" when no networks are given)
    estimator  "pathwise" (reparameterization) or "score" (REINFORCE with a baseline): how the
               encoder's gradient gets through the draws z ~ q(z | x)
    encoder, decoder  the two networks, given together; then ``hidden``, ``activation``,
               ``dtype`` and ``device`` are the networks' own business and may not be given
    """

    def __init__(self, x_dim=784, hidden=None, latent=20, likelihood="bernoulli", activation=None,
                 estimator="pathwise", obs_scale=1.0, min_scale=0.0, dtype=None, device=None, *,
                 encoder=None, decoder=None):
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"VAE: likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        if estimator not in ESTIMATORS:
            raise ValueError(f"VAE: estimator must be one of {ESTIMATORS}, got {estimator!r}")
        self.x_dim, self.latent, self.likelihood, self.estimator = x_dim, latent, likelihood, estimator
        self.obs_scale, self.min_scale = obs_scale, min_scale
        decoder_out = 2 * x_dim if likelihood == "gaussian-learned" else x_dim
        if encoder is None and decoder is None:
            hidden = [400] if hidden is None else [hidden] if isinstance(hidden, int) else list(hidden)
            activation = "relu" if activation is None else activation
            self.encoder = MLP([x_dim, *hidden, 2 * latent], activation, dtype=dtype, device=device)
            self.decoder = MLP([latent, *reversed(hidden), decoder_out], activation, dtype=dtype, device=device)
            return
        if encoder is None or decoder is None:
            raise ValueError("VAE: give both encoder= and decoder=, or neither (then both are MLPs); got only the "
                             + ("encoder" if decoder is None else "decoder"))
        given = [name for name, value in (("hidden", hidden), ("activation", activation), ("dtype", dtype),
                                          ("device", device)) if value is not None]
        if given:
            raise ValueError(f"VAE: {', '.join(given)} describe the MLPs that VAE builds when no networks are "
                             f"given; with encoder= and decoder= build the networks with them instead")
        for name, network in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(network, Module):
                raise TypeError(f"VAE: {name} must be an mg.nn.Module, got {type(network).__name__}")
        self.encoder, self.decoder = encoder, decoder

    # ------------------------------------------------------------ the three distributions
    def encode(self, x):
        """q(z | x) = N(loc, scale^2): the encoder outputs loc and log scale^2 (the log-variance)."""
        out = self.encoder(x)
        if out.shape[-1] != 2 * self.latent:
            raise ValueError(f"VAE.encode: the encoder maps x of shape {tuple(x.shape)} to {tuple(out.shape)}, but a "
                             f"code of size latent={self.latent} needs 2 * {self.latent} = {2 * self.latent} values "
                             f"on the last axis (loc, then log-variance)")
        loc, log_var = out[..., :self.latent], out[..., self.latent:]
        return Normal(loc, ops.exp(0.5 * log_var), validate_args=False)

    def decode(self, z):
        """p(x | z) for codes z of shape (..., latent): a distribution over images of shape (..., x_dim)."""
        out = self._decoder_output(z)
        if self.likelihood == "bernoulli":
            return Bernoulli(logits=out, validate_args=False)
        if self.likelihood == "gaussian":
            return Normal(out, self.obs_scale, validate_args=False)
        loc, log_scale = out[..., :self.x_dim], out[..., self.x_dim:]
        return Normal(loc, ops.exp(log_scale) + self.min_scale, validate_args=False)

    def log_likelihood(self, x, z):
        """log p(x | z), summed over the pixels: shape z.shape[:-1] (x broadcasts against it)."""
        return self.decode(z).log_prob(x).sum(-1)

    def _decoder_output(self, z):
        batch = z.shape[:-1]
        out = self.decoder(z.reshape(-1, self.latent))   # one matrix product for all the draws
        wanted = 2 * self.x_dim if self.likelihood == "gaussian-learned" else self.x_dim
        if out.shape[-1] != wanted:
            raise ValueError(f"VAE.decode: the decoder maps codes of shape {tuple(z.reshape(-1, self.latent).shape)} "
                             f"to {tuple(out.shape)}, but the {self.likelihood!r} likelihood of x_dim={self.x_dim} "
                             f"needs {wanted} values per code")
        return out.reshape(*batch, out.shape[-1])

    def prior(self, like):
        """p(z) = N(0, I), as scalars with the dtype and device of ``like`` (they broadcast)."""
        return Normal(ops.zeros((), dtype=like.dtype, device=like.device),
                      ops.ones((), dtype=like.dtype, device=like.device), validate_args=False)

    def kl_to_prior(self, q):
        """KL(q(z | x) || p(z)) for q = N(loc, scale^2) and p(z) = N(0, I), summed over z's axis:

            KL = 1/2 sum_j (scale_j^2 + loc_j^2 - 1 - log scale_j^2)

        (Kingma & Welling 2014, appendix B). The same number as ``kl_divergence(q, prior)``
        (a test checks that, values and gradients): the prior's 0 and 1 drop out of the formula.
        """
        return ops.kl_to_standard_normal(q.loc, q.scale).sum(-1)

    def forward(self, x):
        """The per-example ELBO (as ``elbo(x).elbo``), so that ``-model(x).mean()`` is a loss."""
        return self.elbo(x).elbo

    # ------------------------------------------------------------ bounds
    def elbo(self, x, k=1, kl="analytic"):
        """The ELBO of each row of x, estimated with k draws from q(z | x), and its parts.

        Differentiate ``.elbo`` to train: the decoder's gradient is exact for the draws made,
        the encoder's is the chosen estimator (pathwise or score). Each part carries its own
        gradient, so a weighted objective such as ``reconstruction - beta * kl`` (KL warm-up)
        is differentiated correctly too.

        With ``estimator="score"`` each part is DiCE's surrogate (Foerster et al. 2018; see
        estimators.dice_surrogate): f * box(log q(z | x)) + (1 - box) * b, with box = exp(log q
        - log q.detach()) = 1 and b the leave-one-out baseline (_baseline). Its value is f,
        and its derivatives of every order (create_graph=True) are unbiased estimates.
        """
        if kl not in ("analytic", "mc"):
            raise ValueError(f"elbo: kl must be 'analytic' or 'mc', got {kl!r}")
        q = self.encode(x)
        z = q.rsample((k,)) if self.estimator == "pathwise" else q.sample((k,))    # (k, batch, latent)
        log_px = self.log_likelihood(x, z)                                          # (k, batch)
        reconstruction = log_px.mean(0)
        if kl == "analytic":
            kl_term = self.kl_to_prior(q)                                           # exact, (batch,)
        else:
            log_ratio = q.log_prob(z).sum(-1) - self.prior(x).log_prob(z).sum(-1)   # (k, batch)
            kl_term = log_ratio.mean(0)
        if self.estimator == "score":   # give each part its REINFORCE gradient; values are unchanged
            log_q = q.log_prob(z).sum(-1)        # (k, batch); the draws z carry no gradient (q.sample())
            reconstruction = dice_surrogate(log_px, log_q, _baseline(log_px)).mean(0)
            if kl == "mc":
                kl_term = dice_surrogate(log_ratio, log_q, _baseline(log_ratio)).mean(0)
        return ELBO(reconstruction - kl_term, reconstruction, kl_term)

    def log_weights(self, x, k):
        """log w_i = log p(x | z_i) + log p(z_i) - log q(z_i | x) for k draws z_i ~ q(z | x): shape (k, batch)."""
        q = self.encode(x)
        prior = self.prior(x)
        z = q.rsample((k,)) if self.estimator == "pathwise" else q.sample((k,))
        return self.log_likelihood(x, z) + prior.log_prob(z).sum(-1) - q.log_prob(z).sum(-1)

    def iwae_bound(self, x, k):
        """log (1/k) sum_i w_i for each row of x (Burda et al. 2016): >= the ELBO on average, rising with k.

        Differentiable with the pathwise estimator (training on it gives the IWAE). For k in
        the hundreds, call it on a few dozen rows at a time: it decodes k * batch codes.
        """
        if self.estimator == "score" and is_grad_enabled():
            raise ValueError("iwae_bound: with estimator='score' the draws carry no gradient, so the encoder's "
                             "gradient of this bound would be wrong; evaluate it under mg.no_grad(), or train "
                             "on elbo(), or use estimator='pathwise'")
        return ops.logsumexp(self.log_weights(x, k), axis=0) - math.log(k)

    # ------------------------------------------------------------ pictures
    @no_grad()
    def sample(self, n, mean=True):
        """n images from the model: decode z ~ p(z). With ``mean`` (the default, what figures show)
        the decoder's mean (pixel probabilities for Bernoulli), else a draw from p(x | z)."""
        z = self.prior(self.parameters()[0]).sample((n, self.latent))   # on the model's dtype and device
        p_x = self.decode(z)
        return p_x.mean if mean else p_x.sample()

    @no_grad()
    def reconstruct(self, x):
        """The decoder's mean at the posterior mean z = loc(x): how the model redraws x."""
        return self.decode(self.encode(x).loc).mean
