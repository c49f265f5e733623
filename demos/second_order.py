# %% [markdown]
# # What gradients of gradients buy: Hessian-vector products and Newton-CG
#
# Two experiments in float64 on `mg.autograd.functional`: Hessian-vector products on a small
# network, checked three ways; Newton-CG against gradient descent and Adam on L2-regularised
# logistic regression. The theory is in the chapter,
# [What gradients of gradients buy](../docs/second_order.md) §1-2 (its §3, the Gaussian
# identities, is `demos/gaussian_identities.py`). `python demos/second_order.py` writes two
# pictures, four tables and `metrics.json` to `demo_out/second_order`; `demos/common.py` holds
# the scaffolding.

# %%
"""What gradients of gradients buy: Hessian-vector products and Newton-CG.

    python demos/second_order.py --out demo_out/second_order
"""
import common  # isort: split

import math
import time
import timeit

import numpy

import minigrad as mg
from minigrad.autograd.functional import hessian, hvp, jvp, vhp, vjp

F64 = mg.float64


def relative_error(a, b):
    return float(numpy.linalg.norm(a - b) / numpy.linalg.norm(b))


# %% [markdown]
# ## 1. Hessian-vector products, checked three ways
#
# A 4-8-3 tanh network's cross-entropy on 64 random points with random labels, its 67 parameters
# in one vector $\theta$, at random weights (where $H$ is indefinite). $Hv$ by reverse over
# reverse (`vhp`) against the explicit Hessian (`hessian`, a reverse pass per row), against
# forward over reverse (`hvp`, the double-vjp trick) and against finite differences of the
# gradient; then `jvp` on the $192 \times 67$ Jacobian of the logits. Chapter §1.

# %%
NET_SIZES = (4, 8, 3)


def small_network(seed, device="cpu"):
    """(loss(theta), outputs(theta), theta0): a 4-8-3 tanh network's cross-entropy on random data."""
    rng = mg.backend.host_generator(seed)
    n_in, n_hidden, n_out = NET_SIZES
    inputs = mg.tensor(rng.standard_normal((64, n_in)), dtype=F64, device=device)
    onehot = mg.tensor(numpy.eye(n_out)[rng.integers(0, n_out, 64)], dtype=F64, device=device)
    shapes = [(n_in, n_hidden), (n_hidden,), (n_hidden, n_out), (n_out,)]
    ends = numpy.cumsum([math.prod(s) for s in shapes])

    def outputs(theta):
        """The logits (64, 3), from the flat parameter vector theta."""
        W1, b1, W2, b2 = [theta[start:end].reshape(shape) for start, end, shape in zip([0, *ends[:-1]], ends, shapes)]
        return (inputs @ W1 + b1).tanh() @ W2 + b2

    def loss(theta):
        return -(onehot * outputs(theta).log_softmax(-1)).sum(-1).mean()

    return loss, outputs, mg.tensor(rng.standard_normal(int(ends[-1])) * 0.7, dtype=F64, device=device)


def check_hvp(seed=0, device="cpu"):
    """Hv by double backward (vhp) against the explicit Hessian, forward-over-reverse (hvp) and finite differences."""
    loss, outputs, theta = small_network(seed, device)
    v = mg.tensor(mg.backend.host_generator(seed + 1).standard_normal(theta.shape[0]), dtype=F64, device=device)
    hv, H, hv_forward = vhp(loss, theta, v)[1].numpy(), hessian(loss, theta).numpy(), hvp(loss, theta, v)[1].numpy()
    Hv, steps = H @ v.numpy(), numpy.logspace(-12, -1, 23)

    def central(function, h):                      # (function(theta + h v) - function(theta - h v)) / 2h
        return (function(theta + h * v).numpy() - function(theta - h * v).numpy()) / (2 * h)
    fd_errors = [relative_error(central(lambda z: vjp(loss, z)[1], h), Hv) for h in steps]
    best = int(numpy.argmin(fd_errors))
    seconds = lambda work, repeat=20: float(numpy.median(timeit.repeat(work, number=1, repeat=repeat)))
    return {"parameters": int(theta.shape[0]), "double_backward_vs_explicit_hessian": relative_error(hv, Hv),
            "forward_over_reverse_vs_double_backward": relative_error(hv_forward, hv),
            "finite_differences_vs_explicit_hessian_best": fd_errors[best],
            "finite_differences_best_step": float(steps[best]),
            "hessian_asymmetry": float(numpy.linalg.norm(H - H.T) / numpy.linalg.norm(H)),
            "hessian_eigenvalues_min_max": numpy.linalg.eigvalsh(0.5 * (H + H.T))[[0, -1]].tolist(),
            "jvp_outputs_vs_finite_differences": relative_error(jvp(outputs, theta, v)[1].numpy(),
                                                                central(outputs, 1e-5)),
            "seconds_one_gradient": seconds(lambda: vjp(loss, theta)),
            "seconds_one_vhp": seconds(lambda: vhp(loss, theta, v)),
            "seconds_one_hvp": seconds(lambda: hvp(loss, theta, v)),
            "seconds_explicit_hessian": seconds(lambda: hessian(loss, theta), 3),
            "fd_steps": steps.tolist(), "fd_errors": fd_errors, "hessian": H.tolist()}


def report_hvp(check, args):
    """Print the checks and the costs; write them as hvp.md and hvp_cost.md."""
    low, high = check["hessian_eigenvalues_min_max"]
    print(f"1. Hessian-vector products on a {'-'.join(map(str, NET_SIZES))} tanh network ({check['parameters']} "
          f"parameters, float64); eigenvalues of H in [{low:.3f}, {high:.3f}] (indefinite: not a minimum)\n")
    checks = (
        ("`vhp` (reverse over reverse) vs the explicit `hessian` times $v$", "double_backward_vs_explicit_hessian"),
        ("`hvp` (forward over reverse, double-vjp) vs `vhp`", "forward_over_reverse_vs_double_backward"),
        (f"finite differences of the gradient, best $h$ = {check['finite_differences_best_step']:.0e}, vs "
         "`hessian` times $v$", "finite_differences_vs_explicit_hessian_best"),
        ("`jvp` of the 64 x 3 logits vs finite differences ($h$ = 1e-5)", "jvp_outputs_vs_finite_differences"),
        ("asymmetry of `hessian`, $\\lVert H - H^\\top\\rVert / \\lVert H\\rVert$", "hessian_asymmetry"))
    print(common.write_table(args, "hvp.md", ["check", "relative error"], [[w, f"{check[k]:.1e}"] for w, k in checks]))
    print(common.write_table(args, "hvp_cost.md", ["one ...", "median ms", "in gradients"], [
        [what, f"{1e3 * check[key]:.2f}", f"{check[key] / check['seconds_one_gradient']:.1f}"] for what, key in (
            ("gradient (`vjp`)", "seconds_one_gradient"), ("$Hv$ by `vhp` (two reverse passes)", "seconds_one_vhp"),
            ("$Hv$ by `hvp` (three reverse passes)", "seconds_one_hvp"),
            (f"explicit Hessian (`hessian`, {check['parameters']} reverse passes)", "seconds_explicit_hessian"))]))


# %% [markdown]
# ## 2. Newton-CG: conjugate gradient with Hessian-vector products only
#
# L2-regularised logistic regression on the Wisconsin breast cancer data
# (`mg.data.load_breast_cancer`: standardised, a bias column, 1 = malignant), from $w = 0$ to
# $\lVert g\rVert < 10^{-8}$: truncated Newton, whose conjugate gradient touches $H$ only through
# `vhp`, plain and with a Jacobi preconditioner from Hutchinson's $\pm 1$ probes; gradient descent
# at step $1/L$ ($L$ by power iteration with `vhp`); Adam at the best of a grid of learning rates.
# Chapter §2.

# %%
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
    """Solve H p = b with products H v = hvp_of(v) only (preconditioned CG, Nocedal & Wright algorithm 5.3);
    precondition(r) = M^-1 r (None: M = I). Stops at |H p - b| <= tol, after max_iter products, or at non-positive
    curvature (returning the step so far, or b). Returns (p, number of products, residual norm)."""
    p, r = mg.zeros_like(b), b.detach()            # r = b - H p, with p = 0
    z = precondition(r) if precondition else r
    d, rz, products, norm_r = z, dot(r, z), 0, math.sqrt(dot(r, r))
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


def newton_cg(f, w0, tol=1e-8, max_steps=50, max_cg=250, preconditioner="none", probes=10, seed=0, device="cpu"):
    """Minimise f from w0 by truncated Newton with CG (Nocedal & Wright algorithm 7.1). Returns the history: per
    outer step the gradient norm, the gradients and products so far, the CG iterations and the seconds."""
    rng = mg.backend.host_generator(seed)
    w = mg.tensor(w0, dtype=F64, device=device)
    history = {"grad_norm": [], "gradients": [], "hvps": [], "seconds": [], "cg_iterations": []}
    hvps, start = 0, time.perf_counter()
    for step in range(max_steps + 1):
        value, g = vjp(f, w)                       # f(w) and its gradient (v^T J with v = 1)
        norm_g = math.sqrt(dot(g, g))
        for key, item in zip(history, (norm_g, step + 1, hvps, time.perf_counter() - start)):
            history[key].append(item)
        if norm_g < tol:
            break
        product = lambda v, w=w: vhp(f, w, v)[1]      # H symmetric: vhp = hvp, a pass cheaper
        precondition = None
        if preconditioner == "jacobi":             # Hutchinson: diag(H) ~ mean of z * H z, z with +-1 entries
            zs = [mg.tensor(rng.choice([-1.0, 1.0], size=w.shape), dtype=F64, device=device) for _ in range(probes)]
            diagonal = sum((z * product(z) for z in zs), mg.zeros_like(w)) / probes
            hvps += probes
            floor = 0.1 * diagonal.mean().item()   # the estimate can dip below the diagonal (or 0): floor it
            inverse = 1.0 / mg.maximum(diagonal, mg.full_like(diagonal, floor))
            precondition = lambda r, inverse=inverse: inverse * r
        forcing = min(0.5, math.sqrt(norm_g))      # stop CG at |H p + g| <= forcing |g|: superlinear convergence
        p, products, _ = conjugate_gradient(product, -g, forcing * norm_g, max_cg, precondition)
        hvps += products
        history["cg_iterations"].append(products)
        slope, f0, t = dot(g, p), value.item(), 1.0   # backtracking (Armijo) from the full Newton step
        with mg.no_grad():
            while f(w + t * p).item() > f0 + 1e-4 * t * slope and t >= 1e-10:
                t *= 0.5
        w = w + t * p
    history["w"] = w.numpy()
    return history


def largest_eigenvalue(f, w, iterations=100, seed=0, device="cpu"):
    """The largest eigenvalue of the Hessian of f at w, by power iteration with Hessian-vector products."""
    w = mg.tensor(w, dtype=F64, device=device)
    v = mg.tensor(mg.backend.host_generator(seed).standard_normal(w.shape), dtype=F64, device=device)
    eigenvalue = 0.0
    for _ in range(iterations):
        v = v / math.sqrt(dot(v, v))
        Hv = vhp(f, w, v)[1]
        eigenvalue, v = dot(v, Hv), Hv
    return eigenvalue


def first_order(f, w0, optimizer, args, name):
    """Full-batch steps of `optimizer` (an mg.optim class and its keywords) from w0 until |g| < args.tol,
    args.max_iter steps or args.max_seconds (a safety net: the run then counts as not reached)."""
    w = mg.nn.Parameter(mg.tensor(w0, dtype=F64, device=args.device))
    optimizer, norms, seconds, start = optimizer[0]([w], **optimizer[1]), [], [], time.perf_counter()
    for _ in common.progress(range(args.max_iter + 1), args, desc=name, leave=False):
        optimizer.zero_grad()
        f(w).backward()
        norms.append(math.sqrt(dot(w.grad, w.grad)))
        seconds.append(time.perf_counter() - start)
        if norms[-1] < args.tol or not math.isfinite(norms[-1]) or seconds[-1] > args.max_seconds:
            break
        optimizer.step()
    return {"grad_norm": norms, "seconds": seconds, "gradients": list(range(1, len(norms) + 1)),
            "hvps": [0] * len(norms), "w": w.numpy()}


def compare_optimizers(X, y, args):
    """Newton-CG (plain and Jacobi-preconditioned), gradient descent at 1/L and Adam at the best of args.adam_lrs."""
    f, w0, device = logistic_objective(X, y, args.lam, args.device), numpy.zeros(X.shape[1]), args.device
    L = largest_eigenvalue(f, w0, device=device)
    first = lambda optimizer, name: first_order(f, w0, optimizer, args, name)
    runs = {"Newton-CG": newton_cg(f, w0, args.tol, device=device),
            "Newton-CG, Jacobi": newton_cg(f, w0, args.tol, preconditioner="jacobi", device=device),
            "gradient descent": first((mg.optim.SGD, {"lr": 1.0 / L}), "gradient descent, lr = 1/L")}
    lrs = [float(lr) for lr in args.adam_lrs.split(",")]
    sweep = {lr: first((mg.optim.Adam, {"lr": lr}), f"Adam, lr = {lr:g}") for lr in lrs}
    best = min(sweep, key=lambda lr: (sweep[lr]["grad_norm"][-1] >= args.tol, len(sweep[lr]["grad_norm"]),
                                      sweep[lr]["grad_norm"][-1]))
    runs["Adam"] = sweep[best]
    # the condition number at the minimum, from the explicit Hessian (for the reader: the methods never form it)
    w_star = runs["Newton-CG"]["w"]
    s = 1.0 / (1.0 + numpy.exp(-X @ w_star))
    H = X.T @ (X * (s * (1 - s))[:, None]) / len(y) + args.lam * numpy.eye(X.shape[1])
    eigenvalues = numpy.linalg.eigvalsh(H)
    scaled = numpy.linalg.eigvalsh(H / numpy.sqrt(numpy.outer(numpy.diag(H), numpy.diag(H))))
    info = {"L_at_0": L, "hessian_eigenvalues_at_minimum": eigenvalues[[0, -1]].tolist(),
            "kappa_at_minimum": float(eigenvalues[-1] / eigenvalues[0]),
            "kappa_jacobi_scaled_at_minimum": float(scaled[-1] / scaled[0]),
            "f_at_minimum": f(mg.tensor(w_star, device=device)).item(), "adam_lr": best,
            "adam_sweep": [{"lr": lr, "reached": r["grad_norm"][-1] < args.tol, "iterations": len(r["grad_norm"]) - 1}
                           for lr, r in sweep.items()]}
    methods = [{"method": name, "reached": run["grad_norm"][-1] < args.tol, "iterations": len(run["grad_norm"]) - 1,
                "gradients": run["gradients"][-1], "hvps": run["hvps"][-1], "seconds": run["seconds"][-1],
                "final_grad_norm": run["grad_norm"][-1]} for name, run in runs.items()]
    return runs, info, methods


def report_newton(methods, info, description, args):
    """Print the comparison; write it as newton_cg.md and Adam's sweep as adam_sweep.md."""
    low, high = info["hessian_eigenvalues_at_minimum"]
    print(f"2. L2 logistic regression (lambda = {args.lam:g}) on {description}, from w = 0, to |g| < {args.tol:g}\n"
          f"   L = {info['L_at_0']:.4g} (largest eigenvalue of H at w = 0, by power iteration: gradient descent's "
          f"step is 1/L); at the minimum f = {info['f_at_minimum']:.12f},\n   eigenvalues of H in "
          f"[{low:.3g}, {high:.3g}], condition number {info['kappa_at_minimum']:.3g} "
          f"({info['kappa_jacobi_scaled_at_minimum']:.3g} after the exact Jacobi scaling D^-1/2 H D^-1/2), "
          f"L / lambda_min = {info['L_at_0'] / low:.3g}\n")
    names = {"gradient descent": "gradient descent, step 1/L", "Newton-CG, Jacobi": "Newton-CG, Jacobi (Hutchinson)",
             "Adam": f"Adam, lr = {info['adam_lr']:g} (best of {len(info['adam_sweep'])})"}
    header = ["method", "reached", "iterations", "gradients", "$Hv$ products", "seconds", "final $\\lVert g\\rVert$"]
    print(common.write_table(args, "newton_cg.md", header, [
        [names.get(m["method"], m["method"]), "yes" if m["reached"] else "no", f"{m['iterations']:,}",
         f"{m['gradients']:,}", f"{m['hvps']:,}", f"{m['seconds']:.2f}", f"{m['final_grad_norm']:.1e}"]
        for m in methods]))
    sweep = info["adam_sweep"]
    print(common.write_table(args, "adam_sweep.md", ["Adam's learning rate", *(f"{r['lr']:g}" for r in sweep)], [
        [f"iterations to $\\lVert g\\rVert$ < {args.tol:g}",
         *(f"{r['iterations']:,}" if r["reached"] else "not reached" for r in sweep)]]))


# %% [markdown]
# ## Pictures
#
# `hvp.png`: the explicit Hessian, and the error of finite differences against the step $h$,
# with the autodiff routes as flat lines (they have no step). `newton_cg.png`: the gradient norm
# against iterations, against backward passes paid for, and against seconds.

# %%
def plot_hvp(plt, check, args):
    from matplotlib.colors import TwoSlopeNorm
    H = numpy.array(check["hessian"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 5.4), gridspec_kw={"width_ratios": [1, 1.2]})
    fig.subplots_adjust(left=0.07, right=0.98, top=0.86, bottom=0.25, wspace=0.42)
    limit = numpy.abs(H).max()
    fig.colorbar(left.imshow(H, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -limit, limit)), ax=left, fraction=0.046,
                 pad=0.03, label="H_ij")
    n_in, n_hidden, n_out = NET_SIZES             # the blocks of theta: W1 (4 x 8), b1 (8), W2 (8 x 3), b2 (3)
    ends = numpy.cumsum([n_in * n_hidden, n_hidden, n_hidden * n_out, n_out])
    for end in ends[:-1]:
        left.axhline(end - 0.5, color="gray", linewidth=0.6)
        left.axvline(end - 0.5, color="gray", linewidth=0.6)
    centres = (numpy.concatenate([[0], ends[:-1]]) + ends) / 2 - 0.5
    left.set_xticks(centres, ["W1", "b1", "W2", "b2"])
    left.set_yticks(centres, ["W1", "b1", "W2", "b2"])
    left.set(title=f"hessian: {H.shape[0]} x {H.shape[0]}, a reverse pass per row",
             xlabel="parameter j (grouped by layer)", ylabel="parameter i (grouped by layer)")
    right.loglog(check["fd_steps"], check["fd_errors"], "o-", color="tab:gray", markersize=4,
                 label="finite differences of the gradient, step h, vs explicit H v")
    floor = 1e-17                                   # an error of exactly 0 is drawn here
    for key, color, style, label in (
            ("double_backward_vs_explicit_hessian", "tab:blue", "--", "vhp (double backward) vs explicit H v"),
            ("forward_over_reverse_vs_double_backward", "tab:green", "-.", "hvp (forward over reverse) vs vhp")):
        right.axhline(max(check[key], floor), color=color, linestyle=style, linewidth=2,
                      label=f"{label} ({check[key]:.1e}; no step)")
    right.axhline(numpy.finfo(numpy.float64).eps, color="black", linewidth=0.8, linestyle=":", zorder=1,
                  label="float64 machine epsilon (2.2e-16)")
    right.set(xlabel="finite-difference step h", ylabel="relative error |Hv - reference| / |reference|",
              title="finite differences need a good h; autodiff is exact to rounding", ylim=(floor / 3, 10))
    fig.legend(*right.get_legend_handles_labels(), loc="lower center", bbox_to_anchor=(0.62, 0.0), fontsize=8.5)
    fig.suptitle(common.caption(args, f"demos/second_order.py: Hessian-vector products of a "
                                      f"{'-'.join(map(str, NET_SIZES))} tanh network's loss "
                                      f"({check['parameters']} parameters), float64"), y=0.985)
    common.save_figure(fig, args, "hvp.png")


def plot_newton(plt, runs, info, description, args):
    colors = dict(zip(runs, ("tab:blue", "tab:cyan", "tab:red", "tab:orange")))
    labels = {"Newton-CG, Jacobi": "Newton-CG, Jacobi preconditioner (Hutchinson)",
              "gradient descent": "gradient descent, step 1/L",
              "Adam": f"Adam, lr = {info['adam_lr']:g} (best of {len(info['adam_sweep'])} tried)"}
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.8))
    fig.subplots_adjust(left=0.06, right=0.985, top=0.72, bottom=0.13, wspace=0.28)
    for name, run in runs.items():               # what each iterate cost: gradients and (Newton) CG's products
        passes = numpy.array(run["gradients"]) + numpy.array(run["hvps"])
        for ax, x in zip(axes, (numpy.arange(1, len(passes) + 1), passes, run["seconds"])):
            ax.loglog(x, run["grad_norm"], color=colors[name], label=labels.get(name, name),
                      **(dict(marker="o", markersize=4) if name.startswith("Newton") else {}))
    for ax, label, title in zip(axes, ("iterate number (1 = the start; Newton: outer steps)",
                                       "gradients + Hessian-vector products so far", "wall time (s)"),
                                ("against iterations", "against backward passes paid for", "against time")):
        ax.axhline(args.tol, color="black", linestyle=":", linewidth=1, label=f"target |g| = {args.tol:g}")
        ax.set(xlabel=label, ylabel="gradient norm |g|", title=title)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.88), ncol=3,
               fontsize=9)
    fig.suptitle(common.caption(args, f"demos/second_order.py: L2 logistic regression (lambda = {args.lam:g}) from "
                                      f"w = 0, float64, on\n{description}"), y=0.995, fontsize=11)
    common.save_figure(fig, args, "newton_cg.png")


# %% [markdown]
# ## The demo: `main(argv)`

# %%
def main(argv=None):
    parser = common.parser("second_order", __doc__)
    parser.add_argument("--lam", type=float, default=1e-3, help="L2 penalty lambda")
    parser.add_argument("--tol", type=float, default=1e-8, help="stop at this gradient norm")
    parser.add_argument("--max-iter", type=int, default=100000, help="most iterations of gradient descent and Adam")
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="most seconds for each run of gradient descent or Adam (a safety net on slow machines)")
    parser.add_argument("--adam-lrs", default="0.001,0.003,0.01,0.03,0.1,0.3,1,3",
                        help="Adam's learning rates, comma-separated: the best is compared")
    args = parser.parse_args(argv)
    plt = common.start(args)
    start = time.perf_counter()

    check = check_hvp(args.seed, args.device)
    report_hvp(check, args)
    data = mg.data.load_breast_cancer(test_size=0)      # standardised, a bias column, labels 1 = malignant
    X, y = data.train_features, data.train_labels
    description = f"breast cancer (Wisconsin), {len(y)} tumours x {X.shape[1] - 1} standardised features + bias"
    runs, info, methods = compare_optimizers(X, y, args)
    report_newton(methods, info, description, args)

    plot_hvp(plt, check, args)
    plot_newton(plt, runs, info, description, args)
    metrics = {"config": vars(args), "seconds": time.perf_counter() - start,
               "hvp": {k: v for k, v in check.items() if k not in ("hessian", "fd_steps", "fd_errors")},
               "logistic_regression": {"data": description, **info, "methods": methods,
                                       "cg_iterations_per_newton_step": {n: r["cg_iterations"] for n, r in runs.items()
                                                                         if "cg_iterations" in r}}}
    common.write_json(args, "metrics.json", metrics)
    print(f"\nwrote the pictures, the tables (*.md) and metrics.json to {args.out} in {metrics['seconds']:.1f} s")
    return metrics


# %% [markdown]
# ## Run it
#
# In a notebook the next cell runs `main` with the program's defaults (about 20 s) and shows
# the pictures; run as a program or imported, it does nothing.

# %%
if common.in_notebook(__name__):
    OUT = "demo_out/second_order"
    metrics = main(["--no-progress", "--out", OUT])
    common.show(OUT, "hvp.png", "newton_cg.png")

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main()
