"""Exercise 23, reference solution: the importance-weighted bound from log weights.

With k draws z_i ~ q(z | x) and log weights log w_i = log p(x, z_i) - log q(z_i | x)
(Burda, Grosse & Salakhutdinov 2016),

    L_k = log (1/k) sum_i w_i = m + log sum_i exp(log w_i - m) - log k,   m = max_i log w_i

The shift by m changes nothing in exact arithmetic and keeps every exp in (0, 1]: log
weights of a 784-pixel digit are in the hundreds below zero, where exp(log w) underflows
to 0 and the log of the sum would be -inf. m is detached: the identity holds for any m.

The model for the closed form: z ~ N(0, 1), x | z ~ N(z, 1), so x ~ N(0, 2) and the
posterior is p(z | x) = N(x / 2, 1 / 2). With q the posterior every weight is p(x) itself.
"""
import math

LOG_2PI = math.log(2 * math.pi)


def iwae_bound(log_w):
    """log (1/k) sum_i exp(log_w[i]) over axis 0 (the k draws): shape log_w.shape[1:]."""
    m = log_w.max(axis=0, keepdims=True).detach()
    return (m + (log_w - m).exp().sum(axis=0, keepdims=True).log()).squeeze(0) - math.log(log_w.shape[0])


def linear_gaussian_log_weights(x, z, loc, scale):
    """log p(z) + log p(x | z) - log q(z | x) for z ~ N(0, 1), x | z ~ N(z, 1), q = N(loc, scale^2); broadcasts."""
    u = (z - loc) / scale
    log_prior = -0.5 * z * z - 0.5 * LOG_2PI
    log_likelihood = -0.5 * (x - z) * (x - z) - 0.5 * LOG_2PI
    log_q = -0.5 * u * u - scale.log() - 0.5 * LOG_2PI
    return log_prior + log_likelihood - log_q
