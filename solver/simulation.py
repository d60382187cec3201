"""Case + domain → enabled physics → one monolithic Newton problem → the stepper's model.

``Simulation`` couples, in one block system solved by one Newton iteration per step:
mechanics (per-region displacements jumping across Γ_int, contact / cohesive law), the potentials
φ_e, φ_s with the contact-gated interface kinetics, and Li transport in the electrode (driving
the Vegard eigenstrain). Galvanostatic steps solve for the cell voltage V (the equipotential
collector's potential) by a secant iteration on the scalar equation ∫ j_n dΓ = I around the
monolithic solve (each solve warm-started, so later iterations cost one or two Newton steps).
"""

from __future__ import annotations

import logging
import math

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from dolfinx import io as dio
from mpi4py import MPI

from meshes import tags as T
from solver.physics.cohesive import CohesiveLaw
from solver.physics.contact import ContactLaw
from solver.physics.electrochemistry import F_CONST, Electrochemistry, Kinetics
from solver.physics.heat import Heat
from solver.physics.mechanics import Mechanics
from solver.physics.transport import Transport
from solver.problem import CoupledProblem, SolveResult

log = logging.getLogger(__name__)

CUTOFF_V_TOL = 2e-5  # V: a voltage cut-off is located to within this (the issue asks 1e-4 V)
CUTOFF_J_RTOL = 1e-4  # a current cut-off is located to within this fraction of it


def interface_h(dom, tag: int) -> float:
    """Mean facet size on an interface (global): its measure over the number of facets (a
    length in 2D; the side of an equilateral triangle of that area in 3D)."""
    itf = dom.interfaces[tag]
    nf = dom.comm.allreduce(len(itf.facets), op=MPI.SUM)
    one = fem.Constant(dom.mesh, 1.0)
    area = dom.comm.allreduce(fem.assemble_scalar(fem.form(one("+") * dom.dS(tag))), op=MPI.SUM)
    a = area / max(nf, 1)
    return a if dom.tdim == 2 else float(np.sqrt(4.0 * a / np.sqrt(3.0)))


def stack_height(dom) -> float:
    """Extent of the mesh along the stacking axis (global)."""
    z = dom.mesh.geometry.x[:, dom.gdim - 1]
    lo = dom.comm.allreduce(float(z.min(initial=np.inf)), op=MPI.MIN)
    hi = dom.comm.allreduce(float(z.max(initial=-np.inf)), op=MPI.MAX)
    return hi - lo


# Γ_int counts as open over the whole interface when at most this fraction of it is closed
# (g_n ≤ 0): a named cause of a Newton failure (docs/theory.md §9; :meth:`Simulation.
# failure_cause`)
CONTACT_LOST_FRACTION = 0.01
# Newton iterations of the staggered mechanics predictor of a stripping step (_predict_mechanics)
PREDICTOR_MAX_IT = 60


def stiffness_length(dom) -> float:
    """ℓ in the default interface stiffness K = α E/ℓ (m): the shortest physical length over
    which the interface tractions vary, independent of the mesh. The thinner of the two regions
    joined by Γ_int (volume/|Γ_int|: a layer's mean thickness, r/3 for a sphere) and the
    geometry's finest feature when its family reports one (``feature_length``: the shortest
    surface wavelength over 2π, a contact radius, the smallest particle radius)."""
    one = fem.Constant(dom.mesh, 1.0)
    itf = dom.interfaces[T.INTERFACE]

    def total(form):
        return dom.comm.allreduce(fem.assemble_scalar(fem.form(form)), op=MPI.SUM)

    area = total(one("+") * dom.dS(T.INTERFACE))
    lengths = []
    for tags in (itf.plus_tags, itf.minus_tags):
        vol = sum(total(one * dom.dx(t)) for t in tags)
        if dom.axisymmetric:  # per radian: ∫ r dA over ∫ r ds
            x = ufl.SpatialCoordinate(dom.mesh)
            vol = sum(total(x[0] * dom.dx(t)) for t in tags)
            area_r = total(x[0]("+") * dom.dS(T.INTERFACE))
            lengths.append(vol / area_r)
        else:
            lengths.append(vol / area)
    feature = getattr(dom, "geometry_meta", {}).get("feature_length")
    if feature:
        lengths.append(float(feature))
    return min(lengths)


def cohesive_law(
    itf: dict, materials: dict, ell: float, roles=("electrode", "electrolyte"), L: float = 0.0
) -> CohesiveLaw:
    """The interface law of a resolved [interface] section.

    Default stiffnesses are physical, not numerical: K_n = K_t = α E_min/ℓ and the contact
    penalty K_c = α E_max/ℓ (at least K_n), α = ``interface.penalty``, ℓ = :func:`stiffness_length`.
    The interface compliance 1/K is then a fraction 1/α of the bulk compliance ℓ/E over the
    shortest length the stresses vary on (Turon et al., Eng. Fract. Mech. 74 (2007) 1665 use
    K = α E/t with α ≫ 1): with α = 1e3 the interface adds 0.1 % of compliance, 1 % at ×0.1,
    and the outputs sit in the stiff limit. A fully debonded interface keeps the residual
    stiffness K_res = 1e-6 E_min/L (L: the stack height), so that a body floating on an open
    gap keeps a regular Jacobian (1 µm of opening carries ~1e-6 E_min µm/L of traction)."""
    Es = [materials[r]["E"] for r in roles if r in materials]
    E_min, E_max = min(Es), max(Es)
    alpha = itf["penalty"]
    K_n = itf["K_n"] or alpha * E_min / ell
    K_t = itf["K_t"] or K_n
    K_c = itf["K_c"] or max(K_n, alpha * E_max / ell)
    return CohesiveLaw(
        K_n=K_n,
        K_t=K_t,
        K_c=K_c,
        sigma_c=itf["sigma_c"],
        tau_c=itf["tau_c"],
        G_Ic=itf["G_Ic"],
        G_IIc=itf["G_IIc"],
        eta=itf["bk_eta"],
        law=itf["law"],
        friction=itf["friction"],
        K_res=1e-6 * E_min / L if L > 0 else 0.0,
        viscosity=itf["viscosity"],
    )


def cohesive_zone_length(law: CohesiveLaw, materials: dict, roles=("electrode", "electrolyte")):
    """Hillerborg's cohesive-zone length l_cz = E' G_c/σ_c² (m), the smaller of modes I and II,
    with E' the plane-strain modulus of the pair, 2/E' = Σ (1 − ν²)/E (E/(1 − ν²) for identical
    materials; Hillerborg et al., Cem. Concr. Res. 6 (1976) 773); the process zone spans
    ~0.2–1 l_cz (Turon et al. 2007) and needs ≥ 3 interface elements."""
    E_p = 2.0 / sum((1 - materials[r]["nu"] ** 2) / materials[r]["E"] for r in roles)
    return min(E_p * law.G_Ic / law.sigma_c**2, E_p * law.G_IIc / law.tau_c**2)


def interface_roles(dom) -> tuple[str, str]:
    """The material roles on the two sides of Γ_int: the electrode and the "−" side (the
    electrolyte, or the coating of a coated stack)."""
    return ("electrode", T.cell_name(dom.interfaces[T.INTERFACE].minus_tags[0]))


def debonded_regions(regions: list[dict], gdim: int, sampler=None):
    """(D(x), registry(x)) of the resolved [[interface.debonded]] regions: the largest
    decohesion of the regions covering a point, and whether every region covering it keeps the
    registry. Interface coordinates: x (2D; r when axisymmetric), (x, y) in 3D.

    ``random`` regions threshold a stationary Gaussian random field of Gaussian covariance
    exp(−|Δx|²/ℓ²) (ℓ = ``correlation_length``; random Fourier features: Rahimi & Recht, NIPS
    2007, 512 modes drawn from ``seed``) at the level that decoheres the area ``fraction`` of
    Γ_int; ``sampler(values) -> (values, weights)`` returns every rank's owned interface points
    and their areas (the level is a quantile over the whole interface, so it does not depend on
    the partition)."""

    def random_field(reg, X):
        rng = np.random.default_rng(reg["seed"])
        n, d = 512, gdim - 1
        k = rng.normal(0.0, math.sqrt(2.0) / reg["correlation_length"], size=(n, d))
        ph = rng.uniform(0.0, 2 * math.pi, n)
        return np.sqrt(2.0 / n) * np.cos(X[:d].T @ k.T + ph).sum(axis=1)

    levels: dict[int, float] = {}

    def level(i, reg, X):
        if i not in levels:
            vals, w = sampler(random_field(reg, X))
            order = np.argsort(vals)[::-1]  # decohere the highest values first
            cum = np.cumsum(w[order]) / w.sum()
            levels[i] = float(vals[order][np.searchsorted(cum, reg["fraction"])])
        return levels[i]

    def masks(X):
        for i, reg in enumerate(regions):
            x = X[0]
            shape = reg["shape"]
            if shape == "random":
                m = random_field(reg, X) >= level(i, reg, X)
            elif shape == "all":
                m = np.ones(x.shape, dtype=bool)
            elif shape == "interval":
                m = (x >= reg["x"][0]) & (x <= reg["x"][1])
            elif shape == "box":
                y = X[1]
                m = (x >= reg["x"][0]) & (x <= reg["x"][1])
                m &= (y >= reg["y"][0]) & (y <= reg["y"][1])
            else:  # disk
                c = reg["centre"]
                r2 = (x - c[0]) ** 2 + ((X[1] - c[1]) ** 2 if gdim == 3 else 0.0)
                m = r2 <= reg["radius"] ** 2
            yield reg, m

    def D_fn(X):
        D = np.zeros(X.shape[1])
        for reg, m in masks(X):
            D = np.where(m, np.maximum(D, reg["decohesion"]), D)
        return D

    def registry_fn(X):
        keep = np.ones(X.shape[1], dtype=bool)
        for reg, m in masks(X):
            keep &= ~m | reg["registry"]
        return keep

    return D_fn, registry_fn


def gap_profile(gap: dict, gdim: int):
    """g0(x) (m) of a resolved [interface.initial_gap]: r²/(2R) about the apex (sphere: r the
    distance in the interface coordinates; cylinder: r = x − x0), the Hertz approximation of a
    body of radius R on a flat one (Johnson 1985, §4.1); or the linear interpolant of a CSV of
    (x, g0) / (x, y, g0) rows (nearest value outside the points)."""
    shape = gap["shape"]
    if shape in ("sphere", "cylinder"):
        R, c = gap["radius"], gap["centre"]

        def fn(X):
            r2 = (X[0] - c[0]) ** 2
            if shape == "sphere" and gdim == 3:
                r2 = r2 + (X[1] - c[1]) ** 2
            return r2 / (2.0 * R)

        return fn
    data = np.loadtxt(_csv_rows(gap["file"]), delimiter=",", ndmin=2)
    if gdim == 2:
        order = np.argsort(data[:, 0])
        return lambda X: np.interp(X[0], data[order, 0], data[order, 1])
    from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator

    lin = LinearNDInterpolator(data[:, :2], data[:, 2])
    near = NearestNDInterpolator(data[:, :2], data[:, 2])

    def fn3(X):
        v = lin(X[0], X[1])
        bad = np.isnan(v)
        v[bad] = near(X[0][bad], X[1][bad])
        return v

    return fn3


def _csv_rows(path: str) -> list[str]:
    """The numeric rows of a CSV (header and '#' comments skipped; ';' accepted)."""
    rows = []
    for ln in open(path).read().splitlines():
        ln = ln.strip().replace(";", ",")
        if not ln or ln.startswith("#"):
            continue
        try:
            [float(x) for x in ln.split(",") if x.strip()]
        except ValueError:
            continue
        rows.append(ln)
    return rows


def kinetics_from_case(itf: dict) -> Kinetics:
    return Kinetics(
        kind=itf["kinetics"],
        i0=itf["i0"],
        alpha_a=itf["alpha_a"],
        alpha_c=itf["alpha_c"],
        R_ct=itf["R_ct"],
        h_sei=itf["h_sei0"],
        kappa_sei=itf["kappa_sei"],
        i0_dependence=itf["i0_dependence"],
    )


def contact_from_case(itf: dict, materials: dict, roles=("electrode", "electrolyte")) -> ContactLaw:
    """The sub-grid contact law of Γ_int: micro-contacts on the softer side (hardness), the
    contact modulus E* = [Σ (1 − ν²)/E]⁻¹ of the pair ``roles`` (:func:`interface_roles`)."""
    e, s = materials[roles[0]], materials[roles[1]]
    hard = [m["hardness"] for m in (e, s) if m.get("hardness")]
    E_star = 1.0 / sum((1 - m["nu"] ** 2) / m["E"] for m in (e, s))
    return ContactLaw(
        microcontact=itf["microcontact"],
        asperity_radius=itf["asperity_radius"],
        asperity_spacing=itf["asperity_spacing"],
        work_of_adhesion=itf["work_of_adhesion"],
        hardness=min(hard) if hard else math.inf,
        E_star=E_star,
        g_open=itf["g_open"],
        registry_length=itf["registry_length"],
        constriction=itf["constriction"],
    )


def linear_ocv(material: dict):
    """U(c) = ocv + ocv_slope · c/c_max (V), a simple open-circuit potential of the electrode."""
    U0 = material.get("ocv") or 0.0
    slope = material.get("ocv_slope") or 0.0
    c_max = material.get("c_max") or 1.0

    def U(c):
        if c is None or not slope:
            return U0
        return U0 + slope * c / c_max

    return U


def electrode_ocv(material: dict):
    """The open-circuit potential U(c) (V) of the electrode: its tabulated curve
    (``ocv_curve``, :mod:`solver.curves`, a UFL piecewise cubic of x = c/c_max) when it has one,
    else :func:`linear_ocv`. ``U(None)``: the value at c_init (no Li transport: the lithiation
    stays at c_init). A float ``c`` gives a float. ``U.entropic(c)``: dU/dT (V/K) or None."""
    spec = material.get("ocv_curve")
    if spec is None:
        return linear_ocv(material)
    from solver.curves import resolve

    curve = resolve(spec, "ocv")
    c_max = material["c_max"]
    c0 = material.get("c_init") or 0.0

    def U(c):
        if c is None:
            return float(curve(c0 / c_max))
        if isinstance(c, int | float):
            return float(curve(c / c_max))
        return curve.ufl(c / c_max)

    def entropic(c):
        if curve.dydT is None or not np.any(curve.dydT):
            return None
        if c is None:
            return float(curve.entropic(c0 / c_max))
        return curve.ufl_entropic(c / c_max)

    U.entropic = entropic
    U.curve = curve
    return U


class Simulation:
    """The stepper's model: ``set_loads``, ``solve``, ``accept``, ``reject``,
    ``damage_increment``; plus ``row(info)`` for the time series."""

    # the numbers kept between steps, stored by a checkpoint with every fem.Function and
    # fem.Constant of the model (solver.checkpoint.collect)
    CHECKPOINT_STATE = (
        "t_star_pad",
        "_pad_prev",
        "mode",
        "j_app",
        "t_acc",
        "charge",
        "throughput",
        "dissipation",
        "thermal_outcome",
        "heat_powers",
        "_V_slope",
        "_I_acc",
        "V_cell",
        "V_min",
        "V_max",
        "_dt",
        "charge_collector",
    )

    def checkpoint_state(self):
        """The :class:`solver.checkpoint.StateRegistry` of the model after an accepted step.
        A pending Li-stripping increment (held as point values until the next step starts) is
        committed first, as the next :meth:`set_loads` would do."""
        from solver.checkpoint import collect

        self._commit_stripping()
        return collect(self, "sim")

    def restored(self) -> None:
        """After :func:`solver.checkpoint.load`: the accepted state is the restored one."""
        for f in self.fields:
            f.x.scatter_forward()
        self._prev = [f.x.array.copy() for f in self.fields]

    def close(self) -> None:
        """Destroy the solvers' PETSc objects now, on every rank together (their destruction
        is collective; see :meth:`solver.problem.CoupledProblem.close`). Idempotent."""
        for prob in (getattr(self, "problem", None), getattr(self, "_mech_problem", None)):
            if prob is not None:
                prob.close()

    def __init__(self, case, dom, petsc_options: dict | None = None):
        from solver.pycompat import disable_singledispatch_caches, prepare_jit_cache_once

        disable_singledispatch_caches()  # CPython 3.13.0/3.13.1 would keep every model alive
        prepare_jit_cache_once()  # concurrent runs wait for each other's compiles; no stale entry
        r = case.resolved
        self.case, self.dom = case, dom
        mats = r["materials"]
        loading = r["loading"]
        itf = r["interface"]
        phys = r["physics"]
        degree = int(phys["degree"])
        self.T_ref = loading["T_ref"]
        self.T = fem.Constant(dom.mesh, float(loading["temperature"]))
        electrode = mats["electrode"]
        self.metal = electrode.get("kind") == "metal"
        self.c_max = electrode.get("c_max") or 1.0
        self.g_open = itf["g_open"]
        self.mode = "rest"
        self.j_app = 0.0
        self.t_acc = 0.0
        self.charge = 0.0  # C passed through Γ_int (per unit depth in 2D)
        self.throughput = 0.0  # ∫ |I| dt
        self.charge_collector = 0.0  # ∫ I_collector dt (Li metal: the circuit's charge, §5.6)
        self.dissipation = 0.0

        # heat: temperature fields on both sides of Γ_int (else the uniform Constant self.T)
        self.heat = None
        self.thermal_outcome = None
        # the named stop "contact lost" (solver.contact_lost_fraction; :meth:`_contact_lost`)
        self.contact_lost_fraction = float(r["solver"]["contact_lost_fraction"])
        self.stop_reason = None  # "contact_lost" once the run stopped on it
        self.stop = None  # its one-line reason
        kin = kinetics_from_case(itf)
        contact = (
            contact_from_case(itf, mats, interface_roles(dom))
            if phys["electrochemistry"] or phys["thermal"]
            else None
        )
        if phys["thermal"]:
            th = r["thermal"]
            self.T_init = float(loading["temperature"])
            self.T_amb0 = float(th["T_ambient"])
            self.T_amb = fem.Constant(dom.mesh, self.T_amb0)
            self.T_limit = float(th["T_limit"])
            self.retention_min = float(th["retention_min"])
            self.heat = Heat(
                dom,
                mats,
                th,
                degree=degree,
                T_init=self.T_init,
                T_ambient=self.T_amb,
                contact=contact,
            )
        T_e = self.heat.T_e if self.heat else self.T
        # Li transport (intercalation electrodes); else a prescribed c = soc · c_max
        self.transport = None
        c_field = fem.Constant(dom.mesh, 0.0)
        self.c_prescribed = c_field
        if phys["transport"] and not self.metal:
            self.transport = Transport(
                dom,
                dom.subdomain((T.ELECTRODE,)),
                electrode,
                degree=degree,
                temperature=T_e,
                T_ref=self.T_ref,
            )
            c_field = self.transport.c
            self.c_prescribed = None
        from solver.config import ageing_grows_interphase

        grows = phys["ageing"] and ageing_grows_interphase(case.raw)
        self.interphase = self._interphase(case) if grows else None
        self.t_star = None  # time to contact loss by interphase growth (physics.ageing)
        self.t_star_pad = None  # time for the pad pressure to relax to ageing.p_c
        self.mech = None
        if phys["mechanics"]:
            h = interface_h(dom, T.INTERFACE)
            L = stack_height(dom)
            ell = stiffness_length(dom)
            roles = interface_roles(dom)
            laws = {T.INTERFACE: cohesive_law(itf, mats, ell, roles, L=L)}
            if T.INTERFACE_COATING in dom.interfaces:
                laws[T.INTERFACE_COATING] = cohesive_law(
                    itf, mats, ell, ("coating", "electrolyte"), L=L
                )
            self.law = laws[T.INTERFACE]
            self.stiffness_length = ell
            self.l_cz = cohesive_zone_length(self.law, mats, roles)
            if self.l_cz < 3.0 * h:
                log.warning(
                    f"  interface: the cohesive-zone length E*G_c/sigma_c^2 = {self.l_cz:.3g} m "
                    f"is resolved by {self.l_cz / h:.2g} interface elements (h = {h:.3g} m); "
                    f"the process zone needs >= 3: refine geometry.h_interface below "
                    f"{self.l_cz / 3:.3g} m"
                )
            self.mech = Mechanics(
                dom,
                mats,
                laws,
                degree=degree,
                lateral=loading["lateral"],
                bottom=loading["bottom"],
                pressure_mode=loading["pressure_mode"],
                T_ref=self.T_ref,
                c_field=c_field,
                temperature=self.T,
                temperature_fields=self.heat.field_of if self.heat else None,
                temperature_old_fields=self.heat.old_of if self.heat else None,
                boundary=loading["boundary"],
                interphase=self.interphase,
                inelastic=bool(phys["inelastic"]),
                relaxation=bool(phys["ageing"]),
            )
            self.h_int = h
            self.mech.T_old.value = float(loading["temperature"])
            if self.mech.needs_pre_residual and degree == 1:
                log.warning(
                    "  creep (physics.inelastic) with P1 displacements: volume-preserving creep "
                    "locks linear elements (docs/validation.md item 18); use physics.degree = 2"
                )
            free = self.mech.unsupported_modes()
            if free:
                from solver.errors import InputError

                raise InputError(
                    f"loading: no support suppresses the stack's {', '.join(free)} (lateral = "
                    f"'{loading['lateral']}', bottom = '{loading['bottom']}', pressure_mode = "
                    f"'{loading['pressure_mode']}'); allowed: a model whose supports fix every "
                    "rigid-body mode, e.g. loading.bottom = 'roller' or 'clamped' and "
                    "loading.lateral = 'roller'"
                )
            if itf["debonded"]:
                D_fn, reg_fn = debonded_regions(
                    itf["debonded"], dom.gdim, self._interface_sampler()
                )
                self.mech.set_initial_decohesion(D_fn, reg_fn)
            if itf["initial_gap"] is not None:
                self.mech.set_initial_gap(gap_profile(itf["initial_gap"], dom.gdim))
            if self.heat is not None:
                self.heat.mech = self.mech
                for em in self.heat.entity_maps:  # forms of the mechanics see T (thermal strain)
                    if all(em is not e for e in self.mech.entity_maps):
                        self.mech.entity_maps.append(em)
        self.ec = None
        if phys["electrochemistry"]:
            hk = {}
            if self.heat is not None:
                hk = dict(
                    T_electrode=self.heat.T_e,
                    T_ionic=self.heat.T_o,
                    T_interface=self.heat.T_itf,
                    retention=self.heat.psi,
                    Q=self.heat.Q,
                    extra_entity_maps=self.heat.entity_maps,
                )
            self.ec = Electrochemistry(
                dom,
                mats,
                kin,
                contact=contact,
                mech=self.mech,
                degree=degree,
                temperature=self.T,
                ocv=electrode_ocv(electrode),
                c=self.transport.c if self.transport else None,
                T_ref=self.T_ref,
                counter_boundary=loading["counter_boundary"],
                Ea_i0=float(itf["Ea_i0"]),
                interphase_thickness=self._itf_mech().h if self.interphase else None,
                **hk,
            )
            self.A_app = self._collector_area()
        if self.heat is not None:
            self.heat.set_sources(self.ec)
        blocks = [p for p in (self.mech, self.ec, self.transport, self.heat) if p is not None]
        spaces = [V for p in blocks for V in p.spaces]
        W = ufl.MixedFunctionSpace(*spaces)
        vs = list(ufl.TestFunctions(W))
        F, k = 0, 0
        for p in blocks:
            n = len(p.spaces)
            if p is self.transport:
                j_n = self.ec.j_n if self.ec else 0.0
                dS = (self.ec.dS if self.ec else dom.interface_measure())(T.INTERFACE)
                F += p.residual(vs[k : k + n], j_n, dS, weight=self.ec.r_itf() if self.ec else None)
            else:
                F += p.residual(vs[k : k + n])
            k += n
        self.fields = [f for p in blocks for f in p.fields]
        bcs = (
            (self.mech.bcs if self.mech else [])
            + (self.ec.bcs if self.ec else [])
            + (self.heat.bcs if self.heat else [])
        )
        self.entity_maps = []
        for p in (self.mech, self.ec, self.heat):
            if p is not None:
                for em in p.entity_maps:
                    if all(em is not e for e in self.entity_maps):
                        self.entity_maps.append(em)
        if not self.entity_maps:  # transport only
            self.entity_maps = [dom.subdomain((T.ELECTRODE,)).cell_map]
        elif self.transport is not None:
            cm = dom.subdomain((T.ELECTRODE,)).cell_map
            if all(cm is not e for e in self.entity_maps):
                self.entity_maps.append(cm)
        F_blocks = ufl.extract_blocks(F)
        self.block_scales = [fem.Constant(dom.mesh, 1.0) for _ in F_blocks]
        F_blocks = [s * Fi for s, Fi in zip(self.block_scales, F_blocks)]
        self.problem = CoupledProblem(
            F_blocks,
            self.fields,
            bcs,
            self.entity_maps,
            options=self._linear_solver_options(petsc_options),
            name="ssbx",
            field_tolerances=self._field_tolerances(),
            block_scales=self.block_scales,
            max_update=self._update_caps(),
            pre_residual=self._inelastic_hook(),
        )
        if self.ec is not None:  # start at open circuit: V = U(c_init), φ_e = V
            c0 = electrode.get("c_init") or 0.0
            U0 = electrode_ocv(electrode)(float(c0))
            self.ec.V_cell.value = U0
            self.ec.phi_electrode.x.array[:] = U0
        self._prev = [f.x.array.copy() for f in self.fields]
        self._mech_problem = None  # the staggered mechanics predictor (Li stripping)
        self._bordered = None  # galvanostatic constraint installed in the problem
        self._dt = 0.0
        self.li0 = self._li_inventory()
        from solver.balances import ChargeBalance, HeatBalance

        self.heat_balance = HeatBalance(self) if self.heat else None
        self.heat_powers = {"joule": 0.0, "interface": 0.0, "out": 0.0, "across": 0.0}
        self.charge_balance = ChargeBalance(self) if self.ec is not None else None
        self._V_slope = None
        self._I_acc = 0.0  # current of the last accepted step
        self.V_cell = float(self.ec.V_cell.value) if self.ec is not None else 0.0
        if self.mech is not None:
            from solver.metrics import MechanicsMetrics

            self.mmetrics = MechanicsMetrics(self.mech, self.g_open)
        self.platen_displacement = self._platen_displacement(loading)
        self.relaxing, self.p_c = [], None  # physics.ageing: the relaxing materials' states
        if phys["ageing"] and self.mech is not None:
            from solver.physics.inelastic import ViscoState

            visco = {t: s for t, s in self.mech.inelastic.items() if isinstance(s, ViscoState)}
            self.relaxing = list(visco.values())
            if any(T.cell_name(tag) == "pad" for tag in visco):  # t*_pad (ageing.p_c)
                self.p_c = float(case.ageing["p_c"])
        self._path_control = None  # solver.path_following (solver.pathfollow)
        if (case.solver or {}).get("path_following", "none") != "none" and self.mech is not None:
            if self.ec is None and self.transport is None and self.heat is None:
                from solver.pathfollow import DissipationControl

                self._path_control = DissipationControl(self.mech, self.problem)
        log.info(f"  fields: {', '.join(f.name for f in self.fields)}; {self.num_dofs()} dofs")

    # ------------------------------------------------------------------ helpers
    def _linear_solver_options(self, petsc_options: dict | None) -> dict:
        """The PETSc options with the case's ``[solver] linear_solver`` (direct | iterative |
        auto; solver/precond.py) unless they carry a choice already."""
        opts = dict(petsc_options or {})
        ls = self.case.resolved.get("solver", {}).get("linear_solver")
        if ls is not None:
            opts.setdefault("ssbx_linear_solver", ls)
        return opts

    @staticmethod
    def _interphase(case):
        """The interphase growth of physics.ageing from the [ageing] keys (docs/theory.md §7.2)."""
        from solver.physics.interphase import Interphase

        ag, itf = case.ageing, case.interface
        return Interphase(
            h0=float(itf["h_sei0"]),
            D_ref=float(ag["sei_D"]),
            Ea=float(ag["sei_Ea"]),
            Omega=float(ag["sei_molar_volume"]),
            c_inf=float(ag["sei_c_inf"]),
            E=float(ag["sei_E"]),
            kappa=float(itf["kappa_sei"]),
            beta=float(ag["sei_growth_strain"]),
            T_ref=float(case.loading["T_ref"]),
            rtol=float(ag["rtol"]),
            p_min=float(ag["p_min"]),
        )

    def _itf_mech(self):
        """The mechanics of Γ_int (the interface that carries the interphase)."""
        return next(im for im in self.mech.interfaces if im.tag == T.INTERFACE)

    def ageing_step_limit(self) -> float:
        """Largest time step (s) of the ageing error control: every Γ_int point grows by at
        most ageing.rtol (h + 1 nm) at its current temperature, and no relaxing branch stress
        of a viscoelastic material (physics.ageing) changes by more than ageing.rtol times the
        largest stress norm of the relaxing materials (:meth:`ViscoState.step_limit`; inf
        without ageing)."""
        dt = math.inf
        if self.relaxing:
            comm = self.dom.comm
            S = max(float(st.committed_norms()[0].max(initial=0.0)) for st in self.relaxing)
            S = comm.allreduce(S, op=MPI.MAX)
            rtol = float(self.case.ageing["rtol"])
            lim = min(st.step_limit(rtol * S) for st in self.relaxing)
            dt = comm.allreduce(lim, op=MPI.MIN)
        if self.interphase is None:
            return dt
        im = self._itf_mech()
        nloc = im.Q.dofmap.index_map.size_local
        h = im.h_old.x.array[:nloc]
        T_pts = self.mech.interface_point_values(im, self.mech.interface_temperature(im))[:nloc]
        return min(dt, self.dom.comm.allreduce(self.interphase.step_limit(h, T_pts), op=MPI.MIN))

    def ageing_increment(self) -> float:
        """Largest relative growth Δh/(h_old + 1 nm) over the Γ_int points in the trial step,
        in units of ageing.rtol (the stepper cuts a step above 1.5: the temperature moved)."""
        if self.interphase is None:
            return 0.0
        im = self._itf_mech()
        nloc = im.Q.dofmap.index_map.size_local
        h_old = im.h_old.x.array[:nloc]
        h_new = self.mech.interface_point_values(im, im.h)[:nloc]
        ip = self.interphase
        rel = np.max((h_new - h_old) / (h_old + ip.h_floor), initial=0.0) / ip.rtol
        return self.dom.comm.allreduce(float(rel), op=MPI.MAX)

    def ageing_row(self) -> dict:
        """The interphase columns: mean and largest thickness, mean resistance h/κ_sei
        (Ω·cm²), smallest Γ_int pressure; and t*, the first time that pressure fell below
        ageing.p_min (log-log interpolation between the accepted steps: exact for p ∝ t^(−1/2),
        the rigid-stack limit)."""
        im = self._itf_mech()
        comm = self.dom.comm
        nloc = im.Q.dofmap.index_map.size_local
        h = im.h_old.x.array[:nloc]
        w = self.mech._point_weights(im)[:nloc]
        p = -self.mech.interface_point_values(im, im.state.t_n)[:nloc]
        W = comm.allreduce(float(w.sum()), op=MPI.SUM)
        h_mean = comm.allreduce(float((w * h).sum()), op=MPI.SUM) / W
        h_max = comm.allreduce(float(h.max(initial=0.0)), op=MPI.MAX)
        p_min = comm.allreduce(float(p.min(initial=np.inf)), op=MPI.MIN)
        ip = self.interphase
        t_now = self.t_acc
        prev = getattr(self, "_ageing_prev", None)
        # a crossing from >= p_min to < p_min (a pressure still below p_min while the platen
        # is being ramped is not a contact loss)
        if self.t_star is None and prev is not None and prev[1] >= ip.p_min > p_min:
            t0, p0 = prev
            if t0 > 0 and p_min > 0:
                a = math.log(p0 / ip.p_min) / math.log(p0 / p_min)
                self.t_star = math.exp(math.log(t0) + a * math.log(t_now / t0))
            else:
                self.t_star = t0 + (p0 - ip.p_min) / (p0 - p_min) * (t_now - t0)
        self._ageing_prev = (t_now, p_min)
        return {
            "interphase_thickness_mean": h_mean,
            "interphase_thickness_max": h_max,
            "interphase_resistance_mean": h_mean / ip.kappa * 1e4,  # Ω m² → Ω cm²
            "interphase_pressure_min": p_min,
        }

    def _pad_crossing(self, t_now: float, p: float) -> None:
        """t*_pad: the first time the mean Γ_int pressure (the pad's pressure in a stack, by
        equilibrium) falls from ≥ ageing.p_c to below it (linear interpolation between the
        accepted steps, whose relaxation is limited by ageing.rtol)."""
        prev = getattr(self, "_pad_prev", None)
        if self.t_star_pad is None and prev is not None and prev[1] >= self.p_c > p:
            t0, p0 = prev
            self.t_star_pad = t0 + (p0 - self.p_c) / (p0 - p) * (t_now - t0)
        self._pad_prev = (t_now, p)

    def _field_tolerances(self) -> list[float]:
        """Absolute Newton-update tolerances per field, in the field's units."""
        tols = []
        h = getattr(self, "h_int", None) or 1e-7
        for f in self.fields:
            name = f.name
            if name.startswith("u_"):
                tols.append(1e-12 * h)  # m (the interface pressure p ~ K_c δu gates j_n)
            elif name.startswith("phi"):
                tols.append(1e-12)  # V
            elif name.startswith("eta_"):
                tols.append(1e-12)  # V
            elif name == "c":
                tols.append(1e-12 * self.c_max)  # mol/m^3
            elif name.startswith("T"):
                tols.append(1e-9)  # K
            else:
                tols.append(0.0)
        return tols

    def _interface_sampler(self):
        """values at the Γ_int points → (all ranks' owned values, their areas), gathered."""
        im = self.mech.interfaces[0]
        nloc = im.Q.dofmap.index_map.size_local
        w = self.mech._point_weights(im)[:nloc]
        comm = self.dom.comm

        def sample(values):
            v = np.concatenate(comm.allgather(np.asarray(values)[:nloc]))
            return v, np.concatenate(comm.allgather(w))

        return sample

    def _update_caps(self) -> dict[int, float]:
        """Largest Newton update of each displacement field (see CoupledProblem): the
        stiffness length ℓ (m), far above the displacement increments of a converging step."""
        ell = getattr(self, "stiffness_length", None)
        if ell is None:
            return {}
        return {i: ell for i, f in enumerate(self.fields) if f.name.startswith("u_")}

    def _platen_displacement(self, loading: dict) -> float | None:
        """Default top-face (platen) displacement of every step in displacement mode when the
        stack has a pad: −ε₀ t_pad (m; negative compresses), ε₀ = ``loading.pad_strain`` and t_pad
        the pad thickness measured on the mesh (its volume over the top-face area, with the
        weight r when axisymmetric). The platen moves by the displacement that would compress the
        pad by ε₀ if the rest of the stack were rigid; the pad's actual strain is a little smaller
        (the stack takes its share, in series). None: traction mode, or no pad."""
        m = self.mech
        if m is None or m.pressure_mode != "displacement":
            return None
        if T.PAD not in self.dom.cell_tag_values():
            return None
        one = fem.Constant(self.dom.mesh, 1.0)
        vol = m._scalar(one * m.r() * self.dom.dx(T.PAD))
        top = m._scalar(one * m.r() * self.dom.ds(T.TOP))
        return -float(loading["pad_strain"]) * vol / top

    def _collector_area(self) -> float:
        one = fem.Constant(self.dom.mesh, 1.0)
        a = self.ec._scalar(one * self.ec.r() * self.dom.ds(T.BOTTOM))
        if a <= 0:  # no bottom face: the projected interface area
            a = self.ec.interface_integral(one("+"))
        return a

    def num_dofs(self) -> int:
        return sum(
            f.function_space.dofmap.index_map.size_global * f.function_space.dofmap.index_map_bs
            for f in self.fields
        )

    def _li_inventory(self) -> float:
        if self.transport is not None:
            return self.transport.inventory(self.entity_maps)
        if self.metal and self.mech is not None and self.ec is not None:
            # Li removed from the electrode as the stripped thickness s: −∫ s dΓ / Ω_Li
            Om = self.case.materials["electrode"].get("molar_volume") or 1.3e-5
            im = self.mech.interfaces[0]
            s_int = self.mech.interface_integral(lambda _im: im.s_old("+"))
            pending = getattr(self, "_strip_pending", None)
            if pending is not None:  # accepted but not yet committed to s_old
                q = fem.Function(im.Q)
                q.x.array[:] = pending[0] * pending[1]
                s_int += self.mech.interface_integral(lambda _im: q("+"))
            return -s_int / Om
        return 0.0

    # ------------------------------------------------------------------ stepper protocol
    def set_loads(self, st: dict) -> None:
        if self.mech is not None:
            L = self.mech.loads
            L.pressure.value = st.get("pressure", 0.0)
            L.top_displacement.value = st.get("displacement", 0.0)
            self.mech.set_load_factor(st.get("load_factor", 0.0))
        if self.c_prescribed is not None:
            self.c_prescribed.value = st.get("soc", 0.0) * self.c_max
        self.T.value = st.get("temperature", self.T_ref)
        if self.heat is not None:  # the step temperature moves the ambient (boundary) temperature
            self.T_amb.value = self.T_amb0 + (float(self.T.value) - self.T_init)
            self.T.value = self.T_amb.value
        kind = st.get("kind", "hold")
        if self.ec is not None:
            if kind == "voltage":
                self.mode = "voltage"
                self.ec.V_cell.value = st["voltage"]
            elif kind == "current":
                self.mode = "current"
                self.j_app = float(st.get("current_density", 0.0))
            else:  # hold, rest, lithiate: open circuit
                self.mode = "current"
                self.j_app = 0.0
            self.V_min, self.V_max = st.get("V_min"), st.get("V_max")
            self.j_cut = st.get("current_cutoff") if kind == "voltage" else None
        dt = st.get("time", 0.0) - self.t_acc
        self._commit_stripping()
        if self.mech is not None:
            self.mech.s_dt.value = max(dt, 0.0)
            self.mech.damage_dt.value = max(dt, 0.0)
            self.mech.ageing_dt.value = max(dt, 0.0)
            self.mech.inelastic_dt.value = max(dt, 0.0)
        if self.transport is not None:
            self.transport.dt.value = dt if dt > 0 else 1e300
        if self.heat is not None:
            self.heat.set_dt(dt)
        self._dt = dt

    def solve(self) -> SolveResult:
        self._predict_mechanics()
        if self.ec is None or self.mode == "voltage":
            return self.problem.solve()
        return self._solve_galvanostatic()

    # ------------------------------------------------------------------ path following
    def path_following_available(self, start: dict, seg) -> bool:
        """Whether the dissipation control (:mod:`solver.pathfollow`) may drive the segment
        ``seg`` from the loads ``start``: a mechanics-only model with [[loading.boundary]]
        loads, a segment that moves the load factor and ramps nothing else."""
        from solver.stepping import STEP_KEYS

        if self.mech is None or self.ec is not None or self.transport is not None:
            return False
        if self.heat is not None or not self.mech.boundary or self.mech.inelastic:
            return False
        lam = seg.targets.get("load_factor")
        if lam is None or lam == start.get("load_factor", 0.0):
            return False
        return all(
            k in ("load_factor",) + STEP_KEYS or v == start.get(k, 0.0)
            for k, v in seg.targets.items()
        )

    def solve_dissipation(self, dtau: float, dlam_max: float, lam_scale: float) -> SolveResult:
        """One step of the dissipation control: (u, λ) such that the step dissipates ``dtau``
        (J; J/m in 2D) from the last accepted state; λ is left at its solved value
        (:meth:`load_factor`)."""
        if getattr(self, "_path_control", None) is None:
            from solver.pathfollow import DissipationControl

            self._path_control = DissipationControl(self.mech, self.problem)
        return self._path_control.solve(dtau, dlam_max, lam_scale)

    def path_reset(self) -> None:
        """Forget the predictor history of the dissipation control (it switches on anew)."""
        if getattr(self, "_path_control", None) is not None:
            self._path_control.lam_start = None
            self._path_control.has_before = False

    def load_factor(self) -> float:
        """The load factor λ of the [[loading.boundary]] loads now (after a solve)."""
        return float(self.mech.load_factor.value) if self.mech is not None else 0.0

    def load_energy(self) -> float:
        """½ λ (Q + v): the energy the [[loading.boundary]] loads store in a body that unloads
        secantly (J; J/m in 2D; :meth:`solver.physics.mechanics.Mechanics.load_conjugates`)."""
        Q, v = self.mech.load_conjugates()
        return 0.5 * self.load_factor() * (Q + v)

    def path_load(self) -> float:
        """The load that the path following watches for separation: |Q| (the generalised
        reaction of the prescribed displacements of [[loading.boundary]]) when there are
        such displacements, else |λ| (tractions and forces)."""
        Q, _v = self.mech.load_conjugates()
        has_Q = self.mech.load_conjugate_forms()[0] is not None
        return abs(Q) if has_Q else abs(self.load_factor())

    def fracture_damaged(self) -> bool:
        """Whether some interface point is in its process zone (0 < d < 1 in the accepted
        state): the dissipation constraint is regular there."""
        n = 0
        for im in self.mech.interfaces:
            nloc = im.Q.dofmap.index_map.size_local
            d = im.d_old.x.array[:nloc]
            n += int(np.count_nonzero((d > 1e-9) & (d < 1.0 - 1e-9)))
        return self.dom.comm.allreduce(n, op=MPI.SUM) > 0

    def fracture_capacity(self) -> float:
        """Σ w (1 − D) G_c over the interface points: the energy the interfaces can still
        dissipate (J; J/m in 2D; G_c = min(G_Ic, G_IIc), a lower bound)."""
        tot = 0.0
        for im in self.mech.interfaces:
            nloc = im.Q.dofmap.index_map.size_local
            w = self.mech._point_weights(im)[:nloc]
            gc = min(im.law.G_Ic, im.law.G_IIc)
            tot += float(np.sum(w * (1.0 - im.D_old.x.array[:nloc]))) * gc
        return self.dom.comm.allreduce(tot, op=MPI.SUM)

    def _inelastic_hook(self):
        """The quadrature-point return mapping called before every residual (Norton creep), or
        None. A weak reference: the SNES keeps its callbacks alive (see CoupledProblem)."""
        if self.mech is None or not self.mech.needs_pre_residual:
            return None
        import weakref

        ref = weakref.ref(self.mech)

        def hook():
            m = ref()
            if m is not None:
                m.update_inelastic()

        return hook

    def _predict_mechanics(self) -> None:
        """Staggered predictor for a step that starts with a jump of the interface gap: the
        stripped Li thickness s grows by (ds/dt) Δt at the start of each step, so the last
        converged displacements leave Γ_int open by that much and the first coupled Newton
        iteration sees no contact stiffness (only K_res): its update would move the floating
        stack by traction/K_res, and the linearised ion path with it. The mechanics alone (the
        other fields frozen) first closes the gap; the coupled Newton then starts in contact.
        A predictor that does not converge is discarded."""
        if not (self.metal and self.mech is not None and self._dt > 0):
            return
        im = self.mech.interfaces[0]
        if not np.any(im.s_rate.x.array):
            return
        # the upper stack settles rigidly onto the stripped surface first (issue 13): from the
        # last converged displacements the whole of Γ_int is open by the stripped increment,
        # and a Newton step with no contact stiffness moves the stack by up to the cap ℓ ≫ Δs,
        # deep into the stiff penalty (tractions of 1e13-1e14 Pa, creep rates without bound)
        self.last_settlement = self.mech.rigid_settlement(im)
        if self._mech_problem is None:
            m = self.mech
            self._mech_problem = CoupledProblem(
                m.F_blocks,
                m.fields,
                m.bcs,
                m.entity_maps,
                name="ssbx_predictor",
                field_tolerances=[1e-12 * self.h_int for _ in m.fields],
                block_scales=None,
                # a creeping electrode settles through its secant (Kačanov) iterates, linear in
                # rate until its stresses settle (inelastic.CreepState._tangent_slope): measured
                # 20-26 iterations on rough Li | LLZO (issue 13); the mechanics alone is cheap
                options={"snes_max_it": PREDICTOR_MAX_IT},
                pre_residual=self._inelastic_hook(),
            )
        saved = [f.x.array.copy() for f in self.mech.fields]
        if not self._mech_problem.solve().converged:
            for f, a in zip(self.mech.fields, saved):
                f.x.array[:] = a

    def _solve_galvanostatic(self) -> SolveResult:
        """∫ j_n dΓ = j_app A_app with the cell voltage V an unknown of the Newton iteration
        (a bordered system, :meth:`CoupledProblem.set_constraint`): a current step costs about
        as many Newton iterations as a voltage step. Should it fail, the state is restored and
        the secant iteration on V around the monolithic solve (:meth:`_solve_secant`) tries."""
        if self._bordered is None:
            form = self.ec.j_n * self.ec.r_itf() * self.ec.dS(T.INTERFACE)
            self.problem.set_constraint(form, self.ec.V_cell)
            self._bordered = True
        target = self.j_app * self.A_app
        saved = [f.x.array.copy() for f in self.fields]
        V0 = float(self.ec.V_cell.value)
        # predictor: the last accepted state moved along the cell's conductance
        slope = self._V_slope or self._slope_guess()
        dV = (target - self._I_acc) / slope
        if self.ec.kin.kind == "butler_volmer":
            dV = max(min(dV, 0.5), -0.5)
        self.ec.V_cell.value = self.V_cell + dV
        self.problem.target = target
        try:
            res = self.problem.solve()
        finally:
            self.problem.target = None
        if res.converged:
            I_now = self.ec.current()
            # a secant over round-off is noise: between two steps of one constant current the
            # currents differ by ~1e-20 A while V drifts (a stripped gap): a slope of 6e-16 A/V
            # against 8e-3 A/V, whose predictor then jumped V by the 0.5 V clamp when the current
            # reversed (measured on tests/verification/test_li_voids.py, fixed platen with creep)
            dI_min = 1e-9 * max(abs(I_now), abs(self._I_acc), self.current_scale())
            if abs(float(self.ec.V_cell.value) - self.V_cell) > 1e-12 and (
                abs(I_now - self._I_acc) > dI_min
            ):
                self._V_slope = (I_now - self._I_acc) / (float(self.ec.V_cell.value) - self.V_cell)
                if not (self._V_slope > 0 and math.isfinite(self._V_slope)):
                    self._V_slope = None
            return res
        for f, a in zip(self.fields, saved):
            f.x.array[:] = a
        self.ec.V_cell.value = V0
        fallback = self._solve_secant()
        return SolveResult(
            fallback.converged,
            fallback.reason,
            res.newton_iterations + fallback.newton_iterations,
            res.krylov_iterations + fallback.krylov_iterations,
            res.seconds + fallback.seconds,
        )

    def _solve_secant(self) -> SolveResult:
        """Secant iteration on V for ∫ j_n dΓ = j_app A_app (the fallback)."""
        target = self.j_app * self.A_app
        kin = self.ec.kin
        scale = max(abs(target), self.current_scale())
        tol = 1e-10 * scale  # relaxed below to what the inner solves resolve
        its, kits, t = 0, 0, 0.0
        slope = self._V_slope or self._slope_guess()
        # predictor: the last accepted state moved along the cell's conductance to the new current
        V = self.V_cell + (target - self._I_acc) / slope
        if kin.kind == "butler_volmer":
            V = self.V_cell + max(min(V - self.V_cell, 0.5), -0.5)
        hist = []
        lo = hi = None  # bracket: (V, err) with err < 0 and err > 0 (I increases with V)
        for _ in range(40):
            self.ec.V_cell.value = V
            res = self.problem.solve()
            its += res.newton_iterations
            kits += res.krylov_iterations
            t += res.seconds
            if not res.converged:
                return SolveResult(False, res.reason, its, kits, t)
            err = self.ec.current() - target
            hist.append((V, err))
            if err < 0 and (lo is None or V > lo[0]):
                lo = (V, err)
            if err > 0 and (hi is None or V < hi[0]):
                hi = (V, err)
            dV = hist[-1][0] - hist[-2][0] if len(hist) >= 2 else 0.0
            if abs(dV) > 1e-9 * (1.0 + abs(V)):  # a secant over round-off is noise
                s_ = (hist[-1][1] - hist[-2][1]) / dV
                if s_ > 0 and math.isfinite(s_):
                    slope = s_
            elif len(hist) >= 2:
                # the iterates no longer move V measurably: the current is resolved as well as
                # the inner Newton solves allow (update tolerance 1e-12 V on the potentials)
                tol = max(tol, 10 * abs(hist[-2][1] - err) + 1e-9 * scale)
            if abs(err) <= tol:
                self._V_slope = slope
                return SolveResult(True, res.reason, its, kits, t)
            step = -err / slope
            if kin.kind == "butler_volmer":  # exponential response: keep steps moderate
                step = max(min(step, 0.5), -0.5)
            V_new = V + step
            if lo is not None and hi is not None and not (lo[0] < V_new < hi[0]):
                V_new = 0.5 * (lo[0] + hi[0])  # safeguard: bisect the bracket
            V = V_new
        return SolveResult(False, -50, its, kits, t)

    def current_scale(self) -> float:
        """A current that the kinetics resolve (A): i0 A_app (Butler–Volmer), or the current of a
        1 mV overpotential, 1e-3 A_app/R_ct (linear); the floor of the current tolerances."""
        kin = self.ec.kin
        if kin.kind == "butler_volmer":
            return kin.i0 * self.A_app
        return self.A_app * 1e-3 / (kin.R_ct or 1.0)

    def _slope_guess(self) -> float:
        """dI/dV estimate for the first secant step: linearised kinetics in series."""
        kin = self.ec.kin
        if kin.kind == "linear":
            r = kin.R_ct
        else:
            r = 1.0 / (
                kin.i0 * (kin.alpha_a + kin.alpha_c) * F_CONST / (8.314462618 * float(self.T.value))
            )
        return self.A_app / r

    def _commit_stripping(self) -> None:
        pending = getattr(self, "_strip_pending", None)
        if pending is None:
            return
        rate, dt = pending
        im = self.mech.interfaces[0]
        im.s_old.x.array[:] += rate * dt
        im.s_rate.x.array[:] = rate
        im.s_old.x.scatter_forward()
        im.s_rate.x.scatter_forward()
        self._strip_pending = None
        self.mech.debond_stripped(im)  # stripped points carry no adhesion (issue 13)

    def failure_cause(self) -> str | None:
        """The likely cause of a Newton failure of the step just tried, from the last iterate
        (issue 13), or None when nothing stands out. Collective (every rank calls it).

        Named, in this order: Γ_int open (g_n > 0) over (nearly) all of it at the last
        iterate, so that a body floats on the gap (``CONTACT_LOST_FRACTION``; an iterate, not a
        converged contact loss: a traction-loaded stack in equilibrium touches); displacement
        updates scaled down to their cap ℓ (a body floating on an opened gap, or a flow without
        stiffness) in most iterations; creep-dominated points (Norton: the tangent's shear
        stiffness G(1 − 3GΔp') below G/2, i.e. 3GΔp' > 1/2, Δp' = dΔp/dq_tr < 1/3G) with the
        largest creep increment; the open part of Γ_int."""
        if self.mech is None:
            return None
        from mpi4py import MPI

        comm = self.dom.comm
        parts, lead = [], None
        im = self.mech.interfaces[0] if self.mech.interfaces else None
        open_frac = None
        if im is not None:
            nloc = im.Q.dofmap.index_map.size_local
            gn = self.mech.interface_point_values(im, im.state.g_n)[:nloc]
            w = self.mech._point_weights(im)[:nloc]
            W = comm.allreduce(float(w.sum()), op=MPI.SUM)
            op = comm.allreduce(float(w[gn > 0].sum()), op=MPI.SUM)
            open_frac = op / W if W > 0 else None
        if open_frac is not None and open_frac >= 1.0 - CONTACT_LOST_FRACTION:
            lead = (
                f"the last iterate floats: Gamma_int open over {100 * open_frac:.0f} % (contact "
                "not re-established across the opened gap; not a converged contact loss)"
            )
        caps = [
            (p.capped_iterations, p.snes.getIterationNumber() if p.snes is not None else 0)
            for p in (self.problem, self._mech_problem)
            if p is not None
        ]
        n_cap = sum(c for c, _ in caps)
        n_it = sum(i for _, i in caps)
        ell = getattr(self, "stiffness_length", None)
        if n_cap and ell is not None:
            parts.append(
                f"the displacement update was capped at {ell:.3g} m in {n_cap} of {n_it} "
                "Newton iterations"
            )
        for tag, st in self.mech.inelastic.items():
            if not hasattr(st, "c"):  # creep states only
                continue
            d = st.pts.dofs
            c = st.c.x.array[d]
            dp = st.dp.x.array[d]
            n_all = comm.allreduce(int(c.size), op=MPI.SUM)
            n_soft = comm.allreduce(int(np.count_nonzero(3 * st.G * c > 0.5)), op=MPI.SUM)
            dp_max = comm.allreduce(float(dp.max(initial=0.0)), op=MPI.MAX)
            if n_soft:
                name = T.cell_name(tag)
                parts.append(
                    f"Norton creep of {name} dominates the tangent at {100 * n_soft / n_all:.0f} "
                    f"% of its points (shear stiffness < G/2; largest creep increment "
                    f"{dp_max:.2g}): a power-law flow that the full Newton step overshoots"
                )
                if lead is None and n_cap:
                    lead = f"creep-dominated {name} flowing without a stiff response"
        if open_frac is not None and 0.0 < open_frac < 1.0 - CONTACT_LOST_FRACTION:
            parts.append(f"Gamma_int open over {100 * open_frac:.0f} %")
        if im is not None and self.metal and getattr(self, "law", None) is not None:
            # a stripping increment enters g_n as an offset, which the stiff-limit contact
            # penalty turns into a traction change K_c Δs: compared with the width over which
            # the contact bracket is smoothed (1e-3 σ_c/K_c, cohesive.evaluate)
            ds = comm.allreduce(
                float(np.max(np.abs(im.s_rate.x.array), initial=0.0)), op=MPI.MAX
            ) * float(self.mech.s_dt.value)
            width = 1e-3 * self.law.sigma_c / self.law.K_c
            if ds > width:
                parts.append(
                    f"the step's stripped-thickness increment {ds:.2g} m is {ds / width:.1e} "
                    f"times the contact bracket's smoothing width {width:.1g} m (K_c Δs = "
                    f"{self.law.K_c * ds:.2g} Pa of traction change on the rough interface)"
                )
        if lead is None and n_cap and n_it and n_cap >= n_it // 2:
            lead = "a body floating on an opened gap (updates capped)"
        if not parts and lead is None:
            return None
        return "; ".join(([lead] if lead else []) + parts)

    def cutoff(self):
        """The cut-off of the current step in the solved (trial) state, for the stepper's event
        location (:mod:`solver.stepping`): (excess, tolerance, text) with excess > 0 past the
        cut-off: V − V_max or V_min − V of a current step (tolerance :data:`CUTOFF_V_TOL`),
        current_cutoff − |j| of a voltage step (tolerance :data:`CUTOFF_J_RTOL` ×
        current_cutoff); None without one."""
        if self.ec is None:
            return None
        V = float(self.ec.V_cell.value)
        if self.mode == "current" and self.j_app != 0:
            cands = []
            if self.V_max is not None:
                cands.append((V - self.V_max, f"V_max = {self.V_max:g} V"))
            if self.V_min is not None:
                cands.append((self.V_min - V, f"V_min = {self.V_min:g} V"))
            if not cands:
                return None
            g, which = max(cands)
            return g, CUTOFF_V_TOL, f"cut-off {which} reached (V = {V:.6f} V)"
        if self.mode == "voltage" and getattr(self, "j_cut", None) is not None:
            j = abs(self.ec.current()) / self.A_app
            tol = CUTOFF_J_RTOL * self.j_cut
            return self.j_cut - j, tol, f"current cut-off reached (|j| = {j:.6g} A/m^2)"
        return None

    def check_state(self) -> str | None:
        """Why the solved (trial) state is inadmissible, or None: the electrode concentration
        outside (0, c_max), or outside the stoichiometry window of its OCV table."""
        tr = self.transport
        if tr is None:
            return None
        cmin, cmax = tr.bounds()
        c_max = tr.c_max
        if not (cmin > 0.0 and cmax < c_max):
            return (
                f"the electrode concentration left (0, c_max = {c_max:g}) mol/m^3: c_min = "
                f"{cmin:.6g}, c_max = {cmax:.6g} mol/m^3 (electrode depleted or saturated: "
                "lower the current, or end the step at a voltage cut-off)"
            )
        curve = getattr(self.ec.ocv, "curve", None) if self.ec is not None else None
        if curve is not None:
            lo, hi = curve.range
            if cmin < lo * c_max or cmax > hi * c_max:
                return (
                    f"the electrode stoichiometry left the OCV table's window [{lo:g}, {hi:g}]: "
                    f"c/c_max in [{cmin / c_max:.6g}, {cmax / c_max:.6g}] (no data outside; "
                    "end the step at a voltage cut-off)"
                )
        return None

    def damage_increment(self) -> float:
        """Largest decohesion increment ΔD over the interface points in the current trial step
        (the stepper bounds it: the decohesion path is then resolved in time)."""
        if self.mech is None:
            return 0.0
        inc = 0.0
        for im in self.mech.interfaces:
            D = self.mech.interface_point_values(im, im.state.decohesion)
            inc = max(inc, float(np.max(D - im.D_old.x.array, initial=0.0)))
        return self.dom.comm.allreduce(inc, op=MPI.MAX)

    def accept(self) -> dict:
        extra = {}
        dt = self._dt
        if self.mech is not None:
            dissipated = self.mech.accept()
            self.mech.T_old.value = float(self.T.value)  # (the interphase's trapezoidal rule)
            self.mmetrics.on_accept(dissipated)
            extra["dissipated"] = dissipated
        if self.ec is not None:
            I_now = self.ec.current()
            self._I_acc = I_now
            self.charge += I_now * dt
            self.throughput += abs(I_now) * dt
            self.V_cell = float(self.ec.V_cell.value)
            if self.metal and self.mech is not None and dt > 0:
                # Li metal: stripping (j_n > 0) removes Ω_Li j_n/F dt of electrode at the
                # interface and opens the gap by as much (plating closes it). During a step the
                # mechanics sees the predictor s_old + (ds/dt)_prev dt; the accepted step's
                # increment uses the converged current (backward Euler, so the Li inventory
                # balances exactly) and is committed to s_old when the next step starts.
                Om = self.case.materials["electrode"].get("molar_volume") or 1.3e-5
                self._strip_pending = (Om / F_CONST * self.ec.point_values(self.ec.j_n, True), dt)
        if self.transport is not None:
            self.transport.accept()
        if self.charge_balance is not None:  # (before the retention ψ is committed)
            cur = self.charge_balance.on_accept(dt)
            I_c = cur["collector"] if np.isfinite(cur["collector"]) else cur["interface"]
            self.charge_collector += I_c * dt
        if self.heat is not None:
            extra.update(self._accept_heat(dt))
        if self._contact_lost():
            extra["end_run"] = True
        self.t_acc += dt
        self._prev = [f.x.array.copy() for f in self.fields]
        return extra

    def _contact_lost(self) -> bool:
        """The named stop "contact lost" of the accepted step (issue 13; docs/theory.md §10.6):
        True, with :attr:`stop_reason` = "contact_lost" and :attr:`stop` its one line, when a run
        with mechanics (a cohesive Γ_int) and electrochemistry has accepted a step that carries
        a current (a current step with j_app ≠ 0, or a voltage step) and the contact fraction
        of Γ_int, ∫ [(1 − D) + D s(g_n)] dΓ / |Γ_int| (bonded, or decohered and closed; the
        time-series column ``contact_fraction``), is below ``solver.contact_lost_fraction``
        (0: never). Not the active (conducting) fraction: a pressed interface that conducts
        through a few % of micro-contact spots is in contact. Judged on accepted, converged
        states only. Collective (every rank calls it)."""
        lim = self.contact_lost_fraction
        if lim <= 0 or self.mech is None or self.ec is None or self.stop_reason is not None:
            return False
        if not (self.mode == "voltage" or (self.mode == "current" and self.j_app != 0)):
            return False
        ec = self.ec
        area = ec.interface_integral(ec.one("+"))
        if not area > 0:
            return False
        path = ec.ion_path
        touching = (1 - path.decohesion) + path.decohesion * path.switch
        frac = ec.interface_integral(touching * ec.one("+")) / area
        if not frac < lim:
            return False
        self.stop_reason = "contact_lost"
        self.stop = (
            f"contact lost: contact fraction {frac:.3g} < solver.contact_lost_fraction = {lim:g} "
            f"(Gamma_int open over {100 * (1 - frac):.1f} %) at t = "
            f"{self.t_acc + self._dt:.6g} s"
        )
        log.info(f"  {self.stop}")
        return True

    def _accept_heat(self, dt: float) -> dict:
        """Heat powers and the energy balance of the converged step (before committing T_old),
        then commit T and the contact retention; flag the contact-scale runaway."""
        h = self.heat
        self.heat_powers = self.heat_balance.on_accept(dt)
        pv = self.ec.point_values if self.ec is not None else h.point_values
        h.accept(pv)
        extra = {}
        T_max = max(h.max_values())
        psi_min = h.retention_min()
        if T_max >= self.T_limit:
            self.thermal_outcome = "runaway"
            extra["end_run"] = True
            log.info(f"  thermal runaway: T_max = {T_max:.1f} K >= T_limit = {self.T_limit} K")
        elif psi_min is not None and psi_min <= self.retention_min:
            self.thermal_outcome = "contact_loss"
            extra["end_run"] = True
            log.info(f"  contact loss: retention {psi_min:.3g} <= {self.retention_min}")
        return extra

    def reject(self) -> None:
        for f, a in zip(self.fields, self._prev):
            f.x.array[:] = a
        if self.ec is not None:
            self.ec.V_cell.value = self.V_cell

    # ------------------------------------------------------------------ metrics
    def columns(self) -> list[str]:
        from solver.metrics import EC_COLUMNS, MECH_COLUMNS

        cols = (
            list(MECH_COLUMNS)
            if self.mech is not None
            else [
                "step",
                "time",
                "temperature",
                "newton_iterations",
                "krylov_iterations",
                "step_cuts",
                "wall_time",
            ]
        )
        if self.ec is not None or self.transport is not None:
            cols += [c for c in EC_COLUMNS if c not in cols]
        if self.heat is not None:
            from solver.metrics import THERMAL_COLUMNS

            cols += [c for c in THERMAL_COLUMNS if c not in cols]
        if self.interphase is not None:
            from solver.metrics import AGEING_COLUMNS

            cols += list(AGEING_COLUMNS)
        if self.metal and self.mech is not None and self.ec is not None:
            from solver.metrics import LI_METAL_COLUMNS

            cols += list(LI_METAL_COLUMNS)
        if self.mech is not None and self.mech.boundary:  # λ of [[loading.boundary]]
            cols.append("load_factor")
        return cols

    def row(self, info) -> dict:
        from solver.metrics import electrochemistry_row

        if self.mech is not None:
            row = self.mmetrics.row(info)
        else:
            row = {
                "step": info.step,
                "time": info.time,
                "temperature": info.loads.get("temperature"),
                "newton_iterations": info.newton_iterations,
                "krylov_iterations": info.krylov_iterations,
                "step_cuts": info.cuts,
                "wall_time": info.wall_time,
            }
        if self.ec is not None or self.transport is not None:
            row.update(electrochemistry_row(self))
        if self.heat is not None:
            from solver.metrics import thermal_row

            row.update(thermal_row(self))
        if self.interphase is not None:
            row.update(self.ageing_row())
        if self.p_c is not None and "mean_pressure" in row:
            self._pad_crossing(row["time"], row["mean_pressure"])
        if self.metal and self.mech is not None and self.ec is not None:
            from solver.metrics import li_metal_row

            row.update(li_metal_row(self))
        if "soc" in row:
            row["soc"] = self.state_of_charge(info.loads)
        if self.mech is not None and self.mech.boundary:
            row["load_factor"] = self.load_factor()
        return row

    def state_of_charge(self, loads: dict) -> float:
        """The electrode's lithiation state: mean c/c_max over the electrode (transport), the
        prescribed c/c_max (a lithiate protocol: the state is prescribed), NaN for a metal."""
        if self.metal:
            return float("nan")
        if self.transport is not None:
            if not hasattr(self, "_electrode_volume"):
                one = fem.Constant(self.dom.mesh, 1.0)
                self._electrode_volume = self.dom.comm.allreduce(
                    fem.assemble_scalar(
                        fem.form(one * self.transport.r() * self.dom.dx(T.ELECTRODE))
                    ),
                    op=MPI.SUM,
                )
            mean_c = self.transport.inventory(self.entity_maps) / self._electrode_volume
            return mean_c / self.c_max
        return float(loads.get("soc", 0.0))


FIELD_FORMATS = ("pvd", "xdmf", "vtx")


class FieldWriter:
    """Fields for ParaView, one file per region: per region displacement, von Mises and σ_nn;
    φ_e, φ_s, the current density and c; on Γ_int g_n, |g_t|, t_n, |t_t|, d, contact state, j_n
    and f (and the heat fields).

    ``fmt = "pvd"`` (default): ``<region>.pvd`` + one ``<region>/<region>_NNNNNN.vtu`` per output,
    every array of the region in one grid, crash-safe (:mod:`solver.fieldio`), and ``open.py``.
    ``fmt = "xdmf"``: ``<region>.xdmf`` + ``.h5`` (every ParaView). ``fmt = "vtx"``: one ADIOS2
    ``<region>.bp`` folder per region (``dolfinx.io.VTXWriter``, BP4 engine, the mesh written once:
    ``VTXMeshPolicy.reuse``), the P1 fields as point data and the DG0 ones as cell data of the same
    file (DOLFINx 0.11 lets piecewise constants share a writer with one Lagrange element).
    Collective: call :meth:`write` and :meth:`close` on all ranks."""

    def __init__(self, sim: Simulation, folder, fmt: str = "pvd", resume_time=None):
        """``resume_time``: the time of the checkpoint a resumed run continues from (``pvd``:
        the time indices continue, see :class:`solver.fieldio.SeriesWriter`)."""
        self.resume_time = resume_time
        if fmt not in FIELD_FORMATS:
            raise ValueError(f"output.format: got {fmt!r}, allowed {', '.join(FIELD_FORMATS)}")
        self.sim = sim
        self.fmt = fmt
        self.meshes: dict = {}  # file name -> mesh
        self.files: dict = {}  # file name -> XDMFFile / VTXWriter (opened at the end)
        self.items = []  # (file name, function, updater)
        self.pre = []  # refreshers run before the updaters (copies of fields across submeshes)
        m, ec = sim.mech, sim.ec
        if m is not None:
            for reg in m.regions:
                f = self._file(folder, reg.name, reg.sub.mesh)
                V1 = fem.functionspace(reg.sub.mesh, ("Lagrange", 1, (m.dom.gdim,)))
                u_out = fem.Function(V1, name="u")
                self.items.append(
                    (f, u_out, (lambda u_out=u_out, reg=reg: u_out.interpolate(reg.u)))
                )
                self._stress(f, reg)
        if ec is not None:
            fe = self._file(folder, "electrode" if m is None else m.regions[0].name, ec.sub_e.mesh)
            fs = self._file(folder, "ionic", ec.sub_s.mesh)
            for f, phi in ((fe, ec.phi_electrode), (fs, ec.phi_electrolyte)):
                P1 = fem.functionspace(phi.function_space.mesh, ("Lagrange", 1))
                out = fem.Function(P1, name=phi.name)
                self.items.append((f, out, (lambda out=out, phi=phi: out.interpolate(phi))))
            gd = ec.dom.gdim
            De = fem.functionspace(ec.sub_e.mesh, ("DG", 0, (gd,)))
            self._expr(fe, De, "current_density", -ec.sigma_e() * ufl.grad(ec.phi_electrode))
            Ds = fem.functionspace(ec.sub_s.mesh, ("DG", 0, (gd,)))
            kappa = ec.kappa(ec.ionic_tags[0])  # κ(T) at the uniform temperature
            if sim.heat is not None:  # κ(T) with the temperature copied onto the ionic submesh
                tag0 = ec.ionic_tags[0]
                m0 = ec.materials[T.cell_name(tag0)]
                T_s, upd = ec.dom.copy_to(sim.heat.T_o, ec.sub_s.mesh)
                self.pre.append(upd)
                from solver.physics.electrochemistry import arrhenius

                kappa = arrhenius(m0["kappa"], m0.get("Ea_kappa", 0.0) or 0.0, T_s, ec.T_ref)
            self._expr(fs, Ds, "current_density", -kappa * ufl.grad(ec.phi_electrolyte))
            if sim.heat is not None:
                self._expr(
                    fe,
                    fem.functionspace(ec.sub_e.mesh, ("DG", 0)),
                    "heat_source",
                    ec.sigma_e()
                    * ufl.inner(ufl.grad(ec.phi_electrode), ufl.grad(ec.phi_electrode)),
                )
                self._expr(
                    fs,
                    fem.functionspace(ec.sub_s.mesh, ("DG", 0)),
                    "heat_source",
                    kappa * ufl.inner(ufl.grad(ec.phi_electrolyte), ufl.grad(ec.phi_electrolyte)),
                )
        if sim.transport is not None:
            tr = sim.transport
            fe = self._file(folder, "electrode" if m is None else m.regions[0].name, tr.V.mesh)
            P1 = fem.functionspace(tr.V.mesh, ("Lagrange", 1))
            out = fem.Function(P1, name="c")
            self.items.append((fe, out, (lambda out=out: out.interpolate(tr.c))))
        if sim.heat is not None:
            h = sim.heat
            fe = self._file(folder, "electrode" if m is None else m.regions[0].name, h.V_e.mesh)
            fo = self._file(folder, "temperature", h.V_o.mesh)
            for f, T_ in ((fe, h.T_e), (fo, h.T_o)):
                P1 = fem.functionspace(T_.function_space.mesh, ("Lagrange", 1))
                out = fem.Function(P1, name="T")
                self.items.append((f, out, (lambda out=out, T_=T_: out.interpolate(T_))))
        # interface fields
        if m is not None or ec is not None:
            itf_Q = m.interfaces[0].Q if m is not None else ec.Q
            Gm = itf_Q.mesh
            f = self._file(folder, "interface", Gm)
            P1 = fem.functionspace(Gm, ("Lagrange", 1))
            exprs = {}
            if m is not None:
                st = m.interfaces[0].state
                exprs.update(
                    {
                        "g_n": st.g_n,
                        "g_t": ufl.sqrt(ufl.dot(st.g_t, st.g_t)),
                        "t_n": st.t_n,
                        "t_t": ufl.sqrt(ufl.dot(st.t_t, st.t_t)),
                        "damage": st.damage,
                        "decohesion": st.decohesion,
                        # 0 open, 1 decohered contact, 2 (partly) bonded
                        "contact_state": ufl.conditional(
                            ufl.gt(st.decohesion, 1.0 - 1e-9),
                            ufl.conditional(ufl.gt(st.g_n, sim.g_open), 0.0, 1.0),
                            2.0,
                        ),
                    }
                )
            if m is not None and sim.metal and getattr(m.interfaces[0], "s_old", None) is not None:
                # Li metal (docs/theory.md §5.6): the void thickness g_n⁺ and the stripped s the
                # step's mechanics saw (s_old + (ds/dt) Δt, the predictor)
                im0 = m.interfaces[0]
                exprs["void"] = ufl.max_value(im0.state.g_n, 0.0)
                exprs["stripped_thickness"] = im0.s_old("+") + im0.s_rate("+") * m.s_dt
            if ec is not None:
                exprs.update(
                    {"j_n": ec.j_n, "active_fraction": ec.f * ufl.as_ufl(1.0), "eta": ec.eta}
                )
                if ec.contact_path:
                    rho = ec.ion_path.registry
                    if isinstance(rho, float):  # no registry (0) or the law "none" (1)
                        rho = fem.Constant(ec.msh, rho)
                    exprs["registry"] = rho
            if sim.heat is not None:
                exprs["T_interface"] = sim.heat.T_itf
                exprs["contact_conductance"] = sim.heat.contact_conductance() * ufl.as_ufl(1.0)
                if ec is not None:
                    exprs["heat_interface"] = ec.j_n * ec.dphi
                if sim.heat.psi is not None:
                    exprs["retention"] = sim.heat.psi_old("+")
            for name, expr in exprs.items():
                fn = fem.Function(P1, name=name)
                self.items.append((f, fn, (lambda fn=fn, expr=expr: self._to_p1(expr, fn))))
        self._open(folder)

    def _file(self, folder, name, msh):
        """Register the file ``name`` on ``msh`` (all its functions live on that mesh)."""
        known = self.meshes.setdefault(name, msh)
        if known is not msh:
            raise RuntimeError(f"fields/{name}: functions on two different meshes")
        return name

    def _open(self, folder) -> None:
        for name, msh in self.meshes.items():
            if self.fmt == "pvd":
                from solver.fieldio import SeriesWriter

                fns = [fn for key, fn, _ in self.items if key == name]
                f = SeriesWriter(folder, name, msh, fns, resume_time=self.resume_time)
                if msh.comm.rank == 0 and name == next(iter(self.meshes)):
                    from solver.fieldio import write_open_script

                    bulk = [n for n in self.meshes if n != "interface"]
                    write_open_script(folder, bulk, msh.geometry.dim)
            elif self.fmt == "xdmf":
                f = dio.XDMFFile(msh.comm, str(folder / f"{name}.xdmf"), "w")
                f.write_mesh(msh)
            else:
                fns = [fn for key, fn, _ in self.items if key == name]
                f = dio.VTXWriter(
                    msh.comm,
                    str(folder / f"{name}.bp"),
                    fns,
                    engine="BP4",
                    mesh_policy=dio.VTXMeshPolicy.reuse,
                )
            self.files[name] = f

    def _stress(self, f, reg) -> None:
        """Per region, cell-wise (DG0): the full stress tensor ``stress`` (3×3, the out-of-plane
        and hoop components included; Pa), the principal stresses ``principal_stress``
        (σ1 ≥ σ2 ≥ σ3), ``von_mises`` and ``sigma_nn`` (along the stacking axis). Each cell uses
        its own material: a region may group several layers."""
        m = self.sim.mech
        msh = reg.sub.mesh
        T0 = fem.functionspace(msh, ("DG", 0, (3, 3)))
        sig = fem.Function(T0, name="stress")
        P0 = fem.functionspace(msh, ("DG", 0, (3,)))
        principal = fem.Function(P0, name="principal_stress")
        D0 = fem.functionspace(msh, ("DG", 0))
        vm = fem.Function(D0, name="von_mises")
        snn = fem.Function(D0, name="sigma_nn")
        imap = msh.topology.index_map(m.dom.tdim)
        cells = np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32)
        parent = reg.sub.cell_map.sub_topology_to_topology(cells, False)
        ct = m.dom.cell_tags
        tag_of = np.full(m.dom.mesh.topology.index_map(m.dom.tdim).size_local
                         + m.dom.mesh.topology.index_map(m.dom.tdim).num_ghosts, -1)  # fmt: skip
        tag_of[ct.indices] = ct.values
        xs = ufl.SpatialCoordinate(msh)
        parts = []
        qp_parts = []  # inelastic cells: the cell mean of the quadrature-point stress
        for tag in reg.tags:
            sel = cells[tag_of[parent] == tag]
            if tag in getattr(m, "inelastic", {}):
                st = m.inelastic[tag]
                S = m.sigma(reg.u, tag, x=xs, reg=reg)
                qp_parts.append((st, ufl.as_vector([S[i, j] for i in range(3) for j in range(3)])))
                continue
            expr = fem.Expression(
                m.sigma(reg.u, tag, x=xs, reg=reg), T0.element.interpolation_points
            )
            parts.append((sel, expr))
        up = 2 if m.dom.gdim == 3 else 1

        def update():
            for sel, expr in parts:
                sig.interpolate(expr, cells0=sel)
            for st, expr in qp_parts:
                vals = st.pts.values(expr, 9).reshape(len(st.pts.cells), st.pts.npts, 9)
                dofs = T0.dofmap.list[st.pts.cells][:, 0]
                sig.x.array.reshape(-1, 9)[dofs] = vals.mean(axis=1)
            if qp_parts:
                sig.x.scatter_forward()
            S = sig.x.array.reshape(-1, 3, 3)
            S = 0.5 * (S + S.transpose(0, 2, 1))
            principal.x.array[:] = np.linalg.eigvalsh(S)[:, ::-1].reshape(-1)
            dev = S - np.trace(S, axis1=1, axis2=2)[:, None, None] * np.eye(3) / 3.0
            vm.x.array[:] = np.sqrt(1.5 * np.einsum("nij,nij->n", dev, dev))
            snn.x.array[:] = S[:, up, up]

        first = True
        for fn in (sig, principal, vm, snn):
            upd = update if first else (lambda: None)
            self.items.append((f, fn, upd))
            first = False

    def _expr(self, f, space, name, expr) -> None:
        fn = fem.Function(space, name=name)
        e = fem.Expression(expr, space.element.interpolation_points)
        self.items.append((f, fn, (lambda fn=fn, e=e: fn.interpolate(e))))

    def _values(self, expr) -> np.ndarray:
        sim = self.sim
        if sim.mech is not None:
            return sim.mech.interface_point_values(sim.mech.interfaces[0], expr)
        return sim.ec.point_values(expr)

    def _to_p1(self, expr, fn) -> None:
        """Interface point values → P1 on the interface mesh (length-weighted average of the
        facets meeting at each vertex)."""
        from dolfinx import la

        if not hasattr(self, "_p1"):
            Q = self.sim.mech.interfaces[0].Q if self.sim.mech is not None else self.sim.ec.Q
            q = fem.Function(Q)
            v = ufl.TestFunction(fn.function_space)
            dxv = ufl.Measure(
                "dx", domain=Q.mesh, metadata={"quadrature_rule": "vertex", "quadrature_degree": 1}
            )
            mm = fem.assemble_vector(fem.form(v * dxv))
            mm.scatter_reverse(la.InsertMode.add)
            self._p1 = (q, fem.form(q * v * dxv), mm.array.copy())
        q, form, mass = self._p1
        q.x.array[:] = self._values(expr)
        b = fem.assemble_vector(form)
        b.scatter_reverse(la.InsertMode.add)
        safe = np.where(mass != 0, mass, 1.0)
        fn.x.array[:] = np.where(mass != 0, b.array / safe, 0.0)
        fn.x.scatter_forward()

    def write(self, t: float) -> None:
        for upd in self.pre:
            upd()
        if self.sim.mech is not None:
            self.sim.mech.update_output_temperature()
        for _name, _fn, update in self.items:
            update()
        if self.fmt == "xdmf":
            for name, fn, _update in self.items:
                self.files[name].write_function(fn, t)
        else:
            for f in self.files.values():
                f.write(t)

    def close(self) -> None:
        for f in self.files.values():
            f.close()
        self.files = {}
