"""Quasi-static mechanics across Γ_int: one displacement field per bonded region, coupled by the
contact / cohesive law on the cohesive interfaces, with eigenstrain, stack pressure and rollers.

Regions: the cell tags of the domain grouped by the interfaces that are perfectly bonded
(the electrolyte layers, counter electrode and pad); every cohesive interface
(Γ_int, and the coating|electrolyte interface) separates two regions, so the displacement truly
jumps there. Interface history (damage, energy release) lives on the Γ_int submesh in a DG1
space whose degrees of freedom coincide with the vertex quadrature points of each facet
(P1 fields; for P2, Gauss–Lobatto points in 2D): the history is exact at the quadrature points.

Rate-dependent inelasticity (``inelastic=True``, physics.inelastic; ``relaxation=True``, the
relaxation spectra alone, physics.ageing): the cells of a material with
Norton creep or a relaxation spectrum take their stress from quadrature-point states
(solver.physics.inelastic, docs/theory.md §3.6–3.7), committed in :meth:`Mechanics.accept`; creep
needs :meth:`Mechanics.update_inelastic` before every residual (``needs_pre_residual``).

Loads: ``pressure`` (traction −P n on the top face) or ``top_displacement`` (prescribed vertical
displacement of the top face), the concentration field ``c`` (Vegard) and temperature ``T``
(thermal strain), all UFL Constants/expressions that the stepper updates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from dolfinx import mesh as dmesh
from mpi4py import MPI

from meshes import tags as T
from solver.forms import FormCache
from solver.physics import cohesive as C
from solver.physics.elasticity import Kinematics, stress

log = logging.getLogger(__name__)

COHESIVE_TAGS = (T.INTERFACE, T.INTERFACE_COATING)
_FACE_TAGS = {name: tag for tag, name in T.FACET_NAMES.items()}


@dataclass
class Region:
    name: str
    tags: tuple[int, ...]
    sub: object  # solver.domain.SubDomain
    V: fem.FunctionSpace
    u: fem.Function
    u_prev: fem.Function
    facet_tags: dmesh.MeshTags | None = None


@dataclass
class InterfaceMech:
    tag: int
    plus: Region
    minus: Region
    law: C.CohesiveLaw
    Q: fem.FunctionSpace  # history space on the interface submesh
    d_old: fem.Function
    Phi_old: fem.Function  # dissipated energy density reached so far (J/m^2)
    s_old: fem.Function  # stripped (+) / plated (−) electrode thickness, added to g_n
    s_rate: fem.Function  # predicted ds/dt during the current step (m/s)
    D_old: fem.Function | None = None  # decohesion Φ/G_c reached so far (ion path)
    m_old: fem.Function | None = None  # largest separation |[[u]]| reached so far (m; registry)
    g0: fem.Function | None = None  # initial normal gap at the interface points (m)
    state: C.InterfaceState | None = None
    dS: ufl.Measure | None = None
    r_eff: fem.Function | None = None  # axisymmetric P1: lumped radius (see Mechanics.r_itf)
    h_old: fem.Function | None = None  # interphase thickness reached (physics.ageing; m)
    h: object = None  # trial interphase thickness at the step end (UFL, "+" side)


@dataclass
class Loads:
    pressure: fem.Constant
    top_displacement: fem.Constant
    top_shear: fem.Constant  # tangential (x) top displacement, displacement mode + free sides
    c: object  # UFL expression (Constant or function of x)
    T: fem.Constant
    extra: dict = field(default_factory=dict)


def region_groups(cell_values: list[int]) -> list[tuple[int, ...]]:
    """Group cell tags joined by perfectly bonded interfaces. The electrode is always alone
    (Γ_int is cohesive); the coating is alone (its two interfaces are cohesive). All electrolyte
    layers, the counter electrode and the pad form one region: their boundaries (facets 12, 13,
    14) are conforming and perfectly bonded (``interface.bonded_layers = false`` is refused by
    the case schema; a user mesh without the facet tags is conforming there too)."""
    groups: list[list[int]] = []
    if T.ELECTRODE in cell_values:
        groups.append([T.ELECTRODE])
    if T.COATING in cell_values:
        groups.append([T.COATING])
    top = [t for t in cell_values if T.is_electrolyte(t) or t in (T.COUNTER, T.PAD)]
    if top:  # the electrolyte layers from the electrode side (tags 2 < 20 + k), then the others
        groups.append(sorted(top, key=lambda t: (not T.is_electrolyte(t), t)))
    return [tuple(g) for g in groups]


def region_name(tags: tuple[int, ...]) -> str:
    if tags == (T.ELECTRODE,):
        return "electrode"
    return "+".join(T.cell_name(t) for t in tags)


class Mechanics:
    """Displacement fields, residual forms, boundary conditions and interface history.

    ``materials``: role -> material resolved by the case schema (``Case.materials``, or
    :func:`solver.config.resolve_material` without a case): every property present."""

    def __init__(
        self,
        dom,
        materials: dict,
        laws: dict[int, C.CohesiveLaw],
        *,
        degree: int = 1,
        lateral: str = "roller",
        bottom: str = "roller",
        pressure_mode: str = "traction",
        c_field=None,
        T_ref: float = 298.15,
        c_ref: dict | None = None,
        initial_gap: dict | None = None,
        auto_bcs: bool = True,
        temperature=None,
        temperature_fields=None,
        boundary: list[dict] | None = None,
        interphase=None,
        temperature_old_fields=None,
        inelastic: bool = False,
        relaxation: bool = False,
    ):
        self.dom = dom
        # interphase growth on Γ_int (solver.physics.interphase.Interphase, physics.ageing)
        self.interphase = interphase
        # the last accepted temperature (the interphase growth's trapezoidal rule): the heat
        # fields' old values, else the uniform T_old (set by the simulation on accept)
        self.temperature_old_fields = temperature_old_fields
        self.T_old = fem.Constant(dom.mesh, float(T_ref))
        self.msh = dom.mesh
        self.kin = Kinematics(dom.gdim, dom.axisymmetric)
        self.degree = degree
        self.materials = materials
        self.pressure_mode = pressure_mode
        self.lateral, self.bottom = lateral, bottom
        self.T_ref = T_ref
        self.c_ref = c_ref or {}
        # initial normal gap g0(x) per interface tag (UFL expression of the parent coordinate):
        # g_n = [[u]]·n + g0 (e.g. x²/2R for a Hertzian contact on a flat interface)
        self.initial_gap = initial_gap or {}
        # temperature per cell tag (solver.physics.heat: the field of that side), else loads.T
        self.temperature_fields = temperature_fields
        self._T_out: dict = {}  # region-local copies of T for output expressions
        gdim = dom.gdim
        cell_values = dom.cell_tag_values()
        self.regions: list[Region] = []
        for tags in region_groups(cell_values):
            sub = dom.subdomain(tags)
            sub.mesh.topology.create_connectivity(dom.tdim - 1, dom.tdim)
            V = fem.functionspace(sub.mesh, ("Lagrange", degree, (gdim,)))
            name = region_name(tags)
            u = fem.Function(V, name=f"u_{name}")
            up = fem.Function(V, name=f"u_prev_{name}")
            ft = dmesh.transfer_meshtags_to_submesh(
                dom.facet_tags, sub.mesh, sub.vertex_map, sub.cell_map
            )
            self.regions.append(Region(name, tags, sub, V, u, up, ft))
        self.entity_maps = [r.sub.cell_map for r in self.regions]
        self.forms = FormCache(self.entity_maps)  # the list is extended below, shared
        x = ufl.SpatialCoordinate(self.msh)
        self.x = x
        self.loads = Loads(
            pressure=fem.Constant(self.msh, 0.0),
            top_displacement=fem.Constant(self.msh, 0.0),
            top_shear=fem.Constant(self.msh, 0.0),
            c=c_field if c_field is not None else fem.Constant(self.msh, 0.0),
            T=temperature if temperature is not None else fem.Constant(self.msh, float(T_ref)),
        )
        # [[loading.boundary]] loads, scaled by the protocol's load factor
        self.boundary = list(boundary or [])
        self.load_factor = fem.Constant(self.msh, 0.0)
        self._boundary_values: list[tuple[fem.Constant, float]] = []
        # interfaces (cohesive)
        self.interfaces: list[InterfaceMech] = []
        for tag in COHESIVE_TAGS:
            if tag not in dom.interfaces:
                continue
            itf = dom.interfaces[tag]
            plus = self._region_of(itf.plus_tags[0])
            minus = self._region_of(itf.minus_tags[0])
            if plus is minus:
                raise ValueError(f"interface {tag} joins one region to itself")
            law = laws.get(tag) or laws[T.INTERFACE]
            Q = fem.functionspace(itf.submesh, interface_point_element(degree, dom.tdim))
            d_old = fem.Function(Q, name="damage")
            Phi_old = fem.Function(Q, name="dissipation")
            s_old = fem.Function(Q, name="stripped_thickness")
            s_rate = fem.Function(Q, name="strip_rate")
            im = InterfaceMech(tag, plus, minus, law, Q, d_old, Phi_old, s_old, s_rate)
            im.D_old = fem.Function(Q, name="decohesion")
            im.m_old = fem.Function(Q, name="separation_max")
            im.g0 = fem.Function(Q, name="initial_gap")
            if interphase is not None and tag == T.INTERFACE:
                im.h_old = fem.Function(Q, name="interphase_thickness")
                im.h_old.x.array[:] = interphase.h0
            if dom.axisymmetric and degree == 1:
                im.r_eff = _lumped_radius(Q)
            im.dS = dom.interface_measure(self._itf_quadrature())
            self.interfaces.append(im)
            self.entity_maps.append(itf.facet_map)
        self.n = ufl.FacetNormal(self.msh)
        self.s_dt = fem.Constant(self.msh, 0.0)  # time step of the stripping predictor
        # time step seen by the viscous damage regularisation; 0 after a step is accepted, so
        # that the committed history reproduces the converged state exactly
        self.damage_dt = fem.Constant(self.msh, 0.0)
        # time step of the interphase growth; 0 after a step is accepted (as damage_dt)
        self.ageing_dt = fem.Constant(self.msh, 0.0)
        self._build_states()
        self.inelastic_dt = fem.Constant(self.msh, 0.0)  # step of the inelastic strains
        self.inelastic = self._build_inelastic(inelastic, inelastic or relaxation)
        self._build_forms()
        self.bcs = self._bcs() if auto_bcs else []
        self.boundary_bcs = self._boundary_bcs()  # those of [[loading.boundary]] (λ-scaled)
        self.bcs += self.boundary_bcs

    # ------------------------------------------------------------------ helpers
    def _region_of(self, tag: int) -> Region:
        for r in self.regions:
            if tag in r.tags:
                return r
        raise KeyError(tag)

    def _itf_quadrature(self) -> dict:
        if self.degree == 1:
            return {"quadrature_rule": "vertex", "quadrature_degree": 1}
        if self.dom.tdim == 2:
            return {"quadrature_rule": "GLL", "quadrature_degree": 3}
        return {"quadrature_degree": 4}  # the nodes of interface_point_element

    def r(self, restriction: str | None = None):
        """Axisymmetric weight 2πr (or 1)."""
        if not self.dom.axisymmetric:
            return 1.0
        w = 2.0 * np.pi * self.x[0]
        return w(restriction) if restriction else w

    def r_itf(self, im: InterfaceMech):
        """Axisymmetric weight of the interface integrals ("+" side; 1 in plane/3D).

        P1 fields use the vertex rule on Γ, where 2πr would give the nodes on the axis (r = 0)
        zero weight: the contact/cohesive law would not act there (the axis node pair of a
        Hertzian contact interpenetrated freely). The weight is 2π r̃ with r̃ = (2 r_i + r_j)/3
        at vertex i of facet (i, j): the vertex rule then gives each node its exact
        ∫ 2π r N_i ds (row-sum lumping; ∫ 2π r ds over each facet is unchanged)."""
        if im.r_eff is not None:
            return 2.0 * np.pi * im.r_eff("+")
        return self.r("+")

    def temperature(self, tag: int, reg: Region | None = None):
        """Temperature seen by the cells ``tag``: the heat field of their side, else the uniform
        loads.T. For output expressions on a region submesh (``reg``) whose mesh is not the
        field's, a region-local copy refreshed by :meth:`update_output_temperature`."""
        if self.temperature_fields is None:
            return self.loads.T
        Tf = self.temperature_fields(tag)
        if reg is None or Tf.function_space.mesh is reg.sub.mesh:
            return Tf
        if reg.name not in self._T_out:
            self._T_out[reg.name] = self.dom.copy_to(Tf, reg.sub.mesh)
        return self._T_out[reg.name][0]

    def update_output_temperature(self) -> None:
        for _fn, update in self._T_out.values():
            update()

    def eigenstrain(self, tag: int, reg: Region | None = None):
        m = self.materials[T.cell_name(tag)]
        alpha = m["alpha_th"]
        eps = alpha * (self.temperature(tag, reg) - self.T_ref) * ufl.Identity(3)
        beta = m["vegard"]
        if tag == T.ELECTRODE and m.get("vegard_curve"):
            # tabulated β(x): ε = ∫_{c_ref}^{c} β dc' I = c_max [B(x) − B(x_ref)] I, B = ∫β dx
            from solver.curves import resolve

            curve = resolve(m["vegard_curve"], "vegard")
            c_max = m["c_max"]
            c_ref = self.c_ref.get("electrode", m["c_ref"])
            B_ref = float(curve._pchip(curve.y).antiderivative()(c_ref / c_max))
            strain = c_max * (curve.ufl(self.loads.c / c_max, antiderivative=True) - B_ref)
            return eps + strain * ufl.Identity(3)
        if tag == T.ELECTRODE and beta:
            c_ref = self.c_ref.get("electrode", m["c_ref"])
            if isinstance(beta, list | tuple):
                B = ufl.as_tensor([[beta[0], 0, 0], [0, beta[1], 0], [0, 0, beta[2]]])
            else:
                B = beta * ufl.Identity(3)
            eps = eps + B * (self.loads.c - c_ref)
        return eps

    def sigma(self, u, tag: int, x=None, reg: Region | None = None):
        m = self.materials[T.cell_name(tag)]
        eps = self.kin.strain(u, self.x if x is None else x)
        if tag in self.inelastic:  # creep / viscoelastic: the quadrature-point state's stress
            return self.inelastic[tag].sigma(eps, self.eigenstrain(tag, reg))
        return stress(eps, m["E"], m["nu"], self.eigenstrain(tag, reg))

    def dx(self, tag: int):
        """Volume measure of the cells ``tag``: with internal variables at quadrature points
        (solver.physics.inelastic), the rule of their quadrature space."""
        if tag in self.inelastic:
            from solver.physics.inelastic import metadata

            return self.dom.dx(tag, metadata=metadata())
        return self.dom.dx(tag)

    # ------------------------------------------------------------------ inelasticity
    def _build_inelastic(self, creep_on: bool, visco_on: bool) -> dict:
        """Quadrature-point states (cell tag -> CreepState | ViscoState) of the materials with
        Norton creep keys (``creep_A``...), when ``creep_on`` (physics.inelastic), or a
        relaxation spectrum (``E1``/``E2``/``tau`` or ``prony_E*``/``prony_tau*``), when
        ``visco_on`` (physics.inelastic or physics.ageing)."""
        from solver.physics import inelastic as I

        out: dict = {}
        if not (creep_on or visco_on):
            return out
        ct = self.dom.cell_tags
        tdim = self.dom.tdim
        pmap = self.msh.topology.index_map(tdim)
        tag_of = np.full(pmap.size_local + pmap.num_ghosts, -1, dtype=np.int64)
        tag_of[ct.indices] = ct.values
        for reg in self.regions:
            xs = ufl.SpatialCoordinate(reg.sub.mesh)
            imap = reg.sub.mesh.topology.index_map(tdim)
            cells = np.arange(imap.size_local, dtype=np.int32)
            parent = reg.sub.cell_map.sub_topology_to_topology(cells, False)
            for tag in reg.tags:
                m = self.materials[T.cell_name(tag)]
                creep = I.CreepLaw.from_material(m) if creep_on else None
                visco = I.ViscoLaw.from_material(m) if visco_on else None
                if creep is None and visco is None:
                    continue
                if creep is not None and visco is not None:
                    raise ValueError(
                        f"materials.{T.cell_name(tag)}: both creep and viscoelastic keys; "
                        "allowed one inelastic law per material"
                    )
                sel = cells[tag_of[parent] == tag]
                args = (
                    reg.u,
                    sel,
                    lambda w, xs=xs: self.kin.strain(w, xs),
                    self.eigenstrain(tag, reg),
                    self.temperature(tag, reg),
                    self.inelastic_dt,
                )
                if creep is not None:
                    out[tag] = I.CreepState(creep, m["E"], m["nu"], *args)
                else:
                    out[tag] = I.ViscoState(visco, m["nu"], *args)
        return out

    def update_inelastic(self) -> None:
        """Return mapping at the quadrature points for the current displacements (the Newton
        solver calls it before every residual; see CoupledProblem ``pre_residual``)."""
        if self._T_out:
            self.update_output_temperature()
        for st in self.inelastic.values():
            st.update()

    @property
    def needs_pre_residual(self) -> bool:
        """Whether the residual needs :meth:`update_inelastic` at every Newton iterate."""
        from solver.physics.inelastic import CreepState

        return any(isinstance(st, CreepState) for st in self.inelastic.values())

    def top_region(self) -> Region:
        tops = [r for r in self.regions if _has_facets(self.dom, r, T.TOP)]
        if not tops:
            raise ValueError("no region touches the top face (facet tag TOP)")
        return tops[-1]

    # ------------------------------------------------------------------ forms
    def internal_residual(self, vs: list) -> ufl.Form:
        """Σ ∫ σ(u):ε(v) + Σ_Γ ∫ t([[u]])·[[v]] (test functions ``vs`` per region)."""
        F = 0
        for reg, v in zip(self.regions, vs):
            if v is None:
                continue
            for tag in reg.tags:
                F += (
                    ufl.inner(self.sigma(reg.u, tag), self.kin.strain(v, self.x))
                    * self.r()
                    * self.dx(tag)
                )
        for im in self.interfaces:
            vp = vs[self.regions.index(im.plus)]
            vm = vs[self.regions.index(im.minus)]
            if vp is None and vm is None:
                continue
            if vp is None:
                jump_v = -vm("-")
            elif vm is None:
                jump_v = vp("+")
            else:
                jump_v = vp("+") - vm("-")
            F += ufl.inner(im.state.traction, jump_v) * self.r_itf(im) * im.dS(im.tag)
        return F

    def _build_states(self) -> None:
        n_s = self.n("-")  # unit normal from the electrolyte ("-") into the electrode ("+")
        for im in self.interfaces:
            jump = im.plus.u("+") - im.minus.u("-")
            # g_n = [[u]]·n + g0(x) + s: initial geometric gap (the point values im.g0 set by
            # set_initial_gap, and/or a UFL expression of the coordinates) and stripped Li
            g0 = self.initial_gap.get(im.tag)
            if g0 is not None:
                g0 = g0("+") if isinstance(g0, ufl.core.expr.Expr) else g0
            s = im.s_old("+") + im.s_rate("+") * self.s_dt + im.g0("+")
            gap = s if g0 is None else g0 + s
            compliance = None
            if im.h_old is not None:  # interphase: compliance h/E' and growth strain −β(h − h0)
                ip = self.interphase
                im.h = ip.thickness(
                    im.h_old("+"),
                    self.interface_temperature(im),
                    self.ageing_dt,
                    self.interface_temperature(im, old=True),
                )
                compliance = im.h / ip.E
                if ip.beta:
                    gap = gap - ip.beta * (im.h - ip.h0)
            im.state = C.evaluate(
                im.law,
                jump,
                n_s,
                im.d_old("+"),
                gap0=gap,
                dt=self.damage_dt,
                D_old=im.D_old("+"),
                m_old=im.m_old("+"),
                compliance=compliance,
            )

    def interface_temperature(self, im: InterfaceMech, old: bool = False):
        """Temperature at the points of Γ_int (UFL): the mean of the heat fields of its two
        sides, else the uniform loads.T; ``old``: at the last accepted step."""
        fields = self.temperature_old_fields if old else self.temperature_fields
        if self.temperature_fields is None:
            return self.T_old if old else self.loads.T
        Tp = fields(im.plus.tags[0])
        Tm = fields(im.minus.tags[0])
        return 0.5 * (Tp("+") + Tm("-"))

    def residual(self, vs: list):
        """Mechanics residual for test functions ``vs`` (one per region): internal forces and
        the stack-pressure traction."""
        F = self.internal_residual(vs)
        v_top = vs[self.regions.index(self.top_region())]
        if self.pressure_mode == "traction":
            # traction −P n on the top face: external virtual work −∫ P n·v
            F += self.loads.pressure * ufl.dot(self.n, v_top) * self.r() * self.dom.ds(T.TOP)
        work = self.unit_traction_work(vs)  # tractions / forces of [[loading.boundary]]
        if work is not None:
            F -= self.load_factor * work  # −∫ λ t·v
        return F

    def unit_traction_work(self, vs: list):
        """∫ t̂·v dΓ over the faces loaded by tractions or forces of [[loading.boundary]] (the
        values at load factor 1; a force as its uniform traction F/|face|), for one field or
        test function per region (None: skipped); None without such loads. UFL form (N·m per
        unit λ with displacements: the generalised displacement conjugate to λ)."""
        out = None
        for b in self.boundary:
            if b["face"] is None:
                continue
            tag = _FACE_TAGS[b["face"]]
            for reg, v in zip(self.regions, vs):
                if v is None or not self._loaded(b, reg, tag):
                    continue
                area = None
                for k in range(self.dom.gdim):
                    c = "xyz"[k]
                    t = b[f"t{c}"]
                    if t is None and b[f"f{c}"] is not None:
                        area = area or self._face_area(reg, tag)
                        t = b[f"f{c}"] / area
                    if t:
                        term = t * v[k] * self.r() * self.dom.ds(tag)
                        out = term if out is None else out + term
        return out

    def load_conjugates(self) -> tuple[float, float]:
        """(Q, v) of the current fields: Q = Σ R_i û_i, the consistent reactions on the dofs
        prescribed by [[loading.boundary]] times their values at load factor 1 (N·m per unit
        λ: the generalised force conjugate to λ of the prescribed displacements), and
        v = ∫ t̂·u dΓ (the generalised displacement conjugate to λ of the tractions and forces).
        The power of the [[loading.boundary]] loads is Q λ̇ + λ v̇ (docs/theory.md §10.6)."""
        f = self.load_conjugate_forms()
        comm = self.msh.comm
        Q = comm.allreduce(fem.assemble_scalar(f[0]), op=MPI.SUM) if f[0] is not None else 0.0
        v = comm.allreduce(fem.assemble_scalar(f[1]), op=MPI.SUM) if f[1] is not None else 0.0
        return Q, v

    def load_conjugate_ufl(self):
        """The UFL functionals (Q(u), v(u)) of :meth:`load_conjugates` (None where no such
        load), Q through a field ŵ equal to the prescribed values at λ = 1 on the prescribed
        dofs of [[loading.boundary]] (zero elsewhere)."""
        if not hasattr(self, "_conj_ufl"):
            ws, any_w = [], False
            lam = float(self.load_factor.value)
            self.set_load_factor(1.0)
            for reg in self.regions:
                w = fem.Function(reg.V)
                space = reg.V._cpp_object
                for bc in (b for b in self.boundary_bcs if space.contains(b.function_space)):
                    bc.set(w.x.array)
                w.x.scatter_forward()
                nz = self.msh.comm.allreduce(int(np.any(w.x.array != 0.0)), op=MPI.MAX)
                ws.append(w if nz else None)
                any_w = any_w or bool(nz)
            self.set_load_factor(lam)
            self._conj_w = ws
            Q = self.internal_residual(ws) if any_w else None
            v = self.unit_traction_work([r.u for r in self.regions])
            self._conj_ufl = (Q, v)
        return self._conj_ufl

    def load_conjugate_forms(self):
        if not hasattr(self, "_conj_forms"):
            self._conj_forms = tuple(
                None if a is None else fem.form(a, entity_maps=self.entity_maps)
                for a in self.load_conjugate_ufl()
            )
        return self._conj_forms

    def _loaded(self, b: dict, reg: Region, tag: int) -> bool:
        """Whether the [[loading.boundary]] entry ``b`` acts on region ``reg``'s face ``tag``."""
        if b["region"] is not None and b["region"] not in (T.cell_name(t) for t in reg.tags):
            return False
        return _has_facets(self.dom, reg, tag)

    def _face_area(self, reg: Region, tag: int) -> float:
        """|face ``tag`` of region ``reg``| (m²; m per unit depth in 2D; ∫ 2πr in axisymmetry)."""
        msh = reg.sub.mesh
        ds = ufl.Measure("ds", domain=msh, subdomain_data=reg.facet_tags)
        w = 2.0 * np.pi * ufl.SpatialCoordinate(msh)[0] if self.dom.axisymmetric else 1.0
        one = fem.Constant(msh, 1.0)
        a = fem.assemble_scalar(fem.form(one * w * ds(tag)))
        return self.dom.comm.allreduce(a, op=MPI.SUM)

    def set_load_factor(self, value: float) -> None:
        """The protocol's load factor λ: tractions and prescribed displacements of
        [[loading.boundary]] are λ times their values."""
        self.load_factor.value = value
        for const, v in self._boundary_values:
            const.value = value * v

    def _boundary_bcs(self) -> list[fem.DirichletBC]:
        """Prescribed displacements of [[loading.boundary]] on faces, or at the vertex nearest a
        point (the nearest over all ranks and the chosen regions)."""
        bcs = []
        fdim = self.dom.tdim - 1
        comm = self.dom.comm
        for i, b in enumerate(self.boundary):
            for k in range(self.dom.gdim):
                v = b[f"u{'xyz'[k]}"]
                if v is None:
                    continue
                const = fem.Constant(self.msh, 0.0)
                self._boundary_values.append((const, float(v)))
                if b["face"] is not None:
                    tag = _FACE_TAGS[b["face"]]
                    for reg in self.regions:
                        if not self._loaded(b, reg, tag):
                            continue
                        Vi = reg.V.sub(k)
                        dofs = fem.locate_dofs_topological(Vi, fdim, reg.facet_tags.find(tag))
                        bcs.append(fem.dirichletbc(const, dofs, Vi))
                    continue
                p = np.zeros(3)
                p[: self.dom.gdim] = b["point"]
                cand = []
                for reg in self.regions:
                    if b["region"] is not None and b["region"] not in (
                        T.cell_name(t) for t in reg.tags
                    ):
                        continue
                    Vi, _ = reg.V.sub(k).collapse()
                    X = Vi.tabulate_dof_coordinates()
                    d = np.linalg.norm(X - p, axis=1)
                    cand.append((reg, float(d.min(initial=np.inf))))
                best = comm.allreduce(min((c[1] for c in cand), default=np.inf), op=MPI.MIN)
                if not np.isfinite(best):
                    from solver.errors import InputError

                    raise InputError(
                        f"loading.boundary[{i}].point: no vertex of the chosen regions"
                    )
                for reg, _dmin in cand:
                    sub = reg.V.sub(k)
                    dofs = fem.locate_dofs_geometrical(
                        (sub, sub.collapse()[0]),
                        lambda x, p=p, best=best: (
                            np.linalg.norm(x.T - p, axis=1) <= best * (1 + 1e-9) + 1e-300
                        ),
                    )
                    bcs.append(fem.dirichletbc(const, dofs[0], sub))
        return bcs

    @property
    def spaces(self) -> list:
        return [r.V for r in self.regions]

    @property
    def fields(self) -> list:
        return [r.u for r in self.regions]

    def _build_forms(self) -> None:
        W = ufl.MixedFunctionSpace(*self.spaces)
        self.test_functions = list(ufl.TestFunctions(W))
        self.F = self.residual(self.test_functions)
        self.F_blocks = ufl.extract_blocks(self.F)

    # ------------------------------------------------------------------ boundary conditions
    def _bcs(self) -> list[fem.DirichletBC]:
        gdim, fdim = self.dom.gdim, self.dom.tdim - 1
        up = gdim - 1  # stacking axis component
        bcs = []
        sides = {T.LEFT: 0, T.RIGHT: 0, T.FRONT: 1, T.BACK: 1}
        self._disp_bc_dofs = None
        for reg in self.regions:
            ft = reg.facet_tags

            def fix(tag, comp, value=0.0, reg=reg, ft=ft):
                facets = ft.find(tag)
                Vi = reg.V.sub(comp)
                dofs = fem.locate_dofs_topological(Vi, fdim, facets)
                return fem.dirichletbc(
                    value if isinstance(value, fem.Constant) else np.float64(value), dofs, Vi
                )

            if self.bottom != "free" and _has_facets(self.dom, reg, T.BOTTOM):
                bcs.append(fix(T.BOTTOM, up))
                if self.bottom == "clamped":
                    for comp in range(gdim - 1):
                        bcs.append(fix(T.BOTTOM, comp))
            for tag, comp in sides.items():
                if comp >= gdim - 1 or not _has_facets(self.dom, reg, tag):
                    continue
                if self.dom.axisymmetric and tag == T.LEFT:
                    bcs.append(fix(tag, 0))  # the axis: u_r = 0
                elif self.lateral == "roller":
                    bcs.append(fix(tag, comp))
            if self.pressure_mode == "displacement" and reg is self.top_region():
                bcs.append(fix(T.TOP, up, self.loads.top_displacement))
                if self.lateral == "free":
                    bcs.append(fix(T.TOP, 0, self.loads.top_shear))
        if self.lateral == "free" and not self.dom.axisymmetric and not self.boundary:
            # remove the lateral rigid motions: pin the in-plane components at the bottom-left
            reg = self.regions[0]
            for comp in range(gdim - 1):
                Vi = reg.V.sub(comp)
                dofs = fem.locate_dofs_geometrical(
                    (Vi, Vi.collapse()[0]),
                    lambda x: (
                        np.isclose(x[0], 0)
                        & np.isclose(x[1], 0)
                        & (np.isclose(x[2], 0) if gdim == 3 else True)
                    ),
                )
                bcs.append(fem.dirichletbc(np.float64(0.0), dofs[0], Vi))
        return bcs

    def unsupported_modes(self) -> list[str]:
        """The rigid-body modes of the whole stack (its regions held together) that no
        displacement condition suppresses: a mode is suppressed when it moves some constrained
        degree of freedom. Names: "translation along x|y|z", "rotation about x|y|z". The
        axisymmetric stack has one rigid mode, the axial translation."""
        gdim = self.dom.gdim
        axes = "xyz"
        x_all = self.dom.mesh.geometry.x
        comm = self.dom.comm
        lo = np.array([comm.allreduce(float(x_all[:, k].min(initial=np.inf)), op=MPI.MIN)
                       for k in range(3)])  # fmt: skip
        hi = np.array([comm.allreduce(float(x_all[:, k].max(initial=-np.inf)), op=MPI.MAX)
                       for k in range(3)])  # fmt: skip
        centre, size = 0.5 * (lo + hi), float(np.max(hi - lo)) or 1.0
        modes: dict[str, object] = {}
        up = gdim - 1
        if self.dom.axisymmetric:
            modes[f"translation along {axes[up]}"] = lambda X, c: (c == up) * 1.0
        else:
            for k in range(gdim):
                modes[f"translation along {axes[k]}"] = lambda X, c, k=k: (c == k) * 1.0
            rot = [(0, 1, 2)] if gdim == 2 else [(1, 2, 0), (2, 0, 1), (0, 1, 2)]
            for i, j, axis in rot:  # rotation about `axis`: u_i = −(x_j − c_j), u_j = x_i − c_i
                modes[f"rotation about {axes[axis]}"] = lambda X, c, i=i, j=j: (
                    np.where(
                        c == i, -(X[:, j] - centre[j]), np.where(c == j, X[:, i] - centre[i], 0.0)
                    )
                    / size
                )
        # Gram matrix of the modes' values at the constrained dofs: its null space holds the
        # combinations of modes that no condition touches (e.g. a rotation about a pinned point)
        names = list(modes)
        G = np.zeros((len(names), len(names)))
        for bc in self.bcs:
            V = bc.function_space
            dofs = bc.dof_indices()
            dofs = dofs[0][: dofs[1]]  # owned only: each constraint counted once
            bs = V.dofmap.index_map_bs
            msh = getattr(V.mesh, "_cpp_object", V.mesh)  # bc.function_space is the C++ object
            reg = next((r for r in self.regions if r.V.mesh._cpp_object is msh), None)
            if reg is None or len(dofs) == 0:
                continue
            X = reg.V.tabulate_dof_coordinates()[dofs // bs]
            comp = dofs % bs
            C = np.stack([np.asarray(modes[n](X, comp), dtype=float) for n in names], axis=1)
            G += C.T @ C
        G = comm.allreduce(G, op=MPI.SUM)
        w, v = np.linalg.eigh(G)
        null = v[:, w <= 1e-12 * max(float(w.max(initial=0.0)), 1.0)]
        weight = np.linalg.norm(null, axis=1) if null.size else np.zeros(len(names))
        return [n for n, wt in zip(names, weight) if wt > 0.5]

    def dirichlet(self, region: str, facet_tag: int, component: int, value=0.0):
        """Add (and return) u[component] = value on the facets ``facet_tag`` of ``region``
        (value: a float or a fem.Constant updated by the caller)."""
        reg = next(r for r in self.regions if r.name == region)
        Vi = reg.V.sub(component)
        dofs = fem.locate_dofs_topological(Vi, self.dom.tdim - 1, reg.facet_tags.find(facet_tag))
        bc = fem.dirichletbc(
            value if isinstance(value, fem.Constant) else np.float64(value), dofs, Vi
        )
        self.bcs.append(bc)
        return bc

    def set_initial_damage(self, fn, registry_lost: bool = True) -> None:
        """Pre-damaged interface from a stiffness damage ``fn(x) -> d`` at the interface points
        (x: (3, N) coordinates); e.g. a pre-crack. Call before the first solve. See
        :meth:`set_initial_decohesion` (which this calls with the matching D)."""
        for im in self.interfaces:
            X = im.Q.tabulate_dof_coordinates().T
            d = np.clip(fn(X), 0.0, 1.0)
            law = im.law
            d0 = law.delta0_n
            df = 2 * law.G_Ic / (law.K_n * d0)
            delta = df * d0 / (df - d * (df - d0))
            D = np.where(d >= 1.0, 1.0, np.where(d > 0, (delta - d0) / (df - d0), 0.0))
            self._set_initial(im, D, np.full(D.shape, not registry_lost), d=d)

    def set_initial_gap(self, fn) -> None:
        """Initial normal gap ``fn(x) -> g0`` (m) at the interface points (x: (3, N)
        coordinates), added to g_n: a curved body on a flat one, a measured profile. Call
        before the first solve. Γ_int only (not the coating interface)."""
        for im in self.interfaces:
            if im.tag != T.INTERFACE:
                continue
            X = im.Q.tabulate_dof_coordinates().T
            im.g0.x.array[:] = fn(X)
            im.g0.x.scatter_forward()

    def set_initial_decohesion(self, fn, registry=None) -> None:
        """Pre-decohered interface (a manufacturing void, a delaminated patch, a pre-crack):
        decohesion ``fn(x) -> D`` ∈ [0, 1] at the interface points (x: (3, N) coordinates) and
        ``registry(x) -> bool`` (True: the decohered surfaces still mate; default False). Call
        before the first solve. The stiffness damage d and the dissipation Φ = D G_Ic are those
        a mode-I opening reaching D has produced, so that reopening dissipates nothing more.
        Γ_int only (not the coating interface)."""
        for im in self.interfaces:
            if im.tag != T.INTERFACE:
                continue
            X = im.Q.tabulate_dof_coordinates().T
            D = np.clip(fn(X), 0.0, 1.0)
            keep = registry(X) if registry is not None else np.zeros(D.shape, dtype=bool)
            self._set_initial(im, D, np.asarray(keep, dtype=bool))

    def _set_initial(self, im: InterfaceMech, D, keep_registry, d=None) -> None:
        law = im.law
        d0 = law.delta0_n
        df = 2 * law.G_Ic / (law.K_n * d0)
        if d is None:  # the mode-I separation with Φ/G_Ic = D, then the secant damage there
            if law.law == "bilinear":
                delta = d0 + D * (df - d0)
                d = np.where(D > 0, df * (delta - d0) / (delta * (df - d0)), 0.0)
            else:
                d = _exponential_damage_at(law, D)
        d = np.where(D >= 1.0, 1.0, d)
        im.d_old.x.array[:] = d
        im.Phi_old.x.array[:] = np.where(D >= 1.0, max(law.G_Ic, law.G_IIc), D * law.G_Ic)
        im.D_old.x.array[:] = D
        # a lost registry: an offset (1 m) far beyond any sub-grid correlation length
        im.m_old.x.array[:] = np.where((D > 0) & ~keep_registry, 1.0, 0.0)
        for f in (im.d_old, im.Phi_old, im.D_old, im.m_old):
            f.x.scatter_forward()

    # ------------------------------------------------------------------ history
    def _project_interface(self, im: InterfaceMech, expr) -> np.ndarray:
        """Values of ``expr`` at the interface quadrature points (= the DG dofs of ``im.Q``):
        with the interface rule, ∫ expr q_i / ∫ q_i picks the value at point i exactly."""
        from dolfinx import la

        q = ufl.TestFunction(im.Q)
        if not hasattr(im, "_mass"):
            m = fem.assemble_vector(
                self.forms.get(("mass", im.tag), lambda: q("+") * im.dS(im.tag))
            )
            m.scatter_reverse(la.InsertMode.add)
            im._mass = m.array.copy()
        b = fem.assemble_vector(
            self.forms.get(("proj", im.tag, expr), lambda: expr * q("+") * im.dS(im.tag))
        )
        b.scatter_reverse(la.InsertMode.add)
        out = np.zeros_like(b.array)
        nz = im._mass != 0
        out[nz] = b.array[nz] / im._mass[nz]
        f = fem.Function(im.Q)
        f.x.array[:] = out
        f.x.scatter_forward()
        return f.x.array.copy()

    def debond_stripped(self, im: InterfaceMech) -> int:
        """Decohere the points of Γ_int where Li has been stripped (s_old > 0): the Li atoms
        bonded to the electrolyte there have been dissolved, so the surface left behind is a
        new one that carries no adhesion (d = D = 1, Φ = G_c: reopening dissipates nothing);
        it still touches and conducts where pressed (contact penalty, ion path of
        :mod:`solver.physics.contact` with the registry of its separation history). Without
        it, the stripped thickness — an offset in g_n — stretches the cohesive law of the
        bonded interface (δ_f = 2G_c/σ_c ~ 0.1 µm) onto its softening branch, a negative
        stiffness beside the contact penalty on which Newton's active set cycles (issue 13).
        Returns the number of points decohered now (this rank's owned points)."""
        s = im.s_old.x.array
        new = (s > 0.0) & (im.D_old.x.array < 1.0)
        if not np.any(new):
            return 0
        im.d_old.x.array[new] = 1.0
        im.D_old.x.array[new] = 1.0
        im.Phi_old.x.array[new] = max(im.law.G_Ic, im.law.G_IIc)
        for f in (im.d_old, im.D_old, im.Phi_old):
            f.x.scatter_forward()
        nloc = im.Q.dofmap.index_map.size_local
        return int(np.count_nonzero(new[:nloc]))

    def rigid_settlement(self, im: InterfaceMech) -> float:
        """Translate the regions above Γ_int (those without the fixed bottom face) vertically
        by the rigid settlement w that balances the stack pressure on the contact of the
        trial gap, and return w (m; > 0 moves them towards the electrode).

        A stripped (plated) Li thickness enters g_n as an offset at the start of a step: from
        the last converged displacements Γ_int is open (penetrated) by that much, and the first
        Newton iterate sees no contact stiffness (or a penalty far in the wrong place). The
        settlement solves, for the points i of Γ_int with the trial gaps g_i, the vertical
        normal components n_z,i (n from the electrolyte into the electrode) and weights A_i,

            Σ A_i |n_z,i| K_c ⟨−(g_i + w n_z,i)⟩₊ = P Σ A_i |n_z,i|

        (the contact force on the rigid upper stack equals the stack pressure on its projected
        area; monotone, piecewise linear in w: solved exactly by sorting the breakpoints). The
        bulk strains, the creep state and the interface history are unchanged by a rigid
        translation: it is a predictor of the Newton iteration, which then starts in contact,
        and changes no converged state. Only in the traction (stack-pressure) mode with a
        fixed bottom face; 0 (nothing moved) otherwise."""
        P = float(self.loads.pressure.value)
        if self.pressure_mode != "traction" or P <= 0 or self.bottom == "free":
            return 0.0
        fixed = [r for r in self.regions if _has_facets(self.dom, r, T.BOTTOM)]
        if im.plus not in fixed or im.minus in fixed:
            return 0.0
        comm = self.dom.comm
        nloc = im.Q.dofmap.index_map.size_local
        k = self.dom.gdim - 1
        g = self._project_interface(im, im.state.g_n)[:nloc]
        nz = self._project_interface(im, self.n("-")[k])[:nloc]
        w_pt = self._point_weights(im)[:nloc]
        g = np.concatenate(comm.allgather(g))
        a = np.concatenate(comm.allgather(w_pt * np.abs(nz)))
        nz = np.concatenate(comm.allgather(nz))
        ok = (a > 0) & (nz < 0)
        if not np.any(ok):
            return 0.0
        g, a, c = g[ok], a[ok], -nz[ok]  # g_i(w) = g_i − c_i w, c_i = |n_z,i|
        K = im.law.K_c
        target = P * a.sum() / K
        # f(w) = Σ a_i ⟨c_i w − g_i⟩₊ − target, increasing; breakpoints w_i = g_i/c_i
        wb = g / c
        order = np.argsort(wb)
        wb, a, c, g = wb[order], a[order], c[order], g[order]
        S1 = np.cumsum(a * c)  # slope after breakpoint j: Σ_{i≤j} a_i c_i
        S0 = np.cumsum(a * g)
        f_at = S1 * wb - S0  # f(w_j) + target (the points up to j active at w = w_j)
        # f_at[0] = 0 < target: the balance lies past breakpoint m, the points 0..m active
        m = int(np.searchsorted(f_at, target)) - 1
        w = (target + S0[m]) / S1[m]
        if not np.isfinite(w) or w == 0.0:
            return 0.0
        for reg in self.regions:
            if reg in fixed:
                continue
            arr = reg.u.x.array.reshape(-1, self.dom.gdim)
            arr[:, k] -= w
            reg.u.x.scatter_forward()
        return float(w)

    def interface_point_values(self, im: InterfaceMech, expr) -> np.ndarray:
        return self._project_interface(im, expr)

    def accept(self) -> float:
        """Commit the step: damage, dissipation, decohesion and separation history at the
        interface points (none ever decreases); return the cohesive energy dissipated in the
        step (J; J/m in 2D): Σ w (Φ_new − Φ_old) for the rate-independent law (the closed form
        (4.9)); with the viscous regularisation Σ w f̄ Δd, Δd the damage increment the
        backward-Euler update (10.1) committed and f̄ the damage force f = −∂Ψ_Γ/∂d polarised
        between the step's start and end separations (:meth:`_step_damage_force`): the
        quadrature of ∫ f dd under which the time-discrete interface is exactly conservative
        with the trapezoidal work of its tractions, (1 − d) on a quadratic energy, and not
        below ½K_n δ_d(d_old) δ_d(d), δ_d(d) the separation at which the rate-independent law
        reaches d (a step that starts below δ_d(d_old) releases from there; docs/theory.md
        (10.1a)). For the bilinear law in the rate-independent limit (softening, onset crossed)
        it is Φ(δ) − Φ(δ_old) exactly; a lagging damage (δ above δ_d of its d) releases more,
        the viscous part (10.1b), never negative."""
        from solver.physics.cohesive import dissipation_at_damage, separation_at_damage

        dissipated = 0.0
        viscous = 0.0  # the part of it above Φ_d(d) of the rate-independent law (10.1b)
        for im in self.interfaces:
            d_prev = im.d_old.x.array.copy()
            d_new = np.maximum(d_prev, self._project_interface(im, im.state.damage))
            phi_new = np.maximum(
                im.Phi_old.x.array, self._project_interface(im, im.state.dissipation)
            )
            D_new = self._project_interface(im, im.state.decohesion)
            if im.h_old is not None:
                h_new = self._project_interface(im, im.h)
            m_new = self._project_interface(im, im.state.separation_max)
            w = self._point_weights(im)
            nloc = im.Q.dofmap.index_map.size_local * im.Q.dofmap.index_map_bs
            if im.law.viscosity > 0:
                f_bar = self._project_interface(im, self._step_damage_force(im))
                B = np.clip(self._project_interface(im, im.state.mixity), 0.0, 1.0)
                # never below the rate-independent release between the two damages (bilinear:
                # Φ_d(d) − Φ_d(d_prev) = ½K_n δ_d(d_prev) δ_d(d) Δd): a step that starts below
                # δ_d(d_prev) (onset, reloading) releases from there, whatever the trapezoid of
                # its tractions says (10.1b)
                delta_a, *_ = separation_at_damage(im.law, d_prev, B)
                delta_b, *_ = separation_at_damage(im.law, d_new, B)
                f_bar = np.maximum(f_bar, 0.5 * im.law.K_n * delta_a * delta_b)
                inc = f_bar * (d_new - d_prev)
                rate_independent = dissipation_at_damage(im.law, d_new, B) - (
                    dissipation_at_damage(im.law, d_prev, B)
                )
                viscous += float(np.sum(((inc - rate_independent) * w)[:nloc]))
            else:
                inc = phi_new - im.Phi_old.x.array
            dissipated += float(np.sum((inc * w)[:nloc]))
            im.d_old.x.array[:] = d_new
            im.Phi_old.x.array[:] = phi_new
            im.D_old.x.array[:] = np.maximum(im.D_old.x.array, D_new)
            im.m_old.x.array[:] = np.maximum(im.m_old.x.array, m_new)
            if im.h_old is not None:
                im.h_old.x.array[:] = np.maximum(im.h_old.x.array, h_new)
                im.h_old.x.scatter_forward()
        for reg in self.regions:
            reg.u_prev.x.array[:] = reg.u.x.array
        self.damage_dt.value = 0.0
        self.ageing_dt.value = 0.0
        if self.inelastic:  # commit the quadrature-point states of the converged step
            if self._T_out:
                self.update_output_temperature()
            for st in self.inelastic.values():
                st.accept()
            self.inelastic_dt.value = 0.0  # the committed state is then the converged one
        # the viscous part of the returned dissipation (J; J/m in 2D; 0 without viscosity)
        self.last_viscous_dissipation = self.msh.comm.allreduce(viscous, op=MPI.SUM)
        return self.msh.comm.allreduce(dissipated, op=MPI.SUM)

    def _step_damage_force(self, im: InterfaceMech):
        """f̄ (UFL, J/m²): the damage force f = −∂Ψ_Γ/∂d = ½(K_n⟨g_n⟩₊² + K_t|g_t|²) −
        ½K_res|[[u]]|² polarised between the last accepted separations (index 0, from the
        regions' ``u_prev``) and the current ones: ½(K_n⟨g_n⁰⟩₊⟨g_n⟩₊ + K_t g_t⁰·g_t) −
        ½K_res [[u]]⁰·[[u]]. For a point whose stored energy is (1 − d) times a quadratic form
        q of the separation, the trapezoidal work ½(t⁰ + t)·([[u]] − [[u]]⁰) less the change of
        (1 − d) q is f̄ (d − d⁰) exactly, whatever d does within the step. The start's normal
        gap carries the step's gap offset (initial gap, stripped thickness, interphase growth
        as in the current state)."""
        cached = getattr(im, "_f_step", None)
        if cached is None or cached[0] is not im.state:  # (built anew with the state)
            law, s = im.law, im.state
            n = self.n("-")
            j0 = im.plus.u_prev("+") - im.minus.u_prev("-")
            gn0 = ufl.dot(j0, n) + (s.g_n - ufl.dot(s.jump, n))
            gt0 = j0 - ufl.dot(j0, n) * n
            eps = 1e-3 * law.sigma_c / law.K_c  # the brackets of (10.2), as in C.evaluate
            f = 0.5 * (
                law.K_n * C._pos(gn0, eps) * C._pos(s.g_n, eps) + law.K_t * ufl.dot(gt0, s.g_t)
            )
            if law.K_res > 0:
                f = f - 0.5 * law.K_res * ufl.dot(j0, s.jump)
            im._f_step = (s, f)
        return im._f_step[1]

    def reject(self) -> None:
        """Restore the displacement of the last accepted step."""
        for reg in self.regions:
            reg.u.x.array[:] = reg.u_prev.x.array

    def _point_weights(self, im: InterfaceMech) -> np.ndarray:
        if not hasattr(im, "_w"):
            q = ufl.TestFunction(im.Q)
            m = fem.assemble_vector(
                fem.form(q("+") * self.r_itf(im) * im.dS(im.tag), entity_maps=self.entity_maps)
            )
            from dolfinx import la

            m.scatter_reverse(la.InsertMode.add)
            im._w = m.array.copy()
        return im._w

    # ------------------------------------------------------------------ outputs
    def bulk_energy(self) -> float:
        dx = self.dom.dx
        e = 0
        for reg in self.regions:
            for tag in reg.tags:
                m = self.materials[T.cell_name(tag)]
                eps = self.kin.strain(reg.u, self.x)
                if tag in self.inelastic:  # the stored (free) energy of the inelastic law
                    psi = self.inelastic[tag].stored_energy(eps, self.eigenstrain(tag))
                    e += psi * self.r() * self.dx(tag)
                    continue
                el = eps - self.eigenstrain(tag)
                e += (
                    0.5
                    * ufl.inner(stress(eps, m["E"], m["nu"], self.eigenstrain(tag)), el)
                    * self.r()
                    * dx(tag)
                )
        return self._scalar(e, key="bulk_energy")

    def interface_integral(self, expr_fn) -> float:
        tot = 0.0
        for im in self.interfaces:
            expr = expr_fn(im)
            tot += self._scalar(expr * self.r_itf(im) * im.dS(im.tag), key=("itf", im.tag, expr))
        return tot

    def _scalar(self, form, key=None) -> float:
        """Global value of a scalar form; ``key`` (hashable) caches the compiled form."""
        if key is None:
            compiled = fem.form(form, entity_maps=self.entity_maps)
        else:
            compiled = self.forms.get(key, lambda: form)
        return self.msh.comm.allreduce(fem.assemble_scalar(compiled), op=MPI.SUM)

    def top_reaction(self, component: int | None = None) -> float:
        """Consistent reaction on the top face along ``component`` (default: the stacking axis):
        internal virtual work of the fields against a test field equal to the unit vector on the
        top-face nodes (N; per unit depth in 2D). Positive = force applied upward."""
        comp = self.dom.gdim - 1 if component is None else component
        return self.face_reaction(self.top_region().name, T.TOP, comp)

    def face_reaction(self, region: str, tag: int, component: int) -> float:
        """Consistent reaction on the facets ``tag`` of ``region`` along ``component``: the
        internal virtual work against a test field equal to the unit vector on those nodes
        (N; per unit depth in 2D; the whole ring in axisymmetry), positive along +component:
        the force the support applies to the body."""
        if not hasattr(self, "_reaction_forms"):
            self._reaction_forms = {}
        key = (region, tag, component)
        if key not in self._reaction_forms:
            reg = next(r for r in self.regions if r.name == region)
            w = fem.Function(reg.V)
            Vi = reg.V.sub(component)
            dofs = fem.locate_dofs_topological(Vi, self.dom.tdim - 1, reg.facet_tags.find(tag))
            w.x.array[dofs] = 1.0
            w.x.scatter_forward()
            vs = [w if r is reg else None for r in self.regions]
            self._reaction_forms[key] = (
                fem.form(self.internal_residual(vs), entity_maps=self.entity_maps),
                w,
            )
        form = self._reaction_forms[key][0]
        return self.msh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def top_mean_displacement(self, component: int | None = None) -> float:
        top = self.top_region()
        comp = self.dom.gdim - 1 if component is None else component
        a = self._scalar(top.u[comp] * self.r() * self.dom.ds(T.TOP), key=("ubar", comp))
        if not hasattr(self, "_top_area"):
            self._top_area = self._scalar(
                fem.Constant(self.msh, 1.0) * self.r() * self.dom.ds(T.TOP)
            )
        return a / self._top_area


def _exponential_damage_at(law, D: np.ndarray) -> np.ndarray:
    """Secant damage of the exponential law at the mode-I separation where Φ/G_Ic = D
    (bisection on δ; Φ and d as in :func:`solver.physics.cohesive.evaluate`)."""
    K, d0 = law.K_n, law.delta0_n
    df = 2 * law.G_Ic / (K * d0)
    dc = 0.5 * (df - d0)

    def phi(delta):
        e = np.exp(-(delta - d0) / dc)
        return 0.5 * K * d0**2 + K * d0 * dc * (1 - e) - 0.5 * K * d0 * delta * e

    lo = np.full(D.shape, d0)
    hi = np.full(D.shape, d0 + 60 * dc)
    target = np.minimum(D, 1 - 1e-12) * law.G_Ic
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        below = phi(mid) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    delta = 0.5 * (lo + hi)
    d = 1.0 - (d0 / delta) * np.exp(-(delta - d0) / dc)
    return np.where(D > 0, d, 0.0)


def interface_point_element(degree: int, tdim: int):
    """Element of the interface history/point space on the Γ_int submesh: DG of the field
    degree, whose nodes are the interface quadrature points (P1: the vertex rule; 2D P2:
    Gauss–Lobatto), except 3D P2: discontinuous P2 on triangles with its 6 nodes at the points
    of the degree-4 Gauss rule (basix's default, Xiao–Gimbutas; positive weights) that the 3D
    P2 interface integrals use, so that the history lives at the quadrature points there too.
    (The Lagrange DG2 vertex functions integrate to 0 on a triangle: the lumped point values
    ∫ f q_i / ∫ q_i divided by round-off at the vertices.)"""
    if degree == 1 or tdim == 2:
        return ("DG", degree)
    import basix
    import basix.ufl

    pts, _w = basix.make_quadrature(basix.CellType.triangle, 4)
    z = np.zeros((0, 2))
    x = [[z] * 3, [z] * 3, [pts]]
    zM = np.zeros((0, 1, 0, 1))
    M = [[zM] * 3, [zM] * 3, [np.eye(6).reshape(6, 1, 6, 1)]]
    return basix.ufl.custom_element(
        basix.CellType.triangle, [], np.eye(6), x, M, 0, basix.MapType.identity,
        basix.SobolevSpace.L2, True, 2, 2,
    )  # fmt: skip


def _lumped_radius(Q: fem.FunctionSpace) -> fem.Function:
    """DG1 function on the interface submesh (2D axisymmetric) equal to (2 r_i + r_j)/3 at
    vertex i of each facet (i, j), so that the vertex rule integrates 2π r̃ N_i exactly."""
    r_eff = fem.Function(Q, name="r_lumped")
    cells = Q.dofmap.list
    r = Q.tabulate_dof_coordinates()[:, 0][cells]
    r_eff.x.array[cells[:, 0]] = (2.0 * r[:, 0] + r[:, 1]) / 3.0
    r_eff.x.array[cells[:, 1]] = (2.0 * r[:, 1] + r[:, 0]) / 3.0
    r_eff.x.scatter_forward()
    return r_eff


def _has_facets(dom, reg: Region, tag: int) -> bool:
    n = len(reg.facet_tags.find(tag)) if reg.facet_tags is not None else 0
    return dom.comm.allreduce(n, op=MPI.SUM) > 0
