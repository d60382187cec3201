"""Shared fixtures. Tests marked ``mpi`` run under ``mpirun -n 2`` (``make test-mpi``)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("OMP_NUM_THREADS", "1")


# ``pytest.approx(x, rel=r)`` also accepts anything within an ABSOLUTE 1e-12 of x by default,
# which makes a relative check of an SI-small quantity (an area of 1e-10 m², a current of 1e-9 A,
# a diffusivity of 1e-17 m²/s) pass whatever the value. In this suite a relative tolerance
# means a relative tolerance: when ``rel`` is given without ``abs``, ``abs`` is 0.
_pytest_approx = pytest.approx


def _approx_rel_means_rel(expected, rel=None, abs=None, nan_ok=False):
    if rel is not None and abs is None:
        abs = 0.0
    return _pytest_approx(expected, rel=rel, abs=abs, nan_ok=nan_ok)


pytest.approx = _approx_rel_means_rel


def ssbx_cmd() -> list[str]:
    """The ssbx command as a new user runs it (console script of this interpreter's venv)."""
    exe = Path(sys.executable).with_name("ssbx")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "solver.cli"]


if int(os.environ.get("PMI_SIZE", os.environ.get("OMPI_COMM_WORLD_SIZE", "1"))) > 1:
    # under mpirun the garbage collector runs only between tests, on every rank together: a
    # model's PETSc objects are destroyed collectively (MUMPS), and a collection at a moment
    # that differs between ranks could deadlock (solver.api._release does the same per run)
    import gc

    gc.disable()

    @pytest.fixture(autouse=True)
    def _collect_between_tests():
        yield
        gc.collect()


@pytest.fixture
def comm():
    from mpi4py import MPI

    return MPI.COMM_WORLD


@pytest.fixture
def shared_tmp(comm):
    """A temporary directory shared by all ranks (rank 0 creates it, removes it at the end)."""
    path = tempfile.mkdtemp(prefix="ssbx-test-") if comm.rank == 0 else None
    path = Path(comm.bcast(path, root=0))
    yield path
    comm.barrier()
    if comm.rank == 0:
        shutil.rmtree(path, ignore_errors=True)
