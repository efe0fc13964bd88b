"""Limit cycles in one parameter (LC-C): collocation + pseudo-arclength.

Defining system, u = (x at the representation points, T, alpha):

    x'(tau) = T f(x(tau), p(alpha))            at the Gauss points (collocation)
    int_0^1 x(tau) . x_ref'(tau) dtau = 0      integral phase condition

x_ref is the previous point of the branch (Doedel, Keller & Kernevez 1991).
Inner products of orbits are integrals over [0, 1], so that steps do not depend
on the mesh. Test functions along the branch, from the Floquet multipliers mu
(the trivial one, closest to 1, removed where noted):

    LPC (fold of cycles)       alpha-component of the tangent
    PD  (period doubling)      prod (mu_i + 1)
    NS  (Neimark-Sacker/torus) prod_{i<j} (mu_i mu_j - 1), non-trivial multipliers;
                               zeros with a real pair mu, 1/mu are not reported
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sps
import scipy.sparse.linalg as spla
from tqdm.auto import tqdm

from ..codegen import compile_model, parameter_vector
from ..errors import ParameterError
from ..model_files import load_model
from .branch import Branch, SpecialPoint
from .build import cycle_branch, options_record, parameter_bounds
from .collocation import Discretisation, collocation_blocks, orbit_statistics
from .cycle_ends import check_homoclinic_end, watch_amplitude
from .floquet import (TRIVIAL_TOLERANCE, floquet_eigenfunction, floquet_multipliers,
                      leading_floquet_multipliers, nontrivial, trivial_error)
from .core import (ContinuationOptions, CurveEnd, NewtonFailure, SparseBorderedProblem, factor,
                   correct, trace)
from .equilibria import frequency_data
from .normal_forms import first_lyapunov_coefficient, hopf_eigenvectors


def _permutation_parity(permutation) -> int:
    seen = np.zeros(len(permutation), dtype=bool)
    parity = 1
    for start in range(len(permutation)):
        if seen[start]:
            continue
        length, j = 0, start
        while not seen[j]:
            seen[j] = True
            j = permutation[j]
            length += 1
        if length % 2 == 0:
            parity = -parity
    return parity


def _scaled_determinant(matrix) -> float:
    """sign(det M) |det M|^(1/N): continuous, bounded, and zero exactly where
    det M is (the branch-point test function of the bordered Jacobian)."""
    try:
        lu = spla.splu(sps.csc_matrix(matrix), permc_spec="MMD_AT_PLUS_A")
    except RuntimeError:  # exactly singular (e.g. the Hopf point the branch starts from)
        return 0.0
    diagonal = lu.U.diagonal()
    if np.any(diagonal == 0):
        return 0.0
    sign = np.prod(np.sign(diagonal)) * _permutation_parity(lu.perm_r) * _permutation_parity(
        lu.perm_c)
    return float(sign * math.exp(np.mean(np.log(np.abs(diagonal)))))


def torus_pair(multipliers):
    """The pair with mu_i mu_j closest to 1 if it is complex (a torus
    condition), else None (a real pair mu, 1/mu: a neutral saddle cycle)."""
    best, pair = math.inf, None
    for i in range(len(multipliers)):
        for j in range(i + 1, len(multipliers)):
            value = abs(multipliers[i] * multipliers[j] - 1.0)
            if value < best:
                best, pair = value, (multipliers[i], multipliers[j])
    return pair if pair is not None and abs(pair[0].imag) > 1e-6 else None


def torus_factor(a, b):
    """(a b - 1) / (1 + |a b|): zero when a b = 1, bounded."""
    return (a * b - 1.0) / (1.0 + abs(a * b))


def pair_product(values, combine):
    total = 1.0 + 0j
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            total *= combine(values[i], values[j])
    return float(total.real)


class CycleProblem(SparseBorderedProblem):
    """Periodic orbits of x' = f(x, p) continued in p[free_index] (LC-C)."""

    def __init__(self, compiled, base, free_index, disc: Discretisation, reference,
                 max_period=math.inf, adapt_mesh: bool = True, detect_branch_points: bool = False,
                 multiplier_tolerance: float = TRIVIAL_TOLERANCE,
                 stop_outside_domain: bool = False):
        self.compiled = compiled
        self.model = compiled.model
        self.kernels = compiled.kernels
        self.base = np.array(base, dtype=float)
        self.free_index = free_index
        self.max_period = max_period
        self.adapt_mesh = adapt_mesh
        self.detect_branch_points = detect_branch_points
        self.multiplier_tolerance = multiplier_tolerance
        self.stop_outside_domain = stop_outside_domain
        self._set_discretisation(disc, reference)

    def _set_discretisation(self, disc, reference):
        self.disc = disc
        self.size = disc.size + 1
        self.parameter_slots = (disc.size + 1,)
        self.inner_weights = np.concatenate([disc.weights(), [1.0, 1.0]])
        self.phase = disc.phase_row(reference)
        self._cache_key = None
        self._multipliers = {}

    def parameters_at(self, u):
        p = self.base.copy()
        p[self.free_index] = u[-1]
        return p

    def _system(self, u):
        key = u.tobytes()
        if key != self._cache_key:
            disc = self.disc
            residual, blocks, d_period, (d_parameter,) = collocation_blocks(
                self.kernels, disc.points(u[:disc.size]), disc.h, float(u[-2]),
                self.parameters_at(u), (self.free_index,), disc.L, disc.D)
            self._cache_key = key
            self._cache = (residual, blocks, d_period, d_parameter)
        return self._cache

    def residual(self, u):
        residual, _, _, _ = self._system(u)
        return np.concatenate([residual, [self.phase @ u[:self.disc.size]]])

    reuse_factorization = True

    def _pattern(self, bordered: bool):
        """CSC structure of DF (or [DF; row]) and the permutation that puts the
        entries, listed as blocks, T column, parameter column, phase row (, row),
        into CSC order; it depends only on n, NTST and NCOL, so it is computed once."""
        key = (bordered, self.disc.n, self.disc.ntst, self.disc.ncol)  # not the mesh values
        if getattr(self, "_pattern_key", {}).get(bordered) != key:
            disc = self.disc
            size = disc.size
            rows = [disc.block_rows, disc.column_rows, disc.column_rows, np.full(size, size)]
            cols = [disc.block_cols, np.full(size, size), np.full(size, size + 1), np.arange(size)]
            if bordered:
                rows.append(np.full(size + 2, size + 1))
                cols.append(np.arange(size + 2))
            rows, cols = np.concatenate(rows), np.concatenate(cols)
            shape = (size + 1 + bordered, size + 2)
            positions = sps.csc_matrix((np.arange(1, len(rows) + 1, dtype=float), (rows, cols)),
                                       shape=shape)
            positions.sort_indices()
            order = positions.data.astype(np.int64) - 1
            self._pattern_key = {**getattr(self, "_pattern_key", {}), bordered: key}
            self._patterns = {**getattr(self, "_patterns", {}),
                              bordered: (order, positions.indices, positions.indptr, shape)}
        return self._patterns[bordered]

    def _assemble(self, u, row):
        """Sparse DF(u), with ``row`` appended as a last row when given."""
        _, blocks, d_period, d_parameter = self._system(u)
        values = [blocks.ravel(), d_period, d_parameter, self.phase]
        if row is not None:
            values.append(row)
        order, indices, indptr, shape = self._pattern(row is not None)
        return sps.csc_matrix((np.concatenate(values)[order], indices, indptr), shape=shape)

    def multipliers(self, u):
        key = u.tobytes()
        if key not in self._multipliers:
            if len(self._multipliers) > 16:
                self._multipliers.clear()
            _, blocks, _, _ = self._system(u)
            self._multipliers[key] = floquet_multipliers(blocks)
        return self._multipliers[key]

    def trusted(self, u) -> bool:
        """Whether the multipliers at u can be trusted: |mu_trivial - 1| within
        ``multiplier_tolerance``."""
        return trivial_error(self.multipliers(u)) <= self.multiplier_tolerance

    def test_functions(self, u, tangent):
        mu = self.multipliers(u)
        if not self.trusted(u):  # not evaluated: no LPC, PD or NS is placed here
            tests = {"LPC": math.nan, "PD": math.nan, "NS": math.nan}
            if self.detect_branch_points:
                tests["BPC"] = math.nan
            return tests
        others = nontrivial(mu)
        tests = {"LPC": float(tangent[-1]),
                 "PD": float(np.prod(mu + 1.0).real),
                 "NS": pair_product(others, torus_factor)}
        if self.detect_branch_points:
            tests["BPC"] = _scaled_determinant(self.bordered_jacobian(u, self.inner_weights * tangent))
        return tests

    def classify(self, name, u, tangent):
        mu = self.multipliers(u)
        data = {"period": float(u[-2]), **frequency_data(self.model, 2 * math.pi / u[-2]),
                # the orbit itself, so that the point can restart continuations
                "ncol": self.disc.ncol, "mesh": self.disc.mesh.tolist(),
                "profile": self.disc.points(u[:self.disc.size]).tolist()}
        if name == "PD":
            critical = mu[np.argmin(np.abs(mu + 1.0))]
            if abs(critical.imag) > 1e-6:
                return None
            return "PD", data
        if name == "NS":
            pair = torus_pair(nontrivial(mu))
            if pair is None:
                return None  # neutral saddle cycle
            return "NS", {**data, "angle": float(abs(np.angle(pair[0])))}
        if name == "BPC":
            return "BPC", data
        if name == "LPC":
            amplitude = np.ptp(self.disc.on_uniform_grid(u[:self.disc.size]), axis=0).max()
            if amplitude < 1e-2 * getattr(self, "_largest", math.inf):
                return None  # the family turning back through its Hopf end, not a fold
        return name, data

    def point_data(self, u):
        disc = self.disc
        x = u[:disc.size]
        maximum, minimum, mean = orbit_statistics(disc, x)
        mu = self.multipliers(u)
        return {"eigenvalues": mu, "trivial_error": trivial_error(mu), "period": float(u[-2]),
                "max": maximum, "min": minimum, "mean": mean, "mesh": disc.mesh.copy(),
                "profile": disc.points(x)}

    def update_phase(self, u):
        """The accepted orbit becomes the phase reference (not a Hopf point's
        zero-amplitude orbit); a non-finite orbit ends the curve."""
        row = self.disc.phase_row(u[:self.disc.size])
        if np.linalg.norm(row) > 1e-12 * np.linalg.norm(self.phase):
            self.phase = row
        if not np.all(np.isfinite(u)):
            raise CurveEnd("step_size", "non-finite orbit")

    def accept(self, u, tangent):
        self.update_phase(u)
        if self.stop_outside_domain:
            outside = self.model.domain_violations(self.disc.points(u[:self.disc.size]))
            if outside:
                raise CurveEnd("domain", f"the orbit left the model's physical domain "
                                         f"({'; '.join(outside)}); the family stops here")
        if watch_amplitude(self, u[:self.disc.size]):
            raise CurveEnd("hopf", f"the cycles shrank onto an equilibrium near "
                                   f"{self.model.parameter_names[self.free_index]} = {u[-1]:.10g} "
                                   f"(a Hopf point)")
        check_homoclinic_end(self, u, self.trusted(u))

    def remap(self, u, tangent):
        """Move u and its tangent to a mesh that equidistributes the collocation error."""
        self._accepted = getattr(self, "_accepted", 0) + 1
        if not self.adapt_mesh or self._accepted % 3:
            return u, tangent  # adapt every third point, as AUTO-07p's default IAD = 3
        disc = self.disc
        mesh = disc.equidistributed_mesh(u[:disc.size])
        if np.abs(mesh - disc.mesh).max() < 0.05 * disc.h.min():
            return u, tangent
        new, x = disc.remesh(u[:disc.size], mesh)
        _, tx = disc.remesh(tangent[:disc.size], mesh)
        self._set_discretisation(new, x)
        u = np.concatenate([x, u[-2:]])
        tangent = np.concatenate([tx, tangent[-2:]])
        return u, tangent / math.sqrt((self.inner_weights * tangent) @ tangent)


def _hopf_data(model, point, compiled, free):
    base = parameter_vector(model, point.parameters)
    x0 = np.array(point.state, dtype=float)
    A = compiled.jacobian(x0, base)
    omega = point.data.get("omega")
    if omega is None:
        raise ParameterError(f"{point.label} carries no Hopf frequency")
    if point.data.get("l1") is not None and abs(point.data["l1"]) < 1e-12:
        raise ParameterError(
            f"{point.label} is degenerate (l1 = {point.data['l1']:.2e}): a generalised Hopf "
            f"point; the cycle branch cannot be started from a first-order approximation here")
    q, _ = hopf_eigenvectors(A, omega)
    return base, x0, omega, q


@dataclass
class PeriodicOrbit:
    """A periodic orbit on a collocation mesh (e.g. from :func:`find_cycle`).

    profile (NTST*NCOL + 1, n): the orbit at the representation points of
    ``mesh`` (the last row equals the first); period in the model's time unit;
    multipliers: all n by decreasing modulus (only the leading two, or None,
    from ``CycleCorrector`` when asked).
    """

    model: str
    parameters: dict
    mesh: np.ndarray
    ncol: int
    profile: np.ndarray
    period: float
    multipliers: np.ndarray

    def discretisation(self) -> Discretisation:
        return Discretisation(self.profile.shape[1], len(self.mesh) - 1, self.ncol, self.mesh)

    @property
    def trivial_error(self) -> float:
        """|mu_trivial - 1| (the multipliers are trusted up to about this)."""
        return trivial_error(self.multipliers)


def _newton_on_orbit(problem, u, what, solver=None, keep_solver: bool = False):
    """Newton for a periodic orbit at fixed parameters (period free); with
    ``keep_solver`` also returns the last factorisation (to start the next
    nearby orbit's chord iteration with, as ``solver``)."""
    fix_parameter = np.zeros_like(u)
    fix_parameter[-1] = 1.0
    options = ContinuationOptions(max_newton_iterations=30)
    try:
        u, _, solver = correct(problem, u, fix_parameter / np.sqrt(problem.inner_weights[-1]),
                               options, keep_solver=True, solver=solver)
    except NewtonFailure as failure:
        raise ParameterError(f"{what} did not converge as a periodic orbit: {failure}") from None
    return (u, solver) if keep_solver else u


def distance_to_closed_curve(points, curve, scale) -> float:
    """The largest distance (max norm, state i measured in units of scale[i])
    from any of ``points`` (m, n) to the closed polyline through ``curve``
    (k, n): each point is projected on the two segments at its nearest vertex."""
    from scipy.spatial import cKDTree

    points, curve = np.asarray(points) / scale, np.asarray(curve) / scale
    nearest = cKDTree(curve).query(points)[1]
    k = len(curve)
    best = np.full(len(points), np.inf)
    for first in (nearest - 1, nearest):
        a, b = curve[first % k], curve[(first + 1) % k]
        along = b - a
        length = np.maximum(np.sum(along * along, axis=1), 1e-300)
        t = np.clip(np.sum((points - a) * along, axis=1) / length, 0.0, 1.0)
        best = np.minimum(best, np.abs(points - a - t[:, None] * along).max(axis=1))
    return float(best.max()) if len(best) else 0.0


def refine_cycle(model, base, time, series, period, *, ntst: int = 50, ncol: int = 4,
                 adapt_rounds: int = 3):
    """(PeriodicOrbit, closure) from a simulation ``series`` (m, n) at ``time`` whose
    last ``period`` is (nearly) periodic: the last period sampled on a uniform
    mesh, solved by collocation with Newton (period free), then ``adapt_rounds``
    times moved to a mesh that equidistributes the collocation error and solved
    again. ``closure`` is the largest distance of the simulated states (last
    period) from the collocated orbit, relative to each state's range, or the
    relative difference of the two periods if larger."""
    from scipy.interpolate import CubicSpline

    compiled = compile_model(model)
    base = np.asarray(base, float)
    keep = time >= time[-1] - 1.5 * period
    spline = CubicSpline(time[keep], series[keep], axis=0)
    start = time[-1] - period
    disc = Discretisation(model.n_states, ntst, ncol)
    x = spline(start + period * disc.tau).ravel()
    u = np.concatenate([x, [period, base[0]]])
    for round_ in range(adapt_rounds + 1):
        if round_:
            mesh = disc.equidistributed_mesh(u[:disc.size])
            disc, x = disc.remesh(u[:disc.size], mesh)
            u = np.concatenate([x, u[-2:]])
        problem = CycleProblem(compiled, base, 0, disc, u[:disc.size], adapt_mesh=False)
        u = _newton_on_orbit(problem, u, f"the simulated orbit (period {period:.6g})")
        profile = disc.points(u[:disc.size])
        if np.max(np.ptp(profile, axis=0) / (1.0 + np.abs(profile).max(axis=0))) < 1e-8:
            # a constant x(tau) = x* solves the collocation equations for any period
            raise ParameterError(
                f"Newton converged to an equilibrium (a constant orbit); the simulated "
                f"oscillation (period {period:.6g}) is damped: simulate longer or start from a "
                f"Hopf point")
    scale = np.ptp(series[keep], axis=0) + 1e-9 * (1.0 + np.abs(series[keep]).max(axis=0))
    # the collocated orbit may have slid in phase (and a fast spike makes any
    # comparison at equal times fragile): the distance of every simulated state
    # of the last period from the collocated curve, finely sampled, and the
    # relative difference of the periods (another cycle through the same states,
    # e.g. a doubled one, has another period)
    local = np.linspace(0.0, 1.0, 16, endpoint=False)
    tau = (disc.mesh[:-1, None] + disc.h[:, None] * local[None, :]).ravel()
    collocated = disc.evaluate(u[:disc.size], tau)
    closure = max(distance_to_closed_curve(series[time >= time[-1] - period], collocated, scale),
                  abs(float(u[-2]) - period) / period)
    orbit = PeriodicOrbit(model.name, dict(zip(model.parameter_names, base.tolist())), disc.mesh,
                          ncol, profile, float(u[-2]), problem.multipliers(u))
    return orbit, closure


class CycleCorrector:
    """Cycles of ``model`` corrected one after another at nearby parameters (a
    grid row: natural-parameter continuation), by Newton on the collocation
    system (period free) from the previous ``orbit`` on its mesh. While the
    mesh stays the same, each Newton iteration starts from the previous
    point's factorisation (chord iterations, refactored when they stop
    contracting), which the next point's Jacobian differs from little.

    ``corrector(orbit, parameters, refine_to=None, max_ntst=400,
    multipliers="all")``: raises ParameterError when Newton fails or lands on
    a constant orbit (an equilibrium). With ``refine_to``: where
    |mu_trivial - 1| exceeds it, the cycle is moved to a mesh that
    equidistributes the collocation error and corrected again, then to meshes
    of twice as many intervals, up to ``max_ntst`` (the result may still
    exceed it: check ``trivial_error``). ``multipliers="leading"``: the orbit
    carries only its two multipliers of largest modulus
    (``floquet.leading_multipliers``: enough for the stability and the
    trivial multiplier of a stable cycle, and cheaper); None: none (no
    ``refine_to`` then). ``corrector.blocks`` are the collocation blocks of
    the variational equation along the last orbit returned."""

    def __init__(self, model):
        self.model = load_model(model)
        self.compiled = compile_model(self.model)
        self._solver, self._mesh = None, None
        self.blocks = None

    def __call__(self, orbit: PeriodicOrbit, parameters, *, refine_to: float | None = None,
                 max_ntst: int = 400, multipliers: str | None = "all") -> PeriodicOrbit:
        if multipliers not in ("all", "leading", None):
            raise ParameterError(f"`multipliers` must be 'all', 'leading' or None, got "
                                 f"{multipliers!r}")
        if multipliers is None and refine_to is not None:
            raise ParameterError("`refine_to` needs the multipliers (the trivial one)")
        model = self.model
        base = parameter_vector(model, parameters)
        disc = orbit.discretisation()
        x = np.asarray(orbit.profile, float)[:-1].ravel()
        period = orbit.period
        while True:
            problem = CycleProblem(self.compiled, base, 0, disc, x, adapt_mesh=False)
            same_mesh = self._mesh is not None and np.array_equal(self._mesh, disc.mesh)
            previous = self._solver if same_mesh else None
            self._solver, self._mesh = None, None  # unless Newton succeeds below
            u, solver = _newton_on_orbit(problem, np.concatenate([x, [period, base[0]]]),
                                         f"the orbit of period {orbit.period:.6g}",
                                         solver=previous, keep_solver=True)
            self._solver, self._mesh = solver, disc.mesh
            profile = disc.points(u[:disc.size])
            if np.max(np.ptp(profile, axis=0) / (1.0 + np.abs(profile).max(axis=0))) < 1e-8:
                raise ParameterError("Newton converged to a constant orbit (an equilibrium)")
            self.blocks = problem._system(u)[1]
            mu = None if multipliers is None else problem.multipliers(u) \
                if multipliers == "all" else leading_floquet_multipliers(self.blocks)
            corrected = PeriodicOrbit(model.name, dict(zip(model.parameter_names, base.tolist())),
                                      disc.mesh, orbit.ncol, profile, float(u[-2]), mu)
            if refine_to is None or corrected.trivial_error <= refine_to:
                break
            ntst = disc.ntst if np.array_equal(disc.mesh, orbit.mesh) else 2 * disc.ntst
            if ntst > max_ntst:
                break
            disc, x = disc.remesh(u[:disc.size], disc.equidistributed_mesh(u[:disc.size], ntst))
            period = float(u[-2])
        return corrected


def cycle_near_hopf(model, parameters, equilibrium, *, ntst: int = 50,
                    ncol: int = 4) -> PeriodicOrbit:
    """The small cycle just past a supercritical Hopf point, at fixed
    ``parameters``, around the ``equilibrium`` that has lost its stability
    there: with mu +- i omega its unstable pair, q (<q, q> = 1) the
    eigenvector and l1 the first Lyapunov coefficient, the normal form
    z' = (mu + i omega) z + omega l1 z |z|^2 (Kuznetsov 2004, Sec. 3.5) has
    the cycle |z|^2 = -mu / (omega l1), so x(t) ~ x* + 2 |z| Re(q e^{i omega t})
    with period 2 pi / omega; Newton (period free) corrects it. A start that
    needs no simulation, where a run would still be spiralling away from the
    equilibrium (the growth rate mu is small). ParameterError unless the pair
    is the only unstable direction and l1 < 0, or when Newton fails."""
    model = load_model(model)
    compiled = compile_model(model)
    p = parameter_vector(model, parameters)
    x0 = np.asarray(equilibrium, float)
    A = compiled.jacobian(x0, p)
    values = np.linalg.eigvals(A)
    unstable = values[values.real > 0]
    if len(unstable) != 2 or abs(unstable[0].imag) == 0:
        raise ParameterError("the equilibrium has not lost its stability through one "
                             "complex pair (no Hopf point just before)")
    mu, omega = float(unstable[0].real), float(abs(unstable[0].imag))
    l1 = first_lyapunov_coefficient(A, omega,
                                    lambda a, b: compiled.second_derivative(x0, p, a, b),
                                    lambda a, b, c: compiled.third_derivative(x0, p, a, b, c))
    if not l1 < 0:
        raise ParameterError(f"l1 = {l1:.3g} >= 0: a subcritical Hopf point, no small stable "
                             f"cycle")
    q, _ = hopf_eigenvectors(A, omega)
    radius = math.sqrt(-mu / (omega * l1))
    disc = Discretisation(model.n_states, ntst, ncol)
    tau = np.append(disc.tau, 1.0)
    profile = x0[None, :] + 2 * radius * (q[None, :] * np.exp(2j * np.pi * tau)[:, None]).real
    guess = PeriodicOrbit(model.name, dict(zip(model.parameter_names, p.tolist())), disc.mesh,
                          ncol, profile, 2 * math.pi / omega, None)
    return correct_cycle(model, guess, parameters)


def correct_cycle(model, orbit: PeriodicOrbit, parameters, *, refine_to: float | None = None,
                  max_ntst: int = 400) -> PeriodicOrbit:
    """The cycle at ``parameters`` from a nearby ``orbit``: one step of
    ``CycleCorrector`` (its doc)."""
    return CycleCorrector(model)(orbit, parameters, refine_to=refine_to, max_ntst=max_ntst)


def _doubled_start(model, point, compiled, free_index):
    """The orbit of a PD point traversed twice, and the direction of the
    period-doubled family: the eigenfunction xi of the multiplier -1 (xi(1) =
    -xi(0)) on the first period and -xi on the second."""
    base = parameter_vector(model, point.parameters)
    disc = Discretisation(model.n_states, len(point.data["mesh"]) - 1, point.data["ncol"],
                          np.array(point.data["mesh"]))
    profile = np.array(point.data["profile"])
    problem = CycleProblem(compiled, base, free_index, disc, profile[:-1].ravel(), adapt_mesh=False)
    u = np.concatenate([profile[:-1].ravel(), [point.data["period"], base[free_index]]])
    _, blocks, _, _ = problem._system(u)
    n, ncol, ntst = disc.n, disc.ncol, disc.ntst
    xi_points = floquet_eigenfunction(blocks, n, -1.0).real
    mesh2 = np.concatenate([disc.mesh / 2, 0.5 + disc.mesh[1:] / 2])
    doubled = Discretisation(n, 2 * ntst, ncol, mesh2)
    x2 = np.concatenate([profile[:-1], profile[:-1]]).ravel()
    direction = np.concatenate([xi_points, -xi_points]).ravel()
    u0 = np.concatenate([x2, [2 * point.data["period"], base[free_index]]])
    return base, doubled, u0, np.concatenate([direction, [0.0, 0.0]]), x2


def continue_cycles(model, start, free: str | None = None, bounds=None, *, ntst: int = 50,
                    ncol: int = 4, options: ContinuationOptions | None = None,
                    max_period: float | None = None, adapt_mesh: bool = True,
                    detect_branch_points: bool = False,
                    multiplier_tolerance: float = TRIVIAL_TOLERANCE,
                    allow_outside_domain: bool = False, progress: bool = False) -> Branch:
    """Continue the limit cycles born at a Hopf point (LC-C).

    Parameters
    ----------
    model : Model or name
    start : SpecialPoint of kind "H" (from continue_equilibria)
    free : free parameter (default: the Hopf point's free parameter)
    bounds : (lower, upper) of the free parameter
    ntst, ncol : mesh intervals and collocation points per interval
    options : ContinuationOptions (step sizes are in the integral norm of orbits)
    max_period : stop when the period exceeds it (default 50 times the
        starting period). Families that converge onto a homoclinic orbit stop
        before, with the end status ``homoclinic`` and a special point HOM
        (to a saddle or saddle-focus) or SNIC (a saddle-node on the cycle)
        that carries the estimated parameter, its uncertainty and the
        equilibrium (bifurc.continuation.cycle_ends)
    adapt_mesh : redistribute the mesh to equidistribute the collocation error
        (every third accepted point)
    detect_branch_points : also locate branch points of cycles (BPC: sign
        changes of det [DF; t^T]); off by default, since it costs one more sparse
        factorisation per point and BPCs need a symmetry to occur at all
    multiplier_tolerance : the multipliers of a point are trusted when its
        trivial multiplier lies within this of 1; elsewhere no LPC, PD, NS (or
        BPC) is looked for, and the branch carries a warning
    allow_outside_domain : by default the family stops at the first orbit
        that leaves the model's physical domain (end status "domain"); with
        True it goes on and ``in_domain`` flags such orbits

    Returns a Branch of kind "LC-C": ``values`` the parameter, ``eigenvalues``
    the Floquet multipliers (sorted by modulus), ``stable`` (non-trivial
    multipliers inside the unit circle), ``states`` the mean of each state over
    the period, and ``extra``: ``period``, ``frequency_hz``, ``max``, ``min``,
    ``mesh``, ``profile`` (the orbit at the representation points); special
    points LPC, PD, NS (and BPC on request).
    """
    model = load_model(model)
    from_hopf = isinstance(start, SpecialPoint) and start.kind == "H"
    from_pd = isinstance(start, SpecialPoint) and start.kind == "PD"
    if not (from_hopf or from_pd or isinstance(start, PeriodicOrbit)):
        raise ParameterError("cycles start from a Hopf point (an `H` special point), a period "
                             "doubling (`PD`, switching to the doubled cycle) or a PeriodicOrbit "
                             f"(find_cycle), got {getattr(start, 'label', start)!r}")
    if free is None:
        if not (from_hopf or from_pd):
            raise ParameterError("give the free parameter, e.g. free='eta_e'")
        free = start.free[0]
    free_index = model.parameter_index(free)
    lower, upper = parameter_bounds(model, free, bounds)
    options = options or ContinuationOptions(step_size=0.05, max_step_size=0.5, max_points=300)
    compiled = compile_model(model)
    n = model.n_states
    if from_hopf:
        base, x0, omega, q = _hopf_data(model, start, compiled, free)
        disc = Discretisation(n, ntst, ncol)
        direction = (q[None, :] * np.exp(2j * np.pi * disc.tau)[:, None]).real.ravel()
        u0 = np.concatenate([np.tile(x0, disc.n_points), [2 * np.pi / omega, base[free_index]]])
        tangent = np.concatenate([direction, [0.0, 0.0]])
        reference, period0 = direction, 2 * np.pi / omega
        options = replace(options, both_directions=False)  # the other way is the same family
    elif from_pd:
        base, disc, u0, tangent, reference = _doubled_start(model, start, compiled, free_index)
        period0 = u0[-2]
        options = replace(options, both_directions=False)
    else:
        base = parameter_vector(model, start.parameters)
        disc = start.discretisation()
        x = start.profile[:-1].ravel()
        u0 = np.concatenate([x, [start.period, base[free_index]]])
        reference, period0, tangent = x, start.period, None
    if not lower <= base[free_index] <= upper:
        raise ParameterError(f"bounds [{lower:g}, {upper:g}] exclude the start value "
                             f"{free} = {base[free_index]:g}")
    problem = CycleProblem(compiled, base, free_index, disc, reference,
                           max_period=max_period or 50 * period0, adapt_mesh=adapt_mesh,
                           detect_branch_points=detect_branch_points,
                           multiplier_tolerance=multiplier_tolerance,
                           stop_outside_domain=not allow_outside_domain)
    if tangent is None:
        tangent = _cycle_tangent(problem, u0)
    tangent = tangent / math.sqrt((problem.inner_weights * tangent) @ tangent)
    bar = tqdm(desc=f"LC-C {model.name} in {free}", unit="pt", disable=not progress, leave=False)
    try:
        curve = trace(problem, u0, {disc.size + 1: (lower, upper)}, options, progress=bar,
                      tangent=tangent)
    finally:
        bar.close()
    return cycle_branch(model, "LC-C", (free,), curve, base,
                        options_record(options, bounds=(lower, upper)), multiplier_tolerance)


def _cycle_tangent(problem, u):
    """Tangent of the cycle family at a regular orbit, oriented to increasing parameter."""
    row = np.zeros_like(u)
    row[-1] = 1.0
    system = problem.bordered_jacobian(u, row)
    rhs = np.zeros(system.shape[0])
    rhs[-1] = 1.0
    try:
        return factor(system)(rhs)
    except NewtonFailure as failure:
        raise ParameterError(f"the start orbit is singular for continuation ({failure}): it may "
                             f"be a fold or branch point of cycles") from None
