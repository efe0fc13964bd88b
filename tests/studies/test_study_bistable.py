"""Study bistable (--quick): the switch, the folds, the cusp and the simulated
regime map, each against references computed here from the equations of
docs/models.md with numpy and scipy only (never with bifurc's compiled model):
the equilibria from an explicit reduction, folds and the cusp from the
reduced equilibrium curve, stability from a Jacobian derived by hand, and the
switch by direct simulation with solve_ivp."""

import json

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import bifurc as bf
from bifurc.continuation import load_branches
from bifurc.studies import run_study

from ei_reference import (DEFAULTS, curve_grid, equilibria, equilibrium_curve, field, jacobian,
                          min_slope)


def folds(p):
    """eta_e of every fold at p (eta_e itself ignored): zeros of d eta_e / d r_i."""
    r_0, _, eta_e, slope, _ = equilibrium_curve(p)
    u = curve_grid(r_0)
    s = slope(np.exp(u))
    return sorted(float(eta_e(np.exp(brentq(lambda w: slope(np.exp(w)), u[k], u[k + 1],
                                            xtol=1e-15))))
                  for k in np.flatnonzero(np.sign(s[:-1]) != np.sign(s[1:])))


def pair_sums(p, x):
    """prod_{i<j} (lambda_i + lambda_j): real, zero where a pair sums to zero (a Hopf point,
    or a neutral saddle), continuous along a curve (the determinant of the bialternate
    product 2 A (.) I)."""
    lam = np.linalg.eigvals(jacobian(p, x))
    return float(np.prod([lam[i] + lam[j] for i in range(6) for j in range(i + 1, 6)]).real)


def hopf_points(p, n=4001):
    """eta_e of every Hopf point at p: zeros of ``pair_sums`` along the equilibrium curve
    where the pair on the imaginary axis is complex (neutral saddles dropped)."""
    r_0, _, eta_e, _, state = equilibrium_curve(p)
    u = np.log(r_0) + np.log1p(np.geomspace(1e-10, 1e4, n))
    g = np.array([pair_sums(p, state(np.exp(w))) for w in u])
    found = []
    for k in np.flatnonzero(np.sign(g[:-1]) != np.sign(g[1:])):
        w = brentq(lambda w: pair_sums(p, state(np.exp(w))), u[k], u[k + 1], xtol=1e-15)
        lam = np.linalg.eigvals(jacobian(p, state(np.exp(w))))
        if abs(lam[np.argmin(np.abs(lam.real))].imag) > 1e-6:
            found.append(float(eta_e(np.exp(w))))
    return sorted(found)


def stable_equilibria(p):
    """The equilibria at p whose eigenvalues all have negative real parts, lowest r_e first."""
    return sorted((x for x in equilibria(p) if np.linalg.eigvals(jacobian(p, x)).real.max() < 0),
                  key=lambda x: x[0])


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("bistable")
    files = run_study("bistable", out, quick=True)
    assert all(path.exists() for path in files)
    return out



def test_files_written(study):
    for stem in ("diagram", "folds", "switch"):
        for suffix in (".png", ".pdf"):
            assert (study / f"{stem}{suffix}").stat().st_size > 1000
    assert [b.kind for b in load_branches(study)] == ["EP-C", "LP-C", "H-C", "LC-C", "HOM-C",
                                                      "HOM-C", "SNIC-C", "HOM-C"]


def test_snic_curve_is_a_fold_and_meets_the_homoclinic_curve_from_bt(study):
    """The SNIC curve's saddle-nodes are equilibria with a singular Jacobian by
    the hand-derived reference; its end near the cusp is where the homoclinic
    curve started at BT1 ends (two different boundary-value problems)."""
    branches = load_branches(study)
    snic = branches[6]
    for k in range(0, len(snic), 10):
        p = {**DEFAULTS, **dict(zip(snic.free, snic.values[k]))}
        x = snic.states[k]
        assert np.abs(field(p)(0.0, x)).max() < 1e-9
        singular = np.linalg.svd(jacobian(p, x), compute_uv=False)
        assert singular[-1] < 1e-8 * singular[0]
    summary = json.loads((study / "summary.json").read_text())
    meeting = summary["nch_where_the_snic_curve_meets_the_bt_homoclinic_curve"]
    for name in snic.free:
        assert meeting["snic_c_end"][name] == pytest.approx(meeting["hom_c_from_bt_end"][name],
                                                            abs=2e-5)
    assert {end["status"] for end in snic.ends} == {"NCH"}


def test_switch_on_and_off_between_the_stable_equilibria(study):
    summary = json.loads((study / "summary.json").read_text())
    working = summary["working_point"]
    assert load_branches(study)[0].parameters["J_ee"] == working["J_ee"]
    p = {**DEFAULTS, "J_ee": working["J_ee"], "eta_e": working["eta_e"]}
    low, high = stable_equilibria(p)  # exactly two (three equilibria, the middle a saddle)
    assert len(equilibria(p)) == 3 and high[0] > 10 * low[0]
    # the study's equilibria (Newton) against the reduction (brentq to round-off): measured 6e-14
    np.testing.assert_allclose(summary["stable_equilibria"]["low"], low, rtol=1e-10)
    np.testing.assert_allclose(summary["stable_equilibria"]["high"], high, rtol=1e-10)
    run = bf.Trajectory.load(study / "switch.npz")
    assert run.parameters["eta_e"] == working["eta_e"] and run.parameters["J_ee"] == working["J_ee"]
    (on, off) = summary["pulses"]
    assert on["parameter"] == off["parameter"] == "I_e"
    assert on["amplitude"] > 0 > off["amplitude"] and on["stop_ms"] < off["start_ms"]
    states = run.states[:, 0, :]

    # the whole run against solve_ivp (DOP853, rtol 1e-10) of the same protocol; I_e enters
    # the v_e equation exactly as eta_e does. RK4 at dt = 0.05: measured 9e-5 of each state's
    # range, largest just after the on pulse, where the rates spike
    pieces, x = [], low
    edges = [0.0, on["start_ms"], on["stop_ms"], off["start_ms"], off["stop_ms"], run.time[-1]]
    drive = [0.0, on["amplitude"], 0.0, off["amplitude"], 0.0]
    for k, amplitude in enumerate(drive):
        a, b = edges[k], edges[k + 1]
        solution = solve_ivp(field({**p, "eta_e": p["eta_e"] + amplitude}), (a, b), x,
                             method="DOP853", rtol=1e-10, atol=1e-12, dense_output=True)
        t = run.time[(run.time >= a) & ((run.time < b) if k < len(drive) - 1 else True)]
        pieces.append(solution.sol(t).T)
        x = solution.y[:, -1]
    reference = np.concatenate(pieces)
    assert reference.shape == states.shape
    assert np.max(np.abs(states - reference) / np.abs(reference).max(axis=0)) < 1e-3

    def at(t):
        return states[np.searchsorted(run.time, t)]

    # before the pulse the run sits on its start, the low equilibrium (an equilibrium is a
    # fixed point of RK4 too): measured 7e-15
    np.testing.assert_allclose(at(on["start_ms"] - 1), low, rtol=1e-12)
    # persistent and high; the high state is a weakly damped focus (Re lambda = -0.0265 /ms):
    # 380 ms after the pulse a transient of 1.0e-3 remains (in the reference too)
    np.testing.assert_allclose(at(off["start_ms"] - 1), high, rtol=2e-3)
    assert summary["simulated_r_e_hz"]["after_on"] == pytest.approx(1000 * high[0], rel=2e-3)
    # back to low: 380 ms at Re lambda = -0.155 /ms leaves round-off (measured 1.7e-14)
    np.testing.assert_allclose(at(run.time[-1]), low, rtol=1e-10)


def test_folds_hopf_and_cusp(study):
    equilibria_branch, fold, *_ = load_branches(study)
    J = equilibria_branch.parameters["J_ee"]
    p = {**DEFAULTS, "J_ee": J}
    # the one-parameter diagram: its LP and H points are the independent ones (located by
    # Newton to 1e-10 relative; measured agreement 4e-15)
    found = {kind: sorted(q.parameters["eta_e"] for q in equilibria_branch.special_points
                          if q.kind == kind) for kind in ("LP", "H")}
    assert len(found["LP"]) == len(folds(p)) == 2
    np.testing.assert_allclose(found["LP"], folds(p), rtol=0, atol=1e-8)
    assert len(found["H"]) == len(hopf_points(p)) == 1
    np.testing.assert_allclose(found["H"], hopf_points(p), rtol=0, atol=1e-8)
    # every point of the fold curve is a fold at its own J_ee (measured: within 7e-15), but
    # the cusp, where the two folds are one double root (checked below)
    cusp = [q for q in fold.special_points if q.kind == "CP"]
    assert len(cusp) == 1
    for k in range(len(fold)):
        if k == cusp[0].index:
            continue
        eta_e, J_ee = fold.values[k]
        assert min(abs(eta_e - e) for e in folds({**p, "J_ee": J_ee})) < 1e-8, (eta_e, J_ee)
        q = {**p, "eta_e": eta_e, "J_ee": J_ee}
        assert np.max(np.abs(field(q)(0, fold.states[k]))) < 1e-10
        # singular, by the smallest singular value (at BT1 the zero eigenvalue is double, a
        # Jordan block, whose computed eigenvalues split to sqrt(round-off) = 2e-9)
        assert np.linalg.svd(jacobian(q, fold.states[k]), compute_uv=False)[-1] < 1e-10
    # the cusp: the J_ee where the two folds merge, i.e. where the minimum of d eta_e / d r_i
    # along the equilibrium curve reaches zero (folds exist iff it is negative)
    J_cusp = brentq(lambda q: min_slope({**p, "J_ee": q})[0], 10.0, 30.0, xtol=1e-13,
                    rtol=1e-15)
    _, eta_cusp = min_slope({**p, "J_ee": J_cusp})
    assert len(folds({**p, "J_ee": J_cusp - 0.01})) == 0
    assert len(folds({**p, "J_ee": J_cusp + 0.01})) == 2
    # measured agreement 6e-16
    assert cusp[0].parameters["J_ee"] == pytest.approx(J_cusp, abs=1e-8)
    assert cusp[0].parameters["eta_e"] == pytest.approx(eta_cusp, abs=1e-8)
    # studies.md quotes CP (-1.424, 13.379)
    assert (round(eta_cusp, 3), round(J_cusp, 3)) == (-1.424, 13.379)


def test_regime_map_agrees_with_the_equilibria(study):
    grid = np.load(study / "regimes.npz")
    eta_grid, J_grid, codes = grid["eta_e"], grid["J_ee"], grid["classification"]
    assert codes.shape == (len(J_grid), len(eta_grid))
    checked = 0
    for j, J in enumerate(J_grid):
        p = {**DEFAULTS, "J_ee": float(J)}
        bifurcations = np.array(folds(p) + hopf_points(p))
        for i, eta in enumerate(eta_grid):
            if bifurcations.size and np.min(np.abs(bifurcations - eta)) < 1.0:
                continue  # slow passages near bifurcations need longer runs
            n_stable = len(stable_equilibria({**p, "eta_e": float(eta)}))
            assert (codes[j, i] == 1) == (n_stable == 2), (J, eta, codes[j, i], n_stable)
            if codes[j, i] == 0:
                assert n_stable == 1
            checked += 1
    assert checked > 0.6 * codes.size and (codes == 1).sum() >= 5


def test_the_homoclinic_curve_against_shooting(study):
    """The H1 cycles end on a homoclinic orbit; HOM-C's eta_e at J_ee = 30 equals
    the value where the saddle's unstable manifold switches between the low and
    the high state (tests/ei_reference.py, bisected to 1e-8), and the cycle
    family's own estimate brackets it within its stated uncertainty."""
    from ei_reference import ei_homoclinic_eta_e

    summary = json.loads((study / "summary.json").read_text())["homoclinic_at_working_J_ee"]
    cycles, homoclinic = load_branches(study)[3:5]
    assert cycles.ends[-1]["status"] == "homoclinic"
    assert homoclinic.values[:, 1].min() < 30 < homoclinic.values[:, 1].max()
    reference = ei_homoclinic_eta_e(-7.8059, -7.8058, tolerance=1e-8)
    assert summary["eta_e"] == pytest.approx(reference, abs=1e-6)
    assert abs(summary["cycle_family_estimate"] - reference) <= summary["cycle_family_uncertainty"]
