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

At a Bogdanov-Takens point (a double zero eigenvalue with a Jordan block),
with A q0 = 0, A q1 = q0, A^T p1 = 0, A^T p0 = p1, <p0, q0> = <p1, q1> = 1,
<p0, q1> = <p1, q0> = 0 (Kuznetsov, *Practical computation of normal forms
on center manifolds at degenerate Bogdanov-Takens bifurcations*, IJBC 15,
2005), the restriction to the centre manifold is w0' = w1,
w1' = a w0^2 + b w0 w1 + ... with

    a = <p1, B(q0, q0)> / 2,    b = <p0, B(q0, q0)> + <p1, B(q0, q1)>.
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


def bogdanov_takens_vectors(A):
    """(q0, q1, p0, p1): the generalised eigenvectors of A and A^T at a
    Bogdanov-Takens point, |q0| = 1, <q0, q1> = 0 and the products of the
    module doc. Each comes from a bordered system, regular at a BT point."""
    n = A.shape[0]
    u, _, vt = np.linalg.svd(A)
    q0, p1 = vt[-1], u[:, -1]

    def bordered(matrix, column, row, rhs):
        system = np.block([[matrix, column[:, None]], [row[None, :], np.zeros((1, 1))]])
        return np.linalg.solve(system, np.concatenate([rhs, [0.0]]))[:n]

    q1 = bordered(A, p1, q0, q0)
    p1 = p1 / (p1 @ q1)
    p0 = bordered(A.T, q0, q1, p1)
    return q0, q1, p0, p1


def bogdanov_takens_coefficients(A, second) -> tuple[float, float]:
    """(a, b) of the BT normal form w1' = a w0^2 + b w0 w1 (module doc)."""
    q0, q1, p0, p1 = bogdanov_takens_vectors(A)
    b00 = second(q0, q0)
    return float(0.5 * p1 @ b00), float(p0 @ b00 + p1 @ second(q0, q1))
