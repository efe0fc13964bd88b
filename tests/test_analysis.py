"""Time-series analysis against signals with known answers."""

import numpy as np
import pytest

from bifurc import analysis

TIME = np.arange(0.0, 20000.0, 1.0)  # ms, 1 kHz sampling, 20 s


def test_oscillation_and_dominant_frequency():
    series = np.column_stack([np.sin(2 * np.pi * 0.040 * TIME), np.sin(2 * np.pi * 0.007 * TIME)])
    assert 1000 * analysis.oscillation_frequency(TIME, series[:, 0]) == pytest.approx(40.0, rel=1e-6)
    np.testing.assert_allclose(analysis.dominant_frequencies(TIME, series), [40.0, 7.0], atol=1.0)


def test_functional_connectivity_and_kuramoto():
    rng = np.random.default_rng(0)
    common = np.sin(2 * np.pi * 0.04 * TIME)
    series = np.column_stack([common + 0.1 * rng.standard_normal(TIME.size) for _ in range(4)]
                             + [rng.standard_normal(TIME.size)])
    fc = analysis.functional_connectivity(series)
    assert fc.shape == (5, 5) and np.all(fc[:4, :4] > 0.95) and np.all(np.abs(fc[4, :4]) < 0.05)
    synchronous = analysis.kuramoto_order(TIME, series[:, :4], band=(30, 50))
    assert np.median(synchronous) > 0.95
    shifted = np.column_stack([np.sin(2 * np.pi * 0.04 * TIME + k * np.pi / 2) for k in range(4)])
    assert np.median(analysis.kuramoto_order(TIME, shifted)) < 0.05  # splay: phases cancel


def test_phase_amplitude_coupling_detects_coupling_only_when_present():
    """Gamma (60 Hz) whose amplitude follows a 6 Hz phase, against the same
    gamma with a constant amplitude plus an independent 6 Hz rhythm."""
    rng = np.random.default_rng(1)
    slow = np.sin(2 * np.pi * 0.006 * TIME)
    gamma = np.sin(2 * np.pi * 0.060 * TIME)
    noise = 0.2 * rng.standard_normal(TIME.size)
    coupled = slow + (1.0 + 0.8 * slow) * 0.5 * gamma + noise
    uncoupled = slow + 0.5 * gamma + noise
    mi_coupled = analysis.modulation_index(TIME, coupled, (4, 8), (50, 70))
    mi_uncoupled = analysis.modulation_index(TIME, uncoupled, (4, 8), (50, 70))
    assert mi_coupled > 0.02
    assert mi_uncoupled < 0.002
    assert mi_coupled > 20 * mi_uncoupled
