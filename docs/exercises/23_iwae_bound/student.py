"""Exercise 23: the importance-weighted bound (IWAE) from log weights; a model whose log p(x) is exact.

Statement: docs/exercises/23_iwae_bound.md.  Tests: python -m pytest docs/exercises/23_iwae_bound
"""


def iwae_bound(log_w):
    """L_k = log (1/k) sum_i exp(log_w[i]) over axis 0, the k draws: a tensor of shape log_w.shape[1:].

    log_w: (k, ...) float tensor of log weights log p(x, z_i) - log q(z_i | x). Write it as a
    log-sum-exp shifted by the maximum over the draws (detached), minus log k, so that it is
    finite and exact for log weights of -1000 or +1000.
    Use tensor methods (max, detach, exp, sum, log, squeeze), not mg.logsumexp or VAE.iwae_bound.
    """
    raise NotImplementedError("exercise 23: iwae_bound")


def linear_gaussian_log_weights(x, z, loc, scale):
    """log p(z) + log p(x | z) - log q(z | x) for the model z ~ N(0, 1), x | z ~ N(z, 1) and q = N(loc, scale^2).

    x, z, loc, scale: float tensors that broadcast together (z usually (k, ...), one row per draw).
    Write the three Gaussian log-densities yourself, log N(v; m, s^2) = -((v - m)/s)^2 / 2 - log s
    - log(2 pi) / 2, with tensor arithmetic; not with mg.distributions.Normal.
    """
    raise NotImplementedError("exercise 23: linear_gaussian_log_weights")
