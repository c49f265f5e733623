"""Exercise 07, reference solution: KL between diagonal Gaussians in closed form.

For one coordinate, q = N(m1, s1^2) and p = N(m2, s2^2):

    E_q[log q] = -log s1 - 1/2 log(2 pi) - 1/2
    E_q[log p] = -log s2 - 1/2 log(2 pi) - (s1^2 + (m1 - m2)^2) / (2 s2^2)
    KL(q || p) = log(s2 / s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2

(with p = N(0, 1): -1/2 (1 + log s1^2 - m1^2 - s1^2), Kingma & Welling 2014, appendix B).
A diagonal Gaussian is d independent coordinates, and KL adds over independent coordinates.
"""


def kl_diagonal_normal(q_loc, q_scale, p_loc, p_scale):
    """sum over the last axis of log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2, as 0.5 (r^2 + z^2 - 1) - log r.

    r = s1 / s2 and z = (m1 - m2) / s2: one ratio and one log, instead of two logs that may
    both be large and nearly cancel.
    """
    ratio = q_scale / p_scale
    z = (q_loc - p_loc) / p_scale
    return (0.5 * (ratio * ratio + z * z - 1.0) - ratio.log()).sum(-1)
