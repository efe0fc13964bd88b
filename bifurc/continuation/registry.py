"""The registry of curve types: what each type continues, from which special
points it starts, and how it is drawn.

``continue_curve`` (two-parameter curves), the recursive diagram
(one-parameter branches started at special points), ``bifurc twopar`` and the
plots look types up here instead of switching on names. A new curve type is
one module (its defining system, test functions and a function that returns
a Branch) and one ``CurveType`` line in ``BUILT_IN`` (or ``register`` at run
time).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ParameterError
from ..model_files import load_model
from .branch import Branch
from .curves import continue_equilibrium_curve
from .cycle_curves import continue_cycle_curve
from .cycles import continue_cycles
from .equilibria import continue_equilibria
from .homoclinic import continue_fixed_period, continue_homoclinic
from .snic import continue_snic
from .transverse import continue_transverse_curve


@dataclass(frozen=True)
class CurveType:
    """A curve type.

    kind : the branch kind it produces ("LP-C")
    n_free : number of free parameters (1: branches of a diagram; 2: curves)
    starts_from : kinds of special points it starts from (a point of one of
        its own branches restarts it when ``restarts`` is set)
    continue_from : ``f(model, point, free, bounds, *, options, progress,
        **settings) -> Branch``; settings are those of the diagram
        (ntst, ncol, allow_outside_domain), each type taking what it needs
    description : legend text
    colour, line : how plots draw it
    of_cycles : whether its solutions are cycles (they take the diagram's
        cycle options)
    dotted : optional ``f(branch) -> bool array``, the points drawn dotted
        (e.g. the neutral-saddle part of a Hopf curve)
    restarts : whether any point of one of its branches that carries its
        orbit restarts it (cycle curves)
    """

    kind: str
    n_free: int
    starts_from: tuple
    continue_from: Callable
    description: str
    colour: str = "black"
    line: str = "-"
    of_cycles: bool = False
    dotted: Callable | None = None
    restarts: bool = False


def _equilibria_from(model, point, free, bounds, *, options=None, progress=False,
                     allow_outside_domain=False, **_):
    return continue_equilibria(model, None, free, bounds, start=point, options=options,
                               allow_outside_domain=allow_outside_domain, progress=progress)


def _cycles_from(model, point, free, bounds, *, options=None, progress=False, ntst=50, ncol=4,
                 allow_outside_domain=False, **_):
    return continue_cycles(model, point, free, bounds, ntst=ntst, ncol=ncol, options=options,
                           allow_outside_domain=allow_outside_domain, progress=progress)


def _two_parameter(function):
    """continue_from for ``function``; settings it does not take are refused."""
    common = {"model", "start", "point", "free", "bounds", "options", "progress"}
    own = [name for name in inspect.signature(function).parameters if name not in common]

    def continue_from(model, point, free, bounds, *, options=None, progress=False, **settings):
        unknown = sorted(set(settings) - set(own))
        if unknown:
            raise ParameterError(f"{', '.join(unknown)} is not a setting of "
                                 f"{function.__name__} (its settings: "
                                 f"{', '.join(own) or 'none'})")
        return function(model, point, free, bounds, options=options, progress=progress,
                        **settings)
    return continue_from


def _hopf_neutral_saddles(branch):
    return branch.extra["kappa"] <= 0


def _torus_neutral_saddles(branch):
    return np.abs(branch.extra["kappa"]) > 1


BUILT_IN = (
    CurveType("EP-C", 1, ("BP",), _equilibria_from, "equilibria"),
    CurveType("LC-C", 1, ("H", "PD"), _cycles_from, "limit cycles", of_cycles=True),
    CurveType("LP-C", 2, ("LP",), _two_parameter(continue_equilibrium_curve), "fold (LP)",
              "tab:red"),
    CurveType("H-C", 2, ("H",), _two_parameter(continue_equilibrium_curve), "Hopf (H)",
              "tab:blue", dotted=_hopf_neutral_saddles),
    CurveType("LPC-C", 2, ("LPC",), _two_parameter(continue_cycle_curve),
              "fold of cycles (LPC)", "tab:orange", of_cycles=True, restarts=True),
    CurveType("PD-C", 2, ("PD",), _two_parameter(continue_cycle_curve),
              "period doubling (PD)", "tab:green", of_cycles=True, restarts=True),
    CurveType("NS-C", 2, ("NS",), _two_parameter(continue_cycle_curve), "torus (NS)",
              "tab:purple", of_cycles=True, dotted=_torus_neutral_saddles, restarts=True),
    CurveType("TI-C", 2, ("TI",), _two_parameter(continue_transverse_curve),
              "transverse instability (TI)", "0.35", line="--"),
    CurveType("HOM-C", 2, ("HOM", "BT"), _two_parameter(continue_homoclinic),
              "homoclinic orbit (HOM)", "tab:olive", line="-.", of_cycles=True, restarts=True),
    CurveType("SNIC-C", 2, ("SNIC", "NCH"), _two_parameter(continue_snic),
              "saddle-node on invariant circle (SNIC)", "tab:brown", line="-", of_cycles=True,
              restarts=True),
    CurveType("LCT-C", 2, (), _two_parameter(continue_fixed_period),
              "cycles of fixed period", "0.5", line=":", of_cycles=True, restarts=True),
)

_TYPES: dict[str, CurveType] = {}


def register(curve_type: CurveType) -> CurveType:
    """Add (or replace) a curve type; returns it."""
    if not isinstance(curve_type, CurveType):
        raise TypeError(f"register expects a CurveType, got {curve_type!r}")
    _TYPES[curve_type.kind] = curve_type
    return curve_type


def unregister(kind: str) -> None:
    """Remove the curve type ``kind`` (built-in types cannot be removed)."""
    if any(t.kind == kind for t in BUILT_IN):
        raise ParameterError(f"{kind!r} is a built-in curve type")
    _TYPES.pop(kind, None)


for _type in BUILT_IN:
    register(_type)


def curve_type(kind: str) -> CurveType:
    """The registered type of branch kind ``kind``."""
    if kind not in _TYPES:
        raise ParameterError(f"unknown curve type {kind!r}; known: {', '.join(_TYPES)}")
    return _TYPES[kind]


def curve_types(n_free: int | None = None) -> list[CurveType]:
    """The registered types (with ``n_free`` free parameters, when given)."""
    return [t for t in _TYPES.values() if n_free is None or t.n_free == n_free]


def type_for_point(point, n_free: int) -> CurveType | None:
    """The type with ``n_free`` free parameters that starts from ``point``: its
    kind is in ``starts_from`` (e.g. the NCH end of a HOM-C curve starts
    SNIC-C), else it is a point of such a curve that carries its orbit (a
    restart); None when no type does."""
    kind = getattr(point, "kind", None)
    branch_kind = getattr(point, "branch_kind", None)
    for candidate in curve_types(n_free):
        if kind in candidate.starts_from and not (kind == "BP" and branch_kind != "EP-C"):
            return candidate
    for candidate in curve_types(n_free):
        if candidate.restarts and branch_kind == candidate.kind \
                and "profile" in getattr(point, "data", {}):
            return candidate
    return None


def continue_curve(model, point, free, bounds, *, options=None, progress: bool = False,
                   kind: str | None = None, **settings) -> Branch:
    """Continue the two-parameter curve through ``point`` in ``free = (name1,
    name2)`` within ``bounds`` = {name: (lo, hi)} or ((lo1, hi1), (lo2, hi2)):
    the fold (LP-C) or Hopf (H-C) curve of equilibria, the fold-of-cycles
    (LPC-C), period-doubling (PD-C) or torus (NS-C) curve of cycles, the
    homoclinic curve (HOM-C) from the HOM point of a cycle family or from a
    BT point (each also restarted from any point of such a curve that carries
    its orbit), or, from
    a transverse-instability point of a homogeneous network system, that
    mode's synchrony boundary (TI-C). The type comes from the registry, or is
    ``kind`` (e.g. "LCT-C": the cycles of the period of a HOM point's last
    cycle); ``settings`` go to the type's function (e.g. ``free_period=True``
    or ``epsilon`` for HOM-C)."""
    model = load_model(model)
    found = type_for_point(point, 2) if kind is None else curve_type(kind)
    if found is not None and found.n_free != 2:
        raise ParameterError(f"{kind} is not a two-parameter curve type")
    if found is None:
        starts = sorted({k for t in curve_types(2) for k in t.starts_from})
        raise ParameterError(f"two-parameter curves start from a point of kind {', '.join(starts)} "
                             f"(or a point of a cycle curve), got "
                             f"{getattr(point, 'label', point)!r}")
    return found.continue_from(model, point, free, bounds, options=options, progress=progress,
                               **settings)


__all__ = ["CurveType", "BUILT_IN", "register", "unregister", "curve_type", "curve_types", "type_for_point",
           "continue_curve"]
