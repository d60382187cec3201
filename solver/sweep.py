"""Parameter sweeps: ``ssbx sweep SWEEP.toml -o DIR`` and ``ssbx sweep report DIR``.

A sweep file names a base case and a design over any case-file keys (the dotted keys of
``ssbx run --set``, :mod:`solver.overrides`)::

    [sweep]
    case = "../cases/default.toml"   # the base case, relative to the sweep file
    design = "grid"                  # grid | list | lhs | sobol
    samples = 8                      # lhs: number of cases; sobol: base samples N (a power of 2)
    seed = 1                         # seed of the lhs / sobol sampling
    seeds = [1, 2]                   # optional: every design point once per seed ...
    seed_key = "geometry.seed"       # ... set into this key (the random surface)
    metrics = ["final_contact_fraction", "asr_total_last"]   # plotted by `ssbx sweep report`
    set = { "output.fields" = false }                         # fixed overrides of every case

    [[parameter]]
    key = "loading.stack_pressure"
    values = ["1 MPa", "2 MPa", "5 MPa"]     # grid: the values; lhs/sobol: bounds = [lo, hi]

    [[parameter]]                             # one parameter setting several keys
    name = "current_density"
    keys = ["loading.protocol[1].current_density", "loading.protocol[3].current_density"]
    factors = [1, -1]                         # the discharge step gets the negative value
    values = ["0.5 mA/cm^2", "1 mA/cm^2", "2 mA/cm^2"]

    [[case]]                                  # design = "list": named cases
    name = "soft"
    "interface.G_Ic" = "1 J/m^2"

Designs: ``grid`` (the Cartesian product of the values, the first parameter slowest), ``list``
(the ``[[case]]`` tables), ``lhs`` (Latin hypercube, ``scipy.stats.qmc``, uniform between the
bounds) and ``sobol`` (Saltelli's scheme, SALib: N (D + 2) cases, N (2D + 2) with
``second_order = true``; ``ssbx sweep report`` gives the first-order and total Sobol indices).

Each case runs as a normal ``ssbx run BASE -o DIR/cases/<name> --set ...`` (the product's run
path, :func:`solver.api.run`), so a case directory is an ordinary run directory. Backends:

* ``local``: ``--jobs N`` cases at once, each on ``--ranks M`` MPI ranks (``mpirun -n M``);
* ``mpi4py``: the cases are spread over the workers of ``mpi4py.futures`` inside one
  allocation, one rank each: ``mpirun -n W+1 python -m mpi4py.futures -m solver.cli sweep
  SWEEP.toml -o DIR --backend mpi4py``;
* ``slurm``: a job array (one task per case still to run, ``--ranks`` tasks each, ``--time``,
  ``--mem``, at most ``--jobs`` at once) written to ``DIR/slurm/sweep.sbatch`` and submitted
  with ``sbatch`` (``--dry-run`` prints it; ``--wait`` waits for it and writes the table).

A sweep is resumable: a case whose run directory holds a completed ``summary.json`` is skipped
when the command is run again (also after a kill); a failed case (its record
``DIR/status/<name>.json`` holds the reason and exit code) is skipped unless
``--retry-failed``. A failing case never stops the others. At the end (or with ``ssbx sweep
report DIR``) ``DIR/results.csv`` and ``DIR/results.parquet`` hold one row per case: its inputs
(SI), status, exit code, reason and summary metrics. A case that stopped with a checkpoint
(killed, ``--case-max-time``, a full disk) is continued by the next run of the sweep with
``ssbx run --resume``; the SLURM backend gives every case ``--max-time`` = the task's ``--time``
less 10 % (2 to 15 min), so a case stops with a checkpoint before the scheduler kills it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from solver.errors import InputError

DESIGNS = ("grid", "list", "lhs", "sobol")
BACKENDS = ("local", "mpi4py", "slurm")
SWEEP_KEYS = (
    "case",
    "name",
    "design",
    "samples",
    "seed",
    "seeds",
    "seed_key",
    "second_order",
    "metrics",
    "set",
)
PARAM_KEYS = ("key", "keys", "name", "values", "bounds", "factors")
DEFAULT_METRICS = (
    "final_contact_fraction",
    "final_debonded_fraction",
    "final_active_fraction",
    "asr_total_last",
)
STATE = "sweep.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


# ------------------------------------------------------------------------------- the sweep file


def _show(v: Any) -> str:
    return repr(v) if isinstance(v, str) else json.dumps(v)


def _toml_value(v: Any) -> str:
    """``v`` as a TOML value (for ``--set KEY=VALUE``)."""
    import tomli_w

    if isinstance(v, dict):  # an inline table (tomli_w writes a [table] at the top level)
        items = ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items())
        return "{ " + items + " }" if items else "{}"
    return tomli_w.dumps({"v": v}).split("=", 1)[1].strip()


def load_sweep(path: str | os.PathLike) -> dict:
    """Read and check a sweep file; return the sweep: ``case`` (absolute path of the base),
    ``name``, ``design``, ``parameters`` (name, keys, factors, SI values or bounds), ``cases``
    (name, overrides, inputs in SI), ``metrics``. Raises :class:`InputError` (one line per
    problem, naming the key) for a bad file, a bad key path or a base case that cannot run."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"sweep file '{p}': no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"sweep file '{p}': cannot read ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"sweep file '{p}': TOML syntax error: {e}") from None
    bad: list[str] = []
    for sec in raw:
        if sec not in ("sweep", "parameter", "case"):
            bad.append(f"{sec}: unknown section, allowed sweep, parameter, case")
    sw = raw.get("sweep", {})
    if not isinstance(sw, dict):
        raise InputError("sweep: allowed a table ([sweep])")
    for k in sw:
        if k not in SWEEP_KEYS:
            bad.append(f"sweep.{k}: unknown key, allowed {', '.join(SWEEP_KEYS)}")
    design = sw.get("design", "grid")
    if design not in DESIGNS:
        bad.append(f"sweep.design: got {_show(design)}, allowed {', '.join(DESIGNS)}")
    if not isinstance(sw.get("case"), str):
        bad.append("sweep.case: missing, allowed the path of the base case file (TOML)")
        base = None
    else:
        base = (p.resolve().parent / sw["case"]).resolve()
        if not base.is_file():
            bad.append(f"sweep.case: got {_show(sw['case'])}, no such file ('{base}')")
    name = sw.get("name", p.stem)
    if not isinstance(name, str) or not _NAME.match(name):
        bad.append(f"sweep.name: got {_show(name)}, allowed letters, digits and _ . + -")
    samples = sw.get("samples")
    if design in ("lhs", "sobol"):
        if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
            bad.append(f"sweep.samples: got {_show(samples)}, allowed an integer >= 1 ({design})")
        elif design == "sobol" and samples & (samples - 1):
            bad.append(
                f"sweep.samples: got {samples}, allowed a power of 2 (Saltelli's Sobol sequence)"
            )
    elif samples is not None:
        bad.append(f"sweep.samples: got {samples}, allowed only with design lhs or sobol")
    seed = sw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        bad.append(f"sweep.seed: got {_show(seed)}, allowed an integer >= 0")
    seeds = sw.get("seeds")
    if seeds is not None and (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)
    ):
        bad.append(f"sweep.seeds: got {_show(seeds)}, allowed a non-empty list of integers")
    seed_key = sw.get("seed_key", "geometry.seed")
    if not isinstance(seed_key, str):
        bad.append(f"sweep.seed_key: got {_show(seed_key)}, allowed a dotted case-file key")
    second = sw.get("second_order", False)
    if not isinstance(second, bool):
        bad.append(f"sweep.second_order: got {_show(second)}, allowed true or false")
    metrics = sw.get("metrics", list(DEFAULT_METRICS))
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        bad.append(f"sweep.metrics: got {_show(metrics)}, allowed a list of summary names")
    fixed = sw.get("set", {})
    if not isinstance(fixed, dict):
        bad.append(f"sweep.set: got {_show(fixed)}, allowed a table of KEY = VALUE overrides")
        fixed = {}
    params = _parameters(raw.get("parameter", []), design, bad)
    listed = raw.get("case", [])
    if design == "list":
        if params:
            bad.append("parameter: allowed none with design = 'list' (give [[case]] tables)")
        if not isinstance(listed, list) or not listed:
            bad.append("case: missing, allowed [[case]] tables (name = ..., KEY = VALUE)")
    elif listed:
        bad.append("case: [[case]] tables are allowed only with design = 'list'")
    elif not params:
        bad.append(f"parameter: missing, allowed [[parameter]] tables (design '{design}')")
    if bad:
        raise InputError(bad)
    sweep = {
        "name": name,
        "file": str(p.resolve()),
        "case": str(base),
        "design": design,
        "samples": samples,
        "seed": seed,
        "seeds": seeds,
        "seed_key": seed_key,
        "second_order": second,
        "metrics": metrics,
        "set": fixed,
        "parameters": params,
    }
    _to_si(sweep)
    sweep["cases"] = _design_cases(sweep, listed)
    return sweep


def keys_and_factors(
    entry: dict, where: str, allowed: tuple[str, ...], bad: list[str]
) -> tuple[list[str], list[int | float]] | None:
    """The case-file keys and factors of one table that sets several keys at once (a sweep's
    ``[[parameter]]``, a design's ``[[variable]]``): ``key = 'KEY'`` or ``keys = ['KEY', ...]``
    with ``factors`` (one finite number per key, default 1: key ``k`` takes ``factor * value``).

    ``where`` names the table in the messages (``parameter[0]``, ``variable[1]``); ``allowed``
    lists the table's keys. Unknown keys are appended to ``bad`` (one line each, naming the key
    and the allowed ones) and the keys and factors returned; a bad ``key``/``keys``/``factors``
    appends one line and returns None.
    """
    for k in entry:
        if k not in allowed:
            bad.append(f"{where}.{k}: unknown key, allowed {', '.join(allowed)}")
    keys = entry.get("keys", [entry["key"]] if "key" in entry else None)
    if ("key" in entry) == ("keys" in entry) or not isinstance(keys, list) or not keys:
        bad.append(f"{where}: allowed exactly one of key = 'KEY' or keys = ['KEY', ...]")
        return None
    if not all(isinstance(k, str) for k in keys):
        bad.append(f"{where}.keys: got {_show(keys)}, allowed dotted case-file keys")
        return None
    factors = entry.get("factors", [1] * len(keys))
    if (
        not isinstance(factors, list)
        or len(factors) != len(keys)
        or not all(_finite_number(f) for f in factors)
    ):
        bad.append(
            f"{where}.factors: got {_show(factors)}, allowed {len(keys)} numbers (one per key)"
        )
        return None
    return keys, factors


def _finite_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _parameters(entries: Any, design: str, bad: list[str]) -> list[dict]:
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        bad.append("parameter: allowed [[parameter]] tables")
        return []
    out, names = [], set()
    for i, e in enumerate(entries):
        where = f"parameter[{i}]"
        checked = keys_and_factors(e, where, PARAM_KEYS, bad)
        if checked is None:
            continue
        keys, factors = checked
        name = e.get("name", keys[0])
        if not isinstance(name, str) or name in names:
            bad.append(f"{where}.name: got {_show(name)}, allowed a name no other parameter has")
            continue
        names.add(name)
        values, bounds = e.get("values"), e.get("bounds")
        if design == "grid":
            if bounds is not None or not isinstance(values, list) or not values:
                bad.append(f"{where}.values: allowed a non-empty list (grid; no bounds)")
                continue
        elif design in ("lhs", "sobol"):
            if values is not None or not isinstance(bounds, list) or len(bounds) != 2:
                bad.append(f"{where}.bounds: allowed [low, high] ({design}; no values)")
                continue
        out.append(
            {"name": name, "keys": keys, "factors": factors, "values": values, "bounds": bounds}
        )
    return out


def _si(base: str, fixed: dict, key: str, value: Any) -> float | Any:
    """The resolved (SI) value of ``key`` = ``value`` in the base case with the fixed overrides:
    the case module converts it exactly as it would in the file."""
    from solver import overrides as ov

    case, _ = ov.load_case(base, {**fixed, key: value})
    return ov.resolved_value(case, key)


def _to_si(sweep: dict) -> None:
    """Add ``values_si`` / ``bounds_si`` to the parameters (numbers, for the table, the
    sampling and the factors). Raises :class:`InputError` naming the parameter."""
    bad = []
    for i, prm in enumerate(sweep["parameters"]):
        key = prm["keys"][0]
        which = "values" if prm["values"] is not None else "bounds"
        si = []
        for v in prm[which]:
            try:
                si.append(_si(sweep["case"], sweep["set"], key, v))
            except InputError as e:
                bad.append(f"parameter[{i}].{which} ({key} = {_show(v)}): {e.problems[0]}")
        numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in si)
        if which == "bounds" and si and (not numeric or not si[0] < si[1]):
            bad.append(f"parameter[{i}].bounds: got {prm['bounds']}, allowed numbers low < high")
        if any(f != 1 for f in prm["factors"]) and si and not numeric:
            bad.append(f"parameter[{i}].factors: allowed only for numeric keys")
        prm[f"{which}_si"] = si
    if bad:
        raise InputError(bad)


def _sample(sweep: dict) -> list[list[Any]]:
    """The design points: one list of parameter values per point (the given values for a grid;
    SI numbers for lhs and sobol)."""
    params = sweep["parameters"]
    if sweep["design"] == "grid":
        idx = itertools.product(*(range(len(p["values"])) for p in params))
        return [[(p["values"][i], p["values_si"][i]) for p, i in zip(params, ix)] for ix in idx]
    if sweep["design"] == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(params), seed=sweep["seed"]).random(sweep["samples"])
        lo = [p["bounds_si"][0] for p in params]
        hi = [p["bounds_si"][1] for p in params]
        pts = qmc.scale(unit, lo, hi)
    else:
        from SALib.sample import sobol as saltelli

        pts = saltelli.sample(
            _salib_problem(sweep),
            sweep["samples"],
            calc_second_order=sweep["second_order"],
            seed=sweep["seed"],
        )
    return [[(float(x), float(x)) for x in row] for row in pts]


def _salib_problem(sweep: dict) -> dict:
    params = sweep["parameters"]
    return {
        "num_vars": len(params),
        "names": [p["name"] for p in params],
        "bounds": [list(p["bounds_si"]) for p in params],
    }


def _design_cases(sweep: dict, listed: list) -> list[dict]:
    cases = []
    if sweep["design"] == "list":
        bad, names = [], set()
        for i, c in enumerate(listed):
            if not isinstance(c, dict):
                bad.append(f"case[{i}]: allowed a table (name = ..., KEY = VALUE)")
                continue
            name = c.get("name")
            if not isinstance(name, str) or not _NAME.match(name) or name in names:
                bad.append(
                    f"case[{i}].name: got {_show(name)}, allowed a unique name of letters, "
                    "digits and _ . + -"
                )
                continue
            names.add(name)
            ovr = {k: v for k, v in c.items() if k != "name"}
            cases.append({"name": name, "overrides": {**sweep["set"], **ovr}, "inputs": {}})
        if bad:
            raise InputError(bad)
        keys = sorted({k for c in cases for k in c["overrides"] if k not in sweep["set"]})
        sweep["parameters"] = [{"name": k, "keys": [k], "factors": [1]} for k in keys]
        for c in cases:
            for k in keys:
                c["inputs"][k] = c["overrides"].get(k)
    else:
        for i, point in enumerate(_sample(sweep)):
            ovr = dict(sweep["set"])
            inputs = {}
            for prm, (given, si) in zip(sweep["parameters"], point):
                inputs[prm["name"]] = si
                for key, f in zip(prm["keys"], prm["factors"]):
                    ovr[key] = given if f == 1 else f * si
            cases.append({"name": f"case-{i:04d}", "overrides": ovr, "inputs": inputs})
    if sweep["seeds"]:
        cases = [
            {
                "name": f"{c['name']}-seed{s}",
                "overrides": {**c["overrides"], sweep["seed_key"]: s},
                "inputs": {**c["inputs"], sweep["seed_key"]: s},
                "point": i,
            }
            for i, c in enumerate(cases)
            for s in sweep["seeds"]
        ]
    return cases


def validate_cases(sweep: dict) -> tuple[dict[str, list[str]], list[str]]:
    """Load every case of the sweep with its overrides, as ``ssbx run`` would. Returns
    ({case name: problem lines} for the cases refused, the distinct warning lines). Raises
    :class:`InputError` when every case is refused (a problem of the sweep, not of one case)."""
    from solver import overrides as ov

    invalid: dict[str, list[str]] = {}
    warnings: list[str] = []
    for c in sweep["cases"]:
        try:
            case, w = ov.load_case(sweep["case"], c["overrides"])
        except InputError as e:
            invalid[c["name"]] = e.problems
            if sweep["design"] == "list":
                c["inputs"] = dict.fromkeys(c["inputs"])
            continue
        if sweep["design"] == "list":  # the inputs in SI, as resolved
            for k in c["inputs"]:
                c["inputs"][k] = ov.resolved_value(case, k)
        warnings += [x for x in w if x not in warnings]
    if sweep["cases"] and len(invalid) == len(sweep["cases"]):
        first = sweep["cases"][0]["name"]
        raise InputError([f"sweep case '{first}': {line}" for line in invalid[first]])
    return invalid, warnings


# ------------------------------------------------------------------------------ the sweep dir


def _state_view(sweep: dict) -> dict:
    """What must not change for a sweep directory to be resumed."""
    return {"case": sweep["case"], "cases": [[c["name"], c["overrides"]] for c in sweep["cases"]]}


def prepare_dir(sweep: dict, out: Path) -> None:
    """Create the sweep directory ``out`` (or check that it holds this sweep, to resume it) and
    write ``sweep.json``. Raises :class:`InputError` (one line)."""
    from solver import rundir

    bad = rundir.dangerous(out, sweep["file"], option="sweep -o")
    if bad:
        raise InputError(bad)
    state = out / STATE
    if state.is_file():
        old = json.loads(state.read_text())
        if _state_view(old) != _state_view(sweep):
            raise InputError(
                f"sweep -o: '{out}' holds another sweep (other base case or cases), allowed the "
                "same sweep file (to resume it) or a new directory"
            )
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(
            f"sweep -o: '{out}' exists and holds no {STATE}, allowed a new or empty directory "
            "or a sweep directory to resume"
        )
    for sub in ("cases", "status", "logs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    rundir.write_text_atomic(state, json.dumps(sweep, indent=2) + "\n")


def read_state(out: str | os.PathLike) -> dict:
    p = Path(out) / STATE
    if not p.is_file():
        raise InputError(f"sweep: '{out}' is not a sweep directory (no {STATE})")
    return json.loads(p.read_text())


def case_status(out: Path, name: str) -> dict:
    """The state of one case: {"status": "completed" | "failed" | "pending", ...}: completed
    when its run directory holds a summary with status "completed"; failed when its record
    (``status/<name>.json``) or its summary says so; else pending (never run, or killed)."""
    summary = out / "cases" / name / "summary.json"
    s = None
    if summary.is_file():
        try:
            s = json.loads(summary.read_text())
        except (OSError, ValueError):
            s = None
    if s is not None and s.get("status") == "completed":
        return {"status": "completed"}
    rec = out / "status" / f"{name}.json"
    if rec.is_file():
        try:
            r = json.loads(rec.read_text())
        except (OSError, ValueError):
            r = {}
        if r.get("status") == "failed":
            return r
    if s is not None and s.get("status") == "failed":
        return {"status": "failed", "exit_code": 3, "reason": s.get("failure", "failed")}
    return {"status": "pending"}


def _record(out: Path, name: str, rec: dict) -> None:
    from solver import rundir

    rundir.write_text_atomic(out / "status" / f"{name}.json", json.dumps(rec, indent=2) + "\n")


def to_run(sweep: dict, out: Path, retry_failed: bool) -> list[int]:
    """Indices of the cases still to run: pending ones, and failed ones with ``retry_failed``."""
    todo = []
    for i, c in enumerate(sweep["cases"]):
        st = case_status(out, c["name"])["status"]
        if st == "pending" or (st == "failed" and retry_failed):
            todo.append(i)
    return todo


# ------------------------------------------------------------------------------ running a case


def _pythonpath_env() -> dict:
    """The environment of a case: this ssbx importable first (also from a source checkout)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(x for x in (root, env.get("PYTHONPATH")) if x)
    return env


def default_mpirun() -> str:
    """``mpirun`` next to this Python (the venv's MPI), else the first one on PATH."""
    near = Path(sys.executable).parent / "mpirun"
    return str(near) if near.exists() else (shutil.which("mpirun") or "mpirun")


def resumable(rd: Path) -> bool:
    """Whether the run directory ``rd`` holds a run that stopped with a checkpoint (killed,
    ``--max-time``, a full disk) and has not completed: the sweep continues it (``--resume``)."""
    from solver import checkpoint

    if not checkpoint.path_of(rd).is_file():
        return False
    try:
        s = json.loads((rd / "summary.json").read_text())
    except (OSError, ValueError):
        return True  # killed before its summary
    return s.get("status") in ("time_limit", None)


def case_command(
    sweep: dict, out: Path, index: int, ranks: int, mpirun: str, max_time: float | None = None
) -> list[str]:
    """The ``ssbx run`` command line of case ``index``: ``--resume`` of its run directory when a
    stopped run of it left a checkpoint (its resolved case holds the overrides), else a new run
    (with ``--overwrite`` when a failed run of it is there); ``--max-time`` when ``max_time``."""
    c = sweep["cases"][index]
    rd = out / "cases" / c["name"]
    cmd = [*shlex.split(mpirun), "-n", str(ranks)] if ranks > 1 else []
    cmd += [sys.executable, "-m", "solver.cli", "run"]
    if rd.exists() and resumable(rd):
        cmd += ["--resume", str(rd)]
    else:
        cmd += [sweep["case"], "-o", str(rd)]
        for k, v in c["overrides"].items():
            cmd += ["--set", f"{k}={_toml_value(v)}"]
        if rd.exists():
            cmd.append("--overwrite")
    if max_time is not None:
        cmd += ["--max-time", f"{max_time:g}"]
    return cmd


_PROCS: dict[int, subprocess.Popen] = {}
_PROCS_LOCK = threading.Lock()


def run_case(
    sweep: dict,
    out: Path,
    index: int,
    ranks: int = 1,
    mpirun: str | None = None,
    backend: str = "local",
    max_time: float | None = None,
) -> dict:
    """Run case ``index`` as ``ssbx run`` in a subprocess (on ``ranks`` MPI ranks), its output
    in ``logs/<name>.log``; write and return its record: status, exit code, reason (the last
    ``ssbx: error:`` line), wall time. Never raises for a failing case."""
    c = sweep["cases"][index]
    cmd = case_command(sweep, out, index, ranks, mpirun or default_mpirun(), max_time)
    t0 = time.perf_counter()
    log = out / "logs" / f"{c['name']}.log"
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"$ {shlex.join(cmd)}\n")
        fh.flush()
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.PIPE, text=True, env=_pythonpath_env()
        )
        with _PROCS_LOCK:
            _PROCS[proc.pid] = proc
        try:
            _, err = proc.communicate()
        finally:
            with _PROCS_LOCK:
                _PROCS.pop(proc.pid, None)
        fh.write(err)
    rc = proc.returncode
    rec = {
        "status": "completed" if rc == 0 else "failed",
        "exit_code": rc,
        "reason": None if rc == 0 else _reason(err, rc),
        "wall_time_s": time.perf_counter() - t0,
        "ranks": ranks,
        "backend": backend,
    }
    if rc == 0 and case_status(out, c["name"])["status"] != "completed":
        rec.update(status="failed", reason="the run exited with 0 but wrote no completed summary")
    if rc in (74, 75):  # stopped with a checkpoint (time limit, full disk): a rerun resumes it
        rec["status"] = "stopped"
    _record(out, c["name"], rec)
    return rec


def _reason(stderr: str, rc: int) -> str:
    lines = [x.strip() for x in stderr.splitlines() if x.strip()]
    errs = [x for x in lines if x.startswith("ssbx: error:")]
    if errs:
        return "; ".join(x.removeprefix("ssbx: error:").strip() for x in errs)[:2000]
    if rc < 0:
        return f"killed by signal {-rc}"
    return (lines[-1] if lines else f"exit code {rc}")[:2000]


def _petsc_on_self() -> None:
    """Initialise PETSc on MPI.COMM_SELF in an ``mpi4py.futures`` worker: PetscInitialize is
    collective on its world communicator, and the other workers and the manager never call it
    (an initialisation on MPI.COMM_WORLD waits for them forever)."""
    if "petsc4py.PETSc" in sys.modules:
        return
    import solver.petsc_env  # noqa: F401

    import petsc4py
    from mpi4py import MPI

    petsc4py.init(sys.argv[:1], comm=MPI.COMM_SELF)


def run_case_inprocess(out: str, index: int, max_time: float | None = None) -> dict:
    """Run case ``index`` of the sweep in ``out`` in this process on MPI.COMM_SELF through
    :func:`solver.api.run` (the ``mpi4py.futures`` backend's task); write and return its
    record. Never raises for a failing case."""
    from mpi4py import MPI

    _petsc_on_self()
    from solver import api
    from solver.errors import DiskFull, SolverFailure, TimeLimitReached

    out = Path(out)
    sweep = read_state(out)
    c = sweep["cases"][index]
    rd = out / "cases" / c["name"]
    t0 = time.perf_counter()
    rc, reason = 0, None
    try:
        if rd.exists() and resumable(rd):  # a stopped run of it: continue from its checkpoint
            api.run(None, resume=rd, max_time=max_time, comm=MPI.COMM_SELF)
        else:
            api.run(
                sweep["case"],
                rd,
                overwrite=rd.exists(),
                comm=MPI.COMM_SELF,
                overrides=c["overrides"],
                max_time=max_time,
            )
    except InputError as e:
        rc, reason = 2, "; ".join(e.problems)
    except SolverFailure as e:
        rc, reason = 3, str(e)
    except (TimeLimitReached, DiskFull) as e:
        rc, reason = e.exit_code, str(e)
    except Exception as e:  # a failing case is recorded, never stops the sweep
        rc, reason = 1, f"{type(e).__name__}: {e}"
    rec = {
        "status": "completed" if rc == 0 else ("stopped" if rc in (74, 75) else "failed"),
        "exit_code": rc,
        "reason": reason,
        "wall_time_s": time.perf_counter() - t0,
        "ranks": 1,
        "backend": "mpi4py",
        "worker": MPI.COMM_WORLD.rank,
    }
    _record(out, c["name"], rec)
    return rec


# ---------------------------------------------------------------------------------- backends


def run_local(
    sweep: dict,
    out: Path,
    todo: list[int],
    jobs: int,
    ranks: int,
    mpirun: str | None,
    echo=print,
    max_time: float | None = None,
) -> list[dict]:
    """Run the cases ``todo`` with ``jobs`` at once, each on ``ranks`` ranks (each stopping with
    a checkpoint before ``max_time`` s, when given)."""
    results = []

    def one(i):
        rec = run_case(sweep, out, i, ranks, mpirun, max_time=max_time)
        name = sweep["cases"][i]["name"]
        tail = (
            "" if rec["status"] == "completed" else f" (exit {rec['exit_code']}: {rec['reason']})"
        )
        echo(f"  {name}: {rec['status']} in {rec['wall_time_s']:.1f} s{tail}")
        return rec

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        results = list(pool.map(one, todo))
    except BaseException:
        with _PROCS_LOCK:
            for p in list(_PROCS.values()):
                p.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def run_mpi4py(
    sweep: dict, out: Path, todo: list[int], echo=print, max_time: float | None = None
) -> list[dict]:
    """Run the cases ``todo`` on the workers of ``mpi4py.futures`` (one rank each)."""
    from mpi4py import MPI

    if MPI.COMM_WORLD.size < 2:
        raise InputError(
            "--backend mpi4py: no workers; start it as `mpirun -n W+1 python -m mpi4py.futures "
            "-m solver.cli sweep SWEEP.toml -o DIR --backend mpi4py` (W >= 1 workers)"
        )
    from mpi4py.futures import MPIPoolExecutor

    results = []
    with MPIPoolExecutor() as pool:
        futs = {pool.submit(run_case_inprocess, str(out), i, max_time): i for i in todo}
        for f, i in futs.items():
            try:
                rec = f.result()
            except Exception as e:  # the worker died (the case is recorded, the sweep goes on)
                rec = {
                    "status": "failed",
                    "exit_code": 1,
                    "reason": f"{type(e).__name__}: {e}",
                    "backend": "mpi4py",
                    "worker": None,
                }
                _record(out, sweep["cases"][i]["name"], rec)
            results.append(rec)
            tail = "" if rec["status"] == "completed" else f" (exit {rec['exit_code']})"
            echo(f"  {sweep['cases'][i]['name']}: {rec['status']} on worker {rec['worker']}{tail}")
    return results


def _ranges(idx: list[int]) -> str:
    """``[0, 1, 2, 5, 7, 8]`` -> ``"0-2,5,7-8"`` (a SLURM array specification)."""
    parts = []
    for _, grp in itertools.groupby(enumerate(idx), key=lambda t: t[1] - t[0]):
        g = [x for _, x in grp]
        parts.append(str(g[0]) if len(g) == 1 else f"{g[0]}-{g[-1]}")
    return ",".join(parts)


def slurm_seconds(text: str) -> float:
    """A SLURM time limit in seconds: "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM",
    "D-HH:MM:SS" (sbatch --time). :class:`InputError` for anything else."""
    m = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", text.strip())
    if not m:
        raise InputError(f"--time: got '{text}', allowed a SLURM time (MM, HH:MM:SS, D-HH:MM)")
    d, a, b, c = (int(x) if x else None for x in m.groups())
    if d is not None:  # D-HH[:MM[:SS]]
        return d * 86400 + a * 3600 + (b or 0) * 60 + (c or 0)
    if c is not None:  # HH:MM:SS
        return a * 3600 + b * 60 + c
    if b is not None:  # MM:SS
        return a * 60 + b
    return a * 60.0  # MM


def slurm_case_limit(args: argparse.Namespace) -> float:
    """The ``--max-time`` of a case in an array task: ``--case-max-time``, else the task's
    ``--time`` less 10 % (at least 2 min, at most 15 min) for the start-up and the checkpoint,
    so a case stops with a checkpoint before SLURM kills it (a rerun of the sweep resumes it)."""
    if args.case_max_time is not None:
        return args.case_max_time
    t = slurm_seconds(args.time)
    return max(60.0, t - min(900.0, max(120.0, 0.1 * t)))


def sbatch_script(sweep: dict, out: Path, todo: list[int], args: argparse.Namespace) -> str:
    """The batch script of a SLURM job array over the cases ``todo`` (one task per case)."""
    out = out.resolve()
    throttle = f"%{args.jobs}" if args.jobs else ""
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name=ssbx-{sweep['name']}",
        f"#SBATCH --array={_ranges(todo)}{throttle}",
        f"#SBATCH --ntasks={args.ranks}",
        "#SBATCH --cpus-per-task=1",
        f"#SBATCH --time={args.time}",
        f"#SBATCH --mem={args.mem}",
        f"#SBATCH --output={out}/logs/slurm-%A_%a.out",
    ]
    if args.partition:
        lines.append(f"#SBATCH --partition={args.partition}")
    if args.account:
        lines.append(f"#SBATCH --account={args.account}")
    for opt in args.sbatch_option or ():
        lines.append(f"#SBATCH {opt}")
    root = Path(__file__).resolve().parents[1]
    mpirun = args.mpirun or default_mpirun()
    lines += [
        "",
        "# one ssbx case per array task: `ssbx run` on --ntasks MPI ranks into",
        f"# {out}/cases/<name>; its record in status/<name>.json",
        "set -u",
        f"cd {shlex.quote(os.getcwd())}",
        f"export PYTHONPATH={shlex.quote(str(root))}${{PYTHONPATH:+:$PYTHONPATH}}",
        f"exec {shlex.quote(sys.executable)} -m solver.cli sweep task {shlex.quote(str(out))} "
        f'"$SLURM_ARRAY_TASK_ID" --ranks {args.ranks} --mpirun {shlex.quote(mpirun)} '
        f"--case-max-time {slurm_case_limit(args):.0f}",
        "",
    ]
    return "\n".join(lines)


def submit_slurm(sweep: dict, out: Path, script: str, wait: bool, echo=print) -> str:
    """Write ``slurm/sweep.sbatch`` and submit it with ``sbatch`` (``--wait``: until the array
    has finished). Returns the job id. :class:`InputError` when ``sbatch`` is missing or
    refuses the script (its message)."""
    from solver import rundir

    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise InputError(
            "--backend slurm: sbatch not found on PATH (use --dry-run to see the script)"
        )
    (out / "slurm").mkdir(exist_ok=True)
    job_file = out / "slurm" / "job_id"
    if job_file.is_file() and shutil.which("squeue"):
        old = job_file.read_text().strip()
        q = subprocess.run(["squeue", "-h", "-j", old], capture_output=True, text=True)
        if q.returncode == 0 and q.stdout.strip():
            raise InputError(
                f"--backend slurm: the job array {old} of '{out}' is still queued or running, "
                "allowed a new submission once it has finished (or scancel it)"
            )
    path = out / "slurm" / "sweep.sbatch"
    rundir.write_text_atomic(path, script)
    cmd = [sbatch, "--parsable", *(["--wait"] if wait else []), str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    job = proc.stdout.strip().split(";")[0]
    if proc.returncode != 0 and not (wait and job):
        msg = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise InputError(f"--backend slurm: sbatch refused the job: {msg}")
    rundir.write_text_atomic(job_file, job + "\n")
    echo(f"submitted job array {job} ({path})")
    return job


# ----------------------------------------------------------------------------------- results


def _flatten(summary: dict) -> dict:
    row = {}
    for k, v in summary.items():
        if isinstance(v, bool) or k in ("mpi_size",):
            continue
        if isinstance(v, int | float):
            row[k] = v
        elif k in ("final", "thermal") and isinstance(v, dict):
            for kk, vv in v.items():
                if isinstance(vv, int | float) and not isinstance(vv, bool):
                    row[f"{k}.{kk}"] = vv
                elif isinstance(vv, str) and k == "thermal":
                    row[f"{k}.{kk}"] = vv
    if isinstance(summary.get("mesh"), dict):
        row["mesh.cells"] = summary["mesh"].get("cells")
    return row


def key_unit(key: str, family: str | None = None) -> str:
    """The SI unit of the case-file ``key`` (dotted, as in ``--set``): ``"Pa"`` for
    ``loading.stack_pressure``, ``"A/m^2"`` for ``loading.protocol[1].current_density``; ``""``
    for a dimensionless or non-numeric key. ``family`` names the geometry family of
    ``geometry.*`` keys."""
    from solver import config as C
    from solver import materials as M
    from solver.overrides import _split
    from solver.units import si_unit

    try:
        names = [n for n, _ in _split(key)]
    except InputError:
        return ""
    spec = None
    if names[0] == "materials" and len(names) == 3:
        dim = M.PROPERTY_DIMS.get(names[2], ("",))[0]
        return si_unit(dim) if dim else ""
    if names[0] == "geometry" and len(names) == 2 and family:
        from solver.meshes_bridge import family_module

        try:
            spec = family_module(family).PARAMS.get(names[1])
        except Exception:
            spec = None
    elif len(names) == 3:
        sub = {
            "protocol": C.STEP_SCHEMA,
            "debonded": C.DEBONDED_SCHEMA,
            "boundary": C.BOUNDARY_SCHEMA,
            "initial_gap": C.GAP_SCHEMA,
        }.get(names[1], {})
        spec = sub.get(names[2])
    elif len(names) == 2:
        spec = C.SCHEMA.get(names[0], {}).get(names[1])
    dim = getattr(spec, "dim", None)
    return si_unit(dim) if dim and getattr(spec, "kind", "float") in ("float", "floats") else ""


def _metric_unit(units: dict, metric: str) -> str:
    """The unit of a results-table column from a summary's ``units`` block."""
    if "." in metric:
        sec, key = metric.split(".", 1)
        u = units.get(sec, {})
        return u.get(key, "") if isinstance(u, dict) else ""
    u = units.get(metric, "")
    return u if isinstance(u, str) else ""


def _label(name: str, unit: str) -> str:
    return f"{name} [{unit}]" if unit and unit != "1" else name


def table(out: str | os.PathLike):
    """The results of the sweep in ``out`` as a pandas DataFrame: one row per case with its
    name, inputs (one column per parameter, SI), status, exit code, reason, wall time and the
    summary metrics (``final.<column>`` from the last time-series row)."""
    import pandas as pd

    out = Path(out)
    sweep = read_state(out)
    rows = []
    for c in sweep["cases"]:
        st = case_status(out, c["name"])
        rec_path = out / "status" / f"{c['name']}.json"
        rec = json.loads(rec_path.read_text()) if rec_path.is_file() else {}
        row = {
            "case": c["name"],
            **c["inputs"],
            "status": st["status"],
            "exit_code": rec.get("exit_code") if st["status"] != "pending" else None,
            "reason": st.get("reason") if st["status"] == "failed" else None,
        }
        summary = out / "cases" / c["name"] / "summary.json"
        if st["status"] == "completed" and summary.is_file():
            row.update(_flatten(json.loads(summary.read_text())))
            if row["exit_code"] is None:
                row["exit_code"] = 0
        rows.append(row)
    return pd.DataFrame(rows)


def write_table(out: str | os.PathLike) -> Any:
    """Write ``results.csv`` and ``results.parquet`` (pyarrow) into ``out``; return the table."""
    out = Path(out)
    df = table(out)
    df.to_csv(out / "results.csv", index=False)
    typed = df.copy()
    for col in typed.columns:  # Parquet columns have one type: mixed ones as text
        if typed[col].dtype == object and len({type(v) for v in typed[col].dropna()}) > 1:
            typed[col] = typed[col].map(lambda v: None if v is None else str(v))
    typed.to_parquet(out / "results.parquet", index=False)
    return df


def report(out: str | os.PathLike, echo=print) -> dict:
    """``ssbx sweep report DIR``: the table, ``report/<metric>.png`` (the metric against each
    parameter, completed cases), ``report/heatmap_<metric>.png`` for grids of two or more
    parameters (the mean over the other parameters), and for Sobol designs
    ``report/sobol.csv`` and ``report/sobol_<metric>.png`` (first-order S1 and total ST
    indices with their 95 % confidence intervals, SALib). Returns what was written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    out = Path(out)
    sweep = read_state(out)
    df = write_table(out)
    rep = out / "report"
    rep.mkdir(exist_ok=True)
    params = [p["name"] for p in sweep["parameters"]]
    if sweep.get("seeds"):
        params.append(sweep["seed_key"])
    done = df[df["status"] == "completed"]
    metrics = [m for m in sweep["metrics"] if m in done.columns]
    missing = [m for m in sweep["metrics"] if m not in done.columns]
    written: dict[str, list[str]] = {"plots": [], "sobol": []}
    counts = df["status"].value_counts().to_dict()
    echo(
        f"sweep '{sweep['name']}': {len(df)} cases, "
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    )
    if missing:
        echo(f"  metrics not in the completed summaries (not plotted): {', '.join(missing)}")
    num = [p for p in params if p in done.columns and pd.api.types.is_numeric_dtype(done[p])]
    family = None
    units: dict = {}
    for name in done["case"]:  # units of the metrics: the first completed summary
        s = json.loads((out / "cases" / name / "summary.json").read_text())
        units, family = s.get("units", {}), (s.get("mesh") or {}).get("family")
        break
    first_key = {p["name"]: p["keys"][0] for p in sweep["parameters"]}
    xlabel = {p: _label(p, key_unit(first_key.get(p, p), family)) for p in num}
    for m in metrics:
        if not num:
            break
        fig, axes = plt.subplots(1, len(num), figsize=(4 * len(num), 3.4), squeeze=False)
        for ax, p in zip(axes[0], num):
            ax.plot(done[p], done[m], "o")
            ax.set_xlabel(xlabel[p])
            ax.set_ylabel(_label(m, _metric_unit(units, m)))
            ax.grid(alpha=0.3)
        fig.suptitle(f"{sweep['name']}: {m}")
        fig.tight_layout()
        f = rep / f"{m}.png"
        fig.savefig(f, dpi=100)
        plt.close(fig)
        written["plots"].append(str(f))
        if sweep["design"] == "grid" and len(num) >= 2:
            pairs = list(itertools.combinations(num, 2))
            fig, axes = plt.subplots(1, len(pairs), figsize=(4.5 * len(pairs), 3.8), squeeze=False)
            for ax, (a, b) in zip(axes[0], pairs):
                piv = done.pivot_table(index=b, columns=a, values=m, aggfunc="mean")
                im = ax.imshow(piv.values, origin="lower", aspect="auto", cmap="viridis")
                ax.set_xticks(range(len(piv.columns)), [f"{x:.3g}" for x in piv.columns])
                ax.set_yticks(range(len(piv.index)), [f"{y:.3g}" for y in piv.index])
                ax.set_xlabel(xlabel[a])
                ax.set_ylabel(xlabel[b])
                others = [p for p in num if p not in (a, b)]
                ax.set_title(f"mean over {', '.join(others)}" if others else m, fontsize=8)
                fig.colorbar(im, ax=ax, label=_label(m, _metric_unit(units, m)))
            fig.tight_layout()
            f = rep / f"heatmap_{m}.png"
            fig.savefig(f, dpi=100)
            plt.close(fig)
            written["plots"].append(str(f))
    if sweep["design"] == "sobol":
        written["sobol"] = _sobol(sweep, df, metrics, rep, echo, plt)
    echo(
        f"  wrote {out / 'results.csv'}, results.parquet and {len(written['plots'])} plots in {rep}"
    )
    return written


def _sobol(sweep, df, metrics, rep: Path, echo, plt) -> list[str]:
    import numpy as np
    import pandas as pd
    from SALib.analyze import sobol

    if (df["status"] != "completed").any():
        n = int((df["status"] != "completed").sum())
        echo(
            f"  sobol: not computed, {n} of {len(df)} cases did not complete (Saltelli's "
            "estimators need every case)"
        )
        return []
    problem = _salib_problem(sweep)
    rows = []
    for m in metrics:
        y = df[m].to_numpy(dtype=float)
        if sweep.get("seeds"):  # the mean over the seeds of each design point
            y = y.reshape(-1, len(sweep["seeds"])).mean(axis=1)
        si = sobol.analyze(
            problem,
            y,
            calc_second_order=sweep["second_order"],
            seed=sweep["seed"],
            print_to_console=False,
        )
        for j, name in enumerate(problem["names"]):
            rows.append(
                {
                    "metric": m,
                    "parameter": name,
                    "S1": si["S1"][j],
                    "S1_conf": si["S1_conf"][j],
                    "ST": si["ST"][j],
                    "ST_conf": si["ST_conf"][j],
                }
            )
        fig, ax = plt.subplots(figsize=(1.5 + 1.2 * len(problem["names"]), 3.2))
        x = np.arange(len(problem["names"]))
        ax.bar(x - 0.2, si["S1"], 0.4, yerr=si["S1_conf"], label="S1")
        ax.bar(x + 0.2, si["ST"], 0.4, yerr=si["ST_conf"], label="ST")
        ax.set_xticks(x, problem["names"], rotation=20, fontsize=7)
        ax.set_title(f"Sobol indices: {m}", fontsize=9)
        ax.legend()
        fig.tight_layout()
        fig.savefig(rep / f"sobol_{m}.png", dpi=100)
        plt.close(fig)
    pd.DataFrame(rows).to_csv(rep / "sobol.csv", index=False)
    echo(f"  sobol indices: {rep / 'sobol.csv'}")
    return [str(rep / "sobol.csv")]


# ------------------------------------------------------------------------------------- the CLI


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a parameter sweep (grid, list, lhs, sobol) or report on one",
        description="ssbx sweep SWEEP.toml -o DIR: run every case of the sweep file as `ssbx run "
        "BASE -o DIR/cases/<name> --set ...`; cases already completed are skipped, a failed case "
        "is recorded (DIR/status/<name>.json) and skipped unless --retry-failed; the table "
        "DIR/results.csv and .parquet is written at the end. ssbx sweep report DIR: the table, "
        "plots (DIR/report/*.png) and, for Sobol designs, the Sobol indices. The sweep file: "
        "[sweep] case, design (grid, list, lhs, sobol), samples, seed, seeds, seed_key, "
        "second_order, metrics, set; [[parameter]] key or keys (+ factors), name, values (grid) "
        "or bounds (lhs, sobol); [[case]] name + KEY = VALUE (list). See docs/case-format.md. "
        "A case stopped with a checkpoint (killed, --case-max-time, a full disk) is resumed "
        "(ssbx run --resume) by a rerun of the sweep.",
    )
    p.add_argument("file", metavar="SWEEP.toml | report DIR", help="the sweep file, or: report DIR")
    p.add_argument("extra", nargs="*", help=argparse.SUPPRESS)
    p.add_argument("-o", "--output", default=None, help="sweep directory (default sweeps/<name>)")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="local",
        help="local: a pool of subprocesses; mpi4py: mpi4py.futures workers (start "
        "under `mpirun -n W+1 python -m mpi4py.futures -m solver.cli sweep ...`); "
        "slurm: a job array submitted with sbatch (default local)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        help="cases at once (local; default 1), at most this many array tasks at "
        "once (slurm; default no limit)",
    )
    p.add_argument("--ranks", type=int, default=1, help="MPI ranks per case (local, slurm)")
    p.add_argument(
        "--mpirun",
        default=None,
        help="MPI launcher of a case (default: the mpirun "
        "next to this Python, else on PATH; e.g. 'srun')",
    )
    p.add_argument("--retry-failed", action="store_true", help="run failed cases again")
    p.add_argument(
        "--case-max-time",
        default=None,
        metavar="TIME",
        help="wall-time limit of each case (seconds or '2h', '30min'): a case stops with a "
        "checkpoint before it (ssbx run --max-time; exit 75, recorded 'stopped') and a rerun of "
        "the sweep resumes it (ssbx run --resume). slurm: default the task's --time less 10 %% "
        "(2 to 15 min)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the cases to run (slurm: the batch script) and write nothing",
    )
    p.add_argument("--time", default="01:00:00", help="slurm: time limit per task")
    p.add_argument("--mem", default="4G", help="slurm: memory per task (e.g. 4G)")
    p.add_argument("--partition", default=None, help="slurm: partition")
    p.add_argument("--account", default=None, help="slurm: account")
    p.add_argument(
        "--sbatch-option",
        action="append",
        default=[],
        metavar="OPT",
        help="slurm: extra '#SBATCH OPT' line (repeatable)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="slurm: wait until the array has finished, then write the table",
    )


def _check_args(args: argparse.Namespace) -> None:
    bad = []
    if args.case_max_time is not None and not isinstance(args.case_max_time, float):
        from solver.cli import _max_time

        try:
            args.case_max_time = _max_time(args.case_max_time, "--case-max-time")
        except InputError as e:
            bad += e.problems
    if args.ranks < 1:
        bad.append(f"--ranks: got {args.ranks}, allowed an integer >= 1")
    if args.jobs is not None and args.jobs < 1:
        bad.append(f"--jobs: got {args.jobs}, allowed an integer >= 1")
    if args.backend == "mpi4py" and args.ranks != 1:
        bad.append(f"--ranks: got {args.ranks}, allowed 1 with --backend mpi4py (one rank a case)")
    if bad:
        raise InputError(bad)


def launcher_size_rank() -> tuple[int, int]:
    """(size, rank) of the MPI job this process was started in (MPICH/Open MPI environment),
    without initialising MPI; (1, 0) outside one."""
    env = os.environ
    for size_key, rank_key in (
        ("PMI_SIZE", "PMI_RANK"),
        ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),
    ):
        if size_key in env:
            try:
                return int(env[size_key]), int(env.get(rank_key, "0"))
            except ValueError:
                break
    return 1, 0


def main(args: argparse.Namespace) -> int:
    """``ssbx sweep``; returns the exit code (0: every case completed, 1: some failed)."""
    if args.file == "report":
        if len(args.extra) != 1:
            raise InputError(
                "sweep report: allowed exactly one sweep directory (ssbx sweep report DIR)"
            )
        report(args.extra[0])
        return 0
    if args.file == "task":  # one SLURM array task: ssbx sweep task DIR INDEX
        if len(args.extra) != 2 or not args.extra[1].isdigit():
            raise InputError("sweep task: allowed DIR INDEX")
        out = Path(args.extra[0])
        sweep = read_state(out)
        i = int(args.extra[1])
        if i >= len(sweep["cases"]):
            raise InputError(f"sweep task: index {i}, allowed 0 to {len(sweep['cases']) - 1}")
        if args.case_max_time is not None:
            from solver.cli import _max_time

            args.case_max_time = _max_time(args.case_max_time, "--case-max-time")
        rec = run_case(
            sweep, out, i, args.ranks, args.mpirun, backend="slurm", max_time=args.case_max_time
        )
        print(f"{sweep['cases'][i]['name']}: {rec['status']} (exit {rec['exit_code']})")
        return 0 if rec["status"] == "completed" else 1
    if args.extra:
        raise InputError(f"sweep: unexpected arguments {' '.join(args.extra)}")
    size, rank = launcher_size_rank()
    if size > 1 and args.backend != "mpi4py":
        if rank != 0:
            return 2
        raise InputError(
            f"sweep: started on {size} MPI ranks, allowed one process with --backend "
            f"{args.backend} (give the ranks of each case with --ranks)"
        )
    _check_args(args)
    sweep = load_sweep(args.file)
    out = Path(args.output or Path("sweeps") / sweep["name"])
    invalid, warnings = validate_cases(sweep)
    for w in warnings:
        print(f"ssbx: warning: {w}", file=sys.stderr)
    n = len(sweep["cases"])
    if args.dry_run:
        todo = to_run(sweep, out, args.retry_failed) if (out / STATE).is_file() else list(range(n))
        if not todo:
            print(f"sweep '{sweep['name']}': all {n} cases done or failed before: nothing to run")
            return 0
        if args.backend == "slurm":
            print(sbatch_script(sweep, out, todo, args))
        else:
            for i in todo:
                mpirun = args.mpirun or default_mpirun()
                print(
                    shlex.join(case_command(sweep, out, i, args.ranks, mpirun, args.case_max_time))
                )
        return 0
    prepare_dir(sweep, out)
    for name, problems in invalid.items():  # refused on load: recorded, never run
        if case_status(out, name)["status"] != "completed":
            _record(
                out,
                name,
                {
                    "status": "failed",
                    "exit_code": 2,
                    "reason": "; ".join(problems),
                    "backend": None,
                },
            )
    todo = [
        i for i in to_run(sweep, out, args.retry_failed) if sweep["cases"][i]["name"] not in invalid
    ]
    skipped = n - len(todo)
    print(
        f"sweep '{sweep['name']}': {n} cases, {len(todo)} to run, {skipped} done or failed "
        f"before (skipped) -> {out}"
    )
    t0 = time.perf_counter()
    from solver.rundir import RunLock

    with RunLock(out):  # one driver at a time per sweep directory
        return _drive(args, sweep, out, todo, t0)


def _drive(args, sweep: dict, out: Path, todo: list[int], t0: float) -> int:
    if args.backend == "slurm":
        if not todo:
            write_table(out)
            return 0
        submit_slurm(sweep, out, sbatch_script(sweep, out, todo, args), args.wait)
        if not args.wait:
            print(f"when the array has finished: ssbx sweep report {out}")
            return 0
    elif args.backend == "mpi4py":
        run_mpi4py(sweep, out, todo, max_time=args.case_max_time)
    else:
        run_local(
            sweep, out, todo, args.jobs or 1, args.ranks, args.mpirun, max_time=args.case_max_time
        )
    df = write_table(out)
    failed = int((df["status"] != "completed").sum())
    print(
        f"sweep '{sweep['name']}': {len(df) - failed} completed, {failed} not, "
        f"{time.perf_counter() - t0:.1f} s; table {out / 'results.csv'}"
    )
    return 0 if failed == 0 else 1
