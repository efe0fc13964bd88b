"""Benchmark: the `ei` equilibrium branch (EP-C) with its special points,
bifurc vs AUTO-07p on the same range and step settings.

    python benchmarks/continuation_equilibria.py [--repeats 5]

Reports wall times (bifurc excluding the one-time numba compile, AUTO
excluding the compilation of its equation file), the ratio, the number of
points each computed, and the agreement of the special points.
"""

import time

import numpy as np

import bifurc as bf
from bifurc import auto07p
from bifurc.continuation import ContinuationOptions, continue_equilibria, find_equilibrium

from against_auto import arguments


def main():
    args = arguments(__doc__, repeats=5, lower=-10.0, upper=30.0)

    model = bf.load_model("ei")
    parameters = model.parameters(eta_e=args.lower)
    bounds = (args.lower, args.upper)
    options = ContinuationOptions(step_size=args.ds, min_step_size=1e-6, max_step_size=args.ds_max,
                                  max_points=5000)
    start = find_equilibrium(model, parameters)

    t0 = time.perf_counter()
    continue_equilibria(model, parameters, "eta_e", bounds, start=start, options=options)
    first = time.perf_counter() - t0  # includes loading/compiling the kernels
    ours_times, theirs_times = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ours = continue_equilibria(model, parameters, "eta_e", bounds, start=start, options=options)
        ours_times.append(time.perf_counter() - t0)
        theirs = auto07p.continue_equilibria_auto(model, parameters.values, start, "eta_e", bounds,
                                                  ds=args.ds, ds_min=1e-6, ds_max=args.ds_max,
                                                  max_points=5000)
        theirs_times.append(theirs["seconds"])
    ours_t, theirs_t = min(ours_times), min(theirs_times)
    print(f"ei EP-C in eta_e over [{args.lower}, {args.upper}], ds = {args.ds}, ds_max = {args.ds_max}")
    print(f"| engine | points | best of {args.repeats} (s) | per point (ms) |")
    print("|---|---|---|---|")
    print(f"| bifurc | {len(ours)} | {ours_t:.4f} | {1000 * ours_t / len(ours):.3f} |")
    n_auto = len(theirs["points"]["par"])
    print(f"| AUTO-07p | {n_auto} | {theirs_t:.4f} | {1000 * theirs_t / n_auto:.3f} |")
    print(f"ratio bifurc / AUTO-07p (wall time): {ours_t / theirs_t:.2f}; "
          f"per point: {(ours_t / len(ours)) / (theirs_t / n_auto):.2f}")
    print(f"bifurc first call (loads/compiles kernels): {first:.3f} s; "
          f"AUTO compile of the equation file: {theirs.get('compile_seconds', float('nan')):.3f} s")
    auto_points = [p for p in theirs["special_points"] if p["type"] in ("LP", "HB")]
    for point in ours.special_points:
        match = min(auto_points, key=lambda p: abs(p["par"] - point.parameters["eta_e"]))
        diff = abs(match["par"] - point.parameters["eta_e"])
        state = np.abs(match["state"] - point.state).max() / np.abs(point.state).max()
        print(f"{point.label}: bifurc eta_e = {point.parameters['eta_e']:.12f}, AUTO {match['type']} "
              f"{match['par']:.12f}, |diff| = {diff:.1e}, state rel. diff = {state:.1e}")


if __name__ == "__main__":
    main()
