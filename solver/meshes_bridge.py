"""The solver's single view of the geometry package (keeps imports one-way: solver -> meshes)."""

from __future__ import annotations

import importlib

from meshes.common import MAX_LENGTH, GeometryError, GeometryInfo, Param  # noqa: F401

FAMILIES = ("bilayer", "rough", "stack", "composite", "asperity")


def family_module(name: str):
    if name not in FAMILIES:
        raise GeometryError("family", f"got {name!r}, allowed one of {', '.join(FAMILIES)}")
    return importlib.import_module(f"meshes.{name}")
