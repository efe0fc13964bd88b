"""EP-C: equilibrium branches, LP / H / BP detection, l1, robustness.

Oracles: exact formulas (the qif folds, normal forms, pitchfork and
transcritical branches) and, for the ei Hopf points, eigenvalues from numpy
and a direct simulation (scipy DOP853) of the linearised-at-the-point
dynamics. Special points are located to round-off (Brent on the arclength,
every trial point corrected to Newton tolerance): quantities that are exact
in the model are compared at 1e-13 .. 1e-12, a few hundred ulps, which leaves
room for other BLAS/LAPACK kernels (measured: ~1e-16).
"""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import bifurc as bf
from bifurc.continuation import (ContinuationOptions, continue_equilibria, find_equilibrium,
                                 load_branches, save_branches)

PI = math.pi


def qif_folds(J, delta=1.0):
    """Exact folds of qif (tau = 1): J(r) = 2 pi^2 r + delta^2 / (2 pi^2 r^3)."""
    J_of = lambda r: 2 * PI**2 * r + delta**2 / (2 * PI**2 * r**3)
    eta_of = lambda r: PI**2 * r**2 - J_of(r) * r - delta**2 / (4 * PI**2 * r**2)
    r_cusp = (3 * delta**2 / (4 * PI**4)) ** 0.25
    roots = [brentq(lambda r: J_of(r) - J, 1e-4, r_cusp), brentq(lambda r: J_of(r) - J, r_cusp, 10)]
    return [(eta_of(r), r, -delta / (2 * PI * r)) for r in roots]


def small_model(name, states, equations, parameters):
    return bf.Model.from_spec({"name": name, "states": states, "parameters": parameters,
                               "equations": equations})


def test_qif_folds_match_exact_formula():
    qif = bf.load_model("qif")
    branch = continue_equilibria(qif, qif.parameters(J=15), free="eta", bounds=(-15, 5))
    folds = [p for p in branch.special_points if p.kind == "LP"]
    assert len(folds) == 2
    exact = sorted(qif_folds(15.0))
    found = sorted(folds, key=lambda p: p.parameters["eta"])
    for point, (eta, r, v) in zip(found, exact):  # measured 2e-12 and 1.4e-13
        assert abs(point.parameters["eta"] - eta) < 1e-10
        np.testing.assert_allclose(point.state, [r, v], atol=1e-11)
    # the middle branch (between the folds) is the unstable one
    eta = branch.parameter("eta")
    inside = (eta > exact[0][0] + 0.01) & (eta < exact[1][0] - 0.01)
    r = branch.state("r")
    middle = inside & (r > exact[1][1] + 1e-3) & (r < exact[0][1] - 1e-3)
    assert middle.any() and not branch.stable[middle].any()
    assert [e["status"] for e in branch.ends] == ["bound", "bound"]


@pytest.mark.parametrize("a, omega", [(-1.0, 1.0), (1.0, 1.0), (-0.5, 2.0), (0.3, 3.0)])
def test_hopf_normal_form_l1(a, omega):
    """x' = mu x - w y + a x r^2, y' = w x + mu y + a y r^2: H at mu = 0 with
    l1 = 2 a / w (Kuznetsov normalisation <q, q> = <p, q> = 1)."""
    model = small_model("hopf_nf", {"x": 0.0, "y": 0.0},
                        {"x": "mu*x - w*y + a*x*(x**2 + y**2)",
                         "y": "w*x + mu*y + a*y*(x**2 + y**2)"},
                        {"mu": -0.5, "w": omega, "a": a})
    branch = continue_equilibria(model, free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    (hopf,) = branch.special_points
    assert hopf.kind == "H"
    assert abs(hopf.parameters["mu"]) < 1e-13
    assert hopf.data["l1"] == pytest.approx(2 * a / omega, rel=1e-13)
    assert hopf.data["omega"] == pytest.approx(omega, rel=1e-13)
    assert hopf.data["frequency_hz"] == pytest.approx(1000 * omega / (2 * PI), rel=1e-13)  # ms


def test_neutral_saddle_is_not_a_hopf_point():
    """Eigenvalues 1 and -alpha: their sum vanishes at alpha = 1 (neutral saddle)."""
    model = small_model("saddle", {"x": -1.0, "y": 0.0}, {"x": "x + 1", "y": "-alpha*y"},
                        {"alpha": 0.5})
    branch = continue_equilibria(model, free="alpha", bounds=(0.5, 2.0), start=[-1.0, 0.0])
    assert branch.special_points == []


@pytest.mark.parametrize("equation, alpha_on_other_branch", [
    ("alpha*x - x**3", lambda x: x**2),   # pitchfork: alpha = x^2
    ("x*(alpha - x)", lambda x: x),       # transcritical: alpha = x
])
def test_branch_point_and_switching(equation, alpha_on_other_branch):
    model = small_model("bp", {"x": 0.0, "y": 0.0}, {"x": equation, "y": "-y"}, {"alpha": -1.0})
    trivial = continue_equilibria(model, free="alpha", bounds=(-1, 1), start=[0.0, 0.0])
    (bp,) = [p for p in trivial.special_points if p.kind == "BP"]
    assert abs(bp.parameters["alpha"]) < 1e-13
    other = continue_equilibria(model, free="alpha", bounds=(-1, 1), start=bp)
    alpha, x = other.parameter("alpha"), other.state("x")
    assert np.abs(x).max() > 0.3  # really left the trivial branch
    assert np.abs(alpha - alpha_on_other_branch(x)).max() < 1e-13
    assert (x > 0.3).any() and (x < -0.3).any() or (alpha < -0.3).any()  # both sides of the BP


@pytest.fixture(scope="module")
def ei_branch(ei):
    return continue_equilibria(ei, ei.parameters(eta_e=-10), free="eta_e", bounds=(-10, 30))


def test_ei_hopf_points_are_equilibria_with_a_critical_pair(ei, ei_branch):
    """Newton stops below 1e-10 and its last (quadratic) step reaches round-off:
    |f| and Re(lambda) / Im(lambda) measured ~1e-16, tolerance 1e-12 (room for
    a last step that starts at 1e-6)."""
    compiled = bf.compile_model(ei)
    hopfs = [p for p in ei_branch.special_points if p.kind == "H"]
    assert [p.label for p in hopfs] == ["H1", "H2"]
    for point in hopfs:
        p = ei.parameters(**point.parameters)
        assert np.linalg.norm(compiled.vector_field(point.state, p)) < 1e-12
        eigenvalues = np.linalg.eigvals(compiled.jacobian(point.state, p))
        critical = eigenvalues[np.argmin(np.abs(eigenvalues.real))]
        assert abs(critical.real) < 1e-12 * abs(critical.imag)
        assert abs(abs(critical.imag) - point.data["omega"]) < 1e-12 * point.data["omega"]
    # the default eta_e = 10 lies between the Hopf points: unstable equilibrium, PING cycle
    assert hopfs[0].parameters["eta_e"] < 10 < hopfs[1].parameters["eta_e"]
    at_default = np.argmin(np.abs(ei_branch.parameter("eta_e") - 10))
    assert not ei_branch.stable[at_default]


@pytest.mark.parametrize("label", ["H1", "H2"])
def test_ei_hopf_frequency_and_location_against_simulation(ei, ei_branch, label):
    """A small perturbation (1e-6 of the state) of the equilibrium at the
    located Hopf point, simulated with scipy's DOP853 (rtol 1e-11), settles on
    the critical oscillation: the other modes decay (slowest rate 0.1 / ms),
    nonlinear corrections to the period are O(amplitude^2) ~ 1e-12. Its period
    (interpolated up-crossings of y_e = 0, averaged over the last half of the
    run) must be 1000 / frequency_hz ms (measured: 2e-10 relative, tolerance
    1e-8), and it must neither grow nor decay: at the Hopf point Re(lambda) = 0,
    measured |rate| 3e-11 / ms, tolerance 1e-9 / ms (a location error of 8e-9
    in eta_e at H1, where dRe(lambda)/d eta_e = 0.12, and of 1.4e-6 at H2,
    where it is only 7e-4: the AUTO-07p tests pin H2 to 1e-8)."""
    point = ei_branch[label]
    compiled = bf.compile_model(ei)
    p = ei.parameters(**point.parameters).values
    x_star = np.array(point.state)
    epsilon = 1e-6 * np.abs(x_star).max()
    period = 1000 / point.data["frequency_hz"]  # ms

    def deviation(t, y):  # the deviation from the equilibrium, for relative accuracy
        return compiled.vector_field(x_star + y, p) - compiled.vector_field(x_star, p)

    y0 = np.zeros(ei.n_states)
    y0[0] = epsilon
    duration = max(40 * period, 500.0)
    run = solve_ivp(deviation, (0, duration), y0, method="DOP853", rtol=1e-11,
                    atol=1e-13 * epsilon, dense_output=True)
    t = np.linspace(duration / 2, duration, 100001)
    y = run.sol(t)[0]
    up = np.flatnonzero((y[:-1] < 0) & (y[1:] >= 0))
    crossings = np.array([brentq(lambda s: run.sol(s)[0], t[k], t[k + 1], xtol=1e-14)
                          for k in up])
    assert len(crossings) >= 5
    simulated = (crossings[-1] - crossings[0]) / (len(crossings) - 1)
    assert simulated == pytest.approx(period, rel=1e-8)
    size = [np.linalg.norm(run.sol(s)) for s in (crossings[0], crossings[-1])]
    rate = math.log(size[1] / size[0]) / (crossings[-1] - crossings[0])
    assert abs(rate) < 1e-9


def test_branches_save_and_load_losslessly(tmp_path):
    qif = bf.load_model("qif")
    branch = continue_equilibria(qif, free="eta", bounds=(-15, 5))
    save_branches([branch], tmp_path)
    (loaded,) = load_branches(tmp_path)
    np.testing.assert_array_equal(loaded.values, branch.values)
    np.testing.assert_array_equal(loaded.eigenvalues, branch.eigenvalues)
    np.testing.assert_array_equal(loaded.states, branch.states)
    assert [p.to_json() for p in loaded.special_points] == [p.to_json() for p in branch.special_points]
    assert loaded["LP1"].parameters == branch["LP1"].parameters


def test_start_far_from_any_equilibrium_is_a_clear_error():
    model = small_model("noeq", {"x": 0.0}, {"x": "1 + x**2 + eps_p"}, {"eps_p": 0.0})
    with pytest.raises(bf.ParameterError, match=r"no equilibrium found: Newton from the start "
                                                r"stopped at \|f\| = "):
        continue_equilibria(model, free="eps_p", bounds=(-0.5, 0.5))


def test_singular_start_is_a_clear_error():
    model = small_model("bp0", {"x": 0.0, "y": 0.0}, {"x": "alpha*x - x**3", "y": "-y"},
                        {"alpha": 0.0})
    with pytest.raises(bf.ParameterError, match="rank deficient at the start point"):
        continue_equilibria(model, free="alpha", bounds=(-1, 1), start=[0.0, 0.0])


def test_unknown_parameter_and_excluding_bounds_are_clear_errors():
    qif = bf.load_model("qif")
    with pytest.raises(bf.ParameterError, match="unknown parameter 'etta'"):
        continue_equilibria(qif, free="etta", bounds=(-1, 1))
    with pytest.raises(bf.ParameterError, match=r"bounds \[1, 2\] exclude the start value eta = -5"):
        continue_equilibria(qif, free="eta", bounds=(1, 2))
    with pytest.raises(bf.ParameterError, match="`step_size` must be positive"):
        ContinuationOptions(step_size=-0.1)


def test_find_equilibrium_falls_back_to_simulation(ei):
    # at the zero state the Jacobian is singular (dr/dt does not depend on r or v
    # there), so Newton cannot start; the stable rest state is found by simulation
    x = find_equilibrium(ei, ei.parameters(eta_e=-5), guess=np.zeros(6))
    compiled = bf.compile_model(ei)
    assert np.linalg.norm(compiled.vector_field(x, ei.parameters(eta_e=-5))) < 1e-10
    assert x[0] > 0


def test_interrupt_keeps_the_points_computed(monkeypatch):
    import bifurc.continuation.equilibria as equilibria

    class InterruptingBar:
        def __init__(self, *args, **kwargs):
            self.count = 0

        def update(self, amount):
            self.count += 1
            if self.count == 5:
                raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(equilibria, "tqdm", InterruptingBar)
    qif = bf.load_model("qif")
    branch = continue_equilibria(qif, free="eta", bounds=(-15, 5))
    assert branch.ends[-1]["status"] == "interrupted"
    assert 3 <= len(branch) < 20
    compiled = bf.compile_model(qif)
    for x, (eta,) in zip(branch.states, branch.values):
        assert np.linalg.norm(compiled.vector_field(x, qif.parameters(eta=eta))) < 1e-9
