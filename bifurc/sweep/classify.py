"""One grid point: simulate from two initial states and classify the regime (a
pure function of its task, so it runs in any process)."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from ..errors import BifurcError, SimulationError
from ..model import model_from_spec_json
from ..units import PER_SECOND
from .options import SweepOptions, columns_for

# ------------------------------------------------------------- one grid point


def _window_summary(run, options: "SweepOptions", per_second: float, observed: str) -> dict:
    """min, max, mean and magnitude of every state over the last part of ``run``;
    whether it rests; the amplitudes of the three thirds of that part (sum over
    states of range / magnitude) and whether they agree within
    ``settle_tolerance`` (settled); the observed state's frequency (Hz)."""
    from ..analysis import oscillation_frequency

    keep = run.time >= options.discard * run.time[-1]
    states = run.states[keep, 0, :]
    low, high, mean = states.min(axis=0), states.max(axis=0), states.mean(axis=0)
    scale = np.maximum(np.abs(low), np.abs(high)) + 1e-12
    amplitudes = [float(np.sum((p.max(axis=0) - p.min(axis=0)) / scale))
                  for p in np.array_split(states, 3)]
    k = run.state_names.index(observed)
    return {"min": low, "max": high, "mean": mean, "scale": scale, "samples": states,
            "resting": bool(np.all(high - low <= options.stationary_tolerance * scale)),
            "amplitudes": amplitudes,
            "settled": abs(amplitudes[2] - amplitudes[1])
            <= options.settle_tolerance * max(amplitudes[1:]),
            "frequency_hz": per_second * oscillation_frequency(run.time, run.states[:, 0, k],
                                                               options.discard),
            "end": run.states[-1, 0, :].copy()}


def _settled_run(model, parameters, initial, options, per_second, observed) -> dict:
    """Simulate ``duration`` ms pieces from ``initial`` until the last piece rests
    or its oscillation amplitude has settled, or ``max_duration`` is used up;
    the summary of the last piece, with ``elapsed`` (ms simulated)."""
    from ..integrate import RK4, simulate

    elapsed = 0.0
    limit = options.max_duration or 10 * options.duration
    while True:
        run = simulate(model, parameters, options.duration, RK4(options.dt),
                       initial_state=initial)
        if run.status == "interrupted":  # Ctrl-C in a serial sweep: stop, keep no row
            raise KeyboardInterrupt
        elapsed += options.duration
        summary = _window_summary(run, options, per_second, observed)
        summary["elapsed"] = elapsed
        if summary["resting"] or summary["settled"] or elapsed + options.duration > limit:
            return summary
        initial = summary["end"]


def _distance_to_trajectory(probes, trajectory, scale, n_probes: int = 16) -> float:
    """Largest distance from ``n_probes`` evenly spaced samples of ``probes`` to
    the polyline through ``trajectory``, per state in units of ``scale``
    (max-norm of the residual after Euclidean projection onto each segment)."""
    chosen = probes[np.linspace(0, len(probes) - 1, n_probes).round().astype(int)] / scale
    start = trajectory[:-1] / scale
    step = np.diff(trajectory, axis=0) / scale
    if len(step) == 0:
        start, step = trajectory / scale, np.zeros_like(trajectory)
    length2 = np.maximum(np.einsum("ij,ij->i", step, step), 1e-300)
    distances = []
    for point in chosen:
        fraction = np.clip(np.einsum("ij,ij->i", point - start, step) / length2, 0.0, 1.0)
        residual = point - (start + fraction[:, None] * step)
        distances.append(float(np.abs(residual).max(axis=1).min()))
    return float(np.median(distances))


def _damped_to_equilibrium(model, parameters, summary, options, per_second):
    """(stationary, message) for a run still moving at its end: True when its
    oscillation is a damped one that settles on a stable equilibrium.

    The window is cut into three equal parts with amplitudes a1, a2, a3 (sum
    over states of range / magnitude). For a decay a_k = a_inf + c q^k, Aitken's
    delta-squared extrapolation a3 - (a3 - a2)^2 / (a3 - 2 a2 + a1) recovers
    a_inf; the oscillation dies out when it is below a3 / 10, and the point
    rests when Newton from the last part's mean finds an equilibrium whose
    eigenvalues all have negative real parts.
    """
    from ..codegen import compile_model
    from ..continuation.equilibria import newton_equilibrium

    a1, a2, a3 = summary["amplitudes"]
    if not (a3 < 0.999 * a2 and a2 < 0.999 * a1):
        return False, ""
    curvature = a3 - 2 * a2 + a1
    limit = a3 - (a3 - a2) ** 2 / curvature if curvature > 0 else -math.inf
    if limit >= 0.1 * a3:
        return False, ""
    compiled = compile_model(model)
    x, converged, _ = newton_equilibrium(compiled, parameters.values,
                                          np.array_split(summary["samples"], 3)[-1].mean(axis=0))
    if not converged:
        return False, ""
    leading = per_second * float(np.linalg.eigvals(compiled.jacobian(x, parameters.values)).real.max())
    if leading >= 0:
        return False, ""
    part_length = options.duration * (1 - options.discard) / 3
    rate = per_second * math.log(a2 / a3) / part_length
    return True, (f"damped oscillation after {summary['elapsed']:g} ms: amplitude decaying at "
                  f"{rate:.3g}/s onto an equilibrium whose leading eigenvalue has real part "
                  f"{leading:.3g}/s; classified rest")


def _non_finite(summaries, lyapunov: float, needed: bool) -> str:
    """Why a point cannot be classified ("" when it can): a state that is not
    finite in a simulated window, or a largest Lyapunov exponent that is NaN or
    infinite where the regime depends on it (the tangent dynamics overflowed)."""
    for name, summary in zip(("initial", "second"), summaries):
        if not np.all(np.isfinite(summary["samples"])):
            return f"{name} state: the simulated window holds non-finite values"
    if needed and not math.isfinite(lyapunov):
        return (f"largest Lyapunov exponent is {lyapunov}: the tangent dynamics were not "
                f"finite, so chaos cannot be told from oscillation")
    return ""


def evaluate_point(task: Mapping) -> dict:
    """Simulate and classify one grid point: a pure function of ``task``.

    ``task`` holds ``model_spec`` (JSON text of the model's plain-data
    specification), ``parameters`` ({name: value}, all of them), ``point`` (its
    flat grid index), ``grid_names``, ``measures``, ``options`` (a
    :class:`SweepOptions` as a dict) and ``second_state`` ({state: value}).
    Returns one table row {column: value}.
    """
    from ..codegen import compile_model
    from ..continuation import find_equilibrium
    from ..lyapunov import lyapunov_spectrum

    model = model_from_spec_json(task["model_spec"])
    options = SweepOptions(**task["options"])
    measures = task["measures"]
    observed = options.state or model.state_names[0]
    k = model.state_index(observed)
    per_second = PER_SECOND[model.time_unit]
    parameters = model.parameters(**task["parameters"])
    row = {name: float("nan") for name in columns_for(model, task["grid_names"], measures,
                                                      observed)}
    row.update(point=int(task["point"]), message="",
               **{name: parameters[name] for name in task["grid_names"]})
    notes = []
    try:
        summaries = [_settled_run(model, parameters, initial, options, per_second, observed)
                     for initial in (None, task["second_state"])]
        a, b = summaries
        rests = []
        for name, summary in zip(("initial", "second"), summaries):
            resting = summary["resting"]
            if not resting and not summary["settled"]:
                resting, note = _damped_to_equilibrium(model, parameters, summary, options,
                                                       per_second)
                notes.append(f"{name} state: " + (note or (
                    f"amplitude still changing after {summary['elapsed']:g} ms (amplitudes of "
                    f"the last thirds {', '.join(f'{x:.3g}' for x in summary['amplitudes'])}); "
                    f"raise max_duration (--max-duration)")))
            rests.append(resting)
        stationary = rests[0]
        # the attractors' joint extent, at least a tenth of the states' magnitude
        scale = np.maximum(np.maximum(a["max"], b["max"]) - np.minimum(a["min"], b["min"]),
                           0.1 * np.maximum(a["scale"], b["scale"]))
        same = max(_distance_to_trajectory(a["samples"], b["samples"], scale),
                   _distance_to_trajectory(b["samples"], a["samples"], scale)) \
            <= options.attractor_tolerance
        if same and rests[1] and not stationary:  # one attractor: B showed it is at rest
            rests[0] = stationary = True
        lyapunov = float("nan")
        if "lyapunov" in measures or (same and not stationary):
            spectrum = lyapunov_spectrum(model, parameters, 1, duration=options.lyapunov_duration,
                                         transient=options.lyapunov_duration / 10,
                                         dt=options.lyapunov_dt, initial_state=a["end"])
            lyapunov = per_second * float(spectrum.exponents[0])
    except SimulationError as error:
        row.update(regime="diverged", message=str(error))
        return row
    row["message"] = "; ".join(notes)
    undetermined = _non_finite(summaries, lyapunov, needed=same and not stationary)
    if undetermined:  # NaN is never a regime: say what was not finite
        row.update(regime="diverged", message="; ".join(notes + [undetermined]))
        return row
    if not same:
        row["regime"] = "bistable"
    elif not stationary and lyapunov > options.chaos_threshold:
        row["regime"] = "chaos"
    else:
        row["regime"] = "rest" if stationary else "oscillation"
    if "frequency" in measures:
        # a damped spiral still crosses its mean: a run at rest has frequency 0
        row["frequency_hz"], row["second_frequency_hz"] = (
            0.0 if resting else s["frequency_hz"] for s, resting in zip(summaries, rests))
    if "range" in measures:
        for prefix, summary in (("", a), ("second_", b)):
            for stat in ("min", "max", "mean"):
                row[f"{prefix}{observed}_{stat}"] = float(summary[stat][k])
    if "lyapunov" in measures:
        row["lyapunov_per_s"] = lyapunov
    if "equilibrium" in measures:
        try:
            x = find_equilibrium(model, parameters, guess=a["mean"])
            eigenvalues = np.linalg.eigvals(compile_model(model).jacobian(x, parameters.values))
            row[f"equilibrium_{observed}"] = float(x[k])
            row["equilibrium_max_real_per_s"] = per_second * float(eigenvalues.real.max())
        except BifurcError as error:
            row["message"] = "; ".join(notes + [f"equilibrium: {error}"])
    return row
