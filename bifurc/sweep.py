"""Parameter sweeps: simulate every point of a grid and classify its regime.

Each grid point is an independent, pure task (the model specification, the
parameter values, the measures and the options in; one table row out), so the
points can run in local processes or on a Dask cluster through any
:class:`concurrent.futures.Executor`. Rows are appended to ``DIR/sweep.csv`` as
points finish, so an interrupted sweep keeps its finished points and a rerun
with the same settings computes only the missing ones.

Classification of one point (docs/sweep.md has the details and the theory):
the model is integrated (RK4) from its default initial state (run A) and from
a second, distinct "high-activity" state (run B), and the last part of each run
is summarised by the minimum, maximum and mean of every state.

- ``diverged``: a run (or the Lyapunov computation) became non-finite;
- ``bistable``: the two runs end on different attractors (the samples of one
  run's last part are not on the other run's trajectory, within
  ``attractor_tolerance``);
- ``chaos``: run A does not rest and its largest Lyapunov exponent exceeds
  ``chaos_threshold`` (1/s);
- ``oscillation``: run A does not rest (a limit cycle, or a torus);
- ``rest``: run A ends on an equilibrium (every state's range is below
  ``stationary_tolerance`` times its magnitude, or its oscillation is damped
  onto a stable equilibrium).
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import functools
import itertools
import json
import math
import multiprocessing
import os
import signal
import time as _time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from tqdm.auto import tqdm

from .errors import BifurcError, ParameterError, SimulationError
from .model import Model
from .model_files import load_model

#: Schema identifier of ``sweep.json`` / ``sweep.csv`` (docs/sweep.md).
SCHEMA = "bifurc.sweep/1"
#: The regimes a point can be classified as, in order of precedence.
REGIMES = ("diverged", "bistable", "chaos", "oscillation", "rest")
#: Measures (table columns) a sweep can record; ``regime`` is always recorded.
MEASURES = {
    "regime": "classification: rest, oscillation, bistable, chaos or diverged",
    "frequency": "oscillation frequency (Hz) of the observed state in runs A and B",
    "range": "minimum, maximum and mean of the observed state in runs A and B",
    "lyapunov": "largest Lyapunov exponent (1/s) on the attractor of run A",
    "equilibrium": "the equilibrium found by Newton from run A's mean state: the observed "
                   "state there and the largest real part of its eigenvalues (1/s)",
}
_PER_SECOND = {"ms": 1000.0, "s": 1.0}
_DATA_FILE, _META_FILE, _MAP_FILE = "sweep.csv", "sweep.json", "map.png"


@dataclass(frozen=True)
class SweepOptions:
    """How each point is simulated and classified.

    duration : length of each run (model time unit, ms); a run whose oscillation
        amplitude is still changing (the last thirds of its analysed part differ
        by more than ``settle_tolerance``) is continued by another ``duration``,
        up to ``max_duration`` (default 10 x duration) in all; the analysis uses
        the last piece
    dt : RK4 step (ms); the runs are sampled at every step
    discard : fraction of each run treated as transient; the rest is summarised
    state : the observed state (default: the model's first state)
    second_state : {state: value} of run B; unnamed states keep their default.
        Default: every rate state (unit kHz or Hz) at 1 kHz, every other state 0
        (a high-activity state); models without rate states must give it.
    stationary_tolerance : a run rests when, for every state, max - min <=
        stationary_tolerance * max|x| (+1e-12)
    settle_tolerance : relative change of the oscillation amplitude between the
        last two thirds below which a run has settled
    max_duration : longest a run is continued while unsettled (ms; default
        10 x duration)
    attractor_tolerance : runs A and B are on the same attractor when the median
        distance from 16 samples of each run's last part to the other run's
        trajectory (a polyline through its samples) is at most this, measured
        per state in units of the joint extent of both runs (max - min, at
        least a tenth of max|x|)
    chaos_threshold : a non-stationary point is chaotic when its largest
        Lyapunov exponent exceeds this (1/s)
    lyapunov_duration : averaging time of the Lyapunov exponent (ms), after a
        transient of a tenth of it, from the end of run A
    lyapunov_dt : RK4 step of the tangent dynamics (ms)
    """

    duration: float = 1000.0
    dt: float = 0.05
    discard: float = 0.5
    state: str | None = None
    second_state: Mapping[str, float] | None = None
    stationary_tolerance: float = 1e-3
    attractor_tolerance: float = 0.02
    chaos_threshold: float = 10.0
    settle_tolerance: float = 0.01
    max_duration: float | None = None
    lyapunov_duration: float = 1000.0
    lyapunov_dt: float = 0.01

    def __post_init__(self):
        for name in ("duration", "dt", "stationary_tolerance", "attractor_tolerance",
                     "chaos_threshold", "lyapunov_duration", "lyapunov_dt", "settle_tolerance"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ParameterError(f"`{name}` must be positive and finite, got {value!r}")
        if not 0 <= self.discard < 1:
            raise ParameterError(f"`discard` must lie in [0, 1), got {self.discard!r}")
        if self.max_duration is not None and not (
                isinstance(self.max_duration, (int, float)) and math.isfinite(self.max_duration)
                and self.max_duration >= self.duration):
            raise ParameterError(f"`max_duration` must be finite and at least duration = "
                                 f"{self.duration:g}, got {self.max_duration!r}")
        if self.dt > self.duration / 20:
            raise ParameterError(f"`dt` must be at most duration / 20 = {self.duration / 20:g}, "
                                 f"got {self.dt!r}")
        if self.second_state is not None:
            object.__setattr__(self, "second_state",
                               {str(k): float(v) for k, v in dict(self.second_state).items()})

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------ the grid
def parse_grid(items: Sequence[str]) -> dict[str, np.ndarray]:
    """``["eta=-10:10:21", "J=5:15:3"]`` -> {name: numpy.linspace(LO, HI, N)}."""
    if isinstance(items, str):
        items = [items]
    grid = {}
    for item in items:
        name, sep, window = str(item).partition("=")
        name = name.strip()
        parts = window.split(":")
        if not sep or not name or len(parts) != 3:
            raise ParameterError(f"--grid expects NAME=LO:HI:N, got {item!r}")
        try:
            low, high = float(parts[0]), float(parts[1])
            count = int(parts[2])
        except ValueError:
            raise ParameterError(f"--grid {name}: LO and HI must be numbers and N an integer, "
                                 f"got {window!r}") from None
        if count < 1:
            raise ParameterError(f"--grid {name}: N must be at least 1, got {count}")
        if name in grid:
            raise ParameterError(f"--grid names `{name}` twice")
        grid[name] = np.linspace(low, high, count)
    if not grid:
        raise ParameterError("give at least one grid parameter, e.g. eta=-10:10:21")
    return grid


def _check_grid(model: Model, grid: Mapping, base: Mapping) -> dict[str, np.ndarray]:
    if not isinstance(grid, Mapping) or not grid:
        raise ParameterError("`grid` must be a non-empty {parameter: values} mapping")
    checked = {}
    for name, values in grid.items():
        model.parameter_index(name)  # raises with the list of parameters
        if name in ("point", "regime", "message"):
            raise ParameterError(f"parameter `{name}` cannot be swept: its name is a column of "
                                 f"the table; rename it in the model")
        if name in base:
            raise ParameterError(f"parameter `{name}` is both swept (grid) and fixed (parameters)")
        values = np.atleast_1d(np.asarray(values, dtype=float))
        if values.ndim != 1 or values.size == 0:
            raise ParameterError(f"grid values of `{name}` must be a non-empty 1-D sequence")
        for value in values:
            model.parameter_info[name].check(value, what="grid value")
        checked[name] = values
    return checked


def _measures(measures) -> tuple[str, ...]:
    if measures is None:
        measures = ("regime", "frequency")
    if isinstance(measures, str):
        measures = [m.strip() for m in measures.split(",") if m.strip()]
    chosen = ["regime"]
    for name in measures:
        if name not in MEASURES:
            raise ParameterError(f"unknown measure {name!r}; measures are: {', '.join(MEASURES)}")
        if name not in chosen:
            chosen.append(name)
    return tuple(m for m in MEASURES if m in chosen)


def _second_state(model: Model, options: SweepOptions) -> dict:
    if options.second_state is not None:
        for name in options.second_state:
            model.state_index(name)
        second = model.initial_state(**options.second_state)
    else:
        units = {"kHz": 1.0, "Hz": 1000.0}
        if not any(s.unit in units for s in model.states):
            raise ParameterError(
                f"model {model.name!r} has no rate state (unit kHz or Hz) to build the default "
                f"high-activity second state from; give `second_state` (--second-state)")
        second = np.array([units.get(s.unit, 0.0) for s in model.states])
    if np.allclose(second, model.initial_state()):
        raise ParameterError("the second initial state equals the model's initial state; "
                             "give a distinct `second_state`")
    return dict(zip(model.state_names, second.tolist()))


def columns_for(model: Model, grid_names: Sequence[str], measures: Sequence[str],
                state: str) -> tuple[str, ...]:
    """The table's columns, in order (schema in docs/sweep.md)."""
    columns = ["point", *grid_names, "regime"]
    if "frequency" in measures:
        columns += ["frequency_hz", "second_frequency_hz"]
    if "range" in measures:
        for prefix in ("", "second_"):
            columns += [f"{prefix}{state}_{stat}" for stat in ("min", "max", "mean")]
    if "lyapunov" in measures:
        columns.append("lyapunov_per_s")
    if "equilibrium" in measures:
        columns += [f"equilibrium_{state}", "equilibrium_max_real_per_s"]
    columns.append("message")
    return tuple(columns)


# ------------------------------------------------------------- one grid point
@functools.lru_cache(maxsize=8)
def _model_from_json(spec_json: str) -> Model:
    # Rebuilding a model parses its equations with SymPy; workers reuse it.
    return Model.from_spec(json.loads(spec_json))


def _window_summary(run, options: "SweepOptions", per_second: float, observed: str) -> dict:
    """min, max, mean and magnitude of every state over the last part of ``run``;
    whether it rests; the amplitudes of the three thirds of that part (sum over
    states of range / magnitude) and whether they agree within
    ``settle_tolerance`` (settled); the observed state's frequency (Hz)."""
    from .analysis import oscillation_frequency

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
    from .integrate import RK4, simulate

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
    from .codegen import compile_model
    from .continuation.equilibria import newton_equilibrium

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


def evaluate_point(task: Mapping) -> dict:
    """Simulate and classify one grid point: a pure function of ``task``.

    ``task`` holds ``model_spec`` (JSON text of the model's plain-data
    specification), ``parameters`` ({name: value}, all of them), ``point`` (its
    flat grid index), ``grid_names``, ``measures``, ``options`` (a
    :class:`SweepOptions` as a dict) and ``second_state`` ({state: value}).
    Returns one table row {column: value}.
    """
    from .codegen import compile_model
    from .continuation import find_equilibrium
    from .lyapunov import lyapunov_spectrum

    model = _model_from_json(task["model_spec"])
    options = SweepOptions(**task["options"])
    measures = task["measures"]
    observed = options.state or model.state_names[0]
    k = model.state_index(observed)
    per_second = _PER_SECOND[model.time_unit]
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


# ----------------------------------------------------------------- the table
@dataclass
class SweepResult:
    """A sweep's table and settings (plain data; ``sweep.json`` + ``sweep.csv``).

    rows : one {column: value} dict per finished point, sorted by ``point``
        (the flat C-order index of the grid: the last grid parameter varies fastest)
    status : "completed" or "interrupted" (then only some points are in ``rows``)
    """

    model: str
    grid: dict[str, np.ndarray]
    measures: tuple[str, ...]
    columns: tuple[str, ...]
    rows: list[dict]
    status: str
    metadata: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.grid.values())

    @property
    def n_points(self) -> int:
        return math.prod(self.shape)

    def column(self, name: str) -> np.ndarray:
        """One column over the finished points, in point order."""
        if name not in self.columns:
            raise ParameterError(f"no column {name!r}; columns are: {', '.join(self.columns)}")
        values = [row[name] for row in self.rows]
        return np.array(values, dtype=object if name in ("regime", "message") else
                        int if name == "point" else float)

    def as_grid(self, name: str) -> np.ndarray:
        """One column reshaped to the grid (NaN, or "" for text, at unfinished points)."""
        text = name in ("regime", "message")
        values = np.full(self.n_points, "" if text else np.nan, dtype=object if text else float)
        values[self.column("point")] = self.column(name)
        return values.reshape(self.shape)

    def counts(self) -> dict[str, int]:
        """Number of finished points per regime."""
        regimes = list(self.column("regime"))
        return {regime: regimes.count(regime) for regime in REGIMES if regime in regimes}


def _format(value) -> str:
    if isinstance(value, float):
        return repr(value)  # shortest round-trip text: the CSV is lossless
    return str(value)


def _parse(name: str, text: str):
    if name in ("regime", "message"):
        return text
    if name == "point":
        return int(text)
    return float(text)


def _read_rows(path: Path, columns: Sequence[str]) -> list[dict]:
    """Rows of ``sweep.csv``; a last line cut off by a hard kill is dropped."""
    rows = {}
    if not path.exists():
        return []
    with open(path, newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if header is None:
            return []
        if tuple(header) != tuple(columns):
            raise BifurcError(f"{path} has columns {', '.join(header)}, expected "
                              f"{', '.join(columns)}; it was written by other settings")
        for fields in reader:
            if len(fields) != len(columns):
                continue
            try:
                row = {name: _parse(name, text) for name, text in zip(columns, fields)}
            except ValueError:
                continue
            rows[row["point"]] = row
    return [rows[k] for k in sorted(rows)]


def _write_rows(path: Path, columns: Sequence[str], rows: Sequence[dict]) -> None:
    from .continuation.branch import _atomic

    def write(stream):
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_format(row[c]) for c in columns])
    _atomic(path, write, "w")


def _write_json(path: Path, data: dict) -> None:
    from .continuation.branch import _atomic
    _atomic(path, lambda stream: json.dump(data, stream, indent=1), "w")


def load_sweep(out) -> SweepResult:
    """Read a sweep folder written by :func:`sweep` (``sweep.json`` + ``sweep.csv``)."""
    out = Path(out)
    try:
        metadata = json.loads((out / _META_FILE).read_text())
    except FileNotFoundError:
        raise BifurcError(f"{out} holds no sweep ({_META_FILE} is missing)") from None
    if metadata.get("schema") != SCHEMA:
        raise BifurcError(f"{out / _META_FILE} has schema {metadata.get('schema')!r}, "
                          f"expected {SCHEMA!r}")
    settings = metadata["settings"]
    columns = tuple(metadata["columns"])
    rows = _read_rows(out / _DATA_FILE, columns)
    grid = {k: np.array(v, dtype=float) for k, v in settings["grid"].items()}
    return SweepResult(settings["model"], grid, tuple(settings["measures"]), columns, rows,
                       metadata.get("status", "interrupted"), metadata)


# ------------------------------------------------------------- running it
def _ignore_interrupts():
    # Workers ignore Ctrl-C: the main process decides what to keep and stops them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _process_context():
    # forkserver: workers fork from a server that imported bifurc once (fast, and
    # safe with threads in this process, unlike fork); it starts once per session.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["bifurc.sweep"])
    return context


def _describe_executor(executor, workers) -> str:
    if executor is None:
        return "serial" if workers == 1 else f"processes ({workers})"
    return type(executor).__name__


def sweep(model, grid, measures=None, *, parameters: Mapping | None = None,
          options: SweepOptions | None = None, executor: cf.Executor | None = None,
          workers: int | None = None, out=None, progress: bool = True) -> SweepResult:
    """Simulate every point of a parameter grid and classify its regime.

    Parameters
    ----------
    model : Model, built-in name or model file
    grid : {parameter: values} or ["NAME=LO:HI:N", ...]
        The grid is the Cartesian product of the values (C order: the last
        parameter varies fastest; point k is the k-th combination).
    measures : "regime,frequency" or a sequence of names from :data:`MEASURES`
        (``regime`` is always recorded; default regime and frequency).
    parameters : {name: value}, optional
        Fixed values of the other parameters (model defaults otherwise).
    options : SweepOptions
        Durations, step, tolerances and thresholds of the classification.
    executor : concurrent.futures.Executor, optional
        Runs the points, e.g. ``dask.distributed.Client(address).get_executor()``;
        not shut down here. Default: a process pool of ``workers`` processes
        (default: the number of cores); ``workers=1`` runs in this process.
    out : folder, optional
        Writes ``sweep.json`` (settings, schema ``bifurc.sweep/1``) and
        ``sweep.csv`` (one row per point, appended as points finish). If the
        folder already holds a sweep with the same settings, only the missing
        points are computed; with other settings, BifurcError.
    progress : bool
        Show a tqdm progress bar over points.

    Returns
    -------
    SweepResult
        Status "interrupted" (after Ctrl-C: the finished points, running
        points included, are kept and saved) or "completed".
    """
    model = load_model(model)
    if model.time_unit not in _PER_SECOND:
        raise ParameterError(f"sweep needs a model with time unit ms or s, "
                             f"got {model.time_unit!r}")
    options = options or SweepOptions()
    if not isinstance(options, SweepOptions):
        raise ParameterError(f"`options` must be a SweepOptions, got {type(options).__name__}")
    observed = options.state or model.state_names[0]
    model.state_index(observed)
    base = dict(parameters or {})
    model.parameters(**base)  # validates names and values
    if not isinstance(grid, Mapping):
        grid = parse_grid(grid)
    grid = _check_grid(model, grid, base)
    measures = _measures(measures)
    second = _second_state(model, options)
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ParameterError(f"`workers` must be a positive integer, got {workers!r}")
    workers = workers or os.cpu_count() or 1
    names = tuple(grid)
    columns = columns_for(model, names, measures, observed)
    spec_json = json.dumps(model.to_spec(), sort_keys=True)
    settings = json.loads(json.dumps({
        "model": model.name, "model_spec": json.loads(spec_json),
        "grid": {k: v.tolist() for k, v in grid.items()}, "measures": list(measures),
        "parameters": dict(model.parameters(**base)), "options": options.to_dict(),
        "second_state": second}))

    rows: list[dict] = []
    out = Path(out) if out is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        rows = _resume(out, settings, columns)
    done = {row["point"] for row in rows}
    points = list(itertools.product(*grid.values()))
    tasks = [{"model_spec": spec_json, "point": index,
              "parameters": {**base, **dict(zip(names, map(float, values)))},
              "grid_names": names, "measures": measures, "options": options.to_dict(),
              "second_state": second}
             for index, values in enumerate(points) if index not in done]
    from . import __version__
    metadata = {"schema": SCHEMA, "bifurc_version": __version__, "settings": settings,
                "columns": list(columns),
                "regimes": list(REGIMES), "n_points": len(points), "status": "running",
                "executor": _describe_executor(executor, workers)}
    if out is not None:
        _write_json(out / _META_FILE, metadata)
        if not (out / _DATA_FILE).exists():
            _write_rows(out / _DATA_FILE, columns, [])

    start = _time.perf_counter()
    try:
        status = _run(tasks, executor, workers, rows, columns, out, progress,
                      desc=f"sweep {model.name}", total=len(points))
    except BaseException:  # a worker's bug: the finished rows stay, the status says so
        if out is not None:
            _write_json(out / _META_FILE, metadata | {"status": "failed", "n_done": len(rows)})
        raise
    rows.sort(key=lambda row: row["point"])
    metadata.update(status=status, n_done=len(rows), run_seconds=_time.perf_counter() - start)
    if out is not None:
        _write_rows(out / _DATA_FILE, columns, rows)
        _write_json(out / _META_FILE, metadata)
    return SweepResult(model.name, grid, measures, columns, rows, status, metadata)


def _resume(out: Path, settings: dict, columns) -> list[dict]:
    meta_path, data_path = out / _META_FILE, out / _DATA_FILE
    if not meta_path.exists():
        if data_path.exists():
            raise BifurcError(f"{data_path} exists without {meta_path.name}: its settings are "
                              f"unknown; use another output folder or delete it")
        return []
    try:
        previous = json.loads(meta_path.read_text())
    except json.JSONDecodeError:
        raise BifurcError(f"{meta_path} is not valid JSON; use another output folder") from None
    old = previous.get("settings", {})
    if previous.get("schema") != SCHEMA or old != settings:
        differ = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
        for key in ("options", "parameters"):
            if key in differ and isinstance(old.get(key), dict):
                differ.remove(key)
                differ += [f"{key}.{name}" for name in sorted(set(old[key]) | set(settings[key]))
                           if old[key].get(name) != settings[key].get(name)]
        raise BifurcError(f"{out} holds a sweep with other settings ({', '.join(differ) or 'schema'} "
                          f"differ): use another output folder, or delete {data_path.name} and "
                          f"{meta_path.name} to start over")
    return _read_rows(data_path, columns)


def _run(tasks, executor, workers, rows, columns, out, progress, desc, total) -> str:
    """Evaluate ``tasks``, appending each finished row to ``rows`` and the CSV."""
    stream = open(out / _DATA_FILE, "a", newline="") if out is not None else None
    writer = csv.writer(stream, lineterminator="\n") if stream is not None else None
    bar = tqdm(total=total, initial=len(rows), unit="point", desc=desc, disable=not progress)

    def keep(row):
        rows.append(row)
        if writer is not None:
            writer.writerow([_format(row[c]) for c in columns])
            stream.flush()
        bar.update(1)

    own = None
    futures = []
    try:
        if executor is None and workers == 1:
            for task in tasks:
                keep(evaluate_point(task))
            return "completed"
        if executor is None and tasks:
            own = executor = cf.ProcessPoolExecutor(
                max_workers=min(workers, len(tasks)), initializer=_ignore_interrupts,
                mp_context=_process_context())
        futures = [executor.submit(evaluate_point, task) for task in tasks]
        for future in cf.as_completed(futures):
            keep(future.result())
        return "completed"
    except cf.process.BrokenProcessPool as error:
        raise BifurcError(
            f"a sweep worker process died ({error}). Scripts that run sweeps in worker "
            f"processes must guard their entry point with `if __name__ == '__main__':` "
            f"(and cannot be read from stdin); `workers=1` runs in this process") from None
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        running = [f for f in futures if not f.cancelled()]
        try:  # points already running finish quickly: keep them too
            for future in cf.as_completed(running):
                if future.exception() is None and not future.cancelled():
                    row = future.result()
                    if row["point"] not in {r["point"] for r in rows}:
                        keep(row)
        except (KeyboardInterrupt, cf.CancelledError):
            pass
        return "interrupted"
    finally:
        for future in futures:
            future.cancel()
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
        bar.close()
        if stream is not None:
            stream.close()


# ------------------------------------------------------------------- the map
REGIME_COLOURS = {"rest": "#d9d9d9", "oscillation": "#6baed6", "bistable": "#fd8d3c",
                  "chaos": "#cb181d", "diverged": "#252525"}


def _axis_label(model, name) -> str:
    unit = model.parameter_info[name].unit if model is not None else ""
    return f"{name} ({unit})" if unit else name


def sweep_map(result: SweepResult, model: Model | None = None):
    """The regime map of a 1-D or 2-D sweep.

    2-D: each grid cell coloured by its regime (legend), with contours of the
    oscillation frequency (Hz) where it was measured. 1-D: the regime of each
    point as a coloured strip and, below, the frequency (Hz), the observed
    state's range, the Lyapunov exponent and the equilibrium's leading real
    part, whichever were measured. Returns a matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    names = list(result.grid)
    if len(names) > 2:
        raise ParameterError(f"sweep_map draws 1-D or 2-D sweeps, this one has {len(names)} "
                             f"grid parameters")
    regimes = result.as_grid("regime")
    codes = np.full(regimes.shape, np.nan)
    for number, regime in enumerate(REGIMES):
        codes[regimes == regime] = number
    cmap = ListedColormap([REGIME_COLOURS[r] for r in REGIMES])
    present = [r for r in REGIMES if np.any(regimes == r)]
    handles = [Patch(facecolor=REGIME_COLOURS[r], edgecolor="0.4", label=r) for r in present]
    title = f"{result.model}: {len(result)} of {result.n_points} points"
    if len(names) == 2:
        x, y = result.grid[names[0]], result.grid[names[1]]
        figure, ax = plt.subplots(figsize=(6.6, 4.8))
        ax.pcolormesh(x, y, codes.T, cmap=cmap, vmin=-0.5, vmax=len(REGIMES) - 0.5,
                      shading="nearest")
        if "frequency" in result.measures and min(len(x), len(y)) >= 2:
            frequency = result.as_grid("frequency_hz")
            frequency = np.where(np.isin(regimes, ("oscillation", "chaos")), frequency, np.nan)
            if np.sum(np.isfinite(frequency)) >= 4 and np.nanmax(frequency) > np.nanmin(frequency):
                contours = ax.contour(x, y, frequency.T, levels=8, colors="k", linewidths=0.8)
                ax.clabel(contours, fmt="%.0f Hz", fontsize="x-small")
        ax.set_xlabel(_axis_label(model, names[0]))
        ax.set_ylabel(_axis_label(model, names[1]))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
                  title="regime")
        ax.set_title(title + (" (contours: frequency)" if "frequency" in result.measures else ""))
        figure.tight_layout()
        return figure

    x = result.grid[names[0]]
    panels = [m for m in ("frequency", "range", "lyapunov", "equilibrium") if m in result.measures]
    figure, axes = plt.subplots(1 + len(panels), 1, sharex=True, squeeze=False,
                                figsize=(6.4, 1.2 + 2.0 * len(panels)),
                                gridspec_kw={"height_ratios": [0.35] + [1] * len(panels)})
    axes = axes[:, 0]
    strip = axes[0]
    strip.pcolormesh(x, [0, 1], np.vstack([codes, codes]), cmap=cmap, vmin=-0.5,
                     vmax=len(REGIMES) - 0.5, shading="nearest")
    strip.set_yticks([])
    strip.set_title(title)
    strip.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
                 title="regime")
    state = result.metadata.get("settings", {}).get("options", {}).get("state")
    state = state or next((c[:-4] for c in result.columns if c.endswith("_min")
                           and not c.startswith("second_")), None)
    from .plot import display_scale
    factor, unit = display_scale(model, state) if state else (1.0, "")
    point = result.column("point")
    xs = x[point] if len(point) else x[:0]
    for ax, measure in zip(axes[1:], panels):
        if measure == "frequency":  # points at rest (0 Hz) are left out
            for name, style, label in (("frequency_hz", "o-", "from the initial state"),
                                       ("second_frequency_hz", "x", "from the second state")):
                values = result.column(name)
                ax.plot(xs, np.where(values > 0, values, np.nan), style, ms=4, label=label)
            ax.set_ylabel("frequency (Hz)")
        elif measure == "range":
            for prefix, marker, label in (("", "-", "initial state"), ("second_", ":",
                                                                       "second state")):
                ax.plot(xs, factor * result.column(f"{prefix}{state}_max"), "k" + marker, lw=1,
                        label=f"max, min ({label})")
                ax.plot(xs, factor * result.column(f"{prefix}{state}_min"), "k" + marker, lw=1)
            ax.set_ylabel(f"{state} ({unit})" if unit else state)
        elif measure == "lyapunov":
            ax.plot(xs, result.column("lyapunov_per_s"), "o-", ms=3, color="tab:red")
            ax.axhline(0.0, color="0.5", lw=0.8)
            ax.set_ylabel("largest Lyapunov\nexponent (1/s)")
        else:
            ax.plot(xs, result.column("equilibrium_max_real_per_s"), "o-", ms=3,
                    color="tab:purple")
            ax.axhline(0.0, color="0.5", lw=0.8)
            ax.set_ylabel("equilibrium: max\nRe(eigenvalue) (1/s)")
        if measure in ("frequency", "range"):
            ax.legend(fontsize="x-small")
    axes[-1].set_xlabel(_axis_label(model, names[0]))
    figure.tight_layout()
    return figure


def save_map(result: SweepResult, out, model: Model | None = None) -> Path | None:
    """Draw :func:`sweep_map` into ``out/map.png``; None for sweeps of 3+ parameters."""
    import matplotlib.pyplot as plt
    if len(result.grid) > 2:
        return None
    figure = sweep_map(result, model)
    path = Path(out) / _MAP_FILE
    figure.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(figure)
    return path
