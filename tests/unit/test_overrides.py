"""``--set KEY=VALUE`` (solver.overrides): dotted keys, protocol steps, units, validation.

The references are the quantities as written (5 MPa = 5e6 Pa, 2 mA/cm^2 = 20 A/m^2), never the
product's converter; a bad key or value is one line naming it and exit code 2 from the CLI.
"""

from __future__ import annotations

import pytest

from solver import overrides as ov
from solver.errors import InputError
from tests.sweep_helpers import ROOT, ssbx

pytestmark = pytest.mark.serial
DEFAULT = ROOT / "cases" / "default.toml"


def load(o):
    return ov.load_case(DEFAULT, o)


def test_parse_values_as_toml_else_text():
    assert ov.parse_assignment("interface.G_Ic=4") == ("interface.G_Ic", 4)
    assert ov.parse_assignment("loading.stack_pressure=5 MPa") == (
        "loading.stack_pressure",
        "5 MPa",
    )
    assert ov.parse_assignment('loading.stack_pressure="5 MPa"')[1] == "5 MPa"
    assert ov.parse_assignment("physics.thermal=true")[1] is True
    assert ov.parse_assignment("geometry.family=rough")[1] == "rough"
    with pytest.raises(InputError, match="allowed KEY=VALUE"):
        ov.parse_assignment("loading.stack_pressure")


def test_section_keys_with_units_and_materials():
    case, warnings = load(
        {
            "loading.stack_pressure": "5 MPa",
            "interface.G_Ic": 4,
            "materials.electrolyte.E": "100 GPa",
        }
    )
    assert warnings == []
    assert case.loading["stack_pressure"] == pytest.approx(5e6, rel=1e-12)
    assert case.interface["G_Ic"] == 4.0
    assert case.materials["electrolyte"]["E"] == pytest.approx(100e9, rel=1e-12)
    assert case.materials["electrolyte"]["preset"] == "LLZO"  # the preset kept
    # every step without its own stack pressure takes the new one
    assert [s["stack_pressure"] for s in case.loading["protocol"]] == [pytest.approx(5e6)] * 4


def test_protocol_step_by_index_kind_and_star():
    base, _ = load({})
    assert [s.get("current_density") for s in base.loading["protocol"]] == [None, 10.0, None, -10.0]
    case, _ = load({"loading.protocol[1].current_density": "2 mA/cm^2"})
    cd = [s.get("current_density") for s in case.loading["protocol"]]
    assert cd == [None, pytest.approx(20.0), None, -10.0]
    case, _ = load({"loading.protocol[current].current_density": "-0.5 mA/cm^2"})
    assert [s.get("current_density") for s in case.loading["protocol"]] == [None, -5.0, None, -5.0]
    case, _ = load({"loading.protocol[*].current_density": 3})  # the steps that have the key
    assert [s.get("current_density") for s in case.loading["protocol"]] == [None, 3.0, None, 3.0]
    case, _ = load({"loading.protocol[*].stack_pressure": "3 MPa"})
    assert [s["stack_pressure"] for s in case.loading["protocol"]] == [pytest.approx(3e6)] * 4
    assert ov.resolved_value(case, "loading.protocol[*].stack_pressure") == pytest.approx(3e6)
    assert ov.resolved_value(case, "loading.protocol[3].current_density") == -10.0


def test_a_key_every_step_overrides_is_a_warning():
    # both current steps of the default case set their current density: the loading default
    # acts nowhere
    _, warnings = load({"loading.current_density": "3 mA/cm^2"})
    assert len(warnings) == 1
    assert "loading.current_density" in warnings[0] and "changes nothing" in warnings[0]
    _, warnings = load(
        {"loading.protocol[*].stack_pressure": "3 MPa", "loading.stack_pressure": "4 MPa"}
    )
    assert len(warnings) == 1 and "loading.stack_pressure" in warnings[0]
    r = ssbx("check", str(DEFAULT), "--set", "loading.current_density=30", cwd=ROOT, timeout=120)
    assert r.returncode == 0
    assert r.stderr.count("ssbx: warning: --set loading.current_density") == 1


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("loading.stak_pressure", 1, "loading.stak_pressure: unknown key (did you mean"),
        ("interface.G_Ic", "-1 J/m^2", "interface.G_Ic: got '-1 J/m^2'"),
        ("interface.G_Ic", "2 MPa", "interface.G_Ic: '2 MPa' has dimension 'pressure'"),
        ("loading.protocol[7].duration", 1, "'loading.protocol' has 4 entries, allowed index 0"),
        ("loading.protocol[rest].current_density", 1, "no step of kind 'rest' that takes"),
        ("loading.protocol[1].V_mux", 1, "loading.protocol[1].V_mux: unknown key"),
        ("loading.protocol[1]", 1, "is an entry, allowed a key inside it"),
        ("interface.debonded[0].fraction", 0.5, "has no array of tables 'interface.debonded'"),
        ("geometry", 1, "--set geometry: allowed section.key"),
        ("case.name.x", 1, "'case.name' is str in the case"),
    ],
)
def test_bad_overrides_are_one_line(key, value, fragment):
    with pytest.raises(InputError) as e:
        load({key: value})
    assert len(e.value.problems) == 1
    assert fragment in e.value.problems[0]


def test_cli_bad_set_exits_2_with_one_line():
    r = ssbx("check", str(DEFAULT), "--set", "interface.G_Ic=-1", cwd=ROOT, timeout=120)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ssbx: error: interface.G_Ic: got -1")
    assert "Traceback" not in r.stderr
    r = ssbx("check", str(DEFAULT), "--set", "loading.stack_pressure=5 MPa", cwd=ROOT, timeout=120)
    assert r.returncode == 0 and "5e+06" in r.stdout.replace("5000000", "5e+06")


def test_run_with_set_records_the_overrides(tmp_path):
    """``ssbx run --set`` through the product's run path: the run directory's resolved case
    holds the new value, the summary lists the override, and the physics follows it: a flat
    bonded bilayer carries the stack pressure across its interface (mean pressure = p)."""
    from tests.sweep_helpers import write_tiny

    case = write_tiny(tmp_path)
    r = ssbx(
        "run",
        str(case),
        "-o",
        str(tmp_path / "run"),
        "--set",
        "loading.stack_pressure=3.5 MPa",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    import json

    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert s["overrides"] == {"loading.stack_pressure": "3.5 MPa"}
    assert s["final"]["mean_pressure"] == pytest.approx(3.5e6, rel=1e-6)
    assert "stack_pressure = 3500000" in (tmp_path / "run" / "case.resolved.toml").read_text()
