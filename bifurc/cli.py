"""Command-line interface: ``bifurc COMMAND --help`` documents each command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import analysis
from .errors import BifurcError, DivergenceError
from .integrate import RK4, DormandPrince, EulerMaruyama, Noise, StochasticHeun, simulate
from .model_files import builtin_model_names, load_model

METHODS = {
    "rk4": "classical Runge-Kutta 4, fixed step --dt",
    "dopri": "adaptive Dormand-Prince 5(4), tolerances --rtol/--atol",
    "heun": "stochastic Heun, fixed step --dt (default with --noise)",
    "euler-maruyama": "Euler-Maruyama, fixed step --dt",
}


def _parse_assignments(items) -> dict:
    values = {}
    for item in items or []:
        for part in item.split(","):
            name, sep, value = part.partition("=")
            if not sep or not name.strip():
                raise BifurcError(f"--set expects name=value, got {part!r}")
            try:
                values[name.strip()] = float(value)
            except ValueError:
                raise BifurcError(f"--set {name.strip()}: {value!r} is not a number") from None
    return values


def _integrator(args):
    method = args.method or ("heun" if args.noise else "rk4")
    if method == "rk4":
        return RK4(args.dt)
    if method == "dopri":
        return DormandPrince(rtol=args.rtol, atol=args.atol)
    if method == "heun":
        return StochasticHeun(args.dt)
    return EulerMaruyama(args.dt)


def command_models(args) -> int:
    for name in builtin_model_names():
        model = load_model(name)
        print(f"{name:<10} {model.n_states} states  {model.description}")
    return 0


def command_show(args) -> int:
    print(load_model(args.model).describe())
    return 0


def command_simulate(args) -> int:
    model = load_model(args.model)
    parameters = model.parameters(**_parse_assignments(args.set))
    integrator = _integrator(args)
    sample_interval = args.sample_interval or (args.dt if args.method != "dopri" else 0.1)
    noise = Noise(args.noise) if args.noise else None
    out = Path(args.out)
    try:
        trajectory = simulate(model, parameters, duration=args.duration, integrator=integrator,
                              sample_interval=sample_interval, noise=noise, seed=args.seed,
                              record=args.record, progress=not args.quiet)
        exit_code = 0
    except DivergenceError as error:
        trajectory = error.trajectory
        print(f"error: {error}", file=sys.stderr)
        exit_code = 1
    files = [trajectory.save(out / "timeseries.npz")]
    if args.csv:
        files.append(trajectory.to_csv(out / "timeseries.csv"))
    summary = analysis.summarise(trajectory) if len(trajectory.time) > 3 else {}
    (out / "summary.json").write_text(json.dumps(
        {"model": model.name, "status": trajectory.status, "parameters": trajectory.parameters,
         "compile_seconds": trajectory.metadata["compile_seconds"],
         "run_seconds": trajectory.metadata["run_seconds"], "states": summary}, indent=2))
    files.append(out / "summary.json")
    if not args.no_plot:
        import matplotlib
        matplotlib.use("Agg")
        from . import plot
        figure = plot.timeseries(trajectory, model)
        figure.savefig(out / "timeseries.png", dpi=150)
        files.append(out / "timeseries.png")
    meta = trajectory.metadata
    print(f"{model.name}: {trajectory.time[-1]:g} ms simulated with {integrator.describe()['name']} "
          f"in {meta['run_seconds']:.3f} s (compile/load {meta['compile_seconds']:.2f} s)")
    from .plot import display_scale
    for name, stats in summary.items():
        factor, unit = display_scale(model, name)
        frequency = (f"oscillates at {stats['frequency_hz']:.2f} Hz" if stats["frequency_hz"] > 0
                     else "no oscillation")
        print(f"  {name:<6} range [{factor * stats['min']:.4g}, {factor * stats['max']:.4g}] {unit:<3}"
              f" (last half)  {frequency}")
    for path in files:
        print(f"  wrote {path}")
    return exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bifurc", description="Bifurcation analysis and simulation of next-generation "
                                   "neural mass models. `bifurc COMMAND --help` for details.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub = commands.add_parser("models", help="list the built-in models",
                              description="List the built-in models.")
    sub.set_defaults(run=command_models)

    sub = commands.add_parser("show", help="print a model's equations and defaults",
                              description="Print a model's equations, states, parameters "
                                          "(defaults, bounds, units) and coupling.")
    sub.add_argument("model", metavar="MODEL", help="built-in name or path to a .toml/.yaml file")
    sub.set_defaults(run=command_show)

    sub = commands.add_parser(
        "simulate", help="integrate a model and plot it",
        description="Integrate a model from its default initial state and write DIR/timeseries.npz "
                    "(schema in docs/results.md), DIR/summary.json, DIR/timeseries.png (rates in "
                    "Hz, time in ms) and, with --csv, DIR/timeseries.csv.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub.add_argument("model", metavar="MODEL", help="built-in name or path to a .toml/.yaml file")
    sub.add_argument("--set", action="append", metavar="NAME=VALUE",
                     help="parameter value (repeat, or comma-separate)")
    sub.add_argument("--duration", type=float, default=1000.0, help="simulated time (ms)")
    sub.add_argument("--dt", type=float, default=0.05, help="time step of fixed-step methods (ms)")
    sub.add_argument("--method", choices=sorted(METHODS),
                     help="integrator: " + "; ".join(f"{k}: {v}" for k, v in METHODS.items()))
    sub.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance (dopri)")
    sub.add_argument("--atol", type=float, default=1e-9, help="absolute tolerance (dopri)")
    sub.add_argument("--noise", type=float, default=0.0, metavar="SIGMA",
                     help="additive noise amplitude on the model's noise states "
                          "(state units per sqrt(ms)); selects --method heun by default")
    sub.add_argument("--seed", type=int, default=None, help="seed of the noise")
    sub.add_argument("--sample-interval", type=float, default=None,
                     help="output spacing in ms (default: dt, or 0.1 for dopri)")
    sub.add_argument("--record", nargs="+", metavar="STATE", help="states to keep (default all)")
    sub.add_argument("--out", default="bifurc-out", metavar="DIR", help="output folder")
    sub.add_argument("--csv", action="store_true", help="also write the time series as CSV")
    sub.add_argument("--no-plot", action="store_true", help="do not draw the PNG")
    sub.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.set_defaults(run=command_simulate)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BifurcError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
