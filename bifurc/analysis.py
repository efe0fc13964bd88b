"""Analysis of simulated time series."""

from __future__ import annotations

import numpy as np
from scipy import signal


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
    the oscillation frequency in Hz (time in ms) of node 0."""
    keep = trajectory.time >= discard * trajectory.time[-1]
    result = {}
    for name in trajectory.state_names:
        x = trajectory[name][keep]
        result[name] = {"min": float(x.min()), "max": float(x.max()), "mean": float(x.mean()),
                        "frequency_hz": 1000.0 * oscillation_frequency(
                            trajectory.time, trajectory[name][:, 0], discard)}
    return result
