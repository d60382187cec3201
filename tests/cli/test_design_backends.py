"""``ssbx design`` on the other backends, with the same design file as the local backend:
``--backend slurm`` on a real single-node SLURM (tools/slurm_local.py; skipped with the reason
where SLURM cannot be started): one job array per round of FE runs (``sbatch --wait``), ``--jobs
3``: three runs a round (quadrisection); ``--backend mpi4py`` under ``mpirun -n 3 python -m
mpi4py.futures``: two workers, ``--jobs 2``, two runs a round (trisection).

The tiny case (tests/sweep_helpers.py): a flat bonded bilayer whose mean interface pressure equals
the stack pressure (closed form), so the least stack pressure with mean_pressure >= 3 MPa is
3 MPa: the FE bracket must hold it, with the runs at its ends on both sides.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_sweep_slurm import slurm_env  # noqa: F401  (the fixture)
from tests.sweep_helpers import DESIGN, ROOT, ssbx, write_design

pytestmark = pytest.mark.serial

DESIGN_TOL_03 = DESIGN + "[strategy]\ntolerance = 0.3\n"


@pytest.mark.slurm
def test_design_on_slurm_brackets_the_closed_form(tmp_path, slurm_env):  # noqa: F811
    write_design(tmp_path, DESIGN_TOL_03)
    out = tmp_path / "out"
    r = ssbx("design", "d.toml", "-o", str(out), "--backend", "slurm", "--jobs", "3",
             "--time", "00:10:00", "--mem", "1G", cwd=tmp_path, env=slurm_env,
             timeout=900)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    ans = json.loads((out / "answer.json").read_text())["answers"][0]
    assert ans["status"] == "converged" and ans["direction"] == "minimum"
    lo, hi = ans["bracket"]
    assert lo < 3e6 <= hi and ans["relative_width"] <= 0.3
    # 2 ends, then rounds of 3: ln 8 / ln 1.3 = 7.9 needs two quadrisections (4^2 = 16)
    assert ans["n_runs"] == 2 + 3 * 2
    assert (out / "runs" / "slurm" / "sweep.sbatch").is_file()
    assert r.stdout.count("submitted job array") == 3


def test_design_on_mpi4py_workers_brackets_the_closed_form(tmp_path):
    """Two mpi4py.futures workers run each round's two FE runs in process (one rank each);
    ln 8 / ln 1.3 = 7.9 needs two trisections (3^2 = 9): 2 + 2 x 2 runs. Started from this
    serial test, so the 2-rank MPI run of the suite does not collect it."""
    mpirun = Path(sys.executable).parent / "mpirun"
    if not mpirun.exists():
        pytest.skip("no mpirun next to this Python")
    write_design(tmp_path, DESIGN_TOL_03)
    out = tmp_path / "out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(ROOT), env.get("PYTHONPATH")) if x)
    cmd = [str(mpirun), "-n", "3", sys.executable, "-m", "mpi4py.futures", "-m", "solver.cli",
           "design", "d.toml", "-o", str(out), "--backend", "mpi4py", "--jobs", "2"]  # fmt: skip
    r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    ans = json.loads((out / "answer.json").read_text())["answers"][0]
    lo, hi = ans["bracket"]
    assert ans["status"] == "converged" and lo < 3e6 <= hi and ans["relative_width"] <= 0.3
    assert ans["n_runs"] == 2 + 2 * 2
    workers = {
        json.loads((out / "runs" / "status" / f"{n}.json").read_text())["worker"]
        for n in ans["runs"]
    }
    assert workers <= {1, 2}
