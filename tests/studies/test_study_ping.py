"""Study ping (--quick): the PING diagram, the map of regimes and the torus
curves, each number checked against something independent of the study.

The references are computed here from the equations of docs/models.md, with
numpy and scipy only (never with bifurc's compiled model): the equilibria from
an explicit reduction, the Jacobian derived by hand (and checked against
central differences), Hopf points as roots (brentq) of the leading eigenvalue's
real part, the cusp as the point where the two fold branches merge, cycle
frequencies by shooting with solve_ivp (DOP853, rtol 1e-11) and Floquet
multipliers from the variational equation integrated the same way.
"""

import json

import numpy as np
import pytest
from matplotlib.path import Path as Polygon
from scipy.optimize import brentq

from bifurc.continuation import load_branches
from bifurc.studies import run_study

from ei_reference import (DEFAULTS, PI, curve_grid, equilibrium_curve, field, hopf_point,
                          jacobian, min_slope, periodic_orbit, reference_frequency_hz)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("ping")
    files = run_study("ping", out, quick=True)
    assert all(path.exists() for path in files)
    summary = json.loads((out / "summary.json").read_text())
    branches = load_branches(out)
    named = {name: branches[i] for name, i in summary["branches"].items()}
    return out, summary, named


@pytest.fixture(scope="module")
def hopf_points():
    """H1 and H2 at the defaults, independently: (eta_e, critical eigenvalue)."""
    return hopf_point(-10.0, 5.0), hopf_point(5.0, 30.0)


def distance_to_curve(curve, xy):
    """Distance from the point xy to the polyline through the rows of ``curve``."""
    a, b = curve[:-1], curve[1:]
    d = b - a
    t = np.clip(np.einsum("ij,ij->i", np.asarray(xy) - a, d) / np.maximum(
        np.einsum("ij,ij->i", d, d), 1e-300), 0.0, 1.0)
    return float(np.min(np.linalg.norm(a + t[:, None] * d - xy, axis=1)))


def parameters_at(branch, k):
    return {**DEFAULTS, **{name: branch.parameters[name] for name in DEFAULTS},
            **dict(zip(branch.free, branch.values[k]))}



def test_files_written(study):
    out, _, _ = study
    for stem in ("diagram", "regimes", "torus"):
        for suffix in (".png", ".pdf"):
            assert (out / f"{stem}{suffix}").stat().st_size > 1000
    for name in ("branches.json", "branches.npz", "regimes.npz", "torus_run.npz"):
        assert (out / name).exists()


def test_hopf_points_and_cycle_frequency(study, hopf_points):
    _, summary, named = study
    equilibria_branch = named["EP-C eta_e (defaults)"]
    cycles = named["LC-C eta_e (defaults, from H1)"]
    hopf = {p.label: p for p in equilibria_branch.special_points if p.kind == "H"}
    assert sorted(hopf) == ["H1", "H2"]
    for point, (eta, eigenvalue) in zip((hopf["H1"], hopf["H2"]), hopf_points):
        # located by Newton to 1e-10 relative (|u| ~ 10); measured agreement 3e-13
        assert point.parameters["eta_e"] == pytest.approx(eta, abs=1e-8)
        # the frequency is that of the critical pair, Im(lambda) / (2 pi), per ms -> Hz
        assert point.data["frequency_hz"] == pytest.approx(1000 * eigenvalue.imag / (2 * PI),
                                                           rel=1e-8)
        assert point.data["l1"] < 0  # supercritical (the code's normal form; not recomputed)
    # the family is born at H1 (its first point is H1 itself) and ends 0.004 before H2, where
    # the continuation stops at the Hopf point (measured 1.3e-4 below H2's frequency)
    frequency = cycles.extra["frequency_hz"]
    h1_hz, h2_hz = (1000 * eigenvalue.imag / (2 * PI) for _, eigenvalue in hopf_points)
    assert frequency[0] == pytest.approx(h1_hz, rel=1e-8)
    assert cycles.ends[-1]["status"] == "hopf"
    assert frequency[-1] == pytest.approx(h2_hz, rel=1e-3)
    # collocation (ntst 30, ncol 4) at branch points against shooting at the same eta_e:
    # measured 7.6e-10 (at 25 Hz), 2.6e-11 and 1.1e-13
    for target in (2.0, 10.0, 18.0):
        k = int(np.argmin(np.abs(cycles.values[:, 0] - target)))
        assert frequency[k] == pytest.approx(reference_frequency_hz(float(cycles.values[k, 0])),
                                             rel=1e-8)
    # the summary interpolates linearly between branch points 0.31 apart: error up to
    # h^2 / 8 |f''| = 0.31^2 / 8 * 0.08 Hz = 1e-3 Hz (measured 7.3e-4 Hz)
    assert summary["cycle_frequency_hz"]["at_default_eta_e_10"] == pytest.approx(
        reference_frequency_hz(10.0), abs=2e-3)
    # docs/models.md and studies.md quote 60.14 Hz
    assert reference_frequency_hz(10.0) == pytest.approx(60.14, abs=5e-3)
    # simulated (RK4 dt 0.02, crossings over the last 750 ms) against shooting: measured
    # 5.5e-8 and 1.7e-7; 3.9e-6 at eta_e = 18, where the cycle, 1.5 from H2, attracts slowly
    assert [check["eta_e"] for check in summary["frequency_checks"]] == [2.0, 10.0, 18.0]
    for check in summary["frequency_checks"]:
        tolerance = 4e-5 if check["eta_e"] == 18.0 else 2e-6
        assert check["simulated_hz"] == pytest.approx(reference_frequency_hz(check["eta_e"]),
                                                      rel=tolerance)


def test_two_parameter_curves_are_bifurcation_curves(study, hopf_points):
    _, _, named = study
    hopf = named["H-C (eta_e, eta_i) from H1"]
    fold = named["LP-C (eta_e, eta_i) from LP1"]
    assert hopf.ends[-1]["status"] == "closed"
    # with the reference field and Jacobian: equilibria with a pair on the imaginary axis, or
    # with a singular Jacobian (smallest singular value: robust at a double zero eigenvalue),
    # to the Newton tolerance 1e-10 (measured: below 2e-15)
    for k in range(0, len(hopf), 10):
        p = parameters_at(hopf, k)
        assert np.max(np.abs(field(p)(0, hopf.states[k]))) < 1e-10
        eigenvalues = np.linalg.eigvals(jacobian(p, hopf.states[k]))
        complex_pair = eigenvalues[np.abs(eigenvalues.imag) > 1e-6]
        if hopf.extra["kappa"][k] > 0:
            assert np.min(np.abs(complex_pair.real)) < 1e-10
    for k in range(0, len(fold), 10):
        p = parameters_at(fold, k)
        assert np.max(np.abs(field(p)(0, fold.states[k]))) < 1e-10
        assert np.linalg.svd(jacobian(p, fold.states[k]), compute_uv=False)[-1] < 1e-10
    # the H-C loop passes through both independent Hopf points at eta_i = -5 (H1 is its start;
    # near H2 0.01 allows for the chords of the polyline: points 0.5 apart, measured 0.0037)
    (h1, _), (h2, _) = hopf_points
    for eta in (h1, h2):
        assert distance_to_curve(hopf.values, (eta, -5.0)) < 0.01
    # fold-of-cycles curves emanate from the Bautin points of the Hopf curve
    bautin = [p for p in hopf.special_points if p.kind == "GH"]
    assert len(bautin) == 4
    lpc = [b for name, b in named.items() if name.startswith("LPC-C")]
    assert len(lpc) == 2
    for point in bautin:
        xy = np.array([point.parameters["eta_e"], point.parameters["eta_i"]])
        assert min(distance_to_curve(c.values, xy) for c in lpc) < 0.1  # GH points ~1 apart


def test_cusp_is_where_the_two_folds_merge(study):
    """At fixed eta_i the folds in eta_e are the zeros of d eta_e / d r_i along the
    equilibrium curve (equilibrium_curve); they exist iff its minimum is negative, and the
    cusp is the eta_i where that minimum is zero: the two folds merge and cease to exist."""
    eta_i = brentq(lambda q: min_slope({**DEFAULTS, "eta_i": q})[0], -20.0, -5.0, xtol=1e-13,
                   rtol=1e-15)
    _, eta_e = min_slope({**DEFAULTS, "eta_i": eta_i})
    # two folds just below the cusp, none just above or at the defaults (eta_i = -5)
    for q, count in ((eta_i - 0.01, 2), (eta_i + 0.01, 0), (-5.0, 0)):
        r_0, _, _, slope, _ = equilibrium_curve({**DEFAULTS, "eta_i": q})
        s = slope(np.exp(curve_grid(r_0)))
        assert np.count_nonzero(np.sign(s[:-1]) != np.sign(s[1:])) == count
    fold = study[2]["LP-C (eta_e, eta_i) from LP1"]
    cusp = [p for p in fold.special_points if p.kind == "CP"]
    assert len(cusp) == 1
    # Newton tolerance 1e-10 relative; measured agreement 1e-15
    assert cusp[0].parameters["eta_i"] == pytest.approx(eta_i, abs=1e-8)
    assert cusp[0].parameters["eta_e"] == pytest.approx(eta_e, abs=1e-8)
    # studies.md quotes CP (-1.135, -7.593)
    assert (round(eta_e, 3), round(eta_i, 3)) == (-1.135, -7.593)


def test_regions_checked_by_simulation(study):
    out, summary, named = study
    regions = summary["regions"]
    assert {r["expected"] for r in regions} == {0, 1, 2, 3}
    for region in regions:
        assert region["code"] == region["expected"], region
    ping = [r for r in regions if r["expected"] == 2][0]
    assert (ping["eta_e"], ping["eta_i"]) == (10.0, -5.0)
    # 2000 ms RK4 runs from two perturbed starts: measured 1.9e-6 and 5.6e-6 from shooting
    for frequency in ping["frequencies_hz"]:
        assert frequency == pytest.approx(reference_frequency_hz(10.0), rel=1e-4)
    # the grid: far from every curve, inside the Hopf loop it oscillates, outside it rests
    hopf = named["H-C (eta_e, eta_i) from H1"]
    curves = [hopf.values, named["LP-C (eta_e, eta_i) from LP1"].values]
    loop = Polygon(hopf.values)
    grid = np.load(out / "regimes.npz")
    checked = 0
    for j, eta_i in enumerate(grid["eta_i"]):
        for i, eta_e in enumerate(grid["eta_e"]):
            if min(distance_to_curve(c, (eta_e, eta_i)) for c in curves) < 2.0:
                continue
            expected = 2 if loop.contains_point((eta_e, eta_i)) else 0
            assert grid["classification"][j, i] == expected, (eta_e, eta_i)
            checked += 1
    assert checked > 0.5 * grid["classification"].size
    # no torus at the defaults: the scan found folds of cycles but no NS or PD points
    kinds = {p["label"].rstrip("0123456789") for entry in summary["default_cycle_scan"]
             for p in entry["cycle_points"]}
    assert kinds == {"LPC"}


def test_torus_bifurcation_checked_by_simulation(study):
    _, summary, named = study
    fast = named["LC-C eta_e (torus set, from H2: fast ING)"]
    ns = fast["NS1"]
    multipliers = fast.eigenvalues[ns.index]
    pair = multipliers[np.abs(multipliers.imag) > 1e-3]
    assert np.allclose(np.abs(pair), 1.0, atol=1e-6)
    assert np.abs(np.angle(pair)).max() == pytest.approx(ns.data["angle"], rel=1e-6)
    # independently: the cycle at NS1 by shooting (the study's profile only as the guess) and
    # its multipliers from the variational equation: a complex pair on the unit circle at the
    # study's angle (measured: period to 2.8e-11, |mu| - 1 = 1.7e-12, angle to 5.7e-11; the NS
    # point itself is located to the Newton tolerance 1e-10)
    p = {**DEFAULTS, **summary["torus_parameters"], "eta_e": ns.parameters["eta_e"]}
    period, _, monodromy = periodic_orbit(p, np.array(ns.data["profile"])[0], ns.data["period"])
    assert period == pytest.approx(ns.data["period"], rel=1e-9)
    reference = np.linalg.eigvals(monodromy)
    reference_pair = reference[np.abs(reference.imag) > 1e-3]
    assert len(reference_pair) == 2
    np.testing.assert_allclose(np.abs(reference_pair), 1.0, atol=1e-9)
    assert np.abs(np.angle(reference_pair)).max() == pytest.approx(ns.data["angle"], rel=1e-9)
    # the fast cycle is stable before the NS point (lower eta_e) and unstable after
    x = fast.values[:, 0]
    assert fast.stable[x < ns.parameters["eta_e"] - 0.05].all()
    assert not fast.stable[(x > ns.parameters["eta_e"] + 0.01) & (x < 22)].any()
    check = summary["torus_check"]
    assert check["before"]["peak_spread"] < 0.01      # converges to the cycle
    assert check["after"]["peak_spread"] > 0.1        # a torus: modulated amplitude
    # simulation 0.03 past NS1 against the rotation theta / (2 pi) of the multipliers at NS1:
    # the torus' rotation number moves linearly away from NS1 (measured 0.4 % in this quick
    # run, 1.8 % in the 4 s full run), so 5 %
    assert check["after"]["modulation_hz"] == pytest.approx(check["predicted_modulation_hz"],
                                                            rel=0.05)
    assert check["predicted_modulation_hz"] == pytest.approx(
        1000 / period * ns.data["angle"] / (2 * PI), rel=1e-8)
    torus_curve = [b for name, b in named.items() if name.startswith("NS-C")][0]
    assert torus_curve.kind == "NS-C" and len(torus_curve) > 10
    # along the NS-C curve the multipliers keep a pair on the unit circle
    for k in range(0, len(torus_curve), 5):
        m = torus_curve.eigenvalues[k]
        assert np.min(np.abs(np.abs(m[np.abs(m.imag) > 1e-6]) - 1.0)) < 1e-6
