"""Automatic recursive diagrams: equilibria -> cycles (at H) -> doubled cycles (at PD)."""

import math

import numpy as np
import pytest

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
    equilibria, cycles, doubled = branches
    assert abs(equilibria["H1"].parameters["c"]) < 1e-10
    assert abs(cycles["PD1"].parameters["c"] - 0.64) < 1e-7
    np.testing.assert_allclose(doubled.extra["period"], 4 * math.pi, rtol=1e-8)
    assert doubled.parameter("c").min() == pytest.approx(0.64, abs=1e-7)


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
