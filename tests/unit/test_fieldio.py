"""solver.fieldio.GatherWriter writes what the functions hold, at the right points and cells:
P1 functions of a closed form (x + 2y − 3z, a vector (x, y[, z])) read back as that form at
each written point, DG0 functions (the cell midpoint's x) as that value at each written cell's
vertex mean, on triangles, quadrilaterals (VTK node order), tetrahedra and an interval
submesh; the .pvd index lists what was written."""

from __future__ import annotations

import solver.petsc_env  # noqa: F401

import numpy as np
import pytest
from dolfinx import fem, mesh
from mpi4py import MPI

CASES = {
    "triangle": lambda c: mesh.create_unit_square(c, 5, 4),
    "quad": lambda c: mesh.create_unit_square(c, 3, 5, cell_type=mesh.CellType.quadrilateral),
    "tetra": lambda c: mesh.create_unit_cube(c, 3, 2, 2),
}


def _functions(msh):
    gd = msh.geometry.dim
    P1 = fem.functionspace(msh, ("Lagrange", 1))
    s = fem.Function(P1, name="s")
    s.interpolate(lambda x: x[0] + 2 * x[1] - 3 * x[2])
    V = fem.functionspace(msh, ("Lagrange", 1, (gd,)))
    v = fem.Function(V, name="v")
    v.interpolate(lambda x: x[:gd])
    D0 = fem.functionspace(msh, ("DG", 0))
    m = fem.Function(D0, name="xmid")
    m.interpolate(lambda x: x[0])
    return [s, v, m]


def _check(path, gd):
    import meshio

    r = meshio.read(path)
    p = r.points
    np.testing.assert_allclose(r.point_data["s"], p[:, 0] + 2 * p[:, 1] - 3 * p[:, 2], atol=1e-14)
    v = r.point_data["v"]
    assert v.shape == (len(p), 3)
    np.testing.assert_allclose(v[:, :gd], p[:, :gd], atol=1e-14)
    assert np.all(v[:, gd:] == 0.0)
    mid = p[r.cells[0].data].mean(axis=1)[:, 0]
    np.testing.assert_allclose(r.cell_data["xmid"][0], mid, atol=1e-14)
    return r


@pytest.mark.parametrize("kind", list(CASES))
def test_point_and_cell_data_at_their_points_and_cells(tmp_path, kind):
    from solver.fieldio import GatherWriter

    msh = CASES[kind](MPI.COMM_SELF)
    GatherWriter(msh, _functions(msh)).write(tmp_path / "a.vtu", time=0.5)
    r = _check(tmp_path / "a.vtu", msh.geometry.dim)
    assert r.cells[0].type == kind
    assert len(r.cells[0].data) == msh.topology.index_map(msh.topology.dim).size_local
    if kind == "quad":  # VTK order: the 4 nodes go round the cell (no crossed diagonal)
        q = r.points[r.cells[0].data][:, :, :2]
        area = 0.5 * np.abs(
            np.sum(
                q[:, :, 0] * np.roll(q[:, :, 1], -1, 1) - np.roll(q[:, :, 0], -1, 1) * q[:, :, 1], 1
            )
        )
        np.testing.assert_allclose(area, 1.0 / 15.0, rtol=1e-12)


def test_interval_submesh_and_series_index(tmp_path):
    """The line y = 0 of a square as a submesh (like Γ_int), two steps of a series."""
    from solver.fieldio import SeriesWriter, read_pvd

    msh = mesh.create_unit_square(MPI.COMM_SELF, 6, 3)
    msh.topology.create_connectivity(1, 2)
    facets = mesh.locate_entities_boundary(msh, 1, lambda x: np.isclose(x[1], 0.0))
    sub = mesh.create_submesh(msh, 1, facets)[0]
    fns = _functions(sub)
    w = SeriesWriter(tmp_path, "line", sub, fns)
    w.write(1.0)
    w.write(2.5)
    entries = read_pvd(tmp_path / "line.pvd")
    assert [t for t, _ in entries] == [1.0, 2.5]
    for _, path in entries:
        r = _check(path, sub.geometry.dim)
        assert r.cells[0].type == "line" and len(r.cells[0].data) == 6
        np.testing.assert_allclose(np.sort(r.points[:, 0]), np.linspace(0, 1, 7), atol=1e-15)
    assert not list(tmp_path.rglob(".*tmp*"))  # no temporary file left
