"""AUTO-07p as a second continuation engine for equilibria.

The same SymPy model that bifurc compiles for simulation is rendered as an
AUTO-07p user file in C (vector field, analytic state and parameter Jacobians),
compiled against the installed AUTO-07p libraries, and run for a
one-parameter continuation of equilibria (``IPS = 1``) in both directions from
a given equilibrium. The output files are parsed here (no dependence on AUTO's
own Python package), and plain data are returned. :func:`continue_cycles_auto`
continues the limit cycles born at a Hopf point (``IPS = 2``; see the comment
block "periodic orbits" below for how it drives AUTO).

How AUTO is driven
------------------
Each call works in its own directory (a fresh temporary one by default):

1. ``<model>.c`` is written by :func:`render_equation_file` and compiled and
   linked exactly as AUTO's ``cmds/cmds.make`` does it (compiler names and flags
   are read from that file), giving ``<model>.exe``.
2. For each direction a sub-directory ``run_plus`` / ``run_minus`` receives a
   complete constants file ``c.<model>`` (copied to ``fort.2``, which is what
   the executable reads). Every AUTO constant is written on every run, so no
   setting can leak from one run to the next. The start point is passed with
   the constants ``U`` and ``PAR`` (``IRS = 0``), so ``stpnt`` stays empty and
   one executable serves every start point.
3. The executable runs with a timeout; ``fort.7`` (one line per continuation
   step) and ``fort.8`` (full solution for labelled points; ``NPR = 1`` labels
   every step, so every point's full state is available) are parsed.

Parameters are AUTO's ``PAR(i)``; see :func:`parameter_index_map` for the
mapping (index 11 is skipped: AUTO uses it for the period of periodic orbits).
"""

from __future__ import annotations

import functools
import math
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import sympy as sp

from . import symbolic
from .model import Model

__all__ = ["auto_available", "auto_directory", "parameter_index_map", "render_equation_file",
           "render_constants", "continue_equilibria_auto", "parse_fort7", "parse_fort8",
           "LABEL_TYPES", "INSTALL_HINT"]

INSTALL_HINT = ("install AUTO-07p and a Fortran/C compiler, e.g. `apt-get install auto-07p "
                "gfortran gcc` (Debian/Ubuntu), or build AUTO-07p from source and set AUTO_DIR")

#: AUTO's solution type codes (ITP modulo 10, as in AUTO-07p's support.f90 LBTYPE
#: and the manual's table of labels).
LABEL_TYPES = {
    0: "", 1: "BP", 2: "LP", 3: "HB", 4: "RG", -4: "UZ", 5: "LP", 6: "BP", 7: "PD", 8: "TR",
    9: "EP", -9: "MX", -1: "BT", -2: "CP", -3: "ZH", -5: "R1", -6: "R2", -7: "R3", -8: "R4",
    -32: "GH", 23: "LTR", 83: "LTR", 77: "PTR", 87: "PTR", 28: "LPD", 78: "LPD", 88: "TTR",
}

#: AUTO's PAR array has NPARX = 36 entries (auto.h); index 11 is skipped.
_NPARX = 36
_SKIPPED_INDICES = (11,)
_DEFAULT_AUTO_DIRS = ("/usr/lib/auto-07p", "/usr/local/lib/auto-07p", "/opt/auto-07p")


# --------------------------------------------------------------------------- install
def _candidate_dirs():
    env = os.environ.get("AUTO_DIR")
    if env:
        yield Path(env)
    for d in _DEFAULT_AUTO_DIRS:
        yield Path(d)
    # where the `auto-07p` launcher lives (a source build has bin/ and lib/ side by side)
    launcher = shutil.which("auto-07p") or shutil.which("auto")
    if launcher:
        yield Path(launcher).resolve().parent.parent


def _header_dir(auto_dir: Path) -> Path | None:
    for d in (auto_dir / "include", Path("/usr/include"), Path("/usr/local/include")):
        if (d / "auto_f2c.h").is_file():
            return d
    return None


def auto_directory() -> Path | None:
    """AUTO-07p's install directory (holding ``lib/*.o`` and ``cmds/cmds.make``), or None.

    ``AUTO_DIR`` is honoured first; then the Debian location ``/usr/lib/auto-07p``.
    """
    for d in _candidate_dirs():
        if ((d / "cmds" / "cmds.make").is_file() and (d / "lib" / "libauto_c.a").is_file()
                and list((d / "lib").glob("*.o"))):
            return d
    return None


def _make_variables(auto_dir: Path) -> dict[str, str]:
    """CC, FC, CFLAGS, FFLAGS, OPT as AUTO's cmds.make sets them (like AUTO's runAUTO.py)."""
    found = {}
    with open(auto_dir / "cmds" / "cmds.make") as stream:
        for line in stream:
            parts = line.split(None, 2)
            if len(parts) < 2 or parts[1] != "=":
                continue
            if parts[0] == "SRC":
                break
            if parts[0] in ("CC", "FC", "CFLAGS", "FFLAGS", "OPT"):
                value = parts[2].strip() if len(parts) > 2 else ""
                found[parts[0]] = value.replace("$(AUTO_DIR)", str(auto_dir))
    found.setdefault("CC", "gcc")
    found.setdefault("FC", "gfortran")
    for key in ("CFLAGS", "FFLAGS", "OPT"):
        found.setdefault(key, "")
    return found


@functools.lru_cache(maxsize=None)
def _availability() -> tuple[bool, str]:
    auto_dir = auto_directory()
    if auto_dir is None:
        return False, f"AUTO-07p was not found (looked in $AUTO_DIR and {_DEFAULT_AUTO_DIRS[0]}); {INSTALL_HINT}"
    if _header_dir(auto_dir) is None:
        return False, f"AUTO-07p's C header auto_f2c.h was not found; {INSTALL_HINT}"
    make = _make_variables(auto_dir)
    for key in ("CC", "FC"):
        command = shlex.split(make[key])[0]
        if shutil.which(command) is None:
            return False, (f"the compiler `{command}` used by AUTO-07p ({key} in "
                           f"{auto_dir}/cmds/cmds.make) is not installed; {INSTALL_HINT}")
        try:
            subprocess.run([command, "--version"], capture_output=True, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            return False, f"the compiler `{command}` does not run ({exc}); {INSTALL_HINT}"
    return True, f"AUTO-07p in {auto_dir} (CC={make['CC']}, FC={make['FC']})"


def auto_available() -> tuple[bool, str]:
    """Whether AUTO-07p can be used: ``(True, description)`` or ``(False, reason)``.

    Needs AUTO's libraries (``$AUTO_DIR`` or ``/usr/lib/auto-07p``), its C header
    and the C and Fortran compilers named in its ``cmds.make``. The reason says
    how to install what is missing. The answer is cached for the process.
    """
    return _availability()


# --------------------------------------------------------------------------- mapping
def parameter_index_map(model: Model) -> dict[str, int]:
    """AUTO ``PAR`` index (1-based) of each model parameter, in model order.

    Parameters get indices 1, 2, ..., 10, 12, 13, ...: index 11 is skipped
    because AUTO uses ``PAR(11)`` for the period in periodic problems (``IPS = 2``),
    so the same mapping stays valid for later limit-cycle work. In C the value
    of ``PAR(i)`` is ``par[i - 1]``. AUTO's PAR array has 36 entries, so a model
    may have at most 35 parameters.
    """
    mapping, index = {}, 0
    for name in model.parameter_names:
        index += 1
        while index in _SKIPPED_INDICES:
            index += 1
        mapping[name] = index
    if index > _NPARX:
        raise ValueError(f"model {model.name!r} has {model.n_parameters} parameters; AUTO-07p "
                         f"allows PAR indices up to {_NPARX} (index 11 reserved), i.e. at most "
                         f"{_NPARX - len(_SKIPPED_INDICES)} parameters")
    return mapping


def _n_par(model: Model) -> int:
    """AUTO's NPAR: the highest PAR index used (at least 1)."""
    return max(parameter_index_map(model).values(), default=1)


# --------------------------------------------------------------------------- C file
#: math.h constants SymPy's C printer may emit, defined if the C library does not
_MATH_CONSTANTS = [
    f"#ifndef {name}\n#define {name} {value}\n#endif"
    for name, value in (
        ("M_E", "2.7182818284590452354"), ("M_LOG2E", "1.4426950408889634074"),
        ("M_LOG10E", "0.43429448190325182765"), ("M_LN2", "0.69314718055994530942"),
        ("M_LN10", "2.30258509299404568402"), ("M_PI", "3.14159265358979323846"),
        ("M_PI_2", "1.57079632679489661923"), ("M_PI_4", "0.78539816339744830962"),
        ("M_1_PI", "0.31830988618379067154"), ("M_2_PI", "0.63661977236758134308"),
        ("M_2_SQRTPI", "1.12837916709551257390"), ("M_SQRT2", "1.41421356237309504880"),
        ("M_SQRT1_2", "0.70710678118654752440"))
]


def _c_symbols(model: Model):
    """SymPy symbol -> C-safe symbol (prefixed, so names never clash with C or AUTO macros)."""
    states = {s: sp.Symbol(f"u_{s.name}", real=True) for s in model.state_symbols}
    params = {p: sp.Symbol(f"p_{p.name}", real=True) for p in model.parameter_symbols}
    return states, params


def _ccode(expr) -> str:
    return sp.ccode(expr, standard="c99")


def _cse_block(outputs: list[tuple[str, sp.Expr]], indent: str, guards=None) -> list[str]:
    """C statements assigning ``outputs`` (target, expression) after CSE.

    ``guards`` maps a target to a C condition the assignment must sit under.
    """
    guards = guards or {}
    exprs = [e for _, e in outputs]
    replacements, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("t_"), optimizations="basic")
    lines = [f"{indent}const doublereal {sym} = {_ccode(value)};" for sym, value in replacements]
    current_guard = None
    for (target, _), expr in zip(outputs, reduced):
        guard = guards.get(target)
        if guard != current_guard:
            if current_guard is not None:
                lines.append(f"{indent}}}")
            if guard is not None:
                lines.append(f"{indent}if ({guard}) {{")
            current_guard = guard
        pad = indent + ("  " if guard is not None else "")
        lines.append(f"{pad}{target} = {_ccode(expr)};")
    if current_guard is not None:
        lines.append(f"{indent}}}")
    return lines


def render_equation_file(model: Model, parameter_index: dict[str, int] | None = None) -> str:
    """The AUTO-07p user file (C) of ``model``.

    ``func`` evaluates f(u, par) and, when AUTO asks (``ijac >= 1``), the analytic
    Jacobian ``dfdu`` (column-major, ``dfdu[i + j * ndim] = df_i/du_j``) and, for
    ``ijac == 2``, ``dfdp`` (``dfdp[i + (k - 1) * ndim] = df_i/dPAR(k)``, all model
    parameters; AUTO allocates NPAR columns). Expressions come from the model's
    SymPy right-hand side after common-subexpression elimination. ``stpnt`` is
    empty: the start point is given in the constants file (``U`` and ``PAR``).
    ``bcnd``, ``icnd``, ``fopt`` and ``pvls`` are empty, as equilibria need none.
    Use the constants file with ``JAC = 1``. ``parameter_index`` maps parameter
    names to PAR indices (default :func:`parameter_index_map`; periodic orbits
    use :func:`cycle_parameter_index_map`).
    """
    n = model.n_states
    index = parameter_index_map(model) if parameter_index is None else parameter_index
    smap, pmap = _c_symbols(model)
    subs = {**smap, **pmap}
    f = symbolic.vector_field(model).xreplace(subs)
    jac = symbolic.state_jacobian(model).xreplace(subs)
    pjac = symbolic.parameter_jacobian(model).xreplace(subs)

    unpack = [f"  const doublereal {smap[s]} = u[{i}];  /* state {s.name} */"
              for i, s in enumerate(model.state_symbols)]
    unpack += [f"  const doublereal {pmap[p]} = par[{index[p.name] - 1}];  /* PAR({index[p.name]}) = {p.name} */"
               for p in model.parameter_symbols]
    used = f.free_symbols | jac.free_symbols | pjac.free_symbols
    # silence unused-variable warnings for symbols the equations do not use
    unused = [str(sym) for sym in list(smap.values()) + list(pmap.values()) if sym not in used]
    if unused:
        unpack.append("  " + " ".join(f"(void){name};" for name in unused))

    f_only = [(f"f[{i}]", f[i]) for i in range(n)]
    full = list(f_only)
    guards = {}
    for j in range(n):
        for i in range(n):
            full.append((f"dfdu[{i + j * n}]", jac[i, j]))
    for k, p in enumerate(model.parameter_symbols):
        col = index[p.name] - 1
        for i in range(n):
            target = f"dfdp[{i} + {col} * ndim]"
            full.append((target, pjac[i, k]))
            guards[target] = "ijac == 2"

    header = (
        f"/* AUTO-07p user file for model {model.name!r}, generated by bifurc "
        f"(fingerprint {model.fingerprint[:16]}).\n"
        f" * Do not edit: regenerate with bifurc.auto07p.render_equation_file.\n"
        f" * States   U(i):   " + ", ".join(f"{i + 1}={s}" for i, s in enumerate(model.state_names)) + "\n"
        f" * Parameters PAR(i): " + ", ".join(f"{index[p]}={p}" for p in model.parameter_names) + "\n"
        f" */\n")
    lines = [
        header,
        '#include "auto_f2c.h"',
        "",
        *_MATH_CONSTANTS,
        "",
        "static int func(integer ndim, const doublereal *u, const integer *icp,",
        "         const doublereal *par, integer ijac,",
        "         doublereal *f, doublereal *dfdu, doublereal *dfdp)",
        "{",
        "  (void)icp;",
        *unpack,
        "  if (ijac == 0) {",
        *_cse_block(f_only, "    "),
        "    return 0;",
        "  }",
        "  {",
        *_cse_block(full, "    ", guards),
        "  }",
        "  return 0;",
        "}",
        "",
        "static int stpnt(integer ndim, doublereal t, doublereal *u, doublereal *par)",
        "{",
        "  /* start point comes from the constants file (U and PAR) */",
        "  (void)ndim; (void)t; (void)u; (void)par;",
        "  return 0;",
        "}",
        "",
        "static int bcnd(integer ndim, const doublereal *par, const integer *icp,",
        "         integer nbc, const doublereal *u0, const doublereal *u1, integer ijac,",
        "         doublereal *fb, doublereal *dbc)",
        "{",
        "  (void)ndim; (void)par; (void)icp; (void)nbc; (void)u0; (void)u1; (void)ijac;",
        "  (void)fb; (void)dbc;",
        "  return 0;",
        "}",
        "",
        "static int icnd(integer ndim, const doublereal *par, const integer *icp,",
        "         integer nint, const doublereal *u, const doublereal *uold,",
        "         const doublereal *udot, const doublereal *upold, integer ijac,",
        "         doublereal *fi, doublereal *dint)",
        "{",
        "  (void)ndim; (void)par; (void)icp; (void)nint; (void)u; (void)uold;",
        "  (void)udot; (void)upold; (void)ijac; (void)fi; (void)dint;",
        "  return 0;",
        "}",
        "",
        "static int fopt(integer ndim, const doublereal *u, const integer *icp,",
        "         const doublereal *par, integer ijac,",
        "         doublereal *fs, doublereal *dfdu, doublereal *dfdp)",
        "{",
        "  (void)ndim; (void)u; (void)icp; (void)par; (void)ijac; (void)fs;",
        "  (void)dfdu; (void)dfdp;",
        "  return 0;",
        "}",
        "",
        "static int pvls(integer ndim, const doublereal *u, doublereal *par)",
        "{",
        "  (void)ndim; (void)u; (void)par;",
        "  return 0;",
        "}",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- constants
#: AUTO reads each constant into a 2048-character buffer
_MAX_LINE = 2000


def _fortran_float(value: float) -> str:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"AUTO constants must be finite, got {value}")
    text = repr(value)
    return text if ("e" in text or "." in text) else text + ".0"


def _bound(value: float, sign: int) -> float:
    value = float(value)
    if math.isinf(value):
        return sign * 1e300
    return value


def render_constants(model: Model, parameters, start_state, free: str, bounds, *,
                     ds: float = 0.01, ds_min: float = 1e-6, ds_max: float = 0.1,
                     max_points: int = 2000, direction: int = +1, npr: int = 1,
                     epsl: float = 1e-10, epsu: float = 1e-10, epss: float = 1e-8) -> str:
    """A complete AUTO-07p constants file (``c.<model>``) for equilibria in ``free``.

    Every constant AUTO's reader knows is written (except the file-name ones
    ``s``, ``dat``, ``sv`` and the restart type ``TY``, unused with ``IRS = 0``),
    so nothing depends on earlier runs. The start point is ``U`` / ``PAR``.
    """
    from .codegen import parameter_vector

    index = parameter_index_map(model)
    if free not in index:
        raise ValueError(model.unknown_parameter_message(free))
    p = parameter_vector(model, parameters)
    x = np.asarray(start_state, dtype=float)
    if x.shape != (model.n_states,):
        raise ValueError(f"start_state must have shape ({model.n_states},), got {x.shape}")
    if not np.all(np.isfinite(x)) or not np.all(np.isfinite(p)):
        raise ValueError("start state and parameters must be finite")
    lo, hi = (float(b) for b in bounds)
    if not lo < hi:
        raise ValueError(f"bounds must be (lower, upper) with lower < upper, got {bounds}")
    if direction not in (+1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction}")
    for name, value in (("ds", ds), ("ds_min", ds_min), ("ds_max", ds_max)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive, got {value}")
    if not ds_min <= ds <= ds_max:
        raise ValueError(f"need ds_min <= ds <= ds_max, got {ds_min}, {ds}, {ds_max}")
    max_points = int(max_points)
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")

    unames = ", ".join(f"{i + 1}: '{name[:13]}'" for i, name in enumerate(model.state_names))
    parnames = ", ".join(f"{index[name]}: '{name[:13]}'" for name in model.parameter_names)
    u_values = ", ".join(f"{i + 1}: {_fortran_float(v)}" for i, v in enumerate(x))
    par_values = ", ".join(f"{index[name]}: {_fortran_float(v)}"
                           for name, v in zip(model.parameter_names, p))
    f = _fortran_float
    lines = [
        f"# AUTO-07p constants for model {model.name!r}, written by bifurc.auto07p",
        f"# one-parameter continuation of equilibria in {free} = PAR({index[free]}), "
        f"direction {direction:+d}",
        f"e = '{model.name}'",
        f"unames = {{{unames}}}",
        f"parnames = {{{parnames}}}",
        f"NDIM = {model.n_states}, IPS = 1, IRS = 0, ILP = 1",
        f"ICP = [{index[free]}]",
        "NTST = 20, NCOL = 4, IAD = 3, ISP = 2, ISW = 1, IPLT = 0, NBC = 0, NINT = 0",
        f"NMX = {max_points}, NPR = {int(npr)}, MXBF = 10, IID = 2, ITMX = 20, ITNW = 10, "
        "NWTN = 3, JAC = 1",
        f"EPSL = {f(epsl)}, EPSU = {f(epsu)}, EPSS = {f(epss)}",
        f"DS = {f(direction * ds)}, DSMIN = {f(ds_min)}, DSMAX = {f(ds_max)}, IADS = 1",
        f"RL0 = {f(_bound(lo, -1))}, RL1 = {f(_bound(hi, +1))}, A0 = {f(-1e300)}, A1 = {f(1e300)}",
        f"NPAR = {_n_par(model)}",
        "THL = {}, THU = {}",
        "UZR = {}",
        "UZSTOP = {}",
        "SP = []",
        "STOP = []",
        "IBR = 0, LAB = 0",
        f"U = {{{u_values}}}",
        f"PAR = {{{par_values}}}",
        "",
    ]
    too_long = [line.split("=")[0].strip() for line in lines if len(line) > _MAX_LINE]
    if too_long:
        raise ValueError(f"the AUTO constant(s) {', '.join(too_long)} of model {model.name!r} "
                         "would exceed the 2048 characters AUTO reads per constant (too many states)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- parsing
_EXPONENT_FIX = re.compile(r"(?<=[0-9.])([+-]\d{2,3})$")


def _to_float(token: str) -> float:
    try:
        return float(token)
    except ValueError:
        # Fortran drops the "E" of three-digit exponents: 1.0000000000-100
        fixed = _EXPONENT_FIX.sub(r"E\1", token.replace("D", "E").replace("d", "e"))
        return float(fixed)


def parse_fort7(path) -> list[dict]:
    """Rows of an AUTO ``fort.7`` (``b.`` file): one dict per continuation step.

    Keys: ``branch`` (IBR), ``point`` (|PT|), ``stable`` (PT < 0: for equilibria
    AUTO marks stable points with a negative point number), ``itp`` (type code),
    ``type`` (short name, see :data:`LABEL_TYPES`), ``label`` (LAB, 0 if not
    labelled) and ``values``: the principal parameter, the norm column (L2 norm
    for ``IPLT = 0``), the first states and other free parameters, as printed.
    Header and comment lines (first field 0) are skipped.
    """
    rows = []
    with open(path) as stream:
        for line in stream:
            fields = line.split()
            if len(fields) < 5:
                continue
            try:
                ibr, pt, itp, lab = (int(v) for v in fields[:4])
            except ValueError:
                continue
            if ibr == 0:
                continue
            values = np.array([_to_float(v) for v in fields[4:]])
            rows.append({"branch": ibr, "point": abs(pt), "stable": pt < 0, "itp": itp,
                         "type": LABEL_TYPES.get(itp, LABEL_TYPES.get(_base_itp(itp), str(itp))),
                         "label": lab, "values": values})
    return rows


def _base_itp(itp: int) -> int:
    return itp % 10 if itp >= 0 else -((-itp) % 10)


def _fort8_records(path):
    """(header integers, body lines) of each solution in an AUTO ``fort.8``: the
    12 header integers IBR NTOT ITP LAB NFPR ISW NTPL NAR NROWPR NTST NCOL NPAR,
    then NROWPR lines."""
    with open(path) as stream:
        lines = stream.read().splitlines()
    pos = 0
    while pos < len(lines):
        header = lines[pos].split()
        pos += 1
        if not header:
            continue
        if len(header) < 12:
            raise ValueError(f"{path}: malformed solution header on line {pos}: {lines[pos - 1]!r}")
        values = tuple(int(v) for v in header[:12])
        nrowpr = values[8]
        body = lines[pos:pos + nrowpr]
        pos += nrowpr
        if len(body) < nrowpr:
            raise ValueError(f"{path}: solution {values[3]} is truncated")
        yield values, body


def parse_fort8(path) -> list[dict]:
    """Labelled solutions of an AUTO ``fort.8`` (``s.`` file), for algebraic problems.

    Each entry: ``branch``, ``point``, ``itp``, ``type``, ``label``, ``nfpr``,
    ``isw``, ``state`` (the U vector, NAR - 1 values) and ``par`` (PAR(1..NPAR)
    as an array, ``par[i - 1]`` = PAR(i)). The header's NROWPR says how many
    lines follow; the state is the first NAR values after the header (time
    first), the parameters the last NPAR values, which holds whether or not the
    direction vector is stored in between.
    """
    entries = []
    for (ibr, ntot, itp, lab, nfpr, isw, ntpl, nar, nrowpr, ntst, ncol, npar), body in \
            _fort8_records(path):
        numbers = [_to_float(v) for line in body for v in line.split()]
        if ntpl != 1:
            raise ValueError(f"{path}: solution {lab} has {ntpl} mesh points; only algebraic "
                             "problems (equilibria) are supported")
        if len(numbers) < nar + npar:
            raise ValueError(f"{path}: solution {lab} has too few values")
        entries.append({"branch": ibr, "point": abs(ntot), "itp": itp,
                        "type": LABEL_TYPES.get(itp, LABEL_TYPES.get(_base_itp(itp), str(itp))),
                        "label": lab, "nfpr": nfpr, "isw": isw,
                        "state": np.array(numbers[1:nar]), "par": np.array(numbers[-npar:])})
    return entries


# --------------------------------------------------------------------------- running
def _tail(text: str, lines: int = 25) -> str:
    text = (text or "").strip()
    return "\n".join(text.splitlines()[-lines:])


def _run(command, cwd, timeout, what, env=None):
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        raise RuntimeError(f"{what} timed out after {timeout} s in {cwd}\n{_tail(out)}") from None
    except OSError as exc:
        raise RuntimeError(f"{what} could not be started ({exc}) in {cwd}") from None
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit status {result.returncode}) in {cwd}\n"
            f"command: {' '.join(map(str, command))}\n"
            f"stderr:\n{_tail(result.stderr)}\nstdout:\n{_tail(result.stdout)}")
    return result


def _compile(model: Model, workdir: Path, timeout: float,
             parameter_index: dict[str, int] | None = None) -> Path:
    auto_dir = auto_directory()
    make = _make_variables(auto_dir)
    include = _header_dir(auto_dir)
    source = workdir / f"{model.name}.c"
    source.write_text(render_equation_file(model) if parameter_index is None
                      else render_equation_file(model, parameter_index))
    obj = workdir / f"{model.name}.o"
    exe = workdir / f"{model.name}.exe"
    # -std=gnu99: auto_f2c.h declares the user functions K&R-style, `static int func();`,
    # which C23 (the default of newer compilers) would read as `func(void)`
    cc = (shlex.split(make["CC"]) + shlex.split(make["CFLAGS"]) + shlex.split(make["OPT"])
          + ["-std=gnu99", f"-I{include}", "-c", source.name, "-o", obj.name])
    _run(cc, workdir, timeout, "compiling the AUTO equation file")
    libdir = auto_dir / "lib"
    objects = sorted(str(p) for p in libdir.glob("*.o"))
    link = (shlex.split(make["FC"]) + [f"-L{libdir}"] + shlex.split(make["FFLAGS"])
            + shlex.split(make["OPT"]) + [obj.name, "-o", exe.name] + objects + ["-lauto_c"])
    _run(link, workdir, timeout, "linking the AUTO executable")
    return exe


def _check_output(rundir: Path, stdout: str, stderr: str) -> None:
    fort7 = rundir / "fort.7"
    problem = None
    if not fort7.is_file() or fort7.stat().st_size == 0:
        problem = "AUTO wrote no fort.7"
    elif not parse_fort7(fort7):
        problem = "AUTO computed no point"
    if problem is None:
        return
    raise RuntimeError(f"{problem} in {rundir}; AUTO said:\n{_tail(stdout)}\n{_tail(stderr)}")


def continue_equilibria_auto(model: Model, parameters, start_state, free: str, bounds, *,
                             ds: float = 0.01, ds_min: float = 1e-6, ds_max: float = 0.1,
                             max_points: int = 2000, directions=(+1, -1), workdir=None,
                             timeout: float = 120, keep_workdir: bool | None = None,
                             start_tolerance: float = 1e-6) -> dict:
    """Continue an equilibrium of ``model`` in parameter ``free`` with AUTO-07p.

    Parameters
    ----------
    model : Model
    parameters : ParameterSet, dict or vector
        All parameter values; the value of ``free`` is the start value.
    start_state : (n,) array
        An equilibrium at the given parameters. AUTO does not correct the start
        point (only the points after it), so it must be accurate: max |f| at the
        start must not exceed ``start_tolerance``, else ValueError.
    free : str
        Name of the continuation parameter.
    bounds : (lower, upper)
        Range of ``free``; AUTO stops (EP) when it leaves it (RL0, RL1).
    ds, ds_min, ds_max : float
        Initial, minimal and maximal pseudo-arclength step (DS, DSMIN, DSMAX).
    max_points : int
        Maximal number of steps in each direction (NMX).
    directions : sequence of +1 / -1
        +1 starts towards increasing ``free``, -1 towards decreasing.
    workdir : path, optional
        Where to write and run; a fresh temporary directory by default, which is
        removed afterwards unless ``keep_workdir`` (it is kept when a run fails,
        and its path is in the error message). A given directory is reused:
        the equation file is recompiled and each run directory recreated.
    timeout : float
        Seconds allowed for compiling and for each AUTO run.
    keep_workdir : bool, optional
        Keep the files (default: keep a given ``workdir``, remove a temporary one).
    start_tolerance : float
        Largest max |f(start_state)| accepted.

    Returns
    -------
    dict with
        ``points``: ``par`` (values of ``free``), ``state`` (full states, from
        fort.8), ``l2norm``, ``stable`` (AUTO's stability flag: all eigenvalues
        with negative real part), ``type`` (AUTO label type, "" for plain points),
        ``direction``; ordered along the branch, the ``-1`` run reversed first.
        ``special_points``: list of dicts, in branch order, with ``type`` (LP, HB,
        BP, EP, MX, UZ, ...), ``itp`` (AUTO's code), ``par``, ``state``,
        ``parameters`` (full vector in model order), ``label`` (AUTO's label
        within its run), ``direction``, ``stable``, ``index`` (position in
        ``points``). The start point (labelled EP by AUTO in every run) is left out.
        ``seconds``: wall time of the AUTO runs; ``compile_seconds``;
        ``workdir``: the directory (None if it was temporary and removed);
        ``free``, ``parameter_index`` (AUTO index of ``free``), ``stdout`` per run;
        ``warnings``: list of messages, e.g. when a run ended without convergence (MX)
        or at NMX = ``max_points`` before reaching a bound.

    AUTO's last point in a direction (EP) is its first step beyond the bound,
    so it lies slightly outside ``bounds``. Values are read from AUTO's output
    files, which print 11 significant digits.

    Raises
    ------
    RuntimeError
        If AUTO-07p is not available (with how to install it), or compiling or
        running fails (with the tail of AUTO's output).
    """
    ok, reason = auto_available()
    if not ok:
        raise RuntimeError(f"AUTO-07p is not available: {reason}")
    directions = tuple(int(d) for d in directions)
    if not directions or any(d not in (+1, -1) for d in directions) or len(set(directions)) != len(directions):
        raise ValueError(f"directions must be distinct values from (+1, -1), got {directions}")
    index = parameter_index_map(model)
    if free not in index:
        raise ValueError(model.unknown_parameter_message(free))
    from .codegen import parameter_vector
    p = parameter_vector(model, parameters)
    lo, hi = (float(b) for b in bounds)
    start_value = p[model.parameter_index(free)]
    if not lo <= start_value <= hi:
        raise ValueError(f"the start value {free} = {start_value} is outside bounds [{lo}, {hi}]")
    x0 = np.asarray(start_state, dtype=float)
    residual = _residual(model, p, x0)
    if not residual <= start_tolerance:
        raise ValueError(
            f"start_state is not an equilibrium of {model.name!r} (max |f| = {residual:.3g} > "
            f"start_tolerance = {start_tolerance:g}); AUTO takes the start point as given, "
            "so refine it first (e.g. scipy.optimize.fsolve on the vector field)")
    constants = {d: render_constants(model, p, start_state, free, (lo, hi), ds=ds, ds_min=ds_min,
                                     ds_max=ds_max, max_points=max_points, direction=d)
                 for d in directions}

    temporary = workdir is None
    if keep_workdir is None:
        keep_workdir = not temporary
    base = Path(tempfile.mkdtemp(prefix=f"bifurc_auto_{model.name}_") if temporary else workdir)
    base.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    try:
        start = time.perf_counter()
        exe = _compile(model, base, timeout)
        compile_seconds = time.perf_counter() - start
        runs, seconds = {}, 0.0
        for d in directions:
            rundir = base / ("run_plus" if d > 0 else "run_minus")
            if rundir.exists():
                shutil.rmtree(rundir)
            rundir.mkdir()
            (rundir / f"c.{model.name}").write_text(constants[d])
            (rundir / "fort.2").write_text(constants[d])
            start = time.perf_counter()
            result = _run([str(exe.resolve())], rundir, timeout, f"AUTO-07p ({model.name}, "
                          f"direction {d:+d})", env=env)
            seconds += time.perf_counter() - start
            _check_output(rundir, result.stdout, result.stderr)
            runs[d] = (parse_fort7(rundir / "fort.7"),
                       parse_fort8(rundir / "fort.8") if (rundir / "fort.8").is_file() else [],
                       result.stdout)
    except Exception:
        if temporary:
            keep_workdir = True  # leave the evidence
        raise
    finally:
        if temporary and not keep_workdir:
            shutil.rmtree(base, ignore_errors=True)

    result = _assemble(model, free, runs, directions)
    result["warnings"] = [w for d in directions
                          for w in _run_warnings(free, d, runs[d][0], int(max_points))]
    result.update(seconds=seconds, compile_seconds=compile_seconds,
                  workdir=str(base) if keep_workdir else None, free=free,
                  parameter_index=index[free],
                  stdout={d: runs[d][2] for d in directions})
    return result


def _residual(model: Model, p: np.ndarray, x: np.ndarray) -> float:
    if x.shape != (model.n_states,):
        raise ValueError(f"start_state must have shape ({model.n_states},), got {x.shape}")
    f = sp.lambdify((model.state_symbols, model.parameter_symbols), list(model.rhs), "numpy")
    with np.errstate(all="ignore"):
        value = np.asarray(f(x, p), dtype=float)
    return float(np.max(np.abs(value))) if np.all(np.isfinite(value)) else math.inf


def _run_warnings(free: str, direction: int, rows: list[dict], max_points: int) -> list[str]:
    if not rows:
        return [f"direction {direction:+d}: AUTO computed no point"]
    last = rows[-1]
    where = f"{free} = {last['values'][0]:.10g}"
    if last["itp"] == -9:
        return [f"direction {direction:+d}: AUTO stopped without convergence (MX) at {where} "
                f"after {len(rows)} points; try a smaller ds or ds_min"]
    if len(rows) >= max_points:
        return [f"direction {direction:+d}: AUTO stopped after max_points = {max_points} "
                f"points at {where}, before reaching a bound"]
    return []


def _assemble(model: Model, free: str, runs: dict, directions) -> dict:
    index = parameter_index_map(model)
    n = model.n_states
    par_columns = [index[name] - 1 for name in model.parameter_names]
    segments, specials = [], []
    for d in sorted(directions):  # -1 first, reversed, so the branch reads continuously
        rows, solutions, _ = runs[d]
        by_label = {s["label"]: s for s in solutions}
        seg, seg_specials = [], []
        for k, row in enumerate(rows):
            sol = by_label.get(row["label"]) if row["label"] else None
            if sol is not None:
                state = sol["state"][:n]
            elif n <= len(row["values"]) - 2:  # fort.7 prints up to 6 states
                state = row["values"][2:2 + n]
            else:
                state = np.full(n, np.nan)
            seg.append((row["values"][0], state, row["values"][1], row["stable"],
                        "" if row["itp"] in (0, 4) else row["type"], d))
            if k == 0 or row["itp"] in (0, 4) or row["label"] == 0:
                continue  # start point (EP of every run) and plain points
            has_par = sol is not None and len(sol["par"]) > max(par_columns, default=-1)
            seg_specials.append((k, {
                "type": row["type"], "itp": row["itp"], "par": float(row["values"][0]),
                "state": np.array(state, dtype=float),
                "parameters": (sol["par"][par_columns] if has_par
                               else np.full(model.n_parameters, np.nan)),
                "label": row["label"], "direction": d, "stable": bool(row["stable"]),
            }))
        offset = len(segments)
        if d < 0:
            seg = seg[::-1]
            positions = {k: offset + len(seg) - 1 - k for k, _ in seg_specials}
            seg_specials = seg_specials[::-1]
        else:
            skip = 1 if segments else 0  # the start point is already the end of the -1 run
            seg = seg[skip:]
            positions = {k: offset + k - skip for k, _ in seg_specials}
        for k, special in seg_specials:
            special["index"] = positions[k]
            specials.append(special)
        segments.extend(seg)
    points = {
        "par": np.array([s[0] for s in segments], dtype=float),
        "state": np.array([s[1] for s in segments], dtype=float).reshape(-1, n),
        "l2norm": np.array([s[2] for s in segments], dtype=float),
        "stable": np.array([s[3] for s in segments], dtype=bool),
        "type": [s[4] for s in segments],
        "direction": np.array([s[5] for s in segments], dtype=int),
    }
    return {"points": points, "special_points": specials}


_AUTO_TO_BIFURC = {"LP": "LP", "HB": "H", "BP": "BP"}


def equilibrium_branch_auto(model: Model, parameters, free: str, bounds, options=None):
    """EP-C computed by AUTO-07p, returned as a bifurc Branch (the same object and
    file schema as the native engine). Step settings come from ``options``
    (a ContinuationOptions); l1 and frequencies at AUTO's Hopf points, and
    eigenvalues at every point, are computed by bifurc at AUTO's points."""
    from .codegen import compile_model, parameter_vector
    from .continuation import ContinuationOptions
    from .continuation.branch import Branch, SpecialPoint
    from .continuation.equilibria import (EquilibriumProblem, domain_flags, find_equilibrium,
                                          sorted_eigenvalues)

    options = options or ContinuationOptions()
    base = parameter_vector(model, parameters)
    start = find_equilibrium(model, base)
    result = continue_equilibria_auto(
        model, base, start, free, bounds, ds=options.step_size, ds_min=options.min_step_size,
        ds_max=options.max_step_size, max_points=options.max_points)
    points = result["points"]
    index = model.parameter_index(free)
    problem = EquilibriumProblem(compile_model(model), base, index)
    us = [np.append(x, a) for x, a in zip(points["state"], points["par"])]
    eigenvalues = np.array([sorted_eigenvalues(problem.state_jacobian(u)) for u in us])
    specials, counts = [], {}
    for raw in result["special_points"]:
        kind = _AUTO_TO_BIFURC.get(raw["type"])
        if kind is None:
            continue
        u = np.append(raw["state"], raw["par"])
        verdict = problem.classify(kind, u, np.eye(len(u))[-1])
        if verdict is None:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        values = dict(zip(model.parameter_names, base.tolist()))
        values[free] = float(raw["par"])
        specials.append(SpecialPoint(f"{kind}{counts[kind]}", kind, int(raw["index"]), values,
                                     np.asarray(raw["state"], float),
                                     eigenvalues[int(raw["index"])], verdict[1], model.name,
                                     "EP-C", (free,)))
    states = np.asarray(points["state"], float)
    # AUTO-07p knows no domain: its points outside the model's domain are flagged
    in_domain, warnings = domain_flags(model, states)
    return Branch(kind="EP-C", model=model.name, free=(free,), state_names=model.state_names,
                  parameters=dict(zip(model.parameter_names, base.tolist())),
                  values=np.asarray(points["par"], float).reshape(-1, 1),
                  states=states, eigenvalues=eigenvalues, in_domain=in_domain, warnings=warnings,
                  stable=np.all(eigenvalues.real < 0, axis=1), special_points=specials,
                  ends=[{"direction": "auto07p", "status": "completed",
                         "message": "; ".join(result.get("warnings", [])) or "AUTO-07p run"}],
                  options={"engine": "auto07p", "bounds": list(bounds),
                           "seconds": result["seconds"]})


# =========================================================================== periodic orbits
# Limit cycles born at a Hopf point, continued by AUTO-07p (IPS = 2).
#
# AUTO starts a branch of periodic orbits only from a solution it has itself
# labelled HB. So every call makes two runs of one executable:
#
#   run_hopf    IPS = 1 from an equilibrium a little before the Hopf point
#               (found here by Newton's method from the given Hopf state), with
#               STOP = HB1: AUTO locates the Hopf point and labels it;
#   run_cycles  fort.8 of run_hopf copied to fort.3 (AUTO's restart file, the
#               ``s.<name>`` file of the AUTO CLI), IRS = that label, IPS = 2,
#               ICP = [free, 11] (PAR(11) is the period), ISP = 2 (LP, PD and
#               TR of cycles, Floquet multipliers at every point).
#
# The executable of a periodic run maps parameters with cycle_parameter_index_map
# (11 and 12 skipped: AUTO writes the torus angle into PAR(12) during the run).
#
# Outputs: fort.7 (one row per point: the parameter, the L2 norm of the orbit,
# the max of the first states over the orbit, the period), fort.8 (labelled
# orbits: mesh, profile, parameters), fort.9 (diagnostics, with the Floquet
# multipliers of every point, 6 significant digits).

_PERIOD_INDEX = 11
#: PAR indices AUTO writes during periodic runs: 11 the period, 12 the torus
#: angle (periodic.f90, FNSPBV: ``IF(ATYPE=='TR') PAR(12)=THETA`` at every point
#: whose multiplier closest to the unit circle is complex, with ISP = 2). A model
#: parameter stored there would be overwritten in the middle of a run.
_CYCLE_RESERVED = (11, 12)


def cycle_parameter_index_map(model: Model) -> dict[str, int]:
    """AUTO ``PAR`` index of each model parameter for periodic-orbit runs.

    Like :func:`parameter_index_map`, but 12 is skipped as well as 11: AUTO
    keeps the period in PAR(11) and, with ``ISP = 2``, writes the torus angle
    into PAR(12) whenever a torus bifurcation is a candidate. With the
    equilibrium mapping, the 11th model parameter (``J_ie`` of ``ei``) would be
    silently replaced by an angle in mid-run. At most 34 parameters.
    """
    mapping, index = {}, 0
    for name in model.parameter_names:
        index += 1
        while index in _CYCLE_RESERVED:
            index += 1
        mapping[name] = index
    if index > _NPARX:
        raise ValueError(f"model {model.name!r} has {model.n_parameters} parameters; AUTO-07p "
                         f"allows PAR indices up to {_NPARX} and periodic orbits reserve "
                         f"{_CYCLE_RESERVED}, i.e. at most {_NPARX - len(_CYCLE_RESERVED)} "
                         "parameters")
    return mapping


_MULTIPLIER_LINE = re.compile(
    r"^\s*(-?\d+)\s+(-?\d+)\s+Multiplier\s+(\d+)\s+(\S+)\s+(\S+)")
_MULTIPLIER_NOTE = re.compile(
    r"^\s*(-?\d+)\s+(-?\d+)\s+NOTE:\s*Multiplier (inaccurate|accurate again)")


def _render_run_constants(model: Model, p: np.ndarray, free: str, bounds, *, ips: int,
                          icp, irs: int = 0, start_state=None, ntst: int = 20, ncol: int = 4,
                          isp: int = 2, ds: float, ds_min: float, ds_max: float,
                          max_points: int, npr: int, epsl: float, epsu: float, epss: float,
                          stop=(), uzstop=None, uzr=None, itmx: int = 20, itnw: int = 10,
                          comment: str = "") -> str:
    """A complete constants file for one run (any IPS, IRS): every constant is written.
    PAR indices from :func:`cycle_parameter_index_map` (the executable must use the same)."""
    index = cycle_parameter_index_map(model)
    lo, hi = (float(b) for b in bounds)
    if not lo < hi:
        raise ValueError(f"bounds must be (lower, upper) with lower < upper, got {bounds}")
    for name, value in (("ds", abs(ds)), ("ds_min", ds_min), ("ds_max", ds_max)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive, got {value}")
    if not ds_min <= abs(ds) <= ds_max:
        raise ValueError(f"need ds_min <= |ds| <= ds_max, got {ds_min}, {ds}, {ds_max}")
    if int(max_points) < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    f = _fortran_float
    unames = ", ".join(f"{i + 1}: '{name[:13]}'" for i, name in enumerate(model.state_names))
    names = {index[name]: name[:13] for name in model.parameter_names}
    if ips == 2:
        names[_PERIOD_INDEX] = "PERIOD"
    parnames = ", ".join(f"{k}: '{v}'" for k, v in sorted(names.items()))
    # a restart (IRS > 0) takes the free parameter's value from the restart solution
    par_values = ", ".join(f"{index[name]}: {f(v)}" for name, v in zip(model.parameter_names, p)
                           if not (irs and name == free))
    if start_state is not None:
        u_values = ", ".join(f"{i + 1}: {f(v)}" for i, v in enumerate(start_state))
    else:
        u_values = ""
    npar = max([*index.values(), _CYCLE_RESERVED[-1] if ips == 2 else 1])
    uz = ", ".join(f"{k}: {f(v)}" for k, v in (uzstop or {}).items())
    uzr_text = ", ".join(f"{k}: [" + ", ".join(f(v) for v in values) + "]"
                         for k, values in (uzr or {}).items() if len(values))
    stops = ", ".join(f"'{s}'" for s in stop)
    lines = [
        f"# AUTO-07p constants for model {model.name!r}, written by bifurc.auto07p",
        f"# {' '.join(comment.split())}" if comment else "#",  # one line, whatever it holds
        f"e = '{model.name}'",
        f"unames = {{{unames}}}",
        f"parnames = {{{parnames}}}",
        f"NDIM = {model.n_states}, IPS = {int(ips)}, IRS = {int(irs)}, ILP = 1",
        "ICP = [" + ", ".join(str(int(i)) for i in icp) + "]",
        f"NTST = {int(ntst)}, NCOL = {int(ncol)}, IAD = 3, ISP = {int(isp)}, ISW = 1, IPLT = 0, "
        "NBC = 0, NINT = 0",
        f"NMX = {int(max_points)}, NPR = {int(npr)}, MXBF = 10, IID = 2, ITMX = {int(itmx)}, "
        f"ITNW = {int(itnw)}, NWTN = 3, JAC = 1",
        f"EPSL = {f(epsl)}, EPSU = {f(epsu)}, EPSS = {f(epss)}",
        f"DS = {f(ds)}, DSMIN = {f(ds_min)}, DSMAX = {f(ds_max)}, IADS = 1",
        f"RL0 = {f(_bound(lo, -1))}, RL1 = {f(_bound(hi, +1))}, A0 = {f(-1e300)}, A1 = {f(1e300)}",
        f"NPAR = {npar}",
        "THL = {}, THU = {}",
        f"UZR = {{{uzr_text}}}",
        f"UZSTOP = {{{uz}}}",
        "SP = []",
        f"STOP = [{stops}]",
        "IBR = 0, LAB = 0",
        f"U = {{{u_values}}}",
        f"PAR = {{{par_values}}}",
        "",
    ]
    too_long = [line.split("=")[0].strip() for line in lines if len(line) > _MAX_LINE]
    if too_long:
        raise ValueError(f"the AUTO constant(s) {', '.join(too_long)} of model {model.name!r} "
                         "would exceed the 2048 characters AUTO reads per constant")
    return "\n".join(lines)


def render_cycle_constants(model: Model, parameters, free: str, bounds, *, label: int,
                           ntst: int = 50, ncol: int = 4, ds: float = 0.01,
                           ds_min: float = 1e-6, ds_max: float = 0.5, max_points: int = 200,
                           npr: int | None = None, max_period: float | None = None,
                           uzr=None, epsl: float = 1e-10, epsu: float = 1e-10,
                           epss: float = 1e-8) -> str:
    """A complete AUTO-07p constants file for periodic orbits (``IPS = 2``) in ``free``,
    restarting (``IRS = label``) from the Hopf point with that label in fort.3.

    ``ICP = [free, 11]`` (PAR(11) is the period), ``ISP = 2`` (folds, period
    doublings and tori of cycles, Floquet multipliers at every point), ``IAD = 3``.
    ``bounds`` limit ``free`` (RL0, RL1); ``max_period`` stops the run when the
    period exceeds it (``UZSTOP`` on PAR(11)). ``npr`` (default ``max_points``)
    labels every npr-th orbit, so its profile is in fort.8. ``uzr``: values of
    ``free`` at which AUTO locates and labels an orbit (UZ points, ``UZR``).
    PAR indices are those of :func:`cycle_parameter_index_map`: compile the
    executable with ``render_equation_file(model, cycle_parameter_index_map(model))``.
    """
    from .codegen import parameter_vector

    index = cycle_parameter_index_map(model)
    if free not in index:
        raise ValueError(model.unknown_parameter_message(free))
    p = parameter_vector(model, parameters)
    uzstop = {_PERIOD_INDEX: float(max_period)} if max_period is not None else None
    return _render_run_constants(
        model, p, free, bounds, ips=2, icp=[index[free], _PERIOD_INDEX], irs=int(label),
        ntst=ntst, ncol=ncol, isp=2, ds=ds, ds_min=ds_min, ds_max=ds_max, max_points=max_points,
        npr=int(npr or max_points), epsl=epsl, epsu=epsu, epss=epss, uzstop=uzstop,
        uzr={index[free]: [float(v) for v in uzr]} if uzr is not None and len(uzr) else None,
        comment=f"periodic orbits from the Hopf point (label {label}) in {free} = "
                f"PAR({index[free]}), period = PAR(11)")


def parse_fort7_columns(path) -> list[str]:
    """Column names of an AUTO ``fort.7`` after ``BR PT TY LAB``, from its header
    line (e.g. ``eta_e``, ``L2-NORM``, ``MAX r_e``, ``PERIOD``: AUTO uses the
    ``parnames`` and ``unames`` of the constants file, else ``PAR(i)``, ``U(i)``).
    Names are separated by at least two spaces (a name like ``MAX U(1)`` has one)."""
    with open(path) as stream:
        for line in stream:
            fields = line.split()
            if len(fields) > 4 and fields[0] == "0" and fields[1] == "PT" and fields[3] == "LAB":
                body = line[line.index("LAB") + 3:].strip()
                return [name for name in re.split(r"\s{2,}", body) if name]
    return []


def parse_fort8_orbits(path) -> list[dict]:
    """Labelled solutions of an AUTO ``fort.8`` of a boundary-value problem
    (periodic orbits; algebraic solutions are read too, with one mesh point).

    Each entry: ``branch``, ``point``, ``itp``, ``type``, ``label``, ``nfpr``,
    ``isw``, ``ntst``, ``ncol``, ``t`` (the NTPL mesh times in [0, 1]),
    ``profile`` (NTPL x NDIM: the orbit at those times), ``icp`` (free
    parameter indices), ``par`` (PAR(1..NPAR), ``par[i - 1]`` = PAR(i)).

    The layout (AUTO's WRTBV8): NTPL rows of (t, U(1..NDIM)) in records of at
    most 7 numbers per line, the NFPR free-parameter indices, their
    derivatives, the direction vector (NTPL rows of NDIM) and PAR; the header's
    NROWPR counts all lines.
    """
    entries = []
    for (ibr, ntot, itp, lab, nfpr, isw, ntpl, nar, nrowpr, ntst, ncol, npar), body in \
            _fort8_records(path):
        per_row = -(-nar // 7)  # lines per mesh point
        numbers = [_to_float(v) for line in body[:ntpl * per_row] for v in line.split()]
        if len(numbers) != ntpl * nar:
            raise ValueError(f"{path}: solution {lab}: expected {ntpl} x {nar} profile values, "
                             f"found {len(numbers)}")
        table = np.array(numbers).reshape(ntpl, nar)
        rest = body[ntpl * per_row:]
        icp = [int(v) for v in rest[0].split()][:nfpr] if rest else []
        tail = [_to_float(v) for line in rest[-(-npar // 7):] for v in line.split()]
        entries.append({"branch": ibr, "point": abs(ntot), "itp": itp,
                        "type": LABEL_TYPES.get(itp, LABEL_TYPES.get(_base_itp(itp), str(itp))),
                        "label": lab, "nfpr": nfpr, "isw": isw, "ntst": ntst, "ncol": ncol,
                        "t": table[:, 0], "profile": table[:, 1:], "icp": icp,
                        "par": np.array(tail[-npar:])})
    return entries


def parse_multipliers(path) -> dict:
    """Floquet multipliers from an AUTO diagnostics file (``fort.9``, ``d.`` file).

    AUTO (periodic.f90, FNSPBV) prints for every computed orbit a block of
    lines ``BR PT  Multiplier i  Re  Im  Abs. Val. |mu|`` (format ES14.5: six
    significant digits), the multiplier closest to 1 first, the others by
    distance from the unit circle. A point number appears several times when
    AUTO retries a step or locates a special point; the last block wins, which
    is the accepted orbit. When the multiplier closest to 1 is off by more than
    0.05 AUTO prints "NOTE:Multiplier inaccurate" and stops detecting
    bifurcations until it is within 0.01 again ("accurate again").

    Returns ``{point number: complex array}`` (AUTO's order) and, under the key
    ``"inaccurate"``, the set of point numbers computed while AUTO considered
    the multipliers inaccurate.
    """
    blocks: dict[int, list] = {}
    inaccurate: set[int] = set()
    current_point, current, flagged = None, None, False
    with open(path) as stream:
        for line in stream:
            match = _MULTIPLIER_LINE.match(line)
            if match:
                point, i = abs(int(match.group(2))), int(match.group(3))
                value = complex(_to_float(match.group(4)), _to_float(match.group(5)))
                if i == 1 or point != current_point:
                    current_point, current = point, []
                    blocks[point] = current
                current.append(value)
                if flagged:
                    inaccurate.add(point)
                else:
                    inaccurate.discard(point)
                continue
            note = _MULTIPLIER_NOTE.match(line)
            if note:
                flagged = note.group(3) == "inaccurate"
                point = abs(int(note.group(2)))
                if flagged:
                    inaccurate.add(point)
                else:
                    inaccurate.discard(point)
    result = {k: np.array(v) for k, v in blocks.items()}
    result["inaccurate"] = inaccurate
    return result


def _newton_equilibrium(model: Model, p: np.ndarray, x0: np.ndarray, tolerance: float = 1e-12,
                        iterations: int = 30):
    """Newton's method on f(x, p) = 0 with the SymPy Jacobian: (x, max |f|)."""
    f = sp.lambdify((model.state_symbols, model.parameter_symbols), list(model.rhs), "numpy")
    jac = sp.lambdify((model.state_symbols, model.parameter_symbols),
                      symbolic.state_jacobian(model), "numpy")
    x = np.array(x0, dtype=float)
    residual = math.inf
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            value = np.asarray(f(x, p), dtype=float)
            residual = float(np.max(np.abs(value))) if np.all(np.isfinite(value)) else math.inf
            if not math.isfinite(residual):
                break
            if residual <= tolerance * (1.0 + np.abs(x).max()):
                break
            try:
                step = np.linalg.solve(np.asarray(jac(x, p), dtype=float), value)
            except np.linalg.LinAlgError:
                break
            x = x - step
    return x, residual


def continue_cycles_auto(model: Model, parameters, hopf_state, free: str, bounds, *,
                         ntst: int = 50, ncol: int = 4, ds: float = 0.01, ds_min: float = 1e-6,
                         ds_max: float = 0.5, max_points: int = 200, workdir=None,
                         timeout: float = 300, keep_workdir: bool | None = None,
                         start_tolerance: float = 1e-6, max_period: float | None = None,
                         npr: int | None = None, uzr=None, epsl: float = 1e-10,
                         epsu: float = 1e-10, epss: float = 1e-8,
                         hopf_offset: float | None = None) -> dict:
    """Continue the periodic orbits born at a Hopf point with AUTO-07p (``IPS = 2``).

    Parameters
    ----------
    model : Model
    parameters : ParameterSet, dict or vector
        All parameter values at the Hopf point (``free`` at its Hopf value).
    hopf_state : (n,) array
        The equilibrium at the Hopf point; max |f| must not exceed
        ``start_tolerance`` (ValueError otherwise).
    free : str
        The continuation parameter.
    bounds : (lower, upper)
        Range of ``free`` (RL0, RL1); the Hopf value must lie inside.
    ntst, ncol : int
        Mesh intervals and collocation points per interval (NTST, NCOL); the
        mesh is adapted every third step (IAD = 3).
    ds, ds_min, ds_max : float
        Pseudo-arclength steps (DS, DSMIN, DSMAX). AUTO measures steps in the
        L2 norm of the orbit over [0, 1] plus the free parameter and the period
        (all weights THL, THU = 1), as bifurc's ``continue_cycles``.
    max_points : int
        Maximal number of orbits (NMX), the Hopf point included.
    workdir, timeout, keep_workdir
        As in :func:`continue_equilibria_auto` (``timeout`` for each AUTO run).
    max_period : float, optional
        Stop when the period exceeds it (UZSTOP on PAR(11)), e.g. near a homoclinic orbit.
    npr : int, optional
        Label (and keep the profile of) every npr-th orbit; default ``max_points``,
        so only special points and the end are labelled.
    uzr : sequence of float, optional
        Values of ``free`` at which AUTO locates and labels an orbit (``UZR``;
        they appear as special points of type "UZ"), e.g. to compare engines at
        the same parameter values.
    epsl, epsu, epss : float
        AUTO's Newton tolerances for parameters and solution, and the relative
        arclength accuracy of located special points.
    hopf_offset : float, optional
        How far before the Hopf value (in ``free``) the equilibrium run starts;
        default 1e-3 max(1, |value|).

    How it runs
    -----------
    AUTO starts periodic orbits only from a Hopf point it labelled itself, so
    there are two runs of one executable, in ``run_hopf`` and ``run_cycles``:

    1. equilibria (``IPS = 1``) from the equilibrium at ``value - hopf_offset``
       (Newton's method from ``hopf_state``; the other side if that fails)
       towards the Hopf value, with ``STOP = ['HB1']``;
    2. ``fort.8`` of run 1 copied to ``fort.3`` (the restart file), ``IRS`` =
       the HB label, ``IPS = 2``, ``ICP = [free, 11]`` (PAR(11) = period),
       ``ISP = 2``; fort.7, fort.8 and fort.9 (multipliers) are parsed.

    Returns
    -------
    dict with
        ``points``: ``par`` (values of ``free``), ``period``, ``l2norm``,
        ``max`` (maxima over the orbit of the first states AUTO prints, one
        column per name in ``max_names``), ``stable`` (AUTO's flag: all
        non-trivial multipliers inside the unit circle), ``multipliers`` (list
        of complex arrays sorted by decreasing modulus, 6 significant digits;
        NaN at the Hopf point, where AUTO computes none), ``type`` (AUTO label
        type, "" for plain points), ``label``; in branch order, the Hopf point first.
        ``special_points``: list of dicts in branch order with ``type`` (LP, PD,
        TR, BP, UZ, EP, MX ...), ``itp``, ``par``, ``period``, ``multipliers``,
        ``index`` (position in ``points``), ``label``, ``stable``, ``l2norm``,
        and from fort.8 ``t``, ``profile`` (orbit at the mesh times),
        ``parameters`` (model order) and, at TR points, ``angle`` (the
        argument of the critical multipliers, AUTO's PAR(12)). The Hopf start
        point is left out.
        ``hopf``: AUTO's Hopf point (``par``, ``period``, ``state``, ``label``).
        ``orbits``: every labelled orbit of fort.8 (see :func:`parse_fort8_orbits`).
        ``seconds`` (both AUTO runs), ``cycle_seconds`` (the IPS = 2 run),
        ``compile_seconds``, ``workdir``, ``free``, ``parameter_index``,
        ``stdout``, ``warnings`` (run ended without convergence, at NMX, or
        with multipliers AUTO flagged inaccurate).

    Raises
    ------
    RuntimeError
        AUTO-07p not available, compiling or running failed, or AUTO found no
        Hopf point next to ``hopf_state``.
    """
    ok, reason = auto_available()
    if not ok:
        raise RuntimeError(f"AUTO-07p is not available: {reason}")
    index = cycle_parameter_index_map(model)
    if free not in index:
        raise ValueError(model.unknown_parameter_message(free))
    from .codegen import parameter_vector
    p = parameter_vector(model, parameters)
    lo, hi = (float(b) for b in bounds)
    k = model.parameter_index(free)
    value = float(p[k])
    if not lo < value < hi:
        raise ValueError(f"the Hopf value {free} = {value} is not inside bounds [{lo}, {hi}]")
    x0 = np.asarray(hopf_state, dtype=float)
    residual = _residual(model, p, x0)
    if not residual <= start_tolerance:
        raise ValueError(
            f"hopf_state is not an equilibrium of {model.name!r} (max |f| = {residual:.3g} > "
            f"start_tolerance = {start_tolerance:g}); refine it first")
    max_points = int(max_points)

    def cycle_constants(label):
        return render_cycle_constants(
            model, p, free, (lo, hi), label=label, ntst=ntst, ncol=ncol, ds=ds, ds_min=ds_min,
            ds_max=ds_max, max_points=max_points, npr=npr, max_period=max_period, uzr=uzr,
            epsl=epsl, epsu=epsu, epss=epss)

    cycle_constants(1)  # validate the settings before compiling anything

    delta = float(hopf_offset) if hopf_offset is not None else 1e-3 * max(1.0, abs(value))
    start = None
    for side in (-1, +1):
        q = p.copy()
        q[k] = value + side * delta
        x, res = _newton_equilibrium(model, q, x0)
        near = np.abs(x - x0).max() < 1e3 * delta * (1.0 + np.abs(x0).max())  # same branch
        if res <= 1e-10 * (1.0 + np.abs(x).max()) and near:
            start = (side, q, x)
            break
    if start is None:
        raise RuntimeError(f"no equilibrium found next to the Hopf point at {free} = {value} "
                           f"(+-{delta:g}) by Newton's method from hopf_state")
    side, q, x1 = start
    hopf_constants = _render_run_constants(
        model, q, free, (value - 2 * delta, value + 2 * delta), ips=1, icp=[index[free]],
        start_state=x1, ds=-side * delta / 20, ds_min=delta * 1e-6, ds_max=delta / 4,
        max_points=200, npr=10000, epsl=epsl, epsu=epsu, epss=epss, stop=["HB1"],
        comment=f"locating the Hopf point near {free} = {value!r}")

    temporary = workdir is None
    if keep_workdir is None:
        keep_workdir = not temporary
    base = Path(tempfile.mkdtemp(prefix=f"bifurc_auto_lc_{model.name}_") if temporary else workdir)
    base.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    stdout = {}
    try:
        t0 = time.perf_counter()
        exe = _compile(model, base, timeout, index)
        compile_seconds = time.perf_counter() - t0

        hopf_dir = _fresh_dir(base / "run_hopf")
        (hopf_dir / f"c.{model.name}").write_text(hopf_constants)
        (hopf_dir / "fort.2").write_text(hopf_constants)
        t0 = time.perf_counter()
        result = _run([str(exe.resolve())], hopf_dir, timeout,
                      f"AUTO-07p ({model.name}, locating the Hopf point)", env=env)
        hopf_seconds = time.perf_counter() - t0
        stdout["hopf"] = result.stdout
        _check_output(hopf_dir, result.stdout, result.stderr)
        hopf_rows = [r for r in parse_fort7(hopf_dir / "fort.7") if r["type"] == "HB"]
        if not hopf_rows:
            raise RuntimeError(
                f"AUTO found no Hopf point between {free} = {value - delta:.10g} and "
                f"{value + delta:.10g} (run in {hopf_dir}); is hopf_state a Hopf point?"
                f"\n{_tail(result.stdout)}")
        hopf_row = hopf_rows[0]
        if abs(hopf_row["values"][0] - value) > delta:
            raise RuntimeError(f"AUTO's Hopf point {free} = {hopf_row['values'][0]:.10g} is "
                               f"farther than {delta:g} from {value:.10g}")
        hopf_solution = next(s for s in parse_fort8(hopf_dir / "fort.8")
                             if s["label"] == hopf_row["label"])

        cycle_dir = _fresh_dir(base / "run_cycles")
        shutil.copyfile(hopf_dir / "fort.8", cycle_dir / "fort.3")
        constants = cycle_constants(hopf_row["label"])
        (cycle_dir / f"c.{model.name}").write_text(constants)
        (cycle_dir / "fort.2").write_text(constants)
        t0 = time.perf_counter()
        result = _run([str(exe.resolve())], cycle_dir, timeout,
                      f"AUTO-07p ({model.name}, periodic orbits)", env=env)
        cycle_seconds = time.perf_counter() - t0
        stdout["cycles"] = result.stdout
        _check_output(cycle_dir, result.stdout, result.stderr)
        rows = parse_fort7(cycle_dir / "fort.7")
        columns = parse_fort7_columns(cycle_dir / "fort.7")
        multipliers = (parse_multipliers(cycle_dir / "fort.9") if (cycle_dir / "fort.9").is_file()
                       else {"inaccurate": set()})
        orbits = (parse_fort8_orbits(cycle_dir / "fort.8") if (cycle_dir / "fort.8").is_file()
                  else [])
    except Exception:
        if temporary:
            keep_workdir = True  # leave the evidence
        raise
    finally:
        if temporary and not keep_workdir:
            shutil.rmtree(base, ignore_errors=True)

    out = _assemble_cycles(model, free, rows, columns, multipliers, orbits)
    out["hopf"] = {"par": float(hopf_row["values"][0]),
                   "period": float(out["points"]["period"][0]) if len(rows) else math.nan,
                   "state": hopf_solution["state"][:model.n_states], "label": hopf_row["label"]}
    out["orbits"] = orbits
    warnings = _run_warnings(free, +1, rows, max_points)
    bad = sorted(multipliers["inaccurate"])
    if bad:
        warnings.append(f"AUTO flagged the Floquet multipliers of {len(bad)} point(s) as "
                        f"inaccurate (points {bad[0]}..{bad[-1]}); it does not detect "
                        "bifurcations there")
    out.update(seconds=hopf_seconds + cycle_seconds, cycle_seconds=cycle_seconds,
               compile_seconds=compile_seconds, workdir=str(base) if keep_workdir else None,
               free=free, parameter_index=index[free], stdout=stdout, warnings=warnings)
    return out


def _fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


def _assemble_cycles(model: Model, free: str, rows, columns, multipliers, orbits) -> dict:
    index = cycle_parameter_index_map(model)
    n = model.n_states
    names = columns[:len(rows[0]["values"])] if rows else columns
    try:
        period_column = next(i for i, c in enumerate(names)
                             if c.upper() in ("PERIOD", f"PAR({_PERIOD_INDEX})"))
    except StopIteration:
        period_column = len(rows[0]["values"]) - 1 if rows else -1  # AUTO prints it last
    max_columns = [i for i, c in enumerate(names) if c.upper().startswith("MAX")]
    by_label = {o["label"]: o for o in orbits}
    par_columns = [index[name] - 1 for name in model.parameter_names]
    nan = np.full(n, np.nan, dtype=complex)

    def sorted_multipliers(point):
        mu = multipliers.get(point)
        if mu is None:
            return nan.copy()
        return mu[np.argsort(-np.abs(mu), kind="stable")]

    points = {
        "par": np.array([r["values"][0] for r in rows], dtype=float),
        "period": np.array([r["values"][period_column] for r in rows], dtype=float),
        "l2norm": np.array([r["values"][1] for r in rows], dtype=float),
        "max": np.array([[r["values"][i] for i in max_columns] for r in rows],
                        dtype=float).reshape(len(rows), len(max_columns)),
        "max_names": [names[i][3:].strip() for i in max_columns],
        "stable": np.array([r["stable"] for r in rows], dtype=bool),
        "multipliers": [sorted_multipliers(r["point"]) for r in rows],
        "type": ["" if r["itp"] in (0, 4) else r["type"] for r in rows],
        "label": np.array([r["label"] for r in rows], dtype=int),
        "point": np.array([r["point"] for r in rows], dtype=int),
    }
    specials = []
    for k, row in enumerate(rows):
        if k == 0 or row["itp"] in (0, 4) or row["label"] == 0:
            continue
        orbit = by_label.get(row["label"])
        entry = {"type": row["type"], "itp": row["itp"], "par": float(row["values"][0]),
                 "period": float(row["values"][period_column]),
                 "multipliers": points["multipliers"][k], "index": k, "label": row["label"],
                 "stable": bool(row["stable"]), "l2norm": float(row["values"][1])}
        if orbit is not None:
            if row["type"] == "TR" and len(orbit["par"]) >= _CYCLE_RESERVED[-1]:
                entry["angle"] = float(orbit["par"][_CYCLE_RESERVED[-1] - 1])  # PAR(12)
            entry.update(t=orbit["t"], profile=orbit["profile"][:, :n],
                         parameters=orbit["par"][par_columns]
                         if len(orbit["par"]) > max(par_columns, default=-1)
                         else np.full(model.n_parameters, np.nan))
        specials.append(entry)
    return {"points": points, "special_points": specials}


__all__ += ["continue_cycles_auto", "render_cycle_constants", "cycle_parameter_index_map",
            "parse_fort7_columns", "parse_fort8_orbits", "parse_multipliers"]
