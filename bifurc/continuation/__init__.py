"""Numerical continuation: the pseudo-arclength algorithm, the curve types and
their registry (equilibria, cycles and their bifurcation curves), attractors
by simulation, normal forms and the results objects (docs/architecture.md)."""

from .attractors import find_attractor, find_cycle
from .branch import Branch, SpecialPoint, load_branches, save_branches
from .core import ContinuationOptions, ContinuationProblem
from .cycles import PeriodicOrbit, continue_cycles
from .diagram import bifurcation_diagram
from .equilibria import continue_equilibria, find_equilibrium
from .homoclinic import (continue_fixed_period, continue_homoclinic, homoclinic_guess,
                         homoclinic_point)
from .registry import CurveType, continue_curve, curve_type, curve_types, register
from .snic import continue_snic

__all__ = ["Branch", "SpecialPoint", "load_branches", "save_branches", "ContinuationOptions",
           "ContinuationProblem", "continue_equilibria", "continue_curve", "find_equilibrium",
           "continue_cycles", "find_cycle", "find_attractor", "PeriodicOrbit",
           "bifurcation_diagram", "CurveType", "curve_type", "curve_types", "register",
           "continue_homoclinic", "homoclinic_point", "homoclinic_guess", "continue_snic",
           "continue_fixed_period"]
