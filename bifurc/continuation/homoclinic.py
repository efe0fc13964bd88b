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
from .build import cycle_branch, make_branch, options_record, orbit_row, two_parameter_bounds
from .collocation import Discretisation, collocation_blocks, lagrange_at, lagrange_tables
from .core import ContinuationOptions, CurveEnd, NewtonFailure, SparseBorderedProblem, correct
from .cycle_curves import trace_cycle_curve
from .cycle_ends import slow_passage
from .cycles import CycleProblem
from .equilibria import sorted_eigenvalues

#: relative step of the forward differences of the boundary rows in (x0, p)
DIFFERENCE_STEP = 1e-7
#: an eigenvalue with |Re| below this fraction of the largest modulus makes the
#: saddle non-hyperbolic (the curve ends there)
HYPERBOLIC_MARGIN = 1e-6
#: when the step size collapses with an eigenvalue of the saddle this close to
#: the imaginary axis (relative), the end is reported as a saddle-node
SADDLE_NODE_MARGIN = 1e-2


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


def invariant_basis(A, stable: bool) -> tuple[np.ndarray, int]:
    """(Z, k): orthonormal basis of the invariant subspace of A for its eigenvalues
    with negative (``stable``) or positive real parts, and its dimension."""
    _, Z, k = scipy.linalg.schur(A, output="real", sort="lhp" if stable else "rhp")
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
                 adapt_mesh: bool = True):
        self.compiled = compiled
        self.model = compiled.model
        self.kernels = compiled.kernels
        self.base = np.array(base, dtype=float)
        self.indices = tuple(int(i) for i in indices)
        self.period = float(period)
        self.adapt_mesh = adapt_mesh
        n = self.model.n_states
        A = compiled.jacobian(np.asarray(saddle, float), self._parameters(self.base[list(indices)]))
        self.stable_ref, self.n_stable = invariant_basis(A.T, stable=True)
        self.unstable_ref, self.n_unstable = invariant_basis(A.T, stable=False)
        if self.n_stable == 0 or self.n_unstable == 0 or self.n_stable + self.n_unstable != n:
            raise ParameterError(
                f"the equilibrium at {np.round(saddle, 6).tolist()} is not a hyperbolic saddle "
                f"(eigenvalues {np.round(np.linalg.eigvals(A), 6).tolist()}): a homoclinic orbit "
                f"to it cannot be continued as HOM-C")
        self._set_mesh(mesh, x_ref)

    def _set_mesh(self, mesh, x_ref):
        n = self.model.n_states
        self.mesh = mesh
        self.x_slots = slice(0, mesh.size)
        self.saddle_slots = slice(mesh.size, mesh.size + n)
        self.parameter_slots = (mesh.size + n, mesh.size + n + 1)
        self.size = mesh.size - n + 2 * n + 1  # equations
        self.inner_weights = np.concatenate([mesh.weights(), np.ones(n + 2)])
        self.phase = mesh.phase_row(x_ref)
        self.phase_value = float(self.phase @ x_ref)
        self._cache_key = None

    def _parameters(self, alpha):
        p = self.base.copy()
        p[list(self.indices)] = alpha
        return p

    def parameters_at(self, u):
        return self._parameters(u[-2:])

    def _collocation(self, u):
        key = u.tobytes()
        if key != self._cache_key:
            mesh = self.mesh
            residual, blocks, _, columns = collocation_blocks(
                self.kernels, u[self.x_slots].reshape(mesh.n_points, mesh.n), mesh.h,
                self.period, self.parameters_at(u), self.indices, mesh.L, mesh.D)
            self._cache_key = key
            self._cache = (residual, blocks, columns)
        return self._cache

    def _boundary(self, x_start, x_end, saddle, alpha):
        """[L_s^T (x(0) - x0); L_u^T (x(1) - x0)] with the normalised bases."""
        A = self.compiled.jacobian(saddle, self._parameters(alpha))
        Zs, ks = invariant_basis(A.T, stable=True)
        Zu, ku = invariant_basis(A.T, stable=False)
        if ks != self.n_stable or ku != self.n_unstable:
            raise NewtonFailure(f"the equilibrium has {ku} unstable eigenvalues there, the "
                                f"saddle {self.n_unstable}")
        Ls, Lu = normalised(Zs, self.stable_ref), normalised(Zu, self.unstable_ref)
        return np.concatenate([Ls.T @ (x_start - saddle), Lu.T @ (x_end - saddle)]), Ls, Lu

    def _ends(self, u):
        n = self.model.n_states
        x = u[self.x_slots]
        return x[:n], x[-n:], u[self.saddle_slots], u[-2:]

    def residual(self, u):
        colloc, _, _ = self._collocation(u)
        x_start, x_end, saddle, alpha = self._ends(u)
        boundary, _, _ = self._boundary(x_start, x_end, saddle, alpha)
        return np.concatenate([colloc, self.compiled.vector_field(saddle, self.parameters_at(u)),
                               boundary, [self.phase @ u[self.x_slots] - self.phase_value]])

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
        grid_r, grid_c = np.meshgrid(rb[self.n_stable:], np.arange(n), indexing="ij")
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
        return {"period": self.period, "ncol": self.mesh.ncol, "mesh": self.mesh.mesh.tolist(),
                "profile": points.tolist()}

    def point_data(self, u) -> dict:
        points = u[self.x_slots].reshape(self.mesh.n_points, self.model.n_states)
        high, low = self.mesh.extremes(u[self.x_slots])
        return {"eigenvalues": self.saddle_eigenvalues(u), "saddle": u[self.saddle_slots].copy(),
                "profile": points.copy(), "mesh": self.mesh.mesh.copy(),
                "max": high, "min": low, "period": self.period,
                "distance": float(max(np.linalg.norm(points[0] - u[self.saddle_slots]),
                                      np.linalg.norm(points[-1] - u[self.saddle_slots])))}

    def accept(self, u, tangent) -> None:
        """New references: the phase, and the bases the projections are
        normalised against; end the curve where the saddle loses hyperbolicity."""
        eigenvalues = self.saddle_eigenvalues(u)
        scale = max(1.0, float(np.abs(eigenvalues).max()))
        if np.min(np.abs(eigenvalues.real)) < HYPERBOLIC_MARGIN * scale:
            raise CurveEnd("saddle-node", "the saddle is no longer hyperbolic (an eigenvalue "
                           "with zero real part): a saddle-node homoclinic orbit or a "
                           "Bogdanov-Takens point ends HOM-C here")
        A = self.compiled.jacobian(u[self.saddle_slots], self.parameters_at(u))
        self.stable_ref, _ = invariant_basis(A.T, stable=True)
        self.unstable_ref, _ = invariant_basis(A.T, stable=False)
        self.phase = self.mesh.phase_row(u[self.x_slots])
        self.phase_value = float(self.phase @ u[self.x_slots])
        self._cache_key = None

    def explain_end(self, u, tangent):
        """Why the step size collapsed, when the saddle is close to losing
        hyperbolicity (an eigenvalue near the imaginary axis): the curve runs
        into a saddle-node of the equilibrium."""
        eigenvalues = self.saddle_eigenvalues(u)
        scale = max(1.0, float(np.abs(eigenvalues).max()))
        closest = eigenvalues[np.argmin(np.abs(eigenvalues.real))]
        if abs(closest.real) >= SADDLE_NODE_MARGIN * scale:
            return None
        return CurveEnd("saddle-node",
                        f"the saddle is nearly non-hyperbolic (eigenvalue {closest.real:.3g}"
                        f"{closest.imag:+.3g}i closest to the imaginary axis): HOM-C runs into a "
                        f"saddle-node of the equilibrium, a non-central saddle-node homoclinic "
                        f"orbit (where a SNIC curve begins) or a Bogdanov-Takens point")

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


def _cut_at_saddle(model, compiled, base, mesh, ncol, profile, period):
    """(OpenMesh, x, saddle): a long-period cycle cut where it passes closest to
    the saddle it lingers at, so that both ends of the open orbit lie next to
    the saddle; the mesh keeps every old mesh point (one interval more)."""
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
            + ("a SNIC, not a homoclinic orbit to a saddle" if kind in ("bottleneck",
                                                                         "saddle-node")
               else "HOM-C needs a saddle"))
    saddle = np.array(passage["equilibrium"])
    fine = np.linspace(0.0, 1.0, 4097)[:-1]
    distances = np.linalg.norm(disc.evaluate(x, fine) - saddle, axis=1)
    cut = float(fine[np.argmin(distances)])
    shifted = np.unique(np.concatenate([(disc.mesh[:-1] - cut) % 1.0, [0.0, 1.0]]))
    keep = np.concatenate([[True], np.diff(shifted) > 1e-9])
    shifted = shifted[keep]
    shifted[-1] = 1.0
    open_mesh = OpenMesh(model.n_states, len(shifted) - 1, ncol, shifted)
    return open_mesh, disc.evaluate(x, (open_mesh.tau + cut) % 1.0).ravel(), saddle


def _orbit_of(point):
    """(parameters, mesh, ncol, closed profile, period) of a start point."""
    if hasattr(point, "profile") and hasattr(point, "mesh"):  # a PeriodicOrbit
        return point.parameters, point.mesh, point.ncol, point.profile, point.period
    data = getattr(point, "data", {})
    missing = [k for k in ("mesh", "ncol", "profile", "period") if k not in data]
    if missing:
        raise ParameterError(f"the point {getattr(point, 'label', point)!r} carries no orbit "
                             f"(no {', '.join(missing)}): HOM-C starts from the HOM point of a "
                             f"cycle family, a long-period PeriodicOrbit or a HOM-C point")
    return point.parameters, data["mesh"], data["ncol"], data["profile"], data["period"]


def continue_homoclinic(model, start, free, bounds, *, options: ContinuationOptions | None = None,
                        adapt_mesh: bool = True, progress: bool = False):
    """Continue the homoclinic orbit near ``start`` in ``free = (p1, p2)``: a
    Branch of kind "HOM-C".

    ``start`` is the HOM point of an LC-C branch (the family's last cycle,
    which it carries), a long-period :class:`PeriodicOrbit`, or a point of a
    HOM-C branch (``cycle_curve_point``). A cycle is cut where it passes
    closest to its saddle and corrected onto the defining system of the
    module doc with ``p2`` fixed, so ``p1`` moves from the cycle's value to
    the homoclinic one (the HOM point's ``estimate``). The truncation time T
    is the cycle's period and stays fixed.

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
    parameters, mesh, ncol, profile, period = _orbit_of(start)
    base = parameter_vector(model, parameters)
    profile = np.asarray(profile, float)
    if getattr(start, "branch_kind", None) == "HOM-C":
        open_mesh = OpenMesh(model.n_states, len(mesh) - 1, int(ncol), np.asarray(mesh, float))
        x = profile.ravel()
        saddle = np.asarray(start.data["saddle"], float)
    else:
        open_mesh, x, saddle = _cut_at_saddle(model, compiled, base, mesh, int(ncol), profile,
                                              float(period))
    problem = HomoclinicProblem(compiled, base, indices, open_mesh, period, x, saddle,
                                adapt_mesh=adapt_mesh)
    u0 = np.concatenate([x, saddle, base[list(indices)]])
    options = options or ContinuationOptions(step_size=0.01, max_step_size=0.2, max_points=200)
    fix_second = np.zeros(len(u0))
    fix_second[problem.parameter_slots[1]] = 1.0
    problem.reuse_factorization = False  # full Newton from the cut cycle, chords afterwards
    try:
        u0, _ = correct(problem, u0, fix_second, replace(options, max_newton_iterations=30))
    except (NewtonFailure, np.linalg.LinAlgError, FloatingPointError) as failure:
        raise ParameterError(f"no homoclinic orbit near the start: Newton on the HOM-C system "
                             f"with {free[1]} fixed did not converge ({failure}); start from a "
                             f"cycle of longer period") from None
    del problem.reuse_factorization
    curve = trace_cycle_curve(problem, u0, bounds, options, f"HOM-C {model.name}", progress)
    data = curve.point_data
    values = np.array([u[-2:] for u in curve.points])
    eigenvalues = np.array([d["eigenvalues"] for d in data])
    extra = {key: np.array([d[key] for d in data])
             for key in ("period", "max", "min", "mesh", "profile", "distance")}
    return make_branch(model, "HOM-C", free, curve, base, values=values,
                       states=np.array([d["saddle"] for d in data]), eigenvalues=eigenvalues,
                       stable=np.zeros(len(values), dtype=bool),
                       options=options_record(options, bounds=bounds, ncol=int(ncol)),
                       extra=extra, domain_states=extra["profile"])


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


__all__ = ["OpenMesh", "HomoclinicProblem", "continue_homoclinic", "homoclinic_point",
           "invariant_basis", "normalised"]


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
    parameters, mesh, ncol, profile, orbit_period = _orbit_of(start)
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
