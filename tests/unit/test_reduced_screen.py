"""Reduced-order screening of a resolved case."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from solver import reduced as rd
from solver.reduced.screen import format_screen, screen_case, screen_from_resolved

F, RGAS = 96485.33212, 8.314462618


def resolved(**over):
    r = {
        "materials": {
            "electrode": {"E": 4.9e9, "nu": 0.42, "hardness": 5e6, "k_th": 85.0},
            "electrolyte": {
                "E": 150e9,
                "nu": 0.26,
                "hardness": 9e9,
                "kappa": 0.05,
                "Ea_kappa": 35e3,
                "k_th": 1.5,
                "density": 5100.0,
                "cp": 600.0,
            },
        },
        "interface": {
            "asperity_radius": 2e-6,
            "work_of_adhesion": 0.2,
            "kinetics": "butler_volmer",
            "i0": 20.0,
            "alpha_a": 0.5,
            "alpha_c": 0.5,
            "h_sei0": 10e-9,
            "kappa_sei": 1e-6,
        },
        "loading": {
            "stack_pressure": 2e6,
            "temperature": 298.15,
            "current_density": 10.0,
            "pad_strain": 0.1,
        },
        "ageing": {
            "sei_D": 1e-19,
            "sei_molar_volume": 1e-5,
            "sei_c_inf": 1e3,
            "sei_E": 10e9,
            "stack_displacement": 1e-9,
            "p_min": 50e6,
            "p_c": 1.2e6,
        },
        "thermal": {"h_conv": 10.0, "T_ambient": 298.15, "Ea_soft": 30e3},
    }
    for key, val in over.items():
        section, _, name = key.partition("__")
        r[section][name] = val
    return r


def values(result):
    return {k: e["value"] for k, e in result["quantities"].items()}


def test_screen_values_against_hand_calculation():
    res = screen_from_resolved(resolved())
    v = values(res)
    phi = 2e6 / 5e6  # softer side: the electrode
    assert v["contact_fraction"] == pytest.approx(phi)
    assert "electrode" in res["quantities"]["contact_fraction"]["model"]
    r_ct = RGAS * 298.15 / (F * 20.0 * 1.0) / phi
    r_con = math.pi * 2e-6 / (4 * 0.05 * phi)
    r_sei = 10e-9 / 1e-6
    assert v["asr_charge_transfer"] == pytest.approx(r_ct * 1e4, rel=1e-12)
    assert v["asr_constriction"] == pytest.approx(r_con * 1e4, rel=1e-12)
    assert v["asr_interphase"] == pytest.approx(r_sei * 1e4, rel=1e-12)
    assert v["asr_interfacial_si"] == pytest.approx(r_ct + r_con + r_sei, rel=1e-12)
    assert v["asr_interfacial"] == pytest.approx(1e4 * v["asr_interfacial_si"], rel=1e-12)
    h_star = 10e9 * 1e-9 / 50e6
    t_sei = (h_star**2 - 1e-16) / (2 * 1e-5 * 1e-19 * 1e3)
    assert v["t_star_interphase"] == pytest.approx(t_sei, rel=1e-12)
    assert v["t_star_pad"] is None and res["quantities"]["t_star_pad"]["note"].startswith("no pad")
    assert v["constriction_factor"] == pytest.approx(1 / phi)
    assert v["runaway_critical_current_density"] == pytest.approx(
        v["runaway_critical_current"] * phi / (math.pi * (2e-6) ** 2), rel=1e-12
    )
    assert v["runaway_margin"] > 1.0
    assert res["assumptions"] and all(isinstance(s, str) for s in res["assumptions"])
    json.dumps(res, allow_nan=False)


def test_screen_pad_relaxation():
    r = resolved()
    r["materials"]["pad"] = {"E": 30e6, "nu": 0.45, "E1": 20e6, "E2": 5e6, "tau": 3600.0}
    v = values(screen_from_resolved(r))
    assert v["t_star_pad"] == pytest.approx(rd.sls_time_to_pressure(1.2e6, 20e6, 5e6, 3600, 0.1))
    assert v["pad_pressure_initial"] == pytest.approx(2.5e6)
    assert v["pad_pressure_final"] == pytest.approx(0.5e6)
    r["ageing"]["p_c"] = 0.4e6  # below p∞: never
    res = screen_from_resolved(r)
    assert res["quantities"]["t_star_pad"]["value"] is None
    assert res["quantities"]["t_star_pad"]["note"].startswith("never")


def test_screen_linear_kinetics_and_softer_side():
    r = resolved(interface__kinetics="linear", interface__R_ct=5e-4)
    r["materials"]["electrolyte"]["hardness"] = 1e6  # now the electrolyte is softer
    res = screen_from_resolved(r)
    v = values(res)
    assert v["contact_fraction"] == 1.0
    assert "electrolyte" in res["quantities"]["contact_fraction"]["model"]
    assert v["asr_charge_transfer"] == pytest.approx(5e-4 * 1e4)


def test_screen_runaway_margin_grows_with_conduction():
    base = values(screen_from_resolved(resolved()))
    r = resolved()
    r["materials"]["electrolyte"]["k_th"] = 15.0
    better = values(screen_from_resolved(r))
    assert better["runaway_critical_current_density"] > base["runaway_critical_current_density"]


def test_screen_with_defaults_only():
    res = screen_from_resolved({})
    v = values(res)
    assert v["stack_pressure"] == 1e6 and v["temperature"] == 298.15
    assert v["contact_fraction"] == 1.0  # no hardness: assumed full contact
    assert v["asr_constriction"] is None  # no electrolyte conductivity
    assert any("(default)" in s for s in res["assumptions"])
    json.dumps(res, allow_nan=False)
    r = resolved(loading__stack_pressure=0.0)  # no contact at all
    res = screen_from_resolved(r)
    assert res["quantities"]["asr_interfacial"]["value"] is None
    json.dumps(res, allow_nan=False)


def test_screen_case_and_format():
    res = screen_case(SimpleNamespace(resolved=resolved()))
    assert res == screen_from_resolved(resolved())
    text = format_screen(res)
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["quantity", "value", "unit", "model"]
    for name in res["quantities"]:
        assert any(line.startswith(name + " ") for line in lines), name
    assert "assumptions:" in text


def test_screen_is_fast():
    t0 = time.perf_counter()
    for _ in range(10):
        screen_from_resolved(resolved())
    assert (time.perf_counter() - t0) / 10 < 0.1
    code = (
        "import time; t=time.perf_counter(); import sys\n"
        "from solver.reduced.screen import screen_from_resolved\n"
        "screen_from_resolved({}); print(time.perf_counter()-t, 'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    elapsed, scipy_loaded = out.stdout.split()
    assert float(elapsed) < 1.0 and scipy_loaded == "False"


def test_screen_interphase_diffusivity_follows_arrhenius():
    """ageing.sei_Ea moves sei_D (given at loading.T_ref) to loading.temperature: the time to
    contact loss by interphase growth scales as 1/D(T)."""
    base = values(screen_from_resolved(resolved(loading__temperature=333.15)))
    assert base["sei_diffusivity"] == pytest.approx(1e-19)  # sei_Ea = 0: no dependence
    r = resolved(loading__temperature=333.15)
    r["ageing"]["sei_Ea"] = 50e3
    hot = values(screen_from_resolved(r))
    factor = math.exp(-50e3 / RGAS * (1 / 333.15 - 1 / 298.15))
    assert hot["sei_diffusivity"] == pytest.approx(1e-19 * factor, rel=1e-12)
    assert hot["t_star_interphase"] == pytest.approx(base["t_star_interphase"] / factor, rel=1e-9)
    r["loading"]["T_ref"] = 333.15  # sei_D given at the run temperature
    assert values(screen_from_resolved(r))["sei_diffusivity"] == pytest.approx(1e-19, rel=1e-12)
