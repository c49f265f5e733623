"""Exercise 14: a moving-average baseline that never sees the draw it is subtracted from, and the score surrogate.

Statement: docs/exercises/14_lagged_baseline.md.  Tests: python -m pytest docs/exercises/14_lagged_baseline
"""


class LaggedMovingAverage:
    """A baseline for the score-function estimator: a running average of the signal over previous steps.

        b = LaggedMovingAverage(decay=0.8)
        baseline = b(f)        # f: this step's signals, a tensor (B,); baseline: a tensor of f's shape

    Each call returns c, the average of the steps *before* this one (0.0 at the first call),
    in every entry, and only then takes this step's mean signal m = mean(f) into it:
    c <- m after the first call, c <- decay c + (1 - decay) m after the later ones.
    """

    def __init__(self, decay=0.8):
        raise NotImplementedError("exercise 14: LaggedMovingAverage.__init__")

    def __call__(self, f):
        raise NotImplementedError("exercise 14: LaggedMovingAverage.__call__")


def score_surrogate(f, log_q, b):
    """The first-order surrogate (Schulman et al. 2015): a scalar whose value is 0 and whose gradient is

        sum_i (f_i - b_i) grad log q(z_i)

    f, log_q and b have one shape (B,); log_q carries the graph to the parameters; f and b
    must pass no gradient (detach them). Write it as sum((f - b) * (log_q - log_q.detach())).
    """
    raise NotImplementedError("exercise 14: score_surrogate")
