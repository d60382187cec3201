"""Output: fields for ParaView (XDMF or VTX, written collectively), JSON/CSV (rank 0),
atomically."""

from __future__ import annotations

import json
import math
from pathlib import Path

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
from dolfinx import io as dio


def write_tags(domain, path: Path) -> None:
    """Mesh with its cell and facet tags as XDMF (collective). Open in ParaView with the
    'Xdmf3 Reader (S)' / 'XDMF Reader'; colour by 'cell_tags' or 'facet_tags'."""
    msh = domain.mesh
    domain.cell_tags.name = "cell_tags"
    domain.facet_tags.name = "facet_tags"
    with dio.XDMFFile(msh.comm, str(path), "w") as xdmf:
        xdmf.write_mesh(msh)
        xdmf.write_meshtags(domain.cell_tags, msh.geometry)
        xdmf.write_meshtags(domain.facet_tags, msh.geometry)


def write_tags_vtx(domain, folder: Path) -> list[Path]:
    """The cell and facet tags as ADIOS2 VTX (collective): ``tags.bp`` holds ``cell_tags`` (cell
    data on the mesh), ``facet_tags.bp`` holds ``facet_tags`` (cell data on the mesh of the tagged
    facets). VTX has no mesh-tag record, so the tags are piecewise-constant functions."""
    from dolfinx import fem
    from dolfinx import mesh as dmesh

    msh = domain.mesh
    tdim = msh.topology.dim
    folder = Path(folder)
    ct, ft = domain.cell_tags, domain.facet_tags
    D0 = fem.functionspace(msh, ("DG", 0))
    cells = fem.Function(D0, name="cell_tags")
    cells.x.array[D0.dofmap.list[ct.indices, 0]] = ct.values
    cells.x.scatter_forward()
    with dio.VTXWriter(msh.comm, str(folder / "tags.bp"), [cells], engine="BP4") as w:
        w.write(0.0)
    # the owned tagged facets as a mesh of their own, the tag as a cell value
    msh.topology.create_connectivity(tdim - 1, tdim)
    owned = ft.indices < msh.topology.index_map(tdim - 1).size_local
    sub, emap, _, _ = dmesh.create_submesh(msh, tdim - 1, ft.indices[owned])
    Ds = fem.functionspace(sub, ("DG", 0))
    facets = fem.Function(Ds, name="facet_tags")
    n_own = sub.topology.index_map(tdim - 1).size_local
    parent = emap.sub_topology_to_topology(np.arange(n_own, dtype=np.int32), False)
    order = np.argsort(ft.indices)
    pos = order[np.searchsorted(ft.indices, parent, sorter=order)]
    facets.x.array[Ds.dofmap.list[:n_own, 0]] = ft.values[pos]
    facets.x.scatter_forward()
    with dio.VTXWriter(msh.comm, str(folder / "facet_tags.bp"), [facets], engine="BP4") as w:
        w.write(0.0)
    return [folder / "tags.bp", folder / "facet_tags.bp"]


def _clean(obj):
    """JSON-safe copy: NumPy scalars -> Python, non-finite floats -> None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically (temp file, flush, fsync, ``os.replace``:
    :func:`solver.rundir.write_text_atomic`); call on one rank. Non-finite floats become null."""
    from solver.rundir import write_text_atomic

    write_text_atomic(path, json.dumps(_clean(data), indent=2, sort_keys=False) + "\n")
