"""Study wholebrain (--quick): files written; synchrony and its loss checked
against the MSF (growth of the perturbation, Lyapunov exponents) and against
independent measures of the simulated runs."""

import json

import numpy as np
import pytest

import bifurc as bf
from bifurc import analysis
from bifurc.studies import run_study
from bifurc.studies.wholebrain import (GAMMA_BAND, PHASE_BAND, growth_rate, modulation_index_from,
                                       phase_and_amplitude, transverse_deviation)

FIGURES = ("msf", "spacetime", "growth", "spectra", "lyapunov", "fc", "pac")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("wholebrain")
    files = run_study("wholebrain", out, quick=True)
    summary = json.loads((out / "summary.json").read_text())
    return out, files, summary


def test_files_written(study):
    out, files, _ = study
    for stem in FIGURES:
        for suffix in (".png", ".pdf"):
            assert (out / f"{stem}{suffix}").stat().st_size > 1000
            assert out / f"{stem}{suffix}" in files
    for name in ("summary.json", "wholebrain.npz", "branches.json", "branches.npz"):
        assert (out / name).exists()
    run = bf.Trajectory.load(out / "run_unstable.npz")
    assert run.state_names == ("r_e",) and run.n_nodes == 74


def test_couplings_bracket_the_transverse_instability(study):
    _, _, summary = study
    stable, unstable = summary["cases"]["stable"], summary["cases"]["unstable"]
    assert stable["msf_max_growth_per_ms"] < 0 < unstable["msf_max_growth_per_ms"]
    assert stable["eps"] < summary["eps_transverse_instability"] < unstable["eps"] < summary["eps_hopf"]
    assert stable["n_unstable_modes"] == 0 and unstable["n_unstable_modes"] > 0


def test_measured_growth_follows_the_msf(study):
    """The transverse deviation of the simulated network grows at the largest
    MSF value past the instability and decays (no faster than the most stable
    mode allows) before it."""
    _, _, summary = study
    unstable, stable = summary["cases"]["unstable"], summary["cases"]["stable"]
    assert unstable["measured_growth_per_ms"] == pytest.approx(unstable["msf_max_growth_per_ms"], rel=0.1)
    assert stable["msf_min_growth_per_ms"] <= stable["measured_growth_per_ms"] < 0
    assert stable["final_deviation"] < stable["initial_deviation"]
    assert unstable["final_deviation"] > 1e3 * unstable["initial_deviation"]


def test_synchrony_kept_then_lost(study):
    out, _, summary = study
    stable, unstable = summary["cases"]["stable"], summary["cases"]["unstable"]
    assert stable["kuramoto_mean"] > 0.999 and stable["mean_fc"] > 0.999
    assert unstable["kuramoto_mean"] < 0.5 and unstable["mean_fc"] < 0.5
    # the synchronous network oscillates at the homogeneous cycle's frequency:
    # zero crossings of the simulated rates against the collocation period
    run = bf.Trajectory.load(out / "run_stable.npz")
    frequency = 1000 * analysis.oscillation_frequency(run.time, run["r_e"][:, 5])
    assert frequency == pytest.approx(stable["cycle_frequency_hz"], abs=0.05)
    assert abs(stable["dominant_frequency_hz"]["median"] - stable["cycle_frequency_hz"]) <= 1.0


def test_lyapunov_exponents_of_the_synchronous_state_are_its_floquet_exponents(study):
    """On the synchronous cycle the network's exponents are the phase direction
    (0) and the MSF at the connectome's modes; the QR method converges as 1/T."""
    _, _, summary = study
    stable = summary["cases"]["stable"]
    measured = np.array(stable["lyapunov_exponents_per_ms"])
    expected = np.array(stable["lyapunov_expected_per_ms"])
    assert np.abs(measured - expected).max() < 2e-3
    assert summary["cases"]["unstable"]["lyapunov_exponents_per_ms"][0] > 0


def test_gamma_is_modulated_only_past_the_instability(study):
    _, _, summary = study
    stable = summary["cases"]["stable"]["pac_modulation_index"]
    unstable = summary["cases"]["unstable"]["pac_modulation_index"]
    assert unstable["median"] > 100 * stable["median"]
    assert summary["cases"]["unstable"]["gamma_envelope_cv"] > 3 * summary["cases"]["stable"]["gamma_envelope_cv"]


def test_helpers_against_known_answers():
    time = np.arange(0.0, 20000.0, 1.0)  # ms
    slow = np.sin(2 * np.pi * 2.0 * time / 1000)
    coupled = slow + (1 + 0.8 * slow) * np.sin(2 * np.pi * 60.0 * time / 1000)
    phase, amplitude = phase_and_amplitude(time, coupled[:, None], PHASE_BAND, GAMMA_BAND)
    mi, _ = modulation_index_from(phase[:, 0], amplitude[:, 0])
    assert mi == pytest.approx(analysis.modulation_index(time, coupled, PHASE_BAND, GAMMA_BAND), rel=1e-12)
    assert mi > 0.02
    # growth_rate: exp(0.003 t) modulated within each 16 ms cycle
    deviation = np.exp(0.003 * time) * (1.5 + np.sin(2 * np.pi * time / 16.0))
    assert growth_rate(time, deviation, 16.0, 500.0, 3000.0) == pytest.approx(0.003, rel=1e-3)
    states = np.zeros((3, 4, 2))
    states[:, 1, 0] = 2.0  # one node off the mean by 1.5, the others by 0.5
    np.testing.assert_allclose(transverse_deviation(states), np.sqrt((1.5 ** 2 + 3 * 0.5 ** 2) / 4))
