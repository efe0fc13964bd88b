"""Automatic recursive diagrams: equilibria -> cycles (at H) -> doubled cycles (at PD)."""

import math

import numpy as np
import pytest
from ei_reference import (
    DEFAULTS,
    curve_grid,
    equilibrium_curve,
    ei_unstable_manifold_falls_low,
)
from scipy.optimize import brentq

import bifurc as bf
from bifurc.cli import main


@pytest.fixture(scope="module")
def hopf_then_doubling():
    """A Hopf point at c = 0 (cycles of radius sqrt(c), period 2 pi) whose
    cycles carry a Mobius-twisted transverse plane: multipliers
    -exp((a +- b sqrt(c)) 2 pi), so a PD at c = (a / b)^2 = 0.64."""
    return bf.Model.from_spec({
        "name": "hopf_pd", "states": {"x": 0.0, "y": 0.0, "z1": 0.0, "z2": 0.0},
        "parameters": {"c": -0.5, "a": -0.4, "b": 0.5},
        "equations": {
            "x": "c*x - y - x*(x**2 + y**2)", "y": "x + c*y - y*(x**2 + y**2)",
            "z1": "-0.5*z2 + a*z1 + b*(x*z1 + y*z2) - z1*(z1**2 + z2**2)",
            "z2": "0.5*z1 + a*z2 + b*(y*z1 - x*z2) - z2*(z1**2 + z2**2)"}})


def test_recursive_diagram_finds_cycles_and_doubled_cycles(hopf_then_doubling):
    branches = bf.bifurcation_diagram(hopf_then_doubling, None, "c", (-0.5, 1.0), depth=3,
                                      start=np.zeros(4), ntst=20, ncol=4)
    assert [b.kind for b in branches] == ["EP-C", "LC-C", "LC-C"]
    steady, cycles, doubled = branches
    # measured: H1 0.0; PD1 and the doubled branch's start 4.2e-14; the periods 3.7e-12
    # (collocation with ntst 20, ncol 4 of exact circles)
    assert abs(steady["H1"].parameters["c"]) < 1e-14
    assert abs(cycles["PD1"].parameters["c"] - 0.64) < 1e-12
    np.testing.assert_allclose(cycles.extra["period"], 2 * math.pi, rtol=1e-10)
    np.testing.assert_allclose(doubled.extra["period"], 4 * math.pi, rtol=1e-10)
    assert doubled.parameter("c").min() == pytest.approx(0.64, abs=1e-12)


def test_cli_auto_diagram(tmp_path, hopf_then_doubling):
    path = tmp_path / "model.toml"
    path.write_text('''name = "hopf_pd"
[states]
x = 0.0
y = 0.0
z1 = 0.0
z2 = 0.0
[parameters]
c = -0.5
a = -0.4
b = 0.5
[equations]
x = "c*x - y - x*(x**2 + y**2)"
y = "x + c*y - y*(x**2 + y**2)"
z1 = "-0.5*z2 + a*z1 + b*(x*z1 + y*z2) - z1*(z1**2 + z2**2)"
z2 = "0.5*z1 + a*z2 + b*(y*z1 - x*z2) - z2*(z1**2 + z2**2)"
''')
    assert main(["diagram", str(path), "--free", "c", "--range", "-0.5", "1", "--auto", "--ntst",
                 "20", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    branches = bf.load_branches(tmp_path / "out")
    assert [b.kind for b in branches] == ["EP-C", "LC-C", "LC-C"]
    assert abs(branches[1]["PD1"].parameters["c"] - 0.64) < 1e-12  # as above, through the files


def test_auto_diagram_of_the_bistable_ping_node():
    """`bifurc diagram ei --free eta_e --range -10 30 --auto --set J_ee=30
    --set eta_e=-10` used to report 188 NS and 46 PD points (noise of lost
    multipliers near a homoclinic orbit), 46 failed one-point branches, and
    take minutes. Now: the equilibria, the unstable cycles of the subcritical
    H1, which end on a homoclinic orbit whose estimated parameter agrees with
    shooting, and no cycle bifurcation that the multipliers cannot vouch for."""
    ei = bf.load_model("ei")
    branches = bf.bifurcation_diagram(ei, ei.parameters(J_ee=30, eta_e=-10), "eta_e", (-10, 30),
                                      depth=3, follow=("BP", "H", "PD"))
    assert [b.kind for b in branches] == ["EP-C", "LC-C"]
    # the folds against the reference: zeros of d eta_e / d r_i on its equilibrium
    # curve (brentq); measured 8.9e-16
    r_0, _, eta_of, slope, _ = equilibrium_curve({**DEFAULTS, "J_ee": 30.0})
    u = curve_grid(r_0)
    s = slope(np.exp(u))
    folds = sorted(float(eta_of(np.exp(brentq(lambda w: slope(np.exp(w)), u[k], u[k + 1],
                                                    xtol=1e-15))))
                   for k in np.flatnonzero(np.sign(s[:-1]) != np.sign(s[1:])))
    found = sorted(p.parameters["eta_e"] for p in branches[0].special_points if p.kind == "LP")
    np.testing.assert_allclose(found, folds, rtol=0, atol=2e-14)
    cycles = branches[1]
    # no LPC, PD or NS at all (the multipliers' trivial error grows from 1e-15 to
    # 2e-6 towards the homoclinic end, where the old noise came from)
    assert [p.kind for p in cycles.special_points] == ["HOM"], cycles.summary()
    assert cycles.ends[-1]["status"] == "homoclinic"
    hom = cycles.special_points[-1]
    assert hom.kind == "HOM" and hom.data["equilibrium_kind"] == "saddle"
    estimate, uncertainty = hom.data["estimate"], hom.data["uncertainty"]
    # bracket the shooting reference as tightly as the claim needs
    low, high = estimate - uncertainty, estimate + uncertainty
    assert ei_unstable_manifold_falls_low(low) and not ei_unstable_manifold_falls_low(high)
    assert uncertainty < 0.05


def test_a_branch_that_cannot_start_is_reported_once_not_drawn():
    """At a degenerate Hopf point (l1 = 0: r' = r (mu - r^4)) no cycle family can
    be started from the first-order approximation: the diagram keeps the
    equilibria and says why, once, on their branch."""
    degenerate = bf.Model.from_spec({
        "name": "bautin0_diagram", "states": {"x": 0.0, "y": 0.0}, "parameters": {"mu": -0.5},
        "equations": {"x": "mu*x - y - x*(x**2 + y**2)**2",
                      "y": "x + mu*y - y*(x**2 + y**2)**2"}})
    branches = bf.bifurcation_diagram(degenerate, None, "mu", (-1, 1), depth=2, follow=("H",),
                                      start=np.zeros(2), ntst=20)
    assert [b.kind for b in branches] == ["EP-C"]
    (warning,) = branches[0].warnings
    assert warning.startswith("no branch started from H1: ") and "degenerate" in warning
