"""Coupled solver benchmark: one potentiostatic Newton step of mechanics + electrochemistry + Li
transport + heat with an iterative PETSc fieldsplit preconditioner, against plain DOLFINx Poisson
+ elasticity solves on the same (parent) mesh.

Case: the flat bilayer of benchmarks/mechanics.py (20 µm wide, 10 µm NMC811 film under 10 µm of
LLZO; bonded interface with the case-default cohesive springs, no damage in the step), Butler-Volmer
kinetics without film (interface microcontact "none": no eta unknowns), Li transport in the film,
2 MPa stack pressure. From open circuit, the cell voltage is stepped by +20 mV for 1 s
(potentiostatic: one Newton solve, timed). Fields: u_electrode, u_electrolyte, phi_electrode,
phi_electrolyte, c,
and (heat, default; ``--no-thermal`` drops it) T_electrode, T: the cell starts 10 K above the
ambient, the bottom is held at the ambient and the top convects, so T relaxes within the step.

Linear solver (configured with petsc4py on ``sim.problem.snes.getKSP()``): FGMRES (true residual,
rtol 1e-8) + PCFIELDSPLIT, multiplicative, on the ``kind="mpi"`` matrix, with three splits whose
index sets come from the ownership ranges (each rank owns the dofs of field 0, then field 1, ...):

* ``mech`` (u_electrode + u_electrolyte, block size gdim): by default the auxiliary-space
  two-level preconditioner of solver/precond.py applied to the sub-block (SSOR composed with
  P GAMG(PᵀAP) Pᵀ; robust in the interface stiffness), ``--mech gamg``: GAMG + rigid-body
  near-nullspace on the two-domain block;
* ``phi`` (phi_electrode + phi_electrolyte; GAMG with threshold 0.05), ``c`` and ``T``
  (T_electrode + T, GAMG with threshold 0.05): one GAMG V-cycle each.

Per size: dofs, time per Newton iteration (the step's time over its Newton iterations: assembly,
preconditioner set-up and Krylov solve), Newton and Krylov iterations, peak memory (ru_maxrss,
max over ranks), and the ratio of the time per Newton iteration to plain Poisson (two with the
heat block: potential and temperature) + plain elasticity (CG + GAMG, same Krylov tolerances,
assembly + set-up + solve) on the parent mesh.
On the smallest size the iterative solution is checked against the MUMPS one (≤ 1e-6).

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
    log0,
    peak_mb,
    plain_elasticity,
    tmax,
)

H0 = {2: 0.4e-6, 3: 1.25e-6}  # gmsh size of level 0 [m] (3D level 2: > 1e6 dofs)
H0_QUICK = {2: 1.0e-6, 3: 4.0e-6}
LEVELS = {2: [0, 1, 2, 3], 3: [0, 1, 2]}
DV = 0.02  # potentiostatic step above open circuit [V]
DT = 1.0  # s
PRESSURE = 2e6  # Pa
TOL = 1e-6  # iterative vs MUMPS, relative
OUTER = {
    "ksp_type": "fgmres",
    "ksp_gmres_restart": 200,
    "ksp_rtol": KRYLOV["ksp_rtol"],
    "ksp_atol": KRYLOV["ksp_atol"],
    "ksp_max_it": KRYLOV["ksp_max_it"],
    "pc_type": "fieldsplit",
    "pc_fieldsplit_type": "multiplicative",
}
SCALAR_GAMG = {
    "ksp_type": "preonly",
    "pc_type": "gamg",
    "pc_gamg_coarse_eq_limit": 1000,
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_pc_type": "jacobi",
}
# Potentials: one joint split with GAMG dropping weak graph edges (threshold 0.05); without it
# the aggregates mix across the weak Butler-Volmer coupling and the outer iterations grew
# 28/39/114 over 1e4/4e4/1.7e5 dofs in 2D (with it: 14 from 4e4 to 6.6e5). Separate
# phi_electrode / phi_electrolyte splits (SPLIT_PHI = True) were no better (32 at 4e4 dofs).
PHI_GAMG = {**SCALAR_GAMG, "pc_gamg_threshold": 0.05}
SPLIT_PHI = False
_CTX: dict = {}  # the simulation whose mechanics block the Python PC below preconditions


# Heat block (issue 5): the cell starts 10 K above the ambient; the bottom face is held at the
# ambient and the top convects (h = 1e4 W/m²K), so T relaxes by 10 K within the step (thermal time
# ~1 ms) while the potentials add their Joule and interfacial heat: a non-trivial T block coupled
# to the potentials (Arrhenius κ, F/RT), to the mechanics (thermal strain) and across Γ_int.
THERMAL = True
T_INIT, T_AMB = 308.15, 298.15


def make_case(dim: int, thermal: bool | None = None):
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
                "microcontact": "none",
                "sigma_c": "10 GPa",  # no damage onset within the step
                "tau_c": "10 GPa",
                "G_Ic": "1e5 J/m^2",
                "G_IIc": "1e5 J/m^2",
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
            "output": {"fields": False},
        }
    )


# ---------------------------------------------------------------------- the preconditioner
class MechCoarsePC:
    """Python PC (the coarse member of the mechanics split's composite): the auxiliary-space
    correction P GAMG(Pᵀ A P) Pᵀ of solver/precond.py on the mechanics sub-block, whose rows are
    laid out per rank as the owned dofs of u_electrode then u_electrolyte, as AuxiliarySpace
    expects."""

    def setUp(self, pc):
        from solver.precond import AuxiliarySpace

        sim = _CTX["sim"]
        if _CTX.get("aux") is None:
            mech = sim.mech
            n = len(mech.regions)
            _CTX["aux"] = AuxiliarySpace(
                sim.dom.mesh,
                [f.function_space for f in sim.fields[:n]],
                sim.entity_maps,
                prefix=sim.problem.prefix + "mech_aux_",
                regions=False,
                bcs=mech.bcs,
                block_scales=sim.block_scales[:n],
            )
        _CTX["aux"].update(pc.getOperators()[0])

    def apply(self, pc, x, y):
        _CTX["aux"].apply(x, y)


def configure(
    sim, mech: str = "auxiliary", extra: dict | None = None, phi_split: bool | None = None
) -> dict:
    """Fieldsplit on the SNES's KSP: index sets from the ownership ranges, sub-solver options
    under the problem's prefix (kept in the database: the splits read them at set-up)."""
    import numpy as np
    from petsc4py import PETSc

    from solver.precond import rigid_body_nullspace

    comm = sim.dom.comm
    gdim = sim.dom.gdim
    sizes = [
        f.function_space.dofmap.index_map.size_local * f.function_space.dofmap.index_map_bs
        for f in sim.fields
    ]
    offs = np.concatenate([[0], np.cumsum(sizes)])
    start = comm.exscan(int(offs[-1])) or 0
    names = [f.name for f in sim.fields]
    groups = {
        "mech": [i for i, n in enumerate(names) if n.startswith("u_")],
        "phi": [i for i, n in enumerate(names) if n.startswith("phi")],
        "c": [i for i, n in enumerate(names) if n == "c"],
        "T": [i for i, n in enumerate(names) if n in ("T", "T_electrode")],
    }
    if SPLIT_PHI if phi_split is None else phi_split:  # the two potentials as two splits
        groups = {
            "mech": groups["mech"],
            **{names[i]: [i] for i in groups["phi"]},
            "c": groups["c"],
            "T": groups["T"],
        }
    others = set(range(len(names))) - {i for g in groups.values() for i in g}
    if others:
        raise ValueError(f"unexpected fields {[names[i] for i in others]}")
    ksp = sim.problem.snes.getKSP()
    pc = ksp.getPC()
    db = PETSc.Options()
    pre = sim.problem.prefix
    opts = dict(OUTER)
    for g in groups:
        if g != "mech":
            # T_e and T_o: one joint split, GAMG with the weak-edge threshold as for φ
            for k, v in (SCALAR_GAMG if g == "c" else PHI_GAMG).items():
                opts[f"fieldsplit_{g}_{k}"] = v
    if mech == "auxiliary":
        opts.update(
            {
                "fieldsplit_mech_ksp_type": "preonly",
                "fieldsplit_mech_pc_type": "composite",
                "fieldsplit_mech_pc_composite_type": "symmetric_multiplicative",
                "fieldsplit_mech_pc_composite_pcs": "sor,python",
                "fieldsplit_mech_sub_0_pc_sor_local_symmetric": None,
                "fieldsplit_mech_sub_1_pc_python_type": f"{__name__}.MechCoarsePC",
            }
        )
    else:
        opts.update({f"fieldsplit_mech_{k}": v for k, v in SCALAR_GAMG.items()})
    opts.update(extra or {})
    for k, v in opts.items():
        db[pre + k] = v
    ksp.setFromOptions()
    pc.setFromOptions()
    splits = []
    for name, idx in groups.items():
        if not idx:
            continue
        rows = np.concatenate([np.arange(offs[i], offs[i + 1]) for i in idx]) + start
        iset = PETSc.IS().createGeneral(rows.astype(PETSc.IntType), comm=comm)
        if name == "mech":
            iset.setBlockSize(gdim)
            if mech == "gamg":
                x = np.concatenate(
                    [
                        sim.fields[i].function_space.tabulate_dof_coordinates()[: sizes[i] // gdim]
                        for i in idx
                    ]
                )
                iset.compose("nearnullspace", rigid_body_nullspace(comm, x, gdim))
        splits.append((name, iset))
    pc.setFieldSplitIS(*splits)
    _CTX.update(sim=sim, aux=None)
    return {"options": {k: (None if v is None else str(v)) for k, v in opts.items()}, "pre": pre}


def unconfigure(cfg) -> None:
    from petsc4py import PETSc

    db = PETSc.Options()
    for k in [*cfg["options"], "pc_factor_mat_solver_type"]:  # the latter: a default unused here
        db.delValue(cfg["pre"] + k)


# ---------------------------------------------------------------------- the coupled step
def coupled_step(
    dom, dim: int, iterative: bool = True, mech: str = "auxiliary", extra: dict | None = None
):
    """One potentiostatic step: (figures, simulation)."""
    from solver.simulation import Simulation

    comm = dom.comm
    c = make_case(dim)
    sim = Simulation(c, dom, petsc_options=dict(OUTER) if iterative else None)
    T0 = c.loading["temperature"]
    cfg = configure(sim, mech, extra) if iterative else None
    U0 = float(sim.ec.V_cell.value)
    sim.set_loads(
        {
            "kind": "voltage",
            "voltage": U0 + DV,
            "time": DT,
            "pressure": PRESSURE,
            "temperature": T0,  # (with heat: the ambient stays at T_AMB)
        }
    )
    cumulative, stamps = [], []

    def monitor(snes, it, norm):
        cumulative.append(snes.getLinearSolveIterations())
        stamps.append(time.perf_counter())

    sim.problem.snes.setMonitor(monitor)
    comm.barrier()
    res = sim.solve()
    t = tmax(comm, res.seconds)
    if cfg is not None:
        unconfigure(cfg)
    out = {
        "dofs": int(sim.num_dofs()),
        "fields": {
            f.name: int(
                f.function_space.dofmap.index_map.size_global * f.function_space.dofmap.index_map_bs
            )
            for f in sim.fields
        },
        "converged": bool(res.converged),
        "snes_reason": int(res.reason),
        "newton_iterations": int(res.newton_iterations),
        "krylov_iterations": int(res.krylov_iterations),
        "krylov_per_newton": [b - a for a, b in zip(cumulative, cumulative[1:])],
        "newton_iteration_s": [b - a for a, b in zip(stamps, stamps[1:])],
        "time_step_s": t,
        "time_per_newton_s": t / max(res.newton_iterations, 1),
        "current_A": float(sim.ec.current()),
        "thermal": sim.heat is not None,
    }
    if sim.heat is not None:
        out["T_max_K"] = max(sim.heat.max_values())
    if _CTX.get("aux") is not None:
        st = _CTX["aux"].stats
        out["aux_ptap_s"] = tmax(comm, st["prolongation_s"] + st["ptap_s"])
        out["aux_gamg_setup_s"] = tmax(comm, st["gamg_setup_s"])
    return out, sim


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
def run_sizes(comm, dim: int, levels, h0: float, mech: str, check: bool) -> list[dict]:
    from solver.precond import GAMG_DEFAULTS

    rows = []
    for lev in levels:
        dom, t_mesh = build_domain(comm, dim, h0, lev)
        gc.collect()
        c, sim = coupled_step(dom, dim, True, mech)
        mem = peak_mb(comm)
        row = {"dim": dim, "level": lev, "h_m": h0 / 2**lev, "ranks": comm.size, "coupled": c}
        if check and lev == levels[0]:
            d, ref = coupled_step(dom, dim, iterative=False)
            diff = relative_difference(sim, ref)
            row["mumps"] = d
            row["rel_diff_vs_mumps"] = diff
            row["agrees_with_mumps"] = max(diff.values()) <= TOL
            log0(
                comm,
                f"  [{dim}D level {lev}] iterative vs MUMPS (relative l2 per field): "
                + ", ".join(f"{k} {v:.1e}" for k, v in diff.items())
                + f"  -> {'OK' if row['agrees_with_mumps'] else 'FAIL'} (tol {TOL:g}); MUMPS "
                f"t/Newton {d['time_per_newton_s']:.2f} s",
            )
            del ref
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
                "peak_mem_mb": mem,
                "ratio_newton_vs_plain": c["time_per_newton_s"] / plain,
            }
        )
        rows.append(row)
        log0(
            comm,
            f"  [{dim}D level {lev}] dofs {c['dofs']} Newton {c['newton_iterations']} "
            f"Krylov {'/'.join(map(str, c['krylov_per_newton']))} t/Newton "
            f"{c['time_per_newton_s']:.2f} s; Poisson {p['time_s']:.2f} s ({p['krylov_iterations']}"
            f" its) + elasticity {e['time_s']:.2f} s ({e['krylov_iterations']} its); ratio "
            f"{row['ratio_newton_vs_plain']:.2f}; mem {mem:.0f} MB"
            + ("" if c["converged"] else "  NOT CONVERGED"),
        )
        del sim, dom
        _CTX.clear()
        gc.collect()
    return rows


def growth(rows: list[dict]) -> dict:
    """Largest Krylov count per Newton iteration: largest size against the largest size with
    ≤ 1/7 of its dofs (else the smallest), raw and per 8x dofs."""
    out = {}
    for dim in sorted({r["dim"] for r in rows}):
        rs = sorted((r for r in rows if r["dim"] == dim), key=lambda r: r["coupled"]["dofs"])
        if len(rs) < 2:
            continue
        big = rs[-1]
        smaller = [r for r in rs if 7 * r["coupled"]["dofs"] <= big["coupled"]["dofs"]]
        s = smaller[-1] if smaller else rs[0]
        ratio = big["coupled"]["dofs"] / s["coupled"]["dofs"]
        k_s = max(s["coupled"]["krylov_per_newton"] or [0])
        k_b = max(big["coupled"]["krylov_per_newton"] or [0])
        g = k_b / max(k_s, 1)
        out[f"{dim}d"] = {
            "dofs": [s["coupled"]["dofs"], big["coupled"]["dofs"]],
            "dof_ratio": ratio,
            "krylov": [k_s, k_b],
            "growth": g,
            "growth_per_8x": g ** (math.log(8.0) / math.log(ratio)) if ratio > 1 else None,
        }
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="write OUT/coupled.json")
    ap.add_argument("--quick", action="store_true", help="small CI-sized run")
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3], choices=[2, 3])
    ap.add_argument("--sizes", type=int, nargs="+", default=None, metavar="LEVEL")
    ap.add_argument("--mech", choices=["auxiliary", "gamg"], default="auxiliary")
    ap.add_argument("--no-check", action="store_true", help="skip the MUMPS comparison")
    ap.add_argument(
        "--no-thermal", action="store_true", help="without the heat block (issue 4's benchmark)"
    )
    args = ap.parse_args(argv)
    global THERMAL
    THERMAL = not args.no_thermal
    comm = MPI.COMM_WORLD
    h0 = H0_QUICK if args.quick else H0
    t_start = time.perf_counter()
    rows = []
    for dim in args.dims:
        levels = args.sizes or ([0, 1] if args.quick else LEVELS[dim])
        log0(
            comm,
            f"== {dim}D bilayer, h0 = {h0[dim] * 1e6:g} um, levels {levels}, mechanics split "
            f"{args.mech}, {comm.size} rank(s)",
        )
        rows += run_sizes(comm, dim, levels, h0[dim], args.mech, not args.no_check)
    g = growth(rows)
    wall = tmax(comm, time.perf_counter() - t_start)
    log0(
        comm,
        f"\n{'dim':>3s} {'dofs':>9s} {'Newton':>6s} {'Krylov':>12s} {'t/Newton':>9s} "
        f"{'Poisson':>8s} {'elast.':>7s} {'ratio':>6s} {'maxrss MB':>9s}",
    )
    for r in rows:
        c = r["coupled"]
        log0(
            comm,
            f"{r['dim']:>3d} {c['dofs']:>9d} {c['newton_iterations']:>6d} "
            f"{'/'.join(map(str, c['krylov_per_newton'])):>12s} {c['time_per_newton_s']:>8.2f}s "
            f"{r['poisson']['time_s']:>7.2f}s {r['elasticity']['time_s']:>6.2f}s "
            f"{r['ratio_newton_vs_plain']:>6.2f} {r['peak_mem_mb']:>9.0f}",
        )
    for k, v in g.items():
        log0(
            comm,
            f"{k}: Krylov {v['krylov'][0]} -> {v['krylov'][1]} over {v['dof_ratio']:.1f}x dofs: "
            f"{v['growth_per_8x']:.2f} per 8x",
        )
    checks = [r["agrees_with_mumps"] for r in rows if "agrees_with_mumps" in r]
    targets = {
        "krylov_growth_per_8x_below_1.5": all(v["growth_per_8x"] < 1.5 for v in g.values())
        if g
        else None,
        "max_ratio_newton_vs_plain": max(r["ratio_newton_vs_plain"] for r in rows),
        "agrees_with_mumps": all(checks) if checks else None,
        "all_converged": all(r["coupled"]["converged"] for r in rows),
    }
    log0(comm, f"targets: {targets}\ntotal {wall:.0f} s")
    if args.out is not None and comm.rank == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        doc = {
            "benchmark": "coupled",
            "ranks": comm.size,
            "quick": args.quick,
            "mech_split": args.mech,
            "host": platform.node(),
            "python": platform.python_version(),
            "h0_m": {str(k): v for k, v in h0.items()},
            "krylov": {**OUTER, "splits": "mech | phi | c | T" if THERMAL else "mech | phi | c"},
            "thermal": THERMAL,
            "sizes": rows,
            "krylov_growth": g,
            "targets": targets,
            "wall_s": wall,
        }
        (args.out / "coupled.json").write_text(json.dumps(doc, indent=1, default=str))
        print(f"wrote {args.out / 'coupled.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
