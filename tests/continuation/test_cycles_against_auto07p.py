"""Cross-validation of bifurc's LC-C (limit cycles from a Hopf point) against
AUTO-07p's periodic-orbit continuation (IPS = 2), same NTST and NCOL.

The engines take different steps, so they are compared (a) at the same
parameter values: AUTO is asked (UZR) to locate orbits exactly at some of
bifurc's parameter values, and (b) along the whole branch, AUTO's period
interpolated (cubic spline) onto bifurc's parameter values. AUTO prints
parameters and periods with 11 significant digits and Floquet multipliers
with 6 (so multipliers above ~1e-6 in modulus are compared, to 1e-5, relative
above 1).

The tests that run AUTO-07p (marked ``needs_auto``) are skipped when it is not
installed (the reason says how to install it); the parser and parameter-map
tests at the end are pure Python and always run.
"""

import math

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

import bifurc as bf
from bifurc import auto07p
from bifurc.continuation import continue_equilibria, find_equilibrium
from bifurc.continuation.core import ContinuationOptions
from bifurc.continuation.cycles import continue_cycles

AVAILABLE, REASON = auto07p.auto_available()
#: only for tests that really run AUTO-07p
needs_auto = pytest.mark.skipif(not AVAILABLE, reason=f"AUTO-07p is not usable: {REASON}")

TWO_PI = 2 * math.pi
#: bifurc kind -> AUTO label type of the same cycle bifurcation
KINDS = {"LPC": "LP", "PD": "PD", "NS": "TR"}


def model_from(name, states, equations, parameters):
    return bf.Model.from_spec({"name": name, "states": states, "parameters": parameters,
                               "equations": equations})


def both_engines(model, hopf, bounds, *, ntst=50, ncol=4, ds=0.01, ds_max=0.5, max_points=200,
                 compare_every=15):
    """bifurc's and AUTO's cycle branches from one Hopf point, with the same
    settings; AUTO also locates orbits at every `compare_every`-th parameter
    value of bifurc's branch (UZ points). Returns (branch, auto result, pairs of
    (bifurc index, AUTO UZ point))."""
    free = hopf.free[0]
    options = ContinuationOptions(step_size=ds, min_step_size=1e-6, max_step_size=ds_max,
                                  max_points=max_points, both_directions=False)
    branch = continue_cycles(model, hopf, bounds=bounds, ntst=ntst, ncol=ncol, options=options)
    values = branch.values[:, 0]
    picks = np.arange(3, len(values), compare_every)
    theirs = auto07p.continue_cycles_auto(model, hopf.parameters, hopf.state, free, bounds,
                                          ntst=ntst, ncol=ncol, ds=ds, ds_min=1e-6,
                                          ds_max=ds_max, max_points=max_points,
                                          uzr=values[picks])
    located = [p for p in theirs["special_points"] if p["type"] == "UZ"]
    pairs = []
    for j in picks:
        # a folded branch passes a value more than once, and AUTO labels every
        # passage: take the orbit with the nearest period
        same = [p for p in located if abs(p["par"] - values[j]) <= 1e-7 * max(1.0, abs(values[j]))]
        if same:
            period = branch.extra["period"][j]
            pairs.append((j, min(same, key=lambda p: abs(p["period"] - period))))
    return branch, theirs, pairs


def assert_multipliers_agree(ours, theirs, floor=1e-6, atol=1e-5, skip_near_one=0):
    """Every multiplier above `floor` in modulus of either engine has one of the
    other within `atol` max(1, |mu|) (AUTO prints 6 significant digits, so an
    unstable multiplier like 1.83312 is rounded by up to 5e-6 of its size).
    With skip_near_one = k, the k multipliers of each
    engine closest to 1 are only required to be within 1e-3 of 1 (a double
    multiplier at a fold splits like the square root of the location error)."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    if skip_near_one:
        for mu in (ours, theirs):
            near = np.argsort(np.abs(mu - 1.0))[:skip_near_one]
            assert np.all(np.abs(mu[near] - 1.0) < 1e-3), mu
        ours = ours[np.argsort(np.abs(ours - 1.0))[skip_near_one:]]
        theirs = theirs[np.argsort(np.abs(theirs - 1.0))[skip_near_one:]]
    for a, b in ((ours, theirs), (theirs, ours)):
        for mu in a[np.abs(a) > floor]:
            assert np.min(np.abs(b - mu)) <= atol * max(1.0, abs(mu)), (ours, theirs)


def assert_same_points(branch, theirs, pairs, period_rtol=1e-6):
    """Period, stability and multipliers agree where both computed an orbit at
    the same parameter value."""
    assert len(pairs) >= 5, [p["par"] for _, p in pairs]
    for j, point in pairs:
        value = branch.values[j, 0]
        assert abs(point["par"] - value) <= 1e-7 * max(1.0, abs(value)), (point["par"], value)
        period = branch.extra["period"][j]
        assert point["period"] == pytest.approx(period, rel=period_rtol), (value, point["period"])
        assert point["stable"] == bool(branch.stable[j]), value
        assert_multipliers_agree(branch.eigenvalues[j], point["multipliers"])


def assert_period_curves_agree(branch, theirs, rtol=1e-6):
    """AUTO's period(parameter), interpolated onto bifurc's parameter values
    inside the range both cover (the parameter must be monotone there)."""
    par, period = theirs["points"]["par"], theirs["points"]["period"]
    assert np.all(np.diff(par) > 0) or np.all(np.diff(par) < 0)
    order = np.argsort(par)
    spline = CubicSpline(par[order], period[order])
    ours = branch.values[:, 0]
    inside = (ours > par.min()) & (ours < par.max())
    assert inside.sum() >= 0.5 * len(ours), "the branches hardly overlap"
    expected = branch.extra["period"][inside]
    np.testing.assert_allclose(spline(ours[inside]), expected, rtol=rtol)


def cycle_bifurcations(branch, theirs):
    ours = [(p.kind, p.parameters[branch.free[0]]) for p in branch.special_points
            if p.kind in KINDS]
    auto = [(p["type"], p["par"], p) for p in theirs["special_points"]
            if p["type"] in KINDS.values()]
    return ours, auto


def assert_same_bifurcations(branch, theirs, rtol=1e-7):
    """The same LPC / PD / NS points in the same order, at the same parameter
    values: the engines agree to 4e-9 (the second fold of ei at J_ee = 20),
    to 1e-13 .. 3e-11 elsewhere."""
    ours, auto = cycle_bifurcations(branch, theirs)
    assert [KINDS[kind] for kind, _ in ours] == [kind for kind, _, _ in auto], (ours, auto)
    for (kind, value), (_, auto_value, _) in zip(ours, auto):
        assert abs(auto_value - value) <= rtol * max(1.0, abs(value)), (kind, value, auto_value)


# --------------------------------------------------------------------------- Hopf normal form
@pytest.fixture(scope="module")
def normal_form():
    model = model_from("hopf_nf_auto", {"x": 0.0, "y": 0.0},
                       {"x": "mu*x - y + a*x*(x**2 + y**2)", "y": "x + mu*y + a*y*(x**2 + y**2)"},
                       {"mu": -0.5, "a": -1.0})
    eq = continue_equilibria(model, free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    return both_engines(model, eq["H1"], (-1.0, 1.0), ntst=20, ds_max=0.1, max_points=100,
                        compare_every=8)


@needs_auto
def test_normal_form_auto_periods_are_two_pi(normal_form):
    """Cycles x^2 + y^2 = mu of period 2 pi, multipliers 1 and exp(-4 pi mu).
    AUTO prints 11 significant digits: periods to 5e-11 relative (measured
    3e-12), so 1e-10."""
    _, theirs, _ = normal_form
    points = theirs["points"]
    assert theirs["hopf"]["par"] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(points["period"], TWO_PI, rtol=1e-10)
    mu = points["par"][1:]  # AUTO computes no multipliers at the Hopf point
    assert mu.max() > 1.0 and (mu > 0).all()
    np.testing.assert_allclose(points["l2norm"][1:], np.sqrt(mu), rtol=1e-7)  # radius sqrt(mu)
    multipliers = np.array(points["multipliers"][1:])
    np.testing.assert_allclose(multipliers[:, 0], 1.0, atol=1e-5)
    np.testing.assert_allclose(multipliers[:, 1].real, np.exp(-4 * math.pi * mu), rtol=1e-5,
                               atol=1e-10)
    assert points["stable"][1:].all()
    assert not theirs["warnings"], theirs["warnings"]


@needs_auto
def test_normal_form_engines_agree(normal_form):
    branch, theirs, pairs = normal_form
    assert_same_points(branch, theirs, pairs, period_rtol=1e-10)  # AUTO's 11 digits
    for j, point in pairs:
        assert point["l2norm"] == pytest.approx(math.sqrt(branch.values[j, 0]), rel=1e-7)
    assert_same_bifurcations(branch, theirs)


# --------------------------------------------------------------------------- ei
@pytest.fixture(scope="module")
def ei():
    return bf.load_model("ei")


@pytest.fixture(scope="module")
def ei_hopf_points(ei):
    eq = continue_equilibria(ei, ei.parameters(eta_e=-10), free="eta_e", bounds=(-10, 30))
    assert [p.label for p in eq.special_points] == ["H1", "H2"]
    return eq


@needs_auto
@pytest.mark.parametrize("label, near", [("H1", -0.525), ("H2", 19.55)])
def test_ei_cycles_agree_with_auto07p(ei, ei_hopf_points, label, near):
    hopf = ei_hopf_points[label]
    assert hopf.parameters["eta_e"] == pytest.approx(near, abs=0.01)
    branch, theirs, pairs = both_engines(ei, hopf, (-10.0, 30.0))
    assert theirs["hopf"]["par"] == pytest.approx(hopf.parameters["eta_e"], abs=1e-7)
    assert theirs["hopf"]["period"] == pytest.approx(branch.extra["period"][0], rel=1e-8)
    assert_same_points(branch, theirs, pairs)
    assert_period_curves_agree(branch, theirs)
    # no fold, period doubling or torus on these branches, for either engine
    assert_same_bifurcations(branch, theirs)


@needs_auto
def test_ei_folds_of_cycles_agree_with_auto07p(ei):
    """Bistable regime (J_ee = 20: LP1, LP2 and H1 on the equilibria): the cycles
    from H1 fold twice (LPC1 near eta_e = 0.027, LPC2 near 0.411), in both engines."""
    eq = continue_equilibria(ei, ei.parameters(J_ee=20.0, eta_e=-20), free="eta_e",
                             bounds=(-20, 30))
    branch, theirs, pairs = both_engines(ei, eq["H1"], (-20.0, 30.0), max_points=150,
                                         compare_every=10)
    assert_same_points(branch, theirs, pairs, period_rtol=1e-7)  # measured 3e-9
    ours, auto = cycle_bifurcations(branch, theirs)
    assert [kind for kind, _ in ours] == ["LPC", "LPC"], branch.summary()
    assert_same_bifurcations(branch, theirs)
    for point, (_, _, auto_point) in zip(branch.special_points, auto):
        period = point.data["period"]
        assert auto_point["period"] == pytest.approx(period, rel=1e-6)
        assert_multipliers_agree(point.eigenvalues, auto_point["multipliers"], skip_near_one=2)


# --------------------------------------------------------------------------- PD and NS
@needs_auto
def test_period_doubling_agrees_with_auto07p():
    """Rossler system in a (b = 2, c = 4): the cycle born at the Hopf point
    (a = 0.12497) period-doubles at a = 0.33486."""
    model = model_from("rossler_auto", {"x": 0.0, "y": 0.0, "z": 0.0},
                       {"x": "-y - z", "y": "x + a*y", "z": "b + z*(x - c)"},
                       {"a": -0.2, "b": 2.0, "c": 4.0})
    a, b, c = -0.2, 2.0, 4.0
    y = (-c + math.sqrt(c * c - 4 * a * b)) / (2 * a)
    start = find_equilibrium(model, model.parameters(), guess=[-a * y, y, -y])
    eq = continue_equilibria(model, model.parameters(), free="a", bounds=(-0.5, 0.5),
                             start=start)
    branch, theirs, pairs = both_engines(model, eq["H1"], (-0.5, 0.5), ds_max=0.2,
                                         max_points=100, compare_every=4)
    # periods agree to 1e-11 (AUTO's 11 digits): 1e-9 at the same parameters, 1e-10 at PD
    assert_same_points(branch, theirs, pairs, period_rtol=1e-9)
    ours, auto = cycle_bifurcations(branch, theirs)
    assert [kind for kind, _ in ours] == ["PD"], branch.summary()
    assert_same_bifurcations(branch, theirs)
    pd, auto_pd = branch.special_points[0], auto[0][2]
    assert auto_pd["period"] == pytest.approx(pd.data["period"], rel=1e-10)
    assert_multipliers_agree(pd.eigenvalues, auto_pd["multipliers"])


@needs_auto
def test_torus_bifurcation_agrees_with_auto07p():
    """Langford's system (axisymmetric, epsilon = 0) in lambda: the cycle of
    period 2 pi / omega from the Hopf point has a Neimark-Sacker (torus)
    bifurcation; AUTO reports it as TR with the same angle."""
    model = model_from(
        "langford_auto", {"x": 0.0, "y": 0.0, "z": -2.0},
        {"x": "(z - beta)*x - omega*y", "y": "omega*x + (z - beta)*y",
         "z": "lam + alpha*z - z**3/3 - (x**2 + y**2)*(1 + rho*z)"},
        {"alpha": 0.95, "beta": 0.7, "lam": -1.0, "omega": 3.5, "rho": 0.25})
    start = find_equilibrium(model, model.parameters(), guess=[0.0, 0.0, -2.0])
    eq = continue_equilibria(model, model.parameters(), free="lam", bounds=(-1.0, 2.0),
                             start=start)
    branch, theirs, pairs = both_engines(model, eq["H1"], (-1.0, 2.0), ds_max=0.2,
                                         max_points=100, compare_every=4)
    assert_same_points(branch, theirs, pairs, period_rtol=1e-9)  # measured 3e-11
    np.testing.assert_allclose(theirs["points"]["period"], TWO_PI / 3.5, rtol=1e-9)
    ours, auto = cycle_bifurcations(branch, theirs)
    assert [kind for kind, _ in ours] == ["NS"], branch.summary()
    assert_same_bifurcations(branch, theirs)
    ns, auto_tr = branch.special_points[0], auto[0][2]
    assert auto_tr["angle"] == pytest.approx(ns.data["angle"], rel=1e-9)  # measured 1e-11
    assert_multipliers_agree(ns.eigenvalues, auto_tr["multipliers"])


# --------------------------------------------------------------------------- plumbing
def test_cycle_runs_keep_par_11_and_12_free(ei):
    """AUTO keeps the period in PAR(11) and writes the torus angle into PAR(12)
    during periodic runs (ISP = 2), so no model parameter may live there; with
    the equilibrium mapping ei's J_ie (PAR(12)) was overwritten mid-run and
    AUTO stopped (MX) on the J_ee = 20 branch above."""
    indices = list(auto07p.cycle_parameter_index_map(ei).values())
    assert indices == [*range(1, 11), *range(13, 19)]
    source = auto07p.render_equation_file(ei, auto07p.cycle_parameter_index_map(ei))
    assert "p_J_ie = par[12];  /* PAR(13) = J_ie */" in source


def test_parse_multipliers_keeps_the_last_block_and_inaccurate_points(tmp_path):
    path = tmp_path / "fort.9"
    path.write_text(
        "   1     2         Multipliers:     Stable:   2\n"
        "   1     2         Multiplier  1    9.00000E-01   0.00000E+00  Abs. Val.   9.00000E-01\n"
        "   1     2         Multiplier  2    5.00000E-01   0.00000E+00  Abs. Val.   5.00000E-01\n"
        "   1     2         Multipliers:     Stable:   2\n"
        "   1     2         Multiplier  1    1.00000E+00   0.00000E+00  Abs. Val.   1.00000E+00\n"
        "   1     2         Multiplier  2    4.00000E-01   1.00000E-01  Abs. Val.   4.12311E-01\n"
        "   1     3 NOTE:Multiplier inaccurate\n"
        "   1     3         Multiplier  1    8.00000E-01   0.00000E+00\n"
        "   1     3         Multiplier  2    3.00000E-01   0.00000E+00\n"
        "   1     4         Multiplier  1    9.20000E-01   0.00000E+00  Abs. Val.   9.20000E-01\n"
        "   1     4         Multiplier  2    2.00000E-01   0.00000E+00  Abs. Val.   2.00000E-01\n"
        "   1     5 NOTE:Multiplier accurate again\n"
        "   1     5         Multipliers:     Stable:   2\n"
        "   1     5         Multiplier  1    1.00000E+00   0.00000E+00  Abs. Val.   1.00000E+00\n"
        "   1     5         Multiplier  2    1.00000E-01   0.00000E+00  Abs. Val.   1.00000E-01\n")
    parsed = auto07p.parse_multipliers(path)
    np.testing.assert_array_equal(parsed[2], [1.0, 0.4 + 0.1j])
    np.testing.assert_array_equal(parsed[3], [0.8, 0.3])
    assert parsed["inaccurate"] == {3, 4}
    np.testing.assert_array_equal(parsed[5], [1.0, 0.1])
