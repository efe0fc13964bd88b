"""SNIC-C (homoclinic orbits to a saddle-node) and the codimension-two points
that join it to HOM-C.

References:
- the circle model r' = r (1 - r^2), theta' = eta + mu (1 - cos theta) (in
  Cartesian form) has the saddle-node (1, 0) with a SNIC along the unit
  circle exactly at eta = 0 for every mu > 0;
- on the ei model the homoclinic curves started at the two BT points of the
  fold curve and the SNIC curve are three different boundary-value problems:
  where they meet (the NCH points) they must agree; the SNIC curve must lie
  on the fold found by EP-C at the same J_ee, and a family of cycles there
  must end at a SNIC (by its own period divergence) where SNIC-C says.
"""

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation import ContinuationOptions, continue_curve
from bifurc.continuation.attractors import find_attractor
from bifurc.errors import ParameterError

CIRCLE = {"name": "circle_snic", "states": {"x": 1.0, "y": 0.5},
          "parameters": {"eta": 0.2, "mu": 1.0},
          "equations": {"x": "x*(1 - x**2 - y**2) - y*(eta + mu*(1 - x))",
                        "y": "y*(1 - x**2 - y**2) + x*(eta + mu*(1 - x))"}}


@pytest.fixture(scope="module")
def circle():
    model = bf.Model.from_spec(CIRCLE)
    orbit = find_attractor(model, model.parameters(eta=0.2, mu=1.0), ntst=40, ncol=4).orbit
    family = bf.continue_cycles(model, orbit, free="eta", bounds=(-0.5, 1.0), ntst=40, ncol=4,
                                options=ContinuationOptions(step_size=0.05, max_step_size=0.5,
                                                            max_points=400))
    (snic,) = [p for p in family.special_points if p.kind == "SNIC"]
    return model, snic


def test_snic_curve_of_the_circle_model(circle):
    model, snic = circle
    curve = continue_curve(model, snic, ("eta", "mu"), {"eta": (-1, 1), "mu": (0.5, 2.0)},
                           options=ContinuationOptions(step_size=0.01, max_step_size=0.1,
                                                       max_points=100))
    assert curve.kind == "SNIC-C"
    eta, mu = curve.values.T
    assert np.abs(eta).max() < 1e-10
    assert mu.min() == pytest.approx(0.5, abs=1e-9) and mu.max() == pytest.approx(2.0, abs=1e-9)
    assert [end["status"] for end in curve.ends] == ["bound", "bound"]
    np.testing.assert_allclose(curve.states, np.tile([1.0, 0.0], (len(curve), 1)), atol=1e-10)
    assert not curve.special_points  # the orbit always returns along the circle
    for profile in curve.extra["profile"]:
        radius = np.linalg.norm(profile, axis=1)
        # the ends sit on the centre direction's tangent line, O(distance^2) off
        # the circle; the orbit follows the circle (collocation accuracy)
        assert np.abs(radius - 1).max() < 5e-3
        assert np.abs(radius[len(radius) // 4: -len(radius) // 4] - 1).max() < 1e-4
        # counterclockwise: it leaves upwards and returns from below, once round
        assert profile[0, 1] > 0 > profile[-1, 1]
        angle = np.unwrap(np.arctan2(profile[:, 1], profile[:, 0]))
        assert angle[-1] - angle[0] == pytest.approx(2 * np.pi, abs=0.2)  # ends 0.05 off


def test_hom_c_refuses_a_snic_and_snic_c_a_saddle(circle):
    from bifurc.continuation.homoclinic import continue_homoclinic
    from bifurc.continuation.snic import continue_snic

    model, snic = circle
    with pytest.raises(ParameterError, match="SNIC"):
        continue_homoclinic(model, snic, ("eta", "mu"), {"eta": (-1, 1), "mu": (0.5, 2.0)})
    # a family that ends on a homoclinic loop to the saddle (0, 0) (x' = y,
    # y' = x - x^2 + nu y + mu H y, H = y^2/2 - x^2/2 + x^3/3: the loop at nu = 0)
    loop = bf.Model.from_spec({"name": "loop", "states": {"x": 1.0, "y": 0.0},
                               "parameters": {"nu": 0.1, "mu": 1.0},
                               "equations": {"x": "y", "y": "x - x**2 + nu*y "
                                                            "+ mu*(y**2/2 - x**2/2 + x**3/3)*y"}})
    eq = bf.continue_equilibria(loop, loop.parameters(), free="nu", bounds=(-0.5, 0.5),
                                start=np.array([1.0, 0.0]))
    family = bf.continue_cycles(loop, eq["H1"], bounds=(-0.5, 0.5), ntst=60, ncol=4,
                                options=ContinuationOptions(step_size=0.01, max_step_size=0.05,
                                                            max_points=400))
    (hom,) = [p for p in family.special_points if p.kind == "HOM"]
    with pytest.raises(ParameterError, match="saddle"):
        continue_snic(loop, hom, ("nu", "mu"), {"nu": (-1, 1), "mu": (0.5, 2.0)})


@pytest.fixture(scope="module")
def ei_curves():
    ei = bf.load_model("ei")
    bounds = {"eta_e": (-20.0, 30.0), "J_ee": (0.0, 60.0)}
    equilibria = bf.continue_equilibria(ei, ei.parameters(J_ee=30, eta_e=-10), free="eta_e",
                                        bounds=(-10, 30))
    fold = continue_curve(ei, equilibria["LP1"], ("eta_e", "J_ee"), bounds)
    bts = sorted((p for p in fold.special_points if p.kind == "BT"),
                 key=lambda p: p.parameters["J_ee"])
    assert len(bts) == 2
    homs = [continue_curve(ei, bt, ("eta_e", "J_ee"), bounds) for bt in bts]
    (nch_high,) = [p for p in homs[1].special_points if p.kind == "NCH"]
    snic = continue_curve(ei, nch_high, ("eta_e", "J_ee"), bounds)
    return ei, fold, homs, snic


def test_homoclinic_curves_from_both_bt_points_end_where_the_snic_curve_ends(ei_curves):
    _, _, homs, snic = ei_curves
    assert all(h.kind == "HOM-C" for h in homs) and snic.kind == "SNIC-C"
    (nch_low,) = [p for p in homs[0].special_points if p.kind == "NCH"]
    assert {end["status"] for end in snic.ends} == {"NCH"}
    far = min(snic.values[0], snic.values[-1], key=lambda v: v[1])  # it started at high J_ee
    # the SNIC curve's far end (its own NCH test) against the end of the other
    # HOM-C (where the saddle turns non-hyperbolic): measured 9e-7 and 4e-6
    np.testing.assert_allclose(far, [nch_low.parameters["eta_e"], nch_low.parameters["J_ee"]],
                               atol=2e-5)


def test_snic_points_are_saddle_nodes(ei_curves):
    ei, _, _, snic = ei_curves
    from bifurc.codegen import compile_model
    compiled = compile_model(ei)
    for k in range(0, len(snic), 10):
        p = ei.parameters(eta_e=snic.values[k, 0], J_ee=snic.values[k, 1])
        singular = np.linalg.svd(compiled.jacobian(snic.states[k], p), compute_uv=False)
        assert singular[-1] < 1e-9 * singular[0]
        assert np.abs(compiled.vector_field(snic.states[k], p)).max() < 1e-9


def test_a_cycle_family_ends_at_a_snic_where_snic_c_says(ei_curves):
    """At the J_ee of the middle of the SNIC curve: the one-parameter fold LP
    (by EP-C) is SNIC-C's eta_e, and the family of cycles from the Hopf point
    ends there at a SNIC by its own period divergence."""
    ei, _, _, snic = ei_curves
    eta_snic, J = snic.values[len(snic) // 2]
    branches = bf.bifurcation_diagram(
        ei, ei.parameters(J_ee=float(J), eta_e=10.0), "eta_e", (eta_snic - 3, 30), depth=1,
        follow=("H",), cycle_options=ContinuationOptions(step_size=0.05, max_step_size=1.0,
                                                         max_points=1000))
    folds = [p.parameters["eta_e"] for p in branches[0].special_points if p.kind == "LP"]
    assert min(abs(f - eta_snic) for f in folds) < 1e-7
    (end,) = [p for b in branches[1:] for p in b.special_points if p.kind == "SNIC"]
    # the extrapolated end (1/T^2 -> 0) is coarse: measured 7e-4 off, +- 1.8e-3
    assert end.data["uncertainty"] < 5e-3
    assert abs(end.data["estimate"] - eta_snic) <= 2 * end.data["uncertainty"]


def test_hom_c_from_bt_meets_the_shooting_reference(ei_curves):
    """The HOM-C curve started at the upper BT point (asymptotic predictor)
    crosses J_ee = 30 where shooting along the saddle's unstable manifold
    (tests/ei_reference.py, no bifurc code) puts the homoclinic orbit
    (measured 6e-7 apart; the spline through points 0.25 apart in J_ee)."""
    from scipy.interpolate import CubicSpline

    from ei_reference import ei_homoclinic_eta_e

    _, _, homs, _ = ei_curves
    values = homs[1].values
    order = np.argsort(values[:, 1])
    eta_at_30 = float(CubicSpline(values[order, 1], values[order, 0])(30.0))
    assert eta_at_30 == pytest.approx(ei_homoclinic_eta_e(-7.8059, -7.8058, tolerance=1e-8),
                                      abs=1e-5)
    # its neutral saddle: the reference Jacobian's leading eigenvalues sum to zero
    from ei_reference import DEFAULTS, jacobian

    (nss,) = [p for p in homs[1].special_points if p.kind == "NSS"]
    values = {**DEFAULTS, **{k: nss.parameters[k] for k in ("eta_e", "J_ee")}}
    eigenvalues = np.linalg.eigvals(jacobian(values, np.array(nss.data["saddle"])))
    eigenvalues = eigenvalues[np.argsort(-eigenvalues.real)]
    assert abs(eigenvalues[0].real + eigenvalues[1].real) < 1e-9


def test_a_start_too_short_for_the_slow_rates_is_refused():
    """With the circle attracting at rate 2 kappa = 0.1, the last cycle of the
    family (T ~ 100) cannot tell a return along the circle (1/t) from one
    along the strong stable direction (e^(-0.1 t)): T |lambda_2| < 20."""
    spec = {**CIRCLE, "name": "circle_snic_weak",
            "equations": {"x": "0.05*x*(1 - x**2 - y**2) - y*(eta + mu*(1 - x))",
                          "y": "0.05*y*(1 - x**2 - y**2) + x*(eta + mu*(1 - x))"}}
    model = bf.Model.from_spec(spec)
    orbit = find_attractor(model, model.parameters(eta=0.2, mu=1.0), ntst=40, ncol=4).orbit
    family = bf.continue_cycles(model, orbit, free="eta", bounds=(-0.5, 1.0), ntst=40, ncol=4,
                                options=ContinuationOptions(step_size=0.05, max_step_size=0.5,
                                                            max_points=400))
    (snic,) = [p for p in family.special_points if p.kind == "SNIC"]
    assert snic.data["period"] * 0.1 < 20
    with pytest.raises(ParameterError, match="too short"):
        continue_curve(model, snic, ("eta", "mu"), {"eta": (-1, 1), "mu": (0.5, 2.0)})
