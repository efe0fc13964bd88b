"""Transverse-instability points (TI) and their curves (TI-C) of the homogeneous
`ei` network system, checked against the dispersion relation / cycle MSF, the
node's own Hopf point (eps = 0) and independent one-parameter recomputations."""

import numpy as np
import pytest

import bifurc as bf
from bifurc.msf import (cycle_msf, dispersion_relation, homogeneous_model,
                        locate_transverse_points, msf_along_branch, orbit_at)

MODES = np.array([-1.0, 0.0, 0.5, 0.8])


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


def _cycles_with_ti(ei, homogeneous, eps):
    eq = _equilibria(homogeneous, eps)
    cycles = bf.continue_cycles(homogeneous, eq["H1"], bounds=(-10, 30), ntst=40)
    return locate_transverse_points(ei, cycles, MODES, homogeneous=homogeneous)


@pytest.fixture(scope="module")
def cycles(ei, homogeneous):
    return _cycles_with_ti(ei, homogeneous, 2.0)


def _ti_points(branch, mode=None):
    return [p for p in branch.special_points
            if p.kind == "TI" and (mode is None or p.data["mode"] == mode)]


def test_ti_points_on_equilibria_are_zeros_of_the_dispersion_relation(ei, homogeneous, equilibria):
    growth = msf_along_branch(ei, equilibria, MODES, homogeneous=homogeneous)
    located = locate_transverse_points(ei, equilibria, MODES, homogeneous=homogeneous,
                                       growth=growth)
    points = _ti_points(located)
    sign_changes = sum(int((np.diff(np.sign(growth[:, k])) != 0).sum()) for k in range(len(MODES)))
    assert len(points) == sign_changes > 0
    assert len(located) == len(equilibria) + len(points)
    assert [p.label for p in points] == [f"TI{i}" for i in range(1, len(points) + 1)]
    for point in points:
        L = point.data["L"][0]
        assert located.values[point.index, 0] == point.parameters["eta_e"]  # stored as a row
        rate = dispersion_relation(ei, point.parameters, point.state, [L],
                                   homogeneous=homogeneous)[0][0]
        assert abs(rate) < 1e-10
        assert point.data["crossing"] == "oscillatory" and point.data["frequency_hz"] > 5
    # the branch's own points keep their place
    for old in equilibria.special_points:
        assert located[old.label].parameters == old.parameters
        np.testing.assert_array_equal(located.states[located[old.label].index], old.state)


def test_ti_curve_of_an_equilibrium_ends_at_the_node_hopf_point(ei, homogeneous, equilibria):
    located = locate_transverse_points(ei, equilibria, [-1.0], homogeneous=homogeneous)
    start = _ti_points(located)[0]
    curve = bf.continue_curve(homogeneous, start, free=("eps", "eta_e"),
                              bounds={"eps": (0.0, 2.5), "eta_e": (-10, 30)})
    assert curve.kind == "TI-C" and np.all(curve.extra["L"] == -1.0)
    for j in range(0, len(curve), 4):
        parameters = dict(curve.parameters, eps=curve.values[j, 0], eta_e=curve.values[j, 1])
        rate = dispersion_relation(ei, parameters, curve.states[j], [-1.0],
                                   homogeneous=homogeneous)[0][0]
        assert abs(rate) < 1e-9
    # at eps = 0 every mode is the uncoupled node: the curve meets the node's Hopf point
    node_hopf = bf.continue_equilibria(ei, ei.parameters(eta_e=-10.0), free="eta_e",
                                       bounds=(-10, 30))["H1"]
    at_zero = curve.values[np.argmin(np.abs(curve.values[:, 0]))]
    assert at_zero[0] == pytest.approx(0.0, abs=1e-12)
    assert at_zero[1] == pytest.approx(node_hopf.parameters["eta_e"], abs=1e-8)
    # an independent one-parameter run at an intermediate eps finds the same point
    j = len(curve) // 2 + 3
    eps, eta = curve.values[j]
    again = locate_transverse_points(ei, _equilibria(homogeneous, eps), [-1.0],
                                     homogeneous=homogeneous)
    nearest = min(_ti_points(again), key=lambda p: abs(p.parameters["eta_e"] - eta))
    assert nearest.parameters["eta_e"] == pytest.approx(eta, abs=1e-8)


def test_ti_points_on_cycles_are_zeros_of_the_cycle_msf(ei, homogeneous, cycles):
    points = _ti_points(cycles)
    assert {p.data["mode"] for p in points} >= {0, 1, 2}  # L = -1, 0, 0.5 go unstable
    for point in points:
        orbit = orbit_at(cycles, point.index)
        assert orbit.parameters["eta_e"] == point.parameters["eta_e"]
        exponent = cycle_msf(ei, orbit, [point.data["L"][0]], homogeneous=homogeneous)[0][0]
        assert abs(exponent * orbit.period) < 1e-9
        assert point.data["direction"] == "destabilising"
        assert abs(abs(complex(*point.data["multiplier"])) - 1.0) < 1e-9


def test_ti_curve_of_a_cycle_matches_a_recomputation(ei, homogeneous, cycles):
    start = _ti_points(cycles, mode=0)[0]
    curve = bf.continue_curve(homogeneous, start, free=("eps", "eta_e"),
                              bounds={"eps": (1.4, 2.2), "eta_e": (-10, 30)},
                              options=bf.ContinuationOptions(step_size=0.01, max_step_size=0.2,
                                                             max_points=40))
    assert curve.kind == "TI-C" and {e["status"] for e in curve.ends} == {"bound"}
    low = curve.values[np.argmin(curve.values[:, 0])]
    assert low[0] == pytest.approx(1.4, abs=1e-10)
    recomputed = _ti_points(_cycles_with_ti(ei, homogeneous, 1.4), mode=0)
    assert min(abs(p.parameters["eta_e"] - low[1]) for p in recomputed) < 1e-6


def test_ti_points_save_and_load(tmp_path, cycles):
    bf.save_branches([cycles], tmp_path)
    loaded = bf.load_branches(tmp_path)[0]
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


def test_complex_mode_on_cycles(ei, homogeneous):
    """A directed connectome's complex mode: its TI point on the cycles and its
    TI-C curve (a and b coupled through Im L) against a recomputation."""
    L = -0.3 + 0.25j

    def located(eps):
        eq = _equilibria(homogeneous, eps)
        cycles = bf.continue_cycles(homogeneous, eq["H1"], bounds=(-10, 30), ntst=40)
        return locate_transverse_points(ei, cycles, [L], homogeneous=homogeneous)

    cycles = located(2.0)
    start = _ti_points(cycles)[0]
    exponent = cycle_msf(ei, orbit_at(cycles, start.index), [L], homogeneous=homogeneous)[0][0]
    assert abs(exponent) < 1e-9 and start.data["crossing"] == "torus"
    curve = bf.continue_curve(homogeneous, start, free=("eps", "eta_e"),
                              bounds={"eps": (1.6, 2.2), "eta_e": (-10, 30)},
                              options=bf.ContinuationOptions(step_size=0.01, max_step_size=0.2,
                                                             max_points=40))
    assert {e["status"] for e in curve.ends} == {"bound"}
    low = curve.values[np.argmin(curve.values[:, 0])]
    assert low[0] == pytest.approx(1.6, abs=1e-10)
    again = _ti_points(located(1.6))
    assert min(abs(p.parameters["eta_e"] - low[1]) for p in again) < 1e-6


def test_complex_mode_of_a_directed_connectome(ei, homogeneous, equilibria):
    L = 0.3 + 0.4j
    located = locate_transverse_points(ei, equilibria, [L], homogeneous=homogeneous)
    start = _ti_points(located)[0]
    assert start.data["L"] == [0.3, 0.4]
    curve = bf.continue_curve(homogeneous, start, free=("eps", "eta_e"),
                              bounds={"eps": (0.5, 1.5), "eta_e": (-10, 30)})
    for j in range(0, len(curve), 3):
        parameters = dict(curve.parameters, eps=curve.values[j, 0], eta_e=curve.values[j, 1])
        rate = dispersion_relation(ei, parameters, curve.states[j], [L],
                                   homogeneous=homogeneous)[0][0]
        assert abs(rate) < 1e-9
