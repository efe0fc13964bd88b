"""An independent reference for the E/I node (``ei``), written from the
equations of docs/models.md with numpy and scipy only (no bifurc code): an
explicit reduction of the equilibria to one curve, a Jacobian derived by hand
(checked against central finite differences in tests/test_ei_reference.py),
Hopf points by brentq, cycles by shooting and Floquet multipliers from the
variational equation, both with solve_ivp (DOP853, rtol 1e-11). Tests import
it to check bifurc's numbers against something that shares none of its code.
"""

import functools
import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, minimize_scalar

PI = math.pi
#: the ei defaults (docs/models.md, models/ei.toml; I_e = I_i = 0)
DEFAULTS = dict(tau_e=10.0, tau_i=10.0, tau_se=2.0, tau_si=8.0, delta_e=1.0, delta_i=1.0,
                eta_e=10.0, eta_i=-5.0, J_ee=10.0, J_ei=15.0, J_ie=15.0, J_ii=5.0)


#: the model's initial state (models/ei.toml): r_e, v_e, s_e, r_i, v_i, s_i
INITIAL = np.array([0.01, -2.0, 0.01, 0.01, -2.0, 0.01])



def field(p):
    """The ei vector field of docs/models.md as a solve_ivp right-hand side."""
    te, ti, tse, tsi = p["tau_e"], p["tau_i"], p["tau_se"], p["tau_si"]
    de, di, eta_e, eta_i = p["delta_e"], p["delta_i"], p["eta_e"], p["eta_i"]
    jee, jei, jie, jii = p["J_ee"], p["J_ei"], p["J_ie"], p["J_ii"]

    def f(t, x):
        re, ve, se, ri, vi, si = x
        return np.array([(de / (PI * te) + 2 * re * ve) / te,
                         (ve**2 + eta_e - (PI * te * re)**2 + te * (jee * se - jei * si)) / te,
                         (re - se) / tse,
                         (di / (PI * ti) + 2 * ri * vi) / ti,
                         (vi**2 + eta_i - (PI * ti * ri)**2 + ti * (jie * se - jii * si)) / ti,
                         (ri - si) / tsi])
    return f



def jacobian(p, x):
    """Df of ``field``, differentiated by hand (checked in test_reference_jacobian)."""
    te, ti = p["tau_e"], p["tau_i"]
    re, ve, _, ri, vi, _ = x
    return np.array([
        [2 * ve / te, 2 * re / te, 0, 0, 0, 0],
        [-2 * PI**2 * te * re, 2 * ve / te, p["J_ee"], 0, 0, -p["J_ei"]],
        [1 / p["tau_se"], 0, -1 / p["tau_se"], 0, 0, 0],
        [0, 0, 0, 2 * vi / ti, 2 * ri / ti, 0],
        [0, 0, p["J_ie"], -2 * PI**2 * ti * ri, 2 * vi / ti, -p["J_ii"]],
        [0, 0, 0, 1 / p["tau_si"], 0, -1 / p["tau_si"]]])



def equilibrium_curve(p):
    """The equilibria at fixed parameters other than eta_e, as one curve in r_i.

    At an equilibrium s = r and v = -delta / (2 pi tau r), and the v equations read
        A(r_e) + eta_e - tau_e J_ei r_i = 0,   B(r_i) + eta_i + tau_i J_ie r_e = 0,
    with A(r) = de^2 / (4 pi^2 te^2 r^2) - (pi te r)^2 + te J_ee r
    and  B(r) = di^2 / (4 pi^2 ti^2 r^2) - (pi ti r)^2 - ti J_ii r.
    So r_e(r_i) = -(B(r_i) + eta_i) / (tau_i J_ie) and eta_e(r_i) = tau_e J_ei r_i - A(r_e(r_i)).
    B' < 0, so r_e > 0 exactly for r_i > r_0 (B(r_0) = -eta_i): every equilibrium lies on this
    one curve, and its folds in eta_e are the zeros of
        d eta_e / d r_i = tau_e J_ei + A'(r_e) B'(r_i) / (tau_i J_ie).
    Returns (r_0, r_e(r_i), eta_e(r_i), d eta_e / d r_i, state(r_i)).
    """
    te, ti, de, di = p["tau_e"], p["tau_i"], p["delta_e"], p["delta_i"]

    def A(r):
        return de**2 / (4 * PI**2 * te**2 * r**2) - (PI * te * r)**2 + te * p["J_ee"] * r

    def A1(r):
        return -de**2 / (2 * PI**2 * te**2 * r**3) - 2 * PI**2 * te**2 * r + te * p["J_ee"]

    def B(r):
        return di**2 / (4 * PI**2 * ti**2 * r**2) - (PI * ti * r)**2 - ti * p["J_ii"] * r

    def B1(r):
        return -di**2 / (2 * PI**2 * ti**2 * r**3) - 2 * PI**2 * ti**2 * r - ti * p["J_ii"]

    def r_e(r_i):
        return -(B(r_i) + p["eta_i"]) / (ti * p["J_ie"])

    def eta_e(r_i):
        return te * p["J_ei"] * r_i - A(r_e(r_i))

    def slope(r_i):
        return te * p["J_ei"] + A1(r_e(r_i)) * B1(r_i) / (ti * p["J_ie"])

    def state(r_i):
        e = r_e(r_i)
        return np.array([e, -de / (2 * PI * te * e), e, r_i, -di / (2 * PI * ti * r_i), r_i])

    r_0 = brentq(lambda r: B(r) + p["eta_i"], 1e-8, 1e3, xtol=1e-300, rtol=1e-15)
    return r_0, r_e, eta_e, slope, state



def curve_grid(r_0):
    """log r_i from just above r_0 to 1e4 r_0, fine enough to separate close roots."""
    return np.log(r_0) + np.log1p(np.geomspace(1e-10, 1e4, 40001))



def equilibria(p):
    """Every equilibrium at p: the roots of eta_e(r_i) = p["eta_e"] on the curve."""
    r_0, _, eta_e, _, state = equilibrium_curve(p)
    u = curve_grid(r_0)
    g = eta_e(np.exp(u)) - p["eta_e"]
    roots = [brentq(lambda w: eta_e(np.exp(w)) - p["eta_e"], u[k], u[k + 1], xtol=1e-15)
             for k in np.flatnonzero(np.sign(g[:-1]) != np.sign(g[1:]))]
    return [state(np.exp(w)) for w in roots]



def leading_eigenvalue(p):
    (x,) = equilibria(p)  # exactly one (the unpacking checks it): no folds at eta_i = -5
    eigenvalues = np.linalg.eigvals(jacobian(p, x))
    return eigenvalues[np.argmax(eigenvalues.real)]



def hopf_point(lo, hi):
    """eta_e where the leading eigenvalue crosses the imaginary axis, and that eigenvalue."""
    eta = brentq(lambda e: leading_eigenvalue({**DEFAULTS, "eta_e": e}).real, lo, hi,
                 xtol=1e-13, rtol=1e-15)
    return eta, leading_eigenvalue({**DEFAULTS, "eta_e": eta})



def flow_and_monodromy(p, x, duration, extra=None):
    """The flow phi_t(x) and the solution Y(t) of Y' = (Df + extra) Y, Y(0) = I, at t = duration,
    with solve_ivp (DOP853, rtol 1e-11)."""
    f, extra = field(p), np.zeros((6, 6)) if extra is None else extra

    def rhs(t, u):
        return np.concatenate([f(t, u[:6]),
                               ((jacobian(p, u[:6]) + extra) @ u[6:].reshape(6, 6)).ravel()])

    u = solve_ivp(rhs, (0.0, duration), np.concatenate([x, np.eye(6).ravel()]),
                  method="DOP853", rtol=1e-11, atol=1e-13).y[:, -1]
    return u[:6], u[6:].reshape(6, 6)



def periodic_orbit(p, x, period):
    """Shooting: Newton on phi_T(x) = x with the phase condition f(x_guess) . (x - x_guess) = 0,
    from a guess. Returns the period, a point of the cycle and its monodromy matrix."""
    f, guess = field(p), np.array(x, dtype=float)
    normal = f(0.0, guess)
    for _ in range(20):
        end, monodromy = flow_and_monodromy(p, x, period)
        residual = np.append(end - x, normal @ (x - guess))
        if np.max(np.abs(residual)) < 1e-11:
            return period, x, monodromy
        step = np.linalg.solve(np.block([[monodromy - np.eye(6), f(0.0, end)[:, None]],
                                         [normal[None, :], np.zeros((1, 1))]]), -residual)
        x, period = x + step[:6], period + step[6]
    raise AssertionError(f"shooting did not converge: residual {np.max(np.abs(residual)):.1e}")



def attracting_cycle(p, transient=300.0):
    """The cycle reached from the initial state: a transient, a guess from two upward
    crossings of the mean of v_e, then shooting; (period, point, monodromy). The period is
    reproducible to 1e-13 (rtol 1e-9 ... 1e-12 change it by less)."""
    run = solve_ivp(field(p), (0.0, transient), INITIAL, method="DOP853", rtol=1e-8,
                    atol=1e-10, dense_output=True)
    t = np.linspace(transient / 2, transient, 30001)
    v = run.sol(t)[1]
    up = np.flatnonzero((v[:-1] < v.mean()) & (v[1:] >= v.mean()))
    return periodic_orbit(p, run.sol(t[up[-2]]), t[up[-1]] - t[up[-2]])



@functools.lru_cache(maxsize=None)
def reference_frequency_hz(eta_e, transient=300.0):
    """Frequency (Hz) of the cycle at eta_e, the other parameters at the defaults."""
    return 1000.0 / attracting_cycle({**DEFAULTS, "eta_e": eta_e}, transient)[0]



def min_slope(p):
    """(min over the curve of d eta_e / d r_i, eta_e there): folds exist iff it is negative."""
    r_0, _, eta_e, slope, _ = equilibrium_curve(p)
    u = curve_grid(r_0)
    k = int(np.argmin(slope(np.exp(u))))
    best = minimize_scalar(lambda w: slope(np.exp(w)), bracket=(u[k - 1], u[k], u[k + 1]),
                           tol=1e-14)
    return best.fun, float(eta_e(np.exp(best.x)))


def ei_unstable_manifold_falls_low(eta_e, J_ee=30.0):
    """Shooting with the independent reference (tests/ei_reference.py: the field
    of docs/models.md, its equilibria by brentq, the hand-derived Jacobian), no
    bifurc code: from the saddle of the bistable E/I node (default J_ee = 30), the upper
    branch of its one-dimensional unstable manifold ends on the low-activity
    state on one side of the homoclinic orbit and on the high-activity one on
    the other side. (Bisected to 1e-5, the reference homoclinic parameter is
    eta_e = -7.80586; the diagram's estimate, -7.80460, is 1.3e-3 from it.)"""
    p = {**DEFAULTS, "J_ee": J_ee, "eta_e": eta_e}
    states = equilibria(p)
    unstable_dimensions = [int(np.sum(np.linalg.eigvals(jacobian(p, x)).real > 0)) for x in states]
    assert sorted(unstable_dimensions) == [0, 0, 1]  # low and high states, the saddle between
    saddle = states[unstable_dimensions.index(1)]
    values, vectors = np.linalg.eig(jacobian(p, saddle))
    unstable = vectors[:, np.argmax(values.real)].real
    unstable = unstable if unstable[0] > 0 else -unstable
    run = solve_ivp(field(p), (0, 600), saddle + 1e-9 * unstable / np.linalg.norm(unstable),
                    rtol=1e-12, atol=1e-14)
    return run.y[0, -1] < 0.03


def ei_homoclinic_eta_e(low, high, J_ee=30.0, tolerance=1e-8):
    """eta_e of the homoclinic orbit of the bistable E/I node, bisected with
    ei_unstable_manifold_falls_low between ``low`` (falls low) and ``high``."""
    assert ei_unstable_manifold_falls_low(low, J_ee) and not ei_unstable_manifold_falls_low(
        high, J_ee)
    while high - low > tolerance:
        middle = 0.5 * (low + high)
        if ei_unstable_manifold_falls_low(middle, J_ee):
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)
