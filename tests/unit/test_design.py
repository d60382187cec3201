"""Design mode (solver.design) without FE runs: the design file and its bad inputs, the metric
of a run directory (end, a time, after N cycles), the bracketing search and the uncertainty on
analytic stand-ins for the FE runs whose answers are known in closed form.

The FE runs of ``ssbx design`` are in tests/verification/test_design_fe.py.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from solver import design as dz
from tests.sweep_helpers import DESIGN, ROOT, write_design


def test_design_file_resolves_units(tmp_path):
    d = dz.load_design(
        write_design(
            tmp_path,
            DESIGN.replace('"3 MPa"', '"3000 kPa"')
            + '[[uncertain]]\nkey = "interface.G_Ic"\ndistribution = "lognormal"\n'
            'median = "2 J/m^2"\nsigma = 0.2\n'
            '[[uncertain]]\nkey = "materials.electrolyte.E"\ndistribution = "normal"\n'
            'mean = "150 GPa"\nstd = "10 GPa"\n'
            "[uncertainty]\nsamples = 5\nseed = 2\n",
        )
    )
    v = d["variables"][0]
    assert v["bounds"] == pytest.approx([1e6, 8e6]) and v["scale"] == "log"
    assert d["objective"]["value"] == pytest.approx(3e6)  # kPa -> the metric's Pa
    assert d["objective"]["at"] == {"kind": "end"}
    assert d["uncertain"][1]["params_si"] == pytest.approx({"mean": 150e9, "std": 10e9})
    # a Latin hypercube mapped through the inverse CDFs: one sample per probability stratum
    s = dz.lhs_samples(d)
    g = np.array([x["interface.G_Ic"] for x in s])
    strata = np.floor(5 * stats.lognorm(s=0.2, scale=2.0).cdf(g)).astype(int)
    assert sorted(strata) == list(range(5))


def test_objective_value_units_and_at():
    assert dz.parse_value("10 ohm cm^2", "Ohm cm^2") == pytest.approx(10.0)
    assert dz.parse_value("1e-3 Ohm m^2", "Ohm cm^2") == pytest.approx(10.0)  # 1 cm^2 = 1e-4 m^2
    assert dz.parse_value("4 MPa", "Pa") == pytest.approx(4e6)
    assert dz.parse_value(0.9, "1") == 0.9
    with pytest.raises(ValueError):
        dz.parse_value("4 MPa", "Ohm cm^2")
    assert dz.parse_at("after 3 cycles") == {"kind": "cycles", "n": 3}
    assert dz.parse_at("after 1 cycle") == {"kind": "cycles", "n": 1}
    assert dz.parse_at("1 h") == {"kind": "time", "t": 3600.0}
    with pytest.raises(ValueError):
        dz.parse_at("after 0 cycles")


def _timeseries(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["time [s],current_density_applied [A/m^2],asr_interfacial [Ohm cm^2]"]
    lines += [",".join("" if v is None else str(v) for v in r) for r in rows]
    (folder / "timeseries.csv").write_text("\n".join(lines) + "\n")
    (folder / "summary.json").write_text(json.dumps({"ageing": {"t_star_pad": 42.0}}))
    return folder


def test_metric_at_end_time_and_cycles(tmp_path):
    """Two cycles (charge +, rest 0, discharge -), the rests carry no ASR: the end of cycle N is
    the last row of the 2N-th current segment of one sign."""
    rows = [
        (0, 0, None), (10, 10, 20.0), (20, 10, 21.0), (30, 0, None), (40, -10, 22.0),
        (50, -10, 23.0), (60, 10, 24.0), (70, -10, 25.0), (80, 0, None),
    ]  # fmt: skip
    rd = _timeseries(tmp_path / "r", rows)
    obj = {"metric": "asr_interfacial", "at": {"kind": "end"}}
    assert dz.metric_of(rd, obj) == 25.0  # the last finite value
    assert dz.metric_of(rd, {**obj, "at": {"kind": "cycles", "n": 1}}) == 23.0
    assert dz.metric_of(rd, {**obj, "at": {"kind": "cycles", "n": 2}}) == 25.0
    with pytest.raises(dz.MetricError, match="2 full cycle"):
        dz.metric_of(rd, {**obj, "at": {"kind": "cycles", "n": 3}})
    assert dz.metric_of(rd, {**obj, "at": {"kind": "time", "t": 15.0}}) == pytest.approx(20.5)
    with pytest.raises(dz.MetricError):
        dz.metric_of(rd, {**obj, "at": {"kind": "time", "t": 500.0}})
    assert dz.metric_of(rd, {"metric": "summary.ageing.t_star_pad", "at": {"kind": "end"}}) == 42


class FakeRunner:
    """Stands in for the FE runs: the metric is ``f(x, theta)``; counts the runs."""

    def __init__(self, design, f):
        self.design, self.f, self.records, self.calls = design, f, {}, []

    @property
    def count(self):
        return len(self.records)

    def evaluate(self, points):
        self.calls.append(len(points))
        out = []
        var = self.design["variables"][0]["name"]
        for role, xs, theta in points:
            m = self.f(xs[var], theta)
            g = dz.margin(self.design["objective"], m)
            name = dz.run_name(role, {**xs, **theta})
            rec = {"name": name, "role": role, var: xs[var], **theta, "status": "completed",
                   "metric": m, "margin": g, "satisfied": bool(g >= 0), "reason": None}  # fmt: skip
            self.records[name] = rec
            out.append(rec)
        return out


def _design(tmp_path, tol=0.05, extra=""):
    text = DESIGN + f"[strategy]\ntolerance = {tol}\nmax_runs = 20\n" + extra
    return dz.load_design(write_design(tmp_path, text))


def test_bisection_brackets_the_crossing_within_the_tolerance(tmp_path):
    """metric = x (the tiny case's closed form: mean interface pressure = stack pressure):
    the minimum x meeting x >= 3 MPa is 3 MPa; bisection in ln x from [1, 8] MPa to 1 % takes
    ceil(log2(ln 8 / ln 1.01)) = 8 cuts + the 2 ends; with 3 runs a round (k-section) fewer
    rounds."""
    d = _design(tmp_path, tol=0.01)
    r = FakeRunner(d, lambda x, th: x)
    res = dz.search(d, r, "nominal", {}, {}, None, None, 0.01, 1)
    assert res["status"] == "converged" and res["direction"] == "minimum"
    lo, hi = res["bracket"]
    assert lo < 3e6 <= hi and (hi - lo) / (0.5 * (lo + hi)) <= 0.01
    # the estimate interpolates g linearly in ln x: off by O(width^2) ~ 1e-5 for g linear in x
    assert res["value"] == hi and res["estimate"] == pytest.approx(3e6, rel=1e-4)
    assert res["n_runs"] == 2 + math.ceil(math.log2(math.log(8) / math.log(1.01)))
    assert res["monotone"]
    r3 = FakeRunner(d, lambda x, th: x)
    res3 = dz.search(d, r3, "nominal", {}, {}, None, None, 0.01, 3)
    assert len(r3.calls) < len(r.calls) and set(r3.calls[1:]) == {3}
    assert res3["bracket"][0] < 3e6 <= res3["bracket"][1]


def test_search_from_a_reduced_answer_and_the_checks(tmp_path):
    """Started at a reduced answer 10 % off: the first bracket misses, it is widened until it
    holds the crossing. A requirement decreasing in x gives a maximum; one met everywhere is
    reported; a non-monotone metric is flagged."""
    d = _design(tmp_path)
    r = FakeRunner(d, lambda x, th: x)
    res = dz.search(d, r, "nominal", {}, {}, 3.3e6, +1, 0.05, 1)
    assert res["status"] == "converged" and res["bracket"][0] < 3e6 <= res["bracket"][1]
    assert res["n_runs"] < 8
    # a metric that falls with x (the requirement met below the answer): a maximum
    res = dz.search(d, FakeRunner(d, lambda x, th: 9e12 / x), "n", {}, {}, None, None, 0.05, 1)
    assert res["direction"] == "maximum" and res["bracket"][0] <= 3e6 < res["bracket"][1]
    res = dz.search(d, FakeRunner(d, lambda x, th: x + 1e7), "n", {}, {}, None, None, 0.05, 1)
    assert res["status"] == "met_everywhere" and "bracket" not in res
    # a spike over (2.5, 3) MPa: met there first, the runs sorted by x are not monotone
    bump = lambda x, th: 10e6 if 2.5e6 < x < 3.0e6 else x  # noqa: E731
    res = dz.search(d, FakeRunner(d, bump), "n", {}, {}, None, None, 0.01, 1)
    assert not res["monotone"]


def test_quantile_side_follows_the_direction():
    v = np.arange(1.0, 101.0)
    q = dz.quantiles(v, "minimum", 0.9)
    assert q["value_at_confidence"] == pytest.approx(np.quantile(v, 0.9))
    q = dz.quantiles(v, "maximum", 0.9)
    assert q["value_at_confidence"] == pytest.approx(np.quantile(v, 0.1))
    assert q["spread"] == pytest.approx(np.quantile(v, 0.9) - np.quantile(v, 0.1))


def test_surrogate_recovers_the_p90_of_a_known_requirement(tmp_path):
    """metric = x / G (G lognormal, median 2, sigma 0.2): the requirement x / G >= 1.5e6 needs
    x = 1.5e6 G, so its P90 is 1.5e6 exp(ln 2 + 1.2816 sigma). The RBF surrogate fitted to 12
    'FE' runs around the nominal answer (and the nominal search's runs there) gives it within
    1 % (measured 0.05 %)."""
    extra = (
        '[[uncertain]]\nkey = "interface.G_Ic"\ndistribution = "lognormal"\nmedian = 2.0\n'
        "sigma = 0.2\n[uncertainty]\nsurrogate_runs = 12\nsurrogate_samples = 400\nseed = 3\n"
    )
    d = _design(tmp_path, tol=0.02, extra=extra)
    d["objective"]["value"] = 1.5e6
    f = lambda x, th: x / th.get("interface.G_Ic", 2.0)  # noqa: E731
    r = FakeRunner(d, f)
    nom = dz.search(d, r, "nominal", {}, {"interface.G_Ic": 2.0}, None, None, 0.02, 1)
    assert nom["status"] == "converged"
    u = dz.surrogate_uq(d, r, nom, {}, "")
    exact = 1.5e6 * math.exp(math.log(2.0) + stats.norm.ppf(0.9) * 0.2)
    assert u["value_at_confidence"] == pytest.approx(exact, rel=0.01)
    assert u["P10"] < u["P50"] < u["P90"] and u["spread"] > 0
    # outside x in nominal x (1 -+ 0.5): G outside [1.33, 3.0], P = 2 Phi(-2.03) = 4.2 % of 400
    assert u["loo_rms_margin"] is not None and 5 < u["outside_range"] < 30
    assert u["warnings"] == [] and u["fraction_at_range_end"] < 0.1


BAD = [
    ("variable[0].bounds", 'bounds = ["1 MPa", "8 MPa"]', 'bounds = ["1 MPa", "-8 MPa"]'),
    ("objective.op", 'op = ">="', 'op = "<"'),
    ("objective.metric", 'metric = "mean_pressure"', 'metric = "asr"'),
    ("objective.value", 'value = "3 MPa"', 'value = "3 Ohm"'),
    ("objective.at", 'at = "end"', 'at = "after two cycles"'),
    ("design.case", 'case = "tiny.toml"', 'case = "nope.toml"'),
    ("variable[0].bounds", 'key = "loading.stack_pressure"', 'key = "loading.stack_presure"'),
    ("variable[0].factors", 'key = "loading.stack_pressure"',
     'keys = ["loading.stack_pressure"]\nfactors = [1, 2]'),
    ("variable[0]: allowed exactly one of key", 'key = "loading.stack_pressure"',
     'key = "loading.stack_pressure"\nkeys = ["loading.stack_pressure"]'),
    ("strategy.max_runs", "[objective]", "[strategy]\nmax_runs = 1\n[objective]"),
    ("uncertain[0].std", "[objective]",
     '[[uncertain]]\nkey = "interface.G_Ic"\ndistribution = "normal"\nmean = 2\nstd = -1\n'
     "[objective]"),
    ("uncertain[0].distribution", "[objective]",
     '[[uncertain]]\nkey = "interface.G_Ic"\ndistribution = "weibull"\n[objective]'),
]  # fmt: skip


@pytest.mark.parametrize("key,old,new", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_design_file_one_line_exit_2_nothing_written(tmp_path, capsys, key, old, new):
    from solver.cli import main

    assert old in DESIGN or old == "[objective]"
    p = write_design(tmp_path, DESIGN.replace(old, new, 1))
    out = tmp_path / "out"
    rc = main(["design", str(p), "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith(f"ssbx: error: {key}"), err
    assert "allowed" in err[0] or "no such file" in err[0] or "unknown" in err[0]
    assert not out.exists()


def test_dry_run_writes_nothing(tmp_path, capsys):
    from solver.cli import main

    p = write_design(tmp_path)
    out = tmp_path / "out"
    assert main(["design", str(p), "-o", str(out), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "FE runs from the bounds" in text or "reduced model: none" in text
    assert "1e+06" in text and "8e+06" in text and not out.exists()


def test_shipped_design_file_loads():
    d = dz.load_design(ROOT / "docs" / "tutorials" / "design" / "stack_pressure.toml")
    assert d["objective"]["metric"] == "asr_interfacial"
    assert d["objective"]["at"] == {"kind": "cycles", "n": 1}
    assert {u["key"] for u in d["uncertain"]} == {"interface.G_Ic", "geometry.rms"}


PAD = """[design]
case = "{case}"
[[variable]]
key = "loading.protocol[*].displacement"
bounds = ["-0.1 um", "-2 um"]
[objective]
metric = "min_pressure"
op = ">="
value = "4 MPa"
[strategy]
tolerance = 0.01
reduced_margin = 0.004
[[uncertain]]
key = "materials.pad.tau"
distribution = "normal"
mean = "1 h"
std = "0.15 h"
[uncertainty]
samples = 6
seed = 5
method = "{method}"
"""


@pytest.mark.parametrize("method", ["reduced", "fe"])
def test_uncertainty_from_the_reduced_model_with_fe_confirmation(tmp_path, method):
    """The pad design (docs/tutorials/design/pad_stack.toml) with an uncertain relaxation time
    τ and an 'FE' stand-in 1 % stiffer than the rigid-rest SLS: p(t) = 1.01 |δ| f (E2 + E1
    e^(−t/τ))/t_pad at t = 1 h, f = (1 − ν)/((1 + ν)(1 − 2ν)) (uniaxial strain). Each sample's
    required displacement is δ(τ) = −p_c t_pad/(1.01 f (E2 + E1 e^(−t/τ))): 'reduced' (the model
    scaled by the nominal FE/reduced ratio) gives it to 1e-5 (the ratio's FE answer interpolates
    g in ln|δ| across the 0.8 % bracket); 'fe' (a search per sample from its
    corrected reduced answer) within the 1 % tolerance, 2 runs a sample."""
    case = ROOT / "docs" / "tutorials" / "design" / "pad_stack.toml"
    p = tmp_path / "d.toml"
    p.write_text(PAD.format(case=case, method=method))
    d = dz.load_design(p)
    E1, E2, nu, t_pad, p_c, t = 40e6, 20e6, 0.45, 10e-6, 4e6, 3600.0
    f = (1 - nu) / ((1 + nu) * (1 - 2 * nu))

    def M(tau):
        return f * (E2 + E1 * np.exp(-t / tau))

    def fe(x, th):
        return 1.01 * abs(x) * M(th["materials.pad.tau"]) / t_pad

    r = FakeRunner(d, fe)
    theta0 = {"materials.pad.tau": 3600.0}
    red = dz.reduced_answer(d, {}, theta0)
    assert red["model"] == "reduced_pad_pressure"
    nom = dz.search(d, r, "nominal", {}, theta0, red["x"], red["direction"], 0.01, 1)
    assert nom["status"] == "converged" and nom["direction"] == "maximum"
    u = dz._uq(d, r, nom, red, {}, "", 1, lambda *a: None)
    assert u["method"] == method and u["status"] == "done" and u["n"] == 6
    tau = np.array([s["materials.pad.tau"] for s in u["samples"]])
    exact = -p_c * t_pad / (1.01 * M(tau))
    got = np.array([s["required"] for s in u["samples"]])
    assert got == pytest.approx(exact, rel=1e-5 if method == "reduced" else 0.01)
    # a maximum (delta < 0): the value met with confidence 0.9 is the 0.1-quantile
    assert u["value_at_confidence"] == pytest.approx(np.quantile(got, 0.1))
    if method == "fe":
        assert len(u["fe_runs"]) == 2 * 6 and u["monotone"]


def test_two_variables_one_answer_per_level_and_the_outputs(tmp_path, monkeypatch):
    """A second variable at levels (the electrolyte modulus E): one search per level. With the
    stand-in metric x E/150 GPa >= 3 MPa the least x is 3 MPa x 150 GPa/E: 4.5 MPa at 100 GPa,
    2.25 MPa at 200 GPa. answer.json, runs.csv, the plot and the HTML report are written."""
    text = DESIGN.replace(
        "[objective]",
        '[[variable]]\nkey = "materials.electrolyte.E"\nvalues = ["100 GPa", "200 GPa"]\n'
        "[objective]",
    )
    d = dz.load_design(write_design(tmp_path, text + "[strategy]\ntolerance = 0.01\n"))
    assert d["variables"][1]["values"] == pytest.approx([100e9, 200e9])

    class Runner(FakeRunner):
        def __init__(self, design, out, args, echo=print):
            super().__init__(design, lambda x, th: x)
            self.dir = out / "runs"
            self.sw = type("sw", (), {"write_table": staticmethod(lambda d: None)})

        def evaluate(self, points):
            E = "materials.electrolyte.E"
            recs = super().evaluate([(r, xs, th) for r, xs, th in points])
            for rec, (_, xs, _) in zip(recs, points):
                m = xs["loading.stack_pressure"] * xs[E] / 150e9
                g = dz.margin(self.design["objective"], m)
                rec.update(metric=m, margin=g, satisfied=bool(g >= 0), **{E: xs[E]})
            return recs

    monkeypatch.setattr(dz, "Runner", Runner)
    out = tmp_path / "out"
    args = type("A", (), {"jobs": 1})()
    a = dz.run_design(d, out, args, echo=lambda *x: None)
    got = {x["level"]: x for x in a["answers"]}
    for E, p in ((100e9, 4.5e6), (200e9, 2.25e6)):
        lo, hi = got[E]["bracket"]
        assert got[E]["status"] == "converged" and lo < p <= hi and (hi - lo) / lo <= 0.011
    saved = json.loads((out / "answer.json").read_text())
    assert [x["level"] for x in saved["answers"]] == [100e9, 200e9]
    assert saved["second_variable"]["name"] == "materials.electrolyte.E"
    for f in ("runs.csv", "plots/metric.png", "report/index.html"):
        assert (out / f).is_file(), f
    assert "4.5" in (out / "report" / "index.html").read_text()
