"""The .pvd field layout on 2 ranks holds the same grids as on 1 rank: the same points in the
same order, the same cells (as vertex sets, in the same order), the same array names, and the
same values to the solver's round-off (1e-9 of each array's largest magnitude; the tangential
gap and traction, zero on this flat interface under a uniform pressure, to 1e-20 m and 1e-3 Pa).
One file per step and region, written by rank 0 alone."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from tests.conftest import serial_reference
from tests.output_helpers import MECH_EC, case

pytestmark = pytest.mark.mpi

ATOL = {"g_t": 1e-20, "t_t": 1e-3}


def _serial(path):
    from solver import api

    api.run(case(MECH_EC, {"every": 1}), path, comm=MPI.COMM_SELF)


@serial_reference("pvd_fields_mech_ec", _serial)
def test_pvd_fields_same_on_1_and_2_ranks(shared_tmp, serial_ref):
    import meshio

    from solver import api

    world = MPI.COMM_WORLD
    c = case(MECH_EC, {"every": 1})
    par = shared_tmp / "np2"
    api.run(c, par, comm=world)
    ser = serial_ref
    world.barrier()
    if world.rank != 0:
        return
    files = sorted(p.relative_to(ser) for p in (ser / "fields").rglob("*.vtu"))
    assert files == sorted(p.relative_to(par) for p in (par / "fields").rglob("*.vtu"))
    assert len(files) == 4 * 3 + 2  # 4 regions x 3 steps + the tags
    for rel in files:
        a, b = meshio.read(ser / rel), meshio.read(par / rel)
        assert np.array_equal(a.points, b.points), rel
        ca, cb = a.cells[0].data, b.cells[0].data
        assert np.array_equal(np.sort(ca, axis=1), np.sort(cb, axis=1)), rel
        assert set(a.point_data) == set(b.point_data) and set(a.cell_data) == set(b.cell_data)
        pairs = [(k, a.point_data[k], b.point_data[k]) for k in a.point_data]
        pairs += [(k, a.cell_data[k][0], b.cell_data[k][0]) for k in a.cell_data]
        for k, x, y in pairs:
            tol = 1e-9 * np.max(np.abs(x), initial=0.0) + ATOL.get(k, 0.0)
            assert np.max(np.abs(x - y), initial=0.0) <= tol, (rel, k)
    for name in ("electrode", "electrolyte", "ionic", "interface"):
        assert (par / "fields" / f"{name}.pvd").read_text() == (
            ser / "fields" / f"{name}.pvd"
        ).read_text()
