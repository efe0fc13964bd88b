"""How a family of cycles ends: shrinking onto an equilibrium (a Hopf point)
or growing into a homoclinic orbit (to a saddle, a saddle-focus, or a
saddle-node on an invariant circle, SNIC).

Near a homoclinic orbit to a hyperbolic saddle the period grows like
T ~ -ln|alpha - alpha_hom| / lambda (lambda the leading eigenvalue), so the
parameter converges exponentially while the orbit spends ever longer near the
saddle; at a SNIC the period grows like T ~ pi / sqrt(c |alpha - alpha_SN|)
while the orbit crawls through the bottleneck left by the saddle-node
(Kuznetsov 2004, Sec. 6.2 and 7.1). Both show up on a computed orbit as a
passage where the speed |f(x)| is tiny compared with the rest of the orbit.
"""

from __future__ import annotations

import math

import numpy as np

from .core import CurveEnd
from .equilibria import newton_equilibrium, sorted_eigenvalues

#: an orbit passes "close" to an equilibrium when its distance, relative to
#: the orbit's size, falls below this (the family has then converged to the
#: homoclinic loop to plotting accuracy and its parameter to far better)
HOMOCLINIC_DISTANCE = 1e-3
#: slowest/fastest speed along the orbit below which a bottleneck (the ghost of
#: a saddle-node, a SNIC) or a passage near an equilibrium is assumed
SLOW_PASSAGE = 1e-3
#: (relative change of the parameter) / (relative change of the period) below
#: which the period grows without the parameter moving: the signature of a
#: homoclinic orbit or SNIC (relaxation oscillations, whose speed ratio is just
#: as small, have an elasticity of order one)
ELASTICITY = 1e-2


def watch_amplitude(problem, x_flat) -> bool:
    """True when the orbit x_flat (on ``problem.disc``) has just passed through
    zero amplitude: a curve of cycles that reaches an equilibrium (a Hopf point,
    or on two-parameter cycle curves a double-Hopf, zero-Hopf or BT point) would
    continue through it as the same orbits phase-shifted, which flips the
    orbit's deviation from its mean. Keeps its state on ``problem``."""
    x = problem.disc.on_uniform_grid(x_flat)
    deviation = (x - x.mean(axis=0)).ravel()
    amplitude = np.ptp(x, axis=0).max()
    problem._largest = max(getattr(problem, "_largest", 0.0), amplitude)
    previous = getattr(problem, "_deviation", None)
    problem._deviation = deviation
    return bool(previous is not None and previous.shape == deviation.shape
                and amplitude < 0.1 * problem._largest and deviation @ previous < 0)


def _fine_orbit(disc, x_flat, per_interval: int = 8):
    """The orbit at ``per_interval`` equally spaced points of every mesh
    interval (an adapted mesh has few, long intervals where the orbit is slow)."""
    local = np.arange(per_interval) / per_interval
    tau = (disc.mesh[:-1, None] + disc.h[:, None] * local[None, :]).ravel()
    return tau, disc.evaluate(x_flat, tau)


def equilibrium_kind(eigenvalues, scale: float) -> str:
    """'saddle', 'saddle-focus', 'saddle-node' (an eigenvalue at zero), 'node'
    or 'focus' (all eigenvalues on one side), from eigenvalues sorted by
    decreasing real part; ``scale`` sets what counts as zero."""
    eigenvalues = np.asarray(eigenvalues)
    if np.min(np.abs(eigenvalues.real)) <= 1e-6 * scale:
        return "saddle-node"
    unstable = eigenvalues[eigenvalues.real > 0]
    stable = eigenvalues[eigenvalues.real < 0]
    if len(unstable) == 0 or len(stable) == 0:
        return "focus" if np.any(np.abs(eigenvalues.imag) > 1e-9 * scale) else "node"
    leading_unstable = unstable[np.argmin(unstable.real)]
    leading_stable = stable[np.argmax(stable.real)]
    complex_leading = max(abs(leading_unstable.imag), abs(leading_stable.imag)) > 1e-9 * scale
    return "saddle-focus" if complex_leading else "saddle"


def slow_passage(compiled, p, disc, x_flat) -> dict | None:
    """Where the orbit is slowest, when it is much slower there than elsewhere
    (speed ratio below SLOW_PASSAGE): the equilibrium it passes (Newton from the
    slowest point) with its eigenvalues and kind, and the orbit's distance to
    it relative to the orbit's size; without an equilibrium nearby, a
    bottleneck (the ghost of a saddle-node). None for an orbit without a slow
    passage."""
    tau, points = _fine_orbit(disc, x_flat)
    speeds = np.linalg.norm(compiled.vector_field_rows(points, p), axis=1)
    fastest = speeds.max()
    slowest = int(np.argmin(speeds))
    ratio = speeds[slowest] / fastest if fastest > 0 else 1.0
    if not ratio < SLOW_PASSAGE:
        return None
    size = float(np.linalg.norm(np.ptp(points, axis=0)))
    x_eq, converged, _ = newton_equilibrium(compiled, p, points[slowest])
    info = {"speed_ratio": float(ratio), "tau": float(tau[slowest]),
            "slowest_state": points[slowest].tolist()}
    if converged:
        distance = float(np.min(np.linalg.norm(points - x_eq, axis=1)))
        if distance <= 0.1 * size:
            eigenvalues = sorted_eigenvalues(compiled.jacobian(x_eq, p))
            info.update(equilibrium=x_eq.tolist(), distance=distance / size,
                        eigenvalues=[[z.real, z.imag] for z in eigenvalues],
                        equilibrium_kind=equilibrium_kind(
                            eigenvalues, max(1.0, float(np.abs(eigenvalues).max()))))
            return info
    info.update(equilibrium=None, distance=None, eigenvalues=None, equilibrium_kind="bottleneck")
    return info


def _snic_zero(points):
    """alpha where 1/T^2 vanishes: SNIC, T ~ pi / sqrt(c |alpha - alpha_SN|), so
    1/T^2 is a smooth function of alpha with a simple zero; the line through two
    points, or the parabola through three (its root next to the last point)."""
    alpha = np.array([a for a, _ in points])
    y = np.array([1.0 / t**2 for _, t in points])
    if len(points) == 2 or len(set(alpha.tolist())) < 3:
        if y[-1] == y[-2]:
            return float(alpha[-1])
        return float(alpha[-1] - y[-1] * (alpha[-1] - alpha[-2]) / (y[-1] - y[-2]))
    shift = alpha - alpha[-1]
    c2, c1, c0 = np.polyfit(shift, y, 2)
    roots = np.roots([c2, c1, c0]) if c2 != 0 else np.array([-c0 / c1])
    roots = roots[np.isreal(roots)].real
    if len(roots) == 0:
        return _snic_zero(points[-2:])
    return float(alpha[-1] + roots[np.argmin(np.abs(roots))])


def _extrapolate(points, kind, rate):
    """The parameter at T = infinity from the last points (alpha, T) of the family."""
    (a0, t0), (a1, t1) = points[-2:]
    if t1 == t0 or a1 == a0:
        return a1
    if kind in ("bottleneck", "saddle-node"):
        return _snic_zero(points)
    if kind == "saddle" and rate > 0:
        # alpha - alpha_hom ~ C exp(-rate T), rate = |Re| of the leading eigenvalue
        growth = math.exp(min(rate * (t1 - t0), 700.0))
        return a1 - (a1 - a0) / (1.0 - growth) if growth != 1.0 else a1
    return a1  # saddle-focus: the approach oscillates; the last value


def homoclinic_estimate(history, kind: str, rate: float = 0.0) -> tuple[float, float]:
    """(estimated parameter of the homoclinic orbit, uncertainty) from the
    family's last points ``history`` = [(alpha, T), ...] (at least two).

    Saddle with real leading eigenvalue lambda (``rate`` = |lambda|): alpha
    converges like alpha_hom + C exp(-rate T), extrapolated from the last two
    points; the uncertainty is the change from the previous pair. SNIC: the
    zero of 1/T^2 as a function of alpha, from the last three points; the
    uncertainty is the change from the linear extrapolation of the last two.
    Saddle-focus: the last value, with the last step as its uncertainty."""
    last = _extrapolate(history[-3:], kind, rate)
    if kind in ("bottleneck", "saddle-node"):
        previous = _extrapolate(history[-2:], kind, rate)
    elif len(history) >= 3 and kind == "saddle":
        previous = _extrapolate(history[-3:-1], kind, rate)
    else:
        previous = history[-2][0]
    return float(last), float(abs(last - previous))


def elasticity(history) -> float:
    """|d alpha| / (1 + |alpha|) per relative change of the period, from the
    last two points (inf when the period did not change)."""
    (a0, t0), (a1, t1) = history[-2:]
    relative_period = abs(t1 - t0) / max(abs(t1), 1e-300)
    if relative_period == 0:
        return math.inf
    return abs(a1 - a0) / (1.0 + abs(a1)) / relative_period


def check_homoclinic_end(problem, u, trusted: bool):
    """Raise CurveEnd("homoclinic") when the cycle at u = (x, T, alpha) has
    converged onto a homoclinic orbit (distance to the saddle below
    HOMOCLINIC_DISTANCE, or a slow passage where the multipliers are no longer
    trusted, or the period beyond ``problem.max_period``), with a special
    point HOM (saddle or saddle-focus) or SNIC (saddle-node or bottleneck)
    that carries the estimated parameter and the equilibrium. Raises
    CurveEnd("period") for a period beyond max_period without a slow passage."""
    period, alpha = float(u[-2]), float(u[-1])
    history = problem.__dict__.setdefault("_history", [])
    history.append((alpha, period))
    del history[:-4]
    shortest = problem.__dict__.setdefault("_shortest_period", period)
    problem._shortest_period = min(shortest, period)
    too_long = period > problem.max_period
    if not too_long and period < 3 * problem._shortest_period and trusted:
        return  # no long period yet: an orbit far from any homoclinic orbit
    passage = slow_passage(problem.compiled, problem.parameters_at(u), problem.disc,
                           u[:problem.disc.size])
    name = problem.model.parameter_names[problem.free_index]
    if passage is None:
        if too_long:
            raise CurveEnd("period", f"the period {period:.6g} exceeds max_period "
                                     f"({problem.max_period:.6g}) without a slow passage near "
                                     f"an equilibrium")
        return
    kind = passage["equilibrium_kind"]
    stalled = len(history) > 1 and elasticity(history) < ELASTICITY
    if kind == "bottleneck":  # no equilibrium: a SNIC once the period grows in place
        converged = period >= 3 * problem._shortest_period and stalled
    else:
        converged = passage["distance"] < HOMOCLINIC_DISTANCE or (not trusted and stalled)
    if not (too_long or converged):
        return
    rate = 0.0
    if passage["eigenvalues"] is not None:
        real = np.array([re for re, _ in passage["eigenvalues"]])
        rate = float(np.min(np.abs(real)))  # the leading (slowest) direction
    estimate, uncertainty = homoclinic_estimate(history if len(history) > 1
                                                else history * 2, kind, rate)
    if not trusted and not too_long:
        # the mesh no longer resolves the orbit: the extrapolation's consistency
        # says nothing of the discretisation error; claim no more than the gap
        uncertainty = max(uncertainty, abs(estimate - alpha))
    label = "SNIC" if kind in ("bottleneck", "saddle-node") else "HOM"
    disc = problem.disc
    data = {"estimate": estimate, "uncertainty": uncertainty, "period": period, **passage,
            # the last cycle itself, so that HOM-C can start from the point
            "ncol": disc.ncol, "mesh": disc.mesh.tolist(),
            "profile": disc.points(u[:disc.size]).tolist()}
    if passage["equilibrium"] is None:
        where = "through a bottleneck (no equilibrium yet: the ghost of a saddle-node)"
    else:
        state = ", ".join(f"{n} = {v:.6g}" for n, v in zip(problem.model.state_names,
                                                            passage["equilibrium"]))
        where = f"to the {kind} at {state} (closest approach {passage['distance']:.1e} of the orbit's size)"
    reason = ("the period exceeds max_period" if too_long else
              "the multipliers are no longer resolved on this mesh" if not trusted else
              "the orbit has converged onto the loop")
    raise CurveEnd("homoclinic",
                   f"the cycles approach a homoclinic orbit {where}; estimated {name} = "
                   f"{estimate:.10g} (+- {uncertainty:.1e}), period {period:.6g}; stopped "
                   f"because {reason}", point=(label, data))


__all__ = ["watch_amplitude", "slow_passage", "homoclinic_estimate", "check_homoclinic_end",
           "equilibrium_kind", "elasticity", "HOMOCLINIC_DISTANCE", "SLOW_PASSAGE", "ELASTICITY"]
