"""Shipped cases that exercise the initial interface state, the boundary loads and the ion path
give the same time series on 2 ranks as on 1 (relative 1e-6, absolute floors for round-off-level
columns)."""

from __future__ import annotations

import math

import pytest
from mpi4py import MPI

from tests.conftest import ROOT, serial_reference

pytestmark = pytest.mark.mpi

SKIP = {"wall_time", "krylov_iterations", "newton_iterations", "step_cuts"}
FLOORS = {"charge_balance_error": 1e-6, "li_balance_error": 1e-8, "min_pressure": 1e-2,
          "mean_pressure": 1e-3,
    # the collector current of a metal electrode resolves a ~1e-11 V drop across the metal:
    # round-off of ~1e-5 relative (docs/theory.md §9.1)
    "current_collector": 1e-9, "reaction_force": 1e-12,
    # the collector-charge reading of the Li inventory carries that round-off: its spread from
    # the other two readings, relative to the throughput, is ~1e-6 (docs/theory.md §5.6)
    "li_inventory_error": 1e-5,
          "max_gap": 1e-13, "interface_heat_balance_error": 1e-6}  # fmt: skip


def _rows(path):
    from solver.metrics import read_timeseries

    return read_timeseries(path)


def _case(name: str):
    """The shipped case ``name`` without field output."""
    import tomllib

    from solver.config import case_from_dict

    path = ROOT / "cases" / f"{name}.toml"
    raw = tomllib.loads(path.read_text())
    raw.setdefault("output", {}).update({"fields": False, "preview": False})
    return case_from_dict(raw, path)


def _serial(path, name: str):
    from solver import api

    api.run(_case(name), path, comm=MPI.COMM_SELF)


NAMES = ["debonded_patch", "li_llzo_pressure", "hertz_cylinder"]


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=serial_reference(f"case_{n}", _serial, n)) for n in NAMES],
)
def test_case_same_on_1_and_2_ranks(shared_tmp, serial_ref, name):
    from solver import api

    world = MPI.COMM_WORLD
    par = shared_tmp / f"{name}_np2"
    api.run(_case(name), par, comm=world)
    ser = serial_ref
    world.barrier()
    if world.rank != 0:
        return
    a, b = _rows(ser / "timeseries.csv"), _rows(par / "timeseries.csv")
    assert len(a) == len(b) > 0
    for ra, rb in zip(a, b):
        for col in ra:
            if col in SKIP:
                continue
            va, vb = ra[col], rb[col]
            if math.isnan(va) or math.isnan(vb):
                assert math.isnan(va) and math.isnan(vb), (col, va, vb)
                continue
            tol = max(1e-6 * max(abs(va), abs(vb)), FLOORS.get(col, 1e-300))
            assert abs(va - vb) <= tol, (name, col, ra["step"], va, vb)
