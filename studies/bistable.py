"""Study ``bistable``: a bistable (working-memory) regime of the E/I node.

With strong recurrent excitation (``J_ee = 30``, the other parameters at the
``ei`` defaults) the equilibria of the node fold twice in ``eta_e``: a
low-activity state (LP1) and a high-activity state (LP2) coexist, both stable,
between the right fold and the Hopf point H1 of the upper state (the upper
state oscillates below H1). In (eta_e, J_ee) the two fold curves meet at a
cusp; the Hopf curve of the upper state crosses the right fold curve, and the
region of two stable equilibria lies between the right fold curve and the
left fold or Hopf curve, whichever is further right.

The study computes:

- EP-C in eta_e at J_ee = 30 (folds LP1, LP2, Hopf H1);
- LP-C (through LP1) and H-C (through H1) in (eta_e, J_ee), with the cusp;
- the unstable cycles of the subcritical H1 (LC-C), which end on a homoclinic
  orbit to the middle saddle, and that homoclinic orbit continued in
  (eta_e, J_ee) (HOM-C, with its neutral-saddle point) down to where it meets
  the other fold curve (NCH1, a non-central saddle-node homoclinic orbit);
- the same homoclinic curve from the fold curve's far Bogdanov-Takens point
  (eta_e ~ -16, just outside the window; HOM-C from BT with a long T), and
  from its NCH1 the SNIC curve (SNIC-C) along the fold, where oscillations
  are born at a saddle-node on an invariant circle, to a second NCH point
  near the cusp, where the homoclinic curve born at the other BT point (next
  to the cusp) ends too;
- a regime map by simulation on a grid of (eta_e, J_ee): each point is run
  from the low and the high equilibrium of the working point and its
  attractors are classified (rest or oscillation, one or two distinct), an
  independent check of the region the curves bound;
- the switch: at the working point (eta_e, J_ee) = (-6, 30) the node starts
  on the low state; a brief excitatory pulse on I_e moves it to the high
  state, where it stays after the pulse (persistent activity, the memory);
  a brief negative pulse brings it back.

Files: ``branches.json``/``.npz`` (EP-C, LP-C, H-C, LC-C, HOM-C from the cycles,
HOM-C from the far BT, SNIC-C, HOM-C from the BT near the cusp), ``switch.npz`` (the
simulated switch, bifurc.trajectory/1), ``regimes.npz`` (the simulation grid:
``eta_e``, ``J_ee``, ``classification`` codes of common.ATTRACTOR_CLASSES,
``max_rate_e``: the largest r_e late in each of the two runs, Hz),
``summary.json`` (parameters, pulses, rates before/after each pulse and the
equilibria they match, fold and cusp points, the class codes), and figures
``diagram``, ``folds`` and ``switch`` (PNG and PDF).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

import bifurc as bf

from .common import (ATTRACTOR_CLASSES, classify_attractors, save_figure, unique_legend,
                     write_json, write_npz)

J_EE = 30.0
WORKING_ETA_E = -6.0
ETA_E_RANGE = (-15.0, 5.0)
J_EE_RANGE = (10.0, 40.0)
#: the transient inputs: (amplitude on I_e, start ms, stop ms)
PULSE_ON = (5.0, 200.0, 220.0)
PULSE_OFF = (-5.0, 600.0, 620.0)


def _equilibria_at(model, branch, eta_e):
    """The equilibria of an EP-C branch at ``eta_e`` (Newton-refined from the
    branch points bracketing it), with their stability, ascending in r_e."""
    x = branch.values[:, 0]
    found = []
    compiled = bf.compile_model(model)
    parameters = model.parameters(**{**branch.parameters, "eta_e": eta_e})
    for i in np.flatnonzero((x[:-1] - eta_e) * (x[1:] - eta_e) <= 0):
        w = (eta_e - x[i]) / (x[i + 1] - x[i]) if x[i + 1] != x[i] else 0.0
        guess = (1 - w) * branch.states[i] + w * branch.states[i + 1]
        state = bf.find_equilibrium(model, parameters, guess=guess)
        eigenvalues = np.linalg.eigvals(compiled.jacobian(state, parameters.values))
        if not any(np.allclose(state, other, rtol=1e-8) for other, _ in found):
            found.append((state, bool(np.all(eigenvalues.real < 0))))
    return sorted(found, key=lambda item: item[0][0])


def run(out: Path, quick: bool) -> list[Path]:
    """Compute, check by simulation, plot and save (see the module docstring)."""
    import matplotlib.pyplot as plt

    out = Path(out)
    model = bf.load_model("ei")
    base = model.parameters(J_ee=J_EE, eta_e=ETA_E_RANGE[0])
    bounds = {"eta_e": ETA_E_RANGE, "J_ee": J_EE_RANGE}
    progress = tqdm(total=4, desc="bistable", unit="step")
    equilibria = bf.continue_equilibria(model, base, free="eta_e", bounds=ETA_E_RANGE)
    progress.update()
    # the fold curve a little beyond the window: its second Bogdanov-Takens
    # point (eta_e ~ -16) starts the homoclinic curve of the saddle
    wide = {"eta_e": (-20.0, ETA_E_RANGE[1]), "J_ee": J_EE_RANGE}
    fold = bf.continue_curve(model, equilibria["LP1"], free=("eta_e", "J_ee"), bounds=wide)
    bt_near_cusp, bt_far = sorted((p for p in fold.special_points if p.kind == "BT"),
                                  key=lambda p: p.parameters["J_ee"])
    hopf = bf.continue_curve(model, equilibria["H1"], free=("eta_e", "J_ee"), bounds=bounds)
    # the unstable cycles of the subcritical H1 end on a homoclinic orbit to the
    # middle saddle; HOM-C continues it in (eta_e, J_ee)
    cycles = bf.continue_cycles(model, equilibria["H1"], bounds=ETA_E_RANGE)
    # (T, the cycle's period, stays fixed: the curve ends where T gets too
    # short for the saddle's rates, towards the BT point)
    homoclinic = bf.continue_curve(model, cycles["HOM1"], free=("eta_e", "J_ee"), bounds=bounds)
    # the same curve from the far BT point (asymptotic orbit, T = 14 / eps,
    # long): it ends on the other fold curve at NCH1, where the SNIC curve
    # begins and runs along the fold to a second NCH point, where the
    # homoclinic curve born at the BT point near the cusp ends as well
    options = bf.ContinuationOptions(step_size=0.01, max_step_size=0.5, max_points=1000)
    from_bt_far = bf.continue_curve(model, bt_far, free=("eta_e", "J_ee"), bounds=wide,
                                    options=options)
    snic = bf.continue_curve(model, from_bt_far["NCH1"], free=("eta_e", "J_ee"), bounds=bounds,
                             options=options)
    from_bt = bf.continue_curve(model, bt_near_cusp, free=("eta_e", "J_ee"), bounds=bounds,
                                options=options)
    progress.update()
    files = list(bf.save_branches([equilibria, fold, hopf, cycles, homoclinic, from_bt_far,
                                   snic, from_bt], out))

    # the switch at the working point
    working = model.parameters(J_ee=J_EE, eta_e=WORKING_ETA_E)
    states = _equilibria_at(model, equilibria, WORKING_ETA_E)
    stable = [state for state, is_stable in states if is_stable]
    if len(stable) != 2:
        raise bf.SimulationError(f"expected two stable equilibria at eta_e = {WORKING_ETA_E}, "
                                 f"found {len(stable)}")
    low, high = stable
    stimuli = [bf.Stimulus("I_e", amplitude, start=start, stop=stop)
               for amplitude, start, stop in (PULSE_ON, PULSE_OFF)]
    duration = 1000.0
    switch = bf.simulate(model, working, duration=duration, integrator=bf.RK4(dt=0.05),
                         initial_state=low, sample_interval=0.5, stimuli=stimuli, progress=False)
    files.append(switch.save(out / "switch.npz"))
    progress.update()

    def rate_at(t):
        return float(switch["r_e"][np.searchsorted(switch.time, t), 0])

    checkpoints = {"before_on": PULSE_ON[1] - 1.0, "after_on": PULSE_OFF[1] - 1.0,
                   "after_off": duration}
    measured = {name: rate_at(t) for name, t in checkpoints.items()}

    # the regime map by simulation
    n_eta, n_J = (9, 7) if quick else (41, 31)
    eta_grid = np.linspace(*ETA_E_RANGE, n_eta)
    J_grid = np.linspace(*J_EE_RANGE, n_J)
    codes = np.zeros((n_J, n_eta), dtype=int)
    finals = np.zeros((n_J, n_eta, 2))
    grid_duration = 600.0 if quick else 1500.0
    for (j, J), (i, eta) in tqdm([(a, b) for a in enumerate(J_grid) for b in enumerate(eta_grid)],
                                 desc="regime map", unit="pt", leave=False):
        result = classify_attractors(model, model.parameters(J_ee=J, eta_e=eta), (low, high),
                                     grid_duration, "r_e")
        codes[j, i] = result["code"]
        finals[j, i] = [high for _, high in result["ranges"]]
    regimes_path = out / "regimes.npz"
    write_npz(regimes_path, eta_e=eta_grid, J_ee=J_grid, classification=codes,
             max_rate_e=1000 * finals)
    files.append(regimes_path)
    progress.update()
    progress.close()

    summary = {
        "model": "ei", "parameters": dict(working),
        "working_point": {"eta_e": WORKING_ETA_E, "J_ee": J_EE},
        "pulses": [{"parameter": "I_e", "amplitude": a, "start_ms": s, "stop_ms": e}
                   for a, s, e in (PULSE_ON, PULSE_OFF)],
        "stable_equilibria_r_e_hz": {"low": 1000 * float(low[0]), "high": 1000 * float(high[0])},
        "stable_equilibria": {"low": low.tolist(), "high": high.tolist(),
                              "state_names": list(model.state_names)},
        "checkpoints_ms": checkpoints,
        "simulated_r_e_hz": {name: 1000 * value for name, value in measured.items()},
        "special_points": {branch.kind: [{"label": p.label, "kind": p.kind,
                                          **{k: p.parameters[k] for k in branch.free}}
                                         for p in branch.special_points]
                           for branch in (equilibria, fold, hopf, homoclinic, snic)},
        "homoclinic_from_bt": [{"start": bt.label, "end": curve.special_points[-1].label,
                                **{k: curve.special_points[-1].parameters[k] for k in curve.free}}
                               for bt, curve in ((bt_far, from_bt_far), (bt_near_cusp, from_bt))],
        # two different boundary-value problems end at the same codim-2 point
        "nch_where_the_snic_curve_meets_the_bt_homoclinic_curve": {
            "snic_c_end": dict(zip(snic.free, map(float, min(snic.values[[0, -1]],
                                                             key=lambda v: v[1])))),
            "hom_c_from_bt_end": {k: float(from_bt["NCH1"].parameters[k])
                                  for k in from_bt.free}},
        "homoclinic_at_working_J_ee": {
            "eta_e": float(homoclinic.values[np.argmin(np.abs(homoclinic.values[:, 1] - J_EE)), 0]),
            "cycle_family_estimate": cycles["HOM1"].data["estimate"],
            "cycle_family_uncertainty": cycles["HOM1"].data["uncertainty"]},
        "regime_classes": {str(k): v for k, v in ATTRACTOR_CLASSES.items()},
        "regime_map_duration_ms": grid_duration,
        "regime_map_starts": "the low and high stable equilibria of the working point",
    }
    files.append(write_json(out / "summary.json", summary))

    # figure: one-parameter diagram at J_ee = 30
    figure = bf.plot.diagram([equilibria], "r_e", model)
    ax = figure.axes[0]
    ax.set_yscale("log")
    ax.axvline(WORKING_ETA_E, color="0.4", lw=0.8, ls=":", label=f"eta_e = {WORKING_ETA_E:g}")
    ax.set_xlabel("eta_e (mean excitability of E, dimensionless)")
    ax.set_title(f"ei, J_ee = {J_EE:g}: low and high states (stable solid)")
    unique_legend(ax, loc="upper left", fontsize="small")
    files += save_figure(figure, out, "diagram")

    # figure: the fold curves bounding the bistable region, and the simulated regimes
    figure, ax = plt.subplots(figsize=(7.0, 5.0))
    colours = {0: "0.85", 1: "tab:red", 2: "tab:blue", 3: "tab:purple", 4: "tab:cyan"}
    mesh_eta, mesh_J = np.meshgrid(eta_grid, J_grid)
    for code, colour in colours.items():
        mask = codes == code
        if mask.any():
            ax.scatter(mesh_eta[mask], mesh_J[mask], s=12 if not quick else 30, color=colour,
                       alpha=0.55, lw=0, label=f"simulated: {ATTRACTOR_CLASSES[code]}")
    # the Hopf curve is that of the upper state; the homoclinic curve bounds its cycles
    bf.plot.two_parameter([fold, hopf, homoclinic, from_bt_far, snic, from_bt], ax=ax)
    ax.plot([WORKING_ETA_E], [J_EE], "k*", ms=12, label="switch simulation")
    ax.set_xlim(*ETA_E_RANGE)
    ax.set_ylim(*J_EE_RANGE)
    ax.set_xlabel("eta_e (mean excitability of E, dimensionless)")
    ax.set_ylabel("J_ee (E -> E weight, dimensionless)")
    ax.set_title("ei: folds bounding the bistable region (eta_i = -5)")
    unique_legend(ax, loc="upper right", fontsize="x-small")
    figure.tight_layout()
    files += save_figure(figure, out, "folds")

    # figure: the switch on and off
    figure, axes = plt.subplots(3, 1, sharex=True, figsize=(7.0, 5.6),
                                gridspec_kw={"height_ratios": [3, 2, 1]})
    for axis, name, index in ((axes[0], "r_e", 0), (axes[1], "r_i", 3)):
        axis.plot(switch.time, 1000 * switch[name][:, 0], color="k", lw=1.2, label="simulation")
        for label, state, colour in (("low", low, "tab:blue"), ("high", high, "tab:red")):
            axis.axhline(1000 * state[index], color=colour, ls="--", lw=0.9,
                         label=f"stable equilibrium ({label})")
        axis.set_ylabel(f"{name} (Hz)")
        axis.set_yscale("log")
        axis.grid(alpha=0.3)
    drive = np.zeros_like(switch.time)
    for amplitude, start, stop in (PULSE_ON, PULSE_OFF):
        drive[(switch.time >= start) & (switch.time < stop)] += amplitude
        for axis in axes:
            axis.axvspan(start, stop, color="gold", alpha=0.3, lw=0)
    axes[2].plot(switch.time, drive, color="tab:green", lw=1.2)
    axes[2].set_ylabel("I_e (dimensionless)")
    axes[2].set_xlabel("time (ms)")
    axes[2].grid(alpha=0.3)
    axes[0].legend(loc="center right", fontsize="x-small")
    axes[0].set_title(f"ei at eta_e = {WORKING_ETA_E:g}, J_ee = {J_EE:g}: switched on and off "
                      "by brief pulses")
    figure.tight_layout()
    files += save_figure(figure, out, "switch")
    return files
