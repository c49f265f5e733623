"""Exercise 18, reference solution: the local reparameterization trick (Kingma, Salimans & Welling 2015).

With independent Gaussian weights W_ji ~ N(mu_ji, sigma_ji^2) and bias b_j ~ N(mu_b_j, sigma_b_j^2),
the pre-activation y_j = sum_i W_ji x_i + b_j of a fixed input is Gaussian with

    mean  sum_i mu_ji x_i + mu_b_j          variance  sum_i sigma_ji^2 x_i^2 + sigma_b_j^2

so it can be drawn directly, one noise per example and output, instead of a weight matrix.
"""


def local_reparam_linear(x, weight_loc, weight_scale, bias_loc, bias_scale, eps):
    mean = x @ weight_loc.T + bias_loc                                          # (N, out)
    variance = (x * x) @ (weight_scale * weight_scale).T + bias_scale * bias_scale
    return mean + variance.sqrt() * eps
