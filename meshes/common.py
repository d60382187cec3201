"""Shared machinery for the geometry families: parameter specs, gmsh session, size grading,
quality summary, .msh writing and the standalone command line.

Every family module ``meshes.<family>`` defines

* ``PARAMS: dict[str, Param]`` – its parameters (SI units, ranges, defaults, doc);
* ``build(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> GeometryInfo``
  – creates and meshes a gmsh model (gmsh must be initialised; :func:`gmsh_session` does it),
  with physical groups following :mod:`meshes.tags`;
* ``main(argv=None)`` – ``python -m meshes.<family> [--key value ...] -o out.msh``.

This package does not import DOLFINx or the solver; parameters here are plain SI numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


class GeometryError(ValueError):
    """Invalid geometry parameter: the message is one line naming the key and allowed range."""

    def __init__(self, key: str, message: str):
        super().__init__(f"geometry.{key}: {message}")
        self.key = key


# The largest geometry length accepted (W, thicknesses, radii, sizes): the models are cell- or
# particle-scale; a longer one is a unit mistake (and the mesh would not fit anyway).
MAX_LENGTH = 1.0


@dataclass(frozen=True)
class Param:
    """One geometry parameter.

    kind: "float" (a quantity of ``dim``), "int", "bool", "choice" (one of ``choices``) or
    "floats" (a list of quantities of ``dim``). ``lo``/``hi`` bound numbers (and list entries);
    ``lo_open``/``hi_open`` make the bound strict.
    """

    default: Any
    dim: str = "dimensionless"
    doc: str = ""
    kind: str = "float"
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple = ()

    def range_text(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        lo = "-inf" if self.lo is None else f"{self.lo:g}"
        hi = "inf" if self.hi is None else f"{self.hi:g}"
        lb = "(" if (self.lo is None or self.lo_open) else "["
        rb = ")" if (self.hi is None or self.hi_open) else "]"
        return f"{lb}{lo}, {hi}{rb}"

    def check(self, key: str, value: Any) -> Any:
        """Return the value normalised to its kind, or raise :class:`GeometryError`."""
        if self.kind == "choice":
            if value not in self.choices:
                raise GeometryError(key, f"got {value!r}, allowed {self.range_text()}")
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise GeometryError(key, f"got {value!r}, allowed true or false")
            return value
        if self.kind == "floats":
            if not isinstance(value, list | tuple) or len(value) == 0:
                raise GeometryError(
                    key, f"got {value!r}, allowed a non-empty list in {self.range_text()}"
                )
            return [self._num(key, v) for v in value]
        v = self._num(key, value)
        if self.kind == "int":
            if int(v) != v:
                raise GeometryError(
                    key, f"got {value!r}, allowed an integer in {self.range_text()}"
                )
            return int(v)
        return v

    def _num(self, key: str, value: Any) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise GeometryError(key, f"got {value!r}, allowed a number in {self.range_text()}")
        try:
            v = float(value)
        except OverflowError:  # an integer beyond 1.8e308
            digits = int(value.bit_length() * 0.30103)
            raise GeometryError(
                key, f"got an integer of ~{digits} digits, allowed a number in {self.range_text()}"
            ) from None
        bad_lo = self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo)
        bad_hi = self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi)
        if bad_lo or bad_hi:
            unit = f" ({self.dim}, SI)" if self.dim != "dimensionless" else ""
            raise GeometryError(key, f"got {v:g}, allowed {self.range_text()}{unit}")
        if self.dim == "length" and abs(v) > MAX_LENGTH:
            raise GeometryError(
                key, f"got {v:g} m, allowed at most {MAX_LENGTH:g} m (a cell-scale geometry)"
            )
        return v


# Parameters every family shares (mesh sizes).
MESH_PARAMS: dict[str, Param] = {
    "h_max": Param(
        None,
        "length",
        "largest element size (default: family-specific, about 1/8 (2D) or 1/4 (3D) of the "
        "smallest layer thickness or width)",
        lo=0.0,
        lo_open=True,
    ),
    "h_interface": Param(
        None,
        "length",
        "element size at the interfaces (default: family-specific, h_max/4 in 2D and h_max/2 "
        "in 3D, finer for curved or thin features)",
        lo=0.0,
        lo_open=True,
    ),
    "mesh_order": Param(
        1, "dimensionless", "geometric order of the elements", kind="int", lo=1, hi=2
    ),
}


# --------------------------------------------------------------------------- cell-count estimate

# Area (2D) / volume (3D) of an equilateral triangle / regular tetrahedron of edge h, over h^dim.
CELL_MEASURE = {2: math.sqrt(3.0) / 4.0, 3: 1.0 / (6.0 * math.sqrt(2.0))}
# Gmsh's elements are smaller than the ideal ones of the local size (a Delaunay mesh of size h has
# ~1.3-1.8x as many cells as volume / ideal cell); the factor keeps the estimate an upper bound.
ESTIMATE_SAFETY = 2.0


@dataclass(frozen=True)
class SizeZone:
    """One refined zone of a size field, for :func:`estimate_cells`.

    kind "surface": the entities of measure ``measure`` (a length in 2D, an area in 3D) meshed
    at size ``h`` on both sides, the size growing with slope ``growth`` (size per distance) up to
    h_max (meshes.common.grade). kind "ball": size ``h`` within ``radius`` of a point, growing
    with ``growth`` beyond (a contact zone)."""

    kind: str
    h: float
    growth: float
    measure: float = 0.0
    radius: float = 0.0


def _graded(dim: int, h: float, h_end: float, growth: float) -> float:
    """∫ ds / h(s)^dim over a layer where h(s) grows linearly from h to h_end with slope growth."""
    if h_end <= h:
        return 0.0
    if dim == 2:
        return (1.0 / h - 1.0 / h_end) / growth
    return (1.0 / h**2 - 1.0 / h_end**2) / (2.0 * growth)


def estimate_cells(
    dim: int, volume: float, h_max: float, zones: list[SizeZone] = (), extent: float = math.inf
) -> float:
    """An upper estimate of the number of cells gmsh makes, computed before meshing.

    ``volume``: the meshed area (2D, also axisymmetric: the (r, z) section) or volume (3D);
    ``extent``: the largest distance a graded zone can reach (the box size). The bulk holds
    volume / (c h_max^dim) cells (c: the measure of an ideal cell of edge 1, CELL_MEASURE); every
    zone adds the cells of its refined region as if it were meshed on top of the bulk (the
    overlap is counted twice: conservative). The sum is multiplied by ESTIMATE_SAFETY. Within a
    factor of ~2-4 of gmsh's count on the shipped cases (tests/unit/test_meshes.py)."""
    c = CELL_MEASURE[dim]
    n = volume / (c * h_max**dim)
    for z in zones:
        h = min(z.h, h_max)
        if z.kind == "surface":
            s_end = max(extent - 0.5 * h, 0.0)
            h_end = min(h_max, h + z.growth * s_end)
            per_area = 0.5 * h / h**dim + _graded(dim, h, h_end, z.growth)
            n += 2.0 * z.measure * per_area / c
        else:  # ball: ∫ ω ρ^(dim-1) / h(ρ)^dim dρ, h = h inside radius, graded beyond
            omega = 2.0 * math.pi if dim == 2 else 4.0 * math.pi
            r = min(z.radius, extent)
            inner = omega * r**dim / dim / h**dim
            rho_end = min(extent, r + (h_max - h) / z.growth)
            outer = 0.0
            if rho_end > r:  # trapezoid on a geometric grid of the distance beyond r
                m = 200
                s = [(rho_end - r) * (1e-6 * (1e6) ** (i / m)) for i in range(m + 1)]
                s = [0.0, *s]
                f = [omega * (r + x) ** (dim - 1) / (h + z.growth * x) ** dim for x in s]
                outer = sum(0.5 * (f[i] + f[i + 1]) * (s[i + 1] - s[i]) for i in range(len(s) - 1))
            n += (inner + outer) / c
    return ESTIMATE_SAFETY * n


def resolve(params_spec: dict[str, Param], values: dict | None) -> dict[str, Any]:
    """Merge ``values`` over the defaults and check them; unknown keys are errors."""
    values = dict(values or {})
    out: dict[str, Any] = {}
    for key in values:
        if key not in params_spec:
            allowed = ", ".join(sorted(params_spec))
            raise GeometryError(key, f"unknown key (allowed: {allowed})")
    for key, spec in params_spec.items():
        v = values.get(key, spec.default)
        out[key] = None if v is None else spec.check(key, v)
    return out


@dataclass
class GeometryInfo:
    """What a builder made. ``exact`` holds analytic measures keyed "cell:<tag>" / "facet:<tag>"
    (volumes, areas; for axisymmetric meshes the 3D revolved measures), ``tol`` the relative
    accuracy the discretisation allows for each (e.g. polygonal approximation of a curve)."""

    family: str
    gdim: int
    axisymmetric: bool
    cell_tags: dict[int, str]
    facet_tags: dict[int, str]
    exact: dict[str, float] = field(default_factory=dict)
    tol: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    apparent_area: float | None = None  # A_app: projected interface area


@contextlib.contextmanager
def gmsh_session(verbose: bool = False) -> Iterator[Any]:
    """Initialise gmsh for the duration of the block (re-entrant safe: finalises only if it
    initialised)."""
    import gmsh

    started = not gmsh.isInitialized()
    if started:
        gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
    gmsh.option.setNumber("General.Verbosity", 2 if verbose else 0)
    try:
        yield gmsh
    finally:
        if started:
            gmsh.finalize()


def quality_summary() -> dict[str, Any]:
    """Counts and min/mean/max element quality (gmsh 'minSICN', 1 = ideal) of the current model."""
    import gmsh
    import numpy as np

    dim = gmsh.model.getDimension()
    types, tags, _ = gmsh.model.mesh.getElements(dim)
    all_tags = np.concatenate([np.asarray(t) for t in tags]) if tags else np.array([])
    q = (
        np.asarray(gmsh.model.mesh.getElementQualities(all_tags, "minSICN"))
        if len(all_tags)
        else np.array([0.0])
    )
    nodes, _, _ = gmsh.model.mesh.getNodes()
    return {
        "nodes": int(len(nodes)),
        "cells": int(len(all_tags)),
        "quality_min": float(q.min()),
        "quality_mean": float(q.mean()),
        "quality_max": float(q.max()),
    }


def write_msh(path: str) -> None:
    import gmsh

    gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
    gmsh.write(str(path))


def standalone(
    family: str,
    spec: dict[str, Param],
    build: Callable[..., GeometryInfo],
    argv: list[str] | None = None,
    dims: tuple[int, ...] = (2, 3),
    axisymmetric_ok: bool = True,
) -> int:
    """Generic ``python -m meshes.<family>`` command line: one option per parameter (SI)."""
    ap = argparse.ArgumentParser(
        prog=f"python -m meshes.{family}",
        description=f"Build the '{family}' geometry with gmsh and write a .msh file "
        "(all quantities in SI units: m, Pa, ...).",
    )
    ap.add_argument("-o", "--output", default=f"{family}.msh", help="output .msh path")
    ap.add_argument("--dim", type=int, choices=dims, default=dims[0], help="spatial dimension")
    if axisymmetric_ok:
        ap.add_argument("--axisymmetric", action="store_true", help="2D axisymmetric (r, z)")
    for key, p in spec.items():
        opt = "--" + key.replace("_", "-")
        helptext = f"{p.doc} [{p.dim}; {p.range_text()}; default {p.default}]"
        if p.kind == "bool":
            ap.add_argument(
                opt,
                dest=key,
                type=lambda s: s.lower() in ("1", "true", "yes"),
                default=None,
                help=helptext,
            )
        elif p.kind == "choice":
            ap.add_argument(opt, dest=key, choices=p.choices, default=None, help=helptext)
        elif p.kind == "floats":
            ap.add_argument(opt, dest=key, type=float, nargs="+", default=None, help=helptext)
        elif p.kind == "int":
            ap.add_argument(opt, dest=key, type=int, default=None, help=helptext)
        else:
            ap.add_argument(opt, dest=key, type=float, default=None, help=helptext)
    ap.add_argument("-v", "--verbose", action="store_true", help="show gmsh output")
    args = ap.parse_args(argv)
    values = {k: getattr(args, k) for k in spec if getattr(args, k) is not None}
    try:
        with gmsh_session(args.verbose):
            info = build(
                values, dim=args.dim, axisymmetric=bool(getattr(args, "axisymmetric", False))
            )
            q = quality_summary()
            write_msh(args.output)
    except GeometryError as e:
        ap.exit(2, f"error: {e}\n")
    print(
        f"wrote {args.output}: {q['nodes']} nodes, {q['cells']} cells, quality "
        f"min {q['quality_min']:.3f} mean {q['quality_mean']:.3f}; "
        f"cell tags {sorted(info.cell_tags)} facet tags {sorted(info.facet_tags)}"
    )
    return 0


# ----------------------------------------------------------------------------------------------
# Building blocks shared by the families (all act on the current gmsh model).
# ----------------------------------------------------------------------------------------------

TOL_FLOOR = 1e-10  # relative tolerance of measures that the discretisation represents exactly


def new_model(name: str) -> None:
    """Make a fresh, current gmsh model called ``name`` (an older model of that name is removed)."""
    import gmsh

    if name in gmsh.model.list():
        gmsh.model.setCurrent(name)
        gmsh.model.remove()
    gmsh.model.add(name)


def check_dim(
    family: str,
    dim: int,
    axisymmetric: bool,
    dims: tuple[int, ...] = (2, 3),
    axisymmetric_ok: bool = True,
) -> None:
    """Raise :class:`GeometryError` for a dimension / axisymmetry the family does not support."""
    if dim not in dims:
        raise GeometryError(
            "dim",
            f"got {dim!r}, allowed one of {', '.join(map(str, dims))} for the '{family}' family",
        )
    if axisymmetric and (dim != 2 or not axisymmetric_ok):
        allowed = "only with dim = 2" if axisymmetric_ok else "false (not supported)"
        raise GeometryError(
            "axisymmetric",
            f"got true with dim = {dim}, allowed {allowed} for the '{family}' family",
        )


def interp_spline(x, y):
    """Cubic not-a-knot interpolating spline of the samples (x, y).

    Returns ``(spline, greville, knots, multiplicities)``: ``spline`` is a scipy ``BSpline``;
    the control points (greville[i], spline.c[i]) with the given knots reproduce it exactly as a
    CAD B-spline whose parameter is x itself (B-splines have linear precision at the Greville
    abscissae), so the OCC curve is the graph (x, spline(x)).
    """
    import numpy as np
    from scipy.interpolate import make_interp_spline

    x = np.asarray(x, dtype=float)
    s = make_interp_spline(x, np.asarray(y, dtype=float), k=3)
    t = s.t
    g = (t[1:-3] + t[2:-2] + t[3:-1]) / 3.0
    g[0], g[-1] = x[0], x[-1]
    knots, mult = np.unique(t, return_counts=True)
    return s, g, [float(k) for k in knots], [int(m) for m in mult]


def add_graph_curve(
    f, x0: float, x1: float, n: int, *, offset: float = 0.0, plane: str = "xy"
) -> tuple[int, Any]:
    """OCC cubic B-spline interpolating y = f(x) at n equidistant points of [x0, x1].

    ``plane="xy"``: the curve (x, f(x), 0); ``plane="xz"``: (x, offset, f(x)). Returns the curve
    tag and the scipy spline that the CAD curve represents exactly.
    """
    import gmsh
    import numpy as np

    x = np.linspace(x0, x1, n)
    s, g, knots, mult = interp_spline(x, f(x))
    occ = gmsh.model.occ
    c = s.c.copy()
    c[0], c[-1] = f(np.array([x0, x1]))  # end control points = end samples (bit-exact ends)
    if plane == "xy":
        pts = [occ.addPoint(float(a), float(b), 0.0) for a, b in zip(g, c)]
    else:
        pts = [occ.addPoint(float(a), offset, float(b)) for a, b in zip(g, c)]
    return occ.addBSpline(pts, degree=3, knots=knots, multiplicities=mult), s


def add_graph_surface(f, W: float, D: float, nx: int, ny: int, *, degree_y: int = 3) -> tuple:
    """OCC B-spline surface z = s(x, y) on [0, W] x [0, D]: the tensor-product cubic interpolant
    of f at nx x ny equidistant points (``degree_y=1`` with ny = 2: a ruled surface, for
    y-independent f). Returns (surface tag, evaluate(xs, ys): the represented surface on a grid)."""
    import gmsh
    import numpy as np
    from scipy.interpolate import BSpline, make_interp_spline

    xs = np.linspace(0.0, W, nx)
    ys = np.linspace(0.0, D, ny)
    Z = f(xs[:, None], ys[None, :])
    sx, gx, kx, mx = interp_spline(xs, np.zeros(nx))
    C = make_interp_spline(xs, Z, k=3, axis=0).c  # (nx, ny)
    if degree_y == 3:
        sy, gy, ky, my = interp_spline(ys, np.zeros(ny))
        C = make_interp_spline(ys, C, k=3, axis=1).c.T  # scipy puts the spline axis first
        ty = sy.t
    else:
        if ny != 2:
            raise ValueError("degree_y = 1 needs ny = 2")
        gy, ky, my, ty = ys, [0.0, D], [2, 2], np.array([0.0, 0.0, D, D])
    occ = gmsh.model.occ
    pts = [
        occ.addPoint(float(gx[i]), float(gy[j]), float(C[i, j]))
        for j in range(len(gy))
        for i in range(len(gx))
    ]
    tag = occ.addBSplineSurface(
        pts,
        len(gx),
        degreeU=3,
        degreeV=degree_y,
        knotsU=kx,
        knotsV=ky,
        multiplicitiesU=mx,
        multiplicitiesV=my,
    )
    tx = sx.t

    def evaluate(xs, ys):
        """Values of the represented surface on the grid xs (rows) x ys (columns)."""
        bx = BSpline.design_matrix(np.clip(np.asarray(xs, dtype=float), 0.0, W), tx, 3)
        by = BSpline.design_matrix(np.clip(np.asarray(ys, dtype=float), 0.0, D), ty, degree_y)
        return np.asarray(bx @ (by @ C.T).T)

    return tag, evaluate


def length_unit(*lengths: float) -> float:
    """Power of ten used as the CAD length unit (the largest extent becomes O(1..10)).

    OpenCASCADE works with absolute tolerances (~1e-7), far too coarse for micrometre geometry in
    metres, so the families build the CAD and mesh in this unit and scale the mesh nodes to SI
    metres at the end (:func:`scale_mesh`)."""
    return 10.0 ** math.floor(math.log10(max(lengths)))


def scale_mesh(unit: float) -> None:
    """Multiply all mesh node coordinates by ``unit`` (CAD unit -> metres). The CAD entities keep
    their scaled coordinates: remeshing or raising the order must happen before this call."""
    import gmsh

    gmsh.model.mesh.affineTransform([unit, 0, 0, 0, 0, unit, 0, 0, 0, 0, unit, 0])


def set_mesh_options(dim: int, h_min: float, h_max: float) -> None:
    """Common gmsh options: sizes only from the background field, deterministic algorithms."""
    import gmsh

    opt = gmsh.option.setNumber
    opt("Mesh.MeshSizeFromPoints", 0)
    opt("Mesh.MeshSizeFromCurvature", 0)
    opt("Mesh.MeshSizeExtendFromBoundary", 0)
    opt("Mesh.MeshSizeMin", h_min)
    opt("Mesh.MeshSizeMax", h_max)
    opt("Mesh.Algorithm", 6)  # Frontal-Delaunay (2D, and the surfaces of 3D models)
    opt("Mesh.Algorithm3D", 1)  # Delaunay
    opt("Mesh.Optimize", 1)
    opt("Mesh.MaxNumThreads1D", 1)
    opt("Mesh.MaxNumThreads2D", 1)
    opt("Mesh.MaxNumThreads3D", 1)
    opt("Mesh.ElementOrder", 1)
    opt("Mesh.SaveAll", 0)
    opt("Mesh.OptimizeNetgen", 1 if dim == 3 else 0)  # removes slivers (min quality ~0.3 -> ~0.4)


def grade(
    targets: list[tuple[int, int]],
    h_int: float,
    h_max: float,
    *,
    growth: float = 0.4,
    sampling: int = 40,
) -> int:
    """Threshold field: size h_int on the ``targets`` entities (curves/surfaces), growing
    linearly with slope ``growth`` (size per distance) up to h_max. Returns the field tag."""
    import gmsh

    fld = gmsh.model.mesh.field
    curves = [t for d, t in targets if d == 1]
    surfs = [t for d, t in targets if d == 2]
    dist = fld.add("Distance")
    if curves:
        fld.setNumbers(dist, "CurvesList", curves)
    if surfs:
        fld.setNumbers(dist, "SurfacesList", surfs)
    fld.setNumber(dist, "Sampling", sampling)
    thr = fld.add("Threshold")
    fld.setNumber(thr, "InField", dist)
    fld.setNumber(thr, "SizeMin", h_int)
    fld.setNumber(thr, "SizeMax", h_max)
    fld.setNumber(thr, "DistMin", 0.5 * h_int)
    fld.setNumber(thr, "DistMax", 0.5 * h_int + max(h_max - h_int, 0.0) / growth)
    return thr


def background(fields: list[int]) -> None:
    """Use the minimum of ``fields`` as the background size field."""
    import gmsh

    fld = gmsh.model.mesh.field
    if len(fields) == 1:
        fld.setAsBackgroundMesh(fields[0])
        return
    m = fld.add("Min")
    fld.setNumbers(m, "FieldsList", fields)
    fld.setAsBackgroundMesh(m)


def generate(dim: int, order: int) -> None:
    """Mesh the current model in ``dim`` dimensions with elements of geometric ``order``."""
    import gmsh

    gmsh.model.mesh.generate(dim)
    if order > 1:
        gmsh.option.setNumber("Mesh.HighOrderOptimize", 1)
        gmsh.model.mesh.setOrder(order)


def assign_groups(
    dim: int,
    region: dict[int, int],
    pair_tag: dict[frozenset, int],
    outer: Callable[[tuple], int],
    names: Callable[[int], str] | None = None,
    cell_names: Callable[[int], str] | None = None,
) -> tuple[dict, dict]:
    """Add the physical groups of the current (synchronised) model.

    ``region``: entity tag (of dimension ``dim``) -> cell tag (every entity must be listed).
    Facets (dimension ``dim - 1``) between two regions of different cell tags get
    ``pair_tag[frozenset({a, b})]`` (a KeyError is a bug of the family); facets of one region get
    ``outer(bounding_box)``. Returns (cell_tags, facet_tags) as {tag: name}.
    """
    import gmsh

    from meshes import tags as T

    names = names or T.facet_name
    cell_names = cell_names or T.cell_name
    cells: dict[int, list[int]] = {}
    for _, e in gmsh.model.getEntities(dim):
        cells.setdefault(region[e], []).append(e)
    facets: dict[int, list[int]] = {}
    for _, f in gmsh.model.getEntities(dim - 1):
        up, _ = gmsh.model.getAdjacencies(dim - 1, f)
        owners = {region[int(u)] for u in up}
        if len(up) == 0:
            continue  # an isolated construction entity (not part of the mesh)
        if len(up) == 1:
            tag = outer(gmsh.model.getBoundingBox(dim - 1, f))
        elif len(owners) == 1:
            continue  # between two entities of one material: not a tagged facet
        else:
            tag = pair_tag[frozenset(owners)]
        facets.setdefault(tag, []).append(f)
    for tag in sorted(cells):
        gmsh.model.addPhysicalGroup(dim, sorted(cells[tag]), tag, name=cell_names(tag))
    for tag in sorted(facets):
        gmsh.model.addPhysicalGroup(dim - 1, sorted(facets[tag]), tag, name=names(tag))
    return ({t: cell_names(t) for t in sorted(cells)}, {t: names(t) for t in sorted(facets)})


def box_classifier(
    lo: tuple[float, ...], hi: tuple[float, ...], gdim: int, eps: float | None = None
) -> Callable[[tuple], int]:
    """``outer`` for :func:`assign_groups`: a facet lying in a face of the box [lo, hi] gets
    BOTTOM/TOP (stacking axis: y in 2D, z in 3D), LEFT/RIGHT (x), FRONT/BACK (y, 3D); any other
    outer facet FREE. ``eps`` (default: 1e-6 of the box size plus 1e-6, covering the padding that
    OpenCASCADE adds to bounding boxes) is the distance within which a facet lies in a face."""
    from meshes import tags as T

    if gdim == 2:
        faces = [(0, T.LEFT, T.RIGHT), (1, T.BOTTOM, T.TOP)]
    else:
        faces = [(0, T.LEFT, T.RIGHT), (1, T.FRONT, T.BACK), (2, T.BOTTOM, T.TOP)]

    if eps is None:
        eps = 1e-6 * max(h - l for h, l in zip(hi, lo)) + 1e-6

    def outer(bb: tuple) -> int:
        for ax, t_lo, t_hi in faces:
            if abs(bb[ax] - lo[ax]) < eps and abs(bb[3 + ax] - lo[ax]) < eps:
                return t_lo
            if abs(bb[ax] - hi[ax]) < eps and abs(bb[3 + ax] - hi[ax]) < eps:
                return t_hi
        return T.FREE

    return outer


def group_elements(dim: int, tag: int):
    """Node coordinates of the elements of physical group (dim, tag): a list of
    (gmsh element type, array (n_elements, n_nodes_per_element, 3))."""
    import gmsh
    import numpy as np

    ntags, xyz, _ = gmsh.model.mesh.getNodes(
        -1, -1, includeBoundary=True, returnParametricCoord=False
    )
    index = np.full(int(ntags.max()) + 1, -1, dtype=np.int64)
    index[ntags.astype(np.int64)] = np.arange(len(ntags))
    xyz = np.asarray(xyz).reshape(-1, 3)
    out = []
    for ent in gmsh.model.getEntitiesForPhysicalGroup(dim, tag):
        types, _, enodes = gmsh.model.mesh.getElements(dim, int(ent))
        for et, en in zip(types, enodes):
            nn = gmsh.model.mesh.getElementProperties(et)[3]
            out.append((int(et), xyz[index[np.asarray(en, dtype=np.int64)]].reshape(-1, nn, 3)))
    return out


def element_measures(etype: int, X, axisymmetric: bool = False):
    """Measure of each element (rows of X: (n, nodes, 3) coordinates): length / area / volume,
    in axisymmetric meshes the revolved area / volume 2π ∫ r (x = r). Straight (linear) elements
    are integrated in closed form (Pappus: 2π r_centroid · measure, exact); curved (high-order)
    ones with a Gauss rule through gmsh's Jacobians of the given node coordinates."""
    import gmsh
    import numpy as np

    dim = gmsh.model.mesh.getElementProperties(etype)[1]
    order = gmsh.model.mesh.getElementProperties(etype)[2]
    if order == 1:
        P = X[:, : dim + 1, :]
        E = P[:, 1:, :] - P[:, :1, :]
        if dim == 1:
            m = np.linalg.norm(E[:, 0], axis=1)
        elif dim == 2:
            m = 0.5 * np.linalg.norm(np.cross(E[:, 0], E[:, 1]), axis=1)
        else:
            m = np.abs(np.einsum("ij,ij->i", E[:, 0], np.cross(E[:, 1], E[:, 2]))) / 6.0
        if axisymmetric:
            m = m * 2.0 * np.pi * P[:, :, 0].mean(axis=1)
        return m
    # High-order: isoparametric map x(ξ) = Σ N_k(ξ) X_k, quadrature on the reference element.
    name = {1: "Gauss12", 2: "Gauss12", 3: "Gauss8"}[dim]
    uvw, w = gmsh.model.mesh.getIntegrationPoints(etype, name)
    _, dN, _ = gmsh.model.mesh.getBasisFunctions(etype, uvw, "GradLagrange")
    _, N, _ = gmsh.model.mesh.getBasisFunctions(etype, uvw, "Lagrange")
    nq = len(w)
    nn = X.shape[1]
    dN = np.asarray(dN).reshape(nq, nn, 3)[:, :, :dim]
    N = np.asarray(N).reshape(nq, nn)
    J = np.einsum("qka,eki->eqia", dN, X)  # (e, q, 3, dim)
    if dim == 1:
        det = np.linalg.norm(J[..., 0], axis=-1)
    elif dim == 2:
        det = np.linalg.norm(np.cross(J[..., 0], J[..., 1]), axis=-1)
    else:
        det = np.abs(np.linalg.det(J))
    if axisymmetric:
        det = det * 2.0 * np.pi * np.einsum("qk,ek->eq", N, X[:, :, 0])
    return det @ np.asarray(w)


def mesh_measures(axisymmetric: bool = False) -> dict[str, float]:
    """Measured volume of every cell tag and measure of every facet tag of the current meshed
    model, keyed like :attr:`GeometryInfo.exact` ("cell:<tag>", "facet:<tag>")."""
    import gmsh

    dim = gmsh.model.getDimension()
    out: dict[str, float] = {}
    for d, tag in gmsh.model.getPhysicalGroups():
        if d not in (dim, dim - 1):
            continue
        total = 0.0
        for et, X in group_elements(d, tag):
            total += float(element_measures(et, X, axisymmetric).sum())
        out[f"{'cell' if d == dim else 'facet'}:{tag}"] = total
    return out


def arc_tolerances(segments, radius: float, axisymmetric: bool = False) -> tuple[float, float]:
    """Deficits of the chords of a circle of radius ``radius``: segments (n, nodes, 3) whose two
    first nodes lie on the circle. Returns (area between chords and arcs, arc minus chord length);
    for axisymmetric meshes bounds of the revolved volume and area (weights 2π r_max, and
    2π ℓ·sagitta for the radial offset of the chord)."""
    import numpy as np

    P0, P1 = segments[:, 0, :], segments[:, 1, :]
    ell = np.linalg.norm(P1 - P0, axis=1)
    theta = 2.0 * np.arcsin(np.minimum(1.0, ell / (2.0 * radius)))
    seg_area = 0.5 * radius**2 * (theta - np.sin(theta))
    d_len = radius * theta - ell
    if not axisymmetric:
        return float(seg_area.sum()), float(d_len.sum())
    sag = radius * (1.0 - np.cos(0.5 * theta))
    r_max = np.maximum(P0[:, 0], P1[:, 0]) + sag
    return (
        float((2 * np.pi * r_max * seg_area).sum()),
        float((2 * np.pi * (r_max * d_len + ell * sag)).sum()),
    )


def sphere_tolerances(triangles, radius: float) -> tuple[float, float]:
    """Bounds of the volume and area deficits of a triangulated sphere of radius ``radius`` whose
    triangle corners lie on it: per triangle (area A, circumradius ρ, plane at distance
    d = sqrt(R² - ρ²) from the centre) the spherical triangle above it has area ≤ A (R/d)² and the
    cap between them volume ≤ A (R/d)² (R - d)."""
    import numpy as np

    P = triangles[:, :3, :]
    a = np.linalg.norm(P[:, 1] - P[:, 2], axis=1)
    b = np.linalg.norm(P[:, 2] - P[:, 0], axis=1)
    c = np.linalg.norm(P[:, 0] - P[:, 1], axis=1)
    area = 0.5 * np.linalg.norm(np.cross(P[:, 1] - P[:, 0], P[:, 2] - P[:, 0]), axis=1)
    rho = a * b * c / (4.0 * np.maximum(area, 1e-300))
    d = np.sqrt(np.maximum(radius**2 - rho**2, (0.5 * radius) ** 2))
    ratio = (radius / d) ** 2
    return float((area * ratio * (radius - d)).sum()), float((area * (ratio - 1.0)).sum())
