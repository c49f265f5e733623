"""KL(p || q) = E_p[log p(x) - log q(x)] in closed form, for the pairs that have one.

``kl_divergence(p, q)`` looks the pair of types up in ``_KL_PAIRS`` (at the bottom of
this file, one line per pair). Each formula is differentiable in the parameters of
both distributions, and has shape ``batch_shape`` (event axes summed).

At the edges of the support the discrete formulas are exact, not merely finite: a term
p log(p / q) is 0 where p = 0 (whatever q) and +inf where p > 0 = q (see
``_relative_entropy``). The Gaussian pairs have no such edges: their supports are
the whole space for any valid (positive) scale.
"""
from ..linalg import diagonal, solve_triangular
from ..ops import expand_dims, softplus, where
from ..tensor import Tensor
from .bernoulli import Bernoulli
from .categorical import Categorical
from .multivariate_normal import MultivariateNormal
from .normal import Normal


def kl_divergence(p, q):
    """KL(p || q) in closed form; NotImplementedError for a pair of types without a formula here."""
    for (type_p, type_q), formula in _KL_PAIRS.items():
        if isinstance(p, type_p) and isinstance(q, type_q):
            return formula(p, q)
    known = ", ".join(f"({a.__name__}, {b.__name__})" for a, b in _KL_PAIRS)
    raise NotImplementedError(
        f"kl_divergence: no closed form for KL({type(p).__name__} || {type(q).__name__}); pairs with one: "
        f"{known}. Estimate it by Monte Carlo instead: (p.log_prob(x) - q.log_prob(x)).mean(0) with x = p.sample((n,))")


def _kl_normal_normal(p, q):
    """KL(N(m1, s1^2) || N(m2, s2^2)) = log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2.

    With q = N(0, 1) this is -1/2 (1 + log s1^2 - m1^2 - s1^2), the term of the VAE
    objective in Kingma & Welling (2014), appendix B.
    """
    ratio = p.scale / q.scale
    z = (p.loc - q.loc) / q.scale
    return 0.5 * (ratio * ratio + z * z - 1.0) - ratio.log()


def _relative_entropy(p_x, log_ratio, p_zero, q_zero):
    """p_x log(p_x / q_x) elementwise, exact at the edges of the support (scipy.special.rel_entr):

        0     where p_x = 0, whatever q_x (the limit of p log p is 0);
        +inf  where p_x > 0 = q_x (p puts mass where q has none);
        p_x * log_ratio elsewhere.

    ``p_zero`` and ``q_zero`` are boolean arrays, true where the probabilities are exactly 0.
    ``log_ratio`` (log p_x - log q_x) must be finite, 0 say, wherever either is: the caller
    computes it from logits replaced by 0 there (with where), so that no inf - inf or
    0 * inf arises, in the value or in the vjp, and the gradient stays right wherever
    the result is finite. The two constant branches get no gradient.
    """
    return where(Tensor(p_zero), 0.0, where(Tensor(q_zero), float("inf"), p_x * log_ratio))


def _kl_bernoulli_bernoulli(p, q):
    """p1 log(p1/q1) + (1 - p1) log((1 - p1)/(1 - q1)), with log p = -softplus(-l), log(1 - p) = -softplus(l).

    Each outcome's term goes through _relative_entropy; an outcome impossible under p or q
    (probs 0 or 1, logits -inf or +inf) has both logits replaced by 0 before the softplus.
    """
    (p_no_one, p_no_zero), (q_no_one, q_no_zero) = p._impossible(), q._impossible()
    both = Tensor(~p_no_one & ~q_no_one)                         # outcome 1 possible under both
    log_ratio_one = softplus(-where(both, q.logits, 0.0)) - softplus(-where(both, p.logits, 0.0))
    both = Tensor(~p_no_zero & ~q_no_zero)                       # outcome 0 possible under both
    log_ratio_zero = softplus(where(both, q.logits, 0.0)) - softplus(where(both, p.logits, 0.0))
    return (_relative_entropy(p.probs, log_ratio_one, p_no_one, q_no_one)
            + _relative_entropy(1.0 - p.probs, log_ratio_zero, p_no_zero, q_no_zero))


def _kl_categorical_categorical(p, q):
    """sum_k p_k (log p_k - log q_k): 0 for a class with p_k = 0, +inf if some p_k > 0 = q_k.

    A probability is exactly zero where its normalized logit is -inf (see Categorical).
    """
    if p.num_classes != q.num_classes:
        raise ValueError(f"kl_divergence: the two Categoricals have {p.num_classes} and {q.num_classes} classes")
    p_zero, q_zero = p.logits.data == float("-inf"), q.logits.data == float("-inf")
    both = Tensor(~p_zero & ~q_zero)
    log_ratio = where(both, p.logits, 0.0) - where(both, q.logits, 0.0)
    return _relative_entropy(p.probs, log_ratio, p_zero, q_zero).sum(-1)


def _kl_mvn_mvn(p, q):
    """KL(N(m1, C1) || N(m2, C2)) = 1/2 [tr(C2^-1 C1) + |z|^2 - d + log det C2 - log det C1].

    With Cholesky factors C = L L^T everything is a triangular solve:
    tr(C2^-1 C1) = |L2^-1 L1|_F^2 (squared Frobenius norm), z = L2^-1 (m1 - m2),
    log det C = 2 sum_i log L_ii.
    """
    d = p.event_shape[0]
    if q.event_shape[0] != d:
        raise ValueError(f"kl_divergence: the two MultivariateNormals have dimensions {d} and {q.event_shape[0]}")
    m = solve_triangular(q.scale_tril, p.scale_tril)                              # L2^-1 L1
    z = solve_triangular(q.scale_tril, expand_dims(p.loc - q.loc, -1))[..., 0]    # L2^-1 (m1 - m2)
    half_log_det_q = diagonal(q.scale_tril).log().sum(-1)
    half_log_det_p = diagonal(p.scale_tril).log().sum(-1)
    return 0.5 * ((m * m).sum((-2, -1)) + (z * z).sum(-1) - d) + half_log_det_q - half_log_det_p


_KL_PAIRS = {
    (Normal, Normal): _kl_normal_normal,
    (MultivariateNormal, MultivariateNormal): _kl_mvn_mvn,
    (Bernoulli, Bernoulli): _kl_bernoulli_bernoulli,
    (Categorical, Categorical): _kl_categorical_categorical,
}
