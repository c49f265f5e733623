"""Where you stand: every exercise's tests run on your student.py files, one line per exercise.

    python docs/exercises/progress.py                 # from the repository root
    python docs/exercises/progress.py --path DIR      # the exercises in another folder

Prints a table: the exercise, "passed" when all its tests pass on your file (or how many
pass), and the first failing check in one line: the test's name and the first line of its
error. An exercise you have not started shows its stub's NotImplementedError. Your files are
only read, never changed. The exit status is 0 whatever the tests say (the table is the
answer), 2 when the exercises cannot be found or pytest could not run them.

This is the students' command; ``check_all.py`` is the authors' (solutions pass, stubs fail).
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

HERE = pathlib.Path(__file__).resolve().parent


def exercises(folder):
    """The exercise folders (NN_name) in order."""
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name[:2].isdigit())


def run_tests(folder, report):
    """pytest on every exercise in ``folder``, testing student.py; JUnit XML to ``report``. Returns pytest's output."""
    env = dict(os.environ, MINIGRAD_EXERCISES="student")
    root = str(pathlib.Path.cwd())   # minigrad is imported from the current directory, as with python -m pytest
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "pytest", str(folder), "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
               "--rootdir", str(folder)]
    return subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout


def first_line(case):
    """'test_name: the first line of its error' for a failed or erroring test case."""
    problem = next(child for child in case if child.tag in ("failure", "error"))
    message = (problem.get("message") or problem.text or "").strip().splitlines()
    return f"{case.get('name')}: {message[0] if message else problem.tag}"


def results(report):
    """{exercise: {"total": n, "passed": n, "first failure": str or None}} from a JUnit XML report."""
    table = {}
    for case in ElementTree.parse(report).iter("testcase"):
        parts = case.get("classname", "").split(".") + case.get("file", "").split("/")
        folder = next((p for p in parts if p[:2].isdigit()), None)
        if folder is None:
            continue
        row = table.setdefault(folder, {"total": 0, "passed": 0, "first failure": None})
        row["total"] += 1
        if any(child.tag in ("failure", "error") for child in case):
            row["first failure"] = row["first failure"] or first_line(case)
        else:
            row["passed"] += 1      # a skipped test (scipy missing) counts as passed: it cannot fail for you
    return table


def shorten(text, width):
    return text if len(text) <= width else text[:width - 3] + "..."


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=pathlib.Path, default=HERE,
                        help="the folder holding the NN_name exercise folders (default: this script's folder)")
    args = parser.parse_args(argv)
    folder = args.path.resolve()
    if not folder.is_dir() or not exercises(folder):
        print(f"No exercises found in {folder}: it should hold folders such as 01_new_op/ with student.py and "
              "test_01_new_op.py. Run this from the repository root, or give the folder: "
              "python docs/exercises/progress.py --path docs/exercises")
        return 2
    names = exercises(folder)
    with tempfile.TemporaryDirectory() as tmp:
        report = pathlib.Path(tmp) / "report.xml"
        output = run_tests(folder, report)
        if not report.exists():
            print(f"pytest did not run the tests; its output:\n{output}")
            return 2
        table = results(report)

    done = 0
    print(f"{'exercise':<22}{'result':<18}first failing check")
    for name in names:
        row = table.get(name, {"total": 0, "passed": 0, "first failure": "no tests collected (see pytest's output)"})
        if row["total"] and row["passed"] == row["total"]:
            done += 1
            print(f"{name:<22}{'passed':<18}")
        else:
            status = f"{row['passed']} of {row['total']} pass"
            print(f"{name:<22}{status:<18}{shorten(row['first failure'] or '', 90)}")
    shown = os.path.relpath(folder) if folder.is_relative_to(pathlib.Path.cwd()) else str(folder)
    print(f"\n{done} of {len(names)} exercises passed. Run one exercise's tests with: "
          f"python -m pytest {shown}/NN_name -x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
