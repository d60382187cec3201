"""[output] keys on 2 ranks: ``every = 3`` on a 7-step run writes steps 3, 6 and the last (7),
in the .pvd layout, in XDMF and in VTX, and ``mesh.png`` is written once (rank 0)."""

from __future__ import annotations

import pytest
from mpi4py import MPI

from tests.output_helpers import MECH, PNG_MAGIC, case, pvd_steps, vtx_num_steps, xdmf_steps

pytestmark = pytest.mark.mpi


@pytest.mark.parametrize("fmt", ["pvd", "xdmf", "vtx"])
def test_every_on_two_ranks(shared_tmp, fmt):
    from solver import api

    world = MPI.COMM_WORLD
    out = shared_tmp / f"every_{fmt}"
    summary = api.run(case(MECH, {"every": 3, "format": fmt, "preview": True}), out, comm=world)
    assert summary["steps"] == 7 and summary["mpi_size"] == world.size
    world.barrier()
    if world.rank != 0:
        return
    assert (out / "mesh.png").read_bytes()[:8] == PNG_MAGIC
    for name in ("electrode", "electrolyte", "interface"):
        if fmt == "pvd":
            assert pvd_steps(out / "fields" / f"{name}.pvd") == [3, 6, 7], name
        elif fmt == "xdmf":
            assert xdmf_steps(out / "fields" / f"{name}.xdmf") == [3, 6, 7], name
        else:
            assert vtx_num_steps(out / "fields" / f"{name}.bp") == 3, name
    others = {"pvd": ("*.bp", "*.xdmf"), "xdmf": ("*.bp", "*.pvd"), "vtx": ("*.xdmf", "*.pvd")}
    assert not [p for pat in others[fmt] for p in out.rglob(pat)]
