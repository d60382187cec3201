"""Case geometry -> gmsh model on rank 0 -> distributed :class:`~solver.domain.Domain`.

Gmsh meshing is serial: rank 0 builds the model and DOLFINx distributes it. Errors raised while
building (bad parameters) are broadcast so that every rank raises the same one-line error.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mpi4py import MPI

from meshes.common import GeometryError, gmsh_session, quality_summary, write_msh
from solver.errors import InputError
from solver.meshes_bridge import family_module

log = logging.getLogger(__name__)

_RESERVED = ("family", "dim", "axisymmetric", "mesh_file")


@dataclass
class BuiltGeometry:
    domain: Any  # solver.domain.Domain
    info: Any = None  # meshes.common.GeometryInfo (None for a mesh_file)
    quality: dict = field(default_factory=dict)
    seconds: float = 0.0


def family_params(geometry: dict) -> dict:
    """The family-specific keys of a resolved [geometry] section."""
    return {k: v for k, v in geometry.items() if k not in _RESERVED}


def build(
    geometry: dict,
    comm: MPI.Comm = MPI.COMM_WORLD,
    msh_path: Path | None = None,
    preview_path: Path | None = None,
    title: str | None = None,
) -> BuiltGeometry:
    """Build (or read) the geometry of a resolved [geometry] section and distribute it.

    ``msh_path``/``preview_path``: also write the .msh / a PNG preview (rank 0; for a
    ``mesh_file`` only the preview, rendered from the file).
    """
    from solver import domain as D

    t0 = time.perf_counter()
    axisym = bool(geometry.get("axisymmetric", False))
    dim = int(geometry.get("dim", 2))
    if geometry.get("mesh_file"):
        dom = D.load(geometry["mesh_file"], comm, axisymmetric=axisym)
        if preview_path is not None and comm.rank == 0:
            from meshes.preview import write_preview

            with gmsh_session() as gmsh:
                gmsh.open(str(geometry["mesh_file"]))
                write_preview(str(preview_path), title=title)
        return BuiltGeometry(dom, None, {}, time.perf_counter() - t0)

    mod = family_module(geometry["family"])
    with gmsh_session():
        err, info, quality = None, None, {}
        if comm.rank == 0:
            try:
                info = mod.build(family_params(geometry), dim=dim, axisymmetric=axisym)
                quality = quality_summary()
                if msh_path is not None:
                    write_msh(str(msh_path))
                if preview_path is not None:
                    from meshes.preview import write_preview

                    write_preview(str(preview_path), title=title)
            except GeometryError as e:
                err = str(e)
        err = comm.bcast(err, root=0)
        if err:
            raise InputError(err)
        info, quality = comm.bcast((info, quality), root=0)
        dom = D.from_gmsh_model(comm, gdim=dim, axisymmetric=axisym)
    dom.geometry_meta = dict(info.meta) if info is not None else {}
    return BuiltGeometry(dom, info, quality, time.perf_counter() - t0)


def compare_exact(stats: dict, info) -> dict:
    """Measured vs analytic measures: {name: {measured, exact, rel_error, tol}}."""
    from meshes import tags as T

    out = {}
    if info is None:
        return out
    for key, exact in info.exact.items():
        kind, tag = key.split(":")
        tag = int(tag)
        name = T.cell_name(tag) if kind == "cell" else T.facet_name(tag)
        measured = (stats["volumes"] if kind == "cell" else stats["areas"]).get(name)
        if measured is None:
            continue
        rel = abs(measured - exact) / abs(exact) if exact else abs(measured)
        out[name] = {
            "measured": measured,
            "exact": exact,
            "rel_error": rel,
            "tol": info.tol.get(key),
        }
    return out
