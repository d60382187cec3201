"""Rate-dependent inelastic strains at the quadrature points: Norton power-law creep (with an
optional Perzyna threshold) and linear viscoelasticity (standard linear solid / Prony series).

Internal variables live in "Quadrature" element spaces (one value per quadrature point, no
continuity), are committed by :meth:`accept` only (an accepted time step), and are never touched by
a rejected step. Strains and stresses are 3×3 tensors (:class:`solver.physics.elasticity.
Kinematics`), so plane strain, axisymmetry and 3D share one law; a symmetric tensor is stored as
the 6 components ``[xx, yy, zz, xy, xz, yz]``.

Creep (J2, Norton, Arrhenius; docs/theory.md §3.6)::

    ε̇_cr = (3/2) ṗ s / σ_vm,   ṗ = A ⟨σ_vm − σ_th⟩ⁿ exp(−Q/RT)

(uniaxially ε̇ = A σⁿ exp(−Q/RT) for σ_th = 0). Time integration: backward Euler with the
radial return: the trial stress s_tr = 2G dev(ε − ε* − ε_cr,old) is scaled back by the equivalent
creep increment Δp solving Δp = Δt A' ⟨q_tr − 3GΔp − σ_th⟩ⁿ (a scalar equation per point, solved
by safeguarded Newton–bisection to round-off in :func:`norton_increment`). The global Newton sees
the stress as a UFL expression of u with Δp(u) ≈ Δp_k + (dΔp/dq_tr)_k (q_tr(u) − q_tr,k), where
the subscript k marks values computed at the current Newton iterate by :meth:`CreepState.update`
(called before every residual evaluation): at u = u_k this is the exact return-mapped stress, and
its UFL derivative is the consistent (algorithmic) tangent of the radial return where q_tr has
settled between iterates, the secant (Kačanov) one where it still moves (the slope (dΔp/dq_tr)_k
replaced by Δp_k/q_tr,k: a Newton step on the concave power law overshoots, the secant one does
not; the residual, and so the converged solution, is the same). Temperature is treated as given in
the tangent (a coupled thermal Newton converges, not quadratically in T).

Viscoelasticity (generalised Maxwell with a constant Poisson ratio; theory §3.7)::

    σ(t) = ∫ E(t − s)/E₀ C₀ : dε_e(s),  E(t) = E∞ + Σᵢ Eᵢ exp(−t/(a_T τᵢ)),  E₀ = E∞ + Σ Eᵢ

with C₀ the isotropic elasticity tensor of (E₀, ν). Branch stresses hᵢ follow the exact
exponential integrator for a strain linear in time over the step::

    hᵢ ← aᵢ hᵢ + γᵢ bᵢ C₀:(ε_e − ε_e,old),  aᵢ = exp(−Δt/τᵢ'),  bᵢ = (1 − aᵢ) τᵢ'/Δt (1 at Δt = 0)

with γᵢ = Eᵢ/E₀ and τᵢ' = a_T τᵢ: under a held strain the closed form is matched whatever Δt.
Temperature shift: Arrhenius ln a_T = (E_a/R)(1/T − 1/T₀) or WLF log₁₀ a_T = −C₁(T − T₀)/(C₂ + T −
T₀), T₀ = 298.15 K. The stress is linear in u: the UFL derivative is the exact tangent.
"""

from __future__ import annotations

from dataclasses import dataclass

import solver.petsc_env  # noqa: F401  (before dolfinx)

import basix.ufl
import numpy as np
import ufl
from dolfinx import fem

R_GAS = 8.314462618  # J/(mol K)
T_SHIFT_REF = 298.15  # K: reference temperature of the relaxation times and the WLF shift
QUADRATURE_DEGREE = 2  # the internal variables' quadrature rule (P1 and P2 displacements)
# a creep point whose trial Mises stress moved by at most this fraction since the previous Newton
# iterate gets the consistent tangent, else the secant one (CreepState._tangent_slope)
SETTLED_RTOL = 0.1
# ... or whose trial Mises stress grew by at most this factor (a point loading from below the
# solution, where the consistent step does not overshoot)
LOADING_GROWTH = 2.0


def metadata() -> dict:
    """Measure metadata of every integral that contains an internal variable."""
    return {"quadrature_degree": QUADRATURE_DEGREE, "quadrature_scheme": "default"}


def sym_tensor(q):
    """3×3 UFL tensor from the 6-vector ``[xx, yy, zz, xy, xz, yz]``."""
    return ufl.as_tensor([[q[0], q[3], q[4]], [q[3], q[1], q[5]], [q[4], q[5], q[2]]])


def sym_vector(t):
    """6-vector ``[xx, yy, zz, xy, xz, yz]`` of a symmetric 3×3 UFL tensor."""
    return ufl.as_vector([t[0, 0], t[1, 1], t[2, 2], t[0, 1], t[0, 2], t[1, 2]])


# ---------------------------------------------------------------------------- laws
@dataclass(frozen=True)
class CreepLaw:
    """Norton creep ṗ = A ⟨σ_vm − σ_th⟩ⁿ exp(−Q/RT).

    A: 1/(Pa^n s); n: dimensionless (≥ 1); Q: J/mol; threshold σ_th: Pa (0: pure Norton)."""

    A: float
    n: float
    Q: float = 0.0
    threshold: float = 0.0

    @classmethod
    def from_material(cls, m: dict) -> CreepLaw | None:
        if not m.get("creep_A"):
            return None
        return cls(
            float(m["creep_A"]),
            float(m["creep_n"]),
            float(m["creep_Q"]),
            float(m["creep_threshold"]),
        )

    def rate_factor(self, T):
        """A' = A exp(−Q/RT) (numpy)."""
        return self.A * np.exp(-self.Q / (R_GAS * np.asarray(T, dtype=float)))


@dataclass(frozen=True)
class ViscoLaw:
    """Prony series E(t) = E∞ + Σ Eᵢ exp(−t/(a_T τᵢ)) (Pa, s) with a temperature shift a_T."""

    E_inf: float
    moduli: tuple[float, ...]
    times: tuple[float, ...]
    Ea: float = 0.0  # Arrhenius activation energy of the relaxation times (J/mol)
    wlf: tuple[float, float] | None = None  # (C1, C2 in K)

    @property
    def E0(self) -> float:
        return self.E_inf + sum(self.moduli)

    @classmethod
    def from_material(cls, m: dict) -> ViscoLaw | None:
        """From ``prony_E1..3``/``prony_tau1..3`` (E the instantaneous modulus, E∞ = E − Σ Eᵢ)
        or the standard linear solid ``E1``, ``E2``, ``tau`` (E∞ = E2, E₁ = E1; E = E1 + E2,
        checked by solver.config). None when the material has neither."""
        terms = [
            (float(m[f"prony_E{k}"]), float(m[f"prony_tau{k}"]))
            for k in (1, 2, 3)
            if m.get(f"prony_E{k}") is not None
        ]
        if terms:
            moduli = tuple(E for E, _ in terms)
            times = tuple(t for _, t in terms)
            E_inf = float(m["E"]) - sum(moduli)
        elif m.get("E1") is not None and m.get("tau") is not None:
            moduli, times, E_inf = (float(m["E1"]),), (float(m["tau"]),), float(m["E2"])
        else:
            return None
        wlf = None
        if m.get("wlf_C1") is not None:
            wlf = (float(m["wlf_C1"]), float(m["wlf_C2"]))
        return cls(E_inf, moduli, times, float(m["Ea_tau"]), wlf)

    def shift(self, T):
        """a_T (UFL or numpy T): the relaxation times at T are a_T τᵢ."""
        lib = ufl if isinstance(T, ufl.core.expr.Expr) else np
        if self.wlf is not None:
            C1, C2 = self.wlf
            return 10.0 ** (-C1 * (T - T_SHIFT_REF) / (C2 + T - T_SHIFT_REF))
        if self.Ea:
            return lib.exp(self.Ea / R_GAS * (1.0 / T - 1.0 / T_SHIFT_REF))
        return 1.0


def norton_increment(q_tr, G, dtA, n, threshold=0.0, iters: int = 200):
    """Backward-Euler radial return of Norton creep at many points (numpy arrays).

    Solves Δp = dtA ⟨q_tr − 3GΔp − σ_th⟩ⁿ for Δp ∈ [0, ⟨q_tr − σ_th⟩/3G] through the returned
    stress σ = q_tr − 3GΔp (Newton on h(σ) = (q_tr − σ)/3G − dtA (σ − σ_th)ⁿ, decreasing in σ,
    kept inside its bracket by bisection). Returns (Δp, dΔp/dq_tr)."""
    q_tr = np.asarray(q_tr, dtype=float)
    dtA = np.broadcast_to(np.asarray(dtA, dtype=float), q_tr.shape)
    lo = np.full(q_tr.shape, float(threshold))
    hi = np.maximum(q_tr, lo)
    active = (hi > lo) & (dtA > 0)
    s = hi.copy()  # the elastic trial stress: h(hi) ≤ 0
    for _ in range(iters):
        over = np.maximum(s - threshold, 0.0)
        h = (q_tr - s) / (3 * G) - dtA * over**n
        dh = -1.0 / (3 * G) - dtA * n * over ** (n - 1)
        lo = np.where(active & (h > 0), s, lo)
        hi = np.where(active & (h <= 0), s, hi)
        step = s - h / dh
        bad = (step <= lo) | (step >= hi)
        new = np.where(bad, 0.5 * (lo + hi), step)
        new = np.where(active, new, s)
        if np.all(np.abs(new - s) <= 1e-15 * np.maximum(np.abs(s), 1e-300)):
            s = new
            break
        s = new
    over = np.maximum(s - threshold, 0.0)
    dp = np.where(active, (q_tr - s) / (3 * G), 0.0)
    fprime = dtA * n * over ** (n - 1)
    c = np.where(active, fprime / (1.0 + 3 * G * fprime), 0.0)
    return dp, c


def _complementary(sig, K, G):
    """½ σ:C⁻¹:σ for the isotropic C of bulk modulus K and shear modulus G (UFL)."""
    s = ufl.dev(sig)
    return ufl.tr(sig) ** 2 / (18 * K) + ufl.inner(s, s) / (4 * G)


# ---------------------------------------------------------------------------- states
class _PointSpace:
    """Quadrature spaces of one cell set of a mesh and the evaluation of UFL at their points."""

    def __init__(self, msh, cells: np.ndarray):
        self.msh = msh
        self.cells = np.asarray(cells, dtype=np.int32)
        cell = msh.topology.cell_name()
        self._expr: dict = {}
        self.spaces = {}
        for shape in ((), (6,)):
            el = basix.ufl.quadrature_element(
                cell, value_shape=shape, scheme="default", degree=QUADRATURE_DEGREE
            )
            self.spaces[shape] = fem.functionspace(msh, el)
        V = self.spaces[()]
        self.points = V.element.interpolation_points
        self.npts = self.points.shape[0]
        # dofs of the cells (a quadrature space has npts dofs per cell, in cell order)
        self.dofs = V.dofmap.list[self.cells].reshape(-1)

    def function(self, shape=(), name=None) -> fem.Function:
        return fem.Function(self.spaces[shape], name=name)

    def values(self, expr, size: int = 1) -> np.ndarray:
        """Values of ``expr`` at the points of the cells: shape (cells × points, size)."""
        key = id(expr)
        if key not in self._expr:  # compiled once per expression (kept alive with it)
            self._expr[key] = (expr, fem.Expression(expr, self.points))
        v = self._expr[key][1].eval(self.msh, self.cells)
        return np.asarray(v).reshape(len(self.cells) * self.npts, size)

    def set(self, f: fem.Function, vals: np.ndarray) -> None:
        bs = f.function_space.dofmap.index_map_bs
        arr = f.x.array.reshape(-1, bs)
        arr[self.dofs] = vals.reshape(-1, bs)
        f.x.scatter_forward()


class CreepState:
    """Norton creep internal variables of the cells ``cells`` of the displacement's mesh.

    ``strain(u)``: 3×3 UFL strain on the displacement's mesh (for the point evaluation);
    ``eps_star``: eigenstrain there; ``T``: temperature there (UFL); ``dt``: the step's Constant.
    :meth:`sigma` returns the stress for a residual written with other (e.g. parent-mesh)
    strain/eigenstrain expressions that agree with these at the points."""

    def __init__(self, law: CreepLaw, E: float, nu: float, u, cells, strain, eps_star, T, dt):
        self.law = law
        self.E, self.nu = float(E), float(nu)
        self.G = self.E / (2 * (1 + self.nu))
        self.K = self.E / (3 * (1 - 2 * self.nu))
        self.u = u
        self.pts = _PointSpace(u.function_space.mesh, cells)
        self.eps_cr = self.pts.function((6,), "creep_strain")  # committed creep strain
        self.p = self.pts.function((), "equivalent_creep_strain")  # committed p
        self.dp = self.pts.function((), "creep_increment")  # Δp at the iterate
        self.c = self.pts.function((), "creep_tangent")  # dΔp/dq_tr at the iterate
        self.q_k = self.pts.function((), "trial_mises")  # q_tr at the iterate
        self.dt = dt
        self._q_iter = None  # q_tr at the previous iterate (the tangent's choice, _tangent_slope)
        self._q_scale = 1e-9 * self.E  # regularises √ at q = 0 (changes q by ~1e-18 relative)
        self._trial = self._trial_parts(strain(u), eps_star)
        self._q_expr = self._trial[2]
        self._T_expr = T
        self._eps_new = sym_vector(self.creep_strain(strain(u), eps_star))

    def _trial_parts(self, eps, eps_star):
        ee = eps - eps_star - sym_tensor(self.eps_cr)
        s_tr = 2 * self.G * ufl.dev(ee)
        q_tr = ufl.sqrt(1.5 * ufl.inner(s_tr, s_tr) + self._q_scale**2)
        return ee, s_tr, q_tr

    def _dp(self, q_tr):
        return self.dp + self.c * (q_tr - self.q_k)

    def sigma(self, eps, eps_star):
        """Return-mapped stress (UFL, 3×3) for the total strain ``eps`` and eigenstrain."""
        ee, s_tr, q_tr = self._trial_parts(eps, eps_star)
        return self.K * ufl.tr(ee) * ufl.Identity(3) + s_tr * (
            1 - 3 * self.G * self._dp(q_tr) / q_tr
        )

    def stored_energy(self, eps, eps_star):
        """Elastic energy density ψ = ½ σ:C⁻¹:σ (J/m³; UFL)."""
        return _complementary(self.sigma(eps, eps_star), self.K, self.G)

    def creep_strain(self, eps, eps_star):
        """ε_cr at the end of the step (UFL)."""
        _ee, s_tr, q_tr = self._trial_parts(eps, eps_star)
        return sym_tensor(self.eps_cr) + 1.5 * self._dp(q_tr) * s_tr / q_tr

    def update(self) -> None:
        """Radial return at every point for the current displacement (each Newton iterate)."""
        q = self.pts.values(self._q_expr)[:, 0]
        T = (
            self.pts.values(self._T_expr)[:, 0]
            if isinstance(self._T_expr, ufl.core.expr.Expr)
            else np.full(q.shape, float(self._T_expr))
        )
        dtA = float(self.dt.value) * self.law.rate_factor(T)
        dp, c = norton_increment(q, self.G, dtA, self.law.n, self.law.threshold)
        c = self._tangent_slope(q, dp, c)
        self.pts.set(self.q_k, q)
        self.pts.set(self.dp, dp)
        self.pts.set(self.c, c)

    def _tangent_slope(self, q, dp, c):
        """The slope dΔp/dq_tr that the Newton Jacobian sees at each point (docs/theory.md §3.6):
        the consistent ``c`` where q_tr has settled (moved by at most :data:`SETTLED_RTOL` of
        itself since the previous iterate) or is loading steadily (grew by a factor of at most
        :data:`LOADING_GROWTH`), else the secant Δp/q_tr (Kačanov's iteration: the returned
        deviator s_tr (1 − 3GΔp/q_tr) with its factor frozen; also at the state's first
        evaluation). For the concave power-law response q(ε) ∝ ε^(1/n) a consistent Newton step
        taken from above the solution overshoots by a factor ~(n − 1) (5.6 for Li, n = 6.6) and
        the iterates diverge; from below it approaches monotonically; the secant step
        approaches monotonically from either side, linearly. Only the Jacobian changes: the
        residual at u_k is the exact return (Δp_k), so the converged step is the same
        backward-Euler solution, and settled points recover Newton's quadratic rate."""
        prev = self._q_iter
        self._q_iter = q.copy()
        if prev is None or prev.shape != q.shape:
            newton = np.zeros(q.shape, dtype=bool)
        else:
            settled = np.abs(q - prev) <= SETTLED_RTOL * np.maximum(q, prev)
            loading = (q >= prev) & (q <= LOADING_GROWTH * prev)
            newton = settled | loading
        secant = np.divide(dp, q, out=np.zeros_like(dp), where=q > 0)
        return np.where(newton, c, secant)

    def accept(self) -> None:
        self.update()
        eps_new = self.pts.values(self._eps_new, 6)
        dp = self.dp.x.array.copy()
        self.pts.set(self.eps_cr, eps_new)
        self.p.x.array[:] += dp
        self.p.x.scatter_forward()
        self.dp.x.array[:] = 0.0
        self.c.x.array[:] = 0.0
        # the next step's first iterate takes the secant slope, as after a restart (the
        # tangent's choice carries nothing across steps that the checkpoint lacks)
        self._q_iter = None


class ViscoState:
    """Prony-series branch stresses of the cells ``cells`` (see the module docstring)."""

    def __init__(self, law: ViscoLaw, nu: float, u, cells, strain, eps_star, T, dt):
        self.law = law
        self.nu = float(nu)
        self.u = u
        self.pts = _PointSpace(u.function_space.mesh, cells)
        self.h = [self.pts.function((6,), f"branch_stress_{i}") for i in range(len(law.moduli))]
        self.ee_old = self.pts.function((6,), "elastic_strain_old")
        self.dt = dt
        self.T = T
        self._new = [sym_vector(h) for h in self.branches(strain(u), eps_star)]
        self._ee = sym_vector(strain(u) - eps_star)

    def _C0(self, e):
        E0, nu = self.law.E0, self.nu
        lmbda = E0 * nu / ((1 + nu) * (1 - 2 * nu))
        mu = E0 / (2 * (1 + nu))
        return lmbda * ufl.tr(e) * ufl.Identity(3) + 2 * mu * e

    def branches(self, eps, eps_star):
        ee = eps - eps_star
        d = self._C0(ee - sym_tensor(self.ee_old))
        aT = self.law.shift(self.T)
        out = []
        for Ei, tau, h in zip(self.law.moduli, self.law.times, self.h):
            x = self.dt / (aT * tau)
            a = ufl.exp(-x)
            b = ufl.conditional(ufl.gt(x, 1e-12), (1 - a) / ufl.max_value(x, 1e-300), 1.0)
            out.append(a * sym_tensor(h) + (Ei / self.law.E0) * b * d)
        return out

    def sigma(self, eps, eps_star):
        ee = eps - eps_star
        s = (self.law.E_inf / self.law.E0) * self._C0(ee)
        for h in self.branches(eps, eps_star):
            s = s + h
        return s

    def stored_energy(self, eps, eps_star):
        """Free energy density ψ = ½ (E∞/E₀) ε_e:C₀:ε_e + Σ ½ (E₀/Eᵢ) hᵢ:C₀⁻¹:hᵢ (J/m³)."""
        E0, nu = self.law.E0, self.nu
        K0, G0 = E0 / (3 * (1 - 2 * nu)), E0 / (2 * (1 + nu))
        ee = eps - eps_star
        psi = 0.5 * (self.law.E_inf / E0) * ufl.inner(self._C0(ee), ee)
        for Ei, h in zip(self.law.moduli, self.branches(eps, eps_star)):
            psi = psi + (E0 / Ei) * _complementary(h, K0, G0)
        return psi

    def update(self) -> None:  # linear in u: nothing to do per iterate
        pass

    def committed_norms(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """(‖σ‖, [‖hᵢ‖]) of the committed state at the points of the cells (Pa, Frobenius norms
        of the 3×3 tensors; arrays of shape (cells × points,))."""
        d = self.pts.dofs
        hs = [h.x.array.reshape(-1, 6)[d] for h in self.h]
        e = self.ee_old.x.array.reshape(-1, 6)[d]
        E0, nu = self.law.E0, self.nu
        lmbda, mu = E0 * nu / ((1 + nu) * (1 - 2 * nu)), E0 / (2 * (1 + nu))
        s = 2 * mu * e
        s[:, :3] += lmbda * e[:, :3].sum(axis=1, keepdims=True)
        s = (self.law.E_inf / E0) * s + sum(hs)
        w = np.array([1.0, 1.0, 1.0, 2.0, 2.0, 2.0])  # off-diagonal components count twice
        return np.sqrt((s * s * w).sum(axis=1)), [np.sqrt((h * h * w).sum(axis=1)) for h in hs]

    def step_limit(self, budget: float) -> float:
        """Largest Δt (s) over which no branch stress of the committed state relaxes by more
        than budget/n (Pa; n the number of Prony terms) under a held strain:
        ‖hᵢ‖ (1 − exp(−Δt/(a_T τᵢ))) ≤ budget/n, i.e. Δt = −a_T τᵢ ln(1 − budget/(n ‖hᵢ‖)) at
        each point's temperature (inf where a branch is below budget/n: nothing left to relax
        at that resolution). Collective (the temperature expression is compiled on the first
        call): every rank calls it, also one without points."""
        _, hn = self.committed_norms()
        if isinstance(self.T, ufl.core.expr.Expr):  # (collective: compiled on every rank)
            T = self.pts.values(self.T)[:, 0]
        else:
            T = np.full(hn[0].shape, float(self.T))
        if budget <= 0:
            return np.inf
        aT = np.asarray(self.law.shift(T), dtype=float) * np.ones_like(T)
        b = budget / len(hn)
        dt = np.inf
        for hnorm, tau in zip(hn, self.law.times):
            x = b / np.maximum(hnorm, 1e-300)
            with np.errstate(divide="ignore", invalid="ignore"):
                lim = np.where(x < 1.0, -aT * tau * np.log1p(-np.minimum(x, 1.0 - 1e-12)), np.inf)
            dt = min(dt, float(lim.min(initial=np.inf)))
        return dt

    def accept(self) -> None:
        vals = [self.pts.values(e, 6) for e in self._new]
        for h, v in zip(self.h, vals):
            self.pts.set(h, v)
        self.pts.set(self.ee_old, self.pts.values(self._ee, 6))
