"""solver.materials: presets carry sources and values inside the allowed ranges."""

from __future__ import annotations

import pytest

from solver import materials as M
from solver.units import DIMS

REQUIRED = ("Li", "LLZO", "Li6PS5Cl", "LiPON", "NMC811", "LiCoO2", "polymer_pad", "In", "LiNbO3")


@pytest.mark.parametrize("name", sorted(M.PRESETS))
def test_every_preset_value_is_in_range(name):
    p = M.PRESETS[name]
    assert p["kind"] in M.KINDS
    for key, value in p.items():
        if key in ("kind", "description", "source"):
            continue
        if key in M.CURVE_KEYS:  # a built-in curve name (solver/curves.py)
            from solver.curves import BUILTIN

            assert value in BUILTIN, f"{name}.{key} = {value}"
            continue
        assert key in M.PROPERTY_DIMS, f"{name}: unknown property {key}"
        assert isinstance(value, float), f"{name}.{key}"
        assert M.check_value(key, value) is None, f"{name}.{key} = {value}"


@pytest.mark.parametrize("name", sorted(M.PRESETS))
def test_every_preset_and_value_has_a_source(name):
    p = M.PRESETS[name]
    assert p["source"].strip()
    assert p["description"].strip()
    per_value = M.value_sources(name)
    values = [k for k in p if k in M.PROPERTY_DIMS]
    assert sorted(per_value) == sorted(values)
    assert all(s.strip() for s in per_value.values())
    # every value is named in the grouped source text
    for key in values:
        assert f"{key}" in p["source"]


@pytest.mark.parametrize("name", sorted(M.PRESETS))
def test_mechanics_properties_everywhere(name):
    p = M.PRESETS[name]
    assert p["E"] > 0 and -1 < p["nu"] < 0.5


def test_required_presets_and_aliases():
    for name in REQUIRED:
        assert name in M.PRESETS
    assert M.canonical("LPSCl") == "Li6PS5Cl"
    assert M.canonical("LCO") == "LiCoO2"
    assert M.canonical("llzo") == "LLZO"
    assert M.canonical("NCM811") == "NMC811"
    assert M.canonical("unobtainium") is None
    assert M.canonical(3) is None


def test_get_returns_a_copy():
    a = M.get("LLZO")
    a["E"] = -1.0
    assert M.get("LLZO")["E"] == M.PRESETS["LLZO"]["E"] > 0
    with pytest.raises(KeyError, match="presets"):
        M.get("unobtainium")


def test_literature_values():
    li, llzo, lps, lipon = M.get("Li"), M.get("LLZO"), M.get("LPSCl"), M.get("LiPON")
    assert li["E"] == pytest.approx(4.9e9) and li["nu"] == pytest.approx(0.42)
    assert li["yield_stress"] == pytest.approx(0.8e6)
    assert li["molar_volume"] == pytest.approx(1.3e-5)
    assert li["molar_volume"] == pytest.approx(6.94e-3 / li["density"], rel=0.01)
    assert llzo["E"] == pytest.approx(150e9, rel=0.01) and llzo["nu"] == pytest.approx(0.26, 0.02)
    assert llzo["kappa"] == pytest.approx(0.05)  # 0.5 mS/cm
    assert lps["E"] == pytest.approx(22e9, rel=0.02) and 0.2 <= lps["kappa"] <= 0.3
    assert lipon["E"] == pytest.approx(77e9) and lipon["kappa"] == pytest.approx(2e-4)
    assert M.get("NMC811")["E"] == pytest.approx(200e9)
    assert M.get("LCO")["E"] == pytest.approx(174e9)
    pad = M.get("polymer_pad")
    assert pad["kind"] == "pad" and pad["E"] == pytest.approx(pad["E1"] + pad["E2"])


def test_vegard_strain_is_a_few_percent_by_volume():
    for name in ("NMC811", "LiCoO2"):
        p = M.get(name)
        dv = 3 * abs(p["vegard"]) * p["c_max"]  # volumetric strain over the full range
        assert 0.01 < dv < 0.08, name


def test_intercalation_electrodes_have_transport_data():
    for name, p in M.PRESETS.items():
        if p["kind"] == "electrode":
            assert p["c_max"] > 0 and p["D"] > 0 and p["sigma_e"] > 0, name
        if p["kind"] == "electrolyte":
            assert p["kappa"] > 0 and p["Ea_kappa"] >= 0, name


def test_property_dims_are_known_dimensions():
    for key, (dim, lo, hi, _lo_open, _hi_open, doc) in M.PROPERTY_DIMS.items():
        assert dim in DIMS, key
        assert doc, key
        assert lo is None or hi is None or lo < hi


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("E", 1.0, True),
        ("E", 0.0, False),
        ("E", -5e9, False),
        ("nu", 0.49, True),
        ("nu", 0.5, False),
        ("nu", -1.0, False),
        ("nu", -0.5, True),
        ("alpha_th", 0.0, True),
        ("vegard", -1e-6, True),
        ("c_ref", 0.0, True),
        ("c_max", 0.0, False),
    ],
)
def test_check_value(key, value, ok):
    assert (M.check_value(key, value) is None) == ok


def test_range_text():
    assert M.range_text("nu") == "(-1, 0.5)"
    assert M.range_text("E") == "(0, inf) Pa"
    assert M.range_text("alpha_th") == "[0, inf) 1/K"


def test_format_presets_lists_everything():
    text = M.format_presets()
    for name in M.PRESETS:
        assert name in text
    for ref in M.REFERENCES.values():
        assert ref in text
    assert "LPSCl" in text
