"""Integrators: the algorithm half of a simulation (the model is the problem).

Each integrator is a small frozen object holding its options; ``simulate``
passes it a :class:`RunContext` and asks it to advance a chunk of samples.
The numerics live in numba kernels (``bifurc/kernels/integrators.py``),
compiled per model.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numba
import numpy as np

from ..errors import ParameterError


@dataclass
class RunContext:
    """Everything a kernel call needs, shared by all chunks of one run."""

    kernels: object          # generated module of the model
    X: np.ndarray            # (N, n) current state, advanced in place
    P: np.ndarray            # (N, m) parameters
    coupling: tuple
    stimuli: tuple
    sigma: np.ndarray | None  # (N, n) noise amplitudes
    record: np.ndarray       # state indices to record
    out: np.ndarray          # (n_t, N, n_rec) sample buffer; row 0 is the initial state
    sample_interval: float
    t: float = 0.0           # time of the last written sample
    samples_done: int = 0    # rows of out written after row 0
    carry: float = 0.0       # adaptive integrators: step size to continue with
    steps_accepted: int = 0
    steps_rejected: int = 0


@dataclass
class ChunkResult:
    """Outcome of advancing a chunk: status 0 ok, 1 non-finite state, 2 step underflow."""

    status: int
    time: float
    node: int = -1
    state: int = -1


class Integrator:
    """Base class of integrators.

    Implementers provide ``stochastic`` (bool), ``check(sample_interval)``
    (validate options against the sampling; return nothing or raise
    ParameterError), ``kernel(kernels)`` (the numba kernel), ``arguments(ctx,
    n_samples)`` (its arguments for the next ``n_samples`` samples) and
    ``advance(ctx, n_samples) -> ChunkResult``, which writes rows
    ``ctx.samples_done + 1 ..`` of ``ctx.out`` and updates ``ctx.X``.
    """

    stochastic = False

    def describe(self) -> dict:
        return {"name": type(self).__name__, **asdict(self)}

    def compile(self, ctx: RunContext) -> None:
        """Compile (or load from the disk cache) the kernel for these argument types."""
        kernel = self.kernel(ctx.kernels)
        kernel.compile(tuple(numba.typeof(a) for a in self.arguments(ctx, 0)))


def _positive(name, value):
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"`{name}` must be positive and finite, got {value}")
    return value


@dataclass(frozen=True)
class _FixedStep(Integrator):
    dt: float = 0.05

    def __post_init__(self):
        _positive("dt", self.dt)

    def steps_per_sample(self, sample_interval: float) -> int:
        ratio = sample_interval / self.dt
        steps = round(ratio)
        if steps < 1 or abs(ratio - steps) > 1e-9 * max(1.0, ratio):
            raise ParameterError(
                f"`sample_interval` ({sample_interval}) must be a whole multiple of `dt` ({self.dt})")
        return steps

    def check(self, sample_interval: float) -> None:
        self.steps_per_sample(sample_interval)

    def _common(self, ctx: RunContext, n_samples: int):
        steps = self.steps_per_sample(ctx.sample_interval)
        return (ctx.X, 0.0, self.dt, ctx.samples_done * steps, steps, n_samples, ctx.P,
                ctx.coupling, ctx.stimuli)

    def advance(self, ctx: RunContext, n_samples: int) -> ChunkResult:
        status, t, node, state = self.kernel(ctx.kernels)(*self.arguments(ctx, n_samples))
        return ChunkResult(int(status), float(t), int(node), int(state))


@dataclass(frozen=True)
class RK4(_FixedStep):
    """Classical 4th-order Runge-Kutta with fixed step ``dt`` (ms).

    Global error O(dt^4): halving dt divides it by ~16.
    """

    def kernel(self, kernels):
        return kernels.rk4_run

    def arguments(self, ctx, n_samples):
        return (*self._common(ctx, n_samples), ctx.record, ctx.out, ctx.samples_done + 1)


@dataclass(frozen=True)
class EulerMaruyama(_FixedStep):
    """Euler-Maruyama for additive noise, dX = F dt + sigma dW (strong order 1
    for additive noise, weak order 1)."""

    stochastic = True

    def kernel(self, kernels):
        return kernels.euler_maruyama_run

    def arguments(self, ctx, n_samples):
        return (*self._common(ctx, n_samples), ctx.sigma, ctx.record, ctx.out,
                ctx.samples_done + 1)


@dataclass(frozen=True)
class StochasticHeun(_FixedStep):
    """Stochastic Heun (predictor-corrector) for additive noise (strong order 1,
    weak order 2 for additive noise)."""

    stochastic = True

    def kernel(self, kernels):
        return kernels.heun_run

    def arguments(self, ctx, n_samples):
        return (*self._common(ctx, n_samples), ctx.sigma, ctx.record, ctx.out,
                ctx.samples_done + 1)


@dataclass(frozen=True)
class DormandPrince(Integrator):
    """Adaptive Dormand-Prince 5(4) (as MATLAB ode45 / scipy RK45) with
    4th-order dense output at the sample times.

    The local error estimate e satisfies RMS(e / (atol + rtol |x|)) <= 1 on
    every accepted step. ``max_step`` bounds the step (ms).
    """

    rtol: float = 1e-6
    atol: float = 1e-9
    max_step: float = math.inf
    first_step: float | None = None

    def __post_init__(self):
        _positive("rtol", self.rtol)
        _positive("atol", self.atol)
        if not self.max_step > 0:
            raise ParameterError(f"`max_step` must be positive, got {self.max_step}")
        if self.first_step is not None:
            _positive("first_step", self.first_step)

    def check(self, sample_interval: float) -> None:
        return None

    def kernel(self, kernels):
        return kernels.dopri5_run

    def arguments(self, ctx, n_samples):
        start = ctx.samples_done + 1
        times = ctx.sample_interval * np.arange(start, start + max(n_samples, 1), dtype=float)
        return (ctx.X, ctx.t, max(ctx.carry, 1e-300), times, ctx.P, ctx.coupling, ctx.stimuli,
                self.rtol, self.atol, self.max_step, ctx.record, ctx.out, start)

    def advance(self, ctx: RunContext, n_samples: int) -> ChunkResult:
        if ctx.carry == 0.0:
            ctx.carry = self.first_step or float(ctx.kernels.initial_step(
                ctx.X, ctx.t, ctx.P, ctx.coupling, ctx.stimuli, self.rtol, self.atol,
                self.max_step))
        status, t, h, n_acc, n_rej, node, state = self.kernel(ctx.kernels)(
            *self.arguments(ctx, n_samples))
        ctx.carry = float(h)
        ctx.steps_accepted += int(n_acc)
        ctx.steps_rejected += int(n_rej)
        return ChunkResult(int(status), float(t), int(node), int(state))

    def compile(self, ctx: RunContext) -> None:
        super().compile(ctx)
        ctx.kernels.initial_step.compile(tuple(numba.typeof(a) for a in (
            ctx.X, ctx.t, ctx.P, ctx.coupling, ctx.stimuli, self.rtol, self.atol, self.max_step)))
