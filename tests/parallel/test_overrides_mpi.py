"""``--set`` overrides on 2 ranks (solver.api.run(..., overrides=...)): the same case as the
serial test (tests/unit/test_overrides.py), the same closed form: a flat bonded bilayer carries
the stack pressure across its interface (mean interface pressure = the overridden pressure)."""

from __future__ import annotations

import pytest
from mpi4py import MPI

from tests.sweep_helpers import write_tiny

pytestmark = pytest.mark.mpi


def test_set_on_two_ranks(shared_tmp):
    from solver import api

    world = MPI.COMM_WORLD
    if world.rank == 0:
        write_tiny(shared_tmp)
    world.barrier()
    over = {"loading.stack_pressure": "3.5 MPa", "loading.protocol[*].n_steps": 2}
    s = api.run(shared_tmp / "tiny.toml", shared_tmp / "run", comm=world, overrides=over)
    assert s["mpi_size"] == world.size
    assert s["steps"] == 2
    assert s["final"]["mean_pressure"] == pytest.approx(3.5e6, rel=1e-6)
    assert s["overrides"] == over
