"""Network right-hand side and connectome validation."""

import math

import numpy as np
import pytest
import scipy.sparse as sps

import bifurc as bf


def loop_over_nodes(compiled, X, p, W, eps):
    """Oracle: F_k = f(x_k) + eps * H sum_j W[k, j] x_j, one node at a time."""
    H = compiled.coupling_matrix(p)
    return np.array([compiled.vector_field(X[k], p) + eps * H @ (W[k] @ X)
                     for k in range(X.shape[0])])


@pytest.mark.parametrize("sparse", [False, True])
def test_network_rhs_equals_loop_over_nodes(ei, sparse):
    rng = np.random.default_rng(5)
    n_nodes = 12
    C = rng.random((n_nodes, n_nodes)) * (rng.random((n_nodes, n_nodes)) < 0.5)
    np.fill_diagonal(C, 0.0)
    C[:, 0] += 0.1  # every node receives input
    network = bf.Network(ei, sps.csr_matrix(C) if sparse else C, eps=7.5)
    assert network.is_sparse == sparse
    compiled = bf.compile_model(ei)
    p = ei.parameters(g_i=0.7).values
    X = np.column_stack([rng.uniform(0.01, 0.2, n_nodes), rng.uniform(-2, 2, n_nodes),
                         rng.uniform(0.01, 0.2, n_nodes), rng.uniform(0.01, 0.2, n_nodes),
                         rng.uniform(-2, 2, n_nodes), rng.uniform(0.01, 0.2, n_nodes)])
    P = np.tile(p, (n_nodes, 1))
    out = np.empty_like(X)
    signals, inputs = compiled.kernels.network_scratch(n_nodes)
    Q = compiled.kernels.extend_parameters(P)
    compiled.kernels.network_rhs(X, Q, network.kernel_coupling(), signals, inputs, out)
    W = C / C.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out, loop_over_nodes(compiled, X, p, W, 7.5), rtol=1e-12, atol=1e-12)


def test_row_normalisation():
    C = np.array([[0.0, 2.0, 2.0], [1.0, 0.0, 0.0], [3.0, 1.0, 0.0]])
    W = bf.row_normalise(C)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    np.testing.assert_allclose(W[2], [0.75, 0.25, 0.0])
    Ws = bf.row_normalise(sps.csr_matrix(C))
    np.testing.assert_allclose(Ws.toarray(), W)


def test_homogeneous_state_stays_homogeneous(ei):
    """With W row-stochastic, identical nodes stay identical (invariant manifold)."""
    rng = np.random.default_rng(2)
    network = bf.Network(ei, rng.random((10, 10)), eps=4.0)
    tr = bf.simulate(network, duration=100.0, integrator=bf.RK4(0.05), sample_interval=1.0)
    spread = np.abs(tr.states - tr.states[:, :1, :]).max()
    assert spread < 1e-9 * np.abs(tr.states).max()


def test_stimulus_breaks_symmetry_only_on_chosen_nodes(ei):
    network = bf.Network(ei, np.ones((5, 5)), eps=0.0)
    stimulus = bf.Stimulus("I_e", 5.0, start=10.0, stop=20.0, nodes=[2])
    tr = bf.simulate(network, duration=40.0, stimuli=[stimulus], record=["r_e"])
    r = tr["r_e"]
    others = np.delete(r, 2, axis=1)
    assert np.abs(others - others[:, :1]).max() == 0.0
    assert np.abs(r[:, 2] - r[:, 0]).max() > 1e-3


@pytest.mark.parametrize("connectivity, message", [
    (np.ones((3, 4)), "square"),
    (np.array([[0.0, 1.0], [math.nan, 0.0]]), "non-finite"),
    (np.array([[0.0, 1.0], [-1.0, 0.0]]), "negative"),
    (np.array([[0.0, 1.0], [0.0, 0.0]]), r"node\(s\) \[1\] receive no input"),
])
def test_bad_connectivity_is_named(ei, connectivity, message):
    with pytest.raises(bf.ParameterError, match=message):
        bf.Network(ei, connectivity)


def test_model_without_coupling_cannot_form_a_network():
    qif = bf.load_model("qif")
    with pytest.raises(bf.ParameterError, match="declares no coupling"):
        bf.Network(qif, np.ones((2, 2)))
