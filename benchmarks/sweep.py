"""Sweep benchmark: the 27-case sweep of the default case on the local backend (issue 17).

3 stack pressures (1, 2, 5 MPa) x 3 current densities of its two current steps (0.5, 1, 2 mA/cm^2;
the charge step gets +j, the discharge step -j) x 3 interface toughnesses G_Ic (1, 2, 4 J/m^2)
of ``cases/default.toml`` (field output and preview off), run with ``ssbx sweep`` on the local
backend (``--jobs`` cases at once, default 2, one rank each), then ``ssbx sweep report`` (table,
plots). It then checks resumability: the sweep is started again with the last ``--kill-check``
cases' run directories removed, and must run only those, with the same summary metrics as the
first time (identical to 1e-12).

Writes ``<out>/sweep.json``: the total wall time of the sweep (target <= 15 min for the 27 cases
on two cores), of the report and of the resumed run, the cases completed and failed, the per-case
wall times, and the host. ``--quick`` runs 2 cases (1 pressure x 1 current density x 2 G_Ic)::

    python benchmarks/sweep.py --out bench-results            # 27 cases
    python benchmarks/sweep.py --quick --out bench-results    # 2 cases

Run it serially: it starts its own processes (not under mpirun).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FULL = {
    "pressure": ["1 MPa", "2 MPa", "5 MPa"],
    "current": ["0.5 mA/cm^2", "1 mA/cm^2", "2 mA/cm^2"],
    "G_Ic": ["1 J/m^2", "2 J/m^2", "4 J/m^2"],
}
QUICK = {"pressure": ["2 MPa"], "current": ["1 mA/cm^2"], "G_Ic": ["1 J/m^2", "4 J/m^2"]}


def sweep_text(values: dict) -> str:
    q = lambda xs: ", ".join(f'"{x}"' for x in xs)  # noqa: E731
    return f"""[sweep]
name = "default27"
case = "{ROOT / "cases" / "default.toml"}"
design = "grid"
metrics = ["final_contact_fraction", "final_debonded_fraction", "asr_total_last"]
set = {{ "output.fields" = false, "output.preview" = false }}

[[parameter]]
name = "stack_pressure"
key = "loading.stack_pressure"
values = [{q(values["pressure"])}]

[[parameter]]
name = "current_density"
keys = ["loading.protocol[1].current_density", "loading.protocol[3].current_density"]
factors = [1, -1]
values = [{q(values["current"])}]

[[parameter]]
name = "G_Ic"
key = "interface.G_Ic"
values = [{q(values["G_Ic"])}]
"""


def ssbx(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(ROOT), env.get("PYTHONPATH")) if x)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "solver.cli", *args], env=env, text=True,
                       capture_output=True)  # fmt: skip
    return r, time.perf_counter() - t0


def metrics(out: Path) -> dict:
    import pandas as pd

    df = pd.read_csv(out / "results.csv").set_index("case")
    cols = [c for c in df.columns if c.startswith("final") or c.startswith("asr")]
    cols = [c for c in cols if c not in ("final.wall_time",)]
    return {n: {c: df.loc[n, c] for c in cols} for n in df.index}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="bench-results")
    ap.add_argument("--quick", action="store_true", help="2 cases instead of 27")
    ap.add_argument("--jobs", type=int, default=2, help="cases at once (default 2)")
    ap.add_argument("--kill-check", type=int, default=2,
                    help="cases removed and resumed to check resumability (0: skip)")  # fmt: skip
    args = ap.parse_args()
    if int(os.environ.get("PMI_SIZE", os.environ.get("OMPI_COMM_WORLD_SIZE", "1"))) > 1:
        sys.exit("benchmarks/sweep.py: run it serially (it starts its own processes)")
    out_root = Path(args.out)
    out_root.mkdir(parents=True, exist_ok=True)
    work = out_root / ("sweep-quick" if args.quick else "sweep-27")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    sweep_file = work / "sweep.toml"
    sweep_file.write_text(sweep_text(QUICK if args.quick else FULL))
    out = work / "out"
    r, wall = ssbx("sweep", str(sweep_file), "-o", str(out), "--jobs", str(args.jobs))
    print(r.stdout, end="")
    if r.returncode not in (0, 1):
        sys.exit(f"ssbx sweep failed ({r.returncode}): {r.stderr}")
    rr, wall_report = ssbx("sweep", "report", str(out))
    print(rr.stdout, end="")
    first = metrics(out)
    state = json.loads((out / "sweep.json").read_text())
    names = [c["name"] for c in state["cases"]]
    resumed = None
    if args.kill_check:
        gone = names[-args.kill_check :]
        for n in gone:  # as if the sweep had been killed before these cases ran
            shutil.rmtree(out / "cases" / n)
            (out / "status" / f"{n}.json").unlink(missing_ok=True)
        r2, wall2 = ssbx("sweep", str(sweep_file), "-o", str(out), "--jobs", str(args.jobs))
        print(r2.stdout, end="")
        second = metrics(out)
        same = all(
            abs(first[n][c] - second[n][c]) <= 1e-12 * max(1.0, abs(first[n][c]))
            for n in names
            for c in first[n]
            if first[n][c] == first[n][c]
        )
        resumed = {
            "removed": gone,
            "ran": f"{len(gone)} to run" in r2.stdout,
            "wall_time_s": wall2,
            "identical_metrics": same,
        }
    import pandas as pd

    df = pd.read_csv(out / "results.csv")
    result = {
        "benchmark": "sweep",
        "quick": args.quick,
        "cases": len(df),
        "completed": int((df["status"] == "completed").sum()),
        "failed": int((df["status"] == "failed").sum()),
        "jobs": args.jobs,
        "total_wall_time_s": wall,
        "target_wall_time_s": 900.0,
        "report_wall_time_s": wall_report,
        "case_wall_time_s": dict(zip(df["case"], df["wall_time_s"].fillna(-1.0))),
        "resume": resumed,
        "host": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "machine": platform.machine(),
        },  # fmt: skip
        "sweep_dir": str(out),
    }
    path = out_root / ("sweep-quick.json" if args.quick else "sweep.json")
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"sweep benchmark: {result['completed']}/{result['cases']} completed in {wall:.1f} s "
          f"(target 900 s for 27 cases); resumed run identical: "
          f"{resumed and resumed['identical_metrics']}; {path}")  # fmt: skip
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
