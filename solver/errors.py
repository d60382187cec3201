"""User-facing errors: the CLI prints each as one line (no traceback) and exits with code 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input (case file, mesh, parameters). ``problems`` holds one line per problem,
    each naming the key, the value and the allowed range."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class ConfigError(InputError):
    """The case file does not satisfy the schema."""


class MeshError(InputError):
    """The mesh file or the built geometry is unusable (missing tags, wrong orientation...)."""


class SolverFailure(RuntimeError):
    """A solve failed after the allowed step cut-backs; the last good state has been written."""


class DiskFull(RuntimeError):
    """The file system of the run directory is full (ENOSPC, EDQUOT): the run stopped; the last
    complete step (time-series rows, fields, checkpoint written before) is kept. Exit code 74
    (EX_IOERR of sysexits.h)."""

    exit_code = 74


class TimeLimitReached(RuntimeError):
    """``--max-time`` would be exceeded by the next step: a checkpoint of the last accepted step
    was written and the run stopped cleanly; ``ssbx run --resume DIR`` continues it. Exit code
    75 (EX_TEMPFAIL of sysexits.h: try again)."""

    exit_code = 75


class StateOutOfRange(SolverFailure):
    """The converged state left the admissible range (e.g. the electrode concentration outside
    (0, c_max) or the OCV table's window): the run stops with that reason; the last admissible
    state has been written."""
