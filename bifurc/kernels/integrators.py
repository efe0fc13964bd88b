# Integrator kernels (template; needs network_rhs and network_scratch from the
# generated module). All states are (N, n) arrays: N nodes of an n-state model,
# parameters P are (N, m). Each *_run kernel advances a chunk of the run and
# writes samples; the Python driver calls it repeatedly (progress, Ctrl-C).
#
# Status codes returned by the kernels:
#   0 ok, 1 a state became non-finite, 2 adaptive step size underflow.
import math

import numba as nb
import numpy as np

STATUS_OK = 0
STATUS_NONFINITE = 1
STATUS_STEP_UNDERFLOW = 2
# Fixed-step methods see stimuli at t + EDGE dt at the start of a step and at
# t + (1 - EDGE) dt at its end (right and left limits), so that a switch that
# falls on a step boundary, up to round-off in t = i dt, acts exactly there.
EDGE = 1e-9


@nb.njit(cache=True, nogil=True, error_model="numpy")
def copy_into(out, x):
    """out[...] = x for C-contiguous arrays of the same size, element by element
    (numba compiles an array-to-array slice assignment for seconds)."""
    flat_out = out.reshape(out.size)
    flat_x = x.reshape(x.size)
    for i in range(flat_out.shape[0]):
        flat_out[i] = flat_x[i]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def step_into(out, x, h, k):
    """out = x + h k, element by element (C-contiguous arrays of one size)."""
    flat_out = out.reshape(out.size)
    flat_x = x.reshape(x.size)
    flat_k = k.reshape(k.size)
    for i in range(flat_out.shape[0]):
        flat_out[i] = flat_x[i] + h * flat_k[i]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def rk4_update(x, dt, k1, k2, k3, k4):
    """x <- x + dt/6 (k1 + 2 (k2 + k3) + k4), in place, element by element."""
    flat_x = x.reshape(x.size)
    a, b, c, d = k1.reshape(k1.size), k2.reshape(k2.size), k3.reshape(k3.size), k4.reshape(k4.size)
    w = dt / 6.0
    for i in range(flat_x.shape[0]):
        flat_x[i] = flat_x[i] + w * (a[i] + 2.0 * (b[i] + c[i]) + d[i])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def apply_stimuli(t, P, stimuli, P_work):
    """Parameters at time t: P plus the amplitudes of the stimuli active at t.

    A stimulus s adds amplitude[s] to parameter index[s] on the nodes in
    mask[s] while start <= t < stop and, for pulse trains (period > 0),
    while (t - start) mod period < width.
    """
    index, mask, start, stop, period, width, amplitude = stimuli
    if index.shape[0] == 0:
        return P
    copy_into(P_work, P)
    for s in range(index.shape[0]):
        if t < start[s] or t >= stop[s]:
            continue
        if period[s] > 0.0 and (t - start[s]) % period[s] >= width[s]:
            continue
        for k in range(P.shape[0]):
            if mask[s, k]:
                P_work[k, index[s]] += amplitude[s]
    return P_work


@nb.njit(cache=True, nogil=True, error_model="numpy")
def next_stimulus_switch(t, stimuli):
    """The first time > t at which some stimulus switches on or off (inf if none)."""
    index, mask, start, stop, period, width, amplitude = stimuli
    best = np.inf
    for s in range(index.shape[0]):
        candidates = (start[s], stop[s])
        for c in candidates:
            if c > t and c < best:
                best = c
        if period[s] > 0.0 and t >= start[s]:
            cycle = math.floor((t - start[s]) / period[s])
            for c in (start[s] + cycle * period[s] + width[s], start[s] + (cycle + 1) * period[s]):
                if c > t and c < stop[s] and c < best:
                    best = c
    return best


@nb.njit(cache=True, nogil=True, error_model="numpy")
def all_finite(X):
    acc = 0.0
    for k in range(X.shape[0]):
        for i in range(X.shape[1]):
            acc += X[k, i] * 0.0  # 0 * inf and 0 * nan are nan
    return acc == 0.0


@nb.njit(cache=True, nogil=True, error_model="numpy")
def first_nonfinite(X):
    for k in range(X.shape[0]):
        for i in range(X.shape[1]):
            if not np.isfinite(X[k, i]):
                return k, i
    return -1, -1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def write_sample(X, record, out, row):
    for k in range(X.shape[0]):
        for r in range(record.shape[0]):
            out[row, k, r] = X[k, record[r]]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def evaluate(t, X, P, Q, coupling, stimuli, P_work, Q_work, signals, inputs, out):
    """out = F(t, X): the network right-hand side with the stimuli active at t.

    Q = extend_parameters(P); with stimuli, the parameters of the affected
    nodes and their extensions are recomputed in P_work, Q_work.
    """
    if stimuli[0].shape[0] == 0:
        network_rhs(X, Q, coupling, signals, inputs, out)
        return
    P_t = apply_stimuli(t, P, stimuli, P_work)
    for k in range(P.shape[0]):
        extended_parameters(P_t[k], Q_work[k])
    network_rhs(X, Q_work, coupling, signals, inputs, out)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def rk4_run(X, t_origin, dt, step_offset, steps_per_sample, n_samples, P, coupling, stimuli,
            record, out, out_offset):
    """Classical Runge-Kutta 4 with fixed step dt, in place on X.

    Step i (global) starts at t = t_origin + (step_offset + i) dt, so times are
    exact multiples of dt. After every steps_per_sample steps X is written to
    out[out_offset + j]. Returns (status, t, node, state) where t, node and state
    locate a non-finite value when status == 1.
    """
    n_nodes = X.shape[0]
    k1 = np.empty_like(X)
    k2 = np.empty_like(X)
    k3 = np.empty_like(X)
    k4 = np.empty_like(X)
    Y = np.empty_like(X)
    P_work = np.empty_like(P)
    Q = extend_parameters(P)
    Q_work = np.empty_like(Q)
    signals, inputs = network_scratch(n_nodes)
    # flat views: the stage combinations are plain vector loops
    x, y = X.reshape(-1), Y.reshape(-1)
    a, b, c, d = k1.reshape(-1), k2.reshape(-1), k3.reshape(-1), k4.reshape(-1)
    half, sixth = 0.5 * dt, dt / 6.0
    plain = stimuli[0].shape[0] == 0  # without stimuli, call the right-hand side directly
    step = step_offset
    for j in range(n_samples):
        for _ in range(steps_per_sample):
            t = t_origin + step * dt
            if plain:
                network_rhs(X, Q, coupling, signals, inputs, k1)
            else:
                evaluate(t + EDGE * dt, X, P, Q, coupling, stimuli, P_work, Q_work, signals,
                         inputs, k1)
            for e in range(x.size):
                y[e] = x[e] + half * a[e]
            if plain:
                network_rhs(Y, Q, coupling, signals, inputs, k2)
            else:
                evaluate(t + 0.5 * dt, Y, P, Q, coupling, stimuli, P_work, Q_work, signals,
                         inputs, k2)
            for e in range(x.size):
                y[e] = x[e] + half * b[e]
            if plain:
                network_rhs(Y, Q, coupling, signals, inputs, k3)
            else:
                evaluate(t + 0.5 * dt, Y, P, Q, coupling, stimuli, P_work, Q_work, signals,
                         inputs, k3)
            for e in range(x.size):
                y[e] = x[e] + dt * c[e]
            if plain:
                network_rhs(Y, Q, coupling, signals, inputs, k4)
            else:
                evaluate(t + (1.0 - EDGE) * dt, Y, P, Q, coupling, stimuli, P_work, Q_work, signals,
                         inputs, k4)
            check = 0.0
            for e in range(x.size):
                x[e] += sixth * (a[e] + 2.0 * (b[e] + c[e]) + d[e])
                check += x[e] * 0.0  # stays 0 unless some x is inf or nan
            step += 1
            if check != 0.0:
                node, state = first_nonfinite(X)
                return STATUS_NONFINITE, t_origin + step * dt, node, state
        write_sample(X, record, out, out_offset + j)
    return STATUS_OK, t_origin + step * dt, -1, -1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def seed_noise(seed):
    """Seed numba's random generator (used by the stochastic kernels)."""
    np.random.seed(seed)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def draw_increments(sigma, sqrt_dt, dW):
    """dW = sigma * sqrt(dt) * N(0, 1), independent per node and state."""
    for k in range(sigma.shape[0]):
        for i in range(sigma.shape[1]):
            if sigma[k, i] != 0.0:
                dW[k, i] = sigma[k, i] * sqrt_dt * np.random.standard_normal()
            else:
                dW[k, i] = 0.0


@nb.njit(cache=True, nogil=True, error_model="numpy")
def euler_maruyama_run(X, t_origin, dt, step_offset, steps_per_sample, n_samples, P, coupling,
                       stimuli, sigma, record, out, out_offset):
    """Euler-Maruyama for dX = F(X) dt + sigma dW (additive noise).

    Same conventions and return value as rk4_run.
    """
    n_nodes = X.shape[0]
    drift = np.empty_like(X)
    dW = np.empty_like(X)
    P_work = np.empty_like(P)
    Q = extend_parameters(P)
    Q_work = np.empty_like(Q)
    signals, inputs = network_scratch(n_nodes)
    sqrt_dt = math.sqrt(dt)
    plain = stimuli[0].shape[0] == 0  # without stimuli, call the right-hand side directly
    step = step_offset
    for j in range(n_samples):
        for _ in range(steps_per_sample):
            t = t_origin + step * dt
            evaluate(t + EDGE * dt, X, P, Q, coupling, stimuli, P_work, Q_work, signals,
                     inputs, drift)
            draw_increments(sigma, sqrt_dt, dW)
            for k in range(n_nodes):
                for i in range(X.shape[1]):
                    X[k, i] += dt * drift[k, i] + dW[k, i]
            step += 1
            if not all_finite(X):
                node, state = first_nonfinite(X)
                return STATUS_NONFINITE, t_origin + step * dt, node, state
        write_sample(X, record, out, out_offset + j)
    return STATUS_OK, t_origin + step * dt, -1, -1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def heun_run(X, t_origin, dt, step_offset, steps_per_sample, n_samples, P, coupling, stimuli,
             sigma, record, out, out_offset):
    """Stochastic Heun (predictor-corrector) for additive noise.

    Y = X + F(t, X) dt + dW;  X <- X + (F(t, X) + F(t + dt, Y)) dt / 2 + dW.
    Strong order 1 for additive noise, weak order 2 (Kloeden & Platen 1992).
    Same conventions and return value as rk4_run.
    """
    n_nodes = X.shape[0]
    f0 = np.empty_like(X)
    f1 = np.empty_like(X)
    Y = np.empty_like(X)
    dW = np.empty_like(X)
    P_work = np.empty_like(P)
    Q = extend_parameters(P)
    Q_work = np.empty_like(Q)
    signals, inputs = network_scratch(n_nodes)
    sqrt_dt = math.sqrt(dt)
    plain = stimuli[0].shape[0] == 0  # without stimuli, call the right-hand side directly
    step = step_offset
    for j in range(n_samples):
        for _ in range(steps_per_sample):
            t = t_origin + step * dt
            evaluate(t + EDGE * dt, X, P, Q, coupling, stimuli, P_work, Q_work, signals,
                     inputs, f0)
            draw_increments(sigma, sqrt_dt, dW)
            for k in range(n_nodes):
                for i in range(X.shape[1]):
                    Y[k, i] = X[k, i] + dt * f0[k, i] + dW[k, i]
            evaluate(t + (1.0 - EDGE) * dt, Y, P, Q, coupling, stimuli, P_work, Q_work, signals,
                     inputs, f1)
            for k in range(n_nodes):
                for i in range(X.shape[1]):
                    X[k, i] += 0.5 * dt * (f0[k, i] + f1[k, i]) + dW[k, i]
            step += 1
            if not all_finite(X):
                node, state = first_nonfinite(X)
                return STATUS_NONFINITE, t_origin + step * dt, node, state
        write_sample(X, record, out, out_offset + j)
    return STATUS_OK, t_origin + step * dt, -1, -1


# Dormand-Prince 5(4) tableau (Dormand & Prince, J. Comput. Appl. Math. 6, 1980)
C2, C3, C4, C5 = 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0
A21 = 1.0 / 5.0
A31, A32 = 3.0 / 40.0, 9.0 / 40.0
A41, A42, A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
A51, A52, A53, A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
A61, A62, A63, A64, A65 = (9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0,
                           -5103.0 / 18656.0)
B1, B3, B4, B5, B6 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0
# error weights: 5th-order minus embedded 4th-order solution
E1, E3, E4, E5, E6, E7 = (-71.0 / 57600.0, 71.0 / 16695.0, -71.0 / 1920.0, 17253.0 / 339200.0,
                          -22.0 / 525.0, 1.0 / 40.0)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def dense_output_weights(theta):
    """Weights b_i(theta) of the 4th-order continuous extension of DP5
    (Shampine, Math. Comp. 46, 1986): y(t + theta h) = y + h sum_i b_i(theta) k_i."""
    t2 = theta * theta
    t3 = t2 * theta
    t4 = t3 * theta
    w1 = theta - 8048581381.0 / 2820520608.0 * t2 + 8663915743.0 / 2820520608.0 * t3 \
        - 12715105075.0 / 11282082432.0 * t4
    w3 = 131558114200.0 / 32700410799.0 * t2 - 68118460800.0 / 10900136933.0 * t3 \
        + 87487479700.0 / 32700410799.0 * t4
    w4 = -1754552775.0 / 470086768.0 * t2 + 14199869525.0 / 1410260304.0 * t3 \
        - 10690763975.0 / 1880347072.0 * t4
    w5 = 127303824393.0 / 49829197408.0 * t2 - 318862633887.0 / 49829197408.0 * t3 \
        + 701980252875.0 / 199316789632.0 * t4
    w6 = -282668133.0 / 205662961.0 * t2 + 2019193451.0 / 616988883.0 * t3 \
        - 1453857185.0 / 822651844.0 * t4
    w7 = 40617522.0 / 29380423.0 * t2 - 110615467.0 / 29380423.0 * t3 \
        + 69997945.0 / 29380423.0 * t4
    return w1, w3, w4, w5, w6, w7


@nb.njit(cache=True, nogil=True, error_model="numpy")
def error_norm(X, X_new, err, rtol, atol):
    """RMS over all components of err / (atol + rtol * max(|x|, |x_new|))."""
    total = 0.0
    for k in range(X.shape[0]):
        for i in range(X.shape[1]):
            scale = atol + rtol * max(abs(X[k, i]), abs(X_new[k, i]))
            total += (err[k, i] / scale) ** 2
    return math.sqrt(total / X.size)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def initial_step(X, t, P, coupling, stimuli, rtol, atol, h_max):
    """Starting step size (Hairer, Norsett & Wanner, Solving ODEs I, Sec. II.4)."""
    P_work = np.empty_like(P)
    Q = extend_parameters(P)
    Q_work = np.empty_like(Q)
    signals, inputs = network_scratch(X.shape[0])
    f0 = np.empty_like(X)
    evaluate(t, X, P, Q, coupling, stimuli, P_work, Q_work, signals, inputs, f0)
    d0 = error_norm(X, X, X, rtol, atol)
    d1 = error_norm(X, X, f0, rtol, atol)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, h_max)
    X1 = X + h0 * f0
    f1 = np.empty_like(X)
    evaluate(t + h0, X1, P, Q, coupling, stimuli, P_work, Q_work, signals, inputs, f1)
    d2 = error_norm(X, X, f1 - f0, rtol, atol) / h0
    if max(d1, d2) <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** 0.2
    return min(100.0 * h0, h1, h_max)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def dopri5_run(X, t, h, sample_times, P, coupling, stimuli, rtol, atol, h_max, record, out,
               out_offset):
    """Adaptive Dormand-Prince 5(4) with local extrapolation and error control.

    Advances X in place from t to sample_times[-1], writing the state at each
    sample time (4th-order dense output) to out[out_offset + j]. Steps never
    cross a stimulus switch. Returns (status, t, h, n_accepted, n_rejected,
    node, state); h is the step size to continue with.
    """
    n_nodes, n = X.shape
    k1 = np.empty_like(X)
    k2 = np.empty_like(X)
    k3 = np.empty_like(X)
    k4 = np.empty_like(X)
    k5 = np.empty_like(X)
    k6 = np.empty_like(X)
    k7 = np.empty_like(X)
    Y = np.empty_like(X)
    X_new = np.empty_like(X)
    err = np.empty_like(X)
    P_work = np.empty_like(P)
    Q = extend_parameters(P)
    Q_work = np.empty_like(Q)
    signals, inputs = network_scratch(n_nodes)
    n_accepted = 0
    n_rejected = 0
    next_sample = 0
    t_end = sample_times[sample_times.shape[0] - 1]
    evaluate(t, X, P, Q, coupling, stimuli, P_work, Q_work, signals, inputs, k1)
    switch = next_stimulus_switch(t, stimuli)
    while next_sample < sample_times.shape[0]:
        h = min(h, h_max)
        hit_switch = False
        if t + h >= switch:
            h = switch - t
            hit_switch = True
        if t + h > t_end:
            h = t_end - t
            hit_switch = False
        if h <= 1e-14 * max(1.0, abs(t)):
            return STATUS_STEP_UNDERFLOW, t, h, n_accepted, n_rejected, -1, -1
        for k in range(n_nodes):
            for i in range(n):
                Y[k, i] = X[k, i] + h * A21 * k1[k, i]
        evaluate(t + C2 * h, Y, P, Q, coupling, stimuli, P_work, Q_work, signals, inputs, k2)
        for k in range(n_nodes):
            for i in range(n):
                Y[k, i] = X[k, i] + h * (A31 * k1[k, i] + A32 * k2[k, i])
        evaluate(t + C3 * h, Y, P, Q, coupling, stimuli, P_work, Q_work, signals, inputs, k3)
        for k in range(n_nodes):
            for i in range(n):
                Y[k, i] = X[k, i] + h * (A41 * k1[k, i] + A42 * k2[k, i] + A43 * k3[k, i])
        evaluate(t + C4 * h, Y, P, Q, coupling, stimuli, P_work, Q_work, signals, inputs, k4)
        for k in range(n_nodes):
            for i in range(n):
                Y[k, i] = X[k, i] + h * (A51 * k1[k, i] + A52 * k2[k, i] + A53 * k3[k, i]
                                         + A54 * k4[k, i])
        evaluate(t + C5 * h, Y, P, Q, coupling, stimuli, P_work, Q_work, signals, inputs, k5)
        for k in range(n_nodes):
            for i in range(n):
                Y[k, i] = X[k, i] + h * (A61 * k1[k, i] + A62 * k2[k, i] + A63 * k3[k, i]
                                         + A64 * k4[k, i] + A65 * k5[k, i])
        # stage 6 sits at t + h; evaluate just inside the step so that a stimulus
        # switching exactly at t + h does not leak into it
        evaluate(t + h * (1.0 - 1e-12), Y, P, Q, coupling, stimuli, P_work, Q_work, signals,
                 inputs, k6)
        for k in range(n_nodes):
            for i in range(n):
                X_new[k, i] = X[k, i] + h * (B1 * k1[k, i] + B3 * k3[k, i] + B4 * k4[k, i]
                                             + B5 * k5[k, i] + B6 * k6[k, i])
        evaluate(t + h * (1.0 - 1e-12), X_new, P, Q, coupling, stimuli, P_work, Q_work, signals,
                 inputs, k7)
        for k in range(n_nodes):
            for i in range(n):
                err[k, i] = h * (E1 * k1[k, i] + E3 * k3[k, i] + E4 * k4[k, i] + E5 * k5[k, i]
                                 + E6 * k6[k, i] + E7 * k7[k, i])
        norm = error_norm(X, X_new, err, rtol, atol)
        if not (norm <= 1.0) or not all_finite(X_new):
            if not np.isfinite(norm) and h <= 1e-10 * max(1.0, abs(t)):
                node, state = first_nonfinite(X_new)
                return STATUS_NONFINITE, t + h, h, n_accepted, n_rejected, node, state
            n_rejected += 1
            h *= max(0.2, 0.9 * norm ** -0.2) if np.isfinite(norm) else 0.2
            continue
        # dense output for every sample inside (t, t + h]
        while next_sample < sample_times.shape[0] and sample_times[next_sample] <= t + h:
            theta = (sample_times[next_sample] - t) / h
            w1, w3, w4, w5, w6, w7 = dense_output_weights(theta)
            row = out_offset + next_sample
            for k in range(n_nodes):
                for r in range(record.shape[0]):
                    i = record[r]
                    out[row, k, r] = X[k, i] + h * (w1 * k1[k, i] + w3 * k3[k, i] + w4 * k4[k, i]
                                                    + w5 * k5[k, i] + w6 * k6[k, i]
                                                    + w7 * k7[k, i])
            next_sample += 1
        t = t + h
        copy_into(X, X_new)
        n_accepted += 1
        if hit_switch:
            t = switch
            switch = next_stimulus_switch(t, stimuli)
            evaluate(t, X, P, Q, coupling, stimuli, P_work, Q_work, signals, inputs, k1)
        else:
            copy_into(k1, k7)
        factor = 10.0 if norm == 0.0 else min(10.0, 0.9 * norm ** -0.2)
        h *= factor
    return STATUS_OK, t, h, n_accepted, n_rejected, -1, -1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def tangent_rhs(X, P, Q, coupling, V, A, signals, inputs, out):
    """out[:, :, i] = J(X) V[:, :, i]: the network's Jacobian applied to each of the
    tangent vectors V (N, n, k), with J = blockdiag(Df(x_k)) + eps (W kron H)."""
    eps, mode, W, indptr, indices, weights = coupling
    n_nodes, n, k = V.shape
    for node in range(n_nodes):
        state_jacobian(X[node], P[node], A)
        for i in range(k):
            for r in range(n):
                acc = 0.0
                for c in range(n):
                    acc += A[r, c] * V[node, c, i]
                out[node, r, i] = acc
    if mode == COUPLING_NONE or N_COUPLING_SOURCES == 0 or eps == 0.0:
        return
    for i in range(k):
        gather_coupling_sources(V[:, :, i], signals)
        for c in range(N_COUPLING_SOURCES):
            if mode == COUPLING_DENSE:
                dense_matvec_into(W, signals[c], inputs, c)
            else:
                sparse_matvec_into(indptr, indices, weights, signals[c], inputs, c)
        for node in range(n_nodes):
            add_coupling(Q[node], eps, inputs[node], out[node, :, i])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def lyapunov_run(X, V, dt, n_steps, steps_per_orthonormalisation, P, coupling, sums):
    """RK4 on the state X and the tangent vectors V together (Benettin et al. 1980):
    every steps_per_orthonormalisation steps V is re-orthonormalised by QR and
    log |R_ii| is added to sums[i]. Returns (status, steps done)."""
    n_nodes, n, k = V.shape
    Q = extend_parameters(P)
    signals, inputs = network_scratch(n_nodes)
    A = np.empty((n, n))
    f1 = np.empty_like(X)
    f2 = np.empty_like(X)
    f3 = np.empty_like(X)
    f4 = np.empty_like(X)
    g1 = np.empty_like(V)
    g2 = np.empty_like(V)
    g3 = np.empty_like(V)
    g4 = np.empty_like(V)
    Y = np.empty_like(X)
    Z = np.empty_like(V)
    for step in range(n_steps):
        network_rhs(X, Q, coupling, signals, inputs, f1)
        tangent_rhs(X, P, Q, coupling, V, A, signals, inputs, g1)
        step_into(Y, X, 0.5 * dt, f1)
        step_into(Z, V, 0.5 * dt, g1)
        network_rhs(Y, Q, coupling, signals, inputs, f2)
        tangent_rhs(Y, P, Q, coupling, Z, A, signals, inputs, g2)
        step_into(Y, X, 0.5 * dt, f2)
        step_into(Z, V, 0.5 * dt, g2)
        network_rhs(Y, Q, coupling, signals, inputs, f3)
        tangent_rhs(Y, P, Q, coupling, Z, A, signals, inputs, g3)
        step_into(Y, X, dt, f3)
        step_into(Z, V, dt, g3)
        network_rhs(Y, Q, coupling, signals, inputs, f4)
        tangent_rhs(Y, P, Q, coupling, Z, A, signals, inputs, g4)
        rk4_update(X, dt, f1, f2, f3, f4)
        rk4_update(V, dt, g1, g2, g3, g4)
        if not all_finite(X):
            return STATUS_NONFINITE, step
        if (step + 1) % steps_per_orthonormalisation == 0:
            q, r = np.linalg.qr(V.reshape(n_nodes * n, k))
            for i in range(k):
                sign = 1.0 if r[i, i] >= 0 else -1.0
                sums[i] += math.log(abs(r[i, i]))
                for node in range(n_nodes):
                    for s in range(n):
                        V[node, s, i] = sign * q[node * n + s, i]
    return STATUS_OK, n_steps
