"""Orthogonal collocation of periodic orbits.

A periodic orbit of period T is x(tau), tau in [0, 1], with x' = T f(x, p) and
x(0) = x(1) (de Boor & Swartz 1973; Doedel, Keller & Kernevez 1991, as in
AUTO-07p). The mesh 0 = tau_0 < ... < tau_NTST = 1 carries on each interval a
polynomial of degree NCOL, stored by its values at NCOL + 1 equally spaced
representation points; the ODE holds at the NCOL Gauss-Legendre points of each
interval. Mesh-point values converge as h^(2 NCOL) (superconvergence), other
values as h^(NCOL + 1).

Floquet multipliers come from the same blocks (bifurc.continuation.floquet).
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.polynomial import legendre


@functools.cache
def lagrange_tables(ncol: int):
    """(L, D, weights): Lagrange basis on the NCOL + 1 points l / NCOL of [0, 1],
    its values L[c, l] and derivatives D[c, l] at the Gauss-Legendre points
    z_c of [0, 1], and the Gauss weights (summing to 1)."""
    nodes, weights = legendre.leggauss(ncol)
    z = 0.5 * (nodes + 1.0)
    weights = 0.5 * weights
    s = np.linspace(0.0, 1.0, ncol + 1)
    L = np.ones((ncol, ncol + 1))
    D = np.zeros((ncol, ncol + 1))
    for l in range(ncol + 1):
        others = [m for m in range(ncol + 1) if m != l]
        denominator = np.prod([s[l] - s[m] for m in others])
        for c in range(ncol):
            L[c, l] = np.prod([z[c] - s[m] for m in others]) / denominator
            D[c, l] = sum(np.prod([z[c] - s[m] for m in others if m != skip])
                          for skip in others) / denominator
    return L, D, weights


def lagrange_at(ncol: int, s):
    """Values of the NCOL + 1 Lagrange basis polynomials at local positions s."""
    s = np.atleast_1d(np.asarray(s, float))
    nodes = np.linspace(0.0, 1.0, ncol + 1)
    values = np.ones((len(s), ncol + 1))
    for l in range(ncol + 1):
        for m in range(ncol + 1):
            if m != l:
                values[:, l] *= (s - nodes[m]) / (nodes[l] - nodes[m])
    return values


class Discretisation:
    """NTST intervals x NCOL collocation points for an n-dimensional orbit.

    The unknown vector of a continuation is u = (x at the NTST*NCOL
    representation points, T, alpha): ``n_points = NTST * NCOL`` points of n
    states each (the point at tau = 1 is the one at tau = 0).
    """

    def __init__(self, n: int, ntst: int, ncol: int, mesh=None):
        if ntst < 2 or not 1 <= ncol <= 7:
            raise ValueError(f"need NTST >= 2 and 1 <= NCOL <= 7, got NTST={ntst}, NCOL={ncol}")
        self.n, self.ntst, self.ncol = n, ntst, ncol
        self.mesh = np.linspace(0.0, 1.0, ntst + 1) if mesh is None else np.asarray(mesh, float)
        self.h = np.diff(self.mesh)
        self.L, self.D, self.gauss_weights = lagrange_tables(ncol)
        self.n_points = ntst * ncol
        self.size = self.n_points * n
        local = np.arange(ncol) / ncol
        self.tau = (self.mesh[:-1, None] + self.h[:, None] * local[None, :]).ravel()
        self._pattern()

    def _pattern(self):
        """Row and column indices of the collocation blocks in the sparse Jacobian."""
        self.block_rows, self.block_cols = _block_pattern(self.n, self.ntst, self.ncol)
        self.column_rows = np.arange(self.size)

    def points(self, x_flat):
        """(NTST*NCOL + 1, n) representation points, closing the orbit."""
        x = x_flat.reshape(self.n_points, self.n)
        return np.vstack([x, x[:1]])

    def weights(self) -> np.ndarray:
        """Quadrature weights of the representation points (inner products of orbits)."""
        w = np.repeat(self.h / self.ncol, self.ncol)
        return np.repeat(w, self.n)

    def derivative_at_gauss(self, x_flat):
        """dx/dtau at the Gauss points, shape (NTST, NCOL, n)."""
        return np.einsum("cl,jln->jcn", self.D, self.segments(x_flat)) / self.h[:, None, None]

    def phase_row(self, reference_flat):
        """Coefficients r with r . x = int_0^1 x(tau) . x_ref'(tau) dtau (Gauss quadrature)."""
        slopes = self.derivative_at_gauss(reference_flat)  # (ntst, ncol, n)
        # integral = sum_j h_j sum_c g_c x(z_c) . x_ref'(z_c), x(z_c) = sum_l L[c, l] x_{j,l}
        contribution = np.einsum("c,cl,jci->jli", self.gauss_weights, self.L, slopes)
        contribution *= self.h[:, None, None]
        row = np.zeros((self.n_points, self.n))
        for l in range(self.ncol + 1):
            index = (np.arange(self.ntst) * self.ncol + l) % self.n_points
            np.add.at(row, index, contribution[:, l, :])
        return row.ravel()

    def evaluate(self, x_flat, tau):
        """The orbit's piecewise polynomial at positions tau in [0, 1], shape (len, n)."""
        tau = np.mod(np.atleast_1d(np.asarray(tau, float)), 1.0)
        interval = np.clip(np.searchsorted(self.mesh, tau, side="right") - 1, 0, self.ntst - 1)
        local = (tau - self.mesh[interval]) / self.h[interval]
        basis = lagrange_at(self.ncol, local)
        return np.einsum("tl,tln->tn", basis, self.segments(x_flat)[interval])

    def on_uniform_grid(self, x_flat, count: int = 64):
        """The orbit at tau = k / count (k < count), shape (count, n); the basis is
        computed once per mesh (comparisons of orbits on different meshes)."""
        cache = self.__dict__.setdefault("_grids", {})
        if count not in cache:
            tau = np.arange(count) / count
            interval = np.clip(np.searchsorted(self.mesh, tau, side="right") - 1, 0, self.ntst - 1)
            cache[count] = (interval, lagrange_at(self.ncol, (tau - self.mesh[interval])
                                                  / self.h[interval]))
        interval, basis = cache[count]
        return np.einsum("tl,tln->tn", basis, self.segments(x_flat)[interval])

    def segments(self, x_flat):
        """(NTST, NCOL + 1, n): each interval's representation points."""
        pts = self.points(x_flat)
        index = np.arange(self.ntst)[:, None] * self.ncol + np.arange(self.ncol + 1)[None, :]
        return pts[index]

    def remesh(self, x_flat, new_mesh):
        """(Discretisation on new_mesh, of any number of intervals, x interpolated
        onto it)."""
        new = Discretisation(self.n, len(new_mesh) - 1, self.ncol, new_mesh)
        return new, self.evaluate(x_flat, new.tau).ravel()

    def equidistributed_mesh(self, x_flat, ntst: int | None = None):
        """A mesh of ``ntst`` intervals (default this one's) that equidistributes
        h_j |x^(NCOL)|_j^(1/(NCOL+1)) (the local error indicator of collocation,
        as in AUTO-07p's adaptive meshes)."""
        pts = self.points(x_flat)
        derivative = np.empty((self.ntst, self.n))
        # NCOL-th derivative of each interval's polynomial: NCOL-th finite difference
        from math import comb
        coefficients = np.array([(-1) ** (self.ncol - l) * comb(self.ncol, l)
                                 for l in range(self.ncol + 1)], float)
        for j in range(self.ntst):
            segment = pts[j * self.ncol: j * self.ncol + self.ncol + 1]
            derivative[j] = coefficients @ segment * (self.ncol / self.h[j]) ** self.ncol
        size = np.linalg.norm(derivative, axis=1) + 1e-12 * (1 + np.abs(pts).max())
        density = size ** (1.0 / (self.ncol + 1))
        # smooth over neighbours (periodic) so the mesh does not oscillate
        density = (np.roll(density, 1) + 2 * density + np.roll(density, -1)) / 4
        cumulative = np.concatenate([[0.0], np.cumsum(density * self.h)])
        cumulative /= cumulative[-1]
        targets = np.linspace(0.0, 1.0, (ntst or self.ntst) + 1)
        mesh = np.interp(targets, cumulative, self.mesh)
        mesh[0], mesh[-1] = 0.0, 1.0
        return mesh


def collocation_blocks(kernels, points, h, period: float, p, indices, L, D):
    """(residual, blocks, d_period, [d_parameter per index]) of x' = T f(x, p) by
    collocation at ``points`` (NTST NCOL + 1, n) on intervals ``h``: one call
    of the compiled ``collocation_system`` per free parameter index (see
    bifurc/kernels/collocation.py), residuals and d_period flattened."""
    ntst, (ncol, n) = len(h), (L.shape[0], points.shape[1])
    residual = np.empty((ntst, ncol, n))
    blocks = np.empty((ntst, ncol, n, ncol + 1, n))
    d_period = np.empty((ntst, ncol, n))
    columns = []
    for index in indices:
        d_parameter = np.empty((ntst, ncol, n))
        kernels.collocation_system(np.ascontiguousarray(points), h, float(period), p, int(index),
                                   L, D, residual, blocks, d_period, d_parameter)
        columns.append(d_parameter.ravel())
    return residual.ravel(), blocks, d_period.ravel(), columns


@functools.cache
def _block_pattern(n, ntst, ncol):
    j, c, i, l, k = np.meshgrid(np.arange(ntst), np.arange(ncol), np.arange(n),
                                np.arange(ncol + 1), np.arange(n), indexing="ij")
    rows = ((j * ncol + c) * n + i).ravel()
    cols = (((j * ncol + l) % (ntst * ncol)) * n + k).ravel()
    return rows, cols


@functools.cache
def _interval_basis(ncol: int, per_interval: int) -> np.ndarray:
    """Lagrange basis at ``per_interval`` equally spaced interior points of an interval."""
    return lagrange_at(ncol, (np.arange(per_interval) + 0.5) / per_interval)


def orbit_statistics(disc: Discretisation, x_flat, per_interval: int = 8):
    """(max, min, mean) of each state over one period: extremes over
    ``per_interval`` points of every mesh interval (so an adapted mesh samples
    sharp peaks finely), mean by Gauss quadrature."""
    segments = disc.segments(x_flat)
    basis = _interval_basis(disc.ncol, per_interval)
    fine = np.einsum("tl,jln->jtn", basis, segments).reshape(-1, disc.n)
    at_gauss = np.einsum("cl,jln->jcn", disc.L, segments)
    mean = np.einsum("j,c,jcn->n", disc.h, disc.gauss_weights, at_gauss)
    nodes = segments[:, :-1, :].reshape(-1, disc.n)
    return (np.maximum(fine.max(axis=0), nodes.max(axis=0)),
            np.minimum(fine.min(axis=0), nodes.min(axis=0)), mean)


__all__ = ["Discretisation", "lagrange_tables", "lagrange_at", "orbit_statistics",
           "collocation_blocks"]
