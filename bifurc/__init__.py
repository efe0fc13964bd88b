"""bifurc: bifurcation, continuation and network analysis of next-generation
neural mass models.

The public API is re-exported here; see docs/ for the theory and the CLI.
Names are imported on first use (PEP 562), so ``import bifurc`` and the
command line start without loading SymPy, numba or SciPy's signal package
until they are needed.
"""

from __future__ import annotations

import importlib

from .errors import (BifurcError, DivergenceError, ModelDefinitionError, ParameterError,
                     SimulationError)
from .version import __version__

#: public name -> the module that defines it
_EXPORTS = {
    **dict.fromkeys(["Model", "State", "Parameter", "CouplingTerm", "ParameterSet"],
                    "bifurc.model"),
    **dict.fromkeys(["load_model", "builtin_model_names"], "bifurc.model_files"),
    **dict.fromkeys(["compile_model", "CompiledModel"], "bifurc.codegen"),
    "Network": "bifurc.network",
    "row_normalise": "bifurc.connectome",
    **dict.fromkeys(["simulate", "Integrator", "RK4", "DormandPrince", "EulerMaruyama",
                     "StochasticHeun", "Noise", "Stimulus"], "bifurc.integrate"),
    "Trajectory": "bifurc.trajectory",
    **dict.fromkeys(["continue_equilibria", "continue_curve", "find_equilibrium",
                     "ContinuationOptions", "Branch", "SpecialPoint", "save_branches",
                     "load_branches", "continue_cycles", "find_cycle", "PeriodicOrbit",
                     "bifurcation_diagram"], "bifurc.continuation"),
    **dict.fromkeys(["SweepOptions", "SweepResult", "load_sweep"], "bifurc.sweep"),
}
#: submodules reachable as attributes (``bf.plot``, ``bf.msf``; ``bf.sweep`` is the
#: module, whose function is ``bf.sweep.sweep``)
_SUBMODULES = {"analysis", "codegen", "connectome", "continuation", "files", "integrate",
               "lyapunov", "model", "model_files", "msf", "network", "plot", "sweep",
               "symbolic", "trajectory", "units"}

__all__ = [
    "Model", "State", "Parameter", "CouplingTerm", "ParameterSet", "load_model",
    "builtin_model_names", "compile_model", "CompiledModel", "Network", "row_normalise",
    "simulate", "Integrator", "RK4", "DormandPrince", "EulerMaruyama", "StochasticHeun",
    "Noise", "Stimulus", "Trajectory", "BifurcError", "ModelDefinitionError",
    "ParameterError", "SimulationError", "DivergenceError", "continue_equilibria",
    "continue_curve", "find_equilibrium", "ContinuationOptions", "Branch", "SpecialPoint",
    "save_branches", "load_branches", "analysis", "plot", "continue_cycles", "find_cycle",
    "PeriodicOrbit", "bifurcation_diagram", "SweepOptions", "SweepResult", "load_sweep",
    "__version__",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module 'bifurc' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)
