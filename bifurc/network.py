"""Networks of identical nodes on a structural connectome.

    dx_k/dt = f(x_k, p) + eps * sum_j W[k, j] H(p) x_j,   k = 1..N,

with W = D^-1 C the row-normalised connectivity (D = diag of row sums of C,
C[k, j] >= 0 the strength of j -> k), so that every node receives the same
total input and a homogeneous (synchronous) invariant manifold exists
(docs/models.md, section 4).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import scipy.sparse as sps

from .codegen import uncoupled_coupling
from .connectome import Connectome, load_connectome, row_normalise
from .errors import ParameterError
from .model import Model


class Network:
    """N copies of a node model coupled through a connectome.

    Parameters
    ----------
    model : Model
        Node model; it must declare a coupling matrix H (``[[coupling]]``).
    connectivity : (N, N) array, scipy.sparse matrix, Connectome, or a
        connectome's name or path (``"tvb76"``, ``"weights.npy"``; see
        :func:`bifurc.connectome.load_connectome`)
        C[k, j] >= 0: strength of the connection j -> k. A Connectome gives
        its region labels unless ``labels`` is given.
    eps : float
        Global coupling strength.
    normalise : bool
        Row-normalise C (default). With False, C is used as W unchanged.
    labels : sequence of str, optional
        Region names.
    remove_isolated : bool
        For a connectome given by name or path: drop the regions that receive
        no input (tvb76 has 2, tvb192 12), which W = D^-1 C cannot normalise.
    """

    def __init__(self, model: Model, connectivity, eps: float = 0.0, normalise: bool = True,
                 labels=None, remove_isolated: bool = False):
        if not model.coupling:
            raise ParameterError(
                f"model {model.name!r} declares no coupling (H); add [[coupling]] terms to use it "
                f"in a network")
        eps = float(eps)
        if not math.isfinite(eps):
            raise ParameterError(f"`eps` must be finite, got {eps}")
        self.model = model
        self.eps = eps
        if isinstance(connectivity, (str, Path)):
            connectivity = load_connectome(connectivity, remove_isolated=remove_isolated)
        if isinstance(connectivity, Connectome):
            if labels is None and connectivity.labels:
                labels = connectivity.labels
            connectivity = connectivity.weights
        if normalise:
            self.weights = row_normalise(connectivity)
        else:
            self.weights = (sps.csr_matrix(connectivity, dtype=float) if sps.issparse(connectivity)
                            else np.array(connectivity, dtype=float))
        self.n_nodes = self.weights.shape[0]
        if labels is not None and len(labels) != self.n_nodes:
            raise ParameterError(f"{len(labels)} labels for {self.n_nodes} nodes")
        self.labels = list(labels) if labels is not None else [str(k) for k in range(self.n_nodes)]

    @property
    def is_sparse(self) -> bool:
        return sps.issparse(self.weights)

    def kernel_coupling(self):
        """(eps, mode, W_dense, indptr, indices, weights) as the kernels read it."""
        empty_i = np.zeros(1, dtype=np.int64)
        if self.is_sparse:
            W = self.weights
            return (self.eps, 2, np.zeros((1, 1)), W.indptr.astype(np.int64),
                    W.indices.astype(np.int64), W.data.astype(float))
        return (self.eps, 1, np.ascontiguousarray(self.weights), empty_i, empty_i, np.zeros(1))

    def describe(self) -> dict:
        return {"n_nodes": self.n_nodes, "eps": self.eps, "sparse": self.is_sparse,
                "n_edges": int(self.weights.nnz if self.is_sparse else np.count_nonzero(self.weights))}

    def __repr__(self):
        return f"Network({self.model.name!r}, n_nodes={self.n_nodes}, eps={self.eps})"


def kernel_parts(problem):
    """(model, n_nodes, coupling tuple) of a Model (one uncoupled node) or a
    Network, as the simulation kernels read them."""
    if isinstance(problem, Network):
        return problem.model, problem.n_nodes, problem.kernel_coupling()
    if isinstance(problem, Model):
        return problem, 1, uncoupled_coupling()
    raise ParameterError(f"`problem` must be a Model or a Network, got {type(problem).__name__}")
