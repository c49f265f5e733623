"""Exercise 05: the score-function (REINFORCE) estimator as a surrogate, with a leave-one-out baseline.

Statement: docs/exercises/05_score_function.md.  Tests: python -m pytest docs/exercises/05_score_function
"""


def leave_one_out(w):
    """b_i = (sum_j w_j - w_i) / (n - 1): the mean of the OTHER samples, along axis 0.

    w is a tensor of shape (n,) + batch_shape with n >= 2 (constants: no graph behind it).
    The result has w's shape; b_i does not depend on w_i.
    """
    raise NotImplementedError("exercise 05: leave_one_out")


def score_function(f, dist, n, baseline=None):
    """A surrogate whose value estimates E[f(x)] and whose gradient is the score-function estimate.

    Draw x = dist.sample((n,)) (no graph), compute values = f(x) of shape (n,) + batch_shape and
    return the scalar

        sum over the batch of  (1/n) sum_i [ f(x_i) * box_i + (1 - box_i) * b_i ],
        box_i = exp(log_q_i - log_q_i.detach())   (DiCE's magic box: 1 in value)

    with log_q = dist.log_prob(x), w = values.detach() and b the baseline: 0 for None, the
    number itself for a number, leave_one_out(w) for "leave_one_out". Its value is the mean
    of f (box is 1) and backward() gives (1/n) sum_i (f(x_i) - b_i) grad log q(x_i); its
    second derivative is unbiased too (d box = box d log_q).
    """
    raise NotImplementedError("exercise 05: score_function")
