"""Exercise 10, reference solution: Adam with the bias correction written out.

m and v are exponential averages of g and g^2 that start at 0, so after t steps
m = (1 - beta1) sum_k beta1^(t-k) g_k, whose weights sum to 1 - beta1^t, not 1:
dividing by that sum (the bias correction) makes m_hat an average again
(Kingma & Ba 2015, section 3). Without it, v (which moves by 1 - beta2 = 0.001 per step) is
far too small at first, and since it sits under a square root the first steps are too large:
0.1 / sqrt(0.001), about 3.2 times, at step 1.
"""
import minigrad as mg


class Adam:
    """Adam (Kingma & Ba 2015, Algorithm 1) for a list of tensors that require grad."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.m = [p.xp.zeros_like(p.data) for p in self.params]    # arrays: the state is not part of any graph
        self.v = [p.xp.zeros_like(p.data) for p in self.params]
        self.t = [0] * len(self.params)

    @mg.no_grad()
    def step(self):
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad.data
            self.t[i] += 1
            t = self.t[i]
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
            m_hat = self.m[i] / (1 - self.beta1 ** t)
            v_hat = self.v[i] / (1 - self.beta2 ** t)
            p.data = p.data - self.lr * m_hat / (p.xp.sqrt(v_hat) + self.eps)

    def zero_grad(self):
        for p in self.params:
            p.grad = None
