"""Run directories: the marker that identifies them, the per-directory lock, the checks that keep
``--overwrite`` from deleting anything that is not an ssbx run, and atomic text writes.

* Every run directory ssbx creates holds a marker file, :data:`MARKER` (``.ssbx-run``: a small
  JSON with the ssbx version, the case name and the creation time). ``--overwrite`` replaces
  only a directory with this marker (or an empty one).
* :func:`check_target` refuses, with one line naming ``-o/output.directory`` (or ``--overwrite``)
  and what is allowed: ``/``, the home directory, the working directory or one of its parents,
  the case file's directory or one of its parents, a symbolic link, a file, an existing
  directory without ``--overwrite``, and a non-empty directory without the marker.
* A replaced run is not deleted before the new one has completed: the new run is written into
  the sibling ``.<name>.ssbx-new-<pid>``; on success the old run is renamed to
  ``.<name>.ssbx-old-<pid>``, the new one to ``<name>``, and the old one is removed. A failed
  (or interrupted) new run leaves the old run untouched and is kept as the sibling
  ``<name>.failed-<YYYYmmdd-HHMMSS>`` (:func:`keep_failed`).
* :class:`RunLock` is an exclusive ``fcntl.flock`` on the sibling file ``.<name>.ssbx-lock``,
  held by one writer while it checks, writes and replaces the directory; a second writer is
  refused. The kernel releases the lock when its process dies, so a killed run never blocks a
  later one; the file is removed on release.

The functions act on the calling process only: under MPI, rank 0 calls them and broadcasts the
outcome (``solver.api``). None imports DOLFINx.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from solver import __version__
from solver.errors import InputError

MARKER = ".ssbx-run"
OPTION = "-o/output.directory"


# ------------------------------------------------------------------------------- atomic writes


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader (or a crash) sees the old file or the whole
    new one, never a part: a temporary file in the same directory is written, flushed and
    fsync'ed, then renamed over ``path`` (``os.replace``); the directory is fsync'ed where the
    platform allows. Call on one rank. Raises ``OSError`` when the directory is not writable
    (the temporary file is removed)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """fsync the directory ``folder`` (a rename in it is durable); errors are ignored."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------- marker


def write_marker(folder: str | os.PathLike, case_name: str) -> Path:
    """Write the marker :data:`MARKER` into ``folder`` (atomically) and return its path."""
    info = {
        "ssbx_version": __version__,
        "case": case_name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path = Path(folder) / MARKER
    write_text_atomic(path, json.dumps(info, indent=2) + "\n")
    return path


def is_run_dir(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a directory (not a link) holding the ssbx marker :data:`MARKER`."""
    folder = Path(folder)
    return not folder.is_symlink() and folder.is_dir() and (folder / MARKER).is_file()


def _is_empty_dir(folder: Path) -> bool:
    try:
        return folder.is_dir() and not any(folder.iterdir())
    except OSError:
        return False


# ------------------------------------------------------------------------------------- checks


def _absolute(path: str | os.PathLike) -> Path:
    """``path`` made absolute: its parent with links resolved, its last component kept."""
    p = Path(os.path.abspath(path))
    if p.name == "":  # the root
        return p
    return p.parent.resolve() / p.name


def dangerous(
    path: str | os.PathLike,
    case_path: str | os.PathLike | None = None,
    *,
    cwd: str | os.PathLike | None = None,
    home: str | os.PathLike | None = None,
    option: str = OPTION,
) -> str | None:
    """The problem line if ``path`` must never be a run directory (it could be replaced), else
    None: ``/``, the home directory, the working directory or one of its parents, the directory
    of the case file ``case_path`` or one of its parents, or a symbolic link (also a dangling
    one: give its target instead). ``cwd`` and ``home`` default to the process's; ``option``
    names the setting in the line."""
    shown = str(path)
    if os.path.islink(path):
        return (
            f"{option}: got '{shown}', a symbolic link (to '{os.readlink(path)}'), allowed a "
            "directory that is not a link (give the link's target)"
        )
    t = _absolute(path)
    cwd = Path(cwd if cwd is not None else os.getcwd()).resolve()
    if home is None:
        try:
            home = Path.home()
        except RuntimeError:  # no HOME and no password entry: nothing to protect there
            home = Path(t.anchor)
    home = Path(home).resolve()
    what = None
    if t == Path(t.anchor):
        what = "the root directory"
    elif t == home:
        what = "the home directory"
    elif t == cwd:
        what = "the working directory"
    elif t in cwd.parents:
        what = "a parent of the working directory"
    elif case_path is not None:
        case_dir = _absolute(case_path).parent
        if t == case_dir or t in case_dir.parents:
            what = f"it holds the case file '{case_path}'"
    if what is None:
        return None
    return (
        f"{option}: got '{shown}' ({what}), allowed a directory that is not /, the home "
        "directory, the working directory, the case file's directory or a parent of one of them"
    )


def not_writable(path: str | os.PathLike, option: str = OPTION) -> str | None:
    """The problem line if the run directory ``path`` cannot be created or replaced: the
    nearest existing directory at or above its parent is not writable (or not a directory)."""
    parent = _absolute(path).parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{option}: got '{path}': '{parent}' is not a directory, allowed a writable place"
    if not os.access(parent, os.W_OK | os.X_OK):
        return (
            f"{option}: got '{path}': the directory '{parent}' is not writable, allowed a path "
            "in a writable directory"
        )
    return None


@dataclass(frozen=True)
class Plan:
    """Where a run writes: ``final`` is the run directory the user named; ``write`` is where the
    run is written (``final`` itself for a new directory, else a sibling temporary directory
    that :func:`commit` moves into place); ``replace`` tells which."""

    final: Path
    write: Path
    replace: bool


def check_target(
    path: str | os.PathLike,
    *,
    overwrite: bool,
    case_path: str | os.PathLike | None = None,
    pid: int | None = None,
) -> Plan:
    """Check the run directory ``path`` and return the :class:`Plan` of the run. Touches
    nothing.

    Raises :class:`InputError` (one line) when ``path`` is :func:`dangerous`, is a file, exists
    and ``overwrite`` is false, or exists, is not empty and has no :data:`MARKER` (not an ssbx
    run directory: ``--overwrite`` replaces only those). With ``overwrite`` an ssbx run
    directory or an empty directory is replaced through the sibling ``.<name>.ssbx-new-<pid>``.
    """
    bad = dangerous(path, case_path)
    if bad:
        raise InputError(bad)
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(f"{OPTION}: got '{p}', a file, allowed a directory")
    bad = not_writable(p)
    if bad:
        raise InputError(bad)
    if not p.exists():
        return Plan(p, p, False)
    if not overwrite:
        raise InputError(f"output: run directory '{p}' exists (use --overwrite or another -o)")
    if not (is_run_dir(p) or _is_empty_dir(p)):
        raise InputError(
            f"--overwrite: '{p}' is not an ssbx run directory (no {MARKER} marker) and is not "
            "empty, allowed an ssbx run directory, an empty directory or a new path (nothing was "
            "deleted)"
        )
    pid = os.getpid() if pid is None else pid
    return Plan(p, p.parent / f".{p.name}.ssbx-new-{pid}", True)


# --------------------------------------------------------------------------------------- lock


def lock_path(path: str | os.PathLike) -> Path:
    """The lock file of the run directory ``path``: the sibling ``.<name>.ssbx-lock``."""
    p = _absolute(path)
    return p.parent / f".{p.name}.ssbx-lock"


class RunLock:
    """Exclusive lock of one run directory (``fcntl.flock`` on :func:`lock_path`), so that one
    writer at a time checks, writes and replaces it. ``acquire`` creates the parent directory
    if needed and raises :class:`InputError` (one line) when another process holds the lock;
    ``release`` removes the lock file and unlocks. Usable as a context manager."""

    def __init__(self, path: str | os.PathLike):
        self.target = Path(path)
        self.path = lock_path(path)
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def _refuse(self) -> InputError:
        return InputError(
            f"{OPTION}: '{self.target}' is being written by another ssbx run (it holds the lock "
            f"'{self.path}'), allowed a run directory no other run is writing"
        )

    def acquire(self) -> None:
        if self.fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise self._refuse() from None
                raise
            # the holder before us may have removed the file between our open and our lock:
            # the lock only counts if it is on the file that is at the path now
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                os.close(fd)
                continue
            fst = os.fstat(fd)
            if (st.st_dev, st.st_ino) == (fst.st_dev, fst.st_ino):
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None

    @staticmethod
    def held(path: str | os.PathLike) -> bool:
        """Whether another process holds the lock of the run directory ``path`` now (a probe:
        creates nothing)."""
        lp = lock_path(path)
        try:
            fd = os.open(lp, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)  # also releases the probe's own lock
        return False


def refuse_if_locked(path: str | os.PathLike) -> None:
    """Raise :class:`InputError` (one line) when another process holds the lock of ``path``."""
    if RunLock.held(path):
        raise RunLock(path)._refuse()


# ---------------------------------------------------------------------------- create, replace


def create(plan: Plan, case_name: str, subdirs=()) -> None:
    """Create ``plan.write`` with its ``subdirs`` and the marker. A new run directory must not
    exist yet: raises :class:`InputError` if something appeared there since the check."""
    try:
        plan.write.parent.mkdir(parents=True, exist_ok=True)
        plan.write.mkdir()
    except FileExistsError:
        raise InputError(
            f"output: run directory '{plan.write}' appeared while the run started (use "
            "--overwrite or another -o)"
        ) from None
    for s in subdirs:
        (plan.write / s).mkdir()
    write_marker(plan.write, case_name)


def commit(plan: Plan) -> list[str]:
    """Move a completed replacing run into place: ``final`` -> ``.<name>.ssbx-old-<pid>``,
    ``write`` -> ``final``, then remove the old run if it still is an ssbx run directory or
    empty (else it is kept, and named in the returned warnings). Nothing to do for a new
    directory. Raises :class:`InputError` if a rename fails (the new run stays in ``write``)."""
    if not plan.replace:
        return []
    old = plan.final.parent / f".{plan.final.name}.ssbx-old-{os.getpid()}"
    try:
        moved = False
        if os.path.lexists(plan.final):
            os.rename(plan.final, old)
            moved = True
        os.rename(plan.write, plan.final)
    except OSError as e:
        if moved and not os.path.lexists(plan.final):
            os.rename(old, plan.final)
        raise InputError(
            f"{OPTION}: cannot replace '{plan.final}' ({e.strerror}); the new run is in "
            f"'{plan.write}', the previous one is untouched"
        ) from None
    fsync_dir(plan.final.parent)
    if not moved:
        return []
    if is_run_dir(old) or _is_empty_dir(old):
        shutil.rmtree(old, ignore_errors=True)
        return []
    return [f"'{plan.final}' gained files that are not ssbx's during the run: kept as '{old}'"]


def keep_failed(plan: Plan) -> Path | None:
    """After a failed or interrupted replacing run: rename its output ``plan.write`` to the
    sibling ``<name>.failed-<YYYYmmdd-HHMMSS>`` (the old run in ``final`` is untouched) and
    return that path; None if there is nothing to keep (or the run wrote into ``final``)."""
    if not plan.replace or not plan.write.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = plan.final.parent / f"{plan.final.name}.failed-{stamp}"
    if os.path.lexists(dest):
        dest = dest.with_name(f"{dest.name}-{os.getpid()}")
    try:
        os.rename(plan.write, dest)
    except OSError:
        return plan.write
    return dest
