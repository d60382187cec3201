"""Reduced-order models of contact loss: closed forms and small ODEs (NumPy/SciPy only).

One module per concept: :mod:`.hertz`, :mod:`.jkr`, :mod:`.microcontact`, :mod:`.constriction`,
:mod:`.cohesive`, :mod:`.thinfilm`, :mod:`.interphase`, :mod:`.sls`, :mod:`.runaway`,
:mod:`.arrhenius`. They serve as verification oracles for the FE solver, sub-grid laws and the
fast screening of a case (:mod:`solver.screen`, ``ssbx screen``; docs/theory.md §8). Every function
takes and returns SI values, broadcasts over NumPy arrays and raises ``ValueError`` naming the
offending parameter. SciPy is imported lazily (only by the GW micro-contact integrals and the
runaway ODE).
"""

from ._common import FARADAY, GAS_CONSTANT
from .arrhenius import arrhenius, arrhenius_factor
from .cohesive import bk_toughness, delamination_check, energy_release_rate, mode_mixity
from .constriction import (
    constriction_asr,
    constriction_factor,
    flux_tube_correction,
    flux_tube_resistance,
    greenwood_resistance,
    greenwood_resistance_spots,
    holm_resistance,
    isoflux_spot_resistance,
    local_current_density,
)
from .hertz import (
    effective_modulus,
    hertz_cylinder_halfwidth,
    hertz_cylinder_peak_pressure,
    hertz_cylinder_pressure,
    hertz_sphere_approach,
    hertz_sphere_load,
    hertz_sphere_peak_pressure,
    hertz_sphere_pressure,
    hertz_sphere_radius,
)
from .interphase import (
    sei_critical_thickness,
    sei_diffusivity,
    sei_pressure,
    sei_pressure_series,
    sei_resistance,
    sei_thickness,
    sei_time_to_contact_loss,
    sei_time_to_contact_loss_series,
)
from .jkr import (
    jkr_approach,
    jkr_load,
    jkr_pull_off_force,
    jkr_pull_off_radius,
    jkr_radius,
    jkr_zero_load_radius,
)
from .microcontact import (
    gw_contact_fraction,
    gw_contact_fraction_at_pressure,
    gw_F,
    gw_mean_spot_radius,
    gw_pressure,
    gw_separation,
    gw_spot_density,
    microcontact_spots,
    plastic_contact_fraction,
)
from .runaway import (
    RunawayParams,
    RunawayResult,
    critical_current,
    equilibrium_current,
    equilibrium_radius,
    resistance,
    simulate,
    spot_heat_capacity,
    spot_thermal_conductance,
    steady_state,
)
from .sls import sls_pressure, sls_time_to_pressure
from .thinfilm import biaxial_modulus, film_stress, lithiation_shear_traction, stoney_curvature

__all__ = [
    "FARADAY",
    "GAS_CONSTANT",
    "RunawayParams",
    "RunawayResult",
    "arrhenius",
    "arrhenius_factor",
    "biaxial_modulus",
    "bk_toughness",
    "constriction_asr",
    "constriction_factor",
    "critical_current",
    "delamination_check",
    "effective_modulus",
    "energy_release_rate",
    "equilibrium_current",
    "equilibrium_radius",
    "film_stress",
    "flux_tube_correction",
    "flux_tube_resistance",
    "greenwood_resistance",
    "greenwood_resistance_spots",
    "gw_F",
    "gw_contact_fraction",
    "gw_contact_fraction_at_pressure",
    "gw_mean_spot_radius",
    "gw_pressure",
    "gw_separation",
    "gw_spot_density",
    "hertz_cylinder_halfwidth",
    "hertz_cylinder_peak_pressure",
    "hertz_cylinder_pressure",
    "hertz_sphere_approach",
    "hertz_sphere_load",
    "hertz_sphere_peak_pressure",
    "hertz_sphere_pressure",
    "hertz_sphere_radius",
    "holm_resistance",
    "isoflux_spot_resistance",
    "jkr_approach",
    "jkr_load",
    "jkr_pull_off_force",
    "jkr_pull_off_radius",
    "jkr_radius",
    "jkr_zero_load_radius",
    "lithiation_shear_traction",
    "local_current_density",
    "mode_mixity",
    "plastic_contact_fraction",
    "microcontact_spots",
    "resistance",
    "sei_critical_thickness",
    "sei_diffusivity",
    "sei_pressure",
    "sei_pressure_series",
    "sei_resistance",
    "sei_thickness",
    "sei_time_to_contact_loss",
    "sei_time_to_contact_loss_series",
    "simulate",
    "sls_pressure",
    "sls_time_to_pressure",
    "spot_heat_capacity",
    "spot_thermal_conductance",
    "steady_state",
    "stoney_curvature",
]
