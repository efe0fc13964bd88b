"""Cross-validation of bifurc's EP-C against AUTO-07p on the built-in models.

Skipped when AUTO-07p is not installed (the reason says how to install it).
AUTO prints 11 significant digits, which bounds the agreement at ~1e-10.
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


@pytest.mark.parametrize("name, overrides, free, bounds, expected", CASES)
def test_special_points_agree_with_auto07p(name, overrides, free, bounds, expected):
    model = bf.load_model(name)
    parameters = model.parameters(**{**overrides, free: bounds[0]})
    ours = continue_equilibria(model, parameters, free, bounds)
    start = find_equilibrium(model, parameters)
    theirs = auto07p.continue_equilibria_auto(model, parameters.values, start, free, bounds,
                                              ds=0.01, ds_max=0.1)
    auto_points = [p for p in theirs["special_points"] if p["type"] in ("LP", "HB")]
    counts = {}
    for point in ours.special_points:
        counts[point.kind] = counts.get(point.kind, 0) + 1
    assert counts == expected, ours.summary()
    assert len(auto_points) == len(ours.special_points)
    for point in ours.special_points:
        auto_type = {"LP": "LP", "H": "HB"}[point.kind]
        match = min((p for p in auto_points if p["type"] == auto_type),
                    key=lambda p: abs(p["par"] - point.parameters[free]))
        value = point.parameters[free]
        assert abs(match["par"] - value) <= 1e-6 * max(1.0, abs(value)), (point.label, match["par"])
        np.testing.assert_allclose(point.state, match["state"], rtol=1e-6,
                                   atol=1e-6 * np.abs(point.state).max())


def test_auto_engine_gives_a_branch_like_ours(tmp_path):
    from bifurc.cli import main
    from bifurc.continuation import load_branches

    assert main(["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--engine",
                 "auto07p", "--out", str(tmp_path), "--quiet"]) == 0
    (branch,) = load_branches(tmp_path)
    assert [p.label for p in branch.special_points] == ["H1", "H2"]
    assert branch.options["engine"] == "auto07p"
    assert 30 < branch["H2"].data["frequency_hz"] < 100
