"""Parameter sweeps: classification against independent facts, local vs Dask,
resume after an interruption, errors, and the CLI."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest

import bifurc as bf
import bifurc.sweep as sweep_module
import bifurc.sweep.classify as classify_module
from bifurc.cli import main
from bifurc.sweep import SweepOptions, parse_grid, sweep, sweep_map

from ei_reference import (DEFAULTS, PI, equilibria, hopf_point, leading_eigenvalue,
                          reference_frequency_hz)

#: The Lorenz system (sigma, rho, beta) = (10, 28, 8/3): chaotic, with largest
#: Lyapunov exponent 0.9056 per time unit (Viswanath, Nonlinearity 17, 2004).
LORENZ = {"name": "lorenz", "time_unit": "ms",
          "states": {"x": {"initial": 1.0}, "y": {"initial": 1.0}, "z": {"initial": 1.0}},
          "parameters": {"sigma": 10.0, "rho": 28.0, "beta": 8 / 3},
          "equations": {"x": "sigma * (y - x)", "y": "x * (rho - z) - y", "z": "x * y - beta * z"}}


def qif_folds(J, delta=1.0):
    """eta at the two folds of the qif model (tau = 1), from the exact curve
    J = 2 pi^2 r + delta^2 / (2 pi^2 r^3), eta = pi^2 r^2 - J r - delta^2 / (4 pi^2 r^2)."""
    roots = np.roots([2 * PI**2, -J, 0, 0, delta**2 / (2 * PI**2)])
    rates = np.sort(roots[(abs(roots.imag) < 1e-12) & (roots.real > 0)].real)
    return sorted(PI**2 * r**2 - J * r - delta**2 / (4 * PI**2 * r**2) for r in rates)


def qif_stable_rates(eta, J, delta=1.0):
    """Equilibrium rates of qif (tau = 1): roots of -pi^2 r^4 + J r^3 + eta r^2 +
    delta^2 / (4 pi^2) = 0; the smallest and largest positive ones are stable."""
    roots = np.roots([-PI**2, J, eta, 0, delta**2 / (4 * PI**2)])
    rates = np.sort(roots[(abs(roots.imag) < 1e-9) & (roots.real > 0)].real)
    return rates[0], rates[-1]


QIF_OPTIONS = SweepOptions(duration=200.0)

# --- An independent reference for the ei node, from the equations of docs/models.md with
# numpy and scipy only: equilibria from an explicit reduction, a Jacobian derived by hand,
# Hopf points by brentq, cycle frequencies by shooting with solve_ivp (DOP853, rtol 1e-11).



def test_qif_bistable_exactly_between_the_folds():
    low_fold, high_fold = qif_folds(15.0)
    result = sweep("qif", ["eta=-7:-2:6"], "range", parameters={"J": 15.0},
                   options=QIF_OPTIONS, workers=1, progress=False)
    assert result.status == "completed" and len(result) == 6
    for row in result.rows:
        eta = row["eta"]
        inside = low_fold < eta < high_fold
        assert row["regime"] == ("bistable" if inside else "rest"), eta
        low, high = qif_stable_rates(eta, 15.0)
        # run A from (r, v) = (0.1, -2) ends low where that state exists; run B high
        assert row["r_mean"] == pytest.approx(low if eta < high_fold else high, rel=1e-8)
        assert row["second_r_mean"] == pytest.approx(high if eta > low_fold else low, rel=1e-8)
        assert row["r_max"] - row["r_min"] < 1e-6 * row["r_max"]
    figure = sweep_map(result, bf.load_model("qif"))  # 1-D: regime strip + range panel
    assert figure.axes[-1].get_xlabel() == "eta" and figure.axes[1].get_ylabel() == "r (Hz)"
    assert {t.get_text() for t in figure.axes[0].get_legend().get_texts()} == {"rest", "bistable"}
    plt.close(figure)



def test_ei_regimes_follow_the_hopf_points():
    (h1, _), (h2, _) = hopf_point(-10.0, 5.0), hopf_point(5.0, 30.0)  # -0.525, 19.553
    values = [-10.0, -2.0, 10.0, 19.0, 20.0, 25.0]
    result = sweep("ei", {"eta_e": values}, ["frequency", "lyapunov", "equilibrium"],
                   workers=1, progress=False)
    rows = {row["eta_e"]: row for row in result.rows}
    for eta in values:
        row = rows[eta]
        expected = "oscillation" if h1 < eta < h2 else "rest"
        assert row["regime"] == expected, (eta, row)
        if expected == "rest":
            assert row["frequency_hz"] == 0.0
        # the (unique) equilibrium and its leading eigenvalue, per s: Newton against the
        # reduction, measured 1e-15 in r_e and 1e-10 /s in the eigenvalue
        (x,) = equilibria({**DEFAULTS, "eta_e": eta})
        assert row["equilibrium_r_e"] == pytest.approx(x[0], rel=1e-10)
        leading = 1000 * leading_eigenvalue({**DEFAULTS, "eta_e": eta})
        assert row["equilibrium_max_real_per_s"] == pytest.approx(leading.real, abs=1e-7)
    # the default node's PING rhythm (60.14 Hz, docs/models.md) against shooting: crossings of
    # the mean over the last 500 ms of RK4 runs at dt = 0.05, measured 4.5e-8 and 8e-9
    reference = reference_frequency_hz(10.0)
    assert reference == pytest.approx(60.14, abs=5e-3)
    assert rows[10.0]["frequency_hz"] == pytest.approx(reference, rel=1e-6)
    assert rows[10.0]["second_frequency_hz"] == pytest.approx(reference, rel=1e-6)
    # 0.55 below H2 the cycle attracts slowly and a 1000 ms run is not quite on it: 8.3e-6
    # (the reference needs a 1000 ms transient there for its shooting guess, too)
    assert rows[19.0]["frequency_hz"] == pytest.approx(reference_frequency_hz(19.0, 1000.0),
                                                       rel=1e-4)
    # on a limit cycle the largest exponent is 0; the finite-time average gives 0.90 /s
    assert abs(rows[10.0]["lyapunov_per_s"]) < 2.0
    # at a stable equilibrium it is the leading eigenvalue's real part: measured 2e-10 at a
    # real eigenvalue (eta_e = -10) and 3.7e-4 at a complex pair (-2), whose rotation makes
    # the finite-time growth of a perturbation oscillate
    for eta in (-10.0, -2.0):
        leading = 1000 * leading_eigenvalue({**DEFAULTS, "eta_e": eta})
        assert rows[eta]["lyapunov_per_s"] == pytest.approx(leading.real, rel=2e-3)
    # just past H2 the rhythm dies slowly: the measured decay is the eigenvalue's. The message
    # rounds it to 3 digits (0.315 against 0.31602: 3e-3)
    message = rows[20.0]["message"]
    assert "damped oscillation" in message
    rate = float(message.split("decaying at ")[1].split("/s")[0])
    assert rate == pytest.approx(-1000 * leading_eigenvalue({**DEFAULTS, "eta_e": 20.0}).real,
                                 rel=1e-2)


def test_lorenz_attractor_is_chaos_with_the_known_exponent():
    lorenz = bf.Model.from_spec(LORENZ)
    options = SweepOptions(dt=0.01, lyapunov_dt=0.005,
                           second_state={"x": -1.0, "y": -1.0, "z": 20.0})
    result = sweep(lorenz, {"rho": [20.0, 28.0]}, "lyapunov", options=options, workers=1,
                   progress=False)
    rest, chaos = result.rows
    assert chaos["regime"] == "chaos"
    # 0.9056 per ms; a finite-time average over a chaotic run: measured 902.6 (0.33 %)
    assert chaos["lyapunov_per_s"] == pytest.approx(905.6, rel=0.03)
    # rho = 20: both runs spiral onto the same one of the two stable foci
    # C = (+-q, +-q, rho - 1), q = sqrt(beta (rho - 1)), where the Jacobian is
    # [[-sigma, sigma, 0], [1, -1, -x], [y, x, -beta]] (rho - z = 1 there); its leading
    # eigenvalue's real part is the exponent (measured 2.6e-4 from it)
    q = np.sqrt(8 / 3 * 19.0)
    eigenvalues = np.linalg.eigvals([[-10.0, 10.0, 0.0], [1.0, -1.0, -q], [q, q, -8 / 3]])
    assert rest["regime"] == "rest"
    assert rest["lyapunov_per_s"] == pytest.approx(1000 * eigenvalues.real.max(), rel=2e-3)


def test_nan_lyapunov_exponent_is_never_a_regime(monkeypatch):
    # A tangent dynamics that overflowed gives NaN; before, NaN > threshold was
    # False and the chaotic point was classified "oscillation" without a word.
    import bifurc.lyapunov as lyapunov_module

    real = lyapunov_module.lyapunov_spectrum

    def overflowed(*args, **kwargs):
        spectrum = real(*args, **kwargs)
        spectrum.exponents[:] = np.nan
        return spectrum

    monkeypatch.setattr(lyapunov_module, "lyapunov_spectrum", overflowed)
    lorenz = bf.Model.from_spec(LORENZ)
    options = SweepOptions(dt=0.01, lyapunov_dt=0.005, lyapunov_duration=200.0,
                           second_state={"x": 1.0, "y": 1.0, "z": 1.5})
    (row,) = sweep(lorenz, {"rho": [28.0]}, options=options, workers=1, progress=False).rows
    assert row["regime"] == "diverged"
    assert "Lyapunov exponent is nan" in row["message"]


def _run_cli(out, *extra):
    return main(["sweep", "ei", "--grid", "eta_e=-5:15:3", "eta_i=-5:0:2", "--measure",
                 "regime,frequency,range", "--duration", "300", "--out", str(out), "--quiet",
                 *extra])


def test_local_processes_and_dask_cluster_give_the_same_table(tmp_path, capsys):
    distributed = pytest.importorskip("dask.distributed")
    assert _run_cli(tmp_path / "local", "--workers", "2") == 0
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        assert _run_cli(tmp_path / "dask", "--scheduler", cluster.scheduler_address) == 0
    serial = sweep("ei", ["eta_e=-5:15:3", "eta_i=-5:0:2"], "regime,frequency,range",
                   options=SweepOptions(duration=300.0), workers=1, out=tmp_path / "serial",
                   progress=False)
    tables = [(tmp_path / name / "sweep.csv").read_text() for name in ("local", "dask", "serial")]
    assert tables[0] == tables[1] == tables[2]
    assert len(tables[0].splitlines()) == 1 + 6
    loaded = sweep_module.load_sweep(tmp_path / "dask")
    assert loaded.status == "completed" and loaded.rows == serial.rows
    assert loaded.metadata["executor"] == "ClientExecutor"
    assert loaded.as_grid("regime").shape == (3, 2)
    for name in ("sweep.json", "map.png"):
        assert (tmp_path / "dask" / name).stat().st_size > 0
    out = capsys.readouterr().out
    assert "6 of 6 points" in out and "wrote" in out


def test_interrupted_sweep_keeps_finished_points_and_resumes(tmp_path, monkeypatch):
    evaluate = classify_module.evaluate_point
    calls = []

    def interrupted_at_third(task):
        calls.append(task["point"])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return evaluate(task)

    arguments = dict(parameters={"J": 15.0}, options=QIF_OPTIONS, workers=1, progress=False)
    monkeypatch.setattr(classify_module, "evaluate_point", interrupted_at_third)
    first = sweep("qif", ["eta=-7:-2:6"], "range", out=tmp_path / "a", **arguments)
    assert first.status == "interrupted" and [r["point"] for r in first.rows] == [0, 1]
    saved = sweep_module.load_sweep(tmp_path / "a")
    assert saved.status == "interrupted" and saved.rows == first.rows
    # a hard kill can leave half a line: it is dropped and the point recomputed
    with open(tmp_path / "a" / "sweep.csv", "a") as stream:
        stream.write("5,-2.0,res")

    calls.clear()
    monkeypatch.setattr(classify_module, "evaluate_point", lambda task: calls.append(
        task["point"]) or evaluate(task))
    resumed = sweep("qif", ["eta=-7:-2:6"], "range", out=tmp_path / "a", **arguments)
    assert sorted(calls) == [2, 3, 4, 5]
    assert resumed.status == "completed" and len(resumed) == 6

    monkeypatch.setattr(classify_module, "evaluate_point", evaluate)
    fresh = sweep("qif", ["eta=-7:-2:6"], "range", out=tmp_path / "b", **arguments)
    assert (tmp_path / "a" / "sweep.csv").read_text() == (tmp_path / "b" / "sweep.csv").read_text()
    assert resumed.rows == fresh.rows

    # a finished sweep rerun computes nothing
    calls.clear()
    monkeypatch.setattr(classify_module, "evaluate_point", lambda task: calls.append(task) or {})
    again = sweep("qif", ["eta=-7:-2:6"], "range", out=tmp_path / "a", **arguments)
    assert calls == [] and again.rows == fresh.rows


def test_a_failing_point_keeps_the_finished_rows(tmp_path, monkeypatch):
    evaluate = classify_module.evaluate_point

    def broken_third(task):
        if task["point"] == 2:
            raise RuntimeError("a bug in a worker")
        return evaluate(task)

    monkeypatch.setattr(classify_module, "evaluate_point", broken_third)
    with pytest.raises(RuntimeError, match="a bug in a worker"):
        sweep("qif", ["eta=-7:-2:4"], options=QIF_OPTIONS, workers=1, progress=False,
              out=tmp_path)
    saved = sweep_module.load_sweep(tmp_path)
    assert saved.status == "failed" and [r["point"] for r in saved.rows] == [0, 1]


def test_other_settings_in_the_same_folder_are_refused(tmp_path):
    arguments = dict(workers=1, progress=False, out=tmp_path)
    sweep("qif", ["eta=-7:-2:2"], options=QIF_OPTIONS, **arguments)
    before = (tmp_path / "sweep.csv").read_text()
    with pytest.raises(bf.BifurcError, match=r"other settings \(options.duration differ\)"):
        sweep("qif", ["eta=-7:-2:2"], options=SweepOptions(duration=100.0), **arguments)
    with pytest.raises(bf.BifurcError, match=r"grid differ"):
        sweep("qif", ["eta=-7:-2:3"], options=QIF_OPTIONS, **arguments)
    assert (tmp_path / "sweep.csv").read_text() == before


@pytest.mark.parametrize("grid, measures, parameters, message", [
    (["eta=1:2"], None, None, "expects NAME=LO:HI:N"),
    (["eta"], None, None, "expects NAME=LO:HI:N"),
    (["eta=a:2:3"], None, None, "LO and HI must be numbers and N an integer"),
    (["eta=1:2:0"], None, None, "N must be at least 1"),
    (["eta=1:2:2", "eta=0:1:2"], None, None, "names `eta` twice"),
    (["bogus=1:2:2"], None, None, "unknown parameter 'bogus'"),
    (["tau=-1:1:3"], None, None, r"`tau` must lie in \(0.0, inf\), got grid value -1.0"),
    (["eta=1:2:2"], "regime,spectrum", None, "unknown measure 'spectrum'"),
    (["eta=1:2:2"], None, {"eta": 1.0}, "`eta` is both swept"),
])
def test_bad_input_is_named(grid, measures, parameters, message):
    with pytest.raises(bf.ParameterError, match=message):
        sweep("qif", grid, measures, parameters=parameters, workers=1, progress=False)


def test_bad_options_and_second_state_are_named():
    with pytest.raises(bf.ParameterError, match="`duration` must be positive"):
        SweepOptions(duration=-1.0)
    with pytest.raises(bf.ParameterError, match="`discard` must lie in"):
        SweepOptions(discard=1.0)
    lorenz = bf.Model.from_spec(LORENZ)
    with pytest.raises(bf.ParameterError, match="no rate state"):
        sweep(lorenz, {"rho": [28.0]}, workers=1, progress=False)
    with pytest.raises(bf.ParameterError, match="unknown state 'w'"):
        sweep(lorenz, {"rho": [28.0]}, options=SweepOptions(second_state={"w": 1.0}),
              workers=1, progress=False)
    with pytest.raises(bf.ParameterError, match="equals the model's initial state"):
        sweep("qif", {"eta": [0.0]}, options=SweepOptions(second_state={"r": 0.1}),
              workers=1, progress=False)


def test_parse_grid_is_linspace():
    grid = parse_grid(["eta=-10:10:5", "J=3:3:1"])
    np.testing.assert_array_equal(grid["eta"], np.linspace(-10, 10, 5))
    assert grid["J"].tolist() == [3.0]


def test_cli_writes_table_metadata_and_map(tmp_path, capsys):
    code = main(["sweep", "qif", "--grid", "eta=-7:-2:3", "J=14:15:2", "--duration", "200",
                 "--workers", "1", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    metadata = json.loads((tmp_path / "sweep.json").read_text())
    assert metadata["schema"] == "bifurc.sweep/1" and metadata["status"] == "completed"
    assert metadata["settings"]["grid"] == {"eta": [-7.0, -4.5, -2.0], "J": [14.0, 15.0]}
    assert metadata["settings"]["measures"] == ["regime", "frequency"]
    header = (tmp_path / "sweep.csv").read_text().splitlines()[0]
    assert header == "point,eta,J,regime,frequency_hz,second_frequency_hz,message"
    assert (tmp_path / "map.png").stat().st_size > 0
    result = sweep_module.load_sweep(tmp_path)
    # bistable exactly between the exact folds (eta = -4.5 for both J; -7 and -2 outside)
    regimes = result.as_grid("regime")
    for i, eta in enumerate((-7.0, -4.5, -2.0)):
        for j, J in enumerate((14.0, 15.0)):
            low_fold, high_fold = qif_folds(J)
            assert regimes[i][j] == ("bistable" if low_fold < eta < high_fold else "rest")
    assert [r for r in regimes[1]] == ["bistable", "bistable"]
    figure = sweep_map(result, bf.load_model("qif"))
    ax = figure.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("eta", "J")
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"rest", "bistable"}
    plt.close(figure)
    assert "wrote" in capsys.readouterr().out
    # the same command again: nothing to do, same table
    assert main(["sweep", "qif", "--grid", "eta=-7:-2:3", "J=14:15:2", "--duration", "200",
                 "--workers", "1", "--out", str(tmp_path), "--quiet"]) == 0


@pytest.mark.parametrize("arguments, message", [
    (["--grid", "eta=1:2"], "expects NAME=LO:HI:N"),
    (["--grid", "eta=1:2:2", "--measure", "nothing"], "unknown measure 'nothing'"),
    (["--grid", "eta=1:2:2", "--second-state", "r"], "--second-state expects name=value"),
    (["--grid", "eta=1:2:2", "--duration", "100"], "other settings"),
])
def test_cli_errors_exit_2(tmp_path, arguments, message, capsys):
    main(["sweep", "qif", "--grid", "eta=1:2:2", "--duration", "50", "--workers", "1",
          "--out", str(tmp_path), "--quiet"])
    capsys.readouterr()
    assert main(["sweep", "qif", *arguments, "--workers", "1", "--out", str(tmp_path),
                 "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", "--help"])
    assert exit_info.value.code == 0
    assert "--scheduler" in capsys.readouterr().out
