"""Load/time stepping over a protocol with automatic cut-back and regrowth.

A protocol is a list of segments; each ramps some load parameters linearly from their values at
the segment start to the segment's targets over ``steps`` nominal increments (and ``duration``
of physical time). A failed Newton solve (or a step whose damage increment exceeds
``max_damage_increment``) is rejected: the state is restored, the increment halved, and retried;
after ``max_cuts`` halvings the run stops cleanly with the last accepted state written
(:class:`~solver.errors.SolverFailure`). After two consecutive successes the increment doubles
again, up to the nominal one.

Two floors stop a run that keeps cutting and barely progresses (a collapse of the step across
accepted steps, which ``max_cuts`` per step does not bound): a cut that would take the increment
below ``min_step`` times the segment's nominal increment, and more than ``max_consecutive_cuts``
cut-backs since the last step accepted at the full nominal increment (counted across accepted
steps; a new segment starts afresh). Either raises :class:`~solver.errors.SolverFailure` with one
line naming the reason and the key, the last accepted state written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from solver.errors import SolverFailure
from solver.runlog import Progress

log = logging.getLogger(__name__)

LOAD_KEYS = ("pressure", "soc", "temperature", "displacement", "load_factor")  # ramped
STEP_KEYS = ("current_density", "voltage", "V_min", "V_max")  # constant over a segment


@dataclass
class Segment:
    kind: str
    targets: dict
    steps: int = 1
    duration: float = 0.0
    profile: tuple | None = None  # (times from the segment start [s], current density [A/m²])


def read_profile(path: str) -> tuple:
    """A CSV current history: rows of time [s] and current density [A/m²] (a non-numeric
    header line and '#' comments are skipped)."""
    import numpy as np

    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [x for x in line.replace(";", ",").split(",") if x.strip()]
            try:
                rows.append((float(parts[0]), float(parts[1])))
            except ValueError:
                continue
    a = np.array(rows, dtype=float)
    return a[:, 0], a[:, 1]


@dataclass
class StepInfo:
    step: int
    segment: int
    time: float
    loads: dict
    newton_iterations: int
    krylov_iterations: int
    cuts: int
    wall_time: float
    extra: dict = field(default_factory=dict)


def segments_from_protocol(protocol: list[dict], defaults: dict) -> list[Segment]:
    """Segments from the resolved ``loading.protocol`` list (SI values, keys of
    ``solver.config.STEP_SCHEMA``): ``stack_pressure`` → pressure, ``soc``, ``temperature``,
    ``displacement`` and ``current_density`` are ramped to their values at the step end.

    ``defaults``: ``pressure``, the target of the default single step (no protocol);
    ``displacement`` (optional), the platen displacement of every step that gives none (the
    pad-strain default of displacement mode, :meth:`solver.simulation.Simulation.
    _platen_displacement`; without it such a step holds the platen where it is)."""
    rename = {"stack_pressure": "pressure"}
    platen = defaults.get("displacement")
    segs = []
    for item in protocol:
        targets = {}
        for k, v in item.items():
            key = rename.get(k, k)
            if key in LOAD_KEYS + STEP_KEYS and v is not None:
                targets[key] = float(v)
        if platen is not None and "displacement" not in targets:
            targets["displacement"] = float(platen)
        profile = read_profile(item["profile"]) if item.get("profile") else None
        segs.append(
            Segment(
                item.get("kind", "hold"),
                targets,
                int(item.get("n_steps", item.get("steps", 1)) or 1),
                float(item.get("duration", 0.0) or 0.0),
                profile,
            )
        )
    if not segs:
        targets = {"pressure": defaults.get("pressure", 0.0)}
        if platen is not None:
            targets["displacement"] = float(platen)
        segs = [Segment("hold", targets, 5, 1.0)]
    return segs


class Stepper:
    """Drives ``model`` (set_loads, solve, accept, reject, damage_increment) over segments."""

    def __init__(
        self,
        model,
        segments: list[Segment],
        initial: dict,
        *,
        max_cuts: int = 8,
        max_damage_increment: float = 1.0,
        min_step: float | None = None,
        max_consecutive_cuts: int | None = None,
        rank: int = 0,
        observers: list[Callable[[StepInfo], None]] | None = None,
        on_failure: Callable[[StepInfo | None, str], None] | None = None,
    ):
        self.model, self.segments = model, segments
        self.state = dict(initial)
        self.state.setdefault("time", 0.0)
        self.max_cuts = max_cuts
        self.max_dd = max_damage_increment
        self.min_step = min_step  # fraction of the nominal increment; None: no floor
        self.max_streak = max_consecutive_cuts  # None: no limit
        self.rank = rank
        self.observers = observers or []
        self.on_failure = on_failure
        self.step = 0
        self.last: StepInfo | None = None

    def _interp(self, start: dict, seg: Segment, s: float) -> dict:
        st = {k: v for k, v in start.items() if k not in STEP_KEYS}
        for k, v in seg.targets.items():
            if k in STEP_KEYS:
                st[k] = v
            else:
                st[k] = start.get(k, 0.0) + s * (v - start.get(k, 0.0))
        st["time"] = start["time"] + s * seg.duration
        st["kind"] = seg.kind
        if seg.profile is not None:  # current history: linear between the CSV rows
            import numpy as np

            st["current_density"] = float(np.interp(s * seg.duration, *seg.profile))
        return st

    def _ageing_increment(self, ds: float, seg: Segment) -> tuple[float, bool]:
        """The segment fraction of the next step: ``ds``, shortened to the ageing error control
        of the model (``ageing_step_limit``: the largest Δt whose predicted growth of the ageing
        variables is within their tolerance, see solver.simulation). Returns (fraction, whether
        the ageing control shortened it); an ageing-limited step that then grew by more than
        1.5 times the tolerance (the temperature moved during the step) is cut back."""
        limit = getattr(self.model, "ageing_step_limit", None)
        if limit is None or seg.duration <= 0:
            return ds, False
        dt_max = limit()
        if not dt_max < ds * seg.duration:
            return ds, False
        return max(dt_max / seg.duration, 1e-15), True

    def run(self) -> StepInfo | None:
        total = sum(s.steps for s in self.segments)
        prog = Progress(total, "steps", self.rank)
        done_nominal = 0.0
        self.model.set_loads(self.state)
        self.ended_early = False
        for iseg, seg in enumerate(self.segments):
            if self.ended_early:
                break
            start = dict(self.state)
            ds_nom = 1.0 / max(seg.steps, 1)
            ds, s, ok_streak, cuts = ds_nom, 0.0, 0, 0
            streak = 0  # cut-backs since the last step accepted at the nominal increment
            while s < 1.0 - 1e-12:
                ds_step, aged = self._ageing_increment(ds, seg)
                s_new = min(1.0, s + ds_step)
                loads = self._interp(start, seg, s_new)
                t0 = time.perf_counter()
                self.model.set_loads(loads)
                res = self.model.solve()
                reason = None
                if not res.converged:
                    reason = f"Newton did not converge (SNES reason {res.reason})"
                elif aged and self.model.ageing_increment() > 1.5:
                    reason = "ageing increment above 1.5 ageing.rtol"
                    ds = ds_step  # (halved below)
                elif (
                    self.max_dd < 1.0
                    and self.model.damage_increment() > self.max_dd
                    and ds > ds_nom / 2**self.max_cuts
                    and (self.min_step is None or 0.5 * ds >= self.min_step * ds_nom)
                ):
                    reason = "damage increment too large"
                if reason is None:
                    extra = self.model.accept() or {}
                    self.step += 1
                    info = StepInfo(
                        self.step,
                        iseg,
                        loads["time"],
                        loads,
                        res.newton_iterations,
                        res.krylov_iterations,
                        cuts,
                        time.perf_counter() - t0,
                        extra,
                    )
                    self.state = loads
                    self.last = info
                    for obs in self.observers:
                        obs(info)
                    done_nominal += (s_new - s) * seg.steps
                    prog.update(done_nominal, f"t={loads['time']:.4g}s its={res.newton_iterations}")
                    s = s_new
                    cuts = 0
                    if ds >= ds_nom:
                        streak = 0
                    if extra.get("end_run"):
                        log.info(f"  run ended in segment {iseg + 1} '{seg.kind}' (see the log)")
                        self.ended_early = True
                        break
                    if extra.get("end_segment"):
                        log.info(f"  segment {iseg + 1} '{seg.kind}' ended at a cut-off")
                        break
                    ok_streak += 1
                    if ok_streak >= 2 and ds < ds_nom:
                        ds, ok_streak = min(ds_nom, 2 * ds), 0
                    continue
                self.model.reject()
                self.model.set_loads(self.state)
                ok_streak = 0
                cuts += 1
                streak += 1
                where = f"step {self.step + 1} (segment {iseg + 1} '{seg.kind}')"
                msg = None
                if cuts > self.max_cuts:
                    msg = (
                        f"{where}: {reason} after {self.max_cuts} step cuts (solver.max_cuts; "
                        f"minimum increment {ds:.3g} of the segment)"
                    )
                elif self.max_streak is not None and streak > self.max_streak:
                    msg = (
                        f"{where}: {reason}; {streak} step cuts since the last full-size step "
                        f"exceed solver.max_consecutive_cuts = {self.max_streak} (the run is "
                        f"not progressing, increment {ds / ds_nom:.3g} of nominal)"
                    )
                elif self.min_step is not None and 0.5 * ds < self.min_step * ds_nom * (1 - 1e-12):
                    msg = (
                        f"{where}: {reason}; the next increment {0.5 * ds / ds_nom:.3g} of "
                        f"nominal ({0.5 * ds * seg.duration:.3g} s) would fall below "
                        f"solver.min_step = {self.min_step:g}"
                    )
                if msg is not None:
                    prog.close()
                    msg += f"; the last converged state (step {self.step}) has been written"
                    if self.on_failure:
                        self.on_failure(self.last, msg)
                    raise SolverFailure(msg)
                ds *= 0.5
                log.info(f"  step cut ({reason}); retrying with increment {ds:.3g}")
        prog.close()
        return self.last
