"""Repeatability of ``mpirun -n R ssbx run``: the same case run several times on the same rank
count completes every time and gives bitwise-identical time series (issue 15, item 4 and its
acceptance: the default case, 5 repeats on 2 and on 3 ranks).

Each repeat is a separate ``mpirun -n R ssbx run CASE -o DIR`` (the console script of this
interpreter's venv, as a user runs it; fields and previews off through ``--set`` so the repeats
time the solve). A repeat *completes* when ``ssbx`` exits 0 and its summary says ``completed``;
repeats are *identical* when every time-series column except ``wall_time`` has the same bits as
the first repeat's on the same rank count (NaN equals NaN). Across rank counts the time series
are compared to 1e-6 relative (absolute floors for columns at round-off, as
tests/parallel/test_default_case_mpi.py), since a different partition sums in another order.

Usage::

    python benchmarks/repeatability.py --out bench-results     # the default case, 5 x (2, 3)
    python benchmarks/repeatability.py --case cases/li_llzo_pressure.toml --repeats 3 --ranks 2

Prints one line per repeat (ranks, exit code, status, wall s, steps, cuts, first differing column)
and a table; writes ``OUT/repeatability.json`` (``runs[i]``: ranks, repeat, exit code, status,
wall s, rows, step cuts, identical_to_first, first_difference, largest_relative_difference
from the first repeat (round-off floors as across rank counts); ``summary`` per rank count:
completed, identical, largest_relative_difference; ``across_ranks``: the largest relative
difference between rank counts). More ranks than cores is allowed (``-bind-to none`` is passed
to MPICH's Hydra; it only changes the wall times).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a clone without installing
    sys.path.insert(0, str(ROOT))

from solver.metrics import ROUNDOFF_FLOORS, read_timeseries  # noqa: E402

# time-series columns that depend on timing only
TIMING = {"wall_time"}
# iteration counts may differ across rank counts (another partition, another round-off)
ITERATIONS = {"krylov_iterations", "newton_iterations", "step_cuts"}


def _ssbx() -> list[str]:
    exe = Path(sys.executable).with_name("ssbx")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "solver.cli"]


def _mpirun() -> str:
    exe = Path(sys.executable).with_name("mpirun")
    return str(exe) if exe.exists() else (shutil.which("mpirun") or "mpirun")


def read_rows(run_dir: Path) -> list[dict]:
    """The time-series rows of ``run_dir`` as {column: float} (NaN for empty cells)."""
    return read_timeseries(run_dir / "timeseries.csv")


def first_bitwise_difference(a: list[dict], b: list[dict]) -> str | None:
    """None when the two time series have the same rows and every column but ``wall_time`` has
    the same bits (NaN = NaN); else a description of the first difference."""
    if len(a) != len(b):
        return f"{len(a)} rows against {len(b)}"
    for ra, rb in zip(a, b):
        for col in ra:
            if col in TIMING:
                continue
            x, y = ra[col], rb.get(col, math.nan)
            same = (x == y) or (
                isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)
            )
            if not same:
                return f"step {ra.get('step')}: {col} {x!r} against {y!r}"
    return None


def largest_relative_difference(a: list[dict], b: list[dict]) -> tuple[float, str]:
    """Largest |x − y| / max(|x|, |y|) over the columns compared across rank counts (values
    within a column's floor count as equal); (inf, reason) when the rows differ in number."""
    if len(a) != len(b):
        return math.inf, f"{len(a)} rows against {len(b)}"
    worst, where = 0.0, ""
    for ra, rb in zip(a, b):
        for col in ra:
            if col in TIMING or col in ITERATIONS:
                continue
            x, y = ra[col], rb.get(col, math.nan)
            if not (isinstance(x, float) and isinstance(y, float)):
                continue
            if math.isnan(x) or math.isnan(y):
                if not (math.isnan(x) and math.isnan(y)):
                    return math.inf, f"step {ra.get('step')}: {col} {x!r} against {y!r}"
                continue
            # columns at round-off level compare absolutely (as the MPI test)
            if abs(x - y) <= ROUNDOFF_FLOORS.get(col, 0.0):
                continue
            d = abs(x - y) / max(abs(x), abs(y))
            if d > worst:
                worst, where = d, f"step {ra.get('step')}: {col}"
    return worst, where


def run_once(case: Path, out: Path, ranks: int, timeout: float) -> dict:
    cmd = [_mpirun(), "-n", str(ranks), "-bind-to", "none", *_ssbx(), "run", str(case)]
    cmd += ["-o", str(out), "--set", "output.fields=false", "--set", "output.preview=false"]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        code, err = p.returncode, p.stderr.strip().splitlines()[-1:] or [""]
    except subprocess.TimeoutExpired:
        code, err = 124, [f"timed out after {timeout:.0f} s"]
    wall = time.perf_counter() - t0
    status = None
    if (out / "summary.json").is_file():
        status = json.loads((out / "summary.json").read_text()).get("status")
    return {"ranks": ranks, "exit_code": code, "status": status, "wall_s": wall, "stderr": err[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", type=Path, default=ROOT / "cases" / "default.toml")
    ap.add_argument("--ranks", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=900.0, help="per run, s")
    ap.add_argument("--out", type=Path, help="write OUT/repeatability.json")
    ap.add_argument("--keep", action="store_true", help="keep the run directories (in OUT)")
    args = ap.parse_args(argv)
    if args.repeats < 2 or any(r < 1 for r in args.ranks):
        ap.error("--repeats >= 2 and --ranks >= 1")

    work = Path(tempfile.mkdtemp(prefix="ssbx-repeat-"))
    if args.keep and args.out:
        work = args.out / "repeatability_runs"
        work.mkdir(parents=True, exist_ok=True)
    runs, summary, firsts = [], {}, {}
    try:
        for ranks in args.ranks:
            first = None
            for k in range(args.repeats):
                out = work / f"np{ranks}_{k}"
                shutil.rmtree(out, ignore_errors=True)
                r = run_once(args.case.resolve(), out, ranks, args.timeout)
                r["repeat"] = k
                rows = read_rows(out) if (out / "timeseries.csv").is_file() else []
                r["rows"] = len(rows)
                r["step_cuts"] = int(sum(x.get("step_cuts", 0) or 0 for x in rows))
                if first is None and r["exit_code"] == 0:
                    first, firsts[ranks] = rows, rows
                    r["identical_to_first"], r["first_difference"] = True, None
                else:
                    diff = first_bitwise_difference(first, rows) if first else "no first run"
                    r["identical_to_first"], r["first_difference"] = diff is None, diff
                if first is not None and rows:  # round-off size of a non-identical repeat
                    d, where = largest_relative_difference(first, rows)
                    r["largest_relative_difference"], r["largest_where"] = d, where
                runs.append(r)
                print(
                    f"np {ranks} #{k}: exit {r['exit_code']}, {r['status']}, "
                    f"{r['wall_s']:.1f} s, {r['rows']} rows, {r['step_cuts']} cuts, "
                    f"{'identical' if r['identical_to_first'] else r['first_difference']}"
                    + (
                        f"; largest relative difference {r['largest_relative_difference']:.2g}"
                        if not r["identical_to_first"] and "largest_relative_difference" in r
                        else ""
                    )
                    + (f" ({r['stderr']})" if r["exit_code"] else ""),
                    flush=True,
                )
            mine = [r for r in runs if r["ranks"] == ranks]
            summary[str(ranks)] = {
                "repeats": len(mine),
                "completed": sum(r["exit_code"] == 0 and r["status"] == "completed" for r in mine),
                "identical": sum(bool(r["identical_to_first"]) for r in mine),
                "largest_relative_difference": max(
                    (r.get("largest_relative_difference", 0.0) for r in mine), default=0.0
                ),
                "wall_s_median": sorted(r["wall_s"] for r in mine)[len(mine) // 2],
            }
        across = {}
        ranks_done = sorted(firsts)
        for a, b in zip(ranks_done, ranks_done[1:]):
            d, where = largest_relative_difference(firsts[a], firsts[b])
            across[f"{a}-{b}"] = {"largest_relative_difference": d, "where": where}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\n{args.case.name}: {args.repeats} repeats per rank count")
    print("| ranks | completed | bitwise identical | largest relative difference | median wall s |")
    print("|---:|---:|---:|---:|---:|")
    for ranks, s in summary.items():
        print(f"| {ranks} | {s['completed']}/{s['repeats']} | {s['identical']}/{s['repeats']} | "
              f"{s['largest_relative_difference']:.2g} | {s['wall_s_median']:.1f} |")  # fmt: skip
    for pair, d in across.items():
        worst = d["largest_relative_difference"]
        print(f"across {pair} ranks: largest relative difference {worst:.2g} ({d['where']})")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        doc = {
            "case": str(args.case),
            "repeats": args.repeats,
            "ranks": args.ranks,
            "machine": {"node": platform.node(), "cpus": os.cpu_count()},
            "runs": runs,
            "summary": summary,
            "across_ranks": across,
        }
        (args.out / "repeatability.json").write_text(json.dumps(doc, indent=1))
        print(f"wrote {args.out / 'repeatability.json'}")
    ok = all(s["completed"] == s["repeats"] == s["identical"] for s in summary.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
