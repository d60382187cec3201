"""The case file: schema, unit conversion, validation and the resolved :class:`Case`.

    case = load_case("cases/default.toml")
    case.geometry["t_e"]             # SI float
    case.materials["electrolyte"]    # full property dict (preset values merged with overrides)
    print(format_case(case))         # what ``ssbx check`` prints
    text = case.to_toml()            # resolved case; load_case reads it back identically

Every problem in a case is collected and raised together as one :class:`~solver.errors.ConfigError`
with one line per problem, each naming the key (``materials.electrode.nu: got 0.5, allowed
(-1, 0.5)``). The key table lives in ``docs/case-format.md``; this module must stay importable
without DOLFINx (``ssbx check`` is fast).
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import os
import re
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solver import materials as M
from solver.errors import ConfigError
from solver.meshes_bridge import FAMILIES, MAX_LENGTH, GeometryError, Param, family_module
from solver.units import UnitError, example_unit, format_si, si_unit, to_si

# --------------------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Key:
    """One case-file key. kind: float (a quantity of ``dim``), int, bool, choice, text, path."""

    default: Any
    kind: str = "float"
    dim: str = "dimensionless"
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple = ()
    doc: str = ""

    def range_text(self) -> str:
        if self.kind == "choice" or (self.kind == "int" and self.choices):
            return "one of " + ", ".join(_show(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("text", "path"):
            return "a string"
        lb = "(" if (self.lo is None or self.lo_open) else "["
        rb = ")" if (self.hi is None or self.hi_open) else "]"
        lo = "-inf" if self.lo is None else f"{self.lo:g}"
        hi = "inf" if self.hi is None else f"{self.hi:g}"
        text = f"{lb}{lo}, {hi}{rb}"
        if self.kind == "int":
            return f"an integer in {text}"
        unit = si_unit(self.dim)
        return f"{text} {unit}".rstrip()

    def in_range(self, v: float) -> bool:
        bad_lo = self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo)
        bad_hi = self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi)
        return not (bad_lo or bad_hi)


def _f(default, dim="dimensionless", lo=None, hi=None, lo_open=False, hi_open=False, doc=""):
    return Key(default, "float", dim, lo, hi, lo_open, hi_open, doc=doc)


def _pos(default, dim, doc=""):
    return Key(default, "float", dim, 0.0, None, True, doc=doc)


def _nonneg(default, dim, doc=""):
    return Key(default, "float", dim, 0.0, None, False, doc=doc)


def _int(default, lo=None, hi=None, choices=(), doc=""):
    return Key(default, "int", lo=lo, hi=hi, choices=choices, doc=doc)


def _bool(default, doc=""):
    return Key(default, "bool", doc=doc)


def _choice(default, choices, doc=""):
    return Key(default, "choice", choices=tuple(choices), doc=doc)


def _text(default, doc=""):
    return Key(default, "text", doc=doc)


SECTION_ORDER = (
    "case",
    "geometry",
    "materials",
    "interface",
    "loading",
    "physics",
    "ageing",
    "thermal",
    "solver",
    "output",
)

# Keys whose default depends on other keys are given as None here and filled in _resolve.
SCHEMA: dict[str, dict[str, Key]] = {
    "case": {
        "name": _text(None, "run name (default: the case file's stem)"),
        "description": _text("", "free text"),
    },
    "geometry": {
        "family": _choice("bilayer", FAMILIES, "geometry family (meshes.<family>)"),
        "dim": _int(2, choices=(2, 3), doc="spatial dimension"),
        "axisymmetric": _bool(False, "2D axisymmetric (r, z); needs dim = 2"),
        "mesh_file": Key(None, "path", doc="use this .msh instead of building the geometry"),
    },
    "interface": {
        "law": _choice("bilinear", ("bilinear", "exponential"), "cohesive softening law"),
        "K_n": _pos(
            None,
            "stiffness/area",
            "initial normal cohesive stiffness (default penalty·E_min/ℓ, ℓ the stiffness length)",
        ),
        "K_t": _pos(None, "stiffness/area", "initial tangential cohesive stiffness (default K_n)"),
        "K_c": _pos(
            None, "stiffness/area", "contact penalty stiffness (default max(K_n, penalty·E_max/ℓ))"
        ),
        "sigma_c": _pos(20e6, "pressure", "normal cohesive strength"),
        "tau_c": _pos(30e6, "pressure", "shear cohesive strength"),
        "G_Ic": _pos(1.0, "energy/area", "mode I toughness"),
        "G_IIc": _pos(3.0, "energy/area", "mode II toughness"),
        "bk_eta": _pos(2.0, "dimensionless", "Benzeggagh-Kenane exponent"),
        "friction": _nonneg(0.0, "dimensionless", "Coulomb friction on debonded contact"),
        "penalty": _pos(
            1e3,
            "dimensionless",
            "stiffness factor α of the default K_n, K_t, K_c = α E/ℓ (ℓ: the shortest physical "
            "length of the geometry; outputs are in the stiff limit for α >= 100)",
        ),
        "viscosity": _nonneg(0.0, "time", "viscous regularisation time of the damage (0: off)"),
        "g_open": _pos(
            1e-9,
            "length",
            "gap at which decohered surfaces stop touching (sub-grid peak-to-valley roughness)",
        ),
        "registry_length": _nonneg(
            None,
            "length",
            "offset (opening or slip) over which decohered surfaces lose their registry "
            "(lateral correlation length of the sub-grid roughness; default asperity_radius; "
            "0: a decohered interface conducts through micro-contacts only)",
        ),
        "microcontact": _choice(
            "plastic",
            ("plastic", "hertz", "jkr", "none"),
            "micro-contact law of decohered, pressed contact without registry",
        ),
        "asperity_radius": _pos(
            1e-6, "length", "plastic micro-contact spot radius a / Hertz-JKR asperity radius R"
        ),
        "asperity_spacing": _pos(
            None, "length", "asperity array spacing (Hertz/JKR; default 10 a)"
        ),
        "constriction": _bool(True, "add the micro-contact constriction resistance r_con"),
        "work_of_adhesion": _nonneg(0.2, "energy/area", "JKR work of adhesion W"),
        "kinetics": _choice("butler_volmer", ("butler_volmer", "linear"), "charge transfer"),
        "i0": _pos(10.0, "current density", "exchange current density (at loading.T_ref)"),
        "i0_dependence": _choice(
            "constant",
            ("constant", "concentration"),
            "i0 constant, or i0 = k c^alpha_c (c_max − c)^alpha_a with i0 its value at "
            "c = c_max/2 (an intercalation electrode's lithiation c; c_init without transport)",
        ),
        "Ea_i0": _nonneg(0.0, "energy/mol", "Arrhenius activation energy of i0"),
        "alpha_a": _f(0.5, lo=0.0, hi=1.0, lo_open=True, hi_open=True, doc="anodic transfer"),
        "alpha_c": _f(0.5, lo=0.0, hi=1.0, lo_open=True, hi_open=True, doc="cathodic transfer"),
        "R_ct": _pos(None, "area-specific resistance", "linear-kinetics resistance"),
        "C_dl": _nonneg(
            0.1,
            "capacitance/area",
            "double-layer capacitance of Γ_int per m² of touching surface (weighted by the "
            "active fraction); acts in the small-signal response: 'eis' protocol steps and "
            "ssbx eis (docs/theory.md §5.8)",
        ),
        "h_sei0": _nonneg(0.0, "length", "initial interphase thickness"),
        "kappa_sei": _pos(1e-6, "conductivity", "interphase ionic conductivity"),
        "bonded_layers": _bool(
            True,
            "electrolyte|electrolyte layer boundaries perfectly bonded (false is refused: those "
            "boundaries have no interface law, the layers would not touch)",
        ),
    },
    "loading": {
        "stack_pressure": _nonneg(1e6, "pressure", "applied stack pressure"),
        "pressure_mode": _choice(
            "traction",
            ("traction", "displacement"),
            "traction on top, or a prescribed displacement through the pad",
        ),
        "pad_strain": _f(
            0.05,
            lo=0.0,
            hi=1.0,
            hi_open=True,
            doc="pad compressive strain ε0 (needs a pad): in displacement mode the platen "
            "displacement of a step without `displacement` is −ε0 t_pad; also the strain of the "
            "screen's SLS pad relaxation",
        ),
        "temperature": _pos(298.15, "temperature", "initial / uniform temperature"),
        "T_ref": _pos(298.15, "temperature", "stress-free temperature"),
        "current_density": _f(10.0, "current density", doc="applied current density j_app"),
        "lateral": _choice("roller", ("roller", "free"), "side faces: rollers or traction-free"),
        "bottom": _choice(
            "roller", ("roller", "clamped", "free"), "collector face: roller, clamped or free"
        ),
        "counter_boundary": _choice(
            "auto",
            ("auto", "top", "right"),
            "where φ_s = 0 (the counter electrode): auto = counter interface, else the top face",
        ),
    },
    "physics": {
        "mechanics": _bool(True, "elasticity with the interface law"),
        "electrochemistry": _bool(False, "potentials and interface kinetics"),
        "transport": _bool(False, "Li diffusion in the electrode"),
        "thermal": _bool(False, "heat equation"),
        "ageing": _bool(
            False,
            "the slow routes to contact loss (needs mechanics): interphase growth on Gamma_int "
            "(with ageing.sei_D: thickness history per interface point, its resistance in the "
            "ion path, its compliance and growth strain in series with the stack; t*) and the "
            "stress relaxation of every material with a relaxation spectrum (E1, E2, tau or "
            "prony_E1..3, e.g. the polymer_pad; t*_pad at ageing.p_c); calendar steps on both",
        ),
        "degree": _int(1, choices=(1, 2), doc="Lagrange degree of the fields"),
        "inelastic": _bool(
            False,
            "rate-dependent inelastic strains of the materials that have them: Norton creep "
            "(creep_A, creep_n, creep_Q, creep_threshold) and viscoelastic relaxation (E1, E2, "
            "tau or prony_E1..3, prony_tau1..3; Ea_tau or wlf_C1, wlf_C2); needs mechanics",
        ),
    },
    # [ageing]: the interphase keys act in the FE model with physics.ageing = true (docs/theory.md
    # §7) and in `ssbx screen`; stack_displacement and p_c are screen-only.
    "ageing": {
        "sei_D": _pos(
            1e-19, "diffusivity", "interphase growth diffusivity at loading.T_ref (FE and screen)"
        ),
        "sei_Ea": _nonneg(
            0.0,
            "energy/mol",
            "Arrhenius activation energy of sei_D (FE: the local interface temperature; screen: "
            "loading.temperature)",
        ),
        "sei_molar_volume": _pos(1e-5, "molar volume", "Ω of the interphase (FE and screen)"),
        "sei_c_inf": _pos(1e3, "concentration", "reactant concentration c∞ (FE and screen)"),
        "sei_E": _pos(
            10e9,
            "pressure",
            "interphase modulus E' (FE: its compliance h/E' in series with the stack; screen)",
        ),
        "sei_growth_strain": _f(
            0.0,
            lo=-1.0,
            hi=1.0,
            lo_open=True,
            hi_open=True,
            doc="growth eigenstrain β of the interphase (FE, physics.ageing): the product's "
            "stress-free thickness exceeds the consumed material's by β Δh (β > 0 expands and "
            "raises the pressure, β < 0 shrinks and relieves it)",
        ),
        "rtol": _f(
            0.05,
            lo=0.0,
            hi=1.0,
            lo_open=True,
            doc="adaptive time steps of physics.ageing: the largest relative interphase growth "
            "Δh/(h + h_floor) per step (a step that grows more is cut back)",
        ),
        "stack_displacement": _pos(
            1e-9, "length", "screen-only: fixed stack displacement δ carried by the interphase"
        ),
        "p_min": _pos(
            0.1e6,
            "pressure",
            "interface pressure below which contact is lost (FE: t* of physics.ageing, the first "
            "time the Gamma_int pressure falls below it; screen: t_star_interphase)",
        ),
        "p_c": _pos(
            0.1e6,
            "pressure",
            "critical pad pressure of the pad relaxation (FE with physics.ageing: t*_pad, the "
            "first time the mean Gamma_int pressure falls below it; screen: t_star_pad); needs a "
            "pad with E1, E2, tau",
        ),
    },
    "thermal": {
        "h_conv": _nonneg(
            10.0, "heat transfer coefficient", "convective coefficient of the top/bottom faces"
        ),
        "top": _choice(
            "convective",
            ("convective", "fixed", "insulated"),
            "top face: h_conv, T_ambient or none",
        ),
        "bottom": _choice(
            "convective",
            ("convective", "fixed", "insulated"),
            "bottom face: h_conv, T_ambient or none",
        ),
        "h_bonded": _pos(
            1e9, "heat transfer coefficient", "thermal conductance of the bonded Γ_int (Kapitza)"
        ),
        "h_gap": _nonneg(
            0.0, "heat transfer coefficient", "thermal conductance of an open gap (gas, radiation)"
        ),
        "tau_shrink": _pos(
            None, "time", "contact-shrink time τ_s of the thermally softened contact (unset: off)"
        ),
        "tau_recover": _pos(1.0, "time", "pressure-driven recovery time τ_r of the contact"),
        "T_limit": _pos(453.65, "temperature", "runaway threshold: the run stops above it"),
        "retention_min": _f(
            0.1,
            lo=0.0,
            hi=1.0,
            lo_open=True,
            hi_open=True,
            doc="contact loss: the run stops when the contact retention falls below it",
        ),
        "T_ambient": _pos(None, "temperature", "ambient temperature (default loading.temperature)"),
        "T_top": _pos(
            None,
            "temperature",
            "temperature of a 'fixed' top face (a heater or cold plate; default: the ambient "
            "temperature, following the protocol)",
        ),
        "T_bottom": _pos(
            None, "temperature", "temperature of a 'fixed' bottom face (as T_top; default ambient)"
        ),
        "Ea_soft": _nonneg(30e3, "energy/mol", "activation energy of contact softening (creep)"),
    },
    "solver": {
        "max_newton_iterations": _int(25, lo=1, hi=1000),
        "rtol": _f(
            None,
            lo=0.0,
            hi=1.0,
            lo_open=True,
            hi_open=True,
            doc="refused: Newton converges on a per-field update test, not on a residual rtol",
        ),
        "atol": _f(
            None,
            lo=0.0,
            hi=1.0,
            lo_open=True,
            hi_open=True,
            doc="refused: Newton converges on a per-field update test, not on a residual atol",
        ),
        "max_cuts": _int(8, lo=0, hi=50, doc="step cut-backs before giving up"),
        "linear_solver": _choice(
            "auto",
            ("auto", "direct", "iterative"),
            "linear solver of the Newton steps: direct (MUMPS LU), iterative (FGMRES + the "
            "physics fieldsplit with the auxiliary-space mechanics preconditioner; "
            "solver/precond.py) or auto (iterative from 5e4 unknowns in 3D and 3e5 in 2D on, "
            "direct below)",
        ),
        "max_strain": _f(
            0.1,
            lo=0.0,
            hi=1.0,
            lo_open=True,
            doc="largest principal strain of the bulk above which summary.json flags the result "
            "(small-strain theory beyond its range; solver.plausibility); a strain above 1 or an "
            "interpenetration beyond the layer thickness stops the run",
        ),
        "contact_lost_fraction": _f(
            0.05,
            lo=0.0,
            hi=1.0,
            hi_open=True,
            doc="named stop 'contact lost' of a run with mechanics and electrochemistry: when an "
            "accepted step that carries a current (a current step with current_density != 0, or "
            "a voltage step) leaves the contact fraction of Gamma_int (bonded, or decohered and "
            "closed: the time-series column contact_fraction) below it, the run stops there "
            "(summary.json: stop_reason 'contact_lost', exit 0, last state written); 0 switches "
            "it off",
        ),
        "min_step": _f(
            1e-6,
            lo=0.0,
            hi=1.0,
            lo_open=True,
            doc="floor on the step: a cut that would take the increment below this fraction of "
            "the segment's nominal increment stops the run (exit 3, last good state written)",
        ),
        "max_consecutive_cuts": _int(
            100,
            lo=0,
            hi=100000,
            doc="step cut-backs since the last step accepted at the full nominal increment, "
            "counted across accepted steps (a new segment starts afresh); one more stops the "
            "run (exit 3, last good state written)",
        ),
        "max_cells": _f(
            5e6,
            lo=1.0,
            hi=1e10,
            doc="largest mesh accepted: a built geometry whose estimated cell count (from the "
            "sizes, before meshing: meshes.common.estimate_cells, an upper estimate) exceeds it "
            "is refused before any work (the shipped cases need <= 2e5)",
        ),
        "path_following": _choice(
            "none",
            ("none", "dissipation"),
            "path following through softening in the load-factor segments of a mechanics-only "
            "run with [[loading.boundary]] loads: 'dissipation' (energy-release control, "
            "Gutiérrez 2004: after the first step that dissipates, λ is an unknown and every "
            "step dissipates a set energy, so limit points and snap-backs are followed; the "
            "step's dissipation adapts to the Newton iterations and max_decohesion_increment) "
            "or 'none' (load control)",
        ),
        "max_decohesion_increment": _f(
            0.05,
            lo=0.0,
            hi=1.0,
            lo_open=True,
            doc="largest decohesion increment ΔD per step at any interface point; a larger "
            "step is cut (1: no control)",
        ),
    },
    "output": {
        "directory": Key(None, "path", doc="run directory (default runs/<name>; -o overrides)"),
        "fields": _bool(True, "write fields/ for ParaView"),
        "format": _choice(
            "pvd",
            ("pvd", "xdmf", "vtx"),
            "field format: pvd (<region>.pvd time index + one .vtu per output step, every array "
            "of a region in one grid, readable after a kill at any moment, and fields/open.py "
            "for pvpython), xdmf (<region>.xdmf + .h5, one block per function; a killed run "
            "leaves the .h5 unreadable) or vtx (ADIOS2 "
            "<region>.bp folders, BP4; Debian's ParaView 5.11 cannot read .bp, a newer ParaView "
            "built with ADIOS2 can)",
        ),
        "every": _int(
            1,
            lo=1,
            doc="write fields at every N-th accepted step, and always at the last accepted one "
            "(also when the run ends early or fails)",
        ),
        "preview": _bool(True, "write mesh.png (the mesh coloured by cell tag) into the run dir"),
        "checkpoint_every": _int(
            0,
            lo=0,
            doc="write a checkpoint (checkpoint/checkpoint.npz: all state, for ssbx run --resume) "
            "every N accepted steps (0: by checkpoint_interval only)",
        ),
        "checkpoint_interval": _nonneg(
            1800.0,
            "time",
            "write a checkpoint after the first accepted step that ends at least this much wall "
            "time after the last one (default 30 min; 0: by checkpoint_every only)",
        ),
    },
}
# Keys handled outside SCHEMA (tables / arrays).
_SPECIAL = {
    "loading": ("protocol", "boundary", "experiment"),
    "solver": ("petsc_options",),
    "interface": ("debonded", "initial_gap"),
}

# [[interface.debonded]]: regions of Γ_int decohered before the first step (manufacturing voids,
# delaminated patches, pre-cracks), in the interface coordinates x (2D; r when axisymmetric) or
# (x, y) (3D). docs/theory.md §4 (initial state).
DEBONDED_SHAPES = ("all", "interval", "box", "disk", "random")
DEBONDED_SCHEMA: dict[str, Key] = {
    "shape": _choice(None, DEBONDED_SHAPES, "region shape"),
    "x": Key(None, "floats", "length", doc="[x0, x1] (interval, box)"),
    "y": Key(None, "floats", "length", doc="[y0, y1] (box, 3D)"),
    "centre": Key(None, "floats", "length", doc="[x] (2D) or [x, y] (3D) (disk)"),
    "radius": _pos(None, "length", "disk radius"),
    "fraction": _f(
        None, lo=0.0, hi=1.0, lo_open=True, hi_open=True, doc="decohered area fraction (random)"
    ),
    "seed": _int(0, lo=0, doc="random seed (random)"),
    "correlation_length": _pos(None, "length", "patch size of the random field (random)"),
    "decohesion": _f(
        1.0, lo=0.0, hi=1.0, lo_open=True, doc="decohesion D (dissipated fraction) in the region"
    ),
    "registry": _bool(
        False, "whether the decohered surfaces still mate (true) or touch at asperities only"
    ),
}
_DEBONDED_KEYS = {
    "all": ("shape", "decohesion", "registry"),
    "interval": ("shape", "x", "decohesion", "registry"),
    "box": ("shape", "x", "y", "decohesion", "registry"),
    "disk": ("shape", "centre", "radius", "decohesion", "registry"),
    "random": ("shape", "fraction", "seed", "correlation_length", "decohesion", "registry"),
}

# [[loading.boundary]]: prescribed displacements, tractions or forces on a tagged face (or a
# displacement at the mesh vertex nearest a point), scaled by the protocol's load_factor.
BOUNDARY_FACES = ("bottom", "top", "left", "right", "front", "back", "free")
BOUNDARY_SCHEMA: dict[str, Key] = {
    "face": _choice(None, BOUNDARY_FACES, "the tagged outer face"),
    "point": Key(None, "floats", "length", doc="instead of a face: the vertex nearest [x, y(, z)]"),
    "region": _text(None, "the material role whose side of the face is loaded (default: all)"),
    **{f"u{c}": _f(None, "length", doc=f"prescribed displacement u_{c}") for c in "xyz"},
    **{f"t{c}": _f(None, "pressure", doc=f"traction t_{c} (faces)") for c in "xyz"},
    **{
        f"f{c}": _f(None, "force", doc=f"total force F_{c} spread uniformly (N; N/m in 2D)")
        for c in "xyz"
    },
}

# [interface.initial_gap]: an initial normal gap g0(x) added to g_n (a curved body on a flat one,
# a measured profile). docs/theory.md §4.12.
GAP_SHAPES = ("sphere", "cylinder", "csv")
GAP_SCHEMA: dict[str, Key] = {
    "shape": _choice(None, GAP_SHAPES, "gap profile"),
    "radius": _pos(None, "length", "radius R: g0 = r²/(2R) (sphere; cylinder: r = x − x0)"),
    "centre": Key(None, "floats", "length", doc="apex [x] (2D) or [x, y] (3D); default 0"),
    "file": Key(None, "path", doc="CSV of (x, g0) (2D) or (x, y, g0) (3D) rows, metres"),
}
_GAP_KEYS = {
    "sphere": ("shape", "radius", "centre"),
    "cylinder": ("shape", "radius", "centre"),
    "csv": ("shape", "file"),
}

STEP_KINDS = ("hold", "lithiate", "current", "voltage", "rest", "cycle", "eis")
STEP_SCHEMA: dict[str, Key] = {
    "kind": _choice(None, STEP_KINDS, "step type"),
    "duration": _pos(None, "time", "step duration (required)"),
    "n_steps": _int(10, lo=1, hi=100000, doc="number of time/load increments"),
    "stack_pressure": _nonneg(None, "pressure", "stack pressure, ramped linearly over the step"),
    "temperature": _pos(None, "temperature", "temperature at the end of the step"),
    "current_density": _f(None, "current density", doc="applied current density"),
    "V_min": _f(None, "voltage", doc="lower cut-off voltage (ends the step)"),
    "V_max": _f(None, "voltage", doc="upper cut-off voltage (ends the step)"),
    "voltage": _f(None, "voltage", doc="applied cell voltage"),
    "current_cutoff": _pos(
        None,
        "current density",
        "a 'voltage' step ends when |j| falls to it (located to 1e-4 relative; CC-CV)",
    ),
    "repeat": _int(
        1,
        lo=1,
        hi=100000,
        doc="a 'cycle' step: how many times its [[loading.protocol.steps]] run",
    ),
    "soc": _f(None, lo=0.0, hi=1.0, doc="electrode state of charge c/c_max at the end"),
    "displacement": _f(None, "length", doc="top-face displacement at the end (displacement mode)"),
    "load_factor": _f(
        None,
        doc="factor on the [[loading.boundary]] values at the end of the step, ramped linearly "
        "from the previous step's (0 at the start; default 1)",
    ),
    "f_min": _pos(
        0.01, "frequency", "an 'eis' step: the lowest frequency of the impedance spectrum"
    ),
    "f_max": _pos(
        1e6, "frequency", "an 'eis' step: the highest frequency of the impedance spectrum"
    ),
    "points_per_decade": _int(
        5, lo=1, hi=100, doc="an 'eis' step: frequencies per decade (log-spaced)"
    ),
    "profile": Key(
        None,
        "path",
        doc="CSV current history: columns time [s] (from the step start), current density "
        "[A/m^2]; linear in between (a 'current' step)",
    ),
}
_STEP_KEYS = {
    "hold": (),
    "rest": (),
    "current": ("current_density", "V_min", "V_max", "profile"),
    "voltage": ("voltage", "current_cutoff"),
    "lithiate": ("soc",),
}
MAX_PROTOCOL_STEPS = 100000  # steps of a protocol with its cycles expanded
# an 'eis' step (the impedance of the state reached; no time passes): its only keys
EIS_STEP_KEYS = ("kind", "f_min", "f_max", "points_per_decade")


def walk_steps(protocol: list[dict], where: str = "loading.protocol"):
    """(key path, step) of every non-cycle step, each once (a cycle's steps not repeated)."""
    for i, st in enumerate(protocol):
        if st["kind"] == "cycle":
            yield from walk_steps(st["steps"], f"{where}[{i}].steps")
        else:
            yield f"{where}[{i}]", st


def flat_steps(protocol: list[dict]) -> list[dict]:
    """The resolved protocol with every 'cycle' expanded (``repeat`` × its steps), in order."""
    out = []
    for st in protocol:
        if st["kind"] == "cycle":
            for _ in range(st["repeat"]):
                out += flat_steps(st["steps"])
        else:
            out.append(st)
    return out


_STEP_COMMON = (
    "kind",
    "duration",
    "n_steps",
    "stack_pressure",
    "temperature",
    "displacement",
    "load_factor",
)

MATERIAL_TEXT_KEYS = ("preset", "kind", "description", "source", *M.CURVE_KEYS)
# Which preset kinds each role accepts; the first is the kind of a table without preset/kind.
ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "electrode": ("electrode", "metal"),
    "electrolyte": ("electrolyte",),
    "coating": ("coating", "electrolyte", "metal"),
    "counter": ("metal", "electrode", "collector"),
    "pad": ("pad", "collector"),
}
DEFAULT_MATERIALS = {"electrode": "NMC811", "electrolyte": "LLZO"}
# material properties whose absence means 0 (no Arrhenius temperature dependence, no thermal
# expansion); the resolved material carries the 0, the physics reads it (no second default)
ZERO_WHEN_ABSENT = ("Ea_kappa", "Ea_sigma_e", "Ea_D", "alpha_th")
# Sanity bounds on the magnitude of every quantity (SI), beyond the per-key ranges: larger values
# are unit mistakes or junk (t_e = 1e308) and would overflow the geometry or the solvers.
MAGNITUDE: dict[str | None, float] = {
    "length": MAX_LENGTH,  # cell- and particle-scale models
    "temperature": 1e4,
    "time": 1e10,  # ~300 years
    "pressure": 1e16,  # far above any modulus, also the 1e14-1e15 Pa of a "rigid" layer
    "current density": 1e7,  # 1000 A/cm^2, far above any cell (1-1000 A/m^2)
    None: 1e30,  # every other quantity
}
NAME_MAX = 100  # case.name: it names the run directory
_PETSC_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def role_kinds(role: str) -> tuple[str, ...]:
    """The material kinds allowed for a role (``electrolyte_3`` is an electrolyte role)."""
    return ROLE_KINDS["electrolyte" if role.startswith("electrolyte") else role]


# ------------------------------------------------------------------------------------- the case


@dataclass
class Case:
    """A validated case: ``raw`` is the TOML as read, ``resolved`` every section with every key
    (SI floats, ints, bools, strings; ``None`` where a key has no value)."""

    path: Path | None
    name: str
    raw: dict = field(repr=False)
    resolved: dict = field(repr=False)

    @property
    def geometry(self) -> dict:
        return self.resolved["geometry"]

    @property
    def materials(self) -> dict:
        return self.resolved["materials"]

    @property
    def interface(self) -> dict:
        return self.resolved["interface"]

    @property
    def loading(self) -> dict:
        return self.resolved["loading"]

    @property
    def physics(self) -> dict:
        return self.resolved["physics"]

    @property
    def ageing(self) -> dict:
        return self.resolved["ageing"]

    @property
    def thermal(self) -> dict:
        return self.resolved["thermal"]

    @property
    def solver(self) -> dict:
        return self.resolved["solver"]

    @property
    def output(self) -> dict:
        return self.resolved["output"]

    @property
    def roles(self) -> list[str]:
        """The material roles of the geometry, in stacking order."""
        return list(self.resolved["materials"])

    def to_toml(self) -> str:
        """The resolved case as TOML (bare SI numbers, the unit in a comment)."""
        return to_toml(self.resolved, self.path)

    def with_(self, changes: dict | None = None, /, **sections: dict) -> Case:
        """A new, validated case with keys changed (for notebooks and sweeps); this case is
        unchanged. ``changes``: {dotted key: value} as for ``ssbx run --set`` (the syntax of
        :mod:`solver.overrides`: ``{"loading.stack_pressure": "5 MPa", "materials.electrolyte.E":
        "140 GPa", "loading.protocol[0].duration": "60 s"}``), values with units as text or SI
        numbers; ``sections``: tables merged into a section (``with_(loading={"stack_pressure":
        "5 MPa"})``). Raises :class:`InputError` (a key path that cannot be followed) or
        :class:`ConfigError` (every problem, one line each) like :func:`load_case`."""
        from solver import overrides as ov

        flat: dict[str, Any] = {}
        for sec, table in sections.items():
            if not isinstance(table, dict):
                raise ConfigError(f"with_: {sec}= takes a table (dict), got {table!r}")
            flat.update({f"{sec}.{k}": v for k, v in table.items()})
        flat.update(changes or {})
        raw, _ = ov.apply(self.raw, flat)
        return case_from_dict(raw, self.path)


def load_case(path: str | os.PathLike) -> Case:
    """Read, validate and resolve a case file; raise :class:`ConfigError` listing every problem."""
    return case_from_dict(read_case_toml(path), Path(path))


def read_case_toml(path: str | os.PathLike) -> dict:
    """The parsed TOML of a case file, not validated (``solver.overrides`` edits it first);
    :class:`ConfigError` (one line) when it cannot be read or is not TOML."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"case file '{p}': no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"case file '{p}': is a directory, expected a .toml file") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"case file '{p}': not UTF-8 text ({e.reason})") from None
    except OSError as e:
        raise ConfigError(f"case file '{p}': cannot read ({e.strerror})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"case file '{p}': TOML syntax error: {e}") from None
    return raw


def resolve_material(role: str, table: dict | str) -> dict:
    """One ``[materials.<role>]`` table (or preset name) resolved by the schema alone, as in a
    case: every property of :data:`solver.materials.PROPERTY_DIMS` (None where absent, the
    schema's value where absence has one), for the physics classes built without a case
    (tests, benchmarks). ValueError with the problems, one per line."""
    r = _Resolver({}, None)
    m = r.material(role, table)
    if r.problems or m is None:
        raise ValueError("\n".join(r.problems))
    return m


def case_from_dict(raw: dict, path: str | os.PathLike | None = None) -> Case:
    """Validate and resolve an already-parsed case dict (relative paths against ``path``'s
    directory, else the working directory)."""
    p = Path(path).resolve() if path is not None else None
    resolved = _Resolver(raw, p).run()
    return Case(p, resolved["case"]["name"], raw, resolved)


# ------------------------------------------------------------------------------------ resolving


class _Resolver:
    def __init__(self, raw: dict, path: Path | None):
        self.raw = raw
        self.path = path
        self.base = path.parent if path is not None else Path.cwd()
        self.problems: list[str] = []
        self.max_cells = SCHEMA["solver"]["max_cells"].default

    def bad(self, line: str) -> None:
        self.problems.append(line)

    def run(self) -> dict:
        raw = self.raw
        for sec in raw:
            if sec not in SECTION_ORDER:
                self.bad(
                    f"{sec}: unknown section{_suggest(sec, SECTION_ORDER)}, allowed "
                    f"{', '.join(SECTION_ORDER)}"
                )
        sections = {}
        for sec in SECTION_ORDER:
            v = raw.get(sec, {})
            if not isinstance(v, dict):
                self.bad(f"{sec}: got {_show(v)}, allowed a table ([{sec}])")
                v = {}
            sections[sec] = v
        out: dict[str, Any] = {}
        stem = self.path.stem if self.path is not None else "case"
        out["case"] = self.section("case", sections["case"])
        if out["case"]["name"] is None:
            out["case"]["name"] = re.sub(r"[^A-Za-z0-9_.+-]", "_", stem).lstrip("_.+-") or "case"
        elif len(out["case"]["name"]) > NAME_MAX:
            self.bad(
                f"case.name: got a name of {len(out['case']['name'])} characters, allowed at most "
                f"{NAME_MAX} (letters, digits and _ . + -: it names the run directory)"
            )
        elif not _NAME.match(out["case"]["name"]):
            self.bad(
                f"case.name: got {_show(out['case']['name'])}, allowed letters, digits and "
                "_ . + - (it names the run directory)"
            )
        # [solver] first: solver.max_cells bounds the geometry
        out["solver"] = self.section("solver", sections["solver"])
        self.max_cells = out["solver"]["max_cells"]
        n0 = len(self.problems)
        out["geometry"], module = self.geometry(sections["geometry"])
        geometry_ok = len(self.problems) == n0
        for sec in ("interface", "loading", "physics", "ageing", "thermal", "output"):
            out[sec] = self.section(sec, sections[sec])
        if "experiment" in sections["loading"]:
            out["loading"]["protocol"] = self.experiment(
                sections["loading"]["experiment"], out["loading"]
            )
        else:
            out["loading"]["protocol"] = self.protocol(
                sections["loading"].get("protocol", []), out["loading"]
            )
        out["loading"]["experiment"] = None  # parsed into the protocol
        out["solver"]["petsc_options"] = self.petsc(sections["solver"].get("petsc_options", {}))
        out["interface"]["debonded"] = self.debonded(
            sections["interface"].get("debonded", []), out["geometry"]
        )
        out["loading"]["boundary"] = self.boundary(
            sections["loading"].get("boundary", []), out["geometry"]
        )
        out["interface"]["initial_gap"] = self.initial_gap(
            sections["interface"].get("initial_gap"), out["geometry"]
        )
        itf = out["interface"]
        if itf["asperity_spacing"] is None:
            itf["asperity_spacing"] = 10.0 * itf["asperity_radius"]
        if itf["registry_length"] is None:
            itf["registry_length"] = itf["asperity_radius"]
        if out["thermal"]["T_ambient"] is None:
            out["thermal"]["T_ambient"] = out["loading"]["temperature"]
        if out["output"]["directory"] is None:
            out["output"]["directory"] = f"runs/{out['case']['name']}"
        roles = self.roles(out["geometry"], module)
        out["materials"] = self.materials(
            sections["materials"], roles, out["geometry"], geometry_ok and module is not None
        )
        self.cross_checks(out)
        # keep the documented section order
        resolved = {sec: out[sec] for sec in SECTION_ORDER}
        if self.problems:
            raise ConfigError(self.problems)
        return resolved

    # ---------------------------------------------------------------- generic keys

    def section(self, sec: str, table: dict) -> dict:
        schema = SCHEMA[sec]
        special = _SPECIAL.get(sec, ())
        for key in table:
            if key not in schema and key not in special:
                self.unknown(f"{sec}.{key}", key, [*schema, *special])
        return {
            key: self.value(f"{sec}.{key}", spec, table.get(key)) for key, spec in schema.items()
        }

    def unknown(self, where: str, key: str, allowed) -> None:
        allowed = list(allowed)
        self.bad(f"{where}: unknown key{_suggest(key, allowed)}, allowed {', '.join(allowed)}")

    def value(self, where: str, spec: Key, v: Any) -> Any:
        """The value of one key converted and checked (the default when ``v`` is None)."""
        if v is None:
            return spec.default
        kind = spec.kind
        if kind == "bool":
            if isinstance(v, bool):
                return v
        elif kind in ("text", "path"):
            if isinstance(v, str):
                return v
        elif kind == "choice":
            if isinstance(v, str) and v in spec.choices:
                return v
            hint = _suggest(v, spec.choices) if isinstance(v, str) else ""
            self.bad(f"{where}: got {_show(v)}, allowed {spec.range_text()}{hint}")
            return spec.default
        elif kind == "int":
            if isinstance(v, int) and not isinstance(v, bool):
                if (spec.choices and v in spec.choices) or (not spec.choices and spec.in_range(v)):
                    return v
        else:  # float quantity
            return self.quantity(where, v, spec.dim, spec.range_text(), spec.in_range, spec.default)
        shown = repr(v) if isinstance(v, float) and kind == "int" else _show(v)
        self.bad(f"{where}: got {shown}, allowed {spec.range_text()}")
        return spec.default

    def quantity(self, where: str, v: Any, dim: str, allowed: str, ok, default=None):
        try:
            x = to_si(v, dim)
        except UnitError as e:
            self.bad(f"{where}: {e}")
            return default
        if not ok(x):
            shown = _show(v) + (f" (= {format_si(x, dim)})" if isinstance(v, str) else "")
            ex = f" (e.g. {example_unit(dim)})" if dim != "dimensionless" else ""
            self.bad(f"{where}: got {shown}, allowed {allowed}{ex}")
            return default
        bound = MAGNITUDE.get(dim, MAGNITUDE[None])
        if abs(x) > bound:
            shown = _show(v) + (f" (= {format_si(x, dim)})" if isinstance(v, str) else "")
            self.bad(
                f"{where}: got {shown}, allowed |value| <= {bound:g} {si_unit(dim)}".rstrip()
                + " (larger is a unit mistake)"
            )
            return default
        return x

    # ---------------------------------------------------------------- geometry

    def geometry(self, table: dict) -> tuple[dict, Any]:
        base = SCHEMA["geometry"]
        g = {k: self.value(f"geometry.{k}", spec, table.get(k)) for k, spec in base.items()}
        module = None
        family_ok = "family" not in table or g["family"] == table["family"]
        if family_ok:
            try:
                module = family_module(g["family"])
            except GeometryError as e:  # pragma: no cover - family already checked
                self.bad(str(e))
        spec: dict[str, Param] = dict(getattr(module, "PARAMS", {})) if module else {}
        if module is not None:
            for key in table:
                if key not in base and key not in spec:
                    self.unknown(f"geometry.{key}", key, [*base, *spec])
        bad_before = len(self.problems)
        for key, p in spec.items():
            g[key] = self.geometry_param(key, p, table.get(key))
        if g["axisymmetric"] and g["dim"] != 2:
            self.bad(
                f"geometry.axisymmetric: got true with dim = {g['dim']}, allowed only with "
                "dim = 2 (2D axisymmetric r, z)"
            )
        elif module is not None:
            self.family_checks(module, g, spec, bad_before)
        if g["mesh_file"] is not None:
            g["mesh_file"] = self.mesh_file(g["mesh_file"])
        return g, module

    def geometry_param(self, key: str, p: Param, v: Any) -> Any:
        where = f"geometry.{key}"
        if v is None:
            return copy.deepcopy(p.default)
        x = v
        try:
            if p.kind == "float" or (p.kind == "int" and isinstance(v, str)):
                x = to_si(v, p.dim)
            elif p.kind == "floats" and isinstance(v, list):
                x = [to_si(e, p.dim) for e in v]
        except UnitError as e:
            self.bad(f"{where}: {e}")
            return copy.deepcopy(p.default)
        try:
            return p.check(key, x)
        except GeometryError as e:
            if p.kind == "float" and isinstance(x, float) and not abs(x) > MAX_LENGTH:
                shown = _show(v) + (f" (= {format_si(x, p.dim)})" if isinstance(v, str) else "")
                ex = f" (e.g. {example_unit(p.dim)})" if p.dim != "dimensionless" else ""
                allowed = f"{p.range_text()} {si_unit(p.dim)}".rstrip()
                self.bad(f"{where}: got {shown}, allowed {allowed}{ex}")
            else:
                self.bad(_geometry_line(e))
            return copy.deepcopy(p.default)

    def family_checks(self, module, g: dict, spec: dict, bad_before: int) -> None:
        """Dimension support and the family's own cheap feasibility checks (optional hooks)."""
        dims = getattr(module, "DIMS", None)
        axi_ok = getattr(module, "AXISYMMETRIC_OK", True)
        fam = g["family"]
        if dims is not None and g["dim"] not in dims:
            self.bad(
                f"geometry.dim: got {g['dim']}, allowed {', '.join(map(str, dims))} for the "
                f"'{fam}' family"
            )
        elif g["axisymmetric"] and not axi_ok:
            self.bad(f"geometry.axisymmetric: got true, allowed false for the '{fam}' family")
        if len(self.problems) == bad_before and not self.cell_limit(module, g, spec):
            return  # too large: validate may itself be slow (particle placement, height grid)
        validate = getattr(module, "validate", None)
        if validate is not None and len(self.problems) == bad_before:
            try:
                validate({k: g[k] for k in spec}, dim=g["dim"], axisymmetric=g["axisymmetric"])
            except GeometryError as e:
                self.bad(_geometry_line(e))

    def cell_limit(self, module, g: dict, spec: dict) -> bool:
        """Refuse a geometry whose estimated cell count exceeds solver.max_cells (before
        meshing, before validate). False when refused."""
        estimate = getattr(module, "estimate", None)
        if estimate is None or g.get("mesh_file") is not None:
            return True
        try:
            e = estimate({k: g[k] for k in spec}, dim=g["dim"], axisymmetric=g["axisymmetric"])
        except (GeometryError, ValueError, ZeroDivisionError, OverflowError):
            return True  # validate reports the parameter problem
        limit = self.max_cells
        if limit is None or e["cells"] <= limit:
            return True
        raw = self.raw.get("geometry", {}) if isinstance(self.raw.get("geometry"), dict) else {}
        keys = [k for k in ("h_max", "h_interface") if k in raw] or ["h_max", "h_interface"]
        names = " / ".join(f"geometry.{k}" for k in keys)
        self.bad(
            f"{names}: the mesh would have about {e['cells']:.2g} cells (estimated before "
            f"meshing from the {g['family']} geometry's extent with h_max = {e['h_max']:.3g} m, "
            f"h_interface = {e['h_interface']:.3g} m, {g['dim']}D), allowed at most "
            f"solver.max_cells = {limit:.3g}: coarsen {names} or shrink the geometry"
        )
        return False

    def mesh_file(self, text: str) -> str | None:
        p = Path(os.path.expanduser(text))
        if not p.is_absolute():
            p = self.base / p
        p = Path(os.path.normpath(p))
        if p.suffix.lower() != ".msh":
            self.bad(f"geometry.mesh_file: got {_show(text)}, allowed a Gmsh .msh file")
        elif not p.is_file():
            what = "is a directory" if p.is_dir() else "does not exist"
            self.bad(
                f"geometry.mesh_file: got {_show(text)}, allowed an existing .msh file "
                f"('{p}' {what})"
            )
        else:
            try:
                with open(p, "rb") as fh:
                    head = fh.read(64).lstrip()
            except OSError as e:
                head = None
                self.bad(f"geometry.mesh_file: got {_show(text)}: cannot read ({e.strerror})")
            if head is not None and not head.startswith(b"$MeshFormat"):
                what = "an empty file" if not head else "not a Gmsh mesh (no $MeshFormat header)"
                self.bad(f"geometry.mesh_file: got {_show(text)}, {what}, allowed a Gmsh .msh file")
            elif head is not None and self.max_cells is not None:
                n = msh_cell_count(p)
                if n is not None and n > self.max_cells:
                    self.bad(
                        f"geometry.mesh_file: got {_show(text)} with {n} cells, allowed at most "
                        f"solver.max_cells = {self.max_cells:.3g} (raise solver.max_cells for a "
                        "machine that holds it, or coarsen the mesh)"
                    )
        return str(p)

    def roles(self, g: dict, module) -> list[str]:
        if module is None:
            return list(DEFAULT_MATERIALS)
        params = {k: g[k] for k in getattr(module, "PARAMS", {})}
        try:
            if hasattr(module, "roles"):
                return list(module.roles(params))
            if hasattr(module, "layers"):  # [(cell tag, thickness)] from the bottom up
                from meshes import tags as T

                return [T.cell_name(tag) for tag, _ in module.layers(params)]
        except (GeometryError, TypeError, KeyError, ValueError):
            return list(DEFAULT_MATERIALS)  # parameter problems are reported already
        return derive_roles(g["family"], params)

    # ---------------------------------------------------------------- materials

    def materials(self, table: dict, roles: list[str], g: dict, strict_roles: bool) -> dict:
        """``strict_roles``: the geometry is valid, so its roles are known: report materials for
        roles it lacks and roles without a material (else only check the tables given)."""
        out = {}
        if not strict_roles:
            roles = [*roles, *(r for r in table if r not in roles and _is_role(r))]
        for role in table:
            if strict_roles and role not in roles:
                self.bad(
                    f"materials.{role}: got a material for role '{role}', allowed the "
                    f"roles of this '{g['family']}' geometry: {', '.join(roles)}"
                    f"{_suggest(role, roles)}"
                )
        for role in roles:
            v = table.get(role, DEFAULT_MATERIALS.get(role))
            if v is None:
                if not strict_roles:
                    continue
                self.bad(
                    f"materials.{role}: missing, allowed a preset name or a table (the "
                    f"'{g['family']}' geometry has a {role}; presets: "
                    f"{', '.join(M.PRESETS)})"
                )
                continue
            mat = self.material(role, v)
            if mat is not None:
                out[role] = mat
        return out

    def material(self, role: str, v: Any) -> dict | None:
        where = f"materials.{role}"
        if isinstance(v, str):
            v = {"preset": v}
            given_as = where
        elif isinstance(v, dict):
            given_as = f"{where}.preset"
        else:
            self.bad(f"{where}: got {_show(v)}, allowed a preset name or a table")
            return None
        n0 = len(self.problems)
        for key in v:
            if key not in MATERIAL_TEXT_KEYS and key not in M.PROPERTY_DIMS:
                self.unknown(f"{where}.{key}", key, [*MATERIAL_TEXT_KEYS, *M.PROPERTY_DIMS])
        for key in MATERIAL_TEXT_KEYS:
            if key in v and not isinstance(v[key], str):
                self.bad(f"{where}.{key}: got {_show(v[key])}, allowed a string")
        base: dict = {}
        preset = v.get("preset")
        if isinstance(preset, str):
            name = M.canonical(preset)
            if name is None:
                self.bad(
                    f"{given_as}: got {_show(preset)}, allowed a preset name"
                    f"{_suggest(preset, M.PRESETS, ci=True)}: {', '.join(M.PRESETS)}"
                )
                preset = None
            else:
                base = M.get(name)
                preset = name
        else:
            preset = None
        kinds = role_kinds(role)
        kind = v.get("kind", base.get("kind", kinds[0]))
        if isinstance(kind, str) and kind not in M.KINDS:
            self.bad(f"{where}.kind: got {_show(kind)}, allowed {', '.join(M.KINDS)}")
        elif isinstance(kind, str) and kind not in kinds:
            what = f"{_show(preset)} (kind {kind})" if "kind" not in v else _show(kind)
            examples = [n for n, p in M.PRESETS.items() if p["kind"] in kinds][:4]
            self.bad(
                f"{given_as if 'kind' not in v else where + '.kind'}: got {what}, allowed "
                f"a material of kind {' or '.join(kinds)} for the {role} role (e.g. "
                f"{', '.join(examples)})"
            )
        mat: dict[str, Any] = {
            "preset": preset,
            "kind": kind,
            "description": v.get("description", base.get("description", "")),
            "source": base.get("source", "case file (user-defined)"),
        }
        overridden = []
        for key, (dim, *_rest) in M.PROPERTY_DIMS.items():
            if key in v:
                x = self.quantity(
                    f"{where}.{key}",
                    v[key],
                    dim,
                    M.range_text(key),
                    lambda x, k=key: M.check_value(k, x) is None,
                )
                if x is not None and base.get(key) != x:
                    overridden.append(key)
                mat[key] = x
            else:
                mat[key] = base.get(key)
        self.material_curves(where, v, base, mat, overridden)
        if "source" in v:
            mat["source"] = v["source"]
        elif preset is not None and overridden:
            mat["source"] += f" | overridden in the case file: {', '.join(overridden)}"
        if mat["vegard"] is None:
            mat["vegard"] = 0.0
        if mat["c_ref"] is None:
            mat["c_ref"] = 0.0
        if mat["c_init"] is None:
            mat["c_init"] = mat["c_ref"]
        for key in ZERO_WHEN_ABSENT:  # absent: 0 (no Arrhenius factor, no thermal expansion)
            if mat[key] is None:
                mat[key] = 0.0
        if len(self.problems) > n0:
            return None  # reported; no follow-up problems about this material
        if mat["c_max"] is not None:
            for key in ("c_ref", "c_init"):
                if mat[key] > mat["c_max"]:
                    self.bad(
                        f"{where}.{key}: got {mat[key]:g} mol/m^3, allowed [0, c_max = "
                        f"{mat['c_max']:g}] mol/m^3"
                    )
        return mat

    def material_curves(self, where: str, v: dict, base: dict, mat: dict, overridden: list):
        """The tabulated curves (solver/curves.py) of a material: ``ocv_curve``, ``D_curve``,
        ``vegard_curve``, each a built-in name (OCVs) or a CSV path (stored absolute). A linear
        OCV given in the table (``ocv`` / ``ocv_slope``) replaces the preset's OCV curve; both
        in the same table are refused."""
        from solver import curves as CV

        for key, quantity in zip(M.CURVE_KEYS, ("ocv", "D", "vegard")):
            spec = v.get(key, base.get(key))
            if key == "ocv_curve" and key not in v and ("ocv" in v or "ocv_slope" in v):
                spec = None  # the case's linear OCV replaces the preset's curve
            if key == "ocv_curve" and key in v and ("ocv" in v or "ocv_slope" in v):
                self.bad(
                    f"{where}.ocv_curve: got {_show(v[key])} together with ocv/ocv_slope, "
                    "allowed one open-circuit potential: a curve or the linear ocv, ocv_slope"
                )
                spec = None
            if spec is None or not isinstance(spec, str):
                mat[key] = None
                continue
            try:
                curve = CV.resolve(spec, quantity, self.base)
            except CV.CurveError as e:
                self.bad(f"{where}.{key}: {e}")
                mat[key] = None
                continue
            mat[key] = (
                spec
                if spec in CV.BUILTIN and quantity == "ocv"
                else str(
                    (self.base / spec).resolve() if not Path(spec).is_absolute() else Path(spec)
                )
            )
            if key in v and base.get(key) != spec:
                overridden.append(key)
            del curve

    # ---------------------------------------------------------------- loading.protocol

    def experiment(self, entries: Any, loading: dict) -> list[dict]:
        """``loading.experiment`` (PyBaMM-style strings, solver/experiment.py) → the protocol."""
        from solver import experiment as X

        if "protocol" in self.raw.get("loading", {}):
            self.bad(
                "loading.experiment: got both experiment and [[loading.protocol]], allowed one "
                "of them (the experiment strings are parsed into the protocol)"
            )
            return []
        if not isinstance(entries, list):
            self.bad(
                f"loading.experiment: got {_show(entries)}, allowed an array of strings such as "
                '["Charge at 0.5 mA/cm2 until 4.3 V", "Rest for 10 minutes"]'
            )
            return []
        try:
            steps = X.parse(entries)
        except X.ExperimentError as e:
            self.bad(f"loading.experiment{e}")
            return []
        return self.protocol(steps, loading, where0="loading.experiment")

    def protocol(
        self, steps: Any, loading: dict, where0: str = "loading.protocol", depth: int = 0
    ) -> list[dict]:
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            self.bad(
                f"{where0}: got {_show(steps)}, allowed an array of tables "
                "([[loading.protocol]] kind = ..., duration = ...)"
            )
            return []
        out = []
        for i, st in enumerate(steps):
            where = f"{where0}[{i}]"
            kind = st.get("kind")
            if kind is None:
                self.bad(f"{where}.kind: missing, allowed {', '.join(STEP_KINDS)}")
                continue
            kind = self.value(f"{where}.kind", STEP_SCHEMA["kind"], kind)
            if kind is None:
                continue
            if kind == "cycle":
                step = self.cycle(where, st, loading, depth)
                if step is not None:
                    out.append(step)
                continue
            if kind == "eis":
                if depth == 0 and not out:
                    self.bad(
                        f"{where}.kind: got 'eis' as the first step, allowed after a step that "
                        "solves the state (e.g. a 'rest' of 1 s before it): the impedance is "
                        "that of the state reached"
                    )
                    continue
                step = self.eis_step(where, st)
                if step is not None:
                    out.append(step)
                continue
            keys = (*_STEP_COMMON, *_STEP_KEYS[kind])
            for key in st:
                if key not in keys:
                    if key in STEP_SCHEMA:
                        self.bad(
                            f"{where}.{key}: not used by a '{kind}' step, allowed {', '.join(keys)}"
                        )
                    else:
                        self.unknown(f"{where}.{key}", key, keys)
            step = {k: self.value(f"{where}.{k}", STEP_SCHEMA[k], st.get(k)) for k in keys}
            if step["duration"] is None and "duration" not in st:
                self.bad(
                    f"{where}.duration: missing, allowed {STEP_SCHEMA['duration'].range_text()}"
                    f" (e.g. {example_unit('time')})"
                )
            if step["stack_pressure"] is None:
                step["stack_pressure"] = loading["stack_pressure"]
            if not self.raw.get("loading", {}).get("boundary"):
                if step["load_factor"] is not None:
                    self.bad(
                        f"{where}.load_factor: got {step['load_factor']:g}, allowed only with "
                        "[[loading.boundary]] loads to scale"
                    )
            elif step["load_factor"] is None:
                step["load_factor"] = 1.0
            if step["temperature"] is None:
                step["temperature"] = loading["temperature"]
            if step["displacement"] is not None and loading["pressure_mode"] != "displacement":
                self.bad(
                    f"{where}.displacement: got {step['displacement']:g} m, allowed only with "
                    "loading.pressure_mode = 'displacement'"
                )
            if kind == "current" and step["current_density"] is None:
                step["current_density"] = loading["current_density"]
            if kind == "current" and step.get("profile") is not None:
                step["profile"] = self.current_profile(f"{where}.profile", step["profile"])
            for key in ("voltage", "soc"):
                if key in keys and step[key] is None and key not in st:
                    self.bad(
                        f"{where}.{key}: missing, required by a '{kind}' step, allowed "
                        f"{STEP_SCHEMA[key].range_text()}"
                    )
            if kind == "current" and step["V_min"] is not None and step["V_max"] is not None:
                if step["V_min"] >= step["V_max"]:
                    self.bad(
                        f"{where}.V_min: got {step['V_min']:g} V, allowed below V_max = "
                        f"{step['V_max']:g} V"
                    )
            out.append(step)
        if depth == 0 and len(flat_steps(out)) > MAX_PROTOCOL_STEPS:
            self.bad(
                f"{where0}: got {len(flat_steps(out))} steps with the cycles expanded, allowed at "
                f"most {MAX_PROTOCOL_STEPS}"
            )
            return []
        return out

    def eis_step(self, where: str, st: dict) -> dict | None:
        """An 'eis' step: the impedance spectrum of the state reached so far (no time passes,
        solver.impedance), from f_min to f_max with points_per_decade frequencies a decade."""
        for key in st:
            if key not in EIS_STEP_KEYS:
                if key in STEP_SCHEMA:
                    self.bad(
                        f"{where}.{key}: not used by an 'eis' step (it takes no time and changes "
                        f"no load), allowed {', '.join(EIS_STEP_KEYS)}"
                    )
                else:
                    self.unknown(f"{where}.{key}", key, EIS_STEP_KEYS)
        step = {k: self.value(f"{where}.{k}", STEP_SCHEMA[k], st.get(k)) for k in EIS_STEP_KEYS}
        if None in (step["f_min"], step["f_max"]):
            return None
        if step["f_min"] >= step["f_max"]:
            self.bad(
                f"{where}.f_min: got {step['f_min']:g} Hz, allowed below f_max = "
                f"{step['f_max']:g} Hz"
            )
            return None
        return step

    def cycle(self, where: str, st: dict, loading: dict, depth: int) -> dict | None:
        """A 'cycle' step: ``repeat`` (>= 1) times its ``steps`` (one level: no cycle in a
        cycle)."""
        for key in st:
            if key not in ("kind", "repeat", "steps"):
                self.unknown(f"{where}.{key}", key, ("kind", "repeat", "steps"))
        if depth > 0:
            self.bad(f"{where}.kind: got 'cycle' inside a cycle, allowed one level of cycles")
            return None
        repeat = self.value(f"{where}.repeat", STEP_SCHEMA["repeat"], st.get("repeat"))
        inner = st.get("steps")
        if not isinstance(inner, list) or not inner:
            self.bad(
                f"{where}.steps: missing, allowed a non-empty array of steps "
                "([[loading.protocol.steps]] under the cycle)"
            )
            return None
        return {
            "kind": "cycle",
            "repeat": repeat,
            "steps": self.protocol(inner, loading, f"{where}.steps", depth + 1),
        }

    def debonded(self, regions: Any, g: dict) -> list[dict]:
        """[[interface.debonded]] regions, checked (SI values)."""
        if not isinstance(regions, list) or not all(isinstance(r, dict) for r in regions):
            self.bad(
                f"interface.debonded: got {_show(regions)}, allowed an array of tables "
                '([[interface.debonded]] shape = "interval", x = ["0 um", "5 um"])'
            )
            return []
        dim = g.get("dim", 2)
        out = []
        for i, reg in enumerate(regions):
            where = f"interface.debonded[{i}]"
            shape = reg.get("shape")
            if shape not in DEBONDED_SHAPES:
                self.bad(
                    f"{where}.shape: got {_show(shape) if shape is not None else 'nothing'}, "
                    f"allowed {', '.join(DEBONDED_SHAPES)}"
                )
                continue
            keys = _DEBONDED_KEYS[shape]
            for key in reg:
                if key not in keys:
                    self.unknown(f"{where}.{key}", key, keys)
            item = {}
            for key in keys:
                spec = DEBONDED_SCHEMA[key]
                v = reg.get(key)
                if spec.kind == "floats":
                    n = {"x": 2, "y": 2, "centre": dim - 1}[key]
                    item[key] = self.lengths(f"{where}.{key}", v, n)
                else:
                    item[key] = self.value(f"{where}.{key}", spec, v)
            if shape in ("interval", "box"):
                for key in ("x", "y") if shape == "box" else ("x",):
                    v = item.get(key)
                    if v is not None and not v[0] < v[1]:
                        self.bad(
                            f"{where}.{key}: got [{v[0]:g}, {v[1]:g}] m, allowed [lo, hi] "
                            "with lo < hi"
                        )
            if shape == "box" and dim != 3:
                self.bad(f"{where}.shape: got 'box' with dim = {dim}, allowed in 3D only")
            if shape == "disk" and item.get("radius") is None:
                self.bad(f"{where}.radius: missing, allowed (0, inf) m")
            if shape == "random":
                for key in ("fraction", "correlation_length"):
                    if item.get(key) is None and key not in reg:
                        self.bad(
                            f"{where}.{key}: missing, required by shape = 'random', allowed "
                            f"{DEBONDED_SCHEMA[key].range_text()}"
                        )
            out.append(item)
        return out

    def boundary(self, entries: Any, g: dict) -> list[dict]:
        """[[loading.boundary]] entries, checked (SI values)."""
        where0 = "loading.boundary"
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.bad(
                f"{where0}: got {_show(entries)}, allowed an array of tables "
                '([[loading.boundary]] face = "left", uy = "1 um")'
            )
            return []
        dim = g.get("dim", 2)
        comps = "xyz"[:dim]
        out = []
        for i, e in enumerate(entries):
            where = f"{where0}[{i}]"
            for key in e:
                if key not in BOUNDARY_SCHEMA:
                    self.unknown(f"{where}.{key}", key, BOUNDARY_SCHEMA)
            item: dict[str, Any] = {}
            for key, spec in BOUNDARY_SCHEMA.items():
                if spec.kind == "floats":
                    item[key] = (
                        None if e.get(key) is None else self.lengths(f"{where}.{key}", e[key], dim)
                    )
                else:
                    item[key] = self.value(f"{where}.{key}", spec, e.get(key))
            if (item["face"] is None) == (item["point"] is None):
                self.bad(f"{where}: got {'both' if item['face'] else 'neither'} face and point, "
                         "allowed exactly one of them")  # fmt: skip
            for c in "xyz":
                if c not in comps and any(item[f"{k}{c}"] is not None for k in "utf"):
                    self.bad(f"{where}.u{c}: got a {c} component, allowed {', '.join(comps)} "
                             f"in {dim}D")  # fmt: skip
                kinds = [k for k in "utf" if item[f"{k}{c}"] is not None]
                if len(kinds) > 1:
                    self.bad(f"{where}.{kinds[0]}{c}: got {' and '.join(k + c for k in kinds)}, "
                             "allowed one condition per component")  # fmt: skip
            if not any(item[f"{k}{c}"] is not None for k in "utf" for c in comps):
                self.bad(f"{where}: got no load, allowed at least one of "
                         f"{', '.join(k + c for k in 'utf' for c in comps)}")  # fmt: skip
            if item["point"] is not None and any(
                item[f"{k}{c}"] is not None for k in "tf" for c in comps
            ):
                self.bad(f"{where}.point: got a traction or force at a point, allowed "
                         "displacements (ux, uy, uz) only")  # fmt: skip
            out.append(item)
        return out

    def initial_gap(self, table: Any, g: dict) -> dict | None:
        """[interface.initial_gap], checked (SI values), or None."""
        if table is None:
            return None
        where = "interface.initial_gap"
        if not isinstance(table, dict):
            self.bad(
                f"{where}: got {_show(table)}, allowed a table ([interface.initial_gap] "
                'shape = "sphere", radius = "10 um")'
            )
            return None
        shape = table.get("shape")
        if shape not in GAP_SHAPES:
            self.bad(
                f"{where}.shape: got {_show(shape) if shape is not None else 'nothing'}, "
                f"allowed {', '.join(GAP_SHAPES)}"
            )
            return None
        keys = _GAP_KEYS[shape]
        for key in table:
            if key not in keys:
                self.unknown(f"{where}.{key}", key, keys)
        dim = g.get("dim", 2)
        out: dict[str, Any] = {"shape": shape}
        if shape in ("sphere", "cylinder"):
            out["radius"] = self.value(f"{where}.radius", GAP_SCHEMA["radius"], table.get("radius"))
            if out["radius"] is None:
                self.bad(f"{where}.radius: missing, allowed (0, inf) m")
            n = 1 if (shape == "cylinder" or dim == 2) else 2
            c = table.get("centre")
            out["centre"] = [0.0] * n if c is None else self.lengths(f"{where}.centre", c, n)
            if shape == "sphere" and dim == 2 and not g.get("axisymmetric"):
                self.bad(
                    f"{where}.shape: got 'sphere' in 2D plane strain, allowed 'cylinder' (a "
                    "sphere needs axisymmetric = true or dim = 3)"
                )
        else:
            out["file"] = self.gap_file(f"{where}.file", table.get("file"), 3 if dim == 3 else 2)
        return out

    def gap_file(self, where: str, text: Any, ncol: int) -> str | None:
        """A CSV of (x[, y], g0) rows in metres (header line and '#' comments allowed)."""
        if not isinstance(text, str):
            shown = _show(text) if text is not None else "nothing"
            self.bad(f"{where}: got {shown}, allowed a path")
            return None
        path = Path(os.path.expanduser(text))
        if not path.is_absolute():
            path = self.base / path
        if not path.is_file():
            self.bad(f"{where}: file not found: {path}")
            return None
        rows = []
        try:
            for ln in path.read_text().splitlines():
                if not ln.strip() or ln.lstrip().startswith("#"):
                    continue
                parts = [x for x in ln.replace(";", ",").split(",") if x.strip()]
                try:
                    rows.append([float(x) for x in parts])
                except ValueError:
                    if rows:
                        raise
        except (ValueError, OSError):
            rows = []
        if (
            len(rows) < 2
            or any(len(r) != ncol for r in rows)
            or not all(math.isfinite(v) for r in rows for v in r)
        ):
            cols = "x, y, g0" if ncol == 3 else "x, g0"
            self.bad(f"{where}: '{path}' is not a CSV of >= 2 finite ({cols}) rows in metres")
            return None
        return str(path.resolve())

    def lengths(self, where: str, v: Any, n: int) -> list[float] | None:
        """A list of ``n`` lengths ("5 um" strings or SI numbers)."""
        if not isinstance(v, list) or len(v) != n:
            self.bad(
                f"{where}: got {_show(v) if v is not None else 'nothing'}, allowed {n} lengths"
            )
            return None
        out = []
        for x in v:
            y = self.quantity(where, x, "length", "(-inf, inf) m", lambda q: math.isfinite(q))
            if y is None:
                return None
            out.append(y)
        return out

    def current_profile(self, where: str, text: str) -> str | None:
        """Resolve and check a CSV current history (absolute path returned)."""
        path = Path(text)
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        if not path.is_file():
            self.bad(f"{where}: file not found: {path}")
            return None
        try:
            rows = [
                ln
                for ln in path.read_text().splitlines()
                if ln.strip() and not ln.lstrip().startswith("#")
            ]
            data = []
            for ln in rows:
                parts = [x for x in ln.replace(";", ",").split(",") if x.strip()]
                try:
                    data.append([float(parts[0]), float(parts[1])])
                except (ValueError, IndexError):
                    if data:  # only a header line may be non-numeric
                        raise
        except (ValueError, IndexError, OSError):
            self.bad(f"{where}: '{path}' is not a CSV of (time s, current density A/m^2) rows")
            return None
        if not all(math.isfinite(x) for row in data for x in row):
            self.bad(f"{where}: '{path}' has a non-finite value (nan or inf), allowed finite rows")
            return None
        j_max, t_max = MAGNITUDE["current density"], MAGNITUDE["time"]
        big = next((r for r in data if abs(r[1]) > j_max or abs(r[0]) > t_max), None)
        if big is not None:
            self.bad(
                f"{where}: '{path}' has the row ({big[0]:g} s, {big[1]:g} A/m^2), allowed "
                f"|time| <= {t_max:g} s and |current density| <= {j_max:g} A/m^2"
            )
            return None
        if len(data) < 2 or any(b[0] <= a[0] for a, b in zip(data, data[1:])):
            self.bad(f"{where}: '{path}' needs >= 2 rows with strictly increasing time")
            return None
        return str(path.resolve())

    # ---------------------------------------------------------------- solver.petsc_options

    def petsc(self, opts: Any) -> dict:
        if not isinstance(opts, dict):
            self.bad(
                f"solver.petsc_options: got {_show(opts)}, allowed a table of PETSc "
                'options ([solver.petsc_options] ksp_type = "preonly")'
            )
            return {}
        out = {}
        for key, v in opts.items():
            where = f"solver.petsc_options.{key}"
            if key.startswith("-"):
                self.bad(
                    f"{where}: got option name {_show(key)}, allowed a name without the "
                    f"leading '-' (e.g. {key.lstrip('-')!r}; ssbx adds its prefix)"
                )
            elif not _PETSC_KEY.match(key):
                self.bad(
                    f"{where}: got option name {_show(key)}, allowed letters, digits and "
                    "'_' not starting with '_' or a digit (no prefix, no whitespace)"
                )
            elif isinstance(v, bool | int | float | str) and not (
                isinstance(v, float) and not math.isfinite(v)
            ):
                types = _petsc_types(key)
                if types is not None and (not isinstance(v, str) or v not in types):
                    self.bad(
                        f"{where}: got {_show(v)}"
                        f"{_suggest(v, types) if isinstance(v, str) else ''}, allowed a PETSc "
                        f"type: {', '.join(sorted(types))}"
                    )
                else:
                    out[key] = v
            else:
                self.bad(f"{where}: got {_show(v)}, allowed a string, number or boolean")
        for line in _petsc_probe(out):
            self.bad(line)
        return out

    # ---------------------------------------------------------------- physics needs

    def cross_checks(self, r: dict) -> None:
        ph, mats, itf, ld = r["physics"], r["materials"], r["interface"], r["loading"]
        for i, b in enumerate(ld.get("boundary") or []):
            if b["region"] is not None and mats and b["region"] not in mats:
                self.bad(
                    f"loading.boundary[{i}].region: got {_show(b['region'])}, allowed a role of "
                    f"this geometry: {', '.join(mats)}{_suggest(b['region'], list(mats))}"
                )
        if ld.get("boundary") and not ph["mechanics"]:
            self.bad("loading.boundary: mechanical loads, allowed only with physics.mechanics")
        sv = r.get("solver") or {}
        if sv.get("path_following", "none") != "none":
            others = [s for s in ("electrochemistry", "transport", "thermal", "inelastic") if ph[s]]
            if others or not ph["mechanics"] or not ld.get("boundary"):
                self.bad(
                    f"solver.path_following: got {_show(sv['path_following'])}, allowed 'none' "
                    "unless the run is mechanics only (physics.mechanics on; electrochemistry, "
                    "transport, thermal, inelastic off) with [[loading.boundary]] loads"
                )
        switches = ("mechanics", "electrochemistry", "transport", "thermal")
        if not any(ph[s] for s in switches):
            self.bad(
                f"physics: got all of {', '.join(switches)} false, allowed at least one switched on"
            )

        def need(role: str, key: str, why: str) -> None:
            if role in mats and mats[role].get(key) is None:
                dim = M.PROPERTY_DIMS[key][0]
                self.bad(
                    f"materials.{role}.{key}: missing, required by {why}, allowed "
                    f"{M.range_text(key)} (e.g. {example_unit(dim)})"
                )

        if ph["mechanics"]:
            for role in mats:
                need(role, "E", "physics.mechanics")
                need(role, "nu", "physics.mechanics")
        if ph["electrochemistry"]:
            for role, m in mats.items():
                if role.startswith("electrolyte") or (role == "coating" and m["kind"] != "metal"):
                    need(role, "kappa", "physics.electrochemistry")
                elif role in ("electrode", "counter") or role == "coating":
                    need(role, "sigma_e", "physics.electrochemistry")
            if itf["kinetics"] == "linear" and itf["R_ct"] is None:
                self.bad(
                    "interface.R_ct: missing, required by interface.kinetics = 'linear', "
                    f"allowed {SCHEMA['interface']['R_ct'].range_text()} (e.g. "
                    f"{example_unit('area-specific resistance')})"
                )
            if itf["microcontact"] == "plastic":
                pair = ["electrode", "coating" if "coating" in mats else "electrolyte"]
                if all(r in mats and mats[r].get("hardness") is None for r in pair):
                    need(
                        pair[0],
                        "hardness",
                        "interface.microcontact = 'plastic' (the softer "
                        f"side of Γ_int; {pair[1]} has none either)",
                    )
        el = mats.get("electrode")
        if ph["electrochemistry"] and el is not None and el["kind"] == "electrode":
            self.electrode_ocv(el)
        if el is not None and el["c_max"] is None:
            for key in ("D_curve", "vegard_curve"):
                if el.get(key) is not None:
                    need("electrode", "c_max", f"materials.electrode.{key} (a function of c/c_max)")
        if ph["electrochemistry"] and itf["i0_dependence"] == "concentration" and el is not None:
            if el["kind"] != "electrode":
                self.bad(
                    "interface.i0_dependence: got 'concentration' with a metal electrode, allowed "
                    "'constant' (i0(c) needs an intercalation electrode's lithiation c)"
                )
            else:
                need("electrode", "c_max", "interface.i0_dependence = 'concentration'")
        if ph["transport"] and el is not None:
            if el["kind"] == "metal":
                self.bad(
                    f"physics.transport: got true, allowed false when materials.electrode "
                    f"is a metal ({el['preset'] or 'user-defined'}; Li transport solves "
                    "c in an intercalation electrode)"
                )
            else:
                need("electrode", "D", "physics.transport")
                need("electrode", "c_max", "physics.transport")
        if ph["thermal"]:
            for role in mats:
                for key in ("density", "cp", "k_th"):
                    need(role, key, "physics.thermal")
            for face in ("top", "bottom"):
                if r["thermal"][f"T_{face}"] is not None and r["thermal"][face] != "fixed":
                    self.bad(
                        f"thermal.T_{face}: got {r['thermal'][f'T_{face}']:g} K, allowed only "
                        f"with thermal.{face} = 'fixed' (got '{r['thermal'][face]}')"
                    )
            if r["thermal"].get("tau_shrink") and not ph["electrochemistry"]:
                self.bad(
                    "thermal.tau_shrink: contact shrinkage needs physics.electrochemistry = true "
                    "(the current heats the contact)"
                )
        if any(s["kind"] == "lithiate" for s in flat_steps(ld["protocol"])) and el is not None:
            need("electrode", "c_max", "a 'lithiate' step in loading.protocol")
        self.unused_keys(r)

    def electrode_ocv(self, el: dict) -> None:
        """An intercalation electrode in an electrochemistry run needs an open-circuit potential
        (``ocv_curve``, or the linear ``ocv``/``ocv_slope``); with a curve, c_max and an initial
        lithiation c_init inside the curve's stoichiometry window (a subset of (0, c_max))."""
        where = "materials.electrode"
        if el.get("ocv_curve") is None:
            if el.get("ocv") is None and el.get("ocv_slope") is None:
                from solver.curves import BUILTIN

                self.bad(
                    f"{where}.ocv_curve: missing, required by physics.electrochemistry (the "
                    f"electrode's open-circuit potential), allowed a built-in curve "
                    f"({', '.join(BUILTIN)}), a CSV file of x = c/c_max, U [V], or the linear "
                    "ocv, ocv_slope"
                )
            return
        if el.get("c_max") is None:
            self.bad(
                f"{where}.c_max: missing, required by {where}.ocv_curve (U is a function of "
                f"c/c_max), allowed {M.range_text('c_max')}"
            )
            return
        from solver import curves as CV

        lo, hi = CV.resolve(el["ocv_curve"], "ocv").range
        lo_c, hi_c = max(lo, 0.0) * el["c_max"], min(hi, 1.0) * el["c_max"]
        c0 = el.get("c_init") or 0.0
        if not (lo_c <= c0 <= hi_c) or c0 <= 0.0 or c0 >= el["c_max"]:
            self.bad(
                f"{where}.c_init: got {c0:g} mol/m^3, allowed [{lo_c:.6g}, {hi_c:.6g}] mol/m^3 "
                f"inside (0, c_max): the window x = c/c_max in [{lo:g}, {hi:g}] of the OCV curve "
                f"'{Path(el['ocv_curve']).name}' (set c_init, and c_ref for a stress-free start)"
            )

    # ---------------------------------------------------------------- keys without effect

    def ageing_keys(self, r: dict) -> None:
        """physics.ageing needs something to age: the interphase growth of ageing.sei_D (given
        in the case file) on the mechanical Γ_int (physics.mechanics), or a material with a
        relaxation spectrum (it relaxes under physics.ageing); the FE-only ageing keys are
        refused without physics.ageing (at a non-default value)."""
        ph = r["physics"]
        raw = self.raw.get("ageing", {}) if isinstance(self.raw.get("ageing"), dict) else {}
        if ph["ageing"]:
            relaxing = [role for role, m in r["materials"].items() if _has_spectrum(m)]
            if not ageing_grows_interphase(self.raw) and not relaxing:
                self.bad(
                    "physics.ageing: got true with nothing to age: set ageing.sei_D (interphase "
                    "growth on Gamma_int, with ageing.sei_molar_volume, sei_c_inf, sei_E, "
                    "sei_Ea) or give a material a relaxation spectrum (E1, E2, tau or prony_E1, "
                    "prony_tau1, e.g. materials.pad = 'polymer_pad'), or physics.ageing = false"
                )
            elif not ageing_grows_interphase(self.raw) and "sei_growth_strain" in raw:
                self.bad(
                    f"ageing.sei_growth_strain: got {r['ageing']['sei_growth_strain']:g}, allowed "
                    "no value without ageing.sei_D: the key acts only on a growing interphase"
                )
            if not ph["mechanics"]:
                self.bad(
                    "physics.ageing: got true, allowed false without physics.mechanics: the "
                    "interphase history lives on the mechanical Gamma_int"
                )
            return
        for key in ("sei_growth_strain", "rtol"):
            spec = SCHEMA["ageing"][key]
            if r["ageing"][key] != spec.default:
                self.bad(
                    f"ageing.{key}: got {r['ageing'][key]:g}, allowed the default "
                    f"{spec.default:g} here: the key acts only with physics.ageing = true"
                )

    def inelastic_keys(self, r: dict) -> None:
        """physics.inelastic and the creep / relaxation keys of the materials (one line each).
        physics.ageing switches the relaxation spectra on (not creep): the relaxation keys are
        then checked as with physics.inelastic, and physics.inelastic = true must add creep."""
        ph, mats = r["physics"], r["materials"]
        on = ph["inelastic"]
        ageing = ph["ageing"] and ph["mechanics"]
        law_keys = (*M.CREEP_KEYS, *M.PRONY_KEYS, *M.SHIFT_KEYS)
        if on and not ph["mechanics"]:
            self.bad("physics.inelastic: got true, allowed false with physics.mechanics = false")
            return
        if on and ageing and not any(m.get("creep_A") is not None for m in mats.values()):
            self.bad(
                "physics.inelastic: got true, allowed false here: physics.ageing already relaxes "
                "the relaxation spectra and no material has creep (creep_A, creep_n)"
            )
            return
        if not on:  # a key set in the case file (not a preset value) would change nothing
            if ageing:  # the relaxation keys act (physics.ageing): check them below
                law_keys = M.CREEP_KEYS
            for role, m in mats.items():
                base = M.get(m["preset"]) if m["preset"] else {}
                for key in law_keys:
                    if m.get(key) is not None and base.get(key) != m[key]:
                        self.bad(
                            f"materials.{role}.{key}: got {m[key]:g}, allowed no value with "
                            "physics.inelastic = false: the key acts only in the rate-dependent "
                            "inelastic law (set physics.inelastic = true)"
                        )
            if not ageing:
                return
        has_law = False
        for role, m in mats.items():
            where = f"materials.{role}"
            creep = [k for k in M.CREEP_KEYS if m.get(k) is not None]
            if creep and m.get("creep_A") is None:
                self.bad(f"{where}.creep_A: missing, required by {creep[0]} (Norton creep)")
            elif creep and m.get("creep_n") is None:
                self.bad(f"{where}.creep_n: missing, required by creep_A, allowed [1, inf)")
            sls = [k for k in M.SLS_KEYS if m.get(k) is not None]
            prony = [k for k in M.PRONY_KEYS if m.get(k) is not None]
            for k in (1, 2, 3):
                e, t = m.get(f"prony_E{k}"), m.get(f"prony_tau{k}")
                if (e is None) != (t is None):
                    missing = f"prony_tau{k}" if t is None else f"prony_E{k}"
                    self.bad(f"{where}.{missing}: missing, required by the Prony term {k}")
            if sls and prony:
                self.bad(
                    f"{where}.{prony[0]}: got a Prony term with the SLS keys {', '.join(sls)}, "
                    "allowed one relaxation spectrum (the SLS is the one-term Prony series)"
                )
            elif sls and len(sls) < 3:
                missing = next(k for k in M.SLS_KEYS if k not in sls)
                self.bad(f"{where}.{missing}: missing, required by {sls[0]} (SLS)")
            elif sls and abs(m["E1"] + m["E2"] - m["E"]) > 1e-6 * m["E"]:
                self.bad(
                    f"{where}.E: got {m['E']:g} Pa, allowed E1 + E2 = {m['E1'] + m['E2']:g} Pa "
                    "(the instantaneous modulus of the standard linear solid)"
                )
            elif prony:
                total = sum(m.get(f"prony_E{k}") or 0.0 for k in (1, 2, 3))
                if total >= m["E"]:
                    self.bad(
                        f"{where}.E: got {m['E']:g} Pa, allowed more than the sum of the Prony "
                        f"moduli {total:g} Pa (E is the instantaneous modulus, E∞ = E − Σ E_i > 0)"
                    )
            spectrum = len(sls) == 3 or bool(prony)
            if creep and spectrum:
                self.bad(
                    f"{where}.creep_A: got a creep law with a relaxation spectrum, allowed one "
                    "inelastic law per material"
                )
            shift = [k for k in M.SHIFT_KEYS if m.get(k) is not None]
            if shift and not spectrum:
                self.bad(
                    f"{where}.{shift[0]}: got a temperature shift, allowed only with a "
                    "relaxation spectrum (E1, E2, tau or prony_E1, prony_tau1)"
                )
            if (m.get("wlf_C1") is None) != (m.get("wlf_C2") is None):
                missing = "wlf_C2" if m.get("wlf_C2") is None else "wlf_C1"
                self.bad(f"{where}.{missing}: missing, required by the WLF shift")
            if m.get("wlf_C1") is not None and m.get("Ea_tau"):
                self.bad(
                    f"{where}.Ea_tau: got {m['Ea_tau']:g} J/mol with the WLF keys, allowed one "
                    "temperature shift (Arrhenius or WLF)"
                )
            has_law = has_law or bool(creep) or spectrum
            # the parameters of a law that were not given (after the checks, which read None as
            # "not given"): 0 = pure Norton (no activation energy, no threshold), no Arrhenius
            # shift of the relaxation times (solver.physics.inelastic reads these)
            if creep:
                for key in ("creep_Q", "creep_threshold"):
                    if m[key] is None:
                        m[key] = 0.0
            if spectrum and m["Ea_tau"] is None:
                m["Ea_tau"] = 0.0
        if not has_law and on:
            self.bad(
                "physics.inelastic: got true, allowed false here: no material has creep (creep_A, "
                "creep_n) or relaxation (E1, E2, tau or prony_E1, prony_tau1) keys"
            )

    def linear_solver_keys(self, sol: dict) -> None:
        """solver.linear_solver against a linear solver chosen in solver.petsc_options."""
        ls, po = sol["linear_solver"], sol.get("petsc_options") or {}
        pc = str(po.get("ssbx_pc", "")).strip().lower()
        if ls == "iterative" and (pc == "mumps" or "pc_type" in po):
            bad = "ssbx_pc" if pc == "mumps" else "pc_type"
            self.bad(
                f"solver.linear_solver: got 'iterative' with solver.petsc_options.{bad} = "
                f"{_show(po[bad])}, allowed 'direct' or 'auto' with a preconditioner of your own"
            )
        if ls == "direct" and pc == "auxiliary":
            self.bad(
                "solver.linear_solver: got 'direct' with solver.petsc_options.ssbx_pc = "
                "'auxiliary', allowed 'iterative' or 'auto'"
            )

    def unused_keys(self, r: dict) -> None:
        """A key that changes nothing is refused (one line: the key, what it needs, the allowed
        values): switches and keys of models the FE solver does not have, keys of a physics
        that is switched off, screen-only keys with nothing to act on. A key at its default
        (also as written by ``to_toml``) is never refused."""
        ph, itf, ld, sol, out = r["physics"], r["interface"], r["loading"], r["solver"], r["output"]
        self.ageing_keys(r)
        self.inelastic_keys(r)
        self.linear_solver_keys(sol)
        for key in ("rtol", "atol"):
            if sol[key] is not None:
                self.bad(
                    f"solver.{key}: got {sol[key]:g}, allowed no value: the Newton solver "
                    "converges when the update of every field is below its own tolerance (m, V, "
                    "mol/m^3, K), not on a residual tolerance; remove the key"
                )
        if not itf["bonded_layers"]:
            self.bad(
                "interface.bonded_layers: got false, allowed true: the electrolyte|electrolyte "
                "boundaries have no interface law, so with false the layers would not touch "
                "(nothing would carry the stack pressure across them)"
            )
        # pad_strain needs a pad (the FE platen displacement, the screen's SLS model); p_c (the
        # SLS pad relaxation: screen, and FE t*_pad with physics.ageing) needs a pad with E1, E2,
        # tau
        pad = r["materials"].get("pad")
        sls = pad is not None and all(pad.get(k) is not None for k in ("E1", "E2", "tau"))
        if pad is None and ld["pad_strain"] != SCHEMA["loading"]["pad_strain"].default:
            self.bad(
                f"loading.pad_strain: got {ld['pad_strain']:g}, allowed the default "
                f"{SCHEMA['loading']['pad_strain'].default:g} here: this geometry has no pad"
            )
        if not sls:
            why = "this geometry has no pad" if pad is None else "its pad has no E1, E2, tau"
            for sec, key in (("ageing", "p_c"),):
                spec = SCHEMA[sec][key]
                if r[sec][key] != spec.default:
                    self.bad(
                        f"{sec}.{key}: got {_shown(r[sec][key], spec.dim)}, allowed the default "
                        f"{_shown(spec.default, spec.dim)} here: the key is used by the SLS pad "
                        f"relaxation (`ssbx screen`, the FE with physics.ageing), which needs a "
                        f"pad with E1, E2, tau ({why})"
                    )
        # keys of a physics that is switched off
        for switch, keys in NEEDS_PHYSICS.items():
            if ph[switch]:
                continue
            for sec, key in keys:
                v = r[sec][key]
                if sec == "interface" and key == "debonded":
                    if v:
                        self.bad(
                            f"interface.debonded: got {len(v)} region(s), allowed none with "
                            f"physics.{switch} = false: initial decohesion is a state of the "
                            "interface law (set physics.mechanics = true)"
                        )
                    continue
                default = derived_default(r, sec, key)
                if v != default:
                    dim = SCHEMA[sec][key].dim
                    self.bad(
                        f"{sec}.{key}: got {_shown(v, dim)}, allowed the default "
                        f"{_shown(default, dim)} with physics.{switch} = false: the key acts only "
                        f"in the {PHYSICS_LABEL[switch]} (set physics.{switch} = true)"
                    )
        for where, st in walk_steps(ld["protocol"]):
            if st["kind"] == "eis":
                if not ph["electrochemistry"]:
                    self.bad(
                        f"{where}.kind: got 'eis' with physics.electrochemistry = false, allowed "
                        "hold, rest, lithiate: an impedance spectrum needs the potentials (set "
                        "physics.electrochemistry = true)"
                    )
                continue
            if st["kind"] in ("current", "voltage") and not ph["electrochemistry"]:
                self.bad(
                    f"{where}.kind: got '{st['kind']}' with physics.electrochemistry = false, "
                    "allowed hold, rest, lithiate: a current or voltage needs the potentials "
                    "(set physics.electrochemistry = true)"
                )
            if st["kind"] == "lithiate" and ph["transport"]:
                self.bad(
                    f"{where}.kind: got 'lithiate' with physics.transport = true, allowed hold, "
                    "rest, current, voltage: a lithiate step prescribes a uniform c, which the "
                    "transport solves for instead (lithiate with a 'current' step)"
                )
            if (
                ld["pressure_mode"] == "displacement"
                and st["stack_pressure"] is not None
                and st["stack_pressure"] != ld["stack_pressure"]
            ):
                self.bad(
                    f"{where}.stack_pressure: got {_shown(st['stack_pressure'], 'pressure')}, "
                    f"allowed loading.stack_pressure ({_shown(ld['stack_pressure'], 'pressure')}) "
                    "with loading.pressure_mode = 'displacement': the top face is displaced, not "
                    "loaded (use the step's displacement)"
                )
        if out["every"] != 1 and not out["fields"]:
            self.bad(
                f"output.every: got {out['every']}, allowed 1 with output.fields = false: every "
                "thins the field output, which is off (set output.fields = true)"
            )


# Keys that act only with a physics switch on and that `ssbx screen` does not read: set to a
# value other than the default while the switch is off, they are refused (_Resolver.unused_keys).
def ageing_grows_interphase(raw: dict) -> bool:
    """Whether physics.ageing grows the interphase: ageing.sei_D given in the case file."""
    ag = raw.get("ageing") if isinstance(raw, dict) else None
    return isinstance(ag, dict) and "sei_D" in ag


def _has_spectrum(m) -> bool:
    """Whether a material (resolved dict) has a relaxation spectrum (SLS or a Prony term)."""
    if not isinstance(m, dict):
        return False
    return all(m.get(k) is not None for k in M.SLS_KEYS) or m.get("prony_E1") is not None


NEEDS_PHYSICS: dict[str, tuple[tuple[str, str], ...]] = {
    "mechanics": (
        *(
            ("interface", k)
            for k in (
                "law",
                "K_n",
                "K_t",
                "K_c",
                "sigma_c",
                "tau_c",
                "G_Ic",
                "G_IIc",
                "bk_eta",
                "friction",
                "penalty",
                "viscosity",
                "g_open",
                "registry_length",
                "debonded",
            )
        ),
        ("loading", "pressure_mode"),
        ("loading", "lateral"),
        ("loading", "bottom"),
        ("solver", "max_decohesion_increment"),
    ),
    "electrochemistry": (
        ("interface", "C_dl"),
        ("interface", "Ea_i0"),
        ("interface", "i0_dependence"),
        ("loading", "counter_boundary"),
    ),
    "thermal": tuple(
        ("thermal", k)
        for k in (
            "h_conv",
            "top",
            "bottom",
            "h_bonded",
            "h_gap",
            "tau_shrink",
            "tau_recover",
            "T_limit",
            "retention_min",
        )
    ),
}
PHYSICS_LABEL = {
    "mechanics": "mechanics (interface law, faces, step control)",
    "electrochemistry": "potentials and interface kinetics",
    "thermal": "heat equation",
}


_PETSC_TYPE_CLASSES = {
    "ksp_type": ("KSP", "Type"),
    "pc_type": ("PC", "Type"),
    "snes_type": ("SNES", "Type"),
    "pc_factor_mat_solver_type": ("Mat", "SolverType"),
    "snes_linesearch_type": ("SNESLineSearch", "Type"),
}


def _petsc_types(key: str) -> set[str] | None:
    """The type names PETSc knows for an option ``key`` ending in one of the type options above
    (any sub-prefix, e.g. fieldsplit_0_ksp_type), from petsc4py's type tables; None for other
    options (or without petsc4py: then PETSc reports it at the run)."""
    suffix = next((k for k in _PETSC_TYPE_CLASSES if key == k or key.endswith("_" + k)), None)
    if suffix is None:
        return None
    cls, table = _PETSC_TYPE_CLASSES[suffix]
    if suffix == "pc_type" and key.endswith("_factor_mat_solver_type"):
        return None
    try:
        import solver.petsc_env  # noqa: F401  (before petsc4py)

        from petsc4py import PETSc
    except ImportError:  # pragma: no cover - petsc4py is a dependency of the run
        return None
    t = getattr(getattr(PETSc, cls, None), table, None)
    if t is None:
        return None
    return {str(v) for k, v in vars(t).items() if k.isupper() and isinstance(v, str)}


# PETSc options that PETSc reads only while it sets a solver up (factorisations, matrix types,
# sub-solvers of a split), or that ssbx reads itself: not probed by name
_PETSC_SETUP_PREFIXES = ("mat_", "fieldsplit_", "sub_", "mg_", "pc_fieldsplit_", "aux_")
_PETSC_COMMON = (
    "snes_type", "snes_rtol", "snes_atol", "snes_stol", "snes_max_it", "snes_linesearch_type",
    "snes_divergence_tolerance", "snes_monitor", "snes_converged_reason", "snes_lag_jacobian",
    "ksp_type", "ksp_rtol", "ksp_atol", "ksp_divtol", "ksp_max_it", "ksp_gmres_restart",
    "ksp_monitor", "ksp_converged_reason", "ksp_pc_side", "ksp_norm_type", "pc_type",
    "pc_factor_mat_solver_type", "pc_factor_shift_type", "pc_gamg_threshold",
)  # fmt: skip
_SSBX_PC = {"ssbx_pc": ("mumps", "auxiliary"), "ssbx_pc_regions": ("auto", "true", "false")}


def _petsc_probe(opts: dict) -> list[str]:
    """One line per option of ``solver.petsc_options`` that PETSc would not take, found before
    any work: ``ssbx_pc`` / ``ssbx_pc_regions`` outside their choices; a ``snes_``, ``ksp_`` or
    ``pc_`` option that a throw-away SNES configured from the options (their own snes/ksp/pc
    types, default newtonls/preonly/lu) does not read (a misspelt or foreign name: PETSc would
    ignore it silently); a value PETSc cannot read for its option (text for a number, 2.5 for an
    integer). Options read only at set-up time (``mat_``, ``fieldsplit_``, ...) are not probed.
    Without petsc4py no line (PETSc reports at the run)."""
    lines = []
    probe = {}
    aux = str(opts.get("ssbx_pc", "mumps")).strip().lower() == "auxiliary"
    context = {
        "snes_type": "newtonls",
        "ksp_type": "cg" if aux else "preonly",
        "pc_type": "none" if aux else "lu",
    }
    context.update({k: v for k, v in opts.items() if k in context})
    for key, v in opts.items():
        where = f"solver.petsc_options.{key}"
        if key in _SSBX_PC:
            choices = _SSBX_PC[key]
            text = str(v).strip().lower()
            if key == "ssbx_pc_regions" and text in ("1", "yes", "on", "0", "no", "off"):
                continue
            if isinstance(v, bool) and key == "ssbx_pc_regions":
                continue
            if text not in choices:
                lines.append(
                    f"{where}: got {_show(v)}{_suggest(text, list(choices))}, allowed one of "
                    f"{', '.join(repr(c) for c in choices)}"
                )
        elif key.startswith(("snes_", "ksp_", "pc_")) and not key.startswith(_PETSC_SETUP_PREFIXES):
            if not (aux and key.startswith("pc_")):  # the auxiliary PC is ssbx's own
                probe[key] = v
    if not probe:
        return lines
    try:
        import solver.petsc_env  # noqa: F401  (before petsc4py)

        from petsc4py import PETSc
    except ImportError:  # pragma: no cover - petsc4py is a dependency of the run
        return lines

    def value(v):  # as solver.api._petsc_options passes it (true: the flag alone)
        if isinstance(v, bool):
            return "" if v else "false"
        return str(v)

    def run(sub: dict) -> tuple[dict, str | None]:
        o = PETSc.Options()
        pre = "ssbxprobe_"
        full = {**context, **sub}
        for k, v in full.items():
            o[pre + k] = value(v)
        snes = PETSc.SNES().create(PETSc.COMM_SELF)
        err = None
        try:
            snes.setOptionsPrefix(pre)
            snes.setFromOptions()
            used = {k: bool(o.used(pre + k)) for k in sub}
        except PETSc.Error as e:
            used, err = {}, str(e).strip().splitlines()[-1] if str(e).strip() else "error"
        finally:
            snes.destroy()
            for k in full:
                o.delValue(pre + k)
        return used, err

    used, err = run(probe)
    if err is not None:  # find the option(s) whose value PETSc cannot read
        for key, v in probe.items():
            _, e1 = run({key: v})
            if e1 is not None:
                lines.append(
                    f"solver.petsc_options.{key}: got {_show(v)}, allowed a value PETSc can read "
                    "for this option (a number where it expects one, an integer for counts)"
                )
        return lines
    types = "/".join(str(context[k]) for k in ("snes_type", "ksp_type", "pc_type"))
    for key, ok in used.items():
        if ok:
            continue
        if key in _PETSC_COMMON:
            lines.append(
                f"solver.petsc_options.{key}: PETSc ignores this option with "
                f"snes_type/ksp_type/pc_type = {types}, allowed an option these solvers read"
            )
        else:
            lines.append(
                f"solver.petsc_options.{key}: not an option PETSc knows for "
                f"snes_type/ksp_type/pc_type = {types}{_suggest(key, list(_PETSC_COMMON))}, "
                "allowed an option PETSc reads (it would be ignored)"
            )
    return lines


def msh_cell_count(path: str | os.PathLike) -> int | None:
    """The number of cells (elements of the highest dimension present) of an ASCII Gmsh .msh
    file (formats 2.2 and 4.1), read from its $Elements section without building anything;
    None for a binary file or one that cannot be read this way (gmsh judges it later)."""
    try:
        with open(path, encoding="ascii", errors="strict") as f:
            if f.readline().strip() != "$MeshFormat":
                return None
            version, ftype, *_ = f.readline().split()
            if ftype != "0":
                return None
            for line in f:
                if line.strip() == "$Elements":
                    break
            else:
                return None
            counts: dict[int, int] = {}
            if version.startswith("4"):
                nblocks = int(f.readline().split()[0])
                for _ in range(nblocks):
                    dim, _tag, _type, n = (int(x) for x in f.readline().split()[:4])
                    counts[dim] = counts.get(dim, 0) + n
                    for _ in range(n):
                        f.readline()
            else:  # 2.2: one line per element, "id type ntags ..." (dim from the type)
                dims = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 3, 7: 3, 8: 1, 9: 2, 10: 2, 11: 3, 15: 0}
                n = int(f.readline().split()[0])
                for _ in range(n):
                    d = dims.get(int(f.readline().split()[1]), 0)
                    counts[d] = counts.get(d, 0) + 1
    except (OSError, UnicodeDecodeError, ValueError, IndexError):
        return None
    return counts[max(counts)] if counts else None


def derived_default(r: dict, sec: str, key: str) -> Any:
    """The value a key takes when it is not set (the defaults filled in by the resolver)."""
    itf = r["interface"]
    if sec == "interface" and key == "registry_length":
        return itf["asperity_radius"]
    if sec == "interface" and key == "asperity_spacing":
        return 10.0 * itf["asperity_radius"]
    if sec == "thermal" and key == "T_ambient":
        return r["loading"]["temperature"]
    return SCHEMA[sec][key].default


def _shown(v: Any, dim: str) -> str:
    """A value in a message: SI with its unit for quantities."""
    if isinstance(v, float) and dim != "dimensionless":
        return format_si(v, dim)
    return _show(v)


def derive_roles(family: str, params: dict) -> list[str]:
    """Material roles present in a family's geometry (used when the family module has no
    ``roles(params)``): bilayer/rough/composite/asperity have an electrode and an electrolyte;
    a stack has electrode, [coating], electrolyte, electrolyte_2..n, [counter], [pad]."""
    if family != "stack":
        return ["electrode", "electrolyte"]

    def present(*names: str) -> bool:
        for n in names:
            v = params.get(n)
            if isinstance(v, bool):
                return v
            if isinstance(v, int | float):
                return v > 0
        return False

    roles = ["electrode"]
    if present("t_c", "coating_thickness", "t_coating"):
        roles.append("coating")
    layers = 1
    for n in ("t_s", "electrolyte_thicknesses", "t_electrolyte"):
        v = params.get(n)
        if isinstance(v, list | tuple):
            layers = max(1, len(v))
            break
    roles.append("electrolyte")
    roles += [f"electrolyte_{k}" for k in range(2, layers + 1)]
    if present("t_counter", "counter_thickness", "t_ce"):
        roles.append("counter")
    if present("t_pad", "pad_thickness", "t_p"):
        roles.append("pad")
    return roles


def _is_role(name: str) -> bool:
    return name in ROLE_KINDS or re.fullmatch(r"electrolyte_[2-9][0-9]*", name) is not None


def _geometry_line(e: GeometryError) -> str:
    text = str(e)
    return text if text.startswith("geometry.") else f"geometry.{e.key}: {text}"


def _suggest(word: Any, options, ci: bool = False) -> str:
    if not isinstance(word, str):
        return ""
    opts = [str(o) for o in options]
    if ci:
        lower = {o.lower(): o for o in opts}
        m = difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=0.6)
        m = [lower[x] for x in m]
    else:
        m = difflib.get_close_matches(word, opts, n=1, cutoff=0.6)
    return f" (did you mean '{m[0]}'?)" if m else ""


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int) and abs(v) >= 10**20:
        return f"an integer of ~{int(v.bit_length() * 0.30103)} digits"
    if isinstance(v, str):
        return repr(v) if len(v) <= 80 else repr(v[:60]) + f"... ({len(v)} characters)"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return str(v)


# ---------------------------------------------------------------------------------- writing


def _dims_of(sec: str, key: str, resolved: dict) -> str | None:
    if sec == "geometry":
        if key in SCHEMA["geometry"]:
            return None
        try:
            p = family_module(resolved["geometry"]["family"]).PARAMS.get(key)
        except GeometryError:  # pragma: no cover
            return None
        return p.dim if p is not None and p.kind in ("float", "floats") else None
    spec = SCHEMA.get(sec, {}).get(key)
    return spec.dim if spec is not None and spec.kind == "float" else None


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k, ensure_ascii=False)


def _line(key: str, v: Any, dim: str | None) -> str:
    text = f"{_toml_key(key)} = {_toml_value(v)}"
    unit = si_unit(dim) if dim else ""
    return f"{text}  # {unit}" if unit else text


def to_toml(resolved: dict, path: Path | None = None) -> str:
    """Write a resolved case as TOML: bare SI numbers with the unit in a comment; keys without a
    value (None) are left out (they read back as their default None)."""
    src = f" from {path}" if path is not None else ""
    out = [f"# ssbx case, resolved{src}: every quantity in SI units (unit in the comment)."]
    for sec in SECTION_ORDER:
        table = resolved[sec]
        if sec == "materials":
            for role, mat in table.items():
                out += ["", f"[materials.{_toml_key(role)}]"]
                for key, v in mat.items():
                    if v is not None:
                        dim = M.PROPERTY_DIMS[key][0] if key in M.PROPERTY_DIMS else None
                        out.append(_line(key, v, dim))
            continue
        out += ["", f"[{sec}]"]
        nested = []
        for key, v in table.items():
            if v is None:
                continue
            if sec == "loading" and key == "protocol":
                nested += _protocol_toml(v)
            elif sec == "loading" and key == "boundary":
                for b in v:
                    nested += ["", "[[loading.boundary]]"]
                    for k, x in b.items():
                        if x is not None:
                            spec = BOUNDARY_SCHEMA[k]
                            dim = spec.dim if spec.kind in ("float", "floats") else None
                            nested.append(_line(k, x, dim))
            elif sec == "interface" and key == "initial_gap":
                nested += ["", "[interface.initial_gap]"]
                for k, x in v.items():
                    if x is not None:
                        spec = GAP_SCHEMA[k]
                        dim = spec.dim if spec.kind in ("float", "floats") else None
                        nested.append(_line(k, x, dim))
            elif sec == "interface" and key == "debonded":
                for reg in v:
                    nested += ["", "[[interface.debonded]]"]
                    for k, x in reg.items():
                        if x is not None:
                            spec = DEBONDED_SCHEMA[k]
                            dim = spec.dim if spec.kind in ("float", "floats") else None
                            nested.append(_line(k, x, dim))
            elif sec == "solver" and key == "petsc_options":
                if v:
                    nested += ["", "[solver.petsc_options]"]
                    nested += [f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()]
            else:
                out.append(_line(key, v, _dims_of(sec, key, resolved)))
        out += nested
    return "\n".join(out) + "\n"


def _protocol_toml(steps: list[dict], table: str = "loading.protocol") -> list[str]:
    out = []
    for st in steps:
        out += ["", f"[[{table}]]"]
        for key, v in st.items():
            if v is not None and key != "steps":
                spec = STEP_SCHEMA[key]
                out.append(_line(key, v, spec.dim if spec.kind == "float" else None))
        if st["kind"] == "cycle":
            out += _protocol_toml(st["steps"], f"{table}.steps")
    return out


def _format_steps(steps: list[dict], prefix: str = ""):
    """(label, step) of every protocol step for ``ssbx check``: a cycle, then its steps."""
    for i, st in enumerate(steps):
        yield f"{prefix}{i}", st
        if st["kind"] == "cycle":
            yield from _format_steps(st["steps"], f"{prefix}{i}.")


def format_case(case: Case) -> str:
    """The resolved case, grouped by section, each value with its SI unit (``ssbx check``)."""
    r = case.resolved
    g = r["geometry"]
    mode = (
        "axisymmetric (r, z)" if g["axisymmetric"] else ("plane strain" if g["dim"] == 2 else "3D")
    )
    summary = f"{g['family']} geometry, {g['dim']}D {mode}; materials: " + ", ".join(
        f"{role}={m['preset'] or 'user-defined'}" for role, m in r["materials"].items()
    )
    lines = [
        f"case '{case.name}'" + (f" ({case.path})" if case.path else ""),
        *textwrap.wrap(summary, 98, initial_indent="  ", subsequent_indent="    "),
        "  all values resolved to SI units; '-' = not set (solver default or unused)",
    ]
    width = 24

    def row(key: str, v: Any, dim: str | None) -> str:
        if v is None:
            text = "-"
        elif isinstance(v, float) and dim:
            text = format_si(v, dim)
        elif isinstance(v, list) and dim:
            text = "[" + ", ".join(format_si(x, dim) for x in v) + "]"
        elif isinstance(v, float):
            text = f"{v:.6g}"
        else:
            text = _show(v) if not isinstance(v, str) else v
        return f"  {key:<{width}} {text}"

    for sec in SECTION_ORDER:
        table = r[sec]
        if sec == "materials":
            for role, mat in table.items():
                name = mat["preset"] or "user-defined"
                lines += [
                    "",
                    f"[materials.{role}]  {name} ({mat['kind']})"
                    + (f" - {mat['description']}" if mat["description"] else ""),
                ]
                for key, v in mat.items():
                    if key in M.PROPERTY_DIMS and v is not None:
                        lines.append(row(key, v, M.PROPERTY_DIMS[key][0]))
                    elif key in M.CURVE_KEYS and v is not None:  # a built-in name or a CSV
                        lines.append(row(key, v, None))
                unset = [k for k in M.PROPERTY_DIMS if mat[k] is None]
                if unset:  # wrapped like the source
                    wrapped = textwrap.wrap(", ".join(unset), 100 - width - 3)
                    lines.append(row("(not set)", wrapped[0], None))
                    lines += [f"  {'':<{width}} {t}" for t in wrapped[1:]]
                src = textwrap.wrap(mat["source"], 100 - width - 3) or [""]
                lines.append(row("source", src[0], None))
                lines += [f"  {'':<{width}} {t}" for t in src[1:]]
            continue
        lines += ["", f"[{sec}]"]
        for key, v in table.items():
            if sec == "loading" and key == "boundary":
                for i, b in enumerate(v):
                    parts = []
                    for k, x in b.items():
                        if x is None:
                            continue
                        spec = BOUNDARY_SCHEMA[k]
                        if spec.kind == "floats":
                            x = "[" + ", ".join(format_si(e, "length") for e in x) + "]"
                        elif spec.kind == "float":
                            x = format_si(x, spec.dim)
                        parts.append(f"{k}={x}")
                    lines.append(row(f"boundary[{i}]", ", ".join(parts), None))
            elif sec == "loading" and key == "protocol":
                if not v:
                    lines.append(row("protocol", "[] (one static load step)", None))
                for i, st in _format_steps(v):
                    parts = []
                    for k, x in st.items():
                        if k in ("kind", "steps") or x is None:
                            continue
                        spec = STEP_SCHEMA[k]
                        parts.append(f"{k}={format_si(x, spec.dim) if spec.kind == 'float' else x}")
                    text = f"{st['kind']}: " + ", ".join(parts)
                    wrapped = textwrap.wrap(text, 100, subsequent_indent="  ")
                    lines.append(row(f"protocol[{i}]", wrapped[0], None))
                    lines += [f"  {'':<{width}} {t}" for t in wrapped[1:]]
            elif sec == "interface" and key == "initial_gap" and v is not None:
                parts = []
                for k, x in v.items():
                    if k == "shape" or x is None:
                        continue
                    spec = GAP_SCHEMA[k]
                    if spec.kind == "floats":
                        x = "[" + ", ".join(format_si(e, "length") for e in x) + "]"
                    elif spec.kind == "float":
                        x = format_si(x, spec.dim)
                    parts.append(f"{k}={x}")
                lines.append(row("initial_gap", f"{v['shape']}: " + ", ".join(parts), None))
            elif sec == "interface" and key == "debonded":
                if not v:
                    lines.append(row("debonded", "[] (bonded everywhere)", None))
                for i, reg in enumerate(v):
                    parts = []
                    for k, x in reg.items():
                        if k == "shape" or x is None:
                            continue
                        spec = DEBONDED_SCHEMA[k]
                        if spec.kind == "floats":
                            x = "[" + ", ".join(format_si(e, "length") for e in x) + "]"
                        elif spec.kind == "float" and spec.dim != "dimensionless":
                            x = format_si(x, spec.dim)
                        else:
                            x = _show(x)
                        parts.append(f"{k}={x}")
                    lines.append(
                        row(f"debonded[{i}]", f"{reg['shape']}: " + ", ".join(parts), None)
                    )
            elif sec == "solver" and key == "petsc_options":
                text = ", ".join(f"{k}={_show(x)}" for k, x in v.items()) or "{} (solver defaults)"
                lines.append(row(key, text, None))
            else:
                lines.append(row(key, v, _dims_of(sec, key, r)))
    return "\n".join(lines)
