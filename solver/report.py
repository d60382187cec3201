"""``ssbx report RUN_DIR``: a self-contained HTML page of a run (``RUN_DIR/report/index.html``,
the figures embedded, and each also as a PNG beside it), with matplotlib only:

* status and checks from ``summary.json``: status, steps, wall time, balance errors, measured
  against analytic domain measures, the thermal outcome;
* time series of ``timeseries.csv`` (whatever columns the run has), grouped: voltage, current,
  ASR (total and interfacial), interface fractions (contact, active, debonded), pressure,
  temperature, Newton iterations and step cuts, balance errors;
* profiles along Γ_int at chosen output times (g_n, t_n, damage, j_n, T) from the field output
  (the ``.pvd`` layout, :mod:`solver.fieldio`);
* field snapshots at the last output (2D runs): von Mises stress with Γ_int drawn coloured by
  damage, current density, concentration, temperature;
* the resolved inputs (``case.resolved.toml``, SI values with their units).

Every figure has a title (the matplotlib title and the HTML caption are the same text).
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from pathlib import Path

import numpy as np

# (title, columns, display unit scale): the time-series figures, in page order
SERIES = [
    ("Cell voltage", ["voltage", "ocv"]),
    ("Current", ["current", "current_collector", "current_storage"]),
    ("Area-specific resistance", ["asr_total", "asr_interfacial"]),
    ("Interface fractions", ["contact_fraction", "active_fraction", "debonded_fraction",
                             "mean_damage"]),
    ("Pressure", ["pressure_applied", "mean_pressure", "min_pressure"]),
    ("Temperature", ["temperature", "T_max_electrode", "T_max_electrolyte", "T_max_interface"]),
    ("Newton iterations", ["newton_iterations", "step_cuts"]),
    ("Balance errors", ["charge_balance_error", "li_balance_error", "energy_balance_error",
                        "interface_heat_balance_error", "electrical_heat_balance_error"]),
]  # fmt: skip
# interface profiles: (array, label, unit, scale to the shown unit)
PROFILES = [
    ("g_n", "normal gap g_n", "µm", 1e6),
    ("t_n", "normal traction t_n", "MPa", 1e-6),
    ("damage", "damage d", "1", 1.0),
    ("j_n", "interface current density j_n", "mA/cm²", 0.1),
    ("T_interface", "interface temperature T", "K", 1.0),
]
# field snapshots: (title, [(region, array)], unit, scale, take the vector magnitude)
SNAPSHOTS = [
    ("von Mises stress, Γ_int coloured by damage", [("electrode", "von_mises"),
                                                     ("electrolyte", "von_mises")], "MPa", 1e-6),
    ("Current density |i|", [("electrode", "current_density"), ("ionic", "current_density")],
     "mA/cm²", 0.1),
    ("Li concentration c", [("electrode", "c")], "mol/m³", 1.0),
    ("Temperature T", [("electrode", "T"), ("temperature", "T")], "K", 1.0),
]  # fmt: skip
_SHOWN_UNITS = {"Pa": ("MPa", 1e-6)}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def _figure(title: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    return fig, ax


def series_figures(df) -> list[tuple[str, bytes]]:
    """The time-series figures of the columns the run has (non-NaN somewhere)."""
    units = df.attrs.get("units", {})
    t = df["time"].to_numpy()
    out = []
    for title, cols in SERIES:
        cols = [c for c in cols if c in df and np.isfinite(df[c].to_numpy(dtype=float)).any()]
        if not cols:
            continue
        fig, ax = _figure(title)
        is_err = title == "Balance errors"
        shown = set()
        for c in cols:
            y = df[c].to_numpy(dtype=float)
            u = units.get(c, "")
            u, s = _SHOWN_UNITS.get(u, (u, 1.0))
            if is_err:
                y = np.abs(y)
                y = np.where(y > 0, y, np.nan)
            kw = {"drawstyle": "steps-post"} if c in ("newton_iterations", "step_cuts") else {}
            ax.plot(t, y * s, marker="." if len(t) < 60 else None, label=c, **kw)
            shown.add(u)
        if is_err:
            ax.set_yscale("log")
        ax.set_xlabel(f"time [{units.get('time', 's')}]")
        ax.set_ylabel(", ".join(sorted(shown)) if shown != {"1"} else "[1]")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        out.append((title, _png(fig)))
    return out


def _choose_times(times: np.ndarray, chosen) -> list[int]:
    if len(times) == 0:
        return []
    if chosen:
        return sorted({int(np.argmin(np.abs(times - t))) for t in chosen})
    return sorted({0, len(times) // 2, len(times) - 1})


def profile_figures(fields, dim: int, chosen_times=None) -> list[tuple[str, bytes]]:
    """Profiles of the interface arrays along Γ_int (against x; the radius r in axisymmetry)
    at the chosen output times (default: first, middle and last)."""
    if "interface" not in fields.regions:
        return []
    times = fields.times("interface")
    idx = _choose_times(times, chosen_times)
    out = []
    names = set(fields.names("interface")) if idx else set()
    for name, label, unit, scale in PROFILES:
        if name not in names:
            continue
        title = f"Profile along Γ_int: {label}"
        fig, ax = _figure(title)
        for i in idx:
            d = fields.get(name, t=times[i], region="interface")
            x = d.points[:, 0]
            order = np.argsort(x, kind="stable")
            style = {"ls": "none", "marker": ".", "ms": 2} if dim == 3 else {"marker": "."}
            ax.plot(x[order] * 1e6, d.values[order] * scale, label=f"t = {times[i]:.4g} s", **style)
        ax.set_xlabel("x [µm]")
        ax.set_ylabel(f"{name} [{unit}]")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        out.append((title, _png(fig)))
    return out


def _triangles(d) -> tuple[np.ndarray, np.ndarray]:
    """Triangles of a 2D grid and, for each, the index of its cell (quads split in two)."""
    c = d.cells
    if d.cell_type == "triangle":
        return c, np.arange(len(c))
    if d.cell_type == "quad":
        tri = np.concatenate([c[:, [0, 1, 2]], c[:, [0, 2, 3]]])
        return tri, np.concatenate([np.arange(len(c))] * 2)
    raise ValueError(d.cell_type)


def snapshot_figures(fields, dim: int) -> list[tuple[str, bytes]]:
    """Field snapshots at the last output of a 2D run (tripcolor of the per-region grids; the
    cell data per cell, the point data shaded)."""
    if dim != 2:
        return []
    from matplotlib import colors
    from matplotlib.collections import LineCollection
    from matplotlib.tri import Triangulation

    out = []
    for title, parts, unit, scale in SNAPSHOTS:
        data = []
        for region, name in parts:
            if region in fields.regions and fields.times(region).size:
                if name in fields.names(region):
                    data.append(fields.get(name, region=region))
        if not data:
            continue
        vals = []
        for d in data:
            v = d.values
            if v.ndim == 2:
                v = np.linalg.norm(v, axis=1)
            vals.append(v * scale)
        lo = min(float(np.min(v)) for v in vals)
        hi = max(float(np.max(v)) for v in vals)
        if hi <= lo:
            hi = lo + max(abs(lo) * 1e-6, 1e-30)
        norm = colors.Normalize(lo, hi)
        fig, ax = _figure(f"{title} (t = {data[0].time:.4g} s)")
        for d, v in zip(data, vals):
            tri, owner = _triangles(d)
            T = Triangulation(d.points[:, 0] * 1e6, d.points[:, 1] * 1e6, tri)
            if d.location == "cell":
                m = ax.tripcolor(T, facecolors=v[owner], norm=norm, cmap="viridis")
            else:
                m = ax.tripcolor(T, v, norm=norm, cmap="viridis", shading="gouraud")
        fig.colorbar(m, ax=ax, label=f"[{unit}]")
        if title.startswith("von Mises") and "interface" in fields.regions:
            itf = fields.get("damage", region="interface")
            seg = itf.points[itf.cells][:, :, :2] * 1e6
            dmg = itf.values[itf.cells].mean(axis=1)
            lc = LineCollection(seg, cmap="inferno", norm=colors.Normalize(0, 1), linewidths=4)
            lc.set_array(dmg)
            ax.add_collection(lc)
            fig.colorbar(lc, ax=ax, label="damage [1]")
        ax.set_aspect("equal")
        ax.set_xlabel("x [µm]")
        ax.set_ylabel("y [µm]")
        out.append((f"{title} (t = {data[0].time:.4g} s)", _png(fig)))
    return out


def _fmt(v) -> str:
    if isinstance(v, float):
        return "—" if not math.isfinite(v) else f"{v:.6g}"
    if v is None:
        return "—"
    return html.escape(str(v))


def status_rows(summary: dict) -> list[tuple[str, str, str]]:
    """(quantity, value, unit) rows: status, checks and balances of ``summary.json``."""
    units = summary.get("units", {})
    rows = [
        ("status", summary.get("status"), ""),
        ("failure", summary.get("failure"), ""),
        ("steps", summary.get("steps"), ""),
        ("MPI ranks", summary.get("mpi_size"), ""),
        ("wall time", summary.get("wall_time_s"), "s"),
        ("degrees of freedom", summary.get("dofs"), ""),
    ]
    if summary.get("stop"):  # a named stop ended the run (contact lost; docs/theory.md §10.6)
        rows.insert(2, ("stop", summary["stop"], ""))
    for key in ("final_contact_fraction", "final_debonded_fraction", "final_active_fraction",
                "asr_total_first", "asr_total_last", "max_li_balance_error"):  # fmt: skip
        if key in summary:
            rows.append((key, summary[key], units.get(key, "")))
    final = summary.get("final", {})
    for key in ("charge_balance_error", "li_balance_error", "energy_balance_error"):
        if key in final:
            rows.append((f"final {key}", final[key], "1"))
    th = summary.get("thermal") or {}
    for key in ("outcome", "max_energy_balance_error", "max_interface_heat_balance_error"):
        if key in th:
            rows.append((f"thermal {key}", th[key], units.get("thermal", {}).get(key, "")))
    for name, e in (summary.get("measures_vs_analytic") or {}).items():
        rows.append((f"|{name}| measured vs analytic (rel. error)", e.get("rel_error"), "1"))
    return [(k, _fmt(v), u) for k, v, u in rows if v is not None]


_CSS = """
body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}
h1{font-size:1.6em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
figure{margin:1em 0} figcaption{font-weight:bold;margin-bottom:.3em} img{max-width:100%}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.85em}
.note{color:#666}
"""


def make_report(run_dir: str | os.PathLike, out: str | os.PathLike | None = None,
                times=None) -> Path:  # fmt: skip
    """Write the report of ``run_dir`` into ``out`` (default ``run_dir/report``): ``index.html``
    and one PNG per figure; returns the path of ``index.html``. ``times``: output times (s) of
    the interface profiles (nearest outputs; default first, middle, last). Raises
    FileNotFoundError when ``run_dir`` has no ``summary.json``."""
    from solver.results import load
    from solver.rundir import write_text_atomic

    res = load(run_dir)
    out = Path(out) if out is not None else res.run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    dim = int((res.get("mesh") or {}).get("gdim") or _dim_of(res))
    sections: list[tuple[str, list[tuple[str, bytes]], str]] = []
    notes = {}
    try:
        df = res.timeseries
    except FileNotFoundError:
        df = None
        notes["Time series"] = "no timeseries.csv (no physics enabled)"
    sections.append(("Time series", series_figures(df) if df is not None else [], "series"))
    fields = res.fields
    if not fields.regions:
        notes["Interface profiles"] = notes["Field snapshots"] = (
            "no .pvd field output (output.fields = false, or output.format xdmf/vtx)"
        )
    sections.append(("Interface profiles", profile_figures(fields, dim, times), "profile"))
    if dim != 2:
        notes["Field snapshots"] = (
            f"{dim}D run: open the fields in ParaView (pvpython fields/open.py)"
        )
    sections.append(("Field snapshots", snapshot_figures(fields, dim), "field"))

    body = [f"<h1>ssbx run: {html.escape(str(res.get('case', res.run_dir.name)))}</h1>"]
    body.append(f"<p class='note'>{html.escape(str(res.run_dir.resolve()))}</p>")
    body.append("<h2>Status and checks</h2><table><tr><th>quantity</th><th>value</th>"
                "<th>unit</th></tr>")  # fmt: skip
    for k, v, u in status_rows(res.summary):
        body.append(f"<tr><td>{html.escape(k)}</td><td>{v}</td><td>{html.escape(u)}</td></tr>")
    body.append("</table>")
    n = 0
    for heading, figs, stem in sections:
        body.append(f"<h2>{heading}</h2>")
        if heading in notes:
            body.append(f"<p class='note'>{html.escape(notes[heading])}</p>")
        for title, png in figs:
            n += 1
            name = f"{stem}_{n:02d}.png"
            (out / name).write_bytes(png)
            b64 = base64.b64encode(png).decode()
            body.append(
                f"<figure><figcaption>{html.escape(title)}</figcaption>"
                f"<img alt='{html.escape(title, quote=True)}' data-file='{name}' "
                f"src='data:image/png;base64,{b64}'></figure>"
            )
    body.append("<h2>Inputs (resolved, SI units)</h2>")
    resolved = res.run_dir / "case.resolved.toml"
    text = resolved.read_text() if resolved.exists() else "(no case.resolved.toml)"
    body.append(f"<pre>{html.escape(text)}</pre>")
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>ssbx report: {html.escape(str(res.get('case', '')))}</title>"
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    index = out / "index.html"
    write_text_atomic(index, page)
    return index


def _dim_of(res) -> int:
    try:
        return int(res.case["geometry"]["dim"])
    except (KeyError, FileNotFoundError, ValueError, TypeError):
        return 2
