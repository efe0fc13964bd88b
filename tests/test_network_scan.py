"""Network Lyapunov scans (bifurc.network_scan) against the MSF: two
independent computations, the network's tangent kernel on N x n dimensions
and the mode-by-mode variational integration on n."""

import json

import numpy as np
import pytest

from bifurc.connectome import synthetic_connectome
from bifurc.errors import ParameterError
from bifurc.network_scan import lyapunov_scan


@pytest.fixture(scope="module")
def scan():
    C = synthetic_connectome(8, 2, seed=1)
    return lyapunov_scan("ei", C, 2.0, "eta_e", [8.0, 9.3, 12.0], n_exponents=1,
                         duration=2000, transient=500, workers=2)


def test_network_exponent_is_the_msf_prediction_while_synchronised(scan):
    """Measured at eta_e = 8 and 12: 4e-5 and 1.5e-4 apart."""
    stays = ~scan.desynchronised
    assert stays.sum() >= 2
    error = np.hypot(scan.predicted_uncertainty, scan.convergence[:, 0])
    assert np.all(np.abs(scan.exponents[stays, 0] - scan.predicted[stays])
                  <= 3 * error[stays] + 3e-4)


def test_network_leaves_synchrony_where_a_mode_grows(scan):
    """eta_e = 9.3: the synchronous PING cycle is transversally unstable (the
    MSF's largest exponent is positive beyond its uncertainty), and the
    simulated network leaves it; where the MSF is negative it stays."""
    growing = scan.predicted > 3 * scan.predicted_uncertainty
    decaying = scan.predicted < 0
    assert growing.any() and decaying.any()
    assert np.all(scan.desynchronised[growing]) and not np.any(scan.desynchronised[decaying])


def test_bad_input_is_refused():
    C = synthetic_connectome(4, 2, seed=1)
    with pytest.raises(ParameterError, match="not a parameter"):
        lyapunov_scan("ei", C, 2.0, "nope", [1.0])
    with pytest.raises(ParameterError, match="n_exponents"):
        lyapunov_scan("ei", C, 2.0, "eta_e", [1.0], n_exponents=100)
    with pytest.raises(ParameterError):
        lyapunov_scan("ei", C, 2.0, "tau_e", [-1.0])


def test_cli_scan(tmp_path, capsys):
    from bifurc.cli import main

    matrix = tmp_path / "ring.txt"
    np.savetxt(matrix, np.roll(np.eye(5), 1, axis=1) + np.roll(np.eye(5), -1, axis=1))
    out = tmp_path / "out"
    assert main(["msf", "ei", "--eps", "2", "--scan", "eta_e=12:12:1", "--connectome",
                 str(matrix), "--exponents", "1", "--duration", "500", "--transient", "200",
                 "--workers", "1", "--quiet", "--out", str(out)]) == 0
    result = json.loads((out / "lyapunov_scan.json").read_text())
    assert result["schema"] == "bifurc.lyapunov-scan/1" and result["n_nodes"] == 5
    assert (out / "lyapunov_scan.png").stat().st_size > 0
    assert "network" in capsys.readouterr().out
    assert main(["msf", "ei", "--eps", "2", "--scan", "eta_e=12:12:1", "--out",
                 str(tmp_path / "x")]) == 2
