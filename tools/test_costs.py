"""Per-module test costs from a JUnit XML report, for the order in which ``make test`` hands
modules to its pytest-xdist workers (tests/conftest.py, ``pytest_collection_modifyitems``).

    python -m pytest tests -m "not mpi" -n 2 --dist loadscope --junitxml=serial.xml
    python tools/test_costs.py serial.xml > tests/module_costs.json

Writes ``{"tests/.../test_x.py": seconds}`` (setup + call + teardown of every test case of the
module, rounded to 0.1 s), slowest first, to stdout.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def module_costs(junit_xml: str) -> dict[str, float]:
    """Seconds per test module (its path relative to the repository root) from ``junit_xml``."""
    costs: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit_xml).getroot().iter("testcase"):
        # classname "tests.cli.test_x" or "tests.cli.test_x.TestClass"
        parts = case.get("classname", "").split(".")
        while parts and not parts[-1].startswith("test_"):
            parts.pop()
        if parts:
            costs["/".join(parts) + ".py"] += float(case.get("time", 0.0))
    return dict(sorted(((k, round(v, 1)) for k, v in costs.items()), key=lambda kv: -kv[1]))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/test_costs.py REPORT.xml > tests/module_costs.json")
    print(json.dumps(module_costs(sys.argv[1]), indent=1))
