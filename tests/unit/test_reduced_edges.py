"""Edges of the reduced models that the closed-form tests did not pin (mutation survivors).

Each test states its independent reference: a textbook relation (Arrhenius slope, Hertz
radius, the admissible Poisson range of an isotropic solid) or a mathematical identity (the
analytic Jacobian against central differences of the right-hand side).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver import reduced as rd
from solver.reduced import _common, runaway


def test_scalar_inputs_give_scalar_outputs():
    """Every reduced function returns a NumPy scalar (not a 0-d array) for scalar inputs."""
    for v in (rd.arrhenius_factor(40e3, 330.0, 298.15), rd.holm_resistance(0.1, 1e-6)):
        assert np.ndim(v) == 0 and not isinstance(v, np.ndarray)
    v = rd.holm_resistance(0.1, np.array([1e-6, 2e-6]))
    assert isinstance(v, np.ndarray) and v.shape == (2,)


@pytest.mark.parametrize(
    "x, want", [(1.5, 1.5), (0, 0.0), (None, None), (math.nan, None), (-math.inf, None)]
)
def test_finite_or_none(x, want):
    """The JSON helper keeps finite floats and maps NaN/inf/None to None."""
    assert _common.finite_or_none(x) == want


def test_arrhenius_slope_is_minus_Ea_over_R():
    """ln k against 1/T is a line of slope −Ea/R through (1/T_ref, 0) (Arrhenius 1889)."""
    Ea, T_ref = 52e3, 298.15
    T = np.array([250.0, 298.15, 340.0, 400.0])
    lnk = np.log(rd.arrhenius_factor(Ea, T, T_ref))
    slope, icpt = np.polyfit(1.0 / T, lnk, 1)
    R = 8.314462618  # J/(mol K), CODATA 2018
    assert slope == pytest.approx(-Ea / R, rel=1e-10, abs=0)
    assert icpt + slope / T_ref == pytest.approx(0.0, abs=1e-10)


def test_sei_diffusivity_reference_temperature_is_25C():
    """D(T_ref) = D_ref with the documented default T_ref = 298.15 K."""
    assert rd.sei_diffusivity(298.15, 3e-17, 60e3) == pytest.approx(3e-17, rel=1e-14, abs=0)


def test_auxetic_poisson_ratios_are_admissible():
    """Isotropic stability allows −1 < ν ≤ 0.5 (e.g. Lakes 1987): ν = −0.5 is accepted."""
    E1 = 10e9
    assert rd.effective_modulus(E1, -0.5) == pytest.approx(E1 / (1 - 0.25), rel=1e-14, abs=0)
    assert rd.biaxial_modulus(E1, -0.5) == pytest.approx(E1 / 1.5, rel=1e-14, abs=0)
    h = 1e-3
    k = rd.stoney_curvature(1e8, 1e-6, 100e9, -0.5, h)
    assert np.isfinite(k) and k != 0.0
    for bad in (-1.0, 0.51):
        for f in (rd.effective_modulus, rd.biaxial_modulus):
            with pytest.raises(ValueError, match="nu"):
                f(E1, bad)


def test_interphase_growth_needs_a_positive_solubility():
    """Parabolic growth h² − h0² = 2ΩDc∞t needs c∞ > 0 (mol/m³): with c∞ = 0 no product forms
    and the growth law's inverse (time to a thickness) is undefined, so c∞ ≤ 0 is refused."""
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="c_inf"):
            rd.sei_thickness(3600.0, 5e-9, 1e-5, 1e-19, bad)


def test_greenwood_spots_checks_the_shape_of_centres():
    """n radii need an (n, 2) array of centres: fewer or more rows are refused."""
    radii = np.array([1e-6, 2e-6, 1.5e-6])
    for shape in ((2, 2), (4, 2), (3, 1)):
        with pytest.raises(ValueError, match="centres"):
            rd.greenwood_resistance_spots(0.1, radii, np.zeros(shape))


def test_hertz_spots_ignore_adhesion_and_cover_pi_a2():
    """law = "hertz": a = (3PR/4E*)^(1/3) with P = p·ℓ² whatever W (Johnson 1985, eq. 4.22),
    and the contact fraction is πa²/ℓ² (one spot per ℓ² cell)."""
    p, R, ell, E = 2e6, 1e-6, 5e-6, 20e9
    a, phi = rd.microcontact_spots("hertz", p, radius=R, spacing=ell, E_star=E, W=0.5)
    a_ref = (3 * p * ell**2 * R / (4 * E)) ** (1 / 3)
    assert a == pytest.approx(a_ref, rel=1e-12, abs=0)
    assert phi == pytest.approx(math.pi * a_ref**2 / ell**2, rel=1e-12, abs=0)
    a_j, _ = rd.microcontact_spots("jkr", p, radius=R, spacing=ell, E_star=E, W=0.5)
    assert a_j > a * 1.01  # adhesion enlarges the JKR contact


SOFT = rd.RunawayParams(
    kappa0=0.1, a0=1e-6, G_th=4e-6, C_th=4e-6, T0=300.0, Ea_soft=60e3, a_min_fraction=0.1
)


def test_temperature_cap_is_where_the_contact_is_lost():
    """T_cap solves a*(T) = a_min (below T_limit): the equilibrium radius there is a_min."""
    Tc = runaway._T_cap(SOFT)
    assert SOFT.T0 < Tc < SOFT.T_limit
    a = rd.equilibrium_radius(Tc, SOFT)
    assert a == pytest.approx(SOFT.a_min_fraction * SOFT.a0, rel=1e-10, abs=0)


@pytest.mark.parametrize("I", [1e-4, 3e-3])
def test_spot_ode_jacobian_matches_differences(I):
    """The analytic Jacobian of the spot ODE equals central differences of its right-hand side
    (relative step 1e-6; agreement to 1e-6 of the largest entry)."""
    p = rd.RunawayParams(
        kappa0=0.05,
        a0=1e-6,
        G_th=4e-6,
        C_th=1e-9,
        T0=298.15,
        Ea_kappa=35e3,
        Ea_soft=30e3,
        series=((20.0, 25e3),),
    )
    rhs, jac = runaway.spot_ode(I, p)
    for y in ([1.0, 1.0], [1.1, 0.7], [1.3, 0.4]):
        J = np.array(jac(0.0, y))
        Jfd = np.zeros((2, 2))
        for k in range(2):
            h = 1e-6 * y[k]
            yp, ym = list(y), list(y)
            yp[k] += h
            ym[k] -= h
            Jfd[:, k] = (np.array(rhs(0.0, yp)) - np.array(rhs(0.0, ym))) / (2 * h)
        assert np.allclose(J, Jfd, rtol=1e-6, atol=1e-6 * np.abs(Jfd).max())
