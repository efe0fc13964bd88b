"""Time-dependent inputs of a simulation: stimuli (steps, pulses, pulse trains)
and additive noise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ..errors import ParameterError
from ..model import Model


@dataclass(frozen=True)
class Stimulus:
    """Add ``amplitude`` to a parameter on chosen nodes during a time window.

    Active while ``start <= t < stop``; with ``period`` set, only during the
    first ``width`` of every period (a pulse train). A step is
    ``Stimulus("eta_e", 2.0, start=100)``; a single pulse is
    ``Stimulus("eta_e", 5.0, start=100, stop=110)``; 40 Hz pulses of 2 ms are
    ``Stimulus("eta_e", 5.0, start=0, stop=500, period=25, width=2)``.

    Parameters
    ----------
    parameter : str
        Name of the model parameter that the input adds to (e.g. ``eta_e``).
    amplitude : float
        Added value, in the parameter's units.
    start, stop : float
        Window, in the model's time unit (ms).
    nodes : sequence of int, optional
        Node indices that receive the input (all nodes when omitted).
    period, width : float, optional
        Pulse-train period and pulse width (``0 < width <= period``).
    """

    parameter: str
    amplitude: float
    start: float = 0.0
    stop: float = math.inf
    nodes: Sequence[int] | None = None
    period: float | None = None
    width: float | None = None

    def check(self, model: Model, n_nodes: int) -> None:
        model.parameter_index(self.parameter)
        for name in ("amplitude", "start"):
            if not math.isfinite(getattr(self, name)):
                raise ParameterError(f"stimulus `{name}` must be finite, got {getattr(self, name)}")
        if not self.stop > self.start:
            raise ParameterError(
                f"stimulus `stop` must be after `start`, got start={self.start}, stop={self.stop}")
        if (self.period is None) != (self.width is None):
            raise ParameterError("a pulse train needs both `period` and `width`")
        if self.period is not None and not 0 < self.width <= self.period < math.inf:
            raise ParameterError(f"pulse train needs 0 < width <= period < inf, "
                                 f"got width={self.width}, period={self.period}")
        if self.nodes is not None:
            for node in self.nodes:
                if not 0 <= int(node) < n_nodes:
                    raise ParameterError(
                        f"stimulus node {node} does not exist (the network has {n_nodes} nodes)")


def check_stimulated_parameters(stimuli: Sequence[Stimulus], model: Model, P) -> None:
    """Refuse stimuli that push a parameter out of its declared range on some
    node (a time constant to 0, say): over every interval between the stimuli's
    switching times, the base value plus every amplitude active there (pulse
    trains counted as on) must stay within the bounds."""
    times = sorted({t for s in stimuli for t in (s.start, s.stop) if math.isfinite(t)})
    for left in times:
        active = [s for s in stimuli if s.start <= left < s.stop]
        for name in {s.parameter for s in active}:
            info = model.parameter_info[name]
            k = model.parameter_index(name)
            total = np.zeros(P.shape[0])
            for s in active:
                if s.parameter == name:
                    nodes = slice(None) if s.nodes is None else [int(i) for i in s.nodes]
                    total[nodes] += s.amplitude
            for node, value in enumerate(P[:, k] + total):
                if not info.contains(float(value)):
                    raise ParameterError(
                        f"the stimuli on `{name}` take it to {value:g} on node {node} from "
                        f"t = {left:g}, outside its range {info.interval_text}")


def pack_stimuli(stimuli: Sequence[Stimulus], model: Model, n_nodes: int, P=None):
    """The tuple of arrays the kernels read (see kernels/integrators.py
    apply_stimuli); with the node parameters ``P``, also checks that no
    stimulus takes a parameter out of its range."""
    count = len(stimuli)
    index = np.zeros(count, dtype=np.int64)
    mask = np.zeros((count, n_nodes), dtype=np.bool_)
    start, stop, period, width, amplitude = (np.zeros(count) for _ in range(5))
    for s, stim in enumerate(stimuli):
        if not isinstance(stim, Stimulus):
            raise ParameterError(f"stimuli must be Stimulus objects, got {stim!r}")
        stim.check(model, n_nodes)
        index[s] = model.parameter_index(stim.parameter)
        if stim.nodes is None:
            mask[s] = True
        else:
            mask[s, [int(k) for k in stim.nodes]] = True
        start[s], stop[s], amplitude[s] = stim.start, stim.stop, stim.amplitude
        period[s] = stim.period or 0.0
        width[s] = stim.width or 0.0
    if P is not None and count:
        check_stimulated_parameters(stimuli, model, np.asarray(P))
    return index, mask, start, stop, period, width, amplitude


@dataclass(frozen=True)
class Noise:
    """Additive white noise: dx_i = f_i dt + sigma_i dW_i (Wiener increments).

    ``sigma`` is one value for every state in ``states`` (default: the model's
    ``noise_states``, e.g. the membrane potentials), or a mapping state -> value.
    Units: state units per sqrt(time unit). Integrate with a stochastic
    integrator (EulerMaruyama or StochasticHeun).
    """

    sigma: float | Mapping[str, float]
    states: Sequence[str] | None = None

    def amplitudes(self, model: Model, n_nodes: int) -> np.ndarray:
        """sigma as an (n_nodes, n_states) array."""
        per_state = np.zeros(model.n_states)
        if isinstance(self.sigma, Mapping):
            items = dict(self.sigma).items()
        else:
            items = [(name, self.sigma) for name in (self.states or model.noise_states)]
        for name, value in items:
            value = float(value)
            if not math.isfinite(value) or value < 0:
                raise ParameterError(f"noise sigma must be finite and >= 0, got {value} for {name}")
            per_state[model.state_index(name)] = value
        return np.ascontiguousarray(np.broadcast_to(per_state, (n_nodes, model.n_states)))
