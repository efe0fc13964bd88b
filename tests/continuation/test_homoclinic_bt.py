"""HOM-C from a Bogdanov-Takens point, against the BT asymptotics.

References, each independent of the code under test:
- the normal form x' = y, y' = b1 + b2 y + a x^2 + b x y has its homoclinic
  curve at b1 = -(49 a / (25 b^2)) b2^2 + O(b2^3) (Melnikov: the loop
  2 - 6 sech^2 of v' = u^2 - 4 persists for tau = 10/7, the module doc of
  bifurc/continuation/bt_homoclinic.py; Kuznetsov's -(6/25) b2^2 in his form);
- X' = Y, Y' = b1 + ... + X^2 - X Y + c Z, Z' = -Z + X^2 + ... has the centre
  manifold Z = X^2 - 2 X Y + 2 Y^2 + ..., so on it Y' = (1 + c) X^2 -
  (1 + 2 c) X Y + 2 c Y^2 and the BT coefficients are a = b20 = 1 + c,
  b = 2 a20 + b11 = -(1 + 2 c) (Kuznetsov, Elements, Sec. 8.4), by hand;
- a predictor correct to leading order leaves O(eps^4) in the parameters and
  the saddle (halving eps divides the correction by 16; a wrong tangent or
  centre-manifold shift would leave O(eps^2), a factor 4), and the saddle's
  unstable eigenvalue is 2 eps (1 + O(eps)).
"""

import numpy as np
import pytest

import bifurc as bf
from bifurc.codegen import compile_model, parameter_vector
from bifurc.continuation import ContinuationOptions, continue_curve
from bifurc.continuation.core import correct
from bifurc.continuation.homoclinic import HomoclinicProblem, OpenMesh, continue_homoclinic
from bifurc.continuation.bt_homoclinic import bogdanov_takens_homoclinic
from bifurc.errors import ParameterError

A, B = 1.0, -1.0
NORMAL_FORM = {"name": "bt_normal_form", "states": {"x": -1.0, "y": 0.0},
               "parameters": {"b1": -1.0, "b2": 0.0},
               "equations": {"x": "y", "y": f"b1 + b2*y + {A}*x**2 + {B}*x*y"}}
C = 0.5
THREE_D = {"name": "bt_three_d", "states": {"x": -1.0, "y": 0.0, "z": 1.0},
           "parameters": {"b1": -1.0, "b2": 0.0},
           "equations": {"x": "y + 0.2*b2*x",
                         "y": f"b1 + b2*(y + 0.7*x) + 0.3*b1*x + x**2 - x*y + {C}*z",
                         "z": "-z + x**2 + 0.5*b2"}}
BOUNDS = {"b1": (-2.0, 2.0), "b2": (-1.0, 1.0)}


def bt_point(model):
    eq = bf.continue_equilibria(model, model.parameters(b1=-1.0, b2=0.3), free="b1",
                                bounds=(-2.0, 1.0),
                                start=np.array([-1.0, 0.0, 1.15])[:model.n_states])
    (fold,) = [p for p in eq.special_points if p.kind == "LP"]
    (bt,) = [p for p in continue_curve(model, fold, ("b1", "b2"), BOUNDS).special_points
             if p.kind == "BT"]
    return bt


@pytest.fixture(scope="module")
def three_d():
    model = bf.Model.from_spec(THREE_D)
    return model, bt_point(model)


def test_normal_form_coefficients_by_hand(three_d):
    _, bt = three_d
    a, b = bt.data["a"], bt.data["b"]
    sign = np.sign(a)  # q0 -> -q0 flips both
    assert sign * a == pytest.approx(1 + C, abs=1e-9)
    assert sign * b == pytest.approx(-(1 + 2 * C), abs=1e-9)


def test_predictor_is_right_to_leading_order(three_d):
    model, bt = three_d
    compiled = compile_model(model)
    base = parameter_vector(model, bt.parameters)
    corrections, eigenvalue_ratio = [], []
    for epsilon in (0.04, 0.02, 0.01):
        predicted = bogdanov_takens_homoclinic(compiled, bt.state, base, [0, 1], epsilon)
        mesh = OpenMesh(3, 40, 4)
        mesh = OpenMesh(3, 40, 4, mesh.equidistributed_mesh(predicted.orbit(mesh.tau).ravel()))
        x = predicted.orbit(mesh.tau).ravel()
        p = base.copy()
        p[[0, 1]] = predicted.parameters
        problem = HomoclinicProblem(compiled, p, [0, 1], mesh, predicted.period, x,
                                    predicted.saddle)
        u0 = np.concatenate([x, predicted.saddle, predicted.parameters])
        across = np.zeros(len(u0))
        across[list(problem.parameter_slots)] = predicted.direction
        problem.reuse_factorization = False
        u, _ = correct(problem, u0, across, ContinuationOptions(max_newton_iterations=30))
        corrections.append((np.linalg.norm(u[-2:] - predicted.parameters),
                            np.linalg.norm(u[problem.saddle_slots] - predicted.saddle)))
        eigenvalue_ratio.append(problem.saddle_eigenvalues(u).real.max() / (2 * epsilon))
    corrections = np.array(corrections)
    ratios = corrections[:-1] / corrections[1:]
    assert np.all((ratios > 14) & (ratios < 18)), ratios   # O(eps^4): 16
    deviation = np.abs(np.array(eigenvalue_ratio) - 1)
    assert deviation[-1] < 0.02 and np.all(deviation[1:] / deviation[:-1] < 0.6)  # O(eps)


def test_hom_c_from_bt_follows_the_asymptotic_curve():
    model = bf.Model.from_spec(NORMAL_FORM)
    bt = bt_point(model)
    curve = continue_curve(model, bt, ("b1", "b2"), BOUNDS,
                           options=ContinuationOptions(step_size=0.002, max_step_size=0.05,
                                                       max_points=60))
    assert curve.kind == "HOM-C"
    b1, b2 = curve.values.T
    near = (np.abs(b2) > 3e-3) & (np.abs(b2) < 3e-2)
    assert near.sum() >= 10
    assert np.all(np.sign(b2[near]) == np.sign(B / A))  # the side the orbit exists on
    # b1 / b2^2 = c2 + c3 b2 + O(b2^2)
    c3, c2 = np.polyfit(b2[near], b1[near] / b2[near] ** 2, 1)
    assert c2 == pytest.approx(-49 * A / (25 * B**2), rel=2e-4)
    # towards the BT point T gets too short for the saddle's rates: the curve
    # ends there instead of reporting orbits that are not homoclinic
    assert "truncation" in {end["status"] for end in curve.ends}
    extent = [np.linalg.norm(orbit - saddle, axis=1).max()
              for orbit, saddle in zip(curve.extra["profile"], curve.states)]
    assert np.all(curve.extra["distance"] / extent <= 0.05)  # ends near the saddle


def test_degenerate_bt_point_is_refused():
    spec = {**NORMAL_FORM, "name": "bt_degenerate",
            "equations": {"x": "y", "y": "b1 + b2*y + x**2 + x**3*y"}}  # b = 0
    model = bf.Model.from_spec(spec)
    bt = bt_point(model)
    with pytest.raises(ParameterError, match="degenerate"):
        continue_homoclinic(model, bt, ("b1", "b2"), BOUNDS)
