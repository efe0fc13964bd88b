"""Study qif-cusp (--quick): files written, equilibria, folds and cusp against
exact formulas derived here (not taken from the study's module).

The qif model with tau = 1 and I = 0 (docs/models.md):
    dr/dt = delta / pi + 2 r v,   dv/dt = v^2 + eta + J r - pi^2 r^2.
Equilibria: v = -delta / (2 pi r) from the first equation; the second becomes
    eta(r) = pi^2 r^2 - J r - delta^2 / (4 pi^2 r^2),
i.e. the positive roots r of pi^2 r^4 - J r^3 - eta r^2 - delta^2 / (4 pi^2) = 0.
Folds in eta at fixed J: d eta / dr = 2 pi^2 r - J + delta^2 / (2 pi^2 r^3) = 0, so the fold
curve, parametrised by r, is
    J(r) = 2 pi^2 r + delta^2 / (2 pi^2 r^3),   eta(r) = pi^2 r^2 - J(r) r - delta^2 / (4 pi^2 r^2),
and its two branches meet at the cusp, dJ/dr = 2 pi^2 - 3 delta^2 / (2 pi^2 r^4) = 0:
    r_c^4 = 3 delta^2 / (4 pi^4).
With delta = 1, r_c^2 = sqrt(3) / (2 pi^2), so eta_c = -pi^2 r_c^2 - 3 / (4 pi^2 r_c^2)
= -sqrt(3) / 2 - sqrt(3) / 2 = -sqrt(3), and J_c = 2 pi^2 r_c + 1 / (2 pi^2 r_c^3)
= (4 / 3) 2 pi^2 r_c = (4 sqrt(2) / 3) 3^(1/4) pi.
"""

import json
import math

import numpy as np
import pytest

from bifurc.cli import main
from bifurc.continuation import load_branches

PI = math.pi
DELTA = 1.0
R_CUSP = (3 * DELTA**2 / (4 * PI**4)) ** 0.25


def fold_curve(r):
    """(eta, J) of the fold at equilibrium rate r (tau = 1)."""
    r = np.asarray(r, dtype=float)
    J = 2 * PI**2 * r + DELTA**2 / (2 * PI**2 * r**3)
    return PI**2 * r**2 - J * r - DELTA**2 / (4 * PI**2 * r**2), J


def equilibrium_eta(r, J):
    """eta at which r is an equilibrium rate."""
    r = np.asarray(r, dtype=float)
    return PI**2 * r**2 - J * r - DELTA**2 / (4 * PI**2 * r**2)


def equilibrium_rates(eta, J):
    """All equilibrium rates at (eta, J), ascending."""
    roots = np.roots([PI**2, -J, -eta, 0.0, -DELTA**2 / (4 * PI**2)])
    real = roots[np.abs(roots.imag) < 1e-9].real
    return np.sort(real[real > 0])


def folds_at(J):
    """eta of the folds at fixed J: the rates with J(r) = J, i.e. the positive roots of
    2 pi^2 r^4 - J r^3 + delta^2 / (2 pi^2) = 0, put into eta(r)."""
    roots = np.roots([2 * PI**2, -J, 0, 0, DELTA**2 / (2 * PI**2)])
    rates = roots[(np.abs(roots.imag) < 1e-12) & (roots.real > 0)].real
    return np.sort(equilibrium_eta(rates, J))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("qif-cusp")
    assert main(["study", "qif-cusp", "--quick", "--out", str(out)]) == 0
    return out


def test_files_written(study):
    for stem in ("equilibria", "cusp"):
        for suffix in (".png", ".pdf"):
            assert (study / f"{stem}{suffix}").stat().st_size > 1000
    for name in ("branches.json", "branches.npz", "exact.npz", "summary.json"):
        assert (study / name).exists()


def test_exact_cusp_closed_form():
    eta, J = fold_curve(R_CUSP)
    assert eta == pytest.approx(-math.sqrt(3), abs=1e-14)
    assert J == pytest.approx(4 * math.sqrt(2) / 3 * 3**0.25 * PI, abs=1e-14)
    # docs/studies.md quotes eta_c = -1.7320508, J_c = 7.7962170, r_c = 0.2962207 kHz
    assert (round(float(eta), 7), round(float(J), 7), round(R_CUSP, 7)) == (
        -1.7320508, 7.796217, 0.2962207)
    # dJ/dr changes sign there: the fold curve's two branches (r < r_c, r > r_c) meet
    r = R_CUSP * np.array([0.999, 1.0, 1.001])
    _, J_near = fold_curve(r)
    assert J_near[1] < J_near[0] and J_near[1] < J_near[2]


def test_fold_curve_is_the_exact_curve(study):
    fold = load_branches(study)[-1]
    assert fold.kind == "LP-C" and fold.free == ("eta", "J")
    assert fold.parameter("J").min() < 8 and fold.parameter("J").max() == pytest.approx(30.0)
    eta, J = fold_curve(fold.state("r"))
    distance = np.hypot(fold.parameter("eta") - eta, fold.parameter("J") - J)
    # Newton tolerance 1e-10 relative on |u| ~ 30; measured 1.4e-14
    assert distance.max() < 1e-8
    summary = json.loads((study / "summary.json").read_text())
    assert summary["fold_curve_max_deviation"] == pytest.approx(distance.max(), abs=1e-15)
    # the equilibria lie on v = -delta / (2 pi r), as the exact derivation has it
    np.testing.assert_allclose(fold.state("v"), -DELTA / (2 * PI * fold.state("r")), rtol=1e-9)
    # the exact curve the study overlays (exact.npz) is the one derived here
    with np.load(study / "exact.npz") as exact:
        eta, J = fold_curve(exact["fold_rate"])
        np.testing.assert_allclose(exact["fold_eta"], eta, rtol=1e-14)
        np.testing.assert_allclose(exact["fold_J"], J, rtol=1e-14)
        np.testing.assert_allclose(exact["cusp"], [*fold_curve(R_CUSP), R_CUSP], rtol=1e-14)


def test_cusp_is_exact(study):
    eta, J = fold_curve(R_CUSP)
    summary = json.loads((study / "summary.json").read_text())
    assert summary["cusp_exact"] == pytest.approx({"eta": eta, "J": J, "r": R_CUSP}, abs=1e-14)
    cusps = [p for p in load_branches(study)[-1].special_points if p.kind == "CP"]
    assert len(cusps) == 1
    # Newton tolerance 1e-10 relative; measured agreement 1e-15
    assert cusps[0].parameters["eta"] == pytest.approx(eta, abs=1e-8)
    assert cusps[0].parameters["J"] == pytest.approx(J, abs=1e-8)
    assert cusps[0].state[0] == pytest.approx(R_CUSP, abs=1e-8)


def test_one_parameter_diagrams(study):
    branches = load_branches(study)[:-1]
    summary = json.loads((study / "summary.json").read_text())
    assert [b.parameters["J"] for b in branches] == summary["J_values"] == [5, 10, 15, 20]
    _, J_cusp = fold_curve(R_CUSP)
    for branch in branches:
        J = branch.parameters["J"]
        # every point on the exact equilibrium curve (measured: within 7.3e-10 in eta)
        np.testing.assert_allclose(branch.parameter("eta"), equilibrium_eta(branch.state("r"), J),
                                   rtol=0, atol=1e-8)
        expected = folds_at(J)
        found = np.sort([p.parameters["eta"] for p in branch.special_points if p.kind == "LP"])
        assert len(found) == len(expected) == (2 if J > J_cusp else 0)
        # measured agreement 9e-16
        np.testing.assert_allclose(found, expected, rtol=0, atol=1e-9)
    # docs/studies.md quotes the folds at J = 15
    np.testing.assert_allclose(folds_at(15.0), [-5.74353, -3.13613], atol=5e-6)


def test_region_labels_checked_by_simulation(study):
    regions = json.loads((study / "summary.json").read_text())["regions"]
    assert len(regions) == 3
    for region in regions:
        rates = equilibrium_rates(region["eta"], region["J"])
        assert region["n_equilibria"] == len(rates) == (3 if "bistable" in region["label"] else 1)
        np.testing.assert_allclose(region["equilibrium_rates"], rates, rtol=1e-12)
        low, high = region["simulated_final_rates"]
        # the stable equilibria are the lowest and highest rates; 100 ms runs end on them
        # (not fully converged on the 2.45 kHz state: measured 9.6e-7)
        assert low == pytest.approx(rates[0], rel=1e-5)
        assert high == pytest.approx(rates[-1], rel=1e-5)
        if len(rates) == 3:
            assert high > 5 * low
