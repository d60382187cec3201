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


# ----------------------------------------------------------- the interphase in series (FE form)
def sei_pressure_series(t, E_prime, delta, C_stack, h0, Omega, D, c_inf, beta=0.0):
    """Pressure p(t) [Pa] through an interphase in series with the rest of the stack.

    Under a fixed stack displacement δ [m] (compression positive) shared by the interphase (a
    layer of modulus E' [Pa] and thickness h(t), the parabolic law of :func:`sei_thickness`) and
    the rest of the stack (compliance C_stack = Σ t_i/M_i [m/Pa], ≥ 0):

        p = (δ + β (h − h0)) / (h/E' + C_stack)

    β [-] is the growth eigenstrain of the layer: the stress-free thickness of the product
    exceeds that of the material it consumes by β Δh (β > 0: a less dense product expands and
    raises the pressure; β < 0: a denser one shrinks and relieves it). C_stack = 0 and β = 0 give
    :func:`sei_pressure` (E'δ/h). This is the FE model's law per Γ_int point (docs/theory.md §7.2)
    when the columns of the stack act independently (laterally uniform, or varying slowly
    against the stack height). Broadcasts."""
    E_prime = check("E_prime", E_prime, gt=0)
    delta = check("delta", delta, gt=0)
    C_stack = check("C_stack", C_stack, ge=0)
    beta = check("beta", beta, gt=-1, lt=1)
    h0a = check("h0", h0, ge=0)
    h = np.asarray(sei_thickness(t, h0, Omega, D, c_inf))
    C = h / E_prime + C_stack
    with np.errstate(divide="ignore"):
        p = np.where(C > 0, (delta + beta * (h - h0a)) / np.where(C > 0, C, 1.0), np.inf)
    return out(p)


def sei_time_to_contact_loss_series(E_prime, delta, p_min, C_stack, h0, Omega, D, c_inf, beta=0.0):
    """Time t* [s] at which :func:`sei_pressure_series` falls to p_min [Pa].

    Solving p(h*) = p_min: h* = (δ − β h0 − p_min C_stack)/(p_min/E' − β), then
    t* = (h*² − h0²)/(2ΩDc∞). t* = 0 when p(h0) ≤ p_min already; t* = inf when the pressure
    never reaches p_min (D = 0, or β E' ≥ p_min: the expanding layer keeps p ≥ βE' > p_min).
    Broadcasts."""
    E_prime = check("E_prime", E_prime, gt=0)
    delta = check("delta", delta, gt=0)
    p_min = check("p_min", p_min, gt=0)
    C_stack = check("C_stack", C_stack, ge=0)
    beta = check("beta", beta, gt=-1, lt=1)
    h0, Omega, D, c_inf = _growth(h0, Omega, D, c_inf)
    rate = 2.0 * Omega * D * c_inf
    den = p_min / E_prime - beta
    with np.errstate(divide="ignore", invalid="ignore"):
        h_star = (delta - beta * h0 - p_min * C_stack) / np.where(den > 0, den, 1.0)
        t = (h_star**2 - h0**2) / np.where(rate > 0, rate, 1.0)
        p0 = np.where(h0 / E_prime + C_stack > 0, delta / (h0 / E_prime + C_stack), np.inf)
    t = np.where((rate > 0) & (den > 0), t, np.inf)
    t = np.where(p0 <= p_min, 0.0, t)
    return out(t)
