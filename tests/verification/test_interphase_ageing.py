"""docs/validation.md item 11: interphase growth on Γ_int inside the FE model (physics.ageing).

Reference (pointwise closed forms, docs/theory.md §7.2; seed 000):

* thickness h(x, t) = sqrt(h0² + 2 Ω D(T(x)) c∞ t), D(T) = D_ref exp[−(E_a/R)(1/T − 1/T_ref)]
  (parabolic, diffusion-limited growth at the local interface temperature T(x));
* temperature T(x): 1D conduction through the column at x (electrode of thickness y_i(x), the
  Kapitza conductance h_bonded of Γ_int, electrolyte of thickness H − y_i(x)) between the fixed
  bottom and top temperatures; Γ_int's temperature is the mean of its two sides;
* pressure p(x, t) = δ/(h/E' + C(x)), C(x) = y_i/M_e + (H − y_i)/M_s + 1/K_c: the column's layers
  in series under the platen displacement δ, roller sides (uniaxial strain: the constrained
  modulus M = E(1 − ν)/((1 + ν)(1 − 2ν))), the contact penalty K_c of the interface in series;
* t*(x) = (h*² − h0²)/(2ΩD(T(x))c∞), h* = E'(δ/p_min − C(x)); the FE's t* (first time the
  smallest Γ_int pressure falls below p_min) is min_x t*(x).

The columns act independently when the temperature and the interface height vary slowly along
x against the stack height and the bulk Poisson ratios are 0: here a sinusoidal Γ_int of
wavelength λ = W = 2 mm and amplitude 2 µm in a 10 µm stack (the shear coupling of the columns is
of order (2πH/λ)² = 1e-3 of the non-uniform part), ν = 0 in both layers (then M = E). With ν ≠ 0
the columns are not independent even for λ → ∞: the bonded layers share their lateral strain
while the lateral force Σ t_i σ_xx is uniform along x (shear-free top and bottom), and this
moved the pressure by 0.3 % (hot points up, cold points down) and t* by 1.7 % with the presets'
ν; that is elasticity, not the interphase model, so the test removes it.
The temperature along Γ_int spans ~13 K (300 K bottom, 340 K top), which with E_a = 60 kJ/mol
makes D vary by ~2.6x along the interface. The interphase compliance h/E' is 1.3x the rest of
the column's compliance C at the first point's t* and ~10x at the end of the year (asserted:
> 1 at t*, > 3 at the end; the series form matters, neither part is negligible at t*).
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from mpi4py import MPI

from solver.reduced import sei_thickness, sei_time_to_contact_loss_series
from tests.conftest import serial_reference
from tests.ec_helpers import case, read_run, run

R = 8.314462618
YEAR = 365 * 86400.0
W, T_E, T_S, A = 2e-3, 5e-6, 5e-6, 2e-6
D_REF, EA, OMEGA, C_INF, E_SEI = 1e-19, 60e3, 1e-5, 1e3, 1e9
DELTA, P_MIN = 5e-9, 40e6
T_BOT, T_TOP, T_REF = 300.0, 340.0, 298.15


def nonuniform_case():
    return case(
        {
            "geometry": {
                "family": "bilayer",
                "dim": 2,
                "W": W,
                "t_e": T_E,
                "t_s": T_S,
                "interface": "sinusoid",
                "amplitude": A,
                "wavelength": W,
                "h_max": "10 um",
                "h_interface": "10 um",
            },
            "materials": {
                "electrode": {"preset": "NMC811", "alpha_th": 0.0, "nu": 0.0},
                "electrolyte": {"preset": "LLZO", "alpha_th": 0.0, "nu": 0.0},
            },
            "loading": {
                "pressure_mode": "displacement",
                "temperature": "320 K",
                "T_ref": T_REF,
                "protocol": [
                    {"kind": "hold", "duration": "1 s", "n_steps": 1, "displacement": -DELTA},
                    {"kind": "rest", "duration": YEAR, "n_steps": 1},
                ],
            },
            "physics": {
                "mechanics": True,
                "ageing": True,
                "thermal": True,
                "electrochemistry": False,
            },
            "thermal": {"top": "fixed", "bottom": "fixed", "T_top": T_TOP, "T_bottom": T_BOT},
            "ageing": {
                "sei_D": D_REF,
                "sei_Ea": EA,
                "sei_molar_volume": OMEGA,
                "sei_c_inf": C_INF,
                "sei_E": E_SEI,
                "p_min": P_MIN,
                "rtol": 0.1,
            },
            "output": {"fields": False},
        },
        replace=("geometry", "materials", "loading", "physics", "thermal", "ageing"),
    )


def run_points(c, comm):
    """Run the case with the stepper; return (rows, t*, x, h, T, p) at the interface points
    of this rank at the end."""
    from solver import stepping
    from tests.ec_helpers import simulation

    sim, _dom = simulation(c, comm)
    segs = stepping.segments_from_protocol(c.loading["protocol"], {"pressure": 0.0})
    rows = []
    initial = {"pressure": 0.0, "soc": 0.0, "temperature": c.loading["temperature"],
               "displacement": 0.0, "load_factor": 0.0, "time": 0.0}  # fmt: skip
    st = stepping.Stepper(sim, segs, initial, observers=[lambda i: rows.append(sim.row(i))])
    st.run()
    im = sim._itf_mech()
    n = im.Q.dofmap.index_map.size_local
    x = im.Q.tabulate_dof_coordinates()[:n, 0]
    h = im.h_old.x.array[:n].copy()
    T = sim.mech.interface_point_values(im, sim.mech.interface_temperature(im))[:n]
    p = -sim.mech.interface_point_values(im, im.state.t_n)[:n]
    out = rows, sim.t_star, x, h, T, p, sim
    return out


def constrained(E, nu):
    return E * (1 - nu) / ((1 + nu) * (1 - 2 * nu))


def column_closed_forms(c, x, K_c):
    """T(x) and C(x) of the independent columns (module docstring)."""
    m = c.materials
    e, s = m["electrode"], m["electrolyte"]
    y = T_E + A * np.sin(2 * np.pi * x / W)
    H = T_E + T_S
    h_b = c.thermal["h_bonded"]
    r_e, r_s = y / e["k_th"], (H - y) / s["k_th"]
    q = (T_TOP - T_BOT) / (r_e + 1.0 / h_b + r_s)
    T = T_BOT + q * (r_e + 0.5 / h_b)
    C = y / constrained(e["E"], e["nu"]) + (H - y) / constrained(s["E"], s["nu"]) + 1.0 / K_c
    return T, C


@pytest.mark.serial
def test_interphase_pointwise_closed_forms():
    c = nonuniform_case()
    rows, t_star, x, h, T, p, sim = run_points(c, MPI.COMM_SELF)
    T_cf, C = column_closed_forms(c, x, sim.law.K_c)
    t_end = rows[-1]["time"]
    assert t_end == pytest.approx(YEAR + 1.0)
    assert len(rows) <= 200  # adaptive steps on h (ageing.rtol)
    # the interface temperature: non-uniform, and the column conduction
    assert T.max() - T.min() > 5.0
    assert np.abs(T - T_cf).max() < 0.05
    # thickness at every point (grown over the whole run; h0 = 0)
    D = D_REF * np.exp(-EA / R * (1 / T_cf - 1 / T_REF))
    h_cf = np.sqrt(2 * OMEGA * D * C_INF * t_end)
    assert np.allclose(h, h_cf, rtol=0.01)
    assert h.max() / h.min() > 1.2
    # the reduced library's definition is the same law
    assert np.allclose(h_cf, sei_thickness(t_end, 0.0, OMEGA, D, C_INF), rtol=1e-12)
    # pressure: the interphase compliance in series with the column
    p_cf = DELTA / (h_cf / E_SEI + C)
    assert np.allclose(p, p_cf, rtol=0.01)
    ratio = (h_cf / E_SEI / C).max()
    assert ratio > 3.0  # the interphase compliance against the column's
    # t*: the first point to lose contact
    t_cf = sei_time_to_contact_loss_series(E_SEI, DELTA, P_MIN, C, 0.0, OMEGA, D, C_INF)
    k = int(np.argmin(t_cf))
    h_star = sei_thickness(t_cf[k], 0.0, OMEGA, D[k], C_INF)
    assert h_star / E_SEI / C[k] > 1.0  # compliance ratio at t* (1.3)
    assert t_star is not None
    assert t_star == pytest.approx(float(np.min(t_cf)), rel=0.01)
    # the mean resistance column is h/κ_sei
    mean_h = rows[-1]["interphase_thickness_mean"]
    assert rows[-1]["interphase_resistance_mean"] == pytest.approx(
        mean_h / c.interface["kappa_sei"] * 1e4, rel=1e-12
    )


def flat_ec_case(beta: float = 0.0, ec: bool = True):
    """A flat 1D-like stack at a uniform 330 K, a current through linear kinetics, the platen
    held: the interphase resistance adds to R_ct, its compliance and growth strain to the stack."""
    return case(
        {
            "geometry": {
                "family": "stack",
                "dim": 2,
                "W": "10 um",
                "t_e": "10 um",
                "t_s": ["10 um"],
                "t_c": 0,
                "t_counter": 0,
                "t_pad": 0,
                "h_max": "5 um",
            },
            "materials": {  # no thermal strain at 330 K (T_ref is the stress-free temperature)
                "electrode": {"preset": "NMC811", "alpha_th": 0.0, "ocv": 3.7},
                "electrolyte": {"preset": "LLZO", "alpha_th": 0.0},
            },
            "interface": {
                "kinetics": "linear",
                "R_ct": "10 Ohm cm^2",
                "h_sei0": "2 nm",
                "kappa_sei": 1e-7,
                "microcontact": "none",
            },
            "loading": {
                "pressure_mode": "displacement",
                "temperature": "330 K",
                "T_ref": T_REF,
                "current_density": "0.1 mA/cm^2",
                "protocol": [
                    {"kind": "hold", "duration": "1 s", "n_steps": 1, "displacement": -DELTA},
                    {"kind": "current" if ec else "rest", "duration": "3 d", "n_steps": 1},
                ],
            },
            "physics": {"mechanics": True, "ageing": True, "electrochemistry": ec},
            "ageing": {
                "sei_D": D_REF,
                "sei_Ea": EA,
                "sei_E": E_SEI,
                "p_min": P_MIN,
                "sei_growth_strain": beta,
                "rtol": 0.2,
            },
            "output": {"fields": False},
        },
        replace=("geometry", "materials", "interface", "loading", "physics", "ageing"),
    )


@pytest.mark.serial
def test_interphase_resistance_in_the_ion_path(tmp_path):
    """ASR_interfacial = R_ct + h(t)/κ_sei at every step of a current step at 330 K."""
    rows, summary = run(flat_ec_case(), tmp_path / "run")
    D = D_REF * math.exp(-EA / R * (1 / 330.0 - 1 / T_REF))
    n = 0
    for r in rows[1:]:
        if r["current_density_applied"] == 0:
            continue
        h = math.sqrt(2e-9**2 + 2 * OMEGA * D * C_INF * r["time"])
        assert r["interphase_thickness_max"] == pytest.approx(h, rel=1e-3)
        # Ω cm²: R_ct + h/κ
        assert r["asr_interfacial"] == pytest.approx(10.0 + h / 1e-7 * 1e4, rel=0.01)
        n += 1
    assert n > 5
    assert rows[-1]["asr_interfacial"] > 1.5 * 10.0  # the interphase resistance matters


@pytest.mark.serial
def test_growth_strain_sign(tmp_path):
    """β > 0 (a less dense product) raises the held pressure: p = (δ + β(h − h0))/(h/E' + C)."""
    r0, _ = run(flat_ec_case(0.0, ec=False), tmp_path / "a")
    r1, _ = run(flat_ec_case(0.01, ec=False), tmp_path / "b")
    p0, p1 = r0[-1]["mean_pressure"], r1[-1]["mean_pressure"]
    h = r1[-1]["interphase_thickness_max"]
    C_total = DELTA / p0  # h/E' + C of the same run without growth strain
    assert C_total == pytest.approx(h / E_SEI + DELTA / r0[0]["mean_pressure"] - 2e-9 / E_SEI,
                                    rel=0.01)  # fmt: skip
    assert p1 == pytest.approx((DELTA + 0.01 * (h - 2e-9)) / C_total, rel=1e-3)
    assert p1 > 1.1 * p0


def calendar_case(rtol: float = 0.05):
    """The shipped cases/stack_calendar_ageing.toml (a one-year rest under physics.ageing: the
    pad relaxes, τ = 1 h, and the interphase grows), without field output."""
    from solver.config import case_from_dict
    from tests.conftest import ROOT

    raw = tomllib.loads((ROOT / "cases" / "stack_calendar_ageing.toml").read_text())
    raw["ageing"]["rtol"] = rtol
    raw["output"] = {"fields": False, "preview": False}
    return case_from_dict(raw)


@pytest.mark.serial
def test_calendar_year_of_the_stack_case(tmp_path):
    """One year of rest of the shipped stack in <= 200 steps and <= 2 min on one core, the pad
    relaxing (SLS, τ = 1 h, physics.ageing) and the interphase growing: once the pad has relaxed
    (t ≫ τ; the growth is slow against τ) the pressure follows δ/(h/E' + C∞) with the relaxed
    stack compliance C∞ = C₀ + t_pad (1/M∞ − 1/M₀) (C₀ from the first step's pressure, M the
    pad's constrained moduli f E2, f (E1 + E2)), and t* the series closed form with C∞ (1 %)."""
    import time

    t0 = time.perf_counter()
    rows, summary = run(calendar_case(), tmp_path / "run", comm=MPI.COMM_SELF)
    wall = time.perf_counter() - t0
    assert rows[-1]["time"] == pytest.approx(YEAR + 1.0)
    assert len(rows) <= 200
    assert wall <= 120.0
    D = D_REF  # 298.15 K
    h = math.sqrt(2 * OMEGA * D * C_INF * YEAR)
    assert rows[-1]["interphase_thickness_max"] == pytest.approx(h, rel=1e-3)
    first = next(r for r in rows if r["time"] >= 1.0)
    E_cal = 2e6
    C0 = 0.5e-6 / first["mean_pressure"] - first["interphase_thickness_max"] / E_cal
    f = 0.55 / (1.45 * 0.1)  # polymer_pad: ν = 0.45, E1 = 40 MPa, E2 = 20 MPa
    C = C0 + 10e-6 * (1 / (f * 20e6) - 1 / (f * 60e6))
    assert h / E_cal / C > 0.5
    day = next(r for r in rows if r["time"] >= 86400.0)  # the pad has relaxed (24 τ)
    p_day = 0.5e-6 / (day["interphase_thickness_max"] / E_cal + C)
    assert day["interphase_pressure_min"] == pytest.approx(p_day, rel=0.005)
    assert day["interphase_pressure_min"] < 0.4 * first["mean_pressure"]
    assert rows[-1]["interphase_pressure_min"] == pytest.approx(0.5e-6 / (h / E_cal + C), rel=0.005)
    t_cf = sei_time_to_contact_loss_series(E_cal, 0.5e-6, 2.5e6, C, 0.0, OMEGA, D, C_INF)
    assert 0.1 * YEAR < t_cf < YEAR
    assert summary["ageing"]["t_star"] == pytest.approx(float(t_cf), rel=0.01)


def _serial_calendar(path):
    run(calendar_case(0.2), path, comm=MPI.COMM_SELF)


@pytest.mark.mpi
@serial_reference("ageing_calendar", _serial_calendar)
def test_ageing_one_and_two_ranks_agree(shared_tmp, serial_ref):
    """The one-year stack run on the world's 2 ranks equals the serial run (1e-6; ageing.rtol
    0.2: fewer, longer steps)."""
    comm = MPI.COMM_WORLD
    rows2, s2 = run(calendar_case(0.2), shared_tmp / "ageing_mpi", comm=comm)
    rows1, s1 = read_run(serial_ref)
    assert len(rows1) == len(rows2)
    for a, b in zip(rows1, rows2):
        for k in ("time", "interphase_thickness_max", "interphase_pressure_min", "mean_pressure"):
            assert b[k] == pytest.approx(a[k], rel=1e-6), k
    assert s2["ageing"]["t_star"] == pytest.approx(s1["ageing"]["t_star"], rel=1e-6)


@pytest.mark.serial
def test_screen_and_fe_agree_on_t_star(tmp_path):
    """Where the screen's closed form (7.2)-(7.3) is exact, a rigid rest of the stack (bulk
    E = 1e15 Pa: C_stack/(h*/E') = 2e-4), FE and screen give the same t* (1 %): the same growth
    law, Arrhenius D at the (uniform) temperature, h0 and p_min."""
    from solver.screen import screen_case

    delta = 2e-9
    c = case(
        {
            "geometry": {
                "family": "stack",
                "dim": 2,
                "W": "10 um",
                "t_e": "10 um",
                "t_s": ["10 um"],
                "t_c": 0,
                "t_counter": 0,
                "t_pad": 0,
                "h_max": "5 um",
            },
            "materials": {
                "electrode": {"preset": "NMC811", "E": 1e15, "alpha_th": 0.0},
                "electrolyte": {"preset": "LLZO", "E": 1e15, "alpha_th": 0.0},
            },
            "interface": {"h_sei0": "1 nm"},
            "loading": {
                "pressure_mode": "displacement",
                "temperature": "318.15 K",
                "protocol": [
                    {"kind": "hold", "duration": "1 s", "n_steps": 1, "displacement": -delta},
                    {"kind": "rest", "duration": YEAR, "n_steps": 1},
                ],
            },
            "physics": {"mechanics": True, "ageing": True, "electrochemistry": False},
            "ageing": {
                "sei_D": D_REF,
                "sei_Ea": "50 kJ/mol",
                "sei_E": E_SEI,
                "p_min": "20 MPa",
                "stack_displacement": delta,
            },
            "output": {"fields": False},
        },
        replace=("geometry", "materials", "interface", "loading", "physics", "ageing"),
    )
    _rows, summary = run(c, tmp_path / "run")
    t_screen = screen_case(c)["quantities"]["t_star_interphase"]["value"]
    assert 0.01 * YEAR < t_screen < YEAR
    assert summary["ageing"]["t_star"] == pytest.approx(t_screen, rel=0.01)


@pytest.mark.serial
def test_growth_under_a_temperature_history(tmp_path):
    """A rest whose temperature ramps 298 -> 338 K over 30 days: h² = 2Ωc∞ ∫ D(T(t)) dt (scipy
    quad) within 0.1 % at every step (the trapezoidal mean of D over each step; the end-point
    temperature alone overestimated h by 2 % here)."""
    from scipy.integrate import quad

    month = 30 * 86400.0
    d = {
        "geometry": {
            "family": "stack",
            "dim": 2,
            "W": "10 um",
            "t_e": "10 um",
            "t_s": ["10 um"],
            "t_c": 0,
            "t_counter": 0,
            "t_pad": 0,
            "h_max": "5 um",
        },
        "materials": {
            "electrode": {"preset": "NMC811", "alpha_th": 0.0},
            "electrolyte": {"preset": "LLZO", "alpha_th": 0.0},
        },
        "loading": {
            "pressure_mode": "displacement",
            "temperature": T_REF,
            "T_ref": T_REF,
            "protocol": [
                {"kind": "hold", "duration": "1 s", "n_steps": 1, "displacement": "-10 nm"},
                {"kind": "rest", "duration": month, "n_steps": 1, "temperature": T_REF + 40},
            ],
        },
        "physics": {"mechanics": True, "ageing": True, "electrochemistry": False},
        "ageing": {"sei_D": D_REF, "sei_Ea": EA, "sei_E": E_SEI},
        "output": {"fields": False},
    }
    rows, _ = run(case(d, replace=tuple(d)), tmp_path / "run")
    assert len(rows) <= 200

    def D(t):
        T = T_REF + 40 * max(t - 1.0, 0.0) / month
        return D_REF * math.exp(-EA / R * (1 / T - 1 / T_REF))

    for r in rows:
        h = math.sqrt(2 * OMEGA * C_INF * quad(D, 0.0, r["time"], limit=200)[0])
        assert r["interphase_thickness_max"] == pytest.approx(h, rel=1e-3)
    assert rows[-1]["temperature"] == pytest.approx(T_REF + 40)


def test_step_limit_is_the_inverse_of_the_growth_law():
    """The ageing step control's Δt at points (h, T): growing for Δt by the closed form
    h(Δt) = sqrt(h² + 2ΩD(T)c∞Δt) brings the limiting point exactly to h + rtol (h + 1 nm)
    (1e-12) and no point beyond it; a set of points with nothing to grow (a rank that owns no
    Γ_int point, or D = 0) gives an unlimited step (inf)."""
    import solver.petsc_env  # noqa: F401  (before dolfinx)

    from solver.physics.interphase import Interphase

    kw = dict(h0=5e-9, Ea=60e3, Omega=1e-5, c_inf=1e3, E=10e9, kappa=1e-6, beta=0.0)
    ip = Interphase(D_ref=1e-19, T_ref=298.15, rtol=0.05, p_min=1e5, **kw)
    h = np.array([0.0, 5e-9, 20e-9])
    T = np.array([300.0, 330.0, 310.0])
    dt = ip.step_limit(h, T)
    D = 1e-19 * np.exp(-60e3 / 8.314462618 * (1 / T - 1 / 298.15))
    grown = sei_thickness(dt, h, 1e-5, D, 1e3)
    allowed = h + 0.05 * (h + 1e-9)
    assert np.all(grown <= allowed * (1 + 1e-12))
    assert np.max(grown / allowed) == pytest.approx(1.0, rel=1e-12)
    assert ip.step_limit(np.array([]), np.array([])) == math.inf
    still = Interphase(D_ref=0.0, T_ref=298.15, rtol=0.05, p_min=1e5, **kw)
    assert still.step_limit(h, T) == math.inf
