# Network right-hand side: F_k = f(x_k, p_k) + eps * H(p_k) sum_j W[k, j] x_j
# (template; needs vector_field_extended, extended_parameters, gather_coupling_sources,
# add_coupling, N_COUPLING_SOURCES and N_EXTENDED_PARAMETERS from the generated module).
import numba as nb
import numpy as np

COUPLING_NONE = 0
COUPLING_DENSE = 1
COUPLING_SPARSE = 2


@nb.njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})
def dense_matvec_into(W, y, out, column):
    """out[:, column] = W @ y, four rows at a time (each y[j] is loaded once per
    block; reassociation lets LLVM vectorise the sums; NaN still propagates)."""
    n_rows, n_cols = W.shape
    k = 0
    while k + 4 <= n_rows:
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        for j in range(n_cols):
            yj = y[j]
            a0 += W[k, j] * yj
            a1 += W[k + 1, j] * yj
            a2 += W[k + 2, j] * yj
            a3 += W[k + 3, j] * yj
        out[k, column] = a0
        out[k + 1, column] = a1
        out[k + 2, column] = a2
        out[k + 3, column] = a3
        k += 4
    while k < n_rows:
        acc = 0.0
        for j in range(n_cols):
            acc += W[k, j] * y[j]
        out[k, column] = acc
        k += 1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def sparse_matvec_into(indptr, indices, weights, y, out, column):
    """out[:, column] = W @ y for W in CSR form."""
    for k in range(indptr.shape[0] - 1):
        acc = 0.0
        for e in range(indptr[k], indptr[k + 1]):
            acc += weights[e] * y[indices[e]]
        out[k, column] = acc


@nb.njit(cache=True, nogil=True, error_model="numpy")
def extend_parameters(P):
    """Q[k] = extended_parameters(P[k]): each node's parameters and their
    parameter-only subexpressions (computed once, not at every evaluation)."""
    Q = np.empty((P.shape[0], N_EXTENDED_PARAMETERS))
    for k in range(P.shape[0]):
        extended_parameters(P[k], Q[k])
    return Q


@nb.njit(cache=True, nogil=True, error_model="numpy")
def network_rhs(X, Q, coupling, signals, inputs, out):
    """out[k] = f(X[k], p_k) + eps * H(p_k) (W X)[k] for every node k.

    Q = extend_parameters(P); coupling = (eps, mode, W_dense, indptr, indices,
    weights); signals and inputs are scratch arrays of shapes
    (N_COUPLING_SOURCES, N) and (N, N_COUPLING_SOURCES).
    """
    eps, mode, W, indptr, indices, weights = coupling
    for k in range(X.shape[0]):
        vector_field_extended(X[k], Q[k], out[k])
    if mode == COUPLING_NONE or N_COUPLING_SOURCES == 0 or eps == 0.0:
        return
    gather_coupling_sources(X, signals)
    for c in range(N_COUPLING_SOURCES):
        if mode == COUPLING_DENSE:
            dense_matvec_into(W, signals[c], inputs, c)
        else:
            sparse_matvec_into(indptr, indices, weights, signals[c], inputs, c)
    for k in range(X.shape[0]):
        add_coupling(Q[k], eps, inputs[k], out[k])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def network_scratch(n_nodes):
    """Scratch arrays (signals, inputs) for network_rhs."""
    return (np.zeros((max(N_COUPLING_SOURCES, 1), n_nodes)),
            np.zeros((n_nodes, max(N_COUPLING_SOURCES, 1))))
