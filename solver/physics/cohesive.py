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
* A fully damaged interface keeps a small residual stiffness K_res on the displacement jump,
  d K_res [[u]] (set from the bulk: by default 1e-6 E_min / L with L the stack height, i.e. a
  traction of ~E_min 1e-6 |[[u]]|/L), which keeps the Jacobian regular when a body floats on an
  open gap and is negligible otherwise; an initial gap or a stripped thickness, which are not
  displacement jumps, carry no residual traction.
* Optional viscous regularisation (Duvaut–Lions type, as in commercial CZM elements): the
  damage relaxes towards the rate-independent value over the time η_v,
  d = (d_old + (Δt/η_v) d_inv)/(1 + Δt/η_v). For steps Δt ≫ η_v it is the rate-independent
  law; when a softening step is cut back it stabilises the Newton iteration. The energy it
  dissipates is ∫ f dd with f = −∂Ψ_Γ/∂d = Y − ½K_res(⟨g_n⟩₊² + |g_t|²) (``damage_force``),
  not Φ(δ): the damage lags the separation, and the energy released when it catches up (at a
  held opening, say) is dissipated too (:meth:`solver.physics.mechanics.Mechanics.accept`).
* Dissipation: the energy dissipated per unit area up to the largest effective separation δ
  (at the current mixity) is Φ = G_c (min(δ, δ_f) − δ₀)/(δ_f − δ₀) (bilinear) or
  ½Kδ₀² + Kδ₀δ_c(1 − e) − ½Kδ₀δ e, e = exp(−(δ − δ₀)/δ_c) (exponential), 0 below onset; the
  model keeps Φ_max at the interface points as history.
* Decohesion (the loss of bonding that gates the ion path, :mod:`solver.physics.contact`):
  D = max(D_old, Φ/G_c(B)) ∈ [0, 1], the dissipated fraction. In the stiff limit δ₀ → 0 it is
  (δ − δ₀)/(δ_f − δ₀) → δ/δ_f for the bilinear law, with δ_f = 2G_c/σ_eff a physical length:
  D does not move with the penalty, unlike the secant damage d = 1 − δ₀/δ (δ ≪ δ_f). The
  viscous regularisation acts on d (the stiffness) only, never on D.
* Separation history m = max(m_old, |[[u]]|) (opening ⟨g_n⟩₊ and slip |g_t|, unweighted, with
  the initial gap and the stripped Li thickness in g_n; |·| rounded at 0 over 1e-3 δ_f,
  δ_f = 2G_Ic/σ_c): the offset that destroys the registry of the two surfaces (contact.py).
* Smoothing: the Macaulay brackets are rounded over a traction width of 1e-3 σ_c (a length
  1e-3 σ_c/K_c in g_n): the tractions move by at most ~1e-3 σ_c whatever the penalty.
* Optional regularised Coulomb friction on the decohered part of the contact:
  t_t += D μ p g_t / sqrt(|g_t|² + ε_t²), p = −K_c ⟨g_n⟩₋ (frictionless by default).
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
    K_res: float = 0.0  # Pa/m, residual stiffness of a fully damaged interface (see below)
    viscosity: float = 0.0  # s, viscous regularisation time of the damage (0: rate-independent)

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


def _pos(x, eps):
    """Smoothed ⟨x⟩₊ = ½(x + sqrt(x² + ε²)) (C¹; _pos + _neg = x exactly). Exact Macaulay
    brackets make the normal stiffness jump at g_n = 0 between the cohesive K_n(1 − d) and the
    penalty K_c, and Newton then chatters on the many closed, damaged points sitting at
    g_n ≈ 0. With ε = 1e-3 σ_c/K_c the tractions change by O(ε²/g²) away from g_n = 0, and an
    open gap g carries a compressive traction of at most K_c ε²/(4g) (~1e-7 σ_c at g = δ₀)."""
    return 0.5 * (x + ufl.sqrt(x * x + eps * eps))


def _neg(x, eps):
    return 0.5 * (x - ufl.sqrt(x * x + eps * eps))


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
    dissipation: object  # Φ(δ, B): energy dissipated per unit area up to separation δ
    decohesion: object  # trial decohesion D = max(D_old, Φ/G_c(B)) ∈ [0, 1]
    separation_max: object  # trial history max of |[[u]]| (m)
    damage_force: object  # −∂Ψ_Γ/∂d = Y − ½K_res(⟨g_n⟩₊² + |g_t|²): energy released per unit d


def evaluate(
    law: CohesiveLaw, jump, n, d_old, gap0=None, dt=None, D_old=0.0, m_old=0.0, compliance=None
) -> InterfaceState:
    """Interface kinematics, damage and traction for the separation ``jump`` (UFL vector on Γ),
    unit normal ``n`` (Ω_s → Ω_e), stored damage ``d_old`` and an optional initial normal gap
    ``gap0`` (added to g_n: an initial geometric gap, or the stripped thickness s of Li metal);
    ``D_old``/``m_old``: stored decohesion and separation history; ``compliance`` (m/Pa, UFL,
    optional): a normal compliance in series with the contact penalty, the compression then
    carried by K_c' = 1/(1/K_c + compliance) (an interphase layer h/E', docs/theory.md §7.2)."""
    g_n = ufl.dot(jump, n)
    g_t = jump - g_n * n
    if gap0 is not None:
        g_n = g_n + gap0
    gt2 = ufl.dot(g_t, g_t)
    eps = 1e-3 * law.sigma_c / law.K_c
    gnp = _pos(g_n, eps)
    gnn = _neg(g_n, eps)
    d0n = law.delta0_n
    tiny = (1e-6 * d0n) ** 2
    delta2 = gnp**2 + (law.K_t / law.K_n) * gt2
    delta = ufl.sqrt(delta2 + tiny)
    B = (law.K_t / law.K_n) * gt2 / (delta2 + tiny)
    Beta = (B + 1e-14) ** law.eta
    d0 = ufl.sqrt(d0n**2 + (law.delta0_t**2 - d0n**2) * Beta)
    Gc = law.G_Ic + (law.G_IIc - law.G_Ic) * Beta
    df = 2.0 * Gc / (law.K_n * d0)
    dc = 0.5 * (df - d0)
    if law.law == "bilinear":
        d_raw = df * (delta - d0) / (delta * (df - d0))
    else:
        d_raw = 1.0 - (d0 / delta) * ufl.exp(-(delta - d0) / dc)
    d_load = ufl.conditional(ufl.gt(delta, d0), ufl.min_value(d_raw, 1.0), 0.0)
    if law.viscosity > 0 and dt is not None:
        w = dt / law.viscosity
        d_load = (d_old + w * d_load) / (1 + w)
    d = ufl.max_value(d_old, d_load)
    # a fully debonded interface keeps the residual stiffness K_res (a regular Jacobian when a
    # body floats on an open gap under a traction-loaded stack; negligible traction otherwise)
    t_coh = (1 - d) * (law.K_n * gnp * n + law.K_t * g_t)
    if law.K_res > 0:  # on the displacement jump alone: an initial gap or a stripped
        t_coh = t_coh + d * law.K_res * jump  # thickness carries no residual traction
    K_c = law.K_c if compliance is None else 1.0 / (1.0 / law.K_c + compliance)
    t_con = K_c * gnn * n
    t = t_coh + t_con
    Y = 0.5 * (law.K_n * gnp**2 + law.K_t * gt2)
    stored = (1 - d) * Y + 0.5 * K_c * gnn**2
    damage_force = Y
    if law.K_res > 0:
        stored = stored + d * 0.5 * law.K_res * ufl.dot(jump, jump)
        damage_force = Y - 0.5 * law.K_res * ufl.dot(jump, jump)
    if law.law == "bilinear":
        phi = Gc * (ufl.min_value(delta, df) - d0) / (df - d0)
    else:
        e = ufl.exp(-(delta - d0) / dc)
        phi = 0.5 * law.K_n * d0**2 + law.K_n * d0 * dc * (1 - e) - 0.5 * law.K_n * d0 * delta * e
    phi = ufl.conditional(ufl.gt(delta, d0), phi, 0.0)
    D = ufl.max_value(D_old, ufl.min_value(phi / Gc, 1.0))
    if law.friction > 0:  # on the decohered part of the contact (D, not the numerical d)
        p = -K_c * gnn
        t = t + D * law.friction * p * g_t / ufl.sqrt(gt2 + law.slip_reg**2)
    t_n = ufl.dot(t, n)
    t_t = t - t_n * n
    # |[[u]]| rounded at 0 over ℓ_s = 1e-3 δ_f (mode I; a physical length): |g| − ℓ_s for
    # |g| ≫ ℓ_s, |g|²/2ℓ_s near 0, so the tiny elastic jumps of a bonded interface do not make
    # the registry (and the current) kink with their sign
    ell_s = 1e-3 * 2.0 * law.G_Ic / law.sigma_c
    m = ufl.max_value(m_old, ufl.sqrt(gnp**2 + gt2 + ell_s**2) - ell_s)
    return InterfaceState(
        jump, g_n, g_t, delta, B, d, t, t_n, t_t, Y, stored, phi, D, m, damage_force
    )


# ------------------------------------------------------------------ viscous dissipation (numpy)
def damage_inviscid(law: CohesiveLaw, delta, B):
    """Rate-independent damage d_inv(δ, B) at points (numpy mirror of :func:`evaluate`).

    ``delta``, ``B``: arrays of the effective separation (m) and mixity (-), same shape."""
    import numpy as np

    delta = np.asarray(delta, dtype=float)
    Beta = (np.asarray(B, dtype=float) + 1e-14) ** law.eta
    d0n = law.delta0_n
    d0 = np.sqrt(d0n**2 + (law.delta0_t**2 - d0n**2) * Beta)
    Gc = law.G_Ic + (law.G_IIc - law.G_Ic) * Beta
    df = 2.0 * Gc / (law.K_n * d0)
    safe = np.maximum(delta, 1e-300)
    if law.law == "bilinear":
        raw = df * (safe - d0) / (safe * (df - d0))
    else:
        raw = 1.0 - (d0 / safe) * np.exp(-(safe - d0) / (0.5 * (df - d0)))
    return np.where(delta > d0, np.minimum(raw, 1.0), 0.0), d0, df


def separation_at_damage(law: CohesiveLaw, d, B):
    """δ_d(d, B): the separation (m) at which the rate-independent damage d_inv(δ_d, B) of the law
    equals the secant damage ``d`` at the mixity ``B`` (numpy arrays, same shape; bilinear:
    δ_d = δ_f δ₀/(δ_f − d (δ_f − δ₀)), δ₀ at d = 0 and δ_f at d = 1; exponential: by bisection).
    Returns ``(delta_d, delta0, delta_f, G_c)``, arrays (m, m, m, J/m²)."""
    import numpy as np

    d = np.clip(np.asarray(d, dtype=float), 0.0, 1.0)
    Beta = (np.asarray(B, dtype=float) + 1e-14) ** law.eta
    d0n = law.delta0_n
    d0 = np.sqrt(d0n**2 + (law.delta0_t**2 - d0n**2) * Beta)
    Gc = law.G_Ic + (law.G_IIc - law.G_Ic) * Beta
    df = 2.0 * Gc / (law.K_n * d0)
    if law.law == "bilinear":
        return df * d0 / (df - d * (df - d0)), d0, df, Gc
    dc = 0.5 * (df - d0)
    lo, hi = d0.copy(), d0 + 60.0 * dc
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        below = 1.0 - (d0 / mid) * np.exp(-(mid - d0) / dc) < d
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi), d0, df, Gc


def dissipation_at_damage(law: CohesiveLaw, d, B):
    """Φ_d(d, B): the energy per unit area (J/m²) the rate-independent law dissipates to reach
    the secant damage ``d`` at the mixity ``B`` (numpy arrays, same shape): Φ(δ_d) of the law at
    the separation δ_d of :func:`separation_at_damage`. A viscous damage d lags its separation
    (δ ≥ δ_d), so ∫ f dd ≥ Φ_d(d): the difference is the viscous dissipation (docs/theory.md
    (10.1b))."""
    import numpy as np

    d = np.clip(np.asarray(d, dtype=float), 0.0, 1.0)
    delta, d0, df, Gc = separation_at_damage(law, d, B)
    K = law.K_n
    if law.law == "bilinear":
        phi = Gc * (np.minimum(delta, df) - d0) / (df - d0)
    else:
        dc = 0.5 * (df - d0)
        e = np.exp(-(delta - d0) / dc)
        phi = 0.5 * K * d0**2 + K * d0 * dc * (1 - e) - 0.5 * K * d0 * delta * e
    return np.where(d > 0.0, phi, 0.0)
