"""docs/validation.md item 3: the interface law alone, on a uniform 2D bar (nearly rigid bulk, flat
Γ_int of length W), driven by a prescribed top displacement.

* gap = t/K before onset;
* energy dissipated to full separation = G_Ic (mode I), G_IIc (mode II) and the
  Benzeggagh–Kenane value G_c(B) in proportional mixed mode, for the bilinear and exponential
  laws — measured as the external work (trapezoid of the consistent reactions) and as the
  model's own dissipation ∫ Y dd;
* damage never heals on unloading (secant unloading to the origin);
* compression never penetrates beyond the penalty bound p / K_c, whatever the damage.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mpi4py import MPI

from tests.mech_helpers import bilayer_domain, mechanics, solve_ok

W = 10e-6
RIGID = {"E": 1e13, "nu": 0.3}
MATS = {"electrode": RIGID, "electrolyte": RIGID}
K = 1e15
SIG, TAU, GI, GII, ETA = 10e6, 15e6, 1.0, 3.0, 2.0


@pytest.fixture(scope="module")
def dom():
    return bilayer_domain(W=W, t_e=5e-6, t_s=5e-6, h_max=2.5e-6, h_interface=2.5e-6)


def _law(kind="bilinear"):
    from solver.physics.cohesive import CohesiveLaw

    return CohesiveLaw(
        K_n=K, K_t=K, K_c=100 * K, sigma_c=SIG, tau_c=TAU, G_Ic=GI, G_IIc=GII, eta=ETA, law=kind
    )


def _setup(dom, kind="bilinear"):
    from solver.metrics import MechanicsMetrics

    m, prob = mechanics(
        dom, MATS, _law(kind), pressure_mode="displacement", lateral="free", bottom="clamped"
    )
    return m, prob, MechanicsMetrics(m, g_open=1e-9)


def _drive(m, prob, met, path):
    """Follow a list of (u_y, u_x) top displacements; return rows of metrics."""
    from solver.stepping import StepInfo

    rows = []
    for i, (uy, ux) in enumerate(path):
        m.loads.top_displacement.value = uy
        m.loads.top_shear.value = ux
        res = solve_ok(prob)
        met.on_accept(m.accept())
        rows.append(met.row(StepInfo(i + 1, 0, float(i), {}, res.newton_iterations, 0, 0, 0.0)))
    return rows


def _gc(B):
    return GI + (GII - GI) * B**ETA


def test_gap_equals_traction_over_stiffness(dom):
    m, prob, met = _setup(dom)
    u = 0.5 * SIG / K  # half the onset opening, bulk nearly rigid
    _drive(m, prob, met, [(u, 0.0)])
    im = m.interfaces[0]
    gn = m.interface_point_values(im, im.state.g_n)
    tn = m.interface_point_values(im, im.state.t_n)
    # gap = t/K at every interface point; the only deviation is the C¹ rounding of the contact
    # brackets (ε = 1e-3 σ_c/K_c), a relative O(K_c ε²/(4 K g²)) = 1e-8 here
    assert np.allclose(gn, tn / K, rtol=1e-7, atol=1e-22)
    # and the reaction is the traction times the interface length
    assert m.top_reaction() == pytest.approx(float(np.mean(tn)) * W, rel=1e-6)


@pytest.mark.parametrize("kind", ["bilinear", "exponential"])
@pytest.mark.parametrize(
    "angle", [0.0, 90.0, 45.0, 30.0], ids=["modeI", "modeII", "mixed45", "mixed30"]
)
def test_energy_to_full_separation(dom, kind, angle):
    """Proportional loading to full separation: dissipated energy / W = G_c(B) within 1 %."""
    th = math.radians(angle)
    B = math.sin(th) ** 2  # K_t = K_n: B = g_t^2/(g_n^2 + g_t^2)
    gc = _gc(B)
    d0 = math.sqrt((SIG / K) ** 2 + ((TAU / K) ** 2 - (SIG / K) ** 2) * B**ETA)
    df = 2 * gc / (K * d0)
    end = df if kind == "bilinear" else d0 + 14 * 0.5 * (df - d0)  # exp tail < 1e-6
    # steps dense at the onset of softening, where the damage rate is largest
    soft = d0 + (end - d0) * np.linspace(0, 1, 160)[1:] ** 2
    s = np.concatenate([np.linspace(0, d0, 6)[1:], soft])
    m, prob, met = _setup(dom, kind)
    rows = _drive(m, prob, met, [(x * math.cos(th), x * math.sin(th)) for x in s])
    last = rows[-1]
    # docs/validation.md item 13: external work = stored energy + cohesive dissipation, each step
    for r in rows[5:]:
        assert r["external_work"] == pytest.approx(
            r["elastic_energy"] + r["cohesive_dissipation"], rel=0.01
        )
    assert last["debonded_fraction"] == pytest.approx(1.0) or kind == "exponential"
    assert last["mean_damage"] > 0.999
    # the energy still stored at the end is negligible, so W_ext ≈ dissipation = G_c W
    assert last["elastic_energy"] < 1e-3 * gc * W
    assert last["external_work"] / W == pytest.approx(gc, rel=0.01)
    assert last["cohesive_dissipation"] / W == pytest.approx(gc, rel=0.01)


def test_damage_never_heals_and_secant_unloading(dom):
    m, prob, met = _setup(dom)
    d0 = SIG / K
    df = 2 * GI / (K * d0)
    mid = 0.5 * (d0 + df)
    up = np.linspace(0, mid, 40)[1:]
    down = np.linspace(mid, 0.0, 20)[1:]
    rows = _drive(m, prob, met, [(x, 0.0) for x in up])
    d_peak = rows[-1]["mean_damage"]
    R_peak = m.top_reaction()
    # unloading: damage frozen, force follows the secant to the origin
    for x in down:
        m.loads.top_displacement.value = x
        solve_ok(prob)
        met.on_accept(m.accept())
        assert met.row(_info())["mean_damage"] == pytest.approx(d_peak, rel=1e-12)
        # abs: at g_n → 0 the C¹ rounding of the contact brackets carries K_c ε/2 = 5e-4 σ_c
        assert m.top_reaction() == pytest.approx(R_peak * x / mid, rel=2e-3, abs=2e-3 * R_peak)
    # reloading to the peak retraces the secant, no new damage until mid
    m.loads.top_displacement.value = 0.9 * mid
    solve_ok(prob)
    met.on_accept(m.accept())
    assert met.row(_info())["mean_damage"] == pytest.approx(d_peak, rel=1e-12)
    assert 0.3 < d_peak < 1.0


def _info():
    from solver.stepping import StepInfo

    return StepInfo(0, 0, 0.0, {}, 0, 0, 0, 0.0)


@pytest.mark.parametrize("damaged", [False, True], ids=["bonded", "debonded"])
def test_compression_never_penetrates(dom, damaged):
    """Penetration under compression is bounded by p/K_c, bonded or fully debonded."""
    m, prob, met = _setup(dom)
    if damaged:  # open fully first
        d0 = SIG / K
        for x in np.linspace(0, 2 * GI / (K * d0), 200)[1:]:
            m.loads.top_displacement.value = x
            solve_ok(prob)
            met.on_accept(m.accept())
        assert met.row(_info())["debonded_fraction"] == pytest.approx(1.0)
    law = m.interfaces[0].law
    for x in (-1e-9, -1e-8):
        m.loads.top_displacement.value = x
        solve_ok(prob)
        im = m.interfaces[0]
        gn = m.interface_point_values(im, im.state.g_n)
        p = -m.interface_point_values(im, im.state.t_n)
        comm = MPI.COMM_WORLD
        assert comm.allreduce(float(p.min(initial=np.inf)), op=MPI.MIN) > 0
        pen = comm.allreduce(float((-gn).max(initial=0)), op=MPI.MAX)
        bound = comm.allreduce(float(p.max(initial=0)), op=MPI.MAX) / law.K_c
        assert pen <= bound * (1 + 1e-9)


def test_unload_reload_follows_the_secant_then_the_softening_line(dom):
    """Irreversibility through the mechanical response (docs/validation.md item 3 (f)): mode I
    opening beyond onset to δ_m, unloading to 0.1 δ_m, reloading to beyond δ_m. Bilinear law
    (Camanho & Dávila 2002), δ₀ = σ_c/K, δ_f = 2G_Ic/σ_c:

    * loading: t = Kδ up to δ₀, then the softening line t = σ_c (δ_f − δ)/(δ_f − δ₀);
    * unloading and reloading below δ_m: the secant through the origin,
      t = (1 − d_max) K δ = σ_c (δ_f − δ_m)/(δ_f − δ₀) · δ/δ_m;
    * beyond δ_m: the softening line again.

    Pointwise at every interface point, with the measured opening δ = g_n: relative 1e-6 (the
    C¹ rounding of the brackets is (1e-3 σ_c/K_c/δ)²/4 < 1e-10 at δ ≥ 0.1 δ₀). A law whose
    damage decreases on unloading (healing) leaves the secant."""
    m, prob, met = _setup(dom)
    im = m.interfaces[0]
    d0, df = SIG / K, 2 * GI / SIG
    dm = d0 + 0.4 * (df - d0)
    d2 = d0 + 0.7 * (df - d0)

    def softening(g):
        return np.where(g <= d0, K * g, SIG * (df - g) / (df - d0))

    def secant(g, g_max):
        return SIG * (df - g_max) / (df - d0) * g / g_max

    def opening_and_traction():
        return (
            m.interface_point_values(im, im.state.g_n),
            m.interface_point_values(im, im.state.t_n),
        )

    g_max = None
    for x in np.linspace(0, dm, 30)[1:]:  # load
        m.loads.top_displacement.value = x
        solve_ok(prob)
        met.on_accept(m.accept())
        g, t = opening_and_traction()
        assert np.allclose(t, softening(g), rtol=1e-6, atol=1e-9 * SIG)
        g_max = g if g_max is None else np.maximum(g_max, g)
    assert np.all(g_max > d0 + 0.3 * (df - d0))
    on_secant = 0
    path = list(np.linspace(dm, 0.1 * dm, 10)[1:]) + list(np.linspace(0.1 * dm, d2, 30)[1:])
    for x in path:  # unload, reload
        m.loads.top_displacement.value = x
        solve_ok(prob)
        met.on_accept(m.accept())
        g, t = opening_and_traction()
        below = g < g_max * (1 - 1e-9)
        expected = np.where(below, secant(g, g_max), softening(g))
        assert np.allclose(t, expected, rtol=1e-6, atol=1e-9 * SIG), (x, t, expected)
        on_secant += int(np.all(below))
        g_max = np.maximum(g_max, g)
    assert on_secant >= 20  # most of the path ran on the secant
    assert np.all(g_max > d0 + 0.65 * (df - d0))  # and the softening branch resumed beyond δ_m


def test_decohesion_is_the_dissipated_fraction_whatever_the_stiffness(dom):
    """docs/validation.md item 3 (e): the decohesion D that gates the ion path (docs/theory.md
    §4.5) is the dissipated fraction Φ/G_c. Mode I, bilinear law (Camanho & Dávila 2002),
    δ₀ = σ_c/K, δ_f = 2G_Ic/σ_c: at every point D = (δ_m − δ₀)/(δ_f − δ₀) for the largest
    opening δ_m reached (1e-6; it keeps that value on unloading). Loaded to δ_m = 0.3 δ_f with K
    and with 10 K (δ₀/δ_f = 0.05 → 0.005), D converges to δ_m/δ_f like δ₀/δ_f (within 2 % at
    10 K), while the secant damage d = δ_f(δ_m − δ₀)/(δ_m(δ_f − δ₀)) moves from 0.88 to 0.99:
    d is a numerical quantity, D a physical one."""
    from solver.metrics import MechanicsMetrics
    from solver.physics.cohesive import CohesiveLaw

    out = {}
    for factor in (1.0, 10.0):
        Kf = K * factor
        law = CohesiveLaw(K_n=Kf, K_t=Kf, K_c=100 * Kf, sigma_c=SIG, tau_c=TAU, G_Ic=GI,
                          G_IIc=GII)  # fmt: skip
        m, prob = mechanics(
            dom, MATS, law, pressure_mode="displacement", lateral="free", bottom="clamped"
        )
        met = MechanicsMetrics(m, g_open=1e-9)
        im = m.interfaces[0]
        d0, df = SIG / Kf, 2 * GI / SIG
        g_m = None
        for x in (0.1 * df, 0.3 * df, 0.15 * df):  # load, load, unload
            m.loads.top_displacement.value = x
            solve_ok(prob)
            met.on_accept(m.accept())
            g = m.interface_point_values(im, im.state.g_n)
            g_m = g if g_m is None else np.maximum(g_m, g)
        D = im.D_old.x.array
        assert np.allclose(D, (g_m - d0) / (df - d0), rtol=1e-6)
        assert np.allclose(g_m, 0.3 * df, rtol=1e-3)
        out[factor] = (float(D.mean()), float(im.d_old.x.array.mean()))
        assert met.row(_info())["debonded_fraction"] == pytest.approx(D.mean(), rel=1e-9)
    (D1, d1), (D10, d10) = out[1.0], out[10.0]
    # D converges to δ_m/δ_f = 0.3 like δ₀/δ_f (0.05 → 0.005): within 2 % at 10 K
    assert D10 == pytest.approx(0.3, rel=0.02)
    assert abs(D10 - 0.3) < abs(D1 - 0.3) / 5
    assert d10 - d1 > 0.1  # the secant damage is a numerical quantity
