"""AUTO-07p workflows: equilibria in both directions from a point (IPS = 1), and the
cycles born at a Hopf point (IPS = 2), assembled into plain data and Branches."""

from __future__ import annotations

import math
import time

import numpy as np
import sympy as sp

from ..model import Model
from .install import auto_available
from .parameters import CYCLE_RESERVED, PERIOD_INDEX, cycle_parameter_index_map, parameter_index_map
from .parse import parse_fort7, parse_fort7_columns, parse_fort8, parse_fort8_orbits, parse_multipliers
from .render import render_constants, render_cycle_constants, render_run_constants
from .run import compile_user_file, run_executable, tail_of, work_directory


def _checked_start(model: Model, index: dict, free: str, parameters, state,
                   start_tolerance: float, what: str):
    """(AUTO available, free parameter known, state an equilibrium): the checks
    every workflow makes before compiling. Returns (p, x0)."""
    ok, reason = auto_available()
    if not ok:
        raise RuntimeError(f"AUTO-07p is not available: {reason}")
    if free not in index:
        raise ValueError(model.unknown_parameter_message(free))
    from ..codegen import parameter_vector
    p = parameter_vector(model, parameters)
    x0 = np.asarray(state, dtype=float)
    residual = _residual(model, p, x0)
    if not residual <= start_tolerance:
        raise ValueError(
            f"{what} is not an equilibrium of {model.name!r} (max |f| = {residual:.3g} > "
            f"start_tolerance = {start_tolerance:g}); AUTO takes the start point as given, "
            "so refine it first (e.g. scipy.optimize.fsolve on the vector field)")
    return p, x0


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
    directions = tuple(int(d) for d in directions)
    if not directions or any(d not in (+1, -1) for d in directions) or len(set(directions)) != len(directions):
        raise ValueError(f"directions must be distinct values from (+1, -1), got {directions}")
    index = parameter_index_map(model)
    p, x0 = _checked_start(model, index, free, parameters, start_state, start_tolerance,
                           "start_state")
    lo, hi = (float(b) for b in bounds)
    start_value = p[model.parameter_index(free)]
    if not lo <= start_value <= hi:
        raise ValueError(f"the start value {free} = {start_value} is outside bounds [{lo}, {hi}]")
    constants = {d: render_constants(model, p, start_state, free, (lo, hi), ds=ds, ds_min=ds_min,
                                     ds_max=ds_max, max_points=max_points, direction=d)
                 for d in directions}

    kept = keep_workdir if keep_workdir is not None else workdir is not None
    with work_directory(workdir, keep_workdir, f"bifurc_auto_{model.name}_") as (base, env):
        start = time.perf_counter()
        exe = compile_user_file(model, base, timeout)
        compile_seconds = time.perf_counter() - start
        runs, seconds = {}, 0.0
        for d in directions:
            rundir = base / ("run_plus" if d > 0 else "run_minus")
            result, run_seconds = run_executable(exe, rundir, model.name, constants[d], timeout,
                                                 f"AUTO-07p ({model.name}, direction {d:+d})",
                                                 env)
            seconds += run_seconds
            runs[d] = (parse_fort7(rundir / "fort.7"),
                       parse_fort8(rundir / "fort.8") if (rundir / "fort.8").is_file() else [],
                       result.stdout)

    result = _assemble(model, free, runs, directions)
    result["warnings"] = [w for d in directions
                          for w in _run_warnings(free, d, runs[d][0], int(max_points))]
    result.update(seconds=seconds, compile_seconds=compile_seconds,
                  workdir=str(base) if kept else None, free=free,
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
    from ..codegen import compile_model, parameter_vector
    from ..continuation import ContinuationOptions
    from ..continuation.branch import Branch, SpecialPoint
    from ..continuation.build import domain_flags, parameter_bounds
    from ..continuation.equilibria import EquilibriumProblem, find_equilibrium, sorted_eigenvalues

    options = options or ContinuationOptions()
    bounds = parameter_bounds(model, free, bounds)  # inside the declared range, as bifurc's
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
    index = cycle_parameter_index_map(model)
    p, x0 = _checked_start(model, index, free, parameters, hopf_state, start_tolerance,
                           "hopf_state")
    lo, hi = (float(b) for b in bounds)
    k = model.parameter_index(free)
    value = float(p[k])
    if not lo < value < hi:
        raise ValueError(f"the Hopf value {free} = {value} is not inside bounds [{lo}, {hi}]")
    max_points = int(max_points)

    def cycle_constants(label):
        return render_cycle_constants(
            model, p, free, (lo, hi), label=label, ntst=ntst, ncol=ncol, ds=ds, ds_min=ds_min,
            ds_max=ds_max, max_points=max_points, npr=npr, max_period=max_period, uzr=uzr,
            epsl=epsl, epsu=epsu, epss=epss)

    cycle_constants(1)  # validate the settings before compiling anything

    delta = float(hopf_offset) if hopf_offset is not None else 1e-3 * max(1.0, abs(value))
    from ..codegen import compile_model
    from ..continuation.equilibria import newton_equilibrium

    compiled = compile_model(model)
    start = None
    for side in (-1, +1):
        q = p.copy()
        q[k] = value + side * delta
        x, converged, _ = newton_equilibrium(compiled, q, x0)
        near = np.abs(x - x0).max() < 1e3 * delta * (1.0 + np.abs(x0).max())  # same branch
        if converged and near:
            start = (side, q, x)
            break
    if start is None:
        raise RuntimeError(f"no equilibrium found next to the Hopf point at {free} = {value} "
                           f"(+-{delta:g}) by Newton's method from hopf_state")
    side, q, x1 = start
    hopf_constants = render_run_constants(
        model, q, free, (value - 2 * delta, value + 2 * delta), ips=1, icp=[index[free]],
        start_state=x1, ds=-side * delta / 20, ds_min=delta * 1e-6, ds_max=delta / 4,
        max_points=200, npr=10000, epsl=epsl, epsu=epsu, epss=epss, stop=["HB1"],
        comment=f"locating the Hopf point near {free} = {value!r}")

    kept = keep_workdir if keep_workdir is not None else workdir is not None
    stdout = {}
    with work_directory(workdir, keep_workdir, f"bifurc_auto_lc_{model.name}_") as (base, env):
        t0 = time.perf_counter()
        exe = compile_user_file(model, base, timeout, index)
        compile_seconds = time.perf_counter() - t0

        hopf_dir = base / "run_hopf"
        result, hopf_seconds = run_executable(
            exe, hopf_dir, model.name, hopf_constants, timeout,
            f"AUTO-07p ({model.name}, locating the Hopf point)", env)
        stdout["hopf"] = result.stdout
        hopf_rows = [r for r in parse_fort7(hopf_dir / "fort.7") if r["type"] == "HB"]
        if not hopf_rows:
            raise RuntimeError(
                f"AUTO found no Hopf point between {free} = {value - delta:.10g} and "
                f"{value + delta:.10g} (run in {hopf_dir}); is hopf_state a Hopf point?"
                f"\n{tail_of(result.stdout)}")
        hopf_row = hopf_rows[0]
        if abs(hopf_row["values"][0] - value) > delta:
            raise RuntimeError(f"AUTO's Hopf point {free} = {hopf_row['values'][0]:.10g} is "
                               f"farther than {delta:g} from {value:.10g}")
        hopf_solution = next(s for s in parse_fort8(hopf_dir / "fort.8")
                             if s["label"] == hopf_row["label"])

        cycle_dir = base / "run_cycles"
        constants = cycle_constants(hopf_row["label"])
        result, cycle_seconds = run_executable(
            exe, cycle_dir, model.name, constants, timeout,
            f"AUTO-07p ({model.name}, periodic orbits)", env,
            start_solution=hopf_dir / "fort.8")
        stdout["cycles"] = result.stdout
        rows = parse_fort7(cycle_dir / "fort.7")
        columns = parse_fort7_columns(cycle_dir / "fort.7")
        multipliers = (parse_multipliers(cycle_dir / "fort.9") if (cycle_dir / "fort.9").is_file()
                       else {"inaccurate": set()})
        orbits = (parse_fort8_orbits(cycle_dir / "fort.8") if (cycle_dir / "fort.8").is_file()
                  else [])

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
               compile_seconds=compile_seconds, workdir=str(base) if kept else None,
               free=free, parameter_index=index[free], stdout=stdout, warnings=warnings)
    return out


def _assemble_cycles(model: Model, free: str, rows, columns, multipliers, orbits) -> dict:
    index = cycle_parameter_index_map(model)
    n = model.n_states
    names = columns[:len(rows[0]["values"])] if rows else columns
    try:
        period_column = next(i for i, c in enumerate(names)
                             if c.upper() in ("PERIOD", f"PAR({PERIOD_INDEX})"))
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
            if row["type"] == "TR" and len(orbit["par"]) >= CYCLE_RESERVED[-1]:
                entry["angle"] = float(orbit["par"][CYCLE_RESERVED[-1] - 1])  # PAR(12)
            entry.update(t=orbit["t"], profile=orbit["profile"][:, :n],
                         parameters=orbit["par"][par_columns]
                         if len(orbit["par"]) > max(par_columns, default=-1)
                         else np.full(model.n_parameters, np.nan))
        specials.append(entry)
    return {"points": points, "special_points": specials}


