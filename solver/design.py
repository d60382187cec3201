"""Design mode: ``ssbx design DESIGN.toml -o DIR``, the smallest (or largest) value of a design
variable that meets a requirement on a run metric, confirmed by FE runs, with its uncertainty.

A design file names a base case, one design variable with bounds (optionally a second one with
levels), the requirement and the uncertain inputs (docs/case-format.md, "Design files")::

    [design]
    case = "../cases/default.toml"     # the base case, relative to the design file
    set = { "output.fields" = false }  # fixed overrides of every run (dotted keys, as --set)

    [[variable]]                       # the design variable, searched between its bounds
    key = "loading.stack_pressure"     # any case key of --set (or keys = [...] + factors)
    bounds = ["1 MPa", "20 MPa"]
    scale = "log"                      # log (default where both bounds have one sign) | linear

    [[variable]]                       # optional: a second variable at levels (one answer each)
    key = "loading.temperature"
    values = ["25 degC", "45 degC"]

    [objective]                        # the requirement: metric op value
    metric = "asr_interfacial"         # a timeseries.csv column, or summary.<dotted key>
    at = "after 1 cycle"               # "end" | "after N cycles" | a time ("1 h")
    op = "<="                          # <= | >=
    value = "26 Ohm cm^2"              # in the metric's unit, or with a unit (project units)

    [strategy]
    tolerance = 0.05                   # stop when (hi - lo)/|mid| <= tolerance
    max_runs = 20                      # FE runs of one search at most
    reduced = true                     # start from the reduced model's answer where one exists
    reduced_margin = 0.1               # first FE bracket: the reduced answer x (1 -+ margin)

    [[uncertain]]                      # uncertain inputs (scipy.stats distributions)
    key = "interface.G_Ic"
    distribution = "lognormal"         # normal (mean, std) | lognormal (median, sigma) |
    median = "2 J/m^2"                 # uniform (bounds = [lo, hi])
    sigma = 0.2

    [uncertainty]
    samples = 8                        # Latin hypercube size (scipy.stats.qmc)
    seed = 1
    confidence = 0.9                   # the answer at this confidence (P90)
    method = "auto"                    # auto | fe | reduced | surrogate

The search (docs/theory.md §8.10): the requirement's margin g(x) (value − metric
for ``<=``, metric − value for ``>=``; met where g ≥ 0) is assumed monotone in the design
variable x. Where a reduced model exists for the objective (:data:`REDUCED_MODELS`) it is
solved first (a scan of the bounds and Brent's method, in milliseconds) and the first FE bracket
is its answer × (1 ∓ reduced_margin), widened geometrically until the FE runs at its ends fall
on both sides of the requirement; otherwise the FE runs start at the bounds. The bracket is then
cut by bisection (k-section with ``--jobs k``: k runs per round) in the variable's scale until
its relative width is below the tolerance. Every FE run is an ordinary ``ssbx run`` through the
sweep machinery (:mod:`solver.sweep`) in ``DIR/runs``: resumable (a rerun skips the completed
runs: the runs are named by their overrides), on any backend (local, mpi4py, slurm: one job
array per round, submitted with ``sbatch --wait``). The monotone assumption is checked on the
FE runs of each search (the metric sorted by x) and reported.

Uncertainty: a Latin hypercube over the uncertain inputs; each sample's required value comes
from (method) ``fe``: its own FE search started from the reduced model's answer for the sample
(the reduced model + FE confirmation); ``reduced``: the reduced model alone, scaled by the FE /
reduced ratio of the nominal answer; ``surrogate``: a radial-basis surrogate of g(x, θ)
(``scipy.interpolate.RBFInterpolator``) fitted to FE runs on a Latin hypercube around the
nominal answer (its leave-one-out error is reported), solved per sample. ``auto``: ``fe`` where
a reduced model exists, else ``surrogate``. The answer at the confidence c is the c-quantile of
the required values (the (1 − c)-quantile where the requirement is met below the answer).

Output in DIR: ``answer.json``, ``runs.csv`` (every FE run: role, design value, uncertain
inputs, metric, margin, status), ``samples.csv`` (the uncertainty samples), ``plots/*.png``,
``report/index.html`` and ``runs/`` (the sweep directory: one run directory per FE run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import time
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from solver.errors import InputError

SECTIONS = ("design", "variable", "objective", "strategy", "uncertain", "uncertainty")
DESIGN_KEYS = ("case", "name", "set")
VARIABLE_KEYS = ("key", "keys", "factors", "name", "bounds", "values", "scale")
OBJECTIVE_KEYS = ("metric", "at", "op", "value")
STRATEGY_KEYS = ("tolerance", "max_runs", "reduced", "reduced_margin")
UNCERTAIN_KEYS = ("key", "name", "distribution", "mean", "std", "median", "sigma", "bounds")
UNCERTAINTY_KEYS = (
    "samples",
    "seed",
    "confidence",
    "method",
    "tolerance",
    "surrogate_runs",
    "surrogate_samples",
    "design_range",
)
OPS = ("<=", ">=")
SMOOTHING = (0.0, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)  # the surrogate's, chosen by leave-one-out
DISTRIBUTIONS = {"normal": ("mean", "std"), "lognormal": ("median", "sigma"), "uniform": ()}
METHODS = ("auto", "fe", "reduced", "surrogate")
STATE = "design.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_CYCLES = re.compile(r"^\s*after\s+(\d+)\s+cycles?\s*$")


def _show(v: Any) -> str:
    return repr(v) if isinstance(v, str) else json.dumps(v)


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


# ----------------------------------------------------------------------- the objective


def metric_unit(metric: str) -> str | None:
    """The unit of a timeseries metric (``solver.metrics.COLUMN_UNITS``), None for a summary
    metric (``summary.<key>``); raises KeyError for an unknown name."""
    if metric.startswith("summary."):
        return None
    from solver.metrics import COLUMN_UNITS

    return COLUMN_UNITS[metric]


def parse_value(text: Any, unit: str | None) -> float:
    """The requirement's value in the metric's unit: a number (already in it) or a quantity
    with a unit of the same dimension (project units, :mod:`solver.units`). Raises ValueError."""
    from solver.units import _QTY, UnitError, parse_unit

    if _num(text):
        return float(text)
    if not isinstance(text, str):
        raise ValueError("not a number or quantity")
    m = _QTY.match(text)
    if not m:
        raise ValueError("not a number or quantity")
    num, utext = float(m.group(1)), m.group(2)
    if not utext:
        return num
    try:
        f, dim = parse_unit(utext)
        if unit is None:  # a summary metric: SI
            return num * f
        fu, dimu = parse_unit(unit)
    except UnitError as e:
        raise ValueError(str(e)) from None
    if dim != dimu:
        raise ValueError(f"the unit '{utext}' is not one of the metric's ('{unit}')")
    return num * f / fu


def parse_at(text: Any) -> dict:
    """``"end"`` | ``"after N cycles"`` | a time (``"1 h"``, seconds as a number) -> a dict
    (kind end / cycles n / time t [s]). Raises ValueError."""
    from solver.units import UnitError, to_si

    if text is None or text == "end":
        return {"kind": "end"}
    if isinstance(text, str):
        m = _CYCLES.match(text)
        if m:
            n = int(m.group(1))
            if n < 1:
                raise ValueError("N >= 1 cycles")
            return {"kind": "cycles", "n": n}
    try:
        t = to_si(text, "time")
    except (UnitError, ValueError, TypeError):
        raise ValueError("not a time") from None
    if not (t >= 0 and math.isfinite(t)):
        raise ValueError("not a time >= 0")
    return {"kind": "time", "t": float(t)}


def at_text(at: dict) -> str:
    """``{"kind": "cycles", "n": 1}`` -> ``"after 1 cycle(s)"`` (the objective's time, shown)."""
    if at["kind"] == "cycles":
        return f"after {at['n']} cycle(s)"
    return f"t = {at['t']:g} s" if at["kind"] == "time" else "the end"


class MetricError(ValueError):
    """The run does not give the metric (ended before the time, fewer cycles, no column)."""


def metric_of(run_dir: str | os.PathLike, objective: dict) -> float:
    """The objective's metric of a completed run directory: a ``timeseries.csv`` column at the
    end (its last finite value), at a time (linear interpolation between the rows) or at the
    end of the N-th cycle (the last row of the 2N-th segment of one current sign, the rests not
    counted), or a summary value (``summary.ageing.t_star_pad``). Raises :class:`MetricError`."""
    rd = Path(run_dir)
    metric, at = objective["metric"], objective["at"]
    if metric.startswith("summary."):
        node: Any = json.loads((rd / "summary.json").read_text())
        for part in metric.split(".")[1:]:
            if not isinstance(node, dict) or part not in node:
                raise MetricError(f"{metric}: not in the run's summary.json")
            node = node[part]
        if not _num(node) and not (isinstance(node, float) and math.isinf(node)):
            raise MetricError(f"{metric}: {node!r} is not a number")
        return float(node)
    from solver.results import read_timeseries_frame

    try:
        df = read_timeseries_frame(rd / "timeseries.csv")
    except FileNotFoundError:
        raise MetricError("the run wrote no timeseries.csv") from None
    if metric not in df.columns:
        raise MetricError(f"{metric}: no such column in the run's timeseries.csv")
    y = df[metric].to_numpy(dtype=float)
    t = df["time"].to_numpy(dtype=float)
    ok = np.isfinite(y)
    if not ok.any():
        raise MetricError(f"{metric}: no finite value in the run's timeseries.csv")
    if at["kind"] == "end":
        return float(y[ok][-1])
    if at["kind"] == "time":
        if at["t"] > t[ok][-1] * (1 + 1e-9) or at["t"] < t[ok][0] * (1 - 1e-9):
            raise MetricError(
                f"{metric}: the run has values for t = {t[ok][0]:g} to {t[ok][-1]:g} s, not at "
                f"{at['t']:g} s"
            )
        return float(np.interp(at["t"], t[ok], y[ok]))
    if "current_density_applied" not in df.columns:
        raise MetricError("after N cycles: the run has no current (no current_density_applied)")
    j = df["current_density_applied"].to_numpy(dtype=float)
    sign = np.where(np.isfinite(j), np.sign(j), 0.0)
    seg, last, ends = 0, 0.0, []
    for i, s in enumerate(sign):
        if s == 0:
            continue
        if s != last:
            seg += 1
            ends.append(i)
            last = s
        else:
            ends[-1] = i
    need = 2 * at["n"]
    if seg < need:
        raise MetricError(
            f"after {at['n']} cycles: the run has {seg // 2} full cycle(s) ({seg} current segments)"
        )
    i_end = ends[need - 1]
    rows = np.nonzero(ok[: i_end + 1])[0]
    return float(y[rows[-1]])


def margin(objective: dict, m: float) -> float:
    """g = value − metric for ``<=``, metric − value for ``>=``: the requirement holds where
    g ≥ 0 (in the metric's unit)."""
    return objective["value"] - m if objective["op"] == "<=" else m - objective["value"]


# ----------------------------------------------------------------------- the reduced models


def _at_time(case, at: dict) -> float | None:
    """The time of the objective in the case's protocol (end: the protocol's duration)."""
    steps = case.resolved["loading"]["protocol"]
    total = float(sum(s["duration"] for s in steps))
    if at["kind"] == "end":
        return total
    if at["kind"] == "time":
        return at["t"]
    return None


def reduced_pad_pressure(case, objective: dict) -> float | None:
    """Interface pressure (``mean_pressure`` / ``min_pressure``, Pa) of a held platen over a
    relaxing pad and a growing interphase: p(t) = |δ| / (t_pad/M(t) + h(t)/E'), M(t) = f (E2 +
    E1 e^(−t/τ)) the pad's relaxation modulus in uniaxial strain (rollers: f = (1 − ν)/((1 +
    ν)(1 − 2ν)); free sides f = 1), h(t) the parabolic interphase (physics.ageing,
    docs/theory.md §7.2–7.3), the rest of the stack rigid. Exact for a rigid rest and one
    mechanism at a time; None where it does not apply (no displacement-controlled stack with a
    pad under physics.ageing)."""
    from solver.reduced import sei_thickness, sls_pressure

    r = case.resolved
    if objective["metric"] not in ("mean_pressure", "min_pressure"):
        return None
    if r["loading"].get("pressure_mode") != "displacement" or not case.physics.get("ageing"):
        return None
    pad = case.materials.get("pad")
    t_pad = case.geometry.get("t_pad")
    if not pad or not t_pad or None in (pad.get("E1"), pad.get("E2"), pad.get("tau")):
        return None
    t = _at_time(case, objective["at"])
    if t is None:
        return None
    delta, elapsed = None, 0.0
    for s in r["loading"]["protocol"]:
        if elapsed > t:
            break
        if s.get("displacement") is not None:
            delta = abs(float(s["displacement"]))
        elapsed += float(s["duration"])
    if not delta:
        return None
    nu = pad.get("nu")
    f = (
        (1 - nu) / ((1 + nu) * (1 - 2 * nu))
        if r["loading"].get("lateral") == "roller" and nu is not None
        else 1.0
    )
    M = float(sls_pressure(t, f * pad["E1"], f * pad["E2"], pad["tau"], 1.0))
    a = r["ageing"]
    h = float(
        sei_thickness(
            t,
            r["interface"].get("h_sei0") or 0.0,
            a["sei_molar_volume"],
            a["sei_D"],
            a["sei_c_inf"],
        )
    )
    return delta / (t_pad / M + h / a["sei_E"])


def reduced_asr(case, objective: dict) -> float | None:
    """``asr_interfacial`` [Ohm cm^2] of the screen (:func:`solver.screen.screen_case`) where it
    fixes the interface state (no mechanics, or ``[[interface.debonded]]`` of shape "all"); the
    screen's ASR does not change in time. None where the screen leaves it to the FE."""
    if objective["metric"] != "asr_interfacial":
        return None
    from solver.screen import screen_case

    return screen_case(case)["quantities"].get("asr_interfacial", {}).get("value")


# metric -> the reduced models that may predict it (the first that applies is used)
REDUCED_MODELS = {
    "mean_pressure": (reduced_pad_pressure,),
    "min_pressure": (reduced_pad_pressure,),
    "asr_interfacial": (reduced_asr,),
}


def reduced_metric(design: dict, overrides: dict) -> tuple[float | None, str | None]:
    """(the reduced model's metric for the base case with ``overrides``, the model's name), or
    (None, None) where no reduced model applies."""
    from solver import overrides as ov

    models = REDUCED_MODELS.get(design["objective"]["metric"], ())
    if not models:
        return None, None
    try:
        case, _ = ov.load_case(design["case"], {**design["set"], **overrides})
    except InputError:
        return None, None
    for fn in models:
        v = fn(case, design["objective"])
        if v is not None and math.isfinite(v):
            return float(v), fn.__name__
    return None, None


# ----------------------------------------------------------------------- the design file


def _dist(u: dict):
    """The frozen scipy.stats distribution of an uncertain input (SI parameters)."""
    from scipy import stats

    p = u["params_si"]
    if u["distribution"] == "normal":
        return stats.norm(loc=p["mean"], scale=p["std"])
    if u["distribution"] == "lognormal":
        return stats.lognorm(s=p["sigma"], scale=p["median"])
    lo, hi = p["bounds"]
    return stats.uniform(loc=lo, scale=hi - lo)


def _var_overrides(var: dict, x: float) -> dict:
    return {k: f * x for k, f in zip(var["keys"], var["factors"])}


def load_design(path: str | os.PathLike) -> dict:
    """Read and check a design file; return the design (SI numbers). Raises
    :class:`InputError` (one line per problem, naming the key and the allowed range)."""
    from solver.sweep import _si, keys_and_factors

    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"design file '{p}': no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"design file '{p}': cannot read ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"design file '{p}': TOML syntax error: {e}") from None
    bad: list[str] = []
    for sec in raw:
        if sec not in SECTIONS:
            bad.append(f"{sec}: unknown section, allowed {', '.join(SECTIONS)}")

    def table(name: str, keys: tuple[str, ...]) -> dict:
        t = raw.get(name, {})
        if not isinstance(t, dict):
            bad.append(f"{name}: allowed a table ([{name}])")
            return {}
        for k in t:
            if k not in keys:
                bad.append(f"{name}.{k}: unknown key, allowed {', '.join(keys)}")
        return t

    d = table("design", DESIGN_KEYS)
    base = None
    if not isinstance(d.get("case"), str):
        bad.append("design.case: missing, allowed the path of the base case file (TOML)")
    else:
        base = (p.resolve().parent / d["case"]).resolve()
        if not base.is_file():
            bad.append(f"design.case: got {_show(d['case'])}, no such file ('{base}')")
            base = None
    name = d.get("name", p.stem)
    if not isinstance(name, str) or not _NAME.match(name):
        bad.append(f"design.name: got {_show(name)}, allowed letters, digits and _ . + -")
    fixed = d.get("set", {})
    if not isinstance(fixed, dict):
        bad.append(f"design.set: got {_show(fixed)}, allowed a table of KEY = VALUE overrides")
        fixed = {}
    if base is not None and not bad:
        from solver import overrides as ov

        try:
            ov.load_case(base, fixed)
        except InputError as e:
            bad += [f"design.set: {x}" for x in e.problems]
    if bad:
        raise InputError(bad)

    # the variables
    variables = raw.get("variable", [])
    if not isinstance(variables, list) or not all(isinstance(v, dict) for v in variables):
        raise InputError("variable: allowed [[variable]] tables")
    if not 1 <= len(variables) <= 2:
        bad.append(
            f"variable: got {len(variables)} [[variable]] tables, allowed 1 (searched) or 2 "
            "(the second at levels)"
        )
    out_vars = []
    for i, v in enumerate(variables[:2]):
        where = f"variable[{i}]"
        checked = keys_and_factors(v, where, VARIABLE_KEYS, bad)
        if checked is None:
            continue
        keys, factors = checked
        vname = v.get("name", keys[0])
        which = "bounds" if i == 0 else "values"
        given = v.get(which)
        other = "values" if i == 0 else "bounds"
        if other in v:
            bad.append(
                f"{where}.{other}: allowed only {which} for the "
                + ("searched variable (bounds = [low, high])" if i == 0 else "second variable")
            )
            continue
        if not isinstance(given, list) or (i == 0 and len(given) != 2) or not given:
            bad.append(
                f"{where}.{which}: got {_show(given)}, allowed "
                + ("[low, high]" if i == 0 else "a non-empty list of levels")
            )
            continue
        si = []
        for x in given:
            try:
                val = _si(str(base), fixed, keys[0], x)
            except InputError as e:  # one line: the first value that the key refuses
                bad.append(f"{where}.{which} ({keys[0]} = {_show(x)}): {e.problems[0]}")
                break
            if not _num(val):
                bad.append(f"{where}.{which}: got {_show(x)}, allowed numbers (a numeric key)")
                continue
            si.append(float(val))
        if len(si) != len(given):
            continue
        if i == 0:
            lo, hi = sorted(si)
            if not lo < hi:
                bad.append(f"{where}.bounds: got {_show(given)}, allowed two different values")
                continue
            scale = v.get("scale", "log" if lo * hi > 0 else "linear")
            if scale not in ("log", "linear") or (scale == "log" and lo * hi <= 0):
                bad.append(
                    f"{where}.scale: got {_show(scale)}, allowed linear, or log where both "
                    "bounds have the same sign (not 0)"
                )
                continue
            # every key of the variable must take the bounds (checked as a run would)
            for x in (lo, hi):
                try:
                    from solver import overrides as ov

                    ov.load_case(base, {**fixed, **{k: f * x for k, f in zip(keys, factors)}})
                except InputError as e:
                    bad.append(f"{where}.bounds ({x:g} SI): {e.problems[0]}")
            out_vars.append(
                {
                    "name": vname,
                    "keys": keys,
                    "factors": factors,
                    "bounds": [lo, hi],
                    "scale": scale,
                    "given": given,
                }  # fmt: skip
            )
        else:
            if "scale" in v:
                bad.append(f"{where}.scale: allowed only for the searched variable")
            out_vars.append(
                {"name": vname, "keys": keys, "factors": factors, "values": si, "given": given}
            )

    # the objective
    o = table("objective", OBJECTIVE_KEYS)
    objective: dict[str, Any] = {}
    metric = o.get("metric")
    unit = None
    try:
        if not isinstance(metric, str):
            raise KeyError
        unit = metric_unit(metric)
        if unit is not None and "depth" in unit:
            bad.append(
                f"objective.metric: got {_show(metric)} (per depth of a 2D run), allowed an "
                "intensive timeseries column or summary.<key>"
            )
    except KeyError:
        from solver.metrics import COLUMN_UNITS

        names = ", ".join(k for k, u in COLUMN_UNITS.items() if "depth" not in u)
        bad.append(
            f"objective.metric: got {_show(metric)}, allowed a timeseries column ({names}) or "
            "summary.<dotted key> (e.g. summary.ageing.t_star_pad)"
        )
        metric = None
    op = o.get("op")
    if op not in OPS:
        bad.append(f"objective.op: got {_show(op)}, allowed {' or '.join(OPS)}")
    try:
        at = parse_at(o.get("at", "end"))
        if metric and metric.startswith("summary.") and at["kind"] != "end":
            bad.append("objective.at: allowed only 'end' for a summary metric")
    except ValueError:
        bad.append(
            f"objective.at: got {_show(o.get('at'))}, allowed 'end', 'after N cycles' (N >= 1) "
            "or a time >= 0 (e.g. '1 h')"
        )
        at = None
    value = None
    if "value" not in o:
        bad.append("objective.value: missing, allowed a number or a quantity with a unit")
    elif metric is not None:
        try:
            value = parse_value(o["value"], unit)
        except ValueError as e:
            bad.append(
                f"objective.value: got {_show(o['value'])} ({e}), allowed a finite number in "
                f"the metric's unit '{unit}' or a quantity of its dimension"
                if unit
                else f"objective.value: got {_show(o['value'])} ({e}), allowed a finite number"
            )
    objective = {"metric": metric, "unit": unit, "op": op, "at": at, "value": value,
                 "given": {k: o.get(k) for k in OBJECTIVE_KEYS}}  # fmt: skip

    # the strategy
    s = table("strategy", STRATEGY_KEYS)
    strategy = {
        "tolerance": s.get("tolerance", 0.02),
        "max_runs": s.get("max_runs", 20),
        "reduced": s.get("reduced", True),
        "reduced_margin": s.get("reduced_margin", 0.1),
    }
    if not _num(strategy["tolerance"]) or not 0 < strategy["tolerance"] < 1:
        bad.append(f"strategy.tolerance: got {_show(strategy['tolerance'])}, allowed 0 < t < 1")
    mr = strategy["max_runs"]
    if not isinstance(mr, int) or isinstance(mr, bool) or mr < 2:
        bad.append(f"strategy.max_runs: got {_show(mr)}, allowed an integer >= 2")
    if not isinstance(strategy["reduced"], bool):
        bad.append(f"strategy.reduced: got {_show(strategy['reduced'])}, allowed true or false")
    rm = strategy["reduced_margin"]
    if not _num(rm) or not 0 < rm < 1:
        bad.append(f"strategy.reduced_margin: got {_show(rm)}, allowed 0 < margin < 1")

    # the uncertain inputs
    unc = raw.get("uncertain", [])
    if not isinstance(unc, list) or not all(isinstance(u, dict) for u in unc):
        bad.append("uncertain: allowed [[uncertain]] tables")
        unc = []
    uncertain = []
    for i, u in enumerate(unc):
        where = f"uncertain[{i}]"
        for k in u:
            if k not in UNCERTAIN_KEYS:
                bad.append(f"{where}.{k}: unknown key, allowed {', '.join(UNCERTAIN_KEYS)}")
        key = u.get("key")
        if not isinstance(key, str):
            bad.append(f"{where}.key: got {_show(key)}, allowed a dotted case-file key")
            continue
        dist = u.get("distribution")
        if dist not in DISTRIBUTIONS:
            bad.append(
                f"{where}.distribution: got {_show(dist)}, allowed {', '.join(DISTRIBUTIONS)}"
            )
            continue
        need = DISTRIBUTIONS[dist] or ("bounds",)
        extra = [
            k for k in ("mean", "std", "median", "sigma", "bounds") if k in u and k not in need
        ]
        if extra or any(k not in u for k in need):
            bad.append(
                f"{where}: distribution {dist} takes {', '.join(need)}"
                + (f", got {', '.join(extra)} too" if extra else "")
            )
            continue
        params: dict[str, Any] = {}
        ok = True
        for k in need:
            if k == "sigma":  # the standard deviation of ln(x): a number
                if not _num(u[k]) or u[k] <= 0:
                    bad.append(f"{where}.sigma: got {_show(u[k])}, allowed a number > 0")
                    ok = False
                params[k] = u[k]
                continue
            vals = u[k] if k == "bounds" else [u[k]]
            if k == "bounds" and (not isinstance(vals, list) or len(vals) != 2):
                bad.append(f"{where}.bounds: got {_show(vals)}, allowed [low, high]")
                ok = False
                continue
            si = []
            for x in vals:
                try:
                    si.append(_si(str(base), fixed, key, x))
                except InputError as e:
                    bad.append(f"{where}.{k} ({key} = {_show(x)}): {e.problems[0]}")
                    ok = False
            if not ok or not all(map(_num, si)):
                if ok:
                    bad.append(f"{where}.{k}: allowed numbers (a numeric key)")
                ok = False
                continue
            params[k] = [float(x) for x in si] if k == "bounds" else float(si[0])
        if not ok:
            continue
        if dist == "normal" and params["std"] <= 0:
            bad.append(f"{where}.std: got {_show(u['std'])}, allowed > 0")
            continue
        if dist == "lognormal" and params["median"] <= 0:
            bad.append(f"{where}.median: got {_show(u['median'])}, allowed > 0")
            continue
        if dist == "uniform" and not params["bounds"][0] < params["bounds"][1]:
            bad.append(f"{where}.bounds: got {_show(u['bounds'])}, allowed low < high")
            continue
        uncertain.append({"name": u.get("name", key), "key": key, "distribution": dist,
                          "params_si": params})  # fmt: skip
    un = table("uncertainty", UNCERTAINTY_KEYS)
    uq = {
        "samples": un.get("samples", 8),
        "seed": un.get("seed", 0),
        "confidence": un.get("confidence", 0.9),
        "method": un.get("method", "auto"),
        "tolerance": un.get("tolerance", strategy["tolerance"]),
        "surrogate_runs": un.get("surrogate_runs", 8),
        "surrogate_samples": un.get("surrogate_samples", 256),
        "design_range": un.get("design_range", 0.5),
    }
    for k in ("samples", "surrogate_runs", "surrogate_samples"):
        x = uq[k]
        if not isinstance(x, int) or isinstance(x, bool) or x < 2:
            bad.append(f"uncertainty.{k}: got {_show(x)}, allowed an integer >= 2")
    if not isinstance(uq["seed"], int) or isinstance(uq["seed"], bool) or uq["seed"] < 0:
        bad.append(f"uncertainty.seed: got {_show(uq['seed'])}, allowed an integer >= 0")
    if not _num(uq["confidence"]) or not 0.5 <= uq["confidence"] < 1:
        bad.append(f"uncertainty.confidence: got {_show(uq['confidence'])}, allowed 0.5 <= c < 1")
    if uq["method"] not in METHODS:
        bad.append(f"uncertainty.method: got {_show(uq['method'])}, allowed {', '.join(METHODS)}")
    if not _num(uq["tolerance"]) or not 0 < uq["tolerance"] < 1:
        bad.append(f"uncertainty.tolerance: got {_show(uq['tolerance'])}, allowed 0 < t < 1")
    if not _num(uq["design_range"]) or not 0 < uq["design_range"] <= 10:
        bad.append(
            f"uncertainty.design_range: got {_show(uq['design_range'])}, allowed 0 < r <= 10"
        )
    if "uncertainty" in raw and not unc:
        bad.append("uncertainty: allowed only with [[uncertain]] inputs")
    if bad:
        raise InputError(bad)
    design = {
        "name": name,
        "file": str(p.resolve()),
        "text": p.read_text(encoding="utf-8"),
        "case": str(base),
        "set": fixed,
        "variables": out_vars,
        "objective": objective,
        "strategy": strategy,
        "uncertain": uncertain,
        "uncertainty": uq if uncertain else None,
    }
    if uncertain and uq["method"] == "reduced":
        x0 = out_vars[0]["bounds"][0]
        if reduced_metric(design, _var_overrides(out_vars[0], x0))[0] is None:
            raise InputError(
                f"uncertainty.method: got 'reduced', allowed fe or surrogate: no reduced model "
                f"predicts {metric} for this case (reduced models: "
                f"{', '.join(REDUCED_MODELS)}, docs/theory.md §8.10)"
            )
    return design


# ----------------------------------------------------------------------- the FE runs


def run_name(role: str, overrides: dict) -> str:
    """The name of an FE run: its role and a hash of its overrides (a rerun of the design finds
    the runs it made before by name)."""
    h = hashlib.sha1(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:10]
    return f"{role}-{h}"


def _sweep_metric(metric: str) -> str:
    """The results-table column of the objective's metric (``ssbx sweep report DIR/runs``)."""
    return metric.removeprefix("summary.") if metric.startswith("summary.") else f"final.{metric}"


class Runner:
    """The FE runs of a design, through the sweep machinery in ``DIR/runs`` (a sweep directory
    whose cases grow as the searches need them)."""

    def __init__(self, design: dict, out: Path, args: argparse.Namespace, echo=print):
        from solver import sweep as sw

        self.design, self.args, self.echo = design, args, echo
        self.dir = out / "runs"
        self.sw = sw
        self.records: dict[str, dict] = {}
        names = [v["name"] for v in design["variables"]] + [u["name"] for u in design["uncertain"]]
        self.sweep = {
            "name": design["name"],
            "file": design["file"],
            "case": design["case"],
            "design": "design",
            "samples": None,
            "seed": 0,
            "seeds": None,
            "seed_key": "geometry.seed",
            "second_order": False,
            "metrics": [_sweep_metric(design["objective"]["metric"])],
            "set": design["set"],
            "parameters": [{"name": n, "keys": [n], "factors": [1]} for n in names],
            "cases": [],
        }
        state = self.dir / sw.STATE
        if state.is_file():
            old = json.loads(state.read_text())
            if old.get("case") != design["case"]:
                raise InputError(
                    f"design -o: '{out}' holds the runs of another base case, allowed the same "
                    "design (to resume it) or a new directory"
                )
            self.sweep["cases"] = old["cases"]

    @property
    def count(self) -> int:
        return len(self.records)

    def evaluate(self, points: list[tuple[str, dict, dict]]) -> list[dict]:
        """Run (or find done) the FE runs ``points`` = [(role, {design var: x}, {uncertain
        key: value})] at once; return their records: name, role, inputs, metric, margin,
        status, reason."""
        sw = self.sw
        design = self.design
        idx, recs = [], []
        known = {c["name"]: i for i, c in enumerate(self.sweep["cases"])}
        for role, xs, theta in points:
            ovr = dict(design["set"])
            inputs: dict[str, float] = {}
            for v in design["variables"]:
                if v["name"] in xs:
                    ovr.update(_var_overrides(v, xs[v["name"]]))
                    inputs[v["name"]] = xs[v["name"]]
            for u in design["uncertain"]:
                if u["key"] in theta:
                    ovr[u["key"]] = theta[u["key"]]
                    inputs[u["name"]] = theta[u["key"]]
            name = run_name(role, ovr)
            if name not in known:
                known[name] = len(self.sweep["cases"])
                self.sweep["cases"].append({"name": name, "overrides": ovr, "inputs": inputs})
            idx.append(known[name])
        from solver import rundir

        for sub in ("cases", "status", "logs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        rundir.write_text_atomic(self.dir / sw.STATE, json.dumps(self.sweep, indent=2) + "\n")
        todo = sorted(
            {i for i in idx if sw.case_status(self.dir, self.sweep["cases"][i]["name"])["status"]
             in ("pending",) or (self.args.retry_failed and sw.case_status(
                 self.dir, self.sweep["cases"][i]["name"])["status"] == "failed")}
        )  # fmt: skip
        if todo:
            self._run(todo)
        for (role, _, _), i in zip(points, idx):
            c = self.sweep["cases"][i]
            st = sw.case_status(self.dir, c["name"])
            rec = {"name": c["name"], "role": role, **c["inputs"], "status": st["status"],
                   "metric": None, "margin": None, "satisfied": None,
                   "reason": st.get("reason")}  # fmt: skip
            if st["status"] == "completed":
                try:
                    m = metric_of(self.dir / "cases" / c["name"], design["objective"])
                    g = margin(design["objective"], m)
                    rec.update(metric=m, margin=g, satisfied=bool(g >= 0))
                except MetricError as e:
                    rec.update(status="failed", reason=str(e))
            elif st["status"] == "pending":
                rec["reason"] = "not run (stopped, or the slurm array did not finish it)"
            self.records[c["name"]] = rec
            recs.append(rec)
        return recs

    def _run(self, todo: list[int]) -> None:
        sw, a = self.sw, self.args
        names = ", ".join(self.sweep["cases"][i]["name"] for i in todo)
        self.echo(f"  FE: {len(todo)} run(s) ({names})")
        if a.backend == "slurm":
            sw.submit_slurm(
                self.sweep, self.dir, sw.sbatch_script(self.sweep, self.dir, todo, a), True,
                echo=self.echo,
            )  # fmt: skip
        elif a.backend == "mpi4py":
            sw.run_mpi4py(self.sweep, self.dir, todo, echo=self.echo, max_time=a.case_max_time)
        else:
            sw.run_local(
                self.sweep, self.dir, todo, a.jobs or 1, a.ranks, a.mpirun, echo=self.echo,
                max_time=a.case_max_time,
            )  # fmt: skip


# ----------------------------------------------------------------------- the search


class Scale:
    """The design variable's coordinate u: ln|x| (log) or x (linear); bisection halves u."""

    def __init__(self, var: dict):
        self.log = var["scale"] == "log"
        lo, hi = var["bounds"]
        self.sign = 1.0 if lo > 0 else -1.0
        self.u_bounds = sorted((self.u(lo), self.u(hi)))

    def u(self, x: float) -> float:
        return math.log(abs(x)) if self.log else x

    def x(self, u: float) -> float:
        return self.sign * math.exp(u) if self.log else u


def rel_width(lo: float, hi: float) -> float:
    """Relative width (hi − lo)/|mid| of a bracket (x values)."""
    mid = 0.5 * (abs(lo) + abs(hi)) if lo * hi > 0 else max(abs(lo), abs(hi))
    return abs(hi - lo) / mid if mid else math.inf


def reduced_answer(design: dict, fixed: dict, theta: dict) -> dict | None:
    """Solve the reduced model's requirement for the design variable (a scan of 41 points of
    the bounds in the variable's scale, Brent's method at the first sign change). Returns
    {x, model, direction (+1: met above x), monotone, scan} or None (no reduced model, or the
    requirement does not change over the bounds)."""
    from scipy.optimize import brentq

    var = design["variables"][0]
    sc = Scale(var)
    obj = design["objective"]

    def g(u):
        m, model = reduced_metric(design, {**fixed, **_var_overrides(var, sc.x(u)), **theta})
        return (None, None) if m is None else (margin(obj, m), model)

    us = np.linspace(*sc.u_bounds, 41)
    vals, model = [], None
    for u in us:
        gv, mdl = g(u)
        if gv is None:
            return None
        vals.append(gv)
        model = mdl
    vals = np.array(vals)
    d = np.diff(vals)
    monotone = bool(
        (d >= -1e-12 * np.abs(vals).max()).all() or (d <= 1e-12 * np.abs(vals).max()).all()
    )
    change = np.nonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]
    scan = [(sc.x(u), obj["value"] - v if obj["op"] == "<=" else v + obj["value"])
            for u, v in zip(us, vals)]  # fmt: skip
    if not len(change):
        return {"x": None, "model": model, "direction": None, "monotone": monotone, "scan": scan,
                "met": bool(vals[0] >= 0)}  # fmt: skip
    k = change[0]
    u0 = brentq(lambda u: g(u)[0], us[k], us[k + 1], xtol=1e-12, rtol=1e-12)
    direction = 1 if vals[k + 1] >= 0 else -1
    return {"x": sc.x(u0), "u": u0, "model": model, "direction": direction,
            "monotone": monotone, "scan": scan}  # fmt: skip


def search(design: dict, runner: Runner, role: str, fixed: dict, theta: dict,
           start: float | None, direction: int | None, tol: float, jobs: int,
           echo=print) -> dict:  # fmt: skip
    """The FE search of one context (the second variable's level ``fixed``, the uncertain inputs
    ``theta``): bracket the requirement's crossing by FE runs on both sides and cut the bracket
    until its relative width is below ``tol`` (``jobs`` runs a round). ``start``: the reduced
    model's answer (the first bracket is start × (1 ∓ reduced_margin)); ``direction``: +1 where
    the requirement is met above it (the reduced model's), else unknown (the bounds first)."""
    var = design["variables"][0]
    sc = Scale(var)
    name = var["name"]
    strat = design["strategy"]
    ulo, uhi = sc.u_bounds
    evals: dict[float, dict] = {}  # u -> record

    def run(us: list[float]) -> None:
        us = [u for u in us if u not in evals]
        if not us:
            return
        recs = runner.evaluate([(role, {**fixed, name: sc.x(u)}, theta) for u in us])
        for u, r in zip(us, recs):
            evals[u] = r

    def failed() -> list[dict]:
        return [r for r in evals.values() if r["status"] != "completed"]

    result: dict[str, Any] = {"role": role, "fixed": fixed, "theta": theta, "status": None}
    # the first bracket
    if start is not None and ulo < sc.u(start) < uhi:
        us0 = sc.u(start)
        h = math.log1p(strat["reduced_margin"]) if sc.log else strat["reduced_margin"] * abs(start)
        a, b = max(ulo, us0 - h), min(uhi, us0 + h)
        run([a, b])
        while not failed() and evals[a]["satisfied"] == evals[b]["satisfied"]:
            if len(evals) >= strat["max_runs"]:
                result.update(status="max_runs", reason=f"strategy.max_runs = {strat['max_runs']}")
                return _finish(result, evals, sc, design)
            met = evals[a]["satisfied"]
            # the crossing lies where the requirement flips: below if met and met above (dir +1)
            down = (met and (direction or 1) > 0) or (not met and (direction or 1) < 0)
            width = 2 * (b - a)
            if down:
                if a <= ulo:
                    break
                a, b = max(ulo, a - width), a
            else:
                if b >= uhi:
                    break
                a, b = b, min(uhi, b + width)
            run([a, b])
        lo_u, hi_u = a, b
    else:
        lo_u, hi_u = ulo, uhi
        run([lo_u, hi_u])
    if failed():
        result.update(status="failed", reason="; ".join(
            f"{r['name']}: {r['reason']}" for r in failed()))  # fmt: skip
        return _finish(result, evals, sc, design)
    if evals[lo_u]["satisfied"] == evals[hi_u]["satisfied"]:
        met = evals[lo_u]["satisfied"]
        result.update(
            status="met_everywhere" if met else "not_met",
            reason=f"the requirement is {'met' if met else 'not met'} at both ends "
            f"({sc.x(lo_u):g}, {sc.x(hi_u):g}) of the range searched",
        )
        return _finish(result, evals, sc, design)
    # k-section
    while True:
        w = rel_width(sc.x(lo_u), sc.x(hi_u))
        if w <= tol:
            result["status"] = "converged"
            break
        k = max(1, min(jobs, strat["max_runs"] - len(evals)))
        if len(evals) >= strat["max_runs"]:
            result.update(status="max_runs", reason=f"strategy.max_runs = {strat['max_runs']}")
            break
        us = [lo_u + (hi_u - lo_u) * (i + 1) / (k + 1) for i in range(k)]
        run(us)
        if failed():
            result.update(status="failed", reason="; ".join(
                f"{r['name']}: {r['reason']}" for r in failed()))  # fmt: skip
            break
        pts = sorted(u for u in evals if lo_u <= u <= hi_u)
        sat = [evals[u]["satisfied"] for u in pts]
        for i in range(len(pts) - 1):
            if sat[i] != sat[i + 1]:
                lo_u, hi_u = pts[i], pts[i + 1]
                break
    result["bracket_u"] = (lo_u, hi_u)
    return _finish(result, evals, sc, design)


def _finish(result: dict, evals: dict, sc: Scale, design: dict) -> dict:
    """The answer of a search from its FE runs: bracket (x, sorted), the end that meets the
    requirement (``value``: the conservative answer), an interpolated estimate, the direction,
    the monotone check, the runs."""
    pts = sorted((u, r) for u, r in evals.items() if r["status"] == "completed")
    result["runs"] = [r["name"] for _, r in sorted(evals.items())]
    result["n_runs"] = len(evals)
    ms = [r["metric"] for _, r in pts]
    d = np.diff(ms)
    result["monotone"] = bool(len(ms) < 3 or (d >= 0).all() or (d <= 0).all())
    sat = [r["satisfied"] for _, r in pts]
    result["sign_changes"] = int(sum(a != b for a, b in zip(sat, sat[1:])))
    if "bracket_u" in result:
        lo_u, hi_u = result.pop("bracket_u")
        ra, rb = evals[lo_u], evals[hi_u]
        xa, xb = sc.x(lo_u), sc.x(hi_u)
        ga, gb = ra["margin"], rb["margin"]
        u_est = lo_u + (hi_u - lo_u) * ga / (ga - gb) if ga != gb else 0.5 * (lo_u + hi_u)
        feas_x = xa if ra["satisfied"] else xb
        result.update(
            bracket=sorted([xa, xb]),
            bracket_runs=[ra["name"], rb["name"]] if xa < xb else [rb["name"], ra["name"]],
            value=feas_x,
            estimate=sc.x(u_est),
            relative_width=rel_width(xa, xb),
            direction="minimum" if feas_x == max(xa, xb) else "maximum",
        )
    return result


# ----------------------------------------------------------------------- uncertainty


def lhs_samples(design: dict, n: int | None = None) -> list[dict]:
    """The Latin hypercube of the uncertain inputs (scipy.stats.qmc, seeded), mapped through
    each input's inverse CDF: [{key: SI value}] of ``n`` (uncertainty.samples) samples."""
    from scipy.stats import qmc

    uq, unc = design["uncertainty"], design["uncertain"]
    n = n or uq["samples"]
    unit = qmc.LatinHypercube(d=len(unc), seed=uq["seed"]).random(n)
    return [{u["key"]: float(_dist(u).ppf(row[j])) for j, u in enumerate(unc)} for row in unit]


def quantiles(values: np.ndarray, direction: str, confidence: float) -> dict:
    """Statistics of the required design values: the value at the confidence (the c-quantile
    where the requirement is met above the answer, 'minimum'; the (1 − c)-quantile for
    'maximum'), mean, std, P10, P50, P90, spread (P90 − P10) and relative spread."""
    v = np.asarray(values, dtype=float)
    q = confidence if direction == "minimum" else 1 - confidence
    p10, p50, p90 = np.quantile(v, [0.1, 0.5, 0.9])
    return {
        "value_at_confidence": float(np.quantile(v, q)),
        "confidence": confidence,
        "quantile": q,
        "mean": float(v.mean()),
        "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
        "P10": float(p10),
        "P50": float(p50),
        "P90": float(p90),
        "spread": float(p90 - p10),
        "relative_spread": float((p90 - p10) / abs(p50)) if p50 else None,
        "n": int(len(v)),
    }


def surrogate_uq(design: dict, runner: Runner, nominal: dict, fixed: dict, tag: str,
                 echo=print) -> dict:  # fmt: skip
    """Uncertainty by a surrogate: FE runs on a Latin hypercube over (x, θ), x within
    nominal × (1 ∓ design_range) (in the variable's scale, inside the bounds), θ over the
    central 95 % of each input's distribution; a radial-basis surrogate of the margin g(x, θ)
    (``scipy.interpolate.RBFInterpolator``, thin-plate spline on scaled coordinates with a
    quadratic polynomial tail where the runs are enough for one, else a linear one; its
    smoothing chosen by leave-one-out cross-validation from :data:`SMOOTHING`) fitted to
    these and the nominal search's runs inside the range; each of ``surrogate_samples``
    Latin-hypercube samples of θ solved for g = 0 in x (Brent). Returns the samples, the
    statistics, the leave-one-out error of the surrogate and its FE runs."""
    from scipy.interpolate import RBFInterpolator
    from scipy.optimize import brentq
    from scipy.stats import qmc

    uq, unc, var = design["uncertainty"], design["uncertain"], design["variables"][0]
    sc = Scale(var)
    x0 = nominal["estimate"]
    r = uq["design_range"]
    h = math.log1p(r) if sc.log else r * abs(x0)
    ua, ub = max(sc.u_bounds[0], sc.u(x0) - h), min(sc.u_bounds[1], sc.u(x0) + h)
    unit = qmc.LatinHypercube(d=1 + len(unc), seed=uq["seed"] + 1).random(uq["surrogate_runs"])
    dists = [_dist(u) for u in unc]
    pts = []
    for row in unit:
        theta = {u["key"]: float(dd.ppf(0.025 + 0.95 * row[1 + j]))
                 for j, (u, dd) in enumerate(zip(unc, dists))}  # fmt: skip
        pts.append((f"{tag}sur", {**fixed, var["name"]: sc.x(ua + (ub - ua) * row[0])}, theta))
    recs = runner.evaluate(pts)
    nom = [runner.records[n] for n in nominal["runs"]]
    nom_theta = {u["key"]: _nominal_value(u) for u in unc}
    X, y = [], []
    for rec, (_, xs, theta) in zip(recs, pts):
        if rec["status"] == "completed":
            X.append([sc.u(xs[var["name"]]), *[theta[u["key"]] for u in unc]])
            y.append(rec["margin"])
    for rec in nom:  # the nominal search's runs inside the surrogate's design range
        if rec["status"] == "completed" and ua <= sc.u(rec[var["name"]]) <= ub:
            X.append([sc.u(rec[var["name"]]), *[nom_theta[u["key"]] for u in unc]])
            y.append(rec["margin"])
    X, y = np.array(X), np.array(y)
    if len(y) < 3 + len(unc):
        return {"method": "surrogate", "status": "failed",
                "reason": f"{len(y)} completed FE runs, too few for a surrogate"}  # fmt: skip
    scale = np.array([ub - ua or 1.0, *[dd.std() or 1.0 for dd in dists]])
    Z = X / scale

    # the polynomial tail (linear; quadratic where the runs determine it with 2 to spare) and
    # the smoothing (0 interpolates the FE runs, a large one tends to the least-squares
    # polynomial: the FE margins carry noise from remeshing and step control), both chosen by
    # leave-one-out cross-validation
    dim = Z.shape[1]
    degrees = (1, 2) if len(y) >= (dim + 1) * (dim + 2) // 2 + 2 else (1,)

    def fit(Z, y, degree, smoothing):
        return RBFInterpolator(Z, y, kernel="thin_plate_spline", degree=degree, smoothing=smoothing)

    def leave_one_out(degree, smoothing) -> list[float]:
        err = []
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            try:
                err.append(float(fit(Z[keep], y[keep], degree, smoothing)(Z[i : i + 1])[0] - y[i]))
            except Exception:  # too few points left for the polynomial tail
                pass
        return err

    best = None
    for degree in degrees:
        for smoothing in SMOOTHING:
            err = leave_one_out(degree, smoothing)
            if len(err) < len(y):
                continue
            rms = float(np.sqrt(np.mean(np.square(err))))
            if best is None or rms < best[2] * (1 - 1e-9):
                best = (degree, smoothing, rms, err)
    if best is None:
        degree, smoothing, loo = 1, 0.0, []
    else:
        degree, smoothing, _, loo = best
    model = fit(Z, y, degree, smoothing)
    samples = lhs_samples(design, uq["surrogate_samples"])
    d_u = _u_direction(design, nominal)
    req, outside = [], 0
    for th in samples:
        tz = [th[u["key"]] for u in unc]

        def g(u, tz=tz):
            return float(model((np.array([u, *tz]) / scale)[None, :])[0])

        ga, gb = g(ua), g(ub)
        if ga * gb > 0:  # met (or not) over the whole range: its end on the answer's side
            outside += 1
            req.append(sc.x(ua if (gb > 0) == (d_u > 0) else ub))
        else:
            req.append(sc.x(brentq(g, ua, ub, xtol=1e-10)))
    stats = quantiles(np.array(req), nominal["direction"], uq["confidence"])
    # the samples set to the range's end on the conservative side: when they are as many as
    # 1 - c, the value at the confidence is that end, not resolved (widen design_range)
    end = max(sc.x(ua), sc.x(ub)) if nominal["direction"] == "minimum" else min(sc.x(ua), sc.x(ub))
    at_end = sum(1 for x in req if x == end) / len(req)
    loo_rms = float(np.sqrt(np.mean(np.square(loo)))) if loo else None
    warnings = []
    if at_end >= 1 - uq["confidence"]:
        warnings.append(
            f"{100 * at_end:.0f} % of the samples need more than the surrogate's range gives: the "
            "value at the confidence is the range's end (widen uncertainty.design_range)"
        )
    if loo_rms is not None and loo_rms > 0.3 * float(np.ptp(y)):
        warnings.append(
            f"the surrogate's leave-one-out error ({loo_rms:.3g}) is more than 30 % of the range "
            f"of the FE margins ({float(np.ptp(y)):.3g}): add surrogate_runs"
        )
    for w in warnings:
        echo(f"uncertainty: warning: {w}")
    return {
        "warnings": warnings,
        "fraction_at_range_end": at_end,
        "method": "surrogate",
        "status": "done",
        "surrogate": f"scipy.interpolate.RBFInterpolator (thin_plate_spline, degree {degree})",
        "surrogate_points": int(len(y)),
        "smoothing": smoothing,
        "fe_runs": [r["name"] for r in recs],
        "design_range": [min(sc.x(ua), sc.x(ub)), max(sc.x(ua), sc.x(ub))],
        "loo_rms_margin": loo_rms,
        "margin_range": float(np.ptp(y)),
        "outside_range": outside,
        "samples": [{**th, "required": x} for th, x in zip(samples, req)],
        **stats,
    }


def _nominal_value(u: dict) -> float:
    """The nominal value of an uncertain input: the median of its distribution."""
    return float(_dist(u).median())


# ----------------------------------------------------------------------- the driver


def _out_ok(out: Path, design: dict) -> None:
    """Refuse an output directory that is not new, empty or this design's (to resume it)."""
    from solver import rundir

    bad = rundir.dangerous(out, design["file"], option="design -o")
    if bad:
        raise InputError(bad)
    state = out / STATE
    if state.is_file():
        old = json.loads(state.read_text())
        if old.get("case") != design["case"]:
            raise InputError(
                f"design -o: '{out}' holds another design (base case {old.get('case')}), allowed "
                "the same design (to resume it) or a new directory"
            )
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(
            f"design -o: '{out}' exists and holds no {STATE}, allowed a new or empty directory "
            "or a design directory to resume"
        )


def run_design(design: dict, out: Path, args: argparse.Namespace, echo=print) -> dict:
    """Run the design (searches, uncertainty) into ``out``; write and return the answer."""
    from solver import rundir

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    state = {k: design[k] for k in ("name", "file", "case")}
    rundir.write_text_atomic(out / STATE, json.dumps(state, indent=2) + "\n")
    runner = Runner(design, out, args, echo)
    jobs = args.jobs or 1
    var = design["variables"][0]
    levels = design["variables"][1]["values"] if len(design["variables"]) > 1 else [None]
    unc = design["uncertain"]
    nominal_theta = {u["key"]: _nominal_value(u) for u in unc}
    answers = []
    for li, level in enumerate(levels):
        fixed = {} if level is None else {design["variables"][1]["name"]: level}
        tag = "" if level is None else f"L{li}-"
        label = "" if level is None else f" ({design['variables'][1]['name']} = {level:g})"
        red = None
        if design["strategy"]["reduced"]:
            red = reduced_answer(design, fixed, nominal_theta)
        if red and red.get("x") is not None:
            echo(f"reduced model{label}: {var['name']} = {red['x']:.6g} ({red['model']})")
        elif red:
            echo(f"reduced model{label}: the requirement does not change over the bounds")
        else:
            echo(
                f"reduced model{label}: none for {design['objective']['metric']}: FE runs from "
                "the bounds"
            )
        res = search(
            design, runner, f"{tag}nominal", fixed, nominal_theta,
            red["x"] if red else None, red["direction"] if red else None,
            design["strategy"]["tolerance"], jobs, echo,
        )  # fmt: skip
        res["reduced"] = (
            {k: red[k] for k in ("x", "model", "direction", "monotone") if k in red}
            if red
            else None
        )
        res["reduced_scan"] = red["scan"] if red else None
        _echo_result(res, var, label, echo)
        if unc and res["status"] == "converged":
            res["uncertainty"] = _uq(design, runner, res, red, fixed, tag, jobs, echo)
        answers.append({"level": level, **res})
    answer = _answer(design, answers, runner, time.perf_counter() - t0)
    write_outputs(design, out, answer, runner)
    return answer


def _echo_result(res: dict, var: dict, label: str, echo) -> None:
    if res["status"] == "converged":
        lo, hi = res["bracket"]
        echo(
            f"FE{label}: {res['direction']} {var['name']} = {res['value']:.6g} (bracket "
            f"[{lo:.6g}, {hi:.6g}], width {100 * res['relative_width']:.2g} %, {res['n_runs']} FE "
            f"runs, monotone {'yes' if res['monotone'] else 'NO'})"
        )
    else:
        echo(f"FE{label}: {res['status']}: {res.get('reason', '')}")


def _uq(design, runner, res, red, fixed, tag, jobs, echo) -> dict:
    uq = design["uncertainty"]
    method = uq["method"]
    if method == "auto":
        method = "fe" if red and red.get("x") is not None else "surrogate"
    echo(f"uncertainty: {uq['samples'] if method != 'surrogate' else uq['surrogate_samples']} "
         f"Latin-hypercube samples, method {method}")  # fmt: skip
    if method == "surrogate":
        out = surrogate_uq(design, runner, res, fixed, tag, echo)
    else:
        samples = lhs_samples(design)
        ratio = None
        if red and red.get("x") is not None:
            ratio = res["estimate"] / red["x"]  # the FE / reduced ratio of the nominal answer
        req, rows, searches = [], [], []
        for j, th in enumerate(samples):
            rj = reduced_answer(design, fixed, th) if red else None
            x_red = rj["x"] if rj and rj.get("x") is not None else None
            if method == "reduced":
                if x_red is None or ratio is None:
                    rows.append({**th, "required": None, "reduced": x_red})
                    continue
                x = x_red * ratio
                rows.append({**th, "required": x, "reduced": x_red})
                req.append(x)
                continue
            start = x_red * ratio if x_red is not None and ratio else res["estimate"]
            sres = search(design, runner, f"{tag}s{j:03d}", fixed, th, start,
                          _u_direction(design, res), uq["tolerance"], jobs, echo)  # fmt: skip
            searches.append(sres)
            x = sres.get("estimate") if sres["status"] == "converged" else None
            rows.append({**th, "required": x, "reduced": x_red, "bracket": sres.get("bracket"),
                         "status": sres["status"], "n_runs": sres["n_runs"]})  # fmt: skip
            if x is not None:
                req.append(x)
        out = {"method": method, "samples": rows, "status": "done" if req else "failed"}
        if method == "reduced":
            out["fe_over_reduced"] = ratio
        else:
            out["monotone"] = all(s["monotone"] for s in searches)
            out["fe_runs"] = [n for s in searches for n in s["runs"]]
        if req:
            out.update(quantiles(np.array(req), res["direction"], uq["confidence"]))
    if out.get("status") == "done":
        echo(
            f"uncertainty: P{round(100 * uq['confidence'])} value {out['value_at_confidence']:.6g}"
            f" (P10 {out['P10']:.6g}, P50 {out['P50']:.6g}, P90 {out['P90']:.6g}, std "
            f"{out['std']:.3g})"
        )
    return out


def _u_direction(design: dict, res: dict) -> int:
    """+1 where the requirement is met at larger u (the variable's coordinate), from the
    direction ('minimum': met above the answer) of a converged search."""
    sc = Scale(design["variables"][0])
    up = 1 if res["direction"] == "minimum" else -1
    return up if (not sc.log or sc.sign > 0) else -up


def _answer(design: dict, answers: list[dict], runner: Runner, wall: float) -> dict:
    from solver.sweep import key_unit

    var = design["variables"][0]
    obj = design["objective"]
    return {
        "design": design["name"],
        "file": design["file"],
        "case": design["case"],
        "variable": {
            "name": var["name"],
            "keys": var["keys"],
            "bounds": var["bounds"],
            "scale": var["scale"],
            "unit": key_unit(var["keys"][0]),
        },  # fmt: skip
        "second_variable": (
            {
                "name": design["variables"][1]["name"],
                "values": design["variables"][1]["values"],
                "unit": key_unit(design["variables"][1]["keys"][0]),
            }  # fmt: skip
            if len(design["variables"]) > 1
            else None
        ),
        "objective": {k: obj[k] for k in ("metric", "unit", "op", "at", "value")},
        "strategy": design["strategy"],
        "uncertain": [
            {k: u[k] for k in ("name", "key", "distribution", "params_si")}
            for u in design["uncertain"]
        ],  # fmt: skip
        "answers": answers,
        "fe_runs": runner.count,
        "wall_time_s": wall,
        "status": "converged"
        if all(a["status"] == "converged" for a in answers)
        else ",".join(sorted({a["status"] for a in answers})),
    }


# ----------------------------------------------------------------------- outputs


def runs_table(runner: Runner):
    """Every FE run of the design as a pandas DataFrame (role, inputs, metric, margin, status,
    run directory)."""
    import pandas as pd

    rows = []
    for r in runner.records.values():
        rows.append({**r, "run_dir": str(runner.dir / "cases" / r["name"])})
    return pd.DataFrame(rows)


def write_outputs(design: dict, out: Path, answer: dict, runner: Runner) -> None:
    """answer.json, runs.csv, samples.csv, plots/*.png, report/index.html."""
    import pandas as pd

    from solver import rundir

    df = runs_table(runner)
    df.to_csv(out / "runs.csv", index=False)
    srows = []
    for a in answer["answers"]:
        for s in (a.get("uncertainty") or {}).get("samples", []):
            srows.append({"level": a["level"], **{k: v for k, v in s.items() if k != "bracket"}})
    if srows:
        pd.DataFrame(srows).to_csv(out / "samples.csv", index=False)
    figs = plots(design, out, answer, df)
    answer["plots"] = [str(f) for f in figs]
    rundir.write_text_atomic(
        out / "answer.json", json.dumps(answer, indent=2, default=float) + "\n"
    )
    html_report(design, out, answer, df, figs)
    runner.sw.write_table(runner.dir)


def _axis_scale(ax, var: dict) -> None:
    if var["scale"] == "log" and var["bounds"][0] > 0:
        ax.set_xscale("log")


def plots(design: dict, out: Path, answer: dict, df) -> list[Path]:
    """plots/metric.png (the metric against the design variable: FE runs, the reduced model,
    the requirement line and the bracket) and plots/required.png (the distribution of the
    required value with the value at the confidence)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from solver.sweep import _label

    pdir = out / "plots"
    pdir.mkdir(exist_ok=True)
    var, obj = design["variables"][0], design["objective"]
    xl = _label(var["name"], answer["variable"]["unit"])
    yl = _label(obj["metric"], obj["unit"] or "")
    written = []
    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for i, a in enumerate(answer["answers"]):
        names = set(a.get("runs", []))
        sub = df[df["name"].isin(names) & (df["status"] == "completed")].sort_values(var["name"])
        lab = (
            "" if a["level"] is None else f" ({answer['second_variable']['name']} = {a['level']:g})"
        )
        color = f"C{i}"
        ax.plot(sub[var["name"]], sub["metric"], "o-", color=color, label=f"FE{lab}")
        sat = sub[sub["satisfied"] == True]  # noqa: E712
        ax.plot(sat[var["name"]], sat["metric"], "o", mfc="none", mec="k", ms=10)
        if a.get("bracket"):
            ax.axvspan(*a["bracket"], color=color, alpha=0.15)
    for i, a in enumerate(answer["answers"]):
        sc = a.get("reduced_scan")
        if sc:
            xs, ys = zip(*sc)
            ax.plot(xs, ys, "--", color=f"C{i}", alpha=0.7, label="reduced model")
    ax.axhline(obj["value"], color="r", lw=1.2, label=f"requirement {obj['op']} {obj['value']:g}")
    _axis_scale(ax, var)
    ax.set_xlabel(xl)
    ax.set_ylabel(yl)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"{obj['metric']} vs {var['name']} (circled: requirement met)", fontsize=10)
    f = pdir / "metric.png"
    fig.savefig(f, dpi=100)
    written.append(f)
    uqs = [(a["level"], a["uncertainty"]) for a in answer["answers"]
           if (a.get("uncertainty") or {}).get("status") == "done"]  # fmt: skip
    if uqs:
        fig = Figure(figsize=(7.0, 3.6), layout="constrained")
        ax = fig.add_subplot()
        for i, (level, u) in enumerate(uqs):
            req = [s["required"] for s in u["samples"] if s.get("required") is not None]
            lab = "" if level is None else f" ({answer['second_variable']['name']} = {level:g})"
            ax.hist(req, bins=min(30, max(5, len(req) // 4)), alpha=0.5, color=f"C{i}",
                    label=f"{u['method']}{lab}, n = {len(req)}")  # fmt: skip
            ax.axvline(
                u["value_at_confidence"],
                color=f"C{i}",
                ls="--",
                label=f"P{round(100 * u['confidence'])}: {u['value_at_confidence']:.4g}",
            )
        ax.set_xlabel(f"required {xl}")
        ax.set_ylabel("samples")
        ax.legend(fontsize=8)
        ax.set_title("distribution of the required value", fontsize=10)
        f = pdir / "required.png"
        fig.savefig(f, dpi=100)
        written.append(f)
    return written


def html_report(design: dict, out: Path, answer: dict, df, figs: list[Path]) -> Path:
    """report/index.html: the answer, the plots (embedded), the uncertainty, the runs table and
    the design file (as ``ssbx report``)."""
    import base64
    import html

    from solver.report import _CSS
    from solver.rundir import write_text_atomic

    rep = out / "report"
    rep.mkdir(exist_ok=True)
    e = html.escape
    var = answer["variable"]
    body = [
        f"<h1>ssbx design: {e(answer['design'])}</h1>",
        f"<p class='note'>{e(str(out.resolve()))}: base case {e(answer['case'])}</p>",
    ]
    o = answer["objective"]
    body.append(
        f"<p>Requirement: <b>{e(o['metric'])} {e(o['op'])} {o['value']:g} {e(o['unit'] or '')}"
        f"</b> at {e(at_text(o['at']))}; design variable <b>{e(var['name'])}</b> "
        f"({e(', '.join(var['keys']))}) in [{var['bounds'][0]:g}, {var['bounds'][1]:g}] "
        f"{e(var['unit'])}, {var['scale']} scale; {answer['fe_runs']} FE runs, "
        f"{answer['wall_time_s']:.0f} s.</p>"
    )
    body.append("<h2>Answer</h2><table><tr><th>level</th><th>status</th><th>direction</th>"
                "<th>value (meets)</th><th>bracket</th><th>width</th><th>estimate</th>"
                "<th>reduced</th><th>FE runs</th><th>monotone</th></tr>")  # fmt: skip
    for a in answer["answers"]:
        br = a.get("bracket")
        red = (a.get("reduced") or {}).get("x")
        body.append(
            "<tr>"
            + "".join(
                f"<td>{e(str(x))}</td>"
                for x in (
                    "-" if a["level"] is None else f"{a['level']:g}",
                    a["status"],
                    a.get("direction", "-"),
                    _g(a.get("value")),
                    f"[{br[0]:.6g}, {br[1]:.6g}]" if br else "-",
                    f"{100 * a['relative_width']:.2g} %" if br else "-",
                    _g(a.get("estimate")),
                    _g(red),
                    a["n_runs"],
                    a["monotone"],
                )
            )
            + "</tr>"  # fmt: skip
        )
    body.append("</table>")
    for a in answer["answers"]:
        u = a.get("uncertainty")
        if not u:
            continue
        body.append(
            f"<h2>Uncertainty{'' if a['level'] is None else f' (level {a["level"]:g})'}</h2>"
        )
        if u.get("status") != "done":
            body.append(f"<p class='note'>{e(str(u.get('reason', 'failed')))}</p>")
            continue
        rows = [
            ("method", u["method"]),
            ("samples", u["n"]),
            (
                f"value at confidence {u['confidence']:g} (quantile {u['quantile']:g})",
                _g(u["value_at_confidence"]),
            ),
            ("P10 / P50 / P90", f"{u['P10']:.6g} / {u['P50']:.6g} / {u['P90']:.6g}"),
            ("mean / std", f"{u['mean']:.6g} / {u['std']:.3g}"),
            ("spread P90 - P10 (relative)", f"{u['spread']:.4g} ({u['relative_spread']:.3g})"),
        ]
        if u["method"] == "surrogate":
            rows += [
                ("surrogate", u["surrogate"]),
                ("leave-one-out RMS error of the margin", _g(u["loo_rms_margin"])),
                ("range of the FE margins", _g(u["margin_range"])),
                ("samples outside the design range", u["outside_range"]),
            ]
        if u["method"] == "reduced":
            rows.append(("FE / reduced ratio (nominal)", _g(u["fe_over_reduced"])))
        body.append("<table>" + "".join(f"<tr><td>{e(str(k))}</td><td>{e(str(v))}</td></tr>"
                                         for k, v in rows) + "</table>")  # fmt: skip
    body.append("<h2>Plots</h2>")
    for f in figs:
        png = f.read_bytes()
        body.append(
            f"<figure><figcaption>{e(f.name)}</figcaption><img alt='{e(f.name)}' "
            f"src='data:image/png;base64,{base64.b64encode(png).decode()}'></figure>"
        )
    body.append("<h2>FE runs</h2>")
    cols = [c for c in df.columns if c not in ("run_dir",)]
    body.append(df[cols].to_html(index=False, float_format=lambda v: f"{v:.6g}", na_rep="-"))
    body.append(f"<p class='note'>run directories: {e(str(out / 'runs' / 'cases'))}</p>")
    body.append("<h2>Design file</h2>")
    body.append(f"<pre>{e(design['text'])}</pre>")
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>ssbx design: {e(answer['design'])}</title><style>{_CSS}</style></head>"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n")  # fmt: skip
    index = rep / "index.html"
    write_text_atomic(index, page)
    return index


def _g(v) -> str:
    return "-" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)


# ----------------------------------------------------------------------- the CLI


def add_parser(sub) -> None:
    p = sub.add_parser(
        "design",
        help="the smallest (or largest) design value that meets a requirement, FE-confirmed, "
        "with its uncertainty",
        description="ssbx design DESIGN.toml -o DIR: find the value of a design variable (any "
        "case key: stack pressure, pad modulus, interlayer thickness, temperature, current "
        "density) at which a requirement on a run metric (objective: metric, at = 'end' | "
        "'after N cycles' | a time, op <= or >=, value with its unit) starts to hold. The reduced "
        "models bracket the answer where one exists for the metric; FE runs (ssbx run, through "
        "the sweep machinery in DIR/runs: resumable, any backend) confirm it by bisection on the "
        "variable until the bracket's relative width is below strategy.tolerance; the monotone "
        "assumption is checked on the FE runs. [[uncertain]] inputs (normal, lognormal, "
        "uniform) give a Latin hypercube of samples, each solved for its required value (method "
        "fe: reduced model + FE confirmation; reduced; surrogate: an RBF surrogate of FE runs), "
        "and the value at uncertainty.confidence (P90). Writes DIR/answer.json, runs.csv, "
        "samples.csv, plots/ and report/index.html. A rerun with the same file and DIR resumes "
        "(completed runs are reused). Exit 0: every search converged; 1: a search did not "
        "(not met in the bounds, max_runs, a failed run: see answer.json); 2: bad input. See "
        "docs/case-format.md (Design files) and docs/theory.md §8.10.",
    )
    p.add_argument("file", metavar="DESIGN.toml", help="the design file")
    p.add_argument("-o", "--output", default=None, help="design directory (default designs/<name>)")
    p.add_argument(
        "--backend",
        choices=("local", "mpi4py", "slurm"),
        default="local",
        help="how the FE runs run (as ssbx sweep): local subprocesses; mpi4py.futures workers "
        "(start under `mpirun -n W+1 python -m mpi4py.futures -m solver.cli design ...`); slurm: "
        "one job array per round, submitted with sbatch --wait (default local)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        help="FE runs per round: k > 1 cuts the bracket into k + 1 parts (k-section) and runs "
        "them at once (local: k processes; slurm: array tasks). Default 1 (bisection)",
    )
    p.add_argument("--ranks", type=int, default=1, help="MPI ranks per FE run (local, slurm)")
    p.add_argument("--mpirun", default=None, help="MPI launcher of a run (default: the venv's)")
    p.add_argument("--retry-failed", action="store_true", help="run failed FE runs again")
    p.add_argument(
        "--case-max-time",
        default=None,
        metavar="TIME",
        help="wall-time limit of each FE run (seconds or '2h'); a stopped run is resumed by a "
        "rerun of the design",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="check the file, print the reduced model's answer and the first FE runs; write "
        "nothing",
    )
    p.add_argument("--time", default="01:00:00", help="slurm: time limit per task")
    p.add_argument("--mem", default="4G", help="slurm: memory per task")
    p.add_argument("--partition", default=None, help="slurm: partition")
    p.add_argument("--account", default=None, help="slurm: account")
    p.add_argument(
        "--sbatch-option", action="append", default=[], metavar="OPT",
        help="slurm: extra '#SBATCH OPT' line (repeatable)",
    )  # fmt: skip


def main(args: argparse.Namespace) -> int:
    """``ssbx design``; returns the exit code (0 converged, 1 not)."""
    from solver import sweep as sw

    size, rank = sw.launcher_size_rank()
    if size > 1 and args.backend != "mpi4py":
        if rank != 0:
            return 2
        raise InputError(
            f"design: started on {size} MPI ranks, allowed one process with --backend "
            f"{args.backend} (give the ranks of each FE run with --ranks)"
        )
    sw._check_args(args)
    if args.backend == "mpi4py":  # PETSc on this rank alone before the metric table's dolfinx
        sw._petsc_on_self()  # import (a COMM_WORLD init would wait for the workers forever)
    design = load_design(args.file)
    out = Path(args.output or Path("designs") / design["name"])
    if args.dry_run:
        var = design["variables"][0]
        theta = {u["key"]: _nominal_value(u) for u in design["uncertain"]}
        red = reduced_answer(design, {}, theta) if design["strategy"]["reduced"] else None
        if red and red.get("x") is not None:
            sc = Scale(var)
            h = design["strategy"]["reduced_margin"]
            first = [red["x"] / (1 + h), red["x"] * (1 + h)] if sc.log else [
                red["x"] - h * abs(red["x"]), red["x"] + h * abs(red["x"])]  # fmt: skip
            print(f"reduced model ({red['model']}): {var['name']} = {red['x']:.6g}")
        else:
            first = list(var["bounds"])
            print(f"reduced model: none for {design['objective']['metric']}: FE from the bounds")
        print(f"first FE runs: {var['name']} = {first[0]:.6g}, {first[1]:.6g}")
        return 0
    _out_ok(out, design)
    from solver.rundir import RunLock

    with RunLock(out):
        answer = run_design(design, out, args)
    print(
        f"design '{design['name']}': {answer['status']}, {answer['fe_runs']} FE runs, "
        f"{answer['wall_time_s']:.1f} s -> {out / 'answer.json'}, {out / 'report' / 'index.html'}"
    )
    return 0 if answer["status"] == "converged" else 1
