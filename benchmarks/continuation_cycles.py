"""Benchmark: the `ei` limit-cycle branch (LC-C) from the Hopf point H2,
bifurc vs AUTO-07p with the same discretisation and step settings.

    python benchmarks/continuation_cycles.py [--repeats 3] [--points 200]

Both engines: NTST = 50, NCOL = 4, DS = 0.01, DSMIN = 1e-6, DSMAX = 0.5,
NMX = 200 points, mesh adaptation every third step. Reports wall times
(bifurc excluding the one-time numba compile, AUTO excluding the compilation
of its equation file; AUTO's time includes its short equilibrium run that
labels the Hopf point), the ratio, the points and parameter range each
covered, and the agreement: the period at common parameter values (AUTO's
period interpolated by a cubic spline onto bifurc's parameter values) and the
cycle bifurcations (LPC/PD/NS vs AUTO's LP/PD/TR).
"""

import time

import numpy as np
from scipy.interpolate import CubicSpline

import bifurc as bf
from bifurc import auto07p
from bifurc.continuation import ContinuationOptions, continue_equilibria
from bifurc.continuation.cycles import continue_cycles

from against_auto import arguments

KINDS = {"LPC": "LP", "PD": "PD", "NS": "TR"}


def main():
    args = arguments(__doc__, points=200, ntst=50, ncol=4, ds_min=1e-6, ds_max=0.5)

    model = bf.load_model("ei")
    bounds = (-10.0, 30.0)
    eq = continue_equilibria(model, model.parameters(eta_e=-10), free="eta_e", bounds=bounds)
    hopf = eq["H2"]
    options = ContinuationOptions(step_size=args.ds, min_step_size=args.ds_min,
                                  max_step_size=args.ds_max, max_points=args.points,
                                  both_directions=False)
    settings = dict(ntst=args.ntst, ncol=args.ncol)

    t0 = time.perf_counter()
    continue_cycles(model, hopf, bounds=bounds, options=options, **settings)
    first = time.perf_counter() - t0  # includes compiling/loading the numba kernels
    ours_times, theirs_times, cycle_times = [], [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ours = continue_cycles(model, hopf, bounds=bounds, options=options, **settings)
        ours_times.append(time.perf_counter() - t0)
        theirs = auto07p.continue_cycles_auto(
            model, hopf.parameters, hopf.state, "eta_e", bounds, ds=args.ds,
            ds_min=args.ds_min, ds_max=args.ds_max, max_points=args.points, **settings)
        theirs_times.append(theirs["seconds"])
        cycle_times.append(theirs["cycle_seconds"])
    ours_t, theirs_t = min(ours_times), min(theirs_times)

    par_ours, period_ours = ours.values[:, 0], ours.extra["period"]
    par_auto, period_auto = theirs["points"]["par"], theirs["points"]["period"]
    n_ours, n_auto = len(par_ours), len(par_auto)
    print(f"ei LC-C from H2 (eta_e = {hopf.parameters['eta_e']:.10f}) in eta_e, bounds {bounds}, "
          f"NTST = {args.ntst}, NCOL = {args.ncol}, DS = {args.ds}, DSMIN = {args.ds_min}, "
          f"DSMAX = {args.ds_max}, NMX = {args.points}")
    print(f"| engine | points | eta_e covered | period covered (ms) | best of {args.repeats} (s) "
          "| per point (ms) |")
    print("|---|---|---|---|---|---|")
    for name, n, par, period, t in (("bifurc", n_ours, par_ours, period_ours, ours_t),
                                    ("AUTO-07p", n_auto, par_auto, period_auto, theirs_t)):
        print(f"| {name} | {n} | {par.min():.4f} .. {par.max():.4f} | "
              f"{period.min():.3f} .. {period.max():.3f} | {t:.4f} | {1000 * t / n:.3f} |")
    print(f"ratio bifurc / AUTO-07p (wall time): {ours_t / theirs_t:.2f}; per point: "
          f"{(ours_t / n_ours) / (theirs_t / n_auto):.2f}")
    print(f"bifurc first call (loads/compiles kernels): {first:.3f} s; AUTO compile of the "
          f"equation file: {theirs['compile_seconds']:.3f} s; AUTO periodic run alone: "
          f"{min(cycle_times):.4f} s (the rest labels the Hopf point)")
    if theirs["warnings"]:
        print("AUTO warnings:", "; ".join(theirs["warnings"]))

    order = np.argsort(par_auto)
    if np.all(np.diff(par_auto[order]) > 0):
        spline = CubicSpline(par_auto[order], period_auto[order])
        inside = (par_ours > par_auto.min()) & (par_ours < par_auto.max())
        rel = np.abs(spline(par_ours[inside]) - period_ours[inside]) / period_ours[inside]
        print(f"period at {inside.sum()} common eta_e values (AUTO spline at bifurc's points, "
              f"eta_e in {par_ours[inside].min():.4f} .. {par_ours[inside].max():.4f}): "
              f"max relative difference {rel.max():.1e}, median {np.median(rel):.1e}")
    else:
        print("AUTO's branch is not monotone in eta_e: no interpolated comparison")

    ours_sp = [(p.kind, p.parameters["eta_e"]) for p in ours.special_points if p.kind in KINDS]
    auto_sp = [(p["type"], p["par"]) for p in theirs["special_points"]
               if p["type"] in KINDS.values()]
    print(f"cycle bifurcations: bifurc {ours_sp or 'none'}; AUTO-07p {auto_sp or 'none'}")
    for (kind, value), (auto_kind, auto_value) in zip(ours_sp, auto_sp):
        print(f"  {kind} {value:.10f} vs {auto_kind} {auto_value:.10f}: "
              f"|diff| = {abs(value - auto_value):.1e}")


if __name__ == "__main__":
    main()
