"""demos/benchmark.py: its hand-written gradients are right, and main() runs and writes JSON.

The benchmark's NumPy implementation - forward pass, backward pass derived by hand, Adam -
is the yardstick every engine is measured against, so it must do exactly the work of the
minigrad model: the same loss and the same gradients, for the same weights and noise.
"""
import importlib.util
import json
import os
import pathlib
import sys

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg

_PATH = pathlib.Path(__file__).resolve().parent.parent / "demos" / "benchmark.py"
_spec = importlib.util.spec_from_file_location("benchmark", _PATH)
benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchmark)

sizes = st.tuples(st.integers(1, 12), st.integers(1, 9), st.integers(1, 4), st.integers(1, 6))   # D, H, Z, B


def minigrad_model_gradients(params, x, seed):
    """Loss and gradients of mg.models.VAE, as a user trains it: loss = -elbo.mean(); loss.backward()."""
    D, H = params["encoder.layers.0.weight"].shape
    Z = params["decoder.layers.0.weight"].shape[0]
    model = mg.models.VAE(D, H, Z, dtype=mg.float64)
    model.load_state_dict(params)
    mg.random.seed(seed)
    loss = -model.elbo(mg.tensor(x)).elbo.mean()
    loss.backward()
    grads = dict((name, p.grad.numpy()) for name, p in model.named_parameters())
    return loss.item(), [grads[name] for name in benchmark.PARAMETER_NAMES]


def minigrad_ops_gradients(params, x, seed):
    """Loss and gradients of the raw-ops version the benchmark times as "minigrad-ops"."""
    tensors = [mg.tensor(params[name], requires_grad=True) for name in benchmark.PARAMETER_NAMES]
    mg.random.seed(seed)
    loss = benchmark.minigrad_ops_loss(tensors, mg.tensor(x), params["decoder.layers.0.weight"].shape[0])
    loss.backward()
    return loss.item(), [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("minigrad_gradients", [minigrad_model_gradients, minigrad_ops_gradients])
@given(sizes=sizes, seed=st.integers(0, 2**16))
def test_hand_written_gradients_equal_minigrads(minigrad_gradients, sizes, seed):
    """In float64, on random sizes: HandWrittenVAE's loss and gradients == minigrad's autograd ones,
    with the same weights, the same batch and the same noise eps."""
    D, H, Z, B = sizes
    config = benchmark.Config(D, H, Z, B)
    params = benchmark.initial_parameters(config, seed, dtype=numpy.float64)
    x = benchmark.binary_batch(config, seed, dtype=numpy.float64)

    loss, grads = minigrad_gradients(params, x, seed)
    mg.random.seed(seed)                      # the draw minigrad's rsample made: eps of shape (k=1, B, Z)
    eps = mg.random.normal((1, B, Z), dtype=mg.float64).numpy()[0]
    hand = benchmark.HandWrittenVAE([params[name].copy() for name in benchmark.PARAMETER_NAMES])
    hand_loss, hand_grads = hand.loss_and_grads(x, eps)

    numpy.testing.assert_allclose(hand_loss, loss, rtol=1e-12)
    for name, expected, got in zip(benchmark.PARAMETER_NAMES, grads, hand_grads):
        assert got.shape == expected.shape, name
        numpy.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=name)


def test_array_adam_makes_the_updates_of_mg_optim_adam():
    """Three steps of the benchmark's in-place Adam move a parameter exactly as mg.optim.Adam does."""
    rng = numpy.random.default_rng(0)
    start = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(3)]
    ours = start.copy()
    adam = benchmark.ArrayAdam([ours])
    theirs = mg.tensor(start, requires_grad=True)
    reference = mg.optim.Adam([theirs], lr=benchmark.LR)
    for g in grads:
        adam.step([g])
        theirs.grad = mg.tensor(g)
        reference.step()
        numpy.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)
    assert not numpy.allclose(ours, start)


def test_main_runs_every_preset_kind_and_writes_json(tmp_path):
    """A tiny run of each mode: the VAE table, the chain and the memory check, with valid JSON."""
    path = tmp_path / "bench.json"
    cores = os.sched_getaffinity(0)
    report = benchmark.main(["--presets", "tiny", "chain", "--impls", "numpy,minigrad", "--steps", "4",
                             "--warmup", "1", "--rounds", "2", "--chain-ops", "40", "--json", str(path)])
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
    assert rows["numpy"]["x_numpy"] == 1.0 and rows["minigrad"]["x_torch"] is None
    chain = {row["impl"]: row for row in written["presets"]["chain"]["results"]}
    assert set(chain) == {"numpy", "minigrad"} and chain["minigrad"]["backward_us_per_op"] > 0

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


def test_asking_for_a_device_that_is_not_here_is_an_error_that_says_what_to_do():
    """`--device cuda` where minigrad has no GPU (CUDA_VISIBLE_DEVICES="" hides any GPU from CuPy)
    must not print an empty table and exit 0: it exits non-zero and says what was asked, which
    devices there are, and how to get the GPU backend."""
    import subprocess
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, str(_PATH), "--device", "cuda", "--presets", "tiny", "--steps", "1"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0
    assert "--device cuda" in done.stderr and "['cpu']" in done.stderr
    assert "cupy" in done.stderr.lower() and ("pip install" in done.stderr or "getDeviceCount" in done.stderr)
    assert "[tiny]" not in done.stdout     # no table at all
