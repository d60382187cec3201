"""``ssbx design --backend slurm`` on a real single-node SLURM (tools/slurm_local.py; skipped with
the reason where SLURM cannot be started): the same design file as the local backend, one job
array per round of FE runs (``sbatch --wait``), ``--jobs 3``: three runs a round (trisection).

The tiny case (tests/sweep_helpers.py): a flat bonded bilayer whose mean interface pressure equals
the stack pressure (closed form), so the least stack pressure with mean_pressure >= 3 MPa is
3 MPa: the FE bracket must hold it, with the runs at its ends on both sides.
"""

from __future__ import annotations

import json

import pytest

from tests.cli.test_sweep_slurm import slurm_env  # noqa: F401  (the fixture)
from tests.sweep_helpers import ssbx, write_tiny

pytestmark = [pytest.mark.serial, pytest.mark.slurm]

DESIGN = """[design]
case = "tiny.toml"
[[variable]]
key = "loading.stack_pressure"
bounds = ["1 MPa", "8 MPa"]
[objective]
metric = "mean_pressure"
op = ">="
value = "3 MPa"
[strategy]
tolerance = 0.3
"""


def test_design_on_slurm_brackets_the_closed_form(tmp_path, slurm_env):  # noqa: F811
    write_tiny(tmp_path)
    (tmp_path / "d.toml").write_text(DESIGN)
    out = tmp_path / "out"
    r = ssbx("design", "d.toml", "-o", str(out), "--backend", "slurm", "--jobs", "3",
             "--time", "00:10:00", "--mem", "1G", cwd=tmp_path, env=slurm_env,
             timeout=900)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    ans = json.loads((out / "answer.json").read_text())["answers"][0]
    assert ans["status"] == "converged" and ans["direction"] == "minimum"
    lo, hi = ans["bracket"]
    assert lo < 3e6 <= hi and ans["relative_width"] <= 0.3
    # 2 ends, then rounds of 3: ln 8 / ln 1.3 = 7.9 needs two trisections (4^2 = 16)
    assert ans["n_runs"] == 2 + 3 * 2
    assert (out / "runs" / "slurm" / "sweep.sbatch").is_file()
    assert r.stdout.count("submitted job array") == 3
