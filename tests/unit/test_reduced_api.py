"""API contract of solver.reduced: ValueError naming the parameter, broadcasting, scalars."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from solver import reduced as rd

SURF = dict(sigma_s=0.2e-6, eta=5e10, beta=5e-6)

# (function, positional args, message)
INVALID = [
    (rd.hertz_sphere_radius, (1.0, 1e-6, -1), "E_star must be > 0, got -1"),
    (rd.hertz_sphere_radius, (-2.0, 1e-6, 1e9), "P must be >= 0, got -2"),
    (rd.hertz_cylinder_halfwidth, (1.0, 0.0, 1e9), "R must be > 0, got 0"),
    (rd.effective_modulus, (1e9, 0.7), "nu1 must be <= 0.5, got 0.7"),
    (rd.effective_modulus, (1e9, 0.3, -5.0, 0.3), "E2 must be > 0, got -5"),
    (rd.jkr_zero_load_radius, (1e-5, 2e10, -0.1), "W must be >= 0, got -0.1"),
    (rd.jkr_radius, (0.0, 1e-5, 2e10, 0.2, "middle"), "branch must be one of stable, unstable"),
    (rd.jkr_load, ([1e-7, -1e-7], 1e-5, 2e10, 0.2), "a must be >= 0, got -1e-07"),
    (rd.plastic_contact_fraction, (1e6, 0.0), "H must be > 0, got 0"),
    (rd.gw_contact_fraction, (0.0, -1e-7, 1e10, 1e-6), "sigma_s must be > 0, got -1e-07"),
    (rd.gw_separation, (-1.0, 1e-7, 1e10, 1e-6, 1e9), "p must be > 0, got -1"),
    (rd.holm_resistance, (0.0, 1e-6), "kappa must be > 0, got 0"),
    (rd.holm_resistance, (0.1, np.nan), "a must be a number, got nan"),
    (rd.holm_resistance, (0.1, np.inf), "a must be finite, got inf"),
    (rd.holm_resistance, ("fast", 1e-6), "kappa must be a number or an array of numbers"),
    (rd.flux_tube_correction, (1.2,), "eps must be <= 1, got 1.2"),
    (rd.flux_tube_correction, (0.2, "exact"), "form must be one of gibson, cooper"),
    (rd.greenwood_resistance, (0.1, 1e-6, 0.5, 1e-8), "n must be >= 1, got 0.5"),
    (rd.constriction_asr, (0.1, 1e-6, 1.5), "phi must be <= 1, got 1.5"),
    (rd.constriction_factor, (1.0, 0.0), "A_active must be > 0, got 0"),
    (rd.energy_release_rate, (1e6, 1e6, -1e15, 1e15), "k_n must be > 0, got -1e+15"),
    (rd.mode_mixity, (-1.0, 1.0), "G_I must be >= 0, got -1"),
    (rd.bk_toughness, (1.5, 1.0, 3.0, 2.0), "B must be <= 1, got 1.5"),
    (rd.bk_toughness, (0.5, 1.0, 3.0, 0.0), "eta must be > 0, got 0"),
    (rd.biaxial_modulus, (1e9, -1.0), "nu must be > -1, got -1"),
    (rd.lithiation_shear_traction, (1e9, 0.3, 0.0, 1e-6, 1.0), "h must be > 0, got 0"),
    (rd.sei_thickness, (-1.0, 1e-9, 1e-5, 1e-19, 1e3), "t must be >= 0, got -1"),
    (rd.sei_thickness, (1.0, 1e-9, 1e-5, -1e-19, 1e3), "D must be >= 0, got -1e-19"),
    (
        rd.sei_time_to_contact_loss,
        (1e10, 1e-9, 0.0, 0.0, 1e-5, 1e-19, 1e3),
        "p_min must be > 0, got 0",
    ),
    (rd.sei_resistance, (1e-9, 0.0), "kappa_sei must be > 0, got 0"),
    (rd.sei_diffusivity, (-300.0, 1e-19, 5e4), "T must be > 0, got -300"),
    (rd.sls_pressure, (1.0, 0.0, 1e6, 10.0, 0.05), "E1 must be > 0, got 0"),
    (rd.sls_time_to_pressure, (1e5, 1e7, 1e6, -10.0, 0.05), "tau must be > 0, got -10"),
    (rd.sls_time_to_pressure, (1e5, 1e7, 1e6, 10.0, 0.0), "eps0 must be > 0, got 0"),
    (rd.arrhenius, (1.0, -5.0, 300.0), "Ea must be >= 0, got -5"),
    (rd.spot_thermal_conductance, (1e-6, 0.0, 1.0), "k1 must be > 0, got 0"),
]


@pytest.mark.parametrize(
    "func, args, message", INVALID, ids=[f"{f.__name__}-{i}" for i, (f, _, _) in enumerate(INVALID)]
)
def test_invalid_input_names_the_parameter(func, args, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        func(*args)


# (function, args with one (3, 1) and one (4,) array) → result shape (3, 4)
C = np.array([[1.0], [2.0], [3.0]])
R4 = np.array([1.0, 2.0, 3.0, 4.0])
BROADCAST = [
    (rd.hertz_sphere_radius, (C, 1e-6 * R4, 1e9)),
    (rd.hertz_sphere_peak_pressure, (C, 1e-6 * R4, 1e9)),
    (rd.hertz_sphere_pressure, (1e-9 * C, 1.0, 1e-6 * R4, 1e9)),
    (rd.hertz_cylinder_halfwidth, (C, 1e-6 * R4, 1e9)),
    (rd.hertz_cylinder_pressure, (1e-9 * C, 1.0, 1e-6 * R4, 1e9)),
    (rd.effective_modulus, (1e9 * C, 0.3, 1e9 * R4, 0.2)),
    (rd.jkr_radius, (1e-6 * C, 1e-5, 2e10, 0.1 * R4)),
    (rd.jkr_load, (1e-7 * C, 1e-5, 2e10, 0.1 * R4)),
    (rd.jkr_zero_load_radius, (1e-5 * C, 2e10, 0.1 * R4)),
    (rd.plastic_contact_fraction, (1e6 * C, 1e6 * R4)),
    (rd.gw_contact_fraction, (1e-7 * C, 1e-7 * R4, 1e10, 1e-6)),
    (rd.gw_separation, (1e5 * C, 1e-7 * R4, 1e10, 1e-6, 1e9)),
    (rd.holm_resistance, (0.1 * C, 1e-6 * R4)),
    (rd.flux_tube_resistance, (0.1 * C, 1e-6, 1e-5 * R4)),
    (rd.greenwood_resistance, (0.1, 1e-6, 10 * C, 1e-8 * R4)),
    (rd.constriction_asr, (0.1 * C, 1e-6, 0.2 * R4)),
    (rd.energy_release_rate, (1e6 * C, 1e6 * R4, 1e15, 1e15)),
    (rd.bk_toughness, (0.2 * C, 1.0, 3.0, R4)),
    (rd.delamination_check, (1e6 * C, 1e6 * R4, 1e12, 1e12, 1.0, 3.0, 2.0)),
    (rd.lithiation_shear_traction, (1e9 * C, 0.3, 1e-6, 1e-6, R4)),
    (rd.sei_thickness, (1e6 * C, 1e-9, 1e-5, 1e-19 * R4, 1e3)),
    (rd.sei_time_to_contact_loss, (1e10, 1e-9, 1e7 * C, 1e-9, 1e-5, 1e-19 * R4, 1e3)),
    (rd.sls_pressure, (100.0 * C, 1e7, 1e6, 10.0 * R4, 0.05)),
    (rd.sls_time_to_pressure, (2e5 * C, 1e7, 1e6, 10.0 * R4, 0.05)),
]


@pytest.mark.parametrize("func, args", BROADCAST, ids=[f.__name__ for f, _ in BROADCAST])
def test_broadcasting_and_scalars(func, args):
    out = func(*args)
    outs = out if isinstance(out, tuple) else (out,)
    for o in outs:
        assert np.shape(o) == (3, 4)
    # element (1, 2) equals the scalar call with the matching entries
    scalar_args = [
        a[1, 0] if np.shape(a) == (3, 1) else a[2] if np.shape(a) == (4,) else a for a in args
    ]
    s = func(*scalar_args)
    souts = s if isinstance(s, tuple) else (s,)
    for o, so in zip(outs, souts):
        assert np.ndim(so) == 0
        assert np.asarray(o)[1, 2] == pytest.approx(float(so), rel=1e-9)


def test_import_is_light():
    """solver.reduced pulls in neither SciPy nor any FE stack at import."""
    code = (
        "import sys, solver.reduced\n"
        "bad = [m for m in ('scipy', 'dolfinx', 'petsc4py', 'mpi4py') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api_listed():
    for name in rd.__all__:
        assert hasattr(rd, name), name
