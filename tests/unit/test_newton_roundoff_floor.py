"""The round-off floor of the Newton update test (solver.problem.CoupledProblem.roundoff_floor,
set by the dissipation control of solver.pathfollow; docs/theory.md §10.6a).

The update test of §10.4 asks every field's Newton update to be below an absolute tolerance
(1e-12 h_interface for the displacements). On the pre-cracked DCB of cases/dcb.toml that
tolerance lies below the round-off of the update once the crack is long (the arms' compliance
amplifies the round-off residual: updates of 1e-18 to 1e-17 m against 5e-19 m, the residual
flat at its floor), and with viscosity the path following collapsed its steps there with the
tip at 90 µm of 120 µm (benchmarks/dcb_path.py runs it to separation). These checks drive the
installed convergence test through the iterations of such a solve: at the floor (the residual
fallen by 5 orders and no longer halving) an update within ``roundoff_floor`` times the
tolerances converges; a residual still falling, an update beyond that factor, an unsettled
constraint correction, or ``roundoff_floor`` = 0 (every solve outside the path following)
keep the strict test.
"""

from __future__ import annotations

import pytest
from mpi4py import MPI

pytestmark = pytest.mark.serial

TOL = 1e-12  # the field's update tolerance in the check


@pytest.fixture
def problem():
    import solver.petsc_env  # noqa: F401

    import ufl
    from dolfinx import fem, mesh

    from solver.problem import CoupledProblem

    msh = mesh.create_unit_square(MPI.COMM_SELF, 2, 2)
    V = fem.functionspace(msh, ("Lagrange", 1))
    u, v = fem.Function(V), ufl.TestFunction(V)
    F = (ufl.inner(ufl.grad(u), ufl.grad(v)) + u * v - v) * ufl.dx
    p = CoupledProblem([F], [u], [], None, field_tolerances=[TOL])
    assert p.solve().converged  # (sets the SNES up; its update vector exists)
    yield p
    p.close()


def _drive(p, history, dx_last, floor, dV_last=None):
    """Call the installed convergence test with the residual norms ``history`` (iterations
    0, 1, ...) and, from iteration 1, an update of size 1e-3 before the last iteration and
    ``dx_last`` at it; return the SNES reason of the last call (0: go on)."""
    p.roundoff_floor = floor
    if dV_last is not None:  # a constraint (the load factor of the path following) is on
        p.target, p._dV_last, p.constraint_dV_tol, p.border_failed = 0.0, dV_last, 1e-10, False
    upd = p.snes.getSolutionUpdate()
    reason = None
    for it, f in enumerate(history):
        upd.set(dx_last if it == len(history) - 1 else 1e-3)
        reason = p.snes.callConvergenceTest(it, 1.0, 1.0, f)
        if it < len(history) - 1:
            assert reason == 0, (it, reason)
    return reason


AT_FLOOR = [1e-3, 1e-1, 1e-6, 3e-11, 2e-11]  # quadratic to 3e-11, then flat (> half)


def test_an_update_at_the_floor_within_the_factor_converges(problem):
    assert _drive(problem, AT_FLOOR, 50 * TOL, floor=100.0) > 0


def test_strict_without_the_floor(problem):
    assert _drive(problem, AT_FLOOR, 50 * TOL, floor=0.0) == 0
    assert _drive(problem, AT_FLOOR, 0.5 * TOL, floor=0.0) > 0  # the tolerance itself


def test_an_update_beyond_the_factor_does_not_converge(problem):
    assert _drive(problem, AT_FLOOR, 200 * TOL, floor=100.0) == 0


def test_a_residual_still_falling_is_not_at_its_floor(problem):
    falling = [1e-3, 1e-1, 1e-6, 3e-11, 1e-11]  # fell by 3 since the last iterate
    assert _drive(problem, falling, 50 * TOL, floor=100.0) == 0
    high = [1e-3, 1e-1, 1e-4, 0.9e-4]  # flat, but only 3 orders below its largest
    assert _drive(problem, high, 50 * TOL, floor=100.0) == 0


def test_the_constraint_correction_is_held_to_the_factor_too(problem):
    assert _drive(problem, AT_FLOOR, 50 * TOL, floor=100.0, dV_last=5e-9) > 0
    assert _drive(problem, AT_FLOOR, 50 * TOL, floor=100.0, dV_last=2e-8) == 0
