"""Shared test set-up: every test that takes a ``device`` argument runs on each backend.

Backends: "cpu" (NumPy), "strict" (NumPy behind CuPy's rules, see strict_backend.py)
and "cuda" (CuPy) when a GPU is present. ``MINIGRAD_TEST_DEVICES=cuda`` (comma list)
restricts the run, e.g. to the GPU.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

import minigrad as mg

import strict_backend

strict_backend.register()

settings.register_profile("default", deadline=None, max_examples=25,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", deadline=None, max_examples=200,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DEVICES = [d for d in ("cpu", "strict", "cuda") if d in mg.devices()]
if os.environ.get("MINIGRAD_TEST_DEVICES"):
    DEVICES = os.environ["MINIGRAD_TEST_DEVICES"].split(",")
    missing = [d for d in DEVICES if d not in mg.devices()]
    if missing:   # asking for the GPU on a machine without one must fail, not skip everything
        raise RuntimeError(f"MINIGRAD_TEST_DEVICES asks for {missing}, but this machine has only {mg.devices()}")


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", DEVICES)


@pytest.fixture(autouse=True)
def _restore_defaults():
    """Tests may change the default device/dtype or the seed; put them back afterwards."""
    device, dtype = mg.get_default_device(), mg.get_default_dtype()
    yield
    mg.set_default_device(device)
    mg.set_default_dtype(dtype)


@pytest.fixture
def saved_figures(monkeypatch):
    """{file name: the matplotlib Figure saved under it}, filled as a demo calls savefig."""
    from matplotlib.figure import Figure
    figures, savefig = {}, Figure.savefig

    def keep(fig, path, *args, **kwargs):
        figures[os.path.basename(str(path))] = fig
        return savefig(fig, path, *args, **kwargs)
    monkeypatch.setattr(Figure, "savefig", keep)
    return figures
