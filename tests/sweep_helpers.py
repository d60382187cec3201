"""A tiny base case for the sweep tests and the helpers to run ``ssbx`` as a user does.

The case: a flat NMC811|LLZO bilayer (10 x 15 um, ~250 cells) pressed by the stack pressure in
one hold step, mechanics only, no field output: a run takes a few seconds. Its closed form: the
interface is bonded and flat, so the mean interface pressure equals the applied stack pressure.
The design file (``ssbx design``, tests/unit/test_design.py, tests/cli/test_design_backends.py):
the least stack pressure of the tiny case with mean_pressure >= 3 MPa, searched in [1, 8] MPa;
its answer in closed form is 3 MPa.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TINY = """[case]
name = "tiny"
[geometry]
family = "bilayer"
dim = 2
W = "10 um"
t_e = "5 um"
t_s = "10 um"
h_max = "2.5 um"
[materials]
electrode = "NMC811"
electrolyte = "LLZO"
[loading]
stack_pressure = "2 MPa"
[[loading.protocol]]
kind = "hold"
duration = "1 s"
n_steps = 1
[physics]
mechanics = true
[output]
fields = false
preview = false
"""


def write_tiny(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.toml"
    path.write_text(TINY)
    return path


DESIGN = """[design]
case = "tiny.toml"
[[variable]]
key = "loading.stack_pressure"
bounds = ["1 MPa", "8 MPa"]
[objective]
metric = "mean_pressure"
at = "end"
op = ">="
value = "3 MPa"
"""


def write_design(folder: Path, text: str = DESIGN) -> Path:
    """The tiny case and the design file ``text`` (default :data:`DESIGN`) in ``folder``; the
    design file's path (``folder/d.toml``)."""
    write_tiny(folder)
    path = folder / "d.toml"
    path.write_text(text)
    return path


def ssbx(*args: str, cwd: Path, timeout: float = 300, prefix=(), env=None):
    """``python -m solver.cli ARGS`` in a subprocess (this checkout first on the path)."""
    import os

    e = dict(os.environ if env is None else env)
    e["PYTHONPATH"] = os.pathsep.join(x for x in (str(ROOT), e.get("PYTHONPATH")) if x)
    return subprocess.run(
        [*prefix, sys.executable, "-m", "solver.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=e,
    )
