"""Potentials and interface kinetics through a contact-gated Γ_int (PHYSICS.md §4–5).

Fields: electronic potential φ_e on the electrode, ionic potential φ_s on the ionic conductors
(electrolyte layers and coating), jumping at Γ_int. Bulk: ∇·(σ_e∇φ_e) = 0, ∇·(κ_s∇φ_s) = 0.
Interface current from the electrode into the electrolyte (A/m² of Γ_int):

    j_n = f · j_loc,   η = φ_e − φ_s − U(c) − j_loc r_film
    j_loc = i0 [exp(α_a F η/RT) − exp(−α_c F η/RT)]   (Butler–Volmer)   or   η / R_ct (linear)
    r_film = h_sei/κ_sei + d · r_con,   r_con = π a / (4 κ_s φ_mc)

f ∈ [0, 1] is the electrochemically active fraction from the contact state of the mechanics:
f = [(1 − d) + d φ_mc(p)] · s(g_n), with the micro-contact fraction φ_mc of debonded, pressed
contact (plastic min(1, p/H); Hertz or JKR asperities of radius a on a square array of spacing
ℓ: φ = π a²/ℓ² with the Hertz/JKR radius at the asperity load p ℓ²), and s a smooth switch from
1 (g_n ≤ 0) to 0 (g_n ≥ g_open) so that an open gap blocks the current. Without mechanics f = 1.

With Butler–Volmer kinetics and a film resistance the local current j_loc is an extra unknown on
the Γ_int submesh (its residual is the implicit kinetics relation at each interface point);
otherwise j_loc is explicit in the potentials.

Boundary conditions: φ_e = V on the electrode current collector (bottom face; or on the whole
electrode when it has no collector face, e.g. isolated particles: an ideal electronic network)
and φ_s = 0 on the counter side (the counter-electrode interface, else the top face of the ionic
region). V is the cell voltage: prescribed (potentiostatic) or solved for so that ∫ j_n = I
(galvanostatic; see ``solver.simulation``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from dolfinx import mesh as dmesh
from mpi4py import MPI

from meshes import tags as T

F_CONST = 96485.33212  # C/mol
R_GAS = 8.314462618  # J/(mol K)


@dataclass(frozen=True)
class Kinetics:
    kind: str = "butler_volmer"  # or "linear"
    i0: float = 10.0  # A/m^2
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    R_ct: float | None = None  # Ohm m^2 (linear)
    h_sei: float = 0.0  # m
    kappa_sei: float = 1e-6  # S/m
    microcontact: str = "plastic"  # plastic | hertz | jkr | none
    asperity_radius: float = 1e-6  # m
    asperity_spacing: float | None = None  # m (Hertz/JKR arrays; default 10 a)
    work_of_adhesion: float = 0.2  # J/m^2
    hardness: float = 1e9  # Pa (softer side)
    E_star: float = 1e10  # Pa
    g_open: float = 1e-9  # m
    constriction: bool = True


def smooth_min1(x, eps=1e-5):
    """min(1, max(x, 0)) with a rounded corner at 1 (C¹, within eps/2 of it) for Newton;
    exact to O(eps²) for small x."""
    x = ufl.max_value(x, 0.0)
    return ufl.max_value(0.5 * (1 + x - ufl.sqrt((1 - x) ** 2 + eps**2)), 0.0)


def gap_switch(g_n, g_open):
    """1 for g_n ≤ 0, 0 for g_n ≥ g_open, cubic smoothstep in between."""
    s = ufl.max_value(ufl.min_value(g_n / g_open, 1.0), 0.0)
    return 1 - s * s * (3 - 2 * s)


def microcontact_fraction(kin: Kinetics, p):
    """φ_mc(p) for debonded contact pressed by p ≥ 0 (UFL)."""
    p = ufl.max_value(p, 0.0)
    if kin.microcontact == "none":
        return 1.0
    if kin.microcontact == "plastic":
        return smooth_min1(p / kin.hardness)
    ell = kin.asperity_spacing or 10 * kin.asperity_radius
    R, Es = kin.asperity_radius, kin.E_star
    P_a = p * ell**2  # load per asperity
    if kin.microcontact == "hertz":
        a = (3 * P_a * R / (4 * Es) + 1e-60) ** (1 / 3)
    else:  # JKR: P = (4E*/3R) z² − sqrt(8πWE*) z with z = a^{3/2}
        A = 4 * Es / (3 * R)
        Bc = math.sqrt(8 * math.pi * kin.work_of_adhesion * Es)
        z = (Bc + ufl.sqrt(Bc**2 + 4 * A * P_a)) / (2 * A)
        a = z ** (2 / 3)
    return smooth_min1(math.pi * a**2 / ell**2)


def arrhenius(value, Ea, T, T_ref=298.15):
    if not Ea:
        return value
    return value * ufl.exp(-Ea / R_GAS * (1 / T - 1 / T_ref))


class Electrochemistry:
    """φ_e, φ_s (and j_loc where needed) with their residuals and boundary conditions."""

    def __init__(
        self,
        dom,
        materials: dict,
        kin: Kinetics,
        *,
        mech=None,
        degree: int = 1,
        temperature=298.15,
        ocv=None,
        c=None,
        T_ref: float = 298.15,
        counter_boundary: str = "auto",
    ):
        self.dom, self.msh = dom, dom.mesh
        self.kin, self.mech = kin, mech
        self.materials = materials
        self.T = temperature
        self.T_ref = T_ref
        self.counter_boundary = counter_boundary
        cell_values = dom.cell_tag_values()
        self.ionic_tags = tuple(t for t in cell_values if T.is_electrolyte(t) or t == T.COATING)
        self.sub_e = dom.subdomain((T.ELECTRODE,))
        self.sub_s = dom.subdomain(self.ionic_tags)
        for sub in (self.sub_e, self.sub_s):
            sub.mesh.topology.create_connectivity(dom.tdim - 1, dom.tdim)
        self.V_e = fem.functionspace(self.sub_e.mesh, ("Lagrange", degree))
        self.V_s = fem.functionspace(self.sub_s.mesh, ("Lagrange", degree))
        self.phi_e = fem.Function(self.V_e, name="phi_e")
        self.phi_s = fem.Function(self.V_s, name="phi_s")
        self.phi_e_prev = fem.Function(self.V_e)
        self.phi_s_prev = fem.Function(self.V_s)
        self.V_cell = fem.Constant(self.msh, 0.0)
        self.itf = dom.interfaces[T.INTERFACE]
        self.entity_maps = [self.sub_e.cell_map, self.sub_s.cell_map, self.itf.facet_map]
        self.x = ufl.SpatialCoordinate(self.msh)
        self.c = c  # concentration on the electrode (Function) or None
        self.ocv = ocv if ocv is not None else (lambda c: 0.0)
        self.dS = dom.interface_measure(
            {"quadrature_rule": "vertex", "quadrature_degree": 1} if degree == 1 else {}
        )
        # history/point space on Γ_int (vertex quadrature points): for j_loc unknown & outputs
        self.Q = (
            mech.interfaces[0].Q
            if mech is not None and mech.interfaces
            else fem.functionspace(self.itf.submesh, ("DG", degree))
        )
        self.film = kin.h_sei > 0 or (
            mech is not None and kin.constriction and kin.microcontact != "none"
        )
        self.implicit = kin.kind == "butler_volmer" and self.film
        self.j_loc = fem.Function(self.Q, name="j_loc") if self.implicit else None
        self._interface_terms()
        self.bcs = self._bcs()

    # ------------------------------------------------------------------ properties
    def kappa(self, tag: int):
        m = self.materials[T.cell_name(tag)]
        return arrhenius(m["kappa"], m.get("Ea_kappa", 0.0) or 0.0, self.T, self.T_ref)

    def sigma_e(self):
        return self.materials["electrode"]["sigma_e"]

    @property
    def spaces(self):
        return [self.V_e, self.V_s] + ([self.Q] if self.implicit else [])

    @property
    def fields(self):
        return [self.phi_e, self.phi_s] + ([self.j_loc] if self.implicit else [])

    def r(self, restriction=None):
        if not self.dom.axisymmetric:
            return 1.0
        w = 2.0 * np.pi * self.x[0]
        return w(restriction) if restriction else w

    # ------------------------------------------------------------------ interface law
    def _interface_terms(self) -> None:
        kin = self.kin
        m = self.mech
        if m is not None and m.interfaces:
            st = m.interfaces[0].state
            d = st.damage
            p = -st.t_n
            phi_mc = microcontact_fraction(kin, p)
            f = ((1 - d) + d * phi_mc) * gap_switch(st.g_n, kin.g_open)
        else:
            d, phi_mc, f = 0.0, 1.0, 1.0
        self.f, self.phi_mc, self.d = f, phi_mc, d
        electrolyte_side = self.itf.minus_tags[0]
        kappa_s = self.materials[T.cell_name(electrolyte_side)]["kappa"]
        r_film = kin.h_sei / kin.kappa_sei if kin.h_sei > 0 else 0.0
        if m is not None and kin.constriction and kin.microcontact != "none":
            r_con = math.pi * kin.asperity_radius / (4 * kappa_s) / ufl.max_value(phi_mc, 1e-8)
            r_film = r_film + d * r_con
        self.r_film = r_film
        c_plus = self.c("+") if self.c is not None else None
        U = self.ocv(c_plus) if c_plus is not None else self.ocv(None)
        self.U = U
        self.dphi = self.phi_e("+") - self.phi_s("-") - U
        FRT = F_CONST / (
            R_GAS * self.T("+")
            if isinstance(self.T, ufl.core.expr.Expr) and not isinstance(self.T, fem.Constant)
            else F_CONST / R_GAS
        )
        if isinstance(self.T, fem.Constant) or isinstance(self.T, float | int):
            FRT = F_CONST / (R_GAS * self.T)
        i0 = kin.i0
        self.FRT = FRT

        def bv(eta):
            return i0 * (ufl.exp(kin.alpha_a * FRT * eta) - ufl.exp(-kin.alpha_c * FRT * eta))

        if kin.kind == "linear":
            if not kin.R_ct:
                raise ValueError("interface.R_ct is required for linear kinetics")
            self.jloc_expr = self.dphi / (kin.R_ct + r_film)
        elif self.implicit:
            self.jloc_expr = self.j_loc("+")
            self.kinetics_residual = self.j_loc("+") - bv(self.dphi - self.j_loc("+") * r_film)
        else:
            self.jloc_expr = bv(self.dphi)
        self.j_n = f * self.jloc_expr
        self.eta = self.dphi - self.jloc_expr * r_film

    # ------------------------------------------------------------------ residual
    def residual(self, vs: list, extra_dS_terms=None):
        """Residual for test functions (ψ_e, ψ_s[, q])."""
        psi_e, psi_s = vs[0], vs[1]
        dx = self.dom.dx
        F = (
            self.sigma_e()
            * ufl.inner(ufl.grad(self.phi_e), ufl.grad(psi_e))
            * self.r()
            * dx(T.ELECTRODE)
        )
        for tag in self.ionic_tags:
            F += (
                self.kappa(tag)
                * ufl.inner(ufl.grad(self.phi_s), ufl.grad(psi_s))
                * self.r()
                * dx(tag)
            )
        dS = self.dS(T.INTERFACE)
        F += self.j_n * (psi_e("+") - psi_s("-")) * self.r("+") * dS
        if self.implicit:
            q = vs[2]
            F += self.kinetics_residual * q("+") * dS
        return F

    # ------------------------------------------------------------------ boundary conditions
    def _bcs(self):
        fdim = self.dom.tdim - 1
        ft_e = dmesh.transfer_meshtags_to_submesh(
            self.dom.facet_tags, self.sub_e.mesh, self.sub_e.vertex_map, self.sub_e.cell_map
        )
        ft_s = dmesh.transfer_meshtags_to_submesh(
            self.dom.facet_tags, self.sub_s.mesh, self.sub_s.vertex_map, self.sub_s.cell_map
        )
        self.ft_e, self.ft_s = ft_e, ft_s
        comm = self.dom.comm
        coll = ft_e.find(T.BOTTOM)
        if comm.allreduce(len(coll), op=MPI.SUM) > 0:
            dofs_e = fem.locate_dofs_topological(self.V_e, fdim, coll)
            self.collector = "bottom"
        else:  # isolated particles: ideal electronic network at potential V
            nloc = (
                self.sub_e.mesh.topology.index_map(self.dom.tdim).size_local
                + self.sub_e.mesh.topology.index_map(self.dom.tdim).num_ghosts
            )
            dofs_e = fem.locate_dofs_topological(
                self.V_e, self.dom.tdim, np.arange(nloc, dtype=np.int32)
            )
            self.collector = "network"
        n_counter = comm.allreduce(len(ft_s.find(T.COUNTER_INTERFACE)), op=MPI.SUM)
        if self.counter_boundary == "right":
            ref_tag = T.RIGHT
        elif self.counter_boundary == "top" or n_counter == 0:
            ref_tag = T.TOP
        else:
            ref_tag = T.COUNTER_INTERFACE
        dofs_s = fem.locate_dofs_topological(self.V_s, fdim, ft_s.find(ref_tag))
        if comm.allreduce(len(dofs_s), op=MPI.SUM) == 0:
            raise ValueError(
                "electrochemistry: the ionic region has no reference boundary "
                "(top face or counter-electrode interface)"
            )
        self.reference = T.facet_name(ref_tag)
        return [
            fem.dirichletbc(self.V_cell, dofs_e, self.V_e),
            fem.dirichletbc(np.float64(0.0), dofs_s, self.V_s),
        ]

    # ------------------------------------------------------------------ outputs
    def _scalar(self, form) -> float:
        val = fem.assemble_scalar(fem.form(form, entity_maps=self.all_entity_maps))
        return self.msh.comm.allreduce(val, op=MPI.SUM)

    @property
    def all_entity_maps(self):
        maps = list(self.entity_maps)
        if self.mech is not None:
            maps += [em for em in self.mech.entity_maps if em not in maps]
        return maps

    def current(self) -> float:
        """Total interface current ∫ j_n dΓ (A; per unit depth in 2D plane strain)."""
        return self._scalar(self.j_n * self.r("+") * self.dS(T.INTERFACE))

    def interface_integral(self, expr) -> float:
        return self._scalar(expr * self.r("+") * self.dS(T.INTERFACE))

    def point_values(self, expr) -> np.ndarray:
        """Values at the Γ_int vertex quadrature points (dofs of Q), owned entries first."""
        q = ufl.TestFunction(self.Q)
        from dolfinx import la

        b = fem.assemble_vector(
            fem.form(expr * q("+") * self.dS(T.INTERFACE), entity_maps=self.all_entity_maps)
        )
        mm = fem.assemble_vector(
            fem.form(q("+") * self.dS(T.INTERFACE), entity_maps=self.all_entity_maps)
        )
        b.scatter_reverse(la.InsertMode.add)
        mm.scatter_reverse(la.InsertMode.add)
        out = np.zeros_like(b.array)
        nz = mm.array != 0
        out[nz] = b.array[nz] / mm.array[nz]
        return out

    def point_weights(self) -> np.ndarray:
        if not hasattr(self, "_w"):
            q = ufl.TestFunction(self.Q)
            from dolfinx import la

            mm = fem.assemble_vector(
                fem.form(
                    q("+") * self.r("+") * self.dS(T.INTERFACE), entity_maps=self.all_entity_maps
                )
            )
            mm.scatter_reverse(la.InsertMode.add)
            self._w = mm.array.copy()
        return self._w

    def current_density_expressions(self):
        """(−σ_e∇φ_e on the electrode submesh, −κ∇φ_s on the ionic submesh) for output."""
        return -self.sigma_e() * ufl.grad(self.phi_e), None
