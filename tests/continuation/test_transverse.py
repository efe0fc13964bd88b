"""Transverse-instability points (TI) and their curves (TI-C) of the homogeneous
`ei` network system, against independent references (tests/test_msf_oracles.py):

- equilibria: the Jacobian of a small network that has the mode (2 nodes,
  W = [[a, 1 - a], [1 - a, a]] for real L; a directed 3-node circulant for
  complex L), assembled with numpy and restricted to the transverse subspace;
  scipy root finders on its largest real part; the node's own Hopf point from
  scipy at eps = 0; direct simulations of those networks on each side of a curve;
- cycles: Floquet multipliers of xi' = [Df(x(t)) + eps L H] xi integrated with
  solve_ivp (DOP853) along the orbit refined by shooting, real and complex L,
  and scipy's brentq on that exponent for a point of the curve.
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from test_msf_oracles import (
    NodeFunctions,
    circulant_W,
    equilibrium,
    floquet_reference,
    network_jacobian,
    shoot_cycle,
    transverse_spectrum,
    two_node_W,
)

import bifurc as bf
from bifurc.msf import (
    homogeneous_model,
    locate_transverse_points,
    msf_along_branch,
    orbit_at,
)

MODES = np.array([-1.0, 0.0, 0.5, 0.8])
COMPLEX_CYCLE_MODE = -0.3 + 0.25j


@pytest.fixture(scope="module")
def ei():
    return bf.load_model("ei")


@pytest.fixture(scope="module")
def homogeneous(ei):
    return homogeneous_model(ei)


def _equilibria(homogeneous, eps):
    return bf.continue_equilibria(homogeneous, homogeneous.parameters(eps=eps, eta_e=-10.0),
                                  free="eta_e", bounds=(-10, 30))


@pytest.fixture(scope="module")
def equilibria(homogeneous):
    return _equilibria(homogeneous, 1.0)


@pytest.fixture(scope="module")
def cycle_branch(homogeneous):
    """The synchronous PING cycles at eps = 2, born at H1."""
    eq = _equilibria(homogeneous, 2.0)
    return bf.continue_cycles(homogeneous, eq["H1"], bounds=(-10, 30), ntst=40)


@pytest.fixture(scope="module")
def cycles(ei, homogeneous, cycle_branch):
    return locate_transverse_points(ei, cycle_branch, MODES, homogeneous=homogeneous)


def _ti_points(branch, mode=None):
    return [p for p in branch.special_points
            if p.kind == "TI" and (mode is None or p.data["mode"] == mode)]


# ------------------------------------------------------------------ references
def _small_network(L):
    """(W, eigenvector of L): a 2-node network for real L, a directed 3-node
    circulant one for complex L; both have the eigenvalue 1 and L (and conj L)."""
    if complex(L).imag == 0:
        return two_node_W(float(np.real(L))), np.array([1.0, -1.0]) / math.sqrt(2.0)
    return circulant_W(L)


def _network_rate(ei, parameters, x, L):
    """(largest real part, its eigenvalue) of the transverse spectrum of the small
    network's Jacobian at the synchronous equilibrium x."""
    system = NodeFunctions(ei, parameters)
    spectrum = transverse_spectrum(system.Df(x), system.H, _small_network(L)[0], system.eps)
    critical = spectrum[np.argmax(spectrum.real)]
    return float(critical.real), critical


def _root_in_eta(ei, parameters, guess, L, eta, half_width):
    """eta_e where the small network's transverse rate vanishes at fixed eps (brentq,
    equilibria by scipy.optimize.root from ``guess``)."""
    def rate(value):
        q = dict(parameters, eta_e=value)
        return _network_rate(ei, q, equilibrium(NodeFunctions(ei, q), guess), L)[0]

    return brentq(rate, eta - half_width, eta + half_width, xtol=1e-14, rtol=1e-15)


def _simulated_rate(ei, parameters, guess, L, duration=1500.0):
    """(measured, predicted) growth rate of a perturbation along the most unstable
    transverse eigenvector in a direct simulation of the small network (RK4,
    dt = 0.01 ms). Measured: the slope of the logarithm of the envelope (the
    largest deviation in each of 10 windows, each longer than the 10-15 Hz
    oscillation of the mode) of the transverse deviation |x_k - mean_j x_j|
    (W is doubly stochastic, so the mean is the synchronous component)."""
    system = NodeFunctions(ei, parameters)
    x = equilibrium(system, guess)
    W, v = _small_network(L)
    values, vectors = np.linalg.eig(system.Df(x) + system.eps * L * system.H)
    k = np.argmax(values.real)
    perturbation = np.real(np.outer(v, vectors[:, k]))
    perturbation *= 1e-7 / np.abs(perturbation).max()
    node_parameters = ei.parameters(**{key: value for key, value in parameters.items()
                                       if key != "eps"})
    run = bf.simulate(bf.Network(ei, W, eps=system.eps), node_parameters, duration=duration,
                      integrator=bf.RK4(0.01), initial_state=np.tile(x, (len(W), 1)) + perturbation,
                      sample_interval=0.5)
    deviation = run.states - run.states.mean(axis=1, keepdims=True)
    size = np.linalg.norm(deviation.reshape(len(run.time), -1), axis=1)
    windows = size[:-1].reshape(10, -1)
    times = run.time[:-1].reshape(10, -1)[np.arange(10), windows.argmax(axis=1)]
    return float(np.polyfit(times, np.log(windows.max(axis=1)), 1)[0]), float(values[k].real)


def _cycle_exponent(ei, parameters, start, period, L):
    """(exponent per ms, critical multiplier, period) of mode L on the cycle of the
    homogeneous system through (near) ``start``: shooting, then solve_ivp."""
    system = NodeFunctions(ei, parameters)
    x0, period = shoot_cycle(system, start, period)
    exponents, multipliers = floquet_reference(system, x0, period, [L])
    mu = multipliers[0]
    return exponents[0], mu[np.argmax(np.abs(mu))], period


def _curve_parameters(curve, j):
    return dict(curve.parameters, eps=float(curve.values[j, 0]), eta_e=float(curve.values[j, 1]))


# ------------------------------------------------------------------ equilibria
def test_ti_points_on_equilibria_are_zeros_of_the_network_jacobian(ei, homogeneous, equilibria):
    growth = msf_along_branch(ei, equilibria, MODES, homogeneous=homogeneous)
    located = locate_transverse_points(ei, equilibria, MODES, homogeneous=homogeneous,
                                       growth=growth)
    points = _ti_points(located)
    sign_changes = sum(int((np.diff(np.sign(growth[:, k])) != 0).sum()) for k in range(len(MODES)))
    assert len(points) == sign_changes > 0
    # every crossing is found: sign changes of the 2-node networks' transverse rate
    # along the stored points, mode by mode
    for k, L in enumerate(MODES):
        reference = [_network_rate(ei, dict(equilibria.parameters, eta_e=float(eta)), x, L)[0]
                     for eta, x in zip(equilibria.values[:, 0], equilibria.states)]
        crossings = int((np.diff(np.sign(reference)) != 0).sum())
        assert len([p for p in points if p.data["mode"] == k]) == crossings > 0
    assert len(located) == len(equilibria) + len(points)
    assert [p.label for p in points] == [f"TI{i}" for i in range(1, len(points) + 1)]
    for point in points:
        L = point.data["L"][0]
        eta = point.parameters["eta_e"]
        assert located.values[point.index, 0] == eta  # stored as a row
        assert np.linalg.norm(NodeFunctions(ei, point.parameters).homogeneous(point.state)) < 1e-12
        rate, critical = _network_rate(ei, point.parameters, point.state, L)
        # Brent's method to machine precision on the curve: measured 1.2e-16 (the
        # roundoff of eig for a Jacobian of norm about 20)
        assert abs(rate) < 1e-14
        assert point.data["crossing"] == "oscillatory" and point.data["frequency_hz"] > 5
        assert point.data["frequency_hz"] == pytest.approx(1000 * abs(critical.imag) / (2 * np.pi),
                                                           rel=2e-13)  # measured 1.8e-15
        # a plain root finder in eta_e at fixed eps: measured 3.1e-13
        assert _root_in_eta(ei, point.parameters, point.state, L, eta, 0.02) == pytest.approx(
            eta, abs=1e-11)
        assert point.data["direction"] == ("destabilising" if eta < 5 else "restabilising")
    # the branch's own points keep their place
    for old in equilibria.special_points:
        assert located[old.label].parameters == old.parameters
        np.testing.assert_array_equal(located.states[located[old.label].index], old.state)


def test_ti_curve_of_an_equilibrium_against_the_network(ei, homogeneous, equilibria):
    """The TI-C of L = -1: every point makes the 2-node network's transverse
    spectrum critical; it ends at eps = 0 on the isolated node's Hopf point; a
    root finder at fixed eps meets it; a direct simulation of the 2-node network
    decays below the curve and grows above it, at the predicted rates."""
    located = locate_transverse_points(ei, equilibria, [-1.0], homogeneous=homogeneous)
    start = _ti_points(located)[0]
    curve = bf.continue_curve(homogeneous, start, free=("eps", "eta_e"),
                              bounds={"eps": (0.0, 2.5), "eta_e": (-10, 30)})
    assert curve.kind == "TI-C" and np.all(curve.extra["L"] == -1.0)
    for j in range(len(curve)):
        parameters = _curve_parameters(curve, j)
        assert np.linalg.norm(NodeFunctions(ei, parameters).homogeneous(curve.states[j])) < 1e-12
        rate, critical = _network_rate(ei, parameters, curve.states[j], -1.0)
        # the corrector's Newton converges quadratically past its 1e-10 tolerance:
        # measured 1e-16 (and 2.2e-15 for omega)
        assert abs(rate) < 1e-14
        assert abs(curve.extra["omega"][j]) == pytest.approx(abs(critical.imag), rel=2e-13)
    # at eps = 0 every mode is the uncoupled node: its Hopf point, from scipy
    at_zero = curve.values[np.argmin(np.abs(curve.values[:, 0]))]
    assert at_zero[0] == pytest.approx(0.0, abs=1e-12)
    guess = curve.states[np.argmin(np.abs(curve.values[:, 0]))]

    def node_rate(eta):
        system = NodeFunctions(ei, dict(curve.parameters, eta_e=eta, eps=0.0))
        return np.linalg.eigvals(system.Df(equilibrium(system, guess))).real.max()

    hopf = brentq(node_rate, at_zero[1] - 0.05, at_zero[1] + 0.05, xtol=1e-14)
    assert at_zero[1] == pytest.approx(hopf, abs=5e-14)  # measured 5.6e-16
    # a root finder at an intermediate eps
    j = len(curve) // 2 + 3
    parameters = _curve_parameters(curve, j)
    eta = parameters["eta_e"]
    assert 0.5 < parameters["eps"] < 2.5
    assert _root_in_eta(ei, parameters, curve.states[j], -1.0, eta, 0.02) == pytest.approx(
        eta, abs=1e-13)  # measured 9e-16
    # direct simulations on each side (the mode destabilises as eta_e grows)
    below = _simulated_rate(ei, dict(parameters, eta_e=eta - 0.05), curve.states[j], -1.0)
    above = _simulated_rate(ei, dict(parameters, eta_e=eta + 0.05), curve.states[j], -1.0)
    assert below[0] < 0 < above[0]
    # the envelope estimate (peaks sampled every 0.5 ms, slower eigenvalues still
    # present early in the run): measured 0.33 % and 0.23 %
    assert below[0] == pytest.approx(below[1], rel=0.01)
    assert above[0] == pytest.approx(above[1], rel=0.01)


def test_complex_mode_of_a_directed_connectome(ei, homogeneous, equilibria):
    """L = 0.3 + 0.4i on equilibria: the TI-C against the directed 3-node circulant
    network with that mode (Jacobian and direct simulation)."""
    L = 0.3 + 0.4j
    located = locate_transverse_points(ei, equilibria, [L], homogeneous=homogeneous)
    start = _ti_points(located)[0]
    assert start.data["L"] == [0.3, 0.4]
    curve = bf.continue_curve(homogeneous, start, free=("eps", "eta_e"),
                              bounds={"eps": (0.5, 1.5), "eta_e": (-10, 30)})
    assert {e["status"] for e in curve.ends} == {"bound"}
    W, v = circulant_W(L)
    for j in range(len(curve)):
        parameters = _curve_parameters(curve, j)
        rate, _ = _network_rate(ei, parameters, curve.states[j], L)
        assert abs(rate) < 1e-14  # measured 2.1e-16
        # the modes L and conj(L) share the rate with conjugate frequencies: the
        # signed omega is that of mode L, the network Jacobian restricted to the
        # invariant subspace v (x) C^n of W's eigenvector v
        system = NodeFunctions(ei, parameters)
        J = network_jacobian(system.Df(curve.states[j]), system.H, W, system.eps)
        Q = np.kron(v[:, None], np.eye(ei.n_states))
        spectrum = np.linalg.eigvals(Q.conj().T @ J @ Q)
        critical = spectrum[np.argmax(spectrum.real)]
        assert abs(critical.real) < 1e-14
        assert curve.extra["omega"][j] == pytest.approx(critical.imag, rel=2e-13)  # 3.3e-15
    j = len(curve) // 2 + 2
    parameters = _curve_parameters(curve, j)
    eta = parameters["eta_e"]
    assert _root_in_eta(ei, parameters, curve.states[j], L, eta, 0.02) == pytest.approx(
        eta, abs=1e-13)  # measured 3.3e-16
    below = _simulated_rate(ei, dict(parameters, eta_e=eta - 0.05), curve.states[j], L)
    above = _simulated_rate(ei, dict(parameters, eta_e=eta + 0.05), curve.states[j], L)
    assert below[0] < 0 < above[0]
    # measured 0.19 % and 0.005 %
    assert below[0] == pytest.approx(below[1], rel=0.01)
    assert above[0] == pytest.approx(above[1], rel=0.01)


# ------------------------------------------------------------------ cycles
def _check_cycle_ti_point(ei, branch, point, L):
    """The point's orbit has a multiplier of mode L on the unit circle (solve_ivp),
    at the stored angle, and the mode's exponent changes sign between the stored
    points before and after it."""
    orbit = orbit_at(branch, point.index)
    assert orbit.parameters["eta_e"] == point.parameters["eta_e"]
    exponent, critical, period = _cycle_exponent(ei, orbit.parameters, orbit.profile[0],
                                                 orbit.period, L)
    # NTST = 40 and Brent's method on the collocation multipliers: measured 6.3e-11
    assert abs(exponent * period) < 1e-9
    angle = np.angle(critical) if complex(L).imag else abs(np.angle(critical))
    assert point.data["angle"] == pytest.approx(angle, abs=1e-8)  # measured 9.5e-11
    assert abs(abs(complex(*point.data["multiplier"])) - 1.0) < 1e-9
    sides = [_cycle_exponent(ei, orbit_at(branch, i).parameters, orbit_at(branch, i).profile[0],
                             orbit_at(branch, i).period, L)[0]
             for i in (point.index - 1, point.index + 1)]
    assert point.data["direction"] == "destabilising" and sides[0] < 0 < sides[1]


def test_ti_points_on_cycles_are_zeros_of_the_floquet_exponents(ei, cycles):
    points = _ti_points(cycles)
    assert {p.data["mode"] for p in points} >= {0, 1, 2}  # L = -1, 0, 0.5 go unstable
    for point in points:
        assert point.data["crossing"] == "torus"
        _check_cycle_ti_point(ei, cycles, point, point.data["L"][0])


def _check_cycle_curve(ei, curve, L, low_eps):
    """Points of a cycle TI-C: the mode's Floquet exponent vanishes (solve_ivp) at
    the angle theta; at eps = low_eps, brentq on that exponent in eta_e (cycles by
    shooting) finds the curve's end."""
    assert curve.kind == "TI-C" and {e["status"] for e in curve.ends} == {"bound"}
    for j in sorted({*range(0, len(curve), 3), len(curve) - 1}):
        exponent, critical, period = _cycle_exponent(
            ei, _curve_parameters(curve, j), curve.extra["profile"][j][0],
            curve.extra["period"][j], L)
        # NTST = 40 on the start point's mesh: measured up to 1.1e-10
        assert abs(exponent * period) < 2e-9, (j, exponent * period)
        angle = np.angle(critical) if complex(L).imag else abs(np.angle(critical))
        assert curve.extra["theta"][j] == pytest.approx(angle, abs=1e-8)  # measured 1.5e-10
    low = int(np.argmin(curve.values[:, 0]))
    assert curve.values[low, 0] == pytest.approx(low_eps, abs=1e-12)  # measured 1.2e-14
    parameters = _curve_parameters(curve, low)
    profile, period = curve.extra["profile"][low][0], curve.extra["period"][low]

    def exponent(eta):
        return _cycle_exponent(ei, dict(parameters, eta_e=eta), profile, period, L)[0]

    eta = parameters["eta_e"]
    root = brentq(exponent, eta - 0.02, eta + 0.02, xtol=1e-12)
    assert root == pytest.approx(eta, abs=1e-8)  # measured 1.5e-10


def test_ti_curve_of_a_cycle_against_floquet_exponents(ei, homogeneous, cycles):
    start = _ti_points(cycles, mode=0)[0]
    curve = bf.continue_curve(homogeneous, start, free=("eps", "eta_e"),
                              bounds={"eps": (1.4, 2.2), "eta_e": (-10, 30)},
                              options=bf.ContinuationOptions(step_size=0.01, max_step_size=0.2,
                                                             max_points=40))
    assert np.all(curve.extra["L"] == -1.0)
    _check_cycle_curve(ei, curve, -1.0, 1.4)


def test_complex_mode_on_cycles(ei, homogeneous, cycle_branch):
    """A directed connectome's complex mode: its TI point on the cycles and its
    TI-C curve (a and b coupled through Im L) against the Floquet multipliers of
    the complex variational equation (solve_ivp, real 2n-dimensional form); the
    multiplier has no conjugate partner, so the angle is signed."""
    L = COMPLEX_CYCLE_MODE
    cycles = locate_transverse_points(ei, cycle_branch, [L], homogeneous=homogeneous)
    start = _ti_points(cycles)[0]
    assert start.data["crossing"] == "torus"
    _check_cycle_ti_point(ei, cycles, start, L)
    curve = bf.continue_curve(homogeneous, start, free=("eps", "eta_e"),
                              bounds={"eps": (1.6, 2.2), "eta_e": (-10, 30)},
                              options=bf.ContinuationOptions(step_size=0.01, max_step_size=0.2,
                                                             max_points=40))
    assert np.all(curve.extra["L"] == L)
    _check_cycle_curve(ei, curve, L, 1.6)


# ------------------------------------------------------------------ bookkeeping
def test_ti_points_save_and_load(tmp_path, cycles):
    bf.save_branches([cycles], tmp_path)
    loaded = bf.load_branches(tmp_path)[0]
    assert len(_ti_points(loaded)) == len(_ti_points(cycles)) > 0
    for before, after in zip(_ti_points(cycles), _ti_points(loaded)):
        assert after.data == before.data and after.index == before.index
    np.testing.assert_array_equal(loaded.extra["profile"], cycles.extra["profile"])


def test_ti_input_errors(ei, homogeneous, cycles, equilibria):
    with pytest.raises(bf.ParameterError, match="growth"):
        locate_transverse_points(ei, equilibria, MODES, homogeneous=homogeneous,
                                 growth=np.zeros((3, 3)))
    with pytest.raises(bf.ParameterError, match="homogeneous"):
        locate_transverse_points(ei, bf.continue_equilibria(ei, free="eta_e", bounds=(0, 20)),
                                 MODES, homogeneous=homogeneous)
    with pytest.raises(bf.ParameterError, match="homogeneous network system"):
        bf.continue_curve(ei, _ti_points(cycles)[0], free=("eps", "eta_e"),
                          bounds={"eps": (0, 3), "eta_e": (-10, 30)})
