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
    ):
        # --- linear solver selection (solver/precond.py): options["ssbx_pc"] = "mumps" (default,
        # DEFAULT_OPTIONS unchanged) | "auxiliary" (CG + auxiliary-space two-level PC) ---
        from solver import precond

        opts, pc_spec = precond.split_options(options, DEFAULT_OPTIONS)
        # --- end of the linear solver selection
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
        self._mumps_workspace()
        # --- auxiliary-space preconditioner (None with the direct solver); see solver/precond.py
        self.preconditioner = precond.attach(
            self.problem, pc_spec, entity_maps, F_blocks, bcs, block_scales
        )
        # --- end of the preconditioner hook
        # No callback registered on the SNES may hold ``self``: PETSc keeps the callbacks alive,
        # so such a cycle (SNES -> callback -> self -> NonlinearProblem -> SNES) is never freed,
        # and every run would leak its meshes and MPI communicators (MPICH runs out at 2048).
        if field_tolerances is not None:
            self._install_convergence_test(field_tolerances)
        if max_update:
            self._install_step_cap(max_update)
        if block_scales is not None:
            self.equilibrate(block_scales)

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
        max_it = int(self.options.get("snes_max_it", 25))
        comm = self.u[0].function_space.mesh.comm
        state = {"f0": None}

        def test(snes, it, norms):
            xnorm, ynorm, fnorm = norms
            if not np.isfinite(fnorm):
                return PETSc.SNES.ConvergedReason.DIVERGED_FNORM_NAN
            if it == 0:
                # no absolute residual test: residual units differ per field (N, A, mol/s) and a
                # small-valued block (e.g. transport, mol/s) would pass it before any iteration
                state["f0"] = fnorm
                return PETSc.SNES.ConvergedReason.CONVERGED_FNORM_ABS if fnorm == 0.0 else 0
            dx = snes.getSolutionUpdate().getArray(readonly=True)
            ok = all(
                (np.max(np.abs(dx[offsets[i] : offsets[i + 1]]), initial=0.0) <= tols[i])
                for i in range(len(tols))
            )
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
        import numpy as np
        from mpi4py import MPI

        sizes = [
            u.function_space.dofmap.index_map.size_local * u.function_space.dofmap.index_map_bs
            for u in self.u
        ]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        comm = self.u[0].function_space.mesh.comm

        def precheck(x, y):
            a = y.getArray(readonly=True)
            ratio = max(
                np.max(np.abs(a[offsets[i] : offsets[i + 1]]), initial=0.0) / cap
                for i, cap in caps.items()
            )
            ratio = comm.allreduce(ratio, op=MPI.MAX)
            if ratio > 1.0:
                y.scale(1.0 / ratio)

        self.snes.setLineSearchPreCheck(precheck)

    def solve(self) -> SolveResult:
        t0 = time.perf_counter()
        try:
            self.problem.solve()
            reason = self.snes.getConvergedReason()
        except PETSc.Error as e:  # e.g. a zero pivot in a degenerate state
            log.debug(f"PETSc error in the solve: {e}")
            reason = -100
        its = self.snes.getIterationNumber()
        kits = self.snes.getLinearSolveIterations()
        return SolveResult(reason > 0, reason, its, kits, time.perf_counter() - t0)
