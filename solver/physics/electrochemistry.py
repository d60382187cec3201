"""Potentials and interface kinetics through a contact-gated Γ_int (docs/theory.md §4–5).

Fields: electronic potential φ_e on the electrode, ionic potential φ_s on the ionic conductors
(electrolyte layers and coating), jumping at Γ_int. Bulk: ∇·(σ_e∇φ_e) = 0, ∇·(κ_s∇φ_s) = 0.

Interface current from the electrode into the electrolyte (A per m² of Γ_int) through the two
parallel paths of :mod:`solver.physics.contact`, whose weights follow the contact state computed
by the mechanics (decohesion D, gap g_n, registry ρ, contact pressure p):

    j_n = w_b j_kin(η_b) + w_c j_kin(η_c)
    Δφ = φ_e − φ_s − U(c) = η_b + r_sei j_kin(η_b)                (intimate contact)
                          = η_c + (r_sei + r_spot) j_kin(η_c)     (micro-contacts)
    j_kin(η) = i0 [exp(α_a F η/RT) − exp(−α_c F η/RT)]  (Butler–Volmer)  or  η / R_ct (linear)
    r_sei = h_sei/κ_sei,   r_spot = ψ_ft(√φ) πa/4 (1/κ_s + 1/σ_e)  (Holm, per unit spot area;
    ψ_ft Gibson's flux-tube factor for spots crowded at the contact fraction φ)

j_kin is the current density where the surfaces touch; w_b + w_c = f is the active fraction of
Γ_int (A_active = ∫ f dΓ). κ_s, σ_e and i0 follow the Arrhenius laws at the interface
temperature (the uniform temperature without the heat equation). Without mechanics w_b = 1.

With Butler–Volmer kinetics and a series resistance on a path, that path's kinetic overpotential
η is an extra unknown on the Γ_int submesh (one value per interface quadrature point; its
residual is the series relation above); otherwise η = Δφ (or the linear closed form).

Boundary conditions: φ_e = V on the electrode current collector (bottom face; or on the whole
electrode when it has no collector face, e.g. isolated particles: an ideal electronic network)
and φ_s = 0 on the counter side (the counter-electrode interface, else the top face, or the right
face). V is the cell voltage: prescribed (potentiostatic) or solved for so that ∫ j_n = I
(galvanostatic; see ``solver.simulation``).
"""

from __future__ import annotations

from dataclasses import dataclass

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from dolfinx import mesh as dmesh
from mpi4py import MPI

from meshes import tags as T
from solver.physics.contact import ContactLaw, IonPath, ion_path, no_contact_mechanics
from solver.physics.mechanics import interface_point_element

F_CONST = 96485.33212  # C/mol
R_GAS = 8.314462618  # J/(mol K)


@dataclass(frozen=True)
class Kinetics:
    """Charge transfer at the touching surfaces (SI units; the case's [interface] keys)."""

    kind: str  # butler_volmer | linear
    i0: float  # A/m^2 at T_ref
    alpha_a: float
    alpha_c: float
    R_ct: float | None  # Ohm m^2 (linear)
    h_sei: float  # m
    kappa_sei: float  # S/m
    # "constant", or "concentration": i0 (the value at c = c_max/2) times the lithiation factor
    # 2^(α_a+α_c) x^α_c (1 − x)^α_a of solver.curves.exchange_current_factor, x = c/c_max
    i0_dependence: str = "constant"


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
        contact: ContactLaw | None = None,
        mech=None,
        degree: int = 1,
        temperature=298.15,
        ocv=None,
        c=None,
        T_ref: float = 298.15,
        counter_boundary: str = "auto",
        T_electrode=None,
        T_ionic=None,
        T_interface=None,
        retention=None,
        Ea_i0: float = 0.0,
        Q=None,
        extra_entity_maps=(),
        interphase_thickness=None,
    ):
        self.dom, self.msh = dom, dom.mesh
        self.kin, self.mech = kin, mech
        self.contact = contact
        self.materials = materials
        self.T = temperature
        self.T_ref = T_ref
        # temperature fields of the heat equation (None: the uniform temperature ``temperature``)
        self.T_e = T_electrode if T_electrode is not None else temperature
        self.T_s = T_ionic if T_ionic is not None else temperature
        self.T_itf = T_interface if T_interface is not None else temperature
        self.retention = retention  # contact retention ψ on Γ_int (solver.physics.heat) or None
        self.heat_fields = T_interface is not None
        self.Ea_i0 = Ea_i0
        self.counter_boundary = counter_boundary
        cell_values = dom.cell_tag_values()
        self.ionic_tags = tuple(t for t in cell_values if T.is_electrolyte(t) or t == T.COATING)
        self.sub_e = dom.subdomain((T.ELECTRODE,))
        self.sub_s = dom.subdomain(self.ionic_tags)
        for sub in (self.sub_e, self.sub_s):
            sub.mesh.topology.create_connectivity(dom.tdim - 1, dom.tdim)
        self.V_e = fem.functionspace(self.sub_e.mesh, ("Lagrange", degree))
        self.V_s = fem.functionspace(self.sub_s.mesh, ("Lagrange", degree))
        self.phi_electrode = fem.Function(self.V_e, name="phi_electrode")
        self.phi_electrolyte = fem.Function(self.V_s, name="phi_electrolyte")
        self.phi_e_prev = fem.Function(self.V_e)
        self.phi_s_prev = fem.Function(self.V_s)
        self.V_cell = fem.Constant(self.msh, 0.0)
        self.itf = dom.interfaces[T.INTERFACE]
        self.entity_maps = [self.sub_e.cell_map, self.sub_s.cell_map, self.itf.facet_map]
        for em in extra_entity_maps:  # e.g. the temperature fields' submeshes
            if all(em is not e for e in self.entity_maps):
                self.entity_maps.append(em)
        self.x = ufl.SpatialCoordinate(self.msh)
        self.c = c  # concentration on the electrode (Function) or None
        self.ocv = ocv if ocv is not None else (lambda c: 0.0)
        self.dS = dom.interface_measure(
            {"quadrature_rule": "vertex", "quadrature_degree": 1}
            if degree == 1
            else ({} if dom.tdim == 2 else {"quadrature_degree": 4})
        )
        # history/point space on Γ_int (vertex quadrature points): for j_loc unknown & outputs
        if Q is not None:
            self.Q = Q
        elif mech is not None and mech.interfaces:
            self.Q = mech.interfaces[0].Q
        else:
            self.Q = fem.functionspace(self.itf.submesh, interface_point_element(degree, dom.tdim))
        self.r_sei = kin.h_sei / kin.kappa_sei if kin.h_sei > 0 else 0.0
        # a growing interphase (physics.ageing): r_sei = h/κ_sei with h the trial thickness of
        # the mechanics' Γ_int history (UFL, "+" side; solver.physics.interphase)
        grows = interphase_thickness is not None
        if grows:
            self.r_sei = interphase_thickness / kin.kappa_sei
        series_sei = grows or self.r_sei > 0
        self.contact_path = mech is not None and bool(mech.interfaces)
        if self.contact_path and contact is None:
            raise ValueError("electrochemistry with mechanics needs the interface ContactLaw")
        self.constricted = (
            self.contact_path and contact.constriction and contact.microcontact != "none"
        )
        bv = kin.kind == "butler_volmer"
        self.eta_b = fem.Function(self.Q, name="eta_bonded") if bv and series_sei else None
        self.eta_c = (
            fem.Function(self.Q, name="eta_contact")
            if bv and (self.constricted or (self.contact_path and series_sei))
            else None
        )
        self.extra = [e for e in (self.eta_b, self.eta_c) if e is not None]
        self.one = fem.Constant(self.msh, 1.0)
        self._mass = None
        from solver.forms import FormCache

        self.forms = FormCache(self.all_entity_maps)
        self.r_eff = None
        if dom.axisymmetric and degree == 1:
            from solver.physics.mechanics import _lumped_radius

            self.r_eff = mech.interfaces[0].r_eff if self.contact_path else _lumped_radius(self.Q)
        self._interface_terms()
        self.bcs = self._bcs()

    # ------------------------------------------------------------------ properties
    def kappa(self, tag: int):
        m = self.materials[T.cell_name(tag)]
        return arrhenius(m["kappa"], m["Ea_kappa"], self.T_s, self.T_ref)

    def sigma_e(self):
        m = self.materials["electrode"]
        return arrhenius(m["sigma_e"], m["Ea_sigma_e"], self.T_e, self.T_ref)

    @property
    def spaces(self):
        return [self.V_e, self.V_s] + [self.Q for _ in self.extra]

    @property
    def fields(self):
        return [self.phi_electrode, self.phi_electrolyte] + self.extra

    def r(self, restriction=None):
        if not self.dom.axisymmetric:
            return 1.0
        w = 2.0 * np.pi * self.x[0]
        return w(restriction) if restriction else w

    # ------------------------------------------------------------------ interface law
    def _interface_terms(self) -> None:
        kin = self.kin
        m = self.mech
        path: IonPath = (
            ion_path(self.contact, m.interfaces[0].state)
            if self.contact_path
            else no_contact_mechanics()
        )
        self.ion_path = path
        psi = self.retention
        self.f = path.active
        if psi is not None:
            self.f = psi * self.f
        electrolyte_side = self.itf.minus_tags[0]
        m_s = self.materials[T.cell_name(electrolyte_side)]
        # κ_s and σ_e at the interface temperature: the same Arrhenius laws as the bulk
        kappa_s = arrhenius(m_s["kappa"], m_s["Ea_kappa"], self.T_itf, self.T_ref)
        m_e = self.materials["electrode"]
        sigma_e = arrhenius(m_e["sigma_e"], m_e["Ea_sigma_e"], self.T_itf, self.T_ref)
        r_b = self.r_sei
        r_c = self.r_sei
        if self.constricted:
            r_c = r_c + path.spot_resistance((kappa_s, sigma_e))
        self.r_b, self.r_c = r_b, r_c
        c_plus = self.c("+") if self.c is not None else None
        U = self.ocv(c_plus) if c_plus is not None else self.ocv(None)
        entropic = getattr(self.ocv, "entropic", None)  # dU/dT of a tabulated OCV
        if entropic is not None:
            dUdT = entropic(c_plus)
            if dUdT is not None:
                U = U + (self.T_itf - self.T_ref) * dUdT
        self.U = U
        self.dphi = self.phi_electrode("+") - self.phi_electrolyte("-") - U
        FRT = F_CONST / (R_GAS * self.T_itf)
        self.FRT = FRT
        i0 = arrhenius(kin.i0, self.Ea_i0, self.T_itf, self.T_ref)
        if kin.i0_dependence == "concentration":
            from solver.curves import exchange_current_factor

            m_el = self.materials["electrode"]
            c_max = m_el["c_max"]
            if c_plus is not None:
                # x kept off 0 and 1 inside the power law (a Newton iterate may step outside;
                # an accepted state outside (0, c_max) stops the run: Simulation.check_state)
                x = ufl.max_value(ufl.min_value(c_plus / c_max, 1.0 - 1e-9), 1e-9)
            else:
                x = m_el["c_init"] / c_max
            i0 = i0 * exchange_current_factor(x, kin.alpha_a, kin.alpha_c)

        def j_kin(eta):
            if kin.kind == "linear":
                return eta / kin.R_ct
            # exponents capped at ±60 (|η| ≳ 3 V, far outside any physical operation): Newton
            # iterates that overshoot stay finite instead of overflowing to inf/NaN
            a = ufl.min_value(kin.alpha_a * FRT * eta, 60.0)
            b = ufl.min_value(kin.alpha_c * FRT * eta * -1.0, 60.0)
            return i0 * (ufl.exp(a) - ufl.exp(b))

        self.residuals = []

        def series(eta_fn, r):
            """(j_kin of the path, kinetic overpotential) for the series resistance r."""
            if kin.kind == "linear":
                j = self.dphi / (kin.R_ct + r)
                return j, self.dphi - j * r
            if eta_fn is None:  # no series resistance
                return j_kin(self.dphi), self.dphi
            eta = eta_fn("+")
            j = j_kin(eta)
            self.residuals.append((eta_fn, self.dphi - eta - r * j))
            return j, eta

        j_b, self.eta = series(self.eta_b, r_b)
        self.j_bonded = j_b
        if self.contact_path:
            j_c, self.eta_contact = series(self.eta_c, r_c)
            self.j_n = path.w_bonded * j_b + path.w_contact * j_c
        else:
            self.j_n = j_b
        if psi is not None:
            self.j_n = psi * self.j_n

    # ------------------------------------------------------------------ residual
    def residual(self, vs: list):
        """Residual for test functions (ψ_e, ψ_s[, q_η ...])."""
        psi_e, psi_s = vs[0], vs[1]
        dx = self.dom.dx
        F = (
            self.sigma_e()
            * ufl.inner(ufl.grad(self.phi_electrode), ufl.grad(psi_e))
            * self.r()
            * dx(T.ELECTRODE)
        )
        for tag in self.ionic_tags:
            F += (
                self.kappa(tag)
                * ufl.inner(ufl.grad(self.phi_electrolyte), ufl.grad(psi_s))
                * self.r()
                * dx(tag)
            )
        dS = self.dS(T.INTERFACE)
        F += self.j_n * (psi_e("+") - psi_s("-")) * self.r_itf() * dS
        for q, (_fn, res) in zip(vs[2:], self.residuals):
            F += res * q("+") * dS
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
    def _scalar(self, form, key=None) -> float:
        """Global value of a scalar form; ``key`` (hashable) caches the compiled form."""
        if key is None:
            compiled = fem.form(form, entity_maps=self.all_entity_maps)
        else:
            compiled = self.forms.get(key, lambda: form)
        return self.msh.comm.allreduce(fem.assemble_scalar(compiled), op=MPI.SUM)

    @property
    def all_entity_maps(self):
        maps = list(self.entity_maps)
        if self.mech is not None:
            maps += [em for em in self.mech.entity_maps if em not in maps]
        return maps

    def r_itf(self):
        """Axisymmetric weight of the Γ_int integrals with the vertex rule (lumped radius, so
        that the points on the axis keep their share; see Mechanics.r_itf); 1 otherwise."""
        if not self.dom.axisymmetric:
            return 1.0
        if self.r_eff is None:
            return self.r("+")
        return 2.0 * np.pi * self.r_eff("+")

    def current(self) -> float:
        """Total interface current ∫ j_n dΓ (A; per unit depth in 2D plane strain)."""
        return self._scalar(self.j_n * self.r_itf() * self.dS(T.INTERFACE), key="current")

    def interface_integral(self, expr) -> float:
        return self._scalar(expr * self.r_itf() * self.dS(T.INTERFACE), key=("itf", expr))

    def _projection_measure(self, expr):
        """The Γ_int measure of the lumped projection of ``expr`` (:meth:`point_values`): that
        of every interface integral where it fixes the rule (P1: vertex rule; 3D: degree 4);
        else (2D P2, degrees estimated per form) the degree that UFL estimates for
        ∫ expr r dΓ, so that Σᵢ (point value × ∫ qᵢ) is the quadrature of ∫ expr dΓ that
        :meth:`interface_integral` and :meth:`current` evaluate (the qᵢ sum to one at every
        quadrature point). The estimate for ∫ expr qᵢ is another rule: where j_n changes
        within an element (the nm-wide contact switch on a partly open rough Γ_int) the two
        differed by 2.8e-5 of the current, and the stripped Li by 1.4e-5 of its throughput
        (issue 13, rough Li | LLZO with creep)."""
        md = self.dS.metadata()
        if md.get("quadrature_degree") is not None or md.get("quadrature_rule") is not None:
            return self.dS(T.INTERFACE)
        data = ufl.algorithms.compute_form_data(
            expr * self.r_itf() * self.dS(T.INTERFACE),
            do_apply_function_pullbacks=True,
            do_apply_integral_scaling=True,
            do_apply_geometry_lowering=True,
            preserve_geometry_types=(ufl.classes.Jacobian,),
            do_apply_restrictions=True,
            do_append_everywhere_integrals=False,
            complex_mode=False,
        )
        degree = max(
            itg.metadata()["estimated_polynomial_degree"]
            for idata in data.integral_data
            for itg in idata.integrals
        )
        return self.dS(T.INTERFACE, metadata={"quadrature_degree": degree})

    def point_values(self, expr, consistent: bool = False) -> np.ndarray:
        """Values at the Γ_int vertex quadrature points (dofs of Q), owned entries first;
        ``consistent``: projected with the quadrature rule of ∫ expr dΓ
        (:meth:`_projection_measure`; the stripped thickness of a Li-metal electrode)."""
        from dolfinx import la

        q = ufl.TestFunction(self.Q)
        if self._mass is None:
            mm = fem.assemble_vector(self.forms.get("mass", lambda: q("+") * self.dS(T.INTERFACE)))
            mm.scatter_reverse(la.InsertMode.add)
            self._mass = mm.array.copy()
        b = fem.assemble_vector(
            self.forms.get(
                ("proj", expr, consistent),
                lambda: (
                    expr
                    * q("+")
                    * (self._projection_measure(expr) if consistent else self.dS(T.INTERFACE))
                ),
            )
        )
        b.scatter_reverse(la.InsertMode.add)
        out = np.zeros_like(b.array)
        nz = self._mass != 0
        out[nz] = b.array[nz] / self._mass[nz]
        return out

    def point_weights(self) -> np.ndarray:
        if not hasattr(self, "_w"):
            q = ufl.TestFunction(self.Q)
            from dolfinx import la

            mm = fem.assemble_vector(
                fem.form(
                    q("+") * self.r_itf() * self.dS(T.INTERFACE), entity_maps=self.all_entity_maps
                )
            )
            mm.scatter_reverse(la.InsertMode.add)
            self._w = mm.array.copy()
        return self._w

    def current_density_expressions(self):
        """(−σ_e∇φ_e on the electrode submesh, −κ∇φ_s on the ionic submesh) for output."""
        return -self.sigma_e() * ufl.grad(self.phi_electrode), None
