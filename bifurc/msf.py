"""The homogeneous manifold of a network and the master stability function.

With W row-stochastic, a synchronous solution x(t) of the network
F_k = f(x_k) + eps sum_j W[k, j] H x_j obeys the *homogeneous system*

    dx/dt = f(x, p) + eps H(p) x,

and a perturbation along eigenvector k of W (eigenvalue L_k) obeys

    d xi/dt = [Df(x(t)) + eps L_k H] xi                 (Pecora & Carroll 1998).

For an equilibrium the growth rate is max Re eig(Df(x*) + eps L H) (the
dispersion relation); for a limit cycle it is the largest Floquet exponent of
that variational equation, computed on the cycle's own collocation mesh with
the same accurate multipliers as the cycle continuation. The trivial exponent
(the phase direction) belongs to L = 1 only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .codegen import compile_model, parameter_vector
from .continuation.transverse import ModeShift, mode_eigenvalues, mode_multipliers, shifted_blocks
from .errors import DivergenceError, ParameterError
from .integrate.runner import initial_states
from .model import Model
from .model_files import load_model


def homogeneous_model(model) -> Model:
    """The model dx/dt = f(x, p) + eps H(p) x, with the coupling strength ``eps``
    as an extra parameter (default 0), so that every continuation tool applies."""
    model = load_model(model)
    if not model.coupling:
        raise ParameterError(f"model {model.name!r} declares no coupling (H)")
    if "eps" in model.parameter_names:
        raise ParameterError(f"model {model.name!r} already has a parameter named `eps`")
    added = {name: [] for name in model.state_names}
    for term in model.coupling:
        added[term.target].append(f"({term.gain}) * {term.source}")
    equations = {name: (f"({text}) + eps * ({' + '.join(added[name])})" if added[name] else text)
                 for name, text in model.equation_texts.items()}
    spec = model.to_spec()
    spec["name"] = f"{model.name}_homogeneous"
    spec["description"] = f"homogeneous (synchronous) system of {model.name}: f(x) + eps H x"
    spec["parameters"]["eps"] = {"default": 0.0, "bounds": [-math.inf, math.inf], "unit": "",
                                 "description": "global coupling strength"}
    spec["equations"] = equations
    # `eps` is reserved in user models (it names the network's coupling); here it is that
    return Model.from_spec(spec, f"homogeneous system of {model.name}", reserved_ok=("eps",))


def _node_and_coupling(homogeneous: Model, node: Model, parameters):
    p_hom = parameter_vector(homogeneous, parameters)
    values = dict(zip(homogeneous.parameter_names, p_hom.tolist()))
    eps = values.pop("eps")
    p_node = parameter_vector(node, values)
    H = compile_model(node).coupling_matrix(p_node)
    return p_node, eps, H


def dispersion_relation(node, parameters, state, L_values, *, homogeneous=None):
    """Growth rates max Re eig(Df(x*) + eps L H) for each L, at the homogeneous
    equilibrium ``state`` (an equilibrium of ``homogeneous_model(node)`` at
    ``parameters``, which include ``eps``). Returns (growth, eigenvalues) with
    eigenvalues of shape (len(L), n), each row sorted by decreasing real part."""
    node = load_model(node)
    homogeneous = homogeneous or homogeneous_model(node)
    p_node, eps, H = _node_and_coupling(homogeneous, node, parameters)
    x = np.asarray(state, dtype=float)
    residual = compile_model(homogeneous).vector_field(x, parameter_vector(homogeneous, parameters))
    if np.linalg.norm(residual) > 1e-8 * (1 + np.linalg.norm(x)):
        raise ParameterError(f"the state is not an equilibrium of the homogeneous system "
                             f"(|f + eps H x| = {np.linalg.norm(residual):.2e})")
    A = compile_model(node).jacobian(x, p_node)
    L_values = np.atleast_1d(np.asarray(L_values))  # complex for directed connectomes
    if np.iscomplexobj(L_values) and not np.any(L_values.imag):
        L_values = L_values.real  # real modes: a real (faster) eigenproblem
    eigenvalues = np.linalg.eigvals(A[None] + (eps * L_values)[:, None, None] * H[None])
    eigenvalues = np.take_along_axis(
        eigenvalues, np.lexsort((-eigenvalues.imag, -eigenvalues.real), axis=-1), axis=-1)
    return eigenvalues.real.max(axis=1), eigenvalues


def _cycle_variation(node, orbit, homogeneous, with_blocks: bool = True):
    """(blocks, shift) of the collocated variational equation along ``orbit``:
    mode L has the blocks ``blocks + (L - 1) shift`` (the homogeneous
    Jacobian A + eps H shifted by eps (L - 1) H), on the orbit's own mesh
    (blocks None unless ``with_blocks``)."""
    from .continuation.cycles import CycleProblem

    p_node, eps, H = _node_and_coupling(homogeneous, node, orbit.parameters)
    disc = orbit.discretisation()
    blocks = None
    if with_blocks:
        p_hom = parameter_vector(homogeneous, orbit.parameters)
        x = orbit.profile[:-1].ravel()
        problem = CycleProblem(compile_model(homogeneous), p_hom, 0, disc, x, adapt_mesh=False)
        _, blocks, _, _ = problem._system(np.concatenate([x, [orbit.period, p_hom[0]]]))
    return blocks, shifted_blocks(disc, orbit.period, eps * H)


def _distinct_modes(L_values):
    """(L, representatives): each L, and for each the index of the first mode
    with the same growth (itself, or its complex conjugate: a real system)."""
    L_values = np.atleast_1d(np.asarray(L_values))
    first, representatives = {}, []
    for i, L in enumerate(L_values):
        key = complex(L)
        earlier = first.get(key.conjugate()) if key.imag != 0 else None
        representatives.append(first.setdefault(key, i) if earlier is None else earlier)
    return L_values, np.array(representatives, dtype=int)


def cycle_msf(node, orbit, L_values, *, homogeneous=None):
    """Floquet multipliers and the largest Floquet exponent (per time unit) of
    d xi/dt = [Df(x(t)) + eps L H] xi along a cycle of the homogeneous system.

    ``orbit`` is a PeriodicOrbit of ``homogeneous_model(node)`` (find_cycle, or
    a point of an LC-C branch via ``orbit_at``). The variational equation is
    discretised on the orbit's own collocation mesh (no re-simulation) and its
    multipliers come from the same condensation and lifted eigenproblem as
    the cycle's. Returns (exponents, multipliers): exponents[i] =
    log|mu| / T of the largest multiplier for L_i, excluding the trivial one
    when L_i = 1. ``cycle_growth_rates`` gives the exponents alone, faster.
    """
    from .continuation.floquet import floquet_multipliers, trivial_index

    node = load_model(node)
    homogeneous = homogeneous or homogeneous_model(node)
    blocks, shift = _cycle_variation(node, orbit, homogeneous)
    L_values, representatives = _distinct_modes(L_values)
    n = node.n_states
    exponents = np.empty(len(L_values))
    multipliers = np.empty((len(L_values), n), dtype=complex)
    for i, L in enumerate(L_values):
        j = representatives[i]
        if j != i:  # the conjugate of an earlier mode
            multipliers[i], exponents[i] = np.conj(multipliers[j]), exponents[j]
            continue
        if np.iscomplexobj(L) and L.imag != 0:  # a directed connectome's complex mode
            mu = floquet_multipliers(blocks + (L - 1.0) * shift)
        else:
            mu = floquet_multipliers(blocks + (L.real - 1.0) * shift)
        multipliers[i] = mu
        candidates = np.delete(mu, trivial_index(mu)) if abs(L - 1.0) < 1e-12 else mu
        exponents[i] = math.log(np.abs(candidates).max()) / orbit.period
    return exponents, multipliers


def cycle_growth_rates(node, orbit, L_values, *, homogeneous=None, blocks=None,
                       own_multipliers: bool = False):
    """The exponents of ``cycle_msf`` (the largest Floquet exponent per L, the
    trivial multiplier left out at L = 1) without the other multipliers: the
    transfer matrices of all modes in one kernel call, their leading
    multipliers by the batched periodic Schur sweep
    (``floquet.leading_multipliers``). ``blocks``: the orbit's collocation
    blocks where the caller has them (``CycleCorrector.blocks``). With
    ``own_multipliers`` returns (exponents, the cycle's own two multipliers
    of largest modulus), computed in the same pass; an orbit without
    multipliers (None) then needs no other computation of them."""
    from .continuation.floquet import (leading_multipliers, nontrivial,
                                       shifted_transfer_matrices)

    node = load_model(node)
    homogeneous = homogeneous or homogeneous_model(node)
    own_blocks, shift = _cycle_variation(node, orbit, homogeneous, blocks is None)
    blocks = own_blocks if blocks is None else blocks
    L_values, representatives = _distinct_modes(L_values)
    exponents = np.empty(len(L_values))
    homogeneous_mode = np.abs(L_values - 1.0) < 1e-12
    compute = (representatives == np.arange(len(L_values))) & ~homogeneous_mode
    factors = np.concatenate([[0.0], L_values[compute] - 1.0])  # 0: the cycle itself
    if not np.any(np.asarray(factors).imag != 0):
        factors = np.asarray(factors).real
    G = shifted_transfer_matrices(blocks, shift, factors)
    log_modulus, phase = leading_multipliers(G, 2, pairs=np.arange(len(G)) == 0)
    own = phase[0] * np.exp(np.minimum(log_modulus[0], 709.0))
    exponents[compute] = log_modulus[1:, 0] / orbit.period
    if homogeneous_mode.any():  # the cycle's own multipliers, the trivial one left out
        others = np.abs(nontrivial(orbit.multipliers if orbit.multipliers is not None else own))
        exponents[homogeneous_mode] = math.log(max(others.max(), np.finfo(float).tiny)) \
            / orbit.period
    exponents = exponents[representatives]
    return (exponents, own) if own_multipliers else exponents


def orbit_at(branch, index: int):
    """The PeriodicOrbit at point ``index`` of an LC-C branch (its stored profile)."""
    from .continuation.cycles import PeriodicOrbit

    if branch.kind != "LC-C":
        raise ParameterError(f"orbit_at needs a cycle branch (LC-C), got {branch.kind}")
    parameters = dict(branch.parameters)
    parameters[branch.free[0]] = float(branch.values[index, 0])
    mesh = branch.extra["mesh"][index]
    profile = branch.extra["profile"][index]
    ncol = (profile.shape[0] - 1) // (len(mesh) - 1)
    return PeriodicOrbit(branch.model, parameters, mesh, ncol, profile,
                         float(branch.extra["period"][index]), branch.eigenvalues[index])


def msf_along_branch(node, branch, L_values, *, homogeneous=None, progress: bool = False,
                     rows=None):
    """The MSF map: growth rate (per time unit) for every point of a branch of the
    homogeneous system (EP-C: max Re eig; LC-C: largest non-trivial Floquet
    exponent) and every L. Returns an array of shape (len(branch), len(L)), or
    (len(rows), len(L)) for the points ``rows`` only."""
    from tqdm.auto import tqdm

    node = load_model(node)
    homogeneous = homogeneous or homogeneous_model(node)
    if branch.model != homogeneous.name:
        raise ParameterError(f"the branch belongs to {branch.model!r}, not to the homogeneous "
                             f"system {homogeneous.name!r}")
    L_values = np.atleast_1d(np.asarray(L_values))  # complex for directed connectomes
    rows = range(len(branch)) if rows is None else [int(i) for i in rows]
    growth = np.empty((len(rows), len(L_values)))
    for row, i in enumerate(tqdm(rows, disable=not progress, desc="MSF", leave=False)):
        if branch.kind == "EP-C":
            parameters = dict(branch.parameters)
            parameters[branch.free[0]] = float(branch.values[i, 0])
            growth[row] = dispersion_relation(node, parameters, branch.states[i], L_values,
                                              homogeneous=homogeneous)[0]
        elif branch.kind == "LC-C":
            if np.ptp(branch.extra["profile"][i], axis=0).max() == 0:
                growth[row] = np.nan  # the Hopf point the family starts from
                continue
            growth[row] = cycle_msf(node, orbit_at(branch, i), L_values,
                                  homogeneous=homogeneous)[0]
        else:
            raise ParameterError(f"MSF maps need an EP-C or LC-C branch, got {branch.kind}")
    return growth


class _ModeTest:
    """A continuation problem with the growth of one mode as its only test function."""

    def __init__(self, problem, growth):
        self._problem, self._growth = problem, growth

    def __getattr__(self, name):
        return getattr(self._problem, name)

    def test_functions(self, u, tangent):
        return {"TI": self._growth(u)}


def _segment(compiled, branch, i, base, free_index):
    """(problem, u_i, u_{i+1}): the homogeneous branch's continuation problem on
    point i's discretisation and points i, i+1 as its unknown vectors."""
    from .continuation.collocation import Discretisation
    from .continuation.cycles import CycleProblem
    from .continuation.equilibria import EquilibriumProblem

    if branch.kind == "EP-C":
        ends = [np.concatenate([branch.states[j], branch.values[j]]) for j in (i, i + 1)]
        return EquilibriumProblem(compiled, base, free_index), *ends
    n = compiled.model.n_states
    meshes, profiles = branch.extra["mesh"], branch.extra["profile"]
    ncol = (profiles.shape[1] - 1) // (meshes.shape[1] - 1)
    discs = [Discretisation(n, meshes.shape[1] - 1, ncol, meshes[j]) for j in (i, i + 1)]
    x_i = profiles[i][:-1].ravel()
    x_next = discs[1].remesh(profiles[i + 1][:-1].ravel(), meshes[i])[1]
    problem = CycleProblem(compiled, base, free_index, discs[0], x_i, adapt_mesh=False)
    return problem, *(np.concatenate([x, [branch.extra["period"][j], branch.values[j, 0]]])
                      for x, j in ((x_i, i), (x_next, i + 1)))


def _mode_growth(problem, shift, kind):
    if kind == "EP-C":
        return lambda u: float(mode_eigenvalues(problem, u, shift)[0].real)
    return lambda u: float(np.log(np.abs(mode_multipliers(problem, u, shift)).max()))


def _transverse_point(problem, u, shift, kind, mode, direction, model):
    """(row of branch arrays, TI data) at a located point u."""
    from .continuation.floquet import trivial_index
    from .continuation.equilibria import frequency_data
    from .continuation.transverse import crossing_angle_kind

    data = {"mode": int(mode), "L": [shift.L.real, shift.L.imag], "direction": direction}
    if kind == "EP-C":
        critical = mode_eigenvalues(problem, u, shift)[0]
        eigenvalues = problem.eigenvalues(u)
        real = shift.is_real and abs(critical.imag) <= 1e-7 * (1.0 + abs(critical))
        data.update(crossing="stationary" if real else "oscillatory",
                    eigenvalue=[critical.real, critical.imag],
                    **frequency_data(model, abs(critical.imag)))
        row = {"values": u[-1:], "states": u[:-1], "eigenvalues": eigenvalues,
               "stable": bool(np.all(eigenvalues.real < 0)),
               "in_domain": problem.model.in_domain(u[:-1])}
        return row, data
    mu = mode_multipliers(problem, u, shift)
    critical = mu[np.argmax(np.abs(mu))]
    point = problem.point_data(u)
    disc = problem.disc
    data.update(crossing=crossing_angle_kind(critical), multiplier=[critical.real, critical.imag],
                # a real mode's multipliers come in conjugate pairs; a complex mode's do not
                angle=float(abs(np.angle(critical)) if shift.is_real else np.angle(critical)),
                period=float(u[-2]),
                **frequency_data(model, 2 * math.pi / u[-2]),
                ncol=disc.ncol, mesh=disc.mesh.tolist(), profile=point["profile"].tolist())
    others = np.delete(point["eigenvalues"], trivial_index(point["eigenvalues"]))
    row = {"values": u[-1:], "states": point["mean"], "eigenvalues": point["eigenvalues"],
           "stable": bool(np.all(np.abs(others) < 1.0)),
           "in_domain": problem.model.in_domain(point["profile"]),
           "extra": {**{key: point[key] for key in ("period", "trivial_error", "max", "min",
                                                     "mesh", "profile")},
                     "frequency_hz": data.get("frequency_hz", math.nan)}}
    return row, data


def _with_points(branch, located):
    """A copy of ``branch`` with the located rows inserted after their segment's
    first point and labelled TI1, TI2, ... along the branch."""
    from dataclasses import replace

    from .continuation.branch import SpecialPoint

    located = sorted(located, key=lambda item: (item[0], item[1]))
    order, new_index, inserted = [], {}, []
    cursor = 0
    for i in range(len(branch)):
        new_index[i] = len(order)
        order.append(("old", i))
        while cursor < len(located) and located[cursor][0] == i:
            inserted.append((len(order), located[cursor]))
            order.append(("new", cursor))
            cursor += 1

    def column(field, key=None):
        rows = []
        for source, j in order:
            if source == "old":
                rows.append(getattr(branch, field)[j] if key is None else branch.extra[key][j])
            else:
                row = located[j][2]
                rows.append(row[field] if key is None else row["extra"][key])
        return np.array(rows)

    points = [replace(p, index=new_index[p.index]) for p in branch.special_points]
    for count, (index, (_, _, row, data)) in enumerate(inserted, start=1):
        parameters = dict(branch.parameters)
        parameters[branch.free[0]] = float(row["values"][0])
        points.append(SpecialPoint(f"TI{count}", "TI", index, parameters,
                                   np.asarray(row["states"], float),
                                   np.asarray(row["eigenvalues"]), data, branch.model,
                                   branch.kind, branch.free))
    points.sort(key=lambda p: p.index)
    return replace(branch, values=column("values"), states=column("states"),
                   eigenvalues=column("eigenvalues"), stable=column("stable").astype(bool),
                   in_domain=column("in_domain").astype(bool),
                   extra={key: column("extra", key) for key in branch.extra},
                   special_points=points)


def locate_transverse_points(node, branch, L_values, *, homogeneous=None, growth=None,
                             options=None, progress: bool = False):
    """Transverse-instability points: where the growth rate of a mode L crosses
    zero along an EP-C or LC-C branch of the homogeneous system.

    Each sign change of the MSF (``growth``, from ``msf_along_branch`` if not
    given) between two stored points is located by root finding on the curve
    (the continuation's corrector, as for LP, H, PD, ...). Returns a copy of
    ``branch`` with the points inserted as special points TI1, TI2, ... whose
    data hold ``mode`` (index into ``L_values``), ``L``, ``direction``
    ("destabilising" when the mode starts to grow along the branch) and
    ``crossing``: "stationary" or "oscillatory" (equilibria, with the critical
    ``eigenvalue`` and frequency), "fold", "flip" or "torus" (cycles: multiplier
    +1, -1 or complex, with ``multiplier`` and ``angle``). The homogeneous mode
    L = 1 is skipped (its instabilities are the branch's own LP, H, LPC, PD, NS).
    ``bifurc.continue_curve`` continues a TI point in two parameters (TI-C).
    """
    from tqdm.auto import tqdm

    from .continuation.core import ContinuationOptions, NewtonFailure, locate_zero, norm

    node = load_model(node)
    homogeneous = homogeneous or homogeneous_model(node)
    L_values = np.atleast_1d(np.asarray(L_values))
    if growth is None:
        growth = msf_along_branch(node, branch, L_values, homogeneous=homogeneous,
                                  progress=progress)
    growth = np.asarray(growth, float)
    if growth.shape != (len(branch), len(L_values)):
        raise ParameterError(f"`growth` must have shape {(len(branch), len(L_values))} "
                             f"(points, modes), got {growth.shape}")
    compiled = compile_model(homogeneous)
    base = parameter_vector(homogeneous, branch.parameters)
    free_index = homogeneous.parameter_index(branch.free[0])
    options = options or ContinuationOptions()
    crossings = [(i, k) for k in range(len(L_values)) if abs(L_values[k] - 1.0) > 1e-12
                 for i in range(len(branch) - 1)
                 if np.isfinite(growth[i:i + 2, k]).all() and growth[i, k] * growth[i + 1, k] < 0]
    located = []
    for i, k in tqdm(crossings, disable=not progress, desc="TI points", leave=False):
        problem, u_first, u_next = _segment(compiled, branch, i, base, free_index)
        shift = ModeShift(homogeneous, L_values[k])
        chord = u_next - u_first
        step = norm(problem, chord)
        test = _ModeTest(problem, _mode_growth(problem, shift, branch.kind))
        try:
            u, _, s = locate_zero(test, u_first, chord / step, step, "TI", options)
        except (ValueError, NewtonFailure):  # the sign change did not survive the remeshing
            u, s = (u_first, 0.0) if abs(growth[i, k]) < abs(growth[i + 1, k]) else (u_next, step)
        direction = "destabilising" if growth[i + 1, k] > growth[i, k] else "restabilising"
        row, data = _transverse_point(problem, u, shift, branch.kind, k, direction, homogeneous)
        located.append((i, s, row, data))
    return _with_points(branch, located)


def growth_with_transverse_rows(node, growth, located, L_values, *, homogeneous=None):
    """The MSF map of a branch returned by ``locate_transverse_points`` from the
    map ``growth`` of the branch before: its rows, plus the inserted TI rows
    (computed; they are zeros of their own mode)."""
    rows = sorted(p.index for p in located.special_points if p.kind == "TI")
    expanded = np.empty((len(located), np.shape(growth)[1]))
    expanded[np.setdiff1d(np.arange(len(located)), rows)] = growth
    if rows:
        expanded[rows] = msf_along_branch(node, located, L_values, homogeneous=homogeneous,
                                          rows=rows)
    return expanded


@dataclass
class TransverseExponents:
    """Largest Lyapunov exponent of d xi/dt = [Df(x(t)) + eps L H] xi along a
    synchronous trajectory x(t), for each L (variational integration).

    L : (m,) complex, the modes
    exponents : (m,) per time unit, the mean over the blocks of the run
    uncertainty : (m,) the standard error of that mean (block spread / sqrt(blocks))
        combined with half the drift between the two halves of the run
    blocks : (n_blocks, m) the exponent measured over each block
    state : where the trajectory ended (to continue the run)
    settings : duration, transient, dt, rescale_every, n_blocks, seed
    """

    L: np.ndarray
    exponents: np.ndarray
    uncertainty: np.ndarray
    blocks: np.ndarray
    state: np.ndarray
    settings: dict

    def to_json(self) -> dict:
        return {"L": self.L.real.tolist(), "L_imag": self.L.imag.tolist(),
                "exponents": self.exponents.tolist(), "uncertainty": self.uncertainty.tolist(),
                "blocks": self.blocks.tolist(), "state": self.state.tolist(),
                "settings": dict(self.settings)}


def transverse_exponents(node, parameters, L_values, *, state=None, duration: float = 4000.0,
                         transient: float = 1000.0, dt: float = 0.01, rescale_every: int = 10,
                         n_blocks: int = 10, homogeneous=None, diffusive: bool = False,
                         seed: int = 0) -> TransverseExponents:
    """The master stability function of whatever the homogeneous system does
    from ``state`` (an equilibrium, a cycle, quasi-periodic or chaotic motion):
    for each L the largest exponent of d xi/dt = [Df(x(t)) + eps L H] xi,
    integrated with x(t) by RK4 (kernels/variational.py: the Jacobian once per
    stage for all modes; complex L as two real vectors), rescaled every
    ``rescale_every`` steps (Benettin et al. 1980). After ``transient`` the
    run is cut into ``n_blocks`` blocks; the exponent is the mean of the block
    values, its uncertainty their standard error combined with half the
    difference between the two halves of the run. For L = 1 the exponent
    includes the direction along the trajectory: the largest Lyapunov exponent
    of the synchronous motion (0 on a cycle, > 0 on chaos). On a cycle the
    values converge to the Floquet exponents of ``cycle_msf``, on an
    equilibrium to the ``dispersion_relation``.

    ``diffusive=True``: the network's coupling is eps sum_j W[k, j] H (x_j -
    x_k), so the synchronous motion is x' = f(x) (no eps H x) and mode L obeys
    d xi/dt = [Df + eps (L - 1) H] xi (the Laplacian's eigenvalue L - 1)."""
    node = load_model(node)
    homogeneous = homogeneous or homogeneous_model(node)
    for name, value in (("duration", duration), ("dt", dt)):
        if not (math.isfinite(value) and value > 0):
            raise ParameterError(f"`{name}` must be positive and finite, got {value}")
    if not (math.isfinite(transient) and transient >= 0):
        raise ParameterError(f"`transient` must be >= 0 and finite, got {transient}")
    if int(rescale_every) < 1 or int(n_blocks) < 2:
        raise ParameterError(f"need rescale_every >= 1 and n_blocks >= 2, got "
                             f"{rescale_every}, {n_blocks}")
    per_block = int(round(duration / dt / n_blocks)) // rescale_every * rescale_every
    if per_block < rescale_every:
        raise ParameterError(f"duration {duration:g} is too short for {n_blocks} blocks of "
                             f"{rescale_every} steps of {dt:g}")
    L = np.atleast_1d(np.asarray(L_values)).astype(complex)
    if not np.all(np.isfinite(L)):
        raise ParameterError("the L values must be finite")
    _, eps, H = _node_and_coupling(homogeneous, node, parameters)
    p = parameter_vector(homogeneous, parameters)
    if diffusive:  # the trajectory of f alone; J = Df, and the shift eps (L - 1) H stays
        p[homogeneous.parameter_index("eps")] = 0.0
    kernels = compile_model(homogeneous).kernels
    x = np.array(initial_states(homogeneous, state, 1)[0], dtype=float)
    shift = eps * (L - 1.0)
    shift_re, shift_im = np.ascontiguousarray(shift.real), np.ascontiguousarray(shift.imag)
    xi = np.random.default_rng(seed).standard_normal((len(L), 2, homogeneous.n_states))
    xi[L.imag == 0, 1] = 0.0  # a real mode stays real
    xi /= np.linalg.norm(xi.reshape(len(L), -1), axis=1)[:, None, None]
    H = np.ascontiguousarray(H, dtype=float)

    def run(steps, sums):
        status, done = kernels.transverse_run(x, p, H, shift_re, shift_im, xi, dt, steps,
                                              int(rescale_every), sums)
        if status:
            raise DivergenceError(f"the synchronous trajectory or a perturbation became "
                                  f"non-finite after {done} steps of {dt:g}: lower dt (or "
                                  f"rescale_every) or check that the state stays bounded")

    transient_steps = int(round(transient / dt)) // rescale_every * rescale_every
    if transient_steps:
        run(transient_steps, np.zeros(len(L)))
    blocks = np.empty((int(n_blocks), len(L)))
    for b in range(int(n_blocks)):
        sums = np.zeros(len(L))
        run(per_block, sums)
        blocks[b] = sums / (per_block * dt)
    exponents = blocks.mean(axis=0)
    # the spread over blocks, and the drift between the halves of the run (a
    # perturbation still turning towards the leading direction biases the start)
    half = int(n_blocks) // 2
    drift = np.abs(blocks[half:].mean(axis=0) - blocks[:half].mean(axis=0))
    uncertainty = np.hypot(blocks.std(axis=0, ddof=1) / math.sqrt(n_blocks), drift / 2)
    return TransverseExponents(L, exponents, uncertainty, blocks, x.copy(),
                               {"duration": per_block * dt * n_blocks, "transient": transient,
                                "dt": dt, "rescale_every": int(rescale_every),
                                "n_blocks": int(n_blocks), "seed": seed,
                                "diffusive": bool(diffusive)})


def irregular_kind(exponent: float, uncertainty: float, duration: float) -> str:
    """"chaotic" or "quasiperiodic" for a synchronous motion that never returns,
    from its own largest Lyapunov exponent (the mode L = 1 of
    ``transverse_exponents``): chaotic when it exceeds three uncertainties and
    what a run of ``duration`` can resolve (growth by e^10, i.e. 10/duration)."""
    return "chaotic" if exponent > max(3 * uncertainty, 10.0 / duration) else "quasiperiodic"
