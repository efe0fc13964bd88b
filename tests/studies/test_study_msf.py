"""`bifurc study msf --quick`: files, and its numbers against independent checks."""

import json

import numpy as np
import pytest

import bifurc as bf
from bifurc.cli import main
from bifurc.msf import cycle_msf, dispersion_relation, homogeneous_model, orbit_at


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


def test_msf_study_numbers(study):
    summary = json.loads((study / "msf.json").read_text())
    node = bf.load_model("ei")
    homogeneous = homogeneous_model(node)
    eq, cycles = bf.load_branches(study)[:2]
    # the resting state is transversally stable; on the PING cycle some modes grow
    assert summary["rest"]["largest_mode_growth_rate"] < 0
    unstable = summary["ping"]["unstable_modes"]
    assert unstable
    with np.load(study / "msf.npz") as data:
        modes, growth = data["modes"], data["LC-C/mode_growth_rate"]
        grid, grid_growth = data["L"], data["ping/growth_rate"]
        ping_modes = data["ping/mode_growth_rate"]
    assert growth.shape == (len(cycles), len(modes))
    # the unstable modes are those where the MSF curve over the L grid is positive
    # (tvb66 is symmetric: real modes; away from the zero crossing)
    curve = np.interp(modes.real, grid, grid_growth)
    clear = np.abs(curve) > 1e-4
    assert np.array_equal((curve > 0)[clear], (ping_modes > 0)[clear])
    assert {m["mode"] for m in unstable} == set(np.flatnonzero(ping_modes > 0))
    # every TI point is a zero of its mode's growth rate, recomputed here
    for branch in (eq, cycles):
        for point in (p for p in branch.special_points if p.kind == "TI"):
            L = point.data["L"][0]
            if branch.kind == "EP-C":
                rate = dispersion_relation(node, point.parameters, point.state, [L],
                                           homogeneous=homogeneous)[0][0]
            else:
                rate = cycle_msf(node, orbit_at(branch, point.index), [L],
                                 homogeneous=homogeneous)[0][0]
            assert abs(rate) < 1e-8
            assert abs(growth[point.index, point.data["mode"]]) < 1e-8 or branch.kind == "EP-C"
    # the synchrony boundary passes through the TI point it starts from
    boundary = next(b for b in bf.load_branches(study) if b.kind == "TI-C")
    first = next(p for p in cycles.special_points if p.kind == "TI")
    distance = np.hypot(boundary.values[:, 0] - 2.0,
                        boundary.values[:, 1] - first.parameters["eta_e"]).min()
    assert distance < 1e-8
