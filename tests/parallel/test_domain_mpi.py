"""Under ``mpirun -n 2``: every geometry family gives the same measures on 2 ranks as on 1, and
the electrode is "+" on every Γ_int facet, including facets on the partition boundary."""

from __future__ import annotations

import pytest
from mpi4py import MPI

from tests.domain_cases import GEOMETRIES

pytestmark = pytest.mark.mpi


@pytest.mark.parametrize("geom", [g for _, g in GEOMETRIES], ids=[i for i, _ in GEOMETRIES])
def test_same_measures_on_all_rank_counts(geom):
    from solver import geometry

    world = MPI.COMM_WORLD
    par = geometry.build(geom, world)
    s_par = par.domain.statistics()
    # the same case on one rank (each rank builds its own copy; the same seed -> the same mesh)
    ser = geometry.build(geom, MPI.COMM_SELF)
    s_ser = ser.domain.statistics()
    assert s_par["cells"] == s_ser["cells"]
    for kind in ("volumes", "areas"):
        assert s_par[kind].keys() == s_ser[kind].keys()
        for name, v in s_ser[kind].items():
            assert s_par[kind][name] == pytest.approx(v, rel=1e-12), (kind, name)
    for name, c in geometry.compare_exact(s_par, par.info).items():
        tol = c["tol"] if c["tol"] is not None else 1e-10
        assert c["rel_error"] <= max(tol, 1e-12), (name, c)
    dom = par.domain
    # the partition must cut the interface for this test to mean something in 2D/3D cases
    for tag in dom.interfaces:
        plus, minus = dom.side_indicator_integrals(tag)
        area = dom.measure_of("facet", tag)
        assert plus == pytest.approx(area, rel=1e-12)
        assert abs(minus) <= 1e-14 * area


def test_partition_cuts_interface():
    """The 2-rank partition really splits Γ_int (so the ordering test covers interprocess
    facets): both ranks own interface facets."""
    from meshes import tags as T
    from solver import geometry

    world = MPI.COMM_WORLD
    built = geometry.build({"family": "bilayer", "dim": 2, "axisymmetric": False}, world)
    n_local = len(built.domain.interfaces[T.INTERFACE].facets)
    counts = world.allgather(n_local)
    assert world.size == 1 or min(counts) > 0, counts


def test_random_debonded_patches_do_not_depend_on_the_partition():
    """The random decohered patches are the same on 2 ranks as on 1 (the level is a quantile
    over the whole interface)."""
    import numpy as np

    from tests.ec_helpers import case, simulation

    reg = {"shape": "random", "fraction": 0.3, "seed": 5, "correlation_length": "2 um"}
    over = {"physics": {"mechanics": True, "electrochemistry": False},
            "geometry": {"W": "40 um"}, "interface": {"debonded": [reg]}}  # fmt: skip
    out = []
    for comm in (MPI.COMM_WORLD, MPI.COMM_SELF):
        if comm is MPI.COMM_SELF and MPI.COMM_WORLD.rank != 0:
            break
        sim, _ = simulation(case(over), comm=comm)
        im = sim.mech.interfaces[0]
        nloc = im.Q.dofmap.index_map.size_local
        X = im.Q.tabulate_dof_coordinates()[:nloc, 0]
        D = im.D_old.x.array[:nloc]
        X, D = (np.concatenate(comm.allgather(a)) for a in (X, D))
        o = np.lexsort((D, X))
        out.append((np.round(X[o], 12), D[o]))
    if MPI.COMM_WORLD.rank == 0:
        (xa, da), (xb, db) = out
        ua, ia = np.unique(xa, return_index=True)
        ub, ib = np.unique(xb, return_index=True)
        assert np.array_equal(ua, ub) and np.array_equal(da[ia], db[ib])
