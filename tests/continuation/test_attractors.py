"""What a simulation settles on, decided from the whole state: equilibria,
cycles whose watched variable crosses its mean several times per period,
period-2 orbits, chaos; and `bifurc msf --at`, which must never fall back
silently to something it did not find."""

import json
import math

import numpy as np
import pytest

import bifurc as bf
from bifurc.analysis import oscillation_frequency
from bifurc.cli import main
from bifurc.continuation import find_cycle
from bifurc.continuation.attractors import find_attractor
from bifurc.msf import homogeneous_model


def model(name, states, equations, parameters, coupling=None):
    spec = {"name": name, "states": states, "parameters": parameters, "equations": equations}
    if coupling:
        spec["coupling"] = coupling
    return bf.Model.from_spec(spec)


def test_period_from_the_whole_state_not_one_variable():
    """A unit circle of period 2 pi (x, y) drives z towards cos(3 theta) = 4x^3 - 3x
    with a large gain: z has the largest spread and crosses its mean three
    times per period. Counting z's crossings gives a third of the period (the
    old method); the first return of the whole state gives 2 pi."""
    triple = model("triple", {"x": 1.0, "y": 0.0, "z": 0.0},
                   {"x": "x*(1 - x**2 - y**2) - y", "y": "y*(1 - x**2 - y**2) + x",
                    "z": "20*(10*(4*x**3 - 3*x) - z)"}, {"k": 1.0})
    run = bf.simulate(triple, duration=200, integrator=bf.DormandPrince(rtol=1e-10, atol=1e-12),
                      sample_interval=0.01)
    z = run["z"][:, 0]
    assert 1 / oscillation_frequency(run.time, z) == pytest.approx(2 * math.pi / 3, rel=1e-2)
    orbit = find_cycle(triple, transient=200)
    assert orbit.period == pytest.approx(2 * math.pi, rel=1e-9)
    radius = np.hypot(orbit.profile[:, 0], orbit.profile[:, 1])
    np.testing.assert_allclose(radius, 1.0, atol=1e-8)


def test_period_two_orbit_is_recognised():
    """Rossler (a = b = 0.2, c = 3.5) settles on a period-2 orbit: the return to
    the section through the end point closes after two turns, not one."""
    rossler = model("rossler_p2", {"x": 1.0, "y": 1.0, "z": 0.0},
                    {"x": "-y - z", "y": "x + a*y", "z": "b + z*(x - c)"},
                    {"a": 0.2, "b": 0.2, "c": 3.5})
    attractor = find_attractor(rossler, transient=3000)
    assert attractor.kind == "cycle", attractor.message
    returns = attractor.details["returns"]
    distances = attractor.details["return_distances"]
    assert distances[0] > 1e-2 and distances[1] < 1e-3  # one turn does not close, two do
    assert attractor.period == pytest.approx(returns[1], rel=1e-4)
    # two distinct maxima of x per period (a direct count on the orbit)
    x = attractor.orbit.profile[:, 0]
    peaks = np.flatnonzero((x[1:-1] > x[:-2]) & (x[1:-1] > x[2:]))
    assert len(peaks) == 2 and abs(x[peaks[0] + 1] - x[peaks[1] + 1]) > 0.5


def test_chaos_is_not_reported_as_a_cycle_or_an_equilibrium():
    lorenz = model("lorenz_attr", {"x": 1.0, "y": 1.0, "z": 1.0},
                   {"x": "sigma*(y - x)", "y": "x*(rho - z) - y", "z": "x*y - beta*z"},
                   {"sigma": 10.0, "rho": 28.0, "beta": 8 / 3})
    attractor = find_attractor(lorenz, transient=200)
    assert attractor.kind == "irregular"
    assert "neither an equilibrium nor a periodic orbit" in attractor.message
    with pytest.raises(bf.ParameterError, match="no limit cycle found: the simulation settles on "
                                                "neither an equilibrium nor a periodic orbit"):
        find_cycle(lorenz, transient=200)


def test_divergence_is_reported():
    blowup = model("blowup", {"x": 1.0}, {"x": "x**2"}, {"k": 0.0})
    attractor = find_attractor(blowup, transient=10)
    assert attractor.kind == "diverged" and "diverged" in attractor.message


def test_weakly_damped_ping_oscillation_is_an_equilibrium():
    """The homogeneous E/I system at eps = 2, eta_e = 10: a simulation still
    oscillates at 63 Hz after a second, but the oscillation decays (a focus
    with eigenvalues -0.0016 +- 0.395i per ms); a 20 s run ends on it."""
    hom = homogeneous_model("ei")
    p = hom.parameters(eps=2.0, eta_e=10.0)
    attractor = find_attractor(hom, p)
    assert attractor.kind == "equilibrium"
    assert attractor.state[0] > 0 and hom.in_domain(attractor.state)
    assert "damped oscillation at 62.8" in attractor.message
    run = bf.simulate(hom, p, duration=20000, integrator=bf.DormandPrince(rtol=1e-10, atol=1e-12),
                      sample_interval=1.0)
    late = run.time > 19000
    assert np.ptp(run["r_e"][late, 0]) < 1e-8
    np.testing.assert_allclose(run.states[-1, 0], attractor.state, atol=1e-8)


def test_msf_at_a_point_analyses_what_the_simulation_shows(tmp_path, capsys):
    assert main(["msf", "ei", "--eps", "2", "--at", "eta_e=10", "--L-grid=-1:1:5",
                 "--out", str(tmp_path / "ten")]) == 0
    result = json.loads((tmp_path / "ten" / "msf.json").read_text())
    assert result["kind"] == "equilibrium" and result["state"][0] > 0
    assert "damped oscillation" in result["attractor"]


def test_msf_at_a_chaotic_point_is_analysed_with_its_uncertainty(tmp_path, capsys):
    """Lorenz chaos is no longer refused: the variational integration gives its
    largest Lyapunov exponent, 0.9056 in the literature (Sprott 2003), and at
    eps = 0 every mode shares it."""
    lorenz = tmp_path / "lorenz.toml"
    lorenz.write_text('name = "lorenz_net"\n[states]\nx = 1.0\ny = 1.0\nz = 1.0\n'
                      '[parameters]\nsigma = 10.0\nrho = 28.0\nbeta = 2.6666666666666665\n'
                      '[equations]\nx = "sigma*(y - x)"\ny = "x*(rho - z) - y"\n'
                      'z = "x*y - beta*z"\n[[coupling]]\ntarget = "x"\nsource = "x"\n')
    out = tmp_path / "out"
    assert main(["msf", str(lorenz), "--eps", "0", "--at", "rho=28", "--L-grid=-1:1:5",
                 "--out", str(out)]) == 0
    result = json.loads((out / "msf.json").read_text())
    assert result["kind"] == "chaotic"
    error = max(3 * result["largest_lyapunov_uncertainty"], 0.01)
    assert abs(result["largest_lyapunov_exponent"] - 0.9056) <= error
    assert np.ptp(result["growth_rate"]) < 1e-12
    assert "chaotic" in capsys.readouterr().out


@pytest.mark.parametrize("I_e, eps", [(8.0, 24.0), (10.0, 16.0)])
def test_spiking_cycle_is_a_cycle(I_e, eps):
    """Cycles of the seed paper's node (preset delicado2025: a fast synapse,
    tau_se = 1 ms) with a fast spike, which were reported as irregular: 50 mesh
    intervals do not converge (or leave |mu_trivial - 1| > 1e-6), and comparing
    the collocated and simulated orbits at equal times (phases resolved to a
    sample) measured a few percent. Now the mesh is refined where Newton fails
    and the orbit is compared by distance. Checked by shooting with scipy's
    Radau at tight tolerances: from the orbit's first point, one period
    returns to it."""
    from scipy.integrate import solve_ivp
    from bifurc.codegen import compile_model, parameter_vector

    hom = homogeneous_model(bf.load_model("ei"))
    p = hom.parameters(preset="delicado2025", I_e=I_e, eps=eps)
    attractor = find_attractor(hom, p, ntst=50)
    assert attractor.kind == "cycle", attractor.message
    orbit = attractor.orbit
    assert orbit.trivial_error <= 1e-5
    compiled = compile_model(hom)
    vector = parameter_vector(hom, p)
    run = solve_ivp(lambda t, x: compiled.vector_field(x, vector), (0, orbit.period),
                    orbit.profile[0], method="Radau", rtol=1e-11, atol=1e-12)
    scale = np.ptp(orbit.profile, axis=0)
    assert np.max(np.abs(run.y[:, -1] - orbit.profile[0]) / scale) < 1e-5


def test_distance_to_a_closed_curve():
    """Points at radius r from a finely sampled unit circle are |r - 1| away
    (max norm along the radius, within the chord's sag), wherever they lie
    between the vertices."""
    from bifurc.continuation.cycles import distance_to_closed_curve

    angles = np.linspace(0, 2 * np.pi, 2000, endpoint=False)
    circle = np.c_[np.cos(angles), np.sin(angles)]
    probe = np.random.default_rng(0).uniform(0, 2 * np.pi, 50)
    for radius in (1.0, 1.02, 0.97):
        points = radius * np.c_[np.cos(probe), np.sin(probe)]
        expected = abs(radius - 1.0) * np.abs(np.c_[np.cos(probe), np.sin(probe)]).max(axis=1)
        distance = distance_to_closed_curve(points, circle, np.ones(2))
        assert distance == pytest.approx(expected.max(), abs=2e-6)
