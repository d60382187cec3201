"""Reduced models of mechanical contact: Hertz, JKR, plastic and Greenwood–Williamson."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from solver import reduced as rd


# ----------------------------------------------------------------------------------- Hertz
def test_effective_modulus_limits():
    E, nu = 10e9, 0.3
    assert rd.effective_modulus(E, nu, E, nu) == pytest.approx(E / (2 * (1 - nu**2)), rel=1e-12)
    assert rd.effective_modulus(E, nu) == pytest.approx(E / (1 - nu**2), rel=1e-12)  # rigid


def test_hertz_sphere_closed_forms_and_equilibrium():
    P, R, Es = 0.5, 2e-3, 30e9
    a = rd.hertz_sphere_radius(P, R, Es)
    assert a == pytest.approx((3 * P * R / (4 * Es)) ** (1 / 3), rel=1e-12)
    # the implementation uses p0 = (6PE*²/(π³R²))^(1/3); compare with 3P/(2πa²)
    assert rd.hertz_sphere_peak_pressure(P, R, Es) == pytest.approx(
        3 * P / (2 * math.pi * a**2), rel=1e-12
    )
    assert rd.hertz_sphere_approach(P, R, Es) == pytest.approx(a**2 / R, rel=1e-12)
    assert rd.hertz_sphere_load(a, R, Es) == pytest.approx(P, rel=1e-12)
    # the pressure distribution carries the load: ∫ p 2πr dr = P
    r = np.linspace(0.0, a, 200001)
    p = rd.hertz_sphere_pressure(r, P, R, Es)
    assert np.trapezoid(p * 2 * np.pi * r, r) == pytest.approx(P, rel=1e-5)
    assert rd.hertz_sphere_pressure(1.01 * a, P, R, Es) == 0.0
    # contact stiffness dP/dδ = 2E*a (finite difference of the load–approach relation)
    h = 1e-6 * P
    dd = rd.hertz_sphere_approach(P + h, R, Es) - rd.hertz_sphere_approach(P - h, R, Es)
    assert 2 * h / dd == pytest.approx(2 * Es * a, rel=1e-6)


def test_hertz_cylinder_closed_forms_and_equilibrium():
    Pl, R, Es = 1e3, 5e-3, 50e9
    b = rd.hertz_cylinder_halfwidth(Pl, R, Es)
    assert b == pytest.approx(math.sqrt(4 * Pl * R / (math.pi * Es)), rel=1e-12)
    assert rd.hertz_cylinder_peak_pressure(Pl, R, Es) == pytest.approx(
        2 * Pl / (math.pi * b), rel=1e-12
    )
    x = np.linspace(-b, b, 200001)
    assert np.trapezoid(rd.hertz_cylinder_pressure(x, Pl, R, Es), x) == pytest.approx(Pl, rel=1e-5)


def test_hertz_zero_load():
    assert rd.hertz_sphere_radius(0.0, 1e-3, 1e9) == 0.0
    assert rd.hertz_sphere_peak_pressure(0.0, 1e-3, 1e9) == 0.0
    assert rd.hertz_sphere_pressure(0.0, 0.0, 1e-3, 1e9) == 0.0


# ----------------------------------------------------------------------------------- JKR
R_JKR, E_JKR, W_JKR = 10e-6, 20e9, 0.2


def test_jkr_zero_load_radius_reference_value():
    """docs/validation.md item 12: a0 ≈ 0.242 µm."""
    a0 = rd.jkr_zero_load_radius(R_JKR, E_JKR, W_JKR)
    assert a0 == pytest.approx(0.242e-6, rel=5e-3)
    assert rd.jkr_radius(0.0, R_JKR, E_JKR, W_JKR) == pytest.approx(a0, rel=1e-12)
    assert abs(rd.jkr_load(a0, R_JKR, E_JKR, W_JKR)) < 1e-12 * 1.5 * math.pi * W_JKR * R_JKR


def test_jkr_pull_off_is_the_minimum_load():
    a = np.linspace(1e-9, 0.3e-6, 300001)
    P = rd.jkr_load(a, R_JKR, E_JKR, W_JKR)
    Pc = rd.jkr_pull_off_force(R_JKR, W_JKR)
    assert Pc == pytest.approx(-1.5 * math.pi * W_JKR * R_JKR, rel=1e-12)
    assert P.min() == pytest.approx(Pc, rel=1e-8)
    ac = rd.jkr_pull_off_radius(R_JKR, E_JKR, W_JKR)
    assert a[np.argmin(P)] == pytest.approx(ac, rel=1e-4)
    assert ac == pytest.approx(rd.jkr_zero_load_radius(R_JKR, E_JKR, W_JKR) / 4 ** (1 / 3))
    assert rd.jkr_radius(Pc, R_JKR, E_JKR, W_JKR) == pytest.approx(ac, rel=1e-6)


def test_jkr_round_trip_both_branches():
    Pc = -1.5 * math.pi * W_JKR * R_JKR
    P = np.linspace(Pc, 5 * abs(Pc), 41)
    a = rd.jkr_radius(P, R_JKR, E_JKR, W_JKR)
    np.testing.assert_allclose(rd.jkr_load(a, R_JKR, E_JKR, W_JKR), P, atol=1e-9 * abs(Pc))
    Pu = np.linspace(Pc, 0.0, 21)
    au = rd.jkr_radius(Pu, R_JKR, E_JKR, W_JKR, branch="unstable")
    np.testing.assert_allclose(rd.jkr_load(au, R_JKR, E_JKR, W_JKR), Pu, atol=1e-9 * abs(Pc))
    assert np.all(au <= rd.jkr_radius(Pu, R_JKR, E_JKR, W_JKR) * (1 + 1e-9))
    with pytest.raises(ValueError, match="P must be >= the JKR pull-off force"):
        rd.jkr_radius(1.01 * Pc, R_JKR, E_JKR, W_JKR)
    with pytest.raises(ValueError, match="P must be <= 0"):
        rd.jkr_radius(1e-9, R_JKR, E_JKR, W_JKR, branch="unstable")


def test_jkr_reduces_to_hertz_without_adhesion():
    P = np.array([1e-6, 1e-3, 1.0])
    np.testing.assert_allclose(
        rd.jkr_radius(P, R_JKR, E_JKR, 0.0), rd.hertz_sphere_radius(P, R_JKR, E_JKR), rtol=1e-12
    )
    a = rd.hertz_sphere_radius(1e-3, R_JKR, E_JKR)
    assert rd.jkr_approach(a, R_JKR, E_JKR, 0.0) == pytest.approx(a**2 / R_JKR, rel=1e-12)


def test_jkr_adhesion_enlarges_contact():
    P = np.array([0.0, 1e-6, 1e-4])
    assert np.all(rd.jkr_radius(P, R_JKR, E_JKR, W_JKR) > rd.hertz_sphere_radius(P, R_JKR, E_JKR))


# -------------------------------------------------------------------------------- plastic
def test_plastic_contact_fraction():
    np.testing.assert_allclose(
        rd.plastic_contact_fraction([0.0, 1e6, 5e6, 1e9], 1e7), [0.0, 0.1, 0.5, 1.0]
    )


# ---------------------------------------------------------------------- Greenwood–Williamson
SURF = dict(sigma_s=0.2e-6, eta=5e10, beta=5e-6)
E_GW = 10e9


@pytest.mark.parametrize("n", [0.0, 1.0, 1.5])
@pytest.mark.parametrize("h", [-3.0, 0.0, 0.7, 2.5, 5.0])
def test_gw_integral_against_quadrature(n, h):
    from scipy.integrate import quad

    ref = quad(
        lambda s: (s - h) ** n * math.exp(-s * s / 2) / math.sqrt(2 * math.pi),
        h,
        np.inf,
        epsabs=0,
        epsrel=1e-12,
    )[0]
    assert rd.gw_F(n, h) == pytest.approx(ref, rel=1e-8)


def test_gw_against_explicit_asperity_population():
    """Sum Hertz contacts over a sampled Gaussian population of summits."""
    rng = np.random.default_rng(1)
    N = 400_000
    A = N / SURF["eta"]
    z = rng.normal(0.0, SURF["sigma_s"], N)
    d = 0.8 * SURF["sigma_s"]
    w = np.clip(z - d, 0.0, None)
    touching = w > 0
    area = np.sum(math.pi * SURF["beta"] * w) / A
    load = np.sum(4 / 3 * E_GW * math.sqrt(SURF["beta"]) * w**1.5) / A
    spots = touching.sum() / A
    assert rd.gw_contact_fraction(d, **SURF) == pytest.approx(area, rel=0.02)
    assert rd.gw_pressure(d, **SURF, E_star=E_GW) == pytest.approx(load, rel=0.02)
    assert rd.gw_spot_density(d, SURF["sigma_s"], SURF["eta"]) == pytest.approx(spots, rel=0.02)
    a_mean = math.sqrt(area / (math.pi * spots))
    assert rd.gw_mean_spot_radius(d, SURF["sigma_s"], SURF["beta"]) == pytest.approx(
        a_mean, rel=0.02
    )


def test_gw_inverse_round_trip_and_monotone():
    d = np.linspace(-1.0, 4.0, 11) * SURF["sigma_s"]
    p = rd.gw_pressure(d, **SURF, E_star=E_GW)
    np.testing.assert_allclose(rd.gw_separation(p, **SURF, E_star=E_GW), d, atol=1e-9 * 0.2e-6)
    phi = rd.gw_contact_fraction_at_pressure(np.sort(p), **SURF, E_star=E_GW)
    assert np.all(np.diff(phi) > 0)
    with pytest.raises(ValueError, match="p must lie within the Greenwood-Williamson range"):
        rd.gw_separation(1e-300, **SURF, E_star=E_GW)
    # the range the message states is the one solved: 0.1 % inside each end a separation is
    # found, 0.1 % outside it is refused
    with pytest.raises(ValueError) as err:
        rd.gw_separation(1e300, **SURF, E_star=E_GW)
    lo, hi = (float(v) for v in re.search(r"\[(\S+), (\S+)\] Pa", str(err.value)).groups())
    assert 0 < lo < hi
    for inside, outside in ((lo * 1.001, lo * 0.999), (hi * 0.999, hi * 1.001)):
        assert np.isfinite(rd.gw_separation(inside, **SURF, E_star=E_GW))
        with pytest.raises(ValueError, match="Greenwood-Williamson range"):
            rd.gw_separation(outside, **SURF, E_star=E_GW)
