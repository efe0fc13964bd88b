"""Generated kernels versus finite differences, and the on-disk code cache.

The derivative kernels (Df/dx, Df/dp, B, C) are checked against central
finite differences of the generated ``vector_field`` at hypothesis-drawn states,
parameters and directions, for every built-in model, for random cubic
polynomial models and for a model using the transcendental functions.

Tolerances: every comparison allows ``rtol * max(1, |exact|)`` (truncation,
scaled by the size of the result) plus an estimate of the rounding error of the
difference formula, ``K * eps * max|f| / h**k`` for a k-th difference. The
built-in models are quadratic in the states and the random models cubic, so
their second and third directional differences have no truncation error at all
and only the rounding term matters. The rtol values are about 10-100 times the
truncation errors measured beyond the rounding term over 3000 uniform random
points per model: 0 for the first derivatives (h = 1e-6: an h**2 truncation
of 1e-12 at most, below rounding) and for every difference of the built-in and
polynomial models; the transcendental model's B and C are quantified at
FD_SETTINGS.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import bifurc
from bifurc import Model, compile_model, load_model
from bifurc.codegen import _COMPILED

EPS = np.finfo(float).eps
BUILTINS = ("qif", "qif_syn", "ei")


# ------------------------------------------------------------ test models

def random_polynomial_spec(seed: int) -> dict:
    """3 states, 3 parameters; each equation a random integer-coefficient polynomial of
    degree <= 3 in the states (at least one cubic term) with parameter-dependent coefficients."""
    rng = random.Random(seed)
    states = ("x", "y", "z")
    monomials = [e for e in itertools.product(range(4), repeat=3) if sum(e) <= 3]
    cubic = [e for e in monomials if sum(e) == 3]
    factors = ["1", "a", "b", "c", "a*b", "c**2", "(a - 2*c)", "b*c"]
    equations = {}
    for state in states:
        chosen = [rng.choice(cubic)] + rng.sample([m for m in monomials if sum(m) < 3], 5)
        terms = []
        for powers in chosen:
            coefficient = rng.choice([-3, -2, -1, 1, 2, 3])
            monomial = "*".join(f"{s}**{k}" for s, k in zip(states, powers) if k) or "1"
            terms.append(f"({coefficient}) * {rng.choice(factors)} * {monomial}")
        equations[state] = " + ".join(terms)
    # make sure every parameter enters somewhere
    equations["x"] += " + a*b*c*y"
    return {
        "name": f"poly{seed}",
        "states": {s: 0.0 for s in states},
        "parameters": {"a": 1.0, "b": -1.0, "c": 0.5},
        "equations": equations,
    }


TRANSCENDENTAL_SPEC = {
    "name": "transcendental",
    "states": {"p": 0.1, "q": -0.2},
    "parameters": {"k": 1.0, "m": 0.5},
    "equations": {
        "p": "k * tanh(p * q) + exp(-m * p**2) * sin(q) + log(1 + p**2) - atan(k * q)",
        "q": "sqrt(1 + m**2 * q**2) * cos(p) - cosh(m * p) + sinh(q) / (2 + k**2) + abs(m) * tan(q / 4)",
    },
}

POLYNOMIAL_SEEDS = (0, 1)
MODEL_IDS = BUILTINS + tuple(f"poly{s}" for s in POLYNOMIAL_SEEDS) + ("transcendental",)


def build_model(model_id: str) -> Model:
    if model_id in BUILTINS:
        return load_model(model_id)
    if model_id.startswith("poly"):
        return Model.from_spec(random_polynomial_spec(int(model_id[4:])))
    return Model.from_spec(TRANSCENDENTAL_SPEC)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """All test models, compiled once into a private cache folder."""
    folder = tmp_path_factory.mktemp("kernels")
    return {model_id: compile_model(build_model(model_id), cache_dir=folder)
            for model_id in MODEL_IDS}


# ------------------------------------------------------------- strategies

def _floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def state_range(model_id, name):
    if model_id not in BUILTINS:
        return (-2.0, 2.0)
    if name.startswith("r"):
        return (0.001, 0.5)       # rates are positive
    if name.startswith("v"):
        return (-5.0, 5.0)
    return (0.0, 0.5)             # synaptic activations s, s_e, s_i


def parameter_range(model_id, name):
    if model_id not in BUILTINS:
        return (0.5, 2.0) if model_id == "transcendental" else (-3.0, 3.0)
    if name.startswith("tau"):
        return (1.0, 20.0)        # time constants well away from 0
    if name.startswith(("delta", "J", "g_")):
        return (0.0, 20.0)
    return (-20.0, 20.0)          # eta, I


@st.composite
def points(draw, model_id, model):
    x = np.array([draw(_floats(*state_range(model_id, n)), label=n) for n in model.state_names])
    p = np.array([draw(_floats(*parameter_range(model_id, n)), label=n)
                  for n in model.parameter_names])
    return x, p


def directions(n):
    return st.lists(_floats(-1.0, 1.0), min_size=n, max_size=n).map(np.array)


def draw_case(data, model_id, compiled_model, n_directions):
    model = compiled_model.model
    x, p = data.draw(points(model_id, model), label="x, p")
    dirs = [data.draw(directions(model.n_states), label=f"direction {i}")
            for i in range(n_directions)]
    return x, p, dirs


def assert_close(actual, expected, *, rtol, rounding, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, what
    allowed = rtol * max(1.0, float(np.max(np.abs(expected), initial=0.0))) + rounding
    error = np.max(np.abs(actual - expected), initial=0.0)
    assert error <= allowed, (f"{what}: max error {error:.3g} > allowed {allowed:.3g}\n"
                              f"kernel:\n{actual}\nfinite difference:\n{expected}")


def step(value, relative):
    """A step of relative size, made exactly representable around ``value``."""
    h = relative * max(1.0, abs(value))
    return (value + h) - value


#: model -> ((h, rtol) for B, (h, rtol) for C). The differences of the built-ins
#: (quadratic) and of the cubic polynomial models are exact up to rounding, so only a
#: small rtol is needed (and the polynomial models may use large steps). For the
#: transcendental model the truncation error is O(h**2 * |d|**2 * f^(k+2)), with
#: |d| = |u| + |v| (+ |w|) <= 2 (3); over 20000 random points on the test domain the
#: worst relative errors at h = 1e-3 were 2e-5 for B and 1.6e-4 for C (and 2e-2 for C
#: at h = 1e-2, which is why C does not use a larger step here).
FD_SETTINGS = {
    **{m: ((1e-3, 1e-12), (1e-2, 1e-12)) for m in BUILTINS},
    **{f"poly{s}": ((0.5, 1e-12), (0.5, 1e-12)) for s in POLYNOMIAL_SEEDS},
    "transcendental": ((1e-3, 1e-4), (1e-3, 1e-3)),
}

hypothesis_settings = settings(max_examples=30, deadline=None)
per_model = pytest.mark.parametrize("model_id", MODEL_IDS)


# ------------------------------------------------ kernels vs finite differences

@per_model
@hypothesis_settings
@given(data=st.data())
def test_vector_field_matches_sympy(compiled, model_id, data):
    c = compiled[model_id]
    x, p, _ = draw_case(data, model_id, c, 0)
    model = c.model
    values = dict(zip(model.state_symbols + model.parameter_symbols, [*x, *p]))
    expected = np.array([float(sp.N(rhs.xreplace(values), 30)) for rhs in model.rhs])
    # measured 1e-15 (150 random points per model)
    assert_close(c.vector_field(x, p), expected, rtol=1e-13, rounding=0.0, what="f")


@per_model
@hypothesis_settings
@given(data=st.data())
def test_state_jacobian(compiled, model_id, data):
    c = compiled[model_id]
    x, p, _ = draw_case(data, model_id, c, 0)
    columns, fscale, hmin = [], 1.0, np.inf
    for j in range(len(x)):
        h = step(x[j], 1e-6)
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        fp, fm = c.vector_field(xp, p), c.vector_field(xm, p)
        columns.append((fp - fm) / (2 * h))
        fscale, hmin = max(fscale, np.abs(fp).max(), np.abs(fm).max()), min(hmin, h)
    fd = np.column_stack(columns)
    assert_close(c.jacobian(x, p), fd, rtol=1e-10, rounding=16 * EPS * fscale / hmin,
                 what=f"Df/dx of {model_id}")


@per_model
@hypothesis_settings
@given(data=st.data())
def test_parameter_jacobian(compiled, model_id, data):
    c = compiled[model_id]
    x, p, _ = draw_case(data, model_id, c, 0)
    columns, fscale, hmin = [], 1.0, np.inf
    for k in range(len(p)):
        h = step(p[k], 1e-6)
        pp, pm = p.copy(), p.copy()
        pp[k] += h
        pm[k] -= h
        fp, fm = c.vector_field(x, pp), c.vector_field(x, pm)
        columns.append((fp - fm) / (2 * h))
        fscale, hmin = max(fscale, np.abs(fp).max(), np.abs(fm).max()), min(hmin, h)
    fd = np.column_stack(columns)
    assert c.parameter_jacobian(x, p).shape == (c.model.n_states, c.model.n_parameters)
    assert_close(c.parameter_jacobian(x, p), fd, rtol=1e-10, rounding=16 * EPS * fscale / hmin,
                 what=f"Df/dp of {model_id}")


def _stencil(c, x, p, h, dirs):
    """sum over signs s of prod(s) * f(x + h * sum_i s_i d_i), and the largest |f| used."""
    total, fscale = np.zeros(len(x)), 1.0
    for signs in itertools.product((1, -1), repeat=len(dirs)):
        f = c.vector_field(x + h * sum(s * d for s, d in zip(signs, dirs)), p)
        total += np.prod(signs) * f
        fscale = max(fscale, np.abs(f).max())
    return total, fscale


@per_model
@hypothesis_settings
@given(data=st.data())
def test_second_derivative(compiled, model_id, data):
    c = compiled[model_id]
    x, p, (u, v) = draw_case(data, model_id, c, 2)
    h, rtol = FD_SETTINGS[model_id][0]
    total, fscale = _stencil(c, x, p, h, (u, v))
    fd = total / (4 * h**2)
    assert_close(c.second_derivative(x, p, u, v), fd, rtol=rtol,
                 rounding=64 * EPS * fscale / h**2, what=f"B(u, v) of {model_id}")


@per_model
@hypothesis_settings
@given(data=st.data())
def test_third_derivative(compiled, model_id, data):
    c = compiled[model_id]
    x, p, (u, v, w) = draw_case(data, model_id, c, 3)
    h, rtol = FD_SETTINGS[model_id][1]
    total, fscale = _stencil(c, x, p, h, (u, v, w))
    fd = total / (8 * h**3)
    kernel = c.third_derivative(x, p, u, v, w)
    assert_close(kernel, fd, rtol=rtol, rounding=128 * EPS * fscale / h**3,
                 what=f"C(u, v, w) of {model_id} vs third difference of f")
    # sharper: C is the directional derivative of B along w (exact for the built-ins,
    # whose B is constant, and the poly models, whose B is linear in x; 3.5e-9 beyond
    # rounding for the transcendental model over 20000 points)
    hb = 0.5 if model_id.startswith("poly") else 1e-5   # B is quadratic in x for poly models
    bp, bm = c.second_derivative(x + hb * w, p, u, v), c.second_derivative(x - hb * w, p, u, v)
    bscale = max(1.0, np.abs(bp).max(), np.abs(bm).max())
    assert_close(kernel, (bp - bm) / (2 * hb), rtol=1e-7 if model_id == "transcendental" else 1e-12,
                 rounding=16 * EPS * bscale / hb, what=f"C(u, v, w) of {model_id} vs dB/dw")


@per_model
@hypothesis_settings
@given(data=st.data())
def test_second_derivative_symmetric_bilinear(compiled, model_id, data):
    c = compiled[model_id]
    x, p, (u, v, w) = draw_case(data, model_id, c, 3)
    a, b = data.draw(_floats(-2.0, 2.0), label="a"), data.draw(_floats(-2.0, 2.0), label="b")
    B = lambda s, t: c.second_derivative(x, p, s, t)  # noqa: E731
    scale = 1e-12 * max(1.0, np.abs(B(u, v)).max(), np.abs(B(u, w)).max(), np.abs(B(w, v)).max())
    assert_close(B(u, v), B(v, u), rtol=1e-12, rounding=scale, what="B symmetric")
    assert_close(B(a * u + b * w, v), a * B(u, v) + b * B(w, v), rtol=1e-11, rounding=10 * scale,
                 what="B linear in its first argument")


@per_model
@hypothesis_settings
@given(data=st.data())
def test_third_derivative_symmetric(compiled, model_id, data):
    c = compiled[model_id]
    x, p, (u, v, w) = draw_case(data, model_id, c, 3)
    reference = c.third_derivative(x, p, u, v, w)
    for perm in itertools.permutations((u, v, w)):
        assert_close(c.third_derivative(x, p, *perm), reference, rtol=1e-12, rounding=1e-12,
                     what="C symmetric")


def _fd_of_jacobian_action(c, x, p, v, which):
    """Central differences of A(x, p) v in the states or the parameters."""
    base = x if which == "state" else p
    columns, scale, hmin = [], 1.0, np.inf
    for k in range(len(base)):
        h = step(base[k], 1e-6)
        plus, minus = base.copy(), base.copy()
        plus[k] += h
        minus[k] -= h
        if which == "state":
            ap, am = c.jacobian(plus, p) @ v, c.jacobian(minus, p) @ v
        else:
            ap, am = c.jacobian(x, plus) @ v, c.jacobian(x, minus) @ v
        columns.append((ap - am) / (2 * h))
        scale, hmin = max(scale, np.abs(ap).max(), np.abs(am).max()), min(hmin, h)
    return np.column_stack(columns), 64 * EPS * scale / hmin


@per_model
@hypothesis_settings
@given(data=st.data())
def test_jacobian_action_derivatives(compiled, model_id, data):
    """D_x(A v) and D_p(A v) (Newton on fold/Hopf systems) vs differences of the Jacobian."""
    c = compiled[model_id]
    x, p, (v,) = draw_case(data, model_id, c, 1)
    n, m = c.model.n_states, c.model.n_parameters
    by_state = c.jacobian_action_state(x, p, v)
    by_parameter = c.jacobian_action_parameters(x, p, v)
    assert by_state.shape == (n, n) and by_parameter.shape == (n, m)
    fd, rounding = _fd_of_jacobian_action(c, x, p, v, "state")
    assert_close(by_state, fd, rtol=1e-10, rounding=rounding, what=f"D_x(A v) of {model_id}")
    fd, rounding = _fd_of_jacobian_action(c, x, p, v, "parameter")
    assert_close(by_parameter, fd, rtol=1e-10, rounding=rounding, what=f"D_p(A v) of {model_id}")
    # D_x(A v) e_k = B(v, e_k)
    from_b = np.column_stack([c.second_derivative(x, p, v, e) for e in np.eye(n)])
    assert_close(by_state, from_b, rtol=1e-12, rounding=1e-12, what="D_x(A v) = B(v, .)")


@pytest.mark.parametrize("model_id", BUILTINS)
def test_builtins_are_quadratic_in_states(compiled, model_id):
    """Why the built-ins' B and C differences are exact: f is a quadratic polynomial in x."""
    model = compiled[model_id].model
    for rhs in model.rhs:
        assert sp.Poly(rhs, *model.state_symbols).total_degree() <= 2
    x, p = model.initial_state(), model.parameters()
    ones = np.ones(model.n_states)
    assert np.all(compiled[model_id].third_derivative(x, p, ones, ones, ones) == 0.0)


# ---------------------------------------------------------------- coupling

@hypothesis_settings
@given(g_e=_floats(0.0, 20.0), g_i=_floats(0.0, 20.0), tau_e=_floats(1.0, 20.0))
def test_ei_coupling_matrix(compiled, g_e, g_i, tau_e):
    c = compiled["ei"]
    model = c.model
    params = model.parameters(g_e=g_e, g_i=g_i, tau_e=tau_e)
    H = c.coupling_matrix(params)
    expected = np.zeros((6, 6))
    expected[model.state_index("v_e"), model.state_index("s_e")] = g_e
    expected[model.state_index("v_i"), model.state_index("s_e")] = g_i
    np.testing.assert_array_equal(H, expected)
    # state order of the docs: r_e, v_e, s_e, r_i, v_i, s_i
    assert (H[1, 2], H[4, 2]) == (g_e, g_i)


@pytest.mark.parametrize("model_id", ["qif", "qif_syn"] + [f"poly{s}" for s in POLYNOMIAL_SEEDS])
def test_no_coupling_gives_zero_matrix(compiled, model_id):
    c = compiled[model_id]
    n = c.model.n_states
    np.testing.assert_array_equal(c.coupling_matrix(), np.zeros((n, n)))


def test_wrappers_validate_shapes(compiled):
    c = compiled["qif"]
    with pytest.raises(ValueError, match=r"state must have shape \(2,\)"):
        c.vector_field(np.zeros(3))
    with pytest.raises(ValueError, match=r"parameter vector must have shape \(5,\)"):
        c.jacobian(np.zeros(2), np.zeros(4))
    with pytest.raises(bifurc.ParameterError, match=r"unknown parameter 'Jx'"):
        c.vector_field(np.zeros(2), {"Jx": 1.0})


def test_parameter_forms_agree(compiled):
    """A ParameterSet, a dict and a raw vector give the same result (parameters are runtime)."""
    c = compiled["ei"]
    model = c.model
    ps = model.parameters(eta_e=3.0, J_ei=7.5)
    x = model.initial_state()
    by_set = c.vector_field(x, ps)
    np.testing.assert_array_equal(by_set, c.vector_field(x, {"eta_e": 3.0, "J_ei": 7.5}))
    np.testing.assert_array_equal(by_set, c.vector_field(x, ps.values))
    assert not np.array_equal(by_set, c.vector_field(x))


# -------------------------------------------------------------- disk cache

CACHE_MODEL_TOML = """\
name = "{name}"
[states]
x = 0.5
y = -0.25
[parameters]
k = {{ default = 2.0, bounds = [0.0, 10.0] }}
[equations]
x = "-k * x + y**2"
y = "{y_equation}"
"""

SECOND_PROCESS = textwrap.dedent("""
    import json, sys
    import numpy as np
    import bifurc, bifurc.codegen as codegen

    def no_render(model):
        raise AssertionError("render_module called: the cached module was not reused")

    codegen.render_module = no_render
    model = bifurc.load_model(sys.argv[1])
    compiled = bifurc.compile_model(model)
    x = np.array(json.loads(sys.argv[2]))
    f = compiled.vector_field(x)
    print(json.dumps({
        "path": str(compiled.source_path),
        "f": f.tolist(),
        "J": compiled.jacobian(x).tolist(),
        "numba_cache_hits": sum(compiled.kernels.vector_field.stats.cache_hits.values()),
    }))
""")


def _write_cache_model(folder, name, y_equation="x * y - sin(x)", default=None):
    text = CACHE_MODEL_TOML.format(name=name, y_equation=y_equation)
    if default is not None:
        text = text.replace("default = 2.0", f"default = {default}")
    path = folder / f"{name}_{abs(hash((y_equation, default)))}.toml"
    path.write_text(text)
    return path


def test_cache_file_reused_by_second_process(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("BIFURC_CACHE_DIR", str(cache))
    model_file = _write_cache_model(tmp_path, "cache_probe_a")
    model = load_model(model_file)
    c = compile_model(model)

    files = sorted(cache.glob("*.py"))
    assert len(files) == 1, files
    assert files[0].name.startswith("cache_probe_a_") and files[0] == c.source_path
    assert "def vector_field(x, p, out)" in c.source
    again = compile_model(model)  # in-process memo: same module, no new file
    assert again.kernels is c.kernels and again.source_path == c.source_path

    x = np.array([0.3, -1.1])
    f_here, J_here = c.vector_field(x), c.jacobian(x)   # also writes numba's cache
    before = files[0].stat()

    result = subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(model_file),
                             json.dumps(x.tolist())],
                            capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])

    after = files[0].stat()
    assert out["path"] == str(files[0])
    assert (after.st_mtime_ns, after.st_ino, after.st_size) == \
        (before.st_mtime_ns, before.st_ino, before.st_size)
    assert sorted(cache.glob("*.py")) == files
    np.testing.assert_array_equal(out["f"], f_here)
    np.testing.assert_array_equal(out["J"], J_here)
    np.testing.assert_allclose(f_here, [-2.0 * 0.3 + 1.1**2, 0.3 * -1.1 - np.sin(0.3)], rtol=1e-15)
    # the second process also skipped LLVM: numba loaded the machine code from disk
    assert out["numba_cache_hits"] >= 1


def test_changed_equation_gives_new_file(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("BIFURC_CACHE_DIR", str(cache))
    name = "cache_probe_b"
    first = compile_model(load_model(_write_cache_model(tmp_path, name)))
    first_stat = first.source_path.stat()

    changed = compile_model(load_model(_write_cache_model(tmp_path, name, "x * y - cos(x)")))
    assert changed.source_path != first.source_path
    assert changed.source_path.name.startswith(f"{name}_")
    assert sorted(cache.glob("*.py")) == sorted([first.source_path, changed.source_path])
    assert first.source_path.stat().st_mtime_ns == first_stat.st_mtime_ns

    x = np.array([0.3, -1.1])
    np.testing.assert_allclose(first.vector_field(x)[1], 0.3 * -1.1 - np.sin(0.3), rtol=1e-15)
    np.testing.assert_allclose(changed.vector_field(x)[1], 0.3 * -1.1 - np.cos(0.3), rtol=1e-15)

    # metadata (defaults, bounds) is not part of the generated code: same file, no rewrite
    _COMPILED.pop(str(first.source_path))   # force the on-disk lookup, not the memo
    same = compile_model(load_model(_write_cache_model(tmp_path, name, default=3.0)))
    assert same.source_path == first.source_path
    assert first.source_path.stat().st_mtime_ns == first_stat.st_mtime_ns
    assert len(list(cache.glob("*.py"))) == 2


def test_cache_directory_from_environment(tmp_path, monkeypatch):
    from bifurc.codegen import cache_directory
    monkeypatch.setenv("BIFURC_CACHE_DIR", str(tmp_path / "a"))
    assert cache_directory() == tmp_path / "a"
    monkeypatch.delenv("BIFURC_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_directory() == tmp_path / "xdg" / "bifurc"


def test_compile_model_binds_the_given_model(tmp_path):
    """Same equations, other defaults/bounds: shared kernels, but the wrapper uses this model."""
    first = Model.from_spec({"name": "memo_probe", "states": {"x": 1.0},
                             "parameters": {"k": {"default": 2.0, "bounds": [0.0, 10.0]}},
                             "equations": {"x": "-k * x"}})
    second = Model.from_spec({"name": "memo_probe", "states": {"x": 1.0},
                              "parameters": {"k": {"default": 3.0, "bounds": [0.0, 100.0]}},
                              "equations": {"x": "-k * x"}})
    assert first.fingerprint == second.fingerprint
    compile_model(first, cache_dir=tmp_path)
    c = compile_model(second, cache_dir=tmp_path)
    assert c.source_path.parent == tmp_path
    assert len(list(tmp_path.glob("*.py"))) == 1
    np.testing.assert_array_equal(c.vector_field([1.0]), [-3.0])      # second's default
    np.testing.assert_array_equal(c.vector_field([1.0], {"k": 50.0}), [-50.0])  # second's bounds
    assert c.model is second


def test_threads_share_one_fully_imported_module(tmp_path, monkeypatch):
    """Threads compiling the same new model at once: the module is rendered and
    imported once, and every thread gets it complete (a lock per module)."""
    import threading
    import time

    import bifurc.codegen as codegen

    rendered = []
    render = codegen.render_module

    def slow_render(model):  # widens the window in which threads could race
        rendered.append(model.name)
        time.sleep(0.3)
        return render(model)

    monkeypatch.setattr(codegen, "render_module", slow_render)
    model = Model.from_spec({"name": "thread_probe", "states": {"x": 1.0},
                             "parameters": {"k": 2.0}, "equations": {"x": "-k * x + x**3"}})
    barrier = threading.Barrier(4)
    results, errors = [], []

    def worker():
        barrier.wait()
        try:
            results.append(compile_model(model, cache_dir=tmp_path))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and rendered == ["thread_probe"]
    modules = {id(r.kernels) for r in results}
    assert len(modules) == 1
    x = np.array([0.5])
    for compiled in results:  # -k x + x^3 at x = 0.5, k = 2
        assert compiled.vector_field(x)[0] == -2 * 0.5 + 0.5**3


def test_cache_key_covers_generator_and_library_versions(monkeypatch):
    import sympy

    import bifurc.codegen as codegen

    model = load_model("qif")
    key = codegen.module_key(model)
    monkeypatch.setattr(sympy, "__version__", "0.0.0")
    assert codegen.module_key(model) != key
    monkeypatch.undo()
    assert codegen.module_key(model) == key
    monkeypatch.setattr(codegen, "_generator_source", lambda: "a changed generator")
    assert codegen.module_key(model) != key


def test_processes_sharing_an_empty_cache_agree(tmp_path):
    """Two processes compile the same model into one empty cache at once: both
    succeed, one generated file remains, and both evaluate f exactly."""
    import subprocess
    import sys

    script = (
        "import sys, numpy as np\n"
        "from bifurc.model import Model\n"
        "from bifurc.codegen import compile_model\n"
        "m = Model.from_spec({'name': 'process_probe', 'states': {'x': 1.0},"
        " 'parameters': {'k': 3.0}, 'equations': {'x': 'k * sin(x) - x'}})\n"
        "c = compile_model(m, cache_dir=sys.argv[1])\n"
        "print(repr(float(c.vector_field(np.array([0.7]))[0])))\n")
    runs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    expected = 3.0 * np.sin(0.7) - 0.7
    assert [float(out) for out, _ in outputs] == [expected, expected]
    assert len(list(tmp_path.glob("process_probe_*.py"))) == 1


def test_vector_field_rows_match_the_independent_field():
    """One compiled call over many states equals the ei field of docs/models.md
    (tests/ei_reference.py) at every row."""
    from ei_reference import DEFAULTS, field

    model = load_model("ei")
    values = {**DEFAULTS, "eta_e": 7.5, "J_ee": 12.0}
    rng = np.random.default_rng(3)
    X = rng.uniform([0.001, -3, 0.001, 0.001, -3, 0.001], [0.2, 3, 0.2, 0.2, 3, 0.2], (40, 6))
    rows = compile_model(model).vector_field_rows(X, model.parameters(**values))
    f = field(values)
    expected = np.array([f(0.0, x) for x in X])
    np.testing.assert_allclose(rows, expected, rtol=1e-13, atol=1e-13 * np.abs(expected).max())
    with pytest.raises(ValueError, match=r"shape \(m, 6\)"):
        compile_model(model).vector_field_rows(X[:, :5])
