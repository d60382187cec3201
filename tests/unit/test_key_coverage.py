"""Every case-file key does something: it moves an output of a small run, or it is refused.

The project rule: a switch or key that changes nothing is a defect, refused on load until it
works (docs/case-format.md, "Keys that change nothing"). ``COVERAGE`` names, for every key of
``solver.config.SCHEMA`` (all sections, the protocol step keys of ``STEP_SCHEMA``, the
``[[interface.debonded]]`` keys and the material keys), how it is covered:

* ``Acts``: a small run with the key perturbed (``b``) differs from the reference run (``a``,
  default the base) in at least one of the outputs ``via`` (time-series columns, summary entries,
  run-directory files, the resolved case). Numerical keys (penalty, regularisation, solver
  control) list in ``same`` the physics outputs that must *not* move with them (within ``tol``):
  they act through iteration counts, step cuts, error columns or numerical quantities.
* ``Screen``: a screen-only key (its schema doc says so): it moves a quantity of
  ``solver.screen`` and nothing of the FE model reads it.
* ``Refused``: the key is refused on load with one line naming it when set to a value that
  would have no effect.

A key missing from ``COVERAGE`` (e.g. a new one) fails ``test_every_key_is_covered``. The runs
are small 2D bilayers (a few hundred cells, 1-6 steps, no field output) grouped into a handful
of bases; each distinct run is computed once per module.
"""

from __future__ import annotations

import copy
import gc
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.mech_helpers import SMALL_STACK

pytestmark = pytest.mark.serial

OUT = {"fields": False, "preview": False}
SMALL = {
    "family": "bilayer",
    "dim": 2,
    "W": "10 um",
    "t_e": "5 um",
    "t_s": "10 um",
    "h_max": "2.5 um",
}

# ----------------------------------------------------------------------------------- the bases
# a flat NMC811 | LLZO bilayer, mechanics only (the bases "peel" and "press" add their loading)
FLAT = {
    "geometry": SMALL,
    "materials": {"electrode": "NMC811", "electrolyte": "LLZO"},
    "physics": {"mechanics": True},
    "output": OUT,
}
# Li | LLZO, potentials only (the bases "li_bare" and "eis")
LI_POTENTIALS = {
    "geometry": SMALL,
    "materials": {"electrode": "Li", "electrolyte": "LLZO"},
    "interface": {"kinetics": "linear", "R_ct": "10 Ohm cm^2", "microcontact": "none"},
    "physics": {"mechanics": False, "electrochemistry": True},
    "output": OUT,
}
EIS_REST = {"kind": "rest", "duration": "1 s", "n_steps": 1}
EIS_STEP = {"kind": "eis", "f_min": "10 Hz", "f_max": "1 MHz", "points_per_decade": 2}
BASES: dict[str, dict] = {
    # a sinusoidal interface pulled open (mode I and II on its flanks), then pushed closed again:
    # decohesion, dissipation, slip of decohered surfaces under compression
    "tension": {
        "geometry": {**SMALL, "interface": "sinusoid", "amplitude": "1 um", "wavelength": "10 um"},
        "materials": {"electrode": "NMC811", "electrolyte": "LLZO"},
        "loading": {
            "pressure_mode": "displacement",
            "protocol": [
                {"kind": "hold", "duration": "1 s", "n_steps": 2, "displacement": "20 nm"},
                {"kind": "hold", "duration": "1 s", "n_steps": 1, "displacement": "-10 nm"},
            ],
        },
        "physics": {"mechanics": True},
        "output": OUT,
    },
    # a flat bilayer clamped at the bottom, its top pulled up by [[loading.boundary]]: the
    # interface decoheres from its free edges inwards (solver.path_following)
    "peel": {
        **FLAT,
        "loading": {
            "bottom": "clamped",
            "lateral": "free",
            "stack_pressure": 0.0,
            "boundary": [{"face": "top", "uy": "40 nm"}],
            "protocol": [{"kind": "hold", "duration": "1 s", "n_steps": 4, "load_factor": 1.0}],
        },
    },
    # a flat bilayer pressed by a traction, 20 K above the stress-free temperature
    "press": {
        **FLAT,
        "loading": {
            "stack_pressure": "2 MPa",
            "temperature": "318.15 K",
            "protocol": [{"kind": "hold", "duration": "1 s", "n_steps": 1}],
        },
    },
    # Li | LLZO at 35 degC (Arrhenius laws act), the left half of Γ_int decohered without
    # registry (plastic micro-contacts), an interphase film; one current step (Li stripping)
    "li": {
        "geometry": SMALL,
        "materials": {"electrode": "Li", "electrolyte": "LLZO"},
        "interface": {
            "kinetics": "butler_volmer",
            "i0": "1 mA/cm^2",
            "h_sei0": "0.1 nm",
            "debonded": [{"shape": "interval", "x": ["0 um", "5 um"], "registry": False}],
        },
        "loading": {
            "stack_pressure": "1 MPa",
            "temperature": "308.15 K",
            "current_density": "1 mA/cm^2",
            "protocol": [{"kind": "current", "duration": "10 s", "n_steps": 1}],
        },
        "physics": {"mechanics": True, "electrochemistry": True},
        "output": OUT,
    },
    # NMC811 | LLZO with Li transport at 35 degC: a current step delithiates the film
    "transport": {
        "geometry": SMALL,
        "materials": {
            "electrode": {
                "preset": "NMC811",
                "c_init": "31000 mol/m^3",
                "c_ref": "31000 mol/m^3",
                "ocv": "4.45 V",
                "ocv_slope": "-1.0 V",
            },
            "electrolyte": "LLZO",
        },
        "interface": {"kinetics": "butler_volmer", "i0": "1 mA/cm^2"},
        "loading": {
            "stack_pressure": "1 MPa",
            "temperature": "308.15 K",
            "current_density": "1 mA/cm^2",
            "protocol": [{"kind": "current", "duration": "100 s", "n_steps": 1}],
        },
        "physics": {"mechanics": True, "electrochemistry": True, "transport": True},
        "output": OUT,
    },
    # NMC811 | LLZO with Li transport and the preset's tabulated OCV (Chen2020), no mechanics:
    # a current step delithiates the film
    "curve": {
        "geometry": SMALL,
        "materials": {
            "electrode": {"preset": "NMC811", "c_init": "31000 mol/m^3", "c_ref": "31000 mol/m^3"},
            "electrolyte": "LLZO",
        },
        "interface": {"kinetics": "butler_volmer", "i0": "1 mA/cm^2"},
        "loading": {
            "current_density": "1 mA/cm^2",
            "protocol": [{"kind": "current", "duration": "100 s", "n_steps": 2}],
        },
        "physics": {"mechanics": False, "electrochemistry": True, "transport": True},
        "output": OUT,
    },
    # Li | LLZO potentials only, without a protocol (for loading.experiment)
    "li_bare": LI_POTENTIALS,
    # the same: a rest, then the impedance spectrum of that state (an 'eis' step: docs/theory.md
    # §5.8)
    "eis": {**LI_POTENTIALS, "loading": {"protocol": [EIS_REST, EIS_STEP]}},
    # heat: a strong current through a bonded NMC811 | LLZO (no mechanics), contact shrinkage on
    "heat": {
        "geometry": {**SMALL, "t_e": "10 um", "t_s": "20 um"},
        "materials": {"electrode": {"preset": "NMC811", "ocv": 0.0}, "electrolyte": "LLZO"},
        "interface": {"kinetics": "linear", "R_ct": "1 Ohm cm^2", "microcontact": "none"},
        "loading": {
            "current_density": "100 mA/cm^2",
            "protocol": [{"kind": "current", "duration": "10 s", "n_steps": 1}],
        },
        "physics": {"mechanics": False, "electrochemistry": True, "thermal": True},
        "thermal": {"tau_shrink": "1 s"},
        "output": OUT,
    },
    # a stack with a pad, compressed by the platen (displacement mode): pad_strain sets the
    # platen displacement −pad_strain t_pad
    "pad": {
        "geometry": {**SMALL_STACK, "h_max": "1 um"},
        "materials": {"electrode": "NMC811", "electrolyte": "LLZO", "pad": "polymer_pad"},
        "loading": {
            "pressure_mode": "displacement",
            "protocol": [{"kind": "hold", "duration": "1 s", "n_steps": 1}],
        },
        "physics": {"mechanics": True},
        "output": OUT,
    },
    # the interphase grows for 30 days at 318 K under a held platen (physics.ageing): its
    # compliance lowers the Gamma_int pressure below p_min within the run
    "ageing": {
        "geometry": {**SMALL_STACK, "t_pad": 0},
        "materials": {"electrode": "NMC811", "electrolyte": "LLZO"},
        "loading": {
            "pressure_mode": "displacement",
            "temperature": "318.15 K",
            "protocol": [
                {"kind": "hold", "duration": "1 s", "n_steps": 1, "displacement": "-2 nm"},
                {"kind": "rest", "duration": "30 d", "n_steps": 1},
            ],
        },
        "physics": {"mechanics": True, "ageing": True},
        "ageing": {"sei_D": 1e-19, "sei_E": "1 GPa", "p_min": "50 MPa"},
        "output": OUT,
    },
    # the smallest 3D bilayer (pressed), for geometry.dim and 3D-only keys
    "press3d": {
        "geometry": {**SMALL, "dim": 3, "W": "4 um", "t_e": "2 um", "t_s": "2 um", "h_max": "2 um"},
        "materials": {"electrode": "NMC811", "electrolyte": "LLZO"},
        "loading": {"protocol": [{"kind": "hold", "duration": "1 s", "n_steps": 1}]},
        "physics": {"mechanics": True},
        "output": OUT,
    },
    # Li | LLZO pressed at 2 MPa with Norton creep (physics.inelastic): the Li creeps
    "creep": {
        "geometry": {**SMALL, "h_max": "5 um"},
        "materials": {"electrode": "Li", "electrolyte": "LLZO"},
        "loading": {
            "stack_pressure": "2 MPa",
            "protocol": [{"kind": "hold", "duration": "100 s", "n_steps": 2}],
        },
        "physics": {"mechanics": True, "inelastic": True},
        "output": OUT,
    },
    # the pad stack of "pad" pressed by a traction, the pad relaxing (SLS of polymer_pad)
    "visco": {
        "geometry": dict(SMALL_STACK),
        "materials": {"electrode": "NMC811", "electrolyte": "LLZO", "pad": "polymer_pad"},
        "loading": {
            "stack_pressure": "1 MPa",
            "temperature": "318.15 K",
            "protocol": [{"kind": "hold", "duration": "2 h", "n_steps": 2}],
        },
        "physics": {"mechanics": True, "inelastic": True},
        "output": OUT,
    },
    # the pad stack under a held platen (the default -pad_strain t_pad) with physics.ageing: the
    # pad relaxes (SLS of polymer_pad), t*_pad at ageing.p_c in the summary
    "padage": {
        "geometry": dict(SMALL_STACK),
        "materials": {"electrode": "NMC811", "electrolyte": "LLZO", "pad": "polymer_pad"},
        "loading": {
            "pressure_mode": "displacement",
            "protocol": [
                {"kind": "hold", "duration": "1 s", "n_steps": 1},
                {"kind": "rest", "duration": "3 h", "n_steps": 1},
            ],
        },
        "physics": {"mechanics": True, "ageing": True},
        "output": OUT,
    },
}
# "visco" with a user-defined three-term Prony pad
PRONY_PAD = {
    "kind": "pad",
    "E": "60 MPa",
    "nu": 0.45,
    "prony_E1": "10 MPa",
    "prony_tau1": "10 min",
    "prony_E2": "10 MPa",
    "prony_tau2": "1 h",
    "prony_E3": "10 MPa",
    "prony_tau3": "5 h",
}
# the screen's reference case (no FE run): a Li | LLZO stack with a polymer pad
SCREEN_BASE = {
    "geometry": {"family": "stack", "t_c": 0},
    "materials": {
        "electrode": "Li",
        "electrolyte": "LLZO",
        "electrolyte_2": "LLZO",
        "counter": "In",
        "pad": "polymer_pad",
    },
    "loading": {"stack_pressure": "2 MPa", "temperature": "318.15 K"},
    "physics": {"mechanics": True},
    "ageing": {"p_min": "50 MPa", "p_c": "1.5 MPa"},
}


# ----------------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Acts:
    base: str
    b: dict
    via: tuple[str, ...]
    a: dict = field(default_factory=dict)
    same: tuple[str, ...] = ()  # numerical key: physics outputs that must not move
    tol: float = 0.02


@dataclass(frozen=True)
class Screen:
    b: dict
    via: tuple[str, ...]
    a: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Refused:
    b: dict
    fragment: str
    base: str = "press"


def _itf(**kw) -> dict:
    return {"interface": kw}


def _ld(**kw) -> dict:
    return {"loading": kw}


def _mat(role: str, **kw) -> dict:
    return {"materials": {role: kw}}


def _steps(*steps) -> dict:
    return {"loading": {"protocol": list(steps)}}


HOLD = {"kind": "hold", "duration": "1 s", "n_steps": 1}
FIXED_PLATEN_2 = {
    "loading": {
        "pressure_mode": "displacement",
        "temperature": "308.15 K",
        "current_density": "1 mA/cm^2",
        "protocol": [{"kind": "current", "duration": "20 s", "n_steps": 2}],
    }
}
LI_CURRENT = {"kind": "current", "duration": "10 s", "n_steps": 1}
LI_TWO = {**LI_CURRENT, "n_steps": 2}  # a cut-off ends the step after the first of two
CV_HOLD = {"kind": "voltage", "duration": "100 s", "n_steps": 2, "voltage": "3.83 V"}
PROFILE = "PROFILE"  # replaced by a CSV current history written by the fixture
D_TABLE = "D_TABLE"  # a CSV D(x) (fixture)
BETA_TABLE = "BETA_TABLE"  # a CSV beta(x) (fixture)
MECH_PHYSICS = ("reaction_force", "debonded_fraction", "cohesive_dissipation")
EC_PHYSICS = ("asr_total", "asr_interfacial", "active_fraction")

COVERAGE: dict[str, Acts | Screen | Refused] = {
    # [case]
    "case.name": Acts("press", {"case": {"name": "other"}}, ("summary.case",)),
    "case.description": Acts("press", {"case": {"description": "a note"}}, ("resolved",)),
    # [geometry]
    "geometry.family": Acts(
        "press", {"geometry": {"family": "rough", "rms": "0.2 um"}}, ("summary.mesh.cells",)
    ),
    "geometry.dim": Acts(
        "press3d", {"geometry": {"dim": 2}}, ("summary.mesh.gdim", "reaction_force")
    ),
    "geometry.axisymmetric": Acts(
        "press", {"geometry": {"axisymmetric": True}}, ("reaction_force", "top_displacement")
    ),
    "geometry.mesh_file": Acts(
        "press", {"geometry": {"mesh_file": "MESH"}}, ("summary.mesh.cells",)
    ),
    # [interface]: the cohesive law, through the tension test
    "interface.law": Acts("tension", _itf(law="exponential"), MECH_PHYSICS),
    "interface.K_n": Acts("tension", _itf(K_n="1e16 Pa/m"), ("top_displacement", *MECH_PHYSICS)),
    "interface.K_t": Acts("tension", _itf(K_t="1e16 Pa/m"), MECH_PHYSICS),
    "interface.K_c": Acts("tension", _itf(K_c="1e16 Pa/m"), ("reaction_force", "min_pressure")),
    "interface.sigma_c": Acts("tension", _itf(sigma_c="15 MPa"), MECH_PHYSICS),
    "interface.tau_c": Acts("tension", _itf(tau_c="15 MPa"), MECH_PHYSICS),
    "interface.G_Ic": Acts("tension", _itf(G_Ic="0.5 J/m^2"), MECH_PHYSICS),
    "interface.G_IIc": Acts("tension", _itf(G_IIc="1.5 J/m^2"), MECH_PHYSICS),
    "interface.bk_eta": Acts("tension", _itf(bk_eta=1.0), MECH_PHYSICS),
    "interface.friction": Acts("tension", _itf(friction=0.5), ("reaction_force", "elastic_energy")),
    "interface.penalty": Acts(
        "tension",
        _itf(penalty=1e4),
        ("mean_damage", "top_displacement", "min_pressure"),
        same=MECH_PHYSICS,
    ),
    # a regularisation: converges to the rate-independent answer as it falls (the dissipation
    # of this snap, cohesive + viscous: 6.97e-6 / 4.74e-6 / 2.30e-6 / 2.092e-6 at 1 ms / 0.1 ms /
    # 10 us / 1 us against 2.0768e-6 without); 1 us moves the cohesive part by 0.2 %
    "interface.viscosity": Acts(
        "tension",
        _itf(viscosity="1 us"),
        ("mean_damage", "cohesive_dissipation"),
        same=MECH_PHYSICS,
    ),
    "interface.g_open": Acts("tension", _itf(g_open="50 nm"), ("contact_fraction",)),
    "interface.debonded": Acts(
        "press",
        _itf(debonded=[{"shape": "all"}]),
        ("debonded_fraction", "top_displacement"),
    ),
    "interface.initial_gap": Acts(
        "press",
        _itf(initial_gap={"shape": "cylinder", "radius": "1 mm"}),
        ("mean_pressure", "contact_fraction"),
        a=_itf(debonded=[{"shape": "all"}]),
    ),
    "interface.debonded.fraction": Acts(
        "press",
        _itf(debonded=[{"shape": "random", "fraction": 0.5, "correlation_length": "2 um"}]),
        ("debonded_fraction",),
        a=_itf(debonded=[{"shape": "random", "fraction": 0.2, "correlation_length": "2 um"}]),
    ),
    "interface.debonded.seed": Acts(  # other patches: the current spreads differently
        "li",
        _itf(
            debonded=[{"shape": "random", "fraction": 0.3, "correlation_length": "1 um", "seed": 9}]
        ),
        ("asr_total", "constriction_factor"),
        a=_itf(debonded=[{"shape": "random", "fraction": 0.3, "correlation_length": "1 um"}]),
    ),
    "interface.debonded.correlation_length": Acts(
        "press",
        _itf(debonded=[{"shape": "random", "fraction": 0.3, "correlation_length": "4 um"}]),
        ("debonded_fraction", "top_displacement"),
        a=_itf(debonded=[{"shape": "random", "fraction": 0.3, "correlation_length": "1 um"}]),
    ),
    "interface.bonded_layers": Refused(
        _itf(bonded_layers=False), "interface.bonded_layers: got false"
    ),
    # [interface]: the ion path and the kinetics, through the Li run
    "interface.registry_length": Acts(
        "li",
        _itf(registry_length=0.0),
        EC_PHYSICS,
        a=_itf(debonded=[{"shape": "interval", "x": ["0 um", "5 um"], "registry": True}]),
    ),
    "interface.microcontact": Acts("li", _itf(microcontact="hertz"), EC_PHYSICS),
    "interface.asperity_radius": Acts("li", _itf(asperity_radius="3 um"), EC_PHYSICS),
    "interface.asperity_spacing": Acts(
        "li",
        _itf(microcontact="hertz", asperity_spacing="5 um"),
        EC_PHYSICS,
        a=_itf(microcontact="hertz"),
    ),
    "interface.constriction": Acts("li", _itf(constriction=False), EC_PHYSICS),
    "interface.work_of_adhesion": Acts(
        "li",
        _itf(microcontact="jkr", work_of_adhesion="1 J/m^2"),
        EC_PHYSICS,
        a=_itf(microcontact="jkr"),
    ),
    "interface.kinetics": Acts("li", _itf(kinetics="linear", R_ct="10 Ohm cm^2"), EC_PHYSICS),
    "interface.i0": Acts("li", _itf(i0="2 mA/cm^2"), EC_PHYSICS),
    "interface.Ea_i0": Acts("li", _itf(Ea_i0="40 kJ/mol"), EC_PHYSICS),
    "interface.i0_dependence": Acts(  # i0 at x = 0.6 (and falling): 2 sqrt(x (1 - x)) i0
        "curve", _itf(i0_dependence="concentration"), ("asr_interfacial",)
    ),
    "interface.alpha_a": Acts("li", _itf(alpha_a=0.3), ("asr_interfacial", "voltage")),
    "interface.alpha_c": Acts("li", _itf(alpha_c=0.3), ("asr_interfacial", "voltage")),
    # the double layer: the capacitance of the interfacial arc (its apex frequency moves)
    "interface.C_dl": Acts("eis", _itf(C_dl="1 uF/cm^2"), ("summary.eis",)),
    "interface.R_ct": Acts(
        "li",
        _itf(kinetics="linear", R_ct="20 Ohm cm^2"),
        EC_PHYSICS,
        a=_itf(kinetics="linear", R_ct="10 Ohm cm^2"),
    ),
    "interface.h_sei0": Acts("li", _itf(h_sei0="0.2 nm"), EC_PHYSICS),
    "interface.kappa_sei": Acts("li", _itf(kappa_sei="1e-5 S/m"), EC_PHYSICS),
    # [[interface.debonded]]
    "interface.debonded.shape": Acts(
        "press",
        _itf(debonded=[{"shape": "all"}]),
        ("debonded_fraction",),
        a=_itf(debonded=[{"shape": "interval", "x": ["0 um", "5 um"]}]),
    ),
    "interface.debonded.x": Acts(
        "press",
        _itf(debonded=[{"shape": "interval", "x": ["0 um", "2.5 um"]}]),
        ("debonded_fraction",),
        a=_itf(debonded=[{"shape": "interval", "x": ["0 um", "5 um"]}]),
    ),
    "interface.debonded.y": Acts(
        "press3d",
        _itf(debonded=[{"shape": "box", "x": ["0 um", "4 um"], "y": ["0 um", "1 um"]}]),
        ("debonded_fraction",),
        a=_itf(debonded=[{"shape": "box", "x": ["0 um", "4 um"], "y": ["0 um", "2 um"]}]),
    ),
    "interface.debonded.centre": Acts(
        "press",
        _itf(debonded=[{"shape": "disk", "centre": ["0 um"], "radius": "2.5 um"}]),
        ("debonded_fraction",),
        a=_itf(debonded=[{"shape": "disk", "centre": ["5 um"], "radius": "2.5 um"}]),
    ),
    "interface.debonded.radius": Acts(
        "press",
        _itf(debonded=[{"shape": "disk", "centre": ["5 um"], "radius": "1.25 um"}]),
        ("debonded_fraction",),
        a=_itf(debonded=[{"shape": "disk", "centre": ["5 um"], "radius": "2.5 um"}]),
    ),
    "interface.debonded.decohesion": Acts(
        "press",
        _itf(debonded=[{"shape": "all", "decohesion": 0.5}]),
        ("debonded_fraction",),
        a=_itf(debonded=[{"shape": "all"}]),
    ),
    "interface.debonded.registry": Acts(
        "li",
        _itf(debonded=[{"shape": "interval", "x": ["0 um", "5 um"], "registry": True}]),
        EC_PHYSICS,
    ),
    # [loading]
    "loading.stack_pressure": Acts("press", _ld(stack_pressure="3 MPa"), ("reaction_force",)),
    "loading.pressure_mode": Acts(
        "press", _ld(pressure_mode="displacement"), ("reaction_force", "top_displacement")
    ),
    "loading.pad_strain": Acts("pad", _ld(pad_strain=0.1), ("reaction_force",)),
    "loading.temperature": Acts("press", _ld(temperature="338.15 K"), ("top_displacement",)),
    "loading.T_ref": Acts("press", _ld(T_ref="308.15 K"), ("top_displacement",)),
    "loading.current_density": Acts("li", _ld(current_density="2 mA/cm^2"), ("current", "voltage")),
    "loading.lateral": Acts("press", _ld(lateral="free"), ("top_displacement",)),
    "loading.bottom": Acts("tension", _ld(bottom="clamped"), ("reaction_force",)),
    "loading.counter_boundary": Acts("li", _ld(counter_boundary="right"), ("asr_total",)),
    # [[loading.protocol]] step keys
    "loading.protocol.kind": Acts(
        "press", _steps({**HOLD, "kind": "lithiate", "soc": 0.3}), ("top_displacement", "soc")
    ),
    "loading.protocol.duration": Acts(  # stripped Li: committed when the next step starts
        "li",
        _steps({**LI_TWO, "duration": "20 s"}),
        ("time", "top_displacement"),
        a=_steps(LI_TWO),
    ),
    "loading.protocol.n_steps": Acts("press", _steps({**HOLD, "n_steps": 2}), ("rows",)),
    "loading.protocol.stack_pressure": Acts(
        "press", _steps({**HOLD, "stack_pressure": "3 MPa"}), ("reaction_force",)
    ),
    "loading.protocol.temperature": Acts(
        "press", _steps({**HOLD, "temperature": "338.15 K"}), ("top_displacement",)
    ),
    "loading.protocol.current_density": Acts(
        "li", _steps({**LI_CURRENT, "current_density": "2 mA/cm^2"}), ("current",)
    ),
    "loading.protocol.V_min": Acts(
        "li",
        _steps({**LI_TWO, "current_density": "-1 mA/cm^2", "V_min": "-0.02 V"}),
        ("rows",),
        a=_steps({**LI_TWO, "current_density": "-1 mA/cm^2"}),
    ),
    "loading.protocol.V_max": Acts(
        "li", _steps({**LI_TWO, "V_max": "0.02 V"}), ("rows",), a=_steps(LI_TWO)
    ),
    "loading.protocol.voltage": Acts(
        "li",
        _steps({"kind": "voltage", "duration": "10 s", "n_steps": 1, "voltage": "0.05 V"}),
        ("current",),
        a=_steps({"kind": "voltage", "duration": "10 s", "n_steps": 1, "voltage": "0.03 V"}),
    ),
    "loading.protocol.soc": Acts(
        "press",
        _steps({**HOLD, "kind": "lithiate", "soc": 0.6}),
        ("top_displacement",),
        a=_steps({**HOLD, "kind": "lithiate", "soc": 0.3}),
    ),
    "loading.boundary": Acts(
        "press", _ld(boundary=[{"face": "top", "ty": "-1 MPa"}]), ("reaction_force",)
    ),
    "loading.protocol.load_factor": Acts(
        "press",
        {
            "loading": {
                "boundary": [{"face": "top", "ty": "-1 MPa"}],
                "protocol": [{**HOLD, "load_factor": 2.0}],
            }
        },
        ("mean_pressure",),
        a=_ld(boundary=[{"face": "top", "ty": "-1 MPa"}]),
    ),
    "loading.protocol.displacement": Acts(
        "press",
        {
            "loading": {
                "pressure_mode": "displacement",
                "protocol": [{**HOLD, "displacement": "-5 nm"}],
            }
        },
        ("reaction_force",),
        a=_ld(pressure_mode="displacement"),
    ),
    "loading.protocol.profile": Acts(
        "li", _steps({**LI_CURRENT, "profile": PROFILE}), ("current",)
    ),
    "loading.protocol.current_cutoff": Acts(  # the hold ends at once: |j| is below 10 A/m^2
        "curve",
        _steps({**CV_HOLD, "current_cutoff": "1 mA/cm^2"}),
        ("rows",),
        a=_steps(CV_HOLD),
    ),
    "loading.protocol.repeat": Acts(
        "press",
        _steps({"kind": "cycle", "repeat": 2, "steps": [HOLD]}),
        ("rows",),
        a=_steps({"kind": "cycle", "repeat": 1, "steps": [HOLD]}),
    ),
    # an 'eis' step's frequencies (the spectrum in summary.json -> eis)
    "loading.protocol.f_min": Acts(
        "eis", _steps(EIS_REST, {**EIS_STEP, "f_min": "100 Hz"}), ("summary.eis",)
    ),
    "loading.protocol.f_max": Acts(
        "eis", _steps(EIS_REST, {**EIS_STEP, "f_max": "100 kHz"}), ("summary.eis",)
    ),
    "loading.protocol.points_per_decade": Acts(
        "eis", _steps(EIS_REST, {**EIS_STEP, "points_per_decade": 3}), ("summary.eis",)
    ),
    "loading.experiment": Acts(
        "li_bare",
        _ld(experiment=["Discharge at 2 mA/cm2 for 10 s (5 s period)"]),
        ("current", "rows"),
    ),
    # [physics]
    "physics.mechanics": Acts("transport", {"physics": {"mechanics": False}}, ("columns",)),
    "physics.electrochemistry": Acts(
        "press",
        {"physics": {"electrochemistry": True}, **_mat("electrode", preset="NMC811", ocv=0.0)},
        ("columns",),
    ),
    "physics.transport": Acts(
        "transport", {"physics": {"transport": False}}, ("summary.fields", "c_min")
    ),
    "physics.thermal": Acts("li", {"physics": {"thermal": True}}, ("columns",)),
    "physics.ageing": Acts("ageing", {"physics": {"ageing": False}}, ("columns",)),
    "physics.degree": Acts("press", {"physics": {"degree": 2}}, ("summary.dofs",)),
    "physics.inelastic": Acts("creep", {"physics": {"inelastic": False}}, ("top_displacement",)),
    # [ageing]: the interphase keys act in the FE model (physics.ageing) and in the screen
    "ageing.sei_D": Acts("ageing", {"ageing": {"sei_D": 2e-19}}, ("interphase_thickness_max",)),
    "ageing.sei_Ea": Acts(
        "ageing", {"ageing": {"sei_Ea": "50 kJ/mol"}}, ("interphase_thickness_max",)
    ),
    "ageing.sei_molar_volume": Acts(
        "ageing", {"ageing": {"sei_molar_volume": 2e-5}}, ("interphase_thickness_max",)
    ),
    "ageing.sei_c_inf": Acts(
        "ageing", {"ageing": {"sei_c_inf": 2e3}}, ("interphase_thickness_max",)
    ),
    "ageing.sei_E": Acts("ageing", {"ageing": {"sei_E": "2 GPa"}}, ("interphase_pressure_min",)),
    "ageing.sei_growth_strain": Acts(
        "ageing", {"ageing": {"sei_growth_strain": 0.01}}, ("interphase_pressure_min",)
    ),
    "ageing.rtol": Acts(
        "ageing",
        {"ageing": {"rtol": 0.1}},
        ("rows",),
        same=("interphase_thickness_max", "interphase_pressure_min"),
        tol=1e-6,
    ),
    "ageing.p_min": Acts("ageing", {"ageing": {"p_min": "30 MPa"}}, ("summary.ageing.t_star",)),
    "ageing.stack_displacement": Screen(
        {"ageing": {"stack_displacement": "2 nm"}}, ("sei_critical_thickness",)
    ),
    "ageing.p_c": Acts("padage", {"ageing": {"p_c": "6 MPa"}}, ("summary.ageing.t_star_pad",)),
    # [thermal]
    "thermal.h_conv": Acts(
        "heat", {"thermal": {"h_conv": "1000 W/(m^2*K)"}}, ("T_max_electrolyte",)
    ),
    "thermal.top": Acts("heat", {"thermal": {"top": "fixed"}}, ("T_max_electrolyte",)),
    "thermal.bottom": Acts("heat", {"thermal": {"bottom": "insulated"}}, ("T_max_electrode",)),
    "thermal.T_top": Acts(
        "heat",
        {"thermal": {"top": "fixed", "T_top": "310 K"}},
        ("T_max_electrolyte",),
        a={"thermal": {"top": "fixed"}},
    ),
    "thermal.T_bottom": Acts(
        "heat",
        {"thermal": {"bottom": "fixed", "T_bottom": "310 K"}},
        ("T_max_electrode",),
        a={"thermal": {"bottom": "fixed"}},
    ),
    "thermal.h_bonded": Acts(
        "heat", {"thermal": {"h_bonded": "1e4 W/(m^2*K)"}}, ("T_max_electrode",)
    ),
    "thermal.h_gap": Acts(
        "heat",
        {"thermal": {"h_bonded": "1e3 W/(m^2*K)", "h_gap": "1e4 W/(m^2*K)"}},
        ("T_max_electrode",),
        a={"thermal": {"h_bonded": "1e3 W/(m^2*K)"}},
    ),
    "thermal.tau_shrink": Acts("heat", {"thermal": {"tau_shrink": "0.1 s"}}, ("retention_min",)),
    "thermal.tau_recover": Acts("heat", {"thermal": {"tau_recover": "10 s"}}, ("retention_min",)),
    "thermal.T_limit": Acts(
        "heat", {"thermal": {"T_limit": "300 K"}}, ("summary.thermal.outcome", "rows")
    ),
    "thermal.retention_min": Acts(
        "heat", {"thermal": {"retention_min": 0.9999}}, ("summary.thermal.outcome", "rows")
    ),
    "thermal.T_ambient": Acts("heat", {"thermal": {"T_ambient": "308.15 K"}}, ("T_ambient",)),
    "thermal.Ea_soft": Acts("heat", {"thermal": {"Ea_soft": "60 kJ/mol"}}, ("retention_min",)),
    # [solver]: numerical keys; the physics must not move with them
    # 5 iterations: the snap of the closing step is cut down to ~1e-6 of its nominal increment
    # before it passes, so both runs lower the step floors (solver.min_step, max_consecutive_cuts)
    "solver.max_newton_iterations": Acts(
        "tension",
        {"solver": {"max_newton_iterations": 5, "min_step": 1e-12, "max_consecutive_cuts": 10000}},
        ("step_cuts", "rows"),
        same=MECH_PHYSICS,
        tol=0.05,
        a={"solver": {"min_step": 1e-12, "max_consecutive_cuts": 10000}},
    ),
    "solver.rtol": Refused({"solver": {"rtol": 1e-8}}, "solver.rtol: got 1e-08, allowed no value"),
    "solver.atol": Refused({"solver": {"atol": 1e-8}}, "solver.atol: got 1e-08, allowed no value"),
    # a limit: it acts by refusing a geometry whose estimated cell count exceeds it
    "solver.max_cells": Refused(
        {"solver": {"max_cells": 100}}, "allowed at most solver.max_cells = 100"
    ),
    "solver.max_cuts": Acts(
        "tension", {"solver": {"max_cuts": 0}}, ("step_cuts", "rows"), same=MECH_PHYSICS, tol=0.05
    ),
    # the tension base's decohesion control cuts its first steps to 1/4 of nominal: a floor at
    # 0.3 keeps them at 1/2 (the control does not cut below the floor), fewer rows
    "solver.min_step": Acts(
        "tension", {"solver": {"min_step": 0.3}}, ("step_cuts", "rows"), same=MECH_PHYSICS, tol=0.05
    ),
    # its third cut (the decohesion control's, counted like any cut) stops the run: fewer rows
    "solver.max_consecutive_cuts": Acts(
        "tension", {"solver": {"max_consecutive_cuts": 2}}, ("step_cuts", "rows")
    ),
    # after the first step that dissipates, λ is an unknown: other load factors per row
    "solver.path_following": Acts(
        "peel", {"solver": {"path_following": "dissipation"}}, ("load_factor", "rows")
    ),
    "solver.max_decohesion_increment": Acts(
        "tension",
        {"solver": {"max_decohesion_increment": 1.0}},
        ("step_cuts", "rows"),
        same=MECH_PHYSICS,
        tol=0.05,
    ),
    # the named stop "contact lost": the "li" base stripped for two steps under a fixed platen
    # (nothing follows the receding Li): the second step's state has a gap of Ω j Δt/F = 13 nm
    # ≫ g_open over all of Γ_int, a contact fraction ~0 (below 0.9; 0 switches the stop off)
    "solver.contact_lost_fraction": Acts(
        "li",
        {"solver": {"contact_lost_fraction": 0.9}, **FIXED_PLATEN_2},
        ("summary.stop_reason",),
        a={"solver": {"contact_lost_fraction": 0.0}, **FIXED_PLATEN_2},
    ),
    "solver.max_strain": Acts(  # 2 MPa on LLZO is a strain of 1.1e-5: flagged above 1e-6
        "press",
        {"solver": {"max_strain": 1e-6}},
        ("summary.plausibility",),
        same=("reaction_force", "top_displacement"),
        tol=0.0,
    ),
    # the coupled fieldsplit (solver/precond.py) instead of MUMPS: Krylov iterations move, the
    # physics stays (to the Krylov tolerance)
    "solver.linear_solver": Acts(
        "transport",
        {"solver": {"linear_solver": "iterative"}},
        ("krylov_iterations",),
        same=("voltage", "c_min", *EC_PHYSICS),
        tol=1e-6,
    ),
    "solver.petsc_options": Acts(
        "press",
        {"solver": {"petsc_options": {"ssbx_pc": "auxiliary"}}},
        ("krylov_iterations",),
        same=("reaction_force", "top_displacement", "mean_pressure"),
        tol=1e-6,
    ),
    # [output]
    "output.directory": Acts("press", {"output": {"directory": "DIR"}}, ("directory",)),
    "output.fields": Acts("press", {"output": {"fields": True}}, ("files",)),
    "output.format": Acts(
        "press",
        {"output": {"fields": True, "format": "vtx"}},
        ("files",),
        a={"output": {"fields": True}},
    ),
    "output.every": Acts(
        "press",
        {"output": {"fields": True, "every": 2}, **_steps({**HOLD, "n_steps": 3})},
        ("field_steps",),
        a={"output": {"fields": True}, **_steps({**HOLD, "n_steps": 3})},
    ),
    "output.preview": Acts("press", {"output": {"preview": True}}, ("files",)),
    # a checkpoint after step 1 of 2 (none after the last): checkpoint/checkpoint.npz and the
    # summary's "checkpoint" block
    "output.checkpoint_every": Acts(
        "press",
        {"output": {"checkpoint_every": 1}, **_steps({**HOLD, "n_steps": 2})},
        ("files", "summary.checkpoint"),
        a=_steps({**HOLD, "n_steps": 2}),
        same=("reaction_force", "top_displacement"),
        tol=0.0,
    ),
    "output.checkpoint_interval": Acts(
        "press",
        {"output": {"checkpoint_interval": "1 ns"}, **_steps({**HOLD, "n_steps": 2})},
        ("files", "summary.checkpoint"),
        a=_steps({**HOLD, "n_steps": 2}),
        same=("reaction_force", "top_displacement"),
        tol=0.0,
    ),
    # [materials]: the text keys
    "materials.preset": Acts(
        "press", {"materials": {"electrolyte": "LPSCl"}}, ("top_displacement",)
    ),
    "materials.kind": Acts(  # an electrode-kind Li (U = 0 V vs Li) is not stripped
        "li",
        {**_steps(LI_TWO), **_mat("electrode", preset="Li", kind="electrode", ocv=0.0)},
        ("top_displacement",),
        a=_steps(LI_TWO),
    ),
    "materials.description": Acts(
        "press", _mat("electrode", preset="NMC811", description="a note"), ("resolved",)
    ),
    "materials.source": Acts(
        "press", _mat("electrode", preset="NMC811", source="my lab"), ("resolved",)
    ),
    # [materials]: the properties
    "materials.E": Acts(
        "press", _mat("electrode", preset="NMC811", E="100 GPa"), ("top_displacement",)
    ),
    "materials.nu": Acts(
        "press", _mat("electrode", preset="NMC811", nu=0.2), ("top_displacement",)
    ),
    "materials.density": Acts(
        "heat", _mat("electrolyte", preset="LLZO", density="2000 kg/m^3"), ("T_max_electrolyte",)
    ),
    "materials.alpha_th": Acts(
        "press", _mat("electrode", preset="NMC811", alpha_th="2e-5 1/K"), ("top_displacement",)
    ),
    "materials.vegard": Acts(
        "transport",
        _mat(
            "electrode",
            preset="NMC811",
            c_init="31000 mol/m^3",
            c_ref="31000 mol/m^3",
            ocv="4.45 V",
            ocv_slope="-1.0 V",
            vegard="8e-7 m^3/mol",
        ),
        ("top_displacement",),
    ),
    "materials.c_max": Acts(
        "press",
        {
            **_steps({**HOLD, "kind": "lithiate", "soc": 0.3}),
            **_mat("electrode", preset="NMC811", c_max="40000 mol/m^3"),
        },
        ("top_displacement",),
        a=_steps({**HOLD, "kind": "lithiate", "soc": 0.3}),
    ),
    "materials.c_ref": Acts(  # c_init follows c_ref unless set: lithiate to a fixed c
        "press",
        {
            **_steps({**HOLD, "kind": "lithiate", "soc": 0.3}),
            **_mat("electrode", preset="NMC811", c_ref="10000 mol/m^3"),
        },
        ("top_displacement",),
        a=_steps({**HOLD, "kind": "lithiate", "soc": 0.3}),
    ),
    "materials.c_init": Acts(
        "press", _mat("electrode", preset="NMC811", c_init="10000 mol/m^3"), ("top_displacement",)
    ),
    "materials.D": Acts(
        "transport",
        _mat(
            "electrode",
            preset="NMC811",
            c_init="31000 mol/m^3",
            c_ref="31000 mol/m^3",
            ocv="4.45 V",
            ocv_slope="-1.0 V",
            D="4e-17 m^2/s",
        ),
        ("c_min",),
    ),
    "materials.kappa": Acts(
        "li", _mat("electrolyte", preset="LLZO", kappa="0.1 S/m"), ("asr_total",)
    ),
    "materials.sigma_e": Acts(
        "transport",
        _mat(
            "electrode",
            preset="NMC811",
            c_init="31000 mol/m^3",
            c_ref="31000 mol/m^3",
            ocv="4.45 V",
            ocv_slope="-1.0 V",
            sigma_e="0.05 S/m",
        ),
        ("asr_total",),
    ),
    "materials.k_th": Acts(
        "heat", _mat("electrolyte", preset="LLZO", k_th="10 W/(m*K)"), ("T_max_electrolyte",)
    ),
    "materials.cp": Acts(
        "heat", _mat("electrolyte", preset="LLZO", cp="300 J/(kg*K)"), ("T_max_electrolyte",)
    ),
    "materials.hardness": Acts("li", _mat("electrode", preset="Li", hardness="5 MPa"), EC_PHYSICS),
    "materials.yield_stress": Screen(  # Tabor H = 3Y where neither side has a hardness
        _mat("electrode", preset="NMC811", yield_stress="1 MPa"),
        ("hardness", "microcontact_fraction"),
        a={
            "materials": {
                "electrode": "NMC811",
                "electrolyte": {"kind": "electrolyte", "E": "150 GPa", "nu": 0.26, "kappa": 0.05},
            }
        },
    ),
    "materials.molar_volume": Acts(  # the stripped thickness Ω j t/F
        "li",
        {**_steps(LI_TWO), **_mat("electrode", preset="Li", molar_volume="1.4e-5 m^3/mol")},
        ("top_displacement",),
        a=_steps(LI_TWO),
    ),
    "materials.Ea_kappa": Acts(
        "li", _mat("electrolyte", preset="LLZO", Ea_kappa="10 kJ/mol"), ("asr_total",)
    ),
    "materials.Ea_D": Acts(
        "transport",
        _mat(
            "electrode",
            preset="NMC811",
            c_init="31000 mol/m^3",
            c_ref="31000 mol/m^3",
            ocv="4.45 V",
            ocv_slope="-1.0 V",
            Ea_D="50 kJ/mol",
        ),
        ("c_min",),
    ),
    "materials.Ea_sigma_e": Acts(
        "transport",
        _mat(
            "electrode",
            preset="NMC811",
            c_init="31000 mol/m^3",
            c_ref="31000 mol/m^3",
            ocv="4.45 V",
            ocv_slope="-1.0 V",
            Ea_sigma_e="50 kJ/mol",
        ),
        ("asr_total",),
    ),
    "materials.ocv": Acts(
        "transport",
        _mat(
            "electrode",
            preset="NMC811",
            c_init="31000 mol/m^3",
            c_ref="31000 mol/m^3",
            ocv="4.3 V",
            ocv_slope="-1.0 V",
        ),
        ("voltage", "ocv"),
    ),
    "materials.ocv_slope": Acts(
        "transport",
        _mat(
            "electrode",
            preset="NMC811",
            c_init="31000 mol/m^3",
            c_ref="31000 mol/m^3",
            ocv="4.45 V",
            ocv_slope="-0.5 V",
        ),
        ("voltage", "ocv"),
    ),
    "materials.ocv_curve": Acts(
        "curve", _mat("electrode", ocv_curve="Afshar2017"), ("voltage", "ocv")
    ),
    "materials.D_curve": Acts("curve", _mat("electrode", D_curve=D_TABLE), ("c_min",)),
    "materials.vegard_curve": Acts(  # mechanics on: the eigenstrain of the lithiation change
        "curve",
        {"physics": {"mechanics": True}, **_mat("electrode", vegard_curve=BETA_TABLE)},
        ("top_displacement",),
        a={"physics": {"mechanics": True}},
    ),
    # the SLS keys (E = E1 + E2 is kept: E1 and E2 move together)
    "materials.E1": Acts(
        "visco", _mat("pad", preset="polymer_pad", E1="50 MPa", E2="10 MPa"), ("top_displacement",)
    ),
    "materials.E2": Acts(
        "visco", _mat("pad", preset="polymer_pad", E1="30 MPa", E2="30 MPa"), ("top_displacement",)
    ),
    "materials.tau": Acts(
        "visco", _mat("pad", preset="polymer_pad", tau="2 h"), ("top_displacement",)
    ),
    # rate-dependent inelasticity (physics.inelastic)
    "materials.creep_A": Acts(
        "creep", _mat("electrode", preset="Li", creep_A=1e-36), ("top_displacement",)
    ),
    "materials.creep_n": Acts(
        "creep", _mat("electrode", preset="Li", creep_n=6.0), ("top_displacement",)
    ),
    "materials.creep_Q": Acts(
        "creep", _mat("electrode", preset="Li", creep_Q="40 kJ/mol"), ("top_displacement",)
    ),
    "materials.creep_threshold": Acts(
        "creep", _mat("electrode", preset="Li", creep_threshold="0.3 MPa"), ("top_displacement",)
    ),
    **{
        f"materials.{key}": Acts(
            "visco",
            {"materials": {"pad": {**PRONY_PAD, key: value}}},
            ("top_displacement",),
            a={"materials": {"pad": PRONY_PAD}},
        )
        for key, value in (
            ("prony_E1", "20 MPa"),
            ("prony_tau1", "30 min"),
            ("prony_E2", "20 MPa"),
            ("prony_tau2", "2 h"),
            ("prony_E3", "20 MPa"),
            ("prony_tau3", "2 h"),
            ("Ea_tau", "60 kJ/mol"),
        )
    },
    "materials.wlf_C1": Acts(
        "visco",
        {"materials": {"pad": {**PRONY_PAD, "wlf_C1": 10.0, "wlf_C2": "51.6 K"}}},
        ("top_displacement",),
        a={"materials": {"pad": {**PRONY_PAD, "wlf_C1": 17.44, "wlf_C2": "51.6 K"}}},
    ),
    "materials.wlf_C2": Acts(
        "visco",
        {"materials": {"pad": {**PRONY_PAD, "wlf_C1": 17.44, "wlf_C2": "100 K"}}},
        ("top_displacement",),
        a={"materials": {"pad": {**PRONY_PAD, "wlf_C1": 17.44, "wlf_C2": "51.6 K"}}},
    ),
}


# ------------------------------------------------------------------------------------ helpers
def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def all_keys() -> list[str]:
    """Every case-file key: SCHEMA, the special tables, step, debonded and material keys."""
    from solver import config as C
    from solver import materials as M

    keys = [f"{sec}.{k}" for sec, schema in C.SCHEMA.items() for k in schema]
    keys += [f"{sec}.{k}" for sec, ks in C._SPECIAL.items() for k in ks if k != "protocol"]
    keys += [f"loading.protocol.{k}" for k in C.STEP_SCHEMA]
    keys += [f"interface.debonded.{k}" for k in C.DEBONDED_SCHEMA]
    keys += [f"materials.{k}" for k in (*C.MATERIAL_TEXT_KEYS, *M.PROPERTY_DIMS)]
    return keys


def _num(v: str):
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


@dataclass
class Result:
    rows: list[dict]
    summary: dict
    files: list[str]
    resolved: str
    field_steps: list[int]
    directory: str

    def get(self, name: str):
        if name == "rows":
            return len(self.rows)
        if name == "columns":
            return sorted(self.rows[0]) if self.rows else []
        if name in ("files", "resolved", "field_steps", "directory"):
            return getattr(self, name)
        if name.startswith("summary."):
            v = self.summary
            for part in name.split(".")[1:]:
                v = v.get(part) if isinstance(v, dict) else None
            return v
        return [r.get(name) for r in self.rows]


def _differs(x, y, rel: float = 1e-6) -> bool:
    if isinstance(x, list) and isinstance(y, list):
        return len(x) != len(y) or any(_differs(a, b, rel) for a, b in zip(x, y))
    if isinstance(x, float) and isinstance(y, float):
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) != math.isnan(y)
        return abs(x - y) > rel * max(abs(x), abs(y), 1e-300)
    return x != y


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    """run(raw) -> Result, each distinct case run once (in-process, through solver.api)."""
    from solver import api, geometry
    from solver.config import case_from_dict
    from solver.errors import SolverFailure

    root = tmp_path_factory.mktemp("keys")
    profile = root / "profile.csv"
    profile.write_text("time_s,current_density_A_m2\n0,10\n10,30\n")
    d_table = root / "D.csv"  # D(x) from 1e-14 to 1e-16 m^2/s
    d_table.write_text("x,D\n0.2,1e-14\n0.6,1e-15\n0.95,1e-16\n")
    beta_table = root / "beta.csv"  # beta(x) twice NMC811's constant 4e-7 m^3/mol
    beta_table.write_text("x,beta\n0.2,8e-7\n0.6,8e-7\n0.95,8e-7\n")
    msh = root / "finer.msh"  # the press geometry, meshed finer, for geometry.mesh_file
    finer = case_from_dict(_merge(BASES["press"], {"geometry": {"h_max": "1.25 um"}}))
    geometry.build(finer.geometry, msh_path=msh)
    cache: dict[str, Result] = {}

    def fill(obj):
        if isinstance(obj, dict):
            return {k: fill(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [fill(v) for v in obj]
        return (
            {
                "PROFILE": str(profile),
                "MESH": str(msh),
                "DIR": str(root / "elsewhere"),
                "D_TABLE": str(d_table),
                "BETA_TABLE": str(beta_table),
            }.get(obj, obj)
            if isinstance(obj, str)
            else obj
        )

    def run(raw: dict) -> Result:
        raw = fill(raw)
        key = json.dumps(raw, sort_keys=True)
        if key in cache:
            return cache[key]
        out = root / f"run{len(cache)}"
        case = case_from_dict(raw)
        as_set = raw.get("output", {}).get("directory")
        target = None if as_set else out
        try:
            api.run(case, target, overwrite=True)
        except SolverFailure:
            pass
        finally:
            # free the meshes and solvers now: each holds MPI communicators (MPICH has 2048)
            gc.collect()
        where = Path(as_set) if as_set else out
        from solver.metrics import read_timeseries

        rows = [
            {k: v for k, v in r.items() if k != "wall_time"}
            for r in read_timeseries(where / "timeseries.csv")
        ]
        summary = json.loads((where / "summary.json").read_text())
        files = sorted(str(p.relative_to(where)) for p in where.rglob("*") if p.is_file())
        resolved = (where / "case.resolved.toml").read_text().split("\n", 1)[1]
        steps = []
        pvd = where / "fields" / "electrode.pvd"
        if pvd.exists():
            from tests.output_helpers import pvd_steps

            steps = pvd_steps(pvd)
        cache[key] = Result(rows, summary, files, resolved, steps, str(where))
        return cache[key]

    return run


def _entries(kind) -> list[str]:
    return [k for k, v in COVERAGE.items() if isinstance(v, kind)]


# -------------------------------------------------------------------------------------- tests
def test_every_key_is_covered():
    """A key without an entry (e.g. a new one) or an entry without a key fails."""
    keys = all_keys()
    missing = sorted(set(keys) - set(COVERAGE))
    assert not missing, f"keys without coverage (add them to COVERAGE): {missing}"
    stale = sorted(set(COVERAGE) - set(keys))
    assert not stale, f"COVERAGE entries of keys that do not exist: {stale}"


@pytest.mark.parametrize("key", _entries(Acts))
def test_key_moves_an_output(runner, key):
    e = COVERAGE[key]
    base = BASES[e.base]
    if e.via == ("resolved",):  # free text: the run writes case.to_toml() as it is (below)
        from solver.config import case_from_dict

        ref = case_from_dict(_merge(base, e.a)).to_toml().split("\n", 1)[1]
        new = case_from_dict(_merge(base, _merge(e.a, e.b))).to_toml().split("\n", 1)[1]
        assert ref != new, f"{key} does not appear in case.resolved.toml"
        return
    ref = runner(_merge(base, e.a))
    new = runner(_merge(base, _merge(e.a, e.b)))
    moved = {name: (ref.get(name), new.get(name)) for name in e.via}
    assert any(_differs(x, y) for x, y in moved.values()), f"{key} moved none of {e.via}"
    for name in e.same:  # a numerical key: the physics at the end must not move
        x, y = ref.get(name)[-1], new.get(name)[-1]
        assert abs(x - y) <= e.tol * max(abs(x), abs(y)), (key, name, x, y)


def test_the_run_writes_the_resolved_case(runner):
    """case.resolved.toml of a run is case.to_toml() (the free-text keys are checked there)."""
    from solver.config import case_from_dict

    raw = BASES["press"]
    assert runner(raw).resolved == case_from_dict(raw).to_toml().split("\n", 1)[1]


@pytest.mark.parametrize("key", _entries(Screen))
def test_screen_only_key_moves_the_screen(key):
    """A screen-only key moves a quantity of ``ssbx screen`` and is documented as screen-only
    (schema doc or docs/case-format.md), and no FE module reads it."""
    from solver import config as C
    from solver import materials as M
    from solver.config import case_from_dict
    from solver.screen import screen_case

    e = COVERAGE[key]
    ref = screen_case(case_from_dict(_merge(SCREEN_BASE, e.a)))["quantities"]
    new = screen_case(case_from_dict(_merge(SCREEN_BASE, _merge(e.a, e.b))))["quantities"]
    assert any(_differs(ref[q]["value"], new[q]["value"]) for q in e.via), (key, e.via)
    sec, name = key.split(".", 1)
    doc = C.SCHEMA[sec][name].doc if sec in C.SCHEMA else M.PROPERTY_DIMS[name][5]
    assert "screen-only" in doc, f"{key}: its doc string does not say screen-only"
    doc = (ROOT / "docs" / "case-format.md").read_text()
    row = next(ln for ln in doc.splitlines() if ln.startswith(f"| {name} |"))
    assert "screen-only" in row, f"docs/case-format.md: the row of {key} does not say screen-only"
    fe = [ROOT / "solver" / "simulation.py", ROOT / "solver" / "api.py"]
    fe += sorted((ROOT / "solver" / "physics").glob("*.py"))
    for path in fe:
        assert f'"{name}"' not in path.read_text(), f"{path.name} reads the screen-only {key}"


@pytest.mark.parametrize("key", _entries(Refused))
def test_key_without_effect_is_refused(key):
    from solver.config import case_from_dict
    from solver.errors import ConfigError

    e = COVERAGE[key]
    with pytest.raises(ConfigError) as err:
        case_from_dict(_merge(BASES[e.base], e.b))
    lines = err.value.problems
    assert len(lines) == 1 and e.fragment in lines[0] and "\n" not in lines[0], lines


def _other_value(sec: str, key: str, r: dict):
    from solver import config as C

    if key == "debonded":
        return [{"shape": "all"}]
    spec = C.SCHEMA[sec][key]
    v = r[sec][key]
    if spec.kind == "choice":
        return next(c for c in spec.choices if c != v)
    if spec.kind == "bool":
        return not v
    if key == "retention_min":
        return 0.5
    if key == "max_decohesion_increment":
        return 0.5
    return (v or 1e-3) * 2


def test_keys_of_a_physics_that_is_off_are_refused():
    """Each key of NEEDS_PHYSICS, set to a non-default value with its physics off, is refused
    with one line naming it and the physics it needs; at its default it is accepted."""
    from solver import config as C
    from solver.config import case_from_dict
    from solver.errors import ConfigError

    bases = {
        "mechanics": {
            "materials": {"electrode": {"preset": "NMC811", "ocv": 0.0}},
            "physics": {"mechanics": False, "electrochemistry": True},
        },
        "electrochemistry": {"physics": {"mechanics": True}},
        "thermal": {"physics": {"mechanics": True}},
    }
    for switch, keys in C.NEEDS_PHYSICS.items():
        raw = bases[switch]
        r = case_from_dict(raw).resolved  # all defaults: accepted
        for sec, key in keys:
            over = {sec: {key: _other_value(sec, key, r)}}
            with pytest.raises(ConfigError) as err:
                case_from_dict(_merge(raw, over))
            lines = err.value.problems
            assert len(lines) == 1, (sec, key, lines)
            assert (
                lines[0].startswith(f"{sec}.{key}: got ")
                and f"physics.{switch} = false" in (lines[0])
            ), lines
