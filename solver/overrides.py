"""Command-line and API overrides of case-file keys: ``ssbx run case.toml --set KEY=VALUE``.

    case, warnings = load_case("cases/default.toml", {"loading.stack_pressure": "5 MPa",
                                                      "loading.protocol[current].current_density":
                                                      "2 mA/cm^2"})

A key is a dotted path into the case file, written as in the file:

* ``section.key`` (``loading.stack_pressure``, ``interface.G_Ic``, ``physics.thermal``);
* ``materials.<role>.<property>`` (``materials.electrolyte.E``; a role given as a preset name in
  the file becomes ``{preset = <name>, <property> = <value>}``);
* an entry of an array of tables by its index, ``loading.protocol[1].current_density``
  (also ``interface.debonded[0].fraction``, ``loading.boundary[0].ty``);
* every protocol step that uses the key, ``loading.protocol[*].current_density`` (the steps whose
  kind has the key), or every step of one kind, ``loading.protocol[current].current_density``.

A value is read as a TOML value (``4``, ``2.5e6``, ``true``, ``"5 MPa"``, ``[0, 1e-6]``); text
that is not TOML is taken as a string, so ``--set loading.stack_pressure="5 MPa"`` and
``--set loading.stack_pressure=5MPa`` both work. The overridden case is validated exactly like a
file (:func:`solver.config.case_from_dict`): an unknown key or a bad value raises
:class:`~solver.errors.InputError` with one line naming the key. An override that cannot act
because every step that would read it sets its own value (``loading.stack_pressure`` when every
step has a ``stack_pressure``) is returned as a warning line (for the FE run: ``ssbx screen``
reads the loading values themselves, so it prints no such warning).
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from typing import Any

from solver.errors import InputError

OPTION = "--set"
# [index], [*] (every entry that has the key) or [kind] (protocol steps of that kind)
_TOKEN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\*|\d+|[A-Za-z_]+)\])?$")


def parse_value(text: str) -> Any:
    """The value of ``KEY=VALUE`` text: a TOML value if it reads as one, else the text."""
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"loading.stack_pressure=5 MPa"`` -> ``("loading.stack_pressure", "5 MPa")``.
    Raises :class:`InputError` (one line) without ``=`` or without a key."""
    key, eq, value = text.partition("=")
    key = key.strip()
    if not eq or not key:
        raise InputError(
            f"{OPTION}: got '{text}', allowed KEY=VALUE with a dotted case-file key (e.g. "
            "loading.stack_pressure='5 MPa' or loading.protocol[1].current_density=2)"
        )
    return key, parse_value(value)


def parse_assignments(items) -> dict[str, Any]:
    """A list of ``KEY=VALUE`` texts as an ordered dict (a later key wins)."""
    out: dict[str, Any] = {}
    for item in items or ():
        k, v = parse_assignment(item)
        out[k] = v
    return out


def _split(key: str) -> list[tuple[str, str | None]]:
    parts = key.split(".")
    out = []
    for p in parts:
        m = _TOKEN.match(p)
        if not m:
            raise InputError(
                f"{OPTION} {key}: cannot read '{p}', allowed dotted names with an optional "
                "[index], [*] or [kind] (e.g. loading.protocol[1].current_density)"
            )
        out.append((m.group(1), m.group(2)))
    if len(out) < 2:
        raise InputError(
            f"{OPTION} {key}: allowed section.key (e.g. loading.stack_pressure), got no section"
        )
    if out[0][1] is not None:
        raise InputError(f"{OPTION} {key}: a section ({out[0][0]}) has no [index]")
    return out


def _step_keys(kind: Any) -> tuple[str, ...]:
    from solver.config import _STEP_COMMON, _STEP_KEYS, EIS_STEP_KEYS

    if kind == "eis":
        return EIS_STEP_KEYS
    return (*_STEP_COMMON, *_STEP_KEYS.get(kind, ()))


def _targets(raw: dict, key: str) -> list[tuple[dict, str]]:
    """The (table, key) pairs of ``raw`` that the override ``key`` sets, creating the tables on
    the way (``raw`` is a copy)."""
    from solver.config import DEFAULT_MATERIALS, STEP_KINDS

    parts = _split(key)
    tables: list[tuple[dict, str]] = [(raw, "")]  # (table, path so far)
    for depth, (name, sel) in enumerate(parts):
        last = depth == len(parts) - 1
        nxt: list[tuple[dict, str]] = []
        for table, where in tables:
            here = f"{where}.{name}" if where else name
            if last and sel is None:
                nxt.append((table, name))
                continue
            if sel is None:  # a sub-table
                sub = table.get(name)
                if sub is None and where == "materials":
                    sub = DEFAULT_MATERIALS.get(name)
                    if sub is None:
                        sub = {}
                if isinstance(sub, str) and where == "materials":
                    sub = {"preset": sub}  # a role given by its preset name
                if sub is None:
                    sub = {}
                if not isinstance(sub, dict):
                    raise InputError(
                        f"{OPTION} {key}: '{here}' is {type(sub).__name__} in the case, allowed "
                        "a key inside a table"
                    )
                table[name] = sub
                nxt.append((sub, here))
                continue
            if last:
                raise InputError(
                    f"{OPTION} {key}: '{here}[{sel}]' is an entry, allowed a key inside it "
                    f"(e.g. {here}[{sel}].duration)"
                )
            entries = table.get(name)
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                raise InputError(
                    f"{OPTION} {key}: the case has no array of tables '{here}' "
                    f"([[{here}]]), allowed an index only into one"
                )
            if sel.isdigit():
                i = int(sel)
                if i >= len(entries):
                    raise InputError(
                        f"{OPTION} {key}: '{here}' has {len(entries)} entries, allowed index "
                        f"0 to {len(entries) - 1}"
                    )
                nxt.append((entries[i], f"{here}[{i}]"))
                continue
            child = parts[depth + 1][0]
            protocol = here == "loading.protocol"
            if sel != "*" and not protocol:
                raise InputError(
                    f"{OPTION} {key}: '[{sel}]' selects protocol steps by kind, allowed an "
                    f"index or [*] for '{here}'"
                )
            if sel != "*" and sel not in STEP_KINDS:
                raise InputError(
                    f"{OPTION} {key}: got the step kind '{sel}', allowed {', '.join(STEP_KINDS)}"
                    ", an index or *"
                )
            chosen = []
            for i, e in enumerate(entries):
                if protocol:
                    if sel != "*" and e.get("kind") != sel:
                        continue
                    if depth + 2 == len(parts) and child not in _step_keys(e.get("kind")):
                        continue
                chosen.append((e, f"{here}[{i}]"))
            if not chosen:
                what = f"no step of kind '{sel}'" if sel != "*" else "no entry"
                raise InputError(
                    f"{OPTION} {key}: '{here}' has {what} that takes '{child}' (the case's "
                    f"steps: {', '.join(str(e.get('kind')) for e in entries) or 'none'})"
                )
            nxt.extend(chosen)
        tables = nxt
    return tables


# loading keys that are only defaults of the protocol steps: (the step kinds that read them)
_STEP_DEFAULTS = {"stack_pressure": None, "current_density": ("current",)}


def apply(raw: dict, overrides: dict[str, Any]) -> tuple[dict, list[str]]:
    """A deep copy of the parsed case ``raw`` with ``overrides`` ({dotted key: value}) set, and
    the warning lines (an override that no step reads). Raises :class:`InputError` (one line)
    for a key path that cannot be followed (an index out of range, a kind without the key);
    the values are checked when the result is resolved."""
    out = copy.deepcopy(raw)
    warnings: list[str] = []
    for key, value in overrides.items():
        for table, name in _targets(out, key):
            table[name] = copy.deepcopy(value)
        w = _unread(out, key)
        if w:
            warnings.append(w)
    return out, warnings


def _unread(raw: dict, key: str) -> str | None:
    parts = key.split(".")
    if len(parts) != 2 or parts[0] != "loading" or parts[1] not in _STEP_DEFAULTS:
        return None
    name = parts[1]
    steps = raw.get("loading", {}).get("protocol") or []
    if not isinstance(steps, list):
        return None
    kinds = _STEP_DEFAULTS[name]
    readers = [
        s for s in steps if isinstance(s, dict) and (kinds is None or s.get("kind") in kinds)
    ]
    if not steps:
        return None
    if not readers:
        return (
            f"{OPTION} {key}: no step of loading.protocol is a {' or '.join(kinds)} step, so the "
            "value changes nothing"
        )
    if all(name in s for s in readers):
        sel = "*" if kinds is None else kinds[0]
        return (
            f"{OPTION} {key}: every {'' if kinds is None else kinds[0] + ' '}step of "
            f"loading.protocol sets its own {name}, so the value changes nothing (set "
            f"loading.protocol[{sel}].{name} instead)"
        )
    return None


def load_case(path: str | os.PathLike, overrides: dict[str, Any] | None = None):
    """Read the case file ``path``, apply ``overrides`` and validate the result like a file.
    Returns ``(case, warnings)``: the :class:`solver.config.Case` (its ``raw`` holds the
    overridden TOML) and the warning lines. Raises :class:`InputError`."""
    from solver.config import case_from_dict, read_case_toml
    from solver.config import load_case as load_file

    if not overrides:
        return load_file(path), []
    raw, warnings = apply(read_case_toml(path), overrides)
    return case_from_dict(raw, path), warnings


def resolved_value(case, key: str) -> Any:
    """The resolved (SI) value of the dotted ``key`` in ``case`` (the first entry for ``[*]`` or
    ``[kind]``); None where the path does not exist."""
    node: Any = case.resolved
    parts = _split(key)
    for depth, (name, sel) in enumerate(parts):
        if not isinstance(node, dict) or name not in node:
            return None
        node = node[name]
        if sel is None:
            continue
        if not isinstance(node, list):
            return None
        if sel.isdigit():
            node = node[int(sel)] if int(sel) < len(node) else None
        else:
            child = parts[depth + 1][0] if depth + 1 < len(parts) else None
            node = next(
                (e for e in node if (sel == "*" or e.get("kind") == sel) and child in e), None
            )
        if node is None:
            return None
    return node
