"""Shared helpers of the reduced-order models: argument checking, constants, scalar output.

Every public function of :mod:`solver.reduced` converts its inputs with :func:`check`, which
returns a float array (broadcasting is then left to NumPy) and raises ``ValueError`` naming the
offending parameter, e.g. ``"E_star must be > 0, got -1"``.
"""

from __future__ import annotations

import math

import numpy as np

GAS_CONSTANT = 8.314462618  # J/(mol K)
FARADAY = 96485.33212  # C/mol


def _fmt(v: float) -> str:
    return f"{float(v):g}"


def check(
    name: str,
    value,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    allow_inf: bool = False,
) -> np.ndarray:
    """``value`` as a float array; ``ValueError`` naming ``name`` when a bound is violated.

    NaN is always rejected; ±inf only with ``allow_inf`` (and only where the bounds admit it).
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if np.isnan(arr).any():
        raise ValueError(f"{name} must be a number, got nan")
    if not allow_inf and np.isinf(arr).any():
        bad = arr[np.isinf(arr)].flat[0]
        raise ValueError(f"{name} must be finite, got {_fmt(bad)}")
    for bound, ok, sym in (
        (gt, lambda x, b: x > b, ">"),
        (ge, lambda x, b: x >= b, ">="),
        (lt, lambda x, b: x < b, "<"),
        (le, lambda x, b: x <= b, "<="),
    ):
        if bound is None:
            continue
        good = ok(arr, bound)
        if not np.all(good):
            bad = arr[~good].flat[0] if arr.ndim else arr
            raise ValueError(f"{name} must be {sym} {_fmt(bound)}, got {_fmt(bad)}")
    return arr


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def out(x):
    """Return 0-d arrays as NumPy scalars (so scalar inputs give scalar outputs)."""
    x = np.asarray(x)
    return x[()] if x.ndim == 0 else x


def finite_or_none(x) -> float | None:
    """A JSON-friendly float: ``None`` for NaN/inf."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None
