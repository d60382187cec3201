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


def test_jit_cache_drops_only_interrupted_compiles(tmp_path, monkeypatch):
    """An unmarked ``.c`` older than JIT_STALE_S (its compile was killed) is removed, a fresh
    one (a compile in progress) and a finished one are kept; the wait for another process's
    compile is raised from DOLFINx's 10 s to JIT_WAIT_S."""
    import os
    import time

    import solver.petsc_env  # noqa: F401

    from dolfinx import jit

    from solver import pycompat

    monkeypatch.setitem(jit.DOLFINX_DEFAULT_JIT_OPTIONS, "cache_dir", (tmp_path, "test"))
    monkeypatch.setitem(jit.DOLFINX_DEFAULT_JIT_OPTIONS, "timeout", (10, "test"))
    old = time.time() - 2 * pycompat.JIT_STALE_S
    stale, busy, done = (tmp_path / f"libffcx_forms_{k}.c" for k in ("a", "b", "c"))
    for f in (stale, busy, done):
        f.write_text("")
    (tmp_path / "libffcx_forms_c.c.cached").write_text("")
    os.utime(stale, (old, old))
    os.utime(done, (old, old))
    assert pycompat.prepare_jit_cache() == 1
    assert not stale.exists() and busy.exists() and done.exists()
    assert jit.get_options()["timeout"] == pycompat.JIT_WAIT_S
