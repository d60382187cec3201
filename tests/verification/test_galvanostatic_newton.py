"""Galvanostatic control inside the Newton iteration (the bordered system of
solver/problem.py ``CoupledProblem.set_constraint``): a current step costs at most 1.3x the Newton
iterations of the same step driven potentiostatically at the voltage it reached (issue 15).

From the same accepted state, each current step is solved galvanostatically (j_app, the cell
voltage an unknown), then the state is put back and the step is solved potentiostatically at the
converged cell voltage: the same end state, reached with the voltage known. The galvanostatic
solve must converge in ≤ 1.3x the Newton iterations of the potentiostatic one, and reach the
same state (current within 1e-8 of j_app A_app).

* cases/default.toml (2D, rough Γ_int, plastic micro-contacts), shortened to the hold and the
  first two 30 s charge steps, with the direct solver (measured: 6/6 and 6/6 iterations);
* a small 3D coupled bilayer with heat (benchmarks/coupled.py, 3D) with the iterative solver
  (``linear_solver = "iterative"``; measured 6/7 and 5/6).
"""

from __future__ import annotations

import pytest
from mpi4py import MPI

from tests.conftest import ROOT

pytestmark = pytest.mark.serial

RATIO = 1.3


def galvanostatic_vs_potentiostatic(sim, base: dict, j: float, times: list[float]):
    """[(galvanostatic Newton, potentiostatic Newton)] per step; every step accepted from its
    galvanostatic solve."""
    out = []
    for t in times:
        st = {**base, "kind": "current", "current_density": j, "time": t}
        sim.set_loads(st)
        g = sim.solve()
        assert g.converged
        V = float(sim.ec.V_cell.value)
        assert sim.ec.current() == pytest.approx(j * sim.A_app, rel=1e-8)
        sim.reject()
        sim.set_loads({**base, "kind": "voltage", "voltage": V, "time": t})
        p = sim.solve()
        assert p.converged
        assert sim.ec.current() == pytest.approx(j * sim.A_app, rel=1e-6)
        out.append((g.newton_iterations, p.newton_iterations))
        sim.reject()
        sim.set_loads(st)
        assert sim.solve().converged
        sim.accept()
    return out


def test_default_case_current_step_costs_a_voltage_step():
    from solver import api, geometry
    from solver.simulation import Simulation

    case, _ = api.load_case(ROOT / "cases" / "default.toml", {"solver.linear_solver": "direct"})
    dom = geometry.build(case.geometry, MPI.COMM_WORLD).domain
    sim = Simulation(case, dom, api._petsc_options(case))
    base = {"pressure": case.loading["stack_pressure"], "temperature": case.loading["temperature"]}
    sim.set_loads({**base, "kind": "hold", "time": 1.0})
    assert sim.solve().converged
    sim.accept()
    step = case.loading["protocol"][1]
    j, dt = step["current_density"], step["duration"] / step["n_steps"]
    its = galvanostatic_vs_potentiostatic(sim, base, j, [1.0 + dt, 1.0 + 2 * dt])
    sim.close()
    assert all(g <= RATIO * p for g, p in its), its


def test_3d_current_step_costs_a_voltage_step():
    from benchmarks import coupled as C
    from benchmarks.mechanics import build_domain

    dom, _ = build_domain(MPI.COMM_WORLD, 3, 5e-6)
    case = C.make_case(3, linear_solver="iterative")
    sim = C.simulation(dom, case)
    assert type(sim.problem.preconditioner).__name__ == "CoupledFieldSplit"
    base = {"pressure": C.PRESSURE, "temperature": case.loading["temperature"]}
    its = galvanostatic_vs_potentiostatic(sim, base, C.J_APP, [1.0, 2.0])
    sim.close()
    assert all(g <= RATIO * p for g, p in its), its
