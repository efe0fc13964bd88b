"""Simulation results: time series as a plain data object.

File schema (NPZ, see docs/results.md): arrays ``time`` (n_t,) and ``states``
(n_t, n_nodes, n_recorded), and ``metadata``, a JSON string holding
``schema``, ``model``, ``state_names``, ``parameters``, ``status``,
``message`` and the run settings. Saving is atomic: a failed or interrupted
save never leaves a half-written file under the final name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import atomic_write

SCHEMA = "bifurc.trajectory/1"


@dataclass
class Trajectory:
    """Sampled solution of a simulation.

    Attributes
    ----------
    time : (n_t,) array, in the model's time unit (ms)
    states : (n_t, n_nodes, n_recorded) array
    state_names : names of the recorded states (last axis of ``states``)
    model : model name
    parameters : parameter values used (base values, before stimuli)
    status : "completed", "interrupted" or "diverged"
    message : what happened, when status is not "completed"
    metadata : run settings (integrator, dt, noise, stimuli, timings, ...)
    """

    time: np.ndarray
    states: np.ndarray
    state_names: tuple
    model: str
    parameters: dict
    status: str = "completed"
    message: str = ""
    metadata: dict = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return self.states.shape[1]

    def __getitem__(self, name: str) -> np.ndarray:
        """Time series of one state, shape (n_t, n_nodes)."""
        if name not in self.state_names:
            raise KeyError(f"state {name!r} was not recorded; recorded: {', '.join(self.state_names)}")
        return self.states[:, :, self.state_names.index(name)]

    def _metadata_json(self) -> str:
        return json.dumps({"schema": SCHEMA, "model": self.model, "state_names": list(self.state_names),
                           "parameters": self.parameters, "status": self.status,
                           "message": self.message, "metadata": self.metadata})

    def save(self, path) -> Path:
        """Write an NPZ file (atomically). Returns the path."""
        return atomic_write(path, lambda stream: np.savez_compressed(
            stream, time=self.time, states=self.states, metadata=np.array(self._metadata_json())),
            "wb")

    @classmethod
    def load(cls, path) -> "Trajectory":
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["metadata"]))
            if meta.get("schema") != SCHEMA:
                raise ValueError(f"{path} is not a bifurc trajectory (schema {meta.get('schema')!r})")
            return cls(time=data["time"], states=data["states"],
                       state_names=tuple(meta["state_names"]), model=meta["model"],
                       parameters=meta["parameters"], status=meta["status"],
                       message=meta["message"], metadata=meta["metadata"])

    def to_csv(self, path) -> Path:
        """Write a CSV table: ``time`` then one column per state and node
        (``r_e`` for one node, ``r_e[k]`` for networks)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.n_nodes == 1:
            header = ["time"] + list(self.state_names)
        else:
            header = ["time"] + [f"{s}[{k}]" for k in range(self.n_nodes) for s in self.state_names]
        table = np.column_stack([self.time, self.states.reshape(len(self.time), -1)])
        return atomic_write(path, lambda stream: np.savetxt(
            stream, table, delimiter=",", header=",".join(header), comments="", fmt="%.10g"))
