"""ssbx: contact loss at solid-state-battery interfaces, with DOLFINx.

Importing ``solver`` is cheap (no DOLFINx/PETSc); the FE parts import them lazily.
"""

__version__ = "0.1.0"
