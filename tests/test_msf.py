"""Homogeneous system and master stability function (first part of issue 5),
against independent references: the full network's Jacobian (numpy), Floquet
multipliers of the variational equation from solve_ivp (tests/test_msf_oracles.py)
and direct simulations of small networks."""

import numpy as np
import pytest
from test_msf_oracles import (
    NodeFunctions,
    circulant_W,
    floquet_reference,
    matching_distance,
    monodromy_matrices,
    network_jacobian,
    shoot_cycle,
    transverse_spectrum,
    two_node_W,
)

import bifurc as bf
from bifurc.continuation import find_cycle, find_equilibrium
from bifurc.msf import cycle_msf, dispersion_relation, homogeneous_model


@pytest.fixture(scope="module")
def homogeneous(ei):
    return homogeneous_model(ei)


@pytest.fixture(scope="module")
def ping_orbit(homogeneous):
    """The synchronous PING cycle at eps = 2, eta_e = 9.3 (between the homogeneous
    system's Hopf points H1 = -0.93 and H2 = 9.87), and its shooting refinement."""
    orbit = find_cycle(homogeneous, homogeneous.parameters(eps=2.0, eta_e=9.3), ntst=60, ncol=4,
                       transient=1000)
    assert np.ptp(orbit.profile, axis=0).max() > 1e-3  # a true cycle, not the focus
    return orbit


def test_homogeneous_model_is_f_plus_eps_H_x(ei, homogeneous):
    rng = np.random.default_rng(0)
    node, hom = bf.compile_model(ei), bf.compile_model(homogeneous)
    for _ in range(5):
        x = rng.uniform(0.01, 0.3, 6)
        eps = rng.uniform(-2, 5)
        g_e, g_i = rng.uniform(0, 2, 2)
        p = ei.parameters(g_e=g_e, g_i=g_i)
        # H by hand from models/ei.toml: v_e += eps g_e s_e, v_i += eps g_i s_e
        H = np.zeros((6, 6))
        H[1, 2], H[4, 2] = g_e, g_i
        np.testing.assert_array_equal(node.coupling_matrix(p), H)
        expected = node.vector_field(x, p) + eps * H @ x
        q = homogeneous.parameters(**dict(p), eps=eps)
        np.testing.assert_allclose(hom.vector_field(x, q), expected, rtol=1e-13, atol=1e-13)
    assert homogeneous.parameter_names[-1] == "eps"
    with pytest.raises(bf.ModelDefinitionError, match="reserved"):
        bf.Model.from_spec({"name": "m", "states": {"x": 0}, "parameters": {"eps": 1.0},
                            "equations": {"x": "-eps*x"}})


@pytest.mark.parametrize("directed", [False, True])
def test_dispersion_relation_equals_network_jacobian_spectrum(ei, homogeneous, directed):
    """The union over the modes of eig(Df + eps L H) is the spectrum of the full
    8-node Jacobian I (x) Df + eps W (x) H, assembled here with numpy (symmetric C:
    real L; directed C: complex L)."""
    rng = np.random.default_rng(3)
    n_nodes, eps = 8, 2.0
    C = rng.random((n_nodes, n_nodes))
    C = C if directed else C + C.T
    W = C / C.sum(axis=1, keepdims=True)
    parameters = homogeneous.parameters(eps=eps, eta_e=-5.0)
    x = find_equilibrium(homogeneous, parameters)
    system = NodeFunctions(ei, dict(parameters))
    assert np.linalg.norm(system.homogeneous(x)) < 1e-12
    L = np.linalg.eigvals(W)
    assert (np.abs(np.imag(L)).max() > 0.01) == directed
    L = L if directed else L.real
    growth, eigenvalues = dispersion_relation(ei, parameters, x, L, homogeneous=homogeneous)
    full = np.linalg.eigvals(network_jacobian(system.Df(x), system.H, W, eps))
    # eigenvalues of 48 x 48 and 6 x 6 matrices: measured 2.7e-15 and 8e-16
    assert matching_distance(eigenvalues, full) < 3e-13
    assert growth.max() == pytest.approx(full.real.max(), abs=1e-13)
    with pytest.raises(bf.ParameterError, match="not an equilibrium"):
        dispersion_relation(ei, parameters, x + 0.1, L, homogeneous=homogeneous)


def test_cycle_msf_against_the_variational_equation(ei, homogeneous, ping_orbit):
    """Multipliers of xi' = [Df(x(t)) + eps L H] xi from solve_ivp (DOP853, rtol
    1e-11) along the orbit refined by shooting, for real and complex L; at L = 1
    the trivial multiplier is excluded from the exponent, and only there."""
    system = NodeFunctions(ei, ping_orbit.parameters)
    x0, period = shoot_cycle(system, ping_orbit.profile[0], ping_orbit.period)
    assert period == pytest.approx(ping_orbit.period, rel=1e-12)  # measured 2e-14
    L = np.array([1.0, 0.81, 0.3, -0.2, -1.0, -0.3 + 0.25j, 0.5 - 0.6j])
    expected, expected_multipliers = floquet_reference(system, x0, period, L)
    exponents, multipliers = cycle_msf(ei, ping_orbit, L, homogeneous=homogeneous)
    # NTST = 60: measured 5.8e-14 (exponents, per ms) and 1.2e-12 (multipliers)
    np.testing.assert_allclose(exponents, expected, rtol=0, atol=5e-12)
    for found, reference in zip(multipliers, expected_multipliers):
        assert matching_distance(found, reference) < 1e-10
    assert np.abs(multipliers[0] - 1).min() < 1e-10  # L = 1: the phase direction
    assert np.abs(multipliers[1:] - 1).min() > 1e-3  # no trivial multiplier elsewhere
    # the same PING cycle at eps = 1 is stable to every mode (its MSF < 0 on [-1, 1])
    weak = find_cycle(homogeneous, homogeneous.parameters(eps=1.0), ntst=50, ncol=4,
                      transient=500)
    system = NodeFunctions(ei, weak.parameters)
    x0, period = shoot_cycle(system, weak.profile[0], weak.period)
    L = np.linspace(-1, 1, 5)
    expected = floquet_reference(system, x0, period, L)[0]
    assert np.all(expected < 0)
    # NTST = 50 on find_cycle's adapted mesh: measured 4.5e-12
    np.testing.assert_allclose(cycle_msf(ei, weak, L, homogeneous=homogeneous)[0], expected,
                               rtol=0, atol=1e-10)


def _stroboscopic_rate(network, parameters, orbit, perturbation, n_periods=40):
    """Growth rate of the deviation from the synchronous cycle in a direct network
    simulation (RK4, about 0.01 ms steps), from the deviations D_m sampled once per
    period: the dominant multipliers are a conjugate pair (real modes: complex
    multipliers of a real system; complex modes L and conj(L): mu and conj(mu)), so
    by Prony's method D_{m+2} = c1 D_{m+1} + c0 D_m and |mu|^2 = -c0."""
    period = orbit.period
    start = np.tile(orbit.profile[0], (network.n_nodes, 1))
    integrator = bf.RK4(period / round(period / 0.01))
    runs = [bf.simulate(network, parameters, duration=n_periods * period, integrator=integrator,
                        initial_state=start + delta, sample_interval=period)
            for delta in (0.0, perturbation)]
    D = (runs[1].states - runs[0].states).reshape(len(runs[0].time), -1)[10:]
    A = np.stack([D[1:-1].ravel(), D[:-2].ravel()], axis=1)
    _, c0 = np.linalg.lstsq(A, D[2:].ravel(), rcond=None)[0]
    return 0.5 * np.log(-c0) / period


def test_cycle_msf_predicts_full_network_growth(ei, homogeneous, ping_orbit):
    """10 ei nodes on a ring (L_k = cos(2 pi k / 10)) and a directed 3-node
    circulant network with the complex mode L = -0.3 + 0.25i, eps = 2, eta_e = 9.3:
    perturb the synchronous cycle along one eigenvector of W and measure the growth
    of the deviation in a direct simulation."""
    n_nodes, eps = 10, 2.0
    C = np.zeros((n_nodes, n_nodes))
    for k in range(n_nodes):
        C[k, (k + 1) % n_nodes] = C[k, (k - 1) % n_nodes] = 1.0
    L, V = np.linalg.eigh(C / 2.0)
    exponents, _ = cycle_msf(ei, ping_orbit, L, homogeneous=homogeneous)
    parameters = ei.parameters(eta_e=9.3)
    profile = ping_orbit.profile[0]
    network = bf.Network(ei, C, eps=eps)
    for k in (0, 8):  # L = -1 (unstable) and L = cos(2 pi / 10) (stable)
        measured = _stroboscopic_rate(network, parameters, ping_orbit,
                                      1e-8 * np.outer(V[:, k], profile))
        # measured 3.4e-9 and 1.6e-6 (relative): the RK4 runs and the decay of the
        # other multipliers over the 10 discarded periods
        assert measured == pytest.approx(exponents[k], rel=1e-4), (L[k], measured, exponents[k])
    assert exponents[0] > 0 > exponents[8]
    # the complex mode's second multiplier is close to its first (0.98 against
    # 1.14): start on the dominant Floquet vector (from the monodromy matrix of
    # the solve_ivp reference) so that the ten discarded periods suffice
    mode = -0.3 + 0.25j
    W, v = circulant_W(mode)
    exponent = cycle_msf(ei, ping_orbit, [mode], homogeneous=homogeneous)[0][0]
    system = NodeFunctions(ei, ping_orbit.parameters)
    monodromy = monodromy_matrices(system, profile, ping_orbit.period, [mode])[0]
    values, vectors = np.linalg.eig(monodromy)
    dominant = vectors[:, np.argmax(np.abs(values))]
    measured = _stroboscopic_rate(bf.Network(ei, W, eps=eps), parameters, ping_orbit,
                                  1e-8 * np.real(np.outer(v, dominant)))
    assert exponent > 0
    assert measured == pytest.approx(exponent, rel=5e-7), (measured, exponent)  # measured 7e-9


def test_msf_map_along_branches(ei, homogeneous):
    """msf_along_branch against the 2-node network Jacobian (equilibria: W with the
    eigenvalues 1 and L, its transverse spectrum) and solve_ivp Floquet multipliers
    (cycles)."""
    import matplotlib
    matplotlib.use("Agg")
    from bifurc.msf import msf_along_branch, orbit_at

    L = np.linspace(-1, 1, 9)
    eq = bf.continue_equilibria(homogeneous, homogeneous.parameters(eps=2.0, eta_e=-10),
                                free="eta_e", bounds=(-10, 30))
    growth = msf_along_branch(ei, eq, L, homogeneous=homogeneous)
    assert growth.shape == (len(eq), len(L))
    expected = np.empty_like(growth)
    for i in range(len(eq)):
        system = NodeFunctions(ei, dict(eq.parameters, eta_e=float(eq.values[i, 0])))
        x = eq.states[i]
        assert np.linalg.norm(system.homogeneous(x)) < 1e-10
        A = system.Df(x)
        expected[i, :-1] = [transverse_spectrum(A, system.H, two_node_W(l), system.eps).real.max()
                            for l in L[:-1]]
        expected[i, -1] = np.linalg.eigvals(system.homogeneous_jacobian(x)).real.max()  # L = 1
    np.testing.assert_allclose(growth, expected, rtol=0, atol=1e-13)  # measured 1.2e-15
    assert (growth[:, 0] > 0).any() and (growth[:, 0] < 0).any()

    cycles = bf.continue_cycles(homogeneous, eq["H1"], bounds=(-10, 30), ntst=40,
                                options=bf.ContinuationOptions(step_size=0.05, max_points=40))
    cycle_growth = msf_along_branch(ei, cycles, L, homogeneous=homogeneous)
    for i in (len(cycles) // 4, len(cycles) // 2, len(cycles) - 1):
        orbit = orbit_at(cycles, i)
        system = NodeFunctions(ei, orbit.parameters)
        x0, period = shoot_cycle(system, orbit.profile[0], orbit.period)
        expected = floquet_reference(system, x0, period, L)[0]
        # NTST = 40 near the Hopf point: measured 1.7e-13 per ms
        np.testing.assert_allclose(cycle_growth[i], expected, rtol=0, atol=1e-11)
    assert np.isnan(cycle_growth[0]).all()  # the Hopf point itself
    figure = bf.plot.msf_map(cycles, L, cycle_growth, modes=[0.3, -0.5])
    assert figure.axes[0].get_ylabel() == "L (eigenvalue of W)"
