"""PNG preview of the current gmsh model's mesh (matplotlib, Agg canvas; no display needed).

2D: the triangles coloured by cell tag (legend with the tag names), Γ_int (INTERFACE) as a thick
black line, the other internal interfaces as thinner coloured lines.
3D: the Γ_int triangles coloured by height, the other internal interfaces faint, and the outline
of the bounding box.
Coordinates are shown in µm when the model is smaller than a millimetre.
"""

from __future__ import annotations

import numpy as np

from meshes import tags as T
from meshes.common import group_elements


def _groups(dim: int) -> list[int]:
    import gmsh

    return sorted(t for d, t in gmsh.model.getPhysicalGroups(dim))


def _corners(dim: int, tag: int, n: int) -> np.ndarray:
    parts = [X[:, :n, :] for _, X in group_elements(dim, tag)]
    return np.concatenate(parts) if parts else np.empty((0, n, 3))


def write_preview(path_png: str, title: str | None = None) -> None:
    """Render the mesh of the current gmsh model into ``path_png``."""
    import gmsh
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dim = gmsh.model.getDimension()
    _, xyz, _ = gmsh.model.mesh.getNodes(returnParametricCoord=False)
    xyz = np.asarray(xyz).reshape(-1, 3)
    extent = float(np.ptp(xyz, axis=0).max()) if len(xyz) else 1.0
    scale, unit = (1e6, "µm") if extent < 1e-3 else (1.0, "m")
    fig = Figure(figsize=(7.0, 6.0), dpi=110)
    FigureCanvasAgg(fig)
    colors = [f"C{i}" for i in range(10)]
    if dim == 2:
        from matplotlib.collections import LineCollection, PolyCollection

        ax = fig.add_subplot(1, 1, 1)
        handles = []
        for i, tag in enumerate(_groups(2)):
            tri = _corners(2, tag, 3)[:, :, :2] * scale
            pc = PolyCollection(
                tri,
                facecolors=colors[i % 10],
                edgecolors="k",
                linewidths=0.08,
                alpha=0.55,
                label=f"{tag} {T.cell_name(tag)}",
            )
            ax.add_collection(pc)
            handles.append(pc)
        for j, tag in enumerate(t for t in _groups(1) if t < 100):
            seg = _corners(1, tag, 2)[:, :, :2] * scale
            interface = tag == T.INTERFACE
            lc = LineCollection(
                seg,
                colors="k" if interface else colors[(j + 3) % 10],
                linewidths=2.2 if interface else 1.2,
                label=f"{tag} {T.facet_name(tag)}",
            )
            ax.add_collection(lc)
            handles.append(lc)
        ax.autoscale_view()
        ax.set_aspect("equal")
        ax.set_xlabel(f"x [{unit}]")
        ax.set_ylabel(f"y [{unit}]")
        ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.8)
    else:
        from mpl_toolkits.mplot3d.art3d import Line3DCollection, Poly3DCollection

        ax = fig.add_subplot(1, 1, 1, projection="3d")
        lo, hi = xyz.min(axis=0) * scale, xyz.max(axis=0) * scale
        for tag in (t for t in _groups(2) if t < 100):
            tri = _corners(2, tag, 3) * scale
            if not len(tri):
                continue
            if tag == T.INTERFACE:
                z = tri[:, :, 2].mean(axis=1)
                zn = (z - z.min()) / (np.ptp(z) or 1.0)
                import matplotlib

                fc = matplotlib.colormaps["viridis"](zn)
                poly = Poly3DCollection(tri, facecolors=fc, edgecolors="k", linewidths=0.05)
            else:
                poly = Poly3DCollection(tri, facecolors="0.8", edgecolors="none", alpha=0.15)
            ax.add_collection3d(poly)
        corners = np.array(
            [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
        )
        edges = [
            (a, b)
            for a in range(8)
            for b in range(a + 1, 8)
            if np.count_nonzero(corners[a] != corners[b]) == 1
        ]
        ax.add_collection3d(
            Line3DCollection([corners[[a, b]] for a, b in edges], colors="k", linewidths=0.8)
        )
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_zlim(lo[2], hi[2])
        ax.set_box_aspect(tuple(np.maximum(hi - lo, 1e-12 * (hi - lo).max())))
        ax.set_xlabel(f"x [{unit}]")
        ax.set_ylabel(f"y [{unit}]")
        ax.set_zlabel(f"z [{unit}]")
    ncells = sum(len(_corners(dim, t, dim + 1)) for t in _groups(dim))
    ax.set_title(title or f"{gmsh.model.getCurrent()}: {ncells} cells", fontsize=10)
    fig.savefig(path_png)
