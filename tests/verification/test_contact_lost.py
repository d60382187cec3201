"""Issue 13, item 3: the named stop "contact lost" (solver.contact_lost_fraction;
docs/theory.md §10.6).

A flat 2D Li | LLZO bilayer, Γ_int decohered everywhere without micro-contacts (a decohered,
closed interface conducts like a bonded one: f = s(g_n)), the platen held fixed (nothing follows
the receding Li), is stripped galvanostatically at j. By Faraday's law the gap opens uniformly
by g(t) = Ω_Li j t/F (test_li_stripping checks it to 1e-6); the accepted state of a step sees
the stripped thickness of the steps before it (the first current step is still closed, g = 0;
docs/theory.md §5.6), so the gap of the accepted step n ≥ 2 ending at t_n is g(t_n). The active
fraction is then the closed form of the gap switch (docs/theory.md (4.12)),

    f(t_n) = 1 − x²(3 − 2x),   x = g(t_n)/g_open,

and the run must stop at the first accepted current step whose f falls below the threshold,
with that state written and the reason named; with the stop switched off (0) it reaches the end
of its protocol; a step without current (a hold) never stops it. The stop compares the
contact fraction (bonded, or decohered and closed: ∫[(1 − D) + D s] / |Γ_int|, the column
``contact_fraction``), which here (D = 1, no micro-contacts) equals the active fraction f.

Tolerances: f to 1e-5 absolute (the gap is exact to ~1e-7 of itself; df/dx ≤ 1.5).
"""

from __future__ import annotations

import json

import pytest

from tests.ec_helpers import case, run

pytestmark = pytest.mark.serial

F = 96485.33212  # C/mol
OMEGA_LI = 1.3e-5  # m^3/mol
J = 10.0  # A/m^2 (1 mA/cm^2)
G_OPEN = 70e-9  # m
DT = 10.0  # s per step


def f_closed(t: float) -> float:
    """The active fraction of the accepted current step ending at t (n ≥ 2)."""
    x = min(OMEGA_LI * J * t / F / G_OPEN, 1.0)
    return 1.0 - x * x * (3.0 - 2.0 * x)


def lost_case(solver: dict | None = None, initial_gap: dict | None = None, protocol=None):
    protocol = protocol or [{"kind": "current", "duration": 5 * DT, "n_steps": 5}]
    gap = {"initial_gap": initial_gap} if initial_gap else {}
    return case(
        {
            "geometry": {
                "family": "bilayer",
                "dim": 2,
                "W": "10 um",
                "t_e": "10 um",
                "t_s": "10 um",
            },
            "materials": {
                "electrode": {"preset": "Li", "molar_volume": OMEGA_LI},
                "electrolyte": "LLZO",
            },
            "interface": {
                "kinetics": "linear",
                "R_ct": "10 Ohm cm^2",
                "microcontact": "none",
                "g_open": G_OPEN,
                "debonded": [{"shape": "all"}],
                **gap,
            },
            "loading": {
                "current_density": J,
                "pressure_mode": "displacement",
                "protocol": protocol,
            },
            "physics": {"mechanics": True, "electrochemistry": True},
            "solver": solver or {},
            "output": {"fields": False},
        },
        replace=("interface", "loading"),
    )


def test_stops_at_the_first_step_below_the_threshold(tmp_path):
    lim = 0.2  # f(30 s) = 0.385 above, f(40 s) = 0.134 below
    rows, summary = run(lost_case({"contact_lost_fraction": lim}), tmp_path / "run")
    assert [r["time"] for r in rows] == pytest.approx([10.0, 20.0, 30.0, 40.0])
    for r in rows[1:]:
        assert r["active_fraction"] == pytest.approx(f_closed(r["time"]), abs=1e-5)
        assert r["contact_fraction"] == pytest.approx(f_closed(r["time"]), abs=1e-5)
    assert rows[-2]["contact_fraction"] >= lim > rows[-1]["contact_fraction"]
    assert summary["status"] == "completed"
    assert summary["stop_reason"] == "contact_lost"
    assert summary["stop"].startswith("contact lost: contact fraction 0.134 < ")
    assert summary["final_active_fraction"] == pytest.approx(f_closed(40.0), abs=1e-5)
    on_disk = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert on_disk["stop_reason"] == "contact_lost"


def test_switched_off_the_run_reaches_the_end(tmp_path):
    rows, summary = run(lost_case({"contact_lost_fraction": 0}), tmp_path / "run")
    assert rows[-1]["time"] == pytest.approx(5 * DT)
    assert rows[-1]["active_fraction"] == pytest.approx(f_closed(5 * DT), abs=1e-5)
    assert rows[-1]["active_fraction"] < 0.05  # the default threshold would have stopped it
    assert summary["status"] == "completed"
    assert "stop_reason" not in summary


def test_an_open_interface_without_current_runs_on_with_current_stops(tmp_path):
    """A uniform initial gap g0 = 0.9 g_open: f = 1 − 0.81·1.2 = 0.028 < 0.05 (the default
    threshold) already at rest. The hold (no current) runs on; the first current step (its
    state still at g0: no Li stripped before it) stops the run, its state written."""
    g0 = 0.9 * G_OPEN
    gap = tmp_path / "gap.csv"
    gap.write_text(f"x, g0\n-1e-3, {g0}\n1e-3, {g0}\n")
    c = lost_case(
        initial_gap={"shape": "csv", "file": str(gap)},
        protocol=[
            {"kind": "hold", "duration": DT, "n_steps": 2},
            {"kind": "current", "duration": DT, "n_steps": 2},
        ],
    )
    rows, summary = run(c, tmp_path / "run")
    f0 = 1.0 - 0.81 * (3.0 - 1.8)
    assert [r["time"] for r in rows] == pytest.approx([5.0, 10.0, 15.0])
    for r in rows:
        assert r["active_fraction"] == pytest.approx(f0, abs=1e-5)
    assert rows[1]["current"] == pytest.approx(0.0, abs=1e-15)  # at rest, below 0.05: ran on
    assert rows[-1]["current_density_applied"] == pytest.approx(J, rel=1e-9)
    assert summary["stop_reason"] == "contact_lost"
    assert "0.028 < solver.contact_lost_fraction = 0.05" in summary["stop"]
