"""solver.config: defaults, units, presets, validation messages and the TOML round trip."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from meshes.common import GeometryError, Param
from solver import config as C
from solver import materials as M
from solver.errors import ConfigError

# an intercalation electrode in an electrochemistry case needs an open-circuit potential
OCV = "[materials.electrode]\npreset = 'NMC811'\nocv = 3.7\n"

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "cases").glob("*.toml"))


def write(tmp_path: Path, text: str, name: str = "case.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as e:
        C.load_case(write(tmp_path, text))
    return e.value.problems


# ------------------------------------------------------------------------------------ defaults


def test_empty_case_resolves_every_key(tmp_path):
    case = C.load_case(write(tmp_path, "", "my-case.toml"))
    r = case.resolved
    assert list(r) == list(C.SECTION_ORDER)
    assert case.name == "my-case" == r["case"]["name"]
    assert case.path == (tmp_path / "my-case.toml").resolve()
    assert case.raw == {}
    for sec, schema in C.SCHEMA.items():
        for key in schema:
            assert key in r[sec], f"{sec}.{key}"
    g = case.geometry
    assert (g["family"], g["dim"], g["axisymmetric"], g["mesh_file"]) == ("bilayer", 2, False, None)
    from meshes import bilayer

    for key, p in bilayer.PARAMS.items():
        assert g[key] == p.default
    assert case.roles == ["electrode", "electrolyte"]
    assert case.materials["electrode"]["preset"] == "NMC811"
    assert case.materials["electrolyte"]["preset"] == "LLZO"
    for mat in case.materials.values():
        assert set(M.PROPERTY_DIMS) <= set(mat)
        assert mat["source"]
    assert case.loading["stack_pressure"] == 1e6
    assert case.loading["protocol"] == []
    assert case.interface["g_open"] == 1e-9
    assert case.physics == {
        "mechanics": True,
        "electrochemistry": False,
        "transport": False,
        "thermal": False,
        "ageing": False,
        "degree": 1,
        "inelastic": False,
    }
    assert case.thermal["T_ambient"] == case.loading["temperature"] == 298.15
    assert case.solver["petsc_options"] == {}
    assert case.output["directory"] == "runs/my-case"
    assert case.ageing["p_min"] == 0.1e6


def test_defaults_table_types():
    for sec, schema in C.SCHEMA.items():
        for key, spec in schema.items():
            if spec.default is None:
                continue
            if spec.kind == "float":
                assert isinstance(spec.default, float), f"{sec}.{key}"
                assert spec.in_range(spec.default), f"{sec}.{key}"
            elif spec.kind == "int":
                assert isinstance(spec.default, int)


def test_overrides_with_units(tmp_path):
    case = C.load_case(
        write(
            tmp_path,
            """
[case]
name = "x1"
[geometry]
t_e = "5 um"
t_s = 2e-5
interface = "sinusoid"
amplitude = "500 nm"
[interface]
G_Ic = "2 J/m^2"
R_ct = "10 Ohm cm^2"
i0 = "1 mA/cm^2"
kappa_sei = "1e-8 S/cm"
[loading]
stack_pressure = "3 MPa"
temperature = "60 degC"
current_density = "-0.5 mA/cm^2"
[thermal]
Ea_soft = "0.3 eV"
[output]
directory = "somewhere/else"
every = 5
""",
        )
    )
    assert case.name == "x1"
    g = case.geometry
    assert g["t_e"] == 5e-6 and g["t_s"] == 2e-5 and g["amplitude"] == 5e-7
    assert g["interface"] == "sinusoid"
    assert case.interface["G_Ic"] == 2.0
    assert case.interface["R_ct"] == pytest.approx(1e-3)
    assert case.interface["i0"] == pytest.approx(10.0)
    assert case.interface["kappa_sei"] == pytest.approx(1e-6)
    assert case.loading["stack_pressure"] == 3e6
    assert case.loading["temperature"] == pytest.approx(333.15)
    assert case.loading["current_density"] == pytest.approx(-5.0)
    assert case.thermal["T_ambient"] == pytest.approx(333.15)
    assert case.thermal["Ea_soft"] == pytest.approx(0.3 * 96485.33212)
    assert case.output == {**case.output, "directory": "somewhere/else", "every": 5}


def test_preset_override_and_source(tmp_path):
    case = C.load_case(
        write(
            tmp_path,
            """
[materials]
electrode = "LCO"
[materials.electrolyte]
preset = "LPSCl"
kappa = "3 mS/cm"
description = "my batch"
""",
        )
    )
    el, ely = case.materials["electrode"], case.materials["electrolyte"]
    assert el["preset"] == "LiCoO2" and el["kind"] == "electrode"
    assert el["source"] == M.PRESETS["LiCoO2"]["source"]
    assert ely["preset"] == "Li6PS5Cl"
    assert ely["kappa"] == pytest.approx(0.3)
    assert ely["E"] == M.PRESETS["Li6PS5Cl"]["E"]
    assert ely["description"] == "my batch"
    assert ely["source"].endswith("overridden in the case file: kappa")
    assert ely["vegard"] == 0.0 and ely["c_ref"] == 0.0 and ely["c_init"] == 0.0


def test_user_defined_material(tmp_path):
    case = C.load_case(
        write(
            tmp_path,
            """
[materials.electrolyte]
E = "50 GPa"
nu = 0.3
kappa = "1 mS/cm"
source = "my measurement"
""",
        )
    )
    m = case.materials["electrolyte"]
    assert m["preset"] is None and m["kind"] == "electrolyte"
    assert m["E"] == 50e9 and m["source"] == "my measurement"
    assert m["hardness"] is None


def test_concentrations(tmp_path):
    case = C.load_case(
        write(
            tmp_path,
            """
[materials.electrode]
preset = "NMC811"
c_ref = "20000 mol/m^3"
""",
        )
    )
    m = case.materials["electrode"]
    assert m["c_ref"] == m["c_init"] == 20000.0
    lines = problems(tmp_path, '[materials.electrode]\npreset = "NMC811"\nc_init = 1e6\n')
    assert lines == [
        "materials.electrode.c_init: got 1e+06 mol/m^3, allowed [0, c_max = 51765] mol/m^3"
    ]


def test_protocol_and_petsc_options(tmp_path):
    case = C.load_case(
        write(
            tmp_path,
            """
[materials.electrode]
preset = "NMC811"
ocv = "3.7 V"
[physics]
electrochemistry = true
[loading]
stack_pressure = "2 MPa"
current_density = "0.5 mA/cm^2"
[[loading.protocol]]
kind = "hold"
duration = "10 s"
[[loading.protocol]]
kind = "current"
duration = "1 h"
n_steps = 20
V_max = "4.3 V"
[[loading.protocol]]
kind = "lithiate"
duration = "1 h"
soc = 0.5
stack_pressure = "4 MPa"
[[loading.protocol]]
kind = "voltage"
duration = "10 min"
voltage = "4.1 V"
[[loading.protocol]]
kind = "rest"
duration = "1 day"
temperature = "40 degC"
[solver.petsc_options]
ksp_type = "preonly"
pc_type = "lu"
pc_factor_mat_solver_type = "mumps"
snes_linesearch_damping = 0.8
snes_monitor = true
""",
        )
    )
    steps = case.loading["protocol"]
    assert [s["kind"] for s in steps] == ["hold", "current", "lithiate", "voltage", "rest"]
    assert steps[0] == {
        "kind": "hold",
        "duration": 10.0,
        "n_steps": 10,
        "stack_pressure": 2e6,
        "temperature": 298.15,
        "displacement": None,
        "load_factor": None,  # no [[loading.boundary]] to scale
    }
    assert steps[1]["current_density"] == pytest.approx(5.0)
    assert steps[1]["V_max"] == 4.3 and steps[1]["V_min"] is None
    assert steps[2]["soc"] == 0.5 and steps[2]["stack_pressure"] == 4e6
    assert steps[3]["voltage"] == 4.1 and steps[3]["duration"] == 600.0
    assert steps[4]["duration"] == 86400.0 and steps[4]["temperature"] == pytest.approx(313.15)
    assert case.solver["petsc_options"]["snes_linesearch_damping"] == 0.8
    assert case.solver["petsc_options"]["snes_monitor"] is True


def test_case_from_dict_and_properties():
    case = C.case_from_dict({"physics": {"degree": 2}})
    assert case.path is None and case.name == "case"
    assert case.physics["degree"] == 2
    for sec in ("geometry", "materials", "interface", "loading", "physics", "solver", "output"):
        assert getattr(case, sec) is case.resolved[sec]
    assert case.ageing is case.resolved["ageing"] and case.thermal is case.resolved["thermal"]


def test_stack_roles(tmp_path):
    text = """
[geometry]
family = "stack"
t_s = ["10 um", "5 um"]
t_counter = 0
[materials]
electrode = "Li"
coating = "LiNbO3"
electrolyte = "LLZO"
electrolyte_2 = "LPSCl"
pad = "polymer_pad"
"""
    case = C.load_case(write(tmp_path, text))
    assert case.roles == ["electrode", "coating", "electrolyte", "electrolyte_2", "pad"]
    assert case.geometry["t_s"] == [1e-5, 5e-6]
    lines = problems(tmp_path, text.replace('pad = "polymer_pad"', ""))
    assert len(lines) == 1 and lines[0].startswith("materials.pad: missing")
    lines = problems(tmp_path, text + 'counter = "In"\n')
    assert len(lines) == 1 and lines[0].startswith("materials.counter: got a material for role")


def test_derive_roles_fallback():
    assert C.derive_roles("rough", {}) == ["electrode", "electrolyte"]
    p = {"t_c": 0.0, "t_s": [1.0, 1.0, 1.0], "t_counter": 1.0, "t_pad": 0.0}
    assert C.derive_roles("stack", p) == [
        "electrode",
        "electrolyte",
        "electrolyte_2",
        "electrolyte_3",
        "counter",
    ]


@pytest.fixture
def fake_composite(monkeypatch):
    """A stand-in ``meshes.composite`` with the optional hooks (roles, validate, DIMS)."""

    def validate(params, *, dim, axisymmetric):
        if params["volume_fraction"] > 0.6:
            raise GeometryError(
                "volume_fraction", f"got {params['volume_fraction']:g}, allowed (0, 0.6]"
            )

    fake = types.SimpleNamespace(
        PARAMS={
            "W": Param(20e-6, "length", lo=0.0, lo_open=True),
            "volume_fraction": Param(0.4, doc="particle fraction", lo=0.0, hi=1.0, lo_open=True),
            "radii": Param([2e-6], "length", kind="floats", lo=0.0, lo_open=True),
        },
        DIMS=(2,),
        AXISYMMETRIC_OK=False,
        roles=lambda params: ["electrode", "electrolyte"],
        validate=validate,
    )
    real = C.family_module
    monkeypatch.setattr(C, "family_module", lambda n: fake if n == "composite" else real(n))
    return fake


def test_family_hooks(tmp_path, fake_composite):
    case = C.load_case(
        write(tmp_path, '[geometry]\nfamily = "composite"\nradii = ["1 um", "2 um"]\n')
    )
    assert case.geometry["radii"] == [1e-6, 2e-6]
    assert case.geometry["volume_fraction"] == 0.4
    assert problems(tmp_path, '[geometry]\nfamily = "composite"\nvolume_fraction = 0.9\n') == [
        "geometry.volume_fraction: got 0.9, allowed (0, 0.6]"
    ]
    lines = problems(tmp_path, '[geometry]\nfamily = "composite"\ndim = 3\n')
    assert lines == ["geometry.dim: got 3, allowed 2 for the 'composite' family"]
    lines = problems(tmp_path, '[geometry]\nfamily = "composite"\naxisymmetric = true\n')
    assert lines == ["geometry.axisymmetric: got true, allowed false for the 'composite' family"]
    # round trip through a family with list parameters
    case2 = C.load_case(write(tmp_path, case.to_toml(), "rt.toml"))
    assert case2.resolved == case.resolved


def test_mesh_file_resolved_against_the_case_directory(tmp_path):
    (tmp_path / "meshes").mkdir()
    (tmp_path / "meshes" / "m.msh").write_text("$MeshFormat\n")
    case = C.load_case(write(tmp_path, '[geometry]\nmesh_file = "meshes/m.msh"\n'))
    assert case.geometry["mesh_file"] == str((tmp_path / "meshes" / "m.msh").resolve())
    rt = C.load_case(write(tmp_path, case.to_toml(), "rt.toml"))
    assert rt.resolved == case.resolved
    lines = problems(tmp_path, '[geometry]\nmesh_file = "meshes/none.msh"\n')
    assert len(lines) == 1 and "geometry.mesh_file" in lines[0] and "does not exist" in lines[0]
    (tmp_path / "m.vtu").write_text("")
    lines = problems(tmp_path, '[geometry]\nmesh_file = "m.vtu"\n')
    assert lines == ["geometry.mesh_file: got 'm.vtu', allowed a Gmsh .msh file"]


# ------------------------------------------------------------------------------- round trip


def _rich_case(tmp_path) -> Path:
    return write(
        tmp_path,
        """
[case]
description = "quotes \\" and unicode Γ_int, a\\nnewline"
[geometry]
family = "stack"
dim = 3
t_s = ["10 um", "5 um"]
h_max = "2 um"
[materials]
electrode = "Li"
coating = "LiNbO3"
electrolyte = "LLZO"
counter = "In"
pad = "polymer_pad"
[materials.electrolyte_2]
preset = "LPSCl"
kappa = "3 mS/cm"
[interface]
kinetics = "linear"
R_ct = "10 Ohm cm^2"
K_n = "1e15 Pa/m"
[loading]
pressure_mode = "displacement"
[[loading.protocol]]
kind = "current"
duration = "1 h"
V_min = "3 V"
[physics]
electrochemistry = true
thermal = true
[solver.petsc_options]
pc_type = "lu"
"mat_mumps_icntl_14" = 80
""",
    )


@pytest.mark.parametrize("which", ["default", "rich", *[p.name for p in CASES]])
def test_round_trip(tmp_path, which):
    if which == "default":
        path = ROOT / "cases" / "default.toml"
    elif which == "rich":
        path = _rich_case(tmp_path)
    else:
        path = ROOT / "cases" / which
    case = C.load_case(path)
    text = case.to_toml()
    import tomllib

    tomllib.loads(text)  # valid TOML
    again = C.load_case(write(tmp_path, text, "roundtrip.toml"))
    assert again.resolved == case.resolved
    assert again.to_toml().split("\n", 1)[1] == text.split("\n", 1)[1]


def test_to_toml_writes_si_numbers_with_unit_comments():
    text = C.load_case(ROOT / "cases" / "default.toml").to_toml()
    assert "stack_pressure = 2000000.0  # Pa" in text
    assert "t_e = 5e-06  # m" in text
    assert "[materials.electrolyte]" in text and 'preset = "LLZO"' in text


# --------------------------------------------------------------------------- the example cases


def test_example_cases_exist():
    names = {p.name for p in CASES}
    assert "default.toml" in names
    assert len(CASES) >= 6


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_example_case_is_valid(path):
    case = C.load_case(path)
    assert case.name
    text = C.format_case(case)
    assert f"case '{case.name}'" in text


def test_default_case():
    case = C.load_case(ROOT / "cases" / "default.toml")
    assert case.geometry["dim"] == 2 and not case.geometry["axisymmetric"]
    assert case.materials["electrode"]["preset"] == "NMC811"
    assert case.materials["electrolyte"]["preset"] in ("LLZO", "Li6PS5Cl")
    assert case.geometry.get("interface") == "sinusoid" or case.geometry["family"] == "rough"
    assert 1e6 <= case.loading["stack_pressure"] <= 10e6
    assert case.physics["mechanics"]
    assert case.name == "default"


def test_format_case_has_units():
    text = C.format_case(C.load_case(ROOT / "cases" / "default.toml"))
    for fragment in ("[geometry]", "[materials.electrode]", "2e+06 Pa", "298.15 K", "source"):
        assert fragment in text
    assert all(len(line) < 140 for line in text.splitlines())


# ------------------------------------------------------------------------------- validation


def test_all_problems_are_collected(tmp_path):
    lines = problems(
        tmp_path,
        """
[geometri]
[geometry]
t_e = "5 MPa"
[materials.electrode]
preset = "NMC811"
nu = 0.7
[physics]
degree = 3
[output]
every = 0
""",
    )
    assert len(lines) == 5
    assert lines[0].startswith("geometri: unknown section (did you mean 'geometry'?)")
    assert any(line.startswith("geometry.t_e: '5 MPa' has dimension 'pressure'") for line in lines)
    assert "materials.electrode.nu: got 0.7, allowed (-1, 0.5)" in lines
    assert "physics.degree: got 3, allowed one of 1, 2" in lines
    assert "output.every: got 0, allowed an integer in [1, inf)" in lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[geometry]\nthickness = 1\n", "geometry.thickness: unknown key"),
        ("[interface]\nG_lc = 1\n", "(did you mean 'G_Ic'?)"),
        ("[materials]\nelectrode = 'NMC81'\n", "(did you mean 'NMC811'?)"),
        ("[materials]\nelectrolyte = 'NMC811'\n", "allowed a material of kind electrolyte"),
        ("[materials]\nelectrolyt = 'LLZO'\n", "(did you mean 'electrolyte'?)"),
        ("[materials.electrode]\nyoung = 1\n", "materials.electrode.young: unknown key"),
        ("[materials.electrode]\nkind = 'solid'\n", "materials.electrode.kind: got 'solid'"),
        ("[materials]\nelectrode = 5\n", "materials.electrode: got 5, allowed a preset name"),
        ("[geometry]\nfamily = 'bilayr'\n", "(did you mean 'bilayer'?)"),
        ("[geometry]\ninterface = 'wavy'\n", "geometry.interface: got 'wavy'"),
        ("[geometry]\ndim = 2.0\n", "geometry.dim: got 2.0, allowed one of 2, 3"),
        ("[physics]\nmechanics = 'yes'\n", "physics.mechanics: got 'yes', allowed true or false"),
        ("[case]\nname = 'a b'\n", "case.name: got 'a b'"),
        ("physics = 3\n", "physics: got 3, allowed a table"),
        ("[loading]\npad_strain = 1.0\n", "loading.pad_strain: got 1, allowed [0, 1)"),
        (
            "[physics]\nthermal = true\n[thermal]\nT_top = '310 K'\n",
            "thermal.T_top: got 310 K, allowed only with thermal.top = 'fixed'",
        ),
        ("[loading]\nprotocol = 3\n", "loading.protocol: got 3, allowed an array of tables"),
        ("[[loading.protocol]]\nduration = 1\n", "loading.protocol[0].kind: missing"),
        (
            OCV + "[physics]\nelectrochemistry = true\n[[loading.protocol]]\nkind = 'voltage'\n"
            "duration = 1\n",
            "[0].voltage: missing",
        ),
        (
            OCV + "[physics]\nelectrochemistry = true\n[[loading.protocol]]\nkind = 'current'\n"
            "duration = 1\nV_min = 4\nV_max = 3\n",
            "loading.protocol[0].V_min: got 4 V, allowed below V_max = 3 V",
        ),
        ("[solver.petsc_options]\n'_pc' = 1\n", "solver.petsc_options._pc: got option name"),
        ("[solver.petsc_options]\n'pc type' = 1\n", "no whitespace"),
        ("[solver]\npetsc_options = 1\n", "solver.petsc_options: got 1, allowed a table"),
        (
            "[physics]\nmechanics = false\n",
            "physics: got all of mechanics, electrochemistry, transport, thermal false",
        ),
        (
            OCV + "[physics]\nelectrochemistry = true\n[interface]\nkinetics = 'linear'\n",
            "interface.R_ct: missing, required by interface.kinetics = 'linear'",
        ),
        (
            OCV + "[physics]\nelectrochemistry = true\n[materials.electrolyte]\nE = 1e9\nnu = 0.3\n"
            "hardness = 1e9\n",
            "materials.electrolyte.kappa: missing, required by physics.electrochemistry",
        ),
        (
            "[physics]\ntransport = true\n[materials]\nelectrode = 'Li'\n",
            "physics.transport: got true, allowed false when materials.electrode is a metal",
        ),
        (
            "[physics]\nthermal = true\n[materials.electrolyte]\nE = 1e9\nnu = 0.3\ncp = 1\n"
            "k_th = 1\n",
            "materials.electrolyte.density: missing, required by physics.thermal",
        ),
        (
            "[materials.electrode]\nE = 1e9\nnu = 0.3\n[[loading.protocol]]\nkind = 'lithiate'\n"
            "duration = 1\nsoc = 1\n",
            "materials.electrode.c_max: missing, required by a 'lithiate' step",
        ),
        (
            OCV + "[physics]\nelectrochemistry = true\n[materials.electrolyte]\npreset = 'LLZO'\n"
            "hardness = 'x'\n",
            "materials.electrolyte.hardness: cannot read 'x'",
        ),
    ],
)
def test_one_problem_one_line(tmp_path, text, expected):
    lines = problems(tmp_path, text)
    assert len(lines) == 1, lines
    assert expected in lines[0]
    assert "\n" not in lines[0]


def test_plastic_microcontact_needs_a_hardness(tmp_path):
    text = """
[physics]
electrochemistry = true
[materials]
electrode = { preset = "NMC811", ocv = "3.7 V" }
[materials.electrolyte]
E = 1e9
nu = 0.3
kappa = 0.1
"""
    lines = problems(tmp_path, text)
    assert len(lines) == 1 and lines[0].startswith("materials.electrode.hardness: missing")
    C.load_case(write(tmp_path, text + "hardness = '1 GPa'\n"))
    C.load_case(write(tmp_path, text + "[interface]\nmicrocontact = 'hertz'\n"))


def test_missing_file_and_syntax_error(tmp_path):
    with pytest.raises(ConfigError) as e:
        C.load_case(tmp_path / "nope.toml")
    assert e.value.problems == [f"case file '{tmp_path / 'nope.toml'}': no such file"]
    with pytest.raises(ConfigError) as e:
        C.load_case(write(tmp_path, "[geometry]\nt_e = \n"))
    (line,) = e.value.problems
    assert "TOML syntax error" in line and "line 2" in line
    with pytest.raises(ConfigError) as e:
        C.load_case(tmp_path)
    assert "is a directory" in e.value.problems[0]
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe[")
    with pytest.raises(ConfigError, match="not UTF-8"):
        C.load_case(tmp_path / "bin.toml")


def test_import_does_not_load_dolfinx():
    code = "import solver.config, solver.cli, sys; assert 'dolfinx' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_docs_name_every_key():
    """docs/case-format.md is the key table: every schema key, property, step key, family
    parameter and preset must appear in it."""
    import importlib
    import re

    text = (ROOT / "docs" / "case-format.md").read_text()

    def documented(word: str) -> bool:
        return re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", text) is not None

    keys = [k for schema in C.SCHEMA.values() for k in schema]
    keys += list(C.SECTION_ORDER) + list(C.STEP_SCHEMA) + list(C.STEP_KINDS)
    keys += ["protocol", "petsc_options", *M.PROPERTY_DIMS, *C.MATERIAL_TEXT_KEYS, *M.PRESETS]
    for fam in C.FAMILIES:
        keys += list(importlib.import_module(f"meshes.{fam}").PARAMS)
    missing = sorted({k for k in keys if not documented(k)})
    assert not missing, f"not in docs/case-format.md: {missing}"
