"""Rough: electrode | electrolyte bilayer whose interface is a random self-affine height field.

Layout as :mod:`meshes.bilayer` (electrode y ∈ [0, t_e], electrolyte above, width W, depth D in
3D), with Γ_int at y = t_e + h(x) (3D: z = t_e + h(x, y)).

Height field (spectral synthesis, periodic over W (and D)):
    h = Σ_q a_q cos(q·x + φ_q) over the wavevectors q = 2π (m/W, n/D) ≠ 0 with
    |q| <= 2π / min_wavelength (the high-wavenumber cut, a key of the surface: by default
    correlation_length/2; never the mesh), phases φ_q uniform from
    ``numpy.random.default_rng(seed)``, amplitudes a_q ∝ sqrt(C(|q|)) with the power spectrum
    C flat below the roll-off q_r = 2π/correlation_length and C ∝ (q/q_r)^(-2(1+H)) above it
    (3D surface, H the Hurst exponent). A 2D model is a profile of such a surface: its
    one-dimensional spectrum falls as (q/q_r)^(-(1+2H)).
    The amplitudes are scaled so that the rms over the period is exactly ``rms`` (Parseval); the
    mean is exactly 0. The same keys give the same surface on any mesh; the mesh must resolve
    it (h_interface <= min_wavelength/4; by default min_wavelength/8, 3D /4).

Mesh: Γ_int is built as geometry, the graph of h: an OCC cubic B-spline curve (3D: tensor
B-spline surface) interpolating t_e + h at 32 (3D: 8) equidistant points per min_wavelength
(interpolation error <= 1e-3 max|h| in 3D, far less in 2D), which splits the box into the two
layers; both are meshed conformally on it (Frontal-Delaunay, graded from h_interface on Γ_int,
measured along the surface, to h_max), so any slope meshes without inverted elements. The nodes
of Γ_int (including high-order ones) are then moved vertically onto h itself (by the CAD
interpolation error), so they lie exactly on the surface of the keys; cells with min scaled
Jacobian (gmsh minSICN) <= 0 would be a bug (RuntimeError), the minimum is ``meta["min_quality"]``
(measured 0.72 at rms 0.8 µm / max slope 2.9 in the default case's keys, 0.32 at max slope 8.2).
The only geometric limit is max |h| < 0.5 min(t_e, t_s) (the layers stay whole), refused before
meshing. Side faces stay planar.
The same seed gives bit-identical node coordinates.

Exact measures: volumes W t_e (the mean of h is 0), the continuous |Γ_int| = ∫ sqrt(1 + |∇h|²)
by the periodic trapezoidal rule on a grid refined until converged (spectrally accurate for this
trigonometric polynomial). Tolerances: the mesh represents Γ_int by the piecewise-linear
interpolant of h at its nodes; per interface element (size Δ or d, local max |h''| or Hessian norm
κ) the volume error is bounded by κΔ³/12 (2D) / A_p κ d²/8 (3D) and the area error estimated by
κ²Δ³/24 / A (κd)²/24, summed over the mesh, times 2.
"""

from __future__ import annotations

import math

import numpy as np

from meshes import bilayer
from meshes import tags as T
from meshes.common import (
    MESH_PARAMS,
    TOL_FLOOR,
    GeometryError,
    GeometryInfo,
    Param,
    check_dim,
    group_elements,
    resolve,
    standalone,
)

FAMILY = "rough"
SAFETY = 2.0
MAX_HEIGHT = 0.5  # max |h| allowed, as a fraction of min(t_e, t_s)
CAD_POINTS = {2: 32, 3: 8}  # interpolation points of the CAD curve/surface per min_wavelength

PARAMS: dict[str, Param] = {
    "W": Param(20e-6, "length", "width (x extent)", lo=0.0, lo_open=True),
    "D": Param(None, "length", "depth (y extent, 3D only; default W)", lo=0.0, lo_open=True),
    "t_e": Param(10e-6, "length", "electrode thickness", lo=0.0, lo_open=True),
    "t_s": Param(10e-6, "length", "electrolyte thickness", lo=0.0, lo_open=True),
    "rms": Param(0.3e-6, "length", "rms roughness of the interface", lo=0.0),
    "correlation_length": Param(
        5e-6, "length", "roll-off wavelength 2π/q_r of the spectrum", lo=0.0, lo_open=True
    ),
    "hurst": Param(0.8, doc="Hurst exponent H", lo=0.0, hi=1.0, lo_open=True, hi_open=True),
    "min_wavelength": Param(
        None,
        "length",
        "shortest wavelength kept (default correlation_length/2); the surface depends on the "
        "keys only, and the mesh must resolve it: h_interface <= min_wavelength/4",
        lo=0.0,
        lo_open=True,
    ),
    "seed": Param(0, doc="random seed", kind="int", lo=0),
    **MESH_PARAMS,
}


class HeightField:
    """h(x[, y]) = Σ a cos(q·x + φ), with first and second derivatives."""

    def __init__(self, q: np.ndarray, a: np.ndarray, phase: np.ndarray):
        self.q, self.a, self.phase = q, a, phase  # q: (n, d)

    def _arg(self, X):
        return np.asarray(X, dtype=float)[..., : self.q.shape[1]] @ self.q.T + self.phase

    def __call__(self, X):
        return np.cos(self._arg(X)) @ self.a

    def grad(self, X):
        return -(np.sin(self._arg(X)) * self.a) @ self.q

    def hessian_norm(self, X):
        """Spectral norm of the Hessian (|h''| in 2D)."""
        c = np.cos(self._arg(X)) * self.a
        if self.q.shape[1] == 1:
            return np.abs(c @ (self.q[:, 0] ** 2))
        hxx = -c @ (self.q[:, 0] ** 2)
        hyy = -c @ (self.q[:, 1] ** 2)
        hxy = -c @ (self.q[:, 0] * self.q[:, 1])
        return np.abs(0.5 * (hxx + hyy)) + np.sqrt(0.25 * (hxx - hyy) ** 2 + hxy**2)

    def rms(self) -> float:
        return float(math.sqrt(0.5 * (self.a**2).sum()))


def height_field(p: dict, dim: int, W: float, D: float, lam_min: float) -> HeightField:
    """Spectral synthesis (see the module docstring)."""
    rng = np.random.default_rng(p["seed"])
    q_r = 2 * math.pi / p["correlation_length"]
    q_max = 2 * math.pi / lam_min
    H = p["hurst"]
    if dim == 2:
        n = np.arange(1, int(math.floor(W / lam_min)) + 1)
        q = (2 * math.pi * n / W)[:, None]
        expo = 1 + 2 * H
    else:
        M, N = int(math.floor(W / lam_min)), int(math.floor(D / lam_min))
        mm, nn = np.meshgrid(np.arange(-M, M + 1), np.arange(-N, N + 1), indexing="ij")
        half = (nn > 0) | ((nn == 0) & (mm > 0))  # one of each ±q pair
        q = np.stack([2 * math.pi * mm[half] / W, 2 * math.pi * nn[half] / D], axis=1)
        q = q[np.linalg.norm(q, axis=1) <= q_max * (1 + 1e-12)]
        expo = 2 * (1 + H)
    if len(q) == 0:
        raise GeometryError(
            "min_wavelength",
            f"got {lam_min:g}, allowed (0, {max(W, D) if dim == 3 else W:g}] m (no wavelength of "
            "the periodic surface is long enough)",
        )
    qn = np.linalg.norm(q, axis=1)
    psd = np.where(qn <= q_r, 1.0, (qn / q_r) ** (-expo))
    a = np.sqrt(psd)
    phase = rng.uniform(0.0, 2 * math.pi, len(q))
    a *= p["rms"] / math.sqrt(0.5 * (a**2).sum()) if p["rms"] > 0 else 0.0
    return HeightField(q, a, phase)


def interface_area(h: HeightField, dim: int, W: float, D: float) -> float:
    """|Γ_int| over one period by the periodic trapezoidal rule, refined until converged."""
    prev = None
    n = max(64, 8 * int(np.abs(h.q).max(axis=0).max() * max(W, D) / (2 * math.pi)))
    for _ in range(8):
        x = np.arange(n) * (W / n)
        if dim == 2:
            g = h.grad(x[:, None])
            val = W * float(np.sqrt(1.0 + (g**2).sum(axis=1)).mean())
        else:
            y = np.arange(n) * (D / n)
            X = np.stack(np.meshgrid(x, y, indexing="ij"), axis=-1).reshape(-1, 2)
            g = h.grad(X)
            val = W * D * float(np.sqrt(1.0 + (g**2).sum(axis=1)).mean())
        if prev is not None and abs(val - prev) <= 1e-13 * val:
            return val
        prev = val
        n *= 2
    raise RuntimeError("rough: interface area quadrature did not converge")


def _check_cells(dim: int) -> float:
    """Min scaled Jacobian (gmsh 'minSICN', 1 = ideal) of the cells of the current mesh; a cell
    that is inverted or degenerate (<= 0) is a bug of the meshing, raised as RuntimeError."""
    import gmsh

    _, etags, _ = gmsh.model.mesh.getElements(dim)
    q = np.asarray(gmsh.model.mesh.getElementQualities(np.concatenate(etags), "minSICN"))
    if q.min() <= 0.0:
        raise RuntimeError(f"rough: {int((q <= 0).sum())} inverted or degenerate cells")
    return float(q.min())


DIMS = (2, 3)
AXISYMMETRIC_OK = False


def _sizes(p: dict, dim: int) -> tuple[float, dict, float, float]:
    """(λ_min, the bilayer parameters of the flat box, h_max, h_interface) of checked ``p``."""
    W, te, ts = p["W"], p["t_e"], p["t_s"]
    D = p["D"] if p["D"] is not None else W
    lam_min = p["min_wavelength"] or p["correlation_length"] / 2.0
    flat = {k: p[k] for k in ("W", "D", "t_e", "t_s", "h_max", "h_interface", "mesh_order")}
    lengths = [te, ts, W] + [D] * (dim == 3)
    if flat["h_interface"] is None:  # the mesh follows the surface: 8 (3D: 4) elements per λ_min
        h_max0, _ = bilayer._sizes(
            resolve(bilayer.PARAMS, {k: v for k, v in flat.items() if v is not None}),
            dim,
            False,
            lengths,
        )
        flat["h_interface"] = min(lam_min / (8.0 if dim == 2 else 4.0), h_max0)
    flat_params = {k: v for k, v in flat.items() if v is not None}
    h_max, h_int = bilayer._sizes(resolve(bilayer.PARAMS, flat_params), dim, False, lengths)
    return lam_min, flat_params, h_max, h_int


def estimate(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> dict:
    """The cells :func:`build` would make, estimated from the sizes alone (bilayer.estimate; the
    surface slope bounded by 2π rms / λ_min per direction)."""
    p = resolve(PARAMS, params)
    lam_min, _, h_max, h_int = _sizes(p, dim)
    W, te, ts = p["W"], p["t_e"], p["t_s"]
    D = p["D"] if p["D"] is not None else W
    flat = W * D if dim == 3 else W
    slope = 2.0 * math.pi * p["rms"] / lam_min
    return bilayer._estimate_layered({}, dim, flat, te + ts, max(te, ts), h_max, h_int, slope)


def _setup(params: dict | None, dim: int, axisymmetric: bool) -> dict:
    """Checked parameters and derived quantities; raises GeometryError (no gmsh needed)."""
    check_dim(FAMILY, dim, axisymmetric, axisymmetric_ok=False)
    p = resolve(PARAMS, params)
    W, te, ts = p["W"], p["t_e"], p["t_s"]
    D = p["D"] if p["D"] is not None else W
    lam_min, flat_params, h_max, h_int = _sizes(p, dim)
    if p["rms"] > 0 and h_int > lam_min / 4.0 * (1 + 1e-12):
        raise GeometryError(
            "h_interface",
            f"got {h_int:g} m, allowed (0, {lam_min / 4.0:g}] m: the shortest wavelength of the "
            f"surface (min_wavelength = {lam_min:g} m) needs >= 4 interface elements",
        )
    h = height_field(p, dim, W, D, lam_min)
    # max |h| and slopes: on a grid of spacing <= λ_min/64 (2D) or λ_min/24 (3D)
    n = max(64, int((64 if dim == 2 else 24) * max(W, D) / lam_min))
    xs = np.arange(n) * (W / n)
    if dim == 2:
        grid = xs[:, None]
    else:
        ys = np.arange(n) * (D / n)
        grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
    h_abs = float(np.abs(h(grid)).max()) if p["rms"] > 0 else 0.0
    slopes = np.linalg.norm(h.grad(grid), axis=1) if p["rms"] > 0 else np.zeros(1)
    slope_max, slope_rms = float(slopes.max()), float(np.sqrt(np.mean(slopes**2)))
    limit = MAX_HEIGHT * min(te, ts)
    if h_abs >= limit:
        raise GeometryError(
            "rms",
            f"got {p['rms']:g} m: max |h| = {h_abs:g} m, allowed max |h| < {limit:g} m "
            f"({MAX_HEIGHT} min(t_e, t_s)); lower rms (to < {p['rms'] * limit / h_abs:g} m) or "
            "thicken the layers",
        )
    return {
        "p": p,
        "W": W,
        "te": te,
        "ts": ts,
        "D": D,
        "flat_params": flat_params,
        "lam_min": lam_min,
        "h": h,
        "h_abs": h_abs,
        "slope_max": slope_max,
        "slope_rms": slope_rms,
    }


def validate(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> None:
    """The parameter checks of :func:`build` without building (raises GeometryError)."""
    _setup(params, dim, axisymmetric)


def _areas(g: dict, dim: int) -> tuple[float, float]:
    """(|Γ_int|, collector area) of the checked parameters ``g``."""
    W, D = g["W"], g["D"]
    area_app = W if dim == 2 else W * D
    a_int = interface_area(g["h"], dim, W, D) if g["p"]["rms"] > 0 else area_app
    return a_int, area_app


def measures(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> dict:
    """Exact measures without gmsh: ``interface`` |Γ_int| of the height field and ``collector``
    (the bottom face) in m² (m per unit depth in 2D); the numbers :func:`build` stores."""
    g = _setup(params, dim, axisymmetric)
    a_int, area_app = _areas(g, dim)
    return {"interface": a_int, "collector": area_app}


def build(params: dict | None = None, *, dim: int = 2, axisymmetric: bool = False) -> GeometryInfo:
    import gmsh

    g = _setup(params, dim, axisymmetric)
    p = g["p"]
    te = g["te"]
    flat_params = g["flat_params"]
    lam_min = g["lam_min"]
    h = g["h"]
    h_abs = g["h_abs"]
    slope_max = g["slope_max"]
    slope_rms = g["slope_rms"]

    # ------------------------------------------------- Γ_int as geometry: the graph of h
    ax = dim - 1
    W, D = g["W"], g["D"]
    if dim == 2:
        n_x, n_y = max(8, math.ceil(CAD_POINTS[2] * W / lam_min) + 1), 0

        def surface(x):
            return te + h(np.asarray(x, dtype=float)[:, None])
    else:
        n_x = max(8, math.ceil(CAD_POINTS[3] * W / lam_min) + 1)
        n_y = max(8, math.ceil(CAD_POINTS[3] * D / lam_min) + 1)

        def surface(x, y):
            return te + h(np.stack(np.broadcast_arrays(x, y), axis=-1))

    info = bilayer.build(flat_params, dim=dim, _name=FAMILY, _graph=(surface, n_x, n_y))
    # the nodes of Γ_int (first and higher order) onto h itself: a vertical move by the CAD
    # interpolation error (<= 1e-3 max|h|), so the nodes lie exactly on the surface of the keys
    moved = 0.0
    for e in gmsh.model.getEntitiesForPhysicalGroup(dim - 1, T.INTERFACE):
        tags, xyz, _ = gmsh.model.mesh.getNodes(dim - 1, int(e), includeBoundary=True)
        X = np.asarray(xyz).reshape(-1, 3)
        z = te + h(X[:, :ax])
        moved = max(moved, float(np.abs(z - X[:, ax]).max()))
        X[:, ax] = z
        for t, c in zip(tags, X):
            gmsh.model.mesh.setNode(int(t), c.tolist(), [])
    if p["rms"] > 0 and moved > 0.01 * h_abs:
        raise RuntimeError(f"rough: the CAD surface is {moved:g} m off the height field")
    quality = _check_cells(dim)
    # ---------------------------------------------------------------- exact measures and tol
    exact = dict(info.exact)
    a_int, area_app = _areas(g, dim)
    exact[f"facet:{T.INTERFACE}"] = a_int
    tol = {key: TOL_FLOOR for key in exact}
    if p["rms"] > 0:
        segs = np.concatenate([Y for _, Y in group_elements(dim - 1, T.INTERFACE)])
        P = segs[:, :dim, :]
        if dim == 2:
            xa, xb = P[:, 0, 0], P[:, 1, 0]
            lo = np.minimum(xa, xb)
            delta = np.abs(xb - xa)
            pts = lo[:, None] + delta[:, None] * np.linspace(0, 1, 5)[None, :]
            kappa = h.hessian_norm(pts[..., None]).max(axis=1)
            d_vol = float((kappa * delta**3 / 12.0).sum())
            d_area = float((kappa**2 * delta**3 / 24.0).sum())
        else:
            d_vol, d_area = bilayer.surface_tolerances(
                segs, lambda x, y: h.hessian_norm(np.stack([x, y], axis=-1)), 0.0, 0.0
            )
        for key in ("cell:1", "cell:2"):
            tol[key] = SAFETY * d_vol / exact[key] + TOL_FLOOR
        tol[f"facet:{T.INTERFACE}"] = SAFETY * d_area / a_int + TOL_FLOOR
        ih = np.concatenate([Y[:, :dim, :] for _, Y in group_elements(dim - 1, T.INTERFACE)])
        node_h = ih.reshape(-1, 3)[:, ax] - te
    else:
        node_h = np.zeros(1)
    meta = dict(info.meta)
    meta.update(
        {
            "seed": p["seed"],
            "rms": h.rms(),
            "max_abs_height": h_abs,
            "max_slope": slope_max,
            "rms_slope": slope_rms,
            "rms_at_nodes": float(np.sqrt(np.mean(node_h**2))),
            "hurst": p["hurst"],
            "correlation_length": p["correlation_length"],
            "min_wavelength": lam_min,
            "modes": len(h.a),
            "geometric_area_ratio": a_int / area_app,
            "interface": "rough",
            "min_quality": quality,
            "cad_deviation": moved,
            # the shortest length the interface stresses vary over: λ_min/2π
            "feature_length": lam_min / (2.0 * math.pi),
        }
    )
    return GeometryInfo(
        FAMILY, dim, False, info.cell_tags, info.facet_tags, exact, tol, meta, area_app
    )


def main(argv=None):
    return standalone(FAMILY, PARAMS, build, argv, dims=(2, 3), axisymmetric_ok=False)


if __name__ == "__main__":
    raise SystemExit(main())
