"""Code generation: SymPy expressions -> numba ``@njit`` kernels, cached on disk.

For a model, one Python module is rendered with

* ``vector_field(x, p, out)``                 f(x, p)
* ``state_jacobian(x, p, out)``               Df/dx   (n x n)
* ``parameter_jacobian(x, p, out)``           Df/dp   (n x m)
* ``second_derivative(x, p, u, v, out)``      B(x, p; u, v)
* ``third_derivative(x, p, u, v, w, out)``    C(x, p; u, v, w)
* ``coupling_matrix(p, out)``                 H(p)    (n x n)
* ``jacobian_action_state(x, p, v, out)``     D_x(A v) (n x n), A = Df/dx
* ``jacobian_action_parameters(x, p, v, out)`` D_p(A v) (n x m)
* the network right-hand side and the integrators (``bifurc/kernels/*.py``
  appended verbatim, so they call this model's functions directly: no Python
  callbacks and no function arguments in the hot path).

Every expression goes through SymPy's common-subexpression elimination.
Parameters are runtime arguments (never baked in), so parameter sweeps never
recompile. The module is written to the cache folder under a name that hashes
the model's symbolic content, the kernel templates and the numba version; numba
caches its machine code next to it (``cache=True``), so a second process pays
neither SymPy nor LLVM time.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import threading
import time
from functools import cached_property
from importlib import resources
from pathlib import Path

import numba
import numpy as np
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from . import symbolic
from .files import write_text
from .model import Model, ParameterSet

#: Bump when the rendered code changes meaning (invalidates every cache entry).
CODEGEN_VERSION = "4"
#: Kernel templates appended to every generated module, in this order.
KERNEL_TEMPLATES = ("network.py", "integrators.py", "collocation.py", "variational.py")

_DECORATOR = "@nb.njit(cache=True, nogil=True, error_model=\"numpy\")"


def cache_directory() -> Path:
    """Folder of generated modules: ``$BIFURC_CACHE_DIR``, else ``$XDG_CACHE_HOME/bifurc``
    (default ``~/.cache/bifurc``)."""
    if os.environ.get("BIFURC_CACHE_DIR"):
        return Path(os.environ["BIFURC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bifurc"


class _Printer(PythonCodePrinter):
    """Python printer whose output numba compiles (math module, float literals)."""

    def __init__(self):
        super().__init__({"standard": "python3", "fully_qualified_modules": True})


def _local_names(model: Model) -> dict:
    """Safe Python identifiers for the model's symbols inside generated code."""
    names = {s: sp.Symbol(f"x_{s.name}", real=True) for s in model.state_symbols}
    names.update({s: sp.Symbol(f"p_{s.name}", real=True) for s in model.parameter_symbols})
    return names


def _render_function(name: str, docstring: str, model: Model, inputs, outputs: sp.Matrix) -> str:
    """Render ``def name(<inputs>, out)`` that writes ``outputs`` into ``out``.

    ``inputs`` is a list of (argument name, symbols it unpacks to). Output
    entries that are identically zero are written by one ``out[:] = 0``.
    """
    printer = _Printer()
    rename = _local_names(model)
    is_vector = outputs.shape[1] == 1
    entries = [((i, j), outputs[i, j].xreplace(rename)) for i in range(outputs.shape[0])
               for j in range(outputs.shape[1]) if outputs[i, j] != 0]
    lines = [_DECORATOR, f"def {name}({', '.join(a for a, _ in inputs)}, out):",
             f'    """{docstring}"""']
    used = set().union(*(e.free_symbols for _, e in entries)) if entries else set()
    for arg, symbols in inputs:
        for index, symbol in enumerate(symbols):
            local = rename.get(symbol, symbol)
            if local in used:
                lines.append(f"    {local} = {arg}[{index}]")
    replacements, reduced = sp.cse([e for _, e in entries], symbols=sp.numbered_symbols("_c"))
    for symbol, expr in replacements:
        lines.append(f"    {symbol} = {printer.doprint(expr)}")
    if len(entries) < outputs.shape[0] * outputs.shape[1]:
        lines.append("    out[:] = 0.0")
    for ((i, j), _), expr in zip(entries, reduced):
        target = f"out[{i}]" if is_vector else f"out[{i}, {j}]"
        lines.append(f"    {target} = {printer.doprint(expr)}")
    if not entries and outputs.shape[0] * outputs.shape[1] == 0:
        lines.append("    return")
    return "\n".join(lines) + "\n"


def _render_coupling(model: Model) -> str:
    """Coupling helpers for the network kernel.

    ``gather_coupling_sources(X, signals)``: signals[c, j] = X[j, source_c];
    ``add_coupling(p, eps, inputs_k, out_k)``: out_k[target] += eps * H[target, source_c] * inputs_k[c],
    where inputs_k[c] = sum_j W[k, j] X[j, source_c].
    """
    printer = _Printer()
    rename = _local_names(model)
    sources = sorted({model.state_index(c.source) for c in model.coupling})
    lines = [f"N_COUPLING_SOURCES = {len(sources)}", "", "", _DECORATOR,
             "def gather_coupling_sources(X, signals):",
             '    """signals[c, j] = X[j, source_c] for each state that carries coupling."""',
             "    for j in range(X.shape[0]):"]
    lines += [f"        signals[{c}, j] = X[j, {s}]" for c, s in enumerate(sources)] or ["        pass"]
    lines += ["", "", _DECORATOR, "def add_coupling(p, eps, inputs_k, out_k):",
              '    """out_k += eps * H(p) @ (W x)_k, using only the non-zero entries of H."""']
    used = False
    for term in model.coupling:
        gain = model.parse(term.gain, "gain").xreplace(rename)
        t, s = model.state_index(term.target), model.state_index(term.source)
        params = {rename[ps]: i for i, ps in enumerate(model.parameter_symbols)}
        expr = printer.doprint(gain.xreplace({k: sp.Symbol(f"p[{v}]") for k, v in params.items()}))
        lines.append(f"    out_k[{t}] += eps * ({expr}) * inputs_k[{sources.index(s)}]")
        used = True
    if not used:
        lines.append("    return")
    return "\n".join(lines) + "\n"


def _render_hoisted(model: Model) -> list[str]:
    """``extended_parameters(p, q)`` (q = [p, q_1(p), ...]) and
    ``vector_field_extended(x, q, out)`` = f(x, p) without parameter-only work."""
    expressions, derived = symbolic.hoist_parameter_expressions(model)
    ps = model.parameter_symbols
    q_symbols = tuple(ps) + tuple(symbol for symbol, _ in derived)
    extended = sp.Matrix(list(ps) + [expr for _, expr in derived])
    return [
        f"N_EXTENDED_PARAMETERS = {len(q_symbols)}\n",
        _render_function("extended_parameters",
                         "q = [p, q_1(p), ...]: p and its parameter-only subexpressions",
                         model, [("p", ps)], extended),
        _render_function("vector_field_extended", "f(x, p) from q = extended_parameters(p)",
                         model, [("x", model.state_symbols), ("q", q_symbols)], expressions),
    ]


def render_module(model: Model) -> str:
    """The full source of the generated module for ``model``."""
    n, m = model.n_states, model.n_parameters
    u = symbolic.direction_symbols("u", n)
    v = symbolic.direction_symbols("v", n)
    w = symbolic.direction_symbols("w", n)
    xs, ps = model.state_symbols, model.parameter_symbols
    parts = [
        f'"""Generated by bifurc for model {model.name!r} (fingerprint {model.fingerprint[:16]}).\n\n'
        f"Do not edit: regenerated from the model definition when it changes.\n\"\"\"\n",
        "import math\n\nimport numba as nb\nimport numpy as np\n",
        f"N_STATES = {n}\nN_PARAMETERS = {m}\n",
        _render_function("vector_field", "f(x, p)", model, [("x", xs), ("p", ps)],
                         symbolic.vector_field(model)),
        _render_function("state_jacobian", "Df/dx (n x n)", model, [("x", xs), ("p", ps)],
                         symbolic.state_jacobian(model)),
        _render_function("parameter_jacobian", "Df/dp (n x m)", model, [("x", xs), ("p", ps)],
                         symbolic.parameter_jacobian(model)),
        _render_function("second_derivative", "B(x, p; u, v)", model,
                         [("x", xs), ("p", ps), ("u", u), ("v", v)],
                         symbolic.second_derivative_form(model, u, v)),
        _render_function("third_derivative", "C(x, p; u, v, w)", model,
                         [("x", xs), ("p", ps), ("u", u), ("v", v), ("w", w)],
                         symbolic.third_derivative_form(model, u, v, w)),
        _render_function("coupling_matrix", "H(p) (n x n)", model, [("p", ps)],
                         symbolic.coupling_matrix(model)),
        _render_function("jacobian_action_state", "D_x (A(x, p) v)  (n x n)", model,
                         [("x", xs), ("p", ps), ("v", v)],
                         symbolic.jacobian_action_derivatives(model, v)[0]),
        _render_function("jacobian_action_parameters", "D_p (A(x, p) v)  (n x m)", model,
                         [("x", xs), ("p", ps), ("v", v)],
                         symbolic.jacobian_action_derivatives(model, v)[1]),
        _render_coupling(model),
        *_render_hoisted(model),
    ]
    for template in KERNEL_TEMPLATES:
        parts.append(f"# ---- kernel template bifurc/kernels/{template} ----\n")
        parts.append(_template_source(template))
    return "\n\n".join(parts)


@functools.cache
def _template_source(name: str) -> str:
    """A kernel template's text, read once per process (like an imported module)."""
    return resources.files("bifurc.kernels").joinpath(name).read_text()


@functools.cache
def _generator_source() -> str:
    """The text of the modules that write the generated code (this one and
    :mod:`bifurc.symbolic`): a change to either changes every cache key."""
    return "".join(Path(m.__file__).read_text() for m in (sys.modules[__name__], symbolic))


def module_key(model: Model) -> str:
    """Hash of everything the generated module depends on: the model's
    fingerprint, the generator's own source, the kernel templates and the
    versions of SymPy, numba and NumPy."""
    return _digest((CODEGEN_VERSION, sp.__version__, numba.__version__, np.__version__,
                    model.fingerprint, _generator_source(),
                    *(_template_source(t) for t in KERNEL_TEMPLATES)))


@functools.lru_cache(maxsize=64)
def _digest(parts: tuple) -> str:
    """SHA-256 (20 hex digits) of the strings ``parts``, remembered: called for
    every compile_model, which many computations call once per point."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def _import_file(module_name: str, path: Path):
    """Import the generated file as ``module_name``. Called with the module's
    lock held; a module whose execution fails is removed from ``sys.modules``."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


_COMPILED: dict[str, object] = {}  # fully imported generated modules, by file path
_LOCKS: dict[str, threading.Lock] = {}  # one lock per generated module
_LOCKS_GUARD = threading.Lock()


def _module_lock(memo: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(memo, threading.Lock())


def compile_model(model: Model, cache_dir: Path | None = None) -> "CompiledModel":
    """Generate (or reuse) the kernels of ``model``.

    The generated source lives in ``cache_dir`` (default :func:`cache_directory`)
    as ``<model>_<key>.py`` (key: :func:`module_key`); it is rendered only when
    absent and written atomically, so processes sharing the folder never read
    a partial file. Within a process a lock per module makes threads wait for
    one import: a half-imported module is never handed out. Machine code is
    compiled lazily by numba on first call, or all at once by
    :meth:`CompiledModel.warm_up`, and cached beside the source (numba's own
    cache, which other processes then load instead of compiling).
    """
    key = module_key(model)
    folder = Path(cache_dir) if cache_dir is not None else cache_directory()
    path = folder / f"{model.name}_{key}.py"
    start = time.perf_counter()
    memo = str(path)
    module = _COMPILED.get(memo)
    if module is None:
        with _module_lock(memo):
            module = _COMPILED.get(memo)
            if module is None:
                if not path.exists():
                    write_text(path, render_module(model))
                module = _import_file(f"bifurc_generated_{model.name}_{key}", path)
                _COMPILED[memo] = module
    # the module is shared by models with the same equations; the wrapper is bound
    # to this model (its defaults and bounds)
    return CompiledModel(model, module, path, time.perf_counter() - start)


def parameter_vector(model: Model, parameters) -> np.ndarray:
    """Parameters as a float64 vector in model order (ParameterSet, mapping or array)."""
    if parameters is None:
        return model.parameters().values.copy()
    if isinstance(parameters, ParameterSet):
        if parameters.model is not model and parameters.model.fingerprint != model.fingerprint:
            raise ValueError(f"parameters belong to model {parameters.model.name!r}, "
                             f"not {model.name!r}")
        return parameters.values.copy()
    if isinstance(parameters, dict):
        return model.parameters(**parameters).values.copy()
    values = np.asarray(parameters, dtype=float)
    if values.shape != (model.n_parameters,):
        raise ValueError(f"parameter vector must have shape ({model.n_parameters},), "
                         f"got {values.shape}")
    return values


def uncoupled_coupling():
    """The coupling tuple (eps, mode, W_dense, indptr, indices, weights) of nodes
    that are not coupled, as the network kernels read it."""
    empty_i = np.zeros(1, dtype=np.int64)
    return (0.0, 0, np.zeros((1, 1)), empty_i, empty_i, np.zeros(1))


class CompiledModel:
    """Compiled kernels of one model with allocating numpy wrappers.

    ``kernels`` is the generated module: its functions take preallocated
    outputs and are what hot loops call. The wrappers below allocate and accept
    a ParameterSet, a dict or a vector for ``p``.
    """

    def __init__(self, model: Model, module, source_path: Path, generation_seconds: float):
        self.model = model
        self.kernels = module
        self.source_path = source_path
        self.generation_seconds = generation_seconds

    def _xp(self, x, p):
        x = np.ascontiguousarray(x, dtype=float)
        if x.shape != (self.model.n_states,):
            raise ValueError(f"state must have shape ({self.model.n_states},), got {x.shape}")
        return x, parameter_vector(self.model, p)

    def vector_field(self, x, p=None) -> np.ndarray:
        x, p = self._xp(x, p)
        out = np.empty(self.model.n_states)
        self.kernels.vector_field(x, p, out)
        return out

    def vector_field_rows(self, X, p=None) -> np.ndarray:
        """f(x_k, p) for every row x_k of X (m, n), in one compiled call (the
        rows are evaluated as the uncoupled nodes of a network)."""
        X = np.ascontiguousarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.model.n_states:
            raise ValueError(f"states must have shape (m, {self.model.n_states}), got {X.shape}")
        P = np.repeat(parameter_vector(self.model, p)[None, :], X.shape[0], axis=0)
        signals, inputs = self.kernels.network_scratch(X.shape[0])
        out = np.empty_like(X)
        self.kernels.network_rhs(X, self.kernels.extend_parameters(P), uncoupled_coupling(),
                                 signals, inputs, out)
        return out

    def jacobian(self, x, p=None) -> np.ndarray:
        x, p = self._xp(x, p)
        out = np.empty((self.model.n_states, self.model.n_states))
        self.kernels.state_jacobian(x, p, out)
        return out

    def parameter_jacobian(self, x, p=None) -> np.ndarray:
        x, p = self._xp(x, p)
        out = np.empty((self.model.n_states, self.model.n_parameters))
        self.kernels.parameter_jacobian(x, p, out)
        return out

    def second_derivative(self, x, p, u, v) -> np.ndarray:
        x, p = self._xp(x, p)
        out = np.empty(self.model.n_states)
        self.kernels.second_derivative(x, p, np.asarray(u, float), np.asarray(v, float), out)
        return out

    def third_derivative(self, x, p, u, v, w) -> np.ndarray:
        x, p = self._xp(x, p)
        out = np.empty(self.model.n_states)
        self.kernels.third_derivative(x, p, np.asarray(u, float), np.asarray(v, float),
                                      np.asarray(w, float), out)
        return out

    def jacobian_action_state(self, x, p, v) -> np.ndarray:
        """D_x (A(x, p) v), n x n."""
        x, p = self._xp(x, p)
        out = np.empty((self.model.n_states, self.model.n_states))
        self.kernels.jacobian_action_state(x, p, np.asarray(v, float), out)
        return out

    def jacobian_action_parameters(self, x, p, v) -> np.ndarray:
        """D_p (A(x, p) v), n x m."""
        x, p = self._xp(x, p)
        out = np.empty((self.model.n_states, self.model.n_parameters))
        self.kernels.jacobian_action_parameters(x, p, np.asarray(v, float), out)
        return out

    def coupling_matrix(self, p=None) -> np.ndarray:
        p = parameter_vector(self.model, p)
        out = np.empty((self.model.n_states, self.model.n_states))
        self.kernels.coupling_matrix(p, out)
        return out

    @cached_property
    def source(self) -> str:
        return self.source_path.read_text()

    def __repr__(self):
        return f"CompiledModel({self.model.name!r}, source={str(self.source_path)!r})"
