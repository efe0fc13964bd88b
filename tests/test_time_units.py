"""Frequencies in Hz for models whose time unit is not ms.

Every frequency that bifurc reports in Hz (``frequency_hz``: Hopf points, cycle
branches, H-C curves, transverse-instability points and curves, and the
summary of a simulation) must be converted with the model's own time unit.
The oracles are exact: the Hopf normal form

    x' = mu x - w y - x r^2,   y' = w x + mu y - y r^2,   r^2 = x^2 + y^2,

has its Hopf point at mu = 0 with eigenvalues +-i w and, for mu > 0, the cycle
r^2 = mu of period 2 pi / w, so everything oscillates at w / (2 pi) per time
unit. With w = 2 pi 40 rad/s that is 40 Hz in a model in seconds and 40 kHz in
the same equations in ms. The values are compared to round-off (these models
have no discretisation error in the frequency: the period of a circular cycle
is exact to ~1e-12 in collocation, test_cycles.py).

Unit bugs found by these tests (fixed): H-C curves reported sqrt(kappa) =
omega (rad per time unit) as ``frequency_hz`` for models in seconds, and a
frequency for neutral saddles; cycle branches and TI-C curves of models in
seconds had no ``frequency_hz``; TI rows inserted into cycle branches had
1000 / period whatever the unit; ``analysis.summarise`` (the ``bifurc
simulate`` summary) multiplied by 1000 whatever the unit.
"""

import math

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation import continue_curve, continue_cycles, continue_equilibria
from bifurc.msf import dispersion_relation, homogeneous_model, locate_transverse_points

F0 = 40.0                 # Hz (per second)
W = 2 * math.pi * F0      # rad per time unit

HOPF = {"name": "hopf_units", "states": {"x": 0.0, "y": 0.0},
        "parameters": {"mu": -0.5, "w": W},
        "equations": {"x": "mu*x - w*y - x*(x**2 + y**2)", "y": "w*x + mu*y - y*(x**2 + y**2)"}}


def hopf_model(time_unit):
    return bf.Model.from_spec({**HOPF, "name": f"hopf_{time_unit}", "time_unit": time_unit})


@pytest.fixture(scope="module")
def hopf_seconds():
    model = hopf_model("s")
    eq = continue_equilibria(model, free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    return model, eq


def test_hopf_point_frequency_in_hz(hopf_seconds):
    """H at mu = 0, omega = w: 40 Hz in seconds; the same equations in ms (and
    the same located omega) give 1000 times as many Hz."""
    _, eq = hopf_seconds
    (hopf,) = eq.special_points
    assert hopf.kind == "H" and abs(hopf.parameters["mu"]) < 1e-13  # exact up to round-off
    assert hopf.data["omega"] == pytest.approx(W, rel=1e-13)
    assert hopf.data["frequency_hz"] == pytest.approx(F0, rel=1e-13)
    in_ms = continue_equilibria(hopf_model("ms"), free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    assert in_ms["H1"].data["omega"] == pytest.approx(W, rel=1e-13)
    assert in_ms["H1"].data["frequency_hz"] == pytest.approx(1000 * F0, rel=1e-13)
    # a unit bifurc cannot convert gets no frequency in Hz at all (never a wrong one)
    in_minutes = continue_equilibria(hopf_model("min"), free="mu", bounds=(-1, 1),
                                     start=[0.0, 0.0])
    assert "frequency_hz" not in in_minutes["H1"].data
    assert in_minutes["H1"].data["frequency"] == pytest.approx(F0, rel=1e-13)  # per minute


def test_cycle_branch_frequency_in_hz(hopf_seconds):
    """Cycles r^2 = mu of period 2 pi / w = 25 ms: 40 Hz at every point (the
    period is exact to ~1e-12 relative in collocation, measured 3.7e-12 here)."""
    model, eq = hopf_seconds
    cycles = continue_cycles(model, eq["H1"], bounds=(-1, 1), ntst=20, ncol=4)
    assert cycles.parameter("mu").max() == pytest.approx(1.0)
    np.testing.assert_allclose(cycles.extra["period"], 1 / F0, rtol=1e-10)
    np.testing.assert_allclose(cycles.extra["frequency_hz"], F0, rtol=1e-10)
    radii = np.linalg.norm(cycles.extra["profile"][1:], axis=2)
    np.testing.assert_allclose(radii, np.sqrt(cycles.parameter("mu")[1:])[:, None]
                               * np.ones_like(radii), rtol=1e-8)


def test_hopf_curve_frequency_in_hz_and_none_for_neutral_saddles():
    """Bogdanov-Takens normal form x' = y, y' = b1 + b2 x + x^2 - x y in seconds:
    Hopf points on b1 = 0 (x = 0) with omega^2 = kappa = -b2 for b2 < 0; for
    b2 > 0 the curve continues as neutral saddles (no frequency). So
    frequency_hz = sqrt(-b2) / (2 pi) exactly, NaN past the BT point b2 = 0."""
    model = bf.Model.from_spec({"name": "bt_seconds", "time_unit": "s",
                                "states": {"x": 0.0, "y": 0.0},
                                "parameters": {"b1": -0.1, "b2": -1.0},
                                "equations": {"x": "y", "y": "b1 + b2*x + x**2 - x*y"}})
    eq = continue_equilibria(model, free="b1", bounds=(-0.5, 0.5),
                             start=[(1 - math.sqrt(1.4)) / 2, 0.0])
    curve = continue_curve(model, eq["H1"], free=("b2", "b1"),
                           bounds={"b2": (-2.0, 1.0), "b1": (-0.5, 0.5)})
    b2, b1 = curve.values.T
    assert b2.min() == pytest.approx(-2.0) and b2.max() == pytest.approx(1.0)
    # measured 4e-15 and 1e-14 (round-off); frequencies to 4e-16
    np.testing.assert_allclose(b1, 0.0, atol=1e-12)
    np.testing.assert_allclose(curve.extra["kappa"], -b2, atol=1e-12)
    hopf = b2 < -1e-6
    saddles = b2 > 1e-6
    assert hopf.sum() > 3 and saddles.sum() > 3
    np.testing.assert_allclose(curve.extra["frequency_hz"][hopf],
                               np.sqrt(-b2[hopf]) / (2 * math.pi), rtol=1e-13)
    assert np.isnan(curve.extra["frequency_hz"][saddles]).all()


def test_simulation_summary_in_hz(tmp_path):
    """A run on the cycle r = 1 (mu = 1) of the model in seconds, summarised by
    analysis.summarise (the `bifurc simulate` summary): 40 Hz. The mean-level
    crossings of a sampled sine are interpolated to ~(h w)^3 ~ 1e-5 of a
    sample at 250 samples per period, and averaged over 20 periods: measured
    error 6e-13, tolerance 5e-11. The same run of the equations in ms reads
    40 kHz, and the unit survives saving the trajectory."""
    runs = {}
    for unit in ("s", "ms"):
        runs[unit] = bf.simulate(hopf_model(unit), {"mu": 1.0, "w": W}, duration=1.0,
                                 integrator=bf.DormandPrince(rtol=1e-10, atol=1e-12),
                                 initial_state=[1.0, 0.0], sample_interval=1e-4)
    np.testing.assert_array_equal(runs["s"].states, runs["ms"].states)
    summary = bf.analysis.summarise(runs["s"])
    assert summary["x"]["frequency_hz"] == pytest.approx(F0, rel=5e-11)
    assert summary["y"]["frequency_hz"] == pytest.approx(F0, rel=5e-11)
    assert bf.analysis.summarise(runs["ms"])["x"]["frequency_hz"] == pytest.approx(1000 * F0,
                                                                                   rel=5e-11)
    assert runs["s"].metadata["time_unit"] == "s"
    loaded = bf.Trajectory.load(runs["s"].save(tmp_path / "run.npz"))
    assert bf.analysis.summarise(loaded)["x"]["frequency_hz"] == pytest.approx(F0, rel=5e-11)


# --------------------------------------------------------------------------- networks
#: the Hopf oscillator plus a transverse state z' = (a + b r^2) z - z^3, coupled
#: through x -> x (gain cx), y -> y (gain cy) and z -> z (gain cz), in seconds
NODE = {"name": "hopf_z_seconds", "time_unit": "s",
        "states": {"x": 0.0, "y": 0.0, "z": 0.0},
        "parameters": {"mu": -0.5, "w": W, "a": -3.0, "b": 1.0, "cx": 1.0, "cy": 1.0,
                       "cz": -1.0},
        "equations": {"x": "mu*x - w*y - x*(x**2 + y**2)", "y": "w*x + mu*y - y*(x**2 + y**2)",
                      "z": "(a + b*(x**2 + y**2))*z - z**3"},
        "coupling": [{"target": "x", "source": "x", "gain": "cx"},
                     {"target": "y", "source": "y", "gain": "cy"},
                     {"target": "z", "source": "z", "gain": "cz"}]}


@pytest.fixture(scope="module")
def network_models():
    node = bf.Model.from_spec(NODE)
    return node, homogeneous_model(node)


def test_transverse_points_and_curve_of_equilibria_in_hz(network_models):
    """Coupling through x only (cx = 100, cy = 0) at eps = 1: at x = 0 the mode L
    has the block [[mu + eps L cx, -w], [w, mu]], which crosses the imaginary
    axis at mu = -eps L cx / 2 with frequency sqrt(w^2 - (eps L cx / 2)^2) / (2 pi)
    (39.2 Hz for L = -1: not simply w / 2 pi). Its TI-C curve in (eps, mu) is
    mu = eps cx / 2 with frequency sqrt(w^2 - mu^2) / (2 pi). Measured: all to
    round-off (1e-14 in mu, 3e-16 in the frequencies)."""
    node, homogeneous = network_models
    parameters = homogeneous.parameters(eps=1.0, mu=-60.0, cx=100.0, cy=0.0)
    eq = continue_equilibria(homogeneous, parameters, free="mu", bounds=(-60, 60),
                             start=np.zeros(3))
    located = locate_transverse_points(node, eq, [-1.0, 0.5], homogeneous=homogeneous)
    points = {p.data["L"][0]: p for p in located.special_points if p.kind == "TI"}
    assert sorted(points) == [-1.0, 0.5], located.summary()
    for L, point in points.items():
        half_shift = 1.0 * L * 100.0 / 2
        assert point.parameters["mu"] == pytest.approx(-half_shift, abs=1e-12)
        assert point.data["crossing"] == "oscillatory"
        exact = math.sqrt(W**2 - half_shift**2) / (2 * math.pi)
        assert point.data["frequency_hz"] == pytest.approx(exact, rel=1e-13)
        rate = dispersion_relation(node, point.parameters, point.state, [L],
                                   homogeneous=homogeneous)[0][0]
        assert abs(rate) < 1e-9
    curve = continue_curve(homogeneous, points[-1.0], free=("eps", "mu"),
                           bounds={"eps": (0.5, 1.5), "mu": (-100, 100)})
    assert curve.kind == "TI-C"
    eps, mu = curve.values.T
    assert eps.min() == pytest.approx(0.5) and eps.max() == pytest.approx(1.5)
    np.testing.assert_allclose(mu, 50.0 * eps, atol=1e-12)
    np.testing.assert_allclose(curve.extra["frequency_hz"],
                               np.sqrt(W**2 - mu**2) / (2 * math.pi), rtol=1e-13)


def test_transverse_points_on_cycles_in_hz(network_models):
    """Coupling x -> x and y -> y (cx = cy = 1) keeps the synchronous cycle a
    circle, r^2 = mu + eps, period 2 pi / w; the transverse z of mode L has the
    multiplier exp((a + b r^2 + eps L cz) 2 pi / w), which crosses 1 at
    mu = 2 + L (cz = -1, eps = 1): TI points at mu = 1 (L = -1) and 2.5
    (L = 0.5) before the synchronous one (L = 1, mu = 3). The rows inserted
    there carry 40 Hz like the rest of the branch. Measured: mu within 1.2e-13,
    frequencies within 3.7e-12 (the collocated period)."""
    node, homogeneous = network_models
    parameters = homogeneous.parameters(eps=1.0, mu=-1.5)
    eq = continue_equilibria(homogeneous, parameters, free="mu", bounds=(-1.5, 2.8),
                             start=np.zeros(3))
    assert eq["H1"].parameters["mu"] == pytest.approx(-1.0, abs=1e-12)
    cycles = continue_cycles(homogeneous, eq["H1"], bounds=(-1.5, 2.8), ntst=20, ncol=4)
    located = locate_transverse_points(node, cycles, [-1.0, 0.5], homogeneous=homogeneous)
    points = [p for p in located.special_points if p.kind == "TI"]
    assert sorted(p.data["L"][0] for p in points) == [-1.0, 0.5], located.summary()
    for point in points:
        assert point.parameters["mu"] == pytest.approx(2.0 + point.data["L"][0], abs=1e-11)
        assert point.data["crossing"] == "fold"
        assert point.data["frequency_hz"] == pytest.approx(F0, rel=1e-10)
        assert located.extra["frequency_hz"][point.index] == pytest.approx(F0, rel=1e-10)
    np.testing.assert_allclose(located.extra["frequency_hz"], F0, rtol=1e-10)
