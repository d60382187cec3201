# %% [markdown]
# # Tutorial 6 — the impedance of a Li | LLZO interface before and after contact loss
#
# Impedance spectroscopy is how interfacial resistance is measured: a small AC voltage on top of
# the cell's state, the current answer at each frequency, Z(f) = δV/δI. ssbx computes it from
# the model itself (docs/theory.md §5.8): an `eis` step of the protocol linearises the
# potentials, the kinetics, the double layer (`interface.C_dl`, F per m² of touching surface)
# and the Li transport about the state reached, with the mechanics, contact and temperature
# frozen, and solves the complex system for every frequency. Each `eis` step writes
# `eis/eis_NN.csv` (frequency [Hz], Re Z, Im Z, |Z| [Ω·cm²], phase [deg]), a Nyquist and a Bode
# PNG, and an equivalent-circuit fit (the `impedance` package): R_bulk − (R_int ∥ C_int), with
# R in Ω·cm² and C in F/m² (`summary.json` → `eis`).
#
# The cell: 10 µm of Li on 20 µm of LLZO (`cases/bilayer_flat_li_llzo.toml`), flat, the
# interface decohered but touching (a closed crack), held by a platen that does not move. A
# stripping current empties the Li at the interface: a gap opens (Faraday's thickness
# s = Ω_Li j t/F), and with `g_open` = 1 µm (the height of the sub-grid asperities) the
# conducting fraction falls as f = 1 − 3x² + 2x³, x = g/g_open (docs/theory.md §4.7). One run
# takes a spectrum before and one after:
#
# 1. hold (the bonded-like state, f = 1) → `eis`;
# 2. strip at 1 mA/cm² for 5 min (g ≈ 0.4 µm, f ≈ 0.64), rest → `eis`.
#
# What to expect: the bulk resistance t_s/κ + t_e/σ_e does not move; the interfacial arc is the
# charge transfer of the touching part, R_ct/f with R_ct = RT/(F i0) (linearised
# Butler–Volmer at open circuit), and its capacitance C_dl f: the arc grows by 1/f, its apex
# frequency 1/(2π R_ct C_dl) stays. The impedance sees contact loss as a bigger arc at the same
# characteristic frequency.
#
# Run: `python docs/tutorials/06_impedance.py` (into `runs/tutorials`, or `SSBX_TUTORIAL_OUT`);
# `SSBX_TUTORIAL_FAST=1` (the test suite) takes fewer frequencies. The same from the command
# line: `ssbx run case.toml` with the `eis` steps in the protocol, or `ssbx eis case.toml -o DIR
# --f-min 1Hz --f-max 10MHz`, which runs the protocol and adds one spectrum at the end.

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from solver import api
from solver.config import load_case

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("SSBX_TUTORIAL_OUT", "runs/tutorials"))
FAST = os.environ.get("SSBX_TUTORIAL_FAST") == "1"
F, R_GAS = 96485.33212, 8.314462618

EIS = {"kind": "eis", "f_min": "1 Hz", "f_max": "10 MHz", "points_per_decade": 4 if FAST else 8}
protocol = [
    {"kind": "hold", "duration": "1 s", "n_steps": 1},
    EIS,
    {"kind": "current", "duration": "5 min", "n_steps": 2},
    {"kind": "rest", "duration": "1 s", "n_steps": 1},
    EIS,
]
case = load_case(ROOT / "cases" / "bilayer_flat_li_llzo.toml").with_(
    {
        "case.name": "impedance",
        "output.fields": False,
        "geometry.h_max": "5 um",
        "loading.pressure_mode": "displacement",
        "interface.microcontact": "none",
        "interface.g_open": "1 um",
        "interface.C_dl": "10 uF/cm^2",
    },
    interface={"debonded": [{"shape": "all"}]},
    loading={"protocol": protocol},
)
res = api.run(case, OUT / "impedance", overwrite=True)
before, after = res["eis"]
print(f"status: {res['status']}; spectra at t = {before['time']:g} s and {after['time']:g} s")

# %% [markdown]
# ## The spectra
# Each CSV is one spectrum, highest frequency first. Z is normalised by the apparent area
# (Ω·cm², like the ASR of the time series).

# %%
spectra = {}
for label, e in (("before", before), ("after", after)):
    df = pd.read_csv(OUT / "impedance" / "eis" / e["files"]["csv"])
    spectra[label] = df
    print(f"{label}: {len(df)} frequencies from {df.iloc[-1, 0]:g} to {df.iloc[0, 0]:g} Hz; "
          f"Re Z from {df.iloc[0, 1]:.3f} to {df.iloc[-1, 1]:.3f} Ohm cm^2")  # fmt: skip

fig, ax = plt.subplots(figsize=(6, 4))
for label, df in spectra.items():
    ax.plot(df["Re Z [Ohm cm^2]"], -df["Im Z [Ohm cm^2]"], "o-", ms=3, label=label)
ax.set_xlabel("Re Z [Ω·cm²]")
ax.set_ylabel("−Im Z [Ω·cm²]")
ax.set_aspect("equal", adjustable="datalim")
ax.legend(title="contact loss")
fig.tight_layout()
fig.savefig(OUT / "impedance_nyquist.png", dpi=120)
print(f"Nyquist plot: {OUT / 'impedance_nyquist.png'}")

# %% [markdown]
# ## What changed, against the closed forms
# The conducting fraction f of the state after stripping is in the time series
# (`active_fraction`, the row of the rest step: the state the second spectrum linearises). The
# bulk: t_s/κ_LLZO + t_e/σ_Li from the materials; the charge transfer: RT/(F i0).

# %%
ts = res.timeseries
f_after = float(ts["active_fraction"].iloc[-1])
gap = float(ts["max_gap"].iloc[-1])
m, g, itf = case.materials, case.geometry, case.interface
T = case.loading["temperature"]
R_bulk = (g["t_s"] / m["electrolyte"]["kappa"] + g["t_e"] / m["electrode"]["sigma_e"]) * 1e4
R_ct = R_GAS * T / (F * itf["i0"]) * 1e4  # Ω·cm² (α_a + α_c = 1)
C_dl = itf["C_dl"]  # F/m²
print(f"gap {gap * 1e6:.3f} um, conducting fraction f = {f_after:.4f}")
for label, e, f in (("before", before, 1.0), ("after", after, f_after)):
    fit = e["fit"]
    print(f"{label}: R_bulk {fit['R_bulk']:.4f} Ohm cm^2 (closed form {R_bulk:.4f}); R_int "
          f"{fit['R_int']:.4f} Ohm cm^2 (R_ct/f {R_ct / f:.4f}); C_int {fit['C_int']:.5f} F/m^2 "
          f"(C_dl f {C_dl * f:.5f})")  # fmt: skip
ratio = after["fit"]["R_int"] / before["fit"]["R_int"]
apex = [1 / (2 * np.pi * e["fit"]["R_int"] * 1e-4 * e["fit"]["C_int"]) for e in (before, after)]
print(f"arc growth R_int(after)/R_int(before) = {ratio:.4f}, 1/f = {1 / f_after:.4f}")
print(f"apex frequency 1/(2 pi R_int C_int): before {apex[0]:.1f} Hz, after {apex[1]:.1f} Hz, "
      f"1/(2 pi R_ct C_dl) = {1 / (2 * np.pi * R_ct * 1e-4 * C_dl):.1f} Hz")  # fmt: skip

# %% [markdown]
# The arc grew by 1/f and kept its apex frequency: contact loss shrinks the area that carries
# the charge transfer and the double layer alike. The bulk intercept did not move — here the
# open part is uniform (the gap is the same everywhere), so the current does not crowd; with a
# patchy loss of contact (a debonded patch, a rough interface) the current crowds at the patch
# edges and the high-frequency intercept grows too (tests/verification/test_impedance.py
# checks that case against the DC resistance of the nonlinear model). In the limit f → 0 the
# interface is lost and the arc diverges.
