# %% [markdown]
# # Tutorial 3 — stripping a Li-metal anode under stack pressure
#
# A Li | LLZO cell (`cases/bilayer_flat_li_llzo.toml`: 10 µm of Li on 20 µm of LLZO, a flat
# interface, 2D plane strain) is stripped galvanostatically: the current flows from the Li into
# the electrolyte, and every coulomb removes Li from the interface. By Faraday's law a current
# density j [A/m²] held for a time t [s] removes a layer of thickness
#
#     s = Ω_Li j t / F        (Ω_Li = 1.3e-5 m³/mol, the molar volume of Li; F = 96485 C/mol)
#
# (docs/theory.md §5.6, eq. 5.8): 1 mA/cm² for 30 min strips 2.43 µm. What happens to that
# thickness depends on the mechanics:
#
# 1. **a stack pressure (a traction on the cell)**: the electrolyte follows the receding Li,
#    the interface stays closed and the platen moves down by s;
# 2. **after contact loss**, the surfaces touch only at plastic micro-contacts of area fraction
#    φ = p/H_Li: the stripped thickness is the same, but the interfacial ASR is ∝ 1/p;
# 3. **a platen that does not follow** (displacement control, no pressure to push): a gap of
#    width s opens at the interface and the ion path closes as it grows.
#
# The outputs used here (time series columns, SI units unless stated): `top_displacement` [m]
# (the platen), `max_gap` [m] (the largest normal opening of Γ_int; < 0 means pressed
# together), `mean_pressure` [Pa] on Γ_int, `asr_interfacial` / `asr_total` [Ω cm²],
# `active_fraction` [-] (the conducting fraction of Γ_int), `charge_passed` [C per m of depth]
# and `li_balance_error` [-] (the Li inventory, −∫ s dΓ/Ω_Li, against the charge passed / F).
#
# Run: `python docs/tutorials/03_li_stripping.py` (into `runs/tutorials`, or
# `SSBX_TUTORIAL_OUT`). The mesh is coarse everywhere: the states are laterally uniform and
# linear elements represent them exactly. `SSBX_TUTORIAL_FAST=1` (the test suite) takes
# fewer steps and two pressures instead of three.

# %%
import os
from pathlib import Path

import numpy as np

from solver import api
from solver.config import load_case

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("SSBX_TUTORIAL_OUT", "runs/tutorials"))
FAST = os.environ.get("SSBX_TUTORIAL_FAST") == "1"

F = 96485.33212  # C/mol
base = load_case(ROOT / "cases" / "bilayer_flat_li_llzo.toml").with_(
    {"output.fields": False, "geometry.h_max": "5 um", "geometry.h_interface": "2 um"}
)
OMEGA = base.materials["electrode"]["molar_volume"]  # m³/mol
J = base.loading["current_density"]  # A/m² (10 A/m² = 1 mA/cm²)
W = base.geometry["W"]  # m: the width; the 2D charge is per metre of depth
print(f"Li molar volume {OMEGA:.3g} m^3/mol, current density {J * 0.1:g} mA/cm^2")


def strip(case, name, duration, n_steps, pressure=None):
    """One run: a 1 s hold that applies the stack pressure, then stripping at J."""
    protocol = [
        {"kind": "hold", "duration": "1 s", "n_steps": 1},
        {"kind": "current", "duration": duration, "n_steps": n_steps},
    ]
    change = {"case.name": name}
    if pressure is not None:
        change["loading.stack_pressure"] = pressure
    res = api.run(case.with_(change, loading={"protocol": protocol}), OUT / name, overwrite=True)
    df = res.timeseries
    return df.iloc[0], df.iloc[-1]


# %% [markdown]
# ## 1. A bonded interface under 2 MPa: the electrolyte follows
# The stack pressure is a traction on the electrolyte's top face, so nothing stops the
# electrolyte from following the Li as it thins. The mechanics sees the stripped thickness
# through a predictor (docs/theory.md §5.6): the first current step uses the rate of the step
# before it (zero after a hold), so the platen catches up from the second current step on —
# hence at least two steps.

# %%
t_strip = 1800.0  # s: 30 min
pressed, last = strip(base, "strip_bonded", "30 min", 2 if FAST else 3)
s_faraday = OMEGA * J * t_strip / F
descent = pressed["top_displacement"] - last["top_displacement"]
n_li = last["charge_passed"] / F  # mol per metre of depth
print(f"Faraday thickness s = Omega j t/F      : {s_faraday * 1e6:.4f} um")
print(f"platen descent during stripping         : {descent * 1e6:.4f} um")
print(f"largest gap on the interface            : {last['max_gap'] * 1e9:.2e} nm (< 0: closed)")
print(f"interface pressure                      : {last['mean_pressure'] / 1e6:.3f} MPa")
print(f"ASR total / interfacial                 : {last['asr_total']:.2f} / "
      f"{last['asr_interfacial']:.2f} Ohm cm^2")  # fmt: skip
print(f"Li stripped Q/F                         : {n_li * 1e6:.3f} umol per m of depth "
      f"= {n_li * OMEGA / W * 1e6:.4f} um over the width")  # fmt: skip
print(f"Li inventory balance error              : {last['li_balance_error']:.1e}")
print(f"bonded, 2 MPa: stripped thickness error: {abs(descent / s_faraday - 1):.1e}")
asr_bonded = last["asr_total"]

# %% [markdown]
# The bonded ASR does not move: the contact never changes. Its interfacial part, 24.7 Ω cm², is
# the Butler–Volmer charge transfer at j = i0 ((2RT/(F j)) asinh(1/2)); the total adds 4 Ω cm²
# of bulk LLZO (20 µm at 0.5 mS/cm). The Li inventory (the stripped
# thickness integrated over Γ_int, divided by Ω_Li) equals the charge passed over F to
# round-off.
#
# ## 2. After contact loss: the pressure sets the ASR, not the stripped thickness
# Now the interface has lost its bond and its registry (`[[interface.debonded]]`,
# `registry = false`, as in `cases/li_llzo_pressure.toml`). Pressed together, the surfaces touch
# at plastic Li micro-contacts of area fraction φ = p/H_Li (H_Li = 2.4 MPa, the `hardness` of
# the Li preset; docs/theory.md §4.8): the whole current passes through a fraction φ of the
# interface, at the local current density j/φ. With symmetric Butler–Volmer kinetics
# (α_a = α_c = 0.5, exchange current density i0 = 1 mA/cm²) the charge-transfer overpotential
# is η = (2RT/F) asinh(j/(2 φ i0)), so the interfacial ASR = η/j is
#
#     ASR_int ≈ (2RT/(F j)) asinh(j H_Li / (2 p i0))
#
# (the Holm constriction resistance of the spots, docs/theory.md §4.9, adds about 1 %). At small
# local current densities this is ∝ 1/p (tutorial 2); at 1 mA/cm² through a few per cent of
# the interface the kinetics is in its Tafel (logarithmic) branch, and the ASR falls more
# slowly than 1/p. Stripping goes on (a shorter 5 min, s = 0.40 µm); the electrolyte follows.

# %%
R_GAS = 8.314462618  # J/(mol K)
H_LI = base.materials["electrode"]["hardness"]  # Pa
I0 = base.interface["i0"]  # A/m²
T = base.loading["temperature"]  # K
debonded = base.with_(
    {"interface.asperity_radius": "1 um"},
    interface={"debonded": [{"shape": "all", "decohesion": 1.0, "registry": False}]},
)
t_short = 300.0
s_short = OMEGA * J * t_short / F
pressures = [0.2, 1.0] if FAST else [0.2, 0.5, 1.0]  # MPa
asr, asr_bv = [], []
for p in pressures:
    pressed, last = strip(debonded, f"strip_debonded_{p}MPa", "5 min", 2, pressure=f"{p} MPa")
    descent = pressed["top_displacement"] - last["top_displacement"]
    asr.append(last["asr_interfacial"])
    phi = p * 1e6 / H_LI
    asr_bv.append(2 * R_GAS * T / (F * J) * np.arcsinh(J / (2 * phi * I0)) * 1e4)  # Ohm cm²
    print(f"p = {p:3.1f} MPa: phi = p/H = {phi:.3f}, interfacial ASR {asr[-1]:7.2f} Ohm cm^2 "
          f"(Butler-Volmer at j/phi: {asr_bv[-1]:7.2f}, ratio {asr[-1] / asr_bv[-1]:.4f}); "
          f"descent {descent * 1e6:.4f} um, stripped thickness error: "
          f"{abs(descent / s_short - 1):.1e}")  # fmt: skip
slope = np.polyfit(np.log(pressures), np.log(asr), 1)[0]
print(f"log-log slope of the interfacial ASR against p: {slope:.3f} "
      f"(-1 at small j/phi; Tafel kinetics flattens it)")  # fmt: skip

# %% [markdown]
# Raising the stack pressure five-fold lowers the interfacial resistance of the micro-contacts
# by 2.5x here, within about 1 % of the Butler–Volmer estimate at the local current density;
# the stripped thickness does not depend on the pressure: Faraday's law holds at every one.
#
# ## 3. A platen that does not follow: the gap opens
# With `pressure_mode = "displacement"` and no platen displacement, nothing pushes the
# electrolyte after the Li: a gap of width s opens at the decohered interface. Ions cross only
# where the surfaces still touch: with g_open (here 1 µm, the height of the sub-grid
# asperities), the conducting fraction falls as 1 − 3x² + 2x³ with x = g/g_open (docs/theory.md
# §4.7, eq. 4.12), so the ASR climbs as the gap grows, and at g = g_open the contact is lost.

# %%
fixed = base.with_(
    {
        "loading.pressure_mode": "displacement",
        "interface.microcontact": "none",
        "interface.g_open": "1 um",
    },
    interface={"debonded": [{"shape": "all"}]},
)
pressed, last = strip(fixed, "strip_fixed_platen", "5 min", 2)
print(f"gap opened {last['max_gap'] * 1e6:.4f} um (Faraday {s_short * 1e6:.4f} um); "
      f"platen moved {last['top_displacement']:.1e} m; active fraction "
      f"{last['active_fraction']:.3f}; ASR total {last['asr_total']:.2f} Ohm cm^2 "
      f"(bonded: {asr_bonded:.2f})")  # fmt: skip
x = last["max_gap"] / 1e-6  # g/g_open
switch = 1 - 3 * x**2 + 2 * x**3
print(f"gap error: {abs(last['max_gap'] / s_short - 1):.1e}; active fraction "
      f"{last['active_fraction']:.6f}, 1 - 3x^2 + 2x^3 = {switch:.6f}")  # fmt: skip

# %% [markdown]
# In a real cell the fixed platen is a stiff cell housing, and this is the mechanism behind void
# formation on stripping: below a critical stack pressure the Li cannot creep fast enough to
# fill the space the current empties (Kasemchainan et al., Nat. Mater. 2019). Li creep
# (`physics.inelastic`, docs/theory.md §3.6) is off in these runs.
