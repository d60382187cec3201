"""Crash-safe, ParaView-ready field output: one ``.vtu`` file per region and output step, and
one ``.pvd`` time index per region, rewritten atomically after every step.

Layout of ``fields/`` (``output.format = "pvd"``, the default)::

    fields/electrode.pvd                     the time index of the region (a VTK collection)
    fields/electrode/electrode_000001.vtu    the region at output 1 (every array of the region)
    fields/interface.pvd, fields/interface/  the fields on Γ_int (a line in 2D, a surface in 3D)
    fields/tags.vtu, fields/facet_tags.vtu   the mesh with its cell tags, the tagged facets
    fields/open.py                           pvpython script: the run coloured by damage

Every ``.vtu`` is a plain unstructured grid with named point data (P1 fields) and cell data
(DG0 fields: stress, current density, ...), so ParaView colours it by any array as soon as it is
opened (no block extraction). Vectors have 3 components (2D vectors padded with 0), tensors 9.

Crash safety: a step is first written completely to a temporary file, fsync'ed and renamed
(``os.replace``) into place; only then is the index rewritten the same way (temporary file,
fsync, rename, fsync of the folder). A run killed at any moment (``kill -9``) leaves an index
that names only complete files, each readable.

MPI: every rank sends its owned cells to rank 0, which writes. The points are ordered by their
coordinates and the cells by their point numbers, so the files do not depend on the number of
ranks (the same arrays, in the same order, serial and on N ranks).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

# DOLFINx cell type name -> meshio/VTK cell type
_MESHIO_CELL = {
    "interval": "line",
    "triangle": "triangle",
    "quadrilateral": "quad",
    "tetrahedron": "tetra",
    "hexahedron": "hexahedron",
}


def replace_atomic(tmp: Path, path: Path) -> None:
    """fsync ``tmp``, rename it over ``path``, fsync the folder (POSIX: ``path`` is either the
    old or the new complete file at any moment)."""
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    from solver.rundir import fsync_dir

    fsync_dir(path.parent)


def write_pvd(path: Path, entries: list[tuple[float, str]]) -> None:
    """Write the VTK collection ``path`` (``.pvd``) listing ``entries`` = [(time s, file relative
    to the .pvd)], atomically. ParaView reads it as one time-dependent dataset."""
    lines = [
        '<?xml version="1.0"?>',
        '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">',
        "  <Collection>",
    ]
    for t, rel in entries:
        lines.append(f'    <DataSet timestep="{t!r}" group="" part="0" file="{rel}"/>')
    lines += ["  </Collection>", "</VTKFile>", ""]
    from solver.rundir import write_text_atomic

    write_text_atomic(path, "\n".join(lines))


def read_pvd(path: str | os.PathLike) -> list[tuple[float, Path]]:
    """The entries of a ``.pvd`` index: [(time s, absolute path of the .vtu)], in file order."""
    path = Path(path)
    root = ET.parse(path).getroot()
    return [(float(d.get("timestep")), path.parent / d.get("file")) for d in root.iter("DataSet")]


class GatherWriter:
    """Writes functions that live on one mesh as ``.vtu`` files from rank 0 (collective).

    ``functions``: DOLFINx functions on ``msh``, each either P1 (one dof per geometry node of a
    degree-1 mesh: point data) or DG0 (one dof per cell: cell data), any block size (scalars,
    vectors, 3×3 tensors). ``extra_cell_data``: {name: array over the local cells} (static, e.g.
    a cell tag). Raises ValueError for another space or a curved (degree > 1) geometry."""

    def __init__(self, msh, functions, extra_cell_data: dict | None = None):
        import dolfinx.cpp.io as cio

        self.comm = msh.comm
        self.functions = list(functions)
        tdim = msh.topology.dim
        n_own = msh.topology.index_map(tdim).size_local
        xdofs = msh.geometry.dofmaps[0][:n_own]
        npc = xdofs.shape[1]
        ctype = msh.topology.cell_type.name
        if ctype not in _MESHIO_CELL:
            raise ValueError(f"fields: cell type {ctype} has no VTK equivalent here")
        nverts = {"interval": 2, "triangle": 3, "quadrilateral": 4, "tetrahedron": 4,
                  "hexahedron": 8}[ctype]  # fmt: skip
        if npc != nverts:
            raise ValueError(f"fields: a degree-{msh.geometry.cmaps[0].degree} geometry")
        self.cell_type = _MESHIO_CELL[ctype]
        self.perm = np.asarray(cio.perm_vtk(msh.topology.cell_type, npc))
        self.n_own = n_own
        self.npc = npc
        self.kinds = []
        for fn in self.functions:
            V = fn.function_space
            w = V.dofmap.list.shape[1]
            if w == 1:
                self.kinds.append("cell")
            elif w == npc and not V.element.basix_element.discontinuous:
                self.kinds.append("point")
            else:
                raise ValueError(f"fields: '{fn.name}' is neither P1 nor DG0")
        xyz = msh.geometry.x[xdofs.reshape(-1)].reshape(n_own, npc, 3)
        all_xyz = self.comm.gather(xyz, root=0)
        extra = {k: np.asarray(v)[:n_own] for k, v in (extra_cell_data or {}).items()}
        all_extra = self.comm.gather(extra, root=0)
        self._xdofs = xdofs
        if self.comm.rank == 0:
            cx = np.concatenate(all_xyz).reshape(-1, 3)
            points, inverse = np.unique(cx, axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
            conn = inverse.reshape(-1, npc)
            order = np.lexsort(np.sort(conn, axis=1).T[::-1])
            self.cell_order = order
            self.points = points
            self.inverse = inverse  # (cell, local node) in gather order -> point
            self.cells = conn[order][:, self.perm]
            self.extra = {k: np.concatenate([e[k] for e in all_extra])[order] for k in extra}

    def _local(self, fn, kind) -> np.ndarray:
        V = fn.function_space
        bs = V.dofmap.bs
        dofs = V.dofmap.list[: self.n_own]
        arr = fn.x.array.reshape(-1, bs)
        if kind == "cell":
            return arr[dofs[:, 0]]
        return arr[dofs.reshape(-1)].reshape(self.n_own, self.npc, bs)

    def arrays(self) -> tuple[dict, dict] | None:
        """Gather the current values (collective): ({name: point array}, {name: cell array}) on
        rank 0 in file order, None on the other ranks."""
        local = [self._local(fn, k) for fn, k in zip(self.functions, self.kinds)]
        gathered = self.comm.gather(local, root=0)
        if self.comm.rank != 0:
            return None
        point, cell = {}, {}
        for i, (fn, kind) in enumerate(zip(self.functions, self.kinds)):
            data = np.concatenate([g[i] for g in gathered])
            if kind == "cell":
                cell[fn.name] = _vtk_components(data[self.cell_order])
            else:
                bs = data.shape[-1]
                vals = np.zeros((len(self.points), bs))
                vals[self.inverse] = data.reshape(-1, bs)
                point[fn.name] = _vtk_components(vals)
        for k, v in self.extra.items():
            cell[k] = np.asarray(v)
        return point, cell

    def write(self, path: Path, time: float | None = None) -> None:
        """Write the current values to ``path`` (``.vtu``) atomically (collective; rank 0
        writes)."""
        data = self.arrays()
        if self.comm.rank == 0:
            write_vtu(path, self.points, self.cell_type, self.cells, *data, time=time)
        self.comm.barrier()


def _vtk_components(a: np.ndarray) -> np.ndarray:
    """(n,) stays; (n, 1) -> (n,); (n, 2) vectors -> (n, 3) with a zero z; other widths stay."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        return a[:, 0]
    if a.ndim == 2 and a.shape[1] == 2:
        return np.column_stack([a, np.zeros(len(a))])
    return a


def write_vtu(path: Path, points, cell_type, cells, point_data, cell_data, time=None) -> None:
    """One VTK unstructured grid (binary, zlib), written to a temporary file and renamed."""
    import meshio

    path = Path(path)
    mesh = meshio.Mesh(
        points,
        [(cell_type, cells)],
        point_data=point_data,
        cell_data={k: [v] for k, v in cell_data.items()},
        field_data={"TimeValue": np.array([time])} if time is not None else None,
    )
    tmp = path.with_name(f".{path.stem}.tmp.vtu")
    meshio.write(tmp, mesh, file_format="vtu", binary=True, compression="zlib")
    replace_atomic(tmp, path)


class SeriesWriter:
    """One region's time series: ``<folder>/<name>/<name>_NNNNNN.vtu`` per output and the index
    ``<folder>/<name>.pvd`` (collective)."""

    def __init__(self, folder: Path, name: str, msh, functions, resume_time: float | None = None):
        """``resume_time``: a run resumed from its checkpoint at this time continues the index:
        the outputs up to it are kept, those written after it (by the killed run, beyond the
        checkpoint) are dropped from the index and removed."""
        self.folder = Path(folder)
        self.name = name
        self.gw = GatherWriter(msh, functions)
        self.entries: list[tuple[float, str]] = []
        index = self.folder / f"{name}.pvd"
        if resume_time is not None and index.is_file():
            keep = []
            for t, path in read_pvd(index):
                if t <= resume_time * (1 + 1e-12) + 1e-300:
                    keep.append((t, str(path.relative_to(self.folder))))
            self.entries = keep
        if msh.comm.rank == 0:
            (self.folder / name).mkdir(parents=True, exist_ok=True)
            if resume_time is not None:
                kept = {rel for _, rel in self.entries}
                for f in (self.folder / name).glob(f"{name}_*.vtu"):
                    if f"{name}/{f.name}" not in kept:
                        f.unlink(missing_ok=True)
                write_pvd(index, self.entries)
        msh.comm.barrier()

    def write(self, t: float) -> None:
        rel = f"{self.name}/{self.name}_{len(self.entries) + 1:06d}.vtu"
        self.gw.write(self.folder / rel, time=t)
        self.entries.append((float(t), rel))
        if self.gw.comm.rank == 0:
            write_pvd(self.folder / f"{self.name}.pvd", self.entries)
        self.gw.comm.barrier()

    def close(self) -> None:
        pass


def write_tags_vtu(domain, folder: Path) -> list[Path]:
    """``tags.vtu`` (the mesh, cell data ``cell_tags``) and ``facet_tags.vtu`` (the tagged
    facets as cells, cell data ``facet_tags``), written from rank 0 (collective)."""
    from dolfinx import mesh as dmesh

    msh = domain.mesh
    tdim = msh.topology.dim
    folder = Path(folder)
    ct, ft = domain.cell_tags, domain.facet_tags
    imap = msh.topology.index_map(tdim)
    tag = np.zeros(imap.size_local + imap.num_ghosts, dtype=np.int32)
    tag[ct.indices] = ct.values
    GatherWriter(msh, [], {"cell_tags": tag}).write(folder / "tags.vtu")
    msh.topology.create_connectivity(tdim - 1, tdim)
    owned = ft.indices < msh.topology.index_map(tdim - 1).size_local
    sub, emap, _, _ = dmesh.create_submesh(msh, tdim - 1, ft.indices[owned])
    n_own = sub.topology.index_map(tdim - 1).size_local
    parent = emap.sub_topology_to_topology(np.arange(n_own, dtype=np.int32), False)
    order = np.argsort(ft.indices)
    pos = order[np.searchsorted(ft.indices, parent, sorter=order)]
    GatherWriter(sub, [], {"facet_tags": ft.values[pos]}).write(folder / "facet_tags.vtu")
    return [folder / "tags.vtu", folder / "facet_tags.vtu"]


OPEN_SCRIPT = '''\
"""Open this ssbx run in ParaView, coloured by the interface damage.

    pvpython fields/open.py                        # interactive window
    pvpython fields/open.py --screenshot run.png   # render the last step to a PNG and exit
    paraview --script=fields/open.py               # the ParaView GUI
    (or View > Python Shell > Run Script, from the run directory)

Regions: {regions}. Γ_int ("interface") is drawn {how} and coloured by "damage" (0 intact,
1 fully damaged); the bulk regions by the von Mises stress (Pa) where they have it. Written by
ssbx; uses only paraview.simple.
"""

import os
import sys

from paraview.simple import (
    ColorBy,
    ExtractSurface,
    GetActiveViewOrCreate,
    GetAnimationScene,
    GetColorTransferFunction,
    Hide,
    Interact,
    PVDReader,
    Render,
    ResetCamera,
    SaveScreenshot,
    Show,
    Tube,
)

REGIONS = {regions!r}
if "__file__" in globals():
    HERE = os.path.dirname(os.path.abspath(__file__))
else:  # run from the GUI's Python shell: the run directory or its fields/ as working directory
    HERE = next(
        (d for d in (os.getcwd(), os.path.join(os.getcwd(), "fields"))
         if os.path.exists(os.path.join(d, "interface.pvd"))),
        os.getcwd(),
    )
DIM = {dim}

view = GetActiveViewOrCreate("RenderView")
readers = {{}}
for name in REGIONS + ["interface"]:
    path = os.path.join(HERE, name + ".pvd")
    if os.path.exists(path):
        readers[name] = PVDReader(registrationName=name, FileName=path)
        readers[name].UpdatePipeline()

# "ionic" (the electrolyte potential) and "temperature" cover the cells of other regions:
# loaded (see the Pipeline Browser) but hidden, so no two surfaces overlap.
OVERLAY = {{"ionic", "temperature"}}
bounds = [1e300, -1e300] * 3
for name in REGIONS:
    if name not in readers:
        continue
    b = readers[name].GetDataInformation().GetBounds()
    for i in range(3):
        bounds[2 * i] = min(bounds[2 * i], b[2 * i])
        bounds[2 * i + 1] = max(bounds[2 * i + 1], b[2 * i + 1])
    disp = Show(readers[name], view)
    if name in OVERLAY and any(r in readers for r in REGIONS if r not in OVERLAY):
        Hide(readers[name], view)
        continue
    cells = readers[name].CellData.keys()
    points = readers[name].PointData.keys()
    if "von_mises" in cells:
        ColorBy(disp, ("CELLS", "von_mises"))
        GetColorTransferFunction("von_mises").ApplyPreset("Grayscale", True)
    elif "phi_electrolyte" in points:
        ColorBy(disp, ("POINTS", "phi_electrolyte"))
    elif "T" in points:
        ColorBy(disp, ("POINTS", "T"))
    if DIM == 3:
        disp.Opacity = 0.3  # the interface surface shows through

if "interface" in readers:
    itf = readers["interface"]
    if DIM == 2:
        size = max(bounds[1] - bounds[0], bounds[3] - bounds[2], 1e-30)
        lines = ExtractSurface(registrationName="interface (lines)", Input=itf)
        shown = Tube(registrationName="interface (tube)", Input=lines)
        shown.Radius = 0.008 * size
        shown.NumberofSides = 12
    else:
        shown = itf
    disp = Show(shown, view)
    if DIM == 2:  # unlit: the tube shows the colour map's own colours, like a thick line
        disp.Ambient = 1.0
        disp.Diffuse = 0.0
    if "damage" in itf.PointData.keys():
        ColorBy(disp, ("POINTS", "damage"))
        lut = GetColorTransferFunction("damage")
        lut.ApplyPreset("Inferno (matplotlib)", True)
        lut.RescaleTransferFunction(0.0, 1.0)
        disp.SetScalarBarVisibility(view, True)

scene = GetAnimationScene()
scene.UpdateAnimationUsingDataTimeSteps()
times = list(readers["interface"].TimestepValues) if "interface" in readers else []
if times:
    scene.AnimationTime = times[-1]
view.InteractionMode = "2D" if DIM == 2 else "3D"
if DIM == 3:
    try:
        view.ApplyIsometricView()
    except AttributeError:  # older ParaView
        pass
ResetCamera(view)
Render(view)

if "--screenshot" in sys.argv:
    out = sys.argv[sys.argv.index("--screenshot") + 1]
    SaveScreenshot(out, view, ImageResolution=[1200, 800])
elif __name__ == "__main__" and "paraview.servermanager" in sys.modules and not hasattr(
    sys, "ps1"
):
    try:
        Interact(view)
    except Exception:  # the GUI has its own event loop
        pass
'''


def write_open_script(folder: Path, regions: list[str], dim: int) -> Path:
    """Write ``fields/open.py`` (a pvpython script that loads every region and Γ_int of the run,
    the interface as a tube in 2D, coloured by damage); call on one rank."""
    from solver.rundir import write_text_atomic

    how = (
        "as a tube around the interface line" if dim == 2 else "as a surface under translucent bulk"
    )
    path = Path(folder) / "open.py"
    write_text_atomic(path, OPEN_SCRIPT.format(regions=list(regions), dim=dim, how=how))
    return path
