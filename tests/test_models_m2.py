"""mg.models.M2, the semi-supervised VAE (Kingma et al. 2014): its shapes, its two bounds against hand
computations in NumPy, its gradient against finite differences, and U(x) <= log p(x) on a model small
enough to integrate."""
import math

import numpy
import pytest

import minigrad as mg
from minigrad.models import M2

# ---------------------------------------------------------------- the same numbers, by hand, in NumPy


def softplus(a):
    return numpy.logaddexp(0.0, a)


def hand_classifier_probs(w, x):
    """q(y | x): softmax of the classifier MLP (Linear, softplus, Linear); a Linear's weight is (out, in)."""
    logits = softplus(x @ w["classifier.0.weight"].T + w["classifier.0.bias"]) \
        @ w["classifier.2.weight"].T + w["classifier.2.bias"]
    logits = logits - logits.max(-1, keepdims=True)
    return numpy.exp(logits) / numpy.exp(logits).sum(-1, keepdims=True)


def hand_labelled_bound(w, x, y, eps, classes):
    """L(x, y) = log p(x | y, z) + log p(y) - KL(q(z | x, y) || N(0, I)) with z = loc + scale * eps."""
    y_hot = numpy.eye(classes)[y]
    a = x @ w["enc_x.weight"].T + w["enc_x.bias"]
    loc = softplus(a + y_hot @ w["enc_y.weight"].T) @ w["enc_loc.weight"].T + w["enc_loc.bias"]
    log_var = softplus(a) @ w["enc_log_var.weight"].T + w["enc_log_var.bias"]   # from x alone
    scale = numpy.exp(0.5 * log_var)
    z = loc + scale * eps
    logits = softplus(z @ w["dec_z.weight"].T + w["dec_z.bias"] + y_hot @ w["dec_y.weight"].T) \
        @ w["dec_out.weight"].T + w["dec_out.bias"]
    log_px = (x * logits - softplus(logits)).sum(-1)                  # Bernoulli: x log p + (1 - x) log(1 - p)
    kl = 0.5 * (loc ** 2 + scale ** 2 - 1.0 - numpy.log(scale ** 2)).sum(-1)
    return log_px + math.log(1.0 / classes) - kl


def tiny_model(seed=0, x_dim=7, hidden=6, latent=3, classes=4, batch=5):
    mg.random.seed(seed)
    model = M2(x_dim, hidden, latent, classes, dtype=mg.float64)
    x = (numpy.random.default_rng(seed).random((batch, x_dim)) < 0.5).astype(numpy.float64)
    return model, mg.tensor(x, dtype=mg.float64)


# ---------------------------------------------------------------- shapes and bad input

def test_shapes_of_the_bounds_the_objective_and_the_estimate():
    model, x = tiny_model(batch=5)
    y = numpy.array([0, 1, 2, 3, 0])
    assert model.classify(x).probs.shape == (5, 4)
    assert model.labelled_bound(x, model.one_hot(y, x)).shape == (5,)
    assert model.labelled_bound(x, model.every_class(x)).shape == (4, 5)     # every class at once
    out = model.unlabelled_bound(x)
    assert out.bound.shape == (5,) and out.entropy.shape == (5,)
    assert out.elbo.shape == (5, 4) and out.probs.shape == (5, 4)
    numpy.testing.assert_allclose(out.probs.numpy().sum(-1), 1.0, atol=1e-12)
    gain = model.objective(x, y, x, n_labelled=10, n_unlabelled=90, alpha=5.0)
    assert all(term.shape == () for term in gain)
    assert model.log_marginal(x, k=3).shape == (5,)
    assert model.encode(x, model.one_hot(y, x)).loc.shape == (5, 3)
    assert model.decode(model.one_hot(y, x), mg.zeros((5, 3), dtype=mg.float64)).logits.shape == (5, 7)


def test_bad_input_is_refused_with_the_shapes_and_classes_named():
    model, x = tiny_model()
    with pytest.raises(ValueError, match=r"M2.unlabelled_bound|M2.classify.*\(batch, 7\).*\(5, 6\)"):
        model.unlabelled_bound(x[:, :6])
    with pytest.raises(ValueError, match=r"M2.one_hot.*0\.\.3.*from 0 to 4"):
        model.one_hot(numpy.array([0, 4]), x)
    with pytest.raises(ValueError, match="activation must be one of"):
        M2(7, 6, 3, 4, activation="swishy")


# ---------------------------------------------------------------- the bounds, by hand

def test_labelled_bound_matches_a_hand_computation():
    """L(x, y) for 5 digits of 7 pixels, recomputed in NumPy from the weights and the same noise eps."""
    model, x = tiny_model()
    y = numpy.array([0, 3, 1, 1, 2])
    mg.random.seed(7)
    eps = mg.random.normal(size=(5, 3), dtype=mg.float64).numpy()   # what rsample will draw after the same seed
    mg.random.seed(7)
    got = model.labelled_bound(x, model.one_hot(y, x)).numpy()
    want = hand_labelled_bound(model.state_dict(), x.numpy(), y, eps, classes=4)
    numpy.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-10)


def test_unlabelled_bound_is_the_q_weighted_sum_of_labelled_bounds_plus_the_entropy():
    """U(x) = sum_y q(y | x) L(x, y) + H(q(y | x)), every term computed by hand, with the noise of each class."""
    model, x = tiny_model(seed=1)
    mg.random.seed(3)
    eps = mg.random.normal(size=(4, 5, 3), dtype=mg.float64).numpy()   # (classes, batch, latent): one draw per class
    mg.random.seed(3)
    out = model.unlabelled_bound(x)
    w, xs = model.state_dict(), x.numpy()
    elbo = numpy.stack([hand_labelled_bound(w, xs, numpy.full(5, c), eps[c], 4) for c in range(4)], axis=1)
    q = hand_classifier_probs(w, xs)
    want = (q * elbo).sum(-1) - (q * numpy.log(q)).sum(-1)
    numpy.testing.assert_allclose(out.elbo.numpy(), elbo, rtol=1e-12, atol=1e-10)
    numpy.testing.assert_allclose(out.probs.numpy(), q, rtol=1e-12, atol=1e-14)
    numpy.testing.assert_allclose(out.entropy.numpy(), -(q * numpy.log(q)).sum(-1), rtol=1e-12)
    numpy.testing.assert_allclose(out.bound.numpy(), want, rtol=1e-12, atol=1e-10)


def test_objective_is_the_unbiased_batch_estimate_of_j_alpha_over_n():
    """(N_l mean L + N_u mean U + alpha mean log q(y | x)) / N, with each term recomputed from the bounds."""
    model, x = tiny_model(seed=4, batch=6)
    x_l, y_l, x_u = x[:2], numpy.array([3, 1]), x[2:]
    mg.random.seed(11)
    gain = model.objective(x_l, y_l, x_u, n_labelled=20, n_unlabelled=380, alpha=4000.0)
    mg.random.seed(11)                                   # the same draws, in the same order
    elbo_l = model.labelled_bound(x_l, model.one_hot(y_l, x_l)).numpy().mean()
    log_q = numpy.log(hand_classifier_probs(model.state_dict(), x_l.numpy())[[0, 1], y_l]).mean()
    bound_u = model.unlabelled_bound(x_u).bound.numpy().mean()
    numpy.testing.assert_allclose([gain.labelled_elbo.item(), gain.label_log_q.item(), gain.unlabelled_bound.item()],
                                  [elbo_l, log_q, bound_u], rtol=1e-12)
    numpy.testing.assert_allclose(gain.objective.item(), (20 * elbo_l + 380 * bound_u + 4000.0 * log_q) / 400,
                                  rtol=1e-12)


# ---------------------------------------------------------------- the gradient

def test_gradient_of_the_objective_matches_central_differences_along_a_random_direction():
    """d/dt J(theta + t v) at t = 0 by central differences equals sum(grad J * v), with the noise held fixed
    (the same seed before every evaluation), in float64: every weight of the three networks is reached,
    the classifier's through q(y | x), the entropy and the labels' log q."""
    model, x = tiny_model(seed=5, batch=6)
    x_l, y_l, x_u = x[:2], numpy.array([0, 2]), x[2:]

    def objective():
        mg.random.seed(21)
        return model.objective(x_l, y_l, x_u, n_labelled=2, n_unlabelled=4, alpha=3.0).objective

    model.zero_grad()
    objective().backward()
    names = [name for name, _ in model.named_parameters()]
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    weights = {name: w.copy() for name, w in model.state_dict().items()}
    rng = numpy.random.default_rng(0)
    direction = {name: rng.standard_normal(weights[name].shape) for name in names}
    for group in (names, [n for n in names if n.startswith("classifier")], [n for n in names if n.startswith("enc")]):
        h = 1e-5
        values = []
        for sign in (1, -1):
            model.load_state_dict({n: weights[n] + sign * h * direction[n] * (n in group) for n in names})
            with mg.no_grad():
                values.append(objective().item())
        model.load_state_dict(weights)
        numeric = (values[0] - values[1]) / (2 * h)
        analytic = sum(float((grads[n] * direction[n]).sum()) for n in group)
        assert abs(analytic) > 1e-3, group                  # the direction moves the objective
        numpy.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- U(x) <= log p(x)

def test_unlabelled_bound_lies_below_log_px_and_the_importance_estimate_approaches_it():
    """With a 2-D z, log p(x) = log sum_y p(y) integral p(x | y, z) N(z; 0, I) dz is a quadrature on a grid.
    The average of U(x) over many draws must lie below it (U is a lower bound), and the importance-sampled
    estimate with many draws must come close to it from below."""
    model, x = tiny_model(seed=2, x_dim=5, hidden=8, latent=2, classes=3)
    step = 0.05
    ticks = numpy.arange(-7.0, 7.0 + step / 2, step)
    z = numpy.stack(numpy.meshgrid(ticks, ticks), -1).reshape(-1, 2)
    log_prior_z = -0.5 * (z ** 2).sum(-1) - math.log(2 * math.pi) + 2 * math.log(step)   # N(z; 0, I) dz
    log_joint = []
    with mg.no_grad():
        for c in range(3):
            y_hot = model.one_hot(numpy.full(len(z), c), x)
            p_x = model.decode(y_hot, mg.tensor(z, dtype=mg.float64))
            log_px_given_z = p_x.log_prob(x.reshape(5, 1, 5)).sum(-1).numpy()          # (digits, grid)
            log_joint.append(numpy.logaddexp.reduce(log_px_given_z + log_prior_z, axis=1) - math.log(3))
        log_px = numpy.logaddexp.reduce(numpy.stack(log_joint), axis=0)                # (digits,)

        draws = 4000
        mg.random.seed(0)
        many = mg.tensor(numpy.repeat(x.numpy(), draws, axis=0), dtype=mg.float64)
        mean_bound = model.unlabelled_bound(many).bound.numpy().reshape(5, draws).mean(1)
        estimate = model.log_marginal(x, k=4000).numpy()
    assert (log_px < 0).all()
    assert (mean_bound < log_px).all(), (mean_bound, log_px)
    numpy.testing.assert_allclose(estimate, log_px, atol=0.02)
    assert (estimate > mean_bound).all()      # the importance estimate is the tighter bound
