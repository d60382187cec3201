r"""Contact-scale thermo-mechanical runaway: a lumped ODE model for T(t) and a(t).

Physics (docs/theory.md §6 and §8): current through a contact spot of radius a meets the
constriction resistance R_con = 1/(4κa); its Joule heat warms the spot; heat softens the
interfacial material (Arrhenius), which lets the contact shrink faster; a smaller spot has a
larger R_con and heats more. The minimal model kept here:

    C_th dT/dt = I² R(a, T) − G_th (T − T0)                                    (heat)
    da/dt      = (a0 − a)/τ_r − (a/τ_s) [A(T) − 1]                            (contact radius)
    R(a, T) = 1/(4 κ(T) a) + Σ_i R_i(T)                                        (resistance)
    κ(T) = κ0 exp[−(E_κ/R)(1/T − 1/T0)],    A(T) = exp[−(E_s/R)(1/T − 1/T0)],
    R_i(T) = R_i0 exp[+(E_i/R)(1/T − 1/T0)]

- I [A]: current through the spot; κ0 [S/m] conductivity at T0 [K] with activation E_κ [J/mol];
  C_th [J/K] heat capacity of the spot region; G_th [W/K] its conductance to the heat sink at T0.
- R_i0 [Ω], E_i [J/mol] (``series``, optional): resistances in series with the spot that do not
  depend on the contact radius (a bulk path whose conductivity follows Arrhenius with E_i, so
  R_i falls as T rises); none by default.
- a0 [m]: contact radius in equilibrium at T0 (e.g. set by the stack pressure, φ = P/H).
  Restoring term: the stack pressure re-closes the contact toward a0 on the time τ_r [s].
  Shrinking term: thermally activated loss of contact (softened interphase creeping away, void
  growth) with rate (A(T) − 1)/τ_s, zero at T0 and growing with the softening activation E_s.
Initial state (T0, a0). Terminal events: T ≥ T_limit ("runaway") and a ≤ a_min ("contact_loss");
reaching t_end without either is "bounded".

Fixed points. Setting da/dt = 0 gives a*(T) = a0 / (1 + s (A(T) − 1)), s = τ_r/τ_s; setting
dT/dt = 0 then gives I² = Φ(T) with
    Φ(T) = G_th (T − T0) / R(a*(T), T)     (= 4 G_th (T − T0) κ(T) a*(T) without series terms).
Both off-diagonal Jacobian entries are negative (∂Ṫ/∂a < 0, ∂ȧ/∂T < 0), so in the variables
(T, −a) the system is cooperative (monotone). The initial state is a sub-solution (Ṫ > 0, ȧ = 0),
hence T(t) rises and a(t) falls monotonically towards the *lowest* fixed point, if any. The
trajectory therefore stays bounded exactly when a fixed point exists below
T_cap = min(T_limit, T_amin), T_amin being where a*(T_amin) = a_min, i.e.
    I_c = √( max_{T0 ≤ T ≤ T_cap} Φ(T) ).
When the maximum is interior it is the saddle-node (Semenov-type) fold where the stable and the
unstable steady states merge; otherwise the bound is the threshold itself. I_c ∝ √G_th: a better
heat sink raises the critical current. :func:`critical_current` evaluates this formula
("analytic") or bisects on the outcome of :func:`simulate` ("bisection"); tests check they agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._common import GAS_CONSTANT, check, check_choice, out

OUTCOMES = ("bounded", "runaway", "contact_loss")


@dataclass(frozen=True)
class RunawayParams:
    """Parameters of the spot model (SI units; see the module docstring)."""

    kappa0: float  # S/m, ionic conductivity at T0
    a0: float  # m, equilibrium contact radius at T0
    G_th: float  # W/K, thermal conductance spot -> heat sink
    C_th: float  # J/K, heat capacity of the spot region
    T0: float = 298.15  # K, heat-sink / initial temperature
    Ea_kappa: float = 0.0  # J/mol, activation energy of kappa
    Ea_soft: float = 30e3  # J/mol, activation energy of contact softening
    tau_recover: float = 1.0  # s, pressure-driven recovery time of the contact
    tau_shrink: float = 10.0  # s, shrink time scale (rate (A(T)-1)/tau_shrink)
    T_limit: float = 453.65  # K, runaway threshold (default: melting point of Li)
    a_min_fraction: float = 0.1  # contact loss when a <= a_min_fraction * a0
    # resistances in series with the spot, independent of a: ((R_i0 [Ω] at T0, E_i [J/mol]), ...)
    series: tuple[tuple[float, float], ...] = ()

    def __post_init__(self):
        for name in ("kappa0", "a0", "G_th", "C_th", "T0", "tau_recover", "tau_shrink"):
            float(check(name, getattr(self, name), gt=0))
        for name in ("Ea_kappa", "Ea_soft"):
            float(check(name, getattr(self, name), ge=0))
        check("a_min_fraction", self.a_min_fraction, gt=0, lt=1)
        check("T_limit", self.T_limit, gt=self.T0)
        try:
            pairs = [(float(R), float(E)) for R, E in self.series]
        except (TypeError, ValueError):
            raise ValueError(
                f"series must be a sequence of (R0, Ea) pairs, got {self.series!r}"
            ) from None
        for R, E in pairs:
            check("series R0", R, ge=0)
            check("series Ea", E, ge=0)
        object.__setattr__(self, "series", tuple(pairs))

    @property
    def a_min(self) -> float:
        return self.a_min_fraction * self.a0

    @property
    def s(self) -> float:
        """Shrink/recover ratio τ_r/τ_s [-]."""
        return self.tau_recover / self.tau_shrink


@dataclass
class RunawayResult:
    """Trajectory of :func:`simulate`: times t [s], temperature T [K], radius a [m]."""

    t: np.ndarray
    T: np.ndarray
    a: np.ndarray
    outcome: str  # "bounded" | "runaway" | "contact_loss"
    t_event: float | None  # time of the terminal event [s], None when bounded
    I: float = field(default=0.0)  # current [A]

    @property
    def T_final(self) -> float:
        return float(self.T[-1])

    @property
    def a_final(self) -> float:
        return float(self.a[-1])


def spot_thermal_conductance(a, k1, k2):
    """Conductance [W/K] of a spot of radius a [m] into two half-spaces, k1, k2 [W/(m K)].

    Thermal Holm constriction on each side in series: 1/G = 1/(4 k1 a) + 1/(4 k2 a).
    """
    a = check("a", a, gt=0)
    k1 = check("k1", k1, gt=0)
    k2 = check("k2", k2, gt=0)
    return out(4.0 * a / (1.0 / k1 + 1.0 / k2))


def spot_heat_capacity(a, rho_cp):
    """Heat capacity [J/K] = ρc_p·(4/3)πa³ of the two hemispheres of radius a [m] at a spot.

    rho_cp: volumetric heat capacity [J/(m³ K)].
    """
    a = check("a", a, gt=0)
    rho_cp = check("rho_cp", rho_cp, gt=0)
    return out(rho_cp * 4.0 / 3.0 * np.pi * a**3)


def _kappa(T, p: RunawayParams):
    return p.kappa0 * np.exp(-(p.Ea_kappa / GAS_CONSTANT) * (1.0 / T - 1.0 / p.T0))


def _soft(T, p: RunawayParams):
    return np.exp(-(p.Ea_soft / GAS_CONSTANT) * (1.0 / T - 1.0 / p.T0))


def _series(T, p: RunawayParams):
    """Σ R_i(T) [Ω] of the series resistances (0 without any)."""
    total = 0.0 * np.asarray(T, dtype=float)
    for R0, E in p.series:
        total = total + R0 * np.exp((E / GAS_CONSTANT) * (1.0 / T - 1.0 / p.T0))
    return total


def resistance(a, T, params: RunawayParams):
    """Resistance R(a, T) [Ω] = 1/(4κ(T)a) + Σ R_i(T) heated by the current (module docstring)."""
    a = check("a", a, gt=0)
    T = check("T", T, gt=0)
    return out(1.0 / (4.0 * _kappa(T, params) * a) + _series(T, params))


def equilibrium_radius(T, params: RunawayParams):
    """Steady contact radius a*(T) [m] = a0/(1 + s(A(T) − 1)) at temperature T [K]."""
    T = check("T", T, gt=0)
    return out(params.a0 / (1.0 + params.s * (_soft(T, params) - 1.0)))


def equilibrium_current(T, params: RunawayParams):
    """Current [A] whose steady state sits at temperature T ≥ T0 [K]: √Φ(T) (module docstring)."""
    T = check("T", T, ge=params.T0)
    a = np.asarray(equilibrium_radius(T, params))
    R = 1.0 / (4.0 * _kappa(T, params) * a) + _series(T, params)
    return out(np.sqrt(params.G_th * (T - params.T0) / R))


def _T_cap(p: RunawayParams) -> float:
    """min(T_limit, T_amin) with a*(T_amin) = a_min."""
    if p.Ea_soft == 0.0:
        return p.T_limit
    A = 1.0 + (1.0 / p.a_min_fraction - 1.0) / p.s
    inv = 1.0 / p.T0 - GAS_CONSTANT * math.log(A) / p.Ea_soft
    return p.T_limit if inv <= 0 else min(p.T_limit, 1.0 / inv)


def _phi(T, p):
    return np.asarray(equilibrium_current(T, p)) ** 2


def _critical_analytic(p: RunawayParams) -> tuple[float, float]:
    """(I_c, T at the maximum of Φ on [T0, T_cap])."""
    T_cap = _T_cap(p)
    T = np.linspace(p.T0, T_cap, 4097)
    phi = _phi(T, p)
    k = int(np.argmax(phi))
    if k == T.size - 1:
        return math.sqrt(float(phi[k])), float(T[k])
    lo, hi = float(T[max(k - 1, 0)]), float(T[k + 1])
    g = (math.sqrt(5.0) - 1.0) / 2.0  # golden-section refinement of the interior maximum
    x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
    f1, f2 = float(_phi(x1, p)), float(_phi(x2, p))
    for _ in range(60):
        if f1 > f2:
            hi, x2, f2 = x2, x1, f1
            x1 = hi - g * (hi - lo)
            f1 = float(_phi(x1, p))
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + g * (hi - lo)
            f2 = float(_phi(x2, p))
    Tm = 0.5 * (lo + hi)
    return math.sqrt(max(float(_phi(Tm, p)), float(phi[k]))), Tm


def steady_state(I: float, params: RunawayParams) -> tuple[float, float] | None:
    """Lowest steady state (T [K], a [m]) reached from (T0, a0) at current I [A].

    None when there is none below T_cap (the trajectory then runs away or loses contact).
    """
    I2 = float(check("I", I)) ** 2
    if I2 == 0.0:
        return params.T0, params.a0
    T_cap = _T_cap(params)
    T = np.linspace(params.T0, T_cap, 4097)
    phi = _phi(T, params)
    idx = np.flatnonzero(phi >= I2)
    if idx.size == 0:
        return None
    hi = float(T[idx[0]])
    lo = float(T[idx[0] - 1])
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if float(_phi(mid, params)) >= I2:
            hi = mid
        else:
            lo = mid
    Ts = 0.5 * (lo + hi)
    return Ts, float(equilibrium_radius(Ts, params))


def spot_ode(I: float, params: RunawayParams):
    """The spot model as ``(rhs, jac)`` in the scaled variables y = (T/T0, a/a0).

    ``rhs(t, y)`` returns dy/dt (list of 2), ``jac(t, y)`` the analytic 2×2 Jacobian
    d(dy/dt)/dy that :func:`simulate` hands to the stiff integrator.
    """
    p = params
    I2 = float(I) ** 2
    T0, a0 = p.T0, p.a0
    bk, bs = p.Ea_kappa / GAS_CONSTANT, p.Ea_soft / GAS_CONSTANT

    series = [(R0, E / GAS_CONSTANT) for R0, E in p.series]

    def rs(T):  # Σ R_i(T) and its derivative dΣR_i/dT
        vals = [R0 * math.exp(b * (1.0 / T - 1.0 / T0)) for R0, b in series]
        return sum(vals), sum(-v * b / T**2 for v, (_, b) in zip(vals, series))

    def rhs(t, y):
        T, a = y[0] * T0, y[1] * a0
        kap = p.kappa0 * math.exp(-bk * (1.0 / T - 1.0 / T0))
        A = math.exp(-bs * (1.0 / T - 1.0 / T0))
        dT = (I2 * (1.0 / (4.0 * kap * a) + rs(T)[0]) - p.G_th * (T - T0)) / p.C_th
        da = (a0 - a) / p.tau_recover - a * (A - 1.0) / p.tau_shrink
        return [dT / T0, da / a0]

    def jac(t, y):
        T, a = y[0] * T0, y[1] * a0
        kap = p.kappa0 * math.exp(-bk * (1.0 / T - 1.0 / T0))
        A = math.exp(-bs * (1.0 / T - 1.0 / T0))
        q = I2 / (4.0 * kap * a)
        dTdT = (-q * bk / T**2 + I2 * rs(T)[1] - p.G_th) / p.C_th
        dTda = -q / a / p.C_th
        dadT = -a * A * bs / T**2 / p.tau_shrink
        dada = -1.0 / p.tau_recover - (A - 1.0) / p.tau_shrink
        return [[dTdT, dTda * a0 / T0], [dadT * T0 / a0, dada]]

    return rhs, jac


def simulate(
    I: float,
    params: RunawayParams,
    t_end: float | None = None,
    rtol: float = 1e-8,
    method: str = "Radau",
) -> RunawayResult:
    """Integrate the spot model at constant current I [A] from (T0, a0) up to t_end [s].

    t_end defaults to 10³·max(C_th/G_th, τ_r). Uses scipy.integrate.solve_ivp (stiff solver,
    analytic Jacobian) in the scaled variables T/T0, a/a0 with terminal events.
    """
    from scipy.integrate import solve_ivp

    I = float(check("I", I))
    check_choice("method", method, ("Radau", "BDF", "LSODA"))
    p = params
    if t_end is None:
        t_end = 1e3 * max(p.C_th / p.G_th, p.tau_recover)
    t_end = float(check("t_end", t_end, gt=0))
    rhs, jac = spot_ode(I, p)
    T0, a0 = p.T0, p.a0

    def hot(t, y):
        return y[0] * T0 - p.T_limit

    def lost(t, y):
        return y[1] * a0 - p.a_min

    hot.terminal, hot.direction = True, 1.0
    lost.terminal, lost.direction = True, -1.0
    sol = solve_ivp(
        rhs,
        (0.0, t_end),
        [1.0, 1.0],
        method=method,
        jac=jac,
        events=(hot, lost),
        rtol=rtol,
        atol=1e-12,
    )
    if sol.status < 0:
        raise RuntimeError(f"runaway ODE integration failed: {sol.message}")
    outcome, t_event = "bounded", None
    if sol.status == 1:
        if sol.t_events[0].size:
            outcome, t_event = "runaway", float(sol.t_events[0][0])
        else:
            outcome, t_event = "contact_loss", float(sol.t_events[1][0])
    return RunawayResult(
        t=sol.t, T=sol.y[0] * T0, a=sol.y[1] * a0, outcome=outcome, t_event=t_event, I=I
    )


def critical_current(
    params: RunawayParams,
    method: str = "analytic",
    rtol: float = 1e-3,
    t_end: float | None = None,
) -> float:
    """Critical spot current I_c [A]: bounded below, runaway/contact loss above.

    method="analytic": √(max Φ on [T0, T_cap]) (fold / threshold, module docstring);
    method="bisection": bisection on the outcome of :func:`simulate` to relative width rtol.
    """
    check_choice("method", method, ("analytic", "bisection"))
    rtol = float(check("rtol", rtol, gt=0, lt=1))
    if method == "analytic":
        return _critical_analytic(params)[0]
    p = params
    # Φ(T) ≤ 4 G (T_limit − T0) κ(T_limit) a0 on [T0, T_limit] (series terms only lower it):
    # above this nothing is bounded
    hi = 1.05 * math.sqrt(4.0 * p.G_th * (p.T_limit - p.T0) * float(_kappa(p.T_limit, p)) * p.a0)
    for _ in range(30):
        if simulate(hi, p, t_end=t_end).outcome != "bounded":
            break
        hi *= 2.0
    else:
        raise RuntimeError("critical_current: no runaway found (bracket search failed)")
    lo = 0.0
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        if simulate(mid, p, t_end=t_end).outcome == "bounded":
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
