"""Closed-form delamination check of a spring-bed interface (no FE).

An interface of normal and tangential stiffness k_n, k_t [Pa/m] carrying normal traction p
and shear traction τ [Pa] stores, per unit area, the energy available for debonding
    G = G_I + G_II,  G_I = p²/(2k_n),  G_II = τ²/(2k_t)      [J/m²]
(docs/theory.md §8). Only a tensile normal traction opens the interface in practice; this module
evaluates the formula as written and leaves the sign convention to the caller.
Mode mixity B = G_II/(G_I + G_II) (B := 0 when G = 0). Benzeggagh–Kenane toughness
(Benzeggagh & Kenane 1996, Compos. Sci. Technol. 56, 439):
    G_c(B) = G_Ic + (G_IIc − G_Ic) B^η.
Delamination when G ≥ G_c(B). All functions broadcast.
"""

from __future__ import annotations

import numpy as np

from ._common import check, out


def energy_release_rate(p, tau, k_n, k_t):
    """Spring-bed energy release rate G [J/m²] = p²/(2k_n) + τ²/(2k_t)."""
    p = check("p", p)
    tau = check("tau", tau)
    k_n = check("k_n", k_n, gt=0)
    k_t = check("k_t", k_t, gt=0)
    return out(p**2 / (2.0 * k_n) + tau**2 / (2.0 * k_t))


def mode_mixity(G_I, G_II):
    """Mode mixity B = G_II/(G_I + G_II) [-] from the mode I and II parts [J/m²]; 0 if both 0."""
    G_I = check("G_I", G_I, ge=0)
    G_II = check("G_II", G_II, ge=0)
    G = G_I + G_II
    with np.errstate(divide="ignore", invalid="ignore"):
        B = np.where(G > 0, G_II / np.where(G > 0, G, 1.0), 0.0)
    return out(B)


def bk_toughness(B, G_Ic, G_IIc, eta):
    """Benzeggagh–Kenane mixed-mode toughness G_c [J/m²] = G_Ic + (G_IIc − G_Ic) B^η."""
    B = check("B", B, ge=0, le=1)
    G_Ic = check("G_Ic", G_Ic, gt=0)
    G_IIc = check("G_IIc", G_IIc, gt=0)
    eta = check("eta", eta, gt=0)
    return out(G_Ic + (G_IIc - G_Ic) * B**eta)


def delamination_check(p, tau, k_n, k_t, G_Ic, G_IIc, eta):
    """(G/G_c, G ≥ G_c) for tractions p, τ [Pa] on a spring bed k_n, k_t [Pa/m].

    Returns a pair of arrays (or scalars): the ratio G/G_c(B) [-] and a boolean flag.
    """
    p = check("p", p)
    tau = check("tau", tau)
    k_n = check("k_n", k_n, gt=0)
    k_t = check("k_t", k_t, gt=0)
    G_I = p**2 / (2.0 * k_n)
    G_II = tau**2 / (2.0 * k_t)
    Gc = bk_toughness(mode_mixity(G_I, G_II), G_Ic, G_IIc, eta)
    ratio = (G_I + G_II) / Gc
    return out(ratio), out(ratio >= 1.0)
