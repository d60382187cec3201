"""Output: fields for ParaView (XDMF, written collectively), JSON/CSV (rank 0), atomically."""

from __future__ import annotations

import json
import math
import os
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
    """Write JSON atomically (temp file + rename), call on one rank."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_clean(data), indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)
