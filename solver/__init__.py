"""ssbx: contact loss at solid-state-battery interfaces, with DOLFINx.

Importing ``solver`` is cheap (no DOLFINx/PETSc); the FE parts import them lazily.
"""

__version__ = "0.1.0"


def load(run_dir):
    """Open a run directory: :class:`solver.results.Result` with ``.summary``, ``.timeseries``
    (pandas DataFrame, units in ``attrs["units"]``), ``.fields`` and ``.plot(...)``."""
    from solver.results import load as _load

    return _load(run_dir)
