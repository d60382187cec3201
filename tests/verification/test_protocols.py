"""Cycling protocols and the tabulated OCV in the coupled FE model (issue 19; docs/theory.md
§5.3-5.5):

* a rest reads the published open-circuit potential (Chen et al. 2020's NMC811 fit) at c_init,
  shifted by (T - T_ref) dU/dT with a tabulated entropic coefficient;
* CC until V_max, CV until a current cut-off, CC discharge until V_min: each step ends at its
  cut-off, located inside the increment (|V - V_cut| <= 1e-4 V, |j - j_cut| <= 1e-4 j_cut), not
  at the next increment; a 'cycle' runs its steps ``repeat`` times;
* a state outside (0, c_max) stops the run with the named reason (never "completed");
* i0(c) = k c^alpha_c (c_max - c)^alpha_a: the Butler-Volmer overpotential
  eta = (2RT/F) asinh(j / (2 i0(c))) at two lithiations;
* the same protocol on 2 MPI ranks as on 1.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from tests.conftest import serial_reference
from tests.ec_helpers import case, run

F, R = 96485.33212, 8.314462618
C_MAX, C0 = 51765.0, 30000.0
V_MAX, J_CUT, V_MIN = 3.93, 1.0, 3.80  # V, A/m^2 (0.1 mA/cm^2), V

PROTOCOL = [
    {"kind": "rest", "duration": "10 s", "n_steps": 1},
    {"kind": "current", "current_density": "0.5 mA/cm^2", "duration": "30 min", "n_steps": 10,
     "V_max": f"{V_MAX} V"},
    {"kind": "voltage", "voltage": f"{V_MAX} V", "current_cutoff": "0.1 mA/cm^2",
     "duration": "30 min", "n_steps": 10},
    {"kind": "current", "current_density": "-1 mA/cm^2", "duration": "30 min", "n_steps": 10,
     "V_min": f"{V_MIN} V"},
    {"kind": "cycle", "repeat": 2, "steps": [
        {"kind": "current", "current_density": "0.5 mA/cm^2", "duration": "60 s", "n_steps": 2},
        {"kind": "rest", "duration": "60 s", "n_steps": 1},
    ]},
]  # fmt: skip


def protocol_case():
    """NMC811 film (Chen2020 OCV, D = 1e-12 m^2/s) on LLZO, Butler-Volmer, Li transport."""
    electrode = {"preset": "NMC811", "c_init": C0, "c_ref": C0, "D": "1e-12 m^2/s"}
    return case(
        {
            "materials": {"electrode": electrode, "electrolyte": "LLZO"},
            "interface": {"kinetics": "butler_volmer", "i0": "1 mA/cm^2"},
            "physics": {"transport": True},
            "loading": {"protocol": PROTOCOL},
        },
        replace=("materials",),
    )


def _chen2020(x):  # the published fit (Chen et al. 2020; PyBaMM nmc_LGM50_ocp_Chen2020)
    return (
        -0.809 * x
        + 4.4875
        - 0.0428 * np.tanh(18.5138 * (x - 0.5542))
        - 17.7326 * np.tanh(15.789 * (x - 0.3117))
        + 17.5842 * np.tanh(15.9308 * (x - 0.312))
    )


@pytest.fixture(scope="module")
def cycled(tmp_path_factory):
    rows, summary = run(protocol_case(), tmp_path_factory.mktemp("protocol") / "run")
    return rows, summary


def _segments(rows):
    """Split the rows at the known step kinds: rest (1), CC charge, CV, CC discharge, cycle."""
    t = np.array([r["time"] for r in rows])
    j = np.array([r["current_density_applied"] for r in rows])
    V = np.array([r["voltage"] for r in rows])
    return t, j, V


def test_rest_reads_the_published_ocv(cycled):
    rows, _ = cycled
    assert rows[0]["voltage"] == pytest.approx(_chen2020(C0 / C_MAX), abs=1e-4)
    assert rows[0]["ocv"] == pytest.approx(rows[0]["voltage"], abs=1e-12)


def test_cc_cv_cutoffs_are_located_exactly(cycled):
    rows, summary = cycled
    assert summary["status"] == "completed"
    t, j, V = _segments(rows)
    first_discharge = np.flatnonzero(np.isclose(j, -10.0))[0]
    cc = np.flatnonzero(np.isclose(j, 5.0) & (np.arange(len(j)) < first_discharge))
    end = cc[-1]
    # the CC step ends at V_max, inside an increment (not at the 180 s grid), after >= 2 steps
    assert len(cc) >= 3 and abs(V[end] - V_MAX) <= 1e-4
    assert np.all(V[cc[:-1]] < V_MAX)
    assert abs((t[end] - 10.0) / 180.0 - round((t[end] - 10.0) / 180.0)) > 1e-3
    # CV: the voltage held; the step ends when |j| reaches the cut-off (from above)
    cv = np.arange(end + 1, end + 1 + np.count_nonzero(np.isclose(V[end + 1 :], V_MAX, atol=1e-9)))
    assert len(cv) >= 2
    assert np.all(np.abs(j[cv[:-1]]) > J_CUT)
    assert abs(abs(j[cv[-1]]) - J_CUT) <= 1e-4 * J_CUT
    # CC discharge ends at V_min
    dis = np.flatnonzero(np.isclose(j, -10.0))
    assert abs(V[dis[-1]] - V_MIN) <= 1e-4 and np.all(V[dis[:-1]] > V_MIN)


def test_cycle_repeats_its_steps(cycled):
    rows, _ = cycled
    t, j, _ = _segments(rows)
    dis_end = np.flatnonzero(np.isclose(j, -10.0))[-1]
    tail_t, tail_j = t[dis_end:], j[dis_end + 1 :]
    assert tail_j == pytest.approx([5.0, 5.0, 0.0] * 2, abs=1e-9)  # 2 x (2 pulse + 1 rest)
    assert np.diff(tail_t) == pytest.approx([30.0, 30.0, 60.0] * 2, rel=1e-9)


def test_concentration_outside_its_range_stops_the_run(tmp_path):
    """5 mA/cm^2 out of a 10 um NMC811 film with D = 4e-15 m^2/s depletes its surface within
    ~10 s (Sand's time pi D (c0 F / 2j)^2): the run stops with the reason, never completed."""
    from solver.errors import StateOutOfRange

    c = case(
        {
            "materials": {"electrode": {"c_init": C0, "c_ref": C0}},
            "interface": {"kinetics": "butler_volmer", "i0": "1 mA/cm^2"},
            "physics": {"transport": True},
            "loading": {
                "protocol": [
                    {"kind": "current", "current_density": "5 mA/cm^2", "duration": "60 s"}
                ]
            },
        }
    )
    with pytest.raises(StateOutOfRange, match=r"electrode concentration left \(0, c_max"):
        run(c, tmp_path / "run")
    kept = [p for p in (tmp_path / "run", *tmp_path.glob("run.failed-*")) if p.is_dir()]
    summary = json.loads((kept[-1] / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["stop_reason"] == "state_out_of_range"
    assert summary["final"]["c_min"] > 0.0  # the last admissible state was written


def test_entropic_coefficient_shifts_the_open_circuit_voltage(tmp_path):
    """U(c, T) = U(x) + (T - T_ref) dU/dT(x): at a table point, 20 K above T_ref, the open
    circuit reads 4.0 V + 20 K (-2e-4 V/K)."""
    table = tmp_path / "ocv.csv"
    table.write_text("x,U,dUdT\n0.2,4.2,-1e-4\n0.5,4.0,-2e-4\n0.8,3.7,-3e-4\n")
    c = case(
        {
            "materials": {
                "electrode": {"preset": "NMC811", "c_init": 0.5 * C_MAX, "ocv_curve": str(table)},
                "electrolyte": "LLZO",
            },
            "loading": {
                "temperature": "318.15 K",
                "protocol": [{"kind": "rest", "duration": "1 s", "n_steps": 1}],
            },
        },
        replace=("materials",),
    )
    rows, _ = run(c, tmp_path / "run")
    assert rows[-1]["voltage"] == pytest.approx(4.0 + 20.0 * -2e-4, abs=1e-10)


@pytest.mark.parametrize("x", [0.2, 0.5, 0.8])
def test_exchange_current_follows_the_lithiation(tmp_path, x):
    i0, j = 10.0, 5.0  # A/m^2 (i0 at x = 1/2), 0.5 mA/cm^2
    c = case(
        {
            "materials": {"electrode": {"c_init": x * C_MAX}},
            "interface": {
                "kinetics": "butler_volmer",
                "i0": i0,
                "alpha_a": 0.5,
                "alpha_c": 0.5,
                "i0_dependence": "concentration",
            },
            "loading": {"current_density": "0.5 mA/cm^2", "temperature": "298.15 K"},
        }
    )
    rows, _ = run(c, tmp_path / "run")
    k = i0 / (C_MAX / 2)  # i0 = k c^0.5 (c_max - c)^0.5
    i0_c = k * math.sqrt(x * C_MAX * (C_MAX - x * C_MAX))
    eta = 2 * R * 298.15 / F * math.asinh(j / (2 * i0_c))
    assert rows[-1]["asr_interfacial"] * 1e-4 * j == pytest.approx(eta, rel=1e-8)


def _serial_protocol(path):
    from solver import api

    api.run(protocol_case(), path, comm=MPI.COMM_SELF, overwrite=True)


@pytest.mark.mpi
@serial_reference("protocol_case", _serial_protocol)
def test_protocol_same_on_1_and_2_ranks(shared_tmp, serial_ref):
    from solver import api

    world = MPI.COMM_WORLD
    par = shared_tmp / "protocol_np2"
    api.run(protocol_case(), par, comm=world, overwrite=True)
    ser = serial_ref
    world.barrier()
    if world.rank != 0:
        return
    from solver.metrics import read_timeseries

    a, b = read_timeseries(ser / "timeseries.csv"), read_timeseries(par / "timeseries.csv")
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        for key in ("time", "voltage", "current", "ocv", "c_min", "c_max_fraction"):
            x, y = float(ra[key]), float(rb[key])
            assert abs(x - y) <= 1e-6 * max(abs(x), 1e-9), (key, x, y)
    assert Path(par / "summary.json").exists()
