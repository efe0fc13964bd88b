"""Study ``qif-cusp``: equilibria, folds and the cusp of the single QIF population.

The ``qif`` mean field (Montbrio, Pazo & Roxin 2015),

    tau dr/dt = delta / (pi tau) + 2 r v
    tau dv/dt = v^2 + eta + J tau r - (pi tau r)^2 + I,

has its equilibria on v = -delta / (2 pi R) with R = tau r > 0 and

    eta(R) = pi^2 R^2 - J R - delta^2 / (4 pi^2 R^2)          (I = 0),

i.e. the positive roots of pi^2 R^4 - J R^3 - eta R^2 - delta^2 / (4 pi^2) = 0.
Folds are where d eta / dR = 0, which gives the fold curve parametrised by R,

    J(R)   = 2 pi^2 R + delta^2 / (2 pi^2 R^3),
    eta(R) = pi^2 R^2 - J(R) R - delta^2 / (4 pi^2 R^2) = -pi^2 R^2 - 3 delta^2 / (4 pi^2 R^2),

and its two branches meet at the cusp, dJ/dR = 0: R_c^4 = 3 delta^2 / (4 pi^4).
For (eta, J) between the two branches there are three equilibria (two stable:
bistability), outside one.

The study continues equilibria in eta for a few J (EP-C), the fold curve in
(eta, J) (LP-C, with the cusp CP located), and overlays the exact curves.
Files: ``branches.json``/``.npz`` (the EP-C and LP-C branches),
``exact.npz`` (the exact fold curve and equilibrium curves), ``summary.json``
(cusp, fold values and deviations from the exact formulas, region checks),
``equilibria.png/.pdf`` and ``cusp.png/.pdf``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from tqdm import tqdm

import bifurc as bf

from .common import save_figure, unique_legend, write_json, write_npz

#: J values of the one-parameter diagrams (monostable, near the cusp, bistable).
J_VALUES = (5.0, 10.0, 15.0, 20.0)
ETA_RANGE = (-25.0, 5.0)
J_RANGE = (0.0, 30.0)


def exact_fold_curve(rate, tau: float = 1.0, delta: float = 1.0):
    """(eta, J) of the fold at equilibrium rate ``rate`` (kHz, tau in ms).

    With R = tau r: J = 2 pi^2 R + delta^2 / (2 pi^2 R^3),
    eta = pi^2 R^2 - J R - delta^2 / (4 pi^2 R^2).
    """
    R = tau * np.asarray(rate, dtype=float)
    J = 2 * math.pi**2 * R + delta**2 / (2 * math.pi**2 * R**3)
    eta = math.pi**2 * R**2 - J * R - delta**2 / (4 * math.pi**2 * R**2)
    return eta, J


def exact_cusp(tau: float = 1.0, delta: float = 1.0) -> dict:
    """The cusp point: dJ/dR = 0 on the fold curve, R_c = (3 delta^2 / (4 pi^4))^(1/4)."""
    R = (3 * delta**2 / (4 * math.pi**4)) ** 0.25
    eta, J = exact_fold_curve(R / tau, tau, delta)
    return {"eta": float(eta), "J": float(J), "r": R / tau}


def exact_equilibrium_eta(rate, J: float, tau: float = 1.0, delta: float = 1.0):
    """eta at which ``rate`` is an equilibrium rate (the equilibrium curve, parametrised by r)."""
    R = tau * np.asarray(rate, dtype=float)
    return math.pi**2 * R**2 - J * R - delta**2 / (4 * math.pi**2 * R**2)


def exact_equilibrium_rates(eta: float, J: float, tau: float = 1.0, delta: float = 1.0):
    """All equilibrium rates (kHz) at (eta, J), ascending: the positive real roots of
    pi^2 R^4 - J R^3 - eta R^2 - delta^2 / (4 pi^2), divided by tau."""
    roots = np.roots([math.pi**2, -J, -eta, 0.0, -delta**2 / (4 * math.pi**2)])
    real = roots[np.abs(roots.imag) <= 1e-9 * (1 + np.abs(roots))].real
    return np.sort(real[real > 0]) / tau


def run(out: Path, quick: bool) -> list[Path]:
    """Compute, check against the exact formulas, plot and save (see the module docstring)."""
    import matplotlib.pyplot as plt

    out = Path(out)
    model = bf.load_model("qif")
    tau, delta = model.parameters()["tau"], model.parameters()["delta"]
    options = bf.ContinuationOptions(step_size=0.01, max_step_size=0.2 if quick else 0.05)
    steps = tqdm(total=len(J_VALUES) + 1, desc="qif-cusp", unit="curve")
    equilibria = []
    for J in J_VALUES:
        equilibria.append(bf.continue_equilibria(model, model.parameters(eta=ETA_RANGE[0], J=J),
                                                 free="eta", bounds=ETA_RANGE, options=options))
        steps.update()
    bistable_branch = equilibria[J_VALUES.index(15.0)]
    fold = bf.continue_curve(model, bistable_branch["LP1"], free=("eta", "J"),
                             bounds={"eta": ETA_RANGE, "J": J_RANGE}, options=options)
    steps.update()
    steps.close()

    # deviations of the computed curves from the exact formulas
    eta_exact, J_exact = exact_fold_curve(fold.state("r"), tau, delta)
    fold_deviation = float(np.max(np.hypot(fold.parameter("eta") - eta_exact,
                                           fold.parameter("J") - J_exact)))
    cusp = exact_cusp(tau, delta)
    cusps = [p for p in fold.special_points if p.kind == "CP"]
    folds = []
    for J, branch in zip(J_VALUES, equilibria):
        for point in (p for p in branch.special_points if p.kind == "LP"):
            eta_fold, J_fold = exact_fold_curve(point.state[0], tau, delta)
            folds.append({"J": J, "label": point.label, "eta": point.parameters["eta"],
                          "r": float(point.state[0]),
                          "eta_exact_at_r": float(eta_fold), "J_exact_at_r": float(J_fold)})
    equilibrium_deviation = max(
        float(np.max(np.abs(b.parameter("eta")
                            - exact_equilibrium_eta(b.state("r"), J, tau, delta))))
        for J, b in zip(J_VALUES, equilibria))

    # the regions, labelled by counting the exact equilibria (and checked by simulation)
    regions = _regions(model, cusp)

    # exact curves for the overlay
    R_c = cusp["r"] * tau
    rates = np.concatenate([np.geomspace(0.05, R_c, 400), np.geomspace(R_c, 2.0, 400)[1:]]) / tau
    fold_eta, fold_J = exact_fold_curve(rates, tau, delta)
    inside = (fold_J <= J_RANGE[1]) & (fold_eta >= ETA_RANGE[0])
    curve_rates = np.geomspace(1e-3, 2.0, 2000) / tau
    exact_path = out / "exact.npz"
    write_npz(exact_path, fold_rate=rates[inside], fold_eta=fold_eta[inside],
             fold_J=fold_J[inside], cusp=np.array([cusp["eta"], cusp["J"], cusp["r"]]),
             equilibrium_rate=curve_rates, J_values=np.array(J_VALUES),
             equilibrium_eta=np.array([exact_equilibrium_eta(curve_rates, J, tau, delta)
                                       for J in J_VALUES]))

    files = list(bf.save_branches(equilibria + [fold], out)) + [exact_path]
    summary = {
        "model": "qif", "parameters": dict(model.parameters()),
        "J_values": list(J_VALUES), "eta_range": list(ETA_RANGE), "J_range": list(J_RANGE),
        "cusp_exact": cusp,
        "cusp_computed": [{"eta": p.parameters["eta"], "J": p.parameters["J"],
                           "r": float(p.state[0])} for p in cusps],
        "fold_curve_max_deviation": fold_deviation,
        "equilibrium_curve_max_deviation": equilibrium_deviation,
        "folds": folds, "regions": regions,
        "branches": "branches.json: EP-C in eta for each J of J_values, then the LP-C curve",
    }
    files.append(write_json(out / "summary.json", summary))

    # figure 1: equilibria in eta for several J, exact curves overlaid
    figure, ax = plt.subplots(figsize=(6.6, 4.4))
    for number, (J, branch) in enumerate(zip(J_VALUES, equilibria)):
        bf.plot.diagram([branch], "r", model, ax=ax, colour=f"C{number}")
        eta_curve = exact_equilibrium_eta(curve_rates, J, tau, delta)
        keep = (eta_curve >= ETA_RANGE[0]) & (eta_curve <= ETA_RANGE[1])
        ax.plot(eta_curve[keep], 1000 * curve_rates[keep], color="k", lw=0.7, ls=":", zorder=4)
        ax.plot([], [], color=f"C{number}", lw=1.6, label=f"J = {J:g}")
    ax.plot([], [], color="k", lw=0.7, ls=":", label="exact eta(r)")
    ax.set_yscale("log")
    ax.set_xlabel("eta (mean excitability, dimensionless)")
    ax.set_ylabel("r (Hz)")
    ax.set_title("qif: equilibria (stable solid, unstable dashed), folds LP")
    unique_legend(ax, loc="lower right", fontsize="small")
    figure.tight_layout()
    files += save_figure(figure, out, "equilibria")

    # figure 2: the fold curve and the cusp in (eta, J), exact curve overlaid
    figure, ax = plt.subplots(figsize=(6.4, 4.8))
    ax.fill(np.concatenate([fold_eta[inside], [fold_eta[inside][0]]]),
            np.concatenate([fold_J[inside], [fold_J[inside][0]]]), color="tab:red", alpha=0.08,
            lw=0)
    bf.plot.two_parameter([fold], ax=ax)
    ax.plot(fold_eta[inside], fold_J[inside], "k--", lw=0.9, label="exact fold curve")
    ax.plot([cusp["eta"]], [cusp["J"]], "kx", ms=10, mew=1.5, label="exact cusp")
    for region in regions:
        ax.annotate(region["label"], (region["eta"], region["J"]), ha="center", va="center",
                    fontsize=8, bbox={"boxstyle": "round", "fc": "white", "alpha": 0.8})
    ax.set_xlim(*ETA_RANGE)
    ax.set_ylim(*J_RANGE)
    ax.set_xlabel("eta (mean excitability, dimensionless)")
    ax.set_ylabel("J (recurrent weight, dimensionless)")
    ax.set_title(f"qif: folds and cusp (max |computed - exact| = {fold_deviation:.1e})")
    ax.legend(loc="lower left", fontsize="small")
    figure.tight_layout()
    files += save_figure(figure, out, "cusp")
    return files


def _regions(model, cusp) -> list[dict]:
    """Label points: the number of exact equilibria there, and for the bistable one
    the two distinct states that simulations from a low and a high start reach."""
    samples = [("bistable\n(3 equilibria)", -8.0, 22.0),
               ("1 equilibrium\n(low activity)", -15.0, 8.0),
               ("1 equilibrium\n(high activity)", -2.0, 25.0)]
    regions = []
    for label, eta, J in samples:
        rates = exact_equilibrium_rates(eta, J)
        ends = []
        for start in (0.5 * rates[0], 1.5 * rates[-1]):  # below the lowest, above the highest
            run = bf.simulate(model, model.parameters(eta=eta, J=J), duration=100.0,
                              integrator=bf.RK4(dt=0.005), sample_interval=1.0,
                              initial_state=[start, -1.0 / (2 * math.pi * start)])
            ends.append(float(run["r"][-1, 0]))
        regions.append({"label": label, "eta": eta, "J": J, "n_equilibria": int(len(rates)),
                        "equilibrium_rates": rates.tolist(), "simulated_final_rates": ends})
    return regions
