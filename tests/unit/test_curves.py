"""Tabulated curves (solver/curves.py, docs/theory.md §5.3) and experiment strings
(solver/experiment.py):

* the built-in OCV tables reproduce the published fits they sample (PyBaMM's Chen2020,
  Ramadass2004, Prada2013/Afshar2017 functions, typed here from the papers' fits) to 1e-4 V
  between the table points, pass through every table point, and fall monotonically;
* the UFL piecewise cubic equals scipy's PCHIP to 1e-8 V and its derivative (the Newton
  Jacobian) the PCHIP derivative; the antiderivative (Vegard eigenstrain) equals scipy's;
* the exchange-current lithiation factor is i0 k c^alpha_c (c_max - c)^alpha_a normalised at 1/2;
* CSV curves are read and bad files refused with one line;
* experiment strings round-trip: string -> step -> resolved case -> TOML -> case, and resolved
  step -> string -> the same resolved step.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver import curves as CV


def _chen2020(x):  # Chen et al. 2020, the NMC811 OCP fit (PyBaMM nmc_LGM50_ocp_Chen2020)
    return (
        -0.809 * x
        + 4.4875
        - 0.0428 * np.tanh(18.5138 * (x - 0.5542))
        - 17.7326 * np.tanh(15.789 * (x - 0.3117))
        + 17.5842 * np.tanh(15.9308 * (x - 0.312))
    )


def _ramadass2004(x):  # Ramadass et al. 2004 LiCoO2 OCP, stretch 1.13 (PyBaMM)
    s = 1.13 * x
    p = [-4.656, 88.669, -401.119, 342.909, -462.471, 433.434]
    q = [-1.0, 18.933, -79.532, 37.311, -73.083, 95.96]
    return sum(a * s ** (2 * i) for i, a in enumerate(p)) / sum(
        b * s ** (2 * i) for i, b in enumerate(q)
    )


def _afshar2017(x):  # LiFePO4 OCP of PyBaMM's Prada2013 set
    return 3.4077 - 0.020269 * x + 0.5 * np.exp(-150 * x) - 0.9 * np.exp(-30 * (1 - x))


PUBLISHED = {"Chen2020": _chen2020, "Ramadass2004": _ramadass2004, "Afshar2017": _afshar2017}


@pytest.mark.parametrize("name", sorted(CV.BUILTIN))
def test_builtin_ocv_matches_the_published_fit_and_is_monotone(name):
    cv = CV.BUILTIN[name]
    fit = PUBLISHED[name]
    a, b = cv.range
    assert cv(cv.x) == pytest.approx(fit(cv.x), abs=1e-12)  # through every table point
    x = np.linspace(a, b, 20001)
    err = np.max(np.abs(cv(x) - fit(x)))
    assert err < 1e-4, f"{name}: interpolation error {err:.3g} V"
    assert np.all(np.diff(cv(x)) < 0), f"{name}: the OCV must fall with lithiation"


def _ufl_eval(expr_of, xs):
    """Evaluate a UFL expression of a scalar Constant x at the points xs (assembled over a
    unit interval, so the integral is the value)."""
    import solver.petsc_env  # noqa: F401

    import ufl
    from dolfinx import fem, mesh
    from mpi4py import MPI

    msh = mesh.create_unit_interval(MPI.COMM_SELF, 1)
    xc = fem.Constant(msh, 0.5)
    form = fem.form(expr_of(xc) * ufl.dx(domain=msh))
    out = []
    for x in xs:
        xc.value = x
        out.append(fem.assemble_scalar(form))
    return np.array(out)


@pytest.mark.parametrize("name", sorted(CV.BUILTIN))
def test_ufl_piecewise_cubic_equals_pchip(name):
    from scipy.interpolate import PchipInterpolator

    cv = CV.BUILTIN[name]
    a, b = cv.range
    xs = np.concatenate([np.linspace(a, b, 97), cv.x[1:-1]])  # off and on the breakpoints
    p = PchipInterpolator(cv.x, cv.y)
    assert _ufl_eval(cv.ufl, xs) == pytest.approx(p(xs), abs=1e-8)
    # the Jacobian's derivative dU/dx
    import ufl

    def slope(xc):
        v = ufl.variable(xc)
        return ufl.diff(cv.ufl(v), v)

    assert _ufl_eval(slope, xs[:40]) == pytest.approx(p.derivative()(xs[:40]), rel=1e-7, abs=1e-6)


def test_antiderivative_and_entropic_column(tmp_path):
    from scipy.interpolate import PchipInterpolator

    f = tmp_path / "ocv.csv"
    f.write_text("# x, U, dU/dT\nx,U,dUdT\n0.1,4.2,-1e-4\n0.4,4.0,0\n0.7,3.8,2e-4\n0.95,3.5,1e-4\n")
    cv = CV.read_csv(f, "ocv")
    assert cv.dydT is not None and cv.range == (0.1, 0.95)
    xs = np.linspace(0.1, 0.95, 23)
    B = PchipInterpolator(cv.x, cv.y).antiderivative()
    assert _ufl_eval(lambda x: cv.ufl(x, antiderivative=True), xs) == pytest.approx(
        B(xs), abs=1e-12
    )
    dT = PchipInterpolator(cv.x, cv.dydT)
    assert _ufl_eval(cv.ufl_entropic, xs) == pytest.approx(dT(xs), abs=1e-15)


def test_exchange_current_factor_is_the_mass_action_law():
    # i0 = k c^a_c (c_max - c)^a_a with i0 (the key) the value at c_max/2
    c_max, i0 = 5e4, 10.0
    for a_a, a_c in ((0.5, 0.5), (0.3, 0.7)):
        k = i0 / ((c_max / 2) ** a_c * (c_max / 2) ** a_a)
        for c in (1e3, 2.5e4, 4.9e4):
            want = k * c**a_c * (c_max - c) ** a_a
            got = i0 * CV.exchange_current_factor(c / c_max, a_a, a_c)
            assert got == pytest.approx(want, rel=1e-12)
    assert CV.exchange_current_factor(0.5, 0.5, 0.5) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("x,U\n0.5,4\n", "needs >= 2 rows"),
        ("0.1,4\n0.1,3.9\n", "strictly increasing"),
        ("0.1,4\n1.2,3.9\n", "strictly increasing within [0, 1]"),
        ("0.1,4\n0.2,nan\n", "non-finite"),
        ("0.1,4\n0.2,abc\n", "non-numeric row"),
        ("0.1,4,1,2\n0.2,3,1,2\n", "expected rows of x, U"),
    ],
)
def test_bad_curve_files_are_refused(tmp_path, text, fragment):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(CV.CurveError, match=None) as e:
        CV.read_csv(f, "ocv")
    assert fragment in str(e.value) and "\n" not in str(e.value)


# ------------------------------------------------------------------------ experiment strings
STRINGS = [
    "Charge at 0.5 mA/cm2 until 4.3 V",
    "Hold at 4.3 V until 0.05 mA/cm2",
    "Rest for 10 minutes",
    "Discharge at 1 mA/cm2 for 2 hours or until 3.0 V (30 second period)",
    "Hold at 3.9 V for 1 hour",
    "Charge at 2 A/m2 for 90 seconds",
]


def test_experiment_strings_parse_to_protocol_steps():
    from solver import experiment as X

    steps = X.parse(STRINGS)
    assert steps[0] == {
        "kind": "current",
        "current_density": "0.5 mA/cm^2",
        "V_max": "4.3 V",
        "duration": "24 h",
        "n_steps": 1440,
    }
    assert steps[1]["kind"] == "voltage" and steps[1]["current_cutoff"] == "0.05 mA/cm^2"
    assert steps[2] == {"kind": "rest", "duration": "10 min", "n_steps": 10}
    assert steps[3]["current_density"] == "-1 mA/cm^2" and steps[3]["V_min"] == "3.0 V"
    assert steps[3]["n_steps"] == 240
    for bad in ("Charge at 1 C until 4.2 V", "Jump at 3 V", "Rest at 3 V", "Charge for 1 h"):
        with pytest.raises(X.ExperimentError):
            X.parse_step(bad)


def _case(loading: dict):
    from solver.config import case_from_dict

    return case_from_dict(
        {
            "materials": {"electrode": {"preset": "NMC811", "c_init": 30000.0}},
            "loading": loading,
            "physics": {"mechanics": False, "electrochemistry": True, "transport": True},
        }
    )


def test_experiment_round_trips_through_the_toml_protocol(tmp_path):
    from solver import experiment as X
    from solver.config import load_case

    cycle = {"repeat": 3, "steps": ["Discharge at 1 mA/cm2 for 1 minute", "Rest for 1 minute"]}
    case = _case({"experiment": [*STRINGS, cycle]})
    proto = case.loading["protocol"]
    assert [s["kind"] for s in proto] == [
        "current",
        "voltage",
        "rest",
        "current",
        "voltage",
        "current",
        "cycle",
    ]
    assert proto[0]["current_density"] == pytest.approx(5.0)
    assert proto[1]["current_cutoff"] == pytest.approx(0.5)
    assert proto[6]["repeat"] == 3 and len(proto[6]["steps"]) == 2
    # the resolved case (a TOML protocol) reads back to the same protocol
    f = tmp_path / "resolved.toml"
    f.write_text(case.to_toml())
    assert "[[loading.protocol.steps]]" in f.read_text()
    assert load_case(f).loading["protocol"] == proto
    # and every resolved step writes an experiment string that parses to the same step
    flat = [s for s in proto if s["kind"] != "cycle"] + proto[6]["steps"]
    again = _case({"experiment": [X.step_string(s) for s in flat]}).loading["protocol"]
    for a, b in zip(flat, again):
        for key in a:
            if isinstance(a[key], float):
                assert b[key] == pytest.approx(a[key], rel=1e-12), key
            else:
                assert b[key] == a[key], key


def test_experiment_refusals():
    from solver.errors import ConfigError

    with pytest.raises(ConfigError, match=r"loading.experiment\[1\]: .*cannot read"):
        _case({"experiment": ["Rest for 1 minute", "Sing at 3 V"]})
    with pytest.raises(ConfigError, match="got both experiment and"):
        _case(
            {
                "experiment": ["Rest for 1 minute"],
                "protocol": [{"kind": "rest", "duration": 1.0}],
            }
        )
    with pytest.raises(ConfigError, match="cycle' inside a cycle"):
        inner = {"kind": "cycle", "repeat": 2, "steps": [{"kind": "rest", "duration": 1.0}]}
        _case({"protocol": [{"kind": "cycle", "repeat": 2, "steps": [inner]}]})


def test_missing_ocv_is_an_input_error():
    from solver.config import case_from_dict
    from solver.errors import ConfigError

    user = {"kind": "electrode", "E": 1e11, "nu": 0.3, "sigma_e": 1.0, "c_max": 1e4, "D": 1e-14}
    with pytest.raises(ConfigError) as e:
        case_from_dict({"materials": {"electrode": user}, "physics": {"electrochemistry": True}})
    assert len(e.value.problems) == 1
    assert e.value.problems[0].startswith("materials.electrode.ocv_curve: missing, required by")
    # the bare NMC811 preset has its OCV (Chen2020) but no lithiation: c_init is refused
    with pytest.raises(ConfigError) as e:
        case_from_dict(
            {"materials": {"electrode": "NMC811"}, "physics": {"electrochemistry": True}}
        )
    assert e.value.problems[0].startswith("materials.electrode.c_init: got 0 mol/m^3, allowed")
    assert math.isclose(CV.BUILTIN["Chen2020"].range[0], 0.2661)
