"""The regime map of a sweep (and the frequency map where points oscillate)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..model import Model
from .options import MAP_FILE, REGIMES
from .store import SweepResult

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
    from ..plot import display_scale
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
    path = Path(out) / MAP_FILE
    figure.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(figure)
    return path
