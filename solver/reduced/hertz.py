"""Hertz contact (no adhesion) of a sphere (axisymmetric) and of a cylinder (2D plane strain).

Johnson, *Contact Mechanics* (Cambridge, 1985), §4.2 (sphere) and §4.3 (cylinder).

Sphere of radius R pressed with load P [N] on a half-space, effective modulus E* [Pa]:
    a³ = 3PR/(4E*),  p0 = 3P/(2πa²),  δ = a²/R,  p(r) = p0 √(1 − r²/a²).
Cylinder of radius R, load per unit length P' [N/m] (plane strain):
    b² = 4P'R/(πE*),  p0 = 2P'/(πb),  p(x) = p0 √(1 − x²/b²).
Effective modulus: 1/E* = (1 − ν1²)/E1 + (1 − ν2²)/E2 (E2 = inf: rigid counter-body).

All functions broadcast over NumPy arrays; lengths in m, forces in N (N/m per unit length),
moduli and pressures in Pa.
"""

from __future__ import annotations

import numpy as np

from ._common import check, out


def effective_modulus(E1, nu1, E2=np.inf, nu2=0.0):
    """Contact modulus E* [Pa] of two elastic bodies (E2 = inf for a rigid body)."""
    E1 = check("E1", E1, gt=0)
    nu1 = check("nu1", nu1, gt=-1, le=0.5)
    E2 = check("E2", E2, gt=0, allow_inf=True)
    nu2 = check("nu2", nu2, gt=-1, le=0.5)
    return out(1.0 / ((1.0 - nu1**2) / E1 + (1.0 - nu2**2) / E2))


def _sphere_args(P, R, E_star):
    return (
        check("P", P, ge=0),
        check("R", R, gt=0),
        check("E_star", E_star, gt=0),
    )


def hertz_sphere_radius(P, R, E_star):
    """Contact radius a [m] = (3PR/(4E*))^(1/3) for load P [N], sphere radius R [m]."""
    P, R, E_star = _sphere_args(P, R, E_star)
    return out(np.cbrt(3.0 * P * R / (4.0 * E_star)))


def hertz_sphere_load(a, R, E_star):
    """Load P [N] = 4E*a³/(3R) that produces contact radius a [m]."""
    a = check("a", a, ge=0)
    R = check("R", R, gt=0)
    E_star = check("E_star", E_star, gt=0)
    return out(4.0 * E_star * a**3 / (3.0 * R))


def hertz_sphere_peak_pressure(P, R, E_star):
    """Peak (centre) pressure p0 [Pa] = 3P/(2πa²) = (6PE*²/(π³R²))^(1/3)."""
    P, R, E_star = _sphere_args(P, R, E_star)
    return out(np.cbrt(6.0 * P * E_star**2 / (np.pi**3 * R**2)))


def hertz_sphere_approach(P, R, E_star):
    """Mutual approach (indentation) δ [m] = a²/R."""
    P, R, E_star = _sphere_args(P, R, E_star)
    return out(np.cbrt(3.0 * P * R / (4.0 * E_star)) ** 2 / R)


def hertz_sphere_pressure(r, P, R, E_star):
    """Pressure distribution p(r) [Pa] = p0 √(1 − r²/a²) for r < a, 0 outside (r [m])."""
    r = check("r", r, ge=0)
    P, R, E_star = _sphere_args(P, R, E_star)
    a = np.cbrt(3.0 * P * R / (4.0 * E_star))
    p0 = np.cbrt(6.0 * P * E_star**2 / (np.pi**3 * R**2))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(r < a, 1.0 - (r / np.where(a > 0, a, 1.0)) ** 2, 0.0)
    return out(p0 * np.sqrt(np.clip(s, 0.0, None)))


def _cyl_args(P_line, R, E_star):
    return (
        check("P_line", P_line, ge=0),
        check("R", R, gt=0),
        check("E_star", E_star, gt=0),
    )


def hertz_cylinder_halfwidth(P_line, R, E_star):
    """Contact half-width b [m] = √(4P'R/(πE*)) for load per unit length P' [N/m]."""
    P_line, R, E_star = _cyl_args(P_line, R, E_star)
    return out(np.sqrt(4.0 * P_line * R / (np.pi * E_star)))


def hertz_cylinder_peak_pressure(P_line, R, E_star):
    """Peak pressure p0 [Pa] = 2P'/(πb) = √(P'E*/(πR))."""
    P_line, R, E_star = _cyl_args(P_line, R, E_star)
    return out(np.sqrt(P_line * E_star / (np.pi * R)))


def hertz_cylinder_pressure(x, P_line, R, E_star):
    """Pressure distribution p(x) [Pa] = p0 √(1 − x²/b²) for |x| < b, 0 outside (x [m])."""
    x = check("x", x)
    P_line, R, E_star = _cyl_args(P_line, R, E_star)
    b = np.sqrt(4.0 * P_line * R / (np.pi * E_star))
    p0 = np.sqrt(P_line * E_star / (np.pi * R))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(np.abs(x) < b, 1.0 - (x / np.where(b > 0, b, 1.0)) ** 2, 0.0)
    return out(p0 * np.sqrt(np.clip(s, 0.0, None)))
