"""Floquet multipliers of a collocated periodic orbit, over any dynamic range.

Condensing the collocation equations of the variational problem
xi' = T A(x(tau)) xi on each mesh interval gives the transfer matrices G_j,
xi(tau_{j+1}) = G_j xi(tau_j); the multipliers are the eigenvalues of the
monodromy matrix M = G_{N-1} ... G_0. Forming M in floating point destroys
every multiplier much smaller than the largest one: near a homoclinic orbit
or on a stiff relaxation cycle they span 1e-30 .. 1e30 and more, and even the
trivial multiplier 1 is lost.

Instead we compute a periodic Schur decomposition (Bojanczyk, Golub &
Van Dooren 1992) without forming products,

    Q_{j+1}^H G_j Q_j = R_j   (upper triangular),   j = 0 .. N-1,   Q_N = Q_0 S,

by orthogonal (subspace) iteration around the cycle: each sweep QR-factorises
G_j Q_j = Q_{j+1} R_j for j = 0 .. N-1 and restarts from Q_N. The leading
p columns of Q_0 converge to the invariant subspace of the p dominant
multipliers at the rate |mu_{p+1} / mu_p| per sweep, so well separated
multipliers split off in a sweep or two; where the lower-left block
S[p:, :p] has fallen below round-off, the decomposition is a backward-stable
periodic Schur form and the spectrum splits there. A diagonal block b of
size one gives mu = S_bb prod_j R_j[b, b] -- a product of diagonal entries, so
that every multiplier keeps its relative accuracy whatever the others are
(the reason the QR method of Lyapunov exponents works). Blocks that do not
split (complex pairs, multipliers of nearly equal modulus such as the trivial
one next to a period doubling or a torus pair) are small products of
comparable factors; their eigenvalues come from the (scaled) product
S_bb prod_j R_j[b, b].

The trivial multiplier of an autonomous system is exactly 1; its computed
distance from 1 measures how far the multipliers can be trusted (the
discretisation error shows there; AUTO-07p prints a warning when it exceeds a
tolerance). Continuations store it for every point and evaluate no multiplier
test function where it exceeds ``TRIVIAL_TOLERANCE``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: largest |mu_trivial - 1| at which multipliers (and the test functions and
#: stability built on them) are trusted by default
TRIVIAL_TOLERANCE = 1e-6

#: sweeps of the orthogonal iteration at most; multipliers whose moduli differ
#: by less than a factor of about 1.7 may stay in one block (their product is
#: then formed, which is harmless at that ratio)
MAX_SWEEPS = 60
#: sweeps at least before blocks that have not split are accepted as blocks
#: (a ratio of moduli below about 0.2 splits within them)
MIN_SWEEPS = 20


@nb.njit(cache=True, nogil=True)
def _householder_qr(Y, Q, R):
    """Y = Q R with Q unitary and R upper triangular with a real non-negative
    diagonal where possible (Householder reflections; real or complex)."""
    n = Y.shape[0]
    for i in range(n):
        for k in range(n):
            R[i, k] = Y[i, k]
            Q[i, k] = 0.0
        Q[i, i] = 1.0
    v = np.empty(n, dtype=Y.dtype)
    for k in range(n):
        norm = 0.0
        for i in range(k, n):
            norm += abs(R[i, k]) ** 2
        norm = np.sqrt(norm)
        if norm == 0.0:
            continue
        head = R[k, k]
        phase = head / abs(head) if abs(head) > 0 else 1.0 + 0.0 * head
        alpha = -phase * norm
        for i in range(k, n):
            v[i] = R[i, k]
        v[k] -= alpha
        vnorm = 0.0
        for i in range(k, n):
            vnorm += abs(v[i]) ** 2
        if vnorm == 0.0:
            continue
        # R <- (I - 2 v v^H / |v|^2) R ;  Q <- Q (I - 2 v v^H / |v|^2)
        for col in range(n):
            dot = 0.0 * R[0, 0]
            for i in range(k, n):
                dot += np.conj(v[i]) * R[i, col]
            dot *= 2.0 / vnorm
            for i in range(k, n):
                R[i, col] -= v[i] * dot
        for row in range(n):
            dot = 0.0 * Q[0, 0]
            for i in range(k, n):
                dot += Q[row, i] * v[i]
            dot *= 2.0 / vnorm
            for i in range(k, n):
                Q[row, i] -= dot * np.conj(v[i])
    # make the diagonal of R real and non-negative (unique factor, smooth in G)
    for i in range(n):
        d = R[i, i]
        if abs(d) > 0:
            phase = d / abs(d)
            for col in range(n):
                R[i, col] = R[i, col] / phase
            for row in range(n):
                Q[row, i] = Q[row, i] * phase


@nb.njit(cache=True, nogil=True)
def _sweeps(G, Q0, max_sweeps, min_sweeps, tolerance, R_all, S):
    """Orthogonal iteration around the cycle. On return R_all[j] are the
    triangular factors of the last sweep, S = Q_0^H Q_N, and the number of
    sweeps made is returned. Stops once every split point that can be
    resolved is: S block upper triangular with 1x1 blocks, or unchanged
    partition for a few sweeps after a minimum number of sweeps."""
    N, n = G.shape[0], G.shape[1]
    Q = Q0.copy()
    Y = np.empty((n, n), dtype=G.dtype)
    Qn = np.empty((n, n), dtype=G.dtype)
    previous_splits = -1
    stable_count = 0
    sweep = 0
    for sweep in range(1, max_sweeps + 1):
        start = Q.copy()
        for j in range(N):
            for a in range(n):
                for b in range(n):
                    acc = 0.0 * G[0, 0, 0]
                    for k in range(n):
                        acc += G[j, a, k] * Q[k, b]
                    Y[a, b] = acc
            _householder_qr(Y, Qn, R_all[j])
            for a in range(n):
                for b in range(n):
                    Q[a, b] = Qn[a, b]
        for a in range(n):
            for b in range(n):
                acc = 0.0 * G[0, 0, 0]
                for k in range(n):
                    acc += np.conj(start[k, a]) * Q[k, b]
                S[a, b] = acc
        splits = 0
        for p in range(1, n):
            worst = 0.0
            for a in range(p, n):
                for b in range(p):
                    worst = max(worst, abs(S[a, b]))
            if worst <= tolerance:
                splits += 1
        if splits == n - 1:
            break
        if splits == previous_splits:
            stable_count += 1
        else:
            stable_count = 0
        previous_splits = splits
        if sweep >= min_sweeps and stable_count >= 8:
            break
    return sweep


def _blocks_of(S, tolerance):
    """Split points p (0 < p < n) where S[p:, :p] is negligible, as block bounds."""
    n = S.shape[0]
    bounds = [0]
    for p in range(1, n):
        if np.abs(S[p:, :p]).max() <= tolerance:
            bounds.append(p)
    bounds.append(n)
    return list(zip(bounds[:-1], bounds[1:]))


def _block_product(R_all, S, lo, hi):
    """Eigenvalues of S_bb prod_j R_j[b, b] for the diagonal block b = lo:hi,
    the product formed with a running scale (returned as log10 of it)."""
    if hi - lo == 1:
        diagonal = R_all[:, lo, lo]
        with np.errstate(divide="ignore"):
            magnitude = np.sum(np.log(np.abs(diagonal))) + np.log(abs(S[lo, lo]))
        phase = np.prod(np.sign(diagonal)) * S[lo, lo] / abs(S[lo, lo])
        return np.array([phase]), np.array([magnitude])
    product = np.eye(hi - lo, dtype=R_all.dtype)
    log_size = 0.0
    for R in R_all:
        product = R[lo:hi, lo:hi] @ product
        size = np.abs(product).max()
        if size == 0:
            return np.zeros(hi - lo, dtype=complex), np.full(hi - lo, -np.inf)
        product /= size
        log_size += np.log(size)
    values = np.linalg.eigvals(S[lo:hi, lo:hi] @ product)
    with np.errstate(divide="ignore"):
        magnitude = np.log(np.abs(values)) + log_size
    phase = np.where(values != 0, values / np.where(values != 0, np.abs(values), 1.0), 1.0)
    return phase, magnitude


def floquet_from_transfer(G) -> np.ndarray:
    """Eigenvalues of G_{N-1} ... G_0 (real or complex G of shape (N, n, n)) by
    the periodic Schur decomposition of the module doc, sorted by decreasing
    modulus. Multipliers beyond the floating-point range are 0 or inf."""
    G = np.ascontiguousarray(G)
    if not np.all(np.isfinite(G)):
        raise FloatingPointError("non-finite transfer matrices")
    N, n = G.shape[0], G.shape[1]
    dtype = np.complex128 if np.iscomplexobj(G) else np.float64
    G = G.astype(dtype, copy=False)
    # a fixed, generic start (no direction of the multipliers is special)
    start = np.linalg.qr(np.random.default_rng(12345).standard_normal((n, n)))[0].astype(dtype)
    R_all = np.empty((N, n, n), dtype=dtype)
    S = np.empty((n, n), dtype=dtype)
    tolerance = 64 * np.finfo(float).eps * n
    _sweeps(G, start, MAX_SWEEPS, MIN_SWEEPS, tolerance, R_all, S)
    phases, magnitudes = [], []
    for lo, hi in _blocks_of(S, tolerance):
        phase, magnitude = _block_product(R_all, S, lo, hi)
        phases.append(phase)
        magnitudes.append(magnitude)
    phase, magnitude = np.concatenate(phases), np.concatenate(magnitudes)
    with np.errstate(over="ignore", under="ignore"):
        mu = phase * np.exp(magnitude)
    order = np.argsort(-magnitude, kind="stable")
    mu = np.asarray(mu, dtype=complex)[order]
    if dtype == np.float64:
        mu = _conjugate_pairs(mu)
    return mu


def _conjugate_pairs(mu):
    """Real problems: real multipliers exactly real, complex ones in exact pairs."""
    mu = mu.copy()
    scale = np.abs(mu)
    nearly_real = np.abs(mu.imag) <= 1e-13 * np.maximum(scale, np.finfo(float).tiny)
    mu[nearly_real] = mu[nearly_real].real
    return mu


def floquet_multipliers(blocks, kernels=None) -> np.ndarray:
    """Floquet multipliers of the collocated variational equation with
    ``blocks`` (NTST, NCOL, n, NCOL + 1, n), sorted by decreasing modulus.
    ``kernels``: a compiled model's kernels (their ``condensed_transfer`` is
    used for real blocks)."""
    if kernels is not None and not np.iscomplexobj(blocks):
        ntst, n = blocks.shape[0], blocks.shape[2]
        G = np.empty((ntst, n, n))
        kernels.condensed_transfer(np.ascontiguousarray(blocks), G)
    else:
        G = transfer_matrices(blocks, blocks.shape[2])
    return floquet_from_transfer(G)


def trivial_index(multipliers) -> int:
    """Index of the multiplier closest to 1 (the phase direction)."""
    return int(np.argmin(np.abs(np.asarray(multipliers) - 1.0)))


#: a second multiplier closer than this to 1 makes a nearly defective pair with
#: the trivial one (approaching a fold of cycles or a 1:1 resonance)
NEAR_ONE = 0.1


def trivial_error(multipliers) -> float:
    """How far the computed trivial multiplier is from 1: |mu_1 - 1| for the
    multiplier closest to 1 (0 when exact).

    Near a fold of cycles a second multiplier mu_2 = 1 + d approaches 1 and
    the pair becomes defective (a Jordan block at d = 0): a perturbation eps
    of the matrices moves the trivial multiplier by about eps / d (at d = 0 the
    pair splits like 1 +- sqrt(eps)), so its distance from 1 grows without
    the computation getting any worse, while the product (mu_1 - 1)(mu_2 - 1)
    (the determinant of M - I on the pair) stays of the order of eps. There
    the measure is |mu_1 - 1| |mu_2 - 1| / NEAR_ONE, which joins |mu_1 - 1|
    continuously where |mu_2 - 1| = NEAR_ONE."""
    distances = np.sort(np.abs(np.asarray(multipliers) - 1.0))
    if len(distances) == 0:
        return 0.0
    if len(distances) == 1:
        return float(distances[0])
    return float(distances[0] * min(1.0, distances[1] / NEAR_ONE))


def nontrivial(multipliers) -> np.ndarray:
    """The multipliers without the trivial one."""
    return np.delete(multipliers, trivial_index(multipliers))


def transfer_matrices(blocks, n: int):
    """G_j with xi(tau_{j+1}) = G_j xi(tau_j), from the collocation blocks of shape
    (NTST, NCOL, n, NCOL + 1, n) (interval condensation; numpy reference of the
    compiled ``condensed_transfer``)."""
    ntst, ncol = blocks.shape[0], blocks.shape[1]
    square = blocks.reshape(ntst, ncol * n, (ncol + 1) * n)
    start, rest = square[:, :, :n], square[:, :, n:]
    solved = np.linalg.solve(rest, -start)
    return solved[:, -n:, :]


def floquet_eigenfunction(blocks, n: int, multiplier: complex) -> np.ndarray:
    """The solution xi of the discretised variational equation with
    xi(1) = mu xi(0) for the multiplier closest to ``multiplier``, at the
    NTST*NCOL representation points (complex array of shape (NTST*NCOL, n)).

    Its initial value is the eigenvector of the monodromy matrix (formed here:
    only one, moderately sized multiplier is needed), propagated interval by
    interval with the condensed collocation equations."""
    ntst, ncol = blocks.shape[0], blocks.shape[1]
    square = blocks.reshape(ntst, ncol * n, (ncol + 1) * n)
    propagate = np.linalg.solve(square[:, :, n:], -square[:, :, :n])
    monodromy = np.eye(n)
    for j in range(ntst):
        monodromy = propagate[j, -n:, :] @ monodromy
    values, vectors = np.linalg.eig(monodromy)
    points = [vectors[:, np.argmin(np.abs(values - multiplier))]]
    for j in range(ntst):
        points.extend((propagate[j] @ points[-1]).reshape(ncol, n))
    return np.array(points[:-1])


__all__ = ["TRIVIAL_TOLERANCE", "floquet_from_transfer", "floquet_multipliers", "trivial_index",
           "trivial_error", "nontrivial", "transfer_matrices", "floquet_eigenfunction"]
