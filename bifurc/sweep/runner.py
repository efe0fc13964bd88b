"""The sweep itself: check the input, resume, run the points, save the table."""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import math
import json
import os
import time as _time
from pathlib import Path
from typing import Mapping

from ..errors import ParameterError
from ..files import write_json
from ..model_files import load_model
from ..units import PER_SECOND
from ..version import __version__
from ..integrate.runner import check_recording_memory
from .executors import describe_executor, run_tasks
from .options import DATA_FILE, META_FILE, REGIMES, SCHEMA, SweepOptions, check_grid, columns_for, measure_names, parse_grid, second_state
from .store import SweepResult, resume_rows, write_rows

#: the largest grid one sweep accepts
MAX_POINTS = 1_000_000


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
    if model.time_unit not in PER_SECOND:
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
    grid = check_grid(model, grid, base)
    n_points = math.prod(len(values) for values in grid.values())
    if n_points > MAX_POINTS:
        raise ParameterError(f"the grid has {n_points} points, more than {MAX_POINTS}: split it "
                             f"into several sweeps (their folders resume independently)")
    # every run records duration / dt + 1 samples of each state (checked before any run)
    check_recording_memory(options.duration / options.dt + 1, 1, model.n_states)
    measures = measure_names(measures)
    second = second_state(model, options)
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
        rows = resume_rows(out, settings, columns)
    done = {row["point"] for row in rows}
    points = list(itertools.product(*grid.values()))
    tasks = [{"model_spec": spec_json, "point": index,
              "parameters": {**base, **dict(zip(names, map(float, values)))},
              "grid_names": names, "measures": measures, "options": options.to_dict(),
              "second_state": second}
             for index, values in enumerate(points) if index not in done]
    metadata = {"schema": SCHEMA, "bifurc_version": __version__, "settings": settings,
                "columns": list(columns),
                "regimes": list(REGIMES), "n_points": len(points), "status": "running",
                "executor": describe_executor(executor, workers)}
    if out is not None:
        write_json(out / META_FILE, metadata)
        if not (out / DATA_FILE).exists():
            write_rows(out / DATA_FILE, columns, [])

    start = _time.perf_counter()
    try:
        status = run_tasks(tasks, executor, workers, rows, columns, out, progress,
                      desc=f"sweep {model.name}", total=len(points))
    except BaseException:  # a worker's bug: the finished rows stay, the status says so
        if out is not None:
            write_json(out / META_FILE, metadata | {"status": "failed", "n_done": len(rows)})
        raise
    rows.sort(key=lambda row: row["point"])
    metadata.update(status=status, n_done=len(rows), run_seconds=_time.perf_counter() - start)
    if out is not None:
        write_rows(out / DATA_FILE, columns, rows)
        write_json(out / META_FILE, metadata)
    return SweepResult(model.name, grid, measures, columns, rows, status, metadata)
