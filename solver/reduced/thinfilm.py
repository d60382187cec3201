"""Thin bonded films with an eigenstrain (lithiation, thermal expansion).

Biaxial modulus M = E/(1 − ν) [Pa]. A film with isotropic eigenstrain ε* bonded to a much stiffer
substrate carries the equi-biaxial in-plane stress σ = −M ε* away from its edges (the same in 2D
plane strain, where the out-of-plane strain is also constrained). A lateral lithiation gradient
∂c/∂x in a film of thickness h with Vegard coefficient β [m³/mol] is balanced by the interface
shear traction τ = M h β ∂c/∂x [Pa] (docs/theory.md §8). Stoney (1909, Proc. R. Soc. A 82,
172): a film of thickness h_f and stress σ_f on a substrate (E_s, ν_s, h_s) bends it to the
curvature κ = 6 σ_f h_f (1 − ν_s)/(E_s h_s²) [1/m] (h_f ≪ h_s). All functions broadcast.
"""

from __future__ import annotations

from ._common import check, out


def biaxial_modulus(E, nu):
    """M = E/(1 − ν) [Pa] for Young's modulus E [Pa] and Poisson ratio ν ∈ (−1, 0.5]."""
    E = check("E", E, gt=0)
    nu = check("nu", nu, gt=-1, le=0.5)
    return out(E / (1.0 - nu))


def film_stress(E, nu, eigenstrain):
    """In-plane stress σ = −M ε* [Pa] of a film bonded to a rigid substrate (ε* [-])."""
    eigenstrain = check("eigenstrain", eigenstrain)
    return out(-biaxial_modulus(E, nu) * eigenstrain)


def lithiation_shear_traction(E, nu, h, beta, dc_dx):
    """Interface shear traction τ = M h β ∂c/∂x [Pa].

    h: film thickness [m]; beta: Vegard coefficient [m³/mol]; dc_dx: gradient [mol/m⁴].
    """
    h = check("h", h, gt=0)
    beta = check("beta", beta)
    dc_dx = check("dc_dx", dc_dx)
    return out(biaxial_modulus(E, nu) * h * beta * dc_dx)


def stoney_curvature(sigma_f, h_f, E_s, nu_s, h_s):
    """Substrate curvature [1/m] = 6 σ_f h_f (1 − ν_s)/(E_s h_s²) (Stoney)."""
    sigma_f = check("sigma_f", sigma_f)
    h_f = check("h_f", h_f, gt=0)
    E_s = check("E_s", E_s, gt=0)
    nu_s = check("nu_s", nu_s, gt=-1, le=0.5)
    h_s = check("h_s", h_s, gt=0)
    return out(6.0 * sigma_f * h_f * (1.0 - nu_s) / (E_s * h_s**2))
