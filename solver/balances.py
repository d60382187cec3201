r"""Heat and charge balances from integrals written independently of the residual
(docs/theory.md §6.7 and §9.1).

Why this module exists. A balance evaluated with the residual's own forms holds whatever the
physics in those forms is: the heat residual tested with w = 1 is the energy balance, so a
wrong conductivity or contact conductance in the residual leaves it exact, and all it checks is
that Newton converged. Here every term is written again, from the case's material parameters
and the solved fields, without calling the physics modules' laws (``Heat.contact_conductance``,
``IonPath.spot_conductance``, ``Electrochemistry.sigma_e``/``kappa``, the residual methods): the
balances hold only if the residual implements the same physics.

What is shared with the residual, on purpose: the fields (T, φ, c, the interface state of the
mechanics: decohesion, gap switch, registry, contact fraction, spot radius; the retention ψ);
the discretisation (the measures, the vertex quadrature of Γ_int, the axisymmetric lumped radius
of the interface integrals); the Dirichlet dof sets; and the kinetics j_n, which is the current
itself (its electrical consequences are checked by :class:`ChargeBalance`). Every integrand is
multiplied by the discrete unit function of its side (a P_k function equal to 1), so that each
integral uses the quadrature of the residual tested with w = 1 and the balances are exact to the
Newton tolerance, not only to the quadrature error of the Arrhenius factors.

Heat (:class:`HeatBalance`). Per side s ∈ {electrode e, other o} (T_e, T_o jump across Γ_int):

    B_s = ΔE_s + Σ Δt (Q_out,s − Q_J,s)                                 (J)

ΔE_s = ∫ ρc_p (T_s − T_s(0)) over the side's cells (the heat stored since the start); Q_J,s the
bulk Joule heat ∫ σ|∇φ|² with σ_e(T_e), κ(T_o) from the material law written here; Q_out,s the
heat leaving through the outer faces of the side: ∫ h_conv (T − T_amb) over its convective faces
plus, at its fixed-temperature faces, the consistent reaction: a conduction form of the side
(storage, ∫ k ∇T·∇w, sources, interface and convective terms, all written here) tested with
w_D, the P_k function equal to 1 at the fixed dofs and 0 elsewhere. The interfacial heat
Q_Γ = ∫ j_n (φ_e − φ_s − U) dΓ is shared equally by the two sides (docs/theory.md §6.2), and the
heat conducted from the electrode into the other side is Q_× = ∫ h_c (T_e − T_o) dΓ, with h_c
(docs/theory.md (6.3)) written here from the case's ``thermal.h_bonded``, ``h_gap``, the thermal
conductivities and the contact state. Backward Euler then gives, exactly (to the Newton
tolerance) when the residual implements this physics,

    B_e = Σ Δt (½Q_Γ − Q_×),    B_o = Σ Δt (½Q_Γ + Q_×)

whence two checks:

* ``energy_balance_error``: B_e + B_o = Σ Δt Q_Γ, i.e. ΔE = Σ Δt (Q_J + Q_Γ − Q_out), the
  energy balance of the whole cell. It tests the conductivities, the sources and the outer
  boundary terms of the residual, but it cannot see h_c: the interface terms of the two sides
  cancel in the sum whatever h_c is.
* ``interface_heat_balance_error``: ½(B_o − B_e) = Σ Δt Q_×: what leaves the electrode through
  Γ_int enters the other side, at the rate the contact conductance gives for the temperature
  jump. A residual with a wrong h_c (h_bonded scaled, the spot or gap conductance dropped) moves
  heat across Γ_int at its own rate, and the sides' budgets then disagree with ∫ h_c ΔT.

Both are cumulative and relative to the heat throughput (the largest of |ΔE|, Σ Δt (|Q_J| +
|Q_Γ|), Σ Δt |Q_out| and of the two compared terms), with the floor 1e-9 E(0) (E = ∫ρc_p T, about
1e-6 K of the cell's heat content) before any heat has flowed.

Charge (:class:`ChargeBalance`). Three currents per accepted step (A; per unit depth in 2D):

(a) collector current, from the electrode bulk: the consistent flux of the electrode conduction
    form written here, ∫ σ_e(T_e) ∇φ_e·∇w_c dΩ + ∫ j_n w_c dΓ, with w_c the P_k function equal
    to 1 at the collector dofs and 0 elsewhere (the interface term vanishes unless the
    electrode is a single element thick). NaN for an electrode without a collector face (the
    ideal electronic network of isolated particles: φ_e = V everywhere, no bulk current).
(b) interface current ∫ j_n dΓ (the one the galvanostatic control acts on).
(c) the Li leaving the electrode: −F ΔN/Δt with N = ∫ c dΩ (intercalation electrode with
    transport) or N = −∫ s dΓ/Ω_Li (Li metal with mechanics: the stripped thickness s). NaN where
    the electrode stores no Li (no transport, not a metal): then the term is left out. For Li metal
    s is updated from the converged j_n (docs/theory.md §5.6), so (c) only checks that
    bookkeeping; for an intercalation electrode it checks the transport equation's interface flux.

Resolution (docs/theory.md §6.7, §9.1): the checks are exact up to the Newton tolerances or the
round-off of the stored fields, whichever is larger. Two cases reach the round-off: the flux of
a stiff contact, h_c (T_e − T_o), resolved to h_c ε T per unit area (≈ 7e-5 W/m² for
h_c = 1e9 W/m²K), against a tiny heat throughput; and (a) in a metal electrode, whose potential
drop (~1e-11 V for Li) is resolved to ε V (~1e-6 relative).
"""

from __future__ import annotations

import math

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI

from meshes import tags as T

F_FARADAY = 96485.33212  # C/mol
R_GAS = 8.314462618  # J/(mol K)


def arrhenius(value: float, Ea, T, T_ref: float):
    """value · exp[−(Ea/R)(1/T − 1/T_ref)] (docs/theory.md (5.9)); UFL in T."""
    if not Ea:
        return value
    return value * ufl.exp(-float(Ea) / R_GAS * (1 / T - 1 / T_ref))


def _unit(V) -> fem.Function:
    one = fem.Function(V)
    one.x.array[:] = 1.0
    return one


class _Scalars:
    """Compile-once global scalar forms (MPI-reduced)."""

    def __init__(self, comm, entity_maps):
        self.comm = comm
        self.em = entity_maps

    def form(self, expr):
        return fem.form(expr, entity_maps=self.em) if expr is not None else None

    def value(self, form) -> float:
        if form is None:
            return 0.0
        return self.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)


class HeatBalance:
    """Side budgets of the heat equation from independent integrals (module docstring).

    ``on_accept(dt)`` is called with the converged step, before T_old is committed."""

    # accumulated between steps (solver.checkpoint)
    CHECKPOINT_STATE = ("sides", "totals", "stored_change", "powers_now")

    def __init__(self, sim):
        h, ec, dom = sim.heat, sim.ec, sim.dom
        self.sim, self.h = sim, h
        res = sim.case.resolved
        self.materials = res["materials"]
        th = res["thermal"]
        self.h_bonded = float(th["h_bonded"])
        self.h_gap = float(th["h_gap"])
        self.h_conv = float(th["h_conv"])
        self.T_ref = float(sim.T_ref)
        self.s = _Scalars(dom.comm, sim.entity_maps)
        x = ufl.SpatialCoordinate(dom.mesh)
        self.rr = 2.0 * math.pi * x[0] if dom.axisymmetric else 1.0
        dx, ds = dom.dx, dom.ds
        dS = h.dS(T.INTERFACE)  # the residual's quadrature of Γ_int (vertex rule for P1)
        rw = h.r_itf()
        self.inv_dt = fem.Constant(dom.mesh, 0.0)
        side_tags = {"e": (T.ELECTRODE,), "o": tuple(h.other_tags)}
        field = {"e": h.T_e, "o": h.T_o}
        old = {"e": h.T_e_old, "o": h.T_o_old}
        one = {"e": _unit(h.V_e), "o": _unit(h.V_o)}
        self.T0 = {}
        for k in ("e", "o"):
            f0 = fem.Function(field[k].function_space)
            f0.x.array[:] = field[k].x.array
            self.T0[k] = f0
        # bulk Joule heat with the conductivities of the material law (docs/theory.md §5.7)
        q = {}
        self.q_itf = None
        if ec is not None:
            me = self.materials["electrode"]
            sig = arrhenius(me["sigma_e"], me.get("Ea_sigma_e"), h.T_e, self.T_ref)
            q[T.ELECTRODE] = sig * ufl.inner(ufl.grad(ec.phi_electrode), ufl.grad(ec.phi_electrode))
            for tag in ec.ionic_tags:
                m = self.materials[T.cell_name(tag)]
                kap = arrhenius(m["kappa"], m.get("Ea_kappa"), h.T_o, self.T_ref)
                q[tag] = kap * ufl.inner(ufl.grad(ec.phi_electrolyte), ufl.grad(ec.phi_electrolyte))
            self.q_itf = ec.j_n * (ec.phi_electrode("+") - ec.phi_electrolyte("-") - ec.U)
        self.h_c = self.contact_conductance()
        jump = h.T_e("+") - h.T_o("-")
        sign = {"e": 1.0, "o": -1.0}
        restr = {"e": "+", "o": "-"}

        def itf_terms(k, w):
            """Heat leaving side k through Γ_int, tested with w of that side."""
            t = sign[k] * self.h_c * jump
            if self.q_itf is not None:
                t = t - 0.5 * self.q_itf
            return t * w(restr[k]) * rw * dS

        conv_faces = {k: [] for k in ("e", "o")}
        for tag, (_field, side) in h.convective.items():
            conv_faces[side].append(tag)

        def conv(k, w):
            faces = conv_faces[k]
            if not faces:
                return None
            return sum(self.h_conv * (field[k] - h.T_amb) * w * self.rr * ds(tag) for tag in faces)

        self.f_E, self.f_J, self.f_conv, self.f_react = {}, {}, {}, {}
        for k in ("e", "o"):
            w = one[k]
            tags = side_tags[k]
            self.f_E[k] = self.s.form(
                sum(self.rho_cp(t) * (field[k] - self.T0[k]) * w * self.rr * dx(t) for t in tags)
            )
            src = [q[t] * w * self.rr * dx(t) for t in tags if t in q]
            self.f_J[k] = self.s.form(sum(src)) if src else None
            self.f_conv[k] = self.s.form(conv(k, w))
            # consistent reaction at the fixed faces of this side: the conduction form of the
            # side, written here, tested with the indicator w_D of the fixed dofs
            self.f_react[k] = None
            fixed = [dofs for fld, dofs in h.fixed if fld is field[k]]
            if fixed:
                wD = fem.Function(field[k].function_space)
                for dofs in fixed:
                    wD.x.array[dofs] = 1.0
                wD.x.scatter_forward()
                Tk, rr = field[k], self.rr
                form = 0
                for t in tags:
                    form += self.rho_cp(t) * (Tk - old[k]) * self.inv_dt * wD * rr * dx(t)
                    form += self.k_th(t) * ufl.inner(ufl.grad(Tk), ufl.grad(wD)) * rr * dx(t)
                    if t in q:
                        form -= q[t] * wD * rr * dx(t)
                form += itf_terms(k, wD)
                c = conv(k, wD)
                if c is not None:
                    form += c
                self.f_react[k] = self.s.form(form)
        self.f_Q_itf = (
            self.s.form(self.q_itf * one["e"]("+") * rw * dS) if self.q_itf is not None else None
        )
        self.f_cross = self.s.form(self.h_c * jump * one["e"]("+") * rw * dS)
        E0 = sum(
            self.rho_cp(t) * self.T0[k] * self.rr * dx(t) for k in ("e", "o") for t in side_tags[k]
        )
        self.E0 = self.s.value(self.s.form(E0))
        self.sides = {k: {"stored": 0.0, "joule": 0.0, "out": 0.0} for k in ("e", "o")}
        self.totals = {"joule": 0.0, "interface": 0.0, "out": 0.0, "across": 0.0}
        self.stored_change = 0.0
        self.powers_now = {"joule": 0.0, "interface": 0.0, "out": 0.0, "across": 0.0}

    # ------------------------------------------------------------------ the material law, here
    def rho_cp(self, tag: int) -> float:
        m = self.materials[T.cell_name(tag)]
        return float(m["density"]) * float(m["cp"])

    def k_th(self, tag: int) -> float:
        return float(self.materials[T.cell_name(tag)]["k_th"])

    def contact_conductance(self):
        """h_c of docs/theory.md (6.3) from the case's keys and the contact state:
        ψ [w_b h_bonded + w_c (1/h_bonded + 1/h_spot)⁻¹] + h_gap D (1 − s(g_n)), with the
        Cooper–Mikic–Yovanovich spot conductance h_spot = 2 k_s/(π a ψ_ft(√φ)),
        k_s = 2k₁k₂/(k₁ + k₂) (per unit spot area); without mechanics ψ h_bonded + h_gap."""
        from solver.physics.contact import flux_tube_factor, ion_path

        h = self.h
        psi = h.psi if h.psi is not None else 1.0
        mech = self.sim.mech
        if mech is None or not mech.interfaces:
            return psi * self.h_bonded + self.h_gap
        law = h.contact
        st = ion_path(law, mech.interfaces[0].state)  # the contact state (weights, a, φ, D, s)
        hb = self.h_bonded
        if law.microcontact != "none" and law.constriction:
            k1 = self.k_th(T.ELECTRODE)
            k2 = self.k_th(h.itf.minus_tags[0])
            ks = 2.0 * k1 * k2 / (k1 + k2)
            psi_ft = flux_tube_factor(ufl.sqrt(st.phi + 1e-8))  # Gibson; as in the current path
            h_spot = 2.0 * ks / (math.pi * st.spot_radius * psi_ft)
            h_mc = 1.0 / (1.0 / hb + 1.0 / h_spot)
        else:
            h_mc = hb
        h_c = psi * (st.w_bonded * hb + st.w_contact * h_mc)
        if self.h_gap:
            h_c = h_c + self.h_gap * st.decohesion * (1 - st.switch)
        return h_c

    # ------------------------------------------------------------------ per step
    def on_accept(self, dt: float) -> dict:
        """Powers (W) of the converged step; accumulates the budgets when dt > 0."""
        v = self.s.value
        p = {"joule": 0.0, "out": 0.0}
        side_p = {}
        if dt > 0:
            self.inv_dt.value = 1.0 / dt
        for k in ("e", "o"):
            qj = v(self.f_J[k])
            qo = v(self.f_conv[k])
            if self.f_react[k] is not None and dt > 0:
                qo += -v(self.f_react[k])
            side_p[k] = (qj, qo)
            p["joule"] += qj
            p["out"] += qo
        p["interface"] = v(self.f_Q_itf)
        p["across"] = v(self.f_cross)
        if dt > 0:
            for k in ("e", "o"):
                sd = self.sides[k]
                sd["stored"] = v(self.f_E[k])
                sd["joule"] += dt * side_p[k][0]
                sd["out"] += dt * side_p[k][1]
            for key in self.totals:
                self.totals[key] += dt * p[key]
            self.stored_change = self.sides["e"]["stored"] + self.sides["o"]["stored"]
        self.powers_now = p
        return p

    def budget(self, k: str) -> float:
        """B_k = ΔE_k + Σ Δt (Q_out,k − Q_J,k) (J)."""
        sd = self.sides[k]
        return sd["stored"] + sd["out"] - sd["joule"]

    def _ref(self, *terms) -> float:
        t = self.totals
        return max(
            abs(self.stored_change),
            abs(t["joule"]) + abs(t["interface"]),
            abs(t["out"]),
            *(abs(x) for x in terms),
            1e-9 * abs(self.E0),  # floor: ~1e-6 K of the heat content (no heat yet)
        )

    def balance_error(self) -> float:
        """|B_e + B_o − Σ Δt Q_Γ| (= |ΔE − Σ Δt (Q_J + Q_Γ − Q_out)|) over the throughput."""
        err = self.budget("e") + self.budget("o") - self.totals["interface"]
        return abs(err) / self._ref()

    def interface_error(self) -> float:
        """|½(B_o − B_e) − Σ Δt Q_×| over the throughput (and the two terms)."""
        half = 0.5 * (self.budget("o") - self.budget("e"))
        across = self.totals["across"]
        return abs(half - across) / self._ref(half, across)


class ChargeBalance:
    """The three currents (a) collector, (b) interface, (c) Li storage of the module docstring,
    evaluated on accepted steps, and their agreement."""

    # accumulated between steps (solver.checkpoint)
    CHECKPOINT_STATE = ("N_prev", "currents")

    def __init__(self, sim):
        ec, dom = sim.ec, sim.dom
        self.sim, self.ec = sim, ec
        res = sim.case.resolved
        me = res["materials"]["electrode"]
        self.s = _Scalars(dom.comm, sim.entity_maps)
        x = ufl.SpatialCoordinate(dom.mesh)
        rr = 2.0 * math.pi * x[0] if dom.axisymmetric else 1.0
        dx = dom.dx(T.ELECTRODE)
        dS = ec.dS(T.INTERFACE)
        rw = ec.r_itf()
        self.f_collector = None
        if ec.collector == "bottom":
            sig = arrhenius(me["sigma_e"], me.get("Ea_sigma_e"), ec.T_e, float(sim.T_ref))
            wc = fem.Function(ec.V_e)
            dofs = fem.locate_dofs_topological(ec.V_e, dom.tdim - 1, ec.ft_e.find(T.BOTTOM))
            wc.x.array[dofs] = 1.0
            wc.x.scatter_forward()
            self._wc = wc
            form = sig * ufl.inner(ufl.grad(ec.phi_electrode), ufl.grad(wc)) * rr * dx
            form += ec.j_n * wc("+") * rw * dS
            self.f_collector = self.s.form(form)
        self.f_current = self.s.form(ec.j_n * rw * dS)
        self.f_N = None
        self.inventory = None
        if sim.transport is not None:
            # the discrete inventory: the Li that the scheme conserves is ∫ c r dΩ integrated
            # with the rule of its storage term, the vertex rule for P1 (lumped mass); the
            # exact integral differs from it by O(h²) where r varies (axisymmetric: 6e-4 of
            # the current on the test film) and would read as a charge imbalance
            c = sim.transport.c
            dx_N = dx
            if c.function_space.element.basix_element.degree == 1:
                dx_N = dom.dx(
                    T.ELECTRODE, metadata={"quadrature_rule": "vertex", "quadrature_degree": 1}
                )
            self.f_N = self.s.form(c * rr * dx_N)
            self.inventory = lambda: self.s.value(self.f_N)
        elif sim.metal and sim.mech is not None:
            self.inventory = sim._li_inventory  # −∫ s dΓ/Ω_Li, the accepted stripping included
        self.N_prev = self.inventory() if self.inventory is not None else None
        nan = float("nan")
        self.currents = {"collector": nan, "interface": nan, "storage": nan}

    def on_accept(self, dt: float) -> dict:
        v = self.s.value
        c = {
            "collector": v(self.f_collector) if self.f_collector is not None else float("nan"),
            "interface": v(self.f_current),
            "storage": float("nan"),
        }
        if self.inventory is not None:
            N = self.inventory()
            if dt > 0:
                c["storage"] = -F_FARADAY * (N - self.N_prev) / dt
            self.N_prev = N
        self.currents = c
        return c

    def error(self, target: float | None, floor: float) -> float:
        """max |X − I_Γ| over the available currents X (and the galvanostatic target j_app A_app)
        relative to the largest of them and ``floor``; NaN when nothing can be compared."""
        cur = self.currents
        Ib = cur["interface"]
        others = [cur[k] for k in ("collector", "storage") if np.isfinite(cur[k])]
        if target is not None:
            others.append(target)
        if not others or not np.isfinite(Ib):
            return float("nan")
        diff = max(abs(x - Ib) for x in others)
        scale = max(abs(Ib), *(abs(x) for x in others), floor)
        return diff / scale
