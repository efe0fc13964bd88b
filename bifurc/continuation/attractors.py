"""What a simulation settles on: an equilibrium, a limit cycle, or something
the continuation tools cannot analyse (quasi-periodic or chaotic motion, a
divergence), decided from the whole state, never from one variable.

The period of a cycle is measured by the first return of the whole state to
the end point of the run: a Poincare section through the end point x_e,
normal to the flow f(x_e), in coordinates scaled by each state's range; the
first crossing (in the same direction, going back in time) whose state lies
within ``return_tolerance`` of x_e gives the period. A state that crosses its
mean several times per period (the PING rhythm's voltages do) cannot fool
it, and period-2, period-4, ... orbits are recognised as such. The orbit over
that last period is refined by collocation (period free), the mesh adapted to
the orbit, and the result is checked against the simulation (closure of the
orbit, agreement of the two within ``closure_tolerance``, stability).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..codegen import compile_model, parameter_vector
from ..errors import DivergenceError, ParameterError
from ..integrate import DormandPrince, simulate
from ..units import PER_SECOND
from ..model_files import load_model
from .cycles import PeriodicOrbit, refine_cycle
from .equilibria import newton_equilibrium, sorted_eigenvalues

#: distance of a return to the end point, relative to the orbit's range per
#: state, below which the motion is taken as periodic
RETURN_TOLERANCE = 1e-3
#: largest distance (relative to the range) between the collocated orbit and
#: the simulated one
CLOSURE_TOLERANCE = 1e-2


@dataclass
class SectionReturns:
    """Returns of a trajectory to the Poincare section through its end point:
    times before the end (ascending) and scaled distances to the end state."""

    delays: np.ndarray
    distances: np.ndarray

    def period(self, tolerance: float = RETURN_TOLERANCE, window: float = math.inf
               ) -> float | None:
        """The first delay P whose return lies within ``tolerance`` and, when 2 P
        fits in the ``window`` searched, is repeated at 2 P (a chaotic orbit
        comes back close to a point now and then, a periodic one every
        period); else None."""
        for k in np.flatnonzero(self.distances < tolerance):
            period = float(self.delays[k])
            if 2 * period > window:
                return period
            twice = np.abs(self.delays - 2 * period) <= 1e-2 * period
            if np.any(self.distances[twice] < 10 * tolerance):
                return period
        return None

    def closest(self) -> tuple[float, float]:
        """(delay, distance) of the closest return (inf, inf without any)."""
        if not len(self.distances):
            return math.inf, math.inf
        k = int(np.argmin(self.distances))
        return float(self.delays[k]), float(self.distances[k])


def section_returns(time, states, velocity_at_end, max_returns: int = 64) -> SectionReturns:
    """Returns of the sampled trajectory ``states`` (m, n) at ``time`` (m,) to the
    section through its last state normal to ``velocity_at_end`` (see the module
    doc); crossings located by cubic interpolation between samples."""
    from scipy.interpolate import CubicSpline

    time = np.asarray(time, float)
    states = np.asarray(states, float)
    end = states[-1]
    scale = np.ptp(states, axis=0) + 1e-9 * (1.0 + np.abs(states).max(axis=0))
    y = (states - end) / scale
    normal = np.asarray(velocity_at_end, float) / scale
    size = np.linalg.norm(normal)
    if not size > 0 or not np.isfinite(size):
        return SectionReturns(np.array([]), np.array([]))
    normal = normal / size
    g = y @ normal
    # upward crossings (the direction of the flow at the end point), newest first
    upward = np.flatnonzero((g[:-1] < 0) & (g[1:] >= 0))[::-1]
    spline = None
    delays, distances = [], []
    for k in upward:
        if k >= len(time) - 3:  # the end point itself
            continue
        if spline is None:
            spline = CubicSpline(time, y, axis=0)
        a, b = time[k], time[k + 1]
        fa, fb = g[k], g[k + 1]
        t = a + (b - a) * (-fa) / (fb - fa)
        for _ in range(4):  # a few secant steps on the spline
            value = spline(t) @ normal
            slope = spline(t, 1) @ normal
            if slope == 0:
                break
            t = min(max(t - value / slope, a), b)
        delays.append(time[-1] - t)
        distances.append(float(np.linalg.norm(spline(t))))
        if len(delays) >= max_returns:
            break
    return SectionReturns(np.array(delays), np.array(distances))


@dataclass
class Attractor:
    """What a simulation settled on.

    kind : "equilibrium", "cycle", "irregular" (no return of the state within
        the tolerance: quasi-periodic or chaotic motion, or a transient too
        slow for the run) or "diverged"
    parameters : every parameter value
    state : the equilibrium, or the end point of the run
    orbit : the PeriodicOrbit (kind "cycle")
    eigenvalues : of the equilibrium's Jacobian (kind "equilibrium")
    message : what was found and how it was checked, in words
    details : numbers behind the decision (returns, distances, residuals)
    """

    kind: str
    model: str
    parameters: dict
    state: np.ndarray
    message: str
    orbit: object = None
    eigenvalues: np.ndarray | None = None
    details: dict = field(default_factory=dict)

    @property
    def period(self):
        return None if self.orbit is None else self.orbit.period


def _simulate(model, p, guess, duration):
    sample = min(0.05, duration / 4000)
    return simulate(model, p, duration=duration,
                    integrator=DormandPrince(rtol=1e-10, atol=1e-12), initial_state=guess,
                    sample_interval=sample)


def find_attractor(model, parameters=None, *, guess=None, transient: float = 2000.0,
                   ntst: int = 50, ncol: int = 4) -> Attractor:
    """Simulate from ``guess`` (default the model's initial state) for
    ``transient`` time units and say what the run settles on (module doc).

    Equilibria are refined by Newton and must be stable; cycles are refined
    by collocation with an adapted mesh of ``ntst`` intervals (twice and four
    times as many where Newton fails: a fast spike) and checked against the
    simulation.
    Never raises for an attractor it cannot analyse: the kind says so
    ("irregular", "diverged") with a message; bad input raises ParameterError.
    """
    model = load_model(model)
    p = parameter_vector(model, parameters)
    values = dict(zip(model.parameter_names, p.tolist()))
    if not (isinstance(transient, (int, float)) and math.isfinite(transient) and transient > 0):
        raise ParameterError(f"`transient` must be a positive number, got {transient!r}")
    compiled = compile_model(model)
    try:
        run = _simulate(model, p, guess, transient)
    except DivergenceError as error:
        return Attractor("diverged", model.name, values, np.full(model.n_states, np.nan),
                         f"the simulation diverged: {error}")
    series = run.states[:, 0, :]
    end = series[-1]
    window = run.time >= run.time[-1] / 2
    time, states = run.time[window], series[window]
    # an equilibrium: Newton from the end point lands next to it, and the run approaches it
    x_eq, converged, residual = newton_equilibrium(compiled, p, end)
    if converged:
        distance = np.abs(states - x_eq).max(axis=1)
        quarter = max(1, len(distance) // 4)
        # the run closes in on it (a cycle around a stable focus keeps its distance)
        approaching = distance[-quarter:].max() < 0.95 * distance[:quarter].max() or \
            distance.max() <= 1e-8 * (1 + np.abs(x_eq).max())
        eigenvalues = sorted_eigenvalues(compiled.jacobian(x_eq, p))
        if approaching and eigenvalues[0].real < 0:
            gap = float(np.abs(end - x_eq).max())
            leading = eigenvalues[0]
            how = ""
            if abs(leading.imag) > 1e-9 * (1 + abs(leading)):
                frequency = abs(leading.imag) / (2 * math.pi)  # per time unit
                if model.time_unit in PER_SECOND:
                    shown, unit = PER_SECOND[model.time_unit] * frequency, "Hz"
                else:
                    shown, unit = frequency, f"/{model.time_unit}"
                how = (f"; a damped oscillation at {shown:.4g} {unit} decaying in "
                       f"{1 / abs(leading.real):.4g} {model.time_unit}")
            return Attractor("equilibrium", model.name, values, x_eq,
                             f"a stable equilibrium (largest real part of the eigenvalues "
                             f"{leading.real:.3g}{how}); the run ends {gap:.1e} from it",
                             eigenvalues=eigenvalues, details={"end_distance": gap})
    returns = section_returns(time, states, compiled.vector_field(end, p))
    period = returns.period(window=time[-1] - time[0])
    details = {"returns": returns.delays[:8].tolist(),
               "return_distances": returns.distances[:8].tolist()}
    if period is None:
        delay, distance = returns.closest()
        spread = np.ptp(states, axis=0)
        if np.all(spread <= 1e-9 * (1 + np.abs(states).max(axis=0))):
            what = "a state that neither moves nor satisfies f(x) = 0 (a numerical artefact)"
        elif math.isfinite(delay):
            what = (f"no return of the whole state closer than {distance:.1e} (relative to its "
                    f"range; the closest after {delay:.4g} {model.time_unit}) over the last "
                    f"{time[-1] - time[0]:.4g} {model.time_unit}: quasi-periodic or chaotic "
                    f"motion, or a transient slower than the run (simulate longer)")
        else:
            what = "no oscillation through the end point's section"
        return Attractor("irregular", model.name, values, end,
                         f"neither an equilibrium nor a periodic orbit: {what}", details=details)
    # a cycle: refine the simulated period by collocation and check it against
    # the run; where a mesh is too coarse for a fast spike (Newton fails):
    # twice, then four times as many intervals
    details["period"] = period
    orbit, failure = None, None
    for intervals in (ntst, 2 * ntst, 4 * ntst):
        try:
            orbit, closure = refine_cycle(model, p, run.time, series, period, ntst=intervals,
                                          ncol=ncol)
            break
        except ParameterError as error:
            failure = error
    if orbit is None:
        return Attractor("irregular", model.name, values, end,
                         f"neither an equilibrium nor a periodic orbit: the state returns after "
                         f"{period:.6g} {model.time_unit}, but no periodic orbit converges "
                         f"there, with up to {4 * ntst} mesh intervals ({failure})",
                         details=details)
    details.update(closure=closure, trivial_error=orbit.trivial_error,
                   ntst=len(orbit.mesh) - 1)
    others = np.abs(np.delete(orbit.multipliers, np.argmin(np.abs(orbit.multipliers - 1.0))))
    if closure > CLOSURE_TOLERANCE:
        return Attractor("irregular", model.name, values, end,
                         f"neither an equilibrium nor a periodic orbit: the state returns after "
                         f"{period:.6g} {model.time_unit}, but the collocated orbit lies "
                         f"{closure:.1e} (relative) from the simulated one", orbit=orbit,
                         details=details)
    if len(others) and others.max() >= 1.0:
        return Attractor("irregular", model.name, values, end,
                         f"the simulated orbit of period {period:.6g} refines to a cycle with a "
                         f"multiplier of modulus {others.max():.4g} >= 1, which the simulation "
                         f"could not have settled on: simulate longer or refine the mesh",
                         orbit=orbit, details=details)
    return Attractor("cycle", model.name, values, orbit.profile[0],
                     f"a stable limit cycle of period {period:.8g} {model.time_unit} (largest "
                     f"non-trivial multiplier {others.max() if len(others) else 0:.3g}, "
                     f"|mu_trivial - 1| = {orbit.trivial_error:.1e}); it matches the "
                     f"simulation to {closure:.1e}", orbit=orbit, details=details)


def find_cycle(model, parameters=None, *, guess=None, transient: float = 2000.0,
               ntst: int = 50, ncol: int = 4) -> PeriodicOrbit:
    """The stable limit cycle a simulation from ``guess`` (default the initial
    state) settles on, refined by collocation.

    Simulates ``transient`` (model time units) with adaptive Dormand-Prince,
    measures the period by the first return of the whole state
    (bifurc.continuation.attractors), refines the last period by collocation on
    an adapted mesh (period free, parameters fixed) and checks the result
    against the simulation. Raises ParameterError, with what the run settled on
    instead, when the attractor is an equilibrium, quasi-periodic or chaotic,
    or the run diverges.
    """
    attractor = find_attractor(model, parameters, guess=guess, transient=transient, ntst=ntst,
                               ncol=ncol)
    if attractor.kind != "cycle":
        raise ParameterError(f"no limit cycle found: the simulation settles on "
                             f"{attractor.message}")
    return attractor.orbit


__all__ = ["Attractor", "SectionReturns", "section_returns", "find_attractor", "find_cycle",
           "RETURN_TOLERANCE", "CLOSURE_TOLERANCE"]
