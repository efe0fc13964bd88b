"""What a sweep records and how: schema, regimes, measures, SweepOptions, the grid
(parsed from "NAME=LO:HI:N" or given) and its checks, and the table's columns."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

import numpy as np

from ..errors import ParameterError
from ..model import Model

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

DATA_FILE, META_FILE, MAP_FILE = "sweep.csv", "sweep.json", "map.png"


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


def check_grid(model: Model, grid: Mapping, base: Mapping) -> dict[str, np.ndarray]:
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


def measure_names(measures) -> tuple[str, ...]:
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


def second_state(model: Model, options: SweepOptions) -> dict:
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
