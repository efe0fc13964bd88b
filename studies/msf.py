"""Study `msf`: the master stability function of the `ei` PING node on a real
connectome (tvb76 by default).

The homogeneous (synchronous) system dx/dt = f(x) + eps H x at eps = 2 is
continued in eta_e: its equilibria (EP-C) and the PING cycles born at the Hopf
point H1 (LC-C). Along both, the growth rate of every perturbation mode is
computed (the MSF: max Re eig(Df + eps L H) on equilibria, the largest
non-trivial Floquet exponent of xi' = (Df(x(t)) + eps L H) xi on cycles), for a
grid of L in [-1, 1] and for the connectome's eigenvalues L_k; the
transverse-instability points (TI), where a connectome mode starts to grow,
are located on the branches, and the first one is continued in (eps, eta_e):
that mode's synchrony boundary.

Figures: `dispersion` (growth rate against L for the resting state and for the
PING cycle, with the connectome's modes), `msf_map` (the MSF over the
(eta_e, L) plane along both branches, with the TI points), `unstable_modes`
(the regions taking part in the most unstable modes, drawn at their centres)
and `synchrony_boundary` (the TI-C curve with the Hopf curve of the
homogeneous system). Data: `branches.json`/`.npz` (EP-C, LC-C with TI points,
TI-C, H-C), `msf.npz` (growth rates) and `msf.json` (summary).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: the coupling strength and the two states whose dispersion relations are shown
EPS = 2.0
REST_ETA_E = -5.0
CONNECTOME = "tvb76"


def _settings(quick: bool) -> dict:
    if quick:  # the symmetric tvb66 (real modes) keeps the test run short
        return {"connectome": "tvb66", "ntst": 25, "grid": np.linspace(-1, 1, 41), "cycle_step": 0.1,
                "cycle_points": 260, "curve_points": 40}
    return {"connectome": CONNECTOME, "ntst": 50, "grid": np.linspace(-1, 1, 201), "cycle_step": 0.05,
            "cycle_points": 400, "curve_points": 400}


def _continue(homogeneous, settings):
    import bifurc as bf

    eq = bf.continue_equilibria(homogeneous, homogeneous.parameters(eps=EPS, eta_e=-10.0),
                                free="eta_e", bounds=(-10, 30))
    cycles = bf.continue_cycles(homogeneous, eq["H1"], bounds=(-10, 30), ntst=settings["ntst"],
                                options=bf.ContinuationOptions(
                                    step_size=settings["cycle_step"], max_step_size=0.5,
                                    max_points=settings["cycle_points"]))
    return eq, cycles


def _unstable_cycle_point(cycles, growth):
    """Index of a cycle where connectome modes grow: halfway (in eta_e) between the
    first transverse-instability point and the end of the branch, or else the
    point with the most growing modes."""
    transverse = [p for p in cycles.special_points if p.kind == "TI"]
    if transverse:
        eta = cycles.values[:, 0]
        target = 0.5 * (transverse[0].parameters["eta_e"] + eta.max())
        return int(np.argmin(np.abs(eta - target)))
    unstable = np.nan_to_num(growth, nan=-np.inf) > 0
    return int(np.argmax(unstable.sum(axis=1)))


def run(out: Path, quick: bool) -> list[Path]:
    import matplotlib.pyplot as plt
    from tqdm.auto import tqdm

    import bifurc as bf
    from bifurc.connectome import load_connectome
    from bifurc.msf import (cycle_msf, dispersion_relation, growth_with_transverse_rows,
                            homogeneous_model, locate_transverse_points, msf_along_branch,
                            orbit_at)

    from .common import save_figure, write_json

    settings = _settings(quick)
    grid = settings["grid"]
    node = bf.load_model("ei")
    homogeneous = homogeneous_model(node)
    connectome = load_connectome(settings["connectome"], remove_isolated=True)
    modes, vectors = connectome.modes()
    steps = tqdm(total=6, desc="msf study", leave=False)

    eq, cycles = _continue(homogeneous, settings)
    steps.update()
    located, growth, mode_growth = [], {}, {}
    for kind, branch in (("EP-C", eq), ("LC-C", cycles)):
        before = msf_along_branch(node, branch, modes, homogeneous=homogeneous)
        located.append(locate_transverse_points(node, branch, modes, homogeneous=homogeneous,
                                                growth=before))
        mode_growth[kind] = growth_with_transverse_rows(node, before, located[-1], modes,
                                                        homogeneous=homogeneous)
        growth[kind] = msf_along_branch(node, located[-1], grid, homogeneous=homogeneous)
        steps.update()
    eq, cycles = located

    # the two homogeneous states of the dispersion figure
    rest = int(np.argmin(np.abs(eq.values[:, 0] - REST_ETA_E)))
    rest_parameters = dict(eq.parameters, eta_e=float(eq.values[rest, 0]))
    rest_growth = dispersion_relation(node, rest_parameters, eq.states[rest], grid,
                                      homogeneous=homogeneous)[0]
    rest_modes = dispersion_relation(node, rest_parameters, eq.states[rest], modes,
                                     homogeneous=homogeneous)[0]
    ping = _unstable_cycle_point(cycles, mode_growth["LC-C"])
    orbit = orbit_at(cycles, ping)
    ping_growth = cycle_msf(node, orbit, grid, homogeneous=homogeneous)[0]
    ping_modes = mode_growth["LC-C"][ping]
    unstable = np.flatnonzero(ping_modes > 0)
    unstable = unstable[np.argsort(-ping_modes[unstable])]

    # the synchrony boundary of the first mode that loses stability on the cycles
    transverse = [p for p in cycles.special_points if p.kind == "TI"]
    curves = []
    if transverse:
        curves.append(bf.continue_curve(
            homogeneous, transverse[0], free=("eps", "eta_e"),
            bounds={"eps": (0.5, 4.0), "eta_e": (-10, 30)},
            options=bf.ContinuationOptions(step_size=0.01, max_step_size=0.2,
                                           max_points=settings["curve_points"])))
    for hopf in ("H1", "H2"):
        curves.append(bf.continue_curve(homogeneous, eq[hopf], free=("eps", "eta_e"),
                                        bounds={"eps": (0.5, 4.0), "eta_e": (-10, 30)},
                                        options=bf.ContinuationOptions(
                                            max_points=settings["curve_points"])))
    steps.update()

    files = list(bf.save_branches([eq, cycles, *curves], out))
    arrays = {"L": grid, "modes": modes, "EP-C/growth_rate": growth["EP-C"],
              "LC-C/growth_rate": growth["LC-C"], "EP-C/mode_growth_rate": mode_growth["EP-C"],
              "LC-C/mode_growth_rate": mode_growth["LC-C"], "rest/growth_rate": rest_growth,
              "ping/growth_rate": ping_growth, "ping/mode_growth_rate": ping_modes}
    np.savez_compressed(out / "msf.npz", **arrays)
    files.append(out / "msf.npz")

    def regions(k):
        weight = np.abs(vectors[:, k])
        return [connectome.labels[i] for i in np.argsort(-weight)[:5]] if connectome.labels else []

    summary = {
        "schema": "bifurc.study-msf/1", "model": node.name, "connectome": settings["connectome"],
        "n_regions": connectome.n_regions, "eps": EPS, "quick": quick,
        "rest": {"eta_e": rest_parameters["eta_e"],
                 "largest_mode_growth_rate": float(np.max(rest_modes[1:]))},
        "ping": {"eta_e": float(cycles.values[ping, 0]), "period_ms": orbit.period,
                 "frequency_hz": 1000.0 / orbit.period,
                 "unstable_modes": [{"mode": int(k), "L": [modes[k].real, modes[k].imag],
                                     "growth_rate": float(ping_modes[k]),
                                     "top_regions": regions(k)} for k in unstable]},
        "transverse_points": [{"label": p.label, "branch": p.branch_kind,
                               "eta_e": p.parameters["eta_e"], "mode": p.data["mode"],
                               "L": p.data["L"], "crossing": p.data["crossing"],
                               "direction": p.data["direction"]}
                              for b in (eq, cycles) for p in b.special_points if p.kind == "TI"],
        "synchrony_boundary": ({"mode": transverse[0].data["mode"], "L": transverse[0].data["L"],
                                "points": len(curves[0]),
                                "eps_range": [float(curves[0].values[:, 0].min()),
                                              float(curves[0].values[:, 0].max())]}
                               if curves[0].kind == "TI-C" else None),
    }
    files.append(write_json(out / "msf.json", summary))

    # dispersion relations
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=False)
    for ax, curve, at_modes, title in (
            (axes[0], rest_growth, rest_modes,
             f"resting state, eta_e = {rest_parameters['eta_e']:.3g}"),
            (axes[1], ping_growth, ping_modes,
             f"PING cycle, eta_e = {cycles.values[ping, 0]:.4g} ({1000 / orbit.period:.3g} Hz)")):
        ax.plot(grid, curve, color="k", lw=1.5, label="MSF (real L)")
        ax.scatter(modes.real, at_modes, s=12, c=np.abs(modes.imag), cmap="viridis",
                   label=f"{settings['connectome']} modes (colour: |Im L|)", zorder=3)
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_xlabel("L (eigenvalue of W; real part)")
        ax.set_ylabel("growth rate (1/ms)")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize="small")
    figure.tight_layout()
    files += save_figure(figure, out, "dispersion")

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.0))
    for ax, kind, branch in ((axes[0], "EP-C", eq), (axes[1], "LC-C", cycles)):
        bf.plot.msf_map(branch, grid, growth[kind], modes=modes.real, ax=ax)
        ax.set_xlabel("eta_e (mV)")
        ax.set_title(f"{kind}: {'equilibria' if kind == 'EP-C' else 'PING cycles'}, "
                     f"eps = {EPS:g}", fontsize=10)
    files += save_figure(figure, out, "msf_map")

    shown = []  # the most unstable modes, one of each complex-conjugate pair
    for k in unstable:
        if not any(np.isclose(modes[k], np.conj(modes[j])) for j in shown):
            shown.append(k)
    shown = shown[:3] or [1]
    figure, axes = plt.subplots(1, len(shown), figsize=(4.6 * len(shown), 4.2), squeeze=False)
    centres = connectome.centres
    for ax, k in zip(axes[0], shown):
        weight = np.abs(vectors[:, k])
        if centres is not None:
            image = ax.scatter(centres[:, 0], centres[:, 1], c=weight, s=25 + 200 * weight,
                               cmap="magma_r")
            ax.set_xlabel("x (mm)")
            ax.set_ylabel("y (mm)")
            ax.set_aspect("equal")
        else:
            image = ax.scatter(np.arange(len(weight)), weight, c=weight, cmap="magma_r")
            ax.set_xlabel("region")
        figure.colorbar(image, ax=ax, label="|eigenvector entry|")
        ax.set_title(f"mode {k}: L = {modes[k]:.3g}\ngrowth rate {ping_modes[k]:.2g} /ms",
                     fontsize=9)
    figure.suptitle(f"most unstable modes of the PING cycle at eta_e = {cycles.values[ping, 0]:.4g}"
                    f" (top view of the region centres)", fontsize=10)
    figure.tight_layout()
    files += save_figure(figure, out, "unstable_modes")

    figure, ax = plt.subplots(figsize=(6.4, 4.6))
    bf.plot.two_parameter(curves, ax=ax)
    ax.set_xlabel("eps (global coupling)")
    ax.set_ylabel("eta_e (mV)")
    ax.set_title("synchrony boundary of the first mode to lose stability", fontsize=10)
    if curves[0].kind == "TI-C":  # label the regions, placed from the curves themselves
        def height(kind, eps, pick):
            values = [np.interp(eps, *c.values[np.argsort(c.values[:, 0])].T)
                      for c in curves if c.kind == kind]
            return pick(values)

        labels = ((1.5, 0.5 * (height("H-C", 1.5, min) + height("TI-C", 1.5, min)),
                   "synchronous PING"),
                  (3.5, 0.5 * (height("TI-C", 3.5, min) + height("H-C", 3.5, max)),
                   "PING,\nsynchrony lost"),
                  (1.5, height("H-C", 1.5, max) + 2.0, "rest (high activity)"),
                  (2.5, height("H-C", 2.5, min) - 1.5, "rest"))
        for x, y, text in labels:
            ax.text(x, y, text, ha="center", va="center", fontsize=9,
                    bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})
        ax.set_ylim(min(ax.get_ylim()[0], labels[-1][1] - 1.5), ax.get_ylim()[1])
    files += save_figure(figure, out, "synchrony_boundary")
    steps.update(2)
    steps.close()
    return files
