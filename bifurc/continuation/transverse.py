"""Transverse instabilities of a network's synchronous state: defining systems.

With W row-stochastic, the synchronous solution of F_k = f(x_k) + eps sum_j
W[k, j] H x_j obeys the homogeneous system g(x, p) = f(x, p) + eps H(p) x
(`bifurc.msf.homogeneous_model`), and a perturbation along eigenvector k of W
(eigenvalue L) obeys xi' = [A(x) + eps L H] xi, A = Df. With Dg = A + eps H the
mode's matrix is Dg + S_L(p), where

    S_L(p) = eps (L - 1) H(p)                       (zero for the homogeneous mode L = 1).

A transverse-instability point (TI) of mode L is where its growth rate crosses
zero along a branch of the homogeneous system: max Re eig(Dg + S_L) = 0 on an
equilibrium, max |mu| = 1 for the Floquet multipliers of xi' = T (Dg(x(t)) + S_L) xi
on a cycle. Its curve in two parameters (TI-C) is continued with

equilibria, u = (x, Re v, Im v, omega, alpha1, alpha2):
    g(x, p) = 0,   (Dg(x, p) + S_L(p) - i omega) v = 0,   conj(c) . v = 1  (complex);
cycles: the rotation system of `cycle_curves.RotationCurveProblem` (the earlier
NS-C system) with the variational matrix shifted by S_L: a multiplier
e^{i theta} of mode L (theta = 0 or pi when it is real; for complex L the real
form couples the real and imaginary parts a, b of the mode).

Both systems are regular wherever the critical eigenvalue (multiplier) is
simple, whatever its kind (real or complex), so one system serves all of them.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .. import symbolic
from ..codegen import compile_model, parameter_vector
from ..errors import ParameterError
from ..units import PER_SECOND
from .build import cycle_branch, equilibrium_branch, options_record, two_parameter_bounds
from .core import ContinuationOptions, trace_with_progress
from .curves import EquilibriumCurveProblem
from .cycle_curves import (RotationCurveProblem, cycle_problem_at, torus_vectors,
                           trace_cycle_curve)
from .equilibria import sorted_eigenvalues
from .floquet import floquet_multipliers


class ModeShift:
    """S_L(p) = eps (L - 1) H(p) and its parameter derivatives, for a homogeneous
    model (one with the parameter ``eps`` and a coupling matrix H)."""

    def __init__(self, homogeneous, L):
        if "eps" not in homogeneous.parameter_names or not homogeneous.coupling:
            raise ParameterError(f"model {homogeneous.name!r} is not a homogeneous network system "
                                 f"(it needs the parameter `eps` and a coupling matrix H); build "
                                 f"one with bifurc.msf.homogeneous_model")
        self.L = complex(L)
        self.eps_index = homogeneous.parameter_index("eps")
        H = symbolic.coupling_matrix(homogeneous)
        symbols = homogeneous.parameter_symbols
        self._H = sp.lambdify(symbols, H, "numpy")
        self._dH = {i: sp.lambdify(symbols, H.diff(s), "numpy") for i, s in enumerate(symbols)
                    if H.diff(s) != sp.zeros(*H.shape)}

    @property
    def is_real(self) -> bool:
        return self.L.imag == 0.0

    def _cast(self, matrix):
        return matrix.real if self.is_real else matrix

    def coupling(self, p) -> np.ndarray:
        return np.array(self._H(*p), dtype=float)

    def matrix(self, p) -> np.ndarray:
        """S_L(p) (real for real L)."""
        return self._cast(p[self.eps_index] * (self.L - 1.0) * self.coupling(p))

    def derivative(self, p, index: int) -> np.ndarray:
        """dS_L / dp[index]."""
        if index == self.eps_index:
            return self._cast((self.L - 1.0) * self.coupling(p))
        if index not in self._dH:  # H does not depend on this parameter
            return np.zeros_like(self.coupling(p))
        return self._cast(p[self.eps_index] * (self.L - 1.0) * np.array(self._dH[index](*p), float))


def shifted_blocks(disc, period: float, S) -> np.ndarray:
    """The change of the collocation blocks of xi' = T A xi when A becomes A + S:
    -h_j T S[i, k] L[c, l] at [j, c, i, l, k] (see ``collocation_variational``)."""
    return -(disc.h[:, None, None, None, None] * period * S[None, None, :, None, :]
             * disc.L[None, :, None, :, None])


def mode_multipliers(cycle_problem, u, shift: ModeShift) -> np.ndarray:
    """Floquet multipliers of xi' = T (Dg(x(t)) + S_L) xi on the collocation mesh of
    a CycleProblem of the homogeneous system at u = (x, T, alpha)."""
    disc = cycle_problem.disc
    _, blocks, _, _ = cycle_problem._system(u)
    S = shift.matrix(cycle_problem.parameters_at(u))
    total = blocks + shifted_blocks(disc, float(u[-2]), S)
    return floquet_multipliers(total)


def mode_eigenvalues(equilibrium_problem, u, shift: ModeShift) -> np.ndarray:
    """Eigenvalues of Dg + S_L at u = (x, alpha) of an EquilibriumProblem of the
    homogeneous system, by decreasing real part."""
    matrix = equilibrium_problem.state_jacobian(u) + shift.matrix(
        equilibrium_problem.parameters_at(u))
    eigenvalues = np.linalg.eigvals(matrix)
    return eigenvalues[np.lexsort((-eigenvalues.imag, -eigenvalues.real))]


class TransverseEquilibriumProblem(EquilibriumCurveProblem):
    """TI-C of an equilibrium: u = (x, Re v, Im v, omega, alpha1, alpha2) with
    g = 0, (Dg + S_L - i omega) v = 0, conj(c) . v = 1."""

    def __init__(self, compiled, base, free_indices, shift: ModeShift, v0):
        super().__init__(compiled, base, free_indices)
        n = self.n
        self.shift = shift
        self.size = 3 * n + 2
        self.parameter_slots = (3 * n + 1, 3 * n + 2)
        self.c = v0 / np.vdot(v0, v0).real

    def unpack(self, u):
        n = self.n
        return (np.ascontiguousarray(u[:n]), u[n:2 * n] + 1j * u[2 * n:3 * n], float(u[3 * n]),
                self.parameters_at(u[3 * n + 1:]))

    def residual(self, u):
        x, v, omega, p = self.unpack(u)
        eigen = (self._A(x, p) + self.shift.matrix(p)) @ v - 1j * omega * v
        normal = np.vdot(self.c, v) - 1.0
        return np.concatenate([self._f(x, p), eigen.real, eigen.imag, [normal.real, normal.imag]])

    def jacobian(self, u):
        n = self.n
        x, v, omega, p = self.unpack(u)
        A = self._A(x, p)
        M = A + self.shift.matrix(p) - 1j * omega * np.eye(n)
        real_x, real_alpha = self._action(x, p, v.real)
        imag_x, imag_alpha = self._action(x, p, v.imag)
        by_alpha = real_alpha + 1j * imag_alpha + np.column_stack(
            [self.shift.derivative(p, i) @ v for i in self.free_indices])
        jac = np.zeros((3 * n + 2, 3 * n + 3))
        jac[:n, :n] = A
        jac[:n, 3 * n + 1:] = self._f_alpha(x, p)
        for rows, part in ((slice(n, 2 * n), np.real), (slice(2 * n, 3 * n), np.imag)):
            jac[rows, :n] = part(real_x + 1j * imag_x)
            jac[rows, n:2 * n] = part(M)
            jac[rows, 2 * n:3 * n] = part(1j * M)
            jac[rows, 3 * n] = part(-1j * v)
            jac[rows, 3 * n + 1:] = part(by_alpha)
        conj_c = np.conj(self.c)
        jac[3 * n, n:2 * n], jac[3 * n, 2 * n:3 * n] = conj_c.real, (1j * conj_c).real
        jac[3 * n + 1, n:2 * n], jac[3 * n + 1, 2 * n:3 * n] = conj_c.imag, (1j * conj_c).imag
        return jac

    def accept(self, u, tangent):
        _, v, _, _ = self.unpack(u)
        self.c = v / np.vdot(v, v).real  # the current point keeps conj(c) . v = 1

    def point_data(self, u):
        x, _, omega, p = self.unpack(u)
        return {"eigenvalues": sorted_eigenvalues(self._A(x, p)), "omega": omega}


class TransverseCycleProblem(RotationCurveProblem):
    """TI-C of a cycle: the rotation system of ``cycle_curves.RotationCurveProblem``
    whose variational equation carries the mode's shift, v' = T (Dg + S_L) v with
    v = a + i b; for complex L (S_L = S_r + i S_i) the real form couples a and b:
    a' = T ((Dg + S_r) a - S_i b),  b' = T ((Dg + S_r) b + S_i a)."""

    def __init__(self, compiled, base, free_indices, disc, x_ref, a_ref, b_ref, shift: ModeShift):
        self.shift = shift
        super().__init__(compiled, base, free_indices, disc, x_ref, a_ref, b_ref)

    def _extra_terms(self, points, vectors, period, p, parts):
        disc = self.disc
        n, ncol = disc.n, disc.ncol
        S = self.shift.matrix(p).astype(complex)
        derivatives = [self.shift.derivative(p, int(i)).astype(complex) for i in self.free]
        index = np.arange(disc.ntst)[:, None] * ncol + np.arange(ncol + 1)[None, :]
        h = disc.h[:, None, None]
        at_gauss = [np.einsum("cl,jln->jcn", disc.L, np.vstack([v.reshape(-1, n), end])[index])
                    for v, end in vectors]
        mode = at_gauss[0] + 1j * at_gauss[1]          # v = a + i b at the Gauss points
        Sv = mode @ S.T
        block = shifted_blocks(disc, period, S.real)
        for k, (r, bvv, _, dT, dp) in enumerate(parts):
            part = np.real if k == 0 else np.imag
            r -= h * period * part(Sv)
            bvv += block
            dT -= h * part(Sv)
            for q, dS in enumerate(derivatives):
                dp[..., q] -= h * period * part(mode @ dS.T)

    def _extra_blocks(self, add, u, rotation):
        if self.shift.is_real:
            return
        _, _, _, period, _, p = self.unpack(u)
        coupling = shifted_blocks(self.disc, period, self.shift.matrix(p).imag).ravel()
        self._add_vector_block(add, 0, 1, -coupling, rotation)  # a' gets -T S_i b
        self._add_vector_block(add, 1, 0, coupling, rotation)   # b' gets +T S_i a

    def test_functions(self, u, tangent):
        return {}  # the homogeneous cycle's own resonances do not apply to mode L



def complex_start_vector(matrix, eigenvalue) -> np.ndarray:
    """The eigenvector of ``matrix`` for its eigenvalue closest to ``eigenvalue``,
    normalised to unit length."""
    eigenvalues, vectors = np.linalg.eig(matrix)
    v = vectors[:, np.argmin(np.abs(eigenvalues - eigenvalue))]
    return v / np.linalg.norm(v)


def crossing_angle_kind(multiplier, tolerance: float = 1e-6) -> str:
    """'fold' (multiplier +1), 'flip' (-1) or 'torus' (complex) for a cycle's mode."""
    angle = abs(math.atan2(multiplier.imag, multiplier.real))
    if angle < tolerance:
        return "fold"
    if math.pi - angle < tolerance:
        return "flip"
    return "torus"


def continue_transverse_curve(model, point, free, bounds, *, options=None,
                              progress: bool = False):
    """Continue the transverse-instability curve (TI-C) through a TI point of a
    branch of the homogeneous system ``model`` in ``free = (name1, name2)``
    within ``bounds``: the synchrony boundary of the point's mode L. Returns a
    Branch of kind "TI-C" (extra: ``L``; ``omega`` on equilibria, ``theta`` and
    ``period`` on cycles)."""
    L = complex(*point.data["L"])
    shift = ModeShift(model, L)  # first: a model that is not homogeneous is named as such
    indices, bounds = two_parameter_bounds(model, point, free, bounds)
    compiled = compile_model(model)
    if point.branch_kind == "LC-C":
        base, disc, x, u_cycle, cycle = cycle_problem_at(model, point, compiled, indices[0])
        period, angle = point.data["period"], point.data["angle"]
        a, b = torus_vectors(cycle, u_cycle, angle,
                             shifted_blocks(disc, period, shift.matrix(base)))
        problem = TransverseCycleProblem(compiled, base, indices, disc, x, a, b, shift)
        u0 = np.concatenate([x, a, b, [period, angle], base[indices]])
        options = options or ContinuationOptions(step_size=0.01, max_step_size=0.2, max_points=300)
        curve = trace_cycle_curve(problem, u0, bounds, options, f"TI-C {model.name}", progress)
        branch = cycle_branch(model, "TI-C", free, curve, base,
                              options_record(options, bounds=bounds))
    else:
        base = parameter_vector(model, point.parameters)
        x0 = np.array(point.state, dtype=float)
        critical = complex(*point.data["eigenvalue"])
        critical = complex(critical.real, abs(critical.imag)) if shift.is_real else critical
        matrix = compiled.jacobian(x0, base) + shift.matrix(base)
        v0 = complex_start_vector(matrix, critical)
        problem = TransverseEquilibriumProblem(compiled, base, indices, shift, v0)
        n = model.n_states
        u0 = np.concatenate([x0, v0.real, v0.imag, [critical.imag], base[indices]])
        options = options or ContinuationOptions()
        slots = {3 * n + 1: bounds[0], 3 * n + 2: bounds[1]}
        curve = trace_with_progress(problem, u0, slots, options,
                                    f"TI-C {model.name} in {free[0]}, {free[1]}", progress)
        omega = np.array([d["omega"] for d in curve.point_data])
        extra = {"omega": omega}
        if model.time_unit in PER_SECOND:
            extra["frequency_hz"] = PER_SECOND[model.time_unit] * np.abs(omega) / (2 * math.pi)
        branch = equilibrium_branch(model, "TI-C", tuple(free), curve, base, lambda u: u[:n],
                                    lambda u: u[-2:], options_record(options, bounds=bounds),
                                    extra)
    branch.extra["L"] = np.full(len(branch), L)
    return branch
