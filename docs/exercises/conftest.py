"""Which implementation the exercise tests run on: your student.py, or the reference solution.py.

Each exercise folder holds ``student.py`` (the file you fill in), ``solution.py`` (the
reference) and ``test_NN_name.py``. A test takes the fixture ``impl``, the module under
test, and calls what it checks through it (``impl.sinh(x)``):

    python -m pytest docs/exercises/01_new_op                               # tests your student.py
    MINIGRAD_EXERCISES=solution python -m pytest docs/exercises/01_new_op   # tests solution.py

The module is loaded from its file under a name of its own (``exercise_01_new_op_student``),
so the files called student.py never meet in ``sys.modules``.

Hypothesis draws the same examples on every run (``derandomize``), so a run gives the same
verdict twice; ``HYPOTHESIS_PROFILE=thorough`` draws 200 fresh examples per test instead.
"""
import importlib.util
import os
import pathlib

import pytest
from hypothesis import HealthCheck, Phase, settings

import minigrad as mg

CHOICES = ("student", "solution")
WHICH = os.environ.get("MINIGRAD_EXERCISES", "student")
if WHICH not in CHOICES:
    raise ValueError(f"MINIGRAD_EXERCISES must be one of {CHOICES}, got {WHICH!r}")

_quiet = [HealthCheck.too_slow, HealthCheck.data_too_large]
_phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]   # no "explain": slow, and says little here
settings.register_profile("exercises", deadline=None, max_examples=20, derandomize=True, database=None,
                          suppress_health_check=_quiet, phases=_phases)
settings.register_profile("thorough", deadline=None, max_examples=200, suppress_health_check=_quiet, phases=_phases)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "exercises"))


def pytest_report_header(config):
    return (f"minigrad exercises: testing {WHICH}.py in each exercise folder "
            f"(MINIGRAD_EXERCISES={'student' if WHICH == 'solution' else 'solution'} tests the other file)")


def load(folder, which):
    """The module ``folder/<which>.py``, imported from its path under a unique name."""
    path = pathlib.Path(folder) / f"{which}.py"
    spec = importlib.util.spec_from_file_location(f"exercise_{path.parent.name}_{which}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def impl(request):
    """The implementation under test: student.py, or solution.py when MINIGRAD_EXERCISES=solution."""
    return load(pathlib.Path(request.module.__file__).parent, WHICH)


@pytest.fixture(autouse=True)
def _restore_defaults():
    """A test may change the default device or dtype; put them back afterwards."""
    device, dtype = mg.get_default_device(), mg.get_default_dtype()
    yield
    mg.set_default_device(device)
    mg.set_default_dtype(dtype)
