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


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test``: ``--dist loadscope --no-loadscope-reorder``) a module
    runs whole on one worker, handed out in collection order. The slowest modules go first
    (longest processing time first), so no long module starts last while the other worker idles.
    Costs: tests/module_costs.json (seconds per module, written by tools/test_costs.py); a module
    not listed counts as the median. Only the order of modules changes, never which tests run."""
    if not hasattr(config, "workerinput"):  # not an xdist worker: keep pytest's order
        return
    import json
    import statistics

    path = ROOT / "tests" / "module_costs.json"
    costs = json.loads(path.read_text()) if path.is_file() else {}
    default = statistics.median(costs.values()) if costs else 0.0
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        first.setdefault(item.nodeid.split("::")[0], i)

    def key(item):
        module = item.nodeid.split("::")[0]
        return (-costs.get(module, default), first[module])

    items.sort(key=key)  # stable: the order inside a module is kept


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


# ------------------------------------------------------------------ 1-rank references under MPI
def serial_reference(key: str, fn, *args):
    """Mark a test that compares a run on the world's ranks with the same run on one rank, whose
    1-rank run is ``fn(path, *args)`` (a module-level function that runs on ``MPI.COMM_SELF``
    and writes into the directory ``path``). Under ``mpirun`` the 1-rank runs of all collected
    tests so marked are made together before the first of them, spread over the ranks (rank r
    makes every size-th, by key), so that no rank idles while rank 0 alone runs a reference;
    the test's ``serial_ref`` fixture gives the directory of its own."""
    return pytest.mark.serial_reference(key, fn, *args)


@pytest.fixture(scope="session")
def _serial_references(request):
    import gc
    import traceback

    from mpi4py import MPI

    world = MPI.COMM_WORLD
    base = tempfile.mkdtemp(prefix="ssbx-ref-") if world.rank == 0 else None
    base = Path(world.bcast(base, root=0))
    jobs = {}
    for item in request.session.items:
        m = item.get_closest_marker("serial_reference")
        if m is not None:
            jobs.setdefault(m.args[0], m.args[1:])
    world.barrier()
    gc.collect()  # every rank together: no collective object is left to a later collection
    errors = {}
    for i, key in enumerate(sorted(jobs)):
        if i % world.size == world.rank:
            fn, *args = jobs[key]
            try:
                fn(base / key, *args)
            except Exception:  # reported by the test that needs it, never a hang
                errors[key] = traceback.format_exc()
    errors = {k: v for part in world.allgather(errors) for k, v in part.items()}
    world.barrier()
    yield base, errors
    world.barrier()
    if world.rank == 0:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def serial_ref(request, _serial_references) -> Path:
    """The directory of this test's 1-rank reference (see :func:`serial_reference`), readable
    on every rank."""
    m = request.node.get_closest_marker("serial_reference")
    assert m is not None, "serial_ref needs the test marked with @serial_reference(...)"
    base, errors = _serial_references
    if m.args[0] in errors:
        pytest.fail(f"the 1-rank reference {m.args[0]!r} failed:\n{errors[m.args[0]]}")
    return base / m.args[0]
