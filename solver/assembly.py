"""Matrix assembly whose result does not depend on MPI message timing.

DOLFINx assembles a bilinear form into a PETSc ``MPIAIJ`` matrix with ``MatSetValuesLocal``;
the contributions of a rank's cells to rows owned by another rank go to PETSc's stash and are
added on ``MatAssemblyEnd`` *in the order their messages arrive*. On two ranks every rank has at
most one neighbour, so the order is fixed. On three or more, an entry on an edge or vertex
shared by three partitions receives contributions from two other ranks, summed in either order:
the Jacobian differs in its last bits from run to run (measured: a 3D P1 elasticity form
assembled 40 times on 3 ranks gave 2 distinct matrices), a Newton iteration near a tolerance
then takes another path, and identical runs give results that differ by up to 3e-10 (the
default case on 3 ranks, benchmarks/repeatability.py).

:class:`OrderedAssembler` removes that source: every block is assembled into a DOLFINx
:class:`dolfinx.la.MatrixCSR`, whose reverse scatter adds the ghost rows into their owners in
neighbour order (fixed), and the owned rows are then *inserted* into the PETSc matrix (no
off-process entry, nothing in the stash). The price is one more copy of the matrix while it is
assembled (the CSR blocks, kept between assemblies) and the copy itself.
:func:`ordered_assembly_needed` says when ssbx uses it (3 ranks or more, docs/theory.md §10.4).

With ``drop_phantoms`` it also leaves out of the PETSc matrix the phantom interface couplings
of DOLFINx 0.11's sparsity (:class:`_Phantoms`); solver.problem.CoupledProblem does so with the
iterative solver, on any number of ranks.
"""

from __future__ import annotations

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
from petsc4py import PETSc

# From this many ranks on, the PETSc stash sums off-process contributions in message-arrival
# order (below it every rank has at most one neighbour to receive from).
ORDERED_MIN_RANKS = 3


def ordered_assembly_needed(comm) -> bool:
    """True when a matrix assembled on ``comm`` through PETSc's stash could differ from run to
    run (``comm.size`` >= :data:`ORDERED_MIN_RANKS`)."""
    return comm.size >= ORDERED_MIN_RANKS


def _spaces(forms, axis: int) -> list:
    """The function space of every block row (``axis`` 0) or column (1) of ``forms``."""
    n = len(forms) if axis == 0 else len(forms[0])
    out = []
    for k in range(n):
        row = forms[k] if axis == 0 else [r[k] for r in forms]
        V = next((a.function_spaces[axis] for a in row if a is not None), None)
        if V is None:
            raise ValueError(f"block {'row' if axis == 0 else 'column'} {k} has no form")
        out.append(V)
    return out


class _Layout:
    """The monolithic numbering of a ``kind="mpi"`` block matrix: on each rank the owned dofs of
    block 0, then block 1, ...; ranks in order (``dolfinx.fem.petsc.create_matrix``)."""

    def __init__(self, comm, spaces):
        self.bs = [V.dofmap.index_map_bs for V in spaces]
        maps = [V.dofmap.index_map for V in spaces]
        mine = np.array([m.size_local * b for m, b in zip(maps, self.bs)], dtype=np.int64)
        sizes = np.array(comm.allgather(mine), dtype=np.int64).reshape(comm.size, len(spaces))
        self.rank_start = np.concatenate([[0], np.cumsum(sizes.sum(axis=1))])[:-1]
        self.block_prefix = np.cumsum(sizes, axis=1) - sizes  # (ranks, blocks)
        self.range_start = [
            np.array(comm.allgather(m.local_range[0]), dtype=np.int64) for m in maps
        ]
        self.rank = comm.rank

    def owned_rows(self, i: int, n_local_blocks: int) -> np.ndarray:
        """Monolithic global indices of the owned scalar rows of block ``i``."""
        start = self.rank_start[self.rank] + self.block_prefix[self.rank, i]
        return (start + np.arange(n_local_blocks * self.bs[i], dtype=np.int64)).astype(
            PETSc.IntType
        )

    def columns(self, j: int, imap) -> np.ndarray:
        """Monolithic global indices of every local column (owned, then ghosts) of ``imap``, the
        scalar column map of an expanded-mode CSR block of block column ``j`` (the space's dofs
        unrolled, possibly with more ghosts than the space's own map)."""
        n_own, n_gh = imap.size_local, imap.num_ghosts
        owners = np.concatenate([np.full(n_own, self.rank, dtype=np.int64), imap.owners])
        glob = imap.local_to_global(np.arange(n_own + n_gh, dtype=np.int32)).astype(np.int64)
        local_on_owner = glob - self.range_start[j][owners] * self.bs[j]
        mono = self.rank_start[owners] + self.block_prefix[owners, j] + local_on_owner
        return mono.astype(PETSc.IntType)


class _Phantoms:
    """The phantom couplings of DOLFINx 0.11's sparsity for interior-facet integrals between two
    subdomains, and which entries of a block's owned rows to keep.

    Where a facet of Γ_int has no cell of a block's subdomain on one side, DOLFINx 0.11 takes the
    dofs of the rank's local cell 0 for that side: on every rank the block's first local dof
    (all its components) is coupled to every interface dof of every block, and every interface
    dof to it; the assembler writes zeros there. Measured on the 3D coupled benchmark
    (benchmarks/coupled.py, 2.7e4 dofs): rows of 7,809 entries against a mean of 50, 7.5 % of
    all entries. PETSc's multigrid works with the structure: the Galerkin products of the
    fieldsplit blocks turned dense (operator complexity 6.3 for the heat block) and grew with
    the square of the interface: at 1.3e6 dofs 225 s of a 703 s step (benchmarks/README.md).

    An entry of a block's first local dof (row) or of any rank's first dof (column) is kept when
    its row and column dofs lie within three times the largest diameter of the cells holding
    that first dof: a genuine coupling joins dofs of one cell, or of two cells sharing a
    facet."""

    def __init__(self, comm, rows_V, cols_V, rows: _Layout, cols: _Layout):
        self.rows, self.cols = rows, cols
        self.x_rows = [V.tabulate_dof_coordinates() for V in rows_V]
        self.x_cols = [V.tabulate_dof_coordinates() for V in cols_V]
        # this rank's first dof of every row block: (position, radius)
        self.hub_rows = [self._hub(V, x) for V, x in zip(rows_V, self.x_rows)]
        # every rank's first dof of every column block: (monolithic indices (sorted), positions,
        # radii), one entry per scalar component
        self.hub_cols = []
        for j, V in enumerate(cols_V):
            hub = self._hub(V, self.x_cols[j])
            mine = (
                []
                if hub is None
                else [(int(cols.rank_start[comm.rank] + cols.block_prefix[comm.rank, j]), *hub)]
            )
            every = [e for part in comm.allgather(mine) for e in part]
            bs = cols.bs[j]
            idx = np.array([m + k for m, _, _ in every for k in range(bs)], dtype=np.int64)
            xyz = np.array([x for _, x, _ in every for _k in range(bs)]).reshape(-1, 3)
            rad = np.array([r for _, _, r in every for _k in range(bs)], dtype=float)
            order = np.argsort(idx)
            self.hub_cols.append((idx[order], xyz[order], rad[order]))

    @staticmethod
    def _hub(V, x) -> tuple[np.ndarray, float] | None:
        """(position, radius) of the first local dof of ``V`` (None without owned dofs): the
        radius is three times the largest diameter of the cells that hold it, the reach of a
        genuine coupling (one cell, or two cells sharing a facet)."""
        from dolfinx import cpp as _cpp

        if V.dofmap.index_map.size_local == 0:
            return None
        msh = V.mesh
        tdim = msh.topology.dim
        n = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
        dofs = np.asarray(V.dofmap.map())[:n]
        cells = np.nonzero(np.any(dofs == 0, axis=1))[0].astype(np.int32)
        h = _cpp.mesh.h(msh, tdim, cells) if len(cells) else np.zeros(1)
        return np.asarray(x[0], dtype=float), 3.0 * float(np.max(h))

    def keep(self, i: int, j: int, row_of, local_cols, J) -> np.ndarray:
        """Mask of the entries to keep among a block's owned-row entries (``row_of``: the local
        row of each, ``local_cols``: their CSR-local columns, ``J``: their monolithic columns)."""
        bs_i, bs_j = self.rows.bs[i], self.cols.bs[j]
        keep = np.ones(len(J), dtype=bool)
        hub_idx, hub_x, hub_r = self.hub_cols[j]
        at_hub_col = np.isin(J, hub_idx)
        at_hub_row = row_of < bs_i if self.hub_rows[i] is not None else np.zeros(len(J), bool)
        s = np.nonzero(at_hub_row | at_hub_col)[0]
        if len(s) == 0:
            return keep
        x_row = self.x_rows[i][row_of[s] // bs_i]
        x_col = np.full((len(s), 3), np.nan)
        radius = np.zeros(len(s))
        h = at_hub_col[s]
        if h.any():
            k = np.searchsorted(hub_idx, J[s][h])
            x_col[h] = hub_x[k]
            radius[h] = hub_r[k]
        known = len(self.x_cols[j])  # the space's own local dofs (owned + its ghosts)
        lc = local_cols[s][~h] // bs_j
        ok = lc < known
        tmp = np.full((len(lc), 3), np.nan)
        tmp[ok] = self.x_cols[j][lc[ok]]
        x_col[~h] = tmp
        r = at_hub_row[s]
        if r.any():
            radius[r] = np.maximum(radius[r], self.hub_rows[i][1])
        d = np.linalg.norm(x_row - x_col, axis=1)
        far = d > radius  # (NaN: unknown position, kept)
        keep[s[far]] = False
        return keep


class OrderedAssembler:
    """Assemble the block bilinear forms ``forms`` (a list of lists, ``None`` for an empty
    block) into a ``kind="mpi"`` PETSc matrix created for them, with every off-process
    contribution summed in a fixed order (module docstring).

    Dirichlet conditions ``bcs`` act as in ``dolfinx.fem.petsc.assemble_matrix``: their rows and
    columns are zeroed and ``diag`` set on the diagonal of the diagonal blocks' constrained
    owned rows. The CSR blocks are created once and reused (the forms' sparsity is fixed).
    ``drop_phantoms``: leave out DOLFINx 0.11's phantom interface couplings (:class:`_Phantoms`;
    the target matrix must then come from :meth:`create_matrix`; ``dropped`` counts them).
    Raises ValueError for a block row or column without any form."""

    def __init__(self, forms, comm, drop_phantoms: bool = False):
        from dolfinx import fem, la

        rows_V, cols_V = _spaces(forms, 0), _spaces(forms, 1)
        self._rows = _Layout(comm, rows_V)
        self._cols = _Layout(comm, cols_V)
        self._blocks = []
        self.dropped = 0  # phantom entries left out on this rank (drop_phantoms)
        phantoms = (
            _Phantoms(comm, rows_V, cols_V, self._rows, self._cols) if drop_phantoms else None
        )
        for i, row in enumerate(forms):
            for j, a in enumerate(row):
                if a is None:
                    continue
                A = fem.create_matrix(a, block_mode=la.BlockMode.expanded)
                n_own = rows_V[i].dofmap.index_map.size_local
                n_rows = n_own * self._rows.bs[i]
                indptr_all = np.asarray(A.indptr, dtype=PETSc.IntType)
                indices_all = np.asarray(A.indices, dtype=PETSc.IntType)
                cmap = A.index_map(1)  # expanded mode: scalar maps
                shape = (len(indptr_all) - 1, cmap.size_local + cmap.num_ghosts)
                # the rank's own contributions, ghost rows included, in the CSR's local
                # numbering: DOLFINx binds MatrixCSR assembly only for equal block sizes of the
                # two spaces, so the other blocks are assembled into a sequential PETSc matrix
                # of the same pattern and copied
                local = None
                if (
                    a.function_spaces[0].dofmap.index_map_bs
                    != a.function_spaces[1].dofmap.index_map_bs
                ):
                    local = PETSc.Mat().createAIJ(
                        shape,
                        csr=(indptr_all, indices_all, np.zeros(len(indices_all))),
                        comm=PETSc.COMM_SELF,
                    )
                    lg = [
                        PETSc.LGMap().create(
                            np.arange(n, dtype=PETSc.IntType), comm=PETSc.COMM_SELF
                        )
                        for n in shape
                    ]
                    local.setLGMap(*lg)
                indptr = indptr_all[: n_rows + 1]
                cols = self._cols.columns(j, cmap)
                J = cols[indices_all[: indptr[-1]]]
                diagonal = a.function_spaces[0] is a.function_spaces[1]
                rowmap = self._rows.owned_rows(i, n_own)
                nnz = int(indptr[-1])
                sel = None
                if phantoms is not None:
                    row_of = np.repeat(np.arange(n_rows), np.diff(indptr))
                    keep = phantoms.keep(i, j, row_of, indices_all[:nnz], J)
                    sel = np.nonzero(keep)[0]
                    self.dropped += nnz - len(sel)
                    counts = np.bincount(row_of[sel], minlength=n_rows)
                    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(PETSc.IntType)
                    J = J[sel]
                self._blocks.append((a, A, local, indptr, J, rowmap, nnz, diagonal, sel))

    def assemble(self, M: PETSc.Mat, bcs=(), diag: float = 1.0) -> None:
        """Zero ``M`` and assemble the forms into it (collective; ``M`` is final on return)."""
        from dolfinx import cpp as _cpp
        from dolfinx import fem

        _bcs = [bc._cpp_object for bc in bcs]
        M.zeroEntries()
        flush = PETSc.Mat.AssemblyType.FLUSH
        for a, A, local, indptr, J, rowmap, nnz, diagonal, sel in self._blocks:
            consts = fem.pack_constants(a)
            coeffs = fem.pack_coefficients(a)
            if local is None:  # square block sizes: straight into the CSR
                A.set_value(0.0)
                _cpp.fem.assemble_matrix(A._cpp_object, a._cpp_object, consts, coeffs, _bcs)
                if diagonal and _bcs:
                    # owned constrained rows only (DirichletBC.dof_indices' owned range)
                    _cpp.fem.insert_diagonal(A._cpp_object, a.function_spaces[0], _bcs, diag)
            else:
                local.zeroEntries()
                _cpp.fem.petsc.assemble_matrix(local, a._cpp_object, consts, coeffs, _bcs, True)
                if diagonal and _bcs:
                    local.assemble(flush)
                    _cpp.fem.petsc.insert_diagonal(local, a.function_spaces[0], _bcs, diag)
                local.assemble()
                values = local.getValuesCSR()[2]
                if len(values) != len(A.data):
                    raise RuntimeError(
                        f"ordered assembly: the local matrix has {len(values)} entries, "
                        f"its pattern {len(A.data)}"
                    )
                A.data[:] = values
            A.scatter_reverse()  # ghost rows into their owners, in neighbour order
            values = A.data[:nnz] if sel is None else A.data[:nnz][sel]
            M.setValuesIJV(indptr, J, values, addv=PETSc.InsertMode.INSERT, rowmap=rowmap)
        M.assemble()

    def create_matrix(self, template: PETSc.Mat) -> PETSc.Mat:
        """A PETSc matrix with exactly the entries this assembler writes (without the phantom
        couplings when they are dropped), the layout, local-to-global maps and options prefix
        of ``template`` (a ``dolfinx.fem.petsc.create_matrix(forms, kind="mpi")`` matrix)."""
        r0, r1 = template.getOwnershipRange()
        rows = [
            np.repeat(rowmap, np.diff(indptr)) for _, _, _, indptr, _, rowmap, *_ in self._blocks
        ]
        cols = [blk[4] for blk in self._blocks]
        rows = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
        cols = np.concatenate(cols).astype(np.int64) if cols else np.zeros(0, np.int64)
        order = np.lexsort((cols, rows))
        rows, cols = rows[order], cols[order]
        ai = np.concatenate([[0], np.cumsum(np.bincount(rows - r0, minlength=r1 - r0))])
        M = PETSc.Mat().createAIJ(
            template.getSizes(),
            csr=(ai.astype(PETSc.IntType), cols.astype(PETSc.IntType)),
            comm=template.getComm(),
        )
        M.setLGMap(*template.getLGMap())
        prefix = template.getOptionsPrefix()
        if prefix:
            M.setOptionsPrefix(prefix)
        return M

    def destroy(self) -> None:
        """Free the local matrices and the CSR blocks (collective only in name: local)."""
        for blk in self._blocks:
            if blk[2] is not None:
                blk[2].destroy()
        self._blocks = []


def assemble_block_matrix(forms, comm) -> PETSc.Mat:
    """The assembled (final) PETSc matrix of the block bilinear forms ``forms`` (a list of lists,
    ``None`` for an empty block; no Dirichlet conditions), in the monolithic layout of
    ``dolfinx.fem.petsc.create_matrix``: ordered (:class:`OrderedAssembler`) where
    :func:`ordered_assembly_needed`, else DOLFINx's PETSc assembly. The caller destroys it."""
    from dolfinx.fem.petsc import assemble_matrix, create_matrix

    if not ordered_assembly_needed(comm):
        M = assemble_matrix(forms)
        M.assemble()
        return M
    M = create_matrix(forms)
    assembler = OrderedAssembler(forms, comm)
    assembler.assemble(M)
    assembler.destroy()
    return M
