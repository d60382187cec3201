"""Coupled solver benchmark: time steps of mechanics + potentials + Li transport + heat through the
product's linear solver (``[solver] linear_solver``, solver/precond.py: FGMRES + the physics
fieldsplit, the auxiliary-space method for the displacements), against plain DOLFINx Poisson +
elasticity solves on the same (parent) mesh.

Case (``make_case``): the flat bilayer of benchmarks/mechanics.py (20 µm wide, 10 µm NMC811 film
under 10 µm of LLZO), the case-default cohesive springs (no damage onset within the steps),
Butler-Volmer kinetics with plastic micro-contacts on decohered contact (the interface
overpotential ``eta_contact`` is an unknown), Li transport in the film, 2 MPa stack pressure, the
heat block (``--no-thermal`` drops it): the cell starts 10 K above the ambient, the bottom is held
at the ambient and the top convects, so T relaxes within the step. ``--patch``: a disk (3D) /
interval (2D) of Γ_int of a quarter of the width in radius decohered before the first step
(``[[interface.debonded]]``, no registry): the weak-interface case.

The simulation is built as ``ssbx run`` builds it (``solver.simulation.Simulation`` with
``solver.api._petsc_options``: nothing of the linear solver is configured here), on the nested
meshes of benchmarks/mechanics.py (level l: level 0 refined l times). From open circuit it takes
``--steps`` (default 2) steps of Δt = 1 s, galvanostatic at 1 mA/cm² (``--mode current``, the
bordered Newton of solver/problem.py) or potentiostatic at +20 mV (``--mode voltage``); the first
step carries every set-up (JIT-compiled forms are cached; the preconditioner's Pᵀ A P and
hierarchies are not).

Per size: dofs, per step the time, Newton and Krylov iterations (per Newton iteration, the
bordered solves included), peak memory above the process baseline before the model was built
(Linux VmHWM, max over ranks) per dof, and the ratio of the time per Newton iteration to plain
Poisson (two with the heat block: potential and temperature) + plain elasticity (CG + GAMG, same
Krylov tolerance, assembly + set-up + solve) on the parent mesh. On the smallest size the
iterative solution is checked against the direct one (``linear_solver = "direct"``).

Usage (only rank 0 prints and writes)::

    python benchmarks/coupled.py --out bench-results            # full run
    python benchmarks/coupled.py --quick --out bench-results    # CI size
    mpirun -n 2 python benchmarks/coupled.py --quick --out DIR
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a clone without installing
    sys.path.insert(0, str(ROOT))

import solver.petsc_env  # noqa: E402, F401  (before dolfinx)

from mpi4py import MPI  # noqa: E402

from benchmarks.mechanics import (  # noqa: E402
    KRYLOV,
    build_domain,
    hwm_mb,
    log0,
    plain_elasticity,
    reset_peak,
    tmax,
)

H0 = {2: 0.4e-6, 3: 1.25e-6}  # gmsh size of level 0 [m] (3D level 2: > 1e6 dofs)
H0_QUICK = {2: 1.0e-6, 3: 4.0e-6}
LEVELS = {2: [0, 1, 2, 3], 3: [0, 1, 2]}
DV = 0.02  # potentiostatic step above open circuit [V]
J_APP = 10.0  # galvanostatic step: 1 mA/cm² [A/m²]
DT = 1.0  # s
PRESSURE = 2e6  # Pa
TOL = 1e-8  # iterative vs direct, relative per field
SCALAR_GAMG = {
    "ksp_type": "preonly",
    "pc_type": "gamg",
    "pc_gamg_coarse_eq_limit": 1000,
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_pc_type": "jacobi",
}

# Heat block (issue 5): the cell starts 10 K above the ambient; the bottom face is held at the
# ambient and the top convects (h = 1e4 W/m²K), so T relaxes by 10 K within the step (thermal time
# ~1 ms) while the potentials add their Joule and interfacial heat: a non-trivial T block coupled
# to the potentials (Arrhenius κ, F/RT), to the mechanics (thermal strain) and across Γ_int.
THERMAL = True
T_INIT, T_AMB = 308.15, 298.15
W_M = 20e-6  # width (and depth) of the bilayer [m]


def make_case(
    dim: int,
    thermal: bool | None = None,
    linear_solver: str = "iterative",
    patch: bool = False,
    microcontact: str = "plastic",
):
    """The benchmark case (a validated :class:`solver.config.Case`)."""
    from solver.config import case_from_dict

    thermal = THERMAL if thermal is None else thermal
    extra = (
        {
            "thermal": {
                "T_ambient": f"{T_AMB} K",
                "top": "convective",
                "bottom": "fixed",
                "h_conv": "1e4 W/(m^2*K)",
            }
        }
        if thermal
        else {}
    )
    half = f"{W_M / 2 * 1e6:g} um"
    debonded = []
    if patch:
        if dim == 3:
            debonded = [{"shape": "disk", "centre": [half, half], "radius": "5 um"}]
        else:
            debonded = [{"shape": "interval", "x": ["5 um", "15 um"]}]
    return case_from_dict(
        {
            **extra,
            "case": {"name": f"coupled-bench-{dim}d"},
            "geometry": {
                "family": "bilayer",
                "dim": dim,
                "W": "20 um",
                "t_e": "10 um",
                "t_s": "10 um",
                "h_max": "2 um",
            },
            "materials": {
                "electrode": {
                    "preset": "NMC811",
                    "c_init": "31000 mol/m^3",
                    "c_ref": "31000 mol/m^3",
                    "ocv": "4.45 V",
                    "ocv_slope": "-1.0 V",
                },
                "electrolyte": "LLZO",
            },
            "interface": {
                "kinetics": "butler_volmer",
                "i0": "1 mA/cm^2",
                "microcontact": microcontact,
                "sigma_c": "10 GPa",  # no damage onset within the step
                "tau_c": "10 GPa",
                "G_Ic": "1e5 J/m^2",
                "G_IIc": "1e5 J/m^2",
                "debonded": debonded,
            },
            "loading": {
                "stack_pressure": "2 MPa",
                "temperature": f"{T_INIT if thermal else T_AMB} K",
                "protocol": [{"kind": "voltage", "voltage": "4.2 V", "duration": "1 s"}],
            },
            "physics": {
                "mechanics": True,
                "electrochemistry": True,
                "transport": True,
                "thermal": thermal,
            },
            "solver": {"linear_solver": linear_solver},
            "output": {"fields": False},
        }
    )


def simulation(dom, case):
    """The model as ``ssbx run`` builds it (its PETSc options from the case)."""
    from solver.api import _petsc_options
    from solver.simulation import Simulation

    return Simulation(case, dom, _petsc_options(case))


def run_steps(sim, case, mode: str = "current", steps: int = 1) -> list[dict]:
    """``steps`` steps of DT from open circuit, galvanostatic (``mode = "current"``, J_APP) or
    potentiostatic (+DV); each accepted. Per step: figures (time, Newton, Krylov per Newton
    iteration, the bordered solves included, the current and cell voltage)."""
    comm = sim.dom.comm
    T0 = case.loading["temperature"]
    U0 = float(sim.ec.V_cell.value)
    cumulative, stamps = [], []
    prob = sim.problem

    def monitor(snes, it, norm):
        cumulative.append(snes.getLinearSolveIterations() + prob.border_krylov)
        stamps.append(time.perf_counter())

    prob.snes.setMonitor(monitor)
    out = []
    for k in range(1, steps + 1):
        st = {"kind": mode, "time": k * DT, "pressure": PRESSURE, "temperature": T0}
        if mode == "voltage":
            st["voltage"] = U0 + DV
        else:
            st["current_density"] = J_APP
        sim.set_loads(st)
        cumulative.clear()
        stamps.clear()
        comm.barrier()
        t0, c0 = time.perf_counter(), time.process_time()
        res = sim.solve()
        t = tmax(comm, time.perf_counter() - t0)
        cpu = tmax(comm, time.process_time() - c0)  # on a shared machine: the process's own
        row = {
            "step": k,
            "converged": bool(res.converged),
            "snes_reason": int(res.reason),
            "time_step_s": t,
            "cpu_step_s": cpu,
            "newton_iterations": int(res.newton_iterations),
            "krylov_iterations": int(res.krylov_iterations),
            "krylov_per_newton": [b - a for a, b in zip(cumulative, cumulative[1:])],
            "newton_iteration_s": [b - a for a, b in zip(stamps, stamps[1:])],
            "time_per_newton_s": t / max(res.newton_iterations, 1),
            "current_A": float(sim.ec.current()),
            "V_cell": float(sim.ec.V_cell.value),
        }
        if sim.heat is not None:
            row["T_max_K"] = max(sim.heat.max_values())
        out.append(row)
        if not res.converged:
            break
        sim.accept()
    prob.snes.cancelMonitor()
    return out


def coupled_run(dom, dim: int, linear_solver: str = "iterative", mode="current", steps=1, **kw):
    """(figures, simulation) of ``steps`` steps with the given linear solver."""
    comm = dom.comm
    gc.collect()
    comm.barrier()
    base = hwm_now(comm)
    reset_peak()
    case = make_case(dim, linear_solver=linear_solver, **kw)
    sim = simulation(dom, case)
    rows = run_steps(sim, case, mode, steps)
    peak = hwm_mb(comm)
    pc = sim.problem.preconditioner
    out = {
        "linear_solver": linear_solver,
        "preconditioner": type(pc).__name__ if pc is not None else "direct",
        "dofs": int(sim.num_dofs()),
        "fields": {
            f.name: int(
                f.function_space.dofmap.index_map.size_global * f.function_space.dofmap.index_map_bs
            )
            for f in sim.fields
        },
        "steps": rows,
        "converged": all(r["converged"] for r in rows),
        "newton_iterations": rows[0]["newton_iterations"],
        "krylov_per_newton": rows[0]["krylov_per_newton"],
        "time_step_s": rows[0]["time_step_s"],
        "time_per_newton_s": rows[0]["time_per_newton_s"],
        "baseline_mb": base,
        "peak_mb": peak,
        "kb_per_dof": 1024 * (peak - base) / max(sim.num_dofs(), 1),
        "thermal": sim.heat is not None,
    }
    if getattr(pc, "reuse", None):  # scalar splits: set-ups kept / built per Jacobian
        out["split_reuse"] = {g: dict(v) for g, v in pc.reuse.items()}
    aux = getattr(pc, "aux", None)
    if aux is not None:
        st = aux.stats
        out["aux_ptap_s"] = tmax(comm, st["prolongation_s"] + st["ptap_s"])
        out["aux_gamg_setup_s"] = tmax(comm, st["gamg_setup_s"])
        out["aux_region_setups"] = int(st["region_setups"])
        out["weak_fraction"] = float(st["weak_fraction"])
    return out, sim


def hwm_now(comm) -> float:
    """Current resident set, max over ranks [MB] (the baseline of a phase)."""
    kb = 0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                kb = int(line.split()[1])
    except OSError:
        pass
    return comm.allreduce(kb, op=MPI.MAX) / 1024


def relative_difference(a, b) -> dict:
    """Per field ‖a − b‖/‖b − b0‖ (global l2 over owned dofs); b0 = the initial temperature for
    the temperature fields (their change in the step is what the solver computes), else 0."""
    import numpy as np

    out = {}
    for fa, fb in zip(a.fields, b.fields):
        n = fa.function_space.dofmap.index_map.size_local * fa.function_space.dofmap.index_map_bs
        b0 = T_INIT if fa.name in ("T", "T_electrode") else 0.0
        d = a.dom.comm.allreduce(float(np.sum((fa.x.array[:n] - fb.x.array[:n]) ** 2)))
        r = a.dom.comm.allreduce(float(np.sum((fb.x.array[:n] - b0) ** 2)))
        out[fa.name] = math.sqrt(d / r) if r > 0 else math.sqrt(d)
    return out


# ---------------------------------------------------------------------- plain Poisson
def plain_poisson(dom) -> dict:
    """-Δu = 1 on the parent mesh, u = 0 on the bottom and top, CG + GAMG (assembly + set-up +
    solve)."""
    import numpy as np
    import ufl
    from dolfinx import fem
    from dolfinx.fem import petsc as fpetsc
    from petsc4py import PETSc

    from meshes import tags as T

    comm, msh = dom.comm, dom.mesh
    V = fem.functionspace(msh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    a = fem.form(ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx)
    L = fem.form(fem.Constant(msh, 1e12) * v * ufl.dx)
    facets = np.concatenate([dom.facet_tags.find(T.BOTTOM), dom.facet_tags.find(T.TOP)])
    dofs = fem.locate_dofs_topological(V, dom.tdim - 1, facets)
    bcs = [fem.dirichletbc(np.float64(0.0), dofs, V)]
    comm.barrier()
    t0 = time.perf_counter()
    A = fpetsc.assemble_matrix(a, bcs=bcs)
    A.assemble()
    b = fpetsc.assemble_vector(L)
    fpetsc.apply_lifting(b, [a], bcs=[bcs])
    b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    fpetsc.set_bc(b, bcs)
    t_asm = time.perf_counter() - t0
    t0 = time.perf_counter()
    ksp = PETSc.KSP().create(comm)
    ksp.setOperators(A)
    ksp.setOptionsPrefix("bench_poisson_")
    db = PETSc.Options()
    opts = {**SCALAR_GAMG, **KRYLOV}
    for k, val in opts.items():
        db[f"bench_poisson_{k}"] = val
    ksp.setFromOptions()
    ksp.setUp()
    for k in opts:
        del db[f"bench_poisson_{k}"]
    t_setup = time.perf_counter() - t0
    uh = fem.Function(V)
    t0 = time.perf_counter()
    ksp.solve(b, uh.x.petsc_vec)
    t_solve = time.perf_counter() - t0
    out = {
        "dofs": int(V.dofmap.index_map.size_global),
        "converged": ksp.getConvergedReason() > 0,
        "krylov_iterations": int(ksp.getIterationNumber()),
        "time_s": tmax(comm, t_asm + t_setup + t_solve),
        "solve_s": tmax(comm, t_solve),
    }
    for obj in (A, b, ksp):
        obj.destroy()
    return out


# ---------------------------------------------------------------------- the runs
def run_sizes(comm, dim: int, levels, h0: float, args) -> list[dict]:
    from solver.precond import GAMG_DEFAULTS

    kw = {"mode": args.mode, "steps": args.steps, "patch": args.patch}
    rows = []
    for lev in levels:
        dom, t_mesh = build_domain(comm, dim, h0, lev)
        c, sim = coupled_run(dom, dim, "iterative", **kw)
        row = {"dim": dim, "level": lev, "h_m": h0 / 2**lev, "ranks": comm.size, "coupled": c}
        if args.check and (lev == levels[0] or args.check_all):
            d, ref = coupled_run(dom, dim, "direct", **kw)
            diff = relative_difference(sim, ref)
            row["direct"] = d
            row["rel_diff_vs_direct"] = diff
            row["agrees_with_direct"] = max(diff.values()) <= TOL
            log0(
                comm,
                f"  [{dim}D level {lev}] iterative vs direct after {len(d['steps'])} step(s) "
                "(relative l2 per field): "
                + ", ".join(f"{k} {v:.1e}" for k, v in diff.items())
                + f"  -> {'OK' if row['agrees_with_direct'] else 'FAIL'} (tol {TOL:g}); direct "
                f"step 1 {d['time_step_s']:.2f} s ({d['newton_iterations']} Newton), "
                f"{d['kb_per_dof']:.2f} kB/dof",
            )
            ref.close()
            del ref
            gc.collect()
        sim.close()
        del sim
        gc.collect()
        p = plain_poisson(dom)
        e, uh = plain_elasticity(dom, GAMG_DEFAULTS)
        del uh
        # the plain reference: one Poisson solve per scalar physics (potential; heat) + elasticity
        n_scalar = 2 if c.get("thermal") else 1
        plain = n_scalar * p["time_s"] + e["time_s"]
        row.update(
            {
                "mesh_s": t_mesh,
                "poisson": p,
                "elasticity": e,
                "plain_s": plain,
                "ratio_newton_vs_plain": c["time_per_newton_s"] / plain,
                "ratio_later_newton_vs_plain": (
                    c["steps"][-1]["time_per_newton_s"] / plain if len(c["steps"]) > 1 else None
                ),
            }
        )
        rows.append(row)
        st = c["steps"]
        log0(
            comm,
            f"  [{dim}D level {lev}] dofs {c['dofs']}: "
            + "; ".join(
                f"step {r['step']} {r['time_step_s']:.2f} s (cpu {r['cpu_step_s']:.2f} s) "
                f"Newton {r['newton_iterations']} "
                f"Krylov {'/'.join(map(str, r['krylov_per_newton']))}"
                + ("" if r["converged"] else " NOT CONVERGED")
                for r in st
            )
            + f"; Poisson {p['time_s']:.2f} s ({p['krylov_iterations']} its) + elasticity "
            f"{e['time_s']:.2f} s ({e['krylov_iterations']} its); ratio (step 1) "
            f"{row['ratio_newton_vs_plain']:.2f}; mem {c['peak_mb'] - c['baseline_mb']:.0f} MB "
            f"above baseline, {c['kb_per_dof']:.2f} kB/dof",
        )
        del dom
        gc.collect()
    return rows


def _per_8x(rs, key) -> dict | None:
    """Largest size against the largest size with ≤ 1/7 of its dofs (else the smallest):
    iteration growth raw and per 8x dofs, for the iteration count ``key(row)``."""
    if len(rs) < 2:
        return None
    big = rs[-1]
    smaller = [r for r in rs if 7 * r["coupled"]["dofs"] <= big["coupled"]["dofs"]]
    s = smaller[-1] if smaller else rs[0]
    ratio = big["coupled"]["dofs"] / s["coupled"]["dofs"]
    k_s, k_b = key(s), key(big)
    g = k_b / max(k_s, 1)
    return {
        "dofs": [s["coupled"]["dofs"], big["coupled"]["dofs"]],
        "dof_ratio": ratio,
        "krylov": [k_s, k_b],
        "growth": g,
        "growth_per_8x": g ** (math.log(8.0) / math.log(ratio)) if ratio > 1 else None,
    }


def growth(rows: list[dict]) -> dict:
    """Krylov growth per 8x dofs of the coupled step (largest count per Newton iteration of
    step 1, and of its first Newton iteration) and of plain GAMG elasticity on the same
    meshes."""
    out = {}
    for dim in sorted({r["dim"] for r in rows}):
        rs = sorted((r for r in rows if r["dim"] == dim), key=lambda r: r["coupled"]["dofs"])
        g = _per_8x(rs, lambda r: max(r["coupled"]["krylov_per_newton"] or [0]))
        if g is None:
            continue
        g["first_newton"] = _per_8x(rs, lambda r: (r["coupled"]["krylov_per_newton"] or [0])[0])
        g["plain_elasticity"] = _per_8x(rs, lambda r: r["elasticity"]["krylov_iterations"])
        out[f"{dim}d"] = g
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="write OUT/coupled.json")
    ap.add_argument("--quick", action="store_true", help="small CI-sized run")
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3], choices=[2, 3])
    ap.add_argument("--sizes", type=int, nargs="+", default=None, metavar="LEVEL")
    ap.add_argument("--h0", type=float, default=None, help="gmsh size of level 0 [m]")
    ap.add_argument("--mode", choices=["current", "voltage"], default="current")
    ap.add_argument("--steps", type=int, default=2, help="steps of 1 s from open circuit")
    ap.add_argument("--patch", action="store_true", help="a debonded patch on Γ_int")
    ap.add_argument("--no-check", dest="check", action="store_false", help="no direct solve")
    ap.add_argument(
        "--check-all", action="store_true", help="the direct solve at every size (crossover)"
    )
    ap.add_argument("--no-thermal", action="store_true", help="without the heat block")
    ap.add_argument("--tag", default="", help="suffix of the JSON file name")
    args = ap.parse_args(argv)
    global THERMAL
    THERMAL = not args.no_thermal
    comm = MPI.COMM_WORLD
    h0 = dict(H0_QUICK if args.quick else H0)
    if args.h0 is not None:
        h0 = {d: args.h0 for d in h0}
    t_start = time.perf_counter()
    rows = []
    for dim in args.dims:
        levels = args.sizes or ([0, 1] if args.quick else LEVELS[dim])
        log0(
            comm,
            f"== {dim}D bilayer, h0 = {h0[dim] * 1e6:g} um, levels {levels}, {args.mode} steps, "
            f"{'debonded patch' if args.patch else 'bonded'}, {comm.size} rank(s)",
        )
        rows += run_sizes(comm, dim, levels, h0[dim], args)
    g = growth(rows)
    wall = tmax(comm, time.perf_counter() - t_start)
    log0(
        comm,
        f"\n{'dim':>3s} {'dofs':>9s} {'step s':>7s} {'Newton':>6s} {'Krylov':>14s} "
        f"{'t/Newton':>9s} {'Poisson':>8s} {'elast.':>7s} {'ratio':>6s} {'kB/dof':>7s}",
    )
    for r in rows:
        c = r["coupled"]
        log0(
            comm,
            f"{r['dim']:>3d} {c['dofs']:>9d} {c['time_step_s']:>6.2f}s "
            f"{c['newton_iterations']:>6d} "
            f"{'/'.join(map(str, c['krylov_per_newton'])):>14s} {c['time_per_newton_s']:>8.2f}s "
            f"{r['poisson']['time_s']:>7.2f}s {r['elasticity']['time_s']:>6.2f}s "
            f"{r['ratio_newton_vs_plain']:>6.2f} {c['kb_per_dof']:>7.2f}",
        )
    for k, v in g.items():
        pe = v["plain_elasticity"]
        log0(
            comm,
            f"{k}: Krylov (largest per Newton) {v['krylov'][0]} -> {v['krylov'][1]} over "
            f"{v['dof_ratio']:.1f}x dofs: {v['growth_per_8x']:.2f} per 8x; plain elasticity "
            f"{pe['krylov'][0]} -> {pe['krylov'][1]}: {pe['growth_per_8x']:.2f} per 8x",
        )
    checks = [r["agrees_with_direct"] for r in rows if "agrees_with_direct" in r]
    targets = {
        "krylov_growth_per_8x_minus_plain": {
            k: v["growth_per_8x"] - v["plain_elasticity"]["growth_per_8x"] for k, v in g.items()
        },
        "max_ratio_newton_vs_plain": max(r["ratio_newton_vs_plain"] for r in rows),
        "max_kb_per_dof": max(r["coupled"]["kb_per_dof"] for r in rows),
        "agrees_with_direct": all(checks) if checks else None,
        "all_converged": all(r["coupled"]["converged"] for r in rows),
    }
    log0(comm, f"targets: {targets}\ntotal {wall:.0f} s")
    if args.out is not None and comm.rank == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        doc = {
            "benchmark": "coupled",
            "ranks": comm.size,
            "quick": args.quick,
            "mode": args.mode,
            "patch": args.patch,
            "host": platform.node(),
            "python": platform.python_version(),
            "h0_m": {str(k): v for k, v in h0.items()},
            "plain_krylov": KRYLOV,
            "thermal": THERMAL,
            "sizes": rows,
            "krylov_growth": g,
            "targets": targets,
            "wall_s": wall,
        }
        name = f"coupled{args.tag}.json"
        (args.out / name).write_text(json.dumps(doc, indent=1, default=str))
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
