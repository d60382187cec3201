"""Stack: flat layers electrode | [coating] | electrolyte layer(s) | [counter electrode] | [pad].

Layout (stacking axis y in 2D, z in 3D; x = r, y = z in axisymmetric meshes), from 0 upward::

    +--------------------------+  TOP
    |  pad (PAD = 5)           |  optional (t_pad > 0)
    +--------------------------+  PAD_INTERFACE (14)
    |  counter (COUNTER = 4)   |  optional (t_counter > 0)
    +--------------------------+  COUNTER_INTERFACE (13)
    |  electrolyte layer n     |  tag ELECTROLYTE_LAYER(n) = 20 + n
    +--------------------------+  BONDED (12) between consecutive electrolyte layers
    |  electrolyte layer 1     |  tag ELECTROLYTE (2)
    +--------------------------+  INTERFACE_COATING (11)   (INTERFACE when there is no coating)
    |  coating (COATING = 3)   |  optional (t_c > 0)
    +--------------------------+  INTERFACE (10)
    |  electrode (ELECTRODE=1) |
    +--------------------------+  BOTTOM (electrode current collector)
    x = 0 (LEFT / axis)    x = W (RIGHT); 3D: y = 0 FRONT, y = D BACK

Every interface is flat: the layers are rectangles / boxes fragmented together, so all measures
are represented exactly by the mesh (tolerance 1e-10, round-off only).
"""

from __future__ import annotations

import math

from meshes import tags as T
from meshes.common import (
    MESH_PARAMS,
    TOL_FLOOR,
    GeometryError,
    GeometryInfo,
    Param,
    SizeZone,
    assign_groups,
    background,
    box_classifier,
    check_dim,
    estimate_cells,
    generate,
    grade,
    length_unit,
    new_model,
    resolve,
    scale_mesh,
    set_mesh_options,
    standalone,
)

FAMILY = "stack"

PARAMS: dict[str, Param] = {
    "W": Param(
        20e-6, "length", "width (x extent; radius in axisymmetric meshes)", lo=0.0, lo_open=True
    ),
    "D": Param(None, "length", "depth (y extent, 3D only; default W)", lo=0.0, lo_open=True),
    "t_e": Param(10e-6, "length", "electrode thickness", lo=0.0, lo_open=True),
    "t_c": Param(1e-6, "length", "interlayer coating thickness (0: no coating)", lo=0.0),
    "t_s": Param(
        [10e-6, 10e-6],
        "length",
        "electrolyte layer thicknesses, electrode side first",
        kind="floats",
        lo=0.0,
        lo_open=True,
    ),
    "t_counter": Param(5e-6, "length", "counter electrode thickness (0: none)", lo=0.0),
    "t_pad": Param(5e-6, "length", "compliant pad thickness (0: none)", lo=0.0),
    **MESH_PARAMS,
}


def layers(p: dict) -> list[tuple[int, float]]:
    """(cell tag, thickness) of the layers from the bottom up."""
    out = [(T.ELECTRODE, p["t_e"])]
    if p["t_c"] > 0:
        out.append((T.COATING, p["t_c"]))
    out += [(T.ELECTROLYTE_LAYER(k + 1), t) for k, t in enumerate(p["t_s"])]
    if p["t_counter"] > 0:
        out.append((T.COUNTER, p["t_counter"]))
    if p["t_pad"] > 0:
        out.append((T.PAD, p["t_pad"]))
    return out


def pair_tags(stack: list[tuple[int, float]]) -> dict[frozenset, int]:
    """Facet tag of the interface between each pair of consecutive layers."""
    out = {}
    for (a, _), (b, _) in zip(stack, stack[1:]):
        if a == T.ELECTRODE:
            tag = T.INTERFACE
        elif a == T.COATING:
            tag = T.INTERFACE_COATING
        elif b == T.COUNTER:
            tag = T.COUNTER_INTERFACE
        elif b == T.PAD:
            tag = T.PAD_INTERFACE
        else:
            tag = T.BONDED
        out[frozenset({a, b})] = tag
    return out


DIMS = (2, 3)
AXISYMMETRIC_OK = True


def _setup(params: dict | None, dim: int, axisymmetric: bool) -> dict:
    """Checked parameters and derived quantities; raises GeometryError (no gmsh needed)."""
    check_dim(FAMILY, dim, axisymmetric)
    p = resolve(PARAMS, params)
    W = p["W"]
    D = p["D"] if p["D"] is not None else W
    stack = layers(p)
    thick = [t for _, t in stack]
    H = sum(thick)
    t_min = min(thick)
    ordered = sorted(thick)
    h_max = p["h_max"] or min(W, ordered[len(ordered) // 2]) / (8.0 if dim == 2 else 4.0)
    if p["h_interface"] is not None:
        h_int = p["h_interface"]
    elif dim == 2:
        h_int = min(h_max / 4.0, t_min / 2.0)
    else:  # 3D: a thin layer may be one element thick (keeps default meshes ~10-50k cells)
        h_int = min(h_max / 2.0, max(t_min, h_max / 4.0))
    if h_int > h_max:
        raise GeometryError("h_interface", f"got {h_int:g}, allowed (0, h_max = {h_max:g}] m")
    return {"p": p, "W": W, "D": D, "stack": stack, "H": H, "h_max": h_max, "h_int": h_int}


def estimate(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> dict:
    """The cells :func:`build` would make, estimated from the sizes alone (no gmsh):
    ``{"cells", "h_max", "h_interface"}`` (meshes.common.estimate_cells)."""
    g = _setup(params, dim, axisymmetric)
    flat = g["W"] * g["D"] if dim == 3 else g["W"]
    zone = SizeZone("surface", g["h_int"], 0.4, measure=flat)
    n_int = max(len(g["stack"]) - 1, 1)
    cells = estimate_cells(dim, flat * g["H"], g["h_max"], [zone] * n_int, extent=g["H"])
    return {"cells": cells, "h_max": g["h_max"], "h_interface": g["h_int"]}


def validate(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> None:
    """The parameter checks of :func:`build` without building (raises GeometryError)."""
    _setup(params, dim, axisymmetric)


def build(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> GeometryInfo:
    import gmsh

    g = _setup(params, dim, axisymmetric)
    p = g["p"]
    W = g["W"]
    D = g["D"]
    stack = g["stack"]
    H = g["H"]
    h_max = g["h_max"]
    h_int = g["h_int"]

    L = length_unit(W, D, H)
    new_model(FAMILY)
    occ = gmsh.model.occ
    z = 0.0
    made = []
    for tag, t in stack:
        if dim == 2:
            made.append((tag, occ.addRectangle(0.0, z / L, 0.0, W / L, t / L)))
        else:
            made.append((tag, occ.addBox(0.0, 0.0, z / L, W / L, D / L, t / L)))
        z += t
    _, children = occ.fragment([(dim, e) for _, e in made], [])
    occ.synchronize()
    region = {}
    for (tag, _), kids in zip(made, children):
        for _, e in kids:
            region[e] = tag
    hi = (W / L, H / L, 0.0) if dim == 2 else (W / L, D / L, H / L)
    cell_tags, facet_tags = assign_groups(
        dim, region, pair_tags(stack), box_classifier((0.0, 0.0, 0.0), hi, dim)
    )
    inner = [
        (dim - 1, int(e))
        for tag in facet_tags
        if tag < 100
        for e in gmsh.model.getEntitiesForPhysicalGroup(dim - 1, tag)
    ]
    set_mesh_options(dim, 0.5 * h_int / L, h_max / L)
    background(
        [grade(inner, h_int / L, h_max / L, sampling=max(40, math.ceil(2 * max(W, D) / h_int)))]
    )
    generate(dim, p["mesh_order"])
    scale_mesh(L)

    if dim == 3:
        area, side_lr, side_fb = W * D, D * H, W * H
    elif axisymmetric:
        area, side_lr, side_fb = math.pi * W**2, None, None
    else:
        area, side_lr, side_fb = W, H, None
    exact = {f"cell:{tag}": area * t for tag, t in stack}
    for tag in set(pair_tags(stack).values()):
        n = sum(1 for v in pair_tags(stack).values() if v == tag)
        exact[f"facet:{tag}"] = n * area
    exact[f"facet:{T.BOTTOM}"] = exact[f"facet:{T.TOP}"] = area
    if axisymmetric:
        exact[f"facet:{T.LEFT}"] = 0.0
        exact[f"facet:{T.RIGHT}"] = 2 * math.pi * W * H
    else:
        exact[f"facet:{T.LEFT}"] = exact[f"facet:{T.RIGHT}"] = side_lr
    if dim == 3:
        exact[f"facet:{T.FRONT}"] = exact[f"facet:{T.BACK}"] = side_fb
    tol = {key: TOL_FLOOR for key in exact}
    meta = {
        "cad_unit": L,
        "h_max": h_max,
        "h_interface": h_int,
        "mesh_order": p["mesh_order"],
        "layers": [[T.cell_name(tag), t] for tag, t in stack],
        "height": H,
    }
    return GeometryInfo(FAMILY, dim, axisymmetric, cell_tags, facet_tags, exact, tol, meta, area)


def main(argv=None):
    return standalone(FAMILY, PARAMS, build, argv, dims=(2, 3), axisymmetric_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
