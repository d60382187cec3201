"""docs/validation.md item 5: Hertz contact through Γ_int, cylinder (2D plane strain) and sphere
(axisymmetric), frictionless and non-adhesive — run from the shipped case files
``cases/hertz_cylinder.toml`` and ``cases/hertz_sphere.toml`` (no internal hooks): a bilayer
whose interface is decohered everywhere (``[[interface.debonded]] shape = "all"``: only the
frictionless penalty contact acts) and carries the initial gap g0 = r²/(2R) of a body of radius
R = 10 µm (``[interface.initial_gap]``); Li metal (E1 = 4.9 GPa, ν1 = 0.42) below, LLZO (E2 =
150 GPa, ν2 = 0.26) above; x ≥ 0 with the left face on rollers (the symmetry plane / axis), the
top face pushed down by a rigid frictionless platen (``pressure_mode = "displacement"``); the
load P is the consistent reaction on it (N/m per unit length, doubled for the half model, in 2D;
N in the axisymmetric case).

Reference (Johnson, Contact Mechanics, 1985, §4.2–4.3; solver.reduced.hertz), E* from both:
    1/E* = (1 − ν1²)/E1 + (1 − ν2²)/E2,
    cylinder: b = sqrt(4PR/(πE*)),  p0 = 2P/(πb),   p(x) = p0 sqrt(1 − x²/b²);
    sphere:   a = (3PR/(4E*))^(1/3), p0 = 3P/(2πa²), p(r) = p0 sqrt(1 − r²/a²).

Mesh (the case files): 20 µm = 40 b0 wide and thick (b0 = 0.5 µm, the target contact size: the
finite-size error of the contact size is O((b/H)²) < 0.1 %); P1 elements of b0/50 along Γ_int
within 1 µm of the axis (``refine_radius``), graded at 0.1 to 2 µm. Contact size from the
interface points (vertices): p² is linear in x near the edge of a square-root pressure, so b is
the zero of p² extrapolated linearly from the last two points in contact; the fully resolved
check is also made that b lies between the last point in contact and the first open one.
Tolerances: contact size 2 %, peak pressure 2 % (the issue's target: 4 %), profile 2 % of p0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mpi4py import MPI

from tests.conftest import ROOT

R = 10e-6
B0 = 0.5e-6  # target contact half-width / radius (the case files' mesh design)
E1, NU1 = 4.9e9, 0.42  # electrode (Li metal)
E2, NU2 = 150e9, 0.26  # electrolyte (LLZO)


def _solve_contact(axisymmetric: bool) -> dict:
    """Run the case file through the public Python API (load_case → geometry → Simulation →
    the protocol's Stepper) and return the load and the interface pressures."""
    from solver import geometry
    from solver.config import load_case
    from solver.simulation import Simulation
    from solver.stepping import Stepper, segments_from_protocol

    comm = MPI.COMM_WORLD
    case = load_case(ROOT / "cases" / f"hertz_{'sphere' if axisymmetric else 'cylinder'}.toml")
    dom = geometry.build(case.geometry, comm).domain
    sim = Simulation(case, dom)
    segs = segments_from_protocol(case.loading["protocol"], {})
    Stepper(sim, segs, {"pressure": 0.0, "displacement": 0.0, "time": 0.0}).run()
    m = sim.mech
    P = -m.top_reaction() * (1.0 if axisymmetric else 2.0)
    im = m.interfaces[0]
    xs = im.Q.tabulate_dof_coordinates()[:, 0]
    p = -m.interface_point_values(im, im.state.t_n)
    gn = m.interface_point_values(im, im.state.g_n)
    xs, p, gn = (np.concatenate(comm.allgather(a)) for a in (xs, p, gn))
    h_el = case.geometry["h_interface"]
    xs, idx = np.unique(np.round(xs / h_el, 6) * h_el, return_index=True)
    return {"P": P, "x": xs, "p": p[idx], "gn": gn[idx], "K_c": sim.law.K_c}


def _contact_size(x: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    """(b, last point in contact, first open point): b is the zero of p² extrapolated from the
    last two points in contact (p ~ sqrt(b − x) at the edge of a Hertzian contact)."""
    i = int(np.nonzero(p > 1e-6 * p.max())[0].max())  # the smoothed contact: ~0 when open
    x0, x1, p0, p1 = x[i - 1], x[i], p[i - 1], p[i]
    b = x1 + p1**2 * (x1 - x0) / (p0**2 - p1**2)
    return b, x1, x[i + 1]


def _hertz(P: float, axisymmetric: bool) -> tuple[float, float]:
    """(contact half-width / radius, peak pressure) from solver.reduced.hertz, checked against
    the closed forms."""
    from solver.reduced import hertz as hz

    e_star = hz.effective_modulus(E1, NU1, E2, NU2)
    assert e_star == pytest.approx(1.0 / ((1 - NU1**2) / E1 + (1 - NU2**2) / E2), rel=1e-14)
    if axisymmetric:
        a, p0 = hz.hertz_sphere_radius(P, R, e_star), hz.hertz_sphere_peak_pressure(P, R, e_star)
        assert a == pytest.approx((3 * P * R / (4 * e_star)) ** (1 / 3), rel=1e-12)
        assert p0 == pytest.approx(3 * P / (2 * math.pi * a**2), rel=1e-12)
    else:
        a = hz.hertz_cylinder_halfwidth(P, R, e_star)
        p0 = hz.hertz_cylinder_peak_pressure(P, R, e_star)
        assert a == pytest.approx(math.sqrt(4 * P * R / (math.pi * e_star)), rel=1e-12)
        assert p0 == pytest.approx(2 * P / (math.pi * a), rel=1e-12)
    return float(a), float(p0)


@pytest.mark.parametrize("axisymmetric", [False, True], ids=["cylinder_2d", "sphere_axi"])
def test_hertz_contact(axisymmetric):
    res = _solve_contact(axisymmetric)
    x, p = res["x"], res["p"]
    b_h, p0_h = _hertz(res["P"], axisymmetric)
    b, x_in, x_out = _contact_size(x, p)
    # the mesh resolves the contact (element size <= b/40 over it) and the load is in range
    assert np.max(np.diff(x[x < 1.2 * b_h])) <= b_h / 40
    assert 0.7 * B0 < b_h < 1.5 * B0
    # contact size: interpolated edge within 2 %, and bracketed by the points within 2 %
    assert b / b_h == pytest.approx(1.0, abs=0.02)
    assert x_in < 1.02 * b_h and x_out > 0.98 * b_h
    # peak pressure (at the symmetry axis) and the elliptical profile
    assert p[0] / p0_h == pytest.approx(1.0, abs=0.02)
    p_h = p0_h * np.sqrt(np.clip(1.0 - (x / b_h) ** 2, 0.0, None))
    inner = x <= 0.9 * b_h
    assert np.max(np.abs(p - p_h)[inner]) < 0.02 * p0_h
    # no adhesion: no tension, and nothing transmitted outside the contact
    assert np.all(p >= -1e-6 * p0_h)
    assert np.all(np.abs(p[x > 1.05 * b_h]) < 1e-6 * p0_h)
    # penetration bounded by the penalty (p/K_c), at most 1e-3 of the approach
    assert np.max(-res["gn"]) <= np.max(p) / res["K_c"] * (1 + 1e-9)
    assert np.max(-res["gn"]) < 1e-3 * b_h**2 / R
