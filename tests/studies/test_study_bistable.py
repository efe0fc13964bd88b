"""Study bistable (--quick): the switch against the continued equilibria, the
fold curves, and the simulated regime map against continuation."""

import json

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation import load_branches
from bifurc.studies import run_study


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("bistable")
    files = run_study("bistable", out, quick=True)
    assert all(path.exists() for path in files)
    return out


def stable_equilibria(model, branch, eta_e):
    """Stable equilibria of an EP-C branch at eta_e: Newton from the bracketing
    branch points, stability from the eigenvalues of the Jacobian there."""
    compiled = bf.compile_model(model)
    parameters = model.parameters(**{**branch.parameters, "eta_e": eta_e})
    x = branch.values[:, 0]
    found = []
    for i in np.flatnonzero((x[:-1] - eta_e) * (x[1:] - eta_e) <= 0):
        state = bf.find_equilibrium(model, parameters, guess=branch.states[i])
        if np.all(np.linalg.eigvals(compiled.jacobian(state, parameters.values)).real < 0) and \
                not any(np.allclose(state, s, rtol=1e-6) for s in found):
            found.append(state)
    return sorted(found, key=lambda s: s[0])


def test_files_written(study):
    for stem in ("diagram", "folds", "switch"):
        for suffix in (".png", ".pdf"):
            assert (study / f"{stem}{suffix}").stat().st_size > 1000
    assert [b.kind for b in load_branches(study)] == ["EP-C", "LP-C", "H-C"]


def test_switch_on_and_off_between_the_stable_equilibria(study):
    model = bf.load_model("ei")
    summary = json.loads((study / "summary.json").read_text())
    working = summary["working_point"]
    equilibria = load_branches(study)[0]
    assert equilibria.parameters["J_ee"] == working["J_ee"]
    low, high = stable_equilibria(model, equilibria, working["eta_e"])  # exactly two
    assert high[0] > 10 * low[0]
    run = bf.Trajectory.load(study / "switch.npz")
    assert run.parameters["eta_e"] == working["eta_e"] and run.parameters["J_ee"] == working["J_ee"]
    (on, off) = summary["pulses"]
    assert on["amplitude"] > 0 > off["amplitude"] and on["stop_ms"] < off["start_ms"]
    states = run.states[:, 0, :]

    def at(t):
        return states[np.searchsorted(run.time, t)]

    np.testing.assert_allclose(at(on["start_ms"] - 1), low, rtol=1e-6)     # at rest, low
    # (a weakly damped focus: 0.1 % left of the transient after 380 ms)
    np.testing.assert_allclose(at(off["start_ms"] - 1), high, rtol=2e-3)   # persistent, high
    np.testing.assert_allclose(at(run.time[-1]), low, rtol=1e-4)           # back to low
    assert summary["simulated_r_e_hz"]["after_on"] == pytest.approx(1000 * high[0], rel=1e-3)


def test_fold_curve_is_a_curve_of_zero_eigenvalues(study):
    model = bf.load_model("ei")
    compiled = bf.compile_model(model)
    equilibria, fold, _ = load_branches(study)
    cusp = [p for p in fold.special_points if p.kind == "CP"]
    assert len(cusp) == 1 and 10 < cusp[0].parameters["J_ee"] < 20
    for k in range(0, len(fold), max(1, len(fold) // 15)):
        parameters = model.parameters(**{**fold.parameters, "eta_e": fold.values[k, 0],
                                         "J_ee": fold.values[k, 1]})
        assert np.max(np.abs(compiled.vector_field(fold.states[k], parameters.values))) < 1e-9
        eigenvalues = np.linalg.eigvals(compiled.jacobian(fold.states[k], parameters.values))
        assert np.min(np.abs(eigenvalues)) < 1e-7
    # the folds of the one-parameter diagram lie on the fold curve
    J = equilibria.parameters["J_ee"]
    for point in (p for p in equilibria.special_points if p.kind == "LP"):
        distance = np.hypot(fold.values[:, 0] - point.parameters["eta_e"], fold.values[:, 1] - J)
        assert distance.min() < 0.3


def test_regime_map_agrees_with_continuation(study):
    model = bf.load_model("ei")
    grid = np.load(study / "regimes.npz")
    eta_grid, J_grid, codes = grid["eta_e"], grid["J_ee"], grid["classification"]
    assert codes.shape == (len(J_grid), len(eta_grid))
    checked = 0
    for j, J in enumerate(J_grid):
        # wide bounds, so that both folds are inside and the branch reaches every state
        branch = bf.continue_equilibria(model, model.parameters(J_ee=J, eta_e=-40.0),
                                        free="eta_e", bounds=(-40.0, 20.0))
        specials = np.array([p.parameters["eta_e"] for p in branch.special_points])
        for i, eta in enumerate(eta_grid):
            if specials.size and np.min(np.abs(specials - eta)) < 1.0:
                continue  # slow passages near bifurcations need longer runs
            n_stable = len(stable_equilibria(model, branch, eta))
            assert (codes[j, i] == 1) == (n_stable == 2), (J, eta, codes[j, i], n_stable)
            if codes[j, i] == 0:
                assert n_stable == 1
            checked += 1
    assert checked > 0.6 * codes.size and (codes == 1).sum() >= 5
