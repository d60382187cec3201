"""Arrhenius temperature dependence of a rate-like property.

    X(T) = X_ref · exp[−(E_a/R) (1/T − 1/T_ref)]

Used for the ionic conductivity κ(T), the interphase diffusivity D(T), creep/softening rates.
Units: E_a in J/mol, T and T_ref in K; X in whatever unit X_ref carries.
"""

from __future__ import annotations

import numpy as np

from ._common import GAS_CONSTANT, check, out


def arrhenius_factor(Ea, T, T_ref):
    """Dimensionless factor exp[−(Ea/R)(1/T − 1/T_ref)] (> 1 for T > T_ref when Ea > 0).

    Ea: activation energy [J/mol] (≥ 0); T, T_ref: temperatures [K] (> 0).
    """
    Ea = check("Ea", Ea, ge=0)
    T = check("T", T, gt=0)
    T_ref = check("T_ref", T_ref, gt=0)
    return out(np.exp(-(Ea / GAS_CONSTANT) * (1.0 / T - 1.0 / T_ref)))


def arrhenius(value_ref, Ea, T, T_ref=298.15):
    """Property at temperature T [K] from its value at T_ref [K]; Ea in J/mol.

    value_ref may be any positive property (S/m, m²/s, 1/s ...); the result has its unit.
    """
    value_ref = check("value_ref", value_ref, gt=0)
    return out(value_ref * arrhenius_factor(Ea, T, T_ref))
