"""bifurc: bifurcation, continuation and network analysis of next-generation
neural mass models.

The public API is re-exported here; see docs/ for the theory and the CLI.
"""

from . import analysis, connectome, msf, plot
from .codegen import CompiledModel, compile_model
from .continuation import (Branch, ContinuationOptions, PeriodicOrbit, SpecialPoint,
                           bifurcation_diagram, continue_curve, continue_cycles,
                           continue_equilibria, find_cycle, find_equilibrium, load_branches,
                           save_branches)
from .errors import (BifurcError, DivergenceError, ModelDefinitionError, ParameterError,
                     SimulationError)
from .integrate import (RK4, DormandPrince, EulerMaruyama, Integrator, Noise, StochasticHeun,
                        Stimulus, simulate)
from .model import CouplingTerm, Model, Parameter, ParameterSet, State
from .model_files import builtin_model_names, load_model
from .network import Network, row_normalise
from .sweep import SweepOptions, SweepResult, load_sweep  # the module bifurc.sweep: .sweep()
from .trajectory import Trajectory

__version__ = "0.1.0"

__all__ = [
    "Model", "State", "Parameter", "CouplingTerm", "ParameterSet", "load_model",
    "builtin_model_names", "compile_model", "CompiledModel", "Network", "row_normalise",
    "simulate", "Integrator", "RK4", "DormandPrince", "EulerMaruyama", "StochasticHeun",
    "Noise", "Stimulus", "Trajectory", "BifurcError", "ModelDefinitionError",
    "ParameterError", "SimulationError", "DivergenceError", "continue_equilibria",
    "continue_curve", "find_equilibrium", "ContinuationOptions", "Branch", "SpecialPoint",
    "save_branches", "load_branches", "analysis", "plot", "continue_cycles", "find_cycle",
    "PeriodicOrbit", "bifurcation_diagram", "SweepOptions", "SweepResult", "load_sweep",
]
