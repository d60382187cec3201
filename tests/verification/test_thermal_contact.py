"""docs/validation.md item 29: the temperature jump at Γ_int in steady 1D conduction.

A flat 2D bilayer between two isothermal plates (bottom at T_b, top at T_t: `thermal.bottom =
"fixed"` with `T_bottom`, `thermal.top = "fixed"`), no heat source, steady state: the heat flux
through the stack is, by Fourier's law and the definition of a contact conductance h_c
(q = h_c ΔT_Γ; e.g. Incropera & DeWitt, Fundamentals of Heat and Mass Transfer, ch. 3, thermal
resistances in series),

    q = (T_b − T_t) / (t_e/k_e + 1/h_c + t_s/k_s),   ΔT_Γ = T_e − T_o = q/h_c,

and the electrolyte's temperature at Γ_int is T_t + q t_s/k_s. h_c from the closed forms of the
interface state (docs/theory.md (6.3)):

* bonded: h_c = h_bonded;
* decohered everywhere without registry (`[[interface.debonded]] shape = "all"`), pressed by P:
  plastic micro-contacts over the real contact fraction φ = P/H (Bowden & Tabor 1950) with spots
  of radius a, each a Cooper–Mikic–Yovanovich constriction 2 k_s a/ψ(√φ) in series with the
  surface conductance h_bonded (Cooper, Mikic & Yovanovich, Int. J. Heat Mass Transfer 12
  (1969) 279; k_s = 2k_e k_s/(k_e + k_s); ψ Gibson's flux-tube factor, Gibson, Appl. Energy 2
  (1976) 57, series coefficients as published):

      h_c = φ / (1/h_bonded + π a ψ(√φ)/(2 k_s));

* decohered and open (the platen lifted by 50 nm ≫ g_open): h_c = h_gap.

The thermal strain is switched off (alpha_th = 0), so the interface state is exactly the
mechanical one (pressure P, or the 50 nm gap). P1 represents the linear profiles exactly:
tolerance 1e-6 relative on ΔT_Γ and on the temperature drop across the electrolyte (the
Newton update tolerance is 1e-9 K; the micro-contact fraction's C¹ rounding is 1e-10).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.ec_helpers import case, simulation

pytestmark = pytest.mark.serial

W, T_E, T_S = 10e-6, 20e-6, 20e-6
K_E, K_S = 0.3, 0.15  # W/(m K)
T_TOP, T_BOTTOM = 298.15, 318.15
H_BONDED = 1e5  # W/(m^2 K)
H_GAP = 2e3  # W/(m^2 K)
P = 20e6  # Pa
HARDNESS = 2e8  # Pa (the softer side): φ = 0.1
A_SPOT = 1e-6  # m

# Gibson (1976) flux-tube factor ψ(ε) = Σ c_k ε^k, as published
GIBSON = {0: 1.0, 1: -1.40925, 3: 0.29591, 5: 0.05254, 7: 0.02105, 9: 0.01107, 11: 0.00657}
GIBSON.update({13: 0.00422, 15: 0.00288})


def gibson_psi(eps: float) -> float:
    return sum(c * eps**k for k, c in GIBSON.items())


def h_microcontacts() -> float:
    phi = P / HARDNESS
    k_s = 2 * K_E * K_S / (K_E + K_S)
    return phi / (1 / H_BONDED + math.pi * A_SPOT * gibson_psi(math.sqrt(phi)) / (2 * k_s))


def thermal_case(state: str):
    mats = {
        "electrode": {"preset": "NMC811", "k_th": K_E, "alpha_th": 0.0, "hardness": HARDNESS},
        "electrolyte": {"preset": "LLZO", "k_th": K_S, "alpha_th": 0.0, "hardness": 5 * HARDNESS},
    }
    itf = {"microcontact": "plastic", "asperity_radius": A_SPOT, "registry_length": A_SPOT}
    loading = {"stack_pressure": P, "temperature": T_TOP}
    if state != "bonded":
        itf["debonded"] = [{"shape": "all", "registry": False}]
    if state == "open":  # lift the platen: the decohered surfaces part
        loading.update({"pressure_mode": "displacement"})
    return case(
        {
            "geometry": {
                "family": "bilayer",
                "dim": 2,
                "W": W,
                "t_e": T_E,
                "t_s": T_S,
                "h_max": "5 um",
            },
            "materials": mats,
            "interface": itf,
            "loading": loading,
            "physics": {"mechanics": True, "electrochemistry": False, "thermal": True},
            "thermal": {
                "top": "fixed",
                "bottom": "fixed",
                "T_bottom": T_BOTTOM,
                "h_bonded": H_BONDED,
                "h_gap": H_GAP,
            },
            "output": {"fields": False},
        },
        replace=("geometry", "materials", "interface", "loading", "physics"),
    )


@pytest.mark.parametrize(
    "state, h_c",
    [("bonded", H_BONDED), ("microcontacts", h_microcontacts()), ("open", H_GAP)],
)
def test_steady_interface_temperature_jump_is_flux_over_contact_conductance(state, h_c):
    sim, dom = simulation(thermal_case(state))
    loads = {"kind": "hold", "time": 1e9, "temperature": T_TOP}  # Δt ≫ ρc_p L²/k: steady
    loads.update({"pressure": P} if state != "open" else {"displacement": 50e-9})
    sim.set_loads(loads)
    assert sim.solve().converged
    h = sim.heat
    T_e = h.point_values(h.T_e("+"))
    T_o = h.point_values(h.T_o("-"))
    jump = T_e - T_o
    R = T_E / K_E + 1 / h_c + T_S / K_S
    q = (T_BOTTOM - T_TOP) / R
    assert np.allclose(jump, q / h_c, rtol=1e-6)
    assert np.allclose(T_o - T_TOP, q * T_S / K_S, rtol=1e-6)
    # the interface state is the intended one
    im = sim.mech.interfaces[0]
    g = sim.mech.interface_point_values(im, im.state.g_n)
    if state == "open":
        assert np.all(g > 40e-9)
    else:
        assert np.allclose(-sim.mech.interface_point_values(im, im.state.t_n), P, rtol=1e-6)
