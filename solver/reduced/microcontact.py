"""Micro-contact models: real contact fraction of a rough interface under a nominal pressure.

Plastic (fully yielded asperities; Bowden & Tabor): the asperity tips carry the hardness H, so
    φ = A_real / A_nominal = min(1, p/H).

Greenwood–Williamson (Greenwood & Williamson 1966, Proc. R. Soc. Lond. A 295, 300; Johnson,
*Contact Mechanics*, §13.2): a rough surface carrying η summits per unit area [1/m²], all with
tip radius β [m], with Gaussian summit heights of standard deviation σ_s [m], against a rigid flat
at separation d [m] from the mean summit plane; each touching summit is a Hertz contact
(a² = β w, P = (4/3)E*β^(1/2) w^(3/2), w its compression). With h = d/σ_s and
    F_n(h) = ∫_h^∞ (s − h)^n ϕ(s) ds,   ϕ the standard normal density,
          = Γ(n+1) e^(−h²/4) D_{−n−1}(h) / √(2π)   (D: parabolic cylinder function),
per unit nominal area:
    number of spots   n_s = η F_0(h)
    real area fraction φ  = π η β σ_s F_1(h)
    nominal pressure  p   = (4/3) η E* β^(1/2) σ_s^(3/2) F_{3/2}(h)
    mean spot radius  ā   = √(A_real/(π N)) = √(β σ_s F_1/F_0)
The model assumes sparse, independent asperities: it is meaningful while φ ≪ 1.
The inverse (separation for a given nominal pressure) is found by bisection on h, vectorised.

Units: lengths in m, η in 1/m², pressures and moduli in Pa. All functions broadcast.
"""

from __future__ import annotations

import math

import numpy as np

from ._common import check, out

_H_MIN, _H_MAX = -8.0, 12.0  # bracket of the normalised separation for the inverse problem


def plastic_contact_fraction(p, H):
    """Real contact fraction φ = min(1, p/H) [-] for nominal pressure p [Pa], hardness H [Pa]."""
    p = check("p", p, ge=0)
    H = check("H", H, gt=0)
    return out(np.minimum(1.0, p / H))


def microcontact_spots(law: str, p, *, radius, spacing=None, hardness=None, E_star=None, W=0.0):
    """(spot radius a [m], real contact fraction φ [-]) of decohered, pressed contact at the
    contact pressure p [Pa] — the FE's sub-grid laws (docs/theory.md §4.8,
    :mod:`solver.physics.contact`), here in NumPy for the screen:

    * ``plastic``: φ = min(1, p/H) (Bowden & Tabor), spots of the load-independent radius
      ``radius`` (Greenwood–Williamson: the number of spots grows with the load);
    * ``hertz`` / ``jkr``: a square array of spherical asperities of radius ``radius`` and
      spacing ``spacing``, each carrying P = p·spacing²; a from Hertz a³ = 3PR/(4E*) or the
      stable JKR branch, φ = min(1, πa²/spacing²);
    * ``none``: the decohered, closed interface conducts like a bonded one: φ = 1, a = radius.
    """
    p = np.maximum(check("p", p), 0.0)
    R = check("radius", radius, gt=0)
    if law == "none":
        return out(R + 0.0 * p), out(1.0 + 0.0 * p)
    if law == "plastic":
        return out(R + 0.0 * p), plastic_contact_fraction(p, hardness)
    from .hertz import hertz_sphere_radius
    from .jkr import jkr_radius

    ell = check("spacing", spacing, gt=0)
    P = p * ell**2
    a = hertz_sphere_radius(P, R, E_star) if law == "hertz" else jkr_radius(P, R, E_star, W)
    return out(a), out(np.minimum(1.0, np.pi * np.asarray(a) ** 2 / ell**2))


def gw_F(n: float, h):
    """Greenwood–Williamson integral F_n(h) = ∫_h^∞ (s−h)^n ϕ(s) ds for the standard normal ϕ."""
    from scipy.special import pbdv

    n = float(check("n", n, ge=0))
    h = check("h", h)
    D, _ = pbdv(-n - 1.0, h)
    return out(math.gamma(n + 1.0) * np.exp(-0.25 * h * h) * D / math.sqrt(2.0 * math.pi))


def _gw_surface(sigma_s, eta, beta):
    return (
        check("sigma_s", sigma_s, gt=0),
        check("eta", eta, gt=0),
        check("beta", beta, gt=0),
    )


def gw_spot_density(d, sigma_s, eta):
    """Number of contact spots per unit nominal area [1/m²] at separation d [m]."""
    d = check("d", d)
    sigma_s = check("sigma_s", sigma_s, gt=0)
    eta = check("eta", eta, gt=0)
    return out(eta * gw_F(0.0, d / sigma_s))


def gw_contact_fraction(d, sigma_s, eta, beta):
    """Real contact area fraction φ = π η β σ_s F_1(d/σ_s) [-] at separation d [m]."""
    d = check("d", d)
    sigma_s, eta, beta = _gw_surface(sigma_s, eta, beta)
    return out(np.pi * eta * beta * sigma_s * gw_F(1.0, d / sigma_s))


def gw_pressure(d, sigma_s, eta, beta, E_star):
    """Nominal pressure p [Pa] = (4/3) η E* β^(1/2) σ_s^(3/2) F_{3/2}(d/σ_s) at separation d."""
    d = check("d", d)
    sigma_s, eta, beta = _gw_surface(sigma_s, eta, beta)
    E_star = check("E_star", E_star, gt=0)
    scale = 4.0 / 3.0 * eta * E_star * np.sqrt(beta) * sigma_s**1.5
    return out(scale * gw_F(1.5, d / sigma_s))


def gw_mean_spot_radius(d, sigma_s, beta):
    """Mean contact-spot radius ā [m] = √(β σ_s F_1/F_0) (area-equivalent) at separation d."""
    d = check("d", d)
    sigma_s = check("sigma_s", sigma_s, gt=0)
    beta = check("beta", beta, gt=0)
    h = d / sigma_s
    return out(np.sqrt(beta * sigma_s * gw_F(1.0, h) / gw_F(0.0, h)))


def gw_separation(p, sigma_s, eta, beta, E_star):
    """Separation d [m] at which the GW surface carries nominal pressure p [Pa] (> 0).

    Solved by vectorised bisection on h = d/σ_s in [−8, 12] (F_{3/2} decreases strictly);
    raises ValueError when p lies outside that range (absurdly small or large loads).
    """
    p = check("p", p, gt=0)
    sigma_s, eta, beta = _gw_surface(sigma_s, eta, beta)
    E_star = check("E_star", E_star, gt=0)
    scale = 4.0 / 3.0 * eta * E_star * np.sqrt(beta) * sigma_s**1.5
    target = np.log(p / scale)
    lo_val = np.log(gw_F(1.5, _H_MIN))
    hi_val = np.log(gw_F(1.5, _H_MAX))
    if np.any(target > lo_val) or np.any(target < hi_val):
        raise ValueError(
            "p must lie within the Greenwood-Williamson range "
            f"[{np.min(scale) * np.exp(hi_val):g}, {np.max(scale) * np.exp(lo_val):g}] Pa "
            "for this surface"
        )
    lo = np.full(target.shape, _H_MIN)
    hi = np.full(target.shape, _H_MAX)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        f = np.log(np.asarray(gw_F(1.5, mid)))
        above = f > target  # pressure too high: move away (larger separation)
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return out(0.5 * (lo + hi) * sigma_s)


def gw_contact_fraction_at_pressure(p, sigma_s, eta, beta, E_star):
    """Real contact fraction φ [-] of a GW surface under nominal pressure p [Pa]."""
    d = gw_separation(p, sigma_s, eta, beta, E_star)
    return gw_contact_fraction(d, sigma_s, eta, beta)
