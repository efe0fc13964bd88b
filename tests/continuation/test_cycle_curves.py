"""Two-parameter curves of cycle bifurcations (LPC-C, PD-C, NS-C) against exact
curves: the curves themselves, their codimension-two points (strong
resonances R1-R4, and the meetings of multiplier conditions LPPD, LPNS, PDNS,
NSNS on models whose multipliers are exact), their ends where the cycles
shrink to zero amplitude (GH, HH), restarts from their own points, and the
NS-C Jacobian against finite differences.

The test models are circles of period 2 pi (collocation exact to ~1e-12) with
transverse blocks whose multipliers are exact functions of the parameters;
curves and points are measured at 1e-16 .. 1e-11 from the exact ones, and the
tolerances are about 100 times that, 1e-12 for round-off-level quantities
(room for other BLAS/LAPACK kernels).
"""

import dataclasses
import math

import numpy as np
import pytest

import bifurc as bf
from bifurc.codegen import compile_model
from bifurc.continuation import (ContinuationOptions, continue_curve, continue_cycles,
                                 continue_equilibria)
from bifurc.continuation.cycle_curves import (CycleCurveProblem, NeimarkSackerCurveProblem,
                                              cycle_problem_at, _invariant_pair, continue_cycle_curve,
                                              cycle_curve_point)
from bifurc.errors import ParameterError

#: r' = r (mu + beta r^2 - r^4): the Bautin (generalised Hopf) normal form
BAUTIN = {
    "name": "bautin_beta", "states": {"x": 0.0, "y": 0.0},
    "parameters": {"mu": -0.5, "beta": 1.0},
    "equations": {"x": "mu*x - y + beta*x*(x**2 + y**2) - x*(x**2 + y**2)**2",
                  "y": "x + mu*y + beta*y*(x**2 + y**2) - y*(x**2 + y**2)**2"}}

#: cycles of radius sqrt(c), period 2 pi, with a transverse block z whose linear
#: part on the cycle is (a + b c) I + [[0, 1], [-d, 0]]: multipliers
#: e^{2 pi (a + b c)} e^{+-2 pi i sqrt(d)} (d > 0), a Jordan block at d = 0, real
#: e^{2 pi (a + b c)} e^{+-2 pi sqrt(-d)} (d < 0)
JORDAN = {
    "name": "hopf_ns_jordan", "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0},
    "parameters": {"c": -0.5, "a": -0.3, "b": 0.5, "d": 0.09},
    "equations": {
        "x": "c*x - y - x*(x**2 + y**2)", "y": "x + c*y - y*(x**2 + y**2)",
        "z1": "(a + b*(x**2 + y**2))*z1 + z2 - z1*(z1**2 + z2**2)",
        "z2": "-d*z1 + (a + b*(x**2 + y**2))*z2 - z2*(z1**2 + z2**2)"}}

#: the same cycles with a transverse focus of rate a + b c, frequency 0.3
HOPF_NS = {
    "name": "hopf_ns", "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0},
    "parameters": {"c": -0.5, "a": -0.3, "b": 0.5},
    "equations": {
        "x": "c*x - y - x*(x**2 + y**2)", "y": "x + c*y - y*(x**2 + y**2)",
        "z1": "(a + b*(x**2 + y**2))*z1 - 0.3*z2 - z1*(z1**2 + z2**2)",
        "z2": "0.3*z1 + (a + b*(x**2 + y**2))*z2 - z2*(z1**2 + z2**2)"}}

#: R-points on the Jordan model's torus curve a = -0.3: kappa = cos(2 pi sqrt(d))
JORDAN_RESONANCES = {"R1": 0.0, "R4": 1 / 16, "R3": 1 / 9, "R2": 1 / 4}
JORDAN_BOUNDS = {"d": (-0.05, 0.3), "a": (-1.0, 0.0)}


def _torus_point(model):
    """The NS point of the cycles born at the Hopf point of ``model`` (c = 0.6)."""
    branches = bf.bifurcation_diagram(model, None, "c", (-0.5, 1.0), depth=1, follow=("H",),
                                      start=np.zeros(model.n_states), ntst=20, ncol=4)
    return branches[1]["NS1"]


def _jordan_kappa(d):
    """kappa = (mu + 1/mu) / 2 of the Jordan model's transverse pair on a = -b c."""
    d = np.asarray(d, float)
    return np.where(d >= 0, np.cos(2 * np.pi * np.sqrt(np.abs(d))),
                    np.cosh(2 * np.pi * np.sqrt(np.abs(d))))


@pytest.fixture(scope="module")
def bautin():
    model = bf.Model.from_spec(BAUTIN)
    eq = continue_equilibria(model, free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    return model, continue_cycles(model, eq["H1"], bounds=(-1, 1), ntst=20, ncol=4)


@pytest.fixture(scope="module")
def jordan():
    model = bf.Model.from_spec(JORDAN)
    torus = _torus_point(model)
    return model, torus, continue_curve(model, torus, free=("d", "a"), bounds=JORDAN_BOUNDS)


@pytest.fixture(scope="module")
def hopf_ns():
    model = bf.Model.from_spec(HOPF_NS)
    return model, _torus_point(model)


def test_fold_of_cycles_curve_of_bautin_normal_form(bautin):
    """r' = r (mu + beta r^2 - r^4): cycles fold on mu = -beta^2 / 4 (beta > 0)."""
    model, cycles = bautin
    curve = continue_curve(model, cycles["LPC1"], free=("mu", "beta"),
                           bounds={"mu": (-1.5, 0.0), "beta": (0.2, 2.0)})
    assert curve.kind == "LPC-C"
    mu, beta = curve.values.T
    np.testing.assert_allclose(mu, -beta**2 / 4, atol=1e-12)  # measured 1.3e-14
    assert beta.min() < 0.21 and beta.max() > 1.99  # traced across the whole window
    # the fold cycle is the circle r^2 = beta / 2 (measured 6e-9 at the mesh points)
    radius2 = np.sum(curve.extra["profile"][:, :, :2] ** 2, axis=2)
    np.testing.assert_allclose(radius2, (beta / 2)[:, None] * np.ones_like(radius2), rtol=1e-7)
    # the branch's max of x is sampled at 8 points per interval of the 20-interval
    # mesh: a phase gap of at most 2 pi / 160, so beta / 2 cos^2(pi / 160) <= max^2
    maximum2 = curve.extra["max"][:, 0] ** 2
    assert np.all(maximum2 <= beta / 2 * (1 + 1e-7))
    assert np.all(maximum2 >= beta / 2 * math.cos(math.pi / 160) ** 2 * (1 - 1e-7))


def test_period_doubling_curve(tmp_path):
    """Cycles of radius sqrt(c) with multipliers -exp((a +- b sqrt(c)) 2 pi):
    period doubling on a = -b sqrt(c)."""
    model = bf.Model.from_spec({
        "name": "hopf_pd", "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0},
        "parameters": {"c": -0.5, "a": -0.4, "b": 0.5},
        "equations": {
            "x": "c*x - y - x*(x**2 + y**2)", "y": "x + c*y - y*(x**2 + y**2)",
            "z1": "-0.5*z2 + a*z1 + b*(x*z1 + y*z2) - z1*(z1**2 + z2**2)",
            "z2": "0.5*z1 + a*z2 + b*(y*z1 - x*z2) - z2*(z1**2 + z2**2)"}})
    branches = bf.bifurcation_diagram(model, None, "c", (-0.5, 1.0), depth=1, start=np.zeros(4),
                                      ntst=20, ncol=4)
    curve = continue_curve(model, branches[1]["PD1"], free=("c", "a"),
                           bounds={"c": (0.1, 1.0), "a": (-1.0, 0.0)})
    assert curve.kind == "PD-C"
    c, a = curve.values.T
    np.testing.assert_allclose(a, -0.5 * np.sqrt(c), atol=1e-11)  # measured 1.4e-13
    np.testing.assert_allclose(curve.extra["period"], 2 * np.pi, rtol=1e-10)  # 3.7e-12
    bf.save_branches(branches + [curve], tmp_path)
    assert bf.load_branches(tmp_path)[-1].kind == "PD-C"
    fig = bf.plot.two_parameter([curve])
    assert fig.axes[0].get_xlabel() == "c"


def test_torus_curve(hopf_ns):
    """Cycles of radius sqrt(c) with a transverse focus of rate a + b c and
    frequency 0.3: Neimark-Sacker on a = -b c, rotation angle 2 pi 0.3."""
    model, torus = hopf_ns
    assert abs(torus.parameters["c"] - 0.6) < 1e-12  # measured 3e-15
    curve = continue_curve(model, torus, free=("c", "a"), bounds={"c": (0.1, 1.0), "a": (-1.0, 0.0)})
    assert curve.kind == "NS-C"
    c, a = curve.values.T
    np.testing.assert_allclose(a, -0.5 * c, atol=1e-11)  # measured 2.6e-13
    # measured 7e-12
    np.testing.assert_allclose(curve.extra["kappa"], math.cos(0.6 * np.pi), atol=1e-10)
    np.testing.assert_allclose(curve.extra["theta"], 0.6 * np.pi, atol=1e-10)
    assert c.min() < 0.11 and c.max() > 0.99


def test_torus_curve_ends_at_the_double_hopf_point(hopf_ns):
    """Without the lower bound the cycles (radius sqrt(c)) shrink to zero
    amplitude at the double-Hopf point c = a = 0: the curve ends there, with
    a special point HH whose location, extrapolated in the squared amplitude
    (c = A^2, a = -A^2 / 2 exactly), is (0, 0) to the Newton tolerance (1e-10)
    times the extrapolation weights (< 10): 1e-8 with a margin."""
    model, torus = hopf_ns
    curve = continue_curve(model, torus, free=("c", "a"), bounds={"c": (-0.5, 1.0),
                                                                   "a": (-1.0, 0.5)})
    shrunk = [end for end in curve.ends if end["status"] == "hopf"]
    assert len(shrunk) == 1 and "double-Hopf point HH" in shrunk[0]["message"]
    hh = curve["HH1"]
    assert hh.index in (0, len(curve) - 1)  # on the end of the curve
    assert abs(hh.data["estimated"]["c"]) < 1e-8 and abs(hh.data["estimated"]["a"]) < 1e-8
    # the transverse focus at c = 0 has frequency 0.3 exactly (measured: to round-off)
    assert hh.data["omega2"] == pytest.approx(0.3, abs=1e-12)
    assert np.abs(curve.values).sum(axis=1).min() < 2e-3
    np.testing.assert_allclose(curve.values[:, 1], -0.5 * curve.values[:, 0],
                               atol=1e-11)  # measured 9e-13


def test_strong_resonances_on_torus_curve():
    """With the transverse rotation rate nu free, the torus curve c = 0.6 has
    multipliers e^{+-2 pi i nu}, kappa = cos(2 pi nu): 1:4 and 1:3 resonances at
    nu = 1/4 and 1/3, and at nu = 1/2 the pair touches -1 without a Jordan
    block (kappa turns back at -1): R2, located on the turning point of kappa
    to round-off."""
    model = bf.Model.from_spec({
        "name": "hopf_ns_nu", "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0},
        "parameters": {"c": -0.5, "a": -0.3, "b": 0.5, "nu": 0.3},
        "equations": {
            "x": "c*x - y - x*(x**2 + y**2)", "y": "x + c*y - y*(x**2 + y**2)",
            "z1": "(a + b*(x**2 + y**2))*z1 - nu*z2 - z1*(z1**2 + z2**2)",
            "z2": "nu*z1 + (a + b*(x**2 + y**2))*z2 - z2*(z1**2 + z2**2)"}})
    branches = bf.bifurcation_diagram(model, None, "c", (-0.5, 1.0), depth=1, follow=("H",),
                                      start=np.zeros(4), ntst=20, ncol=4)
    curve = continue_curve(model, branches[1]["NS1"], free=("nu", "c"),
                           bounds={"nu": (0.2, 0.45), "c": (0.1, 1.0)})
    assert [p.label for p in curve.special_points] == ["R4_1", "R3_1"]
    # measured: R4, R3 within 1.2e-12, c 2.4e-14, kappa 8e-12
    assert abs(curve["R4_1"].parameters["nu"] - 0.25) < 1e-10
    assert abs(curve["R3_1"].parameters["nu"] - 1 / 3) < 1e-10
    np.testing.assert_allclose(curve.parameter("c"), 0.6, atol=1e-12)
    np.testing.assert_allclose(curve.extra["kappa"], np.cos(2 * np.pi * curve.parameter("nu")),
                               atol=1e-10)
    # the 1:2 resonance (theta = pi) at nu = 1/2, where kappa = cos(2 pi nu) turns
    # back at -1: located and labelled R2, not R1
    curve = continue_curve(model, branches[1]["NS1"], free=("nu", "c"),
                           bounds={"nu": (0.2, 0.6), "c": (0.1, 1.0)})
    assert [p.label for p in curve.special_points] == ["R4_1", "R3_1", "R2_1"]
    r2 = curve["R2_1"]
    assert abs(r2.parameters["nu"] - 0.5) < 1e-10  # measured 1.9e-12
    assert not r2.data["jordan_block"] and abs(r2.data["kappa"] + 1.0) < 1e-12
    assert curve.extra["kappa"].min() >= -1.0 - 1e-12  # turned back, never crossed -1


def test_torus_curve_passes_r1_into_neutral_saddles(jordan):
    """The Jordan model's torus curve a = -b c = -0.3 in (d, a): kappa =
    cos(2 pi sqrt(d)) crosses 1 at the generic R1 d = 0 (a Jordan block) and
    continues as a curve of neutral saddle cycles, multipliers
    e^{+-2 pi sqrt(-d)}, kappa = cosh(2 pi sqrt(-d)) > 1. R4, R3 at kappa = 0,
    -1/2; at d = 1/4 the pair touches -1 as -I (no Jordan block): R2 on the
    turning point of kappa."""
    _, _, curve = jordan
    d, a = curve.values.T
    # measured: a 1.3e-13, kappa 1e-11, R points 1e-16 (R1) .. 1.9e-12 (R2)
    np.testing.assert_allclose(a, -0.3, atol=1e-11)
    np.testing.assert_allclose(curve.extra["kappa"], _jordan_kappa(d), atol=1e-10)
    assert d.min() == pytest.approx(-0.05, abs=1e-12) and d.max() == pytest.approx(0.3, abs=1e-12)
    assert [p.kind for p in curve.special_points] == ["R1", "R4", "R3", "R2"]
    for point in curve.special_points:
        assert abs(point.parameters["d"] - JORDAN_RESONANCES[point.kind]) < 1e-10, point.label
    assert curve["R1_1"].data["jordan_block"] and not curve["R2_1"].data["jordan_block"]
    # beyond R1: neutral saddles, a real pair mu, 1/mu (and no theta)
    saddles = np.flatnonzero(d < -0.01)
    assert len(saddles) > 2
    assert np.all(curve.extra["kappa"][saddles] > 1.0)
    assert np.all(np.isnan(curve.extra["theta"][saddles]))
    k = saddles[0]
    mu = math.exp(2 * np.pi * math.sqrt(-d[k]))
    multipliers = curve.eigenvalues[k]
    for expected in (mu, 1 / mu):  # measured 5e-12 relative
        closest = multipliers[np.argmin(np.abs(multipliers - expected))]
        assert abs(closest - expected) < 1e-10 * expected
    assert all(end["status"] == "bound" for end in curve.ends)


def test_torus_curve_jacobian_matches_finite_differences(jordan):
    """The sparse NS-C Jacobian against central differences of the residual
    (step 1e-6: truncation ~1e-12, round-off ~1e-16 |F| / 1e-6 ~ 1e-9) at a
    point off the curve with sigma != 0 and free parameters (c, d) that enter
    f(x(0)), so that every block is exercised."""
    model, torus, _ = jordan
    compiled = compile_model(model)
    indices = [model.parameter_index("c"), model.parameter_index("d")]
    base, disc, x, u_cycle, cycle = cycle_problem_at(model, torus, compiled, indices[0])
    a, b, sigma, matrix = _invariant_pair(cycle, u_cycle, math.cos(torus.data["angle"]))
    u0 = np.concatenate([x, a, b, [torus.data["period"]], sigma, matrix.T.ravel(),
                         base[indices]])
    problem = NeimarkSackerCurveProblem(compiled, base, indices, disc, x, a, b)
    assert np.abs(problem.residual(u0)).max() < 1e-10  # the start solves the system
    u = u0 + 1e-2 * np.random.default_rng(3).standard_normal(len(u0))
    u[problem.slot_sigma:problem.slot_sigma + 2] = [0.3, -0.7]
    jacobian = problem.jacobian(u).toarray()
    step = 1e-6
    differences = np.empty_like(jacobian)
    for k in range(len(u)):
        e = np.zeros(len(u))
        e[k] = step
        differences[:, k] = (problem.residual(u + e) - problem.residual(u - e)) / (2 * step)
    assert np.abs(jacobian - differences).max() < 1e-7 * np.abs(jacobian).max()


def test_torus_curve_restarts_from_its_own_points(jordan, hopf_ns):
    """Restarted from one of its R points or from its last point, traced both
    ways, the Jordan model's curve is the same: the same R points at the same
    places, ends on the same bounds; the hopf_ns curve restarted from its last
    point ends at the same HH point."""
    model, _, curve = jordan
    for which in ("R4_1", "R1_1", 0, -1):
        start = cycle_curve_point(curve, which)
        assert start.kind == "NS" and start.branch_kind == "NS-C"
        again = continue_curve(model, start, free=("d", "a"), bounds=JORDAN_BOUNDS)
        assert [p.label for p in again.special_points] == [p.label for p in curve.special_points]
        for point in again.special_points:  # measured 1.3e-13
            assert abs(point.parameters["d"] - curve[point.label].parameters["d"]) < 1e-11
        assert [e["status"] for e in again.ends] == ["bound", "bound"]
        np.testing.assert_allclose(again.extra["kappa"], _jordan_kappa(again.values[:, 0]),
                                   atol=1e-10)  # measured 1e-11
        assert again.values[:, 0].min() == pytest.approx(-0.05, abs=1e-12)
        assert again.values[:, 0].max() == pytest.approx(0.3, abs=1e-12)
    model, torus = hopf_ns
    bounds = {"c": (-0.5, 1.0), "a": (-1.0, 0.5)}
    curve = continue_curve(model, torus, free=("c", "a"), bounds=bounds)
    again = continue_curve(model, cycle_curve_point(curve, -1), free=("c", "a"), bounds=bounds)
    assert sorted(e["status"] for e in again.ends) == ["bound", "hopf"]
    assert abs(again["HH1"].data["estimated"]["c"]) < 1e-8
    np.testing.assert_allclose(again.values[:, 1], -0.5 * again.values[:, 0], atol=1e-11)


def test_fold_of_cycles_curve_ends_at_the_generalised_hopf_point(bautin):
    """Bounds that include beta <= 0: the fold of cycles mu = -beta^2 / 4 (cycle
    radius r^2 = beta / 2) ends where the cycles shrink to zero amplitude, at
    the Bautin point (0, 0), with its own status and a special point GH whose
    location, extrapolated in A^2 = r^2 (beta = 2 A^2, mu = -A^4: exact for the
    parabola), is (0, 0) to the Newton tolerance (1e-10) times the
    extrapolation weights (< 10): 1e-8 with a margin."""
    model, cycles = bautin
    curve = continue_curve(model, cycles["LPC1"], free=("mu", "beta"),
                           bounds={"mu": (-1.5, 0.5), "beta": (-0.5, 2.0)})
    mu, beta = curve.values.T
    np.testing.assert_allclose(mu, -beta**2 / 4, atol=1e-12)  # measured 2.4e-14
    assert beta.min() > 0.0  # the curve does not go on past GH
    shrunk = [end for end in curve.ends if end["status"] == "hopf"]
    assert len(shrunk) == 1 and "generalised Hopf (Bautin) point GH" in shrunk[0]["message"]
    gh = curve["GH1"]
    assert gh.index in (0, len(curve) - 1)  # on the end of the curve
    assert abs(gh.data["estimated"]["mu"]) < 1e-8 and abs(gh.data["estimated"]["beta"]) < 1e-8
    # the estimate is far better than the closest point itself
    assert abs(gh.data["estimated"]["beta"]) < 1e-3 * beta.min()
    # A^2 = r^2 = beta / 2, to the collocation error of the orbit between mesh points
    assert gh.data["amplitude"] == pytest.approx(math.sqrt(beta.min() / 2), rel=1e-5)
    # a corrector tolerance below round-off makes the step size collapse near
    # GH, some 5e-4 away: explained as the same end, the same estimate
    curve = continue_curve(model, cycles["LPC1"], free=("mu", "beta"),
                           bounds={"mu": (-1.5, 0.5), "beta": (-0.5, 2.0)},
                           options=ContinuationOptions(step_size=0.01, max_step_size=0.2,
                                                       max_points=300, newton_tolerance=1e-14))
    assert sorted(end["status"] for end in curve.ends) == ["bound", "hopf"]
    gh = curve["GH1"]
    assert abs(gh.data["estimated"]["mu"]) < 1e-8 and abs(gh.data["estimated"]["beta"]) < 1e-8


def test_zero_amplitude_end_tells_zero_hopf_from_double_hopf():
    """At zero amplitude the equilibrium's eigenvalues other than the Hopf pair
    decide the point: a real one on the axis (x, y Hopf oscillator with
    z' = g z at g = 0) is a zero-Hopf point ZH."""
    model = bf.Model.from_spec({
        "name": "fold_hopf", "states": {"x": 0.0, "y": 0.0, "z": 0.0},
        "parameters": {"c": 1e-4, "g": 0.0},
        "equations": {"x": "c*x - y - x*(x**2 + y**2)", "y": "x + c*y - y*(x**2 + y**2)",
                      "z": "g*z - z**3"}})
    compiled = compile_model(model)
    from bifurc.continuation.collocation import Discretisation

    disc = Discretisation(3, 10, 4)
    angle = 2 * np.pi * disc.tau
    x = 1e-2 * np.column_stack([np.cos(angle), np.sin(angle), 0 * angle]).ravel()
    problem = CycleCurveProblem(compiled, model.parameters().values, [0, 1], disc, x, x, 0.0,
                                "PD")
    u = np.concatenate([x, x, [2 * np.pi], [1e-4, 0.0]])
    kind, data = problem._end_point(u)
    assert kind == "ZH" and data["omega"] == pytest.approx(1.0, abs=1e-12)  # exact: w = 1
    assert problem._zero_amplitude_end(u, []).point[0] == "ZH"
    assert "zero-Hopf (fold-Hopf) point ZH" in str(problem._zero_amplitude_end(u, []))


def test_flip_neimark_sacker_on_period_doubling_curve():
    """The Mobius-twisted block (PD on a = -b sqrt(c)) plus a transverse focus
    with rate d + e c (NS on c = -d / e = 0.5): the PD curve meets the torus
    condition at c = 0.5, a = -0.5 sqrt(0.5) (PDNS)."""
    model = bf.Model.from_spec({
        "name": "pd_ns", "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0, "w1": 0.0,
                                    "w2": 0.0},
        "parameters": {"c": -0.5, "a": -0.4, "b": 0.5, "d": -0.25, "e": 0.5},
        "equations": {
            "x": "c*x - y - x*(x**2 + y**2)", "y": "x + c*y - y*(x**2 + y**2)",
            "z1": "-0.5*z2 + a*z1 + b*(x*z1 + y*z2) - z1*(z1**2 + z2**2)",
            "z2": "0.5*z1 + a*z2 + b*(y*z1 - x*z2) - z2*(z1**2 + z2**2)",
            "w1": "(d + e*(x**2 + y**2))*w1 - 0.3*w2 - w1*(w1**2 + w2**2)",
            "w2": "0.3*w1 + (d + e*(x**2 + y**2))*w2 - w2*(w1**2 + w2**2)"}})
    branches = bf.bifurcation_diagram(model, None, "c", (-0.5, 1.0), depth=1, follow=("H",),
                                      start=np.zeros(6), ntst=20, ncol=4)
    cycles = branches[1]
    assert {p.kind for p in cycles.special_points} == {"NS", "PD"}
    curve = continue_curve(model, cycles["PD1"], free=("c", "a"),
                           bounds={"c": (0.1, 1.0), "a": (-1.0, 0.0)})
    pdns = [p for p in curve.special_points if p.kind == "PDNS"]
    assert len(pdns) == 1, curve.summary()
    assert abs(pdns[0].parameters["c"] - 0.5) < 1e-12  # round-off (measured 2e-15)
    assert abs(pdns[0].parameters["a"] + 0.5 * np.sqrt(0.5)) < 1e-12


def test_flip_neimark_sacker_on_torus_curve():
    """The torus condition of the w block (rate d + e c, NS on c = 0.5), continued
    in (a, c), meets the period doubling of the Mobius block (a = -b sqrt(c)) at
    a = -0.5 sqrt(0.5): PDNS on NS-C (the multipliers left after removing the
    trivial one and the curve's pair)."""
    model = bf.Model.from_spec({
        "name": "pd_ns", "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0, "w1": 0.0,
                                    "w2": 0.0},
        "parameters": {"c": -0.5, "a": -0.2, "b": 0.5, "d": -0.25, "e": 0.5},
        "equations": {
            "x": "c*x - y - x*(x**2 + y**2)", "y": "x + c*y - y*(x**2 + y**2)",
            "z1": "-0.5*z2 + a*z1 + b*(x*z1 + y*z2) - z1*(z1**2 + z2**2)",
            "z2": "0.5*z1 + a*z2 + b*(y*z1 - x*z2) - z2*(z1**2 + z2**2)",
            "w1": "(d + e*(x**2 + y**2))*w1 - 0.3*w2 - w1*(w1**2 + w2**2)",
            "w2": "0.3*w1 + (d + e*(x**2 + y**2))*w2 - w2*(w1**2 + w2**2)"}})
    branches = bf.bifurcation_diagram(model, None, "c", (-0.5, 1.0), depth=1, follow=("H",),
                                      start=np.zeros(6), ntst=20, ncol=4)
    curve = continue_curve(model, branches[1]["NS1"], free=("a", "c"),
                           bounds={"a": (-0.6, 0.0), "c": (0.1, 1.0)})
    np.testing.assert_allclose(curve.parameter("c"), 0.5, atol=1e-12)  # measured 1.6e-15
    pdns = [p for p in curve.special_points if p.kind == "PDNS"]
    assert len(pdns) == 1, curve.summary()
    assert abs(pdns[0].parameters["a"] + 0.5 * math.sqrt(0.5)) < 1e-12  # measured 1e-15


#: the Bautin cycles (circles r^2 = R^2 of period 2 pi, mu = R^4 - beta R^2, a fold
#: of cycles at R^2 = beta / 2, mu = -beta^2 / 4, where the radial multiplier
#: exp(2 pi 2 R^2 (beta - 2 R^2)) passes 1) with the Mobius-twisted block z
#: (multipliers -exp(2 pi (a +- b R)): period doubling on a = -b R) and the
#: transverse focus w (multipliers exp(2 pi (d + e R^2)) e^{+-2 pi i 0.3}: a torus
#: on d = -e R^2). With beta = 1, b = e = 1/2, a = -1/2, d = -2/5 the cycles born
#: at mu = 0 fold at mu = -1/4, lose stability in a torus bifurcation at R^2 = 4/5
#: (mu = -4/25) and period-double at R = 1 (mu = 0).
FOLD_MEETINGS = {
    "name": "bautin_pd_ns",
    "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0, "w1": 0.0, "w2": 0.0},
    "parameters": {"mu": -0.5, "beta": 1.0, "a": -0.5, "b": 0.5, "d": -0.4, "e": 0.5},
    "equations": {
        "x": BAUTIN["equations"]["x"], "y": BAUTIN["equations"]["y"],
        "z1": "-0.5*z2 + a*z1 + b*(x*z1 + y*z2) - z1*(z1**2 + z2**2)",
        "z2": "0.5*z1 + a*z2 + b*(y*z1 - x*z2) - z2*(z1**2 + z2**2)",
        "w1": "(d + e*(x**2 + y**2))*w1 - 0.3*w2 - w1*(w1**2 + w2**2)",
        "w2": "0.3*w1 + (d + e*(x**2 + y**2))*w2 - w2*(w1**2 + w2**2)"}}


@pytest.fixture(scope="module")
def fold_meetings():
    model = bf.Model.from_spec(FOLD_MEETINGS)
    eq = continue_equilibria(model, free="mu", bounds=(-1, 1), start=np.zeros(6))
    cycles = continue_cycles(model, eq["H1"], bounds=(-1, 1), ntst=20, ncol=4)
    assert [p.label for p in cycles.special_points] == ["LPC1", "NS1", "PD1"], cycles.summary()
    exact = {"LPC1": -0.25, "NS1": -0.16, "PD1": 0.0}
    for label, mu in exact.items():
        assert abs(cycles[label].parameters["mu"] - mu) < 1e-11, label  # measured 1.2e-13
    return model, cycles


def _meetings(curve, kind):
    return [p for p in curve.special_points if p.kind == kind]


def test_fold_flip_and_fold_torus_on_fold_of_cycles_curves(fold_meetings):
    """The fold of cycles does not depend on a or d: its curve is mu = -1/4 with
    the fold cycle R^2 = 1/2 all along, continued in (a, mu) it meets the flip
    condition a = -b R at a = -1 / (2 sqrt 2) (LPPD), continued in (d, mu) the
    torus condition d = -e R^2 at d = -1/4 (LPNS). Measured: to round-off
    (7e-16), the multipliers to 7e-12."""
    model, cycles = fold_meetings
    curve = continue_curve(model, cycles["LPC1"], free=("a", "mu"),
                           bounds={"a": (-0.6, -0.1), "mu": (-0.5, 0.5)})
    assert curve.kind == "LPC-C"
    np.testing.assert_allclose(curve.parameter("mu"), -0.25, atol=1e-12)
    (lppd,) = _meetings(curve, "LPPD")
    assert [p.kind for p in curve.special_points] == ["LPPD"], curve.summary()
    assert abs(lppd.parameters["a"] + 0.5 / math.sqrt(2)) < 1e-12
    assert abs(lppd.parameters["mu"] + 0.25) < 1e-12
    assert np.abs(lppd.eigenvalues + 1).min() < 1e-10  # the flip multiplier, on the curve's fold
    curve = continue_curve(model, cycles["LPC1"], free=("d", "mu"),
                           bounds={"d": (-0.6, -0.05), "mu": (-0.5, 0.5)})
    (lpns,) = _meetings(curve, "LPNS")
    assert [p.kind for p in curve.special_points] == ["LPNS"], curve.summary()
    assert abs(lpns.parameters["d"] + 0.25) < 1e-12
    assert abs(lpns.parameters["mu"] + 0.25) < 1e-12
    torus = np.exp(2j * np.pi * 0.3)
    assert np.abs(lpns.eigenvalues - torus).min() < 1e-10


def test_fold_meetings_on_flip_and_torus_curves(fold_meetings):
    """The flip curve (mu, a) = (R^4 - R^2, -R / 2) and the torus curve
    (mu, d) = (R^4 - R^2, -R^2 / 2), traced through the fold of cycles R^2 = 1/2:
    LPPD at (-1/4, -1 / (2 sqrt 2)) and LPNS at (-1/4, -1/4), where the radial
    multiplier passes 1; each curve also meets the other block's condition
    (PDNS): the flip curve at R^2 = 4/5, the torus curve at R = 1. Measured:
    the curves within 3.3e-12 and 9e-13 of the exact ones, the points to
    round-off (4e-16) but for mu at PDNS on the flip curve (3.3e-13)."""
    model, cycles = fold_meetings
    flip = continue_curve(model, cycles["PD1"], free=("mu", "a"),
                          bounds={"mu": (-0.5, 0.5), "a": (-0.6, -0.1)})
    assert flip.kind == "PD-C"
    mu, a = flip.values.T
    np.testing.assert_allclose(mu, (2 * a) ** 4 - (2 * a) ** 2, atol=1e-10)
    assert a.max() > -0.3 and a.min() < -0.4  # through the fold R = 1 / sqrt 2
    assert sorted(p.kind for p in flip.special_points) == ["LPPD", "PDNS"], flip.summary()
    (lppd,) = _meetings(flip, "LPPD")
    assert abs(lppd.parameters["mu"] + 0.25) < 1e-12
    assert abs(lppd.parameters["a"] + 0.5 / math.sqrt(2)) < 1e-12
    (pdns,) = _meetings(flip, "PDNS")
    assert abs(pdns.parameters["mu"] + 0.16) < 3e-11
    assert abs(pdns.parameters["a"] + 0.5 * math.sqrt(0.8)) < 1e-12
    torus = continue_curve(model, cycles["NS1"], free=("mu", "d"),
                           bounds={"mu": (-0.5, 0.5), "d": (-0.6, -0.05)})
    assert torus.kind == "NS-C"
    mu, d = torus.values.T
    np.testing.assert_allclose(mu, (2 * d) ** 2 + 2 * d, atol=5e-11)
    assert sorted(p.kind for p in torus.special_points) == ["LPNS", "PDNS"], torus.summary()
    (lpns,) = _meetings(torus, "LPNS")
    assert abs(lpns.parameters["mu"] + 0.25) < 1e-12
    assert abs(lpns.parameters["d"] + 0.25) < 1e-12
    (pdns,) = _meetings(torus, "PDNS")
    assert abs(pdns.parameters["mu"]) < 1e-12 and abs(pdns.parameters["d"] + 0.5) < 1e-12


def test_double_torus_on_torus_curves():
    """Two transverse foci on the circles of radius sqrt(c): rates a + b c and
    d + e c, frequencies 0.3 and 0.15 (multipliers e^{2 pi (a + b c)} e^{+-0.6 pi i}
    and e^{2 pi (d + e c)} e^{+-0.3 pi i}). With a = -0.3, d = -0.4, b = e = 1/2
    the cycles have torus bifurcations at c = 0.6 and 0.8; the first torus
    curve, a = -c / 2, meets the second condition at (c, a) = (0.8, -0.4), the
    second, d = -c / 2, meets the first at (c, d) = (0.6, -0.3): NSNS.
    Measured: the curves within 8e-13, the points within 3e-14, the pairs
    within 7e-12 of e^{+-0.6 pi i} and e^{+-0.3 pi i}."""
    model = bf.Model.from_spec({
        "name": "hopf_ns_ns",
        "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0, "w1": 0.0, "w2": 0.0},
        "parameters": {"c": -0.5, "a": -0.3, "b": 0.5, "d": -0.4, "e": 0.5},
        "equations": {
            **HOPF_NS["equations"],
            "w1": "(d + e*(x**2 + y**2))*w1 - 0.15*w2 - w1*(w1**2 + w2**2)",
            "w2": "0.15*w1 + (d + e*(x**2 + y**2))*w2 - w2*(w1**2 + w2**2)"}})
    branches = bf.bifurcation_diagram(model, None, "c", (-0.5, 1.0), depth=1, follow=("H",),
                                      start=np.zeros(6), ntst=20, ncol=4)
    cycles = branches[1]
    assert abs(cycles["NS1"].parameters["c"] - 0.6) < 1e-12
    assert abs(cycles["NS2"].parameters["c"] - 0.8) < 1e-12
    for start, second, free, at in (("NS1", "a", ("c", "a"), (0.8, -0.4)),
                                    ("NS2", "d", ("c", "d"), (0.6, -0.3))):
        curve = continue_curve(model, cycles[start], free=free,
                               bounds={"c": (0.1, 1.0), second: (-1.0, 0.0)})
        c, value = curve.values.T
        np.testing.assert_allclose(value, -0.5 * c, atol=1e-11)
        assert [p.kind for p in curve.special_points] == ["NSNS"], curve.summary()
        (nsns,) = curve.special_points
        assert abs(nsns.parameters["c"] - at[0]) < 1e-12, start
        assert abs(nsns.parameters[second] - at[1]) < 1e-12, start
        on_circle = nsns.eigenvalues[np.abs(np.abs(nsns.eigenvalues) - 1) < 1e-10]
        for frequency in (0.3, 0.15):  # both pairs on the unit circle, and the trivial 1
            assert np.abs(on_circle - np.exp(2j * np.pi * frequency)).min() < 1e-10


def test_cycle_curves_start_from_points_with_an_orbit(bautin):
    model, cycles = bautin
    point = cycles["LPC1"]
    bare = dataclasses.replace(point, data={k: v for k, v in point.data.items() if k != "profile"})
    with pytest.raises(ParameterError, match="cycle curves start from an LPC, PD or NS point"):
        continue_cycle_curve(model, bare, ("mu", "beta"), {"mu": (-1, 0), "beta": (0, 2)})


def test_cycle_curve_point_needs_a_cycle_curve(bautin):
    _, cycles = bautin
    with pytest.raises(ParameterError, match="needs an LPC-C, PD-C or NS-C branch"):
        cycle_curve_point(cycles, 0)


def test_cycle_curve_point_index_in_range(jordan):
    _, _, curve = jordan
    with pytest.raises(ParameterError, match=r"`index` must be an integer in \[-"):
        cycle_curve_point(curve, len(curve))


def test_restart_point_off_its_curve_is_an_error(bautin):
    """A point moved off the fold curve (beta + 0.05), with one Newton
    iteration allowed, cannot be refined onto it."""
    model, cycles = bautin
    bounds = {"mu": (-1.5, 0.0), "beta": (0.2, 2.0)}
    curve = continue_curve(model, cycles["LPC1"], free=("mu", "beta"), bounds=bounds)
    point = cycle_curve_point(curve, 5)
    moved = dataclasses.replace(point, parameters={**point.parameters,
                                                   "beta": point.parameters["beta"] + 0.05})
    with pytest.raises(ParameterError, match="is not on its curve"):
        continue_curve(model, moved, free=("mu", "beta"), bounds=bounds,
                       options=ContinuationOptions(max_newton_iterations=1))


def test_torus_curve_of_a_double_pair_is_an_error(hopf_ns):
    """Two identical transverse foci: the pair e^{+-0.6 pi i} is double and has
    no invariant subspace of its own."""
    model = bf.Model.from_spec({
        "name": "hopf_ns_twice",
        "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0, "w1": 0.0, "w2": 0.0},
        "parameters": {"c": -0.5, "a": -0.3, "b": 0.5},
        "equations": {**HOPF_NS["equations"],
                      "w1": "(a + b*(x**2 + y**2))*w1 - 0.3*w2 - w1*(w1**2 + w2**2)",
                      "w2": "0.3*w1 + (a + b*(x**2 + y**2))*w2 - w2*(w1**2 + w2**2)"}})
    _, torus = hopf_ns
    profile = np.array(torus.data["profile"])
    twice = dataclasses.replace(torus, model=model.name, data={
        **torus.data, "profile": np.hstack([profile, np.zeros((len(profile), 2))]).tolist()})
    with pytest.raises(ParameterError, match="is not separated from the other multipliers"):
        continue_curve(model, twice, free=("c", "a"), bounds={"c": (0.1, 1.0), "a": (-1.0, 0.0)})
