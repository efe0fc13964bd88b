"""Equilibria: finding them, and continuing them in one parameter (EP-C).

The defining system is F(x, alpha) = f(x, p(alpha)) = 0, u = (x, alpha).
Test functions along the branch (Kuznetsov 2004, Sec. 10.2):

* LP (fold):         the alpha-component of the unit tangent, t_alpha;
* BP (branch point): det [DF(u); t^T];
* H (Hopf):          prod_{i<j} (lambda_i + lambda_j) / (1 + |lambda_i| + |lambda_j|),
                     the (scaled) determinant of the bialternate product 2A (.) I;
                     its zeros with a real pair lambda, -lambda are neutral saddles,
                     which are not reported.
"""

from __future__ import annotations

import math

import numpy as np
from tqdm.auto import tqdm

from ..codegen import compile_model, parameter_vector
from ..errors import ParameterError
from ..model import Model
from ..units import PER_SECOND
from ..model_files import load_model
from .branch import Branch, SpecialPoint
from .build import domain_slots, equilibrium_branch, options_record, parameter_bounds
from .core import ContinuationOptions, ContinuationProblem, correct, trace
from .normal_forms import first_lyapunov_coefficient, fold_coefficient


def sorted_eigenvalues(A) -> np.ndarray:
    values = np.linalg.eigvals(A)
    return values[np.lexsort((-values.imag, -values.real))]


def pair_sum_product(eigenvalues) -> float:
    """prod_{i<j} (l_i + l_j) / (1 + |l_i| + |l_j|): zero at Hopf points and neutral saddles."""
    total = 1.0 + 0j
    n = len(eigenvalues)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = eigenvalues[i], eigenvalues[j]
            total *= (a + b) / (1.0 + abs(a) + abs(b))
    return float(total.real)


def hopf_pair(eigenvalues, scale=None):
    """(omega, index pair) of the eigenvalue pair closest to summing to zero when it is
    a complex-conjugate pair on the imaginary axis, else None (neutral saddle)."""
    n = len(eigenvalues)
    best, pair = math.inf, None
    for i in range(n):
        for j in range(i + 1, n):
            value = abs(eigenvalues[i] + eigenvalues[j])
            if value < best:
                best, pair = value, (i, j)
    if pair is None:
        return None
    omega = abs(eigenvalues[pair[0]].imag)
    scale = scale or max(1.0, np.abs(eigenvalues).max())
    if omega <= 1e-8 * scale or abs(eigenvalues[pair[0]].imag + eigenvalues[pair[1]].imag) > 1e-6 * scale:
        return None
    return omega, pair


def frequency_data(model: Model, omega: float) -> dict:
    data = {"omega": omega, "frequency": omega / (2 * math.pi)}
    if model.time_unit in PER_SECOND:
        data["frequency_hz"] = PER_SECOND[model.time_unit] * omega / (2 * math.pi)
    return data


class EquilibriumProblem(ContinuationProblem):
    """F(x, alpha) = f(x, p) with p[free_index] = alpha; u = (x, alpha)."""

    def __init__(self, compiled, base_parameters, free_index: int):
        self.compiled = compiled
        self.model = compiled.model
        self.kernels = compiled.kernels
        self.base = np.array(base_parameters, dtype=float)
        self.free_index = free_index
        self.n = compiled.model.n_states
        self.size = self.n
        self.parameter_slots = (self.n,)
        self._eigen_cache = {}

    def parameters_at(self, u) -> np.ndarray:
        p = self.base.copy()
        p[self.free_index] = u[-1]
        return p

    def residual(self, u):
        out = np.empty(self.n)
        self.kernels.vector_field(u[:-1], self.parameters_at(u), out)
        return out

    def state_jacobian(self, u):
        out = np.empty((self.n, self.n))
        self.kernels.state_jacobian(np.ascontiguousarray(u[:-1]), self.parameters_at(u), out)
        return out

    def jacobian(self, u):
        x, p = np.ascontiguousarray(u[:-1]), self.parameters_at(u)
        jac = np.empty((self.n, self.n + 1))
        A = np.empty((self.n, self.n))
        self.kernels.state_jacobian(x, p, A)
        fp = np.empty((self.n, self.model.n_parameters))
        self.kernels.parameter_jacobian(x, p, fp)
        jac[:, :-1] = A
        jac[:, -1] = fp[:, self.free_index]
        return jac

    def eigenvalues(self, u):
        key = u.tobytes()
        if key not in self._eigen_cache:
            if len(self._eigen_cache) > 64:
                self._eigen_cache.clear()
            self._eigen_cache[key] = sorted_eigenvalues(self.state_jacobian(u))
        return self._eigen_cache[key]

    def test_functions(self, u, tangent):
        return {"LP": float(tangent[-1]),
                "BP": float(np.linalg.det(np.vstack([self.jacobian(u), tangent]))),
                "H": pair_sum_product(self.eigenvalues(u))}

    def second(self, u):
        x, p = np.ascontiguousarray(u[:-1]), self.parameters_at(u)
        return lambda a, b: self.compiled.second_derivative(x, p, a, b)

    def third(self, u):
        x, p = np.ascontiguousarray(u[:-1]), self.parameters_at(u)
        return lambda a, b, c: self.compiled.third_derivative(x, p, a, b, c)

    def classify(self, name, u, tangent):
        if name == "LP":
            return "LP", {"a": fold_coefficient(self.state_jacobian(u), self.second(u))}
        if name == "BP":
            return "BP", {"tangent": [float(v) for v in tangent]}
        found = hopf_pair(self.eigenvalues(u))
        if found is None:
            return None  # neutral saddle
        omega, _ = found
        l1 = first_lyapunov_coefficient(self.state_jacobian(u), omega, self.second(u), self.third(u))
        return "H", {"l1": l1, **frequency_data(self.model, omega)}

    def point_data(self, u):
        return {"eigenvalues": self.eigenvalues(u)}


def newton_equilibrium(compiled, p, guess, tolerance=1e-11, max_iterations=50):
    """Damped Newton on f(x, p) = 0. Returns (x, converged, |f|)."""
    x = np.array(guess, dtype=float)
    f = compiled.vector_field(x, p)
    norm = np.linalg.norm(f)
    for _ in range(max_iterations):
        if norm <= tolerance * (1 + np.linalg.norm(x)):
            return x, True, norm
        A = compiled.jacobian(x, p)
        try:
            step = np.linalg.solve(A, -f)
        except np.linalg.LinAlgError:
            return x, False, norm
        if not np.all(np.isfinite(step)):
            return x, False, norm
        damping = 1.0
        while damping > 1e-4:
            trial = x + damping * step
            f_trial = compiled.vector_field(trial, p)
            if np.all(np.isfinite(f_trial)) and np.linalg.norm(f_trial) < norm:
                break
            damping /= 2
        else:
            return x, False, norm
        x, f = trial, f_trial
        norm = np.linalg.norm(f)
    return x, norm <= tolerance * (1 + np.linalg.norm(x)), norm


def find_equilibrium(model: Model, parameters=None, guess=None, simulate_ms: float = 2000.0,
                     *, allow_outside_domain: bool = False):
    """An equilibrium near ``guess`` (default: the model's initial state), inside
    the model's physical domain (``Model.domain``) unless
    ``allow_outside_domain``.

    Newton first; if it fails or lands outside the domain, a simulation of
    ``simulate_ms`` from the guess (RK4, dt = 0.05) and Newton from its end.
    Raises ParameterError saying what each attempt found: how far from an
    equilibrium it stopped, or which states of the equilibrium it found lie
    outside their domain. A guess outside the domain is refused.
    """
    from ..integrate import RK4, simulate

    model = load_model(model)
    compiled = compile_model(model)
    p = parameter_vector(model, parameters)
    guess = model.initial_state() if guess is None else np.asarray(guess, dtype=float)
    if guess.shape != (model.n_states,) or not np.all(np.isfinite(guess)):
        raise ParameterError(f"the start state must be {model.n_states} finite numbers, got {guess}")
    if not allow_outside_domain and model.domain_violations(guess):
        raise ParameterError(f"the start state lies outside the model's domain: "
                             f"{'; '.join(model.domain_violations(guess))} (allow_outside_domain="
                             f"True to search there)")

    def acceptable(x):
        return allow_outside_domain or not model.domain_violations(x)

    x, converged, norm = newton_equilibrium(compiled, p, guess)
    if converged and acceptable(x):
        return x
    attempts = [f"Newton from the start found an equilibrium outside the domain "
                f"({'; '.join(model.domain_violations(x))})" if converged else
                f"Newton from the start stopped at |f| = {norm:.3g}"]
    run = simulate(model, p, duration=simulate_ms, integrator=RK4(0.05), initial_state=guess,
                   sample_interval=simulate_ms, raise_on_divergence=False)
    end = run.states[-1, 0]
    if run.status != "completed" or not np.all(np.isfinite(end)):
        attempts.append("the simulation from the start diverged")
    else:
        x, converged, norm = newton_equilibrium(compiled, p, end)
        if converged and acceptable(x):
            return x
        if converged:
            attempts.append(f"Newton after simulating {simulate_ms:g} {model.time_unit} found one "
                            f"outside the domain ({'; '.join(model.domain_violations(x))})")
        else:
            moving = np.linalg.norm(compiled.vector_field(end, p))
            attempts.append(f"after simulating {simulate_ms:g} {model.time_unit} the state still "
                            f"moves (|f| = {moving:.3g}) and Newton from there stopped at "
                            f"|f| = {norm:.3g}; the attractor may be a limit cycle")
    where = " in the model's domain" if model.has_domain and not allow_outside_domain else ""
    raise ParameterError(f"no equilibrium found{where}: {'; '.join(attempts)}. "
                         f"Give a start state near an equilibrium")


def continue_equilibria(model, parameters=None, free: str | None = None, bounds=None, *,
                        start=None, options: ContinuationOptions | None = None,
                        allow_outside_domain: bool = False, progress: bool = False) -> Branch:
    """Continue equilibria of ``model`` in the parameter ``free`` (EP-C).

    Parameters
    ----------
    model : Model or built-in name
    parameters : ParameterSet or dict, optional (defaults otherwise)
    free : name of the free parameter
    bounds : (lower, upper) for the free parameter; the branch stops there
    start : state vector near an equilibrium, a SpecialPoint (a BP switches to
        the other branch), or None (find one from the model's initial state)
    options : ContinuationOptions
    allow_outside_domain : by default the start must lie in the model's
        physical domain and the branch stops where it leaves it (end status
        "domain"); with True it goes on, and ``in_domain`` flags the points
        outside (the summary warns)
    progress : show a progress bar

    Returns a Branch with LP, H and BP located and labelled (LP1, H1, BP1 ...),
    with l1 and the frequency at each H and the fold coefficient at each LP.
    """
    model = load_model(model)
    options = options or ContinuationOptions()
    if free is None:
        raise ParameterError("give the free parameter, e.g. free='eta_e'")
    free_index = model.parameter_index(free)
    lower, upper = parameter_bounds(model, free, bounds)
    compiled = compile_model(model)
    tangent = None
    if isinstance(start, SpecialPoint):
        point = start
        base = parameter_vector(model, {**point.parameters, **(dict(parameters) if parameters else {})})
        base[free_index] = point.parameters[free]
        guess = point.state
    else:
        base = parameter_vector(model, parameters)
        guess = start
    problem = EquilibriumProblem(compiled, base, free_index)
    if isinstance(start, SpecialPoint):
        u0 = np.append(guess, base[free_index])
        if start.kind == "BP":
            u0, tangent = _switch_direction(problem, u0, options, start.data.get("tangent"))
    else:
        if not lower <= base[free_index] <= upper:
            raise ParameterError(f"bounds [{lower:g}, {upper:g}] exclude the start value "
                                 f"{free} = {base[free_index]:g}")
        x0 = find_equilibrium(model, base, guess, allow_outside_domain=allow_outside_domain)
        u0 = np.append(x0, base[free_index])
    if not allow_outside_domain and model.domain_violations(u0[:-1]):
        raise ParameterError(f"the start equilibrium lies outside the model's domain: "
                             f"{'; '.join(model.domain_violations(u0[:-1]))} "
                             f"(allow_outside_domain=True to continue it anyway)")
    domain = {} if allow_outside_domain else domain_slots(model)
    bar = tqdm(desc=f"EP-C {model.name} in {free}", unit="pt", disable=not progress, leave=False)
    try:
        curve = trace(problem, u0, {model.n_states: (lower, upper)}, options, progress=bar,
                      tangent=tangent, domain=domain)
    finally:
        bar.close()
    return equilibrium_branch(model, "EP-C", (free,), curve, base, lambda u: u[:-1],
                              lambda u: u[-1:], options_record(options, bounds=(lower, upper)))


def _switch_direction(problem, u_bp, options, old_tangent=None):
    """At a simple branch point the null space of DF is two-dimensional; the other
    branch leaves along the null vector orthogonal to the old branch's tangent
    (as AUTO-07p does). Returns a point on the new branch and its tangent."""
    _, _, vt = np.linalg.svd(problem.jacobian(u_bp))
    a, b = vt[-2], vt[-1]
    if old_tangent is None:
        direction = min((a, b), key=lambda v: abs(v[-1]))
    else:
        t = np.asarray(old_tangent, dtype=float)
        direction = a * (t @ b) - b * (t @ a)
        if np.linalg.norm(direction) < 1e-12:
            direction = a
    direction = direction / np.linalg.norm(direction)
    step = max(options.step_size, 1e-4)
    for sign in (1.0, -1.0):
        try:
            point, _ = correct(problem, u_bp + sign * step * direction, direction, options)
        except Exception:
            continue
        if np.linalg.norm(point - u_bp) > 0.1 * step:
            t = point - u_bp
            return point, t / np.linalg.norm(t)
    raise ParameterError("could not switch branches at this BP: no second branch found")
