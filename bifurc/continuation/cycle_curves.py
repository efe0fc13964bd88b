"""Two-parameter curves of cycle bifurcations: folds of cycles (LPC-C),
period doublings (PD-C) and tori (NS-C).

Standard augmented boundary-value problems (Doedel, Govaerts & Kuznetsov,
SIAM J. Numer. Anal. 41, 2003; AUTO-07p's ISW = 2 for periodic orbits), by the
same collocation as the cycles, u = (x, v, T, [sigma,] alpha1, alpha2):

    x' = T f(x, p),  x(0) = x(1),  int x . x_ref' = 0            (the cycle)
LPC-C:
    v' = T A(x) v + sigma f(x, p),  v(0) = v(1),  int v . x_ref' = 0,
    int v . v_ref + sigma sigma_ref = 1                         (a null vector)
PD-C:
    v' = T A(x) v,  v(1) = -v(0),  int v . v_ref = 1            (multiplier -1)
NS-C, v = a + i b, u = (x, a, b, T, theta, alpha1, alpha2):
    a' = T A a,  b' = T A b,  a(1) + i b(1) = e^{i theta} (a(0) + i b(0)),
    int a . a_ref + b . b_ref = 1,  int a . b_ref - b . a_ref = 0  (multipliers e^{+-i theta})
    with the strong resonances R1-R4 (theta = 0, pi, 2 pi/3, pi/2) located on it.

On every curve, the points where a second multiplier condition holds are
located too (test functions on the multipliers left after removing the trivial
one and the curve's own): LPPD (fold-flip), LPNS (fold-Neimark-Sacker), PDNS
(flip-Neimark-Sacker) and NSNS (double Neimark-Sacker).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sps

from ..codegen import compile_model, parameter_vector
from ..errors import ParameterError
from ..model_files import load_model
from .branch import Branch
from .collocation import (Discretisation, floquet_eigenfunction, floquet_multipliers,
                          orbit_statistics, transfer_matrices)
from .core import ContinuationOptions, CurveEnd, SparseBorderedProblem, _factor
from .cycles import CycleProblem, pair_product, torus_factor, torus_pair, watch_amplitude
from .equilibria import _options_dict


def _remove_closest(values, targets):
    """values without, for each target, the element closest to it."""
    values = list(values)
    for target in targets:
        values.pop(int(np.argmin([abs(v - target) for v in values])))
    return np.array(values)


def _meeting_tests(others, names):
    """Test functions for a second multiplier condition among the remaining
    multipliers: another at 1 (LP), at -1 (PD), a complex pair on the circle (NS)."""
    tests = {}
    if "LP" in names:
        tests[names["LP"]] = float(np.prod(others - 1.0).real)
    if "PD" in names:
        tests[names["PD"]] = float(np.prod(others + 1.0).real)
    if "NS" in names:
        tests[names["NS"]] = pair_product(others, torus_factor)
    return tests


#: codimension-two points where a second multiplier condition meets the curve's
#: own (Kuznetsov 2004, ch. 9): fold-flip LPPD, fold-Neimark-Sacker LPNS,
#: flip-Neimark-Sacker PDNS, double Neimark-Sacker NSNS
MEETINGS = {"LPC": {"PD": "LPPD", "NS": "LPNS"}, "PD": {"LP": "LPPD", "NS": "PDNS"},
            "NS": {"LP": "LPNS", "PD": "PDNS", "NS": "NSNS"}}


class _Triplets:
    """(row, column, value) lists of a sparse matrix being assembled."""

    def __init__(self):
        self.rows, self.cols, self.values = [], [], []

    def add(self, rows, cols, values):
        self.rows.append(np.asarray(rows))
        self.cols.append(np.asarray(cols))
        self.values.append(np.asarray(values, dtype=float))

    def matrix(self, n_rows, n_cols, row=None):
        """The CSC matrix, with ``row`` appended as a last row when given (the
        continuation's bordering)."""
        if row is not None:
            self.add(np.full(n_cols, n_rows), np.arange(n_cols), row)
            n_rows += 1
        return sps.csc_matrix((np.concatenate(self.values),
                               (np.concatenate(self.rows), np.concatenate(self.cols))),
                              shape=(n_rows, n_cols))


def _wrap_mask(disc: Discretisation) -> np.ndarray:
    """Entries of the block pattern that refer to the point tau = 1 (wrapped to 0)."""
    n, ntst, ncol = disc.n, disc.ntst, disc.ncol
    j, c, i, l, k = np.meshgrid(np.arange(ntst), np.arange(ncol), np.arange(n),
                                np.arange(ncol + 1), np.arange(n), indexing="ij")
    return ((j * ncol + l) >= disc.n_points).ravel()


class _CycleMultipliers:
    """The cycle's Floquet multipliers at u, from the x-blocks of ``_blocks(u)``."""

    def multipliers(self, u):
        key = u.tobytes()
        if getattr(self, "_mu_key", None) != key:
            _, bxx, *_ = self._blocks(u)
            self._mu_key, self._mu = key, floquet_multipliers(transfer_matrices(bxx, self.disc.n))
        return self._mu


class CycleCurveProblem(_CycleMultipliers, SparseBorderedProblem):
    """LPC-C (``kind="LPC"``) or PD-C (``kind="PD"``) by standard augmentation."""

    reuse_factorization = True

    def __init__(self, compiled, base, free_indices, disc, x_ref, v_ref, sigma_ref, kind):
        self.compiled, self.kernels, self.model = compiled, compiled.kernels, compiled.model
        self.base = np.array(base, dtype=float)
        self.free = np.array(free_indices, dtype=np.int64)
        self.disc = disc
        self.kind = kind
        self.sign = 1.0 if kind == "LPC" else -1.0
        s = disc.size
        self.has_sigma = kind == "LPC"
        self.n_unknowns = 2 * s + (4 if self.has_sigma else 3)
        self.size = self.n_unknowns - 1
        self.parameter_slots = (self.n_unknowns - 2, self.n_unknowns - 1)
        w = disc.weights()
        self.inner_weights = np.concatenate([w, w, np.ones(self.n_unknowns - 2 * s)])
        self.phase = disc.phase_row(x_ref)
        self.v_ref, self.sigma_ref = v_ref.copy(), sigma_ref
        self.wrap = _wrap_mask(disc)
        self._key = None

    def unpack(self, u):
        s = self.disc.size
        x, v = u[:s], u[s:2 * s]
        period = float(u[2 * s])
        sigma = float(u[2 * s + 1]) if self.has_sigma else 0.0
        p = self.base.copy()
        p[self.free] = u[-2:]
        return x, v, period, sigma, p

    def _blocks(self, u):
        key = u.tobytes()
        if key == self._key:
            return self._cache
        disc = self.disc
        n, ncol, ntst = disc.n, disc.ncol, disc.ntst
        x, v, period, sigma, p = self.unpack(u)
        points = disc.points(x)
        vpoints = np.vstack([v.reshape(-1, n), self.sign * v[:n]])
        shape = (ntst, ncol, n)
        rx, bxx, dTx = np.empty(shape), np.empty(shape + (ncol + 1, n)), np.empty(shape)
        dpx = np.empty(shape + (2,))
        scratch = np.empty(shape)
        for q in range(2):
            self.kernels.collocation_system(points, disc.h, period, p, int(self.free[q]), disc.L,
                                            disc.D, rx, bxx, dTx, scratch)
            dpx[..., q] = scratch
        rv, bvv, bvx = np.empty(shape), np.empty(shape + (ncol + 1, n)), np.empty(shape + (ncol + 1, n))
        dTv, dsv, dpv = np.empty(shape), np.empty(shape), np.empty(shape + (2,))
        self.kernels.collocation_variational(points, vpoints, disc.h, period, sigma, p, self.free,
                                             disc.L, disc.D, rv, bvv, bvx, dTv, dsv, dpv)
        self._key = key
        self._cache = (rx, bxx, dTx, dpx, rv, bvv, bvx, dTv, dsv, dpv)
        return self._cache

    def residual(self, u):
        rx, _, _, _, rv, *_ = self._blocks(u)
        x, v, _, sigma, _ = self.unpack(u)
        w = self.disc.weights()
        extra = [self.phase @ x]
        if self.has_sigma:
            extra.append(self.phase @ v)
        extra.append(w @ (v * self.v_ref) + sigma * self.sigma_ref - 1.0)
        return np.concatenate([rx.ravel(), rv.ravel(), extra])

    def _assemble(self, u, row):
        disc = self.disc
        s = disc.size
        rx, bxx, dTx, dpx, rv, bvv, bvx, dTv, dsv, dpv = self._blocks(u)
        col_T = 2 * s
        col_sigma = 2 * s + 1
        col_p = self.n_unknowns - 2
        entries = _Triplets()
        add = entries.add

        rows_all = np.arange(s)
        add(disc.block_rows, disc.block_cols, bxx.ravel())           # x-collocation / x
        add(rows_all, np.full(s, col_T), dTx.ravel())
        for q in range(2):
            add(rows_all, np.full(s, col_p + q), dpx[..., q].ravel())
        vv = bvv.ravel().copy()
        vv[self.wrap] *= self.sign                                    # v(1) = sign v(0)
        add(s + disc.block_rows, s + disc.block_cols, vv)             # v-collocation / v
        add(s + disc.block_rows, disc.block_cols, bvx.ravel())        # v-collocation / x
        add(s + rows_all, np.full(s, col_T), dTv.ravel())
        if self.has_sigma:
            add(s + rows_all, np.full(s, col_sigma), dsv.ravel())
        for q in range(2):
            add(s + rows_all, np.full(s, col_p + q), dpv[..., q].ravel())
        line = 2 * s
        add(np.full(s, line), np.arange(s), self.phase)              # x phase
        line += 1
        if self.has_sigma:
            add(np.full(s, line), s + np.arange(s), self.phase)      # v phase
            line += 1
        add(np.full(s, line), s + np.arange(s), disc.weights() * self.v_ref)
        if self.has_sigma:
            add([line], [col_sigma], [self.sigma_ref])
        return entries.matrix(self.size, self.n_unknowns, row)

    def _others(self, u):
        mu = self.multipliers(u)
        return _remove_closest(mu, [1.0, 1.0] if self.kind == "LPC" else [1.0, -1.0])

    def test_functions(self, u, tangent):
        return _meeting_tests(self._others(u), MEETINGS[self.kind])

    def classify(self, name, u, tangent):
        if name.endswith("NS") and torus_pair(self._others(u)) is None:
            return None  # a real pair mu, 1/mu: not a torus condition
        return name, {"period": self.unpack(u)[2]}

    def accept(self, u, tangent):
        x, v, _, sigma, _ = self.unpack(u)
        _end_at_zero_amplitude(self, x, u)
        self.phase = self.disc.phase_row(x)
        size = self.disc.weights() @ v**2 + sigma**2  # keeps int v.v_ref + s s_ref = 1 here
        self.v_ref, self.sigma_ref = v / size, sigma / size

    def point_data(self, u):
        x, _, period, _, p = self.unpack(u)
        maximum, minimum, mean = orbit_statistics(self.disc, x)
        return {"eigenvalues": self.multipliers(u), "period": period, "max": maximum,
                "min": minimum, "mean": mean}


def _end_at_zero_amplitude(problem, x, u):
    """End a cycle curve where its cycles shrink onto an equilibrium (the curve
    would retrace itself beyond): a double-Hopf, zero-Hopf or BT point."""
    if watch_amplitude(problem, x):
        names = [problem.model.parameter_names[int(i)] for i in problem.free]
        raise CurveEnd("hopf", f"the cycles shrank onto an equilibrium near "
                               f"{names[0]} = {u[-2]:.10g}, {names[1]} = {u[-1]:.10g} (a "
                               f"codimension-two point of equilibria: HH, ZH or BT)")


def _cycle_at(model, point, compiled, free_index):
    base = parameter_vector(model, point.parameters)
    disc = Discretisation(model.n_states, len(point.data["mesh"]) - 1, point.data["ncol"],
                          np.array(point.data["mesh"]))
    x = np.array(point.data["profile"])[:-1].ravel()
    u = np.concatenate([x, [point.data["period"], base[free_index]]])
    return base, disc, x, u, CycleProblem(compiled, base, free_index, disc, x, adapt_mesh=False)


def _fold_vector(problem, u):
    """(v, sigma): the null vector of the cycle Jacobian in (x, T) at a fold of cycles
    (the branch tangent there has no parameter component)."""
    rng = np.random.default_rng(0)
    row = rng.standard_normal(len(u))
    system = problem.bordered_jacobian(u, row)
    rhs = np.zeros(system.shape[0])
    rhs[-1] = 1.0
    t = _factor(system)(rhs)
    v, sigma = t[:-2], t[-2]
    scale = math.sqrt(problem.disc.weights() @ v**2 + sigma**2)
    return v / scale, sigma / scale


def _doubling_vector(problem, u):
    """v with v(1) = -v(0): the Floquet eigenfunction of the multiplier -1."""
    _, blocks, _, _ = problem._system(u)
    v = floquet_eigenfunction(blocks, problem.disc.n, -1.0).real.ravel()
    return v / math.sqrt(problem.disc.weights() @ v**2)


def continue_cycle_curve(model, point, free, bounds, *,
                         options: ContinuationOptions | None = None,
                         progress: bool = False) -> Branch:
    """Continue the fold-of-cycles (from an LPC), period-doubling (from a PD) or
    torus (from an NS) curve through ``point`` in ``free = (name1, name2)``
    within ``bounds`` ({name: (lo, hi)} or two pairs). Returns a Branch of kind
    "LPC-C", "PD-C" or "NS-C" (``extra``: period, max, min, and theta for NS-C;
    ``eigenvalues``: the cycle's multipliers)."""
    model = load_model(model)
    if getattr(point, "kind", None) not in ("LPC", "PD", "NS") or "profile" not in point.data:
        raise ParameterError("cycle curves start from an LPC, PD or NS point of a cycle branch, got "
                             f"{getattr(point, 'label', point)!r}")
    from .curves import _two_parameter_setup

    indices, bounds = _two_parameter_setup(model, point, free, bounds)
    compiled = compile_model(model)
    base, disc, x, u_cycle, cycle = _cycle_at(model, point, compiled, indices[0])
    alpha = base[indices]
    if point.kind == "NS":
        angle = point.data["angle"]
        a, b = _torus_vectors(cycle, u_cycle, angle)
        u0 = np.concatenate([x, a, b, [point.data["period"], angle], alpha])
        problem = TorusCurveProblem(compiled, base, indices, disc, x, a, b)
    elif point.kind == "LPC":
        v, sigma = _fold_vector(cycle, u_cycle)
        u0 = np.concatenate([x, v, [point.data["period"], sigma], alpha])
    else:
        v, sigma = _doubling_vector(cycle, u_cycle), 0.0
        u0 = np.concatenate([x, v, [point.data["period"]], alpha])
    if point.kind != "NS":
        problem = CycleCurveProblem(compiled, base, indices, disc, x, v, sigma, point.kind)
    options = options or ContinuationOptions(step_size=0.01, max_step_size=0.2, max_points=300)
    curve = trace_cycle_curve(problem, u0, bounds, options, f"{point.kind}-C {model.name}", progress)
    return cycle_curve_branch(model, f"{point.kind}-C", free, base, curve, options, bounds)


def trace_cycle_curve(problem, u0, bounds, options, description, progress):
    """Trace a cycle curve from u0, starting towards increasing first parameter."""
    slots = {problem.parameter_slots[0]: bounds[0], problem.parameter_slots[1]: bounds[1]}
    row = np.random.default_rng(1).standard_normal(len(u0))
    system = problem.bordered_jacobian(u0, row)
    rhs = np.zeros(system.shape[0])
    rhs[-1] = 1.0
    tangent = _factor(system)(rhs)
    tangent /= math.sqrt((problem.inner_weights * tangent) @ tangent)
    if tangent[problem.parameter_slots[0]] < 0:
        tangent = -tangent
    from .curves import trace_with_progress

    return trace_with_progress(problem, u0, slots, options, description, progress, tangent)


def cycle_curve_branch(model, kind, free, base, curve, options, bounds) -> Branch:
    """A Branch of a two-parameter cycle curve (extra: period, max, min, and theta
    when the points carry it; eigenvalues: the cycle's multipliers)."""
    from .collocation import trivial_index
    from .equilibria import _label_points

    data = curve.point_data
    values = np.array([u[-2:] for u in curve.points])
    multipliers = np.array([d["eigenvalues"] for d in data])
    stable = np.array([np.all(np.abs(np.delete(m, trivial_index(m))) < 1.0) for m in multipliers])
    extra = {key: np.array([d[key] for d in data]) for key in ("period", "max", "min", "theta")
             if key in data[0]}
    means = np.array([d["mean"] for d in data])
    specials = _label_points(model, kind, tuple(free), (values, means, multipliers),
                             curve.events, base)
    return Branch(kind=kind, model=model.name, free=tuple(free), state_names=model.state_names,
                  parameters=dict(zip(model.parameter_names, base.tolist())), values=values,
                  states=means, eigenvalues=multipliers, stable=stable, special_points=specials,
                  extra=extra, ends=curve.ends, options=_options_dict(options, bounds=bounds))


class TorusCurveProblem(_CycleMultipliers, SparseBorderedProblem):
    """NS-C: u = (x, a, b, T, theta, alpha1, alpha2) (see the module docstring)."""

    reuse_factorization = True

    def __init__(self, compiled, base, free_indices, disc, x_ref, a_ref, b_ref):
        self.compiled, self.kernels, self.model = compiled, compiled.kernels, compiled.model
        self.base = np.array(base, dtype=float)
        self.free = np.array(free_indices, dtype=np.int64)
        self.disc = disc
        s = disc.size
        self.n_unknowns = 3 * s + 4
        self.size = self.n_unknowns - 1
        self.parameter_slots = (3 * s + 2, 3 * s + 3)
        w = disc.weights()
        self.inner_weights = np.concatenate([w, w, w, np.ones(4)])
        self.phase = disc.phase_row(x_ref)
        self.a_ref, self.b_ref = a_ref.copy(), b_ref.copy()
        self.wrap = _wrap_mask(disc)
        self._key = None

    def unpack(self, u):
        s = self.disc.size
        p = self.base.copy()
        p[self.free] = u[-2:]
        return u[:s], u[s:2 * s], u[2 * s:3 * s], float(u[3 * s]), float(u[3 * s + 1]), p

    def _blocks(self, u):
        key = u.tobytes()
        if key == self._key:
            return self._cache
        disc = self.disc
        n, ncol, ntst = disc.n, disc.ncol, disc.ntst
        x, a, b, period, theta, p = self.unpack(u)
        points = disc.points(x)
        cos, sin = math.cos(theta), math.sin(theta)
        a_end = cos * a[:n] - sin * b[:n]
        b_end = sin * a[:n] + cos * b[:n]
        shape = (ntst, ncol, n)
        rx, bxx, dTx = np.empty(shape), np.empty(shape + (ncol + 1, n)), np.empty(shape)
        dpx, scratch = np.empty(shape + (2,)), np.empty(shape)
        for q in range(2):
            self.kernels.collocation_system(points, disc.h, period, p, int(self.free[q]), disc.L,
                                            disc.D, rx, bxx, dTx, scratch)
            dpx[..., q] = scratch
        parts = []
        for vector, end in ((a, a_end), (b, b_end)):
            vpoints = np.vstack([vector.reshape(-1, n), end])
            r, bvv, bvx = (np.empty(shape), np.empty(shape + (ncol + 1, n)),
                           np.empty(shape + (ncol + 1, n)))
            dT, ds, dp = np.empty(shape), np.empty(shape), np.empty(shape + (2,))
            self.kernels.collocation_variational(points, vpoints, disc.h, period, 0.0, p,
                                                 self.free, disc.L, disc.D, r, bvv, bvx, dT, ds,
                                                 dp)
            parts.append((r, bvv, bvx, dT, dp))
        self._extra_terms(points, ((a, a_end), (b, b_end)), period, p, parts)
        self._key = key
        self._cache = (rx, bxx, dTx, dpx, parts, (cos, sin), (a[:n].copy(), b[:n].copy()))
        return self._cache

    def _extra_terms(self, points, vectors, period, p, parts):
        """Hook for subclasses that add terms to the a and b equations (in place)."""

    def _extra_blocks(self, add, u, rotation):
        """Hook for subclasses that add Jacobian blocks (e.g. a-b coupling)."""

    def _add_vector_block(self, add, equation, vector, values, rotation):
        """Add collocation-block ``values`` (pattern block_rows/block_cols) of the
        a (0) or b (1) equations with respect to the local points of the a (0) or
        b (1) vector; entries at tau = 1 refer to the end vector, which is the
        rotation of (a(0), b(0)) by theta (``rotation[vector]``: its derivatives
        by a(0), b(0) and theta)."""
        disc, s, wrap = self.disc, self.disc.size, self.wrap
        rows = (equation + 1) * s + disc.block_rows
        inside = ~wrap
        add(rows[inside], (vector + 1) * s + disc.block_cols[inside], values[inside])
        by_a, by_b, by_theta = rotation[vector]
        add(rows[wrap], s + disc.block_cols[wrap], by_a * values[wrap])
        add(rows[wrap], 2 * s + disc.block_cols[wrap], by_b * values[wrap])
        wrapped = np.zeros(s)
        np.add.at(wrapped, disc.block_rows[wrap], values[wrap] * by_theta[disc.block_cols[wrap]])
        add((equation + 1) * s + np.arange(s), np.full(s, 3 * s + 1), wrapped)

    def residual(self, u):
        rx, _, _, _, parts, _, _ = self._blocks(u)
        x, a, b, _, _, _ = self.unpack(u)
        w = self.disc.weights()
        return np.concatenate([rx.ravel(), parts[0][0].ravel(), parts[1][0].ravel(),
                               [self.phase @ x, w @ (a * self.a_ref + b * self.b_ref) - 1.0,
                                w @ (a * self.b_ref - b * self.a_ref)]])

    def _assemble(self, u, row):
        disc = self.disc
        s, n = disc.size, disc.n
        rx, bxx, dTx, dpx, parts, (cos, sin), (a0, b0) = self._blocks(u)
        col_T, col_theta, col_p = 3 * s, 3 * s + 1, 3 * s + 2
        entries = _Triplets()
        add = entries.add

        rows_all = np.arange(s)
        add(disc.block_rows, disc.block_cols, bxx.ravel())
        add(rows_all, np.full(s, col_T), dTx.ravel())
        for q in range(2):
            add(rows_all, np.full(s, col_p + q), dpx[..., q].ravel())
        # d(end)/d(a0), d(end)/d(b0), d(end)/dtheta for the a and b equations
        rotation = {0: (cos, -sin, -sin * a0 - cos * b0), 1: (sin, cos, cos * a0 - sin * b0)}
        for k, (res, bvv, bvx, dT, dp) in enumerate(parts):
            offset = (k + 1) * s
            self._add_vector_block(add, k, k, bvv.ravel(), rotation)
            add(offset + disc.block_rows, disc.block_cols, bvx.ravel())
            add(offset + rows_all, np.full(s, col_T), dT.ravel())
            for q in range(2):
                add(offset + rows_all, np.full(s, col_p + q), dp[..., q].ravel())
        self._extra_blocks(add, u, rotation)
        w = disc.weights()
        line = 3 * s
        add(np.full(s, line), np.arange(s), self.phase)
        add(np.full(2 * s, line + 1), np.arange(s, 3 * s), np.concatenate([w * self.a_ref,
                                                                           w * self.b_ref]))
        add(np.full(2 * s, line + 2), np.arange(s, 3 * s), np.concatenate([w * self.b_ref,
                                                                           -w * self.a_ref]))
        return entries.matrix(self.size, self.n_unknowns, row)

    def accept(self, u, tangent):
        x, a, b, _, _, _ = self.unpack(u)
        _end_at_zero_amplitude(self, x, u)
        self.phase = self.disc.phase_row(x)
        size = self.disc.weights() @ (a**2 + b**2)
        self.a_ref, self.b_ref = a / size, b / size  # the current point stays a solution

    #: strong resonances e^{i theta} with theta = 2 pi / k (Kuznetsov 2004, Sec. 9.5)
    RESONANCES = {"R1": 0.0, "R2": math.pi, "R3": 2 * math.pi / 3, "R4": math.pi / 2}

    def _others(self, u):
        theta = self.unpack(u)[4]
        return _remove_closest(self.multipliers(u), [1.0, np.exp(1j * theta), np.exp(-1j * theta)])

    def test_functions(self, u, tangent):
        raw = self.unpack(u)[4]
        theta = abs(math.remainder(raw, 2 * math.pi))  # the angle in [0, pi]
        # R1 and R2 (theta = 0, pi) are the extremes of the folded angle, where
        # theta - value cannot change sign: sin(theta) vanishes at both, and
        # classify tells them apart by cos(theta)
        tests = {"R1": math.sin(raw), "R3": theta - self.RESONANCES["R3"],
                 "R4": theta - self.RESONANCES["R4"]}
        tests.update(_meeting_tests(self._others(u), MEETINGS["NS"]))
        return tests

    def classify(self, name, u, tangent):
        if name == "NSNS" and torus_pair(self._others(u)) is None:
            return None
        theta = self.unpack(u)[4]
        if name == "R1" and math.cos(theta) < 0:
            name = "R2"
        return name, {"theta": theta, "period": self.unpack(u)[3]}

    def point_data(self, u):
        x, _, _, period, theta, _ = self.unpack(u)
        maximum, minimum, mean = orbit_statistics(self.disc, x)
        return {"eigenvalues": self.multipliers(u), "period": period, "theta": theta,
                "max": maximum, "min": minimum, "mean": mean}


def _torus_vectors(problem, u, angle, extra_blocks=0.0):
    """a + i b: the Floquet eigenfunction of the multiplier e^{i angle} (of the
    variational blocks plus ``extra_blocks``), normalised."""
    disc = problem.disc
    _, blocks, _, _ = problem._system(u)
    v = floquet_eigenfunction(blocks + extra_blocks, disc.n, np.exp(1j * angle)).ravel()
    w = disc.weights()
    # rotate so that int a . b = 0 and normalise int |a|^2 + |b|^2 = 1
    a, b = v.real, v.imag
    phi = 0.5 * math.atan2(-2 * (w @ (a * b)), w @ (a * a) - w @ (b * b))
    v = v * np.exp(1j * phi)
    v /= math.sqrt(w @ (np.abs(v) ** 2))
    return v.real, v.imag
