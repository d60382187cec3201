"""Load/time stepping over a protocol with automatic cut-back and regrowth.

A protocol is a list of segments; each ramps some load parameters linearly from their values at
the segment start to the segment's targets over ``steps`` nominal increments (and ``duration``
of physical time). A failed Newton solve (or a step whose damage increment exceeds
``max_damage_increment``) is rejected: the state is restored, the increment halved, and retried;
after ``max_cuts`` halvings the run stops cleanly with the last accepted state written
(:class:`~solver.errors.SolverFailure`). After two consecutive successes the increment doubles
again, up to the nominal one.

Cut-offs are events located in the step: when a converged step passes a cut-off of its segment
(``model.cutoff()`` > its tolerance: a voltage beyond V_min/V_max of a current step, |j| below
``current_cutoff`` of a voltage step), the step is rejected and its end is searched on the
segment fraction s between the last accepted state and the overshooting one (Illinois
regula falsi, bisection while no point inside is known) until the cut-off quantity is within
its tolerance; that state is accepted and the segment ends. A converged state that the model reports
as inadmissible (``model.check_state()``: e.g. c outside (0, c_max)) is not accepted: the step
is cut (a shorter step may stay admissible), at most ``max_cuts`` times per segment; then the
run stops with that reason (:class:`~solver.errors.StateOutOfRange`: status "failed",
``stop_reason`` in summary.json, exit 3), never "completed".

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

# the path following ends a segment as separated when its load (Q or λ, Simulation.path_load)
# has fallen below this fraction of its peak in the segment
PATH_END_LOAD = 0.1

LOAD_KEYS = ("pressure", "soc", "temperature", "displacement", "load_factor")  # ramped
STEP_KEYS = ("current_density", "voltage", "V_min", "V_max", "current_cutoff")  # constant


@dataclass
class Segment:
    kind: str
    targets: dict
    steps: int = 1
    duration: float = 0.0
    profile: tuple | None = None  # (times from the segment start [s], current density [A/m²])
    eis: dict | None = None  # an 'eis' step: f_min, f_max, points_per_decade (no time passes)


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
    from solver.config import flat_steps

    rename = {"stack_pressure": "pressure"}
    platen = defaults.get("displacement")
    segs = []
    for item in flat_steps(protocol):
        if item["kind"] == "eis":  # the impedance of the state reached: no loads, no time
            eis = {k: item[k] for k in ("f_min", "f_max", "points_per_decade")}
            segs.append(Segment("eis", {}, 0, 0.0, None, eis))
            continue
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
        path_following: str = "none",
        rank: int = 0,
        observers: list[Callable[[StepInfo], None]] | None = None,
        on_failure: Callable[[StepInfo | None, str], None] | None = None,
        on_eis: Callable[[int, Segment, dict], None] | None = None,
    ):
        self.model, self.segments = model, segments
        self.state = dict(initial)
        self.state.setdefault("time", 0.0)
        self.max_cuts = max_cuts
        self.max_dd = max_damage_increment
        self.min_step = min_step  # fraction of the nominal increment; None: no floor
        self.max_streak = max_consecutive_cuts  # None: no limit
        self.path_following = path_following  # solver.path_following
        self._path: dict | None = None  # the dissipation control of the segment (None: off)
        self.rank = rank
        self.observers = observers or []
        self.on_failure = on_failure
        self.on_eis = on_eis  # an 'eis' segment: on_eis(segment index, segment, loads)
        self.step = 0
        self.last: StepInfo | None = None
        self.ended_early = False
        # called after every accepted step, after the observers, with the position up to date
        self.after_step: list[Callable[[StepInfo], None]] = []

    @classmethod
    def from_case(cls, model, case, segments: list[Segment], initial: dict, **kw) -> Stepper:
        """A stepper with the case's ``[solver]`` step control (max_cuts,
        max_decohesion_increment, min_step, max_consecutive_cuts, path_following); ``kw``: the
        other arguments of the constructor (observers, rank, on_eis, ...)."""
        sv = case.solver
        return cls(
            model,
            segments,
            initial,
            max_cuts=sv["max_cuts"],
            max_damage_increment=sv["max_decohesion_increment"],
            min_step=sv["min_step"],
            max_consecutive_cuts=sv["max_consecutive_cuts"],
            path_following=sv["path_following"],
            **kw,
        )

    def _interp(self, start: dict, seg: Segment, s: float) -> dict:
        # the segment's end (the step loop stops within 1e-12 of it) is its targets exactly: a
        # sum of cut increments lands there only to round-off, and a value 1e-16 off its target
        # reads as a ramp to the next segment (path following refused: docs/theory.md §10.6a)
        end = s >= 1.0 - 1e-12
        st = {k: v for k, v in start.items() if k not in STEP_KEYS}
        for k, v in seg.targets.items():
            if k in STEP_KEYS or end:
                st[k] = v
            else:
                st[k] = start.get(k, 0.0) + s * (v - start.get(k, 0.0))
        st["time"] = start["time"] + (1.0 if end else s) * seg.duration
        st["kind"] = seg.kind
        if seg.profile is not None:  # current history: linear between the CSV rows
            import numpy as np

            st["current_density"] = float(np.interp(s * seg.duration, *seg.profile))
        return st

    def _cutoff(self):
        """(excess, tolerance, label) of the model's cut-off in the current state, or None."""
        fn = getattr(self.model, "cutoff", None)
        return fn() if fn is not None else None

    def _inadmissible(self) -> str | None:
        fn = getattr(self.model, "check_state", None)
        return fn() if fn is not None else None

    def _stop(self, iseg: int, seg: Segment, why: str, prog) -> None:
        """Stop the run on an inadmissible state (not accepted; the last accepted one stays)."""
        from solver.errors import StateOutOfRange

        self.model.reject()
        self.model.set_loads(self.state)
        prog.close()
        msg = (
            f"step {self.step + 1} (segment {iseg + 1} '{seg.kind}'): {why}; the run stopped "
            f"at the last admissible state (step {self.step}), which has been written"
        )
        if self.on_failure:
            self.on_failure(self.last, msg)
        raise StateOutOfRange(msg)

    def _locate(self, start: dict, seg: Segment, s_lo: float, s_hi: float, event):
        """Search s in (s_lo, s_hi) where the cut-off is met (|excess| <= tolerance): a first
        trial just after s_lo (the state at s_lo may belong to another segment's mode; a
        cut-off passed there at once, by a jump, ends the segment at that point), then Illinois
        regula falsi on the excess (bisection after an inadmissible trial state). Returns
        (s, loads, result, text) with the model at that converged state; or None."""
        g_hi, tol, _label = event
        g_lo = None
        side = 0
        bisect = False
        for _ in range(60):
            self.model.reject()
            if g_lo is None:  # first: just after the start (is the cut-off passed at once?)
                s_t = s_lo + 1e-6 * (s_hi - s_lo)
            elif bisect:
                s_t = 0.5 * (s_lo + s_hi)
            else:
                s_t = s_hi - g_hi * (s_hi - s_lo) / (g_hi - g_lo)
                s_t = min(max(s_t, s_lo + 1e-3 * (s_hi - s_lo)), s_hi - 1e-3 * (s_hi - s_lo))
            loads = self._interp(start, seg, s_t)
            self.model.set_loads(loads)
            res = self.model.solve()
            if not res.converged:
                return None
            if self._inadmissible() is not None:
                if g_lo is None:
                    return None  # inadmissible right after the start: cut the step
                s_hi, bisect = s_t, True  # beyond the admissible range: search before it
                continue
            bisect = False
            ev = self._cutoff()
            g = ev[0]
            if abs(g) <= tol or (s_hi - s_lo) <= 1e-12 or (g > 0 and g_lo is None):
                # met, or passed at the step start (a jump: the segment ends there)
                return s_t, loads, res, ev[2]
            if g > 0:
                s_hi, g_hi = s_t, g
                if side == 1 and g_lo is not None:
                    g_lo *= 0.5  # Illinois: the retained end's value halves
                side = 1
            else:
                s_lo, g_lo = s_t, g
                if side == -1:
                    g_hi *= 0.5
                side = -1
        return None

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

    # ------------------------------------------------------------------ path following
    def _path_start(self, dissipated: float | None) -> bool:
        """Switch the segment to the dissipation control (solver.path_following): after a
        load-controlled step that dissipated ``dissipated`` > 0, with that as the first
        increment (at least 1e-3 of the stored energy); after a failed load step (None) once
        only per segment, with 1e-3 of the stored energy, when some interface point is already
        damaged (from an elastic state the constraint is singular). Returns whether it did."""
        E = abs(self.model.load_energy())
        if dissipated is None:
            if self._path is not None or getattr(self, "_path_tried", None) == self._iseg:
                return False
            self._path_tried = self._iseg
            if not self.model.fracture_damaged():
                return False
            dtau = 1e-3 * E
        else:
            dtau = max(dissipated, 1e-3 * E)
        if not dtau > 0:
            return False
        self._path = {"dtau": dtau, "dtau0": dtau, "steps": 0}
        reset = getattr(self.model, "path_reset", None)
        if reset is not None:
            reset()
        log.info(f"  dissipation control on: first increment {dtau:.3g} J")
        return True

    def _path_step(self, start: dict, seg: Segment, s: float, ds: float, path: dict):
        """One trial step of the dissipation control from the last accepted state: returns
        (s_new, loads, result, reason) with reason None (converged and acceptable), "switch"
        (λ passed the segment's target: finish in load control) or why the step is cut."""
        lam_a = float(start.get("load_factor", 0.0))
        lam_b = float(seg.targets["load_factor"])
        loads = dict(self.state)
        loads["time"] = self.state["time"] + seg.duration / max(seg.steps, 1)
        loads["kind"] = seg.kind
        self.model.set_loads(loads)
        scale = max(abs(lam_a), abs(lam_b))
        res = self.model.solve_dissipation(path["dtau"], abs(lam_b - lam_a), scale)
        if not res.converged:
            return s, loads, res, f"Newton did not converge (SNES reason {res.reason})"
        lam = self.model.load_factor()
        s_new = (lam - lam_a) / (lam_b - lam_a)
        loads = dict(loads, load_factor=lam)
        if s_new > 1.0 + 1e-12:
            return s, loads, res, "switch"
        dd = self.model.damage_increment()
        if self.max_dd < 1.0 and dd > self.max_dd:
            return s, loads, res, "damage increment too large"
        return s_new, loads, res, None

    def _path_update(self, path, extra: dict, d_inc: float, res, iseg: int, seg) -> None:
        """After an accepted step of a segment that may be path-followed: switch the dissipation
        control on (a load step that dissipated), or adapt its increment: doubled at most, and
        at most 0.7 max_decohesion_increment/ΔD times (ΔD ~ Δτ in steady growth), halved after
        a hard Newton solve; end the segment when the interfaces cannot dissipate one more
        increment (separated)."""
        dissipated = float(extra.get("dissipated", 0.0))
        F = self.model.path_load()
        self._path_fmax = max(getattr(self, "_path_fmax", 0.0), F)
        if path is None:
            E = abs(self.model.load_energy())
            if dissipated > 1e-9 * E:
                self._path_start(dissipated)
            return
        path["steps"] += 1
        its = res.newton_iterations
        f = 2.0 if its <= 8 else (1.0 if its <= 15 else 0.5)
        if self.max_dd < 1.0 and d_inc > 0:
            f = min(f, 0.7 * self.max_dd / d_inc)
        path["dtau"] *= max(f, 0.25)
        if self.model.fracture_capacity() < path["dtau"]:
            extra["end_segment"] = True
            log.info(
                f"  segment {iseg + 1} '{seg.kind}': the interfaces are separated (less than one "
                "dissipation increment left)"
            )
        elif F < PATH_END_LOAD * self._path_fmax:
            extra["end_segment"] = True
            log.info(
                f"  segment {iseg + 1} '{seg.kind}': separated (the load fell to {F:.3g}, below "
                f"{PATH_END_LOAD:g} of its peak {self._path_fmax:.3g})"
            )

    def position(self) -> dict:
        """Where the stepper stands after the last accepted step, for a checkpoint (JSON-safe,
        exact): the segment, the progress s in it, the increment, the success streak, the step
        count, the loads at the segment start and now, the nominal steps done, whether the run
        has ended."""
        return {
            "iseg": self._iseg,
            "s": self._s,
            "ds": self._ds,
            "ok_streak": self._ok,
            "cuts": self._cuts,
            "state_cuts": self._state_cuts,
            "streak": self._streak,
            "path": self._path,
            "path_tried": getattr(self, "_path_tried", None),
            "path_fmax": getattr(self, "_path_fmax", 0.0),
            "start": self._start,
            "state": self.state,
            "step": self.step,
            "done_nominal": self._done,
            "ended_early": self.ended_early,
            "last": None if self.last is None else dict(vars(self.last)),
        }

    def resume(self, pos: dict) -> None:
        """Continue from :meth:`position` (the model's state restored separately)."""
        self._iseg, self._s, self._ds = pos["iseg"], pos["s"], pos["ds"]
        self._ok, self._cuts, self._start = pos["ok_streak"], pos["cuts"], pos["start"]
        self._state_cuts = pos.get("state_cuts", 0)
        self._streak = pos.get("streak", 0)
        self._path = None if pos.get("path") is None else dict(pos["path"])
        self._path_tried = pos.get("path_tried")
        self._path_fmax = pos.get("path_fmax", 0.0)
        self.state, self.step, self._done = dict(pos["state"]), pos["step"], pos["done_nominal"]
        self.ended_early = pos["ended_early"]
        self.last = None if pos["last"] is None else StepInfo(**pos["last"])
        self._resumed = True

    def run(self) -> StepInfo | None:
        """Step through the segments (from the start, or from the position given to
        :meth:`resume`). After every accepted step the observers see it, then the ``after_step``
        callbacks (checkpoints, the time limit) run with the stepper's position up to date."""
        total = sum(s.steps for s in self.segments)
        prog = Progress(total, "steps", self.rank)
        if not getattr(self, "_resumed", False):
            self._iseg, self._start, self._done = 0, None, 0.0
            self.ended_early = False
        self.model.set_loads(self.state)
        while self._iseg < len(self.segments) and not self.ended_early:
            iseg = self._iseg
            seg = self.segments[iseg]
            if seg.kind == "eis":  # the small-signal response of the last accepted state
                if self.on_eis is not None:
                    self.on_eis(iseg, seg, self.state)
                self._iseg, self._start = iseg + 1, None
                continue
            ds_nom = 1.0 / max(seg.steps, 1)
            if self._start is None:  # a new segment
                self._start = dict(self.state)
                self._ds, self._s, self._ok, self._cuts = ds_nom, 0.0, 0, 0
                self._state_cuts = 0
                self._streak = 0  # cut-backs since the last step accepted at the nominal increment
                self._path = None
                self._path_fmax = 0.0
            start = self._start
            seg_done = False
            pf = self.path_following != "none" and self.model.path_following_available(start, seg)
            if self.path_following != "none" and not pf and self._s == 0.0:
                log.info(
                    f"  segment {iseg + 1} '{seg.kind}': load control (path following needs a "
                    "step that ramps load_factor and nothing else)"
                )
            while not seg_done and self._s < 1.0 - 1e-12:
                s, ds = self._s, self._ds
                path = self._path
                t0 = time.perf_counter()
                if path is not None:  # dissipation control: λ is an unknown
                    aged = False
                    s_new, loads, res, reason = self._path_step(start, seg, s, ds, path)
                    if reason == "switch":  # λ passed the segment's end
                        self.model.reject()
                        self.model.set_loads(self.state)
                        if path.get("over", 0) < 4:  # a smaller dissipation lands nearer it
                            path["over"] = path.get("over", 0) + 1
                            path["dtau"] *= 0.5
                            continue
                        self._path = None  # then finish in load control (a short step)
                        self._ds = max(1.0 - s, 1e-12)
                        log.info("  dissipation control passed the segment's load factor")
                        continue
                else:
                    ds_step, aged = self._ageing_increment(ds, seg)
                    s_new = min(1.0, s + ds_step)
                    loads = self._interp(start, seg, s_new)
                    self.model.set_loads(loads)
                    res = self.model.solve()
                    reason = None
                if reason is not None or path is not None:
                    pass
                elif not res.converged:
                    reason = f"Newton did not converge (SNES reason {res.reason})"
                    cause = getattr(self.model, "failure_cause", None)  # (issue 13)
                    cause = cause() if cause is not None else None
                    if cause:
                        reason += f": {cause}"
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
                event = self._cutoff() if reason is None else None
                if reason is None and (event is None or event[0] <= event[1]):
                    why = self._inadmissible()
                    if why is not None:
                        # cut like a failed solve (a shorter step may stay admissible), but at
                        # most max_cuts times per segment, accepted steps between them included
                        # (no Zeno approach to the bound): then stop with the reason
                        self._state_cuts += 1
                        if self._state_cuts > self.max_cuts:
                            self._stop(iseg, seg, why, prog)
                        reason = why
                if reason is None:
                    if event is not None and event[0] > event[1]:  # passed the cut-off
                        located = self._locate(start, seg, s, s_new, event)
                        if located is None:  # the search failed: cut the step as usual
                            reason = "cut-off location failed"
                        else:
                            s_new, loads, res, label = located
                            event = (0.0, 1.0, label)
                if reason is None:
                    d_inc = self.model.damage_increment() if pf else 0.0
                    extra = self.model.accept() or {}
                    if pf:
                        self._path_update(path, extra, d_inc, res, iseg, seg)
                    if event is not None and event[0] >= -event[1]:
                        extra["end_segment"] = True
                        log.info(f"  segment {iseg + 1} '{seg.kind}': {event[2]}")
                    self.step += 1
                    info = StepInfo(
                        self.step,
                        iseg,
                        loads["time"],
                        loads,
                        res.newton_iterations,
                        res.krylov_iterations,
                        self._cuts,
                        time.perf_counter() - t0,
                        extra,
                    )
                    self.state = loads
                    self.last = info
                    for obs in self.observers:
                        obs(info)
                    self._done += abs(s_new - s) * seg.steps
                    prog.update(self._done, f"t={loads['time']:.4g}s its={res.newton_iterations}")
                    self._s = s_new
                    self._cuts = 0
                    if ds >= ds_nom or path is not None:  # (a path step dissipated Δτ)
                        self._streak = 0
                    if extra.get("end_run"):
                        log.info(f"  run ended in segment {iseg + 1} '{seg.kind}' (see the log)")
                        self.ended_early = True
                        seg_done = True
                    elif extra.get("end_segment"):
                        log.info(f"  segment {iseg + 1} '{seg.kind}' ended at a cut-off")
                        seg_done = True
                    elif path is not None:
                        seg_done = self._s >= 1.0 - 1e-12
                    else:
                        self._ok += 1
                        if self._ok >= 2 and ds < ds_nom:
                            self._ds, self._ok = min(ds_nom, 2 * ds), 0
                        seg_done = self._s >= 1.0 - 1e-12
                    if seg_done:  # the position is the start of the next segment
                        self._iseg, self._start = iseg + 1, None
                    for cb in self.after_step:
                        cb(info)
                    continue
                self.model.reject()
                self.model.set_loads(self.state)
                self._ok = 0
                self._cuts += 1
                self._streak += 1
                where = f"step {self.step + 1} (segment {iseg + 1} '{seg.kind}')"
                if path is not None:  # the step's dissipation relative to the first one
                    ds = ds_nom * path["dtau"] / path["dtau0"]
                elif pf and not res.converged and self._path_start(None):
                    log.info(f"  step cut ({reason}); dissipation control from the last state")
                    continue
                msg = None
                if self._cuts > self.max_cuts:
                    msg = (
                        f"{where}: {reason} after {self.max_cuts} step cuts (solver.max_cuts; "
                        f"minimum increment {ds:.3g} of the segment)"
                    )
                elif self.max_streak is not None and self._streak > self.max_streak:
                    msg = (
                        f"{where}: {reason}; {self._streak} step cuts since the last full-size "
                        f"step exceed solver.max_consecutive_cuts = {self.max_streak} (the run is "
                        f"not progressing, increment {ds / ds_nom:.3g} of nominal)"
                    )
                elif (
                    self.min_step is not None
                    and not aged  # an ageing-limited step is short by design (error control)
                    and 0.5 * ds < self.min_step * ds_nom * (1 - 1e-12)
                ):
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
                if path is not None:
                    path["dtau"] *= 0.5
                    log.info(f"  step cut ({reason}); retrying with dissipation {path['dtau']:.3g}")
                    continue
                self._ds = ds * 0.5
                log.info(f"  step cut ({reason}); retrying with increment {self._ds:.3g}")
        prog.close()
        return self.last
