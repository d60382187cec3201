"""Integrated quantities per accepted step (the rows of ``timeseries.csv``).

All values are global (MPI-reduced) and identical on every rank; SI units unless the column
name says otherwise.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
from dolfinx import fem
from mpi4py import MPI

MECH_COLUMNS = (
    "step",
    "time",
    "pressure_applied",
    "soc",
    "temperature",
    "top_displacement",
    "contact_fraction",
    "debonded_fraction",
    "mean_damage",
    "max_gap",
    "mean_pressure",
    "min_pressure",
    "reaction_force",
    "elastic_energy",
    "cohesive_dissipation",
    "viscous_dissipation",
    "external_work",
    "newton_iterations",
    "krylov_iterations",
    "step_cuts",
    "wall_time",
)


EC_COLUMNS = (
    "step",
    "time",
    "current",
    "current_density_applied",
    "voltage",
    "ocv",
    "asr_total",
    "asr_interfacial",
    "active_fraction",
    "roughness_ratio",
    "constriction_factor",
    "charge_passed",
    "current_collector",
    "current_storage",
    "charge_balance_error",
    "li_balance_error",
    "c_min",
    "c_max_fraction",
)

THERMAL_COLUMNS = (
    "T_max_electrode",
    "T_mean_electrode",
    "T_max_electrolyte",
    "T_mean_electrolyte",
    "T_max_interface",
    "T_ambient",
    "heat_joule",
    "heat_interface",
    "heat_out",
    "heat_across_interface",
    "heat_stored",
    "energy_balance_error",
    "interface_heat_balance_error",
    "electrical_heat_balance_error",
    "retention_min",
    "retention_mean",
)


AGEING_COLUMNS = (
    "interphase_thickness_mean",
    "interphase_thickness_max",
    "interphase_resistance_mean",
    "interphase_pressure_min",
)


LI_METAL_COLUMNS = (
    "void_fraction",
    "void_volume",
    "li_inventory",
    "li_inventory_charge",
    "li_inventory_reaction",
    "li_inventory_error",
)


# The unit of every column (SI; the ASRs in Ω·cm² as is customary). Extensive quantities
# ("/depth") are per metre of depth in 2D plane strain: their unit gets "/m" there.
COLUMN_UNITS: dict[str, str] = {
    "step": "1", "time": "s", "pressure_applied": "Pa", "soc": "1", "temperature": "K",
    "top_displacement": "m", "contact_fraction": "1", "debonded_fraction": "1",
    "mean_damage": "1", "max_gap": "m", "mean_pressure": "Pa", "min_pressure": "Pa",
    "reaction_force": "N/depth", "elastic_energy": "J/depth", "cohesive_dissipation": "J/depth",
    "viscous_dissipation": "J/depth", "load_factor": "1", "external_work": "J/depth",
    "newton_iterations": "1", "krylov_iterations": "1", "step_cuts": "1", "wall_time": "s",
    "current": "A/depth",
    "current_density_applied": "A/m^2", "voltage": "V", "ocv": "V", "asr_total": "Ohm cm^2",
    "asr_interfacial": "Ohm cm^2", "active_fraction": "1", "roughness_ratio": "1",
    "constriction_factor": "1", "charge_passed": "C/depth", "current_collector": "A/depth",
    "current_storage": "A/depth", "charge_balance_error": "1", "li_balance_error": "1",
    "c_min": "mol/m^3", "c_max_fraction": "1", "T_max_electrode": "K", "T_mean_electrode": "K",
    "T_max_electrolyte": "K", "T_mean_electrolyte": "K", "T_max_interface": "K",
    "T_ambient": "K", "heat_joule": "W/depth", "heat_interface": "W/depth",
    "heat_out": "W/depth", "heat_across_interface": "W/depth", "heat_stored": "J/depth",
    "energy_balance_error": "1", "interface_heat_balance_error": "1",
    "electrical_heat_balance_error": "1", "retention_min": "1", "retention_mean": "1",
    "interphase_thickness_mean": "m", "interphase_thickness_max": "m",
    "interphase_resistance_mean": "Ohm cm^2", "interphase_pressure_min": "Pa",
    "void_fraction": "1", "void_volume": "m", "li_inventory": "mol/depth",
    "li_inventory_charge": "mol/depth", "li_inventory_reaction": "mol/depth",
    "li_inventory_error": "1",
}  # fmt: skip


# Absolute differences below which two runs of the same case (other rank counts, repeats) agree
# to round-off in a column, measured on cases/default.toml; other columns compare relatively.
# Used by tests/parallel/test_default_case_mpi.py and benchmarks/repeatability.py.
ROUNDOFF_FLOORS: dict[str, float] = {
    "max_gap": 1e-12,
    "debonded_fraction": 1e-12,
    "mean_damage": 1e-9,
    "li_balance_error": 1e-9,
    "charge_balance_error": 1e-9,
    "min_pressure": 1e-3,
    # the current at rest is zero up to round-off (measured 1e-19 to 4e-15 A/m against 4e-5 A/m
    # when cycling: 2.5e-9 of it)
    "current": 1e-13,
    "current_collector": 1e-13,
    "current_storage": 1e-13,
    "charge_passed": 1e-12,
    # the viscous share of the dissipation (interface.viscosity = 1 s) is round-off here:
    # 3.4e-26 J/m on 1 and 2 ranks (1e-18 J/m is 1e-12 of G_Ic = 2 J/m² over 0.5 µm of Γ_int)
    "viscous_dissipation": 1e-18,
}


def column_unit(name: str, per_depth: bool) -> str:
    """The unit of a time-series column (``per_depth``: 2D plane strain, extensive quantities
    per metre of depth)."""
    u = COLUMN_UNITS[name]
    if u.endswith("/depth"):
        u = u[: -len("/depth")] + ("/m" if per_depth else "")
    return u


def header(name: str, per_depth: bool) -> str:
    """The CSV header of a column: ``name [unit]`` (``[1]``: dimensionless)."""
    return f"{name} [{column_unit(name, per_depth)}]"


def read_timeseries(path) -> list[dict]:
    """The rows of a ``timeseries.csv`` as dicts keyed by the plain column names (the units of
    the header stripped), values as floats (empty or "nan": NaN)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    names = [h.split(" [", 1)[0] for h in rows[0]]
    out = []
    for r in rows[1:]:
        out.append({n: (float(v) if v not in ("", "nan") else math.nan) for n, v in zip(names, r)})
    return out


def thermal_row(sim) -> dict:
    """Temperatures (K) and heat flows of a thermal run.

    Per domain: the electrode and "electrolyte" = every other cell (electrolyte layers, coating,
    counter electrode, pad), max over the nodes and volume mean; on Γ_int the max of the mean of
    both sides' temperatures at the interface points. Heat powers (W; per unit depth in 2D) at
    the end of the step, from the integrals of :class:`solver.balances.HeatBalance` (written
    independently of the residual): bulk Joule, interfacial (j_n·(φ_e − φ_s − U)), out through
    the outer boundaries, and conducted across Γ_int from the electrode, ∫ h_c (T_e − T_o).
    ``heat_stored``: change of ∫ρc_p T since the start (J). Balance errors (relative, cumulative):
    the energy balance of the cell ΔE_stored = Σ Δt (Q_J + Q_Γ − Q_out); the interface balance
    (the heat that leaves the electrode's budget enters the other side's, at the rate ∫ h_c ΔT);
    and the electrical check Q_J + Q_Γ = I_c V − ∫ j_n U dΓ with I_c the collector current (the
    dissipated electrical power; ∫ j_n dΓ for an electrode without a collector face).
    ``retention_*``: the contact retention ψ on Γ_int (contact shrinkage; NaN when off).
    """
    from meshes import tags as T

    h, bal = sim.heat, sim.heat_balance
    Te_max, To_max = h.max_values()
    if not hasattr(sim, "_T_mean_forms"):
        one = fem.Constant(sim.dom.mesh, 1.0)
        em = sim.entity_maps
        dx = sim.dom.dx
        vol = lambda tags: sum(one * h.r() * dx(t) for t in tags)  # noqa: E731
        oth = h.other_tags
        sim._T_mean_forms = (
            fem.form(h.T_e * h.r() * dx(T.ELECTRODE), entity_maps=em),
            fem.form(vol((T.ELECTRODE,)), entity_maps=em),
            fem.form(sum(h.T_o * h.r() * dx(t) for t in oth), entity_maps=em),
            fem.form(vol(oth), entity_maps=em),
        )
    comm = sim.dom.comm
    v = [comm.allreduce(fem.assemble_scalar(f), op=MPI.SUM) for f in sim._T_mean_forms]
    p = sim.heat_powers
    pv = sim.ec.point_values if sim.ec is not None else h.point_values
    row = {
        "T_max_electrode": Te_max,
        "T_mean_electrode": v[0] / v[1],
        "T_max_electrolyte": To_max,
        "T_mean_electrolyte": v[2] / v[3],
        "T_max_interface": h.interface_max(pv),
        "T_ambient": float(h.T_amb.value),
        "heat_joule": p["joule"],
        "heat_interface": p["interface"],
        "heat_out": p["out"],
        "heat_across_interface": p["across"],
        "heat_stored": bal.stored_change,
        "energy_balance_error": bal.balance_error(),
        "interface_heat_balance_error": bal.interface_error(),
        "electrical_heat_balance_error": float("nan"),
        "retention_min": float("nan"),
        "retention_mean": float("nan"),
    }
    ec = sim.ec
    if ec is not None:
        I_c = sim.charge_balance.currents["collector"]
        if not math.isfinite(I_c):  # no collector face: the interface current
            I_c = ec.current()
        P_el = float(ec.V_cell.value) * I_c - ec.interface_integral(ec.j_n * ec.U)
        q = p["joule"] + p["interface"]
        scale = max(abs(q), abs(P_el))
        row["electrical_heat_balance_error"] = abs(q - P_el) / scale if scale > 0 else 0.0
        if h.psi_old is not None:
            row["retention_min"] = h.retention_min()
            one = ec.one
            A = ec.interface_integral(one("+"))
            row["retention_mean"] = ec.interface_integral(h.psi_old("+")) / A
    return row


def electrochemistry_row(sim) -> dict:
    """Cell-level electrochemical metrics of a :class:`solver.simulation.Simulation`.

    ASRs are in Ω·cm², both against one open-circuit reference, the current-weighted mean
    U_j = ∫ U j_n dΓ / I: total (V − U_j)/j_app, interfacial ⟨φ_e − φ_s⟩_j − U_j over j_app with
    ⟨·⟩_j the current-weighted mean over Γ_int. Their difference is the bulk (ohmic) ASR
    (Q_J,electrode + Q_J,electrolyte)/(I j_app) ≥ 0 (multiply each bulk equation by its potential
    and integrate: docs/theory.md §5), so total ≥ interfacial always. ``ocv`` is the area mean
    of U over Γ_int (defined at rest too).
    Γ_int. ``active_fraction`` = A_active/A_geom = ∫ f dΓ / |Γ_int| ∈ [0, 1] (f = w_b + w_c of
    :mod:`solver.physics.contact`), ``roughness_ratio`` = A_geom/A_app = |Γ_int|/A_app (so
    A_active/A_app = active_fraction · roughness_ratio); ``constriction_factor`` =
    max(j_n)/j_app over the interface points. Charge balance (:class:`solver.balances.
    ChargeBalance`): ``current_collector`` (the consistent collector flux of the electrode bulk),
    ``current`` (∫ j_n dΓ), ``current_storage`` (−F dN_Li/dt of the electrode; NaN without Li
    storage) and ``charge_balance_error`` = the largest difference of the collector and storage
    currents (and, galvanostatic, j_app A_app) from ∫ j_n dΓ, relative to the largest current
    (at least the kinetics' current scale of :meth:`Simulation.current_scale`); every step, in
    both control modes. ``li_balance_error``: the cumulative Li inventory (electrode Li change +
    net charge/F, over the charge throughput ∫|I|dt/F); NaN where no inventory is solved for
    (a prescribed concentration).
    """
    row: dict = {}
    comm = sim.dom.comm
    tr = sim.transport
    li = sim._li_inventory()
    dli = li - sim.li0
    q_mol = sim.charge / 96485.33212
    row["charge_passed"] = sim.charge
    # relative to the Li moved so far (the charge throughput), which stays finite over a cycle
    through = sim.throughput / 96485.33212
    if tr is not None or sim.metal:  # an inventory exists: intercalated or stripped Li
        row["li_balance_error"] = abs(dli + q_mol) / through if through > 0 else abs(dli)
    else:  # a prescribed concentration: no inventory to balance
        row["li_balance_error"] = float("nan")
    if tr is not None:
        cmin, cmax = tr.bounds()
        row["c_min"], row["c_max_fraction"] = cmin, cmax / tr.c_max
    ec = sim.ec
    if ec is None:
        return row
    one = ec.one
    I_now = ec.current()
    j_app = sim.j_app if sim.mode == "current" else I_now / sim.A_app
    A_geom = ec.interface_integral(one("+"))
    U_mean = ec.interface_integral(one("+") * ec.U) / A_geom if A_geom else 0.0
    V = float(ec.V_cell.value)
    row.update(
        {
            "current": I_now,
            "current_density_applied": j_app,
            "voltage": V,
            "ocv": U_mean,
            "active_fraction": ec.interface_integral(ec.f * one("+")) / A_geom,
            "roughness_ratio": A_geom / sim.A_app,
        }
    )
    if abs(j_app) > 0 and I_now:
        if isinstance(ec.U, int | float):  # a uniform OCV
            U_j = float(ec.U)
        else:
            U_j = ec.interface_integral(ec.U * ec.j_n) / I_now
        row["asr_total"] = (V - U_j) / j_app * 1e4
        dphi_j = ec.interface_integral(ec.dphi * ec.j_n)
        row["asr_interfacial"] = (dphi_j / I_now) / j_app * 1e4
        jn = ec.point_values(ec.j_n)
        nloc = ec.Q.dofmap.index_map.size_local
        jmax = comm.allreduce(
            float(np.max(np.sign(j_app) * jn[:nloc], initial=-np.inf)), op=MPI.MAX
        )
        row["constriction_factor"] = jmax / abs(j_app)
    else:
        row["asr_total"] = row["asr_interfacial"] = row["constriction_factor"] = float("nan")
    cb = sim.charge_balance
    target = sim.j_app * sim.A_app if sim.mode == "current" else None
    row["current_collector"] = cb.currents["collector"]
    row["current_storage"] = cb.currents["storage"]
    row["charge_balance_error"] = cb.error(target, sim.current_scale())
    return row


class MechanicsMetrics:
    """Interface and energy metrics of a :class:`~solver.physics.mechanics.Mechanics`.

    Over Γ_int (docs/theory.md §4): ``contact_fraction`` = A_contact/A_geom =
    ∫ [(1 − D) + D s(g_n)] dΓ / |Γ_int| (bonded, or decohered with the gap closed);
    ``debonded_fraction`` = ∫ D dΓ / |Γ_int|, the decohered area (D = Φ/G_c, the dissipated
    fraction); ``mean_damage`` the mean secant stiffness damage d (a numerical quantity: it moves
    with the penalty and is not a prediction); ``max_gap`` and the pressures at the interface
    points (p = −t_n).
    """

    # accumulated between steps (solver.checkpoint)
    CHECKPOINT_STATE = (
        "dissipation",
        "viscous_dissipation",
        "external_work",
        "_last",
        "_R",
        "_ubar",
        "_last_load",
    )

    def __init__(self, mech, g_open: float):
        from solver.physics.contact import gap_switch

        self.m = mech
        self.g_open = g_open
        # A_contact/A_geom: bonded, or decohered with the gap closed (docs/theory.md §4)
        self._contact = lambda im: (
            (1 - im.state.decohesion) + im.state.decohesion * gap_switch(im.state.g_n, g_open)
        )
        self.dissipation = 0.0
        self.viscous_dissipation = 0.0
        self.external_work = 0.0
        self._last: dict[int, tuple[float, float]] = {}
        self._last_load = (0.0, 0.0, 0.0)  # (Q, v, λ) of [[loading.boundary]], last step
        self._R = 0.0
        self._ubar = 0.0
        one = fem.Constant(mech.msh, 1.0)
        self.area = mech.interface_integral(lambda im: one("+"))

    def interface_arrays(self):
        """Point values (quadrature points = DG dofs) of g_n, p = −t_n, d on every interface,
        owned entries only, concatenated."""
        gn, p, d, w = [], [], [], []
        for im in self.m.interfaces:
            nloc = im.Q.dofmap.index_map.size_local
            gn.append(self.m.interface_point_values(im, im.state.g_n)[:nloc])
            p.append(-self.m.interface_point_values(im, im.state.t_n)[:nloc])
            d.append(im.d_old.x.array[:nloc])
            w.append(self.m._point_weights(im)[:nloc])
        return _cat(gn), _cat(p), _cat(d), _cat(w)

    def on_accept(self, dissipated: float) -> None:
        """Accumulate dissipation (``dissipated``: the step's total, J; its viscous part
        ``Mechanics.last_viscous_dissipation`` goes to ``viscous_dissipation``, the rest to
        ``cohesive_dissipation``) and the external work of the top-face load (trapezoidal:
        exact for a uniform traction −P n and for a uniform prescribed displacement) and of the
        [[loading.boundary]] loads, ½(Q₀ + Q)(λ − λ₀) + ½(λ₀ + λ)(v − v₀) with the conjugates
        Q, v of :meth:`~solver.physics.mechanics.Mechanics.load_conjugates` (docs/theory.md
        §10.6)."""
        visc = float(getattr(self.m, "last_viscous_dissipation", 0.0))
        self.dissipation += dissipated - visc
        self.viscous_dissipation += visc
        m = self.m
        if m.boundary:
            Q, v = m.load_conjugates()
            lam = float(m.load_factor.value)
            Q0, v0, lam0 = self._last_load
            self.external_work += 0.5 * (Q0 + Q) * (lam - lam0) + 0.5 * (lam0 + lam) * (v - v0)
            self._last_load = (Q, v, lam)
        up = m.dom.gdim - 1
        comps = [up]
        if m.pressure_mode == "displacement" and m.lateral == "free":
            comps = list(range(m.dom.gdim))
        for comp in comps:
            R = m.top_reaction(comp)
            if m.pressure_mode == "traction":
                R = -float(m.loads.pressure.value) * self._top_area() if comp == up else 0.0
            ubar = m.top_mean_displacement(comp)
            R_old, u_old = self._last.get(comp, (0.0, 0.0))
            self.external_work += 0.5 * (R_old + R) * (ubar - u_old)
            self._last[comp] = (R, ubar)
        self._R = m.top_reaction(up)
        self._ubar = m.top_mean_displacement(up)

    def _top_area(self) -> float:
        if not hasattr(self, "_atop"):
            from meshes import tags as T

            one = fem.Constant(self.m.msh, 1.0)
            self._atop = self.m._scalar(one * self.m.r() * self.m.dom.ds(T.TOP))
        return self._atop

    def row(self, info) -> dict:
        comm = self.m.msh.comm
        gn, p, d, w = self.interface_arrays()
        W = comm.allreduce(float(w.sum()), op=MPI.SUM)
        contact = self.m.interface_integral(self._contact) / self.area
        debonded = self.m.interface_integral(lambda im: im.D_old("+")) / self.area
        mean_d = comm.allreduce(float((w * d).sum()), op=MPI.SUM) / W
        max_gap = comm.allreduce(float(gn.max(initial=-np.inf)), op=MPI.MAX)
        mean_p = comm.allreduce(float((w * p).sum()), op=MPI.SUM) / W
        min_p = comm.allreduce(float(p.min(initial=np.inf)), op=MPI.MIN)
        U = self.m.bulk_energy() + self.m.interface_integral(lambda im: im.state.stored)
        loads = info.loads
        p_app = loads.get("pressure", 0.0)
        if self.m.pressure_mode == "displacement":  # the platen's mean pressure, −R/A_top
            p_app = -self._R / self._top_area()
        return {
            "step": info.step,
            "time": info.time,
            "pressure_applied": p_app,
            "soc": loads.get("soc", 0.0),
            "temperature": loads.get("temperature", float("nan")),
            "top_displacement": self._ubar,
            "contact_fraction": contact,
            "debonded_fraction": debonded,
            "mean_damage": mean_d,
            "max_gap": max_gap,
            "mean_pressure": mean_p,
            "min_pressure": min_p,
            "reaction_force": self._R,
            "elastic_energy": U,
            "cohesive_dissipation": self.dissipation,
            "viscous_dissipation": self.viscous_dissipation,
            "external_work": self.external_work,
            "newton_iterations": info.newton_iterations,
            "krylov_iterations": info.krylov_iterations,
            "step_cuts": info.cuts,
            "wall_time": info.wall_time,
        }


class CsvWriter:
    """Append rows to a CSV on rank 0. Each row is written in one ``write`` call, then flushed
    and fsync'ed, so a crash or a kill keeps every accepted step and only whole lines (never a
    partial last line). The header is ``name [unit]`` per column (:data:`COLUMN_UNITS`;
    ``per_depth``: 2D plane strain). Times are written to 12 significant digits (the sums of the
    step increments carry round-off: 181.00000000000003 is 181.0)."""

    def __init__(self, path: Path, columns, comm: MPI.Comm, per_depth: bool = False):
        self.comm = comm
        self.columns = list(columns)
        self.fd: int | None = None
        if comm.rank == 0:
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            self._line([header(c, per_depth) for c in self.columns])

    def _line(self, values: list) -> None:
        buf = io.StringIO()
        csv.writer(buf).writerow(values)
        data = buf.getvalue().encode()
        while data:  # one write call; a short write (disk full) is completed
            data = data[os.write(self.fd, data) :]
        os.fsync(self.fd)

    def write(self, row: dict) -> None:
        if self.fd is None:
            return
        vals = []
        for c in self.columns:
            v = row.get(c)
            if c == "time" and isinstance(v, float):
                v = float(f"{v:.12g}")
            vals.append(_fmt(v))
        self._line(vals)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _fmt(v):
    if isinstance(v, float):
        return "nan" if math.isnan(v) else repr(v)
    return v


def _cat(arrays: list) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def li_metal_row(sim) -> dict:
    """Voids and the Li inventory of a Li-metal electrode (docs/theory.md §5.6).

    Voids over Γ_int, from the gap g_n at its quadrature points (weights w, 2πr included):
    ``void_fraction`` = ∫ H(g_n) dΓ / |Γ_int| (the open-gap part, g_n > 0), ``void_volume`` =
    ∫ g_n⁺ dΓ / A_app (m: the void volume per apparent area). The electrode's Li (mol/depth in
    2D plane strain), three ways: ``li_inventory`` = (|Ω_e| − ∫ s dΓ)/Ω_Li, the Li in the
    electrode (its reference volume less the stripped (+) / plated (−) thickness s, the history
    of the interface points); ``li_inventory_charge`` = N_0 − ∫ I_collector dt / F (the charge
    passed through the electrode's current collector, the circuit; ∫ j_n dΓ without a bottom
    collector); ``li_inventory_reaction`` = N_0 − ∫ (∫ j_n dΓ) dt / F (the charge of the
    interface reaction, ``charge_passed``). ``li_inventory_error`` = the largest difference of
    the three over the charge throughput ∫ |I| dt / F (0 before any current)."""
    comm = sim.dom.comm
    m = sim.mech
    im = m.interfaces[0]
    nloc = im.Q.dofmap.index_map.size_local
    gn = m.interface_point_values(im, im.state.g_n)[:nloc]
    w = m._point_weights(im)[:nloc]
    W = comm.allreduce(float(w.sum()), op=MPI.SUM)
    open_ = comm.allreduce(float(w[gn > 0].sum()), op=MPI.SUM)
    vol = comm.allreduce(float((w * np.maximum(gn, 0.0)).sum()), op=MPI.SUM)
    if not hasattr(sim, "_li_n0"):  # |Ω_e|/Ω_Li + the inventory at the start (−∫ s0 dΓ/Ω_Li)
        from meshes import tags as T

        Om = sim.case.materials["electrode"].get("molar_volume") or 1.3e-5
        one = fem.Constant(sim.dom.mesh, 1.0)
        vol_e = sim.ec._scalar(one * sim.ec.r() * sim.dom.dx(T.ELECTRODE))
        sim._li_n0 = vol_e / Om + sim.li0
    F = 96485.33212
    n0 = sim._li_n0
    n_store = n0 - sim.li0 + sim._li_inventory()
    n_charge = n0 - sim.charge_collector / F
    n_react = n0 - sim.charge / F
    through = sim.throughput / F
    spread = max(n_store, n_charge, n_react) - min(n_store, n_charge, n_react)
    return {
        "void_fraction": open_ / W if W > 0 else float("nan"),
        "void_volume": vol / sim.A_app,
        "li_inventory": n_store,
        "li_inventory_charge": n_charge,
        "li_inventory_reaction": n_react,
        "li_inventory_error": spread / through if through > 0 else 0.0,
    }
