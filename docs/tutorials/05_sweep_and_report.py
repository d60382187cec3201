# %% [markdown]
# # Tutorial 5 — a sweep from the command line, its report, and a run in Python
#
# Tutorial 2 swept the stack pressure with a Python loop. `ssbx sweep` does the same from a
# small TOML file, and adds what a loop does not: every case an ordinary run directory, a rerun
# that skips the completed cases, failed cases recorded without stopping the others, one table
# of inputs and results (`results.csv` / `.parquet`), and `ssbx sweep report` with the plots
# (README "Overrides and parameter sweeps"; every key in docs/case-format.md "Sweep files").
#
# The case is `cases/li_llzo_pressure.toml` (Li | LLZO after contact loss: the interfacial ASR
# is set by plastic micro-contacts of area fraction p/H_Li, tutorial 2), at three stack
# pressures. Here the commands run through `python -m solver.cli`, which is what the `ssbx`
# script calls; in a shell write `ssbx sweep ...`.
#
# Run: `python docs/tutorials/05_sweep_and_report.py` (into `runs/tutorials`, or
# `SSBX_TUTORIAL_OUT`); it is short as it is (three 5-step runs, two at a time).

# %%
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

import solver

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("SSBX_TUTORIAL_OUT", "runs/tutorials")).resolve()
OUT.mkdir(parents=True, exist_ok=True)


def ssbx(*args):
    """`ssbx ARGS` (prints its last lines)."""
    p = subprocess.run([sys.executable, "-m", "solver.cli", *map(str, args)], cwd=ROOT,
                       capture_output=True, text=True, check=True)  # fmt: skip
    print("\n".join(p.stdout.strip().splitlines()[-3:]))


# %% [markdown]
# ## The sweep file
# A grid over one parameter. The shipped case steps the pressure inside its protocol, so the
# parameter sets it in every protocol step (`loading.protocol[*].stack_pressure`) as well as
# the base value; `set` fixes keys of every case (no field output: the table is what we want).

# %%
sweep_file = OUT / "pressure_sweep.toml"
sweep_file.write_text(f"""
[sweep]
case = "{ROOT / "cases" / "li_llzo_pressure.toml"}"
design = "grid"
set = {{ "output.fields" = false }}
metrics = ["asr_total_last", "final.asr_interfacial", "final.contact_fraction"]

[[parameter]]
name = "stack_pressure"
keys = ["loading.stack_pressure", "loading.protocol[*].stack_pressure"]
values = ["0.2 MPa", "0.5 MPa", "1 MPa"]
""")
sweep_dir = OUT / "sweep_cli"
ssbx("sweep", sweep_file, "-o", sweep_dir, "--jobs", 2)

# %% [markdown]
# ## The table
# One row per case: the inputs in SI (Pa here), the status, and the summary metrics (Ω cm² for
# the ASRs).

# %%
table = pd.read_csv(sweep_dir / "results.csv")
cols = ["case", "stack_pressure", "status", "final.asr_interfacial", "asr_total_last"]
print(table[cols].to_string(index=False))

# %% [markdown]
# ## The sweep report and a single run's report
# `ssbx sweep report DIR` plots each metric against each parameter into `DIR/report/`;
# `ssbx report RUN_DIR` writes one run's HTML page (time series, interface profiles, the
# resolved inputs with units, the balance checks) into `RUN_DIR/report/index.html`.

# %%
ssbx("sweep", "report", sweep_dir)
print("sweep plots:", sorted(p.name for p in (sweep_dir / "report").glob("*.png")))
one = sorted((sweep_dir / "cases").iterdir())[0]
ssbx("report", one)
print("run report:", one / "report" / "index.html")

# %% [markdown]
# ## The same run in Python
# `solver.load(RUN_DIR)` returns the result object of `solver.api.run`: the summary as a dict,
# `.timeseries` (a pandas DataFrame; units in `.attrs["units"]`), `.fields` and `.plot(...)`.

# %%
res = solver.load(one)
df = res.timeseries
print(f"{one.name}: status {res['status']}, {res['steps']} steps, final interfacial ASR "
      f"{df['asr_interfacial'].iloc[-1]:.2f} {df.attrs['units']['asr_interfacial']}")  # fmt: skip
ax = res.plot("asr_interfacial")
ax.figure.savefig(OUT / "sweep_one_case.png")
