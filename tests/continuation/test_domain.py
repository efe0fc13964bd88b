"""Physical domains of states: declared in model files, respected by the
equilibrium search, the branches (which stop where they leave the domain)
and the figures; unphysical states are never reported as results."""

import math
import textwrap

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation import (ContinuationOptions, continue_cycles, continue_equilibria,
                                 find_equilibrium)
from bifurc.continuation.equilibria import newton_equilibrium
from bifurc.codegen import compile_model


def model(name, states, equations, parameters):
    return bf.Model.from_spec({"name": name, "states": states, "parameters": parameters,
                               "equations": equations})


def test_builtin_rates_and_synapses_are_non_negative():
    ei = bf.load_model("ei")
    lower, upper = ei.domain
    expected = {"r_e": 0.0, "s_e": 0.0, "r_i": 0.0, "s_i": 0.0, "v_e": -math.inf,
                "v_i": -math.inf}
    assert dict(zip(ei.state_names, lower)) == expected
    assert np.all(upper == math.inf)
    assert bf.load_model("qif").domain[0].tolist() == [0.0, -math.inf]
    assert bf.load_model("qif_syn").domain[0].tolist() == [0.0, -math.inf, 0.0]
    from bifurc.msf import homogeneous_model
    assert homogeneous_model("ei").domain[0].tolist() == lower.tolist()


def test_domain_in_a_model_file_round_trips(tmp_path):
    path = tmp_path / "rate.toml"
    path.write_text(textwrap.dedent("""
        name = "rate"
        [states]
        r = { initial = 0.5, domain = [0, 1] }
        [parameters]
        a = 0.2
        [equations]
        r = "a - r"
    """))
    rate = bf.load_model(path)
    assert rate.domain[0].tolist() == [0.0] and rate.domain[1].tolist() == [1.0]
    again = bf.Model.from_spec(rate.to_spec())
    assert again.domain[1].tolist() == [1.0] and again.fingerprint == rate.fingerprint
    assert rate.domain_violations([-0.1]) == ["r >= 0 (r = -0.1)"]
    assert rate.domain_violations([[0.2], [1.5]]) == ["r <= 1 (r = 1.5)"]


@pytest.mark.parametrize("entry, message", [
    ({"initial": 0.0, "domain": [1, 0]}, r"domain of state `r` are not an interval"),
    ({"initial": 0.0, "domain": "positive"}, r"domain of state `r` must be \[lower, upper\]"),
    ({"initial": 0.0, "domain": ["a", 1]}, r"domain of state `r` must be numbers"),
    ({"initial": -1.0, "domain": [0, 1]}, r"initial value of state `r` \(-1.0\) lies outside "
                                          r"its domain \[0.0, 1.0\]"),
])
def test_bad_domains_are_named(entry, message):
    with pytest.raises(bf.ModelDefinitionError, match=message):
        model("bad_domain", {"r": entry}, {"r": "-r"}, {})


def test_find_equilibrium_does_not_return_an_unphysical_state():
    """At eta_e = 28.75, eta_i = -22.5 Newton from the default state converges
    to an equilibrium with a negative firing rate; the search goes on (by
    simulation) to the physical one, which a direct simulation confirms."""
    ei = bf.load_model("ei")
    p = ei.parameters(eta_e=28.75, eta_i=-22.5)
    compiled = compile_model(ei)
    x_newton, converged, _ = newton_equilibrium(compiled, p.values, ei.initial_state())
    assert converged and ei.domain_violations(x_newton)  # the trap exists
    x = find_equilibrium(ei, p)
    assert not ei.domain_violations(x)
    run = bf.simulate(ei, p, duration=20000, integrator=bf.DormandPrince(rtol=1e-10, atol=1e-12),
                      sample_interval=20000)  # a weakly damped focus: a long run
    np.testing.assert_allclose(run.states[-1, 0], x, rtol=1e-6, atol=1e-9)
    with pytest.raises(bf.ParameterError, match=r"start state lies outside the model's domain: "
                                                r"r_e >= 0 \(r_e = -1\)"):
        find_equilibrium(ei, p, guess=ei.initial_state(r_e=-1.0))
    assert find_equilibrium(ei, p, guess=ei.initial_state(), allow_outside_domain=True) \
        == pytest.approx(x_newton)


def test_diagram_of_the_bistable_node_stays_physical(tmp_path):
    """`bifurc diagram ei --set J_ee=30` used to draw a whole branch with r_e
    from -5 to -78 Hz; every point it draws is now physical."""
    from bifurc.cli import main
    assert main(["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--set", "J_ee=30",
                 "--out", str(tmp_path), "--quiet"]) == 0
    (branch,) = bf.load_branches(tmp_path)
    assert branch.states[:, 0].min() > 0 and branch.in_domain.all()
    assert {p.kind for p in branch.special_points} >= {"LP", "H"}


def test_branch_stops_where_it_leaves_the_domain():
    """x' = a - x with x >= 0: the branch x = a meets the boundary at a = 0,
    located exactly; with allow_outside_domain it goes on, flagged."""
    line = model("line", {"x": {"initial": 1.0, "domain": [0, math.inf]}}, {"x": "a - x"},
                 {"a": 1.0})
    branch = continue_equilibria(line, free="a", bounds=(-1, 2))
    backward = [e for e in branch.ends if e["direction"] == "backward"][0]
    assert backward["status"] == "domain" and "x >= 0" in backward["message"]
    assert branch.values[:, 0].min() == pytest.approx(0.0, abs=1e-12)
    assert branch.in_domain.all()
    free = continue_equilibria(line, free="a", bounds=(-1, 2), allow_outside_domain=True)
    assert free.values[:, 0].min() == pytest.approx(-1.0)
    np.testing.assert_array_equal(free.in_domain, free.states[:, 0] >= -1e-12)
    assert any("outside the model's physical domain" in w for w in free.warnings)
    with pytest.raises(bf.ParameterError, match="start state lies outside the model's domain"):
        continue_equilibria(line, line.parameters(a=-0.5), free="a", bounds=(-1, 2),
                            start=[-0.5])
    outside = int(np.argmin(free.values[:, 0]))
    point = bf.SpecialPoint("P1", "P", outside, {"a": float(free.values[outside, 0])},
                            free.states[outside], free.eigenvalues[outside], {}, "line",
                            "EP-C", ("a",))
    with pytest.raises(bf.ParameterError, match=r"start equilibrium lies outside the model's "
                                                r"domain: x >= 0"):
        continue_equilibria(line, free="a", bounds=(-1, 2), start=point)


def test_cycles_stop_at_the_first_orbit_that_leaves_the_domain():
    """Cycles of x^2 + y^2 = mu (Hopf normal form) with x >= -0.5: the orbit
    leaves the domain once sqrt(mu) > 0.5."""
    hopf = model("hopf_domain", {"x": {"initial": 0.0, "domain": [-0.5, math.inf]},
                                 "y": 0.0},
                 {"x": "mu*x - y - x*(x**2 + y**2)", "y": "x + mu*y - y*(x**2 + y**2)"},
                 {"mu": -0.5})
    eq = continue_equilibria(hopf, free="mu", bounds=(-1, 1), start=[0.0, 0.0])
    cycles = continue_cycles(hopf, eq["H1"], bounds=(-1, 1), ntst=20,
                             options=ContinuationOptions(step_size=0.05, max_step_size=0.1))
    assert cycles.ends[-1]["status"] == "domain"
    mu = cycles.values[:, 0]
    assert mu[-2] <= 0.25 + 1e-9 < mu[-1]
    assert cycles.in_domain[:-1].all() and not cycles.in_domain[-1]
    figure = bf.plot.diagram([eq, cycles], "x", hopf)
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "outside the domain" in labels


def test_cli_stops_at_the_domain_unless_asked(tmp_path, capsys):
    from bifurc.cli import main
    path = tmp_path / "line.toml"
    path.write_text('name = "line_cli"\n[states]\nx = { initial = 1.0, domain = [0, inf] }\n'
                    '[parameters]\na = 1.0\n[equations]\nx = "a - x"\n')
    assert main(["diagram", str(path), "--free", "a", "--range", "-1", "2",
                 "--out", str(tmp_path / "stop"), "--quiet"]) == 0
    (stopped,) = bf.load_branches(tmp_path / "stop")
    assert stopped.values[:, 0].min() == pytest.approx(0.0, abs=1e-12)
    assert "left the physical domain (x >= 0)" in capsys.readouterr().out
    assert main(["diagram", str(path), "--free", "a", "--range", "-1", "2",
                 "--allow-outside-domain", "--out", str(tmp_path / "go"), "--quiet"]) == 0
    (through,) = bf.load_branches(tmp_path / "go")
    assert through.values[:, 0].min() == pytest.approx(-1.0)
    np.testing.assert_array_equal(through.in_domain, through.states[:, 0] >= -1e-12)
    assert "outside the model's physical domain" in capsys.readouterr().out
