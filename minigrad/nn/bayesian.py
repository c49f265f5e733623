"""A dense layer whose weights are random: a Gaussian for every weight and bias (Bayes by Backprop).

:class:`BayesianLinear` is :class:`~minigrad.nn.Linear` with each weight and bias replaced by
an independent Gaussian, the *mean-field* posterior of Blundell, Cornebise, Kavukcuoglu &
Wierstra (2015), "Weight Uncertainty in Neural Networks", arXiv:1505.05424:

    q(W_ji) = N(weight_loc_ji, softplus(weight_rho_ji)^2),   q(b_j) = N(bias_loc_j, softplus(bias_rho_j)^2).

The standard deviation is stored through rho, sigma = softplus(rho) = log(1 + e^rho), so that the
optimizer moves rho over the whole real line while sigma stays positive (their section 3.2).
Weights have Linear's layout, (out_features, in_features), and a draw of the layer computes
``x @ W.T + b``. The chapter "Bayesian neural networks" (docs/bnn.md) derives the ELBO these
layers are trained on and measures the estimators below against each other.
"""
import math

from .. import random as mgrandom
from ..ops import einsum, full, log, sqrt, zeros
from . import functional as F
from .layers import check_input_dtype
from .module import Module, Parameter


class BayesianLinear(Module):
    """y = x @ W.T + b with W and b drawn from independent Gaussians; each forward pass draws anew.

    Parameters: ``weight_loc`` and ``weight_rho`` of shape (out_features, in_features), PyTorch's
    Linear layout; ``bias_loc`` and ``bias_rho`` of shape (out_features,). sigma = softplus(rho).
    The means start as Linear's weights, U(-1/sqrt(in), 1/sqrt(in)), the bias means at 0, and
    every sigma at ``init_scale``. The prior is N(0, prior_scale^2) for every weight and bias.

    ``estimator`` says how a forward pass on a batch x of shape (..., in_features) draws the
    noise; every row of x gets outputs with the same distribution, the one drawing W and b from
    q gives. The estimators differ in how the rows of a batch are correlated, hence in the
    variance of a minibatch gradient, and in cost. With mu, sigma the weights' means and
    standard deviations, eps standard normal and ``*`` elementwise:

    - ``"reparam"``, plain reparameterization (Blundell et al. 2015): one W = mu + sigma * E
      for the whole batch, y = x @ W.T + b. Every row sees the same weights, so the rows'
      gradients are correlated and a larger batch removes less noise.
    - ``"local"``, the local reparameterization trick (Kingma, Salimans & Welling 2015,
      "Variational Dropout and the Local Reparameterization Trick", arXiv:1506.02557). For a
      fixed x, the pre-activation y_j = sum_i x_i W_ji + b_j is a sum of independent Gaussians,
      hence Gaussian; its mean is sum_i x_i mu_ji + mu_b_j (linearity of the mean) and its
      variance sum_i x_i^2 sigma_ji^2 + sigma_b_j^2 (variances of independent terms add, and
      Var(x_i W_ji) = x_i^2 Var(W_ji)). So draw y directly, independently for every row:
      y = x @ mu.T + mu_b + sqrt(x^2 @ (sigma^2).T + sigma_b^2) * eps. Two matrix products, one
      draw per output instead of one per weight, and independent rows: in distribution, each
      row gets its own weight matrix.
    - ``"flipout"`` (Wen, Vicol, Ba, Tran & Grosse 2018, "Flipout: Efficient Pseudo-Independent
      Weight Perturbations on Mini-Batches", arXiv:1803.04386). Draw one perturbation
      dW = sigma * E and db = sigma_b * e for the batch and give each row n its own version by
      random signs s_n in {-1, +1}^in and r_n in {-1, +1}^out:
      y_n = x_n @ mu.T + mu_b + ((x_n * s_n) @ dW.T + db) * r_n. Row n uses the weights
      mu + dW * (r_n s_n^T): entry (j, i) of dW has its sign flipped by r_nj s_ni. Each entry of
      dW is symmetric about 0 and independent of the others and of the signs, so the flipped
      matrix has the distribution of dW, and every row sees weights drawn from q exactly. Two
      rows' perturbations are uncorrelated, E[r_nj r_mj] = 0 for n != m, even for equal inputs.
      It needs only a perturbation symmetric about 0, no Gaussian algebra, so it also serves
      where weights are shared (convolutions, recurrences); two matrix products.
    - ``"per-example"``: a whole W and b drawn for every row (``in * out`` draws per row), the
      independence the local trick gives in distribution, at the batch's multiple of the cost;
      for measuring the others against.
    - ``"mean"``: no noise, W = mu and b = mu_b (the network at its means).

    A forward pass draws in every mode but "mean", in training and in ``eval()`` alike: a
    prediction averages over passes (set ``estimator = "mean"`` for the means). ``kl()`` is
    KL(q || prior), summed over the weights and biases, in closed form.
    """

    ESTIMATORS = ("reparam", "local", "flipout", "per-example", "mean")

    def __init__(self, in_features, out_features, prior_scale=1.0, init_scale=0.05, estimator="local",
                 dtype=None, device=None):
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ValueError(f"BayesianLinear: {name} must be an integer >= 1, got {n!r}")
        for name, scale in (("prior_scale", prior_scale), ("init_scale", init_scale)):
            if not (isinstance(scale, (int, float)) and scale > 0 and math.isfinite(scale)):
                raise ValueError(f"BayesianLinear: {name} is a standard deviation, a number > 0, got {scale!r}")
        self.in_features, self.out_features = in_features, out_features
        self.prior_scale, self.estimator = float(prior_scale), _check_estimator(estimator)
        bound = 1.0 / math.sqrt(in_features)
        rho = math.log(math.expm1(init_scale))          # softplus(rho) = init_scale
        shape = (out_features, in_features)
        self.weight_loc = Parameter(mgrandom.uniform(-bound, bound, shape, dtype=dtype, device=device))
        self.weight_rho = Parameter(full(shape, rho, dtype=dtype, device=device))
        self.bias_loc = Parameter(zeros((out_features,), dtype=dtype, device=device))
        self.bias_rho = Parameter(full((out_features,), rho, dtype=dtype, device=device))

    def forward(self, x):
        check_input_dtype(self, x, self.weight_loc)
        estimator = _check_estimator(self.estimator)
        weight_scale, bias_scale = F.softplus(self.weight_rho), F.softplus(self.bias_rho)
        if estimator == "reparam":                 # one draw of the weights for the whole batch
            weight = self.weight_loc + weight_scale * self._noise(self.weight_loc.shape)
            bias = self.bias_loc + bias_scale * self._noise(self.bias_loc.shape)
            return F.linear(x, weight, bias)
        mean = F.linear(x, self.weight_loc, self.bias_loc)
        if estimator == "mean":
            return mean
        if estimator == "local":                   # the pre-activations, drawn for every row
            variance = F.linear(x * x, weight_scale * weight_scale, bias_scale * bias_scale)
            return mean + sqrt(variance) * self._noise(mean.shape)
        if estimator == "flipout":                 # one perturbation, its signs flipped for every row
            delta_weight = weight_scale * self._noise(self.weight_loc.shape)
            delta_bias = bias_scale * self._noise(self.bias_loc.shape)
            s, r = self._signs(x.shape), self._signs(mean.shape)
            return mean + F.linear(x * s, delta_weight, delta_bias) * r
        # "per-example": a whole weight matrix and bias for every row
        batch = x.shape[:-1]
        weight = self.weight_loc + weight_scale * self._noise((*batch, *self.weight_loc.shape))
        bias = self.bias_loc + bias_scale * self._noise((*batch, *self.bias_loc.shape))
        return einsum("...i,...oi->...o", x, weight) + bias

    def _noise(self, shape):
        """Standard normal draws of ``shape``, in the parameters' dtype and on their device."""
        return mgrandom.normal(size=shape, dtype=self.weight_loc.dtype, device=self.weight_loc.device)

    def _signs(self, shape):
        """Independent +1 / -1 with probability 1/2 each (Rademacher), in the parameters' dtype."""
        return mgrandom.bernoulli(0.5, shape, dtype=self.weight_loc.dtype, device=self.weight_loc.device) * 2.0 - 1.0

    def kl(self):
        """KL(q || p) summed over the weights and biases, with p = N(0, prior_scale^2) for each.

        For one weight, KL(N(mu, s^2) || N(0, sp^2)) = log(sp / s) + (s^2 + mu^2) / (2 sp^2) - 1/2
        (the Gaussian KL of Kingma & Welling 2014, appendix B, with a prior of scale sp), written
        as 1/2 (t^2 + z^2 - 1) - log t with t = s / sp and z = mu / sp, as
        ``mg.distributions.kl_divergence`` computes it for two Normals.
        """
        total = 0.0
        for loc, rho in ((self.weight_loc, self.weight_rho), (self.bias_loc, self.bias_rho)):
            ratio = F.softplus(rho) / self.prior_scale
            z = loc / self.prior_scale
            total = total + (0.5 * (ratio * ratio + z * z - 1.0) - log(ratio)).sum()
        return total

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"prior_scale={self.prior_scale}, estimator={self.estimator!r}")


def _check_estimator(estimator):
    if estimator not in BayesianLinear.ESTIMATORS:
        raise ValueError(f"BayesianLinear: unknown estimator {estimator!r}; "
                         f"use one of {', '.join(map(repr, BayesianLinear.ESTIMATORS))}")
    return estimator
