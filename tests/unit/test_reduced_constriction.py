"""Constriction resistance (Holm, flux tube, Greenwood) and current constriction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver import reduced as rd

KAPPA = 0.05  # S/m


def test_holm_and_isoflux():
    a = 2e-6
    assert rd.holm_resistance(KAPPA, a) == pytest.approx(1 / (4 * KAPPA * a), rel=1e-14)
    # uniform-flux spot (mean potential) is 32/(3π²) ≈ 8 % more resistive than equipotential
    ratio = rd.isoflux_spot_resistance(KAPPA, a) / rd.holm_resistance(KAPPA, a)
    assert ratio == pytest.approx(32 / (3 * math.pi**2), rel=1e-12)
    assert 1.07 < ratio < 1.09


def test_flux_tube_correction_forms():
    eps = np.linspace(0.0, 1.0, 101)
    g = rd.flux_tube_correction(eps)
    c = rd.flux_tube_correction(eps, form="cooper")
    assert g[0] == 1.0 and c[0] == 1.0
    assert np.all(np.diff(g) < 0) and np.all(np.diff(c) < 0) and g[-1] == 0.0
    # small ε: ψ ≈ 1 − 1.40925 ε (Gibson); the two forms agree within a few % up to ε = 0.4
    assert rd.flux_tube_correction(1e-4) == pytest.approx(1 - 1.40925e-4, rel=1e-10)
    small = eps <= 0.4
    np.testing.assert_allclose(g[small], c[small], rtol=0.05)
    assert rd.flux_tube_correction(1.0, form="cooper") == 0.0
    # continuity where the series hands over to its (1 − ε)^1.5 continuation
    lo, hi = rd.flux_tube_correction(np.array([0.8 - 1e-9, 0.8 + 1e-9]))
    assert hi == pytest.approx(lo, rel=1e-6)
    # beyond 0.8 the continuation has the shape of Cooper, Mikic & Yovanovich's (1 − ε)^1.5:
    # the local exponent d ln ψ / d ln(1 − ε) is their 1.5 (the module docstring)
    tail = eps[(eps > 0.8) & (eps < 1.0)]
    slope = np.diff(np.log(rd.flux_tube_correction(tail))) / np.diff(np.log(1.0 - tail))
    np.testing.assert_allclose(slope, 1.5, rtol=1e-10)


def test_flux_tube_resistance_tends_to_holm():
    a = 1e-6
    R = rd.flux_tube_resistance(KAPPA, a, np.array([1e-2, 1e-4, 1e-5, 2e-6]))
    holm = rd.holm_resistance(KAPPA, a)
    assert R[0] == pytest.approx(holm, rel=2e-4)
    assert np.all(np.diff(R) < 0)  # narrower tube, less spreading resistance
    with pytest.raises(ValueError, match="a must be <= b"):
        rd.flux_tube_resistance(KAPPA, 2e-6, 1e-6)


def test_greenwood_single_and_two_spots():
    a = 1e-6
    assert rd.greenwood_resistance(KAPPA, a, 1, 1e-6) == pytest.approx(
        rd.holm_resistance(KAPPA, a), rel=1e-14
    )
    assert rd.greenwood_resistance_spots(KAPPA, [a], [[0.0, 0.0]]) == pytest.approx(
        rd.holm_resistance(KAPPA, a), rel=1e-14
    )
    # two distant spots in parallel, each raised by the other's potential I/(2πκs) (hand-derived)
    s = 50e-6
    expected = 1 / (8 * KAPPA * a) + 1 / (4 * math.pi * KAPPA * s)
    got = rd.greenwood_resistance_spots(KAPPA, [a, a], [[0.0, 0.0], [s, 0.0]])
    assert got == pytest.approx(expected, rel=1e-12)


def test_greenwood_cluster_formula_matches_random_spots():
    rng = np.random.default_rng(3)
    n, a, alpha = 600, 0.2e-6, 200e-6
    r = alpha * np.sqrt(rng.random(n))
    t = 2 * math.pi * rng.random(n)
    centres = np.column_stack([r * np.cos(t), r * np.sin(t)])
    explicit = rd.greenwood_resistance_spots(KAPPA, np.full(n, a), centres)
    closed = rd.greenwood_resistance(KAPPA, a, n, math.pi * alpha**2)
    assert explicit == pytest.approx(closed, rel=0.03)
    # many spots: the cluster term dominates, more spots barely help
    assert closed < 1.2 * (8 / (3 * math.pi**2 * KAPPA * alpha) + 1 / (4 * KAPPA * n * a))


def test_current_constriction():
    assert rd.constriction_factor(1.0, 0.25) == 4.0
    assert rd.local_current_density(10.0, 1.0, 0.25) == pytest.approx(40.0)
    # j_app = j_loc · A_active/A_app
    j_loc = rd.local_current_density(-3.0, 2e-4, 5e-5)
    assert j_loc * 5e-5 / 2e-4 == pytest.approx(-3.0)


def test_constriction_asr_equals_parallel_holm_spots():
    a, phi, A = 1e-6, 0.1, 1e-6
    n = phi * A / (math.pi * a**2)  # spots needed to cover the fraction φ
    r = rd.constriction_asr(KAPPA, a, phi)
    assert r == pytest.approx(math.pi * a / (4 * KAPPA * phi), rel=1e-14)
    assert r == pytest.approx(rd.holm_resistance(KAPPA, a) / n * A, rel=1e-12)
    rt = rd.constriction_asr(KAPPA, a, np.array([0.01, 0.1, 0.5, 1.0]), flux_tube=True)
    plain = rd.constriction_asr(KAPPA, a, np.array([0.01, 0.1, 0.5, 1.0]))
    assert np.all(rt < plain) and rt[-1] == pytest.approx(0.0, abs=0.02 * plain[-1])
