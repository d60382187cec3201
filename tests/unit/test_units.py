"""solver.units: parsing "<number> <unit>" strings into SI numbers for a named dimension."""

from __future__ import annotations

import math

import pytest

from solver.units import DIMS, SI_UNITS, UnitError, dim_name, format_si, parse_unit, to_si


@pytest.mark.parametrize(
    ("text", "dimension", "si"),
    [
        # SI prefixes
        ("10 um", "length", 1e-5),
        ("10 µm", "length", 1e-5),  # micro sign
        ("10 μm", "length", 1e-5),  # Greek mu
        ("3 nm", "length", 3e-9),
        ("2 mm", "length", 2e-3),
        ("1 cm", "length", 1e-2),
        ("5 MPa", "pressure", 5e6),
        ("150 GPa", "pressure", 150e9),
        ("2 kPa", "pressure", 2e3),
        ("1 bar", "pressure", 1e5),
        ("1 g/cm^3", "density", 1e3),
        ("4.8 g/cm^3", "density", 4.8e3),
        # powers
        ("1 cm^2", "area", 1e-4),
        ("1 um^3", "volume", 1e-18),
        ("2 (mm)^2", "area", 2e-6),
        ("1 m^2 s^-1", "diffusivity", 1.0),
        ("1e-14 m^2/s", "diffusivity", 1e-14),
        ("1 cm²", "area", 1e-4),
        # compound units
        ("1 mA/cm^2", "current density", 10.0),
        ("1 Ohm cm^2", "area-specific resistance", 1e-4),
        ("10 Ohm cm^2", "area-specific resistance", 1e-3),
        ("10 Ω cm^2", "area-specific resistance", 1e-3),
        ("1 mS/cm", "conductivity", 0.1),
        ("1 S/m", "conductivity", 1.0),
        ("1 J/m^2", "energy/area", 1.0),
        ("49000 mol/m^3", "concentration", 49000.0),
        ("1 M", "concentration", 1000.0),
        ("1.3e-5 m^3/mol", "molar volume", 1.3e-5),
        ("1.5 W/m/K", "thermal conductivity", 1.5),
        ("1.5 W/(m K)", "thermal conductivity", 1.5),
        ("1.5 W/m K", "thermal conductivity", 1.5),  # a product binds tighter than '/'
        ("10 W/m^2/K", "heat transfer coefficient", 10.0),
        ("700 J/kg/K", "specific heat", 700.0),
        ("1e15 Pa/m", "stiffness/area", 1e15),
        ("1.5e-5 1/K", "1/temperature", 1.5e-5),
        ("30 kJ/mol", "energy/mol", 30e3),
        ("1 kg m/s^2", "force", 1.0),
        ("1 N*m", "energy", 1.0),
        ("1 mAh", "charge", 3.6),
        ("4.2 V", "voltage", 4.2),
        # time
        ("1 h", "time", 3600.0),
        ("2 min", "time", 120.0),
        ("1 day", "time", 86400.0),
        ("5 ms", "time", 5e-3),
        # temperature
        ("298.15 K", "temperature", 298.15),
        ("25 degC", "temperature", 298.15),
        ("-20 °C", "temperature", 253.15),
        # dimensionless
        ("5 %", "dimensionless", 0.05),
        ("0.3", "dimensionless", 0.3),
        # number formats
        (".5 um", "length", 5e-7),
        ("3. mm", "length", 3e-3),
        ("+2e-6 m", "length", 2e-6),
        ("5MPa", "pressure", 5e6),
    ],
)
def test_to_si(text, dimension, si):
    assert to_si(text, dimension) == pytest.approx(si, rel=1e-14)


def test_prefixed_values_are_exact():
    # exact decimal arithmetic: "10 um" is the double nearest 1e-5, not 10 * 1e-6
    assert to_si("10 um", "length") == 1e-5
    assert to_si("0.1 mm", "length") == 1e-4
    assert to_si("1 mA/cm^2", "current density") == 10.0


def test_bare_numbers_are_si():
    assert to_si(5e6, "pressure") == 5e6
    assert to_si(3, "length") == 3.0
    assert isinstance(to_si(3, "length"), float)
    assert to_si("7", "length") == 7.0  # a string without a unit is SI too


def test_electronvolt_per_particle_for_molar_energy():
    assert to_si("0.5 eV", "energy/mol") == pytest.approx(0.5 * 96485.33212, rel=1e-12)
    assert to_si("1 eV", "energy") == pytest.approx(1.602176634e-19)


@pytest.mark.parametrize(
    ("value", "dimension", "fragment"),
    [
        ("5 MPa", "length", "has dimension 'pressure', expected 'length'"),
        ("1 mA", "current density", "has dimension 'current', expected 'current density'"),
        ("1 S/cm^2", "conductivity", "expected 'conductivity'"),
        ("25 degC", "pressure", "is a temperature"),
        ("five MPa", "pressure", "cannot read 'five MPa'"),
        ("5 foo", "length", "unknown unit 'foo'"),
        ("5 m^", "length", "malformed unit"),
        ("5 (m", "length", "malformed unit"),
        ("5 m)", "length", "malformed unit"),
        ("5 /m", "length", "malformed unit"),
        ("1 m^99", "length", "malformed unit"),
        ("1 kmin", "time", "unknown unit 'kmin'"),  # no prefixes on non-SI units
        ("1e400 m", "length", "finite"),
        (True, "length", "boolean"),
        ([1, 2], "length", "'<number> <unit>'"),
        (float("nan"), "length", "finite"),
        (math.inf, "pressure", "finite"),
    ],
)
def test_errors_are_one_line(value, dimension, fragment):
    with pytest.raises(UnitError) as e:
        to_si(value, dimension)
    assert fragment in str(e.value)
    assert "\n" not in str(e.value)


def test_dimension_error_gives_an_example():
    with pytest.raises(UnitError, match=r"e\.g\. '10 um'"):
        to_si("5 MPa", "length")


def test_unknown_dimension_name_is_a_programming_error():
    with pytest.raises(KeyError):
        to_si(1.0, "lenght")


def test_parse_unit_and_dim_name():
    f, d = parse_unit("mA/cm^2")
    assert f == pytest.approx(10.0)
    assert dim_name(d) == "current density"
    assert parse_unit("") == (1.0, (0, 0, 0, 0, 0, 0))
    assert dim_name((1, 0, -2, 0, 0, 0)) == "m s^-2"


def test_every_dimension_has_an_si_unit_that_parses_back():
    for name, dim in DIMS.items():
        unit = SI_UNITS[name]
        f, d = parse_unit(unit)
        assert d == dim, name
        assert f == 1.0, name


def test_format_si():
    assert format_si(5e6, "pressure") == "5e+06 Pa"
    assert format_si(0.3, "dimensionless") == "0.3"
    assert format_si(1e-3, "area-specific resistance") == "0.001 Ohm m^2"
