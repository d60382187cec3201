"""The bisection of benchmarks/critical_current.py (issue 13, item 4) with stub runners: the
bracket handling, the stated tolerance, and that a run ending in a Newton failure is reported
as such and never counted as a contact loss. No FE run (the product path is timed by the
benchmark itself)."""

from __future__ import annotations

import math

import pytest

from benchmarks.critical_current import bisect_critical


def threshold(j_star: float, fail: tuple[float, float] | None = None):
    """A runner that loses contact at j ≥ j_star, and fails Newton for j in ``fail``."""

    def run(j: float) -> str:
        if fail and fail[0] <= j <= fail[1]:
            return "newton_failure"
        return "contact_lost" if j >= j_star else "completed"

    return run


@pytest.mark.parametrize("rtol", [0.2, 0.05, 1e-3])
def test_bisection_converges_to_the_stated_tolerance(rtol):
    j_star = 37.0
    res = bisect_critical(threshold(j_star), 5.0, 500.0, rtol)
    assert res["status"] == "bracketed"
    assert res["j_lo"] < j_star <= res["j_hi"]
    assert res["j_hi"] / res["j_lo"] <= 1 + rtol
    assert abs(res["j_crit"] / j_star - 1) <= rtol
    # halving in log(j): 2 bracket runs + ceil(log2(ln 100 / ln(1 + rtol))) at most
    n_max = 2 + math.ceil(math.log2(math.log(100.0) / math.log(1 + rtol)))
    assert len(res["runs"]) <= n_max
    # the bracket runs come first, then each run lies strictly inside the bracket before it
    assert [j for j, _ in res["runs"][:2]] == [5.0, 500.0]
    lo, hi = 5.0, 500.0
    for j, outcome in res["runs"][2:]:
        assert lo < j < hi
        lo, hi = (lo, j) if outcome == "contact_lost" else (j, hi)


def test_bracket_that_does_not_contain_the_critical_current():
    below = bisect_critical(threshold(1.0), 5.0, 500.0, 0.05)
    assert below["status"] == "below_bracket" and below["j_crit"] is None
    assert below["runs"] == [(5.0, "contact_lost")]  # nothing more run
    above = bisect_critical(threshold(1e4), 5.0, 500.0, 0.05)
    assert above["status"] == "above_bracket" and above["j_crit"] is None
    assert [o for _, o in above["runs"]] == ["completed", "completed"]
    with pytest.raises(ValueError):
        bisect_critical(threshold(1.0), 5.0, 5.0, 0.05)
    with pytest.raises(ValueError):
        bisect_critical(threshold(1.0), 5.0, 50.0, 0.0)


def test_newton_failure_is_not_a_contact_loss():
    """Newton fails between 20 and 30 A/m² (below j* = 37): the search stops at the first
    failed run, reports it as ``newton_failure`` with that j, and the upper bracket is never
    lowered by it (a failure counted as a loss would give j_crit ≈ 20-30)."""
    res = bisect_critical(threshold(37.0, fail=(20.0, 30.0)), 5.0, 500.0, 0.05)
    assert res["status"] == "newton_failure"
    assert res["j_crit"] is None
    assert 20.0 <= res["failed_at"] <= 30.0
    assert res["runs"][-1] == (res["failed_at"], "newton_failure")
    assert res["j_hi"] >= 37.0  # only a run that lost contact moved it
    assert all(o != "newton_failure" for _, o in res["runs"][:-1])
    # a failure at the bracket itself is reported the same way, never as below/above_bracket
    at_lo = bisect_critical(threshold(37.0, fail=(0.0, 6.0)), 5.0, 500.0, 0.05)
    assert at_lo["status"] == "newton_failure" and at_lo["failed_at"] == 5.0
    at_hi = bisect_critical(threshold(37.0, fail=(400.0, 600.0)), 5.0, 500.0, 0.05)
    assert at_hi["status"] == "newton_failure" and at_hi["failed_at"] == 500.0
