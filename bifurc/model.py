"""Symbolic model definitions: states, parameters, equations, coupling.

A model is the autonomous vector field

    dx/dt = f(x, p),   x in R^n (states), p in R^m (parameters),

given as one SymPy expression per state, plus an optional linear coupling
matrix H (n x n, entries may depend on p) that says how nodes talk in a network
(``F_k = f(x_k) + eps * sum_j W[k, j] H x_j``, see docs/models.md).

The same specification is accepted from Python (:meth:`Model.from_spec`, or the
constructor) and from TOML/YAML files (:func:`bifurc.model_files.load_model`),
so the two can never disagree.
"""

from __future__ import annotations

import hashlib
import json
import keyword
import math
import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Mapping, Sequence

import numpy as np
import sympy as sp

from .errors import ModelDefinitionError, ParameterError
from .expressions import ALLOWED_CONSTANTS, ALLOWED_FUNCTIONS, parse_expression

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

_RESERVED = set(ALLOWED_FUNCTIONS) | set(ALLOWED_CONSTANTS) | {"t", "eps", "preset"}


@dataclass(frozen=True)
class State:
    """A state variable: name, default initial value, unit, meaning, and its
    physical domain, the closed interval ``[lower, upper]`` where the state
    makes sense (a firing rate or a synaptic activation is >= 0); states
    outside it are reported as unphysical, never as results."""

    name: str
    initial: float = 0.0
    unit: str = ""
    description: str = ""
    domain: tuple[float, float] = (-math.inf, math.inf)


@dataclass(frozen=True)
class Preset:
    """A named set of parameter values (e.g. a paper's), with where it comes
    from: ``model.parameters(preset=name)``, ``--preset name``."""

    name: str
    values: Mapping[str, float]
    source: str = ""


@dataclass(frozen=True)
class Parameter:
    """A parameter: name, default, bounds ``[lower, upper]``, unit, meaning.

    ``open_ends`` = (lower excluded, upper excluded): a time constant has
    bounds (0, inf), written ``bounds = "(0, inf)"`` in a model file, so
    tau = 0 (a division by zero in the equations) is refused.
    """

    name: str
    default: float
    bounds: tuple[float, float] = (-math.inf, math.inf)
    unit: str = ""
    description: str = ""
    open_ends: tuple[bool, bool] = (False, False)

    def __post_init__(self):
        # bounds may be written as in a model file: [lo, hi] or "(0, inf)"
        bounds, open_ends = _bounds(self.bounds, f"bounds of parameter `{self.name}`")
        object.__setattr__(self, "bounds", bounds)
        if isinstance(self.bounds, tuple) and not any(self.open_ends):
            object.__setattr__(self, "open_ends", open_ends)
        if len(self.open_ends) != 2 or not all(isinstance(e, bool) for e in self.open_ends):
            raise ModelDefinitionError(f"open_ends of parameter `{self.name}` must be two "
                                       f"booleans, got {self.open_ends!r}")

    @property
    def interval_text(self) -> str:
        """The bounds as an interval, e.g. "(0.0, inf)" or "[0.0, 1.0]"."""
        return interval_text(self.bounds, self.open_ends)

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies within the bounds (open ends excluded)."""
        lower, upper = self.bounds
        low_open, high_open = self.open_ends
        return ((lower < value if low_open else lower <= value)
                and (value < upper if high_open else value <= upper))

    def check(self, value, *, what="value") -> float:
        """Return ``value`` as float, or raise if it is non-finite or out of bounds."""
        if isinstance(value, (bool, np.bool_)):
            raise ParameterError(f"parameter `{self.name}` must be a number, got {value!r}")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"parameter `{self.name}` must be a number, got {value!r}") from None
        if not math.isfinite(value):
            raise ParameterError(f"parameter `{self.name}` must be finite, got {value}")
        if not self.contains(value):
            raise ParameterError(
                f"parameter `{self.name}` must lie in {self.interval_text}, got {what} {value}")
        return value


def interval_text(bounds, open_ends=(False, False)) -> str:
    """``[lo, hi]``, ``(lo, hi]``, ... with ``inf`` for infinite ends."""
    lower, upper = bounds
    return (f"{'(' if open_ends[0] else '['}{float(lower)}, {float(upper)}"
            f"{')' if open_ends[1] else ']'}")


@dataclass(frozen=True)
class CouplingTerm:
    """One entry H[target, source] = gain of the network coupling matrix."""

    target: str
    source: str
    gain: str = "1"


class ParameterSet(Mapping):
    """Validated, ordered parameter values of one model (immutable mapping).

    Create with ``model.parameters(**overrides)``; ``values`` is the float64
    vector in the model's parameter order, as compiled code expects it.
    """

    def __init__(self, model: "Model", values: Mapping[str, float]):
        self._model = model
        self._values = dict(values)
        self.values = np.array([self._values[n] for n in model.parameter_names], dtype=float)
        self.values.setflags(write=False)

    @property
    def model(self) -> "Model":
        return self._model

    def __getitem__(self, name):
        if name not in self._values:
            raise ParameterError(self._model.unknown_parameter_message(name))
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def replace(self, **overrides) -> "ParameterSet":
        """A copy with some values changed (validated like the constructor)."""
        return self._model.parameters(**{**self._values, **overrides})

    def __repr__(self):
        inner = ", ".join(f"{k}={v:g}" for k, v in self._values.items())
        return f"ParameterSet({self._model.name}: {inner})"


def _check_name(name, kind, allowed=()):
    if not isinstance(name, str) or not _NAME_RE.match(name) or keyword.iskeyword(name):
        raise ModelDefinitionError(
            f"{kind} name {name!r} is not valid: use letters, digits and '_', starting with a letter")
    if name in _RESERVED and name not in allowed:
        raise ModelDefinitionError(
            f"{kind} name {name!r} is reserved (built-in function, constant, time or coupling strength)")
    return name


def _as_float(value, where):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ModelDefinitionError(f"{where} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ModelDefinitionError(f"{where} must be finite, got {value}")
    return value


class Model:
    """A dynamical system dx/dt = f(x, p) defined symbolically.

    Parameters
    ----------
    name : str
    states : sequence of State (order = state vector order)
    parameters : sequence of Parameter (order = parameter vector order)
    equations : mapping state name -> expression string (or SymPy expression)
        The right-hand side dx/dt of each state.
    coupling : sequence of CouplingTerm, optional
        Non-zero entries of the network coupling matrix H.
    description, time_unit, references, noise_states : metadata
        ``noise_states`` are the states that receive additive noise by default.
    presets : sequence of Preset (named parameter sets), checked like overrides
    reserved_ok : names allowed although reserved (``homogeneous_model`` uses
        it for its coupling-strength parameter ``eps``)
    """

    def __init__(self, name: str, states: Sequence[State], parameters: Sequence[Parameter],
                 equations: Mapping[str, object], coupling: Sequence[CouplingTerm] = (),
                 description: str = "", time_unit: str = "ms",
                 references: Sequence[str] = (), noise_states: Sequence[str] | None = None,
                 reserved_ok: Sequence[str] = (), presets: Sequence[Preset] = ()):
        self.name = _check_name(name, "model")
        self.description = description
        self.time_unit = time_unit
        self.references = tuple(references)
        if not states:
            raise ModelDefinitionError(f"model {name!r} has no states")
        self.states = tuple(states)
        self.parameter_list = tuple(
            replace(p, default=_as_float(p.default, f"default of parameter `{p.name}`"))
            for p in parameters)
        seen = {}
        for kind, items in (("state", self.states), ("parameter", self.parameter_list)):
            for item in items:
                _check_name(item.name, kind, reserved_ok)
                if item.name in seen:
                    raise ModelDefinitionError(
                        f"duplicate name {item.name!r}: defined as {seen[item.name]} and as {kind}")
                seen[item.name] = kind
        for s in self.states:
            initial = _as_float(s.initial, f"initial value of state `{s.name}`")
            lower, upper = _interval(s.domain, f"domain of state `{s.name}`")
            if not lower <= initial <= upper:
                raise ModelDefinitionError(
                    f"initial value of state `{s.name}` ({initial}) lies outside its domain "
                    f"[{lower}, {upper}]")
        for p in self.parameter_list:
            default = p.default
            if not p.contains(default):
                raise ModelDefinitionError(
                    f"default of parameter `{p.name}` ({default}) lies outside its bounds "
                    f"{p.interval_text}")
        self.state_names = tuple(s.name for s in self.states)
        self.parameter_names = tuple(p.name for p in self.parameter_list)
        self.state_symbols = tuple(sp.Symbol(n, real=True) for n in self.state_names)
        self.parameter_symbols = tuple(sp.Symbol(n, real=True) for n in self.parameter_names)
        self._namespace = {s.name: s for s in self.state_symbols + self.parameter_symbols}
        self.equation_texts = self._check_equations(equations)
        self.rhs = tuple(self.parse(self.equation_texts[n], f"equation for `{n}`")
                         for n in self.state_names)
        self.coupling = tuple(self._check_coupling(coupling))
        self.noise_states = tuple(noise_states) if noise_states is not None else self.state_names
        for n in self.noise_states:
            if n not in self.state_names:
                raise ModelDefinitionError(f"noise state {n!r} is not a state of model {name!r}")
        self.presets = {}
        for preset in presets:
            _check_name(preset.name, "preset")
            if preset.name in self.presets:
                raise ModelDefinitionError(f"preset {preset.name!r} is defined twice")
            try:
                values = dict(self.parameters(**dict(preset.values)).items())
            except ParameterError as error:
                raise ModelDefinitionError(f"preset `{preset.name}`: {error}") from None
            self.presets[preset.name] = replace(
                preset, values={k: values[k] for k in preset.values}, source=str(preset.source))

    # ----------------------------------------------------------------- parsing
    def _check_equations(self, equations):
        if not isinstance(equations, Mapping):
            raise ModelDefinitionError("equations must map state names to expressions")
        for n in equations:
            if n not in self.state_names:
                raise ModelDefinitionError(
                    f"equation for {n!r}, which is not a state (states: {', '.join(self.state_names)})")
        missing = [n for n in self.state_names if n not in equations]
        if missing:
            raise ModelDefinitionError(f"state(s) without an equation: {', '.join(missing)}")
        return {n: str(equations[n]) for n in self.state_names}

    def parse(self, text: str, where: str) -> sp.Expr:
        """Parse an expression in the model's states and parameters.

        Only the model's own names, ``pi``, numbers, ``+ - * / **`` and calls of
        the functions in ``ALLOWED_FUNCTIONS`` may appear; anything else is an
        error that names it. The text is never run as Python code (see
        :func:`bifurc.expressions.parse_expression` for the grammar and limits).
        SymPy expressions are accepted and parsed from their text.
        """
        if isinstance(text, sp.Basic):
            text = str(text)
        return parse_expression(
            text, self._namespace, where,
            known=(f"known states: {', '.join(self.state_names)}; "
                   f"parameters: {', '.join(self.parameter_names)}"))

    def _check_coupling(self, coupling):
        seen = set()
        for term in coupling:
            for role in ("target", "source"):
                name = getattr(term, role)
                if name not in self.state_names:
                    raise ModelDefinitionError(
                        f"coupling {role} {name!r} is not a state of model {self.name!r}")
            if (term.target, term.source) in seen:
                raise ModelDefinitionError(
                    f"duplicate coupling term H[{term.target}, {term.source}]")
            seen.add((term.target, term.source))
            gain = self.parse(term.gain, f"coupling gain H[{term.target}, {term.source}]")
            if gain.free_symbols & set(self.state_symbols):
                raise ModelDefinitionError(
                    f"coupling gain H[{term.target}, {term.source}] must not depend on states")
            yield term

    # -------------------------------------------------------------- accessors
    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_parameters(self) -> int:
        return len(self.parameter_list)

    @cached_property
    def state_info(self) -> dict[str, State]:
        return {s.name: s for s in self.states}

    @cached_property
    def parameter_info(self) -> dict[str, Parameter]:
        return {p.name: p for p in self.parameter_list}

    def unknown_parameter_message(self, name) -> str:
        return (f"unknown parameter {name!r} for model {self.name!r}; "
                f"parameters are: {', '.join(self.parameter_names)}")

    def parameter_index(self, name: str) -> int:
        if name not in self.parameter_info:
            raise ParameterError(self.unknown_parameter_message(name))
        return self.parameter_names.index(name)

    def state_index(self, name: str) -> int:
        if name not in self.state_info:
            raise ParameterError(f"unknown state {name!r} for model {self.name!r}; "
                                 f"states are: {', '.join(self.state_names)}")
        return self.state_names.index(name)

    def parameters(self, preset: str | None = None, **overrides) -> ParameterSet:
        """The default parameters with the named ``preset`` (see ``presets``) and
        then ``overrides`` applied, validated.

        Unknown names, non-numbers, non-finite values and values outside a
        parameter's bounds raise :class:`ParameterError`, as does an unknown
        preset (the message lists the model's).
        """
        values = {p.name: p.default for p in self.parameter_list}
        if preset is not None:
            if preset not in self.presets:
                known = ", ".join(self.presets) or "none"
                raise ParameterError(f"model {self.name!r} has no preset {preset!r} "
                                     f"(presets: {known})")
            values.update(self.presets[preset].values)
        for name, value in overrides.items():
            if name not in values:
                raise ParameterError(self.unknown_parameter_message(name))
            values[name] = self.parameter_info[name].check(value)
        return ParameterSet(self, values)

    @cached_property
    def domain(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper): the bounds of every state's physical domain."""
        lower = np.array([s.domain[0] for s in self.states], dtype=float)
        upper = np.array([s.domain[1] for s in self.states], dtype=float)
        lower.setflags(write=False)
        upper.setflags(write=False)
        return lower, upper

    @property
    def has_domain(self) -> bool:
        """Whether any state has a bounded domain."""
        lower, upper = self.domain
        return bool(np.isfinite(lower).any() or np.isfinite(upper).any())

    def domain_violations(self, x, tolerance: float = 1e-12) -> list[str]:
        """The states of ``x`` (one state vector, or many as rows) outside their
        domain, as readable conditions that fail, e.g. ``["r_e >= 0 (r_e = -0.054)"]``;
        empty when every state lies in its domain (up to ``tolerance`` times
        max(1, |bound|))."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        lower, upper = self.domain
        slack_low = tolerance * np.maximum(1.0, np.abs(np.where(np.isfinite(lower), lower, 0)))
        slack_high = tolerance * np.maximum(1.0, np.abs(np.where(np.isfinite(upper), upper, 0)))
        problems = []
        for i, name in enumerate(self.state_names):
            low, high = x[:, i].min(), x[:, i].max()
            if low < lower[i] - slack_low[i]:
                problems.append(f"{name} >= {lower[i]:g} ({name} = {low:.6g})")
            if high > upper[i] + slack_high[i]:
                problems.append(f"{name} <= {upper[i]:g} ({name} = {high:.6g})")
        return problems

    def in_domain(self, x, tolerance: float = 1e-12) -> bool:
        """Whether the state (or every row of ``x``) lies in the physical domain."""
        return not self.domain_violations(x, tolerance)

    def initial_state(self, **overrides) -> np.ndarray:
        """The default initial state (float64 vector), with named values replaced."""
        x = np.array([s.initial for s in self.states], dtype=float)
        for name, value in overrides.items():
            x[self.state_index(name)] = value
        return x

    # ------------------------------------------------------------ serialising
    def to_spec(self) -> dict:
        """The plain-data specification (same schema as a model file)."""
        spec = {
            "name": self.name, "description": self.description, "time_unit": self.time_unit,
            "references": list(self.references), "noise_states": list(self.noise_states),
            "states": {s.name: {"initial": s.initial, "unit": s.unit, "description": s.description,
                                **({"domain": list(s.domain)}
                                   if s.domain != (-math.inf, math.inf) else {})}
                       for s in self.states},
            "parameters": {p.name: {"default": p.default, "bounds": (p.interval_text if any(p.open_ends)
                                                      else list(p.bounds)),
                                    "unit": p.unit,
                                    "description": p.description} for p in self.parameter_list},
            "equations": dict(self.equation_texts),
        }
        if self.coupling:
            spec["coupling"] = [{"target": c.target, "source": c.source, "gain": c.gain}
                                for c in self.coupling]
        if self.presets:
            spec["presets"] = {name: {"source": p.source, "values": dict(p.values)}
                               for name, p in self.presets.items()}
        return spec

    @classmethod
    def from_spec(cls, spec: Mapping, source: str = "model specification",
                  reserved_ok: Sequence[str] = ()) -> "Model":
        """Build a model from a plain-data specification (the model-file schema).

        See docs/model-files.md for the schema.
        """
        if not isinstance(spec, Mapping):
            raise ModelDefinitionError(f"{source}: top level must be a table/mapping")
        known = {"name", "description", "time_unit", "references", "noise_states", "states",
                 "parameters", "equations", "coupling", "presets"}
        extra = sorted(set(spec) - known)
        if extra:
            raise ModelDefinitionError(f"{source}: unknown key(s) {', '.join(extra)}; "
                                       f"allowed: {', '.join(sorted(known))}")
        for key in ("name", "states", "equations"):
            if key not in spec:
                raise ModelDefinitionError(f"{source}: missing required key `{key}`")
        states = [_state_from_spec(n, v, source) for n, v in _items(spec["states"], "states", source)]
        parameters = [_parameter_from_spec(n, v, source)
                      for n, v in _items(spec.get("parameters", {}), "parameters", source)]
        coupling = []
        for i, term in enumerate(spec.get("coupling", []) or []):
            if not isinstance(term, Mapping) or not {"target", "source"} <= set(term):
                raise ModelDefinitionError(
                    f"{source}: coupling term {i} needs `target` and `source` (and optional `gain`)")
            coupling.append(CouplingTerm(str(term["target"]), str(term["source"]),
                                         str(term.get("gain", "1"))))
        presets = [_preset_from_spec(n, v, source)
                   for n, v in _items(spec.get("presets", {}), "presets", source)]
        return cls(reserved_ok=reserved_ok, name=spec["name"], states=states, parameters=parameters,
                   equations=spec["equations"], coupling=coupling,
                   description=spec.get("description", ""), time_unit=spec.get("time_unit", "ms"),
                   references=spec.get("references", ()), noise_states=spec.get("noise_states"),
                   presets=presets)

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical symbolic content (names, order, equations, coupling).

        Two definitions with the same fingerprint compile to the same code.
        """
        content = {
            "states": self.state_names, "parameters": self.parameter_names,
            "rhs": [sp.srepr(e) for e in self.rhs],
            "coupling": [(c.target, c.source, sp.srepr(self.parse(c.gain, "gain")))
                         for c in self.coupling],
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def describe(self) -> str:
        """Human-readable equations and defaults (what `bifurc show` prints)."""
        lines = [f"model {self.name}: {self.description}".rstrip(": "), "",
                 f"equations (time in {self.time_unit}):"]
        width = max(len(n) for n in self.state_names)
        for n in self.state_names:
            lines.append(f"  d{n}/dt{' ' * (width - len(n))} = {self.equation_texts[n]}")
        lines += ["", "states (initial value, unit):"]
        for s in self.states:
            lines.append(f"  {s.name:<{width}} = {s.initial:<10g} {s.unit:<5} {s.description}")
        lines += ["", "parameters (default, bounds, unit):"]
        pw = max((len(n) for n in self.parameter_names), default=0)
        for p in self.parameter_list:
            lines.append(f"  {p.name:<{pw}} = {p.default:<8g} {p.interval_text}"
                         f" {p.unit:<6} {p.description}")
        if self.coupling:
            lines += ["", "network coupling  F_k = f(x_k) + eps * sum_j W[k, j] H x_j, with H:"]
            for c in self.coupling:
                lines.append(f"  H[{c.target}, {c.source}] = {c.gain}")
        if self.references:
            lines += ["", "references:"] + [f"  - {r}" for r in self.references]
        for preset in self.presets.values():
            lines += ["", f"preset {preset.name} (--preset {preset.name})"
                      + (f": {preset.source}" if preset.source else "")]
            lines += [f"  {k} = {v:g}" for k, v in preset.values.items()]
        return "\n".join(lines)

    def __repr__(self):
        return (f"Model({self.name!r}, states={list(self.state_names)}, "
                f"parameters={list(self.parameter_names)})")


def _items(table, what, source):
    if isinstance(table, Mapping):
        return list(table.items())
    raise ModelDefinitionError(f"{source}: `{what}` must be a table mapping names to entries")


def _state_from_spec(name, entry, source):
    if not isinstance(entry, Mapping):
        entry = {"initial": entry}
    extra = set(entry) - {"initial", "unit", "description", "domain"}
    if extra:
        raise ModelDefinitionError(f"{source}: state `{name}` has unknown key(s) {sorted(extra)}")
    domain = _interval(entry.get("domain", (-math.inf, math.inf)),
                       f"{source}: domain of state `{name}`")
    return State(name, _as_float(entry.get("initial", 0.0), f"initial value of state `{name}`"),
                 str(entry.get("unit", "")), str(entry.get("description", "")), domain)


def _interval(value, where) -> tuple[float, float]:
    """A closed interval [lower, upper] (inf allowed) from a two-element list;
    ``where`` names it in messages ("bounds of parameter `a`")."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ModelDefinitionError(f"{where} must be [lower, upper], got {value!r}")
    if any(isinstance(b, (str, bool)) for b in value):
        raise ModelDefinitionError(f"{where} must be numbers, got {list(value)}")
    try:
        lower, upper = (float(b) for b in value)
    except (TypeError, ValueError):
        raise ModelDefinitionError(f"{where} must be numbers, got {list(value)}") from None
    if math.isnan(lower) or math.isnan(upper) or lower > upper:
        raise ModelDefinitionError(f"{where} are not an interval: {list(value)}")
    return lower, upper


_INTERVAL_TEXT = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^,\s]+)\s*([\])])\s*$")


def _bounds(value, where) -> tuple[tuple[float, float], tuple[bool, bool]]:
    """(bounds, open_ends) from a list [lower, upper] (closed) or a text in
    interval notation, "(0, inf)", "[0, 1)", ... (numbers and inf only)."""
    if not isinstance(value, str):
        return _interval(value, where), (False, False)
    match = _INTERVAL_TEXT.match(value)
    if match is None:
        raise ModelDefinitionError(
            f"{where} must be [lower, upper] or an interval such as \"(0, inf)\", got {value!r}")
    opening, low, high, closing = match.groups()
    numbers = []
    for text in (low, high):
        text = text.replace(".inf", "inf")  # YAML's spelling of infinity
        if not re.fullmatch(r"[-+]?(inf|\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)", text):
            raise ModelDefinitionError(f"{where}: {text!r} is not a number")
        number = float(text)
        if math.isinf(number) and "inf" not in text:
            raise ModelDefinitionError(f"{where}: {text!r} is beyond the floating-point range")
        numbers.append(number)
    lower, upper = _interval(numbers, where)
    open_ends = (opening == "(", closing == ")")
    if lower == upper and any(open_ends):
        raise ModelDefinitionError(f"{where} are an empty interval: {value!r}")
    return (lower, upper), open_ends


def _parameter_from_spec(name, entry, source):
    if not isinstance(entry, Mapping):
        entry = {"default": entry}
    extra = set(entry) - {"default", "bounds", "unit", "description"}
    if extra:
        raise ModelDefinitionError(f"{source}: parameter `{name}` has unknown key(s) {sorted(extra)}")
    if "default" not in entry:
        raise ModelDefinitionError(f"{source}: parameter `{name}` has no default")
    bounds, open_ends = _bounds(entry.get("bounds", (-math.inf, math.inf)),
                                f"{source}: bounds of parameter `{name}`")
    # non-finite defaults are rejected by Model itself with the same message
    return Parameter(name, entry["default"], bounds, str(entry.get("unit", "")),
                     str(entry.get("description", "")), open_ends)


def _preset_from_spec(name, entry, source):
    if not isinstance(entry, Mapping) or "values" not in entry:
        raise ModelDefinitionError(f"{source}: preset `{name}` must be a table with `values` "
                                   f"(parameter = number) and an optional `source`")
    extra = set(entry) - {"values", "source"}
    if extra:
        raise ModelDefinitionError(f"{source}: preset `{name}` has unknown key(s) {sorted(extra)}")
    values = entry["values"]
    if not isinstance(values, Mapping):
        raise ModelDefinitionError(f"{source}: `values` of preset `{name}` must be a table "
                                   f"mapping parameter names to numbers")
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ModelDefinitionError(f"{source}: preset `{name}`: {key} = {value!r} is not a "
                                       f"number")
    if not isinstance(entry.get("source", ""), str):
        raise ModelDefinitionError(f"{source}: `source` of preset `{name}` must be text")
    return Preset(str(name), dict(values), entry.get("source", ""))


@lru_cache(maxsize=8)
def model_from_spec_json(spec_json: str) -> Model:
    """The model of a spec given as JSON text (how worker processes receive a
    model), parsed with SymPy once per process and spec."""
    return Model.from_spec(json.loads(spec_json))
