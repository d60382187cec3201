"""Interphase growth, SLS pad relaxation, spring-bed delamination, thin films, Arrhenius."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from solver import reduced as rd

SEI = dict(h0=5e-9, Omega=1e-5, D=1e-19, c_inf=1e3)
E_SEI, DELTA, P_MIN = 10e9, 1e-9, 50e6


# ------------------------------------------------------------------------------ interphase
def test_parabolic_growth():
    t = np.array([0.0, 1e3, 1e6, 1e9])
    h = rd.sei_thickness(t, **SEI)
    assert h[0] == SEI["h0"]
    np.testing.assert_allclose(h**2 - SEI["h0"] ** 2, 2 * 1e-5 * 1e-19 * 1e3 * t, rtol=1e-12)
    # long times: h ∝ √t
    assert rd.sei_thickness(4e15, **SEI) / rd.sei_thickness(1e15, **SEI) == pytest.approx(
        2.0, rel=1e-3
    )


def test_time_to_contact_loss_against_root_of_pressure_curve():
    """docs/validation.md item 11: t* from the closed form and from p(t) = p_min by root finding."""
    t_star = rd.sei_time_to_contact_loss(E_SEI, DELTA, P_MIN, **SEI)
    h_star = E_SEI * DELTA / P_MIN
    assert rd.sei_critical_thickness(E_SEI, DELTA, P_MIN) == pytest.approx(h_star)
    t_root = brentq(
        lambda t: rd.sei_pressure(t, E_SEI, DELTA, **SEI) - P_MIN, 0.0, 1e12, xtol=1e-6, rtol=1e-14
    )
    assert t_star == pytest.approx(t_root, rel=1e-9)
    assert rd.sei_pressure(t_star, E_SEI, DELTA, **SEI) == pytest.approx(P_MIN, rel=1e-12)
    assert rd.sei_pressure(0.0, E_SEI, DELTA, **SEI) == pytest.approx(E_SEI * DELTA / SEI["h0"])


def test_time_to_contact_loss_edge_cases():
    thick = dict(SEI, h0=1e-6)  # already thicker than h* = 0.2 µm
    assert rd.sei_time_to_contact_loss(E_SEI, DELTA, P_MIN, **thick) == 0.0
    assert rd.sei_time_to_contact_loss(E_SEI, DELTA, P_MIN, **dict(SEI, D=0.0)) == math.inf
    h0zero = dict(SEI, h0=0.0)
    assert rd.sei_pressure(0.0, E_SEI, DELTA, **h0zero) == math.inf
    h_star = E_SEI * DELTA / P_MIN
    assert rd.sei_time_to_contact_loss(E_SEI, DELTA, P_MIN, **h0zero) == pytest.approx(
        h_star**2 / (2 * 1e-5 * 1e-19 * 1e3)
    )


def test_interphase_resistance_and_arrhenius():
    assert rd.sei_resistance(10e-9, 1e-6) == pytest.approx(1e-2)
    assert rd.sei_diffusivity(298.15, 1e-19, 50e3) == pytest.approx(1e-19, rel=1e-14)
    Ea, T = 50e3, 333.15
    expected = 1e-19 * math.exp(-Ea / 8.314462618 * (1 / T - 1 / 298.15))
    assert rd.sei_diffusivity(T, 1e-19, Ea) == pytest.approx(expected, rel=1e-12)
    assert rd.arrhenius_factor(0.0, 400.0, 300.0) == 1.0
    # hotter → faster growth → earlier contact loss
    D = rd.sei_diffusivity(np.array([298.15, 318.15, 338.15]), 1e-19, Ea)
    t = rd.sei_time_to_contact_loss(E_SEI, DELTA, P_MIN, SEI["h0"], SEI["Omega"], D, 1e3)
    assert np.all(np.diff(t) < 0)


# ------------------------------------------------------------------------------------- SLS
PAD = dict(E1=20e6, E2=5e6, tau=3600.0, eps0=0.1)


def test_sls_relaxation_curve():
    p = rd.sls_pressure(np.array([0.0, PAD["tau"], np.inf]), **PAD)
    np.testing.assert_allclose(p, [2.5e6, (5e6 + 20e6 / math.e) * 0.1, 0.5e6], rtol=1e-12)


def test_sls_time_to_pressure_against_root():
    """docs/validation.md item 10."""
    p_c = 1.2e6
    t_c = rd.sls_time_to_pressure(p_c, **PAD)
    t_root = brentq(lambda t: rd.sls_pressure(t, **PAD) - p_c, 0.0, 1e6, xtol=1e-9, rtol=1e-14)
    assert t_c == pytest.approx(t_root, rel=1e-10)
    assert t_c == pytest.approx(-PAD["tau"] * math.log((p_c / 0.1 - 5e6) / 20e6), rel=1e-14)


def test_sls_time_to_pressure_cases_vectorised():
    p_c = np.array([3e6, 2.5e6, 1.2e6, 0.5e6, 0.3e6])  # above p(0), = p(0), between, = p∞, below
    t = rd.sls_time_to_pressure(p_c, **PAD)
    assert t[0] == 0.0 and t[1] == 0.0
    assert 0.0 < t[2] < math.inf
    assert t[3] == math.inf and t[4] == math.inf


# -------------------------------------------------------------------------------- cohesive
def test_spring_bed_energy_and_mixity():
    k_n, k_t = 1e15, 5e14
    G = rd.energy_release_rate(2e7, 3e7, k_n, k_t)
    assert G == pytest.approx((2e7) ** 2 / (2 * k_n) + (3e7) ** 2 / (2 * k_t), rel=1e-14)
    assert rd.mode_mixity(1.0, 0.0) == 0.0
    assert rd.mode_mixity(0.0, 2.0) == 1.0
    assert rd.mode_mixity(0.0, 0.0) == 0.0
    assert rd.mode_mixity(1.0, 3.0) == pytest.approx(0.75)


def test_benzeggagh_kenane():
    assert rd.bk_toughness(0.0, 1.0, 3.0, 2.0) == 1.0
    assert rd.bk_toughness(1.0, 1.0, 3.0, 2.0) == 3.0
    assert rd.bk_toughness(0.5, 1.0, 3.0, 2.0) == pytest.approx(1.5)


def test_delamination_threshold():
    k_n, k_t, G_Ic, G_IIc = 1e15, 1e15, 1.0, 3.0
    p_crit = math.sqrt(2 * k_n * G_Ic)  # pure mode I: G = G_Ic
    ratio, flag = rd.delamination_check(np.array([0.999, 1.001]) * p_crit, 0.0, k_n, k_t, 1, 3, 2)
    np.testing.assert_allclose(ratio, [0.999**2, 1.001**2], rtol=1e-12)
    assert flag.tolist() == [False, True]
    # equal mode I and II parts: B = 1/2, G_c = 1.5; G = 2·G_I
    G_I = 0.76
    p = math.sqrt(2 * k_n * G_I)
    ratio, flag = rd.delamination_check(p, p, k_n, k_t, G_Ic, G_IIc, 2.0)
    assert ratio == pytest.approx(2 * G_I / 1.5) and bool(flag)


# -------------------------------------------------------------------------------- thin film
def test_thin_film_formulas():
    E, nu = 100e9, 0.25
    M = rd.biaxial_modulus(E, nu)
    assert M == pytest.approx(E / 0.75)
    assert rd.film_stress(E, nu, 0.01) == pytest.approx(-M * 0.01)  # expansion → compression
    tau = rd.lithiation_shear_traction(E, nu, 2e-6, 3e-6, 1e6)
    assert tau == pytest.approx(M * 2e-6 * 3e-6 * 1e6)
    assert rd.lithiation_shear_traction(E, nu, 2e-6, 3e-6, -1e6) == pytest.approx(-tau)
    k = rd.stoney_curvature(-1e9, 1e-6, 150e9, 0.3, 500e-6)
    assert k == pytest.approx(6 * -1e9 * 1e-6 * 0.7 / (150e9 * 500e-6**2))


# ------------------------------------------------- the interphase in series with the stack
SERIES = dict(h0=2e-9, Omega=1e-5, D=1e-19, c_inf=1e3)


def test_series_pressure_reduces_to_the_rigid_stack():
    """C_stack = 0 and β = 0: p = E'δ/h (7.2), and the same t*."""
    t = np.array([0.0, 1e4, 1e6, 3e7])
    p_rigid = rd.sei_pressure(t, 1e9, 2e-9, **SERIES)
    p_series = rd.sei_pressure_series(t, 1e9, 2e-9, 0.0, **SERIES)
    assert np.allclose(p_series, p_rigid, rtol=1e-14)
    t1 = rd.sei_time_to_contact_loss(1e9, 2e-9, 50e6, **SERIES)
    t2 = rd.sei_time_to_contact_loss_series(1e9, 2e-9, 50e6, 0.0, **SERIES)
    assert t2 == pytest.approx(t1, rel=1e-14)


@pytest.mark.parametrize("beta", [-0.02, 0.0, 0.01])
def test_series_time_to_contact_loss_against_root(beta):
    """t* of (7.7) is the root of p(t) = p_min of the series pressure (7.6) (brentq)."""
    E, delta, p_min, C = 1e9, 5e-9, 20e6, 5e-17
    t_star = rd.sei_time_to_contact_loss_series(E, delta, p_min, C, beta=beta, **SERIES)

    def f(t):
        return rd.sei_pressure_series(t, E, delta, C, beta=beta, **SERIES) - p_min

    root = brentq(f, 0.0, 1e12, rtol=1e-14)
    assert t_star == pytest.approx(root, rel=1e-9)


def test_series_time_to_contact_loss_edge_cases():
    E, delta, C = 1e9, 5e-9, 5e-17
    # already below p_min at h0: 0
    assert rd.sei_time_to_contact_loss_series(E, delta, 1e9, C, **SERIES) == 0.0
    # no growth: never
    no_growth = {**SERIES, "D": 0.0}
    assert math.isinf(rd.sei_time_to_contact_loss_series(E, delta, 20e6, C, **no_growth))
    # an expanding layer keeps p >= βE' > p_min: never
    assert math.isinf(rd.sei_time_to_contact_loss_series(E, delta, 20e6, C, beta=0.05, **SERIES))
    # a growth strain that lowers the pressure brings t* forward
    t0 = rd.sei_time_to_contact_loss_series(E, delta, 20e6, C, **SERIES)
    assert rd.sei_time_to_contact_loss_series(E, delta, 20e6, C, beta=-0.01, **SERIES) < t0
