"""Critical stripping current of a Li-metal case by bisection in log(j) (issue 13, item 4).

The current density above which contact is lost during a stripping step, against stack pressure
and temperature; prints the table and the wall times, writes JSON and a PNG plot.

Definition. A row (P, T) runs the case's protocol (a hold under the stack pressure, then one
galvanostatic stripping segment of ``--duration`` in ``--n-steps`` steps; the platen case has
no hold) at a current density j through the product path (:func:`solver.api.run` with
``--set``-style overrides of one base case written next to the results). j loses contact when
the run ends on its named stop ``contact_lost`` (summary ``stop_reason``: an accepted stripping
step left the contact fraction of Γ_int below ``solver.contact_lost_fraction``,
``--lost-fraction``); it keeps contact when the protocol completes. Every run is named as in
``benchmarks/rough_stripping.py`` (:func:`classify`). Any other outcome (``newton_failure``,
``time_limit``, a voltage cut-off, ``state_out_of_range``, ``implausible_state``: a converged step
with a strain above 100 %, beyond the small-strain model) decides nothing: the row's bisection
stops there and the row is reported with that outcome and the bracket reached so far, never as a
contact loss.

Bisection (:func:`bisect_critical`): j_lo and j_hi (``--j-lo``, ``--j-hi``) are run first;
``below_bracket`` if j_lo already loses contact, ``above_bracket`` if j_hi keeps it; otherwise
j_lo < j_crit ≤ j_hi is halved in log(j) until j_hi/j_lo ≤ 1 + rtol (``--rtol``), and
j_crit = sqrt(j_lo j_hi) (relative error ≤ sqrt(1 + rtol) − 1 < rtol/2, as contact loss is
taken to be monotone in j: a run is never repeated). Runs: 2 + ceil(log2(ln(j_hi/j_lo) /
ln(1 + rtol))), 9 for a 100x bracket at rtol 0.05.

Cases (``--case``):

* ``platen`` (the closed-form check): a flat 2D Li | LLZO bilayer, Γ_int decohered, no
  micro-contacts, the platen held fixed (``pressure_mode = "displacement"``: nothing follows the
  receding Li), linear kinetics. Faraday's law opens the gap g = Ω_Li j t/F uniformly, the
  contact fraction of the accepted step ending at t is 1 − x²(3 − 2x), x = g/g_open
  (docs/theory.md (4.12), tests/verification/test_contact_lost.py), so

      j_crit = F g_open x* / (Ω_Li t_strip),   1 − x*²(3 − 2x*) = contact_lost_fraction,

  (g_open = 70 nm, t_strip = 50 s, threshold 0.05: x* = 0.8647, j_crit = 0.898 mA/cm²),
  independent of stack pressure and temperature (the platen is fixed): it checks the bisection,
  not the pressure trend. ``stack_pressure`` is not overridden in this case (not read).
* ``void``: the same bilayer under the stack pressure (traction), Γ_int decohered with an
  initial cylindrical gap g0 = x²/2R (R = 1 mm, 50 nm at the edge) as in
  tests/verification/test_li_voids.py: a hold, then stripping.
* ``rough``: the base case of ``benchmarks/rough_stripping.py`` (rough Li | LLZO, rms 0.5 µm,
  P2), the issue's case.

``--creep`` switches on Norton creep of the Li (``physics.inelastic``, ``Li`` preset, with
``physics.degree = 2``).

Scaling estimate (what creep could give). Stripping recedes the Li at v_s = j Ω_Li/F (1.35 nm/s
at 1 mA/cm²); a void of size a under the stack pressure P closes by power-law creep at
v_c ≈ a A (c_n P)^n exp(−Q/RT), c_n = O(1) (e.g. 3/(2n) for a spherical void, Budiansky,
Hutchinson & Slutsky 1982). Contact is kept while v_c ≥ v_s, so

    j_crit ≈ (F/Ω_Li) a A (c_n P)^n exp(−Q/RT) ∝ P^n exp(−Q/RT):

with the ``Li`` preset (n = 6.6, Q = 37 kJ/mol) ×2^6.6 ≈ 97 per doubling of P and ×4.8 from 25
to 60 °C. The magnitude is not predicted: (c_n)^n spans 1 to 5e-5 for n = 6.6 (for a = 1 µm,
P = 1 MPa, 25 °C: 10 mA/cm² at c_n = 1). The trend needs creep that acts on a void; a flat
interface under a traction stack pressure has none to act on: the stack follows the receding
Li rigidly (docs/theory.md §5.6) and keeps contact in the limit of small time steps. A step that
strips more than ~g_open where the previous step's current flowed (the mechanics sees the
stripped thickness predicted from that current) opens those points and moves the current to
the others; the contact then flips from step to step and the stop trips at a j_crit ∝ 1/Δt (the
``void`` case: benchmarks/README.md). ``--refine`` repeats every row with half the step and
says whether j_crit moved. With creep (measured, benchmarks/README.md) the ``void`` case keeps
contact at 2 and 5 MPa up to 140 mA/cm² (all the 10 µm Li in 50 s), and at 0.5 MPa its limit
still moves with Δt (25 and 60 °C).

Run it serially (rows one after the other, one rank per run)::

    python benchmarks/critical_current.py --case platen --quick --out bench-results
    python benchmarks/critical_current.py --case rough --creep --out bench-results
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.rough_stripping import base_case as rough_base_case  # noqa: E402
from benchmarks.rough_stripping import run_one  # noqa: E402

F = 96485.33212  # C/mol
GRID = {"pressure": ["0.5 MPa", "2 MPa", "5 MPa"], "temperature": ["25 degC", "60 degC"]}
QUICK = {"pressure": ["2 MPa"], "temperature": ["25 degC"]}

LOST = "contact_lost"
KEPT = "completed"


def bisect_critical(
    run: Callable[[float], str], j_lo: float, j_hi: float, rtol: float, max_runs: int = 40
) -> dict:
    """Bisection in log(j) for the critical current density of a row.

    ``run(j)`` runs the case at j (A/m²) and returns the run's outcome: ``"contact_lost"``
    (contact lost), ``"completed"`` (kept), anything else decides nothing and ends the search.
    ``0 < j_lo < j_hi``; ``rtol > 0``: the bracket is halved until j_hi/j_lo ≤ 1 + rtol.

    Returns a dict: ``status`` — ``"bracketed"`` (j_lo < j_crit ≤ j_hi, ``j_crit`` their
    geometric mean), ``"below_bracket"`` (the first j_lo lost contact: j_crit ≤ j_lo),
    ``"above_bracket"`` (the first j_hi kept it: j_crit > j_hi), ``"max_runs"`` (not converged
    in ``max_runs`` runs), or the outcome of the run that decided nothing (e.g.
    ``"newton_failure"``, with ``failed_at`` its j); ``j_lo``/``j_hi``: the bracket reached
    (A/m²); ``j_crit`` (A/m², None unless bracketed); ``runs``: [(j, outcome)] in order.
    ValueError on a bad bracket or tolerance.
    """
    if not (0 < j_lo < j_hi) or not rtol > 0:
        raise ValueError(f"need 0 < j_lo < j_hi and rtol > 0, got {j_lo}, {j_hi}, {rtol}")
    runs: list[tuple[float, str]] = []
    res = {"j_lo": j_lo, "j_hi": j_hi, "j_crit": None, "runs": runs, "rtol": rtol}

    def one(j: float) -> str:
        outcome = run(j)
        runs.append((j, outcome))
        if outcome not in (LOST, KEPT):
            res.update(status=outcome, failed_at=j)
        return outcome

    out = one(j_lo)
    if out == LOST:
        return {**res, "status": "below_bracket"}
    if out != KEPT:
        return res
    out = one(j_hi)
    if out == KEPT:
        return {**res, "status": "above_bracket"}
    if out != LOST:
        return res
    while res["j_hi"] / res["j_lo"] > 1.0 + rtol:
        if len(runs) >= max_runs:
            return {**res, "status": "max_runs"}
        j = math.sqrt(res["j_lo"] * res["j_hi"])
        out = one(j)
        if out == LOST:
            res["j_hi"] = j
        elif out == KEPT:
            res["j_lo"] = j
        else:
            return res
    return {**res, "status": "bracketed", "j_crit": math.sqrt(res["j_lo"] * res["j_hi"])}


def platen_j_crit(g_open: float, omega: float, t_strip: float, lost_fraction: float) -> float:
    """Closed-form j_crit (A/m²) of the ``platen`` case: F g_open x*/(Ω_Li t_strip) with
    1 − x*²(3 − 2x*) = lost_fraction (docs/theory.md (4.12)); lengths in m, t in s."""
    from scipy.optimize import brentq

    x = brentq(lambda x: 1.0 - x * x * (3.0 - 2.0 * x) - lost_fraction, 0.0, 1.0, xtol=1e-14)
    return F * g_open * x / (omega * t_strip)


def bilayer_case(case: str, creep: bool, duration: str, n_steps: int) -> str:
    """Base case (TOML) of the ``platen`` and ``void`` cases (see the module docstring)."""
    platen = case == "platen"
    gap = "" if platen else 'initial_gap = { shape = "cylinder", radius = "1 mm" }\n'
    mode = 'pressure_mode = "displacement"\n' if platen else ""
    hold = (
        "" if platen else '[[loading.protocol]]\nkind = "hold"\nduration = "1 s"\nn_steps = 2\n\n'
    )
    return f"""[case]
description = "flat Li | LLZO, {case} case (benchmarks/critical_current.py)"

[geometry]
family = "bilayer"
dim = 2
W = "10 um"
t_e = "10 um"
t_s = "10 um"

[materials]
electrode = "Li"
electrolyte = "LLZO"

[interface]
kinetics = "linear"
R_ct = "10 Ohm cm^2"
microcontact = "none"
g_open = "70 nm"
debonded = [{{ shape = "all" }}]
{gap}
[loading]
{mode}temperature = "25 degC"
current_density = "1 mA/cm^2"

{hold}[[loading.protocol]]
kind = "current"
duration = "{duration}"
n_steps = {n_steps}

[physics]
mechanics = true
electrochemistry = true
inelastic = {"true" if creep else "false"}
degree = {2 if creep else 1}

[output]
fields = false
preview = false
"""


def make_case(case: str, creep: bool, duration: str, n_steps: int, lost_fraction: float) -> str:
    if case == "rough":
        text = rough_base_case("LLZO", creep, duration, n_steps)
    else:
        text = bilayer_case(case, creep, duration, n_steps)
    return text + f"\n[solver]\ncontact_lost_fraction = {lost_fraction!r}\n"


def critical_row(case_path, out, case, p, T, args, n_steps: int, bracket=None) -> dict:
    """Bisect one (P, T) row at ``n_steps`` current steps through :func:`run_one`, in
    ``bracket`` (A/m², default ``--j-lo``/``--j-hi``); the row dict of the JSON
    (``strip_per_step_m``: the Li stripped per step at j_crit, Ω_Li j Δt/F)."""
    from mpi4py import MPI

    from solver import materials
    from solver.units import to_si

    rank0 = MPI.COMM_WORLD.rank == 0
    runs_detail: list[dict] = []

    def run(j: float) -> str:
        overrides = {
            "loading.current_density": f"{j!r} A/m^2",
            "loading.temperature": T,
            "loading.protocol[current].n_steps": n_steps,
        }
        if case != "platen":
            overrides["loading.stack_pressure"] = p
        tag = f"{p or 'platen'}_{T}_n{n_steps}_{j:.6g}".replace(" ", "")
        res = run_one(case_path, out / tag, overrides, args.max_time)
        runs_detail.append({"j_A_m2": j, **res})
        if rank0:
            cause = res["cause"]
            print(
                f"    n={n_steps} j = {j / 10:10.5g} mA/cm^2  {res['outcome']:<16} "
                f"{res['wall_s']:6.1f} s  steps={res['steps']}  "
                f"contact={res['final_contact_fraction']}"
                + (f"  [{cause[:120]}]" if cause else ""),
                flush=True,
            )
        return res["outcome"]

    t0 = time.perf_counter()
    j_lo, j_hi = bracket or (args.j_lo * 10.0, args.j_hi * 10.0)
    res = bisect_critical(run, j_lo, j_hi, args.rtol, args.max_runs)
    res.pop("runs")
    dt = to_si(args.duration, "time") / n_steps
    omega = materials.get("Li")["molar_volume"]
    return {
        "stack_pressure": p,
        "temperature": T,
        "n_steps": n_steps,
        **res,
        "strip_per_step_m": omega * res["j_crit"] * dt / F if res["j_crit"] else None,
        "runs": runs_detail,
        "wall_s": time.perf_counter() - t0,
    }


def step_converged(j1: float | None, j2: float | None, rtol: float) -> bool | None:
    """Whether j_crit at n and 2n steps agree within the bisection tolerance of both
    (|ln(j2/j1)| ≤ 2 ln(1 + rtol)); None when either is not bracketed."""
    if not j1 or not j2:
        return None
    return abs(math.log(j2 / j1)) <= 2.0 * math.log1p(rtol)


def plot(rows: list[dict], path: Path, title: str) -> None:
    """j_crit (mA/cm²) against the stack pressure, one line per temperature; rows that are
    not bracketed are drawn as open markers at their bound (▲ above the bracket, ▼ below;
    x at the j of a newton_failure or another undecided outcome, a dotted line down to the
    largest j that kept contact); each temperature is drawn 2 % apart in P so that the markers of
    one stack pressure do not hide each other."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from solver.units import to_si

    fig, ax = plt.subplots(figsize=(5.5, 4))
    temps = sorted({r["temperature"] for r in rows}, key=lambda t: to_si(t, "temperature"))
    for k, T in enumerate(temps):
        color = f"C{k}"
        sel = [r for r in rows if r["temperature"] == T]
        pts = []
        shift = 1.0 + 0.02 * (k - (len(temps) - 1) / 2)
        for r in sel:
            P = to_si(r["stack_pressure"], "pressure") / 1e6 * shift if r["stack_pressure"] else 0
            st = r["status"]
            if st == "bracketed":
                pts.append((P, r["j_crit"] / 10))
                ax.plot([P, P], [r["j_lo"] / 10, r["j_hi"] / 10], "-", color=color, lw=3)
            elif st == "above_bracket":
                ax.plot(P, r["j_hi"] / 10, "^", mfc="none", color=color)
            elif st == "below_bracket":
                ax.plot(P, r["j_lo"] / 10, "v", mfc="none", color=color)
            else:  # undecided at failed_at; contact kept up to j_lo
                j_x = r.get("failed_at") or r["j_lo"]
                ax.plot([P, P], [r["j_lo"] / 10, j_x / 10], ":", color=color, lw=1)
                ax.plot(P, j_x / 10, "x", color=color)
        if pts:
            pts.sort()
            ax.plot(*zip(*pts, strict=True), "o-", color=color, label=T)
        else:
            ax.plot([], [], "o", color=color, label=T)
    ax.set_xlabel("stack pressure (MPa)")
    ax.set_ylabel("critical stripping current (mA/cm²)")
    ax.set_yscale("log")
    ax.set_title(title, fontsize=9)
    ax.legend(title="T", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench-results")
    ap.add_argument("--case", choices=("platen", "void", "rough"), default="platen")
    ap.add_argument("--creep", action="store_true", help="Norton creep of the Li (P2)")
    ap.add_argument("--quick", action="store_true", help="one row: 2 MPa, 25 degC")
    ap.add_argument("--pressures", nargs="+", help="stack pressures, e.g. '2 MPa' '5 MPa'")
    ap.add_argument("--temperatures", nargs="+", help="temperatures, e.g. '25 degC'")
    ap.add_argument("--j-lo", type=float, default=0.5, help="lower bracket (mA/cm^2)")
    ap.add_argument("--j-hi", type=float, default=50.0, help="upper bracket (mA/cm^2)")
    ap.add_argument("--rtol", type=float, default=0.05, help="bracket ratio j_hi/j_lo - 1")
    ap.add_argument("--max-runs", type=int, default=30, help="runs per row at most")
    ap.add_argument("--duration", default="50 s", help="stripping time of every run")
    ap.add_argument("--n-steps", type=int, default=5, help="nominal current steps")
    ap.add_argument("--lost-fraction", type=float, default=0.05, help="contact_lost_fraction")
    ap.add_argument("--max-time", type=float, default=600.0, help="wall-time limit per run (s)")
    ap.add_argument(
        "--refine", action="store_true", help="bisect every row again with 2x the current steps"
    )
    args = ap.parse_args(argv)

    import solver.petsc_env  # noqa: F401  (before dolfinx)

    from mpi4py import MPI

    from solver.units import to_si

    rank0 = MPI.COMM_WORLD.rank == 0
    grid = dict(QUICK if args.quick else GRID)
    if args.case == "platen":
        grid["pressure"] = ["(fixed platen)"]
    if args.pressures:
        grid["pressure"] = args.pressures
    if args.temperatures:
        grid["temperature"] = args.temperatures
    tag = f"critical_current_{args.case}{'_creep' if args.creep else ''}"
    out = Path(args.out) / tag
    out.mkdir(parents=True, exist_ok=True)
    case_path = out / "base.toml"
    text = make_case(args.case, args.creep, args.duration, args.n_steps, args.lost_fraction)
    if rank0:
        case_path.write_text(text)
    MPI.COMM_WORLD.barrier()
    closed = None
    if args.case == "platen":
        closed = platen_j_crit(70e-9, 1.3e-5, to_si(args.duration, "time"), args.lost_fraction)
    if rank0:
        print(
            f"critical stripping current, case {args.case}, creep {'on' if args.creep else 'off'}"
            f", {args.duration} in {args.n_steps} steps, contact lost below "
            f"{args.lost_fraction}; bracket {args.j_lo}-{args.j_hi} mA/cm^2, rtol {args.rtol}; "
            f"{case_path}",
            flush=True,
        )
    t0 = time.perf_counter()
    rows: list[dict] = []
    path = Path(args.out) / f"{tag}.json"

    def write(done: bool) -> None:
        if not rank0:
            return
        result = {
            "case": args.case,
            "creep": args.creep,
            "duration": args.duration,
            "n_steps": args.n_steps,
            "contact_lost_fraction": args.lost_fraction,
            "bracket_mA_cm2": [args.j_lo, args.j_hi],
            "rtol": args.rtol,
            "grid": grid,
            "closed_form_j_crit_A_m2": closed,
            "rows": rows,
            "complete": done,
            "total_wall_s": time.perf_counter() - t0,
            "host": platform.node(),
        }
        path.write_text(json.dumps(result, indent=2))  # after every row: a partial run counts

    for T in grid["temperature"]:
        for p in grid["pressure"]:
            if rank0:
                print(f"  P = {p}, T = {T}", flush=True)
            pp = None if args.case == "platen" else p
            row = critical_row(case_path, out, args.case, pp, T, args, args.n_steps)
            if args.refine:  # the same row with half the time step
                # around the first result (a factor 2.5 each way: a j_crit set by the time step
                # moves by 2), else the whole bracket
                jc = row["j_crit"]
                br = (jc / 2.5, jc * 2.5) if jc else None
                fine = critical_row(case_path, out, args.case, pp, T, args, 2 * args.n_steps, br)
                row["refined"] = fine
                row["step_converged"] = step_converged(row["j_crit"], fine["j_crit"], args.rtol)
            rows.append(row)
            write(False)
    write(True)
    if rank0:
        print(
            f"\n  {'P':>14} {'T':>8} {'steps':>5}  {'status':<16} {'j_crit mA/cm^2':>15} "
            f"{'bracket mA/cm^2':>20} {'nm/step':>8} {'runs':>4} {'wall s':>8}"
        )
        for r in rows:
            for x in [r] + ([r["refined"]] if "refined" in r else []):
                jc = f"{x['j_crit'] / 10:.4g}" if x["j_crit"] else "-"
                br = f"{x['j_lo'] / 10:.4g} - {x['j_hi'] / 10:.4g}"
                if x.get("failed_at"):  # kept up to j_lo, undecided at failed_at
                    br = f"{x['j_lo'] / 10:.4g} | {x['failed_at'] / 10:.4g}"
                ds = f"{x['strip_per_step_m'] * 1e9:.1f}" if x["strip_per_step_m"] else "-"
                print(
                    f"  {str(x['stack_pressure'] or '(platen)'):>14} {x['temperature']:>8} "
                    f"{x['n_steps']:>5}  {x['status']:<16} {jc:>15} {br:>20} {ds:>8} "
                    f"{len(x['runs']):>4} {x['wall_s']:8.1f}"
                )
            if "refined" in r:
                verdict = {True: "converged", False: "DEPENDS ON THE TIME STEP", None: "-"}
                print(f"  {'':>14} time step halved: {verdict[r['step_converged']]}")
        if closed is not None:
            print(f"  closed form (platen): j_crit = {closed / 10:.4g} mA/cm^2")
        png = Path(args.out) / f"{tag}.png"
        title = (
            f"{args.case}, creep {'on' if args.creep else 'off'}, {args.duration} stripping "
            f"in {args.n_steps} steps, contact lost below {args.lost_fraction:g}"
        )
        plot(rows, png, title)
        print(f"total wall time {time.perf_counter() - t0:.0f} s; wrote {path}, {png}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
