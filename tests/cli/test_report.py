"""``ssbx run --report`` and ``ssbx report``: the HTML page of a small run (mechanics +
potentials, a pre-debonded interval x < 4 µm of the 10 µm interface, 3 current steps).

* every expected figure is there, with its title, and each PNG is drawn (coloured plot pixels:
  lines or colour maps, not only axes and text);
* the page in headless Chromium (``chromium --headless``; ``make viz-deps`` installs it, else
  the test is skipped with that reason): every image decodes (natural size > 0), the captions
  are the expected titles, and the screenshot is not blank;
* a directory that is not a run: one line, exit 2.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.ec_helpers import merge
from tests.output_helpers import MECH_EC

pytestmark = pytest.mark.serial

RAW = merge(
    MECH_EC,
    {
        "interface": {"debonded": [{"shape": "interval", "x": ["0 um", "4 um"]}]},
        "output": {"every": 1},
    },
)
SERIES = ["Cell voltage", "Current", "Area-specific resistance", "Interface fractions",
          "Pressure", "Temperature", "Newton iterations", "Balance errors"]  # fmt: skip
PROFILES = [
    "Profile along Γ_int: normal gap g_n",
    "Profile along Γ_int: normal traction t_n",
    "Profile along Γ_int: damage d",
    "Profile along Γ_int: interface current density j_n",
]
SNAPSHOTS = [
    "von Mises stress, Γ_int coloured by damage (t = 3 s)",
    "Current density |i| (t = 3 s)",
]
TITLES = SERIES + PROFILES + SNAPSHOTS


def _cli(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "solver.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import tomli_w

    tmp = tmp_path_factory.mktemp("report")
    (tmp / "case.toml").write_text(tomli_w.dumps(RAW))
    out = tmp / "run"
    p = _cli("run", tmp / "case.toml", "-o", out, "--report")
    assert p.returncode == 0, p.stderr[-3000:]
    assert f"ssbx: report {out / 'report' / 'index.html'}" in p.stdout
    return out


def _saturated(png) -> int:
    from matplotlib.image import imread

    img = imread(png)[..., :3]
    return int(((img.max(axis=-1) - img.min(axis=-1)) > 0.25).sum())


def _figures(page: str) -> list[tuple[str, str]]:
    return [
        (html.unescape(t), f)
        for t, f in re.findall(r"<img alt='([^']*)' data-file='([^']*)'", page)
    ]


def test_report_has_every_figure_drawn(run_dir):
    page = (run_dir / "report" / "index.html").read_text()
    figs = _figures(page)
    assert [t for t, _ in figs] == TITLES
    for title, name in figs:
        png = run_dir / "report" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", title
        assert _saturated(png) > 300, title  # lines / colour maps drawn, not empty axes
        assert f"<figcaption>{html.escape(title)}</figcaption>" in page
    assert "Status and checks" in page and "completed" in page
    assert "Inputs (resolved, SI units)" in page and "stack_pressure" in page
    assert "src='data:image/png;base64," in page  # self-contained


def test_report_command_writes_elsewhere_and_refuses_a_non_run(run_dir, tmp_path):
    p = _cli("report", run_dir, "-o", tmp_path / "rep", "--times", "1,3", timeout=120)
    assert p.returncode == 0, p.stderr
    figs = _figures((tmp_path / "rep" / "index.html").read_text())
    assert [t for t, _ in figs] == TITLES
    p = _cli("report", tmp_path / "nothing", timeout=60)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        f"ssbx: error: report: {tmp_path / 'nothing'}: no summary.json "
        "(not a completed ssbx run directory)"
    ]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = (
    "<script>window.addEventListener('load', () => document.body.setAttribute('data-imgs', "
    "JSON.stringify([...document.images].map(i => [i.alt, i.naturalWidth, i.naturalHeight]))))"
    "</script></body>"
)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    from matplotlib.image import imread

    page = (run_dir / "report" / "index.html").read_text()
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE))
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    p = subprocess.run(
        [*common, "--virtual-time-budget=3000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    m = re.search(r'data-imgs="([^"]*)"', p.stdout)
    assert m, p.stderr[-2000:]
    imgs = json.loads(html.unescape(m.group(1)))
    assert [a for a, _, _ in imgs] == TITLES
    assert all(w > 300 and h > 150 for _, w, h in imgs), imgs
    shot = tmp_path / "page.png"
    subprocess.run(
        [*common, "--window-size=1100,2400", f"--screenshot={shot}",
         (run_dir / "report" / "index.html").as_uri()],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    img = imread(shot)[..., :3]
    assert img.shape[:2] == (2400, 1100)
    assert img.std() > 0.05 and _saturated(shot) > 1000
    assert len(np.unique((img * 255).astype(int).reshape(-1, 3), axis=0)) > 100
