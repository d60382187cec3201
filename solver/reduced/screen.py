"""Fast reduced-order screening of a case (no FE solve): ``ssbx screen CASE.toml``.

:func:`screen_from_resolved` takes the resolved case (nested dict of SI values, sections
"materials", "interface", "loading", "ageing", "thermal"; keys of docs/case-format.md) and returns

    {"quantities": {name: {"value": float | None, "unit": str, "model": str, "note": str}},
     "assumptions": [str, ...]}

JSON-serialisable (inf and NaN become None with a note). Missing optional inputs take the
defaults of docs/case-format.md, and each one used is listed in "assumptions". Predictions:
plastic contact fraction φ = P/H of the softer side; initial interfacial ASR (charge transfer /φ +
constriction πa/(4κφ) + h_sei0/κ_sei); time to contact loss by interphase growth (the
diffusivity sei_D moved from loading.T_ref to loading.temperature by Arrhenius with sei_Ea) and by
pad relaxation (SLS, only with a pad); critical current density of the contact-scale thermal
runaway model (:mod:`solver.reduced.runaway`). Only NumPy is imported: it runs in milliseconds.
"""

from __future__ import annotations

import math
from typing import Any

from ._common import FARADAY, GAS_CONSTANT, finite_or_none
from .arrhenius import arrhenius
from .constriction import constriction_asr
from .hertz import effective_modulus
from .interphase import sei_critical_thickness, sei_time_to_contact_loss
from .jkr import jkr_zero_load_radius
from .microcontact import plastic_contact_fraction
from .runaway import (
    RunawayParams,
    critical_current,
    spot_heat_capacity,
    spot_thermal_conductance,
)
from .sls import sls_pressure, sls_time_to_pressure

OHM_M2_TO_OHM_CM2 = 1e4

# Defaults of docs/case-format.md (SI) for the keys used here.
DEFAULTS: dict[str, dict[str, Any]] = {
    "interface": {
        "asperity_radius": 1e-6,
        "work_of_adhesion": 0.2,
        "kinetics": "butler_volmer",
        "i0": 10.0,
        "alpha_a": 0.5,
        "alpha_c": 0.5,
        "h_sei0": 0.0,
        "kappa_sei": 1e-6,
    },
    "loading": {
        "stack_pressure": 1e6,
        "temperature": 298.15,
        "current_density": 10.0,
        "pad_strain": 0.05,
        "T_ref": 298.15,
    },
    "ageing": {
        "sei_D": 1e-19,
        "sei_Ea": 0.0,
        "sei_molar_volume": 1e-5,
        "sei_c_inf": 1e3,
        "sei_E": 10e9,
        "stack_displacement": 1e-9,
        "p_min": 0.1e6,
        "p_c": 0.1e6,
    },
    "thermal": {"Ea_soft": 30e3},
}

# Screening-only assumptions of the runaway model (not case keys).
RUNAWAY_DT_LIMIT = 100.0  # K: spot temperature rise counted as runaway
RUNAWAY_TAU_RATIO = 0.1  # tau_recover / tau_shrink
FALLBACK_K_TH = 1.0  # W/(m K) when a material gives no k_th
FALLBACK_RHO_CP = 2.0e6  # J/(m^3 K) when density or cp are missing


class _Inputs:
    """Look-ups in the resolved case that record every default used."""

    def __init__(self, resolved: dict):
        self.r = resolved if isinstance(resolved, dict) else {}
        self.assumptions: list[str] = []

    def get(self, section: str, key: str):
        sec = self.r.get(section) or {}
        if isinstance(sec, dict) and sec.get(key) is not None:
            return sec[key]
        value = DEFAULTS[section][key]
        self.assumptions.append(f"{section}.{key} = {value!r} (default)")
        return value

    def mat(self, role: str, key: str):
        mats = self.r.get("materials") or {}
        props = mats.get(role) if isinstance(mats, dict) else None
        if isinstance(props, dict) and props.get(key) is not None:
            return float(props[key])
        return None

    def has_role(self, role: str) -> bool:
        mats = self.r.get("materials") or {}
        return isinstance(mats, dict) and isinstance(mats.get(role), dict)


def _entry(value, unit: str, model: str, note: str = "") -> dict:
    v = finite_or_none(value)
    if v is None and value is not None and not note:
        note = "inf" if math.isinf(float(value)) else "undefined"
    return {"value": v, "unit": unit, "model": model, "note": note}


def screen_from_resolved(resolved: dict) -> dict:
    """Reduced-order predictions for a resolved case (see the module docstring)."""
    inp = _Inputs(resolved)
    q: dict[str, dict] = {}

    P = float(inp.get("loading", "stack_pressure"))
    T = float(inp.get("loading", "temperature"))
    j_app = float(inp.get("loading", "current_density"))
    a = float(inp.get("interface", "asperity_radius"))
    q["stack_pressure"] = _entry(P, "Pa", "input")
    q["temperature"] = _entry(T, "K", "input")

    # --- contact fraction: plastic, softer side -------------------------------------------
    hard = []
    for role in ("electrode", "electrolyte"):
        H = inp.mat(role, "hardness")
        if H is not None:
            hard.append((H, role, "hardness"))
        elif inp.mat(role, "yield_stress") is not None:
            hard.append((3.0 * inp.mat(role, "yield_stress"), role, "Tabor H = 3Y"))
    if hard:
        H, role, how = min(hard)
        phi = float(plastic_contact_fraction(P, H))
        q["hardness"] = _entry(H, "Pa", f"{role} {how} (softer side)")
        q["contact_fraction"] = _entry(phi, "1", f"plastic phi = min(1, P/H) ({role})")
    else:
        phi = 1.0
        inp.assumptions.append("no hardness or yield_stress given: full contact phi = 1 assumed")
        q["hardness"] = _entry(None, "Pa", "not given", "missing")
        q["contact_fraction"] = _entry(phi, "1", "assumed full contact")
    contact = phi > 0.0
    q["constriction_factor"] = _entry(
        1.0 / phi if contact else math.inf, "1", "j_loc/j_app = A_app/A_active = 1/phi"
    )
    q["local_current_density"] = _entry(
        j_app / phi if contact else math.inf, "A/m^2", "j_loc = j_app/phi"
    )

    # --- adhesion of one asperity (information) --------------------------------------------
    E1, nu1 = inp.mat("electrode", "E"), inp.mat("electrode", "nu")
    E2, nu2 = inp.mat("electrolyte", "E"), inp.mat("electrolyte", "nu")
    if None not in (E1, nu1, E2, nu2):
        E_star = float(effective_modulus(E1, nu1, E2, nu2))
        W = float(inp.get("interface", "work_of_adhesion"))
        q["effective_modulus"] = _entry(E_star, "Pa", "1/E* = sum (1 - nu^2)/E")
        q["jkr_zero_load_radius"] = _entry(
            jkr_zero_load_radius(a, E_star, W), "m", "JKR a0 = (9 pi W R^2/(2E*))^(1/3), R = a"
        )

    # --- initial interfacial ASR ------------------------------------------------------------
    kinetics = inp.get("interface", "kinetics")
    R_ct = (inp.r.get("interface") or {}).get("R_ct")
    if kinetics == "linear" and R_ct is not None:
        r_ct, ct_model = float(R_ct), "linear kinetics R_ct"
    else:
        if kinetics == "linear":
            inp.assumptions.append("linear kinetics without R_ct: linearised Butler-Volmer used")
        i0 = float(inp.get("interface", "i0"))
        aa = float(inp.get("interface", "alpha_a"))
        ac = float(inp.get("interface", "alpha_c"))
        r_ct = GAS_CONSTANT * T / (FARADAY * i0 * (aa + ac))
        ct_model = "linearised Butler-Volmer RT/(F i0 (alpha_a + alpha_c))"
    kappa = inp.mat("electrolyte", "kappa")
    h0 = float(inp.get("interface", "h_sei0"))
    kappa_sei = float(inp.get("interface", "kappa_sei"))
    r_sei = h0 / kappa_sei
    if contact:
        r_ct_eff = r_ct / phi
        r_con = float(constriction_asr(kappa, a, phi)) if kappa is not None else None
    else:
        r_ct_eff, r_con = math.inf, math.inf
    c = OHM_M2_TO_OHM_CM2
    q["asr_charge_transfer"] = _entry(r_ct_eff * c, "Ohm cm^2", ct_model + " / phi")
    if r_con is None:
        q["asr_constriction"] = _entry(None, "Ohm cm^2", "Holm r_con", "electrolyte kappa missing")
    else:
        q["asr_constriction"] = _entry(r_con * c, "Ohm cm^2", "Holm r_con = pi a/(4 kappa phi)")
    q["asr_interphase"] = _entry(r_sei * c, "Ohm cm^2", "h_sei0/kappa_sei")
    total = r_ct_eff + (r_con or 0.0) + r_sei
    total_model = "sum of the three above" + ("" if r_con is not None else " (without r_con)")
    q["asr_interfacial"] = _entry(total * c, "Ohm cm^2", total_model)
    q["asr_interfacial_si"] = _entry(total, "Ohm m^2", total_model)
    # a bonded interface (the FE model's initial state): full contact, no constriction
    q["asr_interfacial_bonded"] = _entry(
        (r_ct + r_sei) * c, "Ohm cm^2", ct_model + " + h_sei0/kappa_sei (bonded, f = 1)"
    )

    # --- time to contact loss: interphase growth ----------------------------------------------
    E_sei = float(inp.get("ageing", "sei_E"))
    delta = float(inp.get("ageing", "stack_displacement"))
    p_min = float(inp.get("ageing", "p_min"))
    Omega = float(inp.get("ageing", "sei_molar_volume"))
    D = float(inp.get("ageing", "sei_D"))
    Ea_sei = float(inp.get("ageing", "sei_Ea"))
    d_model = "D = sei_D"
    if Ea_sei > 0:  # Arrhenius (5.9): sei_D is the diffusivity at loading.T_ref
        T_ref = float(inp.get("loading", "T_ref"))
        D = float(arrhenius(D, Ea_sei, T, T_ref))
        d_model = "D = sei_D exp[-(sei_Ea/R)(1/T - 1/T_ref)]"
    q["sei_diffusivity"] = _entry(D, "m^2/s", d_model + " at loading.temperature")
    c_inf = float(inp.get("ageing", "sei_c_inf"))
    q["sei_critical_thickness"] = _entry(
        sei_critical_thickness(E_sei, delta, p_min), "m", "h* = E' delta/p_min"
    )
    t_sei = float(sei_time_to_contact_loss(E_sei, delta, p_min, h0, Omega, D, c_inf))
    q["t_star_interphase"] = _entry(
        t_sei,
        "s",
        "parabolic growth t* = (h*^2 - h0^2)/(2 Omega D c_inf)",
        "never" if math.isinf(t_sei) else "",
    )

    # --- time to contact loss: pad relaxation (SLS) --------------------------------------------
    pad = [inp.mat("pad", k) for k in ("E1", "E2", "tau")]
    if inp.has_role("pad") and None not in pad:
        E1p, E2p, tau = pad
        eps0 = float(inp.get("loading", "pad_strain"))
        p_c = float(inp.get("ageing", "p_c"))
        t_pad = float(sls_time_to_pressure(p_c, E1p, E2p, tau, eps0))
        q["pad_pressure_initial"] = _entry(sls_pressure(0.0, E1p, E2p, tau, eps0), "Pa", "SLS")
        q["pad_pressure_final"] = _entry(sls_pressure(math.inf, E1p, E2p, tau, eps0), "Pa", "SLS")
        q["t_star_pad"] = _entry(
            t_pad,
            "s",
            "SLS t_c = -tau ln((p_c/eps0 - E2)/E1)",
            "never (E2 eps0 >= p_c)" if math.isinf(t_pad) else "",
        )
    else:
        q["t_star_pad"] = _entry(None, "s", "SLS", "no pad (E1, E2, tau) in the case")

    # --- contact-scale thermal runaway ---------------------------------------------------------
    th = inp.r.get("thermal") or {}
    T0 = float(th.get("T_ambient") or T)
    if kappa is None or not contact:
        why = "electrolyte kappa missing" if kappa is None else "no contact"
        q["runaway_critical_current"] = _entry(None, "A", "runaway ODE", why)
        q["runaway_critical_current_density"] = _entry(None, "A/m^2", "runaway ODE", why)
    else:
        ks = []
        for role in ("electrode", "electrolyte"):
            k = inp.mat(role, "k_th")
            if k is None:
                inp.assumptions.append(f"{role} k_th missing: {FALLBACK_K_TH} W/(m K) assumed")
                k = FALLBACK_K_TH
            ks.append(k)
        if th.get("spot_conductance") is not None:
            G_th, g_model = float(th["spot_conductance"]), "thermal.spot_conductance"
        else:
            G_th = float(spot_thermal_conductance(a, ks[0], ks[1]))
            g_model = "G_th = 4a/(1/k_e + 1/k_s)"
        rho, cp = inp.mat("electrolyte", "density"), inp.mat("electrolyte", "cp")
        rho_cp = rho * cp if None not in (rho, cp) else FALLBACK_RHO_CP
        Ea_soft = float(inp.get("thermal", "Ea_soft"))
        params = RunawayParams(
            kappa0=kappa,
            a0=a,
            G_th=G_th,
            C_th=float(spot_heat_capacity(a, rho_cp)),
            T0=T0,
            Ea_kappa=inp.mat("electrolyte", "Ea_kappa") or 0.0,
            Ea_soft=Ea_soft,
            tau_recover=1.0,
            tau_shrink=1.0 / RUNAWAY_TAU_RATIO,
            T_limit=T0 + RUNAWAY_DT_LIMIT,
        )
        inp.assumptions.append(
            f"runaway: spot radius = asperity_radius, T_limit = T0 + {RUNAWAY_DT_LIMIT:g} K, "
            f"tau_recover/tau_shrink = {RUNAWAY_TAU_RATIO:g}, a_min = 0.1 a0"
        )
        I_c = critical_current(params, method="analytic")
        j_c = I_c * phi / (math.pi * a**2)  # each spot feeds the area pi a^2/phi
        q["spot_thermal_conductance"] = _entry(G_th, "W/K", g_model)
        q["runaway_critical_current"] = _entry(I_c, "A", "runaway ODE fold/threshold, per spot")
        q["runaway_critical_current_density"] = _entry(j_c, "A/m^2", "I_c phi/(pi a^2), apparent")
        q["runaway_margin"] = _entry(j_c / abs(j_app) if j_app else math.inf, "1", "j_c/|j_app|")

    return {"quantities": q, "assumptions": inp.assumptions}


def screen_case(case) -> dict:
    """Screen a case loaded by ``solver.config.load_case`` (uses only ``case.resolved``)."""
    return screen_from_resolved(case.resolved)


def format_screen(result: dict) -> str:
    """Plain-text table (quantity, value, unit, model) followed by the assumptions."""
    rows = [("quantity", "value", "unit", "model")]
    for name, e in result["quantities"].items():
        v = e["value"]
        value = f"{v:.5g}" if v is not None else (e.get("note") or "-")
        if v is not None and e.get("note"):
            value += f" ({e['note']})"
        rows.append((name, value, e["unit"], e["model"]))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3])
        if k == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(r[3]))
    if result.get("assumptions"):
        lines.append("")
        lines.append("assumptions:")
        lines.extend(f"  - {s}" for s in result["assumptions"])
    return "\n".join(lines)
