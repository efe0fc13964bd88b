"""Symbolic derivatives of a model's vector field (SymPy).

For f: R^n x R^m -> R^n these give

* the state Jacobian            A(x, p)_ij   = df_i/dx_j
* the parameter Jacobian        (f_p)_ik     = df_i/dp_k
* the second derivative form    B(x, p; u, v)_i    = sum_jk  d2f_i/dx_j dx_k  u_j v_k
* the third derivative form     C(x, p; u, v, w)_i = sum_jkl d3f_i/dx_j dx_k dx_l u_j v_k w_l

B and C are the multilinear forms of Kuznetsov, *Elements of Applied
Bifurcation Theory* (3rd ed., 2004), Sec. 3.5 and 5.4, used for normal-form
coefficients (first Lyapunov coefficient, cusp, Bautin, ...).
"""

from __future__ import annotations

import sympy as sp

from .model import Model


def direction_symbols(name: str, n: int) -> tuple[sp.Symbol, ...]:
    """Symbols ``name0 .. name{n-1}`` for the components of a direction vector."""
    return tuple(sp.Symbol(f"{name}{i}", real=True) for i in range(n))


def vector_field(model: Model) -> sp.Matrix:
    """f(x, p) as an n x 1 matrix."""
    return sp.Matrix(model.rhs)


def state_jacobian(model: Model) -> sp.Matrix:
    """Df/dx, n x n."""
    return vector_field(model).jacobian(sp.Matrix(model.state_symbols))


def parameter_jacobian(model: Model) -> sp.Matrix:
    """Df/dp, n x m."""
    if not model.parameter_symbols:
        return sp.zeros(model.n_states, 0)
    return vector_field(model).jacobian(sp.Matrix(model.parameter_symbols))


def second_derivative_form(model: Model, u, v) -> sp.Matrix:
    """B(x, p; u, v), symmetric bilinear in the directions u, v."""
    jac = state_jacobian(model)
    x = model.state_symbols
    rows = []
    for i in range(model.n_states):
        total = sp.Integer(0)
        for j in range(model.n_states):
            if jac[i, j] == 0:
                continue
            for k in range(model.n_states):
                d2 = sp.diff(jac[i, j], x[k])
                if d2 != 0:
                    total += d2 * u[j] * v[k]
        rows.append(total)
    return sp.Matrix(rows)


def third_derivative_form(model: Model, u, v, w) -> sp.Matrix:
    """C(x, p; u, v, w), symmetric trilinear in the directions u, v, w."""
    jac = state_jacobian(model)
    x = model.state_symbols
    n = model.n_states
    rows = []
    for i in range(n):
        total = sp.Integer(0)
        for j in range(n):
            if jac[i, j] == 0:
                continue
            for k in range(n):
                d2 = sp.diff(jac[i, j], x[k])
                if d2 == 0:
                    continue
                for m in range(n):
                    d3 = sp.diff(d2, x[m])
                    if d3 != 0:
                        total += d3 * u[j] * v[k] * w[m]
        rows.append(total)
    return sp.Matrix(rows)


def coupling_matrix(model: Model) -> sp.Matrix:
    """The network coupling matrix H (n x n; entries depend on p only)."""
    h = sp.zeros(model.n_states, model.n_states)
    for term in model.coupling:
        h[model.state_index(term.target), model.state_index(term.source)] = model.parse(
            term.gain, f"coupling gain H[{term.target}, {term.source}]")
    return h


def jacobian_action_derivatives(model: Model, v) -> tuple[sp.Matrix, sp.Matrix]:
    """D_x (A(x, p) v) (n x n) and D_p (A(x, p) v) (n x m) for a direction v.

    The first equals B(x, p; v, .); both are what Newton needs for the
    augmented defining systems of fold and Hopf curves.
    """
    action = state_jacobian(model) * sp.Matrix(v)
    by_state = action.jacobian(sp.Matrix(model.state_symbols))
    by_parameter = (action.jacobian(sp.Matrix(model.parameter_symbols)) if model.parameter_symbols
                    else sp.zeros(model.n_states, 0))
    return by_state, by_parameter


def hoist_parameter_expressions(model: Model):
    """Split f(x, p) into parameter-only subexpressions q_j(p) and f(x, p, q).

    Every maximal subexpression free of states that is more than a bare symbol
    or number (1/tau, pi^2 tau^2, delta/(pi tau^2), eta + I, ...) becomes a
    symbol q_j. Simulation kernels evaluate the q_j once per node and run (or
    when a stimulus changes p) instead of at every right-hand-side call, which
    removes the divisions from the hot loop. Returns (expressions, derived)
    with derived = [(q_j, expression in p), ...].
    """
    states = set(model.state_symbols)
    derived = {}

    def state_free(expr):
        return not (expr.free_symbols & states)

    def trivial(expr):
        return expr.is_Symbol or expr.is_Number

    def symbol_for(expr):
        if expr not in derived:
            derived[expr] = sp.Symbol(f"q{len(derived)}", real=True)
        return derived[expr]

    def walk(expr):
        if expr.is_Atom:
            return expr
        if state_free(expr):
            return expr if trivial(expr) else symbol_for(expr)
        if expr.is_Add or expr.is_Mul:
            free = [a for a in expr.args if state_free(a)]
            rest = [walk(a) for a in expr.args if not state_free(a)]
            if free:
                group = expr.func(*free)
                rest.append(group if trivial(group) else symbol_for(group))
            return expr.func(*rest)
        return expr.func(*[walk(a) for a in expr.args])

    expressions = [walk(sp.expand(e, deep=False, mul=True, multinomial=False, power_exp=False,
                                  power_base=False, log=False)) for e in model.rhs]
    return sp.Matrix(expressions), [(symbol, expr) for expr, symbol in derived.items()]
