"""tools/test_costs.py: seconds per test module from a JUnit XML report (the order in which
``make test`` hands modules to its workers, tests/conftest.py)."""

from __future__ import annotations

import importlib.util
import json

from tests.conftest import ROOT

XML = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.cli.test_a" name="test_x" time="1.25"/>
<testcase classname="tests.cli.test_a" name="test_y[p]" time="2.0"/>
<testcase classname="tests.verification.test_b.TestGroup" name="test_z" time="7.5"/>
<testcase classname="tests.unit.test_c" name="test_w" time="0.04"/>
</testsuite></testsuites>
"""


def _tool():
    spec = importlib.util.spec_from_file_location("test_costs", ROOT / "tools" / "test_costs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_costs_per_module_slowest_first(tmp_path):
    report = tmp_path / "r.xml"
    report.write_text(XML)
    costs = _tool().module_costs(str(report))
    assert costs == {
        "tests/verification/test_b.py": 7.5,  # a class's tests count for its module
        "tests/cli/test_a.py": 3.2,  # 1.25 + 2.0, rounded to 0.1 s
        "tests/unit/test_c.py": 0.0,
    }
    assert list(costs) == sorted(costs, key=lambda k: -costs[k])


def test_shipped_costs_name_existing_modules():
    costs = json.loads((ROOT / "tests" / "module_costs.json").read_text())
    assert len(costs) > 50 and all(v >= 0 for v in costs.values())
    missing = [m for m in costs if not (ROOT / m).is_file()]
    assert not missing, f"tests/module_costs.json names removed modules: {missing}"
