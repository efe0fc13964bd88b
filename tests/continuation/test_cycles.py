"""LC-C: limit cycles by collocation, Floquet multipliers, LPC / PD / NS, on
systems whose cycles and multipliers are known exactly, and the ei PING cycle
against a direct simulation (scipy DOP853).

On the circles of these test systems the collocation is accurate to ~1e-12
(periods 4e-12 at NTST = 20, NCOL = 4; multipliers 1e-13 .. 1e-8 relative,
the smallest ones least accurately); special points whose location is exact in
the model are found to round-off (measured ~1e-16). Tolerances are about 100
times the measured errors; round-off-level ones are 1e-12 (room for other
BLAS/LAPACK kernels)."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import bifurc as bf
from bifurc.continuation import ContinuationOptions, continue_equilibria
from bifurc.continuation import continue_cycles, find_cycle

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
    # measured: radii 4e-9, periods 4e-12, trivial multiplier 2e-11, the other 2e-8
    np.testing.assert_allclose(radii, np.sqrt(mu[1:])[:, None] * np.ones_like(radii), rtol=1e-7)
    np.testing.assert_allclose(hopf_cycles.extra["period"], TWO_PI, rtol=1e-10)
    multipliers = hopf_cycles.eigenvalues
    np.testing.assert_allclose(multipliers[:, 0], 1.0, atol=1e-9)
    np.testing.assert_allclose(multipliers[:, 1].real, np.exp(-2 * mu * TWO_PI), rtol=1e-6,
                               atol=1e-12)
    assert hopf_cycles.stable[1:].all()  # (the first point is the Hopf point itself)
    np.testing.assert_allclose(hopf_cycles.extra["frequency_hz"], 1000 / TWO_PI, rtol=1e-10)


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
    assert orbit.period == pytest.approx(TWO_PI, rel=1e-11)  # measured 1.5e-13
    exact = sorted([1.0, -math.exp(-0.3 * TWO_PI), -math.exp(-1.3 * TWO_PI), math.exp(-2 * TWO_PI)],
                   key=abs, reverse=True)
    # measured relative errors 1e-15, 3e-13, 2e-11, 6.5e-10 (the smallest multiplier)
    np.testing.assert_allclose(orbit.multipliers.real, exact, rtol=5e-8)
    assert abs(orbit.multipliers[0] - 1) < 1e-12  # the trivial multiplier (measured 1e-15)
    assert np.abs(orbit.multipliers[-1]) < 1e-5  # strongly contracting, still accurate


def test_period_doubling_located(twisted):
    orbit = find_cycle(twisted, ntst=30, ncol=4, transient=200)
    branch = continue_cycles(twisted, orbit, free="a", bounds=(-1, 0), ntst=30, ncol=4)
    pd = only(branch, "PD")
    assert abs(pd.parameters["a"] + 0.5) < 1e-12  # round-off (measured 2e-16)
    assert np.abs(pd.eigenvalues + 1).min() < 1e-12
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
    np.testing.assert_allclose(doubled.extra["period"], 2 * TWO_PI, rtol=1e-11)  # 1.5e-13
    z = np.linalg.norm(doubled.extra["profile"][1:, :, 2:], axis=2)
    np.testing.assert_allclose(z, np.sqrt(a[1:] + 0.5)[:, None] * np.ones_like(z),
                               atol=1e-9)  # measured 9e-12
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
    assert abs(ns.parameters["a"]) < 1e-12  # round-off (measured 1.3e-15)
    assert ns.data["angle"] == pytest.approx(0.3 * TWO_PI % TWO_PI, rel=1e-10)  # 4e-12
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
    assert abs(fold.parameters["mu"] + 0.25) < 1e-12  # round-off (measured 0)
    radius = np.linalg.norm(branch.extra["profile"][fold.index], axis=1)
    np.testing.assert_allclose(radius, math.sqrt(0.5), rtol=1e-7)  # measured 3e-9
    r2 = np.linalg.norm(branch.extra["profile"][:, 0, :], axis=1) ** 2
    away = (np.abs(r2 - 0.5) > 1e-3) & (r2 > 1e-3)  # not at the fold or the Hopf point
    assert (branch.stable[away] == (r2[away] > 0.5)).all()  # outer cycles are the stable ones


def simulated_cycle(model, parameters, duration=400.0):
    """The attracting cycle by direct simulation (scipy DOP853, rtol 1e-11) from
    the model's initial state: (period, maxima, minima, means) over the last
    period, the period between the last two interpolated up-crossings of the
    first state's mid-range, extremes at the zeros of each state's derivative on
    the dense output, means by quadrature."""
    compiled = bf.compile_model(model)
    p = model.parameters(**parameters).values
    run = solve_ivp(lambda t, x: compiled.vector_field(x, p), (0, duration),
                    model.initial_state(), method="DOP853", rtol=1e-11, atol=1e-12,
                    dense_output=True)
    t = np.linspace(duration - 100.0, duration, 20001)
    x = run.sol(t)
    level = 0.5 * (x[0].max() + x[0].min())
    up = np.flatnonzero((x[0, :-1] < level) & (x[0, 1:] >= level))
    start, end = (brentq(lambda s: run.sol(s)[0] - level, t[k], t[k + 1], xtol=1e-13)
                  for k in up[-2:])
    t = np.linspace(start, end, 20001)
    x = run.sol(t)
    slope = np.array([compiled.vector_field(x[:, j], p) for j in range(len(t))]).T
    maxima, minima = [], []
    for i in range(model.n_states):
        def extreme(k, i=i):
            return run.sol(brentq(lambda s: compiled.vector_field(run.sol(s), p)[i],
                                  t[k], t[k + 1], xtol=1e-14))[i]
        turns = np.flatnonzero(np.sign(slope[i, :-1]) != np.sign(slope[i, 1:]))
        values = [extreme(k) for k in turns] + [x[i, 0]]
        maxima.append(max(values))
        minima.append(min(values))
    weights = np.full(len(t), t[1] - t[0])  # trapezoid on 20000 intervals
    weights[[0, -1]] /= 2
    means = x @ weights / (end - start)
    return end - start, np.array(maxima), np.array(minima), means


def test_ei_cycle_matches_simulation(ei):
    """The PING cycle near eta_e = 10 (the stable gamma rhythm, 60 Hz) from the
    branch of cycles born at H2 against a direct simulation at the same eta_e.
    Measured: period 2e-12 relative (tolerance 1e-10), means 6e-13 of the range
    (5e-11); the branch's max and min are sampled at 8 points per mesh interval,
    so they lie inside the true range by up to 1.2e-5 of it (tolerance 1e-4)."""
    eq = continue_equilibria(ei, ei.parameters(eta_e=-10), free="eta_e", bounds=(-10, 30))
    branch = continue_cycles(ei, eq["H2"], bounds=(-10, 30), ntst=50, ncol=4,
                             options=ContinuationOptions(step_size=0.01, max_step_size=0.5,
                                                         max_points=400))
    eta = branch.parameter("eta_e")
    k = np.argmin(np.abs(eta - 10.0))
    assert abs(eta[k] - 10.0) < 0.5
    period, maxima, minima, means = simulated_cycle(ei, {"eta_e": eta[k]})
    assert branch.extra["period"][k] == pytest.approx(period, rel=1e-10)
    assert branch.extra["frequency_hz"][k] == pytest.approx(1000 / period, rel=1e-10)
    scale = maxima - minima
    assert np.all(branch.extra["max"][k] <= maxima + 1e-9 * scale)
    assert np.all(branch.extra["max"][k] >= maxima - 1e-4 * scale)
    assert np.all(branch.extra["min"][k] >= minima - 1e-9 * scale)
    assert np.all(branch.extra["min"][k] <= minima + 1e-4 * scale)
    np.testing.assert_allclose(branch.states[k], means, rtol=0, atol=5e-11 * scale.max())
    # the simulation settles on it: a stable cycle, with the trivial multiplier exact
    assert branch.stable[k]
    assert abs(branch.eigenvalues[k, 0] - 1) < 5e-9  # measured 6e-11


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
    assert abs(b1 - x + x**2) < 1e-10 and saddle[1] == pytest.approx(0.0, abs=1e-12)  # 1.5e-12
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
    assert abs(bpc.parameters["c"] - 0.6) < 1e-12  # round-off (measured 3e-15)
    assert np.sort(np.abs(bpc.eigenvalues - 1))[1] < 1e-12  # a second multiplier at 1


def test_cycle_corrector_walks_a_row_and_refines_its_mesh():
    """CycleCorrector, as the transverse maps use it, on the seed paper's node
    (a fast synaptic spike): started from a cycle on 60 uniform intervals, it
    refines the mesh until |mu_trivial - 1| <= 1e-6, then walks
    ten grid steps reusing its factorisation. Each cycle is checked by
    shooting (scipy's Radau from its first point returns after one period),
    and the two leading multipliers it carries (``multipliers="leading"``) against the
    full periodic Schur computation on the same orbit."""
    from bifurc.codegen import compile_model, parameter_vector
    from bifurc.continuation.cycles import CycleCorrector, CycleProblem, PeriodicOrbit
    from bifurc.msf import homogeneous_model

    hom = homogeneous_model(bf.load_model("ei"))
    found = find_cycle(hom, hom.parameters(preset="delicado2025", eps=20.0, I_e=6.0))
    coarse_disc = bf.continuation.collocation.Discretisation(hom.n_states, 60, found.ncol)
    coarse = PeriodicOrbit(hom.name, found.parameters, coarse_disc.mesh, found.ncol,
                           found.discretisation().evaluate(found.profile[:-1].ravel(),
                                                           np.r_[coarse_disc.tau, 1.0]),
                           found.period, found.multipliers)
    corrector = CycleCorrector(hom)
    compiled = compile_model(hom)
    orbit = coarse
    for step in range(11):
        p = hom.parameters(preset="delicado2025", eps=20.0, I_e=6.0 + 0.05 * step)
        orbit = corrector(orbit, p, refine_to=1e-6, multipliers="leading")
        assert orbit.trivial_error <= 1e-6
        vector = parameter_vector(hom, p)
        run = solve_ivp(lambda t, x: compiled.vector_field(x, vector), (0, orbit.period),
                        orbit.profile[0], method="Radau", rtol=1e-11, atol=1e-12)
        assert np.max(np.abs(run.y[:, -1] - orbit.profile[0]) / np.ptp(orbit.profile, axis=0)) \
            < 1e-5
        x = orbit.profile[:-1].ravel()
        problem = CycleProblem(compiled, vector, 0, orbit.discretisation(), x, adapt_mesh=False)
        full = problem.multipliers(np.r_[x, orbit.period, vector[0]])
        np.testing.assert_allclose(orbit.multipliers, full[:2], rtol=1e-8)
    assert len(orbit.mesh) - 1 > 60  # refined


@pytest.mark.parametrize("mu", [1e-4, 0.01, 0.3])
def test_cycle_near_hopf_on_the_normal_form(hopf_normal_form, mu):
    """x' = mu x - y - x r^2, y' = x + mu y - y r^2: the cycle is the circle of
    radius sqrt(mu), period 2 pi, exactly; started from the equilibrium at
    the origin, past the Hopf point at mu = 0 (and refused before it)."""
    from bifurc.continuation.cycles import cycle_near_hopf
    from bifurc.errors import ParameterError

    orbit = cycle_near_hopf(hopf_normal_form, hopf_normal_form.parameters(mu=mu), [0.0, 0.0],
                            ntst=20)
    np.testing.assert_allclose(np.linalg.norm(orbit.profile, axis=1), math.sqrt(mu), rtol=1e-7)
    assert orbit.period == pytest.approx(TWO_PI, rel=1e-9)
    with pytest.raises(ParameterError, match="complex pair"):
        cycle_near_hopf(hopf_normal_form, hopf_normal_form.parameters(mu=-mu), [0.0, 0.0])
