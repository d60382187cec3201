"""Logging and progress for runs: only rank 0 writes text (console and the run's log file).

On a terminal, progress is a single self-updating line; in batch (not a TTY, e.g. SLURM output
files) it is plain log lines, one per update.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

LOGGER = "solver"


def setup(rank: int, logfile: Path | None = None, verbose: bool = False) -> logging.Logger:
    """Configure the 'solver' logger: console + optional file on rank 0, silent elsewhere."""
    log = logging.getLogger(LOGGER)
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    log.propagate = False
    if rank != 0:
        log.addHandler(logging.NullHandler())
        log.setLevel(logging.CRITICAL + 1)
        return log
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(console)
    # what is logged before the run directory exists (the mesh, the model's warnings) is kept
    # and written first into the log file once it is added
    log.addHandler(_Pending())
    if logfile is not None:
        add_file(logfile)
    return log


class _Pending(logging.Handler):
    """Keeps the records logged before the run's log file exists."""

    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class _LogFile(logging.FileHandler):
    """The run's log file; a record that cannot be written (a full disk) is dropped silently:
    the run reports a full disk itself in one line (solver.api), not with a logging traceback."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        pass


def add_file(logfile: Path, append: bool = False) -> None:
    """Add the run's log file (rank 0): the records logged since :func:`setup` first;
    ``append`` continues an existing log (a resumed run)."""
    log = logging.getLogger(LOGGER)
    if log.level > logging.CRITICAL:
        return
    fh = _LogFile(logfile, mode="a" if append else "w")
    fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for h in [h for h in log.handlers if isinstance(h, _Pending)]:
        for rec in h.records:
            if rec.levelno >= fh.level:
                fh.handle(rec)
        log.removeHandler(h)
    log.addHandler(fh)


def close() -> None:
    log = logging.getLogger(LOGGER)
    for h in list(log.handlers):
        if isinstance(h, (logging.FileHandler, _Pending)):
            log.removeHandler(h)
            h.close()


class Progress:
    """Progress over ``total`` units of work (steps, or simulated time)."""

    def __init__(self, total: float, label: str, rank: int, stream=None):
        self.total, self.label, self.rank = float(total), label, rank
        self.stream = stream or sys.stdout
        self.tty = rank == 0 and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        self.log = logging.getLogger(LOGGER + ".progress")

    def update(self, done: float, info: str = "") -> None:
        if self.rank != 0:
            return
        frac = 0.0 if self.total <= 0 else min(1.0, done / self.total)
        elapsed = time.perf_counter() - self.t0
        if self.tty:
            bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
            self.stream.write(f"\r{self.label} [{bar}] {100 * frac:5.1f}% {elapsed:7.1f}s {info}")
            self.stream.flush()
        else:
            self.log.info(f"{self.label} {100 * frac:5.1f}% ({elapsed:.1f} s) {info}".rstrip())

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
