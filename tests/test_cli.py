"""The bifurc command line."""

import json

import numpy as np
import pytest

import bifurc as bf
from bifurc.cli import main


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
    assert 30 < summary["states"]["r_e"]["frequency_hz"] < 100
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
    assert main(["twopar", "qif", "--from", "LP1", "--free", "eta", "J", "--bounds", "J=0:30",
                 "--out", out, "--quiet"]) == 0
    branches = load_branches(tmp_path)
    assert [b.kind for b in branches] == ["EP-C", "LP-C"]
    assert branches[1]["CP1"].parameters["J"] == pytest.approx(7.796217, abs=1e-5)
    assert (tmp_path / "twopar.png").stat().st_size > 0
    assert "CP1" in capsys.readouterr().out


def test_diagram_ei_reports_hopf_with_frequency(tmp_path, capsys):
    assert main(["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--out",
                 str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "H1" in out and "supercritical" in out and "Hz" in out


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
    assert frequency.min() < 30 < 60 < frequency.max() < 100
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
    assert result["kind"] == "cycle" and 30 < 1000 / result["period"] < 100
    assert len(result["L"]) == len(result["growth_rate"]) == 21
    growth = np.array(result["growth_rate"])
    assert growth[0] > 0 > growth[-1]  # L = -1 unstable, L = 1 stable at eps = 2
    assert (tmp_path / "cycle" / "msf.png").stat().st_size > 0
    assert main(["msf", "ei", "--eps", "2", "--at", "eta_e=-5", "--L-grid=-1:1:5",
                 "--out", str(tmp_path / "rest")]) == 0
    rest = json.loads((tmp_path / "rest" / "msf.json").read_text())
    assert rest["kind"] == "equilibrium" and rest["period"] is None
    assert main(["msf", "ei", "--eps", "2", "--at", "eta_e", "--out", str(tmp_path)]) == 2
    assert "--at expects PAR=VALUE" in capsys.readouterr().err


def test_simulate_network_on_a_connectome(tmp_path, capsys):
    from bifurc.connectome import synthetic_connectome
    np.save(tmp_path / "c.npy", synthetic_connectome(12, 3, seed=4).weights)
    out = tmp_path / "run"
    assert main(["simulate", "ei", "--connectome", str(tmp_path / "c.npy"), "--eps", "2",
                 "--duration", "2500", "--out", str(out), "--no-plot", "--quiet"]) == 0
    result = json.loads((out / "network.json").read_text())
    assert len(result["dominant_frequency_hz"]) == 12
    assert all(30 < f < 100 for f in result["dominant_frequency_hz"])
    assert -1 <= result["mean_fc"] <= 1 and 0 <= result["kuramoto_mean"] <= 1
    assert len(result["pac_modulation_index"]) == 12
    trajectory = bf.Trajectory.load(out / "timeseries.npz")
    assert trajectory.n_nodes == 12 and trajectory.time[1] == pytest.approx(0.5)
    assert (out / "spacetime.png").stat().st_size > 0
    assert "network: mean FC" in capsys.readouterr().out


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
    first = saved[0]
    assert main(["twopar", "ei", "--from", f"1:{first.label}", "--free", "eps", "eta_e",
                 "--bounds", "eps=1.8:2.2", "eta_e=-5:25", "--max-points", "30",
                 "--out", str(out)]) == 0
    curve = bf.load_branches(out)[-1]
    assert curve.kind == "TI-C" and curve.extra["L"][0] == complex(*first.data["L"])
    assert (out / "twopar.png").stat().st_size > 0
    assert main(["msf", "ei", "--eps", "2", "--out", str(tmp_path)]) == 2
    assert "give --at PAR=VALUE" in capsys.readouterr().err
