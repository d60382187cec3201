"""A galvanostatic step driven by a CSV current history: the applied current follows the file
(linear between rows) and the charge passed is its integral (trapezoid-free: backward Euler at
the step ends), with the Li balance intact; a bad CSV is a one-line input error."""

from __future__ import annotations

import pytest

from tests.ec_helpers import case, run


def test_csv_current_history(tmp_path):
    csv = tmp_path / "j.csv"
    csv.write_text("time_s,current_density_A_m2\n0,10\n10,10\n20,-5\n")
    c = case(
        {
            "loading": {
                "protocol": [
                    {"kind": "current", "duration": "20 s", "n_steps": 4, "profile": str(csv)}
                ]
            }
        }
    )
    rows, summary = run(c, tmp_path / "run")
    assert summary["status"] == "completed"
    expected = {5.0: 10.0, 10.0: 10.0, 15.0: 2.5, 20.0: -5.0}
    W = 10e-6
    for r in rows:
        assert r["current_density_applied"] == pytest.approx(expected[r["time"]], rel=1e-12)
        assert r["current"] == pytest.approx(expected[r["time"]] * W, rel=1e-9)
    # backward Euler: Q = Σ I(t_k) Δt
    assert rows[-1]["charge_passed"] == pytest.approx(W * 5 * (10 + 10 + 2.5 - 5), rel=1e-9)


@pytest.mark.parametrize("text", ["0,1\n", "t,j\n0,1\n0,2\n", "a,b\nx,y\n"])
def test_bad_csv_is_an_input_error(tmp_path, text):
    from solver.errors import ConfigError

    csv = tmp_path / "j.csv"
    csv.write_text(text)
    with pytest.raises(ConfigError) as e:
        case(
            {"loading": {"protocol": [{"kind": "current", "duration": "1 s", "profile": str(csv)}]}}
        )
    assert "loading.protocol[0].profile" in str(e.value)
