"""HOM-C against an exact homoclinic loop.

x' = y, y' = x - x^2 + (nu - g(mu)) y + mu H y with H = y^2/2 - x^2/2 + x^3/3
and g(mu) = mu^2/4 - 0.3 mu. Along any orbit dH/dt = (nu - g(mu)) y^2 + mu H y^2,
so for nu = g(mu) the level set H = 0 is invariant: the loop
x = 3/2 sech^2(t/2) through the saddle at the origin (eigenvalues +-1 there)
is homoclinic, and for nu != g(mu) it breaks (dH/dt = (nu - g) y^2 on H = 0).
The homoclinic curve is exactly nu = g(mu); the loop reaches x = 3/2 at y = 0.
The family of cycles around (1, 0) is born at the Hopf point
nu - g(mu) - mu/6 = 0 and dies on the loop.
"""

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation import ContinuationOptions, SpecialPoint, continue_curve
from bifurc.continuation.cycles import PeriodicOrbit
from bifurc.continuation.homoclinic import OpenMesh, continue_homoclinic, homoclinic_point

SPEC = {"name": "exact_loop", "states": {"x": 0.5, "y": 0.0},
        "parameters": {"mu": 1.0, "nu": 0.0},
        "equations": {"x": "y",
                      "y": "x - x**2 + (nu - (mu**2/4 - 0.3*mu))*y "
                           "+ mu*(y**2/2 - x**2/2 + x**3/3)*y"}}
BOUNDS = {"nu": (-2.0, 2.0), "mu": (0.5, 2.0)}


def g(mu):
    return mu**2 / 4 - 0.3 * mu


def energy(points):
    x, y = points[:, 0], points[:, 1]
    return y**2 / 2 - x**2 / 2 + x**3 / 3


@pytest.fixture(scope="module")
def model():
    return bf.Model.from_spec(SPEC)


@pytest.fixture(scope="module")
def family(model):
    eq = bf.continue_equilibria(model, model.parameters(mu=1.0, nu=0.1), free="nu",
                                bounds=(-0.5, 0.5), start=np.array([1.0, 0.0]))
    return bf.continue_cycles(model, eq["H1"], bounds=(-0.5, 0.5), ntst=60, ncol=4,
                              options=ContinuationOptions(step_size=0.01, max_step_size=0.05,
                                                          max_points=400))


@pytest.fixture(scope="module")
def curve(model, family):
    (hom,) = [p for p in family.special_points if p.kind == "HOM"]
    return continue_homoclinic(model, hom, ("nu", "mu"), BOUNDS,
                               options=ContinuationOptions(step_size=0.01, max_step_size=0.1,
                                                           max_points=80))


def test_the_cycle_family_ends_on_the_exact_loop(family):
    (hom,) = [p for p in family.special_points if p.kind == "HOM"]
    assert hom.data["estimate"] == pytest.approx(g(1.0), abs=1e-8)
    assert hom.data["equilibrium_kind"] == "saddle"
    assert "profile" in hom.data and "mesh" in hom.data  # HOM-C starts from it


def test_hom_c_is_the_exact_curve(curve):
    nu, mu = curve.values[:, 0], curve.values[:, 1]
    assert np.abs(nu - g(mu)).max() < 1e-8
    # both ends on the mu bounds: the curve was followed across the whole range
    assert mu.min() == pytest.approx(0.5, abs=1e-9) and mu.max() == pytest.approx(2.0, abs=1e-9)
    assert [end["status"] for end in curve.ends] == ["bound", "bound"]
    assert np.abs(curve.states).max() < 1e-9  # the saddle stays at the origin
    eigenvalues = np.sort(curve.eigenvalues.real, axis=1)
    np.testing.assert_allclose(eigenvalues, np.tile([-1.0, 1.0], (len(curve), 1)), atol=1e-8)
    assert not curve.stable.any()


def test_orbits_lie_on_the_loop(curve):
    for index in (0, len(curve) // 2, -1):
        mesh = np.asarray(curve.extra["mesh"][index])
        profile = np.asarray(curve.extra["profile"][index])
        ncol = (len(profile) - 1) // (len(mesh) - 1)
        orbit = OpenMesh(2, len(mesh) - 1, ncol, mesh).evaluate(profile.ravel(),
                                                                np.linspace(0, 1, 4001))
        # between mesh points collocation is accurate to O(h^(NCOL+1)), at the mesh
        # points to O(h^(2 NCOL)) (superconvergence)
        assert np.abs(energy(orbit)).max() < 1e-7
        at_mesh = OpenMesh(2, len(mesh) - 1, ncol, mesh).evaluate(profile.ravel(), mesh)
        assert np.abs(energy(at_mesh)).max() < 1e-10
        assert orbit[:, 0].max() == pytest.approx(1.5, abs=1e-8)
        assert curve.extra["max"][index][0] == pytest.approx(1.5, abs=1e-6)
        # both ends next to the saddle, leaving along (1, 1) and returning along (1, -1)
        start, end = profile[0], profile[-1]
        assert start[0] > 0 and start[1] == pytest.approx(start[0], rel=1e-3)
        assert end[0] > 0 and end[1] == pytest.approx(-end[0], rel=1e-3)


def test_free_truncation_time_scales_with_the_saddle(curve):
    """The same field times mu has the same orbits (so the same homoclinic curve
    nu = g(mu)) run at speed mu: saddle eigenvalues +-mu. With T free and the
    distance of x(0) from the saddle fixed, the truncated orbit is the same
    geometric arc at every mu, so T mu stays exactly constant."""
    scaled = bf.Model.from_spec({**SPEC, "name": "exact_loop_scaled", "equations": {
        name: f"mu*({rhs})" for name, rhs in SPEC["equations"].items()}})
    at_one = int(np.flatnonzero(curve.values[:, 1] == 1.0)[0])  # the fields agree at mu = 1
    free = continue_homoclinic(scaled, homoclinic_point(curve, at_one), ("nu", "mu"), BOUNDS,
                               free_period=True,
                               options=ContinuationOptions(step_size=0.01, max_step_size=0.1,
                                                           max_points=80))
    nu, mu = free.values.T
    assert [end["status"] for end in free.ends] == ["bound", "bound"]
    assert np.abs(nu - g(mu)).max() < 1e-8
    period = free.extra["period"]
    assert period.max() / period.min() == pytest.approx(4.0, rel=1e-6)  # mu from 0.5 to 2
    np.testing.assert_allclose(period * mu, curve.extra["period"][at_one], rtol=1e-6)


def test_a_point_of_the_curve_restarts_it_through_the_registry(model, curve):
    restart = continue_curve(model, homoclinic_point(curve, len(curve) // 2), ("nu", "mu"),
                             {"nu": (-2.0, 2.0), "mu": (1.0, 1.5)},
                             options=ContinuationOptions(step_size=0.01, max_step_size=0.1,
                                                         max_points=40))
    assert restart.kind == "HOM-C"
    assert np.abs(restart.values[:, 0] - g(restart.values[:, 1])).max() < 1e-8


def test_starts_that_are_not_homoclinic_are_refused(model, family):
    hopf = SpecialPoint("H1", "H", 0, {"mu": 1.0, "nu": 0.1}, np.array([1.0, 0.0]),
                        np.zeros(2), {}, "exact_loop", "EP-C", ("nu",))
    with pytest.raises(bf.ParameterError, match="carries no orbit"):
        continue_homoclinic(model, hopf, ("nu", "mu"), BOUNDS)
    # the first cycles of the family, next to the Hopf point: no slow passage
    index = 2
    mesh = np.asarray(family.extra["mesh"][index])
    profile = np.asarray(family.extra["profile"][index])
    short = PeriodicOrbit("exact_loop", {"mu": 1.0, "nu": float(family.values[index, 0])}, mesh,
                          (len(profile) - 1) // (len(mesh) - 1), profile,
                          float(family.extra["period"][index]), family.eigenvalues[index])
    with pytest.raises(bf.ParameterError, match="does not slow down near an equilibrium"):
        continue_homoclinic(model, short, ("nu", "mu"), BOUNDS)
    with pytest.raises(bf.ParameterError, match="two different parameters"):
        continue_homoclinic(model, family["HOM1"], ("nu", "nu"), BOUNDS)


def test_cli_diagram_then_twopar_from_the_hom_point(tmp_path, capsys):
    """`bifurc diagram --cycles` marks HOM1 on the family; `bifurc twopar --from
    1:HOM1` continues HOM-C into branches.json, which loads back exactly."""
    from bifurc.cli import main

    path = tmp_path / "exact_loop.toml"
    path.write_text('name = "exact_loop"\n[states]\nx = 1.0\ny = 0.0\n'
                    '[parameters]\nmu = 1.0\nnu = 0.1\n[equations]\n'
                    f'x = "{SPEC["equations"]["x"]}"\ny = "{SPEC["equations"]["y"]}"\n')
    out = tmp_path / "out"
    assert main(["diagram", str(path), "--free", "nu", "--range", "-0.5", "0.5", "--cycles",
                 "--out", str(out), "--quiet"]) == 0
    assert "HOM1" in capsys.readouterr().out
    assert main(["twopar", str(path), "--from", "1:HOM1", "--free", "nu", "mu", "--bounds",
                 "mu=0.5:2", "nu=-2:2", "--out", str(out), "--quiet"]) == 0
    branches = bf.load_branches(out)
    (hom_c,) = [b for b in branches if b.kind == "HOM-C"]
    assert np.abs(hom_c.values[:, 0] - g(hom_c.values[:, 1])).max() < 1e-8
    assert hom_c.extra["profile"].shape[0] == len(hom_c)
    assert (out / "twopar.png").stat().st_size > 0
    # T free, and the cycles of the HOM point's period (LCT-C), from the CLI
    assert main(["twopar", str(path), "--from", "1:HOM1", "--free", "nu", "mu", "--bounds",
                 "mu=0.5:2", "nu=-2:2", "--out", str(out), "--quiet", "--free-period"]) == 0
    assert main(["twopar", str(path), "--from", "1:HOM1", "--free", "nu", "mu", "--bounds",
                 "mu=0.5:2", "nu=-2:2", "--out", str(out), "--quiet", "--curve", "LCT-C"]) == 0
    free_t, fixed_t = bf.load_branches(out)[-2:]
    assert free_t.kind == "HOM-C" and fixed_t.kind == "LCT-C"
    assert np.abs(free_t.values[:, 0] - g(free_t.values[:, 1])).max() < 1e-8
    (hom,) = [p for p in branches[1].special_points if p.kind == "HOM"]
    np.testing.assert_allclose(fixed_t.extra["period"], hom.data["period"], rtol=1e-12)
    # a setting the curve type does not take is refused before any computation
    capsys.readouterr()
    code = main(["twopar", str(path), "--from", "1:HOM1", "--free", "nu", "mu", "--bounds",
                 "mu=0.5:2", "nu=-2:2", "--out", str(out), "--quiet", "--curve", "LCT-C",
                 "--free-period"])
    assert code == 2 and "free_period" in capsys.readouterr().err


@pytest.fixture(scope="module")
def ei_hom():
    ei = bf.load_model("ei")
    branches = bf.bifurcation_diagram(ei, ei.parameters(J_ee=30, eta_e=-10), "eta_e",
                                      (-10, 30), depth=1, follow=("H",))
    return ei, branches[1]["HOM1"]


def test_ei_hom_c_agrees_with_auto07p_homcont(ei_hom):
    """The same orbit, T, NTST, NCOL and free parameters handed to AUTO-07p's
    HomCont (IPS = 9, projection boundary conditions, IEQUIB = 1): the two
    curves agree to 1e-6 in eta_e over J_ee in [29, 31] (measured 8.6e-8; bifurc's
    curve interpolated by a cubic spline through points 0.02 apart)."""
    from scipy.interpolate import CubicSpline

    from bifurc.auto07p import auto_available, continue_homoclinic_auto

    available, reason = auto_available()
    if not available:
        pytest.skip(f"AUTO-07p is not usable: {reason}")
    ei, hom = ei_hom
    ours = continue_homoclinic(ei, hom, ("eta_e", "J_ee"), {"eta_e": (-15, 5), "J_ee": (29, 31)},
                               options=ContinuationOptions(step_size=0.01, max_step_size=0.02,
                                                           max_points=300))
    assert [end["status"] for end in ours.ends] == ["bound", "bound"]
    start = int(np.flatnonzero(ours.values[:, 1] == 30.0)[0])
    auto = continue_homoclinic_auto(ei, homoclinic_point(ours, start), ("eta_e", "J_ee"),
                                    ((-15, 5), (29, 31)), max_points=200)
    order = np.argsort(ours.values[:, 1])
    eta_of = CubicSpline(ours.values[order, 1], ours.values[order, 0])
    for direction, values in auto["values"].items():
        assert len(values) > 10
        assert values[:, 1].min() < 29.001 or values[:, 1].max() > 30.999  # reached a bound
        assert np.abs(values[:, 0] - eta_of(values[:, 1])).max() < 1e-6, direction


def test_ei_homoclinic_orbit_against_shooting(ei_hom):
    """The bistable E/I node (J_ee = 30): its subcritical H1 cycles end on a
    homoclinic orbit to the middle saddle. HOM-C from that HOM point, at
    J_ee = 30, against the eta_e where the saddle's unstable manifold switches
    between the low and the high state (tests/ei_reference.py: the docs'
    equations, solve_ivp at rtol 1e-12, bisected to 1e-8; no bifurc code).
    Measured: 5e-8 apart."""
    from ei_reference import DEFAULTS, ei_homoclinic_eta_e, jacobian

    ei, hom = ei_hom
    curve = continue_homoclinic(ei, hom, ("eta_e", "J_ee"), {"eta_e": (-15, 5),
                                                             "J_ee": (25.5, 30.5)},
                                options=ContinuationOptions(step_size=0.01, max_step_size=0.2,
                                                            max_points=100))
    at_30 = np.flatnonzero(curve.values[:, 1] == 30.0)  # the corrected start keeps J_ee
    assert len(at_30) == 1
    reference = ei_homoclinic_eta_e(-7.8059, -7.8058, tolerance=1e-8)
    assert curve.values[at_30[0], 0] == pytest.approx(reference, abs=1e-6)
    # the HOM point's estimate from the cycles was 1.3e-3 off and said so
    assert abs(hom.data["estimate"] - reference) <= hom.data["uncertainty"]
    # NSS where the reference Jacobian at the curve's saddle says so (the
    # homoclinic relation at NSS1, J_ee = 26.0658, was checked by the same
    # shooting once: 8.3e-7 apart; 30 s, too slow for the suite). The leading
    # stable eigenvalue stays real and the next ones a complex pair farther
    # left: no DRS and no TLS on this stretch.
    assert [p.kind for p in curve.special_points] == ["NSS"]
    (point,) = curve.special_points
    values = {**DEFAULTS, **{k: point.parameters[k] for k in ("eta_e", "J_ee")}}
    eigenvalues = np.linalg.eigvals(jacobian(values, np.array(point.data["saddle"])))
    eigenvalues = eigenvalues[np.argsort(-eigenvalues.real)]
    assert eigenvalues[0].real > 0 and np.all(eigenvalues[1:].real < 0)
    assert abs(eigenvalues[0].real + eigenvalues[1].real) < 1e-9
    assert eigenvalues[1].imag == 0 and eigenvalues[2].imag != 0


def test_fixed_period_curves_approach_the_homoclinic_curve_at_the_saddle_rate(model, family):
    """LCT-C, the long-period proxy of a homoclinic curve: cycles of fixed period
    T in (nu, mu). Near a homoclinic orbit to a saddle with eigenvalues -1, +1
    the period grows like -log|nu - g(mu)| / 1, so the fixed-T curve lies
    e^(-T) away from nu = g(mu): the gap must shrink by e^(-3) = 1/20.1 per
    3 time units of T (measured 20.2, 20.1, 20.1)."""
    from bifurc.continuation.homoclinic import continue_fixed_period

    periods = family.extra["period"]
    gaps = []
    for target in (10.0, 13.0, 16.0, 19.0):
        i = int(np.argmin(np.abs(periods - target)))
        orbit = PeriodicOrbit("exact_loop", {"mu": 1.0, "nu": float(family.values[i, 0])},
                              family.extra["mesh"][i], 4, family.extra["profile"][i],
                              float(periods[i]), family.eigenvalues[i])
        curve = continue_fixed_period(model, orbit, ("nu", "mu"), BOUNDS,
                                      options=ContinuationOptions(step_size=0.01,
                                                                  max_step_size=0.1,
                                                                  max_points=100))
        assert curve.kind == "LCT-C" and np.allclose(curve.extra["period"], periods[i])
        assert [end["status"] for end in curve.ends] == ["bound", "bound"]
        nu, mu = curve.values[:, 0], curve.values[:, 1]
        order = np.argsort(mu)
        gaps.append((periods[i], float(np.interp(1.0, mu[order], (nu - g(mu))[order]))))
    for (t0, gap0), (t1, gap1) in zip(gaps, gaps[1:]):
        assert gap0 > 0 and gap1 > 0  # the cycles exist on one side of the loop
        rate = np.log(gap0 / gap1) / (t1 - t0)
        assert rate == pytest.approx(1.0, abs=0.02)


def _padded_start(curve, index, extra_states):
    """A HOM-C point of the planar loop lifted to a model with more states that
    are zero on the loop (and at the saddle)."""
    point = homoclinic_point(curve, index)
    profile = np.asarray(point.data["profile"])
    data = {**point.data,
            "profile": np.hstack([profile, np.zeros((len(profile), extra_states))]).tolist(),
            "saddle": [0.0] * (2 + extra_states)}
    return SpecialPoint(point.label, point.kind, point.index, point.parameters,
                        np.zeros(2 + extra_states), point.eigenvalues, data, point.model,
                        point.branch_kind, point.free)


@pytest.mark.parametrize("block, expected", [
    # z' = M z, zero on the loop: the saddle's eigenvalues are -1, +1 and those
    # of M, which change the leading ones exactly at mu = 1
    (("-0.5*z1 + z2", "(1 - mu)*z1 - 0.5*z2"), "DRS"),   # -0.5 +- sqrt(1 - mu)
    (("0.5*z1 + z2", "(1 - mu)*z1 + 0.5*z2"), "DRU"),    # 0.5 +- sqrt(1 - mu)
    # -mu/2 +- i overtakes -1/2 (away from -1, where a neutral saddle would be)
    (("-mu/2*z1 + z2", "-z1 - mu/2*z2", "-0.5*z3"), "TLS"),
    (("mu/2*z1 + z2", "-z1 + mu/2*z2", "0.5*z3"), "TLU"),  # mu/2 +- i overtakes 1/2
])
def test_leading_eigenvalue_points_where_they_are_exactly(curve, block, expected):
    """DRS/DRU (two real leading eigenvalues meet and turn complex) and
    TLS/TLU (a complex pair and a real eigenvalue lead together): a planar
    loop times a linear block whose eigenvalues are known in closed form; the
    homoclinic curve stays nu = g(mu) and the point sits at mu = 1."""
    extra = {f"z{k + 1}": rhs for k, rhs in enumerate(block)}
    spec = {"name": f"loop_{expected.lower()}",
            "states": {"x": 0.5, "y": 0.0, **{name: 0.0 for name in extra}},
            "parameters": {"mu": 1.0, "nu": 0.0},
            "equations": {**SPEC["equations"], **extra}}
    lifted = bf.Model.from_spec(spec)
    start = int(np.argmin(np.abs(curve.values[:, 1] - 0.9)))  # mu ~ 0.9: before the point
    branch = continue_homoclinic(lifted, _padded_start(curve, start, len(extra)), ("nu", "mu"),
                                 {"nu": (-2, 2), "mu": (0.85, 1.4)},
                                 options=ContinuationOptions(step_size=0.01, max_step_size=0.05,
                                                             max_points=60))
    nu, mu = branch.values.T
    assert np.abs(nu - g(mu)).max() < 1e-8
    assert [p.kind for p in branch.special_points] == [expected]
    (point,) = branch.special_points
    assert point.parameters["mu"] == pytest.approx(1.0, abs=1e-9)  # measured 2e-16


def test_start_from_an_orbit_the_user_gives(model):
    """The loop in closed form, x = 3/2 sech^2(t/2), sampled on t in [-20, 20]
    at a nu 0.01 off the curve: HOM-C corrects it onto nu = g(mu)."""
    from bifurc.continuation.homoclinic import homoclinic_guess

    t = np.linspace(-20, 20, 2001)
    x = 1.5 / np.cosh(t / 2) ** 2
    y = -1.5 / np.cosh(t / 2) ** 2 * np.tanh(t / 2)
    guess = homoclinic_guess(model, {"mu": 1.0, "nu": g(1.0) + 0.01}, t, np.column_stack([x, y]))
    np.testing.assert_allclose(guess.state, [0.0, 0.0], atol=1e-12)
    branch = continue_homoclinic(model, guess, ("nu", "mu"), BOUNDS,
                                 options=ContinuationOptions(step_size=0.01, max_step_size=0.1,
                                                             max_points=40))
    nu, mu = branch.values.T
    assert np.abs(nu - g(mu)).max() < 1e-8
    assert np.any(mu == 1.0)  # corrected with mu fixed
    # hostile orbits are refused before any continuation
    with pytest.raises(bf.ParameterError, match="shape"):
        homoclinic_guess(model, {"mu": 1.0}, t, np.column_stack([x, y, y]))
    with pytest.raises(bf.ParameterError, match="increase"):
        homoclinic_guess(model, {"mu": 1.0}, t[::-1], np.column_stack([x, y]))
    with pytest.raises(bf.ParameterError, match="different equilibria"):
        # from the saddle (0, 0) to the centre (1, 0): not homoclinic
        half = t <= 0
        homoclinic_guess(model, {"mu": 1.0}, t[half],
                         np.column_stack([np.where(t[half] < -1, 0.0, 1.0), 0 * t[half]]))
