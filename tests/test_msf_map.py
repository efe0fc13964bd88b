"""Transverse-instability maps (bifurc.msf_map): the continuation walk along
each row against point-by-point computations that start every point from a
simulation, the cycles' growth rates against the variational integration (an
independent method), resuming after an interruption, hostile input and the
CLI."""

import json

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation.attractors import find_attractor
from bifurc.errors import BifurcError, ParameterError
from bifurc.msf import (cycle_msf, dispersion_relation, homogeneous_model,
                        transverse_exponents)
from bifurc import msf_map
from bifurc.msf_map import KINDS, TransverseMap, transverse_map

GRID = {"eta_e": np.linspace(8.0, 10.0, 5), "eps": np.array([1.5, 2.5])}
L = np.array([1.0, 0.6, 0.0, -0.8, 0.2 + 0.5j])


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    out = tmp_path_factory.mktemp("map")
    return out, transverse_map("ei", GRID, L, chosen=(3,), out=out, workers=1)


def test_walk_agrees_with_point_by_point_simulation(computed):
    """Every point again, from its own simulation (no neighbour): same kind,
    same growth rates (the continued states are the simulated ones)."""
    _, result = computed
    ei = bf.load_model("ei")
    hom = homogeneous_model(ei)
    assert set(np.unique(result.kind)) == {KINDS.index("equilibrium"), KINDS.index("cycle")}
    assert (~result.simulated).sum() >= 5  # most points were continued, not simulated
    for j, eps in enumerate(GRID["eps"]):
        for i, eta in enumerate(GRID["eta_e"]):
            p = hom.parameters(eps=eps, eta_e=eta)
            attractor = find_attractor(hom, p)
            assert KINDS[result.kind[j, i]] == attractor.kind, (eta, eps)
            if attractor.kind == "cycle":
                growth, _ = cycle_msf(ei, attractor.orbit, L)
            else:
                growth, _ = dispersion_relation(ei, p, attractor.state, L)
            assert result.growth_max[j, i] == pytest.approx(growth.max(), abs=1e-7)
            assert result.chosen_growth[j, i, 0] == pytest.approx(growth[3], abs=1e-7)
            assert result.unstable_modes[j, i] == np.sum(growth > result.uncertainty[j, i])


def test_cycle_points_against_the_variational_integration(computed):
    _, result = computed
    ei = bf.load_model("ei")
    hom = homogeneous_model(ei)
    j, i = np.argwhere(result.kind == KINDS.index("cycle"))[0]
    p = hom.parameters(eps=GRID["eps"][j], eta_e=GRID["eta_e"][i])
    attractor = find_attractor(hom, p)
    variational = transverse_exponents(ei, p, L[3:4], state=attractor.state)
    assert abs(variational.exponents[0] - result.chosen_growth[j, i, 0]) <= \
        3 * variational.uncertainty[0] + 1e-4


def test_saved_and_loaded_exactly(computed):
    out, result = computed
    loaded = TransverseMap.load(out)
    for key in ("kind", "growth_max", "unstable_modes", "chosen_growth", "uncertainty",
                "simulated"):
        np.testing.assert_array_equal(getattr(loaded, key), getattr(result, key))
    np.testing.assert_array_equal(loaded.L, L)
    assert loaded.grid.keys() == GRID.keys() and loaded.status == "completed"


def test_resume_computes_only_the_missing_rows(computed, tmp_path, monkeypatch):
    out, result = computed
    lines = (out / "transverse_map.jsonl").read_text().splitlines()
    assert len(lines) == 1 + len(GRID["eps"])
    # the first row kept, the second torn by an interruption mid-write
    (tmp_path / "transverse_map.jsonl").write_text("\n".join(lines[:2]) + "\n"
                                                   + lines[2][:40])
    calls = []
    original = msf_map.evaluate_row
    monkeypatch.setattr(msf_map, "evaluate_row", lambda task: calls.append(task["row"])
                        or original(task))
    resumed = transverse_map("ei", GRID, L, chosen=(3,), out=tmp_path, workers=1)
    assert calls == [1]
    np.testing.assert_array_equal(resumed.growth_max, result.growth_max)
    with pytest.raises(BifurcError, match="other settings"):
        transverse_map("ei", GRID, L[:2], out=tmp_path, workers=1)


def test_processes_give_the_serial_map(computed):
    _, result = computed
    parallel = transverse_map("ei", GRID, L, chosen=(3,), workers=2)
    np.testing.assert_array_equal(parallel.kind, result.kind)
    np.testing.assert_allclose(parallel.growth_max, result.growth_max, rtol=0, atol=1e-12)


def test_uncoupled_cycles_have_no_unstable_mode():
    """At eps = 0 every mode sees the homogeneous cycle itself, so each mode's
    leading multiplier is the trivial one (exponent 0 up to its error): none
    may be counted unstable (before, about half were, as the rounding of
    two computations of the same multiplier fell)."""
    result = transverse_map("ei", {"eta_e": np.linspace(9.0, 11.0, 9), "eps": [0.0]},
                            np.linspace(-0.9, 1.0, 40), workers=1)
    assert np.all(result.kind == KINDS.index("cycle"))
    assert np.all(result.unstable_modes == 0)
    assert np.all(np.abs(result.growth_max) <= result.uncertainty)


def test_slow_transient_next_to_a_hopf_point_is_a_cycle_not_quasiperiodic():
    """Just past the Hopf point of the seed paper's node (eps = 27.27), a run of
    500 ms from the equilibrium has not settled on the small cycle yet (it
    grows at Re lambda = 0.004/ms), and the map called it quasi-periodic and
    integrated its variational equations. It now runs on; the reference is a
    run of 8000 ms, which settles on the cycle."""
    paper = bf.load_model("ei").presets["delicado2025"].values
    grid = {"I_e": [1.6, 1.65], "eps": [27.27]}
    result = transverse_map("ei", grid, L.real, parameters=paper, transient=500.0,
                            duration=200.0, workers=1)
    hom = homogeneous_model(bf.load_model("ei"))
    for i, I_e in enumerate(grid["I_e"]):
        reference = find_attractor(hom, hom.parameters(preset="delicado2025", I_e=I_e, eps=27.27),
                                   transient=8000.0)
        assert KINDS[result.kind[0, i]] == reference.kind


def test_cycle_just_past_a_hopf_point_comes_from_the_normal_form():
    """I_e = 6.0 lies 0.007 past the seed paper's first Hopf point at eps = 0
    (I_e = 5.9932): the cycle grows out of the equilibrium at 1e-3/ms, far
    too slowly for any reasonable run. The map takes it from the normal form
    of the equilibrium it continued (no simulation); the reference is a run
    of 40 s, whose cycle gives the same period and growth rates."""
    paper = bf.load_model("ei").presets["delicado2025"].values
    result = transverse_map("ei", {"I_e": [5.95, 6.0], "eps": [0.0]}, L.real, parameters=paper,
                            workers=1)
    assert [KINDS[k] for k in result.kind[0]] == ["equilibrium", "cycle"]
    assert not result.simulated[0, 1]
    ei = bf.load_model("ei")
    hom = homogeneous_model(ei)
    reference = find_attractor(hom, hom.parameters(preset="delicado2025", I_e=6.0, eps=0.0),
                               transient=40000.0)
    assert reference.kind == "cycle"
    growth, _ = cycle_msf(ei, reference.orbit, L.real)
    assert result.growth_max[0, 1] == pytest.approx(growth.max(), abs=1e-7)


def test_bad_input_before_any_computation():
    with pytest.raises(ParameterError, match="not a parameter"):
        transverse_map("ei", {"eta_e": [1.0], "nope": [1.0]}, L)
    with pytest.raises(ParameterError):
        transverse_map("ei", {"eta_e": [1.0], "tau_e": [-1.0, 1.0]}, L)  # tau_e in (0, inf)
    with pytest.raises(ParameterError, match="two parameter"):
        transverse_map("ei", {"eta_e": [1.0]}, L)
    with pytest.raises(ParameterError, match="chosen"):
        transverse_map("ei", GRID, L, chosen=(9,))
    with pytest.raises(ParameterError, match="modes"):
        transverse_map("ei", GRID, [np.nan])


def test_cli_plane(tmp_path, capsys):
    from bifurc.cli import main

    out = tmp_path / "out"
    assert main(["msf", "ei", "--plane", "eta_e=8:10:3", "eps=1.5:2.5:2", "--L-grid=-1:1:5",
                 "--workers", "1", "--quiet", "--out", str(out)]) == 0
    meta = json.loads((out / "transverse_map.json").read_text())
    assert meta["schema"] == "bifurc.transverse-map/1" and len(meta["L"]) == 5
    assert (out / "transverse_map.png").stat().st_size > 0
    assert "needed a simulation" in capsys.readouterr().out
    assert main(["msf", "ei", "--plane", "eta_e=8:10:3", "J_ee=1:2:2", "--out",
                 str(tmp_path / "x")]) == 2
    assert "--eps is required" in capsys.readouterr().err
    assert main(["msf", "ei", "--plane", "eta_e=8:10:3", "eta_e=1:2:2", "--out",
                 str(tmp_path / "y")]) == 2


def test_map_reproduces_its_ti_c_boundary_to_the_grid_step():
    """The synchrony boundary of one mode, located on the homogeneous
    equilibria (a TI point) and continued in (eta_e, eps) as TI-C, against the
    map's sign changes of that mode's growth: every crossing of the curve
    through a grid row lies within one grid step of a sign change there."""
    from bifurc.connectome import synthetic_connectome
    from bifurc.continuation import continue_curve
    from bifurc.msf import locate_transverse_points

    ei = bf.load_model("ei")
    hom = homogeneous_model(ei)
    modes = synthetic_connectome(8, 2, seed=1).modes()[0]
    equilibria = bf.continue_equilibria(hom, hom.parameters(eps=2.0, eta_e=12.0), free="eta_e",
                                        bounds=(10.0, 12.0))
    located = locate_transverse_points(ei, equilibria, modes)
    ti = [p for p in located.special_points if p.kind == "TI"]
    assert ti
    point = ti[len(ti) // 2]
    mode = point.data["mode"]
    boundary = continue_curve(hom, point, ("eta_e", "eps"), {"eta_e": (9.5, 12.5),
                                                             "eps": (1.0, 3.0)})
    assert boundary.kind == "TI-C"
    eta = np.linspace(10.0, 12.0, 17)
    step = eta[1] - eta[0]
    rows = np.linspace(1.8, 2.2, 5)
    result = transverse_map(ei, {"eta_e": eta, "eps": rows}, modes, chosen=(mode,), workers=2)
    checked = 0
    for j, eps in enumerate(rows):
        growth = result.chosen_growth[j, :, 0]
        same_kind = result.kind[j, :-1] == result.kind[j, 1:]
        crossings = eta[:-1][(np.sign(growth[:-1]) != np.sign(growth[1:])) & same_kind]
        values = boundary.values
        sides = np.flatnonzero(np.sign(values[:-1, 1] - eps) != np.sign(values[1:, 1] - eps))
        curve = [values[k, 0] + (eps - values[k, 1]) * (values[k + 1, 0] - values[k, 0])
                 / (values[k + 1, 1] - values[k, 1]) for k in sides]
        for c in (c for c in curve if eta[0] < c < eta[-1]):
            assert any(abs(x + step / 2 - c) <= step for x in crossings), (eps, c, crossings)
            checked += 1
    assert checked >= 4
