"""Physically absurd results stop the run or are flagged in summary.json (solver/plausibility.py).

* The measured largest strain is the closed form of the confined (uniaxial-strain) compression
  of a flat bilayer on rollers: every layer carries σ_zz = −p with ε_xx = ε_yy = 0, so
  ε_zz = −p/M with the P-wave modulus M = E(1 − ν)/((1 + ν)(1 − 2ν)); the largest magnitude is
  p/M of the softer layer (LLZO: 2 MPa/182 GPa = 1.10e-5). A solver.max_strain below it flags
  the result, the default (0.1) does not.
* A contact penalty far too soft for the load (K_c = 1e11 Pa/m under 10 MPa: the sides would
  pass 1e-4 m through each other, ten times the 10 µm layer) stops the run (exit code 3 through
  SolverFailure), and the summary says "failed", never "completed".
* The 10 TPa stack pressure of issue 16 (a strain of several hundred per cent) stops the run.
"""

from __future__ import annotations

import json

import pytest

from tests.ec_helpers import merge
from tests.output_helpers import MECH

pytestmark = pytest.mark.serial

HOLD = {"kind": "hold", "duration": "1 s", "n_steps": 1}


def _run(tmp_path, name: str, over: dict):
    from solver import api
    from solver.config import case_from_dict

    case = case_from_dict(merge(MECH, {**over, "output": {"fields": False, "preview": False}}))
    return case, api.run(case, tmp_path / name)


def test_strain_matches_confined_compression_and_is_flagged_above_the_limit(tmp_path):
    p = 2e6
    over = {"loading": {"stack_pressure": "2 MPa", "protocol": [HOLD]}}
    case, s = _run(tmp_path, "default", over)
    mats = case.resolved["materials"]
    M = min(
        m["E"] * (1 - m["nu"]) / ((1 + m["nu"]) * (1 - 2 * m["nu"]))
        for m in (mats["electrode"], mats["electrolyte"])
    )
    pl = s["plausibility"]
    assert pl["max_strain"] == pytest.approx(p / M, rel=1e-6)
    assert pl["flags"] == [] and pl["strain_limit"] == 0.1 and s["status"] == "completed"
    assert pl["max_penetration"] < 1e-6 * pl["penetration_limit"]
    _, s = _run(tmp_path, "flagged", merge(over, {"solver": {"max_strain": 1e-6}}))
    flags = s["plausibility"]["flags"]
    assert len(flags) == 1 and "exceeds solver.max_strain = 1e-06" in flags[0]
    assert (
        json.loads((tmp_path / "flagged" / "summary.json").read_text())["plausibility"]["flags"]
        == flags
    )


@pytest.mark.parametrize(
    ("name", "over", "fragment"),
    [
        (
            "penetration",
            {"interface": {"K_c": "1e11 Pa/m"}, "loading": {"stack_pressure": "10 MPa"}},
            "interpenetrate by",
        ),
        ("crushed", {"loading": {"stack_pressure": "10 TPa"}}, "the largest strain is"),
    ],
)
def test_a_meaningless_state_stops_the_run(tmp_path, name, over, fragment):
    from solver.errors import SolverFailure
    from solver.plausibility import ImplausibleResult

    over = merge(over, {"loading": {"protocol": [{**HOLD, "n_steps": 2}]}})
    with pytest.raises(SolverFailure) as e:
        _run(tmp_path, name, over)
    assert isinstance(e.value, ImplausibleResult) and fragment in str(e.value)
    s = json.loads((tmp_path / name / "summary.json").read_text())
    assert s["status"] == "failed" and s["steps"] == 1
    pl = s["plausibility"]
    if name == "penetration":
        assert pl["max_penetration"] > pl["penetration_limit"] == pytest.approx(1e-5)
    else:
        assert pl["max_strain"] > 1.0
