"""The energy a viscous cohesive damage dissipates in a step, ∫ f dd
(:func:`solver.physics.cohesive.viscous_dissipation`, docs/theory.md (10.1)).

Reference: the Duvaut–Lions ODE ḋ = ⟨d_inv(δ) − d⟩₊/η_v with δ linear in time, integrated with
``scipy.integrate.solve_ivp`` (LSODA, rtol 1e-10) together with W' = f ḋ, f = ½K_n δ²
(mode I, no residual stiffness). Checks:
* W and the end damage against the reference for the bilinear and exponential laws, steps of
  0.1–10 η_v and openings to 0.5, 1.5 and 100 δ_f: within 1.5 % (measured ≤ 0.95 %) and 1e-3;
* the rate-independent limit (a step of 1e5 η_v through full separation) dissipates G_Ic
  within 1.5 % (measured 1.06 % bilinear, 0.59 % exponential), the value the step-end
  trapezoid f̄ Δd over-counts by ½K_n δ_end²/G_Ic (here 2e3 ×);
* a held opening (δ constant) dissipates f Δd exactly (the damage relaxes at fixed force);
* a zero-length step changes neither the damage nor the dissipated energy.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from solver.physics.cohesive import CohesiveLaw, damage_inviscid, viscous_dissipation

ETA = 1e-3  # s


def _law(kind: str) -> CohesiveLaw:
    return CohesiveLaw(
        K_n=1e16, K_t=1e16, K_c=1e16, sigma_c=1e7, tau_c=1e7, G_Ic=1.0, G_IIc=1.0,
        law=kind, viscosity=ETA,
    )  # fmt: skip


def _reference(law, dt, a1):
    def rhs(t, y):
        dl = a1 * t / dt
        di, _, _ = damage_inviscid(law, np.array([dl]), np.array([0.0]))
        dd = max(di[0] - y[0], 0.0) / law.viscosity
        return [dd, 0.5 * law.K_n * dl**2 * dd]

    r = solve_ivp(
        rhs, (0, dt), [0.0, 0.0], method="LSODA", rtol=1e-10, atol=[1e-13, 1e-16],
        max_step=dt / 2000,
    )  # fmt: skip
    return r.y[1, -1], r.y[0, -1]


def _ours(law, dt, a1):
    z = np.zeros(1)
    return viscous_dissipation(law, dt, z, z, np.array([a1]), z, z, z, z)


@pytest.mark.parametrize("kind", ["bilinear", "exponential"])
@pytest.mark.parametrize("ratio", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("end", [0.5, 1.5, 100.0])
def test_against_the_ode(kind, ratio, end):
    law = _law(kind)
    _, _, df = damage_inviscid(law, np.zeros(1), np.zeros(1))
    a1 = end * df[0]
    W, d = _ours(law, ratio * ETA, a1)
    W_ref, d_ref = _reference(law, ratio * ETA, a1)
    assert W[0] == pytest.approx(W_ref, rel=0.015)
    assert d[0] == pytest.approx(d_ref, abs=1e-3)


@pytest.mark.parametrize("kind", ["bilinear", "exponential"])
def test_rate_independent_limit_dissipates_G_c(kind):
    law = _law(kind)
    _, _, df = damage_inviscid(law, np.zeros(1), np.zeros(1))
    a1 = 100 * df[0]
    W, d = _ours(law, 1e5 * ETA, a1)
    assert d[0] == pytest.approx(1.0, abs=1e-9)
    assert W[0] == pytest.approx(law.G_Ic, rel=0.015)
    assert 0.5 * law.K_n * a1**2 > 1e3 * law.G_Ic  # what a step-end trapezoid would report


def test_held_opening_dissipates_f_times_the_damage_increment():
    law = _law("bilinear")
    _, d0, df = damage_inviscid(law, np.zeros(1), np.zeros(1))
    a = np.array([0.5 * (d0[0] + df[0])])
    d_start = np.array([0.1])
    W, d = viscous_dissipation(law, 2 * ETA, d_start, a, a, [0.0], [0.0], [0.0], [0.0])
    target, _, _ = damage_inviscid(law, a, np.zeros(1))
    assert d[0] == pytest.approx(target[0] + (0.1 - target[0]) * np.exp(-2.0), rel=1e-12)
    assert W[0] == pytest.approx(0.5 * law.K_n * a[0] ** 2 * (d[0] - 0.1), rel=1e-12)


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


@pytest.mark.parametrize("kind", ["bilinear", "exponential"])
def test_zero_length_step_neither_damages_nor_dissipates(kind):
    """Δt = 0 (an accept after a step already committed, docs/theory.md (10.1)): the damage rate
    ⟨d_inv − d⟩₊/η_v is finite, so no time means no damage growth and no dissipation, even with
    the opening far beyond δ_f (where d_inv = 1) and a jump of the opening within the step."""
    law = _law(kind)
    _, _, df = damage_inviscid(law, np.zeros(1), np.zeros(1))
    d_start = np.array([0.0, 0.3, 0.9])
    a0 = np.array([0.0, 0.5, 2.0]) * df[0]
    a1 = np.array([10.0, 0.5, 50.0]) * df[0]
    z = np.zeros(3)
    with np.errstate(all="raise"):
        W, d = viscous_dissipation(law, 0.0, d_start, a0, a1, z, z, z, z)
    assert np.array_equal(d, d_start)
    assert np.array_equal(W, np.zeros(3))
