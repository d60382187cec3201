"""A process-wide memo of the compiled form modules that FFCx loads from its disk cache.

DOLFINx compiles every form and expression through FFCx, which keeps the compiled modules in a
disk cache (``~/.cache/fenics`` by default). On a cache hit, FFCx (0.10-0.11,
``ffcx.codegeneration.jit.get_cached_module``) builds a new ``importlib`` finder for the cache
directory, which lists the whole directory: with ~5e4 cached files that is ~50 ms per form, and
a small 2D run compiles ~36 forms. Measured on a 316-dof mechanics run: 1.8 s of 2.5 s, paid
again by every run in the same process (sweep and design workers, ``solver.api`` in a script,
the test suite); with this memo, repeated runs take 0.26-0.31 s instead of 1.8 s (a Li |
LLZO potentials run 0.56-0.73 s instead of 4.7-5.0 s).

The module name FFCx looks up is the hash of the generated code and the compile options, so one
name always denotes the same compiled code: the memo returns the module loaded the first time
(what the dynamic loader would return anyway). Only hits are kept; a miss (FFCx compiles) is
looked up on disk again next time. :func:`install` does nothing where FFCx has no such function
or another signature (the memo is an optimisation, never needed for correctness).
"""

from __future__ import annotations

import inspect
import threading

_EXPECTED = ("module_name", "object_names", "cache_dir", "timeout")


def install() -> bool:
    """Wrap FFCx's cache lookup with the in-process memo (idempotent). Returns whether the memo
    is active."""
    try:
        from ffcx.codegeneration import jit
    except ImportError:  # pragma: no cover - FFCx comes with DOLFINx
        return False
    lookup = getattr(jit, "get_cached_module", None)
    if lookup is None:  # pragma: no cover - another FFCx
        return False
    if getattr(lookup, "_ssbx_memo", False):
        return True
    try:
        if tuple(inspect.signature(lookup).parameters) != _EXPECTED:  # pragma: no cover
            return False
    except (TypeError, ValueError):  # pragma: no cover
        return False
    memo: dict = {}
    lock = threading.Lock()

    def get_cached_module(module_name, object_names, cache_dir, timeout):
        key = (module_name, tuple(object_names), str(cache_dir))
        with lock:
            hit = memo.get(key)
        if hit is not None:
            return hit
        found = lookup(module_name, object_names, cache_dir, timeout)
        if found[0] is not None:  # (None, None): not on disk, FFCx compiles it
            with lock:
                memo[key] = found
        return found

    get_cached_module._ssbx_memo = True
    get_cached_module.__wrapped__ = lookup
    jit.get_cached_module = get_cached_module
    return True
