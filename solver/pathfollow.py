"""Dissipation-based path following for quasi-static, mechanics-only load steps.

The load factor λ of the [[loading.boundary]] loads (prescribed displacements λ û on some dofs,
tractions λ t̂ on some faces) becomes an unknown of the Newton iteration, closed by the
energy-release constraint of Gutiérrez (Commun. Numer. Methods Eng. 20 (2004) 19-29; "Energy
release control for numerical simulations of failure in quasi-brittle solids") in the form of
Verhoosel, Remmers & Gutiérrez (Int. J. Numer. Meth. Engng 77 (2009) 1290-1321), extended to
prescribed displacements:

    g(u, λ) = ½ [(Q₀ λ − Q(u) λ₀) + (λ₀ v(u) − λ v₀)] − Δτ = 0,

with Q(u) = Σ R_i û_i the consistent reactions on the prescribed dofs times their values at
λ = 1 (the generalised force conjugate to λ of the prescribed displacements), v(u) = ∫ t̂·u dΓ
(the generalised displacement conjugate to λ of the tractions), and (u₀, λ₀, Q₀, v₀) the last
accepted state. For a body whose unloading is secant (linear elastic bulk, damage interface),
the stored energy is ½ λ (Q + v) and the external work of a step by the trapezoidal rule is
½(Q₀ + Q)(λ − λ₀) + ½(λ₀ + λ)(v − v₀): their difference, the energy dissipated in the step, is
the bracket above. So each step dissipates Δτ, whatever the sign of the load increment: the path
is followed through limit points and snap-backs (λ and the loaded displacement both decreasing).
An elastic step dissipates nothing and makes g singular; the stepper therefore starts in load
control and switches to this constraint once a step dissipates (docs/theory.md §10.6).

The bordered Newton system is that of the galvanostatic control
(:meth:`solver.problem.CoupledProblem.set_constraint`, V ↔ λ): R_λ from two residual evaluations
(the residual is affine in λ), ∂g/∂u from the UFL derivative of the functional c(u) =
½ λ₀ (v(u) − Q(u)), and ∂g/∂λ = ½ (Q₀ − v₀) as the constraint's slope.
"""

from __future__ import annotations

from dolfinx import fem

PATH_FOLLOWING = ("none", "dissipation")

# A path-following Newton iterate whose residual has reached its round-off floor (fallen by 5
# orders, then no longer falling) is converged when its updates are within this factor of the
# field tolerances (1e-12 h_interface for the displacements) and of the λ tolerance (1e-10 |λ|)
# (solver.problem.CoupledProblem.roundoff_floor). Measured on cases/dcb.toml: at that floor
# the displacement updates are 1e-19 to 1.2e-17 m against the tolerance 5e-19 m (the arms'
# compliance grows with the crack, and so does the floor: 1e-18 and above with the crack tip
# past 88 µm of 120 µm), and the λ updates 1e-10 to 1e-9 against 3e-10 (the constraint's
# reaction Q(u) carries ~1e-11 relative round-off); without it the step converged only when a
# round-off update happened to fall below the tolerance (up to 25 iterations at the floor),
# and with the crack tip past 89.6 µm no step did, whatever its dissipation (docs/theory.md
# §10.6a).
ROUNDOFF_FLOOR = 100.0


class LoadFactor:
    """The load factor λ of a :class:`~solver.physics.mechanics.Mechanics` as a ``value``
    (the bordered solve reads and sets it like a ``fem.Constant``)."""

    def __init__(self, mech):
        self.mech = mech

    @property
    def value(self) -> float:
        return float(self.mech.load_factor.value)

    @value.setter
    def value(self, v) -> None:
        self.mech.set_load_factor(float(v))


class DissipationControl:
    """The energy-release constraint on the mechanics' Newton problem ``problem``
    (a :class:`~solver.problem.CoupledProblem` whose unknowns include the displacements).

    Predictor: each step starts from the last accepted state moved along the last accepted
    increment, scaled by the ratio of the dissipations (u₀ + α(u₀ − u₋₁), λ₀ + α(λ₀ − λ₋₁),
    α = min(Δτ/Δτ₋₁, 1)): a secant extrapolation along the path, which saves Newton iterations in
    steady crack growth. Its history (the state where the last accepted step started, as
    ``fem.Function`` copies, and the numbers below) is part of a checkpoint."""

    CHECKPOINT_STATE = ("lam_start", "lam_before", "dtau_before", "dtau_last", "has_before")

    def __init__(self, mech, problem):
        self.mech, self.problem = mech, problem
        # u at the start of the current step (the last accepted state) and of the step before
        self.u_start = [fem.Function(u.function_space) for u in mech.fields]
        self.u_before = [fem.Function(u.function_space) for u in mech.fields]
        self.lam_start = None  # λ at the start of the last solve (None: none yet)
        self.lam_before = 0.0
        self.dtau_before = 0.0
        self.dtau_last = 0.0
        self.has_before = False
        Q, v = mech.load_conjugate_ufl()
        self.lam0 = fem.Constant(mech.msh, 0.0)
        c = None
        if Q is not None:
            c = -0.5 * self.lam0 * Q
        if v is not None:
            c = 0.5 * self.lam0 * v if c is None else c + 0.5 * self.lam0 * v
        if c is None:
            raise ValueError("path following needs [[loading.boundary]] loads")
        problem.set_constraint(c, LoadFactor(mech), dV_max=float("inf"))

    def solve(self, dtau: float, dlam_max: float, lam_scale: float):
        """Solve for (u, λ) with the step's dissipation ``dtau`` (J; J/m in 2D) from the last
        accepted state (the fields and λ as they are now). ``dlam_max``: the largest change of
        λ per Newton iteration; ``lam_scale``: |λ| of the segment (Newton has converged when
        |Δλ| ≤ 1e-10 lam_scale and the fields' updates pass their tests). Returns the
        :class:`~solver.problem.SolveResult`; λ is left at its solved value."""
        p = self.problem
        lam0 = float(self.mech.load_factor.value)
        Q0, v0 = self.mech.load_conjugates()
        fields = self.mech.fields
        if self.lam_start is not None and lam0 != self.lam_start:
            # a step was accepted since the last solve: its start becomes the step before
            for b, a in zip(self.u_before, self.u_start):
                b.x.array[:] = a.x.array
            self.lam_before, self.dtau_before = self.lam_start, self.dtau_last
            self.has_before = True
        for a, u in zip(self.u_start, fields):
            a.x.array[:] = u.x.array
        self.lam_start, self.dtau_last = lam0, float(dtau)
        if self.has_before and self.dtau_before > 0 and self.lam_before != lam0:
            alpha = min(float(dtau) / self.dtau_before, 1.0)
            for u, a, b in zip(fields, self.u_start, self.u_before):
                u.x.array[:] = a.x.array + alpha * (a.x.array - b.x.array)
            self.mech.set_load_factor(lam0 + alpha * (lam0 - self.lam_before))
        self.lam0.value = lam0
        p.constraint_slope = 0.5 * (Q0 - v0)
        p.constraint_dV_tol = 1e-10 * lam_scale
        p.constraint_snap = True
        p._dV_max = dlam_max
        p.target = float(dtau)
        p.roundoff_floor = ROUNDOFF_FLOOR
        try:
            return p.solve()
        finally:
            p.target = None
            p.roundoff_floor = 0.0
