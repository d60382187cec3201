"""The tutorials (docs/tutorials/*.py, literate scripts) run as a user runs them, in their fast
mode (``SSBX_TUTORIAL_FAST=1``: shortened protocols), and say what their text says; the README
links each of them."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.serial

TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("[0-9]*.py"))


def _run(script, out):
    env = {**os.environ, "SSBX_TUTORIAL_FAST": "1", "SSBX_TUTORIAL_OUT": str(out),
           "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}  # fmt: skip
    p = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, env=env,
        timeout=600, check=False,
    )  # fmt: skip
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    return p.stdout


def test_the_readme_links_every_tutorial():
    readme = (ROOT / "README.md").read_text()
    assert len(TUTORIALS) >= 2
    for t in TUTORIALS:
        assert f"docs/tutorials/{t.name}" in readme, t.name


def test_tutorial_first_run(tmp_path):
    out = _run(ROOT / "docs" / "tutorials" / "01_first_run.py", tmp_path)
    assert "status: completed" in out
    assert (tmp_path / "first_run" / "report" / "index.html").is_file()
    assert (tmp_path / "first_run_asr.png").is_file()


def test_tutorial_pressure_sweep_asr_falls_as_one_over_p(tmp_path):
    """Plastic micro-contacts: φ = p/H, the interfacial ASR ∝ 1/φ, a log-log slope of −1; the
    finite-size constriction factor of the spots bends it by a few per cent (measured −0.97),
    hence ±0.05."""
    out = _run(ROOT / "docs" / "tutorials" / "02_pressure_sweep.py", tmp_path)
    slope = float(re.search(r"against p: (-?[0-9.]+)", out).group(1))
    assert slope == pytest.approx(-1.0, abs=0.05)
    assert (tmp_path / "pressure_sweep.png").is_file()


def _floats(pattern, out):
    """Every number that the groups of ``pattern`` capture in ``out``, in order."""
    found = re.findall(pattern, out)
    return [float(x) for m in found for x in (m if isinstance(m, tuple) else (m,))]


def test_tutorial_li_stripping_faraday_gap_and_kinetics(tmp_path):
    """Li stripping (tutorial 3): the platen of a pressed stack descends, and a fixed platen's gap
    opens, by Faraday's thickness Ω j t/F (1e-6: P1 represents the uniform states exactly); the
    Li inventory balances the charge (1e-9); after contact loss the interfacial ASR is the
    symmetric Butler–Volmer overpotential at the local current density j/φ, φ = p/H_Li, per unit
    current (the Holm constriction of the spots adds 0–2 %), so it falls with the pressure; the
    conducting fraction across the gap g is 1 − 3x² + 2x³, x = g/g_open (1e-6)."""
    out = _run(ROOT / "docs" / "tutorials" / "03_li_stripping.py", tmp_path)
    errors = _floats(r"stripped thickness error: ([0-9.e+-]+)", out)
    assert len(errors) == 3 and max(errors) < 1e-6, errors
    assert _floats(r"balance error *: ([0-9.e+-]+)", out)[0] < 1e-9
    ratios = _floats(r"ratio ([0-9.]+)\)", out)
    assert len(ratios) == 2 and all(1.0 <= r < 1.02 for r in ratios), ratios
    asr = _floats(r"interfacial ASR +([0-9.]+) Ohm", out)
    assert asr[0] > 2.0 * asr[1]  # 0.2 -> 1 MPa
    assert _floats(r"gap error: ([0-9.e+-]+)", out)[0] < 1e-6
    a, b = _floats(r"active fraction ([0-9.]+), 1 - 3x\^2 \+ 2x\^3 = ([0-9.]+)", out)
    assert a == pytest.approx(b, abs=1e-6) and a < 0.9  # the gap is a sizeable part of g_open


def test_tutorial_ageing_matches_the_series_closed_form(tmp_path):
    """Calendar ageing (tutorial 4): under a held platen the FE interface pressure follows
    p = δ/(h/E' + C_stack) with h the parabolic interphase law at the Arrhenius D(45 °C) and
    C_stack = Σ t/M + 1/K_c from the inputs (1e-3 relative at every step; the thickness is exact
    at constant temperature, 1e-9), and t* the closed form 7.7 within 1 % (log-log
    interpolation between the adaptive steps of rtol 0.2)."""
    out = _run(ROOT / "docs" / "tutorials" / "04_ageing.py", tmp_path)
    assert _floats(r"relative pressure error over the run: ([0-9.e+-]+)", out)[0] < 1e-3
    assert _floats(r"relative thickness error over the run: ([0-9.e+-]+)", out)[0] < 1e-9
    fe, cf = _floats(r"t\*: FE ([0-9.]+) d, closed form ([0-9.]+) d", out)
    assert fe == pytest.approx(cf, rel=0.01)
    assert 30 < cf < 365  # contact is lost within the year, not at once
    p0, p1 = _floats(r"pressure: ([0-9.]+) MPa after the hold -> ([0-9.]+) MPa", out)
    assert p1 < 3.0 < p0  # the pressure crossed p_min = 3 MPa
    assert (tmp_path / "ageing_pressure.png").is_file()


def test_tutorial_sweep_and_report(tmp_path):
    """`ssbx sweep` (local backend, 2 jobs) runs the three pressures, its table has them in SI
    with the interfacial ASR falling as the pressure rises (plastic micro-contacts, φ = p/H),
    `ssbx sweep report` writes its plots, `ssbx report` one run's page, and `solver.load`
    reads that run back."""
    import pandas as pd

    out = _run(ROOT / "docs" / "tutorials" / "05_sweep_and_report.py", tmp_path)
    table = pd.read_csv(tmp_path / "sweep_cli" / "results.csv").sort_values("stack_pressure")
    assert list(table["stack_pressure"]) == [0.2e6, 0.5e6, 1e6]
    assert (table["status"] == "completed").all()
    asr = table["final.asr_interfacial"].to_numpy()
    assert asr[0] > asr[1] > asr[2] > 0
    assert len(list((tmp_path / "sweep_cli" / "report").glob("*.png"))) == 3
    assert (tmp_path / "sweep_cli" / "cases" / "case-0000" / "report" / "index.html").is_file()
    assert "case-0000: status completed, 5 steps" in out


def test_tutorial_impedance_before_and_after_contact_loss(tmp_path):
    """Impedance (tutorial 6): the fitted bulk resistance is t_s/κ + t_e/σ_e (1e-3) before and
    after; the interfacial arc is R_ct/f with R_ct = RT/(F i0), its capacitance C_dl f (1e-3),
    f the conducting fraction across the stripped gap (1 before); the arc grows by 1/f and its
    apex frequency stays at 1/(2π R_ct C_dl) (1e-3)."""
    out = _run(ROOT / "docs" / "tutorials" / "06_impedance.py", tmp_path)
    assert "status: completed" in out
    f = _floats(r"conducting fraction f = ([0-9.]+)", out)[0]
    assert 0.3 < f < 0.9  # contact was partly lost
    fits = re.findall(
        r"R_bulk ([0-9.]+) Ohm cm\^2 \(closed form ([0-9.]+)\); R_int ([0-9.]+) Ohm cm\^2 "
        r"\(R_ct/f ([0-9.]+)\); C_int ([0-9.]+) F/m\^2 \(C_dl f ([0-9.]+)\)",
        out,
    )
    assert len(fits) == 2
    for row in fits:
        rb, rb0, ri, ri0, c, c0 = map(float, row)
        assert rb == pytest.approx(rb0, rel=1e-3)
        assert ri == pytest.approx(ri0, rel=1e-3)
        assert c == pytest.approx(c0, rel=1e-3)
    ratio, inv_f = _floats(r"= ([0-9.]+), 1/f = ([0-9.]+)", out)
    assert ratio == pytest.approx(inv_f, rel=1e-3) and ratio > 1.1
    apex = _floats(
        r"before ([0-9.]+) Hz, after ([0-9.]+) Hz, 1/\(2 pi R_ct C_dl\) = ([0-9.]+)", out
    )
    assert apex[0] == pytest.approx(apex[2], rel=1e-3) and apex[1] == pytest.approx(
        apex[2], rel=1e-3
    )
    assert (tmp_path / "impedance_nyquist.png").is_file()
    assert (tmp_path / "impedance" / "eis" / "eis_02_nyquist.png").is_file()
