"""Measured |Ω_e|, |Ω_s|, |Γ_int| (and every other tag) of the distributed domain against the
analytic values of each geometry family, to the accuracy its discretisation allows (the
builder's ``tol``); and the "+" side of every interface facet is the intended material."""

from __future__ import annotations

import pytest
from mpi4py import MPI

from tests.domain_cases import GEOMETRIES


def _build(geom, comm):
    from solver import geometry

    return geometry.build(geom, comm)


@pytest.mark.parametrize("geom", [g for _, g in GEOMETRIES], ids=[i for i, _ in GEOMETRIES])
def test_measures_match_analytic(geom):
    from meshes import tags as T

    built = _build(geom, MPI.COMM_WORLD)
    dom, info = built.domain, built.info
    stats = dom.statistics()
    from solver.geometry import compare_exact

    cmp = compare_exact(stats, info)
    # every cell tag and Γ_int must have an analytic value
    assert "electrode" in cmp and "interface" in cmp, cmp.keys()
    assert any(k.startswith("electrolyte") for k in cmp)
    for name, c in cmp.items():
        tol = c["tol"] if c["tol"] is not None else 1e-10
        assert c["rel_error"] <= max(tol, 1e-12), (name, c)
    # ordering: the electrode is "+" on Γ_int; each interface's "+" material on its own
    for tag in dom.interfaces:
        plus, minus = dom.side_indicator_integrals(tag)
        area = dom.measure_of("facet", tag)
        assert area > 0
        assert plus == pytest.approx(area, rel=1e-12), T.facet_name(tag)
        assert abs(minus) <= 1e-14 * area, T.facet_name(tag)
