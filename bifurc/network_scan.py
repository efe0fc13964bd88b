"""Lyapunov spectra of a whole network along a parameter line, next to the
master stability function's prediction.

At each value of the parameter the homogeneous system is run to its
synchronous attractor s(t); the network starts on it with a small random
perturbation of every node, and its largest Lyapunov exponents are measured
with the network's tangent kernel (lyapunov.py: J = blockdiag(Df) + eps W kron
H, Benettin QR). Independently, the MSF gives the exponents of the
synchronous state mode by mode (msf.transverse_exponents, L_k the
eigenvalues of W): while the synchronous state is transversally stable the
network stays on it and its largest exponent is the largest of them; where
some mode grows, the network leaves synchrony (its end spread says so) and
its spectrum is that of whatever it settles on. Values run in parallel
(local processes or an executor such as Dask's client).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from .errors import ParameterError
from .model import model_from_spec_json


@dataclass
class LyapunovScan:
    """The scan (plain data, ``to_json``).

    values : (n,) the parameter's values
    exponents : (n, k) the network's largest Lyapunov exponents
    convergence : (n, k) their change over the last half of each run
    predicted : (n,) the MSF's largest exponent over the modes (L = 1 included)
    predicted_uncertainty : (n,) its uncertainty (variational integration)
    desynchronised : (n,) bool: the network's nodes ended apart (relative spread
        ``spread`` above 1e-3): it left the synchronous state
    """

    model: str
    parameter: str
    values: np.ndarray
    exponents: np.ndarray
    convergence: np.ndarray
    predicted: np.ndarray
    predicted_uncertainty: np.ndarray
    spread: np.ndarray
    n_nodes: int
    eps: float
    settings: dict = field(default_factory=dict)
    status: str = "completed"  # "interrupted": the values not computed are NaN

    @property
    def desynchronised(self) -> np.ndarray:
        return self.spread > 1e-3

    def to_json(self) -> dict:
        return {"schema": "bifurc.lyapunov-scan/1", "model": self.model,
                "parameter": self.parameter, "values": self.values.tolist(),
                "exponents": self.exponents.tolist(), "convergence": self.convergence.tolist(),
                "predicted": self.predicted.tolist(),
                "predicted_uncertainty": self.predicted_uncertainty.tolist(),
                "spread": self.spread.tolist(), "desynchronised": self.desynchronised.tolist(),
                "n_nodes": self.n_nodes, "eps": self.eps, "settings": self.settings,
                "status": self.status}




def scan_point(task: dict) -> dict:
    """One value of the scan (module doc): a pure function of its task."""
    from .integrate import RK4, simulate
    from .lyapunov import lyapunov_spectrum
    from .msf import homogeneous_model, transverse_exponents
    from .network import Network

    node = model_from_spec_json(task["node"])
    homogeneous = homogeneous_model(node)
    settings = task["settings"]
    values = {**task["base"], task["parameter"]: task["value"]}
    p_hom = homogeneous.parameters(**values, eps=task["eps"])
    p_node = node.parameters(**values)
    W = np.array(task["weights"])
    n_nodes = W.shape[0]
    # the synchronous attractor, then the network on it, slightly perturbed
    run = simulate(homogeneous, p_hom, settings["transient"], RK4(settings["dt"]),
                   sample_interval=settings["dt"] * 10)
    s = run.states[-1, 0, :]
    rng = np.random.default_rng(settings["seed"])
    start = s + 1e-6 * (1.0 + np.abs(s)) * rng.standard_normal((n_nodes, len(s)))
    network = Network(node, W, eps=task["eps"], normalise=False)
    spectrum = lyapunov_spectrum(network, p_node, settings["n_exponents"],
                                 duration=settings["duration"], transient=settings["transient"],
                                 dt=settings["dt"], initial_state=start, seed=settings["seed"])
    # where the network ended: the nodes' spread relative to the synchronous range
    scale = np.ptp(run.states[:, 0, :], axis=0) + 1e-9 * (1.0 + np.abs(s))
    spread = float(np.max(np.ptp(spectrum.state, axis=0) / scale))
    modes = np.array(task["L_re"]) + 1j * np.array(task["L_im"])
    msf = transverse_exponents(node, p_hom, modes, state=s, duration=settings["duration"],
                               transient=settings["transient"], dt=settings["dt"],
                               homogeneous=homogeneous)
    k = int(np.argmax(msf.exponents))
    return {"index": task["index"], "exponents": spectrum.exponents.tolist(),
            "convergence": spectrum.convergence.tolist(),
            "predicted": float(msf.exponents[k]), "uncertainty": float(msf.uncertainty[k]),
            "spread": spread}


def lyapunov_scan(node, connectome, eps: float, parameter: str, values, *, parameters=None,
                  n_exponents: int = 3, duration: float = 2000.0, transient: float = 500.0,
                  dt: float = 0.01, seed: int = 0, workers: int = 2, executor=None,
                  progress: bool = False) -> LyapunovScan:
    """The scan of the module doc: ``node`` coupled by ``connectome`` (a
    Connectome, a name or path, or a matrix C; W = D^-1 C) with strength
    ``eps``, ``parameter`` over ``values`` (the others at ``parameters``)."""
    from .connectome import Connectome, load_connectome
    from .model_files import load_model
    from .network import row_normalise
    from .sweep.executors import map_tasks

    node = load_model(node)
    if isinstance(connectome, str) or hasattr(connectome, "__fspath__"):
        connectome = load_connectome(connectome, remove_isolated=True)
    weights = connectome.weights if isinstance(connectome, Connectome) else connectome
    W = row_normalise(np.asarray(weights, float))
    W = W.toarray() if hasattr(W, "toarray") else np.asarray(W)
    modes = np.linalg.eigvals(W)
    values = np.atleast_1d(np.asarray(values, float))
    if parameter not in node.parameter_names:
        raise ParameterError(f"{parameter!r} is not a parameter of {node.name}")
    if len(values) == 0 or not np.all(np.isfinite(values)):
        raise ParameterError("`values` must be a non-empty list of numbers")
    if not math.isfinite(eps):
        raise ParameterError(f"`eps` must be finite, got {eps}")
    base = dict(node.parameters(**dict(parameters or {})))
    for value in (values.min(), values.max()):
        node.parameters(**{**base, parameter: float(value)})  # within the bounds
    size = W.shape[0] * node.n_states
    if not 1 <= int(n_exponents) <= size:
        raise ParameterError(f"`n_exponents` must be between 1 and {size}")
    for name, value in (("duration", duration), ("transient", transient), ("dt", dt)):
        if not (math.isfinite(value) and value > 0):
            raise ParameterError(f"`{name}` must be positive, got {value}")
    settings = {"n_exponents": int(n_exponents), "duration": float(duration),
                "transient": float(transient), "dt": float(dt), "seed": int(seed)}
    common = {"node": json.dumps(node.to_spec(), sort_keys=True), "base": base,
              "parameter": parameter, "eps": float(eps), "weights": W.tolist(),
              "L_re": modes.real.tolist(), "L_im": modes.imag.tolist(), "settings": settings}
    tasks = [{**common, "index": i, "value": float(v)} for i, v in enumerate(values)]
    rows = {}
    status = map_tasks(scan_point, tasks, executor, int(workers),
                       lambda row: rows.__setitem__(row["index"], row), progress=progress,
                       desc=f"Lyapunov scan {node.name}", total=len(tasks))
    # after Ctrl-C the values not computed are NaN (status "interrupted")
    missing = {"exponents": [math.nan] * int(n_exponents),
               "convergence": [math.nan] * int(n_exponents), "predicted": math.nan,
               "uncertainty": math.nan, "spread": math.nan}
    ordered = [rows.get(i, missing) for i in range(len(values))]
    return LyapunovScan(node.name, parameter, values,
                        np.array([r["exponents"] for r in ordered]),
                        np.array([r["convergence"] for r in ordered]),
                        np.array([r["predicted"] for r in ordered]),
                        np.array([r["uncertainty"] for r in ordered]),
                        np.array([r["spread"] for r in ordered]), W.shape[0], float(eps),
                        settings, status)


__all__ = ["LyapunovScan", "lyapunov_scan", "scan_point"]
