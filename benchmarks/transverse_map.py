"""Benchmark: a transverse-instability map of the `ei` homogeneous system over
(eta_e, eps) at the tvb66 modes, bifurc's map (continuation along the rows,
simulation only where that fails) vs the point-by-point method of the seed
paper (simulate every point, then integrate the variational equations of
every mode along it; here with bifurc's own numba kernel, so the comparison
is of the methods, not of the implementations).

    python benchmarks/transverse_map.py [--n-eta 13] [--n-eps 7] [--sample 10]

The point-by-point method is timed on ``--sample`` points spread over the
grid and its time per point is multiplied by the grid size. Reports both
(one process; the map also on two), the ratio, the agreement of the largest
growth rate on the sampled points, and the time the map would need at the
seed paper's resolution (eta_e in [0, 16] x eps in [0, 30], step 0.05).
"""

import argparse
import platform
import time

import numpy as np

import bifurc as bf
from bifurc.connectome import load_connectome
from bifurc.continuation.attractors import find_attractor
from bifurc.msf import homogeneous_model, transverse_exponents
from bifurc.msf_map import transverse_map


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-eta", type=int, default=13)
    parser.add_argument("--n-eps", type=int, default=7)
    parser.add_argument("--sample", type=int, default=10)
    args = parser.parse_args()
    ei = bf.load_model("ei")
    hom = homogeneous_model(ei)
    modes = load_connectome("tvb66", remove_isolated=True).modes()[0]
    grid = {"eta_e": np.linspace(6.0, 12.0, args.n_eta), "eps": np.linspace(0.0, 3.0, args.n_eps)}
    transverse_map(ei, {"eta_e": grid["eta_e"][:2], "eps": grid["eps"][:1]}, modes,
                   workers=1)  # compile the kernels once (not timed)
    transverse_exponents(ei, hom.parameters(eps=1.0), modes[:2], duration=20, transient=0)
    start = time.perf_counter()
    serial = transverse_map(ei, grid, modes, workers=1)
    t_serial = time.perf_counter() - start
    start = time.perf_counter()
    transverse_map(ei, grid, modes, workers=2)
    t_two = time.perf_counter() - start
    n_points = serial.kind.size

    rng = np.random.default_rng(0)
    picks = rng.choice(n_points, size=min(args.sample, n_points), replace=False)
    differences, spent = [], 0.0
    for flat in picks:
        j, i = np.unravel_index(flat, serial.kind.shape)
        p = hom.parameters(eps=grid["eps"][j], eta_e=grid["eta_e"][i])
        start = time.perf_counter()
        attractor = find_attractor(hom, p)
        result = transverse_exponents(ei, p, modes, state=attractor.state)
        spent += time.perf_counter() - start
        differences.append((abs(result.exponents.max() - serial.growth_max[j, i]),
                            3 * result.uncertainty[np.argmax(result.exponents)]))
    t_point = spent / len(picks)
    t_peer = t_point * n_points
    paper_points = len(np.arange(0, 16.0001, 0.05)) * len(np.arange(0, 30.0001, 0.05))
    within = sum(d <= tol + 1e-4 for d, tol in differences)
    print(f"machine: {platform.processor() or platform.machine()}, {bf.__version__}")
    print(f"grid {args.n_eta} x {args.n_eps} = {n_points} points, {len(modes)} modes (tvb66)")
    print(f"map, 1 process:  {t_serial:8.2f} s  ({1000 * t_serial / n_points:.1f} ms/point; "
          f"{int(serial.simulated.sum())} points simulated, the rest continued)")
    print(f"map, 2 processes: {t_two:7.2f} s")
    print(f"point by point (simulation + variational, {len(picks)} sampled points): "
          f"{1000 * t_point:.0f} ms/point -> {t_peer:.1f} s for the grid")
    print(f"ratio map / point-by-point (1 process): {t_serial / t_peer:.3f}")
    print(f"largest growth rate, sampled points: {within} of {len(picks)} within 3 "
          f"uncertainties + 1e-4 (max difference {max(d for d, _ in differences):.2e}/ms)")
    print(f"seed paper's grid ({paper_points} points): map {t_serial / n_points * paper_points / 2 / 3600:.1f} h "
          f"on 2 processes, point by point {t_point * paper_points / 2 / 3600:.1f} h")


if __name__ == "__main__":
    main()
