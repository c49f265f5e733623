"""Exercise 10: the Adam optimizer, with its bias correction.

Statement: docs/exercises/10_adam.md.  Tests: python -m pytest docs/exercises/10_adam
"""
import minigrad as mg  # noqa: F401  (you will need it)


class Adam:
    """Adam (Kingma & Ba 2015, Algorithm 1) for a list of tensors that require grad.

        optimizer = Adam(params, lr=0.01)
        loss.backward()
        optimizer.step()         # moves every parameter that has a gradient
        optimizer.zero_grad()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        """Keep the parameters as the list ``self.params``, the hyperparameters, and the state step() needs."""
        raise NotImplementedError("exercise 10: Adam.__init__")

    def step(self):
        """One Adam update of every parameter whose .grad is not None, in place, recording nothing.

        With g the gradient and t the number of updates of this parameter so far (1 at the first):
            m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g^2       (m, v start at 0)
            p <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
        """
        raise NotImplementedError("exercise 10: Adam.step")

    def zero_grad(self):
        """Set every parameter's .grad to None."""
        raise NotImplementedError("exercise 10: Adam.zero_grad")
