"""Rough-interface stripping sweep (issue 13, item 3): Li metal on LLZO (or Li6PS5Cl) joined
along a self-affine rough interface (rms 0.5 µm, H = 0.8, 2D plane strain, P2), pressed by the
stack pressure, then stripped galvanostatically, over a grid of current density × stack pressure
(× temperature), with Norton creep of the Li (``physics.inelastic``, the ``Li`` preset).

Every row runs through the product path (:func:`solver.api.run` with ``--set``-style overrides
of one base case, written next to the results) and is named by its outcome:

* ``completed``: the protocol ran to its end;
* ``contact_lost``: the run's named stop (``stop_reason`` of its summary.json): an accepted
  stripping step left the contact fraction of Γ_int below ``solver.contact_lost_fraction``
  (default 0.05; the reason, with the fraction, in ``cause``);
* ``voltage_cutoff`` / ``state_out_of_range``: a named stop of the case;
* ``newton_failure``: a Newton failure, with the cause that
  :meth:`solver.simulation.Simulation.failure_cause` names in the message (``cause`` in the JSON;
  e.g. "the last iterate floats: Gamma_int open over 100 %"): an unconverged iterate is never
  counted as a contact loss;
* ``time_limit``: the row's ``--max-time`` ran out (a checkpoint was written).

Prints the outcome table and the wall times; writes ``<out>/rough_stripping.json``::

    python benchmarks/rough_stripping.py --quick --out bench-results   # 2 x 2 rows, 25 °C
    python benchmarks/rough_stripping.py --out bench-results           # 4 x 4 x 2 (issue 13)
    python benchmarks/rough_stripping.py --no-creep --quick --out DIR  # elastic Li

Run it serially (one rank per row; rows one after the other).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FULL = {
    "current": ["0.1 mA/cm^2", "0.5 mA/cm^2", "1 mA/cm^2", "2 mA/cm^2"],
    "pressure": ["0.5 MPa", "2 MPa", "5 MPa", "10 MPa"],
    "temperature": ["25 degC", "60 degC"],
}
QUICK = {
    "current": ["0.5 mA/cm^2", "2 mA/cm^2"],
    "pressure": ["0.5 MPa", "5 MPa"],
    "temperature": ["25 degC"],
}


def base_case(electrolyte: str, creep: bool, duration: str, n_steps: int) -> str:
    """The base case (TOML) of every row: rough Li | electrolyte, hold, then stripping."""
    return f"""[case]
description = "rough Li | {electrolyte} stripping sweep (benchmarks/rough_stripping.py)"

[geometry]
family = "rough"
dim = 2
W = "20 um"
t_e = "10 um"
t_s = "10 um"
rms = "0.5 um"
correlation_length = "5 um"
hurst = 0.8
seed = 7

[materials]
electrode = "Li"
electrolyte = "{electrolyte}"

[interface]
kinetics = "butler_volmer"
i0 = "1 mA/cm^2"

[loading]
stack_pressure = "2 MPa"
temperature = "25 degC"
current_density = "1 mA/cm^2"

[[loading.protocol]]
kind = "hold"
duration = "1 s"
n_steps = 2

[[loading.protocol]]
kind = "current"
duration = "{duration}"
n_steps = {n_steps}

[physics]
mechanics = true
electrochemistry = true
inelastic = {"true" if creep else "false"}
degree = 2

[output]
fields = false
preview = false
"""


def classify(summary: dict | None, error: Exception | None) -> tuple[str, str]:
    """(outcome, cause) of a row (see the module docstring)."""
    from solver.errors import TimeLimitReached

    if error is None:
        stop = (summary or {}).get("stop_reason")
        return (stop or "completed"), (summary or {}).get("stop") or ""
    if isinstance(error, TimeLimitReached):
        return "time_limit", str(error).splitlines()[0]
    msg = str(error).splitlines()[0]
    if "state_out_of_range" in msg or "out of range" in msg:
        return "state_out_of_range", msg
    if "cut-off" in msg or "cutoff" in msg:
        return "voltage_cutoff", msg
    return "newton_failure", msg


def run_one(case_path: Path, out: Path, overrides: dict, max_time: float) -> dict:
    """Run ``case_path`` with ``overrides`` through :func:`solver.api.run` into ``out`` and name
    the outcome (:func:`classify`): a dict with ``outcome``, ``cause``, ``wall_s`` and the
    summary's step count and final metrics (None where the run wrote none). A failed run is a
    result, never raised (also used by benchmarks/critical_current.py)."""
    from solver import api

    t0 = time.perf_counter()
    summary, error = None, None
    try:
        summary = dict(
            api.run(case_path, out, overwrite=True, overrides=overrides, max_time=max_time)
        )
    except Exception as e:  # a failed row is a result of the benchmark, named below
        error = e
        try:
            summary = api.read_summary(out)
        except Exception:
            summary = None
    wall = time.perf_counter() - t0
    outcome, cause = classify(summary, error)
    s = summary or {}
    final = s.get("final") or {}
    return {
        "outcome": outcome,
        "cause": cause,
        "wall_s": wall,
        "steps": s.get("steps"),
        "t_end_s": final.get("time"),
        "final_contact_fraction": s.get("final_contact_fraction"),
        "final_active_fraction": s.get("final_active_fraction"),
        "final_void_fraction": s.get("final_void_fraction"),
        "max_void_volume_m": s.get("max_void_volume"),
        "asr_total_last": s.get("asr_total_last"),
        "max_li_inventory_error": s.get("max_li_inventory_error"),
    }


def run_row(case_path: Path, out: Path, j: str, p: str, T: str, max_time: float) -> dict:
    from mpi4py import MPI

    overrides = {
        "loading.current_density": j,
        "loading.stack_pressure": p,
        "loading.temperature": T,
    }
    res = run_one(case_path, out, overrides, max_time)
    row = {"current_density": j, "stack_pressure": p, "temperature": T, **res}
    outcome, cause, wall = res["outcome"], res["cause"], res["wall_s"]
    if MPI.COMM_WORLD.rank == 0:
        print(
            f"  {j:>12} {p:>8} {T:>7}  {outcome:<16} {wall:7.1f} s  steps={row['steps']}"
            + (f"  [{cause[:160]}]" if cause else ""),
            flush=True,
        )
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench-results")
    ap.add_argument("--quick", action="store_true", help="2 currents x 2 pressures, 25 degC")
    ap.add_argument("--electrolyte", default="LLZO", help="LLZO or LPSCl (Li6PS5Cl)")
    ap.add_argument("--no-creep", action="store_true", help="elastic Li (physics.inelastic off)")
    ap.add_argument("--duration", default="10 min", help="stripping time of every row")
    ap.add_argument("--n-steps", type=int, default=5, help="nominal current steps")
    ap.add_argument("--max-time", type=float, default=600.0, help="wall-time limit per row (s)")
    args = ap.parse_args(argv)

    import solver.petsc_env  # noqa: F401  (before dolfinx)

    grid = QUICK if args.quick else FULL
    out = Path(args.out) / "rough_stripping"
    out.mkdir(parents=True, exist_ok=True)
    case_path = out / "base.toml"
    creep = not args.no_creep
    case_path.write_text(base_case(args.electrolyte, creep, args.duration, args.n_steps))
    print(
        f"rough Li | {args.electrolyte}, creep {'on' if creep else 'off'}, "
        f"{args.duration} in {args.n_steps} steps; {case_path}",
        flush=True,
    )
    print(f"  {'j':>12} {'P':>8} {'T':>7}  {'outcome':<16} {'wall':>9}", flush=True)
    t0 = time.perf_counter()
    rows: list[dict] = []
    path = Path(args.out) / "rough_stripping.json"

    def write(done: bool) -> dict:
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
        result = {
            "electrolyte": args.electrolyte,
            "creep": creep,
            "duration": args.duration,
            "n_steps": args.n_steps,
            "grid": grid,
            "rows": rows,
            "outcomes": counts,
            "complete": done,
            "total_wall_s": time.perf_counter() - t0,
            "host": platform.node(),
        }
        path.write_text(json.dumps(result, indent=2))  # after every row: a partial sweep counts
        return result

    for T in grid["temperature"]:
        for p in grid["pressure"]:
            for j in grid["current"]:
                tag = f"{j}_{p}_{T}".replace(" ", "").replace("/", "").replace("^", "")
                rows.append(run_row(case_path, out / tag, j, p, T, args.max_time))
                write(False)
    result = write(True)
    print(
        f"outcomes: {result['outcomes']}; total wall time {result['total_wall_s']:.0f} s",
        flush=True,
    )
    print(f"wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
