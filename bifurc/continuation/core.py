"""Pseudo-arclength continuation of a solution curve of F(u) = 0, F: R^{N+1} -> R^N.

The algorithm knows nothing of models: it sees a :class:`ContinuationProblem`
(residual, Jacobian, test functions) and traces the curve with Keller's
pseudo-arclength method:

    predictor   u* = u_k + ds t_k
    corrector   Newton on  [F(u); t_k . (u - u*)] = 0      (Jacobian [DF(u); t_k^T])
    tangent     [DF(u_{k+1}); t_k^T] t_{k+1} = [0; 1],  t_{k+1} <- t_{k+1} / |t_{k+1}|

with step-size adaptation (grow after fast Newton convergence, halve after a
failure or a large turn of the tangent). Test functions supplied by the
problem are monitored for sign changes; each zero is located to round-off by
Brent's method on the step length, the corrector keeping every trial point on
the curve (Allgower & Georg, *Introduction to Numerical Continuation Methods*,
1990; Kuznetsov, *Elements of Applied Bifurcation Theory*, 2004, ch. 10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sps
import scipy.sparse.linalg as spla
from scipy.optimize import brentq
from tqdm.auto import tqdm

from ..errors import ParameterError


@dataclass(frozen=True)
class ContinuationOptions:
    """Options of the pseudo-arclength algorithm.

    step_size, min_step_size, max_step_size : arclength steps (in the units of u)
    max_points : points per direction
    newton_tolerance : convergence of the corrector, on |du| / (1 + |u|) and |F|
    max_newton_iterations : corrector iterations before the step is halved
    max_turn : largest angle (radians) between successive tangents
    both_directions : trace the curve both ways from the start
    detect : test functions to monitor (None: all the problem offers)
    """

    step_size: float = 0.01
    min_step_size: float = 1e-8
    max_step_size: float = 0.5
    max_points: int = 1000
    newton_tolerance: float = 1e-10
    max_newton_iterations: int = 8
    max_turn: float = 0.3
    both_directions: bool = True
    detect: tuple | None = None

    def __post_init__(self):
        for name in ("step_size", "min_step_size", "max_step_size", "newton_tolerance", "max_turn"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ParameterError(f"`{name}` must be positive and finite, got {value!r}")
        if not self.min_step_size <= self.step_size <= self.max_step_size:
            raise ParameterError(
                f"need min_step_size <= step_size <= max_step_size, got {self.min_step_size}, "
                f"{self.step_size}, {self.max_step_size}")
        if int(self.max_points) < 2:
            raise ParameterError(f"`max_points` must be at least 2, got {self.max_points}")


class ContinuationProblem:
    """Contract of a curve to continue (an equilibrium branch, a fold curve, ...).

    Implementers provide:

    ``size``                    N: number of equations (u has N + 1 entries)
    ``parameter_slots``         positions of the free parameters in u (for bounds)
    ``residual(u)``             F(u), shape (N,)
    ``jacobian(u)``             DF(u), shape (N, N + 1)
    ``test_functions(u, t)``    {name: value}: continuous functions along the
                                curve whose zeros are candidate special points
    ``classify(name, u, t)``    at a located zero: (type, data) to record it, or
                                None to ignore it (e.g. a neutral saddle)
    ``point_data(u)``           {key: array} stored for every point (eigenvalues ...)
    ``accept(u, t)``            called after each accepted point (update references);
                                may raise CurveEnd to end the curve there
    ``explain_end(u, t)``       optional: when the step size collapses after the
                                accepted point u, a CurveEnd that says why (its
                                status, message and special point replace the
                                generic "step_size" end), or None
    ``inner_weights``           optional weights of the inner product in u-space
                                (None: Euclidean); ``jacobian`` may be scipy.sparse
    """

    inner_weights = None

    size: int
    parameter_slots: tuple

    def test_functions(self, u, tangent) -> dict:
        return {}

    def classify(self, name, u, tangent):
        return name, {}

    def point_data(self, u) -> dict:
        return {}

    def accept(self, u, tangent) -> None:
        return None


class SparseBorderedProblem(ContinuationProblem):
    """A problem that assembles its sparse Jacobian itself, optionally with the
    continuation's bordering row appended: implement ``_assemble(u, row)``."""

    def jacobian(self, u):
        return self._assemble(u, None)

    def bordered_jacobian(self, u, row):
        return self._assemble(u, row)


@dataclass
class Event:
    """A located special point: index into the curve's points, its type and data."""

    index: int
    kind: str
    data: dict = field(default_factory=dict)


@dataclass
class Curve:
    """Raw output of the algorithm: points in arclength order, tangents, events,
    and how each end stopped (``ends``: first the start of the list, then its end;
    status "bound", "max_points", "closed", "step_size" or "interrupted")."""

    points: list
    tangents: list
    point_data: list
    events: list
    ends: list


class NewtonFailure(Exception):
    pass


class CurveEnd(Exception):
    """Raised by a problem's ``accept`` to end the curve there (the point is kept,
    and ``point`` = (kind, data) becomes a special point on it), e.g. when a
    family of cycles converges onto a homoclinic orbit; with ``keep=False`` the
    point is dropped (it is not a valid point of the curve)."""

    def __init__(self, status: str, message: str, point=None, keep: bool = True):
        super().__init__(message)
        self.status = status
        self.point = point  # optional (kind, data): a special point at the end
        self.keep = keep


def correct(problem: ContinuationProblem, u_predicted, tangent, options: ContinuationOptions,
            keep_solver: bool = False, solver=None):
    """Newton corrector onto F(u) = 0 within the hyperplane t . (u - u*) = 0.

    Returns (u, iterations), plus the last factorisation with ``keep_solver``;
    raises NewtonFailure. Problems with ``reuse_factorization`` iterate with a
    fixed factorisation (chord) while it contracts well; ``solver`` is one to
    start with (e.g. a nearby point's, of the same bordered system).
    """
    u = np.array(u_predicted, dtype=float)
    tolerance = options.newton_tolerance
    row = _weighted(problem, tangent)
    chord = getattr(problem, "reuse_factorization", False)
    solver, previous = (solver if chord else None), math.inf
    for iteration in range(1, options.max_newton_iterations + 1):
        residual = problem.residual(u)
        rhs = np.concatenate([residual, [row @ (u - u_predicted)]])
        if not np.all(np.isfinite(rhs)):
            raise NewtonFailure("non-finite residual")
        if solver is None or not chord:
            solver = factor(_bordered_jacobian(problem, u, row))
        step = solver(-rhs)
        size = np.linalg.norm(step)
        if chord and size > 0.5 * previous:  # chord iteration stalls: refactor next time
            solver = None
        previous = size
        u += step
        if np.linalg.norm(step) <= tolerance * (1.0 + np.linalg.norm(u)):
            if np.linalg.norm(problem.residual(u)) <= max(tolerance, 1e-9):
                return (u, iteration, solver) if keep_solver else (u, iteration)
    raise NewtonFailure(f"no convergence in {options.max_newton_iterations} iterations")


def tangent_at(problem: ContinuationProblem, u, previous_tangent, solver=None) -> np.ndarray:
    """Unit tangent of the curve at u, oriented like previous_tangent.

    With ``solver`` (a factorisation of the same bordered system at a nearby
    point, e.g. the corrector's), no new factorisation is made: the solution is
    refined once against the exact system instead.
    """
    system = _bordered_jacobian(problem, u, _weighted(problem, previous_tangent))
    rhs = np.zeros(system.shape[0])
    rhs[-1] = 1.0
    if solver is None:
        try:
            t = factor(system)(rhs)
        except NewtonFailure:  # exactly singular (a branch point hit by the root finder)
            dense = system.toarray() if sps.issparse(system) else system
            t = np.linalg.lstsq(dense, rhs, rcond=None)[0]
    else:
        t = solver(rhs)
        t = t - solver(system @ t - rhs)  # one refinement against the exact system
    return t / norm(problem, t)


def _weighted(problem, vector):
    weights = getattr(problem, "inner_weights", None)
    return vector if weights is None else weights * vector


def dot(problem, a, b) -> float:
    """Inner product of the curve's space: sum w_i a_i b_i with the problem's
    ``inner_weights`` (e.g. quadrature weights of a discretised orbit), or the
    Euclidean one."""
    return float(_weighted(problem, a) @ b)


def norm(problem, a) -> float:
    return math.sqrt(dot(problem, a, a))


def _bordered(jacobian, row):
    """[DF; row^T], dense or sparse like DF."""
    if sps.issparse(jacobian):
        return sps.vstack([jacobian, sps.csr_matrix(row)], format="csc")
    return np.vstack([jacobian, row])


def _bordered_jacobian(problem, u, row):
    """[DF(u); row^T]: the problem's own assembly if it has one (sparse problems
    avoid a stacking copy), else stacked here."""
    assemble = getattr(problem, "bordered_jacobian", None)
    if assemble is not None:
        return assemble(u, row)
    return _bordered(problem.jacobian(u), row)


def factor(matrix):
    """A solver for matrix (sparse LU with a symmetric minimum-degree ordering,
    which suits bordered collocation systems; dense LU otherwise). A singular
    dense system is solved in the least-squares sense (e.g. exactly at a branch
    point hit by the root finder, where the minimum-norm step is right)."""
    if sps.issparse(matrix):
        if not np.all(np.isfinite(matrix.data)):
            raise NewtonFailure("non-finite Jacobian")
        try:
            # threshold partial pivoting (0.1, as in UMFPACK's default): fewer row
            # exchanges, so less fill, at a negligible loss of stability here
            return spla.splu(sps.csc_matrix(matrix), permc_spec="MMD_AT_PLUS_A",
                             diag_pivot_thresh=0.1).solve
        except RuntimeError as error:  # "Factor is exactly singular"
            raise NewtonFailure(f"singular Jacobian ({error})") from None
    if not np.all(np.isfinite(matrix)):
        raise NewtonFailure("non-finite Jacobian")

    def solve(rhs):
        try:
            return np.linalg.solve(matrix, rhs)
        except np.linalg.LinAlgError:
            return np.linalg.lstsq(matrix, rhs, rcond=None)[0]
    return solve


def initial_tangent(problem: ContinuationProblem, u) -> np.ndarray:
    """Null vector of DF(u) (N x (N + 1)); error if DF is rank deficient."""
    jac = problem.jacobian(u)
    _, singular, vt = np.linalg.svd(jac)
    scale = max(singular[0], 1.0)
    if singular[-1] <= 1e-10 * scale:
        raise ParameterError(
            "the Jacobian of the defining system is rank deficient at the start point "
            f"(smallest singular value {singular[-1]:.2e}): the start is a branch point or a "
            "degenerate point; start slightly away from it, or switch branches at a located BP")
    t = vt[-1]
    slots = list(problem.parameter_slots)
    if t[slots[0]] < 0:  # orient towards increasing first free parameter
        t = -t
    return t / np.linalg.norm(t)


def _sign_changes(before: dict, after: dict, names):
    for name in names:
        a, b = before.get(name), after.get(name)
        if a is None or b is None or not (np.isfinite(a) and np.isfinite(b)):
            continue
        if a * b < 0:
            yield name


def locate_zero(problem, u, tangent, step, name, options):
    """Zero of test function `name` between u (s = 0) and the next point (s = step)."""
    cache = {}

    def on_curve(s):
        if s not in cache:
            point, _ = correct(problem, u + s * tangent, tangent, options)
            cache[s] = (point, tangent_at(problem, point, tangent))
        return cache[s]

    def value(s):
        point, t = on_curve(s)
        return problem.test_functions(point, t)[name]

    s = brentq(value, 0.0, step, xtol=1e-15 * max(step, 1e-300), rtol=4 * np.finfo(float).eps,
               maxiter=200)
    return on_curve(s) + (s,)


def _locate_between(problem, u, u_new, t, t_new, ds, name, before, after, options):
    """Zero of test function ``name`` between two accepted points, found on the
    chord from u to u_new (trial points corrected orthogonally to the chord, so
    that both ends are exact solutions and the sign change is bracketed even
    where the curve bends sharply). Returns (point, tangent, s) with s scaled to
    the step ``ds``. If the corrector fails inside the step, the nearer end
    (in the test function's value) is returned with s = 0 or ds."""
    chord = u_new - u
    length = norm(problem, chord)
    try:
        point, tangent, s = locate_zero(problem, u, chord / length, length, name, options)
        return point, tangent, s / length * ds
    except (NewtonFailure, ValueError, np.linalg.LinAlgError):
        return (u, t, 0.0) if abs(before) <= abs(after) else (u_new, t_new, ds)


def trace(problem: ContinuationProblem, start, bounds: dict, options: ContinuationOptions,
          progress=None, tangent=None, domain: dict | None = None) -> Curve:
    """Trace the curve through ``start`` (a point with F(start) ~ 0).

    ``bounds`` maps positions in u to (lower, upper): the curve stops on the
    boundary (end status "bound"). ``domain`` maps positions in u to
    (lower, upper, name) for states with a physical domain: the curve stops
    where it leaves it (status "domain"), the crossing located like a bound. Returns a :class:`Curve` ordered by arclength (the backward part
    first, reversed). Ctrl-C stops and keeps what was computed.
    """
    start = np.asarray(start, dtype=float)
    for slot, (lower, upper) in bounds.items():
        if not lower <= start[slot] <= upper:
            raise ParameterError(
                f"the start value {start[slot]:g} of a free parameter lies outside the bounds "
                f"[{lower:g}, {upper:g}]")
    u0 = start
    t0 = initial_tangent(problem, u0) if tangent is None else np.asarray(tangent, float)
    names = options.detect
    directions = (1.0, -1.0) if options.both_directions else (1.0,)
    halves, ends = [], []
    initial_state = _snapshot(problem)
    for direction in directions:
        _restore(problem, initial_state)  # each direction starts from the same problem
        half, status, message = _trace_one_way(problem, u0, direction * t0, bounds, names,
                                               options, progress, domain or {})
        halves.append(half)
        ends.append({"direction": "forward" if direction > 0 else "backward",
                     "status": status, "message": message})
        if status in ("interrupted", "closed"):
            break  # a closed curve has been traced whole
    return _join(halves, ends[::-1])


def _snapshot(problem) -> dict:
    """The problem's attributes, with copies of its arrays, lists and dicts
    (references, meshes, counters that ``accept`` and ``remap`` change)."""
    return {key: value.copy() if isinstance(value, (np.ndarray, list, dict)) else value
            for key, value in vars(problem).items()}


def _restore(problem, snapshot) -> None:
    for key in [k for k in vars(problem) if k not in snapshot]:
        delattr(problem, key)
    for key, value in snapshot.items():
        setattr(problem, key, value.copy() if isinstance(value, (np.ndarray, list, dict))
                else value)


def _crossings(u, bounds, domain):
    """(slot, limit, status, message) for every bound or domain limit u lies beyond."""
    found = []
    for slot, (lo, hi) in bounds.items():
        if not lo <= u[slot] <= hi:
            limit = lo if u[slot] < lo else hi
            found.append((slot, limit, "bound", f"reached the parameter bound {limit:g}"))
    for slot, (lo, hi, name) in domain.items():
        if not lo <= u[slot] <= hi:
            limit, sign = (lo, ">=") if u[slot] < lo else (hi, "<=")
            found.append((slot, limit, "domain", f"left the physical domain ({name} {sign} "
                                                 f"{limit:g}); the curve stops on its boundary"))
    return found


def _trace_one_way(problem, u0, t0, bounds, names, options, progress, domain):
    u, t = u0.copy(), t0.copy()
    problem.accept(u, t)
    tests = problem.test_functions(u, t)
    names = list(tests) if names is None else [n for n in names if n in tests]
    points, tangents, data, events = [u], [t], [problem.point_data(u)], []
    ds = options.step_size
    status, message = "max_points", f"stopped after {options.max_points} points"
    cos_turn = math.cos(options.max_turn)
    try:
        while len(points) < options.max_points:
            try:
                u_new, iterations, solver = correct(problem, u + ds * t, t, options,
                                                    keep_solver=True)
                reuse = solver if getattr(problem, "reuse_factorization", False) else None
                t_new = tangent_at(problem, u_new, t, solver=reuse)
                if dot(problem, t_new, t) < cos_turn:
                    raise NewtonFailure("tangent turned too much")
            except (NewtonFailure, np.linalg.LinAlgError) as failure:
                ds /= 2.0
                if ds < options.min_step_size:
                    status = "step_size"
                    message = (f"step size fell below min_step_size ({options.min_step_size:g}) "
                               f"after: {failure}; the curve may end, turn sharply or meet a "
                               f"singularity here")
                    break
                continue
            # stop on the boundary of the parameter box
            crossed = _crossings(u_new, bounds, domain)
            events_here = []
            new_tests = problem.test_functions(u_new, t_new)
            for name in _sign_changes(tests, new_tests, names):
                point, tangent, s = _locate_between(problem, u, u_new, t, t_new, ds, name,
                                                    tests[name], new_tests[name], options)
                verdict = problem.classify(name, point, tangent)
                if verdict is not None and (point is u or point is u_new):
                    verdict[1]["located"] = False  # the nearer end of the step
                if verdict is not None:
                    events_here.append((s, point, tangent, verdict))
            if crossed:
                located = [(_locate_bound(problem, u, t, ds, slot, limit, options), why, text)
                           for slot, limit, why, text in crossed]
                (point, tangent, s), why, text = min(located, key=lambda item: item[0][2])
                for s_event, p_event, t_event, (kind, info) in sorted(events_here, key=lambda e: e[0]):
                    if p_event is u:
                        events.append(Event(len(points) - 1, kind, info))
                    elif s_event < s:
                        events.append(Event(len(points), kind, info))
                        points.append(p_event)
                        tangents.append(t_event)
                        data.append(problem.point_data(p_event))
                if s > 0:
                    points.append(point)
                    tangents.append(tangent)
                    data.append(problem.point_data(point))
                status, message = why, text
                break
            at_end = []
            for s_event, p_event, t_event, (kind, info) in sorted(events_here, key=lambda e: e[0]):
                if p_event is u:  # not located: the event sits on the stored points
                    events.append(Event(len(points) - 1, kind, info))
                elif p_event is u_new:
                    at_end.append(Event(len(points), kind, info))
                else:
                    events.append(Event(len(points), kind, info))
                    points.append(p_event)
                    tangents.append(t_event)
                    data.append(problem.point_data(p_event))
            u, t, tests = u_new, t_new, new_tests
            for event in at_end:
                events.append(Event(len(points), event.kind, event.data))
            points.append(u)
            tangents.append(t)
            data.append(problem.point_data(u))
            try:
                problem.accept(u, t)
            except CurveEnd as end:
                status, message = end.status, str(end)
                if not end.keep:
                    del points[-1], tangents[-1], data[-1]
                    events[:] = [e for e in events if e.index < len(points)]
                if end.point is not None:
                    events.append(Event(len(points) - 1, *end.point))
                break
            remap = getattr(problem, "remap", None)
            if remap is not None:  # e.g. a new mesh for a discretised orbit
                u, t = remap(u, t)
            if progress is not None:
                progress.update(1)
            if (len(points) > 10 and u.shape == u0.shape and norm(problem, u - u0) < ds
                    and dot(problem, t, t0) > 0.9):
                status, message = "closed", "the curve closed on itself"
                points.append(u0.copy())  # close the loop on the (verified) start point
                tangents.append(t0.copy())
                data.append(problem.point_data(u0))
                break
            if iterations <= 3:
                ds = min(ds * 1.5, options.max_step_size)
    except KeyboardInterrupt:
        status, message = "interrupted", "interrupted by the user; points so far are kept"
    explain = getattr(problem, "explain_end", None)
    if status == "step_size" and explain is not None:
        # the problem may know why its curve cannot go on (e.g. a cycle curve
        # whose cycles shrink to zero amplitude at a codimension-two point)
        end = explain(points[-1], tangents[-1])
        if end is not None:
            status, message = end.status, str(end)
            if end.point is not None:
                events.append(Event(len(points) - 1, *end.point))
    return (points, tangents, data, events), status, message


def trace_with_progress(problem, start, bounds: dict, options: ContinuationOptions,
                        description: str, progress: bool, tangent=None, domain=None) -> Curve:
    """``trace`` with a tqdm bar named ``description`` (shown when ``progress``)."""
    bar = tqdm(desc=description, unit="pt", disable=not progress, leave=False)
    try:
        return trace(problem, start, bounds, options, progress=bar, tangent=tangent,
                     domain=domain)
    finally:
        bar.close()


def _locate_bound(problem, u, t, ds, slot, limit, options):
    cache = {}

    def on_curve(s):
        if s not in cache:
            point, _ = correct(problem, u + s * t, t, options)
            cache[s] = point
        return cache[s]

    if (u[slot] - limit) * (on_curve(ds)[slot] - limit) >= 0:  # u is on the bound already
        return u, t, 0.0
    s = brentq(lambda s: on_curve(s)[slot] - limit, 0.0, ds, xtol=1e-15 * ds)
    point = on_curve(s)
    return point, tangent_at(problem, point, t), s


def _join(halves, ends) -> Curve:
    """Join the forward half and the reversed backward half into one curve."""
    forward = halves[0]
    points, tangents, data, events = (list(forward[0]), list(forward[1]), list(forward[2]),
                                      list(forward[3]))
    if len(halves) > 1:
        back_points, back_tangents, back_data, back_events = halves[1]
        offset = len(back_points) - 1
        points = back_points[:0:-1] + points
        tangents = [-t for t in back_tangents[:0:-1]] + tangents
        data = back_data[:0:-1] + data
        events = ([Event(offset - e.index, e.kind, e.data) for e in reversed(back_events)]
                  + [Event(e.index + offset, e.kind, e.data) for e in events])
    return Curve(points, tangents, data, events, ends)
