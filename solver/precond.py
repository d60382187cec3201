"""Iterative solver for the interface-coupled mechanics Jacobian, robust in the interface stiffness.

The mechanics unknowns are one displacement field per region (``kind="mpi"`` block system); the
cohesive interface couples the two copies of every interface node with a penalty-like stiffness K.
Black-box algebraic multigrid on that matrix degrades as K·h/E grows (its aggregates split the
duplicated interface nodes, so coarse functions carry jumps whose energy grows with K). This module
supplies the two-level *auxiliary-space* preconditioner that does not:

    B = S ∘ (P A_c⁻¹ Pᵀ) ∘ S      (PCCOMPOSITE, symmetric multiplicative)

* S: a symmetric SOR sweep on the two-domain matrix A (processor-local sweeps in parallel) — it
  damps the high-energy jump modes that the interface stiffness creates;
* P: the prolongation that copies a continuous displacement on the parent mesh (one value per
  parent degree of freedom, same Lagrange element as the regions) onto every region field, so
  the duplicated interface nodes get the same value;
* A_c = Pᵀ A P: the Galerkin product, computed once from the first Jacobian. Because the interface
  terms only see the jump [[P w]] = 0, A_c is exactly the bonded single-field elasticity matrix on
  the parent mesh: independent of K and of the interface state (damage, contact). Its GAMG
  hierarchy (rigid-body near-nullspace) is set up once and reused across Newton iterations and
  load steps. (The bulk is linear elastic; call :meth:`AuxiliarySpace.reset` if that changes.)

Selection: ``CoupledProblem(..., options={"ssbx_pc": "auxiliary"})`` — in a case file
``[solver.petsc_options] ssbx_pc = "auxiliary"``. ``"mumps"`` (the default) keeps the direct
solve. Every other PETSc option still merges over the defaults below under the problem's prefix,
e.g. ``ksp_type = "gmres"``, ``ksp_rtol = 1e-10``, ``sub_0_pc_sor_omega = 1.2``; options that
start with ``aux_`` go to the inner solver of A_c (default: one GAMG V-cycle), e.g.
``aux_pc_gamg_threshold = 0.02``.

Krylov method: CG with the unpreconditioned (true) residual norm. The preconditioner is symmetric;
the Jacobian is symmetric for the linear springs, the contact penalty and the softening law in pure
mode. In mixed-mode softening and with friction the tangent is mildly nonsymmetric: choose
``ksp_type = "gmres"`` (with ``ksp_pc_side = "right"``) there.

Limitation (measured, see benchmarks/README.md): when the interface is weak or open over a large
area (K_eff·h/E ≪ 1: debonded zones) the jump modes are low-energy and the continuous coarse space
does not contain them; the iteration count then grows. ``ssbx_pc_regions = true`` adds one GAMG
V-cycle per region block A_rr (additively to the continuous coarse correction), which restores
convergence at the cost of a second multigrid cycle per iteration and a GAMG set-up whenever the
interface state changes (the region blocks contain the interface stiffness).
"""

from __future__ import annotations

import logging
import time

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
from mpi4py import MPI

# isort: split
from dolfinx import fem
from dolfinx import mesh as dmesh
from petsc4py import PETSc

log = logging.getLogger(__name__)

SELECT_KEY = "ssbx_pc"
REGIONS_KEY = "ssbx_pc_regions"
CHOICES = ("mumps", "auxiliary")

# Direct-solver keys of the problem defaults that the iterative solver replaces.
_DIRECT_KEYS = ("ksp_type", "pc_type", "pc_factor_mat_solver_type", "mat_mumps_icntl_14")

# Outer Krylov solver and the composite preconditioner (merged under the problem's prefix).
KRYLOV_DEFAULTS: dict[str, object] = {
    "ksp_type": "cg",
    "ksp_norm_type": "unpreconditioned",
    "ksp_rtol": 1e-8,
    "ksp_atol": 0.0,
    "ksp_max_it": 2000,
    "pc_type": "composite",
    "pc_composite_type": "symmetric_multiplicative",
    "pc_composite_pcs": "sor,python",
    "sub_0_pc_sor_local_symmetric": None,  # symmetric sweeps, processor-local in parallel
}

# The inner solve of A_c (and of the region blocks): one multigrid V-cycle.
GAMG_DEFAULTS: dict[str, object] = {
    "ksp_type": "preonly",
    "pc_type": "gamg",
    "pc_gamg_coarse_eq_limit": 1000,
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_pc_type": "jacobi",
}


def split_options(options: dict | None, defaults: dict) -> tuple[dict, dict | None]:
    """Merge ``options`` over ``defaults`` and take out the ssbx linear-solver selection.

    Returns the PETSc options for the SNES/KSP prefix and, when ``ssbx_pc = "auxiliary"``, a spec
    dict ``{"aux": {A_c solver options}, "region": {region-block solver options}, "regions":
    bool}`` (else None: the defaults and the user's options are returned unchanged, apart from
    the removed selection keys). User keys ``aux_region_*`` go to the region blocks, other
    ``aux_*`` keys to both inner solvers, the rest to the outer SNES/KSP.
    """
    user = dict(options or {})
    choice = str(user.pop(SELECT_KEY, "mumps")).lower()
    regions = _as_bool(user.pop(REGIONS_KEY, False))
    if choice not in CHOICES:
        raise ValueError(
            f"solver.petsc_options.{SELECT_KEY}: got {choice!r}, allowed "
            f"{', '.join(repr(c) for c in CHOICES)}"
        )
    if choice == "mumps":
        opts = dict(defaults)
        opts.update(user)
        return opts, None
    opts = {k: v for k, v in defaults.items() if k not in _DIRECT_KEYS}
    opts.update(KRYLOV_DEFAULTS)
    aux, region = {}, {}
    for k, v in user.items():
        if k.startswith("aux_region_"):
            region[k[len("aux_region_") :]] = v
        elif k.startswith("aux_"):
            aux[k[len("aux_") :]] = v
        else:
            opts[k] = v
    region = {**aux, **region}
    region.setdefault("pc_gamg_reuse_interpolation", True)
    return opts, {"aux": inner_options(aux), "region": inner_options(region), "regions": regions}


def inner_options(user: dict) -> dict:
    """Options of an inner solve (A_c or a region block): GAMG_DEFAULTS under ``user`` (the
    multigrid defaults only while the preconditioner stays GAMG)."""
    gamg = str(user.get("pc_type", "gamg")) == "gamg"
    base = {k: v for k, v in GAMG_DEFAULTS.items() if gamg or not k.startswith(("pc_", "mg_"))}
    out = {**base, **user}
    if not gamg:
        out = {k: v for k, v in out.items() if not k.startswith(("pc_gamg", "mg_"))}
    return out


def _as_bool(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "on")
    return bool(v)


def attach(problem, spec: dict | None, entity_maps, ufl_forms=None) -> AuxiliarySpace | None:
    """Install the auxiliary-space preconditioner on the KSP of a ``NonlinearProblem``
    (``kind="mpi"``) whose options were produced by :func:`split_options`. Returns the
    :class:`AuxiliarySpace` (its ``stats`` hold set-up/apply timings), or None if ``spec`` is
    None. ``ufl_forms``: the residual forms (to find the parent mesh; default ``problem.F``)."""
    if spec is None:
        return None
    pc = problem.solver.getKSP().getPC()
    if pc.getType() != "composite":
        raise ValueError(
            f"{SELECT_KEY} = 'auxiliary' needs pc_type = composite (got "
            f"{pc.getType()!r}); leave pc_type unset"
        )
    u = problem.u if isinstance(problem.u, list | tuple) else [problem.u]
    msh = parent_mesh(ufl_forms)
    aux = AuxiliarySpace(
        msh,
        [ui.function_space for ui in u],
        entity_maps,
        prefix=problem.solver.getOptionsPrefix() + "aux_",
        inner_options=spec["aux"],
        region_options=spec.get("region"),
        regions=spec.get("regions", False),
    )
    pc.getCompositePC(1).setPythonContext(_CoarsePC(aux))
    return aux


def parent_mesh(ufl_forms) -> dmesh.Mesh:
    """The DOLFINx mesh on which the (block) residual forms integrate."""
    forms = ufl_forms if isinstance(ufl_forms, list | tuple) else [ufl_forms]
    for f in forms:
        if f is None:
            continue
        domains = f.ufl_domains()
        if domains:
            d = domains[0]
            return dmesh.Mesh(d.ufl_cargo(), d)
    raise ValueError("cannot find the integration mesh of the residual forms")


class AuxiliarySpace:
    """P (region fields ← continuous parent field), A_c = Pᵀ A P and its GAMG solver.

    ``spaces``: the function space of each block, in block order (submesh spaces, or the parent
    space itself); ``entity_maps``: cell EntityMaps submesh → parent (those of other dimensions
    or other meshes are ignored).
    """

    def __init__(
        self,
        msh: dmesh.Mesh,
        spaces,
        entity_maps,
        prefix: str = "ssbx_aux_",
        inner_options: dict | None = None,
        region_options: dict | None = None,
        regions: bool = False,
    ):
        self.comm = msh.comm
        self.msh = msh
        self.spaces = list(spaces)
        self.prefix = prefix
        self.inner_options = dict(GAMG_DEFAULTS if inner_options is None else inner_options)
        self.region_options = dict(
            region_options
            if region_options is not None
            else {**self.inner_options, "pc_gamg_reuse_interpolation": True}
        )
        self.regions = regions
        self.Vc = fem.functionspace(msh, self.spaces[0].ufl_element())
        self.bs = self.Vc.dofmap.index_map_bs
        self.stats = {
            "ptap_s": 0.0,
            "gamg_setup_s": 0.0,
            "setups": 0,
            "applies": 0,
            "apply_s": 0.0,
            "region_setups": 0,
            "region_setup_s": 0.0,
            "region_apply_s": 0.0,
        }
        t0 = time.perf_counter()
        self.P = self._prolongation(entity_maps)
        self.stats["prolongation_s"] = time.perf_counter() - t0
        self.Ac: PETSc.Mat | None = None
        self.ksp: PETSc.KSP | None = None
        self._xc = self._yc = None
        self._region_ksps: list[PETSc.KSP] = []
        self._region_is: list[PETSc.IS] = []
        self._region_mats: list[PETSc.Mat] = []
        self._region_sub: list[PETSc.Mat] = []
        self._region_keep: list = []
        self._region_work: list = []
        self._region_slices: list[tuple[int, int]] = []

    # ------------------------------------------------------------------ prolongation
    def _prolongation(self, entity_maps) -> PETSc.Mat:
        """Rows: the owned dofs of the kind="mpi" block vector (fields stacked per rank); one
        entry 1 per row, in the column of the parent dof at the same point."""
        Vc, bs = self.Vc, self.bs
        tdim = self.msh.topology.dim
        xc = Vc.tabulate_dof_coordinates()
        imap_c = Vc.dofmap.index_map
        parent_cells_of = []
        for V in self.spaces:
            sub = V.mesh
            if sub.topology._cpp_object is self.msh.topology._cpp_object:
                ncell = (
                    sub.topology.index_map(tdim).size_local
                    + sub.topology.index_map(tdim).num_ghosts
                )
                parent_cells_of.append(np.arange(ncell, dtype=np.int32))
                continue
            emap = None
            for em in entity_maps:
                if em.dim == tdim and em.sub_topology._cpp_object is sub.topology._cpp_object:
                    emap = em
                    break
            if emap is None:
                raise ValueError("no cell EntityMap for a block's submesh")
            im = sub.topology.index_map(tdim)
            cells = np.arange(im.size_local + im.num_ghosts, dtype=np.int32)
            parent_cells_of.append(np.asarray(emap.sub_topology_to_topology(cells, False)))

        n_owned_total = sum(
            V.dofmap.index_map.size_local * V.dofmap.index_map_bs for V in self.spaces
        )
        row_start = self.comm.exscan(n_owned_total) or 0
        cols = []
        for V, pcells in zip(self.spaces, parent_cells_of):
            if V.dofmap.index_map_bs != bs:
                raise ValueError("all blocks must use the same vector element")
            sub_dofs = V.dofmap.list  # (ncells, ndofs) blocked
            par_dofs = Vc.dofmap.list[pcells]
            xs = V.tabulate_dof_coordinates()
            par_dofs = _match_cell_dofs(xs, xc, sub_dofs, par_dofs)
            nloc = V.dofmap.index_map.size_local
            parent_of = np.full(nloc + V.dofmap.index_map.num_ghosts, -1, dtype=np.int64)
            parent_of[sub_dofs.ravel()] = par_dofs.ravel()
            parent_of = parent_of[:nloc]
            if np.any(parent_of < 0):
                raise RuntimeError("a block dof has no parent dof (mesh maps inconsistent)")
            gpar = imap_c.local_to_global(parent_of.astype(np.int32))
            c = (bs * gpar[:, None] + np.arange(bs)[None, :]).ravel()
            cols.append(c)
        cols = np.concatenate(cols).astype(PETSc.IntType) if cols else np.zeros(0, PETSc.IntType)
        assert len(cols) == n_owned_total
        n_c = imap_c.size_local * bs
        N_c = imap_c.size_global * bs
        N = self.comm.allreduce(n_owned_total, op=MPI.SUM)
        indptr = np.arange(n_owned_total + 1, dtype=PETSc.IntType)
        P = PETSc.Mat().createAIJ(
            ((n_owned_total, N), (n_c, N_c)),
            csr=(indptr, cols, np.ones(n_owned_total)),
            comm=self.comm,
        )
        P.assemble()
        self.row_start = row_start
        self.n_rows = n_owned_total
        return P

    # ------------------------------------------------------------------ set-up
    def setup(self, A: PETSc.Mat) -> None:
        """A_c = Pᵀ A P and its GAMG hierarchy, once (A: the first Jacobian)."""
        if self.Ac is not None:
            return
        r0, r1 = A.getOwnershipRange()
        if (r0, r1 - r0) != (self.row_start, self.n_rows):
            raise RuntimeError(
                f"Jacobian layout [{r0}, {r1}) differs from the block dof layout "
                f"[{self.row_start}, {self.row_start + self.n_rows})"
            )
        t0 = time.perf_counter()
        galerkin = A.PtAP(self.P)
        # Pᵀ A P carries the pattern of the interface macro-elements: structural zeros (and
        # round-off residues of the cancelled interface stiffness, |·| ≲ 4 ε max|a_ij|) between
        # vertices that share no edge. Smoothed aggregation widens its prolongators along them
        # and the coarse operators double in size, so they are dropped.
        tol = 8.0 * np.finfo(float).eps * A.norm(PETSc.NormType.INFINITY)
        Ac = _drop_small(galerkin, tol, self.bs)
        galerkin.destroy()
        n = self.Vc.dofmap.index_map.size_local
        Ac.setNearNullSpace(rigid_body_modes(Ac, self.Vc.tabulate_dof_coordinates()[:n]))
        self.stats["ptap_s"] += time.perf_counter() - t0
        self.Ac = Ac
        self.ksp = self._inner_ksp(Ac, self.prefix)
        t0 = time.perf_counter()
        self.ksp.setUp()
        self.stats["gamg_setup_s"] += time.perf_counter() - t0
        self.stats["setups"] += 1
        self._xc, self._yc = Ac.createVecs()

    def _inner_ksp(self, M: PETSc.Mat, prefix: str, options: dict | None = None) -> PETSc.KSP:
        options = self.inner_options if options is None else options
        ksp = PETSc.KSP().create(self.comm)
        ksp.setOperators(M)
        ksp.setOptionsPrefix(prefix)
        opts = PETSc.Options()
        opts.prefixPush(prefix)
        for k, v in options.items():
            opts[k] = v
        ksp.setFromOptions()
        for k in options:
            del opts[k]
        opts.prefixPop()
        return ksp

    def setup_regions(self, A: PETSc.Mat) -> None:
        """GAMG on each region block A_rr of the current Jacobian. A_rr contains the interface
        stiffness, so it is refreshed on every Newton iteration; the aggregation and
        interpolation of the first set-up are reused (only the Galerkin products are redone)."""
        t0 = time.perf_counter()
        first = not self._region_is
        if first:
            lo = 0
            for V in self.spaces:
                n = V.dofmap.index_map.size_local * V.dofmap.index_map_bs
                iset = PETSc.IS().createStride(n, self.row_start + lo, 1, comm=self.comm)
                iset.setBlockSize(V.dofmap.index_map_bs)
                self._region_is.append(iset)
                self._region_slices.append((lo, lo + n))
                lo += n
        for k, (V, iset) in enumerate(zip(self.spaces, self._region_is)):
            # the block without its structural zeros (Dirichlet rows/columns, interface
            # macro-element pattern): with them GAMG's aggregation degrades on weak interfaces
            # (measured: 2D, K·h/E = 1e-4, 41/60/89 CG iterations over three refinements with
            # the zeros, 17/20/23 without). The kept pattern is fixed at the first set-up.
            if first:
                sub = A.createSubMatrix(iset, iset)
                ai, aj, av = sub.getValuesCSR()
                r0 = sub.getOwnershipRange()[0]
                rows = np.repeat(np.arange(r0, r0 + len(ai) - 1, dtype=aj.dtype), np.diff(ai))
                keep = (av != 0) | (aj == rows)
                indptr = np.concatenate([[0], np.cumsum(keep)])[ai].astype(PETSc.IntType)
                Arr = PETSc.Mat().createAIJ(
                    sub.getSizes(), bsize=self.bs, comm=self.comm, csr=(indptr, aj[keep], av[keep])
                )
                Arr.assemble()
                n = V.dofmap.index_map.size_local
                Arr.setNearNullSpace(rigid_body_modes(Arr, V.tabulate_dof_coordinates()[:n]))
                self._region_sub.append(sub)
                self._region_keep.append((indptr, aj[keep], keep))
                self._region_mats.append(Arr)
                self._region_ksps.append(
                    self._inner_ksp(Arr, f"{self.prefix}region_", self.region_options)
                )
            else:
                sub = A.createSubMatrix(iset, iset, submat=self._region_sub[k])
                indptr, cols, keep = self._region_keep[k]
                Arr = self._region_mats[k]
                Arr.setValuesCSR(indptr, cols, sub.getValuesCSR()[2][keep])
                Arr.assemble()
            self._region_ksps[k].setUp()
        if first:
            self._region_work = [m.createVecs() for m in self._region_mats]
        self.stats["region_setups"] += 1
        self.stats["region_setup_s"] += time.perf_counter() - t0

    # ------------------------------------------------------------------ application
    def apply(self, x: PETSc.Vec, y: PETSc.Vec) -> None:
        """y = P A_c⁻¹ Pᵀ x (one inner GAMG cycle)."""
        t0 = time.perf_counter()
        self.P.multTranspose(x, self._xc)
        self.ksp.solve(self._xc, self._yc)
        self.P.mult(self._yc, y)
        self.stats["applies"] += 1
        self.stats["apply_s"] += time.perf_counter() - t0

    def apply_regions(self, x: PETSc.Vec, y: PETSc.Vec) -> None:
        """y += Σ_r R_rᵀ GAMG(A_rr) R_r x (region r: a contiguous slice of the owned rows)."""
        t0 = time.perf_counter()
        xa = x.getArray(readonly=True)
        with y as ya:
            for (lo, hi), ksp, (xr, yr) in zip(
                self._region_slices, self._region_ksps, self._region_work
            ):
                xr.getArray()[:] = xa[lo:hi]
                ksp.solve(xr, yr)
                ya[lo:hi] += yr.getArray(readonly=True)
        self.stats["region_apply_s"] += time.perf_counter() - t0

    def reset(self) -> None:
        """Forget A_c (the next set-up recomputes Pᵀ A P and the GAMG hierarchy)."""
        for obj in (self.Ac, self.ksp, self._xc, self._yc):
            if obj is not None:
                obj.destroy()
        self.Ac = self.ksp = self._xc = self._yc = None

    def destroy(self) -> None:
        self.reset()
        for obj in [self.P, *self._region_ksps, *self._region_is, *self._region_mats,
                    *self._region_sub]:
            obj.destroy()
        for xr, yr in self._region_work:
            xr.destroy()
            yr.destroy()


def _drop_small(M: PETSc.Mat, tol: float, bs: int) -> PETSc.Mat:
    """A copy of the AIJ matrix ``M`` without the off-diagonal entries |a_ij| <= tol, with
    block size ``bs``."""
    ai, aj, av = M.getValuesCSR()
    r0, r1 = M.getOwnershipRange()
    rows = np.repeat(np.arange(r0, r1, dtype=aj.dtype), np.diff(ai))
    keep = (np.abs(av) > tol) | (aj == rows)
    kept = np.concatenate([[0], np.cumsum(keep)])
    indptr = kept[ai].astype(PETSc.IntType)
    out = PETSc.Mat().createAIJ(M.getSizes(), bsize=bs, comm=M.getComm(),
                                csr=(indptr, aj[keep], av[keep]))
    out.assemble()
    return out


def rigid_body_modes(M: PETSc.Mat, x: np.ndarray) -> PETSc.NullSpace:
    """Orthonormal rigid-body modes (2D: 3, 3D: 6) of a vector field whose owned dofs (block
    size = gdim, interleaved) sit at the points ``x`` (n_owned × 3), in the row layout of ``M``:
    the near-nullspace for GAMG on elasticity."""
    bs = M.getBlockSize()
    gdim = bs
    n = len(x)
    nmodes = 3 if gdim == 2 else 6
    arrs = [np.zeros((n, bs)) for _ in range(nmodes)]
    for i in range(gdim):
        arrs[i][:, i] = 1.0
    if gdim == 2:
        arrs[2][:, 0], arrs[2][:, 1] = -x[:, 1], x[:, 0]
    else:
        arrs[3][:, 0], arrs[3][:, 1] = -x[:, 1], x[:, 0]
        arrs[4][:, 0], arrs[4][:, 2] = x[:, 2], -x[:, 0]
        arrs[5][:, 2], arrs[5][:, 1] = x[:, 1], -x[:, 2]
    basis = []
    for a in arrs:
        v = M.createVecLeft()
        v.setArray(a.ravel())
        basis.append(v)
    for i, v in enumerate(basis):  # modified Gram–Schmidt
        for w in basis[:i]:
            v.axpy(-v.dot(w), w)
        v.normalize()
    return PETSc.NullSpace().create(vectors=basis, comm=M.getComm())


def _match_cell_dofs(xs, xc, sub_dofs, par_dofs):
    """Reorder ``par_dofs`` per cell so that column j is at the point of ``sub_dofs[:, j]``
    (the submesh keeps the parent's cell-local ordering in practice; checked, and fixed by
    coordinates where it does not)."""
    d = np.linalg.norm(xs[sub_dofs] - xc[par_dofs], axis=2)
    scale = np.max(np.ptp(xc, axis=0)) if len(xc) else 1.0
    tol = 1e-10 * max(scale, np.finfo(float).tiny)
    bad = np.nonzero(np.any(d > tol, axis=1))[0]
    if len(bad) == 0:
        return par_dofs
    out = par_dofs.copy()
    for c in bad:
        dist = np.linalg.norm(xs[sub_dofs[c]][:, None, :] - xc[par_dofs[c]][None, :, :], axis=2)
        j = np.argmin(dist, axis=1)
        if np.any(dist[np.arange(len(j)), j] > tol) or len(set(j.tolist())) != len(j):
            raise RuntimeError("submesh and parent cell dofs do not coincide")
        out[c] = par_dofs[c][j]
    return out


class _CoarsePC:
    """petsc4py Python-PC context: the continuous coarse correction P A_c⁻¹ Pᵀ, plus (when
    enabled) the per-region GAMG cycles, added."""

    def __init__(self, aux: AuxiliarySpace):
        self.aux = aux

    def setUp(self, pc):
        A, _ = pc.getOperators()
        self.aux.setup(A)
        if self.aux.regions:
            self.aux.setup_regions(A)

    def apply(self, pc, x, y):
        self.aux.apply(x, y)
        if self.aux.regions:
            self.aux.apply_regions(x, y)
