"""Helpers for the electrochemistry verification tests: build and run cases from dicts."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from mpi4py import MPI

BASE = {
    "geometry": {
        "family": "bilayer",
        "dim": 2,
        "W": "10 um",
        "t_e": "10 um",
        "t_s": "20 um",
        "h_max": "2 um",
    },
    # ocv = 0: the voltage is the overpotential plus the ohmic drops (closed forms below); an
    # intercalation electrode in an electrochemistry run needs an open-circuit potential
    "materials": {"electrode": {"preset": "NMC811", "ocv": 0.0}, "electrolyte": "LLZO"},
    "interface": {"kinetics": "linear", "R_ct": "10 Ohm cm^2", "microcontact": "none"},
    "loading": {
        "stack_pressure": "2 MPa",
        "current_density": "1 mA/cm^2",
        "protocol": [{"kind": "current", "duration": "10 s", "n_steps": 2}],
    },
    "physics": {"mechanics": False, "electrochemistry": True},
    "output": {"fields": False},
}


def merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def case(over: dict | None = None, base: dict = BASE, replace: tuple[str, ...] = ()):
    """A case from BASE merged with ``over``; sections in ``replace`` are taken from ``over``
    whole instead of merged."""
    from solver.config import case_from_dict

    over = over or {}
    raw = merge({k: v for k, v in base.items() if k not in replace}, over)
    if base is BASE and not raw["physics"].get("electrochemistry", True):
        # without the potentials the base's current step and keys have no meaning (refused)
        given = over.get("loading", {})
        if "protocol" not in given:
            raw["loading"]["protocol"] = [{"kind": "hold", "duration": "10 s", "n_steps": 2}]
        if "current_density" not in given:
            raw["loading"].pop("current_density", None)
        for key in ("kinetics", "R_ct", "microcontact"):
            if key not in over.get("interface", {}):
                raw["interface"].pop(key, None)
    return case_from_dict(raw)


def run(c, outdir: Path, comm=MPI.COMM_WORLD) -> tuple[list[dict], dict]:
    """Run a case through the public API; return (time-series rows as floats, summary)."""
    from solver import api

    api.run(c, outdir, comm=comm, overwrite=True)
    return read_run(outdir)


def read_run(outdir: Path) -> tuple[list[dict], dict]:
    """(time-series rows as floats, summary) of the run directory ``outdir``."""
    from solver.metrics import read_timeseries

    rows = read_timeseries(Path(outdir) / "timeseries.csv")
    summary = json.loads((Path(outdir) / "summary.json").read_text())
    return rows, summary


def _num(v: str):
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def simulation(c, comm=MPI.COMM_WORLD):
    """(Simulation, Domain) for a case, without a run directory."""
    from solver import geometry
    from solver.simulation import Simulation

    dom = geometry.build(c.geometry, comm).domain
    return Simulation(c, dom), dom
