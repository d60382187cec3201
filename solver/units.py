"""Physical quantities with units: parse "5 MPa", "10 um", "1 mA/cm^2" into SI numbers.

A quantity in a case file is either a bare number (taken as SI) or a string ``"<number> <unit>"``.
A unit is a product of symbols, each with an optional SI prefix and an optional integer power
(``cm^2``, ``s^-1``), separated by spaces (or ``*``, ``·``), and divided with ``/``:

* ``"mA/cm^2"``, ``"Ohm cm^2"``, ``"J/m^2"``, ``"mol/m^3"``, ``"m^2/s"``, ``"1/K"``;
* everything after a ``/`` is in the denominator: ``"W/m K"`` = ``"W/m/K"`` = ``"W/(m K)"``
  (a product binds tighter than ``/``; parentheses group);
* ``"%"`` is 0.01 (dimensionless);
* temperatures accept ``K`` and, as a lone unit, ``degC`` / ``°C`` (offset 273.15);
* a molar energy (dimension ``energy/mol``) also accepts a lone ``eV`` (per particle, × F).

Dimensions are exponent tuples over the SI base (m, kg, s, A, K, mol). :data:`DIMS` names those
the schema uses; :func:`to_si` converts a value for a named dimension and raises :class:`UnitError`
(one line) when the text is malformed or the dimension is wrong.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

BASE = ("m", "kg", "s", "A", "K", "mol")
Dim = tuple[int, int, int, int, int, int]

FARADAY = 96485.33212  # C/mol (exact SI value of N_A e)


def _d(m=0, kg=0, s=0, A=0, K=0, mol=0) -> Dim:
    return (m, kg, s, A, K, mol)


# Named dimensions used by the schema (the key is what error messages show). Where two names share
# a tuple (molar volume and 1/concentration), messages use the first.
DIMS: dict[str, Dim] = {
    "dimensionless": _d(),
    "length": _d(m=1),
    "area": _d(m=2),
    "volume": _d(m=3),
    "time": _d(s=1),
    "mass": _d(kg=1),
    "temperature": _d(K=1),
    "pressure": _d(m=-1, kg=1, s=-2),
    "force": _d(m=1, kg=1, s=-2),
    "energy": _d(m=2, kg=1, s=-2),
    "power": _d(m=2, kg=1, s=-3),
    "energy/area": _d(kg=1, s=-2),
    "current": _d(A=1),
    "current density": _d(m=-2, A=1),
    "voltage": _d(m=2, kg=1, s=-3, A=-1),
    "resistance": _d(m=2, kg=1, s=-3, A=-2),
    "conductivity": _d(m=-3, kg=-1, s=3, A=2),
    "area-specific resistance": _d(m=4, kg=1, s=-3, A=-2),
    "concentration": _d(m=-3, mol=1),
    "diffusivity": _d(m=2, s=-1),
    "molar volume": _d(m=3, mol=-1),
    "density": _d(m=-3, kg=1),
    "thermal conductivity": _d(m=1, kg=1, s=-3, K=-1),
    "thermal conductance": _d(m=2, kg=1, s=-3, K=-1),
    "heat capacity": _d(m=2, kg=1, s=-2, K=-1),
    "specific heat": _d(m=2, s=-2, K=-1),
    "heat transfer coefficient": _d(kg=1, s=-3, K=-1),
    "1/temperature": _d(K=-1),
    "energy/mol": _d(m=2, kg=1, s=-2, mol=-1),
    "stiffness/area": _d(m=-2, kg=1, s=-2),  # Pa/m (interface stiffness)
    "1/concentration": _d(m=3, mol=-1),
    "1/time": _d(s=-1),
    "velocity": _d(m=1, s=-1),
    "charge": _d(s=1, A=1),
    "capacitance/area": _d(m=-4, kg=-1, s=4, A=2),
    "frequency": _d(s=-1),
}

# The SI unit each named dimension is written in (by format_si, to_toml comments, messages).
SI_UNITS: dict[str, str] = {
    "dimensionless": "",
    "length": "m",
    "area": "m^2",
    "volume": "m^3",
    "time": "s",
    "mass": "kg",
    "temperature": "K",
    "pressure": "Pa",
    "force": "N",
    "energy": "J",
    "power": "W",
    "energy/area": "J/m^2",
    "current": "A",
    "current density": "A/m^2",
    "voltage": "V",
    "resistance": "Ohm",
    "conductivity": "S/m",
    "area-specific resistance": "Ohm m^2",
    "concentration": "mol/m^3",
    "diffusivity": "m^2/s",
    "molar volume": "m^3/mol",
    "density": "kg/m^3",
    "thermal conductivity": "W/m/K",
    "thermal conductance": "W/K",
    "heat capacity": "J/K",
    "specific heat": "J/kg/K",
    "heat transfer coefficient": "W/m^2/K",
    "1/temperature": "1/K",
    "energy/mol": "J/mol",
    "stiffness/area": "Pa/m",
    "1/concentration": "m^3/mol",
    "1/time": "1/s",
    "velocity": "m/s",
    "charge": "C",
    "capacitance/area": "F/m^2",
    "frequency": "Hz",
}

# symbol -> (exact factor to SI, dimension); factors are exact so that '10 um' gives 1e-05
_F = Fraction
_UNITS: dict[str, tuple[Fraction, Dim]] = {
    "m": (_F(1), _d(m=1)),
    "g": (_F("1e-3"), _d(kg=1)),
    "s": (_F(1), _d(s=1)),
    "min": (_F(60), _d(s=1)),
    "h": (_F(3600), _d(s=1)),
    "hr": (_F(3600), _d(s=1)),
    "day": (_F(86400), _d(s=1)),
    "d": (_F(86400), _d(s=1)),
    "yr": (_F("365.25") * _F(86400), _d(s=1)),
    "A": (_F(1), _d(A=1)),
    "K": (_F(1), _d(K=1)),
    "mol": (_F(1), _d(mol=1)),
    "N": (_F(1), _d(m=1, kg=1, s=-2)),
    "Pa": (_F(1), _d(m=-1, kg=1, s=-2)),
    "bar": (_F("1e5"), _d(m=-1, kg=1, s=-2)),
    "atm": (_F(101325), _d(m=-1, kg=1, s=-2)),
    "J": (_F(1), _d(m=2, kg=1, s=-2)),
    "eV": (_F("1.602176634e-19"), _d(m=2, kg=1, s=-2)),
    "W": (_F(1), _d(m=2, kg=1, s=-3)),
    "V": (_F(1), _d(m=2, kg=1, s=-3, A=-1)),
    "C": (_F(1), _d(s=1, A=1)),
    "F": (_F(1), _d(m=-2, kg=-1, s=4, A=2)),  # farad
    "Hz": (_F(1), _d(s=-1)),
    "Ah": (_F(3600), _d(s=1, A=1)),
    "S": (_F(1), _d(m=-2, kg=-1, s=3, A=2)),
    "Ohm": (_F(1), _d(m=2, kg=1, s=-3, A=-2)),
    "ohm": (_F(1), _d(m=2, kg=1, s=-3, A=-2)),
    "Ω": (_F(1), _d(m=2, kg=1, s=-3, A=-2)),
    "L": (_F("1e-3"), _d(m=3)),
    "M": (_F("1e3"), _d(m=-3, mol=1)),  # molar, mol/L (no prefixes)
    "%": (_F("1e-2"), _d()),
}
_NO_PREFIX = {"min", "h", "hr", "day", "d", "yr", "M", "bar", "atm", "%"}
_PREFIX = {
    "p": _F("1e-12"),
    "n": _F("1e-9"),
    "u": _F("1e-6"),
    "µ": _F("1e-6"),  # micro sign U+00B5
    "μ": _F("1e-6"),  # Greek mu U+03BC
    "m": _F("1e-3"),
    "c": _F("1e-2"),
    "d": _F("1e-1"),
    "k": _F("1e3"),
    "M": _F("1e6"),
    "G": _F("1e9"),
    "T": _F("1e12"),
}

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QTY = re.compile(rf"^\s*({_NUM})\s*(.*?)\s*$")
_TOKEN = re.compile(r"\s*(?:(\()|(\))|(/)|(\^\s*[-+]?\d+)|([^\s/()^*·]+))")


class UnitError(ValueError):
    """A unit string could not be parsed or has the wrong dimension (one-line message)."""


def _symbol(tok: str) -> tuple[Fraction, Dim]:
    if tok == "1":
        return _F(1), _d()
    if tok in _UNITS:
        return _UNITS[tok]
    for p, f in _PREFIX.items():
        rest = tok[len(p) :]
        if tok.startswith(p) and rest in _UNITS and rest not in _NO_PREFIX:
            fac, dim = _UNITS[rest]
            return f * fac, dim
    raise UnitError(f"unknown unit '{tok}'")


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise UnitError(f"malformed unit '{text}'")
        out.append(m.group(0).strip().replace(" ", ""))
        pos = m.end()
    return out


class _Parser:
    """expr := term ('/' term)* ; term := factor+ ; factor := atom ('^' int)? ;
    atom := symbol | '(' expr ')'. A product binds tighter than '/'."""

    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def _peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _fail(self) -> UnitError:
        return UnitError(f"malformed unit '{self.text}'")

    def parse(self) -> tuple[Fraction, list[int]]:
        f, d = self._expr()
        if self._peek() is not None:
            raise self._fail()
        return f, d

    def _expr(self) -> tuple[Fraction, list[int]]:
        f, d = self._term()
        while self._peek() == "/":
            self.i += 1
            g, e = self._term()
            f /= g
            d = [a - b for a, b in zip(d, e)]
        return f, d

    def _term(self) -> tuple[Fraction, list[int]]:
        f, d = self._factor()
        while (t := self._peek()) is not None and t not in ("/", ")"):
            g, e = self._factor()
            f *= g
            d = [a + b for a, b in zip(d, e)]
        return f, d

    def _factor(self) -> tuple[Fraction, list[int]]:
        t = self._peek()
        if t is None or t in ("/", ")") or t.startswith("^"):
            raise self._fail()
        self.i += 1
        if t == "(":
            f, d = self._expr()
            if self._peek() != ")":
                raise self._fail()
            self.i += 1
        else:
            f, dim = _symbol(t)
            d = list(dim)
        if (p := self._peek()) is not None and p.startswith("^"):
            self.i += 1
            n = int(p[1:])
            if abs(n) > 12:
                raise self._fail()
            f, d = f**n, [a * n for a in d]
        return f, d


def _parse_exact(text: str) -> tuple[Fraction, Dim]:
    text = text.strip().replace("²", "^2").replace("³", "^3")
    if text in ("", "1", "-"):
        return _F(1), _d()
    text = text.replace("·", " ").replace("*", " ")
    factor, dim = _Parser(text).parse()
    return factor, tuple(dim)  # type: ignore[return-value]


def parse_unit(text: str) -> tuple[float, Dim]:
    """Return (factor to SI, dimension) of a unit expression such as ``"mA/cm^2"``."""
    factor, dim = _parse_exact(text)
    return float(factor), dim


def dim_name(dim: Dim) -> str:
    """The schema name of a dimension tuple, else its base-unit expression (``"m^2 s^-1"``)."""
    for name, d in DIMS.items():
        if d == dim:
            return name
    parts = [f"{b}^{e}" if e != 1 else b for b, e in zip(BASE, dim) if e]
    return " ".join(parts) or "dimensionless"


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity: SI value plus the text the user wrote (for echoing)."""

    value: float
    text: str


def to_si(value: object, dimension: str) -> float:
    """Convert a number or a ``"<number> <unit>"`` string to SI for the named ``dimension``.

    Bare numbers (and strings without a unit) are taken as SI. Raises :class:`UnitError` with a
    one-line message when the text is malformed or the unit has another dimension.
    """
    if dimension not in DIMS:
        raise KeyError(f"unknown dimension name {dimension!r}")
    want = DIMS[dimension]
    if isinstance(value, bool):
        raise UnitError(f"expected a {dimension}, got a boolean")
    if isinstance(value, int | float):
        try:
            v = float(value)
        except OverflowError:  # an integer beyond 1.8e308
            digits = int(value.bit_length() * 0.30103)
            raise UnitError(
                f"expected a finite {dimension}, got an integer of ~{digits} digits"
            ) from None
        if not math.isfinite(v):
            raise UnitError(f"expected a finite {dimension}, got {value!r}")
        return v
    if not isinstance(value, str):
        raise UnitError(f"expected a number or a '<number> <unit>' string, got {value!r}")
    m = _QTY.match(value)
    if not m:
        raise UnitError(f"cannot read '{value}' as '<number> <unit>'")
    num, unit = Fraction(m.group(1)), m.group(2)
    if unit == "":
        return _float(num, value, dimension)
    if unit in ("degC", "°C"):
        if dimension != "temperature":
            raise UnitError(f"'{value}' is a temperature, expected a {dimension}")
        return _float(num + Fraction("273.15"), value, dimension)
    if unit == "eV" and dimension == "energy/mol":
        return _float(num * Fraction(str(FARADAY)), value, dimension)
    try:
        factor, dim = _parse_exact(unit)
    except UnitError as e:
        raise UnitError(f"cannot read '{value}': {e}") from None
    if dim != want:
        raise UnitError(
            f"'{value}' has dimension '{dim_name(dim)}', expected '{dimension}'"
            f" (e.g. {example_unit(dimension)})"
        )
    return _float(num * factor, value, dimension)


def _float(x: Fraction, value: str, dimension: str) -> float:
    try:
        return float(x)
    except OverflowError:
        raise UnitError(f"expected a finite {dimension}, got '{value}'") from None


_EXAMPLES = {
    "dimensionless": "0.3",
    "length": "'10 um'",
    "area": "'1 cm^2'",
    "time": "'1 h'",
    "temperature": "'298.15 K' or '25 degC'",
    "pressure": "'5 MPa'",
    "energy/area": "'1 J/m^2'",
    "current density": "'1 mA/cm^2'",
    "voltage": "'4.2 V'",
    "conductivity": "'1 mS/cm'",
    "area-specific resistance": "'10 Ohm cm^2'",
    "concentration": "'49000 mol/m^3'",
    "diffusivity": "'1e-14 m^2/s'",
    "molar volume": "'1.3e-5 m^3/mol'",
    "1/concentration": "'3e-7 m^3/mol'",
    "density": "'5100 kg/m^3'",
    "thermal conductivity": "'1.5 W/m/K'",
    "specific heat": "'700 J/kg/K'",
    "heat transfer coefficient": "'10 W/m^2/K'",
    "1/temperature": "'1.5e-5 1/K'",
    "energy/mol": "'30 kJ/mol' or '0.3 eV'",
    "stiffness/area": "'1e15 Pa/m'",
    "capacitance/area": "'10 uF/cm^2'",
    "frequency": "'1 kHz'",
}


def example_unit(dimension: str) -> str:
    """An example of a valid quantity for ``dimension`` (used in error messages)."""
    if dimension in _EXAMPLES:
        return _EXAMPLES[dimension]
    si = SI_UNITS.get(dimension)
    return f"'1 {si}'" if si else "an SI number"


def si_unit(dimension: str) -> str:
    """The SI unit ``dimension`` is written in (``""`` for dimensionless)."""
    return SI_UNITS.get(dimension, "")


def format_si(value: float, dimension: str) -> str:
    """Human-readable SI rendering used by ``ssbx check`` (value plus SI unit)."""
    return f"{value:.6g} {si_unit(dimension)}".strip()
