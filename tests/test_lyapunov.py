"""Lyapunov spectra (Benettin-QR with the generated Jacobian)."""

import numpy as np
import pytest

import bifurc as bf
from bifurc.lyapunov import lyapunov_spectrum


def test_lorenz_spectrum():
    """Lorenz (sigma 10, rho 28, beta 8/3): 0.906, 0, -14.57 (Sprott 2003)."""
    lorenz = bf.Model.from_spec({
        "name": "lorenz", "states": {"x": 1.0, "y": 1.0, "z": 1.0},
        "parameters": {"sigma": 10.0, "rho": 28.0, "beta": 8 / 3},
        "equations": {"x": "sigma*(y - x)", "y": "x*(rho - z) - y", "z": "x*y - beta*z"}})
    spectrum = lyapunov_spectrum(lorenz, n_exponents=3, duration=1000, transient=20, dt=0.005)
    assert spectrum.exponents[0] == pytest.approx(0.906, rel=0.02)
    assert abs(spectrum.exponents[1]) < 0.02
    assert spectrum.exponents[2] == pytest.approx(-14.57, rel=0.02)
    assert spectrum.exponents.sum() == pytest.approx(-(10 + 1 + 8 / 3), rel=1e-3)  # trace of J
    assert np.all(spectrum.convergence < 0.01)


def test_ping_cycle_exponents_match_floquet(ei):
    """On the stable PING cycle the exponents are log|mu| / T of the Floquet multipliers."""
    orbit = bf.find_cycle(ei, ntst=50, ncol=4, transient=500)
    floquet = np.sort(np.log(np.abs(orbit.multipliers)) / orbit.period)[::-1]
    spectrum = lyapunov_spectrum(ei, n_exponents=2, duration=3000, transient=200, dt=0.02,
                                 initial_state=orbit.profile[0])
    assert abs(spectrum.exponents[0]) < 2e-3
    assert spectrum.exponents[1] == pytest.approx(floquet[1], rel=0.02)


def test_network_spectrum_and_bad_input(ei):
    network = bf.Network(ei, np.ones((3, 3)), eps=1.0)
    spectrum = lyapunov_spectrum(network, n_exponents=2, duration=200, transient=50, dt=0.05)
    assert spectrum.exponents.shape == (2,) and np.all(np.isfinite(spectrum.exponents))
    with pytest.raises(bf.ParameterError, match="`n_exponents` must be between 1 and 18"):
        lyapunov_spectrum(network, n_exponents=19)
