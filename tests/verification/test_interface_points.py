"""The interface points of 3D P2 fields (docs/theory.md §10.1): the history space's nodes are
the points of the degree-4 Gauss rule of the interface integrals, so a value "at the interface
points" (∫ f q_i / ∫ q_i) is the value of f at the node, exactly, and each point's weight is its
positive quadrature weight. Checked on the coordinates (closed form: the node positions) and on
a uniform temperature, for the mechanics' history space and for the heat equation's own space
(heat without mechanics or potentials). With Lagrange DG2 nodes the vertex functions integrate
to 0 on a triangle and these values came out as round-off quotients (x off by 2e8 m, a uniform
298.15 K read as −3008 K)."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from tests.ec_helpers import case, simulation

pytestmark = pytest.mark.serial

W = 4e-6
GEO = {"dim": 3, "W": W, "D": W, "t_e": W, "t_s": W, "h_max": "2 um"}


def test_mechanics_history_points_3d_p2():
    c = case({"geometry": GEO,
              "physics": {"degree": 2, "electrochemistry": False, "mechanics": True}})  # fmt: skip
    sim, _ = simulation(c)
    m = sim.mech
    im = m.interfaces[0]
    nloc = im.Q.dofmap.index_map.size_local
    X = im.Q.tabulate_dof_coordinates()[:nloc]
    x = m.x
    for expr, ref in ((x[0], X[:, 0]), (x[1] * x[0], X[:, 0] * X[:, 1])):
        v = m.interface_point_values(im, expr("+"))[:nloc]
        np.testing.assert_allclose(v, ref, rtol=0, atol=1e-12 * W * (1 + W))
    w = m._point_weights(im)[:nloc]
    assert np.all(w > 0)
    total = MPI.COMM_WORLD.allreduce(float(w.sum()), op=MPI.SUM)
    assert total == pytest.approx(W * W, rel=1e-12)  # the interface area


def test_heat_interface_points_3d_p2():
    c = case({"geometry": GEO,
              "physics": {"thermal": True, "degree": 2, "electrochemistry": False,
                          "mechanics": False}})  # fmt: skip
    sim, _ = simulation(c)
    h = sim.heat
    T0 = float(h.T_e.x.array[0])
    n = h.Q.dofmap.index_map.size_local
    v = h.point_values(h.T_itf)[:n]
    np.testing.assert_allclose(v, T0, rtol=1e-12)
    X = h.Q.tabulate_dof_coordinates()[:n]
    np.testing.assert_allclose(h.point_values(h.x[0]("+"))[:n], X[:, 0], atol=1e-12 * W)
