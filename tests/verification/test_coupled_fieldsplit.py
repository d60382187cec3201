"""The iterative coupled solver of the product (``[solver] linear_solver = "iterative"``:
FGMRES + the physics fieldsplit of solver/precond.py) against the direct one (MUMPS), through
the model ``ssbx run`` builds (benchmarks/coupled.py: mechanics + potentials with Butler–Volmer
kinetics and plastic micro-contacts + Li transport + heat on a flat bilayer, a debonded patch
on Γ_int).

* Two galvanostatic steps (the bordered Newton: two solves with one preconditioner per Newton
  iteration) agree with the direct solve to 1e-8 per field (relative l2; measured ≤ 1e-11), in
  2D and 3D; so do the cell voltage and the current.
* A split whose block did not change keeps its preconditioner set-up (the heat split, 3D).
* The weak-interface case's Krylov count stays bounded under refinement: the largest count per
  Newton iteration on the refined mesh (4x the dofs) is at most 1.25x that of the coarse one
  plus 2, and below 40 (measured 24 → 28; without the region term the auxiliary-space method
  grows like h^-1/2, benchmarks/README.md).
"""

from __future__ import annotations

import pytest
from mpi4py import MPI

from benchmarks import coupled as C
from benchmarks.mechanics import build_domain

TOL = 1e-8


def compare(dim: int, h: float, patch: bool = True, steps: int = 2, comm=MPI.COMM_WORLD):
    """(iterative figures, direct figures, per-field relative difference) after ``steps``
    galvanostatic steps."""
    dom, _ = build_domain(comm, dim, h)
    it, sim = C.coupled_run(dom, dim, "iterative", steps=steps, patch=patch)
    ref, sim_ref = C.coupled_run(dom, dim, "direct", steps=steps, patch=patch)
    diff = C.relative_difference(sim, sim_ref)
    assert it["preconditioner"] == "CoupledFieldSplit" and ref["preconditioner"] == "direct"
    if patch:  # the weak-interface term of the displacement split is on
        assert sim.problem.preconditioner.aux.regions_active
    sim.close()
    sim_ref.close()
    return it, ref, diff


def check_agreement(it: dict, ref: dict, diff: dict) -> None:
    assert it["converged"] and ref["converged"]
    assert len(it["steps"]) == len(ref["steps"]) == 2
    for a, b in zip(it["steps"], ref["steps"]):
        assert a["krylov_iterations"] > 3 * a["newton_iterations"]  # really iterative
        assert a["current_A"] == pytest.approx(b["current_A"], rel=1e-8)
        assert a["V_cell"] == pytest.approx(b["V_cell"], rel=1e-10)
    assert max(diff.values()) <= TOL, diff


@pytest.fixture(scope="module")
def patch2d():
    return compare(2, 2e-6)


def test_iterative_matches_direct_2d(patch2d):
    check_agreement(*patch2d)


def test_iterative_matches_direct_3d():
    it, ref, diff = compare(3, 5e-6)
    check_agreement(it, ref, diff)
    # the heat split keeps its set-up for the Jacobians whose heat block did not change
    # (solver/precond.py, REUSE_SPLITS; measured here 2 of 11, bonded 10 of 11), and the answers
    # above hold with it
    t = it["split_reuse"]["T"]
    assert t["built"] >= 1 and t["reused"] >= 1 and t["built"] + t["reused"] >= 10, t


def test_weak_interface_krylov_bounded(patch2d):
    coarse = max(patch2d[0]["krylov_per_newton"])
    dom, _ = build_domain(MPI.COMM_WORLD, 2, 2e-6, 1)
    it, sim = C.coupled_run(dom, 2, "iterative", steps=1, patch=True)
    assert it["converged"] and sim.problem.preconditioner.aux.regions_active
    assert it["dofs"] > 3 * patch2d[0]["dofs"]
    sim.close()
    fine = max(it["krylov_per_newton"])
    assert fine <= 1.25 * coarse + 2 and fine < 40, (coarse, fine)


def test_failed_linear_solve_fails_the_step():
    """A Krylov solve that does not converge (here: 2 iterations allowed) fails the Newton
    step with DIVERGED_LINEAR_SOLVE (the stepper then cuts the step); reject() restores the
    accepted state."""
    from petsc4py import PETSc

    from solver.simulation import Simulation

    dom, _ = build_domain(MPI.COMM_WORLD, 2, 2e-6)
    case = C.make_case(2, linear_solver="iterative")
    sim = Simulation(case, dom, {"ksp_max_it": 2})
    before = [f.x.array.copy() for f in sim.fields]
    sim.set_loads(
        {
            "kind": "voltage",
            "voltage": float(sim.ec.V_cell.value) + C.DV,
            "time": C.DT,
            "pressure": C.PRESSURE,
            "temperature": case.loading["temperature"],
        }
    )
    res = sim.solve()
    assert not res.converged
    assert res.reason == PETSc.SNES.ConvergedReason.DIVERGED_LINEAR_SOLVE
    sim.reject()
    assert all((f.x.array == a).all() for f, a in zip(sim.fields, before))
    sim.close()


def test_krylov_test_accepts_the_round_off_floor_only():
    """The outer Krylov test: converged at rtol; a residual below 1e-8 of the first that stops
    falling (10 iterations without halving) is the round-off floor and converged; one above
    1e-8 that stagnates runs to max_it and diverges."""
    from petsc4py import PETSc

    from solver.precond import FLOOR_RTOL, STALL_ITS, _krylov_test

    R = PETSc.KSP.ConvergedReason

    class Ksp:
        def getTolerances(self):
            return 1e-10, 0.0, 1e4, 40

    def run(norms):
        test, ksp = _krylov_test(), Ksp()
        for its, r in enumerate(norms):
            reason = test(ksp, its, r)
            if reason != R.ITERATING:
                return its, reason
        return None

    assert run([1.0, 1e-3, 1e-6, 1e-11]) == (3, R.CONVERGED_RTOL)
    floor = [1.0, 1e-4, 1e-9] + [0.9e-9] * 20
    assert run(floor) == (2 + STALL_ITS, R.CONVERGED_RTOL)  # 10 iterations after 1e-9
    stuck = [1.0, 1e-4] + [10 * FLOOR_RTOL] * 60
    assert run(stuck) == (40, R.DIVERGED_MAX_IT)
    assert run([1.0, float("nan")]) == (1, R.DIVERGED_NANORINF)
