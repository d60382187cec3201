"""Every time-series column carries its unit in the CSV header, and the unit parses."""

from __future__ import annotations

import pytest

from solver import metrics as Mx


def test_every_column_has_a_unit_that_parses():
    from solver.units import parse_unit

    cols = {*Mx.MECH_COLUMNS, *Mx.EC_COLUMNS, *Mx.THERMAL_COLUMNS}
    missing = sorted(c for c in cols if c not in Mx.COLUMN_UNITS)
    assert not missing, missing
    for c in cols:
        for per_depth in (False, True):
            u = Mx.column_unit(c, per_depth)
            if u != "1":
                parse_unit(u)  # raises on an unknown unit
    assert Mx.column_unit("current", True) == "A/m" and Mx.column_unit("current", False) == "A"
    assert Mx.header("asr_total", True) == "asr_total [Ohm cm^2]"


def test_run_writes_units_and_rounded_times(tmp_path):
    """A run's header is 'name [unit]' for every column (2D plane strain: extensive columns per
    metre of depth), times are rounded to 12 significant digits, and read_timeseries gives the
    plain names back."""
    import csv

    from tests.ec_helpers import case, run

    c = case({"loading": {"protocol": [{"kind": "current", "duration": "0.1 s", "n_steps": 3}]},
              "physics": {"mechanics": True}})  # fmt: skip
    rows, summary = run(c, tmp_path / "run")
    with open(tmp_path / "run" / "timeseries.csv") as f:
        head = next(csv.reader(f))
        body = list(csv.reader(f))
    for h in head:
        name, unit = h.split(" [", 1)
        assert unit.endswith("]") and Mx.column_unit(name, True) == unit[:-1], h
    assert "current [A/m]" in head and "time [s]" in head
    times = [r[head.index("time [s]")] for r in body]
    assert times == ["0.0333333333333", "0.0666666666667", "0.1"]
    assert rows[-1]["time"] == pytest.approx(0.1)
    units = summary["units"]  # summary.json: the unit of every number it reports
    assert set(units["final"]) == set(summary["final"])
    assert units["final"]["current"] == "A/m" and units["asr_total_last"] == "Ohm cm^2"
    assert units["interface_law"]["K_n"] == "Pa/m"
