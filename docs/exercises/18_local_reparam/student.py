"""Exercise 18: a Bayesian linear layer's output drawn by the local reparameterization trick.

Statement: docs/exercises/18_local_reparam.md.  Tests: python -m pytest docs/exercises/18_local_reparam
"""


def local_reparam_linear(x, weight_loc, weight_scale, bias_loc, bias_scale, eps):
    """One draw of the pre-activations y = x W^T + b with W_ji ~ N(weight_loc_ji, weight_scale_ji^2) and
    b_j ~ N(bias_loc_j, bias_scale_j^2), all independent, drawn through their Gaussian distribution:

        y_nj = sum_i weight_loc_ji x_ni + bias_loc_j + sqrt(sum_i weight_scale_ji^2 x_ni^2 + bias_scale_j^2) eps_nj

    x: (N, in); weight_loc, weight_scale: (out, in), PyTorch's layout; bias_loc, bias_scale:
    (out,); eps: (N, out) standard normal noise (given). Differentiable in all but eps.
    """
    raise NotImplementedError("exercise 18: local_reparam_linear")
