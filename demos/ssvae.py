# %% [markdown]
# # The semi-supervised VAE (M2) on MNIST with 100 labels
#
# Model M2 of Kingma, Rezende, Mohamed & Welling (2014), `mg.models.M2`, trained on the 8,000
# training digits of `mg.data.load_mnist()` of which only 100 keep their label; its classifier
# $q(y \mid x)$ is compared with the same classifier trained on the 100 labels alone, over a few
# seeds, and the "analogies" of the paper's figure 1 are drawn. Every choice (α, the learning rate,
# the width, the epoch reported) is made on 1,000 validation digits taken from the training
# digits; the 2,000 test digits are used for nothing but the reported error. The maths, the
# choices and a run are in the chapter, [The semi-supervised VAE (M2)](../docs/ssvae.md).
# `python demos/ssvae.py` runs seeds 0, 1, 2 with the chosen settings; `python demos/ssvae.py --select
# --seeds 0` makes the choice. `demos/common.py` holds the scaffolding (options, folder, plots, bars).

# %%
"""Train the semi-supervised VAE M2 (Kingma et al. 2014) on MNIST with 100 labels, its settings chosen on
validation digits; compare its classifier with the same classifier trained on the labels alone."""
import common  # isort: split

import copy
import itertools
import time

import numpy

import minigrad as mg

CLASSES = 10
EVAL_SEED = 12345        # the test bound is estimated with the same draws in every run
VAL_SEED = 54321         # the validation digits are binarized once, with this seed
PAPER_M2_ERROR = 11.97   # % test error of M2 with 100 labels on 50,000 training digits (Kingma et al., table 1)
PAPER_M2_SD = 1.71
PAPER_NN_ERROR = 25.81   # % test error of their neural network on the 100 labels alone (table 1)
# the grid of --select (docs/ssvae.md, section 4): alpha = ALPHA_FACTOR * N, Adam's learning rate, the width
GRID = {"hidden": (256, 128), "lr": (3e-3, 1e-3), "alpha_factor": (10.0, 1.0, 0.1)}   # the last varies fastest


# %% [markdown]
# ## The options
#
# The defaults are what `--select` chose on the validation digits
# ([section 4](../docs/ssvae.md#4-choosing-the-settings-on-validation-digits) shows its table).

# %%
def parser():
    p = common.parser("ssvae", __doc__)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                   help="one run per seed: it picks the labelled digits, the initial weights and the draws")
    p.add_argument("--select", action="store_true",
                   help="run the grid GRID on the validation digits, write selection.md, and stop (no test digit read)")
    p.add_argument("--epochs", type=int, default=20, help="passes over the unlabelled digits, at most")
    p.add_argument("--labels-per-class", type=int, default=10, help="labelled digits of each class")
    p.add_argument("--hidden", type=int, default=256, help="hidden units of every network")
    p.add_argument("--latent", type=int, default=50, help="size of the style z")
    p.add_argument("--activation", default="softplus", choices=sorted(mg.nn.ACTIVATIONS))
    p.add_argument("--alpha-factor", type=float, default=10.0,
                   help="alpha = ALPHA_FACTOR * N, the weight of the classification term (the paper: 0.1)")
    p.add_argument("--batch-size", type=int, default=50, help="unlabelled digits per step")
    p.add_argument("--labelled-batch", type=int, default=100, help="labelled digits per step")
    p.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate")
    p.add_argument("--data", default=None, help="folder of the official MNIST IDX files (none: the embedded digits)")
    p.add_argument("--train-size", type=int, default=None, help="use only the first N training digits")
    p.add_argument("--val-size", type=int, default=1000, help="the last VAL_SIZE of those are the validation digits, "
                   "never trained on (0: none; then the last epoch is reported)")
    p.add_argument("--test-size", type=int, default=None, help="use only the first N test digits")
    p.add_argument("--iwae-k", type=int, default=20, help="draws per class for the final estimate of log p(x)")
    p.add_argument("--no-pictures", action="store_true", help="write the numbers only")
    return p


# %% [markdown]
# ## The digits: training, validation, test, and the 100 labels
#
# The last `--val-size` training digits are the validation digits, binarized once: they score every
# choice and are never trained on. Of the others, `choose_labelled` keeps the labels of 10 of each
# class per seed; the rest are used without. The test digits are read only for the errors reported.

# %%
def split(data, args):
    """((train images, labels), (validation images binarized, labels)), both from the training digits."""
    images, labels = data.train_images[:args.train_size], data.train_labels[:args.train_size]
    n = len(images) - args.val_size
    if n <= 0:
        raise SystemExit(f"ssvae: --val-size {args.val_size} leaves no training digit of {len(images)}")
    val = mg.data.binarize(images[n:], mg.backend.host_generator(VAL_SEED))
    return (images[:n], labels[:n]), (val, labels[n:])   # trained on; scores every choice


def choose_labelled(labels, per_class, seed, classes=CLASSES):
    """Indices of ``per_class`` training digits of each class, drawn by ``seed``; sorted."""
    rng = mg.backend.host_generator([seed, 0])   # its own stream: the labels do not move when training changes
    chosen = []
    for c in range(classes):
        of_class = numpy.flatnonzero(labels == c)
        if len(of_class) < per_class:
            raise ValueError(f"choose_labelled: only {len(of_class)} training digits of class {c}, "
                             f"{per_class} asked for")
        chosen.append(rng.choice(of_class, per_class, replace=False))
    return numpy.sort(numpy.concatenate(chosen))


# %% [markdown]
# ## Training
#
# One seed trains M2 on $\mathcal{J}^\alpha / N$ (`M2.objective`,
# [section 3](../docs/ssvae.md#3-the-classification-term)) and, beside it, the control: the same
# classifier from the same start, trained on the cross-entropy of the same labelled batches. After
# every epoch both are scored on the validation digits (and on the test digits, unless selecting);
# M2's state of the epoch of lowest validation error is kept, and that epoch's test error reported.

# %%
@mg.no_grad()
def error(classifier, images, labels, device):
    """Per cent of digits whose most probable class under the classifier (logits) is wrong."""
    wrong = sum(int((classifier(x).numpy().argmax(-1) != y.numpy()).sum())
                for x, y in mg.data.BatchIterator(images, labels, batch_size=1000, device=device))
    return 100.0 * wrong / len(images)


@mg.no_grad()
def test_bounds(model, images, device, k, batch_size=100):
    """Mean unlabelled bound U(x) and mean log p(x) estimate (k draws per class) over the test digits, nats."""
    mg.random.seed(EVAL_SEED)
    bound = log_px = 0.0
    for x in mg.data.BatchIterator(images, batch_size=batch_size, device=device):
        bound += model.unlabelled_bound(x).bound.sum().item()
        log_px += model.log_marginal(x, k).sum().item()
    return bound / len(images), log_px / len(images)


def train_one_seed(seed, train, val, test, args):
    """Train M2 and the control for one seed; ``test`` is None when selecting. Returns the M2 of the epoch of
    lowest validation error, the labelled indices and the history per epoch."""
    images, labels = train
    labelled = choose_labelled(labels, args.labels_per_class, seed)
    unlabelled = numpy.setdiff1d(numpy.arange(len(images)), labelled)
    n_l, n_u, alpha = len(labelled), len(unlabelled), args.alpha_factor * len(images)
    mg.random.seed(seed)   # the initial weights
    model = mg.models.M2(784, args.hidden, args.latent, CLASSES, args.activation, device=args.device)
    control = mg.nn.MLP([784, args.hidden, CLASSES], args.activation, device=args.device)
    control.load_state_dict(model.classifier.state_dict())     # the same classifier, the same start
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    control_optimizer = mg.optim.Adam(control.parameters(), lr=args.lr)
    names = ("objective", "labelled_elbo", "unlabelled_bound", "label_log_q", "control_train_loss")
    history = {name: [] for name in (*names, "m2_val_error", "supervised_val_error", "m2_test_error",
                                     "supervised_test_error", "seconds")}
    best = (float("inf"), None)
    for epoch in range(args.epochs):
        tick = time.perf_counter()
        rng = mg.backend.host_generator([seed, epoch + 1])   # this epoch's binarization and order ...
        mg.random.seed(int(rng.integers(2 ** 31)))             # ... and its draws of z
        x_u, x_l = mg.data.binarize(images[unlabelled], rng), mg.data.binarize(images[labelled], rng)
        unlabelled_batches = mg.data.BatchIterator(x_u, batch_size=args.batch_size, shuffle=True, rng=rng,
                                                   device=args.device)
        labelled_loader = mg.data.BatchIterator(x_l, labels[labelled], batch_size=args.labelled_batch,
                                                shuffle=True, rng=rng, device=args.device)
        labelled_batches = itertools.chain.from_iterable(itertools.repeat(labelled_loader))   # a new order each pass
        sums = numpy.zeros(5)
        for xb_u in common.progress(unlabelled_batches, args, desc=f"seed {seed} epoch {epoch + 1}", leave=False):
            xb_l, yb_l = next(labelled_batches)
            optimizer.zero_grad()
            terms = model.objective(xb_l, yb_l, xb_u, n_l, n_u, alpha)
            (-terms.objective).backward()
            optimizer.step()
            control_optimizer.zero_grad()
            loss = mg.nn.functional.cross_entropy(control(xb_l), yb_l)
            loss.backward()
            control_optimizer.step()
            sums += [*(t.item() for t in terms), loss.item()]
        for name, value in zip(names, sums / len(unlabelled_batches)):
            history[name].append(float(value))
        history["seconds"].append(time.perf_counter() - tick)
        for who, classifier in (("m2", model.classifier), ("supervised", control)):
            if len(val[0]):
                history[f"{who}_val_error"].append(error(classifier, *val, args.device))
            if test is not None:
                history[f"{who}_test_error"].append(error(classifier, *test, args.device))
        score = history["m2_val_error"][-1] if len(val[0]) else -epoch   # no validation digits: the last epoch
        if score < best[0]:
            best = (score, copy.deepcopy(model.state_dict()))
        shown = "  ".join(f"{key[:-6]} {v[-1]:5.2f}%" for key, v in history.items() if key.endswith("_error") and v)
        print(f"seed {seed}  epoch {epoch + 1:3d}  J/N {history['objective'][-1]:8.2f}  "
              f"U {history['unlabelled_bound'][-1]:8.2f}  {shown}  ({history['seconds'][-1]:.1f} s)", flush=True)
    model.load_state_dict(best[1])
    return model, labelled, history


def chosen_epoch(history, who):
    """The epoch (0-based) of lowest validation error of ``who`` ("m2" or "supervised"); the last without one."""
    errors = history[f"{who}_val_error"]
    return int(numpy.argmin(errors)) if errors else len(history["objective"]) - 1


# %% [markdown]
# ## Choosing the settings: `--select`
#
# Every point of `GRID` is trained with every seed given; its score is M2's lowest validation error
# over the epochs, averaged over the seeds; the lowest wins. No test digit is read.

# %%
def select(args, train, val):
    rows = []
    for values in itertools.product(*GRID.values()):
        point = copy.copy(args)
        vars(point).update(zip(GRID, values))
        tick = time.perf_counter()
        histories = [train_one_seed(seed, train, val, None, point)[2] for seed in args.seeds]
        epochs = [chosen_epoch(h, "m2") for h in histories]
        rows.append({**dict(zip(GRID, values)), "val_error": float(numpy.mean(
            [h["m2_val_error"][e] for h, e in zip(histories, epochs)])), "epochs": [e + 1 for e in epochs],
            "seconds": time.perf_counter() - tick})
        print(f"select: {rows[-1]}", flush=True)
        write_selection(args, rows, len(val[0]))   # after every point, so that a stopped run leaves its table
    return rows


def write_selection(args, rows, n_val):
    best = min(range(len(rows)), key=lambda i: rows[i]["val_error"])
    lines = [f"| α / N | learning rate | hidden units | validation error of M2 (mean over seeds "
             f"{', '.join(map(str, args.seeds))}) | at epoch | minutes |", "|---|---|---|---|---|---|"]
    for i, r in enumerate(rows):
        cells = [f"{r['alpha_factor']:g}", f"{r['lr']:g}", str(r["hidden"]), f"{r['val_error']:.2f}%",
                 ", ".join(map(str, r["epochs"])), f"{r['seconds'] / 60:.1f}"]
        lines.append("| " + " | ".join(f"**{c}**" if i == best else c for c in cells) + " |")
    lines.append(f"\nChosen (bold): the lowest validation error on {n_val} validation digits, each setting "
                 f"trained for at most {args.epochs} epochs; {len(rows)} of "
                 f"{numpy.prod([len(v) for v in GRID.values()])} grid points run.\n")
    with open(f"{args.out}/selection.md", "w") as f:
        f.write("\n".join(lines))
    common.write_json(args, "selection.json", {"grid": {k: list(v) for k, v in GRID.items()}, "rows": rows,
                                               "chosen": rows[best], "seeds": args.seeds, "epochs": args.epochs})


# %% [markdown]
# ## Pictures
#
# `error.png`: the test error of both classifiers after every epoch, a star at the epoch the
# validation digits chose. `analogies.png` (the paper's figure 1): the style $z$ of a test digit,
# and codes $z \sim p(z)$, decoded as each class ([section 6](../docs/ssvae.md#6-analogies)).

# %%
def describe_run(args, n_labelled, n_unlabelled, n_val, n_test):   # on every picture: the run's settings
    return (f"M2 with 784-{args.hidden}-{args.latent} networks ({args.activation}), Bernoulli likelihood, "
            f"alpha = {args.alpha_factor:g} N; {n_labelled} labelled + {n_unlabelled} unlabelled training digits\n"
            f"at most {args.epochs} epochs, batches of {args.batch_size} unlabelled + {args.labelled_batch} "
            f"labelled, Adam lr {args.lr:g}; epoch chosen on {n_val} validation digits; test error on {n_test} "
            f"test digits")


CURVES = (("m2", "o-", "C0", "M2: q(y | x) trained on the labelled and unlabelled digits"),
          ("supervised", "s--", "C1", "the same classifier trained on the labelled digits alone"))


def draw_error(runs, args, run, plt):
    from matplotlib.ticker import MaxNLocator
    fig, ax = plt.subplots(figsize=(8, 6))
    for i, r in enumerate(runs):
        h = r["history"]
        epochs = numpy.arange(1, len(h["m2_test_error"]) + 1)
        for who, style, color, text in CURVES:
            ax.plot(epochs, h[f"{who}_test_error"], style, color=color, markersize=3, alpha=0.8,
                    label=text if i == 0 else None)
            e = r[f"{who}_epoch"] - 1
            ax.plot(epochs[e], h[f"{who}_test_error"][e], "*", color=color, markersize=12, markeredgecolor="k",
                    label="the epoch chosen on the validation digits (its test error is reported)"
                    if i == 0 and who == "m2" else None)
    ax.axhline(PAPER_M2_ERROR, color="C0", linestyle=":", linewidth=1,
               label=f"Kingma et al. 2014, table 1: M2 with 100 labels, {PAPER_M2_ERROR}% "
                     "(their setting: 50,000 training digits)")
    ax.axhline(PAPER_NN_ERROR, color="C1", linestyle=":", linewidth=1,
               label=f"Kingma et al. 2014, table 1: a neural network on the 100 labels alone, {PAPER_NN_ERROR}%")
    ax.set_xlabel("epoch (passes over the unlabelled digits)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("test error (%), lower is better")
    ax.set_ylim(0, None)
    ax.set_title(f"Test error after every epoch: {len(runs)} seed{'s' * (len(runs) > 1)} "
                 f"({', '.join(str(r['seed']) for r in runs)}), one line each\n{run}", fontsize=8)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1, frameon=False)
    common.save_figure(fig, args, "error.png")


def draw_analogies(model, images, labels, seed, run, args, plt):
    """Left: the style of test digits (the first of each class), decoded as every class. Right: styles from p(z)."""
    picks = [int(numpy.flatnonzero(labels == c)[0]) for c in range(CLASSES) if (labels == c).any()]
    rows, x = len(picks), mg.tensor(images[picks], device=args.device)
    every_class = numpy.tile(numpy.arange(CLASSES), rows)           # 0..9, 0..9, ...: row by row
    with mg.no_grad():
        z_test = model.encode(x, model.one_hot(labels[picks], x)).loc.numpy()
        mg.random.seed(EVAL_SEED + 1)
        z_prior = mg.random.normal(size=(rows, model.latent), device=args.device).numpy()
        panels = []
        for z in (z_test, z_prior):
            z_rows = mg.tensor(numpy.repeat(z, CLASSES, axis=0), device=args.device)
            panels.append(model.decode(model.one_hot(every_class, x), z_rows).mean.numpy())
    gap = numpy.full((rows * 28, 6), 0.5)
    left = numpy.concatenate([common.image_grid(images[picks], rows, 1), gap,
                              common.image_grid(panels[0], rows, CLASSES)], axis=1)
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.6), gridspec_kw={"width_ratios": [11 * 28 + 6, 10 * 28]})
    axes[0].imshow(left, cmap="gray", vmin=0, vmax=1)
    axes[0].set_xticks([14] + [28 + 6 + 14 + 28 * c for c in range(CLASSES)],
                       ["test\ndigit"] + [str(c) for c in range(CLASSES)], fontsize=8)
    axes[0].set_xlabel("class y given to the decoder (left of the gap: the test digit itself)")
    axes[0].set_ylabel("z = mean of q(z | x, y) for the test digit x on the left")
    axes[0].set_title("analogies: the style z of a test digit, drawn as every class", fontsize=9)
    axes[1].imshow(common.image_grid(panels[1], rows, CLASSES), cmap="gray", vmin=0, vmax=1)
    axes[1].set_xticks([14 + 28 * c for c in range(CLASSES)], [str(c) for c in range(CLASSES)], fontsize=8)
    axes[1].set_xlabel("class y given to the decoder")
    axes[1].set_ylabel("z drawn from the prior N(0, I), one per row")
    axes[1].set_title("styles drawn from the prior, drawn as every class", fontsize=9)
    axes[0].set_yticks([]), axes[1].set_yticks([])
    fig.suptitle(f"Decoder means p(x | y, z) (pixel probabilities) of the M2 trained with seed {seed}\n{run}",
                 fontsize=8)
    common.save_figure(fig, args, "analogies.png")


# %% [markdown]
# ## The study: `main(argv)`
#
# `main` splits the digits, then runs the selection (`--select`) or trains M2 and the control for each
# seed; it writes the mean and sd over the seeds, `metrics.json`, `results.md` and the pictures.

# %%
def summary(values):
    sd = float(numpy.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {"mean": float(numpy.mean(values)), "sd": sd, "per_seed": list(values)}


def write_results(args, runs, metrics):
    lines = ["| seed | M2, test error | at epoch | the same classifier on the labels alone | at epoch | "
             f"M2, test bound U (nats) | M2, log p(x) ≥ (IWAE, {args.iwae_k} draws per class) |",
             "|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['seed']} | **{r['m2_test_error']:.2f}%** | {r['m2_epoch']} | "
                     f"{r['supervised_test_error']:.2f}% | {r['supervised_epoch']} | "
                     f"{r['test_unlabelled_bound']:.2f} | {r['test_log_px']:.2f} |")
    m2, sup = metrics["m2_test_error"], metrics["supervised_test_error"]
    lines.append(f"| mean ± sd | **{m2['mean']:.2f} ± {m2['sd']:.2f}%** | | {sup['mean']:.2f} ± {sup['sd']:.2f}% "
                 f"| | {metrics['test_unlabelled_bound']['mean']:.2f} | {metrics['test_log_px']['mean']:.2f} |")
    with open(f"{args.out}/results.md", "w") as f:
        f.write("\n".join(lines) + "\n")


def main(argv=None):
    args = parser().parse_args(argv)
    plt = common.start(args, pictures=not (args.no_pictures or args.select))
    data = mg.data.load_mnist(args.data)   # grey training digits; test digits binarized once
    train, val = split(data, args)
    (images, _), (val_images, _) = train, val
    if args.select:
        return select(args, train, val)
    test = (data.test_images[:args.test_size], data.test_labels[:args.test_size])
    began = time.perf_counter()
    runs, models = [], []
    for seed in args.seeds:
        model, labelled, history = train_one_seed(seed, train, val, test, args)
        bound, log_px = test_bounds(model, test[0], args.device, args.iwae_k)
        run = {"seed": seed}
        for who in ("m2", "supervised"):   # each classifier at the epoch of its lowest validation error
            run[f"{who}_epoch"] = chosen_epoch(history, who) + 1
            run[f"{who}_test_error"] = history[f"{who}_test_error"][run[f"{who}_epoch"] - 1]
        runs.append(run | {"test_unlabelled_bound": bound, "test_log_px": log_px,
                           "labelled_indices": labelled.tolist(), "history": history})
        models.append(model)
        print(f"seed {seed}: test error M2 {run['m2_test_error']:.2f}% (epoch {run['m2_epoch']}), labelled only "
              f"{run['supervised_test_error']:.2f}% (epoch {run['supervised_epoch']}); test bound U {bound:.2f}, "
              f"log p(x) >= {log_px:.2f} nats (IWAE, {args.iwae_k} draws per class)", flush=True)
    n_l = args.labels_per_class * CLASSES
    metrics = {key: summary([r[key] for r in runs]) for key in
               ("m2_test_error", "supervised_test_error", "test_unlabelled_bound", "test_log_px")}
    metrics |= {"seconds": time.perf_counter() - began, "seeds": args.seeds, "alpha": args.alpha_factor * len(images),
                "config": {k: v for k, v in vars(args).items() if k not in ("out", "no_progress", "no_pictures")}
                | {"train_size": len(images), "val_size": len(val_images), "test_size": len(test[0]),
                   "labelled": n_l, "unlabelled": len(images) - n_l,
                   "data": args.data or "embedded mnist10k (minigrad/data/ATTRIBUTION.md)"},
                "runs": runs}
    common.write_json(args, "metrics.json", metrics)
    write_results(args, runs, metrics)
    m2, sup = metrics["m2_test_error"], metrics["supervised_test_error"]
    print(f"test error over {len(runs)} seed(s) (epoch chosen on {len(val_images)} validation digits, {n_l} labels): "
          f"M2 {m2['mean']:.2f}% +- {m2['sd']:.2f}, labelled only {sup['mean']:.2f}% +- {sup['sd']:.2f} "
          f"(paper, 50,000 digits: M2 {PAPER_M2_ERROR}% +- {PAPER_M2_SD}); {metrics['seconds']:.0f} s in all")
    if plt is not None:
        run = describe_run(args, n_l, len(images) - n_l, len(val_images), len(test[0]))
        draw_error(runs, args, run, plt)
        draw_analogies(models[0], *test, args.seeds[0], run, args, plt)
    return metrics


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs one seed of 10 epochs and shows the two pictures.

# %%
if common.in_notebook(__name__):
    metrics = main(["--seeds", "0", "--epochs", "10", "--no-progress", "--out", "demo_out/ssvae"])
    common.show("demo_out/ssvae", "error.png", "analogies.png")

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main()
