"""Expression text -> SymPy, without running code.

Equations and coupling gains arrive as text from model files and the command
line. They are data: :func:`parse_expression` reads them with
:func:`ast.parse`, checks the syntax tree against a small grammar and builds the
SymPy expression from the checked tree itself. Nothing is ever evaluated by
Python (no ``eval``, no ``exec``), so no text can reach Python's builtins,
attributes or modules. (Python model definitions are code by design; they are
not read by this module.)

The grammar (docs/model-files.md, "The grammar of an equation"):

- numbers: integer and decimal literals (``2``, ``0.5``, ``1e-3``, ``0x1f``);
- names: the given symbols and ``pi``;
- ``+x``, ``-x``, ``x + y``, ``x - y``, ``x * y``, ``x / y``, ``x ** y``
  (``^`` is *not* a power);
- calls ``f(x)`` of the functions in :data:`ALLOWED_FUNCTIONS`, by name, with
  exactly one positional argument.

Limits, checked before the work they bound:

- :data:`MAX_LENGTH` characters of text;
- :data:`MAX_DEPTH` levels of nesting (a chain ``a + b - c + ...`` or
  ``a * b / c * ...`` counts as one level, so long sums and products are fine);
- a constant exponent lies within ``+-``:data:`MAX_EXPONENT`;
- numbers stay within ``10**+-MAX_DIGITS`` (exact fractions: numerator and
  denominator up to ``10**MAX_DIGITS``): a power whose numbers would be larger
  (``10**401``, ``(2*x)**9999``, ``exp(1000*log(10))``) and a function
  argument beyond that are refused *before* SymPy computes anything; function
  values (cheap decimals such as ``exp(1000.0)``) and the result's numbers are
  checked once computed;
- the powers and function values of one expression hold at most
  :data:`MAX_TOTAL_DIGITS` digits together.

The SymPy result is the one SymPy's ``parse_expr`` (with its standard
transformations, as bifurc used before) gives for the same text: integers
become ``Integer``, decimals ``Float(<literal text>)`` (so that their precision
follows the digits written), and the operators are SymPy's own, applied in
Python's order.
"""

from __future__ import annotations

import ast
import functools
import math
import re
from typing import Mapping

import sympy as sp

from .errors import ModelDefinitionError

#: Functions allowed in equations (name as written -> SymPy function).
ALLOWED_FUNCTIONS = {
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos,
    "tan": sp.tan, "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh,
    "atan": sp.atan, "abs": sp.Abs, "Abs": sp.Abs,
}
#: Constants allowed in equations.
ALLOWED_CONSTANTS = {"pi": sp.pi}

#: Longest expression text accepted, in characters.
MAX_LENGTH = 10_000
#: Deepest nesting accepted (unary signs, powers, calls, the operands of + - * /).
MAX_DEPTH = 100
#: Largest magnitude of a constant exponent.
MAX_EXPONENT = 10_000
#: Largest |log10| of a number: a decimal, or an exact fraction's numerator and denominator.
MAX_DIGITS = 400
#: Most digits that the powers and function values of one expression hold together.
MAX_TOTAL_DIGITS = 10_000

_LOG10_2 = math.log10(2)
#: Digit counts are float estimates: 10.0**400 must not fail on the last bit.
_ROUNDING = 1e-6
_ADDITIVE = (ast.Add, ast.Sub)
_MULTIPLICATIVE = (ast.Mult, ast.Div)
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
              ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitXor: "^",
              ast.BitOr: "|", ast.BitAnd: "&", ast.LShift: "<<", ast.RShift: ">>"}
_COMPARISONS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
                ast.GtE: ">=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
                ast.NotIn: "not in"}
#: Constructs that are not even a single number (reported as "not a scalar expression").
_NOT_SCALAR = {ast.Compare: "a comparison", ast.BoolOp: "a boolean operator",
               ast.Tuple: "a tuple", ast.List: "a list", ast.Set: "a set",
               ast.Dict: "a dict"}
_NOT_ALLOWED = {
    ast.Attribute: "attribute access", ast.Subscript: "indexing (`[...]`)",
    ast.Slice: "a slice", ast.Lambda: "a lambda", ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression", ast.NamedExpr: "an assignment (`:=`)",
    ast.JoinedStr: "an f-string", ast.FormattedValue: "an f-string",
    ast.Starred: "a starred expression (`*...`)",
    ast.IfExp: "a conditional expression (`... if ... else ...`)",
    ast.Await: "`await`", ast.Yield: "`yield`", ast.YieldFrom: "`yield from`",
}


def parse_expression(text, symbols: Mapping[str, sp.Symbol], where: str, *,
                     known: str | None = None) -> sp.Expr:
    """Parse checked expression text into a real, finite SymPy expression.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"(delta / (pi * tau) + 2 * r * v) / tau"``.
    symbols : mapping name -> sympy.Symbol
        The names the expression may use (besides ``pi``).
    where : str
        What the text is, for messages: ``"equation for `r`"``.
    known : str, optional
        How to list the known names when one is unknown (default: the names of
        ``symbols``), e.g. ``"known states: r, v; parameters: tau, eta"``.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ModelDefinitionError
        If the text is not a string, is empty or too long, does not parse,
        uses anything outside the grammar (the message names the construct),
        uses unknown names or functions, exceeds a limit (see the module
        docstring), or is not real and finite.
    """
    if not isinstance(text, str):
        raise ModelDefinitionError(
            f"{where} must be a string, got {type(text).__name__} {_excerpt(repr(text))}")
    if len(text) > MAX_LENGTH:
        raise ModelDefinitionError(
            f"{where} is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ModelDefinitionError(f"{where} is empty")
    if not text.isascii():
        character = next(c for c in text if not c.isascii())
        raise ModelDefinitionError(
            f"{where} contains the non-ASCII character {character!r}: names are ASCII "
            f"letters, digits and _, and operators are + - * / **: {_excerpt(repr(text))}")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = exc.msg if isinstance(exc, SyntaxError) else (str(exc) or type(exc).__name__)
        raise ModelDefinitionError(
            f"{where} does not parse: {_excerpt(repr(text))} ({reason})") from None
    names = {**ALLOWED_CONSTANTS, **symbols}
    _check_tree(tree.body, source, names, where,
                known if known is not None else f"known names: {', '.join(symbols)}")
    builder = _Builder(source, names, where)
    try:
        expr = builder.build(tree.body)
    except ModelDefinitionError:
        raise
    except (ArithmeticError, MemoryError, RecursionError, TypeError, ValueError) as exc:
        # SymPy's own failures on valid syntax (e.g. a float overflow); the
        # limits above are meant to make these unreachable
        raise ModelDefinitionError(
            f"{where} cannot be evaluated: {_excerpt(repr(text))} "
            f"({type(exc).__name__}: {_excerpt(str(exc))})") from None
    if any(expr.has(bad) for bad in (sp.I, sp.zoo, sp.nan, sp.oo, -sp.oo)):
        raise ModelDefinitionError(f"{where} is not real and finite: {_excerpt(repr(text))}")
    largest = max((_number_digits(n) for n in expr.atoms(sp.Number)), default=0.0)
    if largest > MAX_DIGITS + _ROUNDING:
        raise ModelDefinitionError(
            f"{where} has a number of about {largest:.0f} digits; the limit is {MAX_DIGITS}: "
            f"{_excerpt(repr(text))}")
    return expr


# ------------------------------------------------------------------- checking

def _check_tree(root, source, names, where, known):
    """Walk the syntax tree iteratively: grammar, nesting depth, unknown names."""
    unknown_names, unknown_functions = set(), set()
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ModelDefinitionError(
                f"{where} is nested more than {MAX_DEPTH} levels deep: {_excerpt(repr(source))}")
        kind = type(node)
        if kind is ast.Constant:
            _check_constant(node, source, where)
        elif kind is ast.Name:
            if node.id in ALLOWED_FUNCTIONS and node.id not in names:
                raise ModelDefinitionError(
                    f"{where} uses the function `{node.id}` as a value: call it, "
                    f"as in {node.id}(x): {_excerpt(repr(source))}")
            if node.id not in names:
                unknown_names.add(node.id)
        elif kind is ast.UnaryOp:
            if isinstance(node.op, ast.Not):
                _refuse(node, source, where, "the boolean operator `not`", scalar=False)
            if isinstance(node.op, ast.Invert):
                _refuse(node, source, where, "the operator `~`")
            stack.append((node.operand, depth + 1))
        elif kind is ast.BinOp:
            if isinstance(node.op, ast.BitXor):
                raise ModelDefinitionError(
                    f"{where} uses `^`, which is not a power: use ** for powers (x**2): "
                    f"{_excerpt(repr(source))}")
            if not isinstance(node.op, (*_ADDITIVE, *_MULTIPLICATIVE, ast.Pow)):
                _refuse(node, source, where,
                        f"the operator `{_OPERATORS.get(type(node.op), type(node.op).__name__)}`")
            stack.append((node.right, depth + 1))
            stack.append((node.left, depth if _same_chain(node, node.left) else depth + 1))
        elif kind is ast.Call:
            _check_call(node, source, names, where, unknown_functions)
            stack.extend((argument, depth + 1) for argument in reversed(node.args))
        elif kind in _NOT_SCALAR:
            construct = _NOT_SCALAR[kind]
            if kind is ast.Compare:
                construct += f" (`{_COMPARISONS.get(type(node.ops[0]), '?')}`)"
            if kind is ast.BoolOp:
                construct += f" (`{'and' if isinstance(node.op, ast.And) else 'or'}`)"
            _refuse(node, source, where, construct, scalar=False)
        else:
            _refuse(node, source, where, _construct(node))
    if unknown_names:
        raise ModelDefinitionError(
            f"{where} uses unknown symbol(s) {', '.join(sorted(unknown_names))}; {known}")
    if unknown_functions:
        raise ModelDefinitionError(
            f"{where} calls unknown function(s) {', '.join(sorted(unknown_functions))}; "
            f"allowed: {', '.join(sorted(ALLOWED_FUNCTIONS))}")


def _check_constant(node, source, where):
    value = node.value
    if isinstance(value, bool) or value is None or value is Ellipsis:
        _refuse(node, source, where, f"the constant `{value!r}`")
    if isinstance(value, str):
        _refuse(node, source, where, "a string")
    if isinstance(value, bytes):
        _refuse(node, source, where, "a bytes string")
    if isinstance(value, complex):
        _refuse(node, source, where, "an imaginary number (equations are real)")
    if not isinstance(value, (int, float)):  # pragma: no cover - no other literal exists
        _refuse(node, source, where, f"a {type(value).__name__} literal")


def _check_call(node, source, names, where, unknown_functions):
    if not isinstance(node.func, ast.Name):
        if type(node.func) in _NOT_ALLOWED:
            _refuse(node.func, source, where, _construct(node.func))
        _refuse(node, source, where, "a call of something that is not a function name")
    if node.keywords:
        keyword = node.keywords[0]
        _refuse(node, source, where, f"a keyword argument (`{keyword.arg}=`)"
                if keyword.arg else "a `**` argument")
    for argument in node.args:
        if isinstance(argument, ast.Starred):
            _refuse(argument, source, where, _NOT_ALLOWED[ast.Starred])
    name = node.func.id
    if name not in ALLOWED_FUNCTIONS or name in names:
        unknown_functions.add(name)
    elif len(node.args) != 1:
        hint = " (a logarithm to base b is log(x) / log(b))" if name == "log" else ""
        raise ModelDefinitionError(
            f"{where}: `{name}` takes exactly one argument, got {len(node.args)}{hint}: "
            f"{_excerpt(repr(_segment(source, node)))}")


def _construct(node):
    """What a refused node is, in words."""
    if isinstance(node, ast.Attribute):
        return f"attribute access (`.{node.attr}`)"
    return _NOT_ALLOWED.get(type(node), f"a {type(node).__name__} expression")


def _same_chain(node, child):
    """Is ``child`` the left operand of ``node`` in one chain of + - or of * /?"""
    if not isinstance(child, ast.BinOp):
        return False
    for family in (_ADDITIVE, _MULTIPLICATIVE):
        if isinstance(node.op, family) and isinstance(child.op, family):
            return True
    return False


def _refuse(node, source, where, construct, scalar=True):
    segment = _excerpt(repr(_segment(source, node)))
    allowed = (f"equations admit numbers, names, pi, + - * / ** and calls of "
               f"{', '.join(sorted(ALLOWED_FUNCTIONS))}")
    if scalar:
        raise ModelDefinitionError(
            f"{where} uses {construct}, which is not allowed ({allowed}): {segment}")
    raise ModelDefinitionError(
        f"{where} is not a scalar expression: it uses {construct} ({allowed}): {segment}")


def _segment(source, node):
    """The text of ``node`` (the source is ASCII, so AST byte offsets are indices)."""
    starts = _line_starts(source)
    try:
        return source[starts[node.lineno - 1] + node.col_offset:
                      starts[node.end_lineno - 1] + node.end_col_offset] or source
    except (AttributeError, IndexError, TypeError):  # a node without a position
        return source


@functools.lru_cache(maxsize=8)
def _line_starts(source):
    # Python's own line ends (not str.splitlines, which also splits at \f, \v, ...)
    return [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", source)]


def _excerpt(text, limit=200):
    return text if len(text) <= limit else f"{text[:limit // 2]}...{text[-limit // 4:]}"


# ------------------------------------------------------------------- building

class _Builder:
    """Builds SymPy from a checked tree; guards the numbers SymPy would compute."""

    def __init__(self, source, names, where):
        self.source = source
        self.names = names
        self.where = where
        self.total_digits = 0.0

    def build(self, node):
        kind = type(node)
        if kind is ast.Constant:
            if isinstance(node.value, int):
                return sp.Integer(node.value)
            # the literal's own text, as parse_expr's auto_number does: the
            # precision follows the digits written
            return sp.Float(_segment(self.source, node))
        if kind is ast.Name:
            return self.names[node.id]
        if kind is ast.UnaryOp:
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else +operand
        if kind is ast.Call:
            return self.call(node)
        # a chain a + b - c ... (or a * b / c ...) is built left to right without
        # recursing down its left spine, in Python's order of evaluation
        spine = [node]
        while _same_chain(spine[-1], spine[-1].left):
            spine.append(spine[-1].left)
        value = self.build(spine[-1].left)
        for link in reversed(spine):
            right = self.build(link.right)
            if isinstance(link.op, ast.Add):
                value = value + right
            elif isinstance(link.op, ast.Sub):
                value = value - right
            elif isinstance(link.op, ast.Mult):
                value = value * right
            elif isinstance(link.op, ast.Div):
                value = value / right
            else:
                self.check_power(value, right, link)
                value = self.account(value ** right, link)
        return value

    def call(self, node):
        name = node.func.id
        argument = self.build(node.args[0])
        if name == "sqrt":
            self.check_power(argument, sp.S.Half, node)
        else:
            self.check_digits(_digits(argument), node, "has an argument with numbers of")
        if name == "exp" and argument.has(sp.log):
            # SymPy rewrites exp(c * log(u)) as the power u**c (also inside sums,
            # and for sums of logs): bound c by the numbers outside the logs
            bound = 10.0 ** min(_digits_outside_logs(argument), 400.0)
            if bound > MAX_EXPONENT:
                self.exponent_error(node, bound, " (exp(c*log(u)) is the power u**c)")
            bases = sum(_digits(log.args[0]) for log in argument.atoms(sp.log))
            self.check_digits(bases * bound, node,
                              "would need (as exp(c*log(u)) = u**c) numbers of")
        return self.account(ALLOWED_FUNCTIONS[name](argument), node)

    def check_power(self, base, exponent, node):
        """Refuse base**exponent if SymPy would compute too large numbers for it."""
        if exponent.free_symbols:
            return
        magnitude = _magnitude(exponent)
        if magnitude is None:
            raise ModelDefinitionError(
                f"{self.where} is not real and finite: {_excerpt(repr(self.source))}")
        if magnitude > MAX_EXPONENT:
            self.exponent_error(node, magnitude)
        self.check_digits(_digits(base) * max(1.0, magnitude), node, "would need numbers of")

    def check_digits(self, digits, node, what):
        if digits > MAX_DIGITS + _ROUNDING:
            raise ModelDefinitionError(
                f"{self.where}: `{_excerpt(_segment(self.source, node), 80)}` {what} "
                f"about {digits:.0f} digits; the limit is {MAX_DIGITS}")

    def exponent_error(self, node, magnitude, note=""):
        raise ModelDefinitionError(
            f"{self.where}: `{_excerpt(_segment(self.source, node), 80)}` has an exponent of "
            f"magnitude {magnitude:.6g}{note}; the limit is {MAX_EXPONENT}")

    def account(self, value, node):
        """Add a power's or function value's digits to the expression's total."""
        digits = _digits(value)
        self.check_digits(digits, node, "would need numbers of")
        self.total_digits += digits
        if self.total_digits > MAX_TOTAL_DIGITS:
            raise ModelDefinitionError(
                f"{self.where}: its powers and function values hold more than "
                f"{MAX_TOTAL_DIGITS} digits together (at `{_excerpt(_segment(self.source, node), 80)}`)")
        return value


def _number_digits(number) -> float:
    """Digits of an exact number (of its numerator or denominator), or |log10| of a decimal."""
    if isinstance(number, sp.Rational):
        return max(math.log10(abs(number.p)) if number.p else 0.0, math.log10(number.q))
    if isinstance(number, sp.Float):
        _, mantissa, exponent, _ = number._mpf_  # |number| = mantissa * 2**exponent
        return abs(exponent + math.log2(mantissa)) * _LOG10_2 if mantissa else 0.0
    return 0.0


def _digits(expr) -> float:
    """A bound on log10 of the numbers SymPy may compute when ``expr`` is raised to
    a power or passed to a function: digits of its numbers, added over products,
    largest over sums, multiplied by constant exponents."""
    if expr.is_Number:
        return _number_digits(expr)
    if expr.is_NumberSymbol:
        return abs(math.log10(float(expr)))
    if not expr.args:
        return 0.0
    if expr.is_Add:
        return max(_digits(term) for term in expr.args)
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent.free_symbols:
            return _digits(base) + _digits(exponent)
        magnitude = _magnitude(exponent)
        return math.inf if magnitude is None else (
            _digits(base) * max(1.0, magnitude) + _digits(exponent))
    return sum(_digits(argument) for argument in expr.args)


def _digits_outside_logs(expr) -> float:
    if isinstance(expr, sp.log):
        return 0.0
    if expr.is_Number or expr.is_NumberSymbol:
        return _digits(expr)
    return sum(_digits_outside_logs(argument) for argument in expr.args)


def _magnitude(constant) -> float | None:
    """|constant| as a float (inf if beyond floats), or None if it is not finite."""
    if constant.is_Rational:
        p, q = abs(constant.p), constant.q
        return p / q if p.bit_length() - q.bit_length() < 1000 else math.inf
    if constant.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    try:
        value = abs(complex(constant.evalf(15)))
    except (TypeError, ValueError, OverflowError):
        return None
    return None if math.isnan(value) else value
