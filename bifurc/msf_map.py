"""Transverse-instability maps: the MSF of the synchronous state over a plane of
two parameters, at a connectome's modes.

For every point of a grid (values of p1 x values of p2) of the homogeneous
system f(x) + eps H x (msf.py): the kind of its synchronous attractor
(equilibrium, cycle, quasiperiodic, chaotic, diverged), the largest growth
rate over the modes L_k, the number of unstable modes, and the growth of
chosen modes.

Each row (p2 fixed) is walked along p1 as a natural-parameter continuation:
the previous point's state is corrected by Newton at the next point (an
equilibrium, or a cycle by collocation, period free) and kept while it stays
stable (eigenvalues; multipliers with the trivial one trusted) and in the
model's domain; where an equilibrium has just lost its stability at a
supercritical Hopf point, the small cycle comes from the normal form
(``cycle_near_hopf``). Only where that fails is the homogeneous system simulated
(find_attractor, from the previous state; where the run does not settle, it
goes on twice more for twice as long: next to a bifurcation the transient
is slow), and only quasi-periodic or chaotic states are integrated with
their variational equations
(msf.transverse_exponents). A row's first point is found by simulation. In a
bistable region the map therefore follows the attractor the row arrived on,
as continuation does. Rows run in parallel (local processes, or an executor
such as Dask's client); each finished row is appended to
``transverse_map.jsonl``, so an interrupted map resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import BifurcError, ParameterError
from .files import atomic_write, write_json
from .model import model_from_spec_json

SCHEMA = "bifurc.transverse-map/1"
KINDS = ("equilibrium", "cycle", "quasiperiodic", "chaotic", "diverged")
ROWS_FILE = "transverse_map.jsonl"
META_FILE = "transverse_map.json"
ARRAYS_FILE = "transverse_map.npz"
#: a corrected cycle counts as stable when its non-trivial multipliers are
#: inside the unit circle and its trivial one is within this of 1
TRUSTED_TRIVIAL = 1e-6


@dataclass
class TransverseMap:
    """A transverse-instability map (plain data; schema ``bifurc.transverse-map/1``).

    grid : {p1: values (n1,), p2: values (n2,)}; arrays below are (n2, n1)
    L : (m,) complex, the modes; chosen : indices into L reported one by one
    kind : codes into KINDS (-1 where the row has not been computed)
    growth_max : the largest growth rate over the modes (per time unit)
    unstable_modes : how many modes have a growth rate above what the method
        resolves (``uncertainty``)
    chosen_growth : (n2, n1, len(chosen))
    uncertainty : what the growth rates are resolved to: round-off for
        equilibria, three times the trivial multiplier's error / T for cycles,
        three uncertainties of the variational integration (the largest over
        the modes) for quasi-periodic and chaotic states
    simulated : whether the point needed a simulation (False: continued by
        Newton from its neighbour)
    seconds : the time spent on each point (where a map's time goes)
    """

    model: str
    parameters: dict
    grid: dict
    L: np.ndarray
    chosen: tuple
    kind: np.ndarray
    growth_max: np.ndarray
    unstable_modes: np.ndarray
    chosen_growth: np.ndarray
    uncertainty: np.ndarray
    simulated: np.ndarray
    seconds: np.ndarray | None = None
    status: str = "completed"
    settings: dict = field(default_factory=dict)

    @property
    def names(self) -> tuple:
        return tuple(self.grid)

    def save(self, out) -> list[Path]:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        meta = {"schema": SCHEMA, "model": self.model, "parameters": self.parameters,
                "grid": {k: np.asarray(v).tolist() for k, v in self.grid.items()},
                "L": self.L.real.tolist(), "L_imag": self.L.imag.tolist(),
                "chosen": list(self.chosen), "kinds": list(KINDS), "status": self.status,
                "settings": self.settings}
        arrays = {"kind": self.kind, "growth_max": self.growth_max,
                  "unstable_modes": self.unstable_modes, "chosen_growth": self.chosen_growth,
                  "uncertainty": self.uncertainty, "simulated": self.simulated,
                  "seconds": self.seconds if self.seconds is not None
                  else np.full(self.kind.shape, math.nan)}
        atomic_write(out / ARRAYS_FILE, lambda stream: np.savez_compressed(stream, **arrays),
                     "wb")
        return [write_json(out / META_FILE, meta), out / ARRAYS_FILE]

    @classmethod
    def load(cls, folder) -> "TransverseMap":
        folder = Path(folder)
        meta = json.loads((folder / META_FILE).read_text())
        if meta.get("schema") != SCHEMA:
            raise BifurcError(f"{folder / META_FILE} is not a transverse map ({SCHEMA})")
        with np.load(folder / ARRAYS_FILE) as data:
            arrays = {k: data[k] for k in data.files}
        return cls(meta["model"], meta["parameters"],
                   {k: np.array(v) for k, v in meta["grid"].items()},
                   np.array(meta["L"]) + 1j * np.array(meta["L_imag"]), tuple(meta["chosen"]),
                   status=meta["status"], settings=meta["settings"], **arrays)




def _stable_equilibrium(homogeneous, compiled, p, guess):
    """The equilibrium Newton finds from ``guess``, if it is stable and in the domain."""
    from .continuation.equilibria import newton_equilibrium

    x, converged, _ = newton_equilibrium(compiled, p, guess)
    if not converged or homogeneous.domain_violations(x):
        return None
    if np.linalg.eigvals(compiled.jacobian(x, p)).real.max() >= 0:
        return None
    return x


def _trusted_stable(homogeneous, multipliers, profile) -> bool:
    """A cycle to keep: its trivial multiplier trusted, the others inside the
    unit circle, the orbit in the model's domain."""
    from .continuation.floquet import trivial_error, trivial_index

    return (trivial_error(multipliers) <= TRUSTED_TRIVIAL
            and np.abs(np.delete(multipliers, trivial_index(multipliers))).max() < 1.0
            and not homogeneous.domain_violations(profile))


def _cycle_past_hopf(homogeneous, compiled, p, parameters, guess):
    """The small stable cycle where the neighbour's equilibrium has just lost
    its stability through a complex pair (a supercritical Hopf point between
    the two grid points: ``cycle_near_hopf``), else None. There a simulation
    would still be spiralling away from the equilibrium (growth Re lambda ->
    0), and the point would be taken for quasi-periodic motion."""
    from .continuation.cycles import cycle_near_hopf
    from .continuation.equilibria import newton_equilibrium

    x, converged, _ = newton_equilibrium(compiled, p, guess)
    if not converged or homogeneous.domain_violations(x):
        return None
    try:
        cycle = cycle_near_hopf(homogeneous, parameters, x)
    except (ParameterError, np.linalg.LinAlgError, FloatingPointError):
        return None
    return cycle if _trusted_stable(homogeneous, cycle.multipliers, cycle.profile) else None


def _stable_cycle(corrector, node, homogeneous, orbit, parameters, L):
    """(cycle, growth rates of the modes L) corrected from the neighbour's
    ``orbit`` (by ``corrector``, a CycleCorrector of the row), if it is stable
    and in the domain, else None. The cycle's own leading multipliers come
    with the modes' (``cycle_growth_rates``); where its trivial multiplier is
    not trusted, the mesh is refined (``refine_to``) and the modes done again."""
    from dataclasses import replace

    from .continuation.floquet import trivial_error
    from .msf import cycle_growth_rates

    try:
        cycle = corrector(orbit, parameters, multipliers=None)
        growth, own = cycle_growth_rates(node, cycle, L, homogeneous=homogeneous,
                                         blocks=corrector.blocks, own_multipliers=True)
        if trivial_error(own) > TRUSTED_TRIVIAL:
            cycle = corrector(orbit, parameters, refine_to=TRUSTED_TRIVIAL,
                              multipliers="leading")
            growth, own = cycle_growth_rates(node, cycle, L, homogeneous=homogeneous,
                                             blocks=corrector.blocks, own_multipliers=True)
    except (ParameterError, np.linalg.LinAlgError, FloatingPointError):
        return None
    if not _trusted_stable(homogeneous, own, cycle.profile):
        return None
    return replace(cycle, multipliers=own), growth


def evaluate_row(task: dict) -> dict:
    """One row of the map (module doc): a pure function of its task, so it
    runs in any process."""
    from .codegen import compile_model, parameter_vector
    from .continuation.attractors import find_attractor
    from .continuation.cycles import CycleCorrector
    from .msf import (cycle_growth_rates, dispersion_relation, homogeneous_model, irregular_kind,
                      transverse_exponents)

    node = model_from_spec_json(task["node"])
    homogeneous = homogeneous_model(node)
    compiled = compile_model(homogeneous)
    L = np.array(task["L_re"]) + 1j * np.array(task["L_im"])
    chosen = list(task["chosen"])
    settings = task["settings"]
    name1, name2 = task["names"]
    result = {"row": task["row"], "kind": [], "growth_max": [], "unstable_modes": [],
              "chosen_growth": [], "uncertainty": [], "simulated": [], "seconds": []}
    previous = None  # (kind, state, orbit)
    corrector = CycleCorrector(homogeneous)
    for value in task["values1"]:
        parameters = homogeneous.parameters(**{**task["base"], name1: value,
                                               name2: task["value2"]})
        p = parameter_vector(homogeneous, parameters)
        started = time.perf_counter()
        kind, state, orbit, simulated, growth = None, None, None, False, None
        if previous is not None and previous[0] == "equilibrium":
            state = _stable_equilibrium(homogeneous, compiled, p, previous[1])
            kind = "equilibrium" if state is not None else None
            if kind is None:
                orbit = _cycle_past_hopf(homogeneous, compiled, p, parameters, previous[1])
                kind = "cycle" if orbit is not None else None
        elif previous is not None and previous[0] == "cycle" and previous[2] is not None:
            continued = _stable_cycle(corrector, node, homogeneous, previous[2], parameters, L)
            if continued is not None:
                kind, (orbit, growth) = "cycle", continued
        if kind is None:
            simulated = True
            guess = None if previous is None or previous[0] == "diverged" else previous[1]
            attractor = find_attractor(homogeneous, parameters, guess=guess,
                                       transient=settings["transient"], ntst=settings["ntst"],
                                       ncol=settings["ncol"])
            for _ in range(2):  # a slow transient (next to a bifurcation) is not yet
                if attractor.kind != "irregular":  # irregular motion: run on, twice as long
                    break
                attractor = find_attractor(homogeneous, parameters, guess=attractor.state,
                                           transient=2 * settings["transient"],
                                           ntst=settings["ntst"], ncol=settings["ncol"])
            kind, state, orbit = attractor.kind, attractor.state, attractor.orbit
        if kind == "equilibrium":
            growth, eigenvalues = dispersion_relation(node, parameters, state, L,
                                                      homogeneous=homogeneous)
            error = 1e-10 * max(1.0, float(np.abs(eigenvalues).max()))  # round-off
        elif kind == "cycle":
            if growth is None:  # (a continued cycle comes with its growth rates)
                growth = cycle_growth_rates(node, orbit, L, homogeneous=homogeneous)
            # exponents are trusted to about the trivial multiplier's error / T;
            # three of those, as three standard errors for irregular states (at
            # eps = 0 every mode has the trivial multiplier: growth = its error)
            error = 3 * max(orbit.trivial_error, 1e-12) / orbit.period
            state = orbit.profile[0]
        elif kind == "irregular":
            exponents = transverse_exponents(
                node, parameters, np.concatenate([L, [1.0]]), state=state,
                duration=settings["duration"], transient=settings["transient"],
                homogeneous=homogeneous)
            growth, errors = exponents.exponents[:-1], exponents.uncertainty[:-1]
            kind = irregular_kind(exponents.exponents[-1], exponents.uncertainty[-1],
                                  exponents.settings["duration"])
            error = 3 * errors
            state = exponents.state
        else:  # diverged
            growth, error = np.full(len(L), math.nan), math.nan
        result["kind"].append(KINDS.index(kind))
        result["growth_max"].append(float(np.max(growth)))
        # a mode counts as unstable when its growth exceeds what the method resolves
        result["unstable_modes"].append(int(np.sum(growth > error)))
        result["chosen_growth"].append([float(growth[k]) for k in chosen])
        result["uncertainty"].append(float(np.max(error)))
        result["simulated"].append(simulated)
        result["seconds"].append(time.perf_counter() - started)
        previous = (kind, state, orbit)
    return result


def transverse_map(node, grid: dict, L, *, parameters=None, chosen=(), out=None,
                   workers: int = 2, executor=None, ntst: int = 50, ncol: int = 4,
                   duration: float = 4000.0, transient: float = 1000.0,
                   progress: bool = False) -> TransverseMap:
    """The map of the module doc over ``grid`` = {p1: values, p2: values} (two
    parameters of the homogeneous system; ``eps`` may be one), at the modes
    ``L`` (e.g. ``Connectome.modes()[0]``), with the growth of the modes
    ``chosen`` (indices into L) kept one by one. ``parameters``: the other
    values (eps included when it is not on the grid). With ``out`` each
    finished row is appended to ``out/transverse_map.jsonl`` and a rerun with
    the same settings skips the rows it holds; the result is saved there too
    (``transverse_map.json`` + ``.npz``). ``workers`` local processes, or
    ``executor`` (a concurrent.futures executor, e.g. a Dask client)."""
    from .model_files import load_model
    from .msf import homogeneous_model
    from .sweep.executors import map_tasks

    node = load_model(node)
    homogeneous = homogeneous_model(node)
    if not isinstance(grid, dict) or len(grid) != 2:
        raise ParameterError("`grid` must map two parameter names to their values")
    (name1, values1), (name2, values2) = ((k, np.asarray(v, float)) for k, v in grid.items())
    for name, values in ((name1, values1), (name2, values2)):
        if name not in homogeneous.parameter_names:
            raise ParameterError(f"{name!r} is not a parameter of {homogeneous.name} "
                                 f"(parameters: {', '.join(homogeneous.parameter_names)})")
        if values.ndim != 1 or len(values) < 1 or not np.all(np.isfinite(values)):
            raise ParameterError(f"the values of {name} must be a non-empty list of numbers")
    base = dict(homogeneous.parameters(**dict(parameters or {})))
    for value1 in (values1[0], values1[-1]):  # every grid value within its bounds
        for value2 in (values2[0], values2[-1]):
            homogeneous.parameters(**{**base, name1: float(value1), name2: float(value2)})
    L = np.atleast_1d(np.asarray(L)).astype(complex)
    if len(L) == 0 or not np.all(np.isfinite(L)):
        raise ParameterError("`L` must be a non-empty list of finite modes")
    chosen = tuple(int(k) for k in chosen)
    if any(not 0 <= k < len(L) for k in chosen):
        raise ParameterError(f"`chosen` indices must lie in [0, {len(L)})")
    if not (int(workers) >= 1):
        raise ParameterError(f"`workers` must be >= 1, got {workers}")
    settings = {"ntst": int(ntst), "ncol": int(ncol), "duration": float(duration),
                "transient": float(transient)}
    shape = (len(values2), len(values1))
    task_base = {"node": json.dumps(node.to_spec(), sort_keys=True), "base": base,
                 "names": (name1, name2), "values1": values1.tolist(), "L_re": L.real.tolist(),
                 "L_im": L.imag.tolist(), "chosen": list(chosen), "settings": settings}
    fingerprint = json.dumps({**task_base, "values2": values2.tolist()}, sort_keys=True)
    rows = _resume(out, fingerprint) if out is not None else {}
    tasks = [{**task_base, "row": j, "value2": float(v)} for j, v in enumerate(values2)
             if j not in rows]

    stream = None
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        if not rows:
            (Path(out) / ROWS_FILE).write_text(json.dumps({"fingerprint": fingerprint}) + "\n")
        stream = open(Path(out) / ROWS_FILE, "a")
        if (Path(out) / ROWS_FILE).read_text()[-1:] != "\n":
            stream.write("\n")  # after a torn line (an interruption mid-write)

    def keep(row):
        rows[row["row"]] = row
        if stream is not None:
            stream.write(json.dumps(row) + "\n")
            stream.flush()

    try:
        status = map_tasks(evaluate_row, tasks, executor, int(workers), keep,
                           progress=progress, desc=f"transverse map {node.name}",
                           total=len(values2), initial=len(values2) - len(tasks))
    finally:
        if stream is not None:
            stream.close()
    arrays = {"kind": np.full(shape, -1), "growth_max": np.full(shape, math.nan),
              "unstable_modes": np.full(shape, -1),
              "chosen_growth": np.full(shape + (len(chosen),), math.nan),
              "uncertainty": np.full(shape, math.nan), "simulated": np.zeros(shape, bool),
              "seconds": np.full(shape, math.nan)}
    for j, row in rows.items():
        for key, array in arrays.items():
            if key in row:  # (rows saved before "seconds" existed lack it)
                array[j] = np.array(row[key]).reshape(array[j].shape)
    result = TransverseMap(node.name, base, {name1: values1, name2: values2}, L, chosen,
                           status=status, settings=settings, **arrays)
    if out is not None:
        result.save(out)
    return result


def _resume(out, fingerprint) -> dict:
    """Rows already in out/transverse_map.jsonl, when it was written with the
    same settings (else it is started afresh; a torn last line is dropped)."""
    path = Path(out) / ROWS_FILE
    if not path.exists():
        return {}
    lines = path.read_text().splitlines()
    try:
        header = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        header = {}
    if header.get("fingerprint") != fingerprint:
        raise BifurcError(f"{path} holds a map with other settings; use another --out folder "
                          f"(or delete it to start again)")
    rows = {}
    for line in lines[1:]:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a row cut by an interruption: computed again
        rows[row["row"]] = row
    return rows


__all__ = ["TransverseMap", "transverse_map", "evaluate_row", "KINDS", "SCHEMA"]
