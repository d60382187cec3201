"""JKR adhesive contact of a sphere on a half-space (Johnson, Kendall & Roberts 1971,
Proc. R. Soc. Lond. A 324, 301; Johnson, *Contact Mechanics*, §5.5).

With R the sphere radius [m], E* the effective modulus [Pa], W the work of adhesion [J/m²]:
    P(a)  = 4E*a³/(3R) − √(8πWE*a³)                     load [N] for contact radius a [m]
    a0    = (9πWR²/(2E*))^(1/3)                          radius at zero load
    P_c   = −(3/2)πWR                                    pull-off force (load control)
    a_c   = a0 / 4^(1/3)                                 radius at pull-off
    δ(a)  = a²/R − √(2πWa/E*)                            approach [m]
Writing x = a^(3/2), P = A x² − B x with A = 4E*/(3R), B = √(8πWE*), so the radius for a given
load is a root of a quadratic: the stable (load-controlled) branch is x = (B + √(B² + 4AP))/(2A),
defined for P ≥ P_c; the unstable branch takes the minus sign (P_c ≤ P ≤ 0).
W = 0 recovers Hertz. Everything broadcasts over NumPy arrays.
"""

from __future__ import annotations

import numpy as np

from ._common import check, check_choice, out


def _args(R, E_star, W):
    return check("R", R, gt=0), check("E_star", E_star, gt=0), check("W", W, ge=0)


def jkr_load(a, R, E_star, W):
    """Load P [N] at contact radius a [m] (negative = tensile)."""
    a = check("a", a, ge=0)
    R, E_star, W = _args(R, E_star, W)
    return out(4.0 * E_star * a**3 / (3.0 * R) - np.sqrt(8.0 * np.pi * W * E_star * a**3))


def jkr_pull_off_force(R, W):
    """Pull-off force P_c [N] = −(3/2)πWR (the most tensile load under load control)."""
    R = check("R", R, gt=0)
    W = check("W", W, ge=0)
    return out(-1.5 * np.pi * W * R)


def jkr_zero_load_radius(R, E_star, W):
    """Contact radius a0 [m] = (9πWR²/(2E*))^(1/3) at zero external load."""
    R, E_star, W = _args(R, E_star, W)
    return out(np.cbrt(9.0 * np.pi * W * R**2 / (2.0 * E_star)))


def jkr_pull_off_radius(R, E_star, W):
    """Contact radius [m] at the pull-off force: a0 / 4^(1/3)."""
    R, E_star, W = _args(R, E_star, W)
    return out(np.cbrt(9.0 * np.pi * W * R**2 / (8.0 * E_star)))


def jkr_radius(P, R, E_star, W, branch: str = "stable"):
    """Contact radius a [m] for load P [N] (P ≥ P_c = −1.5πWR).

    branch="stable" (default): the load-controlled equilibrium (larger root);
    branch="unstable": the smaller root, which exists for P_c ≤ P ≤ 0.
    """
    check_choice("branch", branch, ("stable", "unstable"))
    P = check("P", P)
    R, E_star, W = _args(R, E_star, W)
    A = 4.0 * E_star / (3.0 * R)
    B = np.sqrt(8.0 * np.pi * W * E_star)
    P_c = -1.5 * np.pi * W * R
    # relative slack so that P = P_c computed in floating point is accepted
    tol = 1e-12 * np.maximum(np.abs(P_c), np.abs(P))
    below = P < P_c - tol
    if np.any(below):
        bad = np.broadcast_to(P, below.shape)[below].flat[0]
        raise ValueError(f"P must be >= the JKR pull-off force -1.5*pi*W*R, got {bad:g}")
    disc = np.sqrt(np.clip(B**2 + 4.0 * A * P, 0.0, None))
    if branch == "stable":
        x = (B + disc) / (2.0 * A)
    else:
        if np.any(P > 0):
            raise ValueError(f"P must be <= 0 on the unstable JKR branch, got {np.max(P):g}")
        x = np.clip((B - disc) / (2.0 * A), 0.0, None)
    return out(np.cbrt(x * x))


def jkr_approach(a, R, E_star, W):
    """Approach δ [m] = a²/R − √(2πWa/E*) at contact radius a [m]."""
    a = check("a", a, ge=0)
    R, E_star, W = _args(R, E_star, W)
    return out(a**2 / R - np.sqrt(2.0 * np.pi * W * a / E_star))
