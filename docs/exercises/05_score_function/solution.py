"""Exercise 05, reference solution: the score-function estimator with a baseline, as a surrogate.

Identity (Glynn 1990; Williams 1992): grad p = p grad log p, so

    grad E_p[f(x)] = E_p[f(x) grad log p(x)] = E_p[(f(x) - b) grad log p(x)]

for any b that does not depend on x, because E_p[grad log p] = grad 1 = 0.
The surrogate is DiCE's (Foerster et al. 2018): box = exp(log_q - log_q.detach()) is 1 in
value and d box = box d log_q, so f * box + (1 - box) * b has the value f, the gradient
grad f + (f - b) grad log_q, and unbiased derivatives of every order (the baseline term
(1 - box) b is Loaded DiCE's, Farquhar et al. 2019).
"""
import numbers


def leave_one_out(w):
    """b_i = (sum_j w_j - w_i) / (n - 1) (Kool, van Hoof & Welling 2019): independent of w_i."""
    n = w.shape[0]
    return (w.sum(0) - w) / (n - 1)


def score_function(f, dist, n, baseline=None):
    """sum over the batch of (1/n) sum_i [f(x_i) box_i + (1 - box_i) b_i], box_i = exp(log q(x_i) - detached)."""
    x = dist.sample((n,))            # no graph: theta reaches the estimate only through log q
    values = f(x)                    # keeps the graph of parameters inside f (their gradient is pathwise)
    w = values.detach()
    if baseline is None:
        b = 0.0
    elif isinstance(baseline, numbers.Real):
        b = baseline
    elif baseline == "leave_one_out":
        b = leave_one_out(w)
    else:
        raise ValueError(f"score_function: unknown baseline {baseline!r}; use None, a number or 'leave_one_out'")
    log_q = dist.log_prob(x)
    box = (log_q - log_q.detach()).exp()   # 1 in value; d box = box d log_q
    return (values * box + (1.0 - box) * b).sum() / n
