"""The container smoke test: where a container runtime runs (a Docker daemon, or Apptainer),
build the image from docker/ and run ``ssbx`` in it as its non-root user: the shipped cases are
in the working directory, the form JIT has a compiler (a run of the default case compiles its
forms), and ``ssbx sweep`` is there. Skipped, with the reason, where no runtime is available
(building takes minutes: it installs DOLFINx)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.sweep_helpers import ROOT

pytestmark = [pytest.mark.serial, pytest.mark.slow]


def _docker_ok() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not _docker_ok(), reason="no container runtime (no running Docker daemon)")
def test_docker_image_runs_ssbx():
    tag = "ssbx-smoke-test"
    b = subprocess.run(
        ["docker", "build", "-f", "docker/Dockerfile", "-t", tag, "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert b.returncode == 0, b.stderr[-3000:]
    script = (
        "set -e; test $(id -u) -ne 0; gcc --version >/dev/null; "
        "ssbx check cases/default.toml >/dev/null; "
        "ssbx run cases/default.toml -o /tmp/r --set output.fields=false; "
        "test -f /tmp/r/summary.json; ssbx sweep --help >/dev/null"
    )
    r = subprocess.run(
        ["docker", "run", "--rm", tag, "bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


@pytest.mark.skipif(shutil.which("apptainer") is None, reason="no container runtime (no apptainer)")
def test_apptainer_image_runs_ssbx(tmp_path):
    sif = tmp_path / "ssbx.sif"
    b = subprocess.run(
        ["apptainer", "build", str(sif), "docker/ssbx.def"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert b.returncode == 0, b.stderr[-3000:]
    r = subprocess.run(
        [
            "apptainer",
            "exec",
            "--pwd",
            str(tmp_path),
            str(sif),
            "ssbx",
            "run",
            "/opt/ssbx/cases/default.toml",
            "-o",
            str(tmp_path / "r"),
            "--set",
            "output.fields=false",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert (tmp_path / "r" / "summary.json").is_file()
