"""Publication-ready figures (matplotlib)."""

from __future__ import annotations

import numpy as np

from .model import Model

#: Display conversions: a state in these units is shown as (factor, label).
DISPLAY_UNITS = {"kHz": (1000.0, "Hz")}


def display_scale(model: Model | None, state: str) -> tuple[float, str]:
    """(factor, unit label) to display a state; rates in kHz are shown in Hz."""
    if model is None or state not in model.state_info:
        return 1.0, ""
    unit = model.state_info[state].unit
    return DISPLAY_UNITS.get(unit, (1.0, unit))


def timeseries(trajectory, model: Model | None = None, states=None, nodes=None, ax=None,
               max_nodes: int = 10):
    """Plot recorded states against time (ms), one panel per state.

    Rates (kHz in the model) are shown in Hz. For networks, ``nodes`` selects
    which nodes to draw (default: up to ``max_nodes`` of them).
    """
    import matplotlib.pyplot as plt

    states = list(states or trajectory.state_names)
    if nodes is None:
        nodes = range(min(trajectory.n_nodes, max_nodes))
    nodes = list(nodes)
    if ax is None:
        fig, axes = plt.subplots(len(states), 1, sharex=True, squeeze=False,
                                 figsize=(7.0, 1.6 + 1.4 * len(states)))
        axes = axes[:, 0]
    else:
        axes = np.atleast_1d(ax)
        fig = axes[0].figure
    for axis, name in zip(axes, states):
        factor, unit = display_scale(model, name)
        series = trajectory[name]
        for k in nodes:
            label = f"node {k}" if trajectory.n_nodes > 1 else None
            axis.plot(trajectory.time, factor * series[:, k], lw=0.8, label=label)
        axis.set_ylabel(f"{name} ({unit})" if unit else name)
        axis.grid(alpha=0.3)
    axes[-1].set_xlabel("time (ms)")
    if trajectory.n_nodes > 1 and len(nodes) <= 10:
        axes[0].legend(fontsize="x-small", ncol=min(5, len(nodes)), loc="upper right")
    title = trajectory.model + (f" ({trajectory.status})" if trajectory.status != "completed" else "")
    axes[0].set_title(title)
    fig.tight_layout()
    return fig
