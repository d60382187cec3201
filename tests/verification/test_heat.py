"""Heat (issue 5): Joule parabola (docs/validation.md item 9), energy balances, Arrhenius
conductivity.

Tolerances:
- parabola: ΔT_max = κU²/(8k) within 0.5 % (docs/validation.md item 9), the nodal profile within
  0.5 % of ΔT_max; U is the potential drop across the electrolyte read from φ_s (the electrode and
  the interface carry a tiny fraction of the cell voltage).
- transient energy balance: ΔE_stored = Σ Δt (Q_J + Q_Γ − Q_out), and the interface balance
  (each side's budget against ∫ h_c ΔT across Γ_int), within 1e-8 relative at every step, from
  the integrals of solver/balances.py written independently of the residual (backward Euler is
  exactly conservative; the error is the Newton tolerance). tests/verification/test_balances.py
  shows that these checks fail for a wrong conductance in the residual.
- electrical check: Q_J + Q_Γ = I V − ∫ j_n U within 1e-8 relative.
- Arrhenius: ASR ratio between two uniform temperatures equals κ(T2)/κ(T1) within 1e-3.
- contact retention at a held uniform temperature: the steady state of (6.5) within 1e-8
  (retention_min and the area mean retention_mean).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.ec_helpers import case, run, simulation

pytestmark = pytest.mark.serial

R_GAS = 8.314462618


def joule_case(degree=1):
    return case(
        {
            "geometry": {"h_max": "1 um"},
            "materials": {
                "electrode": {"preset": "NMC811", "sigma_e": "1e6 S/m", "k_th": "1e6 W/(m*K)"},
                # constant κ: the classical parabola (κ(T) would add heat where it is hot)
                "electrolyte": {"preset": "LLZO", "Ea_kappa": "0 J/mol"},
            },
            "interface": {"kinetics": "linear", "R_ct": "1e-4 Ohm cm^2"},
            "loading": {
                "protocol": [
                    {"kind": "voltage", "voltage": "40 V", "duration": "1e6 s", "n_steps": 1}
                ]
            },
            "physics": {"thermal": True, "degree": degree},
            "thermal": {"top": "fixed", "bottom": "fixed", "h_bonded": "1e12 W/(m^2*K)"},
        }
    )


@pytest.mark.parametrize("degree", [1, 2])
def test_joule_parabola(degree):
    """docs/validation.md item 9: T(z) − T_0 = κU²/(2kL²)·ζ(L − ζ) across the electrolyte (ζ from
    Γ_int)."""
    c = joule_case(degree)
    sim, dom = simulation(c)
    sim.set_loads({"kind": "voltage", "voltage": 40.0, "time": 1e6, "temperature": 298.15})
    res = sim.solve()
    assert res.converged
    h = sim.heat
    z_s = h.T_o.function_space.tabulate_dof_coordinates()[:, 1]
    phi = sim.ec.phi_electrolyte.x.array
    U = float(np.max(phi))  # φ_s at Γ_int (0 at the top)
    lyte = c.materials["electrolyte"]
    kappa, k = lyte["kappa"], lyte["k_th"]
    t_e, L = 10e-6, 20e-6
    zeta = z_s - t_e
    exact = kappa * U**2 / (2 * k * L**2) * zeta * (L - zeta)
    dT = h.T_o.x.array - 298.15
    dT_max = kappa * U**2 / (8 * k)
    assert dT_max > 5.0  # a real temperature rise
    assert abs(dT.max() - dT_max) / dT_max < 5e-3
    assert np.max(np.abs(dT - exact)) / dT_max < 5e-3
    # the isothermal electrode
    assert np.ptp(h.T_e.x.array) < 1e-3 * dT_max


@pytest.mark.parametrize("axisymmetric", [False, True])
def test_transient_energy_balance(tmp_path, axisymmetric):
    """Coupled mechanics + potentials + heat, convective faces, a current then a rest; planar
    and axisymmetric (every balance integral weighted by 2πr, the interface terms by the
    kinetics' lumped radius)."""
    c = case(
        {
            "geometry": {"axisymmetric": axisymmetric},
            "materials": {"electrode": {"preset": "NMC811", "k_th": "0.5 W/(m*K)"}},
            "loading": {
                "protocol": [
                    {
                        "kind": "current",
                        "current_density": "200 mA/cm^2",
                        "duration": "2 ms",
                        "n_steps": 4,
                    },
                    {"kind": "rest", "duration": "2 ms", "n_steps": 3},
                ]
            },
            "interface": {
                "kinetics": "butler_volmer",
                "i0": "1 mA/cm^2",
                "microcontact": "plastic",
            },
            "physics": {"thermal": True, "mechanics": True},
            "thermal": {"h_conv": "1e5 W/(m^2*K)", "h_bonded": "1e7 W/(m^2*K)"},
        }
    )
    rows, summary = run(c, tmp_path / "run")
    stored = [r["heat_stored"] for r in rows]
    assert max(stored) > 0
    assert max(r["T_max_electrolyte"] for r in rows) > 298.15 + 0.01
    for r in rows:
        assert r["energy_balance_error"] < 1e-8, r
        assert r["interface_heat_balance_error"] < 1e-8, r
        if r["current_density_applied"] != 0:  # (at rest both sides are round-off)
            assert r["electrical_heat_balance_error"] < 1e-8, r
    # after the rest the heat flows out: the last step stores less than the peak
    assert stored[-1] < max(stored)
    assert rows[-1]["heat_joule"] == pytest.approx(0.0, abs=1e-12)
    th = summary["thermal"]
    assert th["outcome"] in ("bounded", "rising")
    assert th["max_energy_balance_error"] < 1e-8
    assert th["max_interface_heat_balance_error"] < 1e-8


def test_contact_retention_settles_at_the_steady_state_of_its_ode(tmp_path):
    """docs/theory.md (6.5) at a uniform, held interface temperature T above the initial ambient
    T_amb,0 (both faces fixed at T, the cell starting at T, no current): A = exp[−E_soft/R
    (1/T − 1/T_amb,0)] is constant, and dψ/dt = (1 − ψ)/τ_r − ψ (A − 1)/τ_s settles at
    ψ∞ = (1/τ_r)/(1/τ_r + (A − 1)/τ_s), the fixed point of its backward-Euler step too; one step
    of 1e9 s ≫ τ reaches it within τ/Δt. T is chosen for A = 4, so ψ∞ = 1/2 with τ_s = 3 τ_r.
    retention_min and the area mean retention_mean of the uniform ψ both equal ψ∞ within 1e-8."""
    T0, E_soft, tau_r, tau_s, A = 298.15, 30e3, 10.0, 30.0, 4.0
    T1 = 1.0 / (1.0 / T0 - R_GAS * math.log(A) / E_soft)
    c = case(
        {
            "loading": {
                "temperature": T1,
                "protocol": [{"kind": "rest", "duration": "1e9 s", "n_steps": 1}],
            },
            "physics": {"thermal": True},
            "thermal": {
                "T_ambient": T0,
                "top": "fixed",
                "bottom": "fixed",
                "T_top": T1,
                "T_bottom": T1,
                "tau_shrink": tau_s,
                "tau_recover": tau_r,
                "Ea_soft": E_soft,
            },
        }
    )
    rows, _ = run(c, tmp_path / "run")
    psi_inf = (1 / tau_r) / (1 / tau_r + (A - 1) / tau_s)
    assert psi_inf == pytest.approx(0.5)
    r = rows[-1]
    assert r["T_max_electrolyte"] == pytest.approx(T1, rel=1e-12)
    assert r["retention_min"] == pytest.approx(psi_inf, rel=1e-8)
    assert r["retention_mean"] == pytest.approx(psi_inf, rel=1e-8)


def test_arrhenius_asr(tmp_path):
    """Uniform T1, T2 (fixed faces, a tiny current): the ohmic ASR (total − interfacial; the
    electrode's share is negligible with σ_e = 1e6 S/m) gives ASR(T1)/ASR(T2) = κ(T2)/κ(T1).
    The T2 run is axisymmetric (a disc of radius W: the through-thickness ASR is the same), so
    the volume means T_mean_* are checked with the r-weighted measure too (uniform T: the mean
    is T whatever the weight, but only if numerator and denominator carry the same weight)."""
    Ea = 40e3
    asr = {}
    for T in (298.15, 338.15):
        c = case(
            {
                "geometry": {"axisymmetric": T > 300},
                "materials": {
                    "electrode": {"preset": "NMC811", "sigma_e": "1e6 S/m"},
                    "electrolyte": {"preset": "LLZO", "Ea_kappa": f"{Ea} J/mol"},
                },
                "loading": {"temperature": f"{T} K", "current_density": "0.01 mA/cm^2"},
                "physics": {"thermal": True},
                "thermal": {"top": "fixed", "bottom": "fixed"},
            }
        )
        rows, _ = run(c, tmp_path / f"T{T}")
        r = rows[-1]
        assert abs(r["T_max_electrolyte"] - T) < 1e-6  # uniform
        assert abs(r["T_mean_electrolyte"] - T) < 1e-6
        assert abs(r["T_mean_electrode"] - T) < 1e-6
        asr[T] = r["asr_total"] - r["asr_interfacial"]  # the electrolyte's ohmic ASR
    factor = math.exp(-Ea / R_GAS * (1 / 338.15 - 1 / 298.15))  # κ(T2)/κ(T1)
    assert asr[298.15] / asr[338.15] == pytest.approx(factor, rel=1e-3)
    assert factor > 5  # a strong dependence, not a trivial ratio


def test_arrhenius_exchange_current(tmp_path):
    """BV kinetics at j ≪ i0: ASR_int = RT/(F i0(T)(α_a + α_c)); i0(T) Arrhenius (Ea_i0)."""
    Ea = 50e3
    asr = {}
    for T in (298.15, 328.15):
        c = case(
            {
                "interface": {
                    "kinetics": "butler_volmer",
                    "i0": "1 mA/cm^2",
                    "Ea_i0": f"{Ea} J/mol",
                },
                "loading": {"temperature": f"{T} K", "current_density": "1 uA/cm^2"},
                "physics": {"thermal": True},
                "thermal": {"top": "fixed", "bottom": "fixed"},
            }
        )
        rows, _ = run(c, tmp_path / f"T{T}")
        asr[T] = rows[-1]["asr_interfacial"]
    for T, a in asr.items():
        i0 = 10.0 * math.exp(-Ea / R_GAS * (1 / T - 1 / 298.15))
        assert a * 1e-4 == pytest.approx(R_GAS * T / (96485.33212 * i0), rel=2e-3)
