"""Lyapunov exponents by the Benettin-QR method with the generated Jacobian.

The state and k tangent vectors are integrated together with RK4 (tangent
dynamics d V/dt = J(x) V, J the model's or the network's Jacobian); every few
steps V is re-orthonormalised by QR and the logarithms of the diagonal of R
accumulate: lambda_i = lim (1/t) sum log |R_ii| (Benettin, Galgani, Giorgilli &
Strelcyn, Meccanica 15, 1980).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .codegen import compile_model
from .errors import DivergenceError, ParameterError
from .integrate.runner import initial_states, node_parameters
from .network import kernel_parts


@dataclass
class LyapunovSpectrum:
    """exponents (per time unit) and their running estimates at the checkpoints
    (``history``: (n_checkpoints, k), at ``times``) to judge convergence;
    ``state``: where the trajectory ended ((n_nodes, n))."""

    exponents: np.ndarray
    times: np.ndarray
    history: np.ndarray
    state: np.ndarray | None = None

    @property
    def convergence(self) -> np.ndarray:
        """Change of each exponent over the last half of the run."""
        half = len(self.times) // 2
        return np.abs(self.history[-1] - self.history[half])


def _run(kernels, X, V, dt, steps, every, P, coupling, sums):
    """The compiled RK4 + QR kernel; tangent vectors that overflow between two
    orthonormalisations (numba's QR refuses non-finite input) are a divergence."""
    try:
        return kernels.lyapunov_run(X, V, dt, steps, every, P, coupling, sums)
    except np.linalg.LinAlgError:
        raise DivergenceError(
            f"the tangent vectors became non-finite between two orthonormalisations (every "
            f"{every} steps of {dt:g}): the exponents are too large to measure at this step; "
            f"lower dt or orthonormalise_every") from None


def lyapunov_spectrum(problem, parameters=None, n_exponents: int = 1, *, duration: float = 1000.0,
                      transient: float = 100.0, dt: float = 0.01, initial_state=None,
                      orthonormalise_every: int = 10, checkpoints: int = 20,
                      seed: int = 0) -> LyapunovSpectrum:
    """The first ``n_exponents`` Lyapunov exponents of a Model or Network.

    A ``transient`` is integrated first (exponents not accumulated), then
    ``duration`` in ``checkpoints`` pieces, recording the running estimates.
    """
    model, n_nodes, coupling = kernel_parts(problem)
    size = n_nodes * model.n_states
    if not 1 <= n_exponents <= size:
        raise ParameterError(f"`n_exponents` must be between 1 and {size}, got {n_exponents}")
    for name, value in (("duration", duration), ("dt", dt)):
        if not (math.isfinite(value) and value > 0):
            raise ParameterError(f"`{name}` must be positive and finite, got {value}")
    kernels = compile_model(model).kernels
    _, P = node_parameters(model, parameters, None, n_nodes)
    X = initial_states(model, initial_state, n_nodes)
    rng = np.random.default_rng(seed)
    V, _ = np.linalg.qr(rng.standard_normal((size, n_exponents)))
    V = np.ascontiguousarray(V.reshape(n_nodes, model.n_states, n_exponents))
    scratch = np.zeros(n_exponents)
    steps = int(round(transient / dt))
    if steps:
        status, _ = _run(kernels, X, V, dt, steps, orthonormalise_every, P, coupling, scratch)
        if status:
            raise DivergenceError("the state became non-finite during the transient")
    per_piece = max(orthonormalise_every,
                    int(round(duration / dt / checkpoints)) // orthonormalise_every
                    * orthonormalise_every)
    sums = np.zeros(n_exponents)
    times, history = [], []
    elapsed = 0.0
    for _ in range(checkpoints):
        status, _ = _run(kernels, X, V, dt, per_piece, orthonormalise_every, P, coupling, sums)
        if status:
            raise DivergenceError(f"the state became non-finite after t = {elapsed:g}")
        elapsed += per_piece * dt
        times.append(elapsed)
        history.append(sums / elapsed)
    history = np.array(history)
    return LyapunovSpectrum(history[-1].copy(), np.array(times), history, X.copy())
