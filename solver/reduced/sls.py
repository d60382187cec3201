"""Standard linear solid pad held at a fixed strain: stress relaxation and time to p_c.

    p(t) = (E2 + E1 e^(−t/τ)) ε0            [Pa]   (E1 transient, E2 long-term modulus)
    t_c  = −τ ln((p_c/ε0 − E2)/E1)           time at which p falls to p_c
with t_c = 0 when p(0) = (E1 + E2) ε0 ≤ p_c and t_c = inf when E2 ε0 ≥ p_c (the pressure never
gets there; if E2 ε0 < p_c contact loss is inevitable on calendar time). docs/theory.md §7.
Units: moduli and pressures in Pa, τ and t in s, ε0 [-].
All functions broadcast.
"""

from __future__ import annotations

import numpy as np

from ._common import check, out


def _args(E1, E2, tau, eps0):
    return (
        check("E1", E1, gt=0),
        check("E2", E2, ge=0),
        check("tau", tau, gt=0),
        check("eps0", eps0, gt=0),
    )


def sls_pressure(t, E1, E2, tau, eps0):
    """Pad pressure p(t) [Pa] = (E2 + E1 e^(−t/τ)) ε0 at time t ≥ 0 [s]."""
    t = check("t", t, ge=0, allow_inf=True)
    E1, E2, tau, eps0 = _args(E1, E2, tau, eps0)
    return out((E2 + E1 * np.exp(-t / tau)) * eps0)


def sls_time_to_pressure(p_c, E1, E2, tau, eps0):
    """Time t_c [s] at which the relaxing pad pressure reaches p_c [Pa] (0 or inf, see module)."""
    p_c = check("p_c", p_c, gt=0)
    E1, E2, tau, eps0 = _args(E1, E2, tau, eps0)
    ratio = (p_c / eps0 - E2) / E1
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -tau * np.log(np.where(ratio > 0, ratio, 1.0))
    t = np.where(ratio <= 0, np.inf, t)  # E2 ε0 ≥ p_c: never
    t = np.where(ratio >= 1, 0.0, t)  # (E1 + E2) ε0 ≤ p_c: already there
    return out(t)
