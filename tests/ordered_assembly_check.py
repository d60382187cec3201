"""Assemble a two-field 3D block form many times with solver.assembly.OrderedAssembler and with
DOLFINx's PETSc assembly, under ``mpirun -n R``; rank 0 prints one JSON line: the number of
distinct matrices each gave (SHA-1 of every rank's CSR values and columns) and the relative
Frobenius difference between the two. Used by tests/unit/test_ordered_assembly.py."""

from __future__ import annotations

import hashlib
import json
import sys

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem, mesh
from dolfinx.fem.petsc import assemble_matrix, create_matrix
from mpi4py import MPI

from solver.assembly import OrderedAssembler


def block_forms(comm, n: int):
    """Displacement (P1, 3 components) and a scalar field on the unit cube: elasticity with a
    varying modulus, the div coupling both ways, a diffusion-reaction block; the displacement
    clamped on x = 0."""
    msh = mesh.create_unit_cube(comm, n, n, n)
    V = fem.functionspace(msh, ("Lagrange", 1, (3,)))
    Q = fem.functionspace(msh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    p, q = ufl.TrialFunction(Q), ufl.TestFunction(Q)
    x = ufl.SpatialCoordinate(msh)
    k = 1 + x[0] ** 2 + x[1] * x[2]

    def eps(w):
        return ufl.sym(ufl.grad(w))

    a = [
        [
            fem.form(k * ufl.inner(eps(u), eps(v)) * ufl.dx + ufl.div(u) * ufl.div(v) * ufl.dx),
            fem.form(k * p * ufl.div(v) * ufl.dx),
        ],
        [
            fem.form(q * ufl.div(u) * ufl.dx),
            fem.form(k * ufl.inner(ufl.grad(p), ufl.grad(q)) * ufl.dx + p * q * ufl.dx),
        ],
    ]
    facets = mesh.locate_entities_boundary(msh, 2, lambda y: np.isclose(y[0], 0.0))
    bc = fem.dirichletbc(np.zeros(3), fem.locate_dofs_topological(V, 2, facets), V)
    return a, [bc]


def digest(comm, M) -> str:
    _, cols, vals = M.getValuesCSR()
    mine = hashlib.sha1(vals.tobytes() + cols.tobytes()).hexdigest()
    return hashlib.sha1("".join(comm.allgather(mine)).encode()).hexdigest()


def main(n: int, repeats: int) -> dict:
    comm = MPI.COMM_WORLD
    a, bcs = block_forms(comm, n)
    M = create_matrix(a, kind="mpi")
    ordered = OrderedAssembler(a, comm)
    seen_ordered, seen_petsc = set(), set()
    for _ in range(repeats):
        ordered.assemble(M, bcs)
        seen_ordered.add(digest(comm, M))
        P = assemble_matrix(a, bcs=bcs, kind="mpi")
        P.assemble()
        seen_petsc.add(digest(comm, P))
        if _ < repeats - 1:
            P.destroy()
    D = M.copy()
    D.axpy(-1.0, P)
    out = {
        "ranks": comm.size,
        "size": M.getSize()[0],
        "distinct_ordered": len(seen_ordered),
        "distinct_petsc": len(seen_petsc),
        "relative_difference": D.norm() / P.norm(),
    }
    for obj in (D, P, M):
        obj.destroy()
    ordered.destroy()
    return out


if __name__ == "__main__":
    result = main(int(sys.argv[1]), int(sys.argv[2]))
    if MPI.COMM_WORLD.rank == 0:
        print(json.dumps(result))
