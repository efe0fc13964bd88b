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

Modules, one job each: ``options`` (settings, grid, columns), ``classify``
(one point), ``store`` (the table on disk), ``executors`` (where points run),
``runner`` (:func:`sweep`) and ``plot`` (the regime map).
"""

from .classify import evaluate_point
from .options import MEASURES, REGIMES, SCHEMA, SweepOptions, columns_for, parse_grid
from .plot import REGIME_COLOURS, save_map, sweep_map
from .runner import sweep
from .store import SweepResult, load_sweep

__all__ = ["sweep", "SweepOptions", "SweepResult", "load_sweep", "parse_grid", "columns_for",
           "evaluate_point", "sweep_map", "save_map", "MEASURES", "REGIMES", "SCHEMA",
           "REGIME_COLOURS"]
