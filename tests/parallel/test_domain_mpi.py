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
