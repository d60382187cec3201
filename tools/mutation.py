"""Mutation testing of the physics with cosmic-ray's operators: `solver/physics/*.py`,
`solver/metrics.py` and `solver/reduced/*.py` (module names below are relative to `solver/`).

Outside the default CI run: `make mutation` (installs the `mutation` extra on demand).

Sampling (reproducible): every mutant cosmic-ray's core operators can make in a module is
enumerated (restricted to the operators in ``OPERATOR_PATTERN``: arithmetic swaps among
+ - * / **, comparisons, unary operators, boolean constants and connectives, ``not``
insertion, number replacement, loops that iterate zero times, break/continue, exception
replacement, decorator removal; bitwise/shift/floordiv/mod targets and ``is`` comparisons are
left out, they only make crash mutants). ``--n`` mutants in total (default 200) are shared
among the modules in proportion to their number of source lines (at least one each), and
drawn per module with ``random.Random(seed)`` (``--seed``, default 2026).

Each mutant is applied to a private copy of the repository (one per worker, ``--jobs``),
and the test files mapped to its module in ``TARGETS`` are run with
``pytest -x -q -p no:cacheprovider`` under a per-mutant timeout. Exit status 0 = survived,
a test failure or an import/collection error = killed, the timeout = timeout (counted as
detected). Mutants listed in ``tools/mutation_equivalents.toml`` (module, line, operator,
reason; optionally ``mutated``, a text of the mutated line, where the same operator makes other
mutants on that line) are reported but left out of the score.

The JSON report (``--out``, default ``mutation-results/report.json``) holds, per module, the
counts and the survivors' diffs; a summary with the score is printed.

Long runs: the mutants are run round-robin over the modules (a run stopped early has sampled
every module alike), and every outcome is appended to a journal beside the report
(``report.jsonl``) as soon as it is known. Started again with the same ``--n``, ``--seed`` and
modules, the run skips the mutants already in the journal (``--fresh`` starts over;
``--rerun-survivors`` runs the survivors again once tests were added, the new outcome wins);
``--report-only`` writes the report from the journal without running anything (a partial run
says how many of the sampled mutants it holds).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import difflib
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLVER = "solver"
R = "tests/unit/test_reduced_"
V = "tests/verification/"

# module -> test files that exercise it (keep these fast: they run once per mutant)
TARGETS: dict[str, list[str]] = {
    "physics/cohesive.py": [
        V + "test_interface_law.py",
        V + "test_interface_traction.py",
        V + "test_viscous_damage.py",
        V + "test_friction.py",
        "tests/unit/test_viscous_dissipation.py",
        "tests/unit/test_cohesive_energy.py",
        V + "test_contact_physics.py",
    ],
    "physics/mechanics.py": [
        V + "test_hertz.py",
        V + "test_boundary_loads.py",
        V + "test_interface_traction.py",
        V + "test_film_eigenstrain.py",
        V + "test_stack_stiffness.py",
        V + "test_interface_law.py",
        V + "test_viscous_damage.py",
        V + "test_precond.py",
        V + "test_initial_state.py",
        V + "test_interface_points.py",
    ],
    "physics/elasticity.py": [V + "test_hertz.py", V + "test_boundary_loads.py"],
    "physics/inelastic.py": [
        V + "test_creep.py",
        V + "test_pad_relaxation.py",
        V + "test_li_voids.py",
    ],
    "physics/interphase.py": [V + "test_interphase_ageing.py", V + "test_li_voids.py"],
    # test_contact_physics.py takes ~90 s (the slowest file in tests/verification)
    "physics/contact.py": [
        V + "test_balances.py",
        V + "test_thermal_contact.py",
        V + "test_li_stripping.py",
        V + "test_contact_physics.py",
    ],
    "physics/electrochemistry.py": [
        V + "test_electrochem.py",
        V + "test_protocols.py",
        V + "test_balances.py",
        V + "test_li_stripping.py",
    ],
    "physics/heat.py": [
        V + "test_heat.py",
        V + "test_thermal_contact.py",
        V + "test_balances.py",
        V + "test_runaway.py",
        V + "test_interface_points.py",
    ],
    "physics/transport.py": [
        V + "test_electrochem.py",
        V + "test_chemomechanics.py",
        V + "test_balances.py",
    ],
    "metrics.py": [
        "tests/unit/test_timeseries_units.py",
        V + "test_heat.py",
        V + "test_viscous_damage.py",
        V + "test_boundary_loads.py",
        V + "test_balances.py",
        V + "test_electrochem.py",
        V + "test_interface_law.py",
        V + "test_contact_physics.py",
    ],
    # the reduced models: all their closed-form test files (numpy only, ~7 s together)
    **{
        f"reduced/{m}.py": [
            R + f"{t}.py"
            for t in ("edges", "ageing", "api", "constriction", "contact", "properties", "runaway")
        ]
        for m in (
            "_common",
            "arrhenius",
            "cohesive",
            "constriction",
            "hertz",
            "interphase",
            "jkr",
            "microcontact",
            "runaway",
            "sls",
            "thinfilm",
        )
    },
}
# the score the issue sets a target for (>= 90 % of non-equivalent mutants killed)
GROUPS = ("physics/", "metrics.py", "reduced/")

OPERATOR_PATTERN = re.compile(
    r"core/("
    r"ReplaceBinaryOperator_(Add|Sub|Mul|Div|Pow)_(Add|Sub|Mul|Div|Pow)"
    r"|ReplaceComparisonOperator_(Eq|NotEq|Lt|LtE|Gt|GtE)_(Eq|NotEq|Lt|LtE|Gt|GtE)"
    r"|ReplaceUnaryOperator_.*|AddNot|ReplaceTrueWithFalse|ReplaceFalseWithTrue"
    r"|ReplaceAndWithOr|ReplaceOrWithAnd|ReplaceBreakWithContinue|ReplaceContinueWithBreak"
    r"|ExceptionReplacer|NumberReplacer|RemoveDecorator|ZeroIterationForLoop)$"
)


def enumerate_mutants(path: Path) -> list[dict]:
    from cosmic_ray.ast import ast_nodes, get_ast_from_path
    from cosmic_ray.plugins import get_operator, operator_names

    tree = get_ast_from_path(path)
    nodes = list(ast_nodes(tree))
    out = []
    for name in sorted(operator_names()):
        if not OPERATOR_PATTERN.match(name):
            continue
        op = get_operator(name)()
        occ = 0
        for node in nodes:
            for start, _end in op.mutation_positions(node):
                out.append({"operator": name, "occurrence": occ, "line": start[0]})
                occ += 1
    return out


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """n shared in proportion to sizes (largest remainder), at least one per module."""
    total = sum(sizes.values())
    raw = {m: n * s / total for m, s in sizes.items()}
    alloc = {m: max(1, int(r)) for m, r in raw.items()}
    rest = sorted(sizes, key=lambda m: raw[m] - int(raw[m]), reverse=True)
    i = 0
    while sum(alloc.values()) < n:
        alloc[rest[i % len(rest)]] += 1
        i += 1
    return alloc


def load_equivalents() -> dict[tuple[str, int, str], list[str | None]]:
    """(module, line, operator) -> the ``mutated`` texts of its entries (None: any mutant with
    that key). ``mutated``, optional: a text the mutated line must contain, for a line where the
    same operator also makes mutants that are not equivalent (two ``==`` on one line)."""
    p = ROOT / "tools" / "mutation_equivalents.toml"
    if not p.exists():
        return {}
    data = tomllib.loads(p.read_text())
    out: dict[tuple[str, int, str], list[str | None]] = {}
    for e in data.get("equivalent", []):
        key = (e["module"], int(e["line"]), e["operator"])
        out.setdefault(key, []).append(e.get("mutated"))
    return out


def is_equivalent(mod: str, r: dict, equivalents: dict) -> bool:
    texts = equivalents.get((mod, r["line"], r["operator"]))
    if not texts:
        return False
    added = [ln[1:] for ln in r.get("diff", "").splitlines() if ln.startswith("+")]
    added = [ln for ln in added if not ln.startswith("++")]
    return any(t is None or any(t in ln for ln in added) for t in texts)


def make_copy(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for f in files:
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)


def _env(work: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(work), "OMP_NUM_THREADS": "1"}


def _check_imports_copy(work: Path) -> None:
    """The tests must import the mutated copy, not the editable install's checkout."""
    got = subprocess.run(
        [sys.executable, "-c", "import solver.physics, sys; print(solver.physics.__file__)"],
        cwd=work,
        env=_env(work),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(got).resolve().is_relative_to(work.resolve()):
        raise SystemExit(f"mutation: {work} imports solver from {got}, not from the copy")


def _key(module: str, m: dict) -> tuple:
    return (module, m["line"], m["operator"], m["occurrence"])


def _ordered(work: Path, files: list[str], newest_first: bool) -> list[str]:
    """The test files of a mutant; with ``newest_first`` (a rerun after tests were added) the
    most recently modified files first, so that ``pytest -x`` reaches a new killing test early
    (the same tests run for a survivor, only their order changes)."""
    if not newest_first:
        return list(files)
    return sorted(files, key=lambda f: -(work / f).stat().st_mtime)


def run_mutant(work: Path, module: str, m: dict, timeout: float, newest_first=False) -> dict:
    from cosmic_ray.mutating import apply_mutation
    from cosmic_ray.plugins import get_operator

    path = work / SOLVER / module
    original = path.read_text()
    try:
        _, mutated = apply_mutation(path, get_operator(m["operator"])(), m["occurrence"])
        if mutated is None:
            return {**m, "outcome": "not-applied"}
        diff = "".join(
            difflib.unified_diff(
                original.splitlines(True),
                mutated.splitlines(True),
                f"a/{SOLVER}/{module}",
                f"b/{SOLVER}/{module}",
                n=1,
            )
        )
        env = _env(work)
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not mpi",
            *_ordered(work, TARGETS[module], newest_first),
        ]
        t0 = time.monotonic()
        try:
            rc = subprocess.run(
                cmd, cwd=work, env=env, capture_output=True, timeout=timeout, start_new_session=True
            ).returncode
            outcome = {0: "survived", 1: "killed", 2: "killed"}.get(rc, f"error(rc={rc})")
        except subprocess.TimeoutExpired:
            outcome = "timeout"
        return {**m, "outcome": outcome, "seconds": round(time.monotonic() - t0, 1), "diff": diff}
    finally:
        path.write_text(original)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="mutants in total (default 200)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--jobs", type=int, default=2, help="mutants run in parallel")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per mutant")
    ap.add_argument(
        "--modules",
        nargs="*",
        help="only these modules (e.g. physics/heat.py metrics.py reduced/sls.py)",
    )
    ap.add_argument("--out", default="mutation-results/report.json")
    ap.add_argument("--fresh", action="store_true", help="ignore the journal of an earlier run")
    ap.add_argument(
        "--report-only", action="store_true", help="write the report from the journal only"
    )
    ap.add_argument(
        "--rerun-survivors",
        action="store_true",
        help="run the journal's survivors and timeouts again (after tests were added; the most "
        "recently modified test files first); the new outcome wins",
    )
    args = ap.parse_args(argv)

    modules = sorted(args.modules or TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        raise SystemExit(f"mutation: unknown module(s) {unknown}; known: {sorted(TARGETS)}")
    sizes = {m: len((ROOT / SOLVER / m).read_text().splitlines()) for m in modules}
    alloc = allocate(sizes, args.n)
    rng = random.Random(args.seed)
    equivalents = load_equivalents()
    per_module = []
    population = {}
    for mod in modules:
        all_m = enumerate_mutants(ROOT / SOLVER / mod)
        population[mod] = len(all_m)
        chosen = sorted(
            rng.sample(all_m, min(alloc[mod], len(all_m))), key=lambda x: (x["line"], x["operator"])
        )
        per_module.append([(mod, m) for m in chosen])
    # round-robin over the modules: a run stopped early has sampled every module alike
    sampled = [j for rnd in itertools.zip_longest(*per_module) for j in rnd if j is not None]
    out = ROOT / args.out
    journal = out.with_suffix(".jsonl")
    done: dict[tuple, dict] = {}
    if journal.exists() and not args.fresh:
        for line in journal.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                done[_key(r["module"], r)] = r
    elif journal.exists():
        journal.unlink()
    jobs = [
        (mod, m)
        for mod, m in sampled
        if _key(mod, m) not in done
        or (args.rerun_survivors and done[_key(mod, m)]["outcome"] in ("survived", "timeout"))
    ]
    if args.report_only:
        jobs = []
    known = sum(_key(mod, m) in done for mod, m in sampled)
    print(
        f"mutation: {len(sampled)} mutants over {len(modules)} modules, seed {args.seed}, "
        f"{args.jobs} jobs; {known} known from {journal.name}, {len(jobs)} to run",
        flush=True,
    )

    tmp = Path(tempfile.mkdtemp(prefix="ssbx-mut-"))
    pool_dirs: list[Path] = []
    journal.parent.mkdir(parents=True, exist_ok=True)
    for i in range(args.jobs if jobs else 0):
        d = tmp / f"w{i}"
        make_copy(d)
        _check_imports_copy(d)
        pool_dirs.append(d)
    free = list(pool_dirs)
    lock = threading.Lock()

    def task(mod: str, m: dict) -> tuple[str, dict]:
        with lock:
            work = free.pop()
        try:
            r = run_mutant(work, mod, m, args.timeout, args.rerun_survivors)
        finally:
            with lock:
                free.append(work)
        r["equivalent"] = is_equivalent(mod, r, equivalents)
        with lock, journal.open("a") as fh:
            fh.write(json.dumps({"module": mod, **r}) + "\n")
        print(
            f"  {mod}:{r['line']} {r['operator']} -> {r['outcome']} ({r.get('seconds', 0)} s)",
            flush=True,
        )
        return mod, r

    results: dict[str, list[dict]] = {m: [] for m in modules}
    rerun = {_key(mod, m) for mod, m in jobs}
    for mod, m in sampled:
        r = done.get(_key(mod, m))
        if r is not None and _key(mod, m) not in rerun:
            r = {k: v for k, v in r.items() if k != "module"}
            r["equivalent"] = is_equivalent(mod, r, equivalents)
            results[mod].append(r)
    t0 = time.monotonic()
    try:
        with cf.ThreadPoolExecutor(args.jobs) as ex:
            for mod, r in (f.result() for f in [ex.submit(task, *j) for j in jobs]):
                results[mod].append(r)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    report = {
        "date": dt.date.today().isoformat(),
        "seed": args.seed,
        "n": args.n,
        "sampled": len(sampled),
        "run": sum(len(v) for v in results.values()),
        "wall_seconds": round(time.monotonic() - t0),
        "modules": {},
    }
    tot_k = tot_n = 0
    print("\nmodule                   mutants killed survived timeout equiv  score")
    groups = {g: [0, 0] for g in GROUPS}
    for mod in modules:
        rs = results[mod]
        scored = [r for r in rs if not r["equivalent"] and r["outcome"] != "not-applied"]
        k = sum(r["outcome"] == "killed" for r in scored)
        t = sum(r["outcome"] == "timeout" for r in scored)
        s = [r for r in scored if r["outcome"] == "survived"]
        err = [r for r in scored if r["outcome"].startswith("error")]
        n = len(scored) - len(err)
        tot_k += k + t
        tot_n += n
        for g in GROUPS:
            if mod.startswith(g):
                groups[g][0] += k + t
                groups[g][1] += n
        report["modules"][mod] = {
            "population": population[mod],
            "mutants": len(rs),
            "killed": k,
            "survived": len(s),
            "timeouts": t,
            "errors": len(err),
            "equivalent": sum(r["equivalent"] for r in rs),
            "score": round((k + t) / n, 3) if n else None,
            "survivors": [
                {k2: r[k2] for k2 in ("line", "operator", "occurrence", "diff")} for r in s
            ],
            "results": [{k2: v for k2, v in r.items() if k2 != "diff"} for r in rs],
        }
        sc = f"{(k + t) / n:.0%}" if n else "-"
        print(
            f"{mod:24s} {len(rs):7d} {k:6d} {len(s):8d} {t:7d} "
            f"{report['modules'][mod]['equivalent']:5d}  {sc}"
        )
    report["score"] = round(tot_k / tot_n, 3) if tot_n else None
    report["groups"] = {
        g: {"detected": k, "scored": n, "score": round(k / n, 3) if n else None}
        for g, (k, n) in groups.items()
    }
    for g, (k, n) in groups.items():
        if n:
            print(f"solver/{g}: {k}/{n} detected = {k / n:.1%}")
    print(f"total: {tot_k}/{tot_n} detected = {report['score']}")
    if report["run"] < len(sampled):
        print(f"partial: {report['run']} of the {len(sampled)} sampled mutants have run")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
