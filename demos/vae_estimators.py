# %% [markdown]
# # One VAE, five ways to get the encoder's gradient
#
# The VAE of `demos/vae.py` trained five times: **pathwise**, and the **score function** with no
# baseline and with the library's **moving-average**, **leave-one-out** and **NVIL** baselines
# (`mg.estimators`); then the variance of each estimator's gradient at the same weights says why the
# curves differ. The theory and a full run: [One VAE, five encoder gradients](../docs/vae_estimators.md).
# `python demos/vae_estimators.py` (784-400-20, 30 epochs each) writes to `demo_out/vae_estimators`;
# `demos/common.py` holds the scaffolding (options, output folder, progress bars, figures).

# %%
"""Train one VAE five times, with five estimators of the encoder's gradient, and measure their variance.

    python demos/vae_estimators.py --epochs 5 --estimators pathwise leave-one-out --k 8   # a quick look
"""
import common  # isort: split

import copy
import pathlib
import sys
import time

import numpy

import minigrad as mg
from minigrad.estimators import LeaveOneOutBaseline, MovingAverageBaseline, NVILBaseline, dice_surrogate

NOTEBOOK = common.in_notebook(__name__)
EVAL_SEED = 12345       # the test ELBO is estimated with the same draws every time
VARIANCE_SEED = 54321   # the draws of the gradient-variance study
ESTIMATORS = ("pathwise", "score", "moving-average", "leave-one-out", "nvil")
COLORS = dict(zip(ESTIMATORS, ("tab:blue", "tab:red", "tab:orange", "tab:green", "tab:purple")))


# %% [markdown]
# ## The objective of one step ([chapter, section 1](../docs/vae_estimators.md#1-what-is-estimated-and-what-is-shared))
#
# Only the encoder's gradient of $\mathbb{E}_q[\log p_\theta(x \mid z)]$ differs between runs. The
# score-function runs use DiCE's surrogate with the $b$ that the library's baseline *reads* before it
# sees this step's signal ([section 2](../docs/vae_estimators.md#2-the-four-baselines)).

# %%
def estimator_objective(model, x, name, baseline=None, draws=1):
    """(objective, f, centred): the per-digit ELBO estimate (its gradient: the decoder's exact one, the estimator's
    for the encoder), f = log p(x | z) of each draw (draws, batch) detached, and f - b (None for pathwise)."""
    q = model.encode(x)
    kl = model.kl_to_prior(q)                          # closed form: exact gradient, the same in every run
    if name == "pathwise":
        z = q.rsample((1,))                            # z = loc + scale * eps: on the tape
        log_px = model.log_likelihood(x, z)            # (1, batch): gradients for decoder and encoder
        return log_px.mean(0) - kl, log_px.detach(), None
    z = q.sample((draws,))                             # no graph: the encoder gets nothing through z
    log_px = model.log_likelihood(x, z)                # (draws, batch): the decoder's gradient only
    f = log_px.detach()
    b = 0.0 if baseline is None else baseline.read(f, x)   # from earlier steps and other draws only
    objective = dice_surrogate(log_px, q.log_prob(z).sum(-1), b)   # value log_px; gradient + (f - b) grad log q
    return objective.mean(0) - kl, f, f - b


def make_baseline(name, args):
    """(baseline, optimizer of its network), or (None, None). One moving average for the whole batch (axis=None):
    the batches are shuffled, so an average per position would mean nothing. NVIL's net has its own Adam."""
    if name == "moving-average":
        return MovingAverageBaseline(args.decay, axis=None), None
    if name == "leave-one-out":
        return LeaveOneOutBaseline(), None
    if name == "nvil":
        net = mg.nn.MLP([784, args.baseline_hidden, 1], activation="tanh", device=args.device)
        return NVILBaseline(net, args.decay), mg.optim.Adam(net.parameters(), lr=args.baseline_lr)
    return None, None


def learn(baseline, optimizer, x, f):
    """After a step: fold its signal into the baseline; NVIL's network takes one Adam step on its loss."""
    loss = None if baseline is None else baseline.update(f, x)
    if loss is not None:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def describe(name, args):
    """The estimator's name in the pictures' legends."""
    return {"pathwise": "pathwise (reparameterization)", "score": "score function, no baseline",
            "moving-average": f"score, moving-average baseline (decay {args.decay:g})",
            "leave-one-out": f"score, leave-one-out baseline ({args.k} draws per digit)",
            "nvil": f"score, NVIL: learned b(x) (784-{args.baseline_hidden}-1) + normalisation"}[name]


def parse_args(argv):
    """The model and schedule of demos/vae.py (784-400-20, Adam 1e-3, batches of 128, 30 epochs)."""
    parser = common.parser("vae_estimators", __doc__)
    parser.add_argument("--estimators", nargs="+", choices=ESTIMATORS, default=list(ESTIMATORS), help="(+ pathwise)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=400, help="hidden width of encoder and decoder")
    parser.add_argument("--latent", type=int, default=20, help="size of the code z")
    parser.add_argument("--k", type=int, default=4, help="draws per digit of the leave-one-out baseline")
    parser.add_argument("--decay", type=float, default=0.8, help="of the running averages (moving average, NVIL)")
    parser.add_argument("--baseline-hidden", type=int, default=100, help="hidden width of NVIL's baseline b(x)")
    parser.add_argument("--baseline-lr", type=float, default=3e-3, help="Adam's learning rate for b(x)")
    parser.add_argument("--checkpoints", type=int, default=5, help="when the variance is measured (log-spaced)")
    parser.add_argument("--estimates", type=int, default=100, help="independent gradient estimates per checkpoint")
    parser.add_argument("--variance-batch", type=int, default=128, help="size of the fixed batch of test digits")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    common.mnist_options(parser)
    args = parser.parse_args(argv)
    args.estimators = [e for e in ESTIMATORS if e in args.estimators or e == "pathwise"]   # always in this order
    if args.estimates < 2:
        parser.error("--estimates must be at least 2 (a variance needs two)")
    return args


# %% [markdown]
# ## Training
#
# Draw, `backward()`, NVIL divides the encoder's gradient by its `scale`, Adam steps, and *then*
# the baseline learns from the step's signal. Every run starts from the same weights and sees the
# same batches; the pathwise run carries *shadow* moving-average and NVIL baselines for the study.

# %%
def checkpoint_steps(total, count):
    """0, then count - 1 steps spaced by factors of 3 up to the last step (fewer if they coincide)."""
    if count <= 1:
        return [total]
    later = numpy.geomspace(max(total / 3 ** (count - 2), 1), total, count - 1) if total > 0 else []
    return sorted({0, *(int(round(s)) for s in later)})


@mg.no_grad()
def evaluate(model, images, device, batch_size=500):
    """Mean test ELBO with one draw per digit, the same draws every time (EVAL_SEED)."""
    mg.random.seed(EVAL_SEED)
    total = 0.0
    for x in mg.data.BatchIterator(images, batch_size=batch_size, device=device):
        total += model.elbo(x).elbo.sum().item()
    return total / len(images)


def train_step(model, optimizer, name, baseline, draws, x):
    """One Adam step on -ELBO with this estimator's encoder gradient; returns (mean ELBO estimate, f)."""
    optimizer.zero_grad()
    objective, f, _ = estimator_objective(model, x, name, baseline, draws)
    (-objective.mean()).backward()
    if baseline is not None and baseline.scale != 1.0:   # NVIL's variance normalisation, the encoder only
        for p in model.encoder.parameters():
            p.grad = p.grad * baseline.scale
    optimizer.step()
    return objective.mean().item(), f


def train(name, args, train_images, test_images, checkpoints):
    """Train one VAE with one estimator; returns it, its history (and, for pathwise, the snapshots)."""
    mg.random.seed(args.seed)   # the same initial weights in every run
    model = mg.models.VAE(784, args.hidden, args.latent, device=args.device)
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    baseline, baseline_optimizer = make_baseline(name, args)
    draws = args.k if name == "leave-one-out" else 1
    shadows = {e: make_baseline(e, args) for e in ("moving-average", "nvil")
               if e in args.estimators} if name == "pathwise" else {}
    snapshots, step, seconds = [], 0, 0.0
    history = {"step": [0], "seconds": [0.0], "test_elbo": [evaluate(model, test_images, args.device)]}
    steps_per_epoch = -(-len(train_images) // args.batch_size)
    bar = common.progress(total=args.epochs * steps_per_epoch, args=args, desc=f"{name:>14}", leave=False)
    for epoch in range(args.epochs):
        rng = mg.backend.host_generator([args.seed, epoch])   # this epoch's binarization and order ...
        mg.random.seed(int(rng.integers(2 ** 31)))            # ... and its draws of z
        x_epoch = mg.data.binarize(train_images, rng)
        for x in mg.data.BatchIterator(x_epoch, batch_size=args.batch_size, shuffle=True, rng=rng,
                                       device=args.device):
            if name == "pathwise" and step in checkpoints:   # the weights, and what the shadows have learned
                snapshots.append({"step": step, "model": model.state_dict(),
                                  "baselines": copy.deepcopy({e: b for e, (b, _) in shadows.items()})})
            tick = time.perf_counter()
            elbo, f = train_step(model, optimizer, name, baseline, draws, x)
            learn(baseline, baseline_optimizer, x, f)
            seconds += time.perf_counter() - tick
            step += 1
            for shadow, shadow_optimizer in shadows.values():   # not timed: not part of this run's cost
                learn(shadow, shadow_optimizer, x, f)
            bar.update()
            bar.set_postfix(elbo=f"{elbo:.1f}")
        for key, value in (("step", step), ("seconds", seconds), ("test_elbo", evaluate(model, test_images,
                                                                                           args.device))):
            history[key].append(value)
    bar.close()
    if name == "pathwise" and step in checkpoints:
        snapshots.append({"step": step, "model": model.state_dict(),
                          "baselines": copy.deepcopy({e: b for e, (b, _) in shadows.items()})})
    return model, history, snapshots


# %% [markdown]
# ## The gradient variance ([chapter, section 3](../docs/vae_estimators.md#3-how-the-variance-is-measured))
#
# At the pathwise run's checkpoints, on one fixed batch, `--estimates` estimates of the encoder's
# gradient from each estimator: total variance, SNR, mean $(f - b)^2$, and a bias check.

# %%
def variance_study(args, snapshots, x):
    """{estimator: {"total_variance": [...], "snr": [...], "bias_check": [...], ...}} at each snapshot."""
    model = mg.models.VAE(784, args.hidden, args.latent, device=args.device)   # loads each checkpoint's weights
    baselines = {name: make_baseline(name, args)[0] for name in args.estimators}
    n = args.estimates
    results = {name: {"total_variance": [], "snr": [], "bias_check": [], "centred_signal_ms": []}
               for name in args.estimators}
    bar = common.progress(total=len(snapshots) * len(baselines) * n, args=args, desc="gradient variance",
                          leave=False)
    for i, snap in enumerate(snapshots):
        model.load_state_dict(snap["model"])
        means, variances = {}, {}
        for name, baseline in baselines.items():
            baseline = snap["baselines"].get(name, baseline)    # the shadows' state at this checkpoint
            mg.random.seed(VARIANCE_SEED + 1000 * i + ESTIMATORS.index(name))
            total, squares, signal = 0.0, 0.0, []
            for _ in range(n):   # n independent estimates: their sum and sum of squares, in float64
                draws = args.k if name == "leave-one-out" else 1
                objective, _, centred = estimator_objective(model, x, name, baseline, draws)
                if centred is not None:
                    signal.append(float((centred * centred).mean().item()))
                grads = mg.autograd.grad(objective.mean(), model.encoder.parameters())
                g = numpy.concatenate([gi.numpy().astype(numpy.float64).ravel() for gi in grads])
                total, squares = total + g, squares + g * g
                bar.update()
            results[name]["centred_signal_ms"].append(float(numpy.mean(signal)) if signal else None)
            means[name], variances[name] = total / n, float(((squares - total * total / n) / (n - 1)).sum())
        signal = max(float(means["pathwise"] @ means["pathwise"]) - variances["pathwise"] / n, 0.0) ** 0.5
        for name in baselines:
            difference = means[name] - means["pathwise"]
            error = ((variances[name] + variances["pathwise"]) / n) ** 0.5
            results[name]["total_variance"].append(variances[name])
            results[name]["snr"].append(signal / variances[name] ** 0.5)
            results[name]["bias_check"].append(float(numpy.sqrt(difference @ difference)) / error
                                               if name != "pathwise" else None)
    bar.close()
    return results


# %% [markdown]
# ## Pictures and tables
#
# `curves.png` (test ELBO against steps and seconds), `variance.png` (variance and SNR at the
# checkpoints), `reconstructions.png`, and `results.md`, the table the chapter includes.

# %%
def describe_run(args, train_size, steps):
    return common.caption(args, f"VAE 784-{args.hidden}-{args.latent}, Bernoulli likelihood, analytic KL; "
                                f"{args.epochs} epochs ({steps} steps) on {train_size} digits, batch "
                                f"{args.batch_size}, Adam lr {args.lr:g}")


def finish(fig, axes, args, name, title):
    """Grid, one legend under the panels (each label once), the run's title; save."""
    handles = {}
    for ax in axes:
        ax.grid(alpha=0.3)
        handles.update(zip(*reversed(ax.get_legend_handles_labels())))
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=2, fontsize=9, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(title, fontsize=10)
    common.save_figure(fig, args, name)


def draw_curves(plt, runs, args, run):
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6), sharey=True)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.80, bottom=0.25, wspace=0.06)
    for name, history in runs.items():
        for ax, x in zip(axes, (history["step"], history["seconds"])):
            ax.plot(x, history["test_elbo"], "o-", markersize=3, color=COLORS[name], label=describe(name, args))
    # the untrained model's ELBO (about -540) would squash the rest: start below the lowest after epoch 1
    bottom = min(min(h["test_elbo"][1:] or h["test_elbo"]) for h in runs.values())
    top = max(v for h in runs.values() for v in h["test_elbo"])
    axes[0].set_ylim(bottom - 0.08 * (top - bottom), top + 0.05 * (top - bottom))
    start = min(h["test_elbo"][0] for h in runs.values())
    off = f"\n(the untrained model's {start:.0f} at step 0 is below the axis)" if start < axes[0].get_ylim()[0] else ""
    axes[0].set(xlabel="training steps (Adam updates)", ylabel="test ELBO (nats per digit, higher is better)")
    axes[1].set_xlabel("seconds spent training (this machine; evaluation not counted)")
    for ax, against in zip(axes, ("steps", "wall time")):
        ax.set_title(f"test ELBO against {against}{off}", fontsize=10)
    finish(fig, axes, args, "curves.png",
           f"demos/vae_estimators.py: the same VAE trained with five encoder-gradient estimators\n{run}")


def draw_variance(plt, variance, steps, args, run):
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6))
    fig.subplots_adjust(left=0.08, right=0.98, top=0.78, bottom=0.27, wspace=0.24)
    x = numpy.arange(len(steps))   # the checkpoints are spaced by factors of 3: drawn evenly, labelled by step
    for name, result in variance.items():
        axes[0].plot(x, result["total_variance"], "o-", color=COLORS[name], label=describe(name, args))
        axes[1].plot(x, result["snr"], "o-", color=COLORS[name])
    axes[1].axhline(1.0, color="gray", linestyle="--", linewidth=1,
                    label="SNR = 1: the noise of one estimate is as long as the gradient")
    for ax in axes:
        ax.set(yscale="log", xlim=(-0.3, len(steps) - 0.7), xlabel="checkpoint: steps taken by the pathwise run")
        ax.set_xticks(x, [str(s) for s in steps])
    axes[0].set_ylabel("total variance of one estimate\n(sum over the encoder's parameters)")
    axes[1].set_ylabel("SNR = |gradient| / sqrt(total variance)")
    axes[0].set_title(f"variance of the encoder's gradient ({args.estimates} estimates on "
                      f"{args.variance_batch} fixed test digits)", fontsize=10)
    axes[1].set_title("signal-to-noise ratio of one estimate", fontsize=10)
    if 0 in steps and len(variance) > 2:
        fig.text(0.5, 0.845, "at step 0 the moving average and NVIL's b(x) have seen no data yet (b = 0): "
                 "they coincide with 'no baseline'", ha="center", fontsize=8, style="italic")
    finish(fig, axes, args, "variance.png", "demos/vae_estimators.py: all five estimators measured at the same "
           f"weights, those of the pathwise run\n{run}")


def draw_reconstructions(plt, models, runs, x, args, run):
    rows = [("test digits (binarized)", x)]
    with mg.no_grad():
        for name, model in models.items():
            recon = model.reconstruct(mg.tensor(x, device=args.device)).numpy()
            rows.append((f"{describe(name, args)}\ntest ELBO {runs[name]['test_elbo'][-1]:.1f}", recon))
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 0.72 * len(rows) + 0.75))
    for ax, (label, images) in zip(axes, rows):
        ax.imshow(common.image_grid(images, 1, len(images)), cmap="gray", vmin=0, vmax=1)
        ax.set(xticks=[], yticks=[])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(f"test digits and each model's reconstructions (pixel probabilities at the posterior mean)\n{run}",
                 fontsize=8)
    common.save_figure(fig, args, "reconstructions.png")


def results_table(metrics):
    """The chapter's table, in Markdown: each run's final test ELBO, and at each checkpoint its variance
    ratio to pathwise's, SNR, mean square of the centred signal (f - b)^2, and bias check."""
    runs = metrics["estimators"]
    lines = ["| | " + " | ".join(runs) + " |", "|---" * (len(runs) + 1) + "|",
             "| final test ELBO (nats) | " + " | ".join(f"{r['final_test_elbo']:.2f}" for r in runs.values()) + " |"]
    rows = (("variance / pathwise's", "ratio_to_pathwise", "{:,.3g}"), ("SNR", "snr", "{:.2g}"),
            ("mean (f - b)^2 (nats^2)", "centred_signal_ms", "{:,.3g}"), ("bias check", "bias_check", "{:.2f}"))
    for i, step in enumerate(metrics["checkpoints"]):
        for what, key, form in rows:
            cells = [r["gradient_variance"][key][i] for r in runs.values()]
            lines.append(f"| {what}, step {step} | " + " | ".join("" if v is None else form.format(v)
                                                               for v in cells) + " |")
    return "\n".join(lines) + "\n"


# %% [markdown]
# ## The demo: `main(argv)`: train the runs, measure the variance, write the numbers and pictures

# %%
def main(argv=None):
    args = parse_args(argv)
    plt = common.start(args)
    began = time.perf_counter()
    data = common.load_mnist(args)
    train_images, test_images = data.train_images, data.test_images
    total_steps = args.epochs * -(-len(train_images) // args.batch_size)
    checkpoints = checkpoint_steps(total_steps, args.checkpoints)

    runs, models, snapshots = {}, {}, []
    for name in args.estimators:
        model, history, snaps = train(name, args, train_images, test_images, checkpoints)
        runs[name], models[name] = history, model
        snapshots += snaps
        print(f"{name:>14}: test ELBO {history['test_elbo'][-1]:8.2f}  "
              f"({history['seconds'][-1]:.1f} s training, {1000 * history['seconds'][-1] / total_steps:.1f} ms/step)",
              flush=True)

    fixed = mg.tensor(data.test_images[:args.variance_batch], device=args.device)   # binarized once
    variance = variance_study(args, snapshots, fixed)
    reference = variance["pathwise"]["total_variance"]

    config = {**{k: v for k, v in vars(args).items() if k not in ("out", "no_progress")}, "steps": total_steps,
              "train_size": len(train_images), "test_size": len(test_images),
              "data": "embedded mnist10k (minigrad/data/ATTRIBUTION.md)"}
    metrics = {"checkpoints": checkpoints, "config": config, "estimators": {name: {
        "final_test_elbo": runs[name]["test_elbo"][-1], "train_seconds": runs[name]["seconds"][-1],
        "history": runs[name], "gradient_variance": {"step": checkpoints, **variance[name], "ratio_to_pathwise": [
            v / r for v, r in zip(variance[name]["total_variance"], reference)]}} for name in args.estimators}}
    run = describe_run(args, len(train_images), total_steps)
    draw_curves(plt, runs, args, run)
    draw_variance(plt, variance, checkpoints, args, run)
    draw_reconstructions(plt, models, runs, data.test_images[:10], args, run)
    table = results_table(metrics)
    print(f"\nthe encoder's gradient at the pathwise run's checkpoints ({args.estimates} estimates on {len(fixed)} "
          f"test digits; SNR = |gradient| / sqrt(total variance); bias check about 1 if unbiased)\n{table}"
          f"pathwise total variance: " + ", ".join(f"{v:.3g}" for v in reference))
    pathlib.Path(args.out, "results.md").write_text(table)
    metrics["seconds"] = time.perf_counter() - began
    common.write_json(args, "metrics.json", metrics)
    print(f"\nwrote metrics.json, results.md and three pictures to {args.out} in {metrics['seconds']:.0f} s")
    return metrics


# %% [markdown]
# ## Run it: in a notebook, the defaults (a few minutes); `ARGS = ["--epochs", "2"]` for a quick look

# %%
if NOTEBOOK:
    OUT, ARGS = "demo_out/vae_estimators", []
    metrics = main([*ARGS, "--no-progress", "--out", OUT])
    common.show(OUT, "curves.png", "variance.png", "reconstructions.png")

# %%
if __name__ == "__main__" and not NOTEBOOK:
    main(sys.argv[1:])
