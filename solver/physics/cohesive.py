"""Interface law on Γ_int: unilateral contact + mixed-mode cohesive zone (UFL).

Separation [[u]] = u_e − u_s ("+" = electrode side), n the unit normal from Ω_s into Ω_e,
g_n = [[u]]·n, g_t = [[u]] − g_n n. Traction on the electrode side (energy-conjugate to [[u]]):

    t = (1 − d) (K_n ⟨g_n⟩₊ n + K_t g_t) + K_c ⟨g_n⟩₋ n  [+ friction]

* Compression (g_n < 0) is carried by the penalty K_c whatever the damage: no interpenetration
  beyond |g_n| ≤ p / K_c (the penalty's stated bound).
* Effective separation δ_m = sqrt(⟨g_n⟩₊² + (K_t/K_n) |g_t|²) (equal elastic energy ½K_n δ_m²),
  mode mixity B = G_II/(G_I + G_II) = (K_t |g_t|²)/(K_n δ_m²).
* Onset (Benzeggagh–Kenane form of Camanho & Dávila 2002): δ₀² = δ₀ₙ² + (δ₀ₜ² − δ₀ₙ²) B^η with
  δ₀ₙ = σ_c/K_n, δ₀ₜ = τ_c/sqrt(K_n K_t); toughness G_c(B) = G_Ic + (G_IIc − G_Ic) B^η.
* Bilinear softening: final separation δ_f = 2 G_c/(K_n δ₀), d = δ_f (δ − δ₀)/(δ (δ_f − δ₀)).
  Exponential: d = 1 − (δ₀/δ) exp(−(δ − δ₀)/δ_c), δ_c = (δ_f − δ₀)/2 (same G_c).
  Either way the energy dissipated to full separation under proportional loading is G_c(B).
* Irreversibility: d = max(d_old, d(δ_m, B)), d_old held at the interface quadrature points
  and updated only on accepted steps (secant unloading, no healing).
* A fully damaged interface keeps a residual stiffness fraction r = 1e-9 (a regular Jacobian
  when a body floats on an open gap).
* Optional regularised Coulomb friction on damaged contact: t_t += d μ p g_t / sqrt(|g_t|² + ε_t²),
  p = −K_c ⟨g_n⟩₋ (frictionless by default).
"""

from __future__ import annotations

from dataclasses import dataclass

import ufl


@dataclass(frozen=True)
class CohesiveLaw:
    K_n: float  # Pa/m
    K_t: float  # Pa/m
    K_c: float  # Pa/m, compression penalty
    sigma_c: float  # Pa
    tau_c: float  # Pa
    G_Ic: float  # J/m^2
    G_IIc: float  # J/m^2
    eta: float = 2.0
    law: str = "bilinear"  # or "exponential"
    friction: float = 0.0
    slip_reg: float = 1e-9  # m, friction regularisation ε_t
    residual: float = 1e-9  # residual stiffness fraction of a fully damaged interface

    def __post_init__(self):
        for k in ("K_n", "K_t", "K_c", "sigma_c", "tau_c", "G_Ic", "G_IIc", "eta"):
            v = getattr(self, k)
            if not v > 0:
                raise ValueError(f"interface.{k} must be > 0, got {v}")
        if self.law not in ("bilinear", "exponential"):
            raise ValueError(f"interface.law must be 'bilinear' or 'exponential', got {self.law}")
        for k, s in (("G_Ic", self.sigma_c), ("G_IIc", self.tau_c)):
            elastic = 0.5 * s**2 / (self.K_n if k == "G_Ic" else self.K_t)
            if getattr(self, k) <= elastic:
                raise ValueError(
                    f"interface.{k} = {getattr(self, k):g} J/m^2 must exceed the elastic energy at "
                    f"onset {elastic:g} J/m^2 (raise {k} or the stiffness)"
                )

    @property
    def delta0_n(self) -> float:
        return self.sigma_c / self.K_n

    @property
    def delta0_t(self) -> float:
        return self.tau_c / (self.K_n * self.K_t) ** 0.5


def _pos(x):
    return ufl.conditional(ufl.ge(x, 0), x, 0)


def _neg(x):
    return ufl.conditional(ufl.lt(x, 0), x, 0)


@dataclass
class InterfaceState:
    """UFL expressions of the interface kinematics and traction for given fields."""

    jump: object
    g_n: object
    g_t: object
    delta: object
    mixity: object
    damage: object  # trial damage max(d_old, d(δ, B)), in [0, 1]
    traction: object  # vector on the electrode side
    t_n: object
    t_t: object
    energy_release: object  # Y = ½(K_n⟨g_n⟩₊² + K_t|g_t|²) (drives damage)
    stored: object  # recoverable interface energy density


def evaluate(law: CohesiveLaw, jump, n, d_old, gap0=None) -> InterfaceState:
    """Interface kinematics, damage and traction for the separation ``jump`` (UFL vector on Γ),
    unit normal ``n`` (Ω_s → Ω_e), stored damage ``d_old`` and an optional initial normal gap
    ``gap0`` (added to g_n: an initial geometric gap, or the stripped thickness s of Li metal)."""
    g_n = ufl.dot(jump, n)
    g_t = jump - g_n * n
    if gap0 is not None:
        g_n = g_n + gap0
    gt2 = ufl.dot(g_t, g_t)
    gnp = _pos(g_n)
    d0n = law.delta0_n
    tiny = (1e-6 * d0n) ** 2
    delta2 = gnp**2 + (law.K_t / law.K_n) * gt2
    delta = ufl.sqrt(delta2 + tiny)
    B = (law.K_t / law.K_n) * gt2 / (delta2 + tiny)
    Beta = (B + 1e-14) ** law.eta
    d0 = ufl.sqrt(d0n**2 + (law.delta0_t**2 - d0n**2) * Beta)
    Gc = law.G_Ic + (law.G_IIc - law.G_Ic) * Beta
    df = 2.0 * Gc / (law.K_n * d0)
    if law.law == "bilinear":
        d_raw = df * (delta - d0) / (delta * (df - d0))
    else:
        dc = 0.5 * (df - d0)
        d_raw = 1.0 - (d0 / delta) * ufl.exp(-(delta - d0) / dc)
    d_load = ufl.conditional(ufl.gt(delta, d0), ufl.min_value(d_raw, 1.0), 0.0)
    d = ufl.max_value(d_old, d_load)
    # a fully debonded interface keeps a residual stiffness r·K (r = 1e-9): it keeps the
    # Jacobian regular when a body floats on an open gap (traction-loaded stack) and carries a
    # negligible traction (r K g ~ 0.1 kPa at g = 10 nm for K = 1e19 Pa/m)
    keep = (1 - d) + d * law.residual
    t_coh = keep * (law.K_n * gnp * n + law.K_t * g_t)
    t_con = law.K_c * _neg(g_n) * n
    t = t_coh + t_con
    if law.friction > 0:
        p = -law.K_c * _neg(g_n)
        t = t + d * law.friction * p * g_t / ufl.sqrt(gt2 + law.slip_reg**2)
    t_n = ufl.dot(t, n)
    t_t = t - t_n * n
    Y = 0.5 * (law.K_n * gnp**2 + law.K_t * gt2)
    stored = keep * Y + 0.5 * law.K_c * _neg(g_n) ** 2
    return InterfaceState(jump, g_n, g_t, delta, B, d, t, t_n, t_t, Y, stored)
