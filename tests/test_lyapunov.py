"""Lyapunov spectra (Benettin-QR with the generated Jacobian) against the
literature (Lorenz), the exact trace of the Jacobian, Floquet exponents of the
PING cycle from the independent reference (tests/ei_reference.py) and the
eigenvalues of a network Jacobian assembled with numpy."""

import numpy as np
import pytest
from ei_reference import DEFAULTS, attracting_cycle, equilibria, jacobian

import bifurc as bf
from bifurc.lyapunov import lyapunov_spectrum


def test_lorenz_spectrum():
    """Lorenz (sigma 10, rho 28, beta 8/3): 0.9056, 0, -14.5723 (Sprott,
    Chaos and Time-Series Analysis, 2003). These are finite-time estimates on a
    chaotic orbit, which other floating-point paths replace by another: over 12
    orbits started 1e-9 apart, at most 0.95 % (standard deviation 0.48 %), 2.6e-3
    and 0.055 % from the literature (this one: -0.33 %, -7e-4, -0.026 %)."""
    lorenz = bf.Model.from_spec({
        "name": "lorenz", "states": {"x": 1.0, "y": 1.0, "z": 1.0},
        "parameters": {"sigma": 10.0, "rho": 28.0, "beta": 8 / 3},
        "equations": {"x": "sigma*(y - x)", "y": "x*(rho - z) - y", "z": "x*y - beta*z"}})
    spectrum = lyapunov_spectrum(lorenz, n_exponents=3, duration=1000, transient=20, dt=0.005)
    assert spectrum.exponents[0] == pytest.approx(0.9056, rel=0.02)
    assert abs(spectrum.exponents[1]) < 0.01
    assert spectrum.exponents[2] == pytest.approx(-14.5723, rel=2e-3)
    # the sum is the growth rate of volume, the trace of J = -(sigma + 1 + beta) at
    # every point; what is left is RK4's error in det(exp(J dt)), (J dt)^5 / 120 per
    # step: measured 4.5e-7 relative
    assert spectrum.exponents.sum() == pytest.approx(-(10 + 1 + 8 / 3), rel=1e-5)
    assert np.all(spectrum.convergence < 0.01)


def test_ping_cycle_exponents_match_floquet(ei):
    """On the stable PING cycle the six exponents are log|mu| / T of the Floquet
    multipliers, here from the monodromy matrix of the variational equation
    (solve_ivp, tests/ei_reference.py). The finite-time estimates oscillate with
    the log stretch within a period (about +-1.7 / 3000 ms): measured at most
    5.7e-4 per ms from the reference."""
    period, point, monodromy = attracting_cycle(DEFAULTS)
    floquet = np.sort(np.log(np.abs(np.linalg.eigvals(monodromy))) / period)[::-1]
    assert abs(floquet[0]) < 1e-10 and floquet[1] < -0.07  # the trivial one, then decay
    spectrum = lyapunov_spectrum(ei, n_exponents=6, duration=3000, transient=200, dt=0.02,
                                 initial_state=point)
    np.testing.assert_allclose(spectrum.exponents, floquet, rtol=0, atol=3e-3)


def test_network_spectrum_at_a_stable_equilibrium(ei):
    """Three ei nodes on a directed connectivity, eps = 12, eta_e = -3: every node
    sits on the equilibrium of the node with J_ee + eps g_e and J_ie + eps g_i
    (W is row-stochastic), found by tests/ei_reference.py. There the exponents
    are the real parts of the eigenvalues of the 18 x 18 Jacobian
    blockdiag(Df) + eps W kron H, assembled here with numpy from the hand-derived
    Df and H of docs/models.md: three complex pairs, -0.0768, -0.1117, -0.1518.
    Measured 3.8e-4 from them (the pairs' rotation, period about 90 ms, over 2 s)."""
    rng = np.random.default_rng(4)
    C = rng.random((3, 3)) ** 3
    np.fill_diagonal(C, 0.0)
    W = C / C.sum(axis=1, keepdims=True)
    eps, eta_e = 12.0, -3.0
    H = np.zeros((6, 6))
    H[1, 2] = H[4, 2] = 1.0  # H[v_e, s_e] = g_e, H[v_i, s_e] = g_i (defaults 1)
    p = {**DEFAULTS, "eta_e": eta_e}
    (x,) = equilibria({**p, "J_ee": p["J_ee"] + eps, "J_ie": p["J_ie"] + eps})
    full = np.kron(np.eye(3), jacobian(p, x)) + eps * np.kron(W, H)
    expected = np.sort(np.linalg.eigvals(full).real)[::-1][:6]
    assert np.all(np.diff(expected[::2]) < -0.03)  # three well separated pairs
    network = bf.Network(ei, C, eps=eps)
    spectrum = lyapunov_spectrum(network, ei.parameters(eta_e=eta_e), n_exponents=6,
                                 duration=2000, transient=200, dt=0.1, initial_state=x)
    np.testing.assert_allclose(spectrum.exponents, expected, rtol=0, atol=4e-3)


def test_bad_input(ei):
    network = bf.Network(ei, np.ones((3, 3)), eps=1.0)
    with pytest.raises(bf.ParameterError, match="`n_exponents` must be between 1 and 18, got 19"):
        lyapunov_spectrum(network, n_exponents=19)
    with pytest.raises(bf.ParameterError, match="`dt` must be positive and finite, got -0.1"):
        lyapunov_spectrum(ei, dt=-0.1)


def test_tangent_vectors_that_overflow_are_a_divergence_not_a_crash():
    """z' = a z with a = 1e200: the state stays at z = 0, but a tangent vector
    along z grows by e^(1e200 dt) within one step; numba's QR then refuses the
    non-finite matrix. That is reported as a divergence that names the cause."""
    model = bf.Model.from_spec({
        "name": "stiff_idle", "states": {"x": 1.0, "y": 0.0, "z": 0.0},
        "parameters": {"mu": 1.0, "a": 1e200},
        "equations": {"x": "mu * x - y - x * (x**2 + y**2)",
                      "y": "x + mu * y - y * (x**2 + y**2)", "z": "a * z"}})
    with pytest.raises(bf.errors.DivergenceError, match="tangent vectors became non-finite"):
        lyapunov_spectrum(model, model.parameters(), 1, duration=10.0)
