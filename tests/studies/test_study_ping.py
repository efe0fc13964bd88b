"""Study ping (--quick): the PING diagram, the map of regimes and the torus
curves, each number checked against something independent of the study."""

import json

import numpy as np
import pytest
from matplotlib.path import Path as Polygon

import bifurc as bf
from bifurc.continuation import load_branches
from bifurc.studies import run_study


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
def compiled():
    return bf.compile_model(bf.load_model("ei"))


def distance_to_curve(curve, xy):
    """Distance from the point xy to the polyline through the rows of ``curve``."""
    a, b = curve[:-1], curve[1:]
    d = b - a
    t = np.clip(np.einsum("ij,ij->i", np.asarray(xy) - a, d) / np.maximum(
        np.einsum("ij,ij->i", d, d), 1e-300), 0.0, 1.0)
    return float(np.min(np.linalg.norm(a + t[:, None] * d - xy, axis=1)))


def parameters_at(branch, k):
    values = {**branch.parameters, **dict(zip(branch.free, branch.values[k]))}
    return bf.load_model("ei").parameters(**values).values


def test_files_written(study):
    out, _, _ = study
    for stem in ("diagram", "regimes", "torus"):
        for suffix in (".png", ".pdf"):
            assert (out / f"{stem}{suffix}").stat().st_size > 1000
    for name in ("branches.json", "branches.npz", "regimes.npz", "torus_run.npz"):
        assert (out / name).exists()


def test_hopf_points_and_cycle_frequency(study, compiled):
    _, summary, named = study
    equilibria = named["EP-C eta_e (defaults)"]
    cycles = named["LC-C eta_e (defaults, from H1)"]
    hopf = {p.label: p for p in equilibria.special_points if p.kind == "H"}
    assert sorted(hopf) == ["H1", "H2"]
    assert hopf["H1"].parameters["eta_e"] == pytest.approx(-0.525, abs=1e-3)
    assert hopf["H2"].parameters["eta_e"] == pytest.approx(19.55, abs=1e-2)
    for point in hopf.values():
        assert point.data["l1"] < 0  # supercritical
        eigenvalues = np.linalg.eigvals(compiled.jacobian(point.state, parameters_at(
            equilibria, point.index)))
        pair = eigenvalues[np.argmin(np.abs(eigenvalues.real))]
        assert abs(pair.real) < 1e-8
        assert 1000 * abs(pair.imag) / (2 * np.pi) == pytest.approx(point.data["frequency_hz"],
                                                                     rel=1e-8)
    # the family is born at H1 with H1's frequency and dies at H2 with H2's
    frequency = cycles.extra["frequency_hz"]
    assert frequency[0] == pytest.approx(hopf["H1"].data["frequency_hz"], rel=1e-2)
    assert frequency[-1] == pytest.approx(hopf["H2"].data["frequency_hz"], rel=1e-2)
    assert summary["cycle_frequency_hz"]["at_default_eta_e_10"] == pytest.approx(60.1, abs=0.5)
    for check in summary["frequency_checks"]:  # simulation against collocation
        assert check["simulated_hz"] == pytest.approx(check["collocation_hz"], rel=1e-3)
    assert len(summary["frequency_checks"]) >= 3


def test_two_parameter_curves_are_bifurcation_curves(study, compiled):
    _, _, named = study
    hopf = named["H-C (eta_e, eta_i) from H1"]
    fold = named["LP-C (eta_e, eta_i) from LP1"]
    assert hopf.ends[-1]["status"] == "closed"
    for k in range(0, len(hopf), 10):
        eigenvalues = np.linalg.eigvals(compiled.jacobian(hopf.states[k], parameters_at(hopf, k)))
        complex_pair = eigenvalues[np.abs(eigenvalues.imag) > 1e-6]
        if hopf.extra["kappa"][k] > 0:
            assert np.min(np.abs(complex_pair.real)) < 1e-7
    for k in range(0, len(fold), 10):
        eigenvalues = np.linalg.eigvals(compiled.jacobian(fold.states[k], parameters_at(fold, k)))
        assert np.min(np.abs(eigenvalues)) < 1e-7
    # the H-C loop passes through H2 of the one-parameter diagram (eta_i = -5)
    h2 = named["EP-C eta_e (defaults)"]["H2"].parameters["eta_e"]
    assert distance_to_curve(hopf.values, (h2, -5.0)) < 0.01
    # fold-of-cycles curves emanate from the Bautin points of the Hopf curve
    bautin = [p for p in hopf.special_points if p.kind == "GH"]
    assert len(bautin) == 4
    lpc = [b for name, b in named.items() if name.startswith("LPC-C")]
    assert len(lpc) == 2
    for point in bautin:
        xy = np.array([point.parameters["eta_e"], point.parameters["eta_i"]])
        assert min(distance_to_curve(c.values, xy) for c in lpc) < 0.1  # GH points ~1 apart
    cusp = [p for p in fold.special_points if p.kind == "CP"]
    assert len(cusp) == 1 and cusp[0].parameters["eta_i"] == pytest.approx(-7.59, abs=0.01)


def test_regions_checked_by_simulation(study):
    out, summary, named = study
    regions = summary["regions"]
    assert {r["expected"] for r in regions} == {0, 1, 2, 3}
    for region in regions:
        assert region["code"] == region["expected"], region
    ping = [r for r in regions if r["expected"] == 2][0]
    assert ping["frequencies_hz"][0] == pytest.approx(60.1, abs=0.5)
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
    # the fast cycle is stable before the NS point (lower eta_e) and unstable after
    x = fast.values[:, 0]
    assert fast.stable[x < ns.parameters["eta_e"] - 0.05].all()
    assert not fast.stable[(x > ns.parameters["eta_e"] + 0.01) & (x < 22)].any()
    check = summary["torus_check"]
    assert check["before"]["peak_spread"] < 0.01      # converges to the cycle
    assert check["after"]["peak_spread"] > 0.1        # a torus: modulated amplitude
    assert check["after"]["modulation_hz"] == pytest.approx(check["predicted_modulation_hz"],
                                                            rel=0.05)
    torus_curve = [b for name, b in named.items() if name.startswith("NS-C")][0]
    assert torus_curve.kind == "NS-C" and len(torus_curve) > 10
    # along the NS-C curve the multipliers keep a pair on the unit circle
    for k in range(0, len(torus_curve), 5):
        m = torus_curve.eigenvalues[k]
        assert np.min(np.abs(np.abs(m[np.abs(m.imag) > 1e-6]) - 1.0)) < 1e-6
