"""[[loading.boundary]] loads (docs/theory.md §3.4): a total force, a traction and a prescribed
displacement on a face act as the closed forms of a uniaxially strained stack say."""

from __future__ import annotations

import math

import pytest

from tests.ec_helpers import case, run

P = 3e6  # Pa
W = 10e-6  # the BASE bilayer's width (m)


def _last(tmp_path, over):
    base = {
        "physics": {"mechanics": True, "electrochemistry": False},
        "loading": {"stack_pressure": 0.0,
                    "protocol": [{"kind": "hold", "duration": "1 s", "n_steps": 2}]},
    }  # fmt: skip
    rows, summary = run(case({**base, **over} if "loading" not in over else
                             {"physics": base["physics"], **over}), tmp_path)  # fmt: skip
    assert summary["status"] == "completed"
    return rows[-1]


@pytest.mark.parametrize("axisymmetric", [False, True])
def test_force_and_traction_on_the_top_face_load_the_stack_like_a_stack_pressure(
    tmp_path, axisymmetric
):
    """fy = −P A (A = W per m of depth in plane strain, πW² for the axisymmetric disc of radius
    W) on the top face and ty = −P both give a mean interface pressure P and a top reaction −P A
    (the closed form of uniaxial compression), like loading.stack_pressure = P, whose work is
    the stored elastic energy."""
    proto = [{"kind": "hold", "duration": "1 s", "n_steps": 2}]
    geo = {"geometry": {"axisymmetric": axisymmetric}}
    ref = _last(tmp_path / "p", {**geo, "loading": {"stack_pressure": P, "protocol": proto}})
    assert ref["mean_pressure"] == pytest.approx(P, rel=1e-6)
    # the stack pressure's work on the top face, ½ P A |u_top| for the linear stack loaded from
    # 0, is the stored elastic energy (Clapeyron), 1e-6
    assert ref["external_work"] == pytest.approx(ref["elastic_energy"], rel=1e-6)
    assert ref["external_work"] > 0
    A = math.pi * W**2 if axisymmetric else W
    for name, load in (("force", {"fy": -P * A}), ("traction", {"ty": -P})):
        last = _last(
            tmp_path / name,
            {**geo, "loading": {"stack_pressure": 0.0, "protocol": proto,
                                "boundary": [{"face": "top", **load}]}},
        )  # fmt: skip
        assert last["mean_pressure"] == pytest.approx(P, rel=1e-6), name
        assert last["top_displacement"] == pytest.approx(ref["top_displacement"], rel=1e-6)


def test_prescribed_face_displacement_with_a_load_factor(tmp_path):
    """uy = −u0 on the top face, ramped by load_factor 0.5 then 1: the top moves by −u0/2, then
    −u0, and the stack carries the uniaxial-strain pressure M u0/H (in series with the stiff
    interface), so the second pressure is twice the first; the external work of the ramp equals
    the stored elastic energy (1e-6)."""
    u0 = 5e-9
    proto = [
        {"kind": "hold", "duration": "1 s", "n_steps": 1, "load_factor": 0.5},
        {"kind": "hold", "duration": "1 s", "n_steps": 1, "load_factor": 1.0},
    ]
    rows, _ = run(
        case({"physics": {"mechanics": True, "electrochemistry": False},
              "loading": {"stack_pressure": 0.0, "protocol": proto,
                          "boundary": [{"face": "top", "uy": -u0}]}}),
        tmp_path,
    )  # fmt: skip
    assert [r["top_displacement"] for r in rows] == pytest.approx([-u0 / 2, -u0], rel=1e-9)
    assert rows[1]["mean_pressure"] == pytest.approx(2 * rows[0]["mean_pressure"], rel=1e-9)
    assert rows[1]["mean_pressure"] > 0
    # a linear elastic stack: the work of the ramped load (λ from 0) is the stored energy
    # (Clapeyron; the trapezoidal work of a response linear in λ is exact)
    for r in rows:
        assert r["external_work"] == pytest.approx(r["elastic_energy"], rel=1e-6)
        assert r["external_work"] > 0


@pytest.mark.parametrize("degree", [1, 2])
def test_axisymmetric_stack_pressure_reaches_the_interface(tmp_path, degree):
    """A disc of radius W (axisymmetric) under a stack pressure P on rollers: uniaxial strain,
    so every point of Γ_int carries P: the 2πr-weighted mean interface pressure and the
    minimum are P (1e-6), for P1 (lumped interface radius) and P2 (the exact weight)."""
    r = _last(
        tmp_path,
        {
            "geometry": {"axisymmetric": True},
            "physics": {"mechanics": True, "electrochemistry": False, "degree": degree},
            "loading": {
                "stack_pressure": P,
                "protocol": [{"kind": "hold", "duration": "1 s", "n_steps": 1}],
            },
        },
    )
    assert r["mean_pressure"] == pytest.approx(P, rel=1e-6)
    assert r["min_pressure"] == pytest.approx(P, rel=1e-6)
