"""Continuation results: branches and their special points, saved losslessly.

Files (schema ``bifurc.branches/1``, docs/results.md): ``branches.json`` holds
the metadata of every branch and its special points; ``branches.npz`` holds
the arrays, under the keys ``<i>/<name>`` for branch i. Floats go through
JSON by their shortest round-trip repr, complex numbers as [re, im] pairs, so
a save/load cycle is exact.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..files import atomic_write, write_json

SCHEMA = "bifurc.branches/1"


@dataclass
class SpecialPoint:
    """A located bifurcation point.

    label : "LP1", "H2", "BP1", "CP1", ... (numbered per type along the branch)
    kind : "LP", "H", "BP", "CP", "BT", "GH", "ZH", "HH"
    index : position of the point in its branch's arrays
    parameters : every parameter value at the point
    state, eigenvalues : the equilibrium and its Jacobian's eigenvalues
    data : kind-specific values (l1, omega, frequency_hz, a, ...)
    model, branch_kind, free : where it was found
    """

    label: str
    kind: str
    index: int
    parameters: dict
    state: np.ndarray
    eigenvalues: np.ndarray
    data: dict
    model: str
    branch_kind: str
    free: tuple

    def to_json(self) -> dict:
        return {"label": self.label, "kind": self.kind, "index": self.index,
                "parameters": self.parameters, "state": self.state.tolist(),
                "eigenvalues": [[z.real, z.imag] for z in self.eigenvalues],
                "data": self.data, "model": self.model, "branch_kind": self.branch_kind,
                "free": list(self.free)}

    @classmethod
    def from_json(cls, d) -> "SpecialPoint":
        return cls(d["label"], d["kind"], d["index"], d["parameters"], np.array(d["state"], float),
                   np.array([complex(a, b) for a, b in d["eigenvalues"]]), d["data"], d["model"],
                   d["branch_kind"], tuple(d["free"]))

    def describe(self) -> str:
        values = ", ".join(f"{k} = {self.parameters[k]:.10g}" for k in self.free)
        extra = []
        if "l1" in self.data and self.data["l1"] is not None:
            kind = "supercritical" if self.data["l1"] < 0 else "subcritical"
            extra.append(f"l1 = {self.data['l1']:.6g} ({kind})")
        if "frequency_hz" in self.data:
            extra.append(f"{self.data['frequency_hz']:.4g} Hz")
        if "estimate" in self.data:  # HOM / SNIC: where the family's period diverges
            extra.append(f"estimated {self.free[0]} = {self.data['estimate']:.10g} "
                         f"(+- {self.data['uncertainty']:.1e}), "
                         f"{self.data.get('equilibrium_kind', '')}".rstrip(", "))
        return f"{self.label:<5} {values}" + (f"  {', '.join(extra)}" if extra else "")


@dataclass
class Branch:
    """A continued curve: equilibria (EP-C) or a codim-1 curve (LP-C, H-C).

    values : (n_points, n_free) free-parameter values, in the order of ``free``
    states : (n_points, n_states) equilibria along the curve
    eigenvalues : (n_points, n_states) complex, sorted by decreasing real part
    stable : (n_points,) bool, every eigenvalue with negative real part
    extra : further per-point arrays (e.g. "kappa" = omega^2 on H-C)
    ends : how each end of the curve stopped (status and message)
    warnings : what a reader must know before trusting the branch (points
        outside the model's domain, stretches with inaccurate multipliers, ...)
    in_domain : (n_points,) bool, the point (for cycles: the whole orbit) lies
        in the model's physical domain (all True when not given)
    """

    kind: str
    model: str
    free: tuple
    state_names: tuple
    parameters: dict
    values: np.ndarray
    states: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray
    special_points: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    ends: list = field(default_factory=list)
    options: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    in_domain: np.ndarray | None = None

    def __post_init__(self):
        if self.in_domain is None:
            self.in_domain = np.ones(len(self.values), dtype=bool)
        self.in_domain = np.asarray(self.in_domain, dtype=bool)

    def __len__(self):
        return len(self.values)

    @property
    def interrupted(self) -> bool:
        """Whether Ctrl-C stopped one of its ends (the points so far are kept)."""
        return any(end["status"] == "interrupted" for end in self.ends)

    def __getitem__(self, label: str) -> SpecialPoint:
        for point in self.special_points:
            if point.label == label:
                return point
        labels = ", ".join(p.label for p in self.special_points) or "none"
        raise KeyError(f"no special point {label!r} on this {self.kind} branch (labels: {labels})")

    def parameter(self, name: str) -> np.ndarray:
        """Values of a parameter along the branch (free or fixed)."""
        if name in self.free:
            return self.values[:, self.free.index(name)]
        return np.full(len(self), self.parameters[name])

    def state(self, name: str) -> np.ndarray:
        return self.states[:, self.state_names.index(name)]

    def summary(self) -> str:
        lines = [f"{self.kind} of {self.model} in {', '.join(self.free)}: {len(self)} points"]
        lines += ["  " + p.describe() for p in self.special_points]
        lines += [f"  end ({e['direction']}): {e['message']}" for e in self.ends]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _arrays(self) -> dict:
        arrays = {"values": self.values, "states": self.states, "eigenvalues": self.eigenvalues,
                  "stable": self.stable, "in_domain": self.in_domain}
        arrays.update({f"extra.{k}": v for k, v in self.extra.items()})
        return arrays

    def _metadata(self) -> dict:
        return {"kind": self.kind, "model": self.model, "free": list(self.free),
                "state_names": list(self.state_names), "parameters": self.parameters,
                "special_points": [p.to_json() for p in self.special_points], "ends": self.ends,
                "options": self.options, "extra": sorted(self.extra), "warnings": self.warnings}


def save_branches(branches, directory) -> tuple[Path, Path]:
    """Write ``directory/branches.json`` and ``directory/branches.npz`` atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(branches, Branch):
        branches = [branches]
    arrays = {}
    meta = {"schema": SCHEMA, "branches": []}
    for i, branch in enumerate(branches):
        meta["branches"].append(branch._metadata())
        arrays.update({f"{i}/{k}": v for k, v in branch._arrays().items()})
    npz_path, json_path = directory / "branches.npz", directory / "branches.json"
    # the two files are one result: both carry the same token, so that a pair
    # from two different writes (an interrupted save) is refused on loading
    token = uuid.uuid4().hex
    arrays["pair_token"] = np.array(token)
    meta["pair_token"] = token
    atomic_write(npz_path, lambda stream: np.savez_compressed(stream, **arrays), "wb")
    write_json(json_path, meta)
    return json_path, npz_path


def load_branches(directory) -> list[Branch]:
    """Read what :func:`save_branches` wrote."""
    directory = Path(directory)
    json_path = directory / "branches.json"
    if not json_path.exists():
        raise FileNotFoundError(f"{json_path} does not exist (run `bifurc diagram ... --out "
                                f"{directory}` first)")
    meta = json.loads(json_path.read_text())
    if meta.get("schema") != SCHEMA:
        raise ValueError(f"{json_path} is not a bifurc branches file (schema {meta.get('schema')!r})")
    branches = []
    with np.load(directory / "branches.npz", allow_pickle=False) as data:
        token = str(data["pair_token"]) if "pair_token" in data else None
        if meta.get("pair_token") != token:
            raise ValueError(f"{json_path} and branches.npz come from different saves (an "
                             f"interrupted write?): save the branches again")
        for i, b in enumerate(meta["branches"]):
            extra = {k: data[f"{i}/extra.{k}"] for k in b["extra"]}
            branches.append(Branch(
                kind=b["kind"], model=b["model"], free=tuple(b["free"]),
                state_names=tuple(b["state_names"]), parameters=b["parameters"],
                values=data[f"{i}/values"], states=data[f"{i}/states"],
                eigenvalues=data[f"{i}/eigenvalues"], stable=data[f"{i}/stable"],
                special_points=[SpecialPoint.from_json(p) for p in b["special_points"]],
                extra=extra, ends=b["ends"], options=b["options"],
                warnings=b.get("warnings", []),
                in_domain=data[f"{i}/in_domain"] if f"{i}/in_domain" in data else None))
    return branches
