"""Exercise 21, a reference solution: the conditional relaxed draw, in logs so it stays finite.

Statement: docs/exercises/21_relaxed_draw.md.
"""
import minigrad as mg


def conditional_logistic(logits, b, v):
    """z~ = l + log u' - log(1 - u'), u' uniform on the part of (0, 1) that gives the draw b.

    b = 1 when u > 1 - p, so given b = 1, u' = (1 - p) + p v and 1 - u' = p (1 - v); given b = 0,
    u' = (1 - p) v and 1 - u' = 1 - (1 - p) v. With log p = -softplus(-l) and log(1 - p) =
    -softplus(l), no probability that rounds to 0 or 1 is ever formed.
    """
    log_p, log_1mp = -mg.softplus(-logits), -mg.softplus(logits)
    log_v, log_1mv = v.log(), (-v).log1p()
    one = logits + (-(log_p + log_1mv).exp()).log1p() - log_p - log_1mv     # b = 1
    zero = logits + log_1mp + log_v - (-(log_1mp + log_v).exp()).log1p()     # b = 0
    return mg.where(b > 0.5, one, zero)
