"""A displacement-driven snap-back stops at the step floor (issue 15, item 4).

A flat 2D bilayer with a 1 mm thick electrolyte pulled open by its platen: the bulk stores more
elastic energy than the cohesive law's softening branch can take (the bulk compliance L/E =
1e-3 m / 150 GPa exceeds the softening compliance (δ_f − δ_0)/σ_c of the NMC811|LLZO law),
so past the peak there is no quasi-static state at a larger platen displacement: a snap-back.
Before the floors the increment was halved without bound (measured on this case: 7e-15 of the
segment after 17 accepted steps of vanishing progress). With the default floors the run stops
with exit code 3 and one line naming ``solver.min_step``, the last converged state written,
within a bounded number of steps.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest

from tests.sweep_helpers import ssbx

pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]

SNAP = """
[case]
name = "snap"
[geometry]
family = "bilayer"
dim = 2
W = "10 um"
t_e = "5 um"
t_s = "1000 um"
h_max = "100 um"
h_interface = "2.5 um"
[materials]
electrode = "NMC811"
electrolyte = "LLZO"
[loading]
pressure_mode = "displacement"
[[loading.protocol]]
kind = "hold"
duration = "1 s"
n_steps = 2
displacement = "2000 nm"
[physics]
mechanics = true
[output]
fields = false
preview = false
"""


def test_snap_back_stops_at_the_step_floor(tmp_path):
    (tmp_path / "snap.toml").write_text(SNAP)
    t0 = time.perf_counter()
    p = ssbx("run", "snap.toml", "-o", "out", cwd=tmp_path)
    wall = time.perf_counter() - t0
    assert p.returncode == 3, p.stderr
    errors = [ln for ln in p.stderr.splitlines() if ln.startswith("ssbx: error:")]
    assert len(errors) == 1 and "solver.min_step = 1e-06" in errors[0], p.stderr
    assert "Traceback" not in p.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "failed"
    rows = (tmp_path / "out" / "timeseries.csv").read_text().splitlines()[1:]
    # the floor bounds the attempts: at most ~2 per halving level down to 1e-6 of a step
    n_levels = math.ceil(math.log2(1e6))
    assert 1 <= len(rows) <= 2 * n_levels
    assert wall < 120
