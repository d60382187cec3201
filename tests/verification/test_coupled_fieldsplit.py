"""The fieldsplit iterative solver of benchmarks/coupled.py (mechanics + potentials + Li transport,
Butler-Volmer kinetics, bonded interface) reproduces the MUMPS solution of one potentiostatic
Newton step to 1e-6 on small 2D and 3D bilayers, with both mechanics splits."""

from __future__ import annotations

import pytest
from mpi4py import MPI

from benchmarks import coupled as C
from benchmarks.mechanics import build_domain


@pytest.mark.parametrize(
    ("dim", "h", "mech"),
    [(2, 2e-6, "auxiliary"), (2, 2e-6, "gamg"), (3, 5e-6, "auxiliary")],
)
def test_fieldsplit_matches_mumps(dim, h, mech):
    dom, _ = build_domain(MPI.COMM_WORLD, dim, h)
    it, sim = C.coupled_step(dom, dim, iterative=True, mech=mech)
    ref, sim_ref = C.coupled_step(dom, dim, iterative=False)
    C._CTX.clear()
    assert it["converged"] and ref["converged"]
    assert it["krylov_iterations"] > 0 and ref["current_A"] > 0
    diff = C.relative_difference(sim, sim_ref)
    assert max(diff.values()) <= 1e-6, diff
