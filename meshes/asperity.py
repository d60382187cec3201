"""Asperity: one spherical electrode asperity pressed flat against an electrolyte block.

Layout, axisymmetric (x = r, y = z; LEFT is the symmetry axis r = 0)::

    z = h_cap + t_s  +------------------------------+  TOP (loading surface)
                     |   electrolyte block (2)      |
    z = h_cap        +=======+----------------------+  Γ_int (10): contact disc r <= a_c;
                     |        \\        FREE           the rest of the block's underside is FREE
                     | electrode\\  FREE (flank)
                     |  (1)      \\
    z = 0            +------------+                    BOTTOM: the asperity's flat back face
                    r = 0        r = b               r = W: RIGHT (block only)

The electrode is the zone of a sphere of radius R (centre on the axis at z_c = h_cap - sqrt(R² -
a_c²)) between the back plane z = 0 and the contact plane z = h_cap, where its section is the
contact disc of radius a_c; back-face radius b = sqrt(R² - z_c²). h_cap <= sqrt(R² - a_c²) keeps
the centre at or below the back face (the flank narrows monotonically towards the contact) and
b < W keeps the asperity inside the block's footprint. The space beside the asperity (r > flank,
z < h_cap) is void.

dim = 2 without ``axisymmetric`` gives the plane-strain analogue (a cylindrical ridge, x >= 0
half, x = 0 a symmetry line). Exact measures: spherical-zone volume π[R²h - ((h - z_c)³ + z_c³)/3],
zone area 2πR h_cap (Archimedes), discs and cylinders; planar: circular-segment areas and arc
lengths. Tolerance: the flank arc is meshed by chords; their exact area/length deficits (revolved:
bounds) are computed from the mesh segments (:func:`meshes.common.arc_tolerances`), times 2.
``apparent_area`` is the nominal area of the cell (πW², or W), not the contact spot; meta gives
``contact_area`` and ``contact_fraction``.
"""

from __future__ import annotations

import math

import numpy as np

from meshes import tags as T
from meshes.common import (
    MESH_PARAMS,
    TOL_FLOOR,
    GeometryError,
    GeometryInfo,
    Param,
    SizeZone,
    arc_tolerances,
    assign_groups,
    background,
    box_classifier,
    check_dim,
    estimate_cells,
    generate,
    grade,
    group_elements,
    length_unit,
    new_model,
    resolve,
    scale_mesh,
    set_mesh_options,
    standalone,
)

FAMILY = "asperity"
SAFETY = 2.0

PARAMS: dict[str, Param] = {
    "R": Param(10e-6, "length", "asperity (sphere) radius", lo=0.0, lo_open=True),
    "a_c": Param(2e-6, "length", "contact spot radius (< R)", lo=0.0, lo_open=True),
    "h_cap": Param(
        3e-6,
        "length",
        "asperity height, back face to contact (<= sqrt(R²-a_c²))",
        lo=0.0,
        lo_open=True,
    ),
    "W": Param(
        20e-6,
        "length",
        "electrolyte block radius (half width in plane strain)",
        lo=0.0,
        lo_open=True,
    ),
    "t_s": Param(20e-6, "length", "electrolyte block thickness", lo=0.0, lo_open=True),
    **MESH_PARAMS,
}


DIMS = (2,)
AXISYMMETRIC_OK = True


def _setup(params: dict | None, dim: int, axisymmetric: bool) -> dict:
    """Checked parameters and derived quantities; raises GeometryError (no gmsh needed)."""
    check_dim(FAMILY, dim, axisymmetric, dims=(2,))
    p = resolve(PARAMS, params)
    R, a_c, h, W, ts = p["R"], p["a_c"], p["h_cap"], p["W"], p["t_s"]
    if a_c >= R:
        raise GeometryError("a_c", f"got {a_c:g}, allowed (0, R = {R:g}) m")
    dist = math.sqrt(R * R - a_c * a_c)
    if h > dist * (1 + 1e-12):
        raise GeometryError(
            "h_cap",
            f"got {h:g}, allowed (0, {dist:g}] m (sqrt(R² - a_c²): sphere centre at or below the "
            "back face)",
        )
    h = min(h, dist)
    zc = h - dist  # <= 0
    b = math.sqrt(max(R * R - zc * zc, 0.0))
    if b >= W:
        raise GeometryError(
            "W", f"got {W:g}, allowed ({b:g}, inf) m (the asperity's back-face radius b)"
        )
    H = h + ts
    h_max = p["h_max"] or min(W, H) / 16.0
    h_int = p["h_interface"] or min(h_max / 4.0, a_c / 16.0)
    if h_int > h_max:
        raise GeometryError("h_interface", f"got {h_int:g}, allowed (0, h_max = {h_max:g}] m")
    return {
        "p": p,
        "R": R,
        "a_c": a_c,
        "h": h,
        "W": W,
        "ts": ts,
        "zc": zc,
        "b": b,
        "H": H,
        "h_max": h_max,
        "h_int": h_int,
    }


def estimate(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> dict:
    """The cells :func:`build` would make, estimated from the sizes alone (no gmsh): the
    interface W (h_interface) and the flank πR graded at 0.3 (meshes.common.estimate_cells)."""
    g = _setup(params, dim, axisymmetric)
    W, H, R = g["W"], g["H"], g["R"]
    h_flank = min(g["h_max"], 2 * math.pi * R / 96.0)  # as build()
    zones = [
        SizeZone("surface", g["h_int"], 0.3, measure=W),
        SizeZone("surface", h_flank, 0.3, measure=math.pi * R),
    ]
    cells = estimate_cells(2, W * H, g["h_max"], zones, extent=max(W, H))
    return {"cells": cells, "h_max": g["h_max"], "h_interface": g["h_int"]}


def validate(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> None:
    """The parameter checks of :func:`build` without building (raises GeometryError)."""
    _setup(params, dim, axisymmetric)


def _exact(g: dict, axisymmetric: bool) -> dict:
    """Exact volumes and areas (per unit depth in plane strain) of the checked parameters."""
    R, a_c, h, W, ts, zc, b, H = (g[k] for k in ("R", "a_c", "h", "W", "ts", "zc", "b", "H"))
    if axisymmetric:
        v_e = math.pi * (R * R * h - ((h - zc) ** 3 + zc**3) / 3.0)
        return {
            "cell:1": v_e,
            "cell:2": math.pi * W * W * ts,
            f"facet:{T.INTERFACE}": math.pi * a_c * a_c,
            f"facet:{T.BOTTOM}": math.pi * b * b,
            f"facet:{T.TOP}": math.pi * W * W,
            f"facet:{T.LEFT}": 0.0,
            f"facet:{T.RIGHT}": 2 * math.pi * W * ts,
            f"facet:{T.FREE}": 2 * math.pi * R * h + math.pi * (W * W - a_c * a_c),
        }

    def F(u):  # ∫ sqrt(R² - u²) du
        return 0.5 * (u * math.sqrt(max(R * R - u * u, 0.0)) + R * R * math.asin(u / R))

    flank = R * (math.asin((h - zc) / R) - math.asin(-zc / R))
    return {
        "cell:1": F(h - zc) - F(-zc),
        "cell:2": W * ts,
        f"facet:{T.INTERFACE}": a_c,
        f"facet:{T.BOTTOM}": b,
        f"facet:{T.TOP}": W,
        f"facet:{T.LEFT}": H,
        f"facet:{T.RIGHT}": ts,
        f"facet:{T.FREE}": flank + (W - a_c),
    }


def measures(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> dict:
    """Exact measures without gmsh (the numbers :func:`build` stores; per unit depth in plane
    strain, with 2πr when axisymmetric): ``interface`` (the contact disc), ``collector`` (the
    asperity's back face, the electrode's current collector), ``top`` (the block's top face),
    ``electrode`` (the asperity's volume), ``electrolyte`` (the block's volume), and the derived
    lengths ``back_radius`` b and ``sphere_centre_z`` z_c (m)."""
    g = _setup(params, dim, axisymmetric)
    ex = _exact(g, axisymmetric)
    return {
        "interface": ex[f"facet:{T.INTERFACE}"],
        "collector": ex[f"facet:{T.BOTTOM}"],
        "top": ex[f"facet:{T.TOP}"],
        "electrode": ex["cell:1"],
        "electrolyte": ex["cell:2"],
        "back_radius": g["b"],
        "sphere_centre_z": g["zc"],
    }


def build(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> GeometryInfo:
    import gmsh

    g = _setup(params, dim, axisymmetric)
    p = g["p"]
    R = g["R"]
    a_c = g["a_c"]
    h = g["h"]
    W = g["W"]
    ts = g["ts"]
    zc = g["zc"]
    b = g["b"]
    H = g["H"]
    h_max = g["h_max"]
    h_int = g["h_int"]

    L = length_unit(W, H)
    new_model(FAMILY)
    occ = gmsh.model.occ
    p0 = occ.addPoint(0.0, 0.0, 0.0)
    p1 = occ.addPoint(b / L, 0.0, 0.0)
    p2 = occ.addPoint(a_c / L, h / L, 0.0)
    p3 = occ.addPoint(0.0, h / L, 0.0)
    pc = occ.addPoint(0.0, zc / L, 0.0)
    arc = occ.addCircleArc(p1, pc, p2)
    loop = occ.addCurveLoop([occ.addLine(p0, p1), arc, occ.addLine(p2, p3), occ.addLine(p3, p0)])
    electrode = occ.addPlaneSurface([loop])
    block = occ.addRectangle(0.0, h / L, 0.0, W / L, ts / L)
    _, children = occ.fragment([(2, electrode), (2, block)], [])
    occ.remove([(0, pc)])
    occ.synchronize()
    region = {e: T.ELECTRODE for _, e in children[0]}
    region.update({e: T.ELECTROLYTE for _, e in children[1]})
    cell_tags, facet_tags = assign_groups(
        2,
        region,
        {frozenset({T.ELECTRODE, T.ELECTROLYTE}): T.INTERFACE},
        box_classifier((0.0, 0.0, 0.0), (W / L, H / L, 0.0), 2),
    )
    iface = [(1, int(e)) for e in gmsh.model.getEntitiesForPhysicalGroup(1, T.INTERFACE)]
    set_mesh_options(2, 0.5 * h_int / L, h_max / L)
    h_flank = min(h_max, 2 * math.pi * R / 96.0)  # >= 96 chords per 2π on the flank
    flank_curves = [
        (1, c) for _, c in gmsh.model.getEntities(1) if gmsh.model.getType(1, c) == "Circle"
    ]
    background(
        [
            grade(iface, h_int / L, h_max / L, growth=0.3, sampling=200),
            grade(flank_curves, h_flank / L, h_max / L, growth=0.3, sampling=200),
        ]
    )
    generate(2, p["mesh_order"])
    scale_mesh(L)

    # ---------------------------------------------------------------- exact measures and tol
    exact = _exact(g, axisymmetric)
    apparent = math.pi * W * W if axisymmetric else W
    contact = exact[f"facet:{T.INTERFACE}"]
    tol = {key: TOL_FLOOR for key in exact}
    free = [X for _, X in group_elements(1, T.FREE)]
    flank_segs = [X[X[:, :2, 1].max(axis=1) < h * (1 - 1e-9)] for X in free]
    d_vol, d_len = arc_tolerances(np.concatenate(flank_segs), R, axisymmetric)
    tol["cell:1"] = SAFETY * d_vol / exact["cell:1"] + TOL_FLOOR
    tol[f"facet:{T.FREE}"] = SAFETY * d_len / exact[f"facet:{T.FREE}"] + TOL_FLOOR
    meta = {
        "cad_unit": L,
        "h_max": h_max,
        "h_interface": h_int,
        "mesh_order": p["mesh_order"],
        "back_radius": b,
        "sphere_centre_z": zc,
        "contact_area": contact,
        "contact_fraction": contact / apparent,
        "feature_length": a_c,  # the contact radius: the shortest length of the problem
    }
    return GeometryInfo(FAMILY, 2, axisymmetric, cell_tags, facet_tags, exact, tol, meta, apparent)


def main(argv=None):
    return standalone(FAMILY, PARAMS, build, argv, dims=(2,), axisymmetric_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
