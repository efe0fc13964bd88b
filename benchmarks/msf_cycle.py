"""Benchmark: the MSF of a continued `ei` cycle for all tvb76 modes plus a grid
of 201 L values, bifurc (`cycle_msf`, on the cycle's collocation mesh) vs a
scipy `solve_ivp` monodromy of the same cycle.

    python benchmarks/msf_cycle.py [--repeats 5] [--eps 1.0] [--rtol 1e-10]

The cycle is the homogeneous system's PING cycle at eta_e = 10 (NTST = 50,
NCOL = 4). The peer integrates x' = f(x) + eps H x together with the
fundamental matrices Phi_L' = (Df(x) + eps L H) Phi_L of all modes at once
(one vectorised right-hand side, DOP853) over one period, and takes the
eigenvalues of Phi_L(T). Reports both wall times (bifurc after its one-time
numba compilation), their ratio and the largest difference of the growth
rates (largest non-trivial Floquet exponent per ms).
"""

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp

import bifurc as bf
from bifurc.codegen import compile_model, parameter_vector
from bifurc.connectome import load_connectome
from bifurc.msf import _node_and_coupling, cycle_growth_rates, cycle_msf, homogeneous_model


def monodromy_growth(node, homogeneous, orbit, L_values, rtol):
    """Growth rates from solve_ivp monodromy matrices of every L at once."""
    p_node, eps, H = _node_and_coupling(homogeneous, node, orbit.parameters)
    p_hom = parameter_vector(homogeneous, orbit.parameters)
    compiled_node, compiled_hom = compile_model(node), compile_model(homogeneous)
    n, m = node.n_states, len(L_values)
    coupling = eps * L_values[:, None, None] * H[None]  # (m, n, n)

    def rhs(_, y):
        x = y[:n].real.copy()
        phi = y[n:].reshape(m, n, n)
        A = compiled_node.jacobian(x, p_node)
        dx = compiled_hom.vector_field(x, p_hom)
        dphi = np.einsum("ik,mkj->mij", A, phi) + np.einsum("mik,mkj->mij", coupling, phi)
        return np.concatenate([dx.astype(complex), dphi.ravel()])

    y0 = np.concatenate([orbit.profile[0].astype(complex),
                         np.tile(np.eye(n, dtype=complex), (m, 1, 1)).ravel()])
    solution = solve_ivp(rhs, (0.0, orbit.period), y0, method="DOP853", rtol=rtol,
                         atol=rtol * 1e-2)
    monodromy = solution.y[n:, -1].reshape(m, n, n)
    growth = np.empty(m)
    for i, (L, matrix) in enumerate(zip(L_values, monodromy)):
        mu = np.linalg.eigvals(matrix)
        if abs(L - 1.0) < 1e-12:
            mu = np.delete(mu, np.argmin(np.abs(mu - 1.0)))
        growth[i] = np.log(np.abs(mu).max()) / orbit.period
    return growth


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--eps", type=float, default=1.0)
    parser.add_argument("--rtol", type=float, default=1e-10)
    args = parser.parse_args()

    node = bf.load_model("ei")
    homogeneous = homogeneous_model(node)
    orbit = bf.find_cycle(homogeneous, homogeneous.parameters(eps=args.eps), ntst=50, ncol=4)
    modes = load_connectome("tvb76", remove_isolated=True).modes()[0]
    L_values = np.concatenate([modes.astype(complex), np.linspace(-1, 1, 201).astype(complex)])
    print(f"cycle: period {orbit.period:.6f} ms at eps = {args.eps}; {len(modes)} tvb76 modes "
          f"(complex) + 201 grid values = {len(L_values)} L values")

    start = time.perf_counter()
    cycle_msf(node, orbit, L_values[:3], homogeneous=homogeneous)
    print(f"first call (numba compile or cache load): {time.perf_counter() - start:.2f} s")
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        ours = cycle_msf(node, orbit, L_values, homogeneous=homogeneous)[0]
        times.append(time.perf_counter() - start)
    ours_time = min(times)
    cycle_growth_rates(node, orbit, L_values[:3], homogeneous=homogeneous)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        fast = cycle_growth_rates(node, orbit, L_values, homogeneous=homogeneous)
        times.append(time.perf_counter() - start)
    fast_time = min(times)

    start = time.perf_counter()
    peer = monodromy_growth(node, homogeneous, orbit, L_values, args.rtol)
    peer_time = time.perf_counter() - start

    print(f"bifurc cycle_msf:        {ours_time:.3f} s (best of {args.repeats})")
    print(f"solve_ivp monodromy:     {peer_time:.3f} s (DOP853, rtol {args.rtol:g}, all L at once)")
    print(f"ratio:                   {peer_time / ours_time:.1f}x")
    print(f"bifurc cycle_growth_rates: {fast_time:.3f} s (best of {args.repeats}; the largest "
          f"exponent only, all L in one pass): {peer_time / fast_time:.1f}x the peer, "
          f"{ours_time / fast_time:.1f}x cycle_msf; max |difference| to cycle_msf "
          f"{np.abs(fast - ours).max():.1e}")
    print(f"max |growth difference|: {np.abs(ours - peer).max():.2e} per ms "
          f"(growth rates span {ours.min():.3g} to {ours.max():.3g})")


if __name__ == "__main__":
    main()
