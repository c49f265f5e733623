"""The semi-supervised VAE M2 (Kingma, Rezende, Mohamed & Welling, "Semi-Supervised Learning with
Deep Generative Models", NeurIPS 2014, section 2.2; arXiv:1406.5298).

The model. An image x is drawn from a class y and a style z:

    p(y) = Cat(y; 1/K),   p(z) = N(0, I),   p(x | y, z) = prod_j Bernoulli(x_j; sigmoid(l_j(y, z)))

with the logits l(y, z) from an MLP that reads z and the one-hot vector of y. The inference
model has two parts: a classifier q(y | x) = Cat(y; pi(x)) and an encoder
q(z | x, y) = N(loc(x, y), diag scale(x)^2), whose variance reads the image alone (the paper's
equation 4).

A labelled digit. x and y are observed, only z is latent; the ELBO of the VAE with p(y) added:

    log p(x, y) >= L(x, y) = E_q(z|x,y)[log p(x | y, z)] + log p(y) - KL(q(z | x, y) || p(z)).

An unlabelled digit. y is latent too. With q(y, z | x) = q(y | x) q(z | x, y) the ELBO is

    log p(x) >= E_q(y,z|x)[log p(x, y, z) - log q(y | x) - log q(z | x, y)]
              = sum_y q(y | x) L(x, y) - sum_y q(y | x) log q(y | x)
              = sum_y q(y | x) L(x, y) + H(q(y | x)) = U(x)

(the paper's equation 7). y takes K values, so the expectation over it is a sum of K terms,
computed, not drawn: the classifier's gradient flows through the weights q(y | x) and the
entropy, and no score-function estimator is needed for the discrete y. Each L(x, y) still rests
on one draw z = loc + scale * eps (the reparameterization trick) with the KL in closed form
(Kingma & Welling 2014, appendix B), so the gradient of U is unbiased, not exact.

Which q(y | x) is best. Write r(y) = exp L(x, y) / sum_y' exp L(x, y'). Then

    U(x) = log sum_y exp L(x, y) - KL(q(y | x) || r),

so over q(y | x) alone U is largest at q(y | x) = r(y), proportional to exp L(x, y), and its
largest value is log sum_y exp L(x, y) <= log p(x) (each L(x, y) <= log p(x, y)). L already
holds log p(y): the optimal q is exp L, not p(y) exp L, which would count the prior twice. Were
every L(x, y) equal to log p(x, y), r would be the posterior p(y | x). That is how an unlabelled
digit teaches the classifier: it is pulled towards the class the decoder would use to draw x.

The classification term. q(y | x) does not appear in L(x, y), so labels alone would never
train it. The paper's equation 9 adds their log-likelihood, weighted by alpha:

    J^alpha = sum_labelled L(x, y) + sum_unlabelled U(x) + alpha E_labelled[log q(y | x)],

to maximize, with alpha = 0.1 N in the paper (N training digits, labelled or not). The
expectation is an average over the N_l labels, so each label's log q weighs alpha / N_l times
its L. One batch of b_l labelled and b_u unlabelled digits estimates J^alpha / N without bias:

    (1/N) (N_l/b_l sum_batch_l L + N_u/b_u sum_batch_u U + alpha/b_l sum_batch_l log q(y | x)).
"""
import math
from typing import NamedTuple

import numpy

from .. import ops
from ..autograd import no_grad
from ..distributions import Bernoulli, Categorical, Normal
from ..nn import ACTIVATIONS, MLP, Linear, Module
from ..tensor import Tensor, tensor


class Bounds(NamedTuple):
    """The unlabelled bound of each digit and what it is made of (``M2.unlabelled_bound``)."""
    bound: Tensor       # U(x), shape (batch,)
    elbo: Tensor        # L(x, y) for every class y, shape (batch, classes): one draw of z each
    probs: Tensor       # q(y | x), shape (batch, classes)
    entropy: Tensor     # H(q(y | x)), shape (batch,)


class Objective(NamedTuple):
    """J^alpha / N estimated on one batch (``M2.objective``), to maximize, and its three terms (batch means)."""
    objective: Tensor        # scalar
    labelled_elbo: Tensor    # mean L(x, y) over the labelled batch
    unlabelled_bound: Tensor  # mean U(x) over the unlabelled batch
    label_log_q: Tensor      # mean log q(y | x) of the labels


class M2(Module):
    """Kingma et al.'s M2: p(y) p(z) p(x | y, z), with q(y | x) and q(z | x, y) = N(loc(x, y), diag scale(x)^2).

    x_dim       pixels of a flattened image (784 for MNIST), each 0 or 1
    hidden      width of the one hidden layer of every network (the paper: 500)
    latent      size of the style z (the paper: 50)
    classes     number of classes K; p(y) = 1/K
    activation  a name of ``mg.nn.ACTIVATIONS`` (the paper: softplus)

    An MLP that reads the concatenation [x, one_hot(y)] computes x @ W_x + one_hot(y) @ W_y + b
    in its first layer; it is written so here, because the part that reads x, the expensive one,
    is then computed once per image and shared by the K classes of an unlabelled digit (the
    variance head reads it alone). ``classifier`` is q(y | x) as logits: after training it is the
    classifier one tests.
    """

    def __init__(self, x_dim=784, hidden=500, latent=50, classes=10, activation="softplus",
                 dtype=None, device=None):
        if activation not in ACTIVATIONS:
            raise ValueError(f"M2: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.x_dim, self.hidden, self.latent, self.classes = x_dim, hidden, latent, classes
        self.act = ACTIVATIONS[activation]()
        # q(y | x): a classifier giving logits
        self.classifier = MLP([x_dim, hidden, classes], activation, dtype=dtype, device=device)
        # q(z | x, y): first layer x @ W_x + one_hot(y) @ W_y + b, then heads for loc (from x and y)
        # and the log-variance (from x alone)
        self.enc_x = Linear(x_dim, hidden, dtype=dtype, device=device)
        self.enc_y = Linear(classes, hidden, bias=False, dtype=dtype, device=device)
        self.enc_loc = Linear(hidden, latent, dtype=dtype, device=device)
        self.enc_log_var = Linear(hidden, latent, dtype=dtype, device=device)
        # p(x | y, z): first layer z @ W_z + one_hot(y) @ W_y + b, then one logit per pixel
        self.dec_z = Linear(latent, hidden, dtype=dtype, device=device)
        self.dec_y = Linear(classes, hidden, bias=False, dtype=dtype, device=device)
        self.dec_out = Linear(hidden, x_dim, dtype=dtype, device=device)

    # ------------------------------------------------------------ the distributions
    def _check_images(self, x, op):
        if x.ndim != 2 or x.shape[-1] != self.x_dim:
            raise ValueError(f"M2.{op}: x must have shape (batch, {self.x_dim}), got {tuple(x.shape)}")

    def classify(self, x):
        """q(y | x) for images x of shape (batch, x_dim): a Categorical over the classes."""
        self._check_images(x, "classify")
        return Categorical(logits=self.classifier(x), validate_args=False)

    def one_hot(self, y, like):
        """Class indices y (an integer array or tensor, any shape) as one-hot rows of like's dtype and device."""
        y = y.numpy() if isinstance(y, Tensor) else numpy.asarray(y)
        if y.size and (y.min() < 0 or y.max() >= self.classes or not numpy.issubdtype(y.dtype, numpy.integer)):
            raise ValueError(f"M2.one_hot: classes must be integers in 0..{self.classes - 1}, "
                             f"got {y.dtype} values from {y.min()} to {y.max()}")
        return tensor(numpy.eye(self.classes)[y], dtype=like.dtype, device=like.device)

    def every_class(self, like):
        """The one-hot rows of all K classes as shape (K, 1, K): broadcast against a batch, (K, batch, ...)."""
        return ops.eye(self.classes, dtype=like.dtype, device=like.device).reshape(self.classes, 1, self.classes)

    def encode(self, x, y_hot, x_part=None):
        """q(z | x, y) for images x (batch, x_dim) and one-hot classes y_hot (..., batch, classes).

        ``x_part`` is x @ W_x + b when the caller has it already (the K classes of one image share it).
        """
        x_part = self.enc_x(x) if x_part is None else x_part
        loc = self.enc_loc(self.act(x_part + self.enc_y(y_hot)))      # (..., batch, latent)
        log_var = self.enc_log_var(self.act(x_part))                   # (batch, latent): from x alone
        return Normal(loc, ops.exp(0.5 * log_var), validate_args=False)

    def decode(self, y_hot, z):
        """p(x | y, z): one coin per pixel, for codes z and one-hot classes y_hot of matching batch shape."""
        logits = self.dec_out(self.act(self.dec_z(z) + self.dec_y(y_hot)))
        return Bernoulli(logits=logits, validate_args=False)

    def log_prior_y(self):
        """log p(y) = -log K for every class (a uniform prior, as in the paper)."""
        return -math.log(self.classes)

    # ------------------------------------------------------------ the two bounds
    def labelled_bound(self, x, y_hot, x_part=None):
        """L(x, y) = log p(x | y, z) + log p(y) - KL(q(z | x, y) || p(z)), with one draw z ~ q(z | x, y).

        x (batch, x_dim); y_hot (..., batch, classes), one-hot (``one_hot``). Returns shape (..., batch).
        """
        self._check_images(x, "labelled_bound")
        q = self.encode(x, y_hot, x_part)
        z = q.rsample()                                                # loc + scale * eps: the pathwise gradient
        log_px = self.decode(y_hot, z).log_prob(x).sum(-1)
        kl = ops.kl_to_standard_normal(q.loc, q.scale).sum(-1)        # Kingma & Welling 2014, appendix B
        return log_px + self.log_prior_y() - kl

    def unlabelled_bound(self, x):
        """U(x) = sum_y q(y | x) L(x, y) + H(q(y | x)), the sum over the K classes done exactly.

        The K labelled bounds come from one pass: ``every_class`` has shape (K, 1, K) and broadcasts
        against the batch, giving L of shape (K, batch), returned transposed as (batch, K).
        """
        q_y = self.classify(x)
        elbo = self.labelled_bound(x, self.every_class(x), x_part=self.enc_x(x)).T    # (batch, classes)
        entropy = q_y.entropy()
        return Bounds((q_y.probs * elbo).sum(-1) + entropy, elbo, q_y.probs, entropy)

    def objective(self, x_l, y_l, x_u, n_labelled, n_unlabelled, alpha):
        """J^alpha / N estimated from one labelled batch (x_l, y_l) and one unlabelled batch x_u: to maximize.

        N = n_labelled + n_unlabelled, the sizes of the whole training set (not of the batches), so
        that the estimate is unbiased for the paper's equation 9 divided by N (nats per digit).
        """
        n = n_labelled + n_unlabelled
        elbo_l = self.labelled_bound(x_l, self.one_hot(y_l, x_l)).mean()
        log_q = self.classify(x_l).log_prob(y_l).mean()
        bound_u = self.unlabelled_bound(x_u).bound.mean()
        gain = (n_labelled * elbo_l + n_unlabelled * bound_u + alpha * log_q) / n
        return Objective(gain, elbo_l, bound_u, log_q)

    # ------------------------------------------------------------ a tighter estimate, for checks
    @no_grad()
    def log_marginal(self, x, k=100):
        """An importance-sampled estimate of log p(x) = log sum_y p(y) p(x | y), shape (batch,).

        With k draws z_i ~ q(z | x, y) for each class:
        log sum_y p(y) (1/k) sum_i p(x | y, z_i) p(z_i) / q(z_i | x, y). Its expectation is a lower
        bound too (Burda, Grosse & Salakhutdinov 2016), at least U(x)'s and rising towards log p(x)
        as k grows.
        """
        self._check_images(x, "log_marginal")
        every_class = self.every_class(x)
        q = self.encode(x, every_class, self.enc_x(x))                   # loc (classes, batch, latent)
        z = q.sample((k,))                                                # (k, classes, batch, latent)
        prior = Normal(0.0, 1.0, validate_args=False)
        log_w = (self.decode(every_class, z).log_prob(x).sum(-1) + prior.log_prob(z).sum(-1)
                 - q.log_prob(z).sum(-1))                                 # (k, classes, batch)
        log_px_given_y = ops.logsumexp(log_w, axis=0) - math.log(k)       # (classes, batch)
        return ops.logsumexp(log_px_given_y + self.log_prior_y(), axis=0)
