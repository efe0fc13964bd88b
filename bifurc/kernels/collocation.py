# Orthogonal collocation of periodic orbits (template; needs vector_field,
# state_jacobian and parameter_jacobian from the generated module).
import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True, error_model="numpy")
def collocation_system(points, h, period, p, free_index, L, D, residual, blocks, d_period,
                       d_parameter):
    """Residuals and Jacobian blocks of x' = T f(x, p) by collocation.

    points (NTST*NCOL + 1, n): the orbit at the representation points (the last
    equals the first); h (NTST,): mesh interval lengths on [0, 1]; L, D
    (NCOL, NCOL + 1): Lagrange basis values and derivatives (on [0, 1]) at the
    Gauss points. In interval j, at Gauss point c:

        residual[j, c] = sum_l D[c, l] x_{j,l} - h_j T f(sum_l L[c, l] x_{j,l}, p)

    blocks[j, c, :, l, :] is its derivative with respect to x_{j,l};
    d_period and d_parameter its derivatives with respect to T and p[free_index].
    """
    ntst = h.shape[0]
    ncol = L.shape[0]
    n = points.shape[1]
    x = np.empty(n)
    f = np.empty(n)
    A = np.empty((n, n))
    fp = np.empty((n, p.shape[0]))
    for j in range(ntst):
        first = j * ncol
        scale = h[j] * period
        for c in range(ncol):
            for i in range(n):
                value = 0.0
                slope = 0.0
                for l in range(ncol + 1):
                    value += L[c, l] * points[first + l, i]
                    slope += D[c, l] * points[first + l, i]
                x[i] = value
                residual[j, c, i] = slope
            vector_field(x, p, f)
            state_jacobian(x, p, A)
            parameter_jacobian(x, p, fp)
            for i in range(n):
                residual[j, c, i] -= scale * f[i]
                d_period[j, c, i] = -h[j] * f[i]
                d_parameter[j, c, i] = -scale * fp[i, free_index]
                for l in range(ncol + 1):
                    for k in range(n):
                        blocks[j, c, i, l, k] = -scale * A[i, k] * L[c, l]
                    blocks[j, c, i, l, i] += D[c, l]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def collocation_variational(points, vpoints, h, period, sigma, p, free, L, D, residual,
                            blocks_v, blocks_x, d_period, d_sigma, d_parameters):
    """Residuals and Jacobian blocks of the variational collocation equations

        sum_l D[c, l] v_{j,l} - h_j (T A(x) v + sigma f(x, p)) = 0

    at the Gauss points (x, v interpolated from their representation points;
    vpoints follows the caller's boundary condition, e.g. v(1) = -v(0)).
    blocks_v / blocks_x: derivatives with respect to v_{j,l} / x_{j,l};
    d_period, d_sigma: with respect to T and sigma; d_parameters[..., k]:
    with respect to p[free[k]].
    """
    ntst = h.shape[0]
    ncol = L.shape[0]
    n = points.shape[1]
    x = np.empty(n)
    v = np.empty(n)
    f = np.empty(n)
    A = np.empty((n, n))
    fp = np.empty((n, p.shape[0]))
    Avx = np.empty((n, n))
    Avp = np.empty((n, p.shape[0]))
    for j in range(ntst):
        first = j * ncol
        for c in range(ncol):
            for i in range(n):
                xv = 0.0
                vv = 0.0
                slope = 0.0
                for l in range(ncol + 1):
                    xv += L[c, l] * points[first + l, i]
                    vv += L[c, l] * vpoints[first + l, i]
                    slope += D[c, l] * vpoints[first + l, i]
                x[i] = xv
                v[i] = vv
                residual[j, c, i] = slope
            vector_field(x, p, f)
            state_jacobian(x, p, A)
            parameter_jacobian(x, p, fp)
            jacobian_action_state(x, p, v, Avx)
            jacobian_action_parameters(x, p, v, Avp)
            for i in range(n):
                Av = 0.0
                for k in range(n):
                    Av += A[i, k] * v[k]
                residual[j, c, i] -= h[j] * (period * Av + sigma * f[i])
                d_period[j, c, i] = -h[j] * Av
                d_sigma[j, c, i] = -h[j] * f[i]
                for q in range(free.shape[0]):
                    d_parameters[j, c, i, q] = -h[j] * (period * Avp[i, free[q]]
                                                        + sigma * fp[i, free[q]])
                for l in range(ncol + 1):
                    for k in range(n):
                        blocks_v[j, c, i, l, k] = -h[j] * period * A[i, k] * L[c, l]
                        blocks_x[j, c, i, l, k] = -h[j] * (period * Avx[i, k]
                                                           + sigma * A[i, k]) * L[c, l]
                    blocks_v[j, c, i, l, i] += D[c, l]
