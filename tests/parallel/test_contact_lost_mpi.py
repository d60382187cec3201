"""The named stop "contact lost" on 2 ranks (docs/theory.md §10.6): the decohered, stripped
bilayer of tests/verification/test_contact_lost.py stops at the same step with the same active
fractions (the closed form of the gap switch, 1e-5) and the same reason as in serial; only rank 0
writes the summary."""

from __future__ import annotations

import json

import pytest

from tests.verification.test_contact_lost import f_closed, lost_case

pytestmark = pytest.mark.mpi


def test_contact_lost_stops_at_the_same_step_on_2_ranks(shared_tmp, comm):
    from solver import api
    from solver.metrics import read_timeseries

    out = shared_tmp / "run"
    api.run(lost_case({"contact_lost_fraction": 0.2}), out, comm=comm, overwrite=True)
    comm.barrier()
    rows = read_timeseries(out / "timeseries.csv")
    summary = json.loads((out / "summary.json").read_text())
    assert [r["time"] for r in rows] == pytest.approx([10.0, 20.0, 30.0, 40.0])
    for r in rows[1:]:
        assert r["active_fraction"] == pytest.approx(f_closed(r["time"]), abs=1e-5)
    assert summary["stop_reason"] == "contact_lost"
    assert summary["stop"].startswith("contact lost: contact fraction 0.134 < ")
