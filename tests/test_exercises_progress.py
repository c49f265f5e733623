"""docs/exercises/progress.py, the students' command: a table of which exercises pass on their own files."""
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "docs" / "exercises"


def progress(*args):
    """Run the command as a student does, from the repository root; its exit status and output."""
    done = subprocess.run([sys.executable, str(EXERCISES / "progress.py"), *args], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return done.returncode, done.stdout


def test_table_says_passed_for_a_solved_exercise_and_names_the_first_failure_of_another(tmp_path):
    """A copy of two exercises where 13's student.py is its solution: 13 passed, 07 not, with the stub's error."""
    shutil.copy(EXERCISES / "conftest.py", tmp_path)
    for name in ("07_gaussian_kl", "13_cross_entropy"):
        shutil.copytree(EXERCISES / name, tmp_path / name)
    shutil.copy(tmp_path / "13_cross_entropy" / "solution.py", tmp_path / "13_cross_entropy" / "student.py")
    status, output = progress("--path", str(tmp_path))
    assert status == 0, output
    rows = {line.split()[0]: line for line in output.splitlines() if line[:2].isdigit()}
    assert set(rows) == {"07_gaussian_kl", "13_cross_entropy"}, output
    assert rows["13_cross_entropy"].split()[1] == "passed", output
    assert "0 of 6 pass" in rows["07_gaussian_kl"], output
    assert "NotImplementedError: exercise 07" in rows["07_gaussian_kl"], output
    assert "1 of 2 exercises passed" in output


def test_a_folder_without_exercises_is_explained(tmp_path):
    status, output = progress("--path", str(tmp_path))
    assert status == 2
    assert "No exercises found" in output and "--path" in output
