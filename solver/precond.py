"""Iterative solver for the interface-coupled mechanics Jacobian, robust in the interface stiffness.

The mechanics unknowns are one displacement field per region (``kind="mpi"`` block system); the
cohesive interface couples the two copies of every interface node with a penalty-like stiffness K.
Black-box algebraic multigrid on that matrix degrades as K·h/E grows (its aggregates split the
duplicated interface nodes, so coarse functions carry jumps whose energy grows with K). This module
supplies a two-level *auxiliary-space* preconditioner that does not:

    B = S ∘ C ∘ S    (PCCOMPOSITE, symmetric multiplicative; CG outside)

* S: a symmetric SOR sweep on the two-domain matrix A (processor-local sweeps in parallel); it
  damps the high-energy jump modes that a stiff interface creates.
* C = P A_c⁻¹ Pᵀ: P copies a continuous displacement of the parent mesh (one value per parent
  dof, same Lagrange element as the regions) onto every region field, so the duplicated interface
  nodes get the same value; A_c = Pᵀ A P is computed once from the first Jacobian. The interface
  terms only see the jump [[P w]] = 0, so A_c is exactly the bonded single-field elasticity matrix
  of the parent mesh, independent of K and of the interface state (damage, contact). A_c⁻¹ is one
  GAMG V-cycle with the rigid-body near-nullspace, set up once and reused across Newton iterations
  and load steps (the bulk is linear elastic; :meth:`AuxiliarySpace.reset` forgets it).
* Weak or open interfaces (K_eff·h/E ≲ 1: damaged zones, frictionless sliding) make jump modes
  low-energy, and the continuous space does not contain them: CG iterations then grow like
  h^-1/2 (measured 50/76/106 over three 2D refinements at K·h/E = 1e-4). The remedy is an
  additive per-region term, C = P A_c⁻¹ Pᵀ + Σ_r R_rᵀ GAMG(A_rr) R_r, with the region blocks A_rr
  of the current Jacobian (interface stiffness included). It costs a second V-cycle per
  iteration and a Galerkin update per Newton iteration, so by default ("auto") it is switched on
  only while ≥ 1 % of the interface dofs are weak: the interface stiffness on a parent dof,
  k = (Pᵀ diag A − diag A_c)/2, is below 0.1 × its bulk stiffness diag A_c (diag A_c is the sum
  of both sides' bulk diagonals). The region aggregation is rebuilt when the set of weak dofs
  has changed (a crack opening or closing), and reused otherwise.
* Row-scaled blocks (``CoupledProblem(block_scales=...)``, as the simulation equilibrates its
  blocks): the coarse correction acts on the unscaled residual, and the outer Krylov method
  becomes right-preconditioned GMRES (the scaled Jacobian is not symmetric) unless the user
  chose one.
* Only displacement blocks: a problem that also carries potentials or concentrations is
  refused (use the direct solver, or split those fields off first).

Selection (the key is taken out of the PETSc options): ``CoupledProblem(..., options={"ssbx_pc":
"auxiliary"})``, in a case file ``[solver.petsc_options] ssbx_pc = "auxiliary"``; ``"mumps"``, the
default, keeps the direct solve. ``ssbx_pc_regions = "auto" | true | false`` controls the region
term. Other options still merge over :data:`KRYLOV_DEFAULTS` under the problem's prefix (e.g.
``ksp_rtol = 1e-10``, ``sub_0_pc_sor_omega = 1.2``); ``aux_*`` keys go to the inner solvers of A_c
and of the region blocks, ``aux_region_*`` keys to the region blocks only (e.g.
``aux_pc_gamg_threshold = 0.02``).

Krylov method: CG on the true (unpreconditioned) residual. B is symmetric positive definite; the
Jacobian is symmetric for linear springs, the contact penalty and single-mode softening. For the
mildly nonsymmetric tangents of mixed-mode softening or friction choose ``ksp_type = "gmres"``
(right preconditioning is then set, so that the true residual is still the one tested).
"""

from __future__ import annotations

import logging
import time

import solver.petsc_env  # noqa: F401  (before dolfinx / petsc4py)

import numpy as np
from mpi4py import MPI

# isort: split
from dolfinx import fem
from dolfinx import mesh as dmesh
from petsc4py import PETSc

log = logging.getLogger(__name__)

SELECT_KEY = "ssbx_pc"
LINEAR_SOLVER_KEY = "ssbx_linear_solver"  # [solver] linear_solver, passed with the options
LINEAR_SOLVERS = ("auto", "direct", "iterative")
# linear_solver = "auto": the iterative solver from this many unknowns (all fields, all ranks)
# on, per dimension of the mesh; below, MUMPS. Measured crossover (benchmarks/README.md,
# "Direct or iterative"): in 3D the fill of the factorisation makes MUMPS slower and larger than
# the iterative coupled step from a few 1e4 unknowns on; in 2D MUMPS stays competitive to a few
# 1e5 unknowns.
ITERATIVE_MIN_DOFS = {2: 300_000, 3: 50_000}
REGIONS_KEY = "ssbx_pc_regions"
CHOICES = ("mumps", "auxiliary")
WEAK_RATIO = 0.1  # interface / bulk diagonal stiffness below which an interface dof is weak
WEAK_FRACTION = 0.01  # share of weak interface dofs that switches the region term on ("auto")

# Direct-solver keys of the problem defaults that the iterative solver replaces.
_DIRECT_KEYS = ("ksp_type", "pc_type", "pc_factor_mat_solver_type", "mat_mumps_icntl_14")

# Outer Krylov solver and the composite preconditioner (merged under the problem's prefix).
KRYLOV_DEFAULTS: dict[str, object] = {
    "ksp_type": "cg",
    "ksp_norm_type": "unpreconditioned",
    "ksp_rtol": 1e-8,
    "ksp_atol": 0.0,
    "ksp_max_it": 1000,
    "pc_type": "composite",
    "pc_composite_type": "symmetric_multiplicative",
    "pc_composite_pcs": "sor,python",
    "sub_0_pc_sor_local_symmetric": None,  # symmetric sweeps, processor-local in parallel
}

# An inner solve (A_c, region blocks): one smoothed-aggregation V-cycle.
GAMG_DEFAULTS: dict[str, object] = {
    "ksp_type": "preonly",
    "pc_type": "gamg",
    "pc_gamg_coarse_eq_limit": 1000,
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_pc_type": "jacobi",
}


# ---------------------------------------------------------------------- options
def split_options(options: dict | None, defaults: dict, u_blocks=None) -> tuple[dict, dict | None]:
    """Merge ``options`` over ``defaults`` and take out the ssbx linear-solver selection.

    ``options["ssbx_linear_solver"]`` (``[solver] linear_solver`` of a case; absent: "direct")
    is resolved first by :func:`choose_linear_solver` from the unknowns ``u_blocks``: a
    coupled problem on the iterative path gets the fieldsplit spec of
    :func:`fieldsplit_options` (``{"kind": "fieldsplit", ...}``), a mechanics-only one the
    auxiliary-space spec below.

    Returns the PETSc options of the SNES/KSP prefix and, for ``ssbx_pc = "auxiliary"``, a spec
    ``{"aux": {A_c solver options}, "region": {region-block options}, "regions": "auto" | True |
    False}``; for the direct solver (default) the spec is None and the options are ``defaults``
    updated by ``options``, exactly as without this module.
    """
    user = dict(options or {})
    if choose_linear_solver(user, u_blocks) == "fieldsplit":
        return fieldsplit_options(user, defaults)
    choice = str(user.pop(SELECT_KEY, "mumps")).strip().lower()
    regions = _regions_mode(user.pop(REGIONS_KEY, "auto"))
    if choice not in CHOICES:
        raise ValueError(
            f"solver.petsc_options.{SELECT_KEY}: got {choice!r}, allowed "
            f"{' or '.join(repr(c) for c in CHOICES)}"
        )
    if choice == "mumps":
        return {**defaults, **user}, None
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
    if (
        str(opts["ksp_type"]) in ("gmres", "lgmres", "dgmres", "pgmres")
        and "ksp_pc_side" not in user
    ):
        opts["ksp_pc_side"] = "right"  # left-preconditioned GMRES cannot test the true residual
    region = {"pc_gamg_reuse_interpolation": True, **aux, **region}
    return opts, {
        "kind": "auxiliary",
        "aux": inner_options(aux),
        "region": inner_options(region),
        "regions": regions,
        "user_ksp_type": "ksp_type" in user,
    }


def inner_options(user: dict) -> dict:
    """Options of an inner solve: :data:`GAMG_DEFAULTS` under ``user`` (the multigrid defaults
    only while its preconditioner stays GAMG)."""
    if str(user.get("pc_type", "gamg")) == "gamg":
        return {**GAMG_DEFAULTS, **user}
    out = {"ksp_type": GAMG_DEFAULTS["ksp_type"], **user}
    return {k: v for k, v in out.items() if not k.startswith(("pc_gamg", "mg_"))}


def _regions_mode(v) -> str | bool:
    s = str(v).strip().lower()
    if s == "auto":
        return "auto"
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"solver.petsc_options.{REGIONS_KEY}: got {v!r}, allowed 'auto', true, false")


# ---------------------------------------------------------------------- installation
def attach(
    problem, spec: dict | None, entity_maps, ufl_forms, bcs=(), block_scales=None
) -> AuxiliarySpace | None:
    """Install the auxiliary-space preconditioner on the KSP of a ``kind="mpi"``
    ``NonlinearProblem`` whose options came from :func:`split_options` (None when ``spec`` is
    None). ``ufl_forms``: the block residual (its integration mesh is the parent mesh); ``bcs``:
    the Dirichlet conditions (their dofs are left out of the weak-interface test);
    ``block_scales``: the constant row scale of every residual block, if any (objects with a
    ``value``, read at every set-up and application)."""
    if spec is None:
        return None
    if spec.get("kind") == "fieldsplit":
        return CoupledFieldSplit(problem, spec, entity_maps, ufl_forms, bcs, block_scales)
    u = list(problem.u) if isinstance(problem.u, list | tuple) else [problem.u]
    gdim = u[0].function_space.mesh.geometry.dim
    others = [f.name for f in u if f.function_space.dofmap.index_map_bs != gdim]
    if others:
        raise ValueError(
            f"{SELECT_KEY} = 'auxiliary' preconditions the mechanics system (displacement "
            f"blocks only); this problem also has the fields {others}: use the direct solver"
        )
    ksp = problem.solver.getKSP()
    pc = ksp.getPC()
    if pc.getType() != "composite" or pc.getCompositePC(1).getType() != "python":
        raise ValueError(
            f"{SELECT_KEY} = 'auxiliary' sets pc_type = composite with a python member; "
            "do not override pc_type / pc_composite_pcs"
        )
    if block_scales is not None and not spec.get("user_ksp_type", False):
        # rows of the blocks scaled differently: the Jacobian is not symmetric, CG does not
        # apply; right-preconditioned GMRES still tests the true residual
        ksp.setType("gmres")
        ksp.setPCSide(PETSc.PC.Side.RIGHT)
        ksp.setGMRESRestart(50)
    aux = AuxiliarySpace(
        parent_mesh(ufl_forms),
        [f.function_space for f in u],
        entity_maps,
        prefix=problem.solver.getOptionsPrefix() + "aux_",
        inner_options=spec["aux"],
        region_options=spec["region"],
        regions=spec["regions"],
        bcs=bcs,
        block_scales=block_scales,
    )
    pc.getCompositePC(1).setPythonContext(_CoarsePC(aux))
    return aux


def parent_mesh(ufl_forms) -> dmesh.Mesh:
    """The DOLFINx mesh on which the (block) residual forms integrate."""
    forms = ufl_forms if isinstance(ufl_forms, list | tuple) else [ufl_forms]
    for f in forms:
        domains = f.ufl_domains() if f is not None else ()
        if domains:
            return dmesh.Mesh(domains[0].ufl_cargo(), domains[0])
    raise ValueError("cannot find the integration mesh of the residual forms")


# ---------------------------------------------------------------------- the preconditioner
class AuxiliarySpace:
    """P (block fields ← continuous parent field), A_c = Pᵀ A P with its GAMG cycle, and the
    optional per-region GAMG cycles.

    ``spaces``: the function space of every block, in block order (submesh spaces, or the parent
    space itself); ``entity_maps``: the cell EntityMaps submesh → parent (others are ignored).
    The rows of P follow the ``kind="mpi"`` block layout: on each rank the owned dofs of block 0,
    then of block 1, ..., offset by the owned dofs of the lower ranks.
    """

    def close(self) -> None:
        """Destroy the PETSc objects held (prolongation, coarse operator, inner KSPs), on every
        rank together (see :meth:`solver.problem.CoupledProblem.close`)."""
        for name, v in list(vars(self).items()):
            _destroy_petsc(v)
            if isinstance(v, PETSc.Object):
                setattr(self, name, None)

    def __init__(
        self,
        msh: dmesh.Mesh,
        spaces,
        entity_maps,
        prefix: str = "ssbx_aux_",
        inner_options: dict | None = None,
        region_options: dict | None = None,
        regions: str | bool = "auto",
        bcs=(),
        block_scales=None,
    ):
        self.comm = msh.comm
        self.msh = msh
        self.spaces = list(spaces)
        self.prefix = prefix
        self.inner_options = dict(GAMG_DEFAULTS if inner_options is None else inner_options)
        self.region_options = (
            dict(region_options)
            if region_options is not None
            else {**self.inner_options, "pc_gamg_reuse_interpolation": True}
        )
        self.regions = regions
        self.regions_active = regions is True
        self.Vc = fem.functionspace(msh, self.spaces[0].ufl_element())
        self.bs = self.Vc.dofmap.index_map_bs
        self.stats = {
            "prolongation_s": 0.0,
            "ptap_s": 0.0,
            "gamg_setup_s": 0.0,
            "setups": 0,
            "applies": 0,
            "apply_s": 0.0,
            "region_setups": 0,
            "region_rebuilds": 0,
            "region_setup_s": 0.0,
            "region_apply_s": 0.0,
            "weak_fraction": 0.0,
        }
        offsets = np.cumsum([0] + [V.dofmap.index_map.size_local * self.bs for V in self.spaces])
        self._slices = list(zip(offsets[:-1], offsets[1:]))
        self.n_rows = int(offsets[-1])
        self.row_start = self.comm.exscan(self.n_rows) or 0
        t0 = time.perf_counter()
        self.P = self._prolongation(entity_maps)
        self.stats["prolongation_s"] = time.perf_counter() - t0
        self._bc_rows = self._dirichlet_rows(bcs)
        self.Ac: PETSc.Mat | None = None
        self.ksp: PETSc.KSP | None = None
        self._xc = self._yc = None
        self.block_scales = block_scales
        self._unscale = None  # 1/(row scale of the block), per owned row; None: unscaled
        self._xs = None
        self._iface = None  # (parent interface dofs mask, bulk diagonal there)
        self._weak_at_setup = None  # weak interface dofs when the region GAMG was aggregated
        self._reg: list[dict] = []

    # -- P
    def _prolongation(self, entity_maps) -> PETSc.Mat:
        """One entry 1 per owned block row, in the column of the parent dof at the same point."""
        Vc, bs = self.Vc, self.bs
        tdim = self.msh.topology.dim
        xc = Vc.tabulate_dof_coordinates()
        imap_c = Vc.dofmap.index_map
        cols = []
        for V in self.spaces:
            if V.dofmap.index_map_bs != bs:
                raise ValueError("all blocks must use the same vector element")
            im = V.mesh.topology.index_map(tdim)
            cells = np.arange(im.size_local + im.num_ghosts, dtype=np.int32)
            if V.mesh.topology._cpp_object is self.msh.topology._cpp_object:
                parent_cells = cells
            else:
                emap = next(
                    (
                        em
                        for em in entity_maps
                        if em.dim == tdim
                        and em.sub_topology._cpp_object is V.mesh.topology._cpp_object
                    ),
                    None,
                )
                if emap is None:
                    raise ValueError("no cell EntityMap for the submesh of a block")
                parent_cells = np.asarray(emap.sub_topology_to_topology(cells, False))
            sub_dofs = V.dofmap.list
            par_dofs = _match_cell_dofs(
                V.tabulate_dof_coordinates(), xc, sub_dofs, Vc.dofmap.list[parent_cells]
            )
            nloc = V.dofmap.index_map.size_local
            parent_of = np.full(nloc + V.dofmap.index_map.num_ghosts, -1, dtype=np.int32)
            parent_of[sub_dofs.ravel()] = par_dofs.ravel()
            if np.any(parent_of[:nloc] < 0):
                raise RuntimeError("a block dof has no parent dof (inconsistent mesh maps)")
            gpar = imap_c.local_to_global(parent_of[:nloc]).astype(np.int64)
            cols.append((bs * gpar[:, None] + np.arange(bs)[None, :]).ravel())
        cols = np.concatenate(cols).astype(PETSc.IntType)
        N = self.comm.allreduce(self.n_rows, op=MPI.SUM)
        P = PETSc.Mat().createAIJ(
            ((self.n_rows, N), (imap_c.size_local * bs, imap_c.size_global * bs)),
            csr=(np.arange(self.n_rows + 1, dtype=PETSc.IntType), cols, np.ones(self.n_rows)),
            comm=self.comm,
        )
        P.assemble()
        return P

    def _dirichlet_rows(self, bcs) -> np.ndarray:
        """Local (owned) block rows carrying a Dirichlet condition."""
        rows = [np.zeros(0, dtype=np.int64)]
        for bc in bcs:
            topo = bc.function_space.mesh.topology
            for k, V in enumerate(self.spaces):
                if V.mesh.topology._cpp_object is topo:
                    idx, _ = bc.dof_indices()
                    lo, hi = self._slices[k]
                    idx = idx[idx < hi - lo]
                    rows.append(lo + idx.astype(np.int64))
        return np.unique(np.concatenate(rows))

    # -- set-up
    def setup(self, A: PETSc.Mat) -> None:
        """A_c = Pᵀ A P and its GAMG hierarchy, on the first call only."""
        if self.Ac is not None:
            return
        r0, r1 = A.getOwnershipRange()
        if (r0, r1 - r0) != (self.row_start, self.n_rows):
            raise RuntimeError(
                f"Jacobian rows [{r0}, {r1}) differ from the block dof layout "
                f"[{self.row_start}, {self.row_start + self.n_rows})"
            )
        t0 = time.perf_counter()
        self._update_scales(A)
        AP = A.matMult(self.P)  # P has one unit entry per row: this is 5x faster than PtAP
        if self._unscale is not None:
            AP.diagonalScale(L=self._unscale)  # the Galerkin product of the unscaled rows
        galerkin = self.P.transposeMatMult(AP)
        AP.destroy()
        # Pᵀ A P carries the pattern of the interface macro-elements: structural zeros and the
        # round-off residues of the cancelled interface stiffness (≲ 4 ε max|a_ij|) between
        # vertices that share no edge. Smoothed aggregation widens its prolongators along them
        # (measured: coarse operator 2.2x denser, set-up 2x slower, 27 instead of 16 CG
        # iterations at 9e4 dofs), so they are dropped.
        tol = 8.0 * np.finfo(float).eps * A.norm(PETSc.NormType.INFINITY)
        if self._unscale is not None:
            tol *= self._unscale.max()[1]
        self.Ac = _without_small(galerkin, tol, self.bs, destroy=True)
        n = self.Vc.dofmap.index_map.size_local
        self.Ac.setNearNullSpace(rigid_body_modes(self.Ac, self.Vc.tabulate_dof_coordinates()[:n]))
        self.stats["ptap_s"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        self.ksp = _inner_ksp(self.Ac, self.prefix, self.inner_options)
        self.stats["gamg_setup_s"] += time.perf_counter() - t0
        self.stats["setups"] += 1
        self._xc, self._yc = self.Ac.createVecs()

    def _update_scales(self, A: PETSc.Mat) -> None:
        """1/scale of every owned row from the current block scales (None when all are 1)."""
        if self.block_scales is None:
            return
        vals = [float(getattr(c, "value", c)) for c in self.block_scales]
        if len(vals) != len(self._slices):
            raise ValueError("one block scale per block is needed")
        if all(v == 1.0 for v in vals) and self._unscale is None:
            return
        if self._unscale is None:
            self._unscale = A.createVecLeft()
            self._xs = A.createVecLeft()
        with self._unscale as a:
            for (lo, hi), v in zip(self._slices, vals):
                a[lo:hi] = 1.0 / v

    def weak_dofs(self, A: PETSc.Mat) -> np.ndarray:
        """For the owned, non-Dirichlet interface dofs of the parent mesh: whether their
        interface stiffness k = (Pᵀ diag A − diag A_c)/2 is below WEAK_RATIO × their bulk
        stiffness diag A_c, for the Jacobian ``A``."""
        if self._iface is None:
            ones = A.createVecLeft()
            ones.set(1.0)
            with ones as a:
                a[self._bc_rows] = 0.0
            free_copies = self.Ac.createVecLeft()
            self.P.multTranspose(ones, free_copies)
            ones.set(1.0)
            copies = self.Ac.createVecLeft()
            self.P.multTranspose(ones, copies)
            # parent dofs with two or more copies, none of them Dirichlet
            mask = (copies.getArray() > 1.5) & (free_copies.getArray() == copies.getArray())
            self._iface = (mask, self.Ac.getDiagonal().getArray()[mask].copy())
            for v in (ones, free_copies, copies):
                v.destroy()
        mask, bulk = self._iface
        s = self.Ac.createVecLeft()
        d = A.getDiagonal()
        if self._unscale is not None:
            d.pointwiseMult(d, self._unscale)
        self.P.multTranspose(d, s)
        k = 0.5 * (s.getArray()[mask] - bulk)
        s.destroy()
        d.destroy()
        return k < WEAK_RATIO * bulk

    def update(self, A: PETSc.Mat) -> None:
        """Per-Jacobian set-up: A_c (first call only), the region-term decision and blocks."""
        self.setup(A)
        self._update_scales(A)
        if self.regions is False:
            return
        weak = self.weak_dofs(A)
        n_all = self.comm.allreduce(len(weak), op=MPI.SUM)
        frac = self.comm.allreduce(int(weak.sum()), op=MPI.SUM) / max(n_all, 1)
        self.stats["weak_fraction"] = frac
        if self.regions == "auto":
            active = frac >= WEAK_FRACTION
            if active != self.regions_active:
                log.debug(
                    f"auxiliary PC: region term {'on' if active else 'off'} "
                    f"({100 * frac:.1f} % weak interface dofs)"
                )
            self.regions_active = active
        if not self.regions_active:
            return
        # the region hierarchies are rebuilt when the set of weak interface dofs has changed
        # since they were aggregated (e.g. a crack opened); otherwise only their Galerkin
        # products are updated
        old = self._weak_at_setup
        changed = len(weak) if old is None else int(np.count_nonzero(weak != old))
        rebuild = self.comm.allreduce(changed, op=MPI.SUM) > WEAK_FRACTION * n_all or old is None
        self.setup_regions(A, rebuild=rebuild)
        if rebuild:
            self._weak_at_setup = weak

    def setup_regions(self, A: PETSc.Mat, rebuild: bool = False) -> None:
        """GAMG on every region block A_rr of ``A``: built on the first call and with
        ``rebuild``; otherwise the aggregation and interpolation are reused and only the
        Galerkin products redone."""
        t0 = time.perf_counter()
        first = not self._reg
        for k, (lo, hi) in enumerate(self._slices):
            if first:
                iset = PETSc.IS().createStride(hi - lo, self.row_start + lo, 1, comm=self.comm)
                sub = A.createSubMatrix(iset, iset)
                # without the structural zeros of the block (Dirichlet rows/columns, interface
                # macro-element pattern): with them GAMG's aggregation degrades on weak
                # interfaces (measured, 2D, K·h/E = 1e-4, three refinements: 41/60/89 CG
                # iterations with, 17/20/23 without). The kept pattern is fixed here.
                indptr, cols, vals, keep = _filtered_csr(sub, 0.0)
                Arr = PETSc.Mat().createAIJ(
                    sub.getSizes(), bsize=self.bs, csr=(indptr, cols, vals), comm=self.comm
                )
                Arr.assemble()
                V = self.spaces[k]
                n = V.dofmap.index_map.size_local
                Arr.setNearNullSpace(rigid_body_modes(Arr, V.tabulate_dof_coordinates()[:n]))
                ksp = _inner_ksp(Arr, f"{self.prefix}region_", self.region_options)
                self._reg.append(
                    {
                        "is": iset,
                        "sub": sub,
                        "keep": (indptr, cols, keep),
                        "A": Arr,
                        "ksp": ksp,
                        "work": Arr.createVecs(),
                    }
                )
            else:
                r = self._reg[k]
                A.createSubMatrix(r["is"], r["is"], submat=r["sub"])
                indptr, cols, keep = r["keep"]
                r["A"].setValuesCSR(indptr, cols, r["sub"].getValuesCSR()[2][keep])
                r["A"].assemble()
                if rebuild:
                    r["ksp"].destroy()
                    r["ksp"] = _inner_ksp(r["A"], f"{self.prefix}region_", self.region_options)
            self._reg[k]["ksp"].setUp()
        self.stats["region_setups"] += 1
        self.stats["region_rebuilds"] += int(rebuild or first)
        self.stats["region_setup_s"] += time.perf_counter() - t0

    # -- application
    def apply(self, x: PETSc.Vec, y: PETSc.Vec) -> None:
        """y = P A_c⁻¹ Pᵀ x (+ Σ_r R_rᵀ A_rr⁻¹ R_r x when the region term is on); the inverses
        are one V-cycle each."""
        t0 = time.perf_counter()
        if self._unscale is not None:  # the residual of the unscaled rows
            self._xs.pointwiseMult(x, self._unscale)
            self.P.multTranspose(self._xs, self._xc)
        else:
            self.P.multTranspose(x, self._xc)
        self.ksp.solve(self._xc, self._yc)
        self.P.mult(self._yc, y)
        self.stats["applies"] += 1
        self.stats["apply_s"] += time.perf_counter() - t0
        if not self.regions_active:
            return
        t0 = time.perf_counter()
        xa = x.getArray(readonly=True)
        with y as ya:
            for (lo, hi), r in zip(self._slices, self._reg):
                xr, yr = r["work"]
                xr.setArray(xa[lo:hi])
                r["ksp"].solve(xr, yr)
                ya[lo:hi] += yr.getArray(readonly=True)
        self.stats["region_apply_s"] += time.perf_counter() - t0

    def reset(self) -> None:
        """Forget A_c: the next set-up recomputes Pᵀ A P and its GAMG hierarchy (for a bulk
        whose stiffness changed)."""
        for obj in (self.Ac, self.ksp, self._xc, self._yc):
            if obj is not None:
                obj.destroy()
        self.Ac = self.ksp = self._xc = self._yc = None
        self._iface = self._weak_at_setup = None

    def destroy(self) -> None:
        self.reset()
        self.P.destroy()
        for v in (self._unscale, self._xs):
            if v is not None:
                v.destroy()
        for r in self._reg:
            for obj in (r["is"], r["sub"], r["A"], r["ksp"], *r["work"]):
                obj.destroy()
        self._reg = []


def _destroy_petsc(obj, depth: int = 0) -> None:
    """Destroy the petsc4py objects in ``obj`` (an object, or a list/tuple/dict of them)."""
    if isinstance(obj, PETSc.Object):
        obj.destroy()
    elif depth < 2 and isinstance(obj, list | tuple):
        for o in obj:
            _destroy_petsc(o, depth + 1)
    elif depth < 2 and isinstance(obj, dict):
        for o in obj.values():
            _destroy_petsc(o, depth + 1)


class _CoarsePC:
    """petsc4py Python-PC context of the coarse member of the composite."""

    def __init__(self, aux: AuxiliarySpace):
        self.aux = aux

    def setUp(self, pc):
        self.aux.update(pc.getOperators()[0])

    def apply(self, pc, x, y):
        self.aux.apply(x, y)


# ---------------------------------------------------------------------- helpers
def _inner_ksp(M: PETSc.Mat, prefix: str, options: dict) -> PETSc.KSP:
    """A KSP on ``M`` configured from ``options`` under ``prefix`` and set up (the options are
    removed from the database afterwards; multigrid reads its level options during set-up)."""
    ksp = PETSc.KSP().create(M.getComm())
    ksp.setOperators(M)
    ksp.setOptionsPrefix(prefix)
    db = PETSc.Options()
    db.prefixPush(prefix)
    try:
        for k, v in options.items():
            db[k] = v
        ksp.setFromOptions()
        ksp.setUp()
    finally:
        for k in options:
            del db[k]
        db.prefixPop()
    return ksp


def _filtered_csr(M: PETSc.Mat, tol: float):
    """The local CSR of the AIJ matrix ``M`` without its off-diagonal entries |a_ij| <= tol:
    (indptr, columns, values, kept-entry mask of M's CSR). Lean on memory: a few bytes per
    entry besides the copies of the kept entries."""
    ai, aj, av = M.getValuesCSR()
    keep = np.abs(av) > tol
    low = np.flatnonzero(~keep)
    if len(low):  # keep the diagonal whatever its size (Dirichlet rows hold 1)
        row = np.searchsorted(ai, low, side="right") - 1 + M.getOwnershipRange()[0]
        keep[low[aj[low] == row]] = True
    counts = np.add.reduceat(keep, ai[:-1], dtype=np.int64) if len(ai) > 1 else []
    counts = np.where(np.diff(ai) > 0, counts, 0)  # reduceat of an empty row is not 0
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(PETSc.IntType)
    return indptr, aj[keep], av[keep], keep


def _without_small(M: PETSc.Mat, tol: float, bs: int, destroy: bool = False) -> PETSc.Mat:
    """A copy of the AIJ matrix ``M`` without its off-diagonal entries |a_ij| <= tol, with
    block size ``bs`` (``destroy``: free ``M`` as soon as its entries are read)."""
    sizes, comm = M.getSizes(), M.getComm()
    indptr, cols, vals, _ = _filtered_csr(M, tol)
    if destroy:
        M.destroy()
    out = PETSc.Mat().createAIJ(sizes, bsize=bs, csr=(indptr, cols, vals), comm=comm)
    out.assemble()
    return out


def rigid_body_modes(M: PETSc.Mat, x: np.ndarray) -> PETSc.NullSpace:
    """Orthonormal rigid-body modes (2D: 3, 3D: 6) of a vector field with block size = gdim
    whose owned nodes sit at ``x`` (n_owned × 3), in the row layout of ``M``: the near-nullspace
    of elasticity for GAMG."""
    return rigid_body_nullspace(M.getComm(), x, M.getBlockSize())


def rigid_body_nullspace(comm, x: np.ndarray, gdim: int) -> PETSc.NullSpace:
    """The rigid-body modes of :func:`rigid_body_modes` for ``gdim`` components on the owned
    nodes ``x`` of this rank (vectors of local size n_owned·gdim, block size gdim), without a
    matrix (e.g. for a fieldsplit index set)."""
    n = len(x)
    modes = [np.zeros((n, gdim)) for _ in range(3 if gdim == 2 else 6)]
    for i in range(gdim):
        modes[i][:, i] = 1.0
    if gdim == 2:
        modes[2][:, 0], modes[2][:, 1] = -x[:, 1], x[:, 0]
    else:
        modes[3][:, 0], modes[3][:, 1] = -x[:, 1], x[:, 0]
        modes[4][:, 0], modes[4][:, 2] = x[:, 2], -x[:, 0]
        modes[5][:, 1], modes[5][:, 2] = -x[:, 2], x[:, 1]
    basis = []
    for a in modes:
        v = PETSc.Vec().createMPI((n * gdim, PETSc.DECIDE), bsize=gdim, comm=comm)
        v.setArray(a.ravel())
        for w in basis:  # modified Gram–Schmidt
            v.axpy(-v.dot(w), w)
        v.normalize()
        basis.append(v)
    return PETSc.NullSpace().create(vectors=basis, comm=comm)


def _match_cell_dofs(xs, xc, sub_dofs, par_dofs):
    """``par_dofs`` reordered per cell so that column j sits at the point of ``sub_dofs[:, j]``
    (a submesh keeps its parent's cell-local ordering in practice: checked, and repaired by
    coordinates where it does not)."""
    scale = float(np.max(np.ptp(xc, axis=0))) if len(xc) else 1.0
    tol = 1e-10 * max(scale, np.finfo(float).tiny)
    d = np.linalg.norm(xs[sub_dofs] - xc[par_dofs], axis=2)
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


# ---------------------------------------------------------------------- coupled fieldsplit
# The scalable preconditioner of the coupled Newton step ([solver] linear_solver = "iterative",
# or "auto" above ITERATIVE_MIN_DOFS): FGMRES on the true residual around a multiplicative
# (block Gauss-Seidel) PCFIELDSPLIT over the physics, with
#   u_*        the auxiliary-space method above (SSOR ∘ P GAMG(PᵀAP) Pᵀ ∘ SSOR, the region term
#              "auto" for weak or open interfaces), the displacement fields of all regions;
#   phi_*      one GAMG V-cycle on both potentials, weak graph edges (< 0.05) dropped: the
#              aggregates must not mix across the Butler–Volmer coupling of Γ_int;
#   eta_*      the interface overpotentials: local (per Γ_int facet) equations, block Jacobi +
#              ILU(0), exact for their facet-diagonal block;
#   c          one GAMG V-cycle;
#   T*         one GAMG V-cycle on both temperature fields (threshold 0.05, as for φ).
# Reuse: A_c = PᵀAP and its hierarchy are built once per problem (the bulk is linear elastic);
# the scalar GAMG hierarchies keep their aggregation and interpolation across Newton iterations
# and steps (pc_gamg_reuse_interpolation: only the Galerkin products are redone), and their whole
# set-up while their block is unchanged (REUSE_SPLITS, CoupledFieldSplit._reuse_check).
FIELDSPLIT_DEFAULTS: dict[str, object] = {
    "ksp_type": "fgmres",
    "ksp_gmres_restart": 100,
    "ksp_rtol": 1e-10,
    "ksp_atol": 0.0,
    "ksp_max_it": 500,
    "pc_type": "fieldsplit",
    "pc_fieldsplit_type": "multiplicative",
}
# A Krylov solve that has reduced the residual by FLOOR_RTOL and then stagnates (STALL_ITS
# iterations without halving it) has reached the round-off floor of the system: it is accepted.
FLOOR_RTOL = 1e-8
STALL_ITS = 10
SPLIT_GAMG: dict[str, object] = {
    "ksp_type": "preonly",
    "pc_type": "gamg",
    "pc_gamg_coarse_eq_limit": 1000,
    "pc_gamg_reuse_interpolation": True,
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_pc_type": "jacobi",
}
# A scalar split's GAMG set-up (its Galerkin products, the coarse factorisation) is kept for a
# new Jacobian whose block of that split equals, entry by entry within REUSE_RTOL of its largest
# entry, the block it was built from (e.g. the heat block: its Newton updates change it by
# round-off only, while its Galerkin products cost more than those of the other splits together:
# benchmarks/README.md, "Targets of issue 15"); any larger change rebuilds it.
REUSE_SPLITS = ("phi", "c", "T")
REUSE_RTOL = 1e-12
SPLIT_OPTIONS: dict[str, dict[str, object]] = {
    "phi": {**SPLIT_GAMG, "pc_gamg_threshold": 0.05},
    "eta": {"ksp_type": "preonly", "pc_type": "bjacobi", "sub_pc_type": "ilu"},
    "c": dict(SPLIT_GAMG),
    "T": {**SPLIT_GAMG, "pc_gamg_threshold": 0.05},
}


def split_of(name: str) -> str | None:
    """The fieldsplit group of a field name (None: not a field the splits know)."""
    if name.startswith("u_"):
        return "u"
    if name.startswith("phi_"):
        return "phi"
    if name.startswith("eta_"):
        return "eta"
    if name == "c":
        return "c"
    if name in ("T", "T_electrode"):
        return "T"
    return None


def _total_dofs(u_blocks) -> int:
    return sum(
        u.function_space.dofmap.index_map.size_global * u.function_space.dofmap.index_map_bs
        for u in u_blocks
    )


def choose_linear_solver(user: dict, u_blocks) -> str:
    """Resolve and remove ``user["ssbx_linear_solver"]``: "direct" (MUMPS, or whatever the
    other options choose), "auxiliary" (mechanics only, the composite above) or "fieldsplit"
    (a coupled problem). "auto" is iterative from :data:`ITERATIVE_MIN_DOFS` unknowns on,
    unless the options choose the linear solver themselves (``ssbx_pc``, ``ksp_type``,
    ``pc_type``, ``pc_factor_mat_solver_type``). Raises ValueError (one line) for an unknown
    value, or for "iterative" together with ``ssbx_pc = "mumps"`` or a ``pc_type``."""
    ls = str(user.pop(LINEAR_SOLVER_KEY, "direct")).strip().lower()
    if ls not in LINEAR_SOLVERS:
        raise ValueError(
            f"solver.linear_solver: got {ls!r}, allowed one of "
            f"{', '.join(repr(c) for c in LINEAR_SOLVERS)}"
        )
    if ls == "direct" or not u_blocks:
        return "direct"
    own = [k for k in (SELECT_KEY, "ksp_type", "pc_type", "pc_factor_mat_solver_type") if k in user]
    if ls == "auto":
        tdim = u_blocks[0].function_space.mesh.topology.dim
        if own or _total_dofs(u_blocks) < ITERATIVE_MIN_DOFS.get(tdim, ITERATIVE_MIN_DOFS[3]):
            return "direct"
    elif str(user.get(SELECT_KEY, "auxiliary")).strip().lower() != "auxiliary" or (
        "pc_type" in user
    ):
        bad = SELECT_KEY if SELECT_KEY in user else "pc_type"
        raise ValueError(
            f"solver.petsc_options.{bad}: got {user[bad]!r} with solver.linear_solver = "
            "'iterative', allowed no direct/own preconditioner there (or linear_solver = 'direct')"
        )
    if all(split_of(u.name) == "u" for u in u_blocks):
        user[SELECT_KEY] = "auxiliary"
        return "auxiliary"
    return "fieldsplit"


def fieldsplit_options(user: dict, defaults: dict) -> tuple[dict, dict]:
    """PETSc options of the coupled iterative solve and the fieldsplit spec. ``user`` keys
    ``fieldsplit_<split>_*`` (split = u, phi, eta, c, T) go to that split's solver (over
    :data:`SPLIT_OPTIONS`), ``aux_*`` / ``aux_region_*`` to the inner solves of the
    displacement split (as for ``ssbx_pc = "auxiliary"``), the others to the outer solver
    (over :data:`FIELDSPLIT_DEFAULTS`)."""
    user = dict(user)
    user.pop(SELECT_KEY, None)
    regions = _regions_mode(user.pop(REGIONS_KEY, "auto"))
    opts = {k: v for k, v in defaults.items() if k not in _DIRECT_KEYS}
    opts.update(FIELDSPLIT_DEFAULTS)
    splits = {k: dict(v) for k, v in SPLIT_OPTIONS.items()}
    aux, region = {}, {}
    for k, v in user.items():
        head = next((g for g in (*SPLIT_OPTIONS, "u") if k.startswith(f"fieldsplit_{g}_")), None)
        if head is not None:
            splits.setdefault(head, {})[k[len(f"fieldsplit_{head}_") :]] = v
        elif k.startswith("aux_region_"):
            region[k[len("aux_region_") :]] = v
        elif k.startswith("aux_"):
            aux[k[len("aux_") :]] = v
        else:
            opts[k] = v
    region = {"pc_gamg_reuse_interpolation": True, **aux, **region}
    return opts, {
        "kind": "fieldsplit",
        "splits": splits,
        "aux": inner_options(aux),
        "region": inner_options(region),
        "regions": regions,
    }


def _krylov_test():
    """The outer Krylov convergence test: relative tolerance on the true residual (FGMRES is
    right-preconditioned), and the round-off floor: a residual reduced by :data:`FLOOR_RTOL` that
    stagnates for :data:`STALL_ITS` iterations is converged (the last Newton iterations solve
    for round-off-sized residuals, whose relative reduction is bounded by ε κ). Holds no
    reference to the problem (the KSP keeps its callbacks alive)."""
    R = PETSc.KSP.ConvergedReason
    hist: list[float] = []

    def test(ksp, its, rnorm):
        rtol, atol, dtol, max_it = ksp.getTolerances()
        if its == 0:
            hist.clear()
        hist.append(rnorm)
        if not np.isfinite(rnorm):
            return R.DIVERGED_NANORINF
        r0 = hist[0]
        if rnorm <= max(rtol * r0, atol):
            return R.CONVERGED_RTOL if rnorm > atol else R.CONVERGED_ATOL
        if its > STALL_ITS and rnorm <= FLOOR_RTOL * r0 and rnorm > 0.5 * hist[its - STALL_ITS]:
            return R.CONVERGED_RTOL
        if its >= max_it:
            return R.DIVERGED_MAX_IT
        if dtol > 0 and rnorm > dtol * r0:
            return R.DIVERGED_DTOL
        return R.ITERATING

    return test


def _install_post_jacobian(snes, hook) -> None:
    """Call ``hook(P)`` after every Jacobian assembly of ``snes`` (``P``: the preconditioning
    matrix). Holds ``hook`` through a weak reference to its object (the SNES keeps its callbacks
    alive; see solver.problem.CoupledProblem)."""
    import weakref

    J, P, (func, args, kargs) = snes.getJacobian()
    ref = weakref.WeakMethod(hook)

    def jacobian(snes_, x, J_, P_, *a, **kw):
        func(snes_, x, J_, P_, *a, **kw)
        h = ref()
        if h is not None:
            h(P_ if P_ is not None else J_)

    snes.setJacobian(jacobian, J, P, args=args, kargs=kargs)


class CoupledFieldSplit:
    """The fieldsplit preconditioner of a coupled ``kind="mpi"`` ``NonlinearProblem``
    (installed by :func:`attach`): the index set of every split from the block layout (on each
    rank the owned dofs of block 0, then block 1, ...), the sub-solvers configured under the
    problem's prefix (``<prefix>fieldsplit_<split>_``; their options stay in the database until
    :meth:`close`, multigrid reads them at every set-up), the displacement split with the
    auxiliary-space method. ``stats``: set-ups and timings of the displacement split;
    ``aux``: its :class:`AuxiliarySpace` (None without mechanics)."""

    def __init__(self, problem, spec, entity_maps, ufl_forms, bcs=(), block_scales=None):
        u = list(problem.u) if isinstance(problem.u, list | tuple) else [problem.u]
        names = [f.name for f in u]
        unknown = [n for n in names if split_of(n) is None]
        if unknown:
            raise ValueError(
                f"solver.linear_solver = 'iterative': no split for the fields {unknown}; "
                "allowed linear_solver = 'direct'"
            )
        self.comm = u[0].function_space.mesh.comm
        ksp = problem.solver.getKSP()
        pc = ksp.getPC()
        self.ksp = ksp
        sizes = [
            f.function_space.dofmap.index_map.size_local * f.function_space.dofmap.index_map_bs
            for f in u
        ]
        offs = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        start = self.comm.exscan(int(offs[-1])) or 0
        groups: dict[str, list[int]] = {}
        for i, n in enumerate(names):
            groups.setdefault(split_of(n), []).append(i)
        order = [g for g in ("u", "phi", "eta", "c", "T") if g in groups]
        self.groups = {g: groups[g] for g in order}
        gdim = u[0].function_space.mesh.geometry.dim
        isets = []
        for g in order:
            rows = np.concatenate([np.arange(offs[i], offs[i + 1]) for i in groups[g]]) + start
            iset = PETSc.IS().createGeneral(rows.astype(PETSc.IntType), comm=self.comm)
            if g == "u":
                iset.setBlockSize(gdim)
            isets.append((g, iset))
        self._isets = [s for _, s in isets]
        pc.setFieldSplitIS(*isets)
        ksp.setConvergenceTest(_krylov_test())
        self.prefix = ksp.getOptionsPrefix() or ""
        self._db_keys: list[str] = []
        db = PETSc.Options()
        self.aux = None
        for (g, _), sub in zip(isets, pc.getFieldSplitSubKSP()):
            sub_prefix = sub.getOptionsPrefix()
            if g == "u":
                self._mech_split(sub, u, groups["u"], spec, entity_maps, ufl_forms, bcs, gdim)
                block = [block_scales[i] for i in groups["u"]] if block_scales else None
                self.aux.block_scales = block
                # symmetric sweeps, processor-local in parallel
                user = {"sub_0_pc_sor_local_symmetric": None, **spec["splits"].get("u", {})}
            else:
                user = spec["splits"].get(g, {})
            for k, v in user.items():
                db[sub_prefix + k] = v
                self._db_keys.append(sub_prefix + k)
            sub.setFromOptions()
        self.stats = self.aux.stats if self.aux is not None else {}
        self.reuse = {g: {"reused": 0, "built": 0} for g, _ in isets if g in REUSE_SPLITS}
        self._reuse_state = {
            g: {"is": iset, "ksp": sub, "sub": None, "values": None}
            for (g, iset), sub in zip(isets, pc.getFieldSplitSubKSP())
            if g in REUSE_SPLITS
        }
        if self._reuse_state:
            _install_post_jacobian(problem.solver, self._reuse_check)

    def _mech_split(self, sub, u, idx, spec, entity_maps, ufl_forms, bcs, gdim) -> None:
        """The displacement split: SSOR ∘ (P GAMG(PᵀAP) Pᵀ [+ region term]) ∘ SSOR, one
        application (preonly); the sub-matrix rows are the owned displacement dofs of every
        rank in block order, as :class:`AuxiliarySpace` expects."""
        sub.setType("preonly")
        p = sub.getPC()
        p.setType("composite")
        p.setCompositeType(PETSc.PC.CompositeType.SYMMETRIC_MULTIPLICATIVE)
        p.addCompositePCType("sor")
        p.addCompositePCType("python")
        spaces = [u[i].function_space for i in idx]
        # the displacement conditions only (the scalar fields' live on the same submeshes)
        mbcs = [bc for bc in bcs if bc.function_space.dofmap.index_map_bs == gdim]
        self.aux = AuxiliarySpace(
            parent_mesh(ufl_forms),
            spaces,
            entity_maps,
            prefix=sub.getOptionsPrefix() + "aux_",
            inner_options=spec["aux"],
            region_options=spec["region"],
            regions=spec["regions"],
            bcs=mbcs,
        )
        p.getCompositePC(1).setPythonContext(_CoarsePC(self.aux))

    def _reuse_check(self, P: PETSc.Mat) -> None:
        """After every Jacobian assembly (``P``: the preconditioning matrix): for each split of
        :data:`REUSE_SPLITS`, keep its preconditioner (``PCSetReusePreconditioner``) when its
        block equals the one the preconditioner was built from within :data:`REUSE_RTOL`
        (every rank agreeing), else rebuild it at the coming set-up."""
        for g, st in self._reuse_state.items():
            st["sub"] = P.createSubMatrix(st["is"], st["is"], submat=st["sub"])
            v = st["sub"].getValuesCSR()[2]
            old = st["values"]
            same = old is not None and len(old) == len(v)
            if same and len(v):
                scale = float(np.max(np.abs(old)))
                same = float(np.max(np.abs(v - old))) <= REUSE_RTOL * scale
            same = bool(self.comm.allreduce(int(same), op=MPI.MIN))
            st["ksp"].getPC().setReusePreconditioner(same)
            if not same:
                st["values"] = v.copy()
            self.reuse[g]["reused" if same else "built"] += 1

    def close(self) -> None:
        """Remove the sub-solver options from the database, destroy the index sets and the
        auxiliary space (collective). Idempotent."""
        db = PETSc.Options()
        for k in self._db_keys:
            db.delValue(k)
        self._db_keys = []
        for st in getattr(self, "_reuse_state", {}).values():
            if st["sub"] is not None:
                st["sub"].destroy()
        self._reuse_state = {}
        for s in self._isets:
            s.destroy()
        self._isets = []
        if self.aux is not None:
            self.aux.close()
            self.aux = None

    def reset(self) -> None:
        """Forget A_c of the displacement split (a bulk whose stiffness changed)."""
        if self.aux is not None:
            self.aux.reset()
