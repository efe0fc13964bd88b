"""Study applications (--quick): focal recruitment, virtual lesions and working
memory, checked against continuation, a control run, the network's structure
and a noisy simulation."""

import json

import numpy as np
import pytest

import bifurc as bf
from bifurc.studies import run_study
from bifurc.studies.applications import fc_from_jacobian, graph_distance, onset_times

FIGURES = ("recruitment", "recruitment_threshold", "lesion", "working_memory")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("applications")
    files = run_study("applications", out, quick=True)
    return out, files, json.loads((out / "summary.json").read_text())


def test_files_written(study):
    out, files, _ = study
    for stem in FIGURES:
        for suffix in (".png", ".pdf"):
            assert (out / f"{stem}{suffix}").stat().st_size > 1000
            assert out / f"{stem}{suffix}" in files
    for name in ("summary.json", "recruitment.npz", "lesion.npz", "memory.npz", "branches.json",
                 "run_recruitment.npz", "run_memory.npz"):
        assert (out / name).exists()


def test_focal_stimulation_recruits_the_brain_in_order_of_distance(study):
    out, _, summary = study
    node, recruitment = summary["node"], summary["recruitment"]
    # the rest state is stable: a run without the stimulus stays there
    assert recruitment["rest_max_growth_per_ms"] < 0
    assert recruitment["control_recruited"] == 0
    assert recruitment["control_max_rate_hz"] < node["saddle_rate_hz"]
    assert recruitment["recruited"] == recruitment["n_regions"] == 74
    assert recruitment["final_rate_hz"]["min"] > node["saddle_rate_hz"]
    # causality: the focus switches during its stimulus, the others after it
    stimulus = recruitment["stimulus"]
    assert stimulus["start_ms"] < recruitment["onset_ms"]["focus"] < stimulus["stop_ms"]
    assert recruitment["onset_ms"]["min_other"] > recruitment["onset_ms"]["focus"]
    assert recruitment["spearman_onset_vs_distance"] > 0.5
    # the first region to follow is among the three with the strongest input from the focus
    assert recruitment["first_recruited_weight_rank"] <= 2
    # onsets re-measured from the saved run
    run = bf.Trajectory.load(out / "run_recruitment.npz")
    data = np.load(out / "recruitment.npz")
    np.testing.assert_array_equal(onset_times(run.time, run["r_e"], node["saddle_rate_hz"] / 1000),
                                  data["onset_ms"])
    # below the threshold coupling nothing spreads; at the study's eps everything does
    assert recruitment["scan_fraction_recruited"] == [0.0, 1.0]


def test_lesion_scan(study):
    _, _, summary = study
    lesion = summary["lesion"]
    assert lesion["intact_leading_eigenvalue_per_ms"] < 0
    # FC of the linearised network (Lyapunov equation) against a noisy simulation
    assert lesion["fc_correlation_linear_vs_simulated"] > 0.7
    assert lesion["mean_fc_simulated"] == pytest.approx(lesion["mean_fc_intact"], abs=0.01)
    assert len(lesion["ranking"]) == 6
    assert lesion["spearman_effect_vs_strength"] > 0.5


def test_working_memory(study):
    _, _, summary = study
    node, memory = summary["node"], summary["memory"]
    assert node["folds_eta_e"]["LP2"] < -6.0 < node["folds_eta_e"]["LP1"]
    rates = memory["rates_hz"]
    low, high = node["low_rate_hz"], node["high_rate_hz"]
    assert max(rates["before_cues"]) < node["saddle_rate_hz"]
    # unit 0 holds the first item, unit 2 the second; erasing unit 0 keeps unit 2
    on = {key: [r > node["saddle_rate_hz"] for r in values] for key, values in rates.items()}
    assert on["after_first_cue"] == [True, False, False, False]
    assert on["after_second_cue"] == [True, False, True, False]
    assert on["after_erase"] == [False, False, True, False]
    # weak coupling: the held states are the isolated node's equilibria (continuation)
    assert rates["after_erase"][2] == pytest.approx(high, rel=0.05)
    assert rates["after_erase"][0] == pytest.approx(low, rel=0.2)
    assert memory["units_on_after_one_cue"] == [1, 4]


def test_helpers_against_exact_answers():
    # symmetric J, Q = q I: S = (q / 2) (-J)^-1
    rng = np.random.default_rng(1)
    M = rng.standard_normal((5, 5))
    J = -(M @ M.T + 5 * np.eye(5))
    S = 0.5 * np.linalg.inv(-J)
    d = np.sqrt(np.diag(S))
    np.testing.assert_allclose(fc_from_jacobian(J, np.array([1.0]), 1), S / np.outer(d, d), atol=1e-12)
    # a chain 0 -> 1 -> 2 with W[k, j] the weight of j -> k
    W = np.array([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.25, 0.0]])
    np.testing.assert_allclose(graph_distance(W, 0), [0.0, 2.0, 6.0])
    time = np.arange(5.0)
    rates = np.array([[0, 0], [1, 0], [3, 0], [1, 0], [0, 0]], dtype=float)
    np.testing.assert_array_equal(onset_times(time, rates, 2.0), [2.0, np.nan])
