# %% [markdown]
# # What makes VAEs hard to train, on toy data that trains in seconds
#
# A variational autoencoder (Kingma & Welling 2014, "Auto-Encoding Variational Bayes",
# [arXiv:1312.6114](https://arxiv.org/abs/1312.6114)) maximizes the evidence lower bound
#
# $$\mathcal{L}(x) = \mathbb{E}_{q(z \mid x)}[\log p(x \mid z)] - \mathrm{KL}(q(z \mid x)\,\|\,p(z))
# \;\le\; \log p(x).$$
#
# Two ways it goes wrong are shown here, each with its fixes: a Gaussian likelihood whose
# variance is learned, on data that takes a few exact values; and posterior collapse, where
# the code is ignored. The background is J. Gordon's posts on stochastic backpropagation
# (parts 1 and 2), which train a VAE on toy data and look at what goes wrong; the experiments
# here are our own. `docs/vae.md`, section 8, discusses the printed numbers.
#
# **Program, module and notebook.** This file is a [Jupytext](https://jupytext.readthedocs.io)
# percent script: `# %%` starts a code cell, `# %% [markdown]` a text cell like this one.
#
# - Program: `python demos/vae_pitfalls.py` (`--help` lists the options) writes `variance.png`,
#   `collapse.png` and `summary.json` to `demo_out/vae_pitfalls`, and prints the final ELBOs.
# - Module: importing the file only defines things; `main(argv)` runs the demo on a list of
#   arguments and returns the summary (the tests do this).
# - Notebook: `jupytext --to notebook demos/vae_pitfalls.py`, or, with jupytext installed, open the
#   `.py` file in Jupyter (right click, *Open With → Notebook*); run the cells top to bottom.
#
# The next cell sets `NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules`, and
# both halves are needed. A notebook runs as `__main__`, as a program does, but its `sys.argv`
# holds the Jupyter kernel's own arguments (`-f kernel.json`), which `argparse` would reject. A
# module imported from a notebook has `ipykernel` loaded too, but its `__name__` is its own. The
# cells at the end run `main` and show its pictures only when `NOTEBOOK` is true, and the last
# cell reads the command line only when the file runs as a program.
# (`%run demos/vae_pitfalls.py` inside Jupyter therefore counts as a notebook and ignores its
# arguments; call `main([...])` there instead.)

# %%
"""What makes VAEs hard to train, shown on toy data small enough to train in seconds.

    python demos/vae_pitfalls.py      # writes demo_out/vae_pitfalls/variance.png, collapse.png, summary.json

The explanation is in the Markdown cells of this file, which opens as a notebook (see the first cell).
"""
import argparse
import json
import os
import sys

import numpy

# Run from a checkout: put the repository on the path. A notebook has no __file__; Jupyter starts
# its kernel in the notebook's folder (demos/).
HERE = os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals() else os.getcwd()
sys.path.insert(0, os.path.join(HERE, ".."))
import minigrad as mg  # noqa: E402
from minigrad.models import VAE  # noqa: E402

NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules   # in a Jupyter kernel, not imported


# %% [markdown]
# ## Toy data and one training run
#
# Two data sets, drawn from one seeded generator: 6×6 binary images of bars (a random set of
# horizontal bars, or of vertical ones), and points near the unit circle, a 1-D curve in the
# plane that a 2-D code can describe.
#
# `train` runs Adam on $-(\text{reconstruction} - \beta\, \mathrm{KL})$, averaged over a batch,
# with $\beta$ rising linearly from 0 to 1 over `warmup_epochs` (KL warm-up, used in pitfall 2;
# otherwise $\beta = 1$ and this is the negative ELBO). It records the ELBO (at $\beta = 1$), its
# two terms, and whatever `watch(model)` measures after each epoch. A latent unit $u$ counts as
# *active* when its posterior mean varies across the data, $\operatorname{Var}_x
# \mathbb{E}_q[z_u] > 0.01$ (Burda, Grosse & Salakhutdinov 2016, "Importance Weighted
# Autoencoders", [arXiv:1509.00519](https://arxiv.org/abs/1509.00519)).

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


def train(model, data, epochs, lr, seed, warmup_epochs=0, batch_size=100, watch=None):
    """Adam on -(reconstruction - beta * KL), beta rising linearly from 0 to 1 over ``warmup_epochs``.

    Returns per-epoch averages of the ELBO (beta = 1), the reconstruction term and the KL,
    plus whatever ``watch(model)`` reports after each epoch.
    """
    optimizer = mg.optim.Adam(model.parameters(), lr=lr)
    rng = mg.backend.host_generator(seed)
    batches = mg.data.BatchIterator(data, batch_size=batch_size, shuffle=True, rng=rng)
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


def smallest_scale(data):
    """The smallest standard deviation the decoder gives any pixel of ``data`` (at the posterior means)."""
    x = mg.tensor(data)

    @mg.no_grad()
    def watch(model):
        return float(model.decode(model.encode(x).loc).scale.numpy().min())
    return watch


def active_units(model, data, threshold=0.01):
    """Latent units whose posterior mean varies across the data: Var_x E_q[z_u] > 0.01 (Burda et al. 2016)."""
    with mg.no_grad():
        means = model.encode(mg.tensor(data)).loc.numpy()
    return int((means.var(axis=0) > threshold).sum())


# %% [markdown]
# ## Pitfall 1: a learned Gaussian variance on binary data
#
# A density is not a probability. Give the decoder a Gaussian likelihood with a learned standard
# deviation $s$ per pixel, on pixels that are exactly 0 or 1. Where the decoder predicts a pixel
# exactly, that pixel contributes
#
# $$\log \mathcal{N}(x;\, x,\, s^2) = -\log s - \tfrac{1}{2} \log 2\pi = -\log s - 0.92,$$
#
# which grows without bound as $s \to 0$. The "ELBO" climbs past 0 and keeps climbing, the
# gradients (which scale like $1/s^2$) grow, and training turns erratic; the number no longer
# measures anything. Two fixes: a floor $s \ge s_{\min}$, which caps each pixel at
# $-\log s_{\min} - 0.92$ nats (1.38 at $s_{\min} = 0.1$); better, a likelihood that matches the
# data, Bernoulli for binary pixels, whose log-probabilities are at most 0.
#
# The experiment trains a 36-64-4 VAE on 1,000 bars images (`--n-bars`) three times, from the
# same initial weights: learned std, learned std $\ge 0.1$, and Bernoulli. It watches the
# smallest standard deviation the decoder gives any pixel of 200 images.

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
        model = VAE(x_dim=data.shape[1], hidden=64, latent=4, **options)
        watch = smallest_scale(data[:200]) if options["likelihood"] != "bernoulli" else None
        with numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):
            results[name] = train(model, data, args.epochs, lr=3e-3, seed=args.seed, watch=watch)
        print(f"  {name:30s} final ELBO {results[name]['elbo'][-1]:8.2f} nats per image")
    return data, results


def plot_variance(results, args, path, plt):
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
                 f"Adam 3e-3, {args.epochs} epochs, seed {args.seed}", fontsize=11)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# %% [markdown]
# ## Pitfall 2: posterior collapse
#
# The ELBO charges $\mathrm{KL}(q(z \mid x)\,\|\,p(z))$ for every nat of information the code
# carries about $x$. With a decoder of fixed noise $\sigma$, knowing $z$ can raise the
# reconstruction term by at most about $\mathbb{E}\|x - \bar{x}\|^2 / (2\sigma^2)$, half a nat for
# the ring at $\sigma = 1$. When the code is not worth its price, the encoder returns the prior
# for every $x$ (KL = 0), the decoder outputs the mean of the data, and no latent unit is active:
# the ELBO is then $-\log 2\pi - 1/2 = -2.34$ at $\sigma = 1$.
#
# KL warm-up (Bowman et al. 2016, "Generating Sentences from a Continuous Space",
# [arXiv:1511.06349](https://arxiv.org/abs/1511.06349); Sønderby et al. 2016, "Ladder Variational
# Autoencoders", [arXiv:1602.02282](https://arxiv.org/abs/1602.02282)) multiplies the KL by a
# weight $\beta$ rising from 0 to 1, so that early on the code is free and gets used. Here it
# only delays the collapse, because ignoring $z$ *is* the best ELBO under that likelihood. The
# fix is the likelihood: a noise level that fits the data, or a learned one (with a floor, see
# pitfall 1).
#
# The experiment trains a 2-64-2 VAE on 2,000 ring points (`--n-ring`) with five Gaussian
# decoders: fixed $\sigma$ = 0.1, 0.5 and 1.0, $\sigma = 1.0$ with warm-up over the first third of
# the epochs, and a learned $\sigma \ge 0.01$.

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
        model = VAE(x_dim=2, hidden=64, latent=2, **options)
        results[name] = train(model, data, args.epochs, lr=3e-3, seed=args.seed, warmup_epochs=warmup_epochs)
        results[name]["active_units"] = active_units(model, data)
        models[name] = model
        print(f"  {name:22s} final ELBO {results[name]['elbo'][-1]:7.3f}  KL {results[name]['kl'][-1]:6.3f}  "
              f"active units {results[name]['active_units']} of 2")
    return data, results, models


def plot_collapse(data, results, models, args, path, plt):
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
            means = models[name].reconstruct(mg.tensor(shown)).numpy()
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
                 f"Gaussian decoders, Adam 3e-3, {args.epochs} epochs (warm-up: the first third), seed {args.seed}",
                 fontsize=11)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` parses the arguments, runs the two experiments (60 epochs each by default), draws one
# figure for each with matplotlib's file backend (Agg), and writes every history to
# `summary.json`.

# %%
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--n-bars", type=int, default=1000, help="number of binary bars images")
    parser.add_argument("--n-ring", type=int, default=2000, help="number of ring points")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("demo_out", "vae_pitfalls"),
                        help="folder for the PNGs and summary.json")
    args = parser.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(args.out, exist_ok=True)
    rng = mg.backend.host_generator(args.seed)
    print("1. a learned Gaussian variance on binary data")
    _, variance = variance_experiment(args, rng)
    plot_variance(variance, args, os.path.join(args.out, "variance.png"), plt)
    print("2. posterior collapse on a ring")
    data, collapse, models = collapse_experiment(args, rng)
    plot_collapse(data, collapse, models, args, os.path.join(args.out, "collapse.png"), plt)
    summary = {"variance": variance, "collapse": collapse, "epochs": args.epochs, "seed": args.seed}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with the program's defaults (about 5 s) and writes to
# `demo_out/vae_pitfalls`, under the folder the kernel runs in. Change `ARGS` to try other
# settings, e.g. `["--epochs", "200"]`. When the file runs as a program or is imported, this
# cell and the two after it do nothing.

# %%
if NOTEBOOK:
    from IPython.display import Image, display

    ARGS = []
    OUT = os.path.join("demo_out", "vae_pitfalls")
    summary = main([*ARGS, "--out", OUT])

# %% [markdown]
# **Pitfall 1.** Left, the training ELBO: the two Gaussian "ELBO"s pass 0, which no
# log-probability can; the Bernoulli one stays below. Right, the smallest learned standard
# deviation heads for 0 unless it is floored.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "variance.png")))

# %% [markdown]
# **Pitfall 2.** Left, the KL of each run: at $\sigma = 1.0$ it falls to 0; with warm-up it
# rises first, then falls too. Middle and right, the reconstructions at $\sigma = 0.1$, which follow the ring, and at
# $\sigma = 1.0$, which all sit at the mean of the data.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "collapse.png")))

# %%
if __name__ == "__main__" and not NOTEBOOK:
    main(sys.argv[1:])
