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
    """Plot recorded states against time, one panel per state.

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
    axes[-1].set_xlabel(f"time ({trajectory.metadata.get('time_unit', 'ms')})")
    if trajectory.n_nodes > 1 and len(nodes) <= 10:
        axes[0].legend(fontsize="x-small", ncol=min(5, len(nodes)), loc="upper right")
    title = trajectory.model + (f" ({trajectory.status})" if trajectory.status != "completed" else "")
    axes[0].set_title(title)
    fig.tight_layout()
    return fig


MARKERS = {"LP": ("o", "tab:red"), "H": ("s", "tab:blue"), "BP": ("^", "tab:green"),
           "CP": ("D", "black"), "BT": ("*", "tab:purple"), "GH": ("P", "tab:orange"),
           "ZH": ("X", "tab:brown"), "HH": ("h", "tab:pink"), "TI": ("v", "0.35"),
           "LPC": ("o", "tab:orange"), "PD": ("d", "tab:green"), "NS": ("h", "tab:purple"),
           "HOM": ("p", "tab:olive"), "SNIC": ("p", "tab:olive"),
           **dict.fromkeys(("NSS", "NSF"), ("8", "tab:olive")),
           **dict.fromkeys(("DRS", "DRU", "TLS", "TLU"), ("<", "tab:olive"))}

#: labels closer than this (points on screen) are merged into one
MERGE_DISTANCE = 14.0
#: the colour of branch parts outside the model's physical domain
OUTSIDE_COLOUR = "0.6"


def _as_list(branches):
    return list(branches) if isinstance(branches, (list, tuple)) else [branches]


def _mark(ax, x, y, point):
    """Draw the marker of a special point; its label is placed by ``_label_points``."""
    marker, colour = MARKERS.get(point.kind, ("o", "black"))
    ax.plot([x], [y], marker=marker, color=colour, ms=7, ls="none", zorder=5)
    ax.__dict__.setdefault("_bifurc_labels", []).append((x, y, point.label, point.kind))


def _merged_text(labels) -> str:
    """'LPC2-4, PD1' from ['LPC2', 'LPC3', 'LPC4', 'PD1'] (same kind: number ranges)."""
    import re

    by_kind, order = {}, []
    for label in labels:
        match = re.fullmatch(r"([A-Za-z]+(?:\d_)?)(\d+)", label)
        kind, number = (match.group(1), int(match.group(2))) if match else (label, None)
        if kind not in by_kind:
            by_kind[kind] = []
            order.append(kind)
        if number is not None:
            by_kind[kind].append(number)
    parts = []
    for kind in order:
        numbers = sorted(set(by_kind[kind]))
        if not numbers:
            parts.append(kind)
            continue
        runs, start = [], numbers[0]
        for previous, current in zip(numbers, numbers[1:] + [None]):
            if current != previous + 1:
                runs.append(f"{start}" if start == previous else f"{start}-{previous}")
                start = current
        parts.append(kind + ",".join(runs))
    return ", ".join(parts)


def _label_points(ax):
    """Write the labels of the marked points, merging those that would overlap
    on screen (within MERGE_DISTANCE points) into one label per cluster."""
    marks = ax.__dict__.pop("_bifurc_labels", [])
    if not marks:
        return
    ax.figure.canvas.draw_idle()
    to_points = 72.0 / ax.figure.dpi
    screen = ax.transData.transform([(x, y) for x, y, _, _ in marks]) * to_points
    clusters = []  # [indices], greedy by proximity to the cluster's first member
    for i, position in enumerate(screen):
        for cluster in clusters:
            if np.hypot(*(position - screen[cluster[0]])) <= MERGE_DISTANCE:
                cluster.append(i)
                break
        else:
            clusters.append([i])
    # the axes' box on screen: labels stay inside it
    box = ax.get_window_extent()
    bottom, top = box.y0 * to_points, box.y1 * to_points
    placed = []
    for cluster in clusters:
        x, y = marks[cluster[0]][0], marks[cluster[0]][1]
        text = _merged_text([marks[i][2] for i in cluster])
        here = screen[cluster[0]]
        # above the point if free, else alternately below and further above
        candidates = [5, -14, 14, -23, 23, -32, 32, -41, 41]
        inside = [dy for dy in candidates if bottom + 2 <= here[1] + dy <= top - 10] or [5]
        free = [dy for dy in inside
                if not any(abs(here[0] - px) < 40 and abs(here[1] + dy - py) < 9
                           for px, py in placed)]
        offset = free[0] if free else inside[0]
        placed.append((here[0], here[1] + offset))
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(5, offset), fontsize=8)


def _draw_runs(ax, x, values, stable, in_domain, colour, **style):
    """A branch curve: stable solid, unstable dashed; parts outside the model's
    physical domain thin and grey."""
    for a, b, inside in _runs(in_domain):
        if not inside:
            ax.plot(x[a:b + 1], values[a:b + 1], color=OUTSIDE_COLOUR, lw=0.9, ls=":", **style)
            continue
        for c, d, is_stable in _runs(stable[a:b + 1]):
            ax.plot(x[a + c:a + d + 1], values[a + c:a + d + 1], color=colour, lw=1.6,
                    ls="-" if is_stable else "--", **style)


def _runs(mask):
    """Index ranges [start, stop] of constant value in a boolean array (inclusive ends
    overlap so consecutive segments join)."""
    edges = np.flatnonzero(np.diff(mask.astype(int))) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [len(mask) - 1]])
    return [(a, b, bool(mask[a])) for a, b in zip(starts, stops)]


def diagram(branches, y: str, model: Model | None = None, ax=None, colour=None):
    """One-parameter bifurcation diagram: equilibrium branches (EP-C) and the
    max/min envelopes of cycle branches (LC-C) against their free parameter,
    stable solid and unstable dashed, special points marked and labelled.
    ``y`` is a state name; rates in kHz are shown in Hz."""
    import matplotlib.pyplot as plt

    branches = [b for b in _as_list(branches) if b.kind in ("EP-C", "LC-C")]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    factor, unit = display_scale(model, y)
    for number, branch in enumerate(branches):
        x = branch.values[:, 0]
        c = colour or f"C{number}"
        if branch.kind == "EP-C":
            curves = [factor * branch.state(y)]
        else:  # cycles: the max and min of y over the period
            column = branch.state_names.index(y)
            curves = [factor * branch.extra["max"][:, column], factor * branch.extra["min"][:, column]]
        for values in curves:
            _draw_runs(ax, x, values, branch.stable, branch.in_domain, c)
        for point in branch.special_points:
            if point.kind != "TI":  # transverse points belong to the MSF map (msf_map)
                _mark(ax, x[point.index], curves[0][point.index], point)
    if branches:
        ax.set_xlabel(branches[0].free[0])
    ax.set_ylabel(f"{y} ({unit})" if unit else y)
    ax.plot([], [], "k-", label="stable")
    ax.plot([], [], "k--", label="unstable")
    if any(not b.in_domain.all() for b in branches):
        ax.plot([], [], color=OUTSIDE_COLOUR, ls=":", label="outside the domain")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    ax.figure.tight_layout()
    _label_points(ax)
    return ax.figure


def cycle_frequency(branches, ax=None, band=(30.0, 100.0)):
    """Frequency (Hz) of cycle branches against their parameter, the gamma band
    shaded (``band=None`` to omit)."""
    import matplotlib.pyplot as plt

    branches = [b for b in _as_list(branches) if b.kind == "LC-C" and "frequency_hz" in b.extra]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.6))
    if band:
        ax.axhspan(*band, color="gold", alpha=0.2, lw=0, label=f"{band[0]:g}-{band[1]:g} Hz")
    for number, branch in enumerate(branches):
        x, frequency = branch.values[:, 0], branch.extra["frequency_hz"]
        _draw_runs(ax, x, frequency, branch.stable, branch.in_domain, f"C{number}")
        for point in branch.special_points:
            _mark(ax, x[point.index], frequency[point.index], point)
    if branches:
        ax.set_xlabel(branches[0].free[0])
    ax.set_ylabel("frequency (Hz)")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    ax.figure.tight_layout()
    _label_points(ax)
    return ax.figure


def two_parameter(branches, ax=None):
    """Two-parameter diagram: the two-parameter curves (LP-C, H-C, LPC-C, PD-C,
    NS-C, TI-C and any registered type, styled by the registry) in their
    (p1, p2) plane with codimension-two points marked. Parts a type marks
    (the neutral-saddle parts of Hopf and torus curves) are dotted."""
    import matplotlib.pyplot as plt

    from .continuation.registry import curve_types

    styles = {t.kind: t for t in curve_types(2)}
    branches = [b for b in _as_list(branches) if b.kind in styles]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.8))
    labelled = set()
    for branch in branches:
        x, yv = branch.values[:, 0], branch.values[:, 1]
        style = styles[branch.kind]
        dotted = style.dotted(branch) if style.dotted else np.zeros(len(branch), dtype=bool)
        for a, b, neutral in _runs(dotted):
            ax.plot(x[a:b + 1], yv[a:b + 1], color=style.colour, lw=1.6,
                    ls=":" if neutral else style.line,
                    label=None if style.description in labelled else style.description)
            labelled.add(style.description)
        for point in branch.special_points:
            _mark(ax, x[point.index], yv[point.index], point)
    if branches:
        ax.set_xlabel(branches[0].free[0])
        ax.set_ylabel(branches[0].free[1])
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    ax.figure.tight_layout()
    _label_points(ax)
    return ax.figure


def msf_map(branch, L_values, growth, modes=None, ax=None):
    """Growth rate (per ms; diverging colours, 0 white) over the (parameter, L)
    plane along a branch, with the zero contour and the connectome's
    eigenvalues ``modes`` as horizontal lines and its TI points as triangles."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    x = branch.values[:, 0]
    order = np.argsort(x)
    finite = np.nan_to_num(growth[order], nan=0.0)
    # the colour range covers 99 % of the values, so that a few extreme ones (near a
    # Hopf point, say) do not wash out the rest; the zero contour is exact anyway
    scale = max(np.percentile(np.abs(finite), 99), 1e-12)
    image = ax.pcolormesh(x[order], L_values, np.clip(finite.T, -scale, scale), cmap="RdBu_r",
                          shading="auto", norm=TwoSlopeNorm(0.0, -scale, scale))
    ax.contour(x[order], L_values, finite.T, levels=[0.0], colors="k", linewidths=1.0)
    for L in np.atleast_1d(modes) if modes is not None else []:
        ax.axhline(np.real(L), color="0.3", lw=0.4, alpha=0.6)
    for point in branch.special_points:  # transverse-instability points: (parameter, Re L)
        if point.kind == "TI":
            ax.plot([branch.values[point.index, 0]], [point.data["L"][0]], "v", color="k", ms=4)
    ax.set_xlabel(branch.free[0])
    ax.set_ylabel("L (eigenvalue of W)")
    ax.figure.colorbar(image, ax=ax, label="growth rate (1/ms)", extend="both")
    ax.figure.tight_layout()
    return ax.figure


def transverse_map(result, title: str = "", time_unit: str = "ms", curves=()):
    """A transverse-instability map (bifurc.msf_map.TransverseMap) in two
    panels: the largest growth rate over the modes (diverging colours centred
    on 0, with the zero contour: the synchrony boundary) and the number of
    unstable modes; markers for the points whose synchronous state is not an
    equilibrium or a cycle; ``curves`` (two-parameter Branches in the same
    plane, e.g. TI-C or H-C) drawn on both panels."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    names = list(result.grid)
    x, y = (np.asarray(result.grid[n]) for n in names)
    figure, axes = plt.subplots(1, 2, figsize=(11.0, 4.4), sharey=True)
    growth = result.growth_max
    finite = growth[np.isfinite(growth)]
    scale = max(float(np.percentile(np.abs(finite), 99)) if finite.size else 1.0, 1e-12)
    image = axes[0].pcolormesh(x, y, np.clip(growth, -scale, scale), cmap="RdBu_r",
                               shading="auto", norm=TwoSlopeNorm(0.0, -scale, scale))
    figure.colorbar(image, ax=axes[0], extend="both",
                    label=f"largest transverse growth rate (1/{time_unit})")
    if len(x) > 1 and len(y) > 1 and np.nanmin(growth) < 0 < np.nanmax(growth):
        axes[0].contour(x, y, np.nan_to_num(growth, nan=0.0), levels=[0.0], colors="k",
                        linewidths=1.0)
        axes[0].plot([], [], "k-", lw=1.0, label="growth rate 0 (synchrony boundary)")
    counts = np.where(result.unstable_modes >= 0, result.unstable_modes, np.nan)
    image = axes[1].pcolormesh(x, y, counts, cmap="viridis", shading="auto")
    figure.colorbar(image, ax=axes[1], label=f"unstable modes (of {len(result.L)})")
    markers = {"quasiperiodic": ("+", "quasi-periodic synchronous state"),
               "chaotic": ("x", "chaotic synchronous state"),
               "diverged": ("s", "diverged (no synchronous state)")}
    kinds = ("equilibrium", "cycle", "quasiperiodic", "chaotic", "diverged")
    X, Y = np.meshgrid(x, y)
    for ax in axes:
        for kind, (marker, label) in markers.items():
            mask = result.kind == kinds.index(kind)
            if mask.any():
                ax.plot(X[mask], Y[mask], marker, color="k", ms=4, ls="none", label=label)
        if curves:
            two_parameter(curves, ax=ax)
        ax.set_xlabel(names[0])
        ax.set_xlim(x.min(), x.max())
        ax.set_ylim(y.min(), y.max())
    axes[0].set_ylabel(names[1])
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(fontsize="x-small", loc="upper right")
    if title:
        figure.suptitle(title, fontsize="medium")
    figure.tight_layout()
    return figure


def lyapunov_scan(scan, title: str = "", time_unit: str = "ms", ax=None):
    """The network's largest Lyapunov exponents along a parameter line
    (bifurc.network_scan.LyapunovScan) next to the MSF's prediction (the
    largest exponent over the modes, with its uncertainty); values where the
    network left the synchronous state are marked."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.8, 4.2))
    x = scan.values
    for k in range(scan.exponents.shape[1]):
        ax.plot(x, scan.exponents[:, k], "o-", ms=3, lw=1.0, color=plt.cm.viridis(k / max(
            1, scan.exponents.shape[1] - 1)), label=f"network exponent {k + 1}")
    ax.errorbar(x, scan.predicted, yerr=scan.predicted_uncertainty, fmt="k--", lw=1.0,
                capsize=2, label="MSF: largest over the modes (+- uncertainty)")
    away = scan.desynchronised
    if away.any():
        ax.plot(x[away], scan.exponents[away, 0], "s", mfc="none", mec="tab:red", ms=9,
                label="network left the synchronous state")
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlabel(scan.parameter)
    ax.set_ylabel(f"Lyapunov exponent (1/{time_unit})")
    ax.set_title(title or f"{scan.model}: {scan.n_nodes} nodes, eps = {scan.eps:g}",
                 fontsize="medium")
    ax.legend(fontsize="x-small")
    ax.figure.tight_layout()
    return ax.figure


def spacetime(trajectory, state: str, model: Model | None = None, ax=None):
    """A network run as an image: region (rows) against time, the colour scale
    covering the 1st-99th percentiles of the second half (so the start
    transient does not dominate)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 3.6))
    factor, unit = display_scale(model, state)
    values = factor * trajectory[state]
    late = values[trajectory.time >= trajectory.time[-1] / 2]
    low, high = np.percentile(late, [1, 99])
    image = ax.imshow(values.T, aspect="auto", origin="lower",
                      extent=[trajectory.time[0], trajectory.time[-1], -0.5,
                              trajectory.n_nodes - 0.5], cmap="viridis", vmin=low, vmax=high)
    time_unit = model.time_unit if model is not None else "ms"
    ax.set_xlabel(f"time ({time_unit})")
    ax.set_ylabel("region")
    ax.figure.colorbar(image, ax=ax, label=f"{state} ({unit})" if unit else state)
    ax.figure.tight_layout()
    return ax.figure


def msf_curve(L_grid, growth_grid, title: str, modes=None, growth_modes=None,
              modes_label: str = "connectome modes", time_unit: str = "ms", ax=None,
              uncertainty=None):
    """The master stability function: growth rate against L (real grid) as a
    line (with a band of +- ``uncertainty`` when given: a variational
    integration), the connectome's modes as dots at Re L, and the zero line."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(L_grid, growth_grid, "k-", lw=1.5, label="MSF")
    if uncertainty is not None:
        ax.fill_between(L_grid, np.asarray(growth_grid) - uncertainty,
                        np.asarray(growth_grid) + uncertainty, color="0.6", alpha=0.4, lw=0,
                        label="MSF +- its uncertainty (block spread)")
    if modes is not None and len(modes):
        ax.plot(np.real(modes), growth_modes, "o", ms=4, color="tab:red", label=modes_label)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlabel("L (eigenvalue of W)")
    ax.set_ylabel(f"growth rate (1/{time_unit})")
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.figure.tight_layout()
    return ax.figure
