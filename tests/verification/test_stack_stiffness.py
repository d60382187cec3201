"""docs/validation.md item 27: displacement mode compresses the stack by the prescribed platen
displacement, and the reaction is the closed-form 1D stiffness of the layers in series.

A flat 2D plane-strain stack (electrode | electrolyte [| pad]) on a roller bottom with roller
sides: every layer is in uniaxial strain (ε_xx = ε_zz = 0), so its normal stiffness per unit
area is t/M with the constrained (P-wave) modulus M = E(1 − ν)/((1 + ν)(1 − 2ν)) (Hooke's law with
ε_xx = ε_zz = 0; Timoshenko & Goodier, Theory of Elasticity, 3rd ed., 1970). The bonded
cohesive interface Γ_int adds its contact penalty 1/K_c in series (docs/theory.md (4.2): the
compression is carried by K_c; here K_c is given in the case). With the platen displacement δ
(negative compresses), the reaction per unit depth is

    R = k δ W,   1/k = Σ t_i/M_i + 1/K_c,

and at equilibrium R = −p̄ W, p̄ the mean contact pressure on Γ_int (R is the force applied
upwards on the top face, so compression gives R < 0 and p̄ > 0).

The uniform strain field is exact in P1: tolerance 1e-6 relative (the only deviations are the
Newton update tolerance and the C¹ rounding of the contact brackets, (1e-3 σ_c/p)²/4 < 1e-5 of the
interface compliance, itself 1e-3 of the total).

Sign of the pad default: with a pad and no `displacement` in a step, the platen moves by
−pad_strain × t_pad (docs/theory.md §3.3).
"""

from __future__ import annotations

import pytest
from mpi4py import MPI

from tests.ec_helpers import case, run

W, T_E, T_S, T_PAD = 10e-6, 10e-6, 10e-6, 5e-6
K_C = 1e18  # Pa/m
E = {"electrode": 4.9e9, "electrolyte": 149.8e9, "pad": 60e6}
NU = {"electrode": 0.42, "electrolyte": 0.257, "pad": 0.45}


def constrained_modulus(role: str) -> float:
    e, n = E[role], NU[role]
    return e * (1 - n) / ((1 + n) * (1 - 2 * n))


def stack_case(pad: bool, protocol_displacement: str | None, pad_strain: float = 0.01):
    step = {"kind": "hold", "duration": "1 s", "n_steps": 2}
    if protocol_displacement is not None:
        step["displacement"] = protocol_displacement
    mats = {
        role: {"preset": p, "E": E[role], "nu": NU[role]}
        for role, p in (("electrode", "Li"), ("electrolyte", "LLZO"), ("pad", "polymer_pad"))
        if pad or role != "pad"
    }
    return case(
        {
            "geometry": {
                "family": "stack",
                "dim": 2,
                "W": W,
                "t_e": T_E,
                "t_s": [T_S],
                "t_c": 0.0,
                "t_counter": 0.0,
                "t_pad": T_PAD if pad else 0.0,
                "h_max": "2.5 um",
            },
            "materials": mats,
            "interface": {"K_c": K_C},
            "loading": {
                "pressure_mode": "displacement",
                **({"pad_strain": pad_strain} if pad else {}),
                "lateral": "roller",
                "bottom": "roller",
                "protocol": [step],
            },
            "physics": {"mechanics": True, "electrochemistry": False},
            "output": {"fields": False},
        },
        replace=("geometry", "materials", "interface", "loading", "physics"),
    )


def stiffness(pad: bool) -> float:
    """k = 1/(Σ t_i/M_i + 1/K_c) (Pa/m)."""
    layers = [("electrode", T_E), ("electrolyte", T_S)] + ([("pad", T_PAD)] if pad else [])
    return 1.0 / (sum(t / constrained_modulus(r) for r, t in layers) + 1.0 / K_C)


def check_rows(rows, delta, pad):
    last = rows[-1]
    assert last["top_displacement"] == pytest.approx(delta, rel=1e-9)
    R = last["reaction_force"]
    assert R < 0  # the platen pushes down
    assert R == pytest.approx(stiffness(pad) * delta * W, rel=1e-6)
    assert R == pytest.approx(-last["mean_pressure"] * W, rel=1e-6)
    # the ramp is linear: half the displacement, half the force
    first = rows[0]
    assert first["top_displacement"] == pytest.approx(0.5 * delta, rel=1e-9)
    assert first["reaction_force"] == pytest.approx(0.5 * R, rel=1e-6)


@pytest.mark.serial
def test_prescribed_platen_displacement_gives_series_stiffness(tmp_path):
    delta = -0.1e-6
    rows, _ = run(stack_case(pad=False, protocol_displacement="-0.1 um"), tmp_path / "run")
    check_rows(rows, delta, pad=False)


@pytest.mark.serial
def test_pad_strain_sets_platen_displacement(tmp_path):
    eps0 = 0.01
    rows, _ = run(stack_case(pad=True, protocol_displacement=None, pad_strain=eps0), tmp_path / "r")
    check_rows(rows, -eps0 * T_PAD, pad=True)


@pytest.mark.mpi
def test_pad_strain_series_stiffness_mpi(shared_tmp):
    """The same on the ranks of the world communicator (run under mpirun -n 2)."""
    comm = MPI.COMM_WORLD
    eps0 = 0.01
    rows, _ = run(
        stack_case(pad=True, protocol_displacement=None, pad_strain=eps0),
        shared_tmp / "run_mpi",
        comm=comm,
    )
    check_rows(rows, -eps0 * T_PAD, pad=True)


def traction_case(P: str):
    c = stack_case(pad=True, protocol_displacement=None)
    raw = c.raw
    raw["loading"] = {
        "pressure_mode": "traction",
        "stack_pressure": P,
        "lateral": "roller",
        "bottom": "roller",
        "protocol": [{"kind": "hold", "duration": "1 s", "n_steps": 2}],
    }
    from solver.config import case_from_dict

    return case_from_dict(raw)


def check_traction(rows, P):
    """Traction mode: Γ_int carries the applied pressure (equilibrium of the layers above it),
    the reaction is −p̄ W, and the platen descends by P/k (the same series stiffness)."""
    last = rows[-1]
    assert last["mean_pressure"] == pytest.approx(P, rel=1e-6)
    assert last["reaction_force"] == pytest.approx(-last["mean_pressure"] * W, rel=1e-6)
    assert last["top_displacement"] == pytest.approx(-P / stiffness(True), rel=1e-6)


@pytest.mark.serial
def test_traction_mode_reaction_and_compliance(tmp_path):
    rows, _ = run(traction_case("2 MPa"), tmp_path / "run")
    check_traction(rows, 2e6)


@pytest.mark.mpi
def test_traction_mode_mpi(shared_tmp):
    rows, _ = run(traction_case("2 MPa"), shared_tmp / "traction_mpi", comm=MPI.COMM_WORLD)
    check_traction(rows, 2e6)


def test_relaxed_pad_gives_the_long_time_modulus(tmp_path):
    """The polymer_pad SLS (E1 = 40, E2 = 20 MPa, τ = 1 h, ν = 0.45) on rollers under a held
    stack pressure P: the pad is in uniaxial strain, and once relaxed (one backward-Euler step of
    1e4 τ: the unrelaxed part decays as τ_c/Δt ≈ 3e-4) its constrained modulus is that of
    E∞ = E2 instead of E0 = E1 + E2, so the top moves further by P t_pad (1/E2 − 1/E0)/f,
    f = (1 − ν)/((1 + ν)(1 − 2ν)) (the rest of the stack elastic at the same stress): 1e-3."""
    from tests.mech_helpers import pad_stack_case

    steps = [
        {"kind": "hold", "duration": "1e-3 s", "n_steps": 1},
        {"kind": "hold", "duration": "3.6e7 s", "n_steps": 1},
    ]
    rows, _ = run(pad_stack_case(steps), tmp_path / "pad")
    E1, E2, nu, P, t_pad = 40e6, 20e6, 0.45, 1e6, 2e-6
    f = (1 - nu) / ((1 + nu) * (1 - 2 * nu))
    amp = P * t_pad / f * (1 / E2 - 1 / (E1 + E2))
    du = rows[-1]["top_displacement"] - rows[0]["top_displacement"]
    assert du == pytest.approx(-amp, rel=1e-3)
