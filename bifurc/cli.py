"""Command-line interface: ``bifurc COMMAND --help`` documents each command."""

from __future__ import annotations

import argparse
import contextlib
import math
import re
import sys
import warnings
from pathlib import Path

from .errors import BifurcError
from .files import atomic_write, write_json

# The commands import what they need when they run, so that `bifurc --help`
# and `bifurc models` start without SymPy, numba or SciPy's signal package.

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


def _overrides(args, model) -> dict:
    """Parameter values from ``--preset`` (a named set of the model file) and
    then ``--set`` (which wins)."""
    values = {}
    if getattr(args, "preset", None):
        if args.preset not in model.presets:
            raise BifurcError(f"--preset {args.preset}: model {model.name} has no such preset "
                              f"(presets: {', '.join(model.presets) or 'none'})")
        values.update(model.presets[args.preset].values)
    values.update(_parse_assignments(args.set))
    return values


def _fixed_text(args, overrides) -> str:
    """The fixed parameters for a figure's title: the preset by its name, then
    the values that differ from it."""
    preset = getattr(args, "preset", None)
    given = _parse_assignments(args.set)
    shown = {k: v for k, v in overrides.items() if not preset or k in given or k == "eps"}
    return ", ".join(([f"preset {preset}"] if preset else [])
                     + [f"{k} = {v:g}" for k, v in shown.items()])


def _output_folder(path) -> Path:
    """``--out``, checked before any work: a folder (or one that can be made)
    where this process may write."""
    import os

    import tempfile

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BifurcError(f"--out {path} is a file, not a folder")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise BifurcError(f"--out {path}: cannot write in {existing}")
    try:  # os.access says yes to root everywhere: try it (and leave nothing behind)
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise BifurcError(f"--out {path}: cannot write there ({error.strerror or error})") \
            from None
    for name in ("branches.json", "branches.npz", "diagram.png", "timeseries.npz", "msf.json",
                 "sweep.csv", "summary.json"):
        if (path / name).is_dir():
            raise BifurcError(f"--out {path}: {path / name} is a folder, where a result file "
                              f"goes")
    return path


def _check_mesh(args) -> None:
    if args.ntst < 2:
        raise BifurcError(f"--ntst must be at least 2, got {args.ntst}")
    if not 1 <= args.ncol <= 7:
        raise BifurcError(f"--ncol must lie in 1..7, got {args.ncol}")


def _integrator(args):
    from .integrate import RK4, DormandPrince, EulerMaruyama, StochasticHeun

    method = args.method or ("heun" if args.noise else "rk4")
    if method == "rk4":
        return RK4(args.dt)
    if method == "dopri":
        return DormandPrince(rtol=args.rtol, atol=args.atol)
    if method == "heun":
        return StochasticHeun(args.dt)
    return EulerMaruyama(args.dt)


def _network_analysis(model, trajectory, out, draw: bool = True) -> list:
    """Spectra, FC, Kuramoto order and PAC of a network run (analysis.network_summary):
    DIR/network.json, DIR/network.npz and DIR/spacetime.png."""
    import numpy as np

    from . import analysis, plot

    summary, arrays = analysis.network_summary(trajectory, model.time_unit)
    write_json(out / "network.json", summary)
    atomic_write(out / "network.npz", lambda stream: np.savez_compressed(stream, **arrays), "wb")
    files = [out / "network.json", out / "network.npz"]
    if draw:
        files.append(_save_figure(plot.spacetime(trajectory, summary["state"], model),
                                  out / "spacetime.png"))
    print(f"  network: mean FC {summary['mean_fc']:.3f}, Kuramoto order "
          f"{summary['kuramoto_mean']:.3f}, median dominant frequency "
          f"{np.median(summary['dominant_frequency_hz']):.1f} Hz")
    return files


def command_models(args) -> int:
    from .model_files import builtin_model_names, builtin_model_spec

    for name in builtin_model_names():  # the files' data only: no equations parsed
        spec = builtin_model_spec(name)
        print(f"{name:<10} {len(spec['states'])} states  {spec.get('description', '')}")
    return 0


def command_show(args) -> int:
    from .model_files import load_model

    print(load_model(args.model).describe())
    return 0


def command_simulate(args) -> int:
    import numpy as np

    from . import analysis
    from .errors import DivergenceError
    from .integrate import Noise, simulate
    from .integrate.runner import check_recording_memory
    from .model_files import load_model

    out = _output_folder(args.out)
    model = load_model(args.model)
    parameters = model.parameters(**_overrides(args, model))
    integrator = _integrator(args)
    sample_interval = args.sample_interval or (args.dt if args.method != "dopri" else 0.1)
    noise = Noise(args.noise) if args.noise else None
    problem, initial = model, None
    if args.connectome:
        from .connectome import load_connectome
        from .network import Network
        connectome = load_connectome(args.connectome, remove_isolated=True)
        problem = Network(model, connectome.weights, eps=args.eps, labels=connectome.labels or None)
        rng = np.random.default_rng(args.seed)
        initial = np.tile(model.initial_state(), (problem.n_nodes, 1))
        initial *= 1.0 + args.perturbation * rng.uniform(-1, 1, initial.shape)
        if args.sample_interval is None:  # keep network outputs small: 2 kHz
            sample_interval = 0.5 if args.method == "dopri" else args.dt * max(1, round(0.5 / args.dt))
    if args.duration > 0 and sample_interval > 0:
        n_recorded = len(args.record) if args.record else model.n_states
        check_recording_memory(args.duration / sample_interval + 1,
                      getattr(problem, "n_nodes", 1), n_recorded)
    try:
        with warnings.catch_warnings():  # an interruption is reported below, on one line
            warnings.simplefilter("ignore", UserWarning)
            trajectory = simulate(problem, parameters, duration=args.duration,
                                  integrator=integrator, sample_interval=sample_interval,
                                  noise=noise, seed=args.seed, initial_state=initial,
                                  record=args.record, progress=not args.quiet)
        exit_code = 0
        if trajectory.status == "interrupted":
            print(f"interrupted: {trajectory.message}", file=sys.stderr)
            exit_code = 130
    except DivergenceError as error:
        trajectory = error.trajectory
        print(f"error: {error}", file=sys.stderr)
        exit_code = 1
    files = [trajectory.save(out / "timeseries.npz")]
    if args.csv:
        files.append(trajectory.to_csv(out / "timeseries.csv"))
    summary = analysis.summarise(trajectory) if len(trajectory.time) > 3 else {}
    if args.connectome and len(trajectory.time) > 16:
        files += _network_analysis(model, trajectory, out, draw=not args.no_plot)
    write_json(out / "summary.json",
               {"model": model.name, "status": trajectory.status,
                "parameters": trajectory.parameters,
                "compile_seconds": trajectory.metadata["compile_seconds"],
                "run_seconds": trajectory.metadata["run_seconds"], "states": summary}, indent=2)
    files.append(out / "summary.json")
    if not args.no_plot:
        import matplotlib
        matplotlib.use("Agg")
        from . import plot
        files.append(_save_figure(plot.timeseries(trajectory, model), out / "timeseries.png"))
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


def _continuation_options(args):
    from .continuation import ContinuationOptions
    return ContinuationOptions(step_size=args.step_size, max_step_size=args.max_step_size,
                               max_points=args.max_points)


def _save_figure(figure, path):
    """Write ``figure`` to ``path`` and release it (a command may draw many)."""
    import matplotlib.pyplot as plt

    figure.savefig(path, dpi=150)
    plt.close(figure)
    return path


def command_diagram(args) -> int:
    import matplotlib
    matplotlib.use("Agg")
    from . import plot
    from .continuation import save_branches
    from .model_files import load_model

    out = _output_folder(args.out)
    _check_mesh(args)
    model = load_model(args.model)
    if args.y is not None and args.y not in model.state_names:
        raise BifurcError(f"--y {args.y!r} is not a state of {model.name}; states: "
                          f"{', '.join(model.state_names)}")
    overrides = _overrides(args, model)
    lower, upper = args.range
    if not lower < upper:
        raise BifurcError(f"--range needs LO < HI, got {lower:g} {upper:g}")
    value = overrides.get(args.free, model.parameters(**overrides)[args.free])
    if not lower <= value <= upper:
        overrides[args.free] = lower
    options = _continuation_options(args)
    if args.engine == "auto07p":
        ignored = [flag for flag, on in (("--cycles", args.cycles), ("--auto", args.auto),
                                         ("--allow-outside-domain", args.allow_outside_domain))
                   if on]
        if ignored:
            raise BifurcError(f"--engine auto07p computes the equilibrium branch only; "
                              f"{', '.join(ignored)} needs the bifurc engine")
        from .auto07p import equilibrium_branch_auto
        branches = [equilibrium_branch_auto(model, model.parameters(**overrides), args.free,
                                            (lower, upper), options)]
    else:
        from .continuation.diagram import bifurcation_diagram
        follow = set() if args.no_switch else {"BP"}
        if args.cycles or args.auto:
            follow.add("H")
        if args.auto:
            follow.add("PD")
        depth = args.depth if args.depth is not None else (3 if args.auto else 1)
        if depth < 0:
            raise BifurcError(f"--depth must be 0 or more, got {depth}")
        branches = bifurcation_diagram(model, model.parameters(**overrides), args.free,
                                       (lower, upper), depth=depth, follow=tuple(follow),
                                       options=options, cycle_options=options,
                                       ntst=args.ntst, ncol=args.ncol,
                                       allow_outside_domain=args.allow_outside_domain,
                                       progress=not args.quiet)
    files = list(save_branches(branches, out))
    y = args.y or model.state_names[0]
    files.append(_save_figure(plot.diagram(branches, y, model), out / "diagram.png"))
    if any(b.kind == "LC-C" for b in branches):
        files.append(_save_figure(plot.cycle_frequency(branches), out / "frequency.png"))
    for number, branch in enumerate(branches):
        print(f"[{number}] {branch.summary()}")
    for path in files:
        print(f"  wrote {path}")
    return _interrupted_code(branches)


def _interrupted_code(branches) -> int:
    """130 when Ctrl-C stopped a branch (what was computed is saved), else 0."""
    if any(branch.interrupted for branch in branches):
        print("interrupted: the points computed so far are saved", file=sys.stderr)
        return 130
    return 0


def _find_point(branches, label):
    number, _, name = label.rpartition(":")
    if number:
        if not number.isdigit() or int(number) >= len(branches):
            raise BifurcError(f"--from {label!r}: {number!r} is not a branch number; the diagram "
                              f"has branches 0 to {len(branches) - 1}")
        candidates = [branches[int(number)]]
    else:
        candidates = branches
    for branch in candidates:
        for point in branch.special_points:
            if point.label == name:
                return point
    known = ", ".join(f"{i}:{p.label}" for i, b in enumerate(branches) for p in b.special_points)
    raise BifurcError(f"no special point {label!r} in the diagram (points: {known or 'none'})")


def _default_bounds(model, name, branches):
    for branch in branches:
        if branch.kind == "EP-C" and branch.free == (name,) and "bounds" in branch.options:
            return tuple(branch.options["bounds"])
    info = model.parameter_info[name]
    lower, upper = info.bounds
    value = model.parameters()[name]
    width = 2 * (abs(value) + 10)
    low, high = max(lower, value - width), min(upper, value + width)
    # an open end (a time constant's 0) is approached, not reached
    if info.open_ends[0] and low <= lower:
        low = lower + 0.01 * (value - lower)
    if info.open_ends[1] and high >= upper:
        high = upper - 0.01 * (upper - value)
    return low, high


def command_twopar(args) -> int:
    import matplotlib
    matplotlib.use("Agg")
    from . import plot
    from .continuation import continue_curve, curve_types, load_branches, save_branches
    from .model_files import load_model

    out = _output_folder(args.out)
    model = load_model(args.model)
    source = Path(args.diagram or args.out)
    try:
        diagram_branches = load_branches(source)
    except FileNotFoundError as error:
        raise BifurcError(f"{error}") from None
    if diagram_branches and all(b.model == f"{model.name}_homogeneous" for b in diagram_branches):
        from .msf import homogeneous_model
        model = homogeneous_model(model)  # written by `bifurc msf --free`: TI points
    if any(b.model != model.name for b in diagram_branches):
        raise BifurcError(f"{source}/branches.json holds branches of another model")
    point = _find_point(diagram_branches, args.from_label)
    for name in args.free:
        if name not in model.parameter_names:
            raise BifurcError(f"--free {name!r} is not a parameter of {model.name}; parameters: "
                              f"{', '.join(model.parameter_names)}")
    if args.free[0] == args.free[1]:
        raise BifurcError(f"--free needs two different parameters, got {args.free[0]} twice")
    bounds = {name: _default_bounds(model, name, diagram_branches) for name in args.free}
    for item in args.bounds or []:
        name, _, window = item.partition("=")
        try:
            lo, hi = (float(v) for v in window.split(":"))
        except ValueError:
            raise BifurcError(f"--bounds expects NAME=LO:HI, got {item!r}") from None
        if name not in args.free:
            raise BifurcError(f"--bounds {item!r} names {name!r}, which is not one of the free "
                              f"parameters {args.free[0]}, {args.free[1]}")
        if not lo < hi:
            raise BifurcError(f"--bounds {item!r} needs LO < HI")
        bounds[name] = (lo, hi)
    settings = {}
    if args.free_period:
        settings["free_period"] = True
    if args.epsilon is not None:
        if not args.epsilon > 0:
            raise BifurcError(f"--epsilon must be positive, got {args.epsilon:g}")
        settings["epsilon"] = args.epsilon
    curve = continue_curve(model, point, tuple(args.free), bounds,
                           options=_continuation_options(args), progress=not args.quiet,
                           kind=args.curve, **settings)
    existing = load_branches(out) if (out / "branches.json").exists() else list(diagram_branches)
    existing.append(curve)
    files = list(save_branches(existing, out))
    two_parameter = {t.kind for t in curve_types(2)}
    same_plane = [b for b in existing if b.kind in two_parameter and b.free == curve.free]
    files.append(_save_figure(plot.two_parameter(same_plane), out / "twopar.png"))
    print(curve.summary())
    for path in files:
        print(f"  wrote {path}")
    return _interrupted_code([curve])


def _parse_grid(text):
    import numpy as np

    try:
        low, high, count = text.split(":")
        grid = np.linspace(float(low), float(high), int(count))
    except ValueError:
        raise BifurcError(f"--L-grid expects LO:HI:N, got {text!r}") from None
    if len(grid) < 2:
        raise BifurcError("--L-grid needs N >= 2")
    return grid


def command_msf(args) -> int:
    import numpy as np

    import matplotlib
    matplotlib.use("Agg")

    from . import plot
    from .connectome import load_connectome
    from .continuation.attractors import find_attractor
    from .model_files import load_model
    from .msf import (cycle_msf, dispersion_relation, homogeneous_model, irregular_kind,
                      transverse_exponents)
    from .units import hertz

    out = _output_folder(args.out)
    _check_mesh(args)
    model = load_model(args.model)
    homogeneous = homogeneous_model(model)
    if not (math.isfinite(args.duration) and args.duration > 0):
        raise BifurcError(f"--duration must be positive, got {args.duration:g}")
    if not (math.isfinite(args.transient) and args.transient >= 0):
        raise BifurcError(f"--transient must be >= 0, got {args.transient:g}")
    if args.plane:
        return _msf_plane(args, model, homogeneous)
    if args.eps is None:
        raise BifurcError("--eps is required (except with --plane over eps)")
    if args.scan:
        return _lyapunov_scan(args, model)
    if args.free:
        return _msf_along_branches(args, model, homogeneous)
    if args.at is None:
        raise BifurcError("give --at PAR=VALUE (one point), --free PAR --range LO HI (branches) "
                          "or --plane P1=LO:HI:N P2=LO:HI:N (a map)")
    name, _, value = args.at.partition("=")
    if not name or not value:
        raise BifurcError(f"--at expects PAR=VALUE, got {args.at!r}")
    overrides = _overrides(args, model)
    overrides.update(_parse_assignments([args.at]))
    overrides["eps"] = args.eps
    parameters = homogeneous.parameters(**overrides)
    grid = _parse_grid(args.L_grid)
    modes = np.array([])
    if args.connectome:
        connectome = load_connectome(args.connectome, remove_isolated=True)
        modes = connectome.modes()[0]
    L = np.concatenate([grid.astype(complex), modes.astype(complex)])
    # what the synchronous (homogeneous) system settles on, from a simulation
    attractor = find_attractor(homogeneous, parameters, ntst=args.ntst, ncol=args.ncol)
    kind, state, period = attractor.kind, attractor.state, attractor.period
    uncertainty, extra = None, {}
    if kind == "cycle":
        growth, _ = cycle_msf(model, attractor.orbit, L, homogeneous=homogeneous)
        method = "Floquet exponents (collocation)"
    elif kind == "equilibrium":
        growth, _ = dispersion_relation(model, parameters, state, L, homogeneous=homogeneous)
        method = "eigenvalues of Df + eps L H"
    elif kind == "irregular":
        # quasi-periodic or chaotic: the variational equations along the
        # trajectory, with L = 1 appended for the synchronous motion's own exponent
        result = transverse_exponents(model, parameters, np.concatenate([L, [1.0]]),
                                      state=state, duration=args.duration,
                                      transient=args.transient, homogeneous=homogeneous)
        growth, uncertainty = result.exponents[:-1], result.uncertainty[:-1]
        own, own_error = result.exponents[-1], result.uncertainty[-1]
        kind = irregular_kind(own, own_error, result.settings["duration"])
        method = (f"variational integration over {result.settings['duration']:g} "
                  f"{model.time_unit} in {result.settings['n_blocks']} blocks")
        extra = {"largest_lyapunov_exponent": own, "largest_lyapunov_uncertainty": own_error,
                 "uncertainty": uncertainty.tolist(), "variational": result.settings}
        attractor.message = (f"{attractor.message}; its largest Lyapunov exponent is "
                             f"{own:.3g} +- {own_error:.1g}/{model.time_unit}: {kind}")
    else:
        raise BifurcError(f"the homogeneous system at {args.at}, eps = {args.eps:g} settles on "
                          f"{attractor.message}; there is no synchronous state to analyse")
    out.mkdir(parents=True, exist_ok=True)
    result = {"schema": "bifurc.msf/1", "model": model.name, "kind": kind, "period": period,
              "eps": args.eps, "parameters": dict(parameters), "state": state.tolist(),
              "L": L.real.tolist(), "L_imag": L.imag.tolist(), "grid_size": len(grid),
              "growth_rate": growth.tolist(), "connectome": args.connectome,
              "attractor": attractor.message, "method": method, **extra,
              "unstable_modes": [int(k) for k in np.flatnonzero(growth[len(grid):] > 0)]}
    write_json(out / "msf.json", result)
    title = f"{model.name}, eps = {args.eps:g}, {args.at}: {kind}"
    if period:
        title += f", {hertz(1 / period, model.time_unit):.1f} Hz"
    _save_figure(plot.msf_curve(grid, growth[:len(grid)], title, modes, growth[len(grid):],
                                f"{args.connectome} modes", model.time_unit,
                                uncertainty=None if uncertainty is None
                                else uncertainty[:len(grid)]), out / "msf.png")
    print(f"{title}: {attractor.message}")
    print(f"  largest growth rate {growth.max():.4g}/{model.time_unit} at "
          f"L = {L[np.argmax(growth)].real:.3g}")
    if len(modes):
        print(f"  unstable connectome modes: {len(result['unstable_modes'])} of {len(modes)}")
    print(f"  wrote {out / 'msf.json'}\n  wrote {out / 'msf.png'}")
    return 0


def _msf_plane(args, model, homogeneous) -> int:
    """bifurc msf --plane P1=LO:HI:N P2=LO:HI:N: the transverse-instability map
    (bifurc.msf_map) at the connectome's modes (or the --L-grid values)."""
    import numpy as np

    from . import plot
    from .connectome import load_connectome
    from .msf_map import KINDS, transverse_map
    from .sweep import parse_grid

    out = _output_folder(args.out)
    grid = parse_grid(args.plane)
    if len(grid) != 2:
        raise BifurcError(f"--plane needs two different parameters, got {', '.join(grid)}")
    overrides = _overrides(args, model)
    if "eps" not in grid:
        if args.eps is None:
            raise BifurcError("--eps is required unless eps is one of the --plane parameters")
        overrides["eps"] = args.eps
    if args.connectome:
        modes = load_connectome(args.connectome, remove_isolated=True).modes()[0]
        source = f"{args.connectome} ({len(modes)} modes)"
    else:
        modes = _parse_grid(args.L_grid)
        source = f"L grid {args.L_grid}"
    chosen = tuple(args.modes or ())
    if any(not 0 <= k < len(modes) for k in chosen):
        raise BifurcError(f"--modes must be indices in [0, {len(modes)}) of the modes")
    workers = args.workers or 2
    if workers < 1:
        raise BifurcError(f"--workers must be >= 1, got {workers}")
    curves = []
    if args.curves:  # e.g. TI-C boundaries from `bifurc twopar`, drawn over the map
        from .continuation import load_branches
        try:
            curves = [b for b in load_branches(args.curves) if tuple(b.free) == tuple(grid)]
        except FileNotFoundError as error:
            raise BifurcError(f"--curves: {error}") from None
    with _dask_executor(args.scheduler) as executor:
        result = transverse_map(model, grid, modes, parameters=overrides, chosen=chosen, out=out,
                                workers=workers, executor=executor, ntst=args.ntst,
                                ncol=args.ncol, duration=args.duration,
                                transient=args.transient, progress=not args.quiet)
    title = (f"{model.name}: transverse instability of the synchronous state, {source}"
             + (f"; {_fixed_text(args, overrides)}" if overrides else ""))
    figure = plot.transverse_map(result, title, model.time_unit, curves=curves)
    files = [out / "transverse_map.json", out / "transverse_map.npz",
             _save_figure(figure, out / "transverse_map.png")]
    done = result.kind >= 0
    counts = ", ".join(f"{kind} {int(np.sum(result.kind == k))}" for k, kind in enumerate(KINDS)
                       if np.any(result.kind == k))
    print(f"{model.name}: {int(done.sum())} of {result.kind.size} points ({counts}); "
          f"{int(np.sum(result.unstable_modes > 0))} with unstable modes; "
          f"{int(np.sum(result.simulated))} needed a simulation, the others were continued")
    for path in files:
        print(f"  wrote {path}")
    if result.status == "interrupted":
        print(f"interrupted: the finished rows are saved in {out / 'transverse_map.jsonl'}; "
              f"rerun the same command to compute the rest", file=sys.stderr)
        return 130
    return 0


def _lyapunov_scan(args, model) -> int:
    """bifurc msf --scan PAR=LO:HI:N --connectome NAME: the network's Lyapunov
    spectra along a line next to the MSF's prediction (bifurc.network_scan)."""
    from . import plot
    from .network_scan import lyapunov_scan
    from .sweep import parse_grid

    out = _output_folder(args.out)
    if not args.connectome:
        raise BifurcError("--scan needs --connectome (the network to simulate)")
    ((parameter, values),) = parse_grid([args.scan]).items()
    workers = args.workers or 2
    if workers < 1:
        raise BifurcError(f"--workers must be >= 1, got {workers}")
    with _dask_executor(args.scheduler) as executor:
        scan = lyapunov_scan(model, args.connectome, args.eps, parameter, values,
                             parameters=_overrides(args, model),
                             n_exponents=args.exponents, duration=args.duration,
                             transient=args.transient, workers=workers, executor=executor,
                             progress=not args.quiet)
    files = [write_json(out / "lyapunov_scan.json", scan.to_json()),
             _save_figure(plot.lyapunov_scan(scan, time_unit=model.time_unit),
                          out / "lyapunov_scan.png")]
    for value, exponent, predicted, away in zip(scan.values, scan.exponents[:, 0],
                                                scan.predicted, scan.desynchronised):
        note = "  (left the synchronous state)" if away else ""
        print(f"  {parameter} = {value:.6g}: network {exponent:.4g}, MSF {predicted:.4g}{note}")
    for path in files:
        print(f"  wrote {path}")
    if scan.status == "interrupted":
        print("interrupted: the values computed so far are saved (the others are NaN)",
              file=sys.stderr)
        return 130
    return 0


def _msf_along_branches(args, model, homogeneous) -> int:
    """bifurc msf --free PAR --range LO HI: the homogeneous system's equilibria and
    the cycles born at their Hopf points, with the MSF at every point."""
    import numpy as np

    import matplotlib
    matplotlib.use("Agg")

    from . import plot
    from .connectome import load_connectome
    from .continuation import ContinuationOptions, bifurcation_diagram, save_branches
    from .msf import growth_with_transverse_rows, locate_transverse_points, msf_along_branch

    if not args.range:
        raise BifurcError("--free needs --range LO HI")
    lower, upper = args.range
    overrides = _overrides(args, model)
    overrides["eps"] = args.eps
    overrides.setdefault(args.free, lower)
    if not lower <= overrides[args.free] <= upper:
        overrides[args.free] = lower
    grid = _parse_grid(args.L_grid)
    modes = np.array([])
    if args.connectome:
        modes = load_connectome(args.connectome, remove_isolated=True).modes()[0]
    branches = bifurcation_diagram(homogeneous, homogeneous.parameters(**overrides), args.free,
                                   (lower, upper), depth=1, follow=("H",), ntst=args.ntst,
                                   ncol=args.ncol,
                                   cycle_options=ContinuationOptions(step_size=0.05, max_points=300))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    arrays, summary, files = {"L": grid}, [], []
    if len(modes) and np.all(modes.imag == 0):
        modes = modes.real
    for number, branch in enumerate(branches):
        entry = {"branch": number, "kind": branch.kind}
        if len(modes):
            # the connectome's modes: locate where each starts or stops growing (TI points)
            before = msf_along_branch(model, branch, modes, homogeneous=homogeneous)
            branch = branches[number] = locate_transverse_points(
                model, branch, modes, homogeneous=homogeneous, growth=before)
            mode_growth = growth_with_transverse_rows(model, before, branch, modes,
                                                      homogeneous=homogeneous)
            arrays[f"{number}/connectome_growth_rate"] = mode_growth
            unstable = np.nan_to_num(mode_growth, nan=-np.inf) > 0
            entry["points_with_unstable_modes"] = int(unstable.any(axis=1).sum())
            transverse = [p for p in branch.special_points if p.kind == "TI"]
            entry["transverse_points"] = [
                {"label": p.label, args.free: p.parameters[args.free], "mode": p.data["mode"],
                 "L": p.data["L"], "crossing": p.data["crossing"], "direction": p.data["direction"]}
                for p in transverse]
            if len(transverse) > 8:
                print(f"  [{number}] {len(transverse)} TI points; the first 8 (all in msf.json):")
            for point in transverse[:8]:
                print(f"  {number}:{point.label:<5} {args.free} = "
                      f"{point.parameters[args.free]:.8g}  mode {point.data['mode']} "
                      f"(L = {complex(*point.data['L']):.4g}) {point.data['direction']}, "
                      f"{point.data['crossing']}")
        growth = msf_along_branch(model, branch, grid, homogeneous=homogeneous)
        arrays[f"{number}/growth_rate"] = growth
        summary.append(entry)
        files.append(_save_figure(plot.msf_map(branch, grid, growth,
                                               modes=modes if len(modes) else None),
                                  out / f"msf_map_{number}.png"))
        print(f"[{number}] {branch.kind}: {len(branch)} points; largest growth rate "
              f"{np.nanmax(growth):.4g}/{model.time_unit}")
    files = list(save_branches(branches, out)) + files
    atomic_write(out / "msf.npz", lambda stream: np.savez_compressed(stream, **arrays), "wb")
    write_json(out / "msf.json",
               {"schema": "bifurc.msf-map/1", "model": model.name, "eps": args.eps,
                "free": args.free, "L": grid.tolist(), "connectome": args.connectome,
                "branches": summary})
    files += [out / "msf.npz", out / "msf.json"]
    for path in files:
        print(f"  wrote {path}")
    return 0


def command_study(args) -> int:
    import matplotlib
    matplotlib.use("Agg")
    from .studies import STUDIES, run_study

    if args.list or args.name is None:
        for name in STUDIES:
            print(name)
        return 0
    out = _output_folder(args.out or f"results/{args.name}")
    for path in run_study(args.name, out, quick=args.quick):
        print(f"  wrote {path}")
    return 0


@contextlib.contextmanager
def _dask_executor(scheduler):
    """The executor of a Dask cluster at ``scheduler`` (--scheduler ADDRESS), or
    None (local processes); the client closes afterwards."""
    if not scheduler:
        yield None
        return
    try:
        from dask.distributed import Client
    except ImportError:
        raise BifurcError("--scheduler needs dask.distributed: "
                          "pip install 'bifurc[dask]'") from None
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as error:
        raise BifurcError(f"cannot connect to the Dask scheduler at {scheduler}: "
                          f"{error}") from None
    try:
        yield client.get_executor()
    finally:
        client.close()


def command_sweep(args) -> int:
    import matplotlib
    matplotlib.use("Agg")
    from .model_files import load_model
    from .sweep import SweepOptions, parse_grid, save_map, sweep

    out = _output_folder(args.out)
    model = load_model(args.model)
    try:
        second_state = _parse_assignments(args.second_state)
    except BifurcError as error:
        raise BifurcError(str(error).replace("--set", "--second-state")) from None
    options = SweepOptions(duration=args.duration, dt=args.dt, discard=args.discard,
                           state=args.state, second_state=second_state or None,
                           chaos_threshold=args.chaos_threshold, max_duration=args.max_duration)
    with _dask_executor(args.scheduler) as executor:
        result = sweep(model, parse_grid(args.grid), args.measure,
                       parameters=_overrides(args, model), options=options,
                       executor=executor, workers=args.workers, out=out,
                       progress=not args.quiet)
    files = [out / "sweep.csv", out / "sweep.json"]
    path = save_map(result, out, model)
    if path is not None:
        files.append(path)
    counts = ", ".join(f"{regime} {number}" for regime, number in result.counts().items())
    print(f"{model.name}: {len(result)} of {result.n_points} points ({counts or 'none'})")
    for path in files:
        print(f"  wrote {path}")
    if result.status == "interrupted":
        print(f"interrupted: {len(result)} of {result.n_points} points are saved in "
              f"{out / 'sweep.csv'}; rerun the same command to compute the rest", file=sys.stderr)
        return 130
    return 0


def _add_continuation_options(sub):
    sub.add_argument("--step-size", type=float, default=0.01, help="initial arclength step")
    sub.add_argument("--max-step-size", type=float, default=0.5, help="largest arclength step")
    sub.add_argument("--max-points", type=int, default=1000, help="points per direction")
    sub.add_argument("--quiet", action="store_true", help="no progress bar")


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
    sub.add_argument("--preset", metavar="NAME",
                     help="a named parameter set of the model file (bifurc show MODEL lists "
                          "them); --set values override it")
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
    sub.add_argument("--connectome", metavar="NAME",
                     help="simulate a network on a connectome (tvb66/68/76/96/192 or a file; "
                          "regions without input are dropped); adds DIR/network.json (dominant "
                          "frequencies, mean FC, Kuramoto order, PAC), DIR/network.npz and "
                          "DIR/spacetime.png")
    sub.add_argument("--eps", type=float, default=1.0, help="global coupling (networks)")
    sub.add_argument("--perturbation", type=float, default=1e-3,
                     help="relative random perturbation of the nodes' initial states (networks)")
    sub.set_defaults(run=command_simulate)

    sub = commands.add_parser(
        "diagram", help="one-parameter bifurcation diagram of equilibria (EP-C)",
        description="Continue equilibria in one parameter, locate folds (LP), Hopf points (H, with "
                    "l1 and frequency) and branch points (BP, switching onto the other branch), "
                    "and write DIR/branches.json + DIR/branches.npz (schema in docs/results.md) "
                    "and DIR/diagram.png (stable solid, unstable dashed).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub.add_argument("model", metavar="MODEL", help="built-in name or model file")
    sub.add_argument("--free", required=True, metavar="PAR", help="free parameter")
    sub.add_argument("--range", required=True, nargs=2, type=float, metavar=("LO", "HI"),
                     help="bounds of the free parameter")
    sub.add_argument("--preset", metavar="NAME",
                     help="a named parameter set of the model file (bifurc show MODEL lists "
                          "them); --set values override it")
    sub.add_argument("--set", action="append", metavar="NAME=VALUE", help="parameter values")
    sub.add_argument("--y", metavar="STATE", help="state on the y axis (default: the first)")
    sub.add_argument("--engine", choices=("bifurc", "auto07p"), default="bifurc",
                     help="continuation engine (auto07p needs the Debian package auto-07p)")
    sub.add_argument("--no-switch", action="store_true", help="do not follow branches at BPs")
    sub.add_argument("--allow-outside-domain", action="store_true",
                     help="continue branches outside the model's physical domain (flagged, drawn "
                          "grey) instead of stopping where they leave it")
    sub.add_argument("--cycles", action="store_true",
                     help="also continue the limit cycles born at every Hopf point (LC-C), with "
                          "Floquet multipliers, LPC, PD and NS; draws DIR/frequency.png")
    sub.add_argument("--auto", action="store_true",
                     help="explore recursively: switch at BPs, cycles from Hopf points, doubled "
                          "cycles from PDs (depth 3 unless --depth)")
    sub.add_argument("--depth", type=int, default=None,
                     help="levels of branches to follow from the first (default 1; 3 with --auto)")
    sub.add_argument("--ntst", type=int, default=50, help="collocation mesh intervals (cycles)")
    sub.add_argument("--ncol", type=int, default=4, help="collocation points per interval")
    sub.add_argument("--out", default="bifurc-out", metavar="DIR", help="output folder")
    _add_continuation_options(sub)
    sub.set_defaults(run=command_diagram)

    sub = commands.add_parser(
        "twopar", help="two-parameter curve (LP-C, H-C, LPC-C, PD-C, NS-C, TI-C, HOM-C, LCT-C) "
                       "through a special point",
        description="Continue the fold curve through an LP, the Hopf curve through an H, the "
                    "fold-of-cycles curve through an LPC, the period-doubling curve through a PD, "
                    "the torus curve through an NS, the homoclinic curve through a HOM (the end "
                    "of a cycle family, `bifurc diagram --cycles`) or a BT point "
                    "of a diagram made by `bifurc diagram` (or the synchrony boundary through a "
                    "transverse-instability point TI of a diagram made by `bifurc msf --free "
                    "... --connectome`), in two parameters; locate CP, BT, ZH "
                    "(fold) and BT, GH, ZH, HH (Hopf). Appends the curve to DIR/branches.json and "
                    "draws DIR/twopar.png.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub.add_argument("model", metavar="MODEL", help="built-in name or model file")
    sub.add_argument("--from", dest="from_label", required=True, metavar="LABEL",
                     help="special point of the diagram, e.g. H1, LP2 or TI3 (or 1:BP1 for branch 1)")
    sub.add_argument("--free", required=True, nargs=2, metavar=("PAR1", "PAR2"),
                     help="the two free parameters")
    sub.add_argument("--bounds", nargs="+", action="extend", metavar="NAME=LO:HI",
                     help="parameter windows (default: the diagram's range, else the declared "
                          "bounds or value +- 2(|value| + 10))")
    sub.add_argument("--curve", metavar="KIND",
                     help="the curve type, when not the one the point starts: LCT-C continues "
                          "the cycles of the period of a HOM point's last cycle (the "
                          "long-period approximation of the homoclinic curve)")
    sub.add_argument("--free-period", action="store_true",
                     help="HOM-C: the truncation time T is free (the distance of the orbit's "
                          "start from the saddle is kept instead)")
    sub.add_argument("--epsilon", type=float, metavar="EPS",
                     help="HOM-C from a BT point: amplitude of the asymptotic orbit (saddle "
                          "eigenvalues about +-2 EPS; default 1%% of the slowest other rate there)")
    sub.add_argument("--diagram", metavar="DIR", help="folder of the diagram (default: --out)")
    sub.add_argument("--out", default="bifurc-out", metavar="DIR", help="output folder")
    _add_continuation_options(sub)
    sub.set_defaults(run=command_twopar)

    sub = commands.add_parser(
        "msf", help="master stability function of the synchronous state at one parameter point",
        description="Find the attractor of the homogeneous system f(x) + eps H x at the given "
                    "parameters by simulation (an equilibrium, a cycle refined by collocation, "
                    "or quasi-periodic or chaotic motion) and evaluate the master stability "
                    "function on an L grid and at the connectome's eigenvalues (eigenvalues, "
                    "Floquet exponents, or for the last two the variational equations "
                    "integrated along the trajectory, with their uncertainty); write "
                    "DIR/msf.json (kind, period, L, growth_rate per time unit, uncertainty, "
                    "unstable_modes) and DIR/msf.png.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub.add_argument("model", metavar="MODEL", help="built-in name or model file")
    sub.add_argument("--eps", type=float, help="global coupling strength (required unless "
                                                  "--plane varies eps)")
    sub.add_argument("--at", metavar="PAR=VALUE", help="the parameter point (one-point form)")
    sub.add_argument("--free", metavar="PAR",
                     help="branch form: continue the homogeneous system's equilibria and the "
                          "cycles born at their Hopf points in PAR over --range, with the MSF "
                          "at every point (DIR/msf.npz, DIR/msf.json, DIR/msf_map_<i>.png)")
    sub.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"),
                     help="bounds of --free")
    sub.add_argument("--preset", metavar="NAME",
                     help="a named parameter set of the model file (bifurc show MODEL lists "
                          "them); --set values override it")
    sub.add_argument("--set", action="append", metavar="NAME=VALUE", help="parameter values")
    sub.add_argument("--L-grid", default="-1:1:201", metavar="LO:HI:N",
                     help="the L grid (write --L-grid=-1:1:201: the value starts with a minus)")
    sub.add_argument("--connectome", metavar="NAME",
                     help="tvb66/68/76/96/192 or a file; regions without input are dropped")
    sub.add_argument("--ntst", type=int, default=50, help="collocation mesh intervals (cycles)")
    sub.add_argument("--ncol", type=int, default=4, help="collocation points per interval")
    sub.add_argument("--duration", type=float, default=4000.0, metavar="T",
                     help="quasi-periodic or chaotic states: length of the variational "
                          "integration (model time units)")
    sub.add_argument("--transient", type=float, default=1000.0, metavar="T",
                     help="quasi-periodic or chaotic states: time integrated before measuring")
    sub.add_argument("--plane", nargs=2, metavar="PAR=LO:HI:N",
                     help="map form: the transverse-instability map over two parameters of "
                          "the homogeneous system (eps may be one) at the connectome's modes, "
                          "or at the --L-grid values without --connectome "
                          "(DIR/transverse_map.json, .npz, .png; resumable)")
    sub.add_argument("--scan", metavar="PAR=LO:HI:N",
                     help="scan form: the network's largest Lyapunov exponents along PAR "
                          "(simulated on --connectome) next to the MSF's prediction "
                          "(DIR/lyapunov_scan.json, .png)")
    sub.add_argument("--exponents", type=int, default=3,
                     help="scan form: how many network exponents")
    sub.add_argument("--curves", metavar="DIR",
                     help="map form: draw the two-parameter curves of DIR/branches.json in "
                          "the same plane (e.g. TI-C boundaries from `bifurc twopar`)")
    sub.add_argument("--modes", nargs="+", type=int, metavar="K",
                     help="map form: also keep the growth of these modes (indices)")
    sub.add_argument("--workers", type=int, default=None,
                     help="map form: local worker processes (default 2)")
    sub.add_argument("--scheduler", metavar="ADDRESS",
                     help="map form: run on a Dask cluster, e.g. tcp://host:8786")
    sub.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_argument("--out", default="bifurc-out", metavar="DIR", help="output folder")
    sub.set_defaults(run=command_msf)

    sub = commands.add_parser(
        "study", help="run a paper-figure study (figures and data)",
        description="Run one of the studies in studies/: it writes its figures (PNG, PDF) "
                    "and the data behind them. `bifurc study --list` names them.")
    sub.add_argument("name", nargs="?", help="study name (see --list)")
    sub.add_argument("--out", metavar="DIR", help="output folder (default results/NAME)")
    sub.add_argument("--quick", action="store_true",
                     help="reduced resolution and durations (what the tests run)")
    sub.add_argument("--list", action="store_true", help="list the studies")
    sub.set_defaults(run=command_study)

    sub = commands.add_parser(
        "sweep", help="simulate a parameter grid and classify every point",
        description="Simulate every point of a parameter grid from the model's initial state "
                    "and from a second, high-activity state, and classify it: rest, "
                    "oscillation (with its frequency), bistable, chaos (largest Lyapunov "
                    "exponent above --chaos-threshold) or diverged. Writes DIR/sweep.csv (one "
                    "row per point, appended as points finish), DIR/sweep.json (settings, "
                    "schema bifurc.sweep/1) and DIR/map.png; see docs/sweep.md. Runs in local "
                    "processes, or on a Dask cluster with --scheduler. After Ctrl-C the "
                    "finished points are kept and the same command resumes.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub.add_argument("model", metavar="MODEL", help="built-in name or model file")
    sub.add_argument("--grid", required=True, nargs="+", metavar="PAR=LO:HI:N",
                     help="grid parameters: N values from LO to HI each (the last varies fastest)")
    sub.add_argument("--measure", default="regime,frequency", metavar="MEASURES",
                     help="comma-separated: regime (always), frequency, range, lyapunov, "
                          "equilibrium")
    sub.add_argument("--preset", metavar="NAME",
                     help="a named parameter set of the model file (bifurc show MODEL lists "
                          "them); --set values override it")
    sub.add_argument("--set", action="append", metavar="NAME=VALUE",
                     help="values of the other parameters")
    sub.add_argument("--duration", type=float, default=1000.0, help="length of each run (ms)")
    sub.add_argument("--dt", type=float, default=0.05, help="RK4 step (ms)")
    sub.add_argument("--max-duration", type=float, default=None, metavar="MS",
                     help="runs whose oscillation amplitude still changes are continued up to "
                          "this (default: 10 x --duration)")
    sub.add_argument("--discard", type=float, default=0.5,
                     help="fraction of each run treated as transient")
    sub.add_argument("--state", metavar="STATE",
                     help="observed state for frequency and range (default: the first)")
    sub.add_argument("--second-state", action="append", metavar="NAME=VALUE",
                     help="initial state of the second run (default: rates at 1 kHz, other "
                          "states 0)")
    sub.add_argument("--chaos-threshold", type=float, default=10.0,
                     help="largest Lyapunov exponent (1/s) above which a point is chaotic")
    sub.add_argument("--workers", type=int, default=None,
                     help="local worker processes (default: the number of cores; 1: no pool)")
    sub.add_argument("--scheduler", metavar="ADDRESS",
                     help="run on a Dask cluster, e.g. tcp://host:8786 (needs bifurc[dask])")
    sub.add_argument("--out", default="bifurc-out", metavar="DIR", help="output folder")
    sub.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.set_defaults(run=command_sweep)
    # values such as `--range -1e1 0` or `-inf`: argparse's own pattern for negative
    # numbers knows neither exponents nor inf, and would read them as options
    negative_number = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-inf$")
    for command in (parser, *commands.choices.values()):
        command._negative_number_matcher = negative_number
    return parser


def main(argv=None) -> int:
    """Run a command: 0 on success, 2 for an error the message names (bad
    input, or an attractor a command cannot analyse), 130 when interrupted
    (Ctrl-C; what was computed is kept where the command can keep it)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return args.run(args)
    except BifurcError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `bifurc ... | head`: the reader left; nothing more to say
        sys.stderr.close()
        return 1
    except OSError as error:  # a file that could not be written or read after all
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
