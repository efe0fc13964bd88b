"""Floquet multipliers by the periodic Schur decomposition: products of
factors whose eigenvalues are known exactly, over dynamic ranges that
destroy the monodromy matrix, and cycles whose multipliers are exact."""

import math

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation import find_cycle
from bifurc.continuation.collocation import lagrange_tables
from bifurc.continuation.floquet import (floquet_from_transfer, floquet_multipliers, nontrivial,
                                         transfer_matrices, trivial_error)


def random_orthogonal(rng, n, dtype=float):
    matrix = rng.standard_normal((n, n))
    if dtype is complex:
        matrix = matrix + 1j * rng.standard_normal((n, n))
    return np.linalg.qr(matrix)[0]


def factors_with_spectrum(spectrum_per_factor, rng, dtype=float, coupling=1.0):
    """G_j = Q_{j+1} T_j Q_j^H with upper triangular T_j (diagonal given, random
    upper part): the product's eigenvalues are the products of the diagonals."""
    n = spectrum_per_factor.shape[1]
    N = spectrum_per_factor.shape[0]
    Q = [random_orthogonal(rng, n, dtype) for _ in range(N)]
    G = []
    for j in range(N):
        T = np.diag(spectrum_per_factor[j]).astype(dtype)
        T += coupling * np.triu(rng.standard_normal((n, n)), 1)
        G.append(Q[(j + 1) % N] @ T @ Q[j].conj().T)
    return np.array(G)


def test_products_over_sixty_decades_keep_relative_accuracy():
    """Multipliers 1e30, 1, 1e-30 (and a pair on the unit circle) from 40 factors:
    the monodromy matrix cannot hold them (its eigenvalues lose the small ones),
    the periodic Schur decomposition does."""
    rng = np.random.default_rng(1)
    N = 40
    targets = np.array([1e30, 1.0, 1e-30])
    per_factor = np.tile(targets ** (1.0 / N), (N, 1))
    G = factors_with_spectrum(per_factor, rng)
    mu = floquet_from_transfer(G)
    np.testing.assert_allclose(np.abs(mu), targets, rtol=1e-10)
    assert np.all(mu.imag == 0) and np.all(mu.real > 0)
    # the plain product loses the trivial and the small multiplier
    product = np.linalg.multi_dot(G[::-1])
    plain = np.sort(np.abs(np.linalg.eigvals(product)))[::-1]
    assert abs(plain[2] - 1e-30) > 1e-20 or abs(plain[1] - 1.0) > 1e-6


def test_complex_pair_and_negative_multiplier_beside_huge_ones():
    """A rotation (a complex pair exp(+-i 1.3)) and a flip (-1) next to 1e25 and
    1e-25: the pair and the flip come out exactly, with their phases."""
    rng = np.random.default_rng(2)
    N, n = 30, 5
    angle = 1.3
    rotation = np.array([[math.cos(angle / N), -math.sin(angle / N)],
                         [math.sin(angle / N), math.cos(angle / N)]])
    Q = [random_orthogonal(rng, n) for _ in range(N)]
    G = []
    for j in range(N):
        T = np.zeros((n, n))
        T[0, 0] = 1e25 ** (1 / N)
        T[1:3, 1:3] = rotation
        T[3, 3] = -1.0 if j == 0 else 1.0
        T[4, 4] = 1e-25 ** (1 / N)
        T += 0.3 * np.triu(rng.standard_normal((n, n)), 2)
        G.append(Q[(j + 1) % N] @ T @ Q[j].T)
    mu = floquet_from_transfer(np.array(G))
    assert mu[0].real == pytest.approx(1e25, rel=1e-10)
    assert mu[-1].real == pytest.approx(1e-25, rel=1e-10)
    middle = mu[1:4]
    pair = middle[np.abs(middle.imag) > 0.1]
    np.testing.assert_allclose(np.sort(np.angle(pair)), [-angle, angle], atol=1e-12)
    np.testing.assert_allclose(np.abs(pair), 1.0, atol=1e-12)
    flip = middle[np.abs(middle.imag) <= 0.1]
    assert flip[0] == pytest.approx(-1.0, abs=1e-12)


def test_complex_factors():
    """Complex G (a directed connectome's mode): the multipliers are the products
    of complex diagonals, phases included."""
    rng = np.random.default_rng(3)
    N = 25
    diagonals = np.exp(rng.uniform(-2, 2, (N, 3)) + 1j * rng.uniform(-1, 1, (N, 3)))
    diagonals[:, 0] *= 50.0
    G = factors_with_spectrum(diagonals, rng, dtype=complex, coupling=0.5)
    mu = floquet_from_transfer(G)
    exact = np.prod(diagonals, axis=0)
    for value in exact:
        assert np.min(np.abs(mu - value)) <= 1e-10 * abs(value)


def van_der_pol(mu):
    return bf.Model.from_spec({"name": "vdp_floquet", "states": {"x": 2.0, "y": 0.0},
                               "equations": {"x": "y", "y": "m*(1 - x**2)*y - x"},
                               "parameters": {"m": mu}})


@pytest.mark.parametrize("mu, ntst, tolerance", [(1.0, 60, 1e-8), (3.0, 120, 1e-6),
                                                (5.0, 300, 1e-4)])
def test_planar_cycle_obeys_liouville(mu, ntst, tolerance):
    """For a planar cycle the non-trivial multiplier is exp(T int_0^1 div f dtau)
    (Liouville), here with the integral by Gauss quadrature on the collocated
    orbit. The relaxation cycles at m = 3 and 5 have mu_2 ~ 1e-15 and 1e-37,
    which the monodromy matrix cannot hold next to the trivial 1; its
    logarithm is resolved to the discretisation's accuracy."""
    model = van_der_pol(mu)
    orbit = find_cycle(model, ntst=ntst, ncol=4, transient=60 * mu + 100)
    disc = orbit.discretisation()
    L, _, weights = lagrange_tables(disc.ncol)
    at_gauss = np.einsum("cl,jln->jcn", L, disc.segments(orbit.profile[:-1].ravel()))
    divergence = mu * (1 - at_gauss[..., 0] ** 2)
    log_mu2 = orbit.period * np.einsum("j,c,jc->", disc.h, weights, divergence)
    others = nontrivial(orbit.multipliers)
    assert trivial_error(orbit.multipliers) < 1e-8
    assert others[0].imag == 0 and others[0].real > 0
    assert math.log(others[0].real) == pytest.approx(log_mu2, rel=tolerance)


def test_under_resolved_contraction_still_reads_as_strongly_stable():
    """m = 8 on 120 intervals: Gauss collocation is A-stable but not L-stable, so
    intervals much longer than the contraction time lose part of the
    contraction (mu_2 = 1e-48 instead of 1e-89): a limitation of the
    discretisation, not of the multipliers. The trivial multiplier stays exact
    and mu_2 stays positive and tiny, so stability and the test functions are
    unaffected; a finer mesh recovers it (see the m = 5 case above)."""
    orbit = find_cycle(van_der_pol(8.0), ntst=120, ncol=4, transient=580)
    others = nontrivial(orbit.multipliers)
    assert trivial_error(orbit.multipliers) < 1e-8
    assert 0 < others[0].real < 1e-40 and others[0].imag == 0


def test_blocks_and_transfer_paths_agree():
    """The compiled condensation (real and complex) and the numpy reference of
    the transfer matrices give the same multipliers."""
    model = van_der_pol(2.0)
    orbit = find_cycle(model, ntst=40, ncol=4)
    from bifurc.codegen import compile_model, parameter_vector
    from bifurc.continuation.cycles import CycleProblem
    compiled = compile_model(model)
    p = parameter_vector(model, orbit.parameters)
    disc = orbit.discretisation()
    x = orbit.profile[:-1].ravel()
    problem = CycleProblem(compiled, p, 0, disc, x, adapt_mesh=False)
    _, blocks, _, _ = problem._system(np.concatenate([x, [orbit.period, p[0]]]))
    compiled_path = floquet_multipliers(blocks)
    reference = floquet_from_transfer(transfer_matrices(blocks, 2))
    np.testing.assert_allclose(compiled_path, reference, rtol=1e-9, atol=1e-14)
    complex_path = floquet_multipliers(blocks.astype(complex))
    np.testing.assert_allclose(complex_path, reference, rtol=1e-9, atol=1e-14)


# --- the batched leading multiplier and the shifted transfer matrices (MSF maps)

def test_leading_multiplier_of_batches_with_exact_spectra():
    """log |mu_max| of chains whose spectra are known exactly: a dominant real
    multiplier 1e40 beside 1e-40, a dominant multiplier below the others'
    transient growth (strongly non-normal factors), a dominant complex pair,
    and multipliers 2, -2, 2 of one modulus (no split after one sweep: the
    full method answers); complex factors too."""
    from bifurc.continuation.floquet import leading_log_multipliers

    rng = np.random.default_rng(7)
    N, n = 30, 4
    chains, exact = [], []
    for spectrum, coupling in (([1e40, 3.0, 1e-2, 1e-40], 1.0), ([2.0, 1e-5, 0.5, 1e-30], 30.0),
                               ([0.9, 0.8, 1e-3, 1e-9], 3.0)):
        chains.append(factors_with_spectrum(np.tile(np.array(spectrum) ** (1.0 / N), (N, 1)),
                                            rng, coupling=coupling))
        exact.append(math.log(max(spectrum)))
    angle = 2.1  # a rotating pair of modulus 5
    T = np.zeros((n, n))
    T[:2, :2] = 5 ** (1 / N) * np.array([[math.cos(angle / N), -math.sin(angle / N)],
                                         [math.sin(angle / N), math.cos(angle / N)]])
    T[2, 2], T[3, 3] = 0.1 ** (1 / N), 1e-20 ** (1 / N)
    Q = [random_orthogonal(rng, n) for _ in range(N)]
    chains.append(np.array([Q[(j + 1) % N] @ (T + np.triu(rng.standard_normal((n, n)), 2))
                            @ Q[j].T for j in range(N)]))
    exact.append(math.log(5.0))
    flips = np.tile(2.0 ** (1.0 / N) * np.ones(n), (N, 1))
    flips[0, 1] *= -1  # multipliers 2, -2, 2 and a small one
    flips[:, 3] = 1e-3 ** (1.0 / N)
    chains.append(factors_with_spectrum(flips, rng, coupling=0.2))
    exact.append(math.log(2.0))
    np.testing.assert_allclose(leading_log_multipliers(np.array(chains)), exact, atol=1e-10)

    diagonals = np.exp(rng.uniform(-1, 1, (N, 3)) + 1j * rng.uniform(-1, 1, (N, 3)))
    complex_chain = factors_with_spectrum(diagonals, rng, dtype=complex)
    largest = np.abs(np.prod(diagonals, axis=0)).max()
    assert leading_log_multipliers(complex_chain[None])[0] == \
        pytest.approx(math.log(largest), abs=1e-10)


def test_shifted_transfer_matrices_against_a_dense_solve():
    """Blocks + k * shift condensed by the numpy reference (a dense solve per
    interval) against the Woodbury path (a shift -h_j T (L (x) S) with S of
    rank 1: a coupling through one state) and the direct path (S of full
    rank), for real and complex k."""
    from bifurc.continuation.collocation import Discretisation
    from bifurc.continuation.floquet import shifted_transfer_matrices
    from bifurc.continuation.transverse import shifted_blocks

    rng = np.random.default_rng(11)
    n, ntst, ncol, period = 4, 12, 3, 3.0
    disc = Discretisation(n, ntst, ncol, np.sort(np.r_[0.0, rng.uniform(0, 1, ntst - 1), 1.0]))
    derivative = lagrange_tables(ncol)[1]
    blocks = shifted_blocks(disc, period, rng.standard_normal((n, n)))  # -h T L (x) A
    for c in range(ncol):
        for l in range(ncol + 1):
            blocks[:, c, :, l, :] += derivative[c, l] * np.eye(n)  # + D (x) I
    rank_one = np.outer(rng.standard_normal(n), rng.standard_normal(n))
    for S, factors in ((rank_one, np.array([-1.3, 0.0, 0.4, 2.0])),
                       (rank_one, np.array([-0.5 + 0.7j, 0.3 - 0.2j])),
                       (rng.standard_normal((n, n)), np.array([-0.7, 0.9]))):
        shift = shifted_blocks(disc, period, S)
        G = shifted_transfer_matrices(blocks, shift, factors)
        for k, factor in enumerate(factors):
            reference = transfer_matrices(blocks + factor * shift, n)
            np.testing.assert_allclose(G[k], reference, rtol=0,
                                       atol=1e-12 * np.abs(reference).max())
