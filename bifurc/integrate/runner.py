"""``simulate``: the one entry point for time integration of a node or a network."""

from __future__ import annotations

import math
import os
import time as _time
import warnings
from typing import Mapping, Sequence

import numpy as np
from tqdm.auto import tqdm

from ..codegen import compile_model, parameter_vector
from ..errors import DivergenceError, ParameterError, SimulationError
from ..model import Model
from ..network import Network, kernel_parts
from ..trajectory import Trajectory
from .inputs import Noise, Stimulus, pack_stimuli
from .solvers import RK4, Integrator, RunContext

#: Chunks per run: the progress bar and Ctrl-C act between chunks.
CHUNKS_PER_RUN = 200


def node_parameters(model: Model, parameters, node_values: Mapping | None, n_nodes: int):
    """(base parameter vector, (n_nodes, m) per-node parameters): the base
    values on every node, with ``node_values`` {name: values per node} applied
    and checked against the parameters' bounds."""
    base = parameter_vector(model, parameters)
    P = np.ascontiguousarray(np.broadcast_to(base, (n_nodes, model.n_parameters)))
    for name, values in (node_values or {}).items():
        column = model.parameter_index(name)
        values = np.broadcast_to(np.asarray(values, dtype=float), (n_nodes,))
        for v in values:
            model.parameter_info[name].check(v, what="node value")
        P[:, column] = values
    return base, P


def initial_states(model: Model, initial_state, n_nodes: int) -> np.ndarray:
    """(n_nodes, n) initial states from None (the model's), {state: value}, a
    vector (every node) or an array per node; checked finite and shaped."""
    if initial_state is None:
        x0 = model.initial_state()
    elif isinstance(initial_state, Mapping):
        x0 = model.initial_state(**initial_state)
    else:
        x0 = np.asarray(initial_state, dtype=float)
    if x0.shape == (model.n_states,):
        x0 = np.broadcast_to(x0, (n_nodes, model.n_states))
    if x0.shape != (n_nodes, model.n_states):
        raise ParameterError(f"`initial_state` must have shape ({model.n_states},) or "
                             f"({n_nodes}, {model.n_states}), got {np.shape(initial_state)}")
    if not np.all(np.isfinite(x0)):
        raise ParameterError("`initial_state` has non-finite values")
    return np.array(x0, dtype=float, order="C")


def check_recording_memory(n_samples: float, n_nodes: int, n_states: int) -> None:
    """Refuse a run whose recorded samples would not fit in half the free
    memory (ParameterError, before anything is allocated)."""
    needed = 8.0 * n_samples * n_nodes * n_states
    try:
        available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system: no check
        return
    if needed > 0.5 * available:
        raise ParameterError(
            f"the run would record {n_samples:.3g} samples of {n_nodes} node(s) x {n_states} "
            f"state(s), {needed / 2**30:.1f} GiB, more than half the free memory "
            f"({available / 2**30:.1f} GiB): shorten the duration, raise the sample interval "
            f"or record fewer states")


def simulate(problem: Model | Network, parameters=None, duration: float = 1000.0,
             integrator: Integrator | None = None, *, initial_state=None,
             sample_interval: float | None = None, noise: Noise | None = None,
             stimuli: Sequence[Stimulus] = (), record: Sequence[str] | None = None,
             node_values: Mapping[str, Sequence[float]] | None = None, seed: int | None = None,
             progress: bool = False, raise_on_divergence: bool = True) -> Trajectory:
    """Integrate a node model or a network and sample the solution.

    Parameters
    ----------
    problem : Model or Network
    parameters : ParameterSet, dict or vector, optional
        Base parameter values (model defaults when omitted).
    duration : float
        Length of the run in the model's time unit (ms).
    integrator : Integrator
        ``RK4(dt)`` (default, dt = 0.05 ms), ``DormandPrince(rtol, atol)``,
        ``EulerMaruyama(dt)`` or ``StochasticHeun(dt)`` (the last two with noise).
    initial_state : vector (n,), array (N, n) or {state: value}, optional
    sample_interval : float, optional
        Output spacing (ms); a multiple of dt for fixed-step integrators.
        Default: dt for fixed-step integrators, 0.1 ms for adaptive ones.
    noise : Noise, optional
        Additive noise; needs a stochastic integrator.
    stimuli : sequence of Stimulus
        Time-dependent additions to parameters on chosen nodes.
    record : sequence of state names, optional
        States to keep (all by default).
    node_values : {parameter: values per node}, optional
        Heterogeneous parameters across nodes.
    seed : int, optional
        Seed of the noise generator.
    progress : bool
        Show a progress bar.
    raise_on_divergence : bool
        If a state becomes non-finite, raise DivergenceError (default; the
        finite part of the run is attached as ``error.trajectory``), else return
        the truncated trajectory with status "diverged".

    Returns
    -------
    Trajectory
        Samples at t = 0, sample_interval, ...; ``metadata`` holds the settings
        and the timings (``compile_seconds`` separate from ``run_seconds``).
        Ctrl-C stops the run and returns what was computed, status "interrupted".
    """
    model, n_nodes, coupling = kernel_parts(problem)
    integrator = integrator or RK4()
    if not isinstance(integrator, Integrator):
        raise ParameterError(f"`integrator` must be an Integrator such as RK4(dt=0.05), "
                             f"got {integrator!r}")
    duration = float(duration)
    if not (math.isfinite(duration) and duration > 0):
        raise ParameterError(f"`duration` must be positive and finite, got {duration}")
    if sample_interval is None:
        sample_interval = getattr(integrator, "dt", 0.1)
    sample_interval = float(sample_interval)
    if not (math.isfinite(sample_interval) and 0 < sample_interval <= duration):
        raise ParameterError(f"`sample_interval` must be in (0, duration], got {sample_interval}")
    integrator.check(sample_interval)
    if noise is not None and not integrator.stochastic:
        raise ParameterError(f"noise needs a stochastic integrator (EulerMaruyama or "
                             f"StochasticHeun), not {type(integrator).__name__}")
    n_samples = int(math.floor(duration / sample_interval * (1 + 1e-12)))
    base, P = node_parameters(model, parameters, node_values, n_nodes)
    X = initial_states(model, initial_state, n_nodes)
    record_names = tuple(record) if record is not None else model.state_names
    record_index = np.array([model.state_index(s) for s in record_names], dtype=np.int64)
    sigma = (noise.amplitudes(model, n_nodes) if noise is not None
             else np.zeros((n_nodes, model.n_states)))
    check_recording_memory(n_samples + 1, n_nodes, len(record_names))
    out = np.empty((n_samples + 1, n_nodes, len(record_names)))
    out[0] = X[:, record_index]
    ctx = RunContext(kernels=None, X=X, P=P, coupling=coupling,
                     stimuli=pack_stimuli(list(stimuli), model, n_nodes, P), sigma=sigma,
                     record=record_index, out=out, sample_interval=sample_interval)

    start = _time.perf_counter()
    compiled = compile_model(model)
    ctx.kernels = compiled.kernels
    integrator.compile(ctx)
    if integrator.stochastic:
        compiled.kernels.seed_noise(int(seed) if seed is not None
                                    else int(np.random.SeedSequence().entropy % 2**32))
    compile_seconds = _time.perf_counter() - start

    chunk = max(1, math.ceil(n_samples / CHUNKS_PER_RUN))
    status, message = "completed", ""
    start = _time.perf_counter()
    bar = tqdm(total=round(n_samples * sample_interval, 6), unit="ms", disable=not progress,
               desc=f"simulate {model.name}", leave=False)
    try:
        while ctx.samples_done < n_samples:
            count = min(chunk, n_samples - ctx.samples_done)
            result = integrator.advance(ctx, count)
            if result.status != 0:
                status, message = "diverged", _failure_message(model, result, ctx, n_nodes)
                break
            ctx.samples_done += count
            ctx.t = ctx.samples_done * sample_interval
            bar.update(count * sample_interval)
    except KeyboardInterrupt:
        status = "interrupted"
        message = f"interrupted by the user at t = {ctx.t:g} {model.time_unit}; samples up to it are kept"
        warnings.warn(message, stacklevel=2)
    finally:
        bar.close()
    run_seconds = _time.perf_counter() - start

    metadata = {
        "integrator": integrator.describe(), "duration": duration, "time_unit": model.time_unit,
        "sample_interval": sample_interval, "n_nodes": n_nodes,
        "network": problem.describe() if isinstance(problem, Network) else None,
        "noise": None if noise is None else {"sigma": sigma[0].tolist(), "seed": seed},
        "stimuli": [vars(s) | {"nodes": None if s.nodes is None else [int(k) for k in s.nodes]}
                    for s in stimuli],
        "node_values": {k: np.broadcast_to(v, (n_nodes,)).tolist()
                        for k, v in (node_values or {}).items()},
        "compile_seconds": compile_seconds, "run_seconds": run_seconds,
        "steps_accepted": ctx.steps_accepted, "steps_rejected": ctx.steps_rejected,
    }
    kept = ctx.samples_done + 1
    trajectory = Trajectory(time=sample_interval * np.arange(kept), states=out[:kept].copy(),
                            state_names=record_names, model=model.name,
                            parameters=dict(zip(model.parameter_names, base.tolist())),
                            status=status, message=message, metadata=metadata)
    if status == "diverged" and raise_on_divergence:
        raise DivergenceError(message, trajectory)
    return trajectory


def _failure_message(model: Model, result, ctx: RunContext, n_nodes: int) -> str:
    if result.status == 1:
        where = f"state `{model.state_names[result.state]}`"
        if n_nodes > 1:
            where += f" of node {result.node}"
        return (f"simulation diverged: {where} became non-finite at t = {result.time:.6g} "
                f"{model.time_unit} (last finite sample at t = {ctx.t:.6g}); reduce the step "
                f"size or check the parameters")
    if result.status == 2:
        return (f"adaptive step size fell below round-off at t = {result.time:.6g} "
                f"{model.time_unit}: the solution is probably blowing up; check the parameters")
    raise SimulationError(f"unknown kernel status {result.status}")
