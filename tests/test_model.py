"""Model loader and validation: every error names its problem; built-ins match docs/models.md.

Bad model files are written into pytest's ``tmp_path``. Each error test checks
both the exception type and (with ``match``) that the message names the
offending definition.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import bifurc
from bifurc import (CouplingTerm, Model, ModelDefinitionError, Parameter, ParameterError,
                    State, compile_model, load_model)

# --------------------------------------------------------------------------- helpers

#: A small valid model file; tests substitute pieces of it to break it.
GOOD_TOML = """\
name = "toy"
description = "a valid toy model"

[states]
x = { initial = 0.5, unit = "", description = "first state" }
y = { initial = -1.0 }

[parameters]
a = { default = 1.0, bounds = [0.0, 10.0] }
b = { default = -2.0 }

[equations]
x = "-a * x + y**2"
y = "x * y - b"

[[coupling]]
target = "y"
source = "x"
gain = "a"
"""


def write(tmp_path: Path, text: str, name: str = "model.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def load_text(tmp_path: Path, text: str, name: str = "model.toml") -> Model:
    return load_model(write(tmp_path, text, name))


def toy(equations=None, states=None, parameters=None, coupling=(), **kw) -> Model:
    """The GOOD_TOML model built in Python, with pieces replaced."""
    return Model(
        "toy",
        states if states is not None else [State("x", 0.5), State("y", -1.0)],
        parameters if parameters is not None else [Parameter("a", 1.0, (0.0, 10.0)),
                                                   Parameter("b", -2.0)],
        equations if equations is not None else {"x": "-a * x + y**2", "y": "x * y - b"},
        coupling=coupling, **kw)


def test_good_toml_loads(tmp_path):
    model = load_text(tmp_path, GOOD_TOML)
    assert model.name == "toy"
    assert model.state_names == ("x", "y")
    assert model.parameter_names == ("a", "b")
    assert [(c.target, c.source, c.gain) for c in model.coupling] == [("y", "x", "a")]


# ------------------------------------------------------------- equation errors

def test_unknown_symbol_in_equation(tmp_path):
    text = GOOD_TOML.replace('x = "-a * x + y**2"', 'x = "-a * x + y**2 + foo"')
    with pytest.raises(ModelDefinitionError, match=r"equation for `x` uses unknown symbol\(s\) foo"):
        load_text(tmp_path, text)


def test_unknown_symbol_message_lists_known_names():
    with pytest.raises(ModelDefinitionError, match=r"known states: x, y; parameters: a, b"):
        toy(equations={"x": "-x + zeta", "y": "y"})


@pytest.mark.parametrize("name", ["E", "I", "S", "N", "pi_", "oo", "beta", "gamma", "O"])
def test_sympy_names_are_not_builtins(name):
    """SymPy's own names (E, I, S, oo, ...) must not leak into equations."""
    with pytest.raises(ModelDefinitionError, match=rf"unknown symbol\(s\) {name}\b"):
        toy(equations={"x": f"-x + {name}", "y": "y"})


def test_unknown_function(tmp_path):
    text = GOOD_TOML.replace('y = "x * y - b"', 'y = "x * y - foo(b)"')
    with pytest.raises(ModelDefinitionError,
                       match=r"equation for `y` calls unknown function\(s\) foo; allowed: .*exp"):
        load_text(tmp_path, text)


@pytest.mark.parametrize("func", ["gamma", "Max", "erf", "Heaviside"])
def test_sympy_functions_are_not_allowed(func):
    with pytest.raises(ModelDefinitionError, match=rf"unknown function\(s\) {func}\b"):
        toy(equations={"x": f"-x + {func}(x)", "y": "y"})


def test_equation_does_not_parse():
    with pytest.raises(ModelDefinitionError, match=r"equation for `x` does not parse: '-x \+'"):
        toy(equations={"x": "-x +", "y": "y"})


def test_equation_empty():
    with pytest.raises(ModelDefinitionError, match=r"equation for `y` is empty"):
        toy(equations={"x": "-x", "y": "  "})


def test_equation_not_scalar():
    with pytest.raises(ModelDefinitionError, match=r"equation for `x` is not a scalar expression"):
        toy(equations={"x": "x == 1", "y": "y"})


def test_equation_not_finite():
    with pytest.raises(ModelDefinitionError, match=r"equation for `x` is not real and finite"):
        toy(equations={"x": "-x + 1/0", "y": "y"})


def test_equation_for_missing_state(tmp_path):
    text = GOOD_TOML.replace('[equations]\n', '[equations]\nz = "-z"\n')
    with pytest.raises(ModelDefinitionError,
                       match=r"equation for 'z', which is not a state \(states: x, y\)"):
        load_text(tmp_path, text)


def test_state_without_equation(tmp_path):
    text = GOOD_TOML.replace('y = "x * y - b"\n', "")
    with pytest.raises(ModelDefinitionError, match=r"state\(s\) without an equation: y"):
        load_text(tmp_path, text)


def test_model_without_states():
    with pytest.raises(ModelDefinitionError, match=r"model 'toy' has no states"):
        toy(states=[], equations={})


# ---------------------------------------------------------------- name errors

def test_duplicate_name_state_and_parameter(tmp_path):
    text = GOOD_TOML.replace("b = { default = -2.0 }", "x = { default = -2.0 }").replace(
        '"x * y - b"', '"x * y"')
    with pytest.raises(ModelDefinitionError,
                       match=r"duplicate name 'x': defined as state and as parameter"):
        load_text(tmp_path, text)


def test_duplicate_name_in_python():
    with pytest.raises(ModelDefinitionError,
                       match=r"duplicate name 'a': defined as parameter and as parameter"):
        toy(parameters=[Parameter("a", 1.0), Parameter("b", 0.0), Parameter("a", 2.0)])
    with pytest.raises(ModelDefinitionError, match=r"duplicate name 'x': defined as state and as state"):
        toy(states=[State("x"), State("y"), State("x")])


def test_duplicate_key_in_toml_does_not_parse(tmp_path):
    text = GOOD_TOML.replace("y = { initial = -1.0 }", "y = { initial = -1.0 }\nx = { initial = 3.0 }")
    path = write(tmp_path, text)
    with pytest.raises(ModelDefinitionError, match=rf"{re.escape(str(path))} does not parse as TOML"):
        load_model(path)


@pytest.mark.parametrize("table", ["states", "parameters", "equations"])
def test_duplicate_key_in_yaml_does_not_parse(tmp_path, table):
    """PyYAML's default loader keeps the last of duplicate keys; the loader must refuse."""
    entries = {"states": "  x: 0.5\n", "parameters": "  a: {default: 1.0}\n",
               "equations": "  x: '-a * x'\n"}
    text = "name: toy\n" + "".join(
        f"{key}:\n{line * (2 if key == table else 1)}" for key, line in entries.items())
    path = write(tmp_path, text, "model.yaml")
    with pytest.raises(ModelDefinitionError,
                       match=rf"{re.escape(str(path))} does not parse as YAML: .*duplicate key"):
        load_model(path)


@pytest.mark.parametrize("kind", ["state", "parameter", "model"])
@pytest.mark.parametrize("bad", ["lambda", "class", "2x", "_x", "x-y", "x y", "", "é"])
def test_invalid_names(kind, bad):
    with pytest.raises(ModelDefinitionError, match=rf"{kind} name {re.escape(repr(bad))} is not valid"):
        if kind == "state":
            toy(states=[State("x"), State("y"), State(bad)],
                equations={"x": "-x", "y": "y", bad: "0"})
        elif kind == "parameter":
            toy(parameters=[Parameter("a", 1.0), Parameter("b", 1.0), Parameter(bad, 1.0)])
        else:
            Model(bad, [State("x")], [], {"x": "-x"})


@pytest.mark.parametrize("bad", ["pi", "exp", "sqrt", "abs", "t", "eps"])
def test_reserved_names(tmp_path, bad):
    text = GOOD_TOML.replace("b = { default = -2.0 }", f"{bad} = {{ default = -2.0 }}").replace(
        '"x * y - b"', '"x * y"')
    with pytest.raises(ModelDefinitionError, match=rf"parameter name '{bad}' is reserved"):
        load_text(tmp_path, text)


def test_reserved_state_name():
    with pytest.raises(ModelDefinitionError, match=r"state name 'pi' is reserved"):
        toy(states=[State("x"), State("pi")], equations={"x": "-x", "pi": "0"})


# ---------------------------------------------------------- numeric definitions

@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_non_finite_default(tmp_path, value):
    text = GOOD_TOML.replace("b = { default = -2.0 }", f"b = {{ default = {value} }}")
    with pytest.raises(ModelDefinitionError, match=r"default of parameter `b` must be finite"):
        load_text(tmp_path, text)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_initial_value(tmp_path, value):
    text = GOOD_TOML.replace("y = { initial = -1.0 }", f"y = {{ initial = {value} }}")
    with pytest.raises(ModelDefinitionError, match=r"initial value of state `y` must be finite"):
        load_text(tmp_path, text)


def test_non_finite_in_python():
    with pytest.raises(ModelDefinitionError, match=r"default of parameter `a` must be finite, got nan"):
        toy(parameters=[Parameter("a", math.nan), Parameter("b", 0.0)])
    with pytest.raises(ModelDefinitionError, match=r"initial value of state `x` must be finite, got inf"):
        toy(states=[State("x", math.inf), State("y")])


def test_non_numeric_default(tmp_path):
    text = GOOD_TOML.replace("b = { default = -2.0 }", 'b = { default = "big" }')
    with pytest.raises(ModelDefinitionError, match=r"default of parameter `b` must be a number, got 'big'"):
        load_text(tmp_path, text)


@pytest.mark.parametrize("default", ["-0.5", "10.5", "1e300"])
def test_default_outside_bounds(tmp_path, default):
    text = GOOD_TOML.replace("a = { default = 1.0,", f"a = {{ default = {default},")
    with pytest.raises(ModelDefinitionError,
                       match=r"default of parameter `a` \(.*\) lies outside its bounds \[0\.0, 10\.0\]"):
        load_text(tmp_path, text)


def test_default_on_bounds_is_allowed(tmp_path):
    for default in ("0.0", "10.0"):
        text = GOOD_TOML.replace("a = { default = 1.0,", f"a = {{ default = {default},")
        assert load_text(tmp_path, text).parameters()["a"] == float(default)


def test_bounds_not_an_interval(tmp_path):
    text = GOOD_TOML.replace("bounds = [0.0, 10.0]", "bounds = [10.0, 0.0]")
    with pytest.raises(ModelDefinitionError, match=r"bounds of parameter `a` are not an interval"):
        load_text(tmp_path, text)
    text = GOOD_TOML.replace("bounds = [0.0, 10.0]", "bounds = [0.0]")
    with pytest.raises(ModelDefinitionError, match=r"bounds of parameter `a` must be \[lower, upper\]"):
        load_text(tmp_path, text)


def test_non_numeric_bounds(tmp_path):
    text = GOOD_TOML.replace("bounds = [0.0, 10.0]", 'bounds = ["lo", 10.0]')
    with pytest.raises(ModelDefinitionError, match=r"bounds of parameter `a` must be numbers"):
        load_text(tmp_path, text)


# ------------------------------------------------------------------ structure

def test_parameter_without_default(tmp_path):
    text = GOOD_TOML.replace("b = { default = -2.0 }", 'b = { unit = "mV" }')
    with pytest.raises(ModelDefinitionError, match=r"parameter `b` has no default"):
        load_text(tmp_path, text)


def test_unknown_top_level_key(tmp_path):
    text = GOOD_TOML.replace('description = "a valid toy model"', 'descripton = "typo"')
    with pytest.raises(ModelDefinitionError, match=r"unknown key\(s\) descripton"):
        load_text(tmp_path, text)


def test_unknown_entry_key(tmp_path):
    text = GOOD_TOML.replace("y = { initial = -1.0 }", "y = { inital = -1.0 }")
    with pytest.raises(ModelDefinitionError, match=r"state `y` has unknown key\(s\) \['inital'\]"):
        load_text(tmp_path, text)
    text = GOOD_TOML.replace("b = { default = -2.0 }", "b = { default = -2.0, bound = [0, 1] }")
    with pytest.raises(ModelDefinitionError, match=r"parameter `b` has unknown key\(s\) \['bound'\]"):
        load_text(tmp_path, text)


@pytest.mark.parametrize("key", ["name", "states", "equations"])
def test_missing_required_key(key):
    spec = load_model("qif").to_spec()
    del spec[key]
    with pytest.raises(ModelDefinitionError, match=rf"missing required key `{key}`"):
        Model.from_spec(spec)


def test_noise_state_not_a_state():
    with pytest.raises(ModelDefinitionError, match=r"noise state 'z' is not a state of model 'toy'"):
        toy(noise_states=["x", "z"])


# --------------------------------------------------------------- file errors

def test_toml_does_not_parse(tmp_path):
    path = write(tmp_path, GOOD_TOML.replace("[equations]", "[equations"))
    with pytest.raises(ModelDefinitionError, match=rf"{re.escape(str(path))} does not parse as TOML"):
        load_model(path)


def test_yaml_does_not_parse(tmp_path):
    path = write(tmp_path, "name: toy\nstates: [x: 1\n", "model.yaml")
    with pytest.raises(ModelDefinitionError, match=rf"{re.escape(str(path))} does not parse as YAML"):
        load_model(path)


def test_yaml_top_level_not_a_mapping(tmp_path):
    path = write(tmp_path, "- just\n- a list\n", "model.yml")
    with pytest.raises(ModelDefinitionError, match=r"top level must be a table/mapping"):
        load_model(path)


def test_yaml_model_equals_toml_model(tmp_path):
    import yaml  # PyYAML is in the `test` extra: the YAML tests fail without it, never skip

    toml_model = load_text(tmp_path, GOOD_TOML)
    path = write(tmp_path, yaml.safe_dump(toml_model.to_spec()), "model.yaml")
    assert load_model(path).fingerprint == toml_model.fingerprint
    assert load_model(str(path)).to_spec() == toml_model.to_spec()


@pytest.mark.parametrize("name", ["missing.toml", "missing.yaml", "missing.yml"])
def test_nonexistent_file(tmp_path, name):
    path = tmp_path / name
    with pytest.raises(ModelDefinitionError, match=rf"model file {re.escape(repr(str(path)))} does not exist"):
        load_model(path)


def test_nonexistent_path_without_suffix(tmp_path):
    path = str(tmp_path / "nothing_here")
    with pytest.raises(ModelDefinitionError, match=r"does not exist"):
        load_model(path)


def test_unknown_builtin():
    with pytest.raises(ModelDefinitionError,
                       match=r"unknown model 'no_such_model': not a built-in \(ei, qif, qif_syn\)"):
        load_model("no_such_model")


# ------------------------------------------------------------ coupling errors

@pytest.mark.parametrize("role", ["target", "source"])
def test_coupling_to_non_state(tmp_path, role):
    text = GOOD_TOML.replace(f'{role} = "{"y" if role == "target" else "x"}"', f'{role} = "a"')
    with pytest.raises(ModelDefinitionError, match=rf"coupling {role} 'a' is not a state of model 'toy'"):
        load_text(tmp_path, text)


def test_coupling_gain_depends_on_state(tmp_path):
    text = GOOD_TOML.replace('gain = "a"', 'gain = "a * x"')
    with pytest.raises(ModelDefinitionError, match=r"coupling gain H\[y, x\] must not depend on states"):
        load_text(tmp_path, text)


def test_coupling_gain_unknown_symbol():
    with pytest.raises(ModelDefinitionError, match=r"coupling gain H\[y, x\] uses unknown symbol\(s\) g"):
        toy(coupling=[CouplingTerm("y", "x", "g")])


def test_duplicate_coupling_term():
    with pytest.raises(ModelDefinitionError, match=r"duplicate coupling term H\[y, x\]"):
        toy(coupling=[CouplingTerm("y", "x", "a"), CouplingTerm("y", "x", "b")])


def test_coupling_term_needs_target_and_source(tmp_path):
    text = GOOD_TOML.replace('target = "y"\n', "")
    with pytest.raises(ModelDefinitionError, match=r"coupling term 0 needs `target` and `source`"):
        load_text(tmp_path, text)


# ----------------------------------------------------------- parameter values

def test_parameters_defaults_and_overrides():
    model = toy()
    p = model.parameters()
    assert dict(p) == {"a": 1.0, "b": -2.0}
    assert p.values.tolist() == [1.0, -2.0]
    q = model.parameters(b=3)
    assert q["b"] == 3.0 and isinstance(q["b"], float)
    assert p.replace(a=2.0).values.tolist() == [2.0, -2.0]
    assert p["b"] == -2.0  # replace() returns a copy


def test_parameters_unknown_name():
    with pytest.raises(ParameterError, match=r"unknown parameter 'c' for model 'toy'; parameters are: a, b"):
        toy().parameters(c=1.0)
    with pytest.raises(ParameterError, match=r"unknown parameter 'c'"):
        toy().parameters()["c"]
    with pytest.raises(ParameterError, match=r"unknown parameter 'c'"):
        toy().parameter_index("c")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_parameters_non_finite(value):
    with pytest.raises(ParameterError, match=r"parameter `b` must be finite"):
        toy().parameters(b=value)


@pytest.mark.parametrize("value", [-1e-9, 10.000001, 1e308])
def test_parameters_out_of_bounds(value):
    with pytest.raises(ParameterError, match=r"parameter `a` must lie in \[0\.0, 10\.0\]"):
        toy().parameters(a=value)
    with pytest.raises(ParameterError, match=r"parameter `a` must lie in"):
        toy().parameters().replace(a=value)


def test_parameters_not_a_number():
    with pytest.raises(ParameterError, match=r"parameter `a` must be a number, got 'one'"):
        toy().parameters(a="one")


def test_builtin_bounds_are_enforced():
    with pytest.raises(ParameterError, match=r"parameter `tau_se` must lie in \(0\.0, inf\)"):
        load_model("ei").parameters(tau_se=-1.0)
    with pytest.raises(ParameterError, match=r"parameter `J_ei` must lie in"):
        load_model("ei").parameters(J_ei=-0.1)


def test_unknown_state_name():
    with pytest.raises(ParameterError, match=r"unknown state 'z' for model 'toy'; states are: x, y"):
        toy().initial_state(z=1.0)


# --------------------------------------------------------- built-in models

#: From docs/models.md (state order and parameter names are public interface).
DOC_STATES = {
    "qif": ("r", "v"),
    "qif_syn": ("r", "v", "s"),
    "ei": ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i"),
}
DOC_PARAMETERS = {
    "qif": ("tau", "delta", "eta", "J", "I"),
    "qif_syn": ("tau", "tau_s", "delta", "eta", "J", "I"),
    # section 3 lists 14 parameters; section 4 adds the network gains g_e, g_i
    "ei": ("tau_e", "tau_i", "tau_se", "tau_si", "delta_e", "delta_i", "eta_e", "eta_i",
           "J_ee", "J_ei", "J_ie", "J_ii", "I_e", "I_i", "g_e", "g_i"),
}


def test_builtin_names():
    assert bifurc.builtin_model_names() == ["ei", "qif", "qif_syn"]


@pytest.mark.parametrize("name", sorted(DOC_STATES))
def test_builtin_interface_matches_docs(name):
    model = load_model(name)
    assert model.name == name
    assert model.state_names == DOC_STATES[name]
    assert model.parameter_names == DOC_PARAMETERS[name]
    assert model.time_unit == "ms"
    assert model.references


def test_ei_network_gain_defaults():
    p = load_model("ei").parameters()
    assert (p["g_e"], p["g_i"]) == (1.0, 1.0)


def _doc_equations(name, s):
    """docs/models.md, written independently; ``s`` maps names to the model's symbols."""
    pi = sp.pi
    if name == "qif":
        return {
            "r": (s["delta"] / (pi * s["tau"]) + 2 * s["r"] * s["v"]) / s["tau"],
            "v": (s["v"]**2 + s["eta"] + s["J"] * s["tau"] * s["r"] - (pi * s["tau"] * s["r"])**2
                  + s["I"]) / s["tau"],
        }
    if name == "qif_syn":
        return {
            "r": (s["delta"] / (pi * s["tau"]) + 2 * s["r"] * s["v"]) / s["tau"],
            "v": (s["v"]**2 + s["eta"] + s["J"] * s["tau"] * s["s"] - (pi * s["tau"] * s["r"])**2
                  + s["I"]) / s["tau"],
            "s": (-s["s"] + s["r"]) / s["tau_s"],
        }
    eqs = {}
    te, ti = s["tau_e"], s["tau_i"]
    eqs["r_e"] = (s["delta_e"] / (pi * te) + 2 * s["r_e"] * s["v_e"]) / te
    eqs["v_e"] = (s["v_e"]**2 + s["eta_e"] - (pi * te * s["r_e"])**2
                  + te * (s["J_ee"] * s["s_e"] - s["J_ei"] * s["s_i"]) + s["I_e"]) / te
    eqs["s_e"] = (-s["s_e"] + s["r_e"]) / s["tau_se"]
    eqs["r_i"] = (s["delta_i"] / (pi * ti) + 2 * s["r_i"] * s["v_i"]) / ti
    eqs["v_i"] = (s["v_i"]**2 + s["eta_i"] - (pi * ti * s["r_i"])**2
                  + ti * (s["J_ie"] * s["s_e"] - s["J_ii"] * s["s_i"]) + s["I_i"]) / ti
    eqs["s_i"] = (-s["s_i"] + s["r_i"]) / s["tau_si"]
    return eqs


def states_differing_from_docs(model, name):
    """The states whose equation in ``model`` is not docs/models.md's for ``name``."""
    symbols = {sym.name: sym for sym in model.state_symbols + model.parameter_symbols}
    expected = _doc_equations(name, symbols)
    assert set(expected) == set(model.state_names)
    return [state for state, rhs in zip(model.state_names, model.rhs)
            if sp.simplify(rhs - expected[state]) != 0]


@pytest.mark.parametrize("name", sorted(DOC_STATES))
def test_builtin_equations_match_docs(name):
    assert states_differing_from_docs(load_model(name), name) == []


@pytest.mark.parametrize("state, extra", [("r", " - r**2"), ("v", " - v / tau")])
def test_docs_comparison_rejects_known_wrong_variants(state, extra):
    """The doc's warning: an extra -r**2 or a leak -v is not the exact mean field.
    A qif model file with either term added must fail the comparison above (so
    the comparison, and the parsing of the extra term, can tell them apart)."""
    spec = load_model("qif").to_spec()
    spec["equations"][state] = f"({spec['equations'][state]}){extra}"
    assert states_differing_from_docs(Model.from_spec(spec), "qif") == [state]


def test_ei_coupling_is_documented_h():
    model = load_model("ei")
    assert sorted((c.target, c.source, c.gain) for c in model.coupling) == [
        ("v_e", "s_e", "g_e"), ("v_i", "s_e", "g_i")]


def test_qif_fixed_point_fact():
    """models.md: fixed points of qif satisfy v = -delta / (2 pi tau r)."""
    model = load_model("qif")
    s = {sym.name: sym for sym in model.state_symbols + model.parameter_symbols}
    v_star = -s["delta"] / (2 * sp.pi * s["tau"] * s["r"])
    assert sp.simplify(model.rhs[0].subs(s["v"], v_star)) == 0


# ----------------------------------------------- Python vs file definitions

QIF_EQUATIONS = {"r": "(delta / (pi * tau) + 2 * r * v) / tau",
                 "v": "(v**2 + eta + J * tau * r - (pi * tau * r)**2 + I) / tau"}


def test_python_model_has_same_fingerprint_as_file(tmp_path):
    python_model = Model(
        "toy",
        [State("x", 0.5, description="first state"), State("y", -1.0)],
        [Parameter("a", 1.0, (0.0, 10.0)), Parameter("b", -2.0)],
        {"x": "-a * x + y**2", "y": "x * y - b"},
        coupling=[CouplingTerm("y", "x", "a")], description="a valid toy model")
    file_model = load_text(tmp_path, GOOD_TOML)
    assert python_model.fingerprint == file_model.fingerprint
    assert python_model.to_spec() == file_model.to_spec()


def test_from_spec_dict_matches_builtin_file():
    spec = {
        "name": "qif",
        "states": {"r": {"initial": 0.1}, "v": {"initial": -2.0}},
        "parameters": {"tau": {"default": 1.0, "bounds": [0.0, math.inf]}, "delta": 1.0,
                       "eta": -5.0, "J": 15.0, "I": 0.0},
        "equations": QIF_EQUATIONS,
    }
    assert Model.from_spec(spec).fingerprint == load_model("qif").fingerprint


def test_python_constructor_with_sympy_expressions_matches_builtin():
    r, v, tau, delta, eta, J, I = sp.symbols("r v tau delta eta J I", real=True)
    equations = {"r": (delta / (sp.pi * tau) + 2 * r * v) / tau,
                 "v": (v**2 + eta + J * tau * r - (sp.pi * tau * r)**2 + I) / tau}
    model = Model("qif", [State("r", 0.1), State("v", -2.0)],
                  [Parameter(n, 0.0) for n in ("tau", "delta", "eta", "J", "I")], equations)
    assert model.fingerprint == load_model("qif").fingerprint


def test_fingerprint_ignores_metadata_but_not_content():
    base = toy()
    assert toy(description="other", time_unit="s").fingerprint == base.fingerprint
    assert toy(parameters=[Parameter("a", 5.0, (0.0, 10.0)), Parameter("b", 7.0)]).fingerprint \
        == base.fingerprint
    # formatting of the same expression does not matter
    assert toy(equations={"x": "y**2 - x*a", "y": "-b + y*x"}).fingerprint == base.fingerprint
    # but content, order and coupling do
    assert toy(equations={"x": "-a * x + y**3", "y": "x * y - b"}).fingerprint != base.fingerprint
    assert toy(states=[State("y", -1.0), State("x", 0.5)]).fingerprint != base.fingerprint
    assert toy(coupling=[CouplingTerm("y", "x", "a")]).fingerprint != base.fingerprint


@pytest.mark.parametrize("name", ["qif", "qif_syn", "ei"])
def test_to_spec_roundtrip(name):
    model = load_model(name)
    again = Model.from_spec(model.to_spec())
    assert again.fingerprint == model.fingerprint
    assert again.to_spec() == model.to_spec()
    assert dict(again.parameters()) == dict(model.parameters())
    np.testing.assert_array_equal(again.initial_state(), model.initial_state())


def test_load_model_accepts_model_and_path(tmp_path):
    model = load_model("qif")
    assert load_model(model) is model
    path = write(tmp_path, GOOD_TOML)
    assert load_model(path).fingerprint == load_model(str(path)).fingerprint


# ------------------------------------------- SymPy names as plain parameters

SYMPY_LOOKALIKES = ("I", "E", "S", "N", "O", "Q", "beta", "gamma", "zeta", "Lambda")


def test_sympy_names_are_plain_symbols_symbolically():
    model = Model("lookalike", [State("x")], [Parameter(n, 1.0) for n in SYMPY_LOOKALIKES],
                  {"x": "-x + " + " + ".join(SYMPY_LOOKALIKES)})
    x = model.state_symbols[0]
    assert model.rhs[0] == -x + sum(model.parameter_symbols)
    assert {s.name for s in model.rhs[0].free_symbols} == {"x", *SYMPY_LOOKALIKES}
    assert not model.rhs[0].has(sp.I, sp.E, sp.S.Exp1)


def test_parameter_I_evaluates_numerically(tmp_path):
    model = Model("plain_i", [State("x")], [Parameter("I", 0.0)], {"x": "-x + I"})
    compiled = compile_model(model, cache_dir=tmp_path)
    for x, i in [(0.0, 0.0), (1.5, 2.0), (-3.0, -7.25)]:
        np.testing.assert_allclose(compiled.vector_field([x], model.parameters(I=i)), [-x + i],
                                   rtol=0, atol=1e-15)
    np.testing.assert_allclose(compiled.parameter_jacobian([0.3], {"I": 1.0}), [[1.0]])


def test_sympy_lookalikes_evaluate_numerically(tmp_path):
    names = ("E", "S", "N", "beta", "gamma")
    model = Model("plain_names", [State("x"), State("y")], [Parameter(n, 0.0) for n in names],
                  {"x": "-x + E + S * N", "y": "beta * y - gamma"})
    compiled = compile_model(model, cache_dir=tmp_path)
    p = {"E": 2.0, "S": 3.0, "N": -0.5, "beta": 0.25, "gamma": 4.0}
    np.testing.assert_allclose(compiled.vector_field([1.0, 2.0], p),
                               [-1.0 + 2.0 + 3.0 * -0.5, 0.25 * 2.0 - 4.0], rtol=0, atol=1e-15)


def test_allowed_functions_mean_what_they_say(tmp_path):
    """Each allowed function name compiles to the function of that name (and pi is pi)."""
    reference = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
                 "tan": np.tan, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh,
                 "atan": np.arctan, "abs": np.abs, "Abs": np.abs}
    assert set(reference) == set(bifurc.model.ALLOWED_FUNCTIONS)
    names = sorted(reference)
    states = [State(f"x{i}") for i in range(len(names))] + [State("y")]
    equations = {f"x{i}": f"{fn}(a)" for i, fn in enumerate(names)}
    equations["y"] = "pi * a"
    model = Model("functions", states, [Parameter("a", 0.7)], equations)
    compiled = compile_model(model, cache_dir=tmp_path)
    for a in (0.7, 1.3, 2.9):
        expected = [reference[fn](a) for fn in names] + [math.pi * a]
        np.testing.assert_allclose(compiled.vector_field(np.zeros(len(states)), {"a": a}),
                                   expected, rtol=1e-14, atol=0)
    # abs of a negative argument (sign matters for abs only)
    np.testing.assert_allclose(compiled.vector_field(np.zeros(len(states)), {"a": -0.5})[
        names.index("abs")], 0.5, rtol=0)


# --- open bounds: a time constant lives in (0, inf) -----------------------------------

def _tau_model(bounds):
    return bifurc.Model.from_spec({"name": "decay", "states": {"x": 1.0},
                               "parameters": {"tau": {"default": 2.0, "bounds": bounds},
                                              "a": 1.0},
                               "equations": {"x": "(a - x) / tau"}})


def test_open_bounds_refuse_the_excluded_end():
    model = _tau_model("(0, inf)")
    assert model.parameter_info["tau"].open_ends == (True, True)
    assert model.parameters(tau=1e-9)["tau"] == 1e-9
    with pytest.raises(bifurc.ParameterError, match=r"`tau` must lie in \(0\.0, inf\), got value 0\.0"):
        model.parameters(tau=0.0)
    closed = _tau_model("[0, 5]")
    assert closed.parameters(tau=0.0)["tau"] == 0.0 and closed.parameters(tau=5.0)["tau"] == 5.0
    half = _tau_model("[0, 5)")
    with pytest.raises(bifurc.ParameterError, match=r"\[0\.0, 5\.0\)"):
        half.parameters(tau=5.0)
    # the text form survives a round trip through the plain-data spec
    again = bifurc.Model.from_spec(model.to_spec())
    assert again.parameter_info["tau"] == model.parameter_info["tau"]


@pytest.mark.parametrize("text, message", [
    ("(0, inf", "must be \\[lower, upper\\] or an interval"),
    ("(0; 1)", "must be \\[lower, upper\\] or an interval"),
    ("(1, 0)", "are not an interval"),
    ("(1, 1]", "empty interval"),
    ("(0, __import__)", "is not a number"),
    ("(0, 1e400x)", "is not a number"),
])
def test_bad_interval_texts_are_named(text, message):
    with pytest.raises(bifurc.ModelDefinitionError, match=message):
        _tau_model(text)


def test_builtin_time_constants_are_open_and_continuation_cannot_reach_zero():
    model = bifurc.load_model("ei")
    for name in ("tau_e", "tau_i", "tau_se", "tau_si"):
        assert model.parameter_info[name].open_ends[0], name
    with pytest.raises(bifurc.ParameterError, match=r"reach outside its range \(0\.0, inf\)"):
        bifurc.continue_equilibria(model, model.parameters(eta_e=-5.0), free="tau_se",
                               bounds=(0.0, 5.0))


def test_parameter_bounds_may_be_written_as_in_a_model_file():
    p = bifurc.Parameter("tau", 1.0, bounds="(0, inf)")
    assert p.bounds == (0.0, math.inf) and p.open_ends == (True, True)
    model = bifurc.Model(name="decay", states=[bifurc.model.State("x", 1.0)], parameters=[p],
                         equations={"x": "-x / tau"})
    with pytest.raises(ParameterError, match=r"\(0\.0, inf\)"):
        model.parameters(tau=0.0)
    with pytest.raises(ModelDefinitionError, match="beyond the floating-point range"):
        bifurc.Parameter("a", 0.5, bounds="(0, 1e400)")
    with pytest.raises(ModelDefinitionError, match="must be numbers"):
        bifurc.Parameter("a", 0.5, bounds=["0", "1"])
    assert bifurc.Parameter("a", 0.5, bounds="[0, .inf)").bounds == (0.0, math.inf)
    with pytest.raises(ParameterError, match="must be a number, got True"):
        bifurc.load_model("ei").parameters(tau_se=True)


def test_stimuli_may_not_push_a_parameter_out_of_its_range():
    ei = bifurc.load_model("ei")
    pars = ei.parameters()  # tau_se = 2
    integrator = bifurc.RK4(dt=0.05)
    with pytest.raises(ParameterError, match=r"take it to 0 on node 0 from t = 1, outside its "
                                             r"range \(0\.0, inf\)"):
        bifurc.simulate(ei, pars, duration=5, integrator=integrator,
                        stimuli=[bifurc.Stimulus("tau_se", -2.0, start=1, stop=2)])
    # two overlapping halves add up to the same
    with pytest.raises(ParameterError, match="from t = 1.5"):
        bifurc.simulate(ei, pars, duration=5, integrator=integrator,
                        stimuli=[bifurc.Stimulus("tau_se", -1.0, start=1, stop=2),
                                 bifurc.Stimulus("tau_se", -1.0, start=1.5, stop=3)])
    run = bifurc.simulate(ei, pars, duration=5, integrator=integrator,
                          stimuli=[bifurc.Stimulus("tau_se", -1.0, start=1, stop=2),
                                   bifurc.Stimulus("tau_se", -1.0, start=2, stop=3)])
    assert run.status == "completed"
