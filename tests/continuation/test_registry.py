"""The registry of curve types: a new type is one module and one registry
line; continue_curve, the plots and `bifurc twopar` find it there. The toy
type here continues, in two parameters (a, b), the equilibria of
x' = a - x with x = 0 (so a = 0, b free: an exact curve), and locates b = 1
on it."""

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation import ContinuationOptions, SpecialPoint, continue_curve
from bifurc.continuation.build import equilibrium_branch, options_record, two_parameter_bounds
from bifurc.continuation.core import ContinuationProblem, trace
from bifurc.continuation.registry import CurveType, curve_type, register, unregister


class ZeroCurveProblem(ContinuationProblem):
    """u = (x, a, b): a - x = 0 and x = 0."""

    size = 2
    parameter_slots = (1, 2)

    def residual(self, u):
        x, a, _ = u
        return np.array([a - x, x])

    def jacobian(self, u):
        return np.array([[-1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])

    def test_functions(self, u, tangent):
        return {"B1": float(u[2] - 1.0)}

    def point_data(self, u):
        return {"eigenvalues": np.array([-1.0 + 0j])}


def continue_zero_curve(model, point, free, bounds, *, options=None, progress=False, **_):
    model = bf.load_model(model)
    indices, bounds = two_parameter_bounds(model, point, free, bounds)
    base = bf.codegen.parameter_vector(model, point.parameters)
    options = options or ContinuationOptions(step_size=0.1, max_step_size=0.5)
    u0 = np.array([point.state[0], *base[indices]])
    curve = trace(ZeroCurveProblem(), u0, {1: bounds[0], 2: bounds[1]}, options,
                  tangent=np.array([0.0, 0.0, 1.0]))
    return equilibrium_branch(model, "ZERO-C", tuple(free), curve, base, lambda u: u[:1],
                              lambda u: u[1:], options_record(options, bounds=bounds))


@pytest.fixture
def zero_type():
    registered = register(CurveType("ZERO-C", 2, ("Z",), continue_zero_curve,
                                    "toy zero curve", "tab:cyan"))
    yield registered
    unregister("ZERO-C")


@pytest.fixture
def line():
    return bf.Model.from_spec({"name": "line_registry", "states": {"x": 0.0},
                               "parameters": {"a": 0.0, "b": 0.0}, "equations": {"x": "a - x"}})


def test_a_new_curve_type_is_found_by_continue_curve_and_the_plots(zero_type, line):
    point = SpecialPoint("Z1", "Z", 0, {"a": 0.0, "b": 0.0}, np.array([0.0]),
                         np.array([-1.0 + 0j]), {}, line.name, "EP-C", ("a",))
    curve = continue_curve(line, point, ("a", "b"), {"a": (-1, 1), "b": (-2, 2)})
    assert curve.kind == "ZERO-C" and curve_type("ZERO-C") is zero_type
    np.testing.assert_allclose(curve.values[:, 0], 0.0, atol=1e-14)
    assert curve.values[:, 1].min() == pytest.approx(-2.0) and curve.values[:, 1].max() == 2.0
    (b1,) = curve.special_points
    assert b1.label == "B1_1" and b1.parameters["b"] == pytest.approx(1.0, abs=1e-14)
    figure = bf.plot.two_parameter([curve])
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert labels == ["toy zero curve"]
    assert figure.axes[0].get_lines()[0].get_color() == "tab:cyan"


def test_unknown_points_and_types_are_named(line):
    point = SpecialPoint("Q1", "Q", 0, {"a": 0.0, "b": 0.0}, np.array([0.0]),
                         np.array([-1.0 + 0j]), {}, line.name, "EP-C", ("a",))
    with pytest.raises(bf.ParameterError, match="two-parameter curves start from a point of kind "):
        continue_curve(line, point, ("a", "b"), {"a": (-1, 1), "b": (-1, 1)})
    with pytest.raises(bf.ParameterError, match="unknown curve type 'Q-C'"):
        curve_type("Q-C")
    with pytest.raises(bf.ParameterError, match="'H-C' is a built-in curve type"):
        unregister("H-C")
