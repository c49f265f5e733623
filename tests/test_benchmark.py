"""demos/benchmark: its hand-written gradients are right, every peer computes the same loss, and main()
runs and writes JSON.

The benchmark's NumPy implementation - forward pass, backward pass derived by hand, Adam -
is the yardstick every engine is measured against, so it must do exactly the work of the
minigrad model: the same loss and the same gradients, for the same weights and noise.
"""
import json
import os
import pathlib
import subprocess
import sys

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg

# demos/benchmark is a package of its own, not installed: it is imported by its name from demos/.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "demos"))
import benchmark
from benchmark import cnn, model, presets
from benchmark.peers import CNN_IMPLEMENTATIONS, IMPLEMENTATIONS, dezero_step, minigrad_ops_step
from benchmark.runner import Skip

DEMOS = pathlib.Path(benchmark.__file__).parent.parent

sizes = st.tuples(st.integers(1, 12), st.integers(1, 9), st.integers(1, 4), st.integers(1, 6))   # D, H, Z, B


def drawn_noise(seed, batch, latent):
    """The eps that mg.models.VAE's rsample draws after mg.random.seed(seed): shape (k=1, B, Z)."""
    mg.random.seed(seed)
    return mg.random.normal(size=(1, batch, latent), dtype=mg.float64).numpy()[0]


def minigrad_model_gradients(params, x, seed):
    """Loss and gradients of mg.models.VAE, as a user trains it: loss = -elbo.mean(); loss.backward()."""
    D, H, Z = presets.sizes_of(params)
    model = mg.models.VAE(D, H, Z, dtype=mg.float64)
    model.load_state_dict(params)
    mg.random.seed(seed)
    loss = -model.elbo(mg.tensor(x)).elbo.mean()
    loss.backward()
    grads = dict((name, p.grad.numpy()) for name, p in model.named_parameters())
    return loss.item(), [grads[name] for name in presets.PARAMETER_NAMES]


def minigrad_ops_gradients(params, x, seed):
    """Loss and gradients of the raw-ops version the benchmark times as "minigrad-ops"."""
    tensors = [mg.tensor(params[name], requires_grad=True) for name in presets.PARAMETER_NAMES]
    eps = drawn_noise(seed, x.shape[0], presets.sizes_of(params)[2])
    loss = minigrad_ops_step.vae_loss(tensors, mg.tensor(x), mg.tensor(eps))
    loss.backward()
    return loss.item(), [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("minigrad_gradients", [minigrad_model_gradients, minigrad_ops_gradients])
@given(sizes=sizes, seed=st.integers(0, 2**16))
def test_hand_written_gradients_equal_minigrads(minigrad_gradients, sizes, seed):
    """In float64, on random sizes: HandWrittenVAE's loss and gradients == minigrad's autograd ones,
    with the same weights, the same batch and the same noise eps."""
    D, H, Z, B = sizes
    config = presets.Config(D, H, Z, B)
    params = presets.initial_parameters(config, seed, dtype=numpy.float64)
    x = presets.binary_batch(config, seed, dtype=numpy.float64)

    loss, grads = minigrad_gradients(params, x, seed)
    hand = model.HandWrittenVAE([params[name].copy() for name in presets.PARAMETER_NAMES])
    hand_loss, hand_grads = hand.loss_and_grads(x, drawn_noise(seed, B, Z))

    numpy.testing.assert_allclose(hand_loss, loss, rtol=1e-12)
    for name, expected, got in zip(presets.PARAMETER_NAMES, grads, hand_grads):
        assert got.shape == expected.shape, name
        numpy.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", [name for name in IMPLEMENTATIONS if name != "numpy"])
def test_every_peer_computes_the_hand_written_loss(name):
    """Each framework's VAE, at the same float32 weights, batch and noise, gives the hand-written
    loss: it does the same work, so timing it against the others is fair. A peer that is not
    installed is skipped with its reason."""
    for config in (presets.Config(64, 32, 4, 16), presets.Config(7, 5, 3, 2)):
        params, x, eps = presets.initial_parameters(config), presets.binary_batch(config), presets.noise(config)
        try:
            theirs = IMPLEMENTATIONS[name].loss(params, x, eps)
        except Skip as e:
            pytest.skip(str(e))
        assert numpy.isclose(theirs, model.loss(params, x, eps), rtol=1e-5), (name, config)


def test_dezero_is_imported_without_leaving_numpy_int_behind():
    """DeZero 0.0.13 needs numpy.int (gone since NumPy 1.24) while it imports; afterwards NumPy is as it was."""
    had_it = hasattr(numpy, "int")
    try:
        dezero_step.import_dezero()
    except Skip as e:
        pytest.skip(str(e))
    assert hasattr(numpy, "int") == had_it


def test_array_adam_makes_the_updates_of_mg_optim_adam():
    """Three steps of the benchmark's in-place Adam move a parameter exactly as mg.optim.Adam does."""
    rng = numpy.random.default_rng(0)
    start = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(3)]
    ours = start.copy()
    adam = model.ArrayAdam([ours])
    theirs = mg.tensor(start, requires_grad=True)
    reference = mg.optim.Adam([theirs], lr=presets.LR)
    for g in grads:
        adam.step([g])
        theirs.grad = mg.tensor(g)
        reference.step()
        numpy.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)
    assert not numpy.allclose(ours, start)


def test_main_runs_every_preset_kind_and_writes_json(tmp_path):
    """A tiny run of each mode: the VAE table, the chain, the layers of an op, the fused ops and the memory check,
    with valid JSON."""
    path = tmp_path / "bench.json"
    cores = os.sched_getaffinity(0)
    report = benchmark.main(["--presets", "tiny", "chain", "layers", "fused", "--impls", "numpy,minigrad",
                             "--steps", "4", "--warmup", "1", "--rounds", "2", "--chain-ops", "40",
                             "--json", str(path)])
    assert os.sched_getaffinity(0) == cores    # main() pins the process to one core, then gives the cores back
    written = json.loads(path.read_text())
    assert written == json.loads(json.dumps(report))
    (tiny,) = written["presets"]["tiny"]
    assert tiny["config"] == {"x_dim": 64, "hidden": 32, "latent": 4, "batch": 16}
    rows = {row["impl"]: row for row in tiny["results"]}
    assert set(rows) == {"numpy", "minigrad"}
    for row in rows.values():
        assert row["steps"] == 4 and 0 < row["q1_ms"] <= row["median_ms"] <= row["q3_ms"]
        assert numpy.isfinite(row["loss_after"]) and row["peak_bytes"] > 0
        assert row["loss_start_agrees"] and row["loss_start"] == pytest.approx(rows["numpy"]["loss_start"], rel=1e-5)
    assert rows["numpy"]["x_numpy"] == 1.0 and rows["minigrad"]["x_torch"] is None
    chain = {row["impl"]: row for row in written["presets"]["chain"]["results"]}
    assert set(chain) == {"numpy", "minigrad"} and chain["minigrad"]["backward_us_per_op"] > 0
    layers = {row["layer"]: row["us_per_call"] for row in written["presets"]["layers"]["results"]}
    assert all(us > 0 for us in layers.values()) and len(layers) == 18
    assert layers["mg.mul(x, y)"] > layers["a * b (NumPy)"] and layers["backward, per op"] > layers["the vjps alone"]
    fused = {row["op"]: row for row in written["presets"]["fused"]["results"]}
    assert set(fused) == {"linear", "bernoulli_log_prob", "kl_to_standard_normal"}
    assert all(row["fused_us"] > 0 and row["composite_us"] > 0 for row in fused.values())

    assert written["malloc"] in ("keeps freed memory", "default")   # "default" where malloc is not glibc's
    memory_run = benchmark.main(["--presets", "tiny", "--memory-steps", "3", "--warmup", "1", "--malloc-default"])
    assert memory_run["malloc"] == "default"
    memory = memory_run["memory"]
    (result,) = memory["results"]
    assert result["impl"] == "minigrad" and result["steps"] == 3 and result["rss_end_bytes"] > 0


def test_a_peer_that_does_not_import_is_skipped_with_its_reason(monkeypatch):
    """Never faked: a missing library is reported as skipped, and no row is made up for it."""
    monkeypatch.setitem(sys.modules, "mygrad", None)   # makes `import mygrad` raise ImportError
    report = benchmark.main(["--presets", "tiny", "--impls", "numpy", "mygrad", "--steps", "2", "--warmup", "0",
                             "--rounds", "1"])
    (tiny,) = report["presets"]["tiny"]
    assert [row["impl"] for row in tiny["results"]] == ["numpy"]
    assert "mygrad is not installed" in tiny["skipped"]["mygrad"]


def test_both_documented_commands_start():
    """`python demos/benchmark` from the root and `python -m benchmark` from demos/ find the package."""
    for command, cwd in (([sys.executable, "demos/benchmark", "--help"], DEMOS.parent),
                         ([sys.executable, "-m", "benchmark", "--help"], DEMOS)):
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "--presets" in done.stdout and "dezero" in done.stdout


def test_asking_for_a_device_that_is_not_here_is_an_error_that_says_what_to_do():
    """`--device cuda` where minigrad has no GPU (CUDA_VISIBLE_DEVICES="" hides any GPU from CuPy)
    must not print an empty table and exit 0: it exits non-zero and says what was asked, which
    devices there are, and how to get the GPU backend."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, str(DEMOS / "benchmark"), "--device", "cuda", "--presets", "tiny",
                           "--steps", "1"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0
    assert "--device cuda" in done.stderr and "['cpu']" in done.stderr
    assert "cupy" in done.stderr.lower() and ("pip install" in done.stderr or "getDeviceCount" in done.stderr)
    assert "[tiny]" not in done.stdout     # no table at all


@pytest.mark.parametrize("name", [name for name in CNN_IMPLEMENTATIONS if name != "minigrad"])
def test_every_cnn_peer_computes_minigrads_loss(name):
    """The cnn preset's step in each framework, at the same float32 weights, digits and labels, gives
    minigrad's cross-entropy: the same model, so the timings compare the same work."""
    params = cnn.initial_parameters()
    x, y = cnn.digits(16)
    try:
        theirs = CNN_IMPLEMENTATIONS[name].loss(params, x, y)
    except Skip as e:
        pytest.skip(str(e))
    assert numpy.isclose(theirs, CNN_IMPLEMENTATIONS["minigrad"].loss(params, x, y), rtol=1e-5), name


def test_main_runs_the_cnn_preset_and_profiles_minigrad(tmp_path):
    """A tiny run of the cnn preset: a row per implementation asked for, seconds per epoch, and the profile."""
    path = tmp_path / "cnn.json"
    benchmark.main(["--presets", "cnn", "--impls", "minigrad", "numpy", "--steps", "2", "--warmup", "1",
                    "--rounds", "1", "--json", str(path)])
    written = json.loads(path.read_text())["presets"]["cnn"]
    (row,) = written["results"]   # the yardstick has no CNN step: only minigrad's row
    assert row["impl"] == "minigrad" and row["loss_start_agrees"] and row["steps"] == 2
    assert row["epoch_s"] == pytest.approx(row["median_ms"] / 1e3 * 8000 / 128)
    functions = written["minigrad_profile"]["functions"]
    assert functions and all(0 < f["share"] <= 1 for f in functions)
    assert any("matmul" in f["function"] for f in functions)
    # the products of one step, recorded: both convolutions forward and their weights' gradients, conv 2's input
    # gradient (conv 1's input needs none), and the linear layer forward and back; a convolution's columns carry its
    # bias as one more row (C kh kw + 1 = 10 and 145)
    products = written["minigrad_profile"]["matrix_products"]
    assert len(products) == 8 and all(r["numpy_ms"] > 0 for r in products)
    assert {"(16, 10) @ (10, 100352)", "(32, 145) @ (145, 25088)", "(128, 1568) @ (1568, 10)"} <= {
        r["product"] for r in products}


def test_the_memory_preset_measures_each_step_in_a_process_of_its_own():
    """Peak resident memory of the VAE and the CNN step, beyond the RSS after the build: at least what the
    first step must allocate and keep (Adam's two moments, one float32 array per parameter each), and for
    the CNN step at least the first convolution's output, which the backward pass needs. PyTorch's row
    where it is installed, and the ratio to it."""
    import importlib.util
    impls = ["minigrad"] + (["torch"] if importlib.util.find_spec("torch") else [])
    report = benchmark.main(["--presets", "memory", "--impls", *impls, "numpy", "--steps", "1"])
    memory = report["presets"]["memory"]
    vae = {row["impl"]: row for row in memory["vae"]["results"]}
    convolutional = {row["impl"]: row for row in memory["cnn"]["results"]}
    assert set(vae) == set(impls) | {"numpy"} and set(convolutional) == set(impls)   # the yardstick has no CNN
    (default_size,) = presets.PRESETS["default"][0]
    adam_moments = 2 * 4 * sum(p.size for p in presets.initial_parameters(default_size).values())
    for row in vae.values():
        assert row["peak_bytes"] >= adam_moments and row["held_bytes"] >= 0.9 * adam_moments
        assert row["rss_after_build_bytes"] > 0
    first_convolution_output = 128 * 16 * 28 * 28 * 4
    assert convolutional["minigrad"]["peak_bytes"] >= first_convolution_output
    if "torch" in impls:
        assert vae["torch"]["x_torch"] == 1.0 and convolutional["minigrad"]["x_torch"] > 0
    else:
        assert vae["minigrad"]["x_torch"] is None
    if os.path.exists("/proc/self/clear_refs"):
        assert vae["minigrad"]["measured_with"] == "VmHWM after clear_refs"


def test_without_clear_refs_the_memory_preset_says_its_peak_includes_the_build(monkeypatch, tmp_path):
    """Where the high-water mark cannot be reset, the peak is ru_maxrss since the start, and the row says so."""
    from benchmark import peak
    monkeypatch.setattr(peak, "CLEAR_REFS", str(tmp_path / "no-such-folder" / "clear_refs"))
    measured = peak.measure_here("vae", "numpy", 1, 1)
    assert "ru_maxrss" in measured["measured_with"] and "includes import and build" in measured["measured_with"]
    # ru_maxrss is this pytest process's highest RSS so far, so the "peak" may be next to nothing; it is never
    # below the RSS after the build, but for the kernel's per-CPU RSS counters, read to within a few hundred pages
    assert measured["rss_after_build_bytes"] > 0 and measured["peak_bytes"] > -2**21
