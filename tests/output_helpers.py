"""Helpers for the tests of the [output] keys: small bilayer cases and readers of the written
.pvd time indexes, XDMF time steps and ADIOS2 VTX (.bp) folders, without h5py or the adios2
Python module."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.ec_helpers import BASE, merge

# Mechanics only, a 1 s hold per step: the cheapest run with region and interface fields.
MECH = merge(
    BASE,
    {
        "geometry": {"h_max": "2.5 um"},
        "physics": {"mechanics": True, "electrochemistry": False},
        "loading": {"protocol": [{"kind": "hold", "duration": "7 s", "n_steps": 7}]},
        "output": {"fields": True, "preview": False},
    },
)
# Mechanics + potentials, a 1 s current step per step: P1 and DG0, scalar and vector fields.
MECH_EC = merge(
    BASE,
    {
        "geometry": {"h_max": "2.5 um"},
        "physics": {"mechanics": True, "electrochemistry": True},
        "loading": {"protocol": [{"kind": "current", "duration": "3 s", "n_steps": 3}]},
        "output": {"fields": True, "preview": False},
    },
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def case(base: dict, output: dict | None = None, over: dict | None = None):
    from solver.config import case_from_dict

    return case_from_dict(merge(base, {**(over or {}), "output": output or {}}))


def xdmf_steps(path: Path, dt: float = 1.0) -> list[int]:
    """The accepted steps (time / dt, rounded) of the function time steps in an XDMF file."""
    root = ET.parse(path).getroot()
    times = {float(t.get("Value")) for t in root.iter("Time")}
    return sorted(round(t / dt) for t in times)


def pvd_steps(path: Path, dt: float = 1.0) -> list[int]:
    """The accepted steps (time / dt, rounded) listed in a .pvd time index, in file order."""
    root = ET.parse(path).getroot()
    return [round(float(d.get("timestep")) / dt) for d in root.iter("DataSet")]


def vtx_num_steps(bp: Path) -> int:
    """Number of steps in a BP4 folder: md.idx is a 64-byte header and one 64-byte record per
    step."""
    size = (Path(bp) / "md.idx").stat().st_size
    assert size >= 64 and size % 64 == 0, f"{bp}/md.idx: {size} bytes is not a BP4 index"
    return size // 64 - 1


def vtx_schema(bp: Path) -> dict[str, set[str]]:
    """The VTK schema DOLFINx stores in a .bp folder (the ``vtk.xml`` attribute in md.0):
    {"point": point-data names, "cell": cell-data names}, without the VTK bookkeeping arrays."""
    raw = (Path(bp) / "md.0").read_bytes()
    m = re.search(rb"<\?xml.*?</VTKFile>", raw, re.S)
    assert m, f"{bp}/md.0: no vtk.xml schema"
    root = ET.fromstring(m.group(0).decode())
    skip = {"TIME", "vtkOriginalPointIds", "vtkGhostType"}

    def names(tag: str) -> set[str]:
        return {a.get("Name") for d in root.iter(tag) for a in d.iter("DataArray")} - skip

    return {"point": names("PointData"), "cell": names("CellData")}


def adios2_read(bp: Path, names) -> list[tuple[float, dict]]:
    """(time, {name: array}) per step, with the adios2 Python module (caller checks it)."""
    from adios2 import Stream

    out = []
    with Stream(str(bp), "r") as s:
        for _ in s.steps():
            out.append((float(s.read("step")), {n: s.read(n) for n in names}))
    return out
