"""Exercise 07: the KL divergence between two diagonal Gaussians, in closed form.

Statement: docs/exercises/07_gaussian_kl.md.  Tests: python -m pytest docs/exercises/07_gaussian_kl
"""


def kl_diagonal_normal(q_loc, q_scale, p_loc, p_scale):
    """KL(q || p) for q = N(q_loc, diag(q_scale^2)) and p = N(p_loc, diag(p_scale^2)), summed over the last axis.

    The four arguments are tensors whose shapes broadcast together (the prior's may be 0-d,
    as a VAE's N(0, I) is); the last axis of the broadcast shape is the dimension d of the
    Gaussians, the axes before it a batch. Returns a tensor of the batch shape, differentiable
    in all four. No sampling: the formula is exact.
    """
    raise NotImplementedError("exercise 07: kl_diagonal_normal")
