"""``ssbx sweep`` end to end on a tiny case (tests/sweep_helpers.py, a few seconds a run): the
local backend killed midway and resumed, failure isolation and --retry-failed, the
``mpi4py.futures`` backend under ``mpirun -n 3`` and the report.

The physics check of every completed case: the flat bonded bilayer carries the stack pressure
across its interface, so the mean interface pressure equals the swept pressure (closed form).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.sweep_helpers import ROOT, ssbx, write_tiny

pytestmark = pytest.mark.serial


def _grid(tmp_path: Path, pressures=("1 MPa", "2 MPa", "3 MPa"), extra="") -> Path:
    write_tiny(tmp_path)
    vals = ", ".join(f'"{p}"' for p in pressures)
    p = tmp_path / "grid.toml"
    p.write_text(
        '[sweep]\ncase = "tiny.toml"\ndesign = "grid"\nmetrics = ["final_contact_fraction"]\n'
        f'[[parameter]]\nkey = "loading.stack_pressure"\nvalues = [{vals}]\n{extra}'
    )
    return p


def _check_pressures(df: pd.DataFrame) -> None:
    done = df[df["status"] == "completed"]
    assert len(done) > 0
    for _, row in done.iterrows():
        assert row["final.mean_pressure"] == pytest.approx(row["loading.stack_pressure"], rel=1e-6)


E_GRID = '[[parameter]]\nkey = "materials.electrolyte.E"\nvalues = ["100 GPa", "200 GPa"]\n'


def test_killed_sweep_resumes_only_the_missing_cases(tmp_path):
    """A 2 x 2 grid (stack pressure x electrolyte modulus) killed after its first case, rerun:
    only the 3 missing cases run; then the report (table, plots, heat map)."""
    sweep = _grid(tmp_path, pressures=("1 MPa", "3 MPa"), extra=E_GRID)
    out = tmp_path / "out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(ROOT), env.get("PYTHONPATH")) if x)
    proc = subprocess.Popen(
        [sys.executable, "-m", "solver.cli", "sweep", str(sweep), "-o", str(out), "-j", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    first = out / "status" / "case-0000.json"
    t_end = time.monotonic() + 240
    while not first.exists() and time.monotonic() < t_end and proc.poll() is None:
        time.sleep(0.2)
    assert first.exists(), proc.communicate()
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and the case running now
    proc.wait()
    summary0 = (out / "cases" / "case-0000" / "summary.json").read_text()
    assert json.loads(first.read_text())["status"] == "completed"
    assert not (out / "results.csv").exists()  # killed before the end
    r = ssbx("sweep", str(sweep), "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "4 cases, 3 to run, 1 done or failed before" in r.stdout
    assert "case-0000" not in r.stdout  # not run again ...
    assert (out / "cases" / "case-0000" / "summary.json").read_text() == summary0  # ... untouched
    log0 = (out / "logs" / "case-0000.log").read_text()
    assert log0.count("$ ") == 1
    df = pd.read_csv(out / "results.csv")
    assert list(df["status"]) == ["completed"] * 4
    _check_pressures(df)
    assert df["loading.stack_pressure"].tolist() == pytest.approx([1e6, 1e6, 3e6, 3e6])
    assert df["materials.electrolyte.E"].tolist() == pytest.approx([100e9, 200e9] * 2)
    # a stiffer electrolyte compresses less under the same pressure
    for p in (1e6, 3e6):
        d = df[df["loading.stack_pressure"] == p].set_index("materials.electrolyte.E")
        top = d["final.top_displacement"]
        assert abs(top.loc[200e9]) < abs(top.loc[100e9])
    r = ssbx("sweep", "report", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(pd.read_parquet(out / "results.parquet")) == 4
    assert (out / "report" / "final_contact_fraction.png").is_file()
    assert (out / "report" / "heatmap_final_contact_fraction.png").is_file()
    # a third run has nothing to do
    r = ssbx("sweep", str(sweep), "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0 and "0 to run" in r.stdout
    # another sweep into the same directory is refused (one line, exit 2)
    other = _grid(tmp_path, pressures=("4 MPa",))
    r = ssbx("sweep", str(other), "-o", str(out), cwd=tmp_path)
    assert r.returncode == 2 and "holds another sweep" in r.stderr


def test_failing_cases_are_recorded_and_never_stop_the_sweep(tmp_path):
    write_tiny(tmp_path)
    sweep = tmp_path / "list.toml"
    sweep.write_text(
        '[sweep]\ncase = "tiny.toml"\ndesign = "list"\n'
        # Newton needs 3 iterations here: with 1 and no cut-back the solve fails (exit 3)
        '[[case]]\nname = "diverges"\n"solver.max_newton_iterations" = 1\n'
        '"solver.max_cuts" = 0\n'
        '[[case]]\nname = "negative"\n"loading.stack_pressure" = "-1 MPa"\n'  # refused (exit 2)
        '[[case]]\nname = "fine"\n"loading.stack_pressure" = "2.5 MPa"\n'
    )
    out = tmp_path / "out"
    r = ssbx("sweep", str(sweep), "-o", str(out), "-j", "2", cwd=tmp_path)
    assert r.returncode == 1, r.stderr  # some cases failed
    df = pd.read_csv(out / "results.csv").set_index("case")
    assert df.loc["fine", "status"] == "completed"
    assert df.loc["fine", "final.mean_pressure"] == pytest.approx(2.5e6, rel=1e-6)
    assert df.loc["diverges", "status"] == "failed" and df.loc["diverges", "exit_code"] == 3
    assert "Newton did not converge" in df.loc["diverges", "reason"]
    assert df.loc["negative", "status"] == "failed" and df.loc["negative", "exit_code"] == 2
    assert "loading.stack_pressure: got '-1 MPa'" in df.loc["negative", "reason"]
    assert not (out / "cases" / "negative").exists()  # refused on load: never started
    # rerun: failed cases are skipped ...
    r = ssbx("sweep", str(sweep), "-o", str(out), cwd=tmp_path)
    assert "0 to run" in r.stdout
    assert (out / "logs" / "diverges.log").read_text().count("$ ") == 1
    # ... unless --retry-failed (the case that could run is run again, into its run directory)
    r = ssbx("sweep", str(sweep), "-o", str(out), "--retry-failed", cwd=tmp_path)
    assert "1 to run" in r.stdout and "diverges: failed" in r.stdout
    assert (out / "logs" / "diverges.log").read_text().count("--overwrite") == 1
    # the report: table and one plot per metric against each parameter
    r = ssbx("sweep", "report", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1 completed" in r.stdout and "2 failed" in r.stdout
    assert pd.read_parquet(out / "results.parquet").shape[0] == 3


def test_mpi4py_futures_backend_under_mpirun_3(tmp_path):
    """Two workers (ranks 1, 2) of ``mpirun -n 3 python -m mpi4py.futures`` run the cases in
    process (one rank each); started from this serial test, so the 2-rank MPI run of the suite
    does not collect it."""
    mpirun = Path(sys.executable).parent / "mpirun"
    if not mpirun.exists():
        pytest.skip("no mpirun next to this Python")
    sweep = _grid(tmp_path, pressures=("1 MPa", "4 MPa"))
    out = tmp_path / "out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(ROOT), env.get("PYTHONPATH")) if x)
    r = subprocess.run(
        [
            str(mpirun),
            "-n",
            "3",
            sys.executable,
            "-m",
            "mpi4py.futures",
            "-m",
            "solver.cli",
            "sweep",
            str(sweep),
            "-o",
            str(out),
            "--backend",
            "mpi4py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    df = pd.read_csv(out / "results.csv")
    assert list(df["status"]) == ["completed"] * 2
    _check_pressures(df)
    workers = {json.loads((out / "status" / f"{n}.json").read_text())["worker"] for n in df["case"]}
    assert workers <= {1, 2}
    # without workers the backend is refused with one line
    r = ssbx("sweep", str(sweep), "-o", str(tmp_path / "o2"), "--backend", "mpi4py", cwd=tmp_path)
    assert r.returncode == 2 and "--backend mpi4py: no workers" in r.stderr


def test_case_time_limit_stops_with_a_checkpoint_and_the_rerun_resumes(tmp_path):
    """``--case-max-time``: each case stops after its first step with a checkpoint (ssbx run
    --max-time, exit 75, recorded "stopped", the sweep exits 1); the rerun continues each case
    from its checkpoint (ssbx run --resume) to the end, and the resumed time series equals an
    uninterrupted run's (bit for bit: same ranks, state restored exactly)."""
    fixed = '[sweep.set]\n"loading.protocol[0].n_steps" = 3\n"output.checkpoint_every" = 1\n'
    sweep = tmp_path / "grid.toml"
    write_tiny(tmp_path)
    sweep.write_text(
        '[sweep]\ncase = "tiny.toml"\ndesign = "grid"\nmetrics = ["final_contact_fraction"]\n'
        f'{fixed}[[parameter]]\nkey = "loading.stack_pressure"\nvalues = ["1 MPa", "3 MPa"]\n'
    )
    out, ref = tmp_path / "out", tmp_path / "ref"
    r = ssbx("sweep", str(sweep), "-o", str(out), "--case-max-time", "0.001", cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    for name in ("case-0000", "case-0001"):
        rec = json.loads((out / "status" / f"{name}.json").read_text())
        assert rec["status"] == "stopped" and rec["exit_code"] == 75, rec
    r = ssbx("sweep", str(sweep), "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 cases, 2 to run" in r.stdout
    r = ssbx("sweep", str(sweep), "-o", str(ref), cwd=tmp_path)  # uninterrupted
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("case-0000", "case-0001"):
        assert "--resume" in (out / "logs" / f"{name}.log").read_text()
        a = pd.read_csv(out / "cases" / name / "timeseries.csv").drop(columns="wall_time [s]")
        b = pd.read_csv(ref / "cases" / name / "timeseries.csv").drop(columns="wall_time [s]")
        assert len(a) == 3
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    _check_pressures(pd.read_csv(out / "results.csv"))
