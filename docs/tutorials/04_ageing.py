# %% [markdown]
# # Tutorial 4 — calendar ageing: a growing interphase relaxes a held stack
#
# A cathode | solid-electrolyte interphase (CEI) grows by diffusion through itself: its
# thickness follows the parabolic law
#
#     h(t)² − h0² = 2 Ω D(T) c∞ t        (docs/theory.md §7.1, eq. 7.1)
#
# (Ω = `ageing.sei_molar_volume` [m³/mol], c∞ = `ageing.sei_c_inf` [mol/m³], D = `ageing.sei_D`
# [m²/s] at `loading.T_ref`, moved to the cell temperature by Arrhenius with `ageing.sei_Ea`
# [J/mol]). The interphase is a compliant layer (modulus E' = `ageing.sei_E`) in series with
# the rest of the stack (compliance C_stack [m/Pa]). A cell clamped in a stiff housing holds its
# platen at a fixed displacement δ, so as the layer thickens the stack pressure relaxes:
#
#     p(t) = δ / (h(t)/E' + C_stack)     (eq. 7.6 with no growth strain)
#
# and the interface loses contact when p falls below p_min (`ageing.p_min`), at the time t*
# of eq. 7.3/7.7. `physics.ageing = true` grows h at every point of the interface inside the
# FE model (solver/physics/interphase.py, docs/theory.md §7.2a); `solver.reduced` has the
# closed forms (`sei_pressure_series`, `sei_time_to_contact_loss_series`). This tutorial runs
# one year at 45 °C and compares the two.
#
# Run: `python docs/tutorials/04_ageing.py` (into `runs/tutorials`, or `SSBX_TUTORIAL_OUT`).
# The stepper picks its own steps (at most `ageing.rtol` relative growth per step);
# `SSBX_TUTORIAL_FAST=1` (the test suite) allows 20 % per step instead of 5 %.

# %%
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from solver import api
from solver.config import case_from_dict
from solver.reduced import (
    sei_diffusivity,
    sei_pressure_series,
    sei_thickness,
    sei_time_to_contact_loss_series,
)

OUT = Path(os.environ.get("SSBX_TUTORIAL_OUT", "runs/tutorials"))
FAST = os.environ.get("SSBX_TUTORIAL_FAST") == "1"
YEAR = 365 * 86400.0  # s

# %% [markdown]
# ## The case
# A flat stack, 2D plane strain: 10 µm of NMC811 on 10 µm of LLZO between a fixed bottom and a
# platen, with roller sides (uniaxial strain). A 1 s hold moves the platen down by δ = 1 nm and
# keeps it there; a rest of one year follows. The thermal expansion is switched off
# (`alpha_th = 0`) so that 45 °C adds no thermal stress: the pressure moves by the interphase
# only. The interface's contact stiffness K_c is set so that the whole stack compliance is known
# in closed form.

# %%
DELTA = 1e-9  # m
T = 318.15  # K (45 °C)
raw = {
    "case": {"name": "calendar_ageing"},
    "geometry": {
        "family": "stack",
        "dim": 2,
        "W": "10 um",
        "t_e": "10 um",
        "t_s": ["10 um"],
        "t_c": 0,
        "t_counter": 0,
        "t_pad": 0,
        "h_max": "5 um",
    },
    "materials": {
        "electrode": {"preset": "NMC811", "alpha_th": 0.0},
        "electrolyte": {"preset": "LLZO", "alpha_th": 0.0},
    },
    "interface": {"h_sei0": "2 nm", "K_c": "1e17 Pa/m"},
    "loading": {
        "pressure_mode": "displacement",
        "temperature": f"{T} K",
        "protocol": [
            {"kind": "hold", "duration": "1 s", "n_steps": 1, "displacement": -DELTA},
            {"kind": "rest", "duration": "365 d", "n_steps": 1},
        ],
    },
    "physics": {"mechanics": True, "ageing": True, "electrochemistry": False},
    "ageing": {
        "sei_D": "1e-19 m^2/s",
        "sei_Ea": "50 kJ/mol",
        "sei_E": "1 GPa",
        "p_min": "3 MPa",
        "rtol": 0.2 if FAST else 0.05,
    },
    "output": {"fields": False},
}
case = case_from_dict(raw)
res = api.run(case, OUT / "calendar_ageing", overwrite=True)
df = res.timeseries
print(f"{res['steps']} adaptive steps over one year")

# %% [markdown]
# ## The closed form
# Every input comes from the resolved case (SI). The stack compliance of a laterally uniform
# stack with roller sides is Σ tᵢ/Mᵢ + 1/K_c, with M = E(1 − ν)/((1 + ν)(1 − 2ν)) the
# constrained (uniaxial-strain) modulus of each layer.

# %%
m, ag, itf = case.materials, case.ageing, case.interface


def constrained(mat):
    E, nu = mat["E"], mat["nu"]
    return E * (1 - nu) / ((1 + nu) * (1 - 2 * nu))


g = case.geometry
C_stack = g["t_e"] / constrained(m["electrode"]) + sum(g["t_s"]) / constrained(m["electrolyte"])
C_stack += 1.0 / itf["K_c"]
D = sei_diffusivity(T, ag["sei_D"], ag["sei_Ea"], case.loading["T_ref"])
law = dict(h0=itf["h_sei0"], Omega=ag["sei_molar_volume"], D=D, c_inf=ag["sei_c_inf"])
print(f"D(45 C) = {D:.3e} m^2/s, C_stack = {C_stack:.3e} m/Pa, E' = {ag['sei_E']:.2e} Pa")

t = df["time"].to_numpy()
h_cf = sei_thickness(t, **law)
p_cf = sei_pressure_series(t, ag["sei_E"], DELTA, C_stack, **law)
p_fe = df["interphase_pressure_min"].to_numpy()
h_fe = df["interphase_thickness_max"].to_numpy()
print(f"pressure: {p_fe[0] / 1e6:.3f} MPa after the hold -> {p_fe[-1] / 1e6:.3f} MPa after a year")
print(f"thickness after a year: FE {h_fe[-1] * 1e9:.1f} nm, closed form {h_cf[-1] * 1e9:.1f} nm")
print(f"largest relative pressure error over the run: {np.max(np.abs(p_fe / p_cf - 1)):.2e}")
print(f"largest relative thickness error over the run: {np.max(np.abs(h_fe / h_cf - 1)):.2e}")

t_star_fe = res["ageing"]["t_star"]
t_star_cf = float(sei_time_to_contact_loss_series(ag["sei_E"], DELTA, ag["p_min"], C_stack, **law))
err = abs(t_star_fe / t_star_cf - 1)
print(f"time to contact loss t*: FE {t_star_fe / 86400:.2f} d, closed form "
      f"{t_star_cf / 86400:.2f} d (relative difference {err:.2e})")  # fmt: skip

# %% [markdown]
# The interphase compliance h/E' starts at a few per cent of the stack's and ends several times
# larger: the pressure decays from ~10 MPa towards δE'/h (1.7 MPa after a year), and it
# crosses p_min = 3 MPa after about three months at 45 °C. The FE follows the closed form to
# the tolerance of its step control (t* is interpolated between accepted steps in log p–log
# t). The interphase resistance h/κ_sei adds to the ion path at the same time (column
# `interphase_resistance_mean`, Ω cm²).
# At 25 °C D is 3.5x smaller (E_a = 50 kJ/mol) and t* 3.5x longer: t* ∝ 1/D.

# %%
fig = Figure(figsize=(5, 3.5), layout="constrained")
ax = fig.add_subplot()
days = t / 86400
ax.semilogx(days[1:], p_fe[1:] / 1e6, "o", ms=3, label="FE (physics.ageing)")
ax.semilogx(days[1:], p_cf[1:] / 1e6, "k-", label="closed form (7.6)")
ax.axhline(ag["p_min"] / 1e6, color="r", ls=":", label="p_min")
ax.axvline(t_star_fe / 86400, color="r", ls="--", lw=0.8, label=f"t* = {t_star_fe / 86400:.0f} d")
ax.set_xlabel("time [d]")
ax.set_ylabel("interface pressure [MPa]")
ax.set_title("held platen, growing interphase, 45 °C")
ax.legend()
fig.savefig(OUT / "ageing_pressure.png")
print("figure:", OUT / "ageing_pressure.png")
