"""Independent references (oracles) for the master stability function and the
transverse-instability tests, and their own tests against exact answers.

The MSF code (`bifurc.msf`, `bifurc.continuation.transverse`) works on the
cycle's collocation mesh, with the continuation's condensation and
eigensolvers. The references here share none of that: they take only the node's
vector field f, its Jacobian Df and the coupling matrix H (generated kernels of
the node model), and use

- numpy: the Jacobian of the full N-node network at a synchronous equilibrium,
  I_N (x) Df + eps W (x) H, assembled with Kronecker products, and its
  eigenvalues;
- scipy: equilibria of f(x) + eps H x by `scipy.optimize.root`, periodic
  orbits by single shooting with `solve_ivp` (DOP853, rtol 1e-12), and Floquet
  multipliers of xi' = [Df(x(t)) + eps L H] xi as the eigenvalues of the
  monodromy matrix integrated with the orbit (DOP853 at rtol 1e-11; complex L
  in the real 2n-dimensional form of the variational equation).

Other test files import these helpers (`from test_msf_oracles import ...`:
pytest puts `tests/` on sys.path because `tests/conftest.py` lives there).
The tests below check the oracles on the Stuart-Landau oscillator, whose
cycle, period and mode multipliers are known in closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import root

import bifurc as bf


class NodeFunctions:
    """f(x), Df(x) and H of a node model at fixed node parameters, and the coupling
    strength eps (taken from ``parameters`` if it is there, else ``eps``)."""

    def __init__(self, node, parameters, eps=None):
        parameters = dict(parameters)
        eps = parameters.pop("eps", eps)
        if eps is None:
            raise ValueError("eps is needed")
        self.eps = float(eps)
        self.compiled = bf.compile_model(node)
        self.p = node.parameters().values.copy()  # defaults, then the given values
        for name, value in parameters.items():
            self.p[node.parameter_index(name)] = value
        self.H = self.compiled.coupling_matrix(self.p)
        self.n = node.n_states

    def f(self, x):
        out = np.empty(self.n)
        self.compiled.kernels.vector_field(np.ascontiguousarray(x, dtype=float), self.p, out)
        return out

    def Df(self, x):
        out = np.empty((self.n, self.n))
        self.compiled.kernels.state_jacobian(np.ascontiguousarray(x, dtype=float), self.p, out)
        return out

    def homogeneous(self, x):
        """f(x) + eps H x: the synchronous solution's vector field."""
        return self.f(x) + self.eps * self.H @ x

    def homogeneous_jacobian(self, x):
        return self.Df(x) + self.eps * self.H


def network_jacobian(A, H, W, eps):
    """I_N (x) A + eps W (x) H: the Jacobian of the network
    x_k' = f(x_k) + eps sum_j W[k, j] H x_j at a synchronous equilibrium (A = Df)."""
    W = np.asarray(W)
    return np.kron(np.eye(W.shape[0]), A) + eps * np.kron(W, H)


def two_node_W(L):
    """W = [[a, 1 - a], [1 - a, a]] with a = (1 + L) / 2: row-stochastic, with the
    eigenvalues 1 (eigenvector (1, 1)) and L (eigenvector (1, -1))."""
    a = 0.5 * (1.0 + L)
    return np.array([[a, 1.0 - a], [1.0 - a, a]])


def circulant_W(L):
    """A 3-node directed circulant W = c0 I + c1 P + c2 P^2 (P the cyclic shift)
    with the eigenvalues 1, L, conj(L) (complex L): c0 + c1 + c2 = 1 and
    c0 + c1 w + c2 w^2 = L for w = exp(2 pi i / 3) give
    c0 = (1 + 2 Re L) / 3, c1 - c2 = 2 Im L / sqrt(3). Returns (W, eigenvector
    of L: (1, w, w^2) / sqrt(3))."""
    L = complex(L)
    c0 = (1.0 + 2.0 * L.real) / 3.0
    difference = 2.0 * L.imag / math.sqrt(3.0)
    c1, c2 = 0.5 * (1.0 - c0 + difference), 0.5 * (1.0 - c0 - difference)
    P = np.roll(np.eye(3), 1, axis=1)  # (P x)_k = x_{k+1}
    W = c0 * np.eye(3) + c1 * P + c2 * P @ P
    w = np.exp(2j * np.pi / 3)
    return W, np.array([1.0, w, w * w]) / math.sqrt(3.0)


def transverse_spectrum(A, H, W, eps):
    """Eigenvalues of the full network Jacobian restricted to the transverse
    subspace {x : (u^T (x) I) x = 0}, u the left Perron vector of W (u^T W = u^T,
    u^T 1 = 1). That subspace is invariant ((u^T (x) I) J = (A + eps H)(u^T (x) I))
    and carries every mode except L = 1, so no eigen-decomposition of W is used."""
    from scipy.linalg import null_space

    W = np.asarray(W, dtype=float)
    values, vectors = np.linalg.eig(W.T)
    u = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
    u = u / u.sum()
    Q = null_space(np.kron(u[None, :], np.eye(A.shape[0])))  # orthonormal basis
    J = network_jacobian(A, H, W, eps)
    return np.linalg.eigvals(Q.T @ J @ Q)


def equilibrium(system: NodeFunctions, guess):
    """A zero of f(x) + eps H x by scipy's hybrid Powell method, to 1e-13."""
    solution = root(system.homogeneous, np.asarray(guess, float), jac=system.homogeneous_jacobian,
                    method="hybr", tol=1e-14)
    x = solution.x
    assert np.linalg.norm(system.homogeneous(x)) < 1e-11, solution.message
    return x


def matching_distance(found, expected) -> float:
    """Largest distance between two multisets of complex numbers, paired by an
    optimal assignment (sorting fails on conjugate pairs with equal real parts)."""
    from scipy.optimize import linear_sum_assignment

    found, expected = np.ravel(found), np.ravel(expected)
    assert found.shape == expected.shape, (found.shape, expected.shape)
    cost = np.abs(found[:, None] - expected[None, :])
    rows, columns = linear_sum_assignment(cost)
    return float(cost[rows, columns].max())


def _flow(rhs, y0, period, rtol):
    solution = solve_ivp(rhs, (0.0, period), y0, method="DOP853", rtol=rtol, atol=rtol * 1e-2)
    assert solution.success, solution.message
    return solution.y[:, -1]


def shoot_cycle(system: NodeFunctions, x0, period, *, rtol=1e-12, tolerance=1e-11):
    """The periodic orbit of f(x) + eps H x through the section
    {x : (x - x0) . f_hom(x0) = 0}, by Newton's method on (x, T):
    phi_T(x) - x = 0 and the section, with the monodromy matrix from the
    variational equation (solve_ivp DOP853), until the Newton step is below
    ``tolerance`` (relative). Returns (x, T)."""
    n = system.n
    x0 = np.asarray(x0, float).copy()
    normal = system.homogeneous(x0)
    normal = normal / np.linalg.norm(normal)
    anchor = x0.copy()

    def rhs(t, y):
        x = y[:n]
        return np.concatenate([system.homogeneous(x),
                               (system.homogeneous_jacobian(x) @ y[n:].reshape(n, n)).ravel()])

    x, T = x0, float(period)
    for _ in range(20):
        end = _flow(rhs, np.concatenate([x, np.eye(n).ravel()]), T, rtol)
        residual = np.concatenate([end[:n] - x, [normal @ (x - anchor)]])
        M = end[n:].reshape(n, n)
        jac = np.zeros((n + 1, n + 1))
        jac[:n, :n] = M - np.eye(n)
        jac[:n, n] = system.homogeneous(end[:n])
        jac[n, :n] = normal
        step = np.linalg.solve(jac, -residual)
        x, T = x + step[:n], T + step[n]
        if np.abs(step).max() < tolerance * (1.0 + np.abs(x).max()):
            return x, T
    raise AssertionError(f"shooting did not converge: residual {np.abs(residual).max():.2e}")


def monodromy_matrices(system: NodeFunctions, x0, period, L_values, *, rtol=1e-11):
    """Monodromy matrices of xi' = [Df(x(t)) + eps L H] xi for each L, with x(t) the
    orbit from x0 integrated along, in one solve_ivp run (DOP853). For complex L
    the equation is integrated in its real form: with xi = a + i b and
    M_L = Df + eps Re(L) H + i eps Im(L) H, a' = (Df + eps Re L H) a - eps Im L H b,
    b' = (Df + eps Re L H) b + eps Im L H a (scipy's error norm is slow in complex
    arithmetic). Returns an array (len(L), n, n), complex."""
    n = system.n
    L_values = np.atleast_1d(np.asarray(L_values, dtype=complex))
    k = len(L_values)
    real_shift = system.eps * L_values.real[:, None, None] * system.H[None]
    imag_shift = system.eps * L_values.imag[:, None, None] * system.H[None]

    def rhs(t, y):
        x = y[:n]
        a, b = y[n:].reshape(2, k, n, n)
        M = system.Df(x)[None] + real_shift
        return np.concatenate([system.homogeneous(x), (M @ a - imag_shift @ b).ravel(),
                               (M @ b + imag_shift @ a).ravel()])

    y0 = np.concatenate([np.asarray(x0, float), np.tile(np.eye(n), (k, 1, 1)).ravel(),
                         np.zeros(k * n * n)])
    a, b = _flow(rhs, y0, period, rtol)[n:].reshape(2, k, n, n)
    return a + 1j * b


def floquet_reference(system: NodeFunctions, x0, period, L_values, *, rtol=1e-11):
    """Floquet multipliers of xi' = [Df(x(t)) + eps L H] xi for each L (the
    eigenvalues of ``monodromy_matrices``). Returns (exponents, multipliers):
    exponents[i] = log max|mu| / T, without the multiplier closest to 1 (the phase
    direction) when L = 1."""
    L_values = np.atleast_1d(np.asarray(L_values, dtype=complex))
    monodromy = monodromy_matrices(system, x0, period, L_values, rtol=rtol)
    multipliers = np.array([np.linalg.eigvals(M) for M in monodromy])
    exponents = np.empty(len(L_values))
    for i, (L, mu) in enumerate(zip(L_values, multipliers)):
        if abs(L - 1.0) < 1e-12:
            mu = np.delete(mu, np.argmin(np.abs(mu - 1.0)))
        exponents[i] = math.log(np.abs(mu).max()) / period
    return exponents, multipliers


# --------------------------------------------------------------------------- tests of the oracles
# Stuart-Landau node z' = (mu + i w) z - (1 + i b) |z|^2 z (z = x + i y) with the
# rotation-invariant coupling H = [[a, -c], [c, a]] (multiplication by a + i c).
# The homogeneous system is again Stuart-Landau, with mu' = mu + eps a and
# w' = w + eps c: the cycle z = R e^{i Omega t}, R^2 = mu', Omega = w' - b R^2.
# Linearising about it and writing a perturbation of mode L (complex for complex
# L) as xi(t) = Rot(Omega t) eta(t), with Rot the rotation matrix (H commutes with
# it), gives the constant-coefficient equation eta' = (D + eps (L - 1) H) eta with
# D = [[-2 R^2, 0], [-2 b R^2, 0]] (amplitude and phase of the homogeneous cycle).
# After one period Rot(Omega T) = I, so the multipliers of mode L are
# exp(T eig(D + eps (L - 1) H)): 1 and exp(-2 R^2 T) for L = 1.
SL = {"mu": 0.4, "w": 2.0, "b": 0.7, "a": -0.6, "c": 0.3}


class _StuartLandau:
    def __init__(self, eps):
        self.eps, self.n = eps, 2
        self.H = np.array([[SL["a"], -SL["c"]], [SL["c"], SL["a"]]])

    def f(self, x):
        r2 = x[0] ** 2 + x[1] ** 2
        return np.array([SL["mu"] * x[0] - SL["w"] * x[1] - r2 * (x[0] - SL["b"] * x[1]),
                         SL["w"] * x[0] + SL["mu"] * x[1] - r2 * (SL["b"] * x[0] + x[1])])

    def Df(self, x):
        r2 = x[0] ** 2 + x[1] ** 2
        mu, w, b = SL["mu"], SL["w"], SL["b"]
        return np.array([
            [mu - r2 - 2 * x[0] * (x[0] - b * x[1]), -w + b * r2 - 2 * x[1] * (x[0] - b * x[1])],
            [w - b * r2 - 2 * x[0] * (b * x[0] + x[1]), mu - r2 - 2 * x[1] * (b * x[0] + x[1])]])

    homogeneous = NodeFunctions.homogeneous
    homogeneous_jacobian = NodeFunctions.homogeneous_jacobian


def _stuart_landau_exact(eps, L):
    """(period, multipliers of mode L, radius) of the homogeneous cycle, in closed
    form (see above)."""
    R2 = SL["mu"] + eps * SL["a"]
    period = 2 * math.pi / (SL["w"] + eps * SL["c"] - SL["b"] * R2)
    D = np.array([[-2 * R2, 0.0], [-2 * SL["b"] * R2, 0.0]])
    S = eps * (complex(L) - 1.0) * np.array([[SL["a"], -SL["c"]], [SL["c"], SL["a"]]])
    return period, np.exp(period * np.linalg.eigvals(D + S)), math.sqrt(R2)


@pytest.mark.parametrize("L", [1.0, 0.3, -1.0, -0.2 + 0.7j])
def test_oracles_on_stuart_landau(L):
    eps = 0.5
    system = _StuartLandau(eps)
    period, exact, R = _stuart_landau_exact(eps, L)
    x, T = shoot_cycle(system, [1.1 * R, 0.2], 0.9 * period)  # from 10 % off the cycle
    # measured 6.6e-14, 3.2e-13, 3.1e-11 (multipliers up to 4.5) and 3.8e-12 per time unit
    assert T == pytest.approx(period, rel=3e-12)
    assert math.hypot(*x) == pytest.approx(R, rel=3e-11)
    exponents, multipliers = floquet_reference(system, x, T, [L])
    assert matching_distance(multipliers[0], exact) < 1e-9
    keep = exact if L != 1.0 else np.delete(exact, np.argmin(np.abs(exact - 1)))
    assert exponents[0] == pytest.approx(math.log(np.abs(keep).max()) / period, abs=3e-10)


def test_network_helpers_have_the_stated_spectra():
    for L in (-1.0, 0.0, 0.35):
        values = np.sort(np.linalg.eigvals(two_node_W(L)).real)
        np.testing.assert_allclose(values, np.sort([L, 1.0]), atol=1e-15)
    W, v = circulant_W(0.3 + 0.4j)
    assert np.all(W >= 0)
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-15)
    np.testing.assert_allclose(W @ v, (0.3 + 0.4j) * v, atol=1e-15)
    # restricted spectrum: W with a known spectrum, A and H random: the union of
    # eig(A + eps L H) over L != 1
    rng = np.random.default_rng(0)
    A, H = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    expected = np.concatenate([np.linalg.eigvals(A + 0.7 * L * H)
                               for L in (0.3 + 0.4j, 0.3 - 0.4j)])
    assert matching_distance(transverse_spectrum(A, H, W, 0.7), expected) < 5e-14  # 7.6e-16
