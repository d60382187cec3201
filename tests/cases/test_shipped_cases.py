"""Every case file in ``cases/`` is run by the test suite, and its run shows what its comment says.

Each case file opens with a comment that ends in "What the run shows (asserted by <test file>)"
and the numbers of the run with their tolerances. The cases below run here as they are (only the
[output] section is changed: no field files, no preview), each in a few seconds on one core; the
cases with a verification test of their own are run and asserted there (``ASSERTED_ELSEWHERE``),
and this module only checks that such a test exists and runs the file.
"""

from __future__ import annotations

import math
import re
import tomllib

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.ec_helpers import run

pytestmark = pytest.mark.serial

CASES = ROOT / "cases"
F, R = 96485.33212, 8.314462618

# case file -> the test module that runs it and asserts its comment
ASSERTED_ELSEWHERE = {
    "contact_loss.toml": "tests/verification/test_contact_physics.py",
    "li_llzo_pressure.toml": "tests/verification/test_contact_physics.py",
    "default.toml": "tests/parallel/test_default_case_mpi.py",
    "runaway_spot.toml": "tests/verification/test_runaway.py",
    "dcb.toml": "tests/verification/test_dcb_path.py",
    "debonded_patch.toml": "tests/verification/test_electrochem.py",
    "hertz_cylinder.toml": "tests/verification/test_hertz.py",
    "hertz_sphere.toml": "tests/verification/test_hertz.py",
    "stack_calendar_ageing.toml": "tests/verification/test_interphase_ageing.py",
}
RUN_HERE = (
    "asperity_axisymmetric.toml",
    "bilayer_3d_lpscl.toml",
    "bilayer_flat_li_llzo.toml",
    "composite_2d.toml",
    "rough_2d.toml",
    "stack_coated_bilayer_electrolyte.toml",
)


def _header(name: str) -> str:
    """The comment at the top of a case file (up to the first table)."""
    lines = []
    for line in (CASES / name).read_text().splitlines():
        if line.startswith("["):
            break
        lines.append(line)
    return "\n".join(lines)


def test_every_case_file_is_run_by_the_suite():
    files = sorted(p.name for p in CASES.glob("*.toml"))
    covered = set(RUN_HERE) | set(ASSERTED_ELSEWHERE)
    assert not set(files) - covered, f"case files no test runs: {sorted(set(files) - covered)}"
    assert not covered - set(files), f"listed but missing: {sorted(covered - set(files))}"
    assert not set(RUN_HERE) & set(ASSERTED_ELSEWHERE)


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.glob("*.toml")))
def test_case_comment_states_what_the_run_shows(name):
    """The comment names the test that asserts it, and that test runs this very file."""
    head = _header(name)
    m = re.search(r"What the run shows \(asserted by (tests/[\w/]+\.py)", head)
    assert m, f"{name}: no 'What the run shows (asserted by tests/...)' in its comment"
    where = m.group(1)
    expected = ASSERTED_ELSEWHERE.get(name, "tests/cases/test_shipped_cases.py")
    assert where == expected, (name, where, expected)
    text = (ROOT / where).read_text()
    assert name in text or name.removesuffix(".toml") in text, f"{where} does not run {name}"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """(rows, summary) of each case file run as it is, computed once."""
    from solver.config import case_from_dict

    cache: dict[str, tuple[list[dict], dict]] = {}

    def get(name: str):
        if name not in cache:
            raw = tomllib.loads((CASES / name).read_text())
            raw["output"] = {**raw.get("output", {}), "fields": False, "preview": False}
            out = tmp_path_factory.mktemp(name.removesuffix(".toml"))
            rows, summary = run(case_from_dict(raw, CASES / name), out)
            assert summary["status"] == "completed", summary
            cache[name] = (rows, summary)
        return cache[name]

    return get


def _linear_in_the_load(rows, cols, rel=1e-6):
    """Every column of ``cols`` divided by the applied pressure is the same at every step."""
    for col in cols:
        ratios = [r[col] / r["pressure_applied"] for r in rows]
        assert np.allclose(ratios, ratios[-1], rtol=rel, atol=0), (col, ratios)


def test_asperity_axisymmetric(results):
    rows, summary = results("asperity_axisymmetric.toml")
    P, W, a_c = 1e6, 20e-6, 2e-6
    last = rows[-1]
    assert last["pressure_applied"] == P
    assert last["mean_pressure"] == pytest.approx(P * (W / a_c) ** 2, rel=1e-6)  # 100 MPa
    assert last["reaction_force"] == pytest.approx(-P * math.pi * W**2, rel=1e-9)
    assert last["min_pressure"] / last["mean_pressure"] == pytest.approx(0.525, rel=0.02)
    for r in rows:
        assert r["contact_fraction"] == pytest.approx(1.0, abs=1e-12)
        assert r["debonded_fraction"] == 0.0
        assert r["max_gap"] <= 0.0
    _linear_in_the_load(rows, ("mean_pressure", "min_pressure", "top_displacement"))


def test_rough_2d(results):
    rows, summary = results("rough_2d.toml")
    P, W = 3e6, 20e-6
    last = rows[-1]
    assert last["pressure_applied"] == P
    for r in rows:
        assert r["contact_fraction"] == pytest.approx(1.0, abs=1e-12)
        assert r["debonded_fraction"] == 0.0
        assert r["max_gap"] <= 0.0
        assert r["min_pressure"] > 0.0  # every interface point in compression
    assert last["min_pressure"] / P == pytest.approx(0.710, rel=0.02)
    assert last["mean_pressure"] / P == pytest.approx(0.923, rel=0.02)
    assert last["reaction_force"] == pytest.approx(-P * W, rel=1e-9)
    # linear up to the rounding of the contact law's brackets (1e-3 σ_c in traction)
    _linear_in_the_load(rows, ("mean_pressure", "min_pressure", "top_displacement"), rel=1e-4)
    # the rough Γ_int is longer than the width: a uniform pressure would average P
    assert summary["mesh"]["areas"]["interface"] / W > 1.1


def test_bilayer_flat_li_llzo(results):
    from solver import materials as M

    rows, summary = results("bilayer_flat_li_llzo.toml")
    j, t, P, T = 10.0, 1800.0, 2e6, 298.15
    omega = M.get("Li")["molar_volume"]
    stripped = omega * j * t / F  # 2.43 µm
    assert stripped == pytest.approx(2.43e-6, abs=0.005e-6)
    cur = [r for r in rows if r["current_density_applied"] > 0]
    before = [r for r in rows if r["current_density_applied"] == 0][-1]
    last = rows[-1]
    # the electrolyte follows the receding Li: the top face moves down by the stripped thickness
    moved = before["top_displacement"] - last["top_displacement"]
    assert moved == pytest.approx(stripped, rel=0.01)
    stripped_rows = {id(r) for r in cur[1:]} | {id(last)}  # after the first stripping step
    for r in rows:
        assert r["contact_fraction"] == pytest.approx(1.0, abs=1e-12)
        # stripped points of Γ_int lose their adhesion (the bonded Li dissolved: docs/theory.md
        # §5.6) and stay in contact, registered, under the stack pressure
        assert r["debonded_fraction"] == (1.0 if id(r) in stripped_rows else 0.0), r["step"]
        assert r["max_gap"] <= 0.0
    assert last["mean_pressure"] == pytest.approx(P, rel=1e-6)
    assert last["min_pressure"] == pytest.approx(P, rel=1e-6)
    # the ASR stays at its bonded value: Butler–Volmer at j = i0 plus the LLZO bulk
    eta = 2 * R * T / F * math.asinh(j / (2 * 10.0))
    assert eta / j * 1e4 == pytest.approx(24.73, abs=0.005)
    for r in cur:
        assert r["asr_interfacial"] == pytest.approx(eta / j * 1e4, rel=1e-6)
        assert r["asr_total"] == pytest.approx(28.73, abs=0.01)
        assert r["asr_total"] == pytest.approx(cur[0]["asr_total"], rel=1e-9)
        assert r["active_fraction"] == pytest.approx(1.0, abs=1e-12)
        assert r["li_balance_error"] < 1e-12
    assert summary["asr_total_last"] == pytest.approx(summary["asr_total_first"], rel=1e-9)


def _lithiation_claims(rows, *, P, area, debonded, contact, gap):
    lith = [r for r in rows if r["time"] > 1.0]
    D = [r["debonded_fraction"] for r in lith]
    assert D[0] > 0.0  # decohesion starts during the lithiation
    assert all(b >= a for a, b in zip(D, D[1:])), D  # and only grows
    last = rows[-1]
    assert last["debonded_fraction"] == pytest.approx(debonded, rel=0.15)
    assert last["contact_fraction"] == pytest.approx(contact, abs=0.005)
    assert last["max_gap"] == pytest.approx(gap, rel=0.25)
    assert last["reaction_force"] == pytest.approx(-P * area, rel=1e-9)
    return D


def test_bilayer_3d_lpscl(results):
    rows, _ = results("bilayer_3d_lpscl.toml")
    D = _lithiation_claims(
        rows, P=5e6, area=10e-6 * 10e-6, debonded=0.031, contact=0.973, gap=11e-9
    )
    assert all(b > a for a, b in zip(D, D[1:])), D  # decoheres at every step
    assert rows[-1]["soc"] == pytest.approx(0.5)


def test_composite_2d(results):
    rows, _ = results("composite_2d.toml")
    _lithiation_claims(rows, P=5e6, area=16e-6, debonded=0.050, contact=0.968, gap=24e-9)
    assert rows[-1]["soc"] == pytest.approx(0.8)
    assert sum(r["step_cuts"] for r in rows) > 0  # the decohesion-increment control acted


def test_stack_coated_bilayer_electrolyte(results):
    """The platen displacement δ = 0.5 µm is shared by the layers in series under uniaxial
    strain (rollers): σ = δ / Σ t_i/M_i; the FE pad is elastic (physics.ageing off: no
    relaxation). The screen gives the SLS pad relaxation from loading.pad_strain and ageing.p_c
    with the pad's constrained modulus (rollers)."""
    from solver.config import load_case
    from solver.screen import screen_case

    rows, summary = results("stack_coated_bilayer_electrolyte.toml")
    case = load_case(CASES / "stack_coated_bilayer_electrolyte.toml")
    g, mats = case.geometry, case.materials
    layers = [
        ("electrode", g["t_e"]),
        ("coating", g["t_c"]),
        ("electrolyte", g["t_s"][0]),
        ("electrolyte_2", g["t_s"][1]),
        ("counter", g["t_counter"]),
        ("pad", g["t_pad"]),
    ]

    def constrained(m):
        E, nu = m["E"], m["nu"]
        return E * (1 - nu) / ((1 + nu) * (1 - 2 * nu))

    delta = 0.5e-6
    sigma = delta / sum(t / constrained(mats[role]) for role, t in layers)
    assert constrained(mats["pad"]) == pytest.approx(228e6, rel=0.005)
    assert sigma == pytest.approx(11.26e6, rel=0.005)
    for r in rows:
        assert r["top_displacement"] == pytest.approx(-delta, rel=1e-9)
        assert r["mean_pressure"] == pytest.approx(sigma, rel=0.005)
        assert r["min_pressure"] == pytest.approx(r["mean_pressure"], rel=1e-6)  # uniform
        # the platen's pressure (displacement mode) is the interface pressure
        assert r["pressure_applied"] == pytest.approx(r["mean_pressure"], rel=1e-6)
        assert r["contact_fraction"] == pytest.approx(1.0, abs=1e-12)
    p = [r["mean_pressure"] for r in rows]
    assert rows[-1]["time"] > 10 * 3600  # a 10 h hold ...
    assert np.allclose(p, p[0], rtol=1e-9)  # ... without any relaxation
    q = screen_case(case)["quantities"]
    f = 0.55 / (1.45 * 0.1)  # rollers: the constrained modulus f E(t), nu = 0.45
    assert q["pad_pressure_initial"]["value"] == pytest.approx(f * 3e6, rel=1e-12)
    assert q["pad_pressure_final"]["value"] == pytest.approx(f * 1e6, rel=1e-12)
    t_c = -3600 * math.log((6e6 / (0.05 * f) - 20e6) / 40e6)
    assert q["t_star_pad"]["value"] == pytest.approx(t_c, rel=1e-9)
    assert q["t_star_pad"]["value"] / 3600 == pytest.approx(1.23, abs=0.005)
