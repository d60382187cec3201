"""The coupled nonlinear problem: block residual + Jacobian of the enabled physics, solved by
PETSc SNES (Newton) under one unique options prefix; user options merge over the defaults."""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass

import solver.petsc_env  # noqa: F401  (before dolfinx)

from dolfinx.fem.petsc import NonlinearProblem
from petsc4py import PETSc

from solver.assembly import OrderedAssembler, ordered_assembly_needed

log = logging.getLogger(__name__)

# Robust defaults for small/medium problems: Newton with a full step ("basic": the backtracking
# line search stalls at the softening peak of cohesive laws), direct solve with MUMPS.
DEFAULT_OPTIONS: dict[str, object] = {
    "snes_type": "newtonls",
    "snes_linesearch_type": "basic",
    "snes_rtol": 1e-9,
    "snes_atol": 1e-10,
    "snes_stol": 0.0,
    "snes_max_it": 25,
    "snes_divergence_tolerance": 1e12,
    "ksp_type": "preonly",
    "pc_type": "lu",
    "pc_factor_mat_solver_type": "mumps",
}

_COUNTER = itertools.count()
# the per-field update test of CoupledProblem._install_convergence_test at the residual's round-off
# floor: stalled after this many iterations without a tenfold gain on the lowest residual, once
# the residual has fallen by STALL_DROP; the updates are then accepted within ROUNDOFF_FACTOR
# times their tolerances
STALL_ITERATIONS = 3
STALL_DROP = 1e-6
ROUNDOFF_FACTOR = 100.0


def _zero_form(V):
    """A compiled zero linear form on ``V`` (a block of the constraint's gradient that the
    functional does not depend on)."""
    import ufl
    from dolfinx import fem

    v = ufl.TestFunction(V)
    return fem.form(fem.Constant(V.mesh, 0.0) * v * ufl.dx)


def _install_pre_residual(snes, hook) -> None:
    """Call ``hook()`` after the unknowns are set to the iterate and before every residual
    assembly (the quadrature-point return mapping of solver.physics.inelastic: the Jacobian,
    assembled after the residual at the same iterate, then sees the same internal state).
    ``hook`` must not hold the CoupledProblem (see the note in CoupledProblem.__init__)."""
    import dolfinx
    from dolfinx.fem.petsc import assemble_residual, assign

    b, (_func, _args, kargs) = snes.getFunction()

    def residual(snes_, x, b_, **kw):
        dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
        assign(x, kw["u"])
        hook()
        assemble_residual(snes_, x, b_, **kw)

    snes.setFunction(residual, b, kargs=kargs)


def _install_ordered_jacobian(snes, assembler, A) -> None:
    """Assemble the Jacobian of ``snes`` (a ``kind="mpi"`` NonlinearProblem's) into ``A`` with
    the :class:`solver.assembly.OrderedAssembler` ``assembler`` instead of DOLFINx's PETSc
    assembly (same operator, same Dirichlet rows; ``assembler`` must not hold the
    CoupledProblem)."""
    import dolfinx
    from dolfinx.fem.petsc import assign

    _J, _P, (_func, _args, kargs) = snes.getJacobian()
    if kargs.get("preconditioner") is not None:
        raise ValueError("ordered assembly: a separate preconditioner form is not supported")

    def jacobian(snes_, x, J_, P_, **kw):
        dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
        assign(x, kw["u"])
        assembler.assemble(J_, kw["bcs"], diag=1.0)

    snes.setJacobian(jacobian, A, None, kargs=kargs)


# Below this many unknowns (all fields, all ranks) the direct solver under MPI factorises the
# whole matrix on every rank (PCREDUNDANT + sequential MUMPS), so that runs are bitwise
# reproducible; above it the distributed MUMPS (less memory and time per rank).
REPRODUCIBLE_MAX_DOFS = 100_000


def reproducible_direct(opts: dict, user: dict, u_blocks) -> dict:
    """The direct-solver options ``opts`` made bitwise reproducible under MPI.

    The distributed MUMPS solve phase sums the contributions of the other ranks in the order the
    messages arrive, so the same factorisation solved twice on 2 ranks differs in the last bits
    now and then (measured on the default case's Jacobian: 1 solve in 10 to 150); a Newton
    iteration that sits on a tolerance or a cut-back test then takes another path and the run
    gives other numbers (1 in 4-5 repeats of the default case). On more than one rank and with
    fewer than :data:`REPRODUCIBLE_MAX_DOFS` unknowns the matrix is instead factorised whole on
    every rank by sequential MUMPS (``pc_type = "redundant"``; the case's ``mat_mumps_*``
    options move to that inner factorisation): identical on every rank and in every run.
    Unchanged on one rank, above the threshold, or when ``user`` (the case's
    ``solver.petsc_options``) chooses ``ksp_type``, ``pc_type`` or the factorisation package."""
    if opts.get("pc_type") != "lu" or opts.get("pc_factor_mat_solver_type") != "mumps":
        return opts
    if any(k in user for k in ("ksp_type", "pc_type", "pc_factor_mat_solver_type")):
        return opts
    V0 = u_blocks[0].function_space
    if V0.mesh.comm.size == 1:
        return opts
    n = sum(
        u.function_space.dofmap.index_map.size_global * u.function_space.dofmap.index_map_bs
        for u in u_blocks
    )
    if n >= REPRODUCIBLE_MAX_DOFS:
        return opts
    out = {k: v for k, v in opts.items() if k != "pc_factor_mat_solver_type"}
    out.update(
        {
            "pc_type": "redundant",
            "redundant_ksp_type": "preonly",
            "redundant_pc_type": "lu",
            "redundant_pc_factor_mat_solver_type": "mumps",
            "redundant_mat_mumps_icntl_14": 200,  # the workspace margin of _mumps_workspace
        }
    )
    # the case's MUMPS controls (mat_mumps_icntl_*, mat_mumps_cntl_*) act on the inner factor
    out.update({f"redundant_{k}": v for k, v in opts.items() if k.startswith("mat_mumps_")})
    return out


@dataclass
class SolveResult:
    converged: bool
    reason: int
    newton_iterations: int
    krylov_iterations: int
    seconds: float


class CoupledProblem:
    """Newton solve of ``F_blocks(u_blocks) = 0`` with ``bcs``."""

    def __init__(
        self,
        F_blocks,
        u_blocks,
        bcs,
        entity_maps,
        options: dict | None = None,
        name: str = "ssbx",
        field_tolerances: list[float] | None = None,
        block_scales: list | None = None,
        max_update: dict[int, float] | None = None,
        pre_residual=None,
    ):
        # --- linear solver selection (solver/precond.py): options["ssbx_pc"] = "mumps" (default,
        # DEFAULT_OPTIONS unchanged) | "auxiliary" (CG + auxiliary-space two-level PC) ---
        from solver import precond

        # ssbx_linear_solver ([solver] linear_solver): "direct" | "iterative" | "auto" (by size);
        # iterative on a coupled problem: the fieldsplit of precond.CoupledFieldSplit
        opts, pc_spec = precond.split_options(options, DEFAULT_OPTIONS, u_blocks)
        # --- end of the linear solver selection
        if pc_spec is None:
            opts = reproducible_direct(opts, options or {}, u_blocks)
        self.options = opts
        self.prefix = f"{name}_{next(_COUNTER)}_"  # unique per problem: no options leak
        self.u = list(u_blocks)
        self.problem = NonlinearProblem(
            F_blocks,
            self.u,
            bcs=bcs,
            entity_maps=entity_maps,
            petsc_options_prefix=self.prefix,
            petsc_options=opts,
            kind="mpi",
        )
        self.snes: PETSc.SNES = self.problem.solver
        # the Jacobian through solver/assembly.py: on 3 ranks or more with its off-process
        # contributions summed in a fixed order (identical runs give identical results); with
        # the iterative solver also without DOLFINx's phantom interface couplings, whose
        # structure made the multigrid Galerkin products dense (same operator, fewer entries)
        self._ordered = None
        comm = u_blocks[0].function_space.mesh.comm
        if pc_spec is not None or ordered_assembly_needed(comm):
            self._ordered = OrderedAssembler(
                self.problem.J, comm, drop_phantoms=pc_spec is not None
            )
            if pc_spec is not None:
                A_old = self.problem._A
                self.problem._A = self._ordered.create_matrix(A_old)
                A_old.destroy()
            _install_ordered_jacobian(self.snes, self._ordered, self.problem.A)
        self._mumps_workspace()
        # --- auxiliary-space preconditioner (None with the direct solver); see solver/precond.py
        self.preconditioner = precond.attach(
            self.problem, pc_spec, entity_maps, F_blocks, bcs, block_scales
        )
        # --- end of the preconditioner hook
        # No callback registered on the SNES may hold ``self``: PETSc keeps the callbacks alive,
        # so such a cycle (SNES -> callback -> self -> NonlinearProblem -> SNES) is never freed,
        # and every run would leak its meshes and MPI communicators (MPICH runs out at 2048).
        import numpy as np

        sizes = [
            u.function_space.dofmap.index_map.size_local * u.function_space.dofmap.index_map_bs
            for u in self.u
        ]
        self._offsets = np.concatenate([[0], np.cumsum(sizes)])
        self._comm = self.u[0].function_space.mesh.comm
        self._entity_maps = entity_maps
        self._caps: dict[int, float] = {}
        self.capped_iterations = 0  # Newton updates scaled down to the caps in the last solve
        self.target = None  # galvanostatic target of set_constraint (None: off)
        # > 0: a Newton iterate whose residual norm has fallen below 1e-5 of its largest in the
        # solve and no longer falls (by less than half since the last iterate: its round-off
        # floor) is converged when its updates are within this many times the field (and
        # constraint) tolerances; 0: off (solver.pathfollow sets it for its solves)
        self.roundoff_floor = 0.0
        self.border_krylov, self.border_failed = 0, False
        self._V = None
        if field_tolerances is not None:
            self._install_convergence_test(field_tolerances)
        if max_update:
            self._install_step_cap(max_update)

        import weakref

        ref = weakref.ref(self)  # the SNES keeps its callbacks alive: they must not hold self

        def precheck(x, y):
            me = ref()
            if me is None:
                return
            dV = 0.0
            if me.target is not None and me._V is not None:
                dV = me._border(me.snes, x, y)
            ratio = me._cap_ratio(y) if me._caps else 0.0
            if ratio > 1.0:
                me.capped_iterations += 1  # (issue 13: named in a failure's cause)
                y.scale(1.0 / ratio)
                dV /= ratio
            if dV:
                me._V.value = float(me._V.value) + dV
            me._dV_last = dV

        self.snes.setLineSearchPreCheck(precheck)
        if pre_residual is not None:
            _install_pre_residual(self.snes, pre_residual)
        if block_scales is not None:
            self.equilibrate(block_scales)

    def close(self) -> None:
        """Destroy the PETSc objects of this problem (SNES, KSP, PC, matrices, vectors and the
        preconditioner's) now, on every rank together. Their destruction is collective (MUMPS
        ends its instance on all ranks): left to the garbage collector, which runs at different
        moments on different ranks, it can deadlock a parallel run. Idempotent."""
        if getattr(self, "preconditioner", None) is not None:
            self.preconditioner.close()
            self.preconditioner = None
        if getattr(self, "_ordered", None) is not None:
            self._ordered.destroy()
            self._ordered = None
        p = getattr(self, "problem", None)
        if p is not None:
            for name in ("_snes", "_A", "_b", "_x", "_P_mat"):
                obj = getattr(p, name, None)
                if obj is not None:
                    obj.destroy()
                    setattr(p, name, None)
        self.snes = None

    def equilibrate(self, scales: list) -> None:
        """Row-scale the residual blocks so that every diagonal block of the Jacobian has unit
        largest diagonal entry at the current state.

        ``scales`` are the ``fem.Constant`` factors the residual blocks were multiplied by. The
        coupled fields have Jacobian blocks of wildly different magnitudes in SI units
        (elasticity ~1e14, Li transport ~1e-13): left scaling does not change the solution but
        keeps the direct solver's pivoting and the residual norm meaningful.
        """
        import numpy as np
        from dolfinx.fem.petsc import assemble_matrix
        from mpi4py import MPI

        for c in scales:
            c.value = 1.0
        if self._ordered is not None:  # (round-off of the scales fixed, as the Jacobian's)
            A = self.problem.A
            self._ordered.assemble(A)
        else:
            A = assemble_matrix(self.problem.J, kind="mpi")
            A.assemble()
        diag = A.getDiagonal().getArray(readonly=True)
        sizes = [
            u.function_space.dofmap.index_map.size_local * u.function_space.dofmap.index_map_bs
            for u in self.u
        ]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        comm = self.u[0].function_space.mesh.comm
        maxima = [
            comm.allreduce(
                float(np.max(np.abs(diag[offsets[i] : offsets[i + 1]]), initial=0.0)), op=MPI.MAX
            )
            for i in range(len(scales))
        ]
        # the displacement blocks of all regions share one scale, so that the mechanics part of
        # the Jacobian stays symmetric (CG-preconditioned solvers rely on it)
        disp = [i for i, u in enumerate(self.u) if u.name.startswith("u_")]
        if disp:
            m_u = max(maxima[i] for i in disp)
            for i in disp:
                maxima[i] = m_u
        for c, m in zip(scales, maxima):
            c.value = 1.0 / m if m > 0 else 1.0
        if A is not self.problem.A:
            A.destroy()
        self.block_scales = [float(c.value) for c in scales]

    def _mumps_workspace(self) -> None:
        """With MUMPS, allow 200 % more factorisation workspace than estimated (ICNTL(14)):
        damaged interfaces and switching contact change the pivoting from one Newton iteration
        to the next, and the default 20-35 % margin then fails ("not enough memory") on some
        rank counts."""
        pc = self.snes.getKSP().getPC()
        if pc.getType() != "lu" or pc.getFactorSolverType() != "mumps":
            return
        pc.setFactorSetUpSolverType()
        F = pc.getFactorMatrix()
        F.setMumpsIcntl(14, 200)

    def _renew_factorisation(self) -> None:
        """After a failed solve, drop the MUMPS factor so that the next solve factorises anew.

        A failed numerical factorisation (a non-finite or singular Jacobian at a diverged iterate)
        leaves MUMPS' INFOG(1) < 0 in the factor, and PETSc's MatFactorNumeric_MUMPS then skips
        every later numerical factorisation of it ("called after analysis phase fails"): the
        next solve's MatSolve stops with INFOG(1) = -3 (a PETSc error, SNES reason -100), and
        every retry of the step (a step cut) failed the same way whatever its size (issue 13,
        rough Li | LLZO with creep). The PC is reset and the factor (with its workspace margin)
        set up again on the Jacobian's matrices."""
        if self.snes is None:
            return
        pc = self.snes.getKSP().getPC()
        if pc.getType() != "lu" or pc.getFactorSolverType() != "mumps":
            return
        A, P = self.snes.getKSP().getOperators()
        pc.reset()
        self.snes.getKSP().setOperators(A, P)
        self._mumps_workspace()

    def _install_convergence_test(self, tols: list[float]) -> None:
        """Converged when every field's Newton update is below its own absolute tolerance (in
        the field's units: m, V, mol/m³, ...), after at least one Newton step.

        The fields of a coupled problem have residuals in different units (N, A, mol/s), so one
        absolute residual tolerance cannot fit them all; the per-field update test is
        scale-aware and, with Newton's quadratic convergence, certifies an error below it.
        """
        import numpy as np
        from mpi4py import MPI

        sizes = [
            u.function_space.dofmap.index_map.size_local * u.function_space.dofmap.index_map_bs
            for u in self.u
        ]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        import weakref

        max_it = int(self.options.get("snes_max_it", 25))
        comm = self.u[0].function_space.mesh.comm
        state = {"f0": None, "f_prev": None, "f_max": 0.0}
        # the round-off allowance acts on the displacements only, whose floor the stiff contact
        # penalty sets; the potentials keep theirs (the collector current is their gradient
        # across a metal, a drop of ~1e-11 V: docs/theory.md §9.3)
        roundoff = [ROUNDOFF_FACTOR if u.name.startswith("u_") else 1.0 for u in self.u]
        ref = weakref.ref(self)  # the SNES keeps its callbacks alive: they must not hold self

        def test(snes, it, norms):
            xnorm, ynorm, fnorm = norms
            if not np.isfinite(fnorm):
                return PETSc.SNES.ConvergedReason.DIVERGED_FNORM_NAN
            if it == 0:
                # no absolute residual test: residual units differ per field (N, A, mol/s) and a
                # small-valued block (e.g. transport, mol/s) would pass it before any iteration
                state["f0"] = state["f_prev"] = state["f_max"] = fnorm
                state["f"] = [fnorm]
                return PETSc.SNES.ConvergedReason.CONVERGED_FNORM_ABS if fnorm == 0.0 else 0
            hist = state["f"]
            hist.append(fnorm)
            # the residual at its round-off floor: fallen by STALL_DROP at least, and none of the
            # last STALL_ITERATIONS residuals below a tenth of the best one before them (a
            # quadratic Newton phase gains orders per iteration); the updates then are round-off
            # too, accepted within ROUNDOFF_FACTOR times the tolerances (issue 13:
            # a stiff contact penalty beside creep-softened Li left displacement updates of
            # 0.3-2e-18 m against 1e-12 h ~ 2e-19 m for 20 iterations after the residual had
            # fallen by 9-12 orders)
            k = STALL_ITERATIONS
            stalled = (
                len(hist) > k + 1
                and hist[-1] <= STALL_DROP * hist[0]
                and min(hist[-k:]) >= 0.1 * min(hist[:-k])
            )
            dx = snes.getSolutionUpdate().getArray(readonly=True)
            dx_max = [
                np.max(np.abs(dx[offsets[i] : offsets[i + 1]]), initial=0.0)
                for i in range(len(tols))
            ]
            ok = all(
                dx_max[i] <= (roundoff[i] if stalled else 1.0) * tols[i] for i in range(len(tols))
            )
            me = ref()
            if me is not None and me.target is not None and me.border_failed:
                return PETSc.SNES.ConvergedReason.DIVERGED_LINEAR_SOLVE
            dV_tol = getattr(me, "constraint_dV_tol", 1e-12) if me is not None else 1e-12
            if me is not None and me.target is not None and abs(me._dV_last) > dV_tol:
                ok = False  # the cell voltage is an unknown too (V)
            floor = getattr(me, "roundoff_floor", 0.0) if me is not None else 0.0
            f_prev, state["f_prev"] = state["f_prev"], fnorm
            state["f_max"] = max(state["f_max"], fnorm)
            if not ok and floor > 0 and fnorm <= 1e-5 * state["f_max"] and fnorm > 0.5 * f_prev:
                # the residual has fallen by 5 orders and stopped falling (its round-off
                # floor): the updates are then round-off too; accepted within `floor` times
                # the tolerances (see :attr:`roundoff_floor`)
                ok = all(dx_max[i] <= floor * tols[i] for i in range(len(tols)))
                if me is not None and me.target is not None:
                    ok = ok and abs(me._dV_last) <= floor * dV_tol
            if comm.allreduce(int(ok), op=MPI.MIN):
                return PETSc.SNES.ConvergedReason.CONVERGED_SNORM_RELATIVE
            if it >= max_it:
                return PETSc.SNES.ConvergedReason.DIVERGED_MAX_IT
            return 0

        self.snes.setConvergenceTest(test)

    def _install_step_cap(self, caps: dict[int, float]) -> None:
        """Scale a Newton update whose largest entry in block i exceeds ``caps[i]`` (in the
        field's units) down to that size, the whole update together (the direction is kept).

        A body that has lost contact at the start of a step (an opened gap, e.g. Li stripped
        during the previous step) has only the residual interface stiffness in the first
        Jacobian, and the full Newton step would move it by traction/K_res — metres. Capped at
        a physical length, the next iterate touches again and Newton converges; an update
        within the caps is untouched, so converged solutions and the quadratic rate are not
        affected."""
        self._caps = caps

    def _cap_ratio(self, y) -> float:
        """max over the capped blocks of |update|/cap (global)."""
        import numpy as np
        from mpi4py import MPI

        a = y.getArray(readonly=True)
        ratio = max(
            (
                np.max(np.abs(a[self._offsets[i] : self._offsets[i + 1]]), initial=0.0) / cap
                for i, cap in self._caps.items()
            ),
            default=0.0,
        )
        return self._comm.allreduce(ratio, op=MPI.MAX)

    def set_constraint(
        self, functional, V, dV_max: float = 0.5, slope: float = 0.0, dV_tol: float = 1e-12
    ) -> None:
        """Galvanostatic control inside the Newton iteration (a bordered system).

        ``functional``: the UFL scalar form c(u) (the total interface current, A), ``V``: the
        ``fem.Constant`` that the Dirichlet condition of the collector reads (the cell voltage).
        While :attr:`target` is set, every Newton step solves the bordered system

            J ΔX + R_V ΔV = −R,     C ΔX = I − c(X)

        by two solves with the same factorisation: Y = J⁻¹R (the plain step) and w = J⁻¹R_V,
        ΔV = ((c − I) − C·Y)/(C·w), ΔX = −(Y + ΔV w); R_V = ∂R/∂V is exact from two residual
        evaluations (the residual is affine in V: it enters through the boundary values and
        their lifting), C = ∂c/∂X is assembled from the UFL derivative of c. |ΔV| is limited to
        ``dV_max`` per iteration. So the cell voltage converges with the fields, at the cost of
        one extra back-substitution and one residual per Newton iteration.

        ``slope``: a constraint that depends on V too, c(X) + slope·V = target (the path-following
        constraint of :mod:`solver.pathfollow`, V the load factor λ; it may be changed between
        solves through :attr:`constraint_slope`): ΔV = ((c + slope·V − I) − C·Y)/(C·w − slope).
        ``dV_tol``: Newton has not converged while |ΔV| exceeds it (:attr:`constraint_dV_tol`)."""
        import ufl
        from dolfinx import fem
        from dolfinx.fem.petsc import create_vector

        spaces = [u.function_space for u in self.u]
        vs = [ufl.TestFunction(V_) for V_ in spaces]
        dforms = []
        for u, v in zip(self.u, vs):
            d = ufl.derivative(functional, u, v)
            dforms.append(d)
        empty = [ufl.algorithms.expand_derivatives(f).empty() for f in dforms]
        self._c_form = fem.form(functional, entity_maps=self._entity_maps)
        self._dc_forms = [
            _zero_form(V_) if e else fem.form(f, entity_maps=self._entity_maps)
            for f, e, V_ in zip(dforms, empty, spaces)
        ]
        self._C = create_vector(spaces, kind="mpi")
        self._w = self._C.duplicate()
        self._r1 = self._C.duplicate()
        self._V = V
        self._dV_max = dV_max
        self.target = None
        self.constraint_error = 0.0
        self._dV_last = 0.0
        self.border_krylov = 0  # Krylov iterations of the w solves (iterative solver)
        self.border_failed = False
        self.constraint_slope = float(slope)
        self.constraint_dV_tol = float(dV_tol)

    def _border(self, snes, x, y) -> float:
        """Turn the plain Newton direction ``y`` into the bordered one; return ΔV."""
        from dolfinx import fem
        from dolfinx.fem.petsc import assemble_vector
        from dolfinx.la.petsc import _ghost_update, _zero_vector
        from mpi4py import MPI

        c = self._comm.allreduce(fem.assemble_scalar(self._c_form), op=MPI.SUM)
        _zero_vector(self._C)
        assemble_vector(self._C, self._dc_forms)
        _ghost_update(self._C, PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
        r0 = snes.getFunction()[0]
        V0 = float(self._V.value)
        self._V.value = V0 + 1.0
        snes.computeFunction(x, self._r1)
        self._V.value = V0
        # r0 = R(x, V0) is the SNES function vector, left as it was: the evaluation above wrote
        # into r1 only and set the unknowns to the same x (and any pre-residual state from x
        # alone), and the line search evaluates the residual again at its trial point, so no
        # re-evaluation at V0 is needed (one residual assembly of three per Newton iteration
        # saved, same iterations and iterates: benchmarks/README.md, "Targets of issue 15")
        self._r1.axpy(-1.0, r0)  # R_V
        ksp = snes.getKSP()
        ksp.solve(self._r1, self._w)  # the operator and preconditioner of the plain step
        self.border_krylov += ksp.getIterationNumber()
        if ksp.getConvergedReason() < 0:  # a failed linear solve fails the Newton step
            self.border_failed = True
            y.set(0.0)
            return 0.0
        Cw = self._C.dot(self._w)
        CY = self._C.dot(y)
        a = getattr(self, "constraint_slope", 0.0)
        err = c + a * V0 - self.target
        self.constraint_error = err
        dV = (err - CY) / (Cw - a) if Cw != a else 0.0
        if getattr(self, "constraint_snap", False):
            # a correction below the tolerance, or below what the constraint resolves (its
            # round-off over its λ-derivative), is not applied: it would only move the fields by
            # noise and keep their update test from passing
            noise = 64 * 2.2e-16 * (abs(c) + abs(a * V0) + abs(self.target))
            if abs(dV) <= max(self.constraint_dV_tol, noise / max(abs(Cw - a), 1e-300)):
                dV = 0.0
        dV = max(min(dV, self._dV_max), -self._dV_max)
        y.axpy(dV, self._w)
        return dV

    def solve(self) -> SolveResult:
        t0 = time.perf_counter()
        self.border_krylov, self.border_failed = 0, False
        self.capped_iterations = 0
        try:
            self.problem.solve()
            reason = self.snes.getConvergedReason()
        except PETSc.Error as e:  # e.g. a zero pivot in a degenerate state
            log.debug(f"PETSc error in the solve: {e}")
            reason = -100
        if self.border_failed and reason > 0:
            reason = int(PETSc.SNES.ConvergedReason.DIVERGED_LINEAR_SOLVE)
        if reason <= 0:
            self._renew_factorisation()
        its = self.snes.getIterationNumber()
        kits = self.snes.getLinearSolveIterations() + self.border_krylov
        return SolveResult(reason > 0, reason, its, kits, time.perf_counter() - t0)
