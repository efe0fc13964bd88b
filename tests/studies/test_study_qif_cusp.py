"""Study qif-cusp (--quick): files written, folds and cusp against the exact formulas."""

import json
import math

import numpy as np
import pytest

from bifurc.cli import main
from bifurc.continuation import load_branches
from bifurc.studies.qif_cusp import exact_cusp, exact_equilibrium_rates, exact_fold_curve

PI = math.pi


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


def test_fold_curve_is_the_exact_curve(study):
    fold = load_branches(study)[-1]
    assert fold.kind == "LP-C" and fold.free == ("eta", "J")
    assert fold.parameter("J").min() < 8 and fold.parameter("J").max() == pytest.approx(30.0)
    eta, J = exact_fold_curve(fold.state("r"))
    distance = np.hypot(fold.parameter("eta") - eta, fold.parameter("J") - J)
    assert distance.max() < 1e-8
    summary = json.loads((study / "summary.json").read_text())
    assert summary["fold_curve_max_deviation"] == pytest.approx(distance.max(), abs=1e-15)
    # the equilibria lie on v = -delta / (2 pi r), as the exact derivation assumes
    np.testing.assert_allclose(fold.state("v"), -1 / (2 * PI * fold.state("r")), rtol=1e-9)


def test_cusp_is_exact(study):
    R = (3 / (4 * PI**4)) ** 0.25  # dJ/dR = 2 pi^2 - 3 / (2 pi^2 R^4) = 0
    J = 2 * PI**2 * R + 1 / (2 * PI**2 * R**3)
    eta = PI**2 * R**2 - J * R - 1 / (4 * PI**2 * R**2)
    assert exact_cusp() == pytest.approx({"eta": eta, "J": J, "r": R}, abs=1e-14)
    cusps = [p for p in load_branches(study)[-1].special_points if p.kind == "CP"]
    assert len(cusps) == 1
    assert abs(cusps[0].parameters["eta"] - eta) < 1e-8 and abs(cusps[0].parameters["J"] - J) < 1e-8
    assert abs(cusps[0].state[0] - R) < 1e-8


def test_folds_of_one_parameter_diagrams(study):
    branches = load_branches(study)[:-1]
    summary = json.loads((study / "summary.json").read_text())
    assert [b.parameters["J"] for b in branches] == summary["J_values"]
    for branch in branches:
        J = branch.parameters["J"]
        # folds at fixed J: roots R of J(R) = J, i.e. 2 pi^2 R^4 - J R^3 + 1 / (2 pi^2) = 0
        roots = np.roots([2 * PI**2, -J, 0, 0, 1 / (2 * PI**2)])
        R = np.sort(roots[(np.abs(roots.imag) < 1e-12) & (roots.real > 0)].real)
        expected = np.sort(PI**2 * R**2 - J * R - 1 / (4 * PI**2 * R**2))
        found = np.sort([p.parameters["eta"] for p in branch.special_points if p.kind == "LP"])
        assert len(found) == len(expected) == (2 if J > exact_cusp()["J"] else 0)
        np.testing.assert_allclose(found, expected, atol=1e-9)


def test_region_labels_checked_by_simulation(study):
    regions = json.loads((study / "summary.json").read_text())["regions"]
    assert len(regions) == 3
    for region in regions:
        rates = exact_equilibrium_rates(region["eta"], region["J"])
        assert region["n_equilibria"] == len(rates) == (3 if "bistable" in region["label"] else 1)
        low, high = region["simulated_final_rates"]
        # the stable equilibria are the lowest and highest rates; simulations end on them
        assert low == pytest.approx(rates[0], rel=1e-5)
        assert high == pytest.approx(rates[-1], rel=1e-5)
        if len(rates) == 3:
            assert high > 5 * low
