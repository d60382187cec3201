"""Property-based monotonicity checks of the reduced models (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from solver import reduced as rd

FAST = settings(max_examples=60, deadline=None)


def pos(lo, hi):
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def ordered(lo, hi, ratio=1.001):
    """(x1, x2) with x2 ≥ ratio·x1, both in [lo, hi]."""
    return (
        st.tuples(pos(lo, hi / ratio), pos(1.0, 1e3))
        .map(lambda t: (t[0], min(hi, t[0] * ratio * t[1])))
        .filter(lambda t: t[1] > t[0])
    )


@FAST
@given(P=ordered(1e-9, 1e3), R=pos(1e-7, 1e-2), E=pos(1e6, 1e12))
def test_hertz_radius_grows_with_load(P, R, E):
    a1, a2 = rd.hertz_sphere_radius(P[0], R, E), rd.hertz_sphere_radius(P[1], R, E)
    assert a2 > a1
    b1, b2 = rd.hertz_cylinder_halfwidth(P[0], R, E), rd.hertz_cylinder_halfwidth(P[1], R, E)
    assert b2 > b1


@FAST
@given(f=ordered(1e-3, 1e3), R=pos(1e-7, 1e-3), E=pos(1e8, 1e11), W=pos(1e-3, 2.0))
def test_jkr_radius_grows_with_load(f, R, E, W):
    Pc = -1.5 * np.pi * W * R
    # loads from just above pull-off to far in compression
    P1, P2 = Pc + f[0] * abs(Pc), Pc + f[1] * abs(Pc)
    a1, a2 = rd.jkr_radius(P1, R, E, W), rd.jkr_radius(P2, R, E, W)
    assert a2 > a1
    assert a1 >= rd.jkr_pull_off_radius(R, E, W) * (1 - 1e-9)


@FAST
@given(a=ordered(1e-9, 1e-3), kappa=pos(1e-6, 1e3), n=pos(1.0, 1e6), phi=pos(1e-4, 1.0))
def test_constriction_resistance_falls_with_radius(a, kappa, n, phi):
    a1, a2 = a
    assert rd.holm_resistance(kappa, a2) < rd.holm_resistance(kappa, a1)
    A = 1e4 * a2**2 * max(n, 1.0)
    assert rd.greenwood_resistance(kappa, a2, n, A) < rd.greenwood_resistance(kappa, a1, n, A)
    b = a2 / 0.95
    assert rd.flux_tube_resistance(kappa, a2, b) < rd.flux_tube_resistance(kappa, a1, b)
    # more contact fraction, less constriction ASR (same spot size)
    assert rd.constriction_asr(kappa, a1, min(1.0, phi * 1.01)) <= rd.constriction_asr(
        kappa, a1, phi
    )


@FAST
@given(
    D=ordered(1e-22, 1e-15),
    h0=pos(0.0, 1e-8),
    E=pos(1e9, 1e11),
    delta=pos(1e-10, 1e-8),
    p_min=pos(1e5, 1e8),
)
def test_interphase_t_star_falls_with_faster_growth(D, h0, E, delta, p_min):
    t1 = rd.sei_time_to_contact_loss(E, delta, p_min, h0, 1e-5, D[0], 1e3)
    t2 = rd.sei_time_to_contact_loss(E, delta, p_min, h0, 1e-5, D[1], 1e3)
    if h0 < E * delta / p_min:
        assert t2 < t1
    else:
        assert t1 == t2 == 0.0


@FAST
@given(p=ordered(1e-3, 1e3), E2=pos(0.0, 1e7), E1=pos(1e5, 1e8), tau=pos(1.0, 1e8))
def test_sls_pressure_decreases_and_t_c_monotone(p, E2, E1, tau):
    eps0 = 0.05
    # a lower critical pressure is reached later (or never)
    pc_lo, pc_hi = p[0] * 1e4, p[1] * 1e4
    t_lo = rd.sls_time_to_pressure(pc_lo, E1, E2, tau, eps0)
    t_hi = rd.sls_time_to_pressure(pc_hi, E1, E2, tau, eps0)
    assert t_lo >= t_hi
    t = np.array([0.0, tau, 10 * tau])
    assert np.all(np.diff(rd.sls_pressure(t, E1, E2, tau, eps0)) < 0)


@settings(max_examples=25, deadline=None)
@given(p=ordered(1e4, 1e7))
def test_gw_contact_fraction_grows_with_pressure(p):
    surf = dict(sigma_s=0.2e-6, eta=5e10, beta=5e-6, E_star=10e9)
    assert rd.gw_contact_fraction_at_pressure(p[1], **surf) > rd.gw_contact_fraction_at_pressure(
        p[0], **surf
    )
