"""Time-series analysis against signals with known answers: sinusoids whose
spectra, correlations and Hilbert phases follow exactly from their formulas,
and a gamma rhythm whose amplitude follows a slow phase, whose modulation index
is derived by hand."""

import numpy as np
import pytest

from bifurc import analysis

TIME = np.arange(0.0, 20000.0, 1.0)  # ms, 1 kHz sampling, 20 s
FS_HZ = 1000.0


def test_oscillation_and_dominant_frequency():
    series = np.column_stack([np.sin(2 * np.pi * 0.040 * TIME), np.sin(2 * np.pi * 0.007 * TIME)])
    # 25 samples per period: every period's crossing is interpolated alike, so the
    # mean spacing is exact up to rounding (measured 0.0)
    assert 1000 * analysis.oscillation_frequency(TIME, series[:, 0]) == pytest.approx(40.0, rel=1e-12)
    # 1 s Welch segments: 1 Hz bins, and 40 and 7 Hz are bins, so the peak is exactly
    # there (a tolerance of one bin would let an off-by-one bin pass)
    np.testing.assert_array_equal(analysis.dominant_frequencies(TIME, series), [40.0, 7.0])


def test_power_spectrum_of_a_sinusoid_and_of_white_noise():
    """Welch with 1 s Hann segments (N = 1000 samples, fs = 1 kHz). A sinusoid
    A sin(2 pi f0 t + phi) with f0 on a bin: each segment's windowed DFT has
    |X| = A N / 4 at f0 and A N / 8 at f0 +- 1 Hz (the periodic Hann window's
    three-term spectrum, 1/2 and -1/4), nothing elsewhere; the one-sided density
    2 |X|^2 / (fs sum w^2), sum w^2 = 3 N / 8, is A^2 N / (3 fs) at the peak and a
    quarter of it beside, and the total power (sum P df) is A^2 / 2 (Parseval).
    White noise of variance s^2 has the flat one-sided density 2 s^2 / fs."""
    amplitude, n = 3.0, 1000
    frequencies, power = analysis.power_spectrum(TIME, amplitude * np.sin(2 * np.pi * 0.040 * TIME + 0.3))
    np.testing.assert_array_equal(frequencies, np.arange(501.0))
    peak = amplitude**2 * n / (3 * FS_HZ)
    # measured: 2e-15 relative at the peak and its neighbours, 1e-26 elsewhere
    assert power[40] == pytest.approx(peak, rel=1e-13)
    np.testing.assert_allclose(power[[39, 41]], peak / 4, rtol=1e-13)
    others = np.delete(power, [39, 40, 41])
    assert others.max() < 1e-20 * peak
    assert power.sum() * (frequencies[1] - frequencies[0]) == pytest.approx(amplitude**2 / 2, rel=1e-13)

    rng = np.random.default_rng(3)
    sigma = 2.0
    frequencies, power = analysis.power_spectrum(TIME, sigma * rng.standard_normal(TIME.size))
    # the mean density over 499 bins of 39 overlapping segments scatters by 1.0 %
    # (standard deviation over 40 seeds); measured -1.0 % for seed 3, allowed 5 %
    assert power[1:-1].mean() == pytest.approx(2 * sigma**2 / FS_HZ, rel=0.05)


def test_functional_connectivity_of_phase_shifted_sinusoids():
    """Pearson correlation of A_i cos(w t + phi_i) and A_j cos(w t + phi_j) over
    whole periods is exactly cos(phi_i - phi_j), whatever the amplitudes."""
    phases = np.array([0.0, 0.4, 1.3, 2.5, np.pi])
    amplitudes = np.array([1.0, 2.0, 0.5, 3.0, 1.5])
    series = amplitudes * np.cos(2 * np.pi * 0.040 * TIME[:, None] + phases)
    fc = analysis.functional_connectivity(series)
    exact = np.cos(phases[:, None] - phases[None, :])
    np.testing.assert_allclose(fc, exact, rtol=0, atol=1e-12)  # measured 9e-14


def test_functional_connectivity_of_a_common_rhythm_in_noise():
    """sin(w t) + 0.1 noise in four regions, pure noise in a fifth: the expected
    correlations are var(sin) / (var(sin) + 0.01) = 0.5 / 0.51 between the first
    four and 0 with the fifth. Sampling error with 20000 samples: about 3e-4 and
    7e-3 (one standard deviation); measured at most 2.3e-4 and 1.4e-2."""
    rng = np.random.default_rng(0)
    common = np.sin(2 * np.pi * 0.04 * TIME)
    series = np.column_stack([common + 0.1 * rng.standard_normal(TIME.size) for _ in range(4)]
                             + [rng.standard_normal(TIME.size)])
    fc = analysis.functional_connectivity(series)
    assert fc.shape == (5, 5)
    np.testing.assert_allclose(np.diag(fc), 1.0, rtol=1e-14)
    off_diagonal = fc[:4, :4][~np.eye(4, dtype=bool)]
    np.testing.assert_allclose(off_diagonal, 0.5 / 0.51, atol=2e-3)
    assert np.abs(fc[4, :4]).max() < 0.04


def test_kuramoto_order_of_known_phases():
    """cos(w_k t + phi_k) with a whole number of periods in the record: the
    Hilbert phase is exactly w_k t + phi_k, so the order parameter is
    |mean_k exp(i (w_k t + phi_k))| at every t: constant for equal frequencies,
    from 0.002 to 0.99 and back for four different ones."""
    phases = np.array([0.0, 0.4, 1.3, 2.5, np.pi])
    locked = np.cos(2 * np.pi * 0.040 * TIME[:, None] + phases)
    order = analysis.kuramoto_order(TIME, locked)
    np.testing.assert_allclose(order, abs(np.exp(1j * phases).mean()), rtol=0, atol=1e-11)  # 2e-13

    splay = np.cos(2 * np.pi * 0.040 * TIME[:, None] + np.arange(4) * np.pi / 2)
    np.testing.assert_allclose(analysis.kuramoto_order(TIME, splay), 0.0, atol=1e-11)

    frequencies = np.array([0.030, 0.0305, 0.031, 0.040])  # per ms: whole periods in 20 s
    angles = 2 * np.pi * frequencies * TIME[:, None] + phases[:4]
    exact = np.abs(np.exp(1j * angles).mean(axis=1))
    assert exact.min() < 0.01 and exact.max() > 0.99
    np.testing.assert_allclose(analysis.kuramoto_order(TIME, np.cos(angles)), exact,
                               rtol=0, atol=1e-11)  # measured 1.9e-13
    # band-passed (zero-phase Butterworth, 25-45 Hz): the same, away from the
    # filter's edge transients (first and last second); measured 3.6e-4
    banded = analysis.kuramoto_order(TIME, np.cos(angles), band=(25, 45))
    inside = (TIME > 1000) & (TIME < 19000)
    np.testing.assert_allclose(banded[inside], exact[inside], rtol=0, atol=4e-3)


def tort_modulation_index(m, n_bins=18):
    """MI of an amplitude 1 + m cos(phase), the phase uniform in time: the mean
    amplitude in bin [a_j, b_j] is 1 + m (sin b_j - sin a_j) / (b_j - a_j); P_j is
    its normalisation and MI = (log N + sum_j P_j log P_j) / log N."""
    edges = np.linspace(-np.pi, np.pi, n_bins + 1)
    P = 1 + m * np.diff(np.sin(edges)) / np.diff(edges)
    P = P / P.sum()
    return (np.log(n_bins) + np.sum(P * np.log(P))) / np.log(n_bins)


@pytest.mark.parametrize("depth", [0.8, 0.4])
def test_modulation_index_of_a_known_coupling(depth):
    """Gamma (60 Hz) with amplitude 1 + m sin(2 pi 6 Hz t) = 1 + m cos(phase) (the
    Hilbert phase of sin is the angle - pi/2) on top of that 6 Hz rhythm. The
    amplitude band 40-80 Hz passes the gamma and its sidebands at 54 and 66 Hz
    (gains 1.0000, 0.9988); with the filters' edge transients, measured 1.7e-3
    (m = 0.8) and 2.0e-3 (m = 0.4) relative."""
    slow = np.sin(2 * np.pi * 0.006 * TIME)
    coupled = slow + (1.0 + depth * slow) * 0.5 * np.sin(2 * np.pi * 0.060 * TIME)
    mi = analysis.modulation_index(TIME, coupled, (4, 8), (40, 80))
    assert mi == pytest.approx(tort_modulation_index(depth), rel=2e-2)


def test_phase_amplitude_coupling_detects_coupling_only_when_present():
    """Gamma (60 Hz) whose amplitude follows a 6 Hz phase, against the same
    gamma with a constant amplitude plus an independent 6 Hz rhythm, both in
    noise. The noise (0.04 r.m.s. in the 50-70 Hz band against a gamma amplitude
    of 0.5) and the band's gains at the sidebands (0.993 and 0.971 at 54 and
    66 Hz) lower the coupled MI below the noiseless value of
    tort_modulation_index(0.8) = 0.0605: measured 0.0568 (-6 %). Without
    coupling only the noise's bias is left: measured 1.7e-5."""
    rng = np.random.default_rng(1)
    slow = np.sin(2 * np.pi * 0.006 * TIME)
    gamma = np.sin(2 * np.pi * 0.060 * TIME)
    noise = 0.2 * rng.standard_normal(TIME.size)
    coupled = slow + (1.0 + 0.8 * slow) * 0.5 * gamma + noise
    uncoupled = slow + 0.5 * gamma + noise
    mi_coupled = analysis.modulation_index(TIME, coupled, (4, 8), (50, 70))
    mi_uncoupled = analysis.modulation_index(TIME, uncoupled, (4, 8), (50, 70))
    assert mi_coupled == pytest.approx(tort_modulation_index(0.8), rel=0.15)
    assert mi_uncoupled < 2e-4
