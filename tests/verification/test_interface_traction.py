"""docs/validation.md item 31: pointwise interface tractions of P1 fields against a closed form.

Two layers of the same isotropic material, bonded through a stiff cohesive interface with a
sinusoidal profile y = t_e + A sin(2πx/λ), on rollers (bottom, sides), pulled by the platen
(uniaxial strain ε along y). The exact solution is the uniform state, whatever the interface
shape: σ = diag(λ_L ε, (λ_L + 2μ) ε, λ_L ε) (Lamé constants λ_L, μ; Timoshenko & Goodier 1970),
so the traction on Γ_int is t = σ n at every point, n the unit normal of the sinusoid
(pointing into the electrode, below): both a normal and a tangential component, varying along
the interface.

Tolerance, stated from the mesh: P1 represents the uniform state exactly, but the interface is a
polygon, and the vertex rule gives each interface point the length-weighted mean of its two
chord normals, which differs from the curve's normal by at most (κ h)²/8 (κ the curvature of the
sinusoid, h the chord length): with a safety factor 2, |t − σ n| ≤ 2 (κ_max h_max)²/8 |σ|
(measured: 1.2e-3 at h = λ/40, converging as h²). The interface compliance (K = 1e4 E/1 µm)
changes the tractions by < 1e-6. The two points on the roller sides are excluded: there the
side support, not the interface, carries the x force.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mpi4py import MPI

from tests.mech_helpers import bilayer_domain, mechanics, solve_ok

E, NU = 100e9, 0.3
A, LAM = 1e-6, 10e-6
W, T_E, T_S = 10e-6, 5e-6, 5e-6
EPS = 1e-3


def test_uniform_tension_traction_on_a_sinusoidal_interface_is_sigma_n_pointwise():
    from solver.physics.cohesive import CohesiveLaw

    dom = bilayer_domain(
        W=W,
        t_e=T_E,
        t_s=T_S,
        interface="sinusoid",
        amplitude=A,
        wavelength=LAM,
        h_max=1e-6,
        h_interface=0.25e-6,
    )
    K = 1e4 * E / 1e-6
    law = CohesiveLaw(K_n=K, K_t=K, K_c=K, sigma_c=1e12, tau_c=1e12, G_Ic=1e9, G_IIc=1e9)
    mats = {"electrode": {"E": E, "nu": NU}, "electrolyte": {"E": E, "nu": NU}}
    m, prob = mechanics(
        dom, mats, law, pressure_mode="displacement", lateral="roller", bottom="roller"
    )
    m.loads.top_displacement.value = EPS * (T_E + T_S)
    solve_ok(prob)
    im = m.interfaces[0]
    Q = im.Q
    n_loc = Q.dofmap.index_map.size_local
    tx = m.interface_point_values(im, im.state.traction[0])[:n_loc]
    ty = m.interface_point_values(im, im.state.traction[1])[:n_loc]
    X = Q.tabulate_dof_coordinates()[:n_loc, 0]
    # closed form: uniform uniaxial strain, t = σ n with the sinusoid's unit normal
    lam_l = E * NU / ((1 + NU) * (1 - 2 * NU))
    mu = E / (2 * (1 + NU))
    s_xx, s_yy = lam_l * EPS, (lam_l + 2 * mu) * EPS
    k = 2 * math.pi / LAM
    slope = A * k * np.cos(k * X)
    norm = np.sqrt(1 + slope**2)
    n_x, n_y = slope / norm, -1.0 / norm
    ex, ey = s_xx * n_x, s_yy * n_y
    # tolerance from the mesh: the longest interface chord and the largest curvature
    geo = Q.mesh.geometry
    cells = geo.dofmaps[0][: Q.mesh.topology.index_map(1).size_local]
    chords = np.linalg.norm(geo.x[cells[:, 1]] - geo.x[cells[:, 0]], axis=1)
    comm = MPI.COMM_WORLD
    h_max = comm.allreduce(float(chords.max(initial=0.0)), op=MPI.MAX)
    kappa_max = A * k**2
    tol = 2 * (kappa_max * h_max) ** 2 / 8
    assert tol < 0.01  # a meaningful check
    inner = (X > 1e-6 * W) & (X < (1 - 1e-6) * W)
    err = np.hypot(tx - ex, ty - ey)[inner] / s_yy
    assert comm.allreduce(float(err.max(initial=0.0)), op=MPI.MAX) < tol
    # both components are really there: normal traction and a shear of up to ~0.2 σ_yy
    t_t = (-tx * n_y + ty * n_x)[inner]
    assert comm.allreduce(float(np.abs(t_t).max(initial=0.0)), op=MPI.MAX) > 0.1 * s_yy
    assert comm.allreduce(int(inner.sum()), op=MPI.SUM) > 60


@pytest.mark.mpi
def test_uniform_tension_traction_pointwise_mpi():
    """The same on the ranks of the world communicator (run under mpirun -n 2)."""
    test_uniform_tension_traction_on_a_sinusoidal_interface_is_sigma_n_pointwise()
