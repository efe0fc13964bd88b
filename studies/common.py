"""Shared pieces of the studies: figure and data output, legends, and the
classification of attractors by simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bifurc import files


def save_figure(figure, out: Path, stem: str) -> list[Path]:
    """Write ``figure`` as ``out/stem.png`` (150 dpi) and ``out/stem.pdf``; close it."""
    import matplotlib.pyplot as plt

    paths = [Path(out) / f"{stem}.png", Path(out) / f"{stem}.pdf"]
    for path in paths:
        figure.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(figure)
    return paths


def write_json(path: Path, data) -> Path:
    """Write ``data`` as indented JSON, atomically (never a half-written file)."""
    return files.write_json(path, data, indent=2)


def write_npz(path: Path, **arrays) -> Path:
    """Write ``arrays`` as a compressed NPZ file, atomically (lossless float64)."""
    return files.atomic_write(path, lambda stream: np.savez_compressed(stream, **arrays), "wb")


def unique_legend(ax, **options):
    """Draw ``ax``'s legend with one entry per label (plot helpers called several
    times on one axis each add their own "stable"/"unstable" entries)."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    return ax.legend(list(unique.values()), list(unique.keys()), **options)


#: attractor classes of :func:`classify_attractors`
ATTRACTOR_CLASSES = {0: "one rest state", 1: "two rest states (bistable)", 2: "oscillation",
                     3: "rest and oscillation (bistable)", 4: "two oscillations (bistable)"}


def classify_attractors(model, parameters, starts, duration: float, state: str,
                        dt: float = 0.05) -> dict:
    """Simulate ``model`` from each of two ``starts`` and classify what they reach.

    Each run (RK4, step ``dt``) is an oscillation when ``state`` varies by more
    than 1e-3 relative over its last 20 percent and that variation is at least
    0.9 times the variation over the window 40-60 percent (oscillations damped
    towards a focus decay between the windows, limit cycles do not: a focus
    damped at rate s is taken for a cycle only if exp(-0.4 s duration) > 0.9),
    or when it still varies by more than 1e-2 relative (not settled, e.g. a
    small cycle approached slowly); otherwise it is at rest. The two runs reach distinct attractors when their kinds
    differ, or their final values (rest) differ by more than 1 percent, or
    their minima or maxima over the last 20 percent (oscillations; sampled
    every 0.25 time units, so sharp peaks are caught only roughly) by more than
    5 percent.

    Returns {"code": key of ATTRACTOR_CLASSES, "kinds": [...], "ranges": [(min, max)
    per run], "frequencies": [per run, per time unit (kHz for ms models), 0 at rest]}.
    Two starts give a lower bound on the number of attractors.
    """
    from bifurc.analysis import oscillation_frequency
    from bifurc.integrate import RK4, simulate

    kinds, ranges, frequencies = [], [], []
    for start in starts:
        run = simulate(model, parameters, duration=duration, integrator=RK4(dt=dt),
                       initial_state=start, sample_interval=dt * max(1, round(0.25 / dt)),
                       record=[state])
        values = run[state][:, 0]
        n = len(values)
        tail, earlier = values[int(0.8 * n):], values[int(0.4 * n):int(0.6 * n)]
        amplitude = np.ptp(tail) / abs(tail.mean())
        sustained = bool(amplitude > 1e-3 and (np.ptp(tail) > 0.9 * np.ptp(earlier)
                                               or amplitude > 1e-2))
        kinds.append("oscillation" if sustained else "rest")
        late = values[int(0.8 * n):]
        ranges.append((float(late.min()), float(late.max())) if sustained
                      else (float(values[-1]), float(values[-1])))
        frequencies.append(oscillation_frequency(run.time, values, discard=0.8) if sustained
                           else 0.0)
    (low_a, high_a), (low_b, high_b) = ranges
    tolerance = 0.05 if kinds == ["oscillation", "oscillation"] else 0.01

    def differ(a, b):
        return abs(a - b) > tolerance * max(abs(a), abs(b))

    distinct = kinds[0] != kinds[1] or differ(low_a, low_b) or differ(high_a, high_b)
    if not distinct:
        code = 0 if kinds[0] == "rest" else 2
    elif kinds == ["rest", "rest"]:
        code = 1
    elif "rest" in kinds:
        code = 3
    else:
        code = 4
    return {"code": code, "kinds": kinds, "ranges": ranges, "frequencies": frequencies}
