"""Normal-form coefficients from the multilinear forms B and C.

Conventions of Kuznetsov, *Elements of Applied Bifurcation Theory* (3rd ed.,
2004), Sec. 3.5 and 8.7: at a Hopf point with A q = i omega q,
A^T p = -i omega p, <q, q> = 1 and <p, q> = 1 (<a, b> = conj(a) . b),

    l1 = Re( <p, C(q, q, conj q)> - 2 <p, B(q, A^{-1} B(q, conj q))>
             + <p, B(conj q, (2 i omega I - A)^{-1} B(q, q))> ) / (2 omega).

l1 < 0: supercritical (a stable cycle is born); l1 > 0: subcritical. For
x' = mu x - omega y + a x (x^2 + y^2), y' = omega x + mu y + a y (x^2 + y^2)
this gives l1 = 2 a / omega. At a fold with A q = 0, A^T p = 0, <p, q> = 1,
the quadratic coefficient is a = <p, B(q, q)> / 2 (zero at a cusp).
"""

from __future__ import annotations

import numpy as np


def complex_bilinear(form, u, v):
    """B(u, v) for complex u, v from a real bilinear form(u, v)."""
    ur, ui, vr, vi = u.real, u.imag, v.real, v.imag
    return (form(ur, vr) - form(ui, vi)) + 1j * (form(ur, vi) + form(ui, vr))


def complex_trilinear(form, u, v, w):
    """C(u, v, w) for complex arguments from a real trilinear form."""
    total = np.zeros(len(u), dtype=complex)
    for a, ca in ((u.real, 1.0), (u.imag, 1j)):
        for b, cb in ((v.real, 1.0), (v.imag, 1j)):
            for c, cc in ((w.real, 1.0), (w.imag, 1j)):
                total += ca * cb * cc * form(a, b, c)
    return total


def hopf_eigenvectors(A, omega):
    """q, p with A q = i omega q, A^T p = -i omega p, <q, q> = 1, <p, q> = 1."""
    values, vectors = np.linalg.eig(A)
    q = vectors[:, np.argmin(np.abs(values - 1j * omega))]
    q = q / np.linalg.norm(q)
    values_t, vectors_t = np.linalg.eig(A.T)
    p = vectors_t[:, np.argmin(np.abs(values_t + 1j * omega))]
    p = p / np.conj(np.vdot(p, q))
    return q, p


def first_lyapunov_coefficient(A, omega, second, third):
    """l1 at a Hopf point with Jacobian A and frequency omega > 0.

    ``second(u, v)`` and ``third(u, v, w)`` are the real multilinear forms B and
    C at the point.
    """
    n = A.shape[0]
    q, p = hopf_eigenvectors(A, omega)
    qbar = np.conj(q)
    h11 = np.linalg.solve(A, complex_bilinear(second, q, qbar))
    h20 = np.linalg.solve(2j * omega * np.eye(n) - A, complex_bilinear(second, q, q))
    g21 = (np.vdot(p, complex_trilinear(third, q, q, qbar))
           - 2 * np.vdot(p, complex_bilinear(second, q, h11))
           + np.vdot(p, complex_bilinear(second, qbar, h20)))
    return float(g21.real / (2.0 * omega))


def fold_eigenvectors(A):
    """q, p with A q ~ 0, A^T p ~ 0 (smallest singular vectors), |q| = 1, <p, q> = 1
    when possible (p is unit length when <p, q> ~ 0, i.e. at a Bogdanov-Takens point)."""
    u, _, vt = np.linalg.svd(A)
    q, p = vt[-1], u[:, -1]
    overlap = p @ q
    if abs(overlap) > 1e-8:
        p = p / overlap
    return q, p


def fold_coefficient(A, second):
    """a = <p, B(q, q)> / 2 at a fold (zero at a cusp)."""
    q, p = fold_eigenvectors(A)
    return float(0.5 * p @ second(q, q))
