"""A run directory as a Python object, for notebooks and scripts (no DOLFINx needed)::

    import solver
    res = solver.load("runs/default")
    res.summary["asr_total_last"]              # summary.json as a dict
    df = res.timeseries                        # pandas DataFrame, one row per accepted step
    df.attrs["units"]["asr_total"]             # 'Ohm cm^2'
    d = res.fields.get("damage", t=240.0)      # Γ_int damage at the output time nearest 240 s
    d.points[:, 0], d.values                   # coordinates (m), values
    res.plot("asr_total", "asr_interfacial")   # matplotlib Axes, units in the labels

:func:`solver.api.run` returns the same object (:class:`Result` is a ``dict`` of the summary,
so code that used the summary dict it returned keeps working).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np


def read_timeseries_frame(path: str | os.PathLike):
    """``timeseries.csv`` as a pandas DataFrame: columns by plain name (``asr_total``), the units
    of the headers in ``df.attrs["units"]`` ({name: unit}; "1" for dimensionless), NaN for empty
    cells. Raises FileNotFoundError if the file is missing."""
    import pandas as pd

    df = pd.read_csv(path)
    units = {}
    names = []
    for h in df.columns:
        name, _, rest = h.partition(" [")
        names.append(name)
        units[name] = rest[:-1] if rest.endswith("]") else ""
    df.columns = names
    df.attrs["units"] = units
    return df


@dataclass(frozen=True)
class FieldData:
    """One array of one region at one output time.

    ``points``: (n_points, 3) coordinates (m); ``cells``: (n_cells, k) point indices (VTK node
    order) of cell type ``cell_type`` (meshio name: line, triangle, quad, tetra, hexahedron);
    ``values``: (n_points[, c]) for ``location = "point"`` (P1 fields) or (n_cells[, c]) for
    ``"cell"`` (DG0 fields); vectors have 3 components, tensors 9 (row-major 3×3)."""

    name: str
    region: str
    time: float
    location: str
    points: np.ndarray
    cells: np.ndarray
    cell_type: str
    values: np.ndarray


class Fields:
    """The field output of a run (the ``.pvd`` layout of :mod:`solver.fieldio`): by region, array
    name and output time. Files are read when asked for."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._index = {}
        for pvd in sorted(self.folder.glob("*.pvd")):
            from solver.fieldio import read_pvd

            self._index[pvd.stem] = read_pvd(pvd)
        self._cache: dict = {}

    @property
    def regions(self) -> list[str]:
        """Names of the regions with fields (``electrode``, ``electrolyte``, ``interface``, ...)."""
        return list(self._index)

    def times(self, region: str = "interface") -> np.ndarray:
        """The output times (s) of ``region``."""
        return np.array([t for t, _ in self._entries(region)])

    def _entries(self, region: str):
        if region not in self._index:
            if not self._index:
                raise KeyError(
                    f"fields: no .pvd index in {self.folder} (output.fields = false, or "
                    "output.format xdmf/vtx, which solver.load does not read)"
                )
            raise KeyError(f"fields: no region {region!r}; regions: {', '.join(self._index)}")
        return self._index[region]

    def mesh(self, region: str, t: float | None = None):
        """The ``meshio.Mesh`` of ``region`` at the output time nearest ``t`` (default: the
        last)."""
        import meshio

        entries = self._entries(region)
        if not entries:
            raise KeyError(f"fields: region {region!r} has no output step")
        times = np.array([e[0] for e in entries])
        i = len(entries) - 1 if t is None else int(np.argmin(np.abs(times - t)))
        key = (region, i)
        if key not in self._cache:
            self._cache = {key: (entries[i][0], meshio.read(entries[i][1]))}
        return self._cache[key]

    def names(self, region: str) -> list[str]:
        """The array names of ``region`` (point data, then cell data)."""
        _, m = self.mesh(region)
        return list(m.point_data) + list(m.cell_data)

    def regions_of(self, name: str) -> list[str]:
        return [r for r in self._index if self._index[r] and name in self.names(r)]

    def get(self, name: str, t: float | None = None, region: str | None = None) -> FieldData:
        """The array ``name`` at the output time nearest ``t`` (default: the last) in ``region``
        (may be left out when only one region has the array). KeyError names the choices."""
        if region is None:
            where = self.regions_of(name)
            if not where:
                known = sorted({n for r in self._index for n in self.names(r)})
                raise KeyError(f"fields: no array {name!r}; arrays: {', '.join(known)}")
            if len(where) > 1:
                raise KeyError(
                    f"fields: {name!r} is in several regions ({', '.join(where)}): pass region="
                )
            region = where[0]
        time, m = self.mesh(region, t)
        if name in m.point_data:
            loc, vals = "point", m.point_data[name]
        elif name in m.cell_data:
            loc, vals = "cell", m.cell_data[name][0]
        else:
            raise KeyError(f"fields: region {region!r} has no array {name!r}")
        cb = m.cells[0]
        return FieldData(name, region, time, loc, m.points, cb.data, cb.type, np.asarray(vals))

    def __getitem__(self, name: str) -> FieldData:
        return self.get(name)

    def __repr__(self) -> str:
        parts = [f"{r}: {len(e)} steps" for r, e in self._index.items()]
        return f"Fields({self.folder}; {'; '.join(parts) or 'none'})"


class Result(dict):
    """A run: the summary (this dict itself, also as ``.summary``), ``.timeseries`` (pandas
    DataFrame with ``attrs["units"]``), ``.fields`` (:class:`Fields`), ``.case`` (the resolved
    case as a dict), ``.run_dir`` and :meth:`plot`."""

    def __init__(self, summary: dict, run_dir: str | os.PathLike):
        super().__init__(summary)
        self.run_dir = Path(run_dir)

    @property
    def summary(self) -> dict:
        return dict(self)

    @cached_property
    def timeseries(self):
        return read_timeseries_frame(self.run_dir / "timeseries.csv")

    @property
    def units(self) -> dict:
        """{column: unit} of the time series."""
        return self.timeseries.attrs["units"]

    @cached_property
    def fields(self) -> Fields:
        return Fields(self.run_dir / "fields")

    @cached_property
    def case(self) -> dict:
        """``case.resolved.toml`` (SI values) as a dict."""
        import tomllib

        return tomllib.loads((self.run_dir / "case.resolved.toml").read_text())

    def plot(self, *columns: str, x: str = "time", ax=None):
        """Plot time-series ``columns`` (default: the voltage, else the contact fraction) against
        ``x``, the units in the axis labels; returns the matplotlib Axes. KeyError for a column
        the run does not have (the message lists them)."""
        import matplotlib.pyplot as plt

        df = self.timeseries
        if not columns:
            columns = ("voltage",) if "voltage" in df else ("contact_fraction",)
        missing = [c for c in (x, *columns) if c not in df]
        if missing:
            raise KeyError(f"timeseries: no column {missing}; columns: {', '.join(df.columns)}")
        if ax is None:
            _, ax = plt.subplots()
        units = df.attrs["units"]
        for c in columns:
            ax.plot(df[x], df[c], label=f"{c} [{units.get(c, '')}]")
        ax.set_xlabel(f"{x} [{units.get(x, '')}]")
        if len(columns) == 1:
            ax.set_ylabel(f"{columns[0]} [{units.get(columns[0], '')}]")
        else:
            ax.legend()
        return ax

    def __repr__(self) -> str:
        return f"Result({str(self.run_dir)!r}, status={self.get('status')!r})"


def load(run_dir: str | os.PathLike) -> Result:
    """Open a run directory: a :class:`Result` (summary, time series, fields, plot). Raises
    FileNotFoundError naming the folder when it holds no ``summary.json``."""
    run_dir = Path(run_dir)
    path = run_dir / "summary.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir}: no summary.json (not a completed ssbx run directory)")
    return Result(json.loads(path.read_text()), run_dir)
