"""``ssbx sweep --backend slurm`` on a real single-node SLURM (Debian's slurm-wlm + munge,
started by tools/slurm_local.py; installed with apt-get when missing and this runs as root).
Skipped, with the reason, where SLURM cannot be started (not root, no packages, no daemons).

A 6-case array (3 pressures x 2 electrolyte moduli of the tiny case) is submitted and waited
for; the aggregated table must hold the 6 cases, completed, each carrying its stack pressure
across the flat bonded interface (closed form: mean interface pressure = stack pressure).
"""

from __future__ import annotations

import importlib.util
import json

import pandas as pd
import pytest

from tests.sweep_helpers import ROOT, ssbx, write_tiny

pytestmark = [pytest.mark.serial, pytest.mark.slurm]


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("slurm_local", ROOT / "tools" / "slurm_local.py")
    sl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sl)
    folder = tmp_path_factory.mktemp("slurm")
    try:
        env = sl.start(folder, install_missing=True)
    except sl.Unavailable as e:
        print(f"SLURM cannot be started: {e}")
        pytest.skip(f"SLURM cannot be started: {e}")
    yield env
    sl.stop(folder)


def test_slurm_array_of_six_cases(tmp_path, slurm_env):
    write_tiny(tmp_path)
    sweep = tmp_path / "grid.toml"
    sweep.write_text(
        '[sweep]\ncase = "tiny.toml"\ndesign = "grid"\n'
        '[[parameter]]\nkey = "loading.stack_pressure"\nvalues = ["1 MPa", "2 MPa", "3 MPa"]\n'
        '[[parameter]]\nkey = "materials.electrolyte.E"\nvalues = ["100 GPa", "200 GPa"]\n'
    )
    out = tmp_path / "out"
    r = ssbx(
        "sweep",
        str(sweep),
        "-o",
        str(out),
        "--backend",
        "slurm",
        "--wait",
        "--time",
        "00:10:00",
        "--mem",
        "1G",
        cwd=tmp_path,
        env=slurm_env,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "submitted job array" in r.stdout
    script = (out / "slurm" / "sweep.sbatch").read_text()
    assert "#SBATCH --array=0-5" in script and "#SBATCH --ntasks=1" in script
    df = pd.read_csv(out / "results.csv")
    assert len(df) == 6 and (df["status"] == "completed").all()
    for _, row in df.iterrows():
        assert row["final.mean_pressure"] == pytest.approx(row["loading.stack_pressure"], rel=1e-6)
        rec = json.loads((out / "status" / f"{row['case']}.json").read_text())
        assert rec["backend"] == "slurm" and rec["exit_code"] == 0
    assert len(list((out / "logs").glob("slurm-*_*.out"))) == 6
    # resubmitting has nothing to run: no new array
    r = ssbx("sweep", str(sweep), "-o", str(out), "--backend", "slurm", cwd=tmp_path, env=slurm_env)
    assert r.returncode == 0 and "0 to run" in r.stdout and "submitted" not in r.stdout
