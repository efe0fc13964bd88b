"""Two-parameter curves (LP-C, H-C) and their codimension-two points, on
normal forms whose codim-2 points are known exactly (Kuznetsov 2004, ch. 8).

Tolerances: the curves are corrected by full Newton steps to |du| <= 1e-10
(1 + |u|) and the test functions' zeros located by brentq to 4 eps in the
arclength, so points and codim-2 points are exact up to rounding: measured at
most 1.1e-16 on the curves, 4e-17 at the codim-2 points, 2e-15 for the SFA
model's BT point. The tolerances (1e-14, 1e-13 there) are about 100 times that:
50 eps of the O(1) quantities the solvers work with."""

import math

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation import continue_curve, continue_equilibria

PI = math.pi


def model_from(name, states, equations, parameters):
    return bf.Model.from_spec({"name": name, "states": states, "parameters": parameters,
                               "equations": equations})


def only(branch, kind):
    points = [p for p in branch.special_points if p.kind == kind]
    assert len(points) == 1, branch.summary()
    return points[0]


def test_qif_cusp_matches_exact_formula():
    qif = bf.load_model("qif")
    eq = continue_equilibria(qif, qif.parameters(J=15), free="eta", bounds=(-15, 5))
    fold = continue_curve(qif, eq["LP1"], free=("eta", "J"), bounds={"eta": (-15, 5), "J": (0, 30)})
    r = (3 / (4 * PI**4)) ** 0.25  # dJ/dr = 0 on the fold curve (tau = delta = 1)
    J = 2 * PI**2 * r + 1 / (2 * PI**2 * r**3)
    eta = PI**2 * r**2 - J * r - 1 / (4 * PI**2 * r**2)
    cusp = only(fold, "CP")
    # measured 0.0 (J = 7.80, eta = -1.73, r = 0.296)
    assert abs(cusp.parameters["J"] - J) < 1e-13 and abs(cusp.parameters["eta"] - eta) < 1e-13
    assert abs(cusp.state[0] - r) < 1e-14
    # every point of the curve is a fold of the exact parametrisation (J(r), eta(r)),
    # with v = -1 / (2 pi r): measured 4.4e-16 (J, relative), 7.1e-15 (eta), 2.2e-16 (v)
    rates = fold.state("r")
    J_exact = 2 * PI**2 * rates + 1 / (2 * PI**2 * rates**3)
    eta_exact = PI**2 * rates**2 - J_exact * rates - 1 / (4 * PI**2 * rates**2)
    np.testing.assert_allclose(fold.parameter("J"), J_exact, rtol=1e-14)
    np.testing.assert_allclose(fold.parameter("eta"), eta_exact, rtol=0, atol=1e-13)
    np.testing.assert_allclose(fold.state("v"), -1 / (2 * PI * rates), rtol=1e-14)


@pytest.fixture(scope="module")
def bogdanov_takens():
    """x' = y, y' = b1 + b2 x + x^2 - x y: folds on b1 = b2^2 / 4, Hopf on b1 = 0
    (b2 < 0), both ending at the BT point b1 = b2 = 0."""
    return model_from("bt_nf", {"x": 1.0, "y": 0.0}, {"x": "y", "y": "b1 + b2*x + x**2 - x*y"},
                      {"b1": -1.0, "b2": 1.0})


def test_bt_on_fold_curve(bogdanov_takens):
    eq = continue_equilibria(bogdanov_takens, {"b1": -1.0, "b2": 1.0}, free="b1", bounds=(-2, 2),
                             start=[(-1 + math.sqrt(5)) / 2, 0.0])
    fold = continue_curve(bogdanov_takens, eq["LP1"], free=("b1", "b2"),
                          bounds={"b1": (-1, 1), "b2": (-1.5, 1.5)})
    np.testing.assert_allclose(fold.parameter("b1"), fold.parameter("b2") ** 2 / 4, atol=1e-14)
    np.testing.assert_allclose(fold.state("x"), -fold.parameter("b2") / 2, atol=1e-14)
    bt = only(fold, "BT")
    assert abs(bt.parameters["b1"]) < 1e-14 and abs(bt.parameters["b2"]) < 1e-14


def test_bt_on_hopf_curve(bogdanov_takens):
    # equilibrium x = 0 when b1 = 0; Hopf where the trace -x vanishes: b1 = 0, b2 < 0
    eq = continue_equilibria(bogdanov_takens, {"b1": -0.1, "b2": -1.0}, free="b1",
                             bounds=(-0.5, 0.5), start=[(1 - math.sqrt(1.4)) / 2, 0.0])
    hopf_point = only(eq, "H")
    assert abs(hopf_point.parameters["b1"]) < 1e-14
    hopf = continue_curve(bogdanov_takens, hopf_point, free=("b1", "b2"),
                          bounds={"b1": (-1, 1), "b2": (-1.5, 0.5)})
    bt = only(hopf, "BT")
    assert abs(bt.parameters["b2"]) < 1e-14 and abs(bt.parameters["b1"]) < 1e-14
    np.testing.assert_allclose(hopf.parameter("b1"), 0.0, atol=1e-14)
    kappa = hopf.extra["kappa"]
    np.testing.assert_allclose(kappa, -hopf.parameter("b2"), atol=1e-14)  # omega^2 = -b2


def test_bt_on_hopf_curve_of_a_qif_population_with_adaptation():
    """QIF + adaptation (the tutorial's model): on an equilibrium with rate r,
    v = -delta/(2 pi tau r), a = alpha tau r, and the characteristic polynomial
    lambda^3 + c1 lambda^2 + c2 lambda + c3 has c2 = m - 4 v/(tau tau_a),
    c3 = (m + 2 alpha r/tau)/tau_a, m = (2v/tau)^2 - (2r/tau)(J - 2 pi^2 tau r).
    BT (a double zero eigenvalue) is c2 = c3 = 0. The Hopf curve must locate it
    (an earlier normalisation d . A v = 0 degenerated there and missed it)."""
    from scipy.optimize import brentq

    tau, tau_a, delta, J = 10.0, 20.0, 1.0, 10.0
    model = bf.Model.from_spec({
        "name": "qif_sfa", "states": {"r": 0.01, "v": -2.0, "a": 0.0},
        "parameters": {"tau": tau, "tau_a": tau_a, "delta": delta, "eta": -3.0, "J": J,
                       "alpha": 5.0},
        "equations": {"r": "(delta / (pi * tau) + 2 * r * v) / tau",
                      "v": "(v**2 + eta + J * tau * r - (pi * tau * r)**2 - a) / tau",
                      "a": "(-a + alpha * tau * r) / tau_a"}})

    def m(r):
        v = -delta / (2 * math.pi * tau * r)
        return (2 * v / tau) ** 2 - (2 * r / tau) * (J - 2 * math.pi**2 * tau * r), v

    def c2(r):
        mr, v = m(r)
        return mr - 4 * v / (tau * tau_a)

    rates = np.linspace(0.005, 0.2, 400)
    values = [c2(r) for r in rates]
    roots = [brentq(c2, a, b, xtol=1e-15) for a, b, fa, fb in
             zip(rates, rates[1:], values, values[1:]) if fa * fb < 0]
    exact = []
    for r in roots:
        mr, v = m(r)
        alpha = -mr * tau / (2 * r)                      # c3 = 0
        if 0 < alpha < 10:
            exact.append((alpha, (math.pi * tau * r) ** 2 - v**2 - (J - alpha) * tau * r))
    assert len(exact) == 2  # two BT points (on different Hopf curves)
    eq = continue_equilibria(model, free="eta", bounds=(-3, 3))
    curve = continue_curve(model, eq["H1"], free=("eta", "alpha"),
                           bounds={"eta": (-3, 3), "alpha": (0, 10)})
    bt = [p for p in curve.special_points if p.kind == "BT"]
    assert len(bt) == 1 and "located" not in bt[0].data
    found = (bt[0].parameters["alpha"], bt[0].parameters["eta"])
    assert min(math.dist(found, point) for point in exact) < 1e-13  # measured 2.1e-15


def test_generalised_hopf_on_bautin_normal_form():
    """l1 = 2 m2 on the Hopf curve m1 = 0: GH at m2 = 0."""
    model = model_from(
        "bautin", {"x": 0.0, "y": 0.0},
        {"x": "m1*x - y + m2*x*(x**2 + y**2) - x*(x**2 + y**2)**2",
         "y": "x + m1*y + m2*y*(x**2 + y**2) - y*(x**2 + y**2)**2"},
        {"m1": -0.5, "m2": -0.5})
    eq = continue_equilibria(model, free="m1", bounds=(-1, 1), start=[0.0, 0.0])
    hopf = continue_curve(model, eq["H1"], free=("m1", "m2"), bounds={"m1": (-1, 1), "m2": (-1, 1)})
    np.testing.assert_allclose(hopf.parameter("m1"), 0.0, atol=1e-14)
    gh = only(hopf, "GH")
    assert abs(gh.parameters["m2"]) < 1e-14 and abs(gh.parameters["m1"]) < 1e-14
    assert gh.data["omega"] == pytest.approx(1.0, rel=1e-14)


@pytest.fixture(scope="module")
def fold_times_hopf():
    """x' = a1 - x^2 decoupled from a Hopf oscillator in (y, z) with parameter a2:
    the fold curve a1 = 0 meets the Hopf curve a2 = 0 at a zero-Hopf point."""
    return model_from(
        "zh", {"x": 1.0, "y": 0.0, "z": 0.0},
        {"x": "a1 - x**2", "y": "a2*y - z - y*(y**2 + z**2)", "z": "y + a2*z - z*(y**2 + z**2)"},
        {"a1": 1.0, "a2": -0.5})


def test_zero_hopf_on_fold_curve(fold_times_hopf):
    eq = continue_equilibria(fold_times_hopf, {"a1": 1.0, "a2": -0.5}, free="a1",
                             bounds=(-1, 2), start=[1.0, 0.0, 0.0])
    fold = continue_curve(fold_times_hopf, eq["LP1"], free=("a1", "a2"),
                          bounds={"a1": (-1, 1), "a2": (-1, 1)})
    np.testing.assert_allclose(fold.parameter("a1"), 0.0, atol=1e-14)
    zh = only(fold, "ZH")
    assert abs(zh.parameters["a2"]) < 1e-14
    assert zh.data["omega"] == pytest.approx(1.0, rel=1e-14)


def test_zero_hopf_on_hopf_curve(fold_times_hopf):
    eq = continue_equilibria(fold_times_hopf, {"a1": 1.0, "a2": -0.5}, free="a2",
                             bounds=(-1, 1), start=[1.0, 0.0, 0.0])
    hopf = continue_curve(fold_times_hopf, eq["H1"], free=("a1", "a2"),
                          bounds={"a1": (-1, 2), "a2": (-1, 1)})
    zh = only(hopf, "ZH")
    assert abs(zh.parameters["a1"]) < 1e-14 and abs(zh.parameters["a2"]) < 1e-14
    assert zh.data["omega"] == pytest.approx(1.0, rel=1e-14)


def test_double_hopf():
    """Two decoupled Hopf oscillators (frequencies 1 and 1.7): the Hopf curve
    a1 = 0 meets the other oscillator's Hopf curve at a2 = 0."""
    model = model_from(
        "hh", {"x": 0.0, "y": 0.0, "u": 0.0, "w": 0.0},
        {"x": "a1*x - y - x*(x**2 + y**2)", "y": "x + a1*y - y*(x**2 + y**2)",
         "u": "a2*u - 1.7*w - u*(u**2 + w**2)", "w": "1.7*u + a2*w - w*(u**2 + w**2)"},
        {"a1": -0.5, "a2": -0.5})
    eq = continue_equilibria(model, free="a1", bounds=(-1, 1), start=np.zeros(4))
    hopf = continue_curve(model, eq["H1"], free=("a1", "a2"), bounds={"a1": (-1, 1), "a2": (-1, 1)})
    hh = only(hopf, "HH")
    assert abs(hh.parameters["a1"]) < 1e-14 and abs(hh.parameters["a2"]) < 1e-14
    assert sorted([hh.data["omega"], hh.data["omega2"]]) == pytest.approx([1.0, 1.7], rel=1e-14)


def test_curve_needs_lp_or_h_and_two_parameters(ei):
    qif = bf.load_model("qif")
    eq = continue_equilibria(qif, qif.parameters(J=15), free="eta", bounds=(-15, 5))
    with pytest.raises(bf.ParameterError, match="two different parameters"):
        continue_curve(qif, eq["LP1"], free=("eta",), bounds={"eta": (-15, 5)})
    with pytest.raises(bf.ParameterError, match=r"bounds \[0, 1\] exclude the start value J = 15"):
        continue_curve(qif, eq["LP1"], free=("eta", "J"), bounds={"eta": (-15, 5), "J": (0, 1)})
