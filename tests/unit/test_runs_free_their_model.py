"""A run frees its model: after ``api.run`` returns, no DOLFINx mesh of it is alive.

Each mesh holds MPI communicators (MPICH has ~2000 per process); a process that runs cases in a
loop (a parameter sweep through the Python API, this test suite) died with MPI_ERR_OTHER
(exit 15) after a few hundred coupled runs when every model stayed alive. The leak was CPython
3.13.0/3.13.1's ``singledispatchmethod`` cache (gh-127750) holding UFL's derivative rulesets,
and through them the forms' meshes (:mod:`solver.pycompat`).
"""

from __future__ import annotations

import gc

import pytest

from tests.ec_helpers import case, run

pytestmark = pytest.mark.serial


def _meshes() -> int:
    import dolfinx

    gc.collect()
    return sum(isinstance(o, dolfinx.mesh.Mesh) for o in gc.get_objects())


def test_coupled_runs_leave_no_mesh_alive(tmp_path):
    c = case({"physics": {"mechanics": True, "electrochemistry": True}})
    before = _meshes()
    for i in range(3):
        run(c, tmp_path / f"r{i}")
    assert _meshes() == before
