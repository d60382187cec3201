"""Physically absurd results stop the run or are flagged, never silently "completed".

After every accepted step of a run with mechanics, :class:`Plausibility` measures

* the interpenetration of the two sides of Γ_int, p = max(0, −min g_n) (m), against the layer
  thickness ℓ (:func:`solver.simulation.stiffness_length`: the thinner region's mean thickness,
  or the geometry's finest feature): a penetration beyond ℓ means one layer has passed through
  the other, a result without physical meaning (a load far beyond the contact penalty's range).
  The run stops (:class:`ImplausibleResult`, exit code 3, the last step written);
* the largest principal strain magnitude of the bulk, max |ε_i| over the cells of every region
  (the total small strain, eigenstrains included; the hoop strain u_r/r when axisymmetric):
  above ``solver.max_strain`` (default 0.1) the small-strain theory the model uses is beyond its
  range — flagged in ``summary.json`` (``plausibility.flags``) and in the log; above 1 (a layer
  compressed to nothing or stretched to twice its size) the run stops.

``summary()`` gives the block ``plausibility`` of summary.json: the largest penetration and
strain of the run, their limits and the flags.
"""

from __future__ import annotations

import logging

import solver.petsc_env  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI

from solver.errors import SolverFailure

log = logging.getLogger(__name__)

STRAIN_STOP = 1.0  # a strain of 100 %: a layer compressed to nothing


class ImplausibleResult(SolverFailure):
    """An accepted step produced a physically meaningless state (exit code 3)."""


class Plausibility:
    """The checks of one run (collective: :meth:`check` on every rank after each step)."""

    def __init__(self, sim, max_strain: float):
        self.sim = sim
        self.comm = sim.dom.comm
        self.max_strain = float(max_strain)
        self.ell = float(sim.stiffness_length)
        self.max_penetration = 0.0
        self.strain = 0.0
        self.flags: list[str] = []
        m = sim.mech
        self._parts = []
        for reg in m.regions:
            msh = reg.sub.mesh
            T0 = fem.functionspace(msh, ("DG", 0, (3, 3)))
            f = fem.Function(T0)
            xs = ufl.SpatialCoordinate(msh)
            expr = fem.Expression(m.kin.strain(reg.u, xs), T0.element.interpolation_points)
            n_own = msh.topology.index_map(msh.topology.dim).size_local
            self._parts.append((f, expr, n_own))

    def _max_strain(self) -> float:
        worst = 0.0
        for f, expr, n_own in self._parts:
            f.interpolate(expr)
            E = f.x.array.reshape(-1, 3, 3)[:n_own]
            if len(E):
                E = 0.5 * (E + E.transpose(0, 2, 1))
                worst = max(worst, float(np.abs(np.linalg.eigvalsh(E)).max()))
        return self.comm.allreduce(worst, op=MPI.MAX)

    def _penetration(self) -> float:
        gn = self.sim.mmetrics.interface_arrays()[0]
        g_min = self.comm.allreduce(float(gn.min(initial=np.inf)), op=MPI.MIN)
        return max(0.0, -g_min) if np.isfinite(g_min) else 0.0

    def check(self, info) -> None:
        """Measure the accepted step ``info``; raise :class:`ImplausibleResult` on nonsense."""
        pen = self._penetration()
        eps = self._max_strain()
        self.max_penetration = max(self.max_penetration, pen)
        first = eps > self.max_strain >= self.strain
        self.strain = max(self.strain, eps)
        if first:
            msg = (
                f"step {info.step}: the largest strain {eps:.3g} exceeds solver.max_strain = "
                f"{self.max_strain:g} (small-strain theory beyond its range)"
            )
            self.flags.append(msg)
            log.warning(f"  plausibility: {msg}")
        if pen > self.ell:
            raise ImplausibleResult(
                f"step {info.step}: the two sides of the interface interpenetrate by {pen:.3g} m, "
                f"more than the layer thickness {self.ell:.3g} m (a physically meaningless "
                "state: the load is far beyond what the contact model carries); the run stopped "
                f"with step {info.step - 1} the last plausible one"
            )
        if eps > STRAIN_STOP:
            raise ImplausibleResult(
                f"step {info.step}: the largest strain is {eps:.3g}, above {STRAIN_STOP:g} (a "
                "layer compressed to nothing or stretched to twice its size: a physically "
                f"meaningless state); the run stopped with step {info.step - 1} the last "
                "plausible one"
            )

    def summary(self) -> dict:
        return {
            "max_penetration": self.max_penetration,
            "penetration_limit": self.ell,
            "max_strain": self.strain,
            "strain_limit": self.max_strain,
            "flags": list(self.flags),
        }
