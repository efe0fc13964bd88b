"""Two-parameter curves of codimension-one equilibrium bifurcations.

Standard augmented defining systems (Kuznetsov 2004, Sec. 10.2-10.3; Govaerts,
*Numerical Methods for Bifurcations of Dynamical Equilibria*, 2000), with
analytic Jacobians from the generated derivatives D_x(A v), D_p(A v):

LP-C (fold curve), u = (x, v, alpha1, alpha2):
    f(x, alpha) = 0,   A v = 0,   c . v = 1
H-C (Hopf curve), u = (x, v, kappa, alpha1, alpha2), kappa = omega^2:
    f(x, alpha) = 0,   (A^2 + kappa I) v = 0,   c . v = 1,   d . v = 0
with c and d from the previous point (c = v / |v|^2, d = the part of A v
orthogonal to v; Kuznetsov 2004, Sec. 10.2.2). The Hopf system stays regular
through a Bogdanov-Takens point (kappa = 0) and continues as a curve of neutral
saddles (kappa < 0). (A condition d . A v = 0 would not: at BT, A v lies along
the eigenvector for every v in the generalised eigenspace.)

Codimension-two points and their test functions:
on LP-C   BT  <w, v> / (|w| |v|)            (w: left null vector of A)
          CP  <w, B(v, v)> / (|w| |v|^2)     (the fold's quadratic coefficient)
          ZH  prod (l_i + l_j) over the eigenvalues other than the zero one
on H-C    BT  kappa
          GH  l1 (first Lyapunov coefficient), where kappa > 0
          ZH  product of the eigenvalues other than the Hopf pair
          HH  prod (l_i + l_j) over the eigenvalues other than the Hopf pair
"""

from __future__ import annotations

import math

import numpy as np

from ..codegen import compile_model, parameter_vector
from ..errors import ParameterError
from ..units import PER_SECOND
from ..model_files import load_model
from .branch import Branch, SpecialPoint
from .build import domain_slots, equilibrium_branch, options_record, two_parameter_bounds
from .core import ContinuationOptions, ContinuationProblem, trace_with_progress
from .equilibria import frequency_data, hopf_pair, pair_sum_product, sorted_eigenvalues
from .normal_forms import (bogdanov_takens_coefficients, first_lyapunov_coefficient,
                           hopf_eigenvectors)


class EquilibriumCurveProblem(ContinuationProblem):
    """Base of the two-parameter curves of equilibria (LP-C, H-C, TI-C of
    equilibria): the model's derivatives at (x, alpha1, alpha2)."""

    def __init__(self, compiled, base, free_indices):
        self.compiled = compiled
        self.model = compiled.model
        self.kernels = compiled.kernels
        self.base = np.array(base, dtype=float)
        self.free_indices = tuple(free_indices)
        self.n = compiled.model.n_states

    def parameters_at(self, alpha):
        p = self.base.copy()
        p[list(self.free_indices)] = alpha
        return p

    def _f(self, x, p):
        out = np.empty(self.n)
        self.kernels.vector_field(x, p, out)
        return out

    def _A(self, x, p):
        out = np.empty((self.n, self.n))
        self.kernels.state_jacobian(x, p, out)
        return out

    def _f_alpha(self, x, p):
        out = np.empty((self.n, self.model.n_parameters))
        self.kernels.parameter_jacobian(x, p, out)
        return out[:, list(self.free_indices)]

    def _action(self, x, p, v):
        """(D_x(A v), D_alpha(A v))."""
        by_state = np.empty((self.n, self.n))
        self.kernels.jacobian_action_state(x, p, np.ascontiguousarray(v), by_state)
        by_parameter = np.empty((self.n, self.model.n_parameters))
        self.kernels.jacobian_action_parameters(x, p, np.ascontiguousarray(v), by_parameter)
        return by_state, by_parameter[:, list(self.free_indices)]

    def second(self, x, p):
        return lambda a, b: self.compiled.second_derivative(x, p, a, b)

    def third(self, x, p):
        return lambda a, b, c: self.compiled.third_derivative(x, p, a, b, c)

    def bogdanov_takens_data(self, x, p) -> dict:
        """The normal-form coefficients a, b at a BT point (normal_forms.py):
        HOM-C starts there from the asymptotic homoclinic orbit."""
        try:
            a, b = bogdanov_takens_coefficients(self._A(x, p), self.second(x, p))
        except np.linalg.LinAlgError:  # a degenerate (higher-codimension) point
            return {"a": math.nan, "b": math.nan}
        return {"a": a, "b": b}


class FoldCurveProblem(EquilibriumCurveProblem):
    """LP-C: u = (x, v, alpha1, alpha2); f = 0, A v = 0, c . v = 1."""

    def __init__(self, compiled, base, free_indices, x0, v0):
        super().__init__(compiled, base, free_indices)
        n = self.n
        self.size = 2 * n + 1
        self.parameter_slots = (2 * n, 2 * n + 1)
        self.c = v0 / (v0 @ v0)
        self.w_reference = None

    def unpack(self, u):
        n = self.n
        x, v, alpha = u[:n], u[n:2 * n], u[2 * n:]
        return np.ascontiguousarray(x), v, self.parameters_at(alpha)

    def residual(self, u):
        x, v, p = self.unpack(u)
        return np.concatenate([self._f(x, p), self._A(x, p) @ v, [self.c @ v - 1.0]])

    def jacobian(self, u):
        n = self.n
        x, v, p = self.unpack(u)
        A = self._A(x, p)
        action_x, action_alpha = self._action(x, p, v)
        jac = np.zeros((2 * n + 1, 2 * n + 2))
        jac[:n, :n] = A
        jac[:n, 2 * n:] = self._f_alpha(x, p)
        jac[n:2 * n, :n] = action_x
        jac[n:2 * n, n:2 * n] = A
        jac[n:2 * n, 2 * n:] = action_alpha
        jac[2 * n, n:2 * n] = self.c
        return jac

    def _left_null(self, A):
        w = np.linalg.svd(A)[0][:, -1]
        if self.w_reference is not None and w @ self.w_reference < 0:
            w = -w
        return w

    def accept(self, u, tangent):
        x, v, p = self.unpack(u)
        self.c = v / (v @ v)
        self.w_reference = self._left_null(self._A(x, p))

    def test_functions(self, u, tangent):
        x, v, p = self.unpack(u)
        A = self._A(x, p)
        w = self._left_null(A)
        vn = np.linalg.norm(v)
        eigenvalues = sorted_eigenvalues(A)
        others = np.delete(eigenvalues, np.argmin(np.abs(eigenvalues)))
        return {"BT": float(w @ v / vn),
                "CP": float(w @ self.compiled.second_derivative(x, p, v, v) / vn**2),
                "ZH": pair_sum_product(others)}

    def classify(self, name, u, tangent):
        x, v, p = self.unpack(u)
        if name == "ZH":
            eigenvalues = sorted_eigenvalues(self._A(x, p))
            others = np.delete(eigenvalues, np.argmin(np.abs(eigenvalues)))
            found = hopf_pair(others)
            if found is None:
                return None
            return "ZH", frequency_data(self.model, found[0])
        if name == "BT":
            return "BT", self.bogdanov_takens_data(x, p)
        return name, {}

    def point_data(self, u):
        x, _, p = self.unpack(u)
        return {"eigenvalues": sorted_eigenvalues(self._A(x, p))}


class HopfCurveProblem(EquilibriumCurveProblem):
    """H-C: u = (x, v, kappa, alpha1, alpha2);
    f = 0, (A^2 + kappa I) v = 0, c . v = 1, d . v = 0."""

    def __init__(self, compiled, base, free_indices, v0, A0):
        super().__init__(compiled, base, free_indices)
        n = self.n
        self.size = 2 * n + 2
        self.parameter_slots = (2 * n + 1, 2 * n + 2)
        self.c = v0 / (v0 @ v0)
        self.d = self._orthogonal_part(A0 @ v0, v0)

    @staticmethod
    def _orthogonal_part(w, v):
        """w minus its component along v, normalised (so that d . v = 0 holds at v)."""
        d = w - (w @ v) / (v @ v) * v
        return d / max(np.linalg.norm(d), 1e-300)

    def unpack(self, u):
        n = self.n
        return (np.ascontiguousarray(u[:n]), u[n:2 * n], float(u[2 * n]),
                self.parameters_at(u[2 * n + 1:]))

    def residual(self, u):
        x, v, kappa, p = self.unpack(u)
        A = self._A(x, p)
        Av = A @ v
        return np.concatenate([self._f(x, p), A @ Av + kappa * v, [self.c @ v - 1.0, self.d @ v]])

    def jacobian(self, u):
        n = self.n
        x, v, kappa, p = self.unpack(u)
        A = self._A(x, p)
        Av = A @ v
        action_x, action_alpha = self._action(x, p, v)
        action2_x, action2_alpha = self._action(x, p, Av)
        jac = np.zeros((2 * n + 2, 2 * n + 3))
        jac[:n, :n] = A
        jac[:n, 2 * n + 1:] = self._f_alpha(x, p)
        jac[n:2 * n, :n] = A @ action_x + action2_x
        jac[n:2 * n, n:2 * n] = A @ A + kappa * np.eye(n)
        jac[n:2 * n, 2 * n] = v
        jac[n:2 * n, 2 * n + 1:] = A @ action_alpha + action2_alpha
        jac[2 * n, n:2 * n] = self.c
        jac[2 * n + 1, n:2 * n] = self.d
        return jac

    def accept(self, u, tangent):
        x, v, kappa, p = self.unpack(u)
        self.c = v / (v @ v)
        self.d = self._orthogonal_part(self._A(x, p) @ v, v)  # keeps d . v = 0 here

    def split_eigenvalues(self, A, kappa):
        """(eigenvalues, the rest after removing the pair with lambda^2 closest to -kappa)."""
        eigenvalues = sorted_eigenvalues(A)
        distance = np.abs(eigenvalues**2 + kappa)
        pair = np.argsort(distance)[:2]
        return eigenvalues, np.delete(eigenvalues, pair)

    def lyapunov(self, x, p, kappa, A):
        if kappa <= 0:
            return math.nan
        try:
            return first_lyapunov_coefficient(A, math.sqrt(kappa), self.second(x, p),
                                              self.third(x, p))
        except np.linalg.LinAlgError:  # resonance (2 i omega or 0 an eigenvalue): undefined
            return math.nan

    def test_functions(self, u, tangent):
        x, v, kappa, p = self.unpack(u)
        A = self._A(x, p)
        _, rest = self.split_eigenvalues(A, kappa)
        return {"BT": kappa, "GH": self.lyapunov(x, p, kappa, A),
                "ZH": float(np.prod(rest).real) if len(rest) else math.nan,
                "HH": pair_sum_product(rest) if len(rest) > 1 else math.nan}

    def classify(self, name, u, tangent):
        x, v, kappa, p = self.unpack(u)
        if name == "BT":
            return "BT", self.bogdanov_takens_data(x, p)
        if kappa <= 0:
            return None  # on the neutral-saddle part of the curve
        data = frequency_data(self.model, math.sqrt(kappa))
        if name == "HH":
            _, rest = self.split_eigenvalues(self._A(x, p), kappa)
            found = hopf_pair(rest)
            if found is None:
                return None
            return "HH", {**data, "omega2": found[0]}
        return name, data

    def point_data(self, u):
        x, _, kappa, p = self.unpack(u)
        return {"eigenvalues": sorted_eigenvalues(self._A(x, p))}


def _hopf_start_vector(A, omega):
    """Real v in the Hopf eigenspace with v . A v = 0, |v| = 1."""
    q, _ = hopf_eigenvectors(A, omega)
    a, b = q.real, q.imag
    phi = 0.5 * math.atan2(-2 * (a @ b), (a @ a) - (b @ b))  # Re(q e^{i phi}) orthogonal to Im
    q = q * np.exp(1j * phi)
    v = q.real / np.linalg.norm(q.real)
    return v


def continue_equilibrium_curve(model, point: SpecialPoint, free, bounds, *,
                               options: ContinuationOptions | None = None,
                               progress: bool = False) -> Branch:
    """The fold curve through an LP point (LP-C: CP, BT, ZH located) or the
    Hopf curve through an H point (H-C: BT, GH, ZH, HH) in two parameters
    ``free = (name1, name2)`` within ``bounds`` = {name: (lo, hi)} or
    ((lo1, hi1), (lo2, hi2)). Called through ``continue_curve`` (registry.py)."""
    model = load_model(model)
    options = options or ContinuationOptions()
    if not isinstance(point, SpecialPoint) or point.kind not in ("LP", "H"):
        raise ParameterError("fold and Hopf curves start from an LP or H point, "
                             f"got {getattr(point, 'label', point)!r}")
    indices, bounds = two_parameter_bounds(model, point, free, bounds)
    base = parameter_vector(model, point.parameters)
    compiled = compile_model(model)
    x0 = np.array(point.state, dtype=float)
    A = compiled.jacobian(x0, base)
    alpha0 = base[indices]
    n = model.n_states
    if point.kind == "LP":
        v0 = np.linalg.svd(A)[2][-1]
        problem = FoldCurveProblem(compiled, base, indices, x0, v0)
        u0 = np.concatenate([x0, v0 / (v0 @ problem.c), alpha0])
        kind, slots = "LP-C", {2 * n: bounds[0], 2 * n + 1: bounds[1]}
    else:
        omega = point.data["omega"]
        v0 = _hopf_start_vector(A, omega)
        problem = HopfCurveProblem(compiled, base, indices, v0, A)
        u0 = np.concatenate([x0, v0, [omega**2], alpha0])
        kind, slots = "H-C", {2 * n + 1: bounds[0], 2 * n + 2: bounds[1]}
    # a curve of equilibria outside the physical domain is not physical: stop there
    domain = {} if model.domain_violations(x0) else domain_slots(model)
    curve = trace_with_progress(problem, u0, slots, options,
                                f"{kind} {model.name} in {free[0]}, {free[1]}", progress,
                                domain=domain)
    extra = {}
    if kind == "H-C":
        kappa = np.array([u[2 * n] for u in curve.points])
        extra["kappa"] = kappa
        if model.time_unit in PER_SECOND:  # kappa = omega^2; neutral saddles (kappa <= 0): NaN
            extra["frequency_hz"] = np.where(
                kappa > 0, PER_SECOND[model.time_unit] * np.sqrt(np.abs(kappa)) / (2 * math.pi),
                np.nan)
    return equilibrium_branch(model, kind, tuple(free), curve, base, lambda u: u[:n],
                              lambda u: u[-2:], options_record(options, bounds=bounds), extra)
