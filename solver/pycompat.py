"""Work-arounds for defects of the runtime that ssbx runs on (CPython, the DOLFINx JIT cache).

CPython 3.13.0 and 3.13.1 (and 3.12.8) cache the bound methods of ``functools.singledispatchmethod``
in a ``WeakKeyDictionary`` whose values hold their keys: every object whose singledispatch
method is called once is never freed (CPython issue gh-127750, fixed in 3.13.2 and 3.12.9 by
removing the cache). UFL's derivative rulesets use such methods, so each form differentiated
by a run kept its meshes, function spaces and their MPI communicators alive: a process that ran
a few hundred coupled cases (a parameter sweep through the Python API, the test suite) ran out
of MPI communicators and died with MPI_ERR_OTHER (exit 15).

:func:`disable_singledispatch_caches` switches the cache off on every such method of the
FEniCS packages loaded so far, which is what the fixed CPython does; it does nothing where the
runtime has no such cache.
"""

from __future__ import annotations

import functools
import sys

_PACKAGES = ("ufl", "ffcx", "basix", "dolfinx", "solver")


def _has_leaky_cache() -> bool:
    probe = functools.singledispatchmethod(lambda self, x: None)
    return getattr(probe, "_method_cache", None) is not None


def disable_singledispatch_caches() -> int:
    """Set ``_method_cache = None`` on every ``functools.singledispatchmethod`` defined in a
    class of the loaded modules of UFL, FFCx, Basix, DOLFINx and ssbx; returns how many were
    switched off (0 on a runtime without the cache)."""
    if not _has_leaky_cache():
        return 0
    import ufl.algorithms.apply_derivatives  # noqa: F401  (the rulesets, loaded lazily)

    n = 0
    for name, mod in list(sys.modules.items()):
        if mod is None or name.split(".", 1)[0] not in _PACKAGES:
            continue
        for obj in list(vars(mod).values()):
            if not isinstance(obj, type):
                continue
            for attr in vars(obj).values():
                if isinstance(attr, functools.singledispatchmethod) and (
                    getattr(attr, "_method_cache", None) is not None
                ):
                    attr._method_cache.clear()
                    attr._method_cache = None
                    n += 1
    return n


# a compile that waits longer than this for another process's compile of the same form gives up
JIT_WAIT_S = 900
# a form whose compile started longer ago than this and never finished was interrupted
JIT_STALE_S = 1800


def prepare_jit_cache() -> int:
    """Make the DOLFINx JIT cache safe for concurrent and interrupted runs; returns the number of
    stale entries removed.

    FFCx marks a compile in progress by creating ``<module>.c`` and its end by
    ``<module>.c.cached``; another process that needs the same form waits for the marker, by
    default 10 s, then fails. A big coupled form takes longer than that, so two runs that share
    the cache (a sweep of ``ssbx run`` jobs on one node, parallel tests) failed; and a run killed
    during a compile left a ``.c`` without marker that made every later run of that case fail
    with a TimeoutError. Here the wait is raised to ``JIT_WAIT_S`` and an unmarked ``.c`` older
    than ``JIT_STALE_S`` (the compile that created it is gone) is removed, so it is compiled
    again."""
    import time
    from pathlib import Path

    from dolfinx import jit

    _raise_jit_wait()
    cache = Path(str(jit.get_options()["cache_dir"])).expanduser()
    if not cache.is_dir():
        return 0
    now = time.time()
    removed = 0
    for c in cache.glob("libffcx_*.c"):
        try:
            if not c.with_suffix(".c.cached").exists() and now - c.stat().st_mtime > JIT_STALE_S:
                c.unlink(missing_ok=True)
                removed += 1
        except OSError:  # another process removed or completed it meanwhile
            continue
    return removed


_jit_prepared = False


def prepare_jit_cache_once() -> None:
    """:func:`prepare_jit_cache` once per process, its scan of the cache (thousands of files,
    on a cluster's shared file system) on rank 0 of the world communicator only: DOLFINx
    compiles there. Every run calls it; later calls do nothing."""
    global _jit_prepared
    if _jit_prepared:
        return
    from mpi4py import MPI

    if MPI.COMM_WORLD.rank == 0:
        prepare_jit_cache()
    else:  # the wait only
        _raise_jit_wait()
    _jit_prepared = True


def _raise_jit_wait() -> None:
    """DOLFINx's wait for another process's compile of the same form: at least JIT_WAIT_S."""
    from dolfinx import jit

    value, doc = jit.DOLFINX_DEFAULT_JIT_OPTIONS["timeout"]
    if value < JIT_WAIT_S:
        jit.DOLFINX_DEFAULT_JIT_OPTIONS["timeout"] = (JIT_WAIT_S, doc)
