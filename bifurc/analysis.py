"""Analysis of simulated time series."""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from .units import PER_SECOND, per_second


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


def sampling_rate_hz(time, time_unit: str = "ms") -> float:
    """Samples per second of a uniformly sampled record (``time`` in ``time_unit``)."""
    time = np.asarray(time, dtype=float)
    rate = per_second(time_unit) / float(time[1] - time[0])
    if not math.isfinite(rate):
        raise ValueError(f"frequencies in Hz need a time unit in {sorted(PER_SECOND)}, got "
                         f"{time_unit!r}")
    return rate


def power_spectrum(time, series, nperseg: int | None = None, time_unit: str = "ms"):
    """Welch power spectral density of a uniformly sampled signal.

    Returns (frequencies in Hz, power), ``time`` in ``time_unit``. Uses
    scipy.signal.welch with a Hann window and the mean removed.
    """
    fs_hz = sampling_rate_hz(time, time_unit)
    series = np.asarray(series, dtype=float)
    nperseg = nperseg or min(series.shape[0], int(round(fs_hz)))  # ~1 s segments
    return signal.welch(series, fs=fs_hz, nperseg=nperseg, detrend="constant", axis=0)


def summarise(trajectory, discard: float = 0.5) -> dict:
    """Per recorded state: min, max and mean over the last part of the run, and
    the oscillation frequency in Hz of node 0 (the time unit from the
    trajectory's metadata, ``time_unit``, ms when absent; NaN for a unit other
    than ms or s)."""
    factor = per_second(trajectory.metadata.get("time_unit", "ms"))
    keep = trajectory.time >= discard * trajectory.time[-1]
    result = {}
    for name in trajectory.state_names:
        x = trajectory[name][keep]
        result[name] = {"min": float(x.min()), "max": float(x.max()), "mean": float(x.mean()),
                        "frequency_hz": factor * oscillation_frequency(
                            trajectory.time, trajectory[name][:, 0], discard)}
    return result


def dominant_frequencies(time, series, time_unit: str = "ms"):
    """Peak frequency (Hz, ``time`` in ``time_unit``) of each column of
    ``series`` (n_t, n_regions) from its Welch spectrum."""
    frequencies, power = power_spectrum(time, series, time_unit=time_unit)
    return frequencies[np.argmax(power[1:], axis=0) + 1]


def functional_connectivity(series) -> np.ndarray:
    """Pearson correlation matrix between regions (columns of ``series``)."""
    return np.corrcoef(np.asarray(series, dtype=float), rowvar=False)


def kuramoto_order(time, series, band=None, time_unit: str = "ms"):
    """|<exp(i phase_k)>_k|(t): the Kuramoto order parameter of the regions'
    phases (Hilbert transform of each mean-removed, optionally band-passed
    signal). Returns an array over time."""
    series = np.asarray(series, dtype=float)
    if band is not None:
        series = bandpass(time, series, band, time_unit=time_unit)
    phase = np.angle(signal.hilbert(series - series.mean(axis=0), axis=0))
    return np.abs(np.exp(1j * phase).mean(axis=1))


def bandpass(time, series, band, order: int = 4, time_unit: str = "ms"):
    """Zero-phase Butterworth band-pass (``band`` in Hz, ``time`` in
    ``time_unit``) along the time axis."""
    fs_hz = sampling_rate_hz(time, time_unit)
    sos = signal.butter(order, band, btype="bandpass", fs=fs_hz, output="sos")
    return signal.sosfiltfilt(sos, np.asarray(series, dtype=float), axis=0)


def modulation_index(time, series, phase_band, amplitude_band, n_bins: int = 18,
                     time_unit: str = "ms") -> float:
    """Phase-amplitude coupling of one signal: the modulation index of Tort et
    al. (J. Neurophysiol. 104, 1195, 2010). The amplitude envelope of the
    ``amplitude_band`` (e.g. gamma) is averaged in ``n_bins`` bins of the phase
    of the ``phase_band`` (a slower rhythm); MI = (log n_bins - H(P)) / log n_bins,
    with H the entropy of the normalised mean-amplitude distribution P. 0: no
    coupling; larger: the amplitude depends on the slow phase."""
    phase = np.angle(signal.hilbert(bandpass(time, series, phase_band, time_unit=time_unit)))
    amplitude = np.abs(signal.hilbert(bandpass(time, series, amplitude_band,
                                               time_unit=time_unit)))
    edges = np.linspace(-np.pi, np.pi, n_bins + 1)
    index = np.clip(np.digitize(phase, edges) - 1, 0, n_bins - 1)
    mean_amplitude = np.array([amplitude[index == b].mean() for b in range(n_bins)])
    p = mean_amplitude / mean_amplitude.sum()
    entropy = -np.sum(p * np.log(p))
    return float((np.log(n_bins) - entropy) / np.log(n_bins))


def network_summary(trajectory, time_unit: str = "ms") -> tuple[dict, dict]:
    """What a network run shows, from its first recorded state over the second
    half of the record: (summary, arrays).

    summary: ``state``, ``dominant_frequency_hz`` (per region), ``mean_fc``
    (mean off-diagonal Pearson correlation), ``kuramoto_mean`` (mean Kuramoto
    order), ``pac_modulation_index`` (theta/alpha 4-12 Hz phase to gamma
    30-100 Hz amplitude, per region; None when gamma is above the Nyquist
    frequency or the record is shorter than a second) and ``pac_bands_hz``.
    arrays: ``frequencies_hz``, ``power`` (Welch, per region), ``fc``,
    ``kuramoto`` (over time), ``time``.
    """
    name = trajectory.state_names[0]
    keep = trajectory.time >= trajectory.time[-1] / 2
    time, series = trajectory.time[keep], trajectory[name][keep]
    frequencies, power = power_spectrum(time, series, time_unit=time_unit)
    fc = functional_connectivity(series)
    order = kuramoto_order(time, series)
    nyquist = sampling_rate_hz(time, time_unit) / 2
    pac = None
    seconds = (time[-1] - time[0]) / per_second(time_unit)
    if nyquist > 110 and seconds >= 1.0:  # gamma resolved, and a second of slow phases
        pac = [modulation_index(time, series[:, k], (4, 12), (30, 100), time_unit=time_unit)
               for k in range(series.shape[1])]
    summary = {"state": name,
               "dominant_frequency_hz": dominant_frequencies(time, series, time_unit).tolist(),
               "mean_fc": float(fc[np.triu_indices_from(fc, 1)].mean()),
               "kuramoto_mean": float(order.mean()),
               "pac_modulation_index": pac,
               "pac_bands_hz": {"phase": [4, 12], "amplitude": [30, 100]}}
    arrays = {"frequencies_hz": frequencies, "power": power, "fc": fc, "kuramoto": order,
              "time": time}
    return summary, arrays
