"""Cross-validation of bifurc's EP-C against AUTO-07p on the built-in models.

Skipped when AUTO-07p is not installed (the reason says how to install it):
every test here runs AUTO. AUTO prints 11 significant digits, which bounds the
agreement at ~1e-10; measured: LP and H parameters within 1e-9 (the Hopf
point of ei at J_ee = 20; 1e-12 .. 1e-10 elsewhere), states within 5e-10
relative, Hopf periods within 1e-10 relative.
"""

import numpy as np
import pytest

import bifurc as bf
from bifurc import auto07p
from bifurc.continuation import continue_equilibria, find_equilibrium

AVAILABLE, REASON = auto07p.auto_available()
pytestmark = pytest.mark.skipif(not AVAILABLE, reason=f"AUTO-07p is not usable: {REASON}")

CASES = [
    ("ei", {}, "eta_e", (-10.0, 30.0), {"H": 2}),               # default PING regime
    ("ei", {"J_ee": 20.0}, "eta_e", (-20.0, 30.0), {"LP": 2, "H": 1}),  # bistable + Hopf
    ("qif", {"J": 15.0}, "eta", (-15.0, 5.0), {"LP": 2}),
    ("qif_syn", {"J": 15.0, "tau": 1.0, "tau_s": 1.0}, "eta", (-15.0, 5.0), {"LP": 2}),
]


def auto_hopf_periods(model, free, workdir):
    """{value of ``free``: period} at AUTO's HB points, from PAR(11) of their
    fort.8 records: AUTO stores the period 2 pi / omega of the critical pair
    there (the start of a periodic-orbit branch)."""
    column = auto07p.parameter_index_map(model)[free] - 1
    return {float(s["par"][column]): float(s["par"][10])
            for run in ("run_plus", "run_minus") if (workdir / run / "fort.8").is_file()
            for s in auto07p.parse_fort8(workdir / run / "fort.8") if s["type"] == "HB"}


@pytest.mark.parametrize("name, overrides, free, bounds, expected", CASES)
def test_special_points_agree_with_auto07p(name, overrides, free, bounds, expected, tmp_path):
    model = bf.load_model(name)
    parameters = model.parameters(**{**overrides, free: bounds[0]})
    ours = continue_equilibria(model, parameters, free, bounds)
    start = find_equilibrium(model, parameters)
    theirs = auto07p.continue_equilibria_auto(model, parameters.values, start, free, bounds,
                                              ds=0.01, ds_max=0.1, workdir=tmp_path)
    periods = auto_hopf_periods(model, free, tmp_path)
    auto_points = [p for p in theirs["special_points"] if p["type"] in ("LP", "HB")]
    counts = {}
    for point in ours.special_points:
        counts[point.kind] = counts.get(point.kind, 0) + 1
    assert counts == expected, ours.summary()
    assert len(auto_points) == len(ours.special_points)
    assert len(periods) == counts.get("H", 0)
    for point in ours.special_points:
        auto_type = {"LP": "LP", "H": "HB"}[point.kind]
        match = min((p for p in auto_points if p["type"] == auto_type),
                    key=lambda p: abs(p["par"] - point.parameters[free]))
        value = point.parameters[free]
        assert abs(match["par"] - value) <= 1e-8 * max(1.0, abs(value)), (point.label, match["par"])
        np.testing.assert_allclose(point.state, match["state"], rtol=1e-8,
                                   atol=1e-8 * np.abs(point.state).max())
        if point.kind == "H":
            period = periods[match["par"]]
            assert 2 * np.pi / point.data["omega"] == pytest.approx(period, rel=1e-9)
            assert point.data["frequency_hz"] == pytest.approx(1000 / period, rel=1e-9)  # ms


def test_auto_engine_gives_a_branch_like_ours(tmp_path):
    """The CLI's AUTO engine gives the same Hopf points as the native one, and
    their frequencies are AUTO's own (1000 / PAR(11) Hz, the model in ms):
    H1 11.10 Hz, H2 95.21 Hz."""
    from bifurc.cli import main
    from bifurc.continuation import load_branches

    assert main(["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--engine",
                 "auto07p", "--out", str(tmp_path / "diagram"), "--quiet"]) == 0
    (branch,) = load_branches(tmp_path / "diagram")
    assert [p.label for p in branch.special_points] == ["H1", "H2"]
    assert branch.options["engine"] == "auto07p"
    ei = bf.load_model("ei")
    parameters = ei.parameters(eta_e=-10.0)
    auto07p.continue_equilibria_auto(ei, parameters.values, find_equilibrium(ei, parameters),
                                     "eta_e", (-10.0, 30.0), ds=0.01, ds_max=0.1,
                                     workdir=tmp_path / "auto")
    periods = auto_hopf_periods(ei, "eta_e", tmp_path / "auto")
    assert len(periods) == 2
    for point, (value, period) in zip(branch.special_points, sorted(periods.items())):
        assert point.parameters["eta_e"] == pytest.approx(value, abs=1e-8)
        assert point.data["frequency_hz"] == pytest.approx(1000 / period, rel=1e-9)
    assert branch["H2"].data["frequency_hz"] == pytest.approx(95.2075, abs=1e-4)
