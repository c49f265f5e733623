"""Exercise 13, reference solution: cross-entropy from logits through a shifted log-sum-exp.

    -log softmax(z)[t] = logsumexp(z) - z[t],   logsumexp(z) = m + log sum_c exp(z_c - m),  m = max_c z_c

The shift by m changes nothing in exact arithmetic (e^-m cancels) but keeps every exp in
(0, 1]: no overflow for large logits, and the largest term is exactly 1, so the log never
sees 0. m is detached: the identity holds for any m, so its gradient would add up to zero
(and max's gradient is only a subgradient at ties).
"""


def cross_entropy(logits, target):
    """mean over the batch of logsumexp(logits[n]) - logits[n, target[n]]."""
    m = logits.max(axis=1, keepdims=True).detach()
    log_normalizer = m + (logits - m).exp().sum(axis=1, keepdims=True).log()        # (N, 1)
    picked = logits.take_along_axis(target.reshape((-1, 1)), axis=1)               # (N, 1): z[n, t_n]
    return (log_normalizer - picked).mean()
