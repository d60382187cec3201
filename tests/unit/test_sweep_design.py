"""Sweep files and designs (solver.sweep): grid, list, Latin hypercube, Sobol/Saltelli, seeds,
factors; bad sweep files; the results table and the Sobol indices of a known function.

No case is run here (the runs are in tests/cli/test_sweep.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from solver import sweep as sw
from solver.errors import InputError
from tests.sweep_helpers import ROOT, ssbx

pytestmark = pytest.mark.serial


def sweep_file(tmp_path, text, base="default"):
    case = ROOT / "cases" / "default.toml" if base == "default" else base
    p = tmp_path / "s.toml"
    p.write_text(f'[sweep]\ncase = "{case}"\n' + text)
    return p


GRID = """design = "grid"
[[parameter]]
key = "loading.stack_pressure"
values = ["1 MPa", "2 MPa", "5 MPa"]
[[parameter]]
name = "current_density"
keys = ["loading.protocol[1].current_density", "loading.protocol[3].current_density"]
factors = [1, -1]
values = ["0.5 mA/cm^2", "2 mA/cm^2"]
"""


def test_grid_is_the_product_with_factors(tmp_path):
    s = sw.load_sweep(sweep_file(tmp_path, GRID))
    cases = s["cases"]
    assert len(cases) == 6
    assert [c["inputs"]["loading.stack_pressure"] for c in cases] == pytest.approx(
        [1e6, 1e6, 2e6, 2e6, 5e6, 5e6]
    )
    assert [c["inputs"]["current_density"] for c in cases] == pytest.approx([5, 20] * 3)
    c = cases[1]
    assert c["overrides"]["loading.protocol[1].current_density"] == "2 mA/cm^2"
    assert c["overrides"]["loading.protocol[3].current_density"] == pytest.approx(-20.0)
    assert len({c["name"] for c in cases}) == 6
    invalid, warnings = sw.validate_cases(s)
    assert invalid == {} and warnings == []


def test_lhs_is_stratified_and_seeded(tmp_path):
    text = """design = "lhs"
samples = 10
seed = 3
[[parameter]]
key = "interface.G_Ic"
bounds = ["1 J/m^2", "5 J/m^2"]
[[parameter]]
key = "loading.stack_pressure"
bounds = ["0.5 MPa", "10 MPa"]
"""
    a = sw.load_sweep(sweep_file(tmp_path, text))
    x = np.array([c["inputs"]["interface.G_Ic"] for c in a["cases"]])
    p = np.array([c["inputs"]["loading.stack_pressure"] for c in a["cases"]])
    # a Latin hypercube: exactly one sample in each of the 10 equal strata of every parameter
    assert sorted(np.floor((x - 1.0) / 0.4).astype(int)) == list(range(10))
    assert sorted(np.floor((p - 0.5e6) / 0.95e6).astype(int)) == list(range(10))
    b = sw.load_sweep(sweep_file(tmp_path, text))
    assert [c["overrides"] for c in a["cases"]] == [c["overrides"] for c in b["cases"]]
    c = sw.load_sweep(sweep_file(tmp_path, text.replace("seed = 3", "seed = 4")))
    assert [c["overrides"] for c in a["cases"]] != [c["overrides"] for c in c["cases"]]


def test_sobol_saltelli_sizes_and_seeds(tmp_path):
    text = """design = "sobol"
samples = 8
seeds = [7, 8]
[[parameter]]
key = "interface.G_Ic"
bounds = ["1 J/m^2", "5 J/m^2"]
[[parameter]]
key = "loading.stack_pressure"
bounds = ["0.5 MPa", "10 MPa"]
[[parameter]]
key = "interface.sigma_c"
bounds = ["20 MPa", "80 MPa"]
"""
    s = sw.load_sweep(sweep_file(tmp_path, text))
    # Saltelli: N (D + 2) points without second order, each once per seed
    assert len(s["cases"]) == 8 * (3 + 2) * 2
    assert {c["overrides"]["geometry.seed"] for c in s["cases"]} == {7, 8}
    g = [c["inputs"]["interface.G_Ic"] for c in s["cases"]]
    assert min(g) >= 1.0 and max(g) <= 5.0
    s2 = sw.load_sweep(sweep_file(tmp_path, text.replace("seeds = [7, 8]", "second_order = true")))
    assert len(s2["cases"]) == 8 * (2 * 3 + 2)


def test_list_design_named_cases_in_si(tmp_path):
    text = """design = "list"
[[case]]
name = "soft"
"materials.electrolyte.E" = "50 GPa"
[[case]]
name = "tough"
"interface.G_Ic" = 8
"""
    s = sw.load_sweep(sweep_file(tmp_path, text))
    sw.validate_cases(s)
    assert [c["name"] for c in s["cases"]] == ["soft", "tough"]
    assert s["cases"][0]["inputs"]["materials.electrolyte.E"] == pytest.approx(50e9)
    assert s["cases"][0]["inputs"]["interface.G_Ic"] == 2.0  # the base case's value


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('design = "mesh"\n', "sweep.design: got 'mesh', allowed grid, list, lhs, sobol"),
        (
            'design = "sobol"\nsamples = 6\n[[parameter]]\nkey = "interface.G_Ic"\n'
            "bounds = [1, 2]\n",
            "sweep.samples: got 6, allowed a power of 2",
        ),
        ('design = "grid"\nsampels = 3\n', "sweep.sampels: unknown key"),
        (
            'design = "grid"\n[[parameter]]\nkey = "interface.G_Ic"\nbounds = [1, 2]\n',
            "parameter[0].values: allowed a non-empty list",
        ),
        (
            'design = "lhs"\nsamples = 4\n[[parameter]]\nkey = "interface.G_Ic"\nbounds = [2, 1]\n',
            "parameter[0].bounds: got [2, 1], allowed numbers low < high",
        ),
        ('[[parameter]]\nkey = "interface.G_Icc"\nvalues = [1]\n', "interface.G_Icc: unknown key"),
        (
            '[[parameter]]\nkeys = ["interface.G_Ic", "interface.G_IIc"]\nfactors = [1, inf]\n'
            "values = [1]\n",
            "parameter[0].factors: got [1, Infinity], allowed 2 numbers (one per key)",
        ),
        (
            '[[parameter]]\nkey = "interface.G_Ic"\nvalues = ["1 MPa"]\n',
            "'1 MPa' has dimension 'pressure'",
        ),
    ],
)
def test_bad_sweep_files_are_refused(tmp_path, text, fragment):
    with pytest.raises(InputError) as e:
        sw.load_sweep(sweep_file(tmp_path, text))
    assert any(fragment in line for line in e.value.problems), e.value.problems


def test_cli_bad_sweep_exits_2_and_writes_nothing(tmp_path):
    p = sweep_file(tmp_path, 'design = "grid"\nsampels = 3\n')
    r = ssbx("sweep", str(p), "-o", str(tmp_path / "out"), cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("ssbx: error: sweep.sampels: unknown key")
    assert not (tmp_path / "out").exists()


def test_dry_run_prints_the_slurm_array(tmp_path):
    p = sweep_file(tmp_path, GRID)
    r = ssbx("sweep", str(p), "-o", str(tmp_path / "out"), "--backend", "slurm", "--dry-run",
             "--ranks", "4", "--time", "02:00:00", "--mem", "8G", "-j", "3", cwd=tmp_path,
             timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    for line in ("#SBATCH --array=0-5%3", "#SBATCH --ntasks=4", "#SBATCH --time=02:00:00",
                 "#SBATCH --mem=8G", "sweep task"):  # fmt: skip
        assert line in r.stdout
    assert not (tmp_path / "out").exists()


def test_sobol_indices_of_a_known_function(tmp_path):
    """The report's Sobol indices (SALib) on Y = 2 x1 + x2 + 0 x3, x_i ~ U(0, 1), written as
    summaries of completed runs: S1 = ST = (4/12, 1/12, 0) / (5/12) = (0.8, 0.2, 0)."""
    text = """design = "sobol"
samples = 256
metrics = ["final_contact_fraction"]
[[parameter]]
key = "interface.G_Ic"
bounds = [1, 2]
[[parameter]]
key = "interface.G_IIc"
bounds = [1, 2]
[[parameter]]
key = "interface.sigma_c"
bounds = [1e7, 2e7]
"""
    s = sw.load_sweep(sweep_file(tmp_path, text))
    out = tmp_path / "out"
    sw.prepare_dir(s, out)
    for c in s["cases"]:
        x1 = c["inputs"]["interface.G_Ic"] - 1.0
        x2 = c["inputs"]["interface.G_IIc"] - 1.0
        rd = out / "cases" / c["name"]
        rd.mkdir()
        y = 2 * x1 + x2
        (rd / "summary.json").write_text(
            json.dumps({"status": "completed", "final_contact_fraction": y})
        )
    sw.report(out, echo=lambda *_: None)
    import pandas as pd

    si = pd.read_csv(out / "report" / "sobol.csv").set_index("parameter")
    assert si.loc["interface.G_Ic", "S1"] == pytest.approx(0.8, abs=0.05)
    assert si.loc["interface.G_IIc", "S1"] == pytest.approx(0.2, abs=0.05)
    assert si.loc["interface.sigma_c", "ST"] == pytest.approx(0.0, abs=0.02)
    assert si.loc["interface.G_Ic", "ST"] == pytest.approx(0.8, abs=0.05)
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == 256 * 5 and (df["status"] == "completed").all()
    assert (out / "report" / "sobol_final_contact_fraction.png").stat().st_size > 1000


def test_units_of_swept_keys():
    """The plot labels' units: the SI unit of each key's dimension in the schema."""
    assert sw.key_unit("loading.stack_pressure") == "Pa"
    assert sw.key_unit("loading.protocol[1].current_density") == "A/m^2"
    assert sw.key_unit("loading.protocol[*].duration") == "s"
    assert sw.key_unit("interface.G_Ic") == "J/m^2"
    assert sw.key_unit("materials.electrolyte.E") == "Pa"
    assert sw.key_unit("geometry.rms", "rough") == "m"
    assert sw.key_unit("geometry.seed", "rough") == ""
    assert sw.key_unit("interface.law") == ""


def test_override_values_reach_ssbx_run_unchanged():
    """A case's overrides travel to `ssbx run` as `--set KEY=<TOML>`: every kind of value reads
    back as itself."""
    from solver.overrides import parse_value

    for v in ["5 MPa", 4, 2.5e-6, True, [1e-6, 2e-6], {"preset": "Li", "E": "5 GPa"}, 'a "q"']:
        assert parse_value(sw._toml_value(v)) == v
