r"""Heat on every domain, with a temperature jump across Γ_int (docs/theory.md §6).

Fields: T_e on the electrode and T_o on every other cell (electrolyte layers, coating, counter
electrode, pad: one continuous field, the thermal contact between them is perfect). Backward
Euler in time:

    ∫ ρc_p (T − T_old)/Δt w + ∫ k ∇T·∇w − ∫ q w                          (each side)
    + ∫_Γ [h_c (T_e⁺ − T_o⁻) − q_Γ/2] w_e⁺ + ∫_Γ [−h_c (T_e⁺ − T_o⁻) − q_Γ/2] w_o⁻
    + ∫_conv h_conv (T − T_amb) w = 0

Sources: bulk Joule heat q = σ_e|∇φ_e|² (electrode) and κ|∇φ_s|² (ionic conductors), evaluated
with the same (temperature-dependent) conductivities as the potential equations; interfacial
heat q_Γ = j_n·(φ_e⁺ − φ_s⁻ − U), the power dissipated by the kinetics, the interphase film and
the micro-contact constriction (all irreversible; the reversible entropic heat is not modelled),
shared equally by the two sides. With these sources Joule + interfacial heat = I·V − ∫ j_n U dΓ
exactly (the electrical power not stored as chemical energy). The energy bookkeeping is not
done here: :mod:`solver.balances` writes the terms of this equation again, independently of
these forms, so that the balances it reports can fail when this residual is wrong.

Contact conductance across Γ_int, through the same two parallel paths as the current
(:mod:`solver.physics.contact`: intimate-contact fraction w_b, micro-contact fraction w_c):

    h_c = ψ [ w_b h_bonded + w_c (1/h_bonded + 1/h_spot)⁻¹ ] + h_gap D (1 − s(g_n)),
    h_spot = 2 k_s/(π a ψ_ft(√φ))

h_spot is the Cooper–Mikic–Yovanovich constriction conductance of the micro-contacts per unit spot
area (2 k_s a/ψ_ft per spot of radius a, k_s = 2k₁k₂/(k₁ + k₂), ψ_ft Gibson's flux-tube factor),
the thermal analogue of the Holm r_spot of the current; h_bonded the conductance of the touching
surfaces (Kapitza); h_gap an optional conductance of the open gap (gas, radiation), acting on the
decohered part that is apart, D (1 − s). Without mechanics h_c = ψ h_bonded.

Contact shrinkage (contact-scale runaway, docs/theory.md §6 and §8): with ``tau_shrink``
set, a retention ψ ∈ (0, 1] at each Γ_int point multiplies the contact: the active fraction, the
interface current and h_c. It relaxes to 1 under the stack pressure on the time τ_r and shrinks
by thermally activated softening (creep of the interphase, void growth) at the rate
(A(T) − 1)/τ_s, A(T) = exp[−(E_soft/R)(1/T − 1/T_0)], T at the interface (the mean of both sides):

    dψ/dt = (1 − ψ)/τ_r − ψ (A(T) − 1)⁺/τ_s

This is the field form of the lumped model of ``solver.reduced.runaway``. It is integrated by
backward Euler in the monolithic step: ψ = (ψ_old + Δt/τ_r) / (1 + Δt/τ_r + Δt (A − 1)⁺/τ_s), a
closed form of the unknown T, so ψ, T, the potentials and the mechanics converge together;
ψ_old is committed on accepted steps only.

Outer boundaries: top and bottom faces convective (h_conv, T_amb), fixed (T = T_amb, or the face's
own ``T_top`` / ``T_bottom``) or insulated; the lateral faces are insulated (symmetry planes of the
periodic unit cell).
"""

from __future__ import annotations

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from dolfinx import mesh as dmesh
from mpi4py import MPI

from meshes import tags as T
from solver.physics.contact import ion_path
from solver.physics.electrochemistry import R_GAS
from solver.physics.mechanics import interface_point_element

BC_KINDS = ("convective", "fixed", "insulated")


def softening(T, Ea, T0):
    """A(T) = exp[−(Ea/R)(1/T − 1/T0)] for a UFL temperature T (1.0 when Ea = 0)."""
    if not Ea:
        return 1.0
    return ufl.exp(-Ea / R_GAS * (1 / T - 1 / T0))


class Heat:
    """T_e, T_o with their residual, boundary conditions, sources and energy bookkeeping."""

    def __init__(
        self,
        dom,
        materials: dict,
        thermal: dict,
        *,
        degree: int = 1,
        T_init: float = 298.15,
        T_ambient: fem.Constant,
        contact=None,
    ):
        self.dom, self.msh = dom, dom.mesh
        self.materials = materials
        self.contact = contact
        self.mech = None  # the Mechanics, set by the Simulation once it is built
        self.T_amb = T_ambient
        self.h_conv = float(thermal["h_conv"])
        self.h_bonded = float(thermal["h_bonded"])
        self.h_gap = float(thermal["h_gap"])
        self.bc_kind = {T.TOP: thermal["top"], T.BOTTOM: thermal["bottom"]}
        # fixed faces: a prescribed temperature of their own (a heater, a cold plate), else T_amb
        self.T_face = {
            tag: fem.Constant(self.msh, float(v)) if v is not None else T_ambient
            for tag, v in ((T.TOP, thermal.get("T_top")), (T.BOTTOM, thermal.get("T_bottom")))
        }
        tags = dom.cell_tag_values()
        self.other_tags = tuple(t for t in tags if t != T.ELECTRODE)
        self.sub_e = dom.subdomain((T.ELECTRODE,))
        self.sub_o = dom.subdomain(self.other_tags)
        self.V_e = fem.functionspace(self.sub_e.mesh, ("Lagrange", degree))
        self.V_o = fem.functionspace(self.sub_o.mesh, ("Lagrange", degree))
        self.T_e = fem.Function(self.V_e, name="T_electrode")
        self.T_o = fem.Function(self.V_o, name="T")
        self.T_e_old = fem.Function(self.V_e)
        self.T_o_old = fem.Function(self.V_o)
        for f in (self.T_e, self.T_o, self.T_e_old, self.T_o_old):
            f.x.array[:] = T_init
        self.inv_dt = fem.Constant(self.msh, 0.0)
        self.dt = fem.Constant(self.msh, 0.0)
        self.x = ufl.SpatialCoordinate(self.msh)
        self.itf = dom.interfaces[T.INTERFACE]
        self.entity_maps = [self.sub_e.cell_map, self.sub_o.cell_map, self.itf.facet_map]
        self.T_itf = 0.5 * (self.T_e("+") + self.T_o("-"))
        # interface points: DG on the Γ_int submesh, the element of the mechanics' history space
        self.Q = fem.functionspace(self.itf.submesh, interface_point_element(degree, dom.tdim))
        self.dS = dom.interface_measure(
            {"quadrature_rule": "vertex", "quadrature_degree": 1}
            if degree == 1
            else ({} if dom.tdim == 2 else {"quadrature_degree": 4})
        )
        # contact shrinkage (retention ψ)
        self.tau_s = thermal["tau_shrink"]
        self.tau_r = float(thermal["tau_recover"])
        self.Ea_soft = float(thermal["Ea_soft"])
        self.T0_soft = float(T_ambient.value)
        self.psi_old = None
        self.psi = None
        if self.tau_s:
            self.psi_old = fem.Function(self.Q, name="retention")
            self.psi_old.x.array[:] = 1.0
            A1 = ufl.max_value(softening(self.T_itf, self.Ea_soft, self.T0_soft) - 1.0, 0.0)
            a = self.dt / self.tau_r
            self.psi = (self.psi_old("+") + a) / (1.0 + a + self.dt * A1 / float(self.tau_s))
        self.r_weight = None  # interface weight (axisymmetric lumped radius), set by the caller
        self.sources = None  # (bulk {tag: q}, q_Γ) set by set_sources
        self._bc_setup()

    # ------------------------------------------------------------------ helpers
    def field_of(self, tag: int):
        return self.T_e if tag == T.ELECTRODE else self.T_o

    def old_of(self, tag: int):
        return self.T_e_old if tag == T.ELECTRODE else self.T_o_old

    def r(self, restriction=None):
        if not self.dom.axisymmetric:
            return 1.0
        w = 2.0 * np.pi * self.x[0]
        return w(restriction) if restriction else w

    def r_itf(self):
        if self.r_weight is not None:
            return self.r_weight
        return self.r("+")

    @property
    def spaces(self):
        return [self.V_e, self.V_o]

    @property
    def fields(self):
        return [self.T_e, self.T_o]

    def rho_cp(self, tag: int) -> float:
        m = self.materials[T.cell_name(tag)]
        return m["density"] * m["cp"]

    def k(self, tag: int) -> float:
        return self.materials[T.cell_name(tag)]["k_th"]

    def contact_conductance(self):
        """h_c on Γ_int (UFL, "+"-restricted quantities)."""
        psi = self.psi if self.psi is not None else 1.0
        m = self.mech
        if m is None or not m.interfaces:
            return psi * self.h_bonded + self.h_gap
        path = ion_path(self.contact, m.interfaces[0].state)
        c = self.contact
        if c.microcontact != "none" and c.constriction:
            h_spot = path.spot_conductance(self.k(T.ELECTRODE), self.k(self.itf.minus_tags[0]))
            h_mc = 1.0 / (1.0 / self.h_bonded + 1.0 / h_spot)
        else:
            h_mc = self.h_bonded
        h_c = psi * (path.w_bonded * self.h_bonded + path.w_contact * h_mc)
        if self.h_gap:  # across the open part: decohered and apart
            h_c = h_c + self.h_gap * path.decohesion * (1 - path.switch)
        return h_c

    def set_sources(self, ec=None) -> None:
        """Bulk Joule and interfacial heat from the potentials of ``ec`` (None: no sources)."""
        bulk = {}
        q_itf = 0.0
        if ec is not None:
            bulk[T.ELECTRODE] = ec.sigma_e() * ufl.inner(
                ufl.grad(ec.phi_electrode), ufl.grad(ec.phi_electrode)
            )
            for tag in ec.ionic_tags:
                bulk[tag] = ec.kappa(tag) * ufl.inner(
                    ufl.grad(ec.phi_electrolyte), ufl.grad(ec.phi_electrolyte)
                )
            q_itf = ec.j_n * ec.dphi
            self.dS = ec.dS
            self.r_weight = ec.r_itf()
        self.sources = (bulk, q_itf)

    # ------------------------------------------------------------------ residual
    def residual(self, vs: list):
        w_e, w_o = vs
        dx = self.dom.dx
        bulk, q_itf = self.sources if self.sources is not None else ({}, 0.0)
        F = 0
        for tag in (T.ELECTRODE, *self.other_tags):
            Tf, To = self.field_of(tag), self.old_of(tag)
            w = w_e if tag == T.ELECTRODE else w_o
            F += self.rho_cp(tag) * (Tf - To) * self.inv_dt * w * self.r() * dx(tag)
            F += self.k(tag) * ufl.inner(ufl.grad(Tf), ufl.grad(w)) * self.r() * dx(tag)
            if tag in bulk:
                F -= bulk[tag] * w * self.r() * dx(tag)
        jump = self.T_e("+") - self.T_o("-")
        h_c = self.contact_conductance()
        rw = self.r_itf()
        dS = self.dS(T.INTERFACE)
        F += (h_c * jump - 0.5 * q_itf) * w_e("+") * rw * dS
        F += (-h_c * jump - 0.5 * q_itf) * w_o("-") * rw * dS
        for tag, (field, _) in self.convective.items():
            w = w_e if field is self.T_e else w_o
            F += self.h_conv * (field - self.T_amb) * w * self.r() * self.dom.ds(tag)
        return F

    # ------------------------------------------------------------------ boundary conditions
    def _bc_setup(self) -> None:
        fdim = self.dom.tdim - 1
        comm = self.dom.comm
        self.ft = {}
        for name, sub in (("e", self.sub_e), ("o", self.sub_o)):
            sub.mesh.topology.create_connectivity(fdim, self.dom.tdim)
            self.ft[name] = dmesh.transfer_meshtags_to_submesh(
                self.dom.facet_tags, sub.mesh, sub.vertex_map, sub.cell_map
            )
        self.convective = {}  # tag -> (field, side name)
        self.bcs = []
        self.fixed = []  # (field, dofs)
        for tag, kind in self.bc_kind.items():
            if kind not in BC_KINDS:
                raise ValueError(f"thermal.{T.facet_name(tag)}: got {kind!r}, allowed {BC_KINDS}")
            n = {s: comm.allreduce(len(self._faces(s, tag)), op=MPI.SUM) for s in ("e", "o")}
            if kind == "insulated" or (n["e"] == 0 and n["o"] == 0):
                continue
            if kind == "convective":
                if n["e"] and n["o"]:
                    raise ValueError(
                        f"thermal.{T.facet_name(tag)}: 'convective' needs the face on one side of "
                        "Γ_int; it touches both the electrode and the other domains (use 'fixed')"
                    )
                side = "e" if n["e"] else "o"
                self.convective[tag] = (self.T_e if side == "e" else self.T_o, side)
                continue
            for side in ("e", "o"):
                if not n[side]:
                    continue
                V = self.V_e if side == "e" else self.V_o
                dofs = fem.locate_dofs_topological(V, fdim, self._faces(side, tag))
                self.bcs.append(fem.dirichletbc(self.T_face[tag], dofs, V))
                self.fixed.append((self.T_e if side == "e" else self.T_o, dofs))

    def _faces(self, side: str, tag: int) -> np.ndarray:
        return self.ft[side].find(tag)

    # ------------------------------------------------------------------ values
    def point_values(self, expr) -> np.ndarray:
        """Values of ``expr`` at the Γ_int quadrature points (the dofs of Q)."""
        from dolfinx import la

        q = ufl.TestFunction(self.Q)
        em = self.entity_maps + (self.mech.entity_maps if self.mech is not None else [])
        if not hasattr(self, "_pv"):
            self._pv = {}
            mm = fem.assemble_vector(fem.form(q("+") * self.dS(T.INTERFACE), entity_maps=em))
            mm.scatter_reverse(la.InsertMode.add)
            self._mass = mm.array.copy()
        key = id(expr)
        if key not in self._pv:
            self._pv[key] = (expr, fem.form(expr * q("+") * self.dS(T.INTERFACE), entity_maps=em))
        b = fem.assemble_vector(self._pv[key][1])
        b.scatter_reverse(la.InsertMode.add)
        out = np.zeros_like(b.array)
        nz = self._mass != 0
        out[nz] = b.array[nz] / self._mass[nz]
        return out

    def _owned_max(self, arr, n) -> float:
        return self.dom.comm.allreduce(float(np.max(arr[:n], initial=-np.inf)), op=MPI.MAX)

    def max_values(self) -> tuple[float, float]:
        """(max T_e, max T_o) over the dofs (global)."""
        return tuple(
            self._owned_max(f.x.array, f.function_space.dofmap.index_map.size_local)
            for f in (self.T_e, self.T_o)
        )

    def interface_max(self, point_values=None) -> float:
        pv = point_values or self.point_values
        v = pv(self.T_itf)
        n = self.Q.dofmap.index_map.size_local
        return self._owned_max(v, n)

    def retention_min(self) -> float | None:
        if self.psi_old is None:
            return None
        n = self.Q.dofmap.index_map.size_local
        a = self.psi_old.x.array[:n]
        return self.dom.comm.allreduce(float(np.min(a, initial=np.inf)), op=MPI.MIN)

    # ------------------------------------------------------------------ time stepping
    def set_dt(self, dt: float) -> None:
        self.dt.value = max(dt, 0.0)
        self.inv_dt.value = 1.0 / dt if dt > 0 else 0.0

    def accept(self, point_values) -> None:
        """Commit T (and ψ, evaluated at the interface points by ``point_values(expr)``)."""
        self.T_e_old.x.array[:] = self.T_e.x.array
        self.T_o_old.x.array[:] = self.T_o.x.array
        if self.psi is not None:
            self.psi_old.x.array[:] = np.clip(point_values(self.psi), 0.0, 1.0)
            self.psi_old.x.scatter_forward()
        # ψ(dt = 0) = ψ_old: the committed state reproduces the converged one (the metrics
        # evaluated after the commit see the step's current); set_dt restores it next step
        self.dt.value = 0.0

    def reject(self) -> None:
        self.T_e.x.array[:] = self.T_e_old.x.array
        self.T_o.x.array[:] = self.T_o_old.x.array
