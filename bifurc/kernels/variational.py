"""Kernel template: transverse Lyapunov exponents along a synchronous trajectory.

Appended to a generated module of a homogeneous system (f(x) + eps H x; see
bifurc/msf.py) and compiled with it; never imported. It integrates, with RK4,
the trajectory x(t) together with one perturbation per network mode L_j:

    d xi_j/dt = [J(x(t)) + s_j H] xi_j,    s_j = eps (L_j - 1) (complex),

J the homogeneous system's Jacobian Df + eps H, so J + s_j H = Df + eps L_j H
(Pecora & Carroll 1998). xi_j = a_j + i b_j is carried as two real vectors.
The Jacobian is evaluated once per RK4 stage for all modes. Every few steps
each xi_j is rescaled to unit length and log |xi_j| accumulates (Benettin et
al. 1980, one vector per mode: the largest exponent of that mode).
"""


@nb.njit(cache=True, nogil=True, error_model="numpy")
def mode_rhs(A, H, shift_re, shift_im, Xi, out):
    """out[j] = (A + s_j H) xi_j for every mode j, xi_j = Xi[j, 0] + i Xi[j, 1]."""
    m, _, n = Xi.shape
    for j in range(m):
        for r in range(n):
            ar = 0.0
            ai = 0.0
            hr = 0.0
            hi = 0.0
            for c in range(n):
                ar += A[r, c] * Xi[j, 0, c]
                ai += A[r, c] * Xi[j, 1, c]
                hr += H[r, c] * Xi[j, 0, c]
                hi += H[r, c] * Xi[j, 1, c]
            out[j, 0, r] = ar + shift_re[j] * hr - shift_im[j] * hi
            out[j, 1, r] = ai + shift_re[j] * hi + shift_im[j] * hr


@nb.njit(cache=True, nogil=True, error_model="numpy")
def transverse_run(x, p, H, shift_re, shift_im, Xi, dt, n_steps, steps_per_rescale, sums):
    """RK4 on x and the mode perturbations Xi (m, 2, n) together; every
    steps_per_rescale steps each mode is rescaled to unit length and the log of
    its length is added to sums[j]. Returns (status, steps done): status 1 when
    the trajectory or a perturbation became non-finite."""
    n = x.shape[0]
    A = np.empty((n, n))
    f1 = np.empty(n)
    f2 = np.empty(n)
    f3 = np.empty(n)
    f4 = np.empty(n)
    y = np.empty(n)
    g1 = np.empty_like(Xi)
    g2 = np.empty_like(Xi)
    g3 = np.empty_like(Xi)
    g4 = np.empty_like(Xi)
    Z = np.empty_like(Xi)
    m = Xi.shape[0]
    for step in range(n_steps):
        vector_field(x, p, f1)
        state_jacobian(x, p, A)
        mode_rhs(A, H, shift_re, shift_im, Xi, g1)
        step_into(y, x, 0.5 * dt, f1)
        step_into(Z, Xi, 0.5 * dt, g1)
        vector_field(y, p, f2)
        state_jacobian(y, p, A)
        mode_rhs(A, H, shift_re, shift_im, Z, g2)
        step_into(y, x, 0.5 * dt, f2)
        step_into(Z, Xi, 0.5 * dt, g2)
        vector_field(y, p, f3)
        state_jacobian(y, p, A)
        mode_rhs(A, H, shift_re, shift_im, Z, g3)
        step_into(y, x, dt, f3)
        step_into(Z, Xi, dt, g3)
        vector_field(y, p, f4)
        state_jacobian(y, p, A)
        mode_rhs(A, H, shift_re, shift_im, Z, g4)
        rk4_update(x, dt, f1, f2, f3, f4)
        rk4_update(Xi, dt, g1, g2, g3, g4)
        if not all_finite(x.reshape(1, n)):
            return 1, step
        if (step + 1) % steps_per_rescale == 0:
            for j in range(m):
                size = 0.0
                for part in range(2):
                    for r in range(n):
                        size += Xi[j, part, r] * Xi[j, part, r]
                size = math.sqrt(size)
                if not (size > 0.0 and math.isfinite(size)):
                    return 1, step
                sums[j] += math.log(size)
                for part in range(2):
                    for r in range(n):
                        Xi[j, part, r] /= size
    return 0, n_steps
