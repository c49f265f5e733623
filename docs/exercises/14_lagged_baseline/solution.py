"""Exercise 14, reference solution: a moving-average baseline that only ever looks back, and the surrogate it feeds.

The score-function estimate (f - b) grad log q is unbiased when b does not depend on the
draw it multiplies: E[(f - b) grad log q] = E[f grad log q] - b E[grad log q] and the score
has mean zero. A running average updated with this step's draws *before* it is used would
contain each f_i and bias the estimate; so the baseline is read first, updated after.
"""


class LaggedMovingAverage:
    def __init__(self, decay=0.8):
        self.decay = decay
        self.average = None                      # nothing seen yet

    def __call__(self, f):
        b = f.detach() * 0.0 + (0.0 if self.average is None else self.average)     # f's shape, device and dtype
        mean = f.detach().mean().item()
        self.average = mean if self.average is None else self.decay * self.average + (1.0 - self.decay) * mean
        return b


def score_surrogate(f, log_q, b):
    """sum_i (f_i - b_i) (log q_i - stop(log q_i)): value 0, gradient sum_i (f_i - b_i) grad log q_i."""
    return ((f.detach() - b.detach()) * (log_q - log_q.detach())).sum()
