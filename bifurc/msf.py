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

import numpy as np

from .codegen import compile_model, parameter_vector
from .errors import ParameterError
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
    eigenvalues = np.array([np.linalg.eigvals(A + eps * L * H) for L in L_values])
    eigenvalues = np.array([row[np.lexsort((-row.imag, -row.real))] for row in eigenvalues])
    return eigenvalues.real.max(axis=1), eigenvalues


def cycle_msf(node, orbit, L_values, *, homogeneous=None):
    """Floquet multipliers and the largest Floquet exponent (per time unit) of
    d xi/dt = [Df(x(t)) + eps L H] xi along a cycle of the homogeneous system.

    ``orbit`` is a PeriodicOrbit of ``homogeneous_model(node)`` (find_cycle, or
    a point of an LC-C branch via ``orbit_at``). The variational equation is
    discretised on the orbit's own collocation mesh (no re-simulation) and its
    multipliers come from the same condensation and lifted eigenproblem as
    the cycle's. Returns (exponents, multipliers): exponents[i] =
    log|mu| / T of the largest multiplier for L_i, excluding the trivial one
    when L_i = 1.
    """
    from .continuation.collocation import floquet_multipliers, transfer_matrices, trivial_index
    from .continuation.cycles import CycleProblem

    node = load_model(node)
    homogeneous = homogeneous or homogeneous_model(node)
    p_node, eps, H = _node_and_coupling(homogeneous, node, orbit.parameters)
    p_hom = parameter_vector(homogeneous, orbit.parameters)
    disc = orbit.discretisation()
    x = orbit.profile[:-1].ravel()
    problem = CycleProblem(compile_model(homogeneous), p_hom, 0, disc, x, adapt_mesh=False)
    u = np.concatenate([x, [orbit.period, p_hom[0]]])
    _, blocks, _, _ = problem._system(u)
    kernels = compile_model(homogeneous).kernels
    # blocks for mode L: the homogeneous Jacobian A + eps H shifted by eps (L - 1) H
    shift = -(disc.h[:, None, None, None, None] * orbit.period * eps
              * H[None, None, :, None, :] * disc.L[None, :, None, :, None])
    L_values = np.atleast_1d(np.asarray(L_values))
    n = node.n_states
    exponents = np.empty(len(L_values))
    multipliers = np.empty((len(L_values), n), dtype=complex)
    G = np.empty((disc.ntst, n, n))
    for i, L in enumerate(L_values):
        if np.iscomplexobj(L) and L.imag != 0:  # a directed connectome's complex mode
            mu = floquet_multipliers(transfer_matrices(blocks + (L - 1.0) * shift, n))
        else:
            kernels.condensed_transfer(np.ascontiguousarray(blocks + (L.real - 1.0) * shift), G)
            mu = floquet_multipliers(G)
        multipliers[i] = mu
        candidates = np.delete(mu, trivial_index(mu)) if abs(L - 1.0) < 1e-12 else mu
        exponents[i] = math.log(np.abs(candidates).max()) / orbit.period
    return exponents, multipliers


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


def msf_along_branch(node, branch, L_values, *, homogeneous=None, progress: bool = False):
    """The MSF map: growth rate (per time unit) for every point of a branch of the
    homogeneous system (EP-C: max Re eig; LC-C: largest non-trivial Floquet
    exponent) and every L. Returns an array of shape (len(branch), len(L))."""
    from tqdm.auto import tqdm

    node = load_model(node)
    homogeneous = homogeneous or homogeneous_model(node)
    if branch.model != homogeneous.name:
        raise ParameterError(f"the branch belongs to {branch.model!r}, not to the homogeneous "
                             f"system {homogeneous.name!r}")
    L_values = np.atleast_1d(np.asarray(L_values))  # complex for directed connectomes
    growth = np.empty((len(branch), len(L_values)))
    for i in tqdm(range(len(branch)), disable=not progress, desc="MSF", leave=False):
        if branch.kind == "EP-C":
            parameters = dict(branch.parameters)
            parameters[branch.free[0]] = float(branch.values[i, 0])
            growth[i] = dispersion_relation(node, parameters, branch.states[i], L_values,
                                            homogeneous=homogeneous)[0]
        elif branch.kind == "LC-C":
            if i == 0 and np.ptp(branch.extra["profile"][0], axis=0).max() == 0:
                growth[i] = np.nan  # the Hopf point the family starts from
                continue
            growth[i] = cycle_msf(node, orbit_at(branch, i), L_values,
                                  homogeneous=homogeneous)[0]
        else:
            raise ParameterError(f"MSF maps need an EP-C or LC-C branch, got {branch.kind}")
    return growth
