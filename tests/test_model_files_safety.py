"""Model files are data: loading one never runs code (issue 19).

Three kinds of test:

- hostile equations (code-injection payloads, numeric blow-ups, huge or deep
  text) go through ``Model.from_spec``, a TOML file and a YAML file loaded with
  ``bifurc.load_model``, and ``bifurc show``. Each must raise
  ``ModelDefinitionError`` naming the construct, quickly, and provably run
  nothing: the payloads try to create a marker file in ``tmp_path`` (it must
  not appear, and the folder listing must not change), and an audit hook
  (``sys.addaudithook``) records process, socket, ``exec`` and file-writing
  events while the parser runs;
- each new error message once;
- the oracle: SymPy's ``parse_expr`` with the settings bifurc used before
  issue 19 (copied below, called only here, and only on texts that are known
  to be benign). The new parser must give the *same* SymPy expression (same
  ``srepr``) for generated expressions and for every equation text in the
  repository, and every model in models/, docs/ and tests/ must keep its
  fingerprint.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import time
import tomllib
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

from bifurc import CouplingTerm, Model, ModelDefinitionError, Parameter, State, load_model
from bifurc import expressions
from bifurc.cli import main
from bifurc.expressions import ALLOWED_CONSTANTS, ALLOWED_FUNCTIONS, parse_expression
from bifurc.msf import homogeneous_model

ROOT = Path(__file__).resolve().parent.parent
THIS_FILE = Path(__file__).resolve()


# ------------------------------------------------------------------ the oracle

def parse_expr_oracle(text: str, symbols: dict) -> sp.Expr:
    """The pre-issue-19 ``Model.parse``: SymPy's ``parse_expr`` (which ``eval``s
    its input) and the old post-checks. Test-only; never give it hostile text."""
    local = {**ALLOWED_FUNCTIONS, **ALLOWED_CONSTANTS, **symbols}
    globals_ = {"Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational,
                "Symbol": sp.Symbol, "Function": sp.Function}
    try:
        expr = parse_expr(text, local_dict=local, global_dict=globals_,
                          transformations=standard_transformations, evaluate=True)
    except Exception as exc:
        raise ModelDefinitionError(f"oracle: does not parse ({exc})") from None
    if not isinstance(expr, sp.Expr):
        raise ModelDefinitionError("oracle: not a scalar expression")
    if any(str(s) not in symbols or s not in symbols.values() for s in expr.free_symbols):
        raise ModelDefinitionError("oracle: unknown symbol")
    if expr.atoms(sp.core.function.AppliedUndef):
        raise ModelDefinitionError("oracle: unknown function")
    if expr.has(sp.I) or expr.has(sp.zoo) or expr.has(sp.nan) or expr.has(sp.oo):
        raise ModelDefinitionError("oracle: not real and finite")
    return expr


def _oracle_model_parse(self, text, where):
    if isinstance(text, sp.Basic):
        text = str(text)
    return parse_expr_oracle(text, self._namespace)


# ------------------------------------------------------------ the audit hook

class _AuditRecorder:
    """Records forbidden audit events while ``active`` (hooks cannot be removed,
    so the hook stays installed and idle outside the tests)."""

    EXACT = {"exec", "os.system", "os.fork", "os.forkpty", "os.startfile", "os.kill",
             "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.truncate", "os.symlink",
             "os.link", "os.chmod", "pty.spawn", "shutil.rmtree", "shutil.move",
             "shutil.copyfile", "webbrowser.open", "urllib.Request", "http.client.connect",
             "ftplib.connect", "smtplib.connect"}
    PREFIXES = ("subprocess.", "os.exec", "os.posix_spawn", "os.spawn", "socket.", "ctypes.")
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def __init__(self):
        self.active = False
        self.events = []

    def __call__(self, event, args):
        if not self.active:
            return
        if event in self.EXACT or event.startswith(self.PREFIXES) or (
                event == "open" and self._writes(args)):
            self.events.append(event)

    def _writes(self, args):
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else 0
        if isinstance(mode, str):
            return any(c in mode for c in "wax+")
        return isinstance(flags, int) and bool(flags & self.WRITE_FLAGS)


_RECORDER = _AuditRecorder()
sys.addaudithook(_RECORDER)


class _Watch:
    """Runs a call with the audit recorder on and checks the folder afterwards."""

    def __init__(self, folder: Path, marker: Path):
        self.folder, self.marker = folder, marker

    def listing(self):
        return sorted(p.name for p in self.folder.iterdir())

    def refuses(self, call, match):
        before = self.listing()
        _RECORDER.events.clear()
        _RECORDER.active = True
        start = time.perf_counter()
        try:
            with pytest.raises(ModelDefinitionError, match=match):
                call()
        finally:
            _RECORDER.active = False
        elapsed = time.perf_counter() - start
        assert _RECORDER.events == [], f"forbidden audit events: {_RECORDER.events}"
        assert not self.marker.exists(), "a payload ran"
        assert self.listing() == before
        assert elapsed < 2.0, f"took {elapsed:.2f} s"


@pytest.fixture
def watch(tmp_path):
    # warm up: import everything a load touches (a first import may write
    # bytecode, which the recorder would count as a write)
    pytest.importorskip("yaml")
    warm = tmp_path / "warm.toml"
    warm.write_text(_toml(_spec("exp(x) + log(x) + sqrt(x) + abs(x) + sin(x) + cos(x) + tan(x)"
                                " + tanh(x) + sinh(x) + cosh(x) + atan(x) + Abs(x) + x**2 + pi")))
    load_model(warm)
    _write_yaml(tmp_path / "warm.yaml", _spec("x"))
    load_model(tmp_path / "warm.yaml")
    return _Watch(tmp_path, tmp_path / "pwned")


# ----------------------------------------------------------- hostile models

def _spec(equation: str, gain: str = "a") -> dict:
    return {"name": "hostile", "states": {"x": 0.5, "y": 0.0}, "parameters": {"a": 1.0},
            "equations": {"x": equation, "y": "-y"},
            "coupling": [{"target": "y", "source": "x", "gain": gain}]}


def _toml(spec: dict) -> str:
    # json string escapes are valid TOML basic-string escapes
    s = json.dumps
    return "\n".join([
        f"name = {s(spec['name'])}", "[states]", *(f"{k} = {v}" for k, v in spec["states"].items()),
        "[parameters]", *(f"{k} = {v}" for k, v in spec["parameters"].items()),
        "[equations]", *(f"{k} = {s(v)}" for k, v in spec["equations"].items()),
        *(f"[[coupling]]\ntarget = {s(c['target'])}\nsource = {s(c['source'])}\n"
          f"gain = {s(c['gain'])}" for c in spec["coupling"]), ""])


def _write_yaml(path: Path, spec: dict):
    import yaml
    path.write_text(yaml.safe_dump(spec, width=10**9))


def _hostile_cases(marker: str) -> list[tuple[str, str, str]]:
    """(id, equation, regex the message must match). Payloads target ``marker``."""
    touch = f"touch {marker}"
    return [
        ("attribute", "x.real", r"attribute access \(`\.real`\)"),
        ("dunder-subclasses", "().__class__.__bases__[0].__subclasses__()",
         r"attribute access \(`\.__subclasses__`\)"),
        ("lambda-globals", f"(lambda: 0).__globals__['__builtins__']['__import__']('os')"
                           f".system('{touch}')", r"attribute access \(`\.system`\)"),
        ("lambda-called", f"(lambda: __import__('os').system('{touch}'))()", r"uses a lambda"),
        ("import", f"__import__('os').system('{touch}')", r"attribute access \(`\.system`\)"),
        ("import-bare", "__import__", r"unknown symbol\(s\) __import__"),
        ("eval", f"eval(\"__import__('os').system('{touch}')\")", r"uses a string"),
        ("exec", f"exec(\"open('{marker}', 'w')\")", r"uses a string"),
        ("open", f"open('{marker}', 'w')", r"uses a string"),
        ("getattr", f"getattr(__import__('os'), 'system')('{touch}')",
         r"call of something that is not a function name"),
        ("list-comprehension", f"[__import__('os').system('{touch}') for _ in (1,)]",
         r"uses a comprehension"),
        ("dict-comprehension", "{k: 0 for k in ()}", r"uses a comprehension"),
        ("generator", f"sum(__import__('os').system('{touch}') for _ in (1,))",
         r"uses a generator expression"),
        ("string", f"'{touch}'", r"uses a string"),
        ("bytes", "b'x'", r"uses a bytes string"),
        ("subscript", "x[0]", r"uses indexing"),
        ("walrus", "(x := 1) + x", r"uses an assignment \(`:=`\)"),
        ("f-string", f"f'{{__import__(\"os\").system(\"{touch}\")}}'", r"uses an f-string"),
        ("keyword", "exp(x=1)", r"keyword argument \(`x=`\)"),
        ("double-star", "exp(**{'x': 1})", r"a `\*\*` argument"),
        ("starred", "exp(*(x,))", r"starred expression"),
        ("conditional", "x if a else y", r"conditional expression"),
        ("comparison", "x > 0", r"is not a scalar expression: it uses a comparison \(`>`\)"),
        ("boolean", "x or y", r"is not a scalar expression: it uses a boolean operator \(`or`\)"),
        ("tuple", "x, y", r"is not a scalar expression: it uses a tuple"),
        ("await", "await x", r"uses `await`"),
        ("yield", "(yield x)", r"does not parse|uses `yield`"),
        ("floor-division", "x // 2", r"operator `//`"),
        ("matmul", "x @ y", r"operator `@`"),
        ("xor", "x^2", r"use \*\* for powers"),
        ("power-tower", "10**10**10", r"`10\*\*10\*\*10` has an exponent of magnitude 1e\+10"),
        ("power-tower-4", "9**9**9**9", r"has an exponent of magnitude 3\.8742e\+08"),
        ("negative-tower", "2**-10**9", r"has an exponent of magnitude 1e\+09"),
        ("symbolic-base-power", "(2*x)**9999", r"would need numbers of about 3010 digits"),
        ("exp-log-power", "exp(10**9*log(2))", r"exp\(c\*log\(u\)\) is the power u\*\*c"),
        ("sqrt-of-huge", "sqrt(" + "9" * 4000 + ")", r"would need numbers of about 4000 digits"),
        ("float-overflow", "exp(exp(exp(exp(10.0))))", r"would need numbers of about 9566 digits"),
        ("product-of-powers", "*".join(["9**419"] * 30), r"more than 10000 digits together"),
        ("parentheses-300", "(" * 300 + "x" + ")" * 300, r"does not parse: .*too many nested"),
        ("parentheses-100000", "(" * 100_000 + "x" + ")" * 100_000,
         r"is 200001 characters long; the limit is 10000"),
        ("calls-150", "exp(" * 150 + "x" + ")" * 150, r"nested more than 100 levels deep"),
        ("unary-150", "-" * 150 + "1", r"nested more than 100 levels deep"),
        ("unary-5000", "-" * 5000 + "1", r"does not parse"),
        ("unary-100000", "-" * 100_000 + "1", r"is 100001 characters long"),
        ("long-text", "x" + " + x" * 5000, r"is 20001 characters long"),
    ]


CASES = _hostile_cases("MARKER")


def _case(case_id, tmp_path):
    case = {c[0]: c for c in _hostile_cases(str(tmp_path / "pwned"))}[case_id]
    return case[1], case[2]


@pytest.mark.parametrize("case_id", [c[0] for c in CASES])
def test_hostile_equation_is_refused_everywhere(case_id, tmp_path, watch):
    equation, match = _case(case_id, tmp_path)
    spec = _spec(equation)
    toml_path, yaml_path = tmp_path / "hostile.toml", tmp_path / "hostile.yaml"
    toml_path.write_text(_toml(spec))
    _write_yaml(yaml_path, spec)
    assert tomllib.loads(toml_path.read_text())["equations"]["x"] == equation
    where = r"equation for `x`"
    watch.refuses(lambda: Model.from_spec(spec), where + ".*" + match)
    watch.refuses(lambda: load_model(toml_path), where + ".*" + match)
    watch.refuses(lambda: load_model(yaml_path), where + ".*" + match)


@pytest.mark.parametrize("case_id", ["lambda-globals", "import", "eval", "power-tower"])
def test_hostile_coupling_gain_is_refused(case_id, tmp_path, watch):
    gain, match = _case(case_id, tmp_path)
    path = tmp_path / "hostile.toml"
    path.write_text(_toml(_spec("-x", gain=gain)))
    watch.refuses(lambda: load_model(path), r"coupling gain H\[y, x\].*" + match)


def test_hostile_suite_is_fast():
    start = time.perf_counter()
    symbols = {"x": sp.Symbol("x", real=True), "y": sp.Symbol("y", real=True),
               "a": sp.Symbol("a", real=True)}
    for _, equation, match in CASES:
        with pytest.raises(ModelDefinitionError, match=match):
            parse_expression(equation, symbols, "equation for `x`")
    assert time.perf_counter() - start < 5.0


def test_audit_recorder_sees_eval():
    """The recorder would catch the old parser: parse_expr evaluates its input."""
    _RECORDER.events.clear()
    _RECORDER.active = True
    try:
        parse_expr_oracle("x + 1", {"x": sp.Symbol("x", real=True)})
    finally:
        _RECORDER.active = False
    assert "exec" in _RECORDER.events


def test_cli_show_refuses_hostile_file(tmp_path, capsys, watch):
    equation, _ = _case("import", tmp_path)
    path = tmp_path / "hostile.toml"
    path.write_text(_toml(_spec(equation)))
    before = watch.listing()
    _RECORDER.events.clear()
    _RECORDER.active = True
    try:
        code = main(["show", str(path)])
    finally:
        _RECORDER.active = False
    assert code != 0
    err = capsys.readouterr().err
    assert "equation for `x` uses attribute access (`.system`)" in err
    assert _RECORDER.events == []
    assert not watch.marker.exists() and watch.listing() == before


# ------------------------------------------------------- one test per message

X, Y, A = (sp.Symbol(n, real=True) for n in "xya")
SYMBOLS = {"x": X, "y": Y, "a": A}


def refuses(text, match):
    with pytest.raises(ModelDefinitionError, match=match):
        parse_expression(text, SYMBOLS, "equation for `x`")


def test_text_must_be_a_string():
    with pytest.raises(ModelDefinitionError,
                       match=r"coupling gain H\[y, x\] must be a string, got int 2"):
        Model("toy", [State("x"), State("y")], [Parameter("a", 1.0)], {"x": "-x", "y": "-y"},
              coupling=[CouplingTerm("y", "x", 2)])


def test_text_too_long():
    refuses("x" * 10_001, r"equation for `x` is 10001 characters long; the limit is 10000")
    assert parse_expression(" " * 9_999 + "x", SYMBOLS, "e") == X


def test_non_ascii_text():
    refuses("x + \u0430", r"equation for `x` contains the non-ASCII character '\u0430'")


def test_too_deep():
    refuses("-(" * 101 + "x" + ")" * 101, r"equation for `x` is nested more than 100 levels deep")
    assert parse_expression("-(" * 99 + "x" + ")" * 99, SYMBOLS, "e") == -X


def test_long_sums_and_products_are_one_level():
    terms = [f"{k}*x**{k % 5}" for k in range(1, 700)]
    assert parse_expression(" + ".join(terms), SYMBOLS, "e") == sum(
        k * X**(k % 5) for k in range(1, 700))
    assert parse_expression("*".join(["x"] * 1000), SYMBOLS, "e") == X**1000


def test_disallowed_construct():
    refuses("x % 2", r"equation for `x` uses the operator `%`, which is not allowed "
                     r"\(equations admit numbers, names, pi, \+ - \* / \*\* and calls of .*exp")


def test_not_a_scalar():
    refuses("[x, y]", r"equation for `x` is not a scalar expression: it uses a list")


def test_xor_is_not_a_power():
    refuses("x^2", r"equation for `x` uses `\^`, which is not a power: use \*\* for powers")


def test_function_used_as_a_value():
    refuses("x * exp", r"equation for `x` uses the function `exp` as a value: call it")


def test_function_takes_one_argument():
    refuses("log(x, 2)", r"`log` takes exactly one argument, got 2 \(a logarithm to base b is "
                         r"log\(x\) / log\(b\)\)")


def test_call_of_something_else():
    refuses("exp(x)(y)", r"uses a call of something that is not a function name")


def test_unknown_function_takes_precedence_over_arity():
    refuses("foo(x, y)", r"calls unknown function\(s\) foo; allowed:")
    refuses("x(2)", r"calls unknown function\(s\) x; allowed:")


def test_exponent_too_large():
    refuses("x**10001", r"equation for `x`: `x\*\*10001` has an exponent of magnitude 10001; "
                        r"the limit is 10000")
    assert parse_expression("x**10000", SYMBOLS, "e") == X**10000


def test_power_too_large():
    refuses("10**401", r"`10\*\*401` would need numbers of about 401 digits; the limit is 400")
    refuses("10.0**401", r"would need numbers of about 401 digits")
    refuses("2**-1330", r"would need numbers of about 400 digits")
    assert parse_expression("10**400", SYMBOLS, "e") == sp.Integer(10)**400
    assert isinstance(parse_expression("10.0**400", SYMBOLS, "e"), sp.Float)


def test_function_argument_too_large():
    refuses("atan(" + "*".join(["9**419"] * 2) + ")",
            r"`atan\(.*\)` has an argument with numbers of about 800 digits; the limit is 400")


def test_exp_of_log_is_a_power():
    refuses("exp(200*log(1000))", r"`exp\(200\*log\(1000\)\)` would need \(as exp\(c\*log\(u\)\) "
                                  r"= u\*\*c\) numbers of about 600 digits; the limit is 400")
    assert parse_expression("exp(2*log(x))", SYMBOLS, "e") == X**2


def test_total_digits():
    refuses("*".join(["9**419"] * 30),
            r"equation for `x`: its powers and function values hold more than 10000 digits "
            r"together \(at `9\*\*419`\)")


def test_number_in_result_too_large():
    refuses("1e401", r"equation for `x` has a number of about 401 digits; the limit is 400: "
                     r"'1e401'")
    refuses("0x" + "f" * 400, r"has a number of about 482 digits")


def test_cannot_be_evaluated(monkeypatch):
    def overflow(argument):
        raise OverflowError("too big")
    monkeypatch.setitem(expressions.ALLOWED_FUNCTIONS, "tanh", overflow)
    refuses("tanh(x)", r"equation for `x` cannot be evaluated: 'tanh\(x\)' "
                       r"\(OverflowError: too big\)")


def test_non_real_exponent_is_not_finite():
    refuses("2**(1/0)", r"equation for `x` is not real and finite")


def test_whitespace_comments_and_newlines_in_parentheses():
    text = "  (x +\n   0.25 *\r\n y)  # sum\n"
    assert sp.srepr(parse_expression(text, SYMBOLS, "e")) == sp.srepr(
        parse_expr_oracle(text, SYMBOLS))
    assert parse_expression(text, SYMBOLS, "e") == X + sp.Float("0.25") * Y


# ------------------------------------------------ the same SymPy as before

def _symbols(names):
    return {n: sp.Symbol(n, real=True) for n in names}


NAMES = ("x", "y", "a", "I", "E", "beta")
ORACLE_SYMBOLS = _symbols(NAMES)
_NUMBERS = st.one_of(
    st.integers(0, 10**6).map(str),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False).map(repr),
    st.floats(1e-30, 1e30).map(lambda v: f"{v:.17e}"),
    st.sampled_from(["0", "0.5", ".5", "2.", "1e-3", "1E+2", "1_000", "1_0.5", "0x1f", "0b101",
                     "0o17", "0.1", "3.14159265358979323846264338327950288419716939937510",
                     "0.000000000000000000001", "123456789012345678901234567890"]))
_ATOMS = _NUMBERS | st.sampled_from(NAMES + ("pi",))


def _extend(inner):
    functions = st.sampled_from(sorted(ALLOWED_FUNCTIONS))
    return st.one_of(
        st.builds("{} {} {}".format, inner, st.sampled_from("+-*/"), inner),
        st.builds("({}){}({})".format, inner, st.sampled_from(["+", "-", "*", "/", " ** "]),
                  st.sampled_from(NAMES)),
        st.builds("({})**{}".format, inner,
                  st.sampled_from(["2", "3", "-1", "0.5", "(1/2)", "(-2)", "(2/3)", "1.5", "x"])),
        st.builds("{}**{}".format, st.sampled_from(NAMES), st.sampled_from(["2", "-3", "a"])),
        st.builds("{}{}".format, st.sampled_from(["-", "+", "- ", "-+"]), inner),
        st.builds("{}({})".format, functions, inner),
        st.builds(" ( {} ) ".format, inner),
    )


EXPRESSIONS = st.recursive(_ATOMS, _extend, max_leaves=10)


def _outcome(parse, text):
    try:
        return "accepted", sp.srepr(parse(text))
    except ModelDefinitionError as error:
        return "refused", str(error)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_generated_expressions_match_parse_expr(text):
    new = _outcome(lambda t: parse_expression(t, ORACLE_SYMBOLS, "e"), text)
    if new[0] == "refused" and "the limit is" in new[1]:
        return  # beyond a documented limit, which parse_expr does not have
    old = _outcome(lambda t: parse_expr_oracle(t, ORACLE_SYMBOLS), text)
    assert new[0] == old[0], (text, new, old)
    if new[0] == "accepted":
        assert new[1] == old[1], text


def _repository_strings() -> list[str]:
    """String literals of tests/ (this file excepted), docs/ and models/."""
    found = set()
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.resolve() == THIS_FILE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    for path in sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "models").glob("*.toml")):
        found.update(re.findall(r'"([^"\n]+)"', path.read_text()))
    return sorted(s for s in found if len(s) < 1000)


def test_repository_equation_texts_match_parse_expr():
    """Every string in the repository that the new parser accepts (with its names as
    the model's symbols) is the same SymPy expression as parse_expr made of it."""
    compared = 0
    for text in _repository_strings():
        names = sorted(set(re.findall(r"[A-Za-z_]\w*", text)) - set(ALLOWED_FUNCTIONS)
                       - set(ALLOWED_CONSTANTS))
        symbols = _symbols(names)
        try:
            new = parse_expression(text, symbols, "e")
        except ModelDefinitionError:
            continue
        assert sp.srepr(new) == sp.srepr(parse_expr_oracle(text, symbols)), text
        compared += 1
    assert compared > 300  # the equations of tests/ and docs/ are in there


def _model_sources() -> list[tuple[str, dict]]:
    """(label, spec) of every model file in models/ and every TOML model in docs/ and tests/."""
    sources = [(str(p.relative_to(ROOT)), tomllib.loads(p.read_text()))
               for p in sorted((ROOT / "models").glob("*.toml"))]
    files = sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "tests").rglob("*.py"))
    for path in files:
        if path.resolve() == THIS_FILE:
            continue
        text = path.read_text()
        blocks = (re.findall(r"```toml\n(.*?)```", text, re.S)
                  + re.findall(r"'''(.*?)'''", text, re.S) + re.findall(r'"""(.*?)"""', text, re.S))
        for number, block in enumerate(b for b in blocks if "[equations]" in b):
            try:
                spec = tomllib.loads(block)
            except tomllib.TOMLDecodeError:
                continue
            sources.append((f"{path.relative_to(ROOT)}#{number}", spec))
    return sources


MODEL_SOURCES = _model_sources()


def test_model_sources_are_found():
    labels = [label for label, _ in MODEL_SOURCES]
    assert {"models/ei.toml", "models/qif.toml", "models/qif_syn.toml"} <= set(labels)
    assert any(label.startswith("docs/tutorial.md") for label in labels)
    assert any(label.startswith("docs/model-files.md") for label in labels)
    assert any(label.startswith("tests/") for label in labels)


def _fingerprints(spec):
    model = Model.from_spec(spec)
    prints = [model.fingerprint]
    if model.coupling:
        prints.append(homogeneous_model(model).fingerprint)
    return prints


@pytest.mark.parametrize("label, spec", MODEL_SOURCES, ids=[label for label, _ in MODEL_SOURCES])
def test_model_keeps_its_fingerprint(label, spec, monkeypatch):
    new = _fingerprints(spec)  # the new parser first: the oracle only sees accepted texts
    monkeypatch.setattr(Model, "parse", _oracle_model_parse)
    assert _fingerprints(spec) == new


@pytest.mark.parametrize("spec_name", ["TOY_SPEC", "LORENZ", "TRANSCENDENTAL_SPEC", "poly"])
def test_python_test_specs_keep_their_fingerprints(spec_name, monkeypatch):
    import importlib.util
    specs = {}
    for module in ("conftest", "test_sweep", "test_codegen"):
        loader = importlib.util.spec_from_file_location(f"_safety_{module}",
                                                        ROOT / "tests" / f"{module}.py")
        namespace = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(namespace)
        specs.update({k: v for k, v in vars(namespace).items() if k.isupper()
                      and isinstance(v, dict)})
        if module == "test_codegen":
            polynomials = [namespace.random_polynomial_spec(seed) for seed in range(20)]
    chosen = polynomials if spec_name == "poly" else [specs[spec_name]]
    new = [_fingerprints(spec) for spec in chosen]
    monkeypatch.setattr(Model, "parse", _oracle_model_parse)
    assert [_fingerprints(spec) for spec in chosen] == new


def test_sympy_expressions_still_accepted():
    model = load_model("qif")
    r, v = model.state_symbols
    tau, delta, eta, J, I = model.parameter_symbols
    again = Model("qif", model.states, model.parameter_list,
                  {"r": (delta / (sp.pi * tau) + 2 * r * v) / tau,
                   "v": (v**2 + eta + J * tau * r - (sp.pi * tau * r)**2 + I) / tau})
    assert again.fingerprint == model.fingerprint


# ----------------------------------------------------------- AUTO-07p files

def test_auto_constants_comment_stays_one_line():
    from bifurc.auto07p import render_cycle_constants
    model = load_model("qif")
    text = render_cycle_constants(model, model.parameters(), "eta", (-10.0, 10.0), label=" 1\n")
    for line in text.splitlines():
        assert not line or line.startswith("#") or re.match(r"^[A-Za-z][A-Za-z0-9]*\s*=", line), line
