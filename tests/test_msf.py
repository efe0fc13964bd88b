"""Homogeneous system and master stability function (first part of issue 5)."""

import numpy as np
import pytest

import bifurc as bf
from bifurc.continuation import find_cycle, find_equilibrium
from bifurc.msf import cycle_msf, dispersion_relation, homogeneous_model


@pytest.fixture(scope="module")
def homogeneous(ei):
    return homogeneous_model(ei)


def test_homogeneous_model_is_f_plus_eps_H_x(ei, homogeneous):
    rng = np.random.default_rng(0)
    node, hom = bf.compile_model(ei), bf.compile_model(homogeneous)
    for _ in range(5):
        x = rng.uniform(0.01, 0.3, 6)
        eps = rng.uniform(-2, 5)
        p = ei.parameters(g_e=rng.uniform(0, 2), g_i=rng.uniform(0, 2))
        expected = node.vector_field(x, p) + eps * node.coupling_matrix(p) @ x
        q = homogeneous.parameters(**dict(p), eps=eps)
        np.testing.assert_allclose(hom.vector_field(x, q), expected, rtol=1e-13, atol=1e-13)
    assert homogeneous.parameter_names[-1] == "eps"
    with pytest.raises(bf.ModelDefinitionError, match="reserved"):
        bf.Model.from_spec({"name": "m", "states": {"x": 0}, "parameters": {"eps": 1.0},
                            "equations": {"x": "-eps*x"}})


def test_dispersion_relation_equals_network_jacobian_spectrum(ei, homogeneous):
    rng = np.random.default_rng(3)
    n_nodes, eps = 8, 2.0
    C = rng.random((n_nodes, n_nodes))
    C = C + C.T
    W = bf.row_normalise(C)
    parameters = homogeneous.parameters(eps=eps, eta_e=-5.0)
    x = find_equilibrium(homogeneous, parameters)
    L = np.linalg.eigvals(W).real  # W is similar to a symmetric matrix: real spectrum
    growth, eigenvalues = dispersion_relation(ei, parameters, x, L, homogeneous=homogeneous)
    node_p = ei.parameters(**{k: v for k, v in parameters.items() if k != "eps"})
    A = bf.compile_model(ei).jacobian(x, node_p)
    H = bf.compile_model(ei).coupling_matrix(node_p)
    full = np.kron(np.eye(n_nodes), A) + eps * np.kron(W, H)  # the network's Jacobian at x
    expected = np.sort_complex(np.linalg.eigvals(full))
    found = np.sort_complex(eigenvalues.ravel())
    np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())
    assert growth.max() == pytest.approx(np.linalg.eigvals(full).real.max(), abs=1e-10)
    with pytest.raises(bf.ParameterError, match="not an equilibrium"):
        dispersion_relation(ei, parameters, x + 0.1, L, homogeneous=homogeneous)


def test_cycle_msf_at_L_1_is_the_homogeneous_cycle(ei, homogeneous):
    orbit = find_cycle(homogeneous, homogeneous.parameters(eps=1.0), ntst=50, ncol=4,
                       transient=500)
    exponents, multipliers = cycle_msf(ei, orbit, [1.0, 0.0, -1.0], homogeneous=homogeneous)
    np.testing.assert_allclose(np.sort_complex(multipliers[0]), np.sort_complex(orbit.multipliers),
                               atol=1e-6)
    # the trivial multiplier belongs to L = 1 only: there the largest non-trivial one counts
    nontrivial = np.delete(orbit.multipliers, np.argmin(np.abs(orbit.multipliers - 1)))
    assert exponents[0] == pytest.approx(np.log(np.abs(nontrivial).max()) / orbit.period)
    assert np.all(np.abs(multipliers[1] - 1) > 1e-3)  # no trivial multiplier at L = 0
    assert np.all(exponents < 0)  # at eps = 1 the synchronous PING cycle is stable to all modes


def test_cycle_msf_predicts_full_network_growth(ei, homogeneous):
    """10 ei nodes on a ring (L_k = cos(2 pi k / 10)), eps = 2, eta_e = 9.3 (a PING
    cycle between the homogeneous system's Hopf points H1 = -0.93 and H2 = 9.87):
    perturb the synchronous cycle along one eigenvector of W and measure the growth of
    the deviation in a direct simulation. The dominant multipliers are a
    complex pair, so the rate is read from the stroboscopic deviations D_m by
    Prony's method (D_{m+2} = c1 D_{m+1} + c0 D_m, |mu|^2 = -c0)."""
    n_nodes, eps = 10, 2.0
    C = np.zeros((n_nodes, n_nodes))
    for k in range(n_nodes):
        C[k, (k + 1) % n_nodes] = C[k, (k - 1) % n_nodes] = 1.0
    L, V = np.linalg.eigh(C / 2.0)
    orbit = find_cycle(homogeneous, homogeneous.parameters(eps=eps, eta_e=9.3), ntst=60,
                       ncol=4, transient=1000)
    assert np.ptp(orbit.profile, axis=0).max() > 1e-3  # a true cycle, not the focus
    period = orbit.period
    exponents, _ = cycle_msf(ei, orbit, L, homogeneous=homogeneous)
    network = bf.Network(ei, C, eps=eps)
    parameters = ei.parameters(eta_e=9.3)
    start = np.tile(orbit.profile[0], (n_nodes, 1))
    integrator = bf.RK4(period / round(period / 0.01))
    reference = bf.simulate(network, parameters, duration=40 * period, integrator=integrator,
                            initial_state=start, sample_interval=period)
    for k in (0, 8):  # L = -1 (unstable) and L = cos(2 pi / 10) (stable)
        run = bf.simulate(network, parameters, duration=40 * period, integrator=integrator,
                          initial_state=start + 1e-8 * np.outer(V[:, k], orbit.profile[0]),
                          sample_interval=period)
        D = (run.states - reference.states).reshape(len(run.time), -1)[10:]
        A = np.stack([D[1:-1].ravel(), D[:-2].ravel()], axis=1)
        c1, c0 = np.linalg.lstsq(A, D[2:].ravel(), rcond=None)[0]
        measured = 0.5 * np.log(-c0) / period
        assert measured == pytest.approx(exponents[k], rel=1e-3), (L[k], measured, exponents[k])
    assert exponents[0] > 0 > exponents[8]


def test_msf_map_along_branches(ei, homogeneous):
    import matplotlib
    matplotlib.use("Agg")
    from bifurc.msf import msf_along_branch, orbit_at

    L = np.linspace(-1, 1, 9)
    eq = bf.continue_equilibria(homogeneous, homogeneous.parameters(eps=2.0, eta_e=-10),
                                free="eta_e", bounds=(-10, 30))
    growth = msf_along_branch(ei, eq, L, homogeneous=homogeneous)
    assert growth.shape == (len(eq), len(L))
    k = len(eq) // 3
    parameters = dict(eq.parameters, eta_e=float(eq.values[k, 0]))
    expected = dispersion_relation(ei, parameters, eq.states[k], L, homogeneous=homogeneous)[0]
    np.testing.assert_allclose(growth[k], expected)
    # at L = 1 the growth is the homogeneous equilibrium's own leading eigenvalue
    np.testing.assert_allclose(growth[:, -1], eq.eigenvalues[:, 0].real, atol=1e-10)
    cycles = bf.continue_cycles(homogeneous, eq["H1"], bounds=(-10, 30), ntst=40,
                                options=bf.ContinuationOptions(step_size=0.05, max_points=40))
    cycle_growth = msf_along_branch(ei, cycles, L, homogeneous=homogeneous)
    i = len(cycles) // 2
    np.testing.assert_allclose(cycle_growth[i], cycle_msf(ei, orbit_at(cycles, i), L,
                                                          homogeneous=homogeneous)[0])
    assert np.isnan(cycle_growth[0]).all()  # the Hopf point itself
    figure = bf.plot.msf_map(cycles, L, cycle_growth, modes=[0.3, -0.5])
    assert figure.axes[0].get_ylabel() == "L (eigenvalue of W)"
