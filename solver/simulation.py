"""Case + domain → physics → coupled problem → the model the stepper drives.

``MechanicsSimulation`` is the mechanics-only model (Γ_int contact / cohesive law, eigenstrain
from a prescribed lithiation and temperature history, stack pressure).
"""

from __future__ import annotations

import logging

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from dolfinx import io as dio
from mpi4py import MPI

from meshes import tags as T
from solver.physics.cohesive import CohesiveLaw
from solver.physics.mechanics import Mechanics
from solver.problem import CoupledProblem

log = logging.getLogger(__name__)


def interface_h(dom, tag: int) -> float:
    """Mean facet size on an interface (global): area / number of facets (per the facet's
    own dimension: length in 2D, sqrt(area) in 3D)."""
    itf = dom.interfaces[tag]
    nf = dom.comm.allreduce(len(itf.facets), op=MPI.SUM)
    one = fem.Constant(dom.mesh, 1.0)
    area = dom.comm.allreduce(fem.assemble_scalar(fem.form(one("+") * dom.dS(tag))), op=MPI.SUM)
    a = area / max(nf, 1)
    return a if dom.tdim == 2 else float(np.sqrt(2.0 * a))


def cohesive_law(
    itf: dict, materials: dict, h: float, tag_roles=("electrode", "electrolyte")
) -> CohesiveLaw:
    """The interface law of a resolved [interface] section. Default stiffnesses scale with the
    adjacent moduli and the interface element size: K = 50 E_min / h, contact penalty
    K_c = penalty · E_max / h (at least K_n)."""
    Es = [materials[r]["E"] for r in tag_roles if r in materials]
    E_min, E_max = min(Es), max(Es)
    K_n = itf.get("K_n") or 50.0 * E_min / h
    K_t = itf.get("K_t") or K_n
    K_c = max(K_n, float(itf.get("penalty", 10.0)) * E_max / h)
    return CohesiveLaw(
        K_n=K_n,
        K_t=K_t,
        K_c=K_c,
        sigma_c=itf.get("sigma_c", 20e6),
        tau_c=itf.get("tau_c", 30e6),
        G_Ic=itf.get("G_Ic", 1.0),
        G_IIc=itf.get("G_IIc", 3.0),
        eta=itf.get("bk_eta", 2.0),
        law=itf.get("law", "bilinear"),
        friction=itf.get("friction", 0.0) or 0.0,
    )


class MechanicsSimulation:
    """The stepper's model for the mechanics: set_loads/solve/accept/reject."""

    def __init__(self, case, dom, petsc_options: dict | None = None):
        r = case.resolved
        self.case, self.dom = case, dom
        mats = r["materials"]
        loading = r.get("loading", {})
        itf = r.get("interface", {})
        phys = r.get("physics", {})
        self.c_max = mats.get("electrode", {}).get("c_max") or 1.0
        h = interface_h(dom, T.INTERFACE)
        laws = {T.INTERFACE: cohesive_law(itf, mats, h)}
        if T.INTERFACE_COATING in dom.interfaces:
            laws[T.INTERFACE_COATING] = cohesive_law(itf, mats, h, ("coating", "electrolyte"))
        self.law = laws[T.INTERFACE]
        self.T_ref = loading.get("T_ref", 298.15)
        self.mech = Mechanics(
            dom,
            mats,
            laws,
            degree=int(phys.get("degree", 1)),
            bonded_layers=bool(itf.get("bonded_layers", True)),
            lateral=loading.get("lateral", "roller"),
            bottom=loading.get("bottom", "roller"),
            pressure_mode=loading.get("pressure_mode", "traction"),
            T_ref=self.T_ref,
        )
        self.g_open = itf.get("g_open", 1e-9)
        self.problem = CoupledProblem(
            self.mech.F_blocks,
            [rg.u for rg in self.mech.regions],
            self.mech.bcs,
            self.mech.entity_maps,
            options=petsc_options,
            name="ssbx_mech",
        )
        from solver.metrics import MechanicsMetrics

        self.metrics = MechanicsMetrics(self.mech, self.g_open)
        self._last_dissipated = 0.0
        log.info(
            f"  mechanics: regions {[rg.name for rg in self.mech.regions]}, "
            f"{self.num_dofs()} dofs, K_n = {self.law.K_n:.3g} Pa/m, "
            f"K_c = {self.law.K_c:.3g} Pa/m (h_int = {h:.3g} m)"
        )

    def num_dofs(self) -> int:
        return sum(
            rg.V.dofmap.index_map.size_global * rg.V.dofmap.index_map_bs for rg in self.mech.regions
        )

    # -- the stepper's protocol
    def set_loads(self, st: dict) -> None:
        L = self.mech.loads
        L.pressure.value = st.get("pressure", 0.0)
        L.top_displacement.value = st.get("displacement", 0.0)
        if isinstance(L.c, fem.Constant):
            L.c.value = st.get("soc", 0.0) * self.c_max
        L.T.value = st.get("temperature", self.T_ref)

    def solve(self):
        return self.problem.solve()

    def damage_increment(self) -> float:
        inc = 0.0
        for im in self.mech.interfaces:
            d = self.mech.interface_point_values(im, im.state.damage)
            inc = max(inc, float(np.max(d - im.d_old.x.array, initial=0.0)))
        return self.dom.comm.allreduce(inc, op=MPI.MAX)

    def accept(self) -> dict:
        dissipated = self.mech.accept()
        self.metrics.on_accept(dissipated)
        return {"dissipated": dissipated}

    def reject(self) -> None:
        self.mech.reject()


class FieldWriter:
    """XDMF field output for ParaView: displacement, von Mises and σ_nn per region, and the
    interface fields (g_n, |g_t|, t_n, |t_t|, d, contact state) on the Γ_int submesh."""

    def __init__(self, sim: MechanicsSimulation, folder):
        self.sim = sim
        m = sim.mech
        self.files = []
        self.items = []  # (file, function, updater)
        for reg in m.regions:
            msh = reg.sub.mesh
            f = dio.XDMFFile(msh.comm, str(folder / f"{reg.name}.xdmf"), "w")
            f.write_mesh(msh)
            self.files.append(f)
            V1 = fem.functionspace(msh, ("Lagrange", 1, (m.dom.gdim,)))
            u_out = fem.Function(V1, name="u")
            self.items.append((f, u_out, (lambda u_out=u_out, reg=reg: u_out.interpolate(reg.u))))
            D0 = fem.functionspace(msh, ("DG", 0))
            vm_expr, snn_expr = m.stress_expressions(reg)
            for name, expr in (("von_mises", vm_expr), ("sigma_nn", snn_expr)):
                fn = fem.Function(D0, name=name)
                e = fem.Expression(expr, D0.element.interpolation_points)
                self.items.append((f, fn, (lambda fn=fn, e=e: fn.interpolate(e))))
        for im in m.interfaces:
            Gm = im.Q.mesh
            f = dio.XDMFFile(Gm.comm, str(folder / f"{T.facet_name(im.tag)}.xdmf"), "w")
            f.write_mesh(Gm)
            self.files.append(f)
            P1 = fem.functionspace(Gm, ("Lagrange", 1))
            st = im.state
            g_open = sim.g_open
            exprs = {
                "g_n": st.g_n,
                "g_t": ufl.sqrt(ufl.dot(st.g_t, st.g_t)),
                "t_n": st.t_n,
                "t_t": ufl.sqrt(ufl.dot(st.t_t, st.t_t)),
                "damage": st.damage,
                # 0 open, 1 debonded contact, 2 (partly) bonded
                "contact_state": ufl.conditional(
                    ufl.gt(st.g_n, g_open), 0.0, ufl.conditional(ufl.ge(st.damage, 1.0), 1.0, 2.0)
                ),
            }
            for name, expr in exprs.items():
                fn = fem.Function(P1, name=name)
                self.items.append(
                    (f, fn, (lambda fn=fn, expr=expr, im=im: self._to_p1(im, expr, fn)))
                )

    def _to_p1(self, im, expr, fn) -> None:
        """Interface quadrature values → P1 on the interface mesh (length-weighted average of
        the facets meeting at each vertex)."""
        q = fem.Function(im.Q)
        q.x.array[:] = self.sim.mech.interface_point_values(im, expr)
        Gm = im.Q.mesh
        v = ufl.TestFunction(fn.function_space)
        dxv = ufl.Measure(
            "dx", domain=Gm, metadata={"quadrature_rule": "vertex", "quadrature_degree": 1}
        )
        from dolfinx import la

        b = fem.assemble_vector(fem.form(q * v * dxv))
        m = fem.assemble_vector(fem.form(v * dxv))
        b.scatter_reverse(la.InsertMode.add)
        m.scatter_reverse(la.InsertMode.add)
        fn.x.array[:] = np.where(m.array != 0, b.array / np.where(m.array != 0, m.array, 1), 0)
        fn.x.scatter_forward()

    def write(self, t: float) -> None:
        for f, fn, update in self.items:
            update()
            f.write_function(fn, t)

    def close(self) -> None:
        for f in self.files:
            f.close()
