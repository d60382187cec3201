"""The one place that imports the optional ``dolfinx_solver`` wheel helper.

The PyPI wheel ``dolfinx-solver-real`` ships DOLFINx with PETSc and needs ``import dolfinx_solver``
before ``dolfinx``/``petsc4py``; conda-forge, Spack and container installs of DOLFINx 0.11 do not
have it and need nothing. Every ssbx module that imports DOLFINx imports this module first.
"""

try:  # pragma: no cover - depends on how DOLFINx was installed
    import dolfinx_solver  # noqa: F401
except ImportError:  # pragma: no cover
    pass
