"""Electrochemical impedance: the small-signal response of the current state (docs/theory.md §5.8).

The state of a :class:`solver.simulation.Simulation` (after an accepted step) is linearised in
the potentials φ_e, φ_s, the kinetic overpotentials of the series paths (Butler–Volmer with an
interphase or micro-contacts) and the electrode concentration c, with the mechanics (gap,
decohesion, registry, contact pressure), the heat and the ageing state frozen. A harmonic
perturbation δV e^{iωt} of the cell voltage at the current collector gives

    (K + iω M) δx = 0    with δφ_e = δV on the collector, δφ_s = 0 at the counter side,

K = ∂F/∂x the Jacobian of the product's own steady residual forms (the electrochemistry's
residual and the transport's diffusion and interface flux; UFL derivatives, the same forms the
Newton iteration assembles) and M the storage: the transport's lumped mass (∂c/∂t) and the
double layer on Γ_int, a capacitance C_dl per m² of touching surface in parallel with the
faradaic path, its charge q = C_dl f (φ_e − φ_s) (f the active fraction of the ion path). The
complex system is solved as the real 2×2 block system

    [ K   −ωM ] [x_re]   [b_re]
    [ ωM   K  ] [x_im] = [b_im]

with PETSc (LU, MUMPS). Its sparsity pattern does not depend on ω: the matrix is built once and
only its values are replaced from one frequency to the next, so the direct solver keeps its
symbolic analysis (ordering, elimination tree) and refactorises numerically only. The total
current is I(ω) = ∫ (δj_n + iω C_dl f δ(φ_e − φ_s)) dΓ and Z(ω) = δV/I(ω) A_app (Ω·m², the
same normalisation as the ASR of the time series).

Z(ω) is written as CSV (frequency, Re Z, Im Z, |Z|, phase; :func:`write`), Nyquist and Bode PNGs
(matplotlib) and fitted by an equivalent circuit with the ``impedance`` package (R_bulk in series
with R_int ∥ C_int, and an open finite-space Warburg element when Li diffuses in the electrode).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem.petsc import assemble_vector
from mpi4py import MPI
from petsc4py import PETSc

from meshes import tags as T
from solver.assembly import assemble_block_matrix

log = logging.getLogger(__name__)

TO_OHM_CM2 = 1e4  # Ω·m² → Ω·cm²


def frequencies(f_min: float, f_max: float, points_per_decade: int) -> np.ndarray:
    """Log-spaced frequencies (Hz) from f_min to f_max inclusive, ``points_per_decade`` a
    decade (at least 2 points), highest first (the order of a measured spectrum)."""
    n = max(2, int(round(math.log10(f_max / f_min) * points_per_decade)) + 1)
    return np.logspace(math.log10(f_max), math.log10(f_min), n)


def _nonempty(form) -> bool:
    return not ufl.algorithms.expand_derivatives(form).empty()


class SmallSignal:
    """The linearised electrochemistry (+ transport) of ``sim`` about its current state.

    ``C_dl``: double-layer capacitance (F/m² of touching surface; default the case's
    ``interface.C_dl``). :meth:`impedance` gives Z(ω) in Ω·m² (per unit depth in 2D plane
    strain: Ω·m² all the same, normalised by the apparent area A_app). The forms are compiled
    on construction; the operators are assembled from the fields' values at each call of
    :meth:`impedance` (the state may have moved between calls)."""

    def __init__(self, sim, C_dl: float | None = None):
        ec = sim.ec
        if ec is None:
            raise ValueError("impedance: needs physics.electrochemistry")
        self.sim, self.ec, self.tr = sim, ec, sim.transport
        if C_dl is None:
            C_dl = float(sim.case.interface["C_dl"])
        self.C_dl = fem.Constant(sim.dom.mesh, float(C_dl))
        self.comm = sim.dom.comm
        self.u = list(ec.fields) + (list(self.tr.fields) if self.tr else [])
        spaces = [f.function_space for f in self.u]
        W = ufl.MixedFunctionSpace(*spaces)
        vs = list(ufl.TestFunctions(W))
        dus = list(ufl.TrialFunctions(W))
        n_ec = len(ec.fields)
        dS = ec.dS(T.INTERFACE)
        F = ec.residual(vs[:n_ec])
        if self.tr is not None:
            F += self.tr.steady_residual(vs[n_ec:], ec.j_n, dS, weight=ec.r_itf())
        F_blocks = ufl.extract_blocks(F)
        # the Jacobian blocks of the steady residual: K_ij = ∂F_i/∂u_j
        zero = fem.Constant(sim.dom.mesh, 0.0)
        K = [[None] * len(self.u) for _ in self.u]
        for i, Fi in enumerate(F_blocks):
            for j, (u, du) in enumerate(zip(self.u, dus)):
                d = ufl.derivative(Fi, u, du)
                if _nonempty(d):
                    K[i][j] = d
        # storage: the double layer (φ_e, φ_s blocks) and the Li storage (c block). Every block
        # of K appears in M too (times a zero Constant), so that each row and column of M has a
        # form and both matrices share the monolithic layout
        jump_v = vs[0]("+") - vs[1]("-")
        jump_u = dus[0]("+") - dus[1]("-")
        w_itf = ec.r_itf()
        Mform = self.C_dl * ec.f * jump_u * jump_v * w_itf * dS
        if self.tr is not None:
            Mform += self.tr.storage(vs[n_ec], dus[n_ec])
        Mb = ufl.extract_blocks(Mform)
        M = [
            [None if K[i][j] is None else zero * K[i][j] for j in range(len(self.u))]
            for i in range(len(self.u))
        ]
        for i, row in enumerate(Mb):
            for j, m in enumerate(row or []):
                if m is not None and _nonempty(m):
                    M[i][j] = m if M[i][j] is None else M[i][j] + m
        em = sim.entity_maps if sim.entity_maps else ec.all_entity_maps
        em = list(em)
        for e in ec.all_entity_maps:
            if all(e is not x for x in em):
                em.append(e)
        self.entity_maps = em
        self.K_form = fem.form(K, entity_maps=em)
        self.M_form = fem.form(M, entity_maps=em)
        # the total current: faradaic ∂I/∂x and the double-layer charge ∂Q/∂x (linear forms)
        I_far = ec.j_n * w_itf * dS
        Q_dl = self.C_dl * ec.f * (ec.phi_electrode("+") - ec.phi_electrolyte("-")) * w_itf * dS
        self.g_form = self._gradient(I_far, vs, spaces)
        self.h_form = self._gradient(Q_dl, vs, spaces)
        self.spaces = spaces
        # local layout of the monolithic vector: owned dofs of block 0, block 1, ...
        self.sizes = [V.dofmap.index_map.size_local * V.dofmap.index_map_bs for V in spaces]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self.A_app = float(sim.A_app)

    def _gradient(self, functional, vs, spaces):
        forms = []
        for u, v, V in zip(self.u, vs, spaces):
            d = ufl.derivative(functional, u, v)
            if not _nonempty(d):
                z = fem.Constant(V.mesh, 0.0)
                d = z * v * ufl.dx(domain=V.mesh)
            forms.append(fem.form(d, entity_maps=self.entity_maps))
        return forms

    # ----------------------------------------------------------------------------- assembly
    def _assemble(self):
        """K, M (monolithic AIJ, no boundary conditions) and the current gradients g, h (local
        owned arrays) at the present state."""
        from dolfinx.la.petsc import _ghost_update

        comm = self.spaces[0].mesh.comm
        Kmat = assemble_block_matrix(self.K_form, comm)  # (ordered from 3 ranks on)
        Mmat = assemble_block_matrix(self.M_form, comm)
        vecs = []
        for forms in (self.g_form, self.h_form):
            b = assemble_vector(forms)
            _ghost_update(b, PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
            vecs.append(b.getArray(readonly=True).copy())
            b.destroy()
        return Kmat, Mmat, vecs[0], vecs[1]

    def _bc_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(local rows, values of δφ for δV = 1) of the Dirichlet conditions, owned dofs only."""
        rows, vals = [], []
        # ec.bcs: φ_e = V on the collector (block 0), φ_s = 0 at the counter side (block 1)
        for k, bc in enumerate(self.ec.bcs[:2]):
            dofs, n_owned = bc.dof_indices()
            dofs = np.asarray(dofs[:n_owned], dtype=np.int64)
            rows.append(self.offsets[k] + dofs)
            vals.append(np.full(len(dofs), 1.0 if k == 0 else 0.0))
        return np.concatenate(rows), np.concatenate(vals)

    def _build(self, Kmat, Mmat):
        """The fixed pattern of the real 2×2 block matrix (CSR of the local rows, global
        columns) and the permutations that fill its values from K and M."""
        r0, r1 = Kmat.getOwnershipRange()
        ranges = np.asarray(Kmat.getOwnershipRanges(), dtype=np.int64)
        sizes = np.diff(ranges)
        n = r1 - r0

        def cols(gcols, part):
            owner = np.searchsorted(ranges, gcols, side="right") - 1
            return 2 * ranges[owner] + part * sizes[owner] + (gcols - ranges[owner])

        Kp, Kj, _ = Kmat.getValuesCSR()
        Mp, Mj, _ = Mmat.getValuesCSR()
        Kp, Kj, Mp, Mj = (np.asarray(a, dtype=np.int64) for a in (Kp, Kj, Mp, Mj))
        krow = np.repeat(np.arange(n), np.diff(Kp))
        mrow = np.repeat(np.arange(n), np.diff(Mp))
        # entries: (row, col, source) for the four blocks; source indexes [K, −M, M, K] data
        nK, nM = len(Kj), len(Mj)
        rows = np.concatenate([krow, mrow, n + mrow, n + krow])
        cols_ = np.concatenate([cols(Kj, 0), cols(Mj, 1), cols(Mj, 0), cols(Kj, 1)])
        order = np.lexsort((cols_, rows))
        self._perm = order
        self._nK, self._nM = nK, nM
        indptr = np.zeros(2 * n + 1, dtype=np.int64)
        np.add.at(indptr, rows + 1, 1)
        self._indptr = np.cumsum(indptr).astype(PETSc.IntType)
        self._indices = cols_[order].astype(PETSc.IntType)
        self._rows = rows[order]
        self._n = n
        self._r0 = r0
        diagK = Kmat.getDiagonal().getArray(readonly=True).copy()
        diagM = Mmat.getDiagonal().getArray(readonly=True).copy()
        self._dK = [
            self.comm.allreduce(float(np.max(np.abs(diagK[a:b]), initial=0.0)), op=MPI.MAX)
            for a, b in zip(self.offsets[:-1], self.offsets[1:])
        ]
        self._dM = [
            self.comm.allreduce(float(np.max(np.abs(diagM[a:b]), initial=0.0)), op=MPI.MAX)
            for a, b in zip(self.offsets[:-1], self.offsets[1:])
        ]

    def _values(self, Kd, Md, omega: float) -> np.ndarray:
        data = np.concatenate([Kd, -omega * Md, omega * Md, Kd])[self._perm]
        # row equilibration per field block: 1/max(|K_ii|, ω|M_ii|) (the fields have residuals
        # in A and mol/s; MUMPS pivots better on comparable rows); the solution is unchanged
        scale = np.empty(self._n)
        for k, (a, b) in enumerate(zip(self.offsets[:-1], self.offsets[1:])):
            s = max(self._dK[k], omega * self._dM[k])
            scale[a:b] = 1.0 / s if s > 0 else 1.0
        return data * np.concatenate([scale, scale])[self._rows]

    def _solver(self, A):
        ksp = PETSc.KSP().create(self.comm)
        ksp.setOptionsPrefix(f"ssbx_eis_{id(self)}_")
        ksp.setOperators(A)
        ksp.setType("preonly")
        pc = ksp.getPC()
        pc.setType("lu")
        pc.setFactorSolverType("mumps")
        ksp.setFromOptions()
        return ksp

    # ----------------------------------------------------------------------------- the spectrum
    def impedance(self, freqs) -> np.ndarray:
        """Z at the frequencies ``freqs`` (Hz; 0 allowed: the DC limit), complex, Ω·m² of
        apparent area (Z = δV/δI · A_app). Collective."""
        freqs = np.asarray(freqs, dtype=float)
        Kmat, Mmat, g, h = self._assemble()
        self._build(Kmat, Mmat)
        _, _, Kd = Kmat.getValuesCSR()
        _, _, Md = Mmat.getValuesCSR()
        Kmat.destroy()
        Mmat.destroy()
        n, N2 = self._n, 2 * self.comm.allreduce(self._n, op=MPI.SUM)
        A = PETSc.Mat().createAIJ(
            size=((2 * n, N2), (2 * n, N2)),
            csr=(self._indptr, self._indices, self._values(Kd, Md, 2 * np.pi * freqs[0])),
            comm=self.comm,
        )
        A.setOption(PETSc.Mat.Option.KEEP_NONZERO_PATTERN, True)
        A.assemble()
        bc_local, bc_vals = self._bc_rows()
        start = 2 * self._r0
        bc_rows = np.concatenate([start + bc_local, start + n + bc_local]).astype(PETSc.IntType)
        x_bc, b = A.createVecs()
        out = np.empty(len(freqs), dtype=complex)
        ksp = self._solver(A)
        y = x_bc.duplicate()
        try:
            for k, f in enumerate(freqs):
                omega = 2 * np.pi * f
                if k > 0:  # same pattern: new values only (the factorisation's analysis is kept)
                    A.zeroEntries()
                    A.setValuesCSR(
                        self._indptr, self._indices, self._values(Kd, Md, omega), addv=False
                    )
                    A.assemble()
                xa = x_bc.getArray()
                xa[:] = 0.0
                xa[bc_local] = bc_vals
                b.zeroEntries()
                A.zeroRowsColumns(bc_rows, 1.0, x_bc, b)
                ksp.setOperators(A)
                ksp.solve(b, y)
                ya = y.getArray(readonly=True)
                x_re, x_im = ya[:n], ya[n:]
                dot = self.comm.allreduce(
                    np.array([g @ x_re, g @ x_im, h @ x_re, h @ x_im]), op=MPI.SUM
                )
                I_re = dot[0] - omega * dot[3]
                I_im = dot[1] + omega * dot[2]
                out[k] = self.A_app / complex(I_re, I_im)
        finally:
            ksp.destroy()
            A.destroy()
            for v in (x_bc, b, y):
                v.destroy()
        return out


# --------------------------------------------------------------------------------- outputs
def fit_circuit(freqs: np.ndarray, Z: np.ndarray, diffusion: bool) -> dict:
    """Fit R_bulk − (R_int ∥ C_int) [− Wo(R_W, τ_W)] with ``impedance.models.circuits`` to Z
    (Ω·cm²). Returns R_bulk, R_int (Ω·cm²), C_int (F/m²), with diffusion R_W (Ω·cm²) and
    tau_W (s), the circuit string and the rms of |Z_fit − Z|/|Z| (the fit weights every point
    by 1/|Z|); ``{"circuit": ..., "error":
    reason}`` when the spectrum has no arc to fit."""
    from impedance.models.circuits import CustomCircuit

    circuit = "R0-p(R1,C1)" + ("-Wo1" if diffusion else "")
    order = np.argsort(freqs)[::-1]  # highest frequency first
    f, z = freqs[order], Z[order]
    imag = -z.imag
    R0 = float(z.real[0])
    if not np.max(imag) > 1e-9 * max(abs(float(z.real[-1])), 1e-300):
        return {"circuit": circuit, "error": "no capacitive arc (Z is real)"}
    # the interfacial arc: the first local maximum of −Im Z from the high frequencies, its end
    # the local minimum after it (the diffusion tail rises again), else the lowest frequency
    k = next(
        (i for i in range(1, len(f) - 1) if imag[i] >= imag[i - 1] and imag[i] > imag[i + 1]),
        int(np.argmax(imag)),
    )
    end = next((i for i in range(k + 1, len(f) - 1) if imag[i] <= imag[i + 1]), len(f) - 1)
    R1 = max(float(z.real[end]) - R0, 1e-9 * max(abs(R0), 1e-300))
    C1 = 1.0 / (2 * np.pi * f[k] * R1)
    guess = [R0, R1, C1]
    if diffusion:
        # Wo(R_W, τ) ≈ R_W/√(iωτ) above 1/τ: τ a decade beyond the lowest frequency, R_W from
        # the remaining |Z| there
        tau = 10.0 / (2 * np.pi * f[-1])
        rest = abs(z[-1] - R0 - R1)
        guess += [max(rest / np.sqrt(2 * np.pi * f[-1] * tau), 1e-9 * R1), tau]
    model = CustomCircuit(circuit, initial_guess=guess)
    try:
        model.fit(f, z, bounds=([0.0] * len(guess), [np.inf] * len(guess)), weight_by_modulus=True)
    except (RuntimeError, ValueError) as e:
        return {"circuit": circuit, "error": f"fit failed: {e}"}
    p = model.parameters_
    Zfit = model.predict(f)
    err = float(np.sqrt(np.mean((np.abs(Zfit - z) / np.abs(z)) ** 2)))  # as weighted
    out = {
        "circuit": circuit,
        "R_bulk": float(p[0]),
        "R_int": float(p[1]),
        "C_int": float(p[2]) * 1e4,  # F/cm² (Z in Ω·cm²) → F/m²
        "rel_rms_misfit": err,
    }
    if diffusion:
        out["R_W"], out["tau_W"] = float(p[3]), float(p[4])
    return out


def write(folder: Path, name: str, freqs: np.ndarray, Z: np.ndarray, title: str = "") -> dict:
    """Write ``<name>.csv`` (frequency [Hz], Re Z [Ohm cm^2], Im Z [Ohm cm^2], |Z| [Ohm cm^2],
    phase [deg]), ``<name>_nyquist.png`` and ``<name>_bode.png`` into ``folder``; ``Z`` in
    Ω·cm². Rank 0 only. Returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from solver.rundir import write_text_atomic

    folder.mkdir(parents=True, exist_ok=True)
    lines = ["frequency [Hz],Re Z [Ohm cm^2],Im Z [Ohm cm^2],|Z| [Ohm cm^2],phase [deg]"]
    for f, z in zip(freqs, Z):
        lines.append(
            f"{f:.10g},{z.real:.12g},{z.imag:.12g},{abs(z):.12g},{math.degrees(np.angle(z)):.10g}"
        )
    write_text_atomic(folder / f"{name}.csv", "\n".join(lines) + "\n")
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(Z.real, -Z.imag, "o-", ms=3)
    ax.set_xlabel("Re Z [Ω·cm²]")
    ax.set_ylabel("−Im Z [Ω·cm²]")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(f"Nyquist {title}".strip())
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(folder / f"{name}_nyquist.png", dpi=120)
    plt.close(fig)
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(5, 5), sharex=True)
    a1.loglog(freqs, np.abs(Z), "o-", ms=3)
    a1.set_ylabel("|Z| [Ω·cm²]")
    a2.semilogx(freqs, np.degrees(np.angle(Z)), "o-", ms=3)
    a2.set_ylabel("phase [deg]")
    a2.set_xlabel("frequency [Hz]")
    for a in (a1, a2):
        a.grid(alpha=0.3, which="both")
    a1.set_title(f"Bode {title}".strip())
    fig.tight_layout()
    fig.savefig(folder / f"{name}_bode.png", dpi=120)
    plt.close(fig)
    return {"csv": f"{name}.csv", "nyquist": f"{name}_nyquist.png", "bode": f"{name}_bode.png"}


def spectrum(sim, f_min: float, f_max: float, points_per_decade: int, C_dl=None):
    """(frequencies [Hz], Z [Ω·cm²]) of the current state of ``sim``. Collective."""
    freqs = frequencies(f_min, f_max, points_per_decade)
    Z = SmallSignal(sim, C_dl).impedance(freqs) * TO_OHM_CM2
    return freqs, Z


def eis_step(sim, folder: Path, name: str, params: dict, time: float) -> dict:
    """The impedance of the current state of ``sim`` (an 'eis' step): the files of
    :func:`write` in ``folder`` and the equivalent-circuit fit; returns the summary entry.
    Collective (rank 0 writes)."""
    freqs, Z = spectrum(sim, params["f_min"], params["f_max"], int(params["points_per_decade"]))
    entry = {
        "name": name,
        "time": float(time),
        "f_min": float(freqs[-1]),
        "f_max": float(freqs[0]),
        "frequencies": len(freqs),
    }
    if sim.dom.comm.rank == 0:
        entry["files"] = write(folder, name, freqs, Z, f"t = {time:g} s")
        fit = fit_circuit(freqs, Z, sim.transport is not None)
        entry["fit"] = fit
        entry["Z_low"] = [float(Z[-1].real), float(Z[-1].imag)]
        entry["Z_high"] = [float(Z[0].real), float(Z[0].imag)]
        log.info(
            f"  eis '{name}' at t = {time:g} s: {len(freqs)} frequencies, Re Z from "
            f"{Z[0].real:.6g} to {Z[-1].real:.6g} Ohm cm^2"
            + (
                f"; fit R_bulk = {fit['R_bulk']:.6g}, R_int = {fit['R_int']:.6g} Ohm cm^2, "
                f"C_int = {fit['C_int']:.4g} F/m^2"
                if "R_bulk" in fit
                else f"; {fit.get('error')}"
            )
        )
    return sim.dom.comm.bcast(entry, root=0)
