"""The homoclinic orbit born at a Bogdanov-Takens point, to leading order.

Near a BT point (x0, alpha0) of x' = f(x, alpha), alpha in R^2, the
parameter-dependent centre manifold x = x0 + H(w, beta), alpha = alpha0 +
K(beta) carries the smooth normal form (Kuznetsov 2005, IJBC 15; Al-Hdaibat,
Govaerts, Kuznetsov & Meijer 2016, SIAM J. Appl. Dyn. Syst. 15)

    w0' = w1,    w1' = beta1 + beta2 w1 + a w0^2 + b w0 w1,

(a, b, q0, q1, p0, p1 as in normal_forms.py). Rescaling w0 = eps^2 u / a,
w1 = eps^3 v / a, t = xi / eps turns it into u' = v, v' = u^2 - 4 +
O(eps) for beta1 = -4 eps^4 / a, whose homoclinic loop is u0(xi) = 2 - 6
sech^2 xi; the Melnikov condition for it to persist fixes beta2 = (10/7)
(b/a) eps^2 + O(eps^4), hence the homoclinic curve beta1 = -(49 a / (25
b^2)) beta2^2 + O(beta2^3) (Kuznetsov's -(6/25) beta2^2 in his other form of
the unfolding).

To the order that this predictor needs, alpha = alpha0 + K01 beta2 +
O(eps^4) and x = x0 + w0 q0 + w1 q1 + H0001 beta2 + O(eps^4): beta1 and
the second-order terms of H and K enter at O(eps^4) only. K01 and H0001
solve the homological equations of the terms beta2, w0 beta2 and w1 beta2:

    A H0001 + J1 K01 = 0,
    <p1, B(q0, H0001) + J2(q0, K01)> = 0,
    <p1, B(q1, H0001) + J2(q1, K01)> + <p0, B(q0, H0001) + J2(q0, K01)> = 1,

with J1 = f_alpha, J2(q, k) = f_{x alpha} q k and B the second derivative
of f in x, all at the BT point. A corrector on the HOM-C system removes the
remaining O(eps^4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from .normal_forms import bogdanov_takens_coefficients, bogdanov_takens_vectors

#: the normal form's loop is integrated over xi in [-XI_END, XI_END]: its ends
#: are 6 sech^2(XI_END) ~ 2e-5 of its size from the saddle
XI_END = 7.0


@dataclass
class BogdanovTakensHomoclinic:
    """The leading-order homoclinic orbit at distance ``epsilon`` from a BT point:
    ``orbit(tau)`` for tau in [0, 1] over the time ``period``, its ``saddle``,
    the ``parameters`` (values of the two free ones), ``direction`` = K01
    (tangent of the homoclinic curve at the BT point, in the free parameters,
    pointing into the side where it exists), and the normal-form coefficients."""

    epsilon: float
    period: float
    saddle: np.ndarray
    parameters: np.ndarray
    direction: np.ndarray
    a: float
    b: float
    x0: np.ndarray
    q0: np.ndarray
    q1: np.ndarray
    shift: np.ndarray   # H0001 beta2

    def orbit(self, tau) -> np.ndarray:
        """x(t) at t = (tau - 1/2) T, shape (len(tau), n)."""
        xi = self.epsilon * (np.asarray(tau, float) - 0.5) * self.period
        sech2 = 1.0 / np.cosh(xi) ** 2
        w0 = self.epsilon**2 / self.a * (2.0 - 6.0 * sech2)
        w1 = self.epsilon**3 / self.a * 12.0 * sech2 * np.tanh(xi)
        return self.x0 + self.shift + w0[:, None] * self.q0 + w1[:, None] * self.q1


def bogdanov_takens_unfolding(compiled, x0, p, indices):
    """(q0, q1, p0, p1, a, b, K01, H0001) at the BT point (x0, p): the solution
    of the module doc's equations; ParameterError where the BT point is
    degenerate (a = 0, b = 0, or the parameters do not unfold it)."""
    x0 = np.asarray(x0, float)
    indices = list(indices)
    A = compiled.jacobian(x0, p)
    q0, q1, p0, p1 = bogdanov_takens_vectors(A)

    def second(u, v):
        return compiled.second_derivative(x0, p, u, v)

    def mixed(q, k):  # J2(q, k) = f_{x alpha} q k
        return compiled.jacobian_action_parameters(x0, p, q)[:, indices] @ k

    a, b = bogdanov_takens_coefficients(A, second)
    scale = max(1.0, float(np.abs(second(q0, q0)).max()))
    if abs(a) < 1e-10 * scale or abs(b) < 1e-10 * scale:
        raise ParameterError(f"the Bogdanov-Takens point is degenerate (normal-form "
                             f"coefficients a = {a:.3g}, b = {b:.3g}): no homoclinic predictor")
    J1 = compiled.parameter_jacobian(x0, p)[:, indices]
    g = p1 @ J1                       # K01 must satisfy g . K01 = 0
    if np.linalg.norm(g) < 1e-12 * max(1.0, np.abs(J1).max()):
        raise ParameterError("the free parameters do not unfold the Bogdanov-Takens point "
                             "(<p1, f_alpha> = 0)")
    k = np.array([-g[1], g[0]]) / np.linalg.norm(g)
    n = len(x0)
    system = np.block([[A, p1[:, None]], [q0[None, :], np.zeros((1, 1))]])
    h = np.linalg.solve(system, np.concatenate([-J1 @ k, [0.0]]))[:n]
    gamma = float(p1 @ (second(q0, h) + mixed(q0, k)))
    delta = float(p1 @ (second(q1, h) + mixed(q1, k)) + p0 @ (second(q0, h) + mixed(q0, k)))
    denominator = delta - gamma * b / (2 * a)
    if abs(denominator) < 1e-12:
        raise ParameterError("the free parameters do not unfold the Bogdanov-Takens point "
                             "(the beta2 direction is degenerate)")
    s = 1.0 / denominator
    return q0, q1, p0, p1, a, b, s * k, s * (h - gamma / (2 * a) * q0)


def bogdanov_takens_homoclinic(compiled, x0, p, indices, epsilon: float,
                               period: float | None = None) -> BogdanovTakensHomoclinic:
    """The predictor of the module doc at amplitude ``epsilon`` (the orbit's
    extent along q0 is 6 eps^2 / |a|); ``period`` defaults to 2 XI_END / eps."""
    if not epsilon > 0:
        raise ParameterError(f"the amplitude epsilon must be positive, got {epsilon}")
    q0, q1, _, _, a, b, K01, H0001 = bogdanov_takens_unfolding(compiled, x0, p, indices)
    beta2 = 10.0 / 7.0 * b / a * epsilon**2
    period = 2 * XI_END / epsilon if period is None else float(period)
    if not period * epsilon > 4.0:
        raise ParameterError(f"the truncation time T = {period:g} is too short for the "
                             f"amplitude {epsilon:g}: need T eps > 4 (ends within 7% of "
                             f"the loop's size from the saddle)")
    x0 = np.asarray(x0, float)
    shift = H0001 * beta2
    parameters = np.asarray(p, float)[list(indices)] + K01 * beta2
    direction = K01 * math.copysign(1.0, b / a)
    return BogdanovTakensHomoclinic(epsilon, period, x0 + shift + 2 * epsilon**2 / a * q0,
                                    parameters, direction, a, b, x0, q0, q1, shift)


__all__ = ["BogdanovTakensHomoclinic", "bogdanov_takens_unfolding", "bogdanov_takens_homoclinic",
           "XI_END"]
