"""The bifurc command line. Numbers are compared with references computed here
from the equations of docs/models.md with numpy and scipy only: exact formulas
for qif, and for ei an explicit reduction for the equilibria, a Jacobian
derived by hand, Hopf points by brentq, cycles by shooting and Floquet
multipliers from the variational equation, both with solve_ivp (DOP853,
rtol 1e-11)."""

import json
import math
import re

import numpy as np
import pytest
from scipy import signal

import bifurc as bf
from bifurc.cli import main

from ei_reference import (DEFAULTS, PI, attracting_cycle, equilibria, flow_and_monodromy,
                          hopf_point, jacobian, periodic_orbit, reference_frequency_hz)


def homogeneous(eps, **values):
    """The synchronous network f(x) + eps H x (row-normalised W) is the node with
    J_ee + eps and J_ie + eps: H adds eps s_e to dv_e/dt and dv_i/dt, and the node's
    v equations carry tau (J s) / tau = J s (g_e = g_i = 1)."""
    p = {**DEFAULTS, **values}
    return {**p, "J_ee": p["J_ee"] + eps, "J_ie": p["J_ie"] + eps}


#: H of the ei coupling (docs/models.md): H[v_e, s_e] = H[v_i, s_e] = 1
COUPLING = np.zeros((6, 6))
COUPLING[1, 2] = COUPLING[4, 2] = 1.0


def transverse_growth(p, x, period, eps, L):
    """Largest Floquet exponent (per ms) of xi' = (Df + eps L H) xi along the cycle of the
    homogeneous system p through x: Df + eps L H = D(f + eps H) + eps (L - 1) H. At L = 1 the
    trivial multiplier (the one nearest 1) is left out."""
    _, monodromy = flow_and_monodromy(p, x, period, extra=eps * (L - 1.0) * COUPLING)
    multipliers = np.linalg.eigvals(monodromy)
    if L == 1.0:
        multipliers = np.delete(multipliers, np.argmin(np.abs(multipliers - 1.0)))
    return float(np.log(np.abs(multipliers)).max() / period)


def qif_folds(J):
    """eta of the folds of qif at J (tau = delta = 1; docs/models.md): the rates r with
    J = 2 pi^2 r + 1 / (2 pi^2 r^3), put into eta = pi^2 r^2 - J r - 1 / (4 pi^2 r^2)."""
    roots = np.roots([2 * PI**2, -J, 0, 0, 1 / (2 * PI**2)])
    r = roots[(np.abs(roots.imag) < 1e-12) & (roots.real > 0)].real
    return np.sort(PI**2 * r**2 - J * r - 1 / (4 * PI**2 * r**2))



@pytest.mark.parametrize("command", [[], ["models"], ["show"], ["simulate"], ["diagram"], ["twopar"],
                                     ["msf"]])
def test_help_everywhere(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(command + ["--help"])
    assert exit_info.value.code == 0
    assert "usage: bifurc" in capsys.readouterr().out


def test_models_lists_builtins(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for name in ("qif", "qif_syn", "ei"):
        assert name in out


def test_show_prints_equations_and_defaults(capsys):
    assert main(["show", "ei"]) == 0
    out = capsys.readouterr().out
    assert "dr_e/dt = (delta_e / (pi * tau_e) + 2 * r_e * v_e) / tau_e" in out
    assert "H[v_e, s_e] = g_e" in out and "eta_e" in out


def test_simulate_ei_writes_gamma_oscillation(tmp_path, capsys):
    code = main(["simulate", "ei", "--duration", "300", "--out", str(tmp_path), "--csv", "--quiet"])
    assert code == 0
    for name in ("timeseries.npz", "timeseries.csv", "timeseries.png", "summary.json"):
        assert (tmp_path / name).stat().st_size > 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    # every state's frequency (mean-level crossings over the last 150 ms, linearly
    # interpolated between RK4 samples 0.05 ms apart) against shooting: measured 2e-7 to
    # 9.5e-7 (1e-7 at dt = 0.01 or over 1000 ms: the crossing interpolation and the transient)
    reference = reference_frequency_hz(10.0)
    assert reference == pytest.approx(60.14, abs=5e-3)  # docs/models.md
    for state in ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i"):
        assert summary["states"][state]["frequency_hz"] == pytest.approx(reference, rel=1e-5)
    trajectory = bf.Trajectory.load(tmp_path / "timeseries.npz")
    assert trajectory.time[-1] == pytest.approx(300.0)
    assert "oscillates at" in capsys.readouterr().out


def test_simulate_with_set_and_noise(tmp_path):
    code = main(["simulate", "ei", "--set", "eta_e=-5,J_ee=8", "--duration", "50", "--noise",
                 "0.2", "--seed", "1", "--out", str(tmp_path), "--no-plot", "--quiet"])
    assert code == 0
    trajectory = bf.Trajectory.load(tmp_path / "timeseries.npz")
    assert trajectory.parameters["eta_e"] == -5 and trajectory.parameters["J_ee"] == 8
    assert trajectory.metadata["integrator"]["name"] == "StochasticHeun"


@pytest.mark.parametrize("arguments, message", [
    (["simulate", "ei", "--set", "bogus=1"], "unknown parameter 'bogus'"),
    (["simulate", "ei", "--set", "eta_e"], "expects name=value"),
    (["simulate", "ei", "--set", "eta_e=abc"], "is not a number"),
    (["simulate", "nomodel"], "unknown model 'nomodel'"),
    (["simulate", "ei", "--dt", "0.03", "--sample-interval", "0.1"], "whole multiple"),
])
def test_simulate_bad_input(arguments, message, tmp_path, capsys):
    assert main(arguments + ["--out", str(tmp_path), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "timeseries.npz").exists()


def test_simulate_divergence_exits_nonzero_and_keeps_finite_part(tmp_path, capsys):
    code = main(["simulate", "qif", "--set", "eta=1e6", "--dt", "0.5", "--out", str(tmp_path),
                 "--no-plot", "--quiet"])
    assert code == 1
    assert "diverged" in capsys.readouterr().err
    trajectory = bf.Trajectory.load(tmp_path / "timeseries.npz")
    assert trajectory.status == "diverged" and np.all(np.isfinite(trajectory.states))


def test_diagram_and_twopar_on_qif(tmp_path, capsys):
    out = str(tmp_path)
    assert main(["diagram", "qif", "--free", "eta", "--range", "-15", "5", "--set", "J=15",
                 "--y", "r", "--out", out, "--quiet"]) == 0
    for name in ("branches.json", "branches.npz", "diagram.png"):
        assert (tmp_path / name).stat().st_size > 0
    from bifurc.continuation import load_branches
    (branch,) = load_branches(tmp_path)
    assert [p.kind for p in branch.special_points] == ["LP", "LP"]
    # the exact folds at J = 15 (Newton tolerance 1e-10 relative; measured 1e-15)
    np.testing.assert_allclose(sorted(p.parameters["eta"] for p in branch.special_points),
                               qif_folds(15.0), rtol=0, atol=1e-8)
    assert main(["twopar", "qif", "--from", "LP1", "--free", "eta", "J", "--bounds", "J=0:30",
                 "--out", out, "--quiet"]) == 0
    branches = load_branches(tmp_path)
    assert [b.kind for b in branches] == ["EP-C", "LP-C"]
    # the exact cusp, where dJ/dr = 2 pi^2 - 3 / (2 pi^2 r^4) = 0 on the fold curve
    r_cusp = (3 / (4 * PI**4)) ** 0.25
    J_cusp = 2 * PI**2 * r_cusp + 1 / (2 * PI**2 * r_cusp**3)
    cusp = branches[1]["CP1"]
    assert cusp.parameters["J"] == pytest.approx(J_cusp, abs=1e-8)      # 7.7962170
    assert cusp.parameters["eta"] == pytest.approx(-math.sqrt(3), abs=1e-8)
    assert cusp.state[0] == pytest.approx(r_cusp, abs=1e-8)
    assert (tmp_path / "twopar.png").stat().st_size > 0
    assert "CP1" in capsys.readouterr().out


def test_diagram_ei_reports_hopf_with_frequency(tmp_path, capsys):
    assert main(["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--out",
                 str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    from bifurc.continuation import load_branches
    (branch,) = load_branches(tmp_path)
    hopf = [p for p in branch.special_points if p.kind == "H"]
    assert [p.label for p in hopf] == ["H1", "H2"]
    for point, (eta, eigenvalue) in zip(hopf, (hopf_point(-10.0, 5.0), hopf_point(5.0, 30.0))):
        frequency_hz = 1000 * eigenvalue.imag / (2 * PI)   # 11.10 and 95.21 Hz
        # saved: located by Newton to 1e-10 relative; measured 3e-13
        assert point.parameters["eta_e"] == pytest.approx(eta, abs=1e-8)
        assert point.data["frequency_hz"] == pytest.approx(frequency_hz, rel=1e-8)
        # printed: "H1    eta_e = -0.5252901582  l1 = -1.18749 (supercritical), 11.1 Hz"
        line = re.search(rf"{point.label}\s+eta_e = (\S+)\s+l1 = \S+ \(supercritical\), "
                         rf"(\S+) Hz", out)
        assert line, out
        assert float(line.group(1)) == pytest.approx(eta, rel=1e-9)       # 10 digits
        assert float(line.group(2)) == pytest.approx(frequency_hz, rel=5e-4)  # 4 digits


def test_twopar_errors_are_named(tmp_path, capsys):
    assert main(["twopar", "qif", "--from", "LP1", "--free", "eta", "J", "--out",
                 str(tmp_path), "--quiet"]) == 2
    assert "does not exist" in capsys.readouterr().err
    main(["diagram", "qif", "--free", "eta", "--range", "-15", "5", "--out", str(tmp_path),
          "--quiet"])
    capsys.readouterr()
    assert main(["twopar", "qif", "--from", "H7", "--free", "eta", "J", "--out",
                 str(tmp_path), "--quiet"]) == 2
    assert "no special point 'H7'" in capsys.readouterr().err


def test_diagram_with_cycles_on_ei(tmp_path, capsys):
    assert main(["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--cycles",
                 "--ntst", "30", "--out", str(tmp_path), "--quiet"]) == 0
    from bifurc.continuation import load_branches
    branches = load_branches(tmp_path)
    assert [b.kind for b in branches] == ["EP-C", "LC-C"]  # one family joins H1 and H2
    cycles = branches[1]
    assert cycles.ends[-1]["status"] == "hopf"
    frequency = cycles.extra["frequency_hz"]
    # born at H1 with its frequency; collocation (ntst 30) at the branch point nearest the
    # default eta_e = 10 against shooting there (measured 3e-11)
    _, eigenvalue = hopf_point(-10.0, 5.0)
    assert frequency[0] == pytest.approx(1000 * eigenvalue.imag / (2 * PI), rel=1e-8)
    k = int(np.argmin(np.abs(cycles.values[:, 0] - 10.0)))
    assert abs(cycles.values[k, 0] - 10.0) < 0.5
    assert frequency[k] == pytest.approx(reference_frequency_hz(float(cycles.values[k, 0])),
                                         rel=1e-8)
    assert (tmp_path / "frequency.png").stat().st_size > 0
    np.testing.assert_allclose(cycles.eigenvalues[1:, 0], 1.0, atol=1e-8)  # trivial multiplier


def test_twopar_from_a_fold_of_cycles(tmp_path, capsys):
    path = tmp_path / "bautin.toml"
    path.write_text('''name = "bautin_beta"
[states]
x = 0.0
y = 0.0
[parameters]
mu = -0.5
beta = 1.0
[equations]
x = "mu*x - y + beta*x*(x**2 + y**2) - x*(x**2 + y**2)**2"
y = "x + mu*y + beta*y*(x**2 + y**2) - y*(x**2 + y**2)**2"
''')
    out = str(tmp_path / "out")
    assert main(["diagram", str(path), "--free", "mu", "--range", "-1", "1", "--cycles",
                 "--ntst", "20", "--out", out, "--quiet"]) == 0
    assert main(["twopar", str(path), "--from", "LPC1", "--free", "mu", "beta", "--bounds",
                 "mu=-1.5:0", "beta=0.2:2", "--out", out, "--quiet"]) == 0
    from bifurc.continuation import load_branches
    curve = load_branches(out)[-1]
    assert curve.kind == "LPC-C"
    np.testing.assert_allclose(curve.values[:, 0], -curve.values[:, 1] ** 2 / 4, atol=1e-10)
    assert (tmp_path / "out" / "twopar.png").stat().st_size > 0


def test_msf_at_a_point(tmp_path, capsys):
    assert main(["msf", "ei", "--eps", "2", "--at", "eta_e=9.3", "--L-grid=-1:1:21",
                 "--out", str(tmp_path / "cycle")]) == 0
    result = json.loads((tmp_path / "cycle" / "msf.json").read_text())
    assert len(result["L"]) == len(result["growth_rate"]) == 21
    np.testing.assert_allclose(result["L"], np.linspace(-1, 1, 21), rtol=0, atol=1e-15)
    # the synchronous cycle (60.26 Hz) by shooting, and the transverse Floquet exponents from
    # the variational equation: measured 2e-15 in the period and 1.3e-13 /ms in the growth
    # rates; both are reproducible to about 1e-13, so 1e-11
    p = homogeneous(2.0, eta_e=9.3)
    period, x, _ = attracting_cycle(p)
    assert result["kind"] == "cycle"
    assert result["period"] == pytest.approx(period, rel=1e-11)
    growth = np.array(result["growth_rate"])
    for k in (0, 10, 20):  # L = -1 (unstable), 0, 1 (stable) at eps = 2
        assert growth[k] == pytest.approx(transverse_growth(p, x, period, 2.0, result["L"][k]),
                                          abs=1e-11)
    assert growth[0] > 0 > growth[-1]
    assert (tmp_path / "cycle" / "msf.png").stat().st_size > 0
    assert main(["msf", "ei", "--eps", "2", "--at", "eta_e=-5", "--L-grid=-1:1:5",
                 "--out", str(tmp_path / "rest")]) == 0
    rest = json.loads((tmp_path / "rest" / "msf.json").read_text())
    assert rest["kind"] == "equilibrium" and rest["period"] is None
    # the dispersion relation max Re eig(Df + eps L H) at the homogeneous equilibrium
    p = homogeneous(2.0, eta_e=-5.0)
    (x,) = equilibria(p)
    for L, growth in zip(rest["L"], rest["growth_rate"]):
        matrix = jacobian(p, x) + 2.0 * (L - 1.0) * COUPLING
        # measured 1.7e-15
        assert growth == pytest.approx(np.linalg.eigvals(matrix).real.max(), abs=1e-13)
    assert main(["msf", "ei", "--eps", "2", "--at", "eta_e", "--out", str(tmp_path)]) == 2
    assert "--at expects PAR=VALUE" in capsys.readouterr().err


def test_simulate_network_on_a_connectome(tmp_path, capsys):
    from bifurc.connectome import synthetic_connectome
    np.save(tmp_path / "c.npy", synthetic_connectome(12, 3, seed=4).weights)
    out = tmp_path / "run"
    assert main(["simulate", "ei", "--connectome", str(tmp_path / "c.npy"), "--eps", "2",
                 "--duration", "2500", "--seed", "1", "--out", str(out), "--no-plot",
                 "--quiet"]) == 0
    result = json.loads((out / "network.json").read_text())
    assert len(result["pac_modulation_index"]) == 12
    trajectory = bf.Trajectory.load(out / "timeseries.npz")
    assert trajectory.n_nodes == 12 and trajectory.time[1] == pytest.approx(0.5)
    assert not (out / "spacetime.png").exists()  # --no-plot: no figure at all
    assert "network: mean FC" in capsys.readouterr().out
    # the measures recomputed from the saved r_e over the second half: Pearson correlations
    # (numpy), the Kuramoto order |<exp(i phase)>| from Hilbert phases (scipy) and the Welch
    # peak with 1 s Hann segments (with seed 1 the network desynchronises: FC -0.06, order
    # 0.16, peaks at 69-70 Hz)
    keep = trajectory.time >= trajectory.time[-1] / 2
    series = trajectory["r_e"][keep]
    fc = np.corrcoef(series.T)[np.triu_indices(12, 1)].mean()
    assert result["mean_fc"] == pytest.approx(fc, abs=1e-12)
    phase = np.angle(signal.hilbert(series - series.mean(axis=0), axis=0))
    order = np.abs(np.exp(1j * phase).mean(axis=1)).mean()
    assert result["kuramoto_mean"] == pytest.approx(order, abs=1e-12)
    frequencies, power = signal.welch(series, fs=2000.0, window="hann", nperseg=2000, axis=0)
    np.testing.assert_array_equal(result["dominant_frequency_hz"],
                                  frequencies[1:][np.argmax(power[1:], axis=0)])


def test_simulate_synchronous_network(tmp_path):
    """Identical nodes from identical states stay synchronous (W is row-normalised), on the
    cycle of the homogeneous system: FC = 1, Kuramoto order 1, its frequency everywhere."""
    from bifurc.connectome import synthetic_connectome
    np.save(tmp_path / "c.npy", synthetic_connectome(12, 3, seed=4).weights)
    assert main(["simulate", "ei", "--connectome", str(tmp_path / "c.npy"), "--eps", "2",
                 "--set", "eta_e=9.3", "--perturbation", "0", "--duration", "2500",
                 "--out", str(tmp_path), "--no-plot", "--quiet"]) == 0
    result = json.loads((tmp_path / "network.json").read_text())
    trajectory = bf.Trajectory.load(tmp_path / "timeseries.npz")
    rates = trajectory["r_e"]
    # round-off (W rows sum to 1 within 1e-16) grows along the transversally unstable
    # modes (0.0064 /ms at most): 1.7e-10 after 2.5 s; FC and order deviate from 1 by its
    # square, so 1e-9
    assert np.max(np.abs(rates - rates[:, :1])) < 1e-8
    assert result["mean_fc"] == pytest.approx(1.0, abs=1e-9)
    assert result["kuramoto_mean"] == pytest.approx(1.0, abs=1e-9)
    # the frequency of the homogeneous system's cycle (60.257 Hz) by shooting: the Welch
    # peak lies in its 1 Hz bin, and the crossing estimate of node 0 (samples 0.5 ms apart)
    # is within 2e-6 (measured)
    period, _, _ = attracting_cycle(homogeneous(2.0, eta_e=9.3))
    assert np.all(np.abs(np.array(result["dominant_frequency_hz"]) - 1000 / period) <= 0.5)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["states"]["r_e"]["frequency_hz"] == pytest.approx(1000 / period, rel=2e-5)


def test_msf_along_branches(tmp_path, capsys):
    from bifurc.connectome import synthetic_connectome
    np.save(tmp_path / "c.npy", synthetic_connectome(10, 2, seed=3).weights)
    out = tmp_path / "map"
    assert main(["msf", "ei", "--eps", "2", "--free", "eta_e", "--range", "-5", "25",
                 "--L-grid=-1:1:11", "--connectome", str(tmp_path / "c.npy"), "--ntst", "30",
                 "--out", str(out)]) == 0
    result = json.loads((out / "msf.json").read_text())
    assert [b["kind"] for b in result["branches"]] == ["EP-C", "LC-C"]
    with np.load(out / "msf.npz") as data:
        assert data["1/growth_rate"].shape[1] == 11
        assert data["1/connectome_growth_rate"].shape[1] == 10
    assert (out / "msf_map_1.png").stat().st_size > 0
    # the TI points of the connectome's modes: saved, listed, and continued by twopar
    cycles = bf.load_branches(out)[1]
    listed = result["branches"][1]["transverse_points"]
    saved = [p for p in cycles.special_points if p.kind == "TI"]
    assert len(listed) == len(saved) > 0
    with np.load(out / "msf.npz") as data:
        growth = data["1/connectome_growth_rate"]
    assert growth.shape[0] == len(cycles)  # the rows include the inserted TI points
    for point in saved:
        assert abs(growth[point.index, point.data["mode"]]) < 1e-8
    # independently: L is an eigenvalue of W = D^-1 C (numpy), and at the TI point the
    # transverse Floquet exponent of that mode vanishes (shooting from the saved profile,
    # variational equation; measured 2.7e-11 /ms against growth rates up to 7.5e-3 /ms)
    weights = np.load(tmp_path / "c.npy")
    modes = np.linalg.eigvals(weights / weights.sum(axis=1, keepdims=True))
    first = saved[0]
    L = complex(*first.data["L"])
    assert np.min(np.abs(modes - L)) < 1e-12 and L.imag == 0.0  # C is symmetric
    p = homogeneous(2.0, eta_e=first.parameters["eta_e"])
    period, x, _ = periodic_orbit(p, np.array(first.data["profile"])[0], first.data["period"])
    assert transverse_growth(p, x, period, 2.0, L.real) == pytest.approx(0.0, abs=1e-9)
    assert main(["twopar", "ei", "--from", f"1:{first.label}", "--free", "eps", "eta_e",
                 "--bounds", "eps=1.8:2.2", "eta_e=-5:25", "--max-points", "30",
                 "--out", str(out)]) == 0
    curve = bf.load_branches(out)[-1]
    assert curve.kind == "TI-C" and curve.extra["L"][0] == complex(*first.data["L"])
    assert (out / "twopar.png").stat().st_size > 0
    assert main(["msf", "ei", "--eps", "2", "--out", str(tmp_path)]) == 2
    assert "give --at PAR=VALUE" in capsys.readouterr().err
