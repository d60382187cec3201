"""Impedance: the small-signal response of a solved state (issue 19 item 3; docs/theory.md §5.8,
solver/impedance.py), against closed forms and against the nonlinear model itself:

* a bonded flat interface with linear kinetics and no Li storage (a Li | LLZO cell):
  Z(ω) = R_bulk + R_ct/(1 + iω R_ct C_dl) to 1e-6 at 20 frequencies, R_bulk = t_e/σ_e + t_s/κ
  and R_ct, C_dl the case's values (the CSV of an 'eis' protocol step of a run);
* planar diffusion in an intercalation film on a blocking collector (no double layer): the
  finite-space (reflective) Warburg element Z_W = R_W coth(√(iωτ))/√(iωτ), R_W = −(dU/dc) L/(F D),
  τ = L²/D (e.g. Orazem & Tribollet, Electrochemical Impedance Spectroscopy, 2nd ed., §11.3)
  within 1 % at 20 frequencies;
* a Li | LLZO cell whose interface is partly debonded (registry lost, no stack pressure: the
  patch is blocking), Butler–Volmer kinetics: Re Z(ω → 0) equals dV/dj of the full nonlinear
  model under a small DC current step (the product's galvanostatic Newton solve with the
  mechanics in it, a central difference of ±0.01 A/m²) within 1e-4, and the interfacial arc
  Re Z(0) − Re Z(∞) grows with the debonded fraction θ, as R_ct/(1 − θ) (within 5 %: the
  current crowding at the patch edge adds a constriction);
* 1 and 2 MPI ranks give the same spectrum;
* the LU factorisation's symbolic analysis is done once per spectrum (the pattern of the real
  2×2 block matrix does not depend on ω), a numerical factorisation per frequency.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from tests.conftest import serial_reference
from tests.ec_helpers import case

F = 96485.33212
R_GAS = 8.314462618


def read_spectrum(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies [Hz], Z [Ω·cm²]) from an eis CSV."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    freq = np.array([float(r["frequency [Hz]"]) for r in rows])
    Z = np.array([complex(float(r["Re Z [Ohm cm^2]"]), float(r["Im Z [Ohm cm^2]"])) for r in rows])
    return freq, Z


REST = {"kind": "rest", "duration": "1 s", "n_steps": 1}
OUT = {"fields": False, "preview": False}

# (a) Li | LLZO, bonded and flat, linear kinetics; the conductivities set here
T_E, T_S = 5e-6, 10e-6  # m
SIGMA_E, KAPPA = 1.0e3, 0.05  # S/m (electrode set low enough to show in R_bulk)
R_CT, C_DL = 10e-4, 0.1  # Ω·m² (10 Ω·cm²), F/m² (10 µF/cm²)


def rc_case(comm=None):
    return case(
        {
            "geometry": {"W": "4 um", "t_e": f"{T_E} m", "t_s": f"{T_S} m", "h_max": "1 um"},
            "materials": {
                "electrode": {"preset": "Li", "sigma_e": f"{SIGMA_E} S/m"},
                "electrolyte": {"preset": "LLZO", "kappa": f"{KAPPA} S/m"},
            },
            "interface": {"R_ct": f"{R_CT} Ohm m^2", "C_dl": f"{C_DL} F/m^2"},
            "output": OUT,
            "loading": {
                "protocol": [
                    REST,
                    {"kind": "eis", "f_min": "10 Hz", "f_max": "1 MHz", "points_per_decade": 4},
                ]
            },
        },
        replace=("materials",),
    )


def test_bonded_interface_is_R_bulk_plus_parallel_RC(tmp_path):
    from solver import api

    res = api.run(rc_case(), tmp_path / "rc", comm=MPI.COMM_SELF, overwrite=True)
    entry = res["eis"][0]
    freq, Z = read_spectrum(tmp_path / "rc" / "eis" / entry["files"]["csv"])
    assert len(freq) == 21 and freq[0] == pytest.approx(1e6) and freq[-1] == pytest.approx(10.0)
    R_bulk = T_E / SIGMA_E + T_S / KAPPA  # Ω·m²
    w = 2 * np.pi * freq
    Z_ref = (R_bulk + R_CT / (1 + 1j * w * R_CT * C_DL)) * 1e4  # Ω·cm²
    err = np.abs(Z - Z_ref) / np.abs(Z_ref)
    assert err.max() < 1e-6, err.max()
    # the equivalent-circuit fit (impedance package) finds the three elements back
    fit = entry["fit"]
    assert fit["R_bulk"] == pytest.approx(R_bulk * 1e4, rel=1e-3)
    assert fit["R_int"] == pytest.approx(R_CT * 1e4, rel=1e-3)
    assert fit["C_int"] == pytest.approx(C_DL, rel=1e-3)
    for key in ("nyquist", "bode"):
        assert (tmp_path / "rc" / "eis" / entry["files"][key]).stat().st_size > 1000


# (b) an NMC film with Li diffusion on a blocking collector, linear OCV U = U0 + s c/c_max
L_FILM, D_LI, SLOPE, C_MAX0 = 5e-6, 1e-14, -1.0, 25000.0


def test_film_diffusion_is_the_finite_space_warburg(tmp_path):
    from solver import api

    c = case(
        {
            "geometry": {"W": "1 um", "t_e": f"{L_FILM} m", "t_s": "1 um", "h_max": "0.25 um"},
            "materials": {
                "electrode": {
                    "preset": "NMC811",
                    "c_init": f"{C_MAX0} mol/m^3",
                    "c_ref": f"{C_MAX0} mol/m^3",
                    "ocv": "4.45 V",
                    "ocv_slope": f"{SLOPE} V",
                    "D": f"{D_LI} m^2/s",
                },
                "electrolyte": "LLZO",
            },
            "interface": {"C_dl": 0.0},
            "output": OUT,
            "physics": {"transport": True},
            "loading": {
                "protocol": [
                    REST,
                    {
                        "kind": "eis",
                        "f_min": "1e-5 Hz",
                        "f_max": "3e-3 Hz",
                        "points_per_decade": 8,
                    },
                ]
            },
        },
        replace=("materials",),
    )
    res = api.run(c, tmp_path / "w", comm=MPI.COMM_SELF, overwrite=True)
    freq, Z = read_spectrum(tmp_path / "w" / "eis" / res["eis"][0]["files"]["csv"])
    assert len(freq) >= 20
    m, s = c.materials["electrode"], c.materials["electrolyte"]
    R_ohm = L_FILM / m["sigma_e"] + 1e-6 / s["kappa"] + c.interface["R_ct"]  # Ω·m²
    dUdc = SLOPE / m["c_max"]
    R_W, tau = -dUdc * L_FILM / (F * D_LI), L_FILM**2 / D_LI
    x = np.sqrt(1j * 2 * np.pi * freq * tau)
    Z_W = R_W / (x * np.tanh(x)) * 1e4  # Ω·cm²
    err = np.abs(Z - R_ohm * 1e4 - Z_W) / np.abs(Z_W)
    assert err.max() < 0.01, err.max()
    assert res["eis"][0]["fit"]["circuit"].endswith("Wo1")


# (c) Li | LLZO with a debonded patch x < θ W, Butler–Volmer, no stack pressure
I0 = 10.0  # A/m² (1 mA/cm²)


def patch_case(theta: float):
    over = {
        "geometry": {"W": "20 um", "t_e": "5 um", "t_s": "10 um", "h_max": "1 um"},
        "materials": {"electrode": "Li", "electrolyte": "LLZO"},
        "interface": {
            "kinetics": "butler_volmer",
            "i0": f"{I0} A/m^2",
            "microcontact": "plastic",
            "debonded": [
                {"shape": "interval", "x": ["0 um", f"{20 * theta} um"], "registry": False}
            ],
        },
        "loading": {"stack_pressure": 0.0, "protocol": [REST]},
        "physics": {"mechanics": True},
        "output": OUT,
    }
    c = case(over, replace=("materials",))
    raw = c.raw
    raw["interface"].pop("R_ct", None)
    from solver.config import case_from_dict

    return case_from_dict(raw)


def _solved(theta: float, comm):
    from solver import geometry
    from solver.simulation import Simulation

    c = patch_case(theta)
    sim = Simulation(c, geometry.build(c.geometry, comm).domain)
    state = {"kind": "rest", "time": 1.0, "pressure": 0.0, "temperature": 298.15}
    sim.set_loads(state)
    assert sim.solve().converged
    sim.accept()
    return sim, state


def _factorisations() -> list[int]:
    """PETSc's counts of symbolic and numerical LU factorisations so far (this process)."""
    from petsc4py import PETSc

    PETSc.Log.begin()
    return [
        PETSc.Log.Event(name).getPerfInfo()["count"]
        for name in ("MatLUFactorSym", "MatLUFactorNum")
    ]


def test_low_frequency_limit_is_the_nonlinear_dc_resistance():
    from solver.impedance import SmallSignal

    comm = MPI.COMM_SELF
    arcs = {}
    for theta in (0.25, 0.5):
        sim, state = _solved(theta, comm)
        counts = _factorisations()
        Z0, Z_inf = SmallSignal(sim).impedance([0.0, 1e8])
        # one symbolic analysis for the spectrum, one numerical factorisation per frequency
        assert [b - a for a, b in zip(counts, _factorisations())] == [1, 2]
        # the full nonlinear model (mechanics, contact path, Butler–Volmer) under ±dj, no time
        # passing (dt = 0: nothing strips, the mechanics stays where it is)
        V = []
        dj = 0.01  # A/m²: η ≈ 1e-4 V, the central difference is exact to ~(Fη/RT)²/6 ≈ 3e-6
        for j in (dj, -dj):
            sim.set_loads({**state, "kind": "current", "current_density": j})
            assert sim.solve().converged
            V.append(float(sim.ec.V_cell.value))
            sim.reject()
        dVdj = (V[0] - V[1]) / (2 * dj)  # Ω·m²
        assert abs(Z0.imag) < 1e-12 * abs(Z0)
        assert Z0.real == pytest.approx(dVdj, rel=1e-4)
        arcs[theta] = Z0.real - Z_inf.real
        R_ct = R_GAS * 298.15 / (F * I0)  # linearised Butler–Volmer, α_a + α_c = 1
        assert arcs[theta] == pytest.approx(R_ct / (1 - theta), rel=0.05)
        sim.close()
    assert arcs[0.5] > 1.3 * arcs[0.25]


def _serial_patch_eis(path):
    from solver import api

    api.run(_with_eis(patch_case(0.25)), path, comm=MPI.COMM_SELF, overwrite=True)


@pytest.mark.mpi
@serial_reference("impedance_patch", _serial_patch_eis)
def test_spectrum_same_on_1_and_2_ranks(shared_tmp, serial_ref):
    """The debonded-patch cell: mechanics, contact path, Butler–Volmer, double layer."""
    from solver import api

    world = MPI.COMM_WORLD
    api.run(_with_eis(patch_case(0.25)), shared_tmp / "patch2", comm=world, overwrite=True)
    world.barrier()
    if world.rank == 0:
        s2 = json.loads((shared_tmp / "patch2" / "summary.json").read_text())
        assert s2["mpi_size"] == 2
        _, Z1 = read_spectrum(serial_ref / "eis" / "eis_01.csv")
        _, Z2 = read_spectrum(shared_tmp / "patch2" / "eis" / "eis_01.csv")
        assert np.max(np.abs(Z1 - Z2) / np.abs(Z1)) < 1e-9
    world.barrier()


def _with_eis(c):
    from solver.config import case_from_dict

    raw = c.raw
    raw["loading"]["protocol"] = [
        REST,
        {"kind": "eis", "f_min": "1 Hz", "f_max": "10 MHz", "points_per_decade": 2},
    ]
    return case_from_dict(raw)


def test_ssbx_eis_command(tmp_path):
    """`ssbx eis CASE -o DIR`: the protocol's own 'eis' step and one at the end, the CSV, PNGs
    and the fit printed; bad frequency options: exit 2, one line naming the option, nothing
    written."""
    import subprocess

    from tests.conftest import ssbx_cmd

    path = tmp_path / "rc.toml"
    path.write_text(rc_case().to_toml())
    run = [*ssbx_cmd(), "eis", str(path), "-o"]
    for bad, fragment in (
        (["--f-min", "0"], "--f-min: got '0', allowed a frequency > 0"),
        (["--f-min", "1 MHz", "--f-max", "1 kHz"], "--f-min: got 1e+06 Hz, allowed below"),
    ):
        p = subprocess.run([*run, str(tmp_path / "bad"), *bad], capture_output=True, text=True)
        assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
        assert fragment in p.stderr and "Traceback" not in p.stderr, p.stderr
        assert not (tmp_path / "bad").exists()
    p = subprocess.run(
        [*run, str(tmp_path / "ok"), "--f-min", "100 Hz", "--f-max", "1e5", "--points-per-decade",
         "2"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr[-2000:]
    assert "eis_02.csv: R_bulk = " in p.stdout
    freq, Z = read_spectrum(tmp_path / "ok" / "eis" / "eis_02.csv")
    assert freq[0] == pytest.approx(1e5) and freq[-1] == pytest.approx(100.0) and len(freq) == 7
    w = 2 * np.pi * freq
    Z_ref = (T_E / SIGMA_E + T_S / KAPPA + R_CT / (1 + 1j * w * R_CT * C_DL)) * 1e4
    assert np.max(np.abs(Z - Z_ref) / np.abs(Z_ref)) < 1e-6
