"""Automatic one-parameter bifurcation diagrams (after BifurcationKit's
``bifurcationdiagram``): continue equilibria, switch at every branch point,
start cycles at every Hopf point and switch to the doubled cycle at every
period doubling, recursively up to a depth, within the parameter bounds."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BifurcError
from ..model_files import load_model
from .core import ContinuationOptions
from .equilibria import continue_equilibria
from .registry import type_for_point


@dataclass(frozen=True)
class _Settings:
    """What every branch of one diagram shares."""

    free: str
    bounds: tuple
    options: ContinuationOptions | None
    cycle_options: ContinuationOptions | None
    ntst: int
    ncol: int
    allow_outside_domain: bool
    progress: bool


def bifurcation_diagram(model, parameters=None, free: str | None = None, bounds=None, *,
                        depth: int = 2, follow=("BP", "H", "PD"), start=None,
                        options: ContinuationOptions | None = None,
                        cycle_options: ContinuationOptions | None = None, ntst: int = 50,
                        ncol: int = 4, allow_outside_domain: bool = False,
                        progress: bool = False) -> list:
    """All branches reachable from the equilibrium branch through ``start``.

    depth 0: the equilibrium branch; each further level follows, from every
    special point of the previous level whose kind is in ``follow``, the branch
    it creates: BP -> the other equilibrium branch, H -> the cycles, PD -> the
    doubled cycles. A
    cycle family that ends on a Hopf point is not traced again from there.
    Returns the list of Branch objects (equilibria first, in discovery order).
    A branch that cannot be started from a point (the switch fails, or the
    new branch has a single point) is not returned; the point's branch
    carries a warning that says why, once. ``allow_outside_domain`` is passed
    to every continuation (see ``continue_equilibria``). Ctrl-C ends the
    branch being traced (status "interrupted") and the diagram with it.
    """
    model = load_model(model)
    first = continue_equilibria(model, parameters, free, bounds, start=start, options=options,
                                allow_outside_domain=allow_outside_domain, progress=progress)
    settings = _Settings(free, tuple(first.options["bounds"]), options, cycle_options, ntst,
                         ncol, allow_outside_domain, progress)
    branches, frontier = [first], [first]
    if first.interrupted:
        return branches
    reached = []  # parameter values at which a cycle family ended on a Hopf point
    for _ in range(depth):
        following = []
        for branch in frontier:
            for point in [p for p in branch.special_points if p.kind in follow]:
                try:
                    new = _follow(model, point, settings, reached)
                except BifurcError as error:
                    branch.warnings.append(f"no branch started from {point.label}: {error}")
                    continue
                if new is not None and len(new) < 2:
                    why = "; ".join(end["message"] for end in new.ends) or "no step succeeded"
                    branch.warnings.append(f"no branch started from {point.label}: {why}")
                elif new is not None:
                    following.append(new)
                if new is not None and new.interrupted:  # Ctrl-C: keep what is done, stop
                    return branches + following
        branches += following
        frontier = following
        if not frontier:
            break
    return branches


def _follow(model, point, settings: _Settings, reached):
    """The one-parameter branch that ``point`` starts (the registry says which),
    or None."""
    found = type_for_point(point, 1)
    if found is None:
        return None
    free, bounds = settings.free, settings.bounds
    if point.kind == "H" and any(abs(point.parameters[free] - r) <= 1e-3 * (bounds[1] - bounds[0])
                                 for r in reached):
        return None  # this family was traced from its other Hopf point
    branch = found.continue_from(
        model, point, free, bounds,
        options=settings.cycle_options if found.of_cycles else settings.options,
        ntst=settings.ntst, ncol=settings.ncol,
        allow_outside_domain=settings.allow_outside_domain, progress=settings.progress)
    if found.of_cycles and branch.ends and branch.ends[-1]["status"] == "hopf":
        reached.append(float(branch.values[-1, 0]))
    return branch
