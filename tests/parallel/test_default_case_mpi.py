"""The default case gives the same metrics on 2 ranks as on 1 (relative 1e-6), and only rank 0
writes the run directory's text files; the run shows what the comment of cases/default.toml
says (bonded ASR, decohesion during the cycle, the final ASR), on either rank count."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from solver.metrics import ROUNDOFF_FLOORS
from tests.conftest import ROOT, serial_reference

pytestmark = pytest.mark.mpi

# columns that depend on timing or on the linear solver's iteration counts, not on the physics
SKIP = {"wall_time", "krylov_iterations", "newton_iterations", "step_cuts"}
# round-off floors of the columns (absolute, measured on this case)
FLOORS = ROUNDOFF_FLOORS


def _read(path):
    from solver.metrics import read_timeseries

    return read_timeseries(path)


def _serial(path):
    from solver import api

    api.run(ROOT / "cases" / "default.toml", path, comm=MPI.COMM_SELF)


@serial_reference("default_case", _serial)
def test_default_case_same_metrics_on_1_and_2_ranks(shared_tmp, serial_ref):
    from solver import api

    world = MPI.COMM_WORLD
    case = ROOT / "cases" / "default.toml"
    par = shared_tmp / "np2"
    api.run(case, par, comm=world)
    ser = serial_ref
    world.barrier()
    if world.rank != 0:
        return
    a, b = _read(ser / "timeseries.csv"), _read(par / "timeseries.csv")
    assert len(a) == len(b) > 0
    for ra, rb in zip(a, b):
        for col in ra:
            if col in SKIP:
                continue
            va, vb = float(ra[col]), float(rb[col])
            if np.isnan(va) or np.isnan(vb):  # e.g. the ASR at zero current
                assert np.isnan(va) and np.isnan(vb), (col, ra["step"], va, vb)
                continue
            scale = max(abs(va), abs(vb))
            # values at round-off level compare absolutely: closed gaps (1e-14 m), balance
            # errors (1e-13), an undamaged interface
            floor = FLOORS.get(col, 1e-300)
            assert abs(va - vb) <= max(1e-6 * scale, floor), (col, ra["step"], va, vb)
    import json

    sa = json.loads((ser / "summary.json").read_text())
    sb = json.loads((par / "summary.json").read_text())
    assert sb["mpi_size"] == world.size and sa["mpi_size"] == 1
    assert np.isclose(sa["final_contact_fraction"], sb["final_contact_fraction"], rtol=1e-6)
    # the claims of the case file's comment
    for s in (sa, sb):
        assert s["status"] == "completed"
        assert s["asr_total_first"] == pytest.approx(25.4, rel=0.01)  # bonded
        assert s["asr_total_last"] == pytest.approx(28.2, rel=0.05)
        assert s["final_debonded_fraction"] == pytest.approx(0.108, rel=0.15)
        assert s["final_contact_fraction"] == pytest.approx(0.937, abs=0.01)
    charge_end = max((r for r in a if float(r["time"]) <= 241.0), key=lambda r: float(r["time"]))
    assert float(charge_end["debonded_fraction"]) == pytest.approx(0.094, rel=0.15)
