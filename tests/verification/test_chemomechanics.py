"""Closed chemo-mechanical loop (electrochemistry issue): lithiating a thin film through an
interface whose current is non-uniform (the counter electrode is the electrolyte's right face, so
the ionic current runs laterally) builds a lateral concentration gradient by Li transport; the
Vegard strain of the transported c then loads the interface in shear with
τ = M h β ∂c/∂x (M = E/(1 − ν)), computed here from the transported c — nothing is prescribed
but the applied current.

Film: 1 µm, E = 100 GPa, ν = 0.3, β = 1e-6 m³/mol, D = 1e-13 m²/s (through-thickness diffusion
time 10 s ≪ the 100 s run ≪ the lateral time 1e5 s, so c is uniform through the film and keeps
its lateral profile). Substrate (electrolyte) 1000× stiffer, its top face held; the film's
bottom face is free. Checked in the middle 60 % of the width within 5 %.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from tests.ec_helpers import case, simulation

E_F, NU_F, H, BETA = 100e9, 0.3, 1e-6, 1e-6
W = 100e-6


@pytest.mark.serial
def test_transported_lithiation_gradient_gives_interface_shear():
    if MPI.COMM_WORLD.size > 1:
        pytest.skip("point sampling of the film profile is serial")
    from solver.stepping import Segment, Stepper

    c = case(
        {
            "geometry": {
                "family": "bilayer",
                "dim": 2,
                "W": "100 um",
                "t_e": "1 um",
                "t_s": "10 um",
                "h_max": "2 um",
                "h_interface": "0.5 um",
            },
            "materials": {
                "electrode": {
                    "preset": "NMC811",
                    "E": E_F,
                    "nu": NU_F,
                    "vegard": BETA,
                    "D": 1e-13,
                    "c_init": 10000.0,
                    "c_ref": 10000.0,
                    "sigma_e": 1e3,
                },
                "electrolyte": {"preset": "LLZO", "E": 1000 * E_F},
            },
            "interface": {
                "kinetics": "linear",
                "R_ct": 1e-6,
                "microcontact": "none",
                "sigma_c": 1e12,
                "tau_c": 1e12,
                "G_Ic": 1e9,
                "G_IIc": 1e9,
            },
            "loading": {
                "pressure_mode": "displacement",
                "bottom": "free",
                "counter_boundary": "right",
                "stack_pressure": 0.0,
            },
            "physics": {"mechanics": True, "electrochemistry": True, "transport": True},
        },
        replace=("geometry",),
    )
    sim, dom = simulation(c)
    # lithiation (current from the electrolyte into the film): j_app < 0
    seg = [Segment("current", {"current_density": -1.0}, 10, 100.0)]
    Stepper(
        sim, seg, {"pressure": 0.0, "displacement": 0.0, "time": 0.0, "temperature": 298.15}
    ).run()
    # film-averaged concentration profile from the transported field
    tr = sim.transport
    xs = np.linspace(0.05 * W, 0.95 * W, 91)
    ys = np.linspace(0.1 * H, 0.9 * H, 5)
    pts = np.array([[x, y, 0.0] for x in xs for y in ys])
    from dolfinx import geometry as dg

    msh = tr.V.mesh
    tree = dg.bb_tree(msh, msh.topology.dim)
    cand = dg.compute_collisions_points(tree, pts)
    cells = dg.compute_colliding_cells(msh, cand, pts)
    cell_of = np.array([cells.links(i)[0] for i in range(len(pts))], dtype=np.int32)
    cvals = tr.c.eval(pts, cell_of).reshape(len(xs), len(ys)).mean(axis=1)
    dcdx = np.gradient(cvals, xs)
    assert np.ptp(cvals) > 100.0  # a real lateral gradient was built by transport
    # interface shear traction on the film at the interface points
    im = sim.mech.interfaces[0]
    tx = sim.mech.interface_point_values(im, im.state.t_t[0])
    X = im.Q.tabulate_dof_coordinates()[:, 0]
    order = np.argsort(X)
    tx_at = np.interp(xs, X[order], tx[order])
    M = E_F / (1 - NU_F)
    mid = (xs > 0.2 * W) & (xs < 0.8 * W)
    expected = -M * H * BETA * dcdx  # sign: the film is held back where it swells more
    assert np.allclose(tx_at[mid], expected[mid], rtol=0.05, atol=0.02 * np.abs(expected).max())
    # Li balance of the transported field
    from solver.metrics import electrochemistry_row

    assert electrochemistry_row(sim)["li_balance_error"] < 1e-8
