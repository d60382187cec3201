"""Runs that lose nothing: kill -9 at a random step, then ``ssbx run --resume``; ``--max-time``;
a full disk; two concurrent writers (solver/checkpoint.py, solver/api.py).

The reference is the same case run uninterrupted by the same code: a continuation from a
checkpoint must reproduce it — to 1e-12 of each column's scale on the same number of ranks (the
state is restored bit for bit, the same operations follow), to the solver tolerance on another
number of ranks (the partition changes the round-off of the assembly; 1e-8 of the column scale,
the per-field Newton update tolerances being 1e-12 of the fields' scales). The case: a 2D
bilayer of 142 cells with mechanics, potentials and Li transport (every kind of state: the
displacements, the interface history, the potentials, the concentration and its previous step,
the cell voltage, the accumulated charge and energies), 8 current steps, a checkpoint after every
step (``output.checkpoint_every = 1``).
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.serial

CASE = """
[geometry]
family = "bilayer"
dim = 2
W = "10 um"
t_e = "10 um"
t_s = "20 um"
h_max = "5 um"
[materials]
electrode = {preset = "NMC811", c_init = "30000 mol/m^3", c_ref = "30000 mol/m^3"}
electrolyte = "LLZO"
[interface]
kinetics = "linear"
R_ct = "10 Ohm cm^2"
microcontact = "none"
[physics]
mechanics = true
electrochemistry = true
transport = true
[loading]
stack_pressure = "2 MPa"
current_density = "1 mA/cm^2"
protocol = [{kind = "current", duration = "8 s", n_steps = 8}]
[output]
fields = true
preview = false
checkpoint_every = 1
"""
N_STEPS = 8
MPIRUN = Path(sys.executable).with_name("mpirun")
SAME_RANKS = 1e-12
OTHER_RANKS = 1e-8


def _env() -> dict:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "OMP_NUM_THREADS": "1",
    }


def _cmd(*args: str, ranks: int = 1) -> list[str]:
    base = [sys.executable, "-m", "solver.cli", *args]
    return [str(MPIRUN), "-n", str(ranks), *base] if ranks > 1 else base


def _ssbx(*args: str, cwd: Path, ranks: int = 1) -> subprocess.CompletedProcess:
    return subprocess.run(
        _cmd(*args, ranks=ranks),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(),
        timeout=600,
        check=False,
    )


def _rows(run: Path) -> list[dict]:
    from solver.metrics import read_timeseries

    return read_timeseries(run / "timeseries.csv")


def _worst(a: Path, b: Path) -> tuple[float, str]:
    """Largest difference of the physics columns of two runs' time series, relative to each
    column's largest magnitude (the wall time, iteration counts and round-off-level balance
    errors left out)."""
    ra, rb = _rows(a), _rows(b)
    assert len(ra) == len(rb) == N_STEPS, (len(ra), len(rb))
    worst, where = 0.0, ""
    for key in ra[0]:
        if key in ("wall_time", "newton_iterations", "krylov_iterations") or key.endswith("_error"):
            continue
        xs, ys = [r[key] for r in ra], [r[key] for r in rb]
        if not all(isinstance(x, float) for x in xs):
            assert xs == ys, key
            continue
        scale = max((abs(x) for x in xs if not math.isnan(x)), default=0.0) or 1e-300
        for x, y in zip(xs, ys):
            if math.isnan(x):
                assert math.isnan(y), key
                continue
            if abs(x - y) / scale > worst:
                worst, where = abs(x - y) / scale, key
    return worst, where


def _one_line(r: subprocess.CompletedProcess, code: int, fragment: str) -> str:
    out = r.stdout + r.stderr
    assert r.returncode == code, out
    assert "Traceback" not in out
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert fragment in lines[0], lines[0]
    return lines[0]


def _kill_at_random_step(args: list[str], cwd: Path, run: Path, seed: int) -> int:
    """Start ``ssbx run``, kill -9 its process group as soon as the time series holds k rows
    (k random in 2..N-1: at least one checkpoint exists); return k."""
    k = random.Random(seed).randint(2, N_STEPS - 1)
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    csv = run / "timeseries.csv"
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 300:
            if proc.poll() is not None:
                pytest.fail(f"the run ended (code {proc.returncode}) before it was killed")
            try:
                n = len(csv.read_text().splitlines()) - 1
            except OSError:
                n = 0
            if n >= k:
                break
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return k


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """The case file and the uninterrupted serial reference run."""
    work = tmp_path_factory.mktemp("restart")
    (work / "case.toml").write_text(CASE)
    r = _ssbx("run", "case.toml", "-o", "ref1", cwd=work)
    assert r.returncode == 0, r.stdout + r.stderr
    return work


def test_kill9_at_a_random_step_then_resume_equals_the_uninterrupted_run(work):
    run = work / "killed1"
    seed = int(time.time())
    k = _kill_at_random_step(_cmd("run", "case.toml", "-o", str(run)), work, run, seed)
    assert not (run / "summary.json").exists(), f"killed after {k} steps (seed {seed})"
    ckpt = json.loads(_meta(run))
    assert ckpt["position"]["step"] in (k - 1, k, k + 1)  # the kill races the checkpoint
    r = _ssbx("run", "--resume", str(run), cwd=work)
    assert r.returncode == 0, r.stdout + r.stderr
    worst, col = _worst(work / "ref1", run)
    assert worst <= SAME_RANKS, f"{col}: {worst:.3g} (killed after {k} steps, seed {seed})"
    s = json.loads((run / "summary.json").read_text())
    assert s["status"] == "completed" and s["steps"] == N_STEPS
    assert s["resumed"][0]["from_step"] == ckpt["position"]["step"]
    _fields_continue(work / "ref1", run)


def _fields_continue(ref: Path, run: Path) -> None:
    """The resumed run's field indices list the same output times as the uninterrupted run's,
    each file readable, with the same arrays and values (to 1e-10 of each array's scale)."""
    import meshio

    from solver.fieldio import read_pvd

    assert not list(run.glob("fields.until-resume-*"))
    for index in sorted((ref / "fields").glob("*.pvd")):
        a, b = read_pvd(index), read_pvd(run / "fields" / index.name)
        assert [t for t, _ in b] == [t for t, _ in a], index.name
        assert len({p for _, p in b}) == len(b)
        for (_, pa), (_, pb) in zip(a, b):
            ma, mb = meshio.read(pa), meshio.read(pb)
            assert set(mb.point_data) == set(ma.point_data), pb
            for name, va in ma.point_data.items():
                scale = float(abs(va).max()) or 1.0
                assert abs(mb.point_data[name] - va).max() <= 1e-10 * scale, (pb, name)
        stray = {p.name for p in (run / "fields" / index.stem).glob("*.vtu")}
        assert stray == {p.name for _, p in b}, index.name  # no file beyond the index


def _meta(run: Path) -> str:
    from solver import checkpoint

    return json.dumps(checkpoint.read_meta(checkpoint.path_of(run))["meta"])


@pytest.mark.slow
@pytest.mark.skipif(not MPIRUN.exists(), reason="no mpirun beside the interpreter")
def test_kill9_under_mpirun_then_resume_on_2_and_on_1_rank(work):
    r = _ssbx("run", "case.toml", "-o", "ref2", cwd=work, ranks=2)  # the 2-rank reference
    assert r.returncode == 0, r.stdout + r.stderr
    run = work / "killed2"
    seed = int(time.time()) + 1
    k = _kill_at_random_step(_cmd("run", "case.toml", "-o", str(run), ranks=2), work, run, seed)
    other = work / "killed2_on1"
    shutil.copytree(run, other, symlinks=True)
    (other.parent / f".{other.name}.ssbx-lock").unlink(missing_ok=True)
    r = _ssbx("run", "--resume", str(run), cwd=work, ranks=2)
    assert r.returncode == 0, r.stdout + r.stderr
    worst, col = _worst(work / "ref2", run)
    assert worst <= SAME_RANKS, f"2 -> 2 ranks, {col}: {worst:.3g} (k = {k}, seed {seed})"
    r = _ssbx("run", "--resume", str(other), cwd=work)
    assert r.returncode == 0, r.stdout + r.stderr
    worst, col = _worst(work / "ref1", other)
    assert worst <= OTHER_RANKS, f"2 -> 1 rank, {col}: {worst:.3g} (k = {k}, seed {seed})"
    s = json.loads((other / "summary.json").read_text())
    assert s["resumed"][0]["checkpoint_mpi_size"] == 2 and s["resumed"][0]["mpi_size"] == 1


@pytest.mark.skipif(not MPIRUN.exists(), reason="no mpirun beside the interpreter")
def test_max_time_checkpoints_exits_75_and_resumes_on_2_ranks(work):
    """--max-time 1s: the imports alone take longer, so the run stops after its first step
    (the first step is always taken), with exit code 75 and one line; resumed on 2 ranks it
    ends where the serial reference ends, to the solver tolerance."""
    run = work / "limited"
    r = _ssbx("run", "case.toml", "-o", str(run), "--max-time", "1s", cwd=work)
    line = _one_line(r, 75, "--max-time: stopped after step 1")
    assert line.startswith("ssbx: stopped: ") and f"--resume {run}" in line
    s = json.loads((run / "summary.json").read_text())
    assert s["status"] == "time_limit" and s["checkpoint"]["last_step"] == 1
    assert len(_rows(run)) == 1
    r = _ssbx("run", "--resume", str(run), cwd=work, ranks=2)
    assert r.returncode == 0, r.stdout + r.stderr
    worst, col = _worst(work / "ref1", run)
    assert worst <= OTHER_RANKS, f"1 -> 2 ranks, {col}: {worst:.3g}"
    assert json.loads((run / "summary.json").read_text())["status"] == "completed"


def _main_one_line(capsys, args: list[str], code: int, fragment: str) -> str:
    """``ssbx`` in this process (the refusals come before any import of DOLFINx work)."""
    from solver import cli

    assert cli.main(args) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ssbx: error: "), captured.err
    assert fragment in lines[0], lines[0]
    return lines[0]


def test_resume_refusals(work, monkeypatch, capsys):
    """No run directory, no checkpoint, a completed run, another case, -o with --resume, a bad
    --max-time: exit 2, one line, nothing written."""
    from solver import rundir

    monkeypatch.chdir(work)
    (work / "plain").mkdir(exist_ok=True)
    _main_one_line(capsys, ["run", "--resume", "plain"], 2, "is not an ssbx run directory")
    nock = work / "nock"
    nock.mkdir(exist_ok=True)
    rundir.write_marker(nock, "case")
    before = sorted(p.name for p in nock.iterdir())
    _main_one_line(capsys, ["run", "--resume", "nock"], 2, "has no checkpoint")
    assert sorted(p.name for p in nock.iterdir()) == before
    _main_one_line(capsys, ["run", "--resume", "ref1"], 2, "has completed")
    stopped = work / "stopped"
    shutil.copytree(work / "ref1", stopped)
    (stopped / "summary.json").unlink()
    (work / "other.toml").write_text(CASE.replace('"8 s"', '"9 s"'))
    _main_one_line(capsys, ["run", "other.toml", "--resume", "stopped"], 2, "differs from the one")
    _main_one_line(capsys, ["run", "--resume", "stopped", "-o", "y"], 2, "--resume: got -o")
    for bad in ("-1 h", "soon", "0"):
        _main_one_line(capsys, ["run", "case.toml", "-o", "x", "--max-time", bad], 2, bad)
    assert not (work / "x").exists() and not (work / "y").exists()
    assert sorted(p.name for p in stopped.iterdir()) == sorted(
        p.name for p in (work / "ref1").iterdir() if p.name != "summary.json"
    )


def test_two_concurrent_writers_one_is_refused(work, monkeypatch, capsys):
    """A second ``ssbx run`` (also with --overwrite, also --resume) into a directory that a
    running one is writing is refused with one line; the first completes untouched."""
    run = work / "busy"
    first = subprocess.Popen(
        _cmd("run", "case.toml", "-o", str(run)),
        cwd=work,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = work / ".busy.ssbx-lock"
    t0 = time.monotonic()
    while not lock.exists() and time.monotonic() - t0 < 120 and first.poll() is None:
        time.sleep(0.01)
    assert lock.exists(), "the first run never took the lock"
    monkeypatch.chdir(work)
    for extra in ((), ("--overwrite",)):
        _main_one_line(
            capsys,
            ["run", "case.toml", "-o", str(run), *extra],
            2,
            "is being written by another ssbx run",
        )
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert json.loads((run / "summary.json").read_text())["status"] == "completed"
    assert _worst(work / "ref1", run)[0] <= SAME_RANKS


def test_disk_full_injected_exit_74_one_line_last_step_kept(work, monkeypatch, capsys):
    """ENOSPC injected into the time-series write of step 4: exit 74, one line ``ssbx: error:
    disk full ...``, the rows and the checkpoint of step 3 kept; after space is freed the run
    resumes and ends where the reference ends."""
    import errno

    from solver import cli
    from solver.metrics import CsvWriter

    real = CsvWriter.write
    calls = {"n": 0}

    def full(self, row):
        calls["n"] += 1
        if row.get("step") == 4:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, row)

    monkeypatch.setattr(CsvWriter, "write", full)
    monkeypatch.chdir(work)
    code = cli.main(["run", "case.toml", "-o", "full"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 74
    assert len(err) == 1 and err[0].startswith("ssbx: error: disk full"), err
    assert len(_rows(work / "full")) == 3
    assert json.loads(_meta(work / "full"))["position"]["step"] == 3
    monkeypatch.setattr(CsvWriter, "write", real)
    assert cli.main(["run", "--resume", "full"]) == 0
    assert _worst(work / "ref1", work / "full")[0] <= SAME_RANKS


def test_disk_full_on_a_small_tmpfs(tmp_path):
    """A real full disk (a tmpfs too small for the run's fields; needs mount, i.e. root): exit
    74, one line, no abort, the time series whole lines only."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root); the injected ENOSPC test covers it")
    try:
        (tmp_path / "case.toml").write_text(CASE)
        r = _ssbx("run", "case.toml", "-o", str(mnt / "run"), cwd=tmp_path)
        line = _one_line(r, 74, "stopped with step")
        assert line.startswith("ssbx: error: disk full")
        csv = (mnt / "run" / "timeseries.csv").read_bytes()
        assert csv.endswith(b"\n") and len(csv.splitlines()) >= 2  # the header and step 1
        from solver import checkpoint

        assert checkpoint.read_meta(checkpoint.path_of(mnt / "run"))["meta"]["position"]["step"]
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def _cut_after_one_step_and_resume(tmp_path: Path, case: str) -> tuple[list, list]:
    """Run ``case`` uninterrupted (ref/) and stopped by ``--max-time`` after its first step then
    resumed (cut/); return the two time series."""
    (tmp_path / "case.toml").write_text(case)
    r = _ssbx("run", "case.toml", "-o", "ref", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    r = _ssbx("run", "case.toml", "-o", "cut", "--max-time", "0.001", cwd=tmp_path)
    assert r.returncode == 75, r.stdout + r.stderr
    assert json.loads(_meta(tmp_path / "cut"))["position"]["step"] == 1
    r = _ssbx("run", "--resume", "cut", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    ra, rb = _rows(tmp_path / "ref"), _rows(tmp_path / "cut")
    return ra, rb


INTERNAL_CASE = """
[geometry]
family = "bilayer"
dim = 2
W = "10 um"
t_e = "5 um"
t_s = "10 um"
h_max = "5 um"

[materials]
electrode = "Li"
electrolyte = "LLZO"

[loading]
stack_pressure = "2 MPa"
protocol = [{kind = "hold", duration = "200 s", n_steps = 1},
            {kind = "hold", duration = "800 s", n_steps = 3}]

[physics]
mechanics = true
inelastic = true
ageing = true

[ageing]
sei_D = 1e-17
sei_E = "10 GPa"
rtol = 0.5

[output]
fields = true
preview = false
checkpoint_every = 1
"""


def test_resume_restores_creep_and_interphase_state(tmp_path):
    """The internal variables that physics modules add are part of the checkpoint: a Li layer
    creeping under the stack pressure (Norton creep strains at the quadrature points,
    physics.inelastic) with an interphase growing on Γ_int (physics.ageing), stopped by
    ``--max-time`` after its first step (200 s of creep and growth) and resumed, ends bit for
    bit where the uninterrupted run ends (displacement, interphase thickness and pressure)."""
    ra, rb = _cut_after_one_step_and_resume(tmp_path, INTERNAL_CASE)
    assert len(ra) == len(rb) >= 4
    for key in ("top_displacement", "interphase_thickness_max", "interphase_pressure_min"):
        assert [x[key] for x in rb] == [x[key] for x in ra], key
    assert ra[-1]["top_displacement"] < ra[0]["top_displacement"] < 0  # the Li crept
    assert ra[-1]["interphase_thickness_max"] > 2 * ra[0]["interphase_thickness_max"] > 0
    _fields_continue(tmp_path / "ref", tmp_path / "cut")


LI_METAL_CASE = """
[geometry]
family = "bilayer"
dim = 2
W = "10 um"
t_e = "10 um"
t_s = "10 um"

[materials]
electrode = "Li"
electrolyte = "LLZO"

[interface]
kinetics = "linear"
R_ct = "10 Ohm cm^2"

[loading]
stack_pressure = "1 MPa"
current_density = "1 mA/cm^2"
protocol = [{kind = "current", duration = "30 s", n_steps = 3},
            {kind = "current", duration = "30 s", n_steps = 3, current_density = "-1 mA/cm^2"}]

[physics]
mechanics = true
electrochemistry = true

[output]
fields = false
checkpoint_every = 1
"""


def test_resume_restores_the_li_inventory_and_voids(tmp_path):
    """A Li-metal strip/plate cycle stopped by ``--max-time`` after its first step (a stripping
    step accepted: its increment of the stripped thickness still pending) and
    resumed ends bit for bit where the uninterrupted run ends: the three Li inventories (the
    stripped thickness s, the collector and the reaction charge), the voids and the platen."""
    ra, rb = _cut_after_one_step_and_resume(tmp_path, LI_METAL_CASE)
    assert len(ra) == len(rb) == 6
    keys = ("li_inventory", "li_inventory_charge", "li_inventory_reaction", "void_volume")
    for key in (*keys, "top_displacement"):
        assert [x[key] for x in rb] == [x[key] for x in ra], key
    assert ra[2]["li_inventory"] < ra[0]["li_inventory"] < ra[-1]["li_inventory"] * (1 + 1e-12)


PATH_CASE = """
[geometry]
family = "bilayer"
dim = 2
W = "10 um"
t_e = "5 um"
t_s = "10 um"
h_max = "2.5 um"

[materials]
electrode = "NMC811"
electrolyte = "LLZO"

[loading]
bottom = "clamped"
lateral = "free"
stack_pressure = 0.0
boundary = [{face = "top", uy = "40 nm"}]
protocol = [{kind = "hold", duration = "1 s", n_steps = 4, load_factor = 1.0}]

[physics]
mechanics = true

[solver]
path_following = "dissipation"

[output]
fields = false
checkpoint_every = 1
"""


def test_resume_follows_the_same_path(tmp_path):
    """solver.path_following: the state of the dissipation control (on after the first step,
    its increment, the predictor's history) and the external work of the [[loading.boundary]]
    loads are part of the checkpoint: stopped after the first step and resumed, the run
    follows the same path bit for bit (load factor, reaction, work, dissipation). With
    ``interface.viscosity`` (10 µs): the viscous dissipation (10.1a) of a step starts from the
    last accepted displacements, which the checkpoint holds, so it resumes bit for bit too."""
    case = PATH_CASE.replace("[physics]", '[interface]\nviscosity = "10 us"\n\n[physics]')
    ra, rb = _cut_after_one_step_and_resume(tmp_path, case)
    assert len(ra) == len(rb) >= 6
    assert ra[-1]["viscous_dissipation"] > 0.0
    keys = ("load_factor", "reaction_force", "external_work", "cohesive_dissipation")
    for key in (*keys, "viscous_dissipation"):
        assert [x[key] for x in rb] == [x[key] for x in ra], key
    lam = [x["load_factor"] for x in ra]
    assert any(abs(v * 16 - round(v * 16)) > 1e-6 for v in lam)  # not the nominal increments
