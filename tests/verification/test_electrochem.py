"""Electrochemistry through the contact-gated interface (docs/validation.md items 7, 8, 13 and the
electrochemistry issue's acceptance checks), each against a closed form:

* 1D series resistance: V = j (t_e/σ_e + R_ct + t_s/κ_s), exact to 1e-10 relative (linear
  kinetics, galvanostatic and potentiostatic, with and without the mechanics gating), and with
  Arrhenius conductivities at a uniform temperature;
* symmetric Butler–Volmer: interfacial overpotential η = (2RT/F) asinh(j/(2 i0));
* Holm constriction of an equipotential contact spot of radius a on a flux tube of radius b and
  length L: R = ψ(a/b)/(4κa) + L/(κπb²) within 1 %;
* current constriction around a debonded, open patch: j_n/j_app = A_app/A_active far from the
  patch edges; ASR grows monotonically with the debonded fraction;
* pressure dependence with the plastic micro-contact law;
* Butler–Volmer behind an interphase resistance: the scalar series equation solved by brentq;
* charge and Li balance over a charge/discharge cycle to 1e-8.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mpi4py import MPI

from tests.ec_helpers import case, run, simulation

F, R = 96485.33212, 8.314462618
KAPPA_LLZO, SIGMA_NMC = 0.05, 0.18


@pytest.mark.parametrize("mechanics", [False, True], ids=["ec", "ec+mechanics"])
def test_series_resistance_is_exact(tmp_path, mechanics):
    c = case({"physics": {"mechanics": mechanics}})
    rows, summary = run(c, tmp_path / "run")
    j = 10.0  # 1 mA/cm^2
    r_total = 10e-6 / SIGMA_NMC + 10e-4 + 20e-6 / KAPPA_LLZO  # Ohm m^2
    for r in rows:
        assert r["voltage"] == pytest.approx(j * r_total, rel=1e-10)
        assert r["asr_total"] == pytest.approx(r_total * 1e4, rel=1e-10)
        assert r["asr_interfacial"] == pytest.approx(10.0, rel=1e-10)
        assert r["charge_balance_error"] < 1e-9
    assert summary["status"] == "completed"


def test_a_static_interphase_adds_its_resistance_in_series(tmp_path):
    """A fixed interphase of thickness h and ionic conductivity κ_sei on Γ_int (no ageing) is
    one more layer in series: V = j (t_e/σ_e + R_ct + h/κ_sei + t_s/κ_s), 1e-10."""
    h, kappa = 10e-9, 1e-5  # h/κ = 1e-3 Ω m² = 10 Ω cm²
    c = case({"interface": {"h_sei0": h, "kappa_sei": kappa}})
    rows, _ = run(c, tmp_path / "run")
    r_total = 10e-6 / SIGMA_NMC + 10e-4 + h / kappa + 20e-6 / KAPPA_LLZO
    for r in rows:
        assert r["voltage"] == pytest.approx(10.0 * r_total, rel=1e-10)


def test_series_resistance_at_a_uniform_temperature_is_arrhenius(tmp_path):
    """At a uniform T = 338.15 K (the step temperature, no heat equation) both bulk conductivities
    follow (5.9), σ(T) = σ(T_ref) exp[−(E_a/R)(1/T − 1/T_ref)] with T_ref = 298.15 K (E_a =
    40 kJ/mol for σ_e, 30 kJ/mol for κ; factors 6.7 and 4.2): V = j (t_e/σ_e(T) + R_ct +
    t_s/κ(T)), 1e-10."""
    T, T_ref, Ea_s, Ea_k = 338.15, 298.15, 40e3, 30e3
    c = case(
        {
            "materials": {
                "electrode": {"preset": "NMC811", "ocv": 0.0, "Ea_sigma_e": Ea_s},
                "electrolyte": {"preset": "LLZO", "Ea_kappa": Ea_k},
            },
            "loading": {"temperature": T},
        }
    )
    rows, _ = run(c, tmp_path / "run")

    def arrhenius(Ea):
        return math.exp(-Ea / R * (1 / T - 1 / T_ref))

    r_total = 10e-6 / (SIGMA_NMC * arrhenius(Ea_s)) + 10e-4 + 20e-6 / (KAPPA_LLZO * arrhenius(Ea_k))
    for r in rows:
        assert r["voltage"] == pytest.approx(10.0 * r_total, rel=1e-10)


def test_potentiostatic_series_resistance(tmp_path):
    c = case(
        {
            "loading": {
                "protocol": [{"kind": "voltage", "voltage": 0.1, "duration": "1 s", "n_steps": 1}]
            }
        }
    )
    rows, _ = run(c, tmp_path / "run")
    r_total = 10e-6 / SIGMA_NMC + 10e-4 + 20e-6 / KAPPA_LLZO
    W = 10e-6  # apparent area per unit depth
    assert rows[-1]["current"] == pytest.approx(0.1 / r_total * W, rel=1e-10)


@pytest.mark.parametrize("j_mA", [0.2, 5.0, -3.0])
def test_symmetric_butler_volmer_matches_asinh(tmp_path, j_mA):
    i0 = 10.0  # A/m^2 = 1 mA/cm^2
    c = case(
        {
            "interface": {"kinetics": "butler_volmer", "i0": i0, "alpha_a": 0.5, "alpha_c": 0.5},
            "loading": {"current_density": f"{j_mA} mA/cm^2", "temperature": "298.15 K"},
        }
    )
    rows, _ = run(c, tmp_path / "run")
    j = j_mA * 10.0
    T = 298.15
    eta = 2 * R * T / F * math.asinh(j / (2 * i0))
    r_ohm = 10e-6 / SIGMA_NMC + 20e-6 / KAPPA_LLZO
    last = rows[-1]
    assert last["asr_interfacial"] * 1e-4 * j == pytest.approx(eta, rel=1e-8)
    assert last["voltage"] == pytest.approx(eta + j * r_ohm, rel=1e-8)


def _bv_with_sei():
    """Asymmetric Butler–Volmer (α_a = 0.3, α_c = 0.7, i0 = 1 mA/cm²) behind an interphase of
    h = 10 nm, κ = 1e-5 S/m: the series resistance r_sei = h/κ = 10 Ω cm² (docs/theory.md §5.2)."""
    i0, aa, ac, T = 10.0, 0.3, 0.7, 298.15
    r_sei = 10e-9 / 1e-5
    f = F / (R * T)

    def j_bv(eta):
        return i0 * (math.exp(aa * f * eta) - math.exp(-ac * f * eta))

    over = {
        "interface": {"kinetics": "butler_volmer", "i0": i0, "alpha_a": aa, "alpha_c": ac,
                      "h_sei0": "10 nm", "kappa_sei": 1e-5},
        "loading": {"temperature": f"{T} K"},
    }  # fmt: skip
    return over, j_bv, r_sei


def test_butler_volmer_behind_an_interphase_galvanostatic(tmp_path):
    """1D stack, Butler–Volmer kinetics in series with the interphase resistance (the series
    path Δφ = η + r_sei j(η) of docs/theory.md §5.2): at an imposed current j = −3 mA/cm²
    (cathodic: the α_c = 0.7 branch; the voltage step below is anodic) the kinetic
    overpotential solves j_BV(η) = j (scipy brentq, independent of the solver) and the cell
    voltage is V = η + j (r_sei + t_e/σ_e + t_s/κ_s), to 1e-8 relative (Newton tolerance)."""
    from scipy.optimize import brentq

    over, j_bv, r_sei = _bv_with_sei()
    over["loading"]["current_density"] = "-3 mA/cm^2"
    rows, _ = run(case(over), tmp_path / "run")
    j = -30.0  # A/m²
    eta = brentq(lambda e: j_bv(e) - j, -1.0, 1.0, xtol=1e-15)
    r_ohm = 10e-6 / SIGMA_NMC + 20e-6 / KAPPA_LLZO
    assert abs(eta) > 0.5 * abs(j) * r_sei  # the kinetics and the interphase both count
    assert rows[-1]["voltage"] == pytest.approx(eta + j * (r_sei + r_ohm), rel=1e-8)


def test_butler_volmer_behind_an_interphase_potentiostatic(tmp_path):
    """The same stack at an imposed voltage V = 0.1 V: the current density solves the scalar
    equation V = η + j_BV(η) (r_sei + r_ohm) (brentq for η), to 1e-8 relative."""
    from scipy.optimize import brentq

    over, j_bv, r_sei = _bv_with_sei()
    V = 0.1
    over["loading"]["protocol"] = [{"kind": "voltage", "voltage": V, "duration": "1 s",
                                    "n_steps": 1}]  # fmt: skip
    rows, _ = run(case(over), tmp_path / "run")
    r_s = r_sei + 10e-6 / SIGMA_NMC + 20e-6 / KAPPA_LLZO
    eta = brentq(lambda e: e + j_bv(e) * r_s - V, 0.0, V, xtol=1e-15)
    W = 10e-6  # apparent area per unit depth
    assert rows[-1]["current"] == pytest.approx(j_bv(eta) * W, rel=1e-8)


def test_holm_constriction_resistance(tmp_path):
    """Equipotential spot (σ_e = 1e8 S/m, R_ct → 0) of radius a on an LLZO cylinder of radius b,
    length L, φ_s = 0 on the far face: R = ψ(a/b)/(4κa) + L/(κπb²) + R_ct/(πa²) (Gibson's
    finite-size factor ψ). The edge of the spot is a singularity, so the resistance converges
    slowly (observed order ≈ 0.7 in h): it is measured on three meshes (h = a/20, a/40, a/80)
    and Richardson-extrapolated with the observed order; the limit must be within 1 %."""
    from solver.reduced import flux_tube_resistance

    a, b, L = 2e-6, 20e-6, 40e-6
    R_ct = 1e-8  # Ohm m^2
    R_meas = []
    for k, h in enumerate((0.1, 0.05, 0.025)):
        c = case(
            {
                "geometry": {
                    "family": "asperity",
                    "dim": 2,
                    "axisymmetric": True,
                    "R": "10 um",
                    "a_c": "2 um",
                    "h_cap": "3 um",
                    "W": "20 um",
                    "t_s": "40 um",
                    "h_max": "4 um",
                    "h_interface": f"{h} um",
                },
                "materials": {"electrode": {"preset": "NMC811", "sigma_e": 1e8}},
                "interface": {"R_ct": R_ct},
                "loading": {
                    "protocol": [
                        {"kind": "voltage", "voltage": 1e-3, "duration": "1 s", "n_steps": 1}
                    ]
                },
            },
            replace=("geometry",),
        )
        rows, _ = run(c, tmp_path / f"run{k}")
        R_meas.append(1e-3 / rows[-1]["current"])
    spot = float(flux_tube_resistance(KAPPA_LLZO, a, b))
    R_exact = spot + L / (KAPPA_LLZO * math.pi * b**2) + R_ct / (math.pi * a**2)
    d1, d2 = R_meas[1] - R_meas[0], R_meas[2] - R_meas[1]
    assert d1 > d2 > 0  # monotone convergence from below
    order = math.log2(d1 / d2)
    assert 0.4 < order < 2.0, order
    R_inf = R_meas[2] + d2 / (2**order - 1)
    assert R_inf == pytest.approx(R_exact, rel=0.01)
    assert R_meas[2] == pytest.approx(R_exact, rel=0.015)
    # and the spot term dominates: this is a constriction test, not a bulk one
    assert spot > 0.75 * R_exact


def _patch_run(theta: float):
    """``cases/debonded_patch.toml`` (a flat NMC811 | LLZO bilayer, bonded except a debonded
    patch without registry under no stack pressure: blocking) with the patch x < θ W."""
    import tomllib

    from solver.config import case_from_dict
    from solver.stepping import Stepper, segments_from_protocol
    from tests.conftest import ROOT
    from tests.ec_helpers import merge

    path = ROOT / "cases" / "debonded_patch.toml"
    raw = tomllib.loads(path.read_text())
    W = 40e-6
    patch = [{"shape": "interval", "x": [0.0, theta * W - 1e-12]}] if theta > 0 else []
    raw = merge(raw, {"interface": {"debonded": patch}})
    c = case_from_dict(raw, path)
    sim, dom = simulation(c)
    im = sim.mech.interfaces[0]
    X = im.Q.tabulate_dof_coordinates()[:, 0]
    segs = segments_from_protocol(c.loading["protocol"], {})
    Stepper(sim, segs, {"pressure": 0.0, "time": 0.0, "temperature": 298.15}).run()
    jn = sim.ec.point_values(sim.ec.j_n)
    return sim, X, jn, W


@pytest.mark.parametrize("theta", [0.25, 0.5])
def test_debonded_patch_crowds_current_by_the_area_ratio(theta):
    sim, X, jn, W = _patch_run(theta)
    nloc = sim.ec.Q.dofmap.index_map.size_local
    far = (X > theta * W + 8e-6) & (X < W - 2e-6)
    comm = MPI.COMM_WORLD
    vals = comm.allgather(jn[:nloc][far[:nloc]])
    vals = np.concatenate(vals)
    assert vals.size > 0
    assert np.allclose(vals / 10.0, 1.0 / (1.0 - theta), rtol=0.01)
    shut = comm.allgather(jn[:nloc][(X < theta * W - 2e-6)[:nloc]])
    assert np.max(np.abs(np.concatenate(shut))) < 1e-6 * 10.0  # the open patch is blocking


def test_asr_grows_monotonically_with_debonded_fraction():
    from solver.metrics import electrochemistry_row

    asr = []
    for theta in (0.0, 0.2, 0.4, 0.6, 0.8):
        sim, *_ = _patch_run(theta)
        asr.append(electrochemistry_row(sim)["asr_total"])
    assert all(b > a for a, b in zip(asr, asr[1:])), asr
    # charge transfer dominated: ASR ≈ R_ct/(1 − θ)
    assert asr[-1] / asr[0] == pytest.approx(1 / 0.2, rel=0.05)


@pytest.mark.parametrize("regime", ["kinetics", "constriction"])
def test_plastic_microcontact_pressure_slope(tmp_path, regime):
    """Decohered, pressed interface without registry (a flat NMC811 | LLZO bilayer): the real
    contact fraction is φ = p/H (Bowden & Tabor 1950; H of the softer side); spots of radius a,
    N = φ/(πa²) per m², each with the kinetic resistance R_ct/(πa²) (linear kinetics) in series
    with Holm's spot resistance ψ(√φ)/(4a) (1/κ_s + 1/σ_e) (Holm 1967; Gibson's flux-tube factor
    ψ, Gibson 1976). Per m²: ASR = N⁻¹ [R_ct/(πa²) + ψ/(4a)(1/κ + 1/σ)], to 1e-6 at every
    pressure; both terms ∝ 1/φ, so d ln ASR/d ln p = −1 up to the slow variation of ψ(√φ),
    whether charge transfer or the constriction dominates."""
    from solver.reduced import flux_tube_correction

    H = 6.3e9  # LLZO preset hardness (the softer side here)
    if regime == "kinetics":
        R_ct, a = 1e-3, 1e-9
    else:
        R_ct, a = 1e-9, 1e-6
    pressures = [1e6, 2e6, 4e6, 8e6]
    asr = []
    for k, P in enumerate(pressures):
        c = case(
            {
                "interface": {
                    "R_ct": R_ct,
                    "microcontact": "plastic",
                    "asperity_radius": a,
                    "debonded": [{"shape": "all", "decohesion": 1.0, "registry": False}],
                },
                "loading": {"stack_pressure": P},
                "physics": {"mechanics": True},
            }
        )
        sim, dom = simulation(c)
        from solver.metrics import electrochemistry_row
        from solver.stepping import Segment, Stepper

        Stepper(
            sim,
            [Segment("current", {"pressure": P, "current_density": 10.0}, 1, 1.0)],
            {"pressure": P, "time": 0.0, "temperature": 298.15},
        ).run()
        asr.append(electrochemistry_row(sim)["asr_interfacial"] * 1e-4)
        phi = P / H
        N = phi / (math.pi * a**2)
        psi = float(flux_tube_correction(math.sqrt(phi)))
        per_spot = R_ct / (math.pi * a**2) + psi / (4 * a) * (1 / KAPPA_LLZO + 1 / SIGMA_NMC)
        assert asr[-1] == pytest.approx(per_spot / N, rel=1e-6), k
    slopes = np.diff(np.log(asr)) / np.diff(np.log(pressures))
    assert np.all((slopes > -1.05) & (slopes < -0.95)), slopes


def test_charge_and_li_balance_over_a_cycle(tmp_path):
    """Intercalation electrode with Li transport, mechanics and kinetics, charge then discharge
    then rest: Li inventory change + charge/F = 0 to 1e-8 relative at every step."""
    c = case(
        {
            "materials": {
                "electrode": {"preset": "NMC811", "c_init": 25000.0, "ocv": 3.7, "ocv_slope": -0.5}
            },
            "interface": {"kinetics": "butler_volmer", "i0": 5.0},
            "loading": {
                "protocol": [
                    {
                        "kind": "current",
                        "current_density": "1 mA/cm^2",
                        "duration": "60 s",
                        "n_steps": 3,
                    },
                    {
                        "kind": "current",
                        "current_density": "-1 mA/cm^2",
                        "duration": "60 s",
                        "n_steps": 3,
                    },
                    {"kind": "rest", "duration": "30 s", "n_steps": 1},
                ]
            },
            "physics": {"mechanics": True, "transport": True},
        }
    )
    rows, summary = run(c, tmp_path / "run")
    assert summary["status"] == "completed"
    assert rows[-1]["time"] == pytest.approx(150.0)
    for r in rows:
        assert r["li_balance_error"] < 1e-8
        assert r["c_min"] > 0  # the film is not depleted at this rate
    for r in rows:
        if r["time"] <= 120.0:
            assert r["charge_balance_error"] < 1e-8
    # after the symmetric cycle the net charge is zero and the Li is back
    q = {r["time"]: r["charge_passed"] for r in rows}
    assert abs(q[120.0]) < 1e-9 * abs(q[60.0])
    # soc is the state, mean c/c_max: it moves with the charge passed (Faraday), from c_init
    c_max, V_e = 51765.0, 10e-6 * 10e-6  # NMC811 preset; the electrode's area (per depth)
    soc0 = 25000.0 / c_max
    for r in rows:
        assert r["soc"] == pytest.approx(soc0 - r["charge_passed"] / (F * V_e * c_max), rel=1e-8)
    assert min(r["soc"] for r in rows) < soc0 - 1e-3  # it did move
