"""Bilayer: an electrode (bottom) bonded to an electrolyte layer (top), flat or sinusoidal Γ_int.

Layout (stacking axis y in 2D, z in 3D; x = r, y = z in axisymmetric meshes)::

      y = t_e + t_s  +-----------------------+  TOP
                     |   electrolyte (2)     |
      y ~ t_e        |~~~~~ Γ_int (10) ~~~~~~|  flat, or y = t_e + A sin(2πx/λ)
                     |   electrode (1)       |
      y = 0          +-----------------------+  BOTTOM (electrode current collector)
                    x = 0 (LEFT / axis)     x = W (RIGHT)

3D: the box [0, W] x [0, D] x [0, t_e + t_s] (FRONT y = 0, BACK y = D) with y-independent ridges
z = t_e + A sin(2πx/λ) ("ridges") or z = t_e + A sin(2πx/λ) sin(2πy/λ) ("product").
Axisymmetric: a cylinder of radius W with concentric ripples z = t_e + A sin(2πr/λ) (slope Ak at
the axis: the revolved interface has a conical point there).

The CAD is built in units of ``meta["cad_unit"]`` (OpenCASCADE tolerances are absolute) and the
mesh nodes are scaled to metres afterwards: use the mesh, not the gmsh CAD entities' coordinates.
The sinusoid is represented in the CAD by the cubic spline interpolant of the sinusoid at 32
points per wavelength (a B-spline curve / tensor B-spline surface whose parameter is x (and y)).

Exact measures: volumes in closed form, |Γ_int| by adaptive quadrature of the arc length
(scipy quad, relative 1e-13) or, for the product surface, composite Gauss-Legendre quadrature
checked against a doubled rule. Tolerances (relative, stored in ``GeometryInfo.tol``) are bounds
computed from the generated mesh (see :func:`curve_tolerances`): the polygonal (chord) error of
every interface element from its size and the local curvature of the sinusoid, times a safety
factor 2, plus the spline-vs-sinusoid deviation integrated densely; measures that the mesh
represents exactly (flat faces, and outer faces which the curve only splits) get 1e-10.
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
    add_graph_curve,
    add_graph_surface,
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

FAMILY = "bilayer"
SAFETY = 2.0  # factor on the leading-order discretisation error bounds
SPLINE_POINTS_PER_WAVELENGTH = 32

PARAMS: dict[str, Param] = {
    "W": Param(
        20e-6, "length", "width (x extent; radius in axisymmetric meshes)", lo=0.0, lo_open=True
    ),
    "D": Param(None, "length", "depth (y extent, 3D only; default W)", lo=0.0, lo_open=True),
    "t_e": Param(10e-6, "length", "electrode thickness", lo=0.0, lo_open=True),
    "t_s": Param(10e-6, "length", "electrolyte thickness", lo=0.0, lo_open=True),
    "interface": Param("flat", doc="shape of Γ_int", kind="choice", choices=("flat", "sinusoid")),
    "amplitude": Param(
        1e-6, "length", "sinusoid amplitude A (must stay below 0.9 min(t_e, t_s))", lo=0.0
    ),
    "wavelength": Param(10e-6, "length", "sinusoid wavelength λ", lo=0.0, lo_open=True),
    "refine_radius": Param(
        None,
        "length",
        "refine to h_interface only within this distance of the origin on Γ_int (x = 0, the "
        "axis when axisymmetric): a contact zone, refined in the bulk around it too; beyond, "
        "the elements grow at 0.1 (size per distance) to h_max (default: the whole interface "
        "at h_interface, graded away from it)",
        lo=0.0,
        lo_open=True,
    ),
    "refine_x": Param(
        None,
        "length",
        "refine to h_interface only along this x interval of Γ_int [x0, x1] (a crack path); "
        "away from it the elements grow at 0.3 (size per distance) to h_max",
        kind="floats",
        lo=0.0,
    ),
    "surface_3d": Param(
        "ridges",
        doc="3D sinusoid: y-independent ridges or the product sin(2πx/λ) sin(2πy/λ)",
        kind="choice",
        choices=("ridges", "product"),
    ),
    **MESH_PARAMS,
}


def _sizes(p: dict, dim: int, sinus: bool, lengths: list[float]) -> tuple[float, float]:
    h_max = p["h_max"] or min(lengths) / (8.0 if dim == 2 else 4.0)
    h_int = p["h_interface"]
    if h_int is None:
        h_int = h_max / (4.0 if dim == 2 else 2.0)
        if sinus:
            h_int = min(h_int, p["wavelength"] / (16.0 if dim == 2 else 8.0))
    if h_int > h_max:
        raise GeometryError("h_interface", f"got {h_int:g}, allowed (0, h_max = {h_max:g}] m")
    return h_max, h_int


def arc_length(fp, a: float, b: float, weight=None, breaks=()) -> float:
    """∫_a^b w(x) sqrt(1 + f'(x)^2) dx by adaptive quadrature to relative 1e-13."""
    from scipy.integrate import quad

    def g(x):
        w = 1.0 if weight is None else weight(x)
        return w * math.sqrt(1.0 + fp(x) ** 2)

    pts = [a, *sorted(t for t in breaks if a < t < b), b]
    return sum(
        quad(g, x0, x1, epsabs=0.0, epsrel=1e-13, limit=1000)[0] for x0, x1 in zip(pts, pts[1:])
    )


def curve_tolerances(segments, f, fp, fpp, spline, a: float, b: float, axisymmetric: bool):
    """Absolute error bounds (area/volume between the curves, arc length / revolved area) of the
    polygon formed by the interface elements w.r.t. the graph y = f(x), x in [a, b].

    Per element (horizontal extent Δ, local max |f''| = κ, chord slope s, largest radius r):
    area between chord and curve ≤ κΔ³/12, arc minus chord ≤ κ²Δ³/24 (leading order); revolved,
    both weighted by 2πr, plus 2π |s|/sqrt(1+s²) κΔ³/12 for the radial offset of the chord.
    The CAD spline's deviation from f is added, integrated densely (∫|s-f| w, ∫|s'-f'| w).
    """
    X = segments[:, :2, :2]
    xa, xb = X[:, 0, 0], X[:, 1, 0]
    lo, hi = np.minimum(xa, xb), np.maximum(xa, xb)
    delta = hi - lo
    samples = lo[:, None] + delta[:, None] * np.linspace(0.0, 1.0, 5)[None, :]
    kappa = np.abs(fpp(samples)).max(axis=1)
    slope = (X[:, 1, 1] - X[:, 0, 1]) / np.where(delta > 0, delta, 1.0)
    d_area = kappa * delta**3 / 12.0
    d_len = kappa**2 * delta**3 / 24.0
    if axisymmetric:
        d_len = 2 * np.pi * (hi * d_len + np.abs(slope) / np.sqrt(1 + slope**2) * d_area)
        d_area = 2 * np.pi * hi * d_area
    xs = np.linspace(a, b, 20001)
    w = 2 * np.pi * xs if axisymmetric else np.ones_like(xs)
    dev_area = np.trapezoid(np.abs(spline(xs) - f(xs)) * w, xs)
    dev_len = np.trapezoid(np.abs(spline(xs, 1) - fp(xs)) * w, xs)
    return float(d_area.sum() + dev_area), float(d_len.sum() + dev_len)


def surface_tolerances(triangles, hess_norm, dev_volume: float, dev_area: float):
    """Absolute error bounds for a triangulated graph surface z = f(x, y).

    Per triangle (projected area A_p, area A, longest projected edge d, local max Hessian norm κ):
    volume between the plane and the surface ≤ A_p κ d²/8 (linear interpolation error bound);
    area ≈ A (κ d)²/24 (leading-order estimate: the area error of a piecewise-linear interpolant is
    quadratic in its slope error ≤ κ d; the constant is that of a chord, arc - chord = κ²Δ³/24,
    applied with the largest κ and edge of the triangle). Adds the CAD surface's deviation terms.
    """
    P = triangles[:, :3, :]
    E = P[:, [1, 2, 0], :2] - P[:, :, :2]
    d = np.linalg.norm(E, axis=2).max(axis=1)
    a_p = 0.5 * np.abs(E[:, 0, 0] * E[:, 1, 1] - E[:, 0, 1] * E[:, 1, 0])
    a = 0.5 * np.linalg.norm(np.cross(P[:, 1] - P[:, 0], P[:, 2] - P[:, 0]), axis=1)
    pts = np.concatenate([P[:, :, :2], P[:, :, :2].mean(axis=1, keepdims=True)], axis=1)
    kappa = hess_norm(pts[..., 0], pts[..., 1]).max(axis=1)
    return (
        float((a_p * kappa * d**2 / 8.0).sum() + dev_volume),
        float((a * (kappa * d) ** 2 / 24.0).sum() + dev_area),
    )


def _gauss_2d(func, W: float, D: float, panel: float, n: int) -> float:
    """Composite tensor Gauss-Legendre quadrature of func(x, y) on [0, W] x [0, D]."""
    xg, wg = np.polynomial.legendre.leggauss(n)

    def rule(L):
        m = max(1, math.ceil(L / panel))
        edges = np.linspace(0.0, L, m + 1)
        h = np.diff(edges)
        x = (edges[:-1, None] + 0.5 * h[:, None] * (xg[None, :] + 1.0)).ravel()
        w = (0.5 * h[:, None] * wg[None, :]).ravel()
        return x, w

    x, wx = rule(W)
    y, wy = rule(D)
    return float(wx @ func(x[:, None], y[None, :]) @ wy)


DIMS = (2, 3)
AXISYMMETRIC_OK = True


def _setup(params: dict | None, dim: int, axisymmetric: bool) -> dict:
    """Checked parameters and derived sizes; raises GeometryError (no gmsh needed)."""
    check_dim(FAMILY, dim, axisymmetric)
    p = resolve(PARAMS, params)
    W, te, ts = p["W"], p["t_e"], p["t_s"]
    D = p["D"] if p["D"] is not None else W
    H = te + ts
    A, lam = p["amplitude"], p["wavelength"]
    sinus = p["interface"] == "sinusoid" and A > 0.0
    product = sinus and dim == 3 and p["surface_3d"] == "product"
    if sinus and A >= 0.9 * min(te, ts):
        raise GeometryError(
            "amplitude",
            f"got {A:g} m, allowed [0, {0.9 * min(te, ts):g}) m (0.9 min(t_e, t_s)): the "
            "interface would reach the bottom/top face",
        )
    lengths = [te, ts, W] + ([D] if dim == 3 else [])
    h_max, h_int = _sizes(p, dim, sinus, lengths)
    rx = p["refine_x"]
    if rx is not None:
        if len(rx) != 2 or not 0.0 <= rx[0] < rx[1] <= W:
            raise GeometryError("refine_x", f"got {rx}, allowed [x0, x1] with 0 <= x0 < x1 <= W")
        if p["refine_radius"] is not None:
            raise GeometryError("refine_x", "got refine_x with refine_radius, allowed one of them")
    return {
        "p": p,
        "W": W,
        "D": D,
        "te": te,
        "ts": ts,
        "H": H,
        "A": A,
        "lam": lam,
        "sinus": sinus,
        "product": product,
        "h_max": h_max,
        "h_int": h_int,
    }


def estimate(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> dict:
    """The cells :func:`build` would make, estimated from the sizes alone (no gmsh, no
    numerics): ``{"cells", "h_max", "h_interface"}`` (meshes.common.estimate_cells). Raises
    GeometryError for parameters :func:`validate` refuses too."""
    p = resolve(PARAMS, params)
    W, te, ts = p["W"], p["t_e"], p["t_s"]
    D = p["D"] if p["D"] is not None else W
    A, lam = p["amplitude"], p["wavelength"]
    sinus = p["interface"] == "sinusoid" and A > 0.0
    lengths = [te, ts, W] + ([D] if dim == 3 else [])
    h_max, h_int = _sizes(p, dim, sinus, lengths)
    flat = W * D if dim == 3 else W
    slope = 2.0 * math.pi * A / lam if sinus else 0.0
    return _estimate_layered(p, dim, flat, te + ts, max(te, ts), h_max, h_int, slope)


def _estimate_layered(p, dim, flat, H, extent, h_max, h_int, slope, n_interfaces=1) -> dict:
    """Cells of a layered box of (W[×D]) × H with ``n_interfaces`` graded interfaces of size
    h_int (surface slopes up to ``slope``), or the refine_x / refine_radius zone of bilayer."""
    area = flat * math.sqrt(1.0 + (dim - 1) * slope**2)  # an upper bound of the surface area
    zones = [SizeZone("surface", h_int, 0.4, measure=area)] * n_interfaces
    if p.get("refine_x") is not None and len(p["refine_x"]) == 2:
        x0, x1 = p["refine_x"]
        zones = [SizeZone("surface", h_int, 0.3, measure=area * abs(x1 - x0) / p["W"])]
    elif p.get("refine_radius") is not None:
        zones = [SizeZone("ball", h_int, 0.1, radius=p["refine_radius"])]
    cells = estimate_cells(dim, flat * H, h_max, zones, extent=extent)
    return {"cells": cells, "h_max": h_max, "h_interface": h_int}


def validate(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> None:
    """The parameter checks of :func:`build` without building (raises GeometryError)."""
    _setup(params, dim, axisymmetric)


def _interface_area(g: dict, dim: int, axisymmetric: bool) -> float:
    """The exact |Γ_int| (arc length, revolved or surface area) of the checked parameters ``g``."""
    W, D, A, sinus, product = g["W"], g["D"], g["A"], g["sinus"], g["product"]
    k = 2.0 * math.pi / g["lam"]

    def fp(x):
        return A * k * np.cos(k * x)

    if dim == 2 and not axisymmetric:
        return arc_length(fp, 0.0, W) if sinus else W
    if dim == 2:
        return arc_length(fp, 0.0, W, weight=lambda r: 2 * math.pi * r) if sinus else math.pi * W**2
    if product:

        def integrand(x, y):
            gx = A * k * np.cos(k * x) * np.sin(k * y)
            gy = A * k * np.sin(k * x) * np.cos(k * y)
            return np.sqrt(1.0 + gx**2 + gy**2)

        panel = g["lam"] / (8.0 * max(1.0, A * k))  # slopes A k: nearby complex singularities
        a1 = _gauss_2d(integrand, W, D, panel, 16)
        a2 = _gauss_2d(integrand, W, D, panel / 2, 16)
        if abs(a1 - a2) > 1e-12 * a2:
            raise RuntimeError("bilayer: interface area quadrature did not converge")
        return a2
    return D * arc_length(fp, 0.0, W) if sinus else W * D


def _collector_area(g: dict, dim: int, axisymmetric: bool) -> float:
    if dim == 3:
        return g["W"] * g["D"]
    return math.pi * g["W"] ** 2 if axisymmetric else g["W"]


def measures(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> dict:
    """Exact measures without gmsh: ``interface`` |Γ_int| and ``collector`` (the bottom face,
    the electrode's current collector) in m² (m per unit depth in plane strain; with 2πr when
    axisymmetric). The same numbers :func:`build` stores as the exact measures."""
    g = _setup(params, dim, axisymmetric)
    return {
        "interface": _interface_area(g, dim, axisymmetric),
        "collector": _collector_area(g, dim, axisymmetric),
    }


def build(
    params: dict | None = None,
    *,
    dim: int = 2,
    axisymmetric: bool = False,
    _name: str = FAMILY,
    _graph: tuple | None = None,
) -> GeometryInfo:
    """``_graph`` (for :mod:`meshes.rough`): ``(f, n_x, n_y)``, Γ_int the graph y = f(x)
    (3D: z = f(x, y)), f and its arguments in metres, given as the cubic interpolant of f at
    n_x (x n_y) equidistant points, instead of the flat plane; the measures stay those of the
    flat layout."""
    import gmsh

    g = _setup(params, dim, axisymmetric)
    p, W, D, te, H = g["p"], g["W"], g["D"], g["te"], g["H"]
    A, lam, sinus, product = g["A"], g["lam"], g["sinus"], g["product"]
    h_max, h_int = g["h_max"], g["h_int"]
    order = p["mesh_order"]
    k = 2.0 * math.pi / lam

    def f(x):
        return te + A * np.sin(k * x)

    def fp(x):
        return A * k * np.cos(k * x)

    def fpp(x):
        return -A * k * k * np.sin(k * x)

    # CAD and mesh in units of L (see common.length_unit); nodes scaled to metres at the end.
    L = length_unit(W, D, H)
    Ws, Ds, Hs, tes, As, ks = W / L, D / L, H / L, te / L, A / L, k * L
    new_model(_name)
    occ = gmsh.model.occ
    spline = surf_eval = None
    npts_x = max(8, math.ceil(SPLINE_POINTS_PER_WAVELENGTH * W / lam) + 1)
    npts_y = max(8, math.ceil(SPLINE_POINTS_PER_WAVELENGTH * D / lam) + 1)

    def fs(x):
        return tes + As * np.sin(ks * x)

    def fs2(x, y):
        return tes + As * np.sin(ks * x) * np.sin(ks * y)

    if dim == 2:
        body = occ.addRectangle(0.0, 0.0, 0.0, Ws, Hs)
        if _graph is not None:
            cut, spline = add_graph_curve(lambda x: _graph[0](x * L) / L, 0.0, Ws, _graph[1])
        elif sinus:
            cut, spline = add_graph_curve(fs, 0.0, Ws, npts_x)
        else:
            cut = occ.addLine(occ.addPoint(0.0, tes, 0.0), occ.addPoint(Ws, tes, 0.0))
        occ.fragment([(2, body)], [(1, cut)])
    else:
        body = occ.addBox(0.0, 0.0, 0.0, Ws, Ds, Hs)
        if _graph is not None:
            cut, surf_eval = add_graph_surface(
                lambda x, y: _graph[0](x * L, y * L) / L, Ws, Ds, _graph[1], _graph[2]
            )
        elif product:
            cut, surf_eval = add_graph_surface(fs2, Ws, Ds, npts_x, npts_y)
        elif sinus:
            cut, surf_eval = add_graph_surface(
                lambda x, y: fs(x) + 0.0 * y, Ws, Ds, npts_x, 2, degree_y=1
            )
        else:
            cut = occ.addRectangle(0.0, 0.0, tes, Ws, Ds)
        occ.fragment([(3, body)], [(2, cut)])
    occ.synchronize()
    region = {}
    for d_, e in gmsh.model.getEntities(dim):
        com = occ.getCenterOfMass(d_, e)
        region[e] = T.ELECTRODE if com[dim - 1] < tes else T.ELECTROLYTE
    hi = (Ws, Hs, 0.0) if dim == 2 else (Ws, Ds, Hs)
    cell_tags, facet_tags = assign_groups(
        dim,
        region,
        {frozenset({T.ELECTRODE, T.ELECTROLYTE}): T.INTERFACE},
        box_classifier((0.0, 0.0, 0.0), hi, dim),
    )
    if len(region) != 2 or T.INTERFACE not in facet_tags:
        raise RuntimeError("bilayer: the interface did not split the body into two layers")
    iface = [
        (dim - 1, int(e)) for e in gmsh.model.getEntitiesForPhysicalGroup(dim - 1, T.INTERFACE)
    ]
    set_mesh_options(dim, 0.5 * h_int / L, h_max / L)
    r_ref = p["refine_radius"]
    if p["refine_x"] is not None:  # a crack path: a box around Γ_int over [x0, x1]
        x0, x1 = p["refine_x"]
        fld = gmsh.model.mesh.field
        box = fld.add("Box")
        half = 2.0 * h_int  # a band of elements along Γ_int, graded at 0.3 around it
        vals = {"XMin": x0 / L, "XMax": x1 / L, "VIn": h_int / L, "VOut": h_max / L,
                "Thickness": max(h_max - h_int, 0.0) / 0.3 / L}  # fmt: skip
        if dim == 2:
            vals.update({"YMin": (te - half) / L, "YMax": (te + half) / L})
        else:
            vals.update({"YMin": 0.0, "YMax": Ds, "ZMin": (te - half) / L, "ZMax": (te + half) / L})
        for key, v in vals.items():
            fld.setNumber(box, key, v)
        fld.setAsBackgroundMesh(box)
    elif r_ref is None:
        background([grade(iface, h_int / L, h_max / L, sampling=max(40, math.ceil(4 * W / h_int)))])
    else:  # a contact zone: h_interface within r_ref of the origin, growing at 0.1 around it
        fld = gmsh.model.mesh.field
        ball = fld.add("Ball")
        centre = (0.0, tes, 0.0) if dim == 2 else (0.0, 0.0, tes)
        for key, v in zip(("XCenter", "YCenter", "ZCenter"), centre):
            fld.setNumber(ball, key, v)
        fld.setNumber(ball, "Radius", r_ref / L)
        fld.setNumber(ball, "Thickness", max(h_max - h_int, 0.0) / 0.1 / L)
        fld.setNumber(ball, "VIn", h_int / L)
        fld.setNumber(ball, "VOut", h_max / L)
        fld.setAsBackgroundMesh(ball)
    generate(dim, order)
    scale_mesh(L)

    # ---------------------------------------------------------------- exact measures and tol
    exact: dict[str, float] = {}
    if dim == 2 and not axisymmetric:
        sx = (1.0 - math.cos(k * W)) / k if sinus else 0.0
        v_e = W * te + A * sx
        exact.update({"cell:1": v_e, "cell:2": W * H - v_e})
        exact[f"facet:{T.INTERFACE}"] = _interface_area(g, dim, axisymmetric)
        exact.update(
            {
                f"facet:{T.BOTTOM}": W,
                f"facet:{T.TOP}": W,
                f"facet:{T.LEFT}": H,
                f"facet:{T.RIGHT}": H,
            }
        )
        apparent = W
    elif dim == 2:
        # 2π ∫_0^W r sin(kr) dr = 2π [sin(kr)/k² - r cos(kr)/k]_0^W
        srs = (math.sin(k * W) / k**2 - W * math.cos(k * W) / k) if sinus else 0.0
        v_e = 2 * math.pi * (te * W**2 / 2 + A * srs)
        exact.update({"cell:1": v_e, "cell:2": math.pi * W**2 * H - v_e})
        exact[f"facet:{T.INTERFACE}"] = _interface_area(g, dim, axisymmetric)
        exact.update(
            {
                f"facet:{T.BOTTOM}": math.pi * W**2,
                f"facet:{T.TOP}": math.pi * W**2,
                f"facet:{T.LEFT}": 0.0,
                f"facet:{T.RIGHT}": 2 * math.pi * W * H,
            }
        )
        apparent = math.pi * W**2
    else:
        if product:
            sx, sy = (1 - math.cos(k * W)) / k, (1 - math.cos(k * D)) / k
            v_e = W * D * te + A * sx * sy
        else:
            v_e = D * (W * te + (A * (1.0 - math.cos(k * W)) / k if sinus else 0.0))
        area = _interface_area(g, dim, axisymmetric)
        exact.update({"cell:1": v_e, "cell:2": W * D * H - v_e, f"facet:{T.INTERFACE}": area})
        exact.update(
            {
                f"facet:{T.BOTTOM}": W * D,
                f"facet:{T.TOP}": W * D,
                f"facet:{T.LEFT}": D * H,
                f"facet:{T.RIGHT}": D * H,
                f"facet:{T.FRONT}": W * H,
                f"facet:{T.BACK}": W * H,
            }
        )
        apparent = W * D
    tol = {key: TOL_FLOOR for key in exact}
    meta: dict = {
        "cad_unit": L,
        "h_max": h_max,
        "h_interface": h_int,
        "mesh_order": order,
        "interface": "sinusoid" if sinus else "flat",
    }
    if sinus:
        segs = np.concatenate([X for _, X in group_elements(dim - 1, T.INTERFACE)])
        if dim == 2:

            def spline_si(x, nu=0):
                return spline(x / L, nu) * L ** (1 - nu)

            d_vol, d_area = curve_tolerances(segs, f, fp, fpp, spline_si, 0.0, W, axisymmetric)
        else:
            if product:

                def hess(x, y):
                    s = A * k * k
                    a_, b_ = np.sin(k * x) * np.sin(k * y), np.cos(k * x) * np.cos(k * y)
                    return s * (np.abs(a_) + np.abs(b_))  # spectral norm of [[-a, b], [b, -a]]

                def fxy(x, y):
                    return te + A * np.sin(k * x) * np.sin(k * y)
            else:

                def hess(x, y):
                    return np.abs(fpp(x)) + 0.0 * y

                def fxy(x, y):
                    return f(x) + 0.0 * y

            xs = np.linspace(0.0, W, 401)
            ys = np.linspace(0.0, D, 401)
            dev = L * surf_eval(xs / L, ys / L) - fxy(xs[:, None], ys[None, :])
            dev_v = float(np.trapezoid(np.trapezoid(np.abs(dev), ys, axis=1), xs))
            gx, gy = np.gradient(dev, xs, ys)
            dev_a = float(np.trapezoid(np.trapezoid(np.hypot(gx, gy), ys, axis=1), xs))
            d_vol, d_area = surface_tolerances(segs, hess, dev_v, dev_a)
        for key in ("cell:1", "cell:2"):
            tol[key] = SAFETY * d_vol / exact[key] + TOL_FLOOR
        tol[f"facet:{T.INTERFACE}"] = SAFETY * d_area / exact[f"facet:{T.INTERFACE}"] + TOL_FLOOR
        meta.update({"amplitude": A, "wavelength": lam, "feature_length": lam / (2 * math.pi)})
    meta["geometric_area_ratio"] = exact[f"facet:{T.INTERFACE}"] / apparent
    if p["refine_radius"] is not None:  # a contact zone: the shortest length of the problem
        meta["feature_length"] = min(p["refine_radius"], meta.get("feature_length", math.inf))
    return GeometryInfo(
        FAMILY, dim, axisymmetric, cell_tags, facet_tags, exact, tol, meta, apparent
    )


def main(argv=None):
    return standalone(FAMILY, PARAMS, build, argv, dims=(2, 3), axisymmetric_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
