"""`bifurc study msf --quick`: files, and its numbers against independent references
(tests/test_msf_oracles.py): the connectome network's Jacobian, numpy eigenvalues
and solve_ivp Floquet multipliers."""

import json

import numpy as np
import pytest
from test_msf_oracles import (
    NodeFunctions,
    floquet_reference,
    matching_distance,
    shoot_cycle,
    transverse_spectrum,
)

import bifurc as bf
from bifurc.cli import main
from bifurc.msf import orbit_at


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    pytest.importorskip("tvb_data", reason="the msf study needs `pip install tvb-data`")
    out = tmp_path_factory.mktemp("msf")
    assert main(["study", "msf", "--quick", "--out", str(out)]) == 0
    return out


def test_msf_study_writes_its_figures_and_data(study):
    for stem in ("dispersion", "msf_map", "unstable_modes", "synchrony_boundary"):
        for suffix in ("png", "pdf"):
            assert (study / f"{stem}.{suffix}").stat().st_size > 1000
    kinds = [b.kind for b in bf.load_branches(study)]
    assert kinds[:2] == ["EP-C", "LC-C"] and "TI-C" in kinds and "H-C" in kinds


def _orbit_exponents(node, orbit, L):
    """Floquet exponents (per ms) of the modes L on ``orbit``, refined by shooting,
    from solve_ivp (tests/test_msf_oracles.py)."""
    system = NodeFunctions(node, orbit.parameters)
    x0, period = shoot_cycle(system, orbit.profile[0], orbit.period)
    return floquet_reference(system, x0, period, L)[0], period


def test_msf_study_numbers(study):
    """The study's numbers against independent references: the tvb66 network's
    Jacobian (numpy), eig(Df + eps L H) (numpy), Floquet exponents of the
    variational equation (solve_ivp on the orbit refined by shooting)."""
    from bifurc.connectome import load_connectome

    summary = json.loads((study / "msf.json").read_text())
    node = bf.load_model("ei")
    eq, cycles, *curves = bf.load_branches(study)
    with np.load(study / "msf.npz") as data:
        arrays = {key: data[key] for key in data.files}
    modes, grid = arrays["modes"], arrays["L"]
    mode_growth = {"EP-C": arrays["EP-C/mode_growth_rate"], "LC-C": arrays["LC-C/mode_growth_rate"]}
    assert mode_growth["LC-C"].shape == (len(cycles), len(modes))
    assert mode_growth["EP-C"].shape == (len(eq), len(modes))
    # the modes are the eigenvalues of W = D^-1 C (numpy), L = 1 first
    C = load_connectome(summary["connectome"], remove_isolated=True).weights
    W = C / C.sum(axis=1, keepdims=True)
    assert matching_distance(modes, np.linalg.eigvals(W)) < 1e-12 and modes[0] == pytest.approx(1)

    # the resting state: the full 66-node Jacobian restricted to the transverse subspace
    rest = int(np.flatnonzero(eq.values[:, 0] == summary["rest"]["eta_e"])[0])
    system = NodeFunctions(node, dict(eq.parameters, eta_e=summary["rest"]["eta_e"]))
    assert np.linalg.norm(system.homogeneous(eq.states[rest])) < 1e-12
    transverse = transverse_spectrum(system.Df(eq.states[rest]), system.H, W, system.eps)
    assert summary["rest"]["largest_mode_growth_rate"] == pytest.approx(
        transverse.real.max(), abs=1e-13)  # measured 1.2e-15
    assert summary["rest"]["largest_mode_growth_rate"] < 0

    # the PING cycle: every mode's growth rate and the MSF curve against solve_ivp
    # (NTST = 25: measured 5.7e-11 and 1.7e-10 per ms)
    ping = int(np.flatnonzero(cycles.values[:, 0] == summary["ping"]["eta_e"])[0])
    orbit = orbit_at(cycles, ping)
    expected, _ = _orbit_exponents(node, orbit, np.concatenate([modes, grid]))
    at_modes, on_grid = expected[:len(modes)], expected[len(modes):]
    np.testing.assert_allclose(arrays["ping/mode_growth_rate"], at_modes, rtol=0, atol=5e-9)
    np.testing.assert_allclose(arrays["ping/growth_rate"], on_grid, rtol=0, atol=5e-9)
    np.testing.assert_allclose(mode_growth["LC-C"][ping], at_modes, rtol=0, atol=5e-9)
    unstable = {m["mode"] for m in summary["ping"]["unstable_modes"]}
    assert unstable
    clear = np.abs(at_modes) > 1e-8  # the cycle may sit on a TI point of one mode
    assert unstable & set(np.flatnonzero(clear)) == set(np.flatnonzero(clear & (at_modes > 0)))
    # (tvb66's modes are real) the unstable modes are those where the MSF
    # curve over the L grid is positive, away from its zero crossings
    curve = np.interp(modes.real, grid, on_grid)
    far = np.abs(curve) > 1e-4
    assert np.array_equal((curve > 0)[far], (at_modes > 0)[far])
    # the MSF map of the equilibria: max Re eig(Df + eps L H) on the L grid (numpy)
    for i in range(0, len(eq), 10):
        system = NodeFunctions(node, dict(eq.parameters, eta_e=float(eq.values[i, 0])))
        A = system.Df(eq.states[i])
        expected = [np.linalg.eigvals(A + system.eps * L * system.H).real.max() for L in grid]
        np.testing.assert_allclose(arrays["EP-C/growth_rate"][i], expected, rtol=0, atol=1e-13)

    # every TI point is a zero of its mode's growth rate, which changes sign there,
    # both in the study's arrays and in the references
    for branch in (eq, cycles):
        points = [p for p in branch.special_points if p.kind == "TI"]
        assert points
        growth = mode_growth[branch.kind]
        for point in points:
            k, L = point.data["mode"], point.data["L"][0]
            assert modes[k] == pytest.approx(L, abs=1e-14)
            before, after = growth[point.index - 1, k], growth[point.index + 1, k]
            assert before * after < 0
            assert (after > before) == (point.data["direction"] == "destabilising")
        for point in points:  # equilibria: numpy eig at the point and its neighbours
            if branch.kind != "EP-C":
                break
            k, L = point.data["mode"], point.data["L"][0]
            rates = []
            for i in (point.index - 1, point.index, point.index + 1):
                system = NodeFunctions(node, dict(eq.parameters, eta_e=float(eq.values[i, 0])))
                A = system.Df(eq.states[i])
                rates.append(np.linalg.eigvals(A + system.eps * L * system.H).real.max())
            assert abs(rates[1]) < 4e-14 and abs(growth[point.index, k]) < 4e-14  # 3.7e-16
            assert rates[0] * rates[2] < 0
        for point in points[::6] if branch.kind == "LC-C" else ():  # cycles: solve_ivp
            k, L = point.data["mode"], point.data["L"][0]
            exponent, period = _orbit_exponents(node, orbit_at(cycles, point.index), [L])
            # NTST = 25: measured 1.9e-9 (exponent times period); the study's own
            # value there is the locator's zero (measured 1e-13)
            assert abs(exponent[0] * period) < 1e-7
            assert abs(growth[point.index, k] * period) < 1e-11
            sides = [_orbit_exponents(node, orbit_at(cycles, i), [L])[0][0]
                     for i in (point.index - 1, point.index + 1)]
            assert sides[0] * sides[1] < 0
    # the first equilibrium TI point in the full 66-node Jacobian: its critical
    # eigenvalue is there, on the imaginary axis
    first = next(p for p in eq.special_points if p.kind == "TI")
    system = NodeFunctions(node, first.parameters)
    spectrum = transverse_spectrum(system.Df(first.state), system.H, W, system.eps)
    critical = spectrum[np.argmin(np.abs(spectrum - complex(*first.data["eigenvalue"])))]
    assert abs(critical - complex(*first.data["eigenvalue"])) < 5e-14  # measured 4.3e-16
    assert abs(critical.real) < 5e-14

    # the synchrony boundary passes through the TI point it starts from, and its
    # points are zeros of the mode's Floquet exponent (solve_ivp)
    boundary = next(b for b in curves if b.kind == "TI-C")
    first = next(p for p in cycles.special_points if p.kind == "TI")
    distance = np.hypot(boundary.values[:, 0] - 2.0,
                        boundary.values[:, 1] - first.parameters["eta_e"]).min()
    assert distance < 1e-8
    L = complex(boundary.extra["L"][0])
    for j in range(0, len(boundary), 8):
        parameters = dict(boundary.parameters, eps=float(boundary.values[j, 0]),
                          eta_e=float(boundary.values[j, 1]))
        system = NodeFunctions(node, parameters)
        x0, period = shoot_cycle(system, boundary.extra["profile"][j][0],
                                 boundary.extra["period"][j])
        exponent = floquet_reference(system, x0, period, [L])[0][0]
        # NTST = 25 on the start point's mesh over eps in [0.68, 3.3]: measured 8.5e-9
        assert abs(exponent * period) < 5e-7, (boundary.values[j], exponent * period)
