"""The pieces of the viscous damage dissipation (docs/theory.md (10.1a), (10.1b)):
:func:`solver.physics.cohesive.separation_at_damage` and
:func:`solver.physics.cohesive.dissipation_at_damage`, and the mixed-mode law they invert.

Checks (the run-level energy balance is tests/verification/test_viscous_damage.py and
tests/verification/test_dcb_path.py):
* δ_d(d, B) inverts the rate-independent damage, d_inv(δ_d, B) = d, for the bilinear and
  exponential laws of Camanho & Dávila (2002) in mixed mode: to 1e-9;
* the bilinear law's release between two damages is the product rule of (10.1b),
  Φ_d(d₁) − Φ_d(d₀) = ½K_n δ_d(d₀) δ_d(d₁) (d₁ − d₀), from Φ = G_c (δ − δ₀)/(δ_f − δ₀) and
  d = δ_f (δ − δ₀)/(δ (δ_f − δ₀)) (4.9): to 1e-12; and Φ_d(1) = G_c;
* the mixed-mode onset and toughness (below).
"""

from __future__ import annotations

import numpy as np
import pytest

from solver.physics.cohesive import (
    CohesiveLaw,
    damage_inviscid,
    dissipation_at_damage,
    separation_at_damage,
)


def _law(kind: str) -> CohesiveLaw:
    return CohesiveLaw(
        K_n=1e16, K_t=4e15, K_c=1e16, sigma_c=1e7, tau_c=2e7, G_Ic=1.0, G_IIc=3.0,
        law=kind, eta=2.0,
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["bilinear", "exponential"])
def test_separation_at_damage_inverts_the_damage(kind):
    law = _law(kind)
    d = np.array([1e-3, 0.1, 0.5, 0.9, 0.999])
    for B in (0.0, 0.3, 1.0):
        Bs = np.full(d.shape, B)
        delta, d0, df, Gc = separation_at_damage(law, d, Bs)
        assert np.all(delta > d0)
        back, _, _ = damage_inviscid(law, delta, Bs)
        assert np.allclose(back, d, rtol=0, atol=1e-9)
    zero, d0, _, _ = separation_at_damage(law, np.zeros(1), np.zeros(1))
    assert zero[0] == pytest.approx(d0[0], rel=1e-9)  # d = 0: the onset


def test_bilinear_release_between_two_damages_is_the_product_rule():
    law = _law("bilinear")
    d = np.linspace(0.0, 1.0, 41)
    for B in (0.0, 0.5, 1.0):
        Bs = np.full(d.shape, B)
        delta, d0, df, Gc = separation_at_damage(law, d, Bs)
        phi = dissipation_at_damage(law, d, Bs)
        assert phi[-1] == pytest.approx(Gc[-1], rel=1e-12)
        assert phi[0] == 0.0
        product = 0.5 * law.K_n * delta[:-1] * delta[1:] * np.diff(d)
        assert np.allclose(np.diff(phi), product, rtol=1e-12, atol=0.0)


def test_mixed_mode_onset_and_toughness_follow_camanho_davila():
    """d_inv's onset and final separations in mixed mode (Camanho & Dávila 2002, B-K with
    η = 2): δ₀² = δ₀ₙ² + (δ₀ₜ² − δ₀ₙ²) B^η, G_c = G_Ic + (G_IIc − G_Ic) B^η, δ_f = 2G_c/(K_n δ₀);
    δ₀ₜ = τ_c/√(K_n K_t). Pure modes give δ₀ₙ and δ₀ₜ."""
    law = CohesiveLaw(
        K_n=1e16, K_t=4e15, K_c=1e16, sigma_c=1e7, tau_c=2e7, G_Ic=1.0, G_IIc=3.0,
        law="bilinear", eta=2.0,
    )  # fmt: skip
    d0n, d0t = 1e7 / 1e16, 2e7 / (1e16 * 4e15) ** 0.5
    for B in (0.0, 0.5, 1.0):
        Be = B**2
        _, d0, df = damage_inviscid(law, np.zeros(1), np.full(1, B))
        assert d0[0] == pytest.approx((d0n**2 + (d0t**2 - d0n**2) * Be) ** 0.5, rel=1e-9)
        Gc = 1.0 + 2.0 * Be
        assert df[0] == pytest.approx(2 * Gc / (1e16 * d0[0]), rel=1e-9)
    # the bilinear damage between them: d = δ_f (δ − δ₀)/(δ (δ_f − δ₀))
    _, d0, df = damage_inviscid(law, np.zeros(1), np.full(1, 0.5))
    x = 0.5 * (d0[0] + df[0])
    d, _, _ = damage_inviscid(law, np.array([x]), np.full(1, 0.5))
    assert d[0] == pytest.approx(df[0] * (x - d0[0]) / (x * (df[0] - d0[0])), rel=1e-12)
