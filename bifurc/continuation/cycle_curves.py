"""Two-parameter curves of cycle bifurcations: folds of cycles (LPC-C),
period doublings (PD-C) and tori (NS-C).

Standard augmented boundary-value problems (Doedel, Govaerts & Kuznetsov,
SIAM J. Numer. Anal. 41, 2003; AUTO-07p's ISW = 2 for periodic orbits), by the
same collocation as the cycles. Every curve contains the cycle,

    x' = T f(x, p),  x(0) = x(1),  int x . x_ref' = 0,

and, with u = (x, v, T, [sigma,] alpha1, alpha2) on LPC-C and PD-C:

LPC-C:
    v' = T A(x) v + sigma f(x, p),  v(0) = v(1),  int v . x_ref' = 0,
    int v . v_ref + sigma sigma_ref = 1                         (a null vector)
PD-C:
    v' = T A(x) v,  v(1) = -v(0),  int v . v_ref = 1            (multiplier -1)
NS-C, u = (x, a, b, T, sigma_a, sigma_b, B, alpha1, alpha2), B a real 2 x 2 matrix:
    a' = T A(x) a,  b' = T A(x) b,
    [a(1) b(1)] = [a(0) b(0)] B + f(x(0), p) [sigma_a sigma_b],
    int a . x_ref' = c_a,  int b . x_ref' = c_b,
    int a . a* = 1,  int a . b* = 0,  int b . a* = 0,  int b . b* = 1,
    det B = 1,
    with a*, b* the dual basis of the previous point's (a, b) and c_a, c_b
    the previous point's values (so that it stays a solution as x_ref moves).

On NS-C, span(a(0), b(0)) is a two-dimensional invariant subspace of the
monodromy map taken modulo the phase direction f(x(0)) (the linearised
Poincare map: the sigma terms and the two phase conditions remove the trivial
multiplier, as sigma f does on LPC-C), and B represents the map on it. Its
eigenvalues are the critical pair, the roots of mu^2 - 2 kappa mu + 1 = 0 with
kappa = tr(B) / 2: e^{+-i theta}, kappa = cos(theta), on a torus curve
(|kappa| < 1) and real mu, 1/mu on its continuation into neutral saddle
cycles (|kappa| > 1). This is the continuation of an invariant subspace with
the matrix of the map on it (Demmel, Dieci & Friedman, SIAM J. Sci. Comput. 22,
81, 2000; Beyn, Kless & Thuemmler, in Fiedler (ed.), Ergodic Theory, Analysis,
and Efficient Simulation of Dynamical Systems, Springer 2001) and is regular
wherever the pair is separated from the other non-trivial multipliers:

- through R1 (kappa = 1, a Jordan block): the pair meets the trivial
  multiplier 1 there, which the deflation has removed (without it the
  Jacobian loses rank there). The cycle's own equations must be regular: in
  a model with an invariant transverse plane (z = 0, as in the tests) the
  multiplier 1 of the plane makes R1 a branch point of cycles, a rank
  deficiency of the cycle part that the continuation steps over;
- through a pair that passes +-1 without a Jordan block (e.g. multipliers
  e^{+-2 pi i nu} at nu = 1/2, where kappa has a turning point at -1). The
  companion form of MatCont and Kuznetsov's book (v, w = M v, w(1) =
  2 kappa w(0) - v(0)) represents the map by [[0, -1], [1, 2 kappa]], which
  can never be -I or I: its defining system is singular at such points, and
  the rotation form a(1) + i b(1) = e^{i theta} (a(0) + i b(0)) (the previous
  NS-C system, kept as RotationCurveProblem for TI-C) is singular at a
  Jordan block instead.

Located on NS-C: the strong resonances (Kuznetsov 2004, Sec. 9.5) R1
(kappa = 1), R2 (kappa = -1), R3 (kappa = -1/2), R4 (kappa = 0) as sign
changes of kappa - value; a pair that touches +-1 without crossing (no Jordan
block: kappa turns back) as a sign change of the kappa-component of the
tangent where |kappa -+ 1| <= TRIVIAL_TOLERANCE.

On every curve, the points where a second multiplier condition holds are
located too (test functions on the multipliers left after removing the trivial
one and the curve's own): LPPD (fold-flip), LPNS (fold-Neimark-Sacker), PDNS
(flip-Neimark-Sacker) and NSNS (double Neimark-Sacker); on NS-C only where the
pair is on the unit circle (|kappa| <= 1).

Where the cycles shrink to zero amplitude a curve ends at a codimension-two
point of equilibria, with a special point that carries its location
extrapolated to zero amplitude: GH (generalised Hopf) on LPC-C, HH (double
Hopf) or ZH (zero-Hopf) on NS-C and PD-C.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import scipy.linalg
import scipy.sparse as sps

from ..codegen import compile_model, parameter_vector
from ..errors import ParameterError
from ..model_files import load_model
from .branch import Branch, SpecialPoint
from .build import cycle_branch, options_record, orbit_row, two_parameter_bounds
from .collocation import Discretisation, orbit_statistics
from .floquet import (TRIVIAL_TOLERANCE, floquet_eigenfunction, floquet_multipliers,
                      trivial_error)
from .core import (ContinuationOptions, CurveEnd, NewtonFailure, SparseBorderedProblem, correct,
                   factor, trace_with_progress)
from .cycle_ends import watch_amplitude
from .cycles import CycleProblem, pair_product, torus_factor, torus_pair


def _remove_closest(values, targets):
    """values without, for each target, the element closest to it."""
    values = list(values)
    for target in targets:
        values.pop(int(np.argmin([abs(v - target) for v in values])))
    return np.array(values)


def _meeting_tests(others, names, trusted: bool = True):
    """Test functions for a second multiplier condition among the remaining
    multipliers: another at 1 (LP), at -1 (PD), a complex pair on the circle (NS).
    Not evaluated (NaN) where the multipliers are not ``trusted``."""
    if not trusted:
        return {name: math.nan for name in names.values()}
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
            self._mu_key, self._mu = key, floquet_multipliers(bxx)
        return self._mu

    def trusted(self, u) -> bool:
        """|mu_trivial - 1| within TRIVIAL_TOLERANCE (else no meeting point is
        looked for at u)."""
        return trivial_error(self.multipliers(u)) <= TRIVIAL_TOLERANCE


def mean_square_deviation(disc: Discretisation, x_flat) -> float:
    """A^2 = int_0^1 |x(tau) - xbar|^2 dtau by Gauss quadrature (xbar the mean
    over the period): the squared amplitude of the orbit, e.g. r^2 for a circle
    of radius r. Smooth in the orbit, and an even function of the amplitude
    of a small cycle."""
    segments = disc.segments(x_flat)
    at_gauss = np.einsum("cl,jln->jcn", disc.L, segments)
    weights = disc.h[:, None] * disc.gauss_weights[None, :]
    mean = np.einsum("jc,jcn->n", weights, at_gauss)
    return float(np.einsum("jc,jcn->", weights, (at_gauss - mean) ** 2))


def zero_amplitude_estimate(history):
    """(estimate, uncertainty), arrays of the two free parameters, where the
    amplitude of a curve's cycles vanishes, from its points
    ``history`` = [(A^2, alpha1, alpha2), ...] in arclength order, the last one
    closest to the end (A^2 from :func:`mean_square_deviation`).

    Near the codimension-two point of equilibria where such a curve ends (GH,
    HH, ZH) the cycles are x* + A (q e^{2 pi i tau} + c.c.) + O(A^2), and the
    cycle of amplitude -A is the same cycle shifted by half a period, so the
    parameters on the curve are smooth functions of A^2 (Kuznetsov 2004,
    Sec. 8.3 and 8.6; on the Bautin normal form's fold of cycles,
    beta = 2 A^2 and mu = -A^4 exactly). alpha(0) is extrapolated by the
    parabola in A^2 through the last point and the latest earlier points with
    at least twice the previous A^2 (well separated abscissae: the weights of
    the extrapolation to 0 then sum to at most 5 in modulus, however small the
    last steps were); the uncertainty is its difference from the line through
    the two points of smallest amplitude."""
    chosen = [history[-1]]
    for entry in reversed(history[:-1]):
        if entry[0] >= 2.0 * chosen[-1][0] and entry[0] > 0.0:
            chosen.append(entry)
            if len(chosen) == 3:
                break
    points = np.array(chosen[::-1], dtype=float).reshape(-1, 3)
    s, alpha = points[:, 0], points[:, 1:]
    if len(points) < 2:
        return alpha[-1], np.full(2, math.inf)
    line = alpha[-1] - s[-1] * (alpha[-1] - alpha[-2]) / (s[-1] - s[-2])
    if len(points) < 3:
        return line, np.abs(line - alpha[-1])
    weights = np.array([np.prod([-s[m] / (s[k] - s[m]) for m in range(3) if m != k])
                        for k in range(3)])
    parabola = weights @ alpha
    return parabola, np.abs(parabola - line)


#: what a curve's end at zero amplitude is, by the special point placed there
END_POINTS = {"GH": "a generalised Hopf (Bautin) point GH, where the first Lyapunov "
                    "coefficient of the Hopf points vanishes",
              "HH": "a double-Hopf point HH of the equilibria",
              "ZH": "a zero-Hopf (fold-Hopf) point ZH of the equilibria"}


class _ZeroAmplitudeEnd:
    """Ends a cycle curve where its cycles shrink to zero amplitude, at a
    codimension-two point of equilibria (a special point GH on LPC-C, HH or ZH
    on NS-C and PD-C, with its location extrapolated to zero amplitude).

    Two ways to get there: the curve passes through zero amplitude and would
    retrace itself (``watch_amplitude``, from ``accept``), or its defining
    system degenerates as the amplitude vanishes (the phase condition
    int x . x_ref' = 0 loses its meaning) and the step size collapses
    (``explain_end``). The implementer provides ``disc``, ``model``,
    ``compiled``, ``free``, ``kind`` and ``unpack_cycle(u)`` = (x, T, p)."""

    def _track_amplitude(self, u):
        """Record (A^2, alpha) at an accepted point; raise CurveEnd there if the
        cycles have just passed through zero amplitude."""
        x = u[:self.disc.size]
        entry = (mean_square_deviation(self.disc, x), float(u[-2]), float(u[-1]))
        # every point of this direction (a few floats each): an extrapolation to
        # zero amplitude picks well-separated ones even after many tiny steps
        history = self.__dict__.setdefault("_amplitudes", [])
        history.append(entry)
        self._largest_square = max(getattr(self, "_largest_square", 0.0), entry[0])
        previous = getattr(self, "_deviation", None)
        passed = watch_amplitude(self, x)
        # also a flip of a cycle much smaller than the largest of this curve (a
        # curve restarted near its zero-amplitude end has seen no large cycle)
        flipped = (previous is not None and previous.shape == self._deviation.shape
                   and previous @ self._deviation < 0 and len(history) > 1
                   and min(history[-1][0], history[-2][0]) < 0.25 * self._largest_square)
        if passed or flipped:  # the last point already retraces the curve
            raise self._zero_amplitude_end(u, history[:-1])

    def explain_end(self, u, tangent):
        """A CurveEnd when the step size collapsed while the cycles were
        shrinking to below a tenth of the largest amplitude seen, else None."""
        history = getattr(self, "_amplitudes", [])
        amplitude = np.ptp(self.disc.on_uniform_grid(u[:self.disc.size]), axis=0).max()
        shrinking = len(history) >= 2 and history[-1][0] < history[-2][0]
        if shrinking and amplitude < 0.1 * getattr(self, "_largest", 0.0):
            return self._zero_amplitude_end(u, history)
        return None

    def _end_point(self, u):
        """(kind, data) of the codimension-two point where the cycles vanish:
        GH on a fold-of-cycles curve; otherwise HH or ZH, from the eigenvalues
        at the orbit's mean other than the Hopf pair +-2 pi i / T: the one
        closest to the imaginary axis is complex (HH) or real (ZH)."""
        x, period, p = self.unpack_cycle(u)
        data = {"period": period, "omega": 2 * math.pi / period}
        if self.kind == "LPC":
            return "GH", data
        _, _, mean = orbit_statistics(self.disc, x)
        eigenvalues = np.linalg.eigvals(self.compiled.jacobian(mean, p))
        others = _remove_closest(eigenvalues, [1j * data["omega"], -1j * data["omega"]])
        if len(others) == 0:
            return "HH", data
        critical = others[np.argmin(np.abs(others.real))]
        data["eigenvalue"] = [float(critical.real), float(critical.imag)]
        if abs(critical.imag) > 1e-6 * max(1.0, float(np.abs(eigenvalues).max())):
            return "HH", {**data, "omega2": float(abs(critical.imag))}
        return "ZH", data

    def _zero_amplitude_end(self, u, history) -> CurveEnd:
        names = [self.model.parameter_names[int(i)] for i in self.free]
        estimate, uncertainty = zero_amplitude_estimate(
            history if history else [(0.0, float(u[-2]), float(u[-1]))])
        kind, data = self._end_point(u)
        data.update(estimated=dict(zip(names, estimate.tolist())),
                    uncertainties=dict(zip(names, uncertainty.tolist())),
                    amplitude=math.sqrt(history[-1][0]) if history else 0.0)
        where = ", ".join(f"{name} = {value:.10g} (+- {error:.1e})"
                          for name, value, error in zip(names, estimate, uncertainty))
        return CurveEnd("hopf", f"the cycles shrink to zero amplitude at {END_POINTS[kind]}; "
                                f"extrapolated to zero amplitude: {where}", point=(kind, data))


def _orbit_record(disc, x) -> dict:
    """The orbit of a point, so that it can restart a continuation."""
    return {"ncol": disc.ncol, "mesh": disc.mesh.tolist(), "profile": disc.points(x).tolist()}


class CycleCurveProblem(_ZeroAmplitudeEnd, _CycleMultipliers, SparseBorderedProblem):
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

    def unpack_cycle(self, u):
        x, _, period, _, p = self.unpack(u)
        return x, period, p

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
        return _meeting_tests(self._others(u), MEETINGS[self.kind], self.trusted(u))

    def classify(self, name, u, tangent):
        if name.endswith("NS") and torus_pair(self._others(u)) is None:
            return None  # a real pair mu, 1/mu: not a torus condition
        x, _, period, _, _ = self.unpack(u)
        return name, {"period": period, **_orbit_record(self.disc, x)}

    def accept(self, u, tangent):
        self._track_amplitude(u)
        x, v, _, sigma, _ = self.unpack(u)
        self.phase = self.disc.phase_row(x)
        size = self.disc.weights() @ v**2 + sigma**2  # keeps int v.v_ref + s s_ref = 1 here
        self.v_ref, self.sigma_ref = v / size, sigma / size

    def point_data(self, u):
        x, _, period, _, p = self.unpack(u)
        maximum, minimum, mean = orbit_statistics(self.disc, x)
        return {"eigenvalues": self.multipliers(u), "period": period, "max": maximum,
                "min": minimum, "mean": mean, "mesh": self.disc.mesh,
                "profile": self.disc.points(x),
                "trivial_error": trivial_error(self.multipliers(u))}


#: |d kappa / ds| (unit tangent) below which the kappa component of the tangent
#: is taken as zero: round-off of the tangent is ~1e-13, and a located turning
#: point of kappa moves by at most TURN_NOISE / |d^2 kappa / ds^2| in arclength
TURN_NOISE = 1e-10


def _add_dense(add, rows, cols, matrix):
    """Add a dense block at (rows x cols) to triplets."""
    add(np.repeat(rows, len(cols)), np.tile(cols, len(rows)), np.asarray(matrix).ravel())


class NeimarkSackerCurveProblem(_ZeroAmplitudeEnd, _CycleMultipliers, SparseBorderedProblem):
    """NS-C, u = (x, a, b, T, sigma_a, sigma_b, B00, B10, B01, B11, alpha1, alpha2):
    the invariant-subspace system of the module docstring, with B stored by
    columns,

        a(1) = B00 a(0) + B10 b(0) + sigma_a f(x(0), p),
        b(1) = B01 a(0) + B11 b(0) + sigma_b f(x(0), p),

    the phase-direction conditions int a . x_ref' = c_a, int b . x_ref' = c_b
    (c_a, c_b: their values at the previous point, so that it stays a
    solution when x_ref moves on), the dual-basis conditions and det B = 1.
    kappa = (B00 + B11) / 2.

    Jacobian: the collocation blocks of a and b; at tau = 1 they refer to
    a(1), b(1), i.e. to a(0), b(0) (times B), to B (times a(0), b(0)), to
    sigma (times f(x(0))) and to x(0) and alpha (through sigma f(x(0), p)).

    Test functions (names for ``ContinuationOptions.detect``): R1, R2, R3, R4
    (kappa - 1, kappa + 1, kappa + 1/2, kappa), kappa_turn (the kappa
    component of the tangent: R1 or R2 where the pair touches +-1 without a
    Jordan block) and LPNS, PDNS, NSNS on the other multipliers.
    """

    reuse_factorization = True
    kind = "NS"
    #: kappa = cos(2 pi / k) at the strong resonances 1:k (Kuznetsov 2004, Sec. 9.5)
    RESONANCES = {"R1": 1.0, "R2": -1.0, "R3": -0.5, "R4": 0.0}

    def __init__(self, compiled, base, free_indices, disc, x_ref, a_ref, b_ref):
        self.compiled, self.kernels, self.model = compiled, compiled.kernels, compiled.model
        self.base = np.array(base, dtype=float)
        self.free = np.array(free_indices, dtype=np.int64)
        self.disc = disc
        s = disc.size
        self.n_unknowns = 3 * s + 9
        self.size = self.n_unknowns - 1
        self.slot_period, self.slot_sigma, self.slot_matrix = 3 * s, 3 * s + 1, 3 * s + 3
        self.parameter_slots = (3 * s + 7, 3 * s + 8)
        w = disc.weights()
        self.inner_weights = np.concatenate([w, w, w, np.ones(9)])
        self.wrap = _wrap_mask(disc)
        # rows of the last mesh interval (the only ones that refer to tau = 1)
        self.last_rows = np.arange(s - disc.ncol * disc.n, s)
        self._set_references(x_ref, a_ref, b_ref)
        self._key = None

    def _set_references(self, x, a, b):
        """x_ref, the dual basis of (a, b) and the phase-direction values, so
        that (x, a, b) satisfies the reference conditions."""
        w = self.disc.weights()
        self.phase = self.disc.phase_row(x)
        gram = np.array([[w @ (a * a), w @ (a * b)], [w @ (b * a), w @ (b * b)]])
        inverse = np.linalg.inv(gram)
        self.dual_a = w * (inverse[0, 0] * a + inverse[1, 0] * b)
        self.dual_b = w * (inverse[0, 1] * a + inverse[1, 1] * b)
        self.phase_values = (float(self.phase @ a), float(self.phase @ b))

    def unpack(self, u):
        """(x, a, b, T, sigma (2,), B (2, 2), p)."""
        s = self.disc.size
        p = self.base.copy()
        p[self.free] = u[-2:]
        m = u[self.slot_matrix:self.slot_matrix + 4]
        matrix = np.array([[m[0], m[2]], [m[1], m[3]]])
        return (u[:s], u[s:2 * s], u[2 * s:3 * s], float(u[3 * s]),
                u[self.slot_sigma:self.slot_sigma + 2].copy(), matrix, p)

    def unpack_cycle(self, u):
        x, _, _, period, _, _, p = self.unpack(u)
        return x, period, p

    def kappa(self, u) -> float:
        m = u[self.slot_matrix:self.slot_matrix + 4]
        return 0.5 * float(m[0] + m[3])

    def _blocks(self, u):
        key = u.tobytes()
        if key == self._key:
            return self._cache
        disc = self.disc
        n, ncol, ntst = disc.n, disc.ncol, disc.ntst
        x, a, b, period, sigma, matrix, p = self.unpack(u)
        points = disc.points(x)
        x0, a0, b0 = points[0], a[:n].copy(), b[:n].copy()
        f0 = self.compiled.vector_field(x0, p)
        ends = (matrix[0, 0] * a0 + matrix[1, 0] * b0 + sigma[0] * f0,
                matrix[0, 1] * a0 + matrix[1, 1] * b0 + sigma[1] * f0)
        shape = (ntst, ncol, n)
        rx, bxx, dTx = np.empty(shape), np.empty(shape + (ncol + 1, n)), np.empty(shape)
        dpx, scratch = np.empty(shape + (2,)), np.empty(shape)
        for q in range(2):
            self.kernels.collocation_system(points, disc.h, period, p, int(self.free[q]), disc.L,
                                            disc.D, rx, bxx, dTx, scratch)
            dpx[..., q] = scratch
        parts = []
        for vector, end in zip((a, b), ends):
            vpoints = np.vstack([vector.reshape(-1, n), end])
            r, bvv, bvx = (np.empty(shape), np.empty(shape + (ncol + 1, n)),
                           np.empty(shape + (ncol + 1, n)))
            dT, dsigma, dp = np.empty(shape), np.empty(shape), np.empty(shape + (2,))
            self.kernels.collocation_variational(points, vpoints, disc.h, period, 0.0, p,
                                                 self.free, disc.L, disc.D, r, bvv, bvx, dT,
                                                 dsigma, dp)
            parts.append((r, bvv, bvx, dT, dp))
        at_start = (f0, self.compiled.jacobian(x0, p),
                    self.compiled.parameter_jacobian(x0, p)[:, self.free], a0, b0)
        self._key = key
        self._cache = (rx, bxx, dTx, dpx, parts, at_start)
        return self._cache

    def residual(self, u):
        rx, _, _, _, parts, _ = self._blocks(u)
        x, a, b, _, _, matrix, _ = self.unpack(u)
        extra = [self.phase @ x, self.phase @ a - self.phase_values[0],
                 self.phase @ b - self.phase_values[1],
                 self.dual_a @ a - 1.0, self.dual_b @ a, self.dual_a @ b, self.dual_b @ b - 1.0,
                 np.linalg.det(matrix) - 1.0]
        return np.concatenate([rx.ravel(), parts[0][0].ravel(), parts[1][0].ravel(), extra])

    def _assemble(self, u, row):
        disc = self.disc
        s, n, wrap = disc.size, disc.n, self.wrap
        rx, bxx, dTx, dpx, parts, (f0, A0, fp0, a0, b0) = self._blocks(u)
        _, _, _, _, sigma, matrix, _ = self.unpack(u)
        col_T, col_sigma, col_B = self.slot_period, self.slot_sigma, self.slot_matrix
        col_p = self.parameter_slots[0]
        entries = _Triplets()
        add = entries.add

        rows_all = np.arange(s)
        add(disc.block_rows, disc.block_cols, bxx.ravel())
        add(rows_all, np.full(s, col_T), dTx.ravel())
        for q in range(2):
            add(rows_all, np.full(s, col_p + q), dpx[..., q].ravel())
        inside = ~wrap
        local = disc.block_rows[wrap] - self.last_rows[0]
        components = disc.block_cols[wrap]  # tau = 1 is the point 0: columns 0 .. n-1
        starts = np.arange(n)
        for k, (_, bvv, bvx, dT, dp) in enumerate(parts):
            offset = (k + 1) * s
            values = bvv.ravel()
            add(offset + disc.block_rows[inside], offset + disc.block_cols[inside], values[inside])
            # E: the blocks' dependence on the end vector v_k(1), (last interval rows) x n
            E = np.zeros((len(self.last_rows), n))
            np.add.at(E, (local, components), values[wrap])
            rows = offset + self.last_rows
            _add_dense(add, rows, s + starts, matrix[0, k] * E)        # a(0)
            _add_dense(add, rows, 2 * s + starts, matrix[1, k] * E)    # b(0)
            _add_dense(add, rows, starts, sigma[k] * E @ A0)           # x(0), via f(x(0))
            add(rows, np.full(len(rows), col_sigma + k), E @ f0)
            add(rows, np.full(len(rows), col_B + 2 * k), E @ a0)
            add(rows, np.full(len(rows), col_B + 2 * k + 1), E @ b0)
            add(offset + disc.block_rows, disc.block_cols, bvx.ravel())
            add(offset + rows_all, np.full(s, col_T), dT.ravel())
            for q in range(2):
                add(offset + rows_all, np.full(s, col_p + q), dp[..., q].ravel())
                add(rows, np.full(len(rows), col_p + q), sigma[k] * E @ fp0[:, q])
        line = 3 * s
        add(np.full(s, line), rows_all, self.phase)
        add(np.full(s, line + 1), s + rows_all, self.phase)
        add(np.full(s, line + 2), 2 * s + rows_all, self.phase)
        add(np.full(s, line + 3), s + rows_all, self.dual_a)
        add(np.full(s, line + 4), s + rows_all, self.dual_b)
        add(np.full(s, line + 5), 2 * s + rows_all, self.dual_a)
        add(np.full(s, line + 6), 2 * s + rows_all, self.dual_b)
        add(np.full(4, line + 7), col_B + np.arange(4),
            [matrix[1, 1], -matrix[0, 1], -matrix[1, 0], matrix[0, 0]])   # d det B
        return entries.matrix(self.size, self.n_unknowns, row)

    def accept(self, u, tangent):
        self._track_amplitude(u)
        x, a, b, *_ = self.unpack(u)
        self._set_references(x, a, b)

    def _others(self, u):
        """The multipliers without the trivial one and the pair mu^2 - 2 kappa mu + 1 = 0."""
        kappa = self.kappa(u)
        root = np.sqrt(complex(kappa * kappa - 1.0))
        return _remove_closest(self.multipliers(u), [1.0, kappa + root, kappa - root])

    def test_functions(self, u, tangent):
        kappa = self.kappa(u)
        tests = {name: kappa - value for name, value in self.RESONANCES.items()}
        # the pair touches +-1 without a Jordan block: kappa turns back there.
        # Zero below round-off: where kappa stays constant along the curve its
        # tangent component is noise, whose sign changes mean nothing
        m = self.slot_matrix
        turn = 0.5 * float(tangent[m] + tangent[m + 3])
        tests["kappa_turn"] = turn if abs(turn) > TURN_NOISE else 0.0
        tests.update(_meeting_tests(self._others(u), MEETINGS["NS"], self.trusted(u)))
        return tests

    def _record(self, u) -> dict:
        x, _, _, period, _, _, _ = self.unpack(u)
        kappa = self.kappa(u)
        data = {"period": period, "kappa": kappa, **_orbit_record(self.disc, x)}
        if abs(kappa) <= 1.0:
            data["theta"] = data["angle"] = math.acos(kappa)
        return data

    def classify(self, name, u, tangent):
        kappa = self.kappa(u)
        if name == "kappa_turn":
            # a turning point of kappa is R1 / R2 only at kappa = +-1, to the
            # accuracy of the multipliers (TRIVIAL_TOLERANCE)
            for kind, value in (("R1", 1.0), ("R2", -1.0)):
                if abs(kappa - value) <= TRIVIAL_TOLERANCE:
                    return kind, {**self._record(u), "jordan_block": False}
            return None
        if name in MEETINGS["NS"].values():
            if abs(kappa) > 1.0:
                return None  # a neutral saddle cycle: the pair is off the unit circle
            if name == "NSNS" and torus_pair(self._others(u)) is None:
                return None  # a real pair mu, 1/mu: not a torus condition
        data = self._record(u)
        if name in ("R1", "R2"):
            data["jordan_block"] = True  # kappa crosses +-1: a double multiplier, not semisimple
        return name, data

    def point_data(self, u):
        x, _, _, period, _, _, _ = self.unpack(u)
        kappa = self.kappa(u)
        maximum, minimum, mean = orbit_statistics(self.disc, x)
        return {"eigenvalues": self.multipliers(u), "period": period, "kappa": kappa,
                "theta": math.acos(kappa) if abs(kappa) <= 1.0 else math.nan,
                "max": maximum, "min": minimum, "mean": mean, "mesh": self.disc.mesh,
                "profile": self.disc.points(x),
                "trivial_error": trivial_error(self.multipliers(u))}


def _fundamental_solution(disc, blocks):
    """(Phi, M): the discrete fundamental solution of xi' = T A(x) xi at the
    NTST*NCOL representation points, Phi (NTST*NCOL*n, n) with Phi at tau = 0
    the identity, and the monodromy matrix M = Phi(1), propagated interval by
    interval with the condensed collocation equations. (Formed explicitly:
    fine for the moderate multipliers of the critical pair; the start is
    refined by Newton on the defining system anyway.)"""
    n, ntst, ncol = disc.n, disc.ntst, disc.ncol
    square = blocks.reshape(ntst, ncol * n, (ncol + 1) * n)
    propagate = np.linalg.solve(square[:, :, n:], -square[:, :, :n])
    values = [np.eye(n)]
    for j in range(ntst):
        values.extend((propagate[j] @ values[-1]).reshape(ncol, n, n))
    return np.concatenate(values[:-1]), values[-1]


def _select_pair(eigenvalues, kappa):
    """Indices of the two eigenvalues closest to the roots of
    mu^2 - 2 kappa mu + 1 = 0."""
    root = np.sqrt(complex(kappa * kappa - 1.0))
    first = int(np.argmin(np.abs(eigenvalues - (kappa + root))))
    rest = [i for i in range(len(eigenvalues)) if i != first]
    second = rest[int(np.argmin(np.abs(eigenvalues[rest] - (kappa - root))))]
    return [first, second]


def _invariant_pair(problem: CycleProblem, u_cycle, kappa: float):
    """(a, b, sigma, B) at the cycle u_cycle = (x, T, alpha) of ``problem``: a
    solution of the NS-C boundary conditions for the pair closest to the roots
    of mu^2 - 2 kappa mu + 1 = 0.

    With Phi the fundamental solution and M the monodromy matrix, a = Phi a0
    must satisfy int a . x' = 0, i.e. a0 in the kernel of c = Phi^T r (r the
    phase row of x), with orthonormal basis U. Writing M U = U X + f0 z^T
    (f0 = f(x(0))), X is the map modulo f0 on that kernel; an ordered real
    Schur form X [y1 y2] = [y1 y2] S gives a0 = U y1, b0 = U y2, B = S and
    sigma = z^T [y1 y2], robust at Jordan blocks and at +-I alike. The
    functions a, b are then made orthonormal (B and sigma transformed with them)."""
    disc = problem.disc
    n, s = disc.n, disc.size
    x = u_cycle[:s]
    p = problem.parameters_at(u_cycle)
    _, blocks, _, _ = problem._system(u_cycle)
    phi, monodromy = _fundamental_solution(disc, blocks)
    basis = scipy.linalg.null_space((phi.T @ disc.phase_row(x))[None, :])
    f0 = problem.compiled.vector_field(x[:n], p)
    coefficients = np.linalg.solve(np.column_stack([basis, f0]), monodromy @ basis)
    reduced, z = coefficients[:-1], coefficients[-1]
    eigenvalues = np.linalg.eigvals(reduced)
    chosen = _select_pair(eigenvalues, kappa)
    others = np.delete(eigenvalues, chosen)
    gap = np.min(np.abs(others[:, None] - eigenvalues[chosen][None, :])) if len(others) else 1.0
    radius = 0.5 * gap

    def selected(real, imag):
        return bool(np.min(np.abs(complex(real, imag) - eigenvalues[chosen])) < radius)

    # a pair that coincides with other multipliers (e.g. two identical
    # oscillators) has no invariant subspace of its own: the system is singular
    separated = gap > 1e-8 * max(1.0, float(np.abs(eigenvalues).max()))
    schur, vectors, count = scipy.linalg.schur(reduced, output="real", sort=selected)
    if not separated or count != 2:
        raise ParameterError(f"the critical pair (kappa = {kappa:.6g}) is not separated from the "
                             f"other multipliers (modulo the phase direction: "
                             f"{np.round(eigenvalues, 6).tolist()}): the NS-C system is singular "
                             f"for a multiple pair (e.g. of identical oscillators); break the "
                             f"symmetry, or start from a point where the pair is simple")
    pair = vectors[:, :2]
    start = basis @ pair
    a, b = (phi @ start).T
    matrix, sigma = schur[:2, :2], z @ pair
    w = disc.weights()
    gram = np.array([[w @ (a * a), w @ (a * b)], [w @ (b * a), w @ (b * b)]])
    change = np.linalg.inv(np.linalg.cholesky(gram).T)  # [a b] change is orthonormal
    a, b = change[0, 0] * a + change[1, 0] * b, change[0, 1] * a + change[1, 1] * b
    return a, b, sigma @ change, np.linalg.solve(change, matrix @ change)


def cycle_problem_at(model, point, compiled, free_index):
    """(base parameters, discretisation, orbit, u, CycleProblem) of the cycle
    stored in a special point of a cycle branch (its mesh and profile)."""
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
    t = factor(system)(rhs)
    v, sigma = t[:-2], t[-2]
    scale = math.sqrt(problem.disc.weights() @ v**2 + sigma**2)
    return v / scale, sigma / scale


def _doubling_vector(problem, u):
    """v with v(1) = -v(0): the Floquet eigenfunction of the multiplier -1."""
    _, blocks, _, _ = problem._system(u)
    v = floquet_eigenfunction(blocks, problem.disc.n, -1.0).real.ravel()
    return v / math.sqrt(problem.disc.weights() @ v**2)


#: the curve each kind of start point continues
CURVE_KINDS = {"LPC": "LPC-C", "PD": "PD-C", "NS": "NS-C"}


def _curve_kind(point) -> str:
    """"LPC", "PD" or "NS": the curve through ``point``. An LPC, PD or NS point
    of a cycle branch starts its curve; any point of an LPC-C, PD-C or NS-C
    curve that carries its orbit (its special points, or
    :func:`cycle_curve_point`) restarts that curve."""
    data = getattr(point, "data", None)
    if isinstance(data, dict) and "profile" in data:
        branch_kind = getattr(point, "branch_kind", None)
        if branch_kind in CURVE_KINDS.values():
            return branch_kind[:-2]
        if point.kind in CURVE_KINDS:
            return point.kind
    raise ParameterError("cycle curves start from an LPC, PD or NS point of a cycle branch or "
                         "from a point of an LPC-C, PD-C or NS-C curve (one of its special "
                         "points, or cycle_curve_point(curve, index)), got "
                         f"{getattr(point, 'label', point)!r}")


def continue_cycle_curve(model, point, free, bounds, *,
                         options: ContinuationOptions | None = None,
                         progress: bool = False) -> Branch:
    """Continue the fold-of-cycles (from an LPC), period-doubling (from a PD) or
    torus (from an NS) curve through ``point`` in ``free = (name1, name2)``
    within ``bounds`` ({name: (lo, hi)} or two pairs); or restart such a curve
    from one of its own points (a special point, or :func:`cycle_curve_point`).

    The start is refined by Newton on the curve's defining system with
    ``free[0]`` fixed. Returns a Branch of kind "LPC-C", "PD-C" or "NS-C"
    (``extra``: period, max, min, mesh and profile (the orbit), and on NS-C
    kappa = tr(B) / 2 and theta = arccos(kappa) (NaN on the neutral-saddle
    part |kappa| > 1); ``eigenvalues``: the cycle's multipliers).
    """
    model = load_model(model)
    kind = _curve_kind(point)
    point = _onto_bounds(point, free, bounds)
    indices, bounds = two_parameter_bounds(model, point, free, bounds)
    compiled = compile_model(model)
    base, disc, x, u_cycle, cycle = cycle_problem_at(model, point, compiled, indices[0])
    alpha = base[indices]
    period = point.data["period"]
    if kind == "NS":
        kappa = point.data["kappa"] if "kappa" in point.data else math.cos(point.data["angle"])
        a, b, sigma, matrix = _invariant_pair(cycle, u_cycle, kappa)
        u0 = np.concatenate([x, a, b, [period], sigma, matrix.T.ravel(), alpha])
        problem = NeimarkSackerCurveProblem(compiled, base, indices, disc, x, a, b)
    else:
        if kind == "LPC":
            v, sigma = _fold_vector(cycle, u_cycle)
            u0 = np.concatenate([x, v, [period, sigma], alpha])
        else:
            v, sigma = _doubling_vector(cycle, u_cycle), 0.0
            u0 = np.concatenate([x, v, [period], alpha])
        problem = CycleCurveProblem(compiled, base, indices, disc, x, v, sigma, kind)
    options = options or ContinuationOptions(step_size=0.01, max_step_size=0.2, max_points=300)
    u0 = _refine_start(problem, u0, options, point, free)
    curve = trace_cycle_curve(problem, u0, bounds, options, f"{kind}-C {model.name}", progress)
    return cycle_branch(model, f"{kind}-C", free, curve, base,
                        options_record(options, bounds=bounds))


def _onto_bounds(point, free, bounds):
    """``point`` with its free parameters moved onto the bounds where they lie
    outside by round-off only (the last point of a curve that ended on a bound,
    located there to round-off, restarts it)."""
    try:
        pairs = [bounds[name] for name in free] if isinstance(bounds, dict) else list(bounds)
        parameters = dict(point.parameters)
        for name, (lower, upper) in zip(free, pairs):
            value = parameters[name]
            for limit in (float(lower), float(upper)):
                if 0 < abs(value - limit) <= 1e-12 * max(1.0, abs(limit)):
                    parameters[name] = limit
    except (KeyError, TypeError, ValueError):
        return point  # malformed bounds: two_parameter_bounds names the problem
    return replace(point, parameters=parameters)


def _refine_start(problem, u0, options, point, free):
    """u0 corrected onto the curve by Newton with free[0] fixed (a located point
    is a solution to Newton tolerance already; a restart point's vectors are
    rebuilt from its orbit)."""
    row = np.zeros(len(u0))
    row[problem.parameter_slots[0]] = 1.0
    try:
        return correct(problem, u0, row, options)[0]
    except (NewtonFailure, np.linalg.LinAlgError) as failure:
        raise ParameterError(f"the start point {getattr(point, 'label', point)!r} is not on its "
                             f"curve: Newton on the defining system with {free[0]} fixed did not "
                             f"converge ({failure}); start from a located special point or a "
                             f"point of a computed curve") from None


def trace_cycle_curve(problem, u0, bounds, options, description, progress):
    """Trace a cycle curve from u0, starting towards increasing first parameter."""
    slots = {problem.parameter_slots[0]: bounds[0], problem.parameter_slots[1]: bounds[1]}
    row = np.random.default_rng(1).standard_normal(len(u0))
    system = problem.bordered_jacobian(u0, row)
    rhs = np.zeros(system.shape[0])
    rhs[-1] = 1.0
    tangent = factor(system)(rhs)
    tangent /= math.sqrt((problem.inner_weights * tangent) @ tangent)
    if tangent[problem.parameter_slots[0]] < 0:
        tangent = -tangent
    return trace_with_progress(problem, u0, slots, options, description, progress, tangent)


def cycle_curve_point(branch: Branch, index) -> SpecialPoint:
    """Point ``index`` of an LPC-C, PD-C or NS-C branch (an integer, negative
    counting from the end, or the label of one of its special points) as a
    start point of the curve's own kind (LPC, PD or NS) with its orbit:
    ``continue_curve(model, cycle_curve_point(curve, -1), free, bounds)``
    restarts the curve from its last point, ``cycle_curve_point(curve, "R2_1")``
    from its R2 point."""
    kinds = {curve: point for point, curve in CURVE_KINDS.items()}
    if getattr(branch, "kind", None) not in kinds or "profile" not in branch.extra:
        raise ParameterError("cycle_curve_point needs an LPC-C, PD-C or NS-C branch that stores "
                             "its orbits (extra 'profile'), got "
                             f"{getattr(branch, 'kind', branch)!r}")
    index, parameters, data = orbit_row(branch, index)
    if "kappa" in branch.extra:
        data["kappa"] = float(branch.extra["kappa"][index])
    kind = kinds[branch.kind]
    return SpecialPoint(f"{kind}@{index}", kind, index, parameters, branch.states[index],
                        branch.eigenvalues[index], data, branch.model, branch.kind, branch.free)


class RotationCurveProblem(_ZeroAmplitudeEnd, _CycleMultipliers, SparseBorderedProblem):
    """A multiplier e^{i theta} in rotation form, u = (x, a, b, T, theta, alpha1, alpha2):

        a' = T A a,  b' = T A b,  a(1) + i b(1) = e^{i theta} (a(0) + i b(0)),
        int a . a_ref + b . b_ref = 1,  int a . b_ref - b . a_ref = 0.

    The earlier NS-C system (Doedel, Govaerts & Kuznetsov 2003; AUTO-07p's
    torus curves), kept as the base of the TI-C problem of cycles
    (``transverse.TransverseCycleProblem``), whose mode shift couples a and b
    for complex L. Regular where e^{i theta} is a simple multiplier (also real,
    theta = 0 or pi, of a mode); singular where a pair meets on the real axis
    in a Jordan block, so NS-C uses :class:`NeimarkSackerCurveProblem`.
    """

    reuse_factorization = True
    kind = "NS"

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

    def unpack_cycle(self, u):
        x, _, _, period, _, p = self.unpack(u)
        return x, period, p

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
        s = disc.size
        rx, bxx, dTx, dpx, parts, (cos, sin), (a0, b0) = self._blocks(u)
        col_T, col_p = 3 * s, 3 * s + 2  # theta (3 s + 1) enters through the wrap rotation
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
        self._track_amplitude(u)
        x, a, b, _, _, _ = self.unpack(u)
        self.phase = self.disc.phase_row(x)
        size = self.disc.weights() @ (a**2 + b**2)
        self.a_ref, self.b_ref = a / size, b / size  # the current point stays a solution

    def point_data(self, u):
        x, _, _, period, theta, _ = self.unpack(u)
        maximum, minimum, mean = orbit_statistics(self.disc, x)
        return {"eigenvalues": self.multipliers(u), "period": period, "theta": theta,
                "max": maximum, "min": minimum, "mean": mean, "mesh": self.disc.mesh,
                "profile": self.disc.points(x),
                "trivial_error": trivial_error(self.multipliers(u))}


def torus_vectors(problem, u, angle, extra_blocks=0.0):
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
