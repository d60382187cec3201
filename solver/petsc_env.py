"""The one place that imports the optional ``dolfinx_solver`` wheel helper (and installs the
in-process memo of FFCx's compiled modules, :mod:`solver.jit_cache`).

The PyPI wheel ``dolfinx-solver-real`` ships DOLFINx with PETSc and needs ``import dolfinx_solver``
before ``dolfinx``/``petsc4py``; conda-forge, Spack and container installs of DOLFINx 0.11 do not
have it and need nothing. Every ssbx module that imports DOLFINx imports this module first.
"""

try:  # pragma: no cover - depends on how DOLFINx was installed
    import dolfinx_solver  # noqa: F401
except ImportError:  # pragma: no cover
    pass

# FFCx lists its whole disk cache on every form it loads (~50 ms per form with a large cache):
# a process-wide memo of the loaded modules (solver/jit_cache.py)
from solver import jit_cache  # noqa: E402

jit_cache.install()
