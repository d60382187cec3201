"""The default field layout (``output.format = "pvd"``, :mod:`solver.fieldio`):

* one ``.pvd`` time index per region and for Γ_int, one ``.vtu`` per output step holding every
  array of the region by name (point data P1, cell data DG0), the tags as ``tags.vtu`` /
  ``facet_tags.vtu``, and ``fields/open.py``;
* crash safety: ``ssbx run`` killed with SIGKILL at random moments of its field output leaves
  indexes that parse and name only complete, readable ``.vtu`` files (no temporary file is
  indexed), one per output step written before the kill.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.ec_helpers import merge
from tests.output_helpers import MECH, MECH_EC, case, pvd_steps

pytestmark = pytest.mark.serial

# point data (P1) and cell data (DG0) of each .vtu of a mechanics + potentials run
FIELDS = {
    "electrode": (
        {"u", "phi_electrode"},
        {"stress", "principal_stress", "von_mises", "sigma_nn", "current_density"},
    ),
    "electrolyte": ({"u"}, {"stress", "principal_stress", "von_mises", "sigma_nn"}),
    "ionic": ({"phi_electrolyte"}, {"current_density"}),
    "interface": (
        {"g_n", "g_t", "t_n", "t_t", "damage", "decohesion", "contact_state", "j_n",
         "active_fraction", "eta", "registry"},
        set(),
    ),
}  # fmt: skip


def test_pvd_layout_named_arrays_and_time_index(tmp_path):
    """every = 2 on 3 steps: each region's index lists steps 2 and 3, each step one grid with
    every array by name, vectors with 3 components and the stress tensor with 9; the tags."""
    import meshio

    from solver import api
    from solver.fieldio import read_pvd

    out = tmp_path / "run"
    api.run(case(MECH_EC, {"every": 2}), out, overwrite=True)
    fields = out / "fields"
    assert sorted(p.name for p in fields.glob("*.pvd")) == sorted(f"{n}.pvd" for n in FIELDS)
    assert (fields / "open.py").is_file()
    for name, (point, cell) in FIELDS.items():
        assert pvd_steps(fields / f"{name}.pvd") == [2, 3], name
        entries = read_pvd(fields / f"{name}.pvd")
        assert [p.name for _, p in entries] == [f"{name}_000001.vtu", f"{name}_000002.vtu"]
        for _, vtu in entries:
            m = meshio.read(vtu)
            assert set(m.point_data) == point, name
            assert set(m.cell_data) == cell, name
            assert len(m.cells) == 1 and len(m.points) > 0
            for k, v in m.point_data.items():
                assert np.all(np.isfinite(v)), (name, k)
            if "u" in point:
                assert m.point_data["u"].shape == (len(m.points), 3)
                assert np.all(m.point_data["u"][:, 2] == 0.0)  # 2D: padded
            if "stress" in cell:
                assert m.cell_data["stress"][0].shape[1] == 9
    itf = meshio.read(read_pvd(fields / "interface.pvd")[-1][1])
    assert itf.cells[0].type == "line"
    # Γ_int of the flat bilayer (electrode below): y = t_e = 10 µm, x over the width W = 10 µm
    assert np.allclose(itf.points[:, 1], 10e-6) and np.ptp(itf.points[:, 0]) == pytest.approx(1e-5)
    tags = meshio.read(fields / "tags.vtu")
    assert set(np.unique(tags.cell_data["cell_tags"][0])) == {1, 2}
    ftags = meshio.read(fields / "facet_tags.vtu")
    assert 10 in set(np.unique(ftags.cell_data["facet_tags"][0]))  # Γ_int


KILLS = 4
MPIRUN = Path(sys.executable).with_name("mpirun")


def _long_case(tmp_path) -> Path:
    import tomli_w

    raw = merge(
        # 400 steps: on an idle machine the tiny case runs ~40 steps per second, so a run killed
        # up to 1 s after its first field step must still be running (40 steps were not: the
        # run could finish before the kill)
        MECH,
        {"loading": {"protocol": [{"kind": "hold", "duration": "400 s", "n_steps": 400}]}},
    )
    path = tmp_path / "long.toml"
    path.write_text(tomli_w.dumps(raw))
    return path


def _run_and_kill(cmd: list[str], out: Path, delay: float) -> None:
    """Start ``cmd`` in a session of its own, wait for its first field step, sleep ``delay`` s
    and SIGKILL the whole session (mpirun and its ranks alike)."""
    p = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    first = out / "fields" / "interface.pvd"
    t0 = time.monotonic()
    while not first.exists() and p.poll() is None and time.monotonic() - t0 < 120:
        time.sleep(0.01)
    time.sleep(delay)
    alive = p.poll() is None
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    assert alive, "the run ended before it was killed"
    assert not (out / "summary.json").exists()


def _check_indexes(out: Path) -> dict[str, int]:
    """Every .pvd parses and names only complete .vtu files, one per step from step 1 on."""
    import meshio

    from solver.fieldio import read_pvd

    counts = {}
    for name in ("electrode", "electrolyte", "interface"):
        pvd = out / "fields" / f"{name}.pvd"
        if not pvd.exists():
            counts[name] = 0
            continue
        entries = read_pvd(pvd)
        counts[name] = len(entries)
        assert [round(t) for t, _ in entries] == list(range(1, len(entries) + 1))
        for _, vtu in entries:
            assert not vtu.name.startswith(".")
            m = meshio.read(vtu)
            assert len(m.points) > 0 and m.point_data, vtu
            for v in m.point_data.values():
                assert np.all(np.isfinite(v))
    assert counts["interface"] >= 1
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    return counts


def test_sigkill_leaves_every_indexed_step_readable(tmp_path):
    """Four runs of 400 steps killed with SIGKILL at random moments once their field output has
    begun (seeded): every .pvd parses and every step it names opens with its arrays; the
    number of indexed steps is the same for every region but the one being written, within 1."""
    path = _long_case(tmp_path)
    rng = random.Random(18)
    indexed = []
    for k in range(KILLS):
        out = tmp_path / f"run{k}"
        cmd = [sys.executable, "-m", "solver.cli", "run", str(path), "-o", str(out)]
        _run_and_kill(cmd, out, rng.uniform(0.0, 1.0))
        indexed.append(_check_indexes(out)["interface"])
    print(f"steps indexed at the kills: {indexed}")


@pytest.mark.skipif(not MPIRUN.exists(), reason=f"no {MPIRUN}")
def test_sigkill_of_mpirun_on_two_ranks_leaves_every_indexed_step_readable(tmp_path):
    """The same under ``mpirun -n 2`` (mpirun and both ranks killed at once)."""
    path = _long_case(tmp_path)
    out = tmp_path / "run"
    cmd = [str(MPIRUN), "-n", "2", sys.executable, "-m", "solver.cli", "run", str(path)]
    _run_and_kill([*cmd, "-o", str(out)], out, 0.5)
    print(f"steps indexed at the kill: {_check_indexes(out)}")
