"""``ssbx check`` end to end: a subprocess, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "cases").glob("*.toml"))


def ssbx_cmd() -> list[str]:
    """The console script of this interpreter's venv (as a user runs it), else ``-m``."""
    exe = Path(sys.executable).with_name("ssbx")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "solver.cli"]


def ssbx(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*ssbx_cmd(), *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_check_default_case_prints_the_resolved_case():
    r = ssbx("check", "cases/default.toml")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    out = r.stdout
    assert "case 'default'" in out
    for section in (
        "[geometry]",
        "[materials.electrode]",
        "[materials.electrolyte]",
        "[interface]",
        "[loading]",
        "[physics]",
        "[solver]",
        "[output]",
    ):
        assert section in out
    assert "NMC811" in out and "LLZO" in out
    assert "2e+06 Pa" in out  # stack pressure in SI
    assert "Traceback" not in out


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_check_every_example_case(path):
    r = ssbx("check", str(path))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_check_materials_lists_presets():
    r = ssbx("check", "--materials")
    assert r.returncode == 0, r.stderr
    for name in ("Li", "LLZO", "Li6PS5Cl", "LPSCl", "LiPON", "NMC811", "LiCoO2", "polymer_pad"):
        assert name in r.stdout
    assert "References:" in r.stdout


def test_check_without_a_case_is_one_error_line():
    r = ssbx("check")
    assert r.returncode == 2
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("ssbx: error:")


def test_module_entry_point_and_relative_paths(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.toml").write_text('[geometry]\nt_e = "5 um"\n')
    r = subprocess.run(
        [sys.executable, "-m", "solver.cli", "check", "sub/c.toml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "case 'c'" in r.stdout and "5e-06 m" in r.stdout


def test_check_does_not_import_dolfinx():
    code = (
        "import sys\n"
        "from solver import cli\n"
        "assert cli.main(['check', 'cases/default.toml']) == 0\n"
        "assert 'dolfinx' not in sys.modules, 'check imported dolfinx'\n"
        "assert 'petsc4py' not in sys.modules, 'check imported petsc4py'\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert r.returncode == 0, r.stderr
