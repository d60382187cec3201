"""Small-strain isotropic elasticity with an eigenstrain, in 3D, 2D plane strain and 2D
axisymmetric (x = r, y = z) form.

All strains are carried as 3×3 tensors so that one constitutive law serves every kinematic mode:
plane strain has ε_zz = 0 (σ_zz ≠ 0), axisymmetry has the hoop strain ε_θθ = u_r / r.
Eigenstrain ε* = β (c − c_ref) + α (T − T_ref) I with β a scalar (isotropic Vegard) or a 3-vector
(principal coefficients along the coordinate axes). σ = λ tr(ε − ε*) I + 2μ (ε − ε*).
"""

from __future__ import annotations

from dataclasses import dataclass

import ufl


@dataclass(frozen=True)
class Kinematics:
    gdim: int
    axisymmetric: bool = False

    @property
    def mode(self) -> str:
        if self.gdim == 3:
            return "3d"
        return "axisymmetric" if self.axisymmetric else "plane_strain"

    def strain(self, u, x=None):
        """3×3 small strain of the displacement u (x: SpatialCoordinate, needed axisymmetric)."""
        g = ufl.grad(u)
        if self.gdim == 3:
            return ufl.sym(g)
        e = ufl.sym(g)
        hoop = 0
        if self.axisymmetric:
            if x is None:
                raise ValueError("axisymmetric strain needs the spatial coordinate x")
            hoop = u[0] / x[0]
        return ufl.as_tensor([[e[0, 0], e[0, 1], 0], [e[1, 0], e[1, 1], 0], [0, 0, hoop]])

    def vector(self, *comps):
        return ufl.as_vector(comps[: self.gdim])


def stress(eps, E, nu, eps_star=None):
    """Cauchy stress (3×3) for the total strain ``eps`` and eigenstrain ``eps_star``."""
    lmbda = E * nu / ((1 + nu) * (1 - 2 * nu))
    mu = E / (2 * (1 + nu))
    el = eps if eps_star is None else eps - eps_star
    return lmbda * ufl.tr(el) * ufl.Identity(3) + 2 * mu * el
