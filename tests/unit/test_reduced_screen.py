"""``ssbx screen`` (solver.screen) against hand calculations from the literature.

Each expected value is derived here, per spot or per asperity, from its source (Bowden & Tabor
φ = p/H; Hertz and JKR contact radii, Johnson 1985 §4.2, §5.5; Holm's spot resistance 1/(4κa)
with Gibson's flux-tube factor; Butler–Volmer, Bard & Faulkner; Arrhenius; the fixed points of the
lumped runaway model, docs/theory.md (8.13)–(8.14)) and never by calling the screen's formulas.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest

from solver import reduced as rd
from solver import screen as S
from solver.config import SCHEMA, case_from_dict
from solver.screen import format_screen, screen_case, screen_from_resolved

# the electrode with an open-circuit potential (required with electrochemistry; the screen
# does not read it)
NMC811 = {"preset": "NMC811", "ocv": 0.0}

F, RGAS = 96485.33212, 8.314462618


def case(**sections):
    """A Li | LLZO bilayer (flat, 2D) with the given sections merged in."""
    raw = {
        "geometry": {"family": "bilayer", "dim": 2},
        "materials": {"electrode": "Li", "electrolyte": "LLZO"},
        "interface": {"microcontact": "plastic", "asperity_radius": "1 um", "i0": "1 mA/cm^2"},
        "loading": {"stack_pressure": "0.5 MPa", "current_density": "0.5 mA/cm^2"},
        "physics": {"mechanics": True, "electrochemistry": True},
    }
    for sec, over in sections.items():
        raw[sec] = {**raw.get(sec, {}), **over}
    return case_from_dict(raw)


def values(result):
    return {k: e["value"] for k, e in result["quantities"].items()}


def bv_eta(j, i0, T):
    """Butler–Volmer with α_a = α_c = ½: j = 2 i0 sinh(Fη/2RT)."""
    return 2 * RGAS * T / F * math.asinh(j / (2 * i0))


def spot_asr(p, j_app, *, H, a, kappa, sigma, i0, T, r_sei=0.0):
    """Ω m² of a decohered Li | LLZO interface touching at plastic spots, per spot: φ = p/H
    (Bowden & Tabor), N = φ/(πa²) spots per m², each carrying i = j_app/N at the density
    j_loc = i/(πa²) through Butler–Volmer and the film r_sei, in series with Holm's resistance of
    a spot feeding its flux tube b = a/√φ on each side, ψ(a/b)/(4κa) + ψ(a/b)/(4σa) (Holm 1967;
    Gibson's ψ)."""
    phi = p / H
    N = phi / (math.pi * a**2)
    i = j_app / N
    j_loc = i / (math.pi * a**2)
    psi = float(rd.flux_tube_correction(math.sqrt(phi)))
    holm = psi * (1 / (4 * kappa * a) + 1 / (4 * sigma * a))
    drop = bv_eta(j_loc, i0, T) + j_loc * r_sei + i * holm
    return drop / j_app


def test_decohered_and_bonded_limits_by_hand():
    """Li | LLZO, plastic, Butler–Volmer solved at the current, with an interphase film."""
    c = case(interface={"h_sei0": "10 nm", "kappa_sei": "1e-5 S/m"})
    res = screen_case(c)
    v = values(res)
    H, kappa, sigma = 2.4e6, 0.05, 1.08e7
    assert c.materials["electrode"]["hardness"] == H
    T, i0, j, p, r_sei = 298.15, 10.0, 5.0, 0.5e6, 10e-9 / 1e-5
    assert v["roughness_ratio"] == 1.0
    assert v["hardness"] == H and v["microcontact_fraction"] == pytest.approx(p / H, rel=1e-12)
    assert v["spot_radius"] == 1e-6
    assert v["local_current_density_decohered"] == pytest.approx(j / (p / H), rel=1e-12)
    ref = spot_asr(p, j, H=H, a=1e-6, kappa=kappa, sigma=sigma, i0=i0, T=T, r_sei=r_sei)
    assert v["asr_interfacial_decohered"] == pytest.approx(ref * 1e4, rel=1e-9)
    parts = ("charge_transfer", "constriction", "interphase")
    assert sum(v[f"asr_decohered_{k}"] for k in parts) == pytest.approx(
        v["asr_interfacial_decohered"], rel=1e-12
    )
    bonded = (bv_eta(j, i0, T) + j * r_sei) / j  # every point touches: j_kin = j_app
    assert v["asr_interfacial_bonded"] == pytest.approx(bonded * 1e4, rel=1e-9)
    # the case starts bonded and its mechanics decides: a note, not a number
    assert v["asr_interfacial"] is None
    assert "the FE's to decide" in res["quantities"]["asr_interfacial"]["note"]
    json.dumps(res, allow_nan=False)


def test_fully_decohered_case_and_its_registry():
    """[[interface.debonded]] shape "all": without registry the case's ASR is the decohered
    limit, with registry (surfaces that still mate) the bonded one; half decohered: the two
    paths in parallel, 1/ASR = (1 − D)/(R_ct + r_sei) + Dφ/(R_ct + r_sei + r_spot/… ) per area."""
    lost = [{"shape": "all", "decohesion": 1.0, "registry": False}]
    kept = [{"shape": "all", "decohesion": 1.0, "registry": True}]
    v = values(screen_case(case(interface={"debonded": lost})))
    assert v["asr_interfacial"] == v["asr_interfacial_decohered"]
    v = values(screen_case(case(interface={"debonded": kept})))
    assert v["asr_interfacial"] == v["asr_interfacial_bonded"]
    # linear kinetics, half decohered: parallel conductances per unit apparent area
    R_ct, p, H, a, kappa, sigma = 20e-4, 0.5e6, 2.4e6, 1e-6, 0.05, 1.08e7
    half = [{"shape": "all", "decohesion": 0.5, "registry": False}]
    v = values(screen_case(case(interface={"debonded": half, "kinetics": "linear", "R_ct": R_ct})))
    phi = p / H
    spot = math.pi * a**2 * float(rd.flux_tube_correction(math.sqrt(phi))) / (4 * a)
    spot *= 1 / kappa + 1 / sigma  # Holm per spot × spot area: Ω m² per unit touching area
    g = 0.5 / R_ct + 0.5 * phi / (R_ct + spot)
    assert v["asr_interfacial"] == pytest.approx(1e4 / g, rel=1e-9)


@pytest.mark.parametrize("law", ["hertz", "jkr"])
def test_asperity_arrays_by_hand(law):
    """A square array (spacing ℓ) of spherical asperities R: each carries P = pℓ² over the Hertz
    radius a³ = 3PR/(4E*) or the JKR radius of P = 4E*a³/(3R) − √(8πWE*a³); per asperity
    R_ct/(πa²) + ψ(√φ)/(4a)(1/κ + 1/σ), so ASR = ℓ² × that (linear kinetics)."""
    from scipy.optimize import brentq

    R, ell, W, R_ct, p = 1e-6, 10e-6, 0.2, 25e-4, 0.5e6
    itf = {"microcontact": law, "kinetics": "linear", "R_ct": R_ct, "asperity_spacing": "10 um"}
    v = values(screen_case(case(interface=itf)))
    Es = 1 / ((1 - 0.42**2) / 4.9e9 + (1 - 0.257**2) / 149.8e9)
    assert v["effective_modulus"] == pytest.approx(Es, rel=1e-12)
    P = p * ell**2
    if law == "hertz":
        a = (3 * P * R / (4 * Es)) ** (1 / 3)
    else:

        def jkr(x):
            return 4 * Es * x**3 / (3 * R) - math.sqrt(8 * math.pi * W * Es * x**3) - P

        a = brentq(jkr, 1e-9, R, xtol=1e-22, rtol=1e-14)
        assert v["jkr_zero_load_radius"] == pytest.approx(
            (9 * math.pi * W * R**2 / (2 * Es)) ** (1 / 3), rel=1e-12
        )
    phi = math.pi * a**2 / ell**2
    assert v["spot_radius"] == pytest.approx(a, rel=1e-9)
    assert v["microcontact_fraction"] == pytest.approx(phi, rel=1e-9)
    psi = float(rd.flux_tube_correction(math.sqrt(phi)))
    per = R_ct / (math.pi * a**2) + psi / (4 * a) * (1 / 0.05 + 1 / 1.08e7)
    assert v["asr_interfacial_decohered"] == pytest.approx(ell**2 * per * 1e4, rel=1e-8)
    assert v["asr_interfacial_bonded"] == pytest.approx(R_ct * 1e4, rel=1e-12)


def test_constriction_off_and_microcontact_none():
    v = values(screen_case(case(interface={"constriction": False})))
    p, H, T, i0, j = 0.5e6, 2.4e6, 298.15, 10.0, 5.0
    assert v["asr_interfacial_decohered"] == pytest.approx(
        bv_eta(j / (p / H), i0, T) / j * 1e4, rel=1e-9
    )
    v = values(screen_case(case(interface={"microcontact": "none"})))
    assert v["microcontact_fraction"] == 1.0
    assert v["asr_interfacial_decohered"] == pytest.approx(v["asr_interfacial_bonded"], rel=1e-12)


def test_temperature_moves_conductivities_and_kinetics():
    """κ, σ_e and i0 by Arrhenius about T_ref, and F/RT at the temperature."""
    c = case(
        loading={"temperature": "333.15 K"},
        interface={"Ea_i0": "40 kJ/mol"},
        physics={"mechanics": True, "electrochemistry": True, "thermal": False},
    )
    v = values(screen_case(c))
    T = 333.15

    def arr(Ea):
        return math.exp(-Ea / RGAS * (1 / T - 1 / 298.15))

    kappa, i0 = 0.05 * arr(30.9e3), 10.0 * arr(40e3)
    assert v["kappa_interface"] == pytest.approx(kappa, rel=1e-12)
    assert v["sigma_e_interface"] == pytest.approx(1.08e7, rel=1e-12)  # Li: no Ea_sigma_e
    assert v["i0"] == pytest.approx(i0, rel=1e-12)
    assert v["asr_interfacial_bonded"] == pytest.approx(bv_eta(5.0, i0, T) / 5.0 * 1e4, rel=1e-9)
    ref = spot_asr(0.5e6, 5.0, H=2.4e6, a=1e-6, kappa=kappa, sigma=1.08e7, i0=i0, T=T)
    assert v["asr_interfacial_decohered"] == pytest.approx(ref * 1e4, rel=1e-9)


def test_asymmetric_butler_volmer_and_zero_current():
    c = case(interface={"alpha_a": 0.3, "alpha_c": 0.7})
    v = values(screen_case(c))
    j, i0, f = 5.0, 10.0, F / (RGAS * 298.15)
    eta = v["asr_interfacial_bonded"] * 1e-4 * j
    assert i0 * (math.exp(0.3 * f * eta) - math.exp(-0.7 * f * eta)) == pytest.approx(j, rel=1e-9)
    v = values(screen_case(case(loading={"current_density": 0.0})))
    r_lin = 1 / (f * 10.0 * 1.0)  # small-signal RT/(F i0 (α_a + α_c))
    assert v["asr_interfacial_bonded"] == pytest.approx(r_lin * 1e4, rel=1e-12)


def test_roughness_ratio_from_the_geometry_keys():
    """r = |Γ_int|/A_app: the arc length of y = A sin(2πx/λ) over W (2D), the asperity's
    contact disc over its back face πb², b² = R² − z_c², z_c = h − √(R² − a_c²)."""
    geo = {"family": "bilayer", "dim": 2, "interface": "sinusoid", "amplitude": "1 um"}
    c = case(geometry=geo, interface={"kinetics": "linear", "R_ct": 20e-4})
    v = values(screen_case(c))
    A, lam, W = 1e-6, 10e-6, 20e-6
    x = np.linspace(0, W, 200001)
    arc = np.trapezoid(np.sqrt(1 + (A * 2 * np.pi / lam * np.cos(2 * np.pi * x / lam)) ** 2), x)
    assert v["roughness_ratio"] == pytest.approx(arc / W, rel=1e-9)
    assert v["asr_interfacial_bonded"] == pytest.approx(20 / (arc / W), rel=1e-9)
    q = screen_case(c)["quantities"]["asr_interfacial_bonded"]
    assert "uniform current over Γ_int assumed" in q["note"]
    geo = {"family": "asperity", "dim": 2, "axisymmetric": True}
    v = values(screen_case(case(geometry=geo, materials={"electrode": NMC811})))
    R, a_c, h = 10e-6, 2e-6, 3e-6
    zc = h - math.sqrt(R**2 - a_c**2)
    assert v["roughness_ratio"] == pytest.approx(a_c**2 / (R**2 - zc**2), rel=1e-12)
    geo = {"family": "rough", "dim": 2}
    v = values(screen_case(case(geometry=geo)))
    assert 1.0 < v["roughness_ratio"] < 1.5


def test_what_the_screen_cannot_represent_is_a_note():
    """No number where the screen has no model: the composite's particle bed, a partly
    debonded interface, the runaway of a family other than the axisymmetric asperity."""
    geo = {"family": "composite", "dim": 2}
    res = screen_case(case(geometry=geo, materials={"electrode": NMC811}))
    q = res["quantities"]
    for name in ("roughness_ratio", "asr_interfacial_bonded", "asr_interfacial_decohered"):
        assert q[name]["value"] is None and "composite" in q[name]["note"], name
    part = [{"shape": "interval", "x": ["0 um", "5 um"]}]
    q = screen_case(case(interface={"debonded": part}))["quantities"]
    assert q["asr_interfacial"]["value"] is None
    assert "partly debonded" in q["asr_interfacial"]["note"]
    q = screen_case(case())["quantities"]
    for end in ("lower", "upper"):
        name = f"runaway_critical_current_density_{end}"
        assert q[name]["value"] is None and "'asperity' family" in q[name]["note"]
    text = format_screen(screen_case(case()))
    assert "note: the runaway bracket is built for the 'asperity' family" in text


def runaway_case(**thermal):
    return case_from_dict(
        {
            "geometry": {"family": "asperity", "dim": 2, "axisymmetric": True},
            "materials": {"electrode": NMC811, "electrolyte": "LLZO"},
            "interface": {"kinetics": "linear", "R_ct": "1 Ohm cm^2", "microcontact": "none"},
            "loading": {"current_density": "150 mA/cm^2"},
            "physics": {"mechanics": True, "electrochemistry": True, "thermal": True},
            "thermal": {"h_conv": "20 W/(m^2*K)", "tau_shrink": "10 s", **thermal},
        }
    )


def test_runaway_upper_bound_by_hand():
    """The cool model (kinetics only): R(ψ) = R_ct/(ψπa_c²), G = h_conv(πW² + πb²). At a steady
    state ψ* = 1/(1 + (τ_r/τ_s)(A − 1)), A = exp[−(E_s/R)(1/T − 1/T0)], and I² R(ψ*) = G(T − T0);
    the largest such I over T0 ≤ T ≤ T_cap (T_limit, or where ψ* reaches retention_min) is the
    critical current (Semenov's fold), per unit collector area πb²."""
    res = screen_case(runaway_case())
    v = values(res)
    R, a_c, h, W, T0 = 10e-6, 2e-6, 3e-6, 20e-6, 298.15
    zc = h - math.sqrt(R**2 - a_c**2)
    b2 = R**2 - zc**2
    G = 20.0 * math.pi * (W**2 + b2)
    assert v["runaway_heat_sink_conductance"] == pytest.approx(G, rel=1e-12)
    R_kin = 1e-4 / (math.pi * a_c**2)
    T = np.linspace(T0, 453.65, 2_000_001)
    psi = 1 / (1 + 0.1 * (np.exp(-30e3 / RGAS * (1 / T - 1 / T0)) - 1))
    ok = psi > 0.1
    I2 = np.where(ok, G * (T - T0) * psi / R_kin, 0.0)
    j_up = math.sqrt(I2.max()) / (math.pi * b2)
    assert v["runaway_critical_current_density_upper"] == pytest.approx(j_up, rel=1e-6)
    lo = v["runaway_critical_current_density_lower"]
    assert 0.9 * j_up < lo < j_up  # the bulk adds heat: a lower critical current
    assert v["runaway_margin"] == pytest.approx(lo / 1500.0, rel=1e-12)
    # a heat sink three times better: both ends move by √3 (I_c ∝ √G)
    v3 = values(screen_case(runaway_case(h_conv="60 W/(m^2*K)")))
    W2, b2_ = W**2, b2
    scale = math.sqrt((60 * (W2 + b2_)) / (20 * (W2 + b2_)))
    assert v3["runaway_critical_current_density_upper"] == pytest.approx(j_up * scale, rel=1e-6)
    assert v3["runaway_critical_current_density_lower"] > lo * 1.6


def test_runaway_uses_the_thermal_keys():
    base = values(screen_case(runaway_case()))["runaway_critical_current_density_upper"]
    for th, direction in (
        ({"T_limit": "400 K"}, 0),  # the fold lies below 400 K: unchanged
        ({"tau_recover": "0.5 s"}, +1),  # a faster recovery holds the contact
        ({"Ea_soft": "60 kJ/mol"}, -1),  # stronger softening
        ({"retention_min": 0.9}, -1),  # contact loss counts earlier
        ({"bottom": "insulated"}, -1),  # a smaller heat sink
    ):
        v = values(screen_case(runaway_case(**th)))["runaway_critical_current_density_upper"]
        if direction == 0:
            assert v == pytest.approx(base, rel=1e-9), th
        else:
            assert (v - base) * direction > 0, th
    # no contact shrinkage: the bound is the heating threshold I² R_kin = G (T_limit − T0)
    c = runaway_case()
    c.resolved["thermal"]["tau_shrink"] = None
    q = screen_case(c)["quantities"]
    m = S.asperity_runaway(c.resolved)
    R_kin = 1e-4 / (math.pi * 4e-12)
    j = math.sqrt(m.G * (453.65 - 298.15) / R_kin) / m.A_app
    assert q["runaway_critical_current_density_upper"]["value"] == pytest.approx(j, rel=1e-9)
    assert "does not shrink" in q["runaway_critical_current_density_upper"]["note"]
    c.resolved["thermal"]["top"] = "fixed"
    q = screen_case(c)["quantities"]["runaway_critical_current_density_lower"]
    assert q["value"] is None and "thermal.top = 'fixed'" in q["note"]


def test_hot_model_is_kinetics_plus_conical_trial_fields():
    """The hot model's resistance at T0 is R_kin + R_lyte + R_cap; each conical trial field
    dissipates at least the half-space Holm resistance of an equipotential disc, 1/(4σa), less
    the finite-block correction (they are upper bounds on the true bulk resistance)."""
    m = S.asperity_runaway(runaway_case().resolved)
    R = m.resistances
    a = 2e-6
    assert R["R_kin"] == pytest.approx(1e-4 / (math.pi * a**2), rel=1e-12)
    assert R["R_lyte"] > 0.9 / (4 * 0.05 * a)
    assert R["R_cap"] > 0
    r0 = rd.resistance(a, 298.15, m.hot)
    assert r0 == pytest.approx(R["R_kin"] + R["R_lyte"] + R["R_cap"], rel=1e-12)
    assert rd.resistance(a, 298.15, m.cool) == pytest.approx(R["R_kin"], rel=1e-12)
    # the bulk conducts better when hot (LLZO Ea_kappa): the hot model's bulk falls with T
    assert rd.resistance(a, 350.0, m.hot) < r0


def test_ageing_and_pad():
    r = {
        "materials": {"pad": {"E": 30e6, "nu": 0.45, "E1": 20e6, "E2": 5e6, "tau": 3600.0}},
        "loading": {"pad_strain": 0.1, "lateral": "free"},  # uniaxial stress: E(t)
        "ageing": {"p_c": 1.2e6, "p_min": 50e6},
        "interface": {"h_sei0": 10e-9},
    }
    # rollers (the default): uniaxial strain, the constrained modulus f E(t)
    f = 0.55 / (1.45 * 0.1)
    rr = {**r, "loading": {"pad_strain": 0.1}, "ageing": {"p_c": 5e6}}
    vr = values(screen_from_resolved(rr))
    assert vr["pad_pressure_initial"] == pytest.approx(f * 2.5e6, rel=1e-12)
    assert vr["t_star_pad"] == pytest.approx(-3600 * math.log((5e6 / (0.1 * f) - 5e6) / 20e6))
    v = values(screen_from_resolved(r))
    assert v["t_star_pad"] == pytest.approx(-3600 * math.log((1.2e6 / 0.1 - 5e6) / 20e6))
    assert v["pad_pressure_initial"] == pytest.approx(2.5e6)
    assert v["pad_pressure_final"] == pytest.approx(0.5e6)
    h_star = 10e9 * 1e-9 / 50e6
    assert v["t_star_interphase"] == pytest.approx(
        (h_star**2 - 1e-16) / (2 * 1e-5 * 1e-19 * 1e3), rel=1e-12
    )
    r["ageing"]["p_c"] = 0.4e6  # below p∞: never
    q = screen_from_resolved(r)["quantities"]["t_star_pad"]
    assert q["value"] is None and q["note"].startswith("never")


def test_interphase_diffusivity_follows_arrhenius():
    r = {"loading": {"temperature": 333.15}, "ageing": {"sei_Ea": 50e3}}
    v = values(screen_from_resolved(r))
    factor = math.exp(-50e3 / RGAS * (1 / 333.15 - 1 / 298.15))
    assert v["sei_diffusivity"] == pytest.approx(1e-19 * factor, rel=1e-12)


def test_defaults_come_from_the_schema():
    """A partial dict takes the schema's defaults (one source of truth) and lists them."""
    assert not hasattr(S, "DEFAULTS")
    res = screen_from_resolved({})
    v = values(res)
    assert v["stack_pressure"] == SCHEMA["loading"]["stack_pressure"].default
    assert v["temperature"] == SCHEMA["loading"]["temperature"].default
    assert v["current_density"] == SCHEMA["loading"]["current_density"].default
    assert "interface.i0 = 10.0 (default)" in res["assumptions"]
    assert "loading.current_density = 10.0 (default)" in res["assumptions"]
    i0, j = SCHEMA["interface"]["i0"].default, SCHEMA["loading"]["current_density"].default
    assert v["asr_interfacial_bonded"] == pytest.approx(bv_eta(j, i0, 298.15) / j * 1e4, rel=1e-9)
    # no materials: no hardness, no conductivities: notes, not numbers
    assert v["microcontact_fraction"] is None and v["asr_interfacial_decohered"] is None
    json.dumps(res, allow_nan=False)


def test_tabor_hardness_only_where_neither_side_has_one():
    """The FE's plastic law takes the hardness of the pair; the screen-only Tabor H = 3Y is used
    only when neither side has a hardness."""
    c = case(materials={"electrode": {"preset": "NMC811", "ocv": 0.0, "yield_stress": "1 MPa"}})
    assert values(screen_case(c))["hardness"] == 6.3e9  # LLZO's, as the FE
    c.resolved["materials"]["electrolyte"].pop("hardness")
    q = screen_case(c)["quantities"]["hardness"]
    assert q["value"] == 3e6 and "Tabor" in q["model"]


def test_screen_case_and_format():
    c = case()
    res = screen_case(c)
    assert res == screen_case(SimpleNamespace(resolved=c.resolved))
    text = format_screen(res)
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["quantity", "value", "unit", "model"]
    for name in res["quantities"]:
        assert any(line.startswith(name + " ") for line in lines), name
    assert "assumptions:" in text or not res["assumptions"]


def test_screen_is_fast():
    c = runaway_case()
    t0 = time.perf_counter()
    for _ in range(5):
        screen_case(c)
    assert (time.perf_counter() - t0) / 5 < 0.2
    code = (
        "import time; t=time.perf_counter(); import sys\n"
        "from solver.screen import screen_from_resolved\n"
        "screen_from_resolved({}); print(time.perf_counter()-t, 'scipy' in sys.modules,\n"
        "      'dolfinx' in sys.modules or 'gmsh' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    elapsed, scipy_loaded, fe_loaded = out.stdout.split()
    assert float(elapsed) < 1.0 and scipy_loaded == "False" and fe_loaded == "False"
