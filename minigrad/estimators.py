"""Monte Carlo estimators of the gradient of an expectation, grad_theta E_{x ~ p(x; theta)}[f(x)].

The expectation's integrand depends on theta through the *distribution*, so we cannot
just sample x and backpropagate through f(x): the sampling step has no derivative.
There are three classic ways around it (Mohamed, Rosca, Figurnov & Mnih 2020, "Monte
Carlo Gradient Estimation in Machine Learning", JMLR 21):

  pathwise         x = g(eps; theta) with parameter-free noise eps, so
                   grad E[f(x)] = E_eps[grad_theta f(g(eps; theta))]        (needs f' and rsample)
  score function   grad p = p grad log p, so
                   grad E[f(x)] = E[f(x) grad log p(x; theta)]              (any f; needs log_prob)
  measure-valued   grad p = c (p+ - p-) for two densities p+, p-, so
                   grad E[f(x)] = c (E_{p+}[f] - E_{p-}[f])                  (any f; per family)

Each function here draws ``n`` samples and returns a *surrogate*: a scalar built on the
tape whose value is a Monte Carlo estimate of E[f(x)] (summed over the batch of
distributions) and whose ``.backward()`` leaves the chosen estimator of grad E[f(x)] in
the ``.grad`` of the parameters (and of anything upstream of them, by the chain rule).

``f`` maps a batch of samples, shape (n,) + batch_shape + event_shape, to values of shape
(n,) + batch_shape; parameters inside f (a decoder, say) also get gradients. Each element
of the batch is its own expectation: value j of f may depend only on sample j. (Pathwise
gradients would still be right if it did not, but the score-function and measure-valued
estimators weight each value by the density of its own sample only, so they would not.)

The surrogate of the score-function estimators is DiCE's (Foerster, Farquhar,
Al-Shedivat, Rocktaeschel, Xing & Whiteson 2018, "DiCE: The Infinitely Differentiable
Monte Carlo Estimator", ICML): with the "magic box"

    box(l) = exp(l - l.detach())                      value exp(0) = 1,   d box = box * d l,

and l = log q(x) of the draws that f depends on,

    f * box(l) + (1 - box(l)) * b

has the value f, and differentiating it any number of times gives an unbiased estimate
of that derivative of E[f] (the baseline term, of Loaded DiCE, Farquhar et al. 2019, and
Mao et al. 2019, has value 0 and expectation 0 at every order). Why: d box = box d l and
box evaluates to 1, so each differentiation of f box brings down one more factor, exactly
as differentiating p = q(x) under the integral does, d(f q) = (d f + f d log q) q:

    first order   d (f box)  = (d f + f d l) box
    second order  d2 (f box) = (d2 f + d f d l + d l d f + f (d l d l + d2 l)) box

and E_q[d2 f + d f d l + d l d f + f (d l d l + d2 l)] = d2 E_q[f], the score-function form of
the second derivative. The older surrogate f + (w - b)(l - l.detach()) of Schulman, Heess,
Weber & Abbeel (2015, "Gradient Estimation Using Stochastic Computation Graphs") has the
right first derivative, but its second is (w - b) d2 l: it drops f d l d l (differentiated
twice in mu, E_{N(mu, 1)}[x^2] gives -1 - mu^2 instead of 2).
"""
import math
import numbers

import numpy

from . import autograd, random
from .autograd import no_grad
from .distributions import Bernoulli, Categorical, Normal
from .distributions.categorical import gumbel_noise, one_hot
from .distributions.logistic import logistic_noise
from .ops import log1p, sigmoid, softmax, softplus, where
from .tensor import Tensor, tensor


def magic_box(x):
    """exp(x - x.detach()): 1 in value, and d box = box * d x at every order (DiCE's "magic box").

    Foerster et al. (2018). Multiplying a cost f by box(sum of the log-probabilities of
    the draws f depends on) leaves its value unchanged and makes every derivative of the
    product an unbiased estimate of that derivative of E[f] (see the module docstring
    and dice_surrogate).
    """
    box = (x - x.detach()).exp()
    return autograd.label(box, "magic_box: value 1, d box = box d(log q)")   # for mg.viz: where a score enters


def dice_surrogate(f, log_q, baseline=0.0):
    """f * box(log_q) + (1 - box(log_q)) * baseline: value f, and the score-function derivatives of E[f] of every order.

    ``f``: the cost of each draw, with whatever graph it has (parameters inside f get
    their own gradient, box being 1); ``log_q``: the log-probability of the draw(s) that
    f depends on, of f's shape (sum it over the draws of one sample first); ``baseline``:
    b, held constant (detached), independent of the draw it is paired with.

    Value: f, because box = 1. Gradient: box (grad f + f grad log q) - box b grad log q
    = grad f + (f - b) grad log q, the score-function estimator with a baseline. The
    baseline term (1 - box) b is Loaded DiCE's (Farquhar et al. 2019; Mao et al. 2019):
    it is 0 in value, and its k-th derivative is -b times that of box, which evaluates to
    (d^k q) / q, whose expectation is integral d^k q dx = d^k 1 = 0 (when the support of
    q does not move with its parameters): it changes no expectation, at any order, and
    lowers the variance.
    """
    box = magic_box(log_q)
    if isinstance(baseline, numbers.Real) and baseline == 0:
        return f * box
    return f * box + (1.0 - box) * baseline


def _check_samples(n, caller, at_least=1):
    if not isinstance(n, (int, numpy.integer)) or n < at_least:
        raise ValueError(f"{caller}: the number of samples n must be an int >= {at_least}, got {n!r}")


# ---------------------------------------------------------------- pathwise

def pathwise(f, dist, n=1):
    """The pathwise (reparameterization) estimator: mean over n samples of grad_theta f(g(eps; theta)).

    Identity: if x = g(eps; theta) with eps ~ p(eps) free of theta, then
        grad_theta E_{p(x; theta)}[f(x)] = E_{p(eps)}[grad_x f(x) grad_theta g(eps; theta)],
    the change of variables p(x) dx = p(eps) deps (Kingma & Welling 2014; Rezende et al. 2014).

    Needs: f differentiable in x (written with minigrad ops), and a distribution with
    rsample (``dist.has_rsample``). It is all backpropagation: x = dist.rsample() is a
    node of the tape, so the surrogate is simply the sample mean of f.
    """
    _check_samples(n, "pathwise")
    if not dist.has_rsample:
        raise ValueError(f"pathwise: {type(dist).__name__} cannot be reparameterized (no rsample); "
                         "use score_function, or a relaxation such as RelaxedBernoulli")
    x = dist.rsample((n,))
    return f(x).sum() / n


# ---------------------------------------------------------------- score function

def score_function(f, dist, n=1, baseline=None, context=None):
    """The score-function (REINFORCE, likelihood-ratio) estimator, with an optional baseline b:

        mean over n samples of  (f(x_i) - b_i) grad_theta log p(x_i; theta),   x_i ~ p(x; theta)

    Identity: grad p = p grad log p, so grad E[f] = integral f grad p dx = E[f grad log p]
    (Glynn 1990; Williams 1992). A baseline leaves it unbiased because E[grad log p] = 0:
    E[b grad log p] = b grad integral p dx = b grad 1 = 0, as long as b_i does not depend on x_i.

    Needs: log_prob differentiable in the parameters, and a support that does not depend
    on them: the identity swaps grad and the integral over the support, which leaves out
    the boundary's motion (Uniform(low, high) with low or high requiring grad is refused;
    its gradient in high would come out as -E[f] / (high - low) where d/dhigh E[x] is +1/2;
    use pathwise there). f is only evaluated (it may be non-differentiable, discrete, a
    simulator). Works for discrete distributions too. The samples carry no graph
    (``dist.sample``).

    The surrogate is DiCE's (see dice_surrogate): mean over the samples of
    f(x_i) box(log p(x_i)) + (1 - box(log p(x_i))) b_i, whose value is the sample mean of f
    and whose derivatives of every order (``create_graph=True``, Hessians) are unbiased,
    with or without a baseline.

    ``baseline``:
      None                the plain estimator (b = 0);
      a number or tensor  a constant b (broadcast over samples);
      "leave_one_out"     b_i = mean of f over the other n - 1 samples (needs n >= 2);
      "optimal"           the variance-minimizing constant of Mohamed et al. (2020, eq. 65),
                          estimated from the other n - 1 samples (see optimal_baseline);
      a Baseline          MovingAverageBaseline, LeaveOneOutBaseline, OptimalBaseline,
                          LearnedBaseline, NVILBaseline (or anything with their protocol):
                          ``b, loss = baseline(values, context)``, b read before the
                          baseline learns from these values; a loss (a learned baseline's
                          squared error) is added to the surrogate with value 0 and its own
                          gradient. A ``scale`` (NVIL's variance normalisation, read before
                          the update) multiplies the score term: the gradient is
                          grad f + scale (f - b) grad log p, an unbiased estimate of
                          grad E[f] times that positive step size.

    ``context``: what the distribution was computed from (the data points an encoder saw), for
    an input-dependent baseline; never the draw.
    """
    needs_two = (isinstance(baseline, str) and baseline in ("leave_one_out", "optimal")
                 or isinstance(baseline, (LeaveOneOutBaseline, OptimalBaseline)))
    _check_samples(n, "score_function", at_least=2 if needs_two else 1)
    _check_fixed_support(dist, "score_function")
    x = dist.sample((n,))
    values = f(x)                       # may carry gradients to parameters inside f
    scale = getattr(baseline, "scale", 1.0)   # read, like b, before the baseline sees these values
    b, baseline_loss = _baseline(baseline, dist, x, values.detach(), context)
    log_q = dist.log_prob(x)
    if scale != 1.0:   # box(scale l): value 1, d box = box scale d l, so the score term alone is scaled
        log_q = log_q * scale
    surrogate = dice_surrogate(values, log_q, b).sum() / n
    if baseline_loss is not None:       # value 0, the gradient of the baseline's own loss
        surrogate = surrogate + (baseline_loss - baseline_loss.detach())
    return surrogate


def _check_fixed_support(dist, caller):
    """Refuse a distribution whose support moves with a parameter that requires grad (Uniform's low, high)."""
    moving = [name for name in dist.support_parameters
              if isinstance(dist.parameters[name], Tensor) and dist.parameters[name].requires_grad]
    if moving:
        raise ValueError(
            f"{caller}: the support of {type(dist).__name__} depends on {', '.join(moving)}, which "
            f"require{'s' if len(moving) == 1 else ''} grad; the score-function identity grad E[f] = "
            "E[f grad log p] holds only when the support does not move with the parameters (it "
            "misses the boundary's motion: for Uniform(0, h), d/dh E[x] = +1/2 but the score gives "
            "-1/2). Use the pathwise estimator (mg.estimators.pathwise, rsample) instead")


def _baseline(baseline, dist, x, w, context):
    """(b, loss): the baseline values for weights w of shape (n,) + batch, and a loss to train it (or None)."""
    if baseline is None:
        return 0.0, None
    if isinstance(baseline, (numbers.Real, Tensor)):
        return baseline, None
    if isinstance(baseline, str):
        if baseline == "leave_one_out":
            return leave_one_out(w), None
        if baseline == "optimal":
            return optimal_baseline(dist, x, w), None
        raise ValueError(f"score_function: unknown baseline {baseline!r}; use None, a number, "
                         "'leave_one_out', 'optimal', or a Baseline (MovingAverageBaseline, "
                         "LeaveOneOutBaseline, OptimalBaseline, LearnedBaseline, NVILBaseline)")
    if isinstance(baseline, OptimalBaseline):   # its context is the draws' score norms, which only we can compute
        context = per_sample_score_norms(dist, x)
    return baseline(w, context)


def leave_one_out(w):
    """b_i = (sum_j w_j - w_i) / (n - 1): the mean of the *other* samples, so b_i is independent of x_i.

    (Kool, van Hoof & Welling 2019, "Buy 4 REINFORCE samples, get a baseline for free".)
    """
    n = w.shape[0]
    return (w.sum(0) - w) / (n - 1)


def optimal_baseline(dist, x, w):
    """The variance-minimizing constant baseline b* = E[f(x) |s(x)|^2] / E[|s(x)|^2], s = grad log p(x).

    The variance of (f - b) s is E[(f - b)^2 |s|^2] - |grad E f|^2; setting its derivative
    in b to zero gives b* (Mohamed et al. 2020, section 7.4, eq. 65). We estimate the two
    expectations from the other n - 1 samples (leave one out), so that b_i stays
    independent of x_i and the estimator unbiased.

    With few samples the ratio of two noisy sums is itself noisy (|s|^2 is heavy-tailed),
    and the leave-one-out mean of f can do better in practice; the exact b*, when known,
    can be passed as a number.

    The scores are taken with respect to the distribution's own parameters
    (``dist.parameters`` that require grad, e.g. loc and scale), one per sample: each
    parameter is copied into n rows, row i used only by sample i, so one backward pass
    gives all n scores.
    """
    return OptimalBaseline().read(w, per_sample_score_norms(dist, x))


def per_sample_score_norms(dist, x):
    """|grad_theta log p(x_i; theta)|^2 for each sample i: shape (n,) + batch_shape.

    theta: the tensors in ``dist.parameters`` that require grad (and have batch_shape as
    their leading axes). Nothing is recorded on the caller's graph.
    """
    n = x.shape[0]
    batch = dist.batch_shape
    rows, arguments = [], {}
    for name, value in dist.parameters.items():
        if isinstance(value, Tensor) and value.requires_grad and value.shape[:len(batch)] == batch:
            xp = value.xp
            row = tensor(xp.broadcast_to(value.data, (n,) + value.shape), requires_grad=True)
            rows.append(row)
            arguments[name] = row
        else:
            arguments[name] = value
    if not rows:
        raise ValueError(f"per_sample_score_norms: no parameter of {dist!r} requires grad")
    with autograd.enable_grad():
        copy = type(dist)(**arguments, validate_args=False)
        scores = autograd.grad(copy.log_prob(x.detach()).sum(), rows, materialize_grads=True)
    total = 0.0
    for s in scores:   # sum the squares over each parameter's event axes, keep (n,) + batch
        total = total + (s * s).reshape((n,) + batch + (-1,)).sum(-1)
    return total.detach()


# ---------------------------------------------------------------- baselines: one protocol

class Baseline:
    """What every baseline does: ``read`` a value b for this batch, then ``update`` on the batch.

    The score-function estimator (f - b) grad log q stays unbiased only if b_i does not
    depend on the draw x_i it is paired with: E[b grad log q] = b E[grad log q] = 0 needs b
    fixed before x_i is drawn (or computed from the *other* draws). A baseline that learns
    from the signal (a running average, a network) must therefore use it in this order:

        b = baseline.read(w, context)           # from earlier batches (and other draws) only
        ... the estimate with f - b ...
        loss = baseline.update(w, context)      # now fold this batch's signal in

    ``w``: the detached signal of the batch, shape (n,) + batch_shape, one row per draw
    (n draws per distribution); ``context``: what the distribution was computed from (the
    data point an encoder saw), never the draw. ``update`` returns a loss to minimise (a
    learned baseline's squared error, on the tape) or None. ``baseline(w, context)`` does the
    two in this order and returns ``(b, loss)``: what ``score_function`` calls.

    ``scale`` is the factor by which the centred signal f - b is multiplied (NVIL's variance
    normalisation; 1 for every other baseline). Like b, read it before ``update``.
    """
    scale = 1.0

    def read(self, w, context=None):
        """b for this batch, of w's shape (or one that broadcasts to it), from what came before it
        (and, for leave-one-out baselines, the other draws): never from the draw it is paired with."""
        raise NotImplementedError(f"{type(self).__name__}.read: a baseline says what b it gives")

    def update(self, w, context=None):
        """Fold this batch's signal in, after ``read``; return a loss to minimise (on the tape) or None."""
        return None

    def __call__(self, w, context=None):
        b = self.read(w, context)        # first: b must not see this batch's signal
        return b, self.update(w, context)


def _check_draws(w, caller):
    if w.shape[0] < 2:
        raise ValueError(f"{caller}: needs at least 2 draws per distribution along the first axis "
                         f"(each draw's b comes from the others), got values of shape {tuple(w.shape)}")


class MovingAverageBaseline(Baseline):
    """b = an exponential moving average of the mean signal of the previous batches (0 before the first).

    ``axis=0`` (the default) keeps one average per batch element (the mean over the draws of
    each distribution), for a batch of distributions that stays the same from call to call;
    ``axis=None`` keeps one number for the whole batch (the mean over every axis), for a
    shuffled batch of data, where the k-th element of one batch has nothing to do with the k-th of
    the next. That one number is kept as a Python float (float64).
    """

    def __init__(self, decay=0.9, axis=0):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"MovingAverageBaseline: decay must lie in [0, 1), got {decay}")
        if axis not in (0, None):
            raise ValueError(f"MovingAverageBaseline: axis must be 0 (one average per batch element) or None "
                             f"(one for the whole batch), got {axis!r}")
        self.decay, self.axis = decay, axis
        self.average = None

    def read(self, w, context=None):
        return 0.0 if self.average is None else self.average

    def update(self, w, context=None):
        mean = w.mean(0) if self.axis == 0 else float(w.mean().item())
        self.average = mean if self.average is None else self.decay * self.average + (1.0 - self.decay) * mean
        return None


class LeaveOneOutBaseline(Baseline):
    """b_i = the mean signal of the other n - 1 draws of the same distribution (RLOO; ``leave_one_out``).

    Nothing is learned, so nothing is updated; b_i is independent of draw i because the draws
    are independent (Kool, van Hoof & Welling 2019).
    """

    def read(self, w, context=None):
        _check_draws(w, "LeaveOneOutBaseline")
        return leave_one_out(w)


class OptimalBaseline(Baseline):
    """b_i = sum_{j != i} w_j |s_j|^2 / sum_{j != i} |s_j|^2: the variance-minimizing constant, left one out.

    b* = E[f |s|^2] / E[|s|^2] with s = grad_theta log q(x) (Mohamed et al. 2020, eq. 65; see
    ``optimal_baseline``), each expectation estimated from the other draws. ``context``: the
    squared score norms |s_j|^2, of w's shape (``per_sample_score_norms``; ``score_function``
    computes them).
    """

    def read(self, w, context=None):
        if context is None:
            raise ValueError("OptimalBaseline.read: needs the squared score norms |s_i|^2 as context "
                             "(mg.estimators.per_sample_score_norms(dist, x))")
        _check_draws(w, "OptimalBaseline")
        weighted = w * context
        return (weighted.sum(0) - weighted) / (context.sum(0) - context)


class LearnedBaseline(Baseline):
    """An input-dependent baseline b = net(context), trained to predict f.

    ``net`` is any callable made of minigrad ops (an mg.nn module, or a function of tensors
    that require grad); ``context`` is what the distribution was computed from (the data
    point that an encoder saw, say), never the sample x itself, so b stays independent of
    x. ``update`` returns the squared error (f - b)^2 (summed over the batch, averaged over
    the samples), on the tape; ``score_function`` adds it to the surrogate with value 0, so
    the same ``backward()`` also trains the baseline (the score term uses b detached). The
    context given at construction is used when a call gives none.
    """

    def __init__(self, net, context=None):
        self.net = net
        self.context = context

    def read(self, w, context=None):
        with no_grad():
            return self.net(self.context if context is None else context)

    def update(self, w, context=None):
        error = w - self.net(self.context if context is None else context)
        return (error * error).sum() / w.shape[0]


class NVILBaseline(Baseline):
    """NVIL's baseline, b(x) = c + net(x), and its variance normalisation (Mnih & Gregor 2014, section 3.3).

    Mnih & Gregor ("Neural Variational Inference and Learning in Belief Networks", ICML; arXiv
    1402.0030) make the learning signal l = f - b small and of a steady size in three ways:

    - an input-dependent baseline ``net(x)``, a network of the data point (never of the
      draw), trained to predict the signal by least squares, (l - c - net(x))^2;
    - centering: c, a running mean of the residual l - net(x);
    - variance normalisation: the centred signal is divided by max(1, sqrt(v)), v a running
      variance of that residual, so that the encoder's step does not scale with how large f
      happens to be (``scale`` = 1 / max(1, sqrt(v))).

    ``w``: the signal, shape (n,) + batch_shape (n draws of each of the batch's
    distributions); ``context``: the batch of data points, ``net(context)`` of shape
    batch_shape (or batch_shape + (1,)). ``update`` folds this batch into c and v, with
    weight 1 - ``decay`` (the first batch sets them), and returns the squared error
    mean over the batch of (mean_i w_i - c - net(x))^2, with c the value *before* this
    batch: minimise it (by the same backward as the model's, or by the net's own optimizer)
    to train the network. In Algorithm 1 of the paper c and v take in the batch before they
    are used; here they are read first and updated after, so that b and the scale never depend
    on the draws they are paired with and the estimate stays exactly unbiased (up to the
    positive factor ``scale``). c and v are kept as Python floats (float64).
    """

    def __init__(self, net, decay=0.8):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"NVILBaseline: decay must lie in [0, 1), got {decay}")
        self.net, self.decay = net, decay
        self.mean = self.variance = None       # c and v: nothing seen yet

    def predict(self, context, like):
        """net(context) in the shape ``like`` (batch_shape), on the tape."""
        b = self.net(context)
        return b if b.shape == like.shape else b.reshape(like.shape)

    def read(self, w, context=None):
        with no_grad():
            b = self.predict(context, w[0])
        return b if self.mean is None else b + self.mean

    @property
    def scale(self):
        """1 / max(1, sqrt(v)): the variance normalisation, 1 before the first update."""
        return 1.0 if self.variance is None else 1.0 / max(1.0, self.variance ** 0.5)

    def update(self, w, context=None):
        target = w.mean(0)                              # the signal of each data point
        residual = target - self.predict(context, target)   # l - net(x), on the tape
        centred = residual if self.mean is None else residual - self.mean
        loss = (centred * centred).mean()               # regress net(x) on l - c
        r = residual.detach()
        mean, variance = float(r.mean().item()), float(((r - r.mean()) ** 2).mean().item())
        if self.mean is None:
            self.mean, self.variance = mean, variance
        else:
            self.mean = self.decay * self.mean + (1 - self.decay) * mean
            self.variance = self.decay * self.variance + (1 - self.decay) * variance
        return loss


def bias_and_variance(samples, reference, reference_noise=0.0):
    """(bias^2, variance) of R gradient estimates against a reference, both relative to |reference|^2.

    ``samples``: NumPy array (R, ...) of independent estimates; ``reference``: (...), the
    true gradient or an unbiased estimate of it whose own variance is ``reference_noise``
    (in the units of |reference|^2 before division). variance = sum of the per-component
    sample variances (the expected squared distance of one estimate from its mean);
    bias^2 = |mean - reference|^2 less the noise of the two means, variance / R and
    ``reference_noise``, so that it is an unbiased estimate of |E estimate - true|^2 (it can
    come out below 0 when the bias is below the noise). bias^2 + variance is the mean squared
    error of one estimate.
    """
    r = samples.shape[0]
    if r < 2:
        raise ValueError(f"bias_and_variance: needs at least 2 estimates along the first axis, got {samples.shape}")
    mean = samples.mean(0)
    scale = float((reference ** 2).sum())
    variance = float(((samples - mean) ** 2).sum()) / (r - 1)
    bias2 = float(((mean - reference) ** 2).sum()) - variance / r - reference_noise
    return bias2 / scale, variance / scale


# ---------------------------------------------------------------- measure-valued (Gaussian)

def measure_valued(f, normal, n=1):
    """The measure-valued estimator of d/dloc and d/dscale of E_{N(loc, scale^2)}[f(x)], with coupling.

    Identity: write the derivative of the density as a difference of two densities,
    d/dtheta p(x; theta) = c_theta (p+(x) - p-(x)); then
        d/dtheta E_p[f] = c_theta (E_{p+}[f] - E_{p-}[f])     (weak derivatives; Pflug 1989).
    For the Gaussian, with standardized w = (x - loc) / scale:
      loc:   d/dloc N = (w / scale) N splits into its positive and negative halves,
             loc +/- scale W with W ~ Weibull(scale sqrt 2, shape 2) (the Rayleigh
             density w e^{-w^2/2}), and c = 1 / (scale sqrt(2 pi));
      scale: d/dscale N = ((w^2 - 1) / scale) N = (1/scale) (M-density - N-density), with
             M ~ double-sided Maxwell (density w^2 e^{-w^2/2} / sqrt(2 pi)), c = 1 / scale.
    Coupling (common random numbers): the + and - sides share their noise, W for both
    sides of loc, and eps = M U with U ~ U(0, 1) for scale (M U is exactly N(0, 1)), so
    the difference f(+) - f(-) is small where f is smooth.

    Needs: f only evaluated (it may be non-differentiable); a Normal (the decomposition is
    per family). Costs 4 evaluations of f per sample. First derivatives only: the weights
    f(+) - f(-) are constants, so a backward with ``create_graph=True`` through loc or scale
    raises (a second derivative needs the weak derivatives of the derivative; use
    score_function or pathwise for Hessians). Gradients reach loc and scale (and
    whatever computed them); parameters inside f get the plain Monte Carlo gradient of the
    value term f(loc + scale eps).
    """
    _check_samples(n, "measure_valued")
    if not isinstance(normal, Normal):
        raise TypeError(f"measure_valued: implemented for Normal only, got {type(normal).__name__}")
    loc, scale = normal.loc, normal.scale
    shape = normal.extended_shape((n,))
    with no_grad():
        m_loc, s = loc.detach(), scale.detach()
        w = _rayleigh(shape, loc)                              # |standardized x| on each side of loc
        d_loc = (f(m_loc + s * w) - f(m_loc - s * w)) / (s * math.sqrt(2 * math.pi))
        maxwell = _double_sided_maxwell(shape, loc)
        u = random.uniform(size=shape, dtype=loc.dtype, device=loc.device)
        eps = maxwell * u                                      # a standard normal draw
    value = f(m_loc + s * eps)                                 # E[f] (and gradients for f's own parameters)
    with no_grad():
        d_scale = (f(m_loc + s * maxwell) - value.detach()) / s   # the - side of scale is the value's point
    return (value.sum() + (_first_order_only(loc) * d_loc).sum() + (_first_order_only(scale) * d_scale).sum()) / n


def _first_order_only(x):
    """x - x.detach(): 0 in value, gradient 1 in x, and a backward with create_graph=True through it raises.

    measure_valued multiplies it by its weak-derivative weights, constants computed under
    no_grad: the product has value 0 and the measure-valued first derivative. Its second
    derivative would be 0, which is wrong (a second derivative of E[f] needs the weak
    derivatives of the derivative, another decomposition), so the vjp refuses to build a
    graph of the gradient rather than let a Hessian come out silently wrong.
    """
    def vjp(g, out):
        if autograd.is_grad_enabled():
            raise RuntimeError(
                "measure_valued: its gradient is first-order only (the weak-derivative weights are "
                "constants), so it cannot be differentiated again: a backward with create_graph=True "
                "through it would give a wrong second derivative. For second derivatives use "
                "mg.estimators.pathwise (rsample) or mg.estimators.score_function (DiCE, exact at every order)")
        return g

    held = autograd.apply("first_order_only", x.data, (x, vjp))
    autograd.label(held, "measure-valued term: first-order gradient only")   # for mg.viz
    return held - x.detach()


def _rayleigh(shape, like):
    """Weibull(scale sqrt 2, shape 2) = Rayleigh(1) draws, sqrt(-2 log u) by inverting the CDF."""
    u = random.uniform(size=shape, dtype=like.dtype, device=like.device)
    return (-2.0 * (-u).log1p()).sqrt()                         # 1 - u lies in (0, 1]: log is finite


def _double_sided_maxwell(shape, like):
    """+/- the length of a 3-d standard normal vector (a chi distribution with 3 degrees of freedom), random sign."""
    eps = random.normal(size=tuple(shape) + (3,), dtype=like.dtype, device=like.device)
    length = (eps * eps).sum(-1).sqrt()
    sign = random.uniform(size=shape, dtype=like.dtype, device=like.device) < 0.5
    return length * (sign.astype(like.dtype) * 2.0 - 1.0)


# ---------------------------------------------------------------- REBAR and RELAX (discrete draws)
#
# Score-function estimators whose control variate is a relaxed, reparameterized draw, tuned
# by gradient descent on the estimator's own variance (a gradient of a gradient):
# Tucker, Mnih, Maddison, Lawson & Sohl-Dickstein 2017, "REBAR: Low-variance, unbiased gradient
# estimates for discrete latent variable models" (arXiv:1703.07370), and Grathwohl, Choi, Wu,
# Roeder & Duvenaud 2018, "Backpropagation through the Void: Optimizing control variates for
# black-box gradient estimation" (RELAX, arXiv:1711.00123). The chapter docs/rebar_relax.md
# derives them; the study is demos/rebar_relax.py.

def relaxed_draw(dist, n=1):
    """(b, z): n discrete draws b of a Bernoulli or Categorical and the continuous z they are a step of.

    The Gumbel-max coupling: b is a deterministic step H of a continuous, reparameterizable z,

      Bernoulli(logit l):   z = l + L,            L ~ Logistic(0, 1),  b = H(z) = [z > 0]
      Categorical(pi):      z_k = log pi_k + g_k, g_k ~ Gumbel(0, 1),  b = H(z) = argmax_k z_k

    (P(z > 0) = P(L > -l) = sigmoid(l); the argmax of Gumbel-perturbed log-probabilities is
    a draw of Categorical(pi).) b is returned as f sees it: 0.0/1.0 of shape (n,) + batch for
    a Bernoulli, one-hot vectors of shape (n,) + batch + (K,) for a Categorical (a relaxation
    of b lives on the simplex, so f must take vectors there). z is on the tape (its gradient
    reaches the logits); b carries no graph.
    """
    _check_relaxable(dist, "relaxed_draw")
    _check_samples(n, "relaxed_draw")
    logits = _log_probabilities(dist)
    if isinstance(dist, Bernoulli):
        z = logits + logistic_noise(dist.extended_shape((n,)), logits.dtype, logits.device)
        return Tensor((z.data > 0).astype(z.dtype)), z
    z = logits + gumbel_noise(dist.extended_shape((n,)) + (dist.num_classes,), logits.dtype, logits.device)
    return one_hot(Tensor(z.data.argmax(axis=-1)), dist.num_classes, z.dtype), z


def conditional_relaxed_draw(dist, b):
    """z~ ~ p(z | b): a fresh continuous draw whose step is the given discrete draw b, reparameterized.

    Drawing z, then b = H(z), then z~ from p(z | b) gives z~ with the same distribution as z
    (it is z's distribution, averaged over b) and z~ independent of z given b: so a control
    c(z~) may multiply the score of b (it is as good as a baseline given b), while c(z) and
    c(z~) have the same expectation. Here z~ is written as a differentiable function of the
    logits and of fresh uniform noise v, given b (the inverse CDF of the conditional).

    **Bernoulli**, p = sigmoid(l). Write z = l + logit(u), u ~ U(0, 1): then b = 1 exactly
    when u > 1 - p. Given b, u is uniform on the part of (0, 1) that gives b, so with
    v ~ U(0, 1)

        b = 1:  u' = (1 - p) + p v     (uniform on (1 - p, 1)),   1 - u' = p (1 - v)
        b = 0:  u' = (1 - p) v         (uniform on (0, 1 - p)),   1 - u' = 1 - (1 - p) v

    and z~ = l + logit(u') = l + log u' - log(1 - u'). (Tucker et al. 2017, appendix, and
    Grathwohl et al. 2018, appendix B, write v' = v (1 - theta) + theta ... with theta the
    probability of the other outcome: the same map.) It is computed in logs, with
    log p = -softplus(-l) and log(1 - p) = -softplus(l), so it stays finite for any logit.

    **Categorical**, pi = softmax(logits). Write z_k = log pi_k - log E_k with E_k = -log u_k
    ~ Exp(1), so e^{-z_k} = E_k / pi_k ~ Exp(pi_k), and argmax z = argmin_k E_k / pi_k. The
    minimum of independent exponentials with rates pi_k is Exp(sum pi = 1), independent of
    which one is smallest, and that is k with probability pi_k; and by memorylessness the
    others exceed the minimum by fresh Exp(pi_k) amounts. So, given b, with v_k ~ U(0, 1):

        z~_b = -log(-log v_b)                                  (the maximum: Gumbel(0))
        z~_k = -log(-log v_b - log(v_k) / pi_k),   k != b      (Gumbel(log pi_k) truncated below z~_b)

    the truncated-Gumbel construction. ``b`` is what relaxed_draw returned (0/1, or one-hot).
    """
    _check_relaxable(dist, "conditional_relaxed_draw")
    logits = _log_probabilities(dist)
    finfo = numpy.finfo(logits.dtype)
    v = random.uniform(size=b.shape, dtype=logits.dtype, device=logits.device)
    v = v.clip(float(finfo.tiny), 1.0 - float(finfo.eps))
    if isinstance(dist, Bernoulli):
        log_p, log_1mp = -softplus(-logits), -softplus(logits)
        log_v, log_1mv = v.log(), log1p(-v)
        one = (logits                                        # b = 1: log u' - log(1 - u')
               + log1p(-(log_p + log_1mv).exp()) - log_p - log_1mv)
        zero = logits + log_1mp + log_v - log1p(-(log_1mp + log_v).exp())     # b = 0
        return where(Tensor(b.data > 0.5), one, zero)
    exp_b = -(v * b).sum(-1, keepdims=True).log()          # -log v_b, of shape (n,) + batch + (1,)
    others = -(exp_b - v.log() * (-logits).exp()).log()
    return where(Tensor(b.data > 0.5), -exp_b.log(), others)


def relax(f, dist, control, n=1):
    """The RELAX estimator (Grathwohl et al. 2018) of grad E_{b ~ dist}[f(b)], for a Bernoulli or Categorical.

    With z and b = H(z) from relaxed_draw and z~ ~ p(z | b) from conditional_relaxed_draw (whose
    docstring derives it: the uniform of the Gumbel-max coupling restricted to the part that gives
    b, for a Bernoulli; the truncated Gumbel, for a Categorical), one sample gives

        g = (f(b) - c(z~)) grad log p(b)  +  grad c(z)  -  grad c(z~)

    where c = ``control`` is any differentiable function of the relaxed sample z (an mg.nn
    Module, say), returning f's shape, (n,) + batch. f may also take the trailing batch axes
    jointly, as a VAE's decoder takes a code of N independent Categoricals (logits of shape
    batch + (N, K), f(b) of shape (n,) + batch): then p(b) is the code's, the product over its
    N variables, so log p(b) is summed over those axes (and c returns f's shape). Unbiased for any c: E[grad c(z)] =
    grad E[c(z)] (reparameterization), and E[c(z~) grad log p(b) + grad c(z~)] = grad E[c(z~)]
    = grad E[c(z)] as well (score function over b, reparameterization of z~ given b, and z~
    has z's distribution), so the three control terms cancel in expectation. c(z~) may
    multiply the score because it depends on b's noise only through b; c(z) could not: a
    control that sees the noise that made b is correlated with the score in a way the
    correction does not undo, and the estimator is biased.

    Returns a surrogate: its value is a Monte Carlo estimate of E[f] (summed over the batch,
    averaged over the n samples), f(b) + c(z) - c(z~); its backward() leaves g, averaged over
    the n samples, in the logits' .grad (DiCE's box carries the score, see dice_surrogate).
    With ``create_graph=True`` that gradient stays on the tape as a function of c's
    parameters, so its variance can be minimized (see variance_gradient). The surrogate is
    exact to first order in the logits (the control terms are not DiCE-boxed, so a Hessian
    in the logits taken from it is not unbiased; use score_function for that).

    Parameters inside f get grad f(b), plus grad c(z) - grad c(z~) where c uses f (REBAR):
    zero in expectation, since z and z~ have one distribution; c's own parameters also get
    this zero-mean term from backward(), which is not what tunes them: use variance_gradient.
    """
    _check_samples(n, "relax")
    _check_relaxable(dist, "relax")
    b, z = relaxed_draw(dist, n)
    z_tilde = conditional_relaxed_draw(dist, b)
    values = f(b)
    index = b if isinstance(dist, Bernoulli) else Tensor(b.data.argmax(axis=-1))
    log_p = dist.log_prob(index)                          # (n,) + batch
    if not isinstance(values, Tensor) or values.shape != log_p.shape[:values.ndim]:
        raise ValueError(f"relax: f(b) has shape {getattr(values, 'shape', type(values).__name__)}, which must be "
                         f"a leading part of the draws' shape {log_p.shape} ((n,) + batch): f may take the "
                         f"trailing batch axes jointly (a code of independent variables), no other axes")
    if log_p.ndim > values.ndim:                          # the code's log-probability: the sum over its variables
        log_p = log_p.sum(tuple(range(values.ndim, log_p.ndim)))
    c_z, c_tilde = control(z), control(z_tilde)
    for name, c in (("control(z)", c_z), ("control(z~)", c_tilde)):
        if not isinstance(c, Tensor) or c.shape != values.shape:
            raise ValueError(f"relax: {name} must be a Tensor of f's shape {values.shape} ((n,) + batch), got "
                             f"{getattr(c, 'shape', type(c).__name__)}; z has shape {z.shape}")
    score_term = dice_surrogate(values, log_p, c_tilde)   # value f(b), gradient (f - c~) grad log p
    return (score_term + c_z - c_tilde).sum() / n


def rebar(f, dist, n=1, temperature=0.5, eta=1.0):
    """The REBAR estimator (Tucker et al. 2017): RELAX with the control c(z) = eta f(sigma_tau(z)).

    sigma_tau relaxes the step H at temperature tau = ``temperature``: sigmoid(z / tau) for a
    Bernoulli, softmax(z / tau) for a Categorical (the Concrete / Gumbel-softmax draw, which
    tends to b as tau -> 0). So the control is f itself at the relaxed point, scaled by eta,
    and c(z~) is f at the relaxed point of the same b: close to f(b) when tau is small, which
    is what cancels the score term's noise. f must accept relaxed inputs (floats in (0, 1),
    or points of the simplex).

    ``temperature`` and ``eta`` may be numbers, or tensors that require grad: tune them by
    variance_gradient (the papers tune log tau and eta). See relax for the estimator and
    what the returned surrogate holds.
    """
    _check_relaxable(dist, "rebar")
    relaxation = sigmoid if isinstance(dist, Bernoulli) else (lambda x: softmax(x, -1))
    return relax(f, dist, lambda z: eta * f(relaxation(z / temperature)), n)


def variance_gradient(surrogate, inputs, parameters):
    """(g, d mean(g^2) / d parameters): the estimate g in ``inputs``, and the gradient that tunes its variance.

    For an unbiased estimator g of grad E[f] whatever the control, Var[g] = E[g^2] - (E g)^2
    and E g does not depend on the control's parameters phi (the temperature, eta, a network's
    weights), so d Var / d phi = d E[g^2] / d phi, and d (g^2) / d phi of one sample is an
    unbiased estimate of it. This is the tuning step of REBAR (Tucker et al. 2017, section 3.3)
    and of RELAX (Grathwohl et al. 2018, algorithm 1); g^2 is averaged over the elements of the
    inputs (the mean per-parameter variance).

    ``inputs``: the distribution's parameters (the logits, or what computed them), a tensor or
    a list; ``parameters``: the control's, a list of tensors that require grad (those the
    estimate does not depend on get zeros). Returns the estimate (detached, one tensor per
    input) and the tuning gradients (one per parameter): set them as the .grad of each and
    step an optimizer. .grad attributes are left untouched.

    Cost: the first gradient is taken with create_graph=True, which records the backward pass
    on the tape (about the work of a second forward pass, and its memory); the tuning
    gradient is then one more backward pass, through that recorded backward pass: roughly two
    to three times a plain backward in all (demos/rebar_relax.py measures it per step).
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    parameters = list(parameters)
    with autograd.enable_grad():
        estimate = autograd.grad(surrogate, inputs, create_graph=True)
        total = sum(g.size for g in estimate)
        mean_square = sum((g * g).sum() for g in estimate) / total
        if mean_square.requires_grad:
            grads = autograd.grad(mean_square, parameters, materialize_grads=True)
        else:     # the estimate depends on none of the parameters
            grads = tuple(Tensor(p.xp.zeros_like(p.data)) for p in parameters)
    return tuple(g.detach() for g in estimate), tuple(g.detach() for g in grads)


def _check_relaxable(dist, caller):
    if not isinstance(dist, (Bernoulli, Categorical)):
        raise TypeError(f"{caller}: implemented for Bernoulli and Categorical distributions (the Gumbel-max "
                        f"coupling of a discrete draw), got {type(dist).__name__}")


def _log_probabilities(dist):
    """The logit l of a Bernoulli; the normalized log pi of a Categorical, kept finite (log tiny for pi = 0)."""
    if isinstance(dist, Bernoulli):
        return dist.logits
    return dist.logits.clip(math.log(float(numpy.finfo(dist.logits.dtype).tiny)))
