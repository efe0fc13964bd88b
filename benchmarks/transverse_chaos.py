"""Benchmark: the transverse exponents of a chaotic synchronous state for every
mode of a 90-node connectome in one pass (msf.transverse_exponents) against
the plain largest Lyapunov exponent of the whole network (lyapunov_spectrum
on the 90 x 3 = 270-dimensional network, one tangent vector), same duration
and step, x-coupled Rossler nodes.

    python benchmarks/transverse_chaos.py [--nodes 90] [--duration 2000]

Both after compilation (a short run first). Prints both times and their
ratio, and the two largest exponents (the network's, the MSF's over the modes).
"""

import argparse
import time

import numpy as np

import bifurc as bf
from bifurc.connectome import synthetic_connectome
from bifurc.lyapunov import lyapunov_spectrum
from bifurc.msf import homogeneous_model, transverse_exponents

ROSSLER = {"name": "rossler_bench", "states": {"x": 1.0, "y": 1.0, "z": 0.0},
           "parameters": {"a": 0.2, "b": 0.2, "c": 5.7},
           "equations": {"x": "-y - z", "y": "x + a*y", "z": "b + z*(x - c)"},
           "coupling": [{"target": "x", "source": "x", "gain": "1"}]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=90)
    parser.add_argument("--duration", type=float, default=2000.0)
    parser.add_argument("--eps", type=float, default=0.02)
    args = parser.parse_args()
    model = bf.Model.from_spec(ROSSLER)
    hom = homogeneous_model(model)
    connectome = synthetic_connectome(args.nodes, 4, seed=0)
    modes = connectome.modes()[0]
    network = bf.Network(model, connectome, eps=args.eps)
    p_hom = hom.parameters(eps=args.eps)
    sync = bf.simulate(hom, p_hom, duration=500, integrator=bf.RK4(dt=0.01), sample_interval=1.0)
    s = np.array([sync[n][-1, 0] for n in hom.state_names])
    start = s + 1e-6 * np.random.default_rng(0).standard_normal((args.nodes, 3))
    settings = dict(duration=args.duration, transient=100.0, dt=0.01)
    lyapunov_spectrum(network, model.parameters(), 1, duration=10, transient=0, dt=0.01,
                      initial_state=start)
    transverse_exponents(model, p_hom, modes, state=s, duration=10, transient=0)
    t0 = time.perf_counter()
    network_le = lyapunov_spectrum(network, model.parameters(), 1, initial_state=start,
                                   **settings)
    t_network = time.perf_counter() - t0
    t0 = time.perf_counter()
    msf = transverse_exponents(model, p_hom, modes, state=s, **settings)
    t_msf = time.perf_counter() - t0
    print(f"{args.nodes} nodes ({len(modes)} modes), Rossler, eps = {args.eps}, "
          f"{args.duration:g} time units at dt 0.01")
    print(f"network largest Lyapunov exponent (270-D, 1 vector): {t_network:7.2f} s "
          f"-> {network_le.exponents[0]:.4f}")
    print(f"transverse exponents, all {len(modes)} modes in one pass: {t_msf:7.2f} s "
          f"-> largest {msf.exponents.max():.4f} +- {msf.uncertainty[np.argmax(msf.exponents)]:.4f}")
    print(f"ratio transverse / plain: {t_msf / t_network:.2f}")


if __name__ == "__main__":
    main()
