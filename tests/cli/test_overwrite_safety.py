"""``ssbx run --overwrite`` replaces only an ssbx run directory, and only once the new run has
completed; one writer per run directory (solver/rundir.py, solver/api.py).

Refusals exit with code 2 and one line ``ssbx: error: ...`` (no traceback) and leave the target
and its parent as they were. The runs use the cheapest case there is: a 2D bilayer with 126
cells, mechanics only, one 1 s hold step, no fields, no preview; the failing run is the same case
with one Newton iteration allowed and no cut-back (a real solver failure, exit code 3).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solver import rundir
from solver.errors import InputError

pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]

TINY = """
[geometry]
family = "bilayer"
dim = 2
W = "10 um"
t_e = "10 um"
t_s = "10 um"
h_max = "5 um"
[physics]
mechanics = true
[loading]
protocol = [{kind = "hold", duration = "1 s", n_steps = 1}]
[output]
fields = false
preview = false
"""
# a real solver failure: Newton may take one iteration, the step may not be cut
FAILING = TINY.replace("[output]", "[solver]\nmax_newton_iterations = 1\nmax_cuts = 0\n[output]")


def _ssbx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "solver.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )


def _refused(r: subprocess.CompletedProcess, fragment: str) -> str:
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("ssbx: error: ")
    assert fragment in lines[0], lines[0]
    return lines[0]


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` (not following links) with a file's bytes."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def work(tmp_path) -> Path:
    (tmp_path / "tiny.toml").write_text(TINY)
    (tmp_path / "failing.toml").write_text(FAILING)
    return tmp_path


def test_path_checks_refuse_root_home_cwd_and_the_case_directory(tmp_path):
    case = tmp_path / "cases" / "c.toml"
    for path, what in (
        ("/", "the root directory"),
        (Path.home(), "the home directory"),
        (tmp_path / "cwd", "the working directory"),
        (tmp_path, "a parent of the working directory"),
        (tmp_path / "cases", "it holds the case file"),
    ):
        line = rundir.dangerous(path, case, cwd=tmp_path / "cwd")
        assert line is not None and what in line and line.startswith("-o/output.directory: got")
    assert rundir.dangerous(tmp_path / "runs" / "x", case, cwd=tmp_path / "cwd") is None
    assert rundir.dangerous(tmp_path / "cwd" / "runs" / "x", case, cwd=tmp_path / "cwd") is None
    with pytest.raises(InputError, match="the root directory"):
        rundir.check_target("/", overwrite=True)
    with pytest.raises(InputError, match="the home directory"):
        rundir.check_target(Path.home(), overwrite=True)


def test_lock_is_exclusive_and_removed_on_release(tmp_path):
    target = tmp_path / "run"
    with rundir.RunLock(target) as lock:
        assert lock.path.exists() and rundir.RunLock.held(target)
        with pytest.raises(InputError, match="being written by another ssbx run"):
            rundir.RunLock(target).acquire()
    assert not lock.path.exists() and not rundir.RunLock.held(target)
    with rundir.RunLock(target):  # free again
        pass
    assert sorted(os.listdir(tmp_path)) == []


def test_write_text_atomic_replaces_whole_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text("old")
    rundir.write_text_atomic(path, '{"a": 1}\n')
    assert path.read_text() == '{"a": 1}\n'
    assert os.listdir(tmp_path) == ["summary.json"]


def test_overwrite_refuses_a_user_folder(work):
    user = work / "mine"
    user.mkdir()
    (user / "thesis.tex").write_text("precious")
    before = _tree(work)
    _refused(
        _ssbx("run", "tiny.toml", "-o", "mine", "--overwrite", cwd=work),
        "--overwrite: 'mine' is not an ssbx run directory (no .ssbx-run marker)",
    )
    assert _tree(work) == before


def test_overwrite_refuses_the_working_directory(work):
    rundir.write_marker(work, "tiny")  # even one that looks like a run directory
    before = _tree(work)
    _refused(
        _ssbx("run", "tiny.toml", "-o", ".", "--overwrite", cwd=work),
        "-o/output.directory: got '.' (the working directory)",
    )
    assert _tree(work) == before


def test_overwrite_refuses_the_root(work):
    before = _tree(work)
    _refused(
        _ssbx("run", "tiny.toml", "-o", "/", "--overwrite", cwd=work),
        "-o/output.directory: got '/' (the root directory)",
    )
    assert _tree(work) == before


def test_overwrite_refuses_a_symlink_to_a_run_directory(work):
    (work / "run").mkdir()
    rundir.write_marker(work / "run", "tiny")
    (work / "link").symlink_to("run")
    before = _tree(work)
    _refused(
        _ssbx("run", "tiny.toml", "-o", "link", "--overwrite", cwd=work),
        "-o/output.directory: got 'link', a symbolic link (to 'run')",
    )
    assert _tree(work) == before


def test_overwrite_refuses_a_parent_of_the_case_file(work, tmp_path_factory):
    cases = work / "cases"
    cases.mkdir()
    (cases / "tiny.toml").write_text(TINY)
    rundir.write_marker(work, "tiny")  # only the case-directory rule can refuse it
    before = _tree(work)
    elsewhere = tmp_path_factory.mktemp("cwd")
    _refused(
        _ssbx("run", str(cases / "tiny.toml"), "-o", str(work), "--overwrite", cwd=elsewhere),
        "(it holds the case file",
    )
    assert _tree(work) == before


def test_a_second_writer_is_refused(work):
    with rundir.RunLock(work / "run"):
        r = _ssbx("run", "tiny.toml", "-o", "run", cwd=work)
    _refused(r, "-o/output.directory: 'run' is being written by another ssbx run")
    assert not (work / "run").exists()


def test_failing_run_leaves_the_good_run_intact(work):
    good = _ssbx("run", "tiny.toml", "-o", "run", cwd=work)
    assert good.returncode == 0, good.stderr
    summary = (work / "run" / "summary.json").read_bytes()
    assert json.loads(summary)["status"] == "completed"

    bad = _ssbx("run", "failing.toml", "-o", "run", "--overwrite", cwd=work)
    assert bad.returncode == 3, bad.stdout + bad.stderr
    assert "Traceback" not in bad.stdout + bad.stderr
    line = bad.stderr.strip()
    assert "\n" not in line and "Newton did not converge" in line
    assert "the previous run in 'run' is untouched" in line

    assert (work / "run" / "summary.json").read_bytes() == summary
    failed = [p for p in work.iterdir() if p.name.startswith("run.failed-")]
    assert len(failed) == 1 and f"'{failed[0].name}'" in line
    assert json.loads((failed[0] / "summary.json").read_text())["status"] == "failed"
    assert rundir.is_run_dir(failed[0])
    assert not [p.name for p in work.iterdir() if ".ssbx-" in p.name]  # no temporary, no lock


def test_good_run_replaces_a_good_run(work):
    first = _ssbx("run", "tiny.toml", "-o", "run", cwd=work)
    assert first.returncode == 0, first.stderr
    (work / "run" / "stale.txt").write_text("from the first run")

    second = _ssbx("run", "tiny.toml", "-o", "run", "--overwrite", cwd=work)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stderr == ""
    run = work / "run"
    assert rundir.is_run_dir(run)
    assert json.loads((run / rundir.MARKER).read_text())["case"] == "tiny"
    assert json.loads((run / "summary.json").read_text())["status"] == "completed"
    assert not (run / "stale.txt").exists()
    csv = (run / "timeseries.csv").read_bytes()
    assert csv.endswith(b"\n") and len(csv.splitlines()) == 2  # header + one step
    assert sorted(p.name for p in work.iterdir()) == ["failing.toml", "run", "tiny.toml"]


def test_mesh_refuses_the_working_directory(work):
    """``ssbx mesh -o DIR`` replaces DIR: the same path checks apply."""
    before = _tree(work)
    _refused(_ssbx("mesh", "tiny.toml", "-o", ".", cwd=work), "mesh -o: got '.' (the working")
    assert _tree(work) == before
