"""docs/validation.md item 30: Li-metal stripping removes Ω_Li j t/F of Li (Faraday's law).

A flat 2D Li | LLZO bilayer stripped galvanostatically at j (current from the Li into the
electrolyte) for a time t: by Faraday's law the charge j A t removes n = j A t/F mol of Li, a
layer of thickness

    s = Ω_Li j t / F       (Ω_Li the molar volume of Li, the electrode's `molar_volume`)

from the interface (docs/theory.md (5.8); Bard & Faulkner, Electrochemical Methods, 2001, §1.3).

* Platen held fixed (displacement mode, no pad: nothing pushes the electrolyte after the Li),
  interface decohered everywhere (`[[interface.debonded]]`, micro-contacts `none`, g_open = 1 µm
  so that the thinned Li still conducts): the gap opens by exactly s, `max_gap` = s.
* Stack pressure P on a bonded interface: the electrolyte follows the receding Li, the gap stays
  closed, and the platen descends by exactly s (the bulk stresses, set by P, do not change).
* Both: the charge passed is j A t, and the Li inventory balances it (`li_balance_error`).

Tolerances: gap and platen travel 1e-6 relative (the residual stiffness of the open interface,
K_res = 1e-6 E/L, strains the bulk by ~1e-7 of s; P1 represents the uniform states exactly);
charge 1e-9 relative (galvanostatic control to 1e-10 of the current); Li balance 1e-9.
"""

from __future__ import annotations

import pytest

from tests.ec_helpers import case, run

pytestmark = pytest.mark.serial

F = 96485.33212  # C/mol
OMEGA_LI = 1.3e-5  # m^3/mol (case value)
J = 10.0  # A/m^2 (1 mA/cm^2)
T_STRIP = 50.0  # s
W = 10e-6


def stripping_case(pressed: bool):
    itf = {"kinetics": "linear", "R_ct": "10 Ohm cm^2"}
    loading = {"current_density": J, "stack_pressure": "1 MPa"}
    protocol = [{"kind": "current", "duration": T_STRIP, "n_steps": 5}]
    if pressed:  # bonded interface, pressed by the stack pressure first
        protocol.insert(0, {"kind": "hold", "duration": "1 s", "n_steps": 1})
    else:  # fixed platen, decohered interface
        itf.update({"microcontact": "none", "g_open": "1 um", "debonded": [{"shape": "all"}]})
        loading["pressure_mode"] = "displacement"
    loading["protocol"] = protocol
    return case(
        {
            "geometry": {"family": "bilayer", "dim": 2, "W": W, "t_e": "10 um", "t_s": "10 um"},
            "materials": {
                "electrode": {"preset": "Li", "molar_volume": OMEGA_LI},
                "electrolyte": "LLZO",
            },
            "interface": itf,
            "loading": loading,
            "physics": {"mechanics": True, "electrochemistry": True},
            "output": {"fields": False},
        },
        replace=("interface", "loading"),
    )


def test_fixed_platen_gap_opens_by_faraday_thickness(tmp_path):
    rows, _ = run(stripping_case(pressed=False), tmp_path / "run")
    last = rows[-1]
    s = OMEGA_LI * J * T_STRIP / F
    assert last["max_gap"] == pytest.approx(s, rel=1e-6)
    assert last["charge_passed"] == pytest.approx(J * W * T_STRIP, rel=1e-9)
    assert last["li_balance_error"] < 1e-9
    assert last["top_displacement"] == pytest.approx(0.0, abs=1e-15)  # the platen did not move


def test_pressed_stack_follows_the_stripped_li(tmp_path):
    rows, _ = run(stripping_case(pressed=True), tmp_path / "run")
    pressed, last = rows[0], rows[-1]
    s = OMEGA_LI * J * T_STRIP / F
    assert pressed["charge_passed"] == pytest.approx(0.0, abs=1e-15)
    assert pressed["top_displacement"] - last["top_displacement"] == pytest.approx(s, rel=1e-6)
    assert last["max_gap"] < 0  # still pressed together
    assert last["mean_pressure"] == pytest.approx(1e6, rel=1e-6)
    assert last["charge_passed"] == pytest.approx(J * W * T_STRIP, rel=1e-9)
    assert last["li_balance_error"] < 1e-9
