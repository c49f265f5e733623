"""Exercise 19: the semi-supervised VAE's (M2) bound for a digit without a label.

Statement: docs/exercises/19_m2_unlabelled.md.  Tests: python -m pytest docs/exercises/19_m2_unlabelled
"""


def unlabelled_bound(class_logits, labelled_bounds):
    """U(x) = sum_y q(y | x) L(x, y) + H(q(y | x)) for each digit of a batch: a tensor of shape (B,).

    class_logits: (B, K), the classifier's logits, q(y | x) = softmax(class_logits);
    labelled_bounds: (B, K), L(x, y) for every class y (each already includes log p(y)).
    Take log q from a log-softmax (stable), not log(softmax(...)): the bound must stay
    finite with logits of +-1000.
    """
    raise NotImplementedError("exercise 19: unlabelled_bound")
