"""Numerical continuation: the pseudo-arclength algorithm, equilibria (EP-C),
fold and Hopf curves (LP-C, H-C), normal forms and the results objects."""

from .branch import Branch, SpecialPoint, load_branches, save_branches
from .core import ContinuationOptions, ContinuationProblem
from .curves import continue_curve
from .cycles import PeriodicOrbit, continue_cycles, find_cycle
from .diagram import bifurcation_diagram
from .equilibria import continue_equilibria, find_equilibrium

__all__ = ["Branch", "SpecialPoint", "load_branches", "save_branches", "ContinuationOptions",
           "ContinuationProblem", "continue_equilibria", "continue_curve", "find_equilibrium",
           "continue_cycles", "find_cycle", "PeriodicOrbit", "bifurcation_diagram"]
