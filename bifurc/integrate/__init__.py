"""Time integration: fixed-step, adaptive and stochastic integrators, inputs."""

from .inputs import Noise, Stimulus
from .runner import simulate
from .solvers import RK4, DormandPrince, EulerMaruyama, Integrator, StochasticHeun

__all__ = ["simulate", "Integrator", "RK4", "DormandPrince", "EulerMaruyama", "StochasticHeun",
           "Noise", "Stimulus"]
