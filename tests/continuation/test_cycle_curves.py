"""Two-parameter curves of cycle bifurcations (LPC-C, PD-C) against exact curves."""

import numpy as np

import bifurc as bf
from bifurc.continuation import continue_curve, continue_cycles, continue_equilibria


def test_fold_of_cycles_curve_of_bautin_normal_form():
    """r' = r (mu + beta r^2 - r^4): cycles fold on mu = -beta^2 / 4 (beta > 0)."""
    model = bf.Model.from_spec({
        "name": "bautin_beta", "states": {"x": 0.0, "y": 0.0},
        "parameters": {"mu": -0.5, "beta": 1.0},
        "equations": {"x": "mu*x - y + beta*x*(x**2 + y**2) - x*(x**2 + y**2)**2",
                      "y": "x + mu*y + beta*y*(x**2 + y**2) - y*(x**2 + y**2)**2"}})
    eq = continue_equilibria(model, free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    cycles = continue_cycles(model, eq["H1"], bounds=(-1, 1), ntst=20, ncol=4)
    curve = continue_curve(model, cycles["LPC1"], free=("mu", "beta"),
                           bounds={"mu": (-1.5, 0.0), "beta": (0.2, 2.0)})
    assert curve.kind == "LPC-C"
    mu, beta = curve.values.T
    np.testing.assert_allclose(mu, -beta**2 / 4, atol=1e-10)
    assert beta.min() < 0.21 and beta.max() > 1.99  # traced across the whole window
    radius2 = curve.extra["max"][:, 0] ** 2
    np.testing.assert_allclose(radius2, beta / 2, rtol=1e-3)  # sampled maximum of x


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
    np.testing.assert_allclose(a, -0.5 * np.sqrt(c), atol=1e-10)
    np.testing.assert_allclose(curve.extra["period"], 2 * np.pi, rtol=1e-9)
    bf.save_branches(branches + [curve], tmp_path)
    assert bf.load_branches(tmp_path)[-1].kind == "PD-C"
    fig = bf.plot.two_parameter([curve])
    assert fig.axes[0].get_xlabel() == "c"


def test_torus_curve():
    """Cycles of radius sqrt(c) with a transverse focus of rate a + b c and
    frequency 0.3: Neimark-Sacker on a = -b c, rotation angle 2 pi 0.3."""
    model = bf.Model.from_spec({
        "name": "hopf_ns", "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0},
        "parameters": {"c": -0.5, "a": -0.3, "b": 0.5},
        "equations": {
            "x": "c*x - y - x*(x**2 + y**2)", "y": "x + c*y - y*(x**2 + y**2)",
            "z1": "(a + b*(x**2 + y**2))*z1 - 0.3*z2 - z1*(z1**2 + z2**2)",
            "z2": "0.3*z1 + (a + b*(x**2 + y**2))*z2 - z2*(z1**2 + z2**2)"}})
    branches = bf.bifurcation_diagram(model, None, "c", (-0.5, 1.0), depth=1, follow=("H",),
                                      start=np.zeros(4), ntst=20, ncol=4)
    torus = branches[1]["NS1"]
    assert abs(torus.parameters["c"] - 0.6) < 1e-8
    curve = continue_curve(model, torus, free=("c", "a"), bounds={"c": (0.1, 1.0), "a": (-1.0, 0.0)})
    assert curve.kind == "NS-C"
    c, a = curve.values.T
    np.testing.assert_allclose(a, -0.5 * c, atol=1e-10)
    np.testing.assert_allclose(curve.extra["theta"], 0.6 * np.pi, atol=1e-9)
    assert c.min() < 0.11 and c.max() > 0.99
    # without the lower bound the cycles shrink to zero amplitude at the double-Hopf
    # point c = a = 0: the curve ends there instead of retracing itself
    curve = continue_curve(model, torus, free=("c", "a"), bounds={"c": (-0.5, 1.0),
                                                                   "a": (-1.0, 0.5)})
    shrunk = [end for end in curve.ends if end["status"] == "hopf"]
    assert len(shrunk) == 1 and "HH" in shrunk[0]["message"]
    assert np.abs(curve.values).sum(axis=1).min() < 2e-3
    np.testing.assert_allclose(curve.values[:, 1], -0.5 * curve.values[:, 0], atol=1e-10)


def test_strong_resonances_on_torus_curve():
    """With the transverse rotation rate nu free, the torus curve c = 0.6 has
    rotation angle 2 pi nu: 1:4 and 1:3 resonances at nu = 1/4 and 1/3."""
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
    assert abs(curve["R4_1"].parameters["nu"] - 0.25) < 1e-9
    assert abs(curve["R3_1"].parameters["nu"] - 1 / 3) < 1e-9
    np.testing.assert_allclose(curve.parameter("c"), 0.6, atol=1e-10)
    # the 1:2 resonance (theta = pi) at nu = 1/2, where the folded angle peaks:
    # located and labelled R2, not R1
    curve = continue_curve(model, branches[1]["NS1"], free=("nu", "c"),
                           bounds={"nu": (0.2, 0.6), "c": (0.1, 1.0)})
    assert [p.label for p in curve.special_points] == ["R4_1", "R3_1", "R2_1"]
    assert abs(curve["R2_1"].parameters["nu"] - 0.5) < 1e-9


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
    assert abs(pdns[0].parameters["c"] - 0.5) < 1e-8
    assert abs(pdns[0].parameters["a"] + 0.5 * np.sqrt(0.5)) < 1e-8
