r"""The contact-scale runaway case (cases/runaway_spot.toml, issue 5) against a reference that does
not come from the FE code: the lumped spot model of solver.reduced.runaway (docs/theory.md §8.8),
with the FE case's parameters, in two versions that bracket the FE.

Why the lumped model applies. The cell is thin and its faces are cooled weakly: Biot number
Bi = h_conv t_s/k_s ≈ 3e-4, so the temperature is uniform to O(Bi) and the cell is one heat
capacity C = Σ ρc_p V (closed-form volumes: the electrolyte cylinder πW²t_s and the asperity's
spherical zone) cooled through G = h_conv (πW² + πb²), its two convective faces (b the
asperity's back-face radius). The FE retention ψ obeys the lumped contact equation (8.13) with
ψ = a/a0 (docs/theory.md §6.5), driven by the (uniform) temperature. The heat is the electrical
power I² R(ψ, T) of the galvanostatic current I = j_app πb².

Why it brackets the FE (the construction is the product's, solver.screen.asperity_runaway, which
``ssbx screen`` reports as its runaway bracket; docs/theory.md §8.9). R(ψ, T) is the FE's
resistance: kinetics R_ct/ψ per unit contact area on the spot of radius a_c, plus the bulk
(constriction into the LLZO block, the NMC811 cap).
* Lower bound R_lo = R_ct/(ψ πa_c²): the dissipation is at least the kinetic part, and
  ∫ j² dΓ ≥ I²/A by Cauchy–Schwarz; the bulk adds a positive amount.
* Upper bound R_up = R_ct/(ψ πa_c²) + R_lyte(T) + R_cap(T): Thomson's theorem (a steady current
  distributes itself so as to make the heat generated, here in the bulk and in the linear
  kinetics, a minimum among all divergence-free fields carrying I between the equipotential
  electrodes; Jeans, The Mathematical Theory of Electricity and Magnetism, 5th ed. 1925, chapter
  on steady currents) with a uniform flux over the spot and self-similar conical trial fields
  J = J_z(z)(ρ r'/r, 1) inside a cone of radius r(z) (divergence-free, tangent to the cone),
  whose dissipation is ∫ (1 + r'²/2)/(σ π r²) dz: in the LLZO a cone from a_c opening to the
  block radius W, then the cylinder, in the cap a cone from the back face to the spot lying
  inside the cap (a chord of its concave section); each slope minimised. The trial field does
  not depend on ψ; the conductivities follow their Arrhenius laws at the (uniform, lumped)
  temperature, no higher than the FE's near the spot, which is hotter than the mean. The FE's
  discrete bulk resistance differs from the continuum one by its discretisation error (a few %
  for the spot, test_holm_constriction_resistance), inside the margin of the trial fields.
The lumped system is cooperative (monotone, solver.reduced.runaway), so more heating gives a
higher temperature and a smaller contact at every time: the FE lies between the two models, its
critical current I_c between I_c(R_up) and I_c(R_lo), its steady state (when bounded) between
theirs, its runaway time between their event times.

Tolerances and margins. The bracket is a bound up to the lumping (O(Bi) ≈ 3e-4 of the rise; the
spot's own over-temperature ≈ P/(4k_s a_c) ≈ 0.2 % of it) and to the FE's backward-Euler steps
(Δt = 1 s ≈ C/(3G)): the currents are chosen ≥ 10 % outside the bracket of I_c, the runaway time is
compared with one step of slack. At the bounded steady state, the energy balance in lumped form,
Joule + interfacial heat = h_conv A_conv (T − T_amb) (Biot ≪ 1; Incropera et al., Fundamentals of
Heat and Mass Transfer, 6th ed. 2007, §5.1–5.2), holds for the cell's mean temperature within 5 Bi.
Each run also keeps the heat balances and the charge balance (1e-8) and the electrical check.
"""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import ROOT
from tests.ec_helpers import run

pytestmark = pytest.mark.serial

T_START = 1.0  # s: the case's 1-s hold at zero current, then the current for 40 s in 1-s steps
DT = 1.0


def _raw(j: str, h: str) -> dict:
    raw = tomllib.loads((ROOT / "cases" / "runaway_spot.toml").read_text())
    raw["loading"]["current_density"] = j
    raw["thermal"]["h_conv"] = h
    raw["output"] = {"fields": False}
    return raw


def _run(tmp_path, j: str, h: str):
    from solver.config import case_from_dict

    name = f"{j.split()[0]}_{h.split()[0]}"
    return run(case_from_dict(_raw(j, h)), tmp_path / name)


def reference(j_app: float, h_conv: float):
    """(I, A_app, G, lower-bound model, upper-bound model, Bi) for the case at j_app (A/m²) and
    h_conv (W/m²K): the product's construction, solver.screen.asperity_runaway (what
    ``ssbx screen`` reports as its bracket), from the resolved keys and closed forms only."""
    from solver.config import case_from_dict
    from solver.screen import asperity_runaway

    r = case_from_dict(_raw(f"{j_app} A/m^2", f"{h_conv} W/(m^2*K)")).resolved
    m = asperity_runaway(r)
    return j_app * m.A_app, m.A_app, m.G, m.cool, m.hot, m.Bi


def _check_balances(rows):
    for r in rows:
        assert r["energy_balance_error"] < 1e-8, r
        assert r["interface_heat_balance_error"] < 1e-8, r
        assert r["charge_balance_error"] < 1e-8, r
        if r["current_density_applied"] != 0:
            assert r["electrical_heat_balance_error"] < 1e-8, r


def _check_bounded(rows, summary, j, h_conv):
    """The FE settles where the reference says a steady state exists, between the two models'
    steady states, and obeys the lumped steady energy balance."""
    from solver.reduced.runaway import critical_current, steady_state

    I, A_app, G, lo, up, Bi = reference(j, h_conv)
    assert I < 0.9 * critical_current(up)  # the reference: bounded, with a margin
    th = summary["thermal"]
    assert summary["status"] == "completed"
    assert th["outcome"] == "bounded"
    last = rows[-1]
    assert last["current"] == pytest.approx(I, rel=1e-8)  # A_app = πb² of the reference
    (T_lo, a_lo), (T_up, a_up) = steady_state(I, lo), steady_state(I, up)
    assert T_lo <= last["T_mean_electrolyte"] and th["T_peak_final"] <= T_up
    assert a_up / lo.a0 <= th["retention_min"] <= a_lo / lo.a0
    # lumped energy balance at the steady state: P = G (T − T_amb), Biot ≪ 1
    P = last["heat_joule"] + last["heat_interface"]
    dT = last["T_mean_electrolyte"] - last["T_ambient"]
    assert dT == pytest.approx(P / G, rel=5 * Bi)


def test_case_file_settles(tmp_path):
    raw = tomllib.loads((ROOT / "cases" / "runaway_spot.toml").read_text())
    assert raw["loading"]["current_density"] == "150 mA/cm^2"
    rows, summary = _run(tmp_path, "150 mA/cm^2", "20 W/(m^2*K)")
    _check_bounded(rows, summary, 1500.0, 20.0)
    th = summary["thermal"]
    assert summary["status"] == "completed"
    assert th["outcome"] == "bounded"
    # a real, settled feedback: tens of kelvin, the contact shrank but holds; the numbers the
    # case file's comment states: peak 322.4 K (within 1 K), retention 0.870 (within 0.01)
    assert 10.0 < th["T_peak_final"] - 298.15 < 100.0
    assert 0.5 < th["retention_min"] < 0.99
    assert th["T_peak_final"] == pytest.approx(322.4, abs=1.0)
    assert th["retention_min"] == pytest.approx(0.870, abs=0.01)
    assert th["late_rise_K"] < 0.01 * (th["T_peak_final"] - 298.15)
    _check_balances(rows)


def test_higher_current_runs_away(tmp_path):
    """Above the reference's I_c(R_lo) no steady state exists below T_limit: the FE must run away,
    at a time between the two models' event times (one step of slack)."""
    from solver.reduced.runaway import critical_current, simulate

    I, A_app, G, lo, up, Bi = reference(2500.0, 20.0)
    assert I > 1.1 * critical_current(lo)  # the reference: runaway, with a margin
    t_up = simulate(I, up, t_end=40.0).t_event  # the hottest model runs away first
    t_lo = simulate(I, lo, t_end=40.0).t_event
    assert t_up is not None and t_lo is not None
    rows, summary = _run(tmp_path, "250 mA/cm^2", "20 W/(m^2*K)")
    th = summary["thermal"]
    assert summary["status"] == "completed"  # stopped cleanly at T_limit
    assert th["outcome"] == "runaway"
    assert th["T_peak_final"] >= th["T_limit"]
    assert t_up - DT <= th["time_end"] - T_START <= t_lo + DT
    # a cooperative system from a sub-solution: T rises and ψ falls monotonically
    T = [max(r["T_max_electrode"], r["T_max_electrolyte"]) for r in rows]
    psi = [r["retention_min"] for r in rows]
    assert all(b >= a - 1e-9 for a, b in zip(T, T[1:]))
    assert all(b <= a + 1e-12 for a, b in zip(psi, psi[1:]))
    _check_balances(rows)


def test_better_heat_sink_raises_critical_current(tmp_path):
    """I_c ∝ √G (docs/theory.md (8.14)): with h_conv ×3 the reference's lower critical current
    exceeds 250 mA/cm², which ran away at h_conv = 20 W/(m²K): the FE must now settle."""
    rows, summary = _run(tmp_path, "250 mA/cm^2", "60 W/(m^2*K)")
    _check_bounded(rows, summary, 2500.0, 60.0)
    _check_balances(rows)
