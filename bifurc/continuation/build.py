"""From the algorithm's raw curve to a typed Branch, the same way for every
curve type: labelled special points, the record of the options, the
parameter bounds, the model's physical domain, warnings, and one stability
rule per kind of solution (equilibria: every eigenvalue in the open left
half-plane; cycles: every non-trivial Floquet multiplier inside the unit
circle).
"""

from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np

from ..codegen import parameter_vector
from ..errors import ParameterError
from ..model import Model
from ..units import PER_SECOND
from .branch import Branch, SpecialPoint
from .floquet import TRIVIAL_TOLERANCE, nontrivial


def parameter_bounds(model: Model, free: str, bounds) -> tuple[float, float]:
    """(lower, upper) for a free parameter: ``bounds``, or the parameter's
    declared range when it is finite."""
    if bounds is None:
        declared = model.parameter_info[free]
        lower, upper = declared.bounds
        if not (math.isfinite(lower) and math.isfinite(upper)) or any(declared.open_ends):
            why = "is not finite" if not (math.isfinite(lower) and math.isfinite(upper)) else \
                "has an open end, which a continuation cannot reach"
            raise ParameterError(f"give `bounds` for the free parameter `{free}` (its declared "
                                 f"range {declared.interval_text} {why})")
        bounds = (lower, upper)
    lower, upper = (float(b) for b in bounds)
    if not lower < upper:
        raise ParameterError(f"`bounds` must be (lower, upper) with lower < upper, got {bounds}")
    check_within_declared(model, free, lower, upper)
    return lower, upper


def check_within_declared(model: Model, name: str, lower: float, upper: float) -> None:
    """Continuation bounds must lie in the parameter's declared range (open ends
    excluded: a time constant's range (0, inf) refuses a bound at 0, where the
    equations divide by zero): ParameterError naming both, before any work."""
    declared = model.parameter_info[name]
    inside = all(declared.contains(b) or (math.isinf(b) and b in declared.bounds)
                 for b in (lower, upper))
    if not inside:
        raise ParameterError(
            f"continuation bounds [{lower:g}, {upper:g}] for `{name}` reach outside its range "
            f"{declared.interval_text} declared by model {model.name!r}; give bounds inside it")


def two_parameter_bounds(model: Model, point, free, bounds):
    """(indices of the two free parameters, [(lo1, hi1), (lo2, hi2)]), validated
    against the start point; ``bounds`` is {name: (lo, hi)} or two pairs."""
    if len(free) != 2 or free[0] == free[1]:
        raise ParameterError(f"`free` must name two different parameters, got {free}")
    indices = [model.parameter_index(name) for name in free]
    if isinstance(bounds, dict):
        missing = [name for name in free if name not in bounds]
        if missing:
            raise ParameterError(f"`bounds` lacks the free parameter(s) {missing}")
        bounds = [bounds[name] for name in free]
    bounds = [tuple(float(b) for b in pair) for pair in bounds]
    base = parameter_vector(model, point.parameters)
    for name, index, (lower, upper) in zip(free, indices, bounds):
        check_within_declared(model, name, lower, upper)
        if not lower <= base[index] <= upper:
            raise ParameterError(f"bounds [{lower:g}, {upper:g}] exclude the start value "
                                 f"{name} = {base[index]:g}")
    return indices, bounds


def options_record(options, **extra) -> dict:
    """The continuation options as plain data (saved with the branch)."""
    record = asdict(options)
    record.update(extra)
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in record.items()}


def domain_slots(model: Model, offset: int = 0) -> dict:
    """{position in u: (lower, upper, name)} for the states with a bounded
    domain, the state vector sitting at u[offset:offset + n] (for ``trace``)."""
    lower, upper = model.domain
    return {offset + i: (lower[i], upper[i], name) for i, name in enumerate(model.state_names)
            if np.isfinite(lower[i]) or np.isfinite(upper[i])}


def domain_flags(model: Model, states) -> tuple[np.ndarray, list]:
    """(in_domain per point, warnings) for an array of states (one per point, or
    (points, samples, n) for orbits)."""
    states = np.asarray(states, dtype=float)
    rows = states.reshape(len(states), -1, model.n_states)
    inside = np.array([not model.domain_violations(row) for row in rows], dtype=bool)
    warnings = []
    if not inside.all():
        first = int(np.flatnonzero(~inside)[0])
        warnings.append(f"{int((~inside).sum())} of {len(inside)} points lie outside the "
                        f"model's physical domain (first at point {first}: "
                        f"{'; '.join(model.domain_violations(rows[first]))}); they are not "
                        f"physical states")
    return inside, warnings


def untrusted_warnings(errors, tolerance) -> list:
    """A warning for each stretch of points whose trivial multiplier is further
    than ``tolerance`` from 1 (their multipliers, stability and test functions
    are not trusted; no LPC/PD/NS was looked for there)."""
    bad = np.asarray(errors) > tolerance
    warnings = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], bad.astype(int), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):
        worst = float(np.max(np.asarray(errors)[start:stop]))
        warnings.append(f"points {start}-{stop - 1}: Floquet multipliers inaccurate "
                        f"(|mu_trivial - 1| up to {worst:.1e} > {tolerance:.0e}); stability "
                        f"there is uncertain and no LPC, PD or NS was looked for: refine the "
                        f"mesh (larger ntst)")
    return warnings


def stable_equilibria(eigenvalues) -> np.ndarray:
    """Per row of eigenvalues: all in the open left half-plane."""
    return np.all(np.asarray(eigenvalues).real < 0, axis=1)


def stable_cycles(multipliers) -> np.ndarray:
    """Per row of Floquet multipliers: all but the trivial one inside the unit circle."""
    return np.array([np.all(np.abs(nontrivial(m)) < 1.0) for m in multipliers], dtype=bool)


def label_points(model: Model, kind: str, free, values, states, eigenvalues, events,
                 base) -> list:
    """SpecialPoints from the algorithm's events, numbered per type along the
    branch (LP1, H1, H2; kinds ending in a digit get an underscore: R4_1)."""
    counts = {}
    points = []
    for event in events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
        parameters = dict(zip(model.parameter_names, np.asarray(base).tolist()))
        for name, value in zip(free, values[event.index]):
            parameters[name] = float(value)
        separator = "_" if event.kind[-1].isdigit() else ""
        points.append(SpecialPoint(f"{event.kind}{separator}{counts[event.kind]}", event.kind,
                                   event.index, parameters, states[event.index],
                                   eigenvalues[event.index], event.data, model.name, kind,
                                   tuple(free)))
    return points


def make_branch(model: Model, kind: str, free, curve, base, *, values, states, eigenvalues,
                stable, options: dict, extra=None, domain_states=None, warnings=()) -> Branch:
    """The Branch of a traced curve: its special points labelled, its points
    checked against the model's domain (``domain_states``: what must lie in it,
    default ``states``), and the warnings collected."""
    values = np.asarray(values, dtype=float).reshape(len(curve.points), len(free))
    points = label_points(model, kind, free, values, states, eigenvalues, curve.events, base)
    in_domain, outside = domain_flags(model, states if domain_states is None else domain_states)
    return Branch(kind=kind, model=model.name, free=tuple(free), state_names=model.state_names,
                  parameters=dict(zip(model.parameter_names, np.asarray(base).tolist())),
                  values=values, states=np.asarray(states), eigenvalues=np.asarray(eigenvalues),
                  stable=np.asarray(stable, dtype=bool), special_points=points,
                  extra=extra or {}, ends=curve.ends, options=options, in_domain=in_domain,
                  warnings=outside + list(warnings))


def orbit_row(branch: Branch, index) -> tuple[int, dict, dict]:
    """(row, parameters, orbit data) of point ``index`` of a branch that stores
    its orbits (``index``: an integer, negative from the end, or a special
    point's label): the parameters with the free ones at that row, and the
    orbit as a start point carries it (period, ncol, mesh, profile)."""
    if isinstance(index, str):
        index = branch[index].index
    count = len(branch)
    if not (isinstance(index, (int, np.integer)) and -count <= index < count):
        raise ParameterError(f"`index` must be an integer in [{-count}, {count - 1}] for this "
                             f"branch of {count} points, got {index!r}")
    index = int(index) % count
    parameters = dict(branch.parameters)
    parameters.update({name: float(value)
                       for name, value in zip(branch.free, branch.values[index])})
    profile = np.asarray(branch.extra["profile"][index])
    mesh = np.asarray(branch.extra["mesh"][index])
    data = {"period": float(branch.extra["period"][index]),
            "ncol": (len(profile) - 1) // (len(mesh) - 1), "mesh": mesh.tolist(),
            "profile": profile.tolist()}
    return index, parameters, data


def equilibrium_branch(model: Model, kind: str, free, curve, base, states_of, values_of,
                       options: dict, extra=None) -> Branch:
    """A branch of equilibria (EP-C) or of a codimension-one curve of
    equilibria (LP-C, H-C, TI-C): ``states_of(u)`` and ``values_of(u)`` read
    the state and the free parameters from a point of the curve."""
    states = np.array([states_of(u) for u in curve.points])
    values = np.array([values_of(u) for u in curve.points])
    eigenvalues = np.array([d["eigenvalues"] for d in curve.point_data])
    return make_branch(model, kind, free, curve, base, values=values, states=states,
                       eigenvalues=eigenvalues, stable=stable_equilibria(eigenvalues),
                       options=options, extra=extra)


#: per-point data of cycle problems stored as extra arrays when present
CYCLE_EXTRA = ("period", "trivial_error", "max", "min", "kappa", "theta", "mesh", "profile")


def cycle_branch(model: Model, kind: str, free, curve, base, options: dict,
                 tolerance: float = TRIVIAL_TOLERANCE) -> Branch:
    """A branch of cycles (LC-C) or of a curve of cycle bifurcations (LPC-C,
    PD-C, NS-C, TI-C of cycles): the free parameters are the last entries of
    u; ``states`` the mean of each state over the period, ``eigenvalues`` the
    Floquet multipliers, ``extra`` the per-point cycle data (CYCLE_EXTRA, and
    ``frequency_hz`` when the time unit is known), with warnings where the
    multipliers are not trusted (|mu_trivial - 1| > ``tolerance``)."""
    data = curve.point_data
    values = np.array([u[-len(free):] for u in curve.points])
    multipliers = np.array([d["eigenvalues"] for d in data])
    extra = {key: np.array([d[key] for d in data]) for key in CYCLE_EXTRA if key in data[0]}
    if model.time_unit in PER_SECOND:
        extra["frequency_hz"] = PER_SECOND[model.time_unit] / extra["period"]
    means = np.array([d["mean"] for d in data])
    return make_branch(model, kind, free, curve, base, values=values, states=means,
                       eigenvalues=multipliers, stable=stable_cycles(multipliers),
                       options=options, extra=extra, domain_states=extra["profile"],
                       warnings=untrusted_warnings(extra["trivial_error"], tolerance))


__all__ = ["parameter_bounds", "two_parameter_bounds", "check_within_declared", "options_record", "domain_slots",
           "domain_flags", "untrusted_warnings", "stable_equilibria", "stable_cycles",
           "label_points", "make_branch", "orbit_row", "equilibrium_branch", "cycle_branch",
           "CYCLE_EXTRA"]
