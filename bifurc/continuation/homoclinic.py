"""Homoclinic orbits to a hyperbolic saddle, continued in two parameters (HOM-C).

The orbit is truncated to a finite time interval and rescaled to tau in
[0, 1] (Beyn 1990; Champneys, Kuznetsov & Sandstede 1996; as HomCont in
AUTO-07p and HomC in MatCont):

    x'(tau) = T f(x, p)                         orthogonal collocation, NTST x NCOL
    f(x0, p) = 0                                the saddle x0 is an unknown
    L_s(x0, p)^T (x(0) - x0) = 0                x(0) in the unstable subspace
    L_u(x0, p)^T (x(1) - x0) = 0                x(1) in the stable subspace
    int_0^1 (x - x_ref) . x_ref' dtau = 0       phase (fixes the shift in time)

with T fixed and two free parameters. L_s (n x n_s) spans the stable
invariant subspace of A^T = Df(x0, p)^T, whose orthogonal complement is the
unstable subspace of A, and L_u (n x n_u) the unstable one (projection
boundary conditions). Each basis comes from an ordered real Schur form of A^T
and is normalised against the basis of the last accepted point, L = Z (R^T
Z)^-1, so that it is a smooth function of (x0, p) between accepted points;
the derivatives of the boundary rows in (x0, p) are taken by forward
differences (the corrector's residual is exact; only its Jacobian is
approximate there), everything else analytically.

Unknowns u = (x at the NTST NCOL + 1 representation points, x0, p1, p2):
N = NTST NCOL n + 2 n + 1 equations in N + 1 unknowns, a curve.

Along the curve the saddle's leading eigenvalues are watched (HomCont's
names): NSS/NSF where the sum of the real parts of the leading stable and
unstable eigenvalues vanishes (neutral saddle, saddle-focus); DRS/DRU where
the two leading stable (unstable) eigenvalues collide on the real axis (a
saddle turns into a saddle-focus); TLS/TLU where a complex pair overtakes a
real leading eigenvalue (three leading eigenvalues). The curve ends where the saddle stops
being hyperbolic (a saddle-node: the non-central saddle-node homoclinic, or
a Bogdanov-Takens point), with a message that says so.
"""

from __future__ import annotations

import math
from dataclasses import replace
from math import comb

import numpy as np
import scipy.linalg
import scipy.sparse as sps

from ..codegen import compile_model, parameter_vector
from ..errors import ParameterError
from ..model_files import load_model
from .branch import SpecialPoint
from .bt_homoclinic import bogdanov_takens_homoclinic
from .build import cycle_branch, make_branch, options_record, orbit_row, two_parameter_bounds
from .collocation import Discretisation, collocation_blocks, lagrange_at, lagrange_tables
from .core import ContinuationOptions, CurveEnd, NewtonFailure, SparseBorderedProblem, correct
from .cycle_curves import trace_cycle_curve
from .cycle_ends import slow_passage
from .cycles import CycleProblem
from .equilibria import newton_equilibrium, sorted_eigenvalues

#: relative step of the forward differences of the boundary rows in (x0, p)
DIFFERENCE_STEP = 1e-7
#: an eigenvalue with |Re| below this fraction of the largest modulus makes the
#: saddle non-hyperbolic (the curve ends there)
HYPERBOLIC_MARGIN = 1e-6
#: when the step size collapses with an eigenvalue of the saddle this close to
#: the imaginary axis (relative), the end is reported as a saddle-node
SADDLE_NODE_MARGIN = 1e-2
#: largest distance of the orbit's ends from the saddle, relative to the
#: orbit's extent, for it to count as a homoclinic orbit: beyond it T is too
#: short for the saddle's rates (near a BT point or a saddle-node) and the
#: curve ends. (With projection boundary conditions the parameters' error is
#: far smaller than this gap, about its square (Beyn 1990): the ei test's
#: start, gap 2.3e-2, agrees with shooting to 5e-8.)
TRUNCATION_LIMIT = 0.05
#: default amplitude epsilon of the start at a Bogdanov-Takens point, relative
#: to the slowest of the other rates there (_start_at_bogdanov_takens)
BT_AMPLITUDE = 1e-2


class OpenMesh:
    """NTST intervals x NCOL collocation points on [0, 1] for an orbit that is
    not closed: NTST NCOL + 1 representation points (both ends are unknowns)."""

    def __init__(self, n: int, ntst: int, ncol: int, mesh=None):
        if ntst < 2 or not 1 <= ncol <= 7:
            raise ParameterError(f"need NTST >= 2 and 1 <= NCOL <= 7, got NTST={ntst}, "
                                 f"NCOL={ncol}")
        self.n, self.ntst, self.ncol = n, ntst, ncol
        self.mesh = np.linspace(0.0, 1.0, ntst + 1) if mesh is None else np.asarray(mesh, float)
        self.h = np.diff(self.mesh)
        self.L, self.D, self.gauss_weights = lagrange_tables(ncol)
        self.n_points = ntst * ncol + 1
        self.size = self.n_points * n
        local = np.arange(ncol) / ncol
        self.tau = np.concatenate([(self.mesh[:-1, None] + self.h[:, None] * local).ravel(),
                                   [1.0]])
        j, c, i, l, k = np.meshgrid(np.arange(ntst), np.arange(ncol), np.arange(n),
                                    np.arange(ncol + 1), np.arange(n), indexing="ij")
        self.block_rows = ((j * ncol + c) * n + i).ravel()
        self.block_cols = ((j * ncol + l) * n + k).ravel()

    def segments(self, x_flat):
        """(NTST, NCOL + 1, n): each interval's representation points."""
        points = np.asarray(x_flat).reshape(self.n_points, self.n)
        index = np.arange(self.ntst)[:, None] * self.ncol + np.arange(self.ncol + 1)[None, :]
        return points[index]

    def weights(self) -> np.ndarray:
        """Quadrature weights of the representation points, per state."""
        w = np.zeros(self.n_points)
        w[:-1] = np.repeat(self.h / self.ncol, self.ncol)
        w[-1] = w[0]
        return np.repeat(w, self.n)

    def evaluate(self, x_flat, tau):
        """The orbit at positions tau in [0, 1], shape (len, n)."""
        tau = np.clip(np.atleast_1d(np.asarray(tau, float)), 0.0, 1.0)
        interval = np.clip(np.searchsorted(self.mesh, tau, side="right") - 1, 0, self.ntst - 1)
        basis = lagrange_at(self.ncol, (tau - self.mesh[interval]) / self.h[interval])
        return np.einsum("tl,tln->tn", basis, self.segments(x_flat)[interval])

    def phase_row(self, reference_flat):
        """r with r . x = int_0^1 x(tau) . x_ref'(tau) dtau (Gauss quadrature)."""
        segments = self.segments(reference_flat)
        slopes = np.einsum("cl,jln->jcn", self.D, segments) / self.h[:, None, None]
        contribution = np.einsum("c,cl,jci->jli", self.gauss_weights, self.L, slopes)
        contribution *= self.h[:, None, None]
        row = np.zeros((self.n_points, self.n))
        for l in range(self.ncol + 1):
            np.add.at(row, np.arange(self.ntst) * self.ncol + l, contribution[:, l, :])
        return row.ravel()

    def extremes(self, x_flat, per_interval: int = 8):
        """(max, min) of each state over the orbit, sampled at ``per_interval``
        points of every mesh interval as well as the representation points."""
        segments = self.segments(x_flat)
        basis = lagrange_at(self.ncol, (np.arange(per_interval) + 0.5) / per_interval)
        fine = np.einsum("tl,jln->jtn", basis, segments).reshape(-1, self.n)
        points = np.asarray(x_flat).reshape(self.n_points, self.n)
        return (np.maximum(fine.max(axis=0), points.max(axis=0)),
                np.minimum(fine.min(axis=0), points.min(axis=0)))

    def equidistributed_mesh(self, x_flat):
        """A mesh equidistributing h_j |x^(NCOL)|_j^(1/(NCOL+1)), the local error
        indicator of collocation (neighbours averaged, ends not wrapped)."""
        segments = self.segments(x_flat)
        coefficients = np.array([(-1) ** (self.ncol - l) * comb(self.ncol, l)
                                 for l in range(self.ncol + 1)], float)
        derivative = np.einsum("l,jln->jn", coefficients, segments)
        derivative *= ((self.ncol / self.h) ** self.ncol)[:, None]
        size = np.linalg.norm(derivative, axis=1) + 1e-12 * (1 + np.abs(segments).max())
        density = size ** (1.0 / (self.ncol + 1))
        padded = np.concatenate([density[:1], density, density[-1:]])
        density = (padded[:-2] + 2 * density + padded[2:]) / 4
        cumulative = np.concatenate([[0.0], np.cumsum(density * self.h)])
        cumulative /= cumulative[-1]
        mesh = np.interp(np.linspace(0.0, 1.0, self.ntst + 1), cumulative, self.mesh)
        mesh[0], mesh[-1] = 0.0, 1.0
        return mesh


def adapted_open_mesh(n: int, ntst: int, ncol: int, orbit, rounds: int = 2) -> OpenMesh:
    """An OpenMesh concentrated where ``orbit(tau)`` ((len(tau), n) for tau in
    [0, 1]) needs it: ``rounds`` times equidistributed from a uniform start."""
    mesh = OpenMesh(n, ntst, ncol)
    for _ in range(rounds):
        mesh = OpenMesh(n, ntst, ncol, mesh.equidistributed_mesh(np.ravel(orbit(mesh.tau))))
    return mesh


def invariant_basis(A, stable: bool, margin: float = 0.0) -> tuple[np.ndarray, int]:
    """(Z, k): orthonormal basis of the invariant subspace of A for its eigenvalues
    with real parts below -margin (``stable``) or above margin, and its dimension."""
    if stable:
        _, Z, k = scipy.linalg.schur(A, output="real", sort=lambda re, im: re < -margin)
    else:
        _, Z, k = scipy.linalg.schur(A, output="real", sort=lambda re, im: re > margin)
    return Z[:, :k], k


def normalised(Z, reference):
    """Z (R^T Z)^-1: the basis of span(Z) that R^T maps to the identity (unique,
    so it varies smoothly with the subspace)."""
    return Z @ np.linalg.inv(reference.T @ Z)


def _leading_pair_test(side) -> float:
    """Of eigenvalues ordered from the imaginary axis outwards: -(2 Im l1)^2
    when the leading one is complex (a saddle-focus on that side), |l1 - l2|^2
    when it is real. Zero where two real leading eigenvalues meet (DRS/DRU);
    a jump where a complex pair overtakes a real one (TLS/TLU)."""
    if abs(side[0].imag) > 0:
        return -float((2 * side[0].imag) ** 2)
    return float(abs(side[0] - side[1]) ** 2)


class HomoclinicProblem(SparseBorderedProblem):
    """HOM-C: the defining system of the module doc, in p[indices]."""

    reuse_factorization = True  # chord iterations: the factorisation serves until they stall

    def __init__(self, compiled, base, indices, mesh: OpenMesh, period: float, x_ref, saddle,
                 adapt_mesh: bool = True, free_period: bool = False):
        self.compiled = compiled
        self.free_period = free_period
        leaving = np.asarray(x_ref, float)[:len(saddle)] - saddle
        #: with T free, the distance of x(0) from the saddle along its direction at
        #: the last accepted point keeps its start value (HomCont's eps0, linear)
        self.start_distance = float(np.linalg.norm(leaving))
        self.leaving_direction = leaving / max(self.start_distance, 1e-300)
        self.model = compiled.model
        self.kernels = compiled.kernels
        self.base = np.array(base, dtype=float)
        self.indices = tuple(int(i) for i in indices)
        self.period = float(period)
        self.adapt_mesh = adapt_mesh
        saddle = np.asarray(saddle, float)
        A = compiled.jacobian(saddle, self._parameters(self.base[list(indices)]))
        self.stable_ref, self.n_stable, self.unstable_ref, self.n_unstable = self._bases(A)
        self._check_equilibrium(A, saddle)
        self._set_mesh(mesh, x_ref)

    # --- what the orbit is homoclinic to (a subclass changes these)

    def _bases(self, A):
        """(Zs, ks, Zu, ku): the stable and unstable invariant subspaces of A^T."""
        Zs, ks = invariant_basis(A.T, stable=True)
        Zu, ku = invariant_basis(A.T, stable=False)
        return Zs, ks, Zu, ku

    def _check_equilibrium(self, A, saddle):
        n = self.model.n_states
        if self.n_stable == 0 or self.n_unstable == 0 or self.n_stable + self.n_unstable != n:
            raise ParameterError(
                f"the equilibrium at {np.round(saddle, 6).tolist()} is not a hyperbolic saddle "
                f"(eigenvalues {np.round(np.linalg.eigvals(A), 6).tolist()}): a homoclinic orbit "
                f"to it cannot be continued as HOM-C")

    def _extra_boundary(self, A, saddle, alpha) -> list:
        """Conditions on the equilibrium beyond f(x0) = 0 (none for a saddle)."""
        return []

    def _set_mesh(self, mesh, x_ref):
        n = self.model.n_states
        self.mesh = mesh
        self.x_slots = slice(0, mesh.size)
        self.saddle_slots = slice(mesh.size, mesh.size + n)
        extra = 1 if self.free_period else 0  # T sits between x0 and the parameters
        self.period_slot = mesh.size + n if self.free_period else None
        self.parameter_slots = (mesh.size + n + extra, mesh.size + n + extra + 1)
        self.size = mesh.size - n + 2 * n + 1 + extra  # equations
        # T counts relative to its start value in the arclength (it may be ~1e3)
        self.inner_weights = np.concatenate([mesh.weights(), np.ones(n),
                                             [self.period**-2] * extra, np.ones(2)])
        self.phase = mesh.phase_row(x_ref)
        self.phase_value = float(self.phase @ x_ref)
        self._cache_key = None

    def _parameters(self, alpha):
        p = self.base.copy()
        p[list(self.indices)] = alpha
        return p

    def parameters_at(self, u):
        return self._parameters(u[-2:])

    def period_at(self, u) -> float:
        return float(u[self.period_slot]) if self.free_period else self.period

    def _collocation(self, u):
        key = u.tobytes()
        if key != self._cache_key:
            mesh = self.mesh
            residual, blocks, d_period, columns = collocation_blocks(
                self.kernels, u[self.x_slots].reshape(mesh.n_points, mesh.n), mesh.h,
                self.period_at(u), self.parameters_at(u), self.indices, mesh.L, mesh.D)
            self._cache_key = key
            self._cache = (residual, blocks, columns)
            self._d_period = d_period
        return self._cache

    def _boundary(self, x_start, x_end, saddle, alpha):
        """[L_s^T (x(0) - x0); L_u^T (x(1) - x0)] with the normalised bases."""
        A = self.compiled.jacobian(saddle, self._parameters(alpha))
        Zs, ks, Zu, ku = self._bases(A)
        if ks != self.n_stable or ku != self.n_unstable:
            raise NewtonFailure(f"the equilibrium has {ku} unstable eigenvalues there, the "
                                f"saddle {self.n_unstable}")
        Ls, Lu = normalised(Zs, self.stable_ref), normalised(Zu, self.unstable_ref)
        return np.concatenate([Ls.T @ (x_start - saddle), Lu.T @ (x_end - saddle),
                               self._extra_boundary(A, saddle, alpha)]), Ls, Lu

    def _ends(self, u):
        n = self.model.n_states
        x = u[self.x_slots]
        return x[:n], x[-n:], u[self.saddle_slots], u[-2:]

    def residual(self, u):
        colloc, _, _ = self._collocation(u)
        x_start, x_end, saddle, alpha = self._ends(u)
        boundary, _, _ = self._boundary(x_start, x_end, saddle, alpha)
        extra = ([self.leaving_direction @ (x_start - saddle) - self.start_distance]
                 if self.free_period else [])
        return np.concatenate([colloc, self.compiled.vector_field(saddle, self.parameters_at(u)),
                               boundary, [self.phase @ u[self.x_slots] - self.phase_value],
                               extra])

    def _assemble(self, u, row):
        mesh, n = self.mesh, self.model.n_states
        _, blocks, parameter_columns = self._collocation(u)
        x_start, x_end, saddle, alpha = self._ends(u)
        p = self.parameters_at(u)
        n_colloc = mesh.size - n
        s0 = self.saddle_slots.start
        rows, cols, values = [mesh.block_rows], [mesh.block_cols], [blocks.ravel()]
        for slot, column in zip(self.parameter_slots, parameter_columns):
            rows.append(np.arange(n_colloc))
            cols.append(np.full(n_colloc, slot))
            values.append(column)
        # the saddle: f(x0, p) = 0
        r = n_colloc + np.arange(n)
        grid_r, grid_c = np.meshgrid(r, np.arange(n), indexing="ij")
        rows.append(grid_r.ravel())
        cols.append((s0 + grid_c).ravel())
        values.append(self.compiled.jacobian(saddle, p).ravel())
        fp = self.compiled.parameter_jacobian(saddle, p)[:, list(self.indices)]
        for k, slot in enumerate(self.parameter_slots):
            rows.append(r)
            cols.append(np.full(n, slot))
            values.append(fp[:, k])
        # boundary rows: exact in the end points, forward differences in (x0, p)
        rb = n_colloc + n + np.arange(n)
        boundary, Ls, Lu = self._boundary(x_start, x_end, saddle, alpha)
        grid_r, grid_c = np.meshgrid(rb[:self.n_stable], np.arange(n), indexing="ij")
        rows.append(grid_r.ravel())
        cols.append(grid_c.ravel())
        values.append(Ls.T.ravel())
        grid_r, grid_c = np.meshgrid(rb[self.n_stable:self.n_stable + self.n_unstable],
                                     np.arange(n), indexing="ij")
        rows.append(grid_r.ravel())
        cols.append((mesh.size - n + grid_c).ravel())
        values.append(Lu.T.ravel())
        variables = np.concatenate([saddle, alpha])
        slots = list(range(s0, s0 + n)) + list(self.parameter_slots)
        for k, slot in enumerate(slots):
            step = DIFFERENCE_STEP * max(1.0, abs(variables[k]))
            v = variables.copy()
            v[k] += step
            rows.append(rb)
            cols.append(np.full(n, slot))
            values.append((self._boundary(x_start, x_end, v[:n], v[n:])[0] - boundary) / step)
        # phase
        rows.append(np.full(mesh.size, rb[-1] + 1))
        cols.append(np.arange(mesh.size))
        values.append(self.phase)
        if self.free_period:  # d/dT of the collocation rows; d . (x(0) - x0) = eps0
            rows.append(np.arange(n_colloc))
            cols.append(np.full(n_colloc, self.period_slot))
            values.append(self._d_period)
            rows.append(np.full(2 * n, rb[-1] + 2))
            cols.append(np.concatenate([np.arange(n), np.arange(s0, s0 + n)]))
            values.append(np.concatenate([self.leaving_direction, -self.leaving_direction]))
        n_rows = self.size
        if row is not None:
            rows.append(np.full(len(u), n_rows))
            cols.append(np.arange(len(u)))
            values.append(row)
            n_rows += 1
        return sps.csc_matrix((np.concatenate(values), (np.concatenate(rows),
                                                        np.concatenate(cols))),
                              shape=(n_rows, len(u)))

    # --- along the curve
    def saddle_eigenvalues(self, u):
        return sorted_eigenvalues(self.compiled.jacobian(u[self.saddle_slots],
                                                         self.parameters_at(u)))

    def test_functions(self, u, tangent) -> dict:
        eigenvalues = self.saddle_eigenvalues(u)
        stable = eigenvalues[eigenvalues.real < 0]      # decreasing real part: leading first
        unstable = eigenvalues[eigenvalues.real > 0][::-1]
        tests = {}
        if len(stable) and len(unstable):
            tests["NSS"] = float(stable[0].real + unstable[0].real)
        if len(stable) >= 2:
            tests["DRS"] = _leading_pair_test(stable)
        if len(unstable) >= 2:
            tests["DRU"] = _leading_pair_test(unstable)
        return tests

    def classify(self, name, u, tangent):
        eigenvalues = self.saddle_eigenvalues(u)
        data = {"saddle": u[self.saddle_slots].tolist(),
                "eigenvalues": [[z.real, z.imag] for z in eigenvalues],
                # the orbit, so that the point restarts HOM-C
                **self.orbit_data(u)}
        if name in ("DRS", "DRU"):
            side = (eigenvalues[eigenvalues.real < 0] if name == "DRS"
                    else eigenvalues[eigenvalues.real > 0][::-1])
            scale = max(1.0, float(np.abs(eigenvalues).max()))
            if abs(side[0] - side[1]) > 1e-3 * scale:
                # the leading eigenvalue switched between a real one and a complex
                # pair with the same real part: three leading eigenvalues
                return ("TLS" if name == "DRS" else "TLU"), data
            return name, data
        if name == "NSS":
            stable = eigenvalues[eigenvalues.real < 0]
            unstable = eigenvalues[eigenvalues.real > 0][::-1]
            focus = abs(stable[0].imag) > 0 or abs(unstable[0].imag) > 0
            return ("NSF" if focus else "NSS"), data
        return name, data

    def orbit_data(self, u) -> dict:
        """The orbit as plain data: period (T), ncol, mesh, profile (open)."""
        points = u[self.x_slots].reshape(self.mesh.n_points, self.model.n_states)
        return {"period": self.period_at(u), "ncol": self.mesh.ncol, "mesh": self.mesh.mesh.tolist(),
                "profile": points.tolist()}

    def point_data(self, u) -> dict:
        points = u[self.x_slots].reshape(self.mesh.n_points, self.model.n_states)
        high, low = self.mesh.extremes(u[self.x_slots])
        return {"eigenvalues": self.saddle_eigenvalues(u), "saddle": u[self.saddle_slots].copy(),
                "profile": points.copy(), "mesh": self.mesh.mesh.copy(),
                "max": high, "min": low, "period": self.period_at(u),
                "distance": float(max(np.linalg.norm(points[0] - u[self.saddle_slots]),
                                      np.linalg.norm(points[-1] - u[self.saddle_slots])))}

    def truncation_gap(self, u) -> float:
        """Distance of the orbit's ends from the saddle over the orbit's extent."""
        points = u[self.x_slots].reshape(self.mesh.n_points, self.model.n_states)
        offsets = np.linalg.norm(points - u[self.saddle_slots], axis=1)
        return float(max(offsets[0], offsets[-1]) / max(offsets.max(), 1e-300))

    def accept(self, u, tangent) -> None:
        """End the curve where the saddle loses hyperbolicity or where T gets
        too short for its rates (TRUNCATION_LIMIT); else new references."""
        gap = self.truncation_gap(u)
        if gap > TRUNCATION_LIMIT:
            raise CurveEnd("truncation", f"the orbit's ends are {gap:.1e} of its extent away "
                           f"from the saddle: the saddle's rates are too slow for the "
                           f"truncation time T = {self.period_at(u):.6g} (near a Bogdanov-Takens "
                           f"point or a saddle-node), HOM-C ends before it; restart from "
                           f"its last point with T free or longer", keep=False)
        end = self._saddle_node_end(u, HYPERBOLIC_MARGIN)
        if end is not None:
            raise end
        self.update_references(u)

    def update_references(self, u) -> None:
        """The phase, the bases the projections are normalised against, and the
        direction in which the orbit leaves (for T free), at the accepted u."""
        A = self.compiled.jacobian(u[self.saddle_slots], self.parameters_at(u))
        self.stable_ref, _, self.unstable_ref, _ = self._bases(A)
        self.phase = self.mesh.phase_row(u[self.x_slots])
        self.phase_value = float(self.phase @ u[self.x_slots])
        leaving = u[:self.model.n_states] - u[self.saddle_slots]
        self.leaving_direction = leaving / max(np.linalg.norm(leaving), 1e-300)
        self._cache_key = None

    def _saddle_node_end(self, u, margin):
        """A CurveEnd when an eigenvalue of the saddle is within ``margin``
        (relative) of the imaginary axis: a BT point where two are near zero
        (within SADDLE_NODE_MARGIN), else the non-central saddle-node homoclinic
        orbit NCH (HOM-C meets a fold curve; a SNIC curve starts there). The
        end is a special point that carries the orbit."""
        eigenvalues = self.saddle_eigenvalues(u)
        scale = max(1.0, float(np.abs(eigenvalues).max()))
        distances = np.sort(np.abs(eigenvalues.real))
        if distances[0] >= margin * scale:
            return None
        closest = eigenvalues[np.argmin(np.abs(eigenvalues.real))]
        near_zero = np.sum(np.abs(eigenvalues) < SADDLE_NODE_MARGIN * scale)
        kind = "BT" if near_zero >= 2 else "NCH"
        what = ("a Bogdanov-Takens point (two eigenvalues near zero)" if kind == "BT" else
                "the non-central saddle-node homoclinic orbit NCH, where HOM-C meets a fold "
                "curve (the SNIC curve continues from the NCH point)")
        data = {"saddle": u[self.saddle_slots].tolist(),
                "eigenvalues": [[z.real, z.imag] for z in eigenvalues], **self.orbit_data(u)}
        state = "no longer" if margin == HYPERBOLIC_MARGIN else "nearly not"
        return CurveEnd("saddle-node", f"the saddle is {state} hyperbolic (eigenvalue "
                        f"{closest.real:.3g}{closest.imag:+.3g}i closest to the imaginary "
                        f"axis): HOM-C ends at {what}", point=(kind, data))

    def explain_end(self, u, tangent):
        """Why the step size collapsed, when the saddle is close to losing
        hyperbolicity (an eigenvalue near the imaginary axis): the curve runs
        into a saddle-node of the equilibrium (NCH) or a BT point."""
        return self._saddle_node_end(u, SADDLE_NODE_MARGIN)

    def remap(self, u, tangent):
        """Every third point, move u and its tangent to a mesh that
        equidistributes the collocation error."""
        self._accepted = getattr(self, "_accepted", 0) + 1
        if not self.adapt_mesh or self._accepted % 3:
            return u, tangent
        mesh = self.mesh
        new_mesh = mesh.equidistributed_mesh(u[self.x_slots])
        if np.abs(new_mesh - mesh.mesh).max() < 0.05 * mesh.h.min():
            return u, tangent
        new = OpenMesh(mesh.n, mesh.ntst, mesh.ncol, new_mesh)
        x = mesh.evaluate(u[self.x_slots], new.tau).ravel()
        tx = mesh.evaluate(tangent[self.x_slots], new.tau).ravel()
        self._set_mesh(new, x)
        u = np.concatenate([x, u[mesh.size:]])
        tangent = np.concatenate([tx, tangent[mesh.size:]])
        return u, tangent / math.sqrt((self.inner_weights * tangent) @ tangent)


def cut_orbit(model, disc, x, cut: float):
    """(OpenMesh, x): the closed orbit x (on ``disc``) opened at tau = ``cut``;
    the mesh keeps every old mesh point (one interval more)."""
    shifted = np.unique(np.concatenate([(disc.mesh[:-1] - cut) % 1.0, [0.0, 1.0]]))
    keep = np.concatenate([[True], np.diff(shifted) > 1e-9])
    shifted = shifted[keep]
    shifted[-1] = 1.0
    open_mesh = OpenMesh(model.n_states, len(shifted) - 1, disc.ncol, shifted)
    return open_mesh, disc.evaluate(x, (open_mesh.tau + cut) % 1.0).ravel()


def _cut_at_saddle(model, compiled, base, mesh, ncol, profile, period):
    """(OpenMesh, x, saddle): a long-period cycle cut where it passes closest to
    the saddle it lingers at, so that both ends of the open orbit lie next to
    the saddle."""
    disc = Discretisation(model.n_states, len(mesh) - 1, ncol, np.asarray(mesh, float))
    x = np.asarray(profile, float)[:-1].ravel()
    passage = slow_passage(compiled, base, disc, x)
    if passage is None:
        raise ParameterError(
            f"the orbit (period {period:.6g}) does not slow down near an equilibrium anywhere: "
            f"it is not close to a homoclinic orbit (its period is too short); start from a "
            f"cycle closer to the end of its family")
    if passage["equilibrium"] is None or passage["equilibrium_kind"] not in ("saddle",
                                                                              "saddle-focus"):
        kind = passage["equilibrium_kind"]
        raise ParameterError(
            f"the orbit lingers near a {kind}, not a hyperbolic saddle: "
            + ("a SNIC, not a homoclinic orbit to a saddle (continue it as SNIC-C from the "
               "SNIC point)" if kind in ("bottleneck", "saddle-node")
               else "HOM-C needs a saddle"))
    saddle = np.array(passage["equilibrium"])
    fine = np.linspace(0.0, 1.0, 4097)[:-1]
    distances = np.linalg.norm(disc.evaluate(x, fine) - saddle, axis=1)
    open_mesh, x_open = cut_orbit(model, disc, x, float(fine[np.argmin(distances)]))
    return open_mesh, x_open, saddle


def orbit_of(point):
    """(parameters, mesh, ncol, closed profile, period) of a start point."""
    if hasattr(point, "profile") and hasattr(point, "mesh"):  # a PeriodicOrbit
        return point.parameters, point.mesh, point.ncol, point.profile, point.period
    data = getattr(point, "data", {})
    missing = [k for k in ("mesh", "ncol", "profile", "period") if k not in data]
    if missing:
        raise ParameterError(f"the point {getattr(point, 'label', point)!r} carries no orbit "
                             f"(no {', '.join(missing)}): this curve starts from a point that "
                             f"does (the HOM or SNIC point of a cycle family, a point of a "
                             f"HOM-C, SNIC-C or cycle curve) or a long-period PeriodicOrbit")
    return point.parameters, data["mesh"], data["ncol"], data["profile"], data["period"]


def _start_at_bogdanov_takens(model, compiled, point, indices, epsilon, period, ntst, ncol):
    """(OpenMesh, x, saddle, parameters, direction) of the asymptotic
    homoclinic orbit near the BT ``point`` (bt_homoclinic.py); ``epsilon``
    defaults to BT_AMPLITUDE times the slowest rate |lambda| of the other
    eigenvalues there (the orbit must be slow next to them), or times |A| for
    a planar system."""
    base = parameter_vector(model, point.parameters)
    x0 = np.asarray(point.state, float)
    if epsilon is None:
        A = compiled.jacobian(x0, base)
        rates = np.sort(np.abs(np.linalg.eigvals(A)))[2:]
        scale = rates.min() if len(rates) else np.linalg.norm(A, 2)
        epsilon = BT_AMPLITUDE * max(float(scale), 1e-9)
    predicted = bogdanov_takens_homoclinic(compiled, x0, base, indices, epsilon, period)
    mesh = adapted_open_mesh(model.n_states, ntst, ncol, predicted.orbit)  # on the pulse
    return (mesh, predicted.orbit(mesh.tau).ravel(), predicted.saddle, predicted.parameters,
            predicted.direction, predicted.period)


def correct_start(problem, u0, across, options, message: str):
    """u0 corrected onto the defining system by full Newton (the curve's
    chord iterations come afterwards), the parameters' correction orthogonal
    to ``across`` (two components: (0, 1) keeps p2 fixed). ParameterError
    ``message`` (its ``{failure}`` filled in) when Newton fails."""
    fix = np.zeros(len(u0))
    fix[list(problem.parameter_slots)] = across
    problem.reuse_factorization = False
    try:
        u0, _ = correct(problem, u0, fix, replace(options, max_newton_iterations=30))
    except (NewtonFailure, np.linalg.LinAlgError, FloatingPointError) as failure:
        raise ParameterError(message.format(failure=failure)) from None
    finally:
        del problem.reuse_factorization
    return u0


def trace_homoclinic(model, kind, problem, u0, free, bounds, base, options, progress):
    """Trace a HOM-C or SNIC-C problem from u0 into a Branch of ``kind``:
    ``states`` the equilibrium, ``extra`` period, max, min, mesh, profile and
    distance (of the ends from the equilibrium)."""
    curve = trace_cycle_curve(problem, u0, bounds, options, f"{kind} {model.name}", progress)
    data = curve.point_data
    values = np.array([u[-2:] for u in curve.points])
    extra = {key: np.array([d[key] for d in data])
             for key in ("period", "max", "min", "mesh", "profile", "distance")}
    return make_branch(model, kind, free, curve, base, values=values,
                       states=np.array([d["saddle"] for d in data]),
                       eigenvalues=np.array([d["eigenvalues"] for d in data]),
                       stable=np.zeros(len(values), dtype=bool),
                       options=options_record(options, bounds=bounds, ncol=problem.mesh.ncol),
                       extra=extra, domain_states=extra["profile"])


def continue_homoclinic(model, start, free, bounds, *, options: ContinuationOptions | None = None,
                        adapt_mesh: bool = True, progress: bool = False,
                        epsilon: float | None = None, period: float | None = None,
                        ntst: int = 40, ncol: int = 4, free_period: bool = False):
    """Continue the homoclinic orbit near ``start`` in ``free = (p1, p2)``: a
    Branch of kind "HOM-C".

    ``start`` is the HOM point of an LC-C branch (the family's last cycle,
    which it carries), a long-period :class:`PeriodicOrbit`, a point of a
    HOM-C branch (``homoclinic_point``), or a Bogdanov-Takens point (BT of
    an LP-C or H-C branch). A cycle is cut where it passes closest to its
    saddle and corrected onto the defining system of the module doc with
    ``p2`` fixed, so ``p1`` moves from the cycle's value to the homoclinic
    one (the HOM point's ``estimate``); the truncation time T is the cycle's
    period and stays fixed. From a BT point the start is the asymptotic
    orbit of bt_homoclinic.py at amplitude ``epsilon`` (saddle eigenvalues
    about +-2 epsilon; default 1% of the slowest other rate there), over
    ``period`` (default 14 / epsilon) on ``ntst`` x ``ncol`` collocation points, corrected with the
    parameters moving across the curve's tangent at the BT point.

    With ``free_period`` T is an unknown and the distance of x(0) from the
    saddle keeps its start value instead (HomCont's eps0 fixed, T free): T
    then grows where the saddle's rates slow down, e.g. towards a BT point.
    With T fixed the curve ends where its ends drift from the saddle
    (status "truncation", TRUNCATION_LIMIT).

    Branch: ``values`` (p1, p2), ``states`` the saddle, ``eigenvalues`` the
    saddle's, ``stable`` all False; ``extra``: ``period`` (T), ``max``,
    ``min``, ``mesh``, ``profile`` (the orbit at the representation points,
    open: row 0 leaves the saddle, the last row returns to it) and
    ``distance`` (of the ends from the saddle). Special points NSS/NSF
    (neutral saddle or saddle-focus), DRS/DRU (double real leading stable or
    unstable eigenvalues).
    """
    model = load_model(model)
    free = tuple(free)
    indices, bounds = two_parameter_bounds(model, start, free, bounds)
    compiled = compile_model(model)
    base = parameter_vector(model, start.parameters)
    across = np.array([0.0, 1.0])  # the start is corrected with p2 fixed
    if getattr(start, "kind", None) == "BT":
        open_mesh, x, saddle, alpha, tangent, period = _start_at_bogdanov_takens(
            model, compiled, start, indices, epsilon, period, ntst, ncol)
        base[list(indices)] = alpha
        across = tangent / np.linalg.norm(tangent)
        hint = "start closer to the BT point (smaller epsilon)"
    else:
        parameters, mesh, ncol, profile, period = orbit_of(start)
        base = parameter_vector(model, parameters)
        profile = np.asarray(profile, float)
        if getattr(start, "branch_kind", None) == "HOM-C":
            open_mesh = OpenMesh(model.n_states, len(mesh) - 1, int(ncol),
                                 np.asarray(mesh, float))
            x = profile.ravel()
            saddle = np.asarray(start.data["saddle"], float)
        else:
            open_mesh, x, saddle = _cut_at_saddle(model, compiled, base, mesh, int(ncol),
                                                  profile, float(period))
        hint = "start from a cycle of longer period"
    try:
        problem = HomoclinicProblem(compiled, base, indices, open_mesh, period, x, saddle,
                                    adapt_mesh=adapt_mesh)
    except ParameterError as error:
        raise ParameterError(f"{error}; {hint}") from None
    u0 = np.concatenate([x, saddle, base[list(indices)]])
    options = options or ContinuationOptions(step_size=0.01, max_step_size=0.2, max_points=200)
    u0 = correct_start(problem, u0, across, options,
                       f"no homoclinic orbit near the start: Newton on the HOM-C system did "
                       f"not converge ({{failure}}); {hint}")
    gap = problem.truncation_gap(u0)
    if gap > TRUNCATION_LIMIT:
        raise ParameterError(f"the orbit found at the start is not homoclinic: its ends are "
                             f"{gap:.1e} of its extent away from the "
                             f"saddle (limit {TRUNCATION_LIMIT:g}); {hint}")
    if free_period:  # the corrected orbit fixes eps0; T joins the unknowns
        saddle = u0[problem.saddle_slots]
        problem = HomoclinicProblem(compiled, problem.parameters_at(u0), indices, open_mesh,
                                    period, u0[problem.x_slots], saddle, adapt_mesh=adapt_mesh,
                                    free_period=True)
        u0 = np.concatenate([u0[problem.x_slots], saddle, [period], u0[-2:]])
    return trace_homoclinic(model, "HOM-C", problem, u0, free, bounds, base, options, progress)


def homoclinic_point(branch, index) -> SpecialPoint:
    """Point ``index`` of a HOM-C branch (an integer, negative from the end, or a
    special point's label) as a start point carrying its orbit and saddle:
    ``continue_curve(model, homoclinic_point(curve, -1), free, bounds)``
    restarts the curve from its last point."""
    if getattr(branch, "kind", None) != "HOM-C":
        raise ParameterError(f"homoclinic_point needs a HOM-C branch, got "
                             f"{getattr(branch, 'kind', branch)!r}")
    index, parameters, data = orbit_row(branch, index)
    data["saddle"] = branch.states[index].tolist()
    return SpecialPoint(f"HOM-C[{index}]", "HOM", index, parameters, branch.states[index],
                        branch.eigenvalues[index], data, branch.model, "HOM-C", branch.free)


def homoclinic_guess(model, parameters, time, states, *, ntst: int = 40,
                     ncol: int = 4) -> SpecialPoint:
    """A start for HOM-C from an orbit the user has (a simulation, a published
    loop): ``states`` (n_t, n_states) at increasing ``time`` that leave an
    equilibrium and come back to it. The equilibrium is found by Newton from
    both ends (they must reach the same one, a saddle); the orbit, resampled
    on ``ntst`` x ``ncol`` collocation points of a mesh that equidistributes
    its error indicator, runs over T = time[-1] - time[0]. The orbit need not
    be exact: ``continue_homoclinic`` corrects it with the second free
    parameter fixed."""
    model = load_model(model)
    time = np.asarray(time, float)
    states = np.asarray(states, float)
    if states.ndim != 2 or states.shape != (len(time), model.n_states):
        raise ParameterError(f"states must have shape (len(time), {model.n_states}) = "
                             f"({len(time)}, {model.n_states}) for {model.name!r}, got "
                             f"{states.shape}")
    if len(time) < 4 or not np.all(np.isfinite(time)) or not np.all(np.isfinite(states)):
        raise ParameterError("the orbit needs at least 4 finite samples")
    if not np.all(np.diff(time) > 0):
        raise ParameterError("time must increase strictly along the orbit")
    compiled = compile_model(model)
    p = parameter_vector(model, parameters)
    ends = []
    for guess in (states[0], states[-1]):
        x, converged, _ = newton_equilibrium(compiled, p, guess)
        if not converged:
            raise ParameterError(f"no equilibrium found from the orbit's end "
                                 f"{np.round(guess, 6).tolist()}: the orbit must start and end "
                                 f"near the saddle")
        ends.append(x)
    scale = 1.0 + float(np.abs(states).max())
    if np.linalg.norm(ends[0] - ends[1]) > 1e-6 * scale:
        raise ParameterError(f"the orbit's ends are near different equilibria "
                             f"({np.round(ends[0], 6).tolist()} and "
                             f"{np.round(ends[1], 6).tolist()}): a heteroclinic orbit, not a "
                             f"homoclinic one")
    saddle = ends[0]
    tau = (time - time[0]) / (time[-1] - time[0])

    def resample(at):
        return np.column_stack([np.interp(at, tau, states[:, k])
                                for k in range(model.n_states)])

    mesh = adapted_open_mesh(model.n_states, ntst, ncol, resample)
    eigenvalues = sorted_eigenvalues(compiled.jacobian(saddle, p))
    data = {"period": float(time[-1] - time[0]), "ncol": ncol, "mesh": mesh.mesh.tolist(),
            "profile": resample(mesh.tau).tolist(),
            "saddle": saddle.tolist()}
    return SpecialPoint("guess", "HOM", 0, dict(model.parameters(**dict(parameters))),
                        saddle, eigenvalues, data, model.name, "HOM-C", ())


__all__ = ["OpenMesh", "HomoclinicProblem", "continue_homoclinic", "homoclinic_point",
           "homoclinic_guess", "correct_start", "trace_homoclinic",
           "invariant_basis", "normalised", "cut_orbit", "orbit_of"]


class FixedPeriodProblem(CycleProblem):
    """Cycles of one fixed period T continued in two parameters (LCT-C): the
    collocation system of LC-C with T held and a second parameter freed,
    u = (x, p1, p2). As T grows the curve approaches the homoclinic curve
    (the long-period proxy some papers use, e.g. a period-300 orbit)."""

    def __init__(self, compiled, base, indices, disc, reference, period: float):
        self.indices = tuple(int(i) for i in indices)
        self.period = float(period)
        super().__init__(compiled, base, self.indices[0], disc, reference, adapt_mesh=True)

    def _set_discretisation(self, disc, reference):
        super()._set_discretisation(disc, reference)
        self.parameter_slots = (disc.size, disc.size + 1)

    def parameters_at(self, u):
        p = self.base.copy()
        p[list(self.indices)] = u[-2:]
        return p

    def _system(self, u):
        key = u.tobytes()
        if key != self._cache_key:
            disc = self.disc
            residual, blocks, _, columns = collocation_blocks(
                self.kernels, disc.points(u[:disc.size]), disc.h, self.period,
                self.parameters_at(u), self.indices, disc.L, disc.D)
            self._cache_key = key
            # the two parameter columns take the places of (T, alpha) in LC-C's pattern
            self._cache = (residual, blocks, columns[0], columns[1])
        return self._cache

    def test_functions(self, u, tangent):
        return {}

    def point_data(self, u):
        return {**super().point_data(u), "period": self.period}

    def accept(self, u, tangent):
        self.update_phase(u)


def continue_fixed_period(model, start, free, bounds, *, period: float | None = None,
                          options: ContinuationOptions | None = None, progress: bool = False):
    """The curve of cycles with the period of ``start`` in ``free = (p1, p2)``
    (``period``, when given, must be that period): a Branch of kind
    "LCT-C" (the cheap approximation of a homoclinic curve by a long-period
    cycle; compare with HOM-C). ``start``: a point of a cycle branch that
    carries its orbit (an LPC/PD/NS/HOM point, ``cycle_curve_point``) or a
    PeriodicOrbit."""
    model = load_model(model)
    free = tuple(free)
    indices, bounds = two_parameter_bounds(model, start, free, bounds)
    parameters, mesh, ncol, profile, orbit_period = orbit_of(start)
    if period is not None and not math.isclose(float(period), float(orbit_period),
                                               rel_tol=1e-12):
        raise ParameterError(f"LCT-C keeps the start cycle's period ({orbit_period:.10g}); "
                             f"give a start cycle of period {period}")
    compiled = compile_model(model)
    base = parameter_vector(model, parameters)
    disc = Discretisation(model.n_states, len(mesh) - 1, int(ncol), np.asarray(mesh, float))
    x = np.asarray(profile, float)[:-1].ravel()
    problem = FixedPeriodProblem(compiled, base, indices, disc, x, float(orbit_period))
    u0 = np.concatenate([x, base[list(indices)]])
    options = options or ContinuationOptions(step_size=0.01, max_step_size=0.2, max_points=200)
    fix_second = np.zeros(len(u0))
    fix_second[-1] = 1.0
    try:
        u0, _ = correct(problem, u0, fix_second, options)
    except (NewtonFailure, np.linalg.LinAlgError) as failure:
        raise ParameterError(f"the start orbit is not a cycle of {model.name!r} at its "
                             f"parameters ({failure})") from None
    curve = trace_cycle_curve(problem, u0, bounds, options, f"LCT-C {model.name}", progress)
    return cycle_branch(model, "LCT-C", free, curve, base,
                        options_record(options, bounds=bounds, period=float(orbit_period)))


__all__ += ["FixedPeriodProblem", "continue_fixed_period"]
