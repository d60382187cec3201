# %% [markdown]
# # Tutorial 1 — a first run
#
# A literate script (the "percent" format: open it in VS Code / Jupyter with jupytext, or run it
# with `python docs/tutorials/01_first_run.py`). It runs `cases/default.toml` — a 5 µm NMC811
# film on LLZO with a rough interface under 2 MPa, charged, rested and discharged — and looks
# at the result: the summary, the time series with units, the interface fields and the report.
#
# The test suite runs it (`tests/unit/test_tutorials.py`) with `SSBX_TUTORIAL_FAST=1`, which
# shortens the protocol to a few steps on a coarser interface mesh; without it the full case
# runs (~20 s on one core).
# `SSBX_TUTORIAL_OUT` sets where the runs go (default `runs/tutorials`).

# %%
import os
from pathlib import Path

import solver
from solver import api
from solver.config import load_case

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("SSBX_TUTORIAL_OUT", "runs/tutorials"))
FAST = os.environ.get("SSBX_TUTORIAL_FAST") == "1"

# %% [markdown]
# ## The case
# A case is a TOML file; `load_case` validates it and fills in every default (SI units).
# `case.with_` returns a modified copy (dotted keys, values with units) — here, in the fast
# mode of the tests only, a shorter charge and discharge.

# %%
case = load_case(ROOT / "cases" / "default.toml")
print(case.name, "| stack pressure:", case.loading["stack_pressure"], "Pa")
if FAST:
    case = case.with_(
        {
            "loading.protocol[1].duration": "20 s",
            "loading.protocol[1].n_steps": 1,
            "loading.protocol[3].duration": "20 s",
            "loading.protocol[3].n_steps": 1,
            "geometry.h_interface": "0.5 um",
        }
    )

# %% [markdown]
# ## Run it
# `api.run` writes the run directory (as `ssbx run` does) and returns the result: the summary
# as a dict, with the time series, the fields and a plot helper attached.

# %%
res = api.run(case, OUT / "first_run", overwrite=True)
print("status:", res["status"], "| steps:", res["steps"])
print(f"ASR: {res['asr_total_first']:.2f} -> {res['asr_total_last']:.2f} Ohm cm^2")
print(f"final debonded fraction: {res['final_debonded_fraction']:.3f}")

# %% [markdown]
# ## The time series
# A pandas DataFrame, one row per accepted step; the units of every column are in
# `df.attrs["units"]`.

# %%
df = res.timeseries
units = df.attrs["units"]
print(df[["time", "voltage", "asr_total", "contact_fraction"]].tail())
print("units:", {c: units[c] for c in ("time", "voltage", "asr_total")})
ax = res.plot("asr_total", "asr_interfacial")
ax.figure.savefig(OUT / "first_run_asr.png")

# %% [markdown]
# ## The interface fields
# By name and output time (the nearest output); each comes with its points and cells.

# %%
d = res.fields.get("decohesion")
print(
    f"decohesion on Γ_int at t = {d.time:g} s: max {d.values.max():.3f}, "
    f"{(d.values > 0.999).mean():.1%} of the interface points fully decohered"
)

# %% [markdown]
# ## The report and ParaView
# `ssbx report runs/tutorials/first_run` (or `ssbx run ... --report`) writes an HTML page with
# every plot; `pvpython runs/tutorials/first_run/fields/open.py` opens the fields in ParaView,
# coloured by the interface damage.

# %%
from solver.report import make_report  # noqa: E402

print("report:", make_report(res.run_dir))
# reload a finished run at any time:
again = solver.load(res.run_dir)
assert again["steps"] == res["steps"]
