# %% [markdown]
# # The Gaussian identities of Bonnet and Price, by Monte Carlo through the tape
#
# For $x = \mu + R\epsilon \sim \mathcal{N}(\mu, RR^\top)$ in 2-D: Bonnet's
# $\nabla_\mu \mathbb{E}[f] = \mathbb{E}[\nabla f]$, Price's
# $\nabla_C \mathbb{E}[f] = \tfrac12 \mathbb{E}[\nabla^2 f]$ and
# $\nabla_R \mathbb{E}[f] = \mathbb{E}[g \epsilon^\top]$, estimated from $S$ draws through the
# tape, against exact values: `vjp` of each test function's closed-form $\mathbb{E}[f](\mu, C)$.
# The chapter, [What gradients of gradients buy](../docs/second_order.md) §3, derives the
# identities and the closed forms. `python demos/gaussian_identities.py` prints the table and
# writes `identities.png`, `identities.md` and `metrics.json` to `demo_out/gaussian_identities`;
# `demos/common.py` holds the scaffolding.

# %%
"""The Gaussian identities of Bonnet and Price, by Monte Carlo through the tape.

    python demos/gaussian_identities.py --out demo_out/gaussian_identities
"""
import common  # isort: split

import math
import time

import numpy

import minigrad as mg
from minigrad.autograd.functional import vjp

F64 = mg.float64


# %% [markdown]
# ## Three test functions whose expectations have closed forms
#
# Each test function $f$ sits beside its $\mathbb{E}[f]$ as a function of $(\mu, C)$, written
# with minigrad ops so that the tape differentiates it exactly (chapter §3 has the table).

# %%
A_VEC, B_VEC = numpy.array([0.6, -0.4]), numpy.array([0.9, 0.7])
MU0 = numpy.array([0.3, -0.5])
R0 = numpy.array([[0.8, 0.0], [0.3, 0.6]])     # C = R R^T, R the Cholesky factor


def expcos(x):
    a, b = (mg.tensor(u, dtype=F64, device=x.device) for u in (A_VEC, B_VEC))
    return (x @ a).exp() * (x @ b).cos()


def expcos_mean(mu, C):                        # the real part of E[exp((a + ib).x)]
    a, b = (mg.tensor(u, dtype=F64, device=mu.device) for u in (A_VEC, B_VEC))
    quad = lambda u, w: u @ (C @ w)
    return (mu @ a + 0.5 * quad(a, a) - 0.5 * quad(b, b)).exp() * (mu @ b + quad(a, b)).cos()


def quartic(x):
    return ((x * x).sum(-1)) ** 2


def quartic_mean(mu, C):
    s = (mu * mu).sum() + mg.linalg.diagonal(C).sum()
    return s * s + 2.0 * (C * C.T).sum() + 4.0 * (mu @ (C @ mu))


def bump(x):
    return (-0.5 * (x * x).sum(-1)).exp()


def bump_mean(mu, C):
    M = mg.eye(2, dtype=F64, device=mu.device) + C                       # I + C, 2 x 2
    det = M[0, 0] * M[1, 1] - M[0, 1] * M[1, 0]
    # mu^T M^-1 mu with M^-1 = [[M11, -M01], [-M10, M00]] / det
    quad = (M[1, 1] * mu[0] ** 2 - (M[0, 1] + M[1, 0]) * mu[0] * mu[1] + M[0, 0] * mu[1] ** 2) / det
    return det ** -0.5 * (-0.5 * quad).exp()


TEST_FUNCTIONS = {"exp(a.x) cos(b.x)": (expcos, expcos_mean), "|x|^4": (quartic, quartic_mean),
                  "exp(-|x|^2/2)": (bump, bump_mean)}
IDENTITY_NAMES = {"E[f]": "value E[f]", "mu": "Bonnet: E[grad f]", "C": "Price: E[Hess f]/2", "R": "E[g eps^T]"}


# %% [markdown]
# ## Exact values and Monte Carlo estimates
#
# Exact: `vjp` of the closed form, with respect to $\mu$, to $C$ (symmetrised) and to $R$
# through $C = RR^\top$. Monte Carlo: $S$ draws, each with its own copy of $\mu$ and $R$, so
# that one backward pass from $\sum_s f(x_s)$ leaves the $S$ single-draw estimates in the
# gradients; Price's $\tfrac12 \nabla^2 f(x_s)$ takes one more backward pass per Hessian column.

# %%
def exact_gradients(mean_of):
    """E[f] and its exact gradients in mu, C (symmetrised) and R (through C = R R^T), by vjp of the closed form."""
    mu, R = mg.tensor(MU0, dtype=F64), mg.tensor(R0, dtype=F64)
    value, (d_mu, d_C) = vjp(mean_of, (mu, R @ R.T))
    d_R, d_C = vjp(lambda R: mean_of(mu, R @ R.T), R)[1].numpy(), d_C.numpy()
    return {"E[f]": numpy.array([value.item()]), "mu": d_mu.numpy(), "C": 0.5 * (d_C + d_C.T), "R": d_R}


def monte_carlo_gradients(f, samples, device="cpu"):
    """S single-draw estimates of E[f], d/dmu (Bonnet), d/dC (Price) and d/dR, through the tape: {name: (S, ...)}."""
    d = len(MU0)
    mu = mg.tensor(numpy.broadcast_to(MU0, (samples, d)).copy(), dtype=F64, device=device, requires_grad=True)
    R = mg.tensor(numpy.broadcast_to(R0, (samples, d, d)).copy(), dtype=F64, device=device, requires_grad=True)
    eps = mg.random.normal(size=(samples, d, 1), dtype=F64, device=device)
    x = mu + (R @ eps).squeeze(-1)                # x_s = mu + R eps_s: MultivariateNormal.rsample's line
    values = f(x)
    d_mu, d_R, g = mg.autograd.grad(values.sum(), [mu, R, x], create_graph=True)
    # Hessian columns for all draws at once: d/dx (g[:, j] summed over draws) = H_s e_j, draw by draw
    columns = [mg.autograd.grad(g[:, j].sum(), x, retain_graph=True)[0].numpy() for j in range(d)]
    return {"E[f]": values.numpy()[:, None], "mu": d_mu.numpy(), "C": 0.5 * numpy.stack(columns, axis=-1),
            "R": d_R.numpy()}


def identity_table(samples, device="cpu"):
    """Rows (function, identity, entry, exact, estimate, standard error, z) for every test function."""
    rows = []
    for name, (f, mean_of) in TEST_FUNCTIONS.items():
        exact, estimates = exact_gradients(mean_of), monte_carlo_gradients(f, samples, device)
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


def report_identities(rows, args):
    """Print the table and write it as identities.md."""
    z = numpy.array([r["z"] for r in rows])
    print(f"Gaussian identities, x = mu + R eps ~ N(mu, R R^T) in 2-D, {args.samples:,} draws through the tape; "
          "z = (estimate - exact) / standard error\n")
    header = ["f", "identity", "entry", "exact", "Monte Carlo", "std err", "z"]
    print(common.write_table(args, "identities.md", header, [
        [f"`{r['function']}`", r["identity"], r["entry"], f"{r['exact']:.5f}", f"{r['estimate']:.5f}",
         f"{r['standard_error']:.1e}", f"{r['z']:.2f}"] for r in rows]))
    print(f"{len(rows)} entries: max |z| = {numpy.abs(z).max():.2f}; |z| < 2 for {(numpy.abs(z) < 2).sum()}; "
          f"mean z^2 = {(z ** 2).mean():.2f} (1 expected if the standard errors are right)")


# %% [markdown]
# ## The picture
#
# `identities.png`: each Monte Carlo estimate's distance from the exact value in standard errors.

# %%
def plot_identities(plt, rows, args):
    height = 0.22 * len(rows) + 1.8                      # inches: a row per entry, and room for the titles
    fig, ax = plt.subplots(figsize=(8, height))
    fig.subplots_adjust(left=0.42, right=0.97, top=1 - 1.2 / height, bottom=0.5 / height)
    y, z = numpy.arange(len(rows))[::-1], numpy.array([r["z"] for r in rows])
    ax.axvspan(-2, 2, color="tab:green", alpha=0.12, label="|z| < 2 (95% of entries, if all is right)")
    ax.axvspan(-4, -2, color="tab:orange", alpha=0.10)
    ax.axvspan(2, 4, color="tab:orange", alpha=0.10, label="2 < |z| < 4")
    ax.axvline(0, color="black", linewidth=0.8)
    for name, color in zip(TEST_FUNCTIONS, ("tab:blue", "tab:purple", "tab:brown")):
        pick = numpy.array([r["function"] == name for r in rows])
        ax.plot(z[pick], y[pick], "o", color=color, label=f"f = {name}")
    ax.set_yticks(y, [f"{r['function']:>18}  {r['identity']:<19} {r['entry']}" for r in rows],
                  fontsize=7, family="monospace")
    ax.set(xlim=(-5, 5), ylim=(-0.8, len(rows) - 0.2), xlabel="z = (Monte Carlo estimate - exact) / standard error",
           ylabel="test function, identity, entry")
    ax.legend(loc="lower center", bbox_to_anchor=(0.28, 1.0), ncol=3, fontsize=8, frameon=False,
              handletextpad=0.2, columnspacing=1.0)
    fig.suptitle(common.caption(args, f"demos/gaussian_identities.py: Gaussian identities, {args.samples:,} draws of "
                                      "x ~ N(mu, R R^T) in 2-D"), fontsize=10, y=0.995)
    common.save_figure(fig, args, "identities.png")


# %% [markdown]
# ## The demo: `main(argv)`

# %%
def main(argv=None):
    parser = common.parser("gaussian_identities", __doc__)
    parser.add_argument("--samples", type=int, default=1000000, help="Monte Carlo draws")
    args = parser.parse_args(argv)
    plt = common.start(args)
    start = time.perf_counter()
    rows = identity_table(args.samples, args.device)
    report_identities(rows, args)
    plot_identities(plt, rows, args)
    common.write_json(args, "metrics.json", {"config": vars(args), "identities": rows,
                                             "seconds": time.perf_counter() - start})
    print(f"\nwrote identities.png, identities.md and metrics.json to {args.out} in "
          f"{time.perf_counter() - start:.1f} s")
    return rows


# %% [markdown]
# ## Run it
#
# In a notebook the next cell runs `main` with the program's defaults (about 10 s) and shows the
# picture; run as a program or imported, it does nothing.

# %%
if common.in_notebook(__name__):
    OUT = "demo_out/gaussian_identities"
    rows = main(["--no-progress", "--out", OUT])
    common.show(OUT, "identities.png")

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main()
