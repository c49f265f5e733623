# %% [markdown]
# # What gradients of gradients buy: Hessian-vector products, Newton-CG, Gaussian identities
#
# minigrad writes every vjp with minigrad ops, so a backward pass run with `create_graph=True`
# is itself recorded on the tape and can be differentiated again. This demo puts that to work
# three times, in float64 throughout:
#
# 1. **Hessian-vector products** $Hv$, exact and for the cost of a few gradients (Pearlmutter
#    1994, ["Fast exact multiplication by the Hessian"](https://doi.org/10.1162/neco.1994.6.1.147)),
#    by double backward on a small network, checked three ways: against finite differences of gradients, against
#    the explicit Hessian built column by column, and against forward-over-reverse, a
#    Jacobian-vector product of the gradient obtained with reverse passes only (the
#    "double-vjp trick").
# 2. **Newton-CG** (Nocedal & Wright, *Numerical Optimization*, 2nd ed., chapter 7; Martens 2010,
#    ["Deep learning via Hessian-free optimization"](https://www.cs.toronto.edu/~jmartens/docs/Deep_HessianFree.pdf)):
#    conjugate gradient on $Hp = -g$ touches $H$ only through products $Hv$. On L2-regularised
#    logistic regression it reaches a gradient norm of $10^{-8}$ in a handful of Newton steps;
#    gradient descent and Adam are run beside it.
# 3. **Gaussian backpropagation identities** (Bonnet 1964, Price 1958; see Rezende, Mohamed &
#    Wierstra 2014, [arXiv:1401.4082](https://arxiv.org/abs/1401.4082), and Opper & Archambeau
#    2009, [doi:10.1162/neco.2008.08-07-592](https://doi.org/10.1162/neco.2008.08-07-592)):
#    for $x \sim \mathcal{N}(\mu, C)$, $\nabla_\mu \mathbb{E}[f] = \mathbb{E}[\nabla f]$,
#    $\nabla_C \mathbb{E}[f] = \tfrac12 \mathbb{E}[\nabla^2 f]$, and with $x = \mu + R\epsilon$,
#    $\nabla_R \mathbb{E}[f] = \mathbb{E}[g \epsilon^\top]$. Monte Carlo through the tape
#    against exact values from test functions whose expectations have closed forms.
#
# **Program, module and notebook** (the conventions of `demos/estimators.py`):
#
# - Program: `python demos/second_order.py` (`--help` lists the options) prints the three
#   results and writes `hvp.png`, `newton_cg.png`, `identities.png` and `metrics.json` to
#   `demo_out/second_order`.
# - Module: importing the file only defines things; `main(argv)` runs the demo and returns the
#   metrics (the tests do this), and `hvp`, `jvp`, `conjugate_gradient`, `newton_cg` can be
#   imported on their own.
# - Notebook: `jupytext --to notebook demos/second_order.py`, or open the `.py` file in Jupyter
#   with jupytext installed; `NOTEBOOK` (next cell) is true only there, as in `demos/estimators.py`.

# %%
"""What gradients of gradients buy: Hessian-vector products, Newton-CG, Gaussian identities.

    python demos/second_order.py --out demo_out/second_order

The explanation is in the Markdown cells of this file, which opens as a notebook (see the first cell).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy

# Run from a checkout: put the repository on the path. A notebook has no __file__; Jupyter starts
# its kernel in the notebook's folder (demos/).
HERE = os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals() else os.getcwd()
sys.path.insert(0, os.path.join(HERE, ".."))
import minigrad as mg  # noqa: E402

NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules   # in a Jupyter kernel, not imported
F64 = mg.float64


# %% [markdown]
# ## 1. Hessian-vector products by double backward
#
# For $f: \mathbb{R}^n \to \mathbb{R}$ and a fixed $v$, the scalar $\nabla f(x) \cdot v$ has
# gradient $\nabla_x (\nabla f(x) \cdot v) = H v$. With `create_graph=True` the first backward
# pass leaves $g = \nabla f(x)$ as a tensor on the tape, a function of $x$; a second backward
# pass from $(g \cdot v)$ gives $Hv$ ("reverse over reverse"). It costs a small multiple of one
# gradient, whatever $n$, and never forms $H$. When many products are needed at the same $x$
# (the columns of $H$, or the steps of conjugate gradient), the first pass is made once and only
# the second is repeated: `gradient_with_graph` then `hvp_from_gradient`.
#
# **Forward over reverse, without a forward mode.** Pearlmutter (1994) computed $Hv$ exactly,
# at the cost of a few gradients, the other way round: differentiate the backward pass in the
# direction $v$ (his $\mathcal{R}_v\{\cdot\}$ operator), which is forward mode applied to the
# gradient. A Jacobian-vector product $Jv$ of $F: \mathbb{R}^n \to \mathbb{R}^m$ is forward
# mode, and minigrad has only reverse mode. But the vjp $u \mapsto J^\top u$ is linear in $u$,
# and its gradient with respect to $u$ along $v$ is $\nabla_u (J^\top u \cdot v) = Jv$. So:
# record $J^\top u$ for a dummy $u$ (its value is irrelevant: zeros), then differentiate it with
# respect to $u$ (the "double-vjp" or "double backward" trick). With $F = \nabla f$ this is
# Pearlmutter's forward-over-reverse $Hv$, reached by a different path through the tape from the
# reverse-over-reverse product above (three reverse passes, the last with respect to $u$ rather
# than $x$), so the two check each other. `jvp` works for any $J$, square or not; the demo also
# checks it on the network's outputs, where $J$ is $192 \times 67$.

# %%
def gradient_with_graph(f, x):
    """(f(x), grad f(x)), the gradient recorded on the tape (create_graph=True) so that it can be differentiated."""
    value = f(x)
    (g,) = mg.autograd.grad(value, x, create_graph=True)
    return value, g


def hvp_from_gradient(g, x, v):
    """H v = d/dx (g . v), for g = grad f(x) recorded with create_graph: one more backward pass.

    retain_graph keeps g's graph for the next product. A g that does not depend on x (f linear)
    has H = 0: materialize_grads returns zeros instead of raising.
    """
    (hv,) = mg.autograd.grad((g * v).sum(), x, retain_graph=True, materialize_grads=True)
    return hv


def hvp(f, x, v):
    """The Hessian of the scalar f at x times v, by double backward (reverse over reverse)."""
    return hvp_from_gradient(gradient_with_graph(f, x)[1], x, v)


def hessian(f, x):
    """The explicit (n, n) Hessian of f at a 1-d x, column by column: H e_j, one product each."""
    _, g = gradient_with_graph(f, x)
    eye = mg.eye(x.shape[0], dtype=x.dtype, device=x.device)
    return mg.stack([hvp_from_gradient(g, x, eye[j]) for j in range(x.shape[0])], axis=1)


def jvp(F, x, v):
    """J v for F: R^n -> R^m at x, with reverse passes only (the double-vjp trick).

    u -> J^T u is linear in u; d/du (J^T u . v) = J v. u is a dummy cotangent (zeros):
    nothing depends on its value. F must return a tensor that depends on x through a graph.
    """
    y = F(x)
    u = mg.zeros(y.shape, dtype=y.dtype, device=y.device, requires_grad=True)
    (vjp_u,) = mg.autograd.grad(y, x, grad_outputs=u, create_graph=True)      # J^T u, recorded
    (jv,) = mg.autograd.grad((vjp_u * v).sum(), u, materialize_grads=True)    # d/du (u^T J v)
    return jv


def hvp_forward_over_reverse(f, x, v):
    """H v as the jvp of x -> grad f(x) along v: Pearlmutter's forward over reverse, with the double-vjp trick."""
    return jvp(lambda z: gradient_with_graph(f, z)[1], x, v)


def hvp_finite_differences(f, x, v, h):
    """(grad f(x + h v) - grad f(x - h v)) / 2h: error O(h^2) from truncation, O(eps / h) from rounding."""
    def gradient(z):
        z = mg.tensor(z, dtype=x.dtype, device=x.device, requires_grad=True)
        return mg.autograd.grad(f(z), z)[0].numpy()
    x0, v0 = x.numpy(), v.numpy()
    return (gradient(x0 + h * v0) - gradient(x0 - h * v0)) / (2 * h)


# %% [markdown]
# **The small network.** A 4-8-3 network with a tanh hidden layer and a softmax cross-entropy
# loss on 64 random points with random labels, its 67 weights and biases held in one flat vector
# $\theta$ so that $H$ is a $67 \times 67$ matrix. The loss is evaluated at random weights, not
# at a minimum, so $H$ is indefinite: nothing about the check relies on convexity.

# %%
NET_SIZES = (4, 8, 3)


def small_network(seed):
    """(loss(theta), outputs(theta), theta0): a 4-8-3 tanh network's cross-entropy on random data."""
    rng = numpy.random.default_rng(seed)
    n_in, n_hidden, n_out = NET_SIZES
    inputs = mg.tensor(rng.standard_normal((64, n_in)), dtype=F64)
    labels = numpy.eye(n_out)[rng.integers(0, n_out, 64)]
    onehot = mg.tensor(labels, dtype=F64)
    shapes = [(n_in, n_hidden), (n_hidden,), (n_hidden, n_out), (n_out,)]
    ends = numpy.cumsum([math.prod(s) for s in shapes])

    def outputs(theta):
        """The logits (64, 3), from the flat parameter vector theta."""
        W1, b1, W2, b2 = [theta[start:end].reshape(shape)
                          for start, end, shape in zip([0, *ends[:-1]], ends, shapes)]
        return (inputs @ W1 + b1).tanh() @ W2 + b2

    def loss(theta):
        return -(onehot * outputs(theta).log_softmax(-1)).sum(-1).mean()

    theta0 = mg.tensor(rng.standard_normal(int(ends[-1])) * 0.7, dtype=F64, requires_grad=True)
    return loss, outputs, theta0


def timings(loss, theta, v, repeats=20):
    """Median seconds of one gradient, one Hv (gradient with a graph + one more backward) and the explicit Hessian."""
    def median_time(work, repeats):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        return float(numpy.median(times))
    return {"seconds_one_gradient": median_time(lambda: mg.autograd.grad(loss(theta), theta), repeats),
            "seconds_one_hvp": median_time(lambda: hvp(loss, theta, v), repeats),
            "seconds_explicit_hessian": median_time(lambda: hessian(loss, theta), 3)}


def relative_error(a, b):
    a, b = numpy.asarray(a), numpy.asarray(b)
    return float(numpy.linalg.norm(a - b) / numpy.linalg.norm(b))


def check_hvp(seed=0):
    """Hv by double backward against the explicit Hessian, forward-over-reverse and finite differences."""
    loss, outputs, theta = small_network(seed)
    rng = numpy.random.default_rng(seed + 1)
    v = mg.tensor(rng.standard_normal(theta.shape[0]), dtype=F64)
    hv = hvp(loss, theta, v).numpy()
    H = hessian(loss, theta).numpy()
    hv_for = hvp_forward_over_reverse(loss, theta, v).numpy()
    steps = numpy.logspace(-12, -1, 23)
    fd_errors = [relative_error(hvp_finite_differences(loss, theta, v, h), H @ v) for h in steps]
    # jvp on a Jacobian that is not symmetric: the network's logits (64 x 3) against theta (67)
    jv = jvp(outputs, theta, v).numpy()
    h = 1e-5
    jv_fd = (outputs(mg.tensor(theta.numpy() + h * v.numpy())).numpy()
             - outputs(mg.tensor(theta.numpy() - h * v.numpy())).numpy()) / (2 * h)
    eigenvalues = numpy.linalg.eigvalsh(0.5 * (H + H.T))
    best = int(numpy.argmin(fd_errors))
    return {
        "parameters": int(theta.shape[0]),
        "double_backward_vs_explicit_hessian": relative_error(hv, H @ v),
        "forward_over_reverse_vs_double_backward": relative_error(hv_for, hv),
        "finite_differences_vs_explicit_hessian_best": fd_errors[best],
        "finite_differences_best_step": float(steps[best]),
        "hessian_asymmetry": float(numpy.linalg.norm(H - H.T) / numpy.linalg.norm(H)),
        "hessian_eigenvalues_min_max": [float(eigenvalues[0]), float(eigenvalues[-1])],
        "jvp_outputs_vs_finite_differences": relative_error(jv, jv_fd),
        **timings(loss, theta, v),
        "fd_steps": steps.tolist(), "fd_errors": fd_errors,
        "hessian": H.tolist(),
    }


# %% [markdown]
# ## 2. Newton-CG: conjugate gradient with Hessian-vector products only
#
# Newton's step solves $H p = -g$. Conjugate gradient solves a symmetric positive-definite system
# with one product $H d$ per iteration and never needs $H$ itself (Nocedal & Wright, algorithm
# 5.3 with a preconditioner $M$, which applies $M^{-1}$ to the residual). "Truncated" Newton
# stops CG early: at outer step $k$ CG stops when the residual
# $\|Hp + g\| \le \eta_k \|g\|$ with the forcing term $\eta_k = \min(0.5, \sqrt{\|g\|})$, which
# gives superlinear convergence (Nocedal & Wright, algorithm 7.1), and if CG meets a direction of
# non-positive curvature it returns the step so far (or $-g$). A backtracking (Armijo) line
# search from the full step keeps each step a descent; near the minimum the full step is taken
# and convergence is superlinear (of order 1.5 with this forcing term; quadratic would need
# $\eta_k \propto \lVert g\rVert$: Nocedal & Wright, theorem 7.2).
#
# **Cost.** Each outer step makes one gradient with a graph, then one extra backward pass per CG
# iteration. CG's error in the $H$-norm falls at least like $2\exp(-2K/\sqrt{\kappa})$ after
# $K$ iterations (Nocedal & Wright, equation 5.36; K. Fan's slides in the course reading quote
# it without the 2), $\kappa$ the condition number of (the preconditioned) $H$, so a preconditioner
# that shrinks $\kappa$ shrinks $K$. The demo also runs Newton-CG with a Jacobi preconditioner
# $M = \operatorname{diag}(H)$, the diagonal estimated from Hessian-vector products alone by
# Hutchinson's estimator (Bekas, Kokiopoulou & Saad 2007),
# $\operatorname{diag}(H) \approx \frac1S \sum_s z_s \odot H z_s$ with $S = 10$ vectors $z_s$ of
# independent $\pm 1$ entries per outer step (counted among the products). Whether it helps depends
# on where the ill-conditioning lives: a diagonal fixes badly scaled features, not correlated ones.
# The demo prints the condition number at the minimum with and without the exact Jacobi scaling
# $D^{-1/2} H D^{-1/2}$ so that the answer can be read off.
#
# **The problem.** L2-regularised logistic regression, with labels $y_i \in \{0, 1\}$,
# features $x_i$ (with a 1 appended for the bias) and
#
# $$f(w) = \frac1N \sum_i \big[\log(1 + e^{x_i^\top w}) - y_i\, x_i^\top w\big] + \frac\lambda2 \|w\|^2 .$$
#
# $H = \frac1N X^\top \operatorname{diag}(\sigma_i (1 - \sigma_i)) X + \lambda I$ is positive
# definite, so Newton's direction always descends. The penalty covers the bias too, so that
# $H \succeq \lambda I$ everywhere: the minimum $w^*$ is unique and a small gradient means a point
# near it, $\|w - w^*\| \le \|g\| / \lambda$. The data: the Wisconsin breast cancer set (569
# tumours, 30 features, each standardised; `minigrad/data/breast_cancer.csv`) when it is there,
# else 3s against 5s from the MNIST digits bundled with minigrad (grey levels in $[0, 1]$, 784
# pixels); `--data` chooses.
#
# **The baselines.** Gradient descent with the step $1/L$, $L$ the largest eigenvalue of the
# Hessian at $w = 0$, found by power iteration with Hessian-vector products ($\sigma(1 - \sigma)$
# is largest at 0, so $L$ bounds the curvature everywhere and every step descends), and Adam
# (Kingma & Ba 2015) at the best of a grid of constant learning rates (`--adam-lrs`, 0.001 to 3:
# the fewest iterations to the target), both with minigrad's optimizers (`mg.optim.SGD`,
# `mg.optim.Adam`), full batch, from $w = 0$.

# %%
BREAST_CANCER = os.path.join(os.path.dirname(os.path.abspath(mg.__file__)), "data", "breast_cancer.csv")


def load_logreg_data(which="auto", mnist_per_class=500):
    """(X, y, description): float64 features with a last column of ones (the bias), labels 0/1.

    "breast_cancer": minigrad/data/breast_cancer.csv (columns: 30 features, then "target"),
    each feature standardised to mean 0 and variance 1. "mnist": digits 3 (label 0) and 5
    (label 1), the first mnist_per_class of each from mg.data.load_mnist()'s training digits,
    grey levels in [0, 1]. "auto": the breast cancer set if the file is there, else MNIST.
    """
    if which == "auto":
        which = "breast_cancer" if os.path.exists(BREAST_CANCER) else "mnist"
    if which == "breast_cancer":
        table = numpy.genfromtxt(BREAST_CANCER, delimiter=",", names=True)
        names = table.dtype.names
        label = "target" if "target" in names else names[-1]
        X = numpy.stack([table[n] for n in names if n != label], axis=1)
        y = table[label].astype(numpy.float64)
        X = (X - X.mean(0)) / X.std(0)
        description = f"breast cancer (Wisconsin), {len(y)} tumours x {X.shape[1]} standardised features + bias"
    elif which == "mnist":
        data = mg.data.load_mnist(binarize_test=False)
        images, labels = data.train_images.astype(numpy.float64), data.train_labels
        threes = numpy.flatnonzero(labels == 3)[:mnist_per_class]
        fives = numpy.flatnonzero(labels == 5)[:mnist_per_class]
        X = numpy.concatenate([images[threes], images[fives]])
        y = numpy.concatenate([numpy.zeros(len(threes)), numpy.ones(len(fives))])
        description = f"MNIST 3 vs 5, {len(y)} digits x 784 grey levels in [0, 1] + bias"
    else:
        raise ValueError(f"unknown data set {which!r}: breast_cancer, mnist or auto")
    X = numpy.hstack([X, numpy.ones((len(X), 1))])
    return X, y, description


def logistic_objective(X, y, lam, device="cpu"):
    """f(w) = mean(softplus(x_i . w) - y_i x_i . w) + lam/2 |w|^2, a function of a minigrad tensor w."""
    Xt, yt = mg.tensor(X, dtype=F64, device=device), mg.tensor(y, dtype=F64, device=device)

    def f(w):
        z = Xt @ w
        return (z.softplus() - yt * z).mean() + 0.5 * lam * (w * w).sum()
    return f


def dot(a, b):
    return (a * b).sum().item()


def conjugate_gradient(hvp_of, b, tol, max_iter, precondition=None):
    """Solve H p = b with products H v only (preconditioned CG, Nocedal & Wright algorithm 5.3).

    hvp_of(v) returns H v; precondition(r) returns M^-1 r (None: M = I). Stops when the
    residual |H p - b| <= tol, after max_iter products, or at a direction of non-positive
    curvature (then the step so far is returned; b itself if there is none yet).
    Returns (p, number of products, residual norm).
    """
    p = mg.zeros_like(b)
    r = b.detach()                                 # r = b - H p, with p = 0
    z = precondition(r) if precondition else r
    d, rz, products = z, dot(r, z), 0
    norm_r = math.sqrt(dot(r, r))
    while norm_r > tol and products < max_iter:
        Hd = hvp_of(d)
        products += 1
        curvature = dot(d, Hd)
        if curvature <= 0:                         # not positive definite along d: stop here
            return (b if products == 1 else p), products, norm_r
        alpha = rz / curvature
        p, r = p + alpha * d, r - alpha * Hd
        norm_r = math.sqrt(dot(r, r))
        z = precondition(r) if precondition else r
        rz_next = dot(r, z)
        d, rz = z + (rz_next / rz) * d, rz_next
    return p, products, norm_r


def hutchinson_diagonal(g, w, probes, rng):
    """An estimate of diag(H) from `probes` products H z, z with independent +-1 entries (Bekas et al. 2007)."""
    total = mg.zeros_like(w.detach())
    for _ in range(probes):
        z = mg.tensor(rng.choice([-1.0, 1.0], size=w.shape), dtype=F64, device=w.device)
        total = total + z * hvp_from_gradient(g, w, z)
    return total / probes


def newton_cg(f, w0, tol=1e-8, max_steps=50, max_cg=250, preconditioner="none", probes=10, seed=0, device="cpu"):
    """Minimise f from w0 by truncated Newton with CG (Nocedal & Wright algorithm 7.1).

    Returns a history: per outer step the gradient norm, the cumulative counts of gradients,
    Hessian-vector products and function values, and the seconds since the start.
    """
    rng = numpy.random.default_rng(seed)
    w = mg.tensor(w0, dtype=F64, device=device, requires_grad=True)
    history = {"grad_norm": [], "gradients": [], "hvps": [], "function_values": [], "seconds": [], "cg_iterations": []}
    gradients = hvps = values = 0
    start = time.perf_counter()
    for _ in range(max_steps + 1):
        value, g = gradient_with_graph(f, w)
        gradients += 1
        norm_g = math.sqrt(dot(g, g))
        for key, item in (("grad_norm", norm_g), ("gradients", gradients), ("hvps", hvps),
                          ("function_values", values), ("seconds", time.perf_counter() - start)):
            history[key].append(item)
        if norm_g < tol:
            break
        precondition = None
        if preconditioner == "jacobi":
            diagonal = hutchinson_diagonal(g, w, probes, rng)
            hvps += probes
            # Hutchinson's estimate can dip below the true diagonal (or below 0): floor it at a tenth of its mean
            floor = 0.1 * diagonal.mean().item()
            inverse = 1.0 / mg.maximum(diagonal, mg.full_like(diagonal, floor))
            precondition = lambda r, inverse=inverse: inverse * r   # noqa: E731
        forcing = min(0.5, math.sqrt(norm_g)) * norm_g
        hvp_here = lambda v, g=g, w=w: hvp_from_gradient(g, w, v)   # noqa: E731  (g, w of this step)
        p, products, _ = conjugate_gradient(hvp_here, -g.detach(), forcing, max_cg, precondition)
        hvps += products
        history["cg_iterations"].append(products)
        # backtracking (Armijo) line search from the full Newton step
        slope, f0, t = dot(g, p), value.item(), 1.0
        with mg.no_grad():
            while True:
                values += 1
                if f(w.detach() + t * p).item() <= f0 + 1e-4 * t * slope or t < 1e-10:
                    break
                t *= 0.5
        w = (w.detach() + t * p).requires_grad_()
    history["seconds_total"] = time.perf_counter() - start
    history["w"] = w.numpy()
    return history


def largest_eigenvalue(f, w, iterations=100, seed=0, device="cpu"):
    """The largest eigenvalue of the Hessian of f at w, by power iteration with Hessian-vector products."""
    w = mg.tensor(w, dtype=F64, device=device, requires_grad=True)
    _, g = gradient_with_graph(f, w)
    v = mg.tensor(numpy.random.default_rng(seed).standard_normal(w.shape), dtype=F64, device=device)
    eigenvalue = 0.0
    for _ in range(iterations):
        v = v / math.sqrt(dot(v, v))
        Hv = hvp_from_gradient(g, w, v)
        eigenvalue, v = dot(v, Hv), Hv
    return eigenvalue


def first_order(f, w0, optimizer_name, lr, tol, max_iter, progress, device="cpu", max_seconds=math.inf):
    """Gradient descent (mg.optim.SGD) or Adam (mg.optim.Adam), full batch, until |g| < tol, max_iter
    iterations or max_seconds (a safety net for slow machines and big data: the run then counts as not reached).

    Returns the history; the gradient norm is recorded at every iteration, the time too.
    """
    w = mg.nn.Parameter(mg.tensor(w0, dtype=F64, device=device))
    optimizer = mg.optim.SGD([w], lr=lr) if optimizer_name == "gd" else mg.optim.Adam([w], lr=lr)
    norms, seconds = [], []
    steps = progress(range(max_iter + 1))
    start = time.perf_counter()
    for _ in steps:
        optimizer.zero_grad()
        f(w).backward()
        norm_g = math.sqrt(dot(w.grad, w.grad))
        norms.append(norm_g)
        seconds.append(time.perf_counter() - start)
        if norm_g < tol or not math.isfinite(norm_g) or seconds[-1] > max_seconds:
            break
        optimizer.step()
    return {"grad_norm": norms, "seconds": seconds, "gradients": len(norms), "hvps": 0,
            "seconds_total": time.perf_counter() - start, "w": w.numpy()}


def compare_optimizers(X, y, lam, tol, max_iter, adam_lrs, progress, device="cpu", max_seconds=math.inf):
    """Newton-CG (plain and Jacobi-preconditioned), gradient descent and Adam on one logistic regression.

    Adam runs at every learning rate in adam_lrs; the runs dict keeps the one that reaches tol in
    the fewest iterations (or, if none does, ends with the smallest gradient), and the sweep is returned.
    """
    f = logistic_objective(X, y, lam, device)
    w0 = numpy.zeros(X.shape[1])
    start = time.perf_counter()
    L = largest_eigenvalue(f, w0, device=device)
    seconds_L = time.perf_counter() - start
    runs = {
        "Newton-CG": newton_cg(f, w0, tol, device=device),
        "Newton-CG, Jacobi": newton_cg(f, w0, tol, preconditioner="jacobi", device=device),
        "gradient descent": first_order(f, w0, "gd", 1.0 / L, tol, max_iter, progress("gradient descent, lr = 1/L"),
                                        device, max_seconds),
    }
    sweep = {lr: first_order(f, w0, "adam", lr, tol, max_iter, progress(f"Adam, lr = {lr:g}"), device, max_seconds)
             for lr in adam_lrs}
    best = min(sweep, key=lambda lr: (sweep[lr]["grad_norm"][-1] >= tol, len(sweep[lr]["grad_norm"]),
                                      sweep[lr]["grad_norm"][-1]))
    runs["Adam"] = sweep[best]
    # The condition number at the minimum, from the explicit Hessian (numbers for the reader; the
    # methods above never form it), and with the exact Jacobi scaling D^-1/2 H D^-1/2.
    w_star = runs["Newton-CG"]["w"]
    s = 1.0 / (1.0 + numpy.exp(-X @ w_star))
    H = X.T @ (X * (s * (1 - s))[:, None]) / len(y) + lam * numpy.eye(X.shape[1])
    eigenvalues = numpy.linalg.eigvalsh(H)
    scaled = numpy.linalg.eigvalsh(H / numpy.sqrt(numpy.outer(numpy.diag(H), numpy.diag(H))))
    info = {"L_at_0": L, "seconds_power_iteration": seconds_L,
            "hessian_eigenvalues_at_minimum": [float(eigenvalues[0]), float(eigenvalues[-1])],
            "kappa_at_minimum": float(eigenvalues[-1] / eigenvalues[0]),
            "kappa_jacobi_scaled_at_minimum": float(scaled[-1] / scaled[0]),
            "f_at_minimum": f(mg.tensor(w_star, device=device)).item(),
            "adam_lr": best,
            "adam_sweep": [{"lr": lr, "reached": bool(r["grad_norm"][-1] < tol), "iterations": len(r["grad_norm"]) - 1,
                            "final_grad_norm": r["grad_norm"][-1]} for lr, r in sweep.items()]}
    return runs, info


def summarise(name, run, tol):
    """One row of the table: did it reach tol, and what did it cost (Newton's counts are cumulative lists)."""
    last = lambda counts: counts[-1] if isinstance(counts, list) else counts   # noqa: E731
    return {"method": name, "reached": bool(run["grad_norm"][-1] < tol), "iterations": len(run["grad_norm"]) - 1,
            "gradients": last(run["gradients"]), "hvps": last(run["hvps"]), "seconds": run["seconds"][-1],
            "final_grad_norm": run["grad_norm"][-1]}


# %% [markdown]
# ## 3. The Gaussian identities, by Monte Carlo through the tape
#
# For $x \sim \mathcal{N}(\mu, C)$ and a smooth $f$ (Rezende et al. 2014, section 3; Opper &
# Archambeau 2009):
#
# $$\nabla_{\mu} \mathbb{E}[f(x)] = \mathbb{E}[\nabla f(x)] \quad\text{(Bonnet)},\qquad
# \nabla_{C} \mathbb{E}[f(x)] = \tfrac12\, \mathbb{E}[\nabla^2 f(x)] \quad\text{(Price)},$$
#
# and with $x = \mu + R\epsilon$, $\epsilon \sim \mathcal{N}(0, I)$, $C = RR^\top$:
# $\frac{\partial}{\partial R_{ij}} \mathbb{E}[f] = \mathbb{E}[g_i \epsilon_j]$, i.e.
# $\nabla_R \mathbb{E}[f] = \mathbb{E}[g\, \epsilon^\top]$ with $g = \nabla f(\mu + R\epsilon)$
# (K. Fan's slides in the course reading write $\mathbb{E}[\epsilon g^\top]$: the same numbers
# laid out transposed).
# $\nabla_C$ is the symmetric matrix $G$ with $d\,\mathbb{E}[f] = \operatorname{tr}(G\, dC)$ for
# symmetric $dC$; by the chain rule through $C = RR^\top$, $\nabla_R = 2GR = \mathbb{E}[\nabla^2 f] R$,
# which is Stein's lemma $\mathbb{E}[g \epsilon^\top] = \mathbb{E}[\nabla^2 f] R$ again.
#
# **Monte Carlo through the tape.** $S$ draws, each with its own copy of $\mu$ (shape $(S, d)$)
# and $R$ ($(S, d, d)$), so that one backward pass from $\sum_s f(x_s)$ leaves the $S$
# single-draw estimates $\nabla f(x_s)$ in `mu.grad` and $\nabla f(x_s)\,\epsilon_s^\top$ in
# `R.grad`, as the estimators demo does. Price's estimate $\tfrac12 \nabla^2 f(x_s)$ takes $d$
# more backward passes through the gradient's graph (one Hessian column each, for all draws at
# once). The mean of the $S$ estimates and its standard error $\mathrm{sd}/\sqrt{S}$ go in the table.
#
# **Exact values through the tape too.** Each test function has a closed-form $\mathbb{E}[f]$ as a
# function of $(\mu, C)$, written below with minigrad ops; its gradient with respect to $\mu$, to
# $C$ (symmetrised) and to $R$ (through $C = RR^\top$) is then exact, up to rounding. In $d = 2$,
# with $s = \mu^\top \mu + \operatorname{tr} C$ (the first is the real part of
# $\mathbb{E}[e^{(a + ib)^\top x}] = e^{(a + ib)^\top \mu + (a + ib)^\top C (a + ib) / 2}$):
#
# | $f(x)$ | $\mathbb{E}[f]$ |
# |---|---|
# | $e^{a^\top x} \cos(b^\top x)$ | $e^{a^\top\mu + (a^\top C a - b^\top C b)/2} \cos(b^\top \mu + a^\top C b)$ |
# | $\lVert x\rVert^4$ | $s^2 + 2 \operatorname{tr}(C^2) + 4 \mu^\top C \mu$ |
# | $e^{-\lVert x\rVert^2 / 2}$ | $\det(I + C)^{-1/2} \exp\!\big(-\tfrac12 \mu^\top (I + C)^{-1} \mu\big)$ |

# %%
A_VEC, B_VEC = numpy.array([0.6, -0.4]), numpy.array([0.9, 0.7])
MU0 = numpy.array([0.3, -0.5])
R0 = numpy.array([[0.8, 0.0], [0.3, 0.6]])     # C = R R^T, R the Cholesky factor


def _vec(values, like):
    return mg.tensor(values, dtype=F64, device=like.device)


def expcos(x):
    a, b = _vec(A_VEC, x), _vec(B_VEC, x)
    return (x @ a).exp() * (x @ b).cos()


def expcos_mean(mu, C):
    a, b = _vec(A_VEC, mu), _vec(B_VEC, mu)
    quad = lambda u, w: u @ (C @ w)   # noqa: E731
    return (mu @ a + 0.5 * quad(a, a) - 0.5 * quad(b, b)).exp() * (mu @ b + quad(a, b)).cos()


def quartic(x):
    return ((x * x).sum(-1)) ** 2


def quartic_mean(mu, C):
    trace = mg.linalg.diagonal(C).sum()
    s = (mu * mu).sum() + trace
    return s * s + 2.0 * (C * C.T).sum() + 4.0 * (mu @ (C @ mu))


def bump(x):
    return (-0.5 * (x * x).sum(-1)).exp()


def bump_mean(mu, C):
    M = mg.eye(2, dtype=F64, device=mu.device) + C                       # I + C, 2 x 2
    det = M[0, 0] * M[1, 1] - M[0, 1] * M[1, 0]
    # mu^T M^-1 mu with M^-1 = [[M11, -M01], [-M10, M00]] / det
    quad = (M[1, 1] * mu[0] ** 2 - (M[0, 1] + M[1, 0]) * mu[0] * mu[1] + M[0, 0] * mu[1] ** 2) / det
    return det ** -0.5 * (-0.5 * quad).exp()


TEST_FUNCTIONS = {
    "exp(a.x) cos(b.x)": (expcos, expcos_mean),
    "|x|^4": (quartic, quartic_mean),
    "exp(-|x|^2/2)": (bump, bump_mean),
}


def exact_gradients(mean_of):
    """E[f] and its exact gradients in mu, C (symmetrised) and R, by the tape through the closed form."""
    mu = mg.tensor(MU0, dtype=F64, requires_grad=True)
    R = mg.tensor(R0, dtype=F64, requires_grad=True)
    C = mg.tensor(R0 @ R0.T, dtype=F64, requires_grad=True)
    value = mean_of(mu, C)
    d_mu, d_C = mg.autograd.grad(value, [mu, C])
    (d_R,) = mg.autograd.grad(mean_of(mu.detach(), R @ R.T), R)
    d_C = d_C.numpy()
    return {"E[f]": numpy.array([value.item()]), "mu": d_mu.numpy(), "C": 0.5 * (d_C + d_C.T), "R": d_R.numpy()}


def monte_carlo_gradients(f, samples, device="cpu"):
    """S single-draw estimates of E[f], d/dmu (Bonnet), d/dC (Price) and d/dR, through the tape.

    Returns {name: array of shape (S, ...)}.
    """
    d = len(MU0)
    mu = mg.tensor(numpy.broadcast_to(MU0, (samples, d)).copy(), dtype=F64, device=device, requires_grad=True)
    R = mg.tensor(numpy.broadcast_to(R0, (samples, d, d)).copy(), dtype=F64, device=device, requires_grad=True)
    eps = mg.random.normal(size=(samples, d, 1), dtype=F64, device=device)
    x = mu + (R @ eps).squeeze(-1)                # x_s = mu + R eps_s: MultivariateNormal.rsample's line
    values = f(x)
    d_mu, d_R, g = mg.autograd.grad(values.sum(), [mu, R, x], create_graph=True)
    # Hessian columns for all draws at once: d/dx (g[:, j] summed over draws) = H_s e_j, draw by draw
    columns = [mg.autograd.grad(g[:, j].sum(), x, retain_graph=True)[0].numpy() for j in range(d)]
    hessians = numpy.stack(columns, axis=-1)
    return {"E[f]": values.numpy()[:, None], "mu": d_mu.numpy(), "C": 0.5 * hessians, "R": d_R.numpy()}


IDENTITY_NAMES = {"E[f]": "value E[f]", "mu": "Bonnet: E[grad f]", "C": "Price: E[Hess f]/2", "R": "E[g eps^T]"}


def identity_table(samples, device="cpu"):
    """Rows (function, identity, entry, exact, estimate, standard error, z) for every test function."""
    rows = []
    for name, (f, mean_of) in TEST_FUNCTIONS.items():
        exact = exact_gradients(mean_of)
        estimates = monte_carlo_gradients(f, samples, device)
        for key, identity in IDENTITY_NAMES.items():
            for index in numpy.ndindex(exact[key].shape):
                if key == "C" and index[0] > index[1]:
                    continue                          # symmetric: the upper triangle says it all
                draws = estimates[key][(slice(None), *index)]
                estimate, error = float(draws.mean()), float(draws.std(ddof=1) / math.sqrt(samples))
                entry = {"E[f]": "", "mu": "d/dmu_{}", "C": "d/dC_{}{}", "R": "d/dR_{}{}"}[key].format(
                    *(i + 1 for i in index))
                value = float(exact[key][index])
                rows.append({"function": name, "identity": identity, "entry": entry, "exact": value,
                             "estimate": estimate, "standard_error": error,
                             "z": (estimate - value) / error if error > 0 else 0.0})
    return rows


# %% [markdown]
# ## Pictures and printing
#
# `hvp.png`: the explicit Hessian of the network, and the error of finite differences of the
# gradient against the step $h$, with the two autodiff routes as flat lines (they have no step).
# `newton_cg.png`: the gradient norm against iterations, against gradients-plus-products (the
# passes each method pays for) and against seconds. `identities.png`: each Monte Carlo estimate's
# distance from the exact value in standard errors.

# %%
COLORS = {"Newton-CG": "tab:blue", "Newton-CG, Jacobi": "tab:cyan", "gradient descent": "tab:red",
          "Adam": "tab:orange"}


def plot_hvp(plt, check, path):
    from matplotlib.colors import TwoSlopeNorm
    H = numpy.array(check["hessian"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 5.4), gridspec_kw={"width_ratios": [1, 1.2]})
    fig.subplots_adjust(left=0.07, right=0.98, top=0.88, bottom=0.25, wspace=0.42)
    limit = numpy.abs(H).max()
    image = left.imshow(H, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -limit, limit))
    fig.colorbar(image, ax=left, fraction=0.046, pad=0.03, label="H_ij")
    # the blocks of theta: W1 (4 x 8), b1 (8), W2 (8 x 3), b2 (3)
    n_in, n_hidden, n_out = NET_SIZES
    ends = numpy.cumsum([n_in * n_hidden, n_hidden, n_hidden * n_out, n_out])
    for end in ends[:-1]:
        left.axhline(end - 0.5, color="gray", linewidth=0.6)
        left.axvline(end - 0.5, color="gray", linewidth=0.6)
    centres = (numpy.concatenate([[0], ends[:-1]]) + ends) / 2 - 0.5
    left.set_xticks(centres, ["W1", "b1", "W2", "b2"])
    left.set_yticks(centres, ["W1", "b1", "W2", "b2"])
    left.set_title(f"the explicit Hessian, {H.shape[0]} x {H.shape[0]}, one Hv per column", fontsize=10)
    left.set_xlabel("parameter j (grouped by layer)")
    left.set_ylabel("parameter i (grouped by layer)")
    right.loglog(check["fd_steps"], check["fd_errors"], "o-", color="tab:gray", markersize=4,
                 label="finite differences of the gradient, step h, vs explicit H v")
    floor = 1e-17                                   # an error of exactly 0 is drawn here
    for key, color, style, label in (
            ("double_backward_vs_explicit_hessian", "tab:blue", "--", "double backward vs explicit H v"),
            ("forward_over_reverse_vs_double_backward", "tab:green", "-.",
             "forward-over-reverse vs double backward")):
        right.axhline(max(check[key], floor), color=color, linestyle=style, linewidth=2,
                      label=f"{label} ({check[key]:.1e}; no step)")
    right.axhline(numpy.finfo(numpy.float64).eps, color="black", linewidth=0.8, linestyle=":", zorder=1,
                  label="float64 machine epsilon (2.2e-16)")
    right.set_xlabel("finite-difference step h")
    right.set_ylabel("relative error |Hv - reference| / |reference|")
    right.set_title("finite differences need a good h; autodiff is exact to rounding", fontsize=10)
    right.set_ylim(floor / 3, 10)
    fig.legend(*right.get_legend_handles_labels(), loc="lower center", bbox_to_anchor=(0.62, 0.0), ncol=1,
               fontsize=8.5)
    fig.suptitle(f"demos/second_order.py: Hessian-vector products of a {'-'.join(map(str, NET_SIZES))} tanh "
                 f"network's loss ({check['parameters']} parameters), float64", y=0.985)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_newton(plt, runs, info, description, lam, tol, path):
    from matplotlib.lines import Line2D
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.8))
    fig.subplots_adjust(left=0.06, right=0.985, top=0.76, bottom=0.13, wspace=0.28)
    labels = {"Newton-CG": "Newton-CG", "Newton-CG, Jacobi": "Newton-CG, Jacobi preconditioner (Hutchinson)",
              "gradient descent": "gradient descent, step 1/L",
              "Adam": f"Adam, lr = {info['adam_lr']:g} (best of {len(info['adam_sweep'])} tried)"}
    for name, run in runs.items():
        norms = numpy.array(run["grad_norm"])
        newton = name.startswith("Newton")
        # what each iterate cost: Newton pays a gradient and its CG products, the others one gradient
        passes = numpy.array(run["gradients"]) + numpy.array(run["hvps"]) if newton else numpy.arange(1, len(norms) + 1)
        style = dict(marker="o", markersize=4) if newton else {}
        for ax, x in zip(axes, (numpy.arange(1, len(norms) + 1), passes, numpy.array(run["seconds"]))):
            ax.loglog(x, norms, color=COLORS[name], **style)
    for ax, label, title in zip(axes, ("iterate number (1 = the start; Newton: outer steps)",
                                       "gradients + Hessian-vector products so far", "wall time (s)"),
                                ("against iterations", "against backward passes paid for", "against time")):
        ax.axhline(tol, color="black", linestyle=":", linewidth=1)
        ax.set_xlabel(label)
        ax.set_ylabel("gradient norm |g|")
        ax.set_title(title, fontsize=10)
    handles = [Line2D([], [], color=COLORS[n], marker="o" if n.startswith("Newton") else None, label=labels[n])
               for n in runs]
    handles.append(Line2D([], [], color="black", linestyle=":", label=f"target |g| = {tol:g}"))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.925), ncol=3, fontsize=9)
    fig.suptitle(f"demos/second_order.py: L2 logistic regression (lambda = {lam:g}) from w = 0, float64, on\n"
                 f"{description}", y=0.995, fontsize=11)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_identities(plt, rows, samples, path):
    height = 0.22 * len(rows) + 1.5                      # inches: a row per entry, and room for the titles
    fig, ax = plt.subplots(figsize=(8, height))
    fig.subplots_adjust(left=0.42, right=0.97, top=1 - 0.9 / height, bottom=0.5 / height)
    y = numpy.arange(len(rows))[::-1]
    z = numpy.array([r["z"] for r in rows])
    ax.axvspan(-2, 2, color="tab:green", alpha=0.12, label="|z| < 2 (95% of entries, if all is right)")
    ax.axvspan(-4, -2, color="tab:orange", alpha=0.10)
    ax.axvspan(2, 4, color="tab:orange", alpha=0.10, label="2 < |z| < 4")
    ax.axvline(0, color="black", linewidth=0.8)
    colors = dict(zip(TEST_FUNCTIONS, ("tab:blue", "tab:purple", "tab:brown")))
    for name in TEST_FUNCTIONS:
        pick = numpy.array([r["function"] == name for r in rows])
        ax.plot(z[pick], y[pick], "o", color=colors[name], label=f"f = {name}")
    ax.set_yticks(y, [f"{r['function']:>18}  {r['identity']:<19} {r['entry']}" for r in rows],
                  fontsize=7, family="monospace")
    ax.set_xlim(-5, 5)
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_xlabel("z = (Monte Carlo estimate - exact) / standard error")
    ax.set_ylabel("test function, identity, entry")
    handles, labels = ax.get_legend_handles_labels()          # the two bands, then the three functions
    functions = ax.legend(handles[2:], labels[2:], loc="lower center", bbox_to_anchor=(0.28, 1.0), ncol=3,
                          fontsize=8, frameon=False, handletextpad=0.2, columnspacing=1.0)
    ax.add_artist(functions)
    ax.legend(handles[:2], labels[:2], loc="lower center", bbox_to_anchor=(0.28, 1.0 + 0.3 / (height - 1.3)),
              ncol=2, fontsize=8, frameon=False)
    fig.suptitle(f"demos/second_order.py: Gaussian identities, {samples:,} draws of x ~ N(mu, R R^T) in 2-D",
                 fontsize=10, y=0.995)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def print_hvp(check):
    print(f"1. Hessian-vector products on a {'-'.join(map(str, NET_SIZES))} tanh network "
          f"({check['parameters']} parameters, float64), relative errors |a - b| / |b|:")
    print(f"   double backward      vs explicit Hessian (column by column) H v : "
          f"{check['double_backward_vs_explicit_hessian']:.2e}")
    print(f"   forward-over-reverse vs double backward                        : "
          f"{check['forward_over_reverse_vs_double_backward']:.2e}")
    print(f"   finite differences   vs explicit Hessian, best step h = {check['finite_differences_best_step']:.0e} : "
          f"{check['finite_differences_vs_explicit_hessian_best']:.2e}")
    print(f"   |H - H^T| / |H| = {check['hessian_asymmetry']:.1e};  eigenvalues of H in "
          f"[{check['hessian_eigenvalues_min_max'][0]:.3f}, {check['hessian_eigenvalues_min_max'][1]:.3f}] "
          "(indefinite: not a minimum)")
    print(f"   jvp (double-vjp trick) of the 64 x 3 logits vs finite differences: "
          f"{check['jvp_outputs_vs_finite_differences']:.1e}")
    print(f"   time (median): one gradient {1e3 * check['seconds_one_gradient']:.2f} ms, one Hv "
          f"{1e3 * check['seconds_one_hvp']:.2f} ms ({check['seconds_one_hvp'] / check['seconds_one_gradient']:.1f} "
          f"gradients), the explicit Hessian {1e3 * check['seconds_explicit_hessian']:.0f} ms "
          f"({check['parameters']} products)")


def print_newton(summary, info, description, lam, tol):
    print(f"\n2. L2 logistic regression (lambda = {lam:g}) on {description}, from w = 0, to |grad| < {tol:g}")
    print(f"   L = {info['L_at_0']:.4g} (largest Hessian eigenvalue at w = 0, by power iteration with Hv: "
          f"gradient descent's step is 1/L)")
    low, high = info["hessian_eigenvalues_at_minimum"]
    print(f"   at the minimum: eigenvalues of H in [{low:.3g}, {high:.3g}], condition number "
          f"{info['kappa_at_minimum']:.3g} ({info['kappa_jacobi_scaled_at_minimum']:.3g} after the exact Jacobi "
          f"scaling D^-1/2 H D^-1/2);")
    print(f"   gradient descent's step 1/L contracts the flattest direction by 1 - {low:.3g}/L per step: "
          f"L/lambda_min = {info['L_at_0'] / low:.3g}")
    print(f"   {'method':<28} {'reached':>7} {'iterations':>10} {'gradients':>9} {'Hv products':>11} "
          f"{'seconds':>8} {'final |g|':>10}")
    for row in summary:
        name = row["method"] + (f" (lr = {info['adam_lr']:g})" if row["method"] == "Adam" else "")
        print(f"   {name:<28} {'yes' if row['reached'] else 'no':>7} {row['iterations']:>10} "
              f"{row['gradients']:>9} {row['hvps']:>11} {row['seconds']:>8.2f} {row['final_grad_norm']:>10.2e}")
    if not all(row["reached"] for row in summary):
        print("   ('no': stopped by --max-iter or --max-seconds before reaching the target)")
    sweep = ", ".join(f"{r['lr']:g}: {r['iterations'] if r['reached'] else 'not reached'}" for r in info["adam_sweep"])
    print(f"   Adam's learning rates tried (iterations to |g| < {tol:g}): {sweep}")


def print_identities(rows, samples):
    print(f"\n3. Gaussian identities, x = mu + R eps ~ N(mu, R R^T) in 2-D, {samples:,} draws through the tape;")
    print("   exact = the tape's gradient of the closed-form E[f]; z = (estimate - exact) / standard error")
    print(f"   {'f':<18} {'identity':<19} {'entry':<9} {'exact':>10} {'Monte Carlo':>11} {'std err':>9} {'z':>6}")
    for r in rows:
        print(f"   {r['function']:<18} {r['identity']:<19} {r['entry']:<9} {r['exact']:>10.5f} "
              f"{r['estimate']:>11.5f} {r['standard_error']:>9.1e} {r['z']:>6.2f}")
    z = numpy.array([r["z"] for r in rows])
    print(f"   {len(rows)} entries: max |z| = {numpy.abs(z).max():.2f}; |z| < 2 for {(numpy.abs(z) < 2).sum()}; "
          f"mean z^2 = {(z ** 2).mean():.2f} (1 expected if the standard errors are right)")


# %% [markdown]
# ## The demo: `main(argv)`

# %%
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", default=os.path.join("demo_out", "second_order"),
                        help="folder for the PNGs and metrics.json")
    parser.add_argument("--data", default="auto", choices=("auto", "breast_cancer", "mnist"),
                        help="logistic regression data (auto: breast cancer if its CSV is there, else MNIST 3 vs 5)")
    parser.add_argument("--mnist-per-class", type=int, default=500, help="digits of each class with --data mnist")
    parser.add_argument("--lam", type=float, default=1e-3, help="L2 penalty lambda")
    parser.add_argument("--tol", type=float, default=1e-8, help="stop at this gradient norm")
    parser.add_argument("--max-iter", type=int, default=100000, help="most iterations of gradient descent and Adam")
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="most seconds for each run of gradient descent or Adam (a safety net: MNIST is slower)")
    parser.add_argument("--adam-lrs", default="0.001,0.003,0.01,0.03,0.1,0.3,1,3",
                        help="Adam's learning rates, comma-separated: the best is compared")
    parser.add_argument("--samples", type=int, default=1000000, help="Monte Carlo draws for the identities")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (without it, one only on a terminal)")
    args = parser.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    os.makedirs(args.out, exist_ok=True)
    mg.random.seed(args.seed)
    start = time.perf_counter()

    check = check_hvp(args.seed)
    print_hvp(check)

    X, y, description = load_logreg_data(args.data, args.mnist_per_class)
    progress = lambda name: (lambda steps: tqdm(steps, desc=name, leave=False,
                             disable=args.no_progress or None))  # noqa: E731
    runs, info = compare_optimizers(X, y, args.lam, args.tol, args.max_iter,
                                    [float(lr) for lr in args.adam_lrs.split(",")], progress, args.device,
                                    args.max_seconds)
    summary = [summarise(name, run, args.tol) for name, run in runs.items()]
    print_newton(summary, info, description, args.lam, args.tol)

    rows = identity_table(args.samples, args.device)
    print_identities(rows, args.samples)

    plot_hvp(plt, check, os.path.join(args.out, "hvp.png"))
    plot_newton(plt, runs, info, description, args.lam, args.tol, os.path.join(args.out, "newton_cg.png"))
    plot_identities(plt, rows, args.samples, os.path.join(args.out, "identities.png"))
    seconds = time.perf_counter() - start
    metrics = {
        "config": vars(args),
        "hvp": {k: v for k, v in check.items() if k not in ("hessian", "fd_steps", "fd_errors")},
        "logistic_regression": {"data": description, **info, "methods": summary,
                                "cg_iterations_per_newton_step": {n: r["cg_iterations"] for n, r in runs.items()
                                                                  if "cg_iterations" in r}},
        "identities": rows,
        "seconds": seconds,
    }
    with open(os.path.join(args.out, "metrics.json"), "w") as file:
        json.dump(metrics, file, indent=1)
    print(f"\nwrote hvp.png, newton_cg.png, identities.png and metrics.json to {args.out} in {seconds:.1f} s")
    return metrics


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with the program's defaults (about a minute) and writes
# to `demo_out/second_order`. When the file runs as a program or is imported, this cell and the
# ones after it do nothing.

# %%
if NOTEBOOK:
    from IPython.display import Image, display

    OUT = os.path.join("demo_out", "second_order")
    metrics = main(["--no-progress", "--out", OUT])
    for picture in ("hvp.png", "newton_cg.png", "identities.png"):
        display(Image(os.path.join(OUT, picture)))

# %%
if __name__ == "__main__" and not NOTEBOOK:
    main(sys.argv[1:])
