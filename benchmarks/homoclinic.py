"""Benchmark: the homoclinic curve (HOM-C) of the bistable `ei` node
(J_ee = 30 start) in (eta_e, J_ee), bifurc vs AUTO-07p HomCont on the same
curve: the same start orbit, truncation time T, NTST, NCOL, free parameters,
window (J_ee in [29, 31]) and step settings.

    python benchmarks/homoclinic.py [--repeats 3]

Reports wall times (bifurc: `continue_homoclinic` from the corrected start,
both directions, excluding the one-time kernel load; AUTO: both HomCont runs,
process start-up included, excluding the compilation of its equation file),
the ratio, the points each computed, and the agreement of the curves.
"""

import time

import numpy as np
from scipy.interpolate import CubicSpline

import bifurc as bf
from bifurc import auto07p
from bifurc.continuation import ContinuationOptions
from bifurc.continuation.homoclinic import continue_homoclinic, homoclinic_point

from against_auto import arguments


def main():
    args = arguments(__doc__)

    ei = bf.load_model("ei")
    branches = bf.bifurcation_diagram(ei, ei.parameters(J_ee=30, eta_e=-10), "eta_e",
                                      (-10, 30), depth=1, follow=("H",))
    hom = branches[1]["HOM1"]
    free, window = ("eta_e", "J_ee"), {"eta_e": (-15.0, 5.0), "J_ee": (29.0, 31.0)}
    # the corrected start at J_ee = 30, as both engines' starting orbit
    fine = continue_homoclinic(ei, hom, free, window,
                               options=ContinuationOptions(step_size=0.01, max_step_size=0.02,
                                                           max_points=400))
    start = homoclinic_point(fine, int(np.flatnonzero(fine.values[:, 1] == 30.0)[0]))
    options = ContinuationOptions(step_size=args.ds, min_step_size=1e-6,
                                  max_step_size=args.ds_max, max_points=400)
    t0 = time.perf_counter()
    continue_homoclinic(ei, start, free, window, options=options)
    first = time.perf_counter() - t0
    ours_times, auto_times = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ours = continue_homoclinic(ei, start, free, window, options=options)
        ours_times.append(time.perf_counter() - t0)
        auto = auto07p.continue_homoclinic_auto(ei, start, free, (window["eta_e"],
                                                                  window["J_ee"]),
                                                ds=args.ds, ds_max=args.ds_max, max_points=400)
        auto_times.append(auto["run_seconds"])
    auto_points = sum(len(v) for v in auto["values"].values())
    print(f"ei HOM-C in (eta_e, J_ee), J_ee in [29, 31] from J_ee = 30; NTST = {auto['ntst']}, "
          f"NCOL = {auto['ncol']}, T = {auto['period']:.6g} ms; DS = {args.ds}, "
          f"DSMAX = {args.ds_max}")
    print(f"| engine | points | J_ee covered | best of {args.repeats} (s) | per point (ms) |")
    print("|---|---|---|---|---|")
    print(f"| bifurc | {len(ours)} | {ours.values[:, 1].min():.4f} .. "
          f"{ours.values[:, 1].max():.4f} | {min(ours_times):.4f} | "
          f"{1000 * min(ours_times) / len(ours):.2f} |")
    covered = np.concatenate([v[:, 1] for v in auto["values"].values()])
    print(f"| AUTO-07p HomCont | {auto_points} | {covered.min():.4f} .. {covered.max():.4f} | "
          f"{min(auto_times):.4f} | {1000 * min(auto_times) / auto_points:.2f} |")
    print(f"ratio bifurc / AUTO-07p (wall time): {min(ours_times) / min(auto_times):.2f}")
    print(f"bifurc first call: {first:.3f} s; AUTO compile of the equation file: "
          f"{auto['compile_seconds']:.3f} s")
    order = np.argsort(fine.values[:, 1])
    eta_of = CubicSpline(fine.values[order, 1], fine.values[order, 0])
    gap = max(np.abs(v[:, 0] - eta_of(v[:, 1])).max() for v in auto["values"].values())
    print(f"agreement: max |eta_e(AUTO) - eta_e(bifurc)| at AUTO's points = {gap:.2e} "
          f"(bifurc's curve through points 0.02 apart, cubic spline)")


if __name__ == "__main__":
    main()
