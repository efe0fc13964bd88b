"""AUTO-07p HomCont (IPS = 9) as the reference for HOM-C: the same homoclinic
orbit, truncation time, mesh size and free parameters, continued by AUTO.

The start orbit is a point of a bifurc HOM-C branch (its open profile, mesh,
saddle and T): it is written as ``hom.dat`` (t in [0, 1] and the states on a
fine grid) and read by AUTO through the ``dat`` constant; the saddle is
AUTO's PAR(12 .. 11 + n) (IEQUIB = 1), T its PAR(11), and the boundary
conditions are HomCont's projection conditions (NUNSTAB unstable
eigenvalues). One run per direction; fort.7 is parsed for the two free
parameters.
"""

from __future__ import annotations

import time

import numpy as np

from ..codegen import parameter_vector
from ..continuation.homoclinic import OpenMesh
from ..model import Model
from .install import auto_available
from .parameters import homcont_parameter_index_map
from .parse import parse_fort7, parse_fort7_columns
from .render import render_homcont_constants
from .run import compile_user_file, run_executable, work_directory


def continue_homoclinic_auto(model: Model, start, free, bounds, *, ds: float = 0.01,
                             ds_min: float = 1e-6, ds_max: float = 0.1, max_points: int = 100,
                             directions=(+1, -1), samples: int = 2001, timeout: float = 300,
                             workdir=None, keep_workdir: bool | None = None) -> dict:
    """Continue with HomCont the homoclinic orbit of ``start``, a point of a
    HOM-C branch (``homoclinic_point(branch, index)``), in ``free = (p1, p2)``
    within ``bounds`` ((lo1, hi1), (lo2, hi2)), with the start's NTST, NCOL
    and T.

    Returns plain data: ``values`` {direction: (n_points, 2) array of (p1, p2)},
    ``labels`` {direction: [(row, AUTO type), ...]} (HomCont's special
    solutions), ``compile_seconds``, ``run_seconds`` (both directions,
    process start-up included), ``ntst``, ``ncol``, ``period``, ``workdir``.
    RuntimeError when AUTO-07p is not available or a run fails.
    """
    ok, reason = auto_available()
    if not ok:
        raise RuntimeError(f"AUTO-07p is not available: {reason}")
    data = start.data
    missing = [k for k in ("mesh", "ncol", "profile", "period", "saddle") if k not in data]
    if missing or getattr(start, "branch_kind", None) != "HOM-C":
        raise ValueError(f"continue_homoclinic_auto starts from a point of a HOM-C branch "
                         f"(homoclinic_point), got {getattr(start, 'label', start)!r}")
    free = tuple(free)
    bounds = tuple(tuple(float(b) for b in pair) for pair in bounds)
    index = homcont_parameter_index_map(model)
    p = parameter_vector(model, start.parameters)
    saddle = np.asarray(data["saddle"], float)
    mesh = np.asarray(data["mesh"], float)
    ncol, ntst = int(data["ncol"]), len(mesh) - 1
    profile = np.asarray(data["profile"], float)
    n_unstable = int(np.sum(np.asarray(start.eigenvalues).real > 0))
    tau = np.linspace(0.0, 1.0, int(samples))
    orbit = OpenMesh(model.n_states, ntst, ncol, mesh).evaluate(profile.ravel(), tau)
    dat = "\n".join(" ".join(repr(float(v)) for v in row) for row in np.c_[tau, orbit]) + "\n"
    constants = {d: render_homcont_constants(
        model, p, saddle, float(data["period"]), free, bounds, ntst=ntst, ncol=ncol,
        n_unstable=n_unstable, ds=d * ds, ds_min=ds_min, ds_max=ds_max, max_points=max_points)
        for d in directions}
    kept = keep_workdir if keep_workdir is not None else workdir is not None
    values, labels, run_seconds = {}, {}, 0.0
    with work_directory(workdir, keep_workdir, f"bifurc_homcont_{model.name}_") as (base, env):
        started = time.perf_counter()
        exe = compile_user_file(model, base, timeout, index)
        compile_seconds = time.perf_counter() - started
        for d in directions:
            rundir = base / ("run_plus" if d > 0 else "run_minus")
            _, seconds = run_executable(exe, rundir, model.name, constants[d], timeout,
                                        f"AUTO-07p HomCont ({model.name}, direction {d:+d})",
                                        env, files={"hom.dat": dat})
            run_seconds += seconds
            columns = parse_fort7_columns(rundir / "fort.7")
            rows = parse_fort7(rundir / "fort.7")
            where = [columns.index(name[:13]) if name[:13] in columns
                     else columns.index(f"PAR({index[name]})") for name in free]
            values[d] = np.array([[row["values"][k] for k in where] for row in rows])
            labels[d] = [(i, row["type"]) for i, row in enumerate(rows)
                         if row["type"] not in ("", "EP", "UZ")]
    return {"values": values, "labels": labels, "compile_seconds": compile_seconds,
            "run_seconds": run_seconds, "ntst": ntst, "ncol": ncol,
            "period": float(data["period"]), "workdir": str(base) if kept else None}


__all__ = ["continue_homoclinic_auto"]
