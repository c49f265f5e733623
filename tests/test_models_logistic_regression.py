"""mg.models.BayesianLogisticRegression: its log joint on the tape, and the two answers without the tape
(the ELBO of a Gaussian by quadrature, the Laplace approximation), each checked against an independent one."""
import math

import numpy
import pytest

import minigrad as mg
from minigrad.models import BayesianLogisticRegression

from logistic_data import synthetic


def test_log_joint_is_the_bernoulli_log_likelihood_plus_the_gaussian_log_prior_for_a_batch_of_weights():
    x, y = synthetic(20, seed=0)
    model = BayesianLogisticRegression(x, y, prior_scale=2.0)
    w = numpy.random.default_rng(1).standard_normal((4, 5, 3))
    logits = w @ x.T
    expected = ((y * logits - numpy.logaddexp(0, logits)).sum(-1)
                - 0.5 * (w * w).sum(-1) / 4.0 - 1.5 * math.log(2 * math.pi * 4.0))
    value = model.log_joint(mg.tensor(w, dtype=mg.float64))
    assert value.shape == (4, 5)
    numpy.testing.assert_allclose(value.numpy(), expected, rtol=1e-12)
    w1 = mg.tensor(w[0, 0], dtype=mg.float64, requires_grad=True)
    model.log_joint(w1).backward()
    p = 1 / (1 + numpy.exp(-(x @ w[0, 0])))
    numpy.testing.assert_allclose(w1.grad.numpy(), x.T @ (y - p) - w[0, 0] / 4.0, rtol=1e-10)   # X^T (y - p) - w / s^2


def test_elbo_agrees_with_a_two_dimensional_quadrature_over_the_weights():
    """elbo integrates one logit a_i = x_i . w at a time. On a 2-weight problem the ELBO can be integrated
    over w itself on a 60 x 60 Gauss-Hermite grid, w = mu + L t: the two must agree to 1e-9."""
    x, y = synthetic(25, seed=4)
    x = x[:, [0, 2]]                                            # one feature and the bias
    mean, L = numpy.array([0.8, -0.3]), numpy.array([[0.5, 0.0], [-0.3, 0.4]])
    nodes, weights = numpy.polynomial.hermite_e.hermegauss(60)
    weights = weights / weights.sum()
    t = numpy.stack(numpy.meshgrid(nodes, nodes, indexing="ij"), -1).reshape(-1, 2)
    w = mean + t @ L.T
    logits = w @ x.T
    log_joint = (y * logits - numpy.logaddexp(0, logits)).sum(1) - 0.5 * (w * w).sum(1) - math.log(2 * math.pi)
    entropy = 1 + math.log(2 * math.pi) + numpy.log(numpy.diag(L)).sum()
    brute_force = numpy.outer(weights, weights).ravel() @ log_joint + entropy
    model = BayesianLogisticRegression(x, y)
    assert model.elbo(mean, L @ L.T) == pytest.approx(brute_force, rel=1e-9, abs=1e-9)


def test_elbo_and_predictive_match_monte_carlo_through_the_tape():
    """At a Gaussian q, the mean of log_joint over 200,000 draws plus the entropy is the ELBO, and the mean of
    sigmoid(x . w) the predictive, within 4 standard errors (each error below 0.02)."""
    x, y = synthetic(50, seed=2)
    model = BayesianLogisticRegression(x, y)
    mean, r = numpy.array([1.0, -0.5, 0.2]), numpy.array([[0.4, 0, 0], [0.2, 0.3, 0], [-0.1, 0.1, 0.5]])
    q = mg.distributions.MultivariateNormal(mg.tensor(mean), mg.tensor(r))
    mg.random.seed(0)
    w = q.sample((200_000,))
    values = model.log_joint(w).numpy() + q.entropy().item()
    error = values.std() / math.sqrt(len(values))
    assert abs(values.mean() - model.elbo(mean, r @ r.T)) < 4 * error and error < 0.02
    p = 1 / (1 + numpy.exp(-(w.numpy() @ x[:5].T)))
    numpy.testing.assert_allclose(model.predictive(mean, r @ r.T, x[:5]), p.mean(0), atol=4 * p.std(0).max() / 447)


def test_laplace_finds_the_map_and_the_inverse_negative_hessian():
    """At the MAP the gradient X^T (y - p) - w / s^2 is 0; the covariance is the inverse of minus the Hessian
    of the log joint, which the tape computes independently (mg.autograd.functional.hessian)."""
    x, y = synthetic(200, seed=1)
    model = BayesianLogisticRegression(x, y, prior_scale=1.5)
    w_map, covariance, steps = model.laplace()
    assert steps < 15
    p = 1 / (1 + numpy.exp(-(x @ w_map)))
    numpy.testing.assert_allclose(x.T @ (y - p) - w_map / 1.5**2, 0, atol=1e-9)
    hessian = mg.autograd.functional.hessian(model.log_joint, mg.tensor(w_map, dtype=mg.float64)).numpy()
    numpy.testing.assert_allclose(covariance, numpy.linalg.inv(-hessian), rtol=1e-9)


def test_scores_count_right_cases_and_average_the_log_likelihood():
    model = BayesianLogisticRegression(numpy.eye(3), [1, 0, 1])
    x, y, w = numpy.array([[2.0], [-1.0], [0.0], [3.0]]), numpy.array([1, 0, 1, 0]), numpy.array([1.0])
    p = 1 / (1 + numpy.exp(-x[:, 0]))                          # plugged-in weights: sigmoid(x . w)
    accuracy, log_likelihood = model.scores(x, y, w)
    assert accuracy == 0.5                                     # right: 2 > 0 for y = 1, -1 < 0 for y = 0
    assert log_likelihood == pytest.approx(numpy.mean(numpy.log(numpy.where(y == 1, p, 1 - p))), rel=1e-12)
    assert model.scores(x, y, w, numpy.zeros((1, 1)))[1] == pytest.approx(log_likelihood, rel=1e-9)   # q = a point


def test_bad_data_is_refused_with_the_shapes():
    with pytest.raises(ValueError, match=r"BayesianLogisticRegression: features must be \(N, d\).*\(3, 2\) and \(4,\)"):
        BayesianLogisticRegression(numpy.zeros((3, 2)), numpy.zeros(4))
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        BayesianLogisticRegression(numpy.zeros((2, 2)), [0, 2])
    with pytest.raises(ValueError, match="prior_scale must be positive"):
        BayesianLogisticRegression(numpy.zeros((2, 2)), [0, 1], prior_scale=0)
