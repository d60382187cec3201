# %% [markdown]
# # Tutorial 2 — a stack-pressure sweep with a plain loop
#
# Li | LLZO after contact loss (`cases/li_llzo_pressure.toml`): the interface has lost its bond
# and its registry, so the current passes through plastic micro-contacts whose area fraction is
# φ = p/H_Li (docs/theory.md). The interfacial resistance is then ∝ 1/φ ∝ 1/p: on a log-log plot
# the ASR against the stack pressure has the slope −1.
#
# Nothing special is needed for a sweep: a Python loop over `case.with_(...)` and `api.run`.
# Run: `python docs/tutorials/02_pressure_sweep.py` (runs into `runs/tutorials`, or
# `SSBX_TUTORIAL_OUT`); the test suite runs it as it is (it is already fast: 3 short runs).

# %%
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from solver import api
from solver.config import load_case

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("SSBX_TUTORIAL_OUT", "runs/tutorials"))

# %% [markdown]
# ## The base case, one pressure per run
# The shipped case steps the pressure within one run; here each run holds one pressure: a hold
# that presses the surfaces together, then one current step.

# %%
base = load_case(ROOT / "cases" / "li_llzo_pressure.toml")
protocol = [
    {"kind": "hold", "duration": "1 s", "n_steps": 2},
    {"kind": "current", "duration": "1 s", "n_steps": 1},
]
pressures_MPa = [0.2, 0.5, 1.0]
asr = []
for p in pressures_MPa:
    case = base.with_(
        {"loading.stack_pressure": f"{p} MPa", "case.name": f"sweep_{p}MPa"},
        loading={"protocol": protocol},
    )
    res = api.run(case, OUT / "sweep" / f"p{p}", overwrite=True)
    asr.append(res.timeseries["asr_interfacial"].iloc[-1])
    print(f"p = {p:4.2f} MPa: interfacial ASR {asr[-1]:8.2f} Ohm cm^2")

# %% [markdown]
# ## The log-log slope
# A least-squares line through (log p, log ASR).

# %%
slope = np.polyfit(np.log(pressures_MPa), np.log(asr), 1)[0]
print(f"log-log slope of the interfacial ASR against p: {slope:.3f} (plastic micro-contacts: -1)")

fig = Figure(figsize=(5, 3.5), layout="constrained")
ax = fig.add_subplot()
ax.loglog(pressures_MPa, asr, "o-", label=f"FE, slope {slope:.2f}")
ax.loglog(pressures_MPa, asr[0] * pressures_MPa[0] / np.array(pressures_MPa), "k--", label="∝ 1/p")
ax.set_xlabel("stack pressure [MPa]")
ax.set_ylabel("interfacial ASR [Ohm cm²]")
ax.set_title("Li | LLZO after contact loss")
ax.legend()
fig.savefig(OUT / "pressure_sweep.png")
print("figure:", OUT / "pressure_sweep.png")
