"""Diffusion-limited interphase (SEI/CEI) growth and the time to contact loss it causes.

Parabolic growth (docs/theory.md §7):
    h(t)² − h0² = 2 Ω D c∞ t
with Ω the molar volume [m³/mol], D the diffusivity [m²/s], c∞ the reactant concentration
[mol/m³], h0 the initial thickness [m]. Under a fixed stack displacement δ [m] the interphase of
modulus E' [Pa] transmits the pressure p(t) = E' δ / h(t) [Pa]. Contact is lost when p falls
below p_min, i.e. when h reaches h* = E' δ / p_min:
    t* = (h*² − h0²)/(2 Ω D c∞)
with t* = 0 when h0 ≥ h* (the pressure is already too low) and t* = inf when D = 0 (no growth).
h0 = 0 is allowed: p(0) = inf (reported as inf, not an error). The interphase resistance is
r = h/κ_sei [Ω·m²]; D(T) may follow Arrhenius (:func:`sei_diffusivity`). All functions broadcast.
"""

from __future__ import annotations

import numpy as np

from ._common import check, out
from .arrhenius import arrhenius


def _growth(h0, Omega, D, c_inf):
    return (
        check("h0", h0, ge=0),
        check("Omega", Omega, gt=0),
        check("D", D, ge=0),
        check("c_inf", c_inf, gt=0),
    )


def sei_thickness(t, h0, Omega, D, c_inf):
    """Interphase thickness h(t) [m] = √(h0² + 2ΩDc∞ t) at time t ≥ 0 [s]."""
    t = check("t", t, ge=0, allow_inf=True)
    h0, Omega, D, c_inf = _growth(h0, Omega, D, c_inf)
    with np.errstate(invalid="ignore"):
        growth = np.where(D > 0, 2.0 * Omega * D * c_inf * t, 0.0)
    return out(np.sqrt(h0**2 + growth))


def sei_pressure(t, E_prime, delta, h0, Omega, D, c_inf):
    """Transmitted pressure p(t) [Pa] = E'δ/h(t) under a fixed displacement δ [m] (inf at h=0)."""
    E_prime = check("E_prime", E_prime, gt=0)
    delta = check("delta", delta, gt=0)
    h = np.asarray(sei_thickness(t, h0, Omega, D, c_inf))
    with np.errstate(divide="ignore"):
        p = np.where(h > 0, E_prime * delta / np.where(h > 0, h, 1.0), np.inf)
    return out(p)


def sei_critical_thickness(E_prime, delta, p_min):
    """Thickness h* [m] = E'δ/p_min at which the pressure reaches p_min [Pa]."""
    E_prime = check("E_prime", E_prime, gt=0)
    delta = check("delta", delta, gt=0)
    p_min = check("p_min", p_min, gt=0)
    return out(E_prime * delta / p_min)


def sei_time_to_contact_loss(E_prime, delta, p_min, h0, Omega, D, c_inf):
    """Time t* [s] = (h*² − h0²)/(2ΩDc∞) when the pressure falls to p_min (0 / inf, see module)."""
    h_star = np.asarray(sei_critical_thickness(E_prime, delta, p_min))
    h0, Omega, D, c_inf = _growth(h0, Omega, D, c_inf)
    rate = 2.0 * Omega * D * c_inf
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (h_star**2 - h0**2) / np.where(rate > 0, rate, 1.0)
    t = np.where(rate > 0, t, np.inf)
    t = np.where(h0 >= h_star, 0.0, t)
    return out(t)


def sei_resistance(h, kappa_sei):
    """Interphase area-specific resistance r = h/κ_sei [Ω·m²] (h [m], κ_sei [S/m])."""
    h = check("h", h, ge=0)
    kappa_sei = check("kappa_sei", kappa_sei, gt=0)
    return out(h / kappa_sei)


def sei_diffusivity(T, D_ref, Ea, T_ref=298.15):
    """Arrhenius interphase diffusivity D(T) [m²/s] from D_ref at T_ref [K]; Ea [J/mol]."""
    return arrhenius(check("D_ref", D_ref, gt=0), Ea, T, T_ref)
