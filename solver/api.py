"""The Python API behind the ``ssbx`` commands (the CLI only parses arguments and calls these).

    from solver import api
    res = api.run("cases/default.toml", "runs/default")   # solver.results.Result (a dict)
    res["asr_total_last"], res.timeseries, res.fields.get("damage")

Every function is collective under MPI (call it on all ranks); only rank 0 writes text files.
Bad input raises :class:`solver.errors.InputError` before any output is created.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from mpi4py import MPI

from solver import __version__, rundir, runlog
from solver.errors import DiskFull, InputError, SolverFailure, TimeLimitReached

log = logging.getLogger(__name__)


def _load(case_or_path, overrides=None):
    """The case and the warning lines of its ``overrides`` (:mod:`solver.overrides`)."""
    from solver import overrides as ov

    if hasattr(case_or_path, "resolved"):
        if overrides:
            raise InputError("--set: overrides need a case file, got an already loaded case")
        return case_or_path, []
    return ov.load_case(case_or_path, overrides)


def load_case(path: str | os.PathLike, overrides: dict | None = None):
    """Read and validate a case file with ``overrides`` ({dotted key: value}, e.g.
    ``{"loading.stack_pressure": "5 MPa", "loading.protocol[1].current_density": 20}``; see
    :mod:`solver.overrides`). Returns ``(case, warnings)``; raises :class:`InputError`."""
    return _load(path, overrides)


def _outdir(case, output: str | os.PathLike | None, default_root: str) -> Path:
    if output:
        return Path(output)
    out = case.output.get("directory")
    return Path(out) if out else Path(default_root) / case.name


def _prepare_dir(path: Path, comm: MPI.Comm, overwrite: bool, case_path=None) -> None:
    """Refuse early (rank 0 checks, all ranks raise the same one-line :class:`InputError`) a run
    directory that :func:`solver.rundir.check_target` refuses or another run is writing. Touches
    nothing; :func:`_open_run_dir` checks again under the lock."""
    err = None
    if comm.rank == 0:
        try:
            rundir.refuse_if_locked(path)  # first: a run being written also exists
            rundir.check_target(path, overwrite=overwrite, case_path=case_path)
        except InputError as e:
            err = e.problems
    err = comm.bcast(err, root=0)
    if err:
        raise InputError(err)


def _open_run_dir(path: Path, comm: MPI.Comm, overwrite: bool, case, subdirs=()):
    """Lock the run directory ``path`` (rank 0), check it again and create where the run writes:
    ``path`` itself if new, else a sibling temporary directory (:class:`solver.rundir.Plan`),
    with ``subdirs`` and the marker. Returns (plan, lock; the lock is None on ranks > 0).
    Collective; raises the same one-line :class:`InputError` on all ranks."""
    err, plan, lock = None, None, None
    if comm.rank == 0:
        lock = rundir.RunLock(path)
        try:
            lock.acquire()
            plan = rundir.check_target(path, overwrite=overwrite, case_path=case.path)
            rundir.create(plan, case.name, subdirs)
        except InputError as e:
            lock.release()
            err = e.problems
        except OSError as e:
            lock.release()
            err = [f"{rundir.OPTION}: cannot create the run directory '{path}' ({e.strerror})"]
    err, plan = comm.bcast((err, plan), root=0)
    if err:
        raise InputError(err)
    return plan, lock


def _create_dir(path: Path, comm: MPI.Comm, subdirs=()) -> None:
    if comm.rank == 0:
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        for s in subdirs:
            (path / s).mkdir()
    comm.barrier()


def mesh(
    case_or_path,
    output: str | os.PathLike | None = None,
    comm: MPI.Comm = MPI.COMM_WORLD,
    *,
    overrides: dict | None = None,
) -> dict:
    """Build the case geometry and write ``<name>.msh``, ``<name>_tags.xdmf`` (mesh with cell
    and facet tags, for ParaView) and ``<name>.png`` (preview) into ``output``, which is
    replaced. :class:`InputError` (one line) when ``output`` is one of the directories
    :func:`solver.rundir.dangerous` refuses (/, home, working directory, case directory, a
    parent of one of them, a symbolic link)."""
    from solver import geometry, io

    case, warnings = _load(case_or_path, overrides)
    out = Path(output) if output else Path("mesh") / case.name
    err = rundir.dangerous(out, case.path, option="mesh -o") if comm.rank == 0 else None
    err = comm.bcast(err, root=0)
    if err:
        raise InputError(err)
    runlog.setup(comm.rank)
    for w in warnings:
        log.warning(f"warning: {w}")
    tmp = out.with_name(out.name + ".partial")
    _create_dir(tmp, comm)
    try:
        built = geometry.build(
            case.geometry,
            comm,
            msh_path=tmp / f"{case.name}.msh",
            preview_path=tmp / f"{case.name}.png",
            title=case.name,
        )
        stats = built.domain.statistics()
        io.write_tags(built.domain, tmp / f"{case.name}_tags.xdmf")
    except BaseException:
        if comm.rank == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    if comm.rank == 0:
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
        q = built.quality
        log.info(
            f"mesh '{case.name}': {stats['cells']} cells, {stats['vertices']} vertices; "
            f"quality min {q.get('quality_min', float('nan')):.3f} "
            f"mean {q.get('quality_mean', float('nan')):.3f}"
        )
        for name, v in stats["volumes"].items():
            log.info(f"  |{name}| = {v:.6g}")
        for name, v in stats["areas"].items():
            log.info(f"  |{name}| = {v:.6g}")
        log.info(f"wrote {out}/{case.name}.msh, {case.name}_tags.xdmf, {case.name}.png")
    comm.barrier()
    return {"statistics": stats, "quality": built.quality}


def run(
    case_or_path,
    output: str | os.PathLike | None = None,
    *,
    overwrite: bool = False,
    resume: str | os.PathLike | None = None,
    max_time: float | None = None,
    comm: MPI.Comm = MPI.COMM_WORLD,
    overrides: dict | None = None,
    eis: dict | None = None,
):
    """Run a case into a run directory and return it as a :class:`solver.results.Result`: the
    summary dict itself (``result["steps"]``, as before) with ``.timeseries``, ``.fields``,
    ``.plot(...)`` (the same as :func:`solver.load` of the directory).

    ``overrides`` ({dotted key: value}, :mod:`solver.overrides`; ``ssbx run --set``) change keys
    of the case file ``case_or_path`` before it is validated; they are listed in the summary
    (``overrides``) and the log, with a warning line for one that no step reads.

    ``resume``: continue the run in that run directory from its checkpoint
    (``checkpoint/checkpoint.npz``, :mod:`solver.checkpoint`), on any number of ranks;
    ``case_or_path`` may then be None (the directory's ``case.resolved.toml``) and must otherwise
    be the same case. :class:`InputError` (one line) when the directory is no ssbx run directory,
    has no checkpoint, is being written, or the case differs. ``max_time`` (s, counted from the
    call): before the next step would end past it (budgeted from the last step's wall time and
    the last checkpoint's), a checkpoint is written and :class:`solver.errors.TimeLimitReached`
    raised. A full disk raises :class:`solver.errors.DiskFull` (the last complete step kept).

    The run directory holds ``case.resolved.toml``, ``ssbx.log``, ``summary.json``, ``mesh.png``
    (the mesh preview, when ``output.preview``), ``timeseries.csv`` (when a physics is enabled)
    and ``fields/``: the mesh tags and, when ``output.fields``, the fields of every
    ``output.every``-th accepted step and of the last one: by default (``output.format =
    "pvd"``) per region a ``.pvd`` time index and one ``.vtu`` per step, crash-safe, with
    ``fields/open.py`` for pvpython (:mod:`solver.fieldio`); as XDMF (``"xdmf"``) or ADIOS2
    VTX ``.bp`` folders (``"vtx"``) on request; and the marker ``.ssbx-run``
    that identifies it as an ssbx run directory. Input errors (case, geometry, mesh) are raised
    before the directory is created.

    The directory is checked by :func:`solver.rundir.check_target` and locked
    (:class:`solver.rundir.RunLock`) while it is written; :class:`InputError` (one line) when it
    is /, the home or working directory or a parent of it, the case file's directory or a parent,
    a symbolic link, a file, another run is writing it, or it exists and ``overwrite`` is false.
    ``overwrite`` replaces only an ssbx run directory (marker) or an empty directory: the new run
    is written into the sibling ``.<name>.ssbx-new-<pid>`` and replaces the old one only once it
    has completed. If it fails (:class:`SolverFailure`, whose message then names the folder) or
    is interrupted, the old run is untouched and the new output is kept as the sibling
    ``<name>.failed-<YYYYmmdd-HHMMSS>``. A new run directory is written in place, also when
    the run fails (the last converged state, ``summary.json`` with status "failed"). A run ended
    by a named stop (``solver.contact_lost_fraction``: contact lost) returns normally, its
    summary with status "completed", ``stop_reason`` "contact_lost" and ``stop`` the reason.

    ``eis`` ({"f_min": Hz, "f_max": Hz, "points_per_decade": n}; :func:`eis`): after the
    protocol, the impedance spectrum of the final state (as a last ``kind = "eis"`` step).
    """
    from solver import geometry

    t_start = time.perf_counter()
    if resume is not None:
        if overrides:
            raise InputError(
                "--resume: got --set too, allowed --resume alone (the run continues with its "
                "checkpointed case)"
            )
        outdir = Path(resume)
        _check_resume(outdir, None, comm)  # a run directory with a checkpoint, before the case
        case, warnings = _load(
            case_or_path if case_or_path is not None else outdir / "case.resolved.toml"
        )
        ckpt_meta = _check_resume(outdir, case, comm)
    else:
        case, warnings = _load(case_or_path, overrides)
        outdir = _outdir(case, output, "runs")
        _prepare_dir(outdir, comm, overwrite, case.path)
        ckpt_meta = None
    deadline = t_start + max_time if max_time is not None else None
    runlog.setup(comm.rank)
    log.info(f"ssbx {__version__}: case '{case.name}' on {comm.size} MPI rank(s) -> {outdir}")
    for key, value in (overrides or {}).items():
        log.info(f"  --set {key} = {value!r}")
    for w in warnings:
        log.warning(f"warning: {w}")

    # Everything that can fail on bad input happens before the run directory exists: the
    # preview is rendered (rank 0, while the gmsh model exists) into a temporary folder first.
    log.info("[1/3] geometry and domain")
    tmp = None
    sim = None
    if comm.rank == 0 and case.output.get("preview", True):
        tmp = Path(tempfile.mkdtemp(prefix="ssbx-preview-"))
    try:
        built = geometry.build(
            case.geometry,
            comm,
            preview_path=tmp / "mesh.png" if tmp is not None else None,
            title=case.name,
        )
        dom = built.domain
        stats = dom.statistics()
        exact = geometry.compare_exact(stats, built.info)
        if any(case.physics.get(k) for k in PHYSICS_SWITCHES):
            # the model is assembled (and checked: supports, interface law) before any output
            from solver.simulation import Simulation

            sim = Simulation(case, dom, _petsc_options(case))

        if resume is not None:
            plan, lock = _lock_for_resume(outdir, comm, ckpt_meta)
        else:
            plan, lock = _open_run_dir(outdir, comm, overwrite, case, subdirs=("fields",))
        if plan.replace:
            log.info(f"  writing into '{plan.write}'; it replaces '{outdir}' once complete")
        try:
            if tmp is not None:
                if (tmp / "mesh.png").exists():
                    shutil.move(tmp / "mesh.png", plan.write / "mesh.png")
                else:  # never expected; a rank-0-only exception here would hang the other ranks
                    log.warning("output.preview: no mesh preview was rendered")
            run_opts = {
                "resume": ckpt_meta,
                "deadline": deadline,
                "overrides": overrides,
                "eis": eis,
            }
            summary = _write_run(
                case, plan.write, outdir, built, stats, exact, sim, comm, t_start, run_opts
            )
        except BaseException as e:
            # the old run (if replaced) is untouched; the failed output is kept beside it
            failed = rundir.keep_failed(plan) if comm.rank == 0 else None
            if lock is not None:
                lock.release()
            if failed is not None:
                note = f"its output is in '{failed}'; the previous run in '{outdir}' is untouched"
                # (StateOutOfRange, a SolverFailure, keeps its class)
                if isinstance(e, SolverFailure | DiskFull | TimeLimitReached):
                    raise type(e)(f"{e}; {note}") from e
                log.warning(f"run stopped: {note}")
            raise
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        _release(sim)
    try:  # the run completed: move it into place (replacing the old one) under the lock
        comm.barrier()
        err = None
        if comm.rank == 0:
            try:
                for w in rundir.commit(plan):
                    log.warning(f"output: {w}")
            except InputError as e:
                err = e.problems
        err = comm.bcast(err, root=0)
        if err:
            raise InputError(err)
    finally:
        if lock is not None:
            lock.release()
    comm.barrier()
    from solver.results import Result

    return Result(summary, outdir)


def eis(
    case_or_path,
    output: str | os.PathLike | None = None,
    *,
    f_min: float | None = None,
    f_max: float | None = None,
    points_per_decade: int | None = None,
    overwrite: bool = False,
    comm: MPI.Comm = MPI.COMM_WORLD,
    overrides: dict | None = None,
):
    """``ssbx eis``: run the case's protocol (or the default hold when it has none) and then
    the impedance spectrum of the final state (solver.impedance; docs/theory.md §5.8): a run
    directory as :func:`run` writes, with ``eis/eis_NN.csv`` (frequency [Hz], Re Z, Im Z, |Z|
    [Ω·cm²], phase [deg]), ``eis/eis_NN_nyquist.png``, ``eis/eis_NN_bode.png`` and
    ``summary.json`` → ``eis`` (the equivalent-circuit fit: R_bulk, R_int [Ω·cm²], C_int
    [F/m²]); also for every ``kind = "eis"`` step of the protocol. Frequencies (Hz) default to
    those of an 'eis' step (solver.config.STEP_SCHEMA). :class:`InputError` (one line) for a
    case without physics.electrochemistry or a bad frequency range."""
    from solver.config import STEP_SCHEMA

    case, _ = _load(case_or_path, overrides)
    if not case.physics.get("electrochemistry"):
        raise InputError(
            "physics.electrochemistry: got false, allowed true for ssbx eis (an impedance "
            "spectrum needs the potentials)"
        )
    params = {
        "f_min": STEP_SCHEMA["f_min"].default if f_min is None else float(f_min),
        "f_max": STEP_SCHEMA["f_max"].default if f_max is None else float(f_max),
        "points_per_decade": (
            STEP_SCHEMA["points_per_decade"].default
            if points_per_decade is None
            else int(points_per_decade)
        ),
    }
    for key in ("f_min", "f_max"):
        if not (params[key] > 0 and math.isfinite(params[key])):
            raise InputError(f"--{key.replace('_', '-')}: got {params[key]:g} Hz, allowed > 0")
    if params["f_min"] >= params["f_max"]:
        raise InputError(
            f"--f-min: got {params['f_min']:g} Hz, allowed below --f-max = {params['f_max']:g} Hz"
        )
    if not 1 <= params["points_per_decade"] <= 100:
        raise InputError(
            f"--points-per-decade: got {params['points_per_decade']}, allowed 1 to 100"
        )
    return run(case, output, overwrite=overwrite, comm=comm, eis=params)


def _check_resume(path: Path, case, comm: MPI.Comm) -> dict:
    """Refuse (one line, all ranks) a ``--resume`` directory that is no ssbx run directory, has
    no readable checkpoint, holds a completed run, is being written, or (``case`` given) holds
    another case; return the checkpoint's meta (rank 0's reading, broadcast)."""
    from solver import checkpoint

    err, meta = None, None
    if comm.rank == 0:
        f = checkpoint.path_of(path)
        try:
            if not rundir.is_run_dir(path):
                raise InputError(
                    f"--resume: '{path}' is not an ssbx run directory (no {rundir.MARKER} "
                    "marker), allowed a run directory with a checkpoint"
                )
            if not f.is_file():
                raise InputError(
                    f"--resume: '{path}' has no checkpoint ({checkpoint.FOLDER}/"
                    f"{checkpoint.FILE}), allowed a run directory written with "
                    "output.checkpoint_every, output.checkpoint_interval or --max-time"
                )
            try:
                meta = checkpoint.read_meta(f)["meta"]
            except Exception as e:  # noqa: BLE001 (any damage: one line)
                raise InputError(f"--resume: the checkpoint '{f}' is unreadable ({e})") from None
            done = path / "summary.json"
            if done.is_file() and '"status": "completed"' in done.read_text(errors="replace"):
                raise InputError(
                    f"--resume: the run in '{path}' has completed (summary.json), allowed a run "
                    "that was stopped (killed, --max-time, a full disk)"
                )
            if case is not None and meta.get("case_hash") != checkpoint.case_hash(case):
                raise InputError(
                    f"--resume: the case '{case.path}' differs from the one checkpointed in "
                    f"'{path}' (case.resolved.toml), allowed the same case or none"
                )
            rundir.refuse_if_locked(path)
        except InputError as e:
            err = e.problems
    err, meta = comm.bcast((err, meta), root=0)
    if err:
        raise InputError(err)
    return meta


def _lock_for_resume(path: Path, comm: MPI.Comm, meta: dict):
    """Lock the run directory of a resumed run (rank 0); the run continues in place."""
    err, lock = None, None
    if comm.rank == 0:
        lock = rundir.RunLock(path)
        try:
            lock.acquire()
        except InputError as e:
            err = e.problems
    err = comm.bcast(err, root=0)
    if err:
        raise InputError(err)
    log.info(f"  resuming '{path}' from its checkpoint of step {meta['position']['step']}")
    return rundir.Plan(path, path, False), lock


def _write_run(
    case, outdir: Path, final: Path, built, stats, exact, sim, comm, t_start, run_opts=None
) -> dict:
    """Write the run into ``outdir`` (the run directory, or the temporary directory that replaces
    ``final``) and return the summary."""
    from solver import io

    run_opts = run_opts or {}
    resumed = run_opts.get("resume")
    overrides = run_opts.get("overrides")
    dom = built.domain
    fmt = case.output["format"]
    if comm.rank == 0:
        if resumed and fmt != "pvd":  # xdmf/vtx restart their files: the earlier ones are kept
            for stale in (outdir / "checkpoint").glob(".checkpoint.npz.tmp-*"):
                stale.unlink(missing_ok=True)  # a checkpoint write the kill interrupted
            old = outdir / "fields"
            if old.exists():
                k = resumed["position"]["step"]
                dest = outdir / f"fields.until-resume-{k}"
                if dest.exists():
                    shutil.rmtree(dest)
                old.rename(dest)
            (outdir / "fields").mkdir()
        elif resumed:  # pvd: the time indices continue from the checkpoint (SeriesWriter)
            for stale in (outdir / "checkpoint").glob(".checkpoint.npz.tmp-*"):
                stale.unlink(missing_ok=True)
            (outdir / "fields").mkdir(exist_ok=True)
        runlog.add_file(outdir / "ssbx.log", append=bool(resumed))
        rundir.write_text_atomic(outdir / "case.resolved.toml", case.to_toml())
    comm.barrier()
    try:
        log.info(
            f"  {stats['cells']} cells, {stats['vertices']} vertices, "
            f"{'axisymmetric ' if dom.axisymmetric else ''}{dom.gdim}D, "
            f"built in {built.seconds:.2f} s"
        )
        for name, e in exact.items():
            log.info(
                f"  |{name}| = {e['measured']:.6g} (analytic {e['exact']:.6g}, "
                f"rel. error {e['rel_error']:.1e})"
            )
        if fmt == "pvd":
            from solver import fieldio

            fieldio.write_tags_vtu(dom, outdir / "fields")
        elif fmt == "vtx":
            io.write_tags_vtx(dom, outdir / "fields")
        else:
            io.write_tags(dom, outdir / "fields" / "tags.xdmf")
        summary = {
            "ssbx_version": __version__,
            "case": case.name,
            "case_file": str(case.path),
            "status": "completed",
            "mpi_size": comm.size,
            "python": platform.python_version(),
            "dolfinx_version": _dolfinx_version(),
            "mesh": {
                **stats,
                "quality": built.quality,
                "family": case.geometry.get("family"),
                "apparent_area": getattr(built.info, "apparent_area", None),
                "meta": getattr(built.info, "meta", {}),
            },
            "measures_vs_analytic": exact,
            "wall_time_s": None,
        }
        if overrides:
            summary["overrides"] = dict(overrides)
        enabled = [k for k in PHYSICS_SWITCHES if case.physics.get(k, False)]
        if enabled:
            log.info(f"[2/3] physics: {', '.join(enabled)} (monolithic Newton)")
            summary.update(_run_physics(case, sim, outdir, comm, run_opts))
        else:
            log.info("[2/3] physics: none enabled (the run stops after the domain)")
        log.info("[3/3] summary")
        summary["wall_time_s"] = comm.allreduce(time.perf_counter() - t_start, op=MPI.MAX)
        if comm.rank == 0:
            io.write_json(outdir / "summary.json", summary)
            log.info(f"done in {summary['wall_time_s']:.2f} s: {final}/summary.json")
    finally:
        runlog.close()
    return summary


PHYSICS_SWITCHES = ("mechanics", "electrochemistry", "transport", "thermal")


def _release(sim) -> None:
    """Free the model of a run at the same point on every rank: its PETSc objects are destroyed
    collectively (:meth:`solver.simulation.Simulation.close`) and the garbage collector runs
    here, not at a moment that differs between ranks (a collective destruction there can
    deadlock the next run of the same process)."""
    import gc

    if sim is not None:
        sim.close()
    gc.collect()


def _petsc_options(case) -> dict:
    sol = case.solver
    # solver.rtol/atol are refused on load: the Newton iteration converges on a per-field
    # update test (solver.problem.CoupledProblem), not on a residual tolerance
    opts = {"snes_max_it": sol.get("max_newton_iterations", 25)}
    # true is the bare flag for PETSc ("-snes_monitor", not "-snes_monitor true", which PETSc
    # reads as a viewer named "true"); a boolean option takes "" as true as well
    user = sol.get("petsc_options") or {}
    opts.update({k: "" if v is True and not k.startswith("ssbx_") else v for k, v in user.items()})
    return opts


def _run_physics(case, sim, outdir: Path, comm: MPI.Comm, run_opts: dict | None = None) -> dict:
    """Step the simulation ``sim`` of the case through its protocol; write timeseries.csv,
    fields/ and checkpoint/ (``run_opts``: "resume", the checkpoint meta to continue from;
    "deadline", the ``time.perf_counter()`` by which the run checkpoints and stops)."""
    from solver import stepping
    from solver.errors import SolverFailure
    from solver.metrics import CsvWriter
    from solver.simulation import FieldWriter

    loading = case.loading
    el = case.materials.get("electrode", {})
    c_max = el.get("c_max") or 0.0
    soc0 = (el.get("c_init") or 0.0) / c_max if c_max else 0.0
    initial = {
        "pressure": 0.0,
        "soc": soc0,
        "temperature": loading["temperature"],  # (the schema's default when absent)
        "displacement": 0.0,
        "load_factor": 0.0,
        "time": 0.0,
    }
    defaults = {"pressure": loading["stack_pressure"]}
    if sim.platen_displacement is not None:  # displacement mode with a pad: −pad_strain t_pad
        defaults["displacement"] = sim.platen_displacement
    segments = stepping.segments_from_protocol(loading.get("protocol") or [], defaults)
    if (run_opts or {}).get("eis"):  # ssbx eis: the spectrum of the final state
        segments.append(stepping.Segment("eis", {}, 0, 0.0, None, dict(run_opts["eis"])))
    out = case.output
    writer = None
    if out.get("fields", True):
        ckpt = (run_opts or {}).get("resume")
        t_resume = float(ckpt["position"]["state"]["time"]) if ckpt else None
        writer = FieldWriter(sim, outdir / "fields", out["format"], resume_time=t_resume)
    plane = sim.dom.gdim == 2 and not sim.dom.axisymmetric  # extensive columns per m of depth
    csv = CsvWriter(outdir / "timeseries.csv", sim.columns(), comm, per_depth=plane)
    every = int(out.get("every", 1))
    rows: list[dict] = []
    written = {"step": None}  # the step of the last field output
    guard = _DiskGuard(outdir, comm)

    def write_fields(info):
        guard.check("fields", outdir / "fields", info.step)
        writer.write(info.time)
        guard.grown("fields", outdir / "fields")
        written["step"] = info.step

    from solver.plausibility import Plausibility

    plaus = Plausibility(sim, case.solver["max_strain"]) if sim.mech is not None else None

    def observe(info):
        row = sim.row(info)
        guard.run(csv.write, row)  # rank 0 only: an error is raised on all ranks below
        rows.append(row)
        if plaus is not None:  # stops the run on a meaningless state (the row is kept)
            plaus.check(info)
        guard.raise_pending(
            f"the row of step {info.step}; stopped with step {info.step - 1} complete"
        )
        if writer is not None and info.step % every == 0:
            write_fields(info)

    eis_entries: list[dict] = []  # 'eis' steps: the impedance of the state reached

    def on_eis(iseg, seg, loads):
        from solver import impedance

        # numbered by the step's place among the protocol's 'eis' steps (the same after --resume)
        name = f"eis_{sum(sg.kind == 'eis' for sg in segments[: iseg + 1]):02d}"
        t = float(loads.get("time", 0.0))
        entry = impedance.eis_step(sim, outdir / "eis", name, seg.eis, t)
        entry["segment"] = iseg
        eis_entries.append(entry)

    stepper = stepping.Stepper.from_case(
        sim, case, segments, initial, on_eis=on_eis, rank=comm.rank, observers=[observe]
    )
    run_opts = run_opts or {}
    ckpt = _Checkpointer(case, sim, stepper, rows, written, outdir, comm, guard, run_opts)
    ckpt.plausibility = plaus
    if run_opts.get("resume"):
        ckpt.restore()
        for row in rows:
            guard.run(csv.write, row)
        guard.raise_pending("timeseries.csv")
    stepper.after_step.append(ckpt.after_step)
    failure = None
    try:
        try:
            stepper.run()
        except SolverFailure as e:
            failure = e
        except TimeLimitReached:
            _write_failed_summary(
                outdir,
                comm,
                {"status": "time_limit", "steps": stepper.step, **ckpt.summary()},
            )
            raise
        # The last accepted step is always written, also when the run ended early (a cut-off,
        # runaway) or failed (the stepper has restored the last accepted state).
        last_info = stepper.last
        if writer is not None and last_info is not None and written["step"] != last_info.step:
            write_fields(last_info)
    finally:
        csv.close()
        if writer is not None:
            writer.close()
    last = rows[-1] if rows else {}
    result = {
        "status": "failed" if failure else "completed",
        "dofs": sim.num_dofs(),
        "fields": [f.name for f in sim.fields],
        "steps": stepper.step,
        "final": dict(last),
    }
    result.update(ckpt.summary())
    if eis_entries:
        result["eis"] = eis_entries
    if plaus is not None:
        result["plausibility"] = plaus.summary()
    if sim.mech is not None:
        result["final_contact_fraction"] = last.get("contact_fraction")
        result["final_debonded_fraction"] = last.get("debonded_fraction")
        result["interface_law"] = {
            k: getattr(sim.law, k)
            for k in (
                "K_n",
                "K_t",
                "K_c",
                "sigma_c",
                "tau_c",
                "G_Ic",
                "G_IIc",
                "eta",
                "law",
                "friction",
            )
        }
    if sim.ec is not None:
        asr = [
            r.get("asr_total")
            for r in rows
            if r.get("asr_total") is not None and r.get("asr_total") == r.get("asr_total")
        ]
        result["asr_total_first"] = asr[0] if asr else None
        result["asr_total_last"] = asr[-1] if asr else None
        result["final_active_fraction"] = last.get("active_fraction")
        result["max_li_balance_error"] = max(
            (r.get("li_balance_error") or 0.0 for r in rows), default=None
        )
    if sim.metal and sim.mech is not None and sim.ec is not None:  # docs/theory.md §5.6
        result["final_void_fraction"] = last.get("void_fraction")
        result["final_void_volume"] = last.get("void_volume")
        result["max_void_volume"] = max((r.get("void_volume") or 0.0 for r in rows), default=None)
        result["max_li_inventory_error"] = max(
            (r.get("li_inventory_error") or 0.0 for r in rows), default=None
        )
    if sim.heat is not None:
        result["thermal"] = _thermal_summary(sim, rows, stepper)
    if sim.interphase is not None:
        result["ageing"] = {
            "t_star": sim.t_star,
            "p_min": sim.interphase.p_min,
            "t_star_definition": "first time the smallest Gamma_int pressure fell below p_min "
            "(null: not within the run)",
            "interphase_thickness_max": last.get("interphase_thickness_max"),
        }
    if sim.p_c is not None:  # physics.ageing with a relaxing pad
        result.setdefault("ageing", {}).update(
            {
                "t_star_pad": sim.t_star_pad,
                "p_c": sim.p_c,
                "t_star_pad_definition": "first time the mean Gamma_int pressure (the pad's, by "
                "equilibrium) fell below p_c (null: not within the run)",
            }
        )
    if sim.stop_reason is not None:  # a named stop that ends the run cleanly (contact lost)
        result["stop_reason"] = sim.stop_reason
        result["stop"] = sim.stop
    result["units"] = _summary_units(result, plane)
    if failure:
        result["failure"] = str(failure)
        from solver.errors import StateOutOfRange

        if isinstance(failure, StateOutOfRange):  # a named stop, not a solver breakdown
            result["stop_reason"] = "state_out_of_range"
        _write_failed_summary(outdir, comm, result)
        raise failure
    return result


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class _DiskGuard:
    """Disk-full handling of a run (collective): ``run`` calls a rank-0 writer and keeps an
    ENOSPC/EDQUOT error until ``raise_pending`` raises :class:`DiskFull` on every rank;
    ``check`` refuses, before a collective write starts, an output whose last growth (times 2,
    at least 1 MiB) no longer fits in the free space (HDF5 aborts the process on a full disk,
    so a field write must not start then); ``grown`` records that growth."""

    def __init__(self, outdir: Path, comm: MPI.Comm):
        self.outdir, self.comm = outdir, comm
        self.pending = None
        self.growth: dict[str, int] = {}
        self.size0: dict[str, int] = {}

    def run(self, fn, *args):
        try:
            return fn(*args)
        except OSError as e:
            if e.errno not in _NO_SPACE:
                raise
            self.pending = f"{e.strerror} writing '{e.filename or self.outdir}'"

    def raise_pending(self, what: str) -> None:
        msg = self.comm.bcast(self.pending, root=0)
        if msg:
            raise DiskFull(f"disk full: {msg} ({what})")

    @staticmethod
    def _size(folder: Path) -> int:
        total = 0
        for root, _dirs, files in os.walk(folder):
            for f in files:
                try:
                    total += os.stat(os.path.join(root, f)).st_size
                except OSError:
                    pass
        return total

    def check(self, key: str, folder: Path, step: int, need: int | None = None) -> None:
        msg = None
        if self.comm.rank == 0:
            need = max(2 * (need if need is not None else self.growth.get(key, 0)), 1 << 16)
            free = shutil.disk_usage(self.outdir).free
            if free < need:
                done = step - 1 if key == "fields" else step
                msg = (
                    f"disk full: {free} bytes free in '{self.outdir}', the {key} of step {step} "
                    f"would need ~{need} bytes; stopped with step {done} complete"
                )
            self.size0[key] = self._size(folder) if folder.exists() else 0
        msg = self.comm.bcast(msg, root=0)
        if msg:
            raise DiskFull(msg)

    def grown(self, key: str, folder: Path) -> None:
        if self.comm.rank == 0:
            self.growth[key] = max(self._size(folder) - self.size0.get(key, 0), 0)


class _Checkpointer:
    """Checkpoints of a run (:mod:`solver.checkpoint`): after an accepted step, write one when
    ``output.checkpoint_every`` steps or ``output.checkpoint_interval`` (s) have passed since
    the last, or when the time limit is near (then raise :class:`TimeLimitReached`).
    Collective."""

    def __init__(self, case, sim, stepper, rows, written, outdir, comm, guard, run_opts):
        from solver import checkpoint

        self.ck = checkpoint
        self.case, self.sim, self.stepper = case, sim, stepper
        self.rows, self.written, self.outdir, self.comm = rows, written, outdir, comm
        self.guard = guard
        self.every = int(case.output.get("checkpoint_every") or 0)
        self.interval = float(case.output.get("checkpoint_interval") or 0.0)
        self.deadline = run_opts.get("deadline")
        self.resumed = run_opts.get("resume")
        self.path = checkpoint.path_of(outdir)
        self.t_last = time.perf_counter()  # of the last checkpoint (or the start)
        self.t_step = time.perf_counter()  # of the last accepted step
        self.count, self.bytes, self.seconds = 0, 0, 0.0
        self.last_step = None
        self.history = list((self.resumed or {}).get("resumed", []))
        self.plausibility = None  # solver.plausibility.Plausibility of the run, if any

    def restore(self) -> None:
        """Load the checkpoint into the model and the stepper (the rows so far included)."""
        t0 = time.perf_counter()
        reg = self.sim.checkpoint_state()
        try:
            meta = self.ck.load(self.path, reg, self.comm)
        except self.ck.CheckpointMismatch as e:
            raise InputError(f"--resume: the checkpoint '{self.path}' does not fit: {e}") from None
        self.sim.restored()
        self.stepper.resume(meta["position"])
        self.rows[:] = meta["rows"]
        self.written["step"] = meta.get("fields_step")
        p = meta.get("plausibility")
        if self.plausibility is not None and p:
            self.plausibility.max_penetration = p["max_penetration"]
            self.plausibility.strain = p["max_strain"]
            self.plausibility.flags = list(p["flags"])
        self.last_step = meta["position"]["step"]
        self.history.append(
            {
                "from_step": self.last_step,
                "checkpoint_mpi_size": meta.get("mpi_size"),
                "mpi_size": self.comm.size,
                "seconds": self.comm.allreduce(time.perf_counter() - t0, op=MPI.MAX),
            }
        )
        log.info(
            f"  restored step {self.last_step} (t = {meta['position']['state']['time']:.6g} s) "
            f"written on {meta.get('mpi_size')} rank(s)"
        )

    def _finished(self) -> bool:
        st = self.stepper
        return st.ended_early or st._iseg >= len(st.segments)  # noqa: SLF001

    def after_step(self, info) -> None:
        now = time.perf_counter()
        step_wall = now - self.t_step
        self.t_step = now
        decision = None
        if self.comm.rank == 0 and not self._finished():
            stop = False
            if self.deadline is not None:
                ck_cost = 2.0 * self.seconds / self.count if self.count else step_wall
                stop = self.deadline - now < 1.5 * step_wall + ck_cost + 0.5
            due = (self.every and info.step % self.every == 0) or (
                self.interval and now - self.t_last >= self.interval
            )
            decision = (bool(due) or stop, stop)
        write, stop = self.comm.bcast(decision, root=0) or (False, False)
        if write:
            self.write()
        if stop:
            raise TimeLimitReached(
                f"--max-time: stopped after step {info.step} (t = {info.time:.6g} s) to stay "
                f"within the time limit; checkpoint written: continue with "
                f"'ssbx run --resume {self.outdir}'"
            )

    def write(self) -> None:
        meta = {
            "case_hash": self.ck.case_hash(self.case),
            "case": self.case.name,
            "mpi_size": self.comm.size,
            "position": self.stepper.position(),
            "rows": self.rows,
            "fields_step": self.written["step"],
            "plausibility": self.plausibility.summary() if self.plausibility else None,
            "resumed": self.history,
            "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        self.guard.check("checkpoint", self.path.parent, self.stepper.step, self.bytes or None)
        reg = self.sim.checkpoint_state()
        try:
            res = self.ck.save(self.path, reg, _json_safe(meta), self.comm)
        except OSError as e:
            if e.errno in _NO_SPACE:
                raise DiskFull(
                    f"disk full: {e.strerror} writing the checkpoint '{self.path}' (the previous "
                    "checkpoint is kept)"
                ) from None
            raise
        self.count += 1
        self.bytes = res["bytes"]
        self.seconds += res["seconds"]
        self.t_last = time.perf_counter()
        self.last_step = self.stepper.step
        log.info(
            f"  checkpoint of step {self.stepper.step}: {res['bytes'] / 1e6:.3g} MB in "
            f"{res['seconds']:.3g} s"
        )

    def summary(self) -> dict:
        out = {}
        if self.count or self.resumed:
            out["checkpoint"] = {
                "file": f"{self.ck.FOLDER}/{self.ck.FILE}",
                "written": self.count,
                "last_step": self.last_step,
                "bytes": self.bytes,
                "seconds_total": self.seconds,
            }
        if self.history:
            out["resumed"] = self.history
        return out


def _json_safe(obj):
    """Rows and positions for the checkpoint's JSON: NumPy scalars as Python numbers."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str):
        return obj.item()
    return obj


def _summary_units(result: dict, per_depth: bool) -> dict:
    """The unit of every number of the physics summary: ``final`` (the time-series columns),
    the final_* / first / last values, the interface law and the thermal block."""
    from solver.metrics import column_unit

    u: dict = {"final": {k: column_unit(k, per_depth) for k in result.get("final", {})}}
    for key, col in (("final_contact_fraction", "contact_fraction"),
                     ("final_debonded_fraction", "debonded_fraction"),
                     ("final_active_fraction", "active_fraction"),
                     ("asr_total_first", "asr_total"), ("asr_total_last", "asr_total"),
                     ("max_li_balance_error", "li_balance_error")):  # fmt: skip
        if key in result:
            u[key] = column_unit(col, per_depth)
    if "interface_law" in result:
        u["interface_law"] = {"K_n": "Pa/m", "K_t": "Pa/m", "K_c": "Pa/m", "sigma_c": "Pa",
                              "tau_c": "Pa", "G_Ic": "J/m^2", "G_IIc": "J/m^2", "eta": "1",
                              "law": "", "friction": "1"}  # fmt: skip
    if "thermal" in result:
        e = "J/m" if per_depth else "J"
        u["thermal"] = {"T_peak_max": "K", "T_peak_final": "K", "T_limit": "K",
                        "late_rise_K": "K", "retention_min": "1", "time_end": "s",
                        "max_energy_balance_error": "1", "max_interface_heat_balance_error": "1",
                        "heat_joule_total": e, "heat_interface_total": e, "heat_out_total": e,
                        "heat_across_interface_total": e}  # fmt: skip
    if "ageing" in result:
        u["ageing"] = {k: v for k, v in {
            "t_star": "s", "p_min": "Pa", "t_star_definition": "",
            "interphase_thickness_max": "m", "t_star_pad": "s", "p_c": "Pa",
            "t_star_pad_definition": ""}.items() if k in result["ageing"]}  # fmt: skip
    if "plausibility" in result:
        u["plausibility"] = {"max_penetration": "m", "penetration_limit": "m", "max_strain": "1",
                             "strain_limit": "1", "flags": ""}  # fmt: skip
    if "checkpoint" in result:
        u["checkpoint"] = {"file": "", "written": "1", "last_step": "1", "bytes": "B",
                           "seconds_total": "s"}  # fmt: skip
    u["dofs"] = u["steps"] = "1"
    return u


def _thermal_summary(sim, rows: list[dict], stepper) -> dict:
    """Outcome of a thermal run: "runaway" (T reached thermal.T_limit), "contact_loss" (the
    contact retention fell to thermal.retention_min), "bounded" (neither, and the peak
    temperature settled: its rise over the last 10 % of the run is at most 1 % of the total rise,
    or of 1 K if that is larger), else "rising" (neither yet, still heating: run longer)."""
    T_peak = [max(r["T_max_electrode"], r["T_max_electrolyte"]) for r in rows]
    times = [r["time"] for r in rows]
    outcome = sim.thermal_outcome
    settle = None
    if outcome is None and rows:
        t_end = times[-1]
        t_ref = t_end - 0.1 * (t_end - times[0])
        i_ref = next(i for i, t in enumerate(times) if t >= t_ref)
        late = T_peak[-1] - T_peak[i_ref]
        total = T_peak[-1] - sim.T_init
        settle = late
        outcome = "bounded" if late <= 0.01 * max(abs(total), 1.0) else "rising"
    last = rows[-1] if rows else {}
    return {
        "outcome": outcome,
        "T_peak_max": max(T_peak) if T_peak else None,
        "T_peak_final": T_peak[-1] if T_peak else None,
        "T_limit": sim.T_limit,
        "late_rise_K": settle,
        "retention_min": last.get("retention_min"),
        "time_end": times[-1] if times else None,
        "max_energy_balance_error": max(
            (r.get("energy_balance_error") or 0.0 for r in rows), default=None
        ),
        "max_interface_heat_balance_error": max(
            (r.get("interface_heat_balance_error") or 0.0 for r in rows), default=None
        ),
        "heat_joule_total": sim.heat_balance.totals["joule"],
        "heat_interface_total": sim.heat_balance.totals["interface"],
        "heat_out_total": sim.heat_balance.totals["out"],
        "heat_across_interface_total": sim.heat_balance.totals["across"],
    }


def _write_failed_summary(outdir: Path, comm: MPI.Comm, result: dict) -> None:
    from solver import io

    if comm.rank == 0:
        io.write_json(outdir / "summary.json", {"ssbx_version": __version__, **result})


def _dolfinx_version() -> str:
    import dolfinx

    return dolfinx.__version__


def read_summary(rundir: str | os.PathLike) -> dict:
    return json.loads((Path(rundir) / "summary.json").read_text())
