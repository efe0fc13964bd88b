"""Study ``applications``: focal recruitment, a virtual lesion scan and working memory.

(a) Focal stimulation that spreads (seizure-like recruitment). Every region of
    the tvb76 connectome (74 regions with input) is the bistable ``ei`` node of
    study ``bistable`` (J_ee = 30, eta_e = -6: a low, 7 Hz, and a high, 153 Hz,
    stable equilibrium), coupled through W = D^-1 C. The network starts on its
    homogeneous low state, which is stable (dispersion relation < 0 at every
    L_k, and a control run without input stays there). A 50 ms step on I_e of
    the strongest hub switches it to the high state; above a coupling
    threshold its output switches its neighbours, theirs the next ones, and
    the whole brain is recruited. Onset of a region: the first time its r_e
    crosses the rate of the isolated node's saddle (the middle equilibrium,
    the threshold of the switch). Onsets are compared with the graph distance
    from the focus (shortest path, edge length 1 / W[k, j]) and with the
    direct input weight W[k, focus] (Spearman rank correlations). A scan in
    eps locates the recruitment threshold.

(b) Virtual lesion scan. The default ``ei`` node at eta_e = -2 (a stable focus
    below its Hopf point) on tvb76 with eps = 9, driven by weak white noise on
    v_e and v_i (sigma = 0.02): FC is the correlation matrix of r_e. For small
    noise FC follows from the network's Jacobian J at the homogeneous rest
    state: the stationary covariance S solves J S + S J^T + Q = 0 (Lyapunov
    equation; Q = sigma^2 on the noisy states). That is checked against a
    long noisy simulation of the intact network. Each region m is removed
    (row and column of C, W renormalised; the rest state stays homogeneous)
    and its effect is mean |FC_lesioned - FC_intact| over the remaining
    pairs; the ranking is compared with node strength and degree (Spearman).

(c) Working memory. Four bistable units (the node of (a)) coupled all-to-all
    with a weak eps: a brief cue (+5 on I_e for 20 ms) stores an item in one
    unit (it stays on the high state after the cue), a second cue stores
    another, and a negative pulse erases the first while the second is held.
    The held rates are compared with the isolated node's equilibria from
    continuation (LP1 and LP2 bracket eta_e = -6), and an eps scan shows how
    far the coupling can go before one cue switches all units (loss of
    selectivity; the same mechanism as the recruitment of (a)).

Files: ``summary.json`` (settings and measured numbers), ``recruitment.npz``,
``lesion.npz``, ``memory.npz``, ``branches.json``/``.npz`` (the node's EP-C),
trajectories ``run_recruitment.npz`` and ``run_memory.npz``
(bifurc.trajectory/1, r_e), figures ``recruitment``, ``recruitment_threshold``,
``lesion``, ``working_memory`` (PNG and PDF).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from scipy.linalg import solve_continuous_lyapunov
from scipy.sparse.csgraph import shortest_path
from scipy.stats import spearmanr
from tqdm import tqdm

import bifurc as bf
from bifurc import analysis
from bifurc.connectome import load_connectome
from bifurc.msf import dispersion_relation, homogeneous_model

from .common import save_figure, write_json, write_npz

CONNECTOME = "tvb76"
DT = 0.05
#: the bistable node (as in study `bistable`)
BISTABLE = {"J_ee": 30.0, "eta_e": -6.0}
FOCAL_EPS = 13.0
FOCAL_STIMULUS = (10.0, 100.0, 150.0)      # amplitude on I_e, start, stop (ms)
#: the noise-driven resting network of the lesion scan
LESION_NODE = {"eta_e": -2.0}
LESION_EPS = 9.0
NOISE_SIGMA = 0.02
#: working memory: units, coupling, cues (unit, amplitude on I_e, start, stop)
MEMORY_UNITS = 4
MEMORY_EPS = 2.0
MEMORY_CUES = [(0, 5.0, 200.0, 220.0), (2, 5.0, 500.0, 520.0), (0, -5.0, 900.0, 920.0)]
MEMORY_DURATION = 1300.0
SEED = 0
SETTINGS = {
    False: {"focal_duration": 1000.0, "focal_scan": [6.0, 8.0, 9.0, 10.0, 11.0, 11.5, 12.0, 12.5,
                                                      13.0, 14.0, 16.0],
            "lesions": None, "validation_duration": 60000.0,
            "memory_scan": [1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0]},
    True: {"focal_duration": 600.0, "focal_scan": [8.0, 13.0], "lesions": 6,
           "validation_duration": 20000.0, "memory_scan": [2.0, 20.0]},
}


def onset_times(time, rates, threshold):
    """First time each column of ``rates`` reaches ``threshold`` (NaN if never)."""
    above = rates >= threshold
    first = np.argmax(above, axis=0)
    onsets = time[first].astype(float)
    onsets[~above.any(axis=0)] = np.nan
    return onsets


def graph_distance(W, source: int) -> np.ndarray:
    """Shortest-path distance from ``source`` along j -> k edges of length
    1 / W[k, j] (strong inputs are short)."""
    length = np.zeros_like(W)
    length[W > 0] = 1.0 / W[W > 0]
    return shortest_path(length.T, directed=True, indices=source)  # row j, column k: j -> k


def fc_from_jacobian(J, noise_variance, n_states: int, state: int = 0) -> np.ndarray:
    """Correlation matrix of ``state`` across nodes for the linear SDE
    dx = J x dt + B dW (B B^T = diag(noise_variance) per node): the
    stationary covariance S solves J S + S J^T + B B^T = 0."""
    n_nodes = J.shape[0] // n_states
    S = solve_continuous_lyapunov(J, -np.diag(np.tile(noise_variance, n_nodes)))
    block = S[state::n_states, state::n_states]
    d = np.sqrt(np.diag(block))
    return block / np.outer(d, d)


def network_jacobian(A, H, W, eps):
    """blockdiag(A) + eps W kron H: the network's Jacobian at a homogeneous state."""
    return np.kron(np.eye(W.shape[0]), A) + eps * np.kron(W, H)


def _node_equilibria(ei):
    """EP-C of the bistable node in eta_e, and its equilibria at the working point
    (ascending in r_e, with stability)."""
    branch = bf.continue_equilibria(ei, ei.parameters(**{**BISTABLE, "eta_e": -15.0}), free="eta_e",
                                    bounds=(-15.0, 5.0))
    compiled = bf.compile_model(ei)
    parameters = ei.parameters(**BISTABLE)
    eta = branch.values[:, 0]
    found = []
    for i in np.flatnonzero((eta[:-1] - BISTABLE["eta_e"]) * (eta[1:] - BISTABLE["eta_e"]) <= 0):
        w = (BISTABLE["eta_e"] - eta[i]) / (eta[i + 1] - eta[i])
        state = bf.find_equilibrium(ei, parameters, guess=(1 - w) * branch.states[i] + w * branch.states[i + 1])
        stable = bool(np.all(np.linalg.eigvals(compiled.jacobian(state, parameters.values)).real < 0))
        found.append((state, stable))
    found.sort(key=lambda item: item[0][0])
    return branch, found


def _focal(ei, homogeneous, connectome, low, threshold, eps, duration, stimulate=True):
    network = bf.Network(ei, connectome.weights, eps=eps, labels=connectome.labels)
    parameters = ei.parameters(**BISTABLE)
    rest = bf.find_equilibrium(homogeneous, homogeneous.parameters(**BISTABLE, eps=eps), guess=low)
    amplitude, start, stop = FOCAL_STIMULUS
    focus = hub(connectome)
    stimuli = [bf.Stimulus("I_e", amplitude, start=start, stop=stop, nodes=[focus])] if stimulate else []
    run = bf.simulate(network, parameters, duration=duration, integrator=bf.RK4(DT),
                      initial_state=np.tile(rest, (network.n_nodes, 1)), sample_interval=0.5,
                      stimuli=stimuli, record=["r_e"])
    return run, rest, onset_times(run.time, run["r_e"], threshold)


def hub(connectome) -> int:
    """The region with the largest strength (in + out)."""
    return int(np.argmax(connectome.weights.sum(axis=0) + connectome.weights.sum(axis=1)))


def run(out: Path, quick: bool) -> list[Path]:
    import matplotlib.pyplot as plt

    out = Path(out)
    settings = SETTINGS[bool(quick)]
    files: list[Path] = []
    summary = {"connectome": CONNECTOME, "quick": bool(quick), "settings": settings, "seed": SEED,
               "dt_ms": DT}
    ei = bf.load_model("ei")
    homogeneous = homogeneous_model(ei)
    connectome = load_connectome(CONNECTOME, remove_isolated=True)
    W = connectome.normalised()
    L, _ = connectome.modes()
    n = connectome.n_regions
    strength = connectome.weights.sum(axis=0) + connectome.weights.sum(axis=1)
    degree = (connectome.weights > 0).sum(axis=0) + (connectome.weights > 0).sum(axis=1)
    labels = connectome.labels or [str(k) for k in range(n)]
    n_lesions = n if settings["lesions"] is None else settings["lesions"]
    progress = tqdm(total=3 + len(settings["focal_scan"]) + n_lesions + len(settings["memory_scan"]),
                    desc="applications", unit="run")

    # ---------------------------------------------------------------- the bistable node
    branch, equilibria = _node_equilibria(ei)
    files += list(bf.save_branches([branch], out))
    stable_states = [state for state, stable in equilibria if stable]
    if len(stable_states) != 2 or len(equilibria) != 3:
        raise bf.SimulationError(f"expected three equilibria (two stable) at {BISTABLE}, got "
                                 f"{[(s[0], st) for s, st in equilibria]}")
    low, high = stable_states
    saddle = equilibria[1][0]
    threshold = float(saddle[0])
    folds = {point.label: float(point.parameters["eta_e"]) for point in branch.special_points
             if point.kind == "LP"}
    summary["node"] = {"parameters": BISTABLE, "folds_eta_e": folds,
                       "low_rate_hz": 1000 * float(low[0]), "saddle_rate_hz": 1000 * threshold,
                       "high_rate_hz": 1000 * float(high[0])}

    # ---------------------------------------------------------------- (a) focal recruitment
    focus = hub(connectome)
    rest = bf.find_equilibrium(homogeneous, homogeneous.parameters(**BISTABLE, eps=FOCAL_EPS), guess=low)
    rest_growth, _ = dispersion_relation(ei, homogeneous.parameters(**BISTABLE, eps=FOCAL_EPS), rest, L,
                                         homogeneous=homogeneous)
    control, _, control_onsets = _focal(ei, homogeneous, connectome, low, threshold, FOCAL_EPS,
                                        settings["focal_duration"], stimulate=False)
    recruitment, _, onsets = _focal(ei, homogeneous, connectome, low, threshold, FOCAL_EPS,
                                    settings["focal_duration"])
    progress.update(2)
    files.append(dataclasses.replace(recruitment, metadata={**recruitment.metadata,
                                                            "focus": focus}).save(out / "run_recruitment.npz"))
    distance = graph_distance(W, focus)
    weight_from_focus = W[:, focus]
    others = np.arange(n) != focus
    recruited = np.isfinite(onsets)
    both = others & recruited
    rho_distance = spearmanr(onsets[both], distance[both]).statistic
    rho_weight = spearmanr(onsets[both], weight_from_focus[both]).statistic
    order = np.argsort(np.where(both, onsets, np.inf))
    first_recruited = int(order[0])
    scan_fraction = []
    for eps in settings["focal_scan"]:
        _, _, scan_onsets = _focal(ei, homogeneous, connectome, low, threshold, eps,
                                   settings["focal_duration"])
        scan_fraction.append(float(np.isfinite(scan_onsets[others]).mean()))
        progress.update()
    final_rates = recruitment["r_e"][-1]
    summary["recruitment"] = {
        "eps": FOCAL_EPS, "stimulus": {"parameter": "I_e", "amplitude": FOCAL_STIMULUS[0],
                                       "start_ms": FOCAL_STIMULUS[1], "stop_ms": FOCAL_STIMULUS[2]},
        "focus": focus, "focus_label": labels[focus], "onset_threshold_hz": 1000 * threshold,
        "rest_rate_hz": 1000 * float(rest[0]),
        "rest_max_growth_per_ms": float(np.max(rest_growth)),
        "control_max_rate_hz": 1000 * float(control["r_e"].max()),
        "control_recruited": int(np.isfinite(control_onsets).sum()),
        "recruited": int(recruited.sum()), "n_regions": n,
        "final_rate_hz": {"min": 1000 * float(final_rates.min()), "max": 1000 * float(final_rates.max())},
        "onset_ms": {"focus": float(onsets[focus]), "min_other": float(np.nanmin(onsets[others])),
                     "max": float(np.nanmax(onsets))},
        "spearman_onset_vs_distance": float(rho_distance),
        "spearman_onset_vs_weight_from_focus": float(rho_weight),
        "first_recruited": first_recruited, "first_recruited_label": labels[first_recruited],
        "first_recruited_weight_rank": int((weight_from_focus > weight_from_focus[first_recruited]).sum()),
        "scan_eps": settings["focal_scan"], "scan_fraction_recruited": scan_fraction,
    }
    files.append(write_npz(out / "recruitment.npz", onset_ms=onsets, distance=distance,
                           weight_from_focus=weight_from_focus, strength=strength,
                           control_onset_ms=control_onsets, rest_growth=np.asarray(rest_growth),
                           scan_eps=np.array(settings["focal_scan"]),
                           scan_fraction=np.array(scan_fraction)))

    # ---------------------------------------------------------------- (b) virtual lesions
    lesion_parameters = ei.parameters(**LESION_NODE)
    hom_parameters = homogeneous.parameters(**LESION_NODE, eps=LESION_EPS)
    guess = bf.simulate(homogeneous, hom_parameters, duration=2000.0).states[-1, 0]
    resting = bf.find_equilibrium(homogeneous, hom_parameters, guess=guess)
    compiled = bf.compile_model(ei)
    A = compiled.jacobian(resting, lesion_parameters.values)
    H = compiled.coupling_matrix(lesion_parameters.values)
    noise_variance = np.zeros(ei.n_states)
    for name in ei.noise_states:
        noise_variance[ei.state_index(name)] = NOISE_SIGMA ** 2
    J = network_jacobian(A, H, W, LESION_EPS)
    # spectrum of J: the union over W's eigenvalues of eig(A + eps L H) (small problems)
    intact_leading = float(dispersion_relation(ei, hom_parameters, resting, np.linalg.eigvals(W),
                                               homogeneous=homogeneous)[0].max())
    fc_intact = fc_from_jacobian(J, noise_variance, ei.n_states)
    validation = bf.simulate(bf.Network(ei, connectome.weights, eps=LESION_EPS), lesion_parameters,
                             duration=settings["validation_duration"], integrator=bf.StochasticHeun(DT),
                             noise=bf.Noise(NOISE_SIGMA), seed=SEED,
                             initial_state=np.tile(resting, (n, 1)), sample_interval=1.0, record=["r_e"])
    fc_simulated = analysis.functional_connectivity(validation["r_e"][500:])
    iu = np.triu_indices(n, 1)
    fc_agreement = float(np.corrcoef(fc_intact[iu], fc_simulated[iu])[0, 1])
    progress.update()
    if settings["lesions"] is None:
        lesioned = np.arange(n)
    else:  # evenly spread over the strength ranking, strongest first
        ranking = np.argsort(-strength)
        lesioned = ranking[np.linspace(0, n - 1, settings["lesions"]).round().astype(int)]
    effect = np.full(n, np.nan)
    lesion_leading = np.full(n, np.nan)
    for m in lesioned:
        keep = np.arange(n) != m
        C = connectome.weights[np.ix_(keep, keep)]
        if np.any(C.sum(axis=1) <= 0):  # a region left without input: not a valid network
            progress.update()
            continue
        W_m = bf.row_normalise(C)
        J_m = network_jacobian(A, H, W_m, LESION_EPS)
        lesion_leading[m] = dispersion_relation(ei, hom_parameters, resting, np.linalg.eigvals(W_m),
                                                homogeneous=homogeneous)[0].max()
        fc_m = fc_from_jacobian(J_m, noise_variance, ei.n_states)
        reference = fc_intact[np.ix_(keep, keep)]
        pairs = np.triu_indices(n - 1, 1)
        effect[m] = np.abs(fc_m - reference)[pairs].mean()
        progress.update()
    done = np.isfinite(effect)
    rho_strength = spearmanr(effect[done], strength[done]).statistic
    rho_degree = spearmanr(effect[done], degree[done]).statistic
    ranked = lesioned[np.argsort(-effect[lesioned])]
    ranked = [int(m) for m in ranked if np.isfinite(effect[m])]
    summary["lesion"] = {
        "node_parameters": LESION_NODE, "eps": LESION_EPS, "noise_sigma": NOISE_SIGMA,
        "noise_states": list(ei.noise_states), "rest_rate_hz": 1000 * float(resting[0]),
        "intact_leading_eigenvalue_per_ms": intact_leading,
        "mean_fc_intact": float(fc_intact[iu].mean()),
        "validation_duration_ms": settings["validation_duration"],
        "fc_correlation_linear_vs_simulated": fc_agreement,
        "mean_fc_simulated": float(fc_simulated[iu].mean()),
        "lesioned": [int(m) for m in lesioned], "ranking": ranked,
        "ranking_labels": [labels[m] for m in ranked],
        "effect": {labels[m]: float(effect[m]) for m in ranked},
        "spearman_effect_vs_strength": float(rho_strength),
        "spearman_effect_vs_degree": float(rho_degree),
        "max_leading_eigenvalue_lesioned_per_ms": float(np.nanmax(lesion_leading)),
    }
    files.append(write_npz(out / "lesion.npz", fc_linear=fc_intact, fc_simulated=fc_simulated,
                           effect=effect, strength=strength, degree=degree, lesioned=lesioned,
                           leading_eigenvalue=lesion_leading))

    # ---------------------------------------------------------------- (c) working memory
    C_memory = np.ones((MEMORY_UNITS, MEMORY_UNITS)) - np.eye(MEMORY_UNITS)
    memory_parameters = ei.parameters(**BISTABLE)

    def memory_run(eps, cues):
        network = bf.Network(ei, C_memory, eps=eps)
        start = bf.find_equilibrium(homogeneous, homogeneous.parameters(**BISTABLE, eps=eps), guess=low)
        stimuli = [bf.Stimulus("I_e", amplitude, start=t0, stop=t1, nodes=[unit])
                   for unit, amplitude, t0, t1 in cues]
        return bf.simulate(network, memory_parameters, duration=MEMORY_DURATION, integrator=bf.RK4(DT),
                           initial_state=np.tile(start, (MEMORY_UNITS, 1)), sample_interval=0.5,
                           stimuli=stimuli, record=["r_e"])

    memory = memory_run(MEMORY_EPS, MEMORY_CUES)
    progress.update()
    files.append(memory.save(out / "run_memory.npz"))
    checkpoints = {"before_cues": MEMORY_CUES[0][2] - 1.0, "after_first_cue": MEMORY_CUES[1][2] - 1.0,
                   "after_second_cue": MEMORY_CUES[2][2] - 1.0, "after_erase": MEMORY_DURATION - 1.0}
    held = {key: [1000 * float(r) for r in memory["r_e"][np.searchsorted(memory.time, t)]]
            for key, t in checkpoints.items()}
    selectivity = []
    for eps in settings["memory_scan"]:
        trial = memory_run(eps, MEMORY_CUES[:1])
        switched = trial["r_e"][-1] >= threshold
        selectivity.append(int(switched.sum()))
        progress.update()
    summary["memory"] = {
        "units": MEMORY_UNITS, "coupling": "all-to-all, W = D^-1 C", "eps": MEMORY_EPS,
        "cues": [{"unit": u, "amplitude": a, "start_ms": t0, "stop_ms": t1} for u, a, t0, t1 in MEMORY_CUES],
        "checkpoints_ms": checkpoints, "rates_hz": held,
        "isolated_low_hz": 1000 * float(low[0]), "isolated_high_hz": 1000 * float(high[0]),
        "scan_eps": settings["memory_scan"], "units_on_after_one_cue": selectivity,
    }
    files.append(write_npz(out / "memory.npz", time=memory.time, rates=memory["r_e"],
                           scan_eps=np.array(settings["memory_scan"]),
                           units_on=np.array(selectivity)))
    files.append(write_json(out / "summary.json", summary))
    progress.close()

    # ---------------------------------------------------------------- figures
    from matplotlib.colors import LogNorm

    figure, axes = plt.subplots(1, 3, figsize=(16, 4.5), layout="constrained")
    ax = axes[0]
    sorted_regions = np.argsort(np.where(np.isfinite(onsets), onsets, np.inf))
    shown = recruitment.time <= min(settings["focal_duration"], np.nanmax(onsets) + 150.0)
    image = ax.imshow(1000 * recruitment["r_e"][shown][:, sorted_regions].T, aspect="auto", origin="lower",
                      extent=[0, recruitment.time[shown][-1], -0.5, n - 0.5], cmap="inferno",
                      norm=LogNorm(vmin=1.0, vmax=1000 * recruitment["r_e"].max()))
    ax.plot(onsets[sorted_regions], np.arange(n), "c.", ms=3, label=f"onset (r_e = {1000 * threshold:.1f} Hz)")
    ax.axvspan(FOCAL_STIMULUS[1], FOCAL_STIMULUS[2], color="w", alpha=0.2, label="stimulus on the focus")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("region (sorted by onset)")
    ax.set_title(f"focal stimulation of {labels[focus]}, eps = {FOCAL_EPS:g}")
    ax.legend(fontsize=8, loc="lower right")
    figure.colorbar(image, ax=ax, label="r_e (Hz)")
    ax = axes[1]
    ax.plot(distance[both], onsets[both], "o", ms=4, label=f"regions (Spearman {rho_distance:.2f})")
    ax.set_xlabel("graph distance from the focus (sum of 1/W along the path)")
    ax.set_ylabel("onset time (ms)")
    ax.legend(fontsize=8)
    ax = axes[2]
    ax.semilogx(np.maximum(weight_from_focus[both], 1e-6), onsets[both], "o", ms=4,
                label=f"regions (Spearman {rho_weight:.2f})")
    ax.set_xlabel("input weight from the focus W[k, focus] (1e-6 if none)")
    ax.set_ylabel("onset time (ms)")
    ax.legend(fontsize=8)
    files += save_figure(figure, out, "recruitment")

    figure, ax = plt.subplots(figsize=(6, 4))
    ax.plot(settings["focal_scan"], scan_fraction, "o-", label="fraction of regions recruited")
    ax.axvline(FOCAL_EPS, color="gray", ls="--", label=f"eps of the recruitment run ({FOCAL_EPS:g})")
    ax.set_xlabel("global coupling eps")
    ax.set_ylabel("fraction recruited (besides the focus)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("focal stimulation: recruitment threshold")
    ax.legend(fontsize=8)
    files += save_figure(figure, out, "recruitment_threshold")

    figure, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    ax = axes[0]
    ax.plot(fc_intact[iu], fc_simulated[iu], ".", ms=2, label=f"pairs (r = {fc_agreement:.3f})")
    bounds = [min(fc_intact[iu].min(), fc_simulated[iu].min()), max(fc_intact[iu].max(), fc_simulated[iu].max())]
    ax.plot(bounds, bounds, "k--", lw=0.8, label="equality")
    ax.set_xlabel("FC from the Lyapunov equation (linearised network)")
    ax.set_ylabel(f"FC from a noisy simulation ({settings['validation_duration'] / 1000:g} s)")
    ax.set_title("intact network")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(strength[done], effect[done], "o", ms=4,
            label=f"lesions (Spearman vs strength {rho_strength:.2f}, vs degree {rho_degree:.2f})")
    ax.set_xlabel("node strength (sum of in- and out-weights)")
    ax.set_ylabel("lesion effect: mean |FC_lesioned - FC_intact|")
    ax.legend(fontsize=8)
    ax = axes[2]
    top = ranked[:10]
    ax.barh(np.arange(len(top))[::-1], [effect[m] for m in top], color="tab:purple")
    ax.set_yticks(np.arange(len(top))[::-1], [labels[m] for m in top])
    ax.set_xlabel("lesion effect on FC")
    ax.set_title("regions ranked by lesion effect")
    files += save_figure(figure, out, "lesion")

    figure, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    ax = axes[0]
    for unit in range(MEMORY_UNITS):
        ax.plot(memory.time, 1000 * memory["r_e"][:, unit], label=f"unit {unit}")
    for unit, amplitude, t0, t1 in MEMORY_CUES:
        ax.axvspan(t0, t1, color="green" if amplitude > 0 else "red", alpha=0.25)
    ax.plot([], [], color="green", alpha=0.4, lw=6, label="cue (+I_e)")
    ax.plot([], [], color="red", alpha=0.4, lw=6, label="erase (-I_e)")
    ax.set_yscale("log")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("r_e (Hz)")
    ax.set_title(f"{MEMORY_UNITS} bistable units, all-to-all, eps = {MEMORY_EPS:g}")
    ax.legend(fontsize=8)
    ax = axes[1]
    eta = branch.values[:, 0]
    rate = 1000 * branch.states[:, 0]
    for stable, style in ((True, "-"), (False, "--")):
        masked = np.where(branch.stable == stable, rate, np.nan)
        ax.plot(eta, masked, "k" + style, label="stable" if stable else "unstable")
    for point in branch.special_points:
        ax.plot(point.parameters["eta_e"], 1000 * point.state[0], "o", ms=5, label=point.label)
    ax.axvline(BISTABLE["eta_e"], color="gray", ls=":", label="working point")
    held_rates = np.array(held["after_second_cue"])
    ax.plot(np.full(MEMORY_UNITS, BISTABLE["eta_e"]), held_rates, "x", color="tab:red", ms=8,
            label="held rates in the network")
    ax.set_yscale("log")
    ax.set_xlabel("eta_e (excitability of E)")
    ax.set_ylabel("r_e (Hz)")
    ax.set_title(f"isolated node, J_ee = {BISTABLE['J_ee']:g}")
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.plot(settings["memory_scan"], selectivity, "o-", label="units on after one cue")
    ax.axhline(1, color="gray", ls=":", label="selective memory (only the cued unit)")
    ax.set_xlabel("global coupling eps")
    ax.set_ylabel("units on the high state")
    ax.set_ylim(0, MEMORY_UNITS + 0.5)
    ax.set_title("selectivity of the memory")
    ax.legend(fontsize=8)
    files += save_figure(figure, out, "working_memory")
    return files
