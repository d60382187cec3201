"""Constriction (spreading) resistance of conducting contact spots, and current constriction.

Single circular spot of radius a [m], equipotential, on a half-space of conductivity κ [S/m]
(Holm, *Electric Contacts*, 4th ed. 1967, §4):      R = 1/(4κa)  [Ω]
Same spot with uniform current density (isoflux), based on the mean spot potential:
                                                    R = 8/(3π²κa)
Spot of radius a centred on the end of a semi-infinite flux tube of radius b (ε = a/b):
    R = ψ(ε)/(4κa),
  ψ(ε) = 1 − 1.40925ε + 0.29591ε³ + 0.05254ε⁵ + 0.02105ε⁷ + 0.01107ε⁹ + 0.00657ε¹¹
         + 0.00422ε¹³ + 0.00288ε¹⁵       (equipotential spot; Gibson 1976, Appl. Energy 2, 57,
                                          as tabulated by Yovanovich & Marotta 2003, "Thermal
                                          spreading and contact resistances", Heat Transfer
                                          Handbook, Wiley, ch. 4); the truncated series
                                          turns negative near ε = 0.9, so for ε > 0.8 this module
                                          continues it as ψ(0.8)·((1 − ε)/0.2)^1.5 (continuous,
                                          monotone, ψ(1) = 0: an extrapolation, not Gibson's);
  ψ(ε) ≈ (1 − ε)^1.5                     (Cooper, Mikic & Yovanovich 1969, Int. J. Heat Mass
                                          Transfer 12, 279; within a few % for ε ≲ 0.5).
N spots (Greenwood 1966, "Constriction resistance and the real area of contact", Br. J. Appl.
Phys. 17, 1621), one-sided form for a single half-space:
    R = 1/(4κ Σa_i) + (1/(2πκ)) Σ_{i≠j} a_i a_j / (s_ij (Σa)²)         (explicit spot set)
For N equal spots scattered uniformly over a circular apparent area A = πα² the mean inverse
separation is 16/(3πα), giving the closed form used by :func:`greenwood_resistance`:
    R = 1/(4κNa) + (1 − 1/N) · 8/(3π²κα)
(the second, "cluster" term is the isoflux resistance of the whole apparent area; Holm's
equipotential estimate would use 1/(4κα)).
Interfacial constriction ASR (docs/theory.md §8) for spots of radius a covering a fraction φ:
    r_con = π a/(4κφ)  [Ω·m²]   (each spot feeds its share A/N = πa²/φ of the area);
with ``flux_tube=True`` it is multiplied by ψ(√φ), the flux-tube correction for ε = √φ.
Current constriction (docs/theory.md §1): j_app = j_loc · A_active/A_app.
All functions broadcast over NumPy arrays. SI units: m, S/m, Ω, Ω·m², A/m².
"""

from __future__ import annotations

import numpy as np

from ._common import check, check_choice, out

GIBSON_PSI = (1.0, -1.40925, 0.0, 0.29591, 0.0, 0.05254, 0.0, 0.02105, 0.0, 0.01107, 0.0, 0.00657)
GIBSON_PSI = GIBSON_PSI + (0.0, 0.00422, 0.0, 0.00288)
GIBSON_EPS_MAX = 0.8  # beyond: (1 − ε)^1.5 continuation matched at ε = 0.8


def holm_resistance(kappa, a):
    """Constriction resistance [Ω] = 1/(4κa) of one equipotential spot of radius a [m]."""
    kappa = check("kappa", kappa, gt=0)
    a = check("a", a, gt=0)
    return out(1.0 / (4.0 * kappa * a))


def isoflux_spot_resistance(kappa, a):
    """Resistance [Ω] = 8/(3π²κa) of a uniform-flux spot (mean potential) of radius a [m]."""
    kappa = check("kappa", kappa, gt=0)
    a = check("a", a, gt=0)
    return out(8.0 / (3.0 * np.pi**2 * kappa * a))


def flux_tube_correction(eps, form: str = "gibson"):
    """Finite-size factor ψ(ε) [-], ε = a/b ∈ [0, 1]: "gibson" series or "cooper" (1 − ε)^1.5.

    See the module docstring for the sources and the continuation of the series beyond 0.8.
    """
    check_choice("form", form, ("gibson", "cooper"))
    eps = check("eps", eps, ge=0, le=1)
    if form == "cooper":
        return out((1.0 - eps) ** 1.5)
    psi = np.polynomial.polynomial.polyval(np.minimum(eps, GIBSON_EPS_MAX), GIBSON_PSI)
    tail = psi * ((1.0 - eps) / (1.0 - GIBSON_EPS_MAX)) ** 1.5
    return out(np.where(eps <= GIBSON_EPS_MAX, psi, tail))


def flux_tube_resistance(kappa, a, b, form: str = "gibson"):
    """Resistance [Ω] = ψ(a/b)/(4κa) of a spot of radius a [m] on a flux tube of radius b [m]."""
    kappa = check("kappa", kappa, gt=0)
    a = check("a", a, gt=0)
    b = check("b", b, gt=0)
    if np.any(a > b):
        raise ValueError("a must be <= b (spot radius within the flux tube)")
    return out(flux_tube_correction(a / b, form) / (4.0 * kappa * a))


def greenwood_resistance(kappa, a, n, A_app):
    """Resistance [Ω] of n ≥ 1 equal spots (radius a [m]) spread over apparent area A_app [m²].

    R = 1/(4κna) + (1 − 1/n)·8/(3π²κα), α = √(A_app/π) (Greenwood 1966, one half-space).
    """
    kappa = check("kappa", kappa, gt=0)
    a = check("a", a, gt=0)
    n = check("n", n, ge=1)
    A_app = check("A_app", A_app, gt=0)
    alpha = np.sqrt(A_app / np.pi)
    return out(
        1.0 / (4.0 * kappa * n * a) + (1.0 - 1.0 / n) * 8.0 / (3.0 * np.pi**2 * kappa * alpha)
    )


def greenwood_resistance_spots(kappa: float, radii, centres) -> float:
    """Resistance [Ω] of an explicit set of spots (Greenwood's pair sum, one half-space).

    radii: (N,) spot radii [m]; centres: (N, 2) spot centres [m]; kappa scalar [S/m].
    Accurate when the spots are well separated (s_ij ≫ a).
    """
    kappa = float(check("kappa", kappa, gt=0))
    radii = check("radii", radii, gt=0).reshape(-1)
    centres = check("centres", centres)
    if centres.shape != (radii.size, 2):
        raise ValueError(f"centres must have shape ({radii.size}, 2), got {centres.shape}")
    diff = centres[:, None, :] - centres[None, :, :]
    s = np.hypot(diff[..., 0], diff[..., 1])
    off = ~np.eye(radii.size, dtype=bool)
    if np.any(s[off] <= 0):
        raise ValueError("centres must be distinct")
    total = radii.sum()
    pair = np.sum((np.outer(radii, radii)[off]) / s[off])
    return float(1.0 / (4.0 * kappa * total) + pair / (2.0 * np.pi * kappa * total**2))


def local_current_density(j_app, A_app, A_active):
    """Local current density j_loc [A/m²] = j_app·A_app/A_active at the active spots."""
    j_app = check("j_app", j_app)
    A_app = check("A_app", A_app, gt=0)
    A_active = check("A_active", A_active, gt=0)
    return out(j_app * A_app / A_active)


def constriction_factor(A_app, A_active):
    """Current constriction factor j_loc/j_app = A_app/A_active [-] (≥ 1 when A_active ≤ A_app)."""
    A_app = check("A_app", A_app, gt=0)
    A_active = check("A_active", A_active, gt=0)
    return out(A_app / A_active)


def constriction_asr(kappa, a, phi, flux_tube: bool = False):
    """Interfacial constriction ASR r_con [Ω·m²] = πa/(4κφ) (docs/theory.md §8).

    kappa [S/m], spot radius a [m], contact fraction phi ∈ (0, 1]. With ``flux_tube`` the
    spots are treated as packed flux tubes and the value is multiplied by ψ(√φ) (Gibson).
    """
    kappa = check("kappa", kappa, gt=0)
    a = check("a", a, gt=0)
    phi = check("phi", phi, gt=0, le=1)
    r = np.pi * a / (4.0 * kappa * phi)
    if flux_tube:
        r = r * flux_tube_correction(np.sqrt(phi))
    return out(r)
