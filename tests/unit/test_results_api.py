"""The Python result API: ``solver.load(run_dir)`` / the object ``solver.api.run`` returns
(summary dict, time series with units, fields by name and time, plot), and ``Case.with_``
(a modified, validated copy of a case, dotted keys)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ec_helpers import BASE, merge
from tests.output_helpers import MECH_EC, case

pytestmark = pytest.mark.serial

DEBONDED = {"interface": {"debonded": [{"shape": "interval", "x": ["0 um", "4 um"]}]}}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from solver import api

    out = tmp_path_factory.mktemp("results") / "run"
    return api.run(case(MECH_EC, {"every": 1}, DEBONDED), out)


def test_api_run_returns_the_summary_dict_with_the_run_attached(result):
    import json

    import solver

    assert isinstance(result, dict)  # callers that used the summary dict keep working
    assert result["status"] == "completed" and result["steps"] == 3
    on_disk = json.loads((result.run_dir / "summary.json").read_text())
    assert result["steps"] == on_disk["steps"] and result["case"] == on_disk["case"]
    loaded = solver.load(result.run_dir)
    assert loaded.summary == on_disk
    assert loaded.case["loading"]["stack_pressure"] == 2e6  # SI, from case.resolved.toml
    with pytest.raises(FileNotFoundError, match="no summary.json"):
        solver.load(result.run_dir / "fields")


def test_timeseries_is_a_dataframe_with_the_header_units(result):
    from solver.metrics import read_timeseries

    df = result.timeseries
    rows = read_timeseries(result.run_dir / "timeseries.csv")
    assert len(df) == len(rows) == 3
    assert list(df.columns) == list(rows[0])
    np.testing.assert_array_equal(df["time"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(df["asr_total"], [r["asr_total"] for r in rows])
    units = df.attrs["units"]
    assert units["time"] == "s" and units["asr_total"] == "Ohm cm^2" and units["voltage"] == "V"
    assert units["current"] == "A/m"  # plane strain: per metre of depth
    ax = result.plot("asr_total", "asr_interfacial")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "asr_total [Ohm cm^2]",
        "asr_interfacial [Ohm cm^2]",
    ]
    assert ax.get_xlabel() == "time [s]"
    with pytest.raises(KeyError, match="no column"):
        result.plot("asr_totl")


def test_fields_by_name_and_time(result):
    """The case debonds the interval x < 4 µm of Γ_int: the decohesion read back is 1 on the
    interface points left of it and 0 right of it (P1 averages only at the element that holds
    x = 4 µm), at every output time."""
    f = result.fields
    assert f.regions == ["electrode", "electrolyte", "interface", "ionic"]
    np.testing.assert_array_equal(f.times("interface"), [1.0, 2.0, 3.0])
    for t in (1.0, 2.0, 3.0):
        d = f.get("decohesion", t=t)
        assert d.region == "interface" and d.time == t and d.location == "point"
        x = d.points[:, 0]
        assert np.all(d.values[x < 3e-6] == 1.0) and np.all(d.values[x > 5e-6] == 0.0)
    assert f.get("damage", t=1.7).time == 2.0  # the nearest output
    vm = f.get("von_mises", region="electrolyte")
    assert vm.location == "cell" and vm.values.shape == (len(vm.cells),)
    assert f["phi_electrolyte"].region == "ionic"
    with pytest.raises(KeyError, match="several regions"):
        f.get("u")
    with pytest.raises(KeyError, match="no array 'dmg'"):
        f.get("dmg")


def test_case_with_changes_a_copy_and_validates():
    from solver.config import ConfigError, case_from_dict
    from solver.errors import InputError

    base = case_from_dict(merge(BASE, {}))
    c = base.with_({"loading.stack_pressure": "5 MPa", "materials.electrolyte.E": "100 GPa"})
    assert c.loading["stack_pressure"] == 5e6
    assert c.materials["electrolyte"]["E"] == 1e11
    assert base.loading["stack_pressure"] == 2e6  # unchanged
    assert base.raw["materials"]["electrolyte"] == "LLZO"
    assert c.materials["electrolyte"]["nu"] == base.materials["electrolyte"]["nu"]  # preset kept
    c2 = base.with_({"loading.protocol[0].duration": "60 s"}, geometry={"W": "20 um"})
    assert c2.loading["protocol"][0]["duration"] == 60.0
    assert c2.geometry["W"] == pytest.approx(2e-5)
    with pytest.raises(ConfigError, match="loading.stack_pressure"):
        base.with_({"loading.stack_pressure": "-1 MPa"})
    with pytest.raises(InputError, match="protocol"):
        base.with_({"loading.protocol[3].duration": "1 s"})
    with pytest.raises(InputError, match="stack_pressure"):
        base.with_({"loading.stack_pressure.x": 1})
