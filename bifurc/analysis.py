"""Analysis of simulated time series."""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from .model import PER_SECOND


def oscillation_frequency(time, series, discard: float = 0.5) -> float:
    """Frequency (per time unit; per ms -> kHz) of a periodic signal.

    Uses the mean spacing of upward crossings of the signal's mean level over
    the last ``1 - discard`` of the record, each crossing located by linear
    interpolation between samples. Returns 0.0 when the signal does not
    oscillate (fewer than three crossings or a flat signal).
    """
    time = np.asarray(time, dtype=float)
    series = np.asarray(series, dtype=float)
    keep = time >= time[0] + discard * (time[-1] - time[0])
    t, x = time[keep], series[keep]
    if x.size < 4 or np.ptp(x) <= 1e-9 * max(1.0, np.abs(x).max()):
        return 0.0
    level = x.mean()
    below = x[:-1] < level
    up = np.flatnonzero(below & (x[1:] >= level))
    if up.size < 3:
        return 0.0
    fraction = (level - x[up]) / (x[up + 1] - x[up])
    crossings = t[up] + fraction * (t[up + 1] - t[up])
    return float((crossings.size - 1) / (crossings[-1] - crossings[0]))


def power_spectrum(time, series, nperseg: int | None = None):
    """Welch power spectral density of a uniformly sampled signal.

    Returns (frequencies in Hz when time is in ms, power). Uses
    scipy.signal.welch with a Hann window and the mean removed.
    """
    time = np.asarray(time, dtype=float)
    dt_ms = float(time[1] - time[0])
    fs_hz = 1000.0 / dt_ms
    series = np.asarray(series, dtype=float)
    nperseg = nperseg or min(series.shape[0], int(round(fs_hz)))  # ~1 s segments
    return signal.welch(series, fs=fs_hz, nperseg=nperseg, detrend="constant", axis=0)


def summarise(trajectory, discard: float = 0.5) -> dict:
    """Per recorded state: min, max and mean over the last part of the run, and
    the oscillation frequency in Hz of node 0 (the time unit from the
    trajectory's metadata, ``time_unit``, ms when absent; NaN for a unit other
    than ms or s)."""
    per_second = PER_SECOND.get(trajectory.metadata.get("time_unit", "ms"), math.nan)
    keep = trajectory.time >= discard * trajectory.time[-1]
    result = {}
    for name in trajectory.state_names:
        x = trajectory[name][keep]
        result[name] = {"min": float(x.min()), "max": float(x.max()), "mean": float(x.mean()),
                        "frequency_hz": per_second * oscillation_frequency(
                            trajectory.time, trajectory[name][:, 0], discard)}
    return result


def dominant_frequencies(time, series):
    """Peak frequency (Hz, time in ms) of each column of ``series`` (n_t, n_regions)
    from its Welch spectrum."""
    frequencies, power = power_spectrum(time, series)
    return frequencies[np.argmax(power[1:], axis=0) + 1]


def functional_connectivity(series) -> np.ndarray:
    """Pearson correlation matrix between regions (columns of ``series``)."""
    return np.corrcoef(np.asarray(series, dtype=float), rowvar=False)


def kuramoto_order(time, series, band=None):
    """|<exp(i phase_k)>_k|(t): the Kuramoto order parameter of the regions'
    phases (Hilbert transform of each mean-removed, optionally band-passed
    signal). Returns an array over time."""
    series = np.asarray(series, dtype=float)
    if band is not None:
        series = bandpass(time, series, band)
    phase = np.angle(signal.hilbert(series - series.mean(axis=0), axis=0))
    return np.abs(np.exp(1j * phase).mean(axis=1))


def bandpass(time, series, band, order: int = 4):
    """Zero-phase Butterworth band-pass (Hz, time in ms) along the time axis."""
    fs_hz = 1000.0 / float(time[1] - time[0])
    sos = signal.butter(order, band, btype="bandpass", fs=fs_hz, output="sos")
    return signal.sosfiltfilt(sos, np.asarray(series, dtype=float), axis=0)


def modulation_index(time, series, phase_band, amplitude_band, n_bins: int = 18) -> float:
    """Phase-amplitude coupling of one signal: the modulation index of Tort et
    al. (J. Neurophysiol. 104, 1195, 2010). The amplitude envelope of the
    ``amplitude_band`` (e.g. gamma) is averaged in ``n_bins`` bins of the phase
    of the ``phase_band`` (a slower rhythm); MI = (log n_bins - H(P)) / log n_bins,
    with H the entropy of the normalised mean-amplitude distribution P. 0: no
    coupling; larger: the amplitude depends on the slow phase."""
    phase = np.angle(signal.hilbert(bandpass(time, series, phase_band)))
    amplitude = np.abs(signal.hilbert(bandpass(time, series, amplitude_band)))
    edges = np.linspace(-np.pi, np.pi, n_bins + 1)
    index = np.clip(np.digitize(phase, edges) - 1, 0, n_bins - 1)
    mean_amplitude = np.array([amplitude[index == b].mean() for b in range(n_bins)])
    p = mean_amplitude / mean_amplitude.sum()
    entropy = -np.sum(p * np.log(p))
    return float((np.log(n_bins) - entropy) / np.log(n_bins))
