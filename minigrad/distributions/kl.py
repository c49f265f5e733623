"""KL(p || q) = E_p[log p(x) - log q(x)] in closed form, for the pairs that have one.

``kl_divergence(p, q)`` looks the pair of types up in ``_KL_PAIRS`` (at the bottom of
this file, one line per pair). Each formula is differentiable in the parameters of
both distributions, and has shape ``batch_shape`` (event axes summed).
"""
from ..linalg import diagonal, solve_triangular
from ..ops import expand_dims, softplus
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


def _kl_bernoulli_bernoulli(p, q):
    """p1 log(p1/q1) + (1 - p1) log((1 - p1)/(1 - q1)), with log p = -softplus(-l), log(1 - p) = -softplus(l)."""
    log_ratio_one = softplus(-q.logits) - softplus(-p.logits)    # log p1 - log q1
    log_ratio_zero = softplus(q.logits) - softplus(p.logits)     # log(1 - p1) - log(1 - q1)
    return p.probs * log_ratio_one + (1.0 - p.probs) * log_ratio_zero


def _kl_categorical_categorical(p, q):
    """sum_k p_k (log p_k - log q_k); classes with p_k = 0 contribute 0."""
    return (p.probs * (p.logits - q.logits)).sum(-1)


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
