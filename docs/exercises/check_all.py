"""Check every exercise: its tests pass on the reference solution and fail on the untouched stub.

    python docs/exercises/check_all.py

Runs the tests of all exercises twice, at the same time: once on every solution.py
(MINIGRAD_EXERCISES=solution; every test must pass, a skip is allowed) and once on every
student.py (every test must fail or error: a test that passes on the stub checks nothing
the student writes). Prints one row per exercise and exits with status 1 if any check
fails. CI runs it; an author runs it after adding or changing an exercise.
"""
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FILES = ("student.py", "solution.py")


def exercises():
    """The exercise folders (NN_name, with a test_NN_name.py) in order."""
    return sorted(p.name for p in HERE.iterdir() if p.is_dir() and p.name[:2].isdigit())


def start(which, report):
    """Start pytest on every exercise, testing ``which`` (student or solution); JUnit XML goes to ``report``."""
    env = dict(os.environ, MINIGRAD_EXERCISES=which)
    command = [sys.executable, "-m", "pytest", str(HERE.relative_to(ROOT)), "-q", "-p", "no:cacheprovider",
               f"--junitxml={report}"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def outcomes(report):
    """{exercise folder: {"passed": n, "failed": n, "error": n, "skipped": n}} from a JUnit XML report.

    A test's classname is its module's dotted path, docs.exercises.01_new_op.test_01_new_op,
    so the folder is the part before the module name.
    """
    counts = {}
    for case in ElementTree.parse(report).iter("testcase"):
        parts = case.get("classname", "").split(".")
        folder = next((p for p in parts if p[:2].isdigit()), "(outside any exercise)")
        kind = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
        kind = "failed" if kind == "failure" else kind
        tally = counts.setdefault(folder, {"passed": 0, "failed": 0, "error": 0, "skipped": 0})
        tally[kind] += 1
    return counts


def describe(tally):
    words = [f"{tally[k]} {k}" for k in ("passed", "failed", "error", "skipped") if tally[k]]
    return ", ".join(words) or "no tests"


def main():
    began = time.perf_counter()
    names = exercises()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {which: (start(which, f"{tmp}/{which}.xml"), f"{tmp}/{which}.xml") for which in ("solution", "student")}
        logs = {which: process.communicate()[0] for which, (process, _) in runs.items()}
        results = {}
        for which, (_, report) in runs.items():
            if not os.path.exists(report):   # pytest did not get as far as running tests
                print(f"pytest on the {which} files wrote no report; its output:\n{logs[which]}")
                return 1
            results[which] = outcomes(report)

    empty = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    problems = []
    print(f"{'exercise':<22}{'on solution.py (all pass)':<34}{'on student.py (all fail)':<34}")
    strays = (set(results["solution"]) | set(results["student"])) - set(names)   # tests outside NN_ folders
    for name in names + sorted(strays):
        solution, stub = results["solution"].get(name, empty), results["student"].get(name, empty)
        missing = [f for f in FILES + (f"test_{name}.py",) if not (HERE / name / f).exists()]
        missing += [f"../{name}.md"] if not (HERE / f"{name}.md").exists() else []
        solution_ok = solution["passed"] > 0 and solution["failed"] == solution["error"] == 0
        stub_ok = stub["passed"] == 0 and stub["failed"] + stub["error"] > 0
        print(f"{name:<22}{describe(solution) + ('  ok' if solution_ok else '  FAIL'):<34}"
              f"{describe(stub) + ('  ok' if stub_ok else '  FAIL'):<34}")
        if missing:
            print(f"{'':<22}missing: {', '.join(missing)}")
        if not (solution_ok and stub_ok and not missing):
            problems.append(name)
    print(f"\n{len(names)} exercises checked in {time.perf_counter() - began:.0f} s: "
          + ("all good." if not problems else f"problems in {', '.join(problems)}."))
    if problems:
        for which in ("solution", "student"):
            tail = "\n".join(logs[which].splitlines()[-40:])
            print(f"\n---- pytest output on the {which} files (last 40 lines) ----\n{tail}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
