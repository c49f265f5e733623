# %% [markdown]
# # Forward and reverse mode, side by side: the cost of a Jacobian
#
# `mg.autograd.functional.jacobian` builds the Jacobian of $f: \mathbb{R}^n \to \mathbb{R}^m$ row
# by row (`strategy="reverse-mode"`, one vjp per output) or column by column
# (`strategy="forward-mode"`, one jvp per input, each by the double-vjp trick). This demo times
# both on $f(x) = \tanh(Wx)$ while $n$ or $m$ grows, and checks that the two agree. The
# explanation is in [the chapter on differentiation](../docs/autodiff.md#forward-and-reverse-mode-side-by-side).
#
#     python demos/forward_reverse.py --out demo_out/forward_reverse
#
# writes `cost.png`, `results.md` and `metrics.json`; the scaffolding is in `demos/common.py`.

# %%
"""The cost of a Jacobian of R^n -> R^m by reverse mode (m vjps) and forward mode (n jvps), for n << m and n >> m.

    python demos/forward_reverse.py --out demo_out/forward_reverse
"""
import common  # isort: split

import time

import numpy

import minigrad as mg
from minigrad.autograd.functional import jacobian

# %% [markdown]
# ## One timing
#
# The function is a layer, $\tanh(Wx)$ with a fixed random $W$ of shape $(m, n)$; its Jacobian is
# $\mathrm{diag}(1 - \tanh^2(Wx))\,W$, which the check below compares against. The best of
# `--repeats` runs is kept (the least disturbed by other work on the machine).

# %%
def time_jacobian(n, m, strategy, args, rng):
    w = mg.tensor(rng.standard_normal((m, n)) / numpy.sqrt(n), dtype=mg.float64, device=args.device)
    x = mg.tensor(rng.standard_normal(n), dtype=mg.float64, device=args.device)
    best = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        j = jacobian(lambda v: (w @ v).tanh(), x, strategy=strategy)
        best = min(best, time.perf_counter() - start)
    y = numpy.tanh(w.numpy() @ x.numpy())
    assert numpy.allclose(j.numpy(), (1 - y ** 2)[:, None] * w.numpy()), (n, m, strategy)
    return best


# %% [markdown]
# ## The sweep: $n$ grows with $m$ fixed, then $m$ grows with $n$ fixed

# %%
def main(argv=None):
    p = common.parser("forward_reverse", __doc__)
    p.add_argument("--fixed", type=int, default=64, help="the dimension held fixed")
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16, 64, 256], help="the dimension that grows")
    p.add_argument("--repeats", type=int, default=3, help="timings per point (the best is kept)")
    args = p.parse_args(argv)
    plt = common.start(args)
    rng = numpy.random.default_rng(args.seed)
    results = {"inputs grow": [], "outputs grow": []}
    for k in common.progress(args.sizes, args, desc="sizes"):
        for sweep, (n, m) in (("inputs grow", (k, args.fixed)), ("outputs grow", (args.fixed, k))):
            row = {"n": n, "m": m}
            for strategy in ("reverse-mode", "forward-mode"):
                row[strategy] = time_jacobian(n, m, strategy, args, rng)
            results[sweep].append(row)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, (sweep, rows), key in zip(axes, results.items(), ("n", "m")):
        for strategy, marker in (("reverse-mode", "o"), ("forward-mode", "s")):
            ax.loglog([r[key] for r in rows], [1000 * r[strategy] for r in rows], marker=marker, label=strategy)
        fixed = "m" if key == "n" else "n"
        ax.set(xlabel=key, ylabel="ms for the whole Jacobian", title=f"{sweep} ({fixed} = {args.fixed})")
    handles, labels = axes[0].get_legend_handles_labels()    # below the plots: timings go anywhere
    fig.legend(handles, labels, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.08))
    fig.suptitle(common.caption(args, "Jacobian of tanh(Wx), R^n -> R^m: m vjps (reverse) or n jvps (forward)"))
    fig.tight_layout()
    common.save_figure(fig, args, "cost.png")

    print(common.write_table(
        args, "results.md",
        ["n (inputs)", "m (outputs)", "reverse mode: m vjps (ms)", "forward mode: n jvps (ms)", "forward / reverse"],
        [[str(r["n"]), str(r["m"]), f"{1000 * r['reverse-mode']:.2f}", f"{1000 * r['forward-mode']:.2f}",
          f"{r['forward-mode'] / r['reverse-mode']:.2f}"] for rows in results.values() for r in rows]))
    common.write_json(args, "metrics.json", {"args": vars(args), "results": results})
    return results


# %%
if common.in_notebook(__name__):
    main(["--no-progress"])
    common.show("demo_out/forward_reverse", "cost.png")

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main()
