"""docs/validation.md item 10: the SLS pad relaxing under a held platen in the full FE stack
(physics.ageing), against the closed form of a standard linear solid in series with the elastic
layers; the FE's t*_pad against the screen's.

Closed form (derivation; docs/theory.md §7.3). The shipped stack (NMC811 | LiNbO3 | LPSCl | LLZO |
In | polymer pad) on rollers: every layer is in uniaxial strain, so it carries the same normal
stress σ(t) (equilibrium) with the constrained modulus M = E(1 − ν)/((1 + ν)(1 − 2ν)). The pad's
relaxation tensor is E(t)/E₀ C₀ (constant ν), so in uniaxial strain its relaxation modulus is
M(t) = f E(t) = M∞ + M₁ e^(−t/τ), f = (1 − ν)/((1 + ν)(1 − 2ν)), M∞ = f E2, M₀ = f (E1 + E2).
The platen displacement δ(t) is shared in series (compatibility):

    δ(t) = C_s σ(t) + t_p ε_p(t),   σ = ∫ M(t − s) dε_p(s),
    C_s = Σ_i t_i/M_i + 2/K_c        (the elastic layers and the two cohesive interfaces' penalty)

In Laplace form δ̂ = σ̂ [C_s + t_p/(s M̂)], with s M̂ = (M₀ s + M∞/τ)/(s + 1/τ), so
σ̂/δ̂ = s K̂ = (M₀ s + M∞/τ)/[(C_s M₀ + t_p) s + (C_s M∞ + t_p)/τ]: the stack is again a
standard linear solid, with the relaxation function per unit platen displacement

    K(t) = K∞ + (K₀ − K∞) e^(−t/τ_e),  K₀ = 1/(C_s + t_p/M₀),  K∞ = 1/(C_s + t_p/M∞),
    τ_e = τ (C_s M₀ + t_p)/(C_s M∞ + t_p)

(C_s → 0: the pad's own M(t) and τ; C_s → ∞: the retardation time τ M₀/M∞). The platen is ramped
linearly to δ over t_r (one step) and held, so for t ≥ t_r (Boltzmann superposition)

    σ(t) = δ [K∞ + (K₀ − K∞)(τ_e/t_r)(e^(t_r/τ_e) − 1) e^(−t/τ_e)].

Here C_s/(t_p/M₀) = 1.08 % (the pad is 60 MPa, the other layers GPa): not negligible at the 0.5 %
tolerance, so it is included (the rigid-rest form misses by ~1 % at t = t_r; asserted). The FE
integrates the branch stresses exactly for a strain linear over the step, the calendar control
(ageing.rtol) limits the relaxation per step; tolerance 0.5 % at t = t_r (≈ 0), τ, 5τ in the
issue, asserted at 1e-4 (measured 4e-9, 2e-6, 2e-5 in 23 steps).
"""

from __future__ import annotations

import math
import tomllib

import pytest
from mpi4py import MPI

from tests.conftest import ROOT, serial_reference
from tests.ec_helpers import read_run, run

TAU, T_R, DELTA, K_C = 3600.0, 1.0, 0.5e-6, 1e18
LAYERS = (("electrode", "t_e"), ("coating", "t_c"), ("electrolyte", None),
          ("electrolyte_2", None), ("counter", "t_counter"))  # fmt: skip


def pad_case(**materials):
    """The shipped stack case under physics.ageing: the platen ramped to −0.5 µm in 1 s, held
    to τ, then to 5τ."""
    from solver.config import case_from_dict

    raw = tomllib.loads((ROOT / "cases" / "stack_coated_bilayer_electrolyte.toml").read_text())
    raw["loading"]["protocol"] = [
        {"kind": "hold", "duration": T_R, "n_steps": 1, "displacement": -DELTA},
        {"kind": "rest", "duration": TAU - T_R, "n_steps": 1},
        {"kind": "rest", "duration": 4 * TAU, "n_steps": 1},
    ]
    raw["physics"]["ageing"] = True
    raw["interface"] = {"K_c": K_C}
    raw["materials"].update(materials)
    raw["output"] = {"fields": False, "preview": False}
    return case_from_dict(raw)


def constrained(m) -> float:
    E, nu = m["E"], m["nu"]
    return E * (1 - nu) / ((1 + nu) * (1 - 2 * nu))


def closed_form(case):
    """(σ(t) per the module docstring, C_s, t_p/M₀) for the case's layers and pad."""
    g, mats = case.geometry, case.materials
    thick = {"electrolyte": g["t_s"][0], "electrolyte_2": g["t_s"][1]}
    C_s = (
        sum((g[key] if key else thick[role]) / constrained(mats[role]) for role, key in LAYERS)
        + 2 / K_C
    )
    pad = mats["pad"]
    f = constrained(pad) / pad["E"]
    M0, Minf, t_p = f * (pad["E1"] + pad["E2"]), f * pad["E2"], g["t_pad"]
    K0, Kinf = 1 / (C_s + t_p / M0), 1 / (C_s + t_p / Minf)
    tau_e = pad["tau"] * (C_s * M0 + t_p) / (C_s * Minf + t_p)

    def sigma(t):
        ramp = tau_e / T_R * math.expm1(T_R / tau_e)
        return DELTA * (Kinf + (K0 - Kinf) * ramp * math.exp(-t / tau_e))

    return sigma, C_s, t_p / M0


def at(rows, t):
    return next(r for r in rows if abs(r["time"] - t) < 1e-6 * t)


@pytest.mark.serial
def test_sls_pad_under_held_platen_in_the_full_stack(tmp_path):
    """Interface pressure = σ(t) of the series SLS within 1e-4 at t = t_r, τ, 5τ; the series
    compliance matters (the rigid-rest form is off by > 0.5 % at t_r); pad relaxation is on
    through physics.ageing alone (physics.inelastic = false)."""
    c = pad_case()
    assert not c.physics["inelastic"]
    rows, summary = run(c, tmp_path / "pad", comm=MPI.COMM_SELF)
    sigma, C_s, c_pad = closed_form(c)
    assert 0.005 < C_s / c_pad < 0.02  # 1.08 %: not negligible
    for t in (T_R, TAU, 5 * TAU):
        r = at(rows, t)
        assert r["mean_pressure"] == pytest.approx(sigma(t), rel=1e-4), t  # (measured 2e-5)
        assert r["min_pressure"] == pytest.approx(r["mean_pressure"], rel=1e-6)  # uniform
    rigid = DELTA / c_pad  # the rigid-rest pressure at t = 0
    assert abs(at(rows, T_R)["mean_pressure"] / rigid - 1) > 5e-3
    assert at(rows, 5 * TAU)["mean_pressure"] < 0.4 * at(rows, T_R)["mean_pressure"]  # relaxed
    assert len(rows) < 60  # the calendar control: ~20 relaxation steps, not a fixed tiny step


def _serial_pad(path):
    run(pad_case(), path, comm=MPI.COMM_SELF)


@pytest.mark.mpi
@serial_reference("pad_relaxation", _serial_pad)
def test_pad_relaxation_one_and_two_ranks_agree(shared_tmp, serial_ref):
    """The held-platen pad run on the world's ranks equals the serial run (1e-6)."""
    comm = MPI.COMM_WORLD
    rows2, s2 = run(pad_case(), shared_tmp / "pad_mpi", comm=comm)
    rows1, s1 = read_run(serial_ref)
    assert len(rows1) == len(rows2)
    for a, b in zip(rows1, rows2):
        for k in ("time", "mean_pressure", "reaction_force"):
            assert b[k] == pytest.approx(a[k], rel=1e-6), k
    assert s2["ageing"]["t_star_pad"] == pytest.approx(s1["ageing"]["t_star_pad"], rel=1e-6)


@pytest.mark.serial
def test_screen_and_fe_agree_on_t_star_pad(tmp_path):
    """Where the screen's closed form is exact (a rigid rest of the stack: every other layer
    E = 1e15 Pa, C_s/(t_p/M₀) ~ 1e-5; rollers), FE and screen give the same pad pressures and
    t*_pad = −τ ln((p_c/(f ε0) − E2)/E1) (0.5 %), ε0 = pad_strain = δ/t_pad, p_c = 6 MPa."""
    from solver.screen import screen_case

    rigid = {
        role: {"preset": p, "E": 1e15}
        for role, p in (
            ("electrode", "NMC811"),
            ("coating", "LiNbO3"),
            ("electrolyte", "LPSCl"),
            ("electrolyte_2", "LLZO"),
            ("counter", "In"),
        )  # fmt: skip
    }
    c = pad_case(**rigid).with_({"ageing.p_c": "6 MPa"})
    rows, summary = run(c, tmp_path / "pad", comm=MPI.COMM_SELF)
    q = screen_case(c)["quantities"]
    assert q["pad_pressure_initial"]["value"] == pytest.approx(
        at(rows, T_R)["mean_pressure"], rel=5e-3
    )
    p0, p_inf = q["pad_pressure_initial"]["value"], q["pad_pressure_final"]["value"]
    p_5tau = p_inf + (p0 - p_inf) * math.exp(-5)  # the screen's SLS at t = 5τ
    assert at(rows, 5 * TAU)["mean_pressure"] == pytest.approx(p_5tau, rel=5e-3)
    t_screen = q["t_star_pad"]["value"]
    assert 0.5 * TAU < t_screen < 2 * TAU
    assert summary["ageing"]["t_star_pad"] == pytest.approx(t_screen, rel=5e-3)
