"""Network right-hand side and connectome validation."""

import math

import numpy as np
import pytest
import scipy.sparse as sps
from ei_reference import DEFAULTS, INITIAL, field
from scipy.integrate import solve_ivp

import bifurc as bf


def loop_over_nodes(X, W, eps, g_e, g_i):
    """Oracle: F_k = f(x_k) + eps * H sum_j W[k, j] x_j, one node at a time, with
    f the ei field written from docs/models.md (tests/ei_reference.py, default
    parameters) and H its coupling matrix: H[v_e, s_e] = g_e, H[v_i, s_e] = g_i."""
    f = field(DEFAULTS)
    H = np.zeros((6, 6))
    H[1, 2], H[4, 2] = g_e, g_i
    return np.array([f(0.0, X[k]) + eps * H @ (W[k] @ X) for k in range(X.shape[0])])


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
    # |F| up to 3.8; measured 8.9e-16
    np.testing.assert_allclose(out, loop_over_nodes(X, W, 7.5, 1.0, 0.7), rtol=1e-14, atol=1e-14)


def test_row_normalisation():
    C = np.array([[0.0, 2.0, 2.0], [1.0, 0.0, 0.0], [3.0, 1.0, 0.0]])
    exact = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.75, 0.25, 0.0]])  # D^-1 C by hand
    np.testing.assert_array_equal(bf.row_normalise(C), exact)
    Ws = bf.row_normalise(sps.csr_matrix(C))
    assert sps.issparse(Ws) and Ws.format == "csr"
    np.testing.assert_array_equal(Ws.toarray(), exact)


def test_homogeneous_state_stays_homogeneous(ei):
    """With W row-stochastic, identical nodes stay identical (invariant manifold)."""
    rng = np.random.default_rng(2)
    network = bf.Network(ei, rng.random((10, 10)), eps=4.0)
    tr = bf.simulate(network, duration=100.0, integrator=bf.RK4(0.05), sample_interval=1.0)
    spread = np.abs(tr.states - tr.states[:, :1, :]).max()
    # only the rounding of the row sums of W separates them: measured 7e-14 of 40
    assert spread < 1e-13 * np.abs(tr.states).max()


def test_stimulus_acts_only_on_chosen_nodes(ei):
    """Uncoupled nodes, I_e = 5 on node 2 from 10 to 20 ms: I_e enters
    tau_e dv_e/dt like eta_e, so node 2 follows the reference field with
    eta_e = 15 in that window and 10 outside, the others eta_e = 10 throughout
    (solve_ivp, DOP853, rtol 1e-12). RK4 with dt 0.01: measured 1.1e-9 (the
    stimulus moves r_e by 0.097)."""
    network = bf.Network(ei, np.ones((5, 5)), eps=0.0)
    stimulus = bf.Stimulus("I_e", 5.0, start=10.0, stop=20.0, nodes=[2])
    tr = bf.simulate(network, duration=40.0, integrator=bf.RK4(0.01), sample_interval=0.5,
                     stimuli=[stimulus], record=["r_e"])
    r = tr["r_e"]
    others = np.delete(r, 2, axis=1)
    assert np.abs(others - others[:, :1]).max() == 0.0

    def reference(pieces):
        x, values = INITIAL, np.empty_like(tr.time)
        for start, stop, eta_e in pieces:
            run = solve_ivp(field({**DEFAULTS, "eta_e": eta_e}), (start, stop), x,
                            method="DOP853", rtol=1e-12, atol=1e-14, dense_output=True)
            inside = (tr.time >= start) & (tr.time <= stop)
            values[inside] = run.sol(tr.time[inside])[0]
            x = run.y[:, -1]
        return values

    stimulated = reference([(0.0, 10.0, 10.0), (10.0, 20.0, 15.0), (20.0, 40.0, 10.0)])
    unstimulated = reference([(0.0, 40.0, 10.0)])
    assert np.abs(stimulated - unstimulated).max() > 0.05
    np.testing.assert_allclose(r[:, 2], stimulated, rtol=0, atol=2e-8)
    np.testing.assert_allclose(r[:, 0], unstimulated, rtol=0, atol=2e-8)


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


def test_network_from_a_connectome_object_name_or_path(tmp_path):
    """A Connectome, its file path and the bare matrix give the same W; the
    Connectome's region labels are kept."""
    model = bf.load_model("ei")
    C = np.array([[0.0, 2.0, 1.0], [1.0, 0.0, 0.0], [3.0, 1.0, 0.0]])
    connectome = bf.connectome.Connectome("three", C, labels=["a", "b", "c"])
    np.save(tmp_path / "three.npy", C)
    by_object = bf.Network(model, connectome, eps=1.0)
    by_path = bf.Network(model, str(tmp_path / "three.npy"), eps=1.0)
    exact = C / C.sum(axis=1, keepdims=True)
    np.testing.assert_array_equal(by_object.weights, exact)
    np.testing.assert_array_equal(by_path.weights, exact)
    assert by_object.labels == ["a", "b", "c"]
    with pytest.raises(bf.ParameterError, match="unknown connectome 'tvb77'"):
        bf.Network(model, "tvb77")
