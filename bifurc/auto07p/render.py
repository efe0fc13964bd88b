"""Rendering AUTO-07p input: the C user file of a model and the constants files.

Only names and numbers reach the generated text (no user text is spliced in)."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .. import symbolic
from ..model import Model
from .parameters import (CYCLE_RESERVED, PERIOD_INDEX, cycle_parameter_index_map,
                         homcont_parameter_index_map, n_auto_parameters, parameter_index_map)


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
        " * Parameters PAR(i): " + ", ".join(f"{index[p]}={p}" for p in model.parameter_names) + "\n"
        " */\n")
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
    from ..codegen import parameter_vector

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
    ]
    return _closing_constants(model, lines, n_auto_parameters(model), "", "", "", u_values,
                              par_values)


def _closing_constants(model: Model, lines: list, npar: int, uzr: str, uzstop: str, stops: str,
                       u_values: str, par_values: str) -> str:
    """The constants file: ``lines`` followed by the constants every run ends
    with (NPAR, thresholds, user zeros, stops, the start U and PAR); checked
    against the 2048 characters AUTO reads per constant."""
    lines = [*lines, f"NPAR = {npar}", "THL = {}, THU = {}", f"UZR = {{{uzr}}}",
             f"UZSTOP = {{{uzstop}}}", "SP = []", f"STOP = [{stops}]", "IBR = 0, LAB = 0",
             f"U = {{{u_values}}}", f"PAR = {{{par_values}}}", ""]
    too_long = [line.split("=")[0].strip() for line in lines if len(line) > _MAX_LINE]
    if too_long:
        raise ValueError(f"the AUTO constant(s) {', '.join(too_long)} of model {model.name!r} "
                         "would exceed the 2048 characters AUTO reads per constant (too many "
                         "states)")
    return "\n".join(lines)


def render_run_constants(model: Model, p: np.ndarray, free: str, bounds, *, ips: int,
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
        names[PERIOD_INDEX] = "PERIOD"
    parnames = ", ".join(f"{k}: '{v}'" for k, v in sorted(names.items()))
    # a restart (IRS > 0) takes the free parameter's value from the restart solution
    par_values = ", ".join(f"{index[name]}: {f(v)}" for name, v in zip(model.parameter_names, p)
                           if not (irs and name == free))
    if start_state is not None:
        u_values = ", ".join(f"{i + 1}: {f(v)}" for i, v in enumerate(start_state))
    else:
        u_values = ""
    npar = max([*index.values(), CYCLE_RESERVED[-1] if ips == 2 else 1])
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
    ]
    return _closing_constants(model, lines, npar, uzr_text, uz, stops, u_values, par_values)


def render_homcont_constants(model: Model, p: np.ndarray, saddle, period: float, free,
                             bounds, *, ntst: int, ncol: int, n_unstable: int, ds: float,
                             ds_min: float, ds_max: float, max_points: int,
                             epsl: float = 1e-9, epsu: float = 1e-9, epss: float = 1e-6,
                             orbit_file: str = "hom") -> str:
    """The constants of a HomCont run (IPS = 9): the homoclinic orbit to the
    saddle ``saddle`` (IEQUIB = 1: its coordinates are PAR(12 .. 11 + n)),
    truncated to ``period`` = PAR(11) (fixed), continued in the two parameters
    ``free`` within ``bounds`` (UZSTOP on both), from the orbit in
    ``<orbit_file>.dat`` (columns t in [0, 1] and the states), with
    projection boundary conditions (NUNSTAB, NSTAB). Every constant is written."""
    index = homcont_parameter_index_map(model)
    f = _fortran_float
    n = model.n_states
    if len(free) != 2 or len(bounds) != 2:
        raise ValueError(f"HomCont continues two parameters, got {free}")
    for name, value in (("ds", abs(ds)), ("ds_min", ds_min), ("ds_max", ds_max)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive and finite, got {value}")
    if not orbit_file.isidentifier():
        raise ValueError(f"orbit_file must be a plain name, got {orbit_file!r}")
    if not 0 < n_unstable < n:
        raise ValueError(f"a saddle of a {n}-dimensional model has 1 .. {n - 1} unstable "
                         f"eigenvalues, got {n_unstable}")
    par = {index[name]: float(v) for name, v in zip(model.parameter_names, p)}
    par[PERIOD_INDEX] = float(period)
    par.update({12 + i: float(x) for i, x in enumerate(saddle)})
    par_values = ", ".join(f"{k}: {f(v)}" for k, v in sorted(par.items()))
    unames = ", ".join(f"{i + 1}: '{name[:13]}'" for i, name in enumerate(model.state_names))
    parnames = ", ".join(f"{index[name]}: '{name[:13]}'" for name in model.parameter_names)
    uzstop = ", ".join(f"{index[name]}: [{f(lo)}, {f(hi)}]"
                       for name, (lo, hi) in zip(free, bounds))
    lines = [
        f"# AUTO-07p HomCont constants for model {model.name!r}, written by bifurc.auto07p",
        f"# homoclinic orbit continued in {free[0]} = PAR({index[free[0]]}) and "
        f"{free[1]} = PAR({index[free[1]]})",
        f"e = '{model.name}'",
        f"unames = {{{unames}}}",
        f"parnames = {{{parnames}}}",
        f"NDIM = {n}, IPS = 9, IRS = 0, ILP = 0",
        f"ICP = [{index[free[0]]}, {index[free[1]]}]",
        f"NTST = {int(ntst)}, NCOL = {int(ncol)}, IAD = 3, ISP = 0, ISW = 1, IPLT = 0, NBC = 0, "
        "NINT = 0",
        f"NMX = {int(max_points)}, NPR = 100000, MXBF = 10, IID = 2, ITMX = 8, ITNW = 7, "
        "NWTN = 3, JAC = 1",
        f"EPSL = {f(epsl)}, EPSU = {f(epsu)}, EPSS = {f(epss)}",
        f"DS = {f(ds)}, DSMIN = {f(ds_min)}, DSMAX = {f(ds_max)}, IADS = 1",
        f"RL0 = {f(-1e300)}, RL1 = {f(1e300)}, A0 = {f(-1e300)}, A1 = {f(1e300)}",
        f"dat = '{orbit_file}'",
        f"NUNSTAB = {int(n_unstable)}, NSTAB = {n - int(n_unstable)}, IEQUIB = 1, ITWIST = 0, "
        "ISTART = 1",
    ]
    return _closing_constants(model, lines, max(par), "", uzstop, "", "", par_values)


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
    from ..codegen import parameter_vector

    index = cycle_parameter_index_map(model)
    if free not in index:
        raise ValueError(model.unknown_parameter_message(free))
    p = parameter_vector(model, parameters)
    uzstop = {PERIOD_INDEX: float(max_period)} if max_period is not None else None
    return render_run_constants(
        model, p, free, bounds, ips=2, icp=[index[free], PERIOD_INDEX], irs=int(label),
        ntst=ntst, ncol=ncol, isp=2, ds=ds, ds_min=ds_min, ds_max=ds_max, max_points=max_points,
        npr=int(npr or max_points), epsl=epsl, epsu=epsu, epss=epss, uzstop=uzstop,
        uzr={index[free]: [float(v) for v in uzr]} if uzr is not None and len(uzr) else None,
        comment=f"periodic orbits from the Hopf point (label {label}) in {free} = "
                f"PAR({index[free]}), period = PAR(11)")


