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


class OrderedAssembler:
    """Assemble the block bilinear forms ``forms`` (a list of lists, ``None`` for an empty
    block) into a ``kind="mpi"`` PETSc matrix created for them, with every off-process
    contribution summed in a fixed order (module docstring).

    Dirichlet conditions ``bcs`` act as in ``dolfinx.fem.petsc.assemble_matrix``: their rows and
    columns are zeroed and ``diag`` set on the diagonal of the diagonal blocks' constrained
    owned rows. The CSR blocks are created once and reused (the forms' sparsity is fixed).
    Raises ValueError for a block row or column without any form."""

    def __init__(self, forms, comm):
        from dolfinx import fem, la

        self.forms = forms
        rows_V, cols_V = _spaces(forms, 0), _spaces(forms, 1)
        self._rows = _Layout(comm, rows_V)
        self._cols = _Layout(comm, cols_V)
        self._blocks = []
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
                # numbering: DOLFINx binds MatrixCSR assembly only for square block sizes, so
                # every block is assembled into a sequential PETSc matrix of the same pattern
                local = PETSc.Mat().createAIJ(
                    shape,
                    csr=(indptr_all, indices_all, np.zeros(len(indices_all))),
                    comm=PETSc.COMM_SELF,
                )
                lg = [
                    PETSc.LGMap().create(np.arange(n, dtype=PETSc.IntType), comm=PETSc.COMM_SELF)
                    for n in shape
                ]
                local.setLGMap(*lg)
                indptr = indptr_all[: n_rows + 1]
                cols = self._cols.columns(j, cmap)
                J = cols[indices_all[: indptr[-1]]]
                diagonal = a.function_spaces[0] is a.function_spaces[1]
                rowmap = self._rows.owned_rows(i, n_own)
                self._blocks.append((a, A, local, indptr, J, rowmap, int(indptr[-1]), diagonal))

    def assemble(self, M: PETSc.Mat, bcs=(), diag: float = 1.0) -> None:
        """Zero ``M`` and assemble the forms into it (collective; ``M`` is final on return)."""
        from dolfinx import cpp as _cpp
        from dolfinx import fem

        _bcs = [bc._cpp_object for bc in bcs]
        M.zeroEntries()
        flush = PETSc.Mat.AssemblyType.FLUSH
        for a, A, local, indptr, J, rowmap, nnz, diagonal in self._blocks:
            local.zeroEntries()
            consts = fem.pack_constants(a)
            coeffs = fem.pack_coefficients(a)
            _cpp.fem.petsc.assemble_matrix(local, a._cpp_object, consts, coeffs, _bcs, True)
            if diagonal and _bcs:
                # owned constrained rows only (DirichletBC.dof_indices' owned range)
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
            M.setValuesIJV(indptr, J, A.data[:nnz], addv=PETSc.InsertMode.INSERT, rowmap=rowmap)
        M.assemble()

    def destroy(self) -> None:
        """Free the local matrices and the CSR blocks (collective only in name: local)."""
        for blk in self._blocks:
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
