"""The step floors of the stepper (solver.stepping.Stepper): a run that keeps cutting stops.

A fake model fails every solve whose load lies beyond a limit point ``x_fail`` (a snap-back:
no converged state exists past it), so the increment is cut again and again as the load creeps
up to the limit. ``max_cuts`` bounds the cuts of one step only; the floors ``min_step`` (on the
increment) and ``max_consecutive_cuts`` (on the cuts across accepted steps) must stop the run
with :class:`SolverFailure` naming the key, after a bounded number of solves, the last accepted
state kept.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from solver.errors import SolverFailure
from solver.stepping import Segment, Stepper

pytestmark = pytest.mark.serial


def _result(ok: bool):
    return SimpleNamespace(
        converged=ok, reason=2 if ok else -5, newton_iterations=1, krylov_iterations=0
    )


class LimitPoint:
    """Converges for load_factor below x_fail (and not within 1e-13 of it, where the tangent
    is singular), fails beyond it."""

    def __init__(self, x_fail: float):
        self.x_fail, self.x, self.solves, self.accepted = x_fail, 0.0, 0, []

    def set_loads(self, loads):
        self.x = loads.get("load_factor", 0.0)

    def solve(self):
        self.solves += 1
        return _result(self.x < self.x_fail - 1e-13)

    def accept(self):
        self.accepted.append(self.x)
        return {}

    def reject(self):
        pass

    def damage_increment(self):
        return 0.0


def _run(model, **kw):
    seg = Segment("hold", {"load_factor": 1.0}, steps=4, duration=1.0)
    st = Stepper(model, [seg], {"load_factor": 0.0}, max_cuts=8, **kw)
    with pytest.raises(SolverFailure) as e:
        st.run()
    return st, str(e.value)


class StillRunning(Exception):
    pass


def test_without_floors_the_step_collapses_and_never_gives_up():
    """The defect the floors remove: max_cuts alone bounds the cuts of one step, each accepted
    step resets it, so the increment shrinks without bound and the run creeps up to the limit
    point; at round-off it accepts steps of zero progress for ever (stopped here at 3000)."""

    class Counting(LimitPoint):
        def solve(self):
            if self.solves >= 3000:
                raise StillRunning
            return super().solve()

    m = Counting(0.6)
    seg = Segment("hold", {"load_factor": 1.0}, steps=4, duration=1.0)
    st = Stepper(m, [seg], {"load_factor": 0.0}, max_cuts=8)
    with pytest.raises(StillRunning):
        st.run()
    assert 0.6 - m.accepted[-1] < 1e-12


@pytest.mark.parametrize("min_step", [1e-3, 1e-6])
def test_min_step_stops_the_run_at_the_floor(min_step):
    m = LimitPoint(0.6)
    st, msg = _run(m, min_step=min_step, max_consecutive_cuts=None)
    assert "solver.min_step" in msg and "\n" not in msg
    assert f"step {st.step}) has been written" in msg
    # the run stops at the first cut below the floor: the load got to within a few floors of
    # the limit point, and each halving level was visited at most about twice
    ds_nom = 0.25
    assert 0.6 - m.accepted[-1] <= 4 * min_step * ds_nom
    assert m.solves <= 4 * math.log2(1 / min_step) + 10
    assert st.state["load_factor"] == m.accepted[-1]  # the last accepted state is kept


def test_max_consecutive_cuts_counts_across_accepted_steps():
    m = LimitPoint(0.6)
    st, msg = _run(m, min_step=None, max_consecutive_cuts=5)
    assert "solver.max_consecutive_cuts = 5" in msg
    assert "6 step cuts" in msg
    # every cut of the run came after the last full-size step; the run stopped at the 6th
    assert m.solves - len(m.accepted) == 6
    assert len(m.accepted) >= 3  # accepted steps in between did not reset the count


def test_full_size_steps_reset_the_count():
    """A segment whose every other full-size step fails and is taken in two halves (after which
    the increment doubles back) is progressing: the count restarts, the run completes."""

    class Bumpy(LimitPoint):
        def solve(self):
            self.solves += 1
            prev = self.accepted[-1] if self.accepted else 0.0
            full = abs((self.x - prev) - 1 / 8) < 1e-12
            odd = round(self.x * 8) % 2 == 1 and abs(self.x * 8 - round(self.x * 8)) < 1e-9
            return _result(not (full and odd))

    m = Bumpy(2.0)
    seg = Segment("hold", {"load_factor": 1.0}, steps=8, duration=1.0)
    st = Stepper(m, [seg], {"load_factor": 0.0}, max_cuts=8, min_step=0.4, max_consecutive_cuts=1)
    st.run()
    assert m.accepted[-1] == pytest.approx(1.0, abs=1e-15)
    assert m.solves - len(m.accepted) == 4  # cut at 1/8, 3/8, 5/8, 7/8


def test_a_segment_ends_exactly_on_its_targets():
    """Ten increments of 0.1 sum to 1 − 1.1e-16: the last step of the segment still applies the
    segment's targets exactly (a load factor or temperature 1e-16 off its target reads as a ramp
    in the next segment, which then refuses the path following: docs/theory.md §10.6a)."""
    s = 0.0
    for _ in range(10):
        s += 0.1
    assert s != 1.0 and s > 1.0 - 1e-12  # the round-off this guards against
    m = LimitPoint(2.0)
    targets = {"load_factor": 0.3, "temperature": 298.15}
    st = Stepper(m, [Segment("hold", targets, steps=10, duration=1.0)], {"load_factor": 0.0})
    st.run()
    assert len(m.accepted) == 10
    assert st.state["load_factor"] == 0.3 and st.state["temperature"] == 298.15
    assert st.state["time"] == 1.0
