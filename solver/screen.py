"""Fast reduced-order screening of a case, with the FE model's own definitions: ``ssbx screen``.

:func:`screen_case` (a case from :func:`solver.config.load_case`) and :func:`screen_from_resolved`
(a resolved case dict; keys it lacks take the defaults of :data:`solver.config.SCHEMA`, each one
read listed in "assumptions") return

    {"quantities": {name: {"value": float | None, "unit": str, "model": str, "note": str}},
     "assumptions": [str, ...]}

JSON-serialisable. Where the screen cannot represent a quantity for the case, its value is None
and its note says why: never a made-up number. docs/theory.md §8.9 lists the quantities.

The interface quantities are the FE model's (docs/theory.md §4.7–4.9, §5.2, §5.7) evaluated for
a uniform interface state, at the case's stack pressure, current density and temperature:

* roughness ratio r = |Γ_int|/A_app from the geometry family's exact measures (``measures`` of
  :mod:`meshes.bilayer`, :mod:`meshes.rough`, :mod:`meshes.asperity`; no gmsh);
* micro-contacts of the decohered, pressed interface: spot radius a and real contact fraction
  φ(p) of the case's law (plastic, hertz, jkr, none; :func:`solver.reduced.microcontact_spots`)
  at p = the stack pressure; hardness of the softer side, E* of the pair;
* κ_s of the "−" side, σ_e of the electrode and i0 by their Arrhenius laws at the temperature;
* the interfacial ASR of two limits of the ion path: **bonded** (f = 1: a bonded interface, or a
  decohered one whose surfaces still mate), kinetics at j_app/r in series with the interphase
  film h_sei0/κ_sei; and **decohered** (closed, registry lost): the micro-contacts alone, kinetics
  at the spot current density j_app/(r φ) in series with the film and the Holm–Gibson spot
  resistance r_spot = ψ(√φ) πa/4 (1/κ_s + 1/σ_e) per unit spot area. Butler–Volmer is solved
  at the current (nonlinear), linear kinetics use R_ct. ``asr_interfacial`` is the case's own
  initial state where the keys fix it (no mechanics: bonded; ``[[interface.debonded]]`` with
  shape "all"); contact loss that comes from the mechanics is the FE's to decide (a note);
* ageing (interphase growth, SLS pad) from the [ageing] keys (the FE model has both with
  physics.ageing, docs/theory.md §7.2a, §7.3, with the same definitions: the pad's modulus for
  its lateral constraint, t*_pad the time the pad pressure reaches ageing.p_c);
* thermal runaway of the ``asperity`` family (:func:`asperity_runaway`): a bracket
  [I_c lower, I_c upper] of the FE's critical current density from two lumped models
  (:mod:`solver.reduced.runaway`) that bound the FE's heating from above and below.

Only NumPy is needed (SciPy for the exact arc length of a sinusoidal interface); no DOLFINx.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from solver.config import DEBONDED_SCHEMA, SCHEMA, derived_default
from solver.reduced import (
    FARADAY,
    GAS_CONSTANT,
    RunawayParams,
    arrhenius,
    critical_current,
    effective_modulus,
    flux_tube_correction,
    jkr_zero_load_radius,
    microcontact_spots,
    sei_critical_thickness,
    sei_time_to_contact_loss,
    sls_pressure,
    sls_time_to_pressure,
)
from solver.reduced._common import finite_or_none

OHM_M2_TO_OHM_CM2 = 1e4
MAX_BIOT = 0.1  # the lumped runaway models need a uniform cell temperature (Biot number ≪ 1)
# sections whose missing keys take the schema defaults in screen_from_resolved
_SECTIONS = ("interface", "loading", "physics", "ageing", "thermal")


class NotRepresented(ValueError):
    """The screen has no model for this case (the message says why)."""


# ------------------------------------------------------------------------------ inputs
class _Inputs:
    """The resolved case with the schema defaults for the keys it lacks (each default that the
    screen reads is recorded in ``assumptions``)."""

    def __init__(self, resolved: dict):
        r = resolved if isinstance(resolved, dict) else {}
        self.missing: set[tuple[str, str]] = set()
        self.assumptions: list[str] = []
        full: dict = {}
        for sec in _SECTIONS:
            given = r.get(sec) if isinstance(r.get(sec), dict) else {}
            full[sec] = dict(given)
            for key, spec in SCHEMA[sec].items():
                if key not in given:
                    full[sec][key] = spec.default
                    self.missing.add((sec, key))
        for sec, key in self.missing:  # derived defaults (asperity_spacing, T_ambient, ...)
            if full[sec][key] is None:
                full[sec][key] = derived_default(full, sec, key)
        full["interface"].setdefault("debonded", [])
        full["interface"].setdefault("initial_gap", None)
        full["materials"] = r.get("materials") if isinstance(r.get("materials"), dict) else {}
        full["geometry"] = r.get("geometry") if isinstance(r.get("geometry"), dict) else None
        self.r = full
        self._said: set[tuple[str, str]] = set()

    def get(self, sec: str, key: str):
        v = self.r[sec][key]
        if (sec, key) in self.missing and (sec, key) not in self._said:
            self._said.add((sec, key))
            self.assumptions.append(f"{sec}.{key} = {v!r} (default)")
        return v

    def mat(self, role: str, key: str):
        props = self.r["materials"].get(role)
        if isinstance(props, dict) and props.get(key) is not None:
            return float(props[key])
        return None

    def has_role(self, role: str) -> bool:
        return isinstance(self.r["materials"].get(role), dict)


def _entry(value, unit: str, model: str, note: str = "") -> dict:
    v = finite_or_none(value)
    if v is None and value is not None and not note:
        note = "inf" if math.isinf(float(value)) else "undefined"
    return {"value": v, "unit": unit, "model": model, "note": note}


def _none(unit: str, model: str, note: str) -> dict:
    return {"value": None, "unit": unit, "model": model, "note": note}


# ------------------------------------------------------------------------------ geometry
def roughness_ratio(geometry: dict | None) -> tuple[float, str]:
    """(r = |Γ_int|/A_app, how) from the geometry keys, with A_app the electrode's collector face
    (the FE's apparent area, docs/theory.md §1.5). Raises :class:`NotRepresented` for the
    composite family (the current through a particle bed is not uniform)."""
    if not geometry:
        return 1.0, "flat interface (no geometry given)"
    fam = geometry.get("family", "bilayer")
    dim = int(geometry.get("dim", 2))
    axi = bool(geometry.get("axisymmetric", False))
    if geometry.get("mesh_file"):
        raise NotRepresented("geometry.mesh_file: the FE measures the interface of the mesh")
    if fam == "stack":
        return 1.0, "stack: flat layers"
    if fam == "composite":
        raise NotRepresented(
            "composite: the current through a particle bed is not uniform over Γ_int (its "
            "ionic penetration depth); the FE decides"
        )
    from solver.meshes_bridge import family_module

    mod = family_module(fam)
    keys = set(getattr(mod, "PARAMS", {}))
    params = {k: v for k, v in geometry.items() if k in keys and v is not None}
    m = mod.measures(params, dim=dim, axisymmetric=axi)
    how = {
        "bilayer": "bilayer: |Γ_int| of the flat or sinusoidal interface / collector face",
        "rough": "rough: |Γ_int| of the height field / collector face",
        "asperity": "asperity: contact disc / back face (the collector)",
    }[fam]
    return m["interface"] / m["collector"], how


# ------------------------------------------------------------------------------ kinetics
@dataclass(frozen=True)
class Kinetics:
    """Charge transfer where the surfaces touch, at one temperature (SI): the FE's (5.3)."""

    kind: str  # butler_volmer | linear
    i0: float  # A/m² at the temperature
    alpha_a: float
    alpha_c: float
    R_ct: float | None  # Ω m² (linear)
    f: float  # F/RT (1/V)

    @property
    def r_small(self) -> float:
        """Small-signal resistance dη/dj at j = 0 (Ω m²)."""
        if self.kind == "linear":
            return self.R_ct
        return 1.0 / (self.i0 * (self.alpha_a + self.alpha_c) * self.f)

    def current(self, eta: float) -> float:
        if self.kind == "linear":
            return eta / self.R_ct
        a = self.alpha_a * self.f * eta
        c = self.alpha_c * self.f * eta
        return self.i0 * (math.exp(min(a, 700.0)) - math.exp(min(-c, 700.0)))

    def eta(self, j: float) -> float:
        """Kinetic overpotential η (V) carrying the current density j (A/m² of touching area)."""
        if self.kind == "linear":
            return j * self.R_ct
        if j == 0.0:
            return 0.0
        if self.alpha_a == self.alpha_c:  # closed form
            return math.asinh(j / (2.0 * self.i0)) / (self.alpha_a * self.f)
        # |η| ≤ ln(1 + |j|/i0)/(α f) of the dominant branch; bisection on the monotone law
        a = self.alpha_a if j > 0 else self.alpha_c
        hi = math.log1p(abs(j) / self.i0) / (a * self.f) * (1.0 if j > 0 else -1.0)
        lo = 0.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            if (self.current(mid) - j) * (1.0 if j > 0 else -1.0) > 0:
                hi = mid
            else:
                lo = mid
        return 0.5 * (lo + hi)

    def dphi(self, j: float, r_series: float) -> float:
        """Δφ = η(j) + r j of a path with the series resistance r (Ω m²)."""
        return self.eta(j) + r_series * j


def _path_current(kin: Kinetics, dphi: float, r_series: float) -> float:
    """j of a path at the potential difference Δφ = η + r j(η) (monotone in η, |η| ≤ |Δφ|)."""
    if kin.kind == "linear":
        return dphi / (kin.R_ct + r_series)
    s = 1.0 if dphi > 0 else -1.0
    lo, hi = 0.0, dphi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if (mid + r_series * kin.current(mid) - dphi) * s > 0:
            hi = mid
        else:
            lo = mid
    return kin.current(0.5 * (lo + hi))


def interfacial_asr(kin: Kinetics, j_app: float, r: float, paths) -> float:
    """ASR (Ω m², on the apparent area) of a uniform interface state as the FE computes it,
    ⟨Δφ⟩_j/j_app: ``paths`` = [(w, r_series), ...] the conduction paths (fractions w of Γ_int,
    their series resistances per unit touching area), in parallel at one Δφ with
    r Σ w j_kin = j_app (docs/theory.md (4.14), §5.2). At j_app = 0 the small-current limit."""
    paths = [(w, rs) for w, rs in paths if w > 0]
    if not paths:
        return math.inf
    if j_app == 0.0:
        return 1.0 / (r * sum(w / (kin.r_small + rs) for w, rs in paths))
    target = j_app / r  # Σ w j_kin: the current per unit area of Γ_int
    if len(paths) == 1:
        w, rs = paths[0]
        return kin.dphi(target / w, rs) / j_app
    # Δφ lies between 0 and the value at which any one path alone would carry all the current
    hi = min((kin.dphi(target / w, rs) for w, rs in paths), key=abs)
    lo = 0.0
    s = 1.0 if j_app > 0 else -1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        total = sum(w * _path_current(kin, mid, rs) for w, rs in paths)
        if (total - target) * s > 0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi) / j_app


# ------------------------------------------------------------------------------ runaway
def _cone(cond: float, r0: float, r1: float, L: float) -> float:
    """Dissipation resistance (Ω) of the self-similar conical trial field J = J_z(z)(ρr'/r, 1)
    inside a cone of radius r(z) from r0 to r1 over the length L: ∫ (1 + r'²/2)/(σπr²) dz."""
    if abs(r1 - r0) < 1e-12 * r0:
        return L / (cond * math.pi * r0**2)
    t = (r1 - r0) / L
    return (1 + t * t / 2) / (cond * math.pi * abs(t)) * abs(1 / r0 - 1 / r1)


def _golden_min(f, lo: float, hi: float) -> float:
    g = (math.sqrt(5) - 1) / 2
    for _ in range(100):
        x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
        if f(x1) < f(x2):
            hi = x2
        else:
            lo = x1
    return f(0.5 * (lo + hi))


@dataclass(frozen=True)
class AsperityRunaway:
    """The two lumped models that bracket the FE's thermal runaway of an ``asperity`` case
    (:func:`asperity_runaway`). ``cool``: less heat than the FE at every state (kinetics only)
    → its critical current bounds the FE's from above; ``hot``: more heat (kinetics + conical
    trial fields in the bulk) → from below. ``cool`` is None where no lower bound on the heat
    is constructed (Butler–Volmer kinetics)."""

    A_app: float  # m², the collector (back face) area: j_app = I/A_app
    G: float  # W/K, convective conductance of the cell to the ambient
    C: float  # J/K, heat capacity of the cell
    Bi: float  # Biot number of the cell (the lumped temperature needs Bi ≪ 1)
    hot: RunawayParams
    cool: RunawayParams | None
    resistances: dict  # Ω at T0: kinetics (R_kin), conical trial fields (R_lyte, R_cap)

    def critical_current_densities(self) -> tuple[float, float | None]:
        """(lower, upper) bound of the FE's critical current density (A/m²)."""
        lo = critical_current(self.hot) / self.A_app
        up = critical_current(self.cool) / self.A_app if self.cool is not None else None
        return lo, up


def asperity_runaway(resolved: dict) -> AsperityRunaway:
    """The lumped runaway models of an axisymmetric ``asperity`` case from its resolved keys and
    closed forms only (docs/theory.md §8.9). Raises :class:`NotRepresented` (saying why) for
    any case outside the construction.

    The cell is thin and cooled weakly (Biot number h_conv t_s/k ≪ 1), so its temperature is
    uniform and it is one heat capacity C = Σ ρc_p V (the block and the asperity) cooled through
    G = h_conv × its convective faces (the block's top πW², the asperity's back face πb²). The
    contact retention ψ obeys the lumped law (6.5) = (8.13) with ψ = a/a_c, driven by that
    temperature; the heat is I² R(ψ, T) at the galvanostatic current I = j_app πb².

    R(ψ, T) is bracketed. Kinetics (linear, R_ct + h_sei0/κ_sei per unit touching area) on the
    disc of radius a_c give ≥ R_kin/ψ, R_kin = (R_ct + r_sei)/(πa_c²), since ∫ j² dΓ ≥ I²/A
    (Cauchy–Schwarz); the bulk adds a positive amount: the ``cool`` model. By Thomson's theorem
    (a steady current distributes itself so as to minimise the heat, among all divergence-free
    fields carrying I between the equipotential electrodes; Jeans 1925) the uniform flux over the
    disc with self-similar conical fields J = J_z(z)(ρr'/r, 1) in the bulk, whose dissipation is
    ∫ (1 + r'²/2)/(σπr²) dz, gives ≤ R_kin/ψ + R_lyte(T) + R_cap(T): in the electrolyte a cone
    from a_c opening to the block radius W, then the cylinder; in the cap a cone from the back
    face to the disc inside the cap; each slope minimised; the conductivities at the (uniform)
    temperature T by their Arrhenius laws: the ``hot`` model. Butler–Volmer kinetics with
    α_a = α_c: η ≤ R_lin j with R_lin = RT/(F i0 (α_a + α_c)) (sinh x ≥ x), the larger of its
    values at T0 and T_limit, bounds the heat from above (``hot`` only).

    The lumped system is cooperative (:mod:`solver.reduced.runaway`), so more heating gives a
    higher temperature and a smaller contact at every time: the FE's critical current lies
    between those of the two models, up to the lumping (O(Bi)) and the spot's own
    over-temperature."""
    g = resolved.get("geometry") or {}
    if g.get("family") != "asperity":
        raise NotRepresented(
            f"the runaway bracket is built for the 'asperity' family (one contact spot), not "
            f"'{g.get('family', 'bilayer')}'"
        )
    if g.get("mesh_file"):
        raise NotRepresented("geometry.mesh_file: the bracket needs the asperity's own keys")
    if not g.get("axisymmetric"):
        raise NotRepresented(
            "the runaway bracket is built for the axisymmetric asperity (conical trial fields), "
            "not its plane-strain ridge"
        )
    itf, th, ld = resolved["interface"], resolved["thermal"], resolved["loading"]
    if itf.get("debonded") or itf.get("initial_gap"):
        raise NotRepresented(
            "the runaway bracket assumes a bonded contact disc: the case decoheres it "
            "(interface.debonded / initial_gap)"
        )
    for face in ("top", "bottom"):
        if th[face] == "fixed":
            raise NotRepresented(
                f"thermal.{face} = 'fixed': the heat sink is conduction to a face held at its "
                "temperature, not the lumped convective cell of the bracket"
            )
    mats = resolved["materials"]
    lyte, el = mats["electrolyte"], mats["electrode"]
    for role, m, keys in (
        ("electrolyte", lyte, ("kappa", "density", "cp", "k_th")),
        ("electrode", el, ("sigma_e", "density", "cp", "k_th")),
    ):
        for k in keys:
            if m.get(k) is None:
                raise NotRepresented(f"materials.{role}.{k} is missing")
    from meshes import asperity as geo

    keys = set(geo.PARAMS)
    m = geo.measures(
        {k: v for k, v in g.items() if k in keys and v is not None}, dim=2, axisymmetric=True
    )
    a, h_cap, W, ts, b = g["a_c"], g["h_cap"], g["W"], g["t_s"], m["back_radius"]
    T0 = float(th["T_ambient"])
    T_ref = float(ld["T_ref"])
    T_limit = float(th["T_limit"])
    if T_limit <= T0:
        raise NotRepresented(f"thermal.T_limit = {T_limit:g} K is not above T_ambient")
    h_conv = float(th["h_conv"])
    A_conv = (m["top"] if th["top"] == "convective" else 0.0) + (
        m["collector"] if th["bottom"] == "convective" else 0.0
    )
    G = h_conv * A_conv
    C = lyte["density"] * lyte["cp"] * m["electrolyte"] + el["density"] * el["cp"] * m["electrode"]
    Bi = max(h_conv * ts / lyte["k_th"], h_conv * h_cap / el["k_th"])
    if Bi > MAX_BIOT:
        raise NotRepresented(
            f"Biot number {Bi:.2g} > {MAX_BIOT:g}: the cell's temperature is not uniform, the "
            "lumped models do not apply"
        )
    if G <= 0.0:
        raise NotRepresented("no heat sink (h_conv = 0 or both faces insulated)")
    # kinetics per unit touching area
    r_sei = itf["h_sei0"] / itf["kappa_sei"] if itf["h_sei0"] > 0 else 0.0
    A_spot = math.pi * a * a
    cool_ok = True
    if itf["kinetics"] == "linear":
        R_kin = (itf["R_ct"] + r_sei) / A_spot
    else:
        if itf["alpha_a"] != itf["alpha_c"]:
            raise NotRepresented(
                "Butler–Volmer kinetics with alpha_a != alpha_c: no linear bound on the kinetic "
                "heat (the bracket needs linear kinetics, or alpha_a = alpha_c for its lower end)"
            )

        def r_lin(T):
            i0 = float(arrhenius(itf["i0"], itf["Ea_i0"], T, T_ref))
            return GAS_CONSTANT * T / (FARADAY * i0 * (itf["alpha_a"] + itf["alpha_c"]))

        R_kin = (max(r_lin(T0), r_lin(T_limit)) + r_sei) / A_spot
        cool_ok = False
    # conductivities at T0 and their activation energies
    Ea_k = lyte.get("Ea_kappa") or 0.0
    Ea_s = el.get("Ea_sigma_e") or 0.0
    kappa = float(arrhenius(lyte["kappa"], Ea_k, T0, T_ref))
    sigma = float(arrhenius(el["sigma_e"], Ea_s, T0, T_ref))

    def lyte_cone(t):  # cone from a with slope t to W (or to the top), then the cylinder
        zW = (W - a) / t
        if zW >= ts:
            return _cone(kappa, a, a + t * ts, ts)
        return _cone(kappa, a, W, zW) + (ts - zW) / (kappa * math.pi * W * W)

    R_lyte = _golden_min(lyte_cone, 1e-3, 1e2)
    R_cap = _golden_min(lambda r0: _cone(sigma, r0, a, h_cap), a, b)  # back face r0 ≤ b → disc
    tau_s = th["tau_shrink"]

    def model(series):  # the lumped spot model with the kinetics R_kin/ψ: 1/(4κ0 a), a = ψ a_c
        return RunawayParams(
            kappa0=1.0 / (4.0 * a * R_kin),
            a0=a,
            G_th=G,
            C_th=C,
            T0=T0,
            Ea_kappa=0.0,
            Ea_soft=th["Ea_soft"] if tau_s else 0.0,  # no tau_shrink: the contact never shrinks
            tau_recover=th["tau_recover"],
            tau_shrink=tau_s or 1.0,
            T_limit=T_limit,
            a_min_fraction=th["retention_min"],
            series=series,
        )

    return AsperityRunaway(
        A_app=m["collector"],
        G=G,
        C=C,
        Bi=Bi,
        hot=model(((R_lyte, Ea_k), (R_cap, Ea_s))),
        cool=model(()) if cool_ok else None,
        resistances={"R_kin": R_kin, "R_lyte": R_lyte, "R_cap": R_cap},
    )


# ------------------------------------------------------------------------------ the screen
@dataclass
class _Itf:
    """What the interfacial ASRs need (None where the case does not give it; ``why_*`` says)."""

    r: float | None = None  # roughness ratio |Γ_int|/A_app
    why_r: str = ""
    flat: bool = True
    kin: Kinetics | None = None
    ct_model: str = ""
    r_sei: float = 0.0  # Ω m² per unit touching area
    law: str = "plastic"
    phi: float | None = None  # real contact fraction of the decohered, pressed interface
    a: float | None = None  # its spot radius (m)
    why_spots: str = ""
    constricted: bool = False  # the spot resistance is on the micro-contact path
    r_spot: float | None = 0.0  # Holm–Gibson spot resistance per unit spot area (Ω m²)
    why_spot: str = ""


def screen_from_resolved(resolved: dict) -> dict:
    """Reduced-order predictions for a resolved case (see the module docstring)."""
    inp = _Inputs(resolved)
    q: dict[str, dict] = {}
    P = float(inp.get("loading", "stack_pressure"))
    T = float(inp.get("loading", "temperature"))
    j_app = float(inp.get("loading", "current_density"))
    displaced = inp.get("loading", "pressure_mode") == "displacement"
    q["stack_pressure"] = _entry(
        P,
        "Pa",
        "loading.stack_pressure: the contact pressure of the decohered limit",
        "pressure_mode = displacement: the FE's pressure follows from the platen displacement"
        if displaced
        else "",
    )
    q["temperature"] = _entry(T, "K", "loading.temperature")
    q["current_density"] = _entry(j_app, "A/m^2", "loading.current_density: j_app on A_app")
    ld = inp.r["loading"]
    if any(
        st.get(k) is not None and st.get(k) != ld.get(k)
        for st in ld.get("protocol") or []
        for k in ("stack_pressure", "temperature", "current_density")
    ):
        inp.assumptions.append(
            "the screen takes loading.stack_pressure, temperature and current_density; steps of "
            "the protocol with other targets are not screened (screen a copy with them)"
        )
    itf = _interface(inp, q, P, T)
    _asr(inp, q, itf, j_app)
    _ageing(inp, q, T)
    _runaway(inp, q, j_app)
    return {"quantities": q, "assumptions": inp.assumptions}


def _interface(inp: _Inputs, q: dict, P: float, T: float) -> _Itf:
    """Roughness, the micro-contact law at the stack pressure, conductivities and kinetics at
    the temperature: the ingredients of the FE's ion path (docs/theory.md §4.7–4.9, §5.2)."""
    itf = _Itf()
    T_ref = float(inp.get("loading", "T_ref"))
    geometry = inp.r["geometry"]
    if geometry is None:
        inp.assumptions.append("no geometry given: a flat interface (roughness ratio 1)")
    g = geometry or {}
    itf.flat = g.get("family", "bilayer") == "stack" or (
        g.get("family", "bilayer") == "bilayer"
        and (g.get("interface", "flat") == "flat" or not g.get("amplitude"))
    )
    try:
        itf.r, how = roughness_ratio(geometry)
        q["roughness_ratio"] = _entry(itf.r, "1", how)
    except NotRepresented as e:
        itf.why_r = str(e)
        q["roughness_ratio"] = _none("1", "|Γ_int|/A_app", itf.why_r)

    # the pair of Γ_int: the electrode and the "−" side (the coating of a coated stack)
    side = "coating" if inp.has_role("coating") else "electrolyte"
    pair = ("electrode", side)
    hard = [h for h in (inp.mat(role, "hardness") for role in pair) if h is not None]
    H = None
    if hard:
        H = min(hard)
        q["hardness"] = _entry(H, "Pa", f"min hardness of electrode | {side} (the softer side)")
    else:
        ys = [(inp.mat(role, "yield_stress"), role) for role in pair]
        ys = [(y, role) for y, role in ys if y is not None]
        if ys:
            Y, role = min(ys)
            H = 3.0 * Y
            q["hardness"] = _entry(
                H,
                "Pa",
                f"Tabor H = 3Y of the {role} (screen-only: neither side has a hardness, with "
                "which the FE's plastic law would work)",
            )
        else:
            q["hardness"] = _none("Pa", "hardness", "neither side has a hardness or yield_stress")
    E_star = None
    Enu = [(inp.mat(role, "E"), inp.mat(role, "nu")) for role in pair]
    if all(E is not None and nu is not None for E, nu in Enu):
        E_star = float(effective_modulus(Enu[0][0], Enu[0][1], Enu[1][0], Enu[1][1]))
        q["effective_modulus"] = _entry(
            E_star, "Pa", f"1/E* = sum (1 - nu^2)/E (electrode | {side})"
        )

    # conductivities and kinetics at the temperature (Arrhenius (5.9) about loading.T_ref)
    kappa = sigma = None
    if inp.mat(side, "kappa") is not None:
        kappa = float(arrhenius(inp.mat(side, "kappa"), inp.mat(side, "Ea_kappa") or 0, T, T_ref))
        q["kappa_interface"] = _entry(kappa, "S/m", f"{side} kappa at the temperature")
    if inp.mat("electrode", "sigma_e") is not None:
        Ea = inp.mat("electrode", "Ea_sigma_e") or 0.0
        sigma = float(arrhenius(inp.mat("electrode", "sigma_e"), Ea, T, T_ref))
        q["sigma_e_interface"] = _entry(sigma, "S/m", "electrode sigma_e at the temperature")
    f = FARADAY / (GAS_CONSTANT * T)
    if inp.get("interface", "kinetics") == "linear":
        R_ct = inp.r["interface"].get("R_ct")
        if R_ct is not None:
            itf.kin = Kinetics("linear", 0.0, 0.5, 0.5, float(R_ct), f)
            itf.ct_model = "linear kinetics R_ct"
    else:
        i0 = float(arrhenius(inp.get("interface", "i0"), inp.get("interface", "Ea_i0"), T, T_ref))
        aa, ac = float(inp.get("interface", "alpha_a")), float(inp.get("interface", "alpha_c"))
        itf.kin = Kinetics("butler_volmer", i0, aa, ac, None, f)
        q["i0"] = _entry(i0, "A/m^2", "interface.i0 at the temperature (Ea_i0)")
        itf.ct_model = "Butler-Volmer (solved at the current)"
    h0 = float(inp.get("interface", "h_sei0"))
    itf.r_sei = h0 / float(inp.get("interface", "kappa_sei")) if h0 > 0 else 0.0

    # micro-contacts of the decohered, pressed interface at p = the stack pressure
    itf.law = law = inp.get("interface", "microcontact")
    R_a = float(inp.get("interface", "asperity_radius"))
    W_adh = float(inp.get("interface", "work_of_adhesion"))
    model = {
        "plastic": "plastic: phi = min(1, p/H), a = asperity_radius",
        "hertz": "hertz array: a^3 = 3 p l^2 R/(4E*), phi = min(1, pi a^2/l^2)",
        "jkr": "jkr array: p l^2 = 4E*a^3/(3R) - sqrt(8 pi W E* a^3), phi = min(1, pi a^2/l^2)",
        "none": "none: a decohered, closed interface conducts like a bonded one, phi = 1",
    }[law]
    if law == "plastic" and H is None:
        itf.why_spots = "the plastic law needs a hardness (neither side has one)"
    elif law in ("hertz", "jkr") and E_star is None:
        itf.why_spots = "the hertz/jkr laws need E and nu of both sides"
    else:
        spacing = float(inp.get("interface", "asperity_spacing"))
        a, phi = microcontact_spots(
            law, P, radius=R_a, spacing=spacing, hardness=H, E_star=E_star, W=W_adh
        )
        itf.a, itf.phi = float(a), float(phi)
    if itf.phi is None:
        q["spot_radius"] = _none("m", model, itf.why_spots)
        q["microcontact_fraction"] = _none("1", model, itf.why_spots)
    else:
        q["spot_radius"] = _entry(itf.a, "m", model + ", at p = stack_pressure")
        q["microcontact_fraction"] = _entry(
            itf.phi,
            "1",
            model + ", at p = stack_pressure: the FE's active_fraction of a decohered, closed "
            "interface without registry",
        )
    if law == "jkr" and E_star is not None:
        q["jkr_zero_load_radius"] = _entry(
            jkr_zero_load_radius(R_a, E_star, W_adh), "m", "JKR a0 = (9 pi W R^2/(2E*))^(1/3)"
        )
    # the Holm–Gibson resistance of the spots (on the micro-contact path, with constriction)
    itf.constricted = law != "none" and bool(inp.get("interface", "constriction"))
    if itf.constricted and itf.phi is not None:
        if kappa is None or sigma is None:
            itf.r_spot = None
            itf.why_spot = (
                f"materials.{side}.kappa missing"
                if kappa is None
                else "materials.electrode.sigma_e missing"
            )
            q["spot_resistance"] = _none("Ohm cm^2", "Holm-Gibson", itf.why_spot)
        else:
            psi = float(flux_tube_correction(math.sqrt(itf.phi)))
            itf.r_spot = psi * math.pi * itf.a / 4.0 * (1.0 / kappa + 1.0 / sigma)
            q["spot_resistance"] = _entry(
                itf.r_spot * OHM_M2_TO_OHM_CM2,
                "Ohm cm^2",
                "r_spot = psi(sqrt(phi)) pi a/4 (1/kappa_s + 1/sigma_e), per unit spot area",
            )
    if not itf.flat:
        inp.assumptions.append(
            "the contact pressure of the decohered limit is the stack pressure (exact for a flat "
            "interface loaded by the stack pressure alone)"
        )
    return itf


def _asr(inp: _Inputs, q: dict, itf: _Itf, j_app: float) -> None:
    """The interfacial ASR (on A_app, Ω cm²) of the bonded and the decohered limits and of the
    case's initial state, as the FE computes it (``asr_interfacial`` = ⟨Δφ⟩_j/j_app)."""
    c, unit = OHM_M2_TO_OHM_CM2, "Ohm cm^2"
    why = itf.why_r or ("" if itf.kin is not None else "linear kinetics without interface.R_ct")
    uniform = (
        ""
        if itf.flat
        else "uniform current over Γ_int assumed (exact on a flat interface; on a curved one "
        "the FE's current-weighted ASR is at least this for linear or symmetric kinetics)"
    )
    off = (
        ""
        if inp.get("physics", "electrochemistry")
        else "physics.electrochemistry is off: the FE run computes no ASR"
    )

    def note(*parts, value: bool = True):
        """The note of an ASR: the parts, then (for a number) the uniform-current caveat."""
        return "; ".join(p for p in (*parts, uniform if value else "", off) if p)

    bonded_model = f"bonded, f = 1: {itf.ct_model} at j_app/r, in series with h_sei0/kappa_sei"
    if why:
        q["asr_interfacial_bonded"] = _none(unit, bonded_model, note(why, value=False))
    else:
        bonded = interfacial_asr(itf.kin, j_app, itf.r, [(1.0, itf.r_sei)])
        q["local_current_density_bonded"] = _entry(j_app / itf.r, "A/m^2", "j_app/r (f = 1)")
        q["asr_interfacial_bonded"] = _entry(bonded * c, unit, bonded_model, note())

    dec_model = (
        "decohered, closed, without registry: micro-contacts phi, "
        f"{itf.ct_model} at j_app/(r phi) in series with h_sei0/kappa_sei"
        + (" and r_spot" if itf.constricted else "")
    )
    why_dec = why or itf.why_spots or itf.why_spot
    if not why_dec and itf.phi <= 0.0:
        why_dec = "no micro-contact at this pressure (phi = 0): the decohered interface blocks"
    if why_dec:
        q["asr_interfacial_decohered"] = _none(unit, dec_model, note(why_dec, value=False))
    else:
        r, phi, r_spot = itf.r, itf.phi, itf.r_spot
        j_loc = j_app / (r * phi)
        q["local_current_density_decohered"] = _entry(
            j_loc, "A/m^2", "j_app/(r phi): at the spots (the FE's j_kin of the path)"
        )
        ct = itf.kin.eta(j_loc) / j_app if j_app else itf.kin.r_small / (r * phi)
        q["asr_decohered_charge_transfer"] = _entry(ct * c, unit, itf.ct_model + " at the spots")
        q["asr_decohered_constriction"] = _entry(r_spot / (r * phi) * c, unit, "r_spot/(r phi)")
        q["asr_decohered_interphase"] = _entry(
            itf.r_sei / (r * phi) * c, unit, "h_sei0/kappa_sei/(r phi)"
        )
        dec = interfacial_asr(itf.kin, j_app, r, [(phi, itf.r_sei + r_spot)])
        q["asr_interfacial_decohered"] = _entry(
            dec * c,
            unit,
            dec_model,
            note(
                "microcontact = none: conducts like the bonded interface"
                if itf.law == "none"
                else ""
            ),
        )
    q["asr_interfacial"] = _initial_asr(inp, itf, j_app, why, note)


def _initial_asr(inp: _Inputs, itf: _Itf, j_app: float, why: str, note) -> dict:
    """``asr_interfacial``: the ASR of the case's initial interface where its keys fix it (no
    mechanics: bonded; ``[[interface.debonded]]`` regions of shape "all": uniform decohesion D
    and registry, closed by the stack pressure: paths w_b = 1 − D + Dρ, w_c = D(1 − ρ)φ)."""
    unit, name = "Ohm cm^2", "the case's initial interface state"
    if why:
        return _none(unit, name, note(why, value=False))
    c = OHM_M2_TO_OHM_CM2
    later = "contact loss that the mechanics brings about later is the FE's to decide"
    regions = inp.r["interface"].get("debonded") or []
    if not inp.get("physics", "mechanics"):
        asr = interfacial_asr(itf.kin, j_app, itf.r, [(1.0, itf.r_sei)])
        return _entry(asr * c, unit, "no mechanics: the FE's interface is bonded (f = 1)", note())
    if inp.r["interface"].get("initial_gap"):
        return _none(
            unit,
            name,
            note(
                "interface.initial_gap: where the surfaces touch is the FE's to decide", value=False
            ),
        )
    if not regions:
        return _none(
            unit,
            name,
            note(
                "the interface starts bonded (asr_interfacial_bonded); whether and where the "
                "mechanics decoheres it or opens gaps is the FE's to decide: the ASR is the "
                "bonded value where it stays bonded (or its decohered surfaces still mate), the "
                "decohered value where it is decohered, closed and without registry, and the "
                "current is blocked where gaps open",
                value=False,
            ),
        )
    if any(reg.get("shape") != "all" for reg in regions):
        return _none(
            unit,
            name,
            note(
                "partly debonded interface (interface.debonded regions other than 'all'): how "
                "the current shares between the bonded and the decohered parts is the FE's",
                value=False,
            ),
        )
    dflt = {k: DEBONDED_SCHEMA[k].default for k in ("decohesion", "registry")}
    D = max(float(reg.get("decohesion") or dflt["decohesion"]) for reg in regions)
    registry = all(bool(reg.get("registry", dflt["registry"])) for reg in regions)
    if registry or itf.law == "none":
        paths, what = [(1.0, itf.r_sei)], "registry kept: conducts as bonded"
    elif itf.phi is None or itf.r_spot is None:
        return _none(unit, name, note(itf.why_spots or itf.why_spot, value=False))
    else:
        paths, what = [(1.0 - D, itf.r_sei), (D * itf.phi, itf.r_sei + itf.r_spot)], "no registry"
    asr = interfacial_asr(itf.kin, j_app, itf.r, paths)
    model = (
        f"interface.debonded 'all' (D = {D:g}, {what}), closed by the stack pressure: "
        "w_b = 1 - D + D rho, w_c = D (1 - rho) phi"
    )
    return _entry(asr * c, unit, model, note(later))


def _ageing(inp: _Inputs, q: dict, T: float) -> None:
    """Time to contact loss by interphase growth (rigid rest of the stack, (7.2)-(7.3); the FE's
    physics.ageing uses the same law with the stack's compliance in series, §7.2a) and by pad
    relaxation (§7.3; the FE's physics.ageing relaxes the pad with the same definitions) from
    the [ageing] keys."""
    T_ref = float(inp.get("loading", "T_ref"))
    E_sei = float(inp.get("ageing", "sei_E"))
    delta = float(inp.get("ageing", "stack_displacement"))
    p_min = float(inp.get("ageing", "p_min"))
    Omega = float(inp.get("ageing", "sei_molar_volume"))
    D = float(inp.get("ageing", "sei_D"))
    Ea_sei = float(inp.get("ageing", "sei_Ea"))
    h0 = float(inp.get("interface", "h_sei0"))
    d_model = "D = sei_D"
    if Ea_sei > 0:  # Arrhenius (5.9): sei_D is the diffusivity at loading.T_ref
        D = float(arrhenius(D, Ea_sei, T, T_ref))
        d_model = "D = sei_D exp[-(sei_Ea/R)(1/T - 1/T_ref)]"
    q["sei_diffusivity"] = _entry(D, "m^2/s", d_model + " at loading.temperature")
    c_inf = float(inp.get("ageing", "sei_c_inf"))
    q["sei_critical_thickness"] = _entry(
        sei_critical_thickness(E_sei, delta, p_min), "m", "h* = E' delta/p_min"
    )
    t_sei = float(sei_time_to_contact_loss(E_sei, delta, p_min, h0, Omega, D, c_inf))
    q["t_star_interphase"] = _entry(
        t_sei,
        "s",
        "parabolic growth t* = (h*^2 - h0^2)/(2 Omega D c_inf)",
        "never" if math.isinf(t_sei) else "",
    )
    pad = [inp.mat("pad", k) for k in ("E1", "E2", "tau")]
    if inp.has_role("pad") and None not in pad:
        E1p, E2p, tau = pad
        eps0 = float(inp.get("loading", "pad_strain"))
        p_c = float(inp.get("ageing", "p_c"))
        # the pad's lateral constraint, as in the FE stack (§7.3): rollers hold it in uniaxial
        # strain (constrained relaxation modulus f E(t), constant nu), free sides: E(t)
        lateral = inp.get("loading", "lateral")
        nu = inp.mat("pad", "nu")
        if lateral == "roller" and nu is not None:
            f = (1 - nu) / ((1 + nu) * (1 - 2 * nu))
            how = "SLS, rollers (uniaxial strain): M(t) = f E(t), f = (1-nu)/((1+nu)(1-2nu))"
        else:
            f, how = 1.0, "SLS, free sides (uniaxial stress): E(t)"
        E1p, E2p = f * E1p, f * E2p
        how += "; platen displacement pad_strain t_pad taken by the pad (rigid rest of the stack)"
        t_pad = float(sls_time_to_pressure(p_c, E1p, E2p, tau, eps0))
        q["pad_pressure_initial"] = _entry(sls_pressure(0.0, E1p, E2p, tau, eps0), "Pa", how)
        q["pad_pressure_final"] = _entry(sls_pressure(math.inf, E1p, E2p, tau, eps0), "Pa", how)
        q["t_star_pad"] = _entry(
            t_pad,
            "s",
            "t_c = -tau ln((p_c/(f eps0) - E2)/E1), " + how,
            "never (f E2 eps0 >= p_c)" if math.isinf(t_pad) else "",
        )
    else:
        q["t_star_pad"] = _none("s", "SLS", "no pad (E1, E2, tau) in the case")


def _runaway(inp: _Inputs, q: dict, j_app: float) -> None:
    """The bracket [lower, upper] of the FE's critical current density of thermal runaway
    (:func:`asperity_runaway`), or a note saying why the case is outside it."""
    names = ("runaway_critical_current_density_lower", "runaway_critical_current_density_upper")
    model = "lumped models bracketing the FE's heating (solver.screen.asperity_runaway)"
    try:
        mats = inp.r["materials"]
        if not isinstance(mats.get("electrolyte"), dict) or not isinstance(
            mats.get("electrode"), dict
        ):
            raise NotRepresented("no electrode or electrolyte material")
        if inp.r["interface"]["kinetics"] == "linear" and inp.r["interface"]["R_ct"] is None:
            raise NotRepresented("linear kinetics without interface.R_ct")
        m = asperity_runaway({**inp.r, "geometry": inp.r["geometry"] or {}})
    except NotRepresented as e:
        for n in names:
            q[n] = _none("A/m^2", model, str(e))
        q["runaway_margin"] = _none("1", "runaway_critical_current_density_lower/|j_app|", str(e))
        return
    lo, up = m.critical_current_densities()
    extra = []
    if not inp.get("physics", "thermal"):
        extra.append("physics.thermal is off: the FE run has no heat equation")
    if not inp.r["thermal"]["tau_shrink"]:
        extra.append("no thermal.tau_shrink: the contact does not shrink, T_limit is the bound")
    note = "; ".join(extra)
    q["runaway_heat_sink_conductance"] = _entry(m.G, "W/K", "h_conv x the convective faces")
    q["runaway_heat_capacity"] = _entry(m.C, "J/K", "sum rho c_p V of the block and the asperity")
    q["runaway_biot_number"] = _entry(m.Bi, "1", "h_conv t/k_th (the lumped models need << 1)")
    q[names[0]] = _entry(
        lo, "A/m^2", "I_c/A_app of the hot model: kinetics + conical trial fields (Thomson)", note
    )
    if up is None:
        q[names[1]] = _none(
            "A/m^2",
            "I_c/A_app of the cool model (kinetics only)",
            "Butler-Volmer kinetics: no lower bound on the heat is constructed",
        )
    else:
        q[names[1]] = _entry(
            up, "A/m^2", "I_c/A_app of the cool model: kinetics only (Cauchy-Schwarz)", note
        )
    q["runaway_margin"] = _entry(
        lo / abs(j_app) if j_app else math.inf,
        "1",
        "runaway_critical_current_density_lower/|j_app|",
    )
    inp.assumptions.append(
        "runaway: the contact disc stays bonded (only the retention psi shrinks it), the cell's "
        "temperature is uniform (Biot number << 1) and starts at thermal.T_ambient"
    )


def screen_case(case) -> dict:
    """Screen a case loaded by ``solver.config.load_case`` (uses only ``case.resolved``)."""
    return screen_from_resolved(case.resolved)


def format_screen(result: dict) -> str:
    """Plain-text table (quantity, value, unit, model), each note on the line below its
    quantity, followed by the assumptions."""
    rows = [("quantity", "value", "unit", "model")]
    notes = [""]
    for name, e in result["quantities"].items():
        v = e["value"]
        rows.append((name, f"{v:.5g}" if v is not None else "n/a", e["unit"], e["model"]))
        notes.append(e.get("note") or "")
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for k, (r, note) in enumerate(zip(rows, notes)):
        lines.append("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3])
        if k == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(r[3]))
        if note:
            lines.append(" " * (widths[0] + 2) + "note: " + note)
    if result.get("assumptions"):
        lines.append("")
        lines.append("assumptions:")
        lines.extend(f"  - {s}" for s in result["assumptions"])
    return "\n".join(lines)
