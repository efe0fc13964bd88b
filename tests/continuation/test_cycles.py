"""LC-C: limit cycles by collocation, Floquet multipliers, LPC / PD / NS, on
systems whose cycles and multipliers are known exactly."""

import math

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation import ContinuationOptions, continue_equilibria
from bifurc.continuation.collocation import orbit_statistics
from bifurc.continuation.cycles import continue_cycles, find_cycle

TWO_PI = 2 * math.pi


def model_from(name, states, equations, parameters):
    return bf.Model.from_spec({"name": name, "states": states, "parameters": parameters,
                               "equations": equations})


def only(branch, kind):
    points = [p for p in branch.special_points if p.kind == kind]
    assert len(points) == 1, branch.summary()
    return points[0]


@pytest.fixture(scope="module")
def hopf_normal_form():
    return model_from("hopf_nf", {"x": 0.0, "y": 0.0},
                      {"x": "mu*x - y - x*(x**2 + y**2)", "y": "x + mu*y - y*(x**2 + y**2)"},
                      {"mu": -0.5})


@pytest.fixture(scope="module")
def hopf_cycles(hopf_normal_form):
    eq = continue_equilibria(hopf_normal_form, free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    return continue_cycles(hopf_normal_form, eq["H1"], bounds=(-1, 1), ntst=20, ncol=4)


def test_hopf_normal_form_amplitude_and_period(hopf_cycles):
    """Cycles x^2 + y^2 = mu with period 2 pi; multipliers 1 and exp(-2 mu 2 pi)."""
    mu = hopf_cycles.parameter("mu")
    assert mu.max() == pytest.approx(1.0) and (mu > 0).all()
    radii = np.linalg.norm(hopf_cycles.extra["profile"][1:], axis=2)  # after the Hopf point
    np.testing.assert_allclose(radii, np.sqrt(mu[1:])[:, None] * np.ones_like(radii), rtol=1e-8)
    np.testing.assert_allclose(hopf_cycles.extra["period"], TWO_PI, rtol=1e-8)
    multipliers = hopf_cycles.eigenvalues
    np.testing.assert_allclose(multipliers[:, 0], 1.0, atol=1e-8)
    np.testing.assert_allclose(multipliers[:, 1].real, np.exp(-2 * mu * TWO_PI), rtol=1e-6,
                               atol=1e-12)
    assert hopf_cycles.stable[1:].all()  # (the first point is the Hopf point itself)
    assert hopf_cycles.extra["frequency_hz"] == pytest.approx(1000 / TWO_PI)


def test_period_converges_at_collocation_order():
    """Mesh-point values of Gauss collocation converge as h^(2 NCOL): the period
    error of a non-circular cycle falls ~2^(2 NCOL) when NTST doubles."""
    model = model_from("vdp", {"x": 2.0, "y": 0.0}, {"x": "y", "y": "m*(1 - x**2)*y - x"},
                       {"m": 1.0})
    reference = find_cycle(model, ntst=160, ncol=4, transient=100).period
    errors = [abs(find_cycle(model, ntst=ntst, ncol=3, transient=100).period - reference)
              for ntst in (10, 20, 40)]
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(5.3 < order < 6.7 for order in orders), (errors, orders)  # 2 NCOL = 6


@pytest.fixture(scope="module")
def twisted():
    """A unit-circle cycle (period 2 pi) whose transverse plane turns by pi per
    period (a Mobius band): multipliers -exp((a +- b) 2 pi), so a period
    doubling at a = -b exactly."""
    return model_from(
        "pd_twist", {"x": 1.0, "y": 0.0, "z1": 0.01, "z2": 0.0},
        {"x": "x - y - x*(x**2 + y**2)", "y": "x + y - y*(x**2 + y**2)",
         "z1": "-0.5*z2 + a*z1 + b*(x*z1 + y*z2) - z1*(z1**2 + z2**2)",
         "z2": "0.5*z1 + a*z2 + b*(y*z1 - x*z2) - z2*(z1**2 + z2**2)"},
        {"a": -0.8, "b": 0.5})


def test_find_cycle_and_floquet_multipliers(twisted):
    orbit = find_cycle(twisted, ntst=30, ncol=4, transient=200)
    assert orbit.period == pytest.approx(TWO_PI, rel=1e-9)
    exact = sorted([1.0, -math.exp(-0.3 * TWO_PI), -math.exp(-1.3 * TWO_PI), math.exp(-2 * TWO_PI)],
                   key=abs, reverse=True)
    np.testing.assert_allclose(orbit.multipliers.real, exact, rtol=1e-7)
    assert abs(orbit.multipliers[0] - 1) < 1e-8  # the trivial multiplier
    assert np.abs(orbit.multipliers[-1]) < 1e-5  # strongly contracting, still accurate


def test_period_doubling_located(twisted):
    orbit = find_cycle(twisted, ntst=30, ncol=4, transient=200)
    branch = continue_cycles(twisted, orbit, free="a", bounds=(-1, 0), ntst=30, ncol=4)
    pd = only(branch, "PD")
    assert abs(pd.parameters["a"] + 0.5) < 1e-6
    assert np.abs(pd.eigenvalues + 1).min() < 1e-6
    a = branch.parameter("a")
    assert branch.stable[a < -0.51].all() and not branch.stable[a > -0.49].any()


def test_switch_to_period_doubled_cycle(twisted):
    """Beyond the PD at a = -b the doubled cycle has z = R(theta/2) (sqrt(a + b), 0):
    |z| = sqrt(a + b) and period 4 pi."""
    orbit = find_cycle(twisted, ntst=30, ncol=4, transient=200)
    branch = continue_cycles(twisted, orbit, free="a", bounds=(-1, 0), ntst=30, ncol=4)
    doubled = continue_cycles(twisted, branch["PD1"], bounds=(-1, 0))
    a = doubled.parameter("a")
    assert a.max() == pytest.approx(0.0) and (a >= -0.5 - 1e-9).all()
    np.testing.assert_allclose(doubled.extra["period"], 2 * TWO_PI, rtol=1e-9)
    z = np.linalg.norm(doubled.extra["profile"][1:, :, 2:], axis=2)
    np.testing.assert_allclose(z, np.sqrt(a[1:] + 0.5)[:, None] * np.ones_like(z), atol=1e-8)
    assert doubled.stable[1:].all()


def test_torus_bifurcation_located():
    """A cycle with a transverse focus z' = (a + i nu) z: multipliers
    exp((a +- i nu) 2 pi), a Neimark-Sacker bifurcation at a = 0 with rotation 2 pi nu."""
    model = model_from(
        "torus", {"x": 1.0, "y": 0.0, "z1": 0.01, "z2": 0.0},
        {"x": "x - y - x*(x**2 + y**2)", "y": "x + y - y*(x**2 + y**2)",
         "z1": "a*z1 - 0.3*z2 - z1*(z1**2 + z2**2)", "z2": "0.3*z1 + a*z2 - z2*(z1**2 + z2**2)"},
        {"a": -0.3})
    orbit = find_cycle(model, ntst=20, ncol=4, transient=200)
    branch = continue_cycles(model, orbit, free="a", bounds=(-0.5, 0.5), ntst=20, ncol=4)
    ns = only(branch, "NS")
    assert abs(ns.parameters["a"]) < 1e-6
    assert ns.data["angle"] == pytest.approx(0.3 * TWO_PI % TWO_PI, rel=1e-6)
    assert not [p for p in branch.special_points if p.kind == "PD"]


def test_fold_of_cycles_on_bautin_normal_form():
    """r' = r (mu + r^2 - r^4): subcritical Hopf at mu = 0, cycles fold at
    mu = -1/4 (r^2 = 1/2)."""
    model = model_from(
        "bautin_sub", {"x": 0.0, "y": 0.0},
        {"x": "mu*x - y + x*(x**2 + y**2) - x*(x**2 + y**2)**2",
         "y": "x + mu*y + y*(x**2 + y**2) - y*(x**2 + y**2)**2"},
        {"mu": -0.5})
    eq = continue_equilibria(model, free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    assert eq["H1"].data["l1"] > 0
    branch = continue_cycles(model, eq["H1"], bounds=(-1, 1), ntst=20, ncol=4)
    fold = only(branch, "LPC")
    assert abs(fold.parameters["mu"] + 0.25) < 1e-8
    radius = np.linalg.norm(branch.extra["profile"][fold.index], axis=1)
    np.testing.assert_allclose(radius, math.sqrt(0.5), rtol=1e-6)
    r2 = np.linalg.norm(branch.extra["profile"][:, 0, :], axis=1) ** 2
    away = (np.abs(r2 - 0.5) > 1e-3) & (r2 > 1e-3)  # not at the fold or the Hopf point
    assert (branch.stable[away] == (r2[away] > 0.5)).all()  # outer cycles are the stable ones


def test_ei_cycle_matches_simulation(ei):
    """The PING cycle at eta_e = 10 from collocation has the period and range of
    a direct simulation."""
    eq = continue_equilibria(ei, ei.parameters(eta_e=-10), free="eta_e", bounds=(-10, 30))
    branch = continue_cycles(ei, eq["H2"], bounds=(-10, 30), ntst=50, ncol=4,
                             options=ContinuationOptions(step_size=0.01, max_step_size=0.5,
                                                         max_points=400))
    eta = branch.parameter("eta_e")
    k = np.argmin(np.abs(eta - 10.0))
    orbit = find_cycle(ei, ei.parameters(eta_e=eta[k]), ntst=50, ncol=4, transient=500)
    assert branch.extra["period"][k] == pytest.approx(orbit.period, rel=1e-6)
    maximum, minimum, _ = orbit_statistics(orbit.discretisation(), orbit.profile[:-1].ravel())
    np.testing.assert_allclose(branch.extra["max"][k], maximum, rtol=1e-3)  # sampled extremes
    np.testing.assert_allclose(branch.extra["min"][k], minimum, rtol=1e-3)
    assert 30 < 1000 / orbit.period < 100
    assert branch.stable[k]
    assert abs(branch.eigenvalues[k, 0] - 1) < 1e-8


def test_start_errors_are_clear(hopf_normal_form):
    with pytest.raises(bf.ParameterError, match="no limit cycle found"):
        find_cycle(hopf_normal_form, {"mu": -0.5}, guess=[0.1, 0.0], transient=100)
    eq = continue_equilibria(hopf_normal_form, free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    with pytest.raises(bf.ParameterError, match="cycles start from a Hopf point"):
        continue_cycles(hopf_normal_form, eq["H1"].__class__(**{**eq["H1"].__dict__, "kind": "LP"}),
                        bounds=(-1, 1))
    degenerate = model_from("bautin0", {"x": 0.0, "y": 0.0},
                            {"x": "mu*x - y - x*(x**2 + y**2)**2", "y": "x + mu*y - y*(x**2 + y**2)**2"},
                            {"mu": -0.5})
    eq0 = continue_equilibria(degenerate, free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    with pytest.raises(bf.ParameterError, match=r"degenerate \(l1 = "):
        continue_cycles(degenerate, eq0["H1"], bounds=(-1, 1))


def test_find_cycle_rejects_a_damped_oscillation(hopf_normal_form):
    """Just below the Hopf point (mu = -0.002) there is no cycle, but the focus is
    so weakly damped that the simulation still oscillates: Newton then converges
    to the constant orbit x = 0, which must not be returned as a cycle."""
    with pytest.raises(bf.ParameterError, match="settles on a stable equilibrium"):
        find_cycle(hopf_normal_form, {"mu": -0.002}, guess=[0.5, 0.0], transient=100)


def test_period_blow_up_near_homoclinic_stops_with_message():
    """Bogdanov-Takens normal form: the cycles born at the Hopf point b1 = 0
    (b2 = -1) end in a homoclinic orbit, where the period diverges; the family
    ends with the status "homoclinic" and a HOM point at the saddle (the
    estimate is checked against shooting in test_cycle_ends.py)."""
    model = model_from("bt_nf", {"x": 0.0, "y": 0.0}, {"x": "y", "y": "b1 + b2*x + x**2 - x*y"},
                       {"b1": -0.1, "b2": -1.0})
    eq = continue_equilibria(model, free="b1", bounds=(-0.5, 0.5),
                             start=[(1 - math.sqrt(1.4)) / 2, 0.0])
    branch = continue_cycles(model, eq["H1"], bounds=(-0.5, 0.5), ntst=40, ncol=4,
                             max_period=100.0,
                             options=ContinuationOptions(step_size=0.01, max_step_size=0.2,
                                                         max_points=600))
    assert branch.ends[-1]["status"] == "homoclinic", branch.ends
    assert "homoclinic orbit to the saddle" in branch.ends[-1]["message"]
    hom = branch.special_points[-1]
    assert hom.kind == "HOM" and hom.index == len(branch) - 1
    saddle = np.array(hom.data["equilibrium"])
    x = saddle[0]  # an equilibrium of the model, with a real pair of opposite signs
    b1 = hom.parameters["b1"]
    assert abs(b1 - x + x**2) < 1e-9 and saddle[1] == pytest.approx(0.0, abs=1e-12)
    assert branch.extra["period"][-1] > 2.5 * branch.extra["period"][0]


def test_branch_point_of_cycles_on_request():
    """A z -> -z symmetric cycle family: the transverse multiplier
    exp((a + b c) 2 pi) crosses +1 at c = -a / b = 0.6, a pitchfork of cycles."""
    model = model_from("hopf_bpc", {"x": 0.0, "y": 0.0, "z": 0.0},
                       {"x": "c*x - y - x*(x**2 + y**2)", "y": "x + c*y - y*(x**2 + y**2)",
                        "z": "(a + b*(x**2 + y**2))*z - z**3"},
                       {"c": -0.5, "a": -0.3, "b": 0.5})
    eq = continue_equilibria(model, free="c", bounds=(-0.5, 1), start=np.zeros(3))
    plain = continue_cycles(model, eq["H1"], bounds=(-0.5, 1), ntst=20, ncol=4)
    assert not plain.special_points  # BPC detection is off by default
    branch = continue_cycles(model, eq["H1"], bounds=(-0.5, 1), ntst=20, ncol=4,
                             detect_branch_points=True)
    bpc = only(branch, "BPC")
    assert abs(bpc.parameters["c"] - 0.6) < 1e-8
    assert np.sort(np.abs(bpc.eigenvalues - 1))[1] < 1e-6  # a second multiplier at 1
