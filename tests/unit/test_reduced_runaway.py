"""Contact-scale thermo-mechanical runaway ODE: both sides of the critical current."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from solver import reduced as rd

# An interior saddle-node fold (strong softening feedback, κ independent of T).
FOLD = rd.RunawayParams(
    kappa0=0.1,
    a0=1e-6,
    G_th=4e-6,
    C_th=4e-6,
    T0=300.0,
    Ea_soft=60e3,
    tau_recover=1.0,
    tau_shrink=100.0,
    T_limit=600.0,
)
# A realistic, stiff spot (τ_th = C/G ~ µs, τ_r = 1 s), κ Arrhenius: bounded by T_limit.
STIFF = rd.RunawayParams(
    kappa0=0.05, a0=1e-6, G_th=4e-6, C_th=1e-11, T0=298.15, Ea_kappa=35e3, Ea_soft=30e3
)


@pytest.fixture(scope="module")
def fold_Ic():
    return rd.critical_current(FOLD)


def test_fold_is_interior_maximum(fold_Ic):
    T = np.linspace(FOLD.T0, FOLD.T_limit, 20001)
    Ieq = rd.equilibrium_current(T, FOLD)
    a_eq = rd.equilibrium_radius(T, FOLD)
    usable = a_eq > FOLD.a_min
    assert Ieq[usable].max() <= fold_Ic * (1 + 1e-9)
    assert Ieq[usable].max() == pytest.approx(fold_Ic, rel=1e-6)
    k = int(np.argmax(np.where(usable, Ieq, 0.0)))
    assert 0 < k < np.flatnonzero(usable)[-1]  # a genuine fold, not a threshold


@pytest.mark.parametrize("params", [FOLD, STIFF], ids=["fold", "stiff"])
def test_bounded_below_and_finite_time_failure_above(params):
    Ic = rd.critical_current(params)
    below = rd.simulate(0.95 * Ic, params)
    assert below.outcome == "bounded" and below.t_event is None
    Ts, as_ = rd.steady_state(0.95 * Ic, params)
    assert below.T_final == pytest.approx(Ts, rel=1e-6)
    assert below.a_final == pytest.approx(as_, rel=1e-5)
    assert params.T0 < below.T_final < params.T_limit and below.a_final > params.a_min
    # monotone approach: T never overshoots its steady state, a never undershoots
    assert np.all(np.diff(below.T) >= -1e-9 * Ts) and np.all(below.T <= Ts * (1 + 1e-9))
    above = rd.simulate(1.05 * Ic, params)
    assert above.outcome in ("runaway", "contact_loss")
    assert above.t_event is not None and 0 < above.t_event < above.t[-1] + 1e-12
    assert rd.steady_state(1.05 * Ic, params) is None
    if above.outcome == "runaway":
        assert above.T_final == pytest.approx(params.T_limit, rel=1e-9)
    else:
        assert above.a_final == pytest.approx(params.a_min, rel=1e-9)


def test_both_event_kinds_occur():
    lost = rd.simulate(1.1 * rd.critical_current(FOLD), FOLD)
    assert lost.outcome == "contact_loss"
    hot = replace(FOLD, T_limit=400.0, a_min_fraction=0.01)
    res = rd.simulate(1.1 * rd.critical_current(hot), hot)
    assert res.outcome == "runaway" and res.T_final == pytest.approx(400.0)


def test_no_current_no_change():
    res = rd.simulate(0.0, FOLD)
    assert res.outcome == "bounded"
    np.testing.assert_allclose(res.T, FOLD.T0)
    np.testing.assert_allclose(res.a, FOLD.a0)


@pytest.mark.parametrize("params", [FOLD, STIFF], ids=["fold", "stiff"])
def test_analytic_and_bisection_agree(params):
    Ia = rd.critical_current(params, method="analytic")
    Ib = rd.critical_current(params, method="bisection", rtol=1e-3)
    assert Ib == pytest.approx(Ia, rel=2e-3)


def test_without_feedback_critical_current_is_the_heating_threshold():
    """Ea_soft = Ea_kappa = 0: a stays a0, steady ΔT = I²/(4κa0 G); runaway at T_limit."""
    p = replace(FOLD, Ea_soft=0.0)
    expected = math.sqrt(4 * p.kappa0 * p.a0 * p.G_th * (p.T_limit - p.T0))
    assert rd.critical_current(p) == pytest.approx(expected, rel=1e-12)


def test_critical_current_grows_with_heat_sink():
    G = np.array([1e-6, 4e-6, 1.6e-5, 6.4e-5])
    Ic = np.array([rd.critical_current(replace(FOLD, G_th=g)) for g in G])
    assert np.all(np.diff(Ic) > 0)
    np.testing.assert_allclose(Ic[1:] / Ic[:-1], 2.0, rtol=1e-9)  # I_c ∝ √G_th
    Ib = [rd.critical_current(replace(FOLD, G_th=g), method="bisection", rtol=2e-3) for g in G[:2]]
    assert Ib[1] > Ib[0]
    # independent of the time scales (C_th, τ_r at fixed τ_r/τ_s)
    slow = replace(FOLD, C_th=40e-6, tau_recover=10.0, tau_shrink=1000.0)
    assert rd.critical_current(slow) == pytest.approx(rd.critical_current(FOLD), rel=1e-12)


def test_runaway_params_validation():
    with pytest.raises(ValueError, match="T_limit must be > 300"):
        replace(FOLD, T_limit=290.0)
    with pytest.raises(ValueError, match="kappa0 must be > 0, got -1"):
        replace(FOLD, kappa0=-1.0)
    with pytest.raises(ValueError, match="a_min_fraction must be < 1"):
        replace(FOLD, a_min_fraction=1.5)
    with pytest.raises(ValueError, match="method must be one of"):
        rd.critical_current(FOLD, method="guess")


def test_spot_thermal_helpers():
    a = 1e-6
    assert rd.spot_thermal_conductance(a, 2.0, 2.0) == pytest.approx(4 * a * 1.0)
    assert rd.spot_heat_capacity(a, 2e6) == pytest.approx(2e6 * 4 / 3 * math.pi * a**3)


# A spot in series with a bulk path whose conductivity rises with T (its resistance falls).
SERIES = replace(FOLD, series=((2.0e6, 30e3), (0.5e6, 0.0)))


def test_series_resistance_threshold_by_hand():
    """No feedback (Ea_soft = Ea_kappa = 0) and temperature-independent series resistances: the
    steady state is I² (1/(4κ0 a0) + ΣR) = G ΔT, so the threshold at T_limit is
    I_c² = G (T_limit − T0)/(1/(4κ0 a0) + ΣR)."""
    p = replace(FOLD, Ea_soft=0.0, series=((1e6, 0.0), (3e6, 0.0)))
    R = 1 / (4 * p.kappa0 * p.a0) + 4e6
    assert rd.resistance(p.a0, 350.0, p) == pytest.approx(R, rel=1e-12)
    assert rd.critical_current(p) == pytest.approx(
        math.sqrt(p.G_th * (p.T_limit - p.T0) / R), rel=1e-12
    )
    Ts, a = rd.steady_state(0.5 * rd.critical_current(p), p)
    assert Ts - p.T0 == pytest.approx((0.5 * rd.critical_current(p)) ** 2 * R / p.G_th, rel=1e-9)


def test_series_resistance_follows_arrhenius_and_lowers_the_critical_current():
    T = 360.0
    spot = 1 / (4 * SERIES.kappa0 * 0.5e-6)
    bulk = 2.0e6 * math.exp(30e3 / 8.314462618 * (1 / T - 1 / SERIES.T0)) + 0.5e6
    assert rd.resistance(0.5e-6, T, SERIES) == pytest.approx(spot + bulk, rel=1e-12)
    assert rd.critical_current(SERIES) < rd.critical_current(FOLD)
    Ia = rd.critical_current(SERIES, method="analytic")
    Ib = rd.critical_current(SERIES, method="bisection", rtol=1e-3)
    assert Ib == pytest.approx(Ia, rel=2e-3)
    below = rd.simulate(0.95 * Ia, SERIES)
    assert below.outcome == "bounded"
    assert below.T_final == pytest.approx(rd.steady_state(0.95 * Ia, SERIES)[0], rel=1e-6)
    assert rd.simulate(1.05 * Ia, SERIES).outcome in ("runaway", "contact_loss")


def test_series_validation():
    with pytest.raises(ValueError, match="series must be a sequence of"):
        replace(FOLD, series=(1.0,))
    with pytest.raises(ValueError, match="series R0 must be >= 0"):
        replace(FOLD, series=((-1.0, 0.0),))
