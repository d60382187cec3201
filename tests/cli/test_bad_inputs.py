"""Bad inputs, table-driven: every row is a small case file with exactly one problem.

For each row ``ssbx check CASE`` and ``ssbx run CASE -o DIR`` must exit with code 2, print exactly
one line on stderr (``ssbx: error: <key>: ...``) naming the offending key, print no traceback,
and ``run`` must not create the run directory. Rows marked ``at_build`` are only detectable when
the geometry is built (``check`` may accept them; ``run`` must refuse them before any output).

Every row runs through ``solver.cli.main`` in the test process (the console script's code path
without the interpreter start-up); every ``SUBPROCESS_EVERY``-th row and every build-time row
also runs as the ``ssbx`` console script in a fresh process, whose exit code, stdout and stderr
must equal the in-process ones.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

# an intercalation electrode in an electrochemistry case needs an open-circuit potential
OCV = "[materials.electrode]\npreset = 'NMC811'\nocv = 3.7\n"

ROOT = Path(__file__).resolve().parents[2]

MISSING = None  # the case file does not exist

# (id, case text, fragment the single error line must contain, only detectable at build)
ROWS = [
    (
        "negative_modulus",
        '[materials.electrode]\npreset = "NMC811"\nE = "-5 GPa"\n',
        "materials.electrode.E: got '-5 GPa'",
        False,
    ),
    (
        "poisson_ratio_half",
        '[materials.electrolyte]\npreset = "LLZO"\nnu = 0.5\n',
        "materials.electrolyte.nu: got 0.5, allowed (-1, 0.5)",
        False,
    ),
    (
        "poisson_ratio_above_half",
        '[materials.electrode]\npreset = "Li"\nnu = 0.7\n',
        "materials.electrode.nu",
        False,
    ),
    (
        "unknown_material",
        '[materials]\nelectrolyte = "Unobtainium"\n',
        "materials.electrolyte: got 'Unobtainium', allowed a preset name",
        False,
    ),
    (
        "unknown_key",
        '[interface]\nsigma_cc = "20 MPa"\n',
        "interface.sigma_cc: unknown key (did you mean 'sigma_c'?)",
        False,
    ),
    (
        "unknown_section",
        "[solvr]\nrtol = 1e-8\n",
        "solvr: unknown section (did you mean 'solver'?)",
        False,
    ),
    (
        "wrong_unit_dimension",
        '[geometry]\nt_e = "5 MPa"\n',
        "geometry.t_e: '5 MPa' has dimension 'pressure', expected 'length'",
        False,
    ),
    (
        "unparsable_quantity",
        '[loading]\nstack_pressure = "five MPa"\n',
        "loading.stack_pressure: cannot read 'five MPa'",
        False,
    ),
    (
        "unknown_unit",
        '[interface]\ng_open = "1 furlong"\n',
        "interface.g_open: cannot read '1 furlong': unknown unit 'furlong'",
        False,
    ),
    (
        "zero_layer_thickness",
        "[geometry]\nt_s = 0\n",
        "geometry.t_s: got 0, allowed (0, inf) m",
        False,
    ),
    (
        "zero_stack_layer",
        '[geometry]\nfamily = "stack"\nt_s = ["10 um", "0 um"]\n'
        '[materials]\nelectrode = "Li"\ncoating = "In"\nelectrolyte_2 = "LPSCl"\n'
        'counter = "In"\npad = "polymer_pad"\n',
        "geometry.t_s",
        False,
    ),
    (
        "negative_stack_pressure",
        '[loading]\nstack_pressure = "-1 MPa"\n',
        "loading.stack_pressure: got '-1 MPa' (= -1e+06 Pa), allowed [0, inf) Pa",
        False,
    ),
    (
        "below_absolute_zero",
        '[loading]\ntemperature = "-300 degC"\n',
        "loading.temperature: got '-300 degC'",
        False,
    ),
    (
        "axisymmetric_3d",
        "[geometry]\ndim = 3\naxisymmetric = true\n",
        "geometry.axisymmetric: got true with dim = 3, allowed only with dim = 2",
        False,
    ),
    ("dim_4", "[geometry]\ndim = 4\n", "geometry.dim: got 4, allowed one of 2, 3", False),
    ("missing_case_file", MISSING, "missing.toml': no such file", False),
    (
        "missing_mesh_file",
        '[geometry]\nmesh_file = "meshes/none.msh"\n',
        "geometry.mesh_file: got 'meshes/none.msh', allowed an existing .msh file",
        False,
    ),
    (
        "mesh_file_not_msh",
        '[geometry]\nmesh_file = "case.toml"\n',
        "geometry.mesh_file: got 'case.toml', allowed a Gmsh .msh file",
        False,
    ),
    ("toml_syntax_error", '[geometry]\nt_e = "5 um\n', "TOML syntax error", False),
    (
        "unknown_family",
        '[geometry]\nfamily = "trilayer"\n',
        "geometry.family: got 'trilayer', allowed one of",
        False,
    ),
    (
        "volume_fraction_out_of_range",
        '[geometry]\nfamily = "composite"\nvolume_fraction = 0.9\n',
        "geometry.volume_fraction: got 0.9",
        False,
    ),
    (
        "particles_do_not_fit",
        '[geometry]\nfamily = "composite"\nvolume_fraction = 0.6\n',
        "geometry.volume_fraction: got 0.6",
        True,
    ),
    (
        "amplitude_reaches_the_face",
        '[geometry]\ninterface = "sinusoid"\namplitude = "9.5 um"\n',
        "geometry.amplitude: got 9.5e-06",
        True,
    ),
    (
        "rough_axisymmetric",
        '[geometry]\nfamily = "rough"\naxisymmetric = true\n',
        "geometry.axisymmetric: got true",
        True,
    ),
    (
        "asperity_3d",
        '[geometry]\nfamily = "asperity"\ndim = 3\n',
        "geometry.dim: got 3",
        True,
    ),
    (
        "petsc_option_value_type",
        '[solver.petsc_options]\nksp_type = ["preonly"]\n',
        "solver.petsc_options.ksp_type: got ['preonly'], allowed a string, number or boolean",
        False,
    ),
    (
        "petsc_option_leading_dash",
        '[solver.petsc_options]\n"-pc_type" = "lu"\n',
        "solver.petsc_options.-pc_type: got option name '-pc_type'",
        False,
    ),
    ("degree_3", "[physics]\ndegree = 3\n", "physics.degree: got 3, allowed one of 1, 2", False),
    ("output_every_0", "[output]\nevery = 0\n", "output.every: got 0", False),
    (
        "hurst_exponent_1",
        '[geometry]\nfamily = "rough"\nhurst = 1.0\n',
        "geometry.hurst: got 1",
        False,
    ),
    (
        "electrolyte_given_an_electrode",
        '[materials]\nelectrolyte = "NMC811"\n',
        "materials.electrolyte: got 'NMC811' (kind electrode), allowed a material of kind "
        "electrolyte",
        False,
    ),
    (
        "material_for_absent_role",
        '[materials]\ncoating = "LiNbO3"\n',
        "materials.coating: got a material for role 'coating'",
        False,
    ),
    (
        "stack_role_without_material",
        '[geometry]\nfamily = "stack"\nt_counter = 0\nt_pad = 0\n'
        '[materials]\nelectrode = "Li"\nelectrolyte = "LLZO"\nelectrolyte_2 = "LPSCl"\n',
        "materials.coating: missing",
        False,
    ),
    (
        "electrochemistry_needs_kappa",
        OCV + "[physics]\nelectrochemistry = true\n"
        '[materials.electrolyte]\nE = "100 GPa"\nnu = 0.25\nhardness = "5 GPa"\n',
        "materials.electrolyte.kappa: missing, required by physics.electrochemistry",
        False,
    ),
    (
        "protocol_step_without_duration",
        '[[loading.protocol]]\nkind = "hold"\n',
        "loading.protocol[0].duration: missing",
        False,
    ),
    (
        "bool_as_text",
        '[physics]\nmechanics = "yes"\n',
        "physics.mechanics: got 'yes', allowed true or false",
        False,
    ),
    (
        "thermal_bc_unknown",
        '[physics]\nthermal = true\n[thermal]\ntop = "radiative"\n',
        "thermal.top: got 'radiative'",
        False,
    ),
    (
        "thermal_negative_h_conv",
        '[physics]\nthermal = true\n[thermal]\nh_conv = "-5 W/(m^2*K)"\n',
        "thermal.h_conv: got '-5 W/(m^2*K)'",
        False,
    ),
    (
        "thermal_missing_conductivity",
        '[physics]\nthermal = true\n[materials.electrolyte]\nE = "100 GPa"\nnu = 0.25\n'
        'density = "5000 kg/m^3"\ncp = "600 J/(kg*K)"\n',
        "materials.electrolyte.k_th: missing, required by physics.thermal",
        False,
    ),
    (
        "shrink_without_electrochemistry",
        '[physics]\nthermal = true\n[thermal]\ntau_shrink = "10 s"\n',
        "thermal.tau_shrink: contact shrinkage needs physics.electrochemistry = true",
        False,
    ),
    (
        "no_support",
        '[loading]\nbottom = "free"\nlateral = "free"\n',
        "loading: no support suppresses the stack's translation along y",
        True,
    ),
    (
        "debonded_region_reversed",
        '[[interface.debonded]]\nshape = "interval"\nx = ["5 um", "1 um"]\n',
        "interface.debonded[0].x: got [5e-06, 1e-06] m, allowed [lo, hi] with lo < hi",
        False,
    ),
    (
        "initial_gap_sphere_in_plane_strain",
        '[interface.initial_gap]\nshape = "sphere"\nradius = "10 um"\n',
        "interface.initial_gap.shape: got 'sphere' in 2D plane strain",
        False,
    ),
    (
        "rough_mesh_coarser_than_its_surface",
        '[geometry]\nfamily = "rough"\nmin_wavelength = "2 um"\nh_interface = "1 um"\n',
        "h_interface: got 1e-06 m, allowed (0, 5e-07] m",
        False,
    ),
    (
        "rough_surface_thicker_than_its_layers",
        '[geometry]\nfamily = "rough"\nrms = "3 um"\n',
        "geometry.rms: got 3e-06 m: max |h| = 8.15719e-06 m, allowed max |h| < 5e-06 m",
        False,
    ),
    (
        "boundary_traction_at_a_point",
        '[[loading.boundary]]\npoint = ["0 um", "1 um"]\nty = "1 MPa"\n',
        "loading.boundary[0].point: got a traction or force at a point",
        False,
    ),
    (
        "boundary_face_and_point",
        '[[loading.boundary]]\nface = "top"\npoint = ["0 um", "1 um"]\nuy = "1 nm"\n',
        "loading.boundary[0]: got both face and point, allowed exactly one of them",
        False,
    ),
    (
        "boundary_unknown_region",
        '[[loading.boundary]]\nface = "top"\nregion = "electrolite"\nuy = "1 nm"\n',
        "loading.boundary[0].region: got 'electrolite', allowed a role of this geometry",
        False,
    ),
    (
        "boundary_two_conditions_one_component",
        '[[loading.boundary]]\nface = "top"\nuy = "1 nm"\nty = "1 MPa"\n',
        "loading.boundary[0].uy: got uy and ty, allowed one condition per component",
        False,
    ),
    (
        "load_factor_without_boundary",
        '[[loading.protocol]]\nkind = "hold"\nduration = "1 s"\nload_factor = 2\n',
        "loading.protocol[0].load_factor: got 2, allowed only with [[loading.boundary]]",
        False,
    ),
    (
        "retention_min_out_of_range",
        "[physics]\nthermal = true\n[thermal]\nretention_min = 1.5\n",
        "thermal.retention_min: got 1.5, allowed (0, 1)",
        False,
    ),
    # keys that would change nothing (docs/case-format.md, "Keys that change nothing")
    (
        "ageing_switch_with_nothing_to_age",
        "[physics]\nageing = true\n",
        "physics.ageing: got true with nothing to age: set ageing.sei_D",
        False,
    ),
    (
        "ageing_without_mechanics",
        OCV + "[physics]\nageing = true\nmechanics = false\nelectrochemistry = true\n"
        "[ageing]\nsei_D = 1e-19\n",
        "physics.ageing: got true, allowed false without physics.mechanics",
        False,
    ),
    (
        "ageing_rtol_without_ageing",
        "[ageing]\nrtol = 0.1\n",
        "ageing.rtol: got 0.1, allowed the default 0.05 here",
        False,
    ),
    (
        "ageing_growth_strain_out_of_range",
        "[physics]\nageing = true\n[ageing]\nsei_D = 1e-19\nsei_growth_strain = 1.5\n",
        "ageing.sei_growth_strain: got 1.5, allowed (-1, 1)",
        False,
    ),
    (
        "ageing_rtol_out_of_range",
        "[physics]\nageing = true\n[ageing]\nsei_D = 1e-19\nrtol = 0\n",
        "ageing.rtol: got 0, allowed (0, 1]",
        False,
    ),
    (
        "newton_rtol_not_used",
        "[solver]\nrtol = 1e-8\n",
        "solver.rtol: got 1e-08, allowed no value: the Newton solver converges when the update",
        False,
    ),
    (
        "newton_atol_not_used",
        "[solver]\natol = 1e-12\n",
        "solver.atol: got 1e-12, allowed no value",
        False,
    ),
    (
        "unbonded_electrolyte_layers",
        '[geometry]\nfamily = "stack"\n[materials]\ncoating = "LiNbO3"\nelectrolyte_2 = "LPSCl"\n'
        'counter = "In"\npad = "polymer_pad"\n[interface]\nbonded_layers = false\n',
        "interface.bonded_layers: got false, allowed true",
        False,
    ),
    (
        "pad_strain_without_a_pad",
        "[loading]\npad_strain = 0.1\n",
        "loading.pad_strain: got 0.1, allowed the default 0.05 here: this geometry has no pad",
        False,
    ),
    (
        "critical_pad_pressure_without_a_pad",
        '[ageing]\np_c = "1 MPa"\n',
        "ageing.p_c: got 1e+06 Pa, allowed the default 100000 Pa here",
        False,
    ),
    (
        "friction_without_mechanics",
        OCV
        + "[physics]\nmechanics = false\nelectrochemistry = true\n[interface]\nfriction = 0.3\n",
        "interface.friction: got 0.3, allowed the default 0 with physics.mechanics = false",
        False,
    ),
    (
        "debonded_without_mechanics",
        OCV + "[physics]\nmechanics = false\nelectrochemistry = true\n"
        '[[interface.debonded]]\nshape = "all"\n',
        "interface.debonded: got 1 region(s), allowed none with physics.mechanics = false",
        False,
    ),
    (
        "heat_key_without_heat",
        '[thermal]\nh_conv = "20 W/(m^2*K)"\n',
        "thermal.h_conv: got 20 W/m^2/K, allowed the default 10 W/m^2/K with "
        "physics.thermal = false",
        False,
    ),
    (
        "kinetics_activation_without_potentials",
        '[interface]\nEa_i0 = "30 kJ/mol"\n',
        "interface.Ea_i0: got 30000 J/mol, allowed the default 0 J/mol with "
        "physics.electrochemistry = false",
        False,
    ),
    (
        "current_step_without_potentials",
        '[[loading.protocol]]\nkind = "current"\nduration = "1 s"\n',
        "loading.protocol[0].kind: got 'current' with physics.electrochemistry = false",
        False,
    ),
    (
        "lithiate_step_with_transport",
        OCV + "[physics]\nelectrochemistry = true\ntransport = true\n"
        '[[loading.protocol]]\nkind = "lithiate"\nduration = "1 s"\nsoc = 0.5\n',
        "loading.protocol[0].kind: got 'lithiate' with physics.transport = true",
        False,
    ),
    (
        "step_pressure_in_displacement_mode",
        '[loading]\npressure_mode = "displacement"\n'
        '[[loading.protocol]]\nkind = "hold"\nduration = "1 s"\nstack_pressure = "3 MPa"\n',
        "loading.protocol[0].stack_pressure: got 3e+06 Pa, allowed loading.stack_pressure",
        False,
    ),
    (
        "field_stride_without_fields",
        "[output]\nfields = false\nevery = 2\n",
        "output.every: got 2, allowed 1 with output.fields = false",
        False,
    ),
    # limits before work (issue 16 items 5-6): refused in validation, before any mesh or file
    (
        "mesh_too_fine_5nm",
        '[geometry]\nh_max = "5 nm"\n',
        "geometry.h_max: the mesh would have about 7.4e+07 cells",
        False,
    ),
    (
        "mesh_too_fine_1nm_rough",
        '[geometry]\nfamily = "rough"\nh_max = "1 nm"\n',
        "allowed at most solver.max_cells = 5e+06",
        False,
    ),
    (
        "mesh_too_fine_tiny_particles",
        '[geometry]\nfamily = "composite"\nr_mean = "1 nm"\n',
        "allowed at most solver.max_cells = 5e+06",
        False,
    ),
    (
        "mesh_too_fine_rough_3d_wavelength",
        '[geometry]\nfamily = "rough"\ndim = 3\nmin_wavelength = "1 nm"\n',
        "allowed at most solver.max_cells = 5e+06",
        False,
    ),
    (
        "mesh_above_a_lowered_limit",
        "[solver]\nmax_cells = 100\n",
        "allowed at most solver.max_cells = 100",
        False,
    ),
    ("max_cells_zero", "[solver]\nmax_cells = 0\n", "solver.max_cells: got 0", False),
    ("nan_thickness", "[geometry]\nt_e = nan\n", "geometry.t_e: expected a finite length", False),
    (
        "inf_pressure",
        "[loading]\nstack_pressure = inf\n",
        "loading.stack_pressure: expected a finite pressure, got inf",
        False,
    ),
    (
        "nan_modulus",
        '[materials.electrode]\npreset = "NMC811"\nE = nan\n',
        "materials.electrode.E",
        False,
    ),
    (
        "integer_of_400_digits_length",
        "[geometry]\nt_e = 1" + "0" * 400 + "\n",
        "geometry.t_e: expected a finite length, got an integer of ~400 digits",
        False,
    ),
    (
        "step_floor_zero",
        "[solver]\nmin_step = 0\n",
        "solver.min_step: got 0, allowed (0, 1]",
        False,
    ),
    (
        "contact_lost_fraction_one",
        "[solver]\ncontact_lost_fraction = 1\n",
        "solver.contact_lost_fraction: got 1, allowed [0, 1)",
        False,
    ),
    (
        "path_following_unknown",
        '[solver]\npath_following = "arc_length"\n',
        "solver.path_following: got 'arc_length', allowed one of 'none', 'dissipation'",
        False,
    ),
    (
        "path_following_with_electrochemistry",
        '[solver]\npath_following = "dissipation"\n',
        "solver.path_following: got 'dissipation', allowed 'none' unless the run is mechanics",
        False,
    ),
    (
        "consecutive_cuts_negative",
        "[solver]\nmax_consecutive_cuts = -1\n",
        "solver.max_consecutive_cuts: got -1, allowed an integer in [0, 100000]",
        False,
    ),
    (
        "integer_of_400_digits_count",
        "[solver]\nmax_cuts = 1" + "0" * 400 + "\n",
        "solver.max_cuts: got an integer of ~400 digits, allowed an integer in [0, 50]",
        False,
    ),
    (
        "integer_of_400_digits_pressure",
        "[loading]\nstack_pressure = 1" + "0" * 400 + "\n",
        "loading.stack_pressure: expected a finite pressure, got an integer of ~400 digits",
        False,
    ),
    (
        "thickness_1e308",
        "[geometry]\nt_e = 1e308\n",
        "geometry.t_e: got 1e+308 m, allowed at most 1 m",
        False,
    ),
    (
        "width_2_m",
        '[geometry]\nW = "2 m"\n',
        "geometry.W: got 2 m, allowed at most 1 m",
        False,
    ),
    (
        "interface_length_2_m",
        '[interface]\ng_open = "2 m"\n',
        "interface.g_open: got '2 m' (= 2 m), allowed |value| <= 1 m",
        False,
    ),
    (
        "temperature_1e9",
        "[loading]\ntemperature = 1e9\n",
        "loading.temperature: got 1e+09, allowed |value| <= 10000 K",
        False,
    ),
    (
        "step_duration_1e20_s",
        '[[loading.protocol]]\nkind = "hold"\nduration = 1e20\n',
        "loading.protocol[0].duration: got 1e+20, allowed |value| <= 1e+10 s",
        False,
    ),
    (
        "case_name_300_characters",
        '[case]\nname = "' + "a" * 300 + '"\n',
        "case.name: got a name of 300 characters, allowed at most 100",
        False,
    ),
    (
        "petsc_ksp_type_nonsense",
        '[solver.petsc_options]\nksp_type = "nonsense"\n',
        "solver.petsc_options.ksp_type: got 'nonsense'",
        False,
    ),
    (
        "petsc_solver_type_typo",
        '[solver.petsc_options]\npc_factor_mat_solver_type = "mumsp"\n',
        "solver.petsc_options.pc_factor_mat_solver_type: got 'mumsp' (did you mean 'mumps'?)",
        False,
    ),
    (
        "petsc_pc_type_a_number",
        "[solver.petsc_options]\nfieldsplit_0_pc_type = 3\n",
        "solver.petsc_options.fieldsplit_0_pc_type: got 3, allowed a PETSc type",
        False,
    ),
    (
        "mesh_file_empty",
        '[geometry]\nmesh_file = "empty.msh"\n',
        "geometry.mesh_file: got 'empty.msh', an empty file",
        False,
    ),
    (
        "mesh_file_junk",
        '[geometry]\nmesh_file = "junk.msh"\n',
        "geometry.mesh_file: got 'junk.msh', not a Gmsh mesh",
        False,
    ),
    (
        "current_profile_nan",
        OCV + "[physics]\nelectrochemistry = true\n"
        '[[loading.protocol]]\nkind = "current"\nduration = "1 s"\nprofile = "nan.csv"\n',
        "loading.protocol[0].profile: ",
        False,
    ),
    (
        "gap_profile_inf",
        '[interface.initial_gap]\nshape = "csv"\nfile = "inf.csv"\n',
        "interface.initial_gap.file: ",
        False,
    ),  # rate-dependent inelasticity (physics.inelastic)
    (
        "inelastic_without_a_law",
        "[physics]\ninelastic = true\n",
        "physics.inelastic: got true, allowed false here: no material has creep",
        False,
    ),
    (
        "creep_key_with_inelastic_off",
        '[materials.electrode]\npreset = "Li"\ncreep_n = 5\n[materials]\nelectrolyte = "LLZO"\n',
        "materials.electrode.creep_n: got 5, allowed no value with physics.inelastic = false",
        False,
    ),
    (
        "creep_exponent_below_one",
        '[materials.electrode]\npreset = "Li"\ncreep_n = 0.5\n',
        "materials.electrode.creep_n: got 0.5, allowed [1, inf)",
        False,
    ),
    (
        "sls_moduli_not_summing_to_E",
        '[physics]\ninelastic = true\n[materials.electrode]\npreset = "NMC811"\n'
        'E1 = "40 MPa"\nE2 = "20 MPa"\ntau = "1 h"\n',
        "materials.electrode.E: got 2e+11 Pa, allowed E1 + E2 = 6e+07 Pa",
        False,
    ),
    (
        "prony_term_without_time",
        '[physics]\ninelastic = true\n[materials.electrode]\npreset = "NMC811"\n'
        'prony_E1 = "40 GPa"\n',
        "materials.electrode.prony_tau1: missing, required by the Prony term 1",
        False,
    ),
    (
        "wlf_and_arrhenius_shift",
        '[physics]\ninelastic = true\n[materials.electrode]\npreset = "NMC811"\n'
        'prony_E1 = "40 GPa"\nprony_tau1 = "1 h"\nwlf_C1 = 17.44\nwlf_C2 = "51.6 K"\n'
        'Ea_tau = "50 kJ/mol"\n',
        "materials.electrode.Ea_tau: got 50000 J/mol with the WLF keys",
        False,
    ),
    # issue 16, second batch of new classes: PETSc options probed before any work, the cell
    # limit of a mesh file, path-like names, unreadable case files, malformed profiles and
    # structures, absurd step counts and current densities
    (
        "petsc_option_misspelt",
        "[solver.petsc_options]\nksp_rtoll = 1e-8\n",
        "solver.petsc_options.ksp_rtoll: not an option PETSc knows for snes_type/ksp_type/"
        "pc_type = newtonls/preonly/lu (did you mean 'ksp_rtol'?)",
        False,
    ),
    (
        "petsc_option_ignored_by_the_solver",
        "[solver.petsc_options]\nksp_rtol = 1e-8\n",
        "solver.petsc_options.ksp_rtol: PETSc ignores this option with snes_type/ksp_type/"
        "pc_type = newtonls/preonly/lu",
        False,
    ),
    (
        "petsc_number_given_as_text",
        '[solver.petsc_options]\nksp_type = "gmres"\nksp_rtol = "small"\n',
        "solver.petsc_options.ksp_rtol: got 'small', allowed a value PETSc can read",
        False,
    ),
    (
        "petsc_count_not_an_integer",
        "[solver.petsc_options]\nsnes_max_it = 2.5\n",
        "solver.petsc_options.snes_max_it: got 2.5, allowed a value PETSc can read",
        False,
    ),
    (
        "petsc_option_nan",
        "[solver.petsc_options]\nsnes_rtol = nan\n",
        "solver.petsc_options.snes_rtol: got nan",
        False,
    ),
    (
        "ssbx_linear_solver_unknown",
        '[solver.petsc_options]\nssbx_pc = "bogus"\n',
        "solver.petsc_options.ssbx_pc: got 'bogus', allowed one of 'mumps', 'auxiliary'",
        False,
    ),
    (
        "linear_solver_unknown",
        '[solver]\nlinear_solver = "gmres"\n',
        "solver.linear_solver: got 'gmres', allowed one of 'auto', 'direct', 'iterative'",
        False,
    ),
    (
        "linear_solver_iterative_with_mumps",
        '[solver]\nlinear_solver = "iterative"\n[solver.petsc_options]\nssbx_pc = "mumps"\n',
        "solver.linear_solver: got 'iterative' with solver.petsc_options.ssbx_pc = 'mumps', "
        "allowed 'direct' or 'auto'",
        False,
    ),
    (
        "linear_solver_direct_with_auxiliary",
        '[solver]\nlinear_solver = "direct"\n[solver.petsc_options]\nssbx_pc = "auxiliary"\n',
        "solver.linear_solver: got 'direct' with solver.petsc_options.ssbx_pc = 'auxiliary', "
        "allowed 'iterative' or 'auto'",
        False,
    ),
    (
        "mesh_file_above_the_cell_limit",
        '[geometry]\nmesh_file = "two.msh"\n[solver]\nmax_cells = 1\n',
        "geometry.mesh_file: got 'two.msh' with 2 cells, allowed at most solver.max_cells = 1",
        False,
    ),
    (
        "mesh_file_a_directory",
        '[geometry]\nmesh_file = "folder.msh"\n',
        "folder.msh' is a directory)",
        False,
    ),
    (
        "case_name_a_path",
        '[case]\nname = "../../etc"\n',
        "case.name: got '../../etc', allowed letters, digits and _ . + -",
        False,
    ),
    (
        "case_file_binary",
        "\x00\xff\xfejunk",
        "not UTF-8 text",
        False,
    ),
    (
        "case_file_a_directory",
        "DIRECTORY",
        "is a directory, expected a .toml file",
        False,
    ),
    (
        "toml_duplicate_key",
        '[geometry]\nW = "10 um"\nW = "20 um"\n',
        "TOML syntax error: Cannot overwrite a value",
        False,
    ),
    (
        "quantity_given_an_array",
        '[geometry]\nW = ["10 um", "20 um"]\n',
        "geometry.W: expected a number or a '<number> <unit>' string",
        False,
    ),
    (
        "protocol_not_an_array",
        "[loading]\nprotocol = 5\n",
        "loading.protocol: got 5, allowed an array of tables",
        False,
    ),
    (
        "steps_1e9",
        '[[loading.protocol]]\nkind = "hold"\nduration = "1 s"\nn_steps = 1000000000\n',
        "loading.protocol[0].n_steps: got 1000000000, allowed an integer in [1, 100000]",
        False,
    ),
    (
        "h_interface_coarser_than_h_max",
        '[geometry]\nh_max = "1 um"\nh_interface = "5 um"\n',
        "geometry.h_interface: got 5e-06, allowed (0, h_max = 1e-06] m",
        False,
    ),
    (
        "current_profile_single_row",
        OCV + "[physics]\nelectrochemistry = true\n"
        '[[loading.protocol]]\nkind = "current"\nduration = "1 s"\nprofile = "one.csv"\n',
        "one.csv' needs >= 2 rows with strictly increasing time",
        False,
    ),
    (
        "current_profile_time_going_back",
        OCV + "[physics]\nelectrochemistry = true\n"
        '[[loading.protocol]]\nkind = "current"\nduration = "1 s"\nprofile = "back.csv"\n',
        "back.csv' needs >= 2 rows with strictly increasing time",
        False,
    ),
    (
        "current_profile_1e30_A_m2",
        OCV + "[physics]\nelectrochemistry = true\n"
        '[[loading.protocol]]\nkind = "current"\nduration = "1 s"\nprofile = "huge.csv"\n',
        "huge.csv' has the row (1 s, 1e+30 A/m^2), allowed |time| <= 1e+10 s and |current "
        "density| <= 1e+07 A/m^2",
        False,
    ),
    (
        "current_density_1e9_A_m2",
        OCV + '[physics]\nelectrochemistry = true\n[loading]\ncurrent_density = "1e5 A/cm^2"\n',
        "loading.current_density: got '1e5 A/cm^2' (= 1e+09 A/m^2), allowed |value| <= 1e+07 A/m^2",
        False,
    ),
    (
        "gap_profile_one_column",
        '[interface.initial_gap]\nshape = "csv"\nfile = "col.csv"\n',
        "col.csv' is not a CSV of >= 2 finite (x, g0) rows in metres",
        False,
    ),
    (
        "electrode_without_ocv",
        "[physics]\nelectrochemistry = true\n[materials.electrode]\nkind = 'electrode'\n"
        "E = 1e11\nnu = 0.3\nsigma_e = 1.0\nhardness = 1e9\n",
        "materials.electrode.ocv_curve: missing, required by physics.electrochemistry",
        False,
    ),
    (
        "ocv_curve_c_init_outside_window",
        "[physics]\nelectrochemistry = true\n[materials]\nelectrode = 'NMC811'\n",
        "materials.electrode.c_init: got 0 mol/m^3, allowed [13774.7, 47023.3] mol/m^3",
        False,
    ),
    (
        "ocv_curve_unknown",
        "[physics]\nelectrochemistry = true\n[materials.electrode]\npreset = 'NMC811'\n"
        "c_init = 30000\nocv_curve = 'Chen2021'\n",
        "materials.electrode.ocv_curve: got 'Chen2021', allowed a built-in curve",
        False,
    ),
    (
        "current_cutoff_on_a_current_step",
        OCV + "[physics]\nelectrochemistry = true\n[[loading.protocol]]\nkind = 'current'\n"
        "duration = 1\ncurrent_cutoff = 1\n",
        "loading.protocol[0].current_cutoff: not used by a 'current' step",
        False,
    ),
    (
        "cycle_repeat_zero",
        "[[loading.protocol]]\nkind = 'cycle'\nrepeat = 0\n"
        "[[loading.protocol.steps]]\nkind = 'hold'\nduration = 1\n",
        "loading.protocol[0].repeat: got 0, allowed an integer in [1, 100000]",
        False,
    ),
    (
        "experiment_unreadable",
        OCV + "[physics]\nelectrochemistry = true\n[loading]\n"
        "experiment = ['Charge at 1 C until 4.2 V']\n",
        "loading.experiment[0]: expected a current density",
        False,
    ),
    # impedance (docs/theory.md §5.8): the double-layer capacitance and 'eis' steps
    (
        "negative_double_layer_capacitance",
        OCV + "[physics]\nelectrochemistry = true\n[interface]\nC_dl = '-10 uF/cm^2'\n",
        "interface.C_dl: got '-10 uF/cm^2' (= -0.1 F/m^2), allowed [0, inf) F/m^2",
        False,
    ),
    (
        "double_layer_capacitance_in_ohm",
        OCV + "[physics]\nelectrochemistry = true\n[interface]\nC_dl = '10 Ohm'\n",
        "interface.C_dl: '10 Ohm' has dimension 'resistance', expected 'capacitance/area'",
        False,
    ),
    (
        "double_layer_capacitance_without_potentials",
        "[interface]\nC_dl = '1 uF/cm^2'\n",
        "interface.C_dl: got 0.01 F/m^2, allowed the default 0.1 F/m^2 with "
        "physics.electrochemistry = false",
        False,
    ),
    (
        "eis_step_without_potentials",
        "[[loading.protocol]]\nkind = 'hold'\nduration = 1\n[[loading.protocol]]\nkind = 'eis'\n",
        "loading.protocol[1].kind: got 'eis' with physics.electrochemistry = false",
        False,
    ),
    (
        "eis_step_first",
        OCV + "[physics]\nelectrochemistry = true\n[[loading.protocol]]\nkind = 'eis'\n",
        "loading.protocol[0].kind: got 'eis' as the first step, allowed after a step that solves",
        False,
    ),
    (
        "eis_step_f_min_above_f_max",
        OCV + "[physics]\nelectrochemistry = true\n[[loading.protocol]]\nkind = 'rest'\n"
        "duration = 1\n[[loading.protocol]]\nkind = 'eis'\nf_min = '1 MHz'\nf_max = '1 kHz'\n",
        "loading.protocol[1].f_min: got 1e+06 Hz, allowed below f_max = 1000 Hz",
        False,
    ),
    (
        "eis_step_with_duration",
        OCV + "[physics]\nelectrochemistry = true\n[[loading.protocol]]\nkind = 'rest'\n"
        "duration = 1\n[[loading.protocol]]\nkind = 'eis'\nduration = 1\n",
        "loading.protocol[1].duration: not used by an 'eis' step",
        False,
    ),
    (
        "eis_step_zero_points_per_decade",
        OCV + "[physics]\nelectrochemistry = true\n[[loading.protocol]]\nkind = 'rest'\n"
        "duration = 1\n[[loading.protocol]]\nkind = 'eis'\npoints_per_decade = 0\n",
        "loading.protocol[1].points_per_decade: got 0, allowed an integer in [1, 100]",
        False,
    ),
    # physics.ageing relaxes the relaxation spectra (docs/theory.md §7.3a)
    (
        "ageing_sls_checked_without_inelastic",
        '[physics]\nageing = true\n[materials.electrode]\npreset = "NMC811"\n'
        'E1 = "40 MPa"\nE2 = "20 MPa"\ntau = "1 h"\n',
        "materials.electrode.E: got 2e+11 Pa, allowed E1 + E2 = 6e+07 Pa",
        False,
    ),
    (
        "inelastic_adds_nothing_to_ageing",
        '[physics]\nageing = true\ninelastic = true\n[materials.electrode]\npreset = "NMC811"\n'
        'E = "60 MPa"\nE1 = "40 MPa"\nE2 = "20 MPa"\ntau = "1 h"\n',
        "physics.inelastic: got true, allowed false here: physics.ageing already relaxes",
        False,
    ),
    (
        "growth_strain_without_interphase",
        "[physics]\nageing = true\n[ageing]\nsei_growth_strain = 0.1\n[materials.electrode]\n"
        'preset = "NMC811"\nE = "60 MPa"\nE1 = "40 MPa"\nE2 = "20 MPa"\ntau = "1 h"\n',
        "ageing.sei_growth_strain: got 0.1, allowed no value without ageing.sei_D",
        False,
    ),
]

# files some rows refer to (written next to their case file)
FILES = {
    "mesh_file_empty": {"empty.msh": ""},
    "mesh_file_junk": {"junk.msh": "this is not a mesh\n"},
    "current_profile_nan": {"nan.csv": "time,current\n0,1\n1,nan\n"},
    "gap_profile_inf": {"inf.csv": "x,g0\n0,0\n1e-5,inf\n"},
    "mesh_file_above_the_cell_limit": {
        "two.msh": "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n4\n1 0 0 0\n2 1e-5 0 0\n"
        "3 1e-5 1e-5 0\n4 0 1e-5 0\n$EndNodes\n$Elements\n2\n1 2 2 1 1 1 2 3\n"
        "2 2 2 1 1 1 3 4\n$EndElements\n"
    },
    "mesh_file_a_directory": {"folder.msh/": ""},
    "current_profile_single_row": {"one.csv": "t,i\n0,1\n"},
    "current_profile_time_going_back": {"back.csv": "t,i\n0,1\n1,2\n0.5,3\n"},
    "current_profile_1e30_A_m2": {"huge.csv": "t,i\n0,1\n1,1e30\n"},
    "gap_profile_one_column": {"col.csv": "x\n0\n1e-6\n"},
}


def _cmd() -> list[str]:
    exe = Path(sys.executable).with_name("ssbx")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "solver.cli"]


def _family_available(text: str | None) -> bool:
    for fam in ("rough", "composite", "asperity", "stack"):
        if text and f'family = "{fam}"' in text:
            return importlib.util.find_spec(f"meshes.{fam}") is not None
    return True


def _ssbx(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_cmd(), *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )


def _ssbx_in_process(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``ssbx ARGS`` through ``solver.cli.main`` in this process (the same code path as the
    console script without the interpreter start-up): exit code, stdout and stderr as a
    subprocess would give them; an uncaught exception becomes exit 1 with its traceback."""
    from solver.cli import main

    out, err = io.StringIO(), io.StringIO()
    here = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as e:  # argparse
                code = e.code if isinstance(e.code, int) else 1
            except Exception:
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


# Rows also run as real ``ssbx`` processes (the console script, a fresh interpreter): every
# row only detectable at build and every SUBPROCESS_EVERY-th row. Their outcome must equal the
# in-process one exactly, so the in-process table stands for what a user's shell gets.
SUBPROCESS_EVERY = 8


def _in_subprocess(i: int, at_build: bool) -> bool:
    return at_build or i % SUBPROCESS_EVERY == 0


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict:
    """Run ``check`` and ``run`` for every row in this process, and for a subset also as a
    subprocess (a thread pool keeps that fast): row id -> (check result, run result, run
    directory, subprocess results or None)."""
    jobs = {}
    for i, (rid, text, _, at_build) in enumerate(ROWS):
        if not _family_available(text):
            continue
        d = tmp_path_factory.mktemp(rid)
        case = d / ("missing.toml" if text is MISSING else "case.toml")
        if text == "DIRECTORY":
            case.mkdir()
        elif text is not MISSING:
            case.write_bytes(text.encode("latin-1") if text.startswith("\x00") else text.encode())
        for name, content in FILES.get(rid, {}).items():
            if name.endswith("/"):
                (d / name).mkdir()
            else:
                (d / name).write_text(content)
        jobs[rid] = (d, case, d / "run", d / "run_subprocess", _in_subprocess(i, at_build))
    workers = max(2, min(4, os.cpu_count() or 2))
    with ThreadPoolExecutor(workers) as pool:
        futures = {
            rid: (
                pool.submit(_ssbx, ["check", str(case)], d),
                pool.submit(_ssbx, ["run", str(case), "-o", str(sub)], d),
            )
            for rid, (d, case, _, sub, in_sub) in jobs.items()
            if in_sub
        }
        res = {}
        for rid, (d, case, rundir, _sub, _) in jobs.items():
            check = _ssbx_in_process(["check", str(case)], d)
            run = _ssbx_in_process(["run", str(case), "-o", str(rundir)], d)
            res[rid] = [check, run, rundir, None]
        for rid, (c, r) in futures.items():
            res[rid][3] = (c.result(), r.result(), jobs[rid][3])
        return res


def test_table_is_large_enough():
    assert len(ROWS) >= 18
    assert len({r[0] for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize(
    ("rid", "fragment", "at_build"), [(r[0], r[2], r[3]) for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_bad_input(outcomes, rid, fragment, at_build):
    if rid not in outcomes:
        pytest.skip("geometry family module not available yet")
    check, run, rundir, sub = outcomes[rid]

    for r in (check, run):
        assert "Traceback" not in r.stdout + r.stderr, r.stderr

    if not (at_build and check.returncode == 0):
        assert check.returncode == 2, check.stdout + check.stderr
        lines = check.stderr.splitlines()
        assert len(lines) == 1, check.stderr
        assert lines[0].startswith("ssbx: error: ")
        assert fragment in lines[0], lines[0]
        assert check.stdout == ""

    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("ssbx: error: ")
    assert fragment in lines[0], lines[0]
    assert not rundir.exists(), "run created its directory for a bad input"

    if sub is not None:  # the console script in a fresh process: the same outcome
        s_check, s_run, s_rundir = sub
        assert (s_check.returncode, s_check.stdout, s_check.stderr) == (
            check.returncode,
            check.stdout,
            check.stderr,
        )
        same = (
            run.stdout.replace(str(rundir), str(s_rundir)),
            run.stderr.replace(str(rundir), str(s_rundir)),
        )
        assert (s_run.returncode, s_run.stdout, s_run.stderr) == (run.returncode, *same)
        assert not s_rundir.exists(), "run created its directory for a bad input"


def test_a_fair_share_of_rows_also_runs_as_a_process(outcomes):
    n_sub = sum(1 for o in outcomes.values() if o[3] is not None)
    assert n_sub >= len(outcomes) // SUBPROCESS_EVERY
    at_build = [r[0] for r in ROWS if r[3] and r[0] in outcomes]
    assert at_build and all(outcomes[rid][3] is not None for rid in at_build)


def test_run_into_a_non_writable_directory_is_refused_before_work(tmp_path, monkeypatch):
    """-o under a directory the process cannot write: one line naming -o, nothing written
    (checked through solver.rundir.not_writable; root may write anywhere, so os.access is
    stubbed for the directory)."""
    from solver import rundir
    from solver.errors import InputError

    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == ro else real(p, m))
    with pytest.raises(InputError) as e:
        rundir.check_target(ro / "run" / "x", overwrite=False)
    assert len(e.value.problems) == 1
    assert "is not writable" in e.value.problems[0]
    assert e.value.problems[0].startswith(rundir.OPTION)
    assert not (ro / "run").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only directory")
def test_cli_run_into_a_read_only_directory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    case = tmp_path / "case.toml"
    case.write_text("")
    r = _ssbx(["run", str(case), "-o", str(ro / "x")], tmp_path)
    ro.chmod(0o755)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.splitlines()) == 1 and "is not writable" in r.stderr
    assert not (ro / "x").exists()


def test_cli_run_into_a_dangling_symlink(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    case = tmp_path / "case.toml"
    case.write_text("")
    r = _ssbx(["run", str(case), "-o", str(link)], tmp_path)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.splitlines()) == 1 and "a symbolic link" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "nowhere").exists()
