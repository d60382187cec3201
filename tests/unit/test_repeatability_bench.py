"""benchmarks/repeatability.py: its comparisons find a one-ulp difference, treat NaN as NaN,
ignore the wall time, and compare across rank counts relatively with the round-off floors."""

from __future__ import annotations

import importlib.util
import math

from tests.conftest import ROOT


def _bench():
    path = ROOT / "benchmarks" / "repeatability.py"
    spec = importlib.util.spec_from_file_location("repeatability", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ROWS = [
    {"step": 1.0, "time": 1.0, "asr_total": 25.4, "voltage": math.nan, "wall_time": 0.5},
    {"step": 2.0, "time": 2.0, "asr_total": 25.5, "voltage": 3.9, "wall_time": 0.9},
]


def test_bitwise_comparison():
    b = _bench()
    same = [dict(r, wall_time=r["wall_time"] * 3) for r in ROWS]
    assert b.first_bitwise_difference(ROWS, same) is None  # NaN = NaN, wall time ignored
    ulp = [dict(r) for r in ROWS]
    ulp[1]["asr_total"] = math.nextafter(25.5, 30.0)
    assert "asr_total" in b.first_bitwise_difference(ROWS, ulp)
    assert "rows" in b.first_bitwise_difference(ROWS, ROWS[:1])


def test_across_rank_counts_relative_with_floors():
    b = _bench()
    other = [dict(r) for r in ROWS]
    other[1]["asr_total"] = 25.5 * (1 + 3e-9)
    d, where = b.largest_relative_difference(ROWS, other)
    assert math.isclose(d, 3e-9, rel_tol=1e-3) and "asr_total" in where
    floor = [dict(r, max_gap=0.0) for r in ROWS]
    tiny = [dict(r, max_gap=5e-13) for r in ROWS]  # below its 1e-12 floor: equal
    assert b.largest_relative_difference(floor, tiny)[0] == 0.0
    nan = [dict(r) for r in ROWS]
    nan[0]["voltage"] = 3.8
    assert b.largest_relative_difference(ROWS, nan)[0] == math.inf
