"""The ion path through Γ_int: which part of the interface conducts, and through what (UFL).

This module turns the mechanical state of the interface (from :mod:`solver.physics.cohesive`)
into the weights of the conduction paths used by the potentials
(:mod:`solver.physics.electrochemistry`) and the heat equation (:mod:`solver.physics.heat`).
The derivation, the assumptions and the sources are in ``docs/theory.md`` (§ "The ion path").

State (per interface quadrature point, all penalty-independent in the stiff limit):

* decohesion D ∈ [0, 1]: the dissipated fraction Φ/G_c(B) of the cohesive law (history, never
  decreases). For the bilinear law D = (δ − δ₀)/(δ_f − δ₀) with δ_f = 2G_c/σ_eff: it depends on
  the separation over the physical length δ_f, not on the secant stiffness loss d, which is
  1 − δ₀/δ and so reaches 0.99 at 100 δ₀ = 100 σ_c/K (a numerical length).
* gap g_n (with the initial gap and the stripped Li thickness): contact is lost where the
  decohered surfaces are apart. s(g_n) = 1 for g_n ≤ 0, 0 for g_n ≥ g_open, a cubic smoothstep
  in between; g_open is the separation at which the last sub-grid asperities of the two surfaces
  part (of the order of their peak-to-valley roughness): a physical length.
* registry ρ = exp(−m/ℓ_reg), m the largest separation |[[u]]| (opening and slip) reached so far
  (history): two fracture surfaces that were bonded are replicas of each other and mate again
  when pressed back without offset (intimate contact, as before decohesion); an offset larger
  than the lateral correlation length ℓ_reg of the sub-grid roughness destroys that registry
  and the surfaces touch only at asperities. ℓ_reg = 0 switches registry off (a decohered
  interface conducts only through micro-contacts).

Conduction paths (fractions of Γ_int, 0 ≤ w_b + w_c ≤ 1):

    w_b = (1 − D) + D s(g_n) ρ                 intimate contact: bonded ligaments + mated surfaces
    w_c = D s(g_n) (1 − ρ) φ(p)                micro-contacts of the decohered, pressed part

φ(p) is the real contact fraction of a micro-contact law of the contact pressure p:

* plastic: φ = p/H (H the hardness of the softer side; Bowden & Tabor), spots of a load-independent
  mean radius a (= ``asperity_radius``): in Greenwood–Williamson statistics the number of spots
  grows with the load at a nearly constant mean spot size (Greenwood & Williamson 1966; the
  contact-conductance correlation h ∝ (p/H)^0.95 of Mikic 1974 / Yovanovich 1982);
* hertz / jkr: a square array of identical spherical asperities of radius R (spacing ℓ), each
  carrying p ℓ²: spot radius a from Hertz a³ = 3Pr R/(4E*) or from JKR
  P = 4E*a³/(3R) − sqrt(8πWE*a³), φ = πa²/ℓ² (Johnson, Contact Mechanics, 1985, §4, §5.5).

The micro-contact path has, in series with the kinetics, the constriction of its spots: one
circular equipotential spot of radius a between two half-spaces of conductivities κ₁, κ₂ has
R = 1/(4κ₁a) + 1/(4κ₂a) (Holm, Electric Contacts, 1967); spots that each feed a flux tube of
radius b = a/√φ (their share of the area) have R = ψ(√φ)/(4a) (1/κ₁ + 1/κ₂), with Gibson's
finite-size factor ψ (Gibson, Appl. Energy 2 (1976) 57; :func:`solver.reduced.constriction.
flux_tube_correction`), ψ → 1 for φ → 0. Per unit contact area (the spot area πa²):
r_spot = ψ(√φ) πa/4 (1/κ₁ + 1/κ₂) (Ω m²; the apparent-area value is r_spot/φ).
The heat analogue is the Cooper–Mikic–Yovanovich spot conductance 2 k_s a/ψ per spot with
k_s = 2k₁k₂/(k₁ + k₂) (Cooper, Mikic & Yovanovich, Int. J. Heat Mass Transfer 12 (1969) 279,
who use ψ ≈ (1 − √φ)^1.5): per unit contact area h_spot = 2k_s/(πaψ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ufl

from solver.reduced.constriction import GIBSON_EPS_MAX, GIBSON_PSI

MICROCONTACT_LAWS = ("plastic", "hertz", "jkr", "none")


@dataclass(frozen=True)
class ContactLaw:
    """Sub-grid contact of the decohered interface (SI units).

    microcontact: plastic | hertz | jkr | none ("none": a decohered, closed interface conducts
    like a bonded one); asperity_radius (m): plastic spot radius / Hertz–JKR asperity radius R;
    asperity_spacing (m): Hertz/JKR array spacing ℓ; work_of_adhesion (J/m²): JKR W;
    hardness (Pa): plastic H; E_star (Pa): contact modulus E* of the pair; g_open (m): gap at
    which a decohered interface stops conducting; registry_length (m): ℓ_reg (0: no registry);
    constriction: add the Holm spot resistance to the micro-contact path.
    """

    microcontact: str
    asperity_radius: float
    asperity_spacing: float
    work_of_adhesion: float
    hardness: float
    E_star: float
    g_open: float
    registry_length: float
    constriction: bool

    def __post_init__(self):
        if self.microcontact not in MICROCONTACT_LAWS:
            raise ValueError(
                f"interface.microcontact: got {self.microcontact!r}, allowed "
                + ", ".join(MICROCONTACT_LAWS)
            )
        for k in ("asperity_radius", "asperity_spacing", "hardness", "E_star", "g_open"):
            if not getattr(self, k) > 0:
                raise ValueError(f"interface.{k} must be > 0, got {getattr(self, k)}")
        if self.registry_length < 0 or self.work_of_adhesion < 0:
            raise ValueError("interface.registry_length and work_of_adhesion must be >= 0")


def smooth_min1(x, eps=1e-5):
    """min(1, max(x, 0)) with a rounded corner at 1 (C¹, within eps/2 of it) for Newton;
    exact to O(eps²) for small x."""
    x = ufl.max_value(x, 0.0)
    return ufl.max_value(0.5 * (1 + x - ufl.sqrt((1 - x) ** 2 + eps**2)), 0.0)


def gap_switch(g_n, g_open: float):
    """s(g_n): 1 for g_n ≤ 0, 0 for g_n ≥ g_open, cubic smoothstep in between (C¹)."""
    s = ufl.max_value(ufl.min_value(g_n / g_open, 1.0), 0.0)
    return 1 - s * s * (3 - 2 * s)


def spot_radius_and_fraction(law: ContactLaw, p):
    """(a, φ): micro-contact spot radius (m) and real contact fraction for the contact
    pressure ``p`` (Pa, UFL; negative values count as 0). See the module docstring."""
    p = ufl.max_value(p, 0.0)
    if law.microcontact == "plastic":
        return law.asperity_radius, smooth_min1(p / law.hardness)
    ell = law.asperity_spacing
    R, Es = law.asperity_radius, law.E_star
    P_a = p * ell**2  # load per asperity (N)
    if law.microcontact == "hertz":
        a = (3 * P_a * R / (4 * Es) + 1e-60) ** (1 / 3)
    else:  # JKR: P = A z² − B z with z = a^{3/2}; the root with a ≥ the zero-load radius
        A = 4 * Es / (3 * R)
        B = math.sqrt(8 * math.pi * law.work_of_adhesion * Es)
        z = (B + ufl.sqrt(B**2 + 4 * A * P_a)) / (2 * A)
        a = z ** (2 / 3)
    return a, smooth_min1(math.pi * a**2 / ell**2)


def flux_tube_factor(eps):
    """Gibson's ψ(ε) for an equipotential spot on a flux tube, ε = a/b (UFL), continued as
    ψ(0.8)((1 − ε)/0.2)^1.5 beyond ε = 0.8 (as solver.reduced.constriction). The callers pass
    ε = sqrt(φ + 1e-8) (a finite derivative at φ = 0; ψ moves by < 1.5e-4)."""
    e = ufl.min_value(ufl.max_value(eps, 0.0), 1.0)
    series = sum(c * e**k for k, c in enumerate(GIBSON_PSI) if c)
    psi08 = sum(c * GIBSON_EPS_MAX**k for k, c in enumerate(GIBSON_PSI))
    tail = psi08 * ((1.0 - e) / (1.0 - GIBSON_EPS_MAX)) ** 1.5
    return ufl.conditional(ufl.le(e, GIBSON_EPS_MAX), series, tail)


@dataclass
class IonPath:
    """UFL weights of the two conduction paths of Γ_int (see the module docstring).

    w_bonded: intimate-contact fraction (bonded ligaments and mated decohered surfaces);
    w_contact: micro-contact fraction of the decohered, closed, unregistered part;
    spot_radius: a of those micro-contacts (m); decohesion D, switch s(g_n), registry ρ and the
    micro-contact fraction φ(p) are kept for outputs.
    """

    w_bonded: object
    w_contact: object
    spot_radius: object
    decohesion: object
    switch: object
    registry: object
    phi: object

    @property
    def active(self):
        """Active fraction f = w_b + w_c ∈ [0, 1] of Γ_int."""
        return self.w_bonded + self.w_contact

    def spot_resistance(self, conductivities) -> object:
        """r_spot = ψ(√φ) πa/4 Σ 1/κ_i (Ω m² per unit spot area) for the conductivities on the
        two sides (S/m, UFL or floats)."""
        psi = flux_tube_factor(ufl.sqrt(self.phi + 1e-8))
        return psi * math.pi * self.spot_radius / 4.0 * sum(1.0 / k for k in conductivities)

    def spot_conductance(self, k1, k2) -> object:
        """h_spot = 2 k_s/(π a ψ(√φ)), k_s = 2k₁k₂/(k₁ + k₂) (W/m²K per unit spot area)."""
        ks = 2.0 * k1 * k2 / (k1 + k2)
        psi = flux_tube_factor(ufl.sqrt(self.phi + 1e-8))
        return 2.0 * ks / (math.pi * self.spot_radius * psi)


def ion_path(law: ContactLaw, state) -> IonPath:
    """The conduction paths for an interface state (:class:`cohesive.InterfaceState`, restricted
    to the electrode side)."""
    D = state.decohesion
    s = gap_switch(state.g_n, law.g_open)
    if law.registry_length > 0:
        rho = ufl.exp(-state.separation_max / law.registry_length)
    else:
        rho = 0.0
    p = -state.t_n
    if law.microcontact == "none":
        a, phi = law.asperity_radius, 1.0
        rho = 1.0  # a decohered, closed interface conducts like a bonded one
    else:
        a, phi = spot_radius_and_fraction(law, p)
    w_b = (1 - D) + D * s * rho
    w_c = D * s * (1 - rho) * phi
    return IonPath(w_b, w_c, a, D, s, rho, phi)


def no_contact_mechanics() -> IonPath:
    """Without mechanics the interface is bonded everywhere."""
    return IonPath(1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0)
