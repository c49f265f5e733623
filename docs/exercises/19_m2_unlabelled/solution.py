"""Exercise 19, reference solution: M2's bound for an unlabelled digit (Kingma, Rezende, Mohamed & Welling 2014, eq. 7).

    U(x) = sum_y q(y | x) L(x, y) + H(q(y | x))

log q comes from log_softmax (a log-sum-exp shifted by the maximum), never from
log(softmax): a class with probability 1e-300 has log q = -690, not log 0 = -inf, and
0 * log 0 would make the entropy NaN.
"""


def unlabelled_bound(class_logits, labelled_bounds):
    log_q = class_logits.log_softmax(-1)
    q = log_q.exp()
    return (q * (labelled_bounds - log_q)).sum(-1)
