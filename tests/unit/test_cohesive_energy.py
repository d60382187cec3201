"""The energy a rate-independent cohesive law dissipates up to a damage state, against the
traction–separation curve itself (Camanho & Dávila 2002; mode I).

Reference, independent of the product's formulas: the mode-I traction t(δ) of the law from its
three parameters (K_n, σ_c, G_Ic) — linear K_n δ up to δ₀ = σ_c/K_n, then bilinear
t = σ_c (δ_f − δ)/(δ_f − δ₀) with δ_f = 2G_Ic/σ_c, or exponential t = σ_c exp(−(δ − δ₀)/δ_c)
with the δ_c that makes the whole area G_Ic; the secant damage d = 1 − t/(K_n δ) inverted for δ
by ``scipy.optimize.brentq``; the dissipated energy Φ = ∫₀^δ t dδ' − ½ t(δ) δ (the work done
minus the elastic energy the secant unloading gives back), integrated by ``scipy.integrate.quad``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from solver.physics.cohesive import CohesiveLaw, dissipation_at_damage

K, SIG, G = 1e16, 1e7, 1.0  # Pa/m, Pa, J/m²


def _law(kind: str) -> CohesiveLaw:
    return CohesiveLaw(
        K_n=K, K_t=K, K_c=K, sigma_c=SIG, tau_c=SIG, G_Ic=G, G_IIc=G, law=kind, eta=2.0
    )


def _traction(kind: str):
    d0 = SIG / K
    if kind == "bilinear":
        df = 2 * G / SIG
        return d0, lambda x: K * x if x <= d0 else SIG * max(df - x, 0.0) / (df - d0)
    dc = (G - 0.5 * SIG * d0) / SIG
    return d0, lambda x: K * x if x <= d0 else SIG * np.exp(-(x - d0) / dc)


@pytest.mark.parametrize("kind", ["bilinear", "exponential"])
def test_dissipated_energy_is_the_area_above_the_secant_unloading(kind):
    """Φ_d(d) = ∫₀^δ t − ½ t(δ) δ at the δ of secant damage d, 1e-6 of G_Ic, at five damages;
    Φ_d → G_Ic as d → 1."""
    d0, t = _traction(kind)
    law = _law(kind)
    for d in (0.05, 0.3, 0.6, 0.9, 0.99):
        hi = 2 * G / SIG if kind == "bilinear" else 200 * G / SIG
        delta = brentq(lambda x, d=d: 1 - t(x) / (K * x) - d, d0 * (1 + 1e-12), hi, xtol=1e-22)
        work = quad(t, 0.0, d0)[0] + quad(t, d0, delta, limit=200)[0]
        ref = work - 0.5 * t(delta) * delta
        got = float(dissipation_at_damage(law, np.array([d]), np.zeros(1))[0])
        assert got == pytest.approx(ref, abs=1e-6 * G), (kind, d)
    full = float(dissipation_at_damage(law, np.array([1.0]), np.zeros(1))[0])
    assert full == pytest.approx(G, rel=1e-6)
