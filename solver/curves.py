"""Tabulated material curves of the stoichiometry x = c/c_max: open-circuit potentials U(x) with
the entropic coefficient dU/dT(x), diffusivities D(x) and Vegard coefficients β(x)
(docs/theory.md §5.2).

A curve is a table of points (x_i, y_i), interpolated by the monotone piecewise-cubic Hermite
interpolant of Fritsch & Carlson (SIAM J. Numer. Anal. 17 (1980) 238; ``scipy.interpolate.
PchipInterpolator``): C¹, through every table point, and monotone wherever the table is, so an
OCV table that falls with x gives a U(x) that falls everywhere (no overshoot between points).
:meth:`Curve.ufl` writes the same interpolant as a UFL expression of a concentration field, so
the Newton Jacobian differentiates it exactly.

Built-in curves (:data:`BUILTIN`) are the published open-circuit-potential fits of PyBaMM's
parameter sets, sampled at Chebyshev–Lobatto points of their validity window (denser where the
fits bend); the sampling error of the interpolant against the fit is in
``tests/unit/test_curves.py`` (≤ 1e-4 V). A case names a built-in curve or a CSV file::

    ocv_curve = "Chen2020"              # built-in
    ocv_curve = "data/my_ocv.csv"       # rows x, U [V] (, dU/dT [V/K]); '#' comments, a header

CSV rows: x = c/c_max in [0, 1] strictly increasing, then the value (V for an OCV, m²/s for a
diffusivity, m³/mol for a Vegard coefficient); an OCV file may carry a third column dU/dT (V/K).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QUANTITIES = {"ocv": "V", "D": "m^2/s", "vegard": "m^3/mol"}


@dataclass(frozen=True)
class Curve:
    """A table y(x) of the stoichiometry x = c/c_max (shape (n,), n >= 2, x strictly increasing
    in [0, 1]) with its monotone cubic interpolant; ``dydT``: the entropic coefficient table
    (V/K, same x) of an OCV, or None."""

    name: str
    quantity: str  # "ocv", "D" or "vegard"
    x: np.ndarray
    y: np.ndarray
    source: str
    dydT: np.ndarray | None = None

    @property
    def range(self) -> tuple[float, float]:
        """The stoichiometry window of the table (the run stops when x leaves it)."""
        return float(self.x[0]), float(self.x[-1])

    def _pchip(self, y):
        from scipy.interpolate import PchipInterpolator

        return PchipInterpolator(self.x, y, extrapolate=True)

    def __call__(self, x):
        """The interpolant at ``x`` (float or array; linear in the end slopes outside)."""
        return self._pchip(self.y)(x)

    def entropic(self, x):
        """dU/dT at ``x`` (V/K); 0 when the source gives none."""
        if self.dydT is None:
            return 0.0 * np.asarray(x, dtype=float)
        return self._pchip(self.dydT)(x)

    def ufl(self, x, values=None, antiderivative: bool = False):
        """The interpolant as a UFL expression of ``x`` (a UFL scalar, e.g. c/c_max);
        ``values``: another table on the same x (dU/dT); ``antiderivative``: ∫_{x_0}^x y dx'.

        Written in the truncated-power basis of a piecewise polynomial: on the first interval
        its polynomial P_0(x); at each interior point x_k the difference P_k − P_{k−1} expanded
        about x_k (for the C¹ cubic a_k t² + b_k t³, t = x − x_k) switched on for x ≥ x_k.
        Outside the table the end polynomials continue (the run stops before x leaves the
        window: :meth:`solver.simulation.Simulation.check_state`)."""
        import ufl

        p = self._pchip(self.y if values is None else values)
        if antiderivative:
            p = p.antiderivative()
        c = p.c  # (d+1, n-1): c[m, k] multiplies (x - x_k)**(d - m)
        d = c.shape[0] - 1
        xk = p.x

        def horner(coeffs, t):  # coeffs highest power first
            e = float(coeffs[0])
            for a in coeffs[1:]:
                e = e * t + float(a)
            return e

        expr = horner(c[:, 0], x - float(xk[0]))
        for k in range(1, len(xk) - 1):
            h = float(xk[k] - xk[k - 1])
            prev = np.polynomial.polynomial.Polynomial(c[::-1, k - 1])  # in s = x - x_{k-1}
            shifted = prev(np.polynomial.polynomial.Polynomial([h, 1.0])).coef  # in t = x - x_k
            shifted = np.pad(shifted, (0, d + 1 - len(shifted)))
            diff = c[::-1, k] - shifted  # lowest power first
            if not np.any(diff):
                continue
            t = x - float(xk[k])
            expr = expr + ufl.conditional(ufl.ge(t, 0.0), horner(diff[::-1], t), 0.0)
        return expr

    def ufl_entropic(self, x):
        if self.dydT is None:
            return None
        return self.ufl(x, self.dydT)


# ------------------------------------------------------------------------- built-in curves


def _chebyshev_lobatto(a: float, b: float, n: int) -> np.ndarray:
    t = np.linspace(0.0, math.pi, n)
    x = 0.5 * (a + b) - 0.5 * (b - a) * np.cos(t)
    x[0], x[-1] = a, b
    return x


def _u_chen2020(x):
    """NMC811 (LG M50) OCP fit of Chen et al. 2020, as in PyBaMM's Chen2020 set
    (``nmc_LGM50_ocp_Chen2020``)."""
    return (
        -0.809 * x
        + 4.4875
        - 0.0428 * np.tanh(18.5138 * (x - 0.5542))
        - 17.7326 * np.tanh(15.789 * (x - 0.3117))
        + 17.5842 * np.tanh(15.9308 * (x - 0.312))
    )


def _u_ramadass2004(x):
    """LiCoO2 OCP fit of Ramadass et al. 2004 with the stretch 1.13 (PyBaMM's Ramadass2004 set,
    ``lico2_ocp_Ramadass2004``); the rational fit has a pole near x = 0.87."""
    s = 1.13 * x
    num = -4.656 + 88.669 * s**2 - 401.119 * s**4 + 342.909 * s**6 - 462.471 * s**8
    num = num + 433.434 * s**10
    den = -1 + 18.933 * s**2 - 79.532 * s**4 + 37.311 * s**6 - 73.083 * s**8 + 95.96 * s**10
    return num / den


def _u_afshar2017(x):
    """LiFePO4 OCP fit of Afshar et al. 2017 used in PyBaMM's Prada2013 set
    (``LFP_ocp_Afshar2017``)."""
    return 3.4077 - 0.020269 * x + 0.5 * np.exp(-150.0 * x) - 0.9 * np.exp(-30.0 * (1.0 - x))


REFERENCES = {
    "Chen2020": "C.-H. Chen, F. Brosa Planella, K. O'Regan, D. Gastol, W. D. Widanage, "
    "E. Kendrick, J. Electrochem. Soc. 167 (2020) 080534 (NMC811 OCP fit, valid over the "
    "cell's positive stoichiometry window 0.2661-0.9084; dU/dT = 0 in PyBaMM's Chen2020 set)",
    "Ramadass2004": "P. Ramadass, B. Haran, P. M. Gomadam, R. White, B. N. Popov, J. Electrochem. "
    "Soc. 151 (2004) A196 (LiCoO2 OCP fit with the stretch 1.13 of PyBaMM's Ramadass2004 set; "
    "sampled over 0.45-0.85, below the fit's pole)",
    "Afshar2017": "S. Afshar, K. Morris, A. Khajepour, arXiv:1709.03970 (2017), the LiFePO4 OCP of "
    "PyBaMM's Prada2013 set (E. Prada et al., J. Electrochem. Soc. 160 (2013) A616; dU/dT = 0 "
    "there)",
}

#: name -> (fit, window, number of Chebyshev-Lobatto points, dU/dT published as 0)
_BUILTIN_FITS = {
    "Chen2020": (_u_chen2020, (0.2661, 0.9084), 65, True),
    "Ramadass2004": (_u_ramadass2004, (0.45, 0.85), 65, False),
    "Afshar2017": (_u_afshar2017, (0.0, 1.0), 129, True),
}
#: the published fit behind each built-in OCV table (for the accuracy test)
FITS = {name: fit for name, (fit, *_rest) in _BUILTIN_FITS.items()}


def _builtin() -> dict[str, Curve]:
    out = {}
    for name, (fit, (a, b), n, zero_dUdT) in _BUILTIN_FITS.items():
        x = _chebyshev_lobatto(a, b, n)
        y = fit(x)
        out[name] = Curve(
            name, "ocv", x, y, REFERENCES[name], np.zeros_like(x) if zero_dUdT else None
        )
    return out


BUILTIN: dict[str, Curve] = _builtin()


# ------------------------------------------------------------------------------ CSV curves


class CurveError(ValueError):
    """A curve file or name that cannot be used (the message says why, in one line)."""


def read_csv(path: str | Path, quantity: str) -> Curve:
    """A curve from a CSV file: rows x, value (, dU/dT for an OCV); '#' comments, ';' or ','
    separators, a non-numeric header line. :class:`CurveError` (one line) when the file is
    unreadable, has fewer than 2 rows, x outside [0, 1] or not strictly increasing, a
    non-finite value, or (D) a value <= 0."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise CurveError(f"cannot read '{p}' ({e.strerror or e})") from None
    rows = []
    for ln in text.splitlines():
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        parts = [s for s in ln.replace(";", ",").split(",") if s.strip()]
        try:
            rows.append([float(s) for s in parts])
        except ValueError:
            if rows:
                raise CurveError(f"'{p}': non-numeric row {ln!r}") from None
            continue  # a header
    ncol = {len(r) for r in rows}
    want = (2, 3) if quantity == "ocv" else (2,)
    if not rows or len(ncol) != 1 or ncol.pop() not in want:
        cols = "x, U [V] (, dU/dT [V/K])" if quantity == "ocv" else f"x, {quantity}"
        raise CurveError(f"'{p}': expected rows of {cols} with the same number of columns")
    a = np.array(rows, dtype=float)
    if len(a) < 2:
        raise CurveError(f"'{p}': needs >= 2 rows")
    if not np.all(np.isfinite(a)):
        raise CurveError(f"'{p}': a non-finite value (nan or inf)")
    x = a[:, 0]
    if x[0] < 0.0 or x[-1] > 1.0 or np.any(np.diff(x) <= 0):
        raise CurveError(f"'{p}': x = c/c_max must be strictly increasing within [0, 1]")
    if quantity == "D" and np.any(a[:, 1] <= 0):
        raise CurveError(f"'{p}': a diffusivity <= 0")
    dydT = a[:, 2] if a.shape[1] == 3 else None
    return Curve(p.name, quantity, x, a[:, 1], f"table {p}", dydT)


def resolve(spec: str, quantity: str, base: Path | None = None) -> Curve:
    """A built-in curve name (OCVs) or a CSV path (relative to ``base``)."""
    if quantity == "ocv" and spec in BUILTIN:
        return BUILTIN[spec]
    p = Path(spec)
    if not p.is_absolute() and base is not None:
        p = base / p
    if not p.is_file():
        names = ", ".join(BUILTIN) if quantity == "ocv" else ""
        hint = f"a built-in curve ({names}) or " if names else ""
        raise CurveError(f"got {spec!r}, allowed {hint}a CSV file (no such file: {p})")
    return read_csv(p, quantity)


def exchange_current_factor(x, alpha_a: float, alpha_c: float):
    """The lithiation dependence of the exchange current density, normalised to 1 at x = 1/2:
    i0(x)/i0 = x^α_c (1 − x)^α_a / (1/2)^(α_a + α_c) (float, array or UFL). With i0 the value at
    half lithiation this is i0 = k c^α_c (c_max − c)^α_a, k = i0 2^(α_a+α_c) / c_max^(α_a+α_c)
    (the electrolyte-side factor c_e^α_a of a solid electrolyte is constant and in k)."""
    return x**alpha_c * (1.0 - x) ** alpha_a * 2.0 ** (alpha_a + alpha_c)
