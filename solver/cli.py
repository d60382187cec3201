"""``ssbx`` command line: thin parsing around the Python API (``solver.api``).

    ssbx check CASE.toml [--materials]     validate and print the resolved case (SI units)
    ssbx mesh  CASE.toml [-o DIR]          build the geometry: .msh, XDMF with tags, PNG preview
    ssbx run   CASE.toml [-o DIR]          run the case into a run directory (also under mpirun)
    ssbx run   --resume DIR                continue a run from its checkpoint (any rank count)
    ssbx eis   CASE.toml [-o DIR]          run the case, then its impedance spectrum (Z(f) CSV,
                                           Nyquist/Bode PNGs, equivalent-circuit fit)
    ssbx screen CASE.toml [--json FILE]    reduced-order predictions in well under a second
    ssbx sweep SWEEP.toml -o DIR           run a parameter sweep (local, mpi4py, slurm)
    ssbx sweep report DIR                  table (CSV, Parquet), plots, Sobol indices
    ssbx report RUN_DIR [-o DIR]           HTML report of a run (plots, checks, inputs)
    ssbx design DESIGN.toml -o DIR         the design value that meets a requirement (reduced
                                           models bracket, FE runs confirm; P90 under uncertainty)

check, mesh, run, eis and screen take ``--set KEY=VALUE`` (repeatable) to override case-file keys.

Exit codes: 0 done (also a run ended by its named stop "contact lost",
solver.contact_lost_fraction: summary.json stop_reason); 2 bad input (one line per problem:
key, value, allowed range; nothing written); 3 the solver failed (the last converged step is
written); 74 disk full (the last complete step is kept); 75 --max-time reached (a checkpoint is
written: --resume continues); 130 interrupted.
DOLFINx/PETSc are imported only by the commands that need them (mesh, run).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from solver import __version__
from solver.errors import DiskFull, InputError, SolverFailure, TimeLimitReached

_T0 = time.perf_counter()  # --max-time counts from here (the imports of a run come after)

SET_HELP = (
    "override a case-file key (repeatable), validated like the file: a dotted key "
    "(loading.stack_pressure, interface.G_Ic, materials.electrolyte.E; a protocol step by "
    "index loading.protocol[1].current_density, every step that has the key "
    "loading.protocol[*].stack_pressure, every step of a kind "
    "loading.protocol[current].current_density) and a TOML value or a quantity with its unit "
    "(--set loading.stack_pressure='5 MPa' --set interface.G_Ic=4). A key no step reads is "
    "reported as a warning"
)


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", dest="set", help=SET_HELP
    )


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="ssbx",
        description="ssbx: finite-element multiphysics for contact loss at solid-state-battery "
        "electrode-electrolyte interfaces (DOLFINx + PETSc + Gmsh).",
        epilog="Run in parallel with: mpirun -n 4 ssbx run case.toml -o runs/x",
    )
    ap.add_argument("--version", action="version", version=f"ssbx {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="validate a case file and print it resolved in SI units")
    p.add_argument("case", nargs="?", help="case file (TOML)")
    p.add_argument("--materials", action="store_true", help="list the material presets and exit")
    _add_set(p)

    p = sub.add_parser("mesh", help="build the case geometry: .msh, XDMF with tags, PNG preview")
    p.add_argument("case", help="case file (TOML)")
    p.add_argument("-o", "--output", default=None, help="output directory (default: mesh/<name>)")
    _add_set(p)

    p = sub.add_parser(
        "run",
        help="run a case into a run directory",
        description="Run a case into a run directory: case.resolved.toml, ssbx.log, "
        "summary.json, timeseries.csv, mesh.png (output.preview) and fields/ for ParaView "
        "(output.fields; output.format = pvd, the default: <region>.pvd + one .vtu per step, "
        "crash-safe, and fields/open.py for pvpython; xdmf; or vtx: ADIOS2 .bp, which Debian's "
        "ParaView 5.11 cannot read; written every output.every accepted steps and at the last), "
        "checkpoint/ (output.checkpoint_every, output.checkpoint_interval, --max-time). Exit "
        "codes: 0 completed, also when the named stop 'contact lost' ended it "
        "(solver.contact_lost_fraction; summary.json stop_reason); 2 bad input (one line, "
        "nothing written); 3 the solver failed or a "
        "physically meaningless state (the last step written); 74 disk full (the last complete "
        "step kept); 75 --max-time reached (checkpoint written: --resume continues).",
    )
    p.add_argument(
        "case", nargs="?", help="case file (TOML); with --resume optional (the run's own case)"
    )
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="run directory (default: output.directory of the case, else runs/<name>)",
    )
    p.add_argument(
        "--resume",
        default=None,
        metavar="DIR",
        help="continue the run in the run directory DIR from its checkpoint "
        "(DIR/checkpoint/checkpoint.npz), also on another number of MPI ranks; refused (exit 2) "
        "when DIR has no checkpoint or CASE is not the case it ran",
    )
    p.add_argument(
        "--max-time",
        default=None,
        metavar="TIME",
        help="wall-time limit (seconds, or with a unit: 2h, 30min): before the next step would "
        "end past it, write a checkpoint and exit with code 75 (continue with --resume)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing ssbx run directory (one holding the .ssbx-run marker that "
        "ssbx writes; or an empty directory) once the new run has completed; a failed new run "
        "leaves the old one untouched and is kept as DIR.failed-<time>. Refused (exit 2): a "
        "non-empty directory without the marker, /, the home or working directory or a parent "
        "of it, the case file's directory or a parent, a symbolic link, a directory another "
        "run is writing (default: refuse any existing directory)",
    )
    _add_set(p)

    p.add_argument(
        "--report",
        action="store_true",
        help="at the end, write the HTML report of the run into DIR/report (as ssbx report)",
    )

    p = sub.add_parser(
        "report",
        help="HTML report of a run: time series, interface profiles, field snapshots, inputs",
        description="Write RUN_DIR/report/index.html (self-contained: figures embedded) and one "
        "PNG per figure: status and balance checks of summary.json, the time series of "
        "timeseries.csv, profiles along the interface and field snapshots (2D) from fields/ "
        "(output.format = pvd), and the resolved inputs. Needs no DOLFINx.",
    )
    p.add_argument("run_dir", help="run directory (written by ssbx run)")
    p.add_argument("-o", "--output", default=None, help="report folder (default RUN_DIR/report)")
    p.add_argument(
        "--times",
        default=None,
        metavar="T1,T2,...",
        help="output times (s) of the interface profiles; the nearest outputs are shown "
        "(default: the first, middle and last output)",
    )

    p = sub.add_parser(
        "eis",
        help="run a case, then the impedance spectrum of its final state",
        description="Run the case's protocol (the default hold when it has none) into a run "
        "directory as ssbx run does, then the small-signal impedance of the final state "
        "(potentials, kinetics with the double layer interface.C_dl, Li transport linearised; "
        "mechanics, damage, contact and temperature frozen): DIR/eis/eis_NN.csv (frequency "
        "[Hz], Re Z, Im Z, |Z| [Ohm cm^2], phase [deg]), eis_NN_nyquist.png, eis_NN_bode.png, "
        "and summary.json -> eis (equivalent-circuit fit with the impedance package: R_bulk, "
        "R_int [Ohm cm^2], C_int [F/m^2]). kind = 'eis' protocol steps add spectra during the "
        "run (e.g. before and after contact loss). Exit codes as ssbx run.",
    )
    from solver.config import STEP_SCHEMA  # the defaults of an 'eis' step

    p.add_argument("case", help="case file (TOML)")
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="run directory (default: output.directory of the case, else runs/<name>)",
    )
    p.add_argument(
        "--f-min",
        default=None,
        metavar="F",
        help="lowest frequency (Hz, or with a unit: 10mHz; default "
        f"{STEP_SCHEMA['f_min'].default:g} Hz)",
    )
    p.add_argument(
        "--f-max",
        default=None,
        metavar="F",
        help="highest frequency (Hz, or with a unit: 1MHz; default "
        f"{STEP_SCHEMA['f_max'].default:g} Hz)",
    )
    p.add_argument(
        "--points-per-decade",
        type=int,
        default=None,
        metavar="N",
        help="frequencies per decade, log-spaced (1 to 100; default "
        f"{STEP_SCHEMA['points_per_decade'].default})",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing ssbx run directory"
    )
    _add_set(p)

    p = sub.add_parser("screen", help="reduced-order screening of a case (no FE solve, < 1 s)")
    p.add_argument("case", help="case file (TOML)")
    p.add_argument("--json", default=None, metavar="FILE", help="also write the results as JSON")
    _add_set(p)

    from solver.sweep import add_parser as add_sweep_parser

    add_sweep_parser(sub)
    from solver.design import add_parser as add_design_parser

    add_design_parser(sub)
    return ap


def _err(msg: str, kind: str = "error") -> None:
    """Errors are printed by rank 0 only (all ranks see the same input)."""
    rank = 0
    if "mpi4py" in sys.modules:
        from mpi4py import MPI

        rank = MPI.COMM_WORLD.rank
    if rank == 0:
        print(f"ssbx: {kind}: {msg}", file=sys.stderr)


def _positive_quantity(
    option: str, text: str | None, dimension: str, below: float, allowed: str
) -> float | None:
    """The value of ``option`` in SI units: ``text`` is a bare number (SI) or a quantity with
    its unit (:func:`solver.units.to_si` for ``dimension``); None where ``text`` is None.
    Raises :class:`InputError` (one line: ``OPTION: got 'TEXT', allowed ALLOWED``) unless
    0 < value < ``below``."""
    if text is None:
        return None
    from solver.units import UnitError, to_si

    try:
        v = to_si(text, dimension)
    except (UnitError, ValueError):
        v = float("nan")
    if not (v > 0 and v < below):
        raise InputError(f"{option}: got '{text}', allowed {allowed}")
    return v


def _max_time(text: str | None, option: str = "--max-time") -> float | None:
    """--max-time in seconds: a number (s) or a time with a unit ("2h", "30 min")."""
    return _positive_quantity(
        option, text, "time", 1e9, "a wall time > 0 (seconds, or with a unit: '2h', '30min')"
    )


def _frequency(option: str, text: str | None) -> float | None:
    """A frequency option in Hz: a number or a quantity with its unit ("10 mHz", "1MHz")."""
    return _positive_quantity(
        option, text, "frequency", 1e15, "a frequency > 0 (Hz, or with a unit: '10 mHz', '1 MHz')"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except InputError as e:
        for line in e.problems:
            _err(line)
        return 2
    except SolverFailure as e:
        _err(str(e))
        return 3
    except DiskFull as e:
        _err(str(e))
        return e.exit_code
    except TimeLimitReached as e:
        _err(str(e), "stopped")
        return e.exit_code
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


def _warn(msg: str) -> None:
    """Warnings are printed by rank 0 only (also where MPI is not initialised: the launcher's
    rank from the environment)."""
    if "mpi4py" in sys.modules:
        from mpi4py import MPI

        if MPI.COMM_WORLD.rank != 0:
            return
    else:
        from solver.sweep import launcher_size_rank

        if launcher_size_rank()[1] != 0:
            return
    print(f"ssbx: warning: {msg}", file=sys.stderr)


def _load_with_set(args: argparse.Namespace):
    """The case of ``args.case`` with the ``--set`` overrides; their warnings on stderr."""
    from solver import overrides as ov

    case, warnings = ov.load_case(args.case, ov.parse_assignments(args.set))
    if args.command != "screen":  # the screen reads the loading defaults themselves
        for w in warnings:
            _warn(w)
    return case


def _dispatch(args: argparse.Namespace) -> int:
    from solver.meshes_bridge import GeometryError

    try:
        if args.command == "check":
            from solver import materials
            from solver.config import format_case

            if args.materials:
                print(materials.format_presets())
                return 0
            if not args.case:
                raise InputError("check: a case file is required (or --materials)")
            print(format_case(_load_with_set(args)))
            return 0

        if args.command == "sweep":
            from solver.sweep import main as sweep_main

            return sweep_main(args)

        if args.command == "design":
            from solver.design import main as design_main

            return design_main(args)

        if args.command == "screen":
            from solver.screen import format_screen, screen_case

            result = screen_case(_load_with_set(args))
            print(format_screen(result))
            if args.json:
                from solver.rundir import write_text_atomic

                write_text_atomic(args.json, json.dumps(result, indent=2))
            return 0

        if args.command == "mesh":
            from solver import api
            from solver import overrides as ov

            api.mesh(args.case, args.output, overrides=ov.parse_assignments(args.set))
            return 0

        if args.command == "run":
            from solver import api
            from solver import overrides as ov

            max_time = _max_time(args.max_time)
            if args.resume is not None:
                if args.output is not None or args.overwrite:
                    raise InputError(
                        "--resume: got -o/--overwrite too, allowed --resume DIR alone (the run "
                        "continues in DIR)"
                    )
            elif not args.case:
                raise InputError("run: a case file is required (or --resume DIR)")
            if max_time is not None:
                max_time -= time.perf_counter() - _T0
            res = api.run(
                args.case,
                args.output,
                overwrite=args.overwrite,
                resume=args.resume,
                max_time=max_time,
                overrides=ov.parse_assignments(args.set),
            )
            if res.summary.get("stop_reason"):  # a named stop ended the run (contact lost)
                _err(res.summary.get("stop"), "stopped")
            if args.report:
                from mpi4py import MPI

                if MPI.COMM_WORLD.rank == 0:
                    from solver.report import make_report

                    print(f"ssbx: report {make_report(res.run_dir)}")
            return 0

        if args.command == "eis":
            from solver import api
            from solver import overrides as ov

            res = api.eis(
                args.case,
                args.output,
                f_min=_frequency("--f-min", args.f_min),
                f_max=_frequency("--f-max", args.f_max),
                points_per_decade=args.points_per_decade,
                overwrite=args.overwrite,
                overrides=ov.parse_assignments(args.set),
            )
            from mpi4py import MPI

            if MPI.COMM_WORLD.rank == 0:
                for e in res.get("eis", []):
                    fit = e.get("fit", {})
                    what = (
                        f"R_bulk = {fit['R_bulk']:.6g} Ohm cm^2, R_int = {fit['R_int']:.6g} "
                        f"Ohm cm^2, C_int = {fit['C_int']:.4g} F/m^2"
                        if "R_bulk" in fit
                        else fit.get("error", "")
                    )
                    print(f"ssbx: {res.run_dir}/eis/{e['files']['csv']}: {what}")
            return 0

        if args.command == "report":
            from solver.report import make_report

            times = None
            if args.times:
                try:
                    times = [float(t) for t in args.times.split(",")]
                except ValueError:
                    raise InputError(
                        f"--times: got {args.times!r}, allowed comma-separated times in s"
                    ) from None
            try:
                index = make_report(args.run_dir, args.output, times)
            except FileNotFoundError as e:
                raise InputError(f"report: {e}") from None
            print(f"ssbx: report {index}")
            return 0
    except GeometryError as e:
        raise InputError(str(e)) from None
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
