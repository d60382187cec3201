"""The [output] keys do what docs/case-format.md says (small 2D bilayer runs through solver.api):

* ``preview``: ``mesh.png`` (a PNG) in the run directory, none when false;
* ``every``: fields at the accepted steps that are multiples of N and always at the last
  accepted step, also when the run ends early or fails (in the default .pvd layout and in XDMF);
* ``format = "vtx"``: one ADIOS2 ``.bp`` folder per region with the XDMF files' fields (P1 as
  point data, DG0 as cell data), the tags as ``tags.bp``/``facet_tags.bp``, and no XDMF;
* bad values: one line naming the key and the allowed values, exit 2, no run directory.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.output_helpers import (
    MECH,
    MECH_EC,
    PNG_MAGIC,
    adios2_read,
    case,
    pvd_steps,
    vtx_num_steps,
    vtx_schema,
    xdmf_steps,
)

pytestmark = pytest.mark.serial

REGIONS = ("electrode", "electrolyte", "interface")


def _run(c, out):
    from solver import api

    return api.run(c, out, overwrite=True)


@pytest.mark.parametrize("preview", [True, False], ids=["on", "off"])
def test_preview_png(tmp_path, preview):
    out = tmp_path / "run"
    _run(case(MECH, {"preview": preview, "fields": False}, _one_step()), out)
    png = out / "mesh.png"
    assert (out / "summary.json").exists()
    if preview:
        data = png.read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 5000
    else:
        assert not png.exists()
    assert sorted(p.name for p in out.glob("*.png")) == (["mesh.png"] if preview else [])


def test_preview_png_of_a_mesh_file(tmp_path):
    """A case with geometry.mesh_file gets its preview rendered from the file."""
    from solver import api

    api.mesh(case(MECH), tmp_path / "mesh")
    [msh] = (tmp_path / "mesh").glob("*.msh")
    out = tmp_path / "run"
    over = {"geometry": {"mesh_file": str(msh)}, **_one_step()}
    c = case(
        {k: v for k, v in MECH.items() if k != "geometry"}, {"fields": False, "preview": True}, over
    )
    _run(c, out)
    assert (out / "mesh.png").read_bytes()[:8] == PNG_MAGIC


def _one_step() -> dict:
    return {"loading": {"protocol": [{"kind": "hold", "duration": "1 s", "n_steps": 1}]}}


@pytest.mark.parametrize("every, steps", [(3, [3, 6, 7]), (1, [1, 2, 3, 4, 5, 6, 7])])
def test_every_writes_multiples_and_the_last_step(tmp_path, every, steps):
    out = tmp_path / "run"
    summary = _run(case(MECH, {"every": every}), out)
    assert summary["steps"] == 7
    for name in REGIONS:
        assert pvd_steps(out / "fields" / f"{name}.pvd") == steps, name


def test_every_in_xdmf(tmp_path):
    """format = "xdmf" (one block per function, not crash-safe) keeps every = 3 the same."""
    out = tmp_path / "run"
    _run(case(MECH, {"every": 3, "format": "xdmf"}), out)
    for name in REGIONS:
        assert xdmf_steps(out / "fields" / f"{name}.xdmf") == [3, 6, 7], name
    assert not list(out.rglob("*.pvd")) and not list(out.rglob("*.vtu"))


def test_every_writes_the_last_step_of_a_run_that_ends_early(tmp_path, monkeypatch):
    """A run that ends at step 5 (as a thermal runaway or contact loss ends it) with every = 3
    writes steps 3 and 5."""
    from solver.simulation import Simulation

    accept, calls = Simulation.accept, []

    def ending_accept(self):
        extra = accept(self) or {}
        calls.append(1)
        return {**extra, "end_run": True} if len(calls) == 5 else extra

    monkeypatch.setattr(Simulation, "accept", ending_accept)
    out = tmp_path / "run"
    summary = _run(case(MECH, {"every": 3}), out)
    assert summary["steps"] == 5
    for name in REGIONS:
        assert pvd_steps(out / "fields" / f"{name}.pvd") == [3, 5], name


def test_every_writes_the_last_good_step_of_a_failed_run(tmp_path, monkeypatch):
    """Newton fails at step 5 with no cut-back left: the run fails, and with every = 3 the
    fields hold steps 3 and 4 (the restored last accepted state)."""
    from solver.errors import SolverFailure
    from solver.problem import SolveResult
    from solver.simulation import Simulation

    solve, calls = Simulation.solve, []

    def failing_solve(self):
        res = solve(self)
        calls.append(1)
        return SolveResult(False, -3, 1, 0, 0.0) if len(calls) == 5 else res

    monkeypatch.setattr(Simulation, "solve", failing_solve)
    out = tmp_path / "run"
    with pytest.raises(SolverFailure, match="step 5"):
        _run(case(MECH, {"every": 3}, {"solver": {"max_cuts": 0}}), out)
    for name in REGIONS:
        assert pvd_steps(out / "fields" / f"{name}.pvd") == [3, 4], name


# point data (P1) and cell data (DG0) of each .bp folder of a mechanics + potentials run
VTX_FIELDS = {
    "electrode": (
        {"u", "phi_electrode"},
        {"stress", "principal_stress", "von_mises", "sigma_nn", "current_density"},
    ),
    "electrolyte": ({"u"}, {"stress", "principal_stress", "von_mises", "sigma_nn"}),
    "ionic": ({"phi_electrolyte"}, {"current_density"}),
    "interface": (
        {
            "g_n",
            "g_t",
            "t_n",
            "t_t",
            "damage",
            "decohesion",
            "contact_state",
            "j_n",
            "active_fraction",
            "eta",
            "registry",
        },
        set(),
    ),
    "tags": (set(), {"cell_tags"}),
    "facet_tags": (set(), {"facet_tags"}),
}


def test_vtx_writes_bp_folders_and_no_xdmf(tmp_path):
    """format = "vtx", every = 2 on 3 steps: the fields of steps 2 and 3 in .bp folders."""
    out = tmp_path / "run"
    _run(case(MECH_EC, {"format": "vtx", "every": 2}), out)
    fields = out / "fields"
    assert sorted(p.name for p in fields.iterdir()) == sorted(f"{n}.bp" for n in VTX_FIELDS)
    assert not list(out.rglob("*.xdmf")) and not list(out.rglob("*.h5"))
    for name, (point, cell) in VTX_FIELDS.items():
        bp = fields / f"{name}.bp"
        assert (bp / "md.0").is_file() and list(bp.glob("data.*")), name
        assert vtx_schema(bp) == {"point": point, "cell": cell}, name
        assert vtx_num_steps(bp) == (1 if "tags" in name else 2), name
    if importlib.util.find_spec("adios2") is None:
        return
    for name, (point, cell) in VTX_FIELDS.items():
        steps = adios2_read(fields / f"{name}.bp", point | cell)
        assert [round(t) for t, _ in steps] == ([0] if "tags" in name else [2, 3]), name
        for _, data in steps:
            assert all(np.all(np.isfinite(a)) for a in data.values()), name
    [(_, tags)] = adios2_read(fields / "tags.bp", ["cell_tags"])
    assert set(np.unique(tags["cell_tags"])) == {1.0, 2.0}


BAD = [
    ("every = 0", "output.every: got 0, allowed an integer in [1, inf)"),
    ('format = "hdf5"', "output.format: got 'hdf5', allowed one of 'pvd', 'xdmf', 'vtx'"),
    ('preview = "yes"', "output.preview: got 'yes', allowed true or false"),
]


@pytest.mark.parametrize("line, message", BAD, ids=["every", "format", "preview"])
def test_bad_output_key_one_line_exit_2_nothing_written(tmp_path, line, message):
    path = tmp_path / "bad.toml"
    path.write_text(f"[output]\n{line}\n")
    out = tmp_path / "run"
    p = subprocess.run(
        [sys.executable, "-m", "solver.cli", "run", str(path), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert p.returncode == 2, p.stderr
    assert p.stderr.strip().splitlines() == [f"ssbx: error: {message}"]
    assert not out.exists()
