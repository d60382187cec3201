"""Material presets (SI units) with their literature sources, and the allowed property ranges.

A case names a preset per material role (``[materials] electrode = "NMC811"``) or a table that
starts from a preset and overrides some values (``[materials.electrolyte] preset = "LLZO"``,
``kappa = "1 mS/cm"``). :func:`get` returns a copy of a preset: ``kind``, the property values and
``source`` (the citations, grouped by the properties each supports). Values marked "estimate" in
the sources are order-of-magnitude numbers for the material class, not measurements: override them
when they matter.

Property meanings and units: :data:`PROPERTY_DIMS` (also ``docs/case-format.md``).
"""

from __future__ import annotations

import copy

from solver.units import SI_UNITS

KINDS = ("electrode", "electrolyte", "coating", "pad", "metal", "collector")

# key -> (dimension, lo, hi, lo_open, hi_open, doc); None bounds are infinite (always open).
PROPERTY_DIMS: dict[str, tuple[str, float | None, float | None, bool, bool, str]] = {
    "E": ("pressure", 0.0, None, True, True, "Young's modulus"),
    "nu": ("dimensionless", -1.0, 0.5, True, True, "Poisson ratio"),
    "density": ("density", 0.0, None, True, True, "mass density"),
    "alpha_th": ("1/temperature", 0.0, None, False, True, "linear thermal expansion coefficient"),
    "vegard": (
        "1/concentration",
        None,
        None,
        True,
        True,
        "Vegard coefficient β: eigenstrain β (c − c_ref) I (linear strain per mol/m^3)",
    ),
    "c_max": ("concentration", 0.0, None, True, True, "maximum Li concentration"),
    "c_ref": ("concentration", 0.0, None, False, True, "stress-free Li concentration"),
    "c_init": ("concentration", 0.0, None, False, True, "initial Li concentration"),
    "D": ("diffusivity", 0.0, None, True, True, "Li diffusivity in the solid"),
    "kappa": ("conductivity", 0.0, None, True, True, "ionic conductivity at 298.15 K"),
    "sigma_e": ("conductivity", 0.0, None, True, True, "electronic conductivity"),
    "k_th": ("thermal conductivity", 0.0, None, True, True, "thermal conductivity"),
    "cp": ("specific heat", 0.0, None, True, True, "specific heat capacity"),
    "hardness": (
        "pressure",
        0.0,
        None,
        True,
        True,
        "indentation hardness H (plastic micro-contact fraction φ = p/H)",
    ),
    "yield_stress": (
        "pressure",
        0.0,
        None,
        True,
        True,
        "screen-only: uniaxial yield stress (Tabor H = 3Y when neither side of the interface "
        "has a hardness)",
    ),
    "molar_volume": ("molar volume", 0.0, None, True, True, "molar volume Ω"),
    "Ea_kappa": (
        "energy/mol",
        0.0,
        None,
        False,
        True,
        "Arrhenius activation energy of kappa (0: no temperature dependence)",
    ),
    "Ea_sigma_e": (
        "energy/mol",
        0.0,
        None,
        False,
        True,
        "Arrhenius activation energy of sigma_e (0: no temperature dependence)",
    ),
    "ocv": (
        "voltage",
        None,
        None,
        True,
        True,
        "open-circuit potential U at c = 0 (V vs the counter)",
    ),
    "ocv_slope": ("voltage", None, None, True, True, "dU/d(c/c_max): U = ocv + ocv_slope c/c_max"),
    "Ea_D": ("energy/mol", 0.0, None, False, True, "Arrhenius activation energy of D"),
    "E1": (
        "pressure",
        0.0,
        None,
        True,
        True,
        "SLS transient modulus (relaxes with tau; E = E1 + E2 with physics.inelastic)",
    ),
    "E2": ("pressure", 0.0, None, True, True, "SLS long-term (equilibrium) modulus"),
    "tau": ("time", 0.0, None, True, True, "SLS relaxation time at 298.15 K"),
    # rate-dependent inelasticity (physics.inelastic; solver/physics/inelastic.py)
    "creep_A": (
        "dimensionless",
        0.0,
        None,
        True,
        True,
        "Norton creep coefficient A in SI units Pa^-n s^-1 (ṗ = A σ_vm^n exp(−Q/RT); from "
        "MPa^-n s^-1 multiply by 1e-6^n)",
    ),
    "creep_n": ("dimensionless", 1.0, None, False, True, "Norton stress exponent n"),
    "creep_Q": ("energy/mol", 0.0, None, False, True, "creep activation energy Q"),
    "creep_threshold": (
        "pressure",
        0.0,
        None,
        False,
        True,
        "rate-independent threshold σ_th of the creep overstress ⟨σ_vm − σ_th⟩ (Perzyna)",
    ),
    **{
        f"prony_E{k}": (
            "pressure",
            0.0,
            None,
            True,
            True,
            f"Prony term {k}: relaxation modulus E_{k} (E∞ = E − Σ E_i)",
        )
        for k in (1, 2, 3)
    },
    **{
        f"prony_tau{k}": (
            "time",
            0.0,
            None,
            True,
            True,
            f"Prony term {k}: relaxation time τ_{k} at 298.15 K",
        )
        for k in (1, 2, 3)
    },
    "Ea_tau": (
        "energy/mol",
        0.0,
        None,
        False,
        True,
        "Arrhenius shift of the relaxation times: a_T = exp(Ea_tau/R (1/T − 1/298.15 K))",
    ),
    "wlf_C1": ("dimensionless", 0.0, None, True, True, "WLF shift constant C1 (T0 = 298.15 K)"),
    "wlf_C2": ("temperature", 0.0, None, True, True, "WLF shift constant C2 (T0 = 298.15 K)"),
}

# keys of the rate-dependent inelastic laws (physics.inelastic)
CREEP_KEYS = ("creep_A", "creep_n", "creep_Q", "creep_threshold")
SLS_KEYS = ("E1", "E2", "tau")
PRONY_KEYS = tuple(f"prony_{q}{k}" for k in (1, 2, 3) for q in ("E", "tau"))
SHIFT_KEYS = ("Ea_tau", "wlf_C1", "wlf_C2")

# Short reference keys -> citation. "est:*" entries are estimates, stated as such.
REFERENCES: dict[str, str] = {
    "CRC": "CRC Handbook of Chemistry and Physics, 97th ed. (CRC Press, 2016)",
    "Ferrese2014": "A. Ferrese, J. Newman, J. Electrochem. Soc. 161 (2014) A1350",
    "Masias2019": "A. Masias, N. Felten, R. Garcia-Mendez, J. Wolfenstine, J. Sakamoto, "
    "J. Mater. Sci. 54 (2019) 2585",
    "LePage2019": "W. S. LePage, Y. Chen, E. Kazyak, K.-H. Chen, A. J. Sanchez, A. Poli, "
    "E. M. Arruda, M. D. Thouless, N. P. Dasgupta, J. Electrochem. Soc. 166 (2019) A89 "
    "(power-law creep of bulk Li, ε̇ = A σ^m exp(−Q/RT): m = 6.6, Q = 37 kJ/mol). The pre-factor "
    "A = 4.25e4 MPa^-6.6 s^-1 (1.068e-35 Pa^-6.6 s^-1 in SI) is the rate pre-factor of the "
    "fit of L. Anand and S. Narayan (J. Electrochem. Soc. 166 (2019) A1092) to these data, "
    "there with the stress scaled by a deformation resistance of ~1 MPa, so A in MPa^-m s^-1 "
    "is of the same order; check it against the sources for quantitative creep rates",
    "Tabor": "estimate from Tabor's relation H ≈ 3 σ_y (D. Tabor, The Hardness of Metals, 1951)",
    "Ni2012": "J. E. Ni, E. D. Case, J. S. Sakamoto, E. Rangasamy, J. B. Wolfenstine, "
    "J. Mater. Sci. 47 (2012) 7978",
    "Murugan2007": "R. Murugan, V. Thangadurai, W. Weppner, Angew. Chem. Int. Ed. 46 (2007) 7778 "
    "(0.3 mS/cm, 0.32 eV; Al/Ta-doped cubic LLZO typically 0.3-1 mS/cm)",
    "Hubaud2015": "A. A. Hubaud et al., J. Alloys Compd. 644 (2015) 804 (Al-LLZO thermal "
    "expansion)",
    "Han2019": "F. Han et al., Nat. Energy 4 (2019) 187 (electronic conductivity of LLZO, LPS)",
    "Deng2016": "Z. Deng, Z. Wang, I.-H. Chu, J. Luo, S. P. Ong, J. Electrochem. Soc. 163 (2016) "
    "A67 (first-principles elastic constants)",
    "Kraft2017": "M. A. Kraft et al., J. Am. Chem. Soc. 139 (2017) 10909 (Li6PS5X argyrodites, "
    "2-3 mS/cm at room temperature)",
    "Deiseroth2008": "H.-J. Deiseroth et al., Angew. Chem. Int. Ed. 47 (2008) 755 (density from "
    "the cubic cell, a = 9.85 Å, Z = 4)",
    "McGrogan2017": "F. P. McGrogan et al., Adv. Energy Mater. 7 (2017) 1602011 (Li2S-P2S5 glass "
    "hardness, used as a proxy for sulfides)",
    "Herbert2011": "E. G. Herbert, W. E. Tenhaeff, N. J. Dudney, G. M. Pharr, Thin Solid Films "
    "520 (2011) 413",
    "Bates1992": "J. B. Bates et al., Solid State Ionics 53-56 (1992) 647",
    "Chen2020": "C.-H. Chen, F. Brosa Planella, K. O'Regan, D. Gastol, W. D. Widanage, "
    "E. Kendrick, J. Electrochem. Soc. 167 (2020) 080534 (LG M50 NMC811 parameter set)",
    "Koerver2018": "R. Koerver et al., Energy Environ. Sci. 11 (2018) 2142 (NCM811 ≈ 5 % volume "
    "change over Δx ≈ 0.8; β = (ΔV/V)/(3 Δc))",
    "Qu2012": "M. Qu, W. H. Woodford, J. M. Maloney, W. C. Carter, Y.-M. Chiang, K. J. Van Vliet, "
    "Adv. Energy Mater. 2 (2012) 940",
    "Reimers1992": "J. N. Reimers, J. R. Dahn, J. Electrochem. Soc. 139 (1992) 2091 (≈ 2 % volume "
    "change between x = 1 and 0.5, expanding on delithiation; β = (ΔV/V)/(3 Δc) < 0)",
    "Ohta2007": "N. Ohta et al., Electrochem. Commun. 9 (2007) 1486 (amorphous LiNbO3 coating, "
    "~1e-5 S/cm)",
    "WebElements": "WebElements periodic table, indium (Brinell hardness 8.8 MPa)",
    "est:annealed": "estimate: typical yield stress of annealed copper (handbook range 33-70 MPa)",
    "ASM304": "typical handbook values for annealed AISI 304 stainless steel (ASM Handbook)",
    "est:oxide": "estimate for dense oxide ceramics (class-typical value)",
    "est:sulfide": "estimate for dense sulfide electrolytes (class-typical value)",
    "est:layered": "estimate for layered-oxide cathodes (reported E 140-200 GPa; class-typical "
    "values)",
    "est:glass": "estimate for thin-film oxide glasses (class-typical value)",
    "est:polymer": "illustrative stiff elastomer pad: 5 % strain gives 3 MPa relaxing to 1 MPa "
    "(not a specific product)",
    "est:derived": "derived from density and molar mass (c_max = ρ/M, Ω = M/ρ)",
    "Prada2013": "E. Prada, D. Di Domenico, Y. Creff, J. Bernard, V. Sauvant-Moynot, F. Huet, "
    "J. Electrochem. Soc. 160 (2013) A616 (LiFePO4 values of PyBaMM's Prada2013 set)",
    "est:olivine": "estimate for olivine phosphates (class-typical value)",
}

# name -> (kind, aliases, description, {key: (value, reference key)})
_DATA: dict[str, tuple[str, tuple[str, ...], str, dict[str, tuple[float, str]]]] = {
    "Li": (
        "metal",
        ("Li_metal", "lithium"),
        "lithium metal anode",
        {
            "E": (4.9e9, "Ferrese2014"),
            "nu": (0.42, "Ferrese2014"),
            "yield_stress": (0.8e6, "Masias2019"),
            "hardness": (2.4e6, "Tabor"),
            "creep_A": (4.25e4 * 1e-6**6.6, "LePage2019"),
            "creep_n": (6.6, "LePage2019"),
            "creep_Q": (37e3, "LePage2019"),
            "density": (534.0, "CRC"),
            "molar_volume": (1.3e-5, "est:derived"),
            "alpha_th": (46e-6, "CRC"),
            "k_th": (84.8, "CRC"),
            "cp": (3582.0, "CRC"),
            "sigma_e": (1.08e7, "CRC"),
        },
    ),
    "In": (
        "metal",
        ("indium",),
        "indium (soft metal interlayer / In-Li counter electrode)",
        {
            "E": (11e9, "CRC"),
            "nu": (0.45, "CRC"),
            "hardness": (8.8e6, "WebElements"),
            "yield_stress": (2.9e6, "Tabor"),
            "density": (7310.0, "CRC"),
            "molar_volume": (1.571e-5, "est:derived"),
            "alpha_th": (32.1e-6, "CRC"),
            "k_th": (81.8, "CRC"),
            "cp": (233.0, "CRC"),
            "sigma_e": (1.2e7, "CRC"),
        },
    ),
    "LLZO": (
        "electrolyte",
        ("Li7La3Zr2O12",),
        "cubic garnet Li7La3Zr2O12 (Al/Ta-doped)",
        {
            "E": (149.8e9, "Ni2012"),
            "nu": (0.257, "Ni2012"),
            "hardness": (6.3e9, "Ni2012"),
            "kappa": (0.05, "Murugan2007"),
            "Ea_kappa": (30.9e3, "Murugan2007"),
            "sigma_e": (1e-6, "Han2019"),
            "density": (5100.0, "est:oxide"),
            "alpha_th": (15.5e-6, "Hubaud2015"),
            "k_th": (1.5, "est:oxide"),
            "cp": (650.0, "est:oxide"),
        },
    ),
    "Li6PS5Cl": (
        "electrolyte",
        ("LPSCl", "argyrodite"),
        "argyrodite sulfide Li6PS5Cl",
        {
            "E": (22.1e9, "Deng2016"),
            "nu": (0.37, "Deng2016"),
            "hardness": (1.9e9, "McGrogan2017"),
            "kappa": (0.25, "Kraft2017"),
            "Ea_kappa": (29e3, "est:sulfide"),
            "sigma_e": (1e-7, "est:sulfide"),
            "density": (1860.0, "Deiseroth2008"),
            "alpha_th": (2e-5, "est:sulfide"),
            "k_th": (0.5, "est:sulfide"),
            "cp": (700.0, "est:sulfide"),
        },
    ),
    "LiPON": (
        "electrolyte",
        ("Lipon",),
        "sputtered LiPON thin-film glass",
        {
            "E": (77e9, "Herbert2011"),
            "nu": (0.25, "Herbert2011"),
            "hardness": (3.9e9, "Herbert2011"),
            "kappa": (2e-4, "Bates1992"),
            "Ea_kappa": (53e3, "Bates1992"),
            "sigma_e": (1e-12, "Bates1992"),
            "density": (2500.0, "est:glass"),
            "alpha_th": (1e-5, "est:glass"),
            "k_th": (1.0, "est:glass"),
            "cp": (800.0, "est:glass"),
        },
    ),
    "NMC811": (
        "electrode",
        ("NCM811", "LiNi0.8Mn0.1Co0.1O2"),
        "layered oxide cathode LiNi0.8Mn0.1Co0.1O2",
        {
            "E": (200e9, "est:layered"),
            "nu": (0.3, "est:layered"),
            "c_max": (51765.0, "Chen2020"),
            "D": (4e-15, "Chen2020"),
            "sigma_e": (0.18, "Chen2020"),
            "vegard": (4.0e-7, "Koerver2018"),
            "density": (4800.0, "est:layered"),
            "alpha_th": (1e-5, "est:layered"),
            "k_th": (4.0, "est:layered"),
            "cp": (700.0, "est:layered"),
        },
    ),
    "LiCoO2": (
        "electrode",
        ("LCO",),
        "layered oxide cathode LiCoO2",
        {
            "E": (174e9, "Qu2012"),
            "nu": (0.25, "est:layered"),
            "density": (5050.0, "est:layered"),
            "c_max": (51600.0, "est:derived"),
            "vegard": (-2.6e-7, "Reimers1992"),
            "D": (1e-14, "est:layered"),
            "sigma_e": (1e-2, "est:layered"),
            "alpha_th": (1e-5, "est:layered"),
            "k_th": (5.0, "est:layered"),
            "cp": (750.0, "est:layered"),
        },
    ),
    "LiFePO4": (
        "electrode",
        ("LFP",),
        "olivine cathode LiFePO4",
        {
            "E": (125e9, "est:olivine"),
            "nu": (0.25, "est:olivine"),
            "c_max": (22806.0, "Prada2013"),
            "D": (5.9e-18, "Prada2013"),
            "sigma_e": (0.33795074, "Prada2013"),
            "density": (3600.0, "est:olivine"),
            "alpha_th": (1e-5, "est:olivine"),
            "k_th": (2.0, "est:olivine"),
            "cp": (700.0, "est:olivine"),
        },
    ),
    "LiNbO3": (
        "coating",
        ("LNO",),
        "amorphous LiNbO3 cathode coating",
        {
            "E": (100e9, "est:oxide"),
            "nu": (0.25, "est:oxide"),
            "kappa": (1e-3, "Ohta2007"),
            "sigma_e": (1e-9, "est:oxide"),
            "density": (4640.0, "CRC"),
            "alpha_th": (1e-5, "est:oxide"),
            "k_th": (1.5, "est:oxide"),
            "cp": (650.0, "est:oxide"),
        },
    ),
    "polymer_pad": (
        "pad",
        ("pad",),
        "compliant viscoelastic pad (standard linear solid)",
        {
            "E": (60e6, "est:polymer"),
            "E1": (40e6, "est:polymer"),
            "E2": (20e6, "est:polymer"),
            "tau": (3600.0, "est:polymer"),
            "nu": (0.45, "est:polymer"),
            "density": (1100.0, "est:polymer"),
            "alpha_th": (1.5e-4, "est:polymer"),
            "k_th": (0.2, "est:polymer"),
            "cp": (1500.0, "est:polymer"),
        },
    ),
    "steel": (
        "collector",
        ("stainless", "SS304"),
        "AISI 304 stainless steel (plunger/collector)",
        {
            "E": (193e9, "ASM304"),
            "nu": (0.29, "ASM304"),
            "yield_stress": (215e6, "ASM304"),
            "density": (8000.0, "ASM304"),
            "alpha_th": (17.3e-6, "ASM304"),
            "k_th": (16.2, "ASM304"),
            "cp": (500.0, "ASM304"),
            "sigma_e": (1.39e6, "ASM304"),
        },
    ),
    "Cu": (
        "collector",
        ("copper",),
        "copper current collector",
        {
            "E": (120e9, "CRC"),
            "nu": (0.34, "CRC"),
            "yield_stress": (70e6, "est:annealed"),
            "density": (8960.0, "CRC"),
            "alpha_th": (16.5e-6, "CRC"),
            "k_th": (401.0, "CRC"),
            "cp": (385.0, "CRC"),
            "sigma_e": (5.96e7, "CRC"),
        },
    ),
}


# Tabulated curves of the presets (solver/curves.py): key -> built-in curve name. The curve's
# citation is added to the preset's source text.
CURVE_KEYS = ("ocv_curve", "D_curve", "vegard_curve")
_CURVES: dict[str, dict[str, str]] = {
    "NMC811": {"ocv_curve": "Chen2020"},
    "LiCoO2": {"ocv_curve": "Ramadass2004"},
    "LiFePO4": {"ocv_curve": "Afshar2017"},
}


def _source_text(values: dict[str, tuple[float, str]]) -> str:
    """ "E, nu: <citation>; kappa: <citation>" — the references grouped by the keys they support."""
    by_ref: dict[str, list[str]] = {}
    for key, (_, ref) in values.items():
        by_ref.setdefault(ref, []).append(key)
    return "; ".join(f"{', '.join(keys)}: {REFERENCES[ref]}" for ref, keys in by_ref.items())


def _build() -> tuple[dict[str, dict], dict[str, str], dict[str, dict[str, str]]]:
    presets, aliases, sources = {}, {}, {}
    for name, (kind, alias, description, values) in _DATA.items():
        from solver.curves import BUILTIN

        curves = _CURVES.get(name, {})
        source = _source_text(values)
        for key, curve in curves.items():
            source += f"; {key}: {BUILTIN[curve].source}"
        presets[name] = {
            "kind": kind,
            **{k: v for k, (v, _) in values.items()},
            **curves,
            "description": description,
            "source": source,
        }
        sources[name] = {k: REFERENCES[ref] for k, (_, ref) in values.items()}
        for a in (name, *alias):
            aliases[a.lower()] = name
    return presets, aliases, sources


#: name -> {"kind", property values (SI), "description", "source"}
PRESETS, _ALIASES, _VALUE_SOURCES = _build()
#: alias -> preset name (e.g. "LPSCl" -> "Li6PS5Cl", "LCO" -> "LiCoO2")
ALIASES: dict[str, str] = {a: name for name, d in _DATA.items() for a in d[1]}


def canonical(name: str) -> str | None:
    """The preset name for ``name`` or one of its aliases (case-insensitive), else None."""
    if not isinstance(name, str):
        return None
    return _ALIASES.get(name.strip().lower())


def get(name: str) -> dict:
    """A copy of preset ``name`` (aliases and any letter case accepted); KeyError if unknown."""
    key = canonical(name)
    if key is None:
        raise KeyError(f"unknown material preset {name!r} (presets: {', '.join(PRESETS)})")
    return copy.deepcopy(PRESETS[key])


def value_sources(name: str) -> dict[str, str]:
    """The citation behind each property value of preset ``name``."""
    key = canonical(name)
    if key is None:
        raise KeyError(name)
    return dict(_VALUE_SOURCES[key])


def check_value(key: str, value: float) -> str | None:
    """``None`` if ``value`` (SI) is in the allowed range of property ``key``, else the range text
    (e.g. ``"(0, inf) Pa"``)."""
    dim, lo, hi, lo_open, hi_open, _ = PROPERTY_DIMS[key]
    bad = (lo is not None and (value <= lo if lo_open else value < lo)) or (
        hi is not None and (value >= hi if hi_open else value > hi)
    )
    return range_text(key) if bad else None


def range_text(key: str) -> str:
    """Allowed range of property ``key`` with its SI unit, e.g. ``"(0, inf) Pa"``."""
    dim, lo, hi, lo_open, hi_open, _ = PROPERTY_DIMS[key]
    lb = "(" if (lo is None or lo_open) else "["
    rb = ")" if (hi is None or hi_open) else "]"
    text = f"{lb}{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}{rb}"
    unit = SI_UNITS.get(dim, "")
    return f"{text} {unit}".rstrip()


def format_presets() -> str:
    """The preset table printed by ``ssbx check --materials``: key values in practical units and
    the reference keys; the full citations follow the table."""
    cols = [
        ("name", 12, lambda p: p["name"]),
        ("kind", 11, lambda p: p["kind"]),
        ("E/GPa", 7, lambda p: _g(p.get("E"), 1e9)),
        ("nu", 5, lambda p: _g(p.get("nu"), 1)),
        ("kappa/(mS/cm)", 13, lambda p: _g(p.get("kappa"), 0.1)),
        ("sigma_e/(S/m)", 13, lambda p: _g(p.get("sigma_e"), 1)),
        ("H/MPa", 7, lambda p: _g(p.get("hardness"), 1e6)),
        ("c_max/(mol/m3)", 14, lambda p: _g(p.get("c_max"), 1)),
    ]
    lines = ["Material presets (values in the units of each column; SI in case files):", ""]
    lines.append("  ".join(f"{h:<{w}}" for h, w, _ in cols) + "  aliases / references")
    lines.append("  ".join("-" * w for _, w, _ in cols) + "  " + "-" * 20)
    for name, p in PRESETS.items():
        row = {"name": name, **p}
        refs = sorted({ref for _, ref in _DATA[name][3].values()})
        alias = ", ".join(_DATA[name][1])
        cells = "  ".join(f"{f(row):<{w}}" for _, w, f in cols)
        lines.append(f"{cells}  [{alias}] {', '.join(refs)}")
    lines += [
        "",
        "Other properties (SI units) per preset are printed by `ssbx check CASE`.",
        "",
        "References:",
    ]
    lines += [f"  {k}: {v}" for k, v in REFERENCES.items()]
    return "\n".join(lines)


def _g(value: float | None, unit: float) -> str:
    return "-" if value is None else f"{value / unit:.3g}"
