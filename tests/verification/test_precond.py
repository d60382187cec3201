"""The auxiliary-space iterative solver of the Γ_int mechanics (solver/precond.py).

* it reproduces the direct (MUMPS) solution to 1e-8 on small 2D and 3D bilayers (serial, and on
  two ranks under ``make test-mpi``);
* its prolongation copies a continuous field of the parent mesh onto both sides of Γ_int;
* the CG iteration count does not depend on the interface stiffness: K·h/E from 2 to 1e6 stays
  within a factor 1.5;
* on a weak interface (K·h/E = 1e-3, as in damaged zones) the per-region term switches itself
  on and keeps the iteration count near the bonded one;
* without ``ssbx_pc`` the solver options are exactly the direct-solver defaults.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from tests.mech_helpers import bilayer_domain, materials

W = 20e-6
MATS = {
    "electrode": {"E": 5e9, "nu": 0.3, "vegard": 0.05},
    "electrolyte": {"E": 1.5e11, "nu": 0.26},
}
E_MIN = 5e9
H2 = 0.5e-6  # 2D mesh size [m]
AUX = {"ssbx_pc": "auxiliary"}


@pytest.fixture(scope="module")
def dom2():
    return bilayer_domain(dim=2, W=W, t_e=W / 2, t_s=W / 2, h_max=H2, h_interface=H2)


@pytest.fixture(scope="module")
def dom3():
    return bilayer_domain(dim=3, W=W, D=W, t_e=W / 2, t_s=W / 2, h_max=4e-6, h_interface=4e-6)


def _law(k_he: float, h: float):
    """Linear springs K = k_he·E_min/h (tension, shear and compression alike), damage onset
    at 10 GPa: never reached."""
    from solver.physics.cohesive import CohesiveLaw

    K, s = k_he * E_MIN / h, 1e10
    return CohesiveLaw(K_n=K, K_t=K, K_c=K, sigma_c=s, tau_c=s, G_Ic=s * s / K, G_IIc=s * s / K)


def _solve(dom, k_he: float, h: float, options: dict, scaled: bool = False):
    """One load step: 5 MPa stack pressure and 0.5 % swelling of the electrode (``scaled``:
    residual blocks row-scaled as in the simulation, ``CoupledProblem(block_scales=...)``)."""
    from meshes import tags as T
    from solver.physics.mechanics import Mechanics
    from solver.problem import CoupledProblem

    m = Mechanics(dom, materials(MATS), {T.INTERFACE: _law(k_he, h)})
    m.loads.pressure.value = 5e6
    m.loads.c.value = 0.1
    F, scales = m.F_blocks, None
    if scaled:
        from dolfinx import fem

        scales = [fem.Constant(dom.mesh, 1.0) for _ in F]
        F = [c * Fi for c, Fi in zip(scales, F)]
    prob = CoupledProblem(
        F, [r.u for r in m.regions], m.bcs, m.entity_maps, options=options, block_scales=scales
    )
    its = []
    prob.snes.setMonitor(lambda snes, it, norm: its.append(snes.getLinearSolveIterations()))
    res = prob.solve()
    assert res.converged, f"SNES reason {res.reason}"
    x = np.concatenate(
        [
            r.u.x.array[: r.V.dofmap.index_map.size_local * r.V.dofmap.index_map_bs]
            for r in m.regions
        ]
    )
    return x, np.diff(its), prob


def _rel_diff(a, b, comm) -> float:
    num = comm.allreduce(float(np.sum((a - b) ** 2)), op=MPI.SUM)
    den = comm.allreduce(float(np.sum(b**2)), op=MPI.SUM)
    return float(np.sqrt(num / den))


def _agreement(dom, h):
    x_direct, _, _ = _solve(dom, 50.0, h, {})
    x_iter, its, prob = _solve(dom, 50.0, h, AUX)
    assert prob.preconditioner is not None
    assert prob.snes.getKSP().getType() == "cg"
    assert _rel_diff(x_iter, x_direct, dom.comm) < 1e-8
    assert 0 < its[0] < 40


def test_agrees_with_mumps_2d(dom2):
    _agreement(dom2, H2)


def test_agrees_with_mumps_3d(dom3):
    _agreement(dom3, 4e-6)


@pytest.mark.mpi
def test_agrees_with_mumps_2d_mpi(dom2):
    assert dom2.comm.size > 1
    _agreement(dom2, H2)


def test_row_scaled_blocks(dom2):
    """Row-scaled blocks (the simulation equilibrates them; all displacement blocks share one
    scale so the mechanics stays symmetric): the coarse correction undoes the scaling, the
    solver runs right-preconditioned GMRES, and the solution is unchanged."""
    x_direct, _, _ = _solve(dom2, 50.0, H2, {})
    x_iter, its, prob = _solve(dom2, 50.0, H2, AUX, scaled=True)
    scales = prob.block_scales
    assert max(scales) == pytest.approx(min(scales))  # one scale for all displacement blocks
    assert max(scales) < 1e-3  # and it really scales (elasticity diagonals ~1e11 N/m)
    assert prob.snes.getKSP().getType() == "gmres"
    assert _rel_diff(x_iter, x_direct, dom2.comm) < 1e-8
    assert its[0] < 30


def test_prolongation_copies_a_continuous_field(dom2):
    """P·(interpolant of a linear field on the parent mesh) = the interpolant on every region."""
    from dolfinx import fem
    from dolfinx.fem.petsc import assign

    _, _, prob = _solve(dom2, 50.0, H2, AUX)
    aux = prob.preconditioner

    def field(x):
        return np.vstack([1.0 + 2e5 * x[0] - 3e5 * x[1], -1.0 + 4e5 * x[0] + 1e5 * x[1]])

    wc = fem.Function(aux.Vc)
    wc.interpolate(field)
    y = prob.problem.x.duplicate()
    aux.P.mult(wc.x.petsc_vec, y)
    expected = prob.problem.x.duplicate()
    fs = []
    for u in prob.u:
        f = fem.Function(u.function_space)
        f.interpolate(field)
        fs.append(f)
    assign(fs, expected)
    y.axpy(-1.0, expected)
    assert y.norm() < 1e-12 * expected.norm()


def test_iterations_independent_of_interface_stiffness(dom2):
    its = {}
    for k_he in (2.0, 50.0, 1e4, 1e6):
        _, it, prob = _solve(dom2, k_he, H2, AUX)
        its[k_he] = int(it[0])  # first Newton iteration: the same right-hand side for every K
        assert prob.preconditioner.stats["setups"] == 1  # A_c and its GAMG: set up once
    assert max(its.values()) <= 1.5 * min(its.values()), its


def test_weak_interface_switches_on_the_region_term(dom2):
    """K·h/E = 1e-3 (a weak or damaged interface): the jump modes are low-energy and missing
    from the continuous coarse space; the per-region term ("auto") switches itself on and keeps
    the iteration count at the bonded level."""
    _, it_bonded, _ = _solve(dom2, 50.0, H2, AUX)
    _, it_weak, prob = _solve(dom2, 1e-3, H2, AUX)
    _, it_off, _ = _solve(dom2, 1e-3, H2, {**AUX, "ssbx_pc_regions": False})
    st = prob.preconditioner.stats
    assert st["weak_fraction"] == pytest.approx(1.0)
    assert st["region_setups"] == len(it_weak)  # refreshed at every Newton iteration
    assert max(it_weak) < 0.6 * max(it_off), (it_weak, it_off)
    assert max(it_weak) <= 1.5 * max(it_bonded), (it_weak, it_bonded)


def test_direct_solver_options_unchanged():
    from solver import precond
    from solver.problem import DEFAULT_OPTIONS

    user = {"snes_max_it": 7}
    opts, spec = precond.split_options(user, DEFAULT_OPTIONS)
    assert spec is None and opts == {**DEFAULT_OPTIONS, **user}
    opts, spec = precond.split_options({"ssbx_pc": "mumps", **user}, DEFAULT_OPTIONS)
    assert spec is None and opts == {**DEFAULT_OPTIONS, **user}
    opts, spec = precond.split_options(
        {**AUX, "ksp_rtol": 1e-10, "aux_pc_gamg_threshold": 0.01, "ssbx_pc_regions": False},
        DEFAULT_OPTIONS,
    )
    assert opts["pc_type"] == "composite" and "pc_factor_mat_solver_type" not in opts
    assert opts["ksp_rtol"] == 1e-10 and opts["snes_max_it"] == DEFAULT_OPTIONS["snes_max_it"]
    assert spec["aux"]["pc_gamg_threshold"] == 0.01 and spec["regions"] is False
    with pytest.raises(ValueError, match="ssbx_pc"):
        precond.split_options({"ssbx_pc": "hypre"}, DEFAULT_OPTIONS)
