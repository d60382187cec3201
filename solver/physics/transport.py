"""Li transport in an intercalation electrode (docs/theory.md §5), backward Euler in time:

    ∫ (c − c_old)/Δt w + ∫ D ∇c·∇w + ∫_Γ (j_n / F) w = 0

D is the material's constant ``D`` or its tabulated D(c/c_max) (``D_curve``), times the
Arrhenius factor of ``Ea_D``.

j_n is the interface current from the electrode into the electrolyte (A/m²), so j_n/F is the Li
flux leaving the electrode. With w = 1 the discrete Li inventory satisfies
∫(c − c_old) = −Δt ∫ j_n/F exactly (to solver tolerance): the balance the metrics check.
The mass term is lumped (vertex quadrature) for P1, which keeps the discrete solution inside
the bounds (discrete maximum principle); a state outside (0, c_max) stops the run
(:meth:`solver.simulation.Simulation.check_state`); the metrics report min(c) and max(c)/c_max.
"""

from __future__ import annotations

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI

from meshes import tags as T
from solver.physics.electrochemistry import F_CONST, arrhenius


class Transport:
    def __init__(
        self,
        dom,
        sub_e,
        material: dict,
        *,
        degree: int = 1,
        temperature=298.15,
        T_ref: float = 298.15,
    ):
        self.dom = dom
        self.material = material
        self.V = fem.functionspace(sub_e.mesh, ("Lagrange", degree))
        self.c = fem.Function(self.V, name="c")
        self.c_old = fem.Function(self.V, name="c_old")
        c0 = material["c_init"]
        self.c.x.array[:] = c0
        self.c_old.x.array[:] = c0
        self.dt = fem.Constant(dom.mesh, 1.0)
        self.c_max = material["c_max"]
        D = material["D"]
        if material.get("D_curve"):  # a tabulated D(x), x = c/c_max (solver/curves.py)
            from solver.curves import resolve

            D = resolve(material["D_curve"], "D").ufl(self.c / self.c_max)
        self.D = arrhenius(D, material["Ea_D"], temperature, T_ref)
        self.x = ufl.SpatialCoordinate(dom.mesh)

    @property
    def spaces(self):
        return [self.V]

    @property
    def fields(self):
        return [self.c]

    def r(self, restriction=None):
        if not self.dom.axisymmetric:
            return 1.0
        w = 2.0 * np.pi * self.x[0]
        return w(restriction) if restriction else w

    def dx_mass(self):
        """The measure of the storage term and of the inventory. Lumped mass (vertex rule) for
        P1: with the consistent mass the scheme violates the discrete maximum principle for
        Δt < h²/(6D) and a strong surface flux drives the surface node below 0 (a spurious
        undershoot); the lumped one keeps 0 < c < c_max on non-obtuse meshes. The inventory
        ∫ c r dΩ is integrated with the same rule, so that the discrete Li balance (storage =
        interface flux, the test function w = 1) is exact also where r ≠ 1 (axisymmetric: the
        vertex rule does not integrate c·r exactly, so the consistent inventory would differ
        from the conserved one by O(h²), measured 6e-4 of the current)."""
        if self.V.element.basix_element.degree == 1:
            return self.dom.dx(
                T.ELECTRODE, metadata={"quadrature_rule": "vertex", "quadrature_degree": 1}
            )
        return self.dom.dx(T.ELECTRODE)

    def residual(self, vs, j_n, dS, weight=None):
        """``weight``: the interface integration weight used by the kinetics (axisymmetric
        lumped 2πr), so that the Li leaving equals the charge passed exactly."""
        return self.storage(vs[0], (self.c - self.c_old) / self.dt) + self.steady_residual(
            vs, j_n, dS, weight
        )

    def storage(self, w, rate):
        """The storage term ∫ rate w dΩ (lumped for P1, as in the residual); ``rate`` a UFL
        expression (mol/(m³ s)): (c − c_old)/Δt in the residual, iω δc in the small-signal
        response (solver.impedance)."""
        return rate * w * self.r() * self.dx_mass()

    def steady_residual(self, vs, j_n, dS, weight=None):
        """The residual without its storage term: diffusion and the interface flux j_n/F."""
        w = vs[0]
        dx = self.dom.dx(T.ELECTRODE)
        F = self.D * ufl.inner(ufl.grad(self.c), ufl.grad(w)) * self.r() * dx
        F += (j_n / F_CONST) * w("+") * (self.r("+") if weight is None else weight) * dS
        return F

    def accept(self) -> None:
        self.c_old.x.array[:] = self.c.x.array

    def reject(self) -> None:
        self.c.x.array[:] = self.c_old.x.array

    def inventory(self, entity_maps) -> float:
        """Li in the electrode, ∫ c dΩ (mol; per unit depth in 2D), with the storage term's
        quadrature (:meth:`dx_mass`)."""
        if not hasattr(self, "_inv_form"):
            self._inv_form = fem.form(self.c * self.r() * self.dx_mass(), entity_maps=entity_maps)
        form = self._inv_form
        return self.dom.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def bounds(self) -> tuple[float, float]:
        n = self.V.dofmap.index_map.size_local
        a = self.c.x.array[:n]
        comm = self.dom.comm
        return (
            comm.allreduce(float(a.min(initial=np.inf)), op=MPI.MIN),
            comm.allreduce(float(a.max(initial=-np.inf)), op=MPI.MAX),
        )
