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

        sum over the batch of  (1/n) sum_i [ f(x_i) + (w_i - b_i) * (log_q_i - log_q_i.detach()) ]

    with w = values.detach(), log_q = dist.log_prob(x), and b the baseline: 0 for None, the
    number itself for a number, leave_one_out(w) for "leave_one_out". Its value is the mean
    of f (the second term is 0) and backward() gives (1/n) sum_i (f(x_i) - b_i) grad log q(x_i).
    """
    raise NotImplementedError("exercise 05: score_function")
