"""Rate-dependent inelasticity at the quadrature points (solver.physics.inelastic) against closed
forms: Norton creep rate and relaxation, Bailey's steady creep of a thick-walled tube, the
standard linear solid / Prony relaxation with its temperature shift (docs/validation.md §18)."""

from __future__ import annotations

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import pytest
import ufl
from dolfinx import fem, mesh
from mpi4py import MPI

from solver.physics import inelastic as I
from solver.physics.elasticity import Kinematics
from solver.problem import CoupledProblem
from tests.conftest import serial_reference

LI_E, LI_NU = 4.9e9, 0.42
# Norton law with n, Q of LePage et al. (2019); A = 4.25e4 MPa^-n s^-1 in Pa units
LI = I.CreepLaw(A=4.25e4 * 1e-6**6.6, n=6.6, Q=37e3)


class Cube:
    """One-cell-thick unit cube (6 tetrahedra): a homogeneous stress state; rollers on x = 0,
    y = 0, z = 0; the top (z = 1) loaded by a pressure (traction) or a displacement;
    ``lateral = "free"`` (uniaxial stress) or ``"roller"`` (x = 1, y = 1 held: uniaxial strain)."""

    def __init__(self, make_state, *, top="traction", lateral="free"):
        msh = mesh.create_unit_cube(MPI.COMM_WORLD, 1, 1, 1)
        self.msh = msh
        V = fem.functionspace(msh, ("Lagrange", 1, (3,)))
        self.u = u = fem.Function(V)
        v = ufl.TestFunction(V)
        kin = Kinematics(3)
        x = ufl.SpatialCoordinate(msh)
        self.dt = fem.Constant(msh, 0.0)
        self.T = fem.Constant(msh, 298.15)
        cells = np.arange(msh.topology.index_map(3).size_local, dtype=np.int32)
        zero = ufl.zero(3, 3)
        self.state = make_state(u, cells, lambda w: kin.strain(w, x), zero, self.T, self.dt)
        self.sig = self.state.sigma(kin.strain(u, x), zero)
        self.load = fem.Constant(msh, 0.0)

        def faces(f):
            return mesh.locate_entities_boundary(msh, 2, f)

        bcs = []
        for i in range(3):
            for x0 in (0.0, 1.0) if (lateral == "roller" and i < 2) else (0.0,):
                dofs = fem.locate_dofs_topological(
                    V.sub(i), 2, faces(lambda X, i=i, x0=x0: np.isclose(X[i], x0))
                )
                bcs.append(fem.dirichletbc(0.0, dofs, V.sub(i)))
        dx = ufl.Measure("dx", msh, metadata=I.metadata())
        F = ufl.inner(self.sig, kin.strain(v, x)) * dx
        top_f = faces(lambda X: np.isclose(X[2], 1.0))
        if top == "traction":
            ft = mesh.meshtags(msh, 2, top_f, np.full(len(top_f), 1, np.int32))
            F -= self.load * v[2] * ufl.Measure("ds", msh, subdomain_data=ft)(1)
        else:
            dofs = fem.locate_dofs_topological(V.sub(2), 2, top_f)
            bcs.append(fem.dirichletbc(self.load, dofs, V.sub(2)))
        opts = {"snes_rtol": 1e-10, "snes_atol": 0.0, "snes_stol": 1e-12}
        self.prob = CoupledProblem(
            [F], [u], bcs, None, options=opts, pre_residual=self.state.update
        )

    def step(self, dt: float) -> None:
        self.dt.value = dt
        res = self.prob.solve()
        assert res.converged, f"Newton failed: SNES reason {res.reason}"
        self.state.accept()
        self.dt.value = 0.0  # (as Mechanics.accept: the committed state is the converged one)

    def top_uz(self) -> float:
        return float(self.u.x.array.reshape(-1, 3)[:, 2].max())

    def szz(self) -> float:
        if not hasattr(self, "_szz"):
            self._szz = self.sig[2, 2]
        return float(self.state.pts.values(self._szz)[:, 0].mean())


def test_norton_uniaxial_creep_rate():
    """ε̇ = A σⁿ exp(−Q/RT) to 1e-6 at three stresses and two temperatures (one step of 100 s at
    constant stress: backward Euler is exact for a constant rate)."""
    for sigma in (0.3e6, 0.8e6, 1.5e6):
        for T in (298.15, 333.15):
            c = Cube(lambda *a: I.CreepState(LI, LI_E, LI_NU, *a))
            c.T.value = T
            c.load.value = sigma
            c.step(0.0)  # elastic at t = 0
            z0 = c.top_uz()
            c.step(100.0)
            rate = (c.top_uz() - z0) / 100.0
            ref = 4.25e4 * (sigma / 1e6) ** 6.6 * np.exp(-37e3 / (8.314462618 * T))
            assert rate == pytest.approx(ref, rel=1e-6), (sigma, T)
            c.prob.close()


def test_norton_creep_with_a_threshold_stress():
    """Threshold (Bingham–Norton) creep ε̇ = A ⟨σ − σ_th⟩ⁿ exp(−Q/RT): above σ_th the rate of
    the shifted stress (1e-6); below it no creep at all, the cube stays at its elastic strain
    σ/E (1e-12) over 1e4 s."""
    law = I.CreepLaw(A=LI.A, n=LI.n, Q=LI.Q, threshold=0.3e6)
    T = 298.15
    for sigma in (0.2e6, 0.8e6, 1.5e6):
        c = Cube(lambda *a: I.CreepState(law, LI_E, LI_NU, *a))
        c.T.value = T
        c.load.value = sigma
        c.step(0.0)
        z0 = c.top_uz()
        assert z0 == pytest.approx(sigma / LI_E, rel=1e-9)
        dt = 100.0 if sigma > 0.3e6 else 1e4
        c.step(dt)
        rate = (c.top_uz() - z0) / dt
        over = max(sigma - 0.3e6, 0.0)
        ref = 4.25e4 * (over / 1e6) ** 6.6 * np.exp(-37e3 / (8.314462618 * T))
        if over > 0:
            assert rate == pytest.approx(ref, rel=1e-6), sigma
        else:
            assert c.top_uz() == pytest.approx(z0, rel=1e-12)
        c.prob.close()


def test_creeping_cube_stores_the_elastic_energy_of_its_stress():
    """Uniaxial stress σ on a creeping cube: after 100 s of creep the stored (elastic) energy
    density is still σ²/(2E) (the creep strain stores nothing; ½ σ:C⁻¹:σ of a uniaxial σ),
    1e-9, whatever the creep strain reached."""
    sigma = 0.8e6
    c = Cube(lambda *a: I.CreepState(LI, LI_E, LI_NU, *a))
    c.load.value = sigma
    c.step(0.0)
    c.step(100.0)
    assert c.top_uz() > 1.5 * sigma / LI_E  # the creep strain exceeds the elastic one
    x = ufl.SpatialCoordinate(c.msh)
    psi = c.state.stored_energy(Kinematics(3).strain(c.u, x), ufl.zero(3, 3))
    vals = c.state.pts.values(psi)[:, 0]
    assert vals == pytest.approx(np.full_like(vals, sigma**2 / (2 * LI_E)), rel=1e-9)
    c.prob.close()


def test_norton_stress_relaxation():
    """Held strain ε0, free sides: σ(t) = [σ0^(1−n) + (n−1) E A' t]^(1/(1−n)) within 0.5 %."""
    c = Cube(lambda *a: I.CreepState(LI, LI_E, LI_NU, *a), top="displacement")
    eps0 = 2e-4
    c.load.value = eps0
    c.step(0.0)
    s0 = c.szz()
    assert s0 == pytest.approx(LI_E * eps0, rel=1e-9)
    Ap = float(LI.rate_factor(298.15))
    n = LI.n
    t_r = s0 ** (1 - n) / ((n - 1) * LI_E * Ap)  # the time over which σ halves roughly
    times = np.concatenate([[0.0], np.geomspace(1e-3 * t_r, 100 * t_r, 400)])
    worst = 0.0
    for t0, t1 in zip(times[:-1], times[1:]):
        c.step(t1 - t0)
        ref = (s0 ** (1 - n) + (n - 1) * LI_E * Ap * t1) ** (1 / (1 - n))
        worst = max(worst, abs(c.szz() / ref - 1))
    assert c.szz() < 0.5 * s0  # it relaxed
    assert worst < 5e-3, worst
    c.prob.close()


@pytest.mark.parametrize("lateral", ["free", "roller"])
def test_sls_relaxation_under_held_strain(lateral):
    """SLS E(t) = E∞ + E1 exp(−t/τ): σ/ε0 at t = 0, τ, 5τ equals E(t) with free sides (Young's
    relaxation modulus) and E(t)(1−ν)/((1+ν)(1−2ν)) on rollers (constrained modulus), for any
    step size (exact exponential integrator)."""
    E_inf, E1, tau, nu = 20e6, 40e6, 3600.0, 0.45
    law = I.ViscoLaw(E_inf, (E1,), (tau,))
    eps0 = -0.05
    factor = 1.0 if lateral == "free" else (1 - nu) / ((1 + nu) * (1 - 2 * nu))
    for dts in ([tau, 4 * tau], [tau / 4] * 4 + [tau / 2] * 8):
        c = Cube(lambda *a: I.ViscoState(law, nu, *a), top="displacement", lateral=lateral)
        c.load.value = eps0
        c.step(0.0)
        got = {0.0: c.szz()}
        t = 0.0
        for dt in dts:
            c.step(dt)
            t += dt
            got[round(t / tau, 9)] = c.szz()
        for k in (0.0, 1.0, 5.0):
            ref = factor * (E_inf + E1 * np.exp(-k)) * eps0
            assert got[k] == pytest.approx(ref, rel=1e-9), (lateral, dts, k)
        # free energy at the end (t = 5τ): the spring E∞ at ε0 and the Maxwell branch's spring
        # at its relaxed strain ε0 e^(−t/τ): ψ = ½ factor ε0² (E∞ + E1 e^(−2t/τ)), 1e-9
        x = ufl.SpatialCoordinate(c.msh)
        psi = c.state.stored_energy(Kinematics(3).strain(c.u, x), ufl.zero(3, 3))
        vals = c.state.pts.values(psi)[:, 0]
        ref = 0.5 * factor * eps0**2 * (E_inf + E1 * np.exp(-10.0))
        assert vals == pytest.approx(np.full_like(vals, ref), rel=1e-9), (lateral, dts)
        c.prob.close()


@pytest.mark.parametrize("shift", ["arrhenius", "wlf"])
def test_prony_temperature_shift(shift):
    """Two-term Prony series at 333.15 K: E(t) = E∞ + Σ Eᵢ exp(−t/(a_T τᵢ)), a_T Arrhenius
    exp(Ea/R (1/T − 1/T0)) or WLF 10^(−C1 ΔT/(C2 + ΔT)), T0 = 298.15 K."""
    T = 333.15
    kw = {"Ea": 60e3} if shift == "arrhenius" else {"wlf": (17.44, 51.6)}
    law = I.ViscoLaw(5e6, (10e6, 30e6), (100.0, 1e4), **kw)
    if shift == "arrhenius":
        aT = np.exp(60e3 / 8.314462618 * (1 / T - 1 / 298.15))
    else:
        aT = 10 ** (-17.44 * (T - 298.15) / (51.6 + T - 298.15))
    c = Cube(lambda *a: I.ViscoState(law, 0.3, *a), top="displacement")
    c.T.value = T
    c.load.value = 1e-3
    c.step(0.0)
    t = 0.0
    for dt in np.diff(np.geomspace(1e-2, 1e3, 12)):
        c.step(float(dt))
        t += float(dt)
    c.step(0.0)  # no-op step: dt = 0 leaves the branches unchanged
    ref = 5e6 + 10e6 * np.exp(-t / (aT * 100.0)) + 30e6 * np.exp(-t / (aT * 1e4))
    assert c.szz() / 1e-3 == pytest.approx(ref, rel=1e-9)
    c.prob.close()


P_IN = 1e6  # Pa, the internal pressure of the tube and the sphere


def _pressurised(comm, degree, msh, inner, fixed, steps, t_end):
    """Internal pressure P_IN on the facets ``inner`` of the axisymmetric (r, z) mesh ``msh``,
    Norton n = 5 (ṗ = 1/s at 1 MPa), E = 1 GPa, ν = 0.3; ``fixed``: [(component, facets)] held
    at 0. Creeps over ``steps`` geometric steps to ``t_end`` (creep strains ≈ 60× the elastic
    ones at 1e-2 s). Returns (σ_rr, σ_zz, σ_θθ, σ_rz, r, z at the quadrature points: N × 6,
    the mean inner-wall normal displacement)."""
    V = fem.functionspace(msh, ("Lagrange", degree, (2,)))
    u = fem.Function(V)
    v = ufl.TestFunction(V)
    kin = Kinematics(2, axisymmetric=True)
    x = ufl.SpatialCoordinate(msh)
    dt = fem.Constant(msh, 0.0)
    T = fem.Constant(msh, 298.15)
    law = I.CreepLaw(A=1e-30, n=5.0)  # ṗ = 1/s at 1 MPa
    cells = np.arange(msh.topology.index_map(2).size_local, dtype=np.int32)
    zero = ufl.zero(3, 3)
    st = I.CreepState(law, 1e9, 0.3, u, cells, lambda w: kin.strain(w, x), zero, T, dt)
    sig = st.sigma(kin.strain(u, x), zero)
    ft = mesh.meshtags(msh, 1, inner, np.full(len(inner), 1, np.int32))
    ds = ufl.Measure("ds", msh, subdomain_data=ft)
    dx = ufl.Measure("dx", msh, metadata=I.metadata())
    r, nrm = x[0], ufl.FacetNormal(msh)
    F = ufl.inner(sig, kin.strain(v, x)) * r * dx + P_IN * ufl.dot(v, nrm) * r * ds(1)
    bcs = [
        fem.dirichletbc(0.0, fem.locate_dofs_topological(V.sub(i), 1, f), V.sub(i))
        for i, f in fixed
    ]
    opts = {"snes_rtol": 1e-10, "snes_atol": 0.0, "snes_stol": 1e-12}
    prob = CoupledProblem([F], [u], bcs, None, options=opts, pre_residual=st.update)
    times = np.concatenate([[0.0], np.geomspace(1e-6, t_end, steps)])
    for dtk in np.diff(times, prepend=0.0):
        dt.value = dtk
        res = prob.solve()
        assert res.converged, f"Newton failed: SNES reason {res.reason}"
        st.accept()
    vals = st.pts.values(ufl.as_vector([sig[0, 0], sig[1, 1], sig[2, 2], sig[0, 1], x[0], x[1]]), 6)
    area = comm.allreduce(fem.assemble_scalar(fem.form(r * ds(1))), op=MPI.SUM)
    u_in = comm.allreduce(fem.assemble_scalar(fem.form(-ufl.dot(u, nrm) * r * ds(1))), op=MPI.SUM)
    prob.close()
    return vals, u_in / area


def _facets(msh, f):
    return mesh.locate_entities_boundary(msh, 1, f)


def tube(comm, degree: int, nr: int = 16, t_end: float = 1e-2, steps: int = 30):
    """Plane-strain thick-walled tube a = 1, b = 2 (axisymmetric strip, u_z = 0 on both faces)
    under internal pressure p, Norton n = 5; returns (the stress error max |σ − σ_Bailey|/p at
    the quadrature points after creep strains ≈ 60× the elastic ones, the inner-wall radial
    displacement)."""
    a, b, n, p = 1.0, 2.0, 5.0, P_IN
    h = (b - a) / nr
    msh = mesh.create_rectangle(comm, [[a, 0.0], [b, h]], [nr, 1])
    inner = _facets(msh, lambda X: np.isclose(X[0], a))
    faces = _facets(msh, lambda X: np.isclose(X[1], 0.0) | np.isclose(X[1], h))
    vals, u_in = _pressurised(comm, degree, msh, inner, [(1, faces)], steps, t_end)
    s_rr_h, s_zz_h, s_tt_h, _, R, _ = vals.T
    rho, D = (b / R) ** (2 / n), (b / a) ** (2 / n) - 1
    s_rr = -p * (rho - 1) / D
    s_tt = p * ((2 / n - 1) * rho + 1) / D
    s_zz = 0.5 * (s_rr + s_tt)
    pairs = ((s_rr_h, s_rr), (s_tt_h, s_tt), (s_zz_h, s_zz))
    err = max(np.abs(got - ref).max(initial=0.0) for got, ref in pairs)
    return comm.allreduce(err, op=MPI.MAX) / p, u_in


def sphere(comm, degree: int, nr: int = 24, nth: int = 48, t_end: float = 3e-2, steps: int = 40):
    """Thick-walled sphere a = 1, b = 2 under internal pressure p, Norton n = 5: a quarter of
    the axisymmetric (r, z) section (the (ρ, θ) rectangle mapped to r = ρ sin θ, z = ρ cos θ;
    u_r = 0 on the axis, u_z = 0 on the equatorial plane). Returns the stress error
    max |σ − σ_Bailey|/p over σ_ρρ, σ_θθ (meridional), σ_φφ (hoop) and σ_ρθ at the quadrature
    points at ``t_end``.

    The outer wall creeps slowest (steady σ_eq = 0.58 MPa, ε̇ = 0.066/s: a relaxation time
    σ_eq/(E ε̇) ≈ 9e-3 s), so the state is steady everywhere only from a few 1e-2 s on: at
    1e-2 s the outer wall is still 2.4 % of p off (16 × 24 cells). At 3e-2 s the error sits at
    the inner wall and falls with the mesh: 1.80 % (16 × 32 cells), 0.96 % (24 × 48), order
    1.5; it grows with the creep strain (locking of the incompressible creep in a pure
    displacement P2 form, docs/theory.md §3.6): 2.6 % / 1.4 % at 5e-2 s."""
    a, b, n, p = 1.0, 2.0, 5.0, P_IN
    msh = mesh.create_rectangle(comm, [[a, 0.0], [b, np.pi / 2]], [nr, nth])
    rho_, th_ = msh.geometry.x[:, 0].copy(), msh.geometry.x[:, 1].copy()
    msh.geometry.x[:, 0] = rho_ * np.sin(th_)
    msh.geometry.x[:, 1] = rho_ * np.cos(th_)
    inner = _facets(msh, lambda X: np.isclose(np.hypot(X[0], X[1]), a))
    axis = _facets(msh, lambda X: np.isclose(X[0], 0.0))
    equator = _facets(msh, lambda X: np.isclose(X[1], 0.0))
    vals, _ = _pressurised(comm, degree, msh, inner, [(0, axis), (1, equator)], steps, t_end)
    s_rr, s_zz, s_ff, s_rz, r, z = vals.T
    R = np.hypot(r, z)
    er, ez = r / R, z / R  # e_ρ; e_θ = (ez, −er)
    got = {
        "rho": er * er * s_rr + 2 * er * ez * s_rz + ez * ez * s_zz,
        "theta": ez * ez * s_rr - 2 * er * ez * s_rz + er * er * s_zz,
        "phi": s_ff,
        "shear": er * ez * (s_rr - s_zz) + (ez * ez - er * er) * s_rz,
    }
    q, D = (b / R) ** (3 / n), (b / a) ** (3 / n) - 1
    tang = p * ((3 / (2 * n) - 1) * q + 1) / D
    ref = {"rho": -p * (q - 1) / D, "theta": tang, "phi": tang, "shear": 0.0 * R}
    err = max(np.abs(got[k] - ref[k]).max(initial=0.0) for k in ref)
    return comm.allreduce(err, op=MPI.MAX) / p


def test_tube_steady_creep_bailey_and_p1_locking():
    """Bailey's steady-creep stresses of a thick tube (plane strain, incompressible creep):
    σ_rr = −p (ρ − 1)/D, σ_θθ = p ((2/n − 1)ρ + 1)/D, σ_zz = (σ_rr + σ_θθ)/2, ρ = (b/r)^(2/n),
    D = (b/a)^(2/n) − 1: P2 within 2 % of p; P1 locks (volume-preserving creep)."""
    err2, _ = tube(MPI.COMM_WORLD, 2)
    err1, _ = tube(MPI.COMM_WORLD, 1)
    assert err2 < 0.02, err2
    assert err1 > 10 * err2, (err1, err2)  # P1 locks


def test_sphere_steady_creep_bailey():
    """Bailey's steady-creep stresses of a thick-walled sphere (Kraus 1980; Odqvist 1974):
    σ_ρρ = −p (q − 1)/D, σ_θθ = σ_φφ = p ((3/(2n) − 1) q + 1)/D, q = (b/ρ)^(3/n),
    D = (b/a)^(3/n) − 1, no shear σ_ρθ: axisymmetric P2 within 2 % of p at every quadrature
    point."""
    err = sphere(MPI.COMM_WORLD, 2)
    assert err < 0.02, err


def _serial_tube(path):
    import json

    err, u = tube(MPI.COMM_SELF, 2, nr=8, steps=10)
    path.mkdir(parents=True)
    (path / "tube.json").write_text(json.dumps({"err": err, "u": u}))


@pytest.mark.mpi
@serial_reference("creep_tube", _serial_tube)
def test_tube_same_on_all_rank_counts(serial_ref):
    """The tube on all ranks and on one rank: the same stresses and inner displacement."""
    import json

    err_w, u_w = tube(MPI.COMM_WORLD, 2, nr=8, steps=10)
    ref = json.loads((serial_ref / "tube.json").read_text())
    err_s, u_s = ref["err"], ref["u"]
    assert err_w == pytest.approx(err_s, rel=1e-6)
    assert u_w == pytest.approx(u_s, rel=1e-6)


# ------------------------------------------------------------------ the full FE model (case files)
def _li_creep_case(per_decade: int, degree: int = 1) -> dict:
    """Li (LePage creep) | LLZO flat bilayer on rollers, 2 MPa applied in 10 µs, then held."""
    steps = [{"kind": "hold", "duration": "1e-5 s", "n_steps": 1}]
    t = 1e-5
    for end in (0.01, 0.1, 1.0, 10.0):
        steps.append({"kind": "hold", "duration": end - t, "n_steps": per_decade})
        t = end
    return {
        "geometry": {
            "family": "bilayer",
            "dim": 2,
            "W": "10 um",
            "t_e": "5 um",
            "t_s": "10 um",
            "h_max": "5 um",
        },  # fmt: skip
        "materials": {"electrode": "Li", "electrolyte": "LLZO"},
        "loading": {"stack_pressure": "2 MPa", "protocol": steps},
        "physics": {"mechanics": True, "inelastic": True, "degree": degree},
        "output": {"fields": False, "preview": False},
    }


def test_li_layer_creeps_under_stack_pressure(tmp_path):
    """The full model: a flat Li layer (uniaxial strain, σ_zz = −P held) relaxes its deviatoric
    stress q = σ_xx − σ_zz by Norton creep, q̇ = −E/(2(1−ν)) A' qⁿ from q0 = P(1−2ν)/(1−ν); the
    volume strain σ_m/K then grows and the top moves by Δu = −t_Li (2/3)(q0 − q(t))/K (the
    interface and LLZO stay elastic at constant stress). Within 1 % of the full relaxation
    amplitude (backward Euler, 40 steps per decade of time)."""
    from solver.config import case_from_dict
    from tests.ec_helpers import run

    rows, _ = run(case_from_dict(_li_creep_case(40)), tmp_path / "li")
    E, nu, n, P, t_li = 4.9e9, 0.42, 6.6, 2e6, 5e-6
    Ap = float(LI.rate_factor(298.15))
    K, Mq = E / (3 * (1 - 2 * nu)), E / (2 * (1 - nu))
    q0 = P * (1 - 2 * nu) / (1 - nu)
    amp = t_li * (2 / 3) * q0 / K
    u0, t0 = rows[0]["top_displacement"], rows[0]["time"]
    worst = 0.0
    for r in rows[1:]:
        q = (q0 ** (1 - n) + (n - 1) * Mq * Ap * (r["time"] - t0)) ** (1 / (1 - n))
        du = -t_li * (2 / 3) * (q0 - q) / K
        worst = max(worst, abs(r["top_displacement"] - u0 - du) / amp)
    assert q / q0 < 0.5  # it relaxed
    assert worst < 0.01, worst


def test_sls_pad_in_the_stack_under_constant_pressure(tmp_path):
    """The full model: the polymer_pad SLS (E1 = 40, E2 = 20 MPa, τ = 1 h, ν = 0.45) on rollers
    under a stack pressure P applied in 1 ms and held: the pad is in uniaxial strain, its creep
    compliance is the constrained one, J_M(t) = [1/E∞ − (1/E∞ − 1/E0) exp(−t/τ_c)]/f with
    f = (1−ν)/((1+ν)(1−2ν)), τ_c = τ E0/E∞, so the top moves by Δu = −P t_pad (J_M(t) − J_M(0))
    (the rest elastic at constant stress). 60 steps over 15 h: within 0.5 % of the amplitude."""
    from tests.ec_helpers import run
    from tests.mech_helpers import pad_stack_case

    steps = [
        {"kind": "hold", "duration": "1e-3 s", "n_steps": 1},
        {"kind": "hold", "duration": "15 h", "n_steps": 60},
    ]
    rows, _ = run(pad_stack_case(steps), tmp_path / "pad")
    E1, E2, tau, nu, P, t_pad = 40e6, 20e6, 3600.0, 0.45, 1e6, 2e-6
    E0, f = E1 + E2, (1 - nu) / ((1 + nu) * (1 - 2 * nu))
    tau_c = tau * E0 / E2
    amp = P * t_pad / f * (1 / E2 - 1 / E0)
    u0, t0 = rows[0]["top_displacement"], rows[0]["time"]
    worst = max(
        abs(r["top_displacement"] - u0 + amp * (1 - np.exp(-(r["time"] - t0) / tau_c))) / amp
        for r in rows[1:]
    )
    assert worst < 5e-3, worst


def _serial_li_creep(path):
    from solver import api
    from solver.config import case_from_dict

    api.run(case_from_dict(_li_creep_case(3, degree=2)), path, comm=MPI.COMM_SELF)


@pytest.mark.mpi
@serial_reference("li_creep_case", _serial_li_creep)
def test_li_creep_case_same_on_all_rank_counts(shared_tmp, serial_ref):
    """The Li creep case (P2) on 2 ranks and on 1: the same time series (1e-6)."""
    from solver import api
    from solver.config import case_from_dict
    from solver.metrics import read_timeseries

    world = MPI.COMM_WORLD
    raw = _li_creep_case(3, degree=2)
    api.run(case_from_dict(raw), shared_tmp / "np2", comm=world)
    world.barrier()
    if world.rank != 0:
        return
    a = read_timeseries(serial_ref / "timeseries.csv")
    b = read_timeseries(shared_tmp / "np2" / "timeseries.csv")
    assert len(a) == len(b) == 13
    for ra, rb in zip(a, b):
        for col in ("top_displacement", "elastic_energy", "external_work"):
            assert ra[col] == pytest.approx(rb[col], rel=1e-6, abs=1e-30), (col, ra["step"])


def test_internal_variable_packing_round_trips():
    """The 6-vector storage of the creep/viscous strains ([xx, yy, zz, xy, xz, yz]) and its
    3x3 tensor: sym_vector(sym_tensor(q)) = q, and the tensor is the symmetric one with q's
    shear components where they belong (a 3D shear creep strain in the yz plane would otherwise
    be stored as xz). Evaluated by assembling over a unit cube (volume 1)."""
    msh = mesh.create_unit_cube(MPI.COMM_SELF, 1, 1, 1)
    q = ufl.as_vector([fem.Constant(msh, float(v)) for v in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)])
    t = I.sym_tensor(q)
    dx = ufl.dx(domain=msh)
    expect = np.array([[1.0, 4.0, 5.0], [4.0, 2.0, 6.0], [5.0, 6.0, 3.0]])
    for i in range(3):
        for j in range(3):
            val = fem.assemble_scalar(fem.form(t[i, j] * dx))
            assert val == pytest.approx(expect[i, j], rel=1e-12), (i, j)
    back = I.sym_vector(t)
    for k in range(6):
        assert fem.assemble_scalar(fem.form(back[k] * dx)) == pytest.approx(k + 1.0, rel=1e-12)
