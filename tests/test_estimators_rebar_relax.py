"""REBAR and RELAX (mg.estimators.rebar, relax, variance_gradient): unbiased, tunable, and better than REINFORCE.

Many independent estimates at once, as in test_estimators.py: the distribution gets a batch of
N identical copies of its logits, the surrogate sums over the batch, so after one backward()
logits.grad[i] is the i-th of N independent estimates. Every statistical assertion allows five
standard errors estimated from the same draws, at a sample size where a biased variant (a
control that sees the noise of its own draw, the Gumbel-softmax) fails the same check.

The toy problem of both papers: E_{b ~ Bernoulli(sigmoid(theta))}[(b - t)^2], whose gradient in
theta is p (1 - p) ((1 - t)^2 - t^2) = p (1 - p) (1 - 2 t).
"""
import math

import numpy as np
import pytest
import scipy.stats

import minigrad as mg
from minigrad import estimators
from minigrad.distributions import Bernoulli, Categorical, Normal, RelaxedBernoulli

FIVE_SE = 5.0


def copies(value, n, device):
    value = np.asarray(value, dtype=np.float64)
    return mg.tensor(np.broadcast_to(value, (n,) + value.shape), requires_grad=True, dtype=mg.float64, device=device)


def assert_unbiased(estimates, exact, what=""):
    """The mean of i.i.d. estimates (first axis) equals ``exact`` within five standard errors."""
    estimates = np.asarray(estimates, dtype=np.float64)
    se = estimates.std(axis=0) / math.sqrt(estimates.shape[0])
    error = np.abs(estimates.mean(axis=0) - exact)
    assert np.all(error <= FIVE_SE * se), f"{what}: mean {estimates.mean(axis=0)} vs exact {exact} (se {se})"


def toy(t):
    return lambda b: (b - t) ** 2


def toy_gradient(theta, t):
    p = 1 / (1 + math.exp(-theta))
    return p * (1 - p) * (1 - 2 * t)


class Control(mg.nn.Module):
    """c(z) = a small network of z's last axis (features = 1 for a Bernoulli, K for a Categorical)."""

    def __init__(self, features, device):
        super().__init__()
        self.features = features
        self.net = mg.nn.Sequential(mg.nn.Linear(features, 8, dtype=mg.float64, device=device), mg.nn.Tanh(),
                                    mg.nn.Linear(8, 1, dtype=mg.float64, device=device))

    def forward(self, z):
        x = z.reshape(z.shape + (1,)) if self.features == 1 else z
        out = self.net(x)
        return out.reshape(out.shape[:-1])


CATEGORICAL_LOGITS = np.array([0.2, -0.5, 1.0])
TARGET = np.array([0.1, 0.7, 0.2])
COST = np.array([1.0, -2.0, 0.5])


def categorical_f(device):
    """An arbitrary f of one-hot (or relaxed) vectors: a squared distance plus a linear cost."""
    target, cost = mg.tensor(TARGET, device=device), mg.tensor(COST, device=device)
    return lambda y: ((y - target) ** 2).sum(-1) + (y * cost).sum(-1) + (y * y).sum(-1).sqrt()


def categorical_gradient():
    pi = np.exp(CATEGORICAL_LOGITS) / np.exp(CATEGORICAL_LOGITS).sum()
    values = np.array([((np.eye(3)[k] - TARGET) ** 2).sum() + COST[k] + 1.0 for k in range(3)])
    return pi * (values - pi @ values)        # d/dlogit_j sum_k pi_k f_k = pi_j (f_j - E f)


# ---------------------------------------------------------------- the conditional relaxed draw

@pytest.mark.parametrize("theta", [-1.5, 0.0, 2.0])
def test_the_conditional_draw_given_b_has_the_distribution_of_z(device, theta):
    # drawing b, then z~ given b, must give z's own distribution (Logistic(theta, 1)), with H(z~) = b
    mg.random.seed(1)
    dist = Bernoulli(logits=copies(theta, 20_000, device))
    b, z = estimators.relaxed_draw(dist)
    z_tilde = estimators.conditional_relaxed_draw(dist, b).numpy().ravel()
    assert np.array_equal(z_tilde > 0, b.numpy().ravel() > 0.5)
    assert scipy.stats.kstest(z_tilde - theta, "logistic").pvalue > 1e-3


def test_the_truncated_gumbel_draw_has_the_distribution_of_z(device):
    # each coordinate of z~ is Gumbel(log pi_k), and its argmax is b
    mg.random.seed(2)
    dist = Categorical(logits=copies(CATEGORICAL_LOGITS, 20_000, device))
    b, z = estimators.relaxed_draw(dist)
    z_tilde = estimators.conditional_relaxed_draw(dist, b).numpy()[0]
    assert np.array_equal(z_tilde.argmax(-1), b.numpy()[0].argmax(-1))
    log_pi = dist.logits.numpy()[0]
    for k in range(3):
        assert scipy.stats.kstest(z_tilde[:, k] - log_pi[k], "gumbel_r").pvalue > 1e-3


# ---------------------------------------------------------------- unbiasedness

@pytest.mark.parametrize("theta, t", [(-1.0, 0.45), (0.0, 0.499), (0.3, 0.45), (1.5, 0.2)])
def test_rebar_and_relax_are_unbiased_on_the_toy_problem(device, theta, t):
    exact = toy_gradient(theta, t)
    temperature = mg.tensor(0.5, requires_grad=True, dtype=mg.float64, device=device)
    eta = mg.tensor(1.3, requires_grad=True, dtype=mg.float64, device=device)
    mg.random.seed(3)
    control = Control(1, device)
    for name, make in [
        ("rebar", lambda d: estimators.rebar(toy(t), d, temperature=temperature, eta=eta)),
        ("rebar n=3", lambda d: estimators.rebar(toy(t), d, n=3, temperature=0.2, eta=0.7)),
        ("relax", lambda d: estimators.relax(toy(t), d, control)),
        ("relax + rebar", lambda d: estimators.relax(toy(t), d, lambda z: toy(t)((z / 0.3).sigmoid()) + control(z))),
    ]:
        logits = copies(theta, 20_000, device)
        make(Bernoulli(logits=logits)).backward()
        assert_unbiased(logits.grad.numpy(), exact, name)


def test_rebar_and_relax_are_unbiased_for_a_categorical(device):
    mg.random.seed(4)
    f, control = categorical_f(device), Control(3, device)
    for name, make in [("rebar", lambda d: estimators.rebar(f, d, temperature=0.4, eta=0.9)),
                       ("relax", lambda d: estimators.relax(f, d, control))]:
        logits = copies(CATEGORICAL_LOGITS, 20_000, device)
        make(Categorical(logits=logits)).backward()
        assert_unbiased(logits.grad.numpy(), categorical_gradient(), name)


def test_rebar_and_relax_are_unbiased_for_a_code_of_independent_categoricals(device):
    # A VAE's code: f takes N = 2 independent Categoricals (3 classes each) jointly, so the
    # logits have shape (batch, N, K) and f(b) has shape (n, batch): log p(b) of the code is
    # the sum over its N variables. The exact gradient enumerates the 9 codes.
    mg.random.seed(9)
    base = np.array([[0.2, -0.5, 1.0], [-1.0, 0.3, 0.1]])
    weights = mg.tensor(np.array([[1.0, -2.0, 0.5], [0.7, 0.0, -1.5]]), device=device)

    def f(y):          # (..., 2, 3) -> (...): not a sum of one function per variable
        return ((y * weights).sum(-1).prod(-1) + (y * y).sum(-1).sum(-1)).sin()

    pi = np.exp(base) / np.exp(base).sum(-1, keepdims=True)
    exact = np.zeros_like(base)
    for a in range(3):
        for c in range(3):
            code = np.zeros((2, 3))
            code[0, a] = code[1, c] = 1.0
            value = float(f(mg.tensor(code, device=device)).item())
            # d/dlogit_jk of q(code) = q(code) ([k = code_j] - pi_jk)
            exact += pi[0, a] * pi[1, c] * value * (code - pi)
    control = Control(3, device)
    for name, make in [("rebar", lambda d: estimators.rebar(f, d, temperature=0.4, eta=0.9)),
                       ("relax", lambda d: estimators.relax(f, d, lambda z: control(z).sum(-1)))]:
        logits = copies(base, 20_000, device)
        make(Categorical(logits=logits)).backward()
        assert_unbiased(logits.grad.numpy(), exact, name)


def test_a_control_that_sees_the_noise_of_its_own_draw_is_biased(device, monkeypatch):
    # Replace z~ by z itself: c(z) now multiplies the score of b = H(z), and the same check as
    # above must catch the bias; so must it catch the Gumbel-softmax's (a relaxed f, no score).
    theta, t = 0.3, 0.45
    exact = toy_gradient(theta, t)
    mg.random.seed(5)
    logits = copies(theta, 20_000, device)
    with monkeypatch.context() as patch:
        patch.setattr(estimators, "conditional_relaxed_draw", lambda dist, b: estimators.relaxed_draw.last_z)
        original = estimators.relaxed_draw

        def remember(dist, n=1):
            b, z = original(dist, n)
            remember.last_z = z
            return b, z
        patch.setattr(estimators, "relaxed_draw", remember)
        estimators.rebar(toy(t), Bernoulli(logits=logits), temperature=0.5, eta=1.0).backward()
    with pytest.raises(AssertionError):
        assert_unbiased(logits.grad.numpy(), exact, "rebar with z~ = z")

    logits = copies(theta, 20_000, device)
    estimators.pathwise(toy(t), RelaxedBernoulli(0.5, logits=logits)).backward()
    with pytest.raises(AssertionError):
        assert_unbiased(logits.grad.numpy(), exact, "Gumbel-softmax")


# ---------------------------------------------------------------- tuning by variance

def mean_square_estimate(theta, t, seed, device, temperature, eta, control):
    """mean over 2000 copies of the squared RELAX estimate, with the noise fixed by ``seed``."""
    mg.random.seed(seed)
    logits = copies(theta, 2000, device)
    surrogate = estimators.relax(toy(t), Bernoulli(logits=logits),
                                 lambda z: eta * toy(t)((z / temperature).sigmoid()) + control(z))
    (g,) = mg.autograd.grad(surrogate, [logits])
    return float((g * g).mean().item())


def test_the_tuning_gradient_matches_finite_differences_with_common_random_numbers(device):
    theta, t, h = 0.2, 0.45, 1e-5
    mg.random.seed(6)
    control = Control(1, device)
    weight = control.net[0].weight
    temperature = mg.tensor(0.6, requires_grad=True, dtype=mg.float64, device=device)
    eta = mg.tensor(0.8, requires_grad=True, dtype=mg.float64, device=device)
    mg.random.seed(7)
    logits = copies(theta, 2000, device)
    surrogate = estimators.relax(toy(t), Bernoulli(logits=logits),
                                 lambda z: eta * toy(t)((z / temperature).sigmoid()) + control(z))
    (g,), (d_temperature, d_eta, d_weight) = estimators.variance_gradient(surrogate, logits,
                                                                          [temperature, eta, weight])

    def at(tau=0.6, e=0.8, shift=0.0):
        with mg.no_grad():
            weight.data = weight.data + shift * direction
        try:
            return mean_square_estimate(theta, t, 7, device, tau, e, control)
        finally:
            with mg.no_grad():
                weight.data = weight.data - shift * direction

    direction_np = np.random.default_rng(0).standard_normal(weight.shape)
    direction = mg.tensor(direction_np, dtype=mg.float64, device=device).data
    assert float((g * g).mean().item()) == pytest.approx(at(), rel=1e-12)   # the same noise, the same estimate
    fd = {"temperature": (at(tau=0.6 + h) - at(tau=0.6 - h)) / (2 * h),
          "eta": (at(e=0.8 + h) - at(e=0.8 - h)) / (2 * h),
          "weight": (at(shift=h) - at(shift=-h)) / (2 * h)}
    analytic = {"temperature": d_temperature.item(), "eta": d_eta.item(),
                "weight": float((d_weight.numpy() * direction_np).sum())}
    for name in fd:
        assert analytic[name] == pytest.approx(fd[name], rel=1e-5, abs=1e-10), name
        assert abs(fd[name]) > 1e-6, f"{name}: the variance should depend on it"


def test_the_tuning_gradient_is_zero_for_a_parameter_the_estimate_does_not_use(device):
    unused = mg.tensor(1.0, requires_grad=True, dtype=mg.float64, device=device)
    logits = copies(0.0, 10, device)
    surrogate = estimators.rebar(toy(0.45), Bernoulli(logits=logits))
    _, (d_unused,) = estimators.variance_gradient(surrogate, logits, [unused])
    assert d_unused.item() == 0.0


def test_tuned_relax_and_rebar_have_less_variance_than_reinforce(device):
    theta, t = 0.0, 0.45
    mg.random.seed(8)
    control = Control(1, device)
    log_temperature = mg.tensor(math.log(0.5), requires_grad=True, dtype=mg.float64, device=device)
    eta = mg.tensor(1.0, requires_grad=True, dtype=mg.float64, device=device)
    relax_control = lambda z: control(z)
    rebar_parameters = [log_temperature, eta]
    optimizers = [mg.optim.Adam(list(control.parameters()), lr=0.02), mg.optim.Adam(rebar_parameters, lr=0.02)]

    def variance(make):
        logits = copies(theta, 20_000, device)
        make(Bernoulli(logits=logits)).backward()
        return float(logits.grad.numpy().var())

    def rebar(d):
        return estimators.rebar(toy(t), d, temperature=log_temperature.exp(), eta=eta)

    untuned_rebar = variance(rebar)
    for _ in range(150):     # the papers' tuning step, on batches of 200 copies
        for optimizer, parameters, make in [(optimizers[0], list(control.parameters()),
                                             lambda d: estimators.relax(toy(t), d, relax_control)),
                                            (optimizers[1], rebar_parameters, rebar)]:
            logits = copies(theta, 200, device)
            _, grads = estimators.variance_gradient(make(Bernoulli(logits=logits)), logits, parameters)
            for p, g in zip(parameters, grads):
                p.grad = g
            optimizer.step()
    reinforce = variance(lambda d: estimators.score_function(toy(t), d))
    relax = variance(lambda d: estimators.relax(toy(t), d, relax_control))
    tuned_rebar = variance(rebar)
    assert relax < reinforce / 5, (relax, reinforce)            # a learned control removes f's mean
    assert tuned_rebar < untuned_rebar / 1.2, (tuned_rebar, untuned_rebar)
    assert tuned_rebar < reinforce * 1.02, (tuned_rebar, reinforce)   # on this toy, REBAR gains little


# ---------------------------------------------------------------- errors

def test_rebar_and_relax_refuse_a_distribution_without_a_gumbel_max_coupling():
    normal = Normal(mg.zeros(3, requires_grad=True), mg.ones(3))
    with pytest.raises(TypeError, match="relax: implemented for Bernoulli and Categorical.*got Normal"):
        estimators.relax(toy(0.4), normal, lambda z: z)
    with pytest.raises(TypeError, match="rebar: implemented for Bernoulli and Categorical"):
        estimators.rebar(toy(0.4), normal)


def test_relax_refuses_a_control_of_the_wrong_shape():
    logits = mg.zeros(4, requires_grad=True, dtype=mg.float64)
    with pytest.raises(ValueError, match=r"relax: control\(z\) must be a Tensor of f's shape \(1, 4\)"):
        estimators.relax(toy(0.4), Bernoulli(logits=logits), lambda z: z.sum())


def test_relax_refuses_an_f_whose_shape_is_not_a_prefix_of_the_draws():
    logits = mg.zeros((4, 2, 3), requires_grad=True, dtype=mg.float64)
    with pytest.raises(ValueError, match=r"relax: f\(b\) has shape \(1, 2\).*\(1, 4, 2\)"):
        estimators.relax(lambda y: y.sum(-1).sum(1), Categorical(logits=logits), lambda z: z.sum(-1).sum(1))
