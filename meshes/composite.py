"""Composite electrode: non-overlapping circular (2D) / spherical (3D) active particles
(ELECTRODE = 1) in an electrolyte matrix box (ELECTROLYTE = 2).

Layout: the box [0, W] x [0, H] (2D; stacking axis y) or [0, W] x [0, D] x [0, H] (3D; stacking
axis z) with the outer faces BOTTOM / TOP / LEFT / RIGHT (/ FRONT / BACK). Every particle-matrix
boundary is Γ_int (INTERFACE = 10); particles keep a clear gap to each other and to the box faces,
so every particle is surrounded by matrix.

Particles: radii drawn from a lognormal or truncated normal distribution (mean ``r_mean``,
relative standard deviation ``r_std``, truncated to [r_mean/4, 3 r_mean]) with
``numpy.random.default_rng(seed)`` until their total volume reaches ``volume_fraction`` of the box
(the last radius is adjusted so the fraction is met exactly); placed largest first by random
sequential addition, each with at most ``max_attempts`` uniformly drawn candidate centres. The
gap between particles i and j is at least ``gap`` (r_i + r_j)/2, to a box face ``gap`` r_i.
Random sequential addition jams near a volume fraction of 0.55 (discs) / 0.38 (spheres), less with
gaps: requests above 0.5 (2D) / 0.35 (3D) are refused, lower ones that cannot be placed raise a
GeometryError on ``volume_fraction``.

Exact measures: Σ πr² / Σ 4πr³/3 (particles), box minus particles (matrix), Σ 2πr / Σ 4πr²
(Γ_int), flat faces. Tolerance: circles and spheres are meshed by chords / inscribed triangles;
their deficits are computed from the mesh: exactly for chords (times 2), for spheres rigorous
bounds from each triangle's circumradius (:func:`meshes.common.sphere_tolerances`).
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
    length_unit,
    new_model,
    resolve,
    scale_mesh,
    set_mesh_options,
    sphere_tolerances,
    standalone,
)

FAMILY = "composite"
SAFETY = 2.0
PHI_MAX = {2: 0.5, 3: 0.35}
R_RANGE = (0.25, 3.0)  # truncation of the radius distribution, in units of r_mean

PARAMS: dict[str, Param] = {
    "W": Param(
        None, "length", "box width (x); default 20 µm (2D), 12 µm (3D)", lo=0.0, lo_open=True
    ),
    "H": Param(
        None,
        "length",
        "box height (stacking axis: y in 2D, z in 3D); default W",
        lo=0.0,
        lo_open=True,
    ),
    "D": Param(None, "length", "box depth (y, 3D only; default W)", lo=0.0, lo_open=True),
    "volume_fraction": Param(
        0.2, doc="particle volume (2D: area) fraction", lo=0.0, hi=0.7, lo_open=True
    ),
    "r_mean": Param(2e-6, "length", "mean particle radius", lo=0.0, lo_open=True),
    "r_std": Param(0.2, doc="relative standard deviation of the radius", lo=0.0, hi=1.0),
    "distribution": Param(
        "lognormal", doc="radius distribution", kind="choice", choices=("lognormal", "normal")
    ),
    "gap": Param(
        0.1,
        doc="minimum clear gap as a fraction of the radius (particles: of the "
        "mean of the two radii)",
        lo=0.0,
        hi=2.0,
        lo_open=True,
    ),
    "seed": Param(0, doc="random seed", kind="int", lo=0),
    "max_attempts": Param(20000, doc="candidate centres tried per particle", kind="int", lo=1),
    **MESH_PARAMS,
}


def draw_radii(rng, p: dict, dim: int, target: float) -> np.ndarray:
    """Radii whose total volume (dim 2: area) equals ``target``."""
    rm, sd = p["r_mean"], p["r_std"]
    lo, hi = R_RANGE[0] * rm, R_RANGE[1] * rm
    c = math.pi if dim == 2 else 4.0 * math.pi / 3.0
    mu = math.log(rm) - 0.5 * math.log1p(sd * sd)
    s = math.sqrt(math.log1p(sd * sd))
    radii: list[float] = []
    total = 0.0
    while total < target:
        batch = (
            rng.lognormal(mu, s, 64)
            if p["distribution"] == "lognormal"
            else rng.normal(rm, sd * rm, 64)
        )
        for r in batch[(batch >= lo) & (batch <= hi)]:
            if total + c * r**dim >= target:
                last = ((target - total) / c) ** (1.0 / dim)
                if last >= lo:
                    radii.append(last)
                else:  # too small a remainder: enlarge the others instead
                    radii = list(np.asarray(radii) * (target / total) ** (1.0 / dim))
                total = target
                break
            radii.append(float(r))
            total += c * r**dim
    return np.sort(np.asarray(radii))[::-1]


def place(
    rng, radii: np.ndarray, box: np.ndarray, gap: float, attempts: int, phi: float, dim: int
) -> np.ndarray:
    """Random sequential addition; raises GeometryError('volume_fraction') on failure."""
    centres = np.empty((0, dim))
    placed_r = np.empty(0)
    batch = 64
    for i, r in enumerate(radii):
        lo = (1.0 + gap) * r
        span = box - 2.0 * lo
        if np.any(span <= 0):
            raise GeometryError(
                "r_mean",
                f"got a drawn radius {r:g} m, allowed radii whose particle and gap ({gap:g} r) fit "
                f"in the box {'x'.join(f'{b:g}' for b in box)} m: lower r_mean or r_std",
            )
        ok = None
        tried = 0
        while tried < attempts and ok is None:
            n = min(batch, attempts - tried)
            cand = lo + rng.random((n, dim)) * span
            tried += n
            if len(centres):
                dist = np.linalg.norm(cand[:, None, :] - centres[None, :, :], axis=2)
                need = (r + placed_r) * (1.0 + 0.5 * gap)
                good = np.all(dist >= need[None, :], axis=1)
            else:
                good = np.ones(n, dtype=bool)
            if good.any():
                ok = cand[int(np.argmax(good))]
        if ok is None:
            c = math.pi if dim == 2 else 4.0 * math.pi / 3.0
            reached = c * float((radii[:i] ** dim).sum()) / float(np.prod(box))
            raise GeometryError(
                "volume_fraction",
                f"got {phi:g}, allowed up to what random sequential addition reaches (~"
                f"{PHI_MAX[dim]} in {dim}D, less with a larger gap): placed only {i} of "
                f"{len(radii)} particles (fraction {reached:.3f}) in {attempts} attempts each; "
                "lower volume_fraction or gap, or raise max_attempts",
            )
        centres = np.vstack([centres, ok])
        placed_r = np.append(placed_r, r)
    return centres


DIMS = (2, 3)
AXISYMMETRIC_OK = False


def _box(p: dict, dim: int) -> np.ndarray:
    W = p["W"] if p["W"] is not None else (20e-6 if dim == 2 else 12e-6)
    H = p["H"] if p["H"] is not None else W
    D = p["D"] if p["D"] is not None else W
    return np.array([W, H]) if dim == 2 else np.array([W, D, H])


def _sizes(p: dict, dim: int, box: np.ndarray) -> tuple[float, float]:
    h_max = p["h_max"] or min(float(box.min()) / 8.0, p["r_mean"])
    h_int = p["h_interface"] or min(h_max, p["r_mean"] / (8.0 if dim == 2 else 4.0))
    if h_int > h_max:
        raise GeometryError("h_interface", f"got {h_int:g}, allowed (0, h_max = {h_max:g}] m")
    return h_max, h_int


def estimate(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> dict:
    """The cells :func:`build` would make, estimated from the sizes alone (before the particle
    placement): the particle surfaces, φ V dim / r_mean, graded at 0.5 (common.estimate_cells)."""
    p = resolve(PARAMS, params)
    box = _box(p, dim)
    h_max, h_int = _sizes(p, dim, box)
    v_box = float(np.prod(box))
    surface = p["volume_fraction"] * v_box * dim / p["r_mean"] * (1.0 + p["r_std"]) ** 2
    zone = SizeZone("surface", h_int, 0.5, measure=surface)
    cells = estimate_cells(dim, v_box, h_max, [zone], extent=p["r_mean"] + float(box.max()))
    return {"cells": cells, "h_max": h_max, "h_interface": h_int}


def _setup(params: dict | None, dim: int, axisymmetric: bool) -> dict:
    """Checked parameters and derived quantities; raises GeometryError (no gmsh needed).
    Includes the particle placement (numpy only, milliseconds)."""
    check_dim(FAMILY, dim, axisymmetric, axisymmetric_ok=False)
    p = resolve(PARAMS, params)
    W = p["W"] if p["W"] is not None else (20e-6 if dim == 2 else 12e-6)
    H = p["H"] if p["H"] is not None else W
    D = p["D"] if p["D"] is not None else W
    phi, gap = p["volume_fraction"], p["gap"]
    if phi > PHI_MAX[dim]:
        raise GeometryError(
            "volume_fraction",
            f"got {phi:g}, allowed (0, {PHI_MAX[dim]}] in {dim}D (random sequential addition "
            f"of non-overlapping particles jams near ~{PHI_MAX[dim]})",
        )
    box = np.array([W, H]) if dim == 2 else np.array([W, D, H])
    r_fit = float(box.min()) / (2.0 * (1.0 + gap))
    if p["r_mean"] > r_fit:
        raise GeometryError(
            "r_mean",
            f"got {p['r_mean']:g}, allowed (0, {r_fit:g}] m (a particle with its gap {gap:g} r "
            "must fit in the box)",
        )
    v_box = float(np.prod(box))
    h_max, h_int = _sizes(p, dim, box)
    rng = np.random.default_rng(p["seed"])
    radii = draw_radii(rng, p, dim, phi * v_box)
    centres = place(rng, radii, box, gap, p["max_attempts"], phi, dim)
    r_min = float(radii.min())
    return {
        "p": p,
        "W": W,
        "H": H,
        "D": D,
        "box": box,
        "v_box": v_box,
        "radii": radii,
        "centres": centres,
        "r_min": r_min,
        "feature_length": r_min,
        "h_max": h_max,
        "h_int": h_int,
    }


def validate(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> None:
    """The parameter checks of :func:`build` without building (raises GeometryError)."""
    _setup(params, dim, axisymmetric)


def build(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> GeometryInfo:
    import gmsh

    g = _setup(params, dim, axisymmetric)
    p = g["p"]
    W = g["W"]
    H = g["H"]
    D = g["D"]
    box = g["box"]
    v_box = g["v_box"]
    radii = g["radii"]
    centres = g["centres"]
    r_min = g["r_min"]
    h_max = g["h_max"]
    h_int = g["h_int"]

    L = length_unit(*box)
    new_model(FAMILY)
    occ = gmsh.model.occ
    if dim == 2:
        body = occ.addRectangle(0.0, 0.0, 0.0, W / L, H / L)
        parts = [occ.addDisk(c[0] / L, c[1] / L, 0.0, r / L, r / L) for c, r in zip(centres, radii)]
    else:
        body = occ.addBox(0.0, 0.0, 0.0, W / L, D / L, H / L)
        parts = [occ.addSphere(*(c / L), r / L) for c, r in zip(centres, radii)]
    _, children = occ.fragment([(dim, body)], [(dim, t) for t in parts])
    occ.synchronize()
    particle_of: dict[int, int] = {}
    for i, kids in enumerate(children[1:]):
        if len(kids) != 1:
            raise RuntimeError("composite: a particle was split by the fragment operation")
        particle_of[kids[0][1]] = i
    region = {e: T.ELECTRODE if e in particle_of else T.ELECTROLYTE for _, e in children[0]}
    region.update({e: T.ELECTRODE for e in particle_of})
    hi = (W / L, H / L, 0.0) if dim == 2 else (W / L, D / L, H / L)
    cell_tags, facet_tags = assign_groups(
        dim,
        region,
        {frozenset({T.ELECTRODE, T.ELECTROLYTE}): T.INTERFACE},
        box_classifier((0.0, 0.0, 0.0), hi, dim),
    )
    iface = [
        (dim - 1, int(e)) for e in gmsh.model.getEntitiesForPhysicalGroup(dim - 1, T.INTERFACE)
    ]
    set_mesh_options(dim, 0.25 * h_int / L, h_max / L)
    # at least 24 (2D) / 16 (3D) chords per 2π on the smallest particles
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 24 if dim == 2 else 16)
    background([grade(iface, h_int / L, h_max / L, growth=0.5, sampling=40)])
    generate(dim, p["mesh_order"])
    scale_mesh(L)

    # ---------------------------------------------------------------- exact measures and tol
    if dim == 2:
        v_p = float(math.pi * (radii**2).sum())
        s_p = float(2 * math.pi * radii.sum())
        outer = {T.BOTTOM: W, T.TOP: W, T.LEFT: H, T.RIGHT: H}
        apparent = W
    else:
        v_p = float(4 * math.pi / 3 * (radii**3).sum())
        s_p = float(4 * math.pi * (radii**2).sum())
        outer = {
            T.BOTTOM: W * D,
            T.TOP: W * D,
            T.LEFT: D * H,
            T.RIGHT: D * H,
            T.FRONT: W * H,
            T.BACK: W * H,
        }
        apparent = W * D
    exact = {"cell:1": v_p, "cell:2": v_box - v_p, f"facet:{T.INTERFACE}": s_p}
    exact.update({f"facet:{t}": v for t, v in outer.items()})
    tol = {key: TOL_FLOOR for key in exact}
    d_vol = d_area = 0.0
    nodes, xyz, _ = gmsh.model.mesh.getNodes(returnParametricCoord=False)
    index = np.zeros(int(nodes.max()) + 1, dtype=np.int64)
    index[nodes.astype(np.int64)] = np.arange(len(nodes))
    xyz = np.asarray(xyz).reshape(-1, 3)
    for ent, i in particle_of.items():
        for _, f in gmsh.model.getBoundary([(dim, ent)], oriented=False):
            types, _, en = gmsh.model.mesh.getElements(dim - 1, abs(f))
            for et, conn in zip(types, en):
                nn = gmsh.model.mesh.getElementProperties(et)[3]
                X = xyz[index[np.asarray(conn, dtype=np.int64)]].reshape(-1, nn, 3)
                if dim == 2:
                    dv, da = arc_tolerances(X, float(radii[i]))
                else:
                    dv, da = sphere_tolerances(X, float(radii[i]))
                d_vol += dv
                d_area += da
    # 2D: exact chord deficits, times SAFETY; 3D: rigorous bounds (sphere_tolerances), as is
    safety = SAFETY if dim == 2 else 1.0
    tol["cell:1"] = safety * d_vol / exact["cell:1"] + TOL_FLOOR
    tol["cell:2"] = safety * d_vol / exact["cell:2"] + TOL_FLOOR
    tol[f"facet:{T.INTERFACE}"] = safety * d_area / exact[f"facet:{T.INTERFACE}"] + TOL_FLOOR
    meta = {
        "cad_unit": L,
        "h_max": h_max,
        "h_interface": h_int,
        "mesh_order": p["mesh_order"],
        "seed": p["seed"],
        "particles": len(radii),
        "volume_fraction": v_p / v_box,
        "r_min": r_min,
        "feature_length": r_min,
        "r_max": float(radii.max()),
        "centres": centres.tolist(),
        "radii": radii.tolist(),
    }
    return GeometryInfo(FAMILY, dim, False, cell_tags, facet_tags, exact, tol, meta, apparent)


def main(argv=None):
    return standalone(FAMILY, PARAMS, build, argv, dims=(2, 3), axisymmetric_ok=False)


if __name__ == "__main__":
    raise SystemExit(main())
