"""The initial interface state from case keys (docs/theory.md §4.12): random debonded patches
and initial gap profiles act as specified, independently of the partition."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from tests.ec_helpers import case, simulation

MECH = {"physics": {"mechanics": True, "electrochemistry": False}}


def _points(sim, expr):
    m = sim.mech
    im = m.interfaces[0]
    nloc = im.Q.dofmap.index_map.size_local
    X = im.Q.tabulate_dof_coordinates()[:nloc]
    v = m.interface_point_values(im, expr)[:nloc]
    w = m._point_weights(im)[:nloc]
    comm = MPI.COMM_WORLD
    return tuple(np.concatenate(comm.allgather(a)) for a in (X, v, w))


@pytest.mark.parametrize("fraction", [0.2, 0.5])
def test_random_debonded_patches_cover_the_requested_area(fraction):
    """A random region decoheres the requested area fraction (to the resolution of the
    interface points: ±1 point weight), in patches of about the correlation length, the same
    for the same seed and different for another."""
    reg = {"shape": "random", "fraction": fraction, "seed": 3, "correlation_length": "2 um"}
    c = case({**MECH, "geometry": {"W": "40 um"}, "interface": {"debonded": [reg]}})
    sim, _ = simulation(c)
    X, D, w = _points(sim, sim.mech.interfaces[0].D_old("+"))
    assert np.all((D == 0.0) | (D == 1.0))
    got = float((w * D).sum() / w.sum())
    assert got == pytest.approx(fraction, abs=2 * w.max() / w.sum())
    # patches: the decohered set changes state about W/ℓ times, not at every point
    order = np.argsort(X[:, 0])
    flips = int(np.count_nonzero(np.diff(D[order])))
    assert 2 <= flips <= 40
    other = case({**MECH, "geometry": {"W": "40 um"},
                  "interface": {"debonded": [{**reg, "seed": 4}]}})  # fmt: skip
    sim2, _ = simulation(other)
    X2, D2, _ = _points(sim2, sim2.mech.interfaces[0].D_old("+"))
    assert not np.array_equal(D[order], D2[np.argsort(X2[:, 0])])


@pytest.mark.parametrize("degree", [1, 2])
def test_initial_gap_profiles(tmp_path, degree):
    """Unloaded (no stack pressure), the gap at the interface points is the initial profile:
    g0 = (x − x0)²/(2R) for a cylinder, and the linear interpolant of a CSV profile. P2 fields:
    the interface points are the Gauss–Lobatto points of each facet (3, the nodes of the DG2
    history space), so the point values are exact there too; a Gauss rule would return the
    lumped average ∫ g q_i / ∫ q_i, off by (h²/10)/(2R) at the facet ends for the parabola."""
    R, x0 = 10e-6, 3e-6
    mech = {"physics": {"mechanics": True, "electrochemistry": False, "degree": degree}}
    c = case({**mech, "loading": {"stack_pressure": 0.0},
              "interface": {"initial_gap": {"shape": "cylinder", "radius": R,
                                            "centre": [x0]}}})  # fmt: skip
    sim, _ = simulation(c)
    im = sim.mech.interfaces[0]
    X, g, _ = _points(sim, im.state.g_n)
    np.testing.assert_allclose(g, (X[:, 0] - x0) ** 2 / (2 * R), rtol=0, atol=1e-15)
    csv = tmp_path / "gap.csv"
    xs = np.linspace(0.0, 10e-6, 11)
    rows = "".join(f"{float(a)!r}, {float(1e-9 * (a / 1e-6) ** 1.5)!r}\n" for a in xs)
    csv.write_text("x [m], g0 [m]\n" + rows)
    c2 = case({**mech, "loading": {"stack_pressure": 0.0},
               "interface": {"initial_gap": {"shape": "csv", "file": str(csv)}}})  # fmt: skip
    sim2, _ = simulation(c2)
    X2, g2, _ = _points(sim2, sim2.mech.interfaces[0].state.g_n)
    np.testing.assert_allclose(g2, np.interp(X2[:, 0], xs, 1e-9 * (xs / 1e-6) ** 1.5), atol=1e-15)


@pytest.mark.parametrize("law", ["bilinear", "exponential"])
def test_partial_decohesion_sets_the_damage_of_its_separation(law):
    """A region decohered to D = 0.4 starts at the mode-I separation δ where the dissipated
    energy Φ(δ) = D G_Ic, with the secant damage of that separation (docs/theory.md §4.12).
    Reference computed here from the traction–separation law alone: Φ(δ) = ∫₀^δ t dδ' − ½ t(δ) δ
    (work minus recoverable energy, scipy quad), δ from brentq, then d = 1 − t/(K δ);
    t = K δ below δ₀, then K δ₀ (δ_f − δ)/(δ_f − δ₀) (bilinear) or K δ₀ e^(−(δ−δ₀)/δ_c),
    δ_c = (δ_f − δ₀)/2 (exponential); δ₀ = σ_c/K, δ_f = 2 G_Ic/(K δ₀)."""
    from scipy.integrate import quad
    from scipy.optimize import brentq

    D = 0.4
    c = case({**MECH, "interface": {"law": law,
                                    "debonded": [{"shape": "all", "decohesion": D}]}})  # fmt: skip
    sim, _ = simulation(c)
    im = sim.mech.interfaces[0]
    K, d0 = im.law.K_n, im.law.delta0_n
    df = 2 * im.law.G_Ic / (K * d0)

    def t(x):
        if x <= d0:
            return K * x
        if law == "bilinear":
            return K * d0 * max(df - x, 0.0) / (df - d0)
        return K * d0 * np.exp(-(x - d0) / (0.5 * (df - d0)))

    def phi(x):
        w = quad(t, 0.0, d0)[0] + quad(t, d0, x, limit=200)[0]
        return w - 0.5 * t(x) * x

    delta = brentq(lambda x: phi(x) - D * im.law.G_Ic, d0 * (1 + 1e-9), df if law == "bilinear"
                   else d0 + 60 * (df - d0), xtol=1e-16 * df, rtol=1e-13)  # fmt: skip
    d_ref = 1.0 - t(delta) / (K * delta)
    d = im.d_old.x.array
    assert d.size > 0
    np.testing.assert_allclose(d, d_ref, rtol=1e-7)
    np.testing.assert_allclose(im.D_old.x.array, D, rtol=0, atol=1e-15)
