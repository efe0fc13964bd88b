"""Study ``ping``: the E/I (PING) node, its gamma rhythm and its map of regimes.

Three parts:

1. **Diagram in eta_e** (the ``ei`` defaults, eta_e in [-10, 30]): the
   equilibria (EP-C) with the supercritical Hopf points H1 and H2, the cycle
   family (LC-C) joining them, and the cycle frequency in Hz along it with the
   gamma band (30-100 Hz) shaded. Checked by simulation: at a few eta_e the
   simulated frequency must match the collocation frequency.
2. **Map of regimes in (eta_e, eta_i)** (defaults otherwise): the Hopf curve
   (a closed loop with four Bautin points GH), the fold curve (with its cusp
   CP), and the fold-of-cycles curves (LPC-C) born at the Bautin points. The
   regions are labelled from simulations at sample points (each run from two
   starts: rest, PING oscillation, bistable rest/rest, bistable
   rest/oscillation), and a coarse grid of simulations colours the
   background. At the default parameters no cycle branch has a torus (NS) or
   period-doubling point: the study records the special points of the cycle
   families at several eta_i (``default_cycle_scan`` in summary.json).
3. **Torus curves** at a parameter set with strong inhibitory self-coupling
   and drive (``TORUS_SET``: J_ee = 20, J_ii = 25, J_ei = 30, J_ie = 25; eta_i
   = 20): the I population then has its own fast rhythm (ING, ~85-110 Hz)
   besides the slower PING rhythm. The Hopf curves of the two rhythms cross
   at double-Hopf points (HH), from which torus (NS-C) curves emanate; on the
   fast family a supercritical Neimark-Sacker point NS1 turns the fast cycle
   into a stable torus. Checked by simulation: just past NS1 the oscillation
   is modulated at the frequency theta / (2 pi) * f_cycle predicted by the
   rotation angle theta of the critical multipliers.

Files: ``branches.json``/``.npz`` (every branch; ``summary.json`` lists what
each index is), ``regimes.npz`` (the simulation grid: ``eta_e``, ``eta_i``,
``classification`` codes of common.ATTRACTOR_CLASSES, ``frequency_hz``),
``torus_run.npz`` (the simulation past NS1, bifurc.trajectory/1),
``summary.json`` (key numbers and checks), figures ``diagram``,
``regimes`` and ``torus`` (PNG and PDF).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

import bifurc as bf

from .common import (ATTRACTOR_CLASSES, classify_attractors, save_figure, unique_legend,
                     write_json, write_npz)

ETA_E_RANGE = (-10.0, 30.0)
MAP_BOUNDS = {"eta_e": (-15.0, 35.0), "eta_i": (-30.0, 15.0)}
GAMMA_BAND = (30.0, 100.0)
#: the parameters changed from the defaults for part 3, and its eta_i
TORUS_SET = {"J_ee": 20.0, "J_ii": 25.0, "J_ei": 30.0, "J_ie": 25.0}
TORUS_ETA_I = 20.0
TORUS_BOUNDS = {"eta_e": (10.0, 40.0), "eta_i": (0.0, 40.0)}
#: the window of the torus map in the figure (the curves run close together there)
TORUS_VIEW = {"eta_e": (11.0, 29.0), "eta_i": (8.0, 27.0)}


def _cycle_options(max_points: int):
    return bf.ContinuationOptions(step_size=0.01, max_step_size=0.2, max_points=max_points)


def _frequency_at(cycles, eta_e):
    """Collocation frequency (Hz) of a cycle branch at eta_e (linear interpolation
    on the first monotone stretch containing it)."""
    x, f = cycles.values[:, 0], cycles.extra["frequency_hz"]
    for i in np.flatnonzero((x[:-1] - eta_e) * (x[1:] - eta_e) <= 0):
        w = (eta_e - x[i]) / (x[i + 1] - x[i])
        return float((1 - w) * f[i] + w * f[i + 1])
    return float("nan")


def _state_at(branch, eta_e, stable_only=True):
    """Equilibria of an EP-C branch at eta_e (interpolated), lowest r_e first."""
    x = branch.values[:, 0]
    found = []
    for i in np.flatnonzero((x[:-1] - eta_e) * (x[1:] - eta_e) <= 0):
        # one stable end is enough: a located H or LP at the other end may carry
        # eigenvalues on either side of the axis by round-off
        if stable_only and not (branch.stable[i] or branch.stable[i + 1]):
            continue
        w = (eta_e - x[i]) / (x[i + 1] - x[i])
        found.append((1 - w) * branch.states[i] + w * branch.states[i + 1])
    return sorted(found, key=lambda s: s[0])


def _orbit_point(cycles, eta_e):
    """A point of the stable cycle of an LC-C branch nearest to eta_e (its start)."""
    stable = np.flatnonzero(cycles.stable)
    k = stable[np.argmin(np.abs(cycles.values[stable, 0] - eta_e))]
    return cycles.extra["profile"][k][0], float(cycles.values[k, 0])


def modulation_frequency(time, series, discard: float = 0.5) -> tuple[float, float, float]:
    """(carrier frequency, modulation frequency, relative peak spread) of an
    oscillation: the carrier from the spacing of its maxima, the modulation
    from the mean-level crossings of the sequence of maxima (0 if they do not
    vary). Frequencies per time unit."""
    from scipy.signal import find_peaks

    keep = time >= time[0] + discard * (time[-1] - time[0])
    t, x = time[keep], series[keep]
    peaks, _ = find_peaks(x)
    if len(peaks) < 4:
        return 0.0, 0.0, 0.0
    heights, times = x[peaks], t[peaks]
    spread = float(np.ptp(heights) / heights.mean())
    carrier = float((len(peaks) - 1) / (times[-1] - times[0]))
    modulation = (bf.analysis.oscillation_frequency(times, heights, discard=0.0)
                  if spread > 1e-3 else 0.0)
    return carrier, modulation, spread


def run(out: Path, quick: bool) -> list[Path]:
    """Compute, check by simulation, plot and save (see the module docstring)."""
    out = Path(out)
    model = bf.load_model("ei")
    ntst = 30 if quick else 50
    steps = tqdm(total=5, desc="ping", unit="part")
    branches, index = [], {}

    def keep(name, branch):
        index[name] = len(branches)
        branches.append(branch)
        return branch

    # 1. the diagram in eta_e at the defaults
    equilibria = keep("EP-C eta_e (defaults)", bf.continue_equilibria(
        model, model.parameters(eta_e=ETA_E_RANGE[0]), free="eta_e", bounds=ETA_E_RANGE))
    cycles = keep("LC-C eta_e (defaults, from H1)", bf.continue_cycles(
        model, equilibria["H1"], bounds=ETA_E_RANGE, ntst=ntst))
    checks = []
    for eta_e in ((2.0, 10.0, 18.0) if quick else (0.0, 2.0, 5.0, 10.0, 15.0, 18.0)):
        trajectory = bf.simulate(model, model.parameters(eta_e=eta_e), duration=1500.0,
                          integrator=bf.RK4(dt=0.02), sample_interval=0.1, record=["r_e"])
        simulated = 1000 * bf.analysis.oscillation_frequency(trajectory.time,
                                                             trajectory["r_e"][:, 0], 0.5)
        checks.append({"eta_e": eta_e, "simulated_hz": simulated,
                       "collocation_hz": _frequency_at(cycles, eta_e)})
    steps.update()

    # 2. the map of regimes in (eta_e, eta_i) at the defaults
    hopf = keep("H-C (eta_e, eta_i) from H1", bf.continue_curve(
        model, equilibria["H1"], free=("eta_e", "eta_i"), bounds=MAP_BOUNDS))
    folds_at = keep("EP-C eta_e at eta_i = -20", bf.continue_equilibria(
        model, model.parameters(eta_e=MAP_BOUNDS["eta_e"][0], eta_i=-20.0), free="eta_e",
        bounds=MAP_BOUNDS["eta_e"]))
    fold = keep("LP-C (eta_e, eta_i) from LP1", bf.continue_curve(
        model, folds_at["LP1"], free=("eta_e", "eta_i"), bounds=MAP_BOUNDS))
    lpc_curves, subcritical = [], {}
    for eta_i in (-10.0, 1.5):  # between the Bautin points: subcritical Hopf, an LPC nearby
        eq = keep(f"EP-C eta_e at eta_i = {eta_i:g}", bf.continue_equilibria(
            model, model.parameters(eta_e=MAP_BOUNDS["eta_e"][0], eta_i=eta_i), free="eta_e",
            bounds=MAP_BOUNDS["eta_e"]))
        cyc = keep(f"LC-C eta_e at eta_i = {eta_i:g}", bf.continue_cycles(
            model, eq["H1"], bounds=MAP_BOUNDS["eta_e"], ntst=ntst))
        subcritical[eta_i] = (eq, cyc)
        lpc_curves.append(keep(f"LPC-C (eta_e, eta_i) from LPC1 at eta_i = {eta_i:g}",
                               bf.continue_curve(model, cyc["LPC1"], free=("eta_e", "eta_i"),
                                                 bounds=MAP_BOUNDS,
                                                 options=_cycle_options(40 if quick else 300))))
    scan = _default_cycle_scan(model, (-5.0, 1.5) if quick else
                               (-25.0, -20.0, -15.0, -10.0, -8.0, -5.0, -2.0, 0.0, 1.5, 3.0,
                                5.0, 8.0, 10.0), ntst)
    steps.update()
    regions = _region_checks(model, equilibria, cycles, folds_at, subcritical)
    grid = _regime_grid(model, equilibria, cycles, quick)
    steps.update()

    # 3. torus curves at TORUS_SET
    torus = _torus_part(model, quick, ntst, keep)
    steps.update()

    files = list(bf.save_branches(branches, out))
    grid_path = out / "regimes.npz"
    write_npz(grid_path, **grid)
    files.append(grid_path)
    files.append(torus["run"].save(out / "torus_run.npz"))
    specials = {name: [{"label": p.label, "kind": p.kind,
                        **{k: p.parameters[k] for k in branches[i].free},
                        **({"frequency_hz": p.data["frequency_hz"]}
                           if "frequency_hz" in p.data else {}),
                        **({"l1": p.data["l1"]} if p.data.get("l1") is not None else {})}
                       for p in branches[i].special_points]
                for name, i in index.items()}
    summary = {
        "model": "ei", "default_parameters": dict(model.parameters()),
        "branches": index, "special_points": specials,
        "cycle_frequency_hz": {"min": float(np.nanmin(cycles.extra["frequency_hz"])),
                               "max": float(np.nanmax(cycles.extra["frequency_hz"])),
                               "at_default_eta_e_10": _frequency_at(cycles, 10.0)},
        "gamma_band_hz": list(GAMMA_BAND),
        "frequency_checks": checks,
        "default_cycle_scan": scan,
        "torus_at_defaults": "none: no NS (or PD) point on the cycle families of "
                             "default_cycle_scan, which continues the cycles from the first Hopf "
                             f"point over eta_e in {list(MAP_BOUNDS['eta_e'])} at each eta_i "
                             "listed there",
        "regions": regions,
        "regime_classes": {str(k): v for k, v in ATTRACTOR_CLASSES.items()},
        "torus_parameters": {**TORUS_SET, "eta_i": TORUS_ETA_I},
        "torus_check": torus["check"],
    }
    files.append(write_json(out / "summary.json", summary))

    files += _diagram_figure(out, model, equilibria, cycles, checks)
    files += _regimes_figure(out, hopf, fold, lpc_curves, regions, grid)
    files += _torus_figure(out, model, torus)
    steps.update()
    steps.close()
    return files


def _default_cycle_scan(model, eta_i_values, ntst) -> list[dict]:
    """Special points of the cycles born at the first Hopf point, for each eta_i."""
    scan = []
    for eta_i in tqdm(eta_i_values, desc="cycle scan", unit="eta_i", leave=False):
        eq = bf.continue_equilibria(model, model.parameters(eta_e=MAP_BOUNDS["eta_e"][0],
                                                            eta_i=eta_i),
                                    free="eta_e", bounds=MAP_BOUNDS["eta_e"])
        entry = {"eta_i": eta_i, "equilibrium_points": [p.label for p in eq.special_points],
                 "cycle_points": [], "cycle_end": None}
        hopfs = [p for p in eq.special_points if p.kind == "H"]
        if hopfs:
            cyc = bf.continue_cycles(model, hopfs[0], bounds=MAP_BOUNDS["eta_e"], ntst=ntst)
            entry["cycle_points"] = [{"label": p.label, "eta_e": p.parameters["eta_e"]}
                                     for p in cyc.special_points]
            entry["cycle_end"] = cyc.ends[-1]["status"]
            entry["frequency_hz_range"] = [float(np.nanmin(cyc.extra["frequency_hz"])),
                                           float(np.nanmax(cyc.extra["frequency_hz"]))]
        scan.append(entry)
    return scan


def _perturbed(state, factor):
    return np.asarray(state, dtype=float) * factor


def _region_checks(model, equilibria, cycles, folds_at, subcritical) -> list[dict]:
    """Simulate at one sample point per region, from two starts, and classify.

    ``expected`` is the class the continuation predicts there, ``code`` what the
    simulations found; the label shown in the figure is made from the
    simulated rates and frequencies. Starts are perturbed (relative 1e-2, and
    1e-4 in the thin rest/oscillation strips, where the unstable cycle that
    bounds the rest state's basin is small) so that a start on an unstable
    object would leave it."""
    low = _state_at(equilibria, -10.0)[0]           # the low-activity rest state
    on_cycle, _ = _orbit_point(cycles, 10.0)        # the default PING cycle
    samples = [(-8.0, -5.0, (low, on_cycle), 0, None, 1e-2),
               (10.0, -5.0, (low, on_cycle), 2, None, 1e-2),
               (30.0, -5.0, (low, on_cycle), 0, None, 1e-2),
               (5.0, 12.0, (low, on_cycle), 0, None, 1e-2)]
    # between the fold curves at eta_i = -20: two stable equilibria
    lp = sorted(p.parameters["eta_e"] for p in folds_at.special_points if p.kind == "LP")
    middle = 0.5 * (lp[0] + lp[1])
    pair = _state_at(folds_at, middle)
    samples.append((middle, -20.0, (pair[0], pair[-1]), 1, (-8.0, -25.0), 1e-2))
    # between the fold of cycles and the subcritical Hopf point: rest and oscillation
    for eta_i, text in ((-10.0, (5.0, -15.0)), (1.5, (-6.0, 6.0))):
        eq, cyc = subcritical[eta_i]
        lpc, h = cyc["LPC1"].parameters["eta_e"], eq["H1"].parameters["eta_e"]
        point = lpc + 0.3 * (h - lpc)
        rest = _state_at(eq, point)[0]
        orbit, _ = _orbit_point(cyc, point)
        samples.append((point, eta_i, (rest, orbit), 3, text, 1e-4))
    regions = []
    for eta_e, eta_i, starts, expected, text, perturbation in tqdm(
            samples, desc="region checks", unit="pt", leave=False):
        result = classify_attractors(model, model.parameters(eta_e=eta_e, eta_i=eta_i),
                                     [_perturbed(s, 1 + perturbation) for s in starts], 2000.0,
                                     "r_e", dt=0.02)
        rates = [1000 * high for _, high in result["ranges"]]
        frequencies = [1000 * f for f in result["frequencies"]]
        code = result["code"]
        if code == 0:
            label = f"rest\nr_e = {rates[0]:.0f} Hz"
        elif code == 1:
            label = f"bistable: rest at\nr_e = {min(rates):.0f} or {max(rates):.0f} Hz"
        elif code == 2:
            label = f"PING oscillation\n{frequencies[0]:.0f} Hz"
        elif code == 3:
            label = f"bistable: rest or\n{max(frequencies):.0f} Hz oscillation"
        else:
            label = "two oscillations"
        regions.append({"label": label, "eta_e": eta_e, "eta_i": eta_i, "expected": expected,
                        "code": code, "kinds": result["kinds"], "max_rate_hz": rates,
                        "frequencies_hz": frequencies, "perturbation": perturbation,
                        "label_position": list(text) if text else None})
    return regions


def _regime_grid(model, equilibria, cycles, quick) -> dict:
    """Simulations on a grid of (eta_e, eta_i), from the low rest state and from
    the default PING cycle; codes of ATTRACTOR_CLASSES and the frequency (Hz)."""
    low = _state_at(equilibria, -10.0)[0]
    on_cycle, _ = _orbit_point(cycles, 10.0)
    n_e, n_i = (9, 7) if quick else (51, 46)
    eta_e = np.linspace(*MAP_BOUNDS["eta_e"], n_e)
    eta_i = np.linspace(*MAP_BOUNDS["eta_i"], n_i)
    codes = np.zeros((n_i, n_e), dtype=int)
    frequency = np.zeros((n_i, n_e))
    duration = 1000.0 if quick else 2000.0
    for (j, b), (i, a) in tqdm([(p, q) for p in enumerate(eta_i) for q in enumerate(eta_e)],
                               desc="regime grid", unit="pt", leave=False):
        result = classify_attractors(model, model.parameters(eta_e=a, eta_i=b), (low, on_cycle),
                                     duration, "r_e")
        codes[j, i] = result["code"]
        frequency[j, i] = 1000 * max(result["frequencies"])
    return {"eta_e": eta_e, "eta_i": eta_i, "classification": codes, "frequency_hz": frequency,
            "duration_ms": np.array(duration)}


def _torus_part(model, quick, ntst, keep) -> dict:
    base = model.parameters(eta_e=TORUS_BOUNDS["eta_e"][0], eta_i=TORUS_ETA_I, **TORUS_SET)
    eq = keep("EP-C eta_e (torus set)", bf.continue_equilibria(
        model, base, free="eta_e", bounds=TORUS_BOUNDS["eta_e"]))
    ping = keep("LC-C eta_e (torus set, from H1: PING)", bf.continue_cycles(
        model, eq["H1"], bounds=TORUS_BOUNDS["eta_e"], ntst=ntst))
    fast = keep("LC-C eta_e (torus set, from H2: fast ING)", bf.continue_cycles(
        model, eq["H2"], bounds=TORUS_BOUNDS["eta_e"], ntst=ntst))
    curves = []
    for label in ("H1", "H2", "H3"):
        curves.append(keep(f"H-C (eta_e, eta_i) torus set from {label}", bf.continue_curve(
            model, eq[label], free=("eta_e", "eta_i"), bounds=TORUS_BOUNDS)))
    ns = fast["NS1"]
    curves.append(keep("NS-C (eta_e, eta_i) torus set from NS1 of the fast cycles",
                       bf.continue_curve(model, ns, free=("eta_e", "eta_i"), bounds=TORUS_BOUNDS,
                                         options=_cycle_options(25 if quick else 200))))
    if not quick:
        for label in ("NS1", "NS2", "LPC1"):
            curves.append(keep(f"{label[:-1]}-C (eta_e, eta_i) torus set from {label} of PING",
                               bf.continue_curve(model, ping[label], free=("eta_e", "eta_i"),
                                                 bounds=TORUS_BOUNDS,
                                                 options=_cycle_options(150))))
    # the check: past NS1 the fast cycle is modulated at theta / (2 pi) per period
    eta_ns = ns.parameters["eta_e"]
    start = np.array(ns.data["profile"])[0]
    check = {"ns_eta_e": eta_ns, "ns_angle": ns.data["angle"],
             "ns_frequency_hz": 1000 / ns.data["period"],
             "predicted_modulation_hz": 1000 / ns.data["period"] * ns.data["angle"] / (2 * np.pi)}
    duration = 1500.0 if quick else 4000.0
    for name, eta_e in (("before", eta_ns - 0.07), ("after", eta_ns + 0.03)):
        run = bf.simulate(model, model.parameters(**{**ns.parameters, "eta_e": eta_e}),
                          duration=duration, integrator=bf.RK4(dt=0.01), initial_state=start,
                          sample_interval=0.1)
        carrier, modulation, spread = modulation_frequency(run.time, run["r_e"][:, 0])
        check[name] = {"eta_e": eta_e, "carrier_hz": 1000 * carrier,
                       "modulation_hz": 1000 * modulation, "peak_spread": spread}
    return {"equilibria": eq, "ping": ping, "fast": fast, "curves": curves, "run": run,
            "check": check}


def _diagram_figure(out, model, equilibria, cycles, checks):
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.8, 7.0),
                                         gridspec_kw={"height_ratios": [3, 2]})
    bf.plot.diagram([equilibria, cycles], "r_e", model, ax=top)
    top.plot([], [], color="C0", label="equilibria (EP-C)")
    top.plot([], [], color="C1", label="cycles: max and min (LC-C)")
    top.set_xlabel("")
    top.set_title("ei (defaults): PING cycles between two supercritical Hopf points")
    unique_legend(top, loc="upper left", fontsize="small")
    bf.plot.cycle_frequency([cycles], ax=bottom, band=GAMMA_BAND)
    bottom.plot([], [], color="C0", label="cycles (collocation)")
    bottom.plot([c["eta_e"] for c in checks], [c["simulated_hz"] for c in checks], "kx", ms=8,
                label="simulation")
    default = _frequency_at(cycles, 10.0)
    bottom.annotate(f"defaults: {default:.1f} Hz", (10.0, default), xytext=(14.0, 35.0),
                    arrowprops={"arrowstyle": "->", "lw": 0.8}, fontsize=8)
    bottom.text(0.99, 0.04, "gamma band shaded", transform=bottom.transAxes, ha="right",
                fontsize=8)
    bottom.set_xlabel("eta_e (mean excitability of E, dimensionless)")
    unique_legend(bottom, loc="upper left", fontsize="small")
    figure.tight_layout()
    return save_figure(figure, out, "diagram")


def _regimes_figure(out, hopf, fold, lpc_curves, regions, grid):
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(8.0, 6.2))
    mesh_e, mesh_i = np.meshgrid(grid["eta_e"], grid["eta_i"])
    codes, frequency = grid["classification"], grid["frequency_hz"]
    size = 10 if codes.size > 500 else 40
    rest = codes == 0
    ax.scatter(mesh_e[rest], mesh_i[rest], s=size, color="0.82", lw=0,
               label="simulated: rest")
    oscillating = (codes == 2) | (codes == 4)
    image = ax.scatter(mesh_e[oscillating], mesh_i[oscillating], s=size, lw=0,
                       c=frequency[oscillating], cmap="viridis", vmin=0, vmax=100,
                       label="simulated: oscillation")
    bistable = (codes == 1) | (codes == 3)
    if bistable.any():
        ax.scatter(mesh_e[bistable], mesh_i[bistable], s=size * 2, marker="s",
                   facecolor="none", edgecolor="tab:red",
                   label="simulated: two attractors from two starts")
    figure.colorbar(image, ax=ax, label="simulated frequency (Hz)")
    bf.plot.two_parameter([hopf, fold] + lpc_curves, ax=ax)
    for region in regions:
        ok = region["code"] == region["expected"]
        text = region["label"] + ("" if ok else "\n(not the predicted class)")
        style = {"fontsize": 8, "ha": "center", "va": "center",
                 "bbox": {"boxstyle": "round", "fc": "white", "alpha": 0.85}}
        if region["label_position"]:
            ax.annotate(text, (region["eta_e"], region["eta_i"]),
                        xytext=region["label_position"],
                        arrowprops={"arrowstyle": "->", "lw": 0.8}, **style)
        else:
            ax.annotate(text, (region["eta_e"], region["eta_i"]), **style)
    ax.set_xlim(*MAP_BOUNDS["eta_e"])
    ax.set_ylim(*MAP_BOUNDS["eta_i"])
    ax.set_xlabel("eta_e (mean excitability of E, dimensionless)")
    ax.set_ylabel("eta_i (mean excitability of I, dimensionless)")
    ax.set_title("ei: regimes in (eta_e, eta_i); no torus curves at these parameters")
    unique_legend(ax, loc="upper left", fontsize="x-small")
    figure.tight_layout()
    return save_figure(figure, out, "regimes")


def _torus_figure(out, model, torus):
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(12.0, 8.0))
    layout = figure.add_gridspec(2, 2, height_ratios=[3, 2])
    left, right = figure.add_subplot(layout[0, 0]), figure.add_subplot(layout[0, 1])
    below = figure.add_subplot(layout[1, :])
    bf.plot.diagram([torus["equilibria"], torus["ping"], torus["fast"]], "r_e", model, ax=left)
    for number, name in enumerate(("equilibria", "PING cycles (from H1)",
                                   "fast ING cycles (from H2)")):
        left.plot([], [], color=f"C{number}", label=name)
    left.set_yscale("log")
    left.set_xlabel("eta_e (mean excitability of E, dimensionless)")
    left.set_title(f"eta_i = {TORUS_ETA_I:g}: cycle families, NS = torus points")
    unique_legend(left, loc="upper left", fontsize="x-small")
    bf.plot.two_parameter(torus["curves"], ax=right)
    right.plot([], [], " ", label="HH: double Hopf; R3/R4: resonances")
    right.set_xlim(*TORUS_VIEW["eta_e"])
    right.set_ylim(*TORUS_VIEW["eta_i"])
    right.set_xlabel("eta_e (mean excitability of E, dimensionless)")
    right.set_ylabel("eta_i (mean excitability of I, dimensionless)")
    right.set_title("Hopf, torus (NS) and fold-of-cycles curves")
    unique_legend(right, loc="upper left", fontsize="x-small")
    run, check = torus["run"], torus["check"]
    below.plot(run.time, 1000 * run["r_e"][:, 0], color="k", lw=0.6)
    below.set_xlim(run.time[-1] - 500.0, run.time[-1])
    below.set_xlabel("time (ms)")
    below.set_ylabel("r_e (Hz)")
    below.set_title(
        f"past NS1 (eta_e = {check['after']['eta_e']:.3f}): quasi-periodic, carrier "
        f"{check['after']['carrier_hz']:.1f} Hz modulated at {check['after']['modulation_hz']:.1f}"
        f" Hz (predicted from the NS angle: {check['predicted_modulation_hz']:.1f} Hz)")
    below.grid(alpha=0.3)
    figure.suptitle(", ".join(f"{k} = {v:g}" for k, v in TORUS_SET.items())
                    + " (others at the defaults)")
    figure.tight_layout()
    return save_figure(figure, out, "torus")
