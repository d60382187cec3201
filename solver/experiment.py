"""PyBaMM-style experiment strings ↔ ``[[loading.protocol]]`` steps (docs/case-format.md).

    parse_step("Charge at 0.5 mA/cm2 until 4.3 V")
    # {"kind": "current", "current_density": "0.5 mA/cm^2", "V_max": "4.3 V",
    #  "duration": "24 h", "n_steps": 1440}

Grammar (case-insensitive; the words of PyBaMM's ``pybamm.Experiment``, current densities in
place of currents and C-rates):

* ``Charge at <j> [for <t>] [or until <V>] [(<t> period)]``: a ``current`` step, +j (charge
  delithiates the electrode: current from the electrode into the electrolyte), V_max = V;
* ``Discharge at <j> ...``: −j, V_min = V;
* ``Hold at <V> [for <t>] [or until <j>] [(<t> period)]``: a ``voltage`` step ending when |j|
  falls to ``current_cutoff``;
* ``Rest for <t> [(<t> period)]``: a ``rest`` step (open circuit).

A step without ``for`` lasts at most :data:`DEFAULT_DURATION` (it ends at its cut-off), the
increments are ``period`` long (:data:`DEFAULT_PERIOD` as in PyBaMM): n_steps = ⌈duration /
period⌉. :func:`step_string` writes a resolved step back as a string that parses to the same
step (the round trip of ``tests/unit/test_protocols.py``).
"""

from __future__ import annotations

import math
import re

from solver.units import UnitError, to_si

DEFAULT_DURATION = "24 h"  # as PyBaMM's default step duration without a C-rate
DEFAULT_PERIOD = "1 min"  # PyBaMM's default period

_WORDS = {
    "seconds": "s",
    "second": "s",
    "minutes": "min",
    "minute": "min",
    "hours": "h",
    "hour": "h",
    "days": "d",
    "day": "d",
}


class ExperimentError(ValueError):
    """An experiment string that does not parse (one line: what was expected)."""


def _unit(text: str) -> str:
    """'0.5 mA/cm2' -> '0.5 mA/cm^2', '10 minutes' -> '10 min'."""
    text = text.strip()
    text = re.sub(r"(?<=[A-Za-z])([23])\b", r"^\1", text)
    for word, short in _WORDS.items():
        text = re.sub(rf"\b{word}\b", short, text, flags=re.I)
    return text


def _check(text: str, dim: str, what: str) -> str:
    try:
        to_si(text, dim)
    except UnitError:
        raise ExperimentError(f"expected {what}, got {text!r}") from None
    return text


_NUM = r"[-+0-9.eE]+\s*[A-Za-z/^0-9 ]*?"
_RE = re.compile(
    r"^(?P<verb>charge|discharge|hold|rest)"
    r"(?:\s+at\s+(?P<at>[^()]+?))?"
    r"(?:\s+for\s+(?P<for>[^()]+?))?"
    r"(?:\s+(?:or\s+)?until\s+(?P<until>[^()]+?))?"
    r"(?:\s*\(\s*(?P<period>[^()]+?)\s+period\s*\))?\s*$",
    re.I,
)


def parse_step(text: str) -> dict:
    """One experiment string → a protocol step (values as unit strings; the case resolver
    converts and checks them). :class:`ExperimentError` when it does not parse."""
    if not isinstance(text, str):
        raise ExperimentError(f"expected a string, got {text!r}")
    m = _RE.match(" ".join(text.split()))
    if m is None:
        raise ExperimentError(
            f"cannot read {text!r}: expected 'Charge|Discharge at <current density> [for <time>]"
            " [or until <voltage>]', 'Hold at <voltage> [for <time>] [or until <current "
            "density>]' or 'Rest for <time>', optionally '(<time> period)'"
        )
    verb = m["verb"].lower()
    at, until = m["at"], m["until"]
    duration = _unit(m["for"]) if m["for"] else None
    period = _unit(m["period"]) if m["period"] else DEFAULT_PERIOD
    step: dict = {}
    if verb in ("charge", "discharge"):
        if at is None:
            raise ExperimentError(f"{text!r}: '{verb} at <current density>' needs 'at'")
        j = _check(_unit(at), "current density", "a current density such as '0.5 mA/cm2'")
        if j.startswith("-"):
            raise ExperimentError(f"{text!r}: give the magnitude; the verb sets the sign")
        step = {"kind": "current", "current_density": j if verb == "charge" else "-" + j}
        if until is not None:
            V = _check(_unit(until), "voltage", "a cut-off voltage such as '4.3 V'")
            step["V_max" if verb == "charge" else "V_min"] = V
    elif verb == "hold":
        if at is None:
            raise ExperimentError(f"{text!r}: 'Hold at <voltage>' needs 'at'")
        step = {"kind": "voltage", "voltage": _check(_unit(at), "voltage", "a voltage")}
        if until is not None:
            step["current_cutoff"] = _check(
                _unit(until), "current density", "a cut-off current density such as '0.05 mA/cm2'"
            )
    else:  # rest
        if at is not None or until is not None:
            raise ExperimentError(f"{text!r}: 'Rest for <time>' takes no 'at' or 'until'")
        if duration is None:
            raise ExperimentError(f"{text!r}: 'Rest for <time>' needs its duration")
        step = {"kind": "rest"}
    if duration is None:
        duration = DEFAULT_DURATION
    t = to_si(_check(duration, "time", "a duration such as '10 minutes'"), "time")
    dt = to_si(_check(period, "time", "a period such as '10 seconds'"), "time")
    if not (t > 0 and dt > 0):
        raise ExperimentError(f"{text!r}: duration and period must be > 0")
    step["duration"] = duration
    step["n_steps"] = max(1, math.ceil(t / dt - 1e-9))
    return step


def parse(entries: list) -> list[dict]:
    """``loading.experiment``: a list of strings, or of ``{repeat = N, steps = [...]}`` tables
    (a cycle) → protocol steps. :class:`ExperimentError` names the entry."""
    out = []
    for i, e in enumerate(entries):
        try:
            if isinstance(e, dict):
                extra = set(e) - {"repeat", "steps"}
                if extra or not isinstance(e.get("steps"), list):
                    raise ExperimentError(
                        "expected a string or a table {repeat = N, steps = [strings]}"
                    )
                out.append(
                    {
                        "kind": "cycle",
                        "repeat": e.get("repeat", 1),
                        "steps": [parse_step(s) for s in e["steps"]],
                    }
                )
            else:
                out.append(parse_step(e))
        except ExperimentError as err:
            raise ExperimentError(f"[{i}]: {err}") from None
    return out


def _g(x: float) -> str:
    return repr(float(x))


def step_string(step: dict) -> str:
    """A resolved protocol step (SI values) as an experiment string; parses back to it."""
    kind = step["kind"]
    t = step["duration"]
    period = f"({_g(t / step['n_steps'])} s period)"
    if kind == "current":
        j = step["current_density"]
        verb = "Charge" if j >= 0 else "Discharge"
        text = f"{verb} at {_g(abs(j))} A/m^2 for {_g(t)} s"
        cut = step.get("V_max") if j >= 0 else step.get("V_min")
        if cut is not None:
            text += f" or until {_g(cut)} V"
    elif kind == "voltage":
        text = f"Hold at {_g(step['voltage'])} V for {_g(t)} s"
        if step.get("current_cutoff") is not None:
            text += f" or until {_g(step['current_cutoff'])} A/m^2"
    elif kind == "rest":
        text = f"Rest for {_g(t)} s"
    else:
        raise ExperimentError(f"a '{kind}' step has no experiment string")
    return f"{text} {period}"
