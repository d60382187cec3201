"""Interphase (SEI/CEI) growth on Γ_int: the ageing state of the FE model (docs/theory.md §7.2).

Per interface quadrature point the interphase thickness h is a history variable (a DG field on
the Γ_int submesh, committed on accepted steps only). Over a step Δt at the local interface
temperature T (the heat field of the two sides, else the uniform step temperature) it grows by
the parabolic law of :mod:`solver.reduced.interphase` (the same definitions as ``ssbx screen``):

    h_new² = h_old² + 2 Ω D(T) c∞ Δt,      D(T) = D_ref exp[−(E_a/R)(1/T − 1/T_ref)]

exact for any Δt at a temperature constant over the step; under a temperature history D is the
trapezoidal mean of the step's start and end temperatures (implicit in T when the heat equation
is on; second order in Δt). The layer enters the model in two places:

* ion path: the resistance r_sei = h/κ_sei in series with the charge transfer of both
  conduction paths (:mod:`solver.physics.electrochemistry`);
* mechanics: a layer of modulus E' and thickness h in series with the contact penalty of the
  compressed interface, K_c' = 1/(1/K_c + h/E') (:func:`solver.physics.cohesive.evaluate`), so
  that under a fixed stack displacement δ the pressure is p = (δ + β(h − h0))/(h/E' + C_stack)
  per column of the stack; and the growth eigenstrain β: the product's stress-free thickness
  exceeds the consumed material's by β Δh, entered as a negative gap −β(h − h0) (β > 0 pushes
  the surfaces apart, raising the pressure of a held stack; β < 0 relieves it).

Attach point for further ageing mechanisms (a viscoelastic pad, creep): they carry their own
history fields and are committed in :meth:`solver.physics.mechanics.Mechanics.accept` next to
h; their step-size control enters :meth:`Interphase.step_limit`'s caller,
:meth:`solver.simulation.Simulation.ageing_step_limit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl

R_GAS = 8.314462618  # J/(mol K)


@dataclass(frozen=True)
class Interphase:
    """Growth and properties of the interphase (SI units; the case's [ageing] keys).

    h0 (m): initial thickness (interface.h_sei0); D_ref (m²/s) at T_ref (K); Ea (J/mol);
    Omega (m³/mol); c_inf (mol/m³); E (Pa): modulus E'; kappa (S/m): ionic conductivity;
    beta (-): growth eigenstrain; rtol (-): largest relative growth per step;
    p_min (Pa): contact-loss pressure of t*.
    """

    h0: float
    D_ref: float
    Ea: float
    Omega: float
    c_inf: float
    E: float
    kappa: float
    beta: float
    T_ref: float
    rtol: float
    p_min: float

    @property
    def h_floor(self) -> float:
        """Absolute thickness scale of the step control (m), 1 nm: from h = 0 a step may grow
        by rtol·h_floor (a layer thinner than a few lattice spacings is not a continuum)."""
        return 1e-9

    def diffusivity(self, T):
        """D(T) (UFL or numpy)."""
        if not self.Ea:
            return self.D_ref
        exp = ufl.exp if isinstance(T, ufl.core.expr.Expr) else np.exp
        return self.D_ref * exp(-self.Ea / R_GAS * (1.0 / T - 1.0 / self.T_ref))

    def rate(self, T):
        """d(h²)/dt = 2 Ω D(T) c∞ (m²/s)."""
        return 2.0 * self.Omega * self.c_inf * self.diffusivity(T)

    def thickness(self, h_old, T, dt, T_old):
        """h_new = sqrt(h_old² + 2ΩD̄c∞ Δt) (UFL: h_old, T, T_old expressions, dt a Constant),
        D̄ the trapezoidal mean ½(D(T_old) + D(T)) of the step's start and end temperatures
        (second order in Δt under a temperature history; exact at a constant temperature)."""
        return ufl.sqrt(h_old * h_old + 0.5 * (self.rate(T_old) + self.rate(T)) * dt)

    def step_limit(self, h: np.ndarray, T: np.ndarray) -> float:
        """Largest Δt (s) for which every point grows by at most rtol (h + h_floor):
        Δt = ((h + rtol (h + h_f))² − h²)/rate(T), the exact inverse of the growth law at the
        temperature T (arrays of the points' current h and T; inf where nothing grows)."""
        h = np.asarray(h, dtype=float)
        if h.size == 0:
            return np.inf
        r = np.asarray(self.rate(np.asarray(T, dtype=float)), dtype=float) * np.ones_like(h)
        target = h + self.rtol * (h + self.h_floor)
        with np.errstate(divide="ignore"):
            dt = np.where(r > 0, (target**2 - h**2) / np.where(r > 0, r, 1.0), np.inf)
        return float(np.min(dt))
