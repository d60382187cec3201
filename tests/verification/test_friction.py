"""docs/validation.md item 28: Coulomb friction on a decohered interface (`interface.friction`).

A 2D plane-strain bilayer of two identical elastic layers, its interface decohered everywhere
(`[[interface.debonded]] shape = "all"`), is pressed by a rigid platen (displacement mode, free
sides, clamped bottom) and then sheared: the platen moves sideways by s, far more than the elastic
shear of the layers, so the whole interface slides. Amontons–Coulomb: where the surfaces slide the
shear traction is μ p, directed against the slip (Bowden & Tabor, The Friction and Lubrication
of Solids, 1950; Johnson, Contact Mechanics, 1985, ch. 7), so the tangential force needed to
drag the platen is μ times the normal force, in the direction of the drag:

    R_x = −μ R_y     (R the force applied on the top face; R_y < 0 in compression),

and pointwise |t_t| = μ p with t_t·g_t > 0 (t the traction conjugate to the jump g = u_e − u_s:
the friction force on the dragged electrolyte, t, points against its motion, and friction
dissipates, t_t·ġ_t > 0).

Tolerance 5e-4 relative: the regularised Coulomb law (ε_t = 1 nm) gives μ p g/√(g² + ε²), less
than μ p by (ε/g)²/2 < 1e-4 for slips g > 70 nm; the residual stiffness of the decohered
interface K_res = 1e-6 E/L adds K_res g ≈ 1e-6 E g/L ≈ 3e-5 of the friction traction.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from tests.ec_helpers import case, simulation

pytestmark = pytest.mark.serial

W, T_E, T_S = 10e-6, 5e-6, 5e-6
E, NU = 100e9, 0.3
MU = 0.3
DELTA = -10e-9  # platen displacement (compression)
SLIP = 100e-9  # platen drag along +x


def friction_case():
    return case(
        {
            "geometry": {
                "family": "bilayer",
                "dim": 2,
                "W": W,
                "t_e": T_E,
                "t_s": T_S,
                "h_max": "1.25 um",
            },
            "materials": {
                "electrode": {"preset": "NMC811", "E": E, "nu": NU},
                "electrolyte": {"preset": "LLZO", "E": E, "nu": NU},
            },
            "interface": {
                "friction": MU,
                "K_n": 1e17,
                "K_c": 1e17,
                "debonded": [{"shape": "all"}],
            },
            "loading": {"pressure_mode": "displacement", "lateral": "free", "bottom": "clamped"},
            "physics": {"mechanics": True, "electrochemistry": False},
            "output": {"fields": False},
        },
        replace=("geometry", "materials", "interface", "loading", "physics"),
    )


def _step(sim, t, displacement, shear):
    sim.set_loads({"kind": "hold", "time": t, "displacement": displacement, "temperature": 298.15})
    sim.mech.loads.top_shear.value = shear
    res = sim.solve()
    assert res.converged, res
    sim.accept()


def test_sliding_friction_force_is_mu_times_normal_force():
    sim, dom = simulation(friction_case())
    m = sim.mech
    _step(sim, 1.0, DELTA, 0.0)  # press
    # identical layers, symmetric about Γ_int: pressing alone makes (almost: the unstructured
    # mesh is not exactly symmetric) no shear force
    assert abs(m.top_reaction(0)) < 1e-3 * abs(m.top_reaction(1))
    for i, s in enumerate(np.linspace(0.0, SLIP, 5)[1:]):  # drag
        _step(sim, 2.0 + i, DELTA, float(s))
    R_x, R_y = m.top_reaction(0), m.top_reaction(1)
    assert R_y < 0
    assert R_x == pytest.approx(-MU * R_y, rel=5e-4)
    # pointwise: every interface point slides, |t_t| = μ p, against the slip of the electrode
    im = m.interfaces[0]
    g_t = m.interface_point_values(im, im.state.g_t[0])  # [[u]]_x = u_e − u_s < 0
    t_x = m.interface_point_values(im, im.state.t_t[0])  # on the electrode
    p = -m.interface_point_values(im, im.state.t_n)
    n = im.Q.dofmap.index_map.size_local
    g_t, t_x, p = g_t[:n], t_x[:n], p[:n]
    comm = MPI.COMM_WORLD
    assert comm.allreduce(float(np.max(g_t, initial=-np.inf)), op=MPI.MAX) < -70e-9
    assert comm.allreduce(float(np.min(p, initial=np.inf)), op=MPI.MIN) > 0
    # dissipative: the traction conjugate to the slip has its sign (t_x g_t > 0)
    assert np.all(t_x * g_t > 0)
    assert np.allclose(np.abs(t_x), MU * p, rtol=5e-4)
