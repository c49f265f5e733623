"""Checkpoints: mg.save and mg.load round-trip nested state, never unpickle, and survive a failed or killed save.

A checkpoint holds tensors (with their device and requires_grad), numbers, tuples, None and the
random state, in one .npz file read without pickle. A save writes a temporary file beside the
checkpoint and renames it only when complete, so a full disk or a kill mid-write leaves the
previous checkpoint whole. Checkpoints of earlier formats: tests/test_legacy_checkpoints.py.
"""
import io
import os
import pathlib
import select
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import minigrad as mg


def test_save_load_round_trip_of_nested_state(tmp_path, device):
    mg.random.seed(3)
    state = {"w": mg.random.normal(size=(3, 2), device=device).requires_grad_(),
             "optimizer": {"step": 7, "lr": 1e-3, "betas": (0.9, 0.999), "state": {0: {"m": mg.zeros(2)}}},
             "rng": mg.random.get_state(), "note": None, "history": [1.5, float("nan")]}
    mg.save(state, tmp_path / "ckpt.npz")
    loaded = mg.load(tmp_path / "ckpt.npz")
    np.testing.assert_array_equal(loaded["w"].numpy(), state["w"].numpy())
    assert loaded["w"].device == device and loaded["w"].requires_grad
    assert loaded["optimizer"]["betas"] == (0.9, 0.999) and loaded["optimizer"]["step"] == 7
    assert 0 in loaded["optimizer"]["state"]
    assert np.isnan(loaded["history"][1]) and loaded["note"] is None
    mg.random.set_state(loaded["rng"])
    a = mg.random.normal(size=(4,)).numpy()
    mg.random.set_state(loaded["rng"])
    np.testing.assert_array_equal(a, mg.random.normal(size=(4,)).numpy())


def test_load_never_unpickles(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, __structure__=np.array([object()], dtype=object))   # would need pickle to read
    with pytest.raises(ValueError, match="not a readable minigrad checkpoint"):
        mg.load(path)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        mg.load(tmp_path / "missing.npz")


def test_unsaveable_objects_are_named(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['f'\].*function"):
        mg.save({"f": lambda: 0}, tmp_path / "x.npz")
    assert not list(tmp_path.iterdir())      # nothing half-written is left behind


def test_a_save_whose_write_fails_midway_leaves_no_temporary_file_and_the_previous_checkpoint(tmp_path,
                                                                                              monkeypatch):
    checkpoint = tmp_path / "ckpt.npz"
    mg.save({"generation": 0, "w": mg.zeros((64, 64))}, checkpoint)
    previous = checkpoint.read_bytes()
    real_savez, written = np.savez, []

    def savez_that_fails_midway(file, **arrays):   # a full disk: half of the archive written, then an error
        archive = io.BytesIO()
        real_savez(archive, **arrays)
        file.write(archive.getvalue()[:len(archive.getvalue()) // 2])
        file.flush()
        written.append(os.fstat(file.fileno()).st_size)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", savez_that_fails_midway)
    with pytest.raises(OSError, match="No space left"):
        mg.save({"generation": 1, "w": mg.ones((64, 64))}, checkpoint)
    assert written and written[0] > 0                     # the write did begin
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]   # no temporary file left behind
    assert checkpoint.read_bytes() == previous
    assert mg.load(checkpoint)["generation"] == 0


def files_open_for_writing(pid, folder):
    """The files in ``folder`` that process ``pid`` holds open for writing, read from /proc/<pid>/fd (Linux)."""
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            name = os.readlink(f"/proc/{pid}/fd/{fd}")
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                flags = int(dict(line.split(":", 1) for line in f if ":" in line)["flags"], 8)
        except FileNotFoundError:            # closed while we looked
            continue
        if os.path.dirname(name) == folder and flags & (os.O_WRONLY | os.O_RDWR):
            found.add(name)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fdinfo"), reason="sees what the writer has open in /proc (Linux)")
def test_a_process_killed_while_saving_leaves_the_previous_checkpoint(tmp_path):
    # A child saves a 16 MB checkpoint each time it reads a generation number. When it holds a file
    # beside the checkpoint open for writing, we stop it (SIGSTOP), look again while it cannot move, and
    # kill it if that file is part-written; else we let it go on and look again. If the save completes
    # first, it is the new previous checkpoint and the child is asked for another: a slow or loaded
    # machine means more tries, never a kill at an unknown moment.
    folder = os.path.realpath(tmp_path)
    checkpoint = pathlib.Path(folder, "ckpt.npz")
    mg.save({"generation": 0, "w": mg.zeros((1024, 4096))}, checkpoint)
    writer = textwrap.dedent(f"""
        import sys
        import minigrad as mg
        for line in sys.stdin:
            generation = int(line)
            mg.save({{"generation": generation, "w": mg.full((1024, 4096), float(generation))}}, {str(checkpoint)!r})
            print(generation, flush=True)
    """)
    patience = 30                                            # seconds; a pass takes about one
    deadline, generation, writing = time.monotonic() + patience, 0, {}
    with subprocess.Popen([sys.executable, "-c", writer], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, bufsize=0) as process:
        try:
            while not writing:
                generation += 1
                previous = checkpoint.read_bytes()           # the child is idle: this is the last complete save
                process.stdin.write(f"{generation}\n".encode())
                while not writing:
                    if time.monotonic() > deadline:
                        process.kill()
                        pytest.fail(f"in {patience} s and {generation} saves the writer was never seen with a file "
                                    f"in {folder} open for writing; its stderr: {process.stderr.read().decode()}")
                    if select.select([process.stdout], [], [], 0)[0]:   # this save completed: ask for another
                        assert process.stdout.readline() == f"{generation}\n".encode(), process.stderr.read().decode()
                        break
                    if files_open_for_writing(process.pid, folder):
                        os.kill(process.pid, signal.SIGSTOP)
                        _, status = os.waitpid(process.pid, os.WUNTRACED)
                        assert os.WIFSTOPPED(status), process.stderr.read().decode()
                        writing = {name: os.path.getsize(name) for name in files_open_for_writing(process.pid, folder)}
                        writing = {name: size for name, size in writing.items() if 0 < size < len(previous)}
                        if not writing:                      # nothing part-written yet, or no longer
                            os.kill(process.pid, signal.SIGCONT)
        finally:
            process.kill()                                   # SIGKILL: mid-write if the loop found it so
    assert process.returncode == -signal.SIGKILL

    after = checkpoint.read_bytes()
    assert after == previous, (f"the checkpoint changed although no save into it completed ({len(previous)} bytes "
                               f"before, {len(after)} after the kill of a write at {writing})")
    loaded = mg.load(checkpoint)
    assert loaded["generation"] == generation - 1
    np.testing.assert_array_equal(loaded["w"].numpy(), np.full((1024, 4096), generation - 1.0))
    # the kill landed while a temporary file beside the checkpoint was part-written; it is left behind
    assert str(checkpoint) not in writing and all(os.path.exists(name) for name in writing)
    assert {os.path.join(folder, name) for name in os.listdir(folder)} == {str(checkpoint)} | set(writing)
