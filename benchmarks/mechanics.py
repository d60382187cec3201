"""Mechanics solver benchmark: the Γ_int-coupled Newton step with the auxiliary-space iterative
solver (solver/precond.py) against a plain single-field elasticity solve on the same mesh.

Case: a flat bilayer, 20 µm wide (and deep in 3D), Li-metal-like electrode (E = 4.9 GPa, Vegard
swelling) under an LLZO-like electrolyte (E = 150 GPa), rollers on the bottom and the sides,
5 MPa stack pressure on the top and a 0.5 % swelling eigenstrain in the electrode; linear
cohesive springs with the case defaults K = 50 E_min/h, contact penalty K_c = 10 E_max/h, no
damage onset within the step. The mesh of level 0 comes from solver.geometry (gmsh, family
"bilayer", uniform size h0); level l is level 0 refined uniformly l times (8x the dofs per level
in 3D, 4x in 2D).

Per size: one load step with ``ssbx_pc = "auxiliary"`` (CG, true residual 1e-8), then, on the
parent mesh, the bonded single-field elasticity problem with the same loads, CG tolerance, GAMG
options and rigid-body near-nullspace (assembly + GAMG set-up + solve). Reported: dofs, time per
Newton iteration (the step's time over its Newton iterations; it includes the assembly and the
one-off Pᵀ A P / GAMG set-up of the first iteration), Newton and Krylov iterations, peak memory
(ru_maxrss, max over ranks; sizes run in ascending order, so it is the peak of that size), the
ratio to the plain solve, and the growth of the Krylov iterations over an 8x dof increase.
Targets (issue "mechanics performance"): growth < 1.5 over 8x dofs; time per Newton iteration
< 3x the plain elasticity solve.

A second table sweeps the interface stiffness K·h/E from 1e-4 (weak/open) to 1e6 at a fixed mesh,
plus a pre-cracked interface (half of Γ_int fully damaged, top pulled), with the per-region term
in its default "auto" mode and switched off.

Usage (only rank 0 prints and writes)::

    python benchmarks/mechanics.py --out bench-results          # full run, ~10 min on 2 cores
    python benchmarks/mechanics.py --quick --out bench-results  # CI size, < 1 min
    mpirun -n 2 python benchmarks/mechanics.py --dims 3 --sizes 1 --no-sweep --out DIR
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a clone without installing
    sys.path.insert(0, str(ROOT))

from mpi4py import MPI  # noqa: E402

W = 20e-6  # width and depth [m]
T_E = T_S = 10e-6  # layer thicknesses [m]
MATS = {
    "electrode": {"E": 4.9e9, "nu": 0.42, "vegard": 0.05},  # Li-metal-like
    "electrolyte": {"E": 1.5e11, "nu": 0.26},  # LLZO-like
}
PRESSURE = 5e6  # Pa
SWELL_C = 0.1  # concentration giving a 0.5 % Vegard eigenstrain
H0 = {2: 0.4e-6, 3: 1.05e-6}  # gmsh size of level 0 [m]
H0_QUICK = {2: 1.0e-6, 3: 4.0e-6}
LEVELS = {2: [0, 1, 2, 3], 3: [0, 1, 2]}
KRYLOV = {
    "ksp_type": "cg",
    "ksp_norm_type": "unpreconditioned",
    "ksp_rtol": 1e-8,
    "ksp_atol": 0.0,
    "ksp_max_it": 1000,
}


def log0(comm, *a) -> None:
    if comm.rank == 0:
        print(*a, flush=True)


def peak_mb(comm) -> float:
    """Peak resident memory of the largest rank so far [MB] (Linux ru_maxrss is in kB)."""
    return comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, op=MPI.MAX) / 1024


def reset_peak() -> None:
    """Reset this process's peak resident set (Linux VmHWM) so that the next :func:`hwm_mb`
    measures one phase (ru_maxrss cannot be reset)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def hwm_mb(comm) -> float:
    """Peak resident memory since :func:`reset_peak`, max over ranks [MB] (ru_maxrss where
    /proc is not available)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                kb = int(line.split()[1])
    except OSError:
        pass
    return comm.allreduce(kb, op=MPI.MAX) / 1024


def tmax(comm, t: float) -> float:
    return comm.allreduce(t, op=MPI.MAX)


# ---------------------------------------------------------------------- meshes
def build_domain(comm, dim: int, h0: float, level: int = 0):
    """The flat bilayer meshed by gmsh at size ``h0``, refined uniformly ``level`` times (the
    refined meshes are re-tagged from the geometry: flat Γ_int at y (2D) / z (3D) = t_e)."""
    from types import SimpleNamespace

    from dolfinx import mesh as dmesh

    from solver import domain as D
    from solver import geometry

    t0 = time.perf_counter()
    geom = {
        "family": "bilayer",
        "dim": dim,
        "axisymmetric": False,
        "W": W,
        "D": W,
        "t_e": T_E,
        "t_s": T_S,
        "h_max": h0,
        "h_interface": h0,
    }
    dom = geometry.build(geom, comm).domain
    for _ in range(level):
        dom.mesh.topology.create_entities(1)
        fine, _, _ = dmesh.refine(dom.mesh)  # no redistribution; the ghost layer is rebuilt
        ct, ft = _bilayer_tags(fine, dim)
        dom = D.from_mesh_data(SimpleNamespace(mesh=fine, cell_tags=ct, facet_tags=ft))
    return dom, tmax(comm, time.perf_counter() - t0)


def _bilayer_tags(msh, dim: int):
    """Cell and facet tags of a flat bilayer mesh, from the coordinates."""
    import numpy as np
    from dolfinx import mesh as dmesh

    from meshes import tags as T

    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    imap = msh.topology.index_map(tdim)
    cells = np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32)
    up, top = dim - 1, T_E + T_S
    mid = dmesh.compute_midpoints(msh, tdim, cells)
    cvals = np.where(mid[:, up] < T_E, T.ELECTRODE, T.ELECTROLYTE).astype(np.int32)
    planes = [
        (T.INTERFACE, up, T_E),
        (T.BOTTOM, up, 0.0),
        (T.TOP, up, top),
        (T.LEFT, 0, 0.0),
        (T.RIGHT, 0, W),
    ]
    if dim == 3:
        planes += [(T.FRONT, 1, 0.0), (T.BACK, 1, W)]
    idx, val = [], []
    for tag, axis, c in planes:
        f = dmesh.locate_entities(
            msh, tdim - 1, lambda x, a=axis, c=c: np.isclose(x[a], c, rtol=0, atol=1e-9 * top)
        )
        idx.append(f)
        val.append(np.full(len(f), tag, dtype=np.int32))
    idx, val = np.concatenate(idx), np.concatenate(val)
    order = np.argsort(idx)
    return (
        dmesh.meshtags(msh, tdim, cells, cvals),
        dmesh.meshtags(msh, tdim - 1, idx[order], val[order]),
    )


# ---------------------------------------------------------------------- the coupled step
def make_law(dom, k_he: float | None = None, kc_he: float | None = None):
    """Linear springs without damage onset in the step. ``k_he``: K·h/E_min (default: the case
    default K = 50 E_min/h); ``kc_he``: K_c·h/E_min (default max(K, 10 E_max/h))."""
    from meshes import tags as T
    from solver.physics.cohesive import CohesiveLaw
    from solver.simulation import interface_h

    h = interface_h(dom, T.INTERFACE)
    E_min = min(m["E"] for m in MATS.values())
    E_max = max(m["E"] for m in MATS.values())
    K = (50.0 if k_he is None else k_he) * E_min / h
    K_c = max(K, 10.0 * E_max / h) if kc_he is None else kc_he * E_min / h
    strong = 1e10  # Pa: damage onset far beyond any traction of the step (checked)
    G = strong**2 / K
    return CohesiveLaw(K_n=K, K_t=K, K_c=K_c, sigma_c=strong, tau_c=strong, G_Ic=G, G_IIc=G)


class AssemblyTimer:
    """Wraps the SNES residual and Jacobian callbacks to time the assembly."""

    def __init__(self, snes):
        self.seconds = 0.0
        f, (ffun, fargs, fkargs) = snes.getFunction()
        J, P, (jfun, jargs, jkargs) = snes.getJacobian()
        snes.setFunction(self._timed(ffun), f, args=fargs, kargs=fkargs)
        snes.setJacobian(self._timed(jfun), J, P, args=jargs, kargs=jkargs)

    def _timed(self, fun):
        def call(*a, **k):
            t0 = time.perf_counter()
            fun(*a, **k)
            self.seconds += time.perf_counter() - t0

        return call


def coupled_step(dom, options=None, k_he=None, kc_he=None, precrack=False, tension=False):
    """One load step of the Γ_int mechanics with the iterative solver: (figures, problem)."""
    from meshes import tags as T
    from solver.config import resolve_material
    from solver.physics.mechanics import Mechanics
    from solver.problem import CoupledProblem

    comm = dom.comm
    mech = Mechanics(
        dom,
        {role: resolve_material(role, t) for role, t in MATS.items()},
        {T.INTERFACE: make_law(dom, k_he, kc_he)},
    )
    if precrack:  # half of Γ_int (x < W/2) fully damaged: an open crack when pulled
        mech.set_initial_damage(lambda x: (x[0] < 0.5 * W).astype(float))
    mech.loads.pressure.value = -PRESSURE if tension else PRESSURE
    mech.loads.c.value = 0.0 if tension else SWELL_C
    prob = CoupledProblem(
        mech.F_blocks,
        [r.u for r in mech.regions],
        mech.bcs,
        mech.entity_maps,
        options={"ssbx_pc": "auxiliary", **(options or {})},
        name="bench",
    )
    creation_mb = hwm_mb(comm)  # forms, block matrix and vectors, P
    timer = AssemblyTimer(prob.snes)
    cumulative, stamps = [], []

    def monitor(snes, it, norm):  # called after the residual of every Newton iterate
        cumulative.append(snes.getLinearSolveIterations())
        stamps.append(time.perf_counter())

    prob.snes.setMonitor(monitor)
    comm.barrier()
    res = prob.solve()
    st = prob.preconditioner.stats
    t_step = tmax(comm, res.seconds)
    out = {
        "dofs": int(
            sum(r.V.dofmap.index_map.size_global * r.V.dofmap.index_map_bs for r in mech.regions)
        ),
        "converged": bool(res.converged),
        "snes_reason": int(res.reason),
        "newton_iterations": int(res.newton_iterations),
        "krylov_iterations": int(res.krylov_iterations),
        "krylov_per_newton": [b - a for a, b in zip(cumulative, cumulative[1:])],
        # Jacobian assembly + linear solve + residual of each Newton iteration (rank 0's clock)
        "newton_iteration_s": [b - a for a, b in zip(stamps, stamps[1:])],
        "time_step_s": t_step,
        "time_per_newton_s": t_step / max(res.newton_iterations, 1),
        "assembly_s": tmax(comm, timer.seconds),
        "prolongation_ptap_s": tmax(comm, st["prolongation_s"] + st["ptap_s"]),
        "gamg_setup_s": tmax(comm, st["gamg_setup_s"]),
        "region_term_setups": int(st["region_setups"]),
        "region_setup_s": tmax(comm, st["region_setup_s"]),
        "weak_interface_fraction": float(st["weak_fraction"]),
        "peak_mem_until_first_solve_mb": creation_mb,
        "max_new_damage": _max_new_damage(mech),
    }
    return out, prob


def _max_new_damage(mech) -> float:
    """Largest damage increase at the interface points in the step (0: the springs stayed
    linear-elastic, as the benchmark intends)."""
    import numpy as np

    d = 0.0
    for im in mech.interfaces:
        new = mech.interface_point_values(im, im.state.damage) - im.d_old.x.array
        d = max(d, float(np.max(new, initial=0.0)))
    return mech.dom.comm.allreduce(d, op=MPI.MAX)


# ---------------------------------------------------------------------- plain elasticity
def plain_elasticity(dom, gamg_options: dict):
    """The bonded single-field problem on the parent mesh (same loads, rollers, CG, GAMG):
    (figures, solution Function)."""
    import numpy as np
    import ufl
    from dolfinx import fem
    from dolfinx.fem import petsc as fpetsc
    from petsc4py import PETSc

    from meshes import tags as T
    from solver.physics.elasticity import Kinematics, stress
    from solver.precond import rigid_body_modes

    comm, msh, gdim = dom.comm, dom.mesh, dom.gdim
    V = fem.functionspace(msh, ("Lagrange", 1, (gdim,)))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    kin = Kinematics(gdim)
    a, L = 0, 0
    for name, tag in (("electrode", T.ELECTRODE), ("electrolyte", T.ELECTROLYTE)):
        m = MATS[name]
        a += ufl.inner(stress(kin.strain(u), m["E"], m["nu"]), kin.strain(v)) * dom.dx(tag)
        eps_star = m.get("vegard", 0.0) * SWELL_C * ufl.Identity(3)
        L += ufl.inner(stress(eps_star, m["E"], m["nu"]), kin.strain(v)) * dom.dx(tag)
    L -= PRESSURE * ufl.dot(ufl.FacetNormal(msh), v) * dom.ds(T.TOP)
    sides = [(T.BOTTOM, gdim - 1), (T.LEFT, 0), (T.RIGHT, 0)]
    if gdim == 3:
        sides += [(T.FRONT, 1), (T.BACK, 1)]
    bcs = []
    for tag, comp in sides:
        dofs = fem.locate_dofs_topological(V.sub(comp), gdim - 1, dom.facet_tags.find(tag))
        bcs.append(fem.dirichletbc(np.float64(0.0), dofs, V.sub(comp)))
    a_f, L_f = fem.form(a), fem.form(L)
    comm.barrier()
    t0 = time.perf_counter()
    A = fpetsc.assemble_matrix(a_f, bcs=bcs)
    A.assemble()
    b = fpetsc.assemble_vector(L_f)
    fpetsc.apply_lifting(b, [a_f], bcs=[bcs])
    b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    fpetsc.set_bc(b, bcs)
    t_asm = time.perf_counter() - t0
    t0 = time.perf_counter()
    A.setNearNullSpace(
        rigid_body_modes(A, V.tabulate_dof_coordinates()[: V.dofmap.index_map.size_local])
    )
    ksp = PETSc.KSP().create(comm)
    ksp.setOperators(A)
    ksp.setOptionsPrefix("bench_plain_")
    db = PETSc.Options()
    opts = {**gamg_options, **KRYLOV}
    for k, val in opts.items():
        db[f"bench_plain_{k}"] = val
    ksp.setFromOptions()
    ksp.setUp()  # multigrid reads its level options here
    for k in opts:
        del db[f"bench_plain_{k}"]
    t_setup = time.perf_counter() - t0
    uh = fem.Function(V)
    t0 = time.perf_counter()
    ksp.solve(b, uh.x.petsc_vec)
    t_solve = time.perf_counter() - t0
    uh.x.scatter_forward()
    out = {
        "dofs": int(V.dofmap.index_map.size_global * gdim),
        "converged": ksp.getConvergedReason() > 0,
        "krylov_iterations": int(ksp.getIterationNumber()),
        "assembly_s": tmax(comm, t_asm),
        "gamg_setup_s": tmax(comm, t_setup),
        "solve_s": tmax(comm, t_solve),
        "time_s": tmax(comm, t_asm + t_setup + t_solve),
    }
    for obj in (A, b, ksp):
        obj.destroy()
    return out, uh


def bonded_difference(prob, uh) -> float:
    """‖u − P u_bonded‖/‖u‖: the coupled solution against the bonded one copied onto both sides
    (the interface compliance, of order E/(K h) — a consistency check of the two solves)."""
    from dolfinx.fem.petsc import assign

    x = prob.problem.x.duplicate()
    assign(prob.u, x)
    y = x.duplicate()
    prob.preconditioner.P.mult(uh.x.petsc_vec, y)
    y.axpy(-1.0, x)
    r = y.norm() / max(x.norm(), 1e-300)
    x.destroy()
    y.destroy()
    return float(r)


# ---------------------------------------------------------------------- the runs
def run_sizes(comm, dim: int, levels, h0: float) -> list[dict]:
    from solver.precond import GAMG_DEFAULTS

    rows = []
    for lev in levels:
        dom, t_mesh = build_domain(comm, dim, h0, lev)
        gc.collect()
        reset_peak()  # the plain solve first: its own peak, then the coupled step's
        p, uh = plain_elasticity(dom, GAMG_DEFAULTS)
        hwm_p = hwm_mb(comm)
        gc.collect()
        reset_peak()
        c, prob = coupled_step(dom)
        mem_c, hwm_c = peak_mb(comm), hwm_mb(comm)
        row = {
            "dim": dim,
            "level": lev,
            "h_m": h0 / 2**lev,
            "ranks": comm.size,
            "mesh_s": t_mesh,
            "coupled": c,
            "plain": p,
            "peak_mem_mb": mem_c,
            "step_peak_mem_mb": hwm_c,
            "plain_peak_mem_mb": hwm_p,
            "ratio_newton_vs_plain": c["time_per_newton_s"] / p["time_s"],
            "ratio_first_newton_vs_plain": c["newton_iteration_s"][0] / p["time_s"],
            "ratio_step_vs_plain": c["time_step_s"] / p["time_s"],
            "bonded_difference": bonded_difference(prob, uh),
        }
        rows.append(row)
        log0(comm, f"  [{dim}D level {lev}] mesh {t_mesh:.1f} s  " + _row_text(row))
        del prob, uh, dom
        gc.collect()
    return rows


def _row_text(r) -> str:
    c, p = r["coupled"], r["plain"]
    its = "/".join(f"{t:.2f}" for t in c["newton_iteration_s"])
    return (
        f"dofs {c['dofs']}  Newton {c['newton_iterations']} ({its} s)  Krylov "
        f"{'/'.join(map(str, c['krylov_per_newton']))}  t/Newton {c['time_per_newton_s']:.2f} s "
        f"(step {c['time_step_s']:.2f}: assembly {c['assembly_s']:.2f}, PtAP "
        f"{c['prolongation_ptap_s']:.2f}, GAMG set-up {c['gamg_setup_s']:.2f})  plain "
        f"{p['time_s']:.2f} s ({p['krylov_iterations']} its)  ratio "
        f"{r['ratio_newton_vs_plain']:.2f}  mem {r['step_peak_mem_mb']:.0f} MB (plain "
        f"{r['plain_peak_mem_mb']:.0f}, ru_maxrss {r['peak_mem_mb']:.0f})"
    )


def growth(rows: list[dict]) -> dict:
    """Krylov iterations of the first Newton iteration: largest size against the largest size
    with ≤ 1/7 of its dofs (else the smallest, if ≤ 1/3), raw and per 8x dofs
    ((ratio)^(ln 8 / ln dof ratio))."""
    out = {}
    for dim in sorted({r["dim"] for r in rows}):
        rs = sorted((r for r in rows if r["dim"] == dim), key=lambda r: r["coupled"]["dofs"])
        big = rs[-1]
        smaller = [r for r in rs if 7 * r["coupled"]["dofs"] <= big["coupled"]["dofs"]]
        if smaller:
            s = smaller[-1]
        elif len(rs) > 1 and 3 * rs[0]["coupled"]["dofs"] <= big["coupled"]["dofs"]:
            s = rs[0]
        else:
            continue
        dof_ratio = big["coupled"]["dofs"] / s["coupled"]["dofs"]
        k_s, k_b = s["coupled"]["krylov_per_newton"][0], big["coupled"]["krylov_per_newton"][0]
        p_s, p_b = s["plain"]["krylov_iterations"], big["plain"]["krylov_iterations"]
        e = math.log(8.0) / math.log(dof_ratio)
        out[f"{dim}d"] = {
            "dofs": [s["coupled"]["dofs"], big["coupled"]["dofs"]],
            "dof_ratio": dof_ratio,
            "krylov": [k_s, k_b],
            "growth": k_b / k_s,
            "growth_per_8x": (k_b / k_s) ** e,
            "plain_krylov": [p_s, p_b],
            "plain_growth_per_8x": (p_b / p_s) ** e,
        }
    return out


def run_sweep(comm, dim: int, h0: float, level: int, khe_values) -> list[dict]:
    """Krylov iterations versus K·h/E (linear springs, tension and compression alike) and for a
    half-open pre-cracked interface; region term "auto" (default) and off."""
    dom, _ = build_domain(comm, dim, h0, level)
    cases = [(f"K·h/E = {k:g}", {"k_he": k, "kc_he": k}) for k in khe_values]
    cases.append(("half open crack", {"precrack": True, "tension": True}))
    rows = []
    for label, kw in cases:
        line = f"  {label:>16s}:"
        for mode in ("auto", False):
            c, prob = coupled_step(dom, options={"ssbx_pc_regions": mode}, **kw)
            rows.append({"dim": dim, "level": level, "case": label, "regions": mode, **kw, **c})
            line += (
                f"   regions={str(mode):5s} Krylov {'/'.join(map(str, c['krylov_per_newton'])):>9s}"
                f" t/Newton {c['time_per_newton_s']:6.2f} s"
                + (f" (weak {100 * c['weak_interface_fraction']:.0f} %)" if mode == "auto" else "")
                + ("" if c["converged"] else " NOT CONVERGED")
            )
            del prob
            gc.collect()
        log0(comm, line)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="write OUT/mechanics.json")
    ap.add_argument("--quick", action="store_true", help="small CI-sized run (< 1 min)")
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3], choices=[2, 3])
    ap.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=None,
        metavar="LEVEL",
        help="refinement levels of the size table (h = h0/2**level); default "
        "0 1 2 3 in 2D, 0 1 2 in 3D (--quick: 0 1)",
    )
    ap.add_argument("--no-sweep", action="store_true", help="skip the K·h/E sweep")
    args = ap.parse_args(argv)
    comm = MPI.COMM_WORLD
    h0 = H0_QUICK if args.quick else H0
    t_start = time.perf_counter()
    rows, sweep = [], []
    for dim in args.dims:
        levels = args.sizes or ([0, 1] if args.quick else LEVELS[dim])
        log0(
            comm,
            f"== {dim}D bilayer, h0 = {h0[dim] * 1e6:g} um, levels {levels}, {comm.size} rank(s)",
        )
        rows += run_sizes(comm, dim, levels, h0[dim])
    g = growth(rows)
    if not args.no_sweep:
        khe = [1e-4, 1.0, 1e6] if args.quick else [1e-4, 1e-2, 1.0, 1e2, 1e4, 1e6]
        for dim in args.dims:
            level = 1 if args.quick or dim == 3 else 2
            log0(comm, f"== K·h/E sweep, {dim}D level {level}")
            sweep += run_sweep(comm, dim, h0[dim], level, khe)
    wall = tmax(comm, time.perf_counter() - t_start)

    log0(
        comm,
        f"\n{'dim':>3s} {'dofs':>9s} {'Newton':>6s} {'Krylov':>9s} {'t/Newton':>9s} {'1st':>7s} "
        f"{'plain':>7s} {'its':>4s} {'ratio':>6s} {'1st':>5s} {'mem MB':>7s} {'plain':>6s} "
        f"{'maxrss':>7s}",
    )
    for r in rows:
        c, p = r["coupled"], r["plain"]
        log0(
            comm,
            f"{r['dim']:>3d} {c['dofs']:>9d} {c['newton_iterations']:>6d} "
            f"{'/'.join(map(str, c['krylov_per_newton'])):>9s} "
            f"{c['time_per_newton_s']:>8.2f}s {c['newton_iteration_s'][0]:>6.2f}s "
            f"{p['time_s']:>6.2f}s {p['krylov_iterations']:>4d} "
            f"{r['ratio_newton_vs_plain']:>6.2f} {r['ratio_first_newton_vs_plain']:>5.2f} "
            f"{r['step_peak_mem_mb']:>7.0f} {r['plain_peak_mem_mb']:>6.0f} "
            f"{r['peak_mem_mb']:>7.0f}",
        )
    for k, v in g.items():
        log0(
            comm,
            f"{k}: Krylov {v['krylov'][0]} -> {v['krylov'][1]} over {v['dof_ratio']:.1f}x "
            f"dofs: {v['growth_per_8x']:.2f} per 8x (plain elasticity "
            f"{v['plain_growth_per_8x']:.2f})",
        )
    targets = {
        # judged on the full-run sizes only: the --quick meshes are pre-asymptotic
        "krylov_growth_per_8x_below_1.5": all(v["growth_per_8x"] < 1.5 for v in g.values())
        if g and not args.quick
        else None,
        "newton_within_3x_plain": all(r["ratio_newton_vs_plain"] < 3.0 for r in rows),
        "first_newton_within_3x_plain": all(r["ratio_first_newton_vs_plain"] < 3.0 for r in rows),
        "all_converged": all(r["coupled"]["converged"] for r in rows)
        and all(r["converged"] for r in sweep),
    }
    log0(comm, f"targets: {targets}\ntotal {wall:.0f} s")
    if args.out is not None and comm.rank == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        doc = {
            "benchmark": "mechanics",
            "ranks": comm.size,
            "quick": args.quick,
            "host": platform.node(),
            "python": platform.python_version(),
            "h0_m": {str(k): v for k, v in h0.items()},
            "sizes": rows,
            "krylov_growth": g,
            "k_sweep": sweep,
            "targets": targets,
            "wall_s": wall,
        }
        (args.out / "mechanics.json").write_text(json.dumps(doc, indent=1))
        print(f"wrote {args.out / 'mechanics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
