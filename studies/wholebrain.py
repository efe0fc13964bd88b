"""Study ``wholebrain``: the PING network on a connectome past a transverse instability.

Every region is the ``ei`` node at its defaults (a 63 Hz PING cycle), coupled
on The Virtual Brain's 76-region connectome (74 regions once the two without
input are removed) through W = D^-1 C with strength ``eps``. The synchronous
(homogeneous) solution is the cycle of dx/dt = f(x) + eps H x; a perturbation
along mode k of W (eigenvalue L_k) grows at the master stability function
Lambda(L_k; eps) (Pecora & Carroll 1998).

The coupling is chosen from the MSF: the homogeneous cycle is continued in
``eps`` (from the Hopf point where it is born, near eps = 1.93, down to 0), its
MSF is evaluated at the connectome's own L_k, and the largest growth
max_{k >= 2} Lambda(L_k) changes sign at the transverse instability eps_c
(about 1.52 on tvb76). Two networks are simulated from the homogeneous cycle
plus a small random perturbation (seeded):

- ``eps = 1.0`` (transversally stable): the regions stay synchronous;
- ``eps = 1.7`` (past the instability, still below the Hopf point, so the
  homogeneous cycle exists): the perturbation grows at the MSF's rate and the
  network settles on a desynchronised state with slow (delta-band) modulation
  of every region's gamma amplitude.

Measured: the growth of the transverse deviation d(t) = sqrt(mean_k
|x_k - <x>|^2) against the MSF; space-time plots of r_e; Welch spectra per
region and their mean (with the homogeneous cycle's spectrum as reference);
the three largest Lyapunov exponents of the network (Benettin/QR; for the
synchronous state they must be 0 and the two largest MSF values); FC and the
Kuramoto order; phase-amplitude coupling (Tort et al. 2010 modulation index of
delta phase, 1-4 Hz, against gamma amplitude, 30-100 Hz) per region, with
circularly shifted surrogates as the null, and the MI against the phase
frequency (which slow rhythm modulates gamma).
No noise or slow drive is added: the slow modulation is produced by the
network itself past the instability.

Files: ``summary.json`` (all settings and measured numbers), ``wholebrain.npz``
(MSF, spectra, FC, Kuramoto, PAC, Lyapunov histories, deviations),
``branches.json``/``.npz`` (the homogeneous EP-C and LC-C in eps),
``run_stable.npz`` / ``run_unstable.npz`` (r_e of every region,
bifurc.trajectory/1), figures ``msf``, ``spacetime``, ``growth``, ``spectra``,
``lyapunov``, ``fc``, ``pac`` (PNG and PDF).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
from scipy import signal
from scipy.optimize import brentq
from tqdm import tqdm

import bifurc as bf
from bifurc import analysis
from bifurc.connectome import load_connectome
from bifurc.lyapunov import lyapunov_spectrum
from bifurc.msf import cycle_msf, homogeneous_model, orbit_at

from .common import save_figure, write_json, write_npz

CONNECTOME = "tvb76"
EPS_STABLE = 1.0
EPS_UNSTABLE = 1.7
DT = 0.05            # ms, RK4
SAMPLE = 1.0         # ms
PHASE_BAND = (1.0, 4.0)      # Hz, the slow (delta) rhythm
GAMMA_BAND = (30.0, 100.0)   # Hz
N_LYAPUNOV = 3
SEED = 0
#: run lengths (ms), perturbation size and cost knobs
SETTINGS = {
    False: {"duration": 16000.0, "settle": 6000.0, "perturbation": 1e-6,
            "lyapunov_duration": 10000.0, "msf_stride": 1, "surrogates": 50},
    True: {"duration": 6000.0, "settle": 3500.0, "perturbation": 1e-4,
           "lyapunov_duration": 1000.0, "msf_stride": 4, "surrogates": 20},
}


def transverse_deviation(states) -> np.ndarray:
    """d(t) = sqrt(mean_k |x_k(t) - <x>(t)|^2) for states (n_t, n_nodes, n_states):
    zero exactly on the synchronous manifold."""
    deviation = states - states.mean(axis=1, keepdims=True)
    return np.sqrt((deviation ** 2).sum(axis=2).mean(axis=1))


def growth_rate(time, deviation, period, start, stop) -> float:
    """Exponential rate (per ms) of ``deviation`` between ``start`` and ``stop``:
    log d averaged over each cycle ``period`` (removing the within-cycle
    modulation), then a least-squares line through the cycle averages."""
    edges = np.arange(start, stop + 1e-9, period)
    if len(edges) < 4:
        return math.nan
    index = np.digitize(time, edges) - 1
    keep = (index >= 0) & (index < len(edges) - 1)
    log_d = np.log(deviation[keep])
    sums = np.bincount(index[keep], weights=log_d, minlength=len(edges) - 1)
    counts = np.bincount(index[keep], minlength=len(edges) - 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    used = counts > 0
    return float(np.polyfit(centres[used], sums[used] / counts[used], 1)[0])


def phase_and_amplitude(time, series, phase_band, amplitude_band):
    """Hilbert phase of the ``phase_band`` part and amplitude envelope of the
    ``amplitude_band`` part of each column of ``series`` (zero-phase filters)."""
    phase = np.angle(signal.hilbert(analysis.bandpass(time, series, phase_band), axis=0))
    amplitude = np.abs(signal.hilbert(analysis.bandpass(time, series, amplitude_band), axis=0))
    return phase, amplitude


def modulation_index_from(phase, amplitude, n_bins: int = 18):
    """Tort et al. (2010) modulation index of 1-D ``phase`` and ``amplitude``
    (the formula of bifurc.analysis.modulation_index, on precomputed phase and
    amplitude so that surrogates can shift one against the other). Returns
    (MI, mean amplitude per phase bin)."""
    edges = np.linspace(-np.pi, np.pi, n_bins + 1)
    index = np.clip(np.digitize(phase, edges) - 1, 0, n_bins - 1)
    mean_amplitude = (np.bincount(index, weights=amplitude, minlength=n_bins)
                      / np.maximum(np.bincount(index, minlength=n_bins), 1))
    p = mean_amplitude / mean_amplitude.sum()
    p = p[p > 0]
    return float((np.log(n_bins) + np.sum(p * np.log(p))) / np.log(n_bins)), mean_amplitude


def pac_with_surrogates(time, series, n_surrogates: int, rng):
    """Per region: MI(delta phase, gamma amplitude) and the 95th percentile of
    MI over surrogates whose amplitude envelope is circularly shifted by a
    random lag of at least 1 s (destroying phase-amplitude alignment but
    keeping both signals' statistics)."""
    phase, amplitude = phase_and_amplitude(time, series, PHASE_BAND, GAMMA_BAND)
    n_t = len(time)
    minimum_lag = min(int(round(1000.0 / (time[1] - time[0]))), n_t // 4)
    mi = np.empty(series.shape[1])
    null95 = np.empty(series.shape[1])
    histograms = []
    for k in range(series.shape[1]):
        mi[k], histogram = modulation_index_from(phase[:, k], amplitude[:, k])
        histograms.append(histogram)
        lags = rng.integers(minimum_lag, n_t - minimum_lag, n_surrogates)
        null = [modulation_index_from(phase[:, k], np.roll(amplitude[:, k], lag))[0] for lag in lags]
        null95[k] = np.percentile(null, 95)
    return mi, null95, np.array(histograms)


def _envelope_variation(time, series) -> float:
    """Mean over regions of std/mean of the gamma amplitude envelope."""
    amplitude = np.abs(signal.hilbert(analysis.bandpass(time, series, GAMMA_BAND), axis=0))
    return float(np.mean(amplitude.std(axis=0) / amplitude.mean(axis=0)))


def phase_frequency_profile(time, series, phase_centres):
    """MI of each column of ``series`` for phase bands (f/1.5, 1.5 f) Hz, f in
    ``phase_centres``, against the gamma amplitude: (n_frequencies, n_columns).
    (A full comodulogram over narrow amplitude bands is dominated by bands
    without power, whose envelopes are pure leakage; the gamma band holds the
    PING peak.)"""
    amplitude = np.abs(signal.hilbert(analysis.bandpass(time, series, GAMMA_BAND), axis=0))
    profile = np.empty((len(phase_centres), series.shape[1]))
    for j, f in enumerate(phase_centres):
        phase = np.angle(signal.hilbert(analysis.bandpass(time, series, (f / 1.5, f * 1.5)), axis=0))
        for k in range(series.shape[1]):
            profile[j, k] = modulation_index_from(phase[:, k], amplitude[:, k])[0]
    return profile


def max_transverse_growth(ei, homogeneous, eps, transverse) -> float:
    """max_k Lambda(L_k; eps) over the transverse modes, on the homogeneous
    cycle at ``eps`` (found by simulation and collocation)."""
    orbit = bf.find_cycle(homogeneous, homogeneous.parameters(eps=float(eps)), ntst=60,
                          transient=2000.0)
    return float(cycle_msf(ei, orbit, transverse, homogeneous=homogeneous)[0].max())


def _homogeneous_branch(ei, homogeneous, quick):
    """EP-C of the homogeneous system in eps from its rest state at eps = 5 and
    the LC-C of synchronous PING cycles born at its Hopf point."""
    rest_parameters = homogeneous.parameters(eps=5.0)
    rest = bf.simulate(homogeneous, rest_parameters, duration=2000.0).states[-1, 0]
    equilibria = bf.continue_equilibria(homogeneous, rest_parameters, free="eps", bounds=(0.0, 6.0),
                                        start=rest)
    hopf = [point for point in equilibria.special_points if point.kind == "H"]
    if not hopf:
        raise bf.SimulationError("the homogeneous rest state has no Hopf point in eps in [0, 6]")
    cycles = bf.continue_cycles(homogeneous, hopf[0], bounds=(0.0, 6.0), ntst=60,
                                options=bf.ContinuationOptions(step_size=0.05, max_points=400))
    return equilibria, hopf[0], cycles


def _simulate(network, orbit, settings, rng):
    n_nodes = network.n_nodes
    start = np.tile(orbit.profile[0], (n_nodes, 1))
    start = start * (1.0 + settings["perturbation"] * rng.standard_normal(start.shape))
    return bf.simulate(network, duration=settings["duration"], integrator=bf.RK4(DT),
                       initial_state=start, sample_interval=SAMPLE)


def run(out: Path, quick: bool) -> list[Path]:
    import matplotlib.pyplot as plt

    out = Path(out)
    settings = SETTINGS[bool(quick)]
    files: list[Path] = []
    stages = tqdm(total=7, desc="wholebrain", unit="stage")

    # --- 1. the MSF at the connectome's modes, along the homogeneous cycle branch
    stages.set_postfix_str("MSF along the homogeneous branch in eps")
    ei = bf.load_model("ei")
    homogeneous = homogeneous_model(ei)
    connectome = load_connectome(CONNECTOME, remove_isolated=True)
    L, _ = connectome.modes()
    transverse = L[1:]  # L_1 = 1 is the synchronous direction itself
    equilibria, hopf, cycles = _homogeneous_branch(ei, homogeneous, quick)
    files += list(bf.save_branches([equilibria, cycles], out))
    indices = [i for i in range(1, len(cycles), settings["msf_stride"])]
    branch_eps = cycles.values[indices, 0]
    branch_growth = np.array([cycle_msf(ei, orbit_at(cycles, i), transverse,
                                        homogeneous=homogeneous)[0] for i in indices])
    max_growth = branch_growth.max(axis=1)
    order = np.argsort(branch_eps)
    branch_eps, branch_growth, max_growth = branch_eps[order], branch_growth[order], max_growth[order]
    crossing = np.flatnonzero((max_growth[:-1] < 0) & (max_growth[1:] >= 0))
    if not len(crossing):
        raise bf.SimulationError("no transverse instability along the homogeneous cycle branch")
    i = crossing[0]
    eps_critical = brentq(lambda eps: max_transverse_growth(ei, homogeneous, eps, transverse),
                          branch_eps[i], branch_eps[i + 1], xtol=1e-5)
    eps_hopf = float(hopf.parameters["eps"])
    stages.update()

    # --- 2. the homogeneous cycle and its MSF at the two couplings
    stages.set_postfix_str("homogeneous cycles")
    L_curve = np.linspace(-1.0, 0.995, 200)  # L = 1 is the synchronous direction
    cases = {}
    for name, eps in (("stable", EPS_STABLE), ("unstable", EPS_UNSTABLE)):
        orbit = bf.find_cycle(homogeneous, homogeneous.parameters(eps=eps), ntst=60, transient=2000.0)
        growth = cycle_msf(ei, orbit, transverse, homogeneous=homogeneous)[0]
        curve = cycle_msf(ei, orbit, L_curve, homogeneous=homogeneous)[0]
        if (name == "stable") != (growth.max() < 0):
            raise bf.SimulationError(f"eps = {eps}: expected a transversally {name} cycle, "
                                     f"but max_k Lambda(L_k) = {growth.max():.3g}")
        cases[name] = {"eps": eps, "orbit": orbit, "growth": growth, "curve": curve}
    stages.update()

    # --- 3. network simulations from the perturbed homogeneous cycle
    stages.set_postfix_str("network simulations")
    rng = np.random.default_rng(SEED)
    for name, case in cases.items():
        network = bf.Network(ei, connectome.weights, eps=case["eps"], labels=connectome.labels)
        trajectory = _simulate(network, case["orbit"], settings, rng)
        deviation = transverse_deviation(trajectory.states)
        period = case["orbit"].period
        start = 500.0  # the least stable modes dominate the perturbation by then
        # the linear regime: while d stays below 1 percent of the cycle's own
        # size (its RMS deviation from its mean), or to the end of the transient
        profile = case["orbit"].profile
        orbit_size = float(np.sqrt(((profile - profile.mean(axis=0)) ** 2).sum(axis=1).mean()))
        width = max(1, int(round(period / SAMPLE)))  # cycle-averaged log d
        smooth = np.exp(np.convolve(np.log(deviation), np.ones(width) / width, mode="same"))
        grown = np.flatnonzero((trajectory.time > start) & (smooth > 0.01 * orbit_size))
        stop = min(float(trajectory.time[grown[0]]) if len(grown) else math.inf, settings["settle"])
        case.update(trajectory=trajectory, deviation=deviation, fit_window=(start, stop),
                    measured_growth=growth_rate(trajectory.time, deviation, period, start, stop))
        reduced = dataclasses.replace(trajectory, states=trajectory.states[:, :, :1].copy(),
                                      state_names=("r_e",))
        files.append(reduced.save(out / f"run_{name}.npz"))
    # the homogeneous state at the unstable coupling, for reference
    reference = bf.simulate(homogeneous, homogeneous.parameters(eps=EPS_UNSTABLE),
                            duration=settings["duration"], integrator=bf.RK4(DT),
                            initial_state=cases["unstable"]["orbit"].profile[0], sample_interval=SAMPLE)
    stages.update()

    # --- 4. spectra, FC, Kuramoto order, PAC over the settled window
    stages.set_postfix_str("spectra, FC, PAC")
    time = cases["stable"]["trajectory"].time
    window = time >= settings["settle"]
    t_window = time[window]
    frequencies, reference_power = analysis.power_spectrum(t_window, reference["r_e"][window, 0])
    iu = None
    for name, case in cases.items():
        rates = case["trajectory"]["r_e"]
        series = rates[window]
        _, power = analysis.power_spectrum(t_window, series)
        fc = analysis.functional_connectivity(series)
        iu = np.triu_indices_from(fc, 1)
        order = analysis.kuramoto_order(time, rates)
        mi, null95, histograms = pac_with_surrogates(t_window, series, settings["surrogates"], rng)
        case.update(power=power, fc=fc, kuramoto=order, mi=mi, mi_null95=null95,
                    pac_histograms=histograms,
                    dominant_hz=analysis.dominant_frequencies(t_window, series),
                    global_mi=analysis.modulation_index(t_window, series.mean(axis=1), PHASE_BAND,
                                                        GAMMA_BAND),
                    envelope_cv=_envelope_variation(t_window, series))
    top_region = int(np.argmax(cases["unstable"]["mi"]))
    phase_centres = np.arange(1.0, 13.0, 1.0)
    profiles = {name: phase_frequency_profile(t_window, case["trajectory"]["r_e"][window], phase_centres)
                for name, case in cases.items()}
    stages.update()

    # --- 5. Lyapunov exponents of the network
    stages.set_postfix_str("Lyapunov exponents")
    for name, case in cases.items():
        network = bf.Network(ei, connectome.weights, eps=case["eps"])
        if name == "stable":  # on the synchronous cycle itself
            start = np.tile(case["orbit"].profile[0], (network.n_nodes, 1))
            start = start * (1.0 + 1e-8 * rng.standard_normal(start.shape))
        else:  # on the desynchronised attractor: the end of the simulation
            start = case["trajectory"].states[-1]
        spectrum = lyapunov_spectrum(network, None, N_LYAPUNOV, duration=settings["lyapunov_duration"],
                                     transient=200.0, dt=DT, initial_state=start, seed=SEED)
        case["lyapunov"] = spectrum
    stable_sorted = np.sort(cases["stable"]["growth"])[::-1]
    expected_stable = np.concatenate([[0.0], stable_sorted[:N_LYAPUNOV - 1]])
    stages.update()

    # --- 6. data
    stages.set_postfix_str("writing data")
    summary = {
        "connectome": CONNECTOME, "n_regions": connectome.n_regions, "model": "ei",
        "parameters": dict(ei.parameters()), "dt_ms": DT, "sample_interval_ms": SAMPLE,
        "quick": bool(quick), "settings": settings, "seed": SEED,
        "eps_hopf": eps_hopf, "eps_transverse_instability": eps_critical,
        "phase_band_hz": list(PHASE_BAND), "gamma_band_hz": list(GAMMA_BAND),
        "analysis_window_ms": [settings["settle"], settings["duration"]],
        "pac_top_region": top_region,
        "pac_top_region_label": connectome.labels[top_region] if connectome.labels else str(top_region),
        "cases": {},
    }
    for name, case in cases.items():
        fc_pairs = case["fc"][iu]
        summary["cases"][name] = {
            "eps": case["eps"],
            "cycle_period_ms": case["orbit"].period,
            "cycle_frequency_hz": 1000.0 / case["orbit"].period,
            "msf_max_growth_per_ms": float(case["growth"].max()),
            "msf_min_growth_per_ms": float(case["growth"].min()),
            "msf_most_unstable_L": [float(np.real(transverse[np.argmax(case["growth"])])),
                                    float(np.imag(transverse[np.argmax(case["growth"])]))],
            "n_unstable_modes": int((case["growth"] > 0).sum()),
            "measured_growth_per_ms": case["measured_growth"],
            "growth_fit_window_ms": list(case["fit_window"]),
            "initial_deviation": float(case["deviation"][0]),
            "final_deviation": float(case["deviation"][-1]),
            "kuramoto_mean": float(case["kuramoto"][window].mean()),
            "mean_fc": float(fc_pairs.mean()),
            "min_fc": float(fc_pairs.min()),
            "dominant_frequency_hz": {"median": float(np.median(case["dominant_hz"])),
                                      "min": float(case["dominant_hz"].min()),
                                      "max": float(case["dominant_hz"].max())},
            "pac_modulation_index": {"median": float(np.median(case["mi"])),
                                     "max": float(case["mi"].max()),
                                     "fraction_above_surrogate_95": float(
                                         np.mean(case["mi"] > case["mi_null95"])),
                                     "mean_field": case["global_mi"]},
            "gamma_envelope_cv": case["envelope_cv"],
            "lyapunov_exponents_per_ms": case["lyapunov"].exponents.tolist(),
            "lyapunov_duration_ms": settings["lyapunov_duration"],
        }
    summary["cases"]["stable"]["lyapunov_expected_per_ms"] = expected_stable.tolist()
    files.append(write_json(out / "summary.json", summary))
    arrays = {"L_real": np.real(transverse), "L_imag": np.imag(transverse),
              "L_curve": L_curve, "branch_eps": branch_eps, "branch_growth": branch_growth,
              "branch_max_growth": max_growth, "time": time,
              "frequencies_hz": frequencies, "reference_power": reference_power,
              "phase_centres_hz": phase_centres}
    for name, case in cases.items():
        arrays.update({f"{name}/msf": case["growth"], f"{name}/msf_curve": case["curve"],
                       f"{name}/deviation": case["deviation"], f"{name}/power": case["power"],
                       f"{name}/fc": case["fc"], f"{name}/kuramoto": case["kuramoto"],
                       f"{name}/mi": case["mi"], f"{name}/mi_null95": case["mi_null95"],
                       f"{name}/pac_histograms": case["pac_histograms"],
                       f"{name}/mi_by_phase_frequency": profiles[name],
                       f"{name}/lyapunov_time": case["lyapunov"].times,
                       f"{name}/lyapunov_history": case["lyapunov"].history})
    files.append(write_npz(out / "wholebrain.npz", **arrays))
    stages.update()

    # --- 7. figures
    stages.set_postfix_str("figures")
    colours = {"stable": "tab:blue", "unstable": "tab:red"}
    label = {name: f"eps = {case['eps']:g}" for name, case in cases.items()}

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    for name, case in cases.items():
        ax.plot(L_curve, 1000 * case["curve"], color=colours[name], label=f"{label[name]}: MSF")
        ax.plot(np.real(transverse), 1000 * case["growth"], "o", ms=3, color=colours[name],
                label=f"{label[name]}: connectome modes")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("Re L (eigenvalue of W)")
    ax.set_ylabel("largest Floquet exponent (1/s)")
    ax.set_title(f"MSF of the synchronous PING cycle on {CONNECTOME}")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(branch_eps, 1000 * max_growth, "k-", label="max over connectome modes")
    ax.axhline(0, color="k", lw=0.6)
    ax.axvline(eps_critical, color="gray", ls="--", label=f"transverse instability, eps = {eps_critical:.3f}")
    ax.axvline(eps_hopf, color="gray", ls=":", label=f"Hopf (cycle born), eps = {eps_hopf:.3f}")
    for name, case in cases.items():
        ax.plot(case["eps"], 1000 * case["growth"].max(), "o", color=colours[name], label=label[name])
    ax.set_xlabel("global coupling eps")
    ax.set_ylabel("max_k Lambda(L_k) (1/s)")
    ax.set_title("choosing the coupling")
    ax.legend(fontsize=8)
    files += save_figure(figure, out, "msf")

    figure, axes = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    span = (settings["duration"] - 300.0, settings["duration"])
    shown = (time >= span[0]) & (time <= span[1])
    for ax, (name, case) in zip(axes, cases.items()):
        image = ax.imshow(1000 * case["trajectory"]["r_e"][shown].T, aspect="auto", origin="lower",
                          extent=[span[0], span[1], -0.5, connectome.n_regions - 0.5], cmap="viridis")
        ax.set_ylabel("region")
        ax.set_title(f"{label[name]} ({'transversally stable' if name == 'stable' else 'past the transverse instability'})")
        figure.colorbar(image, ax=ax, label="r_e (Hz)")
    axes[-1].set_xlabel("time (ms)")
    files += save_figure(figure, out, "spacetime")

    figure, ax = plt.subplots(figsize=(8, 4))
    for name, case in cases.items():
        ax.semilogy(time, case["deviation"], color=colours[name], lw=0.6, label=f"{label[name]}: simulation")
        start, stop = case["fit_window"]
        t_line = np.linspace(0, stop, 50)
        anchor = np.exp(np.mean(np.log(case["deviation"][(time >= start) & (time <= start + case["orbit"].period)])))
        ax.semilogy(t_line, anchor * np.exp(case["growth"].max() * (t_line - start)), "--", color="k",
                    lw=1.0, label=f"{label[name]}: MSF rate {1000 * case['growth'].max():.2f}/s"
                    if name == "stable" else f"{label[name]}: MSF rate {1000 * case['growth'].max():.2f}/s")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("transverse deviation d(t)")
    ax.set_title("growth of the perturbation off the synchronous manifold")
    ax.legend(fontsize=8)
    files += save_figure(figure, out, "growth")

    figure, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (name, case) in zip(axes, cases.items()):
        keep = frequencies <= 200
        ax.semilogy(frequencies[keep], case["power"][keep], color=colours[name], lw=0.3, alpha=0.3)
        ax.semilogy(frequencies[keep], case["power"][keep].mean(axis=1), color="k", lw=1.5,
                    label="mean over regions")
        ax.semilogy(frequencies[keep], reference_power[keep], color="orange", ls="--", lw=1.0,
                    label=f"homogeneous cycle (eps = {EPS_UNSTABLE:g})")
        ax.plot([], [], color=colours[name], lw=0.6, label="single regions")
        ax.set_xlabel("frequency (Hz)")
        ax.set_title(label[name])
        ax.legend(fontsize=8)
    axes[0].set_ylabel("power spectral density of r_e (kHz^2/Hz)")
    files += save_figure(figure, out, "spectra")

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (name, case) in zip(axes, cases.items()):
        history = case["lyapunov"]
        for j in range(N_LYAPUNOV):
            ax.plot(history.times, 1000 * history.history[:, j], label=f"lambda_{j + 1}")
        if name == "stable":
            for j, value in enumerate(expected_stable):
                ax.axhline(1000 * value, color=f"C{j}", ls="--", lw=0.8,
                           label=f"MSF: {1000 * value:.2f}/s" if j else "phase direction: 0")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel("averaging time (ms)")
        ax.set_ylabel("running Lyapunov exponent (1/s)")
        ax.set_title(label[name])
        ax.legend(fontsize=8)
    files += save_figure(figure, out, "lyapunov")

    figure, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, (name, case) in zip(axes, cases.items()):
        image = ax.imshow(case["fc"], vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_xlabel("region")
        ax.set_ylabel("region")
        ax.set_title(f"FC of r_e, {label[name]} (mean {case['fc'][iu].mean():.2f})")
        figure.colorbar(image, ax=ax, label="Pearson correlation")
    ax = axes[2]
    for name, case in cases.items():
        ax.plot(time, case["kuramoto"], color=colours[name], lw=0.5, label=label[name])
    ax.axvline(settings["settle"], color="gray", ls=":", label="analysis window starts")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("Kuramoto order parameter")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    files += save_figure(figure, out, "fc")

    figure, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    regions = np.arange(connectome.n_regions)
    for name, case in cases.items():
        ax.semilogy(regions, np.maximum(case["mi"], 1e-8), "o", ms=3, color=colours[name], label=label[name])
    ax.semilogy(regions, cases["unstable"]["mi_null95"], "k_", label="95% of shifted surrogates (unstable)")
    ax.set_xlabel("region")
    ax.set_ylabel(f"modulation index ({PHASE_BAND[0]:g}-{PHASE_BAND[1]:g} Hz phase, "
                  f"{GAMMA_BAND[0]:g}-{GAMMA_BAND[1]:g} Hz amplitude)")
    ax.legend(fontsize=8)
    ax = axes[1]
    bins = np.linspace(-180, 180, 19)
    centres = 0.5 * (bins[:-1] + bins[1:])
    for name, case in cases.items():
        histogram = case["pac_histograms"][top_region]
        ax.bar(centres, 1000 * histogram, width=18, alpha=0.5, color=colours[name], label=label[name])
    ax.set_xlabel("delta phase (degrees)")
    ax.set_ylabel("mean gamma amplitude of r_e (Hz)")
    ax.set_title(f"region {top_region} ({summary['pac_top_region_label']})")
    ax.legend(fontsize=8)
    ax = axes[2]
    for name, case in cases.items():
        profile = profiles[name]
        ax.semilogy(phase_centres, np.maximum(np.median(profile, axis=1), 1e-8), "o-",
                    color=colours[name], label=f"{label[name]}: median over regions")
        ax.fill_between(phase_centres, np.maximum(np.percentile(profile, 10, axis=1), 1e-8),
                        np.maximum(np.percentile(profile, 90, axis=1), 1e-8), color=colours[name],
                        alpha=0.2, label=f"{label[name]}: 10-90% of regions")
    ax.set_xlabel("phase frequency (Hz), band (f/1.5, 1.5 f)")
    ax.set_ylabel(f"modulation index ({GAMMA_BAND[0]:g}-{GAMMA_BAND[1]:g} Hz amplitude)")
    ax.set_title("which slow rhythm modulates gamma")
    ax.legend(fontsize=8)
    files += save_figure(figure, out, "pac")
    stages.update()
    stages.close()
    return files
