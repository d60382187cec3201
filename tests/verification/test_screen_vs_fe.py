"""``ssbx screen`` against the FE model's initial state where both apply: a bonded, flat
interface at a small current (linear regime of Butler–Volmer), with an interphase film. The
screen's bonded interfacial ASR, RT/(F i0 (α_a + α_c)) + h_sei0/κ_sei, must match the FE
interfacial ASR of the first current step within 0.5 % (the Butler–Volmer curvature at
j/i0 = 0.1 is 0.2 %)."""

from __future__ import annotations

import pytest

from tests.ec_helpers import case, run


def test_screen_matches_fe_initial_interfacial_asr(tmp_path):
    from solver.screen import screen_case

    c = case(
        {
            "interface": {
                "kinetics": "butler_volmer",
                "i0": "1 mA/cm^2",
                "h_sei0": "10 nm",
                "kappa_sei": "1e-5 S/m",
                "microcontact": "plastic",
            },
            "loading": {
                "current_density": "0.1 mA/cm^2",
                "protocol": [{"kind": "current", "duration": "1 s", "n_steps": 1}],
            },
            "physics": {"mechanics": True},
        }
    )
    rows, _ = run(c, tmp_path / "run")
    fe = rows[-1]["asr_interfacial"]
    scr = screen_case(c)["quantities"]["asr_interfacial_bonded"]["value"]
    assert fe == pytest.approx(scr, rel=5e-3)
    assert rows[-1]["contact_fraction"] == pytest.approx(1.0)
