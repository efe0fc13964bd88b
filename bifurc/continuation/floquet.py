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

import functools
import math

import numba as nb
import numpy as np

#: largest |mu_trivial - 1| at which multipliers (and the test functions and
#: stability built on them) are trusted by default
TRIVIAL_TOLERANCE = 1e-6

#: sweeps of the orthogonal iteration at most
MAX_SWEEPS = 60
#: multipliers whose moduli lie within this ratio of each other may stay in one
#: block (their product is then formed, which is harmless at that ratio); the
#: iteration waits for the others to split
BLOCK_RATIO = 0.1


@nb.njit(cache=True, nogil=True)
def _solve_in_place(A, Y, first):
    """Rows ``first``.. of the solution X of A X = Y (square A, any number of
    columns), in place in Y: Gaussian elimination with partial pivoting (A is
    overwritten by its triangular factor), then back substitution from the
    last row up to ``first`` only."""
    size, columns = A.shape[0], Y.shape[1]
    for col in range(size):
        pivot = col
        best = abs(A[col, col])
        for r in range(col + 1, size):
            if abs(A[r, col]) > best:
                best = abs(A[r, col])
                pivot = r
        if pivot != col:
            for k in range(size):
                A[col, k], A[pivot, k] = A[pivot, k], A[col, k]
            for k in range(columns):
                Y[col, k], Y[pivot, k] = Y[pivot, k], Y[col, k]
        inverse = 1.0 / A[col, col]
        for r in range(col + 1, size):
            factor = A[r, col] * inverse
            if factor != 0.0:
                for k in range(col, size):
                    A[r, k] -= factor * A[col, k]
                for k in range(columns):
                    Y[r, k] -= factor * Y[col, k]
    for r in range(size - 1, first - 1, -1):
        for k in range(columns):
            acc = Y[r, k]
            for m in range(r + 1, size):
                acc -= A[r, m] * Y[m, k]
            Y[r, k] = acc / A[r, r]


@nb.njit(cache=True, nogil=True)
def _condense(blocks, G):
    """G[j]: xi(tau_{j+1}) = G[j] xi(tau_j) from interval j's collocation blocks
    (NTST, NCOL, n, NCOL + 1, n), real or complex: [B_interior B_end] solved
    against -B_start, the end point only (``_solve_in_place``; the numpy
    reference is ``transfer_matrices``)."""
    ntst, ncol, n = blocks.shape[0], blocks.shape[1], blocks.shape[2]
    size = ncol * n
    M = np.empty((size, size), dtype=blocks.dtype)
    R = np.empty((size, n), dtype=blocks.dtype)
    for j in range(ntst):
        for c in range(ncol):
            for i in range(n):
                row = c * n + i
                for k in range(n):
                    R[row, k] = -blocks[j, c, i, 0, k]
                for l in range(1, ncol + 1):
                    for k in range(n):
                        M[row, (l - 1) * n + k] = blocks[j, c, i, l, k]
        # the last n unknowns (xi at tau_{j+1}) depend on no earlier one
        _solve_in_place(M, R, size - n)
        for i in range(n):
            for k in range(n):
                G[j, i, k] = R[size - n + i, k]


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
def _sweeps(G, Q, max_sweeps, tolerance, block_ratio, R_all, S, growth):
    """Orthogonal iteration around the cycle, in place on Q. On return R_all[j]
    are the triangular factors of the last sweep, S = Q_0^H Q_N and growth[i]
    = sum_j log R_j[i, i]; returns the number of sweeps made.

    After each sweep (from the third on) every split point p either has
    converged (S[p:, :p] below ``tolerance``) or is left as part of a block
    when the moduli on either side are within ``block_ratio`` of each other
    (estimated over the last two sweeps: a rotating pair shares its growth
    between its columns unevenly from one sweep to the next); the iteration
    stops when nothing is left to wait for."""
    N, n = G.shape[0], G.shape[1]
    Y = np.empty((n, n), dtype=G.dtype)
    Qn = np.empty((n, n), dtype=G.dtype)
    start = np.empty((n, n), dtype=G.dtype)
    previous = np.zeros(n)
    sweep = 0
    log_ratio = np.log(block_ratio)
    for sweep in range(1, max_sweeps + 1):
        for a in range(n):
            for b in range(n):
                start[a, b] = Q[a, b]
        for i in range(n):
            previous[i] = growth[i]
            growth[i] = 0.0
        for j in range(N):
            for a in range(n):
                for b in range(n):
                    acc = 0.0 * G[0, 0, 0]
                    for k in range(n):
                        acc += G[j, a, k] * Q[k, b]
                    Y[a, b] = acc
            _householder_qr(Y, Qn, R_all[j])
            for a in range(n):
                growth[a] += np.log(max(abs(R_all[j, a, a]), 1e-300))
                for b in range(n):
                    Q[a, b] = Qn[a, b]
        for a in range(n):
            for b in range(n):
                acc = 0.0 * G[0, 0, 0]
                for k in range(n):
                    acc += np.conj(start[k, a]) * Q[k, b]
                S[a, b] = acc
        if sweep < 2:
            continue
        waiting = False
        for p in range(1, n):
            worst = 0.0
            for a in range(p, n):
                for b in range(p):
                    worst = max(worst, abs(S[a, b]))
            if worst <= tolerance:
                continue
            gap = (growth[p] + previous[p]) - (growth[p - 1] + previous[p - 1])
            if gap < 2 * log_ratio:  # far apart: it will split, wait for it
                waiting = True
                break
        if not waiting:
            break
    return sweep


@nb.njit(cache=True, nogil=True)
def _block_product(R_all, S, lo, hi, product):
    """S_bb prod_j R_j[b, b] for the diagonal block b = lo:hi, into ``product``
    (scaled to largest entry 1); returns the log of the scale."""
    m = hi - lo
    N = R_all.shape[0]
    for a in range(m):
        for b in range(m):
            product[a, b] = 1.0 if a == b else 0.0
    work = np.empty((m, m), dtype=R_all.dtype)
    log_size = 0.0
    for j in range(N):
        size = 0.0
        for a in range(m):
            for b in range(m):
                acc = 0.0 * R_all[0, 0, 0]
                for k in range(m):
                    acc += R_all[j, lo + a, lo + k] * product[k, b]
                work[a, b] = acc
                size = max(size, abs(acc))
        if size == 0.0:
            return -np.inf
        for a in range(m):
            for b in range(m):
                product[a, b] = work[a, b] / size
        log_size += np.log(size)
    for a in range(m):
        for b in range(m):
            acc = 0.0 * R_all[0, 0, 0]
            for k in range(m):
                acc += S[lo + a, lo + k] * product[k, b]
            work[a, b] = acc
    for a in range(m):
        for b in range(m):
            product[a, b] = work[a, b]
    return log_size


def _blocks_of(S, tolerance):
    """Split points p (0 < p < n) where S[p:, :p] is negligible, as block bounds."""
    n = S.shape[0]
    magnitude = np.abs(S)
    bounds = [0] + [p for p in range(1, n) if magnitude[p:, :p].max() <= tolerance] + [n]
    return list(zip(bounds[:-1], bounds[1:]))


@functools.cache
def _generic_start(n: int, is_complex: bool) -> np.ndarray:
    """A fixed, generic orthogonal matrix (no direction is special)."""
    q = np.linalg.qr(np.random.default_rng(12345).standard_normal((n, n)))[0]
    return q.astype(complex) if is_complex else q


@nb.njit(cache=True, nogil=True)
def _scaled_product(G, M):
    """M = G_{N-1} ... G_0 divided by a power of its size (no overflow)."""
    N, n = G.shape[0], G.shape[1]
    work = np.empty((n, n), dtype=G.dtype)
    for a in range(n):
        for b in range(n):
            M[a, b] = 1.0 if a == b else 0.0
    for j in range(N):
        size = 0.0
        for a in range(n):
            for b in range(n):
                acc = 0.0 * G[0, 0, 0]
                for k in range(n):
                    acc += G[j, a, k] * M[k, b]
                work[a, b] = acc
                size = max(size, abs(acc))
        if size == 0.0 or not np.isfinite(size):
            size = 1.0
        for a in range(n):
            for b in range(n):
                M[a, b] = work[a, b] / size


def _start(G, is_complex: bool) -> np.ndarray:
    """Orthogonal Q_0 whose leading columns span the invariant subspaces of the
    dominant eigenvalues of the (scaled) monodromy product: exact enough for
    the multipliers that the product keeps, so the orthogonal iteration has
    only the others to resolve; a generic start where the product fails."""
    n = G.shape[1]
    M = np.empty((n, n), dtype=G.dtype)
    _scaled_product(G, M)
    try:
        values, vectors = np.linalg.eig(M)
    except np.linalg.LinAlgError:
        return _generic_start(n, is_complex).copy()
    if not (np.all(np.isfinite(values)) and np.all(np.isfinite(vectors))):
        return _generic_start(n, is_complex).copy()
    order = np.argsort(-np.abs(values), kind="stable")
    values, vectors = values[order], vectors[:, order]
    if not is_complex:  # a complex pair spans the real plane of its real and imaginary parts
        basis = np.empty((n, n))
        k = 0
        while k < n:
            if abs(values[k].imag) > 0 and k + 1 < n:
                basis[:, k], basis[:, k + 1] = vectors[:, k].real, vectors[:, k].imag
                k += 2
            else:
                basis[:, k] = vectors[:, k].real
                k += 1
        vectors = basis
    q, r = np.linalg.qr(vectors)
    if np.min(np.abs(np.diag(r))) <= 1e-12 * max(np.abs(r).max(), 1e-300):  # a defective basis
        q, _ = np.linalg.qr(vectors + 1e-8 * _generic_start(n, is_complex))
    return np.ascontiguousarray(q.astype(G.dtype))


def floquet_from_transfer(G) -> np.ndarray:
    """Eigenvalues of G_{N-1} ... G_0 (real or complex G of shape (N, n, n)) by
    the periodic Schur decomposition of the module doc, sorted by decreasing
    modulus. Multipliers beyond the floating-point range are 0 or inf."""
    G = np.ascontiguousarray(G)
    if not np.all(np.isfinite(G)):
        raise FloatingPointError("non-finite transfer matrices")
    N, n = G.shape[0], G.shape[1]
    is_complex = np.iscomplexobj(G)
    dtype = np.complex128 if is_complex else np.float64
    G = G.astype(dtype, copy=False)
    Q = _start(G, is_complex)
    R_all = np.empty((N, n, n), dtype=dtype)
    S = np.empty((n, n), dtype=dtype)
    growth = np.zeros(n)
    tolerance = 64 * np.finfo(float).eps * n
    _sweeps(G, Q, MAX_SWEEPS, tolerance, BLOCK_RATIO, R_all, S, growth)
    magnitudes = np.empty(n)
    phases = np.empty(n, dtype=complex)
    product = np.empty((n, n), dtype=dtype)
    tiny = np.finfo(float).tiny
    for lo, hi in _blocks_of(S, tolerance):
        log_size = _block_product(R_all, S, lo, hi, product)
        if hi - lo == 1:
            value = complex(product[0, 0])
            magnitudes[lo] = math.log(max(abs(value), tiny)) + log_size
            phases[lo] = value / abs(value) if value != 0 else 1.0
            continue
        values = np.linalg.eigvals(product[:hi - lo, :hi - lo])
        size = np.maximum(np.abs(values), tiny)
        magnitudes[lo:hi] = np.log(size) + log_size
        phases[lo:hi] = values / size
    order = np.argsort(-magnitudes, kind="stable")
    magnitudes, phases = magnitudes[order], phases[order]
    mu = phases * np.exp(np.minimum(magnitudes, 709.0))
    mu[magnitudes > 709.0] = np.inf
    if not is_complex:
        mu = _conjugate_pairs(mu)
    return mu


@nb.njit(cache=True, nogil=True)
def _condense_shifted(blocks, shift, factors, work, G):
    """G[m]: the transfer matrices (``_condense``) of blocks + factors[m] shift,
    for every m; ``work`` is scratch of the blocks' shape and G's dtype."""
    flat_blocks, flat_shift, flat_work = blocks.ravel(), shift.ravel(), work.ravel()
    for m in range(len(factors)):
        factor = factors[m]
        for k in range(flat_work.size):
            flat_work[k] = flat_blocks[k] + factor * flat_shift[k]
        _condense(work, G[m])


@nb.njit(cache=True, nogil=True)
def _scaled_products(G_all, M_all):
    for m in range(G_all.shape[0]):
        _scaled_product(G_all[m], M_all[m])


@nb.njit(cache=True, nogil=True)
def _leading_after_one_sweep(G_all, Q_all, tolerance, lead_log, lead_phase):
    """One sweep of the orthogonal iteration per chain, on the leading two
    columns of Q_all[m] only (classical Gram-Schmidt, twice: Giraud et al.
    2005). A leading block (the first column, or the pair) has split off when
    it has come back to its own span -- the part of Q_N outside span(Q_0)
    below ``tolerance``, i.e. S[p:, :p] of ``_sweeps`` negligible. Then its
    multipliers come from the triangular factors: lead_log[m, k] = log |mu_k|
    and lead_phase[m, k] = mu_k / |mu_k| for the two leading multipliers
    (k = 0, 1) where the pair split off, for the first alone where only it
    did; NaN where unresolved."""
    count, N, n = G_all.shape[0], G_all.shape[1], G_all.shape[2]
    p = 2
    R_all = np.empty((N, p, p), dtype=G_all.dtype)
    Q = np.empty((n, p), dtype=G_all.dtype)
    Y = np.empty((n, p), dtype=G_all.dtype)
    S = np.empty((p, p), dtype=G_all.dtype)
    product = np.empty((p, p), dtype=G_all.dtype)
    for m in range(count):
        for k in range(p):
            lead_log[m, k] = np.nan
            lead_phase[m, k] = 1.0
        for a in range(n):
            for b in range(p):
                Q[a, b] = Q_all[m, a, b]
        deficient = False
        for j in range(N):
            for a in range(n):
                for b in range(p):
                    acc = 0.0 * G_all[0, 0, 0, 0]
                    for k in range(n):
                        acc += G_all[m, j, a, k] * Q[k, b]
                    Y[a, b] = acc
            for b in range(p):
                for c in range(p):
                    R_all[j, c, b] = 0.0
                for _ in range(2):  # project out the earlier columns, twice
                    for c in range(b):
                        dot = 0.0 * Y[0, 0]
                        for a in range(n):
                            dot += np.conj(Q[a, c]) * Y[a, b]
                        R_all[j, c, b] += dot
                        for a in range(n):
                            Y[a, b] -= dot * Q[a, c]
                norm = 0.0
                for a in range(n):
                    norm += abs(Y[a, b]) ** 2
                norm = np.sqrt(norm)
                if not norm > 0.0:
                    deficient = True
                    break
                R_all[j, b, b] = norm
                for a in range(n):
                    Q[a, b] = Y[a, b] / norm
            if deficient:
                break
        if deficient:
            continue
        # S = Q_0^H Q_N, and the part of Q_N's leading columns outside span(Q_0[:, :size])
        for b in range(p):
            for c in range(p):
                acc = 0.0 * S[0, 0]
                for a in range(n):
                    acc += np.conj(Q_all[m, a, c]) * Q[a, b]
                S[c, b] = acc
        split = np.zeros(p + 1, dtype=np.bool_)
        for size in range(1, p + 1):
            outside = 0.0
            for b in range(size):
                rest = 0.0
                for a in range(n):
                    acc = Q[a, b]
                    for c in range(size):
                        acc -= Q_all[m, a, c] * S[c, b]
                    rest += abs(acc) ** 2
                outside = max(outside, np.sqrt(rest))
            split[size] = outside <= tolerance
        if split[2]:
            log_size = _block_product(R_all, S, 0, 2, product)
            half_trace = 0.5 * (product[0, 0] + product[1, 1]) + 0j
            det = product[0, 0] * product[1, 1] - product[0, 1] * product[1, 0] + 0j
            root = np.sqrt(half_trace * half_trace - det)
            first = half_trace + root
            if abs(half_trace - root) > abs(first):
                first = half_trace - root
            second = det / first if first != 0 else 0.0 * first
            for k, value in ((0, first), (1, second)):
                if value != 0:
                    lead_log[m, k] = np.log(abs(value)) + log_size
                    lead_phase[m, k] = value / abs(value)
                else:
                    lead_log[m, k] = -np.inf
        elif split[1]:
            log_size = _block_product(R_all, S, 0, 1, product)
            value = product[0, 0] + 0j
            if value != 0:
                lead_log[m, 0] = np.log(abs(value)) + log_size
                lead_phase[m, 0] = value / abs(value)
            else:
                lead_log[m, 0] = -np.inf


def _batch_starts(M):
    """Orthogonal starts for (m, n, n) scaled products: as ``_start``, all at once
    (eigenvectors by decreasing modulus, a complex pair of a real problem as the
    real plane of its real and imaginary parts)."""
    is_complex = np.iscomplexobj(M)
    values, vectors = np.linalg.eig(M)
    order = np.argsort(-np.abs(values), axis=1, kind="stable")
    values = np.take_along_axis(values, order, axis=1)
    vectors = np.take_along_axis(vectors, order[:, None, :], axis=2)
    if is_complex:
        basis = vectors
    else:  # numpy returns a real matrix's pairs adjacent, + imaginary part first
        basis = vectors.real.copy()
        first = np.zeros(values.shape, bool)
        first[:, :-1] = values[:, :-1].imag > 0
        m_index, k_index = np.nonzero(first)
        basis[m_index, :, k_index + 1] = vectors[m_index, :, k_index].imag
    q, r = np.linalg.qr(basis)
    diagonal = np.abs(np.diagonal(r, axis1=1, axis2=2)).min(axis=1)
    defective = ~(diagonal > 1e-12 * np.abs(r).max(axis=(1, 2)))
    defective |= ~np.all(np.isfinite(q), axis=(1, 2))
    q[defective] = _generic_start(M.shape[1], is_complex)
    return np.ascontiguousarray(q.astype(M.dtype))


def leading_multipliers(G_all, count: int = 1, pairs=None):
    """The ``count`` (1 or 2) multipliers of largest modulus of G_{N-1} ... G_0
    for each of a batch of transfer-matrix chains G_all (m, N, n, n), as
    (log_modulus, phase), each (m, count) (with count = 2 and a boolean mask
    ``pairs``, the second only where it is True, NaN elsewhere when the sweep
    did not give it): the periodic Schur method of the
    module doc, batched. Each chain starts from its scaled product's
    eigenvectors and makes one sweep; where the leading block has split off
    there (the product's dominant subspace was right), its multipliers come
    from the sweep's triangular factors, with the relative accuracy of the
    full method; the other chains run ``floquet_from_transfer``."""
    G_all = np.ascontiguousarray(G_all)
    if not np.all(np.isfinite(G_all)):
        raise FloatingPointError("non-finite transfer matrices")
    chains, n = G_all.shape[0], G_all.shape[2]
    log_modulus = np.full((chains, 2), np.nan)
    phase = np.ones((chains, 2), dtype=complex)
    if n > 2:  # (for n <= 2 a partial sweep gains nothing)
        M = np.empty((chains, n, n), dtype=G_all.dtype)
        _scaled_products(G_all, M)
        starts_ok = np.all(np.isfinite(M), axis=(1, 2))
        Q = np.empty_like(M)
        if starts_ok.any():
            Q[starts_ok] = _batch_starts(M[starts_ok])
        Q[~starts_ok] = _generic_start(n, np.iscomplexobj(G_all))
        _leading_after_one_sweep(G_all, Q, 64 * np.finfo(float).eps * n, log_modulus, phase)
    wanted = np.isnan(log_modulus[:, 0])
    if count == 2:
        wanted |= np.isnan(log_modulus[:, 1]) & (True if pairs is None else np.asarray(pairs))
    for m in np.flatnonzero(wanted):
        mu = floquet_from_transfer(G_all[m])[:2]  # by decreasing modulus
        size = np.maximum(np.abs(mu), np.finfo(float).tiny)
        log_modulus[m, :len(mu)], phase[m, :len(mu)] = np.log(size), mu / size
    return log_modulus[:, :count], phase[:, :count]


def leading_log_multipliers(G_all) -> np.ndarray:
    """log |mu_max| for each chain of a batch (``leading_multipliers``)."""
    return leading_multipliers(G_all, 1)[0][:, 0]


@nb.njit(cache=True, nogil=True)
def _low_rank_transfer(G0, EZ, K, D, factors, G):
    """G[m, j] = G0[j] + k EZ[j] (I + k K[j])^-1 D[j] with k = factors[m]
    (the small q x q system by ``_solve_in_place``)."""
    N, n, q = EZ.shape[0], EZ.shape[1], EZ.shape[2]
    A = np.empty((q, q), dtype=G.dtype)
    Y = np.empty((q, n), dtype=G.dtype)
    for m in range(len(factors)):
        k = factors[m]
        for j in range(N):
            for a in range(q):
                for b in range(q):
                    A[a, b] = k * K[j, a, b] + (1.0 if a == b else 0.0)
                for b in range(n):
                    Y[a, b] = D[j, a, b]
            _solve_in_place(A, Y, 0)
            for a in range(n):
                for b in range(n):
                    acc = G0[j, a, b] + 0.0 * k
                    for c in range(q):
                        acc += k * EZ[j, a, c] * Y[c, b]
                    G[m, j, a, b] = acc


def _low_rank_parts(blocks, shift):
    """(G0, EZ, K, D) of ``_low_rank_transfer``, or None when the shift has no
    low rank on an interval (then direct condensation costs the same).

    On interval j the condensed system is A(k) X = R(k), A = A0 + k dA,
    R = R0 + k dR, and G = the last n rows of X. Factor [dA | dR] = P [Q^T | W]
    (SVD, rank q: ncol rank(S) for a shift S of the Jacobian); with Y0 = A0^-1 R0,
    Z = A0^-1 P, K = Q^T Z (Sherman-Morrison-Woodbury),
    X = Y0 + k Z (I + k K)^-1 (W - Q^T Y0)."""
    N, ncol, n = blocks.shape[0], blocks.shape[1], blocks.shape[2]
    size = ncol * n
    square = blocks.reshape(N, size, (ncol + 1) * n)
    A0, R0 = square[:, :, n:], -square[:, :, :n]
    change = shift.reshape(N, size, (ncol + 1) * n)
    joint = np.concatenate([change[:, :, n:], -change[:, :, :n]], axis=2)  # [dA | dR]
    # a shift S of the Jacobian gives -h_j T (L (x) S) on interval j: one
    # pattern times a number per interval; factor the pattern once
    largest = int(np.argmax(np.abs(joint).max(axis=(1, 2))))
    pattern = joint[largest]
    scale = np.einsum("jab,ab->j", joint, pattern) / max(np.sum(pattern * pattern), 1e-300)
    if np.abs(joint - scale[:, None, None] * pattern).max() <= 1e-14 * np.abs(pattern).max():
        u, sigma, vh = np.linalg.svd(pattern, full_matrices=False)
        u, sigma, vh = (u[None] * scale[:, None, None], np.broadcast_to(sigma, (N, len(sigma))),
                        np.broadcast_to(vh, (N,) + vh.shape))
    else:
        u, sigma, vh = np.linalg.svd(joint, full_matrices=False)
    q = int(np.max(np.sum(sigma > 1e-14 * np.maximum(sigma.max(), 1e-300), axis=1)))
    if 2 * q > size:
        return None
    P = u[:, :, :q] * sigma[:, None, :q]
    Qt, W = vh[:, :q, :size], vh[:, :q, size:]
    solved = np.linalg.solve(A0, np.concatenate([R0, P], axis=2))
    Y0, Z = solved[:, :, :n], solved[:, :, n:]
    K = Qt @ Z
    D = W - Qt @ Y0
    return (np.ascontiguousarray(Y0[:, -n:, :]), np.ascontiguousarray(Z[:, -n:, :]),
            np.ascontiguousarray(K), np.ascontiguousarray(D))


def shifted_transfer_matrices(blocks, shift, factors) -> np.ndarray:
    """Transfer matrices (m, NTST, n, n) of the collocation blocks + factors[m] *
    shift, for each factor (real, or complex for complex factors). A shift of
    low rank (a coupling through a few states) is applied to one condensation
    of ``blocks`` by the Woodbury identity (``_low_rank_parts``), else each
    factor's blocks are condensed."""
    factors = np.atleast_1d(np.asarray(factors))
    dtype = np.complex128 if (np.iscomplexobj(factors) or np.iscomplexobj(blocks)
                              or np.iscomplexobj(shift)) else np.float64
    n = blocks.shape[2]
    G = np.empty((len(factors), blocks.shape[0], n, n), dtype=dtype)
    parts = None if np.iscomplexobj(blocks) or np.iscomplexobj(shift) else \
        _low_rank_parts(np.asarray(blocks, float), np.asarray(shift, float))
    if parts is not None:
        _low_rank_transfer(*parts, factors.astype(dtype), G)
        return G
    blocks = np.ascontiguousarray(blocks, dtype=dtype)
    shift = np.ascontiguousarray(shift, dtype=dtype)
    _condense_shifted(blocks, shift, factors.astype(dtype), np.empty_like(blocks), G)
    return G


def _conjugate_pairs(mu):
    """Real problems: real multipliers exactly real, complex ones in exact pairs."""
    mu = mu.copy()
    scale = np.abs(mu)
    nearly_real = np.abs(mu.imag) <= 1e-13 * np.maximum(scale, np.finfo(float).tiny)
    mu[nearly_real] = mu[nearly_real].real
    return mu


def floquet_multipliers(blocks) -> np.ndarray:
    """Floquet multipliers of the collocated variational equation with
    ``blocks`` (NTST, NCOL, n, NCOL + 1, n), real or complex, sorted by
    decreasing modulus."""
    blocks = np.ascontiguousarray(blocks)
    G = np.empty((blocks.shape[0], blocks.shape[2], blocks.shape[2]), dtype=blocks.dtype)
    _condense(blocks, G)
    return floquet_from_transfer(G)


def leading_floquet_multipliers(blocks, count: int = 2) -> np.ndarray:
    """The ``count`` Floquet multipliers of largest modulus of the collocated
    variational equation with ``blocks`` (as ``floquet_multipliers``; by
    ``leading_multipliers``, cheaper when the others are not needed)."""
    blocks = np.ascontiguousarray(blocks)
    G = np.empty((1, blocks.shape[0], blocks.shape[2], blocks.shape[2]), dtype=blocks.dtype)
    _condense(blocks, G[0])
    log_modulus, phase = leading_multipliers(G, count)
    mu = phase[0] * np.exp(np.minimum(log_modulus[0], 709.0))
    mu[log_modulus[0] > 709.0] = np.inf
    return mu if np.iscomplexobj(blocks) else _conjugate_pairs(mu)


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
    (NTST, NCOL, n, NCOL + 1, n) (interval condensation; the numpy reference of
    ``_condense``)."""
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
           "leading_multipliers", "leading_log_multipliers", "leading_floquet_multipliers",
           "shifted_transfer_matrices",
           "trivial_error", "nontrivial", "transfer_matrices", "floquet_eigenfunction"]
