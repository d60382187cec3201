"""Small builders shared by the mechanics verification tests."""

from __future__ import annotations

from mpi4py import MPI

from meshes import tags as T


def bilayer_domain(comm=MPI.COMM_WORLD, **params):
    from solver import geometry

    geom = {
        "family": "bilayer",
        "dim": params.pop("dim", 2),
        "axisymmetric": params.pop("axisymmetric", False),
        **params,
    }
    return geometry.build(geom, comm).domain


def materials(tables: dict) -> dict:
    """role -> material table resolved by the case schema (every property present)."""
    from solver.config import resolve_material

    return {role: resolve_material(role, t) for role, t in tables.items()}


def mechanics(dom, mats, law, **kw):
    from solver.physics.mechanics import Mechanics
    from solver.problem import CoupledProblem

    m = Mechanics(dom, materials(mats), {T.INTERFACE: law}, **kw)
    prob = CoupledProblem(m.F_blocks, [r.u for r in m.regions], m.bcs, m.entity_maps)
    return m, prob


def solve_ok(prob):
    res = prob.solve()
    assert res.converged, f"Newton failed: SNES reason {res.reason}"
    return res


# The small 2D stack of the pad tests: electrode | electrolyte over the polymer_pad on rollers.
SMALL_STACK = {
    "family": "stack",
    "dim": 2,
    "W": "4 um",
    "t_e": "2 um",
    "t_c": 0,
    "t_s": ["2 um"],
    "t_counter": 0,
    "t_pad": "2 um",
    "h_max": "2 um",
}


def pad_stack_case(protocol: list[dict]):
    """The polymer_pad SLS stack under a 1 MPa stack pressure, run through ``protocol``
    (the ``[[loading.protocol]]`` steps); mechanics and inelasticity only, no fields."""
    from solver.config import case_from_dict

    return case_from_dict(
        {
            "geometry": dict(SMALL_STACK),
            "materials": {"electrode": "NMC811", "electrolyte": "LLZO", "pad": "polymer_pad"},
            "loading": {"stack_pressure": "1 MPa", "protocol": protocol},
            "physics": {"mechanics": True, "inelastic": True},
            "output": {"fields": False, "preview": False},
        }
    )
