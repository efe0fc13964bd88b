"""Benchmark: the seed paper's transverse-instability map (../shared/docs/paper.md,
computation 4) -- the largest growth rate over 90 modes of the homogeneous
`ei` system with the paper's parameters, over (I_e, eps) at step 0.05 --
bifurc's map against the paper's method, point by point with scipy.

    python benchmarks/transverse_map.py [--rows 6] [--sample 10] [--workers 1]

bifurc: ``transverse_map`` on a band of ``--rows`` full rows of the paper's
grid (I_e in [0, 16] step 0.05, eps rows spread over [0, 30]; 90 real modes
of a symmetric synthetic modular connectome standing in for the AAL-90
file we do not ship), on ``--workers`` processes (one by default, so that
its time per point is measured as the peer's is, alone on the machine). Its
time per point is reported per kind (from the map's own ``seconds``), and
the whole grid's time (321 x 601 points) on the 2 cores here is
extrapolated from the band's mix of kinds (rows are independent: 601 of
them share 2 processes evenly):
equilibria and cycles (the target), and the quasi-periodic/chaotic points
(variational integration, 1000 + 500 ms here) separately.

Peer (the paper's method, as its scripts do it, with scipy): each point is
simulated with solve_ivp (RK45, rtol 1e-8, atol 1e-10) for 1000 ms from the
default state; an equilibrium's growth rates are the eigenvalues of
Df + eps L H; on a cycle the period is measured from the upward crossings of
s_e through its mean and the variational equations of all 90 modes
(d Phi_k/dt = (Df(x(t)) + eps L_k H) Phi_k, Phi_k(0) = I) are integrated
with x(t) over one period in one solve_ivp call, the growth being
log |eig(Phi_k(T))|_max / T. Timed on ``--sample`` equilibrium or cycle
points drawn at random from the band and compared with the map there (the
ratio of the summed times on the same points, and against the band's mean).
"""

import argparse
import math
import platform
import time

import numpy as np
from scipy.integrate import solve_ivp

import bifurc as bf
from bifurc.codegen import compile_model, parameter_vector
from bifurc.connectome import synthetic_connectome
from bifurc.msf import homogeneous_model
from bifurc.msf_map import KINDS, transverse_map

#: the seed paper's values (../shared/docs/paper.md), the `ei` preset
PAPER = dict(bf.load_model("ei").presets["delicado2025"].values)
I_E = np.round(np.arange(0.0, 16.0 + 1e-9, 0.05), 10)
EPS_ROWS = 601


def peer_point(node, hom, modes, I_e, eps):
    """(kind, largest growth rate) by the paper's point-by-point method (module doc)."""
    p = parameter_vector(hom, hom.parameters(preset="delicado2025", I_e=I_e, eps=eps))
    p_node = parameter_vector(node, node.parameters(preset="delicado2025", I_e=I_e))
    compiled, node_compiled = compile_model(hom), compile_model(node)
    H = node_compiled.coupling_matrix(p_node)
    n = hom.n_states
    run = solve_ivp(lambda t, x: compiled.vector_field(x, p), (0, 1000.0),
                    hom.initial_state(), method="RK45", rtol=1e-8, atol=1e-10,
                    dense_output=True)
    tail = np.linspace(500.0, 1000.0, 20001)
    states = run.sol(tail).T
    A = node_compiled.jacobian(states[-1], p_node)
    if np.ptp(states, axis=0).max() < 1e-4 * (1 + np.abs(states[-1]).max()):  # at rest
        values = np.linalg.eigvals(A[None] + (eps * modes)[:, None, None] * H[None])
        return "equilibrium", float(values.real.max())
    s_e = states[:, hom.state_names.index("s_e")]
    mean = s_e.mean()
    up = np.flatnonzero((s_e[:-1] < mean) & (s_e[1:] >= mean))
    crossings = tail[up] + (mean - s_e[up]) / (s_e[up + 1] - s_e[up]) * (tail[1] - tail[0])
    period = float(crossings[-1] - crossings[-2])
    start = run.sol(crossings[-2])

    def variational(t, y):
        x = y[:n]
        J = node_compiled.jacobian(x, p_node)
        Phi = y[n:].reshape(len(modes), n, n)
        dPhi = np.einsum("ij,mjk->mik", J, Phi) + \
            (eps * modes)[:, None, None] * np.einsum("ij,mjk->mik", H, Phi)
        return np.concatenate([compiled.vector_field(x, p), dPhi.ravel()])

    y0 = np.concatenate([start, np.tile(np.eye(n), (len(modes), 1, 1)).ravel()])
    monodromy = solve_ivp(variational, (0, period), y0, method="RK45", rtol=1e-8,
                          atol=1e-10).y[n:, -1].reshape(len(modes), n, n)
    growth = np.log(np.abs(np.linalg.eigvals(monodromy)).max(axis=1)) / period
    # the homogeneous mode (L = 1) has the trivial multiplier: leave it out there
    homogeneous = np.argmin(np.abs(modes - 1.0))
    mu = np.sort(np.abs(np.linalg.eigvals(monodromy[homogeneous])))[::-1]
    others = np.delete(mu, np.argmin(np.abs(mu - 1.0)))
    growth[homogeneous] = math.log(others.max()) / period
    return "cycle", float(growth.max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6)
    parser.add_argument("--sample", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    node = bf.load_model("ei")
    hom = homogeneous_model(node)
    modes = synthetic_connectome(90, 6, seed=1).modes()[0].real
    eps_rows = np.linspace(0.0, 30.0, args.rows + 2)[1:-1]  # inside the plane
    settings = dict(parameters=PAPER, duration=1000.0, transient=500.0)
    transverse_map(node, {"I_e": I_E[:3], "eps": eps_rows[:1]}, modes, workers=1,
                   **settings)  # compile the kernels (not timed)
    start = time.perf_counter()
    band = transverse_map(node, {"I_e": I_E, "eps": eps_rows}, modes, workers=args.workers,
                          **settings)
    wall = time.perf_counter() - start
    seconds = band.seconds
    regular = band.kind <= KINDS.index("cycle")
    print(f"machine: {platform.processor() or platform.machine()}, {bf.__version__}; "
          f"{len(modes)} modes; band of {args.rows} rows x {len(I_E)} points at "
          f"eps = {', '.join(f'{e:.2f}' for e in eps_rows)}")
    print(f"map: {wall:.1f} s wall on {args.workers} processes, {np.nansum(seconds):.1f} s "
          f"of work")
    for code, name in enumerate(KINDS):
        for simulated in (False, True):
            chosen = (band.kind == code) & (band.simulated == simulated)
            if chosen.any():
                print(f"  {name:13s} {'simulated' if simulated else 'continued':9s} "
                      f"{chosen.sum():5d} points {1e3 * seconds[chosen].mean():8.2f} ms/point")
    points = len(I_E) * EPS_ROWS
    per_regular = np.nansum(seconds[regular]) / regular.sum()
    per_irregular = np.nansum(seconds[~regular]) / max((~regular).sum(), 1)
    fraction = (~regular).mean()
    print(f"paper grid ({points} points), extrapolated from the band on 2 "
          f"processes: equilibria and cycles "
          f"{points * (1 - fraction) * per_regular / 2 / 60:.1f} min "
          f"({1e3 * per_regular:.2f} ms/point); quasi-periodic/chaotic "
          f"{points * fraction * per_irregular / 2 / 60:.1f} min "
          f"({100 * fraction:.1f}% of the band, {per_irregular:.2f} s/point)")

    rng = np.random.default_rng(0)
    candidates = np.argwhere(regular)
    picks = [tuple(c) for c in candidates[rng.choice(len(candidates), size=args.sample,
                                                     replace=False)]]
    peer_seconds, ours_seconds = [], []
    for j, i in picks:
        started = time.perf_counter()
        kind, growth = peer_point(node, hom, modes, I_E[i], eps_rows[j])
        spent = time.perf_counter() - started
        peer_seconds.append(spent)
        ours_seconds.append(seconds[j, i])
        print(f"  I_e = {I_E[i]:5.2f}, eps = {eps_rows[j]:5.2f}: peer {kind} in {spent:6.2f} s, "
              f"map {KINDS[band.kind[j, i]]} in {1e3 * seconds[j, i]:5.1f} ms; largest growth "
              f"{growth:+.6f} (peer) {band.growth_max[j, i]:+.6f} (map) /ms")
    peer = float(np.mean(peer_seconds))
    print(f"point by point with scipy: {peer:.2f} s/point -> paper grid "
          f"{points * peer / 2 / 3600:.1f} h on 2 processes")
    print(f"ratio map / point by point on the same {len(picks)} points: "
          f"{sum(ours_seconds) / sum(peer_seconds):.4f} "
          f"({sum(peer_seconds) / sum(ours_seconds):.0f}x faster); against the band's mean "
          f"time per equilibrium or cycle: {per_regular / peer:.4f} "
          f"({peer / per_regular:.0f}x faster)")

if __name__ == "__main__":
    main()
