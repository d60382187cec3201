"""Mesh + tags -> the parallel domain: per-material submeshes, ordered interface data, measures.

DOLFINx is imported here (and in the physics); nothing in this module knows a geometry family.

* The mesh is distributed with shared-facet ghosting (needed for ``dS`` integrals on Γ_int at
  partition boundaries).
* One submesh (and its cell/vertex :class:`dolfinx.mesh.EntityMap`) per material cell tag, and on
  demand for a union of tags (e.g. bonded electrolyte layers sharing one field).
* For every two-sided facet tag (interfaces) the interior-facet integration data is ordered so that
  the "+" side is always the same material (:func:`order_interface`, which raises on
  inconsistency): Γ_int → electrode "+", electrolyte/coating "−".
* Measures ``dx``, ``ds``, ``dS`` live on the parent mesh. ``dS(tag)`` uses the ordered data.
* A codim-1 submesh of each interface carries interface state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from dolfinx import mesh as dmesh
from dolfinx.io import gmsh as dgmsh
from mpi4py import MPI

from meshes import tags as T
from solver.errors import MeshError

log = logging.getLogger(__name__)

# For every two-sided facet tag: which cell tags may sit on the "+" side (checked).
# Γ_int: the electrode is "+". Coating|electrolyte: coating "+". Bonded electrolyte layers: the
# lower layer (smaller tag) "+". Electrolyte|counter: counter "+". Pad: the pad "+".
PLUS_SIDE: dict[int, tuple[int, ...]] = {
    T.INTERFACE: (T.ELECTRODE,),
    T.INTERFACE_COATING: (T.COATING,),
    T.COUNTER_INTERFACE: (T.COUNTER,),
    T.PAD_INTERFACE: (T.PAD,),
}


@dataclass
class SubDomain:
    """A submesh made of the parent cells with one of ``tags``."""

    tags: tuple[int, ...]
    mesh: dmesh.Mesh
    cell_map: dmesh.EntityMap
    vertex_map: dmesh.EntityMap
    parent_cells: np.ndarray  # local parent cell indices (owned + ghost) in the submesh


@dataclass
class Interface:
    """Ordered interior-facet data for one two-sided facet tag."""

    tag: int
    plus_tags: tuple[int, ...]
    minus_tags: tuple[int, ...]
    facets: np.ndarray  # local parent facet indices (owned by this rank)
    data: np.ndarray  # flattened (cell+, lf+, cell-, lf-) rows, "+" first
    submesh: dmesh.Mesh | None = None
    facet_map: dmesh.EntityMap | None = None


@dataclass
class Domain:
    mesh: dmesh.Mesh
    cell_tags: dmesh.MeshTags
    facet_tags: dmesh.MeshTags
    axisymmetric: bool = False
    interfaces: dict[int, Interface] = field(default_factory=dict)
    _subdomains: dict[tuple[int, ...], SubDomain] = field(default_factory=dict)
    dx: ufl.Measure = None
    ds: ufl.Measure = None
    dS: ufl.Measure = None
    # one shared (tag, ordered data) list: every dS measure of a form must use this same object
    dS_data: list = field(default_factory=list)

    def interface_measure(self, metadata: dict | None = None) -> ufl.Measure:
        """An interior-facet measure over the ordered interface data (optionally with a
        quadrature rule, e.g. {"quadrature_rule": "vertex", "quadrature_degree": 1})."""
        return ufl.Measure(
            "dS", domain=self.mesh, subdomain_data=self.dS_data, metadata=metadata or {}
        )

    # ------------------------------------------------------------------ basic facts
    @property
    def comm(self) -> MPI.Comm:
        return self.mesh.comm

    @property
    def tdim(self) -> int:
        return self.mesh.topology.dim

    @property
    def gdim(self) -> int:
        return self.mesh.geometry.dim

    def cell_tag_values(self) -> list[int]:
        return _global_unique(self.comm, self.cell_tags.values)

    def facet_tag_values(self) -> list[int]:
        return _global_unique(self.comm, self.facet_tags.values)

    @property
    def r(self):
        """Axisymmetric weight 2πr (x[0] = r); 1 for plane/3D meshes (UFL expression)."""
        if not self.axisymmetric:
            return 1.0
        return 2.0 * np.pi * ufl.SpatialCoordinate(self.mesh)[0]

    def num_cells_global(self) -> int:
        imap = self.mesh.topology.index_map(self.tdim)
        return imap.size_global

    def num_vertices_global(self) -> int:
        return self.mesh.topology.index_map(0).size_global

    # ------------------------------------------------------------------ submeshes
    def subdomain(self, tags: int | tuple[int, ...]) -> SubDomain:
        """The submesh of cells with any of ``tags`` (cached)."""
        key = (tags,) if isinstance(tags, int | np.integer) else tuple(sorted(tags))
        if key not in self._subdomains:
            cells = np.sort(np.concatenate([self.cell_tags.find(int(t)) for t in key])).astype(
                np.int32
            )
            sub, cmap, vmap, _ = dmesh.create_submesh(self.mesh, self.tdim, cells)
            self._subdomains[key] = SubDomain(key, sub, cmap, vmap, cells)
        return self._subdomains[key]

    def submesh_of(self, msh: dmesh.Mesh) -> SubDomain | None:
        for s in self._subdomains.values():
            if s.mesh is msh:
                return s
        return None

    def copy_to(self, src: fem.Function, target: dmesh.Mesh):
        """``(fn, update)``: ``fn`` a function on the submesh ``target`` (same element as ``src``,
        a function on another submesh of this domain) and ``update()`` refreshing it from
        ``src`` on the cells both submeshes share (for output expressions on one submesh that
        need a field of another). ``fn`` is ``src`` itself when the meshes coincide."""
        if src.function_space.mesh is target:
            return src, lambda: None
        V = fem.functionspace(target, src.function_space.ufl_element())
        fn = fem.Function(V, name=src.name)
        tsub = self.submesh_of(target)
        ssub = self.submesh_of(src.function_space.mesh)
        imap = target.topology.index_map(self.tdim)
        cells = np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32)
        parent = tsub.cell_map.sub_topology_to_topology(cells, False)
        src_cells = ssub.cell_map.sub_topology_to_topology(parent, True)
        keep = src_cells >= 0
        c0, c1 = src_cells[keep].astype(np.int32), cells[keep]

        def update():
            fn.interpolate(src, cells0=c0, cells1=c1)
            fn.x.scatter_forward()

        update()
        return fn, update

    def entity_maps(self) -> list[dmesh.EntityMap]:
        """Cell entity maps of every submesh built so far (pass to fem.form)."""
        return [s.cell_map for s in self._subdomains.values()]

    # ------------------------------------------------------------------ measures
    def measure_of(self, kind: str, tag: int) -> float:
        """Global volume of cell tag / area of facet tag (axisymmetric: revolved, 2π∫r)."""
        one = fem.Constant(self.mesh, 1.0)
        if kind == "cell":
            form = one * self.r * self.dx(tag)
        elif tag in self.interfaces:
            form = one("+") * _plus(self.r) * self.dS(tag)
        else:
            form = one * self.r * self.ds(tag)
        return self.comm.allreduce(fem.assemble_scalar(fem.form(form)), op=MPI.SUM)

    def side_indicator_integrals(self, tag: int) -> tuple[float, float]:
        """(∫ χ_plus("+") dS, ∫ χ_plus("-") dS) over interface ``tag``, where χ_plus is 1 on the
        cells of the interface's "+" material: must be (|Γ|, 0) when the ordering is right."""
        itf = self.interfaces[tag]
        V0 = fem.functionspace(self.mesh, ("DG", 0))
        chi = fem.Function(V0)
        for t in itf.plus_tags:
            chi.x.array[self.cell_tags.find(t)] = 1.0
        chi.x.scatter_forward()
        a = fem.assemble_scalar(fem.form(chi("+") * _plus(self.r) * self.dS(tag)))
        b = fem.assemble_scalar(fem.form(chi("-") * _plus(self.r) * self.dS(tag)))
        return self.comm.allreduce(a, op=MPI.SUM), self.comm.allreduce(b, op=MPI.SUM)

    def statistics(self) -> dict:
        """Counts and measured volume/area of every tag (identical on all ranks)."""
        stats = {
            "cells": self.num_cells_global(),
            "vertices": self.num_vertices_global(),
            "gdim": self.gdim,
            "tdim": self.tdim,
            "axisymmetric": self.axisymmetric,
            "volumes": {},
            "areas": {},
        }
        for t in self.cell_tag_values():
            stats["volumes"][T.cell_name(t)] = self.measure_of("cell", t)
        for t in self.facet_tag_values():
            stats["areas"][T.facet_name(t)] = self.measure_of("facet", t)
        hmin = self.comm.allreduce(
            float(
                np.min(
                    self.mesh.h(
                        self.tdim,
                        np.arange(
                            self.mesh.topology.index_map(self.tdim).size_local, dtype=np.int32
                        ),
                    ),
                    initial=np.inf,
                )
            ),
            op=MPI.MIN,
        )
        stats["h_min"] = hmin
        return stats


def _plus(expr):
    return expr("+") if isinstance(expr, ufl.core.expr.Expr) else expr


def _global_unique(comm: MPI.Comm, values: np.ndarray) -> list[int]:
    allv = comm.allgather(np.unique(values).tolist())
    return sorted({int(v) for vs in allv for v in vs})


# ---------------------------------------------------------------------- interface ordering
def order_interface(
    msh: dmesh.Mesh,
    cell_tags: dmesh.MeshTags,
    facets: np.ndarray,
    plus_tags: tuple[int, ...],
    name: str = "interface",
) -> tuple[np.ndarray, tuple[int, ...]]:
    """Interior-facet integration data for ``facets`` with the cells tagged ``plus_tags`` first.

    Returns the flattened rows (cell+, local_facet+, cell−, local_facet−) and the cell tags found
    on the "−" side. Raises :class:`MeshError` (collectively) when a facet is not shared by
    exactly one "+" cell and one other cell (a one-sided facet, both sides "+", or neither).
    """
    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    msh.topology.create_connectivity(tdim, tdim - 1)
    data = fem.compute_integration_domains(
        fem.IntegralType.interior_facet, msh.topology, np.asarray(facets, dtype=np.int32)
    )
    rows = np.asarray(data).reshape(-1, 4).copy()
    ncells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    marker = np.full(ncells, -1, dtype=np.int64)
    marker[cell_tags.indices] = cell_tags.values
    is_plus = np.isin(marker, np.asarray(plus_tags))
    p0, p1 = is_plus[rows[:, 0]], is_plus[rows[:, 2]]
    bad = int(np.count_nonzero(p0 == p1)) + (len(facets) - len(rows))
    nbad = msh.comm.allreduce(bad, op=MPI.SUM)
    if nbad:
        raise MeshError(
            f"mesh: {nbad} facet(s) of '{name}' are not shared by exactly one cell tagged "
            f"{list(plus_tags)} and one cell of another material (check the tags / ghosting)"
        )
    swap = ~p0
    rows[swap] = rows[swap][:, [2, 3, 0, 1]]
    minus = tuple(_global_unique(msh.comm, marker[rows[:, 2]]))
    return rows.reshape(-1), minus


# ---------------------------------------------------------------------- construction
def partitioner():
    return dmesh.create_cell_partitioner(dmesh.GhostMode.shared_facet, 2)


def from_mesh_data(md, axisymmetric: bool = False, interface_submeshes: bool = True) -> Domain:
    """Build a :class:`Domain` from a DOLFINx ``MeshData`` (``model_to_mesh``/``read_from_msh``)."""
    msh, ct, ft = md.mesh, md.cell_tags, md.facet_tags
    if ct is None or ft is None:
        raise MeshError("mesh: the mesh has no physical groups (cell and facet tags required)")
    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    msh.topology.create_connectivity(tdim, tdim - 1)
    dom = Domain(msh, ct, ft, axisymmetric=axisymmetric)
    cell_values = dom.cell_tag_values()
    if T.ELECTRODE not in cell_values:
        raise MeshError(f"mesh: no electrode cells (cell tag {T.ELECTRODE}); found {cell_values}")
    if not any(T.is_electrolyte(t) for t in cell_values):
        raise MeshError(
            f"mesh: no electrolyte cells (cell tag {T.ELECTROLYTE}); found {cell_values}"
        )
    ncell_local = msh.topology.index_map(tdim).size_local
    ntagged = msh.comm.allreduce(int(np.count_nonzero(ct.indices < ncell_local)), op=MPI.SUM)
    if ntagged != dom.num_cells_global():
        raise MeshError(f"mesh: {dom.num_cells_global() - ntagged} cell(s) carry no cell tag")
    facet_values = dom.facet_tag_values()
    if T.INTERFACE not in facet_values:
        raise MeshError(
            f"mesh: no interface facets (facet tag {T.INTERFACE}); found {facet_values}"
        )
    nfacet_owned = msh.topology.index_map(tdim - 1).size_local
    subdata = []
    two_sided = [t for t in facet_values if t in PLUS_SIDE or t == T.BONDED]
    for tag in two_sided:
        facets = ft.find(tag)
        facets = facets[facets < nfacet_owned]
        if tag == T.BONDED:
            # the lower electrolyte layer (smallest tag among the adjacent ones) is "+"
            plus = _bonded_plus(msh, ct, facets, cell_values)
        else:
            plus = PLUS_SIDE[tag]
        data, minus = order_interface(msh, ct, facets, plus, T.facet_name(tag))
        itf = Interface(tag, plus, minus, facets, data)
        if interface_submeshes:
            itf.submesh, itf.facet_map, _, _ = dmesh.create_submesh(msh, tdim - 1, facets)
        dom.interfaces[tag] = itf
        subdata.append((tag, data))
    dom.dx = ufl.Measure("dx", domain=msh, subdomain_data=ct)
    dom.ds = ufl.Measure("ds", domain=msh, subdomain_data=ft)
    dom.dS_data = subdata
    dom.dS = dom.interface_measure()
    return dom


def _bonded_plus(msh, ct, facets, cell_values) -> tuple[int, ...]:
    """For bonded electrolyte|electrolyte facets the '+' side is the lower layer of each pair.
    With several layers, every layer but the topmost can be '+': return all electrolyte layers
    except the one with the largest tag, and let order_interface check each facet has exactly
    one such side (true for a stack, where each bonded facet joins layers k and k+1)."""
    layers = sorted(t for t in cell_values if T.is_electrolyte(t))
    # ELECTROLYTE (2) is layer 1, 22, 23, ... are layers 2, 3, ...: order by layer index
    layers.sort(key=lambda t: 1 if t == T.ELECTROLYTE else t - 20)
    if len(layers) < 2:
        return tuple(layers)
    if len(layers) > 2:
        raise MeshError(
            "mesh: more than two bonded electrolyte layers need one facet tag per "
            "layer pair; use two layers or disable bonding"
        )
    return (layers[0],)


def load(
    path: str | Path,
    comm: MPI.Comm = MPI.COMM_WORLD,
    gdim: int | None = None,
    axisymmetric: bool = False,
) -> Domain:
    """Read a Gmsh ``.msh`` in parallel (rank 0 reads, shared-facet ghosting)."""
    path = Path(path)
    if not path.is_file():
        raise MeshError(f"geometry.mesh_file: file not found: {path}")
    if gdim is None:
        gdim = _msh_gdim(path, comm)
    md = dgmsh.read_from_msh(str(path), comm, 0, gdim=gdim, partitioner=partitioner())
    return from_mesh_data(md, axisymmetric=axisymmetric)


def from_gmsh_model(
    comm: MPI.Comm = MPI.COMM_WORLD, gdim: int = 2, axisymmetric: bool = False
) -> Domain:
    """Distribute the current gmsh model (held by rank 0) as a :class:`Domain`."""
    import gmsh

    md = dgmsh.model_to_mesh(gmsh.model, comm, 0, gdim=gdim, partitioner=partitioner())
    return from_mesh_data(md, axisymmetric=axisymmetric)


def _msh_gdim(path: Path, comm: MPI.Comm) -> int:
    """Geometric dimension of a .msh: 3 if any volume element, else 2 (decided on rank 0)."""
    gdim = None
    if comm.rank == 0:
        import gmsh

        started = not gmsh.isInitialized()
        if started:
            gmsh.initialize(interruptible=False)
        try:
            gmsh.option.setNumber("General.Terminal", 0)
            gmsh.open(str(path))
            gdim = 3 if gmsh.model.getEntities(3) else 2
        finally:
            if started:
                gmsh.finalize()
    return comm.bcast(gdim, root=0)
