"""``ssbx design`` with FE runs (docs/theory.md §8.10), on the two design files of
docs/tutorials/design/.

1. A case whose reduced model is exact: a rigid stack on a relaxing SLS pad, the platen ramped
   to δ in t_r = 1 s and held to t = 1 h; the least platen displacement (and so the least initial
   stack pressure) that keeps the interface pressure ≥ p_c = 4 MPa at t.

   Closed form (the series standard linear solid, docs/theory.md §7.3a). Every layer is in
   uniaxial strain (rollers) and carries the same normal stress σ; the pad's relaxation modulus
   in uniaxial strain is M(t) = f (E2 + E1 e^(−t/τ)), f = (1 − ν)/((1 + ν)(1 − 2ν)), so
   M0 = f (E1 + E2), M∞ = f E2. With the other layers' compliance C_s = Σ t_i/M_i + 2/K_c in
   series with the pad (thickness t_p), the stack is again a standard linear solid with the
   relaxation function per unit platen displacement

       K(t) = K∞ + (K0 − K∞) e^(−t/τ_e),  K0 = 1/(C_s + t_p/M0),  K∞ = 1/(C_s + t_p/M∞),
       τ_e = τ (C_s M0 + t_p)/(C_s M∞ + t_p),

   and for the linear ramp over t_r (Boltzmann superposition), at t ≥ t_r

       σ(t) = δ [K∞ + (K0 − K∞) (τ_e/t_r)(e^(t_r/τ_e) − 1) e^(−t/τ_e)] = δ S(t).

   The requirement σ(t) ≥ p_c is linear in δ: δ_min = p_c / S(t), and the initial stack pressure
   it needs is σ(t_r) = p_c S(t_r)/S(t) (here 6.9 MPa = 4 MPa × M0/M(τ) = 4 × 60/34.7).
   The rigid layers (E = 1e15 Pa, K_c = 1e18 Pa/m) make C_s/(t_p/M0) ~ 1e-6, so the reduced model
   (a rigid rest) is exact and two FE runs at its answer × (1 ∓ 0.4 %) confirm it.

2. The default geometry (coarse mesh, one short cycle): the least stack pressure that keeps the
   interfacial ASR ≤ 25.05 Ω cm² after one cycle, bracketed by FE runs from the bounds (no
   reduced model predicts the ASR of an interface the mechanics decoheres) within 5 % in ≤ 20
   runs; under uncertain G_Ic (lognormal) and roughness (normal) its P90 and spread from an RBF
   surrogate of 8 more FE runs.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from tests.sweep_helpers import ROOT, ssbx

DESIGNS = ROOT / "docs" / "tutorials" / "design"
P_C, T_R, T_END = 4e6, 1.0, 3600.0

pytestmark = pytest.mark.serial


def constrained(E, nu):
    return E * (1 - nu) / ((1 + nu) * (1 - 2 * nu))


def series_sls(case):
    """S(t) [Pa/m] of the module docstring for the resolved case's layers and pad."""
    g, mats = case.geometry, case.materials
    layers = [("electrode", g["t_e"]), ("coating", g["t_c"]), ("electrolyte", g["t_s"][0]),
              ("electrolyte_2", g["t_s"][1]), ("counter", g["t_counter"])]  # fmt: skip
    C_s = sum(t / constrained(mats[r]["E"], mats[r]["nu"]) for r, t in layers)
    C_s += 2 / case.resolved["interface"]["K_c"]
    pad = mats["pad"]
    f = constrained(pad["E"], pad["nu"]) / pad["E"]
    M0, Minf, t_p = f * (pad["E1"] + pad["E2"]), f * pad["E2"], g["t_pad"]
    K0, Kinf = 1 / (C_s + t_p / M0), 1 / (C_s + t_p / Minf)
    tau_e = pad["tau"] * (C_s * M0 + t_p) / (C_s * Minf + t_p)
    ramp = tau_e / T_R * math.expm1(T_R / tau_e)
    return lambda t: Kinf + (K0 - Kinf) * ramp * math.exp(-t / tau_e)


def _ts(run_dir):
    from solver.results import read_timeseries_frame

    return read_timeseries_frame(run_dir / "timeseries.csv")


def test_least_platen_displacement_over_a_relaxing_pad_matches_the_closed_form(tmp_path):
    """FE-confirmed answer within 1 % of δ_min = p_c/S(t) (and the initial stack pressure within
    1 % of p_c S(t_r)/S(t)); the FE runs at the bracket's ends lie on both sides of p_c; 2 FE
    runs; a rerun in the same directory reuses them (no new run)."""
    from solver.config import load_case

    out = tmp_path / "pad"
    design = DESIGNS / "pad_displacement.toml"
    r = ssbx("design", str(design), "-o", str(out), cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    a = json.loads((out / "answer.json").read_text())
    ans = a["answers"][0]
    assert ans["status"] == "converged" and ans["direction"] == "maximum"  # δ < 0: least |δ|
    S = series_sls(load_case(DESIGNS / "pad_stack.toml"))
    delta_min = -P_C / S(T_END)
    assert ans["value"] == pytest.approx(delta_min, rel=0.01)
    lo, hi = ans["bracket"]
    assert lo <= delta_min <= hi and ans["relative_width"] <= 0.01
    assert ans["n_runs"] == 2 and ans["monotone"]
    # the two bracket runs, read back from their run directories: both sides of p_c at 1 h
    p_end = {}
    for name in ans["bracket_runs"]:
        df = _ts(out / "runs" / "cases" / name)
        assert df["time"].iloc[-1] == pytest.approx(T_END)
        p_end[name] = df["min_pressure"].iloc[-1]
    assert min(p_end.values()) < P_C <= max(p_end.values())
    # the least initial stack pressure: the FE run that meets the requirement, at t_r
    meets = max(p_end, key=p_end.get)
    df = _ts(out / "runs" / "cases" / meets)
    p0 = float(df.loc[np.isclose(df["time"], T_R), "mean_pressure"].iloc[0])
    assert p0 == pytest.approx(P_C * S(T_R) / S(T_END), rel=0.01)
    assert 6.5e6 < p0 < 7.5e6
    for f in ("runs.csv", "plots/metric.png", "report/index.html"):
        assert (out / f).is_file(), f
    assert len(pd.read_csv(out / "runs.csv")) == 2
    # resumable: the same design in the same directory runs nothing again
    logs = {p.name: p.read_text() for p in (out / "runs" / "logs").iterdir()}
    r = ssbx("design", str(design), "-o", str(out), cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "run(s) (" not in r.stdout  # no FE run started
    assert {p.name: p.read_text() for p in (out / "runs" / "logs").iterdir()} == logs
    assert json.loads((out / "answer.json").read_text())["answers"][0]["value"] == ans["value"]


@pytest.mark.slow
def test_least_stack_pressure_for_the_asr_after_one_cycle_with_p90(tmp_path):
    """Default geometry: the bracket's FE runs lie on both sides of 25.05 Ω cm² (their ASR at the
    end of the cycle read back independently: the cycle ends the protocol, so it is the last
    finite value), relative width ≤ 5 %, ≤ 20 FE runs in all, the ASR falls monotonically with the
    pressure over the search's runs; the P90 of the required pressure under uncertain G_Ic and
    roughness is the 0.9-quantile of the surrogate's samples, above the median, with a spread."""
    for f in ("stack_pressure.toml", "short_cycle.toml"):
        shutil.copy(DESIGNS / f, tmp_path / f)
    out = tmp_path / "p"
    r = ssbx("design", "stack_pressure.toml", "-o", str(out), cwd=tmp_path, timeout=3600)
    assert r.returncode == 0, r.stdout + r.stderr
    a = json.loads((out / "answer.json").read_text())
    ans = a["answers"][0]
    assert ans["status"] == "converged" and ans["direction"] == "minimum"
    assert ans["relative_width"] <= 0.05 and ans["monotone"]
    assert a["fe_runs"] <= 20
    lo, hi = ans["bracket"]
    asr = {}
    for name in ans["bracket_runs"]:
        df = _ts(out / "runs" / "cases" / name)
        asr[name] = df["asr_interfacial"].dropna().iloc[-1]
        assert (df["current_density_applied"].iloc[-1]) < 0  # ends in the discharge
    a_lo, a_hi = (asr[n] for n in ans["bracket_runs"])
    assert a_lo > 25.05 >= a_hi  # lower pressure fails, higher meets
    assert ans["value"] == hi and 2e6 < lo < hi < 16e6
    u = ans["uncertainty"]
    assert u["method"] == "surrogate" and u["status"] == "done"
    req = np.array([s["required"] for s in u["samples"]])
    assert u["value_at_confidence"] == pytest.approx(np.quantile(req, 0.9))
    assert u["P90"] > u["P50"] and u["spread"] > 0 and u["loo_rms_margin"] is not None
    assert (out / "plots" / "required.png").is_file()
    print(
        f"p_min in [{lo / 1e6:.4g}, {hi / 1e6:.4g}] MPa, {a['fe_runs']} FE runs; "
        f"P90 {u['P90'] / 1e6:.4g} MPa, P50 {u['P50'] / 1e6:.4g}, spread {u['spread'] / 1e6:.3g}, "
        f"LOO {u['loo_rms_margin']:.3g} Ohm cm^2, {a['wall_time_s']:.0f} s"
    )
