# %% [markdown]
# # What makes VAEs hard to train, on toy data that trains in seconds
#
# Two ways a variational autoencoder goes wrong, each with its fixes, on data small enough to
# train in seconds: a Gaussian likelihood whose variance is learned, on binary pixels; and
# posterior collapse, where the code is ignored. Why each happens, and what the printed numbers
# mean, is in the chapter [The variational autoencoder, section 8](../docs/vae.md#8-pitfalls-demosvae_pitfallspy).
#
#     python demos/vae_pitfalls.py      # writes variance.png, collapse.png, summary.json, results.md
#
# The scaffolding (options, output folder, plots, the notebook guard) is in `demos/common.py`.
# The file runs as a program, imports as a module (`main(argv)` returns the summary) and opens
# as a notebook (Jupytext).

# %%
"""What makes VAEs hard to train, shown on toy data small enough to train in seconds.

    python demos/vae_pitfalls.py      # writes demo_out/vae_pitfalls/variance.png, collapse.png, summary.json

The chapter is docs/vae.md, section 8.
"""
import common  # isort: split

import os
import sys

import numpy

import minigrad as mg
from minigrad.models import VAE

# %% [markdown]
# ## Toy data and one training run
#
# Two data sets, drawn from one seeded generator: 6×6 binary images of bars, and points near
# the unit circle. `train` runs Adam on $-(\text{reconstruction} - \beta\, \mathrm{KL})$ with
# $\beta$ rising from 0 to 1 over `warmup_epochs` (KL warm-up; otherwise $\beta = 1$, the
# negative ELBO) and records the ELBO, its two terms and what `watch(model)` measures after each
# epoch. `active_units` counts the latent units whose posterior mean varies across the data.

# %%
def bars(n, size=6, rng=None):
    """Binary size x size images: a random set of horizontal bars, or of vertical bars (each bar on w.p. 0.3)."""
    images = numpy.zeros((n, size, size), dtype=numpy.float32)
    for i in range(n):
        on = rng.random(size) < 0.3
        if rng.random() < 0.5:
            images[i, on, :] = 1.0
        else:
            images[i, :, on] = 1.0
    return images.reshape(n, size * size)


def ring(n, noise=0.05, rng=None):
    """Points near the unit circle in the plane: a 1-D curve that a 2-D code can describe."""
    angle = rng.random(n) * 2 * numpy.pi
    points = numpy.stack([numpy.cos(angle), numpy.sin(angle)], axis=1)
    return (points + noise * rng.standard_normal((n, 2))).astype(numpy.float32)


def train(model, data, epochs, lr, seed, warmup_epochs=0, batch_size=100, watch=None, device=None):
    """Adam on -(reconstruction - beta * KL), beta rising linearly from 0 to 1 over ``warmup_epochs``.

    Returns per-epoch averages of the ELBO (beta = 1), the reconstruction term and the KL,
    plus whatever ``watch(model)`` reports after each epoch.
    """
    optimizer = mg.optim.Adam(model.parameters(), lr=lr)
    rng = mg.backend.host_generator(seed)
    batches = mg.data.BatchIterator(data, batch_size=batch_size, shuffle=True, rng=rng, device=device)
    history = {"elbo": [], "reconstruction": [], "kl": [], "beta": [], "watch": []}
    step, steps_of_warmup = 0, warmup_epochs * len(batches)
    for _ in range(epochs):
        sums = numpy.zeros(3)
        for x in batches:
            beta = min(1.0, step / steps_of_warmup) if steps_of_warmup else 1.0
            optimizer.zero_grad()
            result = model.elbo(x)
            (-(result.reconstruction - beta * result.kl).mean()).backward()
            optimizer.step()
            sums += [result.elbo.sum().item(), result.reconstruction.sum().item(), result.kl.sum().item()]
            step += 1
        for name, value in zip(("elbo", "reconstruction", "kl"), sums / len(data)):
            history[name].append(float(value))
        history["beta"].append(beta)
        if watch is not None:
            history["watch"].append(watch(model))
    return history


def smallest_scale(data, device=None):
    """The smallest standard deviation the decoder gives any pixel of ``data`` (at the posterior means)."""
    x = mg.tensor(data, device=device)

    @mg.no_grad()
    def watch(model):
        return float(model.decode(model.encode(x).loc).scale.numpy().min())
    return watch


def active_units(model, data, threshold=0.01, device=None):
    """Latent units whose posterior mean varies across the data: Var_x E_q[z_u] > 0.01 (Burda et al. 2016)."""
    with mg.no_grad():
        means = model.encode(mg.tensor(data, device=device)).loc.numpy()
    return int((means.var(axis=0) > threshold).sum())


# %% [markdown]
# ## Pitfall 1: a learned Gaussian variance on binary data
#
# A 36-64-4 VAE trains on 1,000 bars images (`--n-bars`) three times, from the same initial
# weights: learned std, learned std $\ge 0.1$, and Bernoulli. The run watches the smallest
# standard deviation the decoder gives any pixel of 200 images. Why the Gaussian "ELBO" passes 0:
# [chapter, section 8](../docs/vae.md#8-pitfalls-demosvae_pitfallspy).

# %%
def variance_experiment(args, rng):
    """Binary bars images: learned Gaussian variance without and with a floor, against Bernoulli."""
    data = bars(args.n_bars, rng=rng)
    runs = {"Gaussian, learned std": dict(likelihood="gaussian-learned", min_scale=0.0),
            "Gaussian, learned std >= 0.1": dict(likelihood="gaussian-learned", min_scale=0.1),
            "Bernoulli": dict(likelihood="bernoulli")}
    results = {}
    for name, options in runs.items():
        mg.random.seed(args.seed)
        model = VAE(x_dim=data.shape[1], hidden=64, latent=4, device=args.device, **options)
        watch = smallest_scale(data[:200], args.device) if options["likelihood"] != "bernoulli" else None
        with numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):
            results[name] = train(model, data, args.epochs, lr=3e-3, seed=args.seed, watch=watch,
                                  device=args.device)
        print(f"  {name:30s} final ELBO {results[name]['elbo'][-1]:8.2f} nats per image")
    return data, results


def plot_variance(results, args, plt):
    from matplotlib.ticker import MaxNLocator
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
    for name, history in results.items():
        epochs = numpy.arange(1, len(history["elbo"]) + 1)
        left.plot(epochs, history["elbo"], label=name)
        if history["watch"]:
            right.semilogy(epochs, history["watch"], label=name)
    left.axhline(0.0, color="gray", lw=0.8, ls="--")
    left.set_xlabel("epoch")
    left.set_ylabel("training ELBO (nats per image)")
    left.set_title("a Gaussian 'ELBO' on binary pixels climbs past 0\n(a log-probability, like Bernoulli's, cannot)")
    right.set_xlabel("epoch")
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_ylabel("smallest decoder std over 200 images (log scale)")
    right.set_title("the learned std shrinks towards 0 unless floored\n(Bernoulli has no std)")
    # one legend for both panels, below them, where it covers no curve
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=9)
    fig.suptitle(f"demos/vae_pitfalls.py, pitfall 1: VAE 36-64-4 on {args.n_bars} binary 6x6 bars images, "
                 f"Adam 3e-3, {args.epochs} epochs, seed {args.seed}, device {args.device}", fontsize=11)
    common.save_figure(fig, args, "variance.png")


# %% [markdown]
# ## Pitfall 2: posterior collapse
#
# A 2-64-2 VAE trains on 2,000 ring points (`--n-ring`) with five Gaussian decoders: fixed
# noise 0.1, 0.5 and 1.0, noise 1.0 with KL warm-up over the first third of the epochs, and a
# learned noise $\ge 0.01$. Why large noise makes the code worthless, and why warm-up only
# delays the collapse: [chapter, section 8](../docs/vae.md#8-pitfalls-demosvae_pitfallspy).

# %%
def collapse_experiment(args, rng):
    """Points on a ring: fixed Gaussian noise from small to large, KL warm-up, and a learned std."""
    data = ring(args.n_ring, rng=rng)
    runs = {"std 0.1": dict(likelihood="gaussian", obs_scale=0.1),
            "std 0.5": dict(likelihood="gaussian", obs_scale=0.5),
            "std 1.0": dict(likelihood="gaussian", obs_scale=1.0),
            "std 1.0, KL warm-up": dict(likelihood="gaussian", obs_scale=1.0, warmup=True),
            "learned std >= 0.01": dict(likelihood="gaussian-learned", min_scale=0.01)}
    results, models = {}, {}
    for name, options in runs.items():
        options = dict(options)
        warmup_epochs = args.epochs // 3 if options.pop("warmup", False) else 0
        mg.random.seed(args.seed)
        model = VAE(x_dim=2, hidden=64, latent=2, device=args.device, **options)
        results[name] = train(model, data, args.epochs, lr=3e-3, seed=args.seed, warmup_epochs=warmup_epochs,
                              device=args.device)
        results[name]["active_units"] = active_units(model, data, device=args.device)
        models[name] = model
        print(f"  {name:22s} final ELBO {results[name]['elbo'][-1]:7.3f}  KL {results[name]['kl'][-1]:6.3f}  "
              f"active units {results[name]['active_units']} of 2")
    return data, results, models


def plot_collapse(data, results, models, args, plt):
    from matplotlib.ticker import MaxNLocator
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.2), layout="constrained")
    for name, history in results.items():
        epochs = numpy.arange(1, len(history["kl"]) + 1)
        style = "--" if "warm-up" in name else "-"   # dashed: it ends on top of the plain std 1.0 run
        axes[0].plot(epochs, history["kl"], style, label=f"{name} ({history['active_units']} of 2 units active)")
    axes[0].set_xlabel("epoch")
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel("KL(q(z|x) || p(z)), nats per point")
    axes[0].set_title("posterior collapse: KL -> 0 when the decoder noise is large")
    axes[0].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    shown = data[:500]
    for ax, name in zip(axes[1:], ("std 0.1", "std 1.0")):
        with mg.no_grad():
            means = models[name].reconstruct(mg.tensor(shown, device=args.device)).numpy()
        ax.scatter(shown[:, 0], shown[:, 1], s=3, color="lightgray", label=f"data ({len(shown)} of the ring's points)")
        ax.scatter(means[:, 0], means[:, 1], s=3, color="C3", label="decoder mean at E_q[z] for each point")
        ax.set_aspect("equal")
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        history = results[name]
        ax.set_title(f"reconstructions, decoder {name}\n(final KL {history['kl'][-1]:.3f} nats, "
                     f"{history['active_units']} of 2 units active)")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, markerscale=3)
    fig.suptitle(f"demos/vae_pitfalls.py, pitfall 2: VAE 2-64-2 on {args.n_ring} points near the unit circle, "
                 f"Gaussian decoders, Adam 3e-3, {args.epochs} epochs (warm-up: the first third), seed {args.seed}, "
                 f"device {args.device}", fontsize=11)
    common.save_figure(fig, args, "collapse.png")


def write_results(variance, collapse, args):
    """results.md: the final numbers of every run, two Markdown tables for the chapter to include."""
    first = common.markdown_table(
        ["likelihood", "final training ELBO (nats per image)", "smallest decoder std"],
        [[name, f"{h['elbo'][-1]:.2f}", f"{h['watch'][-1]:.2g}" if h["watch"] else "(none)"]
         for name, h in variance.items()],
        caption=f"Pitfall 1: VAE 36-64-4 on {args.n_bars} bars images, {args.epochs} epochs, seed {args.seed}.")
    second = common.markdown_table(
        ["decoder", "final training ELBO (nats per point)", "KL", "active units (of 2)"],
        [[name, f"{h['elbo'][-1]:.3f}", f"{h['kl'][-1]:.3f}", f"{h['active_units']}"] for name, h in collapse.items()],
        caption=f"Pitfall 2: VAE 2-64-2 on {args.n_ring} ring points, {args.epochs} epochs, seed {args.seed}.")
    common.write_text(args, "results.md", first + "\n" + second)


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` runs the two experiments (60 epochs each by default), draws one figure for each, and
# writes every history to `summary.json` and the final numbers to `results.md`.

# %%
def main(argv=None):
    parser = common.parser("vae_pitfalls", __doc__)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--n-bars", type=int, default=1000, help="number of binary bars images")
    parser.add_argument("--n-ring", type=int, default=2000, help="number of ring points")
    args = parser.parse_args(argv)
    plt = common.start(args)
    rng = mg.backend.host_generator(args.seed)
    print("1. a learned Gaussian variance on binary data")
    _, variance = variance_experiment(args, rng)
    plot_variance(variance, args, plt)
    print("2. posterior collapse on a ring")
    data, collapse, models = collapse_experiment(args, rng)
    plot_collapse(data, collapse, models, args, plt)
    summary = {"variance": variance, "collapse": collapse, "epochs": args.epochs, "seed": args.seed}
    common.write_json(args, "summary.json", summary)
    write_results(variance, collapse, args)
    return summary


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with the program's defaults (about 5 s) and writes to
# `demo_out/vae_pitfalls`, under the folder the kernel runs in. Change `ARGS` to try other
# settings, e.g. `["--epochs", "200"]`. When the file runs as a program or is imported, this
# cell and the one after it do nothing.

# %%
if common.in_notebook(__name__):
    ARGS = []
    OUT = os.path.join("demo_out", "vae_pitfalls")
    summary = main([*ARGS, "--out", OUT])

# %% [markdown]
# **Pitfall 1** (`variance.png`). Left, the training ELBO: the two Gaussian "ELBO"s pass 0, which
# no log-probability can; the Bernoulli one stays below. Right, the smallest learned standard
# deviation heads for 0 unless it is floored. **Pitfall 2** (`collapse.png`). Left, the KL of
# each run: at noise 1.0 it falls to 0; with warm-up it rises first, then falls too. Middle and
# right, the reconstructions at noise 0.1, which follow the ring, and at 1.0, which all sit at
# the mean of the data.

# %%
if common.in_notebook(__name__):
    common.show(OUT, "variance.png", "collapse.png")

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main(sys.argv[1:])
